//! The system counter frequency and exact conversions between ticks and
//! nanoseconds.
//!
//! Follows the Arm ARM (DDI 0487) generic timer chapter: `CNTFRQ_EL0` holds
//! the counter frequency in Hz, programmed by firmware (54 MHz on a
//! Raspberry Pi 4, 62.5 MHz under QEMU `raspi4b`). Neither divides 1e9 into
//! an integer tick length at 54 MHz, so every conversion goes through a
//! 128-bit product before the single division: `u64 * 1e9` and
//! `u64 * u64` both fit in `u128`, so the only rounding is the one we choose.
//! Nanoseconds to ticks, on every window boundary, gets the same value
//! without the 128-bit division (`nanos_u128_to_ticks_ceil`).

use core::num::NonZeroU64;

use crate::units::{Nanos, Ticks};

pub(crate) const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Counter frequency in Hz, as read from `CNTFRQ_EL0`. Never zero.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct Frequency(NonZeroU64);

impl Frequency {
    /// `None` for 0 Hz: an unprogrammed `CNTFRQ_EL0` reads as 0 and must be
    /// refused at boot rather than divided by.
    pub const fn from_hz(hz: u64) -> Option<Frequency> {
        match NonZeroU64::new(hz) {
            Some(v) => Some(Frequency(v)),
            None => None,
        }
    }

    pub const fn hz(self) -> u64 {
        self.0.get()
    }

    /// Elapsed nanoseconds covered by `ticks`, rounded down. `None` if the
    /// result does not fit in 64 bits (more than ~584 years).
    ///
    /// Split at whole seconds, in 64 bits, when the frequency is below
    /// 2^32 Hz (every real counter's): with `q, r = ticks / hz, ticks % hz`
    /// the result is `q * 1e9 + floor(r * 1e9 / hz)` exactly, and `r * 1e9 <
    /// 2^62`. A 128-bit division is a library call of tens of instructions
    /// on every port call and time read (issue 19); it is left for the
    /// other frequencies.
    pub const fn ticks_to_nanos(self, ticks: Ticks) -> Option<Nanos> {
        let hz = self.0.get();
        if hz <= u32::MAX as u64 {
            let (q, r) = (ticks.0 / hz, ticks.0 % hz);
            return match q.checked_mul(NANOS_PER_SEC as u64) {
                Some(whole) => match whole.checked_add(r * NANOS_PER_SEC as u64 / hz) {
                    Some(ns) => Some(Nanos(ns)),
                    None => None,
                },
                None => None,
            };
        }
        let ns = (ticks.0 as u128 * NANOS_PER_SEC) / hz as u128;
        narrow_nanos(ns)
    }

    /// Ticks needed to cover at least `ns`, rounded up: a deadline computed
    /// with this is never early.
    pub const fn nanos_to_ticks_ceil(self, ns: Nanos) -> Option<Ticks> {
        narrow_ticks(nanos_u128_to_ticks_ceil(self, ns.0 as u128))
    }

    /// Whole ticks contained in `ns`, rounded down.
    pub const fn nanos_to_ticks_floor(self, ns: Nanos) -> Option<Ticks> {
        narrow_ticks(nanos_u128_to_ticks_floor(self, ns.0 as u128))
    }
}

/// `ceil(ns * hz / 1e9)` for a 128-bit nanosecond count. `None` only when the
/// product overflows `u128`, in which case the tick count is far beyond
/// `u64` anyway (a result < 2^64 needs `ns * hz < 2^64 * 1e9 < 2^94`).
///
/// Every window boundary goes through here (issue 19: no 128-bit division
/// on the switch path). For `ns` < 2^64 (584 years) and a frequency below
/// 2^32 Hz, `ns` is split at whole seconds, `ns = s * 1e9 + r`, and since
/// `s * hz` is a whole number of ticks, `ceil(ns * hz / 1e9) = s * hz +
/// ceil(r * hz / 1e9)`: the same value, from 64-bit divisions by a constant
/// (which compile to multiplications) and `r * hz < 2^30 * 2^32`.
#[inline]
pub(crate) const fn nanos_u128_to_ticks_ceil(freq: Frequency, ns: u128) -> Option<u128> {
    if let Some((s, r, hz)) = split_seconds(freq, ns) {
        return Some(s as u128 * hz as u128 + (r * hz).div_ceil(NANOS_PER_SEC as u64) as u128);
    }
    match ns.checked_mul(freq.0.get() as u128) {
        Some(p) => Some(p.div_ceil(NANOS_PER_SEC)),
        None => None,
    }
}

/// As [`nanos_u128_to_ticks_ceil`], rounded down.
#[inline]
pub(crate) const fn nanos_u128_to_ticks_floor(freq: Frequency, ns: u128) -> Option<u128> {
    if let Some((s, r, hz)) = split_seconds(freq, ns) {
        return Some(s as u128 * hz as u128 + (r * hz / NANOS_PER_SEC as u64) as u128);
    }
    match ns.checked_mul(freq.0.get() as u128) {
        Some(p) => Some(p / NANOS_PER_SEC),
        None => None,
    }
}

/// `(ns / 1e9, ns % 1e9, hz)` when the 64-bit conversion applies.
#[inline]
const fn split_seconds(freq: Frequency, ns: u128) -> Option<(u64, u64, u64)> {
    let hz = freq.0.get();
    if ns > u64::MAX as u128 || hz > u32::MAX as u64 {
        return None;
    }
    let ns = ns as u64;
    let per_sec = NANOS_PER_SEC as u64;
    Some((ns / per_sec, ns % per_sec, hz))
}

const fn narrow_ticks(v: Option<u128>) -> Option<Ticks> {
    match v {
        Some(v) if v <= u64::MAX as u128 => Some(Ticks(v as u64)),
        _ => None,
    }
}

const fn narrow_nanos(v: u128) -> Option<Nanos> {
    if v <= u64::MAX as u128 { Some(Nanos(v as u64)) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PI4: Frequency = match Frequency::from_hz(54_000_000) {
        Some(f) => f,
        None => panic!(),
    };
    const QEMU: Frequency = match Frequency::from_hz(62_500_000) {
        Some(f) => f,
        None => panic!(),
    };

    #[test]
    fn zero_frequency_is_rejected() {
        assert_eq!(Frequency::from_hz(0), None);
        assert_eq!(Frequency::from_hz(1).map(Frequency::hz), Some(1));
    }

    #[test]
    fn qemu_tick_is_16ns_exactly() {
        assert_eq!(QEMU.ticks_to_nanos(Ticks(1)), Some(Nanos(16)));
        assert_eq!(QEMU.nanos_to_ticks_ceil(Nanos(16)), Some(Ticks(1)));
        assert_eq!(QEMU.nanos_to_ticks_ceil(Nanos(17)), Some(Ticks(2)));
        assert_eq!(QEMU.nanos_to_ticks_floor(Nanos(31)), Some(Ticks(1)));
    }

    #[test]
    fn pi4_tick_is_not_an_integer_number_of_ns() {
        // 1 tick = 18.518.. ns
        assert_eq!(PI4.ticks_to_nanos(Ticks(1)), Some(Nanos(18)));
        assert_eq!(PI4.ticks_to_nanos(Ticks(27)), Some(Nanos(500)));
        assert_eq!(PI4.nanos_to_ticks_ceil(Nanos(19)), Some(Ticks(2)));
        assert_eq!(PI4.nanos_to_ticks_floor(Nanos(19)), Some(Ticks(1)));
        // 1 ms = 54_000 ticks exactly; 333 us = 17_982 ticks exactly.
        assert_eq!(PI4.nanos_to_ticks_ceil(Nanos(1_000_000)), Some(Ticks(54_000)));
        assert_eq!(PI4.nanos_to_ticks_ceil(Nanos(333_000)), Some(Ticks(17_982)));
        // 7 ns = 0.378 ticks
        assert_eq!(PI4.nanos_to_ticks_ceil(Nanos(7)), Some(Ticks(1)));
        assert_eq!(PI4.nanos_to_ticks_floor(Nanos(7)), Some(Ticks(0)));
    }

    /// The 64-bit split at whole seconds gives exactly the 128-bit
    /// product's rounding, at second boundaries, near 2^64 ns and for
    /// pseudo-random counts, at the two boards' and other frequencies, in
    /// both directions.
    #[test]
    fn split_conversion_equals_the_128_bit_product() {
        let reference = |hz: u64, ns: u128, ceil: bool| {
            let p = ns * u128::from(hz);
            if ceil { p.div_ceil(NANOS_PER_SEC) } else { p / NANOS_PER_SEC }
        };
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let counts: [u64; 12] = [
            0,
            1,
            999_999_999,
            1_000_000_000,
            1_000_000_001,
            2_999_999_999,
            u64::MAX,
            u64::MAX - 1,
            u64::MAX / 3,
            18_446_744_073_000_000_000,
            500_000,
            333_000,
        ];
        for hz in [1, 19_200_000, 54_000_000, 62_500_000, 1_000_000_007, u64::from(u32::MAX)] {
            let f = Frequency::from_hz(hz).unwrap();
            for i in 0..4000 {
                let ns = if i < counts.len() {
                    counts[i]
                } else {
                    // xorshift64, at every magnitude
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x >> (x % 64)
                };
                let ns = u128::from(ns);
                assert_eq!(nanos_u128_to_ticks_ceil(f, ns), Some(reference(hz, ns, true)), "ceil {ns} ns at {hz} Hz");
                assert_eq!(
                    nanos_u128_to_ticks_floor(f, ns),
                    Some(reference(hz, ns, false)),
                    "floor {ns} ns at {hz} Hz"
                );
                // The same counts as ticks, back to nanoseconds.
                let ticks = ns as u64;
                let back = u128::from(ticks) * NANOS_PER_SEC / u128::from(hz);
                let want = u64::try_from(back).ok().map(Nanos);
                assert_eq!(f.ticks_to_nanos(Ticks(ticks)), want, "{ticks} ticks at {hz} Hz");
            }
        }
    }

    #[test]
    fn conversions_report_overflow_instead_of_wrapping() {
        // u64::MAX ticks at 54 MHz is ~10_800 years: more ns than u64 holds.
        assert_eq!(PI4.ticks_to_nanos(Ticks::MAX), None);
        // At 1 Hz every nanosecond count fits in ticks; at 2^64-1 Hz it does not.
        let fast = Frequency::from_hz(u64::MAX).unwrap();
        assert_eq!(fast.nanos_to_ticks_ceil(Nanos::MAX), None);
        assert_eq!(fast.nanos_to_ticks_floor(Nanos(1_000_000_000)), Some(Ticks(u64::MAX)));
        let slow = Frequency::from_hz(1).unwrap();
        assert_eq!(slow.nanos_to_ticks_ceil(Nanos::MAX), Some(Ticks(18_446_744_074)));
        assert_eq!(slow.ticks_to_nanos(Ticks::MAX), None);
    }
}
