//! Switch tracing: what each core really ran, and when.
//!
//! Every scheduling decision a core takes is recorded in that core's own
//! ring buffer: one producer (the core), no locks, no atomics beyond the
//! index. The core sends its pending records to the trace port (the mini
//! UART, apart from the console) when it next has nothing to run (idle
//! time, where sending cannot delay a partition), so tracing perturbs the
//! schedule as little as it can. A ring that fills before it is flushed
//! says how many records it lost: nothing is dropped silently. Only the
//! traced kernels (`bulkhead-traced`, used by the timing tests, and the
//! test and benchmark kernels built on it) record; the product kernel
//! records nothing and holds none of the sending code ([`Sender`]).
//!
//! # Line format (read by `bulkhead trace`)
//!
//! ```text
//! trace: begin <module> freq=<counter Hz> epoch=<ticks> cores=<n> schedule=<initial index>
//! trace: <core> <ticks> <schedule>/<frame>/<entry> <partition id|-> <thread id|-> <reason> <entered> <admitted|->
//! trace: <core> <ticks> deadline <partition id> <thread id>
//! trace: <core> dropped <count>
//! ```
//!
//! - `deadline`: the scheduler reported that thread past its deadline in
//!   the decision the core took at `<ticks>` (`Events::deadline_missed`,
//!   one line per thread; `run.rs` turns each into a `deadline_miss` health
//!   event). It comes just before that decision's own line, which has the
//!   same `<ticks>`: the decision is written once the gate has let the core
//!   in, the misses as soon as they are known. The scheduler reports a miss
//!   only for a thread of the window's owner on this core, so the thread
//!   belongs to the owner of the next line's window. Logs of kernels
//!   without it read as before.
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
//!
//! # On the wire: defmt frames (decoded by the host into the lines above)
//!
//! The port does not carry the lines as text. Each line is one defmt frame
//! (`defmt::println!`, no level, no timestamp) whose format string is the
//! line itself: the host, with the `.defmt` table of this kernel's ELF,
//! decodes each frame into exactly the text above. The frames are
//! rzcobs-encoded, defmt's stream encoding (feature `encoding-rzcobs`,
//! `kernel/Cargo.toml`): each ends in a 0x00 and holds none, so a reader
//! finds them in the raw byte stream and can start anywhere. The strings
//! (`trace: `, `boundary`, ...) stay in the ELF and travel as 2-byte
//! indices; numbers as fixed-width little-endian integers whose zero bytes
//! rzcobs squeezes out: 21.2 bytes a record on `lockstep-1000` against
//! 53.1 as text lines (README, "Logging with defmt").
//!
//! Reading it: the QEMU test runner decodes the port as it captures it and
//! merges the lines into the console's (`tools/xtask/src/qemu.rs`); an
//! undecodable frame fails the test. A capture of the port taken by hand
//! (QEMU's second `-serial`, e.g. `-serial file:trace.bin`) is read by
//! `bulkhead trace DESCRIPTION CAPTURE --elf KERNEL_ELF`, with the ELF of
//! the kernel that ran
//! (`target/aarch64-unknown-none-softfloat/release/bulkhead-traced`); text
//! logs of the lines above are read as before, without `--elf`.
//!
//! The port is shared by the cores: [`TraceLogger`] hands it to one core
//! for one whole frame at a time, so frames never interleave, while the
//! frames of two cores' flushes may alternate (each names its core).
use super::MODULE;
use crate::arch;
use bulkhead_board_rpi4::CORES;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

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

/// What a ring slot holds: a decision, or a deadline miss it found.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Decision(Record),
    /// (partition, thread) found past its deadline by the decision taken at
    /// `ticks` (its record follows).
    DeadlineMissed {
        ticks: u64,
        partition: u16,
        thread: u16,
    },
}

const RING: usize = 512;

struct Ring {
    records: UnsafeCell<[Slot; RING]>,
    /// Records written / flushed, counted from boot (wrapping u32).
    written: AtomicU32,
    flushed: AtomicU32,
}

// SAFETY: each ring is written and flushed only by its own core.
unsafe impl Sync for Ring {}

// All zero, so the rings live in .bss rather than swell the image.
const EMPTY: Slot =
    Slot::Decision(Record { ticks: 0, window: None, runs: None, reason: Reason::Boundary, entered: 0, admitted: None });
/// Per core, the count at its last entry to EL2 (written by that core only).
static ENTERED: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];
static RINGS: [Ring; CORES] = [const {
    Ring { records: UnsafeCell::new([EMPTY; RING]), written: AtomicU32::new(0), flushed: AtomicU32::new(0) }
}; CORES];
static ENABLED: AtomicBool = AtomicBool::new(false);

/// How a traced kernel sends what it recorded. There is one,
/// [`TRACE_PORT`]; a binary that traces passes it to `module::kernel_main`
/// (`src/bin/bulkhead-traced.rs`). Only such a binary references the code
/// that formats and sends the frames, so the product kernel's linker drops
/// it, and defmt's encoder with it: what stays there is the logger below
/// (defmt's linker script asks for it), which never runs.
pub struct Sender {
    begin: fn(u64, u32),
    flush: fn(usize),
}

/// The trace port: defmt frames on the mini UART.
pub static TRACE_PORT: Sender = Sender { begin: send_begin, flush: send_pending };

static SENDER: spin::Once<&'static Sender> = spin::Once::new();

/// Turns tracing on (before the cores start their loops).
pub fn enable(sender: &'static Sender) {
    // SAFETY: the device window is mapped; only the trace port code below
    // touches the mini UART, by the core that holds PORT.
    unsafe { bulkhead_board_rpi4::trace_port::init() };
    SENDER.call_once(|| sender);
    ENABLED.store(true, Ordering::Release);
}

/// The trace port (the mini UART, QEMU's `serial1`): the frames go there,
/// not to the console, whose pace is the Pi's 115200 baud.
struct Port {
    /// The core sending a frame, as its index + 1; 0 when none is.
    sender: AtomicUsize,
    /// defmt's rzcobs state (the run of bytes since the last group byte):
    /// one frame's, so only the sender touches it.
    encoder: UnsafeCell<defmt::Encoder>,
}

// SAFETY: `encoder` is touched only by the core that holds `sender`,
// taken with Acquire and given back with Release (`TraceLogger`).
unsafe impl Sync for Port {}

static PORT: Port = Port { sender: AtomicUsize::new(0), encoder: UnsafeCell::new(defmt::Encoder::new()) };

/// Writes encoded bytes to the mini UART.
fn send(bytes: &[u8]) {
    // SAFETY: `enable` set the port up before anything was recorded, and
    // only the core holding PORT calls this (from `TraceLogger`).
    unsafe { bulkhead_board_rpi4::trace_port::write(bytes) };
}

/// defmt's global logger: the trace port, one frame at a time.
///
/// In every kernel binary (defmt's linker script, which every kernel
/// binary is linked with, asks for it); only [`TRACE_PORT`]'s functions
/// log, so in a kernel that does not trace it is a few hundred bytes of
/// code that never runs.
#[defmt::global_logger]
struct TraceLogger;

// SAFETY: an execution context is a core: the kernel takes no interrupt in
// its own code (`kernel_main` masks them for good), so nothing on a core
// can log between its `acquire` and its `release` but that frame. `acquire`
// gives the port to one core at a time (panicking if the calling core holds
// it already, as the trait asks); `write` and `release` touch the encoder
// only on that core, between the two.
unsafe impl defmt::Logger for TraceLogger {
    fn acquire() {
        let me = arch::core_id() + 1;
        if PORT.sender.load(Ordering::Relaxed) == me {
            panic!("trace: a defmt frame begun inside another on the same core");
        }
        while PORT.sender.compare_exchange_weak(0, me, Ordering::Acquire, Ordering::Relaxed).is_err() {
            arch::spin_hint();
        }
        // SAFETY: this core holds the port since the exchange.
        unsafe { (*PORT.encoder.get()).start_frame(send) };
    }

    unsafe fn flush() {
        // The port is written by polling: every byte is out when `write`
        // returns.
    }

    unsafe fn release() {
        // SAFETY: the caller acquired the port on this core (the trait's
        // contract), so this core holds it.
        unsafe { (*PORT.encoder.get()).end_frame(send) };
        PORT.sender.store(0, Ordering::Release);
    }

    unsafe fn write(bytes: &[u8]) {
        // SAFETY: as in `release`.
        unsafe { (*PORT.encoder.get()).write(bytes, send) };
    }
}

/// `a == b`, usable in a constant.
const fn same_word(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `reason_word`: a reason's word as an interned string, 2 bytes on the
/// wire. defmt interns only literals, so the words are written again here;
/// the constant below checks at compile time that each is
/// `Reason::as_str`'s, the word `bulkhead trace` parses, and the match
/// that every reason has one.
macro_rules! interned_reason_words {
    ($($reason:ident => $word:literal),* $(,)?) => {
        const _: () = { $(assert!(same_word(Reason::$reason.as_str(), $word));)* };

        fn reason_word(reason: Reason) -> defmt::Str {
            match reason {
                $(Reason::$reason => defmt::intern!($word),)*
            }
        }
    };
}

interned_reason_words! {
    Boundary => "boundary",
    Missed => "missed",
    Wait => "wait",
    Wake => "wake",
    Health => "health",
    Resched => "resched",
}

/// `<schedule>/<frame>/<entry>` or `-/-/-`.
struct WindowField(Option<(u8, u64, u16)>);
/// `<partition> <thread>` or `- -`.
struct RunsField(Option<(u16, u16)>);
/// `<admitted>` or `-`.
struct AdmittedField(Option<u64>);

impl defmt::Format for WindowField {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self.0 {
            Some((s, frame, e)) => defmt::write!(f, "{=u8}/{=u64}/{=u16}", s, frame, e),
            None => defmt::write!(f, "-/-/-"),
        }
    }
}

impl defmt::Format for RunsField {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self.0 {
            Some((p, t)) => defmt::write!(f, "{=u16} {=u16}", p, t),
            None => defmt::write!(f, "- -"),
        }
    }
}

impl defmt::Format for AdmittedField {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self.0 {
            Some(at) => defmt::write!(f, "{=u64}", at),
            None => defmt::write!(f, "-"),
        }
    }
}

/// Sends one record as its frame.
fn send_record(core: u8, r: &Record) {
    let reason = reason_word(r.reason);
    match (r.window, r.runs, r.admitted) {
        // The two forms nearly every record takes (a thread entered, or
        // the core idle, in a window) have format strings of their own;
        // in the general form each optional field is a nested format
        // sequence (its tag, its string's index and a terminator: 6 bytes
        // before rzcobs).
        (Some((s, f, e)), Some((p, t)), Some(at)) => defmt::println!(
            "trace: {=u8} {=u64} {=u8}/{=u64}/{=u16} {=u16} {=u16} {=istr} {=u64} {=u64}",
            core,
            r.ticks,
            s,
            f,
            e,
            p,
            t,
            reason,
            r.entered,
            at
        ),
        (Some((s, f, e)), None, None) => defmt::println!(
            "trace: {=u8} {=u64} {=u8}/{=u64}/{=u16} - - {=istr} {=u64} -",
            core,
            r.ticks,
            s,
            f,
            e,
            reason,
            r.entered
        ),
        (window, runs, admitted) => defmt::println!(
            "trace: {=u8} {=u64} {} {} {=istr} {=u64} {}",
            core,
            r.ticks,
            WindowField(window),
            RunsField(runs),
            reason,
            r.entered,
            AdmittedField(admitted)
        ),
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
    push(core, Slot::Decision(record));
}

/// Records that the calling core's decision at `ticks` found thread
/// `thread` of `partition` past its deadline (before that decision's own
/// record, which [`record`] writes once the gate has let the core in).
pub fn record_deadline_miss(core: usize, ticks: u64, partition: u16, thread: u16) {
    push(core, Slot::DeadlineMissed { ticks, partition, thread });
}

fn push(core: usize, slot: Slot) {
    if !enabled() {
        return;
    }
    let ring = &RINGS[core];
    let n = ring.written.load(Ordering::Relaxed);
    // SAFETY: only this core writes its ring, and only this core flushes
    // it, so no other reference to this slot exists.
    unsafe { (*ring.records.get())[n as usize % RING] = slot };
    ring.written.store(n.wrapping_add(1), Ordering::Release);
}

/// Sends the calling core's pending records (idle time only).
pub fn flush(core: usize) {
    if let Some(sender) = SENDER.get() {
        (sender.flush)(core);
    }
}

/// The header line, sent once by core 0 when tracing is on.
pub fn begin(epoch: u64, initial_schedule: u32) {
    if let Some(sender) = SENDER.get() {
        (sender.begin)(epoch, initial_schedule);
    }
}

fn send_pending(core: usize) {
    let ring = &RINGS[core];
    let written = ring.written.load(Ordering::Acquire);
    let mut next = ring.flushed.load(Ordering::Relaxed);
    if written == next {
        return;
    }
    // CORES is 4: a core index fits the frame's one byte.
    let core_byte = core as u8;
    let pending = written.wrapping_sub(next);
    if pending as usize > RING {
        let lost = pending - RING as u32;
        defmt::println!("trace: {=u8} dropped {=u32}", core_byte, lost);
        next = written.wrapping_sub(RING as u32);
    }
    while next != written {
        // SAFETY: as in `push`: this core is the ring's only user.
        match unsafe { (*ring.records.get())[next as usize % RING] } {
            Slot::Decision(r) => send_record(core_byte, &r),
            Slot::DeadlineMissed { ticks, partition, thread } => {
                defmt::println!("trace: {=u8} {=u64} deadline {=u16} {=u16}", core_byte, ticks, partition, thread)
            }
        }
        next = next.wrapping_add(1);
        // An interrupt pending (a boundary, an IPI): the rest waits for the
        // core's next idle time, so a flush holds the core masked for one
        // record at most once the boundary is due, never for the whole
        // backlog (the checker's served-late rule holds every boundary to
        // a bound derived from the cores' own paths).
        if crate::arch::irq_pending() {
            break;
        }
        // A hint between records: on a Cortex-A72 next to nothing; under
        // QEMU's single-threaded round robin (TCG, icount) a yield to the
        // next vCPU, so a core flushing with interrupts masked does not hold
        // the other cores back from their own timer interrupts, which on
        // the board they take in parallel.
        crate::arch::spin_hint();
    }
    ring.flushed.store(next, Ordering::Relaxed);
}

fn send_begin(epoch: u64, initial_schedule: u32) {
    let module = MODULE.get().expect("trace begins after load");
    defmt::println!(
        "trace: begin {=str} freq={=u64} epoch={=u64} cores={=u32} schedule={=u32}",
        module.name,
        module.freq.hz(),
        epoch,
        module.image.module().core_count,
        initial_schedule
    );
}
