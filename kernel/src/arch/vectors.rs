//! The EL2 exception vector table (Arm ARM DDI 0487 D1.10.2, "Exception
//! vectors") and the assembly halves of the handlers.
//!
//! - IRQ taken from EL2 (the kernel idling or running its own code): a
//!   minimal frame (the caller-saved x0-x18, x29, x30, ELR, SPSR), then
//!   `irq_entry`. PSTATE.I stays set for the whole handler: **handlers do not
//!   nest**, so no handler needs to be reentrant and the frame never grows.
//! - Anything from a lower EL (a partition thread) goes to the guest exit
//!   stubs of `guest.rs`, which save the thread's registers and return into
//!   the kernel's per-core loop: a partition cannot crash the kernel.
//! - An SError at EL2 inside the window the guest exit path opens for it
//!   is the guest's (`serror_current_el`); the exit becomes an SError exit.
//! - Everything else taken at EL2 is a kernel bug and fatal: the stub moves to this core's fatal stack (its top is the first
//!   word of the PerCore block TPIDR_EL2 points at) before it saves anything, so even a kernel stack overflow into
//!   a guard page gets its register dump; then `fatal_exception(frame, kind)`.
//!   The original x0 passes through SP_EL0, whose value is not needed again on
//!   a path that never returns.
use core::arch::global_asm;

/// Which of the 16 vectors fired; the numbering is the table's slot order.
pub const VECTOR_NAMES: [&str; 16] = [
    "synchronous, current EL with SP0",
    "IRQ, current EL with SP0",
    "FIQ, current EL with SP0",
    "SError, current EL with SP0",
    "synchronous, current EL with SPx",
    "IRQ, current EL with SPx",
    "FIQ, current EL with SPx",
    "SError, current EL with SPx",
    "synchronous, lower EL AArch64",
    "IRQ, lower EL AArch64",
    "FIQ, lower EL AArch64",
    "SError, lower EL AArch64",
    "synchronous, lower EL AArch32",
    "IRQ, lower EL AArch32",
    "FIQ, lower EL AArch32",
    "SError, lower EL AArch32",
];

/// Register frame the fatal path saves, in this order.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct FatalFrame {
    pub x: [u64; 31],
    pub elr: u64,
    pub spsr: u64,
    pub esr: u64,
    pub far: u64,
    _pad: u64,
}

global_asm!(
    r#"
.macro FATAL_STUB kind
fatal_stub_\kind:
    msr     sp_el0, x0
    mrs     x0, tpidr_el2
    ldr     x0, [x0]                    // PerCore.fatal_stack_top
    mov     sp, x0
    sub     sp, sp, #288
    stp     x1, x2, [sp, #8 * 1]
    stp     x3, x4, [sp, #8 * 3]
    stp     x5, x6, [sp, #8 * 5]
    stp     x7, x8, [sp, #8 * 7]
    stp     x9, x10, [sp, #8 * 9]
    stp     x11, x12, [sp, #8 * 11]
    stp     x13, x14, [sp, #8 * 13]
    stp     x15, x16, [sp, #8 * 15]
    stp     x17, x18, [sp, #8 * 17]
    stp     x19, x20, [sp, #8 * 19]
    stp     x21, x22, [sp, #8 * 21]
    stp     x23, x24, [sp, #8 * 23]
    stp     x25, x26, [sp, #8 * 25]
    stp     x27, x28, [sp, #8 * 27]
    stp     x29, x30, [sp, #8 * 29]
    mrs     x1, sp_el0
    str     x1, [sp]
    mrs     x1, elr_el2
    mrs     x2, spsr_el2
    stp     x1, x2, [sp, #8 * 31]
    mrs     x1, esr_el2
    mrs     x2, far_el2
    stp     x1, x2, [sp, #8 * 33]
    mov     x0, sp
    mov     x1, #\kind
    bl      fatal_exception
    b       park_core
.endm

.macro VECTOR target
.balign 0x80
    b       \target
.endm

.section .text.vectors, "ax"
.balign 0x800
.global el2_vectors
el2_vectors:
    VECTOR fatal_stub_0
    VECTOR fatal_stub_1
    VECTOR fatal_stub_2
    VECTOR fatal_stub_3
    VECTOR fatal_stub_4
    VECTOR irq_current_el
    VECTOR fatal_stub_6
    VECTOR serror_current_el
    VECTOR guest_exit_8
    VECTOR guest_exit_9
    VECTOR guest_exit_10
    VECTOR guest_exit_11
    VECTOR guest_exit_12
    VECTOR guest_exit_13
    VECTOR guest_exit_14
    VECTOR guest_exit_15

// SError at EL2: the guest's, synchronised on its exit (guest.rs,
// `guest_serror_window_start..end`): the exit becomes an SError exit and
// returns past the window with PSTATE.A set; anywhere else it is the
// kernel's and fatal. x1-x3 are the exit path's scratch registers (the
// guest's values are saved), but are kept anyway for the fatal dump.
.balign 0x80
serror_current_el:
    stp     x1, x2, [sp, #-32]!
    str     x3, [sp, #16]
    mrs     x1, elr_el2
    adr     x2, guest_serror_window_start
    adr     x3, guest_serror_window_end
    cmp     x1, x2
    b.lo    1f
    cmp     x1, x3
    b.hi    1f
    mov     x0, #11                     // the exit kind of an SError
    msr     elr_el2, x3
    mrs     x1, spsr_el2
    orr     x1, x1, #(1 << 8)           // PSTATE.A: masked again
    msr     spsr_el2, x1
    ldr     x3, [sp, #16]
    ldp     x1, x2, [sp], #32
    eret
1:  ldr     x3, [sp, #16]
    ldp     x1, x2, [sp], #32
    b       fatal_stub_7

.balign 0x80
.global irq_current_el
irq_current_el:
    sub     sp, sp, #192
    stp     x0, x1, [sp, #8 * 0]
    stp     x2, x3, [sp, #8 * 2]
    stp     x4, x5, [sp, #8 * 4]
    stp     x6, x7, [sp, #8 * 6]
    stp     x8, x9, [sp, #8 * 8]
    stp     x10, x11, [sp, #8 * 10]
    stp     x12, x13, [sp, #8 * 12]
    stp     x14, x15, [sp, #8 * 14]
    stp     x16, x17, [sp, #8 * 16]
    stp     x18, x29, [sp, #8 * 18]
    mrs     x0, elr_el2
    mrs     x1, spsr_el2
    stp     x30, x0, [sp, #8 * 20]
    str     x1, [sp, #8 * 22]
    bl      irq_entry
.global irq_current_el_return
irq_current_el_return:
    ldr     x1, [sp, #8 * 22]
    ldp     x30, x0, [sp, #8 * 20]
    msr     elr_el2, x0
    msr     spsr_el2, x1
    ldp     x18, x29, [sp, #8 * 18]
    ldp     x16, x17, [sp, #8 * 16]
    ldp     x14, x15, [sp, #8 * 14]
    ldp     x12, x13, [sp, #8 * 12]
    ldp     x10, x11, [sp, #8 * 10]
    ldp     x8, x9, [sp, #8 * 8]
    ldp     x6, x7, [sp, #8 * 6]
    ldp     x4, x5, [sp, #8 * 4]
    ldp     x2, x3, [sp, #8 * 2]
    ldp     x0, x1, [sp, #8 * 0]
    add     sp, sp, #192
    eret

FATAL_STUB 0
FATAL_STUB 1
FATAL_STUB 2
FATAL_STUB 3
FATAL_STUB 4
FATAL_STUB 6
FATAL_STUB 7
"#
);
