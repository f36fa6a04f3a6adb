//! Switch tracing: what each core really ran, and when.
//!
//! Every scheduling decision a core takes is recorded in that core's own
//! ring buffer: one producer (the core), no locks, no atomics beyond the
//! index. The core prints its pending records to the console when it next
//! has nothing to run (idle time, where printing cannot delay a partition),
//! so tracing perturbs the schedule as little as a console can. A ring that
//! fills before it is flushed says how many records it lost: nothing is
//! dropped silently. Only the traced kernel (`bulkhead-traced`, used by the
//! timing tests) records; the product kernel's console stays quiet.
//!
//! # Line format (read by `bulkhead trace`)
//!
//! ```text
//! trace: begin <module> freq=<counter Hz> epoch=<ticks> cores=<n> schedule=<initial index>
//! trace: <core> <ticks> <schedule>/<frame>/<entry> <partition id|-> <thread id|-> <reason> <entered> <admitted|->
//! trace: <core> dropped <count>
//! ```
//!
//! - `<ticks>`: the physical count when the core took the decision (the
//!   timer interrupt or the event that caused it); `epoch` is major frame 0
//!   of the initial schedule.
//! - `<entered>`: the physical count when the core last entered EL2 before
//!   this decision: the first instructions after a guest exit, or the return
//!   of the idle WFI (0 before the first). `<ticks> - max(<entered>, planned
//!   boundary)` is the kernel's own part of a boundary's lateness; the time
//!   before `<entered>` the core spent waiting to be served (under QEMU
//!   icount, while the other vCPUs ran) or in its guest. `bulkhead trace`
//!   reads logs without it too.
//! - `<admitted>`: on a record that runs a thread, the physical count at
//!   which the partition gate let the core into the thread's partition
//!   (`rendezvous.rs`): the thread runs from then until the core's next
//!   guest exit (the next record's `<entered>`); from `<ticks>` to it the
//!   core waited at the rendezvous. `-` when the core idles, also when its
//!   window ended before the gate let it in.
//! - `<schedule>/<frame>/<entry>`: the window in force: schedule index, major
//!   frame number since that schedule's activation, entry index in the core
//!   frame table (one per window of the schedule, plus one for trailing
//!   spare time if the windows do not fill the frame). `-/-/-` before the
//!   epoch.
//! - `<partition id>` and `<thread id>`: what runs from then on (ids as the
//!   system description's declaration order gives them; the thread id is
//!   the module-wide index), `- -` when the core idles.
//! - `<reason>`: `boundary` (a new window began), `missed` (a new window
//!   began after one or more boundaries were missed; recovered from the
//!   epoch), `wait` (the running thread waited, yielded or trapped WFI),
//!   `wake` (a thread became ready inside the window), `health` (a
//!   partition was stopped or restarted), `resched` (anything else: a
//!   schedule switch or migration kick).
use super::MODULE;
use bulkhead_board_rpi4::CORES;
use core::cell::UnsafeCell;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Why a core took a decision (shared with `bulkhead trace`).
pub use bulkhead_sched::TraceReason as Reason;

/// One decision.
#[derive(Debug, Clone, Copy)]
pub struct Record {
    pub ticks: u64,
    /// (schedule, frame, entry), `None` before the epoch.
    pub window: Option<(u8, u64, u16)>,
    /// (partition, thread), `None` when idle.
    pub runs: Option<(u16, u16)>,
    pub reason: Reason,
    /// When the core last entered EL2 before this decision (ticks).
    pub entered: u64,
    /// When the gate admitted the core into the partition of `runs`.
    pub admitted: Option<u64>,
}

const RING: usize = 512;

struct Ring {
    records: UnsafeCell<[Record; RING]>,
    /// Records written / flushed, counted from boot (wrapping u32).
    written: AtomicU32,
    flushed: AtomicU32,
}

// SAFETY: each ring is written and flushed only by its own core.
unsafe impl Sync for Ring {}

// All zero, so the rings live in .bss rather than swell the image.
const EMPTY: Record =
    Record { ticks: 0, window: None, runs: None, reason: Reason::Boundary, entered: 0, admitted: None };
/// Per core, the count at its last entry to EL2 (written by that core only).
static ENTERED: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];
static RINGS: [Ring; CORES] = [const {
    Ring { records: UnsafeCell::new([EMPTY; RING]), written: AtomicU32::new(0), flushed: AtomicU32::new(0) }
}; CORES];
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns tracing on (before the cores start their loops).
pub fn enable() {
    // SAFETY: the device window is mapped; only the trace port code below
    // touches the mini UART, under PORT.
    unsafe { bulkhead_board_rpi4::trace_port::init() };
    ENABLED.store(true, Ordering::Release);
}

/// The trace port (the mini UART, QEMU's `serial1`): trace lines go there,
/// not to the console, whose pace is the Pi's 115200 baud; one core's
/// lines at a time.
static PORT: spin::Mutex<()> = spin::Mutex::new(());

struct Port;

impl core::fmt::Write for Port {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        // SAFETY: `enable` set the port up; callers hold PORT.
        unsafe { bulkhead_board_rpi4::trace_port::write(s.as_bytes()) };
        Ok(())
    }
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Notes that the calling core has just entered EL2 (a guest exit, or the
/// return of the idle WFI): the `<entered>` of its next record.
#[inline]
pub fn entered_el2(core: usize) {
    if enabled() {
        ENTERED[core].store(crate::timer::now().0, Ordering::Relaxed);
    }
}

/// When the calling core last entered EL2, for its next record.
pub fn last_entered(core: usize) -> u64 {
    ENTERED[core].load(Ordering::Relaxed)
}

/// Records a decision of the calling core.
pub fn record(core: usize, record: Record) {
    if !enabled() {
        return;
    }
    let ring = &RINGS[core];
    let n = ring.written.load(Ordering::Relaxed);
    // SAFETY: only this core writes its ring, and only this core flushes
    // it, so no other reference to this slot exists.
    unsafe { (*ring.records.get())[n as usize % RING] = record };
    ring.written.store(n.wrapping_add(1), Ordering::Release);
}

/// Prints the calling core's pending records (idle time only).
pub fn flush(core: usize) {
    if !enabled() {
        return;
    }
    let ring = &RINGS[core];
    let written = ring.written.load(Ordering::Acquire);
    let mut next = ring.flushed.load(Ordering::Relaxed);
    if written == next {
        return;
    }
    let _port = PORT.lock();
    let mut out = Port;
    let pending = written.wrapping_sub(next);
    if pending as usize > RING {
        let lost = pending as usize - RING;
        let _ = writeln!(out, "trace: {core} dropped {lost}");
        next = written.wrapping_sub(RING as u32);
    }
    while next != written {
        // SAFETY: as in `record`: this core is the ring's only user.
        let r = unsafe { (*ring.records.get())[next as usize % RING] };
        let _ = write!(out, "trace: {core} {} ", r.ticks);
        let _ = match r.window {
            Some((s, f, e)) => write!(out, "{s}/{f}/{e} "),
            None => write!(out, "-/-/- "),
        };
        let _ = match r.runs {
            Some((p, t)) => write!(out, "{p} {t} "),
            None => write!(out, "- - "),
        };
        let _ = match r.admitted {
            Some(at) => writeln!(out, "{} {} {at}", r.reason.as_str(), r.entered),
            None => writeln!(out, "{} {} -", r.reason.as_str(), r.entered),
        };
        next = next.wrapping_add(1);
    }
    ring.flushed.store(next, Ordering::Relaxed);
}

/// The header line, printed once by core 0 when tracing is on.
pub fn begin(epoch: u64, initial_schedule: u32) {
    if !enabled() {
        return;
    }
    let module = MODULE.get().expect("trace begins after load");
    let _port = PORT.lock();
    let _ = writeln!(
        Port,
        "trace: begin {} freq={} epoch={epoch} cores={} schedule={initial_schedule}",
        module.name,
        module.freq.hz(),
        module.image.module().core_count
    );
}
