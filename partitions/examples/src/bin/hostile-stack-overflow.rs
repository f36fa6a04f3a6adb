//! `hostile-stack-overflow`: runs off the bottom of its stack. Its one
//! thread has the default 16 KiB stack at the top of its memory; below it
//! lies a 4 KiB guard page that stage 2 leaves unmapped. The thread pushes
//! zero words, 16 bytes at a time, until its SP is a whole page below the
//! stack's bottom: the first push into the guard page must take a stage-2
//! fault at EL2, reported as a stack overflow, and the `stage2_abort`
//! health action applies (partitions/tests/hostile-stack-overflow.toml:
//! restart_partition).
//!
//! Prints (R: restarts so far, B: the bottom of the stack, IPA 0x401fc000
//! with 2 MiB of memory):
//!
//! ```text
//! hostile-stack-overflow: pushing past the bottom of my stack at IPA B (restarts R)
//! ```
//!
//! and, only if no push faulted (no guard page):
//! `hostile-stack-overflow: ISOLATION FAILURE: pushed down to IPA 0x..., N bytes below my stack, without a fault`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::abi::{DEFAULT_STACK_SIZE, STACK_GUARD_SIZE};
use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(thread: ThreadInfo) {
    // Thread 0's stack is the highest (kernel/abi, "Thread entry state").
    let bottom = thread.memory_end() - DEFAULT_STACK_SIZE;
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-stack-overflow: pushing past the bottom of my stack at IPA {bottom:#x} (restarts {restarts})");
    let reached = push_down_to(bottom - STACK_GUARD_SIZE - 16);
    println!(
        "hostile-stack-overflow: ISOLATION FAILURE: pushed down to IPA {reached:#x}, {} bytes below my stack, without a fault",
        bottom - reached
    );
}

/// Pushes zero words until SP is at or below `limit`, then puts SP back;
/// returns the lowest address written.
#[cfg(target_arch = "aarch64")]
fn push_down_to(limit: u64) -> u64 {
    let reached: u64;
    // SAFETY: deliberately not sound: the pushes run off the bottom of this
    // thread's stack, and the point of this image is that the first one
    // into the guard page faults (stage 2). Without a guard they write
    // zeros into the partition's own free memory below the stack (nothing
    // of the image lies there in 2 MiB), and SP is restored before any
    // Rust code runs again.
    unsafe {
        core::arch::asm!(
            "mov {saved}, sp",
            "2:",
            "str xzr, [sp, #-16]!",
            "cmp sp, {limit}",
            "b.hi 2b",
            "mov {reached}, sp",
            "mov sp, {saved}",
            limit = in(reg) limit,
            saved = out(reg) _,
            reached = out(reg) reached,
        )
    };
    reached
}

/// Host builds only type-check the image.
#[cfg(not(target_arch = "aarch64"))]
fn push_down_to(_limit: u64) -> u64 {
    unreachable!("hostile-stack-overflow only runs on aarch64")
}
