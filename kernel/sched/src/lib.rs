//! Bulkhead's scheduling rules as pure code: ARINC 653 time partitioning with
//! CAST-32A multicore scheduling, no hardware.
//!
//! Where it sits: `kernel/sched`, a `no_std`, `forbid(unsafe_code)`, heap-free
//! crate built for the host (tests, the `bulkhead` tool) and for
//! `aarch64-unknown-none` (the kernel). Time arithmetic comes from
//! `bulkhead-time`.
//!
//! Specs followed: ARINC 653 Part 1, Partition Management / Partition
//! Scheduling (major frame, windows, schedule switch at a major-frame
//! boundary) and Process Management (priority preemptive, FIFO among equal
//! priorities, timed and periodic wait, suspend/resume, stop/start); CAST-32A
//! (one partition owns the module during a window, its threads run on several
//! cores). Section titles rather than numbers are cited because the numbering
//! differs between supplements of Part 1.
//!
//! # Principles
//! - One partition owns the module during a window; a core runs only threads
//!   of that partition placed on it, otherwise it idles.
//! - Every boundary is computed from the epoch and the frame index, never
//!   accumulated; every core's table has the same offsets, so every core
//!   switches at the same instants.
//! - The switch path reads only the core's own [`CoreScheduler`]. Its frame
//!   tables are prepared at load time, one for every schedule of the plan
//!   (at most [`MAX_SCHEDULES`]); a schedule switch chooses one by index and
//!   starts at its frame 0, entry 0, so the boundary that changes schedule
//!   builds and copies no table and costs no more than any other. The
//!   global [`ModulePlan`] is read again only to rebuild those tables on
//!   migration, in the migrating call, never at a boundary.
//! - Bad input is a typed error naming the object and numbers; nothing panics.
//!
//! # API (stable; the tool and the kernel call exactly this)
//!
//! ```text
//! // Validate a module and place its threads (tool: `bulkhead check/show`; kernel: boot).
//! ModulePlan::new(core_count: u8, threads: &[ThreadSpec], schedules: &[Schedule]) -> Result<ModulePlan, PlanError>
//! // One core's frame table for one schedule (tool: `bulkhead show`).
//! ModulePlan::core_frame_table(&self, ScheduleId, CoreId) -> Result<CoreFrameTable, PlanError>
//!     CoreFrameTable::entries(&self) -> &[CoreFrameEntry]
//!     CoreFrameEntry { window: Option<u16>, window_owner: Option<PartitionId>,
//!                      threads: ThreadSet, start: Nanos, end: Nanos }
//! ModulePlan::thread_core(&self, ThreadId) -> Result<CoreId, PlanError>
//! ModulePlan::migrate(&mut self, ThreadId, CoreSet) -> Result<Migration, PlanError>
//!     Migration::reschedule_cores(&self) -> CoreSet
//!
//! // Kernel, global state (under the global lock).
//! ModuleTimeline::new(&ModulePlan, Frequency, ScheduleId, Epoch) -> Result<ModuleTimeline, PlanError>
//! ModuleTimeline::request_switch(&mut self, &ModulePlan, ScheduleId, now: Ticks) -> Result<Activation, SchedError>
//!
//! // Kernel, per core (under that core's lock).
//! // Prepares the core's table of every schedule (~24 KB by value, see CoreScheduler).
//! CoreScheduler::new(&ModulePlan, &ModuleTimeline, CoreId) -> Result<CoreScheduler, SchedError>
//! CoreScheduler::on_tick(&mut self, now: Ticks) -> Decision
//!     Decision { runs: Option<ThreadId>, next_deadline: Ticks, window: Option<WindowInfo>, events: Events }
//! CoreScheduler::{wait_until, wait_event, wake, periodic_wait, suspend, resume, stop, start}(...)
//! // ARINC 653 process management beyond states (see scheduler.rs):
//! CoreScheduler::set_priority(&mut self, ThreadId, priority: u8, now: Ticks) -> Result<(), SchedError>
//! CoreScheduler::replenish(&mut self, ThreadId, budget: Nanos, now: Ticks) -> Result<Option<Ticks>, SchedError>
//! CoreScheduler::lock_preemption(&mut self, ThreadId) -> Result<u8, SchedError>
//! CoreScheduler::unlock_preemption(&mut self, ThreadId) -> Result<u8, SchedError>
//! CoreScheduler::{preemption_level, preemption_holder}(&self)
//! CoreScheduler::thread_timing(&self, ThreadId) -> Option<ThreadTiming>   // release point, deadline
//!     Events::deadline_missed: ThreadSet   // in every Decision
//! // Stores the Activation (no table is built); the plan is not read.
//! CoreScheduler::install_switch(&mut self, &ModulePlan, Activation) -> Result<(), SchedError>
//! CoreScheduler::{release_thread, adopt_thread}(...)   // migration: rebuilds every prepared table
//! CoreScheduler::{active_table, prepared_table(ScheduleId)}(&self)   // inspection
//! ```
//!
//! Schedule switch: `request_switch` returns an [`Activation`] whose epoch is
//! the next major-frame boundary; pass it to `install_switch` on every core
//! and send each the reschedule SGI. Each core moves to its prepared table of
//! the new schedule, at frame 0, entry 0, when its `on_tick` first sees
//! `now >= epoch`, i.e. all at the same instant.
//!
//! Migration: `plan.migrate(t, cores)`, then `release_thread` on
//! `migration.from` and `adopt_thread` on `migration.to` (each rebuilds that
//! core's tables of every schedule), then the reschedule SGI to
//! `migration.reschedule_cores()`.

//! # Example: one core, one partition
//!
//! ```
//! use bulkhead_sched::*;
//!
//! let threads = [ThreadSpec {
//!     partition: PartitionId(0),
//!     affinity: CoreSet::first_n(1),
//!     priority: 1,
//!     period: None,
//!     time_capacity: None,
//! }];
//! // 1 ms for partition 0, then 1 ms spare, repeating every 2 ms.
//! let windows = [Window { owner: Some(PartitionId(0)), duration: Nanos(1_000_000) }];
//! let schedules = [Schedule { major_frame: Nanos(2_000_000), windows: &windows }];
//! let plan = ModulePlan::new(1, &threads, &schedules)?;
//!
//! let qemu = Frequency::from_hz(62_500_000).unwrap(); // CNTFRQ_EL0 under QEMU raspi4b
//! let timeline = ModuleTimeline::new(&plan, qemu, ScheduleId(0), Epoch::new(Ticks(1_000)))?;
//! let mut core0 = CoreScheduler::new(&plan, &timeline, CoreId(0))?;
//!
//! let d = core0.on_tick(Ticks(1_000));
//! assert_eq!(d.runs, Some(ThreadId(0)));
//! assert_eq!(d.next_deadline, Ticks(1_000 + 62_500)); // program CNTHP_CVAL_EL2 with this
//! let d = core0.on_tick(d.next_deadline);
//! assert_eq!(d.runs, None); // spare time: WFI until the next frame
//! assert_eq!(d.next_deadline, Ticks(1_000 + 125_000));
//! # Ok::<(), SchedError>(())
//! ```

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod ids;
mod plan;
mod scheduler;
mod table;
pub mod trace;

pub use bulkhead_time::{Epoch, Frequency, Nanos, Ticks, TimeError};
pub use ids::{CoreId, CoreSet, PartitionId, ScheduleId, ThreadId, ThreadSet};
pub use plan::{Migration, ModulePlan, PlanError, Schedule, ThreadSpec, Window};
pub use scheduler::{
    Activation, CoreScheduler, Decision, Events, MissedBoundary, ModuleTimeline, SchedError, ThreadOp, ThreadRecord,
    ThreadState, ThreadTiming, Wait, WindowInfo,
};
pub use table::{CoreFrameEntry, CoreFrameTable};
pub use trace::TraceReason;

/// Cores in a module (BCM2711: four Cortex-A72).
pub const MAX_CORES: usize = 4;
/// Threads in a module; a [`ThreadSet`] is one `u64`.
pub const MAX_THREADS: usize = 64;
/// Windows in one schedule.
pub const MAX_WINDOWS: usize = 64;
/// Entries in a core frame table: one per window plus trailing spare time.
pub const MAX_TABLE_ENTRIES: usize = MAX_WINDOWS + 1;
/// Schedules in a module. Every [`CoreScheduler`] holds its core's table of
/// each one, prepared at load time, so this bounds its size (see there).
pub const MAX_SCHEDULES: usize = 8;
/// Deepest preemption lock (ARINC 653 MAX_LOCK_LEVEL): a lock past it is
/// refused.
pub const MAX_PREEMPTION_LOCK_LEVEL: u8 = 16;
