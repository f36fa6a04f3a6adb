//! `multicore`: four threads, one per core (partitions/demo.toml), running
//! in parallel in the partition's window (docs/DESIGN.md#scheduling-rule-1).
//! Each thread prints one line per window and sleeps with ARINC 653
//! PERIODIC_WAIT; the core comes from MyIds each time, so a migrated thread
//! shows its new core.
//!
//! Prints, per thread I (N from 0 in the first window):
//!
//! ```text
//! multicore: thread I on core C, window N at T us
//! ```
//!
//! T is read with the GetTime hypercall in the window, so a test can check
//! that every thread runs only inside its partition's windows.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, my_ids, periodic_wait, println, time};

bulkhead_sdk::partition_main!(main);

fn main(thread: ThreadInfo) -> ! {
    let mut window = 0u64;
    loop {
        let now_us = time().map_or(0, |t| t.now_ns / 1000);
        match my_ids() {
            Ok(ids) => {
                println!("multicore: thread {} on core {}, window {window} at {now_us} us", thread.index, ids.core)
            }
            Err(e) => println!("multicore: thread {}: MyIds failed: {e:?}", thread.index),
        }
        window += 1;
        let _ = periodic_wait();
    }
}
