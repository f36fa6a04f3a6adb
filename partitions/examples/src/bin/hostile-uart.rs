//! `hostile-uart`: writes a `!` to the PL011 data register (UARTDR at
//! physical 0xFE20_1000), used as an IPA, as if to print around the
//! kernel's console. Partitions get no device mappings: the kernel must
//! take the stage-2 data abort at EL2 and apply the `stage2_abort` health
//! action; no stray `!` may reach the serial line.
//!
//! Prints (R: restarts so far):
//!
//! ```text
//! hostile-uart: writing to the PL011 data register at IPA 0xfe201000 (restarts R)
//! ```
//!
//! and, only if the write did not fault (isolation is broken):
//! `hostile-uart: ISOLATION FAILURE: the write to IPA 0xfe201000 did not fault`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_board_rpi4::console::PL011_BASE;
use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-uart: writing to the PL011 data register at IPA {PL011_BASE:#x} (restarts {restarts})");
    // SAFETY: deliberately not sound: the address is a device outside the
    // partition's memory; the kernel must stop the write (stage-2 abort).
    unsafe { core::ptr::write_volatile(PL011_BASE as *mut u32, u32::from(b'!')) };
    println!("hostile-uart: ISOLATION FAILURE: the write to IPA {PL011_BASE:#x} did not fault");
}
