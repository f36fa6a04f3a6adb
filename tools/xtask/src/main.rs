//! `cargo xtask`: the build logic behind the Makefile (STYLE.md habit 9).
//!
//! | command                   | what it does                                              |
//! |---------------------------|-----------------------------------------------------------|
//! | `build`                   | builds every kernel binary (`target/images/NAME.img`, raw, via llvm-objcopy), the partitions, and packs `partitions/demo.toml` into `target/images/kernel8.img` and each `partitions/tests/NAME.toml` into `NAME.img` |
//! | `run [IMAGE]`             | builds, then boots IMAGE (default `kernel8`) in `qemu-system-aarch64 -M raspi4b` on this terminal |
//! | `test`                    | host tests (`cargo test` over the workspace), then every QEMU test |
//! | `qemu-test [NAME...]`     | only the QEMU tests (all, or those named)                 |
//! | `bench`                   | the benchmarks under `-icount shift=0,sleep=off`          |
mod bench;
mod build;
mod qemu;
mod tests;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build::build_all().map(|images| {
            for image in images {
                println!("{}", image.raw.display());
            }
        }),
        Some("run") => run(args.get(1).map(String::as_str).unwrap_or("kernel8")),
        Some("test") => test_all(),
        Some("qemu-test") => tests::run_qemu_tests(&args[1..]),
        Some("bench") => bench::run(),
        _ => Err(format!(
            "usage: cargo xtask <build | run [IMAGE] | test | qemu-test [NAME...] | bench>\n\
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

fn run(image: &str) -> Result<(), String> {
    let images = build::build_all()?;
    let image = images
        .iter()
        .find(|i| i.name == image)
        .ok_or_else(|| format!("no image named {image}; built: {}", build::names(&images)))?;
    println!("booting {} in QEMU raspi4b; quit with Ctrl-A X", image.raw.display());
    let status = std::process::Command::new("qemu-system-aarch64")
        .args(qemu::machine_args())
        .arg("-kernel")
        .arg(&image.raw)
        .arg("-nographic")
        .status()
        .map_err(|e| format!("cannot start qemu-system-aarch64: {e} (run tools/setup-host.sh)"))?;
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
