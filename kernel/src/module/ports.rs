//! Interpartition communication: the channels of the system description
//! (ARINC 653 Part 1 sampling and queuing ports) and their hypercalls.
//!
//! Each channel's state (`bulkhead_ports::Channel`) and its storage, carved
//! at boot from one static pool, are kept under the channel's own lock. A
//! call copies at most one message between the caller's memory and that
//! storage, under the lock, with interrupts masked: the whole of the
//! kernel's work for it, bounded by `MAX_MESSAGE_SIZE`. Nothing is ever
//! done in another partition's window: a send only stores the message and
//! marks waiting receivers Ready; each receiver copies its message out
//! itself, in its own partition's window.
//!
//! A call that must wait (a receive on an empty queue, a send to a full
//! one, with a timeout other than 0) is continued as `ConsoleWrite` is: the
//! thread waits for an event (`CoreScheduler::wait_event`) until its
//! deadline, with its PC back on its HVC and the deadline kept in its
//! context (`PortWait`), so when it is woken (by the message, by room, or
//! by its deadline) it re-issues the same call, which finds the message
//! or reports the timeout. A wake that finds nothing (another receiver
//! took the message first) waits again, to the same deadline.
use super::hypercall::{Outcome, fail, lock_core_schedulers, ns_since_epoch as now_ns, ok, user_bytes};
use super::{Module, NEED_RESCHED, ThreadContext};
use crate::arch::OnceMutex;
use crate::ipi::{self, IpiReason};
use bulkhead_abi::{Call, INFINITE, PORT_STATUS_SIZE, PortStatus, Status};
use bulkhead_image::{NAME_MAX_LEN, PortDirection, SystemImage};
use bulkhead_ports::{Channel, Kind, LimitError, MAX_CHANNELS, MAX_PORTS, POOL_SIZE, SendError, storage_bytes};
use bulkhead_sched::{Nanos, ThreadId, ThreadSet, Ticks};
use core::fmt;
use core::sync::atomic::Ordering;
use spin::Once;

/// One end of a channel, as the kernel keeps it.
#[derive(Clone, Copy)]
struct PortInfo {
    name: &'static str,
    partition: usize,
    channel: usize,
    direction: PortDirection,
    queuing: bool,
    message_size: u32,
}

struct ChannelRuntime {
    state: Channel,
    storage: &'static mut [u8],
    /// Threads waiting on the channel: for a
    /// message, or for room in the queue. A bit may outlive its wait (a
    /// thread woken by its timeout, a restarted partition): a wake it
    /// causes is spurious and harmless, the woken call looks again.
    waiting: ThreadSet,
}

static PORTS: Once<([Option<PortInfo>; MAX_PORTS], usize)> = Once::new();
static CHANNELS: [OnceMutex<ChannelRuntime>; MAX_CHANNELS] = [const { OnceMutex::new() }; MAX_CHANNELS];

/// The continuation of a port call that waits: the HVC's address, the
/// port, and the deadline (`None`: for ever), so the re-issued call keeps
/// the deadline of the first.
#[derive(Clone, Copy)]
pub struct PortWait {
    /// There is one; a flag, not a sentinel `hvc`, so the thread contexts
    /// start as zero bytes (`.bss`), as `ConsoleResume`.
    pub pending: bool,
    pub hvc: u64,
    pub port: u64,
    pub deadline: Option<Ticks>,
}

impl PortWait {
    pub const NONE: PortWait = PortWait { pending: false, hvc: 0, port: 0, deadline: None };
}

/// Why the image's channels cannot be set up.
pub enum AttachError {
    TooMany { what: &'static str, count: usize, max: usize },
    Limit { channel: &'static str, error: LimitError },
    QueuingMulticast { channel: &'static str, destinations: usize },
    Pool { needed: usize },
}

impl fmt::Display for AttachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttachError::TooMany { what, count, max } => write!(f, "{count} {what}, the kernel supports {max}"),
            AttachError::Limit { channel, error: LimitError::MessageSize(s) } => {
                write!(f, "channel {channel}: message_size {s} is outside 1..={}", bulkhead_ports::MAX_MESSAGE_SIZE)
            }
            AttachError::Limit { channel, error: LimitError::Depth(d) } => {
                write!(f, "channel {channel}: depth {d} is outside 1..={}", bulkhead_ports::MAX_QUEUE_DEPTH)
            }
            AttachError::QueuingMulticast { channel, destinations } => {
                write!(f, "channel {channel}: a queuing channel has one destination, this one has {destinations}")
            }
            AttachError::Pool { needed } => {
                write!(f, "channels: their messages need {needed} bytes, the kernel has {POOL_SIZE} for them")
            }
        }
    }
}

/// Sets up every channel of the image, empty, with its storage from the
/// pool. Core 0, once, at load, before any partition runs.
pub fn attach(image: &SystemImage<'static>) -> Result<(), AttachError> {
    static mut STORAGE: [u8; POOL_SIZE] = [0; POOL_SIZE];
    static TAKEN: Once<()> = Once::new();
    let channels = image.channels().len();
    if channels > MAX_CHANNELS {
        return Err(AttachError::TooMany { what: "channels", count: channels, max: MAX_CHANNELS });
    }
    let ports: usize = image.channels().map(|c| c.ports().len()).sum();
    if ports > MAX_PORTS {
        return Err(AttachError::TooMany { what: "ports", count: ports, max: MAX_PORTS });
    }
    let mut needed = 0usize;
    for c in image.channels() {
        let kind = Kind::from(c.kind);
        needed += storage_bytes(kind, c.message_size).map_err(|error| AttachError::Limit { channel: c.name, error })?;
        if matches!(kind, Kind::Queuing { .. }) && c.destinations().len() != 1 {
            return Err(AttachError::QueuingMulticast { channel: c.name, destinations: c.destinations().len() });
        }
    }
    if needed > POOL_SIZE {
        return Err(AttachError::Pool { needed });
    }
    let mut first = false;
    TAKEN.call_once(|| first = true);
    if !first {
        return Err(AttachError::Pool { needed });
    }
    let storage: *mut [u8; POOL_SIZE] = &raw mut STORAGE;
    // SAFETY: the only reference to STORAGE ever made: `TAKEN` lets this
    // line run once, and the slices carved from it below are disjoint and
    // each kept under its channel's lock from then on.
    let mut rest: &'static mut [u8] = unsafe { &mut *storage };
    let mut table = [None; MAX_PORTS];
    let mut n = 0;
    for c in image.channels() {
        let kind = Kind::from(c.kind);
        let bytes =
            storage_bytes(kind, c.message_size).map_err(|error| AttachError::Limit { channel: c.name, error })?;
        let (mine, more) = rest.split_at_mut(bytes);
        rest = more;
        let state =
            Channel::new(kind, c.message_size).map_err(|error| AttachError::Limit { channel: c.name, error })?;
        CHANNELS[c.index as usize].set(ChannelRuntime { state, storage: mine, waiting: ThreadSet::EMPTY });
        for p in c.ports() {
            table[n] = Some(PortInfo {
                name: p.name,
                partition: p.partition as usize,
                channel: c.index as usize,
                direction: p.direction,
                queuing: matches!(kind, Kind::Queuing { .. }),
                message_size: c.message_size,
            });
            n += 1;
        }
    }
    PORTS.call_once(|| (table, n));
    Ok(())
}

/// Forgets the waits of `threads`: a partition stopped or restarted, a
/// process stopped or restarted (each channel's lock in turn, none held
/// with a scheduler's).
pub fn forget(threads: core::ops::Range<usize>) {
    for channel in CHANNELS.iter() {
        if let Some(mut c) = channel.lock() {
            for t in threads.clone() {
                c.waiting = c.waiting.without(ThreadId(t as u16));
            }
        }
    }
}

/// The caller's port `handle`, if it owns one by that handle: borrowed from
/// the table, not copied (a copy was a `memcpy` call on every port call).
fn port(handle: u64, partition: usize) -> Result<&'static PortInfo, Status> {
    let (table, n) = PORTS.get().ok_or(Status::InvalidParameter)?;
    let inside = handle < *n as u64;
    // Spectre v1: the index used is 0 unless the check held.
    let index = crate::arch::select_or_zero(inside, handle) as usize;
    match &table[index] {
        Some(p) if inside && p.partition == partition => Ok(p),
        _ => Err(Status::InvalidParameter),
    }
}

/// Writes `bytes` to the caller's memory at physical `to`, which
/// `Module::writable` approved for at least `bytes.len()` bytes: each byte
/// written once, a whole aligned word at a time where it can.
pub(super) fn copy_out(to: u64, bytes: &[u8]) {
    let to = to as *mut u8;
    let (head, words) = super::hypercall::word_spans(to as usize, bytes.len());
    let byte = |i: usize, b: u8| {
        // SAFETY: `Module::writable` checked `[to, to + len)` lies in the
        // caller's own writable memory, identity-mapped RAM the kernel
        // never frees, and `i < len`; volatile, as the partition may read
        // it meanwhile from another core.
        unsafe { to.add(i).write_volatile(b) };
    };
    for (i, &b) in bytes[..head].iter().enumerate() {
        byte(i, b);
    }
    let words_in = bytes[head..head + 8 * words].as_ptr();
    for w in 0..words {
        // SAFETY: as for a byte: `[to + head + 8w, + 8)` is inside the
        // checked range (`head + 8 * words <= len`), and 8-byte aligned
        // (`word_spans`). The load is inside `bytes[head..head + 8 *
        // words]`, and unaligned-tolerant.
        unsafe {
            let word = (words_in.add(8 * w) as *const u64).read_unaligned();
            (to.add(head + 8 * w) as *mut u64).write_volatile(word);
        }
    }
    for (i, &b) in bytes[head + 8 * words..].iter().enumerate() {
        byte(head + 8 * words + i, b);
    }
}

/// Who is calling, from where.
pub struct Caller {
    pub core: usize,
    pub tid: usize,
    pub partition: usize,
    pub now: Ticks,
}

/// Handles a port hypercall.
pub fn dispatch(module: &Module, caller: &Caller, ctx: &mut ThreadContext, call: Call) -> Outcome {
    let args = [ctx.frame.x[1], ctx.frame.x[2], ctx.frame.x[3], ctx.frame.x[4]];
    let result = match call {
        Call::PortByName => by_name(module, caller, args),
        Call::WriteSamplingMessage => write_sampling(module, caller, args),
        Call::ReadSamplingMessage => read_sampling(module, caller, args),
        Call::PortStatus => status(module, caller, args),
        Call::SendQueuingMessage | Call::ReceiveQueuingMessage => {
            return queuing(module, caller, ctx, call, args);
        }
        _ => Err(Status::NotSupported),
    };
    match result {
        Ok(results) => ok(ctx, results),
        Err(status) => fail(ctx, status),
    }
    Outcome::Continue
}

fn by_name(module: &Module, caller: &Caller, [ptr, len, _, _]: [u64; 4]) -> Result<[u64; 3], Status> {
    if len > NAME_MAX_LEN as u64 {
        return Err(Status::InvalidParameter);
    }
    let name = user_bytes(module, caller.partition, ptr, len)?;
    let mut buf = [0u8; NAME_MAX_LEN];
    let n = name.copy_into(&mut buf);
    let (table, count) = PORTS.get().ok_or(Status::InvalidParameter)?;
    table[..*count]
        .iter()
        .enumerate()
        .find_map(|(handle, p)| {
            let p = p.as_ref()?;
            (p.partition == caller.partition && p.name.as_bytes() == &buf[..n]).then(|| {
                let direction = u64::from(p.direction == PortDirection::Destination);
                [handle as u64, u64::from(p.queuing) | direction << 8, u64::from(p.message_size)]
            })
        })
        .ok_or(Status::InvalidParameter)
}

/// The caller's port `handle` if it is of this kind and direction.
fn port_for(
    handle: u64,
    caller: &Caller,
    queuing: bool,
    direction: PortDirection,
) -> Result<&'static PortInfo, Status> {
    let p = port(handle, caller.partition)?;
    if p.queuing != queuing || p.direction != direction {
        return Err(Status::InvalidMode);
    }
    Ok(p)
}

fn write_sampling(module: &Module, caller: &Caller, [handle, ptr, len, _]: [u64; 4]) -> Result<[u64; 3], Status> {
    let p = port_for(handle, caller, false, PortDirection::Source)?;
    if len > u64::from(p.message_size) {
        return Err(Status::InvalidParameter);
    }
    let bytes = user_bytes(module, caller.partition, ptr, len)?;
    let now = now_ns(module, caller.now);
    let mut guard = CHANNELS[p.channel].lock();
    let c = guard.as_deref_mut().ok_or(Status::InvalidParameter)?;
    c.state
        .put(c.storage, len as usize, now, true, |out| {
            bytes.copy_into(out);
        })
        .map_err(|_| Status::InvalidParameter)?;
    Ok([0; 3])
}

fn read_sampling(module: &Module, caller: &Caller, [handle, ptr, len, _]: [u64; 4]) -> Result<[u64; 3], Status> {
    let p = port_for(handle, caller, false, PortDirection::Destination)?;
    if len < u64::from(p.message_size) {
        return Err(Status::InvalidParameter);
    }
    let to = module.writable(caller.partition, ptr, len).ok_or(Status::InvalidAddress)?;
    let now = now_ns(module, caller.now);
    let mut guard = CHANNELS[p.channel].lock();
    let c = guard.as_deref_mut().ok_or(Status::InvalidParameter)?;
    let sample = c.state.peek(c.storage, now, |bytes, sample| {
        copy_out(to, bytes);
        sample
    });
    let sample = sample.ok_or(Status::Empty)?;
    Ok([sample.len as u64, sample.age, u64::from(sample.valid)])
}

fn status(module: &Module, caller: &Caller, [handle, ptr, len, _]: [u64; 4]) -> Result<[u64; 3], Status> {
    let p = port(handle, caller.partition)?;
    if len != PORT_STATUS_SIZE as u64 {
        return Err(Status::InvalidParameter);
    }
    let to = module.writable(caller.partition, ptr, len).ok_or(Status::InvalidAddress)?;
    let now = now_ns(module, caller.now);
    let record = {
        let mut guard = CHANNELS[p.channel].lock();
        let c = guard.as_deref_mut().ok_or(Status::InvalidParameter)?;
        let mut s = PortStatus {
            max_message_size: p.message_size,
            kind: u8::from(p.queuing),
            direction: u8::from(p.direction == PortDirection::Destination),
            messages: c.state.messages(),
            overflows: c.state.overflows(),
            waiting: c.waiting.len(),
            last_message_age_ns: INFINITE,
            ..PortStatus::default()
        };
        match c.state.kind() {
            Kind::Sampling { refresh_period } => {
                s.refresh_period_ns = refresh_period;
                if let Some(sample) = c.state.peek(c.storage, now, |_, sample| sample) {
                    s.last_message_age_ns = sample.age;
                    s.validity = u8::from(sample.valid);
                }
            }
            Kind::Queuing { depth } => s.depth = depth,
        }
        s
    };
    copy_out(to, &record.to_bytes());
    Ok([0; 3])
}

/// `SendQueuingMessage` and `ReceiveQueuingMessage`, which may wait.
fn queuing(module: &Module, caller: &Caller, ctx: &mut ThreadContext, call: Call, args: [u64; 4]) -> Outcome {
    let [handle, ptr, len, timeout] = args;
    let hvc = ctx.frame.elr - 4;
    // The deadline of the call this continues, if it does; else from x4.
    let resume = core::mem::replace(&mut ctx.port_wait, PortWait::NONE);
    let deadline = if resume.pending && resume.hvc == hvc && resume.port == handle {
        Ok(resume.deadline)
    } else if timeout == INFINITE {
        Ok(None)
    } else {
        module
            .freq
            .nanos_to_ticks_ceil(Nanos(timeout))
            .and_then(|t| caller.now.checked_add(t))
            .map(Some)
            .ok_or(Status::InvalidParameter)
    };
    let send = call == Call::SendQueuingMessage;
    let result = deadline.and_then(|deadline| {
        let direction = if send { PortDirection::Source } else { PortDirection::Destination };
        let p = port_for(handle, caller, true, direction)?;
        let message_size = u64::from(p.message_size);
        if (send && len > message_size) || (!send && len < message_size) {
            return Err(Status::InvalidParameter);
        }
        let expired = timeout == 0 || deadline.is_some_and(|d| caller.now >= d);
        let me = ThreadId(caller.tid as u16);
        let mut guard = CHANNELS[p.channel].lock();
        let c = guard.as_deref_mut().ok_or(Status::InvalidParameter)?;
        let done = if send {
            let bytes = user_bytes(module, caller.partition, ptr, len)?;
            let now = now_ns(module, caller.now);
            match c.state.put(c.storage, len as usize, now, expired, |out| {
                bytes.copy_into(out);
            }) {
                Ok(()) => Some(0),
                Err(SendError::TooLong) => return Err(Status::InvalidParameter),
                Err(SendError::Full) => None,
            }
        } else {
            let to = module.writable(caller.partition, ptr, len).ok_or(Status::InvalidAddress)?;
            let got = c.state.peek(c.storage, 0, |bytes, _| {
                copy_out(to, bytes);
                bytes.len() as u64
            });
            if got.is_some() {
                c.state.pop();
            }
            got
        };
        if let Some(len) = done {
            // The other side's waiters may go on: a message or room came.
            let wake = core::mem::take(&mut c.waiting).without(me);
            drop(guard);
            wake_threads(module, caller, wake);
            return Ok(Some(len));
        }
        if expired {
            c.waiting = c.waiting.without(me);
            return Err(if timeout == 0 { if send { Status::Full } else { Status::Empty } } else { Status::TimedOut });
        }
        // Wait, under the channel's lock, so a message or room that comes
        // after this look finds the thread waiting and wakes it; unless it
        // holds its core's preemption lock, which forbids waiting.
        let mut sched = super::CORE_SCHED[caller.core].lock();
        if sched.as_ref().is_some_and(|s| s.preemption_holder() == Some(ThreadId(caller.tid as u16))) {
            c.waiting = c.waiting.without(me);
            return Err(Status::InvalidMode);
        }
        c.waiting = c.waiting.with(me);
        if let Some(sched) = sched.as_mut() {
            let _ = sched.wait_event(ThreadId(caller.tid as u16), deadline, caller.now);
        }
        Ok(None)
    });
    match result {
        Ok(Some(len)) => ok(ctx, [len, 0, 0]),
        Ok(None) => {
            // Re-issued when woken; x0..x4 still hold the call.
            ctx.frame.elr = hvc;
            ctx.port_wait = PortWait { pending: true, hvc, port: handle, deadline: deadline.ok().flatten() };
            return Outcome::Reschedule;
        }
        Err(status) => fail(ctx, status),
    }
    Outcome::Continue
}

/// Makes the threads of `mask` that wait for an event Ready. A woken
/// thread of the caller's own partition may be able to run now: its core
/// is told to decide again. Another partition's thread runs in its own
/// partition's next window, whatever core it is on, and nobody is
/// disturbed now.
fn wake_threads(module: &Module, caller: &Caller, threads: ThreadSet) {
    if threads.is_empty() {
        return;
    }
    let cores = module.core_count;
    let mut kick = ipi::CoreSet(0);
    {
        let mut scheds = lock_core_schedulers(cores);
        for tid in threads.iter() {
            // The one core whose scheduler holds the thread.
            let held = scheds.iter_mut().enumerate().find_map(|(c, sched)| {
                let sched = sched.as_deref_mut()?;
                sched.thread_state(tid).is_some().then_some((c, sched))
            });
            if let Some((c, sched)) = held
                && sched.wake(tid, caller.now).unwrap_or(false)
                && module.thread(usize::from(tid.0)).partition == caller.partition
            {
                kick = kick.with(c);
            }
        }
    }
    if kick.contains(caller.core) {
        NEED_RESCHED[caller.core].store(true, Ordering::Release);
    }
    let others = kick.without(caller.core);
    if others.0 != 0 {
        ipi::send(IpiReason::Reschedule, others);
    }
}
