//! `hostile-write`: writes one word just past the end of its own memory
//! (IPA base + size), which no stage-2 entry maps. The kernel must take the
//! stage-2 data abort at EL2 and apply the `stage2_abort` health action
//! (partitions/tests/hostile-write.toml: restart_partition), while the
//! other partition runs on untouched.
//!
//! Prints (R: restarts so far, A: the address, 0x40200000 with 2 MiB):
//!
//! ```text
//! hostile-write: writing past the end of my memory at IPA A (restarts R)
//! ```
//!
//! and, only if the write did not fault (isolation is broken):
//! `hostile-write: ISOLATION FAILURE: the write at IPA A did not fault`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(thread: ThreadInfo) {
    let target = thread.memory_end();
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-write: writing past the end of my memory at IPA {target:#x} (restarts {restarts})");
    // SAFETY: deliberately not sound: `target` is outside the partition's
    // memory, and the point of this image is that the kernel stops the
    // write (stage-2 data abort) before it reaches anything.
    unsafe { core::ptr::write_volatile(target as *mut u64, 0xB0B0_DEAD_BEEF_0000) };
    println!("hostile-write: ISOLATION FAILURE: the write at IPA {target:#x} did not fault");
}
