//! The health monitor (ARINC 653 Part 1, Health Monitoring): what happens
//! when a partition misbehaves. The event is logged with partition, thread,
//! core, cause, address and PC; then the action the system image configures
//! for that kind of error (the partition's own entry, else the module's,
//! else the kind's default) is carried out on the partition alone. The
//! kernel and every other partition go on, on time. Every event is also
//! kept in the module's health log ([`LOG`]), which a system partition
//! reads with the `HealthLog` hypercall.
//!
//! Actions reach a partition (stop, cold or warm restart), one of its
//! threads (stop or restart that process), or the module (switch the
//! schedule, halt); a module event (a core's missed boundaries,
//! [`handle_module`]) has the module's table only.
use super::text::Line;
use super::{CORE_SCHED, MAX_PARTITIONS, MODE_IDLE, MODULE, Module, NOT_RUNNING, PARTITIONS, RUNNING, thread_cores};
use crate::ipi::{self, CoreSet, IpiReason};
use crate::{arch, println, timer};
use bulkhead_abi::StartCondition;
use bulkhead_abi::{HEALTH_DETAIL_SIZE, HEALTH_LOG_ENTRIES, HEALTH_NO_PARTITION, HealthRecord};
use bulkhead_console::RateLimit;
use bulkhead_health::{Log, Read};
use bulkhead_image::{ErrorKind, HealthAction};
use bulkhead_sched::{ThreadId, Ticks};
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

/// Health lines of one partition and kind let through at once, then one
/// per period.
const REPORT_BURST: u32 = 8;
const REPORT_PERIOD_MS: u64 = 100;
/// A slot per error kind (by code), and the last for restarts.
const KINDS: usize = 16;
const RESTART_SLOT: usize = KINDS - 1;

static REPORT_LIMITS: [[arch::Mutex<RateLimit>; KINDS]; MAX_PARTITIONS] =
    [const { [const { arch::Mutex::new(RateLimit::new()) }; KINDS] }; MAX_PARTITIONS];

/// May a report line of `partition` in rate-limit `slot` be printed now?
/// `Some`: yes, with the count of those not shown since the last one.
fn report_allowed(module: &Module, partition: usize, slot: usize) -> Option<Suppressed> {
    let period = module.freq.hz() * REPORT_PERIOD_MS / 1000;
    REPORT_LIMITS[partition][slot].lock().allow(timer::now().0, REPORT_BURST, period).map(Suppressed)
}

/// ` (N more like it not shown)`, or nothing.
struct Suppressed(u32);

impl core::fmt::Display for Suppressed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.0 > 0 { write!(f, " ({} more like it not shown)", self.0) } else { Ok(()) }
    }
}

/// One health event, as reported.
pub struct Event {
    pub kind: ErrorKind,
    pub thread: usize,
    pub core: usize,
    pub detail: Line<160>,
}

/// The module's health log: the last [`HEALTH_LOG_ENTRIES`] events, read
/// by a system partition (`HealthLog`). A leaf lock: taken with nothing
/// after it, for one record's copy (docs/DESIGN.md#lock-order).
static LOG: arch::Mutex<Log<HealthRecord, HEALTH_LOG_ENTRIES>> = arch::Mutex::new(Log::new(HealthRecord::EMPTY));

/// The oldest unread record of the health log, with the count still
/// unread after it and the count lost just before it.
pub fn read_log() -> Option<Read<HealthRecord>> {
    LOG.lock().read()
}

/// Keeps an event in the health log, with the action taken: of thread
/// `thread`, or of the module (`None`: partition and thread
/// [`HEALTH_NO_PARTITION`]).
fn keep(module: &Module, kind: ErrorKind, thread: Option<usize>, core: usize, text: &Line<160>, action: HealthAction) {
    let (partition, index) = thread
        .map(|t| module.thread(t))
        .map_or((HEALTH_NO_PARTITION, HEALTH_NO_PARTITION), |t| (t.partition as u32, t.index as u32));
    let bytes = text.as_str().as_bytes();
    let mut detail = [0; HEALTH_DETAIL_SIZE];
    let held = bytes.len().min(HEALTH_DETAIL_SIZE);
    detail[..held].copy_from_slice(&bytes[..held]);
    // The whole length, the bytes the line could not hold included: a
    // reader sees the record's text was cut, never a silent truncation.
    let full = bytes.len() + text.overflow;
    let record = HealthRecord {
        time_ns: super::hypercall::ns_since_epoch(module, timer::now()),
        kind: kind.code(),
        action: action.code(),
        partition,
        thread: index,
        core: core as u32,
        detail_len: u32::try_from(full).unwrap_or(u32::MAX),
        detail,
    };
    LOG.lock().push(record);
}

/// Logs `event` and carries out the configured action. Called from the
/// core's loop with no thread context or scheduler lock held.
pub fn handle(event: &Event) {
    let module = MODULE.get().expect("health events only come from running partitions");
    let thread = module.thread(event.thread);
    let partition = thread.partition;
    // With an error handler, another process's error is the handler's to
    // decide (ARINC 653: process-level errors go to the error handler).
    if super::process::to_error_handler(module, event.kind, event.thread, event.core, event.detail.as_str()) {
        keep(module, event.kind, Some(event.thread), event.core, &event.detail, HealthAction::Log);
        if let Some(more) = report_allowed(module, partition, event.kind.code() as usize % RESTART_SLOT) {
            crate::partition_println!(
                partition,
                "health: partition {} thread {} core {}: {}: {} -> error handler{more}",
                module.partition(partition).name,
                thread.name,
                event.core,
                event.kind,
                event.detail
            );
        }
        return;
    }
    // The partition's own entry, else the module's, else the default
    // (`stack_overflow` falling back to `stage2_abort` in each table). A
    // module-wide `halt_module` or `switch_schedule` is a system
    // partition's to take: a normal partition's error stops that partition
    // (the tool warns of it), so no partition can take the others down or
    // change their time through a module-wide setting; a normal
    // partition's own entry is the integrator's choice for it, and holds
    // (the tool warns of that too).
    let decision = module.image.health_decision(partition as u32, event.kind);
    let action = decision.action;
    keep(module, event.kind, Some(event.thread), event.core, &event.detail, action);
    // Rate-limited per partition and kind: a partition that faults in a
    // loop gets a burst of lines, then one per REPORT_PERIOD_MS, each
    // saying how many like it were not shown; the actions all happen.
    if let Some(more) = report_allowed(module, partition, event.kind.code() as usize % RESTART_SLOT) {
        let name = module.partition(partition).name;
        if event.kind == ErrorKind::WindowOverrun && action == HealthAction::Log {
            // Logged only: every CPU-bound thread overruns its window once,
            // so the line stays the scheduler's own, as before overruns
            // were health events.
            crate::partition_println!(
                partition,
                "sched: partition {name} thread {} core {}: {} (reported once per thread){more}",
                thread.name,
                event.core,
                event.detail
            );
        } else {
            let refused = Refused(decision.refused);
            crate::partition_println!(
                partition,
                "health: partition {name} thread {} core {}: {}: {} -> {}{}{refused}{more}",
                thread.name,
                event.core,
                event.kind,
                event.detail,
                action,
                ScheduleName(module, action, decision.schedule)
            );
        }
    }
    let tid = event.thread;
    match action {
        HealthAction::Log => {}
        HealthAction::StopPartition => {
            stop_partition(module, partition);
            crate::partition_println!(partition, "health: partition {} stopped", module.partition(partition).name);
        }
        HealthAction::RestartPartition => {
            restart_partition(module, partition, Restart::Cold, StartCondition::HmPartitionRestart);
        }
        HealthAction::WarmRestartPartition => {
            restart_partition(module, partition, Restart::Warm, StartCondition::HmPartitionRestart);
        }
        HealthAction::StopProcess => {
            super::process::stop_thread(module, tid);
            crate::partition_println!(
                partition,
                "health: partition {} thread {} stopped",
                module.partition(partition).name,
                thread.name
            );
        }
        HealthAction::RestartProcess => {
            super::process::restart_thread(module, tid, timer::now());
            crate::partition_println!(
                partition,
                "health: partition {} thread {} restarted",
                module.partition(partition).name,
                thread.name
            );
        }
        HealthAction::SwitchSchedule => switch(module, Some(partition), decision.schedule),
        HealthAction::HaltModule => {
            println!("health: halting the module");
            ipi::halt_all();
        }
        HealthAction::ResetModule => reset_module(),
    }
}

/// Logs an event of the module (`missed_boundary`: no partition, no
/// thread) and carries out the module's action for it: `log`,
/// `switch_schedule` or `halt_module` (the image allows no other). The
/// console line is `health: core C: DETAIL`, followed by ` -> ACTION` when
/// the action is more than `log` (a logged one reads as it did before
/// missed boundaries were health events).
pub fn handle_module(kind: ErrorKind, core: usize, detail: &Line<160>) {
    let Some(module) = MODULE.get() else { return };
    let decision = module.image.health_decision(bulkhead_image::SPARE, kind);
    keep(module, kind, None, core, detail, decision.action);
    match decision.action {
        HealthAction::Log => println!("health: core {core}: {detail}"),
        action => {
            println!("health: core {core}: {detail} -> {action}{}", ScheduleName(module, action, decision.schedule))
        }
    }
    match decision.action {
        HealthAction::SwitchSchedule => switch(module, None, decision.schedule),
        HealthAction::HaltModule => {
            println!("health: halting the module");
            ipi::halt_all();
        }
        HealthAction::ResetModule => reset_module(),
        _ => {}
    }
}

/// `reset_module`: everything buffered for the console is written out,
/// with a last line, then the SoC's watchdog resets the module: the
/// firmware (or QEMU) boots the kernel again and every partition starts
/// from its image. The other cores are not stopped first: the reset
/// takes them all at once.
fn reset_module() -> ! {
    let mut console = crate::console::lock_for_fatal();
    let _ = core::fmt::Write::write_str(&mut console, "health: resetting the module (watchdog full reset)\n");
    drop(console);
    // SAFETY: the EL2 map keeps the device window (DEVICE_BASE..4 GiB),
    // which holds the PM block, mapped as device memory for the kernel's
    // whole life; the console was written out above.
    unsafe { bulkhead_board_rpi4::power::reset() }
}

/// `switch_schedule`: the module goes to schedule `index` at the next
/// major-frame boundary, as a system partition's SetSchedule does.
fn switch(module: &Module, partition: Option<usize>, index: u32) {
    let core = arch::core_id();
    // The image's parser checked the index names a schedule; the kernel's
    // limit (8) keeps it in a u8.
    let switched = u8::try_from(index)
        .ok()
        .and_then(|i| super::hypercall::switch_schedule(module, core, partition, i, timer::now()).ok());
    if switched.is_none() {
        println!("health: switch to schedule {index} refused");
    }
}

/// ` (ACTION is for system partitions)`, or nothing.
struct Refused(Option<HealthAction>);

impl core::fmt::Display for Refused {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(refused) => write!(f, " ({refused} is for system partitions)"),
            None => Ok(()),
        }
    }
}

/// ` to NAME` after `switch_schedule`, or nothing.
struct ScheduleName<'a>(&'a Module, HealthAction, u32);

impl core::fmt::Display for ScheduleName<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.1 {
            HealthAction::SwitchSchedule => {
                write!(f, " to {}", self.0.image.schedule(self.2).map_or("?", |s| s.name))
            }
            _ => Ok(()),
        }
    }
}

/// Stops every thread of `partition` on whatever core it is placed, and
/// makes every core that might be running it re-pick.
pub fn stop_partition(module: &Module, partition: usize) {
    PARTITIONS[partition].mode.store(MODE_IDLE, Ordering::SeqCst);
    let placement = thread_cores();
    let p = module.partition(partition);
    let cores = CoreSet::all().without(arch::core_id());
    for t in p.first_thread..p.first_thread + p.thread_count {
        if let Some(sched) = CORE_SCHED[placement[t]].lock().as_mut() {
            // Already stopped is fine: the partition may be stopped twice.
            let _ = sched.stop(ThreadId(t as u16));
        }
    }
    super::ports::forget(p.first_thread..p.first_thread + p.thread_count);
    super::NEED_RESCHED[arch::core_id()].store(true, Ordering::Release);
    ipi::send(IpiReason::Reschedule, cores.without(arch::core_id()));
}

/// No restart of the partition is under way (see [`RESTART`]).
const NO_RESTART: u64 = u64::MAX;

/// Per partition, the cold restart under way: [`NO_RESTART`], or how many
/// bytes of its memory have been reloaded so far. Whoever moves it from
/// `NO_RESTART` to 0 (one atomic transition) owns the restart; a second
/// fault of another of its threads, or a StartPartition / RestartPartition
/// that races it, finds it taken and adds nothing: the partition restarts
/// once.
static RESTART: [AtomicU64; MAX_PARTITIONS] = [const { AtomicU64::new(NO_RESTART) }; MAX_PARTITIONS];
/// The core loading a slice of the partition now: one at a time.
static RESTART_WORKER: [AtomicBool; MAX_PARTITIONS] = [const { AtomicBool::new(false) }; MAX_PARTITIONS];
/// The longest a slice has taken (ticks), per partition: the margin a core
/// keeps before its window ends. Starts at a guess, then grows to what was
/// measured.
static SLICE_TICKS: [AtomicU64; MAX_PARTITIONS] = [const { AtomicU64::new(0) }; MAX_PARTITIONS];

/// Bytes reloaded per slice: the longest the kernel keeps interrupts masked
/// for a restart at once (zero and clean 64 KiB in one pass, ~3,100
/// instructions; copy at most as much, ~11,000, and clean that again: at
/// most about 16,000 instructions, ~1,000 ticks under QEMU icount).
pub const RESTART_SLICE: usize = 64 * 1024;

/// Cold start: stop the partition and hand its reload to its own windows.
/// The threads stop now; the memory is reloaded a slice at a time by the
/// cores that idle in the partition's windows ([`restart_slice`]), never in
/// another partition's time, and never by two cores at once; then its
/// threads start again from their entry points and the restart is
/// reported. Returns false, doing nothing, if a restart of the partition
/// is already under way.
///
/// A warm restart keeps the partition's memory: it only waits, as a cold
/// one does, for no core to run the partition, then resets its threads.
/// The mode stays IDLE (no core enters it) until its threads start.
pub fn restart_partition(module: &Module, partition: usize, kind: Restart, condition: StartCondition) -> bool {
    if RESTART[partition].compare_exchange(NO_RESTART, 0, Ordering::AcqRel, Ordering::Acquire).is_err() {
        return false;
    }
    stop_partition(module, partition);
    RESTART_HOW[partition].store((kind == Restart::Warm) as u8 | (condition as u8) << 1, Ordering::Relaxed);
    if kind == Restart::Warm {
        // Nothing to reload: the next slice finishes it.
        RESTART[partition].store(module.partition(partition).memory_size, Ordering::Release);
    }
    true
}

/// A partition restart: memory reloaded from the image, or kept.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    Cold,
    Warm,
}

/// Per partition, the restart under way: bit 0 warm, bits 1.. its start
/// condition (`StartCondition`), read when it finishes.
static RESTART_HOW: [AtomicU8; MAX_PARTITIONS] = [const { AtomicU8::new(0) }; MAX_PARTITIONS];

/// Is a restart of `partition` under way (stopped, memory not yet all
/// reloaded)?
pub fn restart_under_way(partition: usize) -> bool {
    RESTART[partition].load(Ordering::Acquire) != NO_RESTART
}

/// Called by a core about to idle in a window `owner` owns, until
/// `window_end`: carries a restart of `owner` one slice further if one is
/// under way, no core still runs the partition (the Reschedule IPI of the
/// stop makes them leave), and a slice fits before the window ends with a
/// slice to spare; finishes the restart after the last slice. True if it
/// did a slice (the core then looks for interrupts and calls again instead
/// of waiting): interrupts stay masked for one slice at a time.
pub fn restart_slice(module: &Module, owner: usize, window_end: Ticks) -> bool {
    let done = RESTART[owner].load(Ordering::Acquire);
    if done == NO_RESTART || RUNNING.iter().any(|r| r.load(Ordering::SeqCst) == owner as u32) {
        return false;
    }
    let estimate = SLICE_TICKS[owner].load(Ordering::Relaxed).max(timer::frequency().hz() / 10_000);
    let start = timer::now();
    if start.0.saturating_add(2 * estimate) >= window_end.0 {
        return false;
    }
    if RESTART_WORKER[owner].swap(true, Ordering::Acquire) {
        return false;
    }
    // The worker flag makes this core the only one past here; re-read.
    let done = RESTART[owner].load(Ordering::Acquire);
    let size = module.partition(owner).memory_size;
    if done != NO_RESTART {
        if done < size {
            super::load_partition_slice(module, owner, done as usize, RESTART_SLICE);
            let took = timer::now().0 - start.0;
            SLICE_TICKS[owner].fetch_max(took, Ordering::Relaxed);
            RESTART[owner].store((done + RESTART_SLICE as u64).min(size), Ordering::Release);
            // Between slices, as in any spin: under QEMU's single-threaded
            // TCG this lets the other vCPUs be served.
            arch::spin_hint();
        } else {
            finish_restart(module, owner);
        }
    }
    RESTART_WORKER[owner].store(false, Ordering::Release);
    true
}

/// The memory is reloaded (or kept, warm): reset the threads, start them
/// (the first only, if the partition initialises itself), report.
fn finish_restart(module: &Module, partition: usize) {
    let how = RESTART_HOW[partition].load(Ordering::Relaxed);
    let warm = how & 1 != 0;
    arch::invalidate_icache_all();
    super::reset_threads(module, partition);
    PARTITIONS[partition].start_condition.store(how >> 1, Ordering::Release);
    let restarts = PARTITIONS[partition].restarts.fetch_add(1, Ordering::AcqRel) + 1;
    let placement = thread_cores();
    let now = timer::now();
    let p = module.partition(partition);
    let mut cores = CoreSet(0);
    let started = if p.initialization { 1 } else { p.thread_count };
    for t in p.first_thread..p.first_thread + started {
        if let Some(sched) = CORE_SCHED[placement[t]].lock().as_mut() {
            let _ = sched.start(ThreadId(t as u16), now);
        }
        cores = cores.with(placement[t]);
    }
    PARTITIONS[partition].mode.store(super::start_mode(module, partition, warm), Ordering::SeqCst);
    RESTART[partition].store(NO_RESTART, Ordering::Release);
    // Rate-limited as the events are.
    if let Some(more) = report_allowed(module, partition, RESTART_SLOT) {
        let how = if warm { ", warm" } else { "" };
        crate::partition_println!(partition, "health: partition {} restarted (restart {restarts}{how}){more}", p.name);
    }
    super::NEED_RESCHED[arch::core_id()].store(true, Ordering::Release);
    ipi::send(IpiReason::Reschedule, cores.without(arch::core_id()));
}

/// May a core enter a thread of `partition`? Publishes that it does first,
/// so [`restart_slice`] (after [`restart_partition`] set the mode, it reads
/// `RUNNING`) and this (which sets `RUNNING`, then reads the mode) cannot
/// both miss each other. Inlined: once per switch, from `run::enter` only.
#[inline]
pub fn enter(core: usize, partition: usize) -> bool {
    RUNNING[core].store(partition as u32, Ordering::SeqCst);
    // Any mode but IDLE: a partition initialising itself runs too (only
    // its first thread is Ready then); a restart holds it in IDLE.
    if PARTITIONS[partition].mode.load(Ordering::SeqCst) != MODE_IDLE {
        true
    } else {
        RUNNING[core].store(NOT_RUNNING, Ordering::SeqCst);
        false
    }
}

/// The core left the partition's thread.
pub fn leave(core: usize) {
    RUNNING[core].store(NOT_RUNNING, Ordering::SeqCst);
}
