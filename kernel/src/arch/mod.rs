//! The one door to the CPU (aarch64, EL2, no VHE: Cortex-A72).
//!
//! Everything that needs assembly or system registers lives under here; the
//! rest of the kernel calls the safe functions this module exports.
pub mod boot;
pub mod bulk;
pub mod guest;
pub mod mmu;
pub mod percpu;
pub mod stage2;
pub mod sysreg;
pub mod vectors;

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{CNTPCT_EL0, CurrentEL, DAIF, MPIDR_EL1, ReadWriteable, Readable, Writeable};

/// The hint a core gives while it spins for something another core holds:
/// `YIELD` (Arm ARM C6.2, "YIELD"), the instruction Arm recommends in
/// spin-wait loops. On a Cortex-A72 it costs nothing. Under QEMU's
/// single-threaded TCG (what `-icount` runs) it makes QEMU serve the next
/// vCPU, so the core holding the lock gets to release it; with the
/// `ISB` that `core::hint::spin_loop` emits, a spinning vCPU kept the host
/// thread for its whole time slice, and the module's clock ran tens of
/// milliseconds with every other core unserved.
#[inline]
pub fn spin_hint() {
    // SAFETY: a hint; no memory, register or flag effect.
    unsafe { core::arch::asm!("yield", options(nomem, nostack, preserves_flags)) };
}

/// The kernel's locks spin with [`spin_hint`].
pub struct YieldRelax;

impl spin::RelaxStrategy for YieldRelax {
    #[inline]
    fn relax() {
        spin_hint();
    }
}

/// A spinlock that spins with [`spin_hint`] (every kernel lock).
pub type Mutex<T> = spin::mutex::Mutex<T, YieldRelax>;
/// Its guard.
pub type MutexGuard<'a, T> = spin::mutex::MutexGuard<'a, T, YieldRelax>;
/// A reader-writer spinlock that spins with [`spin_hint`].
pub type RwLock<T> = spin::rwlock::RwLock<T, YieldRelax>;

/// A [`Mutex`] around a value set once (at load, on core 0), before which
/// [`OnceMutex::lock`] finds nothing: the state a `Mutex<Option<T>>` starts
/// in, but all zero bytes (`Once`'s "incomplete" and no value yet), so a
/// static of these is `.bss`. A `None` is zero bytes only when `T` has no
/// niche to put it in: the four per-core schedulers as `Mutex<Option<_>>`
/// were 96 KB of initialised `.data`.
pub struct OnceMutex<T>(spin::Once<Mutex<T>>);

impl<T> OnceMutex<T> {
    pub const fn new() -> Self {
        OnceMutex(spin::Once::new())
    }

    /// Sets the value; as `Once::call_once`, a second call keeps the first
    /// (the module's load, the one caller, runs once).
    pub fn set(&self, value: T) {
        self.0.call_once(|| Mutex::new(value));
    }

    /// The value, locked; `None` before it is set.
    #[inline]
    pub fn lock(&self) -> Option<MutexGuard<'_, T>> {
        self.0.get().map(|m| m.lock())
    }
}

impl<T> Default for OnceMutex<T> {
    fn default() -> Self {
        OnceMutex::new()
    }
}

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

/// The physical count, read only after every earlier memory access of this
/// core is complete (DSB, then [`counter`]'s ISB): a time stamp that cannot
/// be earlier than a store or load before it (the partition gate's clock).
#[inline]
pub fn counter_after_accesses() -> u64 {
    barrier::dsb(barrier::ISH);
    counter()
}

/// The EL2 controls every partition runs under (Arm ARM D13.2.47 HCR_EL2,
/// D13.3.x MDCR_EL2, CNTHCTL_EL2, CPTR_EL2), set once per core at boot:
///
/// - HCR_EL2: stage 2 on (VM); physical IRQ/FIQ/SError to EL2 (IMO/FMO/AMO;
///   without IMO a physical IRQ targets EL1 and is never taken while the core
///   runs at EL2, so the kernel's own timer and IPIs would not arrive either);
///   EL1 is AArch64 (RW); memory normal cacheable while a partition's MMU is
///   off (DC); WFI trapped (TWI): a thread with nothing to do gives its core
///   up until its next window; WFE not trapped (TWE clear): a partition's
///   spinlocks wait on it for a release by another of its cores (SEV), and
///   a pending interrupt, the window's end included, or the event stream
///   below ends it anyway; SMC trapped (TSC); set/way cache maintenance trapped (TSW) and
///   upgraded (SWIO); implementation-defined registers and ACTLR trapped
///   (TIDCP/TACR); barriers and TLB maintenance broadcast inner shareable
///   (FB/BSU) so a thread that moves cores finds coherent state. Cache
///   maintenance by VA and instruction-cache invalidation are not trapped
///   (TPU/TPC/TPCP clear): by VA they go through the partition's own stage
///   2 (an EL1 `DC IVAC` under stage 2 cleans as well), `IC IALLU(IS)` and
///   EL1 `TLBI`s reach only instruction caches and the partition's own
///   VMID, so none touches another partition's memory or translations;
///   what they can leave the next partition is colder caches, as any code
///   can (test `hostile-maintenance`), and code loaders pay no trap.
/// - MDCR_EL2: PMU (TPM/TPMCR) and debug registers (TDA/TDOSA/TDRA) trapped.
/// - CNTHCTL_EL2: EL1 may read the physical count but not use the physical
///   timer (EL1PCEN clear): that timer is denied, the virtual one is theirs;
///   the timer event stream bounds every WFE.
/// - CPTR_EL2: FP/SIMD not trapped (the kernel switches it), trace trapped.
pub fn configure_el2() {
    const VM: u64 = 1 << 0;
    const SWIO: u64 = 1 << 1;
    const FMO: u64 = 1 << 3;
    const IMO: u64 = 1 << 4;
    const AMO: u64 = 1 << 5;
    const FB: u64 = 1 << 9;
    const BSU_INNER: u64 = 0b01 << 10;
    const DC: u64 = 1 << 12;
    const TWI: u64 = 1 << 13;
    const TSC: u64 = 1 << 19;
    const TIDCP: u64 = 1 << 20;
    const TACR: u64 = 1 << 21;
    const TSW: u64 = 1 << 22;
    const RW: u64 = 1 << 31;
    let hcr = VM | SWIO | FMO | IMO | AMO | FB | BSU_INNER | DC | TWI | TSC | TIDCP | TACR | TSW | RW;
    // MDCR_EL2: TPMCR(5) TPM(6) TDA(9) TDOSA(10) TDRA(11); HPMN keeps every
    // event counter in the EL1 range (all accesses trap anyway).
    let mdcr_traps: u64 = (1 << 5) | (1 << 6) | (1 << 9) | (1 << 10) | (1 << 11);
    // EL1PCTEN, and the event stream: EVNTEN (bit 2) with EVNTI = 5 (bits
    // 7:4), an event each time bit 5 of the count rises (every 64 ticks,
    // about 1 us at 54 MHz), so a WFE that no SEV answers still returns and
    // a wait at the partition gate notices its window end (Arm ARM D12.2.3).
    let cnthctl: u64 = 1 | (1 << 2) | (5 << 4);
    let cptr: u64 = 0x33ff | (1 << 20); // RES1 bits, TTA
    // SAFETY: these registers configure how EL1/EL0 run and where their
    // exceptions go; the kernel at EL2 is unaffected except for interrupt
    // routing, which is what it wants.
    unsafe {
        core::arch::asm!(
            "msr hcr_el2, {hcr}",
            "mrs {t}, pmcr_el0",
            "ubfx {t}, {t}, #11, #5",
            "orr {t}, {t}, {mdcr}",
            "msr mdcr_el2, {t}",
            "msr cnthctl_el2, {cnthctl}",
            "msr cptr_el2, {cptr}",
            "isb",
            hcr = in(reg) hcr,
            mdcr = in(reg) mdcr_traps,
            cnthctl = in(reg) cnthctl,
            cptr = in(reg) cptr,
            t = out(reg) _,
            options(nostack, preserves_flags)
        )
    };
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

/// Whether a physical IRQ is pending for this core while it runs masked at
/// EL2 (ISR_EL1.I; at EL2 it shows the physical IRQ, Arm ARM D19.2.73).
/// Read by hand: aarch64-cpu has no ISR_EL1.
#[inline]
pub fn irq_pending() -> bool {
    let isr: u64;
    // SAFETY: a read of a status register, no side effect.
    unsafe { core::arch::asm!("mrs {}, isr_el1", out(reg) isr, options(nomem, nostack, preserves_flags)) };
    isr & (1 << 7) != 0
}

/// `value` if `keep`, else 0, by a conditional select (`csel`, which the
/// core does not predict) followed by CSDB: no later instruction, even one
/// executed speculatively, sees `value` unless `keep` held (Arm's
/// mitigation for Spectre v1 bounds checks). Hand-written: aarch64-cpu has
/// no CSDB.
#[inline(always)]
pub fn select_or_zero(keep: bool, value: u64) -> u64 {
    let out: u64;
    // SAFETY: register arithmetic and a hint; no memory, no side effect.
    unsafe {
        core::arch::asm!(
            "cmp {keep:w}, #0",
            "csel {out}, {value}, xzr, ne",
            "hint #20", // CSDB
            keep = in(reg) u32::from(keep),
            value = in(reg) value,
            out = lateout(reg) out,
            options(nomem, nostack),
        )
    };
    out
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

/// Makes code written through the data cache visible to instruction fetch
/// on every core (Arm ARM D7.5.9): clean to the point of unification,
/// invalidate all instruction caches, inner shareable.
pub fn sync_instruction_cache(addr: usize, len: usize) {
    clean_dcache_to_pou(addr, len);
    invalidate_icache_all();
}

/// Writes back the data-cache lines covering `[addr, addr + len)` to the
/// point of unification (`DC CVAU`, one per 64-byte line, eight lines a
/// loop turn: [`bulk::clean_to_pou`]) and waits for it
/// (`DSB ISH`): the first half of [`sync_instruction_cache`], for code
/// written a slice at a time (a partition restart) before one
/// [`invalidate_icache_all`] at the end.
pub fn clean_dcache_to_pou(addr: usize, len: usize) {
    bulk::clean_to_pou(addr, len);
}

/// Invalidates every core's instruction cache (`IC IALLUIS`), after the
/// data cache was cleaned to the point of unification.
pub fn invalidate_icache_all() {
    // SAFETY: cache maintenance and barriers only.
    unsafe { core::arch::asm!("ic ialluis", "dsb ish", "isb", options(nostack, preserves_flags)) };
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
