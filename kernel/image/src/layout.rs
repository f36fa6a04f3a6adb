//! Constants of format version 6: header size, table order, record sizes,
//! and the bounds of the console settings.
//! The byte-level layout is documented in the crate doc; this module is the
//! one place the numbers live.

/// First eight bytes of every system image.
pub const MAGIC: [u8; 8] = *b"BULKHEAD";
/// The format version this parser reads and the writer writes.
/// Version 2 added the console settings (module `console_baud`, partition
/// `console_buffer`, which grew the partition record from 80 to 88 bytes);
/// version 3 the shared memory regions (the region and mapping tables,
/// which grew the directory from 10 to 12 entries); version 4 the
/// per-partition health tables (the health record grew from 8 to 16
/// bytes: a partition, or [`SPARE`] for a module default, and a reserved
/// word); version 5 each partition's heap (`heap_size`, which grew the
/// partition record from 88 to 96 bytes); version 6 the device table
/// (devices a partition owns: MMIO ranges and interrupts; the directory
/// grew from 12 to 13 entries).
pub const FORMAT_VERSION: u32 = 6;
/// Number of entries in the table directory.
pub const TABLE_COUNT: usize = 13;
/// Bytes before the first table: magic, version, length, CRC, table count,
/// and the directory.
pub const HEADER_SIZE: usize = 24 + 8 * TABLE_COUNT;
/// Bytes of a name field: one length byte and up to [`NAME_MAX_LEN`] bytes.
pub const NAME_SIZE: usize = 32;
/// Longest name, in UTF-8 bytes.
pub const NAME_MAX_LEN: usize = NAME_SIZE - 1;
/// Window owner value meaning spare time (no partition runs).
pub const SPARE: u32 = u32::MAX;
/// Cores an affinity bitmask can name (a `u32`).
pub const MAX_CORES: u32 = 32;
/// Granule of partition memory: bases and sizes are multiples of it, since
/// stage-2 tables map 4 KiB pages at the finest.
pub const PAGE_SIZE: u64 = 4096;
/// Smallest share of the console a partition may have: its output buffer
/// in the kernel, bytes.
pub const CONSOLE_BUFFER_MIN: u32 = 256;
/// Largest console buffer of one partition, bytes.
pub const CONSOLE_BUFFER_MAX: u32 = 16 << 10;
/// Largest sum of the console buffers of all partitions, bytes: the pool
/// the kernel sets aside for partition console output.
pub const CONSOLE_BUFFER_TOTAL_MAX: u64 = 64 << 10;
/// Most devices an image assigns (all partitions together).
pub const MAX_DEVICES: usize = 16;
/// Most MMIO ranges of one device.
pub const MAX_DEVICE_MMIO: usize = 4;
/// Most interrupts of one device.
pub const MAX_DEVICE_INTERRUPTS: usize = 4;
/// Lowest INTID of a GIC shared peripheral interrupt (SPI), the only kind
/// a device may have (GICv2 architecture specification, 2.2.1).
pub const FIRST_SPI: u32 = 32;
/// Highest INTID of an SPI (1020..=1023 are special).
pub const LAST_SPI: u32 = 1019;
/// Where every partition finds its GIC CPU interface (the kernel maps the
/// GIC-400's virtual CPU interface there), and its size: no device range
/// may cover it. The same as `bulkhead_abi::GICC_IPA` and `GICC_SIZE`,
/// mirrored because this crate has no dependencies (the tool asserts that
/// they agree).
pub const GICC_IPA: u64 = 0xFF84_2000;
/// Bytes of the [`GICC_IPA`] mapping.
pub const GICC_SIZE: u64 = 0x2000;
/// Addresses a device range may reach: the 4 GiB a partition's stage 2
/// translates, where devices are mapped at their physical address.
pub const DEVICE_ADDRESS_LIMIT: u64 = 1 << 32;

/// Alignment of the system image after the kernel in `kernel8.img`.
pub const KERNEL_ALIGN: usize = 4096;

/// Offset of the system image in a `kernel8.img` whose kernel part is
/// `kernel_len` bytes: the next multiple of [`KERNEL_ALIGN`].
pub const fn kernel_image_offset(kernel_len: usize) -> Option<usize> {
    match kernel_len.checked_add(KERNEL_ALIGN - 1) {
        Some(end) => Some(end / KERNEL_ALIGN * KERNEL_ALIGN),
        None => None,
    }
}

/// The tables of the directory, in directory order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// One record: the module.
    Module = 0,
    /// Schedules (major frames).
    Schedule = 1,
    /// Windows of all schedules, schedule by schedule.
    Window = 2,
    /// Partition descriptors; record `i` has id `i`.
    Partition = 3,
    /// Loadable segments of all partitions, partition by partition.
    Segment = 4,
    /// Threads.
    Thread = 5,
    /// Channels (sampling and queuing).
    Channel = 6,
    /// Ports of all channels, channel by channel.
    Port = 7,
    /// Health-monitor actions per error kind, of the module or of one
    /// partition.
    Health = 8,
    /// Segment file bytes.
    Data = 9,
    /// Shared memory regions.
    Region = 10,
    /// Which partitions map each region and how, region by region.
    Mapping = 11,
    /// Devices a partition owns: MMIO ranges, interrupts.
    Device = 12,
}

impl Table {
    /// Every table, in directory order.
    pub const ALL: [Table; TABLE_COUNT] = [
        Table::Module,
        Table::Schedule,
        Table::Window,
        Table::Partition,
        Table::Segment,
        Table::Thread,
        Table::Channel,
        Table::Port,
        Table::Health,
        Table::Data,
        Table::Region,
        Table::Mapping,
        Table::Device,
    ];

    /// Size in bytes of one record of this table.
    pub const fn record_size(self) -> usize {
        match self {
            Table::Module => 48,
            Table::Schedule => 56,
            Table::Window => 16,
            Table::Partition => 96,
            Table::Segment => 32,
            Table::Thread => 72,
            Table::Channel => 64,
            Table::Port => 40,
            Table::Health => 16,
            Table::Data => 1,
            Table::Region => 64,
            Table::Mapping => 8,
            Table::Device => 136,
        }
    }

    /// Name used in error messages.
    pub const fn name(self) -> &'static str {
        match self {
            Table::Module => "module",
            Table::Schedule => "schedule",
            Table::Window => "window",
            Table::Partition => "partition",
            Table::Segment => "segment",
            Table::Thread => "thread",
            Table::Channel => "channel",
            Table::Port => "port",
            Table::Health => "health",
            Table::Data => "data",
            Table::Region => "region",
            Table::Mapping => "mapping",
            Table::Device => "device",
        }
    }
}

impl core::fmt::Display for Table {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

// Record field offsets, shared by the parser and the writer.
pub(crate) mod off {
    pub const MODULE_CORES: usize = 32;
    pub const MODULE_BAUD: usize = 36;
    pub const MODULE_RESERVED: usize = 40;

    pub const SCHED_MAJOR: usize = 32;
    pub const SCHED_WSTART: usize = 40;
    pub const SCHED_WCOUNT: usize = 44;
    pub const SCHED_FLAGS: usize = 48;
    pub const SCHED_RESERVED: usize = 52;
    pub const SCHED_FLAG_INITIAL: u32 = 1;

    pub const WIN_DURATION: usize = 0;
    pub const WIN_OWNER: usize = 8;
    pub const WIN_RESERVED: usize = 12;

    pub const PART_ID: usize = 32;
    pub const PART_FLAGS: usize = 36;
    pub const PART_PHYS: usize = 40;
    pub const PART_SIZE: usize = 48;
    pub const PART_IPA: usize = 56;
    pub const PART_ENTRY: usize = 64;
    pub const PART_SSTART: usize = 72;
    pub const PART_SCOUNT: usize = 76;
    pub const PART_CONSOLE: usize = 80;
    pub const PART_RESERVED: usize = 84;
    /// Bytes of the partition's heap (0: none), whole pages (version 5).
    pub const PART_HEAP: usize = 88;
    pub const PART_FLAG_SYSTEM: u32 = 1;
    pub const PART_FLAG_WRITE_EXECUTE: u32 = 2;
    pub const PART_FLAG_INITIALIZATION: u32 = 4;

    pub const SEG_LOAD: usize = 0;
    pub const SEG_MEM: usize = 8;
    pub const SEG_DATA: usize = 16;
    pub const SEG_FILE: usize = 20;
    pub const SEG_FLAGS: usize = 24;
    pub const SEG_RESERVED: usize = 28;

    pub const THR_PART: usize = 32;
    pub const THR_AFF: usize = 36;
    pub const THR_PRIO: usize = 40;
    pub const THR_RESERVED: usize = 44;
    pub const THR_PERIOD: usize = 48;
    pub const THR_DEADLINE: usize = 56;
    pub const THR_STACK: usize = 64;

    pub const CHAN_KIND: usize = 32;
    pub const CHAN_MSG: usize = 36;
    pub const CHAN_REFRESH: usize = 40;
    pub const CHAN_DEPTH: usize = 48;
    pub const CHAN_PSTART: usize = 52;
    pub const CHAN_PCOUNT: usize = 56;
    pub const CHAN_RESERVED: usize = 60;

    pub const PORT_PART: usize = 32;
    pub const PORT_DIR: usize = 36;

    pub const HEALTH_KIND: usize = 0;
    pub const HEALTH_ACTION: usize = 4;
    pub const HEALTH_PART: usize = 8;
    /// The schedule index of a `switch_schedule`, 0 for other actions.
    pub const HEALTH_SCHEDULE: usize = 12;

    pub const REGION_PHYS: usize = 32;
    pub const REGION_SIZE: usize = 40;
    pub const REGION_IPA: usize = 48;
    pub const REGION_MSTART: usize = 56;
    pub const REGION_MCOUNT: usize = 60;

    pub const MAP_PART: usize = 0;
    pub const MAP_ACCESS: usize = 4;

    pub const DEV_PART: usize = 32;
    /// Index of the receiving thread within its partition.
    pub const DEV_THREAD: usize = 36;
    pub const DEV_OUTSIDE: usize = 40;
    pub const DEV_MMIO_COUNT: usize = 44;
    pub const DEV_IRQ_COUNT: usize = 48;
    pub const DEV_RESERVED: usize = 52;
    /// [`crate::MAX_DEVICE_MMIO`] slots of `base: u64, size: u64`.
    pub const DEV_MMIO: usize = 56;
    pub const DEV_MMIO_SLOT: usize = 16;
    /// [`crate::MAX_DEVICE_INTERRUPTS`] slots of `intid: u32`.
    pub const DEV_IRQ: usize = 120;
    pub const DEV_IRQ_SLOT: usize = 4;
    // The slots fill the record exactly.
    const _: () = assert!(DEV_MMIO + crate::MAX_DEVICE_MMIO * DEV_MMIO_SLOT == DEV_IRQ);
    const _: () = assert!(DEV_IRQ + crate::MAX_DEVICE_INTERRUPTS * DEV_IRQ_SLOT == super::Table::Device.record_size());
}
