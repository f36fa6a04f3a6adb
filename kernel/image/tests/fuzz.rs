//! Fuzzing the parser, bounded to a few seconds so it runs in plain
//! `cargo test`.
//!
//! Random bytes almost never carry the magic, and a valid image with random
//! bytes flipped almost always stops at the checksum or the first bound, so
//! most inputs here are *structurally valid images* with targeted damage.
//! [`image`] draws an [`ImageSpec`] the parser accepts (one to five
//! partitions with segments, threads and console buffers, one to four schedules of windows,
//! channels of both kinds, health actions of the module and of partitions, up to three shared memory regions,
//! devices, sometimes all [`MAX_DEVICES`] of them), the crate's writer lays it out,
//! and [`mutate`] damages it knowing the layout: a header field, a table's
//! offset or count in the directory, a numeric record field, a name, one
//! byte, or a cut. The CRC, and `total_len` after a cut, are then fixed
//! unless the mutation is about them, so the image gets past the header and
//! meets the table, record and cross-record checks.
//!
//! The generators draw their [`Choices`] from a proptest-made tape in the
//! property tests (proptest shrinks the tape, and past its end every choice
//! is 0, the simplest), and from a fixed-seed stream in the coverage run.
//!
//! Properties: `parse` returns, `Ok` or `Err`, and never panics; an accepted
//! image can be walked in full and re-serialised with every record unchanged
//! (a generated one to the very same bytes). `the_fuzzer_reaches_every_parser_error` counts which
//! [`ImageError`] and [`NameProblem`] variants the mutator reaches from its
//! fixed seed: every variant must be reached except those listed, with the
//! reason, as ones `parse` cannot return. The variant lists are matched
//! without a catch-all, so a new variant does not compile until it is listed
//! here, and then fails the test until the fuzzer reaches it or it is
//! explained.

#[path = "common/sample.rs"]
mod sample;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use bulkhead_image::*;
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// The properties every input must satisfy.

/// Walk every record of an accepted image, as the kernel would.
fn walk(image: &SystemImage<'_>) -> usize {
    let mut n = image.module().name.len();
    for s in image.schedules() {
        n += s.windows().count();
    }
    for p in image.partitions() {
        n += p.segments().map(|s| s.data.len()).sum::<usize>();
    }
    n += image.threads().count();
    for c in image.channels() {
        n += c.ports().count();
    }
    for r in image.regions() {
        n += r.mappings().count();
    }
    for p in image.partitions() {
        n += image.regions_of(p.id).count();
        n += image.devices_of(p.id).count();
    }
    for d in image.devices() {
        n += d.mmio().count() + d.interrupts().count();
    }
    n + image.configured_health_actions().count()
}

/// Parse `bytes`; if accepted, walk the image and check that it re-serialises
/// to an image that parses and holds the same records. Returns the
/// rejection, if any.
fn check(bytes: &[u8]) -> Result<(), ImageError> {
    let image = SystemImage::parse(bytes)?;
    walk(&image);
    let again = ImageSpec::from_image(&image).to_bytes().expect("a parsed image re-serialises");
    SystemImage::parse(&again).expect("re-serialised image parses");
    assert_same_records(image.bytes(), &again);
    Ok(())
}

/// Every record of `original`, an accepted image, must come back byte for
/// byte in `again`, its re-serialisation: a field the accessors read wrongly
/// or drop shows here. The writer lays tables and segment data out anew, so
/// only table offsets and segment `data_offset`s may differ; segment bytes
/// are compared through them.
fn assert_same_records(original: &[u8], again: &[u8]) {
    let segment_data = |bytes: &[u8], record: &[u8]| {
        let start = Records::of(bytes, Table::Data).base + read(record, SEGMENT_DATA_OFFSET.offset, 4)? as usize;
        bytes.get(start..start + read(record, SEGMENT_FILE_SIZE.offset, 4)? as usize).map(<[u8]>::to_vec)
    };
    for table in Table::ALL.into_iter().filter(|&t| t != Table::Data) {
        let (old, new) = (Records::of(original, table), Records::of(again, table));
        assert_eq!(old.count, new.count, "{table}: record count changed when re-serialised");
        for r in 0..old.count {
            let mut old_record = original[old.start(r)..][..old.size].to_vec();
            let mut new_record = again[new.start(r)..][..new.size].to_vec();
            if table == Table::Segment {
                let (old_data, new_data) = (segment_data(original, &old_record), segment_data(again, &new_record));
                assert_eq!(old_data, new_data, "segment[{r}]: data changed when re-serialised");
                write(&mut old_record, SEGMENT_DATA_OFFSET.offset, 4, 0);
                write(&mut new_record, SEGMENT_DATA_OFFSET.offset, 4, 0);
            }
            assert_eq!(old_record, new_record, "{table}[{r}] changed when re-serialised");
        }
    }
}

/// Recompute the CRC over `20..total_len` (clamped to the bytes there are).
fn fix_crc(bytes: &mut [u8]) {
    if bytes.len() >= 20 {
        let total = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let end = total.clamp(20, bytes.len());
        let crc = crc32(&bytes[20..end]);
        bytes[16..20].copy_from_slice(&crc.to_le_bytes());
    }
}

// ---------------------------------------------------------------------------
// Where the generators' choices come from.

enum Choices<'a> {
    /// A proptest-made tape; 0 once it runs out.
    Tape(std::slice::Iter<'a, u64>),
    /// A SplitMix64 stream from a fixed seed.
    Stream(u64),
}

impl Choices<'_> {
    fn next(&mut self) -> u64 {
        match self {
            Choices::Tape(tape) => tape.next().copied().unwrap_or(0),
            Choices::Stream(state) => {
                *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = *state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            }
        }
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        let v = self.next();
        if n == 0 { 0 } else { (v % n as u64) as usize }
    }

    /// A number in `low..=high` (`high - low` < `u64::MAX`).
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    /// True about one time in `n` (never for choice 0).
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == n - 1
    }

    /// An index of `weights`, drawn in proportion to them.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut pick = self.next() % weights.iter().sum::<u64>();
        for (i, &w) in weights.iter().enumerate() {
            if pick < w {
                return i;
            }
            pick -= w;
        }
        unreachable!("pick is below the sum of the weights")
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}

// ---------------------------------------------------------------------------
// Valid images. Every relation the parser checks (ids, ranges, memory layout,
// distinct cores, major frames, unique names) holds by construction.

/// A name of record `index`: short, with a multi-byte character, or filling
/// all [`NAME_MAX_LEN`] bytes (no padding).
fn name(prefix: &str, index: usize, style: usize) -> String {
    let base = format!("{prefix}{index}");
    match style % 3 {
        0 => base,
        1 => format!("{base}-ü"),
        _ => format!("{base:_<NAME_MAX_LEN$}"),
    }
}

fn image(c: &mut Choices) -> ImageSpec {
    let core_count = if c.one_in(5) { MAX_CORES } else { c.between(1, 8) as u32 };
    let cores = core_count as usize;
    let module_mask = if cores >= 32 { u32::MAX } else { (1u32 << cores) - 1 };
    let names = c.below(3);
    let style = |i: usize| names + i;
    let first_core = c.below(cores);

    // One time in two, five partitions whose console buffers fill the
    // console exactly (13108 + 4 x 13107 bytes, each well inside its bound),
    // so that a few bytes more on any one, a set bit, or the first's size
    // copied to another meets the total rather than the per-partition
    // bound. Otherwise one to five partitions with any shares that keep
    // within the total.
    let fill = c.one_in(2);
    let partition_count = if fill { 5 } else { c.between(1, 5) as usize };
    let share = (CONSOLE_BUFFER_TOTAL_MAX / partition_count as u64).min(u64::from(CONSOLE_BUFFER_MAX)) as u32;
    let remainder = (CONSOLE_BUFFER_TOTAL_MAX - u64::from(share) * partition_count as u64) as u32;
    let mut partitions = Vec::new();
    let mut threads = Vec::new();
    let mut phys = 0x2000_0000u64;
    for i in 0..partition_count {
        let mut segments = Vec::new();
        let mut used = 0u64;
        for _ in 0..c.below(4) {
            let load_offset = used + if c.one_in(2) { c.between(1, 0x3000) } else { 0 };
            let mem_size = if c.one_in(2) { c.between(1, 0x4000) } else { c.between(1, 48) };
            let file_size = c.between(0, mem_size.min(48)) as usize;
            let flags = c.below(8) as u32;
            segments.push(SegmentSpec { load_offset, mem_size, flags, data: vec![c.next() as u8; file_size] });
            used = load_offset + mem_size;
        }
        let memory_size = (used.next_multiple_of(PAGE_SIZE) + c.below(8) as u64 * PAGE_SIZE).max(PAGE_SIZE);
        phys += c.below(4) as u64 * PAGE_SIZE;
        let ipa_base = c.below(0x10_0000) as u64 * PAGE_SIZE;
        partitions.push(PartitionSpec {
            name: name("p", i, style(i)),
            system: c.one_in(2),
            write_execute: c.one_in(4),
            // From the index, not the stream, so the draws after it (and what
            // the fuzzer reaches) are as before the flag.
            initialization: i % 3 == 1,
            phys_base: phys,
            memory_size,
            ipa_base,
            entry_ipa: ipa_base + c.below(memory_size as usize) as u64,
            console_buffer: match (fill, i) {
                (true, 0) => share + remainder,
                (true, _) => share,
                (false, _) => c.between(u64::from(CONSOLE_BUFFER_MIN), u64::from(share)) as u32,
            },
            // From the index, not the stream, as `initialization`: a page
            // for every fourth partition, where its memory has room
            // (the map's own check, not the parser's).
            heap_size: if i % 4 == 2 { PAGE_SIZE } else { 0 },
            segments,
        });
        phys += memory_size;
        // Thread j of partition i gets core first_core + i + j: distinct
        // within the partition, so its threads can all run in its window.
        for j in 0..(c.between(1, 3) as usize).min(cores) {
            let core = (first_core + i + j) % cores;
            let extra_affinity = if c.one_in(4) { c.next() as u32 & module_mask } else { 0 };
            let period_ns = c.one_in(2).then(|| c.between(1, 1_000_000_000));
            let deadline_ns = period_ns.filter(|_| c.one_in(2)).map(|period| c.between(1, period));
            threads.push(ThreadSpec {
                name: name("t", j, style(j)),
                partition: i as u32,
                affinity: (1 << core) | extra_affinity,
                priority: c.below(256) as u32,
                period_ns,
                deadline_ns,
                stack_size: c.between(1, 0x10_0000),
            });
        }
    }
    // Grouped by partition, in partition order, as the tool writes them
    // and the parser requires (mutations reach `ThreadsNotGrouped`).

    let schedule_count = c.between(1, 4) as usize;
    let initial = c.below(schedule_count);
    let schedules = (0..schedule_count)
        .map(|i| {
            let windows: Vec<WindowSpec> = (0..c.below(6))
                .map(|_| WindowSpec {
                    owner: if c.one_in(4) { None } else { Some(c.below(partition_count) as u32) },
                    duration_ns: c.between(1, 5_000_000),
                })
                .collect();
            let sum: u64 = windows.iter().map(|w| w.duration_ns).sum();
            ScheduleSpec {
                name: name("s", i, style(i)),
                major_frame_ns: (sum + c.between(0, 1_000_000)).max(1),
                initial: i == initial,
                windows,
            }
        })
        .collect();

    // Port names are unique in the whole table, so they never clash within
    // a partition.
    let mut port_number = 0;
    let channels = (0..c.below(4))
        .map(|i| ChannelSpec {
            name: name("c", i, style(i)),
            kind: if c.one_in(2) {
                ChannelKind::Queuing { depth: c.between(1, 64) as u32 }
            } else {
                ChannelKind::Sampling { refresh_period_ns: c.between(1, 1_000_000_000) }
            },
            message_size: c.between(1, 4096) as u32,
            ports: (0..c.between(2, 4))
                .map(|_| {
                    port_number += 1;
                    PortSpec { partition: c.below(partition_count) as u32, name: name("q", port_number, style(i)) }
                })
                .collect(),
        })
        .collect();

    // Module defaults and partitions' own entries, each (kind, partition)
    // at most once, in a rotated order (the parser accepts any).
    let mut health = Vec::new();
    for partition in std::iter::once(None).chain((0..partition_count as u32).map(Some)) {
        for &kind in ErrorKind::ALL {
            // A module event (missed_boundary) is the module's alone, with
            // an action that needs no partition.
            if kind.module_event() && partition.is_some() {
                continue;
            }
            if c.one_in(if partition.is_none() { 2 } else { 4 }) {
                let mut action = c.pick(HealthAction::ALL);
                if kind.module_event() && !action.for_module_events() {
                    action = HealthAction::Log;
                }
                let schedule = if action == HealthAction::SwitchSchedule { c.below(schedule_count) as u32 } else { 0 };
                health.push(HealthEntry { partition, kind, action, schedule });
            }
        }
    }
    let configured = health.len();
    health.rotate_left(c.below(configured));

    // Regions after the partitions' physical memory. Each maps a random
    // subset of the partitions; its IPA is a fresh one above every
    // partition's memory and every region, or, when that is allowed, the
    // memory base of a partition that does not map it or the IPA of an
    // earlier region it shares no partition with, so that one mutated
    // mapping meets the IPA checks.
    let ipa_top = partitions.iter().map(|p| p.ipa_base + p.memory_size).max().unwrap_or(0);
    let mut regions: Vec<RegionSpec> = Vec::new();
    for i in 0..c.below(4) {
        let size = c.between(1, 16) * PAGE_SIZE;
        phys += c.below(4) as u64 * PAGE_SIZE;
        let mut mappings = Vec::new();
        for p in 0..partition_count {
            if !c.one_in(3) {
                mappings.push(MappingSpec { partition: p as u32, access: c.pick(RegionAccess::ALL) });
            }
        }
        let maps = |p: u32| mappings.iter().any(|m| m.partition == p);
        let fits = |ipa: u64| {
            let clear_of_memory = |p: &PartitionSpec| ipa + size <= p.ipa_base || p.ipa_base + p.memory_size <= ipa;
            let clear_of_region = |r: &RegionSpec| {
                ipa + size <= r.ipa_base || r.ipa_base + r.size <= ipa || !r.mappings.iter().any(|m| maps(m.partition))
            };
            partitions.iter().enumerate().all(|(id, p)| !maps(id as u32) || clear_of_memory(p))
                && regions.iter().all(clear_of_region)
        };
        let fresh = regions.iter().map(|r| r.ipa_base + r.size).fold(ipa_top, u64::max).next_multiple_of(PAGE_SIZE);
        let candidate = match c.below(3) {
            0 => partitions.get(c.below(partition_count)).map(|p| p.ipa_base),
            1 => regions.last().map(|r| r.ipa_base),
            _ => None,
        };
        let ipa_base = candidate.filter(|&ipa| fits(ipa)).unwrap_or(fresh);
        regions.push(RegionSpec { name: name("r", i, style(i)), phys_base: phys, size, ipa_base, mappings });
        phys += size;
    }

    // Devices: device k's ranges at 0xF000_0000 + k MiB (clear of all
    // partition and region memory, which lies low, and of the GIC CPU
    // interface), unless they would meet its partition's IPA ranges: then
    // it is an interrupt-only device. Its interrupts are SPIs of its own,
    // 32 + 4k onwards.
    let device_count = if c.one_in(8) { MAX_DEVICES } else { c.below(4) };
    let mut devices = Vec::new();
    for k in 0..device_count {
        let partition = c.below(partition_count) as u32;
        let thread_count = threads.iter().filter(|t| t.partition == partition).count();
        let base = 0xF000_0000 + k as u64 * 0x10_0000;
        let sizes: Vec<u64> = (0..c.below(MAX_DEVICE_MMIO + 1)).map(|_| c.between(1, 4) * PAGE_SIZE).collect();
        let end = base + sizes.iter().sum::<u64>();
        let clear = |start: u64, size: u64| end <= start || start + size <= base;
        let p = &partitions[partition as usize];
        let maps = |r: &RegionSpec| r.mappings.iter().any(|m| m.partition == partition);
        let fits =
            clear(p.ipa_base, p.memory_size) && regions.iter().filter(|r| maps(r)).all(|r| clear(r.ipa_base, r.size));
        let mut mmio = Vec::new();
        let mut at = base;
        for size in sizes.into_iter().filter(|_| fits) {
            mmio.push(MmioRange { base: at, size });
            at += size;
        }
        let irq_count = if mmio.is_empty() { c.between(1, 4) as usize } else { c.below(MAX_DEVICE_INTERRUPTS + 1) };
        devices.push(DeviceSpec {
            name: name("d", k, style(k)),
            partition,
            thread: c.below(thread_count) as u32,
            outside_window: c.pick(OutsideWindow::ALL),
            mmio,
            interrupts: (0..irq_count as u32).map(|j| FIRST_SPI + 4 * k as u32 + j).collect(),
        });
    }

    ImageSpec {
        module: ModuleSpec { name: name("m", 0, names), core_count, console_baud: c.between(1, 4_000_000) as u32 },
        schedules,
        partitions,
        threads,
        channels,
        health,
        regions,
        devices,
    }
}

// ---------------------------------------------------------------------------
// Mutations.

/// A fixed-width little-endian field of a record.
#[derive(Clone, Copy, Debug)]
struct Field {
    name: &'static str,
    offset: usize,
    /// 4 or 8 bytes.
    width: usize,
}

const fn field(name: &'static str, offset: usize, width: usize) -> Field {
    Field { name, offset, width }
}

/// Header fields before the directory (crate doc, "System image format").
const HEADER_FIELDS: &[Field] = &[
    field("magic", 0, 8),
    field("version", 8, 4),
    field("total_len", 12, 4),
    field("crc32", 16, 4),
    field("table_count", 20, 4),
];

/// One directory entry (one per table, from byte 24).
const DIRECTORY_FIELDS: &[Field] = &[field("offset", 0, 4), field("count", 4, 4)];

/// The numeric fields of each table's records, from the format table in the
/// crate doc; names (offset 0 of the named tables) are damaged apart.
const RECORD_FIELDS: &[(Table, &[Field])] = &[
    (Table::Module, &[field("core_count", 32, 4), field("console_baud", 36, 4), field("reserved", 40, 8)]),
    (
        Table::Schedule,
        &[
            field("major_frame_ns", 32, 8),
            field("window_start", 40, 4),
            field("window_count", 44, 4),
            field("flags", 48, 4),
            field("reserved", 52, 4),
        ],
    ),
    (Table::Window, &[field("duration_ns", 0, 8), field("owner", 8, 4), field("reserved", 12, 4)]),
    (
        Table::Partition,
        &[
            field("id", 32, 4),
            field("flags", 36, 4),
            field("phys_base", 40, 8),
            field("memory_size", 48, 8),
            field("ipa_base", 56, 8),
            field("entry_ipa", 64, 8),
            field("segment_start", 72, 4),
            field("segment_count", 76, 4),
            field("console_buffer", 80, 4),
            field("reserved", 84, 4),
            field("heap_size", 88, 8),
        ],
    ),
    (
        Table::Segment,
        &[
            field("load_offset", 0, 8),
            field("mem_size", 8, 8),
            SEGMENT_DATA_OFFSET,
            SEGMENT_FILE_SIZE,
            field("flags", 24, 4),
            field("reserved", 28, 4),
        ],
    ),
    (
        Table::Thread,
        &[
            field("partition", 32, 4),
            field("affinity", 36, 4),
            field("priority", 40, 4),
            field("reserved", 44, 4),
            field("period_ns", 48, 8),
            field("deadline_ns", 56, 8),
            field("stack_size", 64, 8),
        ],
    ),
    (
        Table::Channel,
        &[
            field("kind", 32, 4),
            field("message_size", 36, 4),
            field("refresh_period_ns", 40, 8),
            field("depth", 48, 4),
            field("port_start", 52, 4),
            field("port_count", 56, 4),
            field("reserved", 60, 4),
        ],
    ),
    (Table::Port, &[field("partition", 32, 4), field("direction", 36, 4)]),
    (
        Table::Health,
        &[field("error_kind", 0, 4), field("action", 4, 4), field("partition", 8, 4), field("reserved", 12, 4)],
    ),
    (
        Table::Region,
        &[
            field("phys_base", 32, 8),
            field("size", 40, 8),
            field("ipa_base", 48, 8),
            field("mapping_start", 56, 4),
            field("mapping_count", 60, 4),
        ],
    ),
    (Table::Mapping, &[field("partition", 0, 4), field("access", 4, 4)]),
    (
        Table::Device,
        &[
            field("partition", 32, 4),
            field("thread", 36, 4),
            field("outside_window", 40, 4),
            field("mmio_count", 44, 4),
            field("interrupt_count", 48, 4),
            field("reserved", 52, 4),
            field("mmio[0].base", 56, 8),
            field("mmio[0].size", 64, 8),
            field("mmio[1].base", 72, 8),
            field("mmio[3].size", 112, 8),
            field("interrupts[0]", 120, 4),
            field("interrupts[1]", 124, 4),
            field("interrupts[3]", 132, 4),
        ],
    ),
];

const SEGMENT_DATA_OFFSET: Field = field("data_offset", 16, 4);
const SEGMENT_FILE_SIZE: Field = field("file_size", 20, 4);

/// The tables whose records start with a name.
const NAMED_TABLES: &[Table] = &[
    Table::Module,
    Table::Schedule,
    Table::Partition,
    Table::Thread,
    Table::Channel,
    Table::Port,
    Table::Region,
    Table::Device,
];

fn read(bytes: &[u8], at: usize, width: usize) -> Option<u64> {
    let mut le = [0u8; 8];
    le[..width].copy_from_slice(bytes.get(at..at.checked_add(width)?)?);
    Some(u64::from_le_bytes(le))
}

fn write(bytes: &mut [u8], at: usize, width: usize, value: u64) {
    if let Some(slot) = at.checked_add(width).and_then(|end| bytes.get_mut(at..end)) {
        slot.copy_from_slice(&value.to_le_bytes()[..width]);
    }
}

/// `count` records of `size` bytes from byte `base`.
#[derive(Clone, Copy)]
struct Records {
    what: &'static str,
    base: usize,
    count: usize,
    size: usize,
}

const HEADER: Records = Records { what: "header", base: 0, count: 1, size: HEADER_SIZE };
const DIRECTORY: Records = Records { what: "directory", base: 24, count: TABLE_COUNT, size: 8 };

impl Records {
    /// The records of `table` as the (possibly already mutated) directory says.
    fn of(bytes: &[u8], table: Table) -> Records {
        let entry = DIRECTORY.start(table as usize);
        let base = read(bytes, entry, 4).unwrap_or(0) as usize;
        let count = read(bytes, entry + 4, 4).unwrap_or(0) as usize;
        Records { what: table.name(), base, count, size: table.record_size() }
    }

    fn start(&self, record: usize) -> usize {
        self.base.saturating_add(record.saturating_mul(self.size))
    }

    /// Another record (or the same, if it is the only one): the previous,
    /// the next, or any. Neighbours often share an owner, so copying a field
    /// from one makes overlaps, duplicates and shared cores inside one
    /// partition, schedule or channel.
    fn other(&self, record: usize, c: &mut Choices) -> usize {
        match c.below(3) {
            0 => (record + self.count - 1) % self.count,
            1 => (record + 1) % self.count,
            _ => c.below(self.count),
        }
    }
}

/// Give `field` of a record a new value: an edge of its range, a step from
/// the old value, or the same field of another record. Returns what it did.
fn set_field(bytes: &mut [u8], records: Records, field: Field, c: &mut Choices) -> String {
    if records.count == 0 {
        return format!("{}: no records", records.what);
    }
    let record = c.below(records.count);
    let at = |r: usize| records.start(r).saturating_add(field.offset);
    let what = format!("{}[{record}].{}", records.what, field.name);
    let Some(old) = read(bytes, at(record), field.width) else { return format!("{what}: outside the bytes") };
    let max = u64::MAX >> (64 - 8 * field.width);
    let new = match c.weighted(&[4, 3, 1, 3, 3, 1, 1, 1, 2, 1, 5]) {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => old.wrapping_add(c.between(1, 4)),
        4 => old.wrapping_sub(c.between(1, 4)),
        5 => old ^ (1 << c.below(8 * field.width)),
        6 => max,
        7 => max - 1,
        // Page aligned, yet overflows when anything is added.
        8 => max & !(PAGE_SIZE - 1),
        9 => c.next(),
        _ => {
            let other = records.other(record, c);
            read(bytes, at(other), field.width).unwrap_or(old)
        }
    } & max;
    write(bytes, at(record), field.width, new);
    format!("{what}: {old:#x} -> {new:#x}")
}

/// Damage a name field: its length byte, a padding byte, a byte of the name,
/// or the whole field copied from another record. Returns what it did.
fn damage_name(bytes: &mut [u8], records: Records, c: &mut Choices) -> String {
    if records.count == 0 {
        return format!("{}: no records", records.what);
    }
    let record = c.below(records.count);
    let at = records.start(record);
    let what = format!("{}[{record}].name", records.what);
    let Some(len) = bytes.get(at).map(|&b| usize::from(b).clamp(1, NAME_MAX_LEN)) else {
        return format!("{what}: outside the bytes");
    };
    match c.below(4) {
        0 => {
            let new = match c.below(3) {
                0 => 0,
                1 => c.between(NAME_MAX_LEN as u64 + 1, 255),
                _ => c.below(256) as u64,
            };
            write(bytes, at, 1, new);
            format!("{what}: length {new}")
        }
        1 if len < NAME_MAX_LEN => {
            let byte = 1 + len + c.below(NAME_MAX_LEN - len);
            write(bytes, at + byte, 1, c.between(1, 255));
            format!("{what}: padding byte {byte} set")
        }
        2 => {
            let byte = 1 + c.below(len);
            let new = if c.one_in(2) { c.below(256) } else { 0x80 + c.below(0x80) } as u64;
            write(bytes, at + byte, 1, new);
            format!("{what}: byte {byte} = {new:#x}")
        }
        _ => {
            let other = records.other(record, c);
            let from = records.start(other);
            if let Some(name) = bytes.get(from..from.saturating_add(NAME_SIZE)).map(<[u8]>::to_vec)
                && let Some(slot) = bytes.get_mut(at..at.saturating_add(NAME_SIZE))
            {
                slot.copy_from_slice(&name);
            }
            format!("{what}: copied from record {other}")
        }
    }
}

/// A record field, every field of every table equally likely.
fn record_field(c: &mut Choices) -> (Table, Field) {
    let all = RECORD_FIELDS.iter().flat_map(|&(table, fields)| fields.iter().map(move |&field| (table, field)));
    let pick = c.below(all.clone().count());
    all.clone().nth(pick).expect("pick is below the count")
}

/// One mutation of `bytes`: what it did, and whether it is about the CRC
/// (which must then be left as it is).
fn mutate(bytes: &mut Vec<u8>, c: &mut Choices) -> (String, bool) {
    match c.weighted(&[2, 5, 16, 4, 1, 1]) {
        0 => {
            let field = c.pick(HEADER_FIELDS);
            (set_field(bytes, HEADER, field, c), field.name == "crc32")
        }
        1 => {
            let field = c.pick(DIRECTORY_FIELDS);
            (set_field(bytes, DIRECTORY, field, c), false)
        }
        2 => {
            let (table, field) = record_field(c);
            let records = Records::of(bytes, table);
            (set_field(bytes, records, field, c), false)
        }
        3 => {
            let table = c.pick(NAMED_TABLES);
            let records = Records::of(bytes, table);
            (damage_name(bytes, records, c), false)
        }
        4 => {
            let at = c.below(bytes.len());
            bytes[at] = c.next() as u8;
            (format!("byte {at} = {:#x}", bytes[at]), (16..20).contains(&at))
        }
        _ => {
            let len = c.below(bytes.len());
            bytes.truncate(len);
            if c.one_in(2) {
                write(bytes, 12, 4, len as u64);
                (format!("cut to {len} bytes, total_len too"), false)
            } else {
                (format!("cut to {len} bytes"), false)
            }
        }
    }
}

/// A generated image with one to three mutations (mostly one, so that most
/// cases meet exactly the check their mutation aims at), and what was done.
fn mutated_image(c: &mut Choices) -> (Vec<u8>, Vec<String>) {
    let mut bytes = image(c).to_bytes().expect("generated names fit");
    let count = 1 + c.weighted(&[8, 2, 1]);
    let mut done = Vec::new();
    let mut about_crc = false;
    for _ in 0..count {
        let (what, crc) = mutate(&mut bytes, c);
        done.push(what);
        about_crc |= crc;
    }
    if !about_crc {
        fix_crc(&mut bytes);
    }
    (bytes, done)
}

// ---------------------------------------------------------------------------
// Random runs of the properties (a new seed each run; proptest prints it and
// the shrunk input on failure).

/// Choices for one case: an image and its mutations draw up to about 300.
fn tape() -> impl Strategy<Value = Vec<u64>> {
    proptest::collection::vec(any::<u64>(), 0..400)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, max_shrink_iters: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = check(&bytes);
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_header_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..1024),
    ) {
        let mut bytes = Vec::from(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&(TABLE_COUNT as u32).to_le_bytes());
        bytes.extend_from_slice(&body);
        let total_len = bytes.len() as u32;
        bytes[12..16].copy_from_slice(&total_len.to_le_bytes());
        fix_crc(&mut bytes);
        let _ = check(&bytes);
    }

    #[test]
    fn sample_with_bytes_flipped_never_panics(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = sample::sample().to_bytes().unwrap();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Some(at) = cut {
            let len = at.index(bytes.len());
            bytes.truncate(len);
        }
        fix_crc(&mut bytes);
        let _ = check(&bytes);
    }

    #[test]
    fn generated_images_are_accepted_and_round_trip(tape in tape()) {
        let spec = image(&mut Choices::Tape(tape.iter()));
        let bytes = spec.to_bytes().unwrap();
        let image = SystemImage::parse(&bytes)
            .map_err(|e| TestCaseError::fail(format!("rejected: {e}\n{spec:#?}")))?;
        walk(&image);
        let read_back = ImageSpec::from_image(&image);
        prop_assert_eq!(read_back.to_bytes().unwrap(), bytes);
        prop_assert_eq!(read_back, spec);
    }

    #[test]
    fn mutated_generated_images_never_panic(tape in tape()) {
        let (bytes, done) = mutated_image(&mut Choices::Tape(tape.iter()));
        let outcome = catch_unwind(|| check(&bytes));
        prop_assert!(outcome.is_ok(), "panicked after {done:?}");
    }
}

// ---------------------------------------------------------------------------
// Which checks the mutator reaches.

/// Declare the variant names of an error enum and a function naming the
/// variant of a value. The match has no catch-all: a new variant stops the
/// build until it is named here.
macro_rules! variants {
    ($ty:ident, $all:ident, $name_of:ident: $($variant:ident),* $(,)?) => {
        const $all: &[&str] = &[$(stringify!($variant)),*];

        fn $name_of(e: &$ty) -> &'static str {
            match e {
                $($ty::$variant { .. } => stringify!($variant),)*
            }
        }
    };
}

variants!(ImageError, IMAGE_ERRORS, image_error_name:
    Truncated, BadMagic, UnsupportedVersion, BadTotalLength, ChecksumMismatch, BadTableCount,
    TableOutOfBounds, TablesOverlap, ModuleCount, BadName, DuplicateName, Zero, ReservedNotZero,
    UnknownValue, BadCoreCount, NoInitialSchedule, SeveralInitialSchedules, RangeNotContiguous,
    RangeOutOfBounds, UnownedRecords, WindowsExceedMajorFrame, IndexOutOfRange, PartitionIdMismatch,
    Misaligned, AddressOverflow, PartitionsOverlap, SegmentFileExceedsMemory, SegmentOutsidePartition,
    SegmentsOverlap, SegmentDataOutOfBounds, EntryOutsidePartition, BadAffinity, DeadlineExceedsPeriod,
    ThreadsNotGrouped, NoThreads, ChannelFieldForOtherKind, TooFewPorts, BadPortDirection,
    HeapLargerThanMemory, ConsoleBufferOutOfRange, ConsoleBuffersExceedTotal, DuplicateHealthKind, ModuleEventHealth,
    RegionOverlapsPartition,
    RegionsOverlap, RegionIpaOverlap, RegionMappedTwice, TooManyDevices, DeviceListTooLong, DeviceEmpty,
    DeviceMmioBad, DeviceMmioOverlap, DeviceInterruptNotSpi, DeviceInterruptTwice,
);

variants!(NameProblem, NAME_PROBLEMS, name_problem_name: Missing, Empty, TooLong, NonZeroPadding, NotUtf8);

/// [`ImageError`] variants `SystemImage::parse` cannot return, with the
/// reason. None: each is a check the parser makes on the image's bytes.
const IMAGE_ERRORS_PARSE_CANNOT_RETURN: &[(&str, &str)] = &[];

/// [`NameProblem`] variants `SystemImage::parse` cannot return, with the reason.
const NAME_PROBLEMS_PARSE_CANNOT_RETURN: &[(&str, &str)] = &[(
    "Missing",
    "the parser reads names only of records inside tables it has bounds-checked, and every named \
     record is at least NAME_SIZE bytes, so the name field is always whole; the variant guards \
     `name_at` against a short slice",
)];

/// Cases of the coverage run, and its seed: fixed, so the run and its counts
/// are the same on every machine and every run.
const COVERAGE_CASES: usize = 8000;
const COVERAGE_SEED: u64 = 0xB01C_4EAD_1AA6_E001;

fn assert_reached(what: &str, all: &[&str], cannot: &[(&str, &str)], reached: &BTreeMap<&str, u32>) {
    let table: Vec<String> = all.iter().map(|v| format!("  {v:26} {}", reached.get(v).copied().unwrap_or(0))).collect();
    eprintln!("{what} variants reached in {COVERAGE_CASES} cases:\n{}", table.join("\n"));
    let missed: BTreeSet<&str> = all.iter().copied().filter(|v| !reached.contains_key(v)).collect();
    let listed: BTreeSet<&str> = cannot.iter().map(|&(v, _)| v).collect();
    assert_eq!(
        missed,
        listed,
        "{what}: the variants the fuzzer never reaches must be exactly those listed as ones parse cannot \
         return (reach a missed one with a new mutation, or list it with the reason; unlist one that is \
         reached)\n{}",
        table.join("\n")
    );
}

#[test]
fn the_fuzzer_reaches_every_parser_error() {
    let mut choices = Choices::Stream(COVERAGE_SEED);
    let mut errors = BTreeMap::<&str, u32>::new();
    let mut name_problems = BTreeMap::<&str, u32>::new();
    let mut accepted = 0;
    for case in 0..COVERAGE_CASES {
        let (bytes, done) = mutated_image(&mut choices);
        match catch_unwind(AssertUnwindSafe(|| check(&bytes))) {
            Ok(Ok(())) => accepted += 1,
            Ok(Err(e)) => {
                *errors.entry(image_error_name(&e)).or_default() += 1;
                if let ImageError::BadName { problem, .. } = e {
                    *name_problems.entry(name_problem_name(&problem)).or_default() += 1;
                }
            }
            Err(_) => panic!("case {case} panicked after {done:?}"),
        }
    }
    eprintln!("accepted: {accepted} of {COVERAGE_CASES}");
    assert!(accepted > 0, "no mutated image was accepted, so the round trip of accepted images went untested");
    assert_reached("ImageError", IMAGE_ERRORS, IMAGE_ERRORS_PARSE_CANNOT_RETURN, &errors);
    assert_reached("NameProblem", NAME_PROBLEMS, NAME_PROBLEMS_PARSE_CANNOT_RETURN, &name_problems);
}
