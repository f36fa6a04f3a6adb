//! `monitor`: the system partition of partitions/demo.toml, one thread.
//! Each window it prints its ids, its ARINC 653 partition status
//! (GET_PARTITION_STATUS: operating mode, restarts, system flag) and the
//! time, then what came over its ports since its last window: hello's
//! latest status (sampling port `hello_status`: the message, its age, and
//! whether it is within the refresh period) and multicore's results
//! (queuing port `results`, drained without waiting). Then it sleeps with
//! PERIODIC_WAIT. (`health-reader` shows how a system partition reads the health log.)
//!
//! Prints (N from 0 in the first window, T in microseconds, MODE one of
//! Idle, ColdStart, WarmStart, Normal):
//!
//! ```text
//! monitor: window N at T us: partition P thread I on core C, mode MODE, restarts R, system true
//! monitor: hello's status "window W, T us", age A us, valid|stale
//! monitor: K results from multicore, latest "window W: sum S from 4 cores"
//! ```
//! (`monitor: no status from hello yet`, `monitor: no result from
//! multicore since the last window` when there is none.)
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{
    QueuingDestination, SamplingDestination, Status, ThreadInfo, my_ids, partition_status, periodic_wait, println, time,
};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) -> ! {
    let hello = SamplingDestination::new("hello_status").ok();
    let results = QueuingDestination::new("results").ok();
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
        if let Some(hello) = &hello {
            let mut buf = [0u8; 64];
            match hello.read(&mut buf) {
                Ok(s) => println!(
                    "monitor: hello's status \"{}\", age {} us, {}",
                    core::str::from_utf8(&buf[..s.len]).unwrap_or("(not text)"),
                    s.age_ns / 1000,
                    if s.valid { "valid" } else { "stale" }
                ),
                Err(Status::Empty) => println!("monitor: no status from hello yet"),
                Err(e) => println!("monitor: reading hello's status: {e:?}"),
            }
        }
        if let Some(results) = &results {
            let (mut buf, mut latest, mut count) = ([0u8; 128], [0u8; 128], 0);
            let mut len = 0;
            while let Ok(n) = results.receive(&mut buf, 0) {
                latest = buf;
                len = n;
                count += 1;
            }
            if count == 0 {
                println!("monitor: no result from multicore since the last window");
            } else {
                println!(
                    "monitor: {count} results from multicore, latest \"{}\"",
                    core::str::from_utf8(&latest[..len]).unwrap_or("(not text)")
                );
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
