//! Boot entry: the first instructions of the kernel, on every core.
//!
//! `kernel/src/arch` is the one door to the CPU (STYLE.md habit 2). This file
//! follows the entry states of `platform-facts.md` and Arm ARM DDI 0487 D1.10
//! (exception return) for the EL3 -> EL2 drop:
//!
//! - raw `kernel8.img` (firmware, QEMU): core 0 enters `_start` at EL2; cores
//!   1-3 wait in the firmware's spin loop and are sent to `_secondary_start`.
//! - ELF under QEMU: all four cores enter `_start` at EL3. Each puts the GIC
//!   in the state the Pi firmware leaves it (group 1, when the GIC has the
//!   Security Extensions) and drops to EL2; cores 1-3 then wait on the same
//!   spin table as the firmware's loop would, so the release path is the
//!   same for both.
//! - EL1: no hypervisor possible; core 0 reports why (`wrong_el_entry`).
//!
//! Core 0 keeps its x0 (the device tree's address: Linux's arm64 boot
//! protocol, which the Pi firmware and QEMU follow for a raw image) in x21
//! and stores it in [`BOOT_X0`] once .bss is zeroed. Core 0 zeroes .bss
//! with the MMU off; every core sets its stack (slot
//! `core` of `.stacks`), records its fatal-exception stack (slot `core + 4`)
//! in its [`PerCore`](super::percpu::PerCore) block, points TPIDR_EL2 at that
//! block, installs the EL2 vectors and calls `kernel_entry(core)`.
use core::arch::global_asm;
use core::sync::atomic::{AtomicU64, Ordering};

/// The exception level core 0 entered `_start` at (2 for a raw image from
/// the firmware or QEMU, 3 for an ELF under QEMU), stored by the boot code
/// once .bss is zeroed.
#[unsafe(no_mangle)]
static BOOT_ENTRY_EL: AtomicU64 = AtomicU64::new(0);

/// The exception level core 0 entered the kernel at.
pub fn entry_el() -> u64 {
    BOOT_ENTRY_EL.load(Ordering::Relaxed)
}

/// Core 0's x0 at entry: the device tree's address when the firmware (or
/// QEMU with `-dtb`) passed one, else whatever it left there (QEMU: 0x100
/// for a raw image, 0 for an ELF). Kept in x21 from the first instruction
/// and stored once .bss is zeroed. Cores 1-3 come with x0 = 0 and store
/// nothing: the tree is the boot core's.
#[unsafe(no_mangle)]
static BOOT_X0: AtomicU64 = AtomicU64::new(0);

/// Core 0's x0 at entry (see [`BOOT_X0`]); `kernel/src/dtb.rs` reads it.
pub fn entry_x0() -> u64 {
    BOOT_X0.load(Ordering::Relaxed)
}

global_asm!(
    r#"
.section .text.boot, "ax"
.global _start
_start:
    mov     x21, x0                     // the device tree's address, if any: x0 is clobbered below
    mrs     x19, CurrentEL
    ubfx    x19, x19, #2, #2
    mrs     x20, mpidr_el1
    and     x20, x20, #0xff             // Aff0: core index 0..3 on BCM2711
    cmp     x19, #3
    b.eq    1f
    cmp     x19, #2
    b.eq    2f
    // EL1 or EL0: explain on core 0, park the others.
    cbnz    x20, park_core
    ldr     x1, =__stacks_start
    ldr     x2, =__stack_slot_size
    add     x1, x1, x2
    mov     sp, x1
    bl      wrong_el_entry
    b       park_core

1:  // EL3 (QEMU given an ELF): make EL2 the non-secure AArch64 hypervisor.
    // SCR_EL3: RW (EL2 is AArch64) | HCE (HVC enabled) | SMD (SMC undefined
    // from EL2/EL1; partitions cannot reach a secure monitor) | RES1 5:4 | NS.
    mov     x0, #0x5b1
    msr     scr_el3, x0
    msr     cptr_el3, xzr               // FP/SIMD not trapped to EL3
    ldr     x0, =0x30c50830             // SCTLR_EL2: RES1 bits, MMU and caches off
    msr     sctlr_el2, x0
    // The GIC as the Pi firmware leaves it (armstub8.S `setup_gic`), so
    // that an ELF boot sees what a raw one does: EL2 is non-secure, and
    // on a GIC with the Security Extensions (GICD_TYPER bit 10; QEMU's
    // only with -global arm_gic.has-security-extensions=on) non-secure
    // code sees only group 1 and cannot raise a priority mask the secure
    // side left below 0x80. At reset everything is group 0 and the mask 0,
    // so here, secure: every interrupt group 1 (IGROUPR0 is banked, so
    // every core writes; the SPIs' registers are shared, written alike),
    // this core's mask 0xff. Without the extensions nothing to do: the
    // kernel keeps group 0 (kernel/gic).
    ldr     x1, ={gicd}
    ldr     w2, [x1, #4]                // GICD_TYPER
    tbz     w2, #10, 8f                 // SecurityExtn
    and     w2, w2, #0x1f               // ITLinesNumber: N + 1 registers
    add     x3, x1, #0x80               // GICD_IGROUPR0
    mov     w4, #-1
7:  str     w4, [x3], #4
    subs    w2, w2, #1
    b.pl    7b
    ldr     x1, ={gicc}
    mov     w2, #0xff
    str     w2, [x1, #4]                // GICC_PMR
8:  mov     x0, #0x3c9                  // SPSR: EL2h, DAIF masked
    msr     spsr_el3, x0
    adr     x0, 2f
    msr     elr_el3, x0
    eret

2:  // EL2.
    ldr     x0, =0x30c50830
    msr     sctlr_el2, x0
    isb
    cbnz    x20, elf_secondary_wait
    // Zero .bss, 256 bytes a loop turn, then 16 at a time: the MMU is
    // off, so memory is device memory here and DC ZVA would fault; one
    // STP per 16 bytes with the loop around it was 269,000 instructions
    // of the boot for the ~1 MiB of .bss.
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
    sub     x2, x1, x0
    and     x2, x2, #~255
    add     x2, x0, x2                  // end of the whole 256-byte chunks
    b       9f
10: stp     xzr, xzr, [x0, #0]
    stp     xzr, xzr, [x0, #16]
    stp     xzr, xzr, [x0, #32]
    stp     xzr, xzr, [x0, #48]
    stp     xzr, xzr, [x0, #64]
    stp     xzr, xzr, [x0, #80]
    stp     xzr, xzr, [x0, #96]
    stp     xzr, xzr, [x0, #112]
    stp     xzr, xzr, [x0, #128]
    stp     xzr, xzr, [x0, #144]
    stp     xzr, xzr, [x0, #160]
    stp     xzr, xzr, [x0, #176]
    stp     xzr, xzr, [x0, #192]
    stp     xzr, xzr, [x0, #208]
    stp     xzr, xzr, [x0, #224]
    stp     xzr, xzr, [x0, #240]
    add     x0, x0, #256
9:  cmp     x0, x2
    b.lo    10b
3:  cmp     x0, x1
    b.hs    4f
    stp     xzr, xzr, [x0], #16
    b       3b
4:  ldr     x1, =BOOT_ENTRY_EL          // after .bss is zeroed: core 0's entry EL
    str     x19, [x1]
    ldr     x1, =BOOT_X0                // and its x0 (x21 survives the EL3 -> EL2 eret)
    str     x21, [x1]
    mov     x0, x20
    b       common_entry

// Cores 1-3 of an ELF boot: the firmware's protocol, by hand.
elf_secondary_wait:
    mov     x1, #0xd8
    add     x1, x1, x20, lsl #3
5:  wfe
    ldr     x2, [x1]
    cbz     x2, 5b
    br      x2

.global _secondary_start
_secondary_start:
    mrs     x20, mpidr_el1
    and     x20, x20, #0xff
    ldr     x0, =0x30c50830
    msr     sctlr_el2, x0
    isb
    mov     x0, x20
    b       common_entry

// x0 = core index.
common_entry:
    ldr     x1, =__stacks_start
    ldr     x2, =__stack_slot_size
    madd    x3, x0, x2, x1
    add     x3, x3, x2                  // top of slot `core`
    mov     sp, x3
    add     x4, x0, #4
    madd    x3, x4, x2, x1
    add     x3, x3, x2                  // top of slot `core + 4`
    ldr     x4, =PER_CORE
    add     x4, x4, x0, lsl #{per_core_shift}
    str     x3, [x4]                    // PerCore.fatal_stack_top
    msr     tpidr_el2, x4
    ldr     x1, =el2_vectors
    msr     vbar_el2, x1
    isb
    bl      kernel_entry
    b       park_core

.global park_core
park_core:
    msr     daifset, #0xf
6:  wfe
    b       6b
.ltorg
"#,
    per_core_shift = const super::percpu::PER_CORE_SHIFT,
    gicd = const bulkhead_board_rpi4::gic::GICD_BASE,
    gicc = const bulkhead_board_rpi4::gic::GICC_BASE,
);
