//! `hostile-exec-stack`: copies two instructions (`mov w0, #42; ret`) onto
//! its stack, makes them visible to instruction fetch (clean the data cache
//! line to the point of unification, invalidate the instruction cache
//! line) and branches to them. Stage 2 maps thread stacks read/write and
//! never executable: the fetch must take a stage-2 permission fault at EL2,
//! and the `stage2_abort` health action applies
//! (partitions/tests/hostile-exec-stack.toml: restart_partition).
//!
//! Prints (R: restarts so far, A: the address of the copied code, inside
//! the thread's stack, 16 KiB below IPA 0x40200000):
//!
//! ```text
//! hostile-exec-stack: jumping to code I wrote on my stack at IPA A (restarts R)
//! ```
//!
//! and, only if the code ran (W^X is broken):
//! `hostile-exec-stack: ISOLATION FAILURE: the code on my stack at IPA A ran and returned 42`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{ThreadInfo, partition_status, println};

bulkhead_sdk::partition_main!(main);

/// `mov w0, #42` (MOVZ), `ret`: A64 encodings (Arm ARM C6.2).
const CODE: [u32; 2] = [0x5280_0540, 0xd65f_03c0];

/// The copied code, on one cache line (16 bytes aligned, 8 long).
#[repr(C, align(16))]
struct OnStack([u32; 2]);

fn main(_thread: ThreadInfo) {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    let mut code = OnStack(CODE);
    let code = core::hint::black_box(&mut code);
    let at = code.0.as_ptr() as u64;
    println!("hostile-exec-stack: jumping to code I wrote on my stack at IPA {at:#x} (restarts {restarts})");
    let returned = call(at);
    println!("hostile-exec-stack: ISOLATION FAILURE: the code on my stack at IPA {at:#x} ran and returned {returned}");
}

#[cfg(target_arch = "aarch64")]
fn call(at: u64) -> u64 {
    let returned: u64;
    // SAFETY: deliberately not sound: `at` is data on this thread's stack,
    // and the point of this image is that the kernel refuses the fetch
    // (stage-2 permission fault) before one instruction of it runs. The
    // cache maintenance (Arm ARM D7.5.9, "Instruction cache maintenance")
    // makes the copy what a fetch would see, so that a kernel that does map
    // the stack executable runs it, and the test sees that it did.
    unsafe {
        core::arch::asm!(
            "dc cvau, {at}",
            "dsb ish",
            "ic ivau, {at}",
            "dsb ish",
            "isb",
            "blr {at}",
            at = in(reg) at,
            out("x0") returned,
            clobber_abi("C"),
        )
    };
    returned
}

/// Host builds only type-check the image.
#[cfg(not(target_arch = "aarch64"))]
fn call(_at: u64) -> u64 {
    unreachable!("hostile-exec-stack only runs on aarch64")
}
