//! The GICv2 rules the kernel's GIC-400 driver follows, as pure code: which
//! view of the GIC the kernel has, the priorities it uses in that view, the
//! register values it writes, and the checks of what the firmware left.
//!
//! Where it sits: `kernel/gic`, a pure crate (no `unsafe`, no MMIO) used by
//! the kernel's driver (`kernel/src/gic.rs`, which does the reads and
//! writes) and tested on the host. Spec followed: Arm GIC architecture
//! specification v2, IHI 0048B: chapter 3, "The effect of the Security
//! Extensions on interrupt prioritization" and "Software views of interrupt
//! priority"; chapter 4, GICD_TYPER, GICD_CTLR, GICD_IGROUPRn,
//! GICD_IPRIORITYRn, GICD_SGIR, GICC_CTLR, GICC_PMR, GICC_IAR. GIC-400 TRM
//! (DDI 0471B): 32 priority levels (priority bits [7:3] implemented), the
//! Security Extensions always present.
//!
//! # The two views
//!
//! A GIC with the Security Extensions answers secure and non-secure
//! accesses differently. The kernel runs at EL2, which on the Pi 4's
//! Cortex-A72 (Armv8.0: no Secure EL2 before Armv8.4) is always non-secure,
//! so on a GIC with the extensions it always has the *non-secure view*:
//!
//! - only group 1 interrupts are its own; their group is set by secure
//!   firmware (GICD_IGROUPRn is RAZ/WI to it), and a group 0 interrupt's
//!   enable, pending and priority fields are RAZ/WI;
//! - GICD_CTLR bit 0 and GICC_CTLR bit 0 are EnableGrp1;
//! - a priority `p` it writes is held by the distributor as
//!   `0x80 | p >> 1` (the lower half of the range, below every secure
//!   priority) and reads back as `held << 1`; GICC_PMR likewise, and a
//!   non-secure write of GICC_PMR is ignored (and it reads 0) while the
//!   secure side holds a mask below 0x80;
//! - a GICD_SGIR write raises the SGI only if it is group 1 (NSATT is
//!   ignored).
//!
//! The Pi 4 firmware's armstub (with `enable_gic=1`, the default) puts every
//! interrupt in group 1 and sets the mask to 0xff before entering the kernel
//! at non-secure EL2. QEMU's `raspi4b` GIC-400 has no Security Extensions
//! unless asked (`-global arm_gic.has-security-extensions=on`): then there is
//! one view, every register as written, every interrupt in group 0 from
//! reset, group 0 signalled as IRQ (GICC_CTLR.FIQEn is 0). The kernel writes
//! bit 0 of both control registers in both cases: it enables exactly the
//! group it can see.
#![no_std]
#![forbid(unsafe_code)]

use core::fmt;

/// GICD_TYPER.SecurityExtn (IHI 0048B, GICD_TYPER bit 10).
pub const TYPER_SECURITY_EXTN: u32 = 1 << 10;

/// GICD_CTLR as the kernel writes it once the distributor is set up: bit 0,
/// EnableGrp0 in the single view, EnableGrp1 (an alias of the secure copy's
/// bit 1) in the non-secure view.
pub const DIST_CTLR_ENABLE: u32 = 1;

/// GICC_CTLR bit 0: EnableGrp0 (single view) / EnableGrp1 (non-secure view).
const CPU_CTLR_ENABLE: u32 = 1;
/// GICC_CTLR bits 5-8: the bypass-disable bits (non-secure view: bits 5-6
/// for group 1, bits 7-8 reserved). Firmware may set them so that the
/// legacy interrupt lines are not passed through while the CPU interface
/// is disabled; the kernel keeps them as found, as Linux does
/// (`GICC_DIS_BYPASS_MASK`).
const CPU_CTLR_BYPASS_DISABLE: u32 = 0x1e0;

/// Priority of every interrupt the kernel enables but the EL2 timer. All
/// equal: handlers do not nest, so nothing needs to preempt anything.
///
/// Chosen to mean the same in both views. The GIC-400 implements priority
/// bits [7:3]; seen non-secure, `p` is held as `0x80 | p >> 1`, so only
/// bits [7:4] of `p` survive: a non-secure priority must be a multiple of
/// 0x10 to read back as written (16 levels). 0xa0 is one (held 0xd0), as
/// is [`TIMER_PRIORITY`] (held 0xc8), so the timer stays above the rest in
/// both views; and both are below [`PRIORITY_MASK`] in both views (the
/// mask lets through priorities numerically lower than itself). 0xa0 is
/// also Linux's default GICv2 priority.
pub const PRIORITY: u8 = 0xa0;
/// The EL2 timer's priority: above every other interrupt's, so a boundary
/// is acknowledged first when something else is pending with it.
pub const TIMER_PRIORITY: u8 = 0x90;
/// GICC_PMR as written: mask nothing. The GIC keeps its implemented bits
/// (0xf8 on a GIC-400), the non-secure view reads back 0xf0.
pub const PRIORITY_MASK: u8 = 0xff;

/// The view the kernel's accesses get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// No Security Extensions: one view; the kernel's interrupts are in
    /// group 0, the reset group, which it leaves as it is.
    Single,
    /// Security Extensions present and the kernel non-secure: group 1 only,
    /// groups set by the secure firmware.
    NonSecure,
}

impl View {
    /// The view of a kernel at non-secure EL2, from GICD_TYPER.
    pub const fn from_typer(typer: u32) -> View {
        if typer & TYPER_SECURITY_EXTN != 0 { View::NonSecure } else { View::Single }
    }

    /// The group the kernel's interrupts must be in to be its own.
    pub const fn group(self) -> u8 {
        match self {
            View::Single => 0,
            View::NonSecure => 1,
        }
    }

    /// What the distributor holds for a priority (or mask) `p` written
    /// through this view, before an implementation drops the low bits it
    /// does not implement.
    pub const fn held_priority(self, p: u8) -> u8 {
        match self {
            View::Single => p,
            View::NonSecure => 0x80 | (p >> 1),
        }
    }
}

/// Lines the distributor implements (GICD_TYPER.ITLinesNumber, bits 4:0:
/// `32 * (N + 1)`).
pub const fn lines(typer: u32) -> u32 {
    32 * ((typer & 0x1f) + 1)
}

/// GICC_CTLR to write, given the value read: signal the kernel's group as
/// IRQ, keep the firmware's bypass-disable bits, and clear the rest. In
/// particular EOImode (bit 9; EOImodeNS in the non-secure view) is 0, so a
/// write of GICC_EOIR both drops the running priority and deactivates the
/// interrupt (the kernel never writes GICC_DIR); AckCtl and FIQEn are 0 (single
/// view: group 0 as IRQ, acknowledged through GICC_IAR).
pub const fn cpu_ctlr(current: u32) -> u32 {
    (current & CPU_CTLR_BYPASS_DISABLE) | CPU_CTLR_ENABLE
}

/// GICC_IAR INTIDs 1020-1023 are special and name no interrupt: 1023
/// spurious, 1022 a group 1 interrupt seen by a secure read without AckCtl
/// (never at non-secure EL2, but never to be "handled" either). Such a
/// value is neither handled nor written to GICC_EOIR.
pub const fn is_special(intid: u32) -> bool {
    intid >= 1020
}

/// The priority the kernel gives `intid`.
pub const fn priority_of(intid: u32, timer: u32) -> u8 {
    if intid == timer { TIMER_PRIORITY } else { PRIORITY }
}

/// A GIC state in which the kernel cannot work, found by reading back what
/// it wrote. Its `Display` says what the firmware left and what to change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// An interrupt the kernel enables does not read back as enabled with
    /// the priority written: in the non-secure view it is a group 0
    /// (secure) interrupt, whose fields are RAZ/WI to the kernel.
    NotOurs { view: View, intid: u32, wrote: u8, priority: u8, enabled: bool },
    /// GICC_PMR reads back a mask that holds back the kernel's priorities:
    /// in the non-secure view, the secure side left the mask below 0x80 and
    /// ignores non-secure writes.
    MaskLocked { view: View, wrote: u8, read: u8 },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Refusal::NotOurs { view: View::NonSecure, intid, wrote, priority, enabled } => write!(
                f,
                "GIC: INTID {intid} reads back priority {priority:#04x} (wrote {wrote:#04x}), enabled {enabled}, \
                 from non-secure EL2: it is a group 0 (secure) interrupt, invisible to the kernel. \
                 The firmware must put every interrupt in group 1 before entering the kernel: \
                 enable_gic=1 in config.txt (the default) with the stock armstub"
            ),
            Refusal::NotOurs { view: View::Single, intid, wrote, priority, enabled } => write!(
                f,
                "GIC: INTID {intid} reads back priority {priority:#04x} (wrote {wrote:#04x}), enabled {enabled}: \
                 the distributor does not keep the kernel's set-up (it needs priorities in steps of 0x10)"
            ),
            Refusal::MaskLocked { view: View::NonSecure, wrote, read } => write!(
                f,
                "GIC: GICC_PMR reads {read:#04x} after the kernel wrote {wrote:#04x} from non-secure EL2: \
                 the secure firmware left the priority mask in the secure range, so no interrupt of the \
                 kernel can be signalled. The firmware must set GICC_PMR (armstub with enable_gic=1 writes 0xff)"
            ),
            Refusal::MaskLocked { view: View::Single, wrote, read } => write!(
                f,
                "GIC: GICC_PMR reads {read:#04x} after the kernel wrote {wrote:#04x}: it would hold back \
                 the kernel's interrupts (priority {PRIORITY:#04x})"
            ),
        }
    }
}

/// Checks an interrupt the kernel enabled: it must read back enabled and
/// with the priority written (in the non-secure view a group 0 interrupt
/// reads 0 for both).
pub fn check_line(view: View, intid: u32, wrote: u8, priority: u8, enabled: bool) -> Result<(), Refusal> {
    if enabled && priority == wrote { Ok(()) } else { Err(Refusal::NotOurs { view, intid, wrote, priority, enabled }) }
}

/// Checks GICC_PMR as read back after the kernel wrote [`PRIORITY_MASK`]:
/// it must let the lowest of the kernel's priorities through.
pub fn check_mask(view: View, read: u8) -> Result<(), Refusal> {
    if read > PRIORITY { Ok(()) } else { Err(Refusal::MaskLocked { view, wrote: PRIORITY_MASK, read }) }
}

/// The boot report's line on the GIC: what the kernel found and how it set
/// the GIC up, e.g. `GIC-400: 224 lines, security extensions: non-secure
/// view, interrupts in group 1 (the firmware's), priorities timer 0x90 /
/// others 0xa0 (held 0xc8 / 0xd0), PMR 0xf0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    pub typer: u32,
    /// GICC_PMR read back on the reporting core.
    pub mask: u8,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let view = View::from_typer(self.typer);
        write!(f, "GIC-400: {} lines, ", lines(self.typer))?;
        match view {
            View::Single => f.write_str("no security extensions: single view, interrupts in group 0 as IRQ")?,
            View::NonSecure => {
                f.write_str("security extensions: non-secure view, interrupts in group 1 (the firmware's)")?
            }
        }
        write!(
            f,
            ", priorities timer {TIMER_PRIORITY:#04x} / others {PRIORITY:#04x} (held {:#04x} / {:#04x}), PMR {:#04x}",
            view.held_priority(TIMER_PRIORITY),
            view.held_priority(PRIORITY),
            self.mask
        )
    }
}

/// GICv2 virtualization: the list-register format the kernel writes in
/// GICH_LRn to signal a virtual interrupt to the thread on the core (IHI
/// 0048B 5.3.9 "List Registers, GICH_LRn").
///
/// | bits | field |
/// |---|---|
/// | 9:0 | VirtualID: the INTID the thread reads from GICV_IAR |
/// | 19:10 | PhysicalID if HW = 1; with HW = 0, bit 19 is EOI (a maintenance interrupt when the thread deactivates it) and bits 12:10 the source CPU of an SGI |
/// | 27:23 | Priority, bits 7:3 of the virtual priority |
/// | 29:28 | State: 0 invalid, 1 pending, 2 active, 3 pending and active |
/// | 30 | Grp1 (0: group 0, signalled as virtual IRQ while GICV_CTLR.FIQEn is 0) |
/// | 31 | HW |
///
/// The kernel never links a list register to the physical interrupt (HW =
/// 0): it ends the physical interrupt itself, keeps the source masked at the
/// distributor meanwhile, and asks for the EOI maintenance interrupt to
/// unmask it when the thread has ended the virtual one.
pub mod lr {
    /// The EOI bit: maintenance interrupt when the thread ends it.
    pub const EOI: u32 = 1 << 19;
    const STATE_SHIFT: u32 = 28;
    const PRIORITY_SHIFT: u32 = 23;

    /// A list register's state field.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum State {
        Invalid,
        Pending,
        Active,
        PendingActive,
    }

    /// A pending group 0 virtual interrupt `intid` at `priority` (bits 7:3
    /// kept), with the EOI maintenance request.
    pub const fn pending(intid: u32, priority: u8) -> u32 {
        (intid & 0x3ff) | EOI | (((priority >> 3) as u32) << PRIORITY_SHIFT) | (1 << STATE_SHIFT)
    }

    /// The INTID the thread sees.
    pub const fn intid(lr: u32) -> u32 {
        lr & 0x3ff
    }

    /// The state field.
    pub const fn state(lr: u32) -> State {
        match (lr >> STATE_SHIFT) & 3 {
            0 => State::Invalid,
            1 => State::Pending,
            2 => State::Active,
            _ => State::PendingActive,
        }
    }

    /// List registers the hypervisor interface implements (GICH_VTR bits
    /// 5:0, ListRegs, plus one), at most `max`.
    pub const fn count(vtr: u32, max: usize) -> usize {
        let n = (vtr & 0x3f) as usize + 1;
        if n < max { n } else { max }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    /// A GIC-400 distributor priority field seen through `view`, as
    /// IHI 0048B describes it: written through the view, the low three
    /// bits dropped (priority bits [7:3] implemented), read back through
    /// the view.
    fn gic400_round_trip(view: View, p: u8) -> u8 {
        let held = view.held_priority(p) & 0xf8;
        match view {
            View::Single => held,
            View::NonSecure => held << 1,
        }
    }

    #[test]
    fn the_view_follows_typer_security_extn() {
        // QEMU raspi4b: GICD_TYPER 0x66 (224 lines, 4 CPUs, no extensions).
        assert_eq!(View::from_typer(0x66), View::Single);
        assert_eq!(lines(0x66), 224);
        // The same with the extensions (bit 10): a Pi 4's GIC-400, or QEMU
        // with -global arm_gic.has-security-extensions=on.
        assert_eq!(View::from_typer(0x466), View::NonSecure);
        assert_eq!(View::from_typer(0x466).group(), 1);
        assert_eq!(View::Single.group(), 0);
    }

    #[test]
    fn non_secure_priorities_land_in_the_lower_half() {
        for p in 0..=255u8 {
            let held = View::NonSecure.held_priority(p);
            assert!(held >= 0x80, "{p:#x} held as {held:#x}");
            assert_eq!(View::Single.held_priority(p), p);
        }
        assert_eq!(View::NonSecure.held_priority(PRIORITY), 0xd0);
        assert_eq!(View::NonSecure.held_priority(TIMER_PRIORITY), 0xc8);
    }

    #[test]
    fn the_kernels_priorities_read_back_as_written_in_both_views_on_a_gic400() {
        for view in [View::Single, View::NonSecure] {
            for p in [PRIORITY, TIMER_PRIORITY] {
                assert_eq!(gic400_round_trip(view, p), p, "{view:?} {p:#x}");
            }
            // The timer is still strictly above the rest where it counts:
            // in the distributor, after the dropped bits.
            let held = |p| view.held_priority(p) & 0xf8;
            assert!(held(TIMER_PRIORITY) < held(PRIORITY), "{view:?}");
            // And the mask lets both through.
            assert!(held(PRIORITY) < held(PRIORITY_MASK), "{view:?}");
            assert_eq!(check_mask(view, gic400_round_trip(view, PRIORITY_MASK)), Ok(()));
        }
        assert_eq!(gic400_round_trip(View::NonSecure, PRIORITY_MASK), 0xf0);
    }

    #[test]
    fn a_priority_between_steps_of_0x10_would_not_survive_the_non_secure_view() {
        // Why the priorities are multiples of 0x10: 0x98 non-secure is held
        // as 0xcc, stored 0xc8, read back 0x90.
        assert_eq!(gic400_round_trip(View::NonSecure, 0x98), 0x90);
        assert_eq!(gic400_round_trip(View::Single, 0x98), 0x98);
    }

    #[test]
    fn cpu_ctlr_keeps_bypass_bits_and_clears_eoimode() {
        // The armstub's secure write 0x1e7 reads non-secure as bits 0, 5, 6.
        assert_eq!(cpu_ctlr(0x61), 0x61);
        assert_eq!(cpu_ctlr(0x1e7), 0x1e1);
        // EOImodeNS (bit 9), AckCtl, FIQEn, CBPR: cleared.
        assert_eq!(cpu_ctlr(0x21e), 0x001);
        assert_eq!(cpu_ctlr(0), 1);
    }

    #[test]
    fn special_intids_are_never_handled() {
        assert!(!is_special(0));
        assert!(!is_special(26));
        assert!(!is_special(1019));
        for id in 1020..=1023 {
            assert!(is_special(id));
        }
    }

    #[test]
    fn a_group_0_line_seen_non_secure_is_refused_with_the_fix() {
        // Non-secure reads of a group 0 interrupt's fields are RAZ.
        let e = check_line(View::NonSecure, 26, TIMER_PRIORITY, 0, false).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("INTID 26"), "{text}");
        assert!(text.contains("group 0"), "{text}");
        assert!(text.contains("enable_gic=1"), "{text}");
        assert_eq!(check_line(View::NonSecure, 26, TIMER_PRIORITY, TIMER_PRIORITY, true), Ok(()));
        assert!(check_line(View::Single, 27, PRIORITY, PRIORITY, false).is_err());
        assert_eq!(priority_of(26, 26), TIMER_PRIORITY);
        assert_eq!(priority_of(8, 26), PRIORITY);
    }

    #[test]
    fn a_mask_left_in_the_secure_range_is_refused() {
        // Secure mask 0x00 (the reset value): non-secure reads 0 and its
        // writes are ignored.
        let e = check_mask(View::NonSecure, 0).unwrap_err();
        assert!(e.to_string().contains("GICC_PMR reads 0x00"), "{e}");
        assert!(check_mask(View::Single, PRIORITY).is_err());
        assert_eq!(check_mask(View::Single, 0xff), Ok(()));
        // QEMU's 8-bit mask, non-secure: 0xff held as 0xff, read as 0xfe.
        assert_eq!(check_mask(View::NonSecure, 0xfe), Ok(()));
    }

    #[test]
    fn the_report_line_says_view_group_and_priorities() {
        assert_eq!(
            Report { typer: 0x66, mask: 0xff }.to_string(),
            "GIC-400: 224 lines, no security extensions: single view, interrupts in group 0 as IRQ, \
             priorities timer 0x90 / others 0xa0 (held 0x90 / 0xa0), PMR 0xff"
        );
        assert_eq!(
            Report { typer: 0x466, mask: 0xf0 }.to_string(),
            "GIC-400: 224 lines, security extensions: non-secure view, interrupts in group 1 (the firmware's), \
             priorities timer 0x90 / others 0xa0 (held 0xc8 / 0xd0), PMR 0xf0"
        );
    }

    #[test]
    fn list_register_encoding_follows_ihi0048b() {
        // INTID 27 at priority 0xa0, pending, EOI maintenance, group 0.
        let v = lr::pending(27, 0xa0);
        assert_eq!(v, 27 | (1 << 19) | (0x14 << 23) | (1 << 28));
        assert_eq!(lr::intid(v), 27);
        assert_eq!(lr::state(v), lr::State::Pending);
        assert_eq!(lr::state(0), lr::State::Invalid);
        assert_eq!(lr::state(2 << 28), lr::State::Active);
        assert_eq!(lr::state(3 << 28), lr::State::PendingActive);
        assert_eq!(v & (1 << 31), 0, "never HW");
        assert_eq!(v & (1 << 30), 0, "group 0");
        assert_eq!(lr::intid(lr::pending(1023 + 1, 0)), 0, "the INTID field is 10 bits");
        // QEMU's and the GIC-400's GICH_VTR: 0x90000003, four list registers.
        assert_eq!(lr::count(0x9000_0003, 4), 4);
        assert_eq!(lr::count(0x9000_003f, 4), 4);
        assert_eq!(lr::count(0x9000_0001, 4), 2);
    }
}
