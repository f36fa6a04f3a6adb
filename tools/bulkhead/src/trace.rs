//! `bulkhead trace`: decode the kernel's switch trace from a console log and
//! rebuild what each core really ran, against the plan.
//!
//! Where it sits: the host side of `kernel/src/module/trace.rs`, whose header
//! defines the line format read here:
//!
//! ```text
//! trace: begin <module> freq=<counter Hz> epoch=<ticks> cores=<n> schedule=<initial index>
//! trace: <core> <ticks> <schedule>/<frame>/<entry> <partition id|-> <thread id|-> <reason> [<entered> [<admitted|->]]
//! trace: <core> <ticks> deadline <partition id> <thread id>
//! trace: <core> dropped <count>
//! ```
//!
//! Older kernels printed six fields (no `<entered>`) or seven (no
//! `<admitted>`), and no `deadline` lines; their logs decode as before.
//! A `deadline` line says the core's decision at `<ticks>` found that
//! thread past its deadline; that decision's own record follows it, with
//! the same ticks ([`DeadlineMiss`]).
//!
//! Each core flushes its own ring, so a core's lines are in its order but
//! cores interleave arbitrarily, among unrelated console lines (ignored: only
//! lines that begin with `trace:` are read). A last line without its newline
//! (QEMU stopped mid-line) is ignored; any other malformed `trace:` line is an
//! error naming its line.
//!
//! Time follows the kernel exactly (`bulkhead-time`, via `bulkhead-sched`):
//! window `entry` of major frame `frame` of an activation starts at
//! `Epoch::boundary(freq, major, frame, entry.start)`, rounded up as the
//! kernel rounds its timer deadlines. A schedule switch starts a new
//! activation whose epoch is the first major-frame boundary of the old
//! activation after the last frame the core recorded in it
//! (`old epoch + (old frame + 1) * old major`, the instant
//! `ModuleTimeline::request_switch` picks); frame numbers restart there.
//!
//! What a core ran: a record that runs a thread says when the core decided
//! (`<ticks>`); the thread itself runs from `<admitted>`, when the partition
//! gate let the core in (docs/DESIGN.md#rendezvous), until the core's exit
//! from the guest, which is the next record's `<entered>`. Without those
//! fields (older logs), or with an `<entered>` earlier than the run's start
//! (no exit recorded), the run spans the record's ticks to the next
//! record's, as it always did. So the model splits a running record into
//! the rendezvous (decision to admission, nothing runs), the run, and the
//! core back in EL2 (exit to the next decision, nothing runs): see
//! [`Stretch`].
//!
//! This module decodes and builds the model; `trace_check` judges it,
//! `trace_svg` draws it.

use std::fmt::Write as _;

use bulkhead_sched::{Epoch, Frequency, Nanos, ThreadId, Ticks};

use crate::check::System;
use crate::plan::{PlanInputs, core_tables};

/// Why a core took a decision: the kernel's and this reader's one definition.
pub use bulkhead_sched::TraceReason as Reason;

/// The `trace: begin` line.
#[derive(Clone, Debug)]
pub struct Header {
    pub line: usize,
    pub module: String,
    pub freq: Frequency,
    pub epoch: Ticks,
    pub cores: usize,
    pub schedule: usize,
}

/// One decision, as printed.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    /// Line number in the log (1-based).
    pub line: usize,
    pub ticks: u64,
    /// (schedule, frame, entry); `None` before the epoch.
    pub window: Option<(usize, u64, usize)>,
    /// (partition, thread); `None` when idle.
    pub runs: Option<(usize, usize)>,
    pub reason: Reason,
    /// When the core last entered EL2 before the decision (guest exit or
    /// idle wake-up), if the kernel recorded it.
    pub entered: Option<u64>,
    /// When the partition gate admitted the core into the partition of
    /// `runs` (never before `ticks`): the thread runs from then. `None`
    /// when the core idles, or the kernel did not print the field.
    pub admitted: Option<u64>,
}

/// A `deadline` line: the decision the core took at `ticks` found the
/// thread past its deadline. The kernel writes it just before that
/// decision's own record (same ticks), which it writes only once the
/// partition gate has let the core in.
#[derive(Clone, Copy, Debug)]
pub struct DeadlineMiss {
    /// Line number in the log (1-based).
    pub line: usize,
    pub ticks: u64,
    pub partition: usize,
    pub thread: usize,
}

/// What a core printed, in its order.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    Record(Record),
    DeadlineMiss(DeadlineMiss),
    /// Records lost before the next one (the ring overflowed).
    Dropped {
        line: usize,
        count: u64,
    },
}

/// A decoded log.
#[derive(Clone, Debug)]
pub struct Log {
    pub header: Header,
    /// Per core, its events in order.
    pub cores: Vec<Vec<Event>>,
    /// Lines in the log.
    pub lines: usize,
    /// The line number of an ignored partial last line.
    pub partial_line: Option<usize>,
    /// Some record has the 8th field, `<admitted>`: the kernel that wrote
    /// the log passes the partition gate, so there are rendezvous to report.
    pub gate: bool,
}

const RECORD_FORMAT: &str =
    "trace: <core> <ticks> <schedule>/<frame>/<entry> <partition|-> <thread|-> <reason> [<entered> [<admitted|->]]";
const DEADLINE_FORMAT: &str = "trace: <core> <ticks> deadline <partition> <thread>";

/// Decode `text` (the whole console log). Errors are `NAME:LINE: message`.
pub fn parse_log(name: &str, text: &str) -> Result<Log, Vec<String>> {
    let mut errors = Vec::new();
    let mut header: Option<Header> = None;
    let mut cores: Vec<Vec<Event>> = Vec::new();
    let mut lines: Vec<&str> = text.split('\n').collect();
    let mut partial_line = None;
    let mut gate = false;
    // `split` yields "" after a final newline; anything else there is a
    // line QEMU never finished.
    if let Some(last) = lines.pop()
        && !last.is_empty()
    {
        partial_line = Some(lines.len() + 1);
    }
    let total = lines.len() + usize::from(partial_line.is_some());
    for (i, raw) in lines.iter().enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let Some(rest) = line.strip_prefix("trace:") else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let mut err = |msg: String| errors.push(format!("{name}:{n}: {msg}"));
        if fields.first() == Some(&"begin") {
            match parse_header(n, &fields[1..]) {
                Ok(h) => {
                    if let Some(first) = &header {
                        err(format!(
                            "a second `trace: begin` (the first is on line {}): the log holds two runs; cut it to one",
                            first.line
                        ));
                    } else {
                        cores = vec![Vec::new(); h.cores];
                        header = Some(h);
                    }
                }
                Err(m) => err(format!(
                    "malformed trace header: {m}; expected `trace: begin <module> freq=<Hz> epoch=<ticks> cores=<n> schedule=<index>`, got {line:?}"
                )),
            }
            continue;
        }
        let Some(h) = &header else {
            err(format!("trace record before the `trace: begin` line: {line:?}"));
            continue;
        };
        let event = if fields.get(1) == Some(&"dropped") {
            match (fields.len(), fields[0].parse::<usize>(), fields.get(2).map(|c| c.parse::<u64>())) {
                (3, Ok(core), Some(Ok(count))) => Ok((core, Event::Dropped { line: n, count })),
                _ => Err(format!("malformed trace line: expected `trace: <core> dropped <count>`, got {line:?}")),
            }
        } else if fields.get(2) == Some(&"deadline") {
            parse_deadline(n, &fields)
                .map(|(core, d)| (core, Event::DeadlineMiss(d)))
                .map_err(|m| format!("malformed trace line: {m}; expected `{DEADLINE_FORMAT}`, got {line:?}"))
        } else {
            parse_record(n, &fields)
                .map(|(core, r)| {
                    gate |= fields.len() == 8;
                    (core, Event::Record(r))
                })
                .map_err(|m| format!("malformed trace line: {m}; expected `{RECORD_FORMAT}`, got {line:?}"))
        };
        match event {
            Ok((core, e)) if core < h.cores => cores[core].push(e),
            Ok((core, _)) => {
                err(format!("trace line for core {core}, but the header says the module has {} cores", h.cores))
            }
            Err(m) => err(m),
        }
    }
    match header {
        _ if !errors.is_empty() => Err(errors),
        None => Err(vec![format!("{name}: no `trace: begin` line: was the traced kernel (bulkhead-traced) running?")]),
        Some(header) => Ok(Log { header, cores, lines: total, partial_line, gate }),
    }
}

fn parse_header(line: usize, fields: &[&str]) -> Result<Header, String> {
    let [module, rest @ ..] = fields else {
        return Err("no module name".into());
    };
    let get = |key: &str| -> Result<u64, String> {
        let v = rest
            .iter()
            .find_map(|f| f.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
            .ok_or(format!("no {key}="))?;
        v.parse::<u64>().map_err(|_| format!("{key}={v} is not a whole number"))
    };
    let freq = Frequency::from_hz(get("freq")?).ok_or("freq=0")?;
    let epoch = Ticks(get("epoch")?);
    let cores = get("cores")? as usize;
    if cores == 0 || cores > bulkhead_sched::MAX_CORES {
        return Err(format!("cores={cores}: a module has 1 to {} cores", bulkhead_sched::MAX_CORES));
    }
    let schedule = get("schedule")? as usize;
    if rest.len() != 4 {
        return Err(format!("{} fields after the module name, expected 4", rest.len()));
    }
    Ok(Header { line, module: (*module).to_string(), freq, epoch, cores, schedule })
}

fn parse_deadline(line: usize, fields: &[&str]) -> Result<(usize, DeadlineMiss), String> {
    let [core, ticks, _, partition, thread] = fields else {
        return Err(format!("{} fields, expected 5", fields.len()));
    };
    let num = |what: &str, s: &str| -> Result<u64, String> {
        s.parse::<u64>().map_err(|_| format!("{what} {s:?} is not a whole number"))
    };
    Ok((
        num("core", core)? as usize,
        DeadlineMiss {
            line,
            ticks: num("ticks", ticks)?,
            partition: num("partition", partition)? as usize,
            thread: num("thread", thread)? as usize,
        },
    ))
}

fn parse_record(line: usize, fields: &[&str]) -> Result<(usize, Record), String> {
    let ([core, ticks, window, partition, thread, reason], entered, admitted) = match fields {
        [a, b, c, d, e, f] => ([a, b, c, d, e, f], None, None),
        [a, b, c, d, e, f, g] => ([a, b, c, d, e, f], Some(g), None),
        [a, b, c, d, e, f, g, h] => ([a, b, c, d, e, f], Some(g), Some(h)),
        _ => return Err(format!("{} fields, expected 6, 7 or 8", fields.len())),
    };
    let num = |what: &str, s: &str| -> Result<u64, String> {
        s.parse::<u64>().map_err(|_| format!("{what} {s:?} is not a whole number"))
    };
    let core = num("core", core)? as usize;
    let ticks = num("ticks", ticks)?;
    let window = if *window == "-/-/-" {
        None
    } else {
        let parts: Vec<&str> = window.split('/').collect();
        let [s, f, e] = parts[..] else {
            return Err(format!("window {window:?} is not <schedule>/<frame>/<entry>"));
        };
        Some((num("schedule", s)? as usize, num("frame", f)?, num("entry", e)? as usize))
    };
    let runs = match (*partition, *thread) {
        ("-", "-") => None,
        ("-", _) | (_, "-") => {
            return Err("partition and thread must both be ids or both `-`".into());
        }
        (p, t) => Some((num("partition", p)? as usize, num("thread", t)? as usize)),
    };
    let reason = Reason::parse(reason)
        .ok_or(format!("unknown reason {reason:?} (boundary, missed, wait, wake, health, resched)"))?;
    let entered = entered.map(|e| num("entered", e)).transpose()?;
    if let Some(e) = entered
        && e > ticks
    {
        return Err(format!("entered {e} is after the decision at {ticks}: a core decides after it enters EL2"));
    }
    let admitted = match admitted {
        Some(a) => parse_admitted(a, ticks, runs.is_some())?,
        None => None,
    };
    Ok((core, Record { line, ticks, window, runs, reason, entered, admitted }))
}

/// The 8th field: the count at which the gate admitted the core into the
/// thread it decided to run (`runs`), or `-` when it runs nothing. The
/// kernel writes one exactly when the record runs a thread, and never
/// before its decision: anything else is not a log it wrote.
fn parse_admitted(field: &str, ticks: u64, runs: bool) -> Result<Option<u64>, String> {
    if field == "-" {
        return if runs {
            Err("admitted `-` on a record that runs a thread: the kernel records when the gate let it in".into())
        } else {
            Ok(None)
        };
    }
    let a = field.parse::<u64>().map_err(|_| format!("admitted {field:?} is not a whole number or `-`"))?;
    if !runs {
        return Err(format!("admitted {a} on a record where the core idles: only a thread is admitted"));
    }
    if a < ticks {
        return Err(format!("admitted {a} before the decision at {ticks}: a core reaches the gate after it decides"));
    }
    Ok(Some(a))
}

/// One window of a schedule as every core's table has it (the entry list is
/// the same on every core; only the threads differ).
#[derive(Clone, Copy, Debug)]
pub struct PlannedEntry {
    pub start_ns: u64,
    pub end_ns: u64,
    /// Owning partition; `None` = spare.
    pub owner: Option<usize>,
}

/// A schedule in force from `epoch`: frame `n` starts at
/// `epoch.boundary(n, 0)`.
#[derive(Clone, Debug)]
pub struct Activation {
    pub schedule: usize,
    pub epoch: Epoch,
    pub major_ns: u64,
    /// The first record (line) that showed it, `None` for the initial one.
    pub first_line: Option<usize>,
}

/// A window instance: activation, frame, entry.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Key {
    pub act: usize,
    pub frame: u64,
    pub entry: usize,
}

/// A record placed in module time.
#[derive(Clone, Copy, Debug)]
pub struct Placed {
    pub core: usize,
    pub record: Record,
    /// `None` before the epoch.
    pub key: Option<Key>,
    /// Planned `[start, end)` of `key`, ticks.
    pub planned: Option<(u64, u64)>,
    /// Records were lost between the previous record of this core and this one.
    pub after_gap: bool,
}

/// A deadline miss placed against the decision that found it.
#[derive(Clone, Copy, Debug)]
pub struct PlacedDeadline {
    pub core: usize,
    pub miss: DeadlineMiss,
    /// Index into `Model::placed[core]` of the decision that found it: the
    /// core's next record, if it has the miss's ticks (the kernel writes
    /// them so). `None` when that record is another decision; see
    /// `at_end` for a log that stops first.
    pub record: Option<usize>,
    /// The core's log ends before any record follows it (QEMU stopped
    /// mid-flush): nothing to place it against.
    pub at_end: bool,
}

/// Which part of its record's stretch (from its ticks to the next
/// record's) an interval is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stretch {
    /// What the record decided: its thread's run (from its admission to
    /// the core's exit from the guest), or idling.
    Decided,
    /// From the decision to the admission: the core waited at the
    /// partition gate, running nothing.
    Rendezvous,
    /// From the thread's exit from the guest to the core's next decision:
    /// the core in EL2, running nothing.
    Exited,
}

/// What one core ran from `start` to `end` (ticks).
#[derive(Clone, Copy, Debug)]
pub struct Interval {
    pub core: usize,
    pub start: u64,
    pub end: u64,
    /// (partition, thread); `None` = idle. Only a `Decided` stretch runs
    /// anything.
    pub runs: Option<(usize, usize)>,
    pub stretch: Stretch,
    /// Index into `Model::placed[core]` of the record that began it.
    pub record: usize,
    /// Records were lost after it: what ran until `end` is unknown.
    pub lost: bool,
    /// The core's last record: `end` is a guess (its window's planned end).
    pub open: bool,
}

/// The decoded trace resolved against the description.
pub struct Model<'s> {
    pub sys: &'s System,
    pub log: Log,
    /// Module-wide activations, in order (0 = the initial schedule).
    pub acts: Vec<Activation>,
    /// Per schedule, its entries (one per window plus trailing spare).
    pub entries: Vec<Vec<PlannedEntry>>,
    /// Per thread, the core the plan places it on.
    pub thread_core: Vec<usize>,
    /// Per core, its records placed in time.
    pub placed: Vec<Vec<Placed>>,
    /// Every `deadline` line, core by core in each core's order.
    pub deadlines: Vec<PlacedDeadline>,
    /// Per core, its intervals, in order, contiguous: one per record, or
    /// up to three for a record that runs a thread ([`Stretch`]).
    pub intervals: Vec<Vec<Interval>>,
    /// Problems found while resolving the activations (cores that disagree
    /// on a schedule switch); `trace_check` reports them.
    pub activation_problems: Vec<String>,
    /// The earliest of the cores' last records: beyond it some core's
    /// activity is unknown.
    pub horizon: u64,
    /// The latest tick in the trace.
    pub last_tick: u64,
}

impl<'s> Model<'s> {
    pub fn freq(&self) -> Frequency {
        self.log.header.freq
    }
    pub fn epoch(&self) -> u64 {
        self.log.header.epoch.0
    }

    /// Ticks to ns, rounded down; negative for a negative count.
    pub fn ticks_to_ns(&self, ticks: i128) -> i128 {
        ticks * 1_000_000_000 / i128::from(self.freq().hz())
    }

    /// `ticks` as µs since the epoch, three decimals (ns precision).
    pub fn us_since_epoch(&self, ticks: u64) -> String {
        let ns = self.ticks_to_ns(i128::from(ticks) - i128::from(self.epoch()));
        fmt_us(ns)
    }

    /// [`Self::us_since_epoch`] with its sign always written: `+12.000` or
    /// `-3.000` (a record before the epoch).
    pub fn signed_us_since_epoch(&self, ticks: u64) -> String {
        let us = self.us_since_epoch(ticks);
        if us.starts_with('-') { us } else { format!("+{us}") }
    }

    /// Absolute planned instant of `offset_ns` into `frame` of activation `act`.
    pub fn boundary(&self, act: usize, frame: u64, offset_ns: u64) -> u64 {
        let a = &self.acts[act];
        a.epoch.boundary(self.freq(), Nanos(a.major_ns), frame, Nanos(offset_ns)).map_or(u64::MAX, |t| t.0)
    }

    /// Planned `[start, end)` of a window instance, ticks.
    pub fn planned(&self, key: Key) -> (u64, u64) {
        let e = self.entries[self.acts[key.act].schedule][key.entry];
        (self.boundary(key.act, key.frame, e.start_ns), self.boundary(key.act, key.frame, e.end_ns))
    }

    pub fn entry(&self, key: Key) -> PlannedEntry {
        self.entries[self.acts[key.act].schedule][key.entry]
    }

    /// `schedule/frame/entry` as the kernel prints it.
    pub fn fmt_key(&self, key: Key) -> String {
        format!("{}/{}/{}", self.acts[key.act].schedule, key.frame, key.entry)
    }

    pub fn partition_name(&self, p: usize) -> &str {
        &self.sys.spec.partitions[p].name
    }

    /// `partition:thread`, or `idle`.
    pub fn runs_name(&self, runs: Option<(usize, usize)>) -> String {
        match runs {
            Some((p, t)) => format!("{}:{}", self.partition_name(p), self.sys.spec.threads[t].name),
            None => "idle".into(),
        }
    }

    /// What an interval shows: `partition:thread`, `idle`, or idle with
    /// why (`idle (rendezvous)`, `idle (in EL2)`).
    pub fn interval_name(&self, iv: &Interval) -> String {
        match iv.stretch {
            Stretch::Decided => self.runs_name(iv.runs),
            Stretch::Rendezvous => "idle (rendezvous)".into(),
            Stretch::Exited => "idle (in EL2)".into(),
        }
    }

    /// The planned end of the window of a run that the gate admitted at or
    /// after that end (its decision was in time, its thread was not).
    pub fn admitted_after_window(&self, iv: &Interval) -> Option<u64> {
        let p = &self.placed[iv.core][iv.record];
        let (ps, pe) = p.planned?;
        (iv.runs.is_some() && iv.stretch == Stretch::Decided && pe > ps && iv.start >= pe).then_some(pe)
    }

    /// Owner name of a window, or `spare`.
    pub fn owner_name(&self, owner: Option<usize>) -> String {
        owner.map_or("spare".into(), |p| self.partition_name(p).to_string())
    }

    /// Start of major frame `frame` of the initial activation: the lattice
    /// `--frames` and `--start-frame` count in.
    pub fn frame_start(&self, frame: u64) -> u64 {
        self.boundary(0, frame, 0)
    }

    /// The planned windows overlapping `[from, to)`, across activations:
    /// `(start, end, owner, key)`.
    pub fn planned_windows(&self, from: u64, to: u64) -> Vec<(u64, u64, Option<usize>, Key)> {
        let mut out = Vec::new();
        for (ai, a) in self.acts.iter().enumerate() {
            let act_end = self.acts.get(ai + 1).map_or(u64::MAX, |n| n.epoch.start().0);
            if act_end <= from || a.epoch.start().0 >= to {
                continue;
            }
            let entries = &self.entries[a.schedule];
            let first = a
                .epoch
                .position(self.freq(), Nanos(a.major_ns), Ticks(from.max(a.epoch.start().0)))
                .map_or(0, |p| p.index);
            let mut frame = first;
            'frames: loop {
                for (ei, _) in entries.iter().enumerate() {
                    let key = Key { act: ai, frame, entry: ei };
                    let (s, e) = self.planned(key);
                    if s >= to || s >= act_end {
                        break 'frames;
                    }
                    if e > from && e > s {
                        out.push((s, e.min(act_end), entries[ei].owner, key));
                    }
                }
                frame += 1;
            }
        }
        out
    }
}

/// ns as µs with three decimals.
pub fn fmt_us(ns: i128) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let a = ns.unsigned_abs();
    format!("{sign}{}.{:03}", a / 1000, a % 1000)
}

/// Resolve a decoded log against a checked description. Errors (ids out of
/// range, a log from another module) are `NAME:LINE: message`.
pub fn build_model<'s>(sys: &'s System, log: Log, name: &str) -> Result<Model<'s>, Vec<String>> {
    let spec = &sys.spec;
    let inputs = PlanInputs::new(spec).map_err(|e| vec![e])?;
    let schedules = inputs.schedules();
    let plan = inputs.plan(&schedules).map_err(|e| vec![e.to_string()])?;
    let mut entries = Vec::new();
    for si in 0..spec.schedules.len() {
        let tables = core_tables(&plan, si).map_err(|e| vec![e.to_string()])?;
        entries.push(
            tables[0]
                .entries()
                .iter()
                .map(|e| PlannedEntry {
                    start_ns: e.start.0,
                    end_ns: e.end.0,
                    owner: e.window_owner.map(|p| usize::from(p.0)),
                })
                .collect::<Vec<_>>(),
        );
    }
    let thread_core: Vec<usize> =
        (0..spec.threads.len()).map(|t| plan.thread_core(ThreadId(t as u16)).map_or(0, |c| usize::from(c.0))).collect();

    let h = &log.header;
    let mut errors = Vec::new();
    if h.module != spec.module.name {
        errors.push(format!(
            "{name}:{}: the log is from module \"{}\", the description is \"{}\"",
            h.line, h.module, spec.module.name
        ));
    }
    if h.cores != spec.module.core_count as usize {
        errors.push(format!(
            "{name}:{}: the log says cores={}, the description has {} cores",
            h.line, h.cores, spec.module.core_count
        ));
    }
    if h.schedule >= spec.schedules.len() {
        errors.push(format!(
            "{name}:{}: initial schedule {} does not exist (the description has {})",
            h.line,
            h.schedule,
            spec.schedules.len()
        ));
    }
    // What is wrong with a (partition, thread) pair of the log, if anything.
    let bad_runs = |(p, t): (usize, usize)| {
        if p >= spec.partitions.len() {
            Some(format!("partition {p} does not exist (the description has {})", spec.partitions.len()))
        } else if t >= spec.threads.len() {
            Some(format!("thread {t} does not exist (the description has {})", spec.threads.len()))
        } else if spec.threads[t].partition as usize != p {
            Some(format!(
                "thread {t} (\"{}\") belongs to partition {}, not {p}",
                spec.threads[t].name, spec.threads[t].partition
            ))
        } else {
            None
        }
    };
    for events in &log.cores {
        for ev in events {
            let r = match ev {
                Event::Record(r) => r,
                Event::DeadlineMiss(d) => {
                    if let Some(m) = bad_runs((d.partition, d.thread)) {
                        errors.push(format!("{name}:{}: {m}", d.line));
                    }
                    continue;
                }
                Event::Dropped { .. } => continue,
            };
            let mut bad = |m: String| errors.push(format!("{name}:{}: {m}", r.line));
            if let Some((s, _, e)) = r.window {
                match entries.get(s) {
                    None => bad(format!("schedule {s} does not exist (the description has {})", spec.schedules.len())),
                    Some(es) if e >= es.len() => bad(format!(
                        "entry {e} does not exist: schedule \"{}\" has {} entries",
                        spec.schedules[s].name,
                        es.len()
                    )),
                    _ => {}
                }
            }
            if let Some(m) = r.runs.and_then(bad_runs) {
                bad(m);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let freq = h.freq;
    let mut acts = vec![Activation {
        schedule: h.schedule,
        epoch: Epoch::new(h.epoch),
        major_ns: spec.schedules[h.schedule].major_frame_ns,
        first_line: None,
    }];
    // Per core: its records with their activation number (segments split at
    // a schedule change, or a frame/entry going backwards: a restart of the
    // same schedule).
    let mut per_core: Vec<Vec<(usize, Record, bool)>> = Vec::new();
    // For activation k >= 1: per core (schedule, last frame in k-1, line).
    let mut switches: Vec<Vec<(usize, usize, u64, usize)>> = Vec::new();
    let mut deadlines = Vec::new();
    for (core, events) in log.cores.iter().enumerate() {
        let mut out = Vec::new();
        let mut act = 0usize;
        let mut prev: Option<(usize, u64, usize)> = None;
        let mut gap = false;
        // This core's deadline lines since its last record.
        let mut pending: Vec<DeadlineMiss> = Vec::new();
        for ev in events {
            let r = match ev {
                Event::Dropped { .. } => {
                    gap = true;
                    continue;
                }
                Event::DeadlineMiss(d) => {
                    pending.push(*d);
                    continue;
                }
                Event::Record(r) => *r,
            };
            for miss in pending.drain(..) {
                let record = (miss.ticks == r.ticks).then_some(out.len());
                deadlines.push(PlacedDeadline { core, miss, record, at_end: false });
            }
            if let (Some(w), Some(p)) = (r.window, prev)
                && (w.0 != p.0 || (w.1, w.2) < (p.1, p.2))
            {
                act += 1;
                if switches.len() < act {
                    switches.resize(act, Vec::new());
                }
                switches[act - 1].push((core, w.0, p.1, r.line));
            }
            if r.window.is_some() {
                prev = r.window;
            }
            out.push((act, r, gap));
            gap = false;
        }
        deadlines.extend(pending.drain(..).map(|miss| PlacedDeadline { core, miss, record: None, at_end: true }));
        per_core.push(out);
    }
    let mut activation_problems = Vec::new();
    for (k, sw) in switches.iter().enumerate() {
        let prev = acts[k].clone();
        let mut candidates: Vec<(usize, usize, u64, usize)> = Vec::new();
        for &(core, schedule, last_frame, line) in sw {
            let at = prev
                .epoch
                .boundary(freq, Nanos(prev.major_ns), last_frame.saturating_add(1), Nanos(0))
                .map_or(u64::MAX, |t| t.0);
            candidates.push((core, schedule, at, line));
        }
        let first = candidates.iter().min_by_key(|c| (c.2, c.3)).copied().unwrap_or((0, 0, 0, 0));
        for c in &candidates {
            if c.1 != first.1 {
                activation_problems.push(format!(
                    "schedule switch {}: core {} switched to schedule {} (line {}) but core {} to schedule {} (line {})",
                    k + 1,
                    first.0,
                    first.1,
                    first.3,
                    c.0,
                    c.1,
                    c.3
                ));
            } else if c.2 != first.2 {
                activation_problems.push(format!(
                    "schedule switch {} to \"{}\": core {} left the old schedule after frame {} (switch at {} ticks, line {}) but core {} at {} ticks (line {})",
                    k + 1,
                    spec.schedules[first.1].name,
                    c.0,
                    prev.epoch.position(freq, Nanos(prev.major_ns), Ticks(c.2)).map_or(0, |p| p.index.saturating_sub(1)),
                    c.2,
                    c.3,
                    first.0,
                    first.2,
                    first.3
                ));
            }
        }
        acts.push(Activation {
            schedule: first.1,
            epoch: Epoch::new(Ticks(first.2)),
            major_ns: spec.schedules[first.1].major_frame_ns,
            first_line: Some(first.3),
        });
    }

    let mut model = Model {
        sys,
        log,
        acts,
        entries,
        thread_core,
        placed: Vec::new(),
        deadlines,
        intervals: Vec::new(),
        activation_problems,
        horizon: 0,
        last_tick: 0,
    };
    let mut placed_all = Vec::new();
    for (core, recs) in per_core.iter().enumerate() {
        let placed: Vec<Placed> = recs
            .iter()
            .map(|&(act, r, gap)| {
                let key = r.window.map(|(_, frame, entry)| Key { act, frame, entry });
                // A core whose schedule index disagrees with the module-wide
                // activation (reported by the check) is placed in its own.
                let key = key.filter(|k| model.acts[k.act].schedule == r.window.map_or(0, |w| w.0));
                Placed { core, record: r, key, planned: key.map(|k| model.planned(k)), after_gap: gap }
            })
            .collect();
        placed_all.push(placed);
    }
    model.placed = placed_all;
    model.last_tick = model.placed.iter().flat_map(|p| p.last()).map(|p| p.record.ticks).max().unwrap_or(model.epoch());
    model.horizon = model.placed.iter().filter_map(|p| p.last()).map(|p| p.record.ticks).min().unwrap_or(model.epoch());
    let last_tick = model.last_tick;
    model.intervals =
        model.placed.iter().enumerate().map(|(core, placed)| core_intervals(core, placed, last_tick)).collect();
    Ok(model)
}

/// One core's intervals. A record covers its ticks to the next record's
/// (the last one, to its window's planned end: a guess). One that runs a
/// thread splits there into the rendezvous (to `<admitted>`), the run, and
/// the core back in EL2 after the run's exit from the guest (the next
/// record's `<entered>`, when it is not before the run's start: then it is
/// that exit, as `<entered>` is stamped at every guest exit). Records lost
/// after it leave the run's end unknown: it runs to the next record.
fn core_intervals(core: usize, placed: &[Placed], last_tick: u64) -> Vec<Interval> {
    let mut out = Vec::new();
    for (i, p) in placed.iter().enumerate() {
        let r = &p.record;
        let next = placed.get(i + 1);
        let lost = next.is_some_and(|n| n.after_gap);
        let (end, open) = match next {
            Some(n) => (n.record.ticks.max(r.ticks), false),
            None => (p.planned.map_or(last_tick, |(_, e)| e).max(r.ticks), true),
        };
        let piece = |start: u64, end: u64, stretch: Stretch, last: bool| Interval {
            core,
            start,
            end,
            runs: if stretch == Stretch::Decided { r.runs } else { None },
            stretch,
            record: i,
            lost: lost && last,
            open: open && last,
        };
        if r.runs.is_none() {
            out.push(piece(r.ticks, end, Stretch::Decided, true));
            continue;
        }
        // An admission after the next decision is reported by the check
        // (`order`); the last record's guessed end gives way to it.
        let start = match r.admitted {
            Some(a) if open => a,
            Some(a) => a.min(end),
            None => r.ticks,
        };
        let end = end.max(start);
        let exit =
            next.filter(|_| !lost).and_then(|n| n.record.entered).filter(|&e| e >= start).map_or(end, |e| e.min(end));
        if start > r.ticks {
            out.push(piece(r.ticks, start, Stretch::Rendezvous, false));
        }
        out.push(piece(start, exit, Stretch::Decided, exit == end));
        if exit < end {
            out.push(piece(exit, end, Stretch::Exited, true));
        }
    }
    out
}

/// Options of the text and drawings: which frames of the initial schedule.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    pub start_frame: u64,
    pub frames: u64,
}

impl Span {
    /// `[from, to)` in ticks.
    pub fn ticks(&self, m: &Model<'_>) -> (u64, u64) {
        (m.frame_start(self.start_frame), m.frame_start(self.start_frame.saturating_add(self.frames.max(1))))
    }
}

/// The per-core timelines over `span`, as text.
pub fn render_timelines(m: &Model<'_>, span: Span) -> String {
    let mut o = String::new();
    let h = &m.log.header;
    let spec = &m.sys.spec;
    let records: usize = m.placed.iter().map(Vec::len).sum();
    let dropped: u64 = m
        .log
        .cores
        .iter()
        .flatten()
        .map(|e| match e {
            Event::Dropped { count, .. } => *count,
            Event::Record(_) | Event::DeadlineMiss(_) => 0,
        })
        .sum();
    let _ = writeln!(
        o,
        "trace of module \"{}\": {} cores, counter {} Hz, epoch {} ticks, initial schedule \"{}\"",
        h.module,
        h.cores,
        h.freq.hz(),
        h.epoch.0,
        spec.schedules[h.schedule].name
    );
    let per_core: Vec<String> = m.placed.iter().enumerate().map(|(c, p)| format!("core {c}: {}", p.len())).collect();
    let _ =
        writeln!(o, "log: {} lines, {records} trace records ({}), {dropped} dropped", m.log.lines, per_core.join(", "));
    for a in m.acts.iter().skip(1) {
        let _ = writeln!(
            o,
            "schedule \"{}\" from {} ticks (+{} us)",
            spec.schedules[a.schedule].name,
            a.epoch.start().0,
            m.us_since_epoch(a.epoch.start().0)
        );
    }
    let (from, to) = span.ticks(m);
    let _ = writeln!(
        o,
        "frames {}..{} of \"{}\": [{from}, {to}) ticks, +{} us .. +{} us",
        span.start_frame,
        span.start_frame.saturating_add(span.frames),
        spec.schedules[h.schedule].name,
        m.us_since_epoch(from),
        m.us_since_epoch(to)
    );
    for (core, ivs) in m.intervals.iter().enumerate() {
        let _ = writeln!(o);
        let _ = writeln!(o, "core {core}");
        let mut last_record = None;
        for iv in ivs.iter().filter(|iv| iv.end > from && iv.start < to) {
            // A record's deadline misses, before its first interval.
            if last_record != Some(iv.record) {
                last_record = Some(iv.record);
                for d in m.deadlines.iter().filter(|d| d.core == core && d.record == Some(iv.record)) {
                    let _ = writeln!(
                        o,
                        "  {:>12}                 {:>12} us     deadline missed: {} (line {})",
                        d.miss.ticks,
                        m.us_since_epoch(d.miss.ticks),
                        m.runs_name(Some((d.miss.partition, d.miss.thread))),
                        d.miss.line
                    );
                }
            }
            let p = &m.placed[core][iv.record];
            let window = p.key.map_or("-/-/-".into(), |k| m.fmt_key(k));
            let mut note = format!("{window} {}", p.record.reason.as_str());
            if iv.lost {
                note.push_str(", records lost after this one");
            }
            if iv.open {
                note.push_str(", last record: end is the window's planned end");
            }
            let _ = writeln!(
                o,
                "  [{:>12}, {:>12})  {:>12} .. {:>12} us  {:<24} ({note})",
                iv.start,
                iv.end,
                m.us_since_epoch(iv.start),
                m.us_since_epoch(iv.end),
                m.interval_name(iv)
            );
        }
    }
    o
}

/// Chrome / Perfetto trace JSON of every interval a core ran a thread after
/// the epoch (from its admission by the gate: the rendezvous before it is
/// idle time, which has no event): `X` events, pid 1 (named after the
/// module), tid = core, ts and dur in µs since the epoch. Each deadline
/// miss is an instant event (`ph` `i`, thread-scoped) on its core's track,
/// at the decision that found it, named `deadline missed: partition:thread`.
pub fn render_json(m: &Model<'_>) -> String {
    let mut o = String::new();
    o.push_str("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    let _ = write!(
        o,
        "{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{{\"name\":{}}}}}",
        json_str(&m.log.header.module)
    );
    for core in 0..m.intervals.len() {
        let _ = write!(
            o,
            ",\n{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{core},\"args\":{{\"name\":\"core {core}\"}}}}"
        );
    }
    let epoch = m.epoch();
    for iv in m.intervals.iter().flatten() {
        let Some((p, _)) = iv.runs else { continue };
        let start = iv.start.max(epoch);
        if iv.end <= start {
            continue;
        }
        let ts = m.ticks_to_ns(i128::from(start - epoch));
        let dur = m.ticks_to_ns(i128::from(iv.end - epoch)) - ts;
        let rec = &m.placed[iv.core][iv.record];
        let _ = write!(
            o,
            ",\n{{\"name\":{},\"cat\":{},\"ph\":\"X\",\"pid\":1,\"tid\":{},\"ts\":{},\"dur\":{},\"args\":{{\"window\":\"{}\",\"reason\":\"{}\",\"start_ticks\":{},\"end_ticks\":{},\"decided_ticks\":{},\"admitted\":{},\"line\":{}}}}}",
            json_str(&m.runs_name(iv.runs)),
            json_str(m.partition_name(p)),
            iv.core,
            fmt_us(ts),
            fmt_us(dur),
            rec.key.map_or("-/-/-".into(), |k| m.fmt_key(k)),
            rec.record.reason.as_str(),
            iv.start,
            iv.end,
            rec.record.ticks,
            rec.record.admitted.map_or("null".into(), |a| a.to_string()),
            rec.record.line
        );
    }
    for d in m.deadlines.iter().filter(|d| d.miss.ticks >= epoch) {
        let who = m.runs_name(Some((d.miss.partition, d.miss.thread)));
        let window = d.record.and_then(|i| m.placed[d.core][i].key).map_or("-/-/-".into(), |k| m.fmt_key(k));
        let _ = write!(
            o,
            ",\n{{\"name\":{},\"cat\":\"deadline\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":{},\"ts\":{},\"args\":{{\"partition\":{},\"thread\":{},\"window\":\"{window}\",\"ticks\":{},\"line\":{}}}}}",
            json_str(&format!("deadline missed: {who}")),
            d.core,
            fmt_us(m.ticks_to_ns(i128::from(d.miss.ticks - epoch))),
            json_str(m.partition_name(d.miss.partition)),
            json_str(&m.sys.spec.threads[d.miss.thread].name),
            d.miss.ticks,
            d.miss.line
        );
    }
    o.push_str("\n]}\n");
    o
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}
