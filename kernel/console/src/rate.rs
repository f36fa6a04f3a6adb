//! A token bucket for report lines.

/// Up to `burst` lines at once, then one per `period` ticks; the lines
/// refused meanwhile are counted and handed to the next line let through.
#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    tokens: u32,
    last: u64,
    suppressed: u32,
}

impl RateLimit {
    pub const fn new(burst: u32) -> Self {
        RateLimit { tokens: burst, last: 0, suppressed: 0 }
    }

    /// May a line be printed at `now`? `Some(n)`: yes, and `n` lines like
    /// it were suppressed since the last one printed. `None`: no (counted).
    pub fn allow(&mut self, now: u64, burst: u32, period: u64) -> Option<u32> {
        if period > 0 && now > self.last {
            let earned = (now - self.last) / period;
            if earned > 0 {
                self.tokens = (u64::from(self.tokens) + earned).min(u64::from(burst)) as u32;
                self.last += earned * period;
            }
        }
        if self.tokens == 0 {
            self.suppressed = self.suppressed.saturating_add(1);
            return None;
        }
        self.tokens -= 1;
        Some(core::mem::take(&mut self.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_period_with_the_rest_counted() {
        let mut r = RateLimit::new(3);
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
