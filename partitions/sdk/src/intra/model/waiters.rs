//! The threads waiting on one object, and which one a signal, a release or
//! a send hands off to (ARINC 653 Part 1 §3.7.1, queuing discipline).
//!
//! A thread waits on at most one object at a time, so an object's waiters
//! are a set of thread indexes (a `u64`: a partition has at most
//! [`MAX_THREADS`] threads) and what orders them, the priority the thread
//! had when it began to wait and a ticket taken then from a counter of the
//! partition, lives with the thread ([`WaitKey`]). The choice walks the
//! set: at most 64 looks.
#![forbid(unsafe_code)]

/// Threads a partition can have at most (the kernel's module-wide
/// `MAX_THREADS`): the width of a [`WaiterSet`].
pub const MAX_THREADS: usize = 64;

/// How an object's waiters are served (ARINC 653 QUEUING_DISCIPLINE_TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discipline {
    /// The longest waiting first.
    Fifo,
    /// The highest priority first (larger is more urgent, as the kernel's
    /// priorities), the longest waiting among equals.
    Priority,
}

/// What orders one waiter among others: its priority when it began to
/// wait and its ticket (smaller waited longer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitKey {
    /// The thread's current priority when it began to wait.
    pub priority: u32,
    /// Taken from the partition's counter when it began to wait.
    pub ticket: u64,
}

/// A set of thread indexes (each below [`MAX_THREADS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WaiterSet(u64);

impl WaiterSet {
    /// No waiter.
    pub const EMPTY: WaiterSet = WaiterSet(0);

    /// Adds `thread`.
    pub fn insert(&mut self, thread: u32) {
        self.0 |= 1 << thread;
    }

    /// Takes `thread` out; whether it was in.
    pub fn remove(&mut self, thread: u32) -> bool {
        let was = self.contains(thread);
        self.0 &= !(1 << thread);
        was
    }

    /// Whether `thread` waits.
    pub fn contains(&self, thread: u32) -> bool {
        thread < MAX_THREADS as u32 && self.0 & (1 << thread) != 0
    }

    /// How many wait (ARINC WAITING_PROCESSES).
    pub fn len(&self) -> u32 {
        self.0.count_ones()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The waiters, lowest index first.
    pub fn iter(&self) -> impl Iterator<Item = u32> + use<> {
        let mut rest = self.0;
        core::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let t = rest.trailing_zeros();
            rest &= rest - 1;
            Some(t)
        })
    }

    /// Takes every waiter out and returns them.
    pub fn take_all(&mut self) -> WaiterSet {
        core::mem::take(self)
    }

    /// The waiter `discipline` serves next, taken out of the set; `key`
    /// gives each waiter's [`WaitKey`].
    pub fn take_next(&mut self, discipline: Discipline, key: impl Fn(u32) -> WaitKey) -> Option<u32> {
        let next = self.iter().min_by_key(|&t| {
            let k = key(t);
            match discipline {
                Discipline::Fifo => (0, k.ticket),
                // Larger priority first: order by its complement.
                Discipline::Priority => (u32::MAX - k.priority, k.ticket),
            }
        })?;
        self.remove(next);
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    #[test]
    fn fifo_serves_the_longest_waiting_whatever_its_priority() {
        let keys = [(9, 3), (200, 2), (1, 1)];
        let mut s = WaiterSet::EMPTY;
        for t in 0..3 {
            s.insert(t);
        }
        let key = |t: u32| WaitKey { priority: keys[t as usize].0, ticket: keys[t as usize].1 };
        assert_eq!(s.take_next(Discipline::Fifo, key), Some(2));
        assert_eq!(s.take_next(Discipline::Fifo, key), Some(1));
        assert_eq!(s.take_next(Discipline::Fifo, key), Some(0));
        assert_eq!(s.take_next(Discipline::Fifo, key), None);
    }

    #[test]
    fn priority_serves_the_most_urgent_then_the_longest_waiting() {
        let keys = [(5, 4), (7, 9), (7, 2), (1, 0)];
        let mut s = WaiterSet::EMPTY;
        for t in 0..4 {
            s.insert(t);
        }
        let key = |t: u32| WaitKey { priority: keys[t as usize].0, ticket: keys[t as usize].1 };
        let order: Vec<u32> = core::iter::from_fn(|| s.take_next(Discipline::Priority, key)).collect();
        assert_eq!(order, [2, 1, 0, 3]);
    }

    #[test]
    fn the_set_counts_and_removes() {
        let mut s = WaiterSet::EMPTY;
        s.insert(63);
        s.insert(0);
        assert_eq!(s.len(), 2);
        assert!(s.remove(63));
        assert!(!s.remove(63));
        assert!(!s.contains(64));
        assert_eq!(s.take_all().iter().collect::<Vec<_>>(), [0]);
        assert!(s.is_empty());
    }

    proptest! {
        /// Against a model: sort the waiters by the discipline's order.
        #[test]
        fn take_next_is_the_sorted_order(
            waiters in proptest::collection::btree_map(0u32..64, (0u32..4, 0u64..1000), 0..20),
            priority in any::<bool>(),
        ) {
            let discipline = if priority { Discipline::Priority } else { Discipline::Fifo };
            // Tickets are unique in the SDK (one counter): make them so.
            let keys: std::collections::BTreeMap<u32, WaitKey> = waiters
                .iter()
                .map(|(&t, &(p, tk))| (t, WaitKey { priority: p, ticket: tk * 64 + u64::from(t) }))
                .collect();
            let mut set = WaiterSet::EMPTY;
            for &t in keys.keys() {
                set.insert(t);
            }
            let mut model: Vec<(u32, WaitKey)> = keys.iter().map(|(&t, &k)| (t, k)).collect();
            model.sort_by_key(|(_, k)| match discipline {
                Discipline::Fifo => (0, k.ticket),
                Discipline::Priority => (u32::MAX - k.priority, k.ticket),
            });
            let got: Vec<u32> = core::iter::from_fn(|| set.take_next(discipline, |t| keys[&t])).collect();
            let want: Vec<u32> = model.iter().map(|(t, _)| *t).collect();
            prop_assert_eq!(got, want);
            prop_assert!(set.is_empty());
        }
    }
}
