//! The health monitor (ARINC 653 Part 1, Health Monitoring): what happens
//! when a partition misbehaves. The event is logged with partition, thread,
//! core, cause, address and PC; then the action the system image configures
//! for that kind of error is carried out on the partition alone. The kernel
//! and every other partition go on, on time.
use super::text::Line;
use super::{
    CORE_SCHED, MODE_COLD_START, MODE_IDLE, MODE_NORMAL, MODULE, Module, NOT_RUNNING, PARTITIONS, RUNNING, thread_cores,
};
use crate::ipi::{self, CoreSet, IpiReason};
use crate::{arch, println, timer};
use bulkhead_image::{ErrorKind, HealthAction};
use bulkhead_sched::ThreadId;
use core::sync::atomic::Ordering;

/// One health event, as reported.
pub struct Event {
    pub kind: ErrorKind,
    pub thread: usize,
    pub core: usize,
    pub detail: Line<160>,
}

/// Logs `event` and carries out the configured action. Called from the
/// core's loop with no thread context or scheduler lock held.
pub fn handle(event: &Event) {
    let module = MODULE.get().expect("health events only come from running partitions");
    let thread = module.thread(event.thread);
    let partition = thread.partition;
    let action = module.image.health_action(event.kind);
    println!(
        "health: partition {} thread {} core {}: {}: {} -> {}",
        module.partition(partition).name,
        thread.name,
        event.core,
        event.kind,
        event.detail,
        action
    );
    match action {
        HealthAction::Log => {}
        HealthAction::StopPartition => {
            stop_partition(module, partition);
            println!("health: partition {} stopped", module.partition(partition).name);
        }
        HealthAction::RestartPartition => {
            restart_partition(module, partition);
        }
        HealthAction::HaltModule => {
            println!("health: halting the module");
            ipi::halt_all();
        }
    }
}

/// Stops every thread of `partition` on whatever core it is placed, and
/// makes every core that might be running it re-pick.
pub fn stop_partition(module: &Module, partition: usize) {
    PARTITIONS[partition].mode.store(MODE_IDLE, Ordering::SeqCst);
    let placement = thread_cores();
    let p = module.partition(partition);
    let cores = CoreSet::all().without(arch::core_id());
    for t in p.first_thread..p.first_thread + p.thread_count {
        if let Some(sched) = CORE_SCHED[placement[t]].lock().as_mut() {
            // Already stopped is fine: the partition may be stopped twice.
            let _ = sched.stop(ThreadId(t as u16));
        }
    }
    super::NEED_RESCHED[arch::core_id()].store(true, Ordering::Release);
    ipi::send(IpiReason::Reschedule, cores.without(arch::core_id()));
}

/// Cold start: stop the partition, wait until no core runs it, reload its
/// memory from the system image, reset its threads and start them again.
/// Returns false if a core did not let go of the partition in time.
pub fn restart_partition(module: &Module, partition: usize) -> bool {
    let name = module.partition(partition).name;
    stop_partition(module, partition);
    PARTITIONS[partition].mode.store(MODE_COLD_START, Ordering::SeqCst);
    // Other cores leave the partition when the Reschedule IPI arrives; a
    // core whose interrupts stay masked is given a bounded time.
    let limit = timer::frequency().hz() / 10;
    let start = arch::counter();
    while RUNNING.iter().any(|r| r.load(Ordering::SeqCst) == partition as u32) {
        if arch::counter() - start > limit {
            println!(
                "health: partition {name} still running on another core after 100 ms; restart abandoned, partition stays stopped"
            );
            PARTITIONS[partition].mode.store(MODE_IDLE, Ordering::SeqCst);
            return false;
        }
        core::hint::spin_loop();
    }
    super::load_partition_memory(module, partition);
    super::reset_threads(module, partition);
    let restarts = PARTITIONS[partition].restarts.fetch_add(1, Ordering::AcqRel) + 1;
    let placement = thread_cores();
    let now = timer::now();
    let p = module.partition(partition);
    let mut cores = CoreSet(0);
    for t in p.first_thread..p.first_thread + p.thread_count {
        if let Some(sched) = CORE_SCHED[placement[t]].lock().as_mut() {
            let _ = sched.start(ThreadId(t as u16), now);
        }
        cores = cores.with(placement[t]);
    }
    PARTITIONS[partition].mode.store(MODE_NORMAL, Ordering::SeqCst);
    println!("health: partition {name} restarted (restart {restarts})");
    super::NEED_RESCHED[arch::core_id()].store(true, Ordering::Release);
    ipi::send(IpiReason::Reschedule, cores.without(arch::core_id()));
    true
}

/// May a core enter a thread of `partition`? Publishes that it does first,
/// so [`restart_partition`] (which sets the mode, then reads `RUNNING`)
/// and this (which sets `RUNNING`, then reads the mode) cannot both miss
/// each other.
pub fn enter(core: usize, partition: usize) -> bool {
    RUNNING[core].store(partition as u32, Ordering::SeqCst);
    if PARTITIONS[partition].mode.load(Ordering::SeqCst) == MODE_NORMAL {
        true
    } else {
        RUNNING[core].store(NOT_RUNNING, Ordering::SeqCst);
        false
    }
}

/// The core left the partition's thread.
pub fn leave(core: usize) {
    RUNNING[core].store(NOT_RUNNING, Ordering::SeqCst);
}
