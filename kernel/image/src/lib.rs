//! Bulkhead system image: the versioned, checksummed binary that the host tool
//! (`tools/bulkhead`, `bulkhead pack`) writes after the kernel and that the
//! kernel validates at boot before it loads any partition.
//!
//! Where it sits: `kernel/image`, a pure crate (no `unsafe`, no allocator, no
//! dependencies) shared by the kernel and the host tool. The kernel calls
//! [`SystemImage::parse`] over a `&[u8]` and reads every record in place
//! (zero copy); the tool enables the `alloc` feature for the writer
//! ([`ImageSpec::to_bytes`]) and for owned round-trip types.
//!
//! Design principles:
//! - **Validate everything once, up front.** [`SystemImage::parse`] checks the
//!   header, the checksum, every table's bounds, every record's fields, every
//!   index between tables and every cross-record rule (overlapping partition
//!   memory, windows longer than the major frame, ...). After it returns `Ok`
//!   the accessors cannot meet a bad offset; they still use `get()` so that a
//!   bug here is a wrong value, never a panic or an out-of-bounds read.
//! - **Errors name the field.** Every rejection is an [`ImageError`] naming the
//!   table, record index and field (`partition[2].memory_size`) and the numbers
//!   that clash, so the kernel's boot-time refusal says what and where.
//! - **Fixed-size little-endian records**, offsets and counts in one table
//!   directory; no pointers, no variable-length records except the data blob.
//!   A v1 parser rejects non-zero reserved fields and unknown flag bits so a
//!   later version cannot be half-understood.
//!
//! # Layout of `kernel8.img`
//!
//! `bulkhead pack --kernel KERNEL_BIN` writes the bootable image as
//!
//! ```text
//! offset 0                  kernel bytes (raw binary, loaded at 0x80000 by the firmware)
//! kernel_len                zero padding up to the next multiple of 4 KiB (KERNEL_ALIGN)
//! align_up(kernel_len, 4K)  system image (this format), `total_len` bytes
//! ```
//!
//! so the kernel finds the system image at the first 4 KiB boundary at or
//! after the end of its own loaded bytes, and checks the magic there
//! ([`SystemImage::parse_after_kernel`]). Without `--kernel`, the output file
//! is the system image alone.
//!
//! # System image format, version 6
//!
//! All integers are little-endian. Offsets are in bytes from the start of the
//! system image. The header is [`HEADER_SIZE`] bytes:
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `b"BULKHEAD"` ([`MAGIC`]) |
//! | 8 | 4 | format version ([`FORMAT_VERSION`]) |
//! | 12 | 4 | `total_len`: bytes of the system image, header included |
//! | 16 | 4 | CRC-32 (IEEE 802.3, as zlib) over bytes `20..total_len` |
//! | 20 | 4 | table count, [`TABLE_COUNT`] |
//! | 24 | 8 × 13 | table directory: per [`Table`], in order, `offset: u32, count: u32` |
//!
//! Each table holds `count` records of the fixed size given by
//! [`Table::record_size`]; tables lie after the header, inside `total_len`,
//! and do not overlap. Names are [`NAME_SIZE`]-byte fields: one length byte
//! (1..=31), the UTF-8 bytes, zero padding.
//!
//! | table | record (size) | fields (offset: type) |
//! | --- | --- | --- |
//! | module | 48 | 0: name, 32: core_count u32, 36: console_baud u32 (> 0), 40: reserved u64. Exactly one record. |
//! | schedule | 56 | 0: name, 32: major_frame_ns u64, 40: window_start u32, 44: window_count u32, 48: flags u32 (bit 0 initial), 52: reserved u32 |
//! | window | 16 | 0: duration_ns u64, 8: owner u32 (partition id, or [`SPARE`]), 12: reserved u32 |
//! | partition | 96 | 0: name, 32: id u32 (= index), 36: flags u32 (bit 0 system, bit 1 write_execute: pages may be writable and executable at once, bit 2 initialization: starts in COLD_START and enters NORMAL itself), 40: phys_base u64, 48: memory_size u64, 56: ipa_base u64, 64: entry_ipa u64, 72: segment_start u32, 76: segment_count u32, 80: console_buffer u32 (bytes, [`CONSOLE_BUFFER_MIN`]..=[`CONSOLE_BUFFER_MAX`], all partitions' summing to at most [`CONSOLE_BUFFER_TOTAL_MAX`]), 84: reserved u32, 88: heap_size u64 (bytes, a multiple of 4 KiB, at most memory_size; 0: no heap) |
//! | segment | 32 | 0: load_offset u64 (from the partition's memory start), 8: mem_size u64, 16: data_offset u32 (into the data table), 20: file_size u32, 24: flags u32 (bit 0 R, 1 W, 2 X), 28: reserved u32 |
//! | thread | 72 | 0: name, 32: partition u32, 36: affinity u32 (bit n = core n), 40: priority u32, 44: reserved u32, 48: period_ns u64 (0 none), 56: deadline_ns u64 (0 none), 64: stack_size u64 |
//! | channel | 64 | 0: name, 32: kind u32 (1 sampling, 2 queuing), 36: message_size u32, 40: refresh_period_ns u64 (sampling), 48: depth u32 (queuing), 52: port_start u32, 56: port_count u32, 60: reserved u32 |
//! | port | 40 | 0: name, 32: partition u32, 36: direction u32 (0 source, 1 destination) |
//! | health | 16 | 0: error kind u32 ([`ErrorKind`]), 4: action u32 ([`HealthAction`]), 8: partition u32 (the partition whose errors it covers, or [`SPARE`] for a module default), 12: schedule u32 (for `switch_schedule`, the index of the schedule to switch to; 0 for any other action) |
//! | data | 1 | segment file bytes |
//! | region | 64 | 0: name, 32: phys_base u64, 40: size u64, 48: ipa_base u64 (the same in every partition that maps it), 56: mapping_start u32, 60: mapping_count u32 |
//! | mapping | 8 | 0: partition u32, 4: access u32 ([`RegionAccess`]: 0 read-only, 1 read/write) |
//! | device | 136 | 0: name (the board's name of the device), 32: partition u32, 36: thread u32 (index among the partition's threads: the one its interrupts go to), 40: outside_window u32 ([`OutsideWindow`]: 0 deliver, 1 drop), 44: mmio_count u32 (0..=[`MAX_DEVICE_MMIO`]), 48: interrupt_count u32 (0..=[`MAX_DEVICE_INTERRUPTS`]), 52: reserved u32, 56: [`MAX_DEVICE_MMIO`] × (base u64, size u64), 120: [`MAX_DEVICE_INTERRUPTS`] × intid u32; slots past the counts are zero |
//!
//! Windows and segments are owned by ranges: schedule `i` owns windows
//! `window_start..window_start + window_count`, the ranges follow one another
//! in order and cover the whole window table (likewise partitions and
//! segments, channels and ports). A channel's first port is its source, the
//! others its destinations; likewise regions and mappings. A window's offset in the major frame is the sum
//! of the durations before it. Partition memory is mapped for the partition
//! at `ipa_base..ipa_base + memory_size`, backed by
//! `phys_base..phys_base + memory_size`; both are page aligned.
//!
//! A health record covers one error kind of one partition (its own
//! `[partition.health]`) or, with partition [`SPARE`], of every partition
//! that has no entry of its own for that kind (the module's `[health]`);
//! at most one record per (kind, partition). A table with no record for
//! `stack_overflow` uses its `stage2_abort` record
//! ([`ErrorKind::falls_back_to`]). `missed_boundary` is an event of the
//! module ([`ErrorKind::module_event`]): its records are the module's
//! ([`SPARE`]), with action `log`, `halt_module` or `switch_schedule`.
//! The error kinds `stack_overflow`, `window_overrun`, `missed_boundary`
//! (codes 6..=8) and the actions `warm_restart_partition`, `stop_process`,
//! `restart_process`, `switch_schedule` (5..=8), with the schedule word at
//! offset 12 that was reserved before, came later within version 4: every
//! earlier version-4 image reads as it did.
//!
//! A shared memory region is `size` bytes of physical memory of its own,
//! `phys_base..phys_base + size`, disjoint from every partition's and every
//! other region's, mapped at `ipa_base..ipa_base + size` into each partition
//! its mappings name, at most once each, read-only or read/write and never
//! executable; in each of those partitions that IPA range is clear of the
//! partition's memory and of every other region it maps. A region may have
//! no mapping (it is still placed, and zeroed at boot).
//!
//! A device is owned by one partition (at most [`MAX_DEVICES`] in all, one
//! record per name): at least one MMIO range or interrupt; each range whole
//! pages below 4 GiB, mapped at its physical address (IPA = PA) into its
//! partition only, clear of every other device's range, of all partition
//! and region memory, and in its partition of the memory's IPA range, the
//! regions it maps and the GIC CPU interface ([`GICC_IPA`]); each
//! interrupt an SPI ([`FIRST_SPI`]..=[`LAST_SPI`]) no other device lists.
//! Whether the board has such a device at those addresses is the board
//! crate's word (`bulkhead_board_rpi4::devices`), checked by the tool and
//! by the kernel at load, not by this parser.
//!
//! How a partition's memory is mapped (segments with their ELF rights,
//! thread stacks from the top down, each above an unmapped guard page, the
//! heap just below the lowest guard page) is [`MemoryMap`]'s to say: the
//! kernel and the tool read the same map, and both refuse a heap that does
//! not fit between the image and the stacks ([`MapError::HeapDoesNotFit`]).
//!
//! Versions: 1 had no console settings (module offset 36 was reserved, the
//! partition record 80 bytes). 2 adds the module's `console_baud` and each
//! partition's `console_buffer`. 3 adds the region and mapping tables (the
//! directory grows from 10 to 12 entries, the header from 104 to 120
//! bytes; every other table is as in 2). 4 adds per-partition health
//! tables: the health record grows from 8 to 16 bytes (a partition id, or
//! [`SPARE`] for a module default, then a reserved word); an error's action
//! is its partition's entry, else the module's, else the kind's default
//! ([`SystemImage::health_decision`]). 5 adds each partition's heap: the
//! partition record grows from 88 to 96 bytes (`heap_size` at 88), which
//! the kernel passes to the partition's threads with the heap's place. 6
//! adds the device table (the directory grows from 12 to 13 entries, the
//! header from 120 to 128 bytes; every other table is as in 5). A
//! parser reads its own version
//! only, so an older image is refused by name (`header.version`), never
//! misread.
//! The partition flag `write_execute` (bit 1) came later within version 2:
//! a parser from before it refuses an image that sets it (an unknown flag
//! bit, `partition[i].flags`) rather than half-understand it, and an image
//! that leaves it clear reads the same to both.
//!
//! # Using it from the kernel
//!
//! ```
//! # fn boot(bytes: &[u8]) -> Result<(), bulkhead_image::ImageError> {
//! let image = bulkhead_image::SystemImage::parse(bytes)?;
//! let _console_baud = image.module().console_baud;
//! for partition in image.partitions() {
//!     let _console_buffer_bytes = partition.console_buffer;
//!     for segment in partition.segments() {
//!         // copy segment.data to phys_base + load_offset, zero the rest of mem_size
//!         let _ = (partition.phys_base + segment.load_offset, segment.data, segment.mem_size);
//!     }
//! }
//! for device in image.devices() {
//!     // map each range at its physical address into device.partition; route
//!     // each interrupt to the cores of its thread
//!     let _ = (device.partition, device.thread, device.outside_window);
//!     for range in device.mmio() {
//!         let _ = (range.base, range.size);
//!     }
//!     for _intid in device.interrupts() {}
//! }
//! let (_index, initial) = image.initial_schedule();
//! for window in initial.windows() {
//!     let _ = (window.offset_ns, window.duration_ns, window.owner);
//! }
//! # Ok(()) }
//! ```

#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod crc;
mod error;
mod layout;
mod memory;
mod parse;
mod records;
#[cfg(feature = "alloc")]
mod write;

pub use crc::crc32;
pub use error::{ImageError, MmioClash, MmioProblem, NameProblem, RecordRef};
pub use layout::{
    CONSOLE_BUFFER_MAX, CONSOLE_BUFFER_MIN, CONSOLE_BUFFER_TOTAL_MAX, DEVICE_ADDRESS_LIMIT, FIRST_SPI, FORMAT_VERSION,
    GICC_IPA, GICC_SIZE, HEADER_SIZE, KERNEL_ALIGN, LAST_SPI, MAGIC, MAX_CORES, MAX_DEVICE_INTERRUPTS, MAX_DEVICE_MMIO,
    MAX_DEVICES, NAME_MAX_LEN, NAME_SIZE, PAGE_SIZE, SPARE, TABLE_COUNT, Table, kernel_image_offset,
};
pub use memory::{Access, Area, MapError, MemoryMap, Run, Runs, STACK_GUARD_SIZE, heap_range};
pub use parse::SystemImage;
pub use records::{
    Channel, ChannelKind, Device, ErrorKind, HealthAction, HealthDecision, HealthEntry, HealthSource, Mappings,
    MemoryRegion, MmioRange, Module, OutsideWindow, Partition, Port, PortDirection, Ports, RegionAccess, RegionMapping,
    Schedule, Segment, SegmentFlags, Segments, Thread, Window, Windows, decide_health,
};
#[cfg(feature = "alloc")]
pub use write::{
    ChannelSpec, DeviceSpec, ImageSpec, MappingSpec, ModuleSpec, PartitionSpec, PortSpec, RegionSpec, ScheduleSpec,
    SegmentSpec, ThreadSpec, WindowSpec, WriteError,
};
