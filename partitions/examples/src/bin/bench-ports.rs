//! `bench-ports`: the port benchmarks of `partitions/bench-ports.toml`
//! (`make bench`, under `-icount shift=0,sleep=off`: 1 ns of virtual time
//! is one instruction). Two partitions run this image; what each does
//! follows from the ports the description gives it.
//!
//! - `sender` (has `wake_out`): at the start of each of its windows sends
//!   one 8-byte message to `bench`'s `wake_in`, stamped with the time.
//! - `bench` first waits for ever on `wake_in`, `WAKES` times; when the
//!   receive returns, the time since the start of its window is the
//!   latency from the window's start to the waiting receiver's first
//!   instruction with the message (plus one GetTime call). Then it times
//!   batches of send+receive pairs over channels from itself to itself (queuing 8 B,
//!   1 KiB and 8 KiB; sampling write+read 8 B and 1 KiB), keeping the
//!   fastest batch of each that did not cross a window's end.
//!
//! - then `bench` times the wait/wake primitive: batches of WakeWord with
//!   no waiter and of WaitWord on a word that no longer holds the value
//!   (the calls' fixed cost), and `WORD_WAKES` wakes of itself by its
//!   second thread `waker` (same core, lower priority): from the waker's
//!   time stamp before its WakeWord to `bench`'s first instruction after
//!   its WaitWord returns (the call, the preemption, the switch, the
//!   return, plus one GetTime).
//!
//! Prints, once each:
//!
//! ```text
//! bench | port round trip | queuing 8 B N ns, queuing 1024 B N ns, queuing 8192 B N ns
//! bench | port round trip | sampling 8 B N ns, sampling 1024 B N ns
//! bench | port wake | min N ns, median N ns, max N ns (K windows)
//! bench | word call | WakeWord with no waiter N ns; WaitWord on a changed word N ns
//! bench | word wake | same core: min N ns, median N ns, max N ns (K wakes)
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::word::{self, WakeOrder};
use bulkhead_sdk::{
    INFINITE, QueuingDestination, QueuingSource, SamplingDestination, SamplingSource, ThreadInfo, periodic_wait,
    println, time,
};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

bulkhead_sdk::partition_main!(main);

/// The bench partition's window, ns (partitions/bench-ports.toml).
const WINDOW_NS: u64 = 1_000_000;
/// Batches per measure; each batch is as many pairs as fit well inside
/// a window (an 8-KiB pair copies 16 KiB a byte at a time).
const BATCHES: u32 = 20;
fn pairs(len: usize) -> u64 {
    match len {
        0..=64 => 50,
        65..=1024 => 10,
        _ => 2,
    }
}
/// Wake-ups measured.
const WAKES: usize = 25;
/// Word wakes measured.
const WORD_WAKES: usize = 50;

/// `waker` sleeps on this until `bench` lets it go (so it never runs
/// during the port benchmarks).
static START: AtomicU32 = AtomicU32::new(0);
/// The word `bench` waits on (it stays 0: the wake alone ends the wait).
static WORD: AtomicU32 = AtomicU32::new(0);
/// `waker`'s time stamp and its window's end, just before its WakeWord.
static STAMP: AtomicU64 = AtomicU64::new(0);
static STAMP_WINDOW: AtomicU64 = AtomicU64::new(0);
/// `bench` has all its samples: `waker` stops.
static DONE: AtomicU32 = AtomicU32::new(0);

fn park() -> ! {
    loop {
        let _ = periodic_wait();
    }
}

fn main(thread: ThreadInfo) -> ! {
    if thread.index == 1 {
        waker()
    }
    if let Ok(out) = QueuingSource::new("wake_out") {
        loop {
            let _ = out.send(&0u64.to_le_bytes(), 0);
            let _ = periodic_wait();
        }
    }
    wakes();
    let (Ok(q8), Ok(q8_in), Ok(q1k), Ok(q1k_in), Ok(q8k), Ok(q8k_in), Ok(s8), Ok(s8_in), Ok(s1k), Ok(s1k_in)) = (
        QueuingSource::new("q8_out"),
        QueuingDestination::new("q8_in"),
        QueuingSource::new("q1k_out"),
        QueuingDestination::new("q1k_in"),
        QueuingSource::new("q8k_out"),
        QueuingDestination::new("q8k_in"),
        SamplingSource::new("s8_out"),
        SamplingDestination::new("s8_in"),
        SamplingSource::new("s1k_out"),
        SamplingDestination::new("s1k_in"),
    ) else {
        println!("bench-ports: FAILED: a port is missing");
        park()
    };
    let mut buf = [0u8; 8192];
    let queuing = |tx: &QueuingSource, rx: &QueuingDestination, len: usize, buf: &mut [u8; 8192]| {
        best(pairs(len), || {
            for _ in 0..pairs(len) {
                let _ = tx.send(&buf[..len], 0);
                let _ = rx.receive(&mut buf[..], 0);
            }
        })
    };
    let sampling = |tx: &SamplingSource, rx: &SamplingDestination, len: usize, buf: &mut [u8; 8192]| {
        best(pairs(len), || {
            for _ in 0..pairs(len) {
                let _ = tx.write(&buf[..len]);
                let _ = rx.read(&mut buf[..]);
            }
        })
    };
    let r = [
        queuing(&q8, &q8_in, 8, &mut buf),
        queuing(&q1k, &q1k_in, 1024, &mut buf),
        queuing(&q8k, &q8k_in, 8192, &mut buf),
        sampling(&s8, &s8_in, 8, &mut buf),
        sampling(&s1k, &s1k_in, 1024, &mut buf),
    ];
    // Two lines: a console line holds 120 bytes.
    println!(
        "bench | port round trip | queuing 8 B {} ns, queuing 1024 B {} ns, queuing 8192 B {} ns",
        r[0], r[1], r[2]
    );
    println!("bench | port round trip | sampling 8 B {} ns, sampling 1024 B {} ns", r[3], r[4]);
    words();
    park()
}

/// The wait/wake primitive's fixed costs and a same-core wake.
fn words() {
    let local = AtomicU32::new(0);
    let wake = best(50, || {
        for _ in 0..50 {
            let _ = word::wake(&local, 1, WakeOrder::Priority);
        }
    });
    let wait = best(50, || {
        for _ in 0..50 {
            let _ = word::wait(&local, 1, INFINITE);
        }
    });
    println!("bench | word call | WakeWord with no waiter {wake} ns; WaitWord on a changed word {wait} ns");
    START.store(1, Ordering::Release);
    let _ = word::wake(&START, 1, WakeOrder::Priority);
    let mut lat = [0u64; WORD_WAKES];
    let mut n = 0;
    while n < WORD_WAKES {
        // `waker` (lower priority) runs only while this waits.
        let woken = word::wait(&WORD, 0, INFINITE);
        let Ok(t) = time() else { continue };
        // A wake across a window's end measures the windows between.
        if woken.is_ok() && t.window_end_ns == STAMP_WINDOW.load(Ordering::Acquire) {
            lat[n] = t.now_ns.saturating_sub(STAMP.load(Ordering::Acquire));
            n += 1;
        }
    }
    DONE.store(1, Ordering::Release);
    lat.sort_unstable();
    println!(
        "bench | word wake | same core: min {} ns, median {} ns, max {} ns ({WORD_WAKES} wakes)",
        lat[0],
        lat[WORD_WAKES / 2],
        lat[WORD_WAKES - 1]
    );
}

/// `bench`'s second thread: once let go, stamps the time and wakes
/// `bench` (which preempts it at once), again each time `bench` waits.
fn waker() -> ! {
    while START.load(Ordering::Acquire) == 0 {
        let _ = word::wait(&START, 0, INFINITE);
    }
    while DONE.load(Ordering::Acquire) == 0 {
        if let Ok(t) = time() {
            STAMP_WINDOW.store(t.window_end_ns, Ordering::Release);
            STAMP.store(t.now_ns, Ordering::Release);
        }
        let _ = word::wake(&WORD, 1, WakeOrder::Priority);
    }
    park()
}

/// The fastest of `BATCHES` runs of `batch` that stayed in one window,
/// per pair, ns.
fn best(pairs: u64, mut batch: impl FnMut()) -> u64 {
    let mut best = u64::MAX;
    let mut done = 0;
    while done < BATCHES {
        let (Ok(t0), _, Ok(t1)) = (time(), batch(), time()) else { continue };
        if t0.window_end_ns == t1.window_end_ns {
            best = best.min((t1.now_ns - t0.now_ns) / pairs);
            done += 1;
        } else {
            let _ = periodic_wait();
        }
    }
    best
}

/// The waiting receiver's latency from its window's start.
fn wakes() {
    let Ok(rx) = QueuingDestination::new("wake_in") else {
        println!("bench-ports: FAILED: port wake_in is missing");
        return;
    };
    let mut buf = [0u8; 8];
    let mut lat = [0u64; WAKES];
    for l in lat.iter_mut() {
        // Drain, so the next receive waits.
        while rx.receive(&mut buf, 0).is_ok() {}
        let _ = rx.receive(&mut buf, INFINITE);
        let t = time().map_or(0, |t| t.now_ns.saturating_sub(t.window_end_ns - WINDOW_NS));
        *l = t;
    }
    lat.sort_unstable();
    println!(
        "bench | port wake | min {} ns, median {} ns, max {} ns ({WAKES} windows)",
        lat[0],
        lat[WAKES / 2],
        lat[WAKES - 1]
    );
}
