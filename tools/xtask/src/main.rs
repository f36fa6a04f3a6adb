//! `cargo xtask`: the build logic behind the Makefile (STYLE.md habit 9).
//!
//! | command                   | what it does                                              |
//! |---------------------------|-----------------------------------------------------------|
//! | `build`                   | builds every kernel binary (`target/images/NAME.img`, raw), the partitions, and packs `partitions/demo.toml` into `target/images/kernel8.img` and each `partitions/tests/NAME.toml` into `NAME.img` |
//! | `run [--realtime] [IMAGE]` | builds, then boots IMAGE (default `kernel8`) in `qemu-system-aarch64 -M raspi4b` on this terminal, in virtual time (`-icount shift=0,sleep=off`) or, with `--realtime`, on the host's clock |
//! | `test`                    | host tests (`cargo test` over the workspace), then every QEMU test |
//! | `qemu-test [NAME...]`     | only the QEMU tests (all, or those named)                 |
//! | `bench`                   | the benchmarks under `-icount shift=0,sleep=off`          |
mod bench;
mod build;
mod elf;
mod qemu;
mod tests;
mod toolchain;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build::build_all().map(|images| {
            for image in images {
                println!("{}", image.raw.display());
            }
        }),
        Some("run") => {
            let realtime = args.iter().any(|a| a == "--realtime");
            let image = args[1..].iter().find(|a| !a.starts_with("--")).map_or("kernel8", String::as_str);
            run(image, realtime)
        }
        Some("test") => test_all(),
        Some("qemu-test") => tests::run_qemu_tests(&args[1..]),
        Some("bench") => bench::run(),
        _ => Err(format!(
            "usage: cargo xtask <build | run [--realtime] [IMAGE] | test | qemu-test [NAME...] | bench>\n\
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

fn test_all() -> Result<(), String> {
    println!("== host tests: cargo test");
    let status = std::process::Command::new(env!("CARGO"))
        .args(["test", "--workspace", "--exclude", "bulkhead-kernel"])
        .status()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    if !status.success() {
        return Err("host tests failed".into());
    }
    println!("== QEMU tests");
    tests::run_qemu_tests(&[])
}
