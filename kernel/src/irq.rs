//! IRQ dispatch at EL2: acknowledge, route by INTID, end of interrupt.
//!
//! Entered from `irq_current_el` (vectors.rs), or called by the partition
//! loop (module/run.rs), always with IRQs masked; handlers do not nest.
//! Every interrupt pending at entry is handled before returning, except
//! after the EL2 timer (highest priority, so acknowledged first): a
//! boundary is decided at once, and what else was pending is taken after,
//! so a boundary's path never includes an IPI that came with it.
//! The spurious INTID 1023 ends the loop and is never acknowledged.
use crate::module::interrupts;
use crate::{arch, gic, ipi, println, timer};
use bulkhead_board_rpi4::irq::{GIC_MAINTENANCE, HYP_TIMER, PHYS_TIMER};

#[unsafe(no_mangle)]
extern "C" fn irq_entry() {
    dispatch();
}

/// Handles every pending interrupt. With IRQs masked: from `irq_entry`, or
/// from the partition loop after a guest exit or an idle WFI.
///
/// The two hot interrupts, an IPI and the boundary timer, are handled in
/// this function's own small frame; the rest out of line ([`other`]), so
/// the IPI's path to its handler does not pay for their stack frame
/// (issue 19: the frame was 496 bytes).
pub fn dispatch() {
    let core = arch::core_id();
    while let Some(ack) = gic::acknowledge() {
        match ack.intid() {
            sgi if sgi < ipi::IPI_SGIS => ipi::handle_interrupt(core, sgi, ack.source_core()),
            HYP_TIMER => {
                // A boundary (the timer has the highest priority, so it
                // comes first): decide it now; whatever else is pending
                // is taken after the decision, as its own exception, so
                // the boundary's path does not include it.
                timer::handle_interrupt(core);
                gic::end_of_interrupt(ack);
                return;
            }
            intid => other(core, intid),
        }
        gic::end_of_interrupt(ack);
    }
}

/// Any interrupt but an IPI and the boundary timer.
#[inline(never)]
fn other(core: usize, intid: u32) {
    match intid {
        PHYS_TIMER => timer::handle_console_tick(),
        GIC_MAINTENANCE => interrupts::maintenance(core),
        // A partition's: its virtual timer or a device's SPI.
        intid if interrupts::take(core, intid) => {}
        intid => {
            // Nothing else is enabled; if it fires anyway, say so once and
            // switch it off rather than loop on it.
            gic::disable(intid);
            println!("core {core}: unexpected interrupt {intid} disabled");
        }
    }
}
