//! `hostile-read-kernel`: reads, through its own IPAs, every physical range
//! it must not see: the kernel image, the packed system image, its own
//! memory by its physical address, the other partition's memory, and the
//! words just outside its own IPA window. No stage-2 entry of a partition
//! maps any of them: each read must take a stage-2 data abort at EL2. Run
//! with `stage2_abort = "log"` (partitions/tests/hostile-read-kernel.toml,
//! which pins both partitions' physical bases) so the kernel logs each
//! fault, skips the load and lets the partition go on to the next probe.
//!
//! Each probe loads into a register that holds a sentinel first: a load the
//! kernel refused leaves it there. Prints (R: restarts so far):
//!
//! ```text
//! hostile-read-kernel: probing what I must not read (restarts R)
//! hostile-read-kernel: IPA 0x80000 (the kernel image): refused
//! hostile-read-kernel: IPA 0x1000000 (the system image): refused
//! hostile-read-kernel: IPA 0x20000000 (my own memory, by its physical address): refused
//! hostile-read-kernel: IPA 0x20200000 (the ticker's memory): refused
//! hostile-read-kernel: IPA 0x3ffffff8 (just below my memory): refused
//! hostile-read-kernel: IPA 0x40200000 (just past my memory): refused
//! hostile-read-kernel: done
//! ```
//!
//! and, for a load that was not refused (isolation is broken),
//! `hostile-read-kernel: ISOLATION FAILURE: read 0x... from IPA 0x...`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_board_rpi4::memory::KERNEL_LOAD;
use bulkhead_sdk::{ThreadInfo, partition_status, periodic_wait, println};

bulkhead_sdk::partition_main!(main);

/// What a refused load leaves in its destination register.
const SENTINEL: u64 = 0x5e47_1e1e_5e47_1e1e;

/// Loads the word at `ipa`, or returns [`SENTINEL`] if the kernel refused
/// the load (stage-2 abort, `log` action: the load is skipped).
fn probe(ipa: u64) -> u64 {
    #[cfg(target_os = "none")]
    {
        let mut value = SENTINEL;
        // SAFETY: deliberately not sound: `ipa` is outside the partition's
        // memory, and the point of this image is that the kernel refuses
        // the load (stage-2 data abort) and skips it, leaving `value`
        // untouched.
        unsafe {
            core::arch::asm!("ldr {v}, [{a}]", a = in(reg) ipa, v = inout(reg) value, options(nostack, readonly))
        };
        value
    }
    #[cfg(not(target_os = "none"))]
    {
        let _ = ipa;
        SENTINEL
    }
}

fn main(thread: ThreadInfo) -> ! {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-read-kernel: probing what I must not read (restarts {restarts})");
    let end = thread.memory_end();
    let probes: [(u64, &str); 6] = [
        (KERNEL_LOAD as u64, "the kernel image"),
        // 16 MiB: inside the 32 MiB the kernel keeps for the packed image.
        (0x100_0000, "the system image"),
        (0x2000_0000, "my own memory, by its physical address"),
        (0x2020_0000, "the ticker's memory"),
        (0x4000_0000 - 8, "just below my memory"),
        (end, "just past my memory"),
    ];
    for (ipa, what) in probes {
        match probe(ipa) {
            SENTINEL => println!("hostile-read-kernel: IPA {ipa:#x} ({what}): refused"),
            value => println!("hostile-read-kernel: ISOLATION FAILURE: read {value:#x} from IPA {ipa:#x}"),
        }
    }
    println!("hostile-read-kernel: done");
    loop {
        let _ = periodic_wait();
    }
}
