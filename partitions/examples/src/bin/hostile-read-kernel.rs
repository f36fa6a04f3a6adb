//! `hostile-read-kernel`: reads the kernel's first word, at physical
//! address 0x80000 (where the firmware loads kernel8.img), used as an IPA.
//! No stage-2 entry of a partition maps it: the kernel must take the
//! stage-2 data abort at EL2 and apply the `stage2_abort` health action.
//!
//! Prints (R: restarts so far):
//!
//! ```text
//! hostile-read-kernel: reading the kernel at IPA 0x80000 (restarts R)
//! ```
//!
//! and, only if the read did not fault (isolation is broken):
//! `hostile-read-kernel: ISOLATION FAILURE: read 0x... from IPA 0x80000`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_board_rpi4::memory::KERNEL_LOAD;
use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-read-kernel: reading the kernel at IPA {KERNEL_LOAD:#x} (restarts {restarts})");
    // SAFETY: deliberately not sound: the address is outside the
    // partition's memory; the kernel must stop the read (stage-2 abort).
    let value = unsafe { core::ptr::read_volatile(KERNEL_LOAD as *const u64) };
    println!("hostile-read-kernel: ISOLATION FAILURE: read {value:#x} from IPA {KERNEL_LOAD:#x}");
}
