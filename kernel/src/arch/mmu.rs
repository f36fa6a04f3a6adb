//! The EL2 stage-1 identity map (Arm ARM DDI 0487 D8, VMSAv8-64 translation;
//! 4 KiB granule, 32-bit input addresses, lookup starting at level 1).
//!
//! | range                         | attributes                            |
//! |-------------------------------|---------------------------------------|
//! | 0 .. 1 GiB                    | normal write-back, 2 MiB blocks; the 2 MiB block of the stacks in 4 KiB pages with every guard page left out |
//! | 1 GiB .. 2 GiB                | normal write-back, one 1 GiB block    |
//! | 0xFC00_0000 .. 4 GiB          | device-nGnRE, execute-never           |
//! | everything else               | unmapped                              |
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

// Descriptor bits (D8.3).
const VALID: u64 = 1;
const TABLE_OR_PAGE: u64 = 1 << 1;
const ATTR_NORMAL: u64 = 0 << 2; // MAIR index 0
const ATTR_DEVICE: u64 = 1 << 2; // MAIR index 1
const AP_RW: u64 = 1 << 6; // AP[1] is RES1 in a single-EL regime; AP[2] = 0: read/write
const SH_INNER: u64 = 3 << 8;
const AF: u64 = 1 << 10;
const XN: u64 = 1 << 54;

const NORMAL: u64 = ATTR_NORMAL | AP_RW | SH_INNER | AF;
const DEVICE: u64 = ATTR_DEVICE | AP_RW | AF | XN;

#[repr(C, align(4096))]
struct Table([u64; ENTRIES]);

struct Tables {
    l1: Table,
    l2_low: Table,
    l2_high: Table,
    l3_stacks: Table,
}

struct TableCell(UnsafeCell<Tables>);

// SAFETY: written once by core 0 in `build` before any other core runs
// Rust code; read only by the MMU afterwards.
unsafe impl Sync for TableCell {}

static TABLES: TableCell = TableCell(UnsafeCell::new(Tables {
    l1: Table([0; ENTRIES]),
    l2_low: Table([0; ENTRIES]),
    l2_high: Table([0; ENTRIES]),
    l3_stacks: Table([0; ENTRIES]),
}));

unsafe extern "C" {
    static __stacks_start: u8;
    static __stacks_end: u8;
    static __stack_slot_size: u8;
    static __guard_size: u8;
}

/// Linker-provided layout of the stack region: (start, end, slot, guard).
fn stack_layout() -> (usize, usize, usize, usize) {
    // Only the symbols' addresses are taken (safe for extern statics); for
    // the two absolute symbols the address *is* the value.
    (
        &raw const __stacks_start as usize,
        &raw const __stacks_end as usize,
        &raw const __stack_slot_size as usize,
        &raw const __guard_size as usize,
    )
}

/// Is `addr` inside one of the stack guard pages?
pub fn is_guard_page(addr: usize) -> bool {
    let (start, end, slot, guard) = stack_layout();
    (start..end).contains(&addr) && (addr - start) % slot < guard
}

/// Fills the translation tables.
///
/// # Safety
/// Core 0 only, once, with the MMU off and before any other core is
/// released; nothing else may access the tables concurrently.
pub unsafe fn build() {
    let (stacks_start, stacks_end, slot, _) = stack_layout();
    debug_assert!(stacks_start % BLOCK_2M == 0 && stacks_end - stacks_start <= BLOCK_2M);
    // SAFETY: the caller guarantees exclusive access (single core, MMU off).
    let t = unsafe { &mut *TABLES.0.get() };

    for (i, e) in t.l3_stacks.0.iter_mut().enumerate() {
        let addr = stacks_start + i * PAGE;
        let in_guard = addr < stacks_end && (addr - stacks_start) % slot < PAGE;
        *e = if in_guard { 0 } else { addr as u64 | NORMAL | TABLE_OR_PAGE | VALID };
    }
    for (i, e) in t.l2_low.0.iter_mut().enumerate() {
        let addr = RAM_BASE + i * BLOCK_2M;
        *e = if addr == stacks_start {
            &raw const t.l3_stacks as u64 | TABLE_OR_PAGE | VALID
        } else {
            addr as u64 | NORMAL | VALID
        };
    }
    for (i, e) in t.l2_high.0.iter_mut().enumerate() {
        let addr = 3 * BLOCK_1G + i * BLOCK_2M;
        *e = if (DEVICE_BASE..DEVICE_END).contains(&addr) { addr as u64 | DEVICE | VALID } else { 0 };
    }
    t.l1.0[0] = &raw const t.l2_low as u64 | TABLE_OR_PAGE | VALID;
    t.l1.0[1] = if RAM_SIZE > BLOCK_1G { BLOCK_1G as u64 | NORMAL | VALID } else { 0 };
    t.l1.0[3] = &raw const t.l2_high as u64 | TABLE_OR_PAGE | VALID;
    super::clean_dcache_range(t as *const Tables as usize, core::mem::size_of::<Tables>());
}

/// Loads the tables and turns on the MMU, data and instruction caches.
///
/// # Safety
/// [`build`] must have completed (on core 0, or on this core); the map is an
/// identity map, so execution continues at the same addresses.
pub unsafe fn enable() {
    let ttbr = TABLES.0.get() as u64; // l1 is the first field
    // MAIR: attr0 normal inner/outer write-back RW-allocate, attr1 device-nGnRE.
    let mair: u64 = 0xff | (0x04 << 8);
    // TCR_EL2: T0SZ=32 (4 GiB), IRGN0/ORGN0 write-back, inner shareable,
    // TG0 4 KiB, PS 40-bit, RES1 bits 23 and 31.
    let tcr: u64 = 32 | (1 << 8) | (1 << 10) | (3 << 12) | (0b010 << 16) | (1 << 23) | (1 << 31);
    // SAFETY: the caller guarantees the tables are complete; the sequence
    // (Arm ARM D8.14, "TLB maintenance") invalidates stale EL2 TLB entries
    // before translation starts, and the ISBs order the register writes.
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
