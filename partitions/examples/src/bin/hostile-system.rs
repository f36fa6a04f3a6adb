//! `hostile-system`: a partition *not* marked `system` asks for every
//! system-partition service, aimed at the bystander (partition 1, the
//! ticker): switch the schedule, read its status, move the ticker's thread,
//! stop, start and restart the ticker. Each must be refused with `Denied`
//! and change nothing: the ticker keeps its rhythm and is never restarted.
//!
//! Prints, in this order (R: restarts so far; each case line is
//! `hostile-system: <call>: status <raw x0> (<Status name>)`, every
//! expected status being `-4 (Denied)`):
//!
//! ```text
//! hostile-system: asking for system services without being a system partition (restarts R)
//! hostile-system: SetSchedule: status -4 (Denied)
//! hostile-system: ScheduleStatus: status -4 (Denied)
//! hostile-system: SetThreadAffinity: status -4 (Denied)
//! hostile-system: StopPartition: status -4 (Denied)
//! hostile-system: StartPartition: status -4 (Denied)
//! hostile-system: RestartPartition: status -4 (Denied)
//! hostile-system: done
//! ```
//!
//! Then the thread is done (PeriodicWait forever).
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{
    Status, ThreadInfo, partition_status, println, restart_partition, schedule_status, set_schedule,
    set_thread_affinity, start_partition, status_name, stop_partition,
};

bulkhead_sdk::partition_main!(main);

/// The bystander's partition id (declared second in
/// partitions/tests/hostile-system.toml).
const TICKER: u32 = 1;

fn main(_thread: ThreadInfo) {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-system: asking for system services without being a system partition (restarts {restarts})");
    let results: [(&str, Result<(), Status>); 6] = [
        // Schedule 0 is the only one; a granted switch would still show.
        ("SetSchedule", set_schedule(0).map(drop)),
        ("ScheduleStatus", schedule_status().map(drop)),
        // Core 1: a move the scheduler could grant (the ticker is alone).
        ("SetThreadAffinity", set_thread_affinity(TICKER, 0, 0b10).map(drop)),
        ("StopPartition", stop_partition(TICKER)),
        ("StartPartition", start_partition(TICKER)),
        ("RestartPartition", restart_partition(TICKER)),
    ];
    for (call, result) in results {
        let raw = result.err().unwrap_or(Status::Success).raw();
        println!("hostile-system: {call}: status {raw} ({})", status_name(raw));
    }
    println!("hostile-system: done");
}
