//! The health monitor's log as pure code (ARINC 653 Part 1, Health
//! Monitoring: the module's error log), host-tested. The kernel
//! (`kernel/src/module/health.rs`) holds one [`Log`] under a spin lock of
//! its own, pushes a record for every health event, and hands the oldest
//! unread one to a system partition that asks (`HealthLog`,
//! `bulkhead-abi`).
//!
//! The log is bounded: it keeps the last `N` events. An event that comes
//! when `N` are unread overwrites the oldest unread one, and the loss is
//! counted, never silent: the next read says how many were overwritten
//! before the record it returns. There is one read cursor for the module
//! (one reader is expected: the system partition that watches health).
#![no_std]
#![forbid(unsafe_code)]

/// A bounded ring of the last `N` records, oldest first, with one read
/// cursor.
#[derive(Clone, Debug)]
pub struct Log<T, const N: usize> {
    slots: [T; N],
    /// Index of the oldest unread record.
    oldest: usize,
    /// Records pushed and not yet read (at most `N`).
    unread: usize,
    /// Records overwritten unread since the last read: all of them came
    /// before the oldest unread one.
    dropped: u64,
}

/// One record read from a [`Log`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Read<T> {
    /// The oldest unread record.
    pub record: T,
    /// Records still unread after this one.
    pub unread: usize,
    /// Records lost just before this one: overwritten unread since the
    /// previous read.
    pub dropped: u64,
}

impl<T: Copy, const N: usize> Log<T, N> {
    /// An empty log; `fill` is what the slots hold until written.
    pub const fn new(fill: T) -> Self {
        assert!(N > 0, "a log holds at least one record");
        Log { slots: [fill; N], oldest: 0, unread: 0, dropped: 0 }
    }

    /// Appends `record`. If `N` records are unread, the oldest is
    /// overwritten and counted as dropped; returns whether one was.
    pub fn push(&mut self, record: T) -> bool {
        let full = self.unread == N;
        let at = (self.oldest + self.unread) % N;
        self.slots[at] = record;
        if full {
            self.oldest = (self.oldest + 1) % N;
            self.dropped = self.dropped.saturating_add(1);
        } else {
            self.unread += 1;
        }
        full
    }

    /// Takes the oldest unread record, with how many remain unread and how
    /// many were lost just before it; `None` if none is unread.
    pub fn read(&mut self) -> Option<Read<T>> {
        if self.unread == 0 {
            return None;
        }
        let record = self.slots[self.oldest];
        self.oldest = (self.oldest + 1) % N;
        self.unread -= 1;
        Some(Read { record, unread: self.unread, dropped: core::mem::take(&mut self.dropped) })
    }

    /// Records pushed and not yet read.
    pub fn unread(&self) -> usize {
        self.unread
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::VecDeque;
    use std::vec::Vec;

    #[test]
    fn records_come_out_in_order_then_none() {
        let mut log = Log::<u32, 4>::new(0);
        assert_eq!(log.read(), None);
        for r in 1..=3 {
            assert!(!log.push(r));
        }
        assert_eq!(log.read(), Some(Read { record: 1, unread: 2, dropped: 0 }));
        assert_eq!(log.read(), Some(Read { record: 2, unread: 1, dropped: 0 }));
        assert_eq!(log.read(), Some(Read { record: 3, unread: 0, dropped: 0 }));
        assert_eq!(log.read(), None);
    }

    #[test]
    fn a_full_log_overwrites_the_oldest_and_says_so_once() {
        let mut log = Log::<u32, 4>::new(0);
        for r in 1..=4 {
            assert!(!log.push(r));
        }
        assert!(log.push(5), "the fifth overwrites record 1");
        assert!(log.push(6), "the sixth overwrites record 2");
        assert_eq!(log.unread(), 4);
        assert_eq!(log.read(), Some(Read { record: 3, unread: 3, dropped: 2 }));
        assert_eq!(log.read(), Some(Read { record: 4, unread: 2, dropped: 0 }), "the loss is told once");
    }

    /// Against a model: a deque of (record, lost before it) trimmed to N.
    #[test]
    fn it_behaves_as_a_bounded_queue_that_counts_its_losses() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut log = Log::<u64, 5>::new(0);
        let mut model: VecDeque<u64> = VecDeque::new();
        let mut lost = 0u64;
        let mut reads = Vec::new();
        for step in 0..10_000u64 {
            if next() % 3 == 0 {
                let got = log.read();
                let want = model.pop_front().map(|record| Read {
                    record,
                    unread: model.len(),
                    dropped: core::mem::take(&mut lost),
                });
                assert_eq!(got, want, "step {step}");
                reads.push(got);
            } else {
                let overwrote = model.len() == 5;
                if overwrote {
                    model.pop_front();
                    lost += 1;
                }
                model.push_back(step);
                assert_eq!(log.push(step), overwrote, "step {step}");
            }
        }
        assert!(reads.iter().any(|r| r.is_some_and(|r| r.dropped > 0)), "the test reached a loss");
    }
}
