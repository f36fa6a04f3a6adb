//! `hostile-flood`: floods the console. Every call writes 1,024 newlines
//! (1,024 empty lines, each of which the console prefixes with
//! `[hostile-flood:main@C] `), in a loop, to the end of its window and in
//! every window. The console must drop what does not fit its buffer and
//! say so, the bystander's lines must still get out, and no boundary may
//! come later: a `ConsoleWrite` is a copy into a bounded buffer, never a
//! wait for the 115200-baud line.
//!
//! Prints once (R: restarts so far), then empty lines:
//!
//! ```text
//! hostile-flood: flooding the console (restarts R)
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{MAX_CONSOLE_WRITE, ThreadInfo, console_write, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) -> ! {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-flood: flooding the console (restarts {restarts})");
    let newlines = [b'\n'; MAX_CONSOLE_WRITE];
    loop {
        let _ = console_write(&newlines);
    }
}
