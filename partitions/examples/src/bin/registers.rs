//! `registers`: a thread's registers are its own. Each thread loads a
//! pattern of its own (its partition, thread and round in every value)
//! into the general registers x3-x30, all 32 vector registers (both
//! halves) and 16 EL1 system registers, then spins for 8 major frames
//! touching none of them but x0-x2, and checks every one of them. Between
//! its windows other partitions' threads run on its core (the test puts
//! `register-clobber` there, which overwrites all of them), so a kernel
//! that lost, mixed up or leaked any part of a thread's state at a switch
//! is caught, and so is one whose lazy FP/SIMD switch (issue 19) failed
//! to bring the registers back for a thread that left them alone for
//! whole windows.
//!
//! The spin counts the times it was off the core: a gap of 1 ms or more
//! between two reads of the virtual count. A round that was never off the
//! core would prove nothing, and says so (`0 times off the core`).
//!
//! Prints, per thread, for rounds R = 1 to 3 (G: times off the core):
//!
//! ```text
//! registers: round R: 28 general, 32 vector, 16 system registers kept, G times off the core
//! registers: done
//! ```
//!
//! or, naming the registers that did not hold their values (per kind up
//! to four, then how many more of that kind):
//!
//! ```text
//! registers: FAILED round R: x5 v0 v1 v2 v3 +28 tpidr_el0 fpcr
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::{MessageBuf, ThreadInfo, my_ids, periodic_wait, println};
use core::fmt::Write;

bulkhead_sdk::partition_main!(main);

const ROUNDS: u64 = 3;
/// The spin of a round, in major frames of the test's schedule (8 ms).
const SPIN_NS: u64 = 8 * 8_000_000;

/// The EL1 system registers checked, in the order of `hold`'s table.
const SYSTEM: [&str; 16] = [
    "tpidr_el0",
    "tpidrro_el0",
    "tpidr_el1",
    "contextidr_el1",
    "far_el1",
    "elr_el1",
    "sp_el0",
    "cntv_cval_el0",
    "cntkctl_el1",
    "fpcr",
    "fpsr",
    "par_el1",
    "esr_el1",
    "spsr_el1",
    "afsr0_el1",
    "afsr1_el1",
];

/// What `hold` reads and writes: the system registers' patterns (in), the
/// values they read back as right after the write (out, the expected
/// values: a register may keep only some bits), the mismatch masks (out)
/// and the times off the core (out).
#[repr(C)]
struct Table {
    pattern: [u64; 16],
    expected: [u64; 16],
    /// Bit n: xn did not hold its value.
    general: u64,
    /// Bit n: vn (either half) did not.
    vector: u64,
    /// Bit i: `SYSTEM[i]` did not.
    system: u64,
    gaps: u64,
}

/// A 64-bit mix of `x` (splitmix64's finaliser): every bit of the seed
/// reaches every bit of a system register's pattern.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn patterns(seed: u64) -> [u64; 16] {
    let mut p = [0; 16];
    for (i, v) in p.iter_mut().enumerate() {
        *v = mix(seed ^ (i as u64 + 1));
    }
    p[3] &= 0xffff_ffff; // contextidr_el1: 32 bits
    p[8] &= 0x3ff; // cntkctl_el1: the EL0 access bits (no effect at EL1)
    p[9] = ((p[9] & 0x1f) | 0x1) << 22; // fpcr: AHP, DN, FZ, RMode, never all 0
    p[10] &= 0x0800_009f; // fpsr: QC and the cumulative flags
    p[12] &= 0xffff_ffff; // esr_el1
    p[13] = (p[13] & 0xf000_0000) | 0x3c5; // spsr_el1: flags, DAIF, EL1h
    p
}

fn main(thread: ThreadInfo) -> ! {
    let ids = my_ids().unwrap_or(bulkhead_sdk::Ids { partition: 0, thread: thread.index, core: 0 });
    let hz = bulkhead_sdk::irq::vtimer::frequency();
    let spin = (u128::from(SPIN_NS) * u128::from(hz) / 1_000_000_000) as u64;
    for round in 1..=ROUNDS {
        // Partition, thread and round in the top bytes; x3-x30 and the
        // vector registers add their number to it (below 4096).
        let seed =
            (u64::from(ids.partition) + 1) << 56 | (u64::from(ids.thread) + 1) << 48 | round << 40 | 0x5a5a << 16;
        let mut table = Table { pattern: patterns(seed), expected: [0; 16], general: 0, vector: 0, system: 0, gaps: 0 };
        let until = bulkhead_sdk::irq::vtimer::now() + spin;
        hold(seed, until, &mut table);
        if table.general | table.vector | table.system == 0 {
            println!(
                "registers: round {round}: 28 general, 32 vector, 16 system registers kept, {} times off the core",
                table.gaps
            );
        } else {
            println!("registers: FAILED round {round}:{}", failed_names(&table).as_str());
        }
    }
    println!("registers: done");
    loop {
        let _ = periodic_wait();
    }
}

/// The registers that did not hold, as one console line's worth of text
/// (the image has no heap): per kind, up to four names, then how many
/// more.
fn failed_names(t: &Table) -> MessageBuf<80> {
    let mut text = MessageBuf::new();
    let bits = |mask: u64| (0..64).filter(move |i| mask >> i & 1 == 1);
    let more = |text: &mut MessageBuf<80>, mask: u64| {
        let count = bits(mask).count();
        if count > 4 {
            let _ = write!(text, " +{}", count - 4);
        }
    };
    for (prefix, mask) in [('x', t.general), ('v', t.vector)] {
        for i in bits(mask).take(4) {
            let _ = write!(text, " {prefix}{i}");
        }
        more(&mut text, mask);
    }
    for i in bits(t.system).take(4) {
        let _ = write!(text, " {}", SYSTEM[i]);
    }
    more(&mut text, t.system);
    text
}

#[cfg(target_arch = "aarch64")]
fn hold(seed: u64, until: u64, table: &mut Table) {
    // SAFETY: `registers_hold` is an AAPCS64 function (below): it saves
    // and restores every callee-saved register and every system register
    // it writes, touches only `table` and its own stack frame, and takes
    // no exception (the partition enables no interrupt).
    unsafe { registers_hold(seed, until, table) }
}

#[cfg(not(target_arch = "aarch64"))]
fn hold(_seed: u64, _until: u64, _table: &mut Table) {
    unreachable!("registers only runs on aarch64")
}

#[cfg(target_arch = "aarch64")]
unsafe extern "C" {
    fn registers_hold(seed: u64, until: u64, table: *mut Table);
}

// registers_hold(x0 = seed, x1 = until, x2 = table). Frame (448 bytes):
//   0 seed, 8 table, 16 x19-x30, 112 d8-d15, 176 the 16 system registers'
//   original values, 304 times off the core.
// Every system register, in SYSTEM's order, through `.irp`.
#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    r#"
    .arch_extension fp
    .arch_extension simd
    .global registers_hold
    .type registers_hold, %function
registers_hold:
    sub     sp, sp, #448
    stp     x0, x2, [sp, #0]
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    stp     x29, x30, [sp, #96]
    stp     d8, d9, [sp, #112]
    stp     d10, d11, [sp, #128]
    stp     d12, d13, [sp, #144]
    stp     d14, d15, [sp, #160]
    str     xzr, [sp, #304]
    // System registers: keep the original, write the pattern, keep what
    // it reads back as (the expected value).
    mov     x3, #0
    .irp reg, tpidr_el0, tpidrro_el0, tpidr_el1, contextidr_el1, far_el1, elr_el1, sp_el0, cntv_cval_el0, cntkctl_el1, fpcr, fpsr, par_el1, esr_el1, spsr_el1, afsr0_el1, afsr1_el1
    mrs     x4, \reg
    add     x5, sp, #176
    str     x4, [x5, x3]
    ldr     x4, [x2, x3]
    msr     \reg, x4
    mrs     x4, \reg
    add     x5, x2, #128
    str     x4, [x5, x3]
    add     x3, x3, #8
    .endr
    // Vector registers: low half seed + 64 + n, high half its complement.
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    add     x4, x0, #(64 + \n)
    fmov    d\n, x4
    mvn     x4, x4
    mov     v\n\().d[1], x4
    .endr
    // General registers x3-x30: seed + n.
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    add     x\n, x0, #\n
    .endr
    // Spin until the count reaches x1, in x0-x2 only; a gap of 1 ms or
    // more (65536 ticks at 62.5 MHz, 1.2 ms at 54 MHz) is a time off the
    // core.
    mrs     x2, cntvct_el0
1:  mrs     x0, cntvct_el0
    sub     x2, x0, x2
    cmp     x2, #16, lsl #12
    b.lo    2f
    ldr     x2, [sp, #304]
    add     x2, x2, #1
    str     x2, [sp, #304]
2:  mov     x2, x0
    cmp     x0, x1
    b.lo    1b
    // Check. General registers first, x30 the mask, x0 the seed, x1 the
    // expected value.
    ldr     x0, [sp, #0]
    add     x1, x0, #30
    cmp     x30, x1
    cset    x30, ne
    lsl     x30, x30, #30
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29
    add     x1, x0, #\n
    cmp     x\n, x1
    cset    x1, ne
    orr     x30, x30, x1, lsl #\n
    .endr
    // Vector registers into x2's mask (the first FP/SIMD access since the
    // spin: a lazy switch's trap comes here).
    mov     x2, #0
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    add     x1, x0, #(64 + \n)
    fmov    x3, d\n
    mov     x4, v\n\().d[1]
    mvn     x5, x1
    cmp     x3, x1
    ccmp    x4, x5, #0, eq
    cset    x3, ne
    orr     x2, x2, x3, lsl #\n
    .endr
    // System registers into x6's mask; originals back.
    ldr     x7, [sp, #8]
    mov     x6, #0
    mov     x3, #0
    mov     x8, #0
    .irp reg, tpidr_el0, tpidrro_el0, tpidr_el1, contextidr_el1, far_el1, elr_el1, sp_el0, cntv_cval_el0, cntkctl_el1, fpcr, fpsr, par_el1, esr_el1, spsr_el1, afsr0_el1, afsr1_el1
    mrs     x4, \reg
    add     x5, x7, #128
    ldr     x5, [x5, x3]
    cmp     x4, x5
    cset    x4, ne
    lsl     x4, x4, x8
    orr     x6, x6, x4
    add     x5, sp, #176
    ldr     x4, [x5, x3]
    msr     \reg, x4
    add     x3, x3, #8
    add     x8, x8, #1
    .endr
    stp     x30, x2, [x7, #256]
    ldr     x4, [sp, #304]
    stp     x6, x4, [x7, #272]
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp, #96]
    ldp     d8, d9, [sp, #112]
    ldp     d10, d11, [sp, #128]
    ldp     d12, d13, [sp, #144]
    ldp     d14, d15, [sp, #160]
    add     sp, sp, #448
    ret
    .size registers_hold, . - registers_hold
"#
);
