//! The semaphore's count (ARINC 653 Part 1 §3.7.2.3) and the mutex's
//! ownership (§3.7.2.5) as state machines: each call says what the object
//! must do, the objects do it under their lock (waiters are chosen by
//! [`super::waiters`]).
#![forbid(unsafe_code)]

/// The largest semaphore value (ARINC 653 MAX_SEMAPHORE_VALUE).
pub const MAX_SEMAPHORE_VALUE: u32 = 32767;

/// How deep one owner may nest acquisitions of a mutex (ARINC 653
/// MAX_LOCK_LEVEL).
pub const MAX_LOCK_COUNT: u32 = 16;

/// A counting semaphore's value and maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    value: u32,
    maximum: u32,
}

/// What a signal does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// The value is at its maximum: nothing changes (ARINC NO_ACTION).
    AtMaximum,
    /// No one waited: the value went up by one.
    Counted,
    /// A thread waits: it gets the unit, the value stays.
    HandOff,
}

impl Count {
    /// A semaphore at `value` of at most `maximum`; `None` if `value` is
    /// over `maximum` or `maximum` over [`MAX_SEMAPHORE_VALUE`].
    pub const fn new(value: u32, maximum: u32) -> Option<Count> {
        if value > maximum || maximum > MAX_SEMAPHORE_VALUE { None } else { Some(Count { value, maximum }) }
    }

    /// ARINC CURRENT_VALUE.
    pub fn value(&self) -> u32 {
        self.value
    }

    /// ARINC MAXIMUM_VALUE.
    pub fn maximum(&self) -> u32 {
        self.maximum
    }

    /// Takes a unit if there is one. A waiter is only ever queued while
    /// the value is 0 and a signal hands its unit to a waiter before it
    /// counts, so a positive value means no one waits: a newcomer taking
    /// it overtakes no waiter.
    pub fn take(&mut self) -> bool {
        if self.value == 0 {
            return false;
        }
        self.value -= 1;
        true
    }

    /// A signal, with or without a thread waiting.
    pub fn signal(&mut self, someone_waits: bool) -> Signal {
        if self.value == self.maximum {
            Signal::AtMaximum
        } else if someone_waits {
            Signal::HandOff
        } else {
            self.value += 1;
            Signal::Counted
        }
    }
}

/// A mutex's owner, nesting and ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ownership {
    owner: Option<u32>,
    lock_count: u32,
    ceiling: u32,
    retained: u32,
}

/// What an acquisition does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquire {
    /// The mutex was free: the caller owns it, once; raise it to the
    /// ceiling.
    Taken,
    /// The caller owned it already: one level deeper.
    Nested,
    /// The caller owns it [`MAX_LOCK_COUNT`] times (ARINC INVALID_CONFIG).
    TooDeep,
    /// The caller's priority is above the ceiling (ARINC INVALID_MODE).
    AboveCeiling,
    /// Another thread owns it: wait.
    Busy,
}

/// What a release does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// The caller does not own it (ARINC INVALID_MODE).
    NotOwner,
    /// Still owned, one level less.
    StillHeld,
    /// Free now (or to be handed to a waiter): the caller goes back to the
    /// priority it had when it took it.
    Freed {
        /// The priority to go back to.
        retained: u32,
    },
}

impl Ownership {
    /// A free mutex of priority `ceiling`.
    pub const fn new(ceiling: u32) -> Ownership {
        Ownership { owner: None, lock_count: 0, ceiling, retained: 0 }
    }

    /// ARINC MUTEX_OWNER (`None`: AVAILABLE).
    pub fn owner(&self) -> Option<u32> {
        self.owner
    }

    /// ARINC LOCK_COUNT.
    pub fn lock_count(&self) -> u32 {
        self.lock_count
    }

    /// ARINC MUTEX_PRIORITY, the ceiling an owner runs at.
    pub fn ceiling(&self) -> u32 {
        self.ceiling
    }

    /// `me`, of current priority `priority`, asks for it.
    pub fn acquire(&mut self, me: u32, priority: u32) -> Acquire {
        match self.owner {
            Some(o) if o == me && self.lock_count >= MAX_LOCK_COUNT => Acquire::TooDeep,
            Some(o) if o == me => {
                self.lock_count += 1;
                Acquire::Nested
            }
            _ if priority > self.ceiling => Acquire::AboveCeiling,
            Some(_) => Acquire::Busy,
            None => {
                self.give(me, priority);
                Acquire::Taken
            }
        }
    }

    /// Makes `thread`, whose priority was `retained`, the owner, once (an
    /// acquisition, or a hand-off to a waiter).
    pub fn give(&mut self, thread: u32, retained: u32) {
        self.owner = Some(thread);
        self.lock_count = 1;
        self.retained = retained;
    }

    /// The owner's priority changed while it owns the mutex (ARINC
    /// SET_PRIORITY of an owner): it goes back to `retained` at the end.
    pub fn give_retained(&mut self, retained: u32) {
        self.retained = retained;
    }

    /// `me` lets go of one level.
    pub fn release(&mut self, me: u32) -> Release {
        if self.owner != Some(me) {
            return Release::NotOwner;
        }
        self.lock_count -= 1;
        if self.lock_count > 0 {
            return Release::StillHeld;
        }
        self.owner = None;
        Release::Freed { retained: self.retained }
    }

    /// ARINC RESET_MUTEX: `thread`'s ownership ends whatever its depth;
    /// the priority it goes back to, or `None` if it does not own it.
    pub fn reset(&mut self, thread: u32) -> Option<u32> {
        if self.owner != Some(thread) {
            return None;
        }
        self.owner = None;
        self.lock_count = 0;
        Some(self.retained)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_semaphore_counts_to_its_maximum() {
        assert_eq!(Count::new(3, 2), None);
        assert_eq!(Count::new(0, MAX_SEMAPHORE_VALUE + 1), None);
        let mut c = Count::new(1, 2).unwrap();
        assert!(c.take());
        assert!(!c.take());
        assert_eq!(c.signal(true), Signal::HandOff);
        assert_eq!(c.value(), 0);
        assert_eq!(c.signal(false), Signal::Counted);
        assert_eq!(c.signal(false), Signal::Counted);
        assert_eq!(c.signal(false), Signal::AtMaximum);
        assert_eq!(c.value(), 2);
    }

    #[test]
    fn a_mutex_nests_hands_off_and_resets() {
        let mut m = Ownership::new(10);
        assert_eq!(m.acquire(1, 11), Acquire::AboveCeiling);
        assert_eq!(m.acquire(1, 4), Acquire::Taken);
        assert_eq!(m.acquire(2, 5), Acquire::Busy);
        assert_eq!(m.acquire(1, 10), Acquire::Nested);
        assert_eq!(m.release(2), Release::NotOwner);
        assert_eq!(m.release(1), Release::StillHeld);
        assert_eq!(m.release(1), Release::Freed { retained: 4 });
        assert_eq!(m.release(1), Release::NotOwner);
        m.give(2, 5);
        assert_eq!(m.owner(), Some(2));
        assert_eq!(m.reset(1), None);
        assert_eq!(m.reset(2), Some(5));
        assert_eq!(m.owner(), None);
        for _ in 0..MAX_LOCK_COUNT {
            assert_ne!(m.acquire(3, 0), Acquire::TooDeep);
        }
        assert_eq!(m.acquire(3, 0), Acquire::TooDeep);
        assert_eq!(m.lock_count(), MAX_LOCK_COUNT);
    }

    proptest! {
        /// The value stays within 0..=maximum, a take succeeds exactly when
        /// it is positive, and units are conserved: value = initial +
        /// counted signals - takes.
        #[test]
        fn semaphore_units_are_conserved(
            initial in 0u32..5,
            extra in 0u32..5,
            ops in proptest::collection::vec((any::<bool>(), any::<bool>()), 0..80),
        ) {
            let max = initial + extra;
            let mut c = Count::new(initial, max).unwrap();
            let (mut counted, mut taken) = (0u32, 0u32);
            for (is_take, waits) in ops {
                if is_take {
                    let before = c.value();
                    prop_assert_eq!(c.take(), before > 0);
                    if before > 0 { taken += 1; }
                } else if c.signal(waits) == Signal::Counted {
                    counted += 1;
                }
                prop_assert!(c.value() <= max);
                prop_assert_eq!(c.value() + taken, initial + counted);
            }
        }

        /// Ownership: a non-owner never changes it; the lock count is the
        /// owner's acquisitions minus its releases; freed exactly at 0.
        #[test]
        fn mutex_lock_count_follows_the_owner(ops in proptest::collection::vec((0u32..3, any::<bool>()), 0..80)) {
            let mut m = Ownership::new(100);
            let mut model: Option<(u32, u32)> = None;
            for (who, acquire) in ops {
                if acquire {
                    let r = m.acquire(who, 1);
                    model = match (model, r) {
                        (None, Acquire::Taken) => Some((who, 1)),
                        (Some((o, n)), Acquire::Nested) if o == who => Some((o, n + 1)),
                        (Some((o, n)), Acquire::TooDeep) if o == who && n == MAX_LOCK_COUNT => Some((o, n)),
                        (Some((o, n)), Acquire::Busy) if o != who => Some((o, n)),
                        (before, r) => return Err(TestCaseError::fail(std::format!("{before:?} then {r:?}"))),
                    };
                } else {
                    let r = m.release(who);
                    model = match (model, r) {
                        (Some((o, 1)), Release::Freed { retained: 1 }) if o == who => None,
                        (Some((o, n)), Release::StillHeld) if o == who && n > 1 => Some((o, n - 1)),
                        (m0, Release::NotOwner) if m0.is_none_or(|(o, _)| o != who) => m0,
                        (before, r) => return Err(TestCaseError::fail(std::format!("{before:?} then {r:?}"))),
                    };
                }
                prop_assert_eq!(m.owner(), model.map(|(o, _)| o));
                prop_assert_eq!(m.lock_count(), model.map_or(0, |(_, n)| n));
            }
        }
    }
}
