//! Stage-2 translation: each partition's own view of memory (Arm ARM DDI 0487
//! D8, "The VMSAv8-64 address translation system", stage 2; VTCR_EL2,
//! VTTBR_EL2).
//!
//! A partition's IPA space is 4 GiB (VTCR_EL2.T0SZ = 32, lookup from level 1,
//! 4 KiB granule). Only its memory, `ipa_base..ipa_base + size`, is mapped,
//! onto its physical region, normal write-back, a range at a time with the
//! rights the caller gives ([`Rights`]: S2AP for read and write, XN for
//! execute, D8.4 "Memory access control"): the kernel maps each stretch of the partition's
//! memory map (`bulkhead_image::MemoryMap`: segments with their ELF
//! rights, stacks and free memory read/write and never executable, guard
//! pages left out). Nothing else exists for it: not the kernel, not the
//! GIC's distributor, not the console UART, not another partition; only
//! the GIC's virtual CPU interface (at the GICC address) and the devices
//! the system description assigns it, as device memory. 2 MiB blocks are used where a
//! range covers a whole block whose IPA and physical address are both
//! 2 MiB aligned, 4 KiB pages elsewhere.
//!
//! Tables come from a fixed pool in .bss, so the kernel needs no heap; a
//! module that needs more tables than the pool holds is refused at boot with
//! the numbers.
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicUsize, Ordering};

const ENTRIES: usize = 512;
const PAGE: u64 = 4096;
const BLOCK_2M: u64 = 2 << 20;
const BLOCK_1G: u64 = 1 << 30;
/// 4 GiB of IPA space.
pub const IPA_LIMIT: u64 = 1 << 32;
/// Page tables available for all partitions.
pub const POOL_TABLES: usize = 64;

const VALID: u64 = 1;
const TABLE_OR_PAGE: u64 = 1 << 1;
/// MemAttr[5:2] = 0b1111: normal, inner and outer write-back (D8.5.5).
const MEMATTR_NORMAL_WB: u64 = 0b1111 << 2;
/// MemAttr[5:2] = 0b0001: Device-nGnRE, whatever the partition's stage 1
/// says (the stricter of the two stages wins, D8.5.5).
const MEMATTR_DEVICE_NGNRE: u64 = 0b0001 << 2;
/// S2AP[0] (bit 6): the partition may read; S2AP[1] (bit 7): write.
const S2AP_READ: u64 = 1 << 6;
const S2AP_WRITE: u64 = 1 << 7;
const SH_INNER: u64 = 0b11 << 8;
const AF: u64 = 1 << 10;
/// XN (bit 54; XN[0], bit 53, is RES0 without FEAT_XNX, as on the
/// Cortex-A72): no instruction fetch from EL1 or EL0.
const XN: u64 = 1 << 54;

/// What a partition may do with a mapped range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rights {
    pub read: bool,
    pub write: bool,
    pub execute: bool,
}

impl Rights {
    /// Leaf descriptor attributes (without the address and the type bits).
    fn attributes(self) -> u64 {
        let mut bits = MEMATTR_NORMAL_WB | SH_INNER | AF;
        if self.read {
            bits |= S2AP_READ;
        }
        if self.write {
            bits |= S2AP_WRITE;
        }
        if !self.execute {
            bits |= XN;
        }
        bits
    }
}

#[repr(C, align(4096))]
struct Table([u64; ENTRIES]);

struct Pool {
    tables: UnsafeCell<[Table; POOL_TABLES]>,
    used: AtomicUsize,
}

// SAFETY: a table is handed out once (the atomic `used` counter) and then
// written only by the code that got it, during boot on core 0.
unsafe impl Sync for Pool {}

static POOL: Pool =
    Pool { tables: UnsafeCell::new([const { Table([0; ENTRIES]) }; POOL_TABLES]), used: AtomicUsize::new(0) };

/// Why a stage-2 map could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage2Error {
    /// Address or size not 4 KiB aligned.
    Unaligned { ipa: u64, phys: u64, size: u64 },
    /// The range does not fit the 4 GiB IPA space.
    OutOfRange { ipa: u64, size: u64 },
    /// The table pool is used up.
    PoolExhausted { tables: usize },
    /// The range overlaps one mapped before as a 2 MiB block.
    Overlap { ipa: u64 },
}

impl core::fmt::Display for Stage2Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Stage2Error::Unaligned { ipa, phys, size } => {
                write!(f, "IPA {ipa:#x}, physical {phys:#x} and size {size:#x} must all be multiples of 4 KiB")
            }
            Stage2Error::OutOfRange { ipa, size } => {
                write!(f, "IPA range {ipa:#x}+{size:#x} does not fit the 4 GiB stage-2 input range")
            }
            Stage2Error::PoolExhausted { tables } => {
                write!(
                    f,
                    "all {tables} stage-2 page tables are in use (raise POOL_TABLES in kernel/src/arch/stage2.rs)"
                )
            }
            Stage2Error::Overlap { ipa } => write!(f, "IPA {ipa:#x} is mapped twice"),
        }
    }
}

fn alloc_table() -> Result<&'static mut [u64; ENTRIES], Stage2Error> {
    let i = POOL.used.fetch_add(1, Ordering::Relaxed);
    if i >= POOL_TABLES {
        return Err(Stage2Error::PoolExhausted { tables: POOL_TABLES });
    }
    // SAFETY: index `i` is handed out exactly once by the counter above, so
    // this is the only reference to table `i`; the pool lives forever.
    let table = unsafe { &mut (*POOL.tables.get())[i].0 };
    table.fill(0);
    Ok(table)
}

/// The table an entry of a level-1 or level-2 table points to, allocated
/// if the entry is empty. An entry that maps a block is refused: the
/// caller would be mapping part of it again.
fn next_table(entry: &mut u64, ipa: u64) -> Result<&'static mut [u64; ENTRIES], Stage2Error> {
    if *entry & VALID == 0 {
        let table = alloc_table()?;
        *entry = table.as_ptr() as u64 | TABLE_OR_PAGE | VALID;
        Ok(table)
    } else if *entry & TABLE_OR_PAGE == 0 {
        Err(Stage2Error::Overlap { ipa })
    } else {
        let addr = *entry & 0x0000_ffff_ffff_f000;
        // SAFETY: a valid table descriptor here always points at a pool
        // table this module allocated (identity-mapped kernel memory), and
        // only the single boot-time builder touches it.
        Ok(unsafe { &mut *(addr as *mut [u64; ENTRIES]) })
    }
}

/// One partition's stage-2 translation.
#[derive(Debug, Clone, Copy)]
pub struct Stage2 {
    root: u64,
}

impl Stage2 {
    /// An empty translation: nothing mapped yet.
    pub fn new() -> Result<Stage2, Stage2Error> {
        Ok(Stage2 { root: alloc_table()?.as_ptr() as u64 })
    }

    /// Maps `ipa..ipa + size` to `phys..phys + size` with `rights`. Ranges
    /// mapped into one table must not overlap.
    pub fn map(&mut self, ipa: u64, phys: u64, size: u64, rights: Rights) -> Result<(), Stage2Error> {
        self.map_leaf(ipa, phys, size, rights.attributes())
    }

    /// Maps a device's registers (or the GIC's virtual CPU interface):
    /// Device-nGnRE, read and write, never executable, 4 KiB pages.
    pub fn map_device(&mut self, ipa: u64, phys: u64, size: u64) -> Result<(), Stage2Error> {
        self.map_leaf(ipa, phys, size, MEMATTR_DEVICE_NGNRE | S2AP_READ | S2AP_WRITE | AF | XN)
    }

    fn map_leaf(&mut self, ipa: u64, phys: u64, size: u64, leaf: u64) -> Result<(), Stage2Error> {
        if !ipa.is_multiple_of(PAGE) || !phys.is_multiple_of(PAGE) || !size.is_multiple_of(PAGE) {
            return Err(Stage2Error::Unaligned { ipa, phys, size });
        }
        if ipa.checked_add(size).is_none_or(|end| end > IPA_LIMIT) {
            return Err(Stage2Error::OutOfRange { ipa, size });
        }
        // SAFETY: `root` is a pool table `new` allocated for this
        // translation alone; only the single boot-time builder writes it.
        let l1 = unsafe { &mut *(self.root as *mut [u64; ENTRIES]) };
        let mut offset = 0;
        while offset < size {
            let (va, pa, left) = (ipa + offset, phys + offset, size - offset);
            let l2 = next_table(&mut l1[(va / BLOCK_1G) as usize], va)?;
            let l2_index = ((va % BLOCK_1G) / BLOCK_2M) as usize;
            let device = leaf & (0b1111 << 2) == MEMATTR_DEVICE_NGNRE;
            if !device && va % BLOCK_2M == 0 && pa % BLOCK_2M == 0 && left >= BLOCK_2M {
                if l2[l2_index] & VALID != 0 {
                    return Err(Stage2Error::Overlap { ipa: va });
                }
                l2[l2_index] = pa | leaf | VALID;
                offset += BLOCK_2M;
            } else {
                let l3 = next_table(&mut l2[l2_index], va)?;
                let l3_index = ((va % BLOCK_2M) / PAGE) as usize;
                if l3[l3_index] & VALID != 0 {
                    return Err(Stage2Error::Overlap { ipa: va });
                }
                l3[l3_index] = pa | leaf | TABLE_OR_PAGE | VALID;
                offset += PAGE;
            }
        }
        // Walks are cacheable and coherent: a DSB makes the entries visible.
        aarch64_cpu::asm::barrier::dsb(aarch64_cpu::asm::barrier::ISHST);
        Ok(())
    }

    /// VTTBR_EL2 for this table and `vmid` (VMID in bits 55:48).
    pub fn vttbr(&self, vmid: u8) -> u64 {
        (u64::from(vmid) << 48) | self.root
    }
}

/// Tables in use, for the boot report.
pub fn tables_used() -> usize {
    POOL.used.load(Ordering::Relaxed).min(POOL_TABLES)
}

/// VTCR_EL2 for every partition: T0SZ 32 (4 GiB IPA), SL0 = 1 (start at
/// level 1), inner/outer write-back walks, inner shareable, 4 KiB granule,
/// 40-bit PA, RES1 bit 31. And the rest of the EL2 state for guests.
pub fn configure_el2_for_guests() {
    let vtcr: u64 = 32 | (0b01 << 6) | (0b01 << 8) | (0b01 << 10) | (0b11 << 12) | (0b010 << 16) | (1 << 31);
    // SAFETY: VTCR_EL2 only affects EL1&0 stage-2 translation; no guest runs
    // yet on this core. The TLB invalidation drops anything left by firmware.
    unsafe {
        core::arch::asm!(
            "msr vtcr_el2, {vtcr}",
            "mrs {t}, midr_el1",
            "msr vpidr_el2, {t}",
            "isb",
            "tlbi alle1",
            "dsb nsh",
            "isb",
            vtcr = in(reg) vtcr,
            t = out(reg) _,
            options(nostack, preserves_flags)
        )
    };
}
