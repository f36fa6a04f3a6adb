//! `cargo xtask debug [DESC]` (`make debug`): QEMU raspi4b stopped at its
//! first instruction with its gdbstub listening, and `target/debug.gdb`, a
//! `gdb-multiarch` script that loads the symbols of the kernel and of every
//! partition and connects.
//!
//! What gdb sees. QEMU's gdbstub shows each vCPU as a thread and reads
//! memory through the translation regime the stopped vCPU is in:
//!
//! - at EL2 the kernel runs identity-mapped where it is linked (0x80000,
//!   `linker/kernel.ld`), so its ELF's addresses are the ones gdb sees;
//! - at EL1 a partition runs with its stage-1 MMU off, at the IPA it is
//!   linked at, 0x4000_0000 (`linker/partition.ld`), which its stage 2
//!   maps to wherever `bulkhead pack` placed its memory. So each
//!   partition's ELF is loaded at its own link address too
//!   (`add-symbol-file` without an address).
//!
//! The ambiguity: every partition is linked at 0x4000_0000, so the same
//! address is a different instruction in each. A breakpoint set by name
//! resolves in the partition whose ELF holds that name, but QEMU's
//! breakpoints are by address on any vCPU at any exception level, so it
//! also stops any other partition that reaches the same address; and gdb
//! names an address from the first symbol file that covers it (the first
//! partition loaded), whoever runs there. The stopped vCPU's VTTBR_EL2
//! says whose code it is: the kernel gives partition N the VMID N + 1
//! (bits 55:48; `kernel/src/module/mod.rs`), so
//! `break hello::main if ($VTTBR_EL2 >> 48) == 1` stops only hello. The
//! script lists each partition with its VMID.
//!
//! Time is virtual (`-icount shift=0,sleep=off`, as `make run`): while
//! gdb holds the vCPUs the module's clock stands still, so a breakpoint
//! does not make the kernel miss its boundaries.
//!
//! The QEMU test `gdb-debug` ([`qemu_test`]) runs gdb in batch mode with
//! the script against the demo: a breakpoint in the kernel's hypercall
//! dispatch and one in `hello`'s code for hello's VMID only, each must be
//! hit, and the VMIDs the script lists must be those the kernel's boot
//! report prints.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bulkhead::desc;
use bulkhead::diag::Diagnostics;
use bulkhead::pack::{PackOptions, resolve_image};

use crate::build::{self, Image};
use crate::qemu;

/// The gdbstub's port for `make debug`: QEMU's `-s` (1234), bound to this
/// machine only.
const PORT: u16 = 1234;
/// The kernel's hypercall handler, a place to break in the README and the
/// test (`kernel/src/module/hypercall.rs`).
pub const HYPERCALL_DISPATCH: &str = "bulkhead_kernel::module::hypercall::dispatch";

/// One partition of a description, for its symbols.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionElf {
    /// Its id: its place in the description, from 0.
    pub id: usize,
    pub name: String,
    pub elf: PathBuf,
}

impl PartitionElf {
    /// The VMID the kernel gives it (`kernel/src/module/mod.rs`).
    pub fn vmid(&self) -> usize {
        self.id + 1
    }
}

/// The partitions of `description` and their ELF files, found as `bulkhead
/// pack` finds them.
pub fn partitions_of(description: &Path, elf_dir: &Path) -> Result<Vec<PartitionElf>, String> {
    let source =
        std::fs::read_to_string(description).map_err(|e| format!("cannot read {}: {e}", description.display()))?;
    let mut diags = Diagnostics::default();
    let read = desc::read(&source, &mut diags);
    let options = PackOptions {
        description: description.to_path_buf(),
        out: PathBuf::new(),
        kernel: None,
        elf_dir: Some(elf_dir.to_path_buf()),
    };
    read.partitions
        .iter()
        .enumerate()
        .map(|(id, p)| {
            let name = p.name.as_ref().map_or_else(|| format!("#{id}"), |n| n.value.clone());
            let image = p
                .image
                .as_ref()
                .ok_or_else(|| format!("{}: partition {name} has no `image`", description.display()))?;
            let elf = resolve_image(&image.value, &options);
            if !elf.is_file() {
                return Err(format!(
                    "{}: partition {name}'s image {} is not built",
                    description.display(),
                    elf.display()
                ));
            }
            Ok(PartitionElf { id, name, elf })
        })
        .collect()
}

/// The gdb script: symbols of the kernel and of every partition, then the
/// connection to QEMU's gdbstub on `port`.
pub fn gdb_script(description: &Path, kernel_elf: &Path, partitions: &[PartitionElf], port: u16) -> String {
    let mut s = format!(
        "# Written by `cargo xtask debug` (tools/xtask/src/debug.rs) for {desc}.\n\
         # With `make debug` waiting in another terminal: gdb-multiarch -x target/debug.gdb\n\
         set pagination off\n\
         set confirm off\n\
         set architecture aarch64\n\
         \n\
         # The kernel: EL2, identity-mapped, run where it is linked (0x80000).\n\
         file {kernel}\n\
         \n\
         # The partitions: each runs at EL1 at its link address, IPA 0x4000_0000,\n\
         # all of them at the same addresses. A breakpoint by name lands in the\n\
         # partition that has the name, but stops any partition that reaches its\n\
         # address, and gdb names such an address after the first file below. The\n\
         # stopped core's VMID, ($VTTBR_EL2 >> 48), says whose code runs: add\n\
         # `if ($VTTBR_EL2 >> 48) == VMID` to a breakpoint to stop one partition only.\n",
        desc = description.display(),
        kernel = kernel_elf.display()
    );
    for p in partitions {
        s.push_str(&format!(
            "# partition {} \"{}\", VMID {}\nadd-symbol-file {}\n",
            p.id,
            p.name,
            p.vmid(),
            p.elf.display()
        ));
    }
    s.push_str(&format!(
        "\n# QEMU is stopped at its first instruction (core 0 at 0x0, its boot stub);\n\
         # `continue` starts the module, Ctrl-C stops it again.\n\
         target remote 127.0.0.1:{port}\n"
    ));
    s
}

/// QEMU's arguments for the packed `image`, stopped at its first
/// instruction, its gdbstub listening on `port` of this machine only, in
/// virtual time.
fn qemu_args(image: &Path, port: u16) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = qemu::machine_args().into_iter().map(Into::into).collect();
    args.push("-kernel".into());
    args.push(image.into());
    args.extend(qemu::ICOUNT.iter().map(Into::into));
    args.extend(["-gdb".into(), format!("tcp:127.0.0.1:{port}").into(), "-S".into()]);
    args
}

/// `cargo xtask debug [DESC]`.
pub fn run(description: Option<&str>) -> Result<(), String> {
    let description = build::description_or_demo(description, "debug")?;
    let images = build::build_images()?;
    let elf_dir = build::build_partitions()?;
    let kernel = images.iter().find(|i| i.name == "bulkhead").ok_or("the kernel binary was not built")?;
    let packed = build::target_dir().join("debug-kernel8.img");
    build::pack(&description, &kernel.raw, &elf_dir, &packed, None)
        .map_err(|e| format!("packing {}: {e}", description.display()))?;
    let partitions = partitions_of(&description, &elf_dir)?;
    let script = build::target_dir().join("debug.gdb");
    std::fs::write(&script, gdb_script(&description, &kernel.elf, &partitions, PORT))
        .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    println!(
        "QEMU raspi4b is stopped at its first instruction on {}, gdbstub on localhost:{PORT}.\n\
         In another terminal: gdb-multiarch -x {}\n\
         (gdb) break {HYPERCALL_DISPATCH}\n\
         (gdb) continue\n\
         The console is here; quit QEMU with Ctrl-A X.",
        packed.display(),
        script.display()
    );
    let mut qemu = Command::new("qemu-system-aarch64");
    qemu.args(qemu_args(&packed, PORT)).arg("-nographic");
    let status =
        qemu.status().map_err(|e| format!("cannot start qemu-system-aarch64: {e} (run tools/setup-host.sh)"))?;
    if status.success() { Ok(()) } else { Err(format!("QEMU exited with {status}")) }
}

/// A TCP port on 127.0.0.1 that nothing listens on now: the test's gdbstub,
/// so that a developer's `make debug` (1234) or a parallel run does not
/// answer instead.
fn free_port() -> Result<u16, String> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot find a free TCP port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| format!("cannot find a free TCP port: {e}"))
}

/// The partition function the test breaks in: `hello`'s main loop.
const PARTITION_BREAK: &str = "hello::main";
/// How many stops the test allows before both breakpoints have been hit.
const MAX_STOPS: u32 = 20;

/// The commands the test runs after `target/debug.gdb`'s: a breakpoint in
/// the kernel's hypercall dispatch (1) and one in hello's code, for hello
/// only (2); continue until each has been hit, then a summary line. The
/// loop is Python: gdb 13's CLI `if` inside a `while` fails to compare
/// `$_hit_bpnum` ("Invalid type combination in equality test").
fn test_commands(hello_vmid: usize) -> String {
    format!(
        r#"break {HYPERCALL_DISPATCH}
break {PARTITION_BREAK} if ($VTTBR_EL2 >> 48) == {hello_vmid}
python
hits = {{1: 0, 2: 0}}
stops = 0
while (hits[1] == 0 or hits[2] == 0) and stops < {MAX_STOPS}:
    gdb.execute("continue")
    stops += 1
    hit = int(gdb.parse_and_eval("$_hit_bpnum"))
    vmid = int(gdb.parse_and_eval("$VTTBR_EL2")) >> 48 & 0xff
    if hit == 1:
        core, tid = int(gdb.parse_and_eval("core")), int(gdb.parse_and_eval("tid"))
        print("debug-test: stop %d: kernel hypercall dispatch, core %d, thread %d, VMID %d" % (stops, core, tid, vmid))
    elif hit == 2:
        pc = int(gdb.parse_and_eval("$pc"))
        print("debug-test: stop %d: hello's code at %#x, VMID %d" % (stops, pc, vmid))
    if hit in hits:
        hits[hit] += 1
print("debug-test: kernel breakpoint hits %d, partition breakpoint hits %d, stops %d" % (hits[1], hits[2], stops))
end
"#
    )
}

/// Stops a child started under `timeout` (which passes SIGTERM on).
fn stop(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

/// The QEMU test `gdb-debug`: gdb in batch mode, with the script
/// `make debug` writes, against QEMU on the demo; both breakpoints hit.
pub fn qemu_test(images: &[Image]) -> Result<(), String> {
    let root = build::workspace_root();
    let kernel8 = images.iter().find(|i| i.name == "kernel8").ok_or("kernel8.img was not built")?;
    let description = root.join("partitions/demo.toml");
    let elf_dir = build::target_dir().join(build::PARTITION_TARGET).join("release");
    let partitions = partitions_of(&description, &elf_dir)?;
    let hello = partitions.iter().find(|p| p.name == "hello").ok_or("partitions/demo.toml has no partition hello")?;
    let dir = build::target_dir().join("debug-test");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let port = free_port()?;
    let script = dir.join("debug.gdb");
    let commands = dir.join("test.gdb");
    std::fs::write(&script, gdb_script(&description, &kernel8.elf, &partitions, port))
        .and_then(|()| std::fs::write(&commands, test_commands(hello.vmid())))
        .map_err(|e| format!("cannot write into {}: {e}", dir.display()))?;

    let console = dir.join("console.log");
    let mut qemu = Command::new("timeout");
    qemu.args(["--kill-after=5", "120", "qemu-system-aarch64"])
        .args(qemu_args(&kernel8.raw, port))
        .args(["-display", "none", "-monitor", "none", "-serial"])
        .arg(format!("file:{}", console.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut qemu = qemu.spawn().map_err(|e| format!("cannot start QEMU under timeout: {e}"))?;
    // gdb connects once QEMU listens; it retries for a while by itself
    // only with `set tcp connect-timeout`, so wait for the port here.
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(20) || qemu.try_wait().ok().flatten().is_some() {
            stop(&mut qemu);
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut qemu.stderr.take().expect("piped"), &mut err);
            return Err(format!("QEMU's gdbstub did not listen on port {port} within 20 s: {err}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let gdb = Command::new("timeout")
        .args(["--kill-after=5", "90", "gdb-multiarch", "-nx", "-batch", "-x"])
        .arg(&script)
        .arg("-x")
        .arg(&commands)
        .stdin(Stdio::null())
        .output();
    // gdb detached at its end and the module runs on: its boot report,
    // which says each partition's VMID, is on the console within moments.
    let reported =
        regex::Regex::new(r"(?m)^  partition (\d+) (\S+?)(?: \(system\))?: .*, VMID (\d+)\r?$").expect("valid regex");
    let report_read = Instant::now();
    let mut vmids: Vec<(usize, String, usize)> = Vec::new();
    while vmids.len() < partitions.len() && report_read.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
        let text = std::fs::read_to_string(&console).unwrap_or_default();
        vmids = reported
            .captures_iter(&text)
            .map(|c| (c[1].parse().unwrap_or(usize::MAX), c[2].to_string(), c[3].parse().unwrap_or(0)))
            .collect();
    }
    stop(&mut qemu);
    let gdb = gdb.map_err(|e| format!("cannot run gdb-multiarch: {e} (run tools/setup-host.sh)"))?;
    let output = format!("{}{}", String::from_utf8_lossy(&gdb.stdout), String::from_utf8_lossy(&gdb.stderr));
    let fail = |why: String| {
        let console = std::fs::read_to_string(&console).unwrap_or_default();
        format!(
            "{why}\n--- gdb ({}) ---\n{output}\n--- console (last 20 lines) ---\n{}",
            gdb.status,
            console.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    };
    if gdb.status.code() == Some(127) {
        return Err("gdb-multiarch is not installed: install gdb-multiarch (tools/setup-host.sh does)".into());
    }
    let kernel_stop =
        regex::Regex::new(&format!(r"(?m)^(Thread \d+ hit )?Breakpoint 1, .*{}", regex::escape(HYPERCALL_DISPATCH)))
            .expect("valid regex");
    let partition_stop =
        regex::Regex::new(&format!(r"(?m)^(Thread \d+ hit )?Breakpoint 2, .*{}", regex::escape(PARTITION_BREAK)))
            .expect("valid regex");
    let summary = regex::Regex::new(
        r"(?m)^debug-test: kernel breakpoint hits (\d+), partition breakpoint hits (\d+), stops (\d+)$",
    )
    .expect("valid regex");
    if !kernel_stop.is_match(&output) {
        return Err(fail(format!("gdb never stopped at breakpoint 1, {HYPERCALL_DISPATCH}")));
    }
    if !partition_stop.is_match(&output) {
        return Err(fail(format!(
            "gdb never stopped at breakpoint 2, {PARTITION_BREAK} (hello, VMID {})",
            hello.vmid()
        )));
    }
    let Some(c) = summary.captures(&output) else {
        return Err(fail("gdb's script ended before its summary line".into()));
    };
    if &c[1] == "0" || &c[2] == "0" {
        return Err(fail(format!("a breakpoint was not hit within {MAX_STOPS} stops")));
    }
    // The VMIDs the script gives to break on are the ones the kernel uses.
    let scripted: Vec<(usize, String, usize)> = partitions.iter().map(|p| (p.id, p.name.clone(), p.vmid())).collect();
    if vmids != scripted {
        return Err(fail(format!(
            "the script's partitions and VMIDs {scripted:?} are not those of the kernel's boot report {vmids:?}"
        )));
    }
    // What the session saw, under the test's line.
    for line in output.lines().filter(|l| l.starts_with("debug-test: ")) {
        println!("    {}", line.trim_start_matches("debug-test: "));
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_loads_every_partition_at_its_link_address_and_connects() {
        let partitions = [
            PartitionElf { id: 0, name: "hello".into(), elf: "/e/hello".into() },
            PartitionElf { id: 1, name: "multicore".into(), elf: "/e/multicore".into() },
        ];
        let s = gdb_script(Path::new("partitions/demo.toml"), Path::new("/k/bulkhead"), &partitions, 4321);
        let commands: Vec<&str> = s.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
        assert_eq!(
            commands,
            [
                "set pagination off",
                "set confirm off",
                "set architecture aarch64",
                "file /k/bulkhead",
                "add-symbol-file /e/hello",
                "add-symbol-file /e/multicore",
                "target remote 127.0.0.1:4321",
            ]
        );
        assert!(s.contains("# partition 1 \"multicore\", VMID 2\n"), "{s}");
    }

    #[test]
    fn the_demo_partitions_are_found_in_order() {
        let root = build::workspace_root();
        let dir = std::env::temp_dir().join(format!("xtask-debug-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["hello", "multicore", "monitor", "a653rs-ping", "a653rs-pong"] {
            std::fs::write(dir.join(name), b"").unwrap();
        }
        let found = partitions_of(&root.join("partitions/demo.toml"), &dir);
        let _ = std::fs::remove_dir_all(&dir);
        let names: Vec<(usize, String)> = found.unwrap().into_iter().map(|p| (p.vmid(), p.name)).collect();
        assert_eq!(names[0], (1, "hello".to_string()));
        assert_eq!(names.len(), 5);
    }

    #[test]
    fn a_partition_not_built_is_named() {
        let root = build::workspace_root();
        let e = partitions_of(&root.join("partitions/demo.toml"), Path::new("/nonexistent")).unwrap_err();
        assert!(e.contains("partition hello's image /nonexistent/hello is not built"), "{e}");
    }
}
