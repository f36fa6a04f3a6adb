//! `wait-word`: the kernel's wait/wake primitive, WaitWord and WakeWord
//! (partitions/tests/wait-word.toml), across the partition's four cores.
//!
//! Partition `wait-word`: `main` (core 0) checks every refusal the ABI
//! documents, then four waiters, `a` (core 1, priority 10), `b` (core 2,
//! 30), `c` (core 3, 20) and `d` (core 1, 20, sharing the core with `a`),
//! wait on one word, arriving in the order a b c d (each is let in by a
//! wait on a turn word of its own). `main` wakes them one at a time and
//! each notes its letter when it runs: by priority they come out
//! `b c d a` (highest first, first come among equals), in FIFO order
//! `a b c d`. Then all four wait again and one wake of every waiter wakes
//! exactly four.
//!
//! Partition `wait-word-other` runs the same image: its one thread waits
//! on the word at the same address (IPA) in its own memory, with a
//! 5 ms timeout, over and over, and prints a line every 20 timeouts;
//! another partition's wakes never end its waits.
//!
//! Prints (`main`; `other` ends with its own line):
//!
//! ```text
//! wait-word: unaligned: InvalidParameter
//! wait-word: outside memory: InvalidAddress
//! wait-word: guard page: InvalidAddress
//! wait-word: past the end: InvalidAddress
//! wait-word: wake count 0: InvalidParameter
//! wait-word: wake order 2: InvalidParameter
//! wait-word: wake unaligned: InvalidParameter
//! wait-word: value differs: NoAction
//! wait-word: poll: TimedOut
//! wait-word: timeout 3 ms: TimedOut after at least 3 ms: yes
//! wait-word: with preemption locked: InvalidMode
//! wait-word: wake with no waiter: 0 woken
//! wait-word: order by priority: b c d a
//! wait-word: order fifo: a b c d
//! wait-word: woke all: 4
//! wait-word: done
//! wait-word: other: 20 waits timed out, none woken   (every 20)
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::abi::{DEFAULT_STACK_SIZE, INFINITE, ProcessState, STACK_GUARD_SIZE};
use bulkhead_sdk::process::{lock_preemption, process_id, process_status, state_of, unlock_preemption};
use bulkhead_sdk::word::{self, WakeOrder};
use bulkhead_sdk::{Status, ThreadInfo, my_ids, periodic_wait, println, time, timed_wait};
use core::sync::atomic::{AtomicU32, Ordering};

bulkhead_sdk::partition_main!(main);

/// The word the waiters wait on: it stays 0, the wakes alone end waits.
static GATE: AtomicU32 = AtomicU32::new(0);
/// Which waiter may arrive at the gate now: `round * 4 + slot + 1`.
static TURN: AtomicU32 = AtomicU32::new(0);
/// Per waiter (slot): the last round it reached the gate in, plus 1.
static ARRIVED: [AtomicU32; 4] = [const { AtomicU32::new(0) }; 4];
/// The letters of the waiters in the order they were woken, one per byte.
static ORDER: AtomicU32 = AtomicU32::new(0);
static WOKEN: AtomicU32 = AtomicU32::new(0);
/// Waits that returned something other than Ok.
static FAILED: AtomicU32 = AtomicU32::new(0);

const NAMES: [&str; 4] = ["a", "b", "c", "d"];
const ROUNDS: u32 = 3;

fn main(thread: ThreadInfo) -> ! {
    match (my_ids().map(|i| i.partition).unwrap_or(0), thread.index) {
        (0, 0) => driver(&thread),
        (0, slot @ 1..=4) => waiter(slot - 1),
        _ => other(),
    }
}

fn show(what: &str, r: Result<(), Status>) {
    match r {
        Ok(()) => println!("wait-word: {what}: Ok"),
        Err(e) => println!("wait-word: {what}: {e:?}"),
    }
}

fn now_ns() -> u64 {
    time().map(|t| t.now_ns).unwrap_or(0)
}

fn driver(thread: &ThreadInfo) -> ! {
    let local = AtomicU32::new(7);
    let base = thread.memory_base;
    let end = base + thread.memory_size;
    show("unaligned", word::wait_raw(local.as_ptr() as u64 + 2, 7, 0));
    show("outside memory", word::wait_raw(0x1000, 0, 0));
    // Thread 0's stack is the highest (default size): its guard page
    // lies just below it.
    show("guard page", word::wait_raw(end - DEFAULT_STACK_SIZE - STACK_GUARD_SIZE, 0, 0));
    show("past the end", word::wait_raw(end, 0, 0));
    show("wake count 0", word::wake(&local, 0, WakeOrder::Fifo).map(|_| ()));
    show("wake order 2", word::wake_raw(local.as_ptr() as u64, 1, 2).map(|_| ()));
    show("wake unaligned", word::wake_raw(local.as_ptr() as u64 + 1, 1, 0).map(|_| ()));
    show("value differs", word::wait(&local, 8, INFINITE));
    show("poll", word::wait(&local, 7, 0));
    let before = now_ns();
    let r = word::wait(&local, 7, 3_000_000);
    let waited = now_ns().saturating_sub(before);
    let yes = if waited >= 3_000_000 { "yes" } else { "no" };
    match r {
        Err(e) => println!("wait-word: timeout 3 ms: {e:?} after at least 3 ms: {yes}"),
        Ok(()) => println!("wait-word: timeout 3 ms: Ok (woken by nobody)"),
    }
    let _ = lock_preemption();
    let r = word::wait(&local, 7, INFINITE);
    let _ = unlock_preemption();
    show("with preemption locked", r);
    match word::wake(&local, u64::MAX, WakeOrder::Priority) {
        Ok(n) => println!("wait-word: wake with no waiter: {n} woken"),
        Err(e) => println!("wait-word: wake with no waiter: {e:?}"),
    }

    let ids = NAMES.map(|n| process_id(n).unwrap_or(u32::MAX));
    for round in 0..ROUNDS {
        // Let the waiters in one by one: each is asleep at the gate before
        // the next may come.
        for (slot, &id) in ids.iter().enumerate() {
            TURN.store(round * 4 + slot as u32 + 1, Ordering::Release);
            let _ = word::wake(&TURN, u64::MAX, WakeOrder::Fifo);
            let asleep = || {
                ARRIVED[slot].load(Ordering::Acquire) == round + 1
                    && process_status(id).ok().and_then(|r| state_of(&r)) == Some(ProcessState::Waiting)
            };
            while !asleep() {
                let _ = timed_wait(100_000);
            }
        }
        ORDER.store(0, Ordering::Release);
        WOKEN.store(0, Ordering::Release);
        match round {
            0 | 1 => {
                let order = if round == 0 { WakeOrder::Priority } else { WakeOrder::Fifo };
                for k in 0..4 {
                    if word::wake(&GATE, 1, order) != Ok(1) {
                        println!("wait-word: wake {k} of round {round} did not wake one");
                    }
                    while WOKEN.load(Ordering::Acquire) < k + 1 {
                        let _ = timed_wait(100_000);
                    }
                }
                let o = ORDER.load(Ordering::Acquire).to_le_bytes().map(char::from);
                let name = if round == 0 { "by priority" } else { "fifo" };
                println!("wait-word: order {name}: {} {} {} {}", o[0], o[1], o[2], o[3]);
            }
            _ => {
                match word::wake(&GATE, u64::MAX, WakeOrder::Priority) {
                    Ok(n) => println!("wait-word: woke all: {n}"),
                    Err(e) => println!("wait-word: woke all: {e:?}"),
                }
                while WOKEN.load(Ordering::Acquire) < 4 {
                    let _ = timed_wait(100_000);
                }
            }
        }
    }
    match FAILED.load(Ordering::Acquire) {
        0 => println!("wait-word: done"),
        n => println!("wait-word: {n} gate waits failed"),
    }
    park()
}

fn waiter(slot: u32) -> ! {
    for round in 0..ROUNDS {
        let mine = round * 4 + slot + 1;
        loop {
            let turn = TURN.load(Ordering::Acquire);
            if turn == mine {
                break;
            }
            let _ = word::wait(&TURN, turn, INFINITE);
        }
        ARRIVED[slot as usize].store(round + 1, Ordering::Release);
        if word::wait(&GATE, 0, INFINITE).is_err() {
            FAILED.fetch_add(1, Ordering::AcqRel);
        }
        let n = WOKEN.load(Ordering::Acquire);
        ORDER.fetch_or(u32::from(b'a' + slot as u8) << (8 * n), Ordering::AcqRel);
        WOKEN.fetch_add(1, Ordering::AcqRel);
    }
    park()
}

/// The other partition: waits on its own `GATE` (the same IPA as the
/// first partition's) with a 5 ms timeout, for ever, and says so every 20
/// waits; a wake of the first partition's must never end one.
fn other() -> ! {
    let mut timed_out = 0u64;
    loop {
        match word::wait(&GATE, 0, 5_000_000) {
            Err(Status::TimedOut) => timed_out += 1,
            Ok(()) => println!("wait-word: other: woken by nobody of its own"),
            Err(e) => println!("wait-word: other: wait failed: {e:?}"),
        }
        if timed_out > 0 && timed_out.is_multiple_of(20) {
            println!("wait-word: other: {timed_out} waits timed out, none woken");
        }
    }
}

fn park() -> ! {
    loop {
        let _ = periodic_wait();
    }
}
