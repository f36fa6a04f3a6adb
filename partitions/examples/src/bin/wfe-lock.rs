//! `wfe-lock`: two threads of one partition, on cores 0 and 1, share a
//! spinlock whose waiter sleeps in `WFE` until the holder's `SEV`, as guest
//! spinlocks do. In every window thread 0 takes the lock, holds it for
//! 500 µs and lets it go; thread 1, once it sees the lock held in this
//! window, waits for it. The waiter must get the lock in the same window,
//! about 500 µs later: a kernel that took a `WFE` for "nothing to do until
//! my next window" would park it until the next window instead. (QEMU
//! runs `WFE` as a yield and never traps it, so there only the handoff is
//! shown; a Pi 4 traps it if HCR_EL2.TWE is set.)
//!
//! Prints, for windows 1 to 20 (W), from thread 1 (U: µs it waited, N: the
//! WFEs it waited in, at least 1 if it found the lock held):
//!
//! ```text
//! wfe-lock: window W: thread 1 waited U us (N WFE) for the lock, in the same window
//! wfe-lock: done
//! ```
//!
//! (`in window later` instead of `in the same window` if it was not.)
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use bulkhead_sdk::{ThreadInfo, periodic_wait, println, send_event, time, wait_for_event};

bulkhead_sdk::partition_main!(main);

/// The spinlock.
static LOCK: AtomicBool = AtomicBool::new(false);
/// The window in which thread 0 last took the lock.
static HELD_IN: AtomicU32 = AtomicU32::new(0);

const WINDOWS: u32 = 20;
const HOLD_NS: u64 = 500_000;

/// Takes the lock; returns how many times it waited in WFE for it.
fn lock() -> u32 {
    let mut waits = 0;
    while LOCK.swap(true, Ordering::Acquire) {
        wait_for_event();
        waits += 1;
    }
    waits
}

fn unlock() {
    LOCK.store(false, Ordering::Release);
    send_event();
}

fn now_ns() -> u64 {
    time().map_or(0, |t| t.now_ns)
}

fn main(thread: ThreadInfo) -> ! {
    let mut window = 0;
    loop {
        let _ = periodic_wait();
        window += 1;
        if window > WINDOWS {
            continue;
        }
        if thread.index == 0 {
            let _ = lock();
            HELD_IN.store(window, Ordering::Release);
            send_event();
            let from = now_ns();
            while now_ns() < from + HOLD_NS {}
            unlock();
        } else {
            while HELD_IN.load(Ordering::Acquire) != window {
                wait_for_event();
            }
            let Ok(start) = time() else { continue };
            let waits = lock();
            let got = now_ns();
            unlock();
            let when = if got < start.window_end_ns { "in the same window" } else { "in window later" };
            let waited = (got - start.now_ns) / 1000;
            println!("wfe-lock: window {window}: thread 1 waited {waited} us ({waits} WFE) for the lock, {when}");
            if window == WINDOWS {
                println!("wfe-lock: done");
            }
        }
    }
}
