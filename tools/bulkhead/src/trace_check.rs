//! `bulkhead trace --check`: judge a decoded switch trace against the plan.
//!
//! Measures, per core, the lateness of every boundary switch (recorded ticks
//! minus the planned boundary, `Epoch::boundary` rounded up as the kernel
//! rounds) and, per boundary, the skew between cores (max - min of their
//! recorded ticks). Fails on what CAST-32A and docs/DESIGN.md#scheduling-rule-1 forbid: two
//! partitions running at once on different cores, a thread on a core the
//! plan does not place it on, a thread outside its partition's windows, a
//! schedule switch that is not at a major-frame boundary or not on every
//! core, lost records, a deadline miss reported in another partition's
//! window or away from its decision; and on the optional lateness / skew
//! bounds. Deadline misses themselves are listed, not failed: they are the
//! partition's (its health table's), not the kernel's timing.
//!
//! The overlap rule: none. A thread runs from its admission by the
//! partition gate (`<admitted>`) to its exit from the guest (the core's
//! next `<entered>`; `trace::Stretch`), and the kernel's rendezvous lets no
//! core into a partition while another core is still in a different one
//! (docs/DESIGN.md#rendezvous). So any instant at which two partitions run
//! fails (`overlap`), a late switch included: a core late out of A keeps
//! the others out of B, it does not run beside them. In a log without
//! `<admitted>` (older kernels, no gate) each run starts at its decision,
//! and the log fails wherever a late core's thread overlapped the next
//! partition on another core.
//! Lateness and skew are still measured from the decisions (`<ticks>`);
//! a `missed` record (a core that recovered from the epoch) is reported as
//! such, never as lateness. The rendezvous itself is reported per core:
//! the wait at the gate (admitted minus decision) and the entry into the
//! next partition (admitted minus the planned boundary).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::trace::{Event, Key, Model, Reason, Span, Stretch};

/// Optional failure bounds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bounds {
    pub max_lateness_ticks: Option<u64>,
    pub max_skew_ticks: Option<u64>,
    /// Bound the kernel's part of every boundary's lateness by figures this
    /// run measured ([`derived_bound`]); needs `<entered>` stamps.
    pub derived: bool,
    /// The log comes from a machine whose cores run one at a time (QEMU's
    /// single-threaded round-robin vCPUs, `-icount`): time another core
    /// spent in its guest inside a core's own path is not that core's (it
    /// was not running then), and the `own-path` rule leaves it out. Never
    /// for a log of a real board, whose cores run at once.
    pub serial: bool,
}

/// What `--check` prints, and how many problems it found.
pub struct CheckReport {
    pub text: String,
    pub problems: usize,
}

/// Problems printed per kind before "... and N more".
const SHOWN_PER_KIND: usize = 20;

#[derive(Default)]
struct Problems {
    by_kind: BTreeMap<&'static str, Vec<String>>,
    order: Vec<&'static str>,
}

impl Problems {
    fn add(&mut self, kind: &'static str, msg: String) {
        if !self.by_kind.contains_key(kind) {
            self.order.push(kind);
        }
        self.by_kind.entry(kind).or_default().push(msg);
    }
    fn count(&self) -> usize {
        self.by_kind.values().map(Vec::len).sum()
    }
}

/// A boundary switch: a core's first record of a window.
#[derive(Clone, Copy)]
struct Sample {
    core: usize,
    key: Key,
    planned: u64,
    ticks: u64,
    line: usize,
    /// When the core entered EL2 before switching, if recorded.
    entered: Option<u64>,
    /// A thread was running on the core (it left a guest to switch, saving
    /// that thread's state), rather than the core waking from idle.
    from_guest: bool,
    /// When the gate let the core into the thread it switched to, if it
    /// runs one and the log says.
    admitted: Option<u64>,
}

impl Sample {
    /// `core C switched to window K (owner) at T ticks (+U us, line L)`.
    fn switched(&self, m: &Model<'_>) -> String {
        format!(
            "core {} switched to window {} ({}) at {} ticks ({} us, line {})",
            self.core,
            m.fmt_key(self.key),
            m.owner_name(m.entry(self.key).owner),
            self.ticks,
            m.signed_us_since_epoch(self.ticks),
            self.line
        )
    }

    /// The kernel's own part of the lateness: from the later of the
    /// boundary and the core's entry to EL2, to its decision. A core that
    /// was already in EL2 when the boundary came (`entered` earlier) owns
    /// all of it: it was busy in the kernel with interrupts masked.
    fn own(&self) -> Option<u64> {
        self.entered.map(|e| self.ticks - e.max(self.planned).min(self.ticks))
    }
    /// The rest: from the boundary until the core entered EL2, the time it
    /// waited to be served (under QEMU icount, while other vCPUs ran) with
    /// its interrupt pending.
    fn queued(&self) -> Option<u64> {
        self.entered.map(|e| e.max(self.planned).min(self.ticks) - self.planned)
    }
}

/// Samples a kind of own path needs before its median counts: with fewer,
/// one odd sample would be its own median and raise the bound that judges
/// it.
const MIN_SAMPLES_PER_KIND: usize = 3;

/// The bound `--derived-bounds` puts on the kernel's part of a boundary's
/// lateness, from this run's own figures: the sum over the cores of each
/// core's median own path (EL2 entry to decision), i.e. one core's path
/// plus one path of every other core that QEMU may serve in between. A
/// core's path differs by where the boundary found it: waking from idle,
/// or leaving a running thread (whose state it saves first), so each core
/// contributes the larger of its two medians (a kind with fewer than
/// [`MIN_SAMPLES_PER_KIND`] samples does not count). Medians, not maxima,
/// so that a one-off stall cannot raise the bound that judges it; a kernel
/// or compiler that is uniformly slower moves the bound with it (speed is
/// `make bench`'s business, not this check's). Returns the bound and its
/// terms per core, or `None` when no sample carries an `<entered>` stamp.
fn derived_bound(samples: &[Sample], cores: usize) -> Option<(u64, Vec<u64>)> {
    let median = |core: usize, from_guest: bool| -> Option<u64> {
        let mut own: Vec<u64> =
            samples.iter().filter(|s| s.core == core && s.from_guest == from_guest).filter_map(Sample::own).collect();
        own.sort_unstable();
        (own.len() >= MIN_SAMPLES_PER_KIND).then(|| own[(own.len() - 1) / 2])
    };
    let terms: Vec<u64> =
        (0..cores).filter_map(|core| median(core, false).into_iter().chain(median(core, true)).max()).collect();
    (!terms.is_empty()).then(|| (terms.iter().sum(), terms))
}

/// Check the model; `span` selects the boundaries listed one by one
/// (all of them with `every_boundary`).
pub fn check_trace(m: &Model<'_>, bounds: Bounds, span: Span, every_boundary: bool) -> CheckReport {
    let mut p = Problems::default();
    let cores = m.placed.len();

    for (core, events) in m.log.cores.iter().enumerate() {
        for e in events {
            if let Event::Dropped { line, count } = e {
                p.add(
                    "dropped",
                    format!(
                        "core {core} dropped {count} records (line {line}): its ring overflowed before it was flushed, so what it ran there is unknown; flush more often or enlarge the ring"
                    ),
                );
            }
        }
    }
    for msg in &m.activation_problems {
        p.add("schedule-switch", msg.clone());
    }
    for (core, placed) in m.placed.iter().enumerate() {
        if placed.is_empty() {
            p.add("no-records", format!("core {core} recorded nothing: the module uses it"));
        }
    }

    // Records in module time order, for migration tracking.
    let mut order: Vec<(u64, usize, usize)> = m
        .placed
        .iter()
        .enumerate()
        .flat_map(|(c, ps)| ps.iter().enumerate().map(move |(i, r)| (r.record.ticks, c, i)))
        .collect();
    order.sort_unstable();
    let mut expected_core = m.thread_core.clone();
    let mut last_seen: Vec<Option<u64>> = vec![None; m.thread_core.len()];
    let mut last_resched: Vec<Option<u64>> = vec![None; cores];
    let mut migrations = Vec::new();
    for &(ticks, core, i) in &order {
        let r = m.placed[core][i].record;
        if r.reason == Reason::Resched {
            last_resched[core] = Some(ticks);
        }
        let Some((_, t)) = r.runs else { continue };
        if expected_core[t] != core {
            // A migration: the thread shows up on its new core after that
            // core was kicked with a reschedule, and then stays there.
            let kicked = last_resched[core].is_some_and(|k| last_seen[t].is_none_or(|seen| k >= seen));
            if kicked {
                migrations.push(format!(
                    "thread {} moved from core {} to core {core} at {ticks} ticks (line {})",
                    m.runs_name(r.runs),
                    expected_core[t],
                    r.line
                ));
                expected_core[t] = core;
            } else {
                p.add(
                    "wrong-core",
                    format!(
                        "thread {} ran on core {core} at {ticks} ticks ({} us, line {}), but the plan places it on core {} (no reschedule on core {core} moved it there)",
                        m.runs_name(r.runs),
                        m.signed_us_since_epoch(ticks),
                        r.line,
                        expected_core[t]
                    ),
                );
            }
        }
        last_seen[t] = Some(ticks);
    }

    let mut samples: Vec<Sample> = Vec::new();
    let mut missed = Vec::new();
    // Per core, the rendezvous at its boundaries: admitted minus decision.
    let mut waits: Vec<Vec<i128>> = vec![Vec::new(); cores];
    for (core, placed) in m.placed.iter().enumerate() {
        let mut prev_key: Option<Key> = None;
        let mut prev_ticks: Option<(u64, usize)> = None;
        let mut prev_runs = None;
        for (i, pr) in placed.iter().enumerate() {
            let r = pr.record;
            if let (Some(a), Some(next)) = (r.admitted, placed.get(i + 1))
                && a > next.record.ticks
            {
                p.add(
                    "order",
                    format!(
                        "core {core}'s record on line {} was admitted at {a} ticks, after its next decision on line {} ({} ticks): a core decides again only after its thread ran",
                        r.line, next.record.line, next.record.ticks
                    ),
                );
            }
            // Was a thread running on this core when it decided again?
            let from_guest = prev_runs.is_some();
            prev_runs = r.runs;
            if let Some((t, line)) = prev_ticks
                && r.ticks < t
            {
                p.add(
                    "order",
                    format!(
                        "core {core}'s record on line {} ({} ticks) is earlier than its previous one on line {line} ({t} ticks): a core's counter never goes back",
                        r.line, r.ticks
                    ),
                );
            }
            prev_ticks = Some((r.ticks, r.line));
            let at = format!("at {} ticks ({} us, line {})", r.ticks, m.signed_us_since_epoch(r.ticks), r.line);
            let Some(key) = pr.key else {
                if r.runs.is_some() && r.window.is_none() {
                    p.add("before-epoch", format!("core {core} ran {} {at}, before the epoch", m.runs_name(r.runs)));
                }
                continue;
            };
            let (ps, pe) = pr.planned.unwrap_or((0, 0));
            let entry = m.entry(key);
            if r.ticks < ps {
                p.add(
                    "early",
                    format!(
                        "core {core} recorded window {} ({}) {at}, {} ticks before it begins at {ps}",
                        m.fmt_key(key),
                        m.owner_name(entry.owner),
                        ps - r.ticks
                    ),
                );
            } else if r.ticks >= pe && pe > ps {
                p.add(
                    "stale-window",
                    format!(
                        "core {core} recorded window {} ({}) {at}, after it ended at {pe}",
                        m.fmt_key(key),
                        m.owner_name(entry.owner)
                    ),
                );
            }
            if let Some(next) = m.acts.get(key.act + 1)
                && r.ticks >= next.epoch.start().0
            {
                p.add(
                    "schedule-switch",
                    format!(
                        "core {core} still followed schedule \"{}\" {at}, after schedule \"{}\" took effect at {} ticks",
                        m.sys.spec.schedules[m.acts[key.act].schedule].name,
                        m.sys.spec.schedules[next.schedule].name,
                        next.epoch.start().0
                    ),
                );
            }
            if prev_key != Some(key) {
                if let Some(a) = r.admitted
                    && a > r.ticks
                {
                    waits[core].push(i128::from(a - r.ticks));
                }
                match r.reason {
                    Reason::Missed => missed.push(format!(
                        "missed: core {core} {at}: resumed in window {} ({}), {} ticks ({} ns) after it began",
                        m.fmt_key(key),
                        m.owner_name(entry.owner),
                        r.ticks as i128 - ps as i128,
                        m.ticks_to_ns(r.ticks as i128 - ps as i128)
                    )),
                    // Usually `boundary`; `resched` when a kick crossed the
                    // boundary first, `wait` when the thread trapped WFI as
                    // the window ended: whatever the cause, this is when the
                    // core switched.
                    _ => samples.push(Sample {
                        core,
                        key,
                        planned: ps,
                        ticks: r.ticks,
                        line: r.line,
                        entered: r.entered,
                        from_guest,
                        admitted: r.admitted,
                    }),
                }
                if let Some(pk) = prev_key
                    && r.reason != Reason::Missed
                    && !pr.after_gap
                {
                    if pk.act != key.act {
                        if (key.frame, key.entry) != (0, 0) {
                            p.add(
                                "schedule-switch",
                                format!(
                                    "core {core} entered schedule \"{}\" in window {} {at}, not at a major-frame boundary (frame 0, entry 0)",
                                    m.sys.spec.schedules[m.acts[key.act].schedule].name,
                                    m.fmt_key(key)
                                ),
                            );
                        }
                    } else if let Some(skipped) = skipped_windows(m, pk, key) {
                        p.add(
                            "skipped",
                            format!(
                                "core {core} went from window {} to {} {at} without recording window {} ({}) and without a `missed` record",
                                m.fmt_key(pk),
                                m.fmt_key(key),
                                m.fmt_key(skipped),
                                m.owner_name(m.entry(skipped).owner)
                            ),
                        );
                    }
                }
            }
            prev_key = Some(key);
        }
    }

    outside_windows(m, &mut p);
    let deadlines = deadline_misses(m, &mut p);
    let overlaps = overlaps(m);
    let overlap_count = overlaps.iter().filter(|o| !o.same_thread).count();
    for o in overlaps {
        let kind = if o.same_thread { "thread-on-two-cores" } else { "overlap" };
        p.add(kind, o.message);
    }

    // Lateness and skew.
    let lateness = |s: &Sample| s.ticks as i128 - s.planned as i128;
    let mut by_key: BTreeMap<Key, Vec<Sample>> = BTreeMap::new();
    for s in &samples {
        by_key.entry(s.key).or_default().push(*s);
    }
    if let Some(max) = bounds.max_lateness_ticks {
        for s in &samples {
            let l = lateness(s);
            if l > i128::from(max) {
                p.add(
                    "lateness",
                    format!(
                        "{}, {l} ticks ({} ns) after the planned boundary {}; bound {max} ticks",
                        s.switched(m),
                        m.ticks_to_ns(l),
                        s.planned
                    ),
                );
            }
        }
    }
    let derived = if bounds.derived { derived_bound(&samples, cores) } else { None };
    if bounds.derived && derived.is_none() {
        p.add(
            "derived-bounds",
            "no boundary record carries an <entered> stamp (7th field), so the derived bounds cannot be computed: was the log written by an older traced kernel?".into(),
        );
    }
    if let Some((bound, _)) = &derived {
        // Each core's guest stretches, [admitted, next entered): under
        // serial vCPUs, no other core ran meanwhile.
        let guest: Vec<Vec<(u64, u64)>> = m
            .placed
            .iter()
            .map(|ps| {
                ps.windows(2)
                    .filter_map(|w| {
                        let (a, e) = (w[0].record.admitted?, w[1].record.entered?);
                        (e > a).then_some((a, e))
                    })
                    .collect()
            })
            .collect();
        for s in &samples {
            let (Some(own), Some(entered)) = (s.own(), s.entered) else { continue };
            let own = if bounds.serial {
                let from = entered.max(s.planned).min(s.ticks);
                let others: u64 = guest
                    .iter()
                    .enumerate()
                    .filter(|(c, _)| *c != s.core)
                    .flat_map(|(_, g)| g.iter())
                    .map(|&(a, e)| e.min(s.ticks).saturating_sub(a.max(from)))
                    .sum();
                own.saturating_sub(others)
            } else {
                own
            };
            // A kind of path (from idle, from a running thread) this core
            // took fewer than MIN_SAMPLES_PER_KIND times has no median of
            // its own in the bound: there is nothing of this run to judge
            // it by, so it is listed in the figures but not failed.
            let kind_seen = samples.iter().filter(|o| o.core == s.core && o.from_guest == s.from_guest).count();
            if kind_seen < MIN_SAMPLES_PER_KIND {
                continue;
            }
            if own > *bound {
                let since = if entered < s.planned {
                    format!("the boundary (it had been in EL2 since {entered}, {} ticks before)", s.planned - entered)
                } else {
                    format!("entering EL2 at {entered}")
                };
                p.add(
                    "own-path",
                    format!(
                        "{}, {own} ticks ({} ns) after {since}; derived bound {bound} ticks: the kernel did other work with interrupts masked before it switched",
                        s.switched(m),
                        m.ticks_to_ns(i128::from(own)),
                    ),
                );
            }
        }
        // Only boundaries every core recorded: at the end of a log the cores
        // served last may not have flushed theirs yet.
        let recording = m.placed.iter().filter(|p| !p.is_empty()).count();
        for (key, ss) in by_key.iter().filter(|(_, ss)| ss.len() == recording) {
            let Some(first) = ss.iter().filter(|s| s.queued().is_some()).min_by_key(|s| s.queued()) else { continue };
            let queued = first.queued().unwrap_or(0);
            if queued > *bound {
                p.add(
                    "served-late",
                    format!(
                        "{}: no core entered EL2 until {queued} ticks ({} ns) after it (first: core {} at {}, line {}); derived bound {bound} ticks: the timer fired late or every core was held elsewhere",
                        boundary(m, *key, first.planned),
                        m.ticks_to_ns(i128::from(queued)),
                        first.core,
                        first.entered.unwrap_or(0),
                        first.line
                    ),
                );
            }
        }
    }
    let mut skews: Vec<i128> = Vec::new();
    for (key, ss) in &by_key {
        if ss.len() < 2 {
            continue;
        }
        let lo = ss.iter().min_by_key(|s| s.ticks).map_or(0, |s| s.ticks);
        let hi = ss.iter().max_by_key(|s| s.ticks).map_or(0, |s| s.ticks);
        let skew = i128::from(hi - lo);
        skews.push(skew);
        if let Some(max) = bounds.max_skew_ticks
            && skew > i128::from(max)
        {
            let who: Vec<String> =
                ss.iter().map(|s| format!("core {} at {} (line {})", s.core, s.ticks, s.line)).collect();
            p.add(
                "skew",
                format!(
                    "{}: cores switched {skew} ticks ({} ns) apart: {}; bound {max} ticks",
                    boundary(m, *key, ss[0].planned),
                    m.ticks_to_ns(skew),
                    who.join(", ")
                ),
            );
        }
    }

    // Report.
    let mut o = String::new();
    let (from, to) = span.ticks(m);
    let listed: Vec<(&Key, &Vec<Sample>)> =
        by_key.iter().filter(|(_, ss)| every_boundary || (ss[0].planned >= from && ss[0].planned < to)).collect();
    let _ = writeln!(
        o,
        "boundaries{}: recorded switch minus planned boundary, ticks (+ is late)",
        if every_boundary {
            String::new()
        } else {
            format!(" in frames {}..{}", span.start_frame, span.start_frame.saturating_add(span.frames))
        }
    );
    for (key, ss) in listed {
        let mut line = format!(
            "  {:<10} planned {:>12} (+{:>12} us)  {:<14}",
            m.fmt_key(*key),
            ss[0].planned,
            m.us_since_epoch(ss[0].planned),
            m.owner_name(m.entry(*key).owner)
        );
        let mut sorted = ss.clone();
        sorted.sort_by_key(|s| s.core);
        for s in &sorted {
            let _ = write!(line, " core {} {:+}", s.core, lateness(s));
        }
        if ss.len() > 1 {
            let lo = ss.iter().map(|s| s.ticks).min().unwrap_or(0);
            let hi = ss.iter().map(|s| s.ticks).max().unwrap_or(0);
            let _ = write!(line, "  skew {}", hi - lo);
        }
        let _ = writeln!(o, "{line}");
    }
    for (k, a) in m.acts.iter().enumerate().skip(1) {
        let at = a.epoch.start().0;
        let mut firsts: Vec<&Sample> =
            samples.iter().filter(|s| s.key.act == k && s.key.frame == 0 && s.key.entry == 0).collect();
        firsts.sort_by_key(|s| s.core);
        let who: Vec<String> = firsts.iter().map(|s| format!("core {} {:+}", s.core, lateness(s))).collect();
        let skew =
            firsts.iter().map(|s| s.ticks).max().unwrap_or(0) - firsts.iter().map(|s| s.ticks).min().unwrap_or(0);
        let _ = writeln!(
            o,
            "schedule switch {k}: \"{}\" -> \"{}\" at {at} ticks ({} us): {}; skew {skew} ticks ({} ns)",
            m.sys.spec.schedules[m.acts[k - 1].schedule].name,
            m.sys.spec.schedules[a.schedule].name,
            m.signed_us_since_epoch(at),
            who.join(", "),
            m.ticks_to_ns(i128::from(skew))
        );
    }
    for mig in &migrations {
        let _ = writeln!(o, "migration: {mig}");
    }
    for line in &missed {
        let _ = writeln!(o, "{line}");
    }
    for line in &deadlines {
        let _ = writeln!(o, "{line}");
    }
    if let Some(line) = m.log.partial_line {
        let _ = writeln!(o, "note: ignored the unfinished last line {line} of the log");
    }
    for kind in &p.order {
        let msgs = &p.by_kind[kind];
        for msg in msgs.iter().take(SHOWN_PER_KIND) {
            let _ = writeln!(o, "FAIL {kind}: {msg}");
        }
        if msgs.len() > SHOWN_PER_KIND {
            let _ = writeln!(o, "FAIL {kind}: ... and {} more", msgs.len() - SHOWN_PER_KIND);
        }
    }
    for core in 0..cores {
        let mut ls: Vec<i128> = samples.iter().filter(|s| s.core == core).map(lateness).collect();
        let _ = writeln!(o, "lateness core {core}: {}", stats(m, &mut ls));
    }
    for core in 0..cores {
        let mut own: Vec<i128> =
            samples.iter().filter(|s| s.core == core).filter_map(Sample::own).map(i128::from).collect();
        let mut queued: Vec<i128> =
            samples.iter().filter(|s| s.core == core).filter_map(Sample::queued).map(i128::from).collect();
        if !own.is_empty() {
            let _ = writeln!(o, "own path core {core}: {}", stats(m, &mut own));
            let _ = writeln!(o, "queued core {core}: {}", stats(m, &mut queued));
        }
    }
    if m.log.gate {
        for (core, waits) in waits.iter_mut().enumerate() {
            let _ = writeln!(o, "rendezvous core {core}: {}", stats_of(m, waits, "waits"));
        }
        for core in 0..cores {
            let mut entry: Vec<i128> = samples
                .iter()
                .filter(|s| s.core == core)
                .filter_map(|s| s.admitted.map(|a| i128::from(a) - i128::from(s.planned)))
                .collect();
            let _ = writeln!(o, "entry core {core}: {}", stats(m, &mut entry));
        }
    }
    if let Some((bound, terms)) = &derived {
        let sum: Vec<String> = terms.iter().map(u64::to_string).collect();
        let _ = writeln!(
            o,
            "derived bound: {bound} ticks ({} ns) = {}, each core's median own path (the larger of from idle and from a running thread): a core's own path plus one of every other core's served in between",
            m.ticks_to_ns(i128::from(*bound)),
            sum.join(" + ")
        );
    }
    let _ = writeln!(o, "skew: {}", stats(m, &mut skews));
    let _ = writeln!(o, "overlaps: {overlap_count}");
    let _ = writeln!(o, "missed: {} records", missed.len());
    let _ = writeln!(o, "deadlines missed: {} records", m.deadlines.len());
    let problems = p.count();
    if problems == 0 {
        let _ = writeln!(o, "check: ok");
    } else {
        let _ = writeln!(o, "check: FAILED, {problems} problem{}", if problems == 1 { "" } else { "s" });
    }
    CheckReport { text: o, problems }
}

/// `boundary K (owner, planned P)`, as the per-boundary failures name one.
fn boundary(m: &Model<'_>, key: Key, planned: u64) -> String {
    format!("boundary {} ({}, planned {planned})", m.fmt_key(key), m.owner_name(m.entry(key).owner))
}

/// `N boundaries, median M ticks (X ns), max K ticks (Y ns)`; the median of
/// an even count is the lower middle value (always a recorded value).
fn stats(m: &Model<'_>, v: &mut [i128]) -> String {
    stats_of(m, v, "boundaries")
}

/// [`stats`] of samples counted as `what` (`N what, median ...`, or `0 what`).
fn stats_of(m: &Model<'_>, v: &mut [i128], what: &str) -> String {
    if v.is_empty() {
        return format!("0 {what}");
    }
    v.sort_unstable();
    let med = v[(v.len() - 1) / 2];
    let max = v[v.len() - 1];
    format!(
        "{} {what}, median {med} ticks ({} ns), max {max} ticks ({} ns)",
        v.len(),
        m.ticks_to_ns(med),
        m.ticks_to_ns(max)
    )
}

/// The first window between `from` and `to` (same activation, `to` later)
/// that is not empty in ticks, if `to` is not `from`'s successor.
fn skipped_windows(m: &Model<'_>, from: Key, to: Key) -> Option<Key> {
    let len = m.entries[m.acts[from.act].schedule].len();
    let mut k = from;
    // Bounded: a core that jumps far ahead without `missed` is reported at
    // the first non-empty window it skipped.
    for _ in 0..len.saturating_mul(4).max(8) {
        k = successor(k, len);
        if k >= to {
            return None;
        }
        let (s, e) = m.planned(k);
        if e > s {
            return Some(k);
        }
    }
    None
}

fn successor(k: Key, len: usize) -> Key {
    if k.entry + 1 < len {
        Key { entry: k.entry + 1, ..k }
    } else {
        Key { frame: k.frame.saturating_add(1), entry: 0, ..k }
    }
}

/// A thread run in a window its partition does not own, or let in by the
/// gate only after its window ended: judged on the run (from its admission),
/// not on the decision. A run that goes on past its window's end, until the
/// core's exit at the boundary, is that core's lateness (its next record
/// says how late); the rendezvous keeps the next partition out meanwhile.
fn outside_windows(m: &Model<'_>, p: &mut Problems) {
    for (core, ivs) in m.intervals.iter().enumerate() {
        for iv in ivs.iter().filter(|iv| iv.stretch == Stretch::Decided) {
            let Some((part, _)) = iv.runs else { continue };
            let pr = &m.placed[core][iv.record];
            let Some(key) = pr.key else { continue };
            let owner = m.entry(key).owner;
            let at =
                format!("at {} ticks ({} us, line {})", iv.start, m.signed_us_since_epoch(iv.start), pr.record.line);
            if owner != Some(part) {
                p.add(
                    "outside-window",
                    format!(
                        "core {core} ran {} {at} in window {} owned by {}: partition \"{}\" has no window then",
                        m.runs_name(iv.runs),
                        m.fmt_key(key),
                        m.owner_name(owner),
                        m.partition_name(part)
                    ),
                );
            } else if let Some(end) = m.admitted_after_window(iv) {
                p.add(
                    "outside-window",
                    format!(
                        "core {core} ran {} {at}, admitted by the gate after its window {} ({}) ended at {end}: its decision at {} ticks was in time, its thread was not",
                        m.runs_name(iv.runs),
                        m.fmt_key(key),
                        m.owner_name(owner),
                        pr.record.ticks
                    ),
                );
            }
        }
    }
}

/// Every `deadline` line, listed (`deadline: core C partition:thread at
/// ...`), and judged: it comes just before the decision that found the
/// miss (same core, same ticks), and names a thread of that decision's
/// window owner, since the scheduler looks only at the threads of the
/// current entry's owner (docs/DESIGN.md#core-scheduler): a miss is
/// reported in the partition's own time, never in another's.
fn deadline_misses(m: &Model<'_>, p: &mut Problems) -> Vec<String> {
    let mut listed = Vec::new();
    for d in &m.deadlines {
        let core = d.core;
        let who = m.runs_name(Some((d.miss.partition, d.miss.thread)));
        let at =
            format!("at {} ticks ({} us, line {})", d.miss.ticks, m.signed_us_since_epoch(d.miss.ticks), d.miss.line);
        let Some(i) = d.record else {
            let why = if d.at_end { "the log ends before its decision" } else { "its decision is not the next record" };
            listed.push(format!("deadline: core {core} {who} {at} ({why})"));
            if !d.at_end {
                p.add(
                    "order",
                    format!(
                        "core {core} reported {who} past its deadline {at}, but its next record is not a decision at {} ticks: a decision's deadline lines come just before its own record",
                        d.miss.ticks
                    ),
                );
            }
            continue;
        };
        let pr = &m.placed[core][i];
        let owner = pr.key.and_then(|k| m.entry(k).owner);
        let window = pr.key.map_or("-/-/-".into(), |k| m.fmt_key(k));
        listed.push(format!("deadline: core {core} {who} {at}, window {window} ({})", m.owner_name(owner)));
        if owner != Some(d.miss.partition) {
            p.add(
                "deadline-owner",
                format!(
                    "core {core} reported {who} past its deadline {at} in window {window} owned by {}: the scheduler reports a miss only for a thread of the window's owner",
                    m.owner_name(owner)
                ),
            );
        }
    }
    listed
}

struct Overlap {
    same_thread: bool,
    message: String,
}

/// Every two runs on different cores that share an instant: of different
/// partitions (CAST-32A's interference, whatever caused it), or of one
/// thread. A run is a thread's `Decided` interval: admission to exit.
/// Runs are judged up to the horizon (beyond it some core's activity is
/// unknown), and not across records lost to a `dropped` line.
fn overlaps(m: &Model<'_>) -> Vec<Overlap> {
    struct Run {
        core: usize,
        start: u64,
        end: u64,
        partition: usize,
        thread: usize,
        line: usize,
        key: Option<Key>,
    }
    let mut runs = Vec::new();
    for iv in m.intervals.iter().flatten() {
        let Some((partition, thread)) = iv.runs else { continue };
        if iv.lost {
            continue;
        }
        let end = if iv.open { iv.end.min(m.horizon) } else { iv.end };
        let pr = &m.placed[iv.core][iv.record];
        if end > iv.start {
            runs.push(Run {
                core: iv.core,
                start: iv.start,
                end,
                partition,
                thread,
                line: pr.record.line,
                key: pr.key,
            });
        }
    }
    runs.sort_by_key(|r| (r.start, r.core));
    let mut found = Vec::new();
    let mut active: Vec<usize> = Vec::new();
    for i in 0..runs.len() {
        let r = &runs[i];
        active.retain(|&j| runs[j].end > r.start);
        for &j in &active {
            let a = &runs[j];
            if a.core == r.core || (a.partition == r.partition && a.thread != r.thread) {
                continue;
            }
            let (from, to) = (r.start.max(a.start), a.end.min(r.end));
            if to <= from {
                continue;
            }
            let same_thread = a.thread == r.thread;
            let what = if same_thread {
                format!("thread {} ran on two cores at once ", m.runs_name(Some((r.partition, r.thread))))
            } else {
                format!(
                    "partitions \"{}\" and \"{}\" ran at the same time ",
                    m.partition_name(a.partition),
                    m.partition_name(r.partition)
                )
            };
            let message = format!(
                "{what}at {from} ticks ({} us) for {} ticks ({} ns): {} on core {} (line {}, window {}) and {} on core {} (line {}, window {})",
                m.signed_us_since_epoch(from),
                to - from,
                m.ticks_to_ns(i128::from(to - from)),
                m.runs_name(Some((a.partition, a.thread))),
                a.core,
                a.line,
                a.key.map_or("-/-/-".into(), |k| m.fmt_key(k)),
                m.runs_name(Some((r.partition, r.thread))),
                r.core,
                r.line,
                r.key.map_or("-/-/-".into(), |k| m.fmt_key(k)),
            );
            found.push(Overlap { same_thread, message });
        }
        active.push(i);
    }
    found
}
