//! `hm-actions`: the health monitor's process-level and module-level
//! actions (tests `hm-stop-process`, `hm-restart-process`,
//! `hm-switch-schedule`, partitions/tests/hm-*.toml). What it does depends
//! on its threads:
//!
//! - Two threads: thread 0 (`worker`, its own core) prints a line every
//!   fourth window with the state of thread 1 (`spinner`), which says how many
//!   times it has started (a count in the partition's memory, which a
//!   process restart keeps) and spins forever: it overruns its window, a
//!   `window_overrun` the partition's table stops or restarts the process
//!   for.
//! - One thread (`main`): prints its window's duration in the schedule in
//!   force each window, and in window 3 raises an application error, for
//!   which its table switches the module to another schedule.
//!
//! Prints (N from 0, every fourth for the worker, K the spinner's starts
//! before this one, D in us):
//!
//! ```text
//! hm-actions: worker window N, spinner STATE
//! hm-actions: spinner start K, spinning
//! hm-actions: window N, duration D us
//! hm-actions: raising application error 4098
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::process::{get_partition_status, process_status, state_of};
use bulkhead_sdk::{ThreadInfo, periodic_wait, println, raise_application_error};
use core::sync::atomic::{AtomicU32, Ordering};

bulkhead_sdk::partition_main!(main);

/// Starts of the spinner so far: in the partition's memory, kept by a
/// process restart (a partition restart would reload it).
static SPINNER_STARTS: AtomicU32 = AtomicU32::new(0);

/// The error code it raises (0x1000 and above are the application's).
const CODE: u64 = 0x1002;

fn main(thread: ThreadInfo) -> ! {
    match (thread.count, thread.index) {
        (1, _) => switcher(),
        (_, 0) => worker(),
        _ => spinner(),
    }
}

fn worker() -> ! {
    let mut window = 0u64;
    loop {
        // Every fourth window: with the ticker's line in every frame, a
        // line per window would be more than the 115200-baud console
        // carries.
        if window.is_multiple_of(4) {
            let spinner = process_status(1).ok().and_then(|r| state_of(&r));
            println!("hm-actions: worker window {window}, spinner {spinner:?}");
        }
        window += 1;
        let _ = periodic_wait();
    }
}

fn spinner() -> ! {
    let starts = SPINNER_STARTS.fetch_add(1, Ordering::Relaxed);
    println!("hm-actions: spinner start {starts}, spinning");
    loop {
        core::hint::spin_loop();
    }
}

fn switcher() -> ! {
    let mut window = 0u64;
    loop {
        let duration_us = get_partition_status().map_or(0, |s| s.duration_ns / 1000);
        println!("hm-actions: window {window}, duration {duration_us} us");
        if window == 3 {
            println!("hm-actions: raising application error {CODE}");
            let _ = raise_application_error(CODE, b"hm-actions: overloaded, asking for the degraded schedule");
        }
        window += 1;
        let _ = periodic_wait();
    }
}
