//! The Raspberry Pi 4 boot firmware and device tree, from Debian's packages,
//! for the SD card image (`sdcard.rs`) and its QEMU test.
//!
//! | file | what it is | Debian package |
//! |---|---|---|
//! | `start4.elf` | the VideoCore's second-stage loader: reads `config.txt`, loads the device tree and `kernel8.img`, starts the ARM cores | `raspi-firmware` (component `non-free-firmware`) |
//! | `fixup4.dat` | the memory split `start4.elf` needs | `raspi-firmware` |
//! | `bcm2711-rpi-4-b.dtb` | the Pi 4 B's device tree, which the firmware completes (memory, reserved ranges) and passes in x0 | the arm64 kernel, `linux-image-*-arm64` (`/usr/lib/linux-image-*/broadcom/`) |
//!
//! Debian's `raspi-firmware` ships the firmware without device trees (its
//! kernel hook copies the `.dtb` from the installed kernel package onto the
//! boot partition); the `.dtb` here is taken from the same place. The kernel
//! package is an arm64 one, which an amd64 host's apt does not list, and
//! `non-free-firmware` is often not in a host's sources: so the two
//! packages are fetched with `apt-get download` under a private apt
//! configuration (its sources, lists and cache in `target/firmware/apt`,
//! architecture arm64, the host's Debian archive keyring), without root and
//! without touching the host's apt sources. Only the three files are kept,
//! in `target/firmware/`, with `SOURCES` naming the packages and versions
//! they came from; a second run reuses them. Every apt and dpkg call runs
//! under `timeout`.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::build;

/// The files the Pi 4 firmware needs beside `kernel8.img` and `config.txt`.
pub const FILES: [&str; 3] = ["start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb"];
/// The device tree, also passed to QEMU (`-dtb`) by the image's test.
pub const DTB: &str = "bcm2711-rpi-4-b.dtb";

/// The Debian release the packages come from (the one `tools/setup-host.sh`
/// targets).
const SUITE: &str = "bookworm";
/// Another Debian mirror: `BULKHEAD_DEBIAN_MIRROR=http://host/debian`.
const MIRROR_VAR: &str = "BULKHEAD_DEBIAN_MIRROR";
const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";
const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
/// The metapackage whose dependency names the current arm64 kernel.
const KERNEL_META: &str = "linux-image-arm64";
/// Seconds any one apt or dpkg call may take (the kernel package is ~60 MB).
const APT_SECONDS: u32 = 600;

/// The firmware files, ready to copy.
pub struct Firmware {
    /// `target/firmware`, holding [`FILES`] and `SOURCES`.
    pub dir: PathBuf,
    /// What `SOURCES` says: one line per package, `name version`.
    pub sources: String,
}

impl Firmware {
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// The firmware in `target/firmware`, downloaded first if any file is
/// missing there.
pub fn fetch() -> Result<Firmware, String> {
    let dir = build::target_dir().join("firmware");
    let sources_file = dir.join("SOURCES");
    if FILES.iter().all(|f| dir.join(f).is_file())
        && let Ok(sources) = std::fs::read_to_string(&sources_file)
    {
        return Ok(Firmware { dir, sources });
    }
    println!("xtask: fetching the Raspberry Pi 4 firmware from Debian {SUITE} (raspi-firmware, {KERNEL_META}'s .dtb)");
    let apt = PrivateApt::new(&dir.join("apt"))?;
    apt.run("apt-get", &["update"], None)?;
    let kernel = apt.kernel_package()?;
    let debs = dir.join("debs");
    let _ = std::fs::remove_dir_all(&debs);
    mkdir(&debs)?;
    apt.run("apt-get", &["download", "raspi-firmware", &kernel], Some(&debs))?;
    let firmware_deb = find_deb(&debs, "raspi-firmware_")?;
    let kernel_deb = find_deb(&debs, &format!("{kernel}_"))?;
    let root = dir.join("root");
    let _ = std::fs::remove_dir_all(&root);
    mkdir(&root)?;
    extract(&firmware_deb, &root, &["./usr/lib/raspi-firmware/start4.elf", "./usr/lib/raspi-firmware/fixup4.dat"])?;
    extract(&kernel_deb, &root, &[&format!("./usr/lib/linux-image-*/broadcom/{DTB}")])?;
    let dtb = find_dtb(&root)?;
    for (from, name) in [
        (root.join("usr/lib/raspi-firmware/start4.elf"), FILES[0]),
        (root.join("usr/lib/raspi-firmware/fixup4.dat"), FILES[1]),
        (dtb, DTB),
    ] {
        std::fs::copy(&from, dir.join(name))
            .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), dir.display()))?;
    }
    let sources = [firmware_deb.as_path(), kernel_deb.as_path()].map(package_of).join("\n") + "\n";
    std::fs::write(&sources_file, &sources).map_err(|e| format!("cannot write {}: {e}", sources_file.display()))?;
    // The 60 MB kernel package and its extracted tree served their purpose.
    let _ = std::fs::remove_dir_all(&debs);
    let _ = std::fs::remove_dir_all(&root);
    Ok(Firmware { dir, sources })
}

fn mkdir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// apt-get and apt-cache over their own sources, lists and cache, for
/// arm64, with no lock and no status file of the host's: nothing outside
/// `dir` is written, so no root is needed.
struct PrivateApt {
    options: Vec<String>,
}

impl PrivateApt {
    fn new(dir: &Path) -> Result<Self, String> {
        if !Path::new(KEYRING).is_file() {
            return Err(format!(
                "{KEYRING} is missing: it verifies Debian's package lists (install the debian-archive-keyring package)"
            ));
        }
        for sub in ["lists/partial", "cache/archives/partial", "sources.list.d", "preferences.d"] {
            mkdir(&dir.join(sub))?;
        }
        let mirror = std::env::var(MIRROR_VAR).unwrap_or_else(|_| DEFAULT_MIRROR.to_string());
        let list = dir.join("sources.list");
        // `main` holds the kernel package, `non-free-firmware` raspi-firmware.
        let line = format!("deb [arch=arm64 signed-by={KEYRING}] {mirror} {SUITE} main non-free-firmware\n");
        std::fs::write(&list, line).map_err(|e| format!("cannot write {}: {e}", list.display()))?;
        let d = |sub: &str| dir.join(sub).display().to_string();
        let options = [
            ("Dir::Etc::SourceList", list.display().to_string()),
            ("Dir::Etc::SourceParts", d("sources.list.d")),
            ("Dir::Etc::Preferences", "/dev/null".to_string()),
            ("Dir::Etc::PreferencesParts", d("preferences.d")),
            ("Dir::State::Lists", d("lists")),
            ("Dir::State::status", "/dev/null".to_string()),
            ("Dir::Cache", d("cache")),
            ("APT::Architecture", "arm64".to_string()),
            ("APT::Architectures", "arm64".to_string()),
            ("Debug::NoLocking", "1".to_string()),
            // As root, apt would download as the user _apt, who may not
            // write into this tree; as anyone else it downloads as itself.
            ("APT::Sandbox::User", "root".to_string()),
        ]
        .iter()
        .flat_map(|(k, v)| ["-o".to_string(), format!("{k}={v}")])
        .collect();
        Ok(PrivateApt { options })
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new("timeout");
        cmd.arg(APT_SECONDS.to_string()).arg(tool).args(&self.options).arg("-q").args(args);
        cmd
    }

    fn run(&self, tool: &str, args: &[&str], dir: Option<&Path>) -> Result<String, String> {
        let mut cmd = self.command(tool, args);
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        let out = cmd.output().map_err(|e| format!("cannot run {tool}: {e} (apt is needed to fetch the firmware)"))?;
        if !out.status.success() {
            let mirror = std::env::var(MIRROR_VAR).unwrap_or_else(|_| DEFAULT_MIRROR.to_string());
            return Err(format!(
                "`{tool} {}` for the Raspberry Pi firmware failed ({}{}), from {mirror} {SUITE}; \
                 set {MIRROR_VAR} to another Debian mirror if that one is out of reach:\n{}",
                args.join(" "),
                out.status,
                if out.status.code() == Some(124) { format!(", after {APT_SECONDS} s") } else { String::new() },
                String::from_utf8_lossy(&out.stderr).trim_end()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The package `linux-image-arm64` depends on: the current kernel.
    fn kernel_package(&self) -> Result<String, String> {
        let depends = self.run("apt-cache", &["depends", KERNEL_META], None)?;
        kernel_dependency(&depends).ok_or_else(|| {
            format!("`apt-cache depends {KERNEL_META}` names no linux-image package to take {DTB} from:\n{depends}")
        })
    }
}

/// `Depends: linux-image-6.1.0-50-arm64` in `apt-cache depends` output.
fn kernel_dependency(depends: &str) -> Option<String> {
    depends.lines().find_map(|l| {
        let name = l.trim().strip_prefix("Depends: ")?.trim();
        (name.starts_with("linux-image-") && !name.starts_with('<')).then(|| name.to_string())
    })
}

fn find_deb(dir: &Path, prefix: &str) -> Result<PathBuf, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && n.ends_with(".deb")))
        .ok_or_else(|| format!("apt-get download left no {prefix}*.deb in {}", dir.display()))
}

/// `raspi-firmware 1.20220830+ds-1` from `raspi-firmware_1.20220830+ds-1_all.deb`.
fn package_of(deb: &Path) -> String {
    let name = deb.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let mut parts = name.trim_end_matches(".deb").split('_');
    let package = parts.next().unwrap_or_default();
    let version = parts.next().unwrap_or_default().replace("%3a", ":");
    format!("{package} {version}")
}

/// Extracts `members` (tar patterns, as the package lists its paths) of
/// `deb` into `root`: `dpkg-deb --fsys-tarfile DEB | tar -x`, both under
/// `timeout`.
fn extract(deb: &Path, root: &Path, members: &[&str]) -> Result<(), String> {
    let mut dpkg = Command::new("timeout")
        .arg(APT_SECONDS.to_string())
        .args(["dpkg-deb", "--fsys-tarfile"])
        .arg(deb)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run dpkg-deb: {e}"))?;
    let tar_out = Command::new("timeout")
        .arg(APT_SECONDS.to_string())
        .args(["tar", "-x", "--wildcards", "-C"])
        .arg(root)
        .args(members)
        .stdin(dpkg.stdout.take().expect("piped"))
        .output()
        .map_err(|e| format!("cannot run tar: {e}"));
    let dpkg_status = dpkg.wait().map_err(|e| format!("dpkg-deb: {e}"))?;
    let tar_out = tar_out?;
    if !dpkg_status.success() || !tar_out.status.success() {
        return Err(format!(
            "extracting {} from {} failed (dpkg-deb {dpkg_status}, tar {}): {}",
            members.join(" "),
            deb.display(),
            tar_out.status,
            String::from_utf8_lossy(&tar_out.stderr).trim_end()
        ));
    }
    Ok(())
}

/// `usr/lib/linux-image-VERSION/broadcom/bcm2711-rpi-4-b.dtb` under `root`.
fn find_dtb(root: &Path) -> Result<PathBuf, String> {
    let lib = root.join("usr/lib");
    let entries = std::fs::read_dir(&lib).map_err(|e| format!("cannot list {}: {e}", lib.display()))?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path().join("broadcom").join(DTB)))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("the kernel package holds no usr/lib/linux-image-*/broadcom/{DTB}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_is_what_the_metapackage_depends_on() {
        let out = "linux-image-arm64\n  Depends: linux-image-6.1.0-50-arm64\n";
        assert_eq!(kernel_dependency(out).as_deref(), Some("linux-image-6.1.0-50-arm64"));
        assert_eq!(kernel_dependency("linux-image-arm64\n  Depends: <linux-image-x>\n"), None);
        assert_eq!(kernel_dependency("linux-image-arm64\n"), None);
    }

    #[test]
    fn package_and_version_come_from_the_file_name() {
        assert_eq!(
            package_of(Path::new("/x/raspi-firmware_1.20220830+ds-1_all.deb")),
            "raspi-firmware 1.20220830+ds-1"
        );
        assert_eq!(package_of(Path::new("a_1%3a2.0-1_arm64.deb")), "a 1:2.0-1");
    }
}
