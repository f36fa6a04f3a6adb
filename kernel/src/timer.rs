//! The EL2 physical timer, CNTHP (Arm ARM DDI 0487 D12.8; INTID 26).
//!
//! The scheduler's clock. It is programmed with an **absolute** compare value
//! (CNTHP_CVAL_EL2), never a relative one, so a late handler cannot push the
//! next boundary later: deadlines come from `epoch + n * period`, computed by
//! the caller with `bulkhead-time`. One-shot: the handler masks the timer
//! before calling the registered callback, which re-arms it if it wants.
use crate::arch::{self, sysreg};
use crate::gic;
use aarch64_cpu::registers::{CNTFRQ_EL0, CNTHP_CTL_EL2, CNTP_CTL_EL0, CNTP_CVAL_EL0, Readable, Writeable};
use bulkhead_board_rpi4::irq::{HYP_TIMER, PHYS_TIMER};
use bulkhead_time::{Frequency, Ticks};
use spin::Once;

/// Called on the core whose deadline passed, with the counter value read in
/// the handler. Runs with interrupts masked.
pub type DeadlineHandler = fn(core: usize, now: Ticks);

static HANDLER: Once<DeadlineHandler> = Once::new();

/// Counter frequency from CNTFRQ_EL0 (62.5 MHz under QEMU, 54 MHz on a Pi 4).
pub fn frequency() -> Frequency {
    Frequency::from_hz(CNTFRQ_EL0.get()).expect("CNTFRQ_EL0 is zero: firmware did not set the counter frequency")
}

/// The physical count now.
pub fn now() -> Ticks {
    Ticks(arch::counter())
}

/// Sets the function deadlines are delivered to (first caller wins).
pub fn set_handler(handler: DeadlineHandler) {
    HANDLER.call_once(|| handler);
}

/// Enables INTIDs 26 and 30 on the calling core with both timers disarmed.
pub fn init_core() {
    CNTHP_CTL_EL2.write(CNTHP_CTL_EL2::ENABLE::CLEAR + CNTHP_CTL_EL2::IMASK::SET);
    gic::enable(HYP_TIMER);
    disarm_console_tick();
    gic::enable(PHYS_TIMER);
}

/// Arms the calling core's timer to fire when the count reaches `deadline`.
/// A deadline already past fires at once.
pub fn arm_at(deadline: Ticks) {
    sysreg::write_cnthp_cval(deadline.0);
    CNTHP_CTL_EL2.write(CNTHP_CTL_EL2::ENABLE::SET + CNTHP_CTL_EL2::IMASK::CLEAR);
}

/// Disarms the calling core's timer.
pub fn disarm() {
    CNTHP_CTL_EL2.write(CNTHP_CTL_EL2::ENABLE::CLEAR + CNTHP_CTL_EL2::IMASK::SET);
}

/// The compare value last programmed on this core.
pub fn armed_deadline() -> Ticks {
    Ticks(sysreg::read_cnthp_cval())
}

/// INTID 26 handler. The timer's output is level-sensitive: it is disarmed
/// first so the line drops before the end of interrupt.
pub(crate) fn handle_interrupt(core: usize) {
    let now = now();
    disarm();
    if let Some(handler) = HANDLER.get() {
        handler(core, now);
    }
}

/// Arms the calling core's console tick (`console.rs`): the EL1 physical
/// timer, CNTP, which partitions are denied (CNTHCTL_EL2 EL1PCEN clear),
/// so the kernel owns it; INTID 30. Armed only while the core sleeps idle.
pub fn arm_console_tick(deadline: u64) {
    CNTP_CVAL_EL0.set(deadline);
    CNTP_CTL_EL0.write(CNTP_CTL_EL0::ENABLE::SET + CNTP_CTL_EL0::IMASK::CLEAR);
}

/// Disarms the calling core's console tick.
pub fn disarm_console_tick() {
    CNTP_CTL_EL0.write(CNTP_CTL_EL0::ENABLE::CLEAR + CNTP_CTL_EL0::IMASK::SET);
}

/// INTID 30 handler: the console tick woke an idle core; the core's loop
/// feeds the UART when it looks at being idle again.
pub(crate) fn handle_console_tick() {
    disarm_console_tick();
}
