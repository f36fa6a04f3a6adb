//! Host property tests for `bulkhead-time`: boundaries computed from the epoch
//! match exact rational arithmetic (ARINC 653 Part 1 Partition Scheduling:
//! the major frame repeats without drift), are never early, and invert.
//!
//! Randomness comes from a fixed-seed SplitMix64 so a failure names the seed
//! and case and reproduces exactly; each property runs a few thousand cases.
//! The oracle deliberately avoids the crate's formula: it checks the defining
//! inequalities of `ceil` by multiplication, or splits `n * period * hz` into
//! `n * q + n * r` so the division happens in a different place.

use bulkhead_time::{Epoch, Frequency, Nanos, Ticks, TimeError};

const G: u128 = 1_000_000_000;
const PI4_HZ: u64 = 54_000_000;
const QEMU_HZ: u64 = 62_500_000;

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform-ish in `lo..=hi`, biased to small magnitudes half the time so
    /// short periods and tiny offsets are exercised as often as huge ones.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        let span = hi - lo;
        let x = self.next();
        let v = if x & 1 == 0 { self.next() >> (self.next() % 64) } else { self.next() };
        if span == u64::MAX { v } else { lo + v % (span + 1) }
    }
}

fn freq(hz: u64) -> Frequency {
    Frequency::from_hz(hz).unwrap()
}

/// True iff `d` is `ceil(t * hz / 1e9)`, checked by multiplication only.
fn is_ceil(d: u64, t: u128, hz: u64) -> bool {
    let num = t * hz as u128;
    let d = d as u128;
    d * G >= num && (d == 0 || (d - 1) * G < num)
}

/// `ceil((n * period + offset) * hz / 1e9)` by splitting
/// `period * hz = q * 1e9 + r`, so no `n * period` product is formed.
fn split_ceil(n: u64, period: u64, offset: u64, hz: u64) -> u128 {
    let ph = period as u128 * hz as u128;
    let (q, r) = (ph / G, ph % G);
    let rest = n as u128 * r + offset as u128 * hz as u128;
    n as u128 * q + rest / G + u128::from(!rest.is_multiple_of(G))
}

#[test]
fn no_drift_over_a_billion_periods() {
    let periods = [Nanos(1_000_000), Nanos(333_000), Nanos(7), Nanos(333_333), Nanos(1_000_001)];
    for hz in [PI4_HZ, QEMU_HZ] {
        let f = freq(hz);
        for epoch_at in [0u64, 123_456_789] {
            let epoch = Epoch::new(Ticks(epoch_at));
            for period in periods {
                for n in [1_000_000_000u64 - 1, 1_000_000_000, 1_000_000_001, 999_999_937] {
                    for offset in [Nanos(0), Nanos(1), Nanos(period.0 / 3), period] {
                        let b = epoch.boundary(f, period, n, offset).unwrap();
                        let d = b.0 - epoch_at;
                        let t = n as u128 * period.0 as u128 + offset.0 as u128;
                        assert!(is_ceil(d, t, hz), "hz={hz} period={period:?} n={n} off={offset:?} d={d}");
                        assert_eq!(d as u128, split_ceil(n, period.0, offset.0, hz));
                        let back = f.ticks_to_nanos(Ticks(d)).unwrap();
                        assert!(back.0 as u128 >= t, "boundary early: {back:?} < {t}ns");
                    }
                }
                // Exact periods (1 ms at both, 333 us at 54 MHz) must land on
                // exact multiples, i.e. error stays 0 after 1e9 frames.
                let ph = period.0 as u128 * hz as u128;
                if ph.is_multiple_of(G) {
                    let b = epoch.boundary(f, period, 1_000_000_000, Nanos(0)).unwrap();
                    assert_eq!((b.0 - epoch_at) as u128, 1_000_000_000 * ph / G);
                }
            }
        }
    }
}

#[test]
fn random_boundaries_match_exact_math_and_are_never_early() {
    let mut rng = SplitMix64(0x0b01_c4ead);
    for case in 0..20_000 {
        let hz = match case % 4 {
            0 => PI4_HZ,
            1 => QEMU_HZ,
            _ => rng.range(1, u32::MAX as u64),
        };
        let f = freq(hz);
        let period = rng.range(1, 10_000_000_000);
        let n = rng.range(0, 1 << 40);
        let offset = rng.range(0, period);
        let epoch_at = rng.range(0, 1 << 62);
        let epoch = Epoch::new(Ticks(epoch_at));
        let exact = split_ceil(n, period, offset, hz) + epoch_at as u128;
        match epoch.boundary(f, Nanos(period), n, Nanos(offset)) {
            Ok(b) => {
                assert_eq!(b.0 as u128, exact, "case {case}");
                let t = n as u128 * period as u128 + offset as u128;
                assert!(is_ceil(b.0 - epoch_at, t, hz), "case {case}");
                if let Some(back) = f.ticks_to_nanos(Ticks(b.0 - epoch_at)) {
                    assert!(back.0 as u128 >= t, "case {case}: early");
                }
            }
            Err(TimeError::Overflow) => {
                assert!(exact > u64::MAX as u128, "case {case}: false overflow")
            }
            Err(e) => panic!("case {case}: unexpected {e:?}"),
        }
    }
}

#[test]
fn conversions_round_the_promised_way() {
    let mut rng = SplitMix64(42);
    for case in 0..20_000 {
        let hz = if case % 3 == 0 { PI4_HZ } else { rng.range(1, u64::MAX) };
        let f = freq(hz);
        let ns = rng.range(0, u64::MAX);
        let prod = ns as u128 * hz as u128;
        match f.nanos_to_ticks_ceil(Nanos(ns)) {
            Some(t) => assert!(is_ceil(t.0, ns as u128, hz), "case {case}"),
            None => assert!(prod.div_ceil(G) > u64::MAX as u128, "case {case}"),
        }
        match f.nanos_to_ticks_floor(Nanos(ns)) {
            Some(t) => {
                let t = t.0 as u128;
                assert!(t * G <= prod && (t + 1) * G > prod, "case {case}");
            }
            None => assert!(prod / G > u64::MAX as u128, "case {case}"),
        }
        let ticks = rng.range(0, u64::MAX);
        match f.ticks_to_nanos(Ticks(ticks)) {
            Some(n) => {
                let n = n.0 as u128;
                let num = ticks as u128 * G;
                assert!(n * hz as u128 <= num && (n + 1) * hz as u128 > num, "case {case}");
            }
            None => assert!(ticks as u128 * G / hz as u128 > u64::MAX as u128, "case {case}"),
        }
    }
}

#[test]
fn position_and_next_boundary_invert_boundary() {
    let mut rng = SplitMix64(7);
    for case in 0..20_000 {
        let hz = match case % 3 {
            0 => PI4_HZ,
            1 => QEMU_HZ,
            _ => rng.range(1_000, 2_000_000_000),
        };
        let f = freq(hz);
        let period = Nanos(rng.range(1, 5_000_000_000));
        let epoch_at = rng.range(0, 1 << 50);
        let epoch = Epoch::new(Ticks(epoch_at));
        // Up to ~2^20 s past the epoch keeps the frame index within u64
        // even for 1 ns periods; Overflow beyond that is tested separately.
        let now = Ticks(epoch_at + rng.range(0, (1u64 << 52).min(hz << 20)));

        let pos = epoch.position(f, period, now).unwrap();
        assert!(pos.offset < period, "case {case}");
        let at = epoch.boundary(f, period, pos.index, pos.offset).unwrap();
        let after = epoch.boundary(f, period, pos.index, Nanos(pos.offset.0 + 1)).unwrap();
        assert!(at <= now && now < after, "case {case}: {at:?} <= {now:?} < {after:?}");

        let frame_start = epoch.boundary(f, period, pos.index, Nanos(0)).unwrap();
        let frame_end = epoch.boundary(f, period, pos.index + 1, Nanos(0)).unwrap();
        assert!(frame_start <= now && now < frame_end, "case {case}");

        let offset = Nanos(rng.range(0, period.0));
        let (n, next) = epoch.next_boundary_after(f, period, offset, now).unwrap();
        assert!(next > now, "case {case}: next boundary not after now");
        assert_eq!(next, epoch.boundary(f, period, n, offset).unwrap());
        if n > 0 {
            let prev = epoch.boundary(f, period, n - 1, offset).unwrap();
            assert!(prev <= now, "case {case}: skipped a boundary");
        }
    }
}
