//! Golden tests for `bulkhead check`: every `tests/bad/NAME.toml` is checked
//! by the real binary (run from `tests/bad`, so paths in messages are bare
//! file names) and its whole stderr must equal `NAME.expected`, byte for
//! byte; the exit status must be 1 when the expected text reports errors and
//! 0 when it reports only warnings. `BLESS=1 cargo test -p bulkhead --test
//! golden` rewrites the expected files after a deliberate change; review the
//! diff before committing it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad")
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
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_str().unwrap();
        let out =
            Command::new(env!("CARGO_BIN_EXE_bulkhead")).arg("check").arg(name).current_dir(&dir).output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let expected_path = case.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &stderr).unwrap();
            continue;
        }
        let expected =
            std::fs::read_to_string(&expected_path).unwrap_or_else(|_| panic!("{} has no .expected file", name));
        if stderr != expected {
            failures.push(format!("{name}: output differs\n--- expected\n{expected}--- actual\n{stderr}"));
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
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_expected_file_has_a_description() {
    for entry in std::fs::read_dir(bad_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "expected") {
            assert!(path.with_extension("toml").exists(), "{} is orphaned", path.display());
        }
    }
}
