//! `port-sampler`: the source of the sampling-port test
//! (partitions/tests/ports-sampling.toml). At the start of each of its
//! first `WRITES` windows it writes message M (M = 0, 1, ...: 8 bytes, M
//! little endian) to its sampling port `out`, multicast to two readers;
//! then it stops writing, so the readers see the last message age past the
//! channel's refresh period and turn invalid. With each it writes message
//! M to `wide-out` too: `wide::wide_message`'s bytes, from a buffer M bytes
//! past a word boundary (mod 8).
//!
//! Prints:
//!
//! ```text
//! port-sampler: writing WRITES messages to out, one per window
//! port-sampler: wrote WRITES messages, now silent
//! ```
//! or `port-sampler: FAILED: <call>: <status>`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

#[path = "../wide.rs"]
mod wide;

use bulkhead_sdk::{SamplingSource, ThreadInfo, periodic_wait, println, status_name};

bulkhead_sdk::partition_main!(main);

/// Windows in which it writes.
const WRITES: u64 = 20;

fn main(_thread: ThreadInfo) -> ! {
    match SamplingSource::new("out").and_then(|out| Ok((out, SamplingSource::new("wide-out")?))) {
        Ok((out, wide)) => {
            println!("port-sampler: writing {WRITES} messages to out, one per window");
            let mut buf = wide::Aligned([0; wide::WIDE + 8]);
            for m in 0..WRITES {
                if let Err(s) = out.write(&m.to_le_bytes()) {
                    println!("port-sampler: FAILED: write: {}", status_name(s.raw()));
                    break;
                }
                let (message, len) = wide::wide_message(m as u8);
                let offset = m as usize % 8;
                let bytes = &mut buf.0[offset..offset + len];
                bytes.copy_from_slice(&message[..len]);
                if let Err(s) = wide.write(bytes) {
                    println!("port-sampler: FAILED: write wide-out: {}", status_name(s.raw()));
                    break;
                }
                let _ = periodic_wait();
            }
            println!("port-sampler: wrote {WRITES} messages, now silent");
        }
        Err(s) => println!("port-sampler: FAILED: ports: {}", status_name(s.raw())),
    }
    loop {
        let _ = periodic_wait();
    }
}
