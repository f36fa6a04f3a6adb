//! `supervisor`: the system partition of partitions/lockstep.toml. It
//! reports its partition status (ARINC 653 GET_PARTITION_STATUS) each
//! window, and passes on every event the control partition sent it over
//! its queuing port `events` since its last window.
//!
//! Prints (N from 0, T in microseconds since the module epoch):
//!
//! ```text
//! supervisor: window N at T us, restarts R, system true
//! supervisor: from control: <the event's text>
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{QueuingDestination, ThreadInfo, partition_status, periodic_wait, println, time};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) -> ! {
    let events = QueuingDestination::new("events").ok();
    let mut window = 0u64;
    loop {
        let now_us = time().map_or(0, |t| t.now_ns / 1000);
        match partition_status() {
            Ok(s) => {
                println!("supervisor: window {window} at {now_us} us, restarts {}, system {}", s.restarts, s.system)
            }
            Err(e) => println!("supervisor: window {window} at {now_us} us, PartitionStatus failed: {e:?}"),
        }
        if let Some(events) = &events {
            let mut buf = [0u8; 256];
            while let Ok(len) = events.receive(&mut buf, 0) {
                let text = core::str::from_utf8(&buf[..len]).unwrap_or("(not text)");
                println!("supervisor: from {text}");
            }
        }
        window += 1;
        let _ = periodic_wait();
    }
}
