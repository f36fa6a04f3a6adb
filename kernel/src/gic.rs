//! GIC-400 distributor and CPU interface (GICv2 architecture spec IHI 0048B,
//! chapter 4; GIC-400 TRM DDI 0471B).
//!
//! Written here rather than taken from `arm-gic` 0.10: its GICv2 driver sets
//! a priority with a 32-bit write to GICD_IPRIORITYR that clears the three
//! neighbouring interrupts' priorities, and it owns distributor and CPU
//! interface as one object, while the CPU interface is banked per core and
//! the distributor shared; and it has no hypervisor interface (GICH, list
//! registers), which [`gich`] is: the partitions' virtual interrupts
//! (`module/interrupts.rs`) go through it.
//!
//! Security views (the rules and their reasons are in `bulkhead-gic`, which
//! is host-tested): the kernel at EL2 is always non-secure, so on a GIC with
//! the Security Extensions (a Pi 4's; QEMU's when asked) it sees only group
//! 1, which the firmware set up (`enable_gic=1`; or the kernel's own EL3
//! code for an ELF under QEMU, arch/boot.rs); without them (QEMU's default)
//! it sees everything and its interrupts stay in group 0, the reset group.
//! In both cases bit 0 of GICD_CTLR and GICC_CTLR enables exactly the group
//! the kernel can see, signalled as IRQ, and the kernel never writes
//! GICD_IGROUPR (RAZ/WI non-secure). Priorities are chosen to read back as
//! written in both views; every interrupt the kernel enables is read back,
//! and one that is not the kernel's (a group 0 line seen non-secure) stops
//! the boot with a message naming it, as does a priority mask the secure
//! side locked.
use bulkhead_board_rpi4::gic::{GICC_BASE, GICD_BASE, GICH_BASE};
use bulkhead_board_rpi4::irq::HYP_TIMER;
use bulkhead_gic::{PRIORITY, PRIORITY_MASK, Report, View};

/// The spurious INTID: no interrupt was pending when IAR was read.
pub const SPURIOUS: u32 = 1023;

mod gicd {
    pub const CTLR: usize = 0x000;
    pub const TYPER: usize = 0x004;
    pub const ISENABLER: usize = 0x100;
    pub const ICENABLER: usize = 0x180;
    pub const ISPENDR: usize = 0x200;
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
    fn read8(self, offset: usize) -> u8 {
        // SAFETY: as for `read32`; IPRIORITYR is byte accessible
        // (IHI 0048B 4.3.11).
        unsafe { ((self.0 + offset) as *const u8).read_volatile() }
    }
    fn write8(self, offset: usize, value: u8) {
        // SAFETY: as for `read32`; IPRIORITYR and ITARGETSR are byte
        // accessible (IHI 0048B 4.3.11, 4.3.12).
        unsafe { ((self.0 + offset) as *mut u8).write_volatile(value) }
    }
}

const GICD: Block = Block(GICD_BASE);
const GICC: Block = Block(GICC_BASE);
const GICH: Block = Block(GICH_BASE);

/// Number of interrupt lines the distributor implements.
pub fn lines() -> u32 {
    bulkhead_gic::lines(GICD.read32(gicd::TYPER))
}

/// The kernel's view of the GIC (GICD_TYPER.SecurityExtn).
pub fn view() -> View {
    View::from_typer(GICD.read32(gicd::TYPER))
}

/// What the boot report says of the GIC, read on the calling core.
pub fn report() -> Report {
    Report { typer: GICD.read32(gicd::TYPER), mask: GICC.read32(gicc::PMR) as u8 }
}

/// Distributor set-up: every SPI disabled, cleared, routed to core 0 at the
/// kernel priority. Core 0, once, before the other cores start. Seen
/// non-secure, the writes reach the group 1 interrupts only (all of them
/// on a Pi 4), and GICD_CTLR bit 0 is EnableGrp1.
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
    GICD.write32(gicd::CTLR, bulkhead_gic::DIST_CTLR_ENABLE);
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
    GICD.write8(gicd::IPRIORITYR + HYP_TIMER as usize, bulkhead_gic::TIMER_PRIORITY);
    GICC.write32(gicc::PMR, u32::from(PRIORITY_MASK));
    // Seen non-secure the mask can be locked by the secure side (below
    // 0x80, non-secure writes are ignored): then nothing would ever be
    // signalled. Better a clear stop than a module without a clock.
    let mask = GICC.read32(gicc::PMR) as u8;
    if let Err(refusal) = bulkhead_gic::check_mask(view(), mask) {
        panic!("{refusal}");
    }
    // Binary point: only preemption depends on it, and handlers run with
    // IRQs masked. 0 is clamped to the view's minimum.
    GICC.write32(gicc::BPR, 0);
    let ctlr = GICC.read32(gicc::CTLR);
    GICC.write32(gicc::CTLR, bulkhead_gic::cpu_ctlr(ctlr));
}

/// Enables one interrupt (SGI/PPI: for the calling core only), and checks
/// that it is the kernel's: enabled and at the priority the kernel gave it,
/// read back. A group 0 interrupt seen non-secure reads 0 for both: the
/// firmware kept it secure, and the kernel stops, naming it.
pub fn enable(intid: u32) {
    if let Err(refusal) = enable_checked(intid, bulkhead_gic::priority_of(intid, HYP_TIMER)) {
        panic!("{refusal}");
    }
}

/// Enables `intid` and reads back whether it is enabled with priority
/// `wrote`: [`enable`]'s check, and [`claim_spi`]'s.
fn enable_checked(intid: u32, wrote: u8) -> Result<(), bulkhead_gic::Refusal> {
    unmask(intid);
    let enabled = GICD.read32(gicd::ISENABLER + 4 * (intid as usize / 32)) & (1 << (intid % 32)) != 0;
    let priority = GICD.read8(gicd::IPRIORITYR + intid as usize);
    bulkhead_gic::check_line(view(), intid, wrote, priority, enabled)
}

/// Enables an interrupt [`claim_spi`] (or, for a PPI, the boot's
/// `enable`) already checked is the kernel's, without reading it back: the
/// partitions' interrupts, switched on and off at window boundaries.
pub fn unmask(intid: u32) {
    GICD.write32(gicd::ISENABLER + 4 * (intid as usize / 32), 1 << (intid % 32));
}

/// Whether `intid` is pending at the distributor (GICD_ISPENDR): for a
/// level-sensitive line, whether its source asserts it or a pending state
/// was latched.
pub fn is_pending(intid: u32) -> bool {
    GICD.read32(gicd::ISPENDR + 4 * (intid as usize / 32)) & (1 << (intid % 32)) != 0
}

/// Clears `intid`'s latched pending state (GICD_ICPENDR). A level-sensitive
/// line whose source still asserts it stays pending.
pub fn clear_pending(intid: u32) {
    GICD.write32(gicd::ICPENDR + 4 * (intid as usize / 32), 1 << (intid % 32));
}

/// Takes SPI `intid` for a partition's device, at boot: disabled, its
/// pending state cleared, the kernel priority, routed to `core`. Checked as
/// [`enable`] checks the kernel's own lines (enabled for the length of the
/// read-back, then disabled again): a group 0 line seen non-secure is
/// refused with the reason.
pub fn claim_spi(intid: u32, core: usize) -> Result<(), bulkhead_gic::Refusal> {
    disable(intid);
    GICD.write8(gicd::IPRIORITYR + intid as usize, PRIORITY);
    route_spi(intid, 1 << core);
    let checked = enable_checked(intid, PRIORITY);
    disable(intid);
    clear_pending(intid);
    checked
}

/// The GIC-400 hypervisor interface of the calling core (GICH, banked per
/// core at one address; IHI 0048B 5.3): the list registers through which
/// the kernel signals virtual interrupts to the thread it runs, and the
/// state of that thread's virtual CPU interface.
pub mod gich {
    use super::GICH;

    const HCR: usize = 0x000;
    const VTR: usize = 0x004;
    const VMCR: usize = 0x008;
    const EISR0: usize = 0x020;
    const ELSR0: usize = 0x030;
    const APR: usize = 0x0f0;
    const LR: usize = 0x100;

    /// GICH_HCR.En: the virtual CPU interface signals interrupts.
    pub const HCR_EN: u32 = 1;
    /// GICH_HCR.UIE: maintenance interrupt while at most one list register
    /// holds an interrupt (to refill them).
    pub const HCR_UIE: u32 = 1 << 1;

    pub fn vtr() -> u32 {
        GICH.read32(VTR)
    }
    pub fn hcr() -> u32 {
        GICH.read32(HCR)
    }
    pub fn set_hcr(value: u32) {
        GICH.write32(HCR, value)
    }
    /// The thread's GICV_CTLR, PMR and BPR, as the hypervisor sees them.
    pub fn vmcr() -> u32 {
        GICH.read32(VMCR)
    }
    pub fn set_vmcr(value: u32) {
        GICH.write32(VMCR, value)
    }
    /// Active priorities of the virtual CPU interface.
    pub fn apr() -> u32 {
        GICH.read32(APR)
    }
    pub fn set_apr(value: u32) {
        GICH.write32(APR, value)
    }
    /// List registers whose interrupt the thread has ended (deactivated)
    /// and that asked for the EOI maintenance interrupt.
    pub fn eisr() -> u32 {
        GICH.read32(EISR0)
    }
    /// Empty list registers (state invalid).
    pub fn elsr() -> u32 {
        GICH.read32(ELSR0)
    }
    pub fn lr(n: usize) -> u32 {
        GICH.read32(LR + 4 * n)
    }
    pub fn set_lr(n: usize, value: u32) {
        GICH.write32(LR + 4 * n, value)
    }
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
/// NSATT (bit 15) is left 0: a non-secure write ignores it and raises the
/// SGI only if it is group 1, which `enable` checked on every core.
pub fn send_sgi(intid: u32, cores: u8) {
    debug_assert!(intid < 16);
    GICD.write32(gicd::SGIR, (u32::from(cores) << 16) | intid);
}

/// The address of GICD_SGIR and the value that raises SGI `intid` on the
/// writing core only (TargetListFilter 0b10, IHI 0048B 4.3.15): for code
/// that writes it itself, the benchmark's hand-written floors (an EL1
/// caller with its MMU and stage 2 off reaches it at this physical
/// address).
pub fn sgi_to_self(intid: u32) -> (usize, u32) {
    debug_assert!(intid < 16);
    (GICD_BASE + gicd::SGIR, (0b10 << 24) | intid)
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

/// Acknowledges the highest-priority pending interrupt; `None` when a
/// special INTID (1020-1023; 1023 spurious) was read. GICC_IAR, not AIAR:
/// the kernel's own group is what IAR acknowledges in either view.
pub fn acknowledge() -> Option<Acknowledged> {
    let iar = GICC.read32(gicc::IAR);
    let ack = Acknowledged(iar);
    (!bulkhead_gic::is_special(ack.intid())).then_some(ack)
}

/// Ends (drops priority and deactivates) an acknowledged interrupt.
pub fn end_of_interrupt(ack: Acknowledged) {
    GICC.write32(gicc::EOIR, ack.0);
}
