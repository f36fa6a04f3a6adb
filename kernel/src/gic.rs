//! GIC-400 distributor and CPU interface (GICv2 architecture spec IHI 0048B,
//! chapter 4; GIC-400 TRM DDI 0471B).
//!
//! Written here rather than taken from `arm-gic` 0.10: its GICv2 driver sets
//! a priority with a 32-bit write to GICD_IPRIORITYR that clears the three
//! neighbouring interrupts' priorities, and it owns distributor and CPU
//! interface as one object, while the CPU interface is banked per core and
//! the distributor shared. The hypervisor interface (list registers), which
//! no crate provides, will live beside this.
//!
//! Groups: QEMU's GIC-400 has no security extensions and resets every
//! interrupt to group 0; the Pi 4 firmware (`enable_gic=1`) puts them all in
//! group 1 and we run non-secure. In both cases bit 0 of GICD_CTLR and
//! GICC_CTLR enables exactly the group we can see, signalled as IRQ, so the
//! kernel writes 1 to both and leaves IGROUPR alone.
use bulkhead_board_rpi4::gic::{GICC_BASE, GICD_BASE};

/// The spurious INTID: no interrupt was pending when IAR was read.
pub const SPURIOUS: u32 = 1023;
/// Priority given to every interrupt the kernel uses. All equal: handlers do
/// not nest, so there is nothing to preempt.
const PRIORITY: u8 = 0xa0;
/// The EL2 timer's priority: above every other interrupt's.
const TIMER_PRIORITY: u8 = 0x90;

mod gicd {
    pub const CTLR: usize = 0x000;
    pub const TYPER: usize = 0x004;
    pub const ISENABLER: usize = 0x100;
    pub const ICENABLER: usize = 0x180;
    pub const ICPENDR: usize = 0x280;
    pub const IPRIORITYR: usize = 0x400;
    pub const ITARGETSR: usize = 0x800;
    pub const SGIR: usize = 0xf00;
}

mod gicc {
    pub const CTLR: usize = 0x00;
    pub const PMR: usize = 0x04;
    pub const BPR: usize = 0x08;
    pub const IAR: usize = 0x0c;
    pub const EOIR: usize = 0x10;
}

/// A GIC register block at a fixed physical address.
#[derive(Clone, Copy)]
struct Block(usize);

impl Block {
    fn read32(self, offset: usize) -> u32 {
        // SAFETY: `Block`s are only built below from the board's GIC
        // addresses, which the EL2 map covers as device memory; GIC registers
        // are 32-bit aligned and reading them has no memory-safety effect.
        unsafe { ((self.0 + offset) as *const u32).read_volatile() }
    }
    fn write32(self, offset: usize, value: u32) {
        // SAFETY: as for `read32`; writes only reach the GIC.
        unsafe { ((self.0 + offset) as *mut u32).write_volatile(value) }
    }
    fn write8(self, offset: usize, value: u8) {
        // SAFETY: as for `read32`; IPRIORITYR and ITARGETSR are byte
        // accessible (IHI 0048B 4.3.11, 4.3.12).
        unsafe { ((self.0 + offset) as *mut u8).write_volatile(value) }
    }
}

const GICD: Block = Block(GICD_BASE);
const GICC: Block = Block(GICC_BASE);

/// Number of interrupt lines the distributor implements.
pub fn lines() -> u32 {
    32 * ((GICD.read32(gicd::TYPER) & 0x1f) + 1)
}

/// Distributor set-up: every SPI disabled, cleared, routed to core 0 at the
/// kernel priority. Core 0, once, before the other cores start.
pub fn init_distributor() {
    GICD.write32(gicd::CTLR, 0);
    let lines = lines();
    for reg in 1..lines / 32 {
        GICD.write32(gicd::ICENABLER + 4 * reg as usize, u32::MAX);
        GICD.write32(gicd::ICPENDR + 4 * reg as usize, u32::MAX);
    }
    for intid in 32..lines {
        GICD.write8(gicd::IPRIORITYR + intid as usize, PRIORITY);
        GICD.write8(gicd::ITARGETSR + intid as usize, 1);
    }
    GICD.write32(gicd::CTLR, 1);
}

/// CPU-interface set-up of the calling core, and its banked SGI/PPI
/// priorities (GICD registers 0 of each bank are per core).
pub fn init_cpu_interface() {
    GICD.write32(gicd::ICENABLER, u32::MAX);
    for intid in 0..32 {
        GICD.write8(gicd::IPRIORITYR + intid, PRIORITY);
    }
    // The scheduler's timer before anything else pending with it: a
    // boundary is decided first (irq.rs).
    GICD.write8(gicd::IPRIORITYR + bulkhead_board_rpi4::irq::HYP_TIMER as usize, TIMER_PRIORITY);
    GICC.write32(gicc::PMR, 0xff);
    GICC.write32(gicc::BPR, 0);
    GICC.write32(gicc::CTLR, 1);
}

/// Enables one interrupt (SGI/PPI: for the calling core only).
pub fn enable(intid: u32) {
    GICD.write32(gicd::ISENABLER + 4 * (intid as usize / 32), 1 << (intid % 32));
}

/// Disables one interrupt (SGI/PPI: for the calling core only).
pub fn disable(intid: u32) {
    GICD.write32(gicd::ICENABLER + 4 * (intid as usize / 32), 1 << (intid % 32));
}

/// Routes SPI `intid` to the cores in `cores` (bit n = core n).
pub fn route_spi(intid: u32, cores: u8) {
    assert!(intid >= 32, "INTID {intid} is not an SPI and cannot be routed");
    GICD.write8(gicd::ITARGETSR + intid as usize, cores);
}

/// Raises SGI `intid` on the cores in `cores` (bit n = core n). The caller
/// orders its own earlier stores before this write (DSB), see `ipi`.
pub fn send_sgi(intid: u32, cores: u8) {
    debug_assert!(intid < 16);
    GICD.write32(gicd::SGIR, (u32::from(cores) << 16) | intid);
}

/// An acknowledged interrupt: the raw IAR value, to be written back to EOIR.
#[derive(Debug, Clone, Copy)]
pub struct Acknowledged(u32);

impl Acknowledged {
    /// The interrupt ID (IAR bits 9:0).
    pub fn intid(self) -> u32 {
        self.0 & 0x3ff
    }
    /// For SGIs, the core that raised it (IAR bits 12:10).
    pub fn source_core(self) -> usize {
        ((self.0 >> 10) & 7) as usize
    }
}

/// Acknowledges the highest-priority pending interrupt; `None` when only the
/// spurious INTID 1023 was read.
pub fn acknowledge() -> Option<Acknowledged> {
    let iar = GICC.read32(gicc::IAR);
    let ack = Acknowledged(iar);
    (ack.intid() != SPURIOUS).then_some(ack)
}

/// Ends (drops priority and deactivates) an acknowledged interrupt.
pub fn end_of_interrupt(ack: Acknowledged) {
    GICC.write32(gicc::EOIR, ack.0);
}
