//! `register-clobber`: the other side of the `registers` test. Each thread
//! overwrites, over and over for as long as its window lasts, every
//! register `registers` checks: x3-x30, all 32 vector registers and the
//! same EL1 system registers, with values of its own that change on
//! every pass. So whatever the kernel does not save and restore for the
//! checker's thread, or brings back from the wrong place, the checker
//! finds changed; and with a lazy FP/SIMD switch, the registers the
//! checker left alone for whole windows hold the clobber's values, not
//! its own, until the kernel loads them back.
//!
//! Prints, per thread, once (it never stops):
//!
//! ```text
//! register-clobber: thread I overwriting
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{ThreadInfo, println};

bulkhead_sdk::partition_main!(main);

fn main(thread: ThreadInfo) -> ! {
    println!("register-clobber: thread {} overwriting", thread.index);
    let mut pass = u64::from(thread.index) << 32 | 0xc10b;
    loop {
        pass = pass.wrapping_add(0x9e37_79b9_7f4a_7c15);
        clobber(pass);
    }
}

#[cfg(target_arch = "aarch64")]
fn clobber(value: u64) {
    // SAFETY: `register_clobber` is an AAPCS64 function (below): it saves
    // and restores every callee-saved register and the system registers
    // the SDK relies on (TPIDR_EL1, TPIDRRO_EL0), touches only its own
    // stack frame and takes no exception.
    unsafe { register_clobber(value) }
}

#[cfg(not(target_arch = "aarch64"))]
fn clobber(_value: u64) {
    unreachable!("register-clobber only runs on aarch64")
}

#[cfg(target_arch = "aarch64")]
unsafe extern "C" {
    fn register_clobber(value: u64);
}

// register_clobber(x0 = value): every register `registers` checks gets a
// value derived from x0. The EL1 registers the SDK owns (TPIDR_EL1, the
// vectors' stack top, and TPIDRRO_EL0, the thread index) and the FP
// control register are put back before the return; the others keep the
// clobber's values.
#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    r#"
    .arch_extension fp
    .arch_extension simd
    .global register_clobber
    .type register_clobber, %function
register_clobber:
    sub     sp, sp, #144
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    mrs     x1, tpidr_el1
    mrs     x2, tpidrro_el0
    stp     x1, x2, [sp, #96]
    mrs     x1, fpcr
    str     x1, [sp, #112]
    mvn     x1, x0
    .irp reg, tpidr_el0, tpidrro_el0, tpidr_el1, contextidr_el1, far_el1, elr_el1, sp_el0, cntv_cval_el0, cntkctl_el1, par_el1, esr_el1, spsr_el1, afsr0_el1, afsr1_el1
    msr     \reg, x1
    ror     x1, x1, #7
    .endr
    and     x2, x0, #(0x1f << 22)
    msr     fpcr, x2
    and     x2, x0, #0x1f
    msr     fpsr, x2
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    eor     x1, x0, #(1 << \n)
    fmov    d\n, x1
    mov     v\n\().d[1], x0
    .endr
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    eor     x\n, x0, #(1 << \n)
    .endr
    ldp     x1, x2, [sp, #96]
    msr     tpidr_el1, x1
    msr     tpidrro_el0, x2
    ldr     x1, [sp, #112]
    msr     fpcr, x1
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    add     sp, sp, #144
    ret
    .size register_clobber, . - register_clobber
"#
);
