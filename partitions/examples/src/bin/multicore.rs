//! `multicore`: four threads, one per core (partitions/demo.toml), running
//! in parallel in the partition's window (docs/DESIGN.md#scheduling-rule-1).
//! Each thread prints one line per window and sleeps with ARINC 653
//! PERIODIC_WAIT; the core comes from MyIds each time, so a migrated thread
//! shows its new core.
//!
//! Prints, per thread I (N from 0 in the first window):
//!
//! ```text
//! multicore: thread I on core C, window N at T us
//! ```
//!
//! T is read with the GetTime hypercall in the window, so a test can check
//! that every thread runs only inside its partition's windows.
//!
//! Each window the four threads also sum a quarter each of `1..=1000 + N`,
//! in parallel, and thread 0 (waiting for the others with WFE, woken by
//! their SEV) sends the total, `window N: sum S from 4 cores`, over the
//! queuing port `results` (without waiting: if the monitor has fallen
//! behind, the port counts the refusal), when the description gives it.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{
    MessageBuf, QueuingSource, ThreadInfo, my_ids, periodic_wait, println, send_event, time, wait_for_event,
};
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

/// Each thread's partial sum of this window: `window << 40 | sum`.
static PARTIAL: [AtomicU64; 4] = [const { AtomicU64::new(u64::MAX) }; 4];

/// Thread `i` of `n`'s share of `1..=1000 + window`.
fn partial(i: u64, n: u64, window: u64) -> u64 {
    let top = 1000 + window;
    let (from, to) = (top * i / n + 1, top * (i + 1) / n);
    (from..=to).sum()
}

/// Thread 0: the total once every thread posted this window's part, if
/// they do before the window is nearly over.
fn total(n: usize, window: u64) -> Option<u64> {
    loop {
        let parts: Option<u64> = PARTIAL[..n]
            .iter()
            .map(|p| p.load(Ordering::Acquire))
            .map(|p| (p >> 40 == window).then_some(p & ((1 << 40) - 1)))
            .sum();
        if parts.is_some() {
            return parts;
        }
        if time().map_or(true, |t| t.window_remaining_ns() < 500_000) {
            return None;
        }
        wait_for_event();
    }
}

bulkhead_sdk::partition_main!(main);

fn main(thread: ThreadInfo) -> ! {
    let results = if thread.index == 0 { QueuingSource::new("results").ok() } else { None };
    let n = (thread.count as usize).min(PARTIAL.len());
    let mut window = 0u64;
    loop {
        let now_us = time().map_or(0, |t| t.now_ns / 1000);
        match my_ids() {
            Ok(ids) => {
                println!("multicore: thread {} on core {}, window {window} at {now_us} us", thread.index, ids.core)
            }
            Err(e) => println!("multicore: thread {}: MyIds failed: {e:?}", thread.index),
        }
        let i = thread.index as usize;
        if i < n {
            PARTIAL[i].store(window << 40 | partial(i as u64, n as u64, window), Ordering::Release);
            send_event();
        }
        if let Some(port) = &results
            && let Some(sum) = total(n, window)
        {
            let mut m = MessageBuf::<128>::new();
            let _ = write!(m, "window {window}: sum {sum} from {n} cores");
            let _ = port.send(m.as_bytes(), 0);
        }
        window += 1;
        let _ = periodic_wait();
    }
}
