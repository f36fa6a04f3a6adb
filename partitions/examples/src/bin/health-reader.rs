//! `health-reader`: a system partition that reads the module's health log
//! (the HealthLog hypercall) each window until it is empty and prints every
//! record: the partition, thread and core of the event, its error kind and
//! the action the health monitor took, then the length of its detail text
//! (and whether the record's 96 bytes cut it), when it was handled, and
//! what the log said around it. Test `health-tables`
//! (partitions/tests/health-tables.toml) holds each record to the console's
//! `health:` line of the same event.
//!
//! Before its first read it misuses the call twice (a record length one
//! short, and a record in its own read-only data): both must be refused,
//! and must lose no record.
//!
//! Prints (P, T, C the event's partition id, thread index and core; L the
//! detail's whole length; U records unread after it, D lost before it;
//! N from 0):
//!
//! ```text
//! health-reader: HealthLog, record one byte short: status -2 (InvalidParameter)
//! health-reader: HealthLog, record in its read-only data: status -3 (InvalidAddress)
//! health-reader: partition P thread T core C: KIND -> ACTION
//! health-reader:   detail L bytes (cut at 96|whole), at T us, unread U, lost D
//! health-reader: window N: K records read
//! ```
//! (`health-reader: HealthLog: ERROR FAILED` if a read fails otherwise
//! than `Empty`.)
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{
    Call, HEALTH_DETAIL_SIZE, HEALTH_RECORD_SIZE, Status, ThreadInfo, hvc, periodic_wait, println, read_health_log,
    status_name,
};

bulkhead_sdk::partition_main!(main);

/// A record-sized buffer in read-only data: the kernel must refuse to
/// write it.
static READ_ONLY: [u8; HEALTH_RECORD_SIZE] = [0; HEALTH_RECORD_SIZE];

fn main(_thread: ThreadInfo) -> ! {
    let mut buf = [0u8; HEALTH_RECORD_SIZE];
    let cases = [
        ("record one byte short", buf.as_mut_ptr() as u64, HEALTH_RECORD_SIZE as u64 - 1),
        ("record in its read-only data", READ_ONLY.as_ptr() as u64, HEALTH_RECORD_SIZE as u64),
    ];
    for (what, ptr, len) in cases {
        // SAFETY: the kernel must refuse both calls before it writes a
        // byte; if it wrote anyway, `buf` is ours, and a write to
        // READ_ONLY would be a stage-2 fault, not a corruption.
        let [x0, ..] = unsafe { hvc(Call::HealthLog.id(), [ptr, len, 0, 0, 0, 0]) };
        println!("health-reader: HealthLog, {what}: status {} ({})", x0 as i64, status_name(x0 as i64));
    }
    let mut window = 0u64;
    loop {
        let mut read = 0;
        loop {
            match read_health_log() {
                Ok(entry) => {
                    let r = entry.record;
                    println!(
                        "health-reader: partition {} thread {} core {}: {} -> {}",
                        r.partition,
                        r.thread,
                        r.core,
                        r.kind_name(),
                        r.action_name()
                    );
                    println!(
                        "health-reader:   detail {} bytes ({}), at {} us, unread {}, lost {}",
                        r.detail_len,
                        if r.detail_cut() { "cut at 96" } else { "whole" },
                        r.time_ns / 1000,
                        entry.unread,
                        entry.dropped
                    );
                    debug_assert!(r.detail().len() <= HEALTH_DETAIL_SIZE);
                    read += 1;
                }
                Err(Status::Empty) => break,
                Err(e) => {
                    println!("health-reader: HealthLog: {e:?} FAILED");
                    break;
                }
            }
        }
        if read > 0 {
            println!("health-reader: window {window}: {read} records read");
        }
        window += 1;
        let _ = periodic_wait();
    }
}
