//! Why a system image was rejected. Every variant names the table, record and
//! field involved and carries the numbers that clash, so the kernel's boot
//! refusal ("system image: partition[1].memory_size: ...") says what and where.

use crate::layout::Table;
use core::fmt;

/// A record: table and index (`partition[2]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordRef {
    /// The table.
    pub table: Table,
    /// Index of the record in its table.
    pub index: u32,
}

impl RecordRef {
    pub(crate) const fn new(table: Table, index: u32) -> Self {
        RecordRef { table, index }
    }
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.table, self.index)
    }
}

/// What is wrong with a name field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameProblem {
    /// The record is too short to hold a name (cannot happen for valid tables).
    Missing,
    /// Length byte 0.
    Empty,
    /// Length byte larger than [`crate::NAME_MAX_LEN`].
    TooLong {
        /// The length byte.
        len: usize,
    },
    /// Bytes after the name are not zero.
    NonZeroPadding,
    /// The name bytes are not UTF-8.
    NotUtf8 {
        /// Bytes of valid UTF-8 before the first bad one.
        valid_up_to: usize,
    },
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Missing => f.write_str("record too short for a name"),
            NameProblem::Empty => f.write_str("empty name"),
            NameProblem::TooLong { len } => {
                write!(f, "length {len} exceeds {}", crate::NAME_MAX_LEN)
            }
            NameProblem::NonZeroPadding => f.write_str("non-zero bytes after the name"),
            NameProblem::NotUtf8 { valid_up_to } => {
                write!(f, "not UTF-8 (valid up to byte {valid_up_to})")
            }
        }
    }
}

/// What is wrong with a device's MMIO range on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmioProblem {
    /// Size 0.
    Empty,
    /// Base or size not a multiple of [`crate::PAGE_SIZE`].
    Misaligned,
    /// It reaches past [`crate::DEVICE_ADDRESS_LIMIT`] (4 GiB, what a
    /// partition's stage 2 translates).
    BeyondLimit,
}

/// What a device's MMIO range overlaps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmioClash {
    /// A range of a device (this one or an earlier one).
    Device {
        /// The device.
        device: u32,
        /// Its range.
        range: u32,
    },
    /// The IPA range of the owning partition's memory.
    PartitionIpa {
        /// The partition.
        partition: u32,
    },
    /// A partition's physical memory (the device is mapped at its
    /// physical address, so this would map that memory).
    PartitionMemory {
        /// The partition.
        partition: u32,
    },
    /// The IPA of a region the owning partition maps.
    RegionIpa {
        /// The region.
        region: u32,
    },
    /// A region's physical memory.
    RegionMemory {
        /// The region.
        region: u32,
    },
    /// The partition's GIC CPU interface, [`crate::GICC_IPA`].
    GicCpuInterface,
}

impl fmt::Display for MmioClash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MmioClash::Device { device, range } => write!(f, "device[{device}].mmio[{range}]"),
            MmioClash::PartitionIpa { partition } => write!(f, "the memory IPA range of its partition[{partition}]"),
            MmioClash::PartitionMemory { partition } => write!(f, "the physical memory of partition[{partition}]"),
            MmioClash::RegionIpa { region } => write!(f, "the IPA of region[{region}], which its partition maps"),
            MmioClash::RegionMemory { region } => write!(f, "the physical memory of region[{region}]"),
            MmioClash::GicCpuInterface => write!(
                f,
                "the GIC CPU interface at IPA {:#x}..{:#x}",
                crate::GICC_IPA,
                crate::GICC_IPA + crate::GICC_SIZE
            ),
        }
    }
}

/// Why [`crate::SystemImage::parse`] rejected an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// Fewer bytes than the header or than `total_len`.
    Truncated {
        /// Bytes needed.
        need: u64,
        /// Bytes given.
        have: usize,
    },
    /// The first eight bytes are not [`crate::MAGIC`].
    BadMagic {
        /// The bytes found.
        found: [u8; 8],
    },
    /// A format version this parser does not read.
    UnsupportedVersion {
        /// Version in the header.
        found: u32,
    },
    /// `total_len` is smaller than the header.
    BadTotalLength {
        /// `total_len` in the header.
        total_len: u32,
    },
    /// The CRC-32 over `20..total_len` does not match the header.
    ChecksumMismatch {
        /// CRC in the header.
        stored: u32,
        /// CRC of the bytes.
        computed: u32,
    },
    /// The directory does not have [`crate::TABLE_COUNT`] entries.
    BadTableCount {
        /// Count in the header.
        found: u32,
    },
    /// A table runs outside `HEADER_SIZE..total_len`.
    TableOutOfBounds {
        /// The table.
        table: Table,
        /// Its offset.
        offset: u32,
        /// Its record count.
        count: u32,
        /// `total_len`.
        total_len: u32,
    },
    /// Two tables share bytes.
    TablesOverlap {
        /// One table.
        first: Table,
        /// The other.
        second: Table,
    },
    /// The module table does not hold exactly one record.
    ModuleCount {
        /// Records found.
        count: u32,
    },
    /// A name field is malformed.
    BadName {
        /// The record.
        at: RecordRef,
        /// What is wrong.
        problem: NameProblem,
    },
    /// Two records of one table (or, for threads and ports, of one partition)
    /// have the same name.
    DuplicateName {
        /// The first record.
        first: RecordRef,
        /// The second record.
        second: RecordRef,
    },
    /// A field that must be non-zero is zero.
    Zero {
        /// The record.
        at: RecordRef,
        /// The field.
        field: &'static str,
    },
    /// A reserved field is not zero.
    ReservedNotZero {
        /// The record.
        at: RecordRef,
        /// The field.
        field: &'static str,
    },
    /// A flags or enumeration field has a value this version does not define.
    UnknownValue {
        /// The record.
        at: RecordRef,
        /// The field.
        field: &'static str,
        /// The value.
        value: u32,
    },
    /// `core_count` is 0 or more than [`crate::MAX_CORES`].
    BadCoreCount {
        /// The count.
        count: u32,
    },
    /// No schedule has the initial flag.
    NoInitialSchedule,
    /// More than one schedule has the initial flag.
    SeveralInitialSchedules {
        /// First initial schedule.
        first: u32,
        /// Second initial schedule.
        second: u32,
    },
    /// A record's sub-range (`window_start`, `segment_start`, `port_start`)
    /// does not start right after the previous record's range.
    RangeNotContiguous {
        /// The record.
        at: RecordRef,
        /// The start field.
        field: &'static str,
        /// Its value.
        start: u32,
        /// The value that would follow the previous range.
        expected: u32,
    },
    /// A record's sub-range runs past the end of the table it indexes.
    RangeOutOfBounds {
        /// The record.
        at: RecordRef,
        /// The start field.
        field: &'static str,
        /// Start index.
        start: u32,
        /// Count.
        count: u32,
        /// Records in the indexed table.
        available: u32,
    },
    /// Records at the end of an indexed table belong to no owner.
    UnownedRecords {
        /// The indexed table.
        table: Table,
        /// Records owned.
        owned: u32,
        /// Records in the table.
        count: u32,
    },
    /// The windows of a schedule add up to more than its major frame.
    WindowsExceedMajorFrame {
        /// Schedule index.
        schedule: u32,
        /// Sum of its window durations, ns (saturated at `u64::MAX`).
        sum_ns: u64,
        /// Major frame, ns.
        major_frame_ns: u64,
    },
    /// An index field names a record that does not exist.
    IndexOutOfRange {
        /// The record.
        at: RecordRef,
        /// The field.
        field: &'static str,
        /// The index.
        value: u32,
        /// Records in the indexed table.
        limit: u32,
    },
    /// A partition's `id` is not its index.
    PartitionIdMismatch {
        /// Index in the table.
        index: u32,
        /// The `id` field.
        id: u32,
    },
    /// An address or size is not a multiple of [`crate::PAGE_SIZE`].
    Misaligned {
        /// The record.
        at: RecordRef,
        /// The field.
        field: &'static str,
        /// The value.
        value: u64,
    },
    /// `base + size` overflows 64 bits.
    AddressOverflow {
        /// The record.
        at: RecordRef,
        /// The base field.
        field: &'static str,
    },
    /// Two partitions' physical memory overlaps.
    PartitionsOverlap {
        /// First partition id.
        first: u32,
        /// Second partition id.
        second: u32,
        /// Start of the shared range.
        start: u64,
        /// End of the shared range (exclusive).
        end: u64,
    },
    /// A segment's file bytes exceed its memory size.
    SegmentFileExceedsMemory {
        /// The segment.
        segment: u32,
        /// `file_size`.
        file_size: u32,
        /// `mem_size`.
        mem_size: u64,
    },
    /// A segment ends past its partition's memory.
    SegmentOutsidePartition {
        /// The segment.
        segment: u32,
        /// The owning partition.
        partition: u32,
        /// `load_offset + mem_size` (saturated).
        end: u64,
        /// The partition's `memory_size`.
        memory_size: u64,
    },
    /// Two segments of one partition overlap.
    SegmentsOverlap {
        /// The partition.
        partition: u32,
        /// One segment.
        first: u32,
        /// The other.
        second: u32,
    },
    /// A segment's file bytes lie outside the data table.
    SegmentDataOutOfBounds {
        /// The segment.
        segment: u32,
        /// `data_offset`.
        data_offset: u32,
        /// `file_size`.
        file_size: u32,
        /// Bytes in the data table.
        data_len: u32,
    },
    /// A partition's entry point is outside its memory.
    EntryOutsidePartition {
        /// The partition.
        partition: u32,
        /// `entry_ipa`.
        entry_ipa: u64,
        /// `ipa_base`.
        ipa_base: u64,
        /// `memory_size`.
        memory_size: u64,
    },
    /// A thread's affinity is empty or names a core the module lacks.
    BadAffinity {
        /// The thread.
        thread: u32,
        /// Its affinity mask.
        affinity: u32,
        /// Module cores.
        core_count: u32,
    },
    /// A thread's deadline is longer than its period.
    DeadlineExceedsPeriod {
        /// The thread.
        thread: u32,
        /// Deadline, ns.
        deadline_ns: u64,
        /// Period, ns.
        period_ns: u64,
    },
    /// A thread comes after a thread of a later partition: the thread
    /// table must hold each partition's threads together, partitions in
    /// order (the kernel numbers threads partition by partition).
    ThreadsNotGrouped {
        /// The thread.
        thread: u32,
        /// Its partition.
        partition: u32,
        /// The partition of the thread before it.
        previous: u32,
    },
    /// A partition has no thread.
    NoThreads {
        /// The partition.
        partition: u32,
    },
    /// A channel's kind-specific field is set for the other kind.
    ChannelFieldForOtherKind {
        /// The channel.
        channel: u32,
        /// The stray field.
        field: &'static str,
    },
    /// A channel has fewer than two ports.
    TooFewPorts {
        /// The channel.
        channel: u32,
        /// Ports it has.
        count: u32,
    },
    /// A port's direction does not match its place (first = source).
    BadPortDirection {
        /// The port.
        port: u32,
        /// The channel.
        channel: u32,
    },
    /// A partition's heap is larger than its memory (whether it fits
    /// beside the image and the stacks is [`crate::MemoryMap::validate`]'s
    /// to say).
    HeapLargerThanMemory {
        /// The partition.
        partition: u32,
        /// Its `heap_size`, bytes.
        heap_size: u64,
        /// Its `memory_size`, bytes.
        memory_size: u64,
    },
    /// A partition's console buffer is outside
    /// [`crate::CONSOLE_BUFFER_MIN`]..=[`crate::CONSOLE_BUFFER_MAX`].
    ConsoleBufferOutOfRange {
        /// The partition.
        partition: u32,
        /// Its `console_buffer`, bytes.
        size: u32,
    },
    /// The partitions' console buffers sum to more than
    /// [`crate::CONSOLE_BUFFER_TOTAL_MAX`].
    ConsoleBuffersExceedTotal {
        /// The sum, bytes.
        total: u64,
    },
    /// Two health records configure the same error kind for the same
    /// partition (or both for the module).
    DuplicateHealthKind {
        /// First record.
        first: u32,
        /// Second record.
        second: u32,
        /// The partition both cover, or [`crate::SPARE`] for the module.
        partition: u32,
    },
    /// A health record for a module event (`missed_boundary`) names a
    /// partition, or an action that needs one.
    ModuleEventHealth {
        /// The health record.
        index: u32,
        /// The partition it names, or [`crate::SPARE`].
        partition: u32,
        /// Its action's code.
        action: u32,
    },
    /// A region's physical memory overlaps a partition's.
    RegionOverlapsPartition {
        /// The region.
        region: u32,
        /// The partition.
        partition: u32,
        /// Start of the shared range.
        start: u64,
        /// End of the shared range (exclusive).
        end: u64,
    },
    /// Two regions' physical memory overlaps.
    RegionsOverlap {
        /// The earlier region.
        first: u32,
        /// The later region.
        second: u32,
        /// Start of the shared range.
        start: u64,
        /// End of the shared range (exclusive).
        end: u64,
    },
    /// A region's IPA range, in a partition that maps it, overlaps the
    /// partition's own memory or another region it maps.
    RegionIpaOverlap {
        /// The region.
        region: u32,
        /// The partition.
        partition: u32,
        /// The earlier region it overlaps there, or `None` for the
        /// partition's own memory.
        other: Option<u32>,
    },
    /// A region maps into one partition twice.
    RegionMappedTwice {
        /// The region.
        region: u32,
        /// The partition.
        partition: u32,
    },
    /// More device records than [`crate::MAX_DEVICES`].
    TooManyDevices {
        /// Records in the device table.
        count: u32,
    },
    /// A device's `mmio_count` or `interrupt_count` exceeds its record's
    /// slots ([`crate::MAX_DEVICE_MMIO`], [`crate::MAX_DEVICE_INTERRUPTS`]).
    DeviceListTooLong {
        /// The device.
        device: u32,
        /// The count field.
        field: &'static str,
        /// Its value.
        count: u32,
        /// The slots.
        max: u32,
    },
    /// A device has neither an MMIO range nor an interrupt.
    DeviceEmpty {
        /// The device.
        device: u32,
    },
    /// A device's MMIO range is empty, not whole pages, or past 4 GiB.
    DeviceMmioBad {
        /// The device.
        device: u32,
        /// Index of the range in the device.
        range: u32,
        /// Its base.
        base: u64,
        /// Its size.
        size: u64,
        /// What is wrong.
        problem: MmioProblem,
    },
    /// A device's MMIO range overlaps another device's range, partition
    /// or region memory, or its partition's GIC CPU interface.
    DeviceMmioOverlap {
        /// The device.
        device: u32,
        /// Index of the range in the device.
        range: u32,
        /// Its base.
        base: u64,
        /// Its size.
        size: u64,
        /// What it overlaps.
        with: MmioClash,
    },
    /// A device's interrupt is not an SPI ([`crate::FIRST_SPI`]..=[`crate::LAST_SPI`]).
    DeviceInterruptNotSpi {
        /// The device.
        device: u32,
        /// The INTID.
        intid: u32,
    },
    /// An interrupt is listed twice, by one device or two.
    DeviceInterruptTwice {
        /// The device that lists it the second time.
        device: u32,
        /// The INTID.
        intid: u32,
        /// The device that lists it first (may be `device`).
        first: u32,
    },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ImageError as E;
        match *self {
            E::Truncated { need, have } => {
                write!(f, "truncated: need {need} bytes, have {have}")
            }
            E::BadMagic { found } => {
                write!(f, "header.magic: expected \"BULKHEAD\", found {found:02x?}")
            }
            E::UnsupportedVersion { found } => {
                write!(f, "header.version: format version {found}, this kernel reads version {}", crate::FORMAT_VERSION)
            }
            E::BadTotalLength { total_len } => {
                write!(f, "header.total_len: {total_len} is smaller than the {}-byte header", crate::HEADER_SIZE)
            }
            E::ChecksumMismatch { stored, computed } => {
                write!(f, "header.crc32: stored {stored:#010x}, computed {computed:#010x}")
            }
            E::BadTableCount { found } => {
                write!(f, "header.table_count: {found}, version {} has {}", crate::FORMAT_VERSION, crate::TABLE_COUNT)
            }
            E::TableOutOfBounds { table, offset, count, total_len } => write!(
                f,
                "directory.{table}: {count} records at offset {offset} run outside bytes {}..{total_len}",
                crate::HEADER_SIZE
            ),
            E::TablesOverlap { first, second } => {
                write!(f, "directory: tables {first} and {second} overlap")
            }
            E::ModuleCount { count } => {
                write!(f, "directory.module: {count} records, expected exactly 1")
            }
            E::BadName { at, problem } => write!(f, "{at}.name: {problem}"),
            E::DuplicateName { first, second } => {
                write!(f, "{second}.name: same name as {first}")
            }
            E::Zero { at, field } => write!(f, "{at}.{field}: must not be 0"),
            E::ReservedNotZero { at, field } => write!(f, "{at}.{field}: reserved, must be 0"),
            E::UnknownValue { at, field, value } => {
                write!(f, "{at}.{field}: unknown value {value:#x}")
            }
            E::BadCoreCount { count } => write!(f, "module[0].core_count: {count}, must be 1..={}", crate::MAX_CORES),
            E::NoInitialSchedule => f.write_str("schedule: no schedule is marked initial"),
            E::SeveralInitialSchedules { first, second } => {
                write!(f, "schedule[{second}].flags: initial, but schedule[{first}] is initial too")
            }
            E::RangeNotContiguous { at, field, start, expected } => {
                write!(f, "{at}.{field}: {start}, expected {expected} (ranges follow one another)")
            }
            E::RangeOutOfBounds { at, field, start, count, available } => {
                write!(f, "{at}.{field}: records {start}..{start}+{count} past the {available} in the table")
            }
            E::UnownedRecords { table, owned, count } => {
                write!(f, "{table}: {count} records but only {owned} belong to an owner")
            }
            E::WindowsExceedMajorFrame { schedule, sum_ns, major_frame_ns } => {
                write!(f, "schedule[{schedule}]: windows sum to {sum_ns} ns, major frame is {major_frame_ns} ns")
            }
            E::IndexOutOfRange { at, field, value, limit } => {
                write!(f, "{at}.{field}: {value} names no record (there are {limit})")
            }
            E::PartitionIdMismatch { index, id } => {
                write!(f, "partition[{index}].id: {id}, must equal its index {index}")
            }
            E::Misaligned { at, field, value } => {
                write!(f, "{at}.{field}: {value:#x} is not a multiple of {:#x}", crate::PAGE_SIZE)
            }
            E::AddressOverflow { at, field } => {
                write!(f, "{at}.{field}: base + size overflows 64 bits")
            }
            E::PartitionsOverlap { first, second, start, end } => {
                write!(f, "partition[{second}].phys_base: memory overlaps partition[{first}] at {start:#x}..{end:#x}")
            }
            E::SegmentFileExceedsMemory { segment, file_size, mem_size } => {
                write!(f, "segment[{segment}].file_size: {file_size} bytes exceed mem_size {mem_size}")
            }
            E::SegmentOutsidePartition { segment, partition, end, memory_size } => write!(
                f,
                "segment[{segment}]: ends at offset {end:#x}, past partition[{partition}].memory_size {memory_size:#x}"
            ),
            E::SegmentsOverlap { partition, first, second } => {
                write!(f, "segment[{second}]: overlaps segment[{first}] in partition[{partition}]")
            }
            E::SegmentDataOutOfBounds { segment, data_offset, file_size, data_len } => write!(
                f,
                "segment[{segment}].data_offset: bytes {data_offset}..{data_offset}+{file_size} outside the {data_len}-byte data table"
            ),
            E::EntryOutsidePartition { partition, entry_ipa, ipa_base, memory_size } => {
                write!(f, "partition[{partition}].entry_ipa: {entry_ipa:#x} outside {ipa_base:#x}+{memory_size:#x}")
            }
            E::BadAffinity { thread, affinity, core_count } => write!(
                f,
                "thread[{thread}].affinity: {affinity:#x} names no core or a core outside the module's {core_count}"
            ),
            E::DeadlineExceedsPeriod { thread, deadline_ns, period_ns } => {
                write!(f, "thread[{thread}].deadline_ns: {deadline_ns} exceeds period_ns {period_ns}")
            }
            E::ThreadsNotGrouped { thread, partition, previous } => write!(
                f,
                "thread[{thread}].partition: {partition} after a thread of partition {previous}: threads must be grouped by partition, in partition order"
            ),
            E::NoThreads { partition } => write!(f, "partition[{partition}]: no thread"),
            E::ChannelFieldForOtherKind { channel, field } => {
                write!(f, "channel[{channel}].{field}: set, but belongs to the other channel kind")
            }
            E::TooFewPorts { channel, count } => {
                write!(f, "channel[{channel}].port_count: {count}, need a source and at least one destination")
            }
            E::BadPortDirection { port, channel } => write!(
                f,
                "port[{port}].direction: wrong for its place in channel[{channel}] (first port is the source, the rest destinations)"
            ),
            E::HeapLargerThanMemory { partition, heap_size, memory_size } => write!(
                f,
                "partition[{partition}].heap_size: {heap_size:#x} bytes, more than its memory_size {memory_size:#x}"
            ),
            E::ConsoleBufferOutOfRange { partition, size } => write!(
                f,
                "partition[{partition}].console_buffer: {size} bytes, must be {}..={}",
                crate::CONSOLE_BUFFER_MIN,
                crate::CONSOLE_BUFFER_MAX
            ),
            E::ConsoleBuffersExceedTotal { total } => write!(
                f,
                "partition: console_buffer sums to {total} bytes over all partitions, more than {}",
                crate::CONSOLE_BUFFER_TOTAL_MAX
            ),
            E::DuplicateHealthKind { first, second, partition: crate::SPARE } => {
                write!(f, "health[{second}].error_kind: already configured for the module by health[{first}]")
            }
            E::DuplicateHealthKind { first, second, partition } => write!(
                f,
                "health[{second}].error_kind: already configured for partition[{partition}] by health[{first}]"
            ),
            E::ModuleEventHealth { index, partition, action } if partition != crate::SPARE => write!(
                f,
                "health[{index}].partition: {partition}, but a module event (missed_boundary) has no partition: only the module's table configures it (action {action})"
            ),
            E::ModuleEventHealth { index, action, .. } => write!(
                f,
                "health[{index}].action: {action} needs a partition, which a module event (missed_boundary) has none of: log (1), halt_module (4) or switch_schedule (8)"
            ),
            E::RegionOverlapsPartition { region, partition, start, end } => {
                write!(f, "region[{region}].phys_base: memory overlaps partition[{partition}] at {start:#x}..{end:#x}")
            }
            E::RegionsOverlap { first, second, start, end } => {
                write!(f, "region[{second}].phys_base: memory overlaps region[{first}] at {start:#x}..{end:#x}")
            }
            E::RegionIpaOverlap { region, partition, other: None } => {
                write!(f, "region[{region}].ipa_base: overlaps the memory of partition[{partition}], which maps it")
            }
            E::RegionIpaOverlap { region, partition, other: Some(other) } => write!(
                f,
                "region[{region}].ipa_base: overlaps region[{other}] in partition[{partition}], which maps both"
            ),
            E::RegionMappedTwice { region, partition } => {
                write!(f, "region[{region}]: mapped into partition[{partition}] twice")
            }
            E::TooManyDevices { count } => {
                write!(f, "directory.device: {count} records, at most {}", crate::MAX_DEVICES)
            }
            E::DeviceListTooLong { device, field, count, max } => {
                write!(f, "device[{device}].{field}: {count}, the record holds at most {max}")
            }
            E::DeviceEmpty { device } => write!(f, "device[{device}]: neither an MMIO range nor an interrupt"),
            E::DeviceMmioBad { device, range, base, size, problem } => {
                let why = match problem {
                    MmioProblem::Empty => "is empty",
                    MmioProblem::Misaligned => "is not whole 4 KiB pages",
                    MmioProblem::BeyondLimit => "reaches past 4 GiB, beyond a partition's stage 2",
                };
                write!(f, "device[{device}].mmio[{range}]: {base:#x}+{size:#x} {why}")
            }
            E::DeviceMmioOverlap { device, range, base, size, with } => {
                write!(f, "device[{device}].mmio[{range}]: {base:#x}+{size:#x} overlaps {with}")
            }
            E::DeviceInterruptNotSpi { device, intid } => write!(
                f,
                "device[{device}].interrupts: {intid} is not an SPI ({}..={})",
                crate::FIRST_SPI,
                crate::LAST_SPI
            ),
            E::DeviceInterruptTwice { device, intid, first } if first == device => {
                write!(f, "device[{device}].interrupts: {intid} listed twice")
            }
            E::DeviceInterruptTwice { device, intid, first } => {
                write!(f, "device[{device}].interrupts: {intid} is device[{first}]'s already")
            }
        }
    }
}

impl core::error::Error for ImageError {}
