//! `defmt-hello`: defmt logging from a partition
//! (partitions/tests/defmt-hello.toml). Two threads, on cores 0 and 1, log
//! through the SDK's `defmt` logger: each frame is one ConsoleFrame
//! hypercall, one `@...` console line, decoded on the host by
//! `bulkhead log` with this image's ELF. The `defmt-log` QEMU test checks
//! what a user would then read.
//!
//! Logs, per thread I (N from 0 in the first window; U the microseconds
//! left in the window), as `bulkhead log` prints them:
//!
//! ```text
//! [defmt-hello:THREAD@CORE] S.UUUUUU INFO  thread I tick N, U us left in the window
//! [defmt-hello:THREAD@CORE] S.UUUUUU WARN  thread I: tick N is a multiple of 4 (load 0.25)
//! ```
//!
//! the WARN line every fourth tick, with N / 16 as a float.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, periodic_wait, time};

bulkhead_sdk::partition_main!(main);

fn main(thread: ThreadInfo) -> ! {
    let mut tick = 0u32;
    loop {
        let left_us = time().map_or(0, |t| t.window_remaining_ns() / 1000);
        defmt::info!("thread {=u32} tick {=u32}, {=u64} us left in the window", thread.index, tick, left_us);
        if tick.is_multiple_of(4) {
            defmt::warn!(
                "thread {=u32}: tick {=u32} is a multiple of 4 (load {=f32})",
                thread.index,
                tick,
                tick as f32 / 16.0
            );
        }
        tick += 1;
        let _ = periodic_wait();
    }
}
