//! `cargo xtask`: the build logic behind the Makefile (STYLE.md habit 9).
//!
//! | command                   | what it does                                              |
//! |---------------------------|-----------------------------------------------------------|
//! | `build`                   | builds every kernel binary (`target/images/NAME.img`, raw), the partitions, and packs `partitions/demo.toml` into `target/images/kernel8.img` and each `partitions/tests/NAME.toml` into `NAME.img` |
//! | `run [--realtime] [IMAGE]` | builds, then boots IMAGE (default `kernel8`) in `qemu-system-aarch64 -M raspi4b` on this terminal, in virtual time (`-icount shift=0,sleep=off`) or, with `--realtime`, on the host's clock |
//! | `test`                    | host tests (`cargo test` over the workspace), the loom models of `bulkhead-protocol`, then every QEMU test |
//! | `qemu-test [NAME...]`     | only the QEMU tests (all, or those named)                 |
//! | `bench [--check \| --bless]` | the benchmarks under `-icount shift=0,sleep=off`: one table with each figure's goal, and `target/bench/results.tsv`; `--check` then fails on a regression against `bench/baseline.tsv`, `--bless` rewrites it (`bench_guard.rs`) |
//! | `profile-switch [--functions]` | the switch path of the untraced one-core benchmark by phase (and function), from QEMU's exec log (`profile.rs`) |
//! | `profile-hypercalls [--functions]` | each kind of full hypercall path of the port benchmark (`partitions/bench-ports.toml`) by phase (and function), the median of its kind, the same way |
//! | `fuzz`                    | the long hypercall fuzzer runs (`hostile-fuzz-long`, 10^6 calls, and its traced twin), then `fuzz-targets`; not part of `test` |
//! | `fuzz-targets [NAME...]`  | only the cargo-fuzz targets (`parse`: the system image parser, `check`: the description checker), each for `BULKHEAD_FUZZ_SECONDS` (60) from seeds made from the repository (`fuzz_targets.rs`) |
//! | `check`                   | rustfmt, and clippy on the host crates, the kernel and the partitions (`-D warnings`) |
//! | `sdcard [DESC]`           | `target/sdcard.img`: the SD card a Raspberry Pi 4 boots, DESC (default `partitions/demo.toml`) packed as `kernel8.img` with the README's `config.txt` and Debian's firmware (`sdcard.rs`, `firmware.rs`) |
//! | `debug [DESC]`            | QEMU stopped at its first instruction with its gdbstub on localhost:1234, and `target/debug.gdb` with the kernel's and the partitions' symbols (`debug.rs`) |
mod bench;
mod bench_guard;
mod build;
mod debug;
mod dtb;
mod elf;
mod firmware;
mod fuzz_targets;
mod profile;
mod qemu;
mod sdcard;
mod sdk;
mod tests;
mod toolchain;

use std::process::ExitCode;

/// `cargo xtask profile-switch`: the untraced switch path by phase
/// (profile.rs), without the rest of the benchmarks; `--functions` also
/// lists each phase's functions.
fn profile_switch(functions: bool) -> Result<(), String> {
    for (k, s) in profile::switch_phases(&build::build_all()?)?.iter().enumerate() {
        println!("boundary {}: {} instructions", k + 2, s.total);
        print_phases(s, &profile::PHASES, functions);
    }
    Ok(())
}

/// `cargo xtask profile-hypercalls`: each kind of full hypercall path of
/// the port benchmark by phase (profile.rs); `--functions` also lists
/// each phase's functions.
fn profile_hypercalls(functions: bool) -> Result<(), String> {
    for (name, count, s) in profile::hypercall_paths(&build::build_all()?)? {
        println!("{name}: median of {count}: {} instructions, hvc to eret", s.total);
        print_phases(&s, &profile::HYPERCALL_PHASES, functions);
    }
    Ok(())
}

/// A profiled path's instructions per phase, and per function if asked.
fn print_phases(s: &profile::Segment, phases: &[(&str, &str)], functions: bool) {
    for (phase, what) in phases {
        println!("  {:>5}  {phase:<12} {what}", s.phases.get(phase).copied().unwrap_or(0));
        if functions {
            for ((_, f), n) in s.functions.iter().filter(|((p, _), _)| p == phase) {
                println!("         {n:>5}  {f}");
            }
        }
    }
}

fn main() -> ExitCode {
    // A relative CARGO_TARGET_DIR is cargo's: relative to where it was
    // started. Made absolute once, so every cargo this process starts (in
    // whatever directory) and `build::target_dir` mean the same place.
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").map(std::path::PathBuf::from)
        && dir.is_relative()
        && !dir.as_os_str().is_empty()
        && let Ok(cwd) = std::env::current_dir()
    {
        // SAFETY: at the start of main, before any thread is started.
        unsafe { std::env::set_var("CARGO_TARGET_DIR", cwd.join(dir)) };
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build::build_all().map(|images| {
            for image in images {
                println!("{}", image.raw.display());
            }
        }),
        Some("run") => match args[1..].iter().find(|a| a.starts_with('-') && *a != "--realtime") {
            Some(flag) => Err(format!("usage: cargo xtask run [--realtime] [IMAGE] (unknown option {flag})")),
            None => {
                let realtime = args.iter().any(|a| a == "--realtime");
                let image = args[1..].iter().find(|a| !a.starts_with("--")).map_or("kernel8", String::as_str);
                run(image, realtime)
            }
        },
        Some("test") => test_all(),
        Some("qemu-test") => tests::run_qemu_tests(&args[1..]),
        Some("bench") => match args.get(1).map(String::as_str) {
            None => bench::run(bench::Mode::Print),
            Some("--check") => bench::run(bench::Mode::Check),
            Some("--bless") => bench::run(bench::Mode::Bless),
            Some(other) => Err(format!("usage: cargo xtask bench [--check | --bless] (got {other})")),
        },
        Some("profile-switch") => profile_switch(args.get(1).is_some_and(|a| a == "--functions")),
        Some("profile-hypercalls") => profile_hypercalls(args.get(1).is_some_and(|a| a == "--functions")),
        Some("fuzz") => fuzz(),
        Some("fuzz-targets") => fuzz_targets::run(&args[1..]),
        Some("check") => check(),
        Some("sdcard") if args.len() <= 2 => sdcard::run(args.get(1).map(String::as_str)),
        Some("debug") if args.len() <= 2 => debug::run(args.get(1).map(String::as_str)),
        _ => Err(format!(
            "usage: cargo xtask <build | run [--realtime] [IMAGE] | test | qemu-test [NAME...] | bench [--check | --bless] | profile-switch [--functions] | profile-hypercalls [--functions] | fuzz | fuzz-targets [NAME...] | check | sdcard [DESC] | debug [DESC]>\n\
             (got: {})",
            if args.is_empty() { "no command".to_string() } else { args.join(" ") }
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Boots `image` on this terminal. By default in virtual time
/// ([`qemu::ICOUNT`]): four vCPUs emulated on a two-core laptop keep their
/// lockstep, and the module runs as it would on the board (ahead of the
/// wall clock while it idles). `--realtime` uses the host's clock instead,
/// as the board would; on a loaded or small host QEMU then falls behind and
/// the kernel reports the boundaries it missed.
fn run(image: &str, realtime: bool) -> Result<(), String> {
    let images = build::build_all()?;
    let image = images
        .iter()
        .find(|i| i.name == image)
        .ok_or_else(|| format!("no image named {image}; built: {}", build::names(&images)))?;
    let clock = if realtime { "the host's clock" } else { "virtual time (-icount shift=0,sleep=off)" };
    println!("booting {} in QEMU raspi4b, {clock}; quit with Ctrl-A X", image.raw.display());
    let mut qemu = std::process::Command::new("qemu-system-aarch64");
    qemu.args(qemu::machine_args()).arg("-kernel").arg(&image.raw).arg("-nographic");
    if !realtime {
        qemu.args(qemu::ICOUNT);
    }
    let status =
        qemu.status().map_err(|e| format!("cannot start qemu-system-aarch64: {e} (run tools/setup-host.sh)"))?;
    if status.success() { Ok(()) } else { Err(format!("QEMU exited with {status}")) }
}

/// `make fuzz`: the long hypercall fuzzer runs in QEMU, then the cargo-fuzz
/// targets (after the QEMU runs, which build and pack the images whose
/// system images seed the image parser's target). Both run whatever the
/// other's outcome; the command fails if either found something.
fn fuzz() -> Result<(), String> {
    println!("== QEMU: the long hypercall fuzzer runs");
    let qemu = tests::run_fuzz();
    println!("== cargo-fuzz targets");
    let targets = fuzz_targets::run(&[]);
    match (qemu, targets) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(e), Ok(())) | (Ok(()), Err(e)) => Err(e),
        (Err(q), Err(t)) => Err(format!("{q}; {t}")),
    }
}

/// `make check`: formatting and clippy, the bare-metal crates with the
/// standard library from wherever this machine has it.
fn check() -> Result<(), String> {
    let root = build::workspace_root();
    let cargo = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO"));
        cmd.current_dir(&root).args(args);
        cmd
    };
    let mut steps = vec![
        cargo(&["fmt", "--all", "--check"]),
        cargo(&["clippy", "--workspace", "--exclude", "bulkhead-kernel", "--all-targets", "--", "-D", "warnings"]),
    ];
    steps.push(toolchain::bare_metal_cargo(
        &root,
        "clippy",
        build::TARGET,
        &["-p", "bulkhead-kernel", "--release", "--bins", "--", "-D", "warnings"],
    )?);
    steps.push(toolchain::bare_metal_cargo(
        &root,
        "clippy",
        build::PARTITION_TARGET,
        &[
            "-p",
            "bulkhead-sdk",
            "-p",
            "bulkhead-partitions",
            "-p",
            "a653rs-bulkhead",
            "-p",
            "a653rs-examples",
            "--release",
            "--",
            "-D",
            "warnings",
        ],
    )?);
    for mut step in steps {
        let status = step.status().map_err(|e| format!("cannot run {step:?}: {e}"))?;
        if !status.success() {
            return Err(format!("{step:?} failed"));
        }
    }
    Ok(())
}

fn test_all() -> Result<(), String> {
    println!("== host tests: cargo test");
    let status = std::process::Command::new(env!("CARGO"))
        .args(["test", "--workspace", "--exclude", "bulkhead-kernel"])
        .status()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    if !status.success() {
        return Err("host tests failed".into());
    }
    // The cross-core protocols model-checked with loom: its own target
    // directory, as `--cfg loom` rebuilds everything it touches.
    println!("== loom: bulkhead-protocol");
    let root = build::workspace_root();
    let status = std::process::Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["test", "-p", "bulkhead-protocol", "--release", "--test", "loom"])
        .env("RUSTFLAGS", "--cfg loom")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("CARGO_TARGET_DIR", build::target_dir().join("loom"))
        .status()
        .map_err(|e| format!("cannot run cargo test (loom): {e}"))?;
    if !status.success() {
        return Err("loom models of bulkhead-protocol failed".into());
    }
    println!("== QEMU tests");
    tests::run_qemu_tests(&[])
}
