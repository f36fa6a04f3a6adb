//! The QEMU test runner: boots an image under `timeout`, captures the
//! PL011, matches the expected lines in order, and fails with the captured
//! output and the first expectation that did not match.
//!
//! Every line of the run is read and judged, not only up to the last
//! match: a line no expectation consumed that matches a forbidden pattern
//! ([`Forbid`]: by default any `health:` line, `ISOLATION FAILURE`, a kernel
//! panic or an EL2 fatal dump) fails the run at once, and a QEMU that exits
//! when the test did not ask it to fails it too.
//!
//! A test image may end QEMU itself with a status through semihosting
//! (`-semihosting`, test images only); any other image runs without
//! semihosting (a partition could otherwise end the emulator) and its test
//! ends when every expectation has matched, plus, where asked, a quiet
//! period in which nothing more may be printed (a halted module says
//! nothing). Two bounds keep a hung guest from hanging CI: the runner's
//! own deadline, and coreutils `timeout`, which kills QEMU even if the
//! runner itself dies.
//!
//! The trace port (the mini UART, QEMU's `serial1`) is captured to a second
//! file. The traced kernels send their switch records there as defmt
//! frames; the runner decodes them as they come, with the `.defmt` table
//! of the image's kernel ELF, into the same `trace:` lines a text trace
//! would hold, and merges them into the captured output. A frame that
//! does not decode becomes a line `*** trace port: ...` saying where and
//! why, which is forbidden: the test fails, nothing is skipped.
//!
//! A test of a partition that owns the mini UART (a `[[partition.device]]`
//! of its description) runs the product kernel, which leaves the port
//! alone, and gives [`Run::serial1_input`]: QEMU reads the bytes from a
//! file as the UART takes them (`-chardev file,...,input-path=`), and what
//! the guest sends comes back raw in [`Captured::serial1`], not decoded.
use regex::Regex;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bulkhead::trace_port::PortDecoder;

/// The machine every test and `make run` use.
pub fn machine_args() -> Vec<String> {
    ["-M", "raspi4b"].iter().map(|s| s.to_string()).collect()
}

/// Deterministic virtual time: one instruction advances the clock by 1 ns
/// (`shift=0`), and when every vCPU waits the clock jumps to the next timer
/// deadline (`sleep=off`). The four vCPUs then share one clock and one host
/// thread, so a busy host cannot make the module miss its boundaries, and
/// a run repeats exactly. `sleep=on` is no substitute: it advances the
/// clock by host time while the vCPUs sleep, and a host that wakes QEMU
/// late carries the module past its boundaries.
pub const ICOUNT: [&str; 2] = ["-icount", "shift=0,sleep=off"];

/// One step of the expected console output.
pub enum Expect {
    /// A line matching this pattern, after the previous step's match.
    Line(Regex),
    /// Lines matching each of these, in any order, all after the previous step.
    AllOf(Vec<Regex>),
}

impl Expect {
    pub fn line(pattern: &str) -> Self {
        Expect::Line(Regex::new(pattern).expect("test pattern is a valid regex"))
    }
    pub fn all_of(patterns: &[&str]) -> Self {
        Expect::AllOf(patterns.iter().map(|p| Regex::new(p).expect("test pattern is a valid regex")).collect())
    }
    fn describe(&self) -> String {
        match self {
            Expect::Line(r) => format!("a line matching /{r}/"),
            Expect::AllOf(rs) => {
                format!("lines matching all of {}", rs.iter().map(|r| format!("/{r}/")).collect::<Vec<_>>().join(", "))
            }
        }
    }
}

/// How a run ends once every expectation has matched.
pub enum Ending {
    /// QEMU must exit by itself (semihosting) with this status.
    Exit(i32),
    /// Nothing more may be printed for this long; then QEMU is stopped.
    Quiet(Duration),
    /// The run goes on this long (wall clock) after the last match, every
    /// line read and judged against the forbidden patterns; then QEMU is
    /// stopped. An exit before then fails the run.
    Settle(Duration),
    /// QEMU runs this long from its start (wall clock), every line read,
    /// then is stopped; an exit before then fails the run.
    For(Duration),
}

/// How long a [`Ending::Settle`] run goes on after its last match by
/// default: long enough for a fault, a health event or a stray line that
/// follows the last expected one to show.
pub const SETTLE: Duration = Duration::from_millis(500);

/// Lines that must never appear unless an expectation consumes them (a
/// test that expects a `health:` line names it) or the test allows them.
pub struct Forbid {
    pub forbid: Vec<Regex>,
    pub allow: Vec<Regex>,
}

/// What no test may print unless it says so: a health event (a fault, a
/// stop, a restart, a missed boundary), a hostile partition's proof that
/// isolation failed, a kernel panic or an EL2 fatal dump, console output
/// dropped.
pub const FORBIDDEN_BY_DEFAULT: &[&str] = &[
    r"^health:",
    r"ISOLATION FAILURE",
    r"^\*\*\* kernel panic",
    r"^\*\*\* EL2 exception",
    r"^core \d: halted by core",
    // Console output dropped for want of buffer room: unexpected anywhere
    // but in a test that floods the console on purpose.
    r"^\[console\] ",
    // A trace port frame that did not decode (or a kernel ELF without the
    // table to decode it with).
    r"^\*\*\* trace port: ",
];

impl Forbid {
    /// The default set, less nothing, plus `allow` exceptions.
    pub fn defaults(allow: &[&str]) -> Self {
        let re = |p: &&str| Regex::new(p).expect("forbid pattern is a valid regex");
        Forbid { forbid: FORBIDDEN_BY_DEFAULT.iter().map(re).collect(), allow: allow.iter().map(re).collect() }
    }
    /// The forbidden pattern `line` matches, if it is not allowed.
    pub fn hit(&self, line: &str) -> Option<&Regex> {
        if self.allow.iter().any(|a| a.is_match(line)) {
            return None;
        }
        self.forbid.iter().find(|f| f.is_match(line))
    }
}

pub struct Run<'a> {
    pub image: &'a Path,
    /// The ELF of the kernel in `image`: its defmt table decodes the
    /// trace port.
    pub kernel_elf: &'a Path,
    /// A device tree for QEMU to load and pass in x0 (`-dtb`), as the Pi's
    /// firmware passes its own; without one x0 holds 0x100.
    pub dtb: Option<&'a Path>,
    pub semihosting: bool,
    /// `-icount shift=0,sleep=off`: one instruction = 1 ns, deterministic.
    pub icount: bool,
    pub timeout: Duration,
    /// More QEMU options, after the machine's: the Pi 4's hardware where
    /// QEMU can model it ([`SECURE_GIC`], [`PI4_COUNTER`]).
    pub qemu_args: &'a [&'a str],
    /// `None`: serial1 (the mini UART) is the trace port. `Some(bytes)`:
    /// it is a partition's device, fed `bytes` as input (an 8-byte FIFO
    /// at a time, as the guest reads them), its output kept raw in
    /// [`Captured::serial1`].
    pub serial1_input: Option<&'a [u8]>,
}

/// A GIC-400 with the Security Extensions, as on a Pi 4: QEMU's `raspi4b`
/// leaves them out unless asked. The raw image then starts with every
/// interrupt in group 1 and the mask open to non-secure writes (QEMU acts
/// as the firmware, `arm_gic_common_linux_init`), as the Pi's armstub
/// leaves them; an ELF starts with the GIC's reset state, which the
/// kernel's EL3 code sets up the same way.
pub const SECURE_GIC: [&str; 2] = ["-global", "arm_gic.has-security-extensions=on"];

/// The Pi 4's counter frequency, 54 MHz, in CNTFRQ_EL0 (QEMU's default is
/// 62.5 MHz). QEMU advances the counter every whole nanosecond period,
/// `1e9 / cntfrq` truncated: 18 ns here, so under icount the counter runs
/// 1/18 ns = 55.6 MHz of virtual time while CNTFRQ says 54 MHz. The kernel
/// knows time only from CNTFRQ and the count, so its arithmetic runs at
/// 54 MHz (a tick of 18.518.. ns); only its ratio to QEMU's virtual
/// nanoseconds is off by 2.9%, which no test reads.
pub const PI4_COUNTER: [&str; 2] = ["-global", "cortex-a72-arm-cpu.cntfrq=54000000"];

/// Both: as close to a Pi 4 as QEMU's `raspi4b` gets.
pub const PI4: [&str; 4] = [SECURE_GIC[0], SECURE_GIC[1], PI4_COUNTER[0], PI4_COUNTER[1]];

/// What a finished run printed.
#[derive(Debug)]
pub struct Captured {
    pub lines: Vec<String>,
    /// The trace port frames among `lines`, and the bytes they took on the
    /// port.
    pub trace_port: PortCount,
    /// What the guest sent on serial1, raw, when it was a partition's
    /// device ([`Run::serial1_input`]); empty otherwise.
    pub serial1: Vec<u8>,
}

/// Frames decoded from the trace port and their bytes on the wire.
#[derive(Debug, Default, Clone, Copy)]
pub struct PortCount {
    pub frames: usize,
    pub bytes: usize,
}

impl Captured {
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

enum Event {
    Line(String),
    /// A file's last line without its newline, at the file's end: whole
    /// if the guest wrote it last before it exited, cut off if QEMU was
    /// stopped in the middle of it.
    Unterminated(String),
    /// A decoded trace port frame and the bytes it took.
    Frame(String, usize),
    Eof,
}

/// What a captured file holds, and how it becomes lines.
pub enum Stream {
    /// Text, one line per `\n`.
    Text,
    /// The trace port: defmt frames, decoded with this kernel ELF's table.
    TracePort(PathBuf),
}

/// Stops QEMU. The child is `timeout`, which passes SIGTERM on to QEMU; a
/// SIGKILL would kill only `timeout` and leave QEMU running as an orphan.
fn stop(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

/// An event's line, counting a trace port frame in `port`; `None` for the
/// end of a stream, counted off `open`, and for an unterminated last line
/// unless `whole` (QEMU exited by itself: nothing cut it off).
fn take(event: Event, port: &mut PortCount, open: &mut usize, whole: bool) -> Option<String> {
    match event {
        Event::Line(line) => Some(line),
        Event::Unterminated(line) => whole.then_some(line),
        Event::Frame(line, bytes) => {
            port.frames += 1;
            port.bytes += bytes;
            Some(line)
        }
        Event::Eof => {
            *open -= 1;
            None
        }
    }
}

/// How long the output still in the readers may take to arrive once QEMU
/// is stopped (it is all written by then: this bounds a stuck reader).
const DRAIN: Duration = Duration::from_secs(30);

/// Feeds `line` to the current step; true if the line was consumed by it.
/// `pending` holds, for an [`Expect::AllOf`] step, which patterns still
/// wait; the step is done when `step` advances.
fn consume(expect: &Expect, line: &str, pending: &mut Vec<bool>, step: &mut usize) -> bool {
    match expect {
        Expect::Line(r) => {
            let hit = r.is_match(line);
            if hit {
                *step += 1;
            }
            hit
        }
        Expect::AllOf(rs) => {
            if pending.is_empty() {
                *pending = vec![true; rs.len()];
            }
            let Some(i) = rs.iter().enumerate().position(|(i, r)| pending[i] && r.is_match(line)) else {
                return false;
            };
            pending[i] = false;
            if pending.iter().all(|p| !p) {
                pending.clear();
                *step += 1;
            }
            true
        }
    }
}

pub fn run(run: &Run, expects: &[Expect], ending: &Ending, forbid: &Forbid) -> Result<Captured, String> {
    // The PL011 goes to a file, not a pipe: QEMU's PL011 holds its TX FIFO
    // full while a pipe's reader lags, and under -icount the guest would
    // then spin for it in virtual time, so a loaded host would change what
    // the module does. A file always takes the bytes at once.
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let console = std::env::temp_dir().join(format!(
        "bulkhead-console-{}-{}.log",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    // The trace port (the mini UART, `serial1`): the traced kernel's switch
    // records, apart from the console's 115200-baud pace.
    let trace = console.with_extension("trace");
    // Or a partition's UART: its input, and its output kept raw.
    let serial1_in = console.with_extension("serial1-in");
    let _ = std::fs::remove_file(&console);
    let _ = std::fs::remove_file(&trace);
    let secs = run.timeout.as_secs().max(1);
    let mut cmd = Command::new("timeout");
    cmd.args(["--kill-after=5", &secs.to_string(), "qemu-system-aarch64"])
        .args(machine_args())
        .arg("-kernel")
        .arg(run.image)
        .args(["-display", "none", "-monitor", "none", "-serial"])
        .arg(format!("file:{}", console.display()));
    if let Some(input) = run.serial1_input {
        std::fs::write(&serial1_in, input).map_err(|e| format!("cannot write {}: {e}", serial1_in.display()))?;
        // QEMU's file backend reads `input-path` only as fast as the UART
        // takes bytes (its FIFO's free room), and writes `path`.
        cmd.arg("-chardev")
            .arg(format!("file,id=serial1,path={},input-path={}", trace.display(), serial1_in.display()))
            .args(["-serial", "chardev:serial1"]);
    } else {
        cmd.arg("-serial").arg(format!("file:{}", trace.display()));
    }
    if let Some(dtb) = run.dtb {
        cmd.arg("-dtb").arg(dtb);
    }
    if run.semihosting {
        cmd.arg("-semihosting");
    }
    if run.icount {
        cmd.args(ICOUNT);
    }
    cmd.args(run.qemu_args);
    let mut files = vec![(console.clone(), Stream::Text)];
    if run.serial1_input.is_none() {
        files.push((trace.clone(), Stream::TracePort(run.kernel_elf.to_path_buf())));
    }
    let result = watch(cmd, &files, run.timeout, expects, ending, forbid).and_then(|mut captured| {
        if run.serial1_input.is_some() {
            // QEMU is gone (or stopped): the file holds all it wrote.
            captured.serial1 =
                std::fs::read(&trace).map_err(|e| format!("cannot read serial1's output {}: {e}", trace.display()))?;
        }
        Ok(captured)
    });
    let _ = std::fs::remove_file(&console);
    let _ = std::fs::remove_file(&trace);
    let _ = std::fs::remove_file(&serial1_in);
    result
}

/// Turns a captured file's bytes into events, as they come.
trait Reader: Send {
    /// The events for `bytes`, the next ones of the file.
    fn read(&mut self, bytes: &[u8], out: &mut Vec<Event>);
    /// The events for what is left once the writer is gone.
    fn end(&mut self, out: &mut Vec<Event>);
}

/// Lines of text; a last line without its newline is sent at the end.
#[derive(Default)]
struct TextReader {
    pending: Vec<u8>,
}

fn text_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim_end_matches('\r').to_string()
}

impl Reader for TextReader {
    fn read(&mut self, bytes: &[u8], out: &mut Vec<Event>) {
        self.pending.extend_from_slice(bytes);
        while let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            out.push(Event::Line(text_line(&line[..i])));
        }
    }

    fn end(&mut self, out: &mut Vec<Event>) {
        if !self.pending.is_empty() {
            out.push(Event::Unterminated(text_line(&self.pending)));
        }
    }
}

/// The trace port: defmt frames decoded with the kernel ELF's table
/// (`bulkhead::trace_port`), loaded when the first byte arrives (most
/// images never write the port). Whatever cannot be decoded becomes a
/// `*** trace port: ` line, which [`FORBIDDEN_BY_DEFAULT`] fails.
struct PortReader {
    kernel_elf: PathBuf,
    decoder: Option<Result<PortDecoder, ()>>,
}

impl PortReader {
    fn new(kernel_elf: PathBuf) -> Self {
        PortReader { kernel_elf, decoder: None }
    }
}

impl Reader for PortReader {
    fn read(&mut self, bytes: &[u8], out: &mut Vec<Event>) {
        if bytes.is_empty() {
            return;
        }
        let elf = &self.kernel_elf;
        let decoder = self.decoder.get_or_insert_with(|| {
            let name = elf.display().to_string();
            let decoder = std::fs::read(elf)
                .map_err(|e| format!("cannot read the kernel ELF {name}: {e}"))
                .and_then(|bytes| PortDecoder::from_elf(&name, &bytes));
            decoder.map_err(|e| out.push(Event::Line(format!("*** trace port: {e}"))))
        });
        let Ok(decoder) = decoder else { return };
        decoder.push(bytes);
        while let Some(frame) = decoder.next_frame() {
            out.push(match frame {
                Ok(frame) => Event::Frame(frame.line, frame.wire_bytes),
                Err(e) => Event::Line(format!("*** trace port: {e}")),
            });
        }
    }

    fn end(&mut self, out: &mut Vec<Event>) {
        if let Some(Ok(decoder)) = &self.decoder
            && decoder.unfinished() > 0
        {
            // QEMU stopped while the kernel was sending: not an error, as a
            // console's unfinished last line is not.
            out.push(Event::Line(format!(
                "trace port: ends inside a frame ({} bytes from byte {}), not decoded",
                decoder.unfinished(),
                decoder.offset()
            )));
        }
    }
}

/// Sends the events of what is written to `path` as it comes, until
/// `exited` says the writer is gone; then the rest, and `Eof`.
fn tail(path: PathBuf, mut reader: Box<dyn Reader>, exited: Arc<AtomicBool>, tx: mpsc::Sender<Event>) {
    let mut file = None;
    let mut chunk = [0u8; 8192];
    let mut events = Vec::new();
    loop {
        let done = exited.load(Ordering::Acquire);
        if file.is_none() {
            file = std::fs::File::open(&path).ok();
        }
        let n = file.as_mut().map_or(0, |f| f.read(&mut chunk).unwrap_or(0));
        reader.read(&chunk[..n], &mut events);
        if n == 0 && done {
            reader.end(&mut events);
            events.push(Event::Eof);
        }
        for event in events.drain(..) {
            if tx.send(event).is_err() {
                return;
            }
        }
        if n == 0 {
            if done {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Runs `cmd` (QEMU under `timeout`, or a stand-in in the runner's own
/// tests) and judges its output as [`run`] describes.
fn watch(
    mut cmd: Command,
    files: &[(PathBuf, Stream)],
    timeout: Duration,
    expects: &[Expect],
    ending: &Ending,
    forbid: &Forbid,
) -> Result<Captured, String> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot start QEMU under timeout: {e}"))?;

    let (tx, rx) = mpsc::channel();
    // Both pipes at EOF: the process (and QEMU under `timeout`) is gone.
    let closed = Arc::new(AtomicUsize::new(0));
    let exited = Arc::new(AtomicBool::new(false));
    for stream in [
        Box::new(child.stdout.take().expect("piped")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("piped")),
    ] {
        let (tx, closed, exited) = (tx.clone(), closed.clone(), exited.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                let line = line.trim_end_matches('\r').to_string();
                if tx.send(Event::Line(line)).is_err() {
                    break;
                }
            }
            if closed.fetch_add(1, Ordering::AcqRel) + 1 == 2 {
                exited.store(true, Ordering::Release);
            }
            let _ = tx.send(Event::Eof);
        });
    }
    let mut open_streams = 2;
    for (path, stream) in files {
        let reader: Box<dyn Reader> = match stream {
            Stream::Text => Box::new(TextReader::default()),
            Stream::TracePort(elf) => Box::new(PortReader::new(elf.clone())),
        };
        let (tx, path, exited) = (tx.clone(), path.clone(), exited.clone());
        std::thread::spawn(move || tail(path, reader, exited, tx));
        open_streams += 1;
    }
    drop(tx);

    let started = Instant::now();
    let deadline = started + timeout;
    let mut lines: Vec<String> = Vec::new();
    let mut trace_port = PortCount::default();
    let mut step = 0;
    let mut pending: Vec<bool> = Vec::new(); // for AllOf: which patterns still wait
    // With nothing to expect, the ending's clock starts at once.
    let mut matched_at: Option<Instant> = expects.is_empty().then_some(started);

    let fail = |lines: &[String], why: String| -> String {
        format!("{why}\n--- captured output ({} lines) ---\n{}\n--- end ---", lines.len(), lines.join("\n"))
    };

    loop {
        // What are we waiting for now?
        let wait_until = match (matched_at, ending) {
            (Some(t), Ending::Quiet(d) | Ending::Settle(d)) => (t + *d).min(deadline),
            (_, Ending::For(d)) => (started + *d).min(deadline),
            _ => deadline,
        };
        let now = Instant::now();
        if open_streams == 0 || now >= wait_until {
            break;
        }
        let line = match rx.recv_timeout(wait_until - now) {
            Ok(event) => match take(event, &mut trace_port, &mut open_streams, true) {
                Some(line) => line,
                None => continue,
            },
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                open_streams = 0;
                continue;
            }
        };
        let consumed = step < expects.len() && consume(&expects[step], &line, &mut pending, &mut step);
        lines.push(line);
        let line = lines.last().map(String::as_str).unwrap_or_default();
        if !consumed && let Some(pattern) = forbid.hit(line) {
            stop(&mut child);
            return Err(fail(&lines, format!("a forbidden line (/{pattern}/): {line}")));
        }
        if step == expects.len() {
            if matched_at.is_none() {
                matched_at = Some(Instant::now());
            } else if !consumed && matches!(ending, Ending::Quiet(_)) {
                stop(&mut child);
                return Err(fail(&lines, "output continued after the last expected line; expected silence".into()));
            }
        }
    }

    // Every stream ended before the ending or the deadline: QEMU exited by
    // itself.
    let exited_itself = open_streams == 0;
    let status = if exited_itself {
        child.wait().ok()
    } else {
        stop(&mut child);
        // What the readers had not passed on yet when QEMU was stopped (a
        // trace port reader still loading the kernel ELF's defmt table, a
        // loaded machine): every stream is read to its end, so the run's
        // record is whole. They came after the run settled (or timed out),
        // perhaps cut off mid-line by the stop, so they are recorded but not
        // judged, as before.
        let drain_until = Instant::now() + DRAIN;
        while open_streams > 0 {
            let Some(left) = drain_until.checked_duration_since(Instant::now()) else { break };
            match rx.recv_timeout(left) {
                // A line QEMU's stop cut off is no line: left out.
                Ok(event) => lines.extend(take(event, &mut trace_port, &mut open_streams, false)),
                Err(_) => break,
            }
        }
        None
    };
    let status_text = || status.map(|s| s.to_string()).unwrap_or_default();
    if step < expects.len() {
        let why = if exited_itself {
            format!("QEMU exited ({}) before printing {}", status_text(), expects[step].describe())
        } else {
            format!("timed out after {} s waiting for {}", timeout.as_secs(), expects[step].describe())
        };
        return Err(fail(&lines, why));
    }
    match ending {
        Ending::Exit(code) => match status.and_then(|s| s.code()) {
            Some(c) if c == *code => Ok(Captured { lines, trace_port, serial1: Vec::new() }),
            Some(124) | Some(137) => Err(fail(&lines, "QEMU was killed by timeout before it exited".into())),
            Some(c) => Err(fail(&lines, format!("QEMU exited with status {c}, expected {code}"))),
            None => {
                Err(fail(&lines, format!("QEMU did not exit within {} s (expected status {code})", timeout.as_secs())))
            }
        },
        Ending::Quiet(_) | Ending::Settle(_) | Ending::For(_) if exited_itself => Err(fail(
            &lines,
            format!("QEMU exited ({}) by itself; the test expected it to keep running until stopped", status_text()),
        )),
        Ending::Quiet(_) | Ending::Settle(_) | Ending::For(_) => {
            Ok(Captured { lines, trace_port, serial1: Vec::new() })
        }
    }
}

#[cfg(test)]
mod tests {
    //! The runner judged on stand-ins for QEMU: `sh` printing lines.
    use super::*;

    /// A "guest" that prints `lines` (one per `\n`), then sleeps `then`
    /// seconds (or exits with status 0 if `then` is `None`).
    fn guest(lines: &str, then: Option<u32>) -> Command {
        let mut cmd = Command::new("sh");
        let tail = then.map_or("exit 0".to_string(), |s| format!("exec sleep {s}"));
        cmd.args(["-c", &format!("printf '{lines}'; {tail}")]);
        cmd
    }

    fn judge(cmd: Command, expects: &[Expect], ending: &Ending, allow: &[&str]) -> Result<Captured, String> {
        watch(cmd, &[], Duration::from_secs(10), expects, ending, &Forbid::defaults(allow))
    }

    const SHORT: Duration = Duration::from_millis(300);

    #[test]
    fn expected_lines_in_order_pass_and_others_are_skipped() {
        let out = judge(
            guest("boot\\nnoise\\nready\\n", Some(5)),
            &[Expect::line("^boot$"), Expect::line("^ready$")],
            &Ending::Settle(SHORT),
            &[],
        )
        .unwrap();
        assert_eq!(out.lines, ["boot", "noise", "ready"]);
    }

    #[test]
    fn a_forbidden_line_fails_even_after_the_last_match() {
        for bad in [
            "health: core 1: missed 3 window boundaries",
            "[p:t@0] p: ISOLATION FAILURE: read 0x1",
            "*** kernel panic on core 0 at x.rs:1:1: boom",
            "*** EL2 exception on core 2: Data Abort",
        ] {
            let e = judge(
                guest(&format!("ready\\n{bad}\\n"), Some(5)),
                &[Expect::line("^ready$")],
                &Ending::Settle(Duration::from_secs(2)),
                &[],
            )
            .unwrap_err();
            assert!(e.starts_with("a forbidden line ("), "{e}");
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn an_expected_health_line_is_consumed_and_an_allowed_one_passes() {
        let lines = "health: partition p stopped\\nhealth: partition p restarted (restart 2)\\n";
        let e =
            judge(guest(lines, Some(5)), &[Expect::line("^health: partition p stopped$")], &Ending::Settle(SHORT), &[])
                .unwrap_err();
        assert!(e.contains("a forbidden line (/^health:/): health: partition p restarted (restart 2)"), "{e}");
        judge(
            guest(lines, Some(5)),
            &[Expect::line("^health: partition p stopped$")],
            &Ending::Settle(SHORT),
            &[r"^health: partition p restarted"],
        )
        .unwrap();
    }

    #[test]
    fn an_exit_nobody_asked_for_fails_every_ending_but_exit() {
        for ending in [
            Ending::Settle(Duration::from_secs(2)),
            Ending::Quiet(Duration::from_secs(2)),
            Ending::For(Duration::from_secs(2)),
        ] {
            let e = judge(guest("ready\\n", None), &[Expect::line("^ready$")], &ending, &[]).unwrap_err();
            assert!(e.contains("by itself; the test expected it to keep running"), "{e}");
        }
        judge(guest("ready\\n", None), &[Expect::line("^ready$")], &Ending::Exit(0), &[]).unwrap();
    }

    #[test]
    fn quiet_means_no_line_at_all_after_the_last_match() {
        let e = judge(guest("halted\\nheartbeat\\n", Some(5)), &[Expect::line("^halted$")], &Ending::Quiet(SHORT), &[])
            .unwrap_err();
        assert!(e.contains("expected silence"), "{e}");
        judge(guest("halted\\n", Some(5)), &[Expect::line("^halted$")], &Ending::Quiet(SHORT), &[]).unwrap();
    }

    #[test]
    fn console_lines_are_read_from_the_file_the_guest_writes() {
        let path = std::env::temp_dir().join(format!("xtask-console-test-{}.log", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(format!(
            "printf 'boot\\n' > {p}; sleep 0.2; printf 'ready\\nhealth: core 0: missed 1' >> {p}; exec sleep 5",
            p = path.display()
        ));
        let e = watch(
            cmd,
            &[(path.clone(), Stream::Text)],
            Duration::from_secs(10),
            &[Expect::line("^boot$"), Expect::line("^ready$")],
            &Ending::Settle(Duration::from_millis(300)),
            &Forbid::defaults(&[]),
        );
        // The unfinished last line is judged only once the guest is gone by
        // itself; here the run settles and stops it first: the line, cut
        // off for all the runner knows, is left out.
        assert_eq!(e.unwrap().lines, ["boot", "ready"]);
        // A fresh file, as `run` starts every QEMU with.
        let _ = std::fs::remove_file(&path);
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("printf 'ready\\nhealth: core 0: missed 1\\n' > {p}; exec sleep 5", p = path.display()));
        let e = watch(
            cmd,
            &[(path.clone(), Stream::Text)],
            Duration::from_secs(10),
            &[Expect::line("^ready$")],
            &Ending::Settle(Duration::from_secs(2)),
            &Forbid::defaults(&[]),
        )
        .unwrap_err();
        assert!(e.starts_with("a forbidden line (/^health:/)"), "{e}");
        let _ = std::fs::remove_file(&path);
    }

    /// A guest that writes `bytes` to `trace` (the trace port's file), then
    /// prints `ready` and sleeps; the runner decodes the port with the
    /// fixture table written to `elf`.
    fn port_run(name: &str, bytes: &[u8]) -> Result<Captured, String> {
        use bulkhead::trace_port::fixture::{KERNEL_STRINGS, table_elf};
        let dir = std::env::temp_dir().join(format!("xtask-port-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (trace, elf, written) = (dir.join("trace"), dir.join("kernel.elf"), dir.join("frames"));
        std::fs::write(&elf, table_elf(KERNEL_STRINGS, "rzcobs")).unwrap();
        std::fs::write(&written, bytes).unwrap();
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(format!(
            "cat {} > {}; sleep 0.2; printf 'ready\\n'; exec sleep 5",
            written.display(),
            trace.display()
        ));
        let result = watch(
            cmd,
            &[(trace.clone(), Stream::TracePort(elf.clone()))],
            Duration::from_secs(10),
            &[Expect::line(r"^trace: 1 5 0/0/0 0 0 boundary 4 6$"), Expect::line("^ready$")],
            &Ending::Settle(SHORT),
            &Forbid::defaults(&[]),
        );
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    #[test]
    fn trace_port_frames_become_trace_lines_and_are_counted() {
        use bulkhead::trace_port::fixture::{record, rzcobs_frame};
        let frame = rzcobs_frame(&record(1, 5, (0, 0, 0), (0, 0), 10, 4, 6));
        let stream = [vec![0], frame.clone(), frame.clone()].concat();
        let out = port_run("good", &stream).unwrap();
        let traced: Vec<&String> = out.lines.iter().filter(|l| l.starts_with("trace: ")).collect();
        assert_eq!(traced, ["trace: 1 5 0/0/0 0 0 boundary 4 6"; 2]);
        assert_eq!((out.trace_port.frames, out.trace_port.bytes), (2, stream.len()));
    }

    #[test]
    fn an_undecodable_trace_port_frame_fails_the_run() {
        use bulkhead::trace_port::fixture::{record, rzcobs_frame};
        let good = rzcobs_frame(&record(1, 5, (0, 0, 0), (0, 0), 10, 4, 6));
        // A frame naming message 0x99, which the table does not have.
        let stream = [good.clone(), rzcobs_frame(&[0x99, 0x00, 1, 2]), good].concat();
        let e = port_run("corrupt", &stream).unwrap_err();
        assert!(e.starts_with("a forbidden line (/^\\*\\*\\* trace port: /): *** trace port: the frame at byte 14 (4 bytes) does not decode: message index 153 is not in the kernel's defmt table"), "{e}");
    }

    /// A raw image that echoes the mini UART by polling, on core 0
    /// (the others wait): `ldr w2, [AUX_MU_LSR]; tbz w2, #0; ldr w3,
    /// [AUX_MU_IO]; str w3, [AUX_MU_IO]` in a loop, assembled by llvm-mc.
    const POLLING_ECHO: [u8; 48] = [
        0xa0, 0x00, 0x38, 0xd5, 0x00, 0x04, 0x40, 0x92, 0x00, 0x01, 0x00, 0xb5, 0x01, 0x00, 0x8a, 0xd2, 0x21, 0xc4,
        0xbf, 0xf2, 0x22, 0x54, 0x40, 0xb9, 0xe2, 0xff, 0x07, 0x36, 0x23, 0x40, 0x40, 0xb9, 0x23, 0x40, 0x00, 0xb9,
        0xfc, 0xff, 0xff, 0x17, 0x5f, 0x20, 0x03, 0xd5, 0xff, 0xff, 0xff, 0x17,
    ];

    #[test]
    fn serial1_input_reaches_the_guest_and_its_output_comes_back_raw() {
        if Command::new("qemu-system-aarch64").arg("--version").output().is_err() {
            eprintln!("no qemu-system-aarch64: skipped");
            return;
        }
        let dir = std::env::temp_dir().join(format!("xtask-serial1-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let image = dir.join("echo.img");
        std::fs::write(&image, POLLING_ECHO).unwrap();
        // Every byte value, more than the UART's 8-byte FIFO at once.
        let input: Vec<u8> = (0..=255u8).chain(b"end\n".iter().copied()).collect();
        let run = Run {
            image: &image,
            kernel_elf: &image,
            dtb: None,
            semihosting: false,
            icount: true,
            timeout: Duration::from_secs(20),
            qemu_args: &[],
            serial1_input: Some(&input),
        };
        let out = super::run(&run, &[], &Ending::For(Duration::from_secs(2)), &Forbid::defaults(&[]));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(out.unwrap().serial1, input);
    }

    #[test]
    fn all_of_takes_its_lines_in_any_order() {
        judge(
            guest("b\\na\\nc\\n", Some(5)),
            &[Expect::all_of(&["^a$", "^b$"]), Expect::line("^c$")],
            &Ending::Settle(SHORT),
            &[],
        )
        .unwrap();
        let e = judge(
            guest("a\\nc\\n", None),
            &[Expect::all_of(&["^a$", "^b$"]), Expect::line("^c$")],
            &Ending::Settle(SHORT),
            &[],
        )
        .unwrap_err();
        assert!(e.contains("before printing lines matching all of /^a$/, /^b$/"), "{e}");
    }
}
