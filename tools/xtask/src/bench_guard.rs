//! The benchmark that guards itself (issue 19, item 6): `make bench`
//! writes every figure it measured to `target/bench/results.tsv`, and
//! `make bench-check` compares the figures that repeat exactly under
//! `-icount shift=0,sleep=off` (instruction counts of one-core paths,
//! section sizes) with the committed baseline, `bench/baseline.tsv`,
//! failing on a regression beyond [`Tolerance`]. `make bench-baseline`
//! rewrites the baseline on purpose. Not part of `make test`, which must
//! not depend on speed.
//!
//! Both files are tab-separated, one figure a line, `#` lines comments:
//!
//! ```text
//! results.tsv:   name  value  unit  guarded(yes|no)  goal
//! baseline.tsv:  name  value  unit
//! ```
//!
//! Every guarded figure is lower-is-better. This file is the pure part
//! (format, comparison), tested on the host; `bench.rs` measures.
use std::fmt::Write as _;

/// One measured figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// A stable key: `switch_path.1core.core0.median`.
    pub name: String,
    pub value: f64,
    pub unit: String,
    /// Deterministic under icount, so compared with the baseline.
    pub guarded: bool,
    /// The goal as text (`<= 1.5x switch_floor`), empty if none.
    pub goal: String,
}

/// A figure regresses when it exceeds its baseline by more than
/// `percent` of it and by more than `min_units` (instruction counts and
/// sizes are exact for a given binary under icount: the slack only keeps
/// a one-instruction change from failing a figure of ten).
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    pub percent: f64,
    pub min_units: f64,
}

/// The tolerance `make bench-check` applies: 2 %, at least 4 units.
pub const TOLERANCE: Tolerance = Tolerance { percent: 2.0, min_units: 4.0 };

impl Tolerance {
    /// The largest value that still passes against `baseline`.
    pub fn limit(self, baseline: f64) -> f64 {
        baseline + (baseline * self.percent / 100.0).max(self.min_units)
    }
}

/// Formats a value as the files keep it: integers without a fraction,
/// others with two decimals.
pub fn format_value(value: f64) -> String {
    if value.fract() == 0.0 { format!("{}", value as i64) } else { format!("{value:.2}") }
}

pub fn write_results(figures: &[Figure]) -> String {
    let mut out = String::from(
        "# Bulkhead benchmark results (cargo xtask bench), tab-separated:\n# name\tvalue\tunit\tguarded\tgoal\n",
    );
    for f in figures {
        let guarded = if f.guarded { "yes" } else { "no" };
        let _ = writeln!(out, "{}\t{}\t{}\t{guarded}\t{}", f.name, format_value(f.value), f.unit, f.goal);
    }
    out
}

/// The baseline file: the guarded figures of `figures`.
pub fn write_baseline(figures: &[Figure]) -> String {
    let mut out = format!(
        "# Bulkhead benchmark baseline: the figures `make bench-check` guards, measured\n\
         # under QEMU -icount shift=0,sleep=off (deterministic for a given binary).\n\
         # A figure fails the check when it exceeds its value here by more than\n\
         # {}% and by more than {} units. Rewrite on purpose with `make bench-baseline`.\n\
         # name\tvalue\tunit\n",
        TOLERANCE.percent, TOLERANCE.min_units
    );
    for f in figures.iter().filter(|f| f.guarded) {
        let _ = writeln!(out, "{}\t{}\t{}", f.name, format_value(f.value), f.unit);
    }
    out
}

/// Reads a results or baseline file: `(name, value, unit)` per figure.
pub fn parse(text: &str, file: &str) -> Result<Vec<(String, f64, String)>, String> {
    let mut figures = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        let [name, value, unit, ..] = cells.as_slice() else {
            return Err(format!("{file}:{}: expected `name<TAB>value<TAB>unit`, got {line:?}", n + 1));
        };
        let value = value
            .parse::<f64>()
            .map_err(|_| format!("{file}:{}: the value of {name} is not a number: {value:?}", n + 1))?;
        figures.push((name.to_string(), value, unit.to_string()));
    }
    Ok(figures)
}

/// What the comparison found.
#[derive(Debug, Default, PartialEq)]
pub struct Verdict {
    /// Regressions and baseline figures not measured: each fails the check.
    pub failures: Vec<String>,
    /// Improvements beyond the tolerance and guarded figures the baseline
    /// does not have yet: worth a `make bench-baseline`, not a failure.
    pub notes: Vec<String>,
}

/// Compares measured figures with the baseline.
pub fn compare(measured: &[Figure], baseline: &[(String, f64, String)], tolerance: Tolerance) -> Verdict {
    let mut verdict = Verdict::default();
    for (name, base, unit) in baseline {
        let Some(now) = measured.iter().find(|f| &f.name == name) else {
            verdict.failures.push(format!(
                "{name}: in the baseline ({} {unit}) but not measured (a row that no longer prints, or a renamed figure: \
                 make bench-baseline if on purpose)",
                format_value(*base)
            ));
            continue;
        };
        let limit = tolerance.limit(*base);
        if now.value > limit {
            verdict.failures.push(format!(
                "{name}: {} {unit}, baseline {} {unit}, tolerance +{}% (at least {} {unit}): at most {} passes",
                format_value(now.value),
                format_value(*base),
                tolerance.percent,
                tolerance.min_units,
                format_value(limit.floor())
            ));
        } else if now.value < base - (limit - base) {
            verdict.notes.push(format!(
                "{name}: improved to {} {unit} from {} {unit} (make bench-baseline to keep it)",
                format_value(now.value),
                format_value(*base)
            ));
        }
    }
    for f in measured.iter().filter(|f| f.guarded) {
        if !baseline.iter().any(|(name, _, _)| name == &f.name) {
            verdict.notes.push(format!("{}: {} {}, not in the baseline yet", f.name, format_value(f.value), f.unit));
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(name: &str, value: f64) -> Figure {
        Figure { name: name.into(), value, unit: "instructions".into(), guarded: true, goal: String::new() }
    }

    fn baseline(rows: &[(&str, f64)]) -> Vec<(String, f64, String)> {
        rows.iter().map(|(n, v)| (n.to_string(), *v, "instructions".to_string())).collect()
    }

    #[test]
    fn a_regression_beyond_the_tolerance_fails_naming_figure_value_baseline_and_tolerance() {
        let v = compare(&[figure("null_hypercall", 230.0)], &baseline(&[("null_hypercall", 218.0)]), TOLERANCE);
        assert_eq!(v.failures.len(), 1, "{v:?}");
        let f = &v.failures[0];
        for part in ["null_hypercall", "230", "baseline 218", "+2%", "at least 4", "at most 222"] {
            assert!(f.contains(part), "{part:?} missing from {f:?}");
        }
    }

    #[test]
    fn within_the_tolerance_passes() {
        // 2 % of 1,382 is 27.64: 1,409 passes, 1,410 fails.
        let base = baseline(&[("switch", 1382.0)]);
        assert_eq!(compare(&[figure("switch", 1409.0)], &base, TOLERANCE), Verdict::default());
        assert_eq!(compare(&[figure("switch", 1410.0)], &base, TOLERANCE).failures.len(), 1);
        // Small figures get the absolute slack: 4 instructions over 42.
        let small = baseline(&[("floor", 42.0)]);
        assert!(compare(&[figure("floor", 46.0)], &small, TOLERANCE).failures.is_empty());
        assert_eq!(compare(&[figure("floor", 47.0)], &small, TOLERANCE).failures.len(), 1);
    }

    #[test]
    fn an_improvement_passes_with_a_note() {
        let v = compare(&[figure("null_hypercall", 60.0)], &baseline(&[("null_hypercall", 218.0)]), TOLERANCE);
        assert!(v.failures.is_empty());
        assert_eq!(v.notes.len(), 1);
        assert!(v.notes[0].contains("improved to 60"), "{:?}", v.notes);
    }

    #[test]
    fn a_baseline_figure_not_measured_fails_by_name() {
        let v = compare(&[figure("other", 1.0)], &baseline(&[("null_hypercall", 218.0), ("other", 1.0)]), TOLERANCE);
        assert_eq!(v.failures.len(), 1);
        assert!(v.failures[0].starts_with("null_hypercall: in the baseline (218 instructions) but not measured"));
    }

    #[test]
    fn a_new_guarded_figure_is_noted_and_an_unguarded_one_ignored() {
        let mut quiet = figure("four_core", 39361.0);
        quiet.guarded = false;
        let v = compare(&[figure("new", 5.0), quiet], &[], TOLERANCE);
        assert!(v.failures.is_empty());
        assert_eq!(v.notes, vec!["new: 5 instructions, not in the baseline yet".to_string()]);
    }

    #[test]
    fn the_baseline_keeps_the_guarded_figures_and_reads_back() {
        let mut quiet = figure("four_core", 39361.0);
        quiet.guarded = false;
        let floor = Figure { value: 2.5, ..figure("hvc_floor", 0.0) };
        let text = write_baseline(&[figure("switch", 1382.0), quiet, floor]);
        let read = parse(&text, "baseline.tsv").unwrap();
        assert_eq!(read, baseline(&[("switch", 1382.0), ("hvc_floor", 2.5)]));
        // A results file reads with the same parser (extra columns ignored).
        let results = write_results(&[figure("switch", 1382.0)]);
        assert_eq!(parse(&results, "results.tsv").unwrap(), baseline(&[("switch", 1382.0)]));
    }

    #[test]
    fn a_malformed_line_is_refused_with_file_and_line() {
        let err = parse("# comment\nswitch\tmany\tinstructions\n", "bench/baseline.tsv").unwrap_err();
        assert_eq!(err, "bench/baseline.tsv:2: the value of switch is not a number: \"many\"");
        let err = parse("switch 1382\n", "b.tsv").unwrap_err();
        assert!(err.starts_with("b.tsv:1: expected"), "{err}");
    }
}
