//! The QEMU test runner: boots an image under `timeout`, captures the
//! PL011, matches the expected lines in order, and fails with the captured
//! output and the first expectation that did not match.
//!
//! A test image may end QEMU itself with a status through semihosting
//! (`-semihosting`, test images only); any other image runs without
//! semihosting (a partition could otherwise end the emulator) and its test
//! ends when every expectation has matched, plus, where asked, a quiet
//! period in which nothing more may be printed (a halted module says
//! nothing). Two bounds keep a hung guest from hanging CI: the runner's
//! own deadline, and coreutils `timeout`, which kills QEMU even if the
//! runner itself dies.
use regex::Regex;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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
    /// QEMU is stopped at once.
    Stop,
    /// QEMU runs this long from its start (wall clock), every line read,
    /// then is stopped; an exit before then fails the run.
    For(Duration),
}

pub struct Run<'a> {
    pub image: &'a Path,
    pub semihosting: bool,
    /// `-icount shift=0,sleep=off`: one instruction = 1 ns, deterministic.
    pub icount: bool,
    pub timeout: Duration,
}

/// What a finished run printed.
pub struct Captured {
    pub lines: Vec<String>,
}

impl Captured {
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

enum Event {
    Line(String),
    Eof,
}

/// Stops QEMU. The child is `timeout`, which passes SIGTERM on to QEMU; a
/// SIGKILL would kill only `timeout` and leave QEMU running as an orphan.
fn stop(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

pub fn run(run: &Run, expects: &[Expect], ending: &Ending) -> Result<Captured, String> {
    let secs = run.timeout.as_secs().max(1);
    let mut cmd = Command::new("timeout");
    cmd.args(["--kill-after=5", &secs.to_string(), "qemu-system-aarch64"])
        .args(machine_args())
        .arg("-kernel")
        .arg(run.image)
        .args(["-display", "none", "-monitor", "none", "-serial", "stdio"]);
    if run.semihosting {
        cmd.arg("-semihosting");
    }
    if run.icount {
        cmd.args(ICOUNT);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot start QEMU under timeout: {e}"))?;

    let (tx, rx) = mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().expect("piped")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("piped")),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                let line = line.trim_end_matches('\r').to_string();
                if tx.send(Event::Line(line)).is_err() {
                    return;
                }
            }
            let _ = tx.send(Event::Eof);
        });
    }
    drop(tx);

    let started = Instant::now();
    let deadline = started + run.timeout;
    let mut lines: Vec<String> = Vec::new();
    let mut step = 0;
    let mut pending: Vec<bool> = Vec::new(); // for AllOf: which patterns still wait
    let mut open_streams = 2;
    let mut matched_at: Option<(Instant, usize)> = None;

    let fail = |lines: &[String], why: String| -> String {
        format!("{why}\n--- captured output ({} lines) ---\n{}\n--- end ---", lines.len(), lines.join("\n"))
    };

    loop {
        // What are we waiting for now?
        let wait_until = match (matched_at, ending) {
            (Some((t, _)), Ending::Quiet(q)) => (t + *q).min(deadline),
            (_, Ending::For(d)) => (started + *d).min(deadline),
            _ => deadline,
        };
        let now = Instant::now();
        let event = if open_streams == 0 || now >= wait_until {
            None
        } else {
            match rx.recv_timeout(wait_until - now) {
                Ok(e) => Some(e),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    open_streams = 0;
                    None
                }
            }
        };
        match event {
            Some(Event::Line(line)) => {
                if step < expects.len() {
                    match &expects[step] {
                        Expect::Line(r) => {
                            if r.is_match(&line) {
                                step += 1;
                            }
                        }
                        Expect::AllOf(rs) => {
                            if pending.is_empty() {
                                pending = vec![true; rs.len()];
                            }
                            if let Some(i) = rs.iter().enumerate().position(|(i, r)| pending[i] && r.is_match(&line)) {
                                pending[i] = false;
                            }
                            if pending.iter().all(|p| !p) {
                                pending.clear();
                                step += 1;
                            }
                        }
                    }
                    lines.push(line);
                    if step == expects.len() {
                        matched_at = Some((Instant::now(), lines.len()));
                        if matches!(ending, Ending::Stop) {
                            stop(&mut child);
                            return Ok(Captured { lines });
                        }
                    }
                } else {
                    lines.push(line);
                    if matches!(ending, Ending::Quiet(_)) {
                        stop(&mut child);
                        return Err(fail(
                            &lines,
                            "output continued after the last expected line; expected silence".into(),
                        ));
                    }
                }
            }
            Some(Event::Eof) => open_streams -= 1,
            None => {
                // Timed out waiting, or QEMU closed its output.
                if open_streams == 0 || Instant::now() >= wait_until {
                    break;
                }
            }
        }
    }

    let status = if open_streams == 0 {
        child.wait().ok()
    } else {
        stop(&mut child);
        None
    };
    if step < expects.len() {
        let why = if open_streams == 0 {
            format!(
                "QEMU exited ({}) before printing {}",
                status.map(|s| s.to_string()).unwrap_or_default(),
                expects[step].describe()
            )
        } else {
            format!("timed out after {} s waiting for {}", run.timeout.as_secs(), expects[step].describe())
        };
        return Err(fail(&lines, why));
    }
    match ending {
        Ending::Exit(code) => match status.and_then(|s| s.code()) {
            Some(c) if c == *code => Ok(Captured { lines }),
            Some(124) | Some(137) => Err(fail(&lines, "QEMU was killed by timeout before it exited".into())),
            Some(c) => Err(fail(&lines, format!("QEMU exited with status {c}, expected {code}"))),
            None => Err(fail(
                &lines,
                format!("QEMU did not exit within {} s (expected status {code})", run.timeout.as_secs()),
            )),
        },
        Ending::For(d) if open_streams == 0 => Err(fail(
            &lines,
            format!(
                "QEMU exited ({}) before the {} s it should run",
                status.map(|s| s.to_string()).unwrap_or_default(),
                d.as_secs()
            ),
        )),
        Ending::Quiet(_) | Ending::Stop | Ending::For(_) => Ok(Captured { lines }),
    }
}
