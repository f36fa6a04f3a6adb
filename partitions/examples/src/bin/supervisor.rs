//! `supervisor`: the system partition of partitions/lockstep.toml. Until
//! the ABI has the health log and schedule switching it reports its
//! partition status (ARINC 653 GET_PARTITION_STATUS) each window and sleeps
//! with PERIODIC_WAIT.
//!
//! Prints (N from 0, T in microseconds since the module epoch):
//!
//! ```text
//! supervisor: window N at T us, restarts R, system true
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, partition_status, periodic_wait, println, time};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) -> ! {
    let mut window = 0u64;
    loop {
        let now_us = time().map_or(0, |t| t.now_ns / 1000);
        match partition_status() {
            Ok(s) => {
                println!("supervisor: window {window} at {now_us} us, restarts {}, system {}", s.restarts, s.system)
            }
            Err(e) => println!("supervisor: window {window} at {now_us} us, PartitionStatus failed: {e:?}"),
        }
        window += 1;
        let _ = periodic_wait();
    }
}
