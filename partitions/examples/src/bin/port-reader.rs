//! `port-reader`: a destination of the sampling-port test
//! (partitions/tests/ports-sampling.toml; two partitions run this image).
//! At the start of each of its first `READS` windows it reads its sampling
//! port `in` and prints what it found; then its port's status.
//!
//! Prints (K: read number from 0; M: the message, as the sampler numbers
//! them; A: its age in ns; V: 1 valid, 0 invalid):
//!
//! ```text
//! port-reader: read K: Empty
//! port-reader: read K: message M, age A ns, valid V
//! port-reader: status: 1 message, refresh period P ns, last age A ns, validity V
//! ```
//! or `port-reader: FAILED: <call>: <status>`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{SamplingDestination, Status, ThreadInfo, periodic_wait, println, status_name};

bulkhead_sdk::partition_main!(main);

/// Windows in which it reads: the sampler writes in 20, then is silent.
const READS: u32 = 26;

fn main(_thread: ThreadInfo) -> ! {
    match SamplingDestination::new("in") {
        Ok(port) => read(&port),
        Err(s) => println!("port-reader: FAILED: port in: {}", status_name(s.raw())),
    }
    loop {
        let _ = periodic_wait();
    }
}

fn read(port: &SamplingDestination) {
    let mut buf = [0u8; 8];
    for k in 0..READS {
        match port.read(&mut buf) {
            Ok(s) if s.len == 8 => {
                let m = u64::from_le_bytes(buf);
                println!("port-reader: read {k}: message {m}, age {} ns, valid {}", s.age_ns, u8::from(s.valid));
            }
            Ok(s) => println!("port-reader: FAILED: read {k}: {} bytes, not 8", s.len),
            Err(Status::Empty) => println!("port-reader: read {k}: Empty"),
            Err(s) => println!("port-reader: FAILED: read {k}: {}", status_name(s.raw())),
        }
        let _ = periodic_wait();
    }
    match port.status() {
        Ok(s) => println!(
            "port-reader: status: {} message, refresh period {} ns, last age {} ns, validity {}",
            s.messages, s.refresh_period_ns, s.last_message_age_ns, s.validity
        ),
        Err(s) => println!("port-reader: FAILED: status: {}", status_name(s.raw())),
    }
}
