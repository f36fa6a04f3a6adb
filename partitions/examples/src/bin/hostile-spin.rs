//! `hostile-spin`: a tight infinite loop with interrupts masked (DAIF as
//! the thread was entered), making no hypercall. Only the kernel's EL2
//! timer (physical interrupts go to EL2 whatever the partition masks) can
//! take the core back at the window boundary: the other partition's ticks
//! must go on, one per window.
//!
//! Prints once (R: restarts so far), then nothing:
//!
//! ```text
//! hostile-spin: spinning forever (restarts R)
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) -> ! {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-spin: spinning forever (restarts {restarts})");
    // `spin_loop` keeps the loop from being an empty `loop {}` (which the
    // compiler may treat as a hang) without any hypercall or memory access.
    loop {
        core::hint::spin_loop();
    }
}
