//! The EL2 stage-1 identity map (Arm ARM DDI 0487 D8, VMSAv8-64 translation;
//! 4 KiB granule, 32-bit input addresses, lookup starting at level 1), with
//! W^X: no page the kernel can write is one it can execute.
//!
//! | range                                  | attributes                                         |
//! |----------------------------------------|----------------------------------------------------|
//! | kernel `.text` (`__kernel_start..__text_end`) | normal write-back, read-only, executable     |
//! | kernel `.rodata` (`..__rodata_end`)    | normal write-back, read-only, execute-never        |
//! | kernel `.data` (`..__kernel_image_end`) | normal write-back, read/write, execute-never     |
//! | system image gap (`__system_image_start..__system_image_limit`) | normal write-back, read-only, execute-never: the kernel only parses and copies from it |
//! | `.bss`, `.stacks`                      | normal write-back, read/write, execute-never; every stack guard page unmapped |
//! | the rest of RAM, 0 .. 2 GiB            | normal write-back, read/write, execute-never: partition memory (loaded and zeroed at start and restart), the firmware's spin table; once the module is loaded, only the 2 MiB blocks that hold kernel, image, partition memory or shared regions ([`unmap_unused_ram`]) |
//! | 0xFC00_0000 .. 4 GiB                   | device-nGnRE, execute-never                        |
//! | everything else                        | unmapped                                           |
//!
//! The EL2 regime has one privilege level: AP[2] alone says read-only, AP[1]
//! is RES1, and bit 54 is XN (D8.4, "Memory access control"; PXN is RES0).
//! SCTLR_EL2.WXN is set as well, so even a page mapped writable and
//! executable by mistake would not execute. Partition memory is never
//! executable at EL2: the kernel runs no partition code, it only loads it.
//!
//! Granularity: 2 MiB blocks where a whole block has one set of
//! attributes, 4 KiB pages (a level-3 table) in the few blocks where the
//! attributes change inside: the kernel's first block (the low memory
//! below 0x80000, then text, rodata and data), the blocks holding the end
//! of the raw image and the end of the image gap, and the stacks' block
//! with its guard holes. `linker/kernel.ld` puts every such boundary on a
//! 4 KiB page.
//!
//! The caches must be on before the first lock or atomic: on a real Pi 4,
//! exclusives only work on normal cacheable memory. Core 0 builds the tables
//! with the MMU off (plain stores reach memory), every core then loads the
//! same TTBR0_EL2 and turns the MMU and caches on.
use bulkhead_board_rpi4::memory::{DEVICE_BASE, DEVICE_END, RAM_BASE, RAM_SIZE};
use core::cell::UnsafeCell;

const ENTRIES: usize = 512;
const BLOCK_2M: usize = 2 << 20;
const BLOCK_1G: usize = 1 << 30;
const PAGE: usize = 4096;
/// Level-3 tables for the 2 MiB blocks whose attributes change inside: at
/// most one per boundary of `linker/kernel.ld` that need not fall on a
/// 2 MiB line (`__kernel_start`, `__text_end`, `__rodata_end`,
/// `__kernel_image_end`, `__system_image_limit`), plus the stacks' block.
const L3_TABLES: usize = 6;

// Descriptor bits (D8.3).
const VALID: u64 = 1;
const TABLE_OR_PAGE: u64 = 1 << 1;
const ATTR_NORMAL: u64 = 0 << 2; // MAIR index 0
const ATTR_DEVICE: u64 = 1 << 2; // MAIR index 1
const AP_RW: u64 = 0b01 << 6; // AP[1] is RES1 in a single-EL regime; AP[2] = 0: read/write
const AP_RO: u64 = 0b11 << 6; // AP[2] = 1: read-only
const SH_INNER: u64 = 3 << 8;
const AF: u64 = 1 << 10;
const XN: u64 = 1 << 54;

/// What EL2 may do with a page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Rights {
    /// Kernel text: read and execute.
    Text,
    /// Kernel rodata and the system image: read only.
    ReadOnly,
    /// Data, .bss, stacks, the rest of RAM: read and write, never execute.
    ReadWrite,
    /// Peripherals: device memory, read and write, never execute.
    Device,
    /// Not mapped: stack guard pages, and the holes in the address space.
    Unmapped,
}

impl Rights {
    /// Leaf descriptor attributes (without the address and the type bits).
    const fn attributes(self) -> Option<u64> {
        match self {
            Rights::Text => Some(ATTR_NORMAL | AP_RO | SH_INNER | AF),
            Rights::ReadOnly => Some(ATTR_NORMAL | AP_RO | SH_INNER | AF | XN),
            Rights::ReadWrite => Some(ATTR_NORMAL | AP_RW | SH_INNER | AF | XN),
            Rights::Device => Some(ATTR_DEVICE | AP_RW | AF | XN),
            Rights::Unmapped => None,
        }
    }
}

#[repr(C, align(4096))]
struct Table([u64; ENTRIES]);

#[repr(C)]
struct Tables {
    l1: Table,
    l2_low: Table,
    /// The second GiB of RAM, in 2 MiB blocks (so blocks can be unmapped).
    l2_ram: Table,
    l2_high: Table,
    l3: [Table; L3_TABLES],
}

struct TableCell(UnsafeCell<Tables>);

// SAFETY: written once by core 0 in `build` before any other core runs
// Rust code; read only by the MMU afterwards.
unsafe impl Sync for TableCell {}

static TABLES: TableCell = TableCell(UnsafeCell::new(Tables {
    l1: Table([0; ENTRIES]),
    l2_low: Table([0; ENTRIES]),
    l2_ram: Table([0; ENTRIES]),
    l2_high: Table([0; ENTRIES]),
    l3: [const { Table([0; ENTRIES]) }; L3_TABLES],
}));

unsafe extern "C" {
    static __kernel_start: u8;
    static __text_end: u8;
    static __rodata_end: u8;
    static __kernel_image_end: u8;
    static __system_image_limit: u8;
    static __stacks_start: u8;
    static __stacks_end: u8;
    static __stack_slot_size: u8;
    static __guard_size: u8;
}

/// The page boundaries of `linker/kernel.ld` that the map follows.
struct Layout {
    kernel_start: usize,
    text_end: usize,
    rodata_end: usize,
    image_end: usize,
    image_limit: usize,
    stacks_start: usize,
    stacks_end: usize,
    slot: usize,
    guard: usize,
}

impl Layout {
    fn of_kernel() -> Layout {
        // Only the symbols' addresses are taken (safe for extern statics);
        // for the two absolute symbols the address *is* the value.
        Layout {
            kernel_start: &raw const __kernel_start as usize,
            text_end: &raw const __text_end as usize,
            rodata_end: &raw const __rodata_end as usize,
            image_end: &raw const __kernel_image_end as usize,
            image_limit: &raw const __system_image_limit as usize,
            stacks_start: &raw const __stacks_start as usize,
            stacks_end: &raw const __stacks_end as usize,
            slot: &raw const __stack_slot_size as usize,
            guard: &raw const __guard_size as usize,
        }
    }

    fn in_guard_page(&self, addr: usize) -> bool {
        (self.stacks_start..self.stacks_end).contains(&addr) && (addr - self.stacks_start) % self.slot < self.guard
    }

    /// The rights of the page at `addr` (page aligned).
    fn rights_at(&self, addr: usize) -> Rights {
        if (self.kernel_start..self.text_end).contains(&addr) {
            Rights::Text
        } else if (self.text_end..self.rodata_end).contains(&addr) || (self.image_end..self.image_limit).contains(&addr)
        {
            // .rodata, and the system image gap: rodata by another name.
            Rights::ReadOnly
        } else if self.in_guard_page(addr) {
            Rights::Unmapped
        } else if (RAM_BASE..RAM_BASE + RAM_SIZE).contains(&addr) {
            Rights::ReadWrite
        } else if (DEVICE_BASE..DEVICE_END).contains(&addr) {
            Rights::Device
        } else {
            Rights::Unmapped
        }
    }

    /// Whether the 2 MiB block at `block` lies clear of the kernel, from
    /// its first section to its last stack: every edge of [`Layout`] lies
    /// in `kernel_start..=stacks_end` (`linker/kernel.ld` keeps that
    /// order), so such a block has none inside, and if it is RAM it is
    /// plain read/write RAM. It spares the finer checks for all but a few
    /// of the 1,024 blocks of RAM.
    fn clear_of_kernel(&self, block: usize) -> bool {
        block + BLOCK_2M <= self.kernel_start || block >= self.stacks_end
    }

    /// The first address after `addr` at which [`Layout::rights_at`] may
    /// give other rights: the next edge of a section, of the stacks, of a
    /// stack's guard page, of RAM or of the devices.
    fn next_change(&self, addr: usize) -> usize {
        let edges = [
            self.kernel_start,
            self.text_end,
            self.rodata_end,
            self.image_end,
            self.image_limit,
            self.stacks_start,
            self.stacks_end,
            RAM_BASE + RAM_SIZE,
            DEVICE_BASE,
            DEVICE_END,
        ];
        let mut next = edges.into_iter().filter(|&e| e > addr).min().unwrap_or(usize::MAX);
        if (self.stacks_start..self.stacks_end).contains(&addr) {
            let slot_start = addr - (addr - self.stacks_start) % self.slot;
            let guard_end = slot_start + self.guard;
            next = next.min(if addr < guard_end { guard_end } else { slot_start + self.slot });
        }
        next
    }

    /// Whether the rights change inside the 2 MiB block at `block`.
    fn mixed(&self, block: usize) -> bool {
        if self.clear_of_kernel(block) {
            return false;
        }
        let inside = |edge: usize| edge > block && edge < block + BLOCK_2M;
        let edges = [self.kernel_start, self.text_end, self.rodata_end, self.image_end, self.image_limit];
        edges.into_iter().any(inside) || (self.stacks_start < block + BLOCK_2M && block < self.stacks_end)
    }
}

/// Is `addr` inside one of the stack guard pages?
pub fn is_guard_page(addr: usize) -> bool {
    Layout::of_kernel().in_guard_page(addr)
}

/// The 2 MiB block descriptors of RAM, first and second GiB in order, and
/// the address of the block each maps.
fn ram_blocks(t: &mut Tables) -> impl Iterator<Item = (usize, &mut u64)> {
    let low = t.l2_low.0.iter_mut().enumerate().map(|(i, e)| (RAM_BASE + i * BLOCK_2M, e));
    let high = t.l2_ram.0.iter_mut().enumerate().map(|(i, e)| (BLOCK_1G + i * BLOCK_2M, e));
    low.chain(high).filter(|(block, _)| *block < RAM_BASE + RAM_SIZE)
}

/// Whether the live map leaves the 2 MiB block holding `addr` unmapped
/// although it is RAM ([`unmap_unused_ram`] took it out).
fn ram_block_unmapped(addr: usize) -> bool {
    let i = addr / BLOCK_2M;
    // SAFETY: a plain read of a descriptor; the tables are static and
    // only core 0 writes them, once before and once after the load.
    let t = unsafe { &*TABLES.0.get() };
    let e = match i {
        0..ENTRIES => t.l2_low.0[i],
        _ if (BLOCK_1G..RAM_BASE + RAM_SIZE).contains(&addr) => t.l2_ram.0[i - ENTRIES],
        _ => return false,
    };
    (RAM_BASE..RAM_BASE + RAM_SIZE).contains(&addr) && e & VALID == 0
}

/// Takes out of the EL2 map every 2 MiB block of RAM that `keep` does not
/// want and that holds nothing of the kernel (no page of another kind:
/// text, rodata, image gap, stacks, the low memory of the first block):
/// once the module is loaded, EL2 maps only what it must touch, the kernel
/// and the partitions' memory and regions (which hypercalls read from, and
/// restarts reload), so no gadget, speculative or not, reaches the rest.
/// Returns the blocks kept and taken out.
///
/// # Safety
/// Core 0, once, after [`build`] and [`enable`] on every core, with nothing
/// in the blocks `keep` refuses that any core will touch again.
pub unsafe fn unmap_unused_ram(keep: impl Fn(usize) -> bool) -> (usize, usize) {
    let layout = Layout::of_kernel();
    // SAFETY: core 0 alone writes the tables, per the caller.
    let t = unsafe { &mut *TABLES.0.get() };
    let (mut kept, mut out) = (0, 0);
    for (block, e) in ram_blocks(t) {
        let plain_ram =
            layout.clear_of_kernel(block) || (!layout.mixed(block) && layout.rights_at(block) == Rights::ReadWrite);
        if plain_ram && !keep(block) {
            // SAFETY: a descriptor of our own static table; the MMU reads
            // it, so the store is volatile and made visible below.
            unsafe { core::ptr::write_volatile(e, 0) };
            out += 1;
        } else {
            kept += 1;
        }
    }
    // Removing a mapping needs no break-before-make; the broadcast TLB
    // invalidation drops every core's cached translation of the blocks.
    // SAFETY: barriers and EL2 TLB maintenance only.
    unsafe { core::arch::asm!("dsb ishst", "tlbi alle2is", "dsb ish", "isb", options(nostack)) };
    (kept, out)
}

/// What the EL2 map says of `addr`, for the fatal-exception dump: the
/// kernel section or region it lies in and its rights there.
pub fn describe(addr: usize) -> &'static str {
    let layout = Layout::of_kernel();
    let page = addr & !(PAGE - 1);
    match layout.rights_at(page) {
        Rights::Text => "kernel text: read-only, executable",
        Rights::ReadOnly if page < layout.rodata_end => "kernel rodata: read-only, execute-never",
        Rights::ReadOnly => "the system image: read-only, execute-never",
        Rights::ReadWrite if ram_block_unmapped(page) => {
            "RAM the EL2 map leaves out: no kernel, image, partition memory or region there"
        }
        Rights::ReadWrite => "read/write, execute-never",
        Rights::Device => "device memory: read/write, execute-never",
        Rights::Unmapped if layout.in_guard_page(page) => "a stack guard page: unmapped",
        Rights::Unmapped => "unmapped",
    }
}

/// The 2 MiB blocks of the first GiB that need 4 KiB pages are more than
/// the level-3 tables set aside for them ([`L3_TABLES`]): a change to
/// `linker/kernel.ld` that added a boundary without raising it.
#[derive(Debug, Clone, Copy)]
pub struct TooManyBlocks {
    /// Blocks that need pages.
    pub mixed: usize,
    /// Level-3 tables there are.
    pub tables: usize,
}

/// Fills the translation tables.
///
/// # Safety
/// Core 0 only, once, with the MMU off and before any other core is
/// released; nothing else may access the tables concurrently.
pub unsafe fn build() -> Result<(), TooManyBlocks> {
    let layout = Layout::of_kernel();
    let blocks = || (0..ENTRIES).map(|i| RAM_BASE + i * BLOCK_2M);
    let mixed = blocks().filter(|&b| layout.mixed(b)).count();
    if mixed > L3_TABLES {
        return Err(TooManyBlocks { mixed, tables: L3_TABLES });
    }
    // SAFETY: the caller guarantees exclusive access (single core, MMU off).
    let t = unsafe { &mut *TABLES.0.get() };

    let mut l3_used = 0;
    for (e, block) in t.l2_low.0.iter_mut().zip(blocks()) {
        *e = if layout.mixed(block) {
            let l3 = &mut t.l3[l3_used];
            l3_used += 1;
            // A stretch of pages at a time, between the places where the
            // rights may change, instead of asking `rights_at` for each
            // of the 512 pages (~100,000 instructions of the boot). A page
            // has the rights of its first byte, so a change inside a page
            // takes effect at the next one.
            let mut addr = block;
            while addr < block + BLOCK_2M {
                let next = layout.next_change(addr).next_multiple_of(PAGE).min(block + BLOCK_2M);
                let attributes = layout.rights_at(addr).attributes();
                for page in (addr..next).step_by(PAGE) {
                    l3.0[(page - block) / PAGE] = attributes.map_or(0, |a| page as u64 | a | TABLE_OR_PAGE | VALID);
                }
                addr = next;
            }
            &raw const *l3 as u64 | TABLE_OR_PAGE | VALID
        } else {
            layout.rights_at(block).attributes().map_or(0, |a| block as u64 | a | VALID)
        };
    }
    for (i, e) in t.l2_high.0.iter_mut().enumerate() {
        let block = 3 * BLOCK_1G + i * BLOCK_2M;
        *e = layout.rights_at(block).attributes().map_or(0, |a| block as u64 | a | VALID);
    }
    t.l1.0[0] = &raw const t.l2_low as u64 | TABLE_OR_PAGE | VALID;
    // RAM above the first GiB holds nothing of the kernel (kernel.ld
    // asserts it): 2 MiB blocks, read/write, execute-never.
    for (i, e) in t.l2_ram.0.iter_mut().enumerate() {
        let block = BLOCK_1G + i * BLOCK_2M;
        *e = if block < RAM_BASE + RAM_SIZE {
            block as u64 | Rights::ReadWrite.attributes().unwrap_or(0) | VALID
        } else {
            0
        };
    }
    t.l1.0[1] = if RAM_SIZE > BLOCK_1G { &raw const t.l2_ram as u64 | TABLE_OR_PAGE | VALID } else { 0 };
    t.l1.0[3] = &raw const t.l2_high as u64 | TABLE_OR_PAGE | VALID;
    super::clean_dcache_range(t as *const Tables as usize, core::mem::size_of::<Tables>());
    Ok(())
}

/// Loads the tables and turns on the MMU, data and instruction caches, and
/// WXN.
///
/// # Safety
/// [`build`] must have completed (on core 0, or on this core); the map is an
/// identity map, so execution continues at the same addresses.
pub unsafe fn enable() {
    // SAFETY: only the field's address is taken; nothing is read.
    let ttbr = unsafe { &raw const (*TABLES.0.get()).l1 } as u64;
    // MAIR: attr0 normal inner/outer write-back RW-allocate, attr1 device-nGnRE.
    let mair: u64 = 0xff | (0x04 << 8);
    // TCR_EL2: T0SZ=32 (4 GiB), IRGN0/ORGN0 write-back, inner shareable,
    // TG0 4 KiB, PS 40-bit, RES1 bits 23 and 31.
    let tcr: u64 = 32 | (1 << 8) | (1 << 10) | (3 << 12) | (0b010 << 16) | (1 << 23) | (1 << 31);
    // SAFETY: the caller guarantees the tables are complete; the sequence
    // (Arm ARM D8.14, "TLB maintenance") invalidates stale EL2 TLB entries
    // before translation starts, and the ISBs order the register writes.
    // WXN (SCTLR_EL2 bit 19) may be cached in the TLB, so it is set in the
    // same write that turns translation on (the SCTLR_EL2 description:
    // WXN "is permitted to be cached in a TLB").
    unsafe {
        core::arch::asm!(
            "msr mair_el2, {mair}",
            "msr tcr_el2, {tcr}",
            "msr ttbr0_el2, {ttbr}",
            "dsb ish",
            "isb",
            "tlbi alle2",
            "dsb ish",
            "isb",
            "mrs {t}, sctlr_el2",
            "orr {t}, {t}, #(1 << 0)",  // M
            "orr {t}, {t}, #(1 << 2)",  // C
            "orr {t}, {t}, #(1 << 12)", // I
            "orr {t}, {t}, #(1 << 19)", // WXN: writable implies execute-never
            "msr sctlr_el2, {t}",
            "isb",
            mair = in(reg) mair,
            tcr = in(reg) tcr,
            ttbr = in(reg) ttbr,
            t = out(reg) _,
            options(nostack)
        )
    };
}
