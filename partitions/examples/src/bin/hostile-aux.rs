//! `hostile-aux`: sends a `!` through the mini UART's data register
//! (AUX_MU_IO at physical 0xFE21_5040), used as an IPA, while another
//! partition owns the UART (`partitions/tests/device-intruder.toml`). A
//! device is mapped for the partition the description assigns it to and
//! for no other: the kernel must take the stage-2 data abort at EL2 and
//! apply the `stage2_abort` health action, and no `!` may reach the
//! owner's serial line.
//!
//! Prints (R: restarts so far):
//!
//! ```text
//! hostile-aux: writing to the mini UART at IPA 0xfe215040, owned by another partition (restarts R)
//! ```
//!
//! and, only if the write did not fault (isolation is broken):
//! `hostile-aux: ISOLATION FAILURE: the write to IPA 0xfe215040 did not fault`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

#[path = "../mini_uart.rs"]
mod mini_uart;

use bulkhead_sdk::{ThreadInfo, partition_status, println};
use mini_uart::AUX_MU_IO;

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!(
        "hostile-aux: writing to the mini UART at IPA {AUX_MU_IO:#x}, owned by another partition (restarts {restarts})"
    );
    // SAFETY: deliberately not sound: the address is a device assigned to
    // another partition; the kernel must stop the write (stage-2 abort).
    unsafe { core::ptr::write_volatile(AUX_MU_IO as *mut u32, u32::from(b'!')) };
    println!("hostile-aux: ISOLATION FAILURE: the write to IPA {AUX_MU_IO:#x} did not fault");
}
