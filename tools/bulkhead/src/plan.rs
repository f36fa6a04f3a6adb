//! The bridge to `bulkhead-sched`, the kernel's own scheduling crate: builds
//! its inputs (threads, schedules) from a checked image description, so the
//! tool's placement check, `show` and the pack report use the same
//! placement and per-core frame tables the kernel derives at boot. Nothing
//! here derives a table itself.

use bulkhead_image::ImageSpec;
use bulkhead_sched::{
    CoreFrameTable, CoreId, CoreSet, ModulePlan, Nanos, PartitionId, PlanError, Schedule, ScheduleId, ThreadSpec,
    Window,
};

/// Owned inputs for [`ModulePlan::new`] (which borrows them).
pub struct PlanInputs {
    core_count: u8,
    threads: Vec<ThreadSpec>,
    schedules: Vec<(u64, Vec<Window>)>,
}

impl PlanInputs {
    /// Convert; fails only where the description exceeds the scheduler's
    /// id widths (partitions, cores, priorities).
    pub fn new(spec: &ImageSpec) -> Result<PlanInputs, String> {
        let core_count = u8::try_from(spec.module.core_count)
            .map_err(|_| format!("{} cores exceed the scheduler's limit", spec.module.core_count))?;
        let threads = spec
            .threads
            .iter()
            .map(|t| {
                Ok(ThreadSpec {
                    partition: PartitionId(u8::try_from(t.partition).map_err(|_| {
                        format!("{} partitions exceed the scheduler's limit of 256", spec.partitions.len())
                    })?),
                    affinity: CoreSet::from_bits(
                        u8::try_from(t.affinity).map_err(|_| format!("thread \"{}\" names a core above 7", t.name))?,
                    ),
                    priority: u8::try_from(t.priority)
                        .map_err(|_| format!("thread \"{}\" priority {} exceeds 255", t.name, t.priority))?,
                    period: t.period_ns.map(Nanos),
                    time_capacity: t.deadline_ns.map(Nanos),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let schedules = spec
            .schedules
            .iter()
            .map(|s| {
                let windows = s
                    .windows
                    .iter()
                    .map(|w| Window {
                        // Partition ids were bounded by the thread conversion
                        // above only if the partition has threads; bound here too.
                        owner: w.owner.map(|o| PartitionId(o.min(255) as u8)),
                        duration: Nanos(w.duration_ns),
                    })
                    .collect();
                (s.major_frame_ns, windows)
            })
            .collect();
        Ok(PlanInputs { core_count, threads, schedules })
    }

    /// The schedules as the scheduler takes them (borrowing `self`).
    pub fn schedules(&self) -> Vec<Schedule<'_>> {
        self.schedules.iter().map(|(major, windows)| Schedule { major_frame: Nanos(*major), windows }).collect()
    }

    /// Validate and place, exactly as the kernel will at boot.
    pub fn plan<'a>(&'a self, schedules: &'a [Schedule<'a>]) -> Result<ModulePlan<'a>, PlanError> {
        ModulePlan::new(self.core_count, &self.threads, schedules)
    }
}

/// Every core's frame table for schedule `index`.
pub fn core_tables(plan: &ModulePlan<'_>, index: usize) -> Result<Vec<CoreFrameTable>, PlanError> {
    plan.cores().map(|c| plan.core_frame_table(ScheduleId(index as u8), CoreId(c.0))).collect()
}

/// `{0,1,3}` for a core mask.
pub fn fmt_mask(mask: u32) -> String {
    let cores: Vec<String> = (0..32).filter(|c| mask & (1 << c) != 0).map(|c| c.to_string()).collect();
    format!("{{{}}}", cores.join(","))
}
