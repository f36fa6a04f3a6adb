//! `check` must answer every input with diagnostics, never a panic: the
//! example descriptions are mutated line by line (lines dropped, duplicated,
//! values replaced by odd ones) and each variant is checked. Deterministic
//! (a fixed xorshift seed) and bounded, so it runs in plain `cargo test`.

use bulkhead::check::check;

const ODD_VALUES: &[&str] = &[
    "0",
    "-1",
    "7",
    "99999999999999999999",
    "0x7fff_ffff_ffff_f000",
    "\"\"",
    "\"x\"",
    "\"a.b\"",
    "\"0ns\"",
    "\"1ns\"",
    "\"18446744073709551615s\"",
    "\"4MB\"",
    "\"1GiB\"",
    "\"600MiB\"",
    "\"µs\"",
    "[]",
    "[0, 0]",
    "[9]",
    "true",
    "false",
    "1.5",
    "{ }",
    "\"sampling\"",
    "\"queuing\"",
    "\"hello\"",
    "\"hello.status\"",
];

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
}

fn mutate(source: &str, rng: &mut XorShift) -> String {
    let mut lines: Vec<String> = source.lines().map(String::from).collect();
    for _ in 0..1 + rng.next() % 3 {
        let i = rng.next() % lines.len();
        match rng.next() % 4 {
            0 => {
                lines.remove(i);
            }
            1 => {
                let line = lines[i].clone();
                lines.insert(i, line);
            }
            _ => {
                if let Some((key, _)) = lines[i].split_once(" = ") {
                    lines[i] = format!("{key} = {}", ODD_VALUES[rng.next() % ODD_VALUES.len()]);
                }
            }
        }
        if lines.is_empty() {
            break;
        }
    }
    lines.join("\n")
}

#[test]
fn check_never_panics_on_mutated_descriptions() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../partitions");
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut rejected = 0;
    let mut total = 0;
    for name in ["demo.toml", "lockstep.toml"] {
        let source = std::fs::read_to_string(root.join(name)).unwrap();
        for _ in 0..1500 {
            let variant = mutate(&source, &mut rng);
            let checked = check(&variant);
            total += 1;
            if checked.system.is_none() {
                rejected += 1;
                assert!(checked.diags.errors() > 0, "rejected without an error:\n{variant}");
            }
            // Rendering must not panic either (line/column of every span),
            // and the checks must catch everything the kernel's parser
            // would: an "internal:" diagnostic means a check is missing.
            let text = checked.diags.render("x.toml", &variant);
            assert!(!text.contains("internal:"), "{text}\n{variant}");
        }
    }
    // The mutations must actually exercise the error paths.
    assert!(rejected > total / 3, "only {rejected} of {total} variants rejected");
}

// ---------------------------------------------------------------------------
// Inputs that broke `check` or what it feeds, kept as tests with their fix
// (`make fuzz`'s cargo-fuzz target `check`, tools/bulkhead/fuzz, and the
// probes of its numeric edges).

/// Two partitions with one thread each on core 0, `memory` for both and
/// the one schedule's three windows (`spare` last) and major frame.
fn two_partitions(memory: &str, major_frame: &str, windows: [&str; 3]) -> String {
    format!(
        r#"
[module]
name = "edge"
board = "rpi4"
cores = 4

[[partition]]
name = "a"
memory = "{memory}"
image = "a"
  [[partition.thread]]
  name = "main"
  core = 0

[[partition]]
name = "b"
memory = "{memory}"
image = "b"
  [[partition.thread]]
  name = "main"
  core = 0

[[schedule]]
name = "main"
major_frame = "{major_frame}"
  [[schedule.window]]
  partition = "a"
  duration = "{}"
  [[schedule.window]]
  partition = "b"
  duration = "{}"
  [[schedule.window]]
  spare = true
  duration = "{}"
"#,
        windows[0], windows[1], windows[2]
    )
}

/// Windows of 2^63 ns, 2^63 ns and 2 ms in a major frame of 2^64 - 1 ns:
/// their sum saturated at the major frame, so `check` accepted the
/// schedule and `show` (and the fuzz target's render) panicked adding the
/// windows' ends ("attempt to add with overflow", show.rs). Refused now.
#[test]
fn windows_summing_past_u64_are_refused() {
    let half = "9223372036854775808ns";
    let source = two_partitions("2MiB", "18446744073709551615ns", [half, half, "2ms"]);
    let checked = check(&source);
    let text = checked.diags.render("edge.toml", &source);
    assert!(checked.system.is_none(), "accepted:\n{text}");
    assert!(
        text.contains(
            "error: windows of schedule \"main\" sum to more than 18446744073709551615ns, more than the major frame 18446744073709551615ns"
        ),
        "{text}"
    );
    // Windows that sum to exactly 2^64 - 1 ns fit, and `show` renders them.
    let source = two_partitions("2MiB", "18446744073709551615ns", [half, "9223372036854775788ns", "19ns"]);
    let checked = check(&source);
    let sys = checked.system.unwrap_or_else(|| panic!("{}", checked.diags.render("edge.toml", &source)));
    bulkhead::show::render_text(&sys).unwrap();
}

/// Two partitions of 2^64 - 4 KiB each: the "does not fit" diagnostic
/// summed the requested sizes and overflowed ("attempt to add with
/// overflow" in `Checker::memory`), a panic in `check` itself.
#[test]
fn memory_requests_summing_past_u64_are_reported() {
    let source = two_partitions("18446744073709547520B", "10ms", ["4ms", "4ms", "2ms"]);
    let checked = check(&source);
    let text = checked.diags.render("edge.toml", &source);
    assert!(checked.system.is_none());
    assert_eq!(text.matches("does not fit in the partition RAM region").count(), 2, "{text}");
}
