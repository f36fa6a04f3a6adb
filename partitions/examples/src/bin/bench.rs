//! `bench`: the measuring partition of `partitions/bench.toml` (`make
//! bench`, under `-icount shift=0,sleep=off`, where 1 ns of virtual time is
//! one instruction). It times batches of 1,000 null hypercalls (AbiVersion)
//! with the virtual counter and never waits, so the kernel must take the
//! core back at the end of each of its windows: the thread-to-thread switch
//! the kernel's benchmark statistics measure.
//!
//! After 50 batches it prints, once, then times `ConsoleWrite` at its
//! worst (1,024 newlines: 1,024 lines, each a copy with its prefix into the
//! console buffer, 16 KiB here, until it is full; and 1,024 bytes of text),
//! waits for the console to drain and prints, once:
//!
//! ```text
//! bench | first instruction | N ns (the virtual count at its main, from reset)
//! bench | null hypercall | N ns = instructions per round trip (min over B batches of 1000 calls)
//! bench | get time | N ns = instructions per round trip with its check (min over 20 batches of 1000 calls); W answers outside the window, L just past its end
//! bench | console write | 1024 newlines: max N ns (K calls), 1024 text bytes: max M ns (K calls); each into an empty buffer at a window's start, from EL1
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{
    MAX_CONSOLE_WRITE, ThreadInfo, abi_version, console_write, periodic_wait, println, time, timed_wait,
};

bulkhead_sdk::partition_main!(main);

const CALLS: u64 = 1000;

/// CNTVCT_EL0 and CNTFRQ_EL0, which EL1 may read.
fn counter() -> (u64, u64) {
    #[cfg(target_os = "none")]
    {
        let (count, freq): (u64, u64);
        // SAFETY: reads of the virtual count and its frequency; no memory
        // access, no side effect.
        unsafe {
            core::arch::asm!("isb", "mrs {c}, cntvct_el0", "mrs {f}, cntfrq_el0", c = out(reg) count, f = out(reg) freq, options(nomem, nostack))
        };
        (count, freq)
    }
    #[cfg(not(target_os = "none"))]
    {
        (0, 1)
    }
}

fn main(_thread: ThreadInfo) -> ! {
    // The virtual count at the first line of main: time from reset (the
    // kernel zeroes CNTVOFF), one instruction per ns under icount.
    let (first, freq) = counter();
    println!("bench | first instruction | {} ns", u128::from(first) * 1_000_000_000 / u128::from(freq));
    let mut best = u64::MAX;
    let mut batches = 0u64;
    loop {
        let (start, freq) = counter();
        for _ in 0..CALLS {
            let _ = core::hint::black_box(abi_version());
        }
        let (end, _) = counter();
        let ns = (end - start) * 1_000_000_000 / freq;
        best = best.min(ns / CALLS);
        batches += 1;
        if batches == 50 {
            println!(
                "bench | null hypercall | {best} ns = instructions per round trip (min over {batches} batches of {CALLS} calls)"
            );
            get_time();
            console_writes();
        }
    }
}

/// GetTime's round trip, min over 20 batches of [`CALLS`], and whether
/// every answer was one this module's schedule allows: a window end on
/// the millisecond grid from the epoch (both windows of `bench.toml` are
/// 1 ms), and a time inside that window, or at most `LATE_NS` past its
/// end (a call made just as the window ended, its boundary interrupt
/// still pending: the kernel takes the core back right after it).
fn get_time() {
    const LATE_NS: u64 = 100_000;
    let mut best = u64::MAX;
    let (mut wrong, mut late) = (0u64, 0u64);
    for _ in 0..20 {
        let (start, freq) = counter();
        for _ in 0..CALLS {
            match core::hint::black_box(time()) {
                Ok(t) if t.window_end_ns % 1_000_000 == 0 && t.now_ns + 1_000_000 >= t.window_end_ns => {
                    if t.now_ns >= t.window_end_ns + LATE_NS {
                        wrong += 1;
                    } else if t.now_ns >= t.window_end_ns {
                        late += 1;
                    }
                }
                _ => wrong += 1,
            }
        }
        let (end, _) = counter();
        best = best.min((end - start) * 1_000_000_000 / freq / CALLS);
    }
    println!(
        "bench | get time | {best} ns = instructions per round trip with its check (min over 20 batches of {CALLS} calls); {wrong} answers outside the window, {late} just past its end"
    );
}

/// The longest `ConsoleWrite` of 1,024 newlines and of 1,024 bytes of text
/// (lines of 100), over `K` calls each, each call at the start of a window
/// and into an empty console buffer (the most copying): the time the call
/// holds the core in EL2 with interrupts masked, plus one round trip. A
/// call its window's end interrupted on the way back is measured again.
fn console_writes() {
    const K: u32 = 3;
    let newlines = [b'\n'; MAX_CONSOLE_WRITE];
    let mut text = [b'x'; MAX_CONSOLE_WRITE];
    for line in text.chunks_mut(100) {
        *line.last_mut().expect("100 bytes") = b'\n';
    }
    let time_call = |bytes: &[u8]| {
        let mut worst = 0;
        let mut taken = 0;
        for _ in 0..4 * K {
            // Let the console drain (16 KiB at 921600 baud: under 0.2 s),
            // then start at the beginning of a window.
            let _ = timed_wait(200_000_000);
            let _ = periodic_wait();
            let before = time().map_or(0, |t| t.window_end_ns);
            let (start, freq) = counter();
            let _ = core::hint::black_box(console_write(bytes));
            let (end, _) = counter();
            if time().map_or(1, |t| t.window_end_ns) != before {
                continue;
            }
            worst = worst.max((end - start) * 1_000_000_000 / freq);
            taken += 1;
            if taken == K {
                break;
            }
        }
        (worst, taken)
    };
    let (empty_lines, n1) = time_call(&newlines);
    let (text_lines, n2) = time_call(&text);
    println!(
        "bench | console write | 1024 newlines: max {empty_lines} ns ({n1} calls), 1024 text bytes: max {text_lines} ns ({n2} calls); each into an empty buffer at a window's start, from EL1"
    );
}
