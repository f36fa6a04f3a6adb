//! `embedded-hal` 1.0 `DelayNs` on the Arm generic timer (Arm ARM DDI 0487,
//! D12 "The Generic Timer in AArch64 state").
//!
//! Reads CNTFRQ_EL0 every time it is built: 62.5 MHz under QEMU, 54 MHz on a
//! Pi 4. Rounds up so a delay is never shorter than asked.
use aarch64_cpu::registers::{CNTFRQ_EL0, CNTPCT_EL0, Readable};
use embedded_hal::delay::DelayNs;

/// Busy-wait delay on the physical counter.
#[derive(Debug, Clone, Copy)]
pub struct CounterDelay {
    hz: u64,
}

impl CounterDelay {
    /// Reads the counter frequency; `None` if firmware left CNTFRQ at zero.
    pub fn new() -> Option<Self> {
        let hz = CNTFRQ_EL0.get();
        (hz != 0).then_some(Self { hz })
    }

    /// Counter ticks covering at least `ns` nanoseconds.
    pub fn ticks_for_ns(&self, ns: u32) -> u64 {
        (u64::from(ns) * self.hz).div_ceil(1_000_000_000)
    }
}

impl DelayNs for CounterDelay {
    fn delay_ns(&mut self, ns: u32) {
        let start = CNTPCT_EL0.get();
        let ticks = self.ticks_for_ns(ns);
        while CNTPCT_EL0.get().wrapping_sub(start) < ticks {
            core::hint::spin_loop();
        }
    }
}
