//! `process-sched`: ARINC 653 process scheduling inside one partition's
//! windows (partitions/tests/process-sched.toml): several processes of the
//! partition on one core, by priority, first come first served among
//! equals, preemption at once, LOCK_PREEMPTION holding it off.
//!
//! - core 1: `low` (priority 10) starts `high` (priority 20), which runs
//!   before `low`'s next statement; then `low` locks preemption, starts
//!   `high` again, sees it has not run, unlocks, and `high` has run by the
//!   time the unlock returns.
//! - core 2: `gate` (priority 30) holds the core while `main` (core 0)
//!   starts `eq_c`, `eq_a`, `eq_b` (priority 10 each) in that order and
//!   raises `eq_a` to 15; then `gate` stops itself and the three run in
//!   the order `a c b`.
//!
//! Prints:
//!
//! ```text
//! process-sched: high ran at low's step 1
//! process-sched: low: locked at level 1, high ran meanwhile: no
//! process-sched: low: unlocked to level 0, high ran meanwhile: yes
//! process-sched: order on core 2: a c b
//! process-sched: done
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::process::{
    lock_preemption, process_id, set_partition_mode, set_priority, start, stop_self, unlock_preemption,
};
use bulkhead_sdk::{PartitionMode, ThreadInfo, periodic_wait, println};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

bulkhead_sdk::partition_main!(main);

/// `low`'s progress, as `high` sees it.
static STEP: AtomicU32 = AtomicU32::new(0);
/// `high`'s runs.
static HIGH_RUNS: AtomicU32 = AtomicU32::new(0);
/// `gate` holds core 2 until this is 1.
static OPEN: AtomicU32 = AtomicU32::new(0);
/// The order the equal processes ran in: a letter per byte.
static ORDER: AtomicU64 = AtomicU64::new(0);
static RAN: AtomicU32 = AtomicU32::new(0);

fn id(name: &str) -> u32 {
    match process_id(name) {
        Ok(i) => i,
        Err(e) => {
            println!("process-sched: process_id({name:?}) failed: {e:?}");
            park()
        }
    }
}

fn main(thread: ThreadInfo) -> ! {
    match thread.index {
        0 => initialise(),
        1 => low(thread.index),
        2 => high(thread.index),
        3 => gate(thread.index),
        i => equal(i, thread.index),
    }
}

fn initialise() -> ! {
    for name in ["low", "gate"] {
        if let Err(e) = start(id(name)) {
            println!("process-sched: start({name}) failed: {e:?}");
        }
    }
    if let Err(e) = set_partition_mode(PartitionMode::Normal) {
        println!("process-sched: SetPartitionMode(Normal) failed: {e:?}");
    }
    // `gate` holds core 2: these three queue behind it in this order.
    for name in ["eq_c", "eq_a", "eq_b"] {
        if let Err(e) = start(id(name)) {
            println!("process-sched: start({name}) failed: {e:?}");
        }
    }
    if let Err(e) = set_priority(id("eq_a"), 15) {
        println!("process-sched: set_priority(eq_a) failed: {e:?}");
    }
    OPEN.store(1, Ordering::Release);
    while RAN.load(Ordering::Acquire) < 3 {
        let _ = periodic_wait();
    }
    let order = ORDER.load(Ordering::Acquire).to_le_bytes();
    let letters: [char; 3] = [order[0] as char, order[1] as char, order[2] as char];
    println!("process-sched: order on core 2: {} {} {}", letters[0], letters[1], letters[2]);
    println!("process-sched: done");
    park()
}

fn low(me: u32) -> ! {
    let high = id("high");
    STEP.store(1, Ordering::Release);
    if let Err(e) = start(high) {
        println!("process-sched: start(high) failed: {e:?}");
    }
    STEP.store(2, Ordering::Release);
    let before = HIGH_RUNS.load(Ordering::Acquire);
    let level = lock_preemption();
    if let Err(e) = start(high) {
        println!("process-sched: start(high) failed: {e:?}");
    }
    // A little work while holding the lock: `high` is ready all along.
    for _ in 0..10_000 {
        core::hint::spin_loop();
    }
    let yes = |b: bool| if b { "yes" } else { "no" };
    let during = HIGH_RUNS.load(Ordering::Acquire) != before;
    println!("process-sched: low: locked at level {}, high ran meanwhile: {}", level.unwrap_or(0), yes(during));
    let level = unlock_preemption();
    let after = HIGH_RUNS.load(Ordering::Acquire) != before;
    println!("process-sched: low: unlocked to level {}, high ran meanwhile: {}", level.unwrap_or(99), yes(after));
    stop_self(me)
}

fn high(me: u32) -> ! {
    if HIGH_RUNS.fetch_add(1, Ordering::AcqRel) == 0 {
        println!("process-sched: high ran at low's step {}", STEP.load(Ordering::Acquire));
    }
    stop_self(me)
}

fn gate(me: u32) -> ! {
    while OPEN.load(Ordering::Acquire) == 0 {
        core::hint::spin_loop();
    }
    stop_self(me)
}

fn equal(index: u32, me: u32) -> ! {
    let letter = [b'a', b'b', b'c'][(index - 4) as usize % 3];
    let slot = RAN.fetch_add(1, Ordering::AcqRel);
    ORDER.fetch_or(u64::from(letter) << (8 * slot), Ordering::AcqRel);
    stop_self(me)
}

fn park() -> ! {
    loop {
        let _ = periodic_wait();
    }
}
