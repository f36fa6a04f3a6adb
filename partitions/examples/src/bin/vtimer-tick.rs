//! `vtimer-tick`: a 1 kHz tick on each thread's own virtual timer (CNTV,
//! INTID 27), with absolute deadlines, for the `vtimer-tick` test
//! (`partitions/tests/vtimer-tick.toml`).
//!
//! Every thread arms its timer on one series of deadlines, `(k + 1/2)` ms
//! after the module epoch (module time 0): half a period off the windows,
//! which the description puts on whole milliseconds, so every deadline is
//! plainly inside a window or outside all of them. Its handler classifies
//! each delivery by its lateness (now minus the deadline it was armed
//! for): under half a period, **on time**; else **deferred** (it came due
//! while the partition was not running and the kernel delivered it when
//! it next ran). It then arms the next deadline of the series after now,
//! counting those it steps over as **skipped** (they fell in the same
//! gap as the deferred one). So per gap between two of the partition's
//! windows that holds a deadline: one deferred delivery, the rest of the
//! gap's deadlines skipped; every deadline inside a window on time.
//!
//! Each thread counts its windows (a new window end in GetTime) and, at
//! the start of every 100th, prints what it counted for the deadlines
//! before that window, with the kernel's own counts (InterruptStatus):
//!
//! ```text
//! vtimer-tick: thread I on core C, 1 kHz, CNTFRQ F Hz, first deadline at T us
//! vtimer-tick: thread I, window W: D deadlines: O on time, F deferred, S skipped
//! vtimer-tick: thread I, window W: kernel: delivered X, deferred Y, dropped Z; latest on time L us late
//! ```
//!
//! The test computes D, O, F and S from the description's schedule and
//! the first deadline, and checks X = O + F and Y = F. A line
//! `vtimer-tick: thread I: ...` ending in an error says a call failed.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::irq::{self, VIRTUAL_TIMER_INTID, vtimer};
use bulkhead_sdk::{ThreadInfo, my_ids, println, thread_index, time};
use core::sync::atomic::{AtomicU64, Ordering};

bulkhead_sdk::partition_main!(main);

/// The tick's period, in ns: 1 kHz.
const PERIOD_NS: u64 = 1_000_000;
/// A summary every this many windows.
const SUMMARY_EVERY: u64 = 100;
/// Threads with counters of their own (a partition has one per core).
const THREADS: usize = 4;

/// One thread's tick state, written by its handler (on its core) and read
/// by its main loop: atomics, as the handler interrupts the loop.
struct Tick {
    period: AtomicU64,
    on_time: AtomicU64,
    deferred: AtomicU64,
    skipped: AtomicU64,
    latest_on_time: AtomicU64,
}

static TICKS: [Tick; THREADS] = [const {
    Tick {
        period: AtomicU64::new(0),
        on_time: AtomicU64::new(0),
        deferred: AtomicU64::new(0),
        skipped: AtomicU64::new(0),
        latest_on_time: AtomicU64::new(0),
    }
}; THREADS];

/// The virtual timer's handler, on the thread whose timer fired.
fn on_tick(_intid: u32) {
    let tick = &TICKS[thread_index() as usize % THREADS];
    let now = vtimer::now();
    let deadline = vtimer::deadline();
    let period = tick.period.load(Ordering::Relaxed);
    let late = now.saturating_sub(deadline);
    if late < period / 2 {
        tick.on_time.fetch_add(1, Ordering::Relaxed);
        tick.latest_on_time.fetch_max(late, Ordering::Relaxed);
    } else {
        tick.deferred.fetch_add(1, Ordering::Relaxed);
    }
    let next = vtimer::next_deadline(deadline, period, now);
    tick.skipped.fetch_add(next.skipped, Ordering::Relaxed);
    // Re-armed before the end of interrupt: the level is low again.
    vtimer::arm_at(next.at);
}

fn main(thread: ThreadInfo) {
    let me = thread.index;
    let tick = &TICKS[me as usize % THREADS];
    let hz = vtimer::frequency();
    let period = vtimer::ticks_from_ns(PERIOD_NS, hz);
    tick.period.store(period, Ordering::Relaxed);
    // Where module time 0 lies on the virtual count: the count read just
    // after GetTime's (a few hundred ns later: far below half a period).
    let Ok(t) = time() else {
        println!("vtimer-tick: thread {me}: GetTime failed");
        return;
    };
    let count = vtimer::now();
    let epoch = count.saturating_sub(vtimer::ticks_from_ns(t.now_ns, hz));
    // The first deadline of the series (k + 1/2) periods after the epoch
    // that is still ahead.
    let phase = epoch + period / 2;
    let first = if count < phase { phase } else { phase + ((count - phase) / period + 1) * period };
    let core = my_ids().map_or(u32::MAX, |ids| ids.core);
    println!(
        "vtimer-tick: thread {me} on core {core}, 1 kHz, CNTFRQ {hz} Hz, first deadline at {} us",
        vtimer::ns_from_ticks(first - epoch, hz) / 1000
    );
    if let Err(e) = irq::register(VIRTUAL_TIMER_INTID, on_tick) {
        println!("vtimer-tick: thread {me}: register failed: {e:?}");
        return;
    }
    irq::cpu_interface_init();
    if let Err(e) = irq::enable(VIRTUAL_TIMER_INTID) {
        println!("vtimer-tick: thread {me}: InterruptEnable failed: {e:?}");
        return;
    }
    vtimer::arm_at(first);

    let mut window_end = t.window_end_ns;
    let mut windows = 0u64; // windows begun before the current one
    let mut seen = 0u64;
    loop {
        // Sleep until the handler has run (masked: WFI still wakes on a
        // pending interrupt, and it is taken at unmask).
        irq::mask();
        let handled = tick.on_time.load(Ordering::Relaxed) + tick.deferred.load(Ordering::Relaxed);
        if handled == seen {
            irq::wait_for_interrupt();
        }
        irq::unmask();
        seen = tick.on_time.load(Ordering::Relaxed) + tick.deferred.load(Ordering::Relaxed);
        let Ok(t) = time() else { continue };
        if t.window_end_ns == window_end {
            continue;
        }
        // A new window: the deferred delivery at its start (if its gap
        // held a deadline) has been counted, its first own deadline is
        // half a period away.
        window_end = t.window_end_ns;
        windows += 1;
        if windows.is_multiple_of(SUMMARY_EVERY) {
            summary(me, windows, tick, hz);
        }
    }
}

fn summary(me: u32, windows: u64, tick: &Tick, hz: u64) {
    let (on_time, deferred, skipped) = (
        tick.on_time.load(Ordering::Relaxed),
        tick.deferred.load(Ordering::Relaxed),
        tick.skipped.load(Ordering::Relaxed),
    );
    let latest_us = vtimer::ns_from_ticks(tick.latest_on_time.load(Ordering::Relaxed), hz) / 1000;
    // Two lines: one would pass the kernel's CONSOLE_LINE (120 bytes).
    println!(
        "vtimer-tick: thread {me}, window {windows}: {} deadlines: {on_time} on time, {deferred} deferred, {skipped} skipped",
        on_time + deferred + skipped
    );
    match irq::status(VIRTUAL_TIMER_INTID) {
        Ok(k) => println!(
            "vtimer-tick: thread {me}, window {windows}: kernel: delivered {}, deferred {}, dropped {}; latest on time {latest_us} us late",
            k.delivered, k.deferred, k.dropped
        ),
        Err(e) => println!("vtimer-tick: thread {me}: InterruptStatus failed: {e:?}"),
    }
}
