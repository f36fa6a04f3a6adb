//! `lockstep`: the three-thread partition of partitions/lockstep.toml
//! (lane_a on core 0, lane_b on core 1, voter on core 3), running in
//! parallel in each window.
//!
//! Each lane computes the same value from the window number (a stand-in
//! for a redundant computation) and posts it in the partition's own
//! memory; the voter waits for both lanes' results of this window (WFE,
//! woken by the lanes' SEV, or until 1 ms before its window ends),
//! compares them and writes the command `(window, value, lanes agree)` to
//! its sampling port `command`, which the control partition reads.
//!
//! Prints, per thread I (0 lane_a, 1 lane_b, 2 voter; N from 0):
//!
//! ```text
//! lockstep: thread I on core C, window N
//! ```
//! and, from the voter, only when something is wrong:
//! `lockstep: window N: lanes disagree (A vs B)` or
//! `lockstep: window N: a lane did not report in time` or
//! `lockstep: cannot write command: <status>`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use core::sync::atomic::{AtomicU64, Ordering};

use bulkhead_sdk::{SamplingSource, ThreadInfo, my_ids, periodic_wait, println, send_event, time, wait_for_event};

bulkhead_sdk::partition_main!(main);

/// Each lane's latest result: `window << 32 | value`.
static RESULT: [AtomicU64; 2] = [AtomicU64::new(u64::MAX), AtomicU64::new(u64::MAX)];

/// The voter gives the lanes until this long before its window's end.
const VOTE_MARGIN_NS: u64 = 1_000_000;

/// The lanes' computation: a few thousand instructions, the same on both.
fn compute(window: u64) -> u32 {
    let v = (0..2000u64).fold(window, |a, i| a.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
    (v >> 32) as u32
}

/// The command the voter writes: window, value, 1 if the lanes agreed.
pub fn encode(window: u64, value: u32, agree: bool) -> [u8; 16] {
    let mut m = [0u8; 16];
    m[..8].copy_from_slice(&window.to_le_bytes());
    m[8..12].copy_from_slice(&value.to_le_bytes());
    m[12] = u8::from(agree);
    m
}

fn main(thread: ThreadInfo) -> ! {
    let command = if thread.index == 2 { SamplingSource::new("command").ok() } else { None };
    let mut window = 0u64;
    loop {
        let core = my_ids().map_or(u32::MAX, |ids| ids.core);
        println!("lockstep: thread {} on core {core}, window {window}", thread.index);
        match thread.index {
            0 | 1 => {
                let value = compute(window);
                RESULT[thread.index as usize].store(window << 32 | u64::from(value), Ordering::Release);
                send_event();
            }
            _ => vote(window, command.as_ref()),
        }
        window += 1;
        let _ = periodic_wait();
    }
}

fn vote(window: u64, command: Option<&SamplingSource>) {
    let posted = |lane: usize| {
        let r = RESULT[lane].load(Ordering::Acquire);
        (r >> 32 == window).then_some(r as u32)
    };
    let (a, b) = loop {
        if let (Some(a), Some(b)) = (posted(0), posted(1)) {
            break (a, b);
        }
        if time().map_or(true, |t| t.window_remaining_ns() < VOTE_MARGIN_NS) {
            println!("lockstep: window {window}: a lane did not report in time");
            return;
        }
        wait_for_event();
    };
    if a != b {
        println!("lockstep: window {window}: lanes disagree ({a:#x} vs {b:#x})");
    }
    if let Some(port) = command
        && let Err(s) = port.write(&encode(window, a, a == b))
    {
        println!("lockstep: cannot write command: {}", bulkhead_sdk::status_name(s.raw()));
    }
}
