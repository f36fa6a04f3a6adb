//! The partition SDK as an author outside this workspace uses it: copy
//! `partitions/sdk/template` to a temporary folder, build it with the
//! command `partitions/sdk/README.md` documents for this machine (the
//! prebuilt bare-metal library, or the build from `rust-src`), pack it with
//! the product kernel and boot it. The command is read from the README, so
//! the documentation cannot drift from what works.
use crate::build::{self, Image};
use crate::qemu::{self, Ending, Expect, Forbid, Run};
use crate::toolchain::{self, StdSource};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TARGET: &str = "aarch64-unknown-none";
const SECTION: &str = "## Building outside this workspace";

/// The two build commands of the README's section, (prebuilt, from source).
pub fn documented_commands(readme: &str) -> Result<(String, String), String> {
    let start = readme.find(SECTION).ok_or(format!("partitions/sdk/README.md has no \"{SECTION}\" section"))?;
    let section = &readme[start + SECTION.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let find = |prefix: &str| {
        section
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .map(str::to_string)
            .ok_or(format!("the README's \"{SECTION}\" section has no line starting with `{prefix}`"))
    };
    Ok((find("cargo build ")?, find("RUSTC_BOOTSTRAP=1 cargo build ")?))
}

/// A command for a clean environment: an author's shell, not this cargo's
/// child (no RUSTUP_TOOLCHAIN, CARGO_* or RUSTC* from `cargo xtask`).
fn author_shell(dir: &Path, line: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.current_dir(dir).args(["-c", line]);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO") || key.starts_with("RUSTC") || key == "RUSTUP_TOOLCHAIN" || key == "RUSTFLAGS" {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn copy_template(root: &Path, to: &Path) -> Result<(), String> {
    let from = root.join("partitions/sdk/template");
    let io = |e: std::io::Error| format!("copying {} to {}: {e}", from.display(), to.display());
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to.join("src")).map_err(io)?;
    for file in ["build.rs", "src/main.rs"] {
        std::fs::copy(from.join(file), to.join(file)).map_err(io)?;
    }
    // The release the SDK is built and tested with, as the README says.
    std::fs::copy(root.join("rust-toolchain.toml"), to.join("rust-toolchain.toml")).map_err(io)?;
    let manifest = std::fs::read_to_string(from.join("Cargo.toml")).map_err(io)?;
    let sdk = root.join("partitions/sdk");
    let path_line = "bulkhead-sdk = { path = \"../../sdk\" }";
    if !manifest.contains(path_line) {
        return Err(format!("partitions/sdk/template/Cargo.toml no longer says `{path_line}`"));
    }
    let manifest = manifest.replace(path_line, &format!("bulkhead-sdk = {{ path = \"{}\" }}", sdk.display()));
    std::fs::write(to.join("Cargo.toml"), manifest).map_err(io)
}

const DESCRIPTION: &str = r#"# The SDK template, built outside the workspace, on two cores.
[module]
name = "sdk-template"
board = "rpi4"
cores = 4
# Two lines every 10 ms (15 KB/s) are more than 115200 baud carries.
console_baud = 921600

[[partition]]
name = "mine"
memory = "2MiB"
image = "target/aarch64-unknown-none/release/my-partition"

  [[partition.thread]]
  name = "first"
  core = 0

  [[partition.thread]]
  name = "second"
  core = 1

[[schedule]]
name = "main"
major_frame = "10ms"
initial = true

  [[schedule.window]]
  partition = "mine"
  duration = "5ms"
"#;

/// Builds, packs and boots the template; `images` must hold the product
/// kernel.
pub fn run(images: &[Image]) -> Result<(), String> {
    let root = build::workspace_root();
    let readme_path = root.join("partitions/sdk/README.md");
    let readme = std::fs::read_to_string(&readme_path).map_err(|e| format!("{}: {e}", readme_path.display()))?;
    let (prebuilt, from_source) = documented_commands(&readme)?;
    let dir: PathBuf = std::env::temp_dir().join(format!("bulkhead-sdk-template-{}", std::process::id()));
    copy_template(&root, &dir)?;

    // Which command: what the author's own toolchain (the default one, in
    // that folder) has.
    let sysroot = author_shell(&dir, "rustc --print sysroot").output().map_err(|e| format!("rustc: {e}"))?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    let force = toolchain::parse_override(std::env::var("BULKHEAD_BUILD_STD").ok().as_deref())?;
    let source = toolchain::choose(TARGET, toolchain::inspect(&sysroot, TARGET), force)?;
    let line = if source == StdSource::Prebuilt { &prebuilt } else { &from_source };
    println!("    outside the workspace, in {}: {line}", dir.display());
    let out = author_shell(&dir, line).output().map_err(|e| format!("cannot run sh: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the SDK README's build command failed in {} ({}):\n{}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }

    let description = dir.join("system.toml");
    std::fs::write(&description, DESCRIPTION).map_err(|e| format!("{}: {e}", description.display()))?;
    let kernel = images.iter().find(|i| i.name == "bulkhead").ok_or("the kernel image was not built")?;
    let packed = dir.join("kernel8.img");
    build::pack(&description, &kernel.raw, &dir, &packed, None)?;
    let expect = [
        Expect::line(r"^module sdk-template: 1 partitions, 2 threads"),
        Expect::all_of(&[
            r"^\[mine:first@0\] my-partition: thread 0 of 2 on core 0, window 0 at \d+ us$",
            r"^\[mine:second@1\] my-partition: thread 1 of 2 on core 1, window 0 at \d+ us$",
        ]),
        Expect::all_of(&[
            r"^\[mine:first@0\] my-partition: thread 0 of 2 on core 0, window 20 at \d+ us$",
            r"^\[mine:second@1\] my-partition: thread 1 of 2 on core 1, window 20 at \d+ us$",
        ]),
    ];
    let run = Run {
        image: &packed,
        kernel_elf: &kernel.elf,
        dtb: None,
        semihosting: false,
        icount: true,
        timeout: Duration::from_secs(60),
        qemu_args: &[],
        serial1_input: None,
    };
    qemu::run(&run, &expect, &Ending::Settle(qemu::SETTLE), &Forbid::defaults(&[]))?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_documents_both_build_commands() {
        let readme = std::fs::read_to_string(build::workspace_root().join("partitions/sdk/README.md")).unwrap();
        let (prebuilt, from_source) = documented_commands(&readme).unwrap();
        assert!(prebuilt.contains("--target aarch64-unknown-none"), "{prebuilt}");
        assert!(!prebuilt.contains("build-std"), "{prebuilt}");
        for flag in toolchain::build_std_args(StdSource::FromSource) {
            assert!(from_source.contains(flag), "{from_source} lacks {flag}");
        }
    }

    #[test]
    fn a_readme_without_the_section_is_named() {
        assert!(documented_commands("# SDK\n").unwrap_err().contains("no \"## Building outside this workspace\""));
        let no_fallback =
            format!("{SECTION}\n\n```text\ncargo build --release\n```\n## Next\nRUSTC_BOOTSTRAP=1 cargo build x\n");
        assert!(documented_commands(&no_fallback).unwrap_err().contains("RUSTC_BOOTSTRAP=1 cargo build"));
    }
}
