//! `make fuzz`'s libFuzzer half: the cargo-fuzz targets, each run for a
//! bounded time from a seed corpus made here from the repository.
//!
//! | target | crate | input | seeds |
//! |---|---|---|---|
//! | `parse` | `kernel/image/fuzz` | a system image | the system image of every packed image in `target/images` (as packed, and with each segment's bytes cut to [`TRIMMED_DATA`], so mutations fall on the tables), and every description packed with a one-page stand-in for each partition's ELF file |
//! | `check` | `tools/bulkhead/fuzz` | a description (TOML) | every `partitions/**/*.toml` and `tools/bulkhead/tests/**/*.toml`, with a dictionary of the format's keys and values (`check.dict`) |
//!
//! Seeds are written to `target/fuzz-seeds/TARGET` afresh on every run
//! (read only for libFuzzer); what libFuzzer finds goes to the target's
//! own corpus, `CRATE/fuzz/corpus/TARGET`, which persists, so each run
//! starts from the coverage of the last. Each target runs for
//! `BULKHEAD_FUZZ_SECONDS` (default [`DEFAULT_SECONDS`]); a crash, a hang
//! (an input slower than [`INPUT_TIMEOUT_SECONDS`]) or an out-of-memory
//! fails the run, and the input is in `CRATE/fuzz/artifacts/TARGET/`.
//!
//! Built with `cargo fuzz run --sanitizer none` on the pinned stable
//! toolchain: cargo-fuzz's default AddressSanitizer needs `-Zsanitizer`,
//! which only a nightly compiler (or `RUSTC_BOOTSTRAP=1`) accepts, and
//! both crates are safe Rust (`bulkhead-image` forbids `unsafe`), where a
//! memory error the sanitizer would catch cannot happen; panics, overflow
//! checks and debug assertions (cargo-fuzz builds with them on) are what
//! finds bugs here. cargo-fuzz itself is installed if missing.
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use bulkhead_image::{ImageSpec, KERNEL_ALIGN, MAGIC, PAGE_SIZE, SegmentFlags, SegmentSpec, SystemImage, crc32};

use crate::build;

/// Seconds each target runs when `BULKHEAD_FUZZ_SECONDS` is not set.
pub const DEFAULT_SECONDS: u64 = 60;
/// An input that takes longer than this is a hang (libFuzzer `-timeout`).
const INPUT_TIMEOUT_SECONDS: u64 = 10;
/// The cargo-fuzz installed when none is: the version this was built with
/// (a newer one already installed is used as it is).
const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// Segment bytes kept in a trimmed image seed.
const TRIMMED_DATA: usize = 64;

/// Seeds: file name and bytes.
type Seeds = Vec<(String, Vec<u8>)>;

struct Target {
    name: &'static str,
    /// The crate whose `fuzz/` folder holds the target, from the root.
    dir: &'static str,
    what: &'static str,
    /// A libFuzzer dictionary, from the crate.
    dict: Option<&'static str>,
    seeds: fn(&Path) -> Result<Seeds, String>,
}

const TARGETS: &[Target] = &[
    Target {
        name: "parse",
        dir: "kernel/image",
        what: "the system image parser, an accepted image used as the kernel boots it and re-serialised",
        dict: None,
        seeds: image_seeds,
    },
    Target {
        name: "check",
        dir: "tools/bulkhead",
        what: "the description reader and checker, then show and pack (stand-in ELF files) on what it accepts",
        dict: Some("fuzz/check.dict"),
        seeds: description_seeds,
    },
];

/// Runs every target (all, or those named); fails if any found something.
pub fn run(only: &[String]) -> Result<(), String> {
    for name in only {
        if !TARGETS.iter().any(|t| t.name == name) {
            let known: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
            return Err(format!("no fuzz target named {name}; known: {}", known.join(", ")));
        }
    }
    let seconds = match std::env::var("BULKHEAD_FUZZ_SECONDS") {
        Ok(s) => s.parse::<u64>().map_err(|_| format!("BULKHEAD_FUZZ_SECONDS={s}: not a number of seconds"))?,
        Err(_) => DEFAULT_SECONDS,
    };
    ensure_cargo_fuzz()?;
    let root = build::workspace_root();
    let mut failed = Vec::new();
    for target in TARGETS.iter().filter(|t| only.is_empty() || only.iter().any(|n| n == t.name)) {
        match run_one(&root, target, seconds) {
            Ok(summary) => println!("fuzz target {} ... ok: {summary}", target.name),
            Err(e) => {
                println!("fuzz target {} ... FAILED\n{e}", target.name);
                failed.push(target.name);
            }
        }
    }
    if failed.is_empty() { Ok(()) } else { Err(format!("fuzz target(s) failed: {}", failed.join(", "))) }
}

/// `cargo fuzz` if it answers, else `cargo install` it.
fn ensure_cargo_fuzz() -> Result<(), String> {
    let found = Command::new(env!("CARGO")).args(["fuzz", "--version"]).output();
    if found.is_ok_and(|o| o.status.success()) {
        return Ok(());
    }
    let args = ["install", "--locked", "cargo-fuzz", "--version", CARGO_FUZZ_VERSION];
    println!("cargo-fuzz is not installed; installing it: cargo {}", args.join(" "));
    let status =
        Command::new(env!("CARGO")).args(args).status().map_err(|e| format!("cannot run cargo install: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("cargo {} failed with {status}", args.join(" "))) }
}

fn run_one(root: &Path, target: &Target, seconds: u64) -> Result<String, String> {
    let crate_dir = root.join(target.dir);
    let seeds_dir = build::target_dir().join("fuzz-seeds").join(target.name);
    let corpus_dir = crate_dir.join("fuzz/corpus").join(target.name);
    let log_path = build::target_dir().join("fuzz-logs").join(format!("{}.log", target.name));
    let seeds = (target.seeds)(root)?;
    if seeds.is_empty() {
        return Err(format!("no seeds for {}", target.name));
    }
    let _ = std::fs::remove_dir_all(&seeds_dir);
    for dir in [&seeds_dir, &corpus_dir, &log_path.parent().expect("a log has a folder").to_path_buf()] {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let bytes: usize = seeds.iter().map(|(_, s)| s.len()).sum();
    for (name, seed) in &seeds {
        let path = seeds_dir.join(name);
        std::fs::write(&path, seed).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    println!(
        "== fuzz target {} ({}/fuzz): {}\n   {} seeds ({bytes} bytes) in {}, corpus {}, {seconds} s, log {}",
        target.name,
        target.dir,
        target.what,
        seeds.len(),
        seeds_dir.display(),
        corpus_dir.display(),
        log_path.display()
    );
    let log = File::create(&log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(&crate_dir)
        .args(["fuzz", "run", "--sanitizer", "none", target.name])
        .arg(&corpus_dir)
        .arg(&seeds_dir)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECONDS}"))
        .arg("-print_final_stats=1")
        .args(target.dict.map(|d| format!("-dict={}", crate_dir.join(d).display())))
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err));
    let started = Instant::now();
    let status = cmd.status().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    let secs = started.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    if status.success() {
        return Ok(format!("{} ({secs:.0} s with the build)", summary(&text)));
    }
    let tail: Vec<&str> = text.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
    let artifact = artifact(&text).map_or_else(
        || format!("no artifact written (a build failure? the log: {})", log_path.display()),
        |a| {
            format!(
                "the input: {}\nreplay it: cd {} && cargo fuzz run --sanitizer none {} {a}\n\
                 then fix it and add the input to the crate's tests (README.md, Testing)",
                crate_dir.join(&a).display(),
                target.dir,
                target.name
            )
        },
    );
    Err(format!(
        "cargo fuzz exited with {status} after {secs:.0} s; {artifact}\n--- end of {} ---\n{}",
        log_path.display(),
        tail.join("\n")
    ))
}

/// libFuzzer's closing figures: the `DONE` line and the run count.
fn summary(log: &str) -> String {
    let done = log.lines().rev().map(|l| l.split_whitespace().collect::<Vec<_>>()).find(|w| w.get(1) == Some(&"DONE"));
    let stat =
        |key: &str| log.lines().find_map(|l| l.strip_prefix(&format!("stat::{key}:")).map(|v| v.trim().to_string()));
    let field = |key: &str| {
        done.as_ref().and_then(|d| d.iter().position(|w| *w == key).and_then(|i| d.get(i + 1)).map(|v| v.to_string()))
    };
    format!(
        "{} runs, {} exec/s, coverage {} edges ({} features), corpus {} ({}), peak RSS {}",
        stat("number_of_executed_units").unwrap_or_else(|| "?".into()),
        field("exec/s:").unwrap_or_else(|| "?".into()),
        field("cov:").unwrap_or_else(|| "?".into()),
        field("ft:").unwrap_or_else(|| "?".into()),
        field("corp:").map(|c| c.split('/').next().unwrap_or("?").to_string()).unwrap_or_else(|| "?".into()),
        field("corp:").map(|c| c.split('/').nth(1).unwrap_or("?").to_string()).unwrap_or_else(|| "?".into()),
        field("rss:").unwrap_or_else(|| "?".into()),
    )
}

/// The input libFuzzer wrote on a finding (relative to the crate, as
/// cargo-fuzz prints it, or absolute).
fn artifact(log: &str) -> Option<String> {
    log.lines().rev().find_map(|l| {
        l.split_once("Test unit written to ").map(|(_, path)| path.trim().to_string()).filter(|p| !p.is_empty())
    })
}

/// `NAME.toml` seeds: every description under `partitions/` and the tool's
/// test descriptions (the refused ones reach the error paths).
fn description_seeds(root: &Path) -> Result<Seeds, String> {
    let mut seeds = Vec::new();
    for dir in ["partitions", "tools/bulkhead/tests"] {
        for path in tomls(&root.join(dir))? {
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let name = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('/', "_");
            seeds.push((name, bytes));
        }
    }
    Ok(seeds)
}

/// Every `*.toml` under `dir` but `Cargo.toml`, outside `target` folders.
fn tomls(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                found.extend(tomls(&path)?);
            }
        } else if path.extension().is_some_and(|e| e == "toml") && path.file_name().is_some_and(|n| n != "Cargo.toml") {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// System image seeds, named by their CRC-32 (one seed per distinct
/// image): cut out of every packed image in `target/images` (a kernel
/// image packed with a description; `cargo xtask build` writes them, and
/// `make fuzz` builds before it fuzzes), and made from every description
/// with stand-in ELF files, so there are seeds on a machine that has not
/// built the kernel.
fn image_seeds(root: &Path) -> Result<Seeds, String> {
    let mut seeds = std::collections::BTreeMap::new();
    let mut add = |kind: &str, bytes: Vec<u8>| {
        seeds.insert(format!("{kind}-{:08x}.img", crc32(&bytes)), bytes);
    };
    let mut packed = 0;
    if let Ok(entries) = std::fs::read_dir(build::target_dir().join("images")) {
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "img"))
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let Some(image) = system_image_in(&bytes) else { continue };
            packed += 1;
            if let Ok(parsed) = SystemImage::parse(image) {
                let mut spec = ImageSpec::from_image(&parsed);
                for p in &mut spec.partitions {
                    for s in &mut p.segments {
                        s.data.truncate(TRIMMED_DATA);
                    }
                }
                if let Ok(trimmed) = spec.to_bytes() {
                    add("trimmed", trimmed);
                }
            }
            add("packed", image.to_vec());
        }
    }
    if packed == 0 {
        println!(
            "   (no packed image in target/images: `cargo xtask build` makes them; seeding from the descriptions only)"
        );
    }
    for (_, source) in description_seeds(root)? {
        let Ok(source) = String::from_utf8(source) else { continue };
        let Some(mut sys) = bulkhead::check::check(&source).system else { continue };
        for p in &mut sys.spec.partitions {
            p.segments = vec![SegmentSpec {
                load_offset: 0,
                mem_size: PAGE_SIZE,
                flags: SegmentFlags::READ | SegmentFlags::EXECUTE,
                data: vec![0x1f, 0x20, 0x03, 0xd5],
            }];
        }
        if let Ok(bytes) = sys.spec.to_bytes() {
            add("desc", bytes);
        }
    }
    Ok(seeds.into_iter().collect())
}

/// The system image in a packed image: at the first multiple of
/// [`KERNEL_ALIGN`] past 0 that holds the magic, `total_len` bytes (or to
/// the end), whether or not it parses (the test images that the kernel
/// must refuse are seeds too).
fn system_image_in(packed: &[u8]) -> Option<&[u8]> {
    let at = (KERNEL_ALIGN..packed.len()).step_by(KERNEL_ALIGN).find(|&at| packed[at..].starts_with(&MAGIC))?;
    let rest = &packed[at..];
    let total_len = rest.get(12..16).map_or(rest.len(), |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    Some(&rest[..total_len.clamp(MAGIC.len(), rest.len())])
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn the_system_image_after_a_kernel() {
        let spec = bulkhead::check::check(
            &std::fs::read_to_string(build::workspace_root().join("partitions/demo.toml")).unwrap(),
        )
        .system
        .unwrap()
        .spec;
        let image = spec.to_bytes().unwrap();
        // A kernel a little over one alignment long, zero padding, the image.
        let mut packed = vec![0xaa; KERNEL_ALIGN + 100];
        packed.resize(2 * KERNEL_ALIGN, 0);
        packed.extend_from_slice(&image);
        packed.extend_from_slice(&[0xff; 10]);
        assert_eq!(system_image_in(&packed), Some(&image[..]));
        assert_eq!(system_image_in(&image), None, "a bare system image has no kernel before it");
    }

    #[test]
    fn figures_from_the_log() {
        let log = "#1720\tINITED cov: 4160 ft: 14318 corp: 1141/1918Kb exec/s: 1720 rss: 49Mb\n\
                   #58614\tDONE   cov: 4269 ft: 15242 corp: 1424/2405Kb lim: 4157 exec/s: 2791 rss: 49Mb\n\
                   Done 58614 runs in 21 second(s)\n\
                   stat::number_of_executed_units: 58614\n";
        assert_eq!(
            summary(log),
            "58614 runs, 2791 exec/s, coverage 4269 edges (15242 features), corpus 1424 (2405Kb), peak RSS 49Mb"
        );
        let crash =
            "==1== ERROR: libFuzzer: deadly signal\nartifact_prefix='/x/'; Test unit written to /x/crash-ab12\n";
        assert_eq!(artifact(crash).as_deref(), Some("/x/crash-ab12"));
        assert_eq!(artifact(log), None);
    }
}
