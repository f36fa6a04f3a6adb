//! `control`: the single-thread control loop of partitions/lockstep.toml.
//! Each cycle it reads the lockstep voter's latest command from its
//! sampling port `command` (ARINC 653 READ_SAMPLING_MESSAGE: the message,
//! its age, and whether it is within the channel's refresh period) and
//! counts what it found. Every `REPORT` cycles it sends a summary to the
//! supervisor over its queuing port `events`, and at once when a command
//! turns stale or says the lanes disagree. Without the ports (a
//! description that does not give them) it only keeps its rhythm.
//!
//! Prints (N from 0, T in microseconds since the module epoch):
//!
//! ```text
//! control: cycle N at T us
//! ```
//! Sends (each one queuing message, text):
//! `control: cycle N: K of 100 commands valid, latest from window W, value V, age A us`,
//! `control: cycle N: command stale (age A us)` / `... no command yet`,
//! `control: cycle N: lanes disagreed in window W`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{MessageBuf, QueuingSource, SamplingDestination, Status, ThreadInfo, periodic_wait, println, time};
use core::fmt::Write;

bulkhead_sdk::partition_main!(main);

/// Cycles between two summaries.
const REPORT: u64 = 100;

fn main(_thread: ThreadInfo) -> ! {
    let command = SamplingDestination::new("command").ok();
    let events = QueuingSource::new("events").ok();
    let mut cycle = 0u64;
    let (mut valid, mut was_valid) = (0u64, true);
    let mut latest = (0u64, 0u32, 0u64);
    loop {
        let now_us = time().map_or(0, |t| t.now_ns / 1000);
        println!("control: cycle {cycle} at {now_us} us");
        if let (Some(command), Some(events)) = (&command, &events) {
            let mut buf = [0u8; 32];
            let mut event = MessageBuf::<256>::new();
            match command.read(&mut buf) {
                Ok(s) => {
                    let window = u64::from_le_bytes(buf[..8].try_into().unwrap_or_default());
                    let value = u32::from_le_bytes(buf[8..12].try_into().unwrap_or_default());
                    latest = (window, value, s.age_ns / 1000);
                    if s.valid {
                        valid += 1;
                    } else if was_valid {
                        let _ = write!(event, "control: cycle {cycle}: command stale (age {} us)", s.age_ns / 1000);
                    }
                    if buf[12] == 0 {
                        let _ = write!(event, "control: cycle {cycle}: lanes disagreed in window {window}");
                    }
                    was_valid = s.valid;
                }
                Err(Status::Empty) if cycle > 0 && was_valid => {
                    let _ = write!(event, "control: cycle {cycle}: no command yet");
                    was_valid = false;
                }
                Err(_) => {}
            }
            if event.as_bytes().is_empty() && cycle % REPORT == REPORT - 1 {
                let _ = write!(
                    event,
                    "control: cycle {cycle}: {valid} of {REPORT} commands valid, latest from window {}, value {:#x}, age {} us",
                    latest.0, latest.1, latest.2
                );
                valid = 0;
            }
            if !event.as_bytes().is_empty() {
                // Never wait: a supervisor that has fallen behind loses
                // summaries, counted in the port's overflows.
                let _ = events.send(event.as_bytes(), 0);
            }
        }
        cycle += 1;
        let _ = periodic_wait();
    }
}
