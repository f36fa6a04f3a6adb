//! Waiting on a word of partition memory (`WaitWord`, `WakeWord`): the one
//! kernel wait/wake primitive a partition's threads use to wait for each
//! other (a futex). The SDK builds ARINC 653 blackboards, buffers,
//! semaphores, events and mutexes on it.
//!
//! **No queue of its own.** A waiter is a thread of the caller's partition
//! in an event wait ([`CoreScheduler::wait_event`]) with its word noted in
//! [`WAIT_ADDRESS`] and its arrival in [`WAIT_SEQUENCE`]. Both calls work
//! with every core's scheduler lock held (core order, the first step of
//! the lock order), as every process call does:
//! - WaitWord reads the word, notes it and enters the wait under those
//!   locks, so a WakeWord (which takes them too) either comes before (the
//!   word changed first: `NoAction`) or finds the waiter asleep.
//! - WakeWord picks, among the partition's threads whose noted word is
//!   this one and whose state is still that event wait, the next by the
//!   order asked, marks it woken ([`WOKEN`]) and makes it Ready; then it
//!   tells each core holding one to decide again.
//!
//! A note goes stale when the wait ends another way (timeout, stop,
//! suspend, restart): the state is then no longer the event wait, so a
//! wake passes it by, and the core that next enters the thread clears it
//! ([`take_pending`]) before the thread can wait again. The caller's
//! partition owns the window (it is running), so a waiter woken on another
//! core runs in that window or its partition's next: never in another
//! partition's time.
//!
//! **Bound.** WakeWord walks the partition's threads once per waiter it
//! wakes (at most [`MAX_THREADS`] each); WaitWord reads one word. Both
//! with the schedulers locked and interrupts masked, as every process call.
use super::hypercall::{Outcome, fail, lock_core_schedulers, ok};
pub use super::process::Caller;
use super::{MAX_THREADS, Module, NEED_RESCHED, ThreadContext};
use crate::ipi::{self, CoreSet, IpiReason};
use bulkhead_abi::{Call, INFINITE, Status, WakeOrder};
use bulkhead_sched::{Nanos, ThreadId, ThreadState, Wait};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Per thread: the word (its IPA) it waits on, 0 when none. Written under
/// the scheduler locks; cleared at the thread's next entry.
static WAIT_ADDRESS: [AtomicU64; MAX_THREADS] = [const { AtomicU64::new(0) }; MAX_THREADS];
/// Per thread: when it began its wait ([`NEXT_SEQUENCE`]), for FIFO order.
static WAIT_SEQUENCE: [AtomicU64; MAX_THREADS] = [const { AtomicU64::new(0) }; MAX_THREADS];
/// Per thread: a WakeWord ended its wait: the call returns 0.
static WOKEN: [AtomicBool; MAX_THREADS] = [const { AtomicBool::new(false) }; MAX_THREADS];
/// The arrival counter, module-wide (only its order within a partition
/// matters).
static NEXT_SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// Handles WaitWord and WakeWord.
pub fn dispatch(module: &Module, caller: &Caller, ctx: &mut ThreadContext, call: Call) -> Outcome {
    let (a1, a2, a3) = (ctx.frame.x[1], ctx.frame.x[2], ctx.frame.x[3]);
    match call {
        Call::WaitWord => return wait(module, caller, ctx, a1, a2 as u32, a3),
        Call::WakeWord => match wake(module, caller, a1, a2, a3) {
            Ok(woken) => ok(ctx, [woken, 0, 0]),
            Err(status) => fail(ctx, status),
        },
        _ => fail(ctx, Status::NotSupported),
    }
    Outcome::Continue
}

/// What the entering core does first for thread `tid` (under its context
/// lock, from `process::take_pending`): any note of a wait is over.
/// Returns whether a WakeWord ended its wait (the call then returns 0).
pub fn take_pending(tid: usize) -> bool {
    WAIT_ADDRESS[tid].store(0, Ordering::Release);
    // Swapped only when set: the same outcome as an unconditional swap (a
    // wake after the load is taken at the next entry, as it would be after
    // the swap), without a store-exclusive on every entry (issue 19).
    WOKEN[tid].load(Ordering::Acquire) && WOKEN[tid].swap(false, Ordering::AcqRel)
}

/// Forgets the waits of a partition's threads that restart.
pub fn forget(threads: core::ops::Range<usize>) {
    for t in threads {
        WAIT_ADDRESS[t].store(0, Ordering::Release);
        WOKEN[t].store(false, Ordering::Release);
    }
}

/// The physical address of the caller's word at `address`: 4-byte aligned
/// (`InvalidParameter`), in its own memory and readable by it
/// (`InvalidAddress`: a guard page, a page it cannot read, a shared region).
fn word(module: &Module, caller: &Caller, address: u64) -> Result<*const u32, Status> {
    if !address.is_multiple_of(4) {
        return Err(Status::InvalidParameter);
    }
    if module.partition(caller.partition).translate(address, 4).is_none() {
        return Err(Status::InvalidAddress);
    }
    let phys = module.readable(caller.partition, address, 4).ok_or(Status::InvalidAddress)?;
    Ok(phys as *const u32)
}

/// WaitWord: sleep while the word holds `expected`.
fn wait(
    module: &Module,
    caller: &Caller,
    ctx: &mut ThreadContext,
    address: u64,
    expected: u32,
    timeout_ns: u64,
) -> Outcome {
    let word = match word(module, caller, address) {
        Ok(word) => word,
        Err(status) => {
            fail(ctx, status);
            return Outcome::Continue;
        }
    };
    let until = match timeout_ns {
        INFINITE => None,
        ns => match module.freq.nanos_to_ticks_ceil(Nanos(ns)).and_then(|d| caller.now.checked_add(d)) {
            Some(t) => Some(t),
            None => {
                fail(ctx, Status::InvalidParameter);
                return Outcome::Continue;
            }
        },
    };
    if super::process::holds_preemption_lock(caller) {
        fail(ctx, Status::InvalidMode);
        return Outcome::Continue;
    }
    let cores = module.core_count;
    let me = ThreadId(caller.tid as u16);
    let mut scheds = lock_core_schedulers(cores);
    // SAFETY: `word` checked the aligned 4 bytes lie in the caller's own
    // readable memory, identity-mapped RAM the kernel never frees; a
    // volatile load is sound whatever another core stores there meanwhile.
    let value = unsafe { word.read_volatile() };
    if value != expected {
        drop(scheds);
        fail(ctx, Status::NoAction);
        return Outcome::Continue;
    }
    if timeout_ns == 0 {
        drop(scheds);
        fail(ctx, Status::TimedOut);
        return Outcome::Continue;
    }
    let sched = scheds[caller.core].as_deref_mut().expect("a running thread's core has a scheduler");
    // What it returns unless a WakeWord comes first (`take_pending`).
    fail(ctx, Status::TimedOut);
    WOKEN[caller.tid].store(false, Ordering::Release);
    WAIT_SEQUENCE[caller.tid].store(NEXT_SEQUENCE.fetch_add(1, Ordering::Relaxed), Ordering::Release);
    WAIT_ADDRESS[caller.tid].store(address, Ordering::Release);
    if sched.wait_event(me, until, caller.now).is_err() {
        WAIT_ADDRESS[caller.tid].store(0, Ordering::Release);
        drop(scheds);
        fail(ctx, Status::InvalidMode);
        return Outcome::Continue;
    }
    Outcome::Reschedule
}

/// WakeWord: make ready up to `count` waiters of the word, in `order`.
fn wake(module: &Module, caller: &Caller, address: u64, count: u64, order: u64) -> Result<u64, Status> {
    let order = WakeOrder::from_raw(order).ok_or(Status::InvalidParameter)?;
    if count == 0 {
        return Err(Status::InvalidParameter);
    }
    word(module, caller, address)?;
    let p = module.partition(caller.partition);
    let threads = p.first_thread..p.first_thread + p.thread_count;
    let cores = module.core_count;
    let mut kicks = CoreSet(0);
    let mut woken = 0;
    {
        let mut scheds = lock_core_schedulers(cores);
        while woken < count {
            // The next waiter: (core, thread, priority, arrival).
            let mut best: Option<(usize, usize, u8, u64)> = None;
            for tid in threads.clone() {
                if WAIT_ADDRESS[tid].load(Ordering::Acquire) != address || WOKEN[tid].load(Ordering::Acquire) {
                    continue;
                }
                let thread = ThreadId(tid as u16);
                let found = scheds.iter().enumerate().find_map(|(c, s)| {
                    let record = s.as_deref()?.thread(thread)?;
                    Some((c, record.state(), record.priority()))
                });
                let Some((core, ThreadState::Waiting(Wait::Event { .. }), priority)) = found else { continue };
                let seq = WAIT_SEQUENCE[tid].load(Ordering::Acquire);
                let better = match best {
                    None => true,
                    Some((_, _, bp, bs)) => match order {
                        WakeOrder::Priority => priority > bp || (priority == bp && seq < bs),
                        WakeOrder::Fifo => seq < bs,
                    },
                };
                if better {
                    best = Some((core, tid, priority, seq));
                }
            }
            let Some((core, tid, ..)) = best else { break };
            let sched = scheds[core].as_deref_mut().expect("found on this core");
            // Under the lock of the scheduler holding it: no core enters
            // it before this is visible.
            WOKEN[tid].store(true, Ordering::Release);
            if sched.wake(ThreadId(tid as u16), caller.now).is_err() {
                WOKEN[tid].store(false, Ordering::Release);
                break;
            }
            kicks = kicks.with(core);
            woken += 1;
        }
    }
    for core in kicks.iter() {
        if core == caller.core {
            NEED_RESCHED[core].store(true, Ordering::Release);
        }
    }
    let others = kicks.without(caller.core);
    if others.0 != 0 {
        ipi::send(IpiReason::Reschedule, others);
    }
    Ok(woken)
}
