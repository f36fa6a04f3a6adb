//! Golden tests for `bulkhead check`: every `tests/bad/NAME.toml` is checked
//! by the real binary (run from `tests/bad`, so paths in messages are bare
//! file names), and what it prints must equal its golden files byte for byte:
//!
//! - `NAME.expected`: the whole stderr (every case has one);
//! - `NAME.stdout`: the whole stdout, for a case where the tool prints there.
//!   Without this file, stdout must be empty (`check` reports on stderr only).
//!
//! The exit status must be 1 when the expected text reports errors and 0 when
//! it reports only warnings.
//!
//! `BLESS=1 cargo test -p bulkhead --test golden` rewrites the golden files
//! after a deliberate change: `NAME.expected` always, `NAME.stdout` when
//! stdout is not empty (an empty stdout removes it). Only the value `1`
//! blesses; unset or any other value compares. Review the diff before
//! committing it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad")
}

/// Whether this run rewrites the golden files instead of comparing them.
fn bless() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| v == "1")
}

/// Describe how `actual` differs from the golden file `name`, if it does.
fn differs(name: &str, what: &str, expected: &str, actual: &str) -> Option<String> {
    (expected != actual).then(|| format!("{name}: {what} differs\n--- expected\n{expected}--- actual\n{actual}"))
}

#[test]
fn bad_descriptions_match_their_expected_messages() {
    let dir = bad_dir();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "only {} golden cases", cases.len());
    let bless = bless();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_str().unwrap();
        let out =
            Command::new(env!("CARGO_BIN_EXE_bulkhead")).arg("check").arg(name).current_dir(&dir).output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let expected_path = case.with_extension("expected");
        let stdout_path = case.with_extension("stdout");
        if bless {
            std::fs::write(&expected_path, &stderr).unwrap();
            if stdout.is_empty() {
                if stdout_path.exists() {
                    std::fs::remove_file(&stdout_path).unwrap();
                }
            } else {
                std::fs::write(&stdout_path, &stdout).unwrap();
            }
            continue;
        }
        let expected =
            std::fs::read_to_string(&expected_path).unwrap_or_else(|_| panic!("{} has no .expected file", name));
        let expected_stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
        let mismatches: Vec<String> =
            [differs(name, "stderr", &expected, &stderr), differs(name, "stdout", &expected_stdout, &stdout)]
                .into_iter()
                .flatten()
                .collect();
        if !mismatches.is_empty() {
            failures.extend(mismatches);
            continue;
        }
        let clean = expected.lines().last().is_some_and(|l| l.contains(": 0 errors"));
        let want = if clean { 0 } else { 1 };
        if out.status.code() != Some(want) {
            failures.push(format!("{name}: exit status {:?}, expected {want}", out.status.code()));
        }
        if !clean && !expected.contains(": error: ") {
            failures.push(format!("{name}: reports errors but shows none"));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(after a deliberate change, BLESS=1 rewrites the golden files; review the diff)",
        failures.join("\n")
    );
}

#[test]
fn every_golden_file_has_a_description() {
    for entry in std::fs::read_dir(bad_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "expected" || e == "stdout") {
            assert!(path.with_extension("toml").exists(), "{} is orphaned", path.display());
        }
    }
}
