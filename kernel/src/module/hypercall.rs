//! Hypercall dispatch: `HVC #0` from a partition thread, after the Arm SMC
//! Calling Convention (DEN 0028). The function IDs, status codes and limits
//! are `bulkhead-abi`'s; every pointer is checked against the caller's own
//! memory (its only stage-2 mapping) before one byte is read, and every
//! length against its limit.
use super::health::Event;
use super::text::Line;
use super::{CORE_SCHED, EPOCH, MODULE, Module, PARTITIONS, ThreadContext};
use crate::{console, timer};
use bulkhead_abi::{ABI_VERSION_MAJOR, ABI_VERSION_MINOR, Call, MAX_CONSOLE_WRITE, MAX_ERROR_MESSAGE, Status};
use bulkhead_image::ErrorKind;
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

fn ok(ctx: &mut ThreadContext, results: [u64; 3]) {
    ctx.frame.x[0] = 0;
    ctx.frame.x[1..4].copy_from_slice(&results);
}

fn fail(ctx: &mut ThreadContext, status: Status) {
    ctx.frame.x[0] = status.raw() as u64;
}

/// The caller's bytes `[ptr, ptr + len)`, if they are all its own.
fn user_bytes(module: &Module, partition: usize, ptr: u64, len: u64) -> Result<&'static [u8], Status> {
    let phys = module.partition(partition).translate(ptr, len).ok_or(Status::InvalidAddress)?;
    // SAFETY: `translate` returned a physical range entirely inside the
    // calling partition's memory, which is identity-mapped RAM that the
    // kernel itself never frees or remaps. The partition may change it
    // concurrently from another core; the bytes are only copied out.
    Ok(unsafe { core::slice::from_raw_parts(phys as *const u8, len as usize) })
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
    let epoch = Ticks(EPOCH.load(Ordering::Acquire));
    let since_epoch = |t: Ticks| module.freq.ticks_to_nanos(Ticks(t.0.saturating_sub(epoch.0))).map_or(u64::MAX, |n| n.0);
    match call {
        Call::AbiVersion => ok(ctx, [(u64::from(ABI_VERSION_MAJOR) << 16) | u64::from(ABI_VERSION_MINOR), 0, 0]),
        Call::MyIds => ok(ctx, [partition as u64, thread.index as u64, core as u64]),
        Call::PartitionStatus => {
            let rt = &PARTITIONS[partition];
            ok(ctx, [u64::from(rt.mode.load(Ordering::Acquire)), u64::from(rt.restarts.load(Ordering::Acquire)), u64::from(module.partition(partition).system)]);
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
                    for &b in bytes {
                        if b == b'\n' {
                            flush_line(module, partition, thread.name, core, ctx);
                        } else {
                            ctx.line.push_sanitized(b);
                            if ctx.line.is_full() {
                                flush_line(module, partition, thread.name, core, ctx);
                            }
                        }
                    }
                    ok(ctx, [a2, 0, 0]);
                }
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
                    for &b in bytes {
                        detail.push_sanitized(b);
                    }
                    let _ = write!(detail, "\"");
                    ok(ctx, [0; 3]);
                    return Outcome::Health(Event { kind: ErrorKind::ApplicationError, thread: tid, core, detail });
                }
                Err(status) => fail(ctx, status),
            }
        }
    }
    Outcome::Continue
}

/// Prints the thread's buffered console line as one whole line.
fn flush_line(module: &Module, partition: usize, thread: &str, core: usize, ctx: &mut ThreadContext) {
    let name = module.partition(partition).name;
    let mut out = console::lock();
    let _ = writeln!(out, "[{name}:{thread}@{core}] {}", ctx.line);
    drop(out);
    ctx.line.clear();
}
