//! Small identifiers and fixed-size sets for the scheduler: partitions,
//! threads, cores, schedules.
//!
//! Follows ARINC 653 Part 1, Partition Management: a partition is named by a
//! small stable identifier given by the tool (never a UUID, see docs/DESIGN.md#vocabulary),
//! and a module here has at most [`MAX_CORES`] cores (BCM2711: four
//! Cortex-A72). Sets are bitmasks so they are `Copy` and need no heap.

use core::fmt;

use crate::{MAX_CORES, MAX_THREADS};

/// A partition, as numbered by the tool.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct PartitionId(pub u8);

/// A thread (a vCPU of a partition): its index in the module's thread list
/// given to [`crate::ModulePlan::new`]. Module-wide, so it stays the same when
/// the thread migrates between cores.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ThreadId(pub u16);

/// A physical core of the module, `0..core_count`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct CoreId(pub u8);

/// A schedule: its index in the module's schedule list.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ScheduleId(pub u8);

/// A set of cores, e.g. a thread's affinity or the cores that need a
/// reschedule SGI.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CoreSet(u8);

impl CoreSet {
    pub const EMPTY: CoreSet = CoreSet(0);

    /// The set with bit `i` meaning core `i`.
    pub const fn from_bits(bits: u8) -> CoreSet {
        CoreSet(bits)
    }
    pub const fn bits(self) -> u8 {
        self.0
    }
    /// Cores `0..n`, i.e. every core of an `n`-core module.
    pub const fn first_n(n: u8) -> CoreSet {
        if n >= 8 { CoreSet(u8::MAX) } else { CoreSet((1u8 << n) - 1) }
    }
    pub const fn single(core: CoreId) -> CoreSet {
        match 1u8.checked_shl(core.0 as u32) {
            Some(b) => CoreSet(b),
            None => CoreSet(0),
        }
    }
    pub const fn with(self, core: CoreId) -> CoreSet {
        CoreSet(self.0 | CoreSet::single(core).0)
    }
    pub const fn contains(self, core: CoreId) -> bool {
        core.0 < 8 && self.0 & (1 << core.0) != 0
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }
    pub const fn is_subset_of(self, other: CoreSet) -> bool {
        self.0 & !other.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = CoreId> {
        (0..8u8).filter(move |&i| self.0 & (1 << i) != 0).map(CoreId)
    }
}

impl fmt::Debug for CoreSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(|c| c.0)).finish()
    }
}

impl fmt::Display for CoreSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, c) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", c.0)?;
        }
        f.write_str("}")
    }
}

/// A set of threads; [`MAX_THREADS`] is 64 so one `u64` holds it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ThreadSet(u64);

const _: () = assert!(MAX_THREADS <= 64 && MAX_CORES <= 8);

impl ThreadSet {
    pub const EMPTY: ThreadSet = ThreadSet(0);

    pub const fn bits(self) -> u64 {
        self.0
    }
    pub const fn contains(self, t: ThreadId) -> bool {
        t.0 < 64 && self.0 & (1 << t.0) != 0
    }
    pub const fn with(self, t: ThreadId) -> ThreadSet {
        if t.0 < 64 { ThreadSet(self.0 | 1 << t.0) } else { self }
    }
    pub const fn without(self, t: ThreadId) -> ThreadSet {
        if t.0 < 64 { ThreadSet(self.0 & !(1 << t.0)) } else { self }
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }
    /// Ascending thread ids; cost is the number of members, not 64.
    pub fn iter(self) -> impl Iterator<Item = ThreadId> {
        let mut rest = self.0;
        core::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let i = rest.trailing_zeros();
            rest &= rest - 1;
            Some(ThreadId(i as u16))
        })
    }
}

impl fmt::Debug for ThreadSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(|t| t.0)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_set_membership() {
        let s = CoreSet::single(CoreId(1)).with(CoreId(3));
        assert!(s.contains(CoreId(1)) && s.contains(CoreId(3)) && !s.contains(CoreId(0)));
        assert_eq!(s.len(), 2);
        assert_eq!(s.iter().collect::<std::vec::Vec<_>>(), [CoreId(1), CoreId(3)]);
        assert!(s.is_subset_of(CoreSet::first_n(4)));
        assert!(!CoreSet::single(CoreId(4)).is_subset_of(CoreSet::first_n(4)));
        assert_eq!(CoreSet::single(CoreId(9)), CoreSet::EMPTY);
        assert!(!CoreSet::from_bits(0xff).contains(CoreId(200)));
        assert!(!CoreSet::from_bits(0xff).contains(CoreId(8)), "core 8 is past the set, not a panic");
        assert_eq!(s.with(CoreId(1)), s, "adding a member again keeps it");
        assert_eq!(CoreSet::first_n(4).bits(), 0b1111);
    }

    #[test]
    fn thread_set_iterates_in_id_order() {
        let s = ThreadSet::EMPTY.with(ThreadId(63)).with(ThreadId(0)).with(ThreadId(5));
        let mut it = s.iter();
        assert_eq!(it.next(), Some(ThreadId(0)));
        assert_eq!(it.next(), Some(ThreadId(5)));
        assert_eq!(it.next(), Some(ThreadId(63)));
        assert_eq!(it.next(), None);
        assert_eq!(ThreadSet::EMPTY.with(ThreadId(64)), ThreadSet::EMPTY);
    }

    #[test]
    fn thread_set_membership() {
        let s = ThreadSet::EMPTY.with(ThreadId(3)).with(ThreadId(40));
        assert!(s.contains(ThreadId(3)) && s.contains(ThreadId(40)) && !s.contains(ThreadId(4)));
        assert_eq!(s.with(ThreadId(3)), s, "adding a member again keeps it");
        let rest = s.without(ThreadId(3));
        assert!(!rest.contains(ThreadId(3)) && rest.contains(ThreadId(40)));
        assert_eq!(rest.len(), 1);
        assert_eq!(s.without(ThreadId(64)), s);
    }

    #[test]
    fn thread_set_counts_its_members() {
        let s = ThreadSet::EMPTY.with(ThreadId(0)).with(ThreadId(5)).with(ThreadId(63));
        assert_eq!(s.bits(), 1 | 1 << 5 | 1 << 63);
        assert_eq!(s.len(), 3);
        assert!(!s.is_empty());
        assert!(ThreadSet::EMPTY.is_empty());
        assert_eq!(ThreadSet::EMPTY.len(), 0);
        assert_eq!(ThreadSet::EMPTY.bits(), 0);
        assert!(!ThreadSet::EMPTY.with(ThreadId(63)).contains(ThreadId(64)), "thread 64 is past the set, not a panic");
    }
}
