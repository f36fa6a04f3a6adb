//! Partition and process management (ARINC 653 Part 1): operating modes,
//! and the processes of a partition (its threads) as the partition itself
//! starts, stops, suspends and resumes them.
//!
//! **Modes.** A partition described with `initialization = true` starts in
//! COLD_START (WARM_START after a warm restart) with only its first thread
//! (index 0, the ARINC main process) Ready; the others are dormant. What
//! it starts meanwhile is noted in [`PartitionRuntime::pending_start`] and
//! made Ready when it calls `SetPartitionMode(Normal)`. A partition without
//! the flag is put in NORMAL by the kernel with every thread Ready. A core
//! enters a partition's thread in any mode but IDLE (`health::enter`); a
//! restart under way holds the partition in IDLE until its threads start.
//!
//! **Processes.** Every operation acts on a thread of the caller's own
//! partition, under the one scheduler lock that holds it (found with all
//! the per-core locks taken in core order, as a port's wake does: a
//! migration cannot move it meanwhile). The caller runs, so its partition
//! owns the window: the core holding the target is told to decide again
//! (a Reschedule IPI, or this core's own flag), and a higher-priority
//! process made Ready preempts at once. A START gives the thread a fresh
//! context: the reset is done by the core that next enters it
//! ([`take_pending`]), under its context lock, never by the caller, which
//! holds only its own context.
use super::hypercall::{Outcome, fail, lock_core_schedulers, ns_since_epoch, ok, user_bytes};
use super::{MAX_THREADS, TIMELINE, health, thread_cores};
use super::{MODE_COLD_START, MODE_NORMAL, Module, NEED_RESCHED, PARTITIONS, ThreadContext};
use crate::arch::Mutex;
use crate::ipi::{self, IpiReason};
use bulkhead_abi::{
    Call, ERROR_MESSAGE_SIZE, ERROR_QUEUE_DEPTH, ERROR_STATUS_SIZE, ErrorStatusRecord, INFINITE, PARTITION_STATUS_SIZE,
    PROCESS_STATUS_SIZE, PartitionMode, PartitionStatusRecord, ProcessState, ProcessStatusRecord, StartCondition,
    Status,
};
use bulkhead_image::ErrorKind;
use bulkhead_sched::{CoreScheduler, Nanos, SchedError, ThreadId, ThreadState, Ticks, Wait};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Per thread: the next entry resets its context (a START).
static RESET_PENDING: [AtomicBool; MAX_THREADS] = [const { AtomicBool::new(false) }; MAX_THREADS];
/// Per thread: it waits in SuspendSelf (an event wait RESUME ends).
static SUSPENDED_SELF: [AtomicBool; MAX_THREADS] = [const { AtomicBool::new(false) }; MAX_THREADS];
/// Per thread: a RESUME ended its SuspendSelf: the call returns 0.
static RESUMED: [AtomicBool; MAX_THREADS] = [const { AtomicBool::new(false) }; MAX_THREADS];
/// Per thread: the entry function and argument a StartProcessAt gave it
/// (entry 0: none), put in `x4`/`x5` when its context is reset.
static START_ENTRY: [AtomicU64; MAX_THREADS] = [const { AtomicU64::new(0) }; MAX_THREADS];
static START_ARG: [AtomicU64; MAX_THREADS] = [const { AtomicU64::new(0) }; MAX_THREADS];
/// Per thread: the delay (ns) of a DELAYED_START made during
/// initialisation, counted from the partition's entry into NORMAL.
static START_DELAY: [AtomicU64; MAX_THREADS] = [const { AtomicU64::new(0) }; MAX_THREADS];

/// Who is calling, from where.
pub struct Caller {
    pub core: usize,
    pub tid: usize,
    pub partition: usize,
    pub now: Ticks,
}

/// What the entering core must do to a thread's context first: called
/// under its context lock, before its state is restored (`run_thread`).
///
/// On the switch path: a load of each flag first, and the read-modify-write
/// only for one that is set (issue 19), inlined into the switch path with
/// the rare START out of line.
#[inline]
pub fn take_pending(module: &Module, tid: usize, ctx: &mut ThreadContext) {
    let take = |flag: &AtomicBool| flag.load(Ordering::Acquire) && flag.swap(false, Ordering::AcqRel);
    let reset = take(&RESET_PENDING[tid]);
    if reset {
        start_afresh(module, tid, ctx);
    }
    // A fresh context has no call to return from: what ended a wait of
    // its previous life is dropped.
    if take(&SUSPENDED_SELF[tid]) && RESUMED[tid].swap(false, Ordering::AcqRel) && !reset {
        ctx.frame.x[0] = 0;
    }
    if super::words::take_pending(tid) && !reset {
        ctx.frame.x[0] = 0;
    }
}

/// A START since the thread last ran: a fresh context, with the entry
/// point and argument the START gave.
#[cold]
#[inline(never)]
fn start_afresh(module: &Module, tid: usize, ctx: &mut ThreadContext) {
    ctx.reset(module, module.thread(tid));
    ctx.frame.x[4] = START_ENTRY[tid].load(Ordering::Acquire);
    ctx.frame.x[5] = START_ARG[tid].load(Ordering::Acquire);
}

/// Forgets what was pending for the threads of a partition that restarts.
pub fn forget(threads: core::ops::Range<usize>) {
    for t in threads {
        RESET_PENDING[t].store(false, Ordering::Release);
        SUSPENDED_SELF[t].store(false, Ordering::Release);
        RESUMED[t].store(false, Ordering::Release);
        START_DELAY[t].store(0, Ordering::Release);
        START_ENTRY[t].store(0, Ordering::Release);
        START_ARG[t].store(0, Ordering::Release);
    }
}

/// Handles a partition or process management call.
pub fn dispatch(module: &Module, caller: &Caller, ctx: &mut ThreadContext, call: Call) -> Outcome {
    let (a1, a2, a3) = (ctx.frame.x[1], ctx.frame.x[2], ctx.frame.x[3]);
    let result = match call {
        Call::SetPartitionMode => return set_partition_mode(module, caller, ctx, a1),
        Call::GetPartitionStatus => partition_status(module, caller, a1, a2).map(|()| [0; 3]),
        Call::ProcessIdByName => process_by_name(module, caller, a1, a2).map(|i| [i as u64, 0, 0]),
        Call::ProcessStatus => {
            process(module, caller, a1).and_then(|t| process_status(module, caller, t, a2, a3)).map(|()| [0; 3])
        }
        Call::StartProcess | Call::DelayedStartProcess => {
            let delay = if call == Call::DelayedStartProcess { a2 } else { 0 };
            process(module, caller, a1).and_then(|t| start(module, caller, t, delay, (0, 0))).map(|()| [0; 3])
        }
        Call::StartProcessAt => process(module, caller, a1)
            .and_then(|t| {
                let p = module.partition(caller.partition);
                let inside = a2.checked_sub(p.ipa_base).filter(|&o| module.memory_map(caller.partition).executable(o));
                if inside.is_none() {
                    return Err(Status::InvalidAddress);
                }
                start(module, caller, t, 0, (a2, a3))
            })
            .map(|()| [0; 3]),
        Call::StopProcess => match process(module, caller, a1) {
            Ok(t) if t == caller.tid => {
                // STOP_SELF: dormant from now; nobody sees a result.
                with_thread(module, caller, t, |s, _| s.stop(ThreadId(t as u16)).map_err(|_| Status::InvalidMode)).ok();
                // An error handler that stops itself with errors queued
                // (one came after its last look) starts again at once.
                if is_error_handler(caller.partition, t) && ERRORS[caller.partition].lock().len > 0 {
                    start_error_handler(module, t, caller.core, caller.now);
                }
                return Outcome::Reschedule;
            }
            Ok(t) => stop(module, caller, t).map(|()| [0; 3]),
            Err(status) => Err(status),
        },
        Call::SuspendProcess => process(module, caller, a1)
            .and_then(|t| if t == caller.tid { Err(Status::InvalidParameter) } else { Ok(t) })
            .and_then(|t| with_thread(module, caller, t, |s, tid| s.suspend(tid).map_err(|_| Status::InvalidMode)))
            .map(|()| [0; 3]),
        Call::SuspendSelf => return suspend_self(module, caller, ctx, a1),
        Call::ResumeProcess => process(module, caller, a1).and_then(|t| resume(module, caller, t)).map(|()| [0; 3]),
        Call::SetProcessPriority => {
            let priority = u8::try_from(a2).map_err(|_| Status::InvalidParameter);
            process(module, caller, a1)
                .and_then(|t| {
                    let priority = priority?;
                    with_thread(module, caller, t, |s, tid| {
                        s.set_priority(tid, priority, caller.now).map_err(|_| Status::InvalidMode)
                    })
                })
                .map(|()| [0; 3])
        }
        Call::LockPreemption => with_thread(module, caller, caller.tid, |s, t| {
            s.lock_preemption(t).map(|level| [u64::from(level), 0, 0]).map_err(|_| Status::InvalidMode)
        }),
        Call::UnlockPreemption => with_thread(module, caller, caller.tid, |s, t| {
            s.unlock_preemption(t).map(|level| [u64::from(level), 0, 0]).map_err(|e| match e {
                SchedError::NotPreemptionHolder { holder: None, .. } => Status::NoAction,
                _ => Status::InvalidMode,
            })
        }),
        Call::Replenish => {
            let deadline = with_thread(module, caller, caller.tid, |s, t| {
                s.replenish(t, Nanos(a1), caller.now).map_err(|e| match e {
                    SchedError::Time(_) => Status::InvalidParameter,
                    _ => Status::InvalidMode,
                })
            });
            deadline.map(|d| [d.map_or(INFINITE, |d| ns_since_epoch(module, d)), 0, 0])
        }
        Call::CreateErrorHandler => {
            process(module, caller, a1).and_then(|t| create_error_handler(module, caller, t)).map(|()| [0; 3])
        }
        Call::GetErrorStatus => get_error_status(module, caller, a1, a2).map(|left| [left, 0, 0]),
        _ => Err(Status::NotSupported),
    };
    match result {
        Ok(results) => ok(ctx, results),
        Err(status) => fail(ctx, status),
    }
    Outcome::Continue
}

/// The module thread id of process `index` of the caller's partition.
fn process(module: &Module, caller: &Caller, index: u64) -> Result<usize, Status> {
    let p = module.partition(caller.partition);
    let index = usize::try_from(index).ok().filter(|&i| i < p.thread_count).ok_or(Status::InvalidParameter)?;
    Ok(p.first_thread + index)
}

/// Runs `f` on the scheduler holding thread `tid`, with every core's
/// scheduler lock held (core order), then tells that core to decide again
/// if `f` succeeded.
fn with_thread<R>(
    module: &Module,
    caller: &Caller,
    tid: usize,
    f: impl FnOnce(&mut CoreScheduler, ThreadId) -> Result<R, Status>,
) -> Result<R, Status> {
    let (core, result) = on_holder(module, tid, f).ok_or(Status::InvalidParameter)?;
    if result.is_ok() {
        kick(caller.core, core);
    }
    result
}

/// Runs `f` on the scheduler holding thread `tid`, with every core's
/// scheduler lock held (core order, so a migration cannot move it
/// meanwhile); returns that core and what `f` returned, `None` if no core
/// holds the thread.
fn on_holder<R>(module: &Module, tid: usize, f: impl FnOnce(&mut CoreScheduler, ThreadId) -> R) -> Option<(usize, R)> {
    let cores = module.core_count;
    let thread = ThreadId(tid as u16);
    let mut scheds = lock_core_schedulers(cores);
    let (core, sched) = scheds.iter_mut().enumerate().find_map(|(c, sched)| {
        let sched = sched.as_deref_mut()?;
        sched.thread_state(thread).is_some().then_some((c, sched))
    })?;
    Some((core, f(sched, thread)))
}

/// Makes `core` decide again: this core by its flag, another by an IPI.
/// The caller's partition owns the window, so the other core is in it.
fn kick(own: usize, core: usize) {
    if core == own {
        NEED_RESCHED[own].store(true, Ordering::Release);
    } else {
        ipi::send(IpiReason::Reschedule, ipi::CoreSet(0).with(core));
    }
}

/// Whether thread `tid` is dormant: a look, nobody told to decide again.
fn is_dormant(module: &Module, tid: usize) -> Result<bool, Status> {
    on_holder(module, tid, |s, t| s.thread_state(t) == Some(ThreadState::Stopped))
        .map(|(_, dormant)| dormant)
        .ok_or(Status::InvalidParameter)
}

fn mode(partition: usize) -> u8 {
    PARTITIONS[partition].mode.load(Ordering::Acquire)
}

/// START and DELAYED_START.
fn start(module: &Module, caller: &Caller, tid: usize, delay_ns: u64, entry: (u64, u64)) -> Result<(), Status> {
    let delay = module.freq.nanos_to_ticks_ceil(Nanos(delay_ns)).ok_or(Status::InvalidParameter)?;
    let until = caller.now.checked_add(delay).ok_or(Status::InvalidParameter)?;
    let index = tid - module.partition(caller.partition).first_thread;
    let rt = &PARTITIONS[caller.partition];
    if mode(caller.partition) != MODE_NORMAL {
        // Initialisation: it becomes Ready when the partition enters
        // NORMAL. It must be dormant, and not already started.
        let dormant = is_dormant(module, tid)?;
        if !dormant {
            return Err(Status::InvalidMode);
        }
        if rt.pending_start.fetch_or(1 << index, Ordering::AcqRel) & (1 << index) != 0 {
            return Err(Status::NoAction);
        }
        START_DELAY[tid].store(delay_ns, Ordering::Release);
        START_ENTRY[tid].store(entry.0, Ordering::Release);
        START_ARG[tid].store(entry.1, Ordering::Release);
        return Ok(());
    }
    with_thread(module, caller, tid, |s, t| {
        if s.thread_state(t) != Some(ThreadState::Stopped) {
            return Err(Status::InvalidMode);
        }
        // Before it can be picked: whoever enters it resets it first.
        START_ENTRY[tid].store(entry.0, Ordering::Release);
        START_ARG[tid].store(entry.1, Ordering::Release);
        RESET_PENDING[tid].store(true, Ordering::Release);
        s.start(t, caller.now).map_err(|_| Status::InvalidMode)?;
        if until > caller.now {
            s.wait_until(t, until, caller.now).map_err(|_| Status::InvalidMode)?;
        }
        Ok(())
    })
}

/// STOP of another process.
fn stop(module: &Module, caller: &Caller, tid: usize) -> Result<(), Status> {
    let index = tid - module.partition(caller.partition).first_thread;
    // A process started during initialisation is dormant again.
    let pending = PARTITIONS[caller.partition].pending_start.fetch_and(!(1 << index), Ordering::AcqRel);
    if pending & (1 << index) != 0 {
        return Ok(());
    }
    with_thread(module, caller, tid, |s, t| match s.thread_state(t) {
        Some(ThreadState::Stopped) => Err(Status::NoAction),
        _ => {
            SUSPENDED_SELF[tid].store(false, Ordering::Release);
            s.stop(t).map_err(|_| Status::InvalidMode)
        }
    })?;
    // A dormant process waits for nothing: out of every port's waiters
    // (PortStatus's count, ARINC 653 WAITING_PROCESSES).
    super::ports::forget(tid..tid + 1);
    Ok(())
}

/// RESUME: ends a SUSPEND, or a SuspendSelf (which then returns 0).
fn resume(module: &Module, caller: &Caller, tid: usize) -> Result<(), Status> {
    with_thread(module, caller, tid, |s, t| match s.thread_state(t) {
        Some(ThreadState::Suspended) => s.resume(t, caller.now).map_err(|_| Status::InvalidMode),
        Some(ThreadState::Waiting(Wait::Event { .. })) if SUSPENDED_SELF[tid].load(Ordering::Acquire) => {
            // Under the lock of the scheduler holding it: no core enters
            // it before this is visible.
            RESUMED[tid].store(true, Ordering::Release);
            s.wake(t, caller.now).map(|_| ()).map_err(|_| Status::InvalidMode)
        }
        _ => Err(Status::InvalidMode),
    })
}

/// SUSPEND_SELF: an event wait that RESUME ends early.
fn suspend_self(module: &Module, caller: &Caller, ctx: &mut ThreadContext, timeout_ns: u64) -> Outcome {
    // The mode first, as ARINC 653 SUSPEND_SELF (and TimedWait here) check
    // it: a zero timeout with the preemption lock held is refused too.
    if holds_preemption_lock(caller) {
        fail(ctx, Status::InvalidMode);
        return Outcome::Continue;
    }
    if timeout_ns == 0 {
        ok(ctx, [0; 3]);
        return Outcome::Continue;
    }
    let until = if timeout_ns == INFINITE {
        None
    } else {
        match module.freq.nanos_to_ticks_ceil(Nanos(timeout_ns)).and_then(|d| caller.now.checked_add(d)) {
            Some(t) => Some(t),
            None => {
                fail(ctx, Status::InvalidParameter);
                return Outcome::Continue;
            }
        }
    };
    // What it returns unless a RESUME comes first (`take_pending`).
    fail(ctx, Status::TimedOut);
    RESUMED[caller.tid].store(false, Ordering::Release);
    SUSPENDED_SELF[caller.tid].store(true, Ordering::Release);
    let waited = with_thread(module, caller, caller.tid, |s, t| {
        s.wait_event(t, until, caller.now).map_err(|_| Status::InvalidMode)
    });
    if let Err(status) = waited {
        SUSPENDED_SELF[caller.tid].store(false, Ordering::Release);
        fail(ctx, status);
        return Outcome::Continue;
    }
    Outcome::Reschedule
}

/// No error handler (`ERROR_HANDLER`).
const NO_HANDLER: u32 = u32::MAX;
/// Per partition, the thread that is its error handler, if any.
static ERROR_HANDLER: [AtomicU32; super::MAX_PARTITIONS] =
    [const { AtomicU32::new(NO_HANDLER) }; super::MAX_PARTITIONS];

/// Errors waiting for a partition's error handler, oldest first.
struct ErrorQueue {
    errors: [ErrorStatusRecord; ERROR_QUEUE_DEPTH],
    head: usize,
    len: usize,
}

const NO_ERROR: ErrorStatusRecord = ErrorStatusRecord {
    time_ns: 0,
    address: 0,
    kind: 0,
    process: 0,
    message_len: 0,
    reserved: 0,
    message: [0; ERROR_MESSAGE_SIZE],
};

/// Per partition, under its own lock: a leaf, nothing is taken while it
/// is held.
static ERRORS: [Mutex<ErrorQueue>; super::MAX_PARTITIONS] =
    [const { Mutex::new(ErrorQueue { errors: [NO_ERROR; ERROR_QUEUE_DEPTH], head: 0, len: 0 }) };
        super::MAX_PARTITIONS];

fn is_error_handler(partition: usize, tid: usize) -> bool {
    ERROR_HANDLER[partition].load(Ordering::Acquire) == tid as u32
}

/// Forgets a partition's error handler and its queue (a restart: the
/// partition creates it again in its initialisation).
pub fn forget_error_handler(partition: usize) {
    ERROR_HANDLER[partition].store(NO_HANDLER, Ordering::Release);
    let mut q = ERRORS[partition].lock();
    q.head = 0;
    q.len = 0;
}

/// CREATE_ERROR_HANDLER: during initialisation, of a dormant process.
fn create_error_handler(module: &Module, caller: &Caller, tid: usize) -> Result<(), Status> {
    if mode(caller.partition) == MODE_NORMAL {
        return Err(Status::InvalidMode);
    }
    if ERROR_HANDLER[caller.partition].load(Ordering::Acquire) != NO_HANDLER {
        return Err(Status::NoAction);
    }
    let index = tid - module.partition(caller.partition).first_thread;
    let pending = PARTITIONS[caller.partition].pending_start.load(Ordering::Acquire) & (1 << index) != 0;
    let dormant = is_dormant(module, tid)?;
    if !dormant || pending {
        return Err(Status::InvalidMode);
    }
    ERROR_HANDLER[caller.partition].store(tid as u32, Ordering::Release);
    Ok(())
}

/// GET_ERROR_STATUS: the oldest queued error, for the error handler only;
/// returns how many are still queued after it.
fn get_error_status(module: &Module, caller: &Caller, ptr: u64, len: u64) -> Result<u64, Status> {
    if !is_error_handler(caller.partition, caller.tid) {
        return Err(Status::InvalidMode);
    }
    if len != ERROR_STATUS_SIZE as u64 {
        return Err(Status::InvalidParameter);
    }
    let to = module.writable(caller.partition, ptr, len).ok_or(Status::InvalidAddress)?;
    let (record, left) = {
        let mut q = ERRORS[caller.partition].lock();
        if q.len == 0 {
            return Err(Status::NoAction);
        }
        let record = q.errors[q.head];
        q.head = (q.head + 1) % ERROR_QUEUE_DEPTH;
        q.len -= 1;
        (record, q.len)
    };
    super::ports::copy_out(to, &record.to_bytes());
    Ok(left as u64)
}

/// Starts error handler `tid` from its entry at priority 255 if it is
/// dormant, and tells its core (from core `own`).
fn start_error_handler(module: &Module, tid: usize, own: usize, now: Ticks) {
    let started = on_holder(module, tid, |s, thread| {
        if s.thread_state(thread) != Some(ThreadState::Stopped) {
            return false;
        }
        START_ENTRY[tid].store(0, Ordering::Release);
        RESET_PENDING[tid].store(true, Ordering::Release);
        let ok = s.start(thread, now).is_ok();
        if ok {
            let _ = s.set_priority(thread, u8::MAX, now);
        }
        ok
    });
    if let Some((core, true)) = started {
        kick(own, core);
    }
}

/// The health monitor's first question about an event: does it go to the
/// partition's error handler? If the partition has one and the event is
/// another thread's, the error is queued (with that thread's PC now), a
/// faulting thread is suspended (it would fault again), the handler is
/// started if dormant, and the table's action is not taken. An error
/// that finds the queue full follows the table. Called with no lock held.
pub fn to_error_handler(module: &Module, kind: ErrorKind, tid: usize, core: usize, detail: &str) -> bool {
    let partition = module.thread(tid).partition;
    let handler = ERROR_HANDLER[partition].load(Ordering::Acquire);
    // Process-level errors only: a window overrun is the partition's
    // schedule at work, not an error of the process.
    if handler == NO_HANDLER || handler == tid as u32 || kind == ErrorKind::WindowOverrun {
        return false;
    }
    let now = crate::timer::now();
    // Its PC, if its context is free: the error is handled on the
    // thread's own core after it left EL1, so it is; were it running
    // elsewhere (a migration meanwhile), waiting for it could take a
    // window, so the address is then 0 (unknown).
    let address = super::CONTEXTS[tid].try_lock().map_or(0, |c| c.frame.elr);
    let bytes = detail.as_bytes();
    let mut message = [0u8; ERROR_MESSAGE_SIZE];
    let n = bytes.len().min(message.len());
    message[..n].copy_from_slice(&bytes[..n]);
    let record = ErrorStatusRecord {
        time_ns: ns_since_epoch(module, now),
        address,
        kind: kind.code(),
        process: (tid - module.partition(partition).first_thread) as u32,
        message_len: bytes.len() as u32,
        reserved: 0,
        message,
    };
    {
        let mut q = ERRORS[partition].lock();
        if q.len == ERROR_QUEUE_DEPTH {
            return false;
        }
        let at = (q.head + q.len) % ERROR_QUEUE_DEPTH;
        q.errors[at] = record;
        q.len += 1;
    }
    let fault = matches!(
        kind,
        ErrorKind::Stage2Abort
            | ErrorKind::StackOverflow
            | ErrorKind::UndefinedInstruction
            | ErrorKind::TrappedOperation
    );
    // A faulting thread would fault again: it waits for the handler.
    if fault && let Some((held, _)) = on_holder(module, tid, |s, t| s.suspend(t).is_ok()) {
        kick(core, held);
    }
    start_error_handler(module, handler as usize, core, now);
    true
}

/// Whether the caller holds its core's preemption lock: it may not wait
/// (ARINC 653: INVALID_MODE for a wait while preemption is locked).
pub fn holds_preemption_lock(caller: &Caller) -> bool {
    super::CORE_SCHED[caller.core]
        .lock()
        .as_ref()
        .is_some_and(|s| s.preemption_holder() == Some(ThreadId(caller.tid as u16)))
}

/// SET_PARTITION_MODE for the caller's own partition.
fn set_partition_mode(module: &Module, caller: &Caller, ctx: &mut ThreadContext, raw: u64) -> Outcome {
    let partition = caller.partition;
    let current = mode(partition);
    let result = match raw {
        x if x == PartitionMode::Normal as u64 => {
            if current == MODE_NORMAL {
                Err(Status::NoAction)
            } else {
                enter_normal(module, caller);
                Ok(())
            }
        }
        x if x == PartitionMode::WarmStart as u64 && current == MODE_COLD_START => Err(Status::InvalidMode),
        x if x == PartitionMode::ColdStart as u64 || x == PartitionMode::WarmStart as u64 => {
            let warm = x == PartitionMode::WarmStart as u64;
            ok(ctx, [0; 3]);
            let kind = if warm { health::Restart::Warm } else { health::Restart::Cold };
            health::restart_partition(module, partition, kind, StartCondition::PartitionRestart);
            return Outcome::Reschedule;
        }
        x if x == PartitionMode::Idle as u64 => {
            ok(ctx, [0; 3]);
            health::stop_partition(module, partition);
            crate::partition_println!(
                partition,
                "health: partition {} set itself idle",
                module.partition(partition).name
            );
            return Outcome::Reschedule;
        }
        _ => Err(Status::InvalidParameter),
    };
    match result {
        Ok(()) => ok(ctx, [0; 3]),
        Err(status) => fail(ctx, status),
    }
    Outcome::Continue
}

/// The end of initialisation: what was started meanwhile becomes Ready
/// (delays counted from now), then the mode is NORMAL.
fn enter_normal(module: &Module, caller: &Caller) {
    let p = module.partition(caller.partition);
    PARTITIONS[caller.partition].mode.store(MODE_NORMAL, Ordering::SeqCst);
    let pending = PARTITIONS[caller.partition].pending_start.swap(0, Ordering::AcqRel);
    for index in (0..p.thread_count).filter(|i| pending & (1 << i) != 0) {
        let tid = p.first_thread + index;
        let delay = START_DELAY[tid].swap(0, Ordering::AcqRel);
        let entry = (START_ENTRY[tid].load(Ordering::Acquire), START_ARG[tid].load(Ordering::Acquire));
        // The mode is NORMAL now, so this starts it. It was dormant when
        // started during initialisation and only the caller runs
        // meanwhile: it cannot fail.
        let _ = start(module, caller, tid, delay, entry);
    }
}

/// GET_PARTITION_STATUS into the caller's record at `ptr`.
fn partition_status(module: &Module, caller: &Caller, ptr: u64, len: u64) -> Result<(), Status> {
    if len != PARTITION_STATUS_SIZE as u64 {
        return Err(Status::InvalidParameter);
    }
    let to = module.writable(caller.partition, ptr, len).ok_or(Status::InvalidAddress)?;
    let p = module.partition(caller.partition);
    let schedule = TIMELINE.lock().as_ref().map_or(0, |t| t.active_at(caller.now).schedule.0);
    let (period_ns, duration_ns) = module.image.schedule(u32::from(schedule)).map_or((0, 0), |s| {
        let mine = s.windows().filter(|w| w.owner == Some(caller.partition as u32)).map(|w| w.duration_ns).sum();
        (s.major_frame_ns, mine)
    });
    let placement = thread_cores();
    let cores = (p.first_thread..p.first_thread + p.thread_count).fold(0u32, |m, t| m | 1 << placement[t]);
    let rt = &PARTITIONS[caller.partition];
    let record = PartitionStatusRecord {
        period_ns,
        duration_ns,
        id: caller.partition as u32,
        mode: u32::from(rt.mode.load(Ordering::Acquire)),
        start_condition: u32::from(rt.start_condition.load(Ordering::Acquire)),
        lock_level: super::CORE_SCHED[caller.core]
            .lock()
            .as_ref()
            .filter(|s| {
                s.preemption_holder().is_some_and(|h| module.thread(usize::from(h.0)).partition == caller.partition)
            })
            .map_or(0, |s| u32::from(s.preemption_level())),
        cores,
        restarts: rt.restarts.load(Ordering::Acquire),
        threads: p.thread_count as u32,
        flags: u32::from(p.system),
    };
    super::ports::copy_out(to, &record.to_bytes());
    Ok(())
}

/// GET_PROCESS_ID: the caller's thread named by its bytes.
fn process_by_name(module: &Module, caller: &Caller, ptr: u64, len: u64) -> Result<usize, Status> {
    if !(1..=bulkhead_image::NAME_MAX_LEN as u64).contains(&len) {
        return Err(Status::InvalidParameter);
    }
    let name = user_bytes(module, caller.partition, ptr, len)?;
    let mut bytes = [0u8; bulkhead_image::NAME_MAX_LEN];
    let n = name.copy_into(&mut bytes);
    let p = module.partition(caller.partition);
    (0..p.thread_count)
        .find(|&i| module.thread(p.first_thread + i).name.as_bytes() == &bytes[..n])
        .ok_or(Status::InvalidParameter)
}

/// GET_PROCESS_STATUS of thread `tid` into the caller's record at `ptr`.
fn process_status(module: &Module, caller: &Caller, tid: usize, ptr: u64, len: u64) -> Result<(), Status> {
    if len != PROCESS_STATUS_SIZE as u64 {
        return Err(Status::InvalidParameter);
    }
    let to = module.writable(caller.partition, ptr, len).ok_or(Status::InvalidAddress)?;
    let index = tid - module.partition(caller.partition).first_thread;
    let pending = PARTITIONS[caller.partition].pending_start.load(Ordering::Acquire) & (1 << index) != 0;
    // A look: nobody is told to decide again.
    let (core, (r, timing)) =
        on_holder(module, tid, |s, t| (s.thread(t).copied(), s.thread_timing(t))).ok_or(Status::InvalidParameter)?;
    let r = r.ok_or(Status::InvalidParameter)?;
    let (state, core) = (r.state(), core as u8);
    let at = |t: Option<Ticks>| t.map_or(INFINITE, |t| ns_since_epoch(module, t));
    let state = match state {
        _ if tid == caller.tid => ProcessState::Running,
        ThreadState::Stopped if pending => ProcessState::Ready,
        ThreadState::Stopped => ProcessState::Dormant,
        ThreadState::Ready if super::run::running_thread(usize::from(core)) == Some(tid) => ProcessState::Running,
        ThreadState::Ready => ProcessState::Ready,
        ThreadState::Suspended => ProcessState::Suspended,
        ThreadState::Waiting(_) if SUSPENDED_SELF[tid].load(Ordering::Acquire) => ProcessState::Suspended,
        ThreadState::Waiting(_) => ProcessState::Waiting,
    };
    let record = ProcessStatusRecord {
        deadline_ns: at(timing.and_then(|t| t.deadline)),
        release_ns: at(timing.and_then(|t| t.release)),
        period_ns: r.period().map_or(INFINITE, |n| n.0),
        time_capacity_ns: r.time_capacity().map_or(INFINITE, |n| n.0),
        base_priority: u32::from(r.base_priority()),
        current_priority: u32::from(r.priority()),
        state: state as u32,
        core: u32::from(core),
        index: index as u32,
        reserved: 0,
        reserved2: 0,
    };
    super::ports::copy_out(to, &record.to_bytes());
    Ok(())
}

/// The health monitor's `stop_process`: thread `tid` is stopped (dormant)
/// wherever it is placed, as STOP would, and its core decides again. Its
/// partition goes on. Already stopped is fine.
pub fn stop_thread(module: &Module, tid: usize) {
    let stopped = on_holder(module, tid, |sched, thread| {
        SUSPENDED_SELF[tid].store(false, Ordering::Release);
        let _ = sched.stop(thread);
    });
    super::ports::forget(tid..tid + 1);
    if let Some((core, ())) = stopped {
        kick(crate::arch::core_id(), core);
    }
}

/// The health monitor's `restart_process`: thread `tid` is stopped and
/// started again at `now`, from its entry point with a fresh context (the
/// entering core resets it, [`take_pending`]), under the one scheduler
/// lock that holds it; its core decides again. Its partition goes on.
pub fn restart_thread(module: &Module, tid: usize, now: Ticks) {
    let restarted = on_holder(module, tid, |sched, thread| {
        SUSPENDED_SELF[tid].store(false, Ordering::Release);
        RESUMED[tid].store(false, Ordering::Release);
        let _ = sched.stop(thread);
        // Before it can be picked: whoever enters it resets it first.
        START_ENTRY[tid].store(0, Ordering::Release);
        RESET_PENDING[tid].store(true, Ordering::Release);
        let _ = sched.start(thread, now);
    });
    // A wait it was in ended with the stop.
    super::ports::forget(tid..tid + 1);
    if let Some((core, ())) = restarted {
        kick(crate::arch::core_id(), core);
    }
}
