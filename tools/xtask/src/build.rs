//! Building the kernel binaries and turning each into a raw image.
//!
//! Every binary of `bulkhead-kernel` (the product, `bulkhead`, and the test
//! and benchmark images under `kernel/src/bin`) is built for
//! `aarch64-unknown-none-softfloat` in release mode, with the bare-metal
//! standard library from wherever this machine has it (`toolchain.rs`:
//! prebuilt, or built from `rust-src`); `elf::raw_image` then writes
//! `target/images/NAME.img`, the bytes `objcopy -O binary` would. [`build_all`]
//! then builds the partitions and packs the system descriptions with the
//! product kernel: `partitions/demo.toml` into `target/images/kernel8.img`,
//! the name the Pi firmware boots.
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{elf, toolchain};

/// The kernel is built soft-float: it never touches the FP/SIMD registers,
/// so a partition's FP state only needs saving when another thread takes
/// the core, not on every exception.
pub const TARGET: &str = "aarch64-unknown-none-softfloat";

/// One built kernel binary.
#[derive(Debug, Clone)]
pub struct Image {
    pub name: String,
    pub elf: PathBuf,
    pub raw: PathBuf,
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root exists")
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set (made absolute
/// at start-up, `main`), else `target/` in the workspace. Every path
/// xtask reads a build from, or writes its own output to, is under it.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("target"),
    }
}

pub fn names(images: &[Image]) -> String {
    images.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// Builds every kernel binary and returns their images.
pub fn build_images() -> Result<Vec<Image>, String> {
    let root = workspace_root();
    let status =
        toolchain::bare_metal_cargo(&root, "build", TARGET, &["--release", "-p", "bulkhead-kernel", "--bins"])?
            .status()
            .map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !status.success() {
        return Err("kernel build failed".into());
    }
    let out_dir = target_dir().join("images");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let bin_dir = target_dir().join(TARGET).join("release");
    let mut images = Vec::new();
    for name in kernel_bin_names(&root)? {
        let elf = bin_dir.join(&name);
        let raw = out_dir.join(format!("{name}.img"));
        let bytes = std::fs::read(&elf).map_err(|e| format!("cannot read {}: {e}", elf.display()))?;
        let image = elf::raw_image(&bytes).map_err(|e| format!("{}: {e}", elf.display()))?;
        std::fs::write(&raw, image).map_err(|e| format!("cannot write {}: {e}", raw.display()))?;
        images.push(Image { name: name.clone(), elf: elf.clone(), raw: raw.clone() });
    }
    Ok(images)
}

/// Where partition ELF files are built: the SDK targets the ordinary
/// (hard-float) bare-metal target, partitions may use FP/SIMD.
pub const PARTITION_TARGET: &str = "aarch64-unknown-none";

/// Builds every partition binary: the SDK's examples (`partitions/examples`)
/// and the a653rs applications (`partitions/a653rs-examples`), into one
/// directory where `bulkhead pack` finds each by its `image` name.
pub fn build_partitions() -> Result<PathBuf, String> {
    let root = workspace_root();
    let status = toolchain::bare_metal_cargo(
        &root,
        "build",
        PARTITION_TARGET,
        &["--release", "-p", "bulkhead-partitions", "-p", "a653rs-examples", "--bins"],
    )?
    .status()
    .map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !status.success() {
        return Err("partition build failed".into());
    }
    Ok(target_dir().join(PARTITION_TARGET).join("release"))
}

/// Packs `description` with the product kernel into a bootable image at
/// `out` (kernel, padding to 4 KiB, system image), with `bulkhead pack`.
pub fn pack(
    description: &Path,
    kernel: &Path,
    elf_dir: &Path,
    out: &Path,
    console_baud: Option<u32>,
) -> Result<(), String> {
    let root = workspace_root();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(&root)
        .args(["run", "--release", "--quiet", "-p", "bulkhead", "--", "pack"])
        .arg(description)
        .arg("--kernel")
        .arg(kernel)
        .arg("--elf-dir")
        .arg(elf_dir)
        .arg("--out")
        .arg(out);
    if let Some(rate) = console_baud {
        cmd.arg("--console-baud").arg(rate.to_string());
    }
    let result = cmd.output().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if result.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed with {}:\n{}{}",
            result.status,
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        ))
    }
}

/// Builds the kernel, the partitions, and packs every system description:
/// `partitions/demo.toml` becomes `kernel8.img`; `partitions/lockstep.toml`
/// becomes `lockstep-traced.img` (traced kernel) and `lockstep-missed.img`
/// (traced, with a core stalled) and `lockstep-holdover.img` (traced, with a
/// core stalled while it holds a partition) and `lockstep-115200.img`
/// (traced, its console at the Pi's default 115200 baud, which its output
/// overruns); `partitions/demo.toml` also becomes `unmapped-ram.img`
/// (product kernel, core 1 reading RAM no partition owns); `partitions/bench.toml` becomes
/// `bench-module.img` (benchmark kernel, traced) and `bench-module-product.img`
/// (benchmark kernel without the trace), `partitions/bench-percore.toml`
/// `bench-percore.img` (the per-core benchmark kernel, `bench-alone`) and
/// `partitions/bench-ports.toml`
/// `bench-ports.img` (product kernel); each `partitions/tests/NAME.toml`
/// becomes `NAME.img` with the product kernel and `NAME-traced.img` with the
/// traced one, and each `partitions/timing/NAME.toml` `NAME.img` with the
/// traced kernel.
pub fn build_all() -> Result<Vec<Image>, String> {
    let mut images = build_images()?;
    let elf_dir = build_partitions()?;
    let root = workspace_root();
    let kernel = images.iter().find(|i| i.name == "bulkhead").ok_or("the kernel binary was not built")?.clone();
    let out_dir = target_dir().join("images");
    let kernel_named = |name: &str| -> Result<Image, String> {
        images.iter().find(|i| i.name == name).cloned().ok_or_else(|| format!("the kernel binary {name} was not built"))
    };
    let traced = kernel_named("bulkhead-traced")?;
    let missed = kernel_named("selftest-missed")?;
    let holdover = kernel_named("selftest-holdover")?;
    let bench = kernel_named("bench-switch")?;
    let bench_product = kernel_named("bench-product")?;
    let alone = kernel_named("bench-alone")?;
    let unmapped = kernel_named("selftest-unmapped")?;
    let lockstep = root.join("partitions/lockstep.toml");
    let mut systems = vec![
        ("kernel8".to_string(), root.join("partitions/demo.toml"), kernel.clone(), None),
        ("lockstep-traced".to_string(), lockstep.clone(), traced.clone(), None),
        ("lockstep-115200".to_string(), lockstep.clone(), traced.clone(), Some(115_200)),
        ("lockstep-missed".to_string(), lockstep.clone(), missed, None),
        ("lockstep-holdover".to_string(), lockstep.clone(), holdover, None),
        ("bench-module".to_string(), root.join("partitions/bench.toml"), bench.clone(), None),
        ("bench-module-product".to_string(), root.join("partitions/bench.toml"), bench_product, None),
        ("bench-ports".to_string(), root.join("partitions/bench-ports.toml"), kernel.clone(), None),
        ("bench-lockstep".to_string(), lockstep, bench, None),
        ("bench-percore".to_string(), root.join("partitions/bench-percore.toml"), alone, None),
        ("unmapped-ram".to_string(), root.join("partitions/demo.toml"), unmapped, None),
    ];
    // Isolation tests run the product kernel (`NAME.img`) and the traced
    // one (`NAME-traced.img`), timing tests the traced one.
    for (dir, with, suffix) in [
        ("partitions/tests", &kernel, ""),
        ("partitions/tests", &traced, "-traced"),
        ("partitions/timing", &traced, ""),
    ] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            let mut found: Vec<_> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            found.sort();
            for path in found {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                systems.push((format!("{stem}{suffix}"), path, with.clone(), None));
            }
        }
    }
    for (name, description, with, console_baud) in systems {
        let out = out_dir.join(format!("{name}.img"));
        pack(&description, &with.raw, &elf_dir, &out, console_baud)
            .map_err(|e| format!("packing {}: {e}", description.display()))?;
        images.retain(|i| i.name != name);
        images.push(Image { name, elf: with.elf.clone(), raw: out });
    }
    Ok(images)
}

/// `bulkhead` plus one binary per file in kernel/src/bin.
fn kernel_bin_names(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join("kernel/src/bin");
    let mut names = vec!["bulkhead".to_string()];
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "rs")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            names.push(stem.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// The system description a `make TARGET DESC=...` was given, or the demo's
/// (`partitions/demo.toml`), as an absolute path; an error naming the path
/// and how to give another if there is none.
pub fn description_or_demo(description: Option<&str>, target: &str) -> Result<PathBuf, String> {
    let description = match description {
        Some(path) => PathBuf::from(path),
        None => workspace_root().join("partitions/demo.toml"),
    };
    description.canonicalize().map_err(|e| {
        format!("no system description at {} ({e}; make {target} DESC=path/to/system.toml)", description.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The target directory is a real path: the checkout's `target/`, or
    /// the absolute `CARGO_TARGET_DIR` xtask's `main` made of it.
    #[test]
    fn target_dir_is_the_checkouts_or_cargos() {
        let dir = target_dir();
        match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
            Some(env) => assert_eq!(dir, PathBuf::from(env)),
            None => assert_eq!(dir, workspace_root().join("target")),
        }
    }
}
