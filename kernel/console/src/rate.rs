//! A token bucket for report lines.

/// Up to `burst` lines at once, then one per `period` ticks; the lines
/// refused meanwhile are counted and handed to the next line let through.
///
/// The bucket counts the tokens taken out of it, not those left in it, so
/// a full one is all zero bytes: the kernel's table of them (one per
/// partition and kind) is `.bss`, not initialised data.
#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    /// Tokens taken from the full bucket of `burst` and not yet earned back.
    taken: u32,
    last: u64,
    suppressed: u32,
}

impl RateLimit {
    /// A full bucket (whatever `burst` each [`RateLimit::allow`] says).
    pub const fn new() -> Self {
        RateLimit { taken: 0, last: 0, suppressed: 0 }
    }

    /// May a line be printed at `now`? `Some(n)`: yes, and `n` lines like
    /// it were suppressed since the last one printed. `None`: no (counted).
    pub fn allow(&mut self, now: u64, burst: u32, period: u64) -> Option<u32> {
        if period > 0 && now > self.last {
            let earned = (now - self.last) / period;
            if earned > 0 {
                // Never more than `burst` tokens in the bucket: none taken.
                self.taken = u64::from(self.taken).saturating_sub(earned) as u32;
                self.last += earned * period;
            }
        }
        if self.taken >= burst {
            self.suppressed = self.suppressed.saturating_add(1);
            return None;
        }
        self.taken += 1;
        Some(core::mem::take(&mut self.suppressed))
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_period_with_the_rest_counted() {
        let mut r = RateLimit::new();
        let got: [Option<u32>; 5] = core::array::from_fn(|_| r.allow(10, 3, 100));
        assert_eq!(got, [Some(0), Some(0), Some(0), None, None]);
        assert_eq!(r.allow(99, 3, 100), None);
        // One period on: one more, telling of the three refused.
        assert_eq!(r.allow(100, 3, 100), Some(3));
        assert_eq!(r.allow(150, 3, 100), None);
        // A long quiet time refills the burst, not more.
        assert_eq!(r.allow(10_000, 3, 100), Some(1));
        assert_eq!(r.allow(10_000, 3, 100), Some(0));
        assert_eq!(r.allow(10_000, 3, 100), Some(0));
        assert_eq!(r.allow(10_000, 3, 100), None);
    }
}
