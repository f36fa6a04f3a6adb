//! `hostile-smc`: executes `SMC #0`, a call to the secure monitor (EL3)
//! that a partition must never reach. The kernel sets HCR_EL2.TSC, so the
//! instruction traps to EL2 (ESR_EL2.EC 0x17) and the `trapped_operation`
//! health action applies.
//!
//! Prints (R: restarts so far):
//!
//! ```text
//! hostile-smc: executing smc #0 (restarts R)
//! ```
//!
//! and, only if the SMC came back (it was not trapped as a fault):
//! `hostile-smc: ISOLATION FAILURE: smc #0 returned x0 = 0x...`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-smc: executing smc #0 (restarts {restarts})");
    let x0 = smc();
    println!("hostile-smc: ISOLATION FAILURE: smc #0 returned x0 = {x0:#x}");
}

/// `SMC #0` with a PSCI_VERSION function ID (SMCCC/PSCI 0x8400_0000), the
/// most harmless call there is, so that only the trap is under test.
#[cfg(target_arch = "aarch64")]
fn smc() -> u64 {
    let x0: u64;
    // SAFETY: deliberately outside the partition's rights; the kernel traps
    // it. Were it to reach EL3, PSCI_VERSION changes no state and clobbers
    // at most x0..x17, declared here.
    unsafe {
        core::arch::asm!(
            "smc #0",
            inout("x0") 0x8400_0000u64 => x0,
            out("x1") _, out("x2") _, out("x3") _, out("x4") _, out("x5") _,
            out("x6") _, out("x7") _, out("x8") _, out("x9") _, out("x10") _,
            out("x11") _, out("x12") _, out("x13") _, out("x14") _, out("x15") _,
            out("x16") _, out("x17") _,
            options(nostack),
        );
    }
    x0
}

/// Host builds only type-check the image.
#[cfg(not(target_arch = "aarch64"))]
fn smc() -> u64 {
    0
}
