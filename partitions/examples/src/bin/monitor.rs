//! `monitor`: the system partition of partitions/demo.toml, one thread.
//! Each window it prints its ids, its ARINC 653 partition status
//! (GET_PARTITION_STATUS: operating mode, restarts, system flag) and the
//! time, then sleeps with PERIODIC_WAIT. (Reading the health log and the
//! ports comes when the ABI has those calls.)
//!
//! Prints (N from 0 in the first window, T in microseconds, MODE one of
//! Idle, ColdStart, WarmStart, Normal):
//!
//! ```text
//! monitor: window N at T us: partition P thread I on core C, mode MODE, restarts R, system true
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, my_ids, partition_status, periodic_wait, println, time};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) -> ! {
    let mut window = 0u64;
    loop {
        let now_us = time().map_or(0, |t| t.now_ns / 1000);
        match (my_ids(), partition_status()) {
            (Ok(ids), Ok(status)) => {
                let mode = status.mode();
                println!(
                    "monitor: window {window} at {now_us} us: partition {} thread {} on core {}, mode {}, restarts {}, system {}",
                    ids.partition,
                    ids.thread,
                    ids.core,
                    ModeName(mode, status.mode_raw),
                    status.restarts,
                    status.system
                );
            }
            (ids, status) => {
                println!("monitor: window {window} at {now_us} us: MyIds {ids:?}, PartitionStatus {status:?}")
            }
        }
        window += 1;
        let _ = periodic_wait();
    }
}

/// A mode as its ARINC 653 name, or the raw value the ABI does not define.
struct ModeName(Option<bulkhead_sdk::PartitionMode>, u64);

impl core::fmt::Display for ModeName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(mode) => write!(f, "{mode:?}"),
            None => write!(f, "unknown ({})", self.1),
        }
    }
}
