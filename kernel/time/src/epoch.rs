//! The epoch: the counter value at which major frame 0 began, and the exact
//! arithmetic that turns (frame index, offset) into an absolute deadline and
//! back.
//!
//! Follows ARINC 653 Part 1, Partition Scheduling (Partition Management): the
//! major time frame repeats periodically for the life of the module, so window
//! boundaries form a fixed lattice in module time. The deadline is written to
//! `CNTHP_CVAL_EL2`, an absolute compare value (Arm ARM DDI 0487, generic
//! timer chapter), which is why every result here is an absolute [`Ticks`].
//!
//! Rounding contract, shared by every function below so they agree exactly:
//! `boundary(n, offset) = epoch + ceil((n * period + offset) * hz / 1e9)`, and
//! for a counter value `now >= epoch`, with
//! `E = floor((now - epoch) * 1e9 / hz)`,
//! `boundary(n, offset) <= now` holds exactly when `n * period + offset <= E`.
//! So `E div period` and `E mod period` ([`Epoch::position`]) name precisely
//! the frame and the window that a boundary-driven core would be in.

use crate::frequency::{Frequency, NANOS_PER_SEC, nanos_u128_to_ticks_ceil};
use crate::units::{Nanos, Ticks};

/// Why an epoch computation has no answer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TimeError {
    /// The result does not fit in a 64-bit counter value or index.
    Overflow,
    /// A period of zero has no frames; it is a configuration error upstream.
    ZeroPeriod,
    /// `now` precedes the epoch, so it lies in no frame.
    BeforeEpoch { now: Ticks, epoch: Ticks },
}

/// Where an instant falls in the repeating period.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FramePosition {
    /// Index `n` of the period containing the instant (0 = the first).
    pub index: u64,
    /// Time since the start of period `index`, floor-rounded, `< period`.
    pub offset: Nanos,
}

/// The counter value at which major frame 0 began.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub struct Epoch(Ticks);

impl Epoch {
    pub const fn new(start: Ticks) -> Epoch {
        Epoch(start)
    }

    pub const fn start(self) -> Ticks {
        self.0
    }

    /// Absolute counter value of the instant `n * period + offset` after the
    /// epoch, rounded up so it is never early. Computed from `n` directly:
    /// no drift however large `n` is. `offset` may equal or exceed `period`
    /// (the end of the last window is `boundary(n, period, period)`).
    #[inline]
    pub fn boundary(self, freq: Frequency, period: Nanos, n: u64, offset: Nanos) -> Result<Ticks, TimeError> {
        if period.0 == 0 {
            return Err(TimeError::ZeroPeriod);
        }
        let ns = (n as u128 * period.0 as u128).checked_add(offset.0 as u128).ok_or(TimeError::Overflow)?;
        let ticks = nanos_u128_to_ticks_ceil(freq, ns).ok_or(TimeError::Overflow)?;
        let ticks = u64::try_from(ticks).map_err(|_| TimeError::Overflow)?;
        self.0.checked_add(Ticks(ticks)).ok_or(TimeError::Overflow)
    }

    /// Which period `now` falls in and how far into it, the inverse of
    /// [`Epoch::boundary`]: `boundary(index, offset') <= now` exactly when
    /// `offset' <= offset`. A core that missed boundaries resynchronises from
    /// this instead of stepping through them one by one.
    pub fn position(self, freq: Frequency, period: Nanos, now: Ticks) -> Result<FramePosition, TimeError> {
        if period.0 == 0 {
            return Err(TimeError::ZeroPeriod);
        }
        let elapsed = self.elapsed_u128(freq, now)?;
        let p = period.0 as u128;
        let index = u64::try_from(elapsed / p).map_err(|_| TimeError::Overflow)?;
        // elapsed % p < period, which is a u64
        let offset = Nanos((elapsed % p) as u64);
        Ok(FramePosition { index, offset })
    }

    /// The first instant of the lattice `n * period + offset` (over `n`)
    /// strictly after `now`, with its `n`. Before the epoch that is `n = 0`.
    pub fn next_boundary_after(
        self,
        freq: Frequency,
        period: Nanos,
        offset: Nanos,
        now: Ticks,
    ) -> Result<(u64, Ticks), TimeError> {
        if period.0 == 0 {
            return Err(TimeError::ZeroPeriod);
        }
        let n = match self.elapsed_u128(freq, now) {
            Err(TimeError::BeforeEpoch { .. }) => 0,
            Err(e) => return Err(e),
            Ok(e) if e < offset.0 as u128 => 0,
            Ok(e) => {
                let n = (e - offset.0 as u128) / period.0 as u128 + 1;
                u64::try_from(n).map_err(|_| TimeError::Overflow)?
            }
        };
        Ok((n, self.boundary(freq, period, n, offset)?))
    }

    /// Nanoseconds since the epoch, rounded down.
    pub fn elapsed(self, freq: Frequency, now: Ticks) -> Result<Nanos, TimeError> {
        let e = self.elapsed_u128(freq, now)?;
        u64::try_from(e).map(Nanos).map_err(|_| TimeError::Overflow)
    }

    fn elapsed_u128(self, freq: Frequency, now: Ticks) -> Result<u128, TimeError> {
        let d = now.checked_sub(self.0).ok_or(TimeError::BeforeEpoch { now, epoch: self.0 })?;
        Ok(d.0 as u128 * NANOS_PER_SEC / freq.hz() as u128)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pi4() -> Frequency {
        Frequency::from_hz(54_000_000).unwrap()
    }

    #[test]
    fn boundary_rounds_up_to_the_next_tick() {
        let e = Epoch::new(Ticks(1000));
        // 7 ns period at 54 MHz: frame 1 starts 0.378 ticks in -> tick 1.
        assert_eq!(e.boundary(pi4(), Nanos(7), 1, Nanos(0)), Ok(Ticks(1001)));
        assert_eq!(e.boundary(pi4(), Nanos(7), 0, Nanos(0)), Ok(Ticks(1000)));
        // 1000 frames of 7 ns = 7 us = 378 ticks exactly.
        assert_eq!(e.boundary(pi4(), Nanos(7), 1000, Nanos(0)), Ok(Ticks(1378)));
    }

    #[test]
    fn position_agrees_with_boundary_at_the_exact_tick() {
        let e = Epoch::new(Ticks(500));
        let period = Nanos(333_333);
        for n in [0u64, 1, 2, 1_000_003] {
            let b = e.boundary(pi4(), period, n, Nanos(0)).unwrap();
            let at = e.position(pi4(), period, b).unwrap();
            assert_eq!(at.index, n, "at the boundary tick we are in frame n");
            if n > 0 {
                let before = e.position(pi4(), period, Ticks(b.0 - 1)).unwrap();
                assert_eq!(before.index, n - 1, "one tick earlier is frame n-1");
            }
        }
    }

    #[test]
    fn next_boundary_is_strictly_after_now() {
        let e = Epoch::new(Ticks(100));
        let period = Nanos(1_000_000); // 54_000 ticks
        assert_eq!(e.next_boundary_after(pi4(), period, Nanos(0), Ticks(100)), Ok((1, Ticks(54_100))));
        assert_eq!(e.next_boundary_after(pi4(), period, Nanos(0), Ticks(54_099)), Ok((1, Ticks(54_100))));
        assert_eq!(e.next_boundary_after(pi4(), period, Nanos(0), Ticks(54_100)), Ok((2, Ticks(108_100))));
        // Before the epoch, frame 0's own boundary is next.
        assert_eq!(e.next_boundary_after(pi4(), period, Nanos(500_000), Ticks(3)), Ok((0, Ticks(27_100))));
    }

    #[test]
    fn elapsed_time_rounds_down_and_starts_at_the_epoch() {
        let e = Epoch::new(Ticks(100));
        assert_eq!(e.elapsed(pi4(), Ticks(100)), Ok(Nanos(0)));
        // One tick is 18.518.. ns: never claim more time has passed.
        assert_eq!(e.elapsed(pi4(), Ticks(101)), Ok(Nanos(18)));
        assert_eq!(e.elapsed(pi4(), Ticks(100 + 54_000_000)), Ok(Nanos(1_000_000_000)));
        assert_eq!(e.elapsed(pi4(), Ticks(99)), Err(TimeError::BeforeEpoch { now: Ticks(99), epoch: Ticks(100) }));
        let slow = Frequency::from_hz(1).unwrap();
        assert_eq!(Epoch::new(Ticks(0)).elapsed(slow, Ticks(u64::MAX)), Err(TimeError::Overflow));
    }

    #[test]
    fn errors_are_values() {
        let e = Epoch::new(Ticks(100));
        assert_eq!(
            e.position(pi4(), Nanos(10), Ticks(99)),
            Err(TimeError::BeforeEpoch { now: Ticks(99), epoch: Ticks(100) })
        );
        assert_eq!(e.boundary(pi4(), Nanos(0), 1, Nanos(0)), Err(TimeError::ZeroPeriod));
        assert_eq!(e.position(pi4(), Nanos(0), Ticks(100)), Err(TimeError::ZeroPeriod));
        assert_eq!(e.boundary(pi4(), Nanos(u64::MAX), u64::MAX, Nanos(u64::MAX)), Err(TimeError::Overflow));
        let late = Epoch::new(Ticks(u64::MAX - 10));
        assert_eq!(late.boundary(pi4(), Nanos(1_000), 1, Nanos(0)), Err(TimeError::Overflow));
        let slow = Frequency::from_hz(1).unwrap();
        assert_eq!(
            Epoch::new(Ticks(0)).position(slow, Nanos(1), Ticks(u64::MAX)),
            Err(TimeError::Overflow),
            "index = 1.8e28 frames does not fit in u64"
        );
    }
}
