//! `bulkhead trace` end to end, on console logs made here from the plan:
//! each core's decisions come from `bulkhead-sched`'s own `CoreScheduler`
//! (what the kernel runs), driven at the planned boundaries (plus any
//! lateness a test injects), printed in the kernel's trace format, flushed
//! in chunks that interleave between cores and with other console lines.
//!
//! Then one negative test per rule of `--check`, each on a log of a few
//! lines written out by hand against `tests/trace/pair.toml`, and a last
//! test that finds every failure `trace_check.rs` can report in its source
//! and insists each has its negative test here.

mod common;
mod pair;

use std::path::Path;

use bulkhead::check::check;
use bulkhead::plan::PlanInputs;
use bulkhead_sched::{CoreId, CoreScheduler, Epoch, Frequency, ModuleTimeline, ScheduleId, Ticks};
use common::{assert_lane_per_core, bulkhead, parse_svg, scratch, svg_texts};
use pair::{PAIR_HEADER, PUNCTUAL_FRAME_0, check_pair};

const QEMU_HZ: u64 = 62_500_000;
const EPOCH: u64 = 1_250_000;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trace").join(name).display().to_string()
}

/// One simulated run.
struct Sim {
    desc: String,
    hz: u64,
    frames: u64,
    /// Ask for a switch to this schedule during this frame of the initial one.
    switch: Option<(usize, u64)>,
}

/// Per core, its trace lines (without the `trace: ` prefix's core), in its
/// order; `late(core, frame, entry)` delays that boundary decision.
fn simulate(sim: &Sim, late: impl Fn(usize, u64, u16) -> u64) -> (String, Vec<Vec<String>>) {
    let source = std::fs::read_to_string(&sim.desc).unwrap();
    let sys = check(&source).system.expect("the description checks");
    let inputs = PlanInputs::new(&sys.spec).unwrap();
    let schedules = inputs.schedules();
    let plan = inputs.plan(&schedules).unwrap();
    let freq = Frequency::from_hz(sim.hz).unwrap();
    let initial = sys.spec.schedules.iter().position(|s| s.initial).unwrap_or(0);
    let mut timeline = ModuleTimeline::new(&plan, freq, ScheduleId(initial as u8), Epoch::new(Ticks(EPOCH))).unwrap();
    if let Some((to, frame)) = sim.switch {
        let major = sys.spec.schedules[initial].major_frame_ns;
        let at = Epoch::new(Ticks(EPOCH))
            .boundary(freq, bulkhead_sched::Nanos(major), frame, bulkhead_sched::Nanos(major / 2))
            .unwrap();
        timeline.request_switch(&plan, ScheduleId(to as u8), at).unwrap();
    }
    let cores = sys.spec.module.core_count as usize;
    let header =
        format!("trace: begin {} freq={} epoch={EPOCH} cores={cores} schedule={initial}", sys.spec.module.name, sim.hz);
    let mut per_core = Vec::new();
    for c in 0..cores {
        let mut s = CoreScheduler::new(&plan, &timeline, CoreId(c as u8)).unwrap();
        let mut lines = Vec::new();
        let boot = EPOCH - 1000 + c as u64;
        let d = s.on_tick(Ticks(boot));
        assert!(d.window.is_none());
        lines.push(format!("trace: {c} {boot} -/-/- - - resched"));
        let mut next = d.next_deadline;
        let mut schedule_frames = 0u64;
        loop {
            // Where would a punctual core be? Delay that decision.
            let probe = s.clone().on_tick(next);
            let w = probe.window.unwrap();
            let at = Ticks(next.0 + late(c, w.frame, w.entry));
            let d = s.on_tick(at);
            let w = d.window.unwrap();
            if w.schedule.0 as usize != initial {
                schedule_frames = schedule_frames.max(w.frame + 1);
            }
            let total = if let Some((_, switch_frame)) = sim.switch {
                // Frames before the switch plus frames after it.
                switch_frame + 1 + schedule_frames
            } else {
                w.frame + 1
            };
            if total > sim.frames {
                break;
            }
            let runs = match d.runs {
                Some(t) => {
                    let p = sys.spec.threads[usize::from(t.0)].partition;
                    format!("{p} {}", t.0)
                }
                None => "- -".into(),
            };
            let reason = if d.events.missed_boundary.is_some() { "missed" } else { "boundary" };
            lines.push(format!("trace: {c} {} {}/{}/{} {runs} {reason}", at.0, w.schedule.0, w.frame, w.entry));
            next = d.next_deadline;
        }
        per_core.push(lines);
    }
    (header, per_core)
}

/// Interleave the cores' lines in chunks (as each core flushes its ring in
/// its idle time), with boot banner and partition output among them.
fn interleave(header: &str, per_core: &[Vec<String>]) -> String {
    let mut out = String::from("Bulkhead 0.1.0 (traced) on raspi4b, EL2\nmodule lockstep: 3 partitions, 5 threads\n");
    out.push_str(header);
    out.push('\n');
    let mut pos = vec![0usize; per_core.len()];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rand = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let noise = [
        "[lockstep:lane_a@0] lane a: frame ok",
        "[control:loop@2] trace: this is partition text, not a trace line",
        "health: partition control: deadline_miss logged",
        "sched: core 1 idle",
        "",
    ];
    while pos.iter().zip(per_core).any(|(p, l)| *p < l.len()) {
        let c = rand(per_core.len());
        let n = 1 + rand(40);
        let end = (pos[c] + n).min(per_core[c].len());
        for line in &per_core[c][pos[c]..end] {
            out.push_str(line);
            out.push('\n');
        }
        pos[c] = end;
        if rand(3) == 0 {
            out.push_str(noise[rand(noise.len())]);
            out.push('\n');
        }
    }
    out
}

fn lockstep() -> Sim {
    Sim { desc: fixture("lockstep.toml"), hz: QEMU_HZ, frames: 1000, switch: None }
}

fn write_log(dir: &Path, text: &str) -> String {
    let path = dir.join("console.log");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn run_check(log: &str, extra: &[&str]) -> (bool, String, String) {
    let desc = fixture("lockstep.toml");
    let mut args = vec!["trace", &desc, log, "--check"];
    args.extend_from_slice(extra);
    let out = bulkhead(&args);
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn perfect_lockstep_run_passes_with_exact_stats() {
    let dir = scratch("trace-perfect");
    let (header, per_core) = simulate(&lockstep(), |_, _, _| 0);
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, err) = run_check(&log, &["--max-lateness-ticks", "0", "--max-skew-ticks", "0"]);
    assert!(ok, "{out}\n{err}");
    // 1000 frames of 5 entries (4 windows and the trailing spare time).
    for core in 0..4 {
        assert!(
            out.contains(&format!(
                "lateness core {core}: 5000 boundaries, median 0 ticks (0 ns), max 0 ticks (0 ns)\n"
            )),
            "{out}"
        );
    }
    assert!(out.contains("\nskew: 5000 boundaries, median 0 ticks (0 ns), max 0 ticks (0 ns)\n"), "{out}");
    assert!(out.contains("\nmissed: 0 records\n"), "{out}");
    assert!(out.ends_with("\ncheck: ok\n"), "{out}");
    // The timelines: core 1 runs lane_b from the epoch for 5 ms, then idles.
    assert!(out.contains("[     1250000,      1562500)         0.000 ..     5000.000 us  lockstep:lane_b"), "{out}");
    assert!(out.contains("log: "), "{out}");
    // Boundaries of the shown frames, with every core's lateness.
    assert!(
        out.contains("  0/1/2      planned      2343750 (+   17500.000 us)  supervisor     core 0 +0 core 1 +0 core 2 +0 core 3 +0  skew 0"),
        "{out}"
    );
}

/// Core 1 leaves lane_b 37 ticks into control's window. Its lateness is
/// measured; in a log without `<admitted>` (no partition gate) its thread
/// also ran beside control:loop for those 37 ticks: an overlap, which
/// fails whatever its cause.
#[test]
fn a_late_boundary_is_measured_exactly_and_bounded() {
    let dir = scratch("trace-late");
    let (header, per_core) = simulate(&lockstep(), |c, f, e| u64::from(c == 1 && f == 500 && e == 1) * 37);
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("lateness core 1: 5000 boundaries, median 0 ticks (0 ns), max 37 ticks (592 ns)\n"), "{out}");
    assert!(out.contains("lateness core 0: 5000 boundaries, median 0 ticks (0 ns), max 0 ticks (0 ns)\n"));
    assert!(out.contains("skew: 5000 boundaries, median 0 ticks (0 ns), max 37 ticks (592 ns)\n"), "{out}");
    assert!(
        out.contains("\nFAIL overlap: partitions \"lockstep\" and \"control\" ran at the same time at 314062500 ticks (+5005000.000 us) for 37 ticks (592 ns): lockstep:lane_b on core 1 (line "),
        "{out}"
    );
    assert!(out.contains(", window 0/500/0) and control:loop on core 2 (line "), "{out}");
    assert!(out.contains("\noverlaps: 1\n"), "{out}");
    assert!(out.ends_with("check: FAILED, 1 problem\n"), "{out}");

    let (ok, out, _) = run_check(&log, &["--max-lateness-ticks", "36", "--max-skew-ticks", "40"]);
    assert!(!ok);
    assert!(
        out.contains(
            "FAIL lateness: core 1 switched to window 0/500/1 (control) at 314062537 ticks (+5005000.592 us, line "
        ),
        "{out}"
    );
    assert!(out.contains(", 37 ticks (592 ns) after the planned boundary 314062500; bound 36 ticks\n"), "{out}");
    assert!(out.ends_with("check: FAILED, 2 problems\n"), "{out}");

    let (ok, out, _) = run_check(&log, &["--max-skew-ticks", "36"]);
    assert!(!ok);
    assert!(
        out.contains(
            "FAIL skew: boundary 0/500/1 (control, planned 314062500): cores switched 37 ticks (592 ns) apart"
        ),
        "{out}"
    );
}

/// Rewrite one core's record of `frame/entry`.
fn edit(per_core: &mut [Vec<String>], core: usize, window: &str, f: impl Fn(&str) -> String) {
    let needle = format!(" {window} ");
    let line = per_core[core].iter_mut().find(|l| l.contains(&needle)).unwrap();
    *line = f(line);
}

#[test]
fn two_partitions_at_once_fail_naming_them() {
    let dir = scratch("trace-overlap");
    let (header, mut per_core) = simulate(&lockstep(), |_, _, _| 0);
    // Core 0 keeps running lane_a into control's window of frame 3.
    edit(&mut per_core, 0, "0/3/1", |l| l.replace("- - boundary", "0 0 boundary"));
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("FAIL overlap: partitions \"lockstep\" and \"control\" ran at the same time at 3437500 ticks (+35000.000 us) for 156250 ticks (2500000 ns): lockstep:lane_a on core 0"),
        "{out}"
    );
    assert!(out.contains("and control:loop on core 2"), "{out}");
    assert!(
        out.contains("FAIL outside-window: core 0 ran lockstep:lane_a at 3437500 ticks (+35000.000 us, line "),
        "{out}"
    );
    assert!(out.contains("in window 0/3/1 owned by control"), "{out}");
}

#[test]
fn a_thread_on_the_wrong_core_fails() {
    let dir = scratch("trace-wrong-core");
    let (header, mut per_core) = simulate(&lockstep(), |_, _, _| 0);
    // supervisor.main (thread 4) is placed on core 0; core 2 claims to run it.
    edit(&mut per_core, 2, "0/7/2", |l| l.replace("- - boundary", "2 4 boundary"));
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("FAIL wrong-core: thread supervisor:main ran on core 2 at 6093750 ticks (+77500.000 us, line "),
        "{out}"
    );
    assert!(out.contains("but the plan places it on core 0"), "{out}");
    assert!(out.contains("FAIL thread-on-two-cores: thread supervisor:main ran on two cores at once"), "{out}");
}

#[test]
fn a_migration_after_a_reschedule_is_allowed() {
    let dir = scratch("trace-migration");
    let (header, mut per_core) = simulate(&lockstep(), |_, _, _| 0);
    // From frame 7 on, core 2 runs supervisor.main, after a reschedule kick
    // (and core 0 no longer does).
    for l in per_core[2].iter_mut() {
        let w: Vec<&str> = l.split(' ').collect();
        let frame: u64 = w[3].split('/').nth(1).map_or(0, |f| f.parse().unwrap_or(0));
        if frame >= 7 && w[3].ends_with("/2") {
            *l = l.replace("- - boundary", "2 4 boundary");
        }
    }
    for l in per_core[0].iter_mut() {
        let w: Vec<&str> = l.split(' ').collect();
        let frame: u64 = w[3].split('/').nth(1).map_or(0, |f| f.parse().unwrap_or(0));
        if frame >= 7 {
            *l = l.replace("2 4 boundary", "- - boundary");
        }
    }
    let i = per_core[2].iter().position(|l| l.contains(" 0/6/4 ")).unwrap();
    per_core[2].insert(i + 1, "trace: 2 5600000 0/6/4 - - resched".into());
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("migration: thread supervisor:main moved from core 0 to core 2 at 6093750 ticks (line "),
        "{out}"
    );
}

#[test]
fn a_dropped_line_fails() {
    let dir = scratch("trace-dropped");
    let (header, mut per_core) = simulate(&lockstep(), |_, _, _| 0);
    let i = per_core[1].iter().position(|l| l.contains(" 0/40/0 ")).unwrap();
    per_core[1].drain(i..i + 12);
    per_core[1].insert(i, "trace: 1 dropped 12".into());
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("FAIL dropped: core 1 dropped 12 records (line "), "{out}");
    assert!(out.ends_with("check: FAILED, 1 problem\n"), "{out}");
    assert!(out.contains("lateness core 1: 4988 boundaries"), "{out}");
}

#[test]
fn a_truncated_last_line_is_ignored() {
    let dir = scratch("trace-truncated");
    let (header, per_core) = simulate(&lockstep(), |_, _, _| 0);
    let mut text = interleave(&header, &per_core);
    text.push_str("trace: 2 62631"); // QEMU stopped mid-line
    let log = write_log(&dir, &text);
    let (ok, out, err) = run_check(&log, &[]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("note: ignored the unfinished last line"), "{out}");
    assert!(out.ends_with("check: ok\n"), "{out}");
}

#[test]
fn a_malformed_trace_line_is_an_error_with_its_line_number() {
    let dir = scratch("trace-malformed");
    let (header, mut per_core) = simulate(&lockstep(), |_, _, _| 0);
    edit(&mut per_core, 3, "0/2/3", |l| l.replace(" 0/2/3 ", " 0/2 "));
    let text = interleave(&header, &per_core);
    let n = text.lines().position(|l| l.starts_with("trace: 3 ") && l.contains(" 0/2 ")).unwrap() + 1;
    let log = write_log(&dir, &text);
    let (ok, out, err) = run_check(&log, &[]);
    assert!(!ok);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(&format!(
            "error: {log}:{n}: malformed trace line: window \"0/2\" is not <schedule>/<frame>/<entry>"
        )),
        "{err}"
    );
    assert!(err.ends_with(&format!("{log}: 1 error, trace not decoded\n")), "{err}");
}

#[test]
fn svg_and_json_describe_what_ran() {
    let dir = scratch("trace-svg-json");
    let mut sim = lockstep();
    sim.frames = 20;
    let (header, per_core) = simulate(&sim, |c, _, e| (c as u64 + e as u64) % 3);
    let log = write_log(&dir, &interleave(&header, &per_core));
    let svg = dir.join("run.svg").display().to_string();
    let json = dir.join("run.json").display().to_string();
    let desc = fixture("lockstep.toml");
    let out = bulkhead(&["trace", &desc, &log, "--svg", &svg, "--json", &json, "--frames", "3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = parse_svg(&text, "trace --svg");
    let texts = svg_texts(&doc);
    assert_lane_per_core(&texts, 4);
    for name in ["lockstep", "control", "supervisor (system)"] {
        assert!(texts.contains(&name), "{texts:?}");
    }
    // Same colours as `show --svg`: lockstep (id 0) is the first of the palette.
    assert!(text.contains(r##"fill="#4e79a7""##));

    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    let complete: Vec<&serde_json::Value> = events.iter().filter(|e| e["ph"] == "X").collect();
    // Per frame: lane_a and main on core 0, lane_b on 1, loop on 2, voter on 3.
    assert_eq!(complete.len(), 5 * 20);
    let first = complete.iter().find(|e| e["tid"] == 1).unwrap();
    assert_eq!(first["name"], "lockstep:lane_b");
    assert_eq!(first["pid"], 1);
    assert_eq!(first["ts"].as_f64(), Some(0.016)); // core 1 one tick late at the epoch
    assert_eq!(first["dur"].as_f64(), Some(5000.016)); // and two ticks late at the next boundary
    // A log without `<admitted>`: the run starts at the decision.
    assert_eq!(first["args"]["admitted"], serde_json::Value::Null);
    assert_eq!(first["args"]["decided_ticks"], first["args"]["start_ticks"]);
    assert!(events.iter().any(|e| e["ph"] == "M" && e["args"]["name"] == "lockstep"));
}

#[test]
fn a_schedule_switch_takes_effect_at_a_major_frame_boundary_on_every_core() {
    let dir = scratch("trace-switch");
    let mut sim = lockstep();
    sim.frames = 30;
    sim.switch = Some((1, 9));
    let (header, per_core) = simulate(&sim, |_, _, _| 0);
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &["--max-skew-ticks", "0"]);
    assert!(ok, "{out}");
    // Frame 10 of "nominal" would begin at 1250000 + 10 * 625000.
    assert!(
        out.contains("schedule switch 1: \"nominal\" -> \"degraded\" at 7500000 ticks (+100000.000 us): core 0 +0, core 1 +0, core 2 +0, core 3 +0; skew 0 ticks (0 ns)"),
        "{out}"
    );
    // 10 frames of 5 entries, then 20 of 3.
    assert!(out.contains("lateness core 2: 110 boundaries, median 0 ticks"), "{out}");
}

#[test]
fn boundaries_round_up_as_the_kernel_does() {
    // 54 MHz and windows that are no whole number of ticks: a checker that
    // rounded differently would call the punctual switches early or late.
    let dir = scratch("trace-rounding");
    let sim = Sim { desc: fixture("odd.toml"), hz: 54_000_000, frames: 300, switch: None };
    let (header, per_core) = simulate(&sim, |_, _, _| 0);
    let log = write_log(&dir, &interleave(&header, &per_core));
    let desc = fixture("odd.toml");
    let out = bulkhead(&["trace", &desc, &log, "--check", "--max-lateness-ticks", "0"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("lateness core 0: 900 boundaries, median 0 ticks (0 ns), max 0 ticks (0 ns)"), "{text}");
}

#[test]
fn missed_boundaries_are_reported_not_failed_as_lateness() {
    let dir = scratch("trace-missed");
    let mut sim = lockstep();
    sim.frames = 40;
    // Core 2 wakes 6 ms after frame 20 began: lockstep's and control's
    // boundaries are gone; it resumes in control's window.
    let (header, per_core) = simulate(&sim, |c, f, e| u64::from(c == 2 && f == 20 && e == 0) * 375_000);
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &["--max-lateness-ticks", "0"]);
    assert!(ok, "{out}");
    assert!(out.contains("missed: core 2 at 14125000 ticks (+206000.000 us, line "), "{out}");
    assert!(out.contains("): resumed in window 0/20/1 (control), 62500 ticks (1000000 ns) after it began\n"), "{out}");
    assert!(out.contains("\nmissed: 1 records\n"), "{out}");
    assert!(out.contains("lateness core 2: 198 boundaries, median 0 ticks"), "{out}");
}

#[test]
fn logs_that_do_not_decode_say_where() {
    let dir = scratch("trace-bad-logs");
    let cases: &[(&str, &str)] = &[
        ("boot\n", "no `trace: begin` line"),
        ("trace: 0 5 -/-/- - - resched\n", ":1: trace record before the `trace: begin` line"),
        ("trace: begin lockstep freq=62500000 epoch=100 cores=4\n", ":1: malformed trace header: no schedule="),
        (
            "trace: begin lockstep freq=62500000 epoch=100 cores=4 schedule=0\nx\ntrace: 6 200 0/0/0 - - boundary\n",
            ":3: trace line for core 6, but the header says the module has 4 cores",
        ),
        (
            "trace: begin lockstep freq=62500000 epoch=100 cores=4 schedule=0\ntrace: 1 200 0/0/0 0 3 boundary\n",
            ":2: thread 3 (\"loop\") belongs to partition 1, not 0",
        ),
        (
            "trace: begin lockstep freq=62500000 epoch=100 cores=4 schedule=0\ntrace: 1 200 0/0/9 - - boundary\n",
            ":2: entry 9 does not exist: schedule \"nominal\" has 5 entries",
        ),
        (
            "trace: begin demo freq=62500000 epoch=100 cores=4 schedule=0\n",
            ":1: the log is from module \"demo\", the description is \"lockstep\"",
        ),
        (
            "trace: begin lockstep freq=62500000 epoch=100 cores=4 schedule=0\ntrace: 1 200 0/0/0 - - late\n",
            ":2: malformed trace line: unknown reason \"late\"",
        ),
        (
            "trace: begin lockstep freq=62500000 epoch=100 cores=4 schedule=0\ntrace: 1 200 0/0/0 0 1 boundary 150 199\n",
            ":2: malformed trace line: admitted 199 before the decision at 200: a core reaches the gate after it decides",
        ),
        (
            "trace: begin lockstep freq=62500000 epoch=100 cores=4 schedule=0\ntrace: 1 200 0/0/0 0 1 boundary 150 soon\n",
            ":2: malformed trace line: admitted \"soon\" is not a whole number or `-`",
        ),
        (
            "trace: begin lockstep freq=62500000 epoch=100 cores=4 schedule=0\ntrace: 1 200 0/0/0 - - boundary 150 201\n",
            ":2: malformed trace line: admitted 201 on a record where the core idles",
        ),
        (
            "trace: begin lockstep freq=62500000 epoch=100 cores=4 schedule=0\ntrace: 1 200 0/0/0 0 1 boundary 150 -\n",
            ":2: malformed trace line: admitted `-` on a record that runs a thread",
        ),
        (
            "trace: begin lockstep freq=62500000 epoch=100 cores=4 schedule=0\ntrace: 1 200 0/0/0 0 1 boundary 150 201 7\n",
            ":2: malformed trace line: 9 fields, expected 6, 7 or 8",
        ),
        (
            "trace: begin lockstep freq=62500000 epoch=100 cores=4 schedule=0\ntrace: 1 200 deadline 0\n",
            ":2: malformed trace line: 4 fields, expected 5; expected `trace: <core> <ticks> deadline <partition> <thread>`",
        ),
        (
            "trace: begin lockstep freq=62500000 epoch=100 cores=4 schedule=0\ntrace: 1 200 deadline 0 late\n",
            ":2: malformed trace line: thread \"late\" is not a whole number",
        ),
        (
            "trace: begin lockstep freq=62500000 epoch=100 cores=4 schedule=0\ntrace: 2 200 deadline 0 3\n",
            ":2: thread 3 (\"loop\") belongs to partition 1, not 0",
        ),
    ];
    for (text, expected) in cases {
        let log = write_log(&dir, text);
        let (ok, _, err) = run_check(&log, &[]);
        assert!(!ok, "{text}");
        assert!(err.contains(expected), "{text}: {err}");
    }
}

#[test]
fn a_real_qemu_log_decodes_and_checks() {
    // The first 480 lines of `bulkhead-traced` running lockstep.toml under
    // `qemu-system-aarch64 -M raspi4b -icount shift=0,sleep=off`, cut in
    // the middle of a trace line as a stopped QEMU leaves it. Under TCG the
    // cores take turns, hence the skew.
    let log = fixture("lockstep-qemu.log");
    let (ok, out, err) = run_check(&log, &[]);
    assert!(ok, "{out}\n{err}");
    let expected = [
        "note: ignored the unfinished last line 480 of the log",
        "lateness core 0: 75 boundaries, median 7 ticks (112 ns), max 7 ticks (112 ns)",
        "lateness core 1: 76 boundaries, median 70 ticks (1120 ns), max 102 ticks (1632 ns)",
        "lateness core 2: 75 boundaries, median 376 ticks (6016 ns), max 1254 ticks (20064 ns)",
        "lateness core 3: 75 boundaries, median 697 ticks (11152 ns), max 1561 ticks (24976 ns)",
        "skew: 75 boundaries, median 690 ticks (11040 ns), max 1554 ticks (24864 ns)",
        "overlaps: 0",
        "missed: 0 records",
        "deadlines missed: 0 records",
        "check: ok",
    ];
    assert!(out.ends_with(&format!("\n{}\n", expected.join("\n"))), "{out}");
    // Threads wait early in their windows: core 0 runs lane_a for 49.760 us.
    assert!(out.contains("[     4045611,      4048721)         0.112 ..       49.872 us  lockstep:lane_a"), "{out}");
    let (ok, out, _) = run_check(&log, &["--max-skew-ticks", "1000"]);
    assert!(!ok);
    assert!(
        out.contains(
            "FAIL skew: boundary 0/0/0 (lockstep, planned 4045604): cores switched 1481 ticks (23696 ns) apart: "
        ),
        "{out}"
    );
}

#[test]
fn a_real_missed_boundary_is_reported_as_missed() {
    // `selftest-missed` (the traced kernel; core 2 spins with interrupts
    // masked for 25 ms from 50 ms after the epoch) running demo.toml under
    // QEMU icount: its first 230 lines. The demo as it was then (three
    // partitions) is kept beside the log: the trace names windows and
    // threads by their index in it.
    let log = fixture("demo-missed-qemu.log");
    let desc = fixture("demo.toml");
    let out = bulkhead(&["trace", &desc, &log, "--check"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("\nmissed: core 2 at 9502910 ticks (+77005.888 us, line 147): resumed in window 0/3/3 (monitor), 187868 ticks (3005888 ns) after it began\n"),
        "{text}"
    );
    assert!(
        text.contains("\nlateness core 2: 25 boundaries, median 401 ticks (6416 ns), max 1253 ticks (20048 ns)\n"),
        "{text}"
    );
    assert!(text.ends_with("\nmissed: 1 records\ndeadlines missed: 0 records\ncheck: ok\n"), "{text}");
}

/// Appends the `<entered>` stamp to every record: `entered(core, ticks,
/// window)` for the record of `window` (`s/f/e`) decided at `ticks`.
fn with_entered(per_core: &mut [Vec<String>], entered: impl Fn(usize, u64, &str) -> u64) {
    for (core, lines) in per_core.iter_mut().enumerate() {
        for l in lines.iter_mut() {
            let w: Vec<&str> = l.split(' ').collect();
            let ticks: u64 = w[2].parse().unwrap();
            let e = entered(core, ticks, w[3]);
            *l = format!("{l} {e}");
        }
    }
}

/// Rewrites the `<entered>` stamp of `core`'s record of `window`: the core
/// entered EL2 `before` ticks before it decided.
fn restamp(per_core: &mut [Vec<String>], core: usize, window: &str, before: u64) {
    edit(per_core, core, window, |l| {
        let w: Vec<&str> = l.split(' ').collect();
        let ticks: u64 = w[2].parse().unwrap();
        format!("{} {}", w[..w.len() - 1].join(" "), ticks - before)
    });
}

/// A run whose cores are 16 ticks late at every boundary (plus what `late`
/// adds): each enters EL2 8 ticks after the boundary (queued) and decides 8
/// ticks later (its own path).
fn punctual_with_entered(late: impl Fn(usize, u64, u16) -> u64) -> (String, Vec<Vec<String>>) {
    let (header, mut per_core) = simulate(&lockstep(), |c, f, e| 16 + late(c, f, e));
    with_entered(&mut per_core, |_, t, _| t.saturating_sub(8));
    (header, per_core)
}

#[test]
fn derived_bounds_come_from_the_run_and_pass_a_punctual_one() {
    let dir = scratch("trace-derived-ok");
    let (header, per_core) = punctual_with_entered(|_, _, _| 0);
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, err) = run_check(&log, &["--derived-bounds"]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("own path core 2: 5000 boundaries, median 8 ticks (128 ns), max 8 ticks (128 ns)\n"), "{out}");
    assert!(out.contains("queued core 2: 5000 boundaries, median 8 ticks (128 ns), max 8 ticks (128 ns)\n"), "{out}");
    assert!(out.contains("derived bound: 32 ticks (512 ns) = 8 + 8 + 8 + 8, each core's median own path (the larger of from idle and from a running thread)"), "{out}");
    assert!(out.ends_with("check: ok\n"), "{out}");
}

#[test]
fn a_one_off_masked_delay_before_a_switch_fails_the_derived_bound() {
    let dir = scratch("trace-derived-own");
    // Core 3 switches 300 ticks late once, having entered EL2 at the
    // boundary: 300 ticks of its own with interrupts masked.
    let (header, mut per_core) = punctual_with_entered(|c, f, e| u64::from(c == 3 && f == 400 && e == 2) * 300);
    restamp(&mut per_core, 3, "0/400/2", 300);
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &["--derived-bounds"]);
    assert!(!ok, "{out}");
    assert!(out.contains("FAIL own-path: core 3 switched to window 0/400/2 (supervisor) at "), "{out}");
    assert!(out.contains(", 300 ticks (4800 ns) after entering EL2 at "), "{out}");
    assert!(out.contains("; derived bound 32 ticks: the kernel did other work with interrupts masked"), "{out}");
    assert!(out.ends_with("check: FAILED, 1 problem\n"), "{out}");
}

#[test]
fn a_core_already_in_el2_at_the_boundary_owns_its_lateness() {
    let dir = scratch("trace-derived-in-el2");
    // Core 1 entered EL2 84 ticks before the boundary (a long hypercall,
    // say) and decided 66 ticks after it: all 66 are the kernel's.
    let (header, mut per_core) = punctual_with_entered(|c, f, e| u64::from(c == 1 && f == 9 && e == 0) * 50);
    restamp(&mut per_core, 1, "0/9/0", 150);
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &["--derived-bounds"]);
    assert!(!ok, "{out}");
    assert!(out.contains(", 66 ticks (1056 ns) after the boundary (it had been in EL2 since "), "{out}");
    assert!(out.contains(", 84 ticks before); derived bound 32 ticks"), "{out}");
}

/// Appends the `<admitted>` field to every record that has its `<entered>`:
/// the decision's ticks when it runs a thread (no wait), `-` when it idles.
fn with_admitted(per_core: &mut [Vec<String>]) {
    for l in per_core.iter_mut().flatten() {
        let w: Vec<&str> = l.split(' ').collect();
        let admitted = if w[4] == "-" { "-" } else { w[2] };
        *l = format!("{l} {admitted}");
    }
}

/// The late boundary of `a_late_boundary_is_measured_exactly_and_bounded`
/// with the partition gate: core 1 leaves lane_b 37 ticks late, and core 2,
/// which decided on time, enters control only after that exit. Lateness is
/// the same; nothing overlaps; core 2's wait is reported.
#[test]
fn a_late_boundary_behind_the_gate_overlaps_nothing() {
    let dir = scratch("trace-late-gate");
    let (header, mut per_core) = punctual_with_entered(|c, f, e| u64::from(c == 1 && f == 500 && e == 1) * 37);
    with_admitted(&mut per_core);
    // Core 1's exit: 16 + 37 - 8 ticks after the boundary at 314062500.
    edit(&mut per_core, 2, "0/500/1", |l| l.replace(" 314062508 314062516", " 314062508 314062546"));
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("lateness core 1: 5000 boundaries, median 16 ticks (256 ns), max 53 ticks (848 ns)\n"),
        "{out}"
    );
    assert!(out.contains("\nrendezvous core 1: 0 waits\n"), "{out}");
    assert!(out.contains("\nrendezvous core 2: 1 waits, median 30 ticks (480 ns), max 30 ticks (480 ns)\n"), "{out}");
    // Core 2 enters control 16 ticks after each boundary, and once 46.
    assert!(
        out.contains("\nentry core 2: 1000 boundaries, median 16 ticks (256 ns), max 46 ticks (736 ns)\n"),
        "{out}"
    );
    assert!(out.contains("\noverlaps: 0\n"), "{out}");

    // The same log, core 2 admitted one tick before core 1's exit.
    let text = std::fs::read_to_string(&log).unwrap().replace(" 314062508 314062546", " 314062508 314062544");
    let log = write_log(&dir, &text);
    let (ok, out, _) = run_check(&log, &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("\nFAIL overlap: partitions \"lockstep\" and \"control\" ran at the same time at 314062544 ticks (+5005000.704 us) for 1 ticks (16 ns): lockstep:lane_b on core 1 (line "), "{out}");
    assert!(
        out.ends_with("\noverlaps: 1\nmissed: 0 records\ndeadlines missed: 0 records\ncheck: FAILED, 1 problem\n"),
        "{out}"
    );
}

#[test]
fn a_boundary_no_core_is_served_at_fails_the_derived_bound() {
    let dir = scratch("trace-derived-served");
    // At one boundary every core enters EL2 116 ticks late: a timer armed
    // late, not QEMU serving another vCPU.
    let (header, per_core) = punctual_with_entered(|_, f, e| u64::from(f == 700 && e == 3) * 108);
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &["--derived-bounds"]);
    assert!(!ok, "{out}");
    assert!(out.contains("FAIL served-late: boundary 0/700/3 (spare, planned "), "{out}");
    assert!(out.contains("): no core entered EL2 until 116 ticks (1856 ns) after it (first: core "), "{out}");
    assert!(out.ends_with("check: FAILED, 1 problem\n"), "{out}");
}

#[test]
fn derived_bounds_need_the_entered_stamps() {
    let dir = scratch("trace-derived-none");
    let (header, per_core) = simulate(&lockstep(), |_, _, _| 0);
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &["--derived-bounds"]);
    assert!(!ok, "{out}");
    assert!(out.contains("FAIL derived-bounds: no boundary record carries an <entered> stamp (7th field)"), "{out}");
    // Without the option the same log checks as before.
    assert!(run_check(&log, &[]).0);
}

#[test]
fn an_entered_stamp_after_its_decision_is_an_error() {
    let dir = scratch("trace-derived-bad-stamp");
    let (header, mut per_core) = punctual_with_entered(|_, _, _| 0);
    edit(&mut per_core, 2, "0/3/3", |l| {
        let w: Vec<&str> = l.split(' ').collect();
        let ticks: u64 = w[2].parse().unwrap();
        format!("{} {}", w[..w.len() - 1].join(" "), ticks + 1)
    });
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, _, err) = run_check(&log, &[]);
    assert!(!ok);
    assert!(err.contains("malformed trace line: entered "), "{err}");
    assert!(err.contains("is after the decision at "), "{err}");
}

// Negative tests on hand-made logs, one rule each, against tests/trace/pair.toml:
// two cores; partition a runs `one` on core 0 and `two` on core 1, b runs
// `main` on core 1. The logs say freq=1000000 and epoch=1000, so a tick is a
// microsecond and frame 0 of "normal" is a [1000, 5000), b [5000, 9000),
// spare [9000, 11000). Each log departs from this punctual frame 0 by the
// line or two that break the rule:
//
//   trace: 0 1000 0/0/0 0 0 boundary     core 0 runs a:one
//   trace: 1 1000 0/0/0 0 1 boundary     core 1 runs a:two
//   trace: 0 5000 0/0/1 - - boundary     core 0 idles: b has no thread there
//   trace: 1 5000 0/0/1 1 2 boundary     core 1 runs b:main
//   trace: 0 9000 0/0/2 - - boundary     spare
//   trace: 1 9000 0/0/2 - - boundary

/// The `FAIL` lines of a check's output.
fn failures(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with("FAIL ")).collect()
}

/// The check failed on exactly one problem: `expected`, a whole `FAIL` line.
#[track_caller]
fn assert_only_failure(ok: bool, out: &str, expected: &str) {
    assert!(!ok, "{out}");
    assert_eq!(failures(out), [expected], "{out}");
    assert!(out.ends_with("\ncheck: FAILED, 1 problem\n"), "{out}");
}

#[test]
fn the_punctual_hand_made_frame_passes() {
    let (ok, out) = check_pair("trace-pair-punctual", &PUNCTUAL_FRAME_0);
    assert!(ok, "{out}");
    assert!(out.contains("\nlateness core 1: 3 boundaries, median 0 ticks (0 ns), max 0 ticks (0 ns)\n"), "{out}");
    assert!(out.ends_with("\nmissed: 0 records\ndeadlines missed: 0 records\ncheck: ok\n"), "{out}");
}

/// A record before its window's planned start. Core 0 idles in b's window,
/// so switching to it early overlaps nothing: only the rule on time is broken.
#[test]
fn a_record_before_its_window_begins_fails_early() {
    let (ok, out) = check_pair(
        "trace-pair-early",
        &[
            "trace: 0 1000 0/0/0 0 0 boundary",
            "trace: 1 1000 0/0/0 0 1 boundary",
            "trace: 0 4990 0/0/1 - - boundary",
            "trace: 1 5000 0/0/1 1 2 boundary",
            "trace: 0 9000 0/0/2 - - boundary",
            "trace: 1 9000 0/0/2 - - boundary",
        ],
    );
    assert_only_failure(
        ok,
        &out,
        "FAIL early: core 0 recorded window 0/0/1 (b) at 4990 ticks (+3990.000 us, line 4), 10 ticks before it begins at 5000",
    );
}

/// A record of a window at or after its planned end: here at the very tick
/// a's window ends, core 0 still says 0/0/0 (idle, so nothing overlaps).
#[test]
fn a_record_at_its_window_end_fails_stale_window() {
    let (ok, out) = check_pair(
        "trace-pair-stale-window",
        &[
            "trace: 0 1000 0/0/0 0 0 boundary",
            "trace: 1 1000 0/0/0 0 1 boundary",
            "trace: 0 5000 0/0/0 - - wait",
            "trace: 0 5000 0/0/1 - - boundary",
            "trace: 1 5000 0/0/1 1 2 boundary",
            "trace: 0 9000 0/0/2 - - boundary",
            "trace: 1 9000 0/0/2 - - boundary",
        ],
    );
    assert_only_failure(
        ok,
        &out,
        "FAIL stale-window: core 0 recorded window 0/0/0 (a) at 5000 ticks (+4000.000 us, line 4), after it ended at 5000",
    );
}

/// A core's records go back in time (both inside b's window, so no other
/// rule notices).
#[test]
fn a_record_earlier_than_the_previous_one_fails_order() {
    let (ok, out) = check_pair(
        "trace-pair-order",
        &[
            "trace: 0 1000 0/0/0 0 0 boundary",
            "trace: 1 1000 0/0/0 0 1 boundary",
            "trace: 0 5000 0/0/1 - - boundary",
            "trace: 1 5000 0/0/1 1 2 boundary",
            "trace: 1 6000 0/0/1 - - wait",
            "trace: 1 5500 0/0/1 1 2 wake",
            "trace: 0 9000 0/0/2 - - boundary",
            "trace: 1 9000 0/0/2 - - boundary",
        ],
    );
    assert_only_failure(
        ok,
        &out,
        "FAIL order: core 1's record on line 7 (5500 ticks) is earlier than its previous one on line 6 (6000 ticks): a core's counter never goes back",
    );
}

/// Before the epoch a core may decide (`-/-/-`), but only to idle.
#[test]
fn a_thread_before_the_epoch_fails_before_epoch() {
    let mut log = vec!["trace: 0 900 -/-/- 0 0 resched", "trace: 1 901 -/-/- - - resched"];
    log.extend(PUNCTUAL_FRAME_0);
    let (ok, out) = check_pair("trace-pair-before-epoch", &log);
    assert!(!ok, "{out}");
    let fails = failures(&out);
    assert_eq!(fails.len(), 1, "{out}");
    // 100 ticks of 1 us before the epoch: the sign is written once.
    assert_eq!(
        fails[0], "FAIL before-epoch: core 0 ran a:one at 900 ticks (-100.000 us, line 2), before the epoch",
        "{out}"
    );
    assert!(out.ends_with("\ncheck: FAILED, 1 problem\n"), "{out}");
}

/// Every core of the module records: silence is not a clean run.
#[test]
fn a_core_that_recorded_nothing_fails_no_records() {
    let (ok, out) = check_pair(
        "trace-pair-no-records",
        &["trace: 0 1000 0/0/0 0 0 boundary", "trace: 0 5000 0/0/1 - - boundary", "trace: 0 9000 0/0/2 - - boundary"],
    );
    assert_only_failure(ok, &out, "FAIL no-records: core 1 recorded nothing: the module uses it");
    assert!(out.contains("\nlateness core 1: 0 boundaries\n"), "{out}");
}

/// A core passes a window without recording it and without saying `missed`.
/// Core 0's thread waits early in a's window and it sleeps through b's
/// (where it would idle anyway, so nothing overlaps).
#[test]
fn a_window_passed_without_a_record_fails_skipped() {
    let (ok, out) = check_pair(
        "trace-pair-skipped",
        &[
            "trace: 0 1000 0/0/0 0 0 boundary",
            "trace: 1 1000 0/0/0 0 1 boundary",
            "trace: 0 2000 0/0/0 - - wait",
            "trace: 1 5000 0/0/1 1 2 boundary",
            "trace: 0 9000 0/0/2 - - boundary",
            "trace: 1 9000 0/0/2 - - boundary",
        ],
    );
    assert_only_failure(
        ok,
        &out,
        "FAIL skipped: core 0 went from window 0/0/0 to 0/0/2 at 9000 ticks (+8000.000 us, line 6) without recording window 0/0/1 (b) and without a `missed` record",
    );
}

/// A thread in a window its partition does not own: a:two in b's window.
/// b:main does not run then, so no two partitions overlap.
#[test]
fn a_thread_in_another_partitions_window_fails_outside_window() {
    let (ok, out) = check_pair(
        "trace-pair-outside-window",
        &[
            "trace: 0 1000 0/0/0 0 0 boundary",
            "trace: 1 1000 0/0/0 0 1 boundary",
            "trace: 0 5000 0/0/1 - - boundary",
            "trace: 1 5000 0/0/1 0 1 boundary",
            "trace: 0 9000 0/0/2 - - boundary",
            "trace: 1 9000 0/0/2 - - boundary",
        ],
    );
    assert_only_failure(
        ok,
        &out,
        "FAIL outside-window: core 1 ran a:two at 5000 ticks (+4000.000 us, line 5) in window 0/0/1 owned by b: partition \"a\" has no window then",
    );
}

/// A thread on a core the plan does not place it on, with no reschedule
/// that moved it: a:two (core 1) on core 0, while core 1 idles.
#[test]
fn a_thread_on_a_core_it_is_not_placed_on_fails_wrong_core() {
    let (ok, out) = check_pair(
        "trace-pair-wrong-core",
        &[
            "trace: 0 1000 0/0/0 0 1 boundary",
            "trace: 1 1000 0/0/0 - - boundary",
            "trace: 0 5000 0/0/1 - - boundary",
            "trace: 1 5000 0/0/1 1 2 boundary",
        ],
    );
    assert_only_failure(
        ok,
        &out,
        "FAIL wrong-core: thread a:two ran on core 0 at 1000 ticks (+0.000 us, line 2), but the plan places it on core 1 (no reschedule on core 0 moved it there)",
    );
}

/// A migration (a reschedule on the new core) moves a thread; it does not
/// let it run on both cores: core 1 keeps running a:two after core 0 took it.
#[test]
fn a_thread_that_migrates_but_keeps_running_fails_thread_on_two_cores() {
    let (ok, out) = check_pair(
        "trace-pair-thread-on-two-cores",
        &[
            "trace: 0 1000 0/0/0 0 0 boundary",
            "trace: 1 1000 0/0/0 0 1 boundary",
            "trace: 0 2000 0/0/0 0 1 resched",
            "trace: 0 5000 0/0/1 - - boundary",
            "trace: 1 5000 0/0/1 1 2 boundary",
        ],
    );
    assert_only_failure(
        ok,
        &out,
        "FAIL thread-on-two-cores: thread a:two ran on two cores at once at 2000 ticks (+1000.000 us) for 3000 ticks (3000000 ns): a:two on core 1 (line 3, window 0/0/0) and a:two on core 0 (line 4, window 0/0/0)",
    );
    assert!(out.contains("\nmigration: thread a:two moved from core 1 to core 0 at 2000 ticks (line 4)\n"), "{out}");
}

/// Lost records fail by themselves; what follows the gap is not judged
/// against what came before it (here core 1's 0/0/1 is gone: not `skipped`).
#[test]
fn a_dropped_line_fails_dropped_alone() {
    let (ok, out) = check_pair(
        "trace-pair-dropped",
        &[
            "trace: 0 1000 0/0/0 0 0 boundary",
            "trace: 1 1000 0/0/0 0 1 boundary",
            "trace: 0 5000 0/0/1 - - boundary",
            "trace: 1 dropped 1",
            "trace: 0 9000 0/0/2 - - boundary",
            "trace: 1 9000 0/0/2 - - boundary",
        ],
    );
    assert_only_failure(
        ok,
        &out,
        "FAIL dropped: core 1 dropped 1 records (line 5): its ring overflowed before it was flushed, so what it ran there is unknown; flush more often or enlarge the ring",
    );
}

// Schedule switches. "fallback" (1) is b [0, 6000), a [6000, 9000), spare
// [9000, 10000) of each frame; "quiet" (2) is a for the whole frame. A
// switch requested in frame 0 of "normal" takes effect at its end, 11000
// ticks: frame 0 of the new schedule, entry 0, on every core.

#[test]
fn the_punctual_hand_made_switch_passes() {
    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log.extend(["trace: 0 11000 1/0/0 - - boundary", "trace: 1 11000 1/0/0 1 2 boundary"]);
    log.extend(["trace: 0 17000 1/0/1 0 0 boundary", "trace: 1 17000 1/0/1 0 1 boundary"]);
    let (ok, out) = check_pair("trace-pair-switch", &log);
    assert!(ok, "{out}");
    assert!(
        out.contains("\nschedule switch 1: \"normal\" -> \"fallback\" at 11000 ticks (+10000.000 us): core 0 +0, core 1 +0; skew 0 ticks (0 ns)\n"),
        "{out}"
    );
}

/// Every core switches to the same schedule.
#[test]
fn cores_switching_to_different_schedules_fail_schedule_switch() {
    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log.extend(["trace: 0 11000 1/0/0 - - boundary", "trace: 1 11000 2/0/0 0 1 boundary"]);
    let (ok, out) = check_pair("trace-pair-switch-schedules", &log);
    assert_only_failure(
        ok,
        &out,
        "FAIL schedule-switch: schedule switch 1: core 0 switched to schedule 1 (line 8) but core 1 to schedule 2 (line 9)",
    );
}

/// Every core leaves the old schedule at the same major-frame boundary.
/// Core 1 runs one more frame of "normal": its switch is a frame late, so
/// its record of that frame comes after "fallback" took effect and it joins
/// "fallback" in its frame 1; each is a failure of the same switch.
#[test]
fn cores_switching_at_different_frames_fail_schedule_switch() {
    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log.extend([
        "trace: 0 11000 1/0/0 - - boundary",
        "trace: 1 11000 0/1/0 0 1 boundary",
        "trace: 1 21000 1/1/0 1 2 boundary",
    ]);
    let (ok, out) = check_pair("trace-pair-switch-frames", &log);
    assert!(!ok, "{out}");
    assert_eq!(
        failures(&out),
        [
            "FAIL schedule-switch: schedule switch 1 to \"fallback\": core 1 left the old schedule after frame 1 (switch at 21000 ticks, line 10) but core 0 at 11000 ticks (line 8)",
            "FAIL schedule-switch: core 1 still followed schedule \"normal\" at 11000 ticks (+10000.000 us, line 9), after schedule \"fallback\" took effect at 11000 ticks",
            "FAIL schedule-switch: core 1 entered schedule \"fallback\" in window 1/1/0 at 21000 ticks (+20000.000 us, line 10), not at a major-frame boundary (frame 0, entry 0)",
        ],
        "{out}"
    );
    assert!(out.ends_with("\ncheck: FAILED, 3 problems\n"), "{out}");
}

/// No core follows the old schedule once the new one took effect: core 1
/// never switches (the log ends before it could say otherwise).
#[test]
fn a_core_still_on_the_old_schedule_fails_schedule_switch() {
    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log.extend(["trace: 0 11000 1/0/0 - - boundary", "trace: 1 11000 0/1/0 0 1 boundary"]);
    let (ok, out) = check_pair("trace-pair-switch-old", &log);
    assert_only_failure(
        ok,
        &out,
        "FAIL schedule-switch: core 1 still followed schedule \"normal\" at 11000 ticks (+10000.000 us, line 9), after schedule \"fallback\" took effect at 11000 ticks",
    );
}

/// A core enters the new schedule at frame 0, entry 0: core 0 (idle in
/// b's window anyway) first records "fallback" in a's window, 1/0/1.
#[test]
fn a_core_entering_a_schedule_mid_frame_fails_schedule_switch() {
    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log.extend([
        "trace: 1 11000 1/0/0 1 2 boundary",
        "trace: 0 17000 1/0/1 0 0 boundary",
        "trace: 1 17000 1/0/1 0 1 boundary",
    ]);
    let (ok, out) = check_pair("trace-pair-switch-mid-frame", &log);
    assert_only_failure(
        ok,
        &out,
        "FAIL schedule-switch: core 0 entered schedule \"fallback\" in window 1/0/1 at 17000 ticks (+16000.000 us, line 9), not at a major-frame boundary (frame 0, entry 0)",
    );
}

// The partition gate (8-field logs): a thread runs from `<admitted>` until
// the core's next `<entered>` (its exit from the guest). At the boundary
// from a to b (5000) below, core 0 leaves a:one late, at 5006, and decides
// only at 5008; core 1 left a:two at 5001 and decided at 5002, before core
// 0 did, but waited at the gate for core 0 to leave a.

/// Frame 0 of the pair with the gate: core 1 admitted into b at
/// `admitted_b` (core 0 exits a at 5006).
fn gated_frame_0(admitted_b: &str) -> Vec<String> {
    vec![
        "trace: 0 1000 0/0/0 0 0 boundary 990 1000".into(),
        "trace: 1 1000 0/0/0 0 1 boundary 995 1001".into(),
        format!("trace: 1 5002 0/0/1 1 2 boundary 5001 {admitted_b}"),
        "trace: 0 5008 0/0/1 - - boundary 5006 -".into(),
        "trace: 0 9000 0/0/2 - - boundary 8990 -".into(),
        "trace: 1 9003 0/0/2 - - boundary 9001 -".into(),
    ]
}

/// `bulkhead trace pair.toml LOG ARGS` on [`PAIR_HEADER`] and `records`:
/// whether it passed, and its stdout.
fn run_pair(scratch_name: &str, records: &[String], args: &[&str]) -> (bool, String) {
    let dir = scratch(scratch_name);
    let log = write_log(&dir, &format!("{PAIR_HEADER}\n{}\n", records.join("\n")));
    let desc = fixture("pair.toml");
    let mut all = vec!["trace", &desc, &log];
    all.extend_from_slice(args);
    let out = bulkhead(&all);
    // The log decodes: stderr says only which files were written.
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.lines().all(|l| l.starts_with("wrote ")), "{stderr}");
    (out.status.success(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn a_core_admitted_after_the_other_left_passes_with_no_overlap() {
    let (ok, out) = run_pair("trace-gate-after-exit", &gated_frame_0("5007"), &["--check"]);
    assert!(ok, "{out}");
    assert!(out.contains("\noverlaps: 0\n"), "{out}");
    // Lateness is still the decision's: core 0 decided 8 ticks late.
    assert!(out.contains("\nlateness core 0: 3 boundaries, median 0 ticks (0 ns), max 8 ticks (8000 ns)\n"), "{out}");
    assert!(out.contains("\nrendezvous core 0: 0 waits\n"), "{out}");
    assert!(out.contains("\nrendezvous core 1: 2 waits, median 1 ticks (1000 ns), max 5 ticks (5000 ns)\n"), "{out}");
    assert!(out.contains("\nentry core 1: 2 boundaries, median 1 ticks (1000 ns), max 7 ticks (7000 ns)\n"), "{out}");
    assert!(out.ends_with("\ncheck: ok\n"), "{out}");
    // The timelines: a:one until core 0's exit; core 1 at the gate, then b.
    assert!(
        out.contains("\n  [        1000,         5006)         0.000 ..     4006.000 us  a:one                    (0/0/0 boundary)\n  [        5006,         5008)      4006.000 ..     4008.000 us  idle (in EL2)            (0/0/0 boundary)\n"),
        "{out}"
    );
    assert!(
        out.contains("\n  [        5002,         5007)      4002.000 ..     4007.000 us  idle (rendezvous)        (0/0/1 boundary)\n  [        5007,         9001)      4007.000 ..     8001.000 us  b:main                   (0/0/1 boundary)\n"),
        "{out}"
    );
}

#[test]
fn a_core_admitted_before_the_other_left_fails_overlap() {
    let (ok, out) = run_pair("trace-gate-before-exit", &gated_frame_0("5004"), &["--check"]);
    assert!(!ok, "{out}");
    assert_eq!(
        failures(&out),
        [
            "FAIL overlap: partitions \"a\" and \"b\" ran at the same time at 5004 ticks (+4004.000 us) for 2 ticks (2000 ns): a:one on core 0 (line 2, window 0/0/0) and b:main on core 1 (line 4, window 0/0/1)"
        ],
        "{out}"
    );
    assert!(out.contains("\noverlaps: 1\n"), "{out}");
    assert!(out.ends_with("\ncheck: FAILED, 1 problem\n"), "{out}");
}

/// Without `<admitted>` (a kernel without the gate) b:main runs from core
/// 1's decision; a:one still ends at core 0's exit (`<entered>`), not at its
/// decision: 4 ticks of overlap, not 6.
#[test]
fn a_late_core_without_the_gate_fails_overlap() {
    let records: Vec<String> = gated_frame_0("-")
        .iter()
        .map(|l| l.rsplit_once(' ').map_or(l.as_str(), |(head, _)| head).to_string())
        .collect();
    let (ok, out) = run_pair("trace-gate-none", &records, &["--check"]);
    assert!(!ok, "{out}");
    assert_eq!(
        failures(&out),
        [
            "FAIL overlap: partitions \"a\" and \"b\" ran at the same time at 5002 ticks (+4002.000 us) for 4 ticks (4000 ns): a:one on core 0 (line 2, window 0/0/0) and b:main on core 1 (line 4, window 0/0/1)"
        ],
        "{out}"
    );
    // No gate, no rendezvous to report.
    assert!(!out.contains("rendezvous core"), "{out}");
    assert!(!out.contains("entry core"), "{out}");
}

/// A decision in time does not excuse a thread let in after its window:
/// core 1 decided b:main at 5000 but the gate admitted it at 9000, when b's
/// window ended.
#[test]
fn a_thread_admitted_after_its_window_ended_fails_outside_window() {
    let (ok, out) = check_pair(
        "trace-gate-after-window",
        &[
            "trace: 0 1000 0/0/0 0 0 boundary 990 1000",
            "trace: 1 1000 0/0/0 0 1 boundary 990 1000",
            "trace: 0 5000 0/0/1 - - boundary 4990 -",
            "trace: 1 5000 0/0/1 1 2 boundary 4990 9000",
            "trace: 0 9000 0/0/2 - - boundary 8990 -",
            "trace: 1 9004 0/0/2 - - boundary 9002 -",
        ],
    );
    assert_only_failure(
        ok,
        &out,
        "FAIL outside-window: core 1 ran b:main at 9000 ticks (+8000.000 us, line 5), admitted by the gate after its window 0/0/1 (b) ended at 9000: its decision at 5000 ticks was in time, its thread was not",
    );
}

/// A core runs its thread before it decides again: an admission after the
/// core's next decision is a counter gone back.
#[test]
fn an_admission_after_the_next_decision_fails_order() {
    let (ok, out) = check_pair(
        "trace-gate-order",
        &[
            "trace: 0 1000 0/0/0 0 0 boundary 990 1000",
            "trace: 1 1000 0/0/0 0 1 boundary 990 1600",
            "trace: 1 1500 0/0/0 - - wait 1400 -",
            "trace: 0 5000 0/0/1 - - boundary 4990 -",
            "trace: 1 5000 0/0/1 1 2 boundary 4990 5000",
            "trace: 0 9000 0/0/2 - - boundary 8990 -",
            "trace: 1 9000 0/0/2 - - boundary 8990 -",
        ],
    );
    assert_only_failure(
        ok,
        &out,
        "FAIL order: core 1's record on line 3 was admitted at 1600 ticks, after its next decision on line 4 (1500 ticks): a core decides again only after its thread ran",
    );
}

/// The rendezvous lines, per core: the wait at the gate (admitted minus
/// decision, boundaries where the core waited at all) and the entry into
/// the next partition (admitted minus the planned boundary, every boundary
/// switch into a thread). Two frames; one tick is 1000 ns.
#[test]
fn the_rendezvous_is_reported_per_core() {
    let records: Vec<String> = [
        "trace: 0 1000 0/0/0 0 0 boundary 990 1000",  // wait 0, entry 0
        "trace: 1 1001 0/0/0 0 1 boundary 995 1001",  // wait 0, entry 1
        "trace: 1 5001 0/0/1 1 2 boundary 5000 5004", // wait 3, entry 4
        "trace: 0 5003 0/0/1 - - boundary 5002 -",    // core 0 left a at 5002
        "trace: 0 9000 0/0/2 - - boundary 8990 -",
        "trace: 1 9002 0/0/2 - - boundary 9001 -",
        "trace: 0 11000 0/1/0 0 0 boundary 10990 11002", // wait 2, entry 2
        "trace: 1 11001 0/1/0 0 1 boundary 10995 11001", // wait 0, entry 1
        "trace: 1 15001 0/1/1 1 2 boundary 15000 15009", // wait 8, entry 9
        "trace: 0 15010 0/1/1 - - boundary 15008 -",     // core 0 left a at 15008
        "trace: 0 19000 0/1/2 - - boundary 18990 -",
        "trace: 1 19001 0/1/2 - - boundary 19000 -",
    ]
    .map(String::from)
    .to_vec();
    let (ok, out) = run_pair("trace-gate-report", &records, &["--check"]);
    assert!(ok, "{out}");
    let expected = [
        "rendezvous core 0: 1 waits, median 2 ticks (2000 ns), max 2 ticks (2000 ns)",
        "rendezvous core 1: 2 waits, median 3 ticks (3000 ns), max 8 ticks (8000 ns)",
        "entry core 0: 2 boundaries, median 0 ticks (0 ns), max 2 ticks (2000 ns)",
        "entry core 1: 4 boundaries, median 1 ticks (1000 ns), max 9 ticks (9000 ns)",
        "skew: 6 boundaries, median 1 ticks (1000 ns), max 9 ticks (9000 ns)",
        "overlaps: 0",
        "missed: 0 records",
        "deadlines missed: 0 records",
        "check: ok",
    ];
    assert!(out.ends_with(&format!("\n{}\n", expected.join("\n"))), "{out}");
}

/// `--json` and `--svg` draw a run from its admission to its exit; the
/// rendezvous before it is idle.
#[test]
fn json_and_svg_draw_runs_from_the_admission() {
    let dir = scratch("trace-gate-drawings");
    let svg = dir.join("run.svg").display().to_string();
    let json = dir.join("run.json").display().to_string();
    let (ok, _) = run_pair("trace-gate-drawings-log", &gated_frame_0("5007"), &["--svg", &svg, "--json", &json]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    let b = events.iter().find(|e| e["ph"] == "X" && e["name"] == "b:main").unwrap();
    assert_eq!(b["ts"].as_f64(), Some(4007.0));
    assert_eq!(b["dur"].as_f64(), Some(3994.0));
    assert_eq!(b["args"]["start_ticks"], 5007);
    assert_eq!(b["args"]["end_ticks"], 9001);
    assert_eq!(b["args"]["decided_ticks"], 5002);
    assert_eq!(b["args"]["admitted"], 5007);
    // Idle time, the rendezvous included, has no event: one run per thread.
    assert_eq!(events.iter().filter(|e| e["ph"] == "X").count(), 3);

    let text = std::fs::read_to_string(&svg).unwrap();
    parse_svg(&text, "trace --svg");
    assert!(text.contains("waiting at the rendezvous to run b:main on core 1: [5002, 5007) ticks"), "{text}");
    assert!(text.contains("b:main on core 1: [5007, 9001) ticks"), "{text}");
}

/// The `--check` example in the README is what the tool prints for
/// `tests/trace/pair-gate.log`, from the boundary listing to the verdict.
#[test]
fn the_readme_check_example_is_what_the_tool_prints() {
    let readme = include_str!("../README.md");
    let (_, section) = readme.split_once("### `--check`").unwrap();
    let (_, block) = section.split_once("```text\n").unwrap();
    let (example, _) = block.split_once("```").unwrap();
    let (desc, log) = (fixture("pair.toml"), fixture("pair-gate.log"));
    let out = bulkhead(&["trace", &desc, &log, "--check"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let (_, report) = text.split_once("\nboundaries in frames").unwrap();
    assert_eq!(format!("boundaries in frames{report}"), example);
}

/// Frame 0 of `pair.toml` with core 0's decision at 3000, in a's window,
/// finding a.one past its deadline: its `deadline` line (line 4) comes
/// just before that decision's own record, as the kernel writes them.
fn deadline_in_frame_0() -> Vec<&'static str> {
    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log.splice(2..2, ["trace: 0 3000 deadline 0 0", "trace: 0 3000 0/0/0 0 0 wake"]);
    log
}

/// A deadline miss is listed with the window of the decision that found
/// it, and counted; it is the partition's business, not a failure.
#[test]
fn a_deadline_miss_is_listed_with_its_window_and_counted() {
    let (ok, out) = check_pair("trace-deadline-listed", &deadline_in_frame_0());
    assert!(ok, "{out}");
    assert!(out.contains("\ndeadline: core 0 a:one at 3000 ticks (+2000.000 us, line 4), window 0/0/0 (a)\n"), "{out}");
    assert!(out.ends_with("\nmissed: 0 records\ndeadlines missed: 1 records\ncheck: ok\n"), "{out}");
}

/// The scheduler reports misses only for the threads of the window's
/// owner: a `deadline` line naming a.two in b's window is not one the
/// kernel writes.
#[test]
fn a_deadline_miss_in_another_partitions_window_fails_deadline_owner() {
    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log.insert(3, "trace: 1 5000 deadline 0 1");
    let (ok, out) = check_pair("trace-deadline-owner", &log);
    assert_only_failure(
        ok,
        &out,
        "FAIL deadline-owner: core 1 reported a:two past its deadline at 5000 ticks (+4000.000 us, line 5) in window 0/0/1 owned by b: the scheduler reports a miss only for a thread of the window's owner",
    );
}

/// A `deadline` line comes just before the decision that found the miss
/// (same core, same ticks); one followed by another decision is out of
/// order. One at the very end of a core's log is listed, not judged.
#[test]
fn a_deadline_miss_not_followed_by_its_decision_fails_order() {
    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log.insert(2, "trace: 0 3000 deadline 0 0");
    let (ok, out) = check_pair("trace-deadline-order", &log);
    assert_only_failure(
        ok,
        &out,
        "FAIL order: core 0 reported a:one past its deadline at 3000 ticks (+2000.000 us, line 4), but its next record is not a decision at 3000 ticks: a decision's deadline lines come just before its own record",
    );

    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log.push("trace: 0 11000 deadline 0 0");
    let (ok, out) = check_pair("trace-deadline-at-end", &log);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "\ndeadline: core 0 a:one at 11000 ticks (+10000.000 us, line 8) (the log ends before its decision)\n"
        ),
        "{out}"
    );
}

/// `--svg` marks a deadline miss on its core's lane at the decision that
/// found it; `--json` has an instant event on the core's track; the text
/// timeline lists it before that decision's interval.
#[test]
fn a_deadline_miss_is_marked_in_the_svg_the_json_and_the_timeline() {
    let dir = scratch("trace-deadline-drawings");
    let svg = dir.join("run.svg").display().to_string();
    let json = dir.join("run.json").display().to_string();
    let records: Vec<String> = deadline_in_frame_0().into_iter().map(String::from).collect();
    let (ok, text) = run_pair("trace-deadline-drawings-log", &records, &["--svg", &svg, "--json", &json]);
    assert!(ok);
    assert!(
        text.contains("\n          3000                     2000.000 us     deadline missed: a:one (line 4)\n  [        3000,         5000)"),
        "{text}"
    );

    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    let instants: Vec<&serde_json::Value> = events.iter().filter(|e| e["ph"] == "i").collect();
    assert_eq!(instants.len(), 1, "{events:?}");
    let miss = instants[0];
    assert_eq!(miss["name"], "deadline missed: a:one");
    assert_eq!((miss["tid"].as_u64(), miss["s"].as_str(), miss["ts"].as_f64()), (Some(0), Some("t"), Some(2000.0)));
    assert_eq!((miss["args"]["partition"].as_str(), miss["args"]["thread"].as_str()), (Some("a"), Some("one")));
    assert_eq!((miss["args"]["window"].as_str(), miss["args"]["line"].as_u64()), (Some("0/0/0"), Some(4)));

    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = parse_svg(&text, "trace --svg");
    let markers: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("path"))
        .filter(|n| {
            n.children().any(|c| c.has_tag_name("title") && c.text().is_some_and(|t| t.starts_with("deadline missed")))
        })
        .collect();
    assert_eq!(markers.len(), 1, "{text}");
    assert_eq!(markers[0].attribute("fill"), Some("#d62728"));
    let title = markers[0].children().find(|c| c.has_tag_name("title")).and_then(|c| c.text()).unwrap();
    assert_eq!(
        title,
        "deadline missed: a:one, found at 3000 ticks (+2000.000 us) by core 0's decision in window 0/0/0 (line 4)"
    );
    assert!(svg_texts(&doc).contains(&"deadline missed (marker)"));
}

/// Processes of one partition sharing a core (`tests/trace/shared-core.toml`:
/// a.one and a.two on core 0) are told apart in `--svg`: a shade of the
/// partition's colour each, named in the legend; b, alone on the core,
/// keeps its plain colour. The check judges them as any thread, a
/// deadline miss of a.two in a's window included.
#[test]
fn threads_sharing_a_core_get_shades_of_their_partitions_colour() {
    let dir = scratch("trace-shared-core");
    let log = write_log(
        &dir,
        &[
            "trace: begin shared freq=1000000 epoch=1000 cores=1 schedule=0",
            "trace: 0 1000 0/0/0 0 0 boundary",
            "trace: 0 2000 0/0/0 0 1 wait",
            "trace: 0 3000 deadline 0 1",
            "trace: 0 3000 0/0/0 0 1 resched",
            "trace: 0 5000 0/0/1 1 2 boundary",
            "trace: 0 9000 0/0/2 - - boundary",
            "",
        ]
        .join("\n"),
    );
    let svg = dir.join("run.svg").display().to_string();
    let desc = fixture("shared-core.toml");
    let out = bulkhead(&["trace", &desc, &log, "--check", "--svg", &svg]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("\ndeadline: core 0 a:two at 3000 ticks (+2000.000 us, line 4), window 0/0/0 (a)\n"),
        "{stdout}"
    );

    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = parse_svg(&text, "trace --svg");
    let fill_of = |run: &str| -> Vec<&str> {
        doc.descendants()
            .filter(|n| n.has_tag_name("rect"))
            .filter(|n| n.children().any(|c| c.has_tag_name("title") && c.text().is_some_and(|t| t.starts_with(run))))
            .filter_map(|n| n.attribute("fill"))
            .collect()
    };
    let (one, two, main) = (fill_of("a:one on core 0"), fill_of("a:two on core 0"), fill_of("b:main on core 0"));
    assert_eq!(one, ["#4e79a7"], "a's first thread keeps a's colour");
    assert_eq!(two.len(), 2, "{text}");
    assert!(two.iter().all(|&f| f == two[0] && f != "#4e79a7" && f != "#f28e2b"), "{two:?}");
    assert_eq!(main, ["#f28e2b"], "b alone on its core keeps its colour");
    let texts = svg_texts(&doc);
    assert!(texts.contains(&"a:one (core 0)") && texts.contains(&"a:two (core 0)"), "{texts:?}");
    assert!(!texts.contains(&"b:main (core 0)"), "{texts:?}");
    // Each slice wide enough for it carries its thread's name.
    assert!(texts.contains(&"one") && texts.contains(&"two"), "{texts:?}");
}

/// Every message `--check` can fail with, one row per place the checker
/// writes one: its kind, and a fragment of its text (as written in the
/// source) that a negative test above asserts.
const FAILURE_MESSAGES: &[(&str, &str)] = &[
    ("dropped", "its ring overflowed before it was flushed"),
    ("schedule-switch", " switched to schedule "),
    ("schedule-switch", " left the old schedule after frame "),
    ("schedule-switch", " still followed schedule "),
    ("schedule-switch", ", not at a major-frame boundary (frame 0, entry 0)"),
    ("no-records", " recorded nothing: the module uses it"),
    ("wrong-core", ", but the plan places it on core "),
    ("order", "a core's counter never goes back"),
    ("order", "a core decides again only after its thread ran"),
    ("order", "a decision's deadline lines come just before its own record"),
    ("deadline-owner", "the scheduler reports a miss only for a thread of the window's owner"),
    ("before-epoch", ", before the epoch"),
    ("early", " ticks before it begins at "),
    ("stale-window", ", after it ended at "),
    ("outside-window", " has no window then"),
    ("outside-window", "admitted by the gate after its window "),
    ("skipped", " and without a `missed` record"),
    ("thread-on-two-cores", " ran on two cores at once "),
    ("overlap", " ran at the same time "),
    ("lateness", " ns) after the planned boundary "),
    ("derived-bounds", "no boundary record carries an <entered> stamp (7th field)"),
    ("own-path", "the kernel did other work with interrupts masked"),
    ("served-late", ": no core entered EL2 until "),
    ("skew", ": cores switched "),
];

const CHECK_SOURCE: &str = include_str!("../src/trace_check.rs");
const MODEL_SOURCE: &str = include_str!("../src/trace.rs");

/// The kind of every message `trace_check.rs` can add, one per place a
/// message is written, found in its source: `p.add("<kind>", <message>)`;
/// `p.add(<variable>, ...)`, whose kinds are the literals of the variable's
/// `let`; and `p.add("<kind>", msg)` relaying messages written elsewhere,
/// one per `activation_problems.push(` in trace.rs.
fn failure_sites() -> Vec<String> {
    let mut kinds = Vec::new();
    for call in CHECK_SOURCE.split("p.add(").skip(1) {
        let call = call.trim_start();
        if let Some(rest) = call.strip_prefix('"') {
            let (kind, rest) = rest.split_once('"').unwrap();
            let message = rest.trim_start().strip_prefix(',').unwrap().trim_start();
            let sites = if message.starts_with("format!") || message.starts_with('"') {
                1
            } else {
                MODEL_SOURCE.matches("activation_problems.push(").count()
            };
            kinds.extend(std::iter::repeat_n(kind.to_string(), sites));
        } else {
            let var = call.split(',').next().unwrap().trim();
            let (_, decl) = CHECK_SOURCE
                .split_once(&format!("let {var} = "))
                .unwrap_or_else(|| panic!("p.add({var}, ...): no `let {var} = ` in trace_check.rs names its kinds"));
            let decl = decl.split(';').next().unwrap();
            kinds.extend(decl.split('"').skip(1).step_by(2).map(str::to_string));
        }
    }
    kinds
}

#[test]
fn every_failure_has_a_negative_test() {
    let mut found = failure_sites();
    found.sort();
    let mut listed: Vec<String> = FAILURE_MESSAGES.iter().map(|(k, _)| k.to_string()).collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "left: the kinds trace_check.rs fails with, one per message it writes; right: FAILURE_MESSAGES. A new kind or message needs a negative test above and its row in FAILURE_MESSAGES"
    );

    // The tests are this file up to the table.
    let (tests, _) = include_str!("trace.rs").split_once("const FAILURE_MESSAGES").unwrap();
    for (kind, fragment) in FAILURE_MESSAGES {
        assert!(
            CHECK_SOURCE.contains(fragment) || MODEL_SOURCE.contains(fragment),
            "{kind}: {fragment:?} is in no message of the checker"
        );
        assert!(tests.contains(&format!("\"FAIL {kind}: ")), "no test asserts a `FAIL {kind}:` line");
        assert!(tests.contains(fragment), "no test asserts the {kind} message with {fragment:?}");
    }
}

#[test]
fn leaving_a_running_thread_is_judged_by_its_own_median_not_the_idle_one() {
    let dir = scratch("trace-derived-kinds");
    // Core 0 leaves a running thread (lane_a at every 0/F/1 boundary,
    // supervisor at 0/F/3) with a 30-tick own path; every other switch
    // wakes an idle core in 8. The bound takes core 0's larger median:
    // 30 + 8 + 8 + 8.
    let (header, mut per_core) = simulate(&lockstep(), |c, _, e| if c == 0 && (e == 1 || e == 3) { 40 } else { 16 });
    with_entered(&mut per_core, |core, t, window| {
        let leaves_a_thread = core == 0 && (window.ends_with("/1") || window.ends_with("/3"));
        if leaves_a_thread { t - 30 } else { t - 8 }
    });
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &["--derived-bounds"]);
    assert!(ok, "{out}");
    assert!(out.contains("derived bound: 54 ticks (864 ns) = 30 + 8 + 8 + 8, "), "{out}");
}

#[test]
fn with_serial_vcpus_another_cores_guest_time_is_not_a_cores_own_path() {
    let dir = scratch("trace-derived-serial");
    // As above, core 3 decides 300 ticks after entering EL2 at 0/400/2;
    // but all that while a thread of core 0's ran in its guest (admitted
    // right at its own switch): on QEMU's one-at-a-time vCPUs core 3 was
    // not running then.
    let (header, mut per_core) = punctual_with_entered(|c, f, e| u64::from(c == 3 && f == 400 && e == 2) * 300);
    restamp(&mut per_core, 3, "0/400/2", 300);
    let line = per_core[0].iter().find(|l| l.contains(" 0/400/2 ")).unwrap().clone();
    let w: Vec<&str> = line.split(' ').collect();
    assert_ne!(w[4], "-", "core 0 runs a thread in that window: {line}");
    edit(&mut per_core, 0, "0/400/2", |l| format!("{l} {}", l.split(' ').nth(2).unwrap().parse::<u64>().unwrap() + 1));
    let log = write_log(&dir, &interleave(&header, &per_core));
    let (ok, out, _) = run_check(&log, &["--derived-bounds"]);
    assert!(!ok, "without --serial-vcpus the 300 ticks are core 3's own: {out}");
    assert!(out.contains("FAIL own-path: core 3 switched to window 0/400/2 (supervisor) at "), "{out}");
    let (ok, out, _) = run_check(&log, &["--derived-bounds", "--serial-vcpus"]);
    assert!(ok, "with --serial-vcpus core 0's guest time is left out: {out}");
}
