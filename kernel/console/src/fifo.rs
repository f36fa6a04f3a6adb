//! The PL011 transmit FIFO, as the line drains it.

/// Depth of the PL011 TX FIFO (PL011 TRM: 16 entries when FIFOs are on).
pub const DEPTH: u64 = 16;

/// The FIFO's occupancy in counter ticks: the byte last written leaves
/// the shift register at `busy_until`; each byte takes `byte_ticks`
/// (10 bits: start, 8 data, stop).
#[derive(Clone, Copy, Debug)]
pub struct Fifo {
    baud: u32,
    byte_ticks: u64,
    busy_until: u64,
}

impl Fifo {
    /// The FIFO of a line at `baud` with a counter at `counter_hz`. A byte
    /// takes at least one tick.
    pub fn new(baud: u32, counter_hz: u64) -> Self {
        let byte_ticks = (10 * counter_hz).div_ceil(u64::from(baud.max(1))).max(1);
        Fifo { baud, byte_ticks, busy_until: 0 }
    }

    /// The line's rate.
    pub fn baud(&self) -> u32 {
        self.baud
    }

    /// Ticks one byte occupies the line.
    pub fn byte_ticks(&self) -> u64 {
        self.byte_ticks
    }

    /// Bytes that can be written at `now` without the FIFO overflowing.
    pub fn room(&self, now: u64) -> u64 {
        let queued = self.busy_until.saturating_sub(now).div_ceil(self.byte_ticks);
        DEPTH.saturating_sub(queued)
    }

    /// One byte written at `now`.
    pub fn push(&mut self, now: u64) {
        self.busy_until = self.busy_until.max(now) + self.byte_ticks;
    }

    /// The count at which the line has sent everything written so far.
    pub fn drained_at(&self) -> u64 {
        self.busy_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_115200_baud_a_byte_takes_87_us_and_16_fit() {
        // 62.5 MHz (QEMU) and 54 MHz (Pi 4) counters.
        for hz in [62_500_000u64, 54_000_000] {
            let mut fifo = Fifo::new(115_200, hz);
            let us = fifo.byte_ticks() as f64 * 1e6 / hz as f64;
            assert!((86.8..=86.9).contains(&us), "{us} us a byte at {hz} Hz");
            assert_eq!(fifo.room(1000), 16);
            for _ in 0..16 {
                fifo.push(1000);
            }
            assert_eq!(fifo.room(1000), 0);
            // One character time later one byte has left.
            assert_eq!(fifo.room(1000 + fifo.byte_ticks()), 1);
            assert_eq!(fifo.drained_at(), 1000 + 16 * fifo.byte_ticks());
            assert_eq!(fifo.room(fifo.drained_at()), 16);
        }
    }

    #[test]
    fn an_idle_line_does_not_bank_time() {
        let mut fifo = Fifo::new(115_200, 62_500_000);
        fifo.push(0);
        let later = 1_000_000;
        assert_eq!(fifo.room(later), 16);
        fifo.push(later);
        assert_eq!(fifo.drained_at(), later + fifo.byte_ticks());
    }
}
