//! `hostile-write-text`: writes over its own code. The first word of its
//! memory is `_start` (linker/partition.ld keeps `.text.start` there), in
//! the text segment, which stage 2 maps read-only and executable. The
//! kernel must take the stage-2 permission fault at EL2 and apply the
//! `stage2_abort` health action (partitions/tests/hostile-write-text.toml:
//! restart_partition); the restart reloads the text from the system image
//! in any case.
//!
//! Prints (R: restarts so far, A: the address, 0x40000000):
//!
//! ```text
//! hostile-write-text: writing over my own code at IPA A (restarts R)
//! ```
//!
//! and, only if the write did not fault (W^X is broken), after putting the
//! word back: `hostile-write-text: ISOLATION FAILURE: my code at IPA A
//! changed from 0x... to 0x...`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(thread: ThreadInfo) {
    let target = thread.memory_base as *mut u32;
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-write-text: writing over my own code at IPA {:#x} (restarts {restarts})", target as u64);
    // SAFETY: deliberately not sound: `target` is the first instruction of
    // this image's own code, and the point of this image is that the
    // kernel stops the write (stage-2 permission fault) before it lands.
    // Should it land, the word is put back at once; it is `_start`, which
    // only runs again after a restart, and a restart reloads the text.
    unsafe {
        let before = core::ptr::read_volatile(target);
        core::ptr::write_volatile(target, !before);
        let after = core::ptr::read_volatile(target);
        core::ptr::write_volatile(target, before);
        println!(
            "hostile-write-text: ISOLATION FAILURE: my code at IPA {:#x} changed from {before:#010x} to {after:#010x}",
            target as u64
        );
    }
}
