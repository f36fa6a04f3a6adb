//! `hostile-udf`: executes `UDF #0` with the SDK's vector table in place.
//! The undefined instruction is taken to EL1 (Arm ARM D1.10.2); the SDK's
//! vector prints the exception and raises it as an ARINC 653 application
//! error (code `bulkhead_sdk::error_code::UNEXPECTED_EXCEPTION` = 2), so the
//! `application_error` health action applies (partitions/tests/
//! hostile-udf.toml: stop_partition). Compare `hostile-novector`, which
//! removes the vectors first.
//!
//! Prints (R: restarts so far; E the ELR of the UDF):
//!
//! ```text
//! hostile-udf: executing udf #0 (restarts R)
//! unexpected EL1 exception (sync, current EL SPx): unknown reason (undefined instruction) (EC 0x0)
//! ESR_EL1 0x2000000 ELR_EL1 E FAR_EL1 0x... SPSR_EL1 0x...
//! ```
//!
//! and raises `EL1 exception (sync, current EL SPx): ESR_EL1 0x2000000
//! ELR_EL1 E FAR_EL1 0x...` (FAR_EL1 is UNKNOWN for this class: whatever
//! the register holds).
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

fn main(_thread: ThreadInfo) -> ! {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-udf: executing udf #0 (restarts {restarts})");
    udf()
}

#[cfg(target_arch = "aarch64")]
fn udf() -> ! {
    // SAFETY: deliberately fatal: the SDK's vector reports the exception
    // and parks the thread; nothing after the UDF runs, hence `noreturn`.
    unsafe { core::arch::asm!("udf #0", options(noreturn, nostack)) }
}

/// Host builds only type-check the image.
#[cfg(not(target_arch = "aarch64"))]
fn udf() -> ! {
    unreachable!("hostile-udf only runs on aarch64")
}
