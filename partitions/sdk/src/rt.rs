//! Start-up code and the EL1 exception vector table of every partition
//! thread (bare-metal builds only).
//!
//! Entry state (`kernel/abi`, "Thread entry state"): EL1h, DAIF masked,
//! stage-1 MMU off with memory normal cacheable (HCR_EL2.DC), `x0` thread
//! index, `x1` thread count, `x2` memory base IPA, `x3` memory size, `x4`,
//! `x5` a StartProcessAt entry and argument, `x6`, `x7` the heap's base IPA
//! and size (0: none), SP_EL1 the thread's stack top. `_start` is the first byte of the image
//! (`linker/partition.ld` places `.text.start` first and asserts it).
//!
//! `_start`, per thread:
//! 1. CPACR_EL1.FPEN = 0b11: compiled Rust uses the FP/SIMD registers
//!    (copies, formatting) and CPACR_EL1 resets to an UNKNOWN value (Arm ARM
//!    DDI 0487 D19.2.30); without this the first such instruction traps.
//! 2. VBAR_EL1 = the SDK vector table, so an EL1 exception is reported with
//!    its syndrome instead of fetching from an unmapped vector address.
//! 3. Checks SP: non-zero, 16-byte aligned, within `(base, base + size]`.
//!    A thread without a usable stack runs no Rust code: it raises an
//!    application error from assembly and parks.
//! 4. TPIDR_EL1 = the stack top, for the vectors (below; it is cleared
//!    first thing, so an exception before this point takes the no-stack
//!    path); then calls the entry `partition_main!` defined, with `x0..x7`
//!    untouched (its eight arguments).
//!
//! `.bss` is not cleared: the kernel zeroes partition memory not filled
//! from the image at every start and restart (ABI), and with several
//! threads starting at once no single one could own the clearing.
//!
//! Vectors (Arm ARM D1.10.2): the IRQ vectors of the current EL (SP0 and
//! SPx) and of a lower AArch64 EL save the caller-saved state and call
//! [`crate::irq`]'s dispatcher (acknowledge, handler, end of interrupt,
//! until nothing is pending), then return with ERET. Every other one is
//! unexpected for a partition thread (FIQ and SError are the kernel's, HVC
//! and trapped operations go to EL2), so each reports and parks the
//! thread; none returns. The common
//! path restarts on the thread's stack top kept in TPIDR_EL1 (the thread's
//! frames are dead, and its SP may be the very thing that went wrong, e.g.
//! a stack overflow), and sets TPIDR_EL1 bit 0 (the top is 16-aligned, so
//! the bit is free) while it reports: an exception while reporting, or with
//! no stack top recorded, takes the assembly-only path instead of looping.
//! **TPIDR_EL1 therefore belongs to the SDK**, and so does TPIDRRO_EL0:
//! `_start` puts the thread's index (`x0`) there, for [`crate::thread_index`]
//! to read without a hypercall (the kernel keeps both per thread).

use core::arch::global_asm;
use core::fmt::Write;

use bulkhead_abi::{Call, MAX_ERROR_MESSAGE};

use crate::exception::Exception;
use crate::{MessageBuf, error_code, raise_application_error};

/// The message of the assembly-only report (no stack, or a fault while
/// reporting one).
const NO_STACK_TEXT: &str =
    "thread has no usable stack (SP_EL1 0, unaligned or outside partition memory), or faulted reporting an exception";
const _: () = assert!(NO_STACK_TEXT.len() <= MAX_ERROR_MESSAGE);

/// [`NO_STACK_TEXT`] as the bytes the assembly passes by address.
static NO_STACK_MESSAGE: [u8; NO_STACK_TEXT.len()] = bytes_of(NO_STACK_TEXT);

const fn bytes_of<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = s.as_bytes()[i];
        i += 1;
    }
    out
}

global_asm!(
    r#"
.pushsection .text.start, "ax", %progbits
.global _start
.type _start, %function
_start:
    msr     tpidr_el1, xzr              // no stack top yet: vectors take the no-stack path
    mov     x9, #(3 << 20)              // CPACR_EL1.FPEN = 0b11: no FP/SIMD trap
    msr     cpacr_el1, x9
    adrp    x9, __bulkhead_vectors
    add     x9, x9, :lo12:__bulkhead_vectors
    msr     vbar_el1, x9
    isb
    mov     x9, sp
    cbz     x9, 1f                      // no stack at all
    tst     x9, #15
    b.ne    1f                          // AAPCS64 needs 16-byte alignment
    cmp     x9, x2
    b.ls    1f                          // at or below the memory base
    adds    x10, x2, x3
    b.cs    1f                          // base + size wraps: bad entry state
    cmp     x9, x10
    b.hi    1f                          // above the memory end
    msr     tpidr_el1, x9               // stack top, for the vectors
    msr     tpidrro_el0, x0             // thread index, for thread_index()
    bl      __bulkhead_partition_entry  // x0..x7 as the kernel set them; never returns
1:  msr     tpidr_el1, xzr
    b       __bulkhead_no_stack
.size _start, . - _start
.popsection

.pushsection .text.bulkhead_vectors, "ax", %progbits
.balign 2048                            // VBAR_EL1 bits [10:0] are RES0
.global __bulkhead_vectors
__bulkhead_vectors:
.irp vector, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
.balign 128
.if (\vector == 1) || (\vector == 5) || (\vector == 9)
    b       __bulkhead_irq_entry        // IRQ, from EL1 (either SP) or an EL0 below it
.else
    mov     x9, #\vector
    b       __bulkhead_vector_common
.endif
.endr

// IRQ: save what a Rust call may change (AAPCS64: x0-x18, x29, x30, the
// FP/SIMD v0-v7 and v16-v31 whole, FPCR, FPSR) and ELR_EL1, SPSR_EL1, on
// the interrupted thread's stack (SP_EL1: exception entry selects it);
// dispatch; restore; return. 592 bytes, a multiple of 16: SP stays
// aligned. PSTATE.I stays set throughout (exception entry sets it), so
// handlers never nest and ELR/SPSR cannot be overwritten meanwhile.
__bulkhead_irq_entry:
    sub     sp, sp, #592
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x29, [sp, #144]
    mrs     x0, elr_el1
    mrs     x1, spsr_el1
    stp     x30, x0, [sp, #160]
    mrs     x2, fpcr
    mrs     x3, fpsr
    stp     x1, x2, [sp, #176]
    str     x3, [sp, #192]
    stp     q0, q1, [sp, #208]
    stp     q2, q3, [sp, #240]
    stp     q4, q5, [sp, #272]
    stp     q6, q7, [sp, #304]
    stp     q16, q17, [sp, #336]
    stp     q18, q19, [sp, #368]
    stp     q20, q21, [sp, #400]
    stp     q22, q23, [sp, #432]
    stp     q24, q25, [sp, #464]
    stp     q26, q27, [sp, #496]
    stp     q28, q29, [sp, #528]
    stp     q30, q31, [sp, #560]
    bl      __bulkhead_irq_dispatch
    ldp     q30, q31, [sp, #560]
    ldp     q28, q29, [sp, #528]
    ldp     q26, q27, [sp, #496]
    ldp     q24, q25, [sp, #464]
    ldp     q22, q23, [sp, #432]
    ldp     q20, q21, [sp, #400]
    ldp     q18, q19, [sp, #368]
    ldp     q16, q17, [sp, #336]
    ldp     q6, q7, [sp, #304]
    ldp     q4, q5, [sp, #272]
    ldp     q2, q3, [sp, #240]
    ldp     q0, q1, [sp, #208]
    ldr     x3, [sp, #192]
    ldp     x1, x2, [sp, #176]
    msr     fpsr, x3
    msr     fpcr, x2
    msr     spsr_el1, x1
    ldp     x30, x0, [sp, #160]
    msr     elr_el1, x0
    ldp     x18, x29, [sp, #144]
    ldp     x16, x17, [sp, #128]
    ldp     x14, x15, [sp, #112]
    ldp     x12, x13, [sp, #96]
    ldp     x10, x11, [sp, #80]
    ldp     x8, x9, [sp, #64]
    ldp     x6, x7, [sp, #48]
    ldp     x4, x5, [sp, #32]
    ldp     x2, x3, [sp, #16]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #592
    eret

__bulkhead_vector_common:
    mrs     x10, tpidr_el1
    cbz     x10, __bulkhead_no_stack    // no stack top recorded
    tbnz    x10, #0, __bulkhead_no_stack // already reporting one: do not loop
    orr     x11, x10, #1
    msr     tpidr_el1, x11
    mov     sp, x10                     // restart on the top of this thread's stack
    mov     x0, x9
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    mrs     x4, spsr_el1
    bl      __bulkhead_unexpected_exception // never returns

// Report without a stack: RaiseApplicationError(NO_STACK, message), then
// PeriodicWait forever. Touches no memory but the message.
.global __bulkhead_no_stack
__bulkhead_no_stack:
    movz    w0, #{rae_hi}, lsl #16
    movk    w0, #{rae_lo}
    mov     x1, #{no_stack_code}
    adrp    x2, {message}
    add     x2, x2, :lo12:{message}
    mov     x3, #{message_len}
    hvc     #0
2:  movz    w0, #{wait_hi}, lsl #16
    movk    w0, #{wait_lo}
    hvc     #0
    b       2b
.popsection
"#,
    rae_hi = const Call::RaiseApplicationError.id() >> 16,
    rae_lo = const Call::RaiseApplicationError.id() & 0xffff,
    wait_hi = const Call::PeriodicWait.id() >> 16,
    wait_lo = const Call::PeriodicWait.id() & 0xffff,
    no_stack_code = const error_code::NO_STACK,
    message = sym NO_STACK_MESSAGE,
    message_len = const NO_STACK_TEXT.len(),
);

/// Rust half of every vector: on the thread's own stack top, with the
/// exception's registers. Prints the report (two lines), raises the short
/// form with the health monitor, parks the thread.
#[unsafe(no_mangle)]
extern "C" fn __bulkhead_unexpected_exception(vector: u64, esr: u64, elr: u64, far: u64, spsr: u64) -> ! {
    let e = Exception { vector, esr, elr, far, spsr };
    let (headline, registers) = e.report();
    crate::println!("{headline}");
    crate::println!("{registers}");
    let mut message = MessageBuf::<MAX_ERROR_MESSAGE>::new();
    let _ = write!(message, "{}", e.short());
    let _ = raise_application_error(error_code::UNEXPECTED_EXCEPTION, message.as_bytes());
    crate::park()
}
