//! System registers that aarch64-cpu 11 does not provide (checked against
//! Arm ARM DDI 0487, D23/D24): the EL2 physical timer compare value and the
//! PMU cycle counter used by benchmarks.
use core::arch::asm;

/// CNTHP_CVAL_EL2: absolute compare value of the EL2 physical timer.
pub fn write_cnthp_cval(value: u64) {
    // SAFETY: writing the hypervisor timer's compare value has no effect on
    // memory; the kernel owns this timer.
    unsafe { asm!("msr cnthp_cval_el2, {0}", in(reg) value, options(nomem, nostack, preserves_flags)) };
}

/// Reads CNTHP_CVAL_EL2.
pub fn read_cnthp_cval() -> u64 {
    let v: u64;
    // SAFETY: a register read with no side effect.
    unsafe { asm!("mrs {0}, cnthp_cval_el2", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// CNTVOFF_EL2 = 0: the partitions' virtual count equals the physical count,
/// so times the kernel reports and times a partition reads agree.
pub fn zero_cntvoff() {
    // SAFETY: sets the virtual offset; no memory effect.
    unsafe { asm!("msr cntvoff_el2, xzr", options(nomem, nostack, preserves_flags)) };
}

/// The live virtual timer of the core: CNTV_CTL_EL0 and CNTV_CVAL_EL0 (the
/// thread's, while its EL1 state is loaded).
pub fn read_cntv() -> (u64, u64) {
    let (ctl, cval): (u64, u64);
    // SAFETY: reads of the EL1 virtual timer registers, no side effect.
    unsafe {
        asm!(
            "mrs {c}, cntv_ctl_el0", "mrs {v}, cntv_cval_el0",
            c = out(reg) ctl, v = out(reg) cval,
            options(nomem, nostack, preserves_flags)
        )
    };
    (ctl, cval)
}

/// Starts the PMU cycle counter (PMCR_EL0.E, PMCNTENSET_EL0.C), counting at
/// EL2 too (PMCCFILTR_EL0.NSH: EL2 is not counted by default). Under QEMU
/// `-icount shift=0` it counts retired instructions.
pub fn start_cycle_counter() {
    // SAFETY: enables a counter; no memory effect.
    unsafe {
        asm!(
            "mrs {t}, pmcr_el0",
            "orr {t}, {t}, #1",
            "msr pmcr_el0, {t}",
            "mov {t}, #(1 << 27)",
            "msr pmccfiltr_el0, {t}",
            "mov {t}, #(1 << 31)",
            "msr pmcntenset_el0, {t}",
            "isb",
            t = out(reg) _,
            options(nomem, nostack, preserves_flags)
        )
    };
}

/// PMCCNTR_EL0, the cycle counter.
#[inline]
pub fn cycle_counter() -> u64 {
    let v: u64;
    // SAFETY: a register read with no side effect.
    unsafe { asm!("mrs {0}, pmccntr_el0", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}
