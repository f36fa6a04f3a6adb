//! Where the bare-metal standard library comes from, and the cargo calls
//! that build for the bare-metal targets.
//!
//! The kernel (`aarch64-unknown-none-softfloat`) and the partitions
//! (`aarch64-unknown-none`) need `core`, `alloc` and `compiler_builtins`
//! for their target. Two sources, in order of preference:
//!
//! 1. **Prebuilt**: the `rust-std` component of the target, installed by
//!    `rustup target add` (tools/setup-host.sh). The normal path.
//! 2. **From source**: when rustup cannot provide that component (a mirror
//!    or offline toolchain that serves the host toolchain and `rust-src`
//!    only), cargo compiles the three crates from the toolchain's
//!    `rust-src` with `-Zbuild-std`, `compiler_builtins` with its `mem`
//!    feature (memcpy and friends, which no libc provides here).
//!    `-Zbuild-std` is unstable, so these two cargo calls, and only they,
//!    run with `RUSTC_BOOTSTRAP=1`: the same switch the Linux kernel's
//!    build sets to compile its Rust code with a stable release. The host
//!    crates and their tests never see it (a workspace-wide
//!    `[unstable] build-std` would rebuild std for the host tests too).
//!
//! `BULKHEAD_BUILD_STD` overrides the choice: `1` forces the build from
//! source (to test that path on a machine that has the prebuilt library),
//! `0` forces the prebuilt library (and fails clearly when it is missing).
//! `cargo xtask` says once per run which source it took.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Where a target's `core`/`alloc`/`compiler_builtins` come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StdSource {
    /// The `rust-std` component installed for the target.
    Prebuilt,
    /// Compiled from `rust-src` by cargo (`-Zbuild-std`).
    FromSource,
}

/// What the toolchain on this machine has for one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// `lib/rustlib/<target>/lib` holds a `libcore-*.rlib`.
    pub prebuilt: bool,
    /// `lib/rustlib/src/rust/library/core` exists (component `rust-src`).
    pub rust_src: bool,
}

/// The choice, as a pure function of what was found and the override
/// (`BULKHEAD_BUILD_STD`: `Some(true)` from source, `Some(false)`
/// prebuilt, `None` automatic).
pub fn choose(target: &str, found: Found, force_from_source: Option<bool>) -> Result<StdSource, String> {
    let from_source = || {
        if found.rust_src {
            Ok(StdSource::FromSource)
        } else {
            Err(format!(
                "no standard library for {target}: the prebuilt one is not installed and the rust-src component, \
                 from which it can be built, is missing too; run `rustup target add {target}` or \
                 `rustup component add rust-src` (tools/setup-host.sh tries both)"
            ))
        }
    };
    match force_from_source {
        Some(true) => from_source(),
        Some(false) if found.prebuilt => Ok(StdSource::Prebuilt),
        Some(false) => Err(format!(
            "BULKHEAD_BUILD_STD=0 asks for the prebuilt standard library of {target}, which is not installed \
             (`rustup target add {target}`)"
        )),
        None if found.prebuilt => Ok(StdSource::Prebuilt),
        None => from_source(),
    }
}

/// Reads `BULKHEAD_BUILD_STD`.
pub fn parse_override(value: Option<&str>) -> Result<Option<bool>, String> {
    match value.map(str::trim) {
        None | Some("") | Some("auto") => Ok(None),
        Some("1") => Ok(Some(true)),
        Some("0") => Ok(Some(false)),
        Some(other) => Err(format!("BULKHEAD_BUILD_STD={other:?}: expected 1 (from rust-src), 0 (prebuilt) or auto")),
    }
}

/// What `sysroot` holds for `target`.
pub fn inspect(sysroot: &Path, target: &str) -> Found {
    let lib = sysroot.join("lib/rustlib").join(target).join("lib");
    let prebuilt = std::fs::read_dir(&lib).is_ok_and(|entries| {
        entries.filter_map(|e| e.ok()).any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libcore-") && name.ends_with(".rlib")
        })
    });
    let rust_src = sysroot.join("lib/rustlib/src/rust/library/core/Cargo.toml").is_file();
    Found { prebuilt, rust_src }
}

fn run_text(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed with {}: {}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The sysroot of the toolchain cargo uses in the workspace (the one
/// rust-toolchain.toml pins).
pub fn sysroot(root: &Path) -> Result<PathBuf, String> {
    run_text(Command::new("rustc").current_dir(root).args(["--print", "sysroot"])).map(PathBuf::from)
}

/// Targets already announced in this run.
static ANNOUNCED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The source for `target` on this machine; prints it the first time.
pub fn std_source(root: &Path, target: &str) -> Result<StdSource, String> {
    let force = parse_override(std::env::var("BULKHEAD_BUILD_STD").ok().as_deref())?;
    let source = choose(target, inspect(&sysroot(root)?, target), force)?;
    let mut announced = ANNOUNCED.lock().unwrap_or_else(|e| e.into_inner());
    if !announced.iter().any(|t| t == target) {
        announced.push(target.to_string());
        match source {
            StdSource::Prebuilt => println!("xtask: {target}: prebuilt core/alloc (rustup target)"),
            StdSource::FromSource => println!(
                "xtask: {target}: core/alloc/compiler_builtins built from rust-src \
                 (-Zbuild-std, RUSTC_BOOTSTRAP=1 for the bare-metal cargo calls only)"
            ),
        }
    }
    Ok(source)
}

/// The extra cargo arguments for building with `source`.
pub fn build_std_args(source: StdSource) -> &'static [&'static str] {
    match source {
        StdSource::Prebuilt => &[],
        StdSource::FromSource => {
            &["-Zbuild-std=core,alloc,compiler_builtins", "-Zbuild-std-features=compiler-builtins-mem"]
        }
    }
}

/// `cargo <subcommand> --target <target> <args>` for a bare-metal target,
/// with the standard library from wherever this machine has it.
pub fn bare_metal_cargo(root: &Path, subcommand: &str, target: &str, args: &[&str]) -> Result<Command, String> {
    let source = std_source(root, target)?;
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root).args([subcommand, "--target", target]).args(build_std_args(source)).args(args);
    if source == StdSource::FromSource {
        // The Linux kernel's way to use an unstable cargo/rustc feature with
        // a stable release; scoped to this one command.
        cmd.env("RUSTC_BOOTSTRAP", "1");
    }
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "aarch64-unknown-none";
    const BOTH: Found = Found { prebuilt: true, rust_src: true };
    const ONLY_PREBUILT: Found = Found { prebuilt: true, rust_src: false };
    const ONLY_SRC: Found = Found { prebuilt: false, rust_src: true };
    const NOTHING: Found = Found { prebuilt: false, rust_src: false };

    #[test]
    fn prebuilt_is_preferred_where_it_exists() {
        assert_eq!(choose(T, BOTH, None), Ok(StdSource::Prebuilt));
        assert_eq!(choose(T, ONLY_PREBUILT, None), Ok(StdSource::Prebuilt));
    }

    #[test]
    fn without_the_prebuilt_library_it_is_built_from_rust_src() {
        assert_eq!(choose(T, ONLY_SRC, None), Ok(StdSource::FromSource));
    }

    #[test]
    fn with_neither_the_error_names_the_target_and_both_fixes() {
        let e = choose(T, NOTHING, None).unwrap_err();
        assert!(e.contains(T), "{e}");
        assert!(e.contains("rustup target add aarch64-unknown-none"), "{e}");
        assert!(e.contains("rustup component add rust-src"), "{e}");
    }

    #[test]
    fn the_override_forces_either_path_and_says_what_is_missing() {
        assert_eq!(choose(T, BOTH, Some(true)), Ok(StdSource::FromSource));
        assert!(choose(T, ONLY_PREBUILT, Some(true)).unwrap_err().contains("rust-src"));
        assert_eq!(choose(T, BOTH, Some(false)), Ok(StdSource::Prebuilt));
        assert!(choose(T, ONLY_SRC, Some(false)).unwrap_err().contains("BULKHEAD_BUILD_STD=0"));
    }

    #[test]
    fn override_values() {
        assert_eq!(parse_override(None), Ok(None));
        assert_eq!(parse_override(Some("auto")), Ok(None));
        assert_eq!(parse_override(Some("1")), Ok(Some(true)));
        assert_eq!(parse_override(Some("0")), Ok(Some(false)));
        assert!(parse_override(Some("yes")).unwrap_err().contains("\"yes\""));
    }

    #[test]
    fn only_the_from_source_path_adds_build_std_flags() {
        assert!(build_std_args(StdSource::Prebuilt).is_empty());
        let args = build_std_args(StdSource::FromSource);
        assert!(args.contains(&"-Zbuild-std=core,alloc,compiler_builtins"));
        assert!(args.contains(&"-Zbuild-std-features=compiler-builtins-mem"));
    }

    /// A sysroot laid out as rustup lays it out, with or without the
    /// target's library and rust-src.
    fn fake_sysroot(prebuilt: bool, rust_src: bool) -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "xtask-sysroot-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let lib = dir.join("lib/rustlib").join(T).join("lib");
        std::fs::create_dir_all(&lib).unwrap();
        // Another target's library must not count.
        let other = dir.join("lib/rustlib/aarch64-unknown-none-softfloat/lib");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("libcore-0123.rlib"), b"").unwrap();
        if prebuilt {
            std::fs::write(lib.join("libcore-abcdef.rlib"), b"").unwrap();
        } else {
            std::fs::write(lib.join("libcore-abcdef.rmeta"), b"").unwrap();
        }
        let core = dir.join("lib/rustlib/src/rust/library/core");
        std::fs::create_dir_all(&core).unwrap();
        if rust_src {
            std::fs::write(core.join("Cargo.toml"), b"[package]\n").unwrap();
        }
        dir
    }

    #[test]
    fn detection_reads_the_sysroot_as_rustup_lays_it_out() {
        for (prebuilt, rust_src) in [(true, true), (true, false), (false, true), (false, false)] {
            let dir = fake_sysroot(prebuilt, rust_src);
            assert_eq!(inspect(&dir, T), Found { prebuilt, rust_src }, "prebuilt {prebuilt}, rust-src {rust_src}");
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    #[test]
    fn detection_and_choice_on_this_machine_agree_with_rustup() {
        // Whatever this machine has, the choice must be one that builds.
        let root = crate::build::workspace_root();
        let found = inspect(&sysroot(&root).unwrap(), T);
        match choose(T, found, None) {
            Ok(StdSource::Prebuilt) => assert!(found.prebuilt),
            Ok(StdSource::FromSource) => assert!(!found.prebuilt && found.rust_src),
            Err(e) => panic!("this machine can build neither way: {e}"),
        }
    }
}
