//! `multicore`: four threads, one per core (partitions/demo.toml), running
//! in parallel in the partition's window (DESIGN.md, scheduling rule 1).
//! Each thread prints one line per window and sleeps with ARINC 653
//! PERIODIC_WAIT; the core comes from MyIds each time, so a migrated thread
//! shows its new core.
//!
//! Prints, per thread I (N from 0 in the first window):
//!
//! ```text
//! multicore: thread I on core C, window N
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, my_ids, periodic_wait, println};

bulkhead_sdk::partition_main!(main);

fn main(thread: ThreadInfo) -> ! {
    let mut window = 0u64;
    loop {
        match my_ids() {
            Ok(ids) => println!("multicore: thread {} on core {}, window {window}", thread.index, ids.core),
            Err(e) => println!("multicore: thread {}: MyIds failed: {e:?}", thread.index),
        }
        window += 1;
        let _ = periodic_wait();
    }
}
