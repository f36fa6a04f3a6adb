//! Interrupts for partitions: each thread's virtual timer and the devices
//! the system description assigns, delivered through the GIC-400's
//! virtualization extensions (docs/DESIGN.md#partition-interrupts).
//!
//! A thread's GIC CPU interface is the GIC's virtual CPU interface (GICV),
//! mapped in its stage 2 at the GICC address: it acknowledges and ends its
//! interrupts there with ordinary GICv2 code. The distributor stays the
//! kernel's: a thread says which interrupts it takes with the
//! InterruptEnable/Disable calls. Every physical interrupt comes to the
//! kernel (HCR_EL2.IMO), which
//!
//! 1. acknowledges it, masks its source at the distributor and ends it;
//! 2. marks it pending for its receiving thread ([`PENDING`]): the thread
//!    that armed the virtual timer, or the thread the description names for
//!    a device;
//! 3. before that thread next enters EL1 on its core, writes it into a
//!    free list register (GICH_LRn) asking for the EOI maintenance
//!    interrupt;
//! 4. when the thread ends it (GICV_EOIR), takes the maintenance
//!    interrupt, frees the list register and unmasks the source again, if
//!    the thread still takes it and (for a device) its partition owns the
//!    window.
//!
//! So a source the thread has not finished with cannot interrupt anyone
//! again, and a device's SPI is unmasked only in its partition's windows:
//! outside them it is masked at the distributor ([`window_changed`]), so
//! it costs the partition that runs nothing. At the owner's next window it
//! is found pending and delivered (policy `deliver`, counted deferred) or
//! its pending state cleared and counted (`drop`). The virtual timer's
//! PPI is banked per core: it is unmasked only while a thread that takes it
//! runs, and a deadline that passed while the thread was off its core fires
//! when it is back (counted deferred if it passed before the window began).
//!
//! List registers and the virtual CPU interface's state (GICH_VMCR,
//! GICH_APR) are saved and restored with the thread's context
//! ([`VgicState`]), like its EL1 registers.
//!
//! The kernel's work per interrupt is bounded: a fixed number of GIC
//! accesses, a table lookup, at most one scheduler lock (to wake a receiver
//! waiting in WFI), and per window change a pass over the SPIs routed to the
//! core (at most [`MAX_SLOTS`] in the module).
use super::run;
use super::{Module, NEED_RESCHED};
use crate::gic::{self, gich};
use crate::timer;
use bulkhead_abi::{Status, VIRTUAL_TIMER_INTID};
use bulkhead_board_rpi4::CORES;
use bulkhead_gic::lr;
use bulkhead_sched::{ThreadId, Ticks};
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use spin::Once;

/// Device interrupts in the whole module: bits 0..63 of a thread's masks.
pub const MAX_SLOTS: usize = 63;
/// The virtual timer's bit in a thread's masks.
const VTIMER: u64 = 1 << 63;
/// List registers the kernel uses (the GIC-400 has four).
const MAX_LRS: usize = 4;
/// The virtual priority of every interrupt signalled to a thread.
const VIRTUAL_PRIORITY: u8 = 0xa0;

/// A device interrupt of the module: its INTID, receiving thread and its
/// policy outside the windows. It is routed to its thread's core
/// ([`SLOT_CORE`]).
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub intid: u32,
    pub tid: usize,
    pub partition: usize,
    pub device: u32,
    pub drop: bool,
}

/// Per slot: the core its SPI is routed to, its receiving thread's (set at
/// load, changed when the thread migrates: [`thread_moved`]).
static SLOT_CORE: [AtomicU8; MAX_SLOTS] = [const { AtomicU8::new(0) }; MAX_SLOTS];

fn core_of(i: usize) -> usize {
    usize::from(SLOT_CORE[i].load(Ordering::Acquire))
}

const NO_SLOT: u8 = u8::MAX;
const INTIDS: usize = 1020;

/// The device interrupts, fixed at load.
pub struct Slots {
    pub slots: [Option<Slot>; MAX_SLOTS],
    pub count: usize,
    /// INTID -> slot index.
    by_intid: [u8; INTIDS],
}

impl Default for Slots {
    fn default() -> Slots {
        Slots { slots: [None; MAX_SLOTS], count: 0, by_intid: [NO_SLOT; INTIDS] }
    }
}

/// The module has [`MAX_SLOTS`] device interrupts already.
#[derive(Debug)]
pub struct TooManyInterrupts;

impl Slots {
    /// Adds a device interrupt routed to `core`.
    pub fn add(&mut self, slot: Slot, core: usize) -> Result<(), TooManyInterrupts> {
        let i = self.count;
        *self.slots.get_mut(i).ok_or(TooManyInterrupts)? = Some(slot);
        SLOT_CORE[i].store(core as u8, Ordering::Release);
        self.by_intid[slot.intid as usize] = i as u8;
        self.count += 1;
        Ok(())
    }

    fn of_intid(&self, intid: u32) -> Option<(usize, &Slot)> {
        let i = *self.by_intid.get(intid as usize)?;
        (i != NO_SLOT).then(|| (usize::from(i), self.slots[usize::from(i)].as_ref().expect("filled")))
    }

    fn iter(&self) -> impl Iterator<Item = (usize, &Slot)> {
        self.slots[..self.count].iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|s| (i, s)))
    }
}

static SLOTS: Once<Slots> = Once::new();

/// Sets the module's device interrupts, once, at load.
pub fn set_slots(slots: Slots) {
    SLOTS.call_once(|| slots);
}

fn slots() -> Option<&'static Slots> {
    SLOTS.get()
}

/// Per thread: interrupts waiting for a list register.
static PENDING: [AtomicU64; super::MAX_THREADS] = [const { AtomicU64::new(0) }; super::MAX_THREADS];
/// Per thread: interrupts it takes (InterruptEnable).
static ENABLED: [AtomicU64; super::MAX_THREADS] = [const { AtomicU64::new(0) }; super::MAX_THREADS];
/// Per thread: interrupts signalled or pending and not yet ended by it:
/// their source stays masked.
static IN_FLIGHT: [AtomicU64; super::MAX_THREADS] = [const { AtomicU64::new(0) }; super::MAX_THREADS];
/// Per thread: it waits in WFI for one of its interrupts.
static WFI_WAIT: [AtomicBool; super::MAX_THREADS] = [const { AtomicBool::new(false) }; super::MAX_THREADS];
/// Device slots found pending when their window opened: the next
/// acknowledge counts as deferred.
static DEFERRED_NEXT: AtomicU64 = AtomicU64::new(0);
/// Per core: list registers (GICH_VTR), read at core start.
static LR_COUNT: [AtomicU8; CORES] = [const { AtomicU8::new(0) }; CORES];

/// Delivered, deferred, dropped.
struct Counts([AtomicU32; 3]);

impl Counts {
    const fn new() -> Counts {
        Counts([const { AtomicU32::new(0) }; 3])
    }
    fn bump(&self, which: usize) {
        self.0[which].fetch_add(1, Ordering::Relaxed);
    }
    fn get(&self) -> [u64; 3] {
        self.0.each_ref().map(|c| u64::from(c.load(Ordering::Relaxed)))
    }
    fn clear(&self) {
        for c in &self.0 {
            c.store(0, Ordering::Relaxed);
        }
    }
}

const DELIVERED: usize = 0;
const DEFERRED: usize = 1;
const DROPPED: usize = 2;
static SLOT_COUNTS: [Counts; MAX_SLOTS] = [const { Counts::new() }; MAX_SLOTS];
static VTIMER_COUNTS: [Counts; super::MAX_THREADS] = [const { Counts::new() }; super::MAX_THREADS];
/// Per slot: physical interrupts the kernel took while another partition
/// owned its core's window (a boundary race: the line was signalled before
/// the kernel masked it; at most one per window change), the count last
/// reported, and the longest kernel path one took, in PMU cycles (from the
/// acknowledge to the end of [`take`]; instructions under QEMU `-icount`).
static FOREIGN: [AtomicU32; MAX_SLOTS] = [const { AtomicU32::new(0) }; MAX_SLOTS];
static FOREIGN_REPORTED: [AtomicU32; MAX_SLOTS] = [const { AtomicU32::new(0) }; MAX_SLOTS];
static FOREIGN_PATH: [AtomicU32; MAX_SLOTS] = [const { AtomicU32::new(0) }; MAX_SLOTS];

/// A thread's virtual CPU interface while it is off its core.
#[derive(Clone, Copy, Debug, Default)]
pub struct VgicState {
    pub lr: [u32; MAX_LRS],
    pub vmcr: u32,
    pub apr: u32,
    /// The count when the thread last left its core.
    pub saved_at: u64,
}

impl VgicState {
    pub const ZERO: VgicState = VgicState { lr: [0; MAX_LRS], vmcr: 0, apr: 0, saved_at: 0 };
}

/// Per core, at start: the maintenance interrupt on, the virtual timer's
/// PPI checked as the kernel's and left masked until a thread takes it.
pub fn init_core(core: usize) {
    LR_COUNT[core].store(lr::count(gich::vtr(), MAX_LRS) as u8, Ordering::Relaxed);
    gich::set_hcr(0);
    for n in 0..MAX_LRS {
        gich::set_lr(n, 0);
    }
    gic::enable(bulkhead_board_rpi4::irq::GIC_MAINTENANCE);
    gic::enable(VIRTUAL_TIMER_INTID);
    gic::disable(VIRTUAL_TIMER_INTID);
}

fn lrs(core: usize) -> usize {
    usize::from(LR_COUNT[core].load(Ordering::Relaxed))
}

/// The bit of `intid` in thread `tid`'s masks, if the thread may take it.
fn bit_for(tid: usize, intid: u32) -> Option<(u64, Option<(usize, &'static Slot)>)> {
    if intid == VIRTUAL_TIMER_INTID {
        return Some((VTIMER, None));
    }
    let (i, slot) = slots()?.of_intid(intid)?;
    (slot.tid == tid).then_some((1 << i, Some((i, slot))))
}

/// The thread on `core` is about to run: its list registers and virtual
/// CPU interface back in the GIC, its timer's PPI unmasked if it takes it,
/// and what became pending meanwhile signalled. Called with its context
/// locked, after its EL1 registers (its timer) are restored.
///
/// Inlined into the switch path for a thread that takes no interrupt and
/// has none in flight (most), the rest out of line (issue 19).
#[inline]
pub fn restore(core: usize, tid: usize, state: &VgicState, window_start: u64) {
    WFI_WAIT[tid].store(false, Ordering::Relaxed);
    gich::set_vmcr(state.vmcr);
    let enabled = ENABLED[tid].load(Ordering::Acquire);
    if enabled == 0 && IN_FLIGHT[tid].load(Ordering::Acquire) == 0 {
        return;
    }
    restore_interface(core, tid, state, window_start, enabled);
}

/// [`restore`] for a thread that takes interrupts or has one in flight.
#[inline(never)]
fn restore_interface(core: usize, tid: usize, state: &VgicState, window_start: u64, enabled: u64) {
    gich::set_apr(state.apr);
    for (n, &value) in state.lr.iter().enumerate().take(lrs(core)) {
        gich::set_lr(n, value);
    }
    gich::set_hcr(gich::HCR_EN);
    if enabled & VTIMER != 0 && IN_FLIGHT[tid].load(Ordering::Relaxed) & VTIMER == 0 {
        // A deadline that passed while the thread was away, before its
        // window began, fires now: deferred.
        let (ctl, cval) = crate::arch::sysreg::read_cntv();
        let now = timer::now().0;
        if ctl & 0b11 == 0b01 && cval <= now && cval > state.saved_at && cval < window_start {
            VTIMER_COUNTS[tid].bump(DEFERRED);
        }
        gic::unmask(VIRTUAL_TIMER_INTID);
    }
    refill(core, tid);
}

/// The thread on `core` leaves it: its list registers and virtual CPU
/// interface saved into `state`, the GIC's emptied, its timer's PPI masked.
/// Inlined as [`restore`] is, the live interface's part out of line.
#[inline]
pub fn save(core: usize, tid: usize, state: &mut VgicState) {
    state.vmcr = gich::vmcr();
    // The interface is off unless the thread takes an interrupt or has one
    // in flight (InterruptEnable and `restore` turn it on), so a thread
    // that takes none costs the switch path two accesses, and the count
    // `restore`'s deferred check needs is read only for one that does.
    if gich::hcr() & gich::HCR_EN == 0 {
        return;
    }
    save_interface(core, tid, state);
}

/// [`save`] for a live interface.
#[inline(never)]
fn save_interface(core: usize, tid: usize, state: &mut VgicState) {
    state.saved_at = timer::now().0;
    ended(tid);
    state.apr = gich::apr();
    for n in 0..lrs(core) {
        state.lr[n] = gich::lr(n);
        gich::set_lr(n, 0);
    }
    gich::set_hcr(0);
    gic::disable(VIRTUAL_TIMER_INTID);
}

/// Writes the thread's pending interrupts into free list registers. When
/// none is free, the underflow maintenance interrupt asks again.
fn refill(core: usize, tid: usize) {
    let mut want = PENDING[tid].load(Ordering::Acquire) & ENABLED[tid].load(Ordering::Acquire);
    if want == 0 {
        return;
    }
    if gich::eisr() != 0 {
        ended(tid);
    }
    let mut free = gich::elsr() & ((1 << lrs(core)) - 1);
    while want != 0 && free != 0 {
        let bit = want & want.wrapping_neg();
        want &= !bit;
        let n = free.trailing_zeros() as usize;
        free &= free - 1;
        let intid = if bit == VTIMER {
            VTIMER_COUNTS[tid].bump(DELIVERED);
            VIRTUAL_TIMER_INTID
        } else {
            let i = bit.trailing_zeros() as usize;
            SLOT_COUNTS[i].bump(DELIVERED);
            slots().and_then(|s| s.slots[i]).map_or(0, |s| s.intid)
        };
        gich::set_lr(n, lr::pending(intid, VIRTUAL_PRIORITY));
        PENDING[tid].fetch_and(!bit, Ordering::AcqRel);
    }
    let hcr = if want != 0 { gich::HCR_EN | gich::HCR_UIE } else { gich::HCR_EN };
    gich::set_hcr(hcr);
}

/// Before the thread enters EL1 again: signal what became pending.
pub fn before_entry(core: usize, tid: usize) {
    if PENDING[tid].load(Ordering::Relaxed) != 0 {
        refill(core, tid);
    }
}

/// The list registers whose interrupt the running thread ended: freed, and
/// each source unmasked again if the thread still takes it (a device's
/// only in its partition's window).
fn ended(tid: usize) {
    let mut eisr = gich::eisr();
    while eisr != 0 {
        let n = eisr.trailing_zeros() as usize;
        eisr &= eisr - 1;
        let intid = lr::intid(gich::lr(n));
        gich::set_lr(n, 0);
        let Some((bit, slot)) = bit_for(tid, intid) else { continue };
        IN_FLIGHT[tid].fetch_and(!bit, Ordering::AcqRel);
        if ENABLED[tid].load(Ordering::Acquire) & bit == 0 {
            continue;
        }
        match slot {
            None => gic::unmask(VIRTUAL_TIMER_INTID),
            Some((i, s)) if owns_window(i, s) => gic::unmask(s.intid),
            Some(_) => {}
        }
    }
}

/// Whether slot `i`'s partition owns the window on the slot's core.
fn owns_window(i: usize, slot: &Slot) -> bool {
    run::window_owner(core_of(i)) == Some(slot.partition)
}

/// The maintenance interrupt (INTID 25): the running thread ended an
/// interrupt, or its list registers ran low while more are pending.
pub fn maintenance(core: usize) {
    let Some(tid) = run::running_thread(core) else {
        gich::set_hcr(0);
        return;
    };
    ended(tid);
    let hcr = gich::hcr();
    if hcr & gich::HCR_UIE != 0 {
        gich::set_hcr(hcr & !gich::HCR_UIE);
        refill(core, tid);
    }
}

/// A physical interrupt that is a partition's: the virtual timer (27) or a
/// device SPI. Called acknowledged; masks the source and marks it pending
/// for its thread. Returns false if it is not one.
pub fn take(core: usize, intid: u32) -> bool {
    if intid == VIRTUAL_TIMER_INTID {
        gic::disable(intid);
        if let Some(tid) = run::running_thread(core)
            && ENABLED[tid].load(Ordering::Acquire) & VTIMER != 0
        {
            IN_FLIGHT[tid].fetch_or(VTIMER, Ordering::AcqRel);
            PENDING[tid].fetch_or(VTIMER, Ordering::AcqRel);
        }
        return true;
    }
    let Some((i, slot)) = slots().and_then(|s| s.of_intid(intid)) else { return false };
    let start = crate::arch::sysreg::cycle_counter();
    gic::disable(intid);
    let bit = 1u64 << i;
    let owns = owns_window(i, slot);
    if !owns {
        FOREIGN[i].fetch_add(1, Ordering::Relaxed);
    }
    deliver(i, slot, bit, owns);
    if !owns {
        let path = crate::arch::sysreg::cycle_counter().wrapping_sub(start);
        FOREIGN_PATH[i].fetch_max(path.min(u64::from(u32::MAX)) as u32, Ordering::Relaxed);
    }
    true
}

/// Marks an acknowledged device interrupt pending for its thread.
fn deliver(i: usize, slot: &Slot, bit: u64, owns: bool) {
    let tid = slot.tid;
    if ENABLED[tid].load(Ordering::Acquire) & bit == 0 {
        // Disabled since it was signalled: left pending at the device.
        return;
    }
    if DEFERRED_NEXT.fetch_and(!bit, Ordering::AcqRel) & bit != 0 || !owns {
        SLOT_COUNTS[i].bump(DEFERRED);
    }
    IN_FLIGHT[tid].fetch_or(bit, Ordering::AcqRel);
    PENDING[tid].fetch_or(bit, Ordering::AcqRel);
    wake_if_waiting(tid, core_of(i));
}

/// In `core`'s idle time: for each device SPI routed here that was taken
/// in another partition's window since the last report, a line in its
/// owner's console (the owner's buffer and console time, not the
/// bystander's): how many so far and the longest kernel path one took.
pub fn report_foreign(module: &Module, core: usize) {
    let Some(slots) = slots() else { return };
    for (i, slot) in slots.iter().filter(|&(i, _)| core_of(i) == core) {
        let now = FOREIGN[i].load(Ordering::Relaxed);
        if FOREIGN_REPORTED[i].swap(now, Ordering::Relaxed) == now {
            continue;
        }
        let name = module.image.device(slot.device).map_or("?", |d| d.name);
        crate::partition_println!(
            slot.partition,
            "irq: device {name} INTID {}: {now} taken in other partitions' windows so far (masked at once; at most one per window change), kernel path at most {} cycles",
            slot.intid,
            FOREIGN_PATH[i].load(Ordering::Relaxed)
        );
    }
}

/// Makes a thread that waits in WFI ready: one of its interrupts came.
fn wake_if_waiting(tid: usize, core: usize) {
    if !WFI_WAIT[tid].swap(false, Ordering::AcqRel) {
        return;
    }
    if let Some(sched) = super::CORE_SCHED[core].lock().as_mut()
        && sched.wake(ThreadId(tid as u16), timer::now()).unwrap_or(false)
    {
        NEED_RESCHED[core].store(true, Ordering::Release);
    }
}

/// The window on `core` passed from partition `from` to `to`: the SPIs
/// routed here of `from` are masked, those of `to` that its thread takes
/// and has not left in flight are unmasked, after their policy is applied
/// to what arrived while they were masked.
pub fn window_changed(core: usize, from: Option<usize>, to: Option<usize>) {
    let Some(slots) = slots() else { return };
    for (i, slot) in slots.iter().filter(|&(i, _)| core_of(i) == core) {
        if Some(slot.partition) == from {
            gic::disable(slot.intid);
        } else if Some(slot.partition) == to {
            open(i, slot);
        }
    }
}

/// Unmasks a device SPI at the start of (or during) its partition's
/// window, if its thread takes it and has ended the last one.
fn open(i: usize, slot: &Slot) {
    let bit = 1u64 << i;
    if ENABLED[slot.tid].load(Ordering::Acquire) & bit == 0 || IN_FLIGHT[slot.tid].load(Ordering::Acquire) & bit != 0 {
        return;
    }
    if gic::is_pending(slot.intid) {
        if slot.drop {
            gic::clear_pending(slot.intid);
        }
        if slot.drop && !gic::is_pending(slot.intid) {
            SLOT_COUNTS[i].bump(DROPPED);
        } else {
            // Arrived while masked (or a level source still asserting it
            // after a drop): delivered now, counted deferred.
            DEFERRED_NEXT.fetch_or(bit, Ordering::AcqRel);
        }
    }
    gic::unmask(slot.intid);
}

/// WFI from a thread that takes interrupts: `None` if it has one pending
/// (the WFI completes at once), else the time its virtual timer fires, if
/// armed: the thread waits for an interrupt until then
/// ([`wait_for_interrupt`]). `Some(None)`: waits without a deadline.
pub fn wfi_deadline(core: usize, tid: usize) -> Option<Option<Ticks>> {
    let enabled = ENABLED[tid].load(Ordering::Acquire);
    if PENDING[tid].load(Ordering::Acquire) & enabled != 0 {
        return None;
    }
    // Anything pending in a list register wakes WFI too.
    let full = !gich::elsr() & ((1 << lrs(core)) - 1);
    if (0..lrs(core)).any(|n| full & (1 << n) != 0 && matches!(lr::state(gich::lr(n)), lr::State::Pending)) {
        return None;
    }
    if enabled & VTIMER != 0 && IN_FLIGHT[tid].load(Ordering::Acquire) & VTIMER == 0 {
        let (ctl, cval) = crate::arch::sysreg::read_cntv();
        if ctl & 0b11 == 0b01 {
            return if cval <= timer::now().0 { None } else { Some(Some(Ticks(cval))) };
        }
    }
    Some(None)
}

/// Whether the thread takes any interrupt (its WFI then waits for one).
pub fn takes_interrupts(tid: usize) -> bool {
    ENABLED[tid].load(Ordering::Acquire) != 0
}

/// Notes that the thread now waits in WFI (its scheduler wait is set by the
/// caller, under the same core scheduler lock a device wake takes).
pub fn wait_for_interrupt(tid: usize) {
    WFI_WAIT[tid].store(true, Ordering::Release);
}

/// InterruptEnable / InterruptDisable / InterruptStatus from thread `tid`.
pub fn call(tid: usize, call: bulkhead_abi::Call, intid: u64) -> Result<[u64; 3], Status> {
    let intid = u32::try_from(intid).map_err(|_| Status::InvalidParameter)?;
    let (bit, slot) = bit_for(tid, intid).ok_or(Status::InvalidParameter)?;
    match call {
        bulkhead_abi::Call::InterruptEnable => {
            if ENABLED[tid].fetch_or(bit, Ordering::AcqRel) & bit != 0 {
                return Err(Status::NoAction);
            }
            // The GIC's virtual interface is live from the next entry.
            gich::set_hcr(gich::hcr() | gich::HCR_EN);
            let in_flight = IN_FLIGHT[tid].load(Ordering::Acquire) & bit != 0;
            match slot {
                None if !in_flight => gic::unmask(VIRTUAL_TIMER_INTID),
                Some((i, s)) if owns_window(i, s) => open(i, s),
                _ => {}
            }
            Ok([0; 3])
        }
        bulkhead_abi::Call::InterruptDisable => {
            if ENABLED[tid].fetch_and(!bit, Ordering::AcqRel) & bit == 0 {
                return Err(Status::NoAction);
            }
            PENDING[tid].fetch_and(!bit, Ordering::AcqRel);
            gic::disable(slot.map_or(VIRTUAL_TIMER_INTID, |(_, s)| s.intid));
            Ok([0; 3])
        }
        _ => Ok(match slot {
            None => VTIMER_COUNTS[tid].get(),
            Some((i, _)) => SLOT_COUNTS[i].get(),
        }),
    }
}

/// A partition (re)starts: its threads take no interrupt, nothing is
/// pending or in flight, its devices' SPIs are masked and their counts zero.
pub fn forget(module: &Module, partition: usize) {
    let p = module.partition(partition);
    for tid in p.first_thread..p.first_thread + p.thread_count {
        ENABLED[tid].store(0, Ordering::Release);
        PENDING[tid].store(0, Ordering::Release);
        IN_FLIGHT[tid].store(0, Ordering::Release);
        WFI_WAIT[tid].store(false, Ordering::Release);
        VTIMER_COUNTS[tid].clear();
    }
    let Some(slots) = slots() else { return };
    for (i, slot) in slots.iter().filter(|(_, s)| s.partition == partition) {
        gic::disable(slot.intid);
        DEFERRED_NEXT.fetch_and(!(1 << i), Ordering::AcqRel);
        SLOT_COUNTS[i].clear();
    }
}

/// The module's device interrupts, with the core each is routed to.
pub fn all() -> impl Iterator<Item = (&'static Slot, usize)> {
    slots().into_iter().flat_map(|s| s.iter().map(|(i, s)| (s, core_of(i))))
}

/// Thread `tid` migrated to `core` (SetThreadAffinity, every core's
/// scheduler lock held): its device SPIs follow it, masked on the way and
/// unmasked there if its partition owns that core's window.
pub fn thread_moved(tid: usize, core: usize) {
    let Some(slots) = slots() else { return };
    for (i, slot) in slots.iter().filter(|(_, s)| s.tid == tid) {
        gic::disable(slot.intid);
        gic::route_spi(slot.intid, 1 << core);
        SLOT_CORE[i].store(core as u8, Ordering::Release);
        if owns_window(i, slot) {
            open(i, slot);
        }
    }
}
