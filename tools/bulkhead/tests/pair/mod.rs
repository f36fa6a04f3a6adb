//! Hand-made trace logs against `tests/trace/pair.toml`, shared by the
//! tests of `bulkhead trace --check` (tests/trace.rs, tests/trace_mutants.rs).

use std::path::Path;

use crate::common::{bulkhead, scratch};

/// The header of a hand-made log against `tests/trace/pair.toml`: a 2-core
/// module, one tick per microsecond, the epoch at 1000.
pub const PAIR_HEADER: &str = "trace: begin pair freq=1000000 epoch=1000 cores=2 schedule=0";

/// Frame 0 of "normal" in `tests/trace/pair.toml`, every core punctual:
/// a [1000, 5000) on both cores, b [5000, 9000) on core 1, spare
/// [9000, 11000).
pub const PUNCTUAL_FRAME_0: [&str; 6] = [
    "trace: 0 1000 0/0/0 0 0 boundary",
    "trace: 1 1000 0/0/0 0 1 boundary",
    "trace: 0 5000 0/0/1 - - boundary",
    "trace: 1 5000 0/0/1 1 2 boundary",
    "trace: 0 9000 0/0/2 - - boundary",
    "trace: 1 9000 0/0/2 - - boundary",
];

/// `bulkhead trace pair.toml LOG --check` on [`PAIR_HEADER`] and `records`
/// (so `records[i]` is line `i + 2` of the log): whether it passed, and its
/// stdout. The log must decode.
pub fn check_pair(scratch_name: &str, records: &[&str]) -> (bool, String) {
    let dir = scratch(scratch_name);
    let mut text = format!("{PAIR_HEADER}\n");
    for r in records {
        text.push_str(r);
        text.push('\n');
    }
    let log = dir.join("console.log");
    std::fs::write(&log, text).unwrap();
    let pair = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trace/pair.toml");
    let out = bulkhead(&["trace", &pair.display().to_string(), &log.display().to_string(), "--check"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.is_empty(), "the log decodes: {stderr}");
    (out.status.success(), String::from_utf8(out.stdout).unwrap())
}
