//! `hostile-mmio`: reads the GIC-400 distributor's first register (GICD_CTLR
//! at physical 0xFF84_1000), used as an IPA. Partitions get no device
//! mappings: the kernel must take the stage-2 data abort at EL2 and apply
//! the `stage2_abort` health action.
//!
//! Prints (R: restarts so far):
//!
//! ```text
//! hostile-mmio: reading the GIC distributor at IPA 0xff841000 (restarts R)
//! ```
//!
//! and, only if the read did not fault (isolation is broken):
//! `hostile-mmio: ISOLATION FAILURE: read 0x... from IPA 0xff841000`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_board_rpi4::gic::GICD_BASE;
use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-mmio: reading the GIC distributor at IPA {GICD_BASE:#x} (restarts {restarts})");
    // SAFETY: deliberately not sound: the address is a device outside the
    // partition's memory; the kernel must stop the read (stage-2 abort).
    let value = unsafe { core::ptr::read_volatile(GICD_BASE as *const u32) };
    println!("hostile-mmio: ISOLATION FAILURE: read {value:#x} from IPA {GICD_BASE:#x}");
}
