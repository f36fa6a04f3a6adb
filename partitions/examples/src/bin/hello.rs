//! `hello`: the smallest useful partition (partitions/demo.toml), one
//! thread. Greets with its ids, the ABI version and the time, then prints
//! one line per window, sleeping between windows with ARINC 653
//! PERIODIC_WAIT. Each window it also writes its status, `window N, T us`,
//! to its sampling port `status` (if the description gives it one), which
//! the monitor partition reads.
//!
//! Prints (T in microseconds since the module epoch, N from 0 in the first
//! window):
//!
//! ```text
//! hello: partition P thread I of K on core C, ABI 1.3, at T us
//! hello: window N at T us
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{MessageBuf, SamplingSource, ThreadInfo, abi_version, my_ids, periodic_wait, println, time};
use core::fmt::Write;

bulkhead_sdk::partition_main!(main);

fn now_us() -> u64 {
    time().map_or(0, |t| t.now_ns / 1000)
}

fn main(thread: ThreadInfo) -> ! {
    match (my_ids(), abi_version()) {
        (Ok(ids), Ok(v)) => println!(
            "hello: partition {} thread {} of {} on core {}, ABI {}.{}, at {} us",
            ids.partition,
            ids.thread,
            thread.count,
            ids.core,
            v.major,
            v.minor,
            now_us()
        ),
        (ids, v) => println!("hello: MyIds {ids:?}, AbiVersion {v:?}"),
    }
    let status = SamplingSource::new("status").ok();
    let mut window = 0u64;
    loop {
        let now = now_us();
        println!("hello: window {window} at {now} us");
        if let Some(port) = &status {
            let mut m = MessageBuf::<64>::new();
            let _ = write!(m, "window {window}, {now} us");
            let _ = port.write(m.as_bytes());
        }
        window += 1;
        let _ = periodic_wait();
    }
}
