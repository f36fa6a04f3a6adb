//! Hypercall dispatch: `HVC #0` from a partition thread, after the Arm SMC
//! Calling Convention (DEN 0028). The function IDs, status codes and limits
//! are `bulkhead-abi`'s; every pointer is checked against the caller's own
//! memory map (what its stage 2 lets it read) before one byte is read, and
//! every length against its limit.
use super::health::Event;
use super::text::Line;
use super::{CORE_SCHED, ConsoleResume, EPOCH, MODULE, Module, PARTITIONS, PLAN, TIMELINE, ThreadContext, health};
use crate::ipi::{self, IpiReason};
use crate::{console, timer};
use bulkhead_abi::{
    ABI_VERSION_MAJOR, ABI_VERSION_MINOR, Call, HEALTH_RECORD_SIZE, MAX_CONSOLE_WRITE, MAX_ERROR_MESSAGE,
    MAX_REGION_NAME, RegionAccess, Status,
};
use bulkhead_console::Ring;
use bulkhead_image::ErrorKind;
use bulkhead_sched::ScheduleId;
use bulkhead_sched::{Nanos, ThreadId, Ticks};
use core::fmt::Write;
use core::sync::atomic::Ordering;

/// What the core's loop does after a hypercall.
pub enum Outcome {
    /// Return to the same thread.
    Continue,
    /// The thread waits or yields: pick again.
    Reschedule,
    /// A health event to handle (outside the thread's lock).
    Health(Event),
}

pub(super) fn ok(ctx: &mut ThreadContext, results: [u64; 3]) {
    ctx.frame.x[0] = 0;
    ctx.frame.x[1..4].copy_from_slice(&results);
}

pub(super) fn fail(ctx: &mut ThreadContext, status: Status) {
    ctx.frame.x[0] = status.raw() as u64;
}

/// The caller's bytes `[ptr, ptr + len)`, if they are all its own and it
/// may read them (no guard page, no page without read access).
pub(super) fn user_bytes(module: &Module, partition: usize, ptr: u64, len: u64) -> Result<UserBytes, Status> {
    let phys = module.readable(partition, ptr, len).ok_or(Status::InvalidAddress)?;
    Ok(UserBytes { at: phys as *const u8, len: len as usize })
}

/// A range of a partition's memory, checked to be all its own, that the
/// kernel reads a byte at a time with volatile loads: the partition may
/// write it from another core meanwhile, so it is never a Rust `&[u8]`
/// (whose bytes the compiler may assume do not change); each byte is read
/// once, and whatever it was then is what the kernel uses.
pub struct UserBytes {
    at: *const u8,
    len: usize,
}

impl UserBytes {
    fn len(&self) -> usize {
        self.len
    }

    /// The bytes, each read once.
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        // SAFETY: `user_bytes` checked that `[at, at + len)` lies entirely
        // inside the calling partition's readable memory or one shared
        // region it maps, identity-mapped RAM the kernel never frees or
        // remaps; a volatile load of a byte there is
        // sound whatever another core stores to it meanwhile.
        (0..self.len).map(|i| unsafe { self.at.add(i).read_volatile() })
    }

    /// Copies the bytes into the start of `out` (at most its length);
    /// returns how many. Each byte is read once, as by [`Self::iter`],
    /// but a whole aligned word at a time where it can (a 1 KiB message
    /// is 128 loads, not 1,024).
    pub fn copy_into(&self, out: &mut [u8]) -> usize {
        let n = self.len.min(out.len());
        let (head, words) = word_spans(self.at as usize, n);
        let byte = |i: usize| {
            // SAFETY: as in `iter`: `i < self.len`, inside the checked range.
            unsafe { self.at.add(i).read_volatile() }
        };
        for (i, o) in out[..head].iter_mut().enumerate() {
            *o = byte(i);
        }
        let words_out = out[head..head + 8 * words].as_mut_ptr();
        for w in 0..words {
            // SAFETY: `[at + head + 8w, + 8)` lies inside the checked range
            // (`head + 8 * words <= n <= len`) and is 8-byte aligned
            // (`word_spans`); a volatile load of it is sound whatever
            // another core stores there meanwhile. The store is inside
            // `out[head..head + 8 * words]`, borrowed mutably here, and
            // unaligned-tolerant.
            unsafe {
                let word = (self.at.add(head + 8 * w) as *const u64).read_volatile();
                (words_out.add(8 * w) as *mut u64).write_unaligned(word);
            }
        }
        for (i, o) in out[head + 8 * words..n].iter_mut().enumerate() {
            *o = byte(head + 8 * words + i);
        }
        n
    }
}

/// How `len` bytes at address `at` split for a copy a word at a time:
/// `head` bytes up to the first 8-byte boundary, then `words` aligned
/// 8-byte words; the rest (under 8 bytes) is the tail.
pub(super) fn word_spans(at: usize, len: usize) -> (usize, usize) {
    let head = at.wrapping_neg() % 8;
    if head >= len {
        return (len, 0);
    }
    (head, (len - head) / 8)
}

/// Handles the hypercall the thread `tid` on `core` just made.
pub fn dispatch(core: usize, tid: usize, ctx: &mut ThreadContext, esr: u64) -> Outcome {
    let module = MODULE.get().expect("hypercalls only come from running partitions");
    let thread = module.thread(tid);
    let partition = thread.partition;
    let id = ctx.frame.x[0] as u32;
    let (a1, a2, a3) = (ctx.frame.x[1], ctx.frame.x[2], ctx.frame.x[3]);
    // HVC #imm with imm != 0 is not ours to define.
    let call = if esr & 0xffff == 0 { Call::from_id(id) } else { None };
    let Some(call) = call else {
        fail(ctx, Status::NotSupported);
        return Outcome::Continue;
    };
    let now = timer::now();
    let since_epoch = |t: Ticks| ns_since_epoch(module, t);
    // A thread holding its core's preemption lock may not wait (ARINC 653:
    // INVALID_MODE); the port and SuspendSelf waits check it themselves.
    if matches!(call, Call::PeriodicWait | Call::TimedWait | Call::Yield)
        && super::process::holds_preemption_lock(&super::process::Caller { core, tid, partition, now })
    {
        fail(ctx, Status::InvalidMode);
        return Outcome::Continue;
    }
    match call {
        Call::AbiVersion => ok(ctx, [(u64::from(ABI_VERSION_MAJOR) << 16) | u64::from(ABI_VERSION_MINOR), 0, 0]),
        Call::MyIds => ok(ctx, [partition as u64, thread.index as u64, core as u64]),
        Call::PartitionStatus => {
            let rt = &PARTITIONS[partition];
            ok(
                ctx,
                [
                    u64::from(rt.mode.load(Ordering::Acquire)),
                    u64::from(rt.restarts.load(Ordering::Acquire)),
                    u64::from(module.partition(partition).system),
                ],
            );
        }
        Call::GetTime => {
            let window_end = super::run::window_end(core);
            ok(ctx, [since_epoch(now), since_epoch(window_end), 0]);
        }
        Call::ConsoleWrite => {
            if a2 > MAX_CONSOLE_WRITE as u64 {
                fail(ctx, Status::InvalidParameter);
                return Outcome::Continue;
            }
            match user_bytes(module, partition, a1, a2) {
                Ok(bytes) => {
                    // The bytes earlier parts of this call took, if this is
                    // a continuation (below); a fresh call starts at 0.
                    let hvc = ctx.frame.elr - 4;
                    let resume = core::mem::replace(&mut ctx.console_resume, ConsoleResume::NONE);
                    let before = if resume.pending && resume.hvc == hvc && resume.ptr == a1 { resume.taken } else { 0 };
                    let taken = console_copy(partition, tid, core, ctx, &bytes) as u64;
                    if taken < a2 {
                        // An interrupt is pending for this core (its window
                        // may have ended): the call continues where it
                        // stopped when the thread next runs. As Xen's
                        // hypercall continuations: the arguments are
                        // advanced past the bytes taken and the thread's
                        // PC set back onto its HVC (always 4 bytes), so it
                        // re-issues the call for the rest. x0 still holds
                        // the function ID; x1 and x2 are result registers
                        // the caller gives up anyway.
                        ctx.frame.x[1] = a1 + taken;
                        ctx.frame.x[2] = a2 - taken;
                        ctx.frame.elr = hvc;
                        ctx.console_resume =
                            ConsoleResume { pending: true, hvc, ptr: a1 + taken, taken: before + taken };
                    } else {
                        // Feed the line in the writer's own time (not when
                        // cut: the interrupt waits for nothing optional).
                        console::pump();
                        ok(ctx, [before + a2, 0, 0]);
                    }
                }
                Err(status) => fail(ctx, status),
            }
        }
        Call::ConsoleFrame => {
            let caller = super::frame::Caller { partition, tid, core, now_ns: since_epoch(now) };
            match super::frame::console_frame(&caller, a1, a2, |ptr, len| user_bytes(module, partition, ptr, len)) {
                Ok(len) => ok(ctx, [len, 0, 0]),
                Err(status) => fail(ctx, status),
            }
        }
        Call::PeriodicWait => {
            ok(ctx, [0; 3]);
            if let Some(sched) = CORE_SCHED[core].lock().as_mut() {
                let _ = sched.periodic_wait(ThreadId(tid as u16), now);
            }
            return Outcome::Reschedule;
        }
        Call::TimedWait | Call::Yield => {
            let delay = if call == Call::Yield { 0 } else { a1 };
            let Some(ticks) = module.freq.nanos_to_ticks_ceil(Nanos(delay)) else {
                fail(ctx, Status::InvalidParameter);
                return Outcome::Continue;
            };
            let Some(until) = now.checked_add(ticks) else {
                fail(ctx, Status::InvalidParameter);
                return Outcome::Continue;
            };
            ok(ctx, [0; 3]);
            if let Some(sched) = CORE_SCHED[core].lock().as_mut() {
                let _ = sched.wait_until(ThreadId(tid as u16), until, now);
            }
            return Outcome::Reschedule;
        }
        Call::RaiseApplicationError => {
            if a3 > MAX_ERROR_MESSAGE as u64 {
                fail(ctx, Status::InvalidParameter);
                return Outcome::Continue;
            }
            match user_bytes(module, partition, a2, a3) {
                Ok(bytes) => {
                    let mut detail = Line::new();
                    let _ = write!(detail, "application error {a1}: \"");
                    for b in bytes.iter() {
                        detail.push_sanitized(b);
                    }
                    let _ = write!(detail, "\"");
                    ok(ctx, [0; 3]);
                    return Outcome::Health(Event { kind: ErrorKind::ApplicationError, thread: tid, core, detail });
                }
                Err(status) => fail(ctx, status),
            }
        }
        Call::PortByName
        | Call::WriteSamplingMessage
        | Call::ReadSamplingMessage
        | Call::SendQueuingMessage
        | Call::ReceiveQueuingMessage
        | Call::PortStatus => {
            let caller = super::ports::Caller { core, tid, partition, now };
            return super::ports::dispatch(module, &caller, ctx, call);
        }
        Call::SetPartitionMode
        | Call::GetPartitionStatus
        | Call::ProcessIdByName
        | Call::ProcessStatus
        | Call::StartProcess
        | Call::DelayedStartProcess
        | Call::StopProcess
        | Call::SuspendProcess
        | Call::SuspendSelf
        | Call::ResumeProcess
        | Call::SetProcessPriority
        | Call::LockPreemption
        | Call::UnlockPreemption
        | Call::Replenish
        | Call::CreateErrorHandler
        | Call::GetErrorStatus
        | Call::StartProcessAt => {
            let caller = super::process::Caller { core, tid, partition, now };
            return super::process::dispatch(module, &caller, ctx, call);
        }
        Call::WaitWord | Call::WakeWord => {
            let caller = super::words::Caller { core, tid, partition, now };
            return super::words::dispatch(module, &caller, ctx, call);
        }
        Call::InterruptEnable | Call::InterruptDisable | Call::InterruptStatus => {
            match super::interrupts::call(tid, call, a1) {
                Ok(results) => ok(ctx, results),
                Err(status) => fail(ctx, status),
            }
        }
        Call::MemoryRegion => match memory_region(module, partition, a1, a2) {
            Ok(results) => ok(ctx, results),
            Err(status) => fail(ctx, status),
        },
        Call::HealthLog => {
            let result = if module.partition(partition).system {
                health_log(module, partition, a1, a2)
            } else {
                Err(Status::Denied)
            };
            match result {
                Ok(results) => ok(ctx, results),
                Err(status) => fail(ctx, status),
            }
        }
        Call::SetSchedule
        | Call::ScheduleStatus
        | Call::SetThreadAffinity
        | Call::StopPartition
        | Call::StartPartition
        | Call::RestartPartition => {
            if !module.partition(partition).system {
                fail(ctx, Status::Denied);
                return Outcome::Continue;
            }
            return match system_service(module, core, partition, call, [a1, a2, a3], now) {
                Ok(results) => {
                    ok(ctx, results);
                    Outcome::Continue
                }
                Err(status) => {
                    fail(ctx, status);
                    Outcome::Continue
                }
            };
        }
    }
    Outcome::Continue
}

/// `MemoryRegion`: the IPA, size and access of the region named by the
/// caller's bytes `[name_ptr, name_ptr + name_len)`, among those its
/// partition maps (a region it does not map is as unknown to it as one
/// that does not exist).
fn memory_region(module: &Module, partition: usize, name_ptr: u64, name_len: u64) -> Result<[u64; 3], Status> {
    if !(1..=MAX_REGION_NAME as u64).contains(&name_len) {
        return Err(Status::InvalidParameter);
    }
    let name = user_bytes(module, partition, name_ptr, name_len)?;
    let mut bytes = [0u8; MAX_REGION_NAME];
    let len = name.copy_into(&mut bytes);
    let wanted = &bytes[..len];
    let region = module
        .partition(partition)
        .regions()
        .iter()
        .find(|r| module.image.region(r.index).is_some_and(|record| record.name.as_bytes() == wanted))
        .ok_or(Status::InvalidParameter)?;
    let access = if region.writable { RegionAccess::ReadWrite } else { RegionAccess::ReadOnly };
    Ok([region.ipa_base, region.size, access as u64])
}

/// `HealthLog` (the caller is a system partition): the oldest unread
/// record of the module's health log, written to the caller's
/// `[ptr, ptr + HEALTH_RECORD_SIZE)`, which it must be able to write. The
/// buffer is checked before the record is taken, so a bad one loses
/// nothing; the log's lock is held for the take only, the copy is one
/// record.
fn health_log(module: &Module, partition: usize, ptr: u64, len: u64) -> Result<[u64; 3], Status> {
    if len != HEALTH_RECORD_SIZE as u64 {
        return Err(Status::InvalidParameter);
    }
    let to = module.writable(partition, ptr, len).ok_or(Status::InvalidAddress)?;
    let read = health::read_log().ok_or(Status::Empty)?;
    super::ports::copy_out(to, &read.record.to_bytes());
    Ok([read.unread as u64, read.dropped, 0])
}

/// How long a schedule-switch request leaves the cores to install it
/// before the boundary it is aimed at may be the very next one: a core
/// that decides before its install would run the old schedule until the
/// Reschedule IPI arrives.
const SWITCH_INSTALL_MARGIN_NS: u64 = 100_000;

/// `t` in ns since the module epoch (for results handed to partitions).
pub(super) fn ns_since_epoch(module: &Module, t: Ticks) -> u64 {
    let epoch = EPOCH.load(Ordering::Acquire);
    module.freq.ticks_to_nanos(Ticks(t.0.saturating_sub(epoch))).map_or(u64::MAX, |n| n.0)
}

type CoreSchedGuard = crate::arch::MutexGuard<'static, bulkhead_sched::CoreScheduler>;

/// Takes the schedulers of cores `0..cores` in core order, the first step
/// of the lock order (docs/DESIGN.md#lock-order) (per-core locks before the global ones).
pub(super) fn lock_core_schedulers(cores: usize) -> [Option<CoreSchedGuard>; 4] {
    let mut guards = [None, None, None, None];
    for (slot, sched) in guards.iter_mut().zip(CORE_SCHED.iter()).take(cores) {
        *slot = sched.lock();
    }
    guards
}

/// Core `c`'s scheduler among those [`lock_core_schedulers`] took.
fn core_sched(
    scheds: &mut [Option<CoreSchedGuard>; 4],
    c: usize,
) -> Result<&mut bulkhead_sched::CoreScheduler, Status> {
    scheds.get_mut(c).and_then(|g| g.as_deref_mut()).ok_or(Status::InvalidParameter)
}

/// Switches the module to schedule `index` at the first major-frame
/// boundary after `now` plus the install margin (docs/DESIGN.md#schedule-switch):
/// what a system partition's SetSchedule does, and the health monitor's
/// `switch_schedule`. The `sched:` line goes to `partition`'s console
/// share (in order with its own lines), or the core's for a module event.
/// Returns the instant it takes effect.
pub(super) fn switch_schedule(
    module: &Module,
    core: usize,
    partition: Option<usize>,
    index: u8,
    now: Ticks,
) -> Result<Ticks, Status> {
    let cores_used = module.core_count;
    let margin = module.freq.nanos_to_ticks_ceil(Nanos(SWITCH_INSTALL_MARGIN_NS)).unwrap_or(Ticks(0));
    // All cores' schedulers, then the plan and timeline (the lock order,
    // docs/DESIGN.md#lock-order); all cores get the same activation.
    let mut scheds = lock_core_schedulers(cores_used);
    let plan = PLAN.lock();
    let plan = plan.as_ref().ok_or(Status::InvalidParameter)?;
    let mut timeline = TIMELINE.lock();
    let timeline = timeline.as_mut().ok_or(Status::InvalidParameter)?;
    let activation = timeline
        .request_switch(plan, ScheduleId(index), now.saturating_add(margin))
        .map_err(|_| Status::InvalidParameter)?;
    for sched in scheds.iter_mut().flatten() {
        sched.install_switch(plan, activation).map_err(|_| Status::InvalidParameter)?;
    }
    drop(scheds);
    let name = module.image.schedule(u32::from(index)).map_or("?", |s| s.name);
    let at = ns_since_epoch(module, activation.epoch.start());
    match partition {
        Some(p) => {
            crate::partition_println!(p, "sched: schedule {name} requested by core {core}, effective at {at} ns")
        }
        None => crate::println!("sched: schedule {name} requested by core {core}, effective at {at} ns"),
    }
    ipi::send(IpiReason::Reschedule, ipi::CoreSet::all().without(core));
    Ok(activation.epoch.start())
}

/// The services of a system partition (the caller is one).
fn system_service(
    module: &Module,
    core: usize,
    caller: usize,
    call: Call,
    args: [u64; 3],
    now: Ticks,
) -> Result<[u64; 3], Status> {
    let ns_since_epoch = |t: Ticks| ns_since_epoch(module, t);
    let cores_used = module.core_count;
    let partition_arg = |id: u64| -> Result<usize, Status> {
        usize::try_from(id).ok().filter(|&p| p < module.partition_count).ok_or(Status::InvalidParameter)
    };
    match call {
        Call::SetSchedule => {
            let index = u8::try_from(args[0])
                .ok()
                .filter(|&i| usize::from(i) < module.image.schedules().len())
                .ok_or(Status::InvalidParameter)?;
            let at = switch_schedule(module, core, Some(caller), index, now)?;
            Ok([ns_since_epoch(at), 0, 0])
        }
        Call::ScheduleStatus => {
            let timeline = TIMELINE.lock();
            let timeline = timeline.as_ref().ok_or(Status::InvalidParameter)?;
            let current = timeline.active_at(now);
            let pending = timeline.pending().filter(|p| p.epoch.start() > now);
            Ok([
                u64::from(current.schedule.0),
                pending.map_or(u64::MAX, |p| u64::from(p.schedule.0)),
                pending.map_or(0, |p| ns_since_epoch(p.epoch.start())),
            ])
        }
        Call::SetThreadAffinity => {
            let target = partition_arg(args[0])?;
            let p = module.partition(target);
            let index =
                usize::try_from(args[1]).ok().filter(|&i| i < p.thread_count).ok_or(Status::InvalidParameter)?;
            let mask = u8::try_from(args[2])
                .ok()
                .filter(|&m| m != 0 && usize::from(m) < (1 << cores_used))
                .ok_or(Status::InvalidParameter)?;
            let thread = ThreadId((p.first_thread + index) as u16);
            // All cores' schedulers (the destination is not known before
            // the plan decides), then the plan; the thread's core read under
            // them, so a concurrent migration cannot make it stale.
            let mut scheds = lock_core_schedulers(cores_used);
            let mut plan = PLAN.lock();
            let plan = plan.as_mut().ok_or(Status::InvalidParameter)?;
            let affinity_before = plan.thread_affinity(thread).map_err(|_| Status::InvalidParameter)?;
            let migration =
                plan.migrate(thread, bulkhead_sched::CoreSet::from_bits(mask)).map_err(|_| Status::InvalidParameter)?;
            let (from, to) = (usize::from(migration.from.0), usize::from(migration.to.0));
            if migration.moved() {
                // All or nothing: if the state cannot move, the plan and the
                // thread go back where they were.
                let record = match core_sched(&mut scheds, from)
                    .and_then(|s| s.release_thread(plan, thread).map_err(|_| Status::InvalidParameter))
                {
                    Ok(record) => record,
                    Err(status) => {
                        let _ = plan.undo_migration(migration, affinity_before);
                        return Err(status);
                    }
                };
                if let Err(status) = core_sched(&mut scheds, to)
                    .and_then(|s| s.adopt_thread(plan, record).map_err(|_| Status::InvalidParameter))
                {
                    let _ = plan.undo_migration(migration, affinity_before);
                    if let Ok(s) = core_sched(&mut scheds, from) {
                        let _ = s.adopt_thread(plan, record);
                    }
                    return Err(status);
                }
            }
            if migration.moved() {
                super::interrupts::thread_moved(usize::from(thread.0), to);
            }
            drop(scheds);
            crate::partition_println!(
                caller,
                "sched: thread {} of partition {} moved from core {from} to core {to}",
                module.thread(usize::from(thread.0)).name,
                p.name
            );
            let kick = ipi::CoreSet(migration.reschedule_cores().bits()).without(core);
            ipi::send(IpiReason::Reschedule, kick);
            if migration.reschedule_cores().contains(bulkhead_sched::CoreId(core as u8)) {
                super::NEED_RESCHED[core].store(true, Ordering::Release);
            }
            Ok([to as u64, 0, 0])
        }
        Call::StopPartition => {
            let target = partition_arg(args[0])?;
            // A restart under way finishes in the target's own windows and
            // starts its threads again: stopping it meanwhile would be
            // undone, so it is refused (ask again once it has restarted).
            if health::restart_under_way(target) {
                return Err(Status::InvalidParameter);
            }
            health::stop_partition(module, target);
            crate::partition_println!(
                target,
                "sched: partition {} stopped by a system partition",
                module.partition(target).name
            );
            Ok([0; 3])
        }
        Call::StartPartition | Call::RestartPartition => {
            let target = partition_arg(args[0])?;
            // A cold start resets the caller's own context, which this very
            // call is using: a partition restarts itself through the health
            // monitor (an application error with a restart action) instead.
            if target == caller {
                return Err(Status::InvalidParameter);
            }
            if call == Call::StartPartition && PARTITIONS[target].mode.load(Ordering::Acquire) != super::MODE_IDLE {
                return Err(Status::InvalidParameter);
            }
            let condition = if call == Call::StartPartition {
                bulkhead_abi::StartCondition::NormalStart
            } else {
                bulkhead_abi::StartCondition::PartitionRestart
            };
            if health::restart_partition(module, target, health::Restart::Cold, condition) {
                Ok([0; 3])
            } else {
                Err(Status::InvalidParameter)
            }
        }
        _ => Err(Status::NotSupported),
    }
}

/// Copies a `ConsoleWrite`'s bytes into the thread's line and the
/// partition's console ring (one lock for the call, never a wait for the
/// UART; lines without room are dropped and counted there). Stops early,
/// after at least one byte, as soon as an interrupt is pending for this
/// core, so a call made at the end of the window holds the core's boundary
/// by one byte's work and one line's copy at most. Returns the bytes taken.
fn console_copy(partition: usize, tid: usize, core: usize, ctx: &mut ThreadContext, bytes: &UserBytes) -> usize {
    let prefix = console::Prefix::new(partition, tid, core);
    let mut ring = console::partition_ring(partition);
    for (i, b) in bytes.iter().enumerate() {
        if b == b'\n' {
            flush_line(ring.as_mut(), &prefix, ctx);
        } else {
            ctx.line.push_sanitized(b);
            if ctx.line.is_full() {
                flush_line(ring.as_mut(), &prefix, ctx);
            }
        }
        if crate::arch::irq_pending() {
            return i + 1;
        }
    }
    bytes.len()
}

/// Puts the thread's buffered console line into its partition's ring as
/// one whole line (the pump prefixes it `[partition:thread@core]`).
fn flush_line(ring: Option<&mut Ring<&'static mut [u8]>>, prefix: &console::Prefix, ctx: &mut ThreadContext) {
    if let Some(ring) = ring {
        console::push_partition_line(ring, prefix, ctx.line.as_str().as_bytes());
    }
    ctx.line.clear();
}
