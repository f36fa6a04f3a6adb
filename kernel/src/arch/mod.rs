//! The one door to the CPU (aarch64, EL2, no VHE: Cortex-A72).
//!
//! Everything that needs assembly or system registers lives under here; the
//! rest of the kernel calls the safe functions this module exports.
pub mod boot;
pub mod mmu;
pub mod sysreg;
pub mod vectors;

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{CNTPCT_EL0, CurrentEL, DAIF, MPIDR_EL1, ReadWriteable, Readable, Writeable};

/// Index of the calling core (MPIDR Aff0; 0..3 on BCM2711).
#[inline]
pub fn core_id() -> usize {
    (MPIDR_EL1.get() & 0xff) as usize
}

/// MPIDR_EL1 of the calling core.
pub fn mpidr() -> u64 {
    MPIDR_EL1.get()
}

/// The current exception level (2 for the kernel proper).
pub fn current_el() -> u64 {
    CurrentEL.read(CurrentEL::EL)
}

/// The physical count, after an ISB so it is not read early (Arm ARM D12.2.2).
#[inline]
pub fn counter() -> u64 {
    barrier::isb(barrier::SY);
    CNTPCT_EL0.get()
}

/// Routes physical IRQ, FIQ and SError to EL2 (HCR_EL2.IMO/FMO/AMO) and
/// makes EL1 AArch64 (RW). Without IMO a physical IRQ targets EL1 and is
/// never taken while the core runs at EL2 (Arm ARM D1.3.6), so the kernel's
/// own timer and IPIs would never arrive.
pub fn route_interrupts_to_el2() {
    use aarch64_cpu::registers::HCR_EL2;
    HCR_EL2.write(HCR_EL2::RW::EL1IsAarch64 + HCR_EL2::IMO::EnableVirtualIRQ + HCR_EL2::FMO::EnableVirtualFIQ + HCR_EL2::AMO::SET);
    barrier::isb(barrier::SY);
}

/// Unmasks IRQs at EL2 (PSTATE.I).
pub fn enable_irqs() {
    DAIF.modify(DAIF::I::Unmasked);
}

/// Masks IRQs at EL2; returns whether they were unmasked before.
pub fn disable_irqs() -> bool {
    let was = !DAIF.is_set(DAIF::I);
    DAIF.modify(DAIF::I::Masked);
    was
}

/// Restores the IRQ mask saved by [`disable_irqs`].
pub fn restore_irqs(were_enabled: bool) {
    if were_enabled {
        enable_irqs();
    }
}

/// Wait for an event (cheap under QEMU icount, where busy polling starves
/// the other vCPUs).
#[inline]
pub fn wait_for_event() {
    aarch64_cpu::asm::wfe();
}

/// Wake every core waiting in [`wait_for_event`]; the DSB makes earlier
/// stores visible before the event.
#[inline]
pub fn send_event() {
    barrier::dsb(barrier::ISH);
    aarch64_cpu::asm::sev();
}

/// Wait for an interrupt.
#[inline]
pub fn wait_for_interrupt() {
    aarch64_cpu::asm::wfi();
}

/// Stops this core for good: interrupts masked, WFE forever.
pub fn park() -> ! {
    DAIF.write(DAIF::D::Masked + DAIF::A::Masked + DAIF::I::Masked + DAIF::F::Masked);
    loop {
        aarch64_cpu::asm::wfe();
    }
}

/// Cleans and invalidates the data-cache lines covering `[addr, addr + len)`
/// to the point of coherency, so a core or agent reading with caches off
/// (a core still in the firmware's spin loop) sees the stores.
pub fn clean_dcache_range(addr: usize, len: usize) {
    const LINE: usize = 64;
    let mut line = addr & !(LINE - 1);
    while line < addr + len {
        // SAFETY: DC CIVAC only writes back and drops cache lines; it cannot
        // change memory contents or fault on a mapped address.
        unsafe { core::arch::asm!("dc civac, {0}", in(reg) line, options(nostack, preserves_flags)) };
        line += LINE;
    }
    barrier::dsb(barrier::SY);
}
