//! The parser: [`SystemImage::parse`] validates a whole image over a borrowed
//! `&[u8]` without allocating, then hands out decoded records on demand.
//!
//! Every check is a bound or a relation between fields written down in the
//! crate doc. Loops that compare records pairwise (overlapping memory,
//! duplicate names) are quadratic on purpose: tables hold tens of records,
//! and a heap-free linear scheme would need a sort the kernel cannot allocate
//! for.

use crate::error::{ImageError, MmioClash, MmioProblem, RecordRef};
use crate::layout::{
    CONSOLE_BUFFER_MAX, CONSOLE_BUFFER_MIN, CONSOLE_BUFFER_TOTAL_MAX, DEVICE_ADDRESS_LIMIT, FIRST_SPI, FORMAT_VERSION,
    GICC_IPA, GICC_SIZE, HEADER_SIZE, LAST_SPI, MAGIC, MAX_CORES, MAX_DEVICE_INTERRUPTS, MAX_DEVICE_MMIO, MAX_DEVICES,
    PAGE_SIZE, SPARE, TABLE_COUNT, Table, off,
};
use crate::records::{
    Channel, ChannelKind, Device, ErrorKind, HealthAction, HealthDecision, HealthEntry, MemoryRegion, Module,
    OutsideWindow, Partition, RegionAccess, Schedule, SegmentFlags, Thread, decide_health, name_at, u32_at, u64_at,
};

/// A validated system image, borrowing the bytes it was parsed from.
#[derive(Clone, Copy, Debug)]
pub struct SystemImage<'a> {
    bytes: &'a [u8],
    /// Per table, in directory order: byte offset and record count.
    tables: [(usize, u32); TABLE_COUNT],
}

type Result<T> = core::result::Result<T, ImageError>;

fn at(table: Table, index: u32) -> RecordRef {
    RecordRef::new(table, index)
}

fn page_aligned(at: RecordRef, field: &'static str, value: u64) -> Result<()> {
    if value.is_multiple_of(PAGE_SIZE) { Ok(()) } else { Err(ImageError::Misaligned { at, field, value }) }
}

fn non_zero(at: RecordRef, field: &'static str, value: u64) -> Result<()> {
    if value == 0 { Err(ImageError::Zero { at, field }) } else { Ok(()) }
}

fn reserved(at: RecordRef, field: &'static str, value: u64) -> Result<()> {
    if value == 0 { Ok(()) } else { Err(ImageError::ReservedNotZero { at, field }) }
}

fn overlaps(a: (u64, u64), b: (u64, u64)) -> Option<(u64, u64)> {
    let start = a.0.max(b.0);
    let end = a.1.min(b.1);
    (start < end).then_some((start, end))
}

/// Check that a record's sub-range `start..start + count` follows the
/// previous one (`expected`) and lies inside `available` records; return
/// where the next range must start.
fn owned_range(
    record: RecordRef,
    field: &'static str,
    start: u32,
    count: u32,
    expected: u32,
    available: u32,
) -> Result<u32> {
    if start != expected {
        return Err(ImageError::RangeNotContiguous { at: record, field, start, expected });
    }
    match start.checked_add(count) {
        Some(end) if end <= available => Ok(end),
        _ => Err(ImageError::RangeOutOfBounds { at: record, field, start, count, available }),
    }
}

impl<'a> SystemImage<'a> {
    /// Validate `bytes` as a system image and return a view over it.
    ///
    /// `bytes` may be longer than the image (the rest of a loaded region);
    /// only the first `total_len` bytes are read.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        Self::parse_with_crc(bytes, crate::crc32)
    }

    /// [`parse`](Self::parse), with the header's checksum computed by
    /// `crc32`, which must be the function [`crate::crc32`] computes: the
    /// kernel passes one that uses the CPU's CRC32 instructions (a table
    /// lookup per byte was most of its parse time at boot).
    pub fn parse_with_crc(bytes: &'a [u8], crc32: fn(&[u8]) -> u32) -> Result<Self> {
        let header =
            bytes.get(..HEADER_SIZE).ok_or(ImageError::Truncated { need: HEADER_SIZE as u64, have: bytes.len() })?;
        let mut magic = [0u8; 8];
        magic.copy_from_slice(header.get(..8).unwrap_or(&[0; 8]));
        if magic != MAGIC {
            return Err(ImageError::BadMagic { found: magic });
        }
        let version = u32_at(header, 8);
        if version != FORMAT_VERSION {
            return Err(ImageError::UnsupportedVersion { found: version });
        }
        let total_len = u32_at(header, 12);
        if (total_len as usize) < HEADER_SIZE {
            return Err(ImageError::BadTotalLength { total_len });
        }
        let bytes = bytes
            .get(..total_len as usize)
            .ok_or(ImageError::Truncated { need: u64::from(total_len), have: bytes.len() })?;
        let stored = u32_at(header, 16);
        let computed = crc32(bytes.get(20..).unwrap_or(&[]));
        if stored != computed {
            return Err(ImageError::ChecksumMismatch { stored, computed });
        }
        let table_count = u32_at(header, 20);
        if table_count as usize != TABLE_COUNT {
            return Err(ImageError::BadTableCount { found: table_count });
        }

        let mut tables = [(0usize, 0u32); TABLE_COUNT];
        let mut extents = [(0u64, 0u64); TABLE_COUNT];
        for (i, table) in Table::ALL.iter().copied().enumerate() {
            let entry = 24 + 8 * i;
            let offset = u32_at(header, entry);
            let count = u32_at(header, entry + 4);
            // The kernel keeps per-device state in fixed arrays: a longer
            // table is refused by its count, before its bytes are looked at.
            if table == Table::Device && count as usize > MAX_DEVICES {
                return Err(ImageError::TooManyDevices { count });
            }
            // u64 arithmetic: u32 * record size (<= 136) + u32 cannot overflow.
            let start = u64::from(offset);
            let end = start + u64::from(count) * table.record_size() as u64;
            if start < HEADER_SIZE as u64 || end > u64::from(total_len) {
                return Err(ImageError::TableOutOfBounds { table, offset, count, total_len });
            }
            for (j, &other) in extents.iter().enumerate().take(i) {
                if overlaps((start, end), other).is_some() {
                    return Err(ImageError::TablesOverlap {
                        first: Table::ALL.get(j).copied().unwrap_or(table),
                        second: table,
                    });
                }
            }
            if let (Some(t), Some(e)) = (tables.get_mut(i), extents.get_mut(i)) {
                *t = (offset as usize, count);
                *e = (start, end);
            }
        }

        let image = SystemImage { bytes, tables };
        image.validate_module()?;
        image.validate_schedules()?;
        image.validate_partitions()?;
        image.validate_threads()?;
        image.validate_channels()?;
        image.validate_health()?;
        image.validate_regions()?;
        image.validate_devices()?;
        Ok(image)
    }

    /// Parse the system image that `bulkhead pack --kernel` placed after
    /// the kernel in `kernel8.img`: `loaded` is the loaded file from its
    /// first byte, `kernel_len` the kernel's own length (its end symbol minus
    /// its load address); the image starts at the next 4 KiB boundary.
    pub fn parse_after_kernel(loaded: &'a [u8], kernel_len: usize) -> Result<Self> {
        let offset = crate::kernel_image_offset(kernel_len).unwrap_or(usize::MAX);
        let rest = loaded.get(offset..).ok_or(ImageError::Truncated {
            need: (offset as u64).saturating_add(HEADER_SIZE as u64),
            have: loaded.len(),
        })?;
        Self::parse(rest)
    }

    /// The image bytes (exactly `total_len` of them).
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Records in `table`.
    pub fn count(&self, table: Table) -> u32 {
        self.tables.get(table as usize).map_or(0, |t| t.1)
    }

    fn table_bytes(&self, table: Table) -> &'a [u8] {
        let (offset, count) = self.tables.get(table as usize).copied().unwrap_or((0, 0));
        let len = count as usize * table.record_size();
        offset.checked_add(len).and_then(|end| self.bytes.get(offset..end)).unwrap_or(&[])
    }

    fn record(&self, table: Table, index: u32) -> Option<&'a [u8]> {
        let size = table.record_size();
        let start = (index as usize).checked_mul(size)?;
        self.table_bytes(table).get(start..start.checked_add(size)?)
    }

    fn name(&self, table: Table, index: u32) -> Result<&'a str> {
        let rec = self.record(table, index).unwrap_or(&[]);
        name_at(rec).map_err(|problem| ImageError::BadName { at: at(table, index), problem })
    }

    /// Reject a name equal to an earlier record's in `0..index` (of those
    /// that `same_scope` accepts).
    fn unique_name(&self, table: Table, index: u32, same_scope: impl Fn(u32) -> bool) -> Result<()> {
        let name = self.name(table, index)?;
        for earlier in 0..index {
            if same_scope(earlier) && self.name(table, earlier)? == name {
                return Err(ImageError::DuplicateName { first: at(table, earlier), second: at(table, index) });
            }
        }
        Ok(())
    }

    fn validate_module(&self) -> Result<()> {
        let count = self.count(Table::Module);
        if count != 1 {
            return Err(ImageError::ModuleCount { count });
        }
        let rec = self.record(Table::Module, 0).unwrap_or(&[]);
        self.name(Table::Module, 0)?;
        let cores = u32_at(rec, off::MODULE_CORES);
        if cores == 0 || cores > MAX_CORES {
            return Err(ImageError::BadCoreCount { count: cores });
        }
        let me = at(Table::Module, 0);
        non_zero(me, "console_baud", u64::from(u32_at(rec, off::MODULE_BAUD)))?;
        reserved(me, "reserved", u64_at(rec, off::MODULE_RESERVED))
    }

    fn validate_schedules(&self) -> Result<()> {
        let partitions = self.count(Table::Partition);
        let windows = self.count(Table::Window);
        let mut next_window = 0u32;
        let mut initial: Option<u32> = None;
        for i in 0..self.count(Table::Schedule) {
            let me = at(Table::Schedule, i);
            let rec = self.record(Table::Schedule, i).unwrap_or(&[]);
            self.unique_name(Table::Schedule, i, |_| true)?;
            let major = u64_at(rec, off::SCHED_MAJOR);
            non_zero(me, "major_frame_ns", major)?;
            let flags = u32_at(rec, off::SCHED_FLAGS);
            if flags & !off::SCHED_FLAG_INITIAL != 0 {
                return Err(ImageError::UnknownValue { at: me, field: "flags", value: flags });
            }
            reserved(me, "reserved", u64::from(u32_at(rec, off::SCHED_RESERVED)))?;
            if flags & off::SCHED_FLAG_INITIAL != 0 {
                if let Some(first) = initial {
                    return Err(ImageError::SeveralInitialSchedules { first, second: i });
                }
                initial = Some(i);
            }
            let start = u32_at(rec, off::SCHED_WSTART);
            let count = u32_at(rec, off::SCHED_WCOUNT);
            let end = owned_range(me, "window_start", start, count, next_window, windows)?;
            let (mut sum_ns, mut overflowed) = (0u64, false);
            for w in start..end {
                let wat = at(Table::Window, w);
                let wrec = self.record(Table::Window, w).unwrap_or(&[]);
                let duration = u64_at(wrec, off::WIN_DURATION);
                non_zero(wat, "duration_ns", duration)?;
                reserved(wat, "reserved", u64::from(u32_at(wrec, off::WIN_RESERVED)))?;
                let owner = u32_at(wrec, off::WIN_OWNER);
                if owner != SPARE && owner >= partitions {
                    return Err(ImageError::IndexOutOfRange {
                        at: wat,
                        field: "owner",
                        value: owner,
                        limit: partitions,
                    });
                }
                // A sum past 2^64 ns exceeds any major frame: it must not
                // saturate to one that equals it.
                let (sum, wrapped) = sum_ns.overflowing_add(duration);
                overflowed |= wrapped;
                sum_ns = if wrapped { u64::MAX } else { sum };
            }
            if overflowed || sum_ns > major {
                return Err(ImageError::WindowsExceedMajorFrame { schedule: i, sum_ns, major_frame_ns: major });
            }
            next_window = end;
        }
        if next_window != windows {
            return Err(ImageError::UnownedRecords { table: Table::Window, owned: next_window, count: windows });
        }
        if initial.is_none() {
            return Err(ImageError::NoInitialSchedule);
        }
        Ok(())
    }

    fn validate_partitions(&self) -> Result<()> {
        let segments = self.count(Table::Segment);
        let data_len = self.count(Table::Data);
        let mut next_segment = 0u32;
        // u64: at most 2^32 records of at most CONSOLE_BUFFER_MAX each.
        let mut console_total = 0u64;
        for i in 0..self.count(Table::Partition) {
            let me = at(Table::Partition, i);
            let rec = self.record(Table::Partition, i).unwrap_or(&[]);
            self.unique_name(Table::Partition, i, |_| true)?;
            let id = u32_at(rec, off::PART_ID);
            if id != i {
                return Err(ImageError::PartitionIdMismatch { index: i, id });
            }
            let flags = u32_at(rec, off::PART_FLAGS);
            if flags & !(off::PART_FLAG_SYSTEM | off::PART_FLAG_WRITE_EXECUTE | off::PART_FLAG_INITIALIZATION) != 0 {
                return Err(ImageError::UnknownValue { at: me, field: "flags", value: flags });
            }
            let phys = u64_at(rec, off::PART_PHYS);
            let size = u64_at(rec, off::PART_SIZE);
            let ipa = u64_at(rec, off::PART_IPA);
            let entry = u64_at(rec, off::PART_ENTRY);
            non_zero(me, "memory_size", size)?;
            let console_buffer = u32_at(rec, off::PART_CONSOLE);
            if !(CONSOLE_BUFFER_MIN..=CONSOLE_BUFFER_MAX).contains(&console_buffer) {
                return Err(ImageError::ConsoleBufferOutOfRange { partition: i, size: console_buffer });
            }
            console_total += u64::from(console_buffer);
            reserved(me, "reserved", u64::from(u32_at(rec, off::PART_RESERVED)))?;
            page_aligned(me, "phys_base", phys)?;
            page_aligned(me, "memory_size", size)?;
            page_aligned(me, "ipa_base", ipa)?;
            let heap_size = u64_at(rec, off::PART_HEAP);
            page_aligned(me, "heap_size", heap_size)?;
            if heap_size > size {
                return Err(ImageError::HeapLargerThanMemory { partition: i, heap_size, memory_size: size });
            }
            let phys_end = phys.checked_add(size).ok_or(ImageError::AddressOverflow { at: me, field: "phys_base" })?;
            let ipa_end = ipa.checked_add(size).ok_or(ImageError::AddressOverflow { at: me, field: "ipa_base" })?;
            if entry < ipa || entry >= ipa_end {
                return Err(ImageError::EntryOutsidePartition {
                    partition: i,
                    entry_ipa: entry,
                    ipa_base: ipa,
                    memory_size: size,
                });
            }
            for j in 0..i {
                let other = self.record(Table::Partition, j).unwrap_or(&[]);
                let o_phys = u64_at(other, off::PART_PHYS);
                let o_end = o_phys.saturating_add(u64_at(other, off::PART_SIZE));
                if let Some((start, end)) = overlaps((phys, phys_end), (o_phys, o_end)) {
                    return Err(ImageError::PartitionsOverlap { first: j, second: i, start, end });
                }
            }
            let start = u32_at(rec, off::PART_SSTART);
            let count = u32_at(rec, off::PART_SCOUNT);
            let end = owned_range(me, "segment_start", start, count, next_segment, segments)?;
            for s in start..end {
                let sat = at(Table::Segment, s);
                let srec = self.record(Table::Segment, s).unwrap_or(&[]);
                let load = u64_at(srec, off::SEG_LOAD);
                let mem = u64_at(srec, off::SEG_MEM);
                let data_offset = u32_at(srec, off::SEG_DATA);
                let file = u32_at(srec, off::SEG_FILE);
                let flags = u32_at(srec, off::SEG_FLAGS);
                non_zero(sat, "mem_size", mem)?;
                reserved(sat, "reserved", u64::from(u32_at(srec, off::SEG_RESERVED)))?;
                if flags & !SegmentFlags::ALL != 0 {
                    return Err(ImageError::UnknownValue { at: sat, field: "flags", value: flags });
                }
                if u64::from(file) > mem {
                    return Err(ImageError::SegmentFileExceedsMemory { segment: s, file_size: file, mem_size: mem });
                }
                let seg_end = load.checked_add(mem);
                match seg_end {
                    Some(e) if e <= size => {}
                    _ => {
                        return Err(ImageError::SegmentOutsidePartition {
                            segment: s,
                            partition: i,
                            end: load.saturating_add(mem),
                            memory_size: size,
                        });
                    }
                }
                match data_offset.checked_add(file) {
                    Some(e) if e <= data_len => {}
                    _ => {
                        return Err(ImageError::SegmentDataOutOfBounds {
                            segment: s,
                            data_offset,
                            file_size: file,
                            data_len,
                        });
                    }
                }
                for t in start..s {
                    let trec = self.record(Table::Segment, t).unwrap_or(&[]);
                    let t_load = u64_at(trec, off::SEG_LOAD);
                    let t_end = t_load.saturating_add(u64_at(trec, off::SEG_MEM));
                    if overlaps((load, load.saturating_add(mem)), (t_load, t_end)).is_some() {
                        return Err(ImageError::SegmentsOverlap { partition: i, first: t, second: s });
                    }
                }
            }
            next_segment = end;
        }
        if next_segment != segments {
            return Err(ImageError::UnownedRecords { table: Table::Segment, owned: next_segment, count: segments });
        }
        if console_total > CONSOLE_BUFFER_TOTAL_MAX {
            return Err(ImageError::ConsoleBuffersExceedTotal { total: console_total });
        }
        Ok(())
    }

    fn validate_threads(&self) -> Result<()> {
        let partitions = self.count(Table::Partition);
        let cores = self.module().core_count;
        // core_count is 1..=32, validated in validate_module.
        let module_mask = if cores >= 32 { u32::MAX } else { (1u32 << cores) - 1 };
        let threads = self.count(Table::Thread);
        let partition_of = |t: u32| u32_at(self.record(Table::Thread, t).unwrap_or(&[]), off::THR_PART);
        for i in 0..threads {
            let me = at(Table::Thread, i);
            let rec = self.record(Table::Thread, i).unwrap_or(&[]);
            let partition = u32_at(rec, off::THR_PART);
            if partition >= partitions {
                return Err(ImageError::IndexOutOfRange {
                    at: me,
                    field: "partition",
                    value: partition,
                    limit: partitions,
                });
            }
            if i > 0 && partition < partition_of(i - 1) {
                return Err(ImageError::ThreadsNotGrouped { thread: i, partition, previous: partition_of(i - 1) });
            }
            self.unique_name(Table::Thread, i, |t| partition_of(t) == partition)?;
            let affinity = u32_at(rec, off::THR_AFF);
            if affinity == 0 || affinity & !module_mask != 0 {
                return Err(ImageError::BadAffinity { thread: i, affinity, core_count: cores });
            }
            reserved(me, "reserved", u64::from(u32_at(rec, off::THR_RESERVED)))?;
            non_zero(me, "stack_size", u64_at(rec, off::THR_STACK))?;
            let period = u64_at(rec, off::THR_PERIOD);
            let deadline = u64_at(rec, off::THR_DEADLINE);
            if period != 0 && deadline > period {
                return Err(ImageError::DeadlineExceedsPeriod { thread: i, deadline_ns: deadline, period_ns: period });
            }
        }
        // Scheduling rule 4 (docs/DESIGN.md#scheduling-rule-4): every
        // partition has a thread. Threads of one partition may share a core
        // (by priority), so their count is not held against their cores.
        for p in 0..partitions {
            let has_thread = (0..threads).any(|t| {
                let rec = self.record(Table::Thread, t).unwrap_or(&[]);
                u32_at(rec, off::THR_PART) == p
            });
            if !has_thread {
                return Err(ImageError::NoThreads { partition: p });
            }
        }
        Ok(())
    }

    fn validate_channels(&self) -> Result<()> {
        let partitions = self.count(Table::Partition);
        let ports = self.count(Table::Port);
        let mut next_port = 0u32;
        for i in 0..self.count(Table::Channel) {
            let me = at(Table::Channel, i);
            let rec = self.record(Table::Channel, i).unwrap_or(&[]);
            self.unique_name(Table::Channel, i, |_| true)?;
            let kind = u32_at(rec, off::CHAN_KIND);
            let refresh = u64_at(rec, off::CHAN_REFRESH);
            let depth = u32_at(rec, off::CHAN_DEPTH);
            match kind {
                ChannelKind::SAMPLING => {
                    non_zero(me, "refresh_period_ns", refresh)?;
                    if depth != 0 {
                        return Err(ImageError::ChannelFieldForOtherKind { channel: i, field: "depth" });
                    }
                }
                ChannelKind::QUEUING => {
                    non_zero(me, "depth", u64::from(depth))?;
                    if refresh != 0 {
                        return Err(ImageError::ChannelFieldForOtherKind { channel: i, field: "refresh_period_ns" });
                    }
                }
                value => {
                    return Err(ImageError::UnknownValue { at: me, field: "kind", value });
                }
            }
            non_zero(me, "message_size", u64::from(u32_at(rec, off::CHAN_MSG)))?;
            reserved(me, "reserved", u64::from(u32_at(rec, off::CHAN_RESERVED)))?;
            let start = u32_at(rec, off::CHAN_PSTART);
            let count = u32_at(rec, off::CHAN_PCOUNT);
            let end = owned_range(me, "port_start", start, count, next_port, ports)?;
            if count < 2 {
                return Err(ImageError::TooFewPorts { channel: i, count });
            }
            for p in start..end {
                let pat = at(Table::Port, p);
                let prec = self.record(Table::Port, p).unwrap_or(&[]);
                let partition = u32_at(prec, off::PORT_PART);
                if partition >= partitions {
                    return Err(ImageError::IndexOutOfRange {
                        at: pat,
                        field: "partition",
                        value: partition,
                        limit: partitions,
                    });
                }
                let direction = u32_at(prec, off::PORT_DIR);
                if direction > 1 {
                    return Err(ImageError::UnknownValue { at: pat, field: "direction", value: direction });
                }
                if (direction == 0) != (p == start) {
                    return Err(ImageError::BadPortDirection { port: p, channel: i });
                }
                self.unique_name(Table::Port, p, |q| {
                    u32_at(self.record(Table::Port, q).unwrap_or(&[]), off::PORT_PART) == partition
                })?;
            }
            next_port = end;
        }
        if next_port != ports {
            return Err(ImageError::UnownedRecords { table: Table::Port, owned: next_port, count: ports });
        }
        Ok(())
    }

    fn validate_health(&self) -> Result<()> {
        let partitions = self.count(Table::Partition);
        for i in 0..self.count(Table::Health) {
            let me = at(Table::Health, i);
            let rec = self.record(Table::Health, i).unwrap_or(&[]);
            let kind = u32_at(rec, off::HEALTH_KIND);
            if ErrorKind::from_code(kind).is_none() {
                return Err(ImageError::UnknownValue { at: me, field: "error_kind", value: kind });
            }
            let action = u32_at(rec, off::HEALTH_ACTION);
            if HealthAction::from_code(action).is_none() {
                return Err(ImageError::UnknownValue { at: me, field: "action", value: action });
            }
            let partition = u32_at(rec, off::HEALTH_PART);
            if partition != SPARE && partition >= partitions {
                return Err(ImageError::IndexOutOfRange {
                    at: me,
                    field: "partition",
                    value: partition,
                    limit: partitions,
                });
            }
            // The schedule a `switch_schedule` switches to; 0 otherwise.
            let schedule = u32_at(rec, off::HEALTH_SCHEDULE);
            if action == HealthAction::SwitchSchedule.code() {
                let schedules = self.count(Table::Schedule);
                if schedule >= schedules {
                    return Err(ImageError::IndexOutOfRange {
                        at: me,
                        field: "schedule",
                        value: schedule,
                        limit: schedules,
                    });
                }
            } else {
                reserved(me, "schedule", u64::from(schedule))?;
            }
            let module_event = ErrorKind::from_code(kind).is_some_and(ErrorKind::module_event);
            let action_ok = HealthAction::from_code(action).is_some_and(HealthAction::for_module_events);
            if module_event && (partition != SPARE || !action_ok) {
                return Err(ImageError::ModuleEventHealth { index: i, partition, action });
            }
            for j in 0..i {
                let other = self.record(Table::Health, j).unwrap_or(&[]);
                if u32_at(other, off::HEALTH_KIND) == kind && u32_at(other, off::HEALTH_PART) == partition {
                    return Err(ImageError::DuplicateHealthKind { first: j, second: i, partition });
                }
            }
        }
        Ok(())
    }

    fn validate_regions(&self) -> Result<()> {
        let partitions = self.count(Table::Partition);
        let mappings = self.count(Table::Mapping);
        let partition_range = |p: u32, field: usize| {
            let rec = self.record(Table::Partition, p).unwrap_or(&[]);
            let base = u64_at(rec, field);
            (base, base.saturating_add(u64_at(rec, off::PART_SIZE)))
        };
        let region_range = |r: u32, field: usize| {
            let rec = self.record(Table::Region, r).unwrap_or(&[]);
            let base = u64_at(rec, field);
            (base, base.saturating_add(u64_at(rec, off::REGION_SIZE)))
        };
        let mapping_range = |r: u32| {
            let rec = self.record(Table::Region, r).unwrap_or(&[]);
            let start = u32_at(rec, off::REGION_MSTART);
            start..start.saturating_add(u32_at(rec, off::REGION_MCOUNT))
        };
        let partition_of = |m: u32| u32_at(self.record(Table::Mapping, m).unwrap_or(&[]), off::MAP_PART);
        let mut next_mapping = 0u32;
        for i in 0..self.count(Table::Region) {
            let me = at(Table::Region, i);
            let rec = self.record(Table::Region, i).unwrap_or(&[]);
            self.unique_name(Table::Region, i, |_| true)?;
            let phys = u64_at(rec, off::REGION_PHYS);
            let size = u64_at(rec, off::REGION_SIZE);
            let ipa = u64_at(rec, off::REGION_IPA);
            non_zero(me, "size", size)?;
            page_aligned(me, "phys_base", phys)?;
            page_aligned(me, "size", size)?;
            page_aligned(me, "ipa_base", ipa)?;
            let phys_end = phys.checked_add(size).ok_or(ImageError::AddressOverflow { at: me, field: "phys_base" })?;
            let ipa_end = ipa.checked_add(size).ok_or(ImageError::AddressOverflow { at: me, field: "ipa_base" })?;
            for p in 0..partitions {
                if let Some((start, end)) = overlaps((phys, phys_end), partition_range(p, off::PART_PHYS)) {
                    return Err(ImageError::RegionOverlapsPartition { region: i, partition: p, start, end });
                }
            }
            for j in 0..i {
                if let Some((start, end)) = overlaps((phys, phys_end), region_range(j, off::REGION_PHYS)) {
                    return Err(ImageError::RegionsOverlap { first: j, second: i, start, end });
                }
            }
            let start = u32_at(rec, off::REGION_MSTART);
            let count = u32_at(rec, off::REGION_MCOUNT);
            let end = owned_range(me, "mapping_start", start, count, next_mapping, mappings)?;
            for m in start..end {
                let mat = at(Table::Mapping, m);
                let mrec = self.record(Table::Mapping, m).unwrap_or(&[]);
                let partition = u32_at(mrec, off::MAP_PART);
                if partition >= partitions {
                    return Err(ImageError::IndexOutOfRange {
                        at: mat,
                        field: "partition",
                        value: partition,
                        limit: partitions,
                    });
                }
                let access = u32_at(mrec, off::MAP_ACCESS);
                if RegionAccess::from_code(access).is_none() {
                    return Err(ImageError::UnknownValue { at: mat, field: "access", value: access });
                }
                if (start..m).any(|earlier| partition_of(earlier) == partition) {
                    return Err(ImageError::RegionMappedTwice { region: i, partition });
                }
                if overlaps((ipa, ipa_end), partition_range(partition, off::PART_IPA)).is_some() {
                    return Err(ImageError::RegionIpaOverlap { region: i, partition, other: None });
                }
                for j in 0..i {
                    let shares = mapping_range(j).any(|n| partition_of(n) == partition);
                    if shares && overlaps((ipa, ipa_end), region_range(j, off::REGION_IPA)).is_some() {
                        return Err(ImageError::RegionIpaOverlap { region: i, partition, other: Some(j) });
                    }
                }
            }
            next_mapping = end;
        }
        if next_mapping != mappings {
            return Err(ImageError::UnownedRecords { table: Table::Mapping, owned: next_mapping, count: mappings });
        }
        Ok(())
    }

    fn validate_devices(&self) -> Result<()> {
        // At most MAX_DEVICES (checked with the directory).
        let count = self.count(Table::Device);
        let partitions = self.count(Table::Partition);
        for i in 0..count {
            let me = at(Table::Device, i);
            let rec = self.record(Table::Device, i).unwrap_or(&[]);
            // A board device is assigned once: one record per name.
            self.unique_name(Table::Device, i, |_| true)?;
            let partition = u32_at(rec, off::DEV_PART);
            if partition >= partitions {
                return Err(ImageError::IndexOutOfRange {
                    at: me,
                    field: "partition",
                    value: partition,
                    limit: partitions,
                });
            }
            let thread = u32_at(rec, off::DEV_THREAD);
            let threads = self.threads_of(partition).count() as u32;
            if thread >= threads {
                return Err(ImageError::IndexOutOfRange { at: me, field: "thread", value: thread, limit: threads });
            }
            let outside = u32_at(rec, off::DEV_OUTSIDE);
            if OutsideWindow::from_code(outside).is_none() {
                return Err(ImageError::UnknownValue { at: me, field: "outside_window", value: outside });
            }
            reserved(me, "reserved", u64::from(u32_at(rec, off::DEV_RESERVED)))?;
            let mmio_count = u32_at(rec, off::DEV_MMIO_COUNT);
            let irq_count = u32_at(rec, off::DEV_IRQ_COUNT);
            for (field, count, max) in
                [("mmio_count", mmio_count, MAX_DEVICE_MMIO), ("interrupt_count", irq_count, MAX_DEVICE_INTERRUPTS)]
            {
                if count as usize > max {
                    return Err(ImageError::DeviceListTooLong { device: i, field, count, max: max as u32 });
                }
            }
            if mmio_count == 0 && irq_count == 0 {
                return Err(ImageError::DeviceEmpty { device: i });
            }
            // Slots past the counts are zero, like reserved fields.
            let slot_used = |slot: usize, first: usize, size: usize| {
                rec.get(first + slot * size..first + (slot + 1) * size).is_some_and(|b| b.iter().any(|&x| x != 0))
            };
            if (mmio_count as usize..MAX_DEVICE_MMIO).any(|s| slot_used(s, off::DEV_MMIO, off::DEV_MMIO_SLOT)) {
                return Err(ImageError::ReservedNotZero { at: me, field: "mmio (unused slot)" });
            }
            if (irq_count as usize..MAX_DEVICE_INTERRUPTS).any(|s| slot_used(s, off::DEV_IRQ, off::DEV_IRQ_SLOT)) {
                return Err(ImageError::ReservedNotZero { at: me, field: "interrupts (unused slot)" });
            }
            let device = self.device(i).unwrap_or(Device::decode(i, &[]));
            for (r, range) in device.mmio().enumerate() {
                self.validate_mmio(device, r as u32, range.base, range.size)?;
            }
            for (n, intid) in device.interrupts().enumerate() {
                if !(FIRST_SPI..=LAST_SPI).contains(&intid) {
                    return Err(ImageError::DeviceInterruptNotSpi { device: i, intid });
                }
                if device.interrupts().take(n).any(|earlier| earlier == intid) {
                    return Err(ImageError::DeviceInterruptTwice { device: i, intid, first: i });
                }
                if let Some(first) = self.devices().take(i as usize).find(|d| d.interrupts().any(|x| x == intid)) {
                    return Err(ImageError::DeviceInterruptTwice { device: i, intid, first: first.index });
                }
            }
        }
        Ok(())
    }

    /// One MMIO range of `device` (the `range`th), mapped at its physical
    /// address into the device's partition: whole pages below 4 GiB, clear
    /// of every other device range (earlier ranges of this device and
    /// every range of an earlier device), of all partition and region
    /// memory (physical), and in its partition of the memory IPA range,
    /// the regions it maps and the GIC CPU interface.
    fn validate_mmio(&self, device: Device<'a>, range: u32, base: u64, size: u64) -> Result<()> {
        let bad = |problem| ImageError::DeviceMmioBad { device: device.index, range, base, size, problem };
        let clash = |with| ImageError::DeviceMmioOverlap { device: device.index, range, base, size, with };
        if size == 0 {
            return Err(bad(MmioProblem::Empty));
        }
        if !base.is_multiple_of(PAGE_SIZE) || !size.is_multiple_of(PAGE_SIZE) {
            return Err(bad(MmioProblem::Misaligned));
        }
        let end = match base.checked_add(size) {
            Some(end) if end <= DEVICE_ADDRESS_LIMIT => end,
            _ => return Err(bad(MmioProblem::BeyondLimit)),
        };
        let mine = (base, end);
        let hits = |other: (u64, u64)| overlaps(mine, other).is_some();
        for d in self.devices().take(device.index as usize + 1) {
            let earlier = if d.index == device.index { range as usize } else { MAX_DEVICE_MMIO };
            if let Some(r) = d.mmio().take(earlier).position(|r| hits((r.base, r.end()))) {
                return Err(clash(MmioClash::Device { device: d.index, range: r as u32 }));
            }
        }
        for p in self.partitions() {
            if hits((p.phys_base, p.phys_base.saturating_add(p.memory_size))) {
                return Err(clash(MmioClash::PartitionMemory { partition: p.id }));
            }
            if p.id == device.partition && hits((p.ipa_base, p.ipa_base.saturating_add(p.memory_size))) {
                return Err(clash(MmioClash::PartitionIpa { partition: p.id }));
            }
        }
        for r in self.regions() {
            if hits((r.phys_base, r.phys_end())) {
                return Err(clash(MmioClash::RegionMemory { region: r.index }));
            }
            if r.access_of(device.partition).is_some() && hits((r.ipa_base, r.ipa_end())) {
                return Err(clash(MmioClash::RegionIpa { region: r.index }));
            }
        }
        if hits((GICC_IPA, GICC_IPA + GICC_SIZE)) {
            return Err(clash(MmioClash::GicCpuInterface));
        }
        Ok(())
    }

    /// The module record.
    pub fn module(&self) -> Module<'a> {
        Module::decode(self.record(Table::Module, 0).unwrap_or(&[]))
    }

    /// Schedule `index`, if it exists.
    pub fn schedule(&self, index: u32) -> Option<Schedule<'a>> {
        let rec = self.record(Table::Schedule, index)?;
        Some(Schedule::decode(index, rec, self.table_bytes(Table::Window)))
    }

    /// All schedules, in table order.
    pub fn schedules(&self) -> impl ExactSizeIterator<Item = Schedule<'a>> + use<'a> {
        let this = *self;
        (0..this.count(Table::Schedule) as usize)
            .map(move |i| this.schedule(i as u32).unwrap_or(Schedule::decode(i as u32, &[], &[])))
    }

    /// The schedule active at boot. Validation guarantees exactly one.
    pub fn initial_schedule(&self) -> (u32, Schedule<'a>) {
        self.schedules()
            .find(|s| s.initial)
            .or_else(|| self.schedule(0))
            .map_or((0, Schedule::decode(0, &[], &[])), |s| (s.index, s))
    }

    /// Partition with id `id`, if it exists.
    pub fn partition(&self, id: u32) -> Option<Partition<'a>> {
        let rec = self.record(Table::Partition, id)?;
        Some(Partition::decode(id, rec, self.table_bytes(Table::Segment), self.table_bytes(Table::Data)))
    }

    /// All partitions, by id.
    pub fn partitions(&self) -> impl ExactSizeIterator<Item = Partition<'a>> + use<'a> {
        let this = *self;
        (0..this.count(Table::Partition) as usize)
            .map(move |i| this.partition(i as u32).unwrap_or(Partition::decode(i as u32, &[], &[], &[])))
    }

    /// Thread `index`, if it exists.
    pub fn thread(&self, index: u32) -> Option<Thread<'a>> {
        Some(Thread::decode(index, self.record(Table::Thread, index)?))
    }

    /// All threads, in table order.
    pub fn threads(&self) -> impl ExactSizeIterator<Item = Thread<'a>> + use<'a> {
        let this = *self;
        (0..this.count(Table::Thread) as usize)
            .map(move |i| this.thread(i as u32).unwrap_or(Thread::decode(i as u32, &[])))
    }

    /// The threads of partition `id`.
    pub fn threads_of(&self, id: u32) -> impl Iterator<Item = Thread<'a>> + use<'a> {
        self.threads().filter(move |t| t.partition == id)
    }

    /// Channel `index`, if it exists.
    pub fn channel(&self, index: u32) -> Option<Channel<'a>> {
        let rec = self.record(Table::Channel, index)?;
        Some(Channel::decode(index, rec, self.table_bytes(Table::Port)))
    }

    /// All channels, in table order.
    pub fn channels(&self) -> impl ExactSizeIterator<Item = Channel<'a>> + use<'a> {
        let this = *self;
        (0..this.count(Table::Channel) as usize)
            .map(move |i| this.channel(i as u32).unwrap_or(Channel::decode(i as u32, &[], &[])))
    }

    /// Region `index`, if it exists.
    pub fn region(&self, index: u32) -> Option<MemoryRegion<'a>> {
        let rec = self.record(Table::Region, index)?;
        Some(MemoryRegion::decode(index, rec, self.table_bytes(Table::Mapping)))
    }

    /// All shared memory regions, in table order.
    pub fn regions(&self) -> impl ExactSizeIterator<Item = MemoryRegion<'a>> + use<'a> {
        let this = *self;
        (0..this.count(Table::Region) as usize)
            .map(move |i| this.region(i as u32).unwrap_or(MemoryRegion::decode(i as u32, &[], &[])))
    }

    /// The regions partition `id` maps, each with its access there, in
    /// table order.
    pub fn regions_of(&self, id: u32) -> impl Iterator<Item = (MemoryRegion<'a>, RegionAccess)> + use<'a> {
        self.regions().filter_map(move |r| Some((r, r.access_of(id)?)))
    }

    /// Device `index`, if it exists.
    pub fn device(&self, index: u32) -> Option<Device<'a>> {
        Some(Device::decode(index, self.record(Table::Device, index)?))
    }

    /// Every device, in table order.
    pub fn devices(&self) -> impl ExactSizeIterator<Item = Device<'a>> + use<'a> {
        let this = *self;
        (0..this.count(Table::Device) as usize)
            .map(move |i| this.device(i as u32).unwrap_or(Device::decode(i as u32, &[])))
    }

    /// The devices partition `id` owns, in table order.
    pub fn devices_of(&self, id: u32) -> impl Iterator<Item = Device<'a>> + use<'a> {
        self.devices().filter(move |d| d.partition == id)
    }

    /// The device that has interrupt `intid`, if any.
    pub fn device_with_interrupt(&self, intid: u32) -> Option<Device<'a>> {
        self.devices().find(|d| d.interrupts().any(|i| i == intid))
    }

    /// The action for an error of `kind` in `partition`, as configured:
    /// the partition's own entry, else the module's, else the kind's
    /// default. What the health monitor carries out is
    /// [`SystemImage::health_decision`]'s (a module-wide `halt_module` does
    /// not halt for a normal partition).
    pub fn health_action(&self, partition: u32, kind: ErrorKind) -> HealthAction {
        // As decided for a system partition: nothing refused.
        decide_health(self.configured_health_actions(), partition, true, kind).action
    }

    /// What the health monitor does about an error of `kind` in
    /// `partition` ([`decide_health`]). A partition of no record is treated
    /// as a normal one with no entries of its own.
    /// A module event ([`ErrorKind::module_event`]) is asked with
    /// `partition` = [`SPARE`]: the module's table decides, nothing is
    /// refused.
    pub fn health_decision(&self, partition: u32, kind: ErrorKind) -> HealthDecision {
        let system = partition == SPARE || self.partition(partition).is_some_and(|p| p.system);
        decide_health(self.configured_health_actions(), partition, system, kind)
    }

    /// The health table's entries, module defaults and partitions' own, in
    /// table order.
    pub fn configured_health_actions(&self) -> impl Iterator<Item = HealthEntry> + use<'a> {
        self.table_bytes(Table::Health).chunks_exact(Table::Health.record_size()).filter_map(|rec| {
            let partition = u32_at(rec, off::HEALTH_PART);
            Some(HealthEntry {
                partition: (partition != SPARE).then_some(partition),
                kind: ErrorKind::from_code(u32_at(rec, off::HEALTH_KIND))?,
                action: HealthAction::from_code(u32_at(rec, off::HEALTH_ACTION))?,
                schedule: u32_at(rec, off::HEALTH_SCHEDULE),
            })
        })
    }
}
