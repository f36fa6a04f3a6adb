//! Interrupts for partition threads: the three interrupt hypercalls, a
//! handler table the SDK's IRQ vector dispatches from, the thread's GIC
//! CPU interface and PSTATE.I, and (submodule [`vtimer`]) the thread's own
//! virtual timer.
//!
//! Sits at `partitions/sdk/src/irq.rs`; the vector that calls
//! [`__bulkhead_irq_dispatch`] is in `rt.rs`. The model (ABI 1.5,
//! `kernel/abi`, "Interrupts"): each thread's GIC CPU interface is the
//! GIC-400's *virtual* CPU interface (GICV), mapped at the physical GICC
//! address [`GICC_IPA`], with the GICv2 register layout (GIC architecture
//! specification v2, IHI 0048B, 4.4 "CPU interface register
//! descriptions"; 5.3 for the virtual interface). The distributor is the
//! kernel's: a thread says which interrupts it takes with [`enable`] and
//! [`disable`] instead of GICD writes.
//!
//! A thread takes interrupts in four steps:
//!
//! ```ignore
//! use bulkhead_sdk::irq::{self, vtimer};
//! fn tick(_intid: u32) { vtimer::arm_after(vtimer::frequency() / 1000); }
//! irq::register(irq::VIRTUAL_TIMER_INTID, tick)?; // 1. a handler
//! irq::cpu_interface_init();                      // 2. GICV CTLR, PMR
//! irq::enable(irq::VIRTUAL_TIMER_INTID)?;         // 3. the kernel routes it here
//! vtimer::arm_after(vtimer::frequency() / 1000);
//! irq::unmask();                                  // 4. PSTATE.I clear
//! loop { irq::wait_for_interrupt(); }
//! ```
//!
//! The handler table is the partition's (one handler per INTID, shared by
//! its threads: a handler that must know which thread it runs on asks
//! [`crate::thread_index`]); each thread's interrupts arrive on its own
//! core and stack. Handlers run with IRQs masked (no nesting), on the
//! interrupted thread's stack, and must leave the interrupt's cause
//! cleared (a level-triggered line still asserted is taken again at once).
//! An interrupt that arrives with no handler registered is disabled by the
//! dispatcher (InterruptDisable) and counted ([`unhandled`]), so a
//! forgotten registration costs one interrupt, not the rest of the window.

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use crate::call::check;
use bulkhead_abi::{Call, Status};
pub use bulkhead_abi::{GICC_IPA, VIRTUAL_TIMER_INTID};

/// GICv2 CPU interface registers (IHI 0048B, table 4-2), byte offsets
/// from [`GICC_IPA`].
pub mod gicc {
    /// Control: bit 0 enables signalling of (group 0) interrupts.
    pub const CTLR: u64 = 0x00;
    /// Priority mask: interrupts of lower priority (higher value) are not
    /// signalled. The GIC-400's virtual interface implements 5 bits, so
    /// 0xFF reads back as 0xF8: every priority passes.
    pub const PMR: u64 = 0x04;
    /// Binary point.
    pub const BPR: u64 = 0x08;
    /// Interrupt acknowledge: INTID in bits 9:0 (1023: none pending).
    pub const IAR: u64 = 0x0C;
    /// End of interrupt: write back the value IAR returned.
    pub const EOIR: u64 = 0x10;
    /// Running priority.
    pub const RPR: u64 = 0x14;
    /// Highest priority pending interrupt.
    pub const HPPIR: u64 = 0x18;
    /// Deactivate (with CTLR.EOImode = 1 only; the SDK leaves it 0).
    pub const DIR: u64 = 0x1000;
}

/// The first INTID the GIC reserves (1020..=1023: special; 1023 means
/// nothing pending).
pub const FIRST_SPECIAL_INTID: u32 = 1020;

/// The INTID an IAR value acknowledges: bits 9:0 (bits 12:10 are the
/// source CPU of an SGI).
pub const fn intid_of(iar: u32) -> u32 {
    iar & 0x3ff
}

/// Whether an IAR value acknowledges nothing: a special INTID
/// (1020..=1023), 1023 being "no pending interrupt".
pub const fn is_spurious(iar: u32) -> bool {
    intid_of(iar) >= FIRST_SPECIAL_INTID
}

/// What the kernel counted for one INTID since the partition started
/// ([`status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Interrupts signalled to the receiving thread.
    pub delivered: u64,
    /// Of those, the ones that came due while the thread was not running
    /// (outside its partition's windows, or off its core) and were
    /// delivered when it next ran.
    pub deferred: u64,
    /// Those the device's `outside_window = "drop"` policy discarded.
    pub dropped: u64,
}

/// `InterruptEnable` (`0xC600_0070`): the calling thread takes interrupt
/// `intid` from now on: [`VIRTUAL_TIMER_INTID`] (its own virtual timer),
/// or an interrupt of a device the description assigns to its partition
/// (from the receiving thread the description names only).
/// `InvalidParameter` for any other; `NoAction` if already enabled.
/// Register the handler first: one pending is delivered at once.
pub fn enable(intid: u32) -> Result<(), Status> {
    intid_call(Call::InterruptEnable, intid).map(|_| ())
}

/// `InterruptDisable` (`0xC600_0071`): the calling thread stops taking
/// `intid`; one already signalled stays in its CPU interface until ended.
/// `NoAction` if it was not enabled.
pub fn disable(intid: u32) -> Result<(), Status> {
    intid_call(Call::InterruptDisable, intid).map(|_| ())
}

/// `InterruptStatus` (`0xC600_0072`): the kernel's counts for `intid`
/// since the partition started.
pub fn status(intid: u32) -> Result<Counts, Status> {
    let [delivered, deferred, dropped] = intid_call(Call::InterruptStatus, intid)?;
    Ok(Counts { delivered, deferred, dropped })
}

fn intid_call(call: Call, intid: u32) -> Result<[u64; 3], Status> {
    // SAFETY: the interrupt calls take a number and touch no memory of ours.
    let [x0, x1, x2, x3] = unsafe { crate::hvc(call.id(), [u64::from(intid), 0, 0, 0, 0, 0]) };
    check(x0).map(|()| [x1, x2, x3])
}

/// An interrupt handler: called with the INTID it was registered for,
/// between the acknowledge and the end of interrupt, IRQs masked.
pub type Handler = fn(u32);

/// How many INTIDs a partition can have handlers for.
pub const MAX_HANDLERS: usize = 16;

/// A fixed table of handlers by INTID, no heap; lock-free so that
/// registration on one core and dispatch on another need no lock (a lock
/// shared with an interrupt handler could deadlock its own thread).
///
/// A slot is free while its INTID is [`HandlerTable::FREE`]. Registration
/// claims a slot's INTID with a compare-exchange, then stores the handler;
/// a dispatch that finds the INTID before its handler sees no handler.
/// Register before [`enable`] and that cannot happen.
pub struct HandlerTable {
    intids: [AtomicU32; MAX_HANDLERS],
    handlers: [AtomicUsize; MAX_HANDLERS],
}

impl HandlerTable {
    /// The INTID of a free slot (no INTID is this large).
    pub const FREE: u32 = u32::MAX;

    /// An empty table.
    pub const fn new() -> Self {
        HandlerTable {
            intids: [const { AtomicU32::new(HandlerTable::FREE) }; MAX_HANDLERS],
            handlers: [const { AtomicUsize::new(0) }; MAX_HANDLERS],
        }
    }

    /// Sets `intid`'s handler, replacing any earlier one.
    /// `InvalidParameter` for a special INTID (1020 and above), `Full`
    /// when [`MAX_HANDLERS`] other INTIDs have handlers.
    pub fn register(&self, intid: u32, handler: Handler) -> Result<(), Status> {
        if intid >= FIRST_SPECIAL_INTID {
            return Err(Status::InvalidParameter);
        }
        let slot = match self.slot_of(intid) {
            Some(slot) => slot,
            None => self.claim(intid)?,
        };
        self.handlers[slot].store(handler as usize, Ordering::Release);
        Ok(())
    }

    /// The slot that holds `intid`, claiming a free one; `Full` if none is.
    fn claim(&self, intid: u32) -> Result<usize, Status> {
        for (slot, id) in self.intids.iter().enumerate() {
            match id.compare_exchange(HandlerTable::FREE, intid, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(slot),
                // Another thread registered the same INTID meanwhile.
                Err(other) if other == intid => return Ok(slot),
                Err(_) => {}
            }
        }
        Err(Status::Full)
    }

    fn slot_of(&self, intid: u32) -> Option<usize> {
        self.intids.iter().position(|id| id.load(Ordering::Acquire) == intid)
    }

    /// `intid`'s handler, if one is registered.
    pub fn handler(&self, intid: u32) -> Option<Handler> {
        let raw = self.handlers[self.slot_of(intid)?].load(Ordering::Acquire);
        if raw == 0 {
            return None;
        }
        // SAFETY: a non-zero value in `handlers` was stored by `register`
        // from a `Handler` (`handler as usize`), and a fn pointer survives
        // the round trip through `usize` on every target Rust supports.
        Some(unsafe { core::mem::transmute::<usize, Handler>(raw) })
    }
}

impl Default for HandlerTable {
    fn default() -> Self {
        Self::new()
    }
}

/// The partition's handler table, which the IRQ vector dispatches from.
static HANDLERS: HandlerTable = HandlerTable::new();
/// Interrupts taken with no handler (each then disabled).
static UNHANDLED: AtomicU64 = AtomicU64::new(0);
/// Interrupts dispatched to a handler.
static HANDLED: AtomicU64 = AtomicU64::new(0);

/// Registers `handler` for `intid` in the partition's table (replacing
/// any earlier one). `InvalidParameter` for INTIDs 1020 and above,
/// `Full` when [`MAX_HANDLERS`] INTIDs have handlers already.
pub fn register(intid: u32, handler: Handler) -> Result<(), Status> {
    HANDLERS.register(intid, handler)
}

/// Interrupts the SDK took with no handler registered for them (it
/// disabled each one), in the whole partition since it started.
pub fn unhandled() -> u64 {
    UNHANDLED.load(Ordering::Relaxed)
}

/// Interrupts the SDK passed to a handler, in the whole partition.
pub fn handled() -> u64 {
    HANDLED.load(Ordering::Relaxed)
}

/// Rust half of the IRQ vector (`rt.rs`): acknowledge, handle, end, until
/// the CPU interface has nothing pending. The vector saved every register
/// a call may change (the general-purpose ones, the FP/SIMD ones, ELR_EL1
/// and SPSR_EL1), so the interrupted code resumes unchanged.
#[cfg(all(target_arch = "aarch64", target_os = "none"))]
#[unsafe(no_mangle)]
extern "C" fn __bulkhead_irq_dispatch() {
    loop {
        // SAFETY: GICC_IPA is the thread's GIC CPU interface, mapped by the
        // kernel for every thread (ABI 1.5); IAR is a 32-bit register.
        let iar = unsafe { gicc_read(gicc::IAR) };
        if is_spurious(iar) {
            return;
        }
        let intid = intid_of(iar);
        match HANDLERS.handler(intid) {
            Some(handler) => {
                HANDLED.fetch_add(1, Ordering::Relaxed);
                handler(intid);
            }
            None => {
                UNHANDLED.fetch_add(1, Ordering::Relaxed);
                // Nobody would clear its cause: stop taking it.
                let _ = disable(intid);
            }
        }
        // SAFETY: as above; EOIR takes back the value IAR gave.
        unsafe { gicc_write(gicc::EOIR, iar) };
    }
}

/// Reads the CPU interface register at `offset`.
///
/// # Safety
/// `offset` is a register of [`gicc`]; the kernel maps the interface.
#[cfg(all(target_arch = "aarch64", target_os = "none"))]
unsafe fn gicc_read(offset: u64) -> u32 {
    // SAFETY: the caller names a register; the mapping is the kernel's.
    unsafe { ((GICC_IPA + offset) as *const u32).read_volatile() }
}

/// Writes the CPU interface register at `offset`.
///
/// # Safety
/// As [`gicc_read`].
#[cfg(all(target_arch = "aarch64", target_os = "none"))]
unsafe fn gicc_write(offset: u64, value: u32) {
    // SAFETY: as gicc_read.
    unsafe { ((GICC_IPA + offset) as *mut u32).write_volatile(value) }
}

/// Enables the calling thread's GIC CPU interface: PMR = 0xFF (every
/// priority passes; the virtual interface keeps 5 bits, 0xF8), BPR = 0
/// (no preemption groups: handlers never nest anyway), CTLR = 1 (signal
/// interrupts, EOImode 0: EOIR both drops the priority and deactivates).
/// Each thread has its own interface: every thread that takes interrupts
/// calls this once. Nothing on a host build.
pub fn cpu_interface_init() {
    #[cfg(all(target_arch = "aarch64", target_os = "none"))]
    // SAFETY: the three registers of the thread's own CPU interface, which
    // the kernel maps for every thread (ABI 1.5).
    unsafe {
        gicc_write(gicc::PMR, 0xff);
        gicc_write(gicc::BPR, 0);
        gicc_write(gicc::CTLR, 1);
    }
}

/// Clears PSTATE.I: IRQs are taken from now on (threads start with DAIF
/// masked). Nothing on a host build.
#[inline]
pub fn unmask() {
    #[cfg(all(target_arch = "aarch64", target_os = "none"))]
    // SAFETY: changes PSTATE.I only; the SDK's IRQ vector is installed
    // before any user code runs (`_start`). A memory clobber: accesses are
    // not moved across the point where handlers may start to run.
    unsafe {
        core::arch::asm!("msr daifclr, #2", options(nostack, preserves_flags))
    };
}

/// Sets PSTATE.I: no IRQ is taken until [`unmask`] (one pending meanwhile
/// is taken then). Nothing on a host build.
#[inline]
pub fn mask() {
    #[cfg(all(target_arch = "aarch64", target_os = "none"))]
    // SAFETY: changes PSTATE.I only; a memory clobber keeps accesses on
    // their side of it.
    unsafe {
        core::arch::asm!("msr daifset, #2", options(nostack, preserves_flags))
    };
}

/// Whether PSTATE.I is clear (IRQs taken). False on a host build.
#[inline]
pub fn unmasked() -> bool {
    #[cfg(all(target_arch = "aarch64", target_os = "none"))]
    {
        let daif: u64;
        // SAFETY: a read of DAIF; no memory access.
        unsafe { core::arch::asm!("mrs {d}, daif", d = out(reg) daif, options(nomem, nostack, preserves_flags)) };
        daif & (1 << 7) == 0
    }
    #[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
    {
        false
    }
}

/// `WFI`: the kernel traps it. A thread with interrupts enabled
/// ([`enable`]) sleeps until one of them is pending (then, with PSTATE.I
/// clear, its handler runs before this returns); a thread with none waits
/// for its partition's next window. Returns at once on a host build.
///
/// To sleep until a handler has done something without missing a wake-up:
/// mask, look, sleep only if there is nothing (WFI wakes on a pending
/// interrupt even while masked), unmask to let the handler run, repeat.
#[inline]
pub fn wait_for_interrupt() {
    #[cfg(all(target_arch = "aarch64", target_os = "none"))]
    // SAFETY: WFI waits; it touches no memory or register of ours. Not
    // `nomem`: handlers run (and write memory) before it returns.
    unsafe {
        core::arch::asm!("wfi", options(nostack, preserves_flags))
    };
}

/// The thread's own virtual timer (CNTV, Arm ARM DDI 0487 D11.2 "The
/// AArch64 view of the Generic Timer"): its count is CNTVCT_EL0, which
/// under Bulkhead equals the physical count (module time in ticks since
/// boot, not since the module epoch), at CNTFRQ_EL0 ticks per second.
/// Arming it at a compare value raises [`VIRTUAL_TIMER_INTID`] once the
/// count reaches it, for the thread that armed it, while it runs (a
/// deadline that passes outside its windows is delivered at its next one,
/// counted as deferred). The interrupt is level: a handler re-arms (a
/// later compare value) or [`disarm`]s.
pub mod vtimer {
    /// CNTV_CTL_EL0.ENABLE.
    const ENABLE: u64 = 1 << 0;
    /// CNTV_CTL_EL0.IMASK.
    #[allow(dead_code)]
    const IMASK: u64 = 1 << 1;
    /// CNTV_CTL_EL0.ISTATUS (read only).
    const ISTATUS: u64 = 1 << 2;

    /// The virtual count now (CNTVCT_EL0, after an ISB so it is not read
    /// early). 0 on a host build.
    #[inline]
    pub fn now() -> u64 {
        #[cfg(all(target_arch = "aarch64", target_os = "none"))]
        {
            let count: u64;
            // SAFETY: a read of the virtual count; no memory access.
            unsafe {
                core::arch::asm!("isb", "mrs {c}, cntvct_el0", c = out(reg) count, options(nomem, nostack, preserves_flags))
            };
            count
        }
        #[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
        {
            0
        }
    }

    /// Ticks per second (CNTFRQ_EL0): 54 MHz on a Pi 4, 62.5 MHz under
    /// QEMU unless told otherwise. 0 on a host build.
    #[inline]
    pub fn frequency() -> u64 {
        #[cfg(all(target_arch = "aarch64", target_os = "none"))]
        {
            let hz: u64;
            // SAFETY: a read of CNTFRQ_EL0; no memory access.
            unsafe {
                core::arch::asm!("mrs {f}, cntfrq_el0", f = out(reg) hz, options(nomem, nostack, preserves_flags))
            };
            hz
        }
        #[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
        {
            0
        }
    }

    /// Arms the timer to fire when the count reaches `cval` (at once if it
    /// has): CNTV_CVAL_EL0 = `cval`, then CNTV_CTL_EL0 = ENABLE (unmasked).
    #[inline]
    pub fn arm_at(cval: u64) {
        #[cfg(all(target_arch = "aarch64", target_os = "none"))]
        // SAFETY: the thread's own timer registers, which EL2 switches with
        // the thread; no memory access.
        unsafe {
            core::arch::asm!(
                "msr cntv_cval_el0, {c}",
                "msr cntv_ctl_el0, {e}",
                "isb",
                c = in(reg) cval,
                e = in(reg) ENABLE,
                options(nomem, nostack, preserves_flags)
            )
        };
        #[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
        let _ = (cval, ENABLE);
    }

    /// The compare value last armed (CNTV_CVAL_EL0). 0 on a host build.
    #[inline]
    pub fn deadline() -> u64 {
        #[cfg(all(target_arch = "aarch64", target_os = "none"))]
        {
            let cval: u64;
            // SAFETY: a read of the thread's own compare value; no memory access.
            unsafe {
                core::arch::asm!("mrs {c}, cntv_cval_el0", c = out(reg) cval, options(nomem, nostack, preserves_flags))
            };
            cval
        }
        #[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
        {
            0
        }
    }

    /// Arms the timer `ticks` from now.
    #[inline]
    pub fn arm_after(ticks: u64) {
        arm_at(now().saturating_add(ticks));
    }

    /// Stops the timer (CNTV_CTL_EL0 = 0): its interrupt is no longer
    /// asserted.
    #[inline]
    pub fn disarm() {
        #[cfg(all(target_arch = "aarch64", target_os = "none"))]
        // SAFETY: as arm_at.
        unsafe {
            core::arch::asm!("msr cntv_ctl_el0, xzr", "isb", options(nomem, nostack, preserves_flags))
        };
    }

    /// Whether the armed compare value has been reached
    /// (CNTV_CTL_EL0.ISTATUS). False on a host build.
    #[inline]
    pub fn fired() -> bool {
        #[cfg(all(target_arch = "aarch64", target_os = "none"))]
        {
            let ctl: u64;
            // SAFETY: a read of the thread's own timer control; no memory access.
            unsafe {
                core::arch::asm!("mrs {c}, cntv_ctl_el0", c = out(reg) ctl, options(nomem, nostack, preserves_flags))
            };
            ctl & ISTATUS != 0
        }
        #[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
        {
            let _ = ISTATUS;
            false
        }
    }

    /// `ns` nanoseconds in ticks at `hz`, rounded down (128-bit product:
    /// no overflow for any `u64` input; saturates).
    pub const fn ticks_from_ns(ns: u64, hz: u64) -> u64 {
        let t = ns as u128 * hz as u128 / 1_000_000_000;
        if t > u64::MAX as u128 { u64::MAX } else { t as u64 }
    }

    /// `ticks` at `hz` in nanoseconds, rounded down (0 for `hz` 0).
    pub const fn ns_from_ticks(ticks: u64, hz: u64) -> u64 {
        if hz == 0 {
            return 0;
        }
        let ns = ticks as u128 * 1_000_000_000 / hz as u128;
        if ns > u64::MAX as u128 { u64::MAX } else { ns as u64 }
    }

    /// The next deadline of a periodic timer, after the one at `deadline`
    /// was served at `now`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Next {
        /// The next compare value: `deadline + period`, or the first
        /// deadline of the series after `now` if that one has passed too.
        pub at: u64,
        /// Deadlines of the series skipped over (all at or before `now`).
        pub skipped: u64,
    }

    /// Absolute deadlines: `deadline + period`, unless `now` has passed it
    /// (the thread was away longer than a period), in which case the first
    /// deadline of the same series (`deadline + k * period`) after `now`,
    /// with the count of those skipped. Deadlines never drift: they stay
    /// on the series whatever the handler's lateness. A `period` of 0 is
    /// taken as 1.
    pub const fn next_deadline(deadline: u64, period: u64, now: u64) -> Next {
        let period = if period == 0 { 1 } else { period };
        let next = deadline.saturating_add(period);
        if next > now {
            return Next { at: next, skipped: 0 };
        }
        // `next` and (now - next) / period more are at or before `now`.
        let skipped = (now - next) / period + 1;
        Next { at: next.saturating_add(skipped.saturating_mul(period)), skipped }
    }
}

#[cfg(test)]
mod tests {
    use super::vtimer::{Next, next_deadline, ns_from_ticks, ticks_from_ns};
    use super::*;

    fn a(_: u32) {}
    fn b(_: u32) {}
    fn addr(h: Handler) -> usize {
        h as usize
    }

    #[test]
    fn iar_values_decode() {
        assert_eq!(intid_of(27), 27);
        assert_eq!(intid_of((3 << 10) | 5), 5); // an SGI's source CPU is not its INTID
        assert!(is_spurious(1023));
        assert!(is_spurious(1020));
        assert!(!is_spurious(125));
        assert!(!is_spurious(1019));
    }

    #[test]
    fn handlers_are_found_by_intid_and_replaced() {
        let t = HandlerTable::new();
        assert!(t.handler(27).is_none());
        t.register(27, a).unwrap();
        t.register(125, b).unwrap();
        assert_eq!(t.handler(27).map(addr), Some(addr(a)));
        assert_eq!(t.handler(125).map(addr), Some(addr(b)));
        t.register(27, b).unwrap();
        assert_eq!(t.handler(27).map(addr), Some(addr(b)));
        assert!(t.handler(26).is_none());
    }

    #[test]
    fn the_table_is_bounded_and_special_intids_are_refused() {
        let t = HandlerTable::new();
        for intid in 0..MAX_HANDLERS as u32 {
            t.register(32 + intid, a).unwrap();
        }
        assert_eq!(t.register(200, a), Err(Status::Full));
        // An INTID already in the table is still replaced.
        t.register(32, b).unwrap();
        assert_eq!(t.register(1020, a), Err(Status::InvalidParameter));
        assert_eq!(t.register(HandlerTable::FREE, a), Err(Status::InvalidParameter));
        assert!(t.handler(HandlerTable::FREE).is_none());
    }

    #[test]
    fn concurrent_registrations_of_one_intid_take_one_slot() {
        let t = HandlerTable::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..100 {
                        t.register(27, a).unwrap();
                    }
                });
            }
        });
        let used = t.intids.iter().filter(|i| i.load(Ordering::Relaxed) != HandlerTable::FREE).count();
        assert_eq!(used, 1);
    }

    #[test]
    fn on_the_host_there_is_no_kernel() {
        assert_eq!(enable(VIRTUAL_TIMER_INTID), Err(Status::NotSupported));
        assert_eq!(disable(VIRTUAL_TIMER_INTID), Err(Status::NotSupported));
        assert_eq!(status(125), Err(Status::NotSupported));
        assert!(!unmasked());
        assert_eq!(vtimer::now(), 0);
    }

    #[test]
    fn periodic_deadlines_stay_on_their_series() {
        // Served in time: the next one.
        assert_eq!(next_deadline(1000, 100, 1050), Next { at: 1100, skipped: 0 });
        assert_eq!(next_deadline(1000, 100, 1099), Next { at: 1100, skipped: 0 });
        // The next one is now: it is due, so skipped.
        assert_eq!(next_deadline(1000, 100, 1100), Next { at: 1200, skipped: 1 });
        // Away for 3.5 periods: 1100, 1200, 1300 passed.
        assert_eq!(next_deadline(1000, 100, 1350), Next { at: 1400, skipped: 3 });
        // A period of 0 is one tick.
        assert_eq!(next_deadline(10, 0, 5), Next { at: 11, skipped: 0 });
    }

    #[test]
    fn next_deadline_against_a_model() {
        for deadline in [0u64, 7, 1000] {
            for period in 1..12u64 {
                for now in deadline..deadline + 60 {
                    let mut at = deadline + period;
                    let mut skipped = 0;
                    while at <= now {
                        at += period;
                        skipped += 1;
                    }
                    assert_eq!(next_deadline(deadline, period, now), Next { at, skipped }, "{deadline} {period} {now}");
                }
            }
        }
    }

    #[test]
    fn tick_conversions() {
        assert_eq!(ticks_from_ns(1_000_000, 62_500_000), 62_500);
        assert_eq!(ticks_from_ns(1_000_000, 54_000_000), 54_000);
        assert_eq!(ticks_from_ns(500_000, 54_000_000), 27_000);
        assert_eq!(ns_from_ticks(54_000, 54_000_000), 1_000_000);
        assert_eq!(ns_from_ticks(1, 54_000_000), 18);
        assert_eq!(ns_from_ticks(5, 0), 0);
        assert_eq!(ticks_from_ns(u64::MAX, u64::MAX), u64::MAX);
    }
}
