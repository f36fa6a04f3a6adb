//! The per-core loop: pick the thread the scheduler says, run it until it
//! leaves EL1, handle why it left, and again. Runs with IRQs masked at EL2
//! throughout: the kernel never takes an interrupt in its own code here.
//! A pending interrupt ends the guest's run (it is routed to EL2), or wakes
//! the idle WFI (WFI wakes on a pending IRQ even while it is masked), and is
//! then dispatched from the loop. Nothing nests.
use super::MAX_THREADS;
use super::abort;
use super::health::{self, Event};
use super::hypercall::{self, Outcome};
use super::interrupts;
use super::rendezvous;
use super::stats;
use super::text::Line;
use super::trace::{self, Reason, Record};
use super::{CONTEXTS, CORE_SCHED, MODULE, Module, NEED_RESCHED, ThreadContext, ThreadInfo};
use crate::arch::guest::{self, El1State, Exit};
use crate::arch::{percpu, sysreg};
use crate::fault::exception_class_name;
use crate::ipi::{self, IpiReason};
use crate::{arch, irq, println, timer};
use bulkhead_board_rpi4::CORES;
use bulkhead_image::ErrorKind;
use bulkhead_sched::Ticks;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

static WINDOW_END: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];
static WINDOW_START: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];
/// The partition owning the window the core is in (`NO_OWNER`: spare time,
/// or before the epoch).
static WINDOW_OWNER: [AtomicU32; CORES] = [const { AtomicU32::new(NO_OWNER) }; CORES];
const NO_OWNER: u32 = u32::MAX;
/// Threads whose trapped WFI / window overrun has been reported: each is
/// said once per thread, not once per window.
static REPORTED_WFI: [AtomicBool; MAX_THREADS] = [const { AtomicBool::new(false) }; MAX_THREADS];
static REPORTED_OVERRUN: [AtomicBool; MAX_THREADS] = [const { AtomicBool::new(false) }; MAX_THREADS];

/// End of the window the core is in (for the time hypercall).
pub fn window_end(core: usize) -> Ticks {
    Ticks(WINDOW_END[core].load(Ordering::Relaxed))
}

/// The partition owning the window `core` is in, if any.
pub fn window_owner(core: usize) -> Option<usize> {
    let owner = WINDOW_OWNER.get(core)?.load(Ordering::Relaxed);
    (owner != NO_OWNER).then_some(owner as usize)
}

fn on_deadline(core: usize, _now: Ticks) {
    NEED_RESCHED[core].store(true, Ordering::Release);
}

fn on_reschedule(core: usize, _from: usize) {
    NEED_RESCHED[core].store(true, Ordering::Release);
}

/// Installs the timer and Reschedule handlers. Core 0, before the others
/// start their loops.
pub fn install_handlers() {
    timer::set_handler(on_deadline);
    ipi::set_handler(IpiReason::Reschedule, on_reschedule);
}

/// Which window of which schedule and frame a decision belongs to.
type WindowKey = Option<(u8, u64, u16)>;

/// What made the core decide again (the trace's reason when the window
/// did not change).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cause {
    Wait,
    Health,
    Other,
}

/// A test hook: the core that stalls with interrupts masked, when, for
/// how long (ticks), and whether it still holds its partition meanwhile
/// (1) or not (0). Set only by the `selftest-missed` and
/// `selftest-holdover` kernels.
static STALL: [AtomicU64; 4] = [const { AtomicU64::new(u64::MAX) }; 4];

/// Makes `core` spin with interrupts masked for `ticks` once the count
/// passes the epoch plus `from_epoch`, as a debugger stop or a runaway
/// driver would: its next boundaries are missed and must be recovered from
/// the epoch. It holds no partition meanwhile: the other cores go on.
/// Waits for the epoch: call it on a core other than the one that loads
/// the module (core 0).
pub fn stall_core_for_test(core: usize, from_epoch: u64, ticks: u64) {
    set_stall(core, from_epoch, ticks, false);
}

/// As [`stall_core_for_test`], but the core stalls right after a thread
/// left EL1, before it lets go of the thread's partition: as a kernel path
/// too long in a partition's exception would. A core that needs another
/// partition must wait for it, and reports it after the patience
/// (`rendezvous.rs`).
pub fn stall_core_holding_for_test(core: usize, from_epoch: u64, ticks: u64) {
    set_stall(core, from_epoch, ticks, true);
}

fn set_stall(core: usize, from_epoch: u64, ticks: u64, holding: bool) {
    // The epoch is fixed before the cores start their loops.
    let epoch = loop {
        match super::EPOCH.load(Ordering::Acquire) {
            0 => arch::spin_hint(),
            epoch => break epoch,
        }
    };
    STALL[1].store(epoch + from_epoch, Ordering::Relaxed);
    STALL[2].store(ticks, Ordering::Relaxed);
    STALL[3].store(u64::from(holding), Ordering::Relaxed);
    STALL[0].store(core as u64, Ordering::Release);
}

/// On the switch path twice: one load when no stall is armed (every
/// kernel but two test kernels).
#[inline(always)]
fn maybe_stall(core: usize, holding: bool) {
    if STALL[0].load(Ordering::Acquire) == core as u64 {
        stall_if_due(core, holding);
    }
}

#[cold]
#[inline(never)]
fn stall_if_due(core: usize, holding: bool) {
    if STALL[3].load(Ordering::Relaxed) != u64::from(holding) {
        return;
    }
    let at = STALL[1].load(Ordering::Relaxed);
    let now = timer::now().0;
    if now >= at {
        STALL[0].store(u64::MAX, Ordering::Relaxed);
        let ticks = STALL[2].load(Ordering::Relaxed);
        let what = if holding { ", holding its partition" } else { "" };
        println!("core {core}: test stall: interrupts masked for {ticks} ticks from {now}{what}");
        // WFE, not a busy loop: under QEMU's single-threaded icount a
        // spinning vCPU would also hold up the other cores' timers, which a
        // real stalled core does not.
        while timer::now().0 - now < ticks {
            arch::wait_for_event();
        }
    }
}

/// Asks the core's scheduler what runs now and arms the timer for the
/// next decision. Leaves the decision's trace record (when tracing) in
/// `record`, for the caller to write once the partition gate has said when
/// the thread may start: written in place, so the untraced switch path
/// copies no record (issue 19).
fn decide(core: usize, previous: WindowKey, cause: Cause, record: &mut Option<Record>) -> (Option<usize>, WindowKey) {
    let now = timer::now();
    let decision = {
        let mut guard = CORE_SCHED[core].lock();
        match guard.as_mut() {
            Some(sched) => sched.on_tick(now),
            None => return (None, None),
        }
    };
    WINDOW_END[core].store(decision.window.map_or(decision.next_deadline, |w| w.end).0, Ordering::Relaxed);
    WINDOW_START[core].store(decision.window.map_or(now, |w| w.start).0, Ordering::Relaxed);
    let owner = decision.window.and_then(|w| w.owner).map_or(NO_OWNER, |p| u32::from(p.0));
    // Only this core writes its word: a load and, on a change, a store,
    // where a swap would take an exclusive pair at every decision.
    let before = WINDOW_OWNER[core].load(Ordering::Relaxed);
    if before != owner {
        WINDOW_OWNER[core].store(owner, Ordering::Relaxed);
        // Device interrupts follow the window: masked outside their
        // partition's (interrupts.rs).
        let some = |p: u32| (p != NO_OWNER).then_some(p as usize);
        interrupts::window_changed(core, some(before), some(owner));
    }
    if let Some(missed) = decision.events.missed_boundary {
        report_missed_boundaries(core, missed);
    }
    // Through the statistics: where QEMU's round robin may switch vCPUs.
    stats::arm_timer(core, decision.next_deadline);
    if !decision.events.deadline_missed.is_empty() {
        report_deadline_misses(core, now, decision.events.deadline_missed);
    }
    let runs = decision.runs.map(|t| usize::from(t.0));
    let window = decision.window.map(|w| (w.schedule.0, w.frame, w.entry));
    if trace::enabled() {
        trace_decision(core, now, &decision, previous, cause, runs, window, record);
    }
    (runs, window)
}

/// A `missed_boundary` event of the module (no partition): logged, and the
/// module's action for it, if any, carried out. Out of line, as the other
/// rare paths of [`decide`], to keep the switch path's frame small.
#[cold]
#[inline(never)]
fn report_missed_boundaries(core: usize, missed: bulkhead_sched::MissedBoundary) {
    let mut detail = Line::new();
    let _ = write!(
        detail,
        "missed {} window boundaries (late by {} ticks), resynchronised from the epoch",
        missed.missed, missed.late_by.0
    );
    health::handle_module(ErrorKind::MissedBoundary, core, &detail);
}

/// The decision's trace record into `record` (traced kernels only), and a
/// line per missed deadline ahead of it (written once the gate has let the
/// core in), with its ticks.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn trace_decision(
    core: usize,
    now: Ticks,
    decision: &bulkhead_sched::Decision,
    previous: WindowKey,
    cause: Cause,
    runs: Option<usize>,
    window: WindowKey,
    record: &mut Option<Record>,
) {
    let module = MODULE.get().expect("running");
    for t in decision.events.deadline_missed.iter() {
        let tid = usize::from(t.0);
        trace::record_deadline_miss(core, now.0, module.thread(tid).partition as u16, t.0);
    }
    let reason = if decision.events.missed_boundary.is_some() {
        Reason::Missed
    } else if window != previous {
        Reason::Boundary
    } else {
        match cause {
            Cause::Wait => Reason::Wait,
            Cause::Health => Reason::Health,
            Cause::Other if runs.is_some() => Reason::Wake,
            Cause::Other => Reason::Resched,
        }
    };
    *record = Some(Record {
        ticks: now.0,
        window,
        runs: runs.map(|t| (module.thread(t).partition as u16, t as u16)),
        reason,
        entered: trace::last_entered(core),
        admitted: None,
    });
}

/// Each thread the scheduler found past its deadline becomes a
/// `deadline_miss` health event, handled now: in the window of the
/// thread's own partition (the scheduler reports a miss only for threads of
/// the window's owner, at the deadline or at the first decision of the
/// partition's next window), on the thread's core.
#[cold]
#[inline(never)]
fn report_deadline_misses(core: usize, now: Ticks, missed: bulkhead_sched::ThreadSet) {
    let module = MODULE.get().expect("running");
    for t in missed.iter() {
        let deadline = CORE_SCHED[core].lock().as_ref().and_then(|s| s.thread_timing(t)).and_then(|t| t.deadline);
        let ns = |t: Ticks| hypercall::ns_since_epoch(module, t);
        let mut detail = Line::new();
        match deadline {
            Some(d) => {
                let _ = write!(
                    detail,
                    "deadline at {} ns passed, found at {} ns (late by {} ns)",
                    ns(d),
                    ns(now),
                    ns(now).saturating_sub(ns(d))
                );
            }
            None => {
                let _ = write!(detail, "deadline passed, found at {} ns", ns(now));
            }
        }
        health::handle(&Event { kind: ErrorKind::DeadlineMiss, thread: usize::from(t.0), core, detail });
    }
}

/// How the core went on from a decision to run a thread.
enum Entry {
    /// Into the thread (its id and record, looked up once for the whole
    /// switch), admitted by the gate at this count.
    Thread(usize, &'static ThreadInfo, u64),
    /// Nowhere: its partition is stopped or restarting; the core idles.
    Idle,
    /// Nowhere: the window ended at the gate; decide again.
    WindowOver,
}

/// Takes the core into thread `tid`'s partition: first says it runs it (a
/// restart waits for that), then passes the partition gate, the
/// rendezvous at a change of partition (docs/DESIGN.md#rendezvous).
fn enter(module: &'static Module, core: usize, tid: usize) -> Entry {
    let thread = module.thread(tid);
    let partition = thread.partition;
    if !health::enter(core, partition) {
        return Entry::Idle;
    }
    match rendezvous::admit(core, partition, window_end(core).0) {
        Some(at) => {
            CURRENT[core].store(tid as u32, Ordering::Relaxed);
            Entry::Thread(tid, thread, at)
        }
        None => {
            health::leave(core);
            Entry::WindowOver
        }
    }
}

/// The thread each core is in (or about to enter), `NONE_PENDING` if none:
/// what GET_PROCESS_STATUS reports as RUNNING.
static CURRENT: [AtomicU32; CORES] = [const { AtomicU32::new(NONE_PENDING) }; CORES];

/// The thread `core` runs now, if any.
pub fn running_thread(core: usize) -> Option<usize> {
    let t = CURRENT.get(core)?.load(Ordering::Relaxed);
    (t != NONE_PENDING).then_some(t as usize)
}

/// One slice of `owner`'s restart, if one is under way, holding the
/// partition at the gate while its memory is written. True if it did one.
fn restart_slice(module: &Module, core: usize, owner: usize) -> bool {
    if !health::restart_under_way(owner) {
        return false;
    }
    let end = window_end(core);
    if rendezvous::admit(core, owner, end.0).is_none() {
        return false;
    }
    let sliced = health::restart_slice(module, owner, end);
    rendezvous::release(core);
    sliced
}

/// A thread that was running when its window ended and is still Ready
/// overran its window: the kernel took the core back at the boundary. The
/// report is only noted here, in the next window's time; the line is
/// written when the core next idles ([`write_overrun_report`]). Called
/// only for a thread not reported yet: no second look at the scheduler
/// (issue 19).
fn report_overrun(core: usize, tid: usize) {
    let ready = CORE_SCHED[core].lock().as_ref().and_then(|s| s.thread_state(bulkhead_sched::ThreadId(tid as u16)))
        == Some(bulkhead_sched::ThreadState::Ready);
    if ready && !REPORTED_OVERRUN[tid].swap(true, Ordering::Relaxed) {
        // One pending report per core: a second thread overrunning on this
        // core before it idles is reported with the next (once per thread
        // still holds: REPORTED_OVERRUN is set for it only when written).
        if OVERRUN_PENDING[core]
            .compare_exchange(NONE_PENDING, tid as u32, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            REPORTED_OVERRUN[tid].store(false, Ordering::Relaxed);
        }
    }
}

/// Per core, the thread whose overrun report waits for idle time.
static OVERRUN_PENDING: [AtomicU32; CORES] = [const { AtomicU32::new(NONE_PENDING) }; CORES];
const NONE_PENDING: u32 = u32::MAX;

/// Hands this core's pending overrun report to the health monitor as a
/// `window_overrun` event (idle time only, never in another partition's
/// thread's time). Logged only, its line is the `sched:` one it always
/// was; another action is carried out here.
fn write_overrun_report(core: usize) {
    let tid = OVERRUN_PENDING[core].swap(NONE_PENDING, Ordering::Relaxed);
    if tid == NONE_PENDING {
        return;
    }
    let mut detail = Line::new();
    let _ = write!(detail, "still running at the end of its window, preempted");
    health::handle(&Event { kind: ErrorKind::WindowOverrun, thread: tid as usize, core, detail });
}

/// Every core, forever.
pub fn run_core(core: usize) -> ! {
    let module = MODULE.get().expect("run_core after a successful load");
    if core >= module.core_count {
        loop {
            crate::console::sleep();
            irq::dispatch();
        }
    }
    // GetTime's fast path answers from these (the epoch is fixed before
    // the cores start their loops).
    percpu::set_time_base(core, super::EPOCH.load(Ordering::Acquire), module.freq.hz());
    let mut record = None;
    let (mut runs, mut window) = decide(core, None, Cause::Other, &mut record);
    // The health event a thread's run ended with, if any.
    let mut event = None;
    // Cycle stamp of the last guest exit if it was an interrupt, and of the
    // exit whose switch path is being measured.
    let mut irq_exit: Option<u64>;
    let mut measure: Option<u64> = None;
    loop {
        let entry = runs.map_or(Entry::Idle, |t| enter(module, core, t));
        if let Some(mut r) = record.take() {
            match entry {
                Entry::Thread(_, _, at) => r.admitted = Some(at),
                Entry::Idle | Entry::WindowOver => r.runs = None,
            }
            trace::record(core, r);
        }
        // The thread that was running when the core was interrupted, if any.
        let mut interrupted = None;
        let mut cause = Cause::Other;
        match entry {
            Entry::Thread(tid, thread, _) => {
                let (ended, exit, entry_cycles) = run_thread(module, core, tid, thread, &mut event);
                stats::path_started(core);
                maybe_stall(core, true);
                // The thread is off the core: let the others into theirs.
                CURRENT[core].store(NONE_PENDING, Ordering::Relaxed);
                rendezvous::release(core);
                health::leave(core);
                let (exit_cycles, _) = percpu::guest_cycle_stamps(core);
                if let Some(from) = measure.take() {
                    stats::record_switch(core, entry_cycles.wrapping_sub(from));
                }
                irq_exit = (exit == Exit::Irq).then_some(exit_cycles);
                match ended {
                    Ended::Continue => interrupted = Some(tid),
                    Ended::Reschedule => {
                        cause = Cause::Wait;
                        NEED_RESCHED[core].store(true, Ordering::Relaxed);
                    }
                    Ended::Health => {
                        cause = Cause::Health;
                        if let Some(event) = event.take() {
                            health::handle(&event);
                        }
                    }
                }
            }
            Entry::WindowOver => {
                irq_exit = None;
                NEED_RESCHED[core].store(true, Ordering::Relaxed);
            }
            Entry::Idle => {
                // Idle in a partition's window: first its restart, if one is
                // under way, a slice at a time, interrupts looked at between
                // slices. The core stays in EL2 meanwhile, so its trace keeps
                // the entry from before: a slice that made it late counts as
                // its own path.
                let owner = WINDOW_OWNER[core].load(Ordering::Relaxed);
                let sliced = owner != NO_OWNER && restart_slice(module, core, owner as usize);
                if !sliced {
                    // Otherwise the time to write what waited for it: an
                    // overrun report, what the trace recorded.
                    write_overrun_report(core);
                    interrupts::report_foreign(module, core);
                    trace::flush(core);
                    stats::flush_pending(core);
                    stats::report_if_due(core);
                    // And to feed the console, waking for it only here.
                    crate::console::sleep();
                    trace::entered_el2(core);
                }
                // An idle core's "vector" is the return from WFI.
                irq_exit = stats::enabled().then(sysreg::cycle_counter);
                stats::path_started(core);
                irq::dispatch();
            }
        }
        maybe_stall(core, false);
        if NEED_RESCHED[core].swap(false, Ordering::AcqRel) {
            let previous_window = window;
            let previous_runs = runs;
            (runs, window) = decide(core, previous_window, cause, &mut record);
            // A timer interrupt that took the core from one thread (or from
            // idle) to another thread: measure the path to the next eret.
            measure = irq_exit.filter(|_| stats::enabled() && runs.is_some() && runs != previous_runs);
            // A thread reported already is not looked at again: that
            // check first, the window comparison after it (issue 19).
            let unreported = |&t: &usize| !REPORTED_OVERRUN[t].load(Ordering::Relaxed);
            if let Some(tid) = interrupted.filter(unreported).filter(|_| window != previous_window) {
                report_overrun(core, tid);
            }
        }
    }
}

/// How a thread's run ended: [`Outcome`] without the health event, which
/// `run_thread` leaves in its caller's slot, so that the switch path does
/// not copy a 200-byte event it does not have (issue 19).
enum Ended {
    Continue,
    Reschedule,
    Health,
}

/// Runs thread `tid` (its record `thread`) once, until it leaves EL1.
/// Returns why it stopped (a health event into `event`), the last exit's
/// kind, and the cycle stamp of its first entry (for the switch-path
/// benchmark).
///
/// The thread's EL1 and FP state is live in this core's registers only
/// while its context lock is held here: restored on entry, saved before the
/// lock goes. Between two calls the context is the only copy, so another
/// core may run the thread next (a migration) or a restart reset it, even
/// after an interrupt that changed nothing for this core.
fn run_thread(
    module: &Module,
    core: usize,
    tid: usize,
    thread: &ThreadInfo,
    event: &mut Option<Event>,
) -> (Ended, Exit, u64) {
    let mut ctx = CONTEXTS[tid].lock();
    // A START since it last ran gives it a fresh context; a RESUME ends
    // its SuspendSelf with success.
    super::process::take_pending(module, tid, &mut ctx);
    ctx.el1.restore();
    ctx.fp.restore();
    interrupts::restore(core, tid, &ctx.vgic, WINDOW_START[core].load(Ordering::Relaxed));
    guest::load_vm(thread.vttbr, 0x8000_0000 | thread.index as u64);
    percpu::set_fast_ids(thread.partition, thread.index, core, WINDOW_END[core].load(Ordering::Relaxed));
    let mut first_entry = None;
    // The end of a measured switch path is this thread's first entry.
    stats::path_ending(core);
    let (outcome, exit) = loop {
        // What became pending for the thread meanwhile, into its list
        // registers.
        interrupts::before_entry(core, tid);
        // SAFETY: the partition's stage-2 table and VMID, the trap
        // configuration of `arch::configure_el2` and this thread's EL1/FP state
        // are loaded; the frame's SPSR was built by `ThreadContext::reset` as
        // EL1h and is only ever rewritten by the exit path from a lower EL, so
        // the eret goes to EL1 or EL0; IRQs are masked at EL2.
        let exit = unsafe { guest::run_guest(&mut ctx.frame) };
        trace::entered_el2(core);
        first_entry.get_or_insert(percpu::guest_cycle_stamps(core).1);
        let outcome = match exit {
            Exit::Irq | Exit::Fiq => {
                irq::dispatch();
                Outcome::Continue
            }
            Exit::Sync => handle_sync(core, tid, &mut ctx),
            Exit::SError => fault(
                core,
                tid,
                ErrorKind::Stage2Abort,
                format_args!("SError (asynchronous external abort) at PC {:#x}", ctx.frame.elr),
            ),
            Exit::Aarch32 => fault(
                core,
                tid,
                ErrorKind::TrappedOperation,
                format_args!("exception from AArch32 state at PC {:#x}: partitions must stay AArch64", ctx.frame.elr),
            ),
        };
        // A hypercall or trap after which the thread simply goes on, with
        // nothing new for this core: straight back into the guest, with its
        // state, stage 2 and context lock still in place.
        if exit == Exit::Sync && matches!(outcome, Outcome::Continue) && !NEED_RESCHED[core].load(Ordering::Acquire) {
            continue;
        }
        break (outcome, exit);
    };
    ctx.el1.save_into();
    ctx.fp.save();
    interrupts::save(core, tid, &mut ctx.vgic);
    let ended = match outcome {
        Outcome::Continue => Ended::Continue,
        Outcome::Reschedule => Ended::Reschedule,
        Outcome::Health(e) => {
            *event = Some(e);
            Ended::Health
        }
    };
    (ended, exit, first_entry.unwrap_or(0))
}

fn fault(core: usize, tid: usize, kind: ErrorKind, args: core::fmt::Arguments) -> Outcome {
    let mut detail = Line::new();
    let _ = detail.write_fmt(args);
    Outcome::Health(Event { kind, thread: tid, core, detail })
}

/// A synchronous exception from the thread: a hypercall, a trap or a fault.
fn handle_sync(core: usize, tid: usize, ctx: &mut ThreadContext) -> Outcome {
    let syndrome = guest::syndrome();
    let esr = syndrome.esr;
    let ec = (esr >> 26) & 0x3f;
    let pc = ctx.frame.elr;
    match ec {
        0x16 => hypercall::dispatch(core, tid, ctx, esr),
        0x01 if interrupts::takes_interrupts(tid) => {
            // A trapped WFI from a thread that takes interrupts: it waits
            // for one (interrupts.rs), or goes on at once if one is pending.
            ctx.frame.elr += 4;
            let Some(until) = interrupts::wfi_deadline(core, tid) else { return Outcome::Continue };
            if let Some(sched) = CORE_SCHED[core].lock().as_mut() {
                interrupts::wait_for_interrupt(tid);
                if sched.wait_event(bulkhead_sched::ThreadId(tid as u16), until, timer::now()).is_err() {
                    return Outcome::Continue;
                }
            }
            Outcome::Reschedule
        }
        0x01 => {
            // A trapped WFI: "nothing to do until my next interrupt", which
            // for a thread without interrupts is its partition's next window.
            // (WFE is not trapped: `arch::configure_el2`.)
            ctx.frame.elr += 4;
            if let Some(sched) = CORE_SCHED[core].lock().as_mut() {
                let _ = sched.periodic_wait(bulkhead_sched::ThreadId(tid as u16), timer::now());
            }
            if !REPORTED_WFI[tid].swap(true, Ordering::Relaxed) {
                let module = MODULE.get().expect("running");
                let thread = module.thread(tid);
                crate::partition_println!(
                    thread.partition,
                    "sched: partition {} thread {} core {core}: trapped WFI at PC {pc:#x}: the thread waits for its next window (reported once per thread)",
                    module.partition(thread.partition).name,
                    thread.name,
                );
            }
            Outcome::Reschedule
        }
        0x13 | 0x17 => {
            // SMC: there is no secure monitor for partitions. If the action
            // lets the partition go on, the call returns NOT_SUPPORTED.
            ctx.frame.elr += 4;
            ctx.frame.x[0] = bulkhead_abi::Status::NotSupported.raw() as u64;
            fault(core, tid, ErrorKind::TrappedOperation, format_args!("SMC #{} at PC {pc:#x}", esr & 0xffff))
        }
        0x18 => {
            // A trapped system register access (PMU, debug, physical timer,
            // implementation defined). Skipped; a read returns 0.
            let is_read = esr & 1 == 1;
            let rt = ((esr >> 5) & 0x1f) as usize;
            if is_read && rt < 31 {
                ctx.frame.x[rt] = 0;
            }
            ctx.frame.elr += 4;
            let (op0, op1, crn, crm, op2) =
                ((esr >> 20) & 3, (esr >> 14) & 7, (esr >> 10) & 0xf, (esr >> 1) & 0xf, (esr >> 17) & 7);
            fault(
                core,
                tid,
                ErrorKind::TrappedOperation,
                format_args!(
                    "trapped {} of system register S{op0}_{op1}_C{crn}_C{crm}_{op2} at PC {pc:#x}",
                    if is_read { "read" } else { "write" }
                ),
            )
        }
        0x20 | 0x24 => {
            let el1 = El1State::save();
            let in_vectors = pc >= el1.vbar_el1 && pc < el1.vbar_el1.wrapping_add(0x800);
            if ec == 0x20 && in_vectors {
                // The thread took an exception at EL1 and the vector it
                // jumped to is not in its memory: it cannot handle it.
                let el1_ec = (el1.esr_el1 >> 26) & 0x3f;
                let kind = if el1_ec == 0 { ErrorKind::UndefinedInstruction } else { ErrorKind::TrappedOperation };
                return fault(
                    core,
                    tid,
                    kind,
                    format_args!(
                        "EL1 exception it cannot take: {} (ESR_EL1 {:#x}) at PC {:#x}, no vector table at VBAR_EL1 {:#x}",
                        exception_class_name(el1_ec),
                        el1.esr_el1,
                        el1.elr_el1,
                        el1.vbar_el1
                    ),
                );
            }
            // Outside its memory, a stack guard page, or a page whose
            // rights forbid the access (W^X): `abort.rs` says which.
            let (kind, detail) = abort::describe(MODULE.get().expect("running"), tid, &syndrome, pc);
            if ec == 0x24 {
                ctx.frame.elr += 4; // if the action lets it go on, skip the access
            }
            Outcome::Health(Event { kind, thread: tid, core, detail })
        }
        0x00 => {
            ctx.frame.elr += 4;
            fault(
                core,
                tid,
                ErrorKind::UndefinedInstruction,
                format_args!("undefined instruction trapped at PC {pc:#x}"),
            )
        }
        _ => {
            ctx.frame.elr += 4;
            fault(
                core,
                tid,
                ErrorKind::TrappedOperation,
                format_args!("{} (EC {ec:#04x}, ESR_EL2 {esr:#x}) at PC {pc:#x}", exception_class_name(ec)),
            )
        }
    }
}
