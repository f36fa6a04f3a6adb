//! `port-producer`: the sending end of the queuing-port test
//! (partitions/tests/ports-queue.toml), on core 0.
//!
//! 1. Sends `MESSAGES` messages, each its sequence number (8 bytes, little
//!    endian), over its queuing port `tx`, waiting for room whenever the
//!    queue is full (timeout INFINITE): the receiver drains it in its own
//!    windows, so nothing is lost and the sender never spins.
//! 2. Makes the receiver fall behind: sends without waiting (timeout 0),
//!    numbering on, until `REFUSALS` sends came back `Full`; the queue's
//!    status must count exactly those refusals as overflows.
//! 3. Sends the end marker (`u64::MAX`), waiting for room.
//!
//! Prints (A: messages the queue took in step 2; R: refusals counted by
//! this partition; O: overflows the port status reports):
//!
//! ```text
//! port-producer: sending 100000 messages over tx (depth D)
//! port-producer: sent 100000 messages, waiting for room when full
//! port-producer: then A more before R sends were refused; the port counts O overflows
//! port-producer: end marker sent
//! ```
//! or `port-producer: FAILED: <call>: <status>`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{INFINITE, QueuingSource, Status, ThreadInfo, periodic_wait, println, status_name};

bulkhead_sdk::partition_main!(main);

/// Messages of step 1.
const MESSAGES: u64 = 100_000;
/// Refusals step 2 waits for.
const REFUSALS: u64 = 100;

fn failed(what: &str, status: Status) -> ! {
    println!("port-producer: FAILED: {what}: {}", status_name(status.raw()));
    loop {
        let _ = periodic_wait();
    }
}

fn main(_thread: ThreadInfo) -> ! {
    let tx = QueuingSource::new("tx").unwrap_or_else(|s| failed("port tx", s));
    let depth = tx.status().unwrap_or_else(|s| failed("status of tx", s)).depth;
    println!("port-producer: sending {MESSAGES} messages over tx (depth {depth})");
    for seq in 0..MESSAGES {
        tx.send(&seq.to_le_bytes(), INFINITE).unwrap_or_else(|s| failed("send", s));
    }
    println!("port-producer: sent {MESSAGES} messages, waiting for room when full");
    let (mut seq, mut refused) = (MESSAGES, 0u64);
    while refused < REFUSALS {
        match tx.send(&seq.to_le_bytes(), 0) {
            Ok(()) => seq += 1,
            Err(Status::Full) => refused += 1,
            Err(s) => failed("send without waiting", s),
        }
    }
    let overflows = tx.status().unwrap_or_else(|s| failed("status of tx", s)).overflows;
    println!(
        "port-producer: then {} more before {refused} sends were refused; the port counts {overflows} overflows",
        seq - MESSAGES
    );
    tx.send(&u64::MAX.to_le_bytes(), INFINITE).unwrap_or_else(|s| failed("send end marker", s));
    println!("port-producer: end marker sent");
    loop {
        let _ = periodic_wait();
    }
}
