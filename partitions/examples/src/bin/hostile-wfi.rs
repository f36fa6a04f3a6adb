//! `hostile-wfi`: executes `WFI` in a loop forever with interrupts masked
//! (DAIF as the thread was entered), trying to sleep through the end of its
//! window and keep the core. The kernel traps WFI (HCR_EL2.TWI) and must
//! still switch at the window boundary: the other partition's ticks go on,
//! one per window.
//!
//! Prints once (R: restarts so far), then nothing:
//!
//! ```text
//! hostile-wfi: executing wfi forever (restarts R)
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) -> ! {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-wfi: executing wfi forever (restarts {restarts})");
    loop {
        wfi();
    }
}

#[cfg(target_arch = "aarch64")]
fn wfi() {
    // SAFETY: WFI changes no memory or register; whether it sleeps, traps
    // or returns at once is the kernel's business, which is the test.
    unsafe { core::arch::asm!("wfi", options(nomem, nostack, preserves_flags)) };
}

/// Host builds only type-check the image.
#[cfg(not(target_arch = "aarch64"))]
fn wfi() {}
