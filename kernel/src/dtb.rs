//! The board's memory map from the firmware: the flattened device tree
//! whose address the boot core found in x0 (`arch::boot::entry_x0`), read
//! once on core 0 before the banner, before any partition memory is
//! touched (docs/DESIGN.md#boot).
//!
//! Sits beside `module/`: [`read`] validates where the blob lies (inside
//! the RAM the EL2 map covers, above the spin table's page, clear of
//! everything the kernel wrote or loaded before reading it), then hands
//! its bytes to `bulkhead-fdt`, the pure reader, and keeps the
//! [`BoardMemory`] it returns: the RAM of `/memory` and what the firmware
//! reserved (memory reservation block, `/reserved-memory`). The blob itself
//! is not needed afterwards, so a partition may be loaded over it.
//!
//! No device tree (x0 = 0, QEMU's 0x100 without `-dtb`, no FDT magic), or
//! one that is misplaced or unreadable: the kernel says why and uses the
//! fallback map, the RAM every Pi 4 has ([`memory::FALLBACK_RAM`]), never
//! half a tree. `module::load` then refuses any partition or shared region
//! outside that RAM or over a reserved range, naming both.
use crate::arch;
use bulkhead_board_rpi4::memory;
use bulkhead_fdt::{BoardMemory, Fdt, FdtError, total_size};
use core::fmt;
use spin::Once;

/// Where the map came from.
#[derive(Clone, Copy)]
pub enum Origin {
    /// A device tree at this address, of this many bytes.
    DeviceTree { address: u64, size: usize },
    /// None: x0 at entry, and why it is not a usable device tree.
    Fallback { x0: u64, why: NoTree },
}

/// Why the kernel took the fallback map.
#[derive(Clone, Copy)]
pub enum NoTree {
    /// x0 = 0 (an ELF under QEMU, or no firmware tree).
    Zero,
    /// x0 in the first page (QEMU's 0x100 for a raw image without `-dtb`):
    /// the spin table's page, which the kernel has written by now.
    FirstPage,
    /// x0 not 8-byte aligned, as the boot protocol requires.
    Misaligned,
    /// The blob would reach outside the RAM the EL2 map covers.
    OutsideRam { end: u64 },
    /// The blob would overlap the kernel or the system image.
    OverlapsKernel { end: u64, kernel: (u64, u64) },
    /// The header or the tree is not one `bulkhead-fdt` reads.
    Unreadable(FdtError),
}

/// The memory map the kernel uses, and its origin.
pub struct FirmwareMap {
    pub memory: BoardMemory,
    pub origin: Origin,
}

static MAP: Once<FirmwareMap> = Once::new();

unsafe extern "C" {
    static __kernel_start: u8;
    static __kernel_end: u8;
    static __system_image_start: u8;
    static __system_image_limit: u8;
}

/// What the kernel wrote or loaded before it reads the tree: the kernel's
/// sections and the system image's bytes. The image gap past the image's
/// bytes holds nothing (the firmware may put the tree there); `.bss` and
/// the stacks after the gap are written at boot.
fn kernel_ranges() -> [(u64, u64); 2] {
    let start = &raw const __kernel_start as u64;
    let end = &raw const __kernel_end as u64;
    let image = &raw const __system_image_start as u64;
    let limit = &raw const __system_image_limit as u64;
    // SAFETY: the linker script reserves `image..limit` for the system
    // image; identity-mapped normal memory the kernel never writes.
    let gap = unsafe { core::slice::from_raw_parts(image as usize as *const u8, (limit - image) as usize) };
    let loaded = match bulkhead_image::SystemImage::parse_with_crc(gap, crate::arch::bulk::crc32) {
        Ok(parsed) => image + parsed.bytes().len() as u64,
        Err(_) if gap.get(..8) == Some(&bulkhead_image::MAGIC[..]) => limit,
        Err(_) => image,
    };
    [(start, loaded), (limit, end)]
}

/// Where `[address, address + len)` may not be read: outside the RAM the
/// EL2 map covers, or over what the kernel wrote.
fn misplaced(address: u64, len: u64) -> Option<NoTree> {
    let end = address.saturating_add(len);
    if end > (memory::RAM_BASE + memory::RAM_SIZE) as u64 {
        return Some(NoTree::OutsideRam { end });
    }
    let [(k0, k1), (g0, g1)] = kernel_ranges();
    let overlaps = |(s, e): (u64, u64)| address < e && s < end;
    (overlaps((k0, k1)) || overlaps((g0, g1))).then_some(NoTree::OverlapsKernel { end, kernel: (k0, g1) })
}

/// `len` bytes at `address`.
///
/// # Safety
///
/// `misplaced(address, len)` is `None`: the range is identity-mapped normal
/// RAM that no one writes while the kernel reads it (core 0 at boot, before
/// any partition is loaded; the other cores wait at the boot barrier).
unsafe fn bytes_at(address: u64, len: usize) -> &'static [u8] {
    // SAFETY: the caller's contract.
    unsafe { core::slice::from_raw_parts(address as usize as *const u8, len) }
}

fn from_x0(x0: u64) -> Result<(BoardMemory, usize), NoTree> {
    match x0 {
        0 => return Err(NoTree::Zero),
        1..0x1000 => return Err(NoTree::FirstPage),
        _ if !x0.is_multiple_of(8) => return Err(NoTree::Misaligned),
        _ => {}
    }
    if let Some(why) = misplaced(x0, 8) {
        return Err(why);
    }
    // SAFETY: checked just above.
    let size = total_size(unsafe { bytes_at(x0, 8) }).map_err(NoTree::Unreadable)?;
    if let Some(why) = misplaced(x0, size as u64) {
        return Err(why);
    }
    // SAFETY: checked just above, for all `size` bytes.
    let fdt = Fdt::new(unsafe { bytes_at(x0, size) }).map_err(NoTree::Unreadable)?;
    let map = BoardMemory::from_device_tree(&fdt).map_err(NoTree::Unreadable)?;
    Ok((map, size))
}

/// Core 0, once, at boot before any partition memory is written: reads
/// the device tree x0 pointed at, or takes the fallback map.
pub fn read() -> &'static FirmwareMap {
    MAP.call_once(|| {
        let x0 = arch::boot::entry_x0();
        match from_x0(x0) {
            Ok((memory, size)) => FirmwareMap { memory, origin: Origin::DeviceTree { address: x0, size } },
            Err(why) => {
                let (start, end) = memory::FALLBACK_RAM;
                FirmwareMap { memory: BoardMemory::fallback(start, end), origin: Origin::Fallback { x0, why } }
            }
        }
    })
}

/// The map [`read`] made (read now if it has not been).
pub fn get() -> &'static FirmwareMap {
    read()
}

impl fmt::Display for NoTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoTree::Zero => f.write_str("nothing passed"),
            NoTree::FirstPage => f.write_str("in the first page, the spin table's"),
            NoTree::Misaligned => f.write_str("not 8-byte aligned"),
            NoTree::OutsideRam { end } => {
                write!(f, "a blob there would end at {end:#x}, past the RAM the kernel maps ({:#x})", memory::RAM_SIZE)
            }
            NoTree::OverlapsKernel { end, kernel: (k0, k1) } => {
                write!(f, "a blob there (to {end:#x}) would overlap the kernel or its image {k0:#x}..{k1:#x}")
            }
            NoTree::Unreadable(e) => write!(f, "not a device tree this kernel reads: {e}"),
        }
    }
}

/// The banner's lines for the map: where it came from, then each range.
pub fn write_report(out: &mut impl fmt::Write) -> fmt::Result {
    let map = get();
    match map.origin {
        Origin::DeviceTree { address, size } => {
            writeln!(out, "board memory from the device tree at {address:#x} ({size} bytes):")?
        }
        Origin::Fallback { x0, why } => writeln!(
            out,
            "board memory: no device tree (x0 = {x0:#x} at entry: {why}); the fallback map, a 1 GiB Pi 4's (docs/DESIGN.md#boot):"
        )?,
    }
    let rows = map.memory.ram().iter().map(|s| ("RAM", s)).chain(map.memory.reserved().iter().map(|s| ("reserved", s)));
    for (kind, span) in rows {
        writeln!(
            out,
            "  {kind:<9} {:#011x}..{:#011x} {:>8} KiB  {}",
            span.start,
            span.end,
            (span.end - span.start) / 1024,
            span.source
        )?;
    }
    Ok(())
}
