//! Partition and process management (ARINC 653 Part 1): the operating
//! mode of the caller's partition and its processes (its threads, named by
//! their index in the partition: [`crate::ThreadInfo::index`]).
//!
//! A partition described with `initialization = true` starts in
//! COLD_START with only its first thread (index 0) running; it starts the
//! others ([`start`], [`delayed_start`]) and then calls
//! [`set_partition_mode`]`(PartitionMode::Normal)`, from which on they run.
//! Without the flag the kernel starts it in NORMAL with every thread
//! running, and these calls manage them from there.

use crate::call::check;
use bulkhead_abi::{
    Call, ERROR_STATUS_SIZE, ErrorStatusRecord, PARTITION_STATUS_SIZE, PROCESS_STATUS_SIZE, PartitionMode,
    PartitionStatusRecord, ProcessState, ProcessStatusRecord, Status,
};

/// A call with numbers for arguments, no pointer; `Ok([x1, x2, x3])`.
fn numbers(call: Call, args: [u64; 2]) -> Result<[u64; 3], Status> {
    // SAFETY: the process-management calls given here take numbers only;
    // one that stops or restarts the caller need not return, which safe
    // code may always expect.
    let [x0, x1, x2, x3] = unsafe { crate::hvc(call.id(), [args[0], args[1], 0, 0, 0, 0]) };
    check(x0).map(|()| [x1, x2, x3])
}

/// `SetPartitionMode` (`0xC600_000A`): ARINC 653 SET_PARTITION_MODE for the
/// caller's partition. `Normal` ends initialisation (`NoAction` if already
/// there); `ColdStart` and `WarmStart` restart the partition (memory
/// reloaded, or kept) and `Idle` stops it: those do not return.
pub fn set_partition_mode(mode: PartitionMode) -> Result<(), Status> {
    numbers(Call::SetPartitionMode, [mode as u64, 0]).map(|_| ())
}

/// `GetPartitionStatus` (`0xC600_000B`): every ARINC 653
/// GET_PARTITION_STATUS field of the caller's partition.
pub fn get_partition_status() -> Result<PartitionStatusRecord, Status> {
    let mut bytes = [0u8; PARTITION_STATUS_SIZE];
    // SAFETY: the call writes exactly PARTITION_STATUS_SIZE bytes at ptr,
    // our own live, exclusively borrowed array.
    let [x0, ..] = unsafe {
        crate::hvc(Call::GetPartitionStatus.id(), [bytes.as_mut_ptr() as u64, bytes.len() as u64, 0, 0, 0, 0])
    };
    check(x0)?;
    Ok(PartitionStatusRecord::from_bytes(&bytes))
}

/// `ProcessIdByName` (`0xC600_0040`): the index of the caller's thread
/// named `name` in the description (ARINC 653 GET_PROCESS_ID).
pub fn process_id(name: &str) -> Result<u32, Status> {
    // SAFETY: the call only reads `[ptr, ptr + len)`, the live `name`.
    let [x0, x1, ..] =
        unsafe { crate::hvc(Call::ProcessIdByName.id(), [name.as_ptr() as u64, name.len() as u64, 0, 0, 0, 0]) };
    check(x0)?;
    Ok(x1 as u32)
}

/// `ProcessStatus` (`0xC600_0041`): ARINC 653 GET_PROCESS_STATUS of
/// process `index` of the caller's partition.
pub fn process_status(index: u32) -> Result<ProcessStatusRecord, Status> {
    let mut bytes = [0u8; PROCESS_STATUS_SIZE];
    // SAFETY: the call writes exactly PROCESS_STATUS_SIZE bytes at ptr,
    // our own live, exclusively borrowed array.
    let [x0, ..] = unsafe {
        crate::hvc(Call::ProcessStatus.id(), [u64::from(index), bytes.as_mut_ptr() as u64, bytes.len() as u64, 0, 0, 0])
    };
    check(x0)?;
    Ok(ProcessStatusRecord::from_bytes(&bytes))
}

/// The state in a [`ProcessStatusRecord`], if the ABI defines it.
pub fn state_of(record: &ProcessStatusRecord) -> Option<ProcessState> {
    match record.state {
        0 => Some(ProcessState::Dormant),
        1 => Some(ProcessState::Ready),
        2 => Some(ProcessState::Running),
        3 => Some(ProcessState::Waiting),
        4 => Some(ProcessState::Suspended),
        _ => None,
    }
}

/// `StartProcess` (`0xC600_0042`): ARINC 653 START of a dormant process.
pub fn start(index: u32) -> Result<(), Status> {
    numbers(Call::StartProcess, [u64::from(index), 0]).map(|_| ())
}

/// `DelayedStartProcess` (`0xC600_0043`): ARINC 653 DELAYED_START.
pub fn delayed_start(index: u32, delay_ns: u64) -> Result<(), Status> {
    numbers(Call::DelayedStartProcess, [u64::from(index), delay_ns]).map(|_| ())
}

/// `StopProcess` (`0xC600_0044`): ARINC 653 STOP (`NoAction` if dormant).
/// The caller's own index is STOP_SELF: see [`stop_self`].
pub fn stop(index: u32) -> Result<(), Status> {
    numbers(Call::StopProcess, [u64::from(index), 0])?;
    // It leaves every intra-partition object's queue (ARINC 653 STOP).
    crate::intra::__forget_thread(index);
    Ok(())
}

/// ARINC 653 STOP_SELF: the caller becomes dormant; it runs again only
/// from its entry, if another process starts it.
pub fn stop_self(my_index: u32) -> ! {
    let _ = stop(my_index);
    // Not reached: the kernel does not return to a dormant thread.
    loop {
        core::hint::spin_loop();
    }
}

/// `SuspendProcess` (`0xC600_0045`): ARINC 653 SUSPEND of another process.
pub fn suspend(index: u32) -> Result<(), Status> {
    numbers(Call::SuspendProcess, [u64::from(index), 0]).map(|_| ())
}

/// `SuspendSelf` (`0xC600_0046`): ARINC 653 SUSPEND_SELF. `Ok` when another
/// process resumed it, `TimedOut` after `timeout_ns` ([`crate::INFINITE`]:
/// none).
pub fn suspend_self(timeout_ns: u64) -> Result<(), Status> {
    numbers(Call::SuspendSelf, [timeout_ns, 0]).map(|_| ())
}

/// `ResumeProcess` (`0xC600_0047`): ARINC 653 RESUME.
pub fn resume(index: u32) -> Result<(), Status> {
    numbers(Call::ResumeProcess, [u64::from(index), 0]).map(|_| ())
}

/// `SetProcessPriority` (`0xC600_0048`): ARINC 653 SET_PRIORITY.
pub fn set_priority(index: u32, priority: u8) -> Result<(), Status> {
    numbers(Call::SetProcessPriority, [u64::from(index), u64::from(priority)]).map(|_| ())
}

/// `LockPreemption` (`0xC600_0049`): ARINC 653 LOCK_PREEMPTION; the new
/// lock level.
pub fn lock_preemption() -> Result<u32, Status> {
    numbers(Call::LockPreemption, [0, 0]).map(|[l, ..]| l as u32)
}

/// `UnlockPreemption` (`0xC600_004A`): ARINC 653 UNLOCK_PREEMPTION; the new
/// lock level.
pub fn unlock_preemption() -> Result<u32, Status> {
    numbers(Call::UnlockPreemption, [0, 0]).map(|[l, ..]| l as u32)
}

/// `Replenish` (`0xC600_004B`): ARINC 653 REPLENISH; the new deadline, ns
/// since the epoch.
pub fn replenish(budget_ns: u64) -> Result<u64, Status> {
    numbers(Call::Replenish, [budget_ns, 0]).map(|[d, ..]| d)
}

/// `CreateErrorHandler` (`0xC600_004C`): make dormant process `index` the
/// partition's error handler (ARINC 653 CREATE_ERROR_HANDLER), during
/// initialisation. It is started, at priority 255, when another process
/// has an error; it reads the errors with [`get_error_status`], acts, and
/// stops itself ([`stop_self`]) when there are none.
pub fn create_error_handler(index: u32) -> Result<(), Status> {
    numbers(Call::CreateErrorHandler, [u64::from(index), 0]).map(|_| ())
}

/// `GetErrorStatus` (`0xC600_004D`): the oldest error queued for the
/// caller, the error handler (ARINC 653 GET_ERROR_STATUS), and how many are
/// still queued after it; `Err(NoAction)` when none is.
pub fn get_error_status() -> Result<(ErrorStatusRecord, u64), Status> {
    let mut bytes = [0u8; ERROR_STATUS_SIZE];
    // SAFETY: the call writes exactly ERROR_STATUS_SIZE bytes at ptr, our
    // own live, exclusively borrowed array.
    let [x0, x1, ..] =
        unsafe { crate::hvc(Call::GetErrorStatus.id(), [bytes.as_mut_ptr() as u64, bytes.len() as u64, 0, 0, 0, 0]) };
    check(x0)?;
    Ok((ErrorStatusRecord::from_bytes(&bytes), x1))
}

/// An entry function a process can be started at ([`start_at`]).
pub type Entry = fn(crate::ThreadInfo, u64) -> !;

/// `StartProcessAt` (`0xC600_004E`): ARINC 653 START of a dormant process
/// at an entry point the partition gives: the thread runs `entry(thread,
/// argument)` instead of the partition's main (as if created with that
/// entry). During initialisation it runs once the partition is `Normal`.
pub fn start_at(index: u32, entry: Entry, argument: u64) -> Result<(), Status> {
    // SAFETY: the call takes numbers; the entry address is checked by the
    // kernel to be an instruction of the caller's executable memory.
    let [x0, ..] =
        unsafe { crate::hvc(Call::StartProcessAt.id(), [u64::from(index), entry as usize as u64, argument, 0, 0, 0]) };
    check(x0)
}

/// The start-up code's question: was this thread started at an entry of
/// its own? Then that entry runs and this does not return.
#[doc(hidden)]
pub fn __enter_given(thread: crate::ThreadInfo, entry: u64, argument: u64) {
    if entry == 0 {
        return;
    }
    // SAFETY: `x4` is non-zero only for a thread started with
    // StartProcessAt, whose `entry` the partition's own code passed as an
    // `Entry` (`start_at`), and which the kernel checked is an instruction
    // of its executable memory. A partition that passes anything else with
    // the raw call jumps where it said, inside its own address space.
    let f: Entry = unsafe { core::mem::transmute::<usize, Entry>(entry as usize) };
    f(thread, argument)
}

/// ARINC 653 GET_MY_ID: the caller's process index (from `MyIds`).
pub fn my_id() -> Result<u32, Status> {
    crate::my_ids().map(|ids| ids.thread)
}

/// ARINC 653 GET_MY_PROCESSOR_CORE_ID: the core the caller runs on now
/// (from `MyIds`).
pub fn my_core() -> Result<u32, Status> {
    crate::my_ids().map(|ids| ids.core)
}
