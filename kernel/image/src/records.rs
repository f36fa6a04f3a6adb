//! Decoded views of the fixed-size records: small `Copy` structs whose names
//! and segment bytes borrow from the image (zero copy). Decoding here never
//! fails loudly: [`crate::SystemImage::parse`] has already checked every field,
//! and a read past a slice yields 0 or an empty slice rather than a panic.

use crate::error::NameProblem;
use crate::layout::{NAME_MAX_LEN, NAME_SIZE, SPARE, Table, off};

pub(crate) fn u32_at(rec: &[u8], at: usize) -> u32 {
    at.checked_add(4)
        .and_then(|end| rec.get(at..end))
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map_or(0, u32::from_le_bytes)
}

pub(crate) fn u64_at(rec: &[u8], at: usize) -> u64 {
    at.checked_add(8)
        .and_then(|end| rec.get(at..end))
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map_or(0, u64::from_le_bytes)
}

/// Decode the name field at the start of a record.
pub(crate) fn name_at(rec: &[u8]) -> Result<&str, NameProblem> {
    let field = rec.get(..NAME_SIZE).ok_or(NameProblem::Missing)?;
    let len = usize::from(*field.first().ok_or(NameProblem::Missing)?);
    if len == 0 {
        return Err(NameProblem::Empty);
    }
    if len > NAME_MAX_LEN {
        return Err(NameProblem::TooLong { len });
    }
    let bytes = field.get(1..=len).ok_or(NameProblem::Missing)?;
    let padding = field.get(len + 1..).unwrap_or(&[]);
    if padding.iter().any(|&b| b != 0) {
        return Err(NameProblem::NonZeroPadding);
    }
    core::str::from_utf8(bytes).map_err(|e| NameProblem::NotUtf8 { valid_up_to: e.valid_up_to() })
}

fn name_or_empty(rec: &[u8]) -> &str {
    name_at(rec).unwrap_or("")
}

/// The module record: the whole system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Module<'a> {
    /// Module name from the system description.
    pub name: &'a str,
    /// Cores the module uses (1..=[`crate::MAX_CORES`]); affinities name only these.
    pub core_count: u32,
    /// Console speed, baud (never 0). Whether the board's UART clock can
    /// make it is the board's word (`bulkhead_board_rpi4::console::pl011_divisor`).
    pub console_baud: u32,
}

impl<'a> Module<'a> {
    pub(crate) fn decode(rec: &'a [u8]) -> Self {
        Module {
            name: name_or_empty(rec),
            core_count: u32_at(rec, off::MODULE_CORES),
            console_baud: u32_at(rec, off::MODULE_BAUD),
        }
    }
}

/// One schedule: a major frame and its windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule<'a> {
    /// Index in the schedule table (the id a system partition switches to).
    pub index: u32,
    /// Schedule name.
    pub name: &'a str,
    /// Length of the major frame, ns.
    pub major_frame_ns: u64,
    /// The schedule active at boot (exactly one is).
    pub initial: bool,
    pub(crate) window_records: &'a [u8],
}

impl<'a> Schedule<'a> {
    pub(crate) fn decode(index: u32, rec: &'a [u8], windows: &'a [u8]) -> Self {
        let start = u32_at(rec, off::SCHED_WSTART) as usize;
        let count = u32_at(rec, off::SCHED_WCOUNT) as usize;
        let size = Table::Window.record_size();
        let window_records = start
            .checked_mul(size)
            .zip(count.checked_mul(size))
            .and_then(|(a, n)| windows.get(a..a.checked_add(n)?))
            .unwrap_or(&[]);
        Schedule {
            index,
            name: name_or_empty(rec),
            major_frame_ns: u64_at(rec, off::SCHED_MAJOR),
            initial: u32_at(rec, off::SCHED_FLAGS) & off::SCHED_FLAG_INITIAL != 0,
            window_records,
        }
    }

    /// The windows in frame order, each with its offset in the major frame.
    pub fn windows(&self) -> Windows<'a> {
        Windows { records: self.window_records.chunks_exact(Table::Window.record_size()), offset_ns: 0 }
    }

    /// Number of windows.
    pub fn window_count(&self) -> usize {
        self.window_records.len() / Table::Window.record_size()
    }

    /// Time in the major frame after the last window (spare at the end), ns.
    pub fn trailing_spare_ns(&self) -> u64 {
        let used = self.windows().fold(0u64, |sum, w| sum.saturating_add(w.duration_ns));
        self.major_frame_ns.saturating_sub(used)
    }
}

/// One window of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Start of the window from the start of the major frame, ns.
    pub offset_ns: u64,
    /// Length of the window, ns (never 0).
    pub duration_ns: u64,
    /// Partition id that owns the window, `None` for spare time.
    pub owner: Option<u32>,
}

/// Iterator over a schedule's windows.
#[derive(Clone, Debug)]
pub struct Windows<'a> {
    records: core::slice::ChunksExact<'a, u8>,
    offset_ns: u64,
}

impl Iterator for Windows<'_> {
    type Item = Window;
    fn next(&mut self) -> Option<Window> {
        let rec = self.records.next()?;
        let duration_ns = u64_at(rec, off::WIN_DURATION);
        let owner = match u32_at(rec, off::WIN_OWNER) {
            SPARE => None,
            id => Some(id),
        };
        let offset_ns = self.offset_ns;
        self.offset_ns = offset_ns.saturating_add(duration_ns);
        Some(Window { offset_ns, duration_ns, owner })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

impl ExactSizeIterator for Windows<'_> {}

/// Permission bits of a segment, as the ELF `p_flags` it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SegmentFlags(pub u32);

impl SegmentFlags {
    /// Readable.
    pub const READ: u32 = 1;
    /// Writable.
    pub const WRITE: u32 = 2;
    /// Executable.
    pub const EXECUTE: u32 = 4;
    /// Every bit this version defines.
    pub const ALL: u32 = Self::READ | Self::WRITE | Self::EXECUTE;

    /// Whether every bit of `bits` is set.
    pub const fn contains(self, bits: u32) -> bool {
        self.0 & bits == bits
    }
}

/// A partition descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition<'a> {
    /// Small stable id: the index in the partition table (declaration order).
    pub id: u32,
    /// Partition name.
    pub name: &'a str,
    /// A system partition may switch schedules, move threads, restart others.
    pub system: bool,
    /// The description allows its memory to be writable and executable at
    /// once (`allow_write_execute`): only then may a page of it be both
    /// ([`crate::MemoryMap`]).
    pub write_execute: bool,
    /// The partition initialises itself (`initialization`): it starts in
    /// COLD_START with only its first thread running, and enters NORMAL
    /// with `SetPartitionMode`. Without it the kernel starts it in NORMAL
    /// with every thread running.
    pub initialization: bool,
    /// Physical base of its memory, assigned by the tool, page aligned.
    pub phys_base: u64,
    /// Bytes of memory, page multiple, never 0.
    pub memory_size: u64,
    /// Where the memory appears in the partition's (stage-2 input) address space.
    pub ipa_base: u64,
    /// Entry point of its threads, an address inside `ipa_base..ipa_base + memory_size`.
    pub entry_ipa: u64,
    /// Its share of the console: bytes of its output buffer in the kernel,
    /// [`crate::CONSOLE_BUFFER_MIN`]..=[`crate::CONSOLE_BUFFER_MAX`]; all
    /// partitions' together at most [`crate::CONSOLE_BUFFER_TOTAL_MAX`].
    pub console_buffer: u32,
    /// Bytes of its heap, whole pages, 0 for none (the description's
    /// `heap`): at most its memory; where it lies is
    /// [`crate::MemoryMap::heap`]'s to say.
    pub heap_size: u64,
    pub(crate) segment_records: &'a [u8],
    pub(crate) data: &'a [u8],
}

impl<'a> Partition<'a> {
    pub(crate) fn decode(index: u32, rec: &'a [u8], segments: &'a [u8], data: &'a [u8]) -> Self {
        let start = u32_at(rec, off::PART_SSTART) as usize;
        let count = u32_at(rec, off::PART_SCOUNT) as usize;
        let size = Table::Segment.record_size();
        let segment_records = start
            .checked_mul(size)
            .zip(count.checked_mul(size))
            .and_then(|(a, n)| segments.get(a..a.checked_add(n)?))
            .unwrap_or(&[]);
        Partition {
            id: index,
            name: name_or_empty(rec),
            system: u32_at(rec, off::PART_FLAGS) & off::PART_FLAG_SYSTEM != 0,
            write_execute: u32_at(rec, off::PART_FLAGS) & off::PART_FLAG_WRITE_EXECUTE != 0,
            initialization: u32_at(rec, off::PART_FLAGS) & off::PART_FLAG_INITIALIZATION != 0,
            phys_base: u64_at(rec, off::PART_PHYS),
            memory_size: u64_at(rec, off::PART_SIZE),
            ipa_base: u64_at(rec, off::PART_IPA),
            entry_ipa: u64_at(rec, off::PART_ENTRY),
            console_buffer: u32_at(rec, off::PART_CONSOLE),
            heap_size: u64_at(rec, off::PART_HEAP),
            segment_records,
            data,
        }
    }

    /// The loadable segments of the partition's image.
    pub fn segments(&self) -> Segments<'a> {
        Segments { records: self.segment_records.chunks_exact(Table::Segment.record_size()), data: self.data }
    }

    /// One past the last physical byte of the partition's memory.
    pub fn phys_end(&self) -> u64 {
        self.phys_base.saturating_add(self.memory_size)
    }
}

/// A loadable segment: copy `data` to `load_offset` in the partition's
/// memory and zero the rest of `mem_size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Offset from the start of the partition's memory.
    pub load_offset: u64,
    /// Bytes the segment occupies in memory (>= `data.len()`).
    pub mem_size: u64,
    /// Permissions.
    pub flags: SegmentFlags,
    /// The file bytes, borrowed from the image.
    pub data: &'a [u8],
}

impl<'a> Segment<'a> {
    pub(crate) fn decode(rec: &[u8], data: &'a [u8]) -> Self {
        let start = u32_at(rec, off::SEG_DATA) as usize;
        let len = u32_at(rec, off::SEG_FILE) as usize;
        Segment {
            load_offset: u64_at(rec, off::SEG_LOAD),
            mem_size: u64_at(rec, off::SEG_MEM),
            flags: SegmentFlags(u32_at(rec, off::SEG_FLAGS)),
            data: start.checked_add(len).and_then(|end| data.get(start..end)).unwrap_or(&[]),
        }
    }
}

/// Iterator over a partition's segments.
#[derive(Clone, Debug)]
pub struct Segments<'a> {
    records: core::slice::ChunksExact<'a, u8>,
    data: &'a [u8],
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;
    fn next(&mut self) -> Option<Segment<'a>> {
        let rec = self.records.next()?;
        Some(Segment::decode(rec, self.data))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

impl ExactSizeIterator for Segments<'_> {}

/// A thread (a vCPU of a partition).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thread<'a> {
    /// Index in the thread table.
    pub index: u32,
    /// Thread name, unique within its partition.
    pub name: &'a str,
    /// Id of the owning partition.
    pub partition: u32,
    /// Cores it may run on: bit `n` is core `n`; never 0, only module cores.
    pub affinity: u32,
    /// Priority within the partition (higher runs first).
    pub priority: u32,
    /// Release period, ns, if periodic.
    pub period_ns: Option<u64>,
    /// Relative deadline, ns, if any (<= period when both are set).
    pub deadline_ns: Option<u64>,
    /// Stack bytes, never 0.
    pub stack_size: u64,
}

impl<'a> Thread<'a> {
    pub(crate) fn decode(index: u32, rec: &'a [u8]) -> Self {
        let opt = |v: u64| (v != 0).then_some(v);
        Thread {
            index,
            name: name_or_empty(rec),
            partition: u32_at(rec, off::THR_PART),
            affinity: u32_at(rec, off::THR_AFF),
            priority: u32_at(rec, off::THR_PRIO),
            period_ns: opt(u64_at(rec, off::THR_PERIOD)),
            deadline_ns: opt(u64_at(rec, off::THR_DEADLINE)),
            stack_size: u64_at(rec, off::THR_STACK),
        }
    }
}

/// Kind of a channel, with the parameter only that kind has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    /// Last message wins; a message older than the refresh period is stale.
    Sampling {
        /// Validity period of a message, ns.
        refresh_period_ns: u64,
    },
    /// FIFO of up to `depth` messages.
    Queuing {
        /// Messages the queue holds.
        depth: u32,
    },
}

impl ChannelKind {
    pub(crate) const SAMPLING: u32 = 1;
    pub(crate) const QUEUING: u32 = 2;
}

/// A channel between one source port and one or more destination ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel<'a> {
    /// Index in the channel table.
    pub index: u32,
    /// Channel name.
    pub name: &'a str,
    /// Sampling or queuing.
    pub kind: ChannelKind,
    /// Largest message, bytes, never 0.
    pub message_size: u32,
    pub(crate) port_records: &'a [u8],
}

impl<'a> Channel<'a> {
    pub(crate) fn decode(index: u32, rec: &'a [u8], ports: &'a [u8]) -> Self {
        let start = u32_at(rec, off::CHAN_PSTART) as usize;
        let count = u32_at(rec, off::CHAN_PCOUNT) as usize;
        let size = Table::Port.record_size();
        let port_records = start
            .checked_mul(size)
            .zip(count.checked_mul(size))
            .and_then(|(a, n)| ports.get(a..a.checked_add(n)?))
            .unwrap_or(&[]);
        let kind = if u32_at(rec, off::CHAN_KIND) == ChannelKind::QUEUING {
            ChannelKind::Queuing { depth: u32_at(rec, off::CHAN_DEPTH) }
        } else {
            ChannelKind::Sampling { refresh_period_ns: u64_at(rec, off::CHAN_REFRESH) }
        };
        Channel { index, name: name_or_empty(rec), kind, message_size: u32_at(rec, off::CHAN_MSG), port_records }
    }

    /// All ports: the source first, then the destinations.
    pub fn ports(&self) -> Ports<'a> {
        Ports { records: self.port_records.chunks_exact(Table::Port.record_size()) }
    }

    /// The source port.
    pub fn source(&self) -> Option<Port<'a>> {
        self.ports().next()
    }

    /// The destination ports.
    pub fn destinations(&self) -> Ports<'a> {
        let mut ports = self.ports();
        ports.next();
        ports
    }
}

/// Direction of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortDirection {
    /// The partition writes.
    Source,
    /// The partition reads.
    Destination,
}

/// One end of a channel: a named port of a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port<'a> {
    /// Port name, unique within its partition.
    pub name: &'a str,
    /// Id of the partition that owns the port.
    pub partition: u32,
    /// Source or destination.
    pub direction: PortDirection,
}

impl<'a> Port<'a> {
    pub(crate) fn decode(rec: &'a [u8]) -> Self {
        Port {
            name: name_or_empty(rec),
            partition: u32_at(rec, off::PORT_PART),
            direction: if u32_at(rec, off::PORT_DIR) == 0 { PortDirection::Source } else { PortDirection::Destination },
        }
    }
}

/// Iterator over a channel's ports.
#[derive(Clone, Debug)]
pub struct Ports<'a> {
    records: core::slice::ChunksExact<'a, u8>,
}

impl<'a> Iterator for Ports<'a> {
    type Item = Port<'a>;
    fn next(&mut self) -> Option<Port<'a>> {
        self.records.next().map(Port::decode)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

impl ExactSizeIterator for Ports<'_> {}

/// A shared memory region: physical memory of its own, mapped at one IPA
/// into each partition its mappings name, with the access each gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRegion<'a> {
    /// Index in the region table.
    pub index: u32,
    /// Region name, unique among regions.
    pub name: &'a str,
    /// Physical base, assigned by the tool, page aligned.
    pub phys_base: u64,
    /// Bytes, a page multiple, never 0.
    pub size: u64,
    /// Where it appears in every partition that maps it, page aligned.
    pub ipa_base: u64,
    pub(crate) mapping_records: &'a [u8],
}

impl<'a> MemoryRegion<'a> {
    pub(crate) fn decode(index: u32, rec: &'a [u8], mappings: &'a [u8]) -> Self {
        let start = u32_at(rec, off::REGION_MSTART) as usize;
        let count = u32_at(rec, off::REGION_MCOUNT) as usize;
        let size = Table::Mapping.record_size();
        let mapping_records = start
            .checked_mul(size)
            .zip(count.checked_mul(size))
            .and_then(|(a, n)| mappings.get(a..a.checked_add(n)?))
            .unwrap_or(&[]);
        MemoryRegion {
            index,
            name: name_or_empty(rec),
            phys_base: u64_at(rec, off::REGION_PHYS),
            size: u64_at(rec, off::REGION_SIZE),
            ipa_base: u64_at(rec, off::REGION_IPA),
            mapping_records,
        }
    }

    /// The partitions that map it, each with its access, in table order.
    pub fn mappings(&self) -> Mappings<'a> {
        Mappings { records: self.mapping_records.chunks_exact(Table::Mapping.record_size()) }
    }

    /// The access partition `id` has, if it maps the region.
    pub fn access_of(&self, id: u32) -> Option<RegionAccess> {
        self.mappings().find(|m| m.partition == id).map(|m| m.access)
    }

    /// One past the last physical byte.
    pub fn phys_end(&self) -> u64 {
        self.phys_base.saturating_add(self.size)
    }

    /// One past the last byte of its IPA range.
    pub fn ipa_end(&self) -> u64 {
        self.ipa_base.saturating_add(self.size)
    }
}

/// One partition's view of a region: who maps it and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionMapping {
    /// Id of the partition that maps the region.
    pub partition: u32,
    /// What it may do there.
    pub access: RegionAccess,
}

impl RegionMapping {
    pub(crate) fn decode(rec: &[u8]) -> Self {
        RegionMapping {
            partition: u32_at(rec, off::MAP_PART),
            access: RegionAccess::from_code(u32_at(rec, off::MAP_ACCESS)).unwrap_or(RegionAccess::ReadOnly),
        }
    }
}

/// Iterator over a region's mappings.
#[derive(Clone, Debug)]
pub struct Mappings<'a> {
    records: core::slice::ChunksExact<'a, u8>,
}

impl Iterator for Mappings<'_> {
    type Item = RegionMapping;
    fn next(&mut self) -> Option<RegionMapping> {
        self.records.next().map(RegionMapping::decode)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

impl ExactSizeIterator for Mappings<'_> {}

macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal, $text:literal;)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vm])* $variant = $code,)* }

        impl $name {
            /// Every value, in code order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The value with this code in the image, if any.
            pub const fn from_code(code: u32) -> Option<$name> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }

            /// The code stored in the image.
            pub const fn code(self) -> u32 { self as u32 }

            /// The name used in the system description (`snake_case`).
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// The value with this description name, if any.
            pub fn from_name(name: &str) -> Option<$name> {
                match name { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

coded_enum! {
    /// An error the health monitor handles (ARINC 653 Part 1, Health Monitoring).
    ErrorKind {
        /// A partition access outside its stage-2 map.
        Stage2Abort = 1, "stage2_abort";
        /// An undefined or trapped-and-refused instruction.
        UndefinedInstruction = 2, "undefined_instruction";
        /// A trapped operation the partition may not perform (SMC, set/way, PMU).
        TrappedOperation = 3, "trapped_operation";
        /// A thread missed its deadline.
        DeadlineMiss = 4, "deadline_miss";
        /// The partition raised an application error.
        ApplicationError = 5, "application_error";
        /// A stage-2 fault in the failing thread's own stack guard page: a
        /// stack overflow. A table without an entry for it uses its
        /// `stage2_abort` entry ([`ErrorKind::falls_back_to`]).
        StackOverflow = 6, "stack_overflow";
        /// A thread still running at the end of its window (preempted by
        /// the boundary); once per thread.
        WindowOverrun = 7, "window_overrun";
        /// A core missed window boundaries and resynchronised from the
        /// epoch: an event of the module, not of a partition
        /// ([`ErrorKind::module_event`]).
        MissedBoundary = 8, "missed_boundary";
    }
}

coded_enum! {
    /// What the health monitor does about an error.
    HealthAction {
        /// Record it in the health log; the partition goes on.
        Log = 1, "log";
        /// Restart the partition (cold start of all its threads).
        RestartPartition = 2, "restart_partition";
        /// Stop the partition; its windows become idle time.
        StopPartition = 3, "stop_partition";
        /// Halt the whole module.
        HaltModule = 4, "halt_module";
        /// Restart the partition keeping its memory (a warm start).
        WarmRestartPartition = 5, "warm_restart_partition";
        /// Stop the failing thread (ARINC 653 process) only; the partition
        /// goes on.
        StopProcess = 6, "stop_process";
        /// Start the failing thread again from its entry point, with a
        /// fresh context; the partition goes on.
        RestartProcess = 7, "restart_process";
        /// Switch the module to another schedule at the next major-frame
        /// boundary ([`HealthEntry::schedule`] names it).
        SwitchSchedule = 8, "switch_schedule";
        /// Reset the whole module (the SoC's watchdog): every partition
        /// starts again from its image, as at power-on.
        ResetModule = 9, "reset_module";
    }
}

/// One record of the health table: the action for an error kind, of one
/// partition (its own `[partition.health]`) or of the module (`[health]`,
/// the defaults for every partition).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HealthEntry {
    /// The partition whose errors it covers; `None` for a module default
    /// (stored as [`crate::SPARE`]).
    pub partition: Option<u32>,
    /// The error kind.
    pub kind: ErrorKind,
    /// What the health monitor does.
    pub action: HealthAction,
    /// For [`HealthAction::SwitchSchedule`], the index of the schedule to
    /// switch to; 0 for every other action (the image's health record
    /// keeps it at offset 12).
    pub schedule: u32,
}

impl HealthEntry {
    /// An entry whose action names no schedule.
    pub const fn new(partition: Option<u32>, kind: ErrorKind, action: HealthAction) -> HealthEntry {
        HealthEntry { partition, kind, action, schedule: 0 }
    }
}

/// Where the action the health monitor takes for an error comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthSource {
    /// The partition's own table.
    Partition,
    /// The module's table (the defaults for every partition).
    Module,
    /// Neither: [`ErrorKind::default_action`].
    Default,
}

/// What the health monitor does about an error of one partition, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthDecision {
    /// The action carried out.
    pub action: HealthAction,
    /// For [`HealthAction::SwitchSchedule`], the schedule switched to.
    pub schedule: u32,
    /// Where the configured action came from.
    pub source: HealthSource,
    /// The module's `halt_module` or `switch_schedule` applied to a normal
    /// partition, turned into `stop_partition`: the module-wide table
    /// cannot let one partition take the others down or change their
    /// schedule (only the partition's own table can, where the integrator
    /// chose it for that partition). `Some(the action refused)`.
    pub refused: Option<HealthAction>,
}

/// The health monitor's decision for an error of `kind` in `partition`
/// (`system`: is it a system partition), given the health table's
/// `entries`: the partition's own entry, else the module's, else the
/// kind's default. In each table, a kind with no entry of its own uses the
/// entry of the kind it falls back to ([`ErrorKind::falls_back_to`]:
/// `stack_overflow` uses `stage2_abort`'s) before the next table is asked.
/// A `halt_module` or `switch_schedule` that is not the partition's own
/// applies to a system partition only; a normal partition is stopped
/// instead ([`HealthAction::system_only`]).
///
/// For a module event ([`ErrorKind::module_event`], no partition), pass
/// `partition` = [`crate::SPARE`] and `system` = true: only the module's
/// table and the default count.
pub fn decide_health(
    entries: impl IntoIterator<Item = HealthEntry>,
    partition: u32,
    system: bool,
    kind: ErrorKind,
) -> HealthDecision {
    // [own kind, own fallback, module kind, module fallback]
    let mut found: [Option<HealthEntry>; 4] = [None; 4];
    let fallback = kind.falls_back_to();
    for e in entries {
        let slot = if e.kind == kind {
            0
        } else if Some(e.kind) == fallback {
            1
        } else {
            continue;
        };
        match e.partition {
            Some(p) if p == partition && !kind.module_event() => found[slot] = Some(e),
            None => found[2 + slot] = Some(e),
            Some(_) => {}
        }
    }
    let (configured, schedule, source) = match found {
        [Some(e), ..] | [None, Some(e), ..] => (e.action, e.schedule, HealthSource::Partition),
        [None, None, Some(e), _] | [None, None, None, Some(e)] => (e.action, e.schedule, HealthSource::Module),
        [None, None, None, None] => (kind.default_action(), 0, HealthSource::Default),
    };
    let refused = (configured.system_only() && !system && source != HealthSource::Partition).then_some(configured);
    match refused {
        Some(_) => HealthDecision { action: HealthAction::StopPartition, schedule: 0, source, refused },
        None => HealthDecision { action: configured, schedule, source, refused },
    }
}

impl HealthAction {
    /// Actions that reach beyond the failing partition (`halt_module`,
    /// `switch_schedule`): the module's table applies them to system
    /// partitions only.
    pub const fn system_only(self) -> bool {
        matches!(self, HealthAction::HaltModule | HealthAction::SwitchSchedule | HealthAction::ResetModule)
    }

    /// Actions on the failing thread alone.
    pub const fn process_level(self) -> bool {
        matches!(self, HealthAction::StopProcess | HealthAction::RestartProcess)
    }

    /// Whether a module event ([`ErrorKind::module_event`]: no partition,
    /// no thread) can have this action: `log`, `halt_module`,
    /// `switch_schedule`.
    pub const fn for_module_events(self) -> bool {
        matches!(
            self,
            HealthAction::Log | HealthAction::HaltModule | HealthAction::SwitchSchedule | HealthAction::ResetModule
        )
    }
}

impl ErrorKind {
    /// The action when the image configures none for this kind: faults stop
    /// the partition (the safe choice for a separation kernel), timing and
    /// application errors are logged.
    pub const fn default_action(self) -> HealthAction {
        match self {
            ErrorKind::Stage2Abort
            | ErrorKind::UndefinedInstruction
            | ErrorKind::TrappedOperation
            | ErrorKind::StackOverflow => HealthAction::StopPartition,
            ErrorKind::DeadlineMiss
            | ErrorKind::ApplicationError
            | ErrorKind::WindowOverrun
            | ErrorKind::MissedBoundary => HealthAction::Log,
        }
    }

    /// The kind whose entry a table without an entry for this one uses:
    /// `stack_overflow` is a `stage2_abort` (a fault in a guard page), so
    /// a description written before it existed keeps its behaviour.
    pub const fn falls_back_to(self) -> Option<ErrorKind> {
        match self {
            ErrorKind::StackOverflow => Some(ErrorKind::Stage2Abort),
            _ => None,
        }
    }

    /// An event of the module rather than of one partition (a core late
    /// for its boundaries): only the module's `[health]` configures it,
    /// and its actions are those of [`HealthAction::for_module_events`].
    pub const fn module_event(self) -> bool {
        matches!(self, ErrorKind::MissedBoundary)
    }
}

coded_enum! {
    /// What a partition may do in a shared memory region it maps. Never
    /// execute: a region is data only.
    RegionAccess {
        /// Loads only; a store is a stage-2 permission fault.
        ReadOnly = 0, "read_only";
        /// Loads and stores.
        ReadWrite = 1, "read_write";
    }
}

impl RegionAccess {
    /// Whether the partition may store to the region.
    pub const fn writable(self) -> bool {
        matches!(self, RegionAccess::ReadWrite)
    }
}

coded_enum! {
    /// What becomes of a device interrupt that arrives while its partition
    /// has no window (`outside_window` in the description).
    #[repr(u32)]
    OutsideWindow {
        /// Kept pending (masked at the distributor) and delivered at the
        /// start of the partition's next window.
        Deliver = 0, "deliver";
        /// Dropped and counted.
        Drop = 1, "drop";
    }
}

/// A physical address range of a device, `[base, base + size)`, mapped
/// into its partition at the same address (IPA = PA).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmioRange {
    /// First byte, page aligned.
    pub base: u64,
    /// Bytes, whole pages, never 0.
    pub size: u64,
}

impl MmioRange {
    /// One past the last byte (saturated).
    pub const fn end(&self) -> u64 {
        self.base.saturating_add(self.size)
    }
}

/// A device a partition owns: its MMIO ranges, mapped device-nGnRE and
/// execute-never at their physical addresses, and its interrupts (SPIs),
/// delivered to one of the partition's threads. Which devices a board has
/// is the board crate's word, not the image's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device<'a> {
    /// Index in the device table.
    pub index: u32,
    /// The board's name for the device (`mini-uart`).
    pub name: &'a str,
    /// Id of the partition that owns it.
    pub partition: u32,
    /// The thread that receives its interrupts: its index among its
    /// partition's threads (0 is the first).
    pub thread: u32,
    /// What becomes of an interrupt outside the partition's windows.
    pub outside_window: OutsideWindow,
    pub(crate) record: &'a [u8],
}

impl<'a> Device<'a> {
    pub(crate) fn decode(index: u32, rec: &'a [u8]) -> Self {
        Device {
            index,
            name: name_or_empty(rec),
            partition: u32_at(rec, off::DEV_PART),
            thread: u32_at(rec, off::DEV_THREAD),
            outside_window: OutsideWindow::from_code(u32_at(rec, off::DEV_OUTSIDE)).unwrap_or(OutsideWindow::Deliver),
            record: rec,
        }
    }

    /// Its MMIO ranges, in record order.
    pub fn mmio(&self) -> impl Iterator<Item = MmioRange> + 'a {
        let rec = self.record;
        let count = (u32_at(rec, off::DEV_MMIO_COUNT) as usize).min(crate::MAX_DEVICE_MMIO);
        (0..count).map(move |i| {
            let at = off::DEV_MMIO + i * off::DEV_MMIO_SLOT;
            MmioRange { base: u64_at(rec, at), size: u64_at(rec, at + 8) }
        })
    }

    /// Its interrupts (INTIDs), in record order.
    pub fn interrupts(&self) -> impl Iterator<Item = u32> + 'a {
        let rec = self.record;
        let count = (u32_at(rec, off::DEV_IRQ_COUNT) as usize).min(crate::MAX_DEVICE_INTERRUPTS);
        (0..count).map(move |i| u32_at(rec, off::DEV_IRQ + i * off::DEV_IRQ_SLOT))
    }
}
