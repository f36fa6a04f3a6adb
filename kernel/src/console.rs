//! The kernel console: bounded line buffers, fed to the PL011 at the line's
//! own pace, so no output ever holds a core.
//!
//! Every line goes into its source's ring (`bulkhead-console`): one per
//! core for the kernel's own lines, one per partition (its
//! `console_buffer`, written by `ConsoleWrite`). Putting a line there is a
//! copy under the ring's lock, never a wait for the UART; a line without
//! room is dropped whole and counted, and the count is printed when there
//! is room again (`[console] hello: 312 bytes dropped`).
//!
//! The **pump** moves bytes from the rings to the UART, one whole line at
//! a time: the kernel's own lines first (in the order written across
//! cores), then the partitions in turns by deficit round robin (a quantum
//! of bytes a turn), so a chatty partition fills its own ring, loses its
//! own lines and delays another's by at most a turn. What the kernel says
//! about a partition (health events, restarts, reports) goes into that
//! partition's ring, in order with its own lines. The pump writes only
//! what the transmit FIFO has room for *by the line's clock* ([`Fifo`]: 16
//! bytes, one character time each at `console_baud`): under QEMU, whose
//! PL011 takes bytes instantly, the console is exactly as slow as the Pi's,
//! and on the Pi the FIFO's own full flag agrees.
//!
//! **Who pumps**: `ConsoleWrite`, at the end of the call, in the writer's
//! own time; and every idle core before it sleeps, which then arms its
//! console tick (the EL1 physical timer, CNTP, INTID 30, denied to
//! partitions) to wake 8 character times later while output is pending,
//! and disarms it on waking: the tick never interrupts a partition. One
//! feed writes at most 16 bytes and takes lines only from rings whose lock
//! it gets at once (`try_lock`); a core that finds the pump busy skips it.
//!
//! Fatal reports (panic, fatal exception, halt) stay synchronous: the fatal
//! writer finishes the line on the wire, writes out everything buffered,
//! then its report, at the UART's speed, holding the core; nothing runs
//! after it anyway. A test kernel ending through semihosting drains the
//! same way first ([`drain`]).
use crate::arch;
use crate::module::MAX_PARTITIONS;
use crate::module::text::Line;
use bulkhead_board_rpi4::CORES;
use bulkhead_board_rpi4::console::BAUD;
use bulkhead_board_rpi4::uart::{self, Pl011};
use bulkhead_console::{Fifo, Header, Ring};
use core::fmt::{self, Write as _};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
// The kernel's spinlock, which waits with YIELD: a core spinning on a ring
// with the default ISB kept QEMU's single-threaded icount emulator (one
// host thread for all vCPUs) from running the core holding it, for as long
// as a time slice (tens of ms: every core missed its boundaries).
use crate::arch::{Mutex, MutexGuard};

/// Every line's place in the order all sources wrote them (wrapping), so
/// the pump can merge the rings.
static SEQ: AtomicU32 = AtomicU32::new(0);

fn kernel_header() -> Header {
    Header { seq: SEQ.fetch_add(1, Ordering::Relaxed), thread: 0, core: arch::core_id() as u8 }
}

/// Bytes of one core's kernel ring.
const KERNEL_RING: usize = 8 * 1024;
/// All partitions' rings together (the description's `console_buffer`s,
/// whose sum the image format bounds).
pub const PARTITION_POOL: usize = bulkhead_image::CONSOLE_BUFFER_TOTAL_MAX as usize;
/// The longest text of one kernel line; longer ones end in `... (N more
/// bytes)`.
const KERNEL_LINE: usize = 320;
/// The longest line in a ring: a kernel line with that note, or a
/// partition's line with its prefix (well under it).
const STORED_LINE: usize = KERNEL_LINE + 40;
/// The pump's line: a stored line and `\r\n`.
const WIRE_LINE: usize = STORED_LINE + 2;
/// A partition line's prefix, `[partition:thread@core] ` (names of at most
/// 31 bytes).
const PREFIX_LINE: usize = 80;
/// Character times an idle core sleeps between feeds (half the FIFO).
const TICK_BYTES: u64 = 8;

static KERNEL_RINGS: [Mutex<Ring<[u8; KERNEL_RING]>>; CORES] =
    [const { Mutex::new(Ring::new([0; KERNEL_RING])) }; CORES];

static PARTITION_RINGS: [Mutex<Option<Ring<&'static mut [u8]>>>; MAX_PARTITIONS] =
    [const { Mutex::new(None) }; MAX_PARTITIONS];

/// Names of the partitions, for the line prefix.
static NAMES: spin::Once<Names> = spin::Once::new();

/// A partition's name and its threads' names, by module-wide thread index.
pub struct Names {
    pub partition: fn(usize) -> &'static str,
    pub thread: fn(usize) -> &'static str,
}

/// The pump: the UART, the FIFO model, the line on the wire.
struct Pump {
    /// The partition whose turn it is, the bytes each may still send in
    /// its turns (deficit round robin), when each last had a drop report,
    /// and the counter's frequency.
    next: usize,
    deficit: [u32; MAX_PARTITIONS],
    reported: [u64; MAX_PARTITIONS],
    hz: u64,
    uart: Pl011<'static>,
    fifo: Fifo,
    line: [u8; WIRE_LINE],
    len: usize,
    sent: usize,
}

static PUMP: Mutex<Option<Pump>> = Mutex::new(None);

/// Bytes a partition may send per turn (deficit round robin).
const QUANTUM: u32 = 128;
/// Turns a partition may need to afford its longest line.
const TURNS_PER_LINE: usize = (WIRE_LINE / QUANTUM as usize) + 2;

enum Turn {
    Sent,
    Next,
}

/// How long ago (in lines written since) the ring's oldest line was
/// written; a pending drop report counts as oldest of all.
fn age_of<S: AsRef<[u8]> + AsMut<[u8]>>(ring: &Ring<S>, now: u32) -> Option<i32> {
    if ring.dropped_lines > 0 {
        return Some(i32::MIN);
    }
    ring.peek().map(|h| h.seq.wrapping_sub(now) as i32)
}

impl Pump {
    /// Writes what the FIFO has room for at `now` (at most 16 bytes),
    /// starting lines as needed (each at least `\r\n`: at most 9).
    /// `true` if output is still pending.
    fn run(&mut self, now: u64) -> bool {
        let mut room = self.fifo.room(now);
        while room > 0 {
            if self.sent == self.len && !self.next_line() {
                return false;
            }
            if self.uart.is_tx_fifo_full() {
                return true;
            }
            self.uart.write_word(self.line[self.sent]);
            self.fifo.push(now);
            self.sent += 1;
            room -= 1;
        }
        true
    }

    /// Loads the next line into `line`: the kernel's own lines first, in
    /// the order written across cores (few: boot, reports of the module
    /// as a whole); then the partitions by deficit round robin. A
    /// partition's lines include what the kernel says about it (its health
    /// events, restarts, reports), in the order written, so a partition
    /// reads as a story; a partition that floods delays another's line by
    /// at most a turn.
    fn next_line(&mut self) -> bool {
        let now = SEQ.load(Ordering::Relaxed);
        let mut oldest: Option<(usize, i32)> = None;
        for (core, ring) in KERNEL_RINGS.iter().enumerate() {
            let Some(ring) = ring.try_lock() else { continue };
            if let Some(age) = age_of(&ring, now)
                && oldest.is_none_or(|(_, a)| age < a)
            {
                oldest = Some((core, age));
            }
        }
        if let Some((core, _)) = oldest
            && self.load_from(core, true)
        {
            return true;
        }
        // Partitions: deficit round robin, a quantum of bytes a turn, so
        // each partition with output gets an equal share of the line
        // whatever its lines' lengths.
        for _ in 0..MAX_PARTITIONS * TURNS_PER_LINE {
            let p = self.next;
            match self.partition_turn(p) {
                Turn::Sent => return true,
                Turn::Next => self.next = (p + 1) % MAX_PARTITIONS,
            }
        }
        false
    }

    /// Partition `p`'s turn: its drop report if one is due, else its next
    /// line if its deficit covers it.
    fn partition_turn(&mut self, p: usize) -> Turn {
        let Some(slot) = PARTITION_RINGS[p].try_lock() else { return Turn::Next };
        let Some(ring) = slot.as_ref() else { return Turn::Next };
        let now = arch::counter();
        // A drop report once the partition has caught up, or once a second
        // while it goes on losing lines: the reports cost little of the line.
        let report_due = ring.dropped_lines > 0 && (ring.is_empty() || now.saturating_sub(self.reported[p]) >= self.hz);
        let line = ring.peek_len();
        drop(slot);
        if report_due {
            self.reported[p] = now;
            return if self.load_from(CORES + p, true) { Turn::Sent } else { Turn::Next };
        }
        let Some(len) = line else {
            self.deficit[p] = 0;
            return Turn::Next;
        };
        let cost = len as u32 + 2;
        if self.deficit[p] >= cost {
            if self.load_from(CORES + p, false) {
                self.deficit[p] -= cost;
                return Turn::Sent;
            }
            return Turn::Next;
        }
        self.deficit[p] += QUANTUM;
        Turn::Next
    }

    /// Loads `source`'s drop report (if `report` and one is pending) or
    /// else its next line.
    fn load_from(&mut self, source: usize, report: bool) -> bool {
        let mut text = [0u8; STORED_LINE];
        let mut w = Wire { buf: &mut self.line, len: 0 };
        if source < CORES {
            let Some(mut ring) = KERNEL_RINGS[source].try_lock() else { return false };
            let dropped = if report { ring.take_dropped() } else { None };
            if let Some((lines, bytes)) = dropped {
                let _ = write!(w, "[console] kernel core {source}: {bytes} bytes dropped ({lines} lines)");
            } else if let Some((_, len)) = ring.pop(&mut text) {
                drop(ring);
                w.put(&text[..len.min(STORED_LINE)]);
            } else {
                return false;
            }
        } else {
            let p = source - CORES;
            let Some(mut slot) = PARTITION_RINGS[p].try_lock() else { return false };
            let Some(ring) = slot.as_mut() else { return false };
            let names = NAMES.get();
            let name = names.map_or("?", |n| (n.partition)(p));
            let dropped = if report { ring.take_dropped() } else { None };
            if let Some((lines, bytes)) = dropped {
                let _ = write!(w, "[console] {name}: {bytes} bytes dropped ({lines} lines)");
            } else if let Some((_, len)) = ring.pop(&mut text) {
                // The prefix went into the ring with the text.
                drop(slot);
                w.put(&text[..len.min(STORED_LINE)]);
            } else {
                return false;
            }
        }
        // Room for `\r\n` is kept by `Wire`.
        let len = w.len;
        self.line[len..len + 2].copy_from_slice(b"\r\n");
        self.len = len + 2;
        self.sent = 0;
        true
    }

    /// Everything buffered, and the line under way, at the UART's own
    /// speed (fatal reports, the end of a test run).
    fn drain(&mut self) {
        loop {
            if self.sent == self.len && !self.next_line() {
                break;
            }
            write_blocking(&mut self.uart, self.line[self.sent]);
            self.sent += 1;
        }
    }
}

/// Writes `byte`, waiting while the transmit FIFO is full (fatal reports
/// and drains only).
fn write_blocking(uart: &mut Pl011<'static>, byte: u8) {
    while uart.is_tx_fifo_full() {}
    uart.write_word(byte);
}

/// A line being built on the wire: never past the room for `\r\n`.
struct Wire<'a> {
    buf: &'a mut [u8; WIRE_LINE],
    len: usize,
}

impl Wire<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(WIRE_LINE - 2 - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }
}

impl fmt::Write for Wire<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.put(s.as_bytes());
        Ok(())
    }
}

/// Brings up the PL011. Core 0, once, with the MMU on, before any print
/// reaches the wire (earlier lines wait in the rings).
pub fn init() {
    // SAFETY: the device window is mapped by the EL2 stage-1 map; this runs
    // once on core 0 before the pump exists, so nothing else touches the
    // UART or GPIO 14/15, and the handle goes into the pump's lock.
    let uart = unsafe {
        uart::route_pins();
        uart::console()
    };
    let hz = crate::timer::frequency().hz();
    *PUMP.lock() = Some(Pump {
        next: 0,
        deficit: [0; MAX_PARTITIONS],
        reported: [0; MAX_PARTITIONS],
        hz,
        uart,
        fifo: Fifo::new(BAUD, hz),
        line: [0; WIRE_LINE],
        len: 0,
        sent: 0,
    });
}

/// Switches the line to `baud` (the description's `console_baud`, checked
/// by the host tool): once what is in the FIFO has gone out at the old
/// rate (at most 16 character times, at load). A rate the PL011 cannot
/// make keeps the old one and says so.
pub fn set_baud(baud: u32) {
    let mut guard = PUMP.lock();
    let Some(pump) = guard.as_mut() else { return };
    if pump.fifo.baud() == baud {
        return;
    }
    while arch::counter() < pump.fifo.drained_at() || pump.uart.is_busy() {
        arch::spin_hint();
    }
    match uart::set_baud(&mut pump.uart, baud) {
        Ok(()) => pump.fifo = Fifo::new(baud, pump.hz),
        Err(_) => {
            drop(guard);
            crate::println!("console: the PL011 cannot run at {baud} baud; staying at {}", BAUD);
        }
    }
}

/// Ticks between an idle core's feeds while output is pending (8
/// character times), 0 when the last feed left nothing: written by whoever
/// feeds, read by idle cores that find another at the pump.
static FEED_PERIOD: AtomicU64 = AtomicU64::new(0);

/// Feeds what the FIFO has room for and notes whether output is left.
fn feed(pump: &mut Pump, now: u64) -> u64 {
    let period = if pump.run(now) { pump.fifo.byte_ticks() * TICK_BYTES } else { 0 };
    FEED_PERIOD.store(period, Ordering::Relaxed);
    period
}

/// Feeds the UART what the FIFO has room for now, if no other core is at
/// it (never waits): from `ConsoleWrite`, in the writer's own time.
pub fn pump() {
    if let Some(mut guard) = PUMP.try_lock()
        && let Some(pump) = guard.as_mut()
    {
        feed(pump, arch::counter());
    }
}

/// An idle core, just before it sleeps: feeds the UART and, while output
/// is pending, arms its console tick (CNTP) to wake it when the FIFO has
/// room again. [`sleep`] disarms it on waking, so the tick only ever ends a
/// sleep and never interrupts a partition.
///
/// A core that finds another at the pump arms its tick too: the tick of
/// the core feeding now ends with that core's sleep (its boundary may take
/// it back to a partition at any moment), and the line must not then wait
/// for some core's next boundary. At most one feed per period happens;
/// the others find the FIFO full or the pump taken and sleep on.
fn idle() {
    let now = arch::counter();
    let period = match PUMP.try_lock() {
        Some(mut guard) => match guard.as_mut() {
            Some(pump) => feed(pump, now),
            None => return,
        },
        None => FEED_PERIOD.load(Ordering::Relaxed),
    };
    if period > 0 {
        // Not in the last character time before the core's next boundary:
        // the boundary wakes the core anyway, and a tick just before it
        // would only lengthen the boundary's path.
        let tick = now + period;
        let boundary = crate::timer::armed_deadline().0;
        if boundary <= now || tick + period / TICK_BYTES < boundary {
            crate::timer::arm_console_tick(tick);
        }
    }
}

/// An idle core's sleep: [`idle`], WFI until an interrupt is pending
/// (its boundary, an IPI, or its console tick), then the tick disarmed.
pub fn sleep() {
    idle();
    // The WFI itself, counted for the benchmark's per-core figure (a plain
    // WFI unless the statistics are on).
    crate::module::stats::wait_for_interrupt(arch::core_id());
    crate::timer::disarm_console_tick();
}

/// Gives each partition its ring: `sizes[p]` bytes of the pool (their sum
/// at most [`PARTITION_POOL`], checked by the host tool and the loader),
/// and the names for the prefix. Core 0, once, at load.
pub fn attach_partitions(sizes: &[usize], names: Names) -> Result<(), usize> {
    static POOL: Mutex<Option<&'static mut [u8; PARTITION_POOL]>> = Mutex::new(None);
    static mut STORAGE: [u8; PARTITION_POOL] = [0; PARTITION_POOL];
    let total: usize = sizes.iter().sum();
    if total > PARTITION_POOL || sizes.len() > MAX_PARTITIONS {
        return Err(total);
    }
    let mut pool = POOL.lock();
    if pool.is_none() {
        // SAFETY: the only reference to STORAGE ever made, under POOL's lock
        // and kept there; `attach_partitions` runs once.
        *pool = Some(unsafe { &mut *(&raw mut STORAGE).cast::<[u8; PARTITION_POOL]>() });
    }
    let Some(storage) = pool.take() else { return Err(total) };
    let mut rest: &'static mut [u8] = storage;
    for (p, &size) in sizes.iter().enumerate() {
        let (mine, more) = rest.split_at_mut(size);
        rest = more;
        *PARTITION_RINGS[p].lock() = Some(Ring::new(mine));
    }
    NAMES.call_once(|| names);
    Ok(())
}

/// The partition's console ring, for `ConsoleWrite` (its lock, held for the
/// copy of one call's lines).
pub fn partition_ring(partition: usize) -> MutexGuard<'static, Option<Ring<&'static mut [u8]>>> {
    PARTITION_RINGS[partition].lock()
}

/// The prefix of a partition thread's lines, `[partition:thread@core] `,
/// built once per `ConsoleWrite`.
pub struct Prefix {
    text: Line<PREFIX_LINE>,
    thread: u16,
    core: u8,
}

impl Prefix {
    pub fn new(partition: usize, thread: usize, core: usize) -> Self {
        let mut text = Line::new();
        if let Some(names) = NAMES.get() {
            let _ = write!(text, "[{}:{}@{core}] ", (names.partition)(partition), (names.thread)(thread));
        }
        Prefix { text, thread: thread as u16, core: core as u8 }
    }
}

/// Appends one line of a partition's thread to `ring`, with its prefix:
/// the ring holds what the line will take on the wire, so a partition's
/// `console_buffer` is its share of the line's time. `false` if it was
/// dropped (counted).
pub fn push_partition_line(ring: &mut Ring<&'static mut [u8]>, prefix: &Prefix, text: &[u8]) -> bool {
    // No sequence number: a partition's lines are ordered by its ring alone
    // (only the kernel's rings are merged by it).
    let header = Header { seq: 0, thread: prefix.thread, core: prefix.core };
    ring.push_parts(header, &[prefix.text.as_str().as_bytes(), text])
}

/// Appends a line the partition's thread made whole itself, without the
/// prefix (a `ConsoleFrame` line, which names its source in its own
/// format). `false` if it was dropped (counted).
pub fn push_raw_line(ring: &mut Ring<&'static mut [u8]>, thread: usize, core: usize, text: &[u8]) -> bool {
    let header = Header { seq: 0, thread: thread as u16, core: core as u8 };
    ring.push(header, text)
}

/// A kernel line about partition `partition` (a health event, a restart,
/// a report): into the partition's ring, in order with its own lines and
/// charged to its share. Never waits for the UART.
#[doc(hidden)]
pub fn _print_partition_line(partition: usize, args: fmt::Arguments) {
    let mut line = Line::new();
    let _ = line.write_fmt(args);
    push_kernel_line(&line, Some(partition));
}

/// Prints one whole line about partition `p` into its console share.
#[macro_export]
macro_rules! partition_println {
    ($p:expr, $($arg:tt)*) => { $crate::console::_print_partition_line($p, format_args!($($arg)*)) };
}

/// A kernel line: formatted on the stack, then copied into this core's
/// ring. Never waits for the UART.
#[doc(hidden)]
pub fn _print_line(args: fmt::Arguments) {
    let mut line = Line::new();
    let _ = line.write_fmt(args);
    push_kernel_line(&line, None);
}

/// Copies a kernel line (ending `... (N more bytes)` if it overflowed)
/// into `partition`'s ring if it has one, else into this core's ring.
fn push_kernel_line(line: &Line<KERNEL_LINE>, partition: Option<usize>) {
    let mut noted = Line::<STORED_LINE>::new();
    let text = if line.overflow == 0 {
        line.as_str()
    } else {
        let _ = write!(noted, "{line}");
        noted.as_str()
    };
    let irqs = arch::disable_irqs();
    let into_partition = partition
        .and_then(|p| PARTITION_RINGS.get(p))
        .is_some_and(|slot| slot.lock().as_mut().map(|ring| ring.push(kernel_header(), text.as_bytes())).is_some());
    if !into_partition {
        KERNEL_RINGS[arch::core_id()].lock().push(kernel_header(), text.as_bytes());
    }
    arch::restore_irqs(irqs);
}

/// Prints one whole line on the kernel console (buffered, never waits).
#[macro_export]
macro_rules! println {
    () => { $crate::console::_print_line(format_args!("")) };
    ($($arg:tt)*) => { $crate::console::_print_line(format_args!($($arg)*)) };
}

/// Writes a report of several lines, each a kernel line of this core, kept
/// together in its ring.
pub fn with_console<R>(f: impl FnOnce(&mut Lines) -> R) -> R {
    let mut lines = Lines { line: Line::new() };
    let r = f(&mut lines);
    if !lines.line.is_empty() || lines.line.overflow > 0 {
        lines.emit();
    }
    r
}

/// A multi-line kernel report: each `\n` ends a line.
pub struct Lines {
    line: Line<KERNEL_LINE>,
}

impl Lines {
    fn emit(&mut self) {
        push_kernel_line(&self.line, None);
        self.line.clear();
    }
}

impl fmt::Write for Lines {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut parts = s.split('\n');
        if let Some(first) = parts.next() {
            self.line.write_str(first)?;
        }
        for part in parts {
            self.emit();
            self.line.write_str(part)?;
        }
        Ok(())
    }
}

/// The console held for a fatal report: synchronous writes to the UART.
pub struct FatalConsole {
    guard: Option<MutexGuard<'static, Option<Pump>>>,
    irqs_were_enabled: bool,
}

impl fmt::Write for FatalConsole {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(pump) = self.guard.as_mut().and_then(|g| g.as_mut()) {
            for b in s.bytes() {
                if b == b'\n' {
                    write_blocking(&mut pump.uart, b'\r');
                }
                write_blocking(&mut pump.uart, b);
            }
        }
        Ok(())
    }
}

impl Drop for FatalConsole {
    fn drop(&mut self) {
        self.guard = None;
        arch::restore_irqs(self.irqs_were_enabled);
    }
}

/// Takes the console for a fatal report: waits a bounded time for the pump
/// (another core in a tick), then takes it regardless; writes out the line
/// under way and everything buffered, so the report comes after them.
pub fn lock_for_fatal() -> FatalConsole {
    let irqs_were_enabled = arch::disable_irqs();
    let mut guard = None;
    for _ in 0..10_000_000 {
        if let Some(g) = PUMP.try_lock() {
            guard = Some(g);
            break;
        }
        arch::spin_hint();
    }
    let guard = guard.unwrap_or_else(|| {
        // SAFETY: the holder is a core that stopped for good inside a tick
        // (it was halted, or faulted there): nothing will touch the pump
        // again from it, and a report that never prints is worse.
        unsafe { PUMP.force_unlock() };
        PUMP.lock()
    });
    let mut console = FatalConsole { guard: Some(guard), irqs_were_enabled };
    if let Some(pump) = console.guard.as_mut().and_then(|g| g.as_mut()) {
        pump.drain();
    }
    console
}

/// Writes out everything buffered, at the UART's speed: before a test
/// kernel ends the run (semihosting exit), or the module halts.
pub fn drain() {
    drop(lock_for_fatal());
}

/// Brings up the PL011 with the MMU off and prints `args` on it at once
/// (the wrong-EL report only: no atomics, no rings).
pub fn print_without_mmu(args: fmt::Arguments) {
    // SAFETY: with the MMU off every access is device-nGnRnE, so the UART
    // and GPIO registers are reachable; only core 0 runs this, and nothing
    // else uses the console afterwards (the core parks).
    let mut uart = unsafe {
        uart::route_pins();
        uart::console()
    };
    struct Raw<'a>(&'a mut Pl011<'static>);
    impl fmt::Write for Raw<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for b in s.bytes() {
                write_blocking(self.0, b);
            }
            Ok(())
        }
    }
    let _ = writeln!(Raw(&mut uart), "{args}\r");
}
