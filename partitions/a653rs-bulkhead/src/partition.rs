//! a653rs `partition` traits for [`crate::BulkheadHypervisor`]: ARINC 653
//! Part 1 section 3.2.2 (GET_PARTITION_STATUS, SET_PARTITION_MODE) on the
//! kernel's GetPartitionStatus and SetPartitionMode.
//!
//! The main process (thread 0) runs the partition's start-up in
//! COLD_START or WARM_START (`initialization = true` in the description)
//! and ends it with SET_PARTITION_MODE(NORMAL). On Bulkhead the calling
//! thread would go on as a process at its own priority; ARINC's main
//! process does not run in NORMAL (a653rs-linux parks it, a653rs's
//! `PartitionExt::run` spins after the call), so here it stops itself
//! once NORMAL is entered and leaves its core to the processes.

use a653rs::bindings::{ApexPartitionP4, ApexPartitionStatus, ErrorReturnCode, OperatingMode, StartCondition};
use bulkhead_sdk::PartitionMode;
use bulkhead_sdk::process;

use crate::BulkheadHypervisor;
use crate::convert::returned;

/// The a653rs operating mode of a Bulkhead mode number (`Idle` for one
/// the ABI does not define: it never reports one).
pub(crate) fn operating_mode(raw: u32) -> OperatingMode {
    match raw {
        1 => OperatingMode::ColdStart,
        2 => OperatingMode::WarmStart,
        3 => OperatingMode::Normal,
        _ => OperatingMode::Idle,
    }
}

fn start_condition(raw: u32) -> StartCondition {
    match raw {
        1 => StartCondition::PartitionRestart,
        2 => StartCondition::HmModuleRestart,
        3 => StartCondition::HmPartitionRestart,
        _ => StartCondition::NormalStart,
    }
}

/// Whether the partition is initialising (COLD_START or WARM_START), and
/// its restart count; `None` if the kernel cannot say (a host build).
pub(crate) fn initialising() -> Option<(bool, u32)> {
    let s = process::get_partition_status().ok()?;
    Some((matches!(operating_mode(s.mode), OperatingMode::ColdStart | OperatingMode::WarmStart), s.restarts))
}

impl ApexPartitionP4 for BulkheadHypervisor {
    /// GET_PARTITION_STATUS, which cannot fail in ARINC 653; on a host
    /// build (no kernel) it reports an `Idle` partition of nothing.
    fn get_partition_status() -> ApexPartitionStatus {
        let Ok(s) = process::get_partition_status() else {
            return ApexPartitionStatus::default();
        };
        ApexPartitionStatus {
            period: crate::convert::system_time(s.period_ns),
            duration: crate::convert::system_time(s.duration_ns),
            identifier: i64::from(s.id),
            lock_level: s.lock_level as i32,
            operating_mode: operating_mode(s.mode),
            start_condition: start_condition(s.start_condition),
            num_assigned_cores: s.cores.count_ones(),
        }
    }

    /// SET_PARTITION_MODE. NORMAL from the initialisation ends it and, as
    /// the main process does not run in NORMAL, stops the caller (it does
    /// not return); from NORMAL it is NO_ACTION. COLD_START and WARM_START
    /// restart the partition, IDLE stops it (neither returns); WARM_START
    /// during COLD_START is INVALID_MODE.
    fn set_partition_mode(operating_mode: OperatingMode) -> Result<(), ErrorReturnCode> {
        let mode = match operating_mode {
            OperatingMode::Idle => PartitionMode::Idle,
            OperatingMode::ColdStart => PartitionMode::ColdStart,
            OperatingMode::WarmStart => PartitionMode::WarmStart,
            OperatingMode::Normal => PartitionMode::Normal,
        };
        returned(process::set_partition_mode(mode))?;
        if mode == PartitionMode::Normal
            && let Ok(0) = process::my_id()
        {
            process::stop_self(0);
        }
        Ok(())
    }
}
