//! End-to-end tests of the `bulkhead` binary on the example descriptions:
//! they check clean, `show` prints per-core tables and draws valid SVG, and
//! `pack` writes an image the kernel's parser (`bulkhead-image`) accepts,
//! with the partition segments of tiny AArch64 ELF files made here (no cross
//! compiler needed), alone and after a kernel.

mod common;

use std::path::Path;

use bulkhead_image::{ErrorKind, HealthAction, KERNEL_ALIGN, RegionAccess, SegmentFlags, SystemImage};
use object::Endianness;
use object::elf::{EM_AARCH64, ET_EXEC, PF_R, PF_W, PF_X, PT_LOAD};
use object::write::elf::{FileHeader, ProgramHeader, Writer};

use common::{assert_lane_per_core, bulkhead, bulkhead_in, parse_svg, root, scratch, svg_texts};

#[test]
fn examples_check_clean() {
    for name in ["demo.toml", "lockstep.toml"] {
        let out = bulkhead(&["check", &format!("partitions/{name}")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {stderr}");
        assert_eq!(stderr, format!("partitions/{name}: 0 errors, 0 warnings\n"));
    }
}

#[test]
fn show_prints_windows_and_core_tables() {
    let out = bulkhead(&["show", "partitions/lockstep.toml"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // The kernel's placement of each thread.
    assert!(text.contains("lane_a {0} -> 0, lane_b {1} -> 1, voter {3} -> 3"), "{text}");
    // Each core's processes with their priority and timing.
    assert!(text.contains("  lockstep         starts in NORMAL, every thread running"), "{text}");
    assert!(
        text.contains("  core 3:\n    lockstep.voter                   priority  60  period 10ms, deadline 8ms"),
        "{text}"
    );
    // Windows at absolute offsets.
    assert!(text.contains("schedule \"nominal\" (initial): major frame 10ms"), "{text}");
    assert!(text.contains("  4             8ms     9500us     1500us  supervisor"), "{text}");
    // Per-core tables from bulkhead-sched: the lockstep threads on 0, 1, 3;
    // core 2 idles in the lockstep window.
    assert!(text.contains("      0..4500us            lockstep.lane_b"), "{text}");
    assert!(text.contains("      0..4500us            idle (lockstep has no thread here)"), "{text}");
    assert!(text.contains("schedule \"degraded\": major frame 10ms"), "{text}");
}

/// `show` lists the module's health actions, then each partition's where
/// they differ from the module's: its own `[partition.health]`, or a
/// module-wide `halt_module` that stops a normal partition instead (the
/// kernel's decision, `bulkhead_image::decide_health`).
#[test]
fn show_lists_each_partitions_health_actions_where_they_differ() {
    let out = bulkhead(&["show", "tools/bulkhead/tests/bad/warning_partition_halt_module.toml"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let health = &text[text.find("health monitor:").expect("a health section")..];
    let expected = "\
health monitor: the module's actions (a partition's own [health] overrides them)
  stage2_abort           halt_module
  undefined_instruction  stop_partition (default)
  trapped_operation      stop_partition (default)
  deadline_miss          log (default)
  application_error      log
  stack_overflow         halt_module (as stage2_abort)
  window_overrun         log (default)
  missed_boundary        log (default) (an event of the module)
  partition a: stage2_abort           restart_partition (its own [health])
  partition a: application_error      halt_module (its own [health])
  partition a: stack_overflow         restart_partition (its own [health])
  partition b: stage2_abort           stop_partition (halt_module is for system partitions)
  partition b: stack_overflow         stop_partition (halt_module is for system partitions)
";
    assert_eq!(health, expected);
}

/// `show` names the schedule of a `switch_schedule`, and says where a
/// module-wide one stops a normal partition instead.
#[test]
fn show_names_the_schedule_a_health_action_switches_to() {
    let out = bulkhead(&["show", "tools/bulkhead/tests/bad/warning_partition_switch_schedule.toml"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let health = &text[text.find("health monitor:").expect("a health section")..];
    for line in [
        "  deadline_miss          switch_schedule to \"degraded\"\n",
        "  partition b: deadline_miss          stop_partition (switch_schedule is for system partitions)\n",
    ] {
        assert!(health.contains(line), "{line:?} not in\n{health}");
    }
    // Partition a's own entry is the module's too: not listed again.
    assert!(!health.contains("partition a: deadline_miss"), "{health}");
}

#[test]
fn show_svg_is_valid_xml_with_a_lane_per_core_and_a_legend() {
    let dir = scratch("svg");
    for (desc, schedule) in [("demo.toml", None), ("lockstep.toml", Some("degraded"))] {
        let svg = dir.join(desc.replace(".toml", ".svg"));
        let mut args =
            vec!["show".to_string(), format!("partitions/{desc}"), "--svg".into(), svg.display().to_string()];
        if let Some(s) = schedule {
            args.extend(["--schedule".into(), s.into()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = bulkhead(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(&svg).unwrap();
        let doc = parse_svg(&text, "show --svg");
        let texts = svg_texts(&doc);
        assert_lane_per_core(&texts, 4);
        assert!(texts.contains(&"spare"));
        assert!(texts.iter().any(|t| t.contains("time in major frame")));
    }
    let demo = std::fs::read_to_string(dir.join("demo.svg")).unwrap();
    let doc = parse_svg(&demo, "show --svg");
    let texts = svg_texts(&doc);
    for label in ["worker0", "worker3", "monitor (system)", "hello", "20ms"] {
        assert!(texts.contains(&label), "demo.svg lacks {label:?}");
    }
}

#[test]
fn show_refuses_an_unknown_schedule() {
    let dir = scratch("svg-unknown");
    let svg = dir.join("x.svg");
    let out = bulkhead(&["show", "partitions/demo.toml", "--svg", svg.to_str().unwrap(), "--schedule", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no schedule \"nope\"; schedules: main"));
}

/// A minimal AArch64 executable: one RX segment (`code`) at `vaddr` and one
/// RW segment with `bss` extra zero bytes after `data`, a page above.
fn tiny_elf(vaddr: u64, code: &[u8], data: &[u8], bss: u64) -> Vec<u8> {
    elf_with(
        vaddr,
        &[(vaddr, code, code.len() as u64, PF_R | PF_X), (vaddr + 0x1000, data, data.len() as u64 + bss, PF_R | PF_W)],
    )
}

/// An AArch64 executable entered at `entry`, one PT_LOAD per
/// `(vaddr, file bytes, memory size, flags)`.
fn elf_with(entry: u64, segments: &[(u64, &[u8], u64, u32)]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = Writer::new(Endianness::Little, true, &mut buf);
    w.reserve_file_header();
    w.reserve_program_headers(segments.len() as u32);
    let offsets: Vec<usize> = segments.iter().map(|s| w.reserve(s.1.len(), 16)).collect();
    w.write_file_header(&FileHeader {
        os_abi: 0,
        abi_version: 0,
        e_type: ET_EXEC,
        e_machine: EM_AARCH64,
        e_entry: entry,
        e_flags: 0,
    })
    .unwrap();
    w.write_align_program_headers();
    for (&(addr, bytes, mem, flags), &off) in segments.iter().zip(&offsets) {
        w.write_program_header(&ProgramHeader {
            p_type: PT_LOAD,
            p_flags: flags,
            p_offset: off as u64,
            p_vaddr: addr,
            p_paddr: addr,
            p_filesz: bytes.len() as u64,
            p_memsz: mem,
            p_align: 0x1000,
        });
    }
    for (&(_, bytes, _, _), &off) in segments.iter().zip(&offsets) {
        w.pad_until(off);
        w.write(bytes);
    }
    buf
}

/// demo.toml with its images pointed at ELF files in `dir`.
fn demo_with_elves(dir: &Path) {
    let desc = std::fs::read_to_string(root().join("partitions/demo.toml")).unwrap();
    let desc = desc
        .replace("image = \"hello\"", "image = \"elf/hello.elf\"")
        .replace("image = \"multicore\"", "image = \"elf/multicore.elf\"")
        .replace("image = \"monitor\"", "image = \"elf/monitor.elf\"")
        .replace("image = \"a653rs-ping\"", "image = \"elf/a653rs-ping.elf\"")
        .replace("image = \"a653rs-pong\"", "image = \"elf/a653rs-pong.elf\"");
    std::fs::write(dir.join("demo.toml"), desc).unwrap();
    std::fs::create_dir_all(dir.join("elf")).unwrap();
    for (i, name) in ["hello", "multicore", "monitor", "a653rs-ping", "a653rs-pong"].iter().enumerate() {
        let code: Vec<u8> = (0..(100 + i * 50)).map(|b| (b as u8) ^ (i as u8)).collect();
        let elf = tiny_elf(bulkhead::layout::PARTITION_IPA_BASE, &code, name.as_bytes(), 0x800);
        std::fs::write(dir.join("elf").join(format!("{name}.elf")), elf).unwrap();
    }
}

#[test]
fn pack_round_trips_through_the_kernel_parser() {
    let dir = scratch("pack");
    demo_with_elves(&dir);
    let out = bulkhead_in(&dir, &["pack", "demo.toml", "--out", "system.img"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(dir.join("system.img")).unwrap();
    let image = SystemImage::parse(&bytes).expect("the kernel's parser accepts pack's output");

    assert_eq!(image.module().name, "demo");
    assert_eq!(image.module().core_count, 4);
    let names: Vec<&str> = image.partitions().map(|p| p.name).collect();
    assert_eq!(names, ["hello", "multicore", "monitor", "ping", "pong"]);
    let monitor = image.partition(2).unwrap();
    assert!(monitor.system);
    assert_eq!(monitor.memory_size, 2 << 20);
    assert!(monitor.phys_base >= bulkhead::layout::PARTITION_RAM_BASE);
    assert_eq!(monitor.entry_ipa, bulkhead::layout::PARTITION_IPA_BASE);
    let segments: Vec<_> = monitor.segments().collect();
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[0].load_offset, 0);
    assert_eq!(segments[0].data.len(), 200);
    assert!(segments[0].flags.contains(SegmentFlags::READ | SegmentFlags::EXECUTE));
    assert_eq!(segments[1].load_offset, 0x1000);
    assert_eq!(segments[1].data, b"monitor");
    assert_eq!(segments[1].mem_size, 7 + 0x800);
    assert!(segments[1].flags.contains(SegmentFlags::WRITE));

    let (_, initial) = image.initial_schedule();
    let windows: Vec<_> = initial.windows().map(|w| (w.offset_ns, w.duration_ns, w.owner)).collect();
    assert_eq!(
        windows,
        [
            (0, 4_000_000, Some(0)),
            (4_000_000, 8_000_000, Some(1)),
            (12_000_000, 2_000_000, None),
            (14_000_000, 4_000_000, Some(2)),
            (18_000_000, 1_000_000, Some(3)),
            (19_000_000, 1_000_000, Some(4)),
        ]
    );
    let workers: Vec<u32> = image.threads_of(1).map(|t| t.affinity).collect();
    assert_eq!(workers, [1, 2, 4, 8]);
    let results = image.channels().find(|c| c.name == "results").unwrap();
    assert_eq!(results.source().unwrap().name, "results");
    assert_eq!(image.health_action(0, ErrorKind::Stage2Abort), HealthAction::RestartPartition);

    let report = std::fs::read_to_string(dir.join("system.img.report.txt")).unwrap();
    for needle in [
        "== memory map ==",
        "partition \"multicore\"",
        "core frame tables:",
        "multicore.worker3",
        "results: queuing, depth 16, 128B messages, multicore.results -> monitor.results",
        "stage2_abort           restart_partition",
    ] {
        assert!(report.contains(needle), "report lacks {needle:?}:\n{report}");
    }
}

#[test]
fn pack_with_kernel_pads_to_4k_and_appends_the_image() {
    let dir = scratch("pack-kernel");
    demo_with_elves(&dir);
    let kernel: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.join("kernel.bin"), &kernel).unwrap();
    let out = bulkhead_in(&dir, &["pack", "demo.toml", "--out", "kernel8.img", "--kernel", "kernel.bin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(dir.join("kernel8.img")).unwrap();
    assert_eq!(&bytes[..kernel.len()], &kernel[..]);
    assert!(bytes[kernel.len()..KERNEL_ALIGN * 2].iter().all(|&b| b == 0));
    let image = SystemImage::parse(&bytes[KERNEL_ALIGN * 2..]).unwrap();
    assert_eq!(image.bytes().len(), bytes.len() - KERNEL_ALIGN * 2);
    let report = std::fs::read_to_string(dir.join("kernel8.img.report.txt")).unwrap();
    assert!(report.contains("kernel 5000 bytes at 0, padding to 0x2000"), "{report}");
}

#[test]
fn pack_names_every_partition_whose_image_is_missing_or_misplaced() {
    let dir = scratch("pack-missing");
    demo_with_elves(&dir);
    std::fs::remove_file(dir.join("elf/hello.elf")).unwrap();
    // Linked for the wrong address: outside the partition's memory.
    std::fs::write(dir.join("elf/monitor.elf"), tiny_elf(0x8_0000, &[0; 16], &[], 0)).unwrap();
    let out = bulkhead_in(&dir, &["pack", "demo.toml", "--out", "system.img"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("error: partition \"hello\": image ./elf/hello.elf is not built"), "{stderr}");
    assert!(
        stderr.contains("error: partition \"monitor\": ./elf/monitor.elf has a segment at 0x80000..0x80010, outside its memory 0x40000000..0x40200000 (2MiB)"),
        "{stderr}"
    );
    assert!(stderr.contains("2 errors, image not written"), "{stderr}");
    assert!(!dir.join("system.img").exists());
}

/// W^X: an image whose text and data share a page, or with a segment that
/// is writable and executable, is refused (the kernel would refuse it at
/// boot), unless the description allows it for the partition; the report
/// shows the stage-2 map the kernel will build.
#[test]
fn pack_refuses_writable_executable_pages_unless_allowed() {
    let base = bulkhead::layout::PARTITION_IPA_BASE;
    let dir = scratch("pack-wx");
    demo_with_elves(&dir);
    // hello: text and data on one page (no alignment between them).
    let shared = elf_with(base, &[(base, &[0; 0x100], 0x100, PF_R | PF_X), (base + 0x100, &[1; 8], 0x80, PF_R | PF_W)]);
    std::fs::write(dir.join("elf/hello.elf"), shared).unwrap();
    // monitor: one segment that is both.
    let rwx = elf_with(base, &[(base, &[0; 0x100], 0x2000, PF_R | PF_W | PF_X)]);
    std::fs::write(dir.join("elf/monitor.elf"), rwx).unwrap();
    let out = bulkhead_in(&dir, &["pack", "demo.toml", "--out", "system.img"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("error: partition \"hello\": ./elf/hello.elf: segments 0 (r-x at IPA 0x40000000..0x40000100) and 1 (rw- at IPA 0x40000100..0x40000180) share the page at IPA 0x40000000, which would be writable and executable"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: partition \"monitor\": ./elf/monitor.elf: segment 0 (rwx at IPA 0x40000000..0x40002000) is writable and executable"),
        "{stderr}"
    );
    assert!(stderr.contains("set allow_write_execute = true for partition \"monitor\""), "{stderr}");
    assert!(stderr.contains("2 errors, image not written"), "{stderr}");
    assert!(!dir.join("system.img").exists());

    // Allowed for both: packed, with the rights the ELF files ask for.
    let desc = std::fs::read_to_string(dir.join("demo.toml")).unwrap();
    let desc = desc
        .replace("image = \"elf/hello.elf\"", "image = \"elf/hello.elf\"\nallow_write_execute = true")
        .replace("image = \"elf/monitor.elf\"", "image = \"elf/monitor.elf\"\nallow_write_execute = true");
    std::fs::write(dir.join("demo.toml"), desc).unwrap();
    let out = bulkhead_in(&dir, &["pack", "demo.toml", "--out", "system.img"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(dir.join("system.img")).unwrap();
    let image = SystemImage::parse(&bytes).unwrap();
    assert!(image.partition(0).unwrap().write_execute && !image.partition(1).unwrap().write_execute);
    let report = std::fs::read_to_string(dir.join("system.img.report.txt")).unwrap();
    for needle in [
        "== stage-2 maps ==",
        "  partition \"hello\": IPA 0x40000000..0x40400000, W^X off (allow_write_execute)",
        "    0x40000000..0x40001000     4KiB  rwx  segment 0",
        "  partition \"multicore\": IPA 0x40000000..0x40800000, W^X\n",
        "    0x40000000..0x40001000     4KiB  r-x  segment 0",
        "    0x40001000..0x40002000     4KiB  rw-  segment 1",
        "    0x407ec000..0x407ed000     4KiB  ---  guard page below thread worker3's stack (unmapped)",
        "    0x407fb000..0x407fc000     4KiB  ---  guard page below thread worker0's stack (unmapped)",
        "    0x407fc000..0x40800000    16KiB  rw-  thread worker0's stack",
    ] {
        assert!(report.contains(needle), "report lacks {needle:?}:\n{report}");
    }
}

#[test]
fn pack_refuses_a_description_with_errors() {
    let dir = scratch("pack-bad");
    std::fs::write(dir.join("bad.toml"), "[module]\nname = \"x\"\n").unwrap();
    let out = bulkhead_in(&dir, &["pack", "bad.toml", "--out", "system.img"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml:1:1: error: module \"x\" has no `board`"));
    assert!(!dir.join("system.img").exists());
}

/// The console settings go from the description into the image the kernel
/// parses: `console_baud` on the module, `console_buffer` per partition,
/// each defaulted when left out.
#[test]
fn console_settings_reach_the_image() {
    let desc = |baud: &str, buffer: &str| {
        format!(
            "[module]\nname = \"m\"\nboard = \"rpi4\"\ncores = 1\n{baud}\n\
             [[partition]]\nname = \"a\"\nmemory = \"1MiB\"\nimage = \"a\"\n{buffer}\n\
             [[partition.thread]]\nname = \"main\"\ncore = 0\n\
             [[partition]]\nname = \"b\"\nmemory = \"1MiB\"\nimage = \"b\"\n\
             [[partition.thread]]\nname = \"main\"\ncore = 0\n\
             [[schedule]]\nname = \"main\"\nmajor_frame = \"10ms\"\n\
             [[schedule.window]]\npartition = \"a\"\nduration = \"5ms\"\n\
             [[schedule.window]]\npartition = \"b\"\nduration = \"5ms\"\n"
        )
    };
    let image_of = |source: &str| {
        let checked = bulkhead::check::check(source);
        let system = checked.system.unwrap_or_else(|| panic!("{:?}", checked.diags));
        system.spec.to_bytes().unwrap()
    };
    let bytes = image_of(&desc("console_baud = 921_600", "console_buffer = \"16KiB\""));
    let image = SystemImage::parse(&bytes).unwrap();
    assert_eq!(image.module().console_baud, 921_600);
    let buffers: Vec<u32> = image.partitions().map(|p| p.console_buffer).collect();
    assert_eq!(buffers, [16 << 10, 2 << 10], "b takes the default");
    let bytes = image_of(&desc("", ""));
    let image = SystemImage::parse(&bytes).unwrap();
    assert_eq!(image.module().console_baud, 115_200, "the board's default");
    assert!(image.partitions().all(|p| p.console_buffer == 2048));
}

/// `pack --console-baud` sets the image's console speed over the
/// description's, checked as `console_baud` is: a rate the PL011 cannot make
/// is refused, naming the flag, and no image is written.
#[test]
fn pack_console_baud_overrides_the_description() {
    let dir = scratch("pack-baud");
    demo_with_elves(&dir);
    let out = bulkhead_in(&dir, &["pack", "demo.toml", "--out", "slow.img", "--console-baud", "115200"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(dir.join("slow.img")).unwrap();
    assert_eq!(SystemImage::parse(&bytes).unwrap().module().console_baud, 115_200);

    let out = bulkhead_in(&dir, &["pack", "demo.toml", "--out", "bad.img", "--console-baud", "50000000"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: --console-baud 50000000: the PL011 at 48 MHz cannot make it (at most"), "{stderr}");
    assert!(!dir.join("bad.img").exists());
}

/// Shared memory regions go from the description into the image: placed
/// in physical memory after the partitions, at the pinned IPA or one the
/// tool picks (the same in every partition, clear of their memory), with
/// each partition's access; and `pack`'s report shows where they are.
#[test]
fn memory_regions_reach_the_image_and_the_report() {
    let dir = scratch("pack-regions");
    let desc = "[module]\nname = \"m\"\nboard = \"rpi4\"\ncores = 2\n\
         [[memory_region]]\nname = \"telemetry\"\nsize = \"64KiB\"\n\
         [[memory_region]]\nname = \"commands\"\nsize = \"4KiB\"\nipa = 0x5000_0000\n\
         [[partition]]\nname = \"sensor\"\nmemory = \"1MiB\"\nimage = \"elf/a.elf\"\n\
         [[partition.thread]]\nname = \"main\"\ncore = 0\n\
         [[partition.memory_region]]\nname = \"telemetry\"\naccess = \"read_write\"\n\
         [[partition.memory_region]]\nname = \"commands\"\naccess = \"read_only\"\n\
         [[partition]]\nname = \"display\"\nmemory = \"1MiB\"\nimage = \"elf/a.elf\"\n\
         [[partition.thread]]\nname = \"main\"\ncore = 1\n\
         [[partition.memory_region]]\nname = \"telemetry\"\naccess = \"read_only\"\n\
         [[partition.memory_region]]\nname = \"commands\"\naccess = \"read_write\"\n\
         [[schedule]]\nname = \"main\"\nmajor_frame = \"10ms\"\n\
         [[schedule.window]]\npartition = \"sensor\"\nduration = \"5ms\"\n\
         [[schedule.window]]\npartition = \"display\"\nduration = \"5ms\"\n";
    std::fs::write(dir.join("regions.toml"), desc).unwrap();
    std::fs::create_dir_all(dir.join("elf")).unwrap();
    let elf = tiny_elf(bulkhead::layout::PARTITION_IPA_BASE, &[0; 64], b"data", 0);
    std::fs::write(dir.join("elf/a.elf"), elf).unwrap();
    let out = bulkhead_in(&dir, &["check", "regions.toml"]);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "regions.toml: 0 errors, 0 warnings\n");
    let out = bulkhead_in(&dir, &["pack", "regions.toml", "--out", "system.img"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(dir.join("system.img")).unwrap();
    let image = SystemImage::parse(&bytes).unwrap();
    let regions: Vec<_> = image.regions().map(|r| (r.name, r.phys_base, r.size, r.ipa_base)).collect();
    assert_eq!(
        regions,
        [
            ("telemetry", 0x2040_0000, 0x1_0000, bulkhead::layout::REGION_IPA_BASE),
            ("commands", 0x2060_0000, 0x1000, 0x5000_0000)
        ],
        "after the two partitions (2 MiB apart), at the tool's IPA and the pinned one"
    );
    let access = |region: u32, partition: u32| image.region(region).unwrap().access_of(partition);
    assert_eq!(access(0, 0), Some(RegionAccess::ReadWrite));
    assert_eq!(access(0, 1), Some(RegionAccess::ReadOnly));
    assert_eq!(access(1, 0), Some(RegionAccess::ReadOnly));
    assert_eq!(access(1, 1), Some(RegionAccess::ReadWrite));
    let report = std::fs::read_to_string(dir.join("system.img.report.txt")).unwrap();
    for needle in [
        "  0x20400000..0x20410000    64KiB  memory region \"telemetry\", IPA 0x60000000",
        "    0x60000000..0x60010000    64KiB  rw-  memory region \"telemetry\"",
        "    0x60000000..0x60010000    64KiB  r--  memory region \"telemetry\"",
        "== memory regions ==",
        "  telemetry: 64KiB, physical 0x20400000..0x20410000, IPA 0x60000000..0x60010000, zeroed at module start; sensor read_write, display read_only",
        "  commands: 4KiB, physical 0x20600000..0x20601000, IPA 0x50000000..0x50001000, zeroed at module start; sensor read_only, display read_write",
    ] {
        assert!(report.contains(needle), "report lacks {needle:?}:\n{report}");
    }
}

/// Devices go from the description into the image: the board's name,
/// owner, receiving thread (by index in its partition), policy, and the
/// board's ranges and interrupts unless the description takes a subset;
/// `show` lists them and the report's stage-2 maps show their pages.
#[test]
fn devices_reach_the_image_show_and_the_report() {
    let dir = scratch("pack-devices");
    let desc = "[module]\nname = \"m\"\nboard = \"rpi4\"\ncores = 2\n\
         [[partition]]\nname = \"io\"\nmemory = \"1MiB\"\nimage = \"elf/a.elf\"\n\
         [[partition.thread]]\nname = \"main\"\ncore = 0\n\
         [[partition.thread]]\nname = \"echo\"\ncore = 1\n\
         [[partition.device]]\nname = \"mini-uart\"\nthread = \"echo\"\n\
         [[partition.device]]\nname = \"gpio\"\noutside_window = \"drop\"\n\
         mmio = [{ base = 0xfe200000, size = \"4KiB\" }]\ninterrupts = [146]\n\
         [[schedule]]\nname = \"main\"\nmajor_frame = \"10ms\"\n\
         [[schedule.window]]\npartition = \"io\"\nduration = \"5ms\"\n";
    std::fs::write(dir.join("devices.toml"), desc).unwrap();
    std::fs::create_dir_all(dir.join("elf")).unwrap();
    let elf = tiny_elf(bulkhead::layout::PARTITION_IPA_BASE, &[0; 64], b"data", 0);
    std::fs::write(dir.join("elf/a.elf"), elf).unwrap();
    let out = bulkhead_in(&dir, &["show", "devices.toml"]);
    let shown = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "  mini-uart    partition io: mmio 0xfe215000..0xfe216000; interrupts 125 to thread echo, outside its windows: deliver",
        "  gpio         partition io: mmio 0xfe200000..0xfe201000; interrupts 146 to thread main, outside its windows: drop",
    ] {
        assert!(shown.contains(needle), "show lacks {needle:?}:\n{shown}");
    }
    let out = bulkhead_in(&dir, &["pack", "devices.toml", "--out", "system.img"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(dir.join("system.img")).unwrap();
    let image = SystemImage::parse(&bytes).unwrap();
    let devices: Vec<_> = image
        .devices()
        .map(|d| {
            (
                d.name,
                d.partition,
                d.thread,
                d.outside_window.as_str(),
                d.mmio().collect::<Vec<_>>(),
                d.interrupts().collect::<Vec<_>>(),
            )
        })
        .collect();
    let page = |base| vec![bulkhead_image::MmioRange { base, size: 0x1000 }];
    assert_eq!(
        devices,
        [
            ("mini-uart", 0, 1, "deliver", page(0xFE21_5000), vec![125]),
            ("gpio", 0, 0, "drop", page(0xFE20_0000), vec![146]),
        ]
    );
    let report = std::fs::read_to_string(dir.join("system.img.report.txt")).unwrap();
    for needle in [
        "    0xfe215000..0xfe216000     4KiB  rw-  device \"mini-uart\" (device-nGnRE, at its physical address)",
        "  device              2 records x 136 bytes",
    ] {
        assert!(report.contains(needle), "report lacks {needle:?}:\n{report}");
    }
}

/// A partition's `heap` goes into the image, `show` and the pack report
/// say where it lies (just below the stacks), and `pack` refuses a heap
/// that leaves no room for the image, in the kernel's terms and numbers.
#[test]
fn heaps_reach_the_image_show_and_the_report() {
    let dir = scratch("pack-heap");
    let desc = |heap: &str| {
        format!(
            "[module]\nname = \"m\"\nboard = \"rpi4\"\ncores = 2\n\
             [[partition]]\nname = \"heapy\"\nmemory = \"1MiB\"\nimage = \"elf/a.elf\"\nheap = \"{heap}\"\n\
             [[partition.thread]]\nname = \"main\"\ncore = 0\n\
             [[partition.thread]]\nname = \"aux\"\ncore = 1\nstack = \"8KiB\"\n\
             [[partition]]\nname = \"plain\"\nmemory = \"1MiB\"\nimage = \"elf/a.elf\"\n\
             [[partition.thread]]\nname = \"main\"\ncore = 0\n\
             [[schedule]]\nname = \"main\"\nmajor_frame = \"10ms\"\n\
             [[schedule.window]]\npartition = \"heapy\"\nduration = \"5ms\"\n\
             [[schedule.window]]\npartition = \"plain\"\nduration = \"5ms\"\n"
        )
    };
    std::fs::create_dir_all(dir.join("elf")).unwrap();
    // Text and data+bss to 0x4000_3000.
    let elf = tiny_elf(bulkhead::layout::PARTITION_IPA_BASE, &[0; 64], b"data", 0x1800);
    std::fs::write(dir.join("elf/a.elf"), elf).unwrap();
    std::fs::write(dir.join("heap.toml"), desc("256KiB")).unwrap();
    let out = bulkhead_in(&dir, &["show", "heap.toml"]);
    let text = String::from_utf8(out.stdout).unwrap();
    // 1 MiB - 16 KiB - 4 KiB - 8 KiB - 4 KiB = 0x400f8000; 256 KiB below it.
    assert!(
        text.contains(
            "heaps (for the SDK's allocator, feature \"alloc\"; x6, x7 at thread entry)\n  heapy            256KiB at IPA 0x400b8000..0x400f8000\n  plain            none\n"
        ),
        "{text}"
    );
    let out = bulkhead_in(&dir, &["pack", "heap.toml", "--out", "system.img"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(dir.join("system.img")).unwrap();
    let image = SystemImage::parse(&bytes).unwrap();
    let heaps: Vec<u64> = image.partitions().map(|p| p.heap_size).collect();
    assert_eq!(heaps, [256 << 10, 0]);
    let map = bulkhead_image::MemoryMap::of(&image, 0).unwrap();
    assert_eq!(map.heap(), Some(0xb8000..0xf8000), "the kernel's map puts it where show said");
    let report = std::fs::read_to_string(dir.join("system.img.report.txt")).unwrap();
    for needle in [
        "    0x400b8000..0x400f8000   256KiB  rw-  heap (the SDK's allocator: x6, x7 at entry)",
        "    0x400f8000..0x400f9000     4KiB  ---  guard page below thread aux's stack (unmapped)",
        "    0x200b8000..0x200f8000 rw-  heap: 256KiB, IPA 0x400b8000",
    ] {
        assert!(report.contains(needle), "report lacks {needle:?}:\n{report}");
    }

    // Room for the stacks and the heap, but not for the image as well:
    // 1 MiB - 32 KiB of stacks and guards leaves 992 KiB, the image takes 12.
    std::fs::write(dir.join("heap.toml"), desc("984KiB")).unwrap();
    let out = bulkhead_in(&dir, &["check", "heap.toml"]);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "heap.toml: 0 errors, 0 warnings\n");
    let out = bulkhead_in(&dir, &["pack", "heap.toml", "--out", "big.img"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("error: partition \"heapy\": image (12KiB, to the end of its last segment's page), heap (984KiB) and thread stacks with their guard pages (32KiB) need 1028KiB, more than its memory 1MiB"),
        "{stderr}"
    );
    assert!(stderr.contains("raise memory to at least \"1028KiB\", or shrink heap to at most \"980KiB\""), "{stderr}");
    assert!(!dir.join("big.img").exists());
}

#[test]
fn the_abi_states_the_message_limit_the_checker_and_kernel_enforce() {
    // Partition authors read the limit in bulkhead-abi; `check` and the
    // kernel enforce bulkhead-ports' (the kernel's storage of a message).
    assert_eq!(bulkhead_abi::MAX_MESSAGE_SIZE, bulkhead_ports::MAX_MESSAGE_SIZE as usize);
}

/// A health record's kind and action codes are the system image's, and the
/// names the ABI gives them are the description's: a partition reading
/// the health log names the kind and action as the console line and the
/// description do.
#[test]
fn the_abis_health_codes_are_the_images() {
    use bulkhead_abi::HealthRecord;
    use bulkhead_image::{ErrorKind, HealthAction};
    for &kind in ErrorKind::ALL {
        let r = HealthRecord { kind: kind.code(), ..HealthRecord::EMPTY };
        assert_eq!(r.kind_name(), kind.as_str());
    }
    for &action in HealthAction::ALL {
        let r = HealthRecord { action: action.code(), ..HealthRecord::EMPTY };
        assert_eq!(r.action_name(), action.as_str());
    }
    let none = HealthRecord { kind: 0, action: 99, ..HealthRecord::EMPTY };
    assert_eq!((none.kind_name(), none.action_name()), ("?", "?"));
}

/// `board = "rpi4-2g"`: partitions go where that model has RAM, never
/// over the VideoCore's carve-out (0x3b400000..0x40000000); `show` prints
/// the model's memory and where each partition lies, and the pack report's
/// map shows the free RAM on both sides of the hole. The same description
/// on `rpi4-1g` does not fit, and the error names the larger model.
#[test]
fn models_place_partitions_in_the_ram_they_have() {
    let dir = scratch("models");
    let desc = |board: &str| {
        format!(
            "[module]\nname = \"m\"\nboard = \"{board}\"\ncores = 1\n\
             [[partition]]\nname = \"low\"\nmemory = \"400MiB\"\nimage = \"elf/a.elf\"\n\
             [[partition.thread]]\nname = \"main\"\ncore = 0\n\
             [[partition]]\nname = \"high\"\nmemory = \"100MiB\"\nimage = \"elf/a.elf\"\n\
             [[partition.thread]]\nname = \"main\"\ncore = 0\n\
             [[schedule]]\nname = \"main\"\nmajor_frame = \"10ms\"\n\
             [[schedule.window]]\npartition = \"low\"\nduration = \"5ms\"\n\
             [[schedule.window]]\npartition = \"high\"\nduration = \"5ms\"\n"
        )
    };
    std::fs::create_dir_all(dir.join("elf")).unwrap();
    let elf = tiny_elf(bulkhead::layout::PARTITION_IPA_BASE, &[0; 64], b"data", 0x1800);
    std::fs::write(dir.join("elf/a.elf"), elf).unwrap();
    std::fs::write(dir.join("two.toml"), desc("rpi4-2g")).unwrap();
    let out = bulkhead_in(&dir, &["show", "two.toml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "memory: Raspberry Pi 4, 2 GiB: RAM 0x0..0x3b400000, 0x40000000..0x80000000 (default GPU split)",
        "  partitions and shared regions go in its partition RAM regions 0x20000000..0x3b400000, 0x40000000..0x80000000 (below the kernel's 2GiB map)",
        "0x20000000..0x39000000",
        "0x40000000..0x46400000",
    ] {
        assert!(text.contains(needle), "show lacks {needle:?}:\n{text}");
    }
    let out = bulkhead_in(&dir, &["pack", "two.toml", "--out", "system.img"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = std::fs::read_to_string(dir.join("system.img.report.txt")).unwrap();
    for needle in [
        "partition RAM of board rpi4-2g: 0x20000000..0x3b400000 (436MiB), 0x40000000..0x80000000 (1GiB)",
        "  0x39000000..0x3b400000    36MiB  (free)",
        "  0x46400000..0x80000000   924MiB  (free)",
    ] {
        assert!(report.contains(needle), "report lacks {needle:?}:\n{report}");
    }
    std::fs::write(dir.join("one.toml"), desc("rpi4-1g")).unwrap();
    let out = bulkhead_in(&dir, &["check", "one.toml"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            "error: partition \"high\" memory 100MiB does not fit in the partition RAM region 0x20000000..0x3b400000 of board rpi4-1g (500MiB in total requested, largest free gap 36MiB)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("or name a larger model: board = \"rpi4-2g\" (Raspberry Pi 4, 2 GiB)"), "{stderr}");
}
