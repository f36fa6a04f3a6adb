//! Core frame tables: one core's view of a schedule, derived from the global
//! windows and the thread placement.
//!
//! Follows ARINC 653 Part 1, Partition Scheduling, extended for multicore as
//! CAST-32A asks: during a window owned by partition P, core c may run only
//! P's threads placed on c, and no other partition runs anywhere. Every core's
//! table has one entry per global window (plus one for trailing spare time),
//! with the same start and end offsets on every core. Idle stretches are
//! deliberately not merged: identical entry lists make "every core switches at
//! the same instants" true by construction rather than by argument.

use bulkhead_time::Nanos;

use crate::MAX_TABLE_ENTRIES;
use crate::ids::{CoreId, PartitionId, ScheduleId, ThreadSet};

/// One slice `[start, end)` of the major frame, as seen by one core.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CoreFrameEntry {
    /// Index of the global window this entry mirrors; `None` for the spare
    /// time between the last window and the end of the major frame.
    pub window: Option<u16>,
    /// The partition owning the window module-wide (`None` = spare time).
    pub window_owner: Option<PartitionId>,
    /// The owner's threads placed on this core: the only threads this core
    /// may run in the entry. Empty means the core idles.
    pub threads: ThreadSet,
    /// Offset from the start of the major frame.
    pub start: Nanos,
    /// Offset from the start of the major frame; `end > start`.
    pub end: Nanos,
}

impl CoreFrameEntry {
    pub fn is_idle(&self) -> bool {
        self.threads.is_empty()
    }
    pub fn duration(&self) -> Nanos {
        Nanos(self.end.0 - self.start.0)
    }
}

const BLANK: CoreFrameEntry =
    CoreFrameEntry { window: None, window_owner: None, threads: ThreadSet::EMPTY, start: Nanos(0), end: Nanos(0) };

/// One core's entries for one schedule, covering `[0, major_frame)` exactly.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CoreFrameTable {
    core: CoreId,
    schedule: ScheduleId,
    major_frame: Nanos,
    entries: [CoreFrameEntry; MAX_TABLE_ENTRIES],
    len: u8,
}

impl CoreFrameTable {
    pub(crate) const fn new(core: CoreId, schedule: ScheduleId, major_frame: Nanos) -> Self {
        CoreFrameTable { core, schedule, major_frame, entries: [BLANK; MAX_TABLE_ENTRIES], len: 0 }
    }

    /// Empty the table in place for `schedule` on `core`, as `new` would make
    /// it (blank entries too, so equal tables compare equal).
    pub(crate) fn reset(&mut self, core: CoreId, schedule: ScheduleId, major_frame: Nanos) {
        self.core = core;
        self.schedule = schedule;
        self.major_frame = major_frame;
        self.entries.fill(BLANK);
        self.len = 0;
    }

    /// Callers guarantee capacity: `ModulePlan` validated the window count.
    pub(crate) fn push(&mut self, entry: CoreFrameEntry) {
        self.entries[usize::from(self.len)] = entry;
        self.len += 1;
    }

    pub fn core(&self) -> CoreId {
        self.core
    }
    pub fn schedule(&self) -> ScheduleId {
        self.schedule
    }
    pub fn major_frame(&self) -> Nanos {
        self.major_frame
    }
    pub fn entries(&self) -> &[CoreFrameEntry] {
        &self.entries[..usize::from(self.len)]
    }

    /// The entry containing `offset` (`offset < major_frame`). Binary search:
    /// used only on the missed-boundary path, never on the normal switch.
    pub(crate) fn entry_at(&self, offset: Nanos) -> usize {
        let idx = self.entries().partition_point(|e| e.end <= offset);
        idx.min(usize::from(self.len).saturating_sub(1))
    }
}
