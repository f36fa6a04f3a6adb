//! `hostile-panic`: a Rust panic. The SDK's panic handler prints it and
//! raises an ARINC 653 application error (RAISE_APPLICATION_ERROR, code
//! `bulkhead_sdk::error_code::PANIC` = 1) whose message is the panic's
//! location and text; the `application_error` health action follows
//! (partitions/tests/hostile-panic.toml: restart_partition, so this prints
//! again after each restart with R one higher).
//!
//! Prints (R: restarts so far; L:C the panic's line and column):
//!
//! ```text
//! hostile-panic: panicking (restarts R)
//! panicked at partitions/examples/src/bin/hostile-panic.rs:L:C:
//! hostile-panic: deliberate panic after R restarts
//! ```
//!
//! The application error's message is the last two lines joined with a
//! space (it fits the 128-byte limit, so it is not truncated). Should the health action let the
//! partition go on (`log`), the thread parks in PeriodicWait and prints
//! nothing more.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) -> ! {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-panic: panicking (restarts {restarts})");
    panic!("hostile-panic: deliberate panic after {restarts} restarts");
}
