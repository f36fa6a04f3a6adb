//! `console-span`: writes to the console across the end of its window.
//!
//! A `ConsoleWrite` that is still copying when the caller's window ends is
//! stopped by the kernel and continued when the thread next runs (the ABI
//! reference, ConsoleWrite). This partition times a whole 1,024-byte call
//! once, in the middle of a window, then starts each of its calls half that
//! time before its window's end, every fourth window, so the kernel must cut
//! and continue them. Each call is 16 numbered lines of 64 bytes; the test
//! checks that every line comes out once, whole and in order, that every
//! call reports all its bytes taken, and that the bystander keeps its time.
//!
//! Prints (R: restarts so far; C: call number from 0; L: line 0..15 of the
//! call, padded with dots to 63 characters; K: calls still running when
//! their window ended):
//!
//! ```text
//! console-span: writing across window ends (restarts R)
//! console-span: call C line L ......
//! console-span: 12 calls of 1024 bytes: 12 reported whole, K continued past the end of their window
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use core::fmt::Write;

use bulkhead_sdk::{
    MAX_CONSOLE_WRITE, MessageBuf, ThreadInfo, console_write, partition_status, periodic_wait, println, time,
};

bulkhead_sdk::partition_main!(main);

/// Calls timed to straddle a window's end (after the one timed call 0).
const CALLS: u32 = 12;
const LINE: usize = 64;

/// Call `call`'s 16 lines: "console-span: call C line L " and dots, `\n`.
fn fill(buf: &mut [u8; MAX_CONSOLE_WRITE], call: u32) {
    for (l, slot) in buf.chunks_mut(LINE).enumerate() {
        let mut head = MessageBuf::<LINE>::new();
        let _ = write!(head, "console-span: call {call} line {l} ");
        slot.fill(b'.');
        slot[..head.as_bytes().len()].copy_from_slice(head.as_bytes());
        slot[LINE - 1] = b'\n';
    }
}

fn main(_thread: ThreadInfo) -> ! {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("console-span: writing across window ends (restarts {restarts})");
    let mut buf = [0u8; MAX_CONSOLE_WRITE];
    // Call 0, at the start of a window: how long a whole call takes here.
    let _ = periodic_wait();
    fill(&mut buf, 0);
    let t0 = time().map_or(0, |t| t.now_ns);
    let _ = console_write(&buf);
    let took = time().map_or(0, |t| t.now_ns) - t0;
    let (mut whole, mut continued) = (0, 0);
    for call in 1..=CALLS {
        // Every fourth window: the console drains the lines in between.
        for _ in 0..4 {
            let _ = periodic_wait();
        }
        fill(&mut buf, call);
        let end = time().map_or(0, |t| t.window_end_ns);
        while time().map_or(u64::MAX, |t| t.now_ns) < end - took / 2 {}
        let n = console_write(&buf);
        if n == Ok(MAX_CONSOLE_WRITE) {
            whole += 1;
        }
        if time().map_or(0, |t| t.now_ns) >= end {
            continued += 1;
        }
    }
    println!(
        "console-span: {CALLS} calls of {MAX_CONSOLE_WRITE} bytes: {whole} reported whole, {continued} continued past the end of their window"
    );
    loop {
        let _ = periodic_wait();
    }
}
