//! `spinner`: a CPU-bound partition, the background load of every timing
//! test. Each thread says once where it runs, then never waits, never
//! calls the kernel and never ends: it sweeps a buffer of its own memory
//! (cache and memory traffic, the interference CAST-32A is about) until
//! the kernel takes its core back at the end of its window, and goes on
//! from there in its next window. On as many cores as the system
//! description places its threads.
//!
//! Prints once per thread (I: thread index, R: restarts so far):
//!
//! ```text
//! spinner: thread I spinning (restarts R)
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, partition_status, println};
use core::sync::atomic::{AtomicU64, Ordering};

bulkhead_sdk::partition_main!(main);

/// Bytes each thread sweeps: larger than an A72's 32 KiB L1 data cache,
/// so the sweep reaches the shared L2 and memory.
const SWEEP: usize = 64 * 1024;
/// Threads with a buffer of their own (more share by index modulo this).
const BUFFERS: usize = 4;
/// Words of a buffer; one is written per 64-byte cache line.
const WORDS: usize = SWEEP / 8;

/// The sweep buffers, one per thread, in the partition's .bss (relaxed
/// atomics: plain stores, no unsafe code).
static BUFFER: [[AtomicU64; WORDS]; BUFFERS] = [const { [const { AtomicU64::new(0) }; WORDS] }; BUFFERS];

fn main(thread: ThreadInfo) -> ! {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("spinner: thread {} spinning (restarts {restarts})", thread.index);
    let buffer = &BUFFER[thread.index as usize % BUFFERS];
    let mut value = 0u64;
    loop {
        value = value.wrapping_add(1);
        for word in buffer.iter().step_by(8) {
            word.store(value, Ordering::Relaxed);
        }
    }
}
