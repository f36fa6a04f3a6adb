//! `bulkhead check` for the health monitor (ARINC 653 Part 1, Health
//! Monitoring): the module's `[health]` table, the defaults for every
//! partition, and each partition's own `[partition.health]`, whose entries
//! override the module's for that partition's errors. `desc.rs` has checked
//! the kinds and actions; here: the schedules `switch_schedule` names,
//! `missed_boundary` (the module's own event), what `halt_module` and
//! `switch_schedule` will do, and the image's health table
//! (docs/DESIGN.md#health-monitor).
//!
//! `halt_module` takes every partition down; `switch_schedule` changes
//! every partition's time. The module's table applies them to system
//! partitions only (the kernel stops a normal partition instead), so one
//! partition cannot halt the others or change their schedule through a
//! module-wide setting; a normal partition's own table may say it, as the
//! integrator's choice for that partition, and is warned of.

use bulkhead_image::{ErrorKind, HealthAction, HealthEntry};

use crate::check::Checker;
use crate::desc::{HealthDesc, PartitionDesc};
use crate::diag::{closest, error, warning};

fn is_system(p: &PartitionDesc) -> bool {
    p.system.as_ref().is_some_and(|s| s.value)
}

fn name(p: &PartitionDesc) -> Option<&str> {
    p.name.as_ref().map(|n| n.value.as_str())
}

/// Does the partition's own table decide errors of `kind` (its entry for
/// the kind, or for the kind it falls back to)?
fn has_own(p: &PartitionDesc, kind: ErrorKind) -> bool {
    p.health.iter().any(|e| e.kind.value == kind || Some(e.kind.value) == kind.falls_back_to())
}

impl Checker<'_> {
    /// Duplicate keys are TOML's to refuse; what is left: the schedules
    /// named, module events, and the actions that reach beyond a
    /// partition.
    pub(crate) fn health(&mut self) {
        self.health_schedules();
        self.module_events();
        self.module_halts();
        self.partition_halts();
    }

    /// Every `switch_schedule` names a schedule of the description.
    fn health_schedules(&mut self) {
        let d = self.desc;
        let names: Vec<&str> = d.schedules.iter().filter_map(|s| s.name.as_ref()).map(|n| n.value.as_str()).collect();
        let tables = std::iter::once(&d.health).chain(d.partitions.iter().map(|p| &p.health));
        for e in tables.flatten() {
            let Some(schedule) = &e.schedule else { continue };
            if names.contains(&schedule.value.as_str()) {
                continue;
            }
            let d = error(
                schedule.span.clone(),
                format!("health.{} = switch_schedule: no schedule named \"{}\"", e.kind.value.as_str(), schedule.value),
            );
            self.diags.push(match closest(&schedule.value, names.iter().copied()) {
                Some(c) => d.hint(format!("did you mean \"{c}\"? schedules: {}", names.join(", "))),
                None => d.hint(format!("schedules: {}", names.join(", "))),
            });
        }
    }

    /// A module event (`missed_boundary`: a core late for its boundaries)
    /// belongs to no partition: only `[health]` configures it, with an
    /// action that needs no partition.
    fn module_events(&mut self) {
        let d = self.desc;
        for p in &d.partitions {
            for e in p.health.iter().filter(|e| e.kind.value.module_event()) {
                self.diags.push(
                    error(
                        e.kind.span.clone(),
                        format!(
                            "partition \"{}\": {} is an event of the module, not of a partition: no partition's table configures it",
                            name(p).unwrap_or("?"),
                            e.kind.value.as_str()
                        ),
                    )
                    .hint("configure it in the module's [health]"),
                );
            }
        }
        for e in d.health.iter().filter(|e| e.kind.value.module_event() && !e.action.value.for_module_events()) {
            self.diags.push(
                error(
                    e.action.span.clone(),
                    format!(
                        "health.{} = \"{}\": the event has no partition or thread to act on",
                        e.kind.value.as_str(),
                        e.action.value.as_str()
                    ),
                )
                .hint("say `log`, `halt_module` or `switch_schedule`"),
            );
        }
    }

    /// Warn that the module's `halt_module` and `switch_schedule` act for
    /// system partitions only: an error of a normal partition that has no
    /// entry of its own for the kind stops that partition instead.
    fn module_halts(&mut self) {
        let d = self.desc;
        for e in d.health.iter().filter(|e| e.action.value.system_only() && !e.kind.value.module_event()) {
            let kind = e.kind.value;
            let normal: Vec<&str> =
                d.partitions.iter().filter(|p| !is_system(p) && !has_own(p, kind)).filter_map(name).collect();
            if normal.is_empty() {
                continue;
            }
            let (does, may) = match e.action.value {
                HealthAction::HaltModule => ("halts the module", "halt the module"),
                HealthAction::ResetModule => ("resets the module", "reset the module"),
                _ => ("switches the schedule", "switch the schedule"),
            };
            self.diags.push(
                warning(
                    e.action.span.clone(),
                    format!(
                        "health.{} = \"{}\" {does} only for an error of a system partition; the kernel stops a normal partition instead ({})",
                        kind.as_str(),
                        e.action.value.as_str(),
                        normal.join(", ")
                    ),
                )
                .hint(format!("say `stop_partition` or `restart_partition` for the normal partitions' errors, or mark the partition that may {may} `system = true`")),
            );
        }
    }

    /// Warn of a normal partition whose own table halts the module or
    /// switches its schedule: the kernel does it, so an error of that one
    /// partition stops, or changes the time of, every other.
    fn partition_halts(&mut self) {
        let d = self.desc;
        for p in d.partitions.iter().filter(|p| !is_system(p)) {
            let pname = name(p).unwrap_or("?");
            for e in p.health.iter() {
                let kind = e.kind.value.as_str();
                let diag = match (e.action.value, &e.schedule) {
                    (HealthAction::HaltModule, _) => warning(
                        e.action.span.clone(),
                        format!(
                            "partition \"{pname}\" is not a system partition, yet its own health.{kind} = \"halt_module\": an error of it halts the whole module, every other partition with it"
                        ),
                    )
                    .hint("keep it only if this partition's failure must end the module; `stop_partition` or `restart_partition` keep the others running"),
                    (HealthAction::ResetModule, _) => warning(
                        e.action.span.clone(),
                        format!(
                            "partition \"{pname}\" is not a system partition, yet its own health.{kind} = \"reset_module\": an error of it resets the whole module, every other partition with it"
                        ),
                    )
                    .hint("keep it only if this partition's failure must restart the module; `stop_partition` or `restart_partition` keep the others running"),
                    (HealthAction::SwitchSchedule, Some(schedule)) => warning(
                        e.action.span.clone(),
                        format!(
                            "partition \"{pname}\" is not a system partition, yet its own health.{kind} switches the module to schedule \"{}\": an error of it changes every partition's time",
                            schedule.value
                        ),
                    )
                    .hint("keep it only if this partition's failure must change the module's schedule; `stop_partition` or `restart_partition` leave the others' time alone"),
                    _ => continue,
                };
                self.diags.push(diag);
            }
        }
    }

    /// The image's health table: the module's entries (partition `None`),
    /// then each partition's own, in partition order, each by kind.
    pub(crate) fn health_entries(&self) -> Vec<HealthEntry> {
        let d = self.desc;
        let entry = |partition: Option<u32>, e: &HealthDesc| HealthEntry {
            partition,
            kind: e.kind.value,
            action: e.action.value,
            schedule: e
                .schedule
                .as_ref()
                .and_then(|s| d.schedules.iter().position(|sd| sd.name.as_ref().is_some_and(|n| n.value == s.value)))
                .map_or(0, |i| i as u32),
        };
        let mut entries: Vec<HealthEntry> = d.health.iter().map(|e| entry(None, e)).collect();
        for (id, p) in d.partitions.iter().enumerate() {
            entries.extend(p.health.iter().map(|e| entry(Some(id as u32), e)));
        }
        // `None` sorts first: the module's defaults, then partition by
        // partition.
        entries.sort();
        entries
    }
}
