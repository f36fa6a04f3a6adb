//! The per-core scheduler: which thread a core runs now, and until when.
//!
//! Follows ARINC 653 Part 1, Partition Scheduling (fixed windows in a
//! repeating major frame) and Process Scheduling (within a partition the
//! highest-priority ready process runs; equal priorities are served in the
//! order they became ready; states Ready / Waiting / Suspended / Dormant,
//! here `Stopped`), with CAST-32A's multicore rule that one partition owns
//! the whole module during a window.
//!
//! Ownership: a [`CoreScheduler`] holds everything its core needs on the
//! switch path (its own frame tables, cursor and the states of the threads
//! placed on it), so the kernel wraps each in that core's lock and never
//! takes the global lock to switch. Its frame tables are prepared at load
//! time, one for every schedule of the plan; a schedule switch only chooses
//! another one (by schedule index), so the boundary that changes schedule
//! builds and copies no table and costs no more than any other. The global
//! [`ModulePlan`] is read again only to rebuild those tables on migration
//! (in the migrating system call, never at a boundary).
//!
//! Time: every boundary is `Epoch::boundary(n, offset)` from bulkhead-time,
//! computed from the frame index, never accumulated, so all cores compute the
//! same instants and nothing drifts. A core that finds itself past more than
//! one boundary (debugger stop, long masked interrupts) recomputes its window
//! from `(now - epoch) mod major_frame` and reports it; it never panics.
//!
//! Processes (ARINC 653 Part 1, Process Management). Several threads of one
//! partition may be placed on one core; they share it by current priority,
//! FIFO among equals, as the processes of a partition do.
//!
//! - *Priority.* A thread keeps its configured base priority and a current
//!   one; [`CoreScheduler::set_priority`] changes the current priority and
//!   queues a Ready thread as the newest of its new priority;
//!   [`CoreScheduler::start`] restores the base priority.
//! - *Preemption lock.* One lock level per core (0 to
//!   [`crate::MAX_PREEMPTION_LOCK_LEVEL`]), held by one thread: while it is
//!   above 0 and the holder is Ready and in the current entry, the holder runs
//!   even if a higher-priority thread is Ready. The scheduler refuses no wait
//!   to a holder; the kernel refuses waits while the level is above 0
//!   (INVALID_MODE), reading [`CoreScheduler::preemption_level`]. Stopping,
//!   starting or migrating the holder clears the lock.
//! - *Release points.* A thread's first release point `r0` is fixed when it
//!   is started (and, for threads Ready at load, from the epoch): the start
//!   of the partition's window the core is in at `now`, if it is in one,
//!   else the start of the partition's next window on the core (following a
//!   requested switch as `periodic_wait` does), or `now` if the schedule
//!   gives the partition no window. The thread is Ready from `now`: before
//!   that next window it cannot run anyway, and inside a window it runs at
//!   once, released as of the window's start (its deadline counts from
//!   there). A window start rather than `now` keeps the grid on the
//!   partition's windows: a thread whose period is the major frame is
//!   released at the start of each of its windows, as an aperiodic periodic
//!   wait is, whenever it was (re)started, instead of at a mid-window offset
//!   that would cost it the head of every later window. A periodic thread's
//!   release `k` is `r0 + period * k`, computed
//!   from `r0` and `k` as `Epoch::boundary` computes a window (rounded up,
//!   never accumulated), so release points never drift. They follow their
//!   own grid across a schedule switch; only aperiodic periodic waits
//!   (`Wait::NextWindow`) are re-aimed at the new schedule.
//! - *Deadlines.* With a time capacity, the deadline of release `k` is
//!   `r0 + period * k + time_capacity` (rounded up from the exact sum); an
//!   aperiodic thread's is `r0 + time_capacity` after its start and none
//!   after a periodic wait (ARINC 653 gives aperiodic processes no release
//!   points to measure from). [`CoreScheduler::replenish`] moves it to
//!   `now + budget`.
//! - *Deadline misses.* A decision checks only the threads of its own entry
//!   (the window owner's threads on this core), so a miss is reported in the
//!   partition's own time, never in another partition's: a thread whose
//!   deadline is not after `now` and not already reported goes into
//!   [`Events::deadline_missed`], once per deadline. A thread that is done
//!   (Stopped, or waiting for its next release after a periodic wait) never
//!   has a passed deadline, so it is never reported: stop and an aperiodic
//!   periodic wait remove the deadline, a periodic wait moves it past the
//!   release it waits for, and REPLENISH applies to a Ready thread only. A
//!   Suspended or otherwise Waiting thread keeps its deadline. A deadline inside
//!   the partition's window ends the decision's `next_deadline`, so it is
//!   reported at its instant (plus the timer's latency). A deadline that
//!   falls outside the partition's windows on the core is reported at the
//!   first decision of its next window there: late by at most the time
//!   until that window starts.

use core::fmt;

use bulkhead_time::{Epoch, Frequency, Nanos, Ticks, TimeError};

use crate::ids::{CoreId, PartitionId, ScheduleId, ThreadId, ThreadSet};
use crate::plan::{ModulePlan, PlanError};
use crate::table::CoreFrameTable;
use crate::{MAX_PREEMPTION_LOCK_LEVEL, MAX_SCHEDULES, MAX_THREADS};

/// A schedule in force from `epoch` on: major frame `n` starts at
/// `epoch + n * major_frame`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Activation {
    pub schedule: ScheduleId,
    pub epoch: Epoch,
    pub major_frame: Nanos,
}

/// Module-wide schedule selection: the active schedule and at most one
/// requested switch. Small and `Copy`-cheap; lives under the global lock.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ModuleTimeline {
    freq: Frequency,
    active: Activation,
    pending: Option<Activation>,
}

impl ModuleTimeline {
    /// Start `schedule` with major frame 0 beginning at `epoch`.
    pub fn new(plan: &ModulePlan<'_>, freq: Frequency, schedule: ScheduleId, epoch: Epoch) -> Result<Self, PlanError> {
        let major_frame = plan.schedule(schedule)?.major_frame;
        Ok(ModuleTimeline { freq, active: Activation { schedule, epoch, major_frame }, pending: None })
    }

    pub fn frequency(&self) -> Frequency {
        self.freq
    }

    /// The schedule in force at `now` (a requested switch counts once its
    /// instant has come).
    pub fn active_at(&self, now: Ticks) -> Activation {
        match self.pending {
            Some(p) if now >= p.epoch.start() => p,
            _ => self.active,
        }
    }

    pub fn pending(&self) -> Option<Activation> {
        self.pending
    }

    /// Ask for `to` from the next major-frame boundary strictly after `now`
    /// (ARINC 653 SET_MODULE_SCHEDULE semantics). A second request before that
    /// instant replaces the first at the same instant. The returned
    /// activation goes to every core's [`CoreScheduler::install_switch`];
    /// its epoch is the switch instant, identical for all cores.
    ///
    /// A core that decides at or after that instant *before* the switch is
    /// installed on it runs the old schedule until its next decision (the
    /// reschedule SGI). To keep every core on the same instant, pass as `now`
    /// the current counter plus the worst-case time to install the switch on
    /// all cores; the switch then lands on the first frame boundary after that.
    pub fn request_switch(
        &mut self,
        plan: &ModulePlan<'_>,
        to: ScheduleId,
        now: Ticks,
    ) -> Result<Activation, SchedError> {
        let major_frame = plan.schedule(to)?.major_frame;
        self.active = self.active_at(now);
        self.pending = None;
        let cur = self.active;
        let (_, at) = cur.epoch.next_boundary_after(self.freq, cur.major_frame, Nanos(0), now)?;
        let act = Activation { schedule: to, epoch: Epoch::new(at), major_frame };
        self.pending = Some(act);
        Ok(act)
    }
}

/// Why a thread is not ready.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Wait {
    /// Timed wait: ready again at this counter value.
    Until(Ticks),
    /// Periodic wait: ready again when its partition's next window starts;
    /// `None` while the schedule gives the partition no window.
    NextWindow { release: Option<Ticks> },
    /// Waiting for an event another thread signals ([`CoreScheduler::wake`]:
    /// a message on a port, room in a queue), or until `until` if given.
    Event { until: Option<Ticks> },
    /// Periodic wait of a periodic thread: ready again at its next release
    /// point, on its own grid (not re-aimed by a schedule switch).
    NextRelease(Ticks),
}

impl Wait {
    fn release(self) -> Option<Ticks> {
        match self {
            Wait::Until(t) => Some(t),
            Wait::NextWindow { release } => release,
            Wait::Event { until } => until,
            Wait::NextRelease(t) => Some(t),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ThreadState {
    Ready,
    Waiting(Wait),
    Suspended,
    /// ARINC 653 "dormant": not started, or stopped.
    Stopped,
}

/// A thread operation, named in [`SchedError::InvalidState`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ThreadOp {
    WaitUntil,
    WaitEvent,
    PeriodicWait,
    Suspend,
    Resume,
    Stop,
    Start,
    SetPriority,
    Replenish,
    LockPreemption,
}

/// Why a scheduler operation was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SchedError {
    Plan(PlanError),
    Time(TimeError),
    ThreadNotOnCore {
        thread: ThreadId,
        core: CoreId,
    },
    InvalidState {
        thread: ThreadId,
        op: ThreadOp,
        state: ThreadState,
    },
    /// Another thread holds this core's preemption lock.
    PreemptionLockHeld {
        thread: ThreadId,
        holder: ThreadId,
    },
    /// The lock is already at [`crate::MAX_PREEMPTION_LOCK_LEVEL`].
    PreemptionLockTooDeep {
        thread: ThreadId,
        max: u8,
    },
    /// Unlock by a thread that does not hold the lock (`holder: None`: the
    /// level is 0).
    NotPreemptionHolder {
        thread: ThreadId,
        holder: Option<ThreadId>,
    },
    /// REPLENISH of a periodic thread to a deadline after its next release
    /// point (ARINC 653 INVALID_MODE). `deadline` is `Ticks::MAX` for an
    /// infinite budget.
    DeadlinePastNextRelease {
        thread: ThreadId,
        deadline: Ticks,
        next_release: Ticks,
    },
}

impl From<PlanError> for SchedError {
    fn from(e: PlanError) -> Self {
        SchedError::Plan(e)
    }
}

impl From<TimeError> for SchedError {
    fn from(e: TimeError) -> Self {
        SchedError::Time(e)
    }
}

impl fmt::Display for SchedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchedError::Plan(e) => e.fmt(f),
            SchedError::Time(e) => write!(f, "time arithmetic failed: {e:?}"),
            SchedError::ThreadNotOnCore { thread, core } => {
                write!(f, "thread {} is not placed on core {}", thread.0, core.0)
            }
            SchedError::InvalidState { thread, op, state } => {
                write!(f, "thread {} cannot {op:?} while {state:?}", thread.0)
            }
            SchedError::PreemptionLockHeld { thread, holder } => {
                write!(f, "thread {} cannot lock preemption: thread {} holds the lock", thread.0, holder.0)
            }
            SchedError::PreemptionLockTooDeep { thread, max } => {
                write!(f, "thread {} cannot lock preemption past level {max}", thread.0)
            }
            SchedError::NotPreemptionHolder { thread, holder: Some(h) } => {
                write!(f, "thread {} cannot unlock preemption: thread {} holds the lock", thread.0, h.0)
            }
            SchedError::NotPreemptionHolder { thread, holder: None } => {
                write!(f, "thread {} cannot unlock preemption: it is not locked", thread.0)
            }
            SchedError::DeadlinePastNextRelease { thread, deadline, next_release } => write!(
                f,
                "thread {} cannot have deadline {} past its next release point {}",
                thread.0, deadline.0, next_release.0
            ),
        }
    }
}

/// A thread's scheduling state, movable between cores on migration (its
/// instants are module counter values, the same on every core).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ThreadRecord {
    id: ThreadId,
    partition: PartitionId,
    /// Current priority: `base_priority` until SET_PRIORITY.
    priority: u8,
    base_priority: u8,
    /// The miss of the current `deadline` is in a decision's events already.
    deadline_reported: bool,
    state: ThreadState,
    /// FIFO key among equal priorities: when it (logically) became ready,
    /// then a per-core sequence number for ties.
    ready_at: Ticks,
    seq: u64,
    period: Option<Nanos>,
    time_capacity: Option<Nanos>,
    /// `r0`: the release point fixed when the thread was last started (for
    /// an aperiodic thread, also each release from a periodic wait).
    first_release: Ticks,
    /// `k`: the current release is `r0 + k * period`, computed from both.
    release_index: u64,
    deadline: Option<Ticks>,
}

impl ThreadRecord {
    pub fn id(&self) -> ThreadId {
        self.id
    }
    pub fn partition(&self) -> PartitionId {
        self.partition
    }
    /// The current priority (SET_PRIORITY changes it, START restores the base).
    pub fn priority(&self) -> u8 {
        self.priority
    }
    /// The configured priority.
    pub fn base_priority(&self) -> u8 {
        self.base_priority
    }
    pub fn state(&self) -> ThreadState {
        self.state
    }
    pub fn period(&self) -> Option<Nanos> {
        self.period
    }
    pub fn time_capacity(&self) -> Option<Nanos> {
        self.time_capacity
    }
    /// The current deadline (`None`: none, or the thread is Stopped).
    pub fn deadline(&self) -> Option<Ticks> {
        self.deadline
    }
}

/// A thread's current release point and deadline, for GET_PROCESS_STATUS.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ThreadTiming {
    /// The current release point: for a periodic thread `r0 + k * period`
    /// (after a periodic wait, the one it waits for); for an aperiodic one
    /// the instant of its last release. `None` while Stopped.
    pub release: Option<Ticks>,
    /// `None`: no time capacity, or Stopped.
    pub deadline: Option<Ticks>,
}

/// Boundaries were passed without a decision in between.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MissedBoundary {
    pub core: CoreId,
    /// Boundaries whose instant passed with no decision at it: those after
    /// the first boundary this decision is late for, up to `now`.
    pub missed: u64,
    /// How long after that first boundary this decision was made.
    pub late_by: Ticks,
}

/// Things the kernel may want to log or count; none needs an action.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Events {
    pub missed_boundary: Option<MissedBoundary>,
    /// This core started following a new schedule in this decision.
    pub schedule_switched: Option<ScheduleId>,
    /// A boundary does not fit in 64 bits (thousands of years after the
    /// epoch): the core idles with no deadline instead of panicking.
    pub time_overflow: bool,
    /// Threads of this decision's entry whose deadline has passed, each
    /// reported once per deadline (ARINC 653 deadline miss: the kernel
    /// raises the health event).
    pub deadline_missed: ThreadSet,
}

/// Where the core is in its frame table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct WindowInfo {
    pub schedule: ScheduleId,
    /// Major frame index since the schedule's epoch.
    pub frame: u64,
    /// Index into the core frame table.
    pub entry: u16,
    /// Global window index (`None` = trailing spare time).
    pub window: Option<u16>,
    /// The window's owner module-wide.
    pub owner: Option<PartitionId>,
    pub start: Ticks,
    pub end: Ticks,
}

/// What the core does until `next_deadline` (program `CNTHP_CVAL_EL2` with
/// it) or until a reschedule SGI, whichever comes first.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Decision {
    /// `None`: idle (WFI).
    pub runs: Option<ThreadId>,
    /// The earliest of the window end, the first timed wake-up of a thread
    /// that could run in this window and the first unreported deadline of
    /// one of those threads.
    pub next_deadline: Ticks,
    /// `None` before the epoch (and after a time overflow).
    pub window: Option<WindowInfo>,
    pub events: Events,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Cursor {
    frame: u64,
    /// A whole word, not the `u16` of [`WindowInfo::entry`]: a cursor
    /// with no padding is copied as words on the switch path (issue 19).
    entry: usize,
    start: Ticks,
    end: Ticks,
}

/// What a decision runs among the Ready threads offered to it in
/// ascending id order: the highest priority, FIFO among equals (earliest
/// `(ready_at, seq)`), or the preemption lock's holder if it is one of
/// them.
#[derive(Default)]
struct Pick {
    /// The best so far: priority, FIFO key, and the thread.
    best: Option<(u8, (Ticks, u64), ThreadId)>,
    /// The Ready threads offered.
    ready: ThreadSet,
}

impl Pick {
    /// `r` is Ready.
    fn offer(&mut self, r: &ThreadRecord) {
        let key = (r.ready_at, r.seq);
        let better = match self.best {
            None => true,
            Some((priority, best_key, _)) => r.priority > priority || (r.priority == priority && key < best_key),
        };
        if better {
            self.best = Some((r.priority, key, r.id));
        }
        self.ready = self.ready.with(r.id);
    }

    fn choice(self, preemption_holder: Option<ThreadId>) -> Option<ThreadId> {
        match preemption_holder {
            Some(h) if self.ready.contains(h) => Some(h),
            _ => self.best.map(|(_, _, t)| t),
        }
    }
}

/// One core's scheduler. See the module docs for what it owns.
///
/// Size: 24,112 bytes on aarch64 and x86-64: 8 prepared tables of 2,096
/// bytes (65 entries of 32 bytes) and 64 thread slots of 112 bytes (48
/// before process timing added the base priority, period, time capacity,
/// first release, release index and deadline; 40 before event waits), plus
/// the preemption lock, the wake bound and the waiting set; 8,992 when it
/// held only the active table and two pending ones. 464 bytes of the
/// budget remain: storing the period and
/// time capacity as `Option<NonZeroU64>` would win back 1 KiB. The kernel
/// builds one per core on its 64 KiB stack at load time and moves it into a
/// static, so it must stay within [`CoreScheduler::SIZE_BUDGET`] (24 KiB):
/// asserted at compile time on every target, and by a host test that also
/// pins the figure above.
#[derive(Clone, Debug)]
pub struct CoreScheduler {
    core: CoreId,
    freq: Frequency,
    /// This core's table of every schedule of the plan, indexed by schedule:
    /// `tables[..schedules]` are prepared, the rest blank. Every activation
    /// held below names a prepared one (checked when it is taken in).
    tables: [CoreFrameTable; MAX_SCHEDULES],
    schedules: u8,
    active: Activation,
    /// Requested switches not yet reached by this core, earliest first. Two
    /// slots suffice: the timeline only returns an epoch later than its
    /// current pending one once module time has passed that one, so of any
    /// older switches only the latest can still decide what runs when this
    /// core next looks (see `install_switch`).
    pending: [Option<Activation>; 2],
    /// `None` until the first decision at or after the epoch.
    cursor: Option<Cursor>,
    threads: [Option<ThreadRecord>; MAX_THREADS],
    /// The slots of `threads` that hold a record, so the switch path visits
    /// only this core's threads instead of all [`MAX_THREADS`] slots.
    placed: ThreadSet,
    /// No Waiting thread of this core is released before this instant, so
    /// a decision before it has no wait to expire and scans no thread
    /// (issue 19). Lowered wherever a thread starts waiting with a release
    /// (`set_waiting`), raised by the scan in `wake_due`, and 0 (scan at
    /// the next decision) after a thread is taken in.
    wake_bound: Ticks,
    /// Every thread of this core that waits with a release (and perhaps
    /// some that no longer do), so `wake_due` visits only these instead of
    /// every placed thread (issue 19). A thread joins in `set_waiting` and
    /// when taken in, leaves when released to another core, and is dropped
    /// by `wake_due` once it is found woken or waiting with no release: a
    /// superset is harmless (the scan reads each one's state), a missing
    /// member would never wake.
    waiting: ThreadSet,
    seq: u64,
    /// ARINC 653 LOCK_PREEMPTION level on this core (0: unlocked) and the
    /// thread holding it (`Some` exactly when the level is above 0).
    preemption_level: u8,
    preemption_holder: Option<ThreadId>,
}

impl CoreScheduler {
    /// Upper bound on `size_of::<CoreScheduler>()`, which is built (and
    /// copied into its slot) on the kernel's boot stack, linker/kernel.ld:
    /// a change that needs more must say why.
    pub const SIZE_BUDGET: usize = 24 * 1024;

    /// The scheduler for `core` following `timeline`, with every thread
    /// placed on the core Ready (the kernel stops those that must wait for
    /// their partition to start them). Prepares the core's frame table of
    /// every schedule of `plan` now, so no later switch builds one.
    pub fn new(plan: &ModulePlan<'_>, timeline: &ModuleTimeline, core: CoreId) -> Result<Self, SchedError> {
        const BLANK: CoreFrameTable = CoreFrameTable::new(CoreId(0), ScheduleId(0), Nanos(0));
        let mut s = CoreScheduler {
            core,
            freq: timeline.freq,
            tables: [BLANK; MAX_SCHEDULES],
            schedules: 0,
            active: timeline.active,
            pending: [timeline.pending, None],
            cursor: None,
            threads: [None; MAX_THREADS],
            placed: ThreadSet::EMPTY,
            wake_bound: Ticks(0),
            waiting: ThreadSet::EMPTY,
            seq: 0,
            preemption_level: 0,
            preemption_holder: None,
        };
        // Also refuses a timeline naming a schedule the plan lacks.
        s.rebuild(plan)?;
        let epoch = s.active.epoch.start();
        for t in plan.threads_on(core).iter() {
            let spec = plan.thread(t)?;
            let seq = s.next_seq();
            s.threads[usize::from(t.0)] = Some(ThreadRecord {
                id: t,
                partition: spec.partition,
                priority: spec.priority,
                base_priority: spec.priority,
                deadline_reported: false,
                state: ThreadState::Ready,
                ready_at: Ticks(0),
                seq,
                period: spec.period,
                time_capacity: spec.time_capacity,
                first_release: epoch,
                release_index: 0,
                deadline: None,
            });
            s.placed = s.placed.with(t);
        }
        // Ready at load: released as if started at the epoch.
        for t in s.placed.iter() {
            s.release_from_start(t, epoch)?;
        }
        Ok(s)
    }

    pub fn core(&self) -> CoreId {
        self.core
    }
    pub fn active(&self) -> Activation {
        self.active
    }
    pub fn active_table(&self) -> &CoreFrameTable {
        self.table(self.active.schedule)
    }
    /// This core's prepared table of `schedule` (`None` if the plan has no
    /// such schedule).
    pub fn prepared_table(&self, schedule: ScheduleId) -> Option<&CoreFrameTable> {
        self.tables[..usize::from(self.schedules)].get(usize::from(schedule.0))
    }
    /// The latest requested switch this core has not reached yet.
    pub fn pending(&self) -> Option<Activation> {
        self.pending.iter().flatten().last().copied()
    }
    pub fn threads(&self) -> impl Iterator<Item = &ThreadRecord> {
        self.threads.iter().flatten()
    }
    pub fn thread_state(&self, thread: ThreadId) -> Option<ThreadState> {
        self.record(thread).map(|r| r.state)
    }
    /// The thread's record, if it is placed on this core.
    pub fn thread(&self, thread: ThreadId) -> Option<&ThreadRecord> {
        self.record(thread)
    }
    /// The thread's current release point and deadline (`None` if it is not
    /// placed on this core).
    pub fn thread_timing(&self, thread: ThreadId) -> Option<ThreadTiming> {
        let r = self.record(thread)?;
        let release = match (r.state, r.period) {
            (ThreadState::Stopped, _) => None,
            (_, Some(period)) => self.release_point(r.first_release, period, r.release_index).ok(),
            (ThreadState::Waiting(Wait::NextWindow { release }), None) => release,
            (_, None) => Some(r.first_release),
        };
        Some(ThreadTiming { release, deadline: r.deadline })
    }
    /// This core's preemption lock level (0: unlocked).
    pub fn preemption_level(&self) -> u8 {
        self.preemption_level
    }
    /// The thread holding this core's preemption lock, if the level is above 0.
    pub fn preemption_holder(&self) -> Option<ThreadId> {
        self.preemption_holder
    }

    /// Decide what runs at `now`: on the boundary timer, on a reschedule SGI,
    /// and after any thread operation. Idempotent for a given `now`, except
    /// that a deadline miss is in the events of the first decision only.
    ///
    /// Normal case: O(1) in the number of windows (step to the next entry,
    /// one 128-bit boundary computation). A schedule switch costs the same:
    /// the prepared table of the new schedule is chosen and the core starts
    /// at its frame 0, entry 0 (one boundary computation, no division, no
    /// table copied). Missed boundaries: one division and a binary search
    /// over the table, plus a `MissedBoundary` event.
    pub fn on_tick(&mut self, now: Ticks) -> Decision {
        match self.decide(now) {
            Ok(d) => d,
            Err(_) => {
                self.cursor = None;
                Decision {
                    runs: None,
                    next_deadline: Ticks::MAX,
                    window: None,
                    events: Events { time_overflow: true, ..Events::default() },
                }
            }
        }
    }

    fn decide(&mut self, now: Ticks) -> Result<Decision, TimeError> {
        let mut events = Events::default();
        // A boundary is missed when its instant lies in (first, now], where
        // `first` is the first boundary this decision is late for. Boundaries
        // at the same tick as `first` (windows shorter than a tick) are not
        // missed: a punctual core crosses them in one decision too. Counted
        // as differences of global entry indices (frame * entries + entry).
        let mut missed: u128 = 0;
        let mut first: Option<Ticks> = None;
        // The cursor a punctual core would hold at the last switch instant
        // crossed: the base from which later boundaries count as missed.
        let mut anchor: Option<Cursor> = None;

        while let Some(next) = self.take_due_switch(now) {
            let switch_at = next.epoch.start();
            let had_cursor = self.cursor;
            if let Some(c) = had_cursor {
                first.get_or_insert(c.end);
                let base = match anchor {
                    Some(a) => Some(a),
                    None if switch_at > c.end => Some(self.locate(c.end)?),
                    None => None,
                };
                if let Some(base) = base {
                    let old = self.active;
                    let len = self.entry_count();
                    let switch_frame = old.epoch.position(self.freq, old.major_frame, switch_at)?.index;
                    missed += (u128::from(switch_frame) * len).saturating_sub(global_index(base, len));
                }
            }
            // Choose the prepared table: nothing is built or copied.
            self.active = next;
            self.cursor = None;
            if had_cursor.is_some() {
                // The switch instant is the new schedule's epoch: frame 0,
                // offset 0, its first entry, placed without a division. A
                // decision inside that entry uses it as is; a later one steps
                // from it or, past more boundaries, locates from the epoch
                // below, counting what it missed from here.
                let q = self.first_cursor()?;
                self.cursor = Some(q);
                anchor = Some(q);
            }
            events.schedule_switched = Some(next.schedule);
        }

        let act = self.active;
        if now < act.epoch.start() {
            self.cursor = None;
            self.wake_due(now);
            return Ok(Decision { runs: None, next_deadline: act.epoch.start(), window: None, events });
        }

        let cur = match self.cursor {
            Some(c) if c.start <= now && now < c.end => c,
            Some(c) if now >= c.end => {
                first.get_or_insert(c.end);
                // The normal switch: one step. Anything else (a late tick,
                // or a zero-tick window right after c) goes through the epoch.
                let stepped = self.step(c)?;
                if now < stepped.end && anchor.is_none() {
                    // Punctual, no schedule switch: nothing was missed.
                    stepped
                } else {
                    let (reached, punctual) =
                        if now < stepped.end { (stepped, stepped) } else { (self.locate(now)?, self.locate(c.end)?) };
                    let base = anchor.unwrap_or(punctual);
                    let len = self.entry_count();
                    missed += global_index(reached, len).saturating_sub(global_index(base, len));
                    reached
                }
            }
            // First decision, or a `now` earlier than the last one (only
            // through misuse): place ourselves from the epoch, silently.
            _ => self.locate(now)?,
        };
        self.cursor = Some(cur);
        if missed > 0 {
            events.missed_boundary = Some(MissedBoundary {
                core: self.core,
                missed: u64::try_from(missed).unwrap_or(u64::MAX),
                late_by: now.saturating_sub(first.unwrap_or(now)),
            });
        }

        self.wake_due(now);
        let entry = self.active_table().entries()[cur.entry];
        // One pass over the entry's threads (issue 19): the pick, and the
        // earliest instant inside the entry that needs a decision.
        let mut pick = Pick::default();
        let mut next_deadline = cur.end;
        // A wake-up inside the entry ends this decision early; none can
        // come before `wake_bound` (just renewed by `wake_due`).
        let wakes = self.wake_bound < next_deadline;
        for t in entry.threads.iter() {
            let Some(r) = self.threads.get_mut(usize::from(t.0)).and_then(Option::as_mut) else { continue };
            match r.state {
                ThreadState::Ready => pick.offer(r),
                ThreadState::Waiting(w) if wakes => {
                    if let Some(release) = w.release()
                        && release > now
                        && release < next_deadline
                    {
                        next_deadline = release;
                    }
                }
                _ => {}
            }
            // Deadlines: only the entry's threads, so a miss is reported
            // in the owner's own time (module docs).
            let Some(deadline) = r.deadline else { continue };
            if r.deadline_reported {
                continue;
            }
            if deadline <= now {
                r.deadline_reported = true;
                events.deadline_missed = events.deadline_missed.with(t);
            } else if deadline < next_deadline {
                next_deadline = deadline;
            }
        }
        let runs = pick.choice(self.preemption_holder);
        let window = WindowInfo {
            schedule: act.schedule,
            frame: cur.frame,
            entry: cur.entry as u16,
            window: entry.window,
            owner: entry.window_owner,
            start: cur.start,
            end: cur.end,
        };
        Ok(Decision { runs, next_deadline, window: Some(window), events })
    }

    fn take_due_switch(&mut self, now: Ticks) -> Option<Activation> {
        // Read before written: with no switch due (every boundary but one)
        // the slots are not touched.
        let due = self.pending[0].filter(|p| now >= p.epoch.start())?;
        self.pending[0] = self.pending[1].take();
        Some(due)
    }

    /// The prepared table of `schedule`. Every activation this core holds
    /// names a prepared one (see [`CoreScheduler::prepared`]).
    fn table(&self, schedule: ScheduleId) -> &CoreFrameTable {
        &self.tables[usize::from(schedule.0)]
    }

    /// Refuse a schedule this core has no prepared table of.
    fn prepared(&self, schedule: ScheduleId) -> Result<&CoreFrameTable, PlanError> {
        self.prepared_table(schedule)
            .ok_or(PlanError::UnknownSchedule { schedule, schedules: usize::from(self.schedules) })
    }

    #[inline]
    fn entry_count(&self) -> u128 {
        self.active_table().entries().len() as u128
    }

    fn cursor_at(&self, frame: u64, entry: usize) -> Result<Cursor, TimeError> {
        let a = self.active;
        let e = self.active_table().entries()[entry];
        Ok(Cursor {
            frame,
            entry,
            start: a.epoch.boundary(self.freq, a.major_frame, frame, e.start)?,
            end: a.epoch.boundary(self.freq, a.major_frame, frame, e.end)?,
        })
    }

    /// Frame 0, entry 0 of the active schedule: `cursor_at(0, 0)`, whose
    /// start is the epoch itself (0 ns after it is 0 ticks), so only the end
    /// is computed. Where a schedule switch places the core.
    fn first_cursor(&self) -> Result<Cursor, TimeError> {
        let a = self.active;
        // A prepared table is never empty: it covers a major frame > 0.
        let end = self.active_table().entries().first().map_or(a.major_frame, |e| e.end);
        Ok(Cursor {
            frame: 0,
            entry: 0,
            start: a.epoch.start(),
            end: a.epoch.boundary(self.freq, a.major_frame, 0, end)?,
        })
    }

    /// The entry after `c`: the normal, O(1) switch.
    ///
    /// The next entry normally starts at the very offset where `c` ends (or,
    /// after the last entry, frame `n + 1` starts at offset 0, the same
    /// instant `n * major + major`), so its start is `c.end`, already
    /// computed from the epoch by the same formula with the same operands;
    /// only its end is computed. Otherwise both are computed as before.
    fn step(&self, c: Cursor) -> Result<Cursor, TimeError> {
        let a = self.active;
        let entries = self.active_table().entries();
        let cur = c.entry;
        let next = cur + 1;
        let (frame, entry, continues) = if next < entries.len() {
            let continues = match (entries.get(cur), entries.get(next)) {
                (Some(e), Some(n)) => e.end == n.start,
                _ => false,
            };
            (c.frame, next, continues)
        } else {
            let continues = match (entries.get(cur), entries.first()) {
                (Some(e), Some(n)) => e.end == a.major_frame && n.start == Nanos(0),
                _ => false,
            };
            (c.frame.checked_add(1).ok_or(TimeError::Overflow)?, 0, continues)
        };
        if !continues {
            return self.cursor_at(frame, entry);
        }
        let end = a.epoch.boundary(self.freq, a.major_frame, frame, entries[entry].end)?;
        Ok(Cursor { frame, entry, start: c.end, end })
    }

    /// The entry containing `now`, from the epoch (missed-boundary recovery).
    fn locate(&self, now: Ticks) -> Result<Cursor, TimeError> {
        let a = self.active;
        let pos = a.epoch.position(self.freq, a.major_frame, now)?;
        self.cursor_at(pos.index, self.active_table().entry_at(pos.offset))
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Make every thread whose wait has expired Ready, stamped with the
    /// instant it expired (not when we noticed), in (instant, id) order, so a
    /// late core orders them exactly as a punctual one would.
    ///
    /// Scans the core's threads only once `now` reaches `wake_bound`; the
    /// last scan finds the earliest release still ahead, the next bound.
    fn wake_due(&mut self, now: Ticks) {
        if now < self.wake_bound {
            return;
        }
        loop {
            let mut first: Option<(Ticks, usize)> = None;
            let mut later = Ticks::MAX;
            let mut due = 0;
            // Ascending slot order, as a scan of every placed slot would
            // visit them (the earliest release, ties to the lowest id).
            let mut still = self.waiting;
            for t in self.waiting.iter() {
                let i = usize::from(t.0);
                if let Some(ThreadRecord { state: ThreadState::Waiting(w), .. }) =
                    self.threads.get(i).and_then(Option::as_ref)
                    && let Some(at) = w.release()
                {
                    if at > now {
                        later = later.min(at);
                    } else {
                        due += 1;
                        if first.is_none_or(|f| at < f.0) {
                            first = Some((at, i));
                        }
                    }
                } else {
                    // Woken, suspended, stopped, or waiting with no release
                    // since it joined: nothing left to expire.
                    still = still.without(t);
                }
            }
            self.waiting = still;
            let Some((at, i)) = first else {
                self.wake_bound = later;
                return;
            };
            let seq = self.next_seq();
            self.waiting = self.waiting.without(ThreadId(i as u16));
            if let Some(r) = self.threads[i].as_mut() {
                if let ThreadState::Waiting(Wait::NextWindow { .. }) = r.state {
                    // An aperiodic thread's release from its periodic wait.
                    r.first_release = at;
                    r.release_index = 0;
                }
                r.state = ThreadState::Ready;
                r.ready_at = at;
                r.seq = seq;
            }
            if due == 1 {
                // The only one due: the pass already found the next bound.
                self.wake_bound = later;
                return;
            }
        }
    }

    fn record(&self, thread: ThreadId) -> Option<&ThreadRecord> {
        self.threads.get(usize::from(thread.0)).and_then(Option::as_ref)
    }

    fn record_mut(&mut self, thread: ThreadId) -> Result<&mut ThreadRecord, SchedError> {
        let core = self.core;
        self.threads
            .get_mut(usize::from(thread.0))
            .and_then(Option::as_mut)
            .ok_or(SchedError::ThreadNotOnCore { thread, core })
    }

    fn make_ready(&mut self, thread: ThreadId, now: Ticks) -> Result<(), SchedError> {
        let seq = self.next_seq();
        let r = self.record_mut(thread)?;
        r.state = ThreadState::Ready;
        r.ready_at = now;
        r.seq = seq;
        Ok(())
    }

    /// `thread` waits: the only way a thread comes to wait on this core
    /// (besides being taken in), keeping `wake_bound` a lower bound.
    fn set_waiting(&mut self, thread: ThreadId, wait: Wait) -> Result<(), SchedError> {
        self.record_mut(thread)?.state = ThreadState::Waiting(wait);
        if let Some(at) = wait.release() {
            self.wake_bound = self.wake_bound.min(at);
            self.waiting = self.waiting.with(thread);
        }
        Ok(())
    }

    fn require(&self, thread: ThreadId, op: ThreadOp, ok: fn(ThreadState) -> bool) -> Result<(), SchedError> {
        let state = self.record(thread).ok_or(SchedError::ThreadNotOnCore { thread, core: self.core })?.state;
        if ok(state) { Ok(()) } else { Err(SchedError::InvalidState { thread, op, state }) }
    }

    /// Timed wait (ARINC 653 TIMED_WAIT). A deadline not after `now` is a
    /// yield: the thread stays Ready behind its equal-priority peers.
    pub fn wait_until(&mut self, thread: ThreadId, until: Ticks, now: Ticks) -> Result<(), SchedError> {
        self.require(thread, ThreadOp::WaitUntil, |s| s == ThreadState::Ready)?;
        if until <= now {
            return self.make_ready(thread, now);
        }
        self.set_waiting(thread, Wait::Until(until))?;
        Ok(())
    }

    /// Wait for an event ([`CoreScheduler::wake`]) or until `until`, if
    /// given; a deadline not after `now` is a yield, as for
    /// [`CoreScheduler::wait_until`].
    pub fn wait_event(&mut self, thread: ThreadId, until: Option<Ticks>, now: Ticks) -> Result<(), SchedError> {
        self.require(thread, ThreadOp::WaitEvent, |s| s == ThreadState::Ready)?;
        if until.is_some_and(|u| u <= now) {
            return self.make_ready(thread, now);
        }
        self.set_waiting(thread, Wait::Event { until })?;
        Ok(())
    }

    /// The event a thread waits for with [`CoreScheduler::wait_event`] has
    /// come: it is Ready from `now`. Returns whether it was waiting for
    /// one; any other state is left alone (a wake that finds the thread
    /// already woken by its timeout, suspended or stopped is no error).
    pub fn wake(&mut self, thread: ThreadId, now: Ticks) -> Result<bool, SchedError> {
        if let ThreadState::Waiting(Wait::Event { .. }) = self.record_mut(thread)?.state {
            self.make_ready(thread, now)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// PERIODIC_WAIT. A periodic thread waits for its next release point,
    /// `r0 + (k + 1) * period`, computed from `r0` (never from `now`, so
    /// lateness does not shift the grid); if that is not after `now` it is
    /// Ready at once, as the newest of its priority. Its deadline becomes
    /// that release plus its time capacity.
    ///
    /// An aperiodic thread sleeps until the start of the next window of its
    /// partition strictly after `now` (in the pending schedule if that
    /// window would come after a requested switch), and has no deadline
    /// until replenished. Returns the release instant; `None` if the
    /// schedule gives the partition no window.
    pub fn periodic_wait(&mut self, thread: ThreadId, now: Ticks) -> Result<Option<Ticks>, SchedError> {
        self.require(thread, ThreadOp::PeriodicWait, |s| s == ThreadState::Ready)?;
        let r = *self.record(thread).ok_or(SchedError::ThreadNotOnCore { thread, core: self.core })?;
        if let Some(period) = r.period {
            let k = r.release_index.checked_add(1).ok_or(TimeError::Overflow)?;
            let release = self.release_point(r.first_release, period, k)?;
            let deadline = self.release_deadline(&r, k)?;
            let rec = self.record_mut(thread)?;
            rec.release_index = k;
            rec.deadline = deadline;
            rec.deadline_reported = false;
            if release <= now {
                self.make_ready(thread, now)?;
            } else {
                self.set_waiting(thread, Wait::NextRelease(release))?;
            }
            return Ok(Some(release));
        }
        let mut release = self.next_window_start(self.active, thread, now)?;
        for &p in self.pending.iter().flatten() {
            if release.is_none_or(|r| r >= p.epoch.start()) {
                release = self.next_window_start(p, thread, now)?;
            }
        }
        self.set_waiting(thread, Wait::NextWindow { release })?;
        let rec = self.record_mut(thread)?;
        rec.deadline = None;
        rec.deadline_reported = false;
        Ok(release)
    }

    /// SET_PRIORITY: the thread's current priority becomes `priority`; a
    /// Ready thread is queued as the newest of it (ready since `now`).
    /// Refused for a Stopped thread (ARINC 653: dormant, INVALID_MODE).
    pub fn set_priority(&mut self, thread: ThreadId, priority: u8, now: Ticks) -> Result<(), SchedError> {
        self.require(thread, ThreadOp::SetPriority, |s| s != ThreadState::Stopped)?;
        let seq = self.next_seq();
        let r = self.record_mut(thread)?;
        r.priority = priority;
        if r.state == ThreadState::Ready {
            r.ready_at = now;
            r.seq = seq;
        }
        Ok(())
    }

    /// REPLENISH by the running thread (ARINC 653: the current process, so
    /// it must be Ready): its deadline becomes `now + budget` (rounded up)
    /// and may be reported again; `Nanos(u64::MAX)` is ARINC 653's infinite
    /// budget and removes the deadline (returns `None`). For a periodic
    /// thread a deadline after its next release point is refused
    /// ([`SchedError::DeadlinePastNextRelease`], ARINC INVALID_MODE), an
    /// infinite one too. Applies whether or not the thread has a time
    /// capacity.
    pub fn replenish(&mut self, thread: ThreadId, budget: Nanos, now: Ticks) -> Result<Option<Ticks>, SchedError> {
        self.require(thread, ThreadOp::Replenish, |s| s == ThreadState::Ready)?;
        let r = *self.record(thread).ok_or(SchedError::ThreadNotOnCore { thread, core: self.core })?;
        let deadline = if budget == Nanos(u64::MAX) { None } else { Some(after(self.freq, now, budget)?) };
        if let Some(period) = r.period {
            let k = r.release_index.checked_add(1).ok_or(TimeError::Overflow)?;
            let next_release = self.release_point(r.first_release, period, k)?;
            let past = deadline.unwrap_or(Ticks::MAX);
            if past > next_release {
                return Err(SchedError::DeadlinePastNextRelease { thread, deadline: past, next_release });
            }
        }
        let rec = self.record_mut(thread)?;
        rec.deadline = deadline;
        rec.deadline_reported = false;
        Ok(deadline)
    }

    /// LOCK_PREEMPTION by `thread`, which must be Ready (running): raises
    /// this core's lock level and returns it. While it is above 0 the
    /// holder runs whenever it is Ready in the current entry. Refused if
    /// another thread holds the lock or the level is at
    /// [`crate::MAX_PREEMPTION_LOCK_LEVEL`].
    pub fn lock_preemption(&mut self, thread: ThreadId) -> Result<u8, SchedError> {
        self.require(thread, ThreadOp::LockPreemption, |s| s == ThreadState::Ready)?;
        if let Some(holder) = self.preemption_holder
            && holder != thread
        {
            return Err(SchedError::PreemptionLockHeld { thread, holder });
        }
        if self.preemption_level >= MAX_PREEMPTION_LOCK_LEVEL {
            return Err(SchedError::PreemptionLockTooDeep { thread, max: MAX_PREEMPTION_LOCK_LEVEL });
        }
        self.preemption_level += 1;
        self.preemption_holder = Some(thread);
        Ok(self.preemption_level)
    }

    /// UNLOCK_PREEMPTION by the holder: lowers the level and returns it; at
    /// 0 the normal choice applies from the next decision. Refused for any
    /// other thread, and when the level is 0.
    pub fn unlock_preemption(&mut self, thread: ThreadId) -> Result<u8, SchedError> {
        self.record_mut(thread)?;
        if self.preemption_holder != Some(thread) || self.preemption_level == 0 {
            return Err(SchedError::NotPreemptionHolder { thread, holder: self.preemption_holder });
        }
        self.preemption_level -= 1;
        if self.preemption_level == 0 {
            self.preemption_holder = None;
        }
        Ok(self.preemption_level)
    }

    /// SUSPEND: a Ready or Waiting thread stops competing until resumed
    /// (a pending wait is dropped).
    pub fn suspend(&mut self, thread: ThreadId) -> Result<(), SchedError> {
        self.require(thread, ThreadOp::Suspend, |s| matches!(s, ThreadState::Ready | ThreadState::Waiting(_)))?;
        self.record_mut(thread)?.state = ThreadState::Suspended;
        Ok(())
    }

    pub fn resume(&mut self, thread: ThreadId, now: Ticks) -> Result<(), SchedError> {
        self.require(thread, ThreadOp::Resume, |s| s == ThreadState::Suspended)?;
        self.make_ready(thread, now)
    }

    /// STOP: the thread is dormant, with no deadline; if it held the
    /// preemption lock, the lock is cleared.
    pub fn stop(&mut self, thread: ThreadId) -> Result<(), SchedError> {
        self.require(thread, ThreadOp::Stop, |s| s != ThreadState::Stopped)?;
        self.clear_preemption_lock_of(thread);
        let r = self.record_mut(thread)?;
        r.state = ThreadState::Stopped;
        r.deadline = None;
        r.deadline_reported = false;
        Ok(())
    }

    /// START: the thread is Ready from `now` at its base priority, with its
    /// first release point `r0` fixed from `now` (the start of the window of
    /// its partition the core is in, or of the next one: module docs) and
    /// its deadline `r0 + time_capacity`.
    pub fn start(&mut self, thread: ThreadId, now: Ticks) -> Result<(), SchedError> {
        self.require(thread, ThreadOp::Start, |s| s == ThreadState::Stopped)?;
        self.clear_preemption_lock_of(thread);
        self.release_from_start(thread, now)?;
        self.make_ready(thread, now)
    }

    /// Fix a (re)started thread's first release point from `now`, reset its
    /// release index, priority and deadline. Leaves its state alone.
    fn release_from_start(&mut self, thread: ThreadId, now: Ticks) -> Result<(), SchedError> {
        let first_release = self.first_release(thread, now)?;
        let mut r = *self.record_mut(thread)?;
        r.priority = r.base_priority;
        r.first_release = first_release;
        r.release_index = 0;
        r.deadline = self.release_deadline(&r, 0)?;
        r.deadline_reported = false;
        *self.record_mut(thread)? = r;
        Ok(())
    }

    fn clear_preemption_lock_of(&mut self, thread: ThreadId) {
        if self.preemption_holder == Some(thread) {
            self.preemption_holder = None;
            self.preemption_level = 0;
        }
    }

    /// Release `k` of a periodic thread: `r0 + period * k`, rounded up,
    /// computed from `r0` as a window boundary is from the epoch.
    fn release_point(&self, first_release: Ticks, period: Nanos, k: u64) -> Result<Ticks, TimeError> {
        Epoch::new(first_release).boundary(self.freq, period, k, Nanos(0))
    }

    /// The deadline of release `k` of `r`: `r0 + period * k + time_capacity`
    /// from the exact sum (aperiodic: `r0 + time_capacity`); `None` without
    /// a time capacity.
    fn release_deadline(&self, r: &ThreadRecord, k: u64) -> Result<Option<Ticks>, TimeError> {
        let Some(capacity) = r.time_capacity else { return Ok(None) };
        let deadline = match r.period {
            Some(period) => Epoch::new(r.first_release).boundary(self.freq, period, k, capacity)?,
            None => after(self.freq, r.first_release, capacity)?,
        };
        Ok(Some(deadline))
    }

    /// The schedule in force at `now` on this core, counting requested
    /// switches whose instant has come even if no decision has taken them.
    fn activation_at(&self, now: Ticks) -> Activation {
        self.pending.iter().flatten().rfind(|p| p.epoch.start() <= now).copied().unwrap_or(self.active)
    }

    /// The first release point of `thread` started at `now`: the start of
    /// the window of its partition the core is in at `now` (an entry
    /// holding the thread), else the start of the next one (in a pending
    /// schedule if that window would come after its switch), else `now`
    /// (no window). See the module docs for why a window start.
    fn first_release(&self, thread: ThreadId, now: Ticks) -> Result<Ticks, TimeError> {
        let act = self.activation_at(now);
        if now >= act.epoch.start() {
            let pos = act.epoch.position(self.freq, act.major_frame, now)?;
            let table = self.table(act.schedule);
            if let Some(e) = table.entries().get(table.entry_at(pos.offset))
                && e.threads.contains(thread)
            {
                return act.epoch.boundary(self.freq, act.major_frame, pos.index, e.start);
            }
        }
        let mut release = self.next_window_start(act, thread, now)?;
        for &p in self.pending.iter().flatten().filter(|p| p.epoch.start() > now) {
            if release.is_none_or(|r| r >= p.epoch.start()) {
                release = self.next_window_start(p, thread, now)?;
            }
        }
        Ok(release.unwrap_or(now))
    }

    /// Follow `next` from its epoch on (from [`ModuleTimeline::request_switch`]).
    /// Periodic waits of aperiodic threads that would have been released at
    /// or after the switch are re-aimed at the partition's first window in
    /// the new schedule; periodic threads keep their own release grid.
    ///
    /// Builds no table: `next` refers to this core's table of its schedule,
    /// prepared at load time (and kept current by migration). `_plan` is not
    /// read; a schedule the core has no table of is refused as unknown.
    ///
    /// A pending switch at the same instant is replaced. One at an earlier
    /// instant is kept: module time has already passed it (the timeline
    /// settled it before computing `next`), so a core that has not looked
    /// since must still go through it if it wakes before `next`. Anything
    /// older than that is superseded for every instant this core can still
    /// decide at; dropping it loses only its boundaries from a
    /// `MissedBoundary` count.
    pub fn install_switch(&mut self, _plan: &ModulePlan<'_>, next: Activation) -> Result<(), SchedError> {
        self.prepared(next.schedule)?;
        for t in self.placed.iter() {
            let i = usize::from(t.0);
            let Some(r) = self.threads[i] else { continue };
            if let ThreadState::Waiting(Wait::NextWindow { release }) = r.state
                && release.is_none_or(|t| t >= next.epoch.start())
            {
                let release = self.first_window_start(next, r.id)?;
                self.set_waiting(r.id, Wait::NextWindow { release })?;
            }
        }
        let at = next.epoch;
        let [a, b] = &mut self.pending;
        match (a.map(|p| p.epoch), b.map(|p| p.epoch)) {
            (None, _) => *a = Some(next),
            (Some(ea), None) if ea == at => *a = Some(next),
            (Some(ea), None) if ea < at => *b = Some(next),
            (Some(_), Some(eb)) if eb == at => *b = Some(next),
            (Some(_), Some(eb)) if eb < at => {
                *a = b.take();
                *b = Some(next);
            }
            // Earlier than what this core already holds: only a timeline
            // other than the one that produced the pending switches can say
            // that. Follow the newest word and drop the rest.
            _ => self.pending = [Some(next), None],
        }
        Ok(())
    }

    /// Hand a migrating thread's state to its new core. Call after
    /// [`ModulePlan::migrate`]; this core's tables (of every schedule) are
    /// rebuilt without it.
    pub fn release_thread(&mut self, plan: &ModulePlan<'_>, thread: ThreadId) -> Result<ThreadRecord, SchedError> {
        let core = self.core;
        let rec = self
            .threads
            .get_mut(usize::from(thread.0))
            .and_then(Option::take)
            .ok_or(SchedError::ThreadNotOnCore { thread, core })?;
        self.placed = self.placed.without(thread);
        self.waiting = self.waiting.without(thread);
        // The lock belongs to this core; a holder leaving it releases it.
        self.clear_preemption_lock_of(thread);
        self.rebuild(plan)?;
        Ok(rec)
    }

    /// Take over a migrated thread's state; this core's tables (of every
    /// schedule) are rebuilt with it. Refused unless the plan now places the
    /// thread on this core.
    pub fn adopt_thread(&mut self, plan: &ModulePlan<'_>, rec: ThreadRecord) -> Result<(), SchedError> {
        if plan.thread_core(rec.id)? != self.core {
            return Err(SchedError::ThreadNotOnCore { thread: rec.id, core: self.core });
        }
        self.threads[usize::from(rec.id.0)] = Some(rec);
        self.placed = self.placed.with(rec.id);
        // It may come waiting: the next decision scans it.
        self.waiting = self.waiting.with(rec.id);
        self.wake_bound = Ticks(0);
        self.rebuild(plan)
    }

    /// Re-derive this core's prepared table of every schedule of the plan
    /// (offsets are unchanged, so the cursor stays valid): at load time and
    /// on migration, never at a boundary. Refused, with nothing changed, if
    /// the plan lacks a schedule this core follows or will follow.
    pub fn rebuild(&mut self, plan: &ModulePlan<'_>) -> Result<(), SchedError> {
        let schedules = plan.schedules().len();
        if schedules > MAX_SCHEDULES {
            return Err(PlanError::TooManySchedules { schedules, max: MAX_SCHEDULES }.into());
        }
        for a in [Some(self.active), self.pending[0], self.pending[1]].into_iter().flatten() {
            plan.schedule(a.schedule)?;
        }
        for (i, table) in self.tables.iter_mut().enumerate().take(schedules) {
            plan.fill_core_frame_table(ScheduleId(i as u8), self.core, table)?;
        }
        self.schedules = schedules as u8;
        Ok(())
    }

    fn next_window_start(&self, act: Activation, thread: ThreadId, now: Ticks) -> Result<Option<Ticks>, TimeError> {
        let mut best: Option<Ticks> = None;
        for e in self.table(act.schedule).entries().iter().filter(|e| e.threads.contains(thread)) {
            let (_, at) = act.epoch.next_boundary_after(self.freq, act.major_frame, e.start, now)?;
            if best.is_none_or(|b| at < b) {
                best = Some(at);
            }
        }
        Ok(best)
    }

    fn first_window_start(&self, act: Activation, thread: ThreadId) -> Result<Option<Ticks>, TimeError> {
        match self.table(act.schedule).entries().iter().find(|e| e.threads.contains(thread)) {
            Some(e) => Ok(Some(act.epoch.boundary(self.freq, act.major_frame, 0, e.start)?)),
            None => Ok(None),
        }
    }
}

/// `at + duration`, rounded up to a tick (never early).
fn after(freq: Frequency, at: Ticks, duration: Nanos) -> Result<Ticks, TimeError> {
    let ticks = freq.nanos_to_ticks_ceil(duration).ok_or(TimeError::Overflow)?;
    at.checked_add(ticks).ok_or(TimeError::Overflow)
}

fn global_index(c: Cursor, entries: u128) -> u128 {
    u128::from(c.frame) * entries + c.entry as u128
}

const _: () = assert!(
    core::mem::size_of::<CoreScheduler>() <= CoreScheduler::SIZE_BUDGET,
    "CoreScheduler outgrew its budget: the kernel builds one on a 64 KiB stack"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::CoreSet;
    use crate::plan::{Schedule, ThreadSpec, Window};

    #[test]
    fn a_core_scheduler_stays_within_its_stack_budget() {
        // The kernel builds one on a 64 KiB stack (see the type's docs).
        let size = core::mem::size_of::<CoreScheduler>();
        assert!(size <= CoreScheduler::SIZE_BUDGET, "CoreScheduler is {size} bytes");
        assert_eq!(size, 24_112, "update the figure in CoreScheduler's docs");
    }

    #[test]
    fn the_first_cursor_is_cursor_at_frame_0_entry_0() {
        let threads = [ThreadSpec {
            partition: PartitionId(0),
            affinity: CoreSet::first_n(1),
            priority: 1,
            period: None,
            time_capacity: None,
        }];
        // A first window of 1 ns (shorter than a tick) and of 333,333 ns
        // (not a whole number of ticks), at 54 and 62.5 MHz, odd epochs.
        for first in [1, 333_333, 2_000_000] {
            let ws = [
                Window { owner: Some(PartitionId(0)), duration: Nanos(first) },
                Window { owner: None, duration: Nanos(7) },
            ];
            let s = [Schedule { major_frame: Nanos(5_000_000), windows: &ws }];
            let plan = ModulePlan::new(1, &threads, &s).unwrap();
            for hz in [54_000_000, 62_500_000, 1_000] {
                for epoch in [0, 1, 12_345_677, u64::MAX / 2] {
                    let freq = Frequency::from_hz(hz).unwrap();
                    let tl = ModuleTimeline::new(&plan, freq, ScheduleId(0), Epoch::new(Ticks(epoch))).unwrap();
                    let c = CoreScheduler::new(&plan, &tl, CoreId(0)).unwrap();
                    assert_eq!(c.first_cursor(), c.cursor_at(0, 0), "first {first} hz {hz} epoch {epoch}");
                    assert_eq!(c.first_cursor(), c.locate(Ticks(epoch)), "first {first} hz {hz} epoch {epoch}");
                }
            }
        }
    }
}
