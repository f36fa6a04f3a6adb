//! `hostile-maintenance`: the cache and TLB maintenance a partition may do
//! without trapping, in a loop on all of its cores until its window ends:
//! clean and invalidate its own memory by VA (`DC CIVAC`, `DC CVAU`,
//! `DC IVAC`, which EL1 under stage 2 performs as a clean and invalidate),
//! invalidate every instruction cache (`IC IALLUIS`, and `IC IALLU`, which
//! HCR_EL2.FB broadcasts) and every TLB entry of its own VMID (`TLBI
//! VMALLE1IS`), with the barriers. None of these reaches another
//! partition's memory or translations: by VA they go through this
//! partition's stage 2, and TLB maintenance from EL1 is scoped to its VMID.
//! What they can do to the next partition is leave the caches colder,
//! which any code can; they are left untrapped (HCR_EL2.TPU/TPC clear),
//! so partitions that need them (code loaders, DMA buffers) pay no trap.
//! The `ticker` bystander must stay on time.
//!
//! Prints once per thread I (R: restarts so far), then nothing:
//!
//! ```text
//! hostile-maintenance: thread I maintaining caches and TLBs forever (restarts R)
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

/// 64 KiB of its own memory, walked a cache line at a time.
static mut BUFFER: [u8; 64 * 1024] = [0; 64 * 1024];

fn main(thread: ThreadInfo) -> ! {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-maintenance: thread {} maintaining caches and TLBs forever (restarts {restarts})", thread.index);
    let base = &raw mut BUFFER as usize;
    loop {
        for line in (0..64 * 1024).step_by(64) {
            by_va(base + line);
        }
        invalidate_all();
    }
}

/// Clean, clean-to-PoU and (performed as clean and) invalidate the line at `addr`.
fn by_va(addr: usize) {
    #[cfg(target_os = "none")]
    // SAFETY: maintenance by VA of this partition's own buffer: it changes
    // no byte (clean, or clean and invalidate).
    unsafe {
        core::arch::asm!("dc civac, {a}", "dc cvau, {a}", "dc ivac, {a}", a = in(reg) addr, options(nostack))
    };
    #[cfg(not(target_os = "none"))]
    let _ = addr;
}

/// Invalidate every instruction cache and this VMID's TLB entries.
fn invalidate_all() {
    #[cfg(target_os = "none")]
    // SAFETY: invalidations of instruction caches and of this VMID's TLB
    // entries, which only cost refills.
    unsafe {
        core::arch::asm!("dsb ish", "ic ialluis", "ic iallu", "tlbi vmalle1is", "dsb ish", "isb", options(nostack))
    };
}
