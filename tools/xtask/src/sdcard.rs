//! `cargo xtask sdcard [DESC]` (`make sdcard`): the SD card image a real
//! Raspberry Pi 4 boots, `target/sdcard.img`, built without root.
//!
//! The card holds an MBR partition table (written here, [`mbr`]) with one
//! partition: FAT32 (type 0x0C, FAT32 with LBA addressing, marked
//! bootable) from 1 MiB, 64 MiB long. The Pi 4's boot ROM reads the first
//! FAT partition of the card and loads `start4.elf` from it; `start4.elf`
//! reads `config.txt`, loads the device tree and `kernel8.img` and starts
//! the ARM cores at EL2 (README, "On a real Raspberry Pi 4"). The
//! partition is formatted inside the image file with `mkfs.fat --offset`
//! (dosfstools) and filled with `mcopy -i IMAGE@@OFFSET` (mtools): no loop
//! device, no mount, no root.
//!
//! | file on the card | from |
//! |---|---|
//! | `kernel8.img` | the product kernel with DESC packed after it (`bulkhead pack`; default `partitions/demo.toml`, the image `make run` boots) |
//! | `config.txt` | the block the README shows under "On a real Raspberry Pi 4", as it stands there ([`config_txt`]) |
//! | `start4.elf`, `fixup4.dat`, `bcm2711-rpi-4-b.dtb` | Debian's packages (`firmware.rs`) |
//!
//! The QEMU test `sdcard` ([`qemu_test`]) builds the image of the demo,
//! reads its partition table back with `sfdisk`, lists the FAT partition
//! with `mdir`, copies every file back out with `mcopy` and compares it
//! with what went in, then boots the `kernel8.img` taken out of the image
//! in QEMU raspi4b with the card's own `.dtb` (`-dtb`, the device tree
//! address in x0 as the firmware passes it).
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::build::{self, Image};
use crate::firmware::{self, Firmware};
use crate::qemu::{self, Ending, Expect, Forbid, Run};

/// Where the card's partition starts: 1 MiB, the alignment partitioning
/// tools use (and the erase-block size of SD cards).
pub const PARTITION_START_LBA: u32 = 2048;
/// Its length: 64 MiB, enough FAT32 clusters (at least 65,525) of one
/// 512-byte sector each, and room for the firmware (~3 MB) and any image.
pub const PARTITION_SECTORS: u32 = 131_072;
const SECTOR: u64 = 512;
/// MBR partition type 0x0C: FAT32, LBA-addressed.
const FAT32_LBA: u8 = 0x0c;
/// The MBR's disk signature and the FAT volume ID: fixed, so two builds of
/// the same files differ only in the file times mtools records.
const DISK_ID: u32 = 0x4255_4c4b; // "BULK"
const VOLUME_LABEL: &str = "BULKHEAD";
/// The README section whose `config.txt` goes on the card.
const README_SECTION: &str = "## On a real Raspberry Pi 4";
/// What the firmware boots; `config.txt` must name it.
const KERNEL_FILE: &str = "kernel8.img";
/// Any one mkfs.fat, mcopy, mdir or sfdisk call.
const TOOL_SECONDS: u32 = 60;

/// The 512-byte master boot record: no boot code (the Pi's boot ROM reads
/// the partition table only), the disk signature, one partition entry,
/// the 0x55AA signature. CHS fields in the 255-head, 63-sector geometry
/// every tool assumes, for readers that still look at them.
pub fn mbr(start_lba: u32, sectors: u32, kind: u8, disk_id: u32) -> [u8; 512] {
    let mut sector = [0u8; 512];
    sector[440..444].copy_from_slice(&disk_id.to_le_bytes());
    let entry = &mut sector[446..462];
    entry[0] = 0x80; // bootable ("active")
    entry[1..4].copy_from_slice(&chs(start_lba));
    entry[4] = kind;
    entry[5..8].copy_from_slice(&chs(start_lba + sectors - 1));
    entry[8..12].copy_from_slice(&start_lba.to_le_bytes());
    entry[12..16].copy_from_slice(&sectors.to_le_bytes());
    sector[510] = 0x55;
    sector[511] = 0xaa;
    sector
}

/// A sector's CHS address (head, sector | cylinder bits 9:8, cylinder
/// 7:0), saturated at cylinder 1023 as the MBR format requires.
fn chs(lba: u32) -> [u8; 3] {
    let (heads, per_track) = (255, 63);
    let (mut c, mut h, mut s) = (lba / (heads * per_track), (lba / per_track) % heads, lba % per_track + 1);
    if c > 1023 {
        (c, h, s) = (1023, 254, 63);
    }
    [h as u8, (s as u8) | (((c >> 2) & 0xc0) as u8), (c & 0xff) as u8]
}

/// The `config.txt` block of the README's "On a real Raspberry Pi 4"
/// section: the first fenced block after it, as it stands. It must name
/// `kernel8.img` and ask for a 64-bit start.
pub fn config_txt(readme: &str) -> Result<String, String> {
    let start = readme.find(README_SECTION).ok_or(format!("README.md has no \"{README_SECTION}\" section"))?;
    let section = &readme[start + README_SECTION.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let open =
        section.find("\n```").ok_or(format!("README.md's \"{README_SECTION}\" section shows no config.txt block"))?;
    let body = &section[open + 4..];
    let body = &body[body.find('\n').map_or(0, |i| i + 1)..];
    let close =
        body.find("```").ok_or(format!("README.md's config.txt block in \"{README_SECTION}\" is not closed"))?;
    let config = body[..close].to_string();
    let settings: Vec<&str> = config.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    for needed in ["arm_64bit=1", &format!("kernel={KERNEL_FILE}")] {
        if !settings.contains(&needed) {
            return Err(format!(
                "README.md's config.txt (\"{README_SECTION}\") lacks `{needed}`, which the SD card image needs"
            ));
        }
    }
    Ok(config)
}

fn readme_config() -> Result<String, String> {
    let path = build::workspace_root().join("README.md");
    let readme = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    config_txt(&readme)
}

/// A tool the image is made or read with, under `timeout`; its stdout, or
/// an error naming the call, what it printed and the package to install.
fn tool(program: &str, args: &[&std::ffi::OsStr], package: &str) -> Result<String, String> {
    let mut cmd = Command::new("timeout");
    cmd.arg(TOOL_SECONDS.to_string()).arg(program).args(args).env("MTOOLS_SKIP_CHECK", "1");
    let out = cmd.output().map_err(|e| format!("cannot run timeout {program}: {e}"))?;
    if out.status.code() == Some(127) {
        return Err(format!("{program} is not installed: install {package} (tools/setup-host.sh does)"));
    }
    if !out.status.success() {
        return Err(format!(
            "`{program} {}` failed ({}): {}",
            args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `IMAGE@@OFFSET`: mtools' name for the FAT partition inside the image.
fn fat_in(image: &Path) -> std::ffi::OsString {
    let mut s = image.as_os_str().to_os_string();
    s.push(format!("@@{}", u64::from(PARTITION_START_LBA) * SECTOR));
    s
}

/// Writes the card image `out`: the MBR, the FAT32 partition, and in it
/// `kernel8` (as `kernel8.img`), `config` (as `config.txt`) and the
/// firmware files.
pub fn compose(kernel8: &Path, config: &str, firmware: &Firmware, out: &Path) -> Result<(), String> {
    let io = |e: std::io::Error| format!("cannot write {}: {e}", out.display());
    let staging = out.with_extension("files");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    std::fs::copy(kernel8, staging.join(KERNEL_FILE)).map_err(|e| format!("cannot copy {}: {e}", kernel8.display()))?;
    std::fs::write(staging.join("config.txt"), config).map_err(io)?;
    for name in firmware::FILES {
        std::fs::copy(firmware.file(name), staging.join(name))
            .map_err(|e| format!("cannot copy {}: {e}", firmware.file(name).display()))?;
    }

    let _ = std::fs::remove_file(out);
    let file = std::fs::File::create(out).map_err(io)?;
    // Sparse: only what mkfs.fat and mcopy write takes room.
    file.set_len((u64::from(PARTITION_START_LBA) + u64::from(PARTITION_SECTORS)) * SECTOR).map_err(io)?;
    drop(file);
    let mut bytes = std::fs::OpenOptions::new().write(true).open(out).map_err(io)?;
    std::io::Write::write_all(&mut bytes, &mbr(PARTITION_START_LBA, PARTITION_SECTORS, FAT32_LBA, DISK_ID))
        .map_err(io)?;
    drop(bytes);

    let os = |s: &str| std::ffi::OsString::from(s);
    let (offset, hidden) = (format!("--offset={PARTITION_START_LBA}"), PARTITION_START_LBA.to_string());
    let kib = (u64::from(PARTITION_SECTORS) * SECTOR / 1024).to_string();
    let volume_id = format!("{DISK_ID:08x}");
    // -F 32: FAT32; -h: the sectors before the partition, as the MBR says.
    let args = [
        os("-F"),
        os("32"),
        os("-n"),
        os(VOLUME_LABEL),
        os("-i"),
        os(&volume_id),
        os("-h"),
        os(&hidden),
        os(&offset),
        out.as_os_str().to_os_string(),
        os(&kib),
    ];
    tool("mkfs.fat", &args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>(), "dosfstools")?;
    let mut args = vec![os("-i"), fat_in(out)];
    for name in std::iter::once(KERNEL_FILE).chain(["config.txt"]).chain(firmware::FILES) {
        args.push(staging.join(name).into_os_string());
    }
    args.push(os("::/"));
    tool("mcopy", &args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>(), "mtools")?;
    let _ = std::fs::remove_dir_all(&staging);
    Ok(())
}

/// `cargo xtask sdcard [DESC]`.
pub fn run(description: Option<&str>) -> Result<(), String> {
    let description = build::description_or_demo(description, "sdcard")?;
    let images = build::build_images()?;
    let elf_dir = build::build_partitions()?;
    let kernel = images.iter().find(|i| i.name == "bulkhead").ok_or("the kernel binary was not built")?;
    let work = build::target_dir().join("sdcard");
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let kernel8 = work.join(KERNEL_FILE);
    build::pack(&description, &kernel.raw, &elf_dir, &kernel8, None)
        .map_err(|e| format!("packing {}: {e}", description.display()))?;
    let firmware = firmware::fetch()?;
    let out = build::target_dir().join("sdcard.img");
    compose(&kernel8, &readme_config()?, &firmware, &out)?;
    let listing = tool("mdir", &[std::ffi::OsStr::new("-i"), fat_in(&out).as_os_str()], "mtools")?;
    println!(
        "{}: {} MiB, MBR with one FAT32 partition (type 0x0c, bootable) from 1 MiB; {} packed with the product kernel; \
         firmware from Debian: {}\n{}",
        out.display(),
        ((u64::from(PARTITION_START_LBA) + u64::from(PARTITION_SECTORS)) * SECTOR) >> 20,
        description.display(),
        firmware.sources.trim_end().replace('\n', ", "),
        listing.trim_end()
    );
    println!("write it to a card: README.md, \"{}\"", README_SECTION.trim_start_matches("## "));
    Ok(())
}

/// The QEMU test `sdcard`: the image of the demo (`kernel8` in `images`)
/// is built, read back with tools other than those that wrote it, and the
/// `kernel8.img` taken out of it boots with the card's device tree.
pub fn qemu_test(images: &[Image]) -> Result<(), String> {
    let kernel8 = images.iter().find(|i| i.name == "kernel8").ok_or("kernel8.img was not built")?;
    let firmware = firmware::fetch()?;
    let config = readme_config()?;
    let dir = build::target_dir().join("sdcard-test");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("out")).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let image = dir.join("sdcard.img");
    compose(&kernel8.raw, &config, &firmware, &image)?;

    // The partition table, as sfdisk reads it.
    let table = tool("sfdisk", &[std::ffi::OsStr::new("--dump"), image.as_os_str()], "fdisk")?;
    let entry =
        regex::Regex::new(r"(?m)^\S+1 : start=\s*(\d+), size=\s*(\d+), type=(\w+)(, bootable)?$").expect("valid regex");
    let c =
        entry.captures(&table).ok_or(format!("sfdisk finds no first partition in {}:\n{table}", image.display()))?;
    let seen = (&c[1], &c[2], &c[3], c.get(4).is_some());
    let start = PARTITION_START_LBA.to_string();
    let size = PARTITION_SECTORS.to_string();
    if seen != (start.as_str(), size.as_str(), "c", true) {
        return Err(format!(
            "sfdisk reads partition 1 as start {}, size {}, type {}, bootable {}; expected {start}, {size}, c, true:\n{table}",
            seen.0, seen.1, seen.2, seen.3
        ));
    }
    if table.lines().filter(|l| l.contains(" : start=")).count() != 1 {
        return Err(format!("expected exactly one partition:\n{table}"));
    }

    // The files, as mdir lists them, and each one's bytes as mcopy reads them back.
    let fat = fat_in(&image);
    let listing = tool("mdir", &[std::ffi::OsStr::new("-b"), std::ffi::OsStr::new("-i"), fat.as_os_str()], "mtools")?;
    let mut found: Vec<&str> = listing.lines().map(|l| l.trim().trim_start_matches("::/")).collect();
    found.sort();
    let mut expected = vec![KERNEL_FILE, "config.txt"];
    expected.extend(firmware::FILES);
    expected.sort();
    if found != expected {
        return Err(format!("the FAT partition holds {found:?}; expected {expected:?}"));
    }
    let volume = tool("mdir", &[std::ffi::OsStr::new("-i"), fat.as_os_str()], "mtools")?;
    if !volume.contains(&format!("Volume in drive : is {VOLUME_LABEL}")) {
        return Err(format!("the FAT partition's label is not {VOLUME_LABEL}:\n{volume}"));
    }
    let back = dir.join("out");
    let mut originals: Vec<(&str, Vec<u8>)> =
        vec![(KERNEL_FILE, read(&kernel8.raw)?), ("config.txt", config.into_bytes())];
    for name in firmware::FILES {
        originals.push((name, read(&firmware.file(name))?));
    }
    for (name, original) in &originals {
        let copy = back.join(name);
        let from = std::ffi::OsString::from(format!("::/{name}"));
        tool("mcopy", &[std::ffi::OsStr::new("-i"), fat.as_os_str(), from.as_os_str(), copy.as_os_str()], "mtools")?;
        if read(&copy)? != *original {
            return Err(format!("{name} read back from {} differs from the file that went in", image.display()));
        }
    }

    // The kernel8.img of the card, booted with the card's device tree.
    let kernel_elf = &images.iter().find(|i| i.name == "bulkhead").ok_or("the kernel image was not built")?.elf;
    let dtb = back.join(firmware::DTB);
    let extracted = back.join(KERNEL_FILE);
    let run = Run {
        image: &extracted,
        kernel_elf: kernel_elf.as_path(),
        dtb: Some(&dtb),
        semihosting: false,
        icount: true,
        timeout: Duration::from_secs(60),
        qemu_args: &[],
        serial1_input: None,
    };
    // The card's device tree in x0: the banner shows the memory it gives.
    let expect = crate::tests::with_firmware_device_tree(vec![
        Expect::line(r"^module demo: 5 partitions, 10 threads"),
        Expect::line(r"^\[hello:main@0\] hello: window 0 at \d+ us$"),
        // The partitions' lines come out in turns: monitor's may pass
        // multicore's.
        Expect::all_of(&[
            r"^\[multicore:worker0@0\] multicore: thread 0 on core 0, window 0",
            r"^\[multicore:worker3@3\] multicore: thread 3 on core 3, window 0",
            r"^\[monitor:main@0\] monitor: window 0 at \d+ us",
        ]),
        Expect::line(r"^\[pong:aperiodic_pong@1\] pong: request \d+ answered at \d+ us$"),
        Expect::line(r"^\[hello:main@0\] hello: window 5 at \d+ us$"),
    ]);
    qemu::run(&run, &expect, &Ending::Settle(qemu::SETTLE), &Forbid::defaults(&[]))?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mbr_holds_one_bootable_fat32_partition() {
        let sector = mbr(2048, 131_072, 0x0c, 0x4255_4c4b);
        assert_eq!(&sector[510..], &[0x55, 0xaa]);
        assert_eq!(&sector[440..444], &0x4255_4c4bu32.to_le_bytes());
        let e = &sector[446..462];
        assert_eq!((e[0], e[4]), (0x80, 0x0c));
        assert_eq!(u32::from_le_bytes(e[8..12].try_into().unwrap()), 2048);
        assert_eq!(u32::from_le_bytes(e[12..16].try_into().unwrap()), 131_072);
        // LBA 2048 is cylinder 0, head 32, sector 33; LBA 133119 cylinder
        // 8, head 73, sector 1.
        assert_eq!(&e[1..4], &[32, 33, 0]);
        assert_eq!(&e[5..8], &[73, 1, 8]);
        // The other three entries and the boot code stay empty.
        assert!(sector[462..510].iter().all(|&b| b == 0));
        assert!(sector[..440].iter().all(|&b| b == 0));
    }

    #[test]
    fn chs_saturates_beyond_cylinder_1023() {
        assert_eq!(chs(0), [0, 1, 0]);
        // Cylinder 1023 is the last: 10 bits, the top two in the sector byte.
        assert_eq!(chs(1023 * 255 * 63), [0, 1 | 0xc0, 0xff]);
        assert_eq!(chs(u32::MAX), [254, 63 | 0xc0, 0xff]);
    }

    #[test]
    fn the_readme_shows_the_config_txt_of_the_card() {
        let readme = std::fs::read_to_string(build::workspace_root().join("README.md")).unwrap();
        let config = config_txt(&readme).unwrap();
        for line in ["arm_64bit=1", "kernel=kernel8.img", "kernel_address=0x80000", "enable_uart=1", "enable_gic=1"] {
            assert!(config.lines().any(|l| l.trim() == line), "README config.txt lacks {line}:\n{config}");
        }
    }

    #[test]
    fn a_readme_without_the_config_names_what_is_missing() {
        assert!(config_txt("# x\n").unwrap_err().contains("no \"## On a real Raspberry Pi 4\" section"));
        let no_kernel = format!("{README_SECTION}\n\n```\narm_64bit=1\n```\n");
        assert!(config_txt(&no_kernel).unwrap_err().contains("lacks `kernel=kernel8.img`"));
        let commented = format!("{README_SECTION}\n\n```\n# kernel=kernel8.img\narm_64bit=1\n```\n");
        assert!(config_txt(&commented).unwrap_err().contains("lacks `kernel=kernel8.img`"));
    }
}
