//! `control`: the single-thread control loop of partitions/lockstep.toml.
//! Until the ABI has ports it prints one line per window and sleeps with
//! ARINC 653 PERIODIC_WAIT.
//!
//! Prints (N from 0, T in microseconds since the module epoch):
//!
//! ```text
//! control: cycle N at T us
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, periodic_wait, println, time};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) -> ! {
    let mut cycle = 0u64;
    loop {
        let now_us = time().map_or(0, |t| t.now_ns / 1000);
        println!("control: cycle {cycle} at {now_us} us");
        cycle += 1;
        let _ = periodic_wait();
    }
}
