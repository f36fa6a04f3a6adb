//! The writer (feature `alloc`): an owned description of an image,
//! [`ImageSpec`], serialised by [`ImageSpec::to_bytes`] and read back from a
//! parsed image by [`ImageSpec::from_image`]. Used by the host tool and by the
//! round-trip tests; the kernel never builds it.
//!
//! The writer checks only what it must to lay bytes out (name lengths, 32-bit
//! counts and offsets). Whether the result is a *valid* image is the parser's
//! word: the tool parses every image it writes before saving it.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::layout::{
    FORMAT_VERSION, HEADER_SIZE, MAGIC, MAX_DEVICE_INTERRUPTS, MAX_DEVICE_MMIO, NAME_MAX_LEN, NAME_SIZE, SPARE, Table,
    off,
};
use crate::parse::SystemImage;
use crate::records::{
    ChannelKind, ErrorKind, HealthDecision, HealthEntry, MmioRange, OutsideWindow, RegionAccess, decide_health,
};

/// The module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleSpec {
    /// Module name.
    pub name: String,
    /// Cores used.
    pub core_count: u32,
    /// Console speed, baud.
    pub console_baud: u32,
}

/// A window: its owner (`None` = spare) and length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowSpec {
    /// Owning partition id, or `None` for spare time.
    pub owner: Option<u32>,
    /// Length, ns.
    pub duration_ns: u64,
}

/// A schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleSpec {
    /// Name.
    pub name: String,
    /// Major frame, ns.
    pub major_frame_ns: u64,
    /// Active at boot.
    pub initial: bool,
    /// Windows in frame order.
    pub windows: Vec<WindowSpec>,
}

/// A loadable segment with its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentSpec {
    /// Offset from the start of the partition memory.
    pub load_offset: u64,
    /// Bytes in memory.
    pub mem_size: u64,
    /// [`crate::SegmentFlags`] bits.
    pub flags: u32,
    /// File bytes.
    pub data: Vec<u8>,
}

/// A partition; its id is its index in [`ImageSpec::partitions`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionSpec {
    /// Name.
    pub name: String,
    /// System partition.
    pub system: bool,
    /// Pages may be writable and executable at once (W^X off).
    pub write_execute: bool,
    /// Starts in COLD_START and initialises itself (`initialization`).
    pub initialization: bool,
    /// Physical base.
    pub phys_base: u64,
    /// Memory bytes.
    pub memory_size: u64,
    /// Base of its memory in its own address space.
    pub ipa_base: u64,
    /// Entry point (IPA).
    pub entry_ipa: u64,
    /// Console output buffer, bytes.
    pub console_buffer: u32,
    /// Heap bytes, whole pages; 0 for none.
    pub heap_size: u64,
    /// Loadable segments.
    pub segments: Vec<SegmentSpec>,
}

/// A thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadSpec {
    /// Name.
    pub name: String,
    /// Partition id.
    pub partition: u32,
    /// Core mask.
    pub affinity: u32,
    /// Priority.
    pub priority: u32,
    /// Period, ns.
    pub period_ns: Option<u64>,
    /// Deadline, ns.
    pub deadline_ns: Option<u64>,
    /// Stack bytes.
    pub stack_size: u64,
}

/// A port: partition id and port name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSpec {
    /// Partition id.
    pub partition: u32,
    /// Port name.
    pub name: String,
}

/// A channel: the source is `ports[0]`, the destinations the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelSpec {
    /// Name.
    pub name: String,
    /// Kind and its parameter.
    pub kind: ChannelKind,
    /// Largest message, bytes.
    pub message_size: u32,
    /// Source, then destinations.
    pub ports: Vec<PortSpec>,
}

/// One partition's mapping of a region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappingSpec {
    /// Partition id.
    pub partition: u32,
    /// Read-only or read/write.
    pub access: RegionAccess,
}

/// A shared memory region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionSpec {
    /// Name.
    pub name: String,
    /// Physical base.
    pub phys_base: u64,
    /// Bytes.
    pub size: u64,
    /// IPA in every partition that maps it.
    pub ipa_base: u64,
    /// The partitions that map it.
    pub mappings: Vec<MappingSpec>,
}

/// A device a partition owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSpec {
    /// The board's name for it.
    pub name: String,
    /// Partition id.
    pub partition: u32,
    /// The thread that receives its interrupts, by index within the partition.
    pub thread: u32,
    /// What becomes of an interrupt outside the partition's windows.
    pub outside_window: OutsideWindow,
    /// MMIO ranges, mapped at their physical addresses (at most
    /// [`MAX_DEVICE_MMIO`]).
    pub mmio: Vec<MmioRange>,
    /// INTIDs (at most [`MAX_DEVICE_INTERRUPTS`]).
    pub interrupts: Vec<u32>,
}

/// Everything a system image holds, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSpec {
    /// The module.
    pub module: ModuleSpec,
    /// Schedules.
    pub schedules: Vec<ScheduleSpec>,
    /// Partitions, by id.
    pub partitions: Vec<PartitionSpec>,
    /// Threads.
    pub threads: Vec<ThreadSpec>,
    /// Channels.
    pub channels: Vec<ChannelSpec>,
    /// Health-monitor actions configured: module defaults (partition
    /// `None`) and partitions' own.
    pub health: Vec<HealthEntry>,
    /// Shared memory regions.
    pub regions: Vec<RegionSpec>,
    /// Devices partitions own.
    pub devices: Vec<DeviceSpec>,
}

/// Why [`ImageSpec::to_bytes`] could not lay an image out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// A name is empty or longer than [`NAME_MAX_LEN`] bytes.
    BadName {
        /// What the name belongs to (`"partition"`, `"thread"`, ...).
        what: &'static str,
        /// The name.
        name: String,
    },
    /// The image would exceed 4 GiB, or a table 2^32 records.
    TooLarge,
    /// A device has more MMIO ranges or interrupts than its record holds.
    DeviceListTooLong {
        /// The device's name.
        name: String,
        /// `"mmio"` or `"interrupts"`.
        what: &'static str,
        /// How many it has.
        count: usize,
        /// How many the record holds.
        max: usize,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::BadName { what, name } => {
                write!(f, "{what} name {name:?} is {} bytes; names are 1..={NAME_MAX_LEN} bytes of UTF-8", name.len())
            }
            WriteError::TooLarge => f.write_str("system image would exceed 4 GiB"),
            WriteError::DeviceListTooLong { name, what, count, max } => {
                write!(f, "device {name:?} has {count} {what}; its record holds at most {max}")
            }
        }
    }
}

impl core::error::Error for WriteError {}

fn put_u32(rec: &mut [u8], at: usize, v: u32) {
    if let Some(s) = rec.get_mut(at..at + 4) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

fn put_u64(rec: &mut [u8], at: usize, v: u64) {
    if let Some(s) = rec.get_mut(at..at + 8) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

fn put_name(rec: &mut [u8], what: &'static str, name: &str) -> Result<(), WriteError> {
    let len = name.len();
    if len == 0 || len > NAME_MAX_LEN {
        return Err(WriteError::BadName { what, name: name.into() });
    }
    if let Some(field) = rec.get_mut(..NAME_SIZE) {
        field[0] = len as u8;
        field[1..=len].copy_from_slice(name.as_bytes());
    }
    Ok(())
}

fn u32_of(n: usize) -> Result<u32, WriteError> {
    u32::try_from(n).map_err(|_| WriteError::TooLarge)
}

/// Records of one table being built.
struct TableBuf {
    table: Table,
    bytes: Vec<u8>,
}

impl TableBuf {
    fn new(table: Table) -> Self {
        TableBuf { table, bytes: Vec::new() }
    }
    fn push(&mut self) -> &mut [u8] {
        let size = self.table.record_size();
        let start = self.bytes.len();
        self.bytes.resize(start + size, 0);
        &mut self.bytes[start..]
    }
    fn count(&self) -> usize {
        self.bytes.len() / self.table.record_size()
    }
}

impl ImageSpec {
    /// Serialise to a system image of [`FORMAT_VERSION`] (header, directory,
    /// tables in directory order each 8-byte aligned, CRC filled in).
    pub fn to_bytes(&self) -> Result<Vec<u8>, WriteError> {
        let mut module = TableBuf::new(Table::Module);
        let mut schedules = TableBuf::new(Table::Schedule);
        let mut windows = TableBuf::new(Table::Window);
        let mut partitions = TableBuf::new(Table::Partition);
        let mut segments = TableBuf::new(Table::Segment);
        let mut threads = TableBuf::new(Table::Thread);
        let mut channels = TableBuf::new(Table::Channel);
        let mut ports = TableBuf::new(Table::Port);
        let mut health = TableBuf::new(Table::Health);
        let mut data = TableBuf::new(Table::Data);
        let mut regions = TableBuf::new(Table::Region);
        let mut mappings = TableBuf::new(Table::Mapping);
        let mut devices = TableBuf::new(Table::Device);

        let rec = module.push();
        put_name(rec, "module", &self.module.name)?;
        put_u32(rec, off::MODULE_CORES, self.module.core_count);
        put_u32(rec, off::MODULE_BAUD, self.module.console_baud);

        for s in &self.schedules {
            let start = u32_of(windows.count())?;
            for w in &s.windows {
                let rec = windows.push();
                put_u64(rec, off::WIN_DURATION, w.duration_ns);
                put_u32(rec, off::WIN_OWNER, w.owner.unwrap_or(SPARE));
            }
            let rec = schedules.push();
            put_name(rec, "schedule", &s.name)?;
            put_u64(rec, off::SCHED_MAJOR, s.major_frame_ns);
            put_u32(rec, off::SCHED_WSTART, start);
            put_u32(rec, off::SCHED_WCOUNT, u32_of(s.windows.len())?);
            put_u32(rec, off::SCHED_FLAGS, if s.initial { off::SCHED_FLAG_INITIAL } else { 0 });
        }

        for (id, p) in self.partitions.iter().enumerate() {
            let start = u32_of(segments.count())?;
            for seg in &p.segments {
                // Keep every segment's bytes 8-byte aligned in the data
                // table so the kernel can copy them with wide loads.
                let pad = data.bytes.len().next_multiple_of(8);
                data.bytes.resize(pad, 0);
                let data_offset = u32_of(data.bytes.len())?;
                data.bytes.extend_from_slice(&seg.data);
                let rec = segments.push();
                put_u64(rec, off::SEG_LOAD, seg.load_offset);
                put_u64(rec, off::SEG_MEM, seg.mem_size);
                put_u32(rec, off::SEG_DATA, data_offset);
                put_u32(rec, off::SEG_FILE, u32_of(seg.data.len())?);
                put_u32(rec, off::SEG_FLAGS, seg.flags);
            }
            let rec = partitions.push();
            put_name(rec, "partition", &p.name)?;
            put_u32(rec, off::PART_ID, u32_of(id)?);
            let flags = if p.system { off::PART_FLAG_SYSTEM } else { 0 }
                | if p.write_execute { off::PART_FLAG_WRITE_EXECUTE } else { 0 }
                | if p.initialization { off::PART_FLAG_INITIALIZATION } else { 0 };
            put_u32(rec, off::PART_FLAGS, flags);
            put_u64(rec, off::PART_PHYS, p.phys_base);
            put_u64(rec, off::PART_SIZE, p.memory_size);
            put_u64(rec, off::PART_IPA, p.ipa_base);
            put_u64(rec, off::PART_ENTRY, p.entry_ipa);
            put_u32(rec, off::PART_CONSOLE, p.console_buffer);
            put_u64(rec, off::PART_HEAP, p.heap_size);
            put_u32(rec, off::PART_SSTART, start);
            put_u32(rec, off::PART_SCOUNT, u32_of(p.segments.len())?);
        }

        for t in &self.threads {
            let rec = threads.push();
            put_name(rec, "thread", &t.name)?;
            put_u32(rec, off::THR_PART, t.partition);
            put_u32(rec, off::THR_AFF, t.affinity);
            put_u32(rec, off::THR_PRIO, t.priority);
            put_u64(rec, off::THR_PERIOD, t.period_ns.unwrap_or(0));
            put_u64(rec, off::THR_DEADLINE, t.deadline_ns.unwrap_or(0));
            put_u64(rec, off::THR_STACK, t.stack_size);
        }

        for c in &self.channels {
            let start = u32_of(ports.count())?;
            for (i, p) in c.ports.iter().enumerate() {
                let rec = ports.push();
                put_name(rec, "port", &p.name)?;
                put_u32(rec, off::PORT_PART, p.partition);
                put_u32(rec, off::PORT_DIR, if i == 0 { 0 } else { 1 });
            }
            let rec = channels.push();
            put_name(rec, "channel", &c.name)?;
            match c.kind {
                ChannelKind::Sampling { refresh_period_ns } => {
                    put_u32(rec, off::CHAN_KIND, ChannelKind::SAMPLING);
                    put_u64(rec, off::CHAN_REFRESH, refresh_period_ns);
                }
                ChannelKind::Queuing { depth } => {
                    put_u32(rec, off::CHAN_KIND, ChannelKind::QUEUING);
                    put_u32(rec, off::CHAN_DEPTH, depth);
                }
            }
            put_u32(rec, off::CHAN_MSG, c.message_size);
            put_u32(rec, off::CHAN_PSTART, start);
            put_u32(rec, off::CHAN_PCOUNT, u32_of(c.ports.len())?);
        }

        for e in &self.health {
            let rec = health.push();
            put_u32(rec, off::HEALTH_KIND, e.kind.code());
            put_u32(rec, off::HEALTH_ACTION, e.action.code());
            put_u32(rec, off::HEALTH_PART, e.partition.unwrap_or(SPARE));
            put_u32(rec, off::HEALTH_SCHEDULE, e.schedule);
        }

        for r in &self.regions {
            let start = u32_of(mappings.count())?;
            for m in &r.mappings {
                let rec = mappings.push();
                put_u32(rec, off::MAP_PART, m.partition);
                put_u32(rec, off::MAP_ACCESS, m.access.code());
            }
            let rec = regions.push();
            put_name(rec, "region", &r.name)?;
            put_u64(rec, off::REGION_PHYS, r.phys_base);
            put_u64(rec, off::REGION_SIZE, r.size);
            put_u64(rec, off::REGION_IPA, r.ipa_base);
            put_u32(rec, off::REGION_MSTART, start);
            put_u32(rec, off::REGION_MCOUNT, u32_of(r.mappings.len())?);
        }

        for d in &self.devices {
            let too_long = |what, count, max| WriteError::DeviceListTooLong { name: d.name.clone(), what, count, max };
            if d.mmio.len() > MAX_DEVICE_MMIO {
                return Err(too_long("mmio", d.mmio.len(), MAX_DEVICE_MMIO));
            }
            if d.interrupts.len() > MAX_DEVICE_INTERRUPTS {
                return Err(too_long("interrupts", d.interrupts.len(), MAX_DEVICE_INTERRUPTS));
            }
            let rec = devices.push();
            put_name(rec, "device", &d.name)?;
            put_u32(rec, off::DEV_PART, d.partition);
            put_u32(rec, off::DEV_THREAD, d.thread);
            put_u32(rec, off::DEV_OUTSIDE, d.outside_window.code());
            put_u32(rec, off::DEV_MMIO_COUNT, u32_of(d.mmio.len())?);
            put_u32(rec, off::DEV_IRQ_COUNT, u32_of(d.interrupts.len())?);
            for (i, r) in d.mmio.iter().enumerate() {
                put_u64(rec, off::DEV_MMIO + i * off::DEV_MMIO_SLOT, r.base);
                put_u64(rec, off::DEV_MMIO + i * off::DEV_MMIO_SLOT + 8, r.size);
            }
            for (i, &intid) in d.interrupts.iter().enumerate() {
                put_u32(rec, off::DEV_IRQ + i * off::DEV_IRQ_SLOT, intid);
            }
        }

        let tables = [
            module, schedules, windows, partitions, segments, threads, channels, ports, health, data, regions,
            mappings, devices,
        ];
        let mut out = alloc::vec![0u8; HEADER_SIZE];
        out[..8].copy_from_slice(&MAGIC);
        put_u32(&mut out, 8, FORMAT_VERSION);
        put_u32(&mut out, 20, u32_of(tables.len())?);
        for (i, t) in tables.iter().enumerate() {
            out.resize(out.len().next_multiple_of(8), 0);
            let offset = u32_of(out.len())?;
            let count = u32_of(t.count())?;
            put_u32(&mut out, 24 + 8 * i, offset);
            put_u32(&mut out, 28 + 8 * i, count);
            out.extend_from_slice(&t.bytes);
        }
        let total = u32_of(out.len())?;
        put_u32(&mut out, 12, total);
        let crc = crate::crc32(&out[20..]);
        put_u32(&mut out, 16, crc);
        Ok(out)
    }

    /// What the health monitor will do about an error of `kind` in
    /// `partition`, as [`SystemImage::health_decision`] says of the image
    /// this spec writes.
    pub fn health_decision(&self, partition: u32, kind: ErrorKind) -> HealthDecision {
        let system = partition == SPARE || self.partitions.get(partition as usize).is_some_and(|p| p.system);
        decide_health(self.health.iter().copied(), partition, system, kind)
    }

    /// Read a parsed image back into owned form (the inverse of
    /// [`ImageSpec::to_bytes`] for every valid image).
    pub fn from_image(image: &SystemImage<'_>) -> ImageSpec {
        let module = image.module();
        ImageSpec {
            module: ModuleSpec {
                name: module.name.into(),
                core_count: module.core_count,
                console_baud: module.console_baud,
            },
            schedules: image
                .schedules()
                .map(|s| ScheduleSpec {
                    name: s.name.into(),
                    major_frame_ns: s.major_frame_ns,
                    initial: s.initial,
                    windows: s.windows().map(|w| WindowSpec { owner: w.owner, duration_ns: w.duration_ns }).collect(),
                })
                .collect(),
            partitions: image
                .partitions()
                .map(|p| PartitionSpec {
                    name: p.name.into(),
                    system: p.system,
                    write_execute: p.write_execute,
                    initialization: p.initialization,
                    phys_base: p.phys_base,
                    memory_size: p.memory_size,
                    ipa_base: p.ipa_base,
                    entry_ipa: p.entry_ipa,
                    console_buffer: p.console_buffer,
                    heap_size: p.heap_size,
                    segments: p
                        .segments()
                        .map(|s| SegmentSpec {
                            load_offset: s.load_offset,
                            mem_size: s.mem_size,
                            flags: s.flags.0,
                            data: s.data.into(),
                        })
                        .collect(),
                })
                .collect(),
            threads: image
                .threads()
                .map(|t| ThreadSpec {
                    name: t.name.into(),
                    partition: t.partition,
                    affinity: t.affinity,
                    priority: t.priority,
                    period_ns: t.period_ns,
                    deadline_ns: t.deadline_ns,
                    stack_size: t.stack_size,
                })
                .collect(),
            channels: image
                .channels()
                .map(|c| ChannelSpec {
                    name: c.name.into(),
                    kind: c.kind,
                    message_size: c.message_size,
                    ports: c.ports().map(|p| PortSpec { partition: p.partition, name: p.name.into() }).collect(),
                })
                .collect(),
            health: image.configured_health_actions().collect(),
            regions: image
                .regions()
                .map(|r| RegionSpec {
                    name: r.name.into(),
                    phys_base: r.phys_base,
                    size: r.size,
                    ipa_base: r.ipa_base,
                    mappings: r.mappings().map(|m| MappingSpec { partition: m.partition, access: m.access }).collect(),
                })
                .collect(),
            devices: image
                .devices()
                .map(|d| DeviceSpec {
                    name: d.name.into(),
                    partition: d.partition,
                    thread: d.thread,
                    outside_window: d.outside_window,
                    mmio: d.mmio().collect(),
                    interrupts: d.interrupts().collect(),
                })
                .collect(),
        }
    }
}
