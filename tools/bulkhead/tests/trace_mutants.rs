//! `bulkhead trace --check` output that mutation testing found unchecked
//! (docs/mutants.md): each test pins a line of the report a reader relies
//! on, on a hand-made log against `tests/trace/pair.toml` (freq=1000000, so
//! one tick is one microsecond; frame 0 of "normal" is a [1000, 5000),
//! b [5000, 9000), spare [9000, 11000)). tests/trace.rs has one negative
//! test per failure; these are about what a passing check reports.

// Only `bulkhead` and `scratch` of the shared helpers are used (by `pair`).
#[allow(dead_code)]
mod common;
mod pair;

use pair::{PUNCTUAL_FRAME_0, check_pair};

/// The schedule-switch line reports each core's lateness at the switch
/// (frame 0, entry 0 of the new schedule), not at the module's first
/// boundary, which was punctual here.
#[test]
fn the_schedule_switch_line_reports_lateness_at_the_switch() {
    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log.extend(["trace: 0 11000 1/0/0 - - boundary", "trace: 1 11007 1/0/0 1 2 boundary"]);
    log.extend(["trace: 0 17000 1/0/1 0 0 boundary", "trace: 1 17000 1/0/1 0 1 boundary"]);
    let (ok, out) = check_pair("trace-mutants-switch-late", &log);
    assert!(ok, "{out}");
    assert!(
        out.contains("\nschedule switch 1: \"normal\" -> \"fallback\" at 11000 ticks (+10000.000 us): core 0 +0, core 1 +7; skew 7 ticks (7000 ns)\n"),
        "{out}"
    );
}

/// A core late to a schedule switch still reports its lateness at the
/// switch; and, in a log without `<admitted>`, its thread overlapped the new
/// schedule's partition on the other core meanwhile: a failure, like every
/// overlap, each named with its own instant.
#[test]
fn a_late_switch_into_a_new_schedule_fails_as_an_overlap() {
    // Core 0 leaves a.one 5 ticks late at 5000 (b's window), then the module
    // goes to "quiet" (a only) at 11000 and to "fallback" (b first) at
    // 21000, where core 0 again leaves a.one 5 ticks late.
    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log[2] = "trace: 0 5005 0/0/1 - - boundary";
    log.extend(["trace: 0 11000 2/0/0 0 0 boundary", "trace: 1 11000 2/0/0 0 1 boundary"]);
    log.extend(["trace: 0 21005 1/0/0 - - boundary", "trace: 1 21000 1/0/0 1 2 boundary"]);
    log.extend(["trace: 0 27000 1/0/1 0 0 boundary", "trace: 1 27000 1/0/1 0 1 boundary"]);
    let (ok, out) = check_pair("trace-mutants-switch-overlap", &log);
    assert!(!ok, "{out}");
    assert!(
        out.contains("\nschedule switch 2: \"quiet\" -> \"fallback\" at 21000 ticks (+20000.000 us): core 0 +5, core 1 +0; skew 5 ticks (5000 ns)\n"),
        "{out}"
    );
    assert!(
        out.contains("\nFAIL overlap: partitions \"a\" and \"b\" ran at the same time at 5000 ticks (+4000.000 us) for 5 ticks (5000 ns): a:one on core 0 (line 2, window 0/0/0) and b:main on core 1 (line 5, window 0/0/1)\nFAIL overlap: partitions \"a\" and \"b\" ran at the same time at 21000 ticks (+20000.000 us) for 5 ticks (5000 ns): a:one on core 0 (line 8, window 2/0/0) and b:main on core 1 (line 11, window 1/0/0)\n"),
        "{out}"
    );
    assert!(out.contains("\noverlaps: 2\n"), "{out}");
    assert!(out.ends_with("\ncheck: FAILED, 2 problems\n"), "{out}");
}

/// A core that runs on past a window it then skips without saying `missed`
/// overlaps the next window's partition: that overlap fails too, beside the
/// skipped window.
#[test]
fn running_on_through_a_skipped_window_fails_as_an_overlap() {
    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log.remove(2); // core 0 runs a.one from 1000 straight to the spare at 9000
    let (ok, out) = check_pair("trace-mutants-skip-overlap", &log);
    assert!(!ok, "{out}");
    assert!(
        out.contains("\nFAIL overlap: partitions \"a\" and \"b\" ran at the same time at 5000 ticks (+4000.000 us) for 4000 ticks (4000000 ns): a:one on core 0 (line 2, window 0/0/0) and b:main on core 1 (line 4, window 0/0/1)\n"),
        "{out}"
    );
    assert!(out.contains("\nFAIL skipped: core 0 went from window 0/0/0 to 0/0/2 at 9000 ticks"), "{out}");
    assert!(out.contains("\noverlaps: 1\n"), "{out}");
    assert!(out.ends_with("\ncheck: FAILED, 2 problems\n"), "{out}");
}

/// A skip across a frame boundary is a skip: from the spare at the end of
/// frame 0 straight into b's window of frame 1 passes a's window.
#[test]
fn a_window_skipped_at_the_start_of_a_frame_fails_skipped() {
    let mut log = PUNCTUAL_FRAME_0.to_vec();
    log.extend(["trace: 1 11000 0/1/0 0 1 boundary", "trace: 1 15000 0/1/1 1 2 boundary"]);
    log.push("trace: 0 15000 0/1/1 - - boundary");
    let (ok, out) = check_pair("trace-mutants-skip-frame-start", &log);
    assert!(!ok, "{out}");
    assert!(
        out.contains("\nFAIL skipped: core 0 went from window 0/0/2 to 0/1/1 at 15000 ticks (+14000.000 us, line 10) without recording window 0/1/0 (a) and without a `missed` record\n"),
        "{out}"
    );
    assert!(out.ends_with("\ncheck: FAILED, 1 problem\n"), "{out}");
}
