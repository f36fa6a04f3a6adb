//! `port-consumer`: the receiving end of the queuing-port test
//! (partitions/tests/ports-queue.toml).
//!
//! Thread 0 (core 2) receives from its queuing port `rx`, waiting for
//! ever when the queue is empty: the producer's messages arrive in the
//! producer's window, and the kernel makes this thread ready for its own
//! next window. It checks every message is the next sequence number (none
//! lost, none duplicated, order kept) until the end marker (`u64::MAX`).
//! For the first `WAKES` windows in which it had to wait, it reports when
//! the message reached it, relative to its window.
//!
//! Thread 1 (core 3) receives from `silent`, whose sender never sends,
//! with a timeout: once with the deadline inside its window, once with the
//! deadline past its window's end, each `TIMEOUTS` times.
//!
//! Prints (times in ns since the epoch; `end` is the end of the window the
//! call was made in):
//!
//! ```text
//! port-consumer: receiving over rx
//! port-consumer: woken with message N at T, window end E
//! port-consumer: N messages in order, none lost or duplicated, then the end marker
//! port-consumer: timeout of D ns from T0 (window end E): <status> at T1
//! ```
//! or `port-consumer: FAILED: ...`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{
    INFINITE, QueuingDestination, Status, ThreadInfo, periodic_wait, println, status_name, time, timed_wait,
};

bulkhead_sdk::partition_main!(main);

/// Windows whose wake-up is reported.
const WAKES: u32 = 5;
/// Timed receives of each kind.
const TIMEOUTS: u32 = 3;
/// The timeout of a timed receive, ns.
const TIMEOUT_NS: u64 = 300_000;

fn failed(what: &str, status: Status) -> ! {
    println!("port-consumer: FAILED: {what}: {}", status_name(status.raw()));
    park()
}

fn park() -> ! {
    loop {
        let _ = periodic_wait();
    }
}

fn now() -> bulkhead_sdk::Time {
    time().unwrap_or_else(|s| failed("time", s))
}

fn main(thread: ThreadInfo) -> ! {
    if thread.index == 1 {
        timeouts();
    }
    let rx = QueuingDestination::new("rx").unwrap_or_else(|s| failed("port rx", s));
    println!("port-consumer: receiving over rx");
    let mut buf = [0u8; 8];
    let (mut expected, mut wakes) = (0u64, 0u32);
    loop {
        // Poll first: an empty queue means this receive waits.
        let (len, waited) = match rx.receive(&mut buf, 0) {
            Ok(len) => (len, false),
            Err(Status::Empty) => (rx.receive(&mut buf, INFINITE).unwrap_or_else(|s| failed("receive", s)), true),
            Err(s) => failed("poll", s),
        };
        if len != 8 {
            println!("port-consumer: FAILED: message {expected} has {len} bytes, not 8");
            park();
        }
        let seq = u64::from_le_bytes(buf);
        if waited && wakes < WAKES {
            let t = now();
            println!("port-consumer: woken with message {seq} at {}, window end {}", t.now_ns, t.window_end_ns);
            wakes += 1;
        }
        if seq == u64::MAX {
            println!("port-consumer: {expected} messages in order, none lost or duplicated, then the end marker");
            park();
        }
        if seq != expected {
            println!("port-consumer: FAILED: message {seq} where {expected} was due");
            park();
        }
        expected += 1;
    }
}

/// Timed receives on a port nobody sends to.
fn timeouts() -> ! {
    let silent = QueuingDestination::new("silent").unwrap_or_else(|s| failed("port silent", s));
    let mut buf = [0u8; 8];
    for _ in 0..TIMEOUTS {
        // Deadline inside the window: start at the window's start.
        let _ = periodic_wait();
        timed_receive(&silent, &mut buf);
        // Deadline past the window's end: start a third of the timeout
        // before it.
        let t = now();
        let _ = timed_wait(t.window_remaining_ns().saturating_sub(TIMEOUT_NS / 3));
        timed_receive(&silent, &mut buf);
    }
    park()
}

fn timed_receive(port: &QueuingDestination, buf: &mut [u8]) {
    let t0 = now();
    let status = match port.receive(buf, TIMEOUT_NS) {
        Ok(_) => "Success",
        Err(s) => status_name(s.raw()),
    };
    let t1 = now();
    println!(
        "port-consumer: timeout of {TIMEOUT_NS} ns from {} (window end {}): {status} at {}",
        t0.now_ns, t0.window_end_ns, t1.now_ns
    );
}
