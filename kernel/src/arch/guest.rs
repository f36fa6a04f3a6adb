//! Entering and leaving a partition thread at EL1 (Arm ARM DDI 0487 D1.10
//! exception entry and return; D1.11 the EL1 system registers a guest owns).
//!
//! [`run_guest`] works like a function call that runs the guest: it saves the
//! kernel's callee-saved registers on the kernel stack, loads the thread's
//! general-purpose registers from its [`GuestFrame`] and `eret`s. Any
//! exception from EL1 (a hypercall, a trap, a fault, an interrupt) lands in a
//! lower-EL vector that stores the guest's registers back into that frame
//! and returns from `run_guest` with the vector's [`Exit`] kind. The kernel's
//! per-core loop is therefore plain Rust, and a guest's GPRs are saved
//! exactly once per exit.
//!
//! The rest of a thread's state (EL1 system registers, FP/SIMD) stays live in
//! the core while the same thread keeps running; [`El1State`] and [`FpState`]
//! are saved and loaded only when the core switches threads. The kernel is
//! built soft-float, so it never clobbers FP/SIMD registers itself.
use core::arch::{asm, global_asm};

/// A thread's general-purpose state as the exit vectors save it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct GuestFrame {
    pub x: [u64; 31],
    pub sp_el0: u64,
    pub elr: u64,
    pub spsr: u64,
}

/// Why `run_guest` returned: the lower-EL vector that was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Synchronous exception from AArch64 EL1/EL0: HVC, trap, abort.
    Sync,
    Irq,
    Fiq,
    SError,
    /// Any exception from AArch32 (a partition switched EL0 to AArch32).
    Aarch32,
}

impl Exit {
    fn from_vector(v: u64) -> Exit {
        match v {
            8 => Exit::Sync,
            9 => Exit::Irq,
            10 => Exit::Fiq,
            11 => Exit::SError,
            _ => Exit::Aarch32,
        }
    }
}

unsafe extern "C" {
    fn __run_guest(frame: *mut GuestFrame) -> u64;
}

/// Runs the thread whose registers are in `frame` until it leaves EL1.
///
/// # Safety
/// The core's EL2 configuration for this thread must be loaded (VTTBR_EL2 of
/// its partition, HCR_EL2 with stage 2 on, its EL1 and FP state), and
/// `frame.spsr` must name EL1 or EL0 (never EL2), so the `eret` cannot enter
/// the kernel's own exception level. IRQs must be masked at EL2.
pub unsafe fn run_guest(frame: &mut GuestFrame) -> Exit {
    // SAFETY: the caller guarantees the guest configuration; the assembly
    // saves and restores every callee-saved register of the kernel and
    // returns through the ordinary call path.
    Exit::from_vector(unsafe { __run_guest(frame) })
}

global_asm!(
    r#"
.section .text.guest, "ax"
.global __run_guest
__run_guest:
    stp     x29, x30, [sp, #-96]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    mrs     x1, tpidr_el2
    str     x0, [x1, #8]                // PerCore.guest_frame
    ldp     x2, x3, [x0, #8 * 31]       // sp_el0, elr
    msr     sp_el0, x2
    msr     elr_el2, x3
    ldr     x2, [x0, #8 * 33]
    msr     spsr_el2, x2
    mrs     x2, pmccntr_el0
    str     x2, [x1, #24]               // PerCore.entry_cycles
    ldp     x2, x3, [x0, #8 * 2]
    ldp     x4, x5, [x0, #8 * 4]
    ldp     x6, x7, [x0, #8 * 6]
    ldp     x8, x9, [x0, #8 * 8]
    ldp     x10, x11, [x0, #8 * 10]
    ldp     x12, x13, [x0, #8 * 12]
    ldp     x14, x15, [x0, #8 * 14]
    ldp     x16, x17, [x0, #8 * 16]
    ldp     x18, x19, [x0, #8 * 18]
    ldp     x20, x21, [x0, #8 * 20]
    ldp     x22, x23, [x0, #8 * 22]
    ldp     x24, x25, [x0, #8 * 24]
    ldp     x26, x27, [x0, #8 * 26]
    ldp     x28, x29, [x0, #8 * 28]
    ldr     x30, [x0, #8 * 30]
    ldp     x0, x1, [x0]
    eret
    dsb     nsh                         // no speculation past eret
    isb

// The hypercall fast path (issue 19): `HVC #0` with AbiVersion, MyIds or
// GetTime is answered here and the thread resumed at once, with nothing
// of it saved: none of them changes any state, so the per-core loop has
// nothing to decide (an interrupt that is pending is taken right after the
// eret, as an ordinary exit). x2 and x3 are the scratch registers, saved
// on the kernel stack (GetTime saves x0, x1, x4 and x5 too, to give them
// back if it must go the full way); anything else goes the full way.
.global guest_exit_8
guest_exit_8:
    stp     x2, x3, [sp, #-16]!
    mrs     x2, esr_el2
    movz    w3, #{hvc0_esr_hi}, lsl #16     // EC HVC64, IL, imm16 = 0
    cmp     w2, w3
    b.ne    1f
    movz    w3, #{function_base_hi}, lsl #16
    sub     w3, w0, w3                      // the call's number (w0 only, as the full path)
    cbz     w3, 2f
    cmp     w3, #{my_ids}
    b.eq    3f
    cmp     w3, #{get_time}
    b.eq    4f
1:  ldp     x2, x3, [sp], #16
    b       guest_exit_full_8
2:  // AbiVersion: x1 = major << 16 | minor, x2 = x3 = 0.
    mov     x0, xzr
    movz    x1, #{abi_minor}
    movk    x1, #{abi_major}, lsl #16
    mov     x2, xzr
    mov     x3, xzr
    add     sp, sp, #16
    eret
3:  // MyIds: x1 = partition, x2 = thread index, x3 = core.
    mrs     x3, tpidr_el2
    ldr     x3, [x3, #32]                   // PerCore.fast_ids
    mov     x0, xzr
    and     x1, x3, #0xffff
    ubfx    x2, x3, #16, #16
    ubfx    x3, x3, #32, #16
    add     sp, sp, #16
    eret
    dsb     nsh                             // no speculation past eret
    isb
4:  // GetTime: x1 = ns since the epoch now, x2 = at the end of the
    // window (PerCore.time_epoch/time_hz/window_end), as the full path's
    // `ns_since_epoch`: ticks since the epoch (0 before it), then
    // floor(ticks * 1e9 / hz) = q * 1e9 + floor(r * 1e9 / hz) with q, r =
    // ticks / hz, ticks % hz; r * 1e9 < 2^62 for hz < 2^32. A frequency not
    // below 2^32 Hz, a block not yet filled (hz 0) or a result past 2^64
    // ns goes the full way, which answers the same call.
    stp     x0, x1, [sp, #-32]!
    stp     x4, x5, [sp, #16]
    mrs     x5, tpidr_el2
    ldp     x0, x1, [x5, #40]               // epoch ticks, hz
    cbz     x1, 5f
    lsr     x2, x1, #32
    cbnz    x2, 5f
    ldr     x3, [x5, #56]                   // end of the window, ticks
    isb
    mrs     x2, cntpct_el0
    subs    x2, x2, x0
    csel    x2, xzr, x2, lo
    subs    x3, x3, x0
    csel    x3, xzr, x3, lo
    movz    x4, #0xca00
    movk    x4, #0x3b9a, lsl #16            // 1e9
.irp t, x2, x3
    udiv    x0, \t, x1
    msub    \t, x0, x1, \t
    mul     \t, \t, x4
    udiv    \t, \t, x1
    umulh   x5, x0, x4
    cbnz    x5, 5f
    mul     x0, x0, x4
    adds    \t, \t, x0
    b.cs    5f
.endr
    mov     x1, x2
    mov     x2, x3
    mov     x0, xzr
    mov     x3, xzr
    ldp     x4, x5, [sp, #16]
    add     sp, sp, #48
    eret
    dsb     nsh                             // no speculation past eret
    isb
5:  ldp     x4, x5, [sp, #16]
    ldp     x0, x1, [sp], #32
    b       1b

.macro GUEST_EXIT kind
.global guest_exit_full_\kind
guest_exit_full_\kind:
    stp     x0, x1, [sp, #-16]!
    mrs     x0, tpidr_el2
    mrs     x1, pmccntr_el0
    str     x1, [x0, #16]               // PerCore.exit_cycles
    ldr     x0, [x0, #8]                // PerCore.guest_frame
    stp     x2, x3, [x0, #8 * 2]
    stp     x4, x5, [x0, #8 * 4]
    stp     x6, x7, [x0, #8 * 6]
    stp     x8, x9, [x0, #8 * 8]
    stp     x10, x11, [x0, #8 * 10]
    stp     x12, x13, [x0, #8 * 12]
    stp     x14, x15, [x0, #8 * 14]
    stp     x16, x17, [x0, #8 * 16]
    stp     x18, x19, [x0, #8 * 18]
    stp     x20, x21, [x0, #8 * 20]
    stp     x22, x23, [x0, #8 * 22]
    stp     x24, x25, [x0, #8 * 24]
    stp     x26, x27, [x0, #8 * 26]
    stp     x28, x29, [x0, #8 * 28]
    str     x30, [x0, #8 * 30]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0]
    mrs     x2, sp_el0
    mrs     x3, elr_el2
    stp     x2, x3, [x0, #8 * 31]
    mrs     x2, spsr_el2
    str     x2, [x0, #8 * 33]
    mov     x0, #\kind
    b       guest_exit_common
.endm

GUEST_EXIT 8
.irp kind, 9, 10, 11, 12, 13, 14, 15
.global guest_exit_\kind
.set guest_exit_\kind, guest_exit_full_\kind
.endr
GUEST_EXIT 9
GUEST_EXIT 10
GUEST_EXIT 11
GUEST_EXIT 12
GUEST_EXIT 13
GUEST_EXIT 14
GUEST_EXIT 15

guest_exit_common:
    // An SError the guest caused must be charged to it, not to whoever runs
    // next: complete its outstanding accesses (dsb sy), then let a pending
    // SError in (EL2 runs with PSTATE.A set) for the length of an isb. One
    // taken here comes to `serror_current_el` (vectors.rs), which turns
    // this exit into an SError exit (x0 = 11) and returns past the window
    // with SErrors masked again.
    dsb     sy
.global guest_serror_window_start
guest_serror_window_start:
    msr     daifclr, #4
    isb
    msr     daifset, #4
.global guest_serror_window_end
guest_serror_window_end:
    // Spectre hardening on every exit from a partition (issue 13), before
    // the first indirect branch (the `ret` below):
    // - the branch history the guest trained is overwritten by 8 taken
    //   branches, then a barrier (Spectre-BHB; 8 is the count Arm gives
    //   for the Cortex-A72);
    // - the guest's values are cleared from every register the kernel does
    //   not restore itself (x1-x18; x19-x30 come back from the stack
    //   below), so no Rust code runs with guest-chosen values in them.
    mov     x1, #8
1:  b       2f
2:  subs    x1, x1, #1
    b.ne    1b
    dsb     nsh
    isb
    mov     x1, xzr
    mov     x2, xzr
    mov     x3, xzr
    mov     x4, xzr
    mov     x5, xzr
    mov     x6, xzr
    mov     x7, xzr
    mov     x8, xzr
    mov     x9, xzr
    mov     x10, xzr
    mov     x11, xzr
    mov     x12, xzr
    mov     x13, xzr
    mov     x14, xzr
    mov     x15, xzr
    mov     x16, xzr
    mov     x17, xzr
    mov     x18, xzr
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #96
    ret
"#,
    hvc0_esr_hi = const 0x5a00,
    function_base_hi = const bulkhead_abi::FUNCTION_BASE >> 16,
    my_ids = const bulkhead_abi::Call::MyIds as u32 & 0xffff,
    get_time = const bulkhead_abi::Call::GetTime as u32 & 0xffff,
    abi_major = const bulkhead_abi::ABI_VERSION_MAJOR,
    abi_minor = const bulkhead_abi::ABI_VERSION_MINOR,
);

macro_rules! el1_registers {
    ($($reg:ident),* $(,)?) => {
        /// The EL1 system registers a guest owns, saved when the core
        /// switches threads.
        #[repr(C)]
        #[derive(Debug, Clone, Copy, Default)]
        #[allow(non_snake_case)]
        pub struct El1State {
            $(pub $reg: u64,)*
        }

        impl El1State {
            /// All zero.
            pub const ZERO: Self = Self { $($reg: 0,)* };

            /// Reads this core's live EL1 state.
            pub fn save() -> Self {
                let mut s = Self::ZERO;
                s.save_into();
                s
            }

            /// Reads this core's live EL1 state into `self`, in place: the
            /// switch path's save, which would otherwise copy the 192 bytes
            /// once more (issue 19).
            #[inline(always)]
            pub fn save_into(&mut self) {
                $(
                    // SAFETY: reading an EL1 register from EL2 has no side
                    // effect.
                    unsafe { asm!(concat!("mrs {0}, ", stringify!($reg)), out(reg) self.$reg, options(nomem, nostack, preserves_flags)) };
                )*
            }

            /// Loads this state into the core's EL1 registers.
            pub fn restore(&self) {
                $(
                    // SAFETY: EL1 registers only affect execution at EL1 and
                    // EL0, which is the guest this state belongs to; stage 2
                    // still confines whatever it configures.
                    unsafe { asm!(concat!("msr ", stringify!($reg), ", {0}"), in(reg) self.$reg, options(nomem, nostack, preserves_flags)) };
                )*
                // SAFETY: a barrier only.
                unsafe { asm!("isb", options(nomem, nostack, preserves_flags)) };
            }
        }
    };
}

el1_registers!(
    sctlr_el1,
    ttbr0_el1,
    ttbr1_el1,
    tcr_el1,
    mair_el1,
    amair_el1,
    vbar_el1,
    contextidr_el1,
    tpidr_el0,
    tpidrro_el0,
    tpidr_el1,
    esr_el1,
    far_el1,
    afsr0_el1,
    afsr1_el1,
    par_el1,
    cpacr_el1,
    elr_el1,
    spsr_el1,
    sp_el1,
    csselr_el1,
    cntkctl_el1,
    cntv_ctl_el0,
    cntv_cval_el0,
);

impl El1State {
    /// A thread's EL1 state before its first instruction: MMU and caches
    /// off (SCTLR_EL1 RES1 bits only), FP/SIMD enabled (CPACR_EL1.FPEN),
    /// the stack pointer at the top of its stack.
    pub fn initial(stack_top: u64) -> Self {
        El1State { sctlr_el1: 0x30d0_0800, cpacr_el1: 3 << 20, sp_el1: stack_top, ..Default::default() }
    }
}

/// FP/SIMD registers and their control and status registers.
#[repr(C, align(16))]
#[derive(Debug, Clone, Copy, Default)]
pub struct FpState {
    pub q: [u128; 32],
    pub fpcr: u64,
    pub fpsr: u64,
}

impl FpState {
    /// Saves the live FP/SIMD registers into `self`.
    pub fn save(&mut self) {
        // SAFETY: stores 528 bytes into `self`, which is that large and
        // 16-byte aligned; reads only FP registers.
        unsafe {
            asm!(
                ".arch_extension fp",
                ".arch_extension simd",
                "stp q0, q1, [{p}, #32 * 0]",
                "stp q2, q3, [{p}, #32 * 1]",
                "stp q4, q5, [{p}, #32 * 2]",
                "stp q6, q7, [{p}, #32 * 3]",
                "stp q8, q9, [{p}, #32 * 4]",
                "stp q10, q11, [{p}, #32 * 5]",
                "stp q12, q13, [{p}, #32 * 6]",
                "stp q14, q15, [{p}, #32 * 7]",
                "stp q16, q17, [{p}, #32 * 8]",
                "stp q18, q19, [{p}, #32 * 9]",
                "stp q20, q21, [{p}, #32 * 10]",
                "stp q22, q23, [{p}, #32 * 11]",
                "stp q24, q25, [{p}, #32 * 12]",
                "stp q26, q27, [{p}, #32 * 13]",
                "stp q28, q29, [{p}, #32 * 14]",
                "stp q30, q31, [{p}, #32 * 15]",
                "mrs {t}, fpcr",
                "str {t}, [{p}, #512]",
                "mrs {t}, fpsr",
                "str {t}, [{p}, #520]",
                p = in(reg) self as *mut Self,
                t = out(reg) _,
                options(nostack, preserves_flags)
            )
        };
    }

    /// Loads `self` into the FP/SIMD registers.
    pub fn restore(&self) {
        // SAFETY: reads 528 bytes from `self`; writes only FP registers,
        // which the soft-float kernel never uses.
        unsafe {
            asm!(
                ".arch_extension fp",
                ".arch_extension simd",
                "ldp q0, q1, [{p}, #32 * 0]",
                "ldp q2, q3, [{p}, #32 * 1]",
                "ldp q4, q5, [{p}, #32 * 2]",
                "ldp q6, q7, [{p}, #32 * 3]",
                "ldp q8, q9, [{p}, #32 * 4]",
                "ldp q10, q11, [{p}, #32 * 5]",
                "ldp q12, q13, [{p}, #32 * 6]",
                "ldp q14, q15, [{p}, #32 * 7]",
                "ldp q16, q17, [{p}, #32 * 8]",
                "ldp q18, q19, [{p}, #32 * 9]",
                "ldp q20, q21, [{p}, #32 * 10]",
                "ldp q22, q23, [{p}, #32 * 11]",
                "ldp q24, q25, [{p}, #32 * 12]",
                "ldp q26, q27, [{p}, #32 * 13]",
                "ldp q28, q29, [{p}, #32 * 14]",
                "ldp q30, q31, [{p}, #32 * 15]",
                "ldr {t}, [{p}, #512]",
                "msr fpcr, {t}",
                "ldr {t}, [{p}, #520]",
                "msr fpsr, {t}",
                p = in(reg) self as *const Self,
                t = out(reg) _,
                options(nostack, preserves_flags)
            )
        };
    }
}

/// The EL2 side of a partition: its stage-2 table and VMID, and the
/// virtual CPU id the thread sees.
pub fn load_vm(vttbr: u64, vmpidr: u64) {
    // SAFETY: VTTBR_EL2 and VMPIDR_EL2 only affect EL1/EL0 execution, which
    // starts at the next `eret`; each VMID tags its own TLB entries, so no
    // invalidation is needed on a switch.
    unsafe {
        asm!(
            "msr vttbr_el2, {v}",
            "msr vmpidr_el2, {m}",
            "isb",
            v = in(reg) vttbr,
            m = in(reg) vmpidr,
            options(nomem, nostack, preserves_flags)
        )
    };
}

/// Why the last synchronous exception from a guest was taken (Arm ARM
/// DDI 0487, the ESR_EL2, FAR_EL2 and HPFAR_EL2 register descriptions).
#[derive(Debug, Clone, Copy)]
pub struct Syndrome {
    pub esr: u64,
    /// The faulting virtual address of an abort (the guest's VA).
    pub far: u64,
    /// IPA bits [51:12] of the faulting address, in bits [43:4]; valid for
    /// a stage-2 translation or access flag fault, or any fault on a
    /// stage-1 table walk, not for a permission fault ([`ipa_of`]).
    pub hpfar: u64,
}

/// Reads the syndrome of the exception just taken from the guest.
pub fn syndrome() -> Syndrome {
    let (esr, far, hpfar): (u64, u64, u64);
    // SAFETY: reads of the EL2 syndrome registers, no side effect.
    unsafe {
        asm!(
            "mrs {e}, esr_el2", "mrs {f}, far_el2", "mrs {h}, hpfar_el2",
            e = out(reg) esr, f = out(reg) far, h = out(reg) hpfar,
            options(nomem, nostack, preserves_flags)
        )
    };
    Syndrome { esr, far, hpfar }
}

/// The IPA of a stage-2 abort the guest just took, if it can be known.
///
/// HPFAR_EL2 holds it for translation, access flag and address size faults
/// and for any fault on a stage-1 table walk (ESR.S1PTW), but is UNKNOWN for
/// a stage-2 permission fault on the access itself (Arm ARM, HPFAR_EL2; Linux
/// KVM's `__get_fault_info` reads it the same way). Then the guest's own
/// stage-1 translation of FAR is asked for with `AT S1E1R` (Arm ARM, AT S1E1R), which
/// uses the guest's EL1 translation registers, still live in the core. The
/// instruction writes PAR_EL1, which belongs to the guest: it is put back.
/// `None` if the walk fails now (the guest changed its tables meanwhile).
pub fn ipa_of(s: &Syndrome) -> Option<u64> {
    let fsc = s.esr & 0x3f;
    let permission = fsc & 0x3c == 0x0c;
    let s1ptw = s.esr & (1 << 7) != 0;
    if !permission || s1ptw {
        return Some(((s.hpfar >> 4) << 12) | (s.far & 0xfff));
    }
    let par: u64;
    // SAFETY: AT S1E1R translates an address with the current EL1 regime
    // (the guest's, with its stage 2) and only writes PAR_EL1, which is
    // saved before and restored after; nothing is accessed.
    unsafe {
        asm!(
            "mrs {saved}, par_el1",
            "at s1e1r, {va}",
            "isb",
            "mrs {par}, par_el1",
            "msr par_el1, {saved}",
            va = in(reg) s.far,
            saved = out(reg) _,
            par = out(reg) par,
            options(nomem, nostack, preserves_flags)
        )
    };
    // PAR_EL1.F (bit 0): the translation failed; else PA in bits [47:12].
    (par & 1 == 0).then_some((par & 0x0000_ffff_ffff_f000) | (s.far & 0xfff))
}
