//! `bench`: the measuring partition of `partitions/bench.toml` (`make
//! bench`, under `-icount shift=0,sleep=off`, where 1 ns of virtual time is
//! one instruction). It times batches of 1,000 null hypercalls (AbiVersion)
//! with the virtual counter and never waits, so the kernel must take the
//! core back at the end of each of its windows: the thread-to-thread switch
//! the kernel's benchmark statistics measure.
//!
//! After 50 batches it prints, once:
//!
//! ```text
//! bench | null hypercall | N ns = instructions per round trip (min over B batches of 1000 calls)
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{ThreadInfo, abi_version, println};

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
        }
    }
}
