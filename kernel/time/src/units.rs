//! `Ticks` (generic-timer counts) and `Nanos` (module time in nanoseconds) as
//! distinct types, so a count can never be passed where a duration is meant.
//!
//! Follows the Arm ARM (DDI 0487) generic timer chapter: the system counter is
//! an unsigned 64-bit count (`CNTPCT_EL0`) that does not roll over in the life
//! of a system, so plain `u64` arithmetic with overflow checks is enough.

use core::fmt;

/// A value or a difference of the 64-bit system counter (`CNTPCT_EL0`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ticks(pub u64);

/// A duration or an instant of module time, in nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Nanos(pub u64);

impl Ticks {
    pub const ZERO: Ticks = Ticks(0);
    pub const MAX: Ticks = Ticks(u64::MAX);

    pub const fn get(self) -> u64 {
        self.0
    }
    pub const fn checked_add(self, rhs: Ticks) -> Option<Ticks> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Some(Ticks(v)),
            None => None,
        }
    }
    /// `None` when `rhs > self`: an interval that ends before it starts is a
    /// caller bug worth seeing, not a huge positive duration.
    pub const fn checked_sub(self, rhs: Ticks) -> Option<Ticks> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Some(Ticks(v)),
            None => None,
        }
    }
    pub const fn saturating_add(self, rhs: Ticks) -> Ticks {
        Ticks(self.0.saturating_add(rhs.0))
    }
    pub const fn saturating_sub(self, rhs: Ticks) -> Ticks {
        Ticks(self.0.saturating_sub(rhs.0))
    }
}

impl Nanos {
    pub const ZERO: Nanos = Nanos(0);
    pub const MAX: Nanos = Nanos(u64::MAX);

    pub const fn get(self) -> u64 {
        self.0
    }
    pub const fn from_micros(us: u64) -> Option<Nanos> {
        match us.checked_mul(1_000) {
            Some(v) => Some(Nanos(v)),
            None => None,
        }
    }
    pub const fn from_millis(ms: u64) -> Option<Nanos> {
        match ms.checked_mul(1_000_000) {
            Some(v) => Some(Nanos(v)),
            None => None,
        }
    }
    pub const fn from_secs(s: u64) -> Option<Nanos> {
        match s.checked_mul(1_000_000_000) {
            Some(v) => Some(Nanos(v)),
            None => None,
        }
    }
    pub const fn checked_add(self, rhs: Nanos) -> Option<Nanos> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Some(Nanos(v)),
            None => None,
        }
    }
    pub const fn checked_sub(self, rhs: Nanos) -> Option<Nanos> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Some(Nanos(v)),
            None => None,
        }
    }
    pub const fn saturating_add(self, rhs: Nanos) -> Nanos {
        Nanos(self.0.saturating_add(rhs.0))
    }
    pub const fn saturating_sub(self, rhs: Nanos) -> Nanos {
        Nanos(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Debug for Ticks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}t", self.0)
    }
}

impl fmt::Debug for Nanos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ns", self.0)
    }
}

impl fmt::Display for Ticks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ticks", self.0)
    }
}

impl fmt::Display for Nanos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ns", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(Ticks(5).checked_sub(Ticks(6)), None);
        assert_eq!(Ticks::MAX.checked_add(Ticks(1)), None);
        assert_eq!(Ticks(5).checked_add(Ticks(6)), Some(Ticks(11)));
        assert_eq!(Ticks(5).saturating_sub(Ticks(6)), Ticks::ZERO);
        assert_eq!(Nanos::MAX.saturating_add(Nanos(1)), Nanos::MAX);
        assert_eq!(Nanos(3).checked_sub(Nanos(4)), None);
        assert_eq!(Nanos::from_millis(1), Some(Nanos(1_000_000)));
        assert_eq!(Nanos::from_micros(333), Some(Nanos(333_000)));
        assert_eq!(Nanos::from_secs(u64::MAX), None);
    }

    #[test]
    fn nanosecond_arithmetic_gives_the_sum_and_difference() {
        assert_eq!(Nanos::from_secs(2).map(Nanos::get), Some(2_000_000_000));
        assert_eq!(Nanos(5).checked_add(Nanos(6)), Some(Nanos(11)));
        assert_eq!(Nanos(6).checked_sub(Nanos(6)), Some(Nanos::ZERO));
        assert_eq!(Ticks(54_000_000).get(), 54_000_000);
    }

    #[test]
    fn values_print_with_their_unit() {
        extern crate std;
        use std::format;
        // A count and a duration must not read alike in a message or a
        // failed assertion.
        assert_eq!(format!("{} / {}", Ticks(7), Nanos(7)), "7 ticks / 7 ns");
        assert_eq!(format!("{:?} / {:?}", Ticks(7), Nanos(7)), "7t / 7ns");
    }
}
