//! `region-writer`: the writer of the shared memory region `telemetry`
//! (partitions/tests/shared-region.toml, layout: `src/telemetry.rs`). It
//! asks the kernel where its regions are, then in each of its first
//! [`telemetry::FINAL`] windows writes a text, a pattern and a sequence
//! number into `telemetry`; then it stops writing, so the region keeps the
//! last sequence for good.
//!
//! Prints (R: restarts so far):
//!
//! ```text
//! region-writer: telemetry at IPA 0x60000000, 65536 bytes, read/write (restarts R)
//! region-writer: commands at IPA 0x60200000, 4096 bytes, read/write
//! region-writer: wrote sequence N          (N = 1..=5, one per window)
//! region-writer: done, the region keeps sequence 5
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

#[path = "../telemetry.rs"]
mod telemetry;

use bulkhead_sdk::{Region, RegionAccess, Status, ThreadInfo, memory_region, partition_status, periodic_wait, println};

bulkhead_sdk::partition_main!(main);

fn access(region: &Region) -> &'static str {
    if region.access() == RegionAccess::ReadWrite { "read/write" } else { "read-only" }
}

fn main(_thread: ThreadInfo) {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    let region = match memory_region("telemetry") {
        Ok(region) => region,
        Err(e) => {
            println!("region-writer: memory_region(\"telemetry\") failed: {e:?}");
            return;
        }
    };
    println!(
        "region-writer: telemetry at IPA {:#x}, {} bytes, {} (restarts {restarts})",
        region.base(),
        region.size(),
        access(&region)
    );
    match memory_region("commands") {
        Ok(r) => println!("region-writer: commands at IPA {:#x}, {} bytes, {}", r.base(), r.size(), access(&r)),
        Err(e) => println!("region-writer: memory_region(\"commands\") failed: {e:?}"),
    }
    for sequence in 1..=telemetry::FINAL {
        if let Err(e) = write(&region, sequence) {
            println!("region-writer: writing sequence {sequence} failed: {e:?}");
            return;
        }
        println!("region-writer: wrote sequence {sequence}");
        let _ = periodic_wait();
    }
    println!("region-writer: done, the region keeps sequence {}", telemetry::FINAL);
}

/// The text, the pattern, then the sequence number.
fn write(region: &Region, sequence: u64) -> Result<(), Status> {
    let head = telemetry::TEXT_HEAD;
    region.write(telemetry::TEXT, head)?;
    region.write(telemetry::TEXT + head.len() as u64, &[b'0' + sequence as u8])?;
    region.write_u64(telemetry::TEXT_LEN, head.len() as u64 + 1)?;
    for i in 1..8 {
        region.write_u64(8 * i, telemetry::pattern(sequence, i))?;
    }
    region.write_u64(telemetry::SEQUENCE, sequence)
}
