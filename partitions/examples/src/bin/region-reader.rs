//! `region-reader`: maps the shared memory region `telemetry` read-only
//! (partitions/tests/shared-region.toml, layout: `src/telemetry.rs`) and
//! checks what the kernel promises: the region is zero before anyone wrote
//! it; the writer's values show through; a region it does not map is
//! unknown to it; the kernel takes a hypercall buffer that lies in the
//! region; and a store to the region is a stage-2 fault, after which the
//! health monitor restarts it (the description's `stage2_abort`) with the
//! region neither unmapped nor zeroed: the writer has stopped writing by
//! then, so the restarted reader must still see its last sequence.
//!
//! Its window comes before the writer's, so its first look is at the
//! region as the kernel left it at module start. Prints (R: restarts):
//!
//! ```text
//! region-reader: telemetry at IPA 0x60000000, 65536 bytes, read-only (restarts R)
//! region-reader: memory_region("commands"): InvalidParameter          (restarts 0 only, below too)
//! region-reader: the region is zero before the writer's first window
//! region-reader: write_u64 through the SDK: Err(Denied)
//! region-reader: sequence N, pattern intact                          (each new N; once after a restart)
//! region-reader: text in the region: region-writer was here, sequence 5
//! region-reader: storing to the read-only region at IPA 0x60000000
//! ```
//!
//! and, only if the store did not fault (isolation is broken):
//! `region-reader: ISOLATION FAILURE: the store to the read-only region did not fault`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

#[path = "../telemetry.rs"]
#[allow(dead_code, reason = "the reader has the kernel print the text; it never needs its head")]
mod telemetry;

use bulkhead_sdk::{
    Call, Region, RegionAccess, ThreadInfo, console_write, hvc, memory_region, partition_status, periodic_wait,
    println, status_name,
};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    let region = match memory_region("telemetry") {
        Ok(region) => region,
        Err(e) => {
            println!("region-reader: memory_region(\"telemetry\") failed: {e:?}");
            return;
        }
    };
    let access = if region.access() == RegionAccess::ReadOnly { "read-only" } else { "read/write" };
    println!(
        "region-reader: telemetry at IPA {:#x}, {} bytes, {access} (restarts {restarts})",
        region.base(),
        region.size()
    );
    if restarts == 0 {
        match memory_region("commands") {
            Ok(r) => println!("region-reader: memory_region(\"commands\"): mapped at {:#x}, but not listed", r.base()),
            Err(e) => println!("region-reader: memory_region(\"commands\"): {e:?}"),
        }
        let zero = (0..region.size() / 8).all(|i| region.read_u64(8 * i) == Ok(0));
        println!(
            "region-reader: the region is {} before the writer's first window",
            if zero { "zero" } else { "NOT ZERO" }
        );
        println!("region-reader: write_u64 through the SDK: {:?}", region.write_u64(0, 1));
    }
    let mut last = 0;
    loop {
        let sequence = region.read_u64(telemetry::SEQUENCE).unwrap_or(0);
        if sequence != last || (restarts > 0 && sequence != 0) {
            let intact = (1..8).all(|i| region.read_u64(8 * i) == Ok(telemetry::pattern(sequence, i)));
            println!("region-reader: sequence {sequence}, pattern {}", if intact { "intact" } else { "BROKEN" });
            last = sequence;
        }
        if sequence == telemetry::FINAL || restarts > 0 {
            break;
        }
        let _ = periodic_wait();
    }
    if restarts > 0 {
        return;
    }
    print_text(&region);
    println!("region-reader: storing to the read-only region at IPA {:#x}", region.base());
    // SAFETY: deliberately not sound: the region is mapped read-only for
    // this partition, and the point of this image is that the kernel stops
    // the store (a stage-2 permission fault) before it reaches the region.
    unsafe { core::ptr::write_volatile(region.as_ptr() as *mut u64, 0xB0B0_DEAD_BEEF_0000) };
    println!("region-reader: ISOLATION FAILURE: the store to the read-only region did not fault");
}

/// The writer's text, handed to the kernel where it lies, in the region:
/// a ConsoleWrite buffer may be in a region the caller maps.
fn print_text(region: &Region) {
    let len = region.read_u64(telemetry::TEXT_LEN).unwrap_or(0);
    let _ = console_write(b"region-reader: text in the region: ");
    // SAFETY: ConsoleWrite only reads `[ptr, ptr + len)`, which the kernel
    // checks against this partition's map (its memory and its regions).
    let [x0, ..] = unsafe { hvc(Call::ConsoleWrite.id(), [region.base() + telemetry::TEXT, len, 0, 0, 0, 0]) };
    if x0 != 0 {
        let _ = console_write(b"refused: ");
        let _ = console_write(status_name(x0 as i64).as_bytes());
    }
    let _ = console_write(b"\n");
}
