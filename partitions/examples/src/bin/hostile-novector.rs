//! `hostile-novector`: removes its EL1 vector table (VBAR_EL1 = 0) and
//! executes `UDF #0`. The undefined instruction is taken to EL1 (Arm ARM
//! D1.10.2), whose vector now sits at IPA 0x200, outside the partition's
//! memory: the instruction fetch there faults at stage 2, in EL2. The
//! kernel must report it and apply a health action rather than let the
//! thread loop on the exception (the kernel reports it as an
//! `undefined_instruction` the thread could not take, with ESR_EL1 and
//! VBAR_EL1).
//!
//! The SDK's `_start` installs its own vectors for every thread; this image
//! shows what happens without them, so it overwrites VBAR_EL1 itself.
//!
//! Prints once (R: restarts so far), then nothing:
//!
//! ```text
//! hostile-novector: clearing VBAR_EL1 and executing udf #0 (restarts R)
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) -> ! {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-novector: clearing VBAR_EL1 and executing udf #0 (restarts {restarts})");
    no_vectors_then_udf()
}

#[cfg(target_arch = "aarch64")]
fn no_vectors_then_udf() -> ! {
    // SAFETY: deliberately fatal: after VBAR_EL1 = 0 the UDF's exception
    // vectors into unmapped IPA 0x200, which the kernel catches at EL2.
    // Nothing after it runs, hence `noreturn`.
    unsafe { core::arch::asm!("msr vbar_el1, xzr", "isb", "udf #0", options(noreturn, nostack)) }
}

/// Host builds only type-check the image.
#[cfg(not(target_arch = "aarch64"))]
fn no_vectors_then_udf() -> ! {
    unreachable!("hostile-novector only runs on aarch64")
}
