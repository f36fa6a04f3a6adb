//! `deadliner`: a periodic process that overruns its deadline on purpose
//! (partitions/tests/deadline-miss.toml: period 10 ms, time capacity
//! 2 ms, in a 4 ms window at the start of each 10 ms frame).
//!
//! Release k (k = 0, 1, ...): for odd k up to 11 it works 3 ms, past its
//! deadline; for k = 2, 6, 10 it first asks REPLENISH for 5 ms, then works
//! 3 ms, within the new deadline; otherwise it works a little. After
//! release 13 it says it is done and goes on working a little per release.
//!
//! Prints:
//!
//! ```text
//! deadliner: release K: overrun|replenished to D ns|on time
//! deadliner: done
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::process::replenish;
use bulkhead_sdk::{ThreadInfo, periodic_wait, println, time};

bulkhead_sdk::partition_main!(main);

/// Spins until `ns` of module time have passed.
fn work(ns: u64) {
    let start = time().map_or(0, |t| t.now_ns);
    while time().map_or(u64::MAX, |t| t.now_ns) < start + ns {
        core::hint::spin_loop();
    }
}

fn main(_thread: ThreadInfo) -> ! {
    let mut k = 0u64;
    loop {
        match k {
            1 | 3 | 5 | 7 | 9 | 11 => {
                println!("deadliner: release {k}: overrun");
                work(3_000_000);
            }
            2 | 6 | 10 => match replenish(5_000_000) {
                Ok(d) => {
                    println!("deadliner: release {k}: replenished to {d} ns");
                    work(3_000_000);
                }
                Err(e) => println!("deadliner: release {k}: replenish failed: {e:?}"),
            },
            13 => println!("deadliner: done"),
            _ => {
                println!("deadliner: release {k}: on time");
                work(100_000);
            }
        }
        k += 1;
        let _ = periodic_wait();
    }
}
