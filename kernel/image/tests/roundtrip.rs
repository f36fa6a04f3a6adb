//! Round trips (spec -> bytes -> parse -> spec) and one test per validation
//! rule: each breaks a valid sample in one way and expects the typed error
//! that names the record and field.

#[path = "common/sample.rs"]
mod sample;

use bulkhead_image::*;
use sample::{sample, thread};

fn parse_spec(spec: &ImageSpec) -> Result<ImageSpec, ImageError> {
    let bytes = spec.to_bytes().expect("writer");
    SystemImage::parse(&bytes).map(|image| ImageSpec::from_image(&image))
}

fn rejects(spec: ImageSpec) -> ImageError {
    parse_spec(&spec).expect_err("image must be rejected")
}

#[test]
fn sample_round_trips() {
    let spec = sample();
    assert_eq!(parse_spec(&spec).unwrap(), spec);
}

#[test]
fn accessors_read_what_the_writer_wrote() {
    let bytes = sample().to_bytes().unwrap();
    let image = SystemImage::parse(&bytes).unwrap();
    assert_eq!(image.module(), Module { name: "demo", core_count: 4, console_baud: 115_200 });
    let (index, initial) = image.initial_schedule();
    assert_eq!((index, initial.name), (0, "main"));
    let windows: Vec<_> = initial.windows().collect();
    assert_eq!(windows[2], Window { offset_ns: 13_000_000, duration_ns: 2_000_000, owner: None });
    assert_eq!(windows[3].owner, Some(2));
    assert_eq!(initial.trailing_spare_ns(), 2_000_000);
    let hello = image.partition(0).unwrap();
    let segs: Vec<_> = hello.segments().collect();
    assert_eq!(segs[1].data, &[1, 2, 3]);
    assert_eq!(segs[1].load_offset, 0x2000);
    assert!(segs[0].flags.contains(SegmentFlags::READ | SegmentFlags::EXECUTE));
    assert_eq!(image.threads_of(1).count(), 4);
    let console_buffers: Vec<u32> = image.partitions().map(|p| p.console_buffer).collect();
    assert_eq!(console_buffers, [2048, 256, 16384]);
    let heaps: Vec<u64> = image.partitions().map(|p| p.heap_size).collect();
    assert_eq!(heaps, [0x4000, 0, 0]);
    let temps = image.channel(0).unwrap();
    assert_eq!(temps.source().unwrap().name, "out");
    assert_eq!(temps.destinations().count(), 2);
    assert_eq!(image.health_action(0, ErrorKind::Stage2Abort), HealthAction::RestartPartition);
    assert_eq!(image.health_action(0, ErrorKind::UndefinedInstruction), HealthAction::StopPartition);
    assert_eq!(image.health_action(1, ErrorKind::Stage2Abort), HealthAction::Log, "partition 1's own entry");
    assert_eq!(image.health_action(2, ErrorKind::Stage2Abort), HealthAction::RestartPartition);
    assert!(image.partition(3).is_none());
    let uart = image.device(0).unwrap();
    assert_eq!(
        (uart.name, uart.partition, uart.thread, uart.outside_window),
        ("mini-uart", 0, 0, OutsideWindow::Deliver)
    );
    assert_eq!(uart.mmio().collect::<Vec<_>>(), [MmioRange { base: 0xFE21_5000, size: 0x1000 }]);
    assert_eq!(uart.interrupts().collect::<Vec<_>>(), [125]);
    let gpio = image.device(1).unwrap();
    assert_eq!((gpio.partition, gpio.thread, gpio.outside_window.as_str()), (1, 2, "drop"));
    assert_eq!(gpio.interrupts().collect::<Vec<_>>(), [145, 146, 147, 148]);
    assert_eq!(image.devices().count(), 2);
    assert_eq!(image.devices_of(1).map(|d| d.name).collect::<Vec<_>>(), ["gpio"]);
    assert_eq!(image.device_with_interrupt(147).map(|d| d.index), Some(1));
    assert!(image.device(2).is_none() && image.device_with_interrupt(153).is_none());
}

#[test]
fn trailing_bytes_after_the_image_are_ignored() {
    let mut bytes = sample().to_bytes().unwrap();
    bytes.extend_from_slice(&[0xFF; 100]);
    assert!(SystemImage::parse(&bytes).is_ok());
}

/// The header as the crate doc lays it out: 24 bytes of fields (magic,
/// version, length, CRC, table count, reserved) and a directory of 13
/// entries of 8 bytes (10 before version 3 added regions and mappings, 12
/// before version 6 added devices), so the first table starts at byte 128.
/// A writer and parser that agreed on another size would still round-trip,
/// but read no image written before.
#[test]
fn the_header_is_128_bytes_and_the_first_table_follows_it() {
    assert_eq!(HEADER_SIZE, 128);
    assert_eq!(TABLE_COUNT, 13);
    assert_eq!(FORMAT_VERSION, 6, "6: the device table");
    let bytes = sample().to_bytes().unwrap();
    let first_table = u32::from_le_bytes(bytes[24..28].try_into().unwrap());
    assert_eq!(first_table, 128, "directory entry 0's offset");
}

/// A length of exactly the header is not refused as too short: such an
/// image gets past the length check (and fails later, on what it lacks).
#[test]
fn a_header_only_length_passes_the_length_check() {
    let mut b = sample().to_bytes().unwrap();
    b.truncate(HEADER_SIZE);
    b[12..16].copy_from_slice(&(HEADER_SIZE as u32).to_le_bytes());
    let crc = crc32(&b[20..]);
    b[16..20].copy_from_slice(&crc.to_le_bytes());
    let e = SystemImage::parse(&b).unwrap_err();
    assert!(!matches!(e, ImageError::BadTotalLength { .. } | ImageError::Truncated { .. }), "{e:?}");
}

/// The kernel hands the parser its own CRC-32 (the CPU's instructions):
/// the parser checks the header's checksum with whatever it is given, so a
/// function that computes another value refuses the image.
#[test]
fn parse_with_crc_checks_the_checksum_with_the_given_function() {
    let bytes = sample().to_bytes().unwrap();
    let ours = SystemImage::parse(&bytes).unwrap();
    let given = SystemImage::parse_with_crc(&bytes, crc32).unwrap();
    assert_eq!(ours.bytes(), given.bytes());
    let wrong = SystemImage::parse_with_crc(&bytes, |b| crc32(b) ^ 1);
    assert!(matches!(wrong, Err(ImageError::ChecksumMismatch { .. })), "{wrong:?}");
}

#[test]
fn header_errors() {
    let bytes = sample().to_bytes().unwrap();
    assert!(matches!(SystemImage::parse(&bytes[..50]), Err(ImageError::Truncated { .. })));
    assert!(matches!(SystemImage::parse(&bytes[..bytes.len() - 1]), Err(ImageError::Truncated { .. })));
    let mut b = bytes.clone();
    b[0] = b'X';
    assert!(matches!(SystemImage::parse(&b), Err(ImageError::BadMagic { .. })));
    // The version is outside the CRC: a changed version byte alone meets the
    // version check. Version 1 is the format before the console settings,
    // 2 the one before regions, 3 before per-partition health, 4 before
    // heaps, 5 before devices.
    for other in [1, 2, 3, 4, 5, FORMAT_VERSION + 1] {
        let mut b = bytes.clone();
        b[8..12].copy_from_slice(&other.to_le_bytes());
        assert_eq!(SystemImage::parse(&b).unwrap_err(), ImageError::UnsupportedVersion { found: other });
    }
    let mut b = bytes.clone();
    let last = b.len() - 1;
    b[last] ^= 1;
    assert!(matches!(SystemImage::parse(&b), Err(ImageError::ChecksumMismatch { .. })));
}

#[test]
fn display_names_the_field() {
    let mut spec = sample();
    spec.threads[0].partition = 7;
    let err = rejects(spec);
    assert_eq!(err.to_string(), "thread[0].partition: 7 names no record (there are 3)");
}

#[test]
fn window_owner_out_of_range() {
    let mut spec = sample();
    spec.schedules[0].windows[1].owner = Some(3);
    assert!(matches!(rejects(spec), ImageError::IndexOutOfRange { field: "owner", value: 3, limit: 3, .. }));
}

#[test]
fn windows_summing_past_2_pow_64_are_refused_not_saturated() {
    // 2^63 + 2^63 + 2 ms wraps; saturated, the sum would equal a major
    // frame of 2^64 - 1 ns and pass (found by `bulkhead check`'s fuzzing of
    // the same case in the tool).
    let mut spec = sample();
    spec.schedules[1].major_frame_ns = u64::MAX;
    let w = spec.schedules[1].windows[0].clone();
    spec.schedules[1].windows = vec![w.clone(), w.clone(), w];
    spec.schedules[1].windows[0].duration_ns = 1 << 63;
    spec.schedules[1].windows[1].duration_ns = 1 << 63;
    spec.schedules[1].windows[2].duration_ns = 2_000_000;
    assert_eq!(
        rejects(spec),
        ImageError::WindowsExceedMajorFrame { schedule: 1, sum_ns: u64::MAX, major_frame_ns: u64::MAX }
    );
}

#[test]
fn windows_longer_than_major_frame() {
    let mut spec = sample();
    spec.schedules[1].windows[0].duration_ns = 10_000_001;
    assert_eq!(
        rejects(spec),
        ImageError::WindowsExceedMajorFrame { schedule: 1, sum_ns: 10_000_001, major_frame_ns: 10_000_000 }
    );
}

#[test]
fn zero_duration_window() {
    let mut spec = sample();
    spec.schedules[0].windows[0].duration_ns = 0;
    assert!(matches!(rejects(spec), ImageError::Zero { field: "duration_ns", .. }));
}

#[test]
fn initial_schedule_exactly_once() {
    let mut spec = sample();
    spec.schedules[1].initial = true;
    assert_eq!(rejects(spec), ImageError::SeveralInitialSchedules { first: 0, second: 1 });
    let mut spec = sample();
    spec.schedules[0].initial = false;
    assert_eq!(rejects(spec), ImageError::NoInitialSchedule);
}

#[test]
fn overlapping_partition_memory() {
    let mut spec = sample();
    spec.partitions[2].phys_base = 0x2030_0000;
    assert_eq!(
        rejects(spec),
        ImageError::PartitionsOverlap { first: 0, second: 2, start: 0x2030_0000, end: 0x2040_0000 }
    );
}

#[test]
fn misaligned_or_overflowing_memory() {
    let mut spec = sample();
    spec.partitions[1].memory_size = 0x1234;
    assert!(matches!(rejects(spec), ImageError::Misaligned { field: "memory_size", .. }));
    let mut spec = sample();
    spec.partitions[1].phys_base = u64::MAX - 0xFFF;
    assert!(matches!(rejects(spec), ImageError::AddressOverflow { field: "phys_base", .. }));
}

#[test]
fn segment_larger_than_partition_memory() {
    let mut spec = sample();
    spec.partitions[1].segments[0].mem_size = 0x20_1000;
    assert_eq!(
        rejects(spec),
        ImageError::SegmentOutsidePartition { segment: 2, partition: 1, end: 0x20_1000, memory_size: 0x20_0000 }
    );
}

#[test]
fn segment_file_bytes_exceed_memory_size() {
    let mut spec = sample();
    spec.partitions[0].segments[1].mem_size = 2;
    assert_eq!(rejects(spec), ImageError::SegmentFileExceedsMemory { segment: 1, file_size: 3, mem_size: 2 });
}

#[test]
fn overlapping_segments() {
    let mut spec = sample();
    spec.partitions[0].segments[1].load_offset = 0x1000;
    assert_eq!(rejects(spec), ImageError::SegmentsOverlap { partition: 0, first: 0, second: 1 });
}

#[test]
fn entry_point_outside_partition() {
    let mut spec = sample();
    spec.partitions[2].entry_ipa = 0x4010_0000;
    assert!(matches!(rejects(spec), ImageError::EntryOutsidePartition { partition: 2, .. }));
}

#[test]
fn affinity_outside_module() {
    let mut spec = sample();
    spec.threads[0].affinity = 0b1_0000;
    assert_eq!(rejects(spec), ImageError::BadAffinity { thread: 0, affinity: 0x10, core_count: 4 });
    let mut spec = sample();
    spec.threads[0].affinity = 0;
    assert!(matches!(rejects(spec), ImageError::BadAffinity { .. }));
}

#[test]
fn more_threads_than_cores_share_them() {
    // Scheduling rule 4: threads of one partition on one core share it by
    // priority, so five threads on four cores are accepted.
    let mut spec = sample();
    let after = spec.threads.iter().rposition(|t| t.partition == 1).expect("partition 1 has threads");
    spec.threads.insert(after + 1, thread("w4", 1, 0b1000));
    let parsed = parse_spec(&spec).expect("five threads on four cores are accepted");
    assert_eq!(parsed.threads.iter().filter(|t| t.partition == 1).count(), 5);
}

#[test]
fn threads_out_of_partition_order() {
    // A thread of partition 1 after partition 2's: the kernel would number
    // it as partition 2's and run it with partition 2's stage 2.
    let mut spec = sample();
    let moved = spec.threads.iter().position(|t| t.partition == 1).expect("partition 1 has threads");
    let t = spec.threads.remove(moved);
    spec.threads.push(t);
    let last = spec.threads.len() as u32 - 1;
    assert_eq!(rejects(spec), ImageError::ThreadsNotGrouped { thread: last, partition: 1, previous: 2 });
}

#[test]
fn partition_without_thread() {
    let mut spec = sample();
    spec.threads.retain(|t| t.partition != 2);
    assert_eq!(rejects(spec), ImageError::NoThreads { partition: 2 });
}

#[test]
fn deadline_longer_than_period() {
    let mut spec = sample();
    spec.threads[5].deadline_ns = Some(30_000_000);
    assert!(matches!(rejects(spec), ImageError::DeadlineExceedsPeriod { thread: 5, .. }));
}

#[test]
fn duplicate_names() {
    let mut spec = sample();
    spec.partitions[2].name = "hello".into();
    assert!(matches!(rejects(spec), ImageError::DuplicateName { .. }));
    let mut spec = sample();
    spec.threads[2].name = "w0".into();
    assert!(matches!(rejects(spec), ImageError::DuplicateName { .. }));
    // Same thread name in different partitions is fine.
    let mut spec = sample();
    spec.threads[1].name = "main".into();
    assert!(parse_spec(&spec).is_ok());
}

#[test]
fn channel_rules() {
    let mut spec = sample();
    spec.channels[1].ports.truncate(1);
    assert_eq!(rejects(spec), ImageError::TooFewPorts { channel: 1, count: 1 });
    let mut spec = sample();
    spec.channels[0].ports[1].partition = 9;
    assert!(matches!(rejects(spec), ImageError::IndexOutOfRange { field: "partition", .. }));
    let mut spec = sample();
    spec.channels[0].message_size = 0;
    assert!(matches!(rejects(spec), ImageError::Zero { field: "message_size", .. }));
    let mut spec = sample();
    spec.channels[1].kind = ChannelKind::Queuing { depth: 0 };
    assert!(matches!(rejects(spec), ImageError::Zero { field: "depth", .. }));
    let mut spec = sample();
    spec.channels[1].ports[1].name = "temps".into();
    assert!(matches!(rejects(spec), ImageError::DuplicateName { .. }));
}

#[test]
fn console_baud_must_be_set() {
    let mut spec = sample();
    spec.module.console_baud = 0;
    assert_eq!(
        rejects(spec),
        ImageError::Zero { at: RecordRef { table: Table::Module, index: 0 }, field: "console_baud" }
    );
}

#[test]
fn console_buffer_bounds_are_inclusive() {
    let mut spec = sample();
    spec.partitions[0].console_buffer = CONSOLE_BUFFER_MIN;
    spec.partitions[1].console_buffer = CONSOLE_BUFFER_MAX;
    assert!(parse_spec(&spec).is_ok());
    for size in [0, CONSOLE_BUFFER_MIN - 1, CONSOLE_BUFFER_MAX + 1, u32::MAX] {
        let mut spec = sample();
        spec.partitions[1].console_buffer = size;
        assert_eq!(rejects(spec), ImageError::ConsoleBufferOutOfRange { partition: 1, size });
    }
}

#[test]
fn console_buffers_sum_to_at_most_the_total() {
    // Four partitions of 16 KiB fill the 64 KiB exactly; one byte more is refused.
    let mut spec = sample();
    let mut fourth = spec.partitions[2].clone();
    fourth.name = "fourth".into();
    fourth.phys_base = 0x2070_0000;
    spec.partitions.push(fourth);
    spec.threads.push(thread("main", 3, 0b0001));
    for p in &mut spec.partitions {
        p.console_buffer = CONSOLE_BUFFER_MAX;
    }
    assert_eq!(CONSOLE_BUFFER_TOTAL_MAX, 4 * u64::from(CONSOLE_BUFFER_MAX));
    assert!(parse_spec(&spec).is_ok());
    // A fifth of the smallest share, with the fourth shrunk to make room
    // for all but one byte of it.
    spec.partitions[3].console_buffer = CONSOLE_BUFFER_MAX - CONSOLE_BUFFER_MIN + 1;
    spec.partitions.push(PartitionSpec {
        name: "fifth".into(),
        phys_base: 0x2080_0000,
        console_buffer: CONSOLE_BUFFER_MIN,
        ..spec.partitions[3].clone()
    });
    spec.threads.push(thread("main", 4, 0b0001));
    let err = rejects(spec);
    assert_eq!(err, ImageError::ConsoleBuffersExceedTotal { total: 65_537 });
    assert_eq!(err.to_string(), "partition: console_buffer sums to 65537 bytes over all partitions, more than 65536");
    assert_eq!(
        ImageError::ConsoleBufferOutOfRange { partition: 2, size: 100 }.to_string(),
        "partition[2].console_buffer: 100 bytes, must be 256..=16384"
    );
}

/// A heap is whole pages and at most the partition's memory; whether it
/// fits beside the image and the stacks is the memory map's question.
#[test]
fn heap_size_is_whole_pages_within_memory() {
    let mut spec = sample();
    spec.partitions[1].heap_size = spec.partitions[1].memory_size;
    assert!(parse_spec(&spec).is_ok(), "as large as the memory: the parser takes it");
    spec.partitions[1].heap_size = 0x1800;
    let err = rejects(spec.clone());
    assert_eq!(err.to_string(), "partition[1].heap_size: 0x1800 is not a multiple of 0x1000");
    spec.partitions[1].heap_size = spec.partitions[1].memory_size + 0x1000;
    let err = rejects(spec);
    assert_eq!(err, ImageError::HeapLargerThanMemory { partition: 1, heap_size: 0x20_1000, memory_size: 0x20_0000 });
    assert_eq!(err.to_string(), "partition[1].heap_size: 0x201000 bytes, more than its memory_size 0x200000");
}

#[test]
fn duplicate_health_kind() {
    let mut spec = sample();
    spec.health.push(HealthEntry::new(None, ErrorKind::Stage2Abort, HealthAction::Log));
    let err = rejects(spec);
    assert_eq!(err, ImageError::DuplicateHealthKind { first: 0, second: 5, partition: SPARE });
    assert_eq!(err.to_string(), "health[5].error_kind: already configured for the module by health[0]");
    let mut spec = sample();
    let twice = HealthEntry::new(Some(1), ErrorKind::Stage2Abort, HealthAction::StopPartition);
    spec.health.push(twice);
    let err = rejects(spec);
    assert_eq!(err, ImageError::DuplicateHealthKind { first: 3, second: 5, partition: 1 });
    assert_eq!(err.to_string(), "health[5].error_kind: already configured for partition[1] by health[3]");
}

#[test]
fn a_kind_may_be_configured_for_the_module_and_for_each_partition() {
    let mut spec = sample();
    for partition in [Some(0), Some(2)] {
        spec.health.push(HealthEntry::new(partition, ErrorKind::Stage2Abort, HealthAction::Log));
    }
    let bytes = spec.to_bytes().unwrap();
    let image = SystemImage::parse(&bytes).unwrap();
    for p in 0..3 {
        assert_eq!(image.health_action(p, ErrorKind::Stage2Abort), HealthAction::Log, "partition {p}");
    }
}

#[test]
fn health_record_partition_out_of_range_is_refused() {
    let mut spec = sample();
    spec.health[3].partition = Some(3);
    let err = rejects(spec);
    assert_eq!(
        err,
        ImageError::IndexOutOfRange {
            at: RecordRef { table: Table::Health, index: 3 },
            field: "partition",
            value: 3,
            limit: 3
        }
    );
    assert!(err.to_string().starts_with("health[3].partition: 3"), "{err}");
}

#[test]
fn health_record_schedule_word_is_zero_unless_switch_schedule() {
    let mut bytes = sample().to_bytes().unwrap();
    let health = u32::from_le_bytes(bytes[24 + 8 * 8..][..4].try_into().unwrap()) as usize;
    bytes[health + 16 + 12] = 1;
    let crc = crc32(&bytes[20..]);
    bytes[16..20].copy_from_slice(&crc.to_le_bytes());
    let err = SystemImage::parse(&bytes).unwrap_err();
    assert_eq!(
        err,
        ImageError::ReservedNotZero { at: RecordRef { table: Table::Health, index: 1 }, field: "schedule" }
    );
    assert_eq!(err.to_string(), "health[1].schedule: reserved, must be 0");
}

/// `switch_schedule` carries a schedule index, which must name one of the
/// image's schedules; it round-trips and is what the decision says.
#[test]
fn switch_schedule_names_a_valid_schedule() {
    let mut spec = sample();
    let schedules = spec.schedules.len() as u32;
    spec.health.push(HealthEntry {
        partition: Some(0),
        kind: ErrorKind::DeadlineMiss,
        action: HealthAction::SwitchSchedule,
        schedule: schedules - 1,
    });
    let bytes = spec.to_bytes().unwrap();
    let image = SystemImage::parse(&bytes).unwrap();
    let d = image.health_decision(0, ErrorKind::DeadlineMiss);
    assert_eq!(
        (d.action, d.schedule, d.source, d.refused),
        (HealthAction::SwitchSchedule, schedules - 1, HealthSource::Partition, None)
    );
    assert_eq!(ImageSpec::from_image(&image).health, spec.health);

    spec.health.last_mut().unwrap().schedule = schedules;
    let bytes = spec.to_bytes().unwrap();
    let err = SystemImage::parse(&bytes).unwrap_err();
    assert!(
        matches!(err, ImageError::IndexOutOfRange { field: "schedule", value, limit, .. } if value == schedules && limit == schedules),
        "{err}"
    );
}

/// `missed_boundary` is the module's: a partition's record for it, or an
/// action that needs a partition, is refused.
#[test]
fn missed_boundary_is_a_module_event() {
    for (partition, action) in [(Some(0), HealthAction::Log), (None, HealthAction::StopProcess)] {
        let mut spec = sample();
        spec.health.push(HealthEntry::new(partition, ErrorKind::MissedBoundary, action));
        let bytes = spec.to_bytes().unwrap();
        let err = SystemImage::parse(&bytes).unwrap_err();
        assert!(matches!(err, ImageError::ModuleEventHealth { .. }), "{err}");
    }
    let mut spec = sample();
    spec.health.push(HealthEntry::new(None, ErrorKind::MissedBoundary, HealthAction::HaltModule));
    let image_bytes = spec.to_bytes().unwrap();
    let image = SystemImage::parse(&image_bytes).unwrap();
    let d = image.health_decision(bulkhead_image::SPARE, ErrorKind::MissedBoundary);
    assert_eq!((d.action, d.source, d.refused), (HealthAction::HaltModule, HealthSource::Module, None));
    // A partition's entries do not reach a module event.
    assert_eq!(image.health_decision(bulkhead_image::SPARE, ErrorKind::Stage2Abort).source, HealthSource::Module);
}

/// `stack_overflow` falls back, table by table, to `stage2_abort`: a
/// table that names `stage2_abort` but not `stack_overflow` decides a
/// stack overflow as it decides a stage-2 abort; one that names it wins.
#[test]
fn stack_overflow_falls_back_to_stage2_abort_in_each_table() {
    let mut spec = sample();
    let decide = |spec: &ImageSpec, p| {
        let d = spec.health_decision(p, ErrorKind::StackOverflow);
        (d.action, d.source)
    };
    // Partition 1 names stage2_abort = log; the module restart_partition.
    assert_eq!(decide(&spec, 1), (HealthAction::Log, HealthSource::Partition));
    assert_eq!(decide(&spec, 0), (HealthAction::RestartPartition, HealthSource::Module));
    // The module's own stack_overflow beats its stage2_abort, not
    // partition 1's stage2_abort.
    spec.health.push(HealthEntry::new(None, ErrorKind::StackOverflow, HealthAction::StopProcess));
    assert_eq!(decide(&spec, 0), (HealthAction::StopProcess, HealthSource::Module));
    assert_eq!(decide(&spec, 1), (HealthAction::Log, HealthSource::Partition));
    spec.health.push(HealthEntry::new(Some(1), ErrorKind::StackOverflow, HealthAction::RestartProcess));
    assert_eq!(decide(&spec, 1), (HealthAction::RestartProcess, HealthSource::Partition));
    // No entry at all: stage2_abort's default.
    let mut bare = sample();
    bare.health.clear();
    assert_eq!(decide(&bare, 0), (ErrorKind::Stage2Abort.default_action(), HealthSource::Default));
    let bytes = spec.to_bytes().unwrap();
    let image = SystemImage::parse(&bytes).unwrap();
    assert_eq!(image.health_action(0, ErrorKind::StackOverflow), HealthAction::StopProcess);
}

/// ARINC 653 health monitoring per partition: a partition's own entry
/// wins over the module's, the module's over the default; a module-wide
/// `halt_module` halts for a system partition only, a partition's own
/// `halt_module` halts for that partition whatever it is.
#[test]
fn health_decisions_follow_partition_then_module_then_default() {
    let spec = sample();
    let bytes = spec.to_bytes().unwrap();
    let image = SystemImage::parse(&bytes).unwrap();
    let decide = |p, kind| {
        let d = image.health_decision(p, kind);
        assert_eq!(d, spec.health_decision(p, kind), "the spec and the image decide alike");
        (d.action, d.source, d.refused.is_some())
    };
    use HealthAction::*;
    use HealthSource::*;
    // Partition 1's own entries.
    assert_eq!(decide(1, ErrorKind::Stage2Abort), (Log, Partition, false));
    assert_eq!(decide(1, ErrorKind::ApplicationError), (HaltModule, Partition, false), "its own halt_module holds");
    // The module's, for partitions with none of their own.
    assert_eq!(decide(0, ErrorKind::Stage2Abort), (RestartPartition, Module, false));
    assert_eq!(decide(0, ErrorKind::DeadlineMiss), (Log, Module, false));
    // The default.
    assert_eq!(decide(0, ErrorKind::UndefinedInstruction), (StopPartition, Default, false));
    assert_eq!(decide(0, ErrorKind::ApplicationError), (Log, Default, false));
    // The module's halt_module: partition 2 is a system partition, 0 is not.
    assert_eq!(decide(2, ErrorKind::TrappedOperation), (HaltModule, Module, false));
    assert_eq!(decide(0, ErrorKind::TrappedOperation), (StopPartition, Module, true));
}

/// A module-wide `switch_schedule` is a system partition's, as
/// `halt_module` is: a normal partition is stopped instead; its own
/// `switch_schedule` holds.
#[test]
fn module_switch_schedule_is_for_system_partitions() {
    let mut spec = sample();
    spec.health.push(HealthEntry {
        partition: None,
        kind: ErrorKind::ApplicationError,
        action: HealthAction::SwitchSchedule,
        schedule: 1,
    });
    spec.health.push(HealthEntry {
        partition: Some(0),
        kind: ErrorKind::DeadlineMiss,
        action: HealthAction::SwitchSchedule,
        schedule: 1,
    });
    let d = spec.health_decision(0, ErrorKind::ApplicationError);
    assert_eq!((d.action, d.refused), (HealthAction::StopPartition, Some(HealthAction::SwitchSchedule)));
    let d = spec.health_decision(2, ErrorKind::ApplicationError);
    assert_eq!((d.action, d.schedule, d.refused), (HealthAction::SwitchSchedule, 1, None));
    let d = spec.health_decision(0, ErrorKind::DeadlineMiss);
    assert_eq!((d.action, d.schedule, d.refused), (HealthAction::SwitchSchedule, 1, None));
}

#[test]
fn writer_refuses_long_names() {
    let mut spec = sample();
    spec.partitions[0].name = "x".repeat(32);
    assert!(matches!(spec.to_bytes(), Err(WriteError::BadName { what: "partition", .. })));
}

#[test]
fn kernel_image_offset_rounds_up_to_4k() {
    assert_eq!(kernel_image_offset(0), Some(0));
    assert_eq!(kernel_image_offset(1), Some(4096));
    assert_eq!(kernel_image_offset(4096), Some(4096));
    assert_eq!(kernel_image_offset(usize::MAX), None);
}

#[test]
fn parse_after_kernel_finds_the_image_at_the_next_4k_boundary() {
    let image = sample().to_bytes().unwrap();
    let mut loaded = vec![0xEE; 5000];
    loaded.resize(8192, 0);
    loaded.extend_from_slice(&image);
    let parsed = SystemImage::parse_after_kernel(&loaded, 5000).unwrap();
    assert_eq!(parsed.module().name, "demo");
    assert!(matches!(SystemImage::parse_after_kernel(&loaded, 9000), Err(ImageError::Truncated { .. })));
    assert!(matches!(SystemImage::parse_after_kernel(&loaded, 100), Err(ImageError::BadMagic { .. })));
}

#[test]
fn counts_ends_and_directions_are_what_the_kernel_loads_by() {
    let bytes = sample().to_bytes().unwrap();
    let image = SystemImage::parse(&bytes).unwrap();
    let (_, main) = image.initial_schedule();
    assert_eq!(main.window_count(), 4);
    assert_eq!(main.windows().len(), 4);
    let hello = image.partition(0).unwrap();
    assert_eq!(hello.phys_end(), 0x2040_0000, "phys_base + memory_size");
    assert_eq!(hello.segments().len(), 2);
    assert_eq!(image.partition(2).unwrap().segments().len(), 0);
    let temps = image.channel(0).unwrap();
    assert_eq!(temps.ports().len(), 3);
    assert_eq!(temps.destinations().len(), 2);
    assert_eq!(temps.source().unwrap().direction, PortDirection::Source);
    assert!(temps.destinations().all(|p| p.direction == PortDirection::Destination));
}

#[test]
fn a_bad_name_is_refused_saying_what_is_wrong_with_it() {
    let at = RecordRef { table: Table::Partition, index: 1 };
    let refusal = |problem| ImageError::BadName { at, problem }.to_string();
    assert_eq!(refusal(NameProblem::Empty), "partition[1].name: empty name");
    assert_eq!(
        refusal(NameProblem::TooLong { len: 40 }),
        format!("partition[1].name: length 40 exceeds {NAME_MAX_LEN}")
    );
    assert_eq!(refusal(NameProblem::NonZeroPadding), "partition[1].name: non-zero bytes after the name");
    assert_eq!(refusal(NameProblem::NotUtf8 { valid_up_to: 3 }), "partition[1].name: not UTF-8 (valid up to byte 3)");
    assert_eq!(refusal(NameProblem::Missing), "partition[1].name: record too short for a name");
}

#[test]
fn regions_read_back_with_their_mappings() {
    let bytes = sample().to_bytes().unwrap();
    let image = SystemImage::parse(&bytes).unwrap();
    assert_eq!(image.regions().len(), 2);
    let telemetry = image.region(0).unwrap();
    assert_eq!((telemetry.name, telemetry.phys_base, telemetry.size), ("telemetry", 0x2080_0000, 0x1_0000));
    assert_eq!(
        (telemetry.ipa_base, telemetry.ipa_end(), telemetry.phys_end()),
        (0x6000_0000, 0x6001_0000, 0x2081_0000)
    );
    assert_eq!(telemetry.access_of(0), Some(RegionAccess::ReadWrite));
    assert_eq!(telemetry.access_of(1), None);
    assert_eq!(telemetry.access_of(2), Some(RegionAccess::ReadOnly));
    let of_monitor: Vec<_> = image.regions_of(2).map(|(r, a)| (r.name, a)).collect();
    assert_eq!(of_monitor, [("telemetry", RegionAccess::ReadOnly)]);
    let map = MemoryMap::of(&image, 1).unwrap();
    assert_eq!(map.region_at(0x6000_0fff).map(|(r, a)| (r.name, a)), Some(("scratch", RegionAccess::ReadWrite)));
    assert_eq!(map.region_at(0x6000_1000), None, "scratch is one page");
    assert!(image.region(2).is_none());
    assert_eq!(Access::of_region(RegionAccess::ReadOnly).to_string(), "r--");
    assert_eq!(Access::of_region(RegionAccess::ReadWrite).to_string(), "rw-");
}

#[test]
fn region_memory_is_its_own() {
    // Physical memory: clear of every partition and every other region.
    let mut spec = sample();
    spec.regions[0].phys_base = 0x203F_0000;
    assert_eq!(
        rejects(spec),
        ImageError::RegionOverlapsPartition { region: 0, partition: 0, start: 0x203F_0000, end: 0x2040_0000 }
    );
    let mut spec = sample();
    spec.regions[1].phys_base = 0x2080_F000;
    let err = rejects(spec);
    assert_eq!(err, ImageError::RegionsOverlap { first: 0, second: 1, start: 0x2080_F000, end: 0x2081_0000 });
    assert_eq!(err.to_string(), "region[1].phys_base: memory overlaps region[0] at 0x2080f000..0x20810000");
    // Page granular, non-empty, no wrap.
    let mut spec = sample();
    spec.regions[0].size = 0x1800;
    assert!(matches!(rejects(spec), ImageError::Misaligned { field: "size", .. }));
    let mut spec = sample();
    spec.regions[0].size = 0;
    assert!(matches!(rejects(spec), ImageError::Zero { field: "size", .. }));
    let mut spec = sample();
    spec.regions[1].ipa_base = 0x6000_0800;
    assert!(matches!(rejects(spec), ImageError::Misaligned { field: "ipa_base", .. }));
    let mut spec = sample();
    spec.regions[1].ipa_base = u64::MAX - 0xFFF;
    assert!(matches!(rejects(spec), ImageError::AddressOverflow { field: "ipa_base", .. }));
    let mut spec = sample();
    spec.regions[1].name = "telemetry".into();
    assert!(matches!(rejects(spec), ImageError::DuplicateName { .. }));
}

#[test]
fn a_region_ipa_is_clear_of_what_each_partition_that_maps_it_has() {
    // Inside the memory of a partition that maps it.
    let mut spec = sample();
    spec.regions[0].ipa_base = 0x4030_0000;
    let err = rejects(spec);
    assert_eq!(err, ImageError::RegionIpaOverlap { region: 0, partition: 0, other: None });
    assert_eq!(err.to_string(), "region[0].ipa_base: overlaps the memory of partition[0], which maps it");
    // Inside the memory of the other partition that maps one.
    let mut spec = sample();
    spec.regions[1].ipa_base = 0x4000_0000;
    assert_eq!(rejects(spec), ImageError::RegionIpaOverlap { region: 1, partition: 1, other: None });
    // Two regions at one IPA in a partition that maps both.
    let mut spec = sample();
    spec.regions[1].mappings.push(MappingSpec { partition: 0, access: RegionAccess::ReadOnly });
    let err = rejects(spec);
    assert_eq!(err, ImageError::RegionIpaOverlap { region: 1, partition: 0, other: Some(0) });
    assert_eq!(err.to_string(), "region[1].ipa_base: overlaps region[0] in partition[0], which maps both");
    // Moved clear, it is fine.
    let mut spec = sample();
    spec.regions[1].mappings.push(MappingSpec { partition: 0, access: RegionAccess::ReadOnly });
    spec.regions[1].ipa_base = 0x6001_0000;
    assert!(parse_spec(&spec).is_ok());
}

#[test]
fn mappings_name_a_partition_once_with_a_known_access() {
    let mut spec = sample();
    spec.regions[0].mappings[1].partition = 0;
    let err = rejects(spec);
    assert_eq!(err, ImageError::RegionMappedTwice { region: 0, partition: 0 });
    assert_eq!(err.to_string(), "region[0]: mapped into partition[0] twice");
    let mut spec = sample();
    spec.regions[0].mappings[1].partition = 3;
    assert_eq!(rejects(spec).to_string(), "mapping[1].partition: 3 names no record (there are 3)");
    // A region nobody maps is still a region.
    let mut spec = sample();
    spec.regions[1].mappings.clear();
    assert_eq!(parse_spec(&spec).unwrap(), spec);
    // An unknown access code: patched in the bytes (the writer only writes known ones).
    let mut bytes = sample().to_bytes().unwrap();
    let mappings = u32::from_le_bytes(bytes[24 + 8 * 11..][..4].try_into().unwrap()) as usize;
    bytes[mappings + 4..mappings + 8].copy_from_slice(&2u32.to_le_bytes());
    let crc = crc32(&bytes[20..]);
    bytes[16..20].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(SystemImage::parse(&bytes).unwrap_err().to_string(), "mapping[0].access: unknown value 0x2");
}

// Devices: one test per rule of `validate_devices`, each breaking the
// sample's devices in one way.

fn uart(spec: &mut ImageSpec) -> &mut DeviceSpec {
    &mut spec.devices[0]
}

#[test]
fn device_owner_thread_and_policy() {
    let mut spec = sample();
    uart(&mut spec).partition = 3;
    assert!(matches!(rejects(spec), ImageError::IndexOutOfRange { field: "partition", value: 3, limit: 3, .. }));
    // Partition 0 has one thread: index 1 is none of its.
    let mut spec = sample();
    uart(&mut spec).thread = 1;
    let e = rejects(spec);
    assert_eq!(
        e,
        ImageError::IndexOutOfRange {
            at: RecordRef { table: Table::Device, index: 0 },
            field: "thread",
            value: 1,
            limit: 1
        }
    );
    assert_eq!(e.to_string(), "device[0].thread: 1 names no record (there are 1)");
    let mut bytes = sample().to_bytes().unwrap();
    let device_table = u32::from_le_bytes(bytes[24 + 8 * 12..][..4].try_into().unwrap()) as usize;
    bytes[device_table + 40] = 2; // outside_window
    let crc = crc32(&bytes[20..]);
    bytes[16..20].copy_from_slice(&crc.to_le_bytes());
    assert!(matches!(
        SystemImage::parse(&bytes),
        Err(ImageError::UnknownValue { field: "outside_window", value: 2, .. })
    ));
}

#[test]
fn a_device_is_assigned_once_and_is_not_empty() {
    let mut spec = sample();
    spec.devices[1].name = "mini-uart".into();
    spec.devices[1].mmio[0].base = 0xFE20_0000;
    assert!(matches!(rejects(spec), ImageError::DuplicateName { .. }));
    let mut spec = sample();
    uart(&mut spec).mmio.clear();
    uart(&mut spec).interrupts.clear();
    assert_eq!(rejects(spec), ImageError::DeviceEmpty { device: 0 });
    // Interrupt-only and MMIO-only devices are fine.
    let mut spec = sample();
    uart(&mut spec).mmio.clear();
    spec.devices[1].interrupts.clear();
    assert_eq!(parse_spec(&spec).unwrap(), spec);
}

#[test]
fn too_many_devices_or_ranges() {
    let mut spec = sample();
    spec.devices = (0..=MAX_DEVICES as u32)
        .map(|i| DeviceSpec {
            name: format!("d{i}"),
            partition: 0,
            thread: 0,
            outside_window: OutsideWindow::Deliver,
            mmio: vec![],
            interrupts: vec![32 + i],
        })
        .collect();
    assert_eq!(rejects(spec.clone()), ImageError::TooManyDevices { count: MAX_DEVICES as u32 + 1 });
    spec.devices.pop();
    assert!(parse_spec(&spec).is_ok(), "{MAX_DEVICES} devices are fine");
    let mut spec = sample();
    uart(&mut spec).interrupts = vec![32, 33, 34, 35, 36];
    assert!(matches!(spec.to_bytes(), Err(WriteError::DeviceListTooLong { what: "interrupts", count: 5, max: 4, .. })));
}

#[test]
fn device_ranges_are_whole_pages_below_4_gib() {
    for (base, size, problem) in [
        (0xFE21_5000, 0, MmioProblem::Empty),
        (0xFE21_5040, 0x1000, MmioProblem::Misaligned),
        (0xFE21_5000, 0x800, MmioProblem::Misaligned),
        (0xFFFF_F000, 0x2000, MmioProblem::BeyondLimit),
        (!0xFFF, 0x1000, MmioProblem::BeyondLimit),
    ] {
        let mut spec = sample();
        uart(&mut spec).mmio = vec![MmioRange { base, size }];
        assert_eq!(rejects(spec), ImageError::DeviceMmioBad { device: 0, range: 0, base, size, problem });
    }
}

#[test]
fn device_ranges_overlap_nothing() {
    let clash = |spec: ImageSpec| match rejects(spec) {
        ImageError::DeviceMmioOverlap { with, .. } => with,
        other => panic!("{other:?}"),
    };
    // Another device's range, and its own.
    let mut spec = sample();
    spec.devices[1].mmio[0].base = 0xFE21_5000;
    assert_eq!(clash(spec), MmioClash::Device { device: 0, range: 0 });
    let mut spec = sample();
    uart(&mut spec).mmio =
        vec![MmioRange { base: 0xFE21_5000, size: 0x2000 }, MmioRange { base: 0xFE21_6000, size: 0x1000 }];
    assert_eq!(clash(spec), MmioClash::Device { device: 0, range: 0 });
    // Any partition's physical memory; its own partition's memory IPA.
    let mut spec = sample();
    uart(&mut spec).mmio[0].base = 0x2040_0000;
    assert_eq!(clash(spec), MmioClash::PartitionMemory { partition: 1 });
    let mut spec = sample();
    uart(&mut spec).mmio[0].base = 0x4000_0000;
    assert_eq!(clash(spec), MmioClash::PartitionIpa { partition: 0 });
    // A region's physical memory; the IPA of a region its partition maps
    // (partition 0 maps telemetry), not of one it does not (gpio's
    // partition 1 maps scratch at the same IPA, partition 2 does not).
    let mut spec = sample();
    uart(&mut spec).mmio[0].base = 0x2081_0000;
    assert_eq!(clash(spec), MmioClash::RegionMemory { region: 1 });
    let mut spec = sample();
    spec.regions[0].ipa_base = 0xFE21_5000;
    spec.regions[1].ipa_base = 0xFE21_5000;
    assert_eq!(clash(spec), MmioClash::RegionIpa { region: 0 });
    // The GIC CPU interface every partition has.
    let mut spec = sample();
    uart(&mut spec).mmio[0].base = GICC_IPA + 0x1000;
    let e = rejects(spec);
    assert_eq!(
        e.to_string(),
        "device[0].mmio[0]: 0xff843000+0x1000 overlaps the GIC CPU interface at IPA 0xff842000..0xff844000"
    );
}

#[test]
fn device_interrupts_are_spis_of_one_device() {
    let mut spec = sample();
    uart(&mut spec).interrupts = vec![27];
    assert_eq!(rejects(spec), ImageError::DeviceInterruptNotSpi { device: 0, intid: 27 });
    let mut spec = sample();
    uart(&mut spec).interrupts = vec![1020];
    assert_eq!(rejects(spec), ImageError::DeviceInterruptNotSpi { device: 0, intid: 1020 });
    let mut spec = sample();
    uart(&mut spec).interrupts = vec![125, 125];
    assert_eq!(rejects(spec).to_string(), "device[0].interrupts: 125 listed twice");
    let mut spec = sample();
    spec.devices[1].interrupts[2] = 125;
    let e = rejects(spec);
    assert_eq!(e, ImageError::DeviceInterruptTwice { device: 1, intid: 125, first: 0 });
    assert_eq!(e.to_string(), "device[1].interrupts: 125 is device[0]'s already");
}

#[test]
fn unused_device_slots_are_zero() {
    let mut bytes = sample().to_bytes().unwrap();
    let device_table = u32::from_le_bytes(bytes[24 + 8 * 12..][..4].try_into().unwrap()) as usize;
    bytes[device_table + 124] = 1; // interrupts[1] of a device with one
    let crc = crc32(&bytes[20..]);
    bytes[16..20].copy_from_slice(&crc.to_le_bytes());
    assert!(matches!(
        SystemImage::parse(&bytes),
        Err(ImageError::ReservedNotZero { field: "interrupts (unused slot)", .. })
    ));
}
