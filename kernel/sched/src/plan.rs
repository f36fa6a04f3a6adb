//! The module plan: validated schedules and thread placement, and the
//! derivation of per-core frame tables from them.
//!
//! Follows ARINC 653 Part 1, Partition Scheduling (a major frame of windows,
//! each owned by one partition or spare) with CAST-32A's multicore rule, and
//! scheduling rule 4 (docs/DESIGN.md#scheduling-rule-4): inconsistent input (a thread whose affinity
//! names no core of the module, windows that do not fit the major frame, a
//! period or time capacity of 0, a time capacity longer than the period) is
//! refused here with a typed error naming the object and the numbers, so the
//! tool rejects it at build time and the kernel at boot; nothing is
//! discovered at run time.
//!
//! Placement: each thread runs on exactly one core at a time (a vCPU cannot be
//! in two places), chosen from its affinity set. Threads with the narrowest
//! affinity are placed first, each on the core of its affinity holding the
//! fewest threads of its own partition (lowest core on a tie), so a
//! partition's threads spread across cores and run in parallel when they can.
//! Threads of one partition placed on one core share it as ARINC 653
//! processes do: by priority, FIFO among equals (see `scheduler.rs`).

use core::fmt;

use bulkhead_time::Nanos;

use crate::ids::{CoreId, CoreSet, PartitionId, ScheduleId, ThreadId, ThreadSet};
use crate::table::{CoreFrameEntry, CoreFrameTable};
use crate::{MAX_CORES, MAX_SCHEDULES, MAX_THREADS, MAX_WINDOWS};

/// A slice of the major frame owned by a partition, or spare time (`None`).
/// Offsets are implied: windows follow each other from offset 0.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Window {
    pub owner: Option<PartitionId>,
    pub duration: Nanos,
}

/// A major frame and its windows, in order. Windows may sum to less than the
/// major frame; the rest is spare time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Schedule<'a> {
    pub major_frame: Nanos,
    pub windows: &'a [Window],
}

/// A thread as the configuration declares it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ThreadSpec {
    pub partition: PartitionId,
    /// Cores the thread may be placed on.
    pub affinity: CoreSet,
    /// Larger is more urgent, as in ARINC 653 process priorities. The base
    /// priority: SET_PRIORITY changes a thread's current priority until it
    /// is started again.
    pub priority: u8,
    /// ARINC 653 process period: a periodic thread is released at
    /// `r0 + k * period` (see `CoreScheduler::periodic_wait`); `None` is
    /// aperiodic. Never `Some(0)`.
    pub period: Option<Nanos>,
    /// ARINC 653 time capacity: the deadline is the release point plus this;
    /// `None` is infinite (no deadline). Never `Some(0)`, never longer than
    /// the period.
    pub time_capacity: Option<Nanos>,
}

/// Why a plan (or a change to it) is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PlanError {
    CoreCount {
        cores: u8,
        max: u8,
    },
    NoSchedules,
    TooManySchedules {
        schedules: usize,
        max: usize,
    },
    ZeroMajorFrame {
        schedule: ScheduleId,
    },
    TooManyWindows {
        schedule: ScheduleId,
        windows: usize,
        max: usize,
    },
    ZeroWindow {
        schedule: ScheduleId,
        window: u16,
    },
    /// Window `window` is the first to end past the major frame.
    WindowsExceedMajorFrame {
        schedule: ScheduleId,
        window: u16,
        ends_at: Nanos,
        major_frame: Nanos,
    },
    TooManyThreads {
        threads: usize,
        max: usize,
    },
    EmptyAffinity {
        thread: ThreadId,
    },
    AffinityOutsideModule {
        thread: ThreadId,
        affinity: CoreSet,
        cores: u8,
    },
    ZeroPeriod {
        thread: ThreadId,
    },
    ZeroTimeCapacity {
        thread: ThreadId,
    },
    /// A deadline past the next release point would overlap two releases.
    TimeCapacityExceedsPeriod {
        thread: ThreadId,
        time_capacity: Nanos,
        period: Nanos,
    },
    UnknownSchedule {
        schedule: ScheduleId,
        schedules: usize,
    },
    UnknownThread {
        thread: ThreadId,
        threads: usize,
    },
    CoreOutsideModule {
        core: CoreId,
        cores: u8,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PlanError::*;
        match *self {
            CoreCount { cores, max } => {
                write!(f, "module declares {cores} cores; it must have 1 to {max}")
            }
            NoSchedules => write!(f, "module declares no schedule; declare at least one"),
            TooManySchedules { schedules, max } => {
                write!(f, "module declares {schedules} schedules; at most {max} are supported")
            }
            ZeroMajorFrame { schedule } => {
                write!(f, "schedule {} has a major frame of 0 ns; give it a positive length", schedule.0)
            }
            TooManyWindows { schedule, windows, max } => write!(
                f,
                "schedule {} has {windows} windows; at most {max} are supported (merge adjacent windows of one partition)",
                schedule.0
            ),
            ZeroWindow { schedule, window } => write!(
                f,
                "schedule {} window {window} lasts 0 ns; remove it or give it a positive duration",
                schedule.0
            ),
            WindowsExceedMajorFrame { schedule, window, ends_at, major_frame } => write!(
                f,
                "schedule {} window {window} ends at {} ns, past the major frame of {} ns; shorten the windows or lengthen the major frame",
                schedule.0, ends_at.0, major_frame.0
            ),
            TooManyThreads { threads, max } => {
                write!(f, "module declares {threads} threads; at most {max} are supported")
            }
            EmptyAffinity { thread } => {
                write!(f, "thread {} has an empty core affinity; name at least one core", thread.0)
            }
            AffinityOutsideModule { thread, affinity, cores } => write!(
                f,
                "thread {} has affinity {affinity}, but the module has cores 0..{}; use cores below {cores}",
                thread.0,
                cores.saturating_sub(1)
            ),
            ZeroPeriod { thread } => {
                write!(f, "thread {} has a period of 0 ns; give it a positive period or none", thread.0)
            }
            ZeroTimeCapacity { thread } => {
                write!(f, "thread {} has a time capacity of 0 ns; give it a positive one or none", thread.0)
            }
            TimeCapacityExceedsPeriod { thread, time_capacity, period } => write!(
                f,
                "thread {} has a time capacity of {} ns, longer than its period of {} ns; shorten the capacity",
                thread.0, time_capacity.0, period.0
            ),
            UnknownSchedule { schedule, schedules } => {
                write!(f, "schedule {} does not exist (module has {schedules})", schedule.0)
            }
            UnknownThread { thread, threads } => {
                write!(f, "thread {} does not exist (module has {threads})", thread.0)
            }
            CoreOutsideModule { core, cores } => {
                write!(f, "core {} is outside the module (cores 0..{})", core.0, cores.saturating_sub(1))
            }
        }
    }
}

/// What a migration changed. The kernel moves the thread's state from `from`
/// to `to` (see `CoreScheduler::release_thread` / `adopt_thread`) and kicks
/// [`Migration::reschedule_cores`] with the reschedule SGI.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Migration {
    pub thread: ThreadId,
    pub from: CoreId,
    pub to: CoreId,
}

impl Migration {
    pub fn moved(&self) -> bool {
        self.from != self.to
    }
    /// Cores whose tables changed: both ends of a move, none otherwise.
    pub fn reschedule_cores(&self) -> CoreSet {
        if self.moved() { CoreSet::single(self.from).with(self.to) } else { CoreSet::EMPTY }
    }
}

/// Validated module description plus the current thread placement.
///
/// Holds the configuration by reference (`'a` is `'static` in the kernel,
/// the parsed TOML's lifetime in the tool). Only the placement is mutable,
/// through [`ModulePlan::migrate`].
#[derive(Clone, Debug)]
pub struct ModulePlan<'a> {
    core_count: u8,
    threads: &'a [ThreadSpec],
    schedules: &'a [Schedule<'a>],
    affinity: [CoreSet; MAX_THREADS],
    placement: [CoreId; MAX_THREADS],
}

impl<'a> ModulePlan<'a> {
    /// Validate the module and place every thread. Thread `i` of `threads`
    /// is `ThreadId(i)`; schedule `i` of `schedules` is `ScheduleId(i)`.
    pub fn new(core_count: u8, threads: &'a [ThreadSpec], schedules: &'a [Schedule<'a>]) -> Result<Self, PlanError> {
        if core_count == 0 || usize::from(core_count) > MAX_CORES {
            return Err(PlanError::CoreCount { cores: core_count, max: MAX_CORES as u8 });
        }
        if schedules.is_empty() {
            return Err(PlanError::NoSchedules);
        }
        if schedules.len() > MAX_SCHEDULES {
            return Err(PlanError::TooManySchedules { schedules: schedules.len(), max: MAX_SCHEDULES });
        }
        for (i, s) in schedules.iter().enumerate() {
            validate_schedule(ScheduleId(i as u8), s)?;
        }
        if threads.len() > MAX_THREADS {
            return Err(PlanError::TooManyThreads { threads: threads.len(), max: MAX_THREADS });
        }
        let module = CoreSet::first_n(core_count);
        for (i, t) in threads.iter().enumerate() {
            let thread = ThreadId(i as u16);
            if t.affinity.is_empty() {
                return Err(PlanError::EmptyAffinity { thread });
            }
            if !t.affinity.is_subset_of(module) {
                return Err(PlanError::AffinityOutsideModule { thread, affinity: t.affinity, cores: core_count });
            }
            if t.period == Some(Nanos(0)) {
                return Err(PlanError::ZeroPeriod { thread });
            }
            if t.time_capacity == Some(Nanos(0)) {
                return Err(PlanError::ZeroTimeCapacity { thread });
            }
            if let (Some(time_capacity), Some(period)) = (t.time_capacity, t.period)
                && time_capacity > period
            {
                return Err(PlanError::TimeCapacityExceedsPeriod { thread, time_capacity, period });
            }
        }
        // No count of threads against cores: threads of one partition on one
        // core share it by priority (scheduling rule 4).

        let mut plan = ModulePlan {
            core_count,
            threads,
            schedules,
            affinity: [CoreSet::EMPTY; MAX_THREADS],
            placement: [CoreId(0); MAX_THREADS],
        };
        let mut placed = ThreadSet::EMPTY;
        for width in 1..=MAX_CORES as u32 {
            for (i, t) in threads.iter().enumerate() {
                if t.affinity.len() == width {
                    let id = ThreadId(i as u16);
                    plan.affinity[i] = t.affinity;
                    plan.placement[i] = plan.choose_core(id, t.affinity, None, placed);
                    placed = placed.with(id);
                }
            }
        }
        Ok(plan)
    }

    pub fn core_count(&self) -> u8 {
        self.core_count
    }
    pub fn cores(&self) -> impl Iterator<Item = CoreId> {
        (0..self.core_count).map(CoreId)
    }
    pub fn threads(&self) -> &'a [ThreadSpec] {
        self.threads
    }
    pub fn schedules(&self) -> &'a [Schedule<'a>] {
        self.schedules
    }
    pub fn schedule(&self, id: ScheduleId) -> Result<&'a Schedule<'a>, PlanError> {
        self.schedules
            .get(usize::from(id.0))
            .ok_or(PlanError::UnknownSchedule { schedule: id, schedules: self.schedules.len() })
    }
    pub fn thread(&self, id: ThreadId) -> Result<&'a ThreadSpec, PlanError> {
        self.threads.get(usize::from(id.0)).ok_or(PlanError::UnknownThread { thread: id, threads: self.threads.len() })
    }
    /// The core the thread is placed on now.
    pub fn thread_core(&self, id: ThreadId) -> Result<CoreId, PlanError> {
        self.thread(id)?;
        Ok(self.placement[usize::from(id.0)])
    }
    /// The thread's affinity now (the configured one until a migration).
    pub fn thread_affinity(&self, id: ThreadId) -> Result<CoreSet, PlanError> {
        self.thread(id)?;
        Ok(self.affinity[usize::from(id.0)])
    }
    /// Threads placed on `core`.
    pub fn threads_on(&self, core: CoreId) -> ThreadSet {
        let mut set = ThreadSet::EMPTY;
        for i in 0..self.threads.len() {
            if self.placement[i] == core {
                set = set.with(ThreadId(i as u16));
            }
        }
        set
    }

    /// The frame table core `core` follows while `schedule` is active: one
    /// entry per window of the schedule, then one spare entry if the windows
    /// end before the major frame. Entry offsets are the same on every core;
    /// only `threads` differs. This is the API `bulkhead show` prints.
    pub fn core_frame_table(&self, schedule: ScheduleId, core: CoreId) -> Result<CoreFrameTable, PlanError> {
        let mut table = CoreFrameTable::new(core, schedule, Nanos(0));
        self.fill_core_frame_table(schedule, core, &mut table)?;
        Ok(table)
    }

    /// [`ModulePlan::core_frame_table`] written into `table` in place (a
    /// `CoreScheduler` prepares one per schedule without a copy each).
    /// On error `table` is unchanged.
    pub(crate) fn fill_core_frame_table(
        &self,
        schedule: ScheduleId,
        core: CoreId,
        table: &mut CoreFrameTable,
    ) -> Result<(), PlanError> {
        let s = self.schedule(schedule)?;
        if core.0 >= self.core_count {
            return Err(PlanError::CoreOutsideModule { core, cores: self.core_count });
        }
        let on_core = self.threads_on(core);
        table.reset(core, schedule, s.major_frame);
        let mut at = Nanos(0);
        for (i, w) in s.windows.iter().enumerate() {
            // Cannot overflow: validation bounded every end by the major frame.
            let end = Nanos(at.0 + w.duration.0);
            table.push(CoreFrameEntry {
                window: Some(i as u16),
                window_owner: w.owner,
                threads: w.owner.map_or(ThreadSet::EMPTY, |p| self.partition_threads(p, on_core)),
                start: at,
                end,
            });
            at = end;
        }
        if at < s.major_frame {
            table.push(CoreFrameEntry {
                window: None,
                window_owner: None,
                threads: ThreadSet::EMPTY,
                start: at,
                end: s.major_frame,
            });
        }
        Ok(())
    }

    /// Give `thread` a new affinity and re-place it. Only the thread's old
    /// and new core tables change; the returned [`Migration`] says which.
    /// A thread already on a core of the new affinity stays put unless
    /// another core of that affinity holds fewer of its partition's threads.
    pub fn migrate(&mut self, thread: ThreadId, affinity: CoreSet) -> Result<Migration, PlanError> {
        self.thread(thread)?;
        if affinity.is_empty() {
            return Err(PlanError::EmptyAffinity { thread });
        }
        if !affinity.is_subset_of(CoreSet::first_n(self.core_count)) {
            return Err(PlanError::AffinityOutsideModule { thread, affinity, cores: self.core_count });
        }
        let i = usize::from(thread.0);
        let from = self.placement[i];
        let mut others = ThreadSet::EMPTY;
        for j in 0..self.threads.len() {
            if j != i {
                others = others.with(ThreadId(j as u16));
            }
        }
        let to = self.choose_core(thread, affinity, Some(from), others);
        self.affinity[i] = affinity;
        self.placement[i] = to;
        Ok(Migration { thread, from, to })
    }

    /// Undo `m`, which [`ModulePlan::migrate`] returned and nothing has
    /// changed since: the thread back on `m.from` with `affinity`, its
    /// affinity before. For the kernel, when moving the thread's state
    /// between the two cores failed after the plan had changed.
    pub fn undo_migration(&mut self, m: Migration, affinity: CoreSet) -> Result<(), PlanError> {
        self.thread(m.thread)?;
        let i = usize::from(m.thread.0);
        self.affinity[i] = affinity;
        self.placement[i] = m.from;
        Ok(())
    }

    fn partition_threads(&self, partition: PartitionId, among: ThreadSet) -> ThreadSet {
        let mut set = ThreadSet::EMPTY;
        for t in among.iter() {
            if self.threads[usize::from(t.0)].partition == partition {
                set = set.with(t);
            }
        }
        set
    }

    /// The core in `affinity` with the fewest threads of `thread`'s partition
    /// among `placed`; ties go to `prefer` (avoid a pointless move), then to
    /// the lowest core.
    fn choose_core(&self, thread: ThreadId, affinity: CoreSet, prefer: Option<CoreId>, placed: ThreadSet) -> CoreId {
        let partition = self.threads[usize::from(thread.0)].partition;
        let load = |c: CoreId| {
            placed
                .iter()
                .filter(|t| {
                    self.placement[usize::from(t.0)] == c && self.threads[usize::from(t.0)].partition == partition
                })
                .count()
        };
        let mut best: Option<(usize, bool, CoreId)> = None;
        for c in affinity.iter() {
            let key = (load(c), prefer != Some(c), c);
            if best.is_none_or(|b| key < b) {
                best = Some(key);
            }
        }
        // affinity was checked non-empty by every caller
        best.map_or(CoreId(0), |b| b.2)
    }
}

fn validate_schedule(id: ScheduleId, s: &Schedule<'_>) -> Result<(), PlanError> {
    if s.major_frame.0 == 0 {
        return Err(PlanError::ZeroMajorFrame { schedule: id });
    }
    if s.windows.len() > MAX_WINDOWS {
        return Err(PlanError::TooManyWindows { schedule: id, windows: s.windows.len(), max: MAX_WINDOWS });
    }
    let mut end = Nanos(0);
    for (i, w) in s.windows.iter().enumerate() {
        if w.duration.0 == 0 {
            return Err(PlanError::ZeroWindow { schedule: id, window: i as u16 });
        }
        // Past 2^64 ns ends after any major frame (saturating to a frame
        // of u64::MAX would accept it).
        let past = end.checked_add(w.duration);
        end = past.unwrap_or(Nanos(u64::MAX));
        if past.is_none() || end > s.major_frame {
            return Err(PlanError::WindowsExceedMajorFrame {
                schedule: id,
                window: i as u16,
                ends_at: end,
                major_frame: s.major_frame,
            });
        }
    }
    Ok(())
}
