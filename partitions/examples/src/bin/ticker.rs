//! `ticker`: a well-behaved one-thread partition, the bystander of every
//! isolation test (partitions/tests/*.toml). Whatever the hostile partition
//! beside it does, its ticks must go on, one per window, with no gap.
//!
//! Prints (N from 0 in the first window, T in microseconds since the
//! module epoch):
//!
//! ```text
//! ticker: tick N at T us
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, periodic_wait, println, time};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) -> ! {
    let mut tick = 0u64;
    loop {
        let now_us = time().map_or(0, |t| t.now_ns / 1000);
        println!("ticker: tick {tick} at {now_us} us");
        tick += 1;
        let _ = periodic_wait();
    }
}
