//! `bulkhead check` for the health monitor (ARINC 653 Part 1, Health
//! Monitoring): the module's `[health]` table, the defaults for every
//! partition, and each partition's own `[partition.health]`, whose entries
//! override the module's for that partition's errors. `desc.rs` has checked
//! the kinds and actions; here: what `halt_module` will do, and the image's
//! health table (docs/DESIGN.md#health-monitor).
//!
//! `halt_module` takes every partition down. The module's table applies it
//! to system partitions only (the kernel stops a normal partition instead),
//! so one partition cannot halt the others through a module-wide setting;
//! a normal partition's own table may say it, as the integrator's choice
//! for that partition, and is warned of.

use bulkhead_image::{ErrorKind, HealthAction, HealthEntry};

use crate::check::Checker;
use crate::desc::PartitionDesc;
use crate::diag::warning;

fn is_system(p: &PartitionDesc) -> bool {
    p.system.as_ref().is_some_and(|s| s.value)
}

fn name(p: &PartitionDesc) -> Option<&str> {
    p.name.as_ref().map(|n| n.value.as_str())
}

fn has_own(p: &PartitionDesc, kind: ErrorKind) -> bool {
    p.health.iter().any(|(k, _)| k.value == kind)
}

impl Checker<'_> {
    /// Duplicate keys are TOML's to refuse; what is left is `halt_module`.
    pub(crate) fn health(&mut self) {
        self.module_halts();
        self.partition_halts();
    }

    /// Warn that the module's `halt_module` acts for system partitions
    /// only: an error of a normal partition that has no entry of its own
    /// for the kind stops that partition instead.
    fn module_halts(&mut self) {
        let d = self.desc;
        for (kind, action) in &d.health {
            if action.value != HealthAction::HaltModule {
                continue;
            }
            let normal: Vec<&str> =
                d.partitions.iter().filter(|p| !is_system(p) && !has_own(p, kind.value)).filter_map(name).collect();
            if normal.is_empty() {
                continue;
            }
            self.diags.push(
                warning(
                    action.span.clone(),
                    format!(
                        "health.{} = \"halt_module\" halts the module only for an error of a system partition; the kernel stops a normal partition instead ({})",
                        kind.value.as_str(),
                        normal.join(", ")
                    ),
                )
                .hint("say `stop_partition` or `restart_partition` for the normal partitions' errors, or mark the partition that may halt the module `system = true`"),
            );
        }
    }

    /// Warn of a normal partition whose own table halts the module: the
    /// kernel does it, so an error of that one partition takes every other
    /// down with it.
    fn partition_halts(&mut self) {
        let d = self.desc;
        for p in d.partitions.iter().filter(|p| !is_system(p)) {
            let pname = name(p).unwrap_or("?");
            for (kind, action) in p.health.iter().filter(|(_, a)| a.value == HealthAction::HaltModule) {
                self.diags.push(
                    warning(
                        action.span.clone(),
                        format!(
                            "partition \"{pname}\" is not a system partition, yet its own health.{} = \"halt_module\": an error of it halts the whole module, every other partition with it",
                            kind.value.as_str()
                        ),
                    )
                    .hint("keep it only if this partition's failure must end the module; `stop_partition` or `restart_partition` keep the others running"),
                );
            }
        }
    }

    /// The image's health table: the module's entries (partition `None`),
    /// then each partition's own, in partition order, each by kind.
    pub(crate) fn health_entries(&self) -> Vec<HealthEntry> {
        let d = self.desc;
        let mut entries: Vec<HealthEntry> =
            d.health.iter().map(|(k, a)| HealthEntry { partition: None, kind: k.value, action: a.value }).collect();
        for (id, p) in d.partitions.iter().enumerate() {
            entries.extend(p.health.iter().map(|(k, a)| HealthEntry {
                partition: Some(id as u32),
                kind: k.value,
                action: a.value,
            }));
        }
        // `None` sorts first: the module's defaults, then partition by
        // partition.
        entries.sort();
        entries
    }
}
