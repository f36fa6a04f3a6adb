//! a653rs `process` traits for [`crate::BulkheadHypervisor`]: ARINC 653
//! Part 1 section 3.3.2 on the kernel's process calls.
//!
//! A process is a thread of the description (`[[partition.thread]]`).
//! CREATE_PROCESS finds the thread of the process's name and checks the
//! attributes the description fixes ([`crate::check::process_attributes`]);
//! START runs it at its entry point through the SDK's StartProcessAt and
//! [`process_entry`]. Process ids: thread `i` (`i` ≥ 1) is process `i`,
//! thread 0, the main process that runs the start-up, `MAIN_PROCESS_ID`
//! ([`crate::convert::process_id`]).

use a653rs::bindings::{
    ApexProcessAttribute, ApexProcessP1, ApexProcessP4, ApexProcessStatus, ApexSystemTime, CORE_AFFINITY_NO_PREFERENCE,
    Deadline, ErrorReturnCode, LockLevel, Priority, ProcessId, ProcessIndex, ProcessName, ProcessState,
    ProcessorCoreId,
};
use bulkhead_sdk::process::{self as sdk, state_of};
use bulkhead_sdk::{ProcessStatusRecord, Status, ThreadInfo};

use crate::BulkheadHypervisor;
use crate::convert::{name_str, process_id, returned, system_time, thread_index, timeout};
use crate::table;

/// The caller's thread index.
fn me() -> Result<u32, ErrorReturnCode> {
    returned(sdk::my_id())
}

/// The thread of process `id`: the main process, or one the application
/// created. Anything else, the error handler included (it has no process
/// id in ARINC 653), is INVALID_PARAM ("PROCESS_ID does not identify an
/// existing process").
fn existing(id: ProcessId) -> Result<u32, ErrorReturnCode> {
    let index = thread_index(id).ok_or(ErrorReturnCode::InvalidParam)?;
    if index != 0 && table::process(index).is_none_or(|p| p.error_handler) {
        return Err(ErrorReturnCode::InvalidParam);
    }
    Ok(index)
}

/// An existing process other than the caller (STOP, SUSPEND, RESUME of
/// the current process are INVALID_PARAM).
fn other(id: ProcessId) -> Result<u32, ErrorReturnCode> {
    let index = existing(id)?;
    if index == me()? {
        return Err(ErrorReturnCode::InvalidParam);
    }
    Ok(index)
}

/// The kernel's record of thread `index`.
fn status_of(index: u32) -> Result<ProcessStatusRecord, ErrorReturnCode> {
    returned(sdk::process_status(index))
}

/// Whether the caller's partition is initialising (COLD_START or
/// WARM_START); an error if the kernel cannot say.
fn initialising() -> Result<bool, ErrorReturnCode> {
    crate::partition::initialising().map(|(init, _)| init).ok_or(ErrorReturnCode::NotAvailable)
}

/// Where StartProcessAt enters a process started by [`ApexProcessP4::start`].
fn started_at(thread: ThreadInfo, _argument: u64) -> ! {
    process_entry(thread)
}

/// Runs the entry point of the caller's process, then stops it (a process
/// whose entry point returns is done: STOP_SELF). Entered from
/// StartProcessAt, and from the start-up glue ([`crate::entry!`]) for a
/// process the kernel starts at the image's entry: a DELAYED_START, the
/// error handler, a health monitor's `restart_process`. A thread of no
/// process says so on its console and stops.
pub fn process_entry(thread: ThreadInfo) -> ! {
    match table::entry(thread.index) {
        Some(entry) => entry(),
        None => bulkhead_sdk::println!(
            "a653rs-bulkhead: thread {} was started but is no a653rs process (no CREATE_PROCESS of its name): stopping it",
            thread.index
        ),
    }
    sdk::stop_self(thread.index)
}

impl ApexProcessP4 for BulkheadHypervisor {
    /// CREATE_PROCESS: during initialisation only (else INVALID_MODE), of
    /// a thread of the description with the process's name (else
    /// INVALID_CONFIG), not thread 0 (the main process itself:
    /// INVALID_CONFIG), whose period, deadline and priority the attributes
    /// match (else INVALID_CONFIG, INVALID_PARAM for ARINC's range
    /// checks); a second create of it is NO_ACTION. A refusal is printed
    /// with what differs.
    fn create_process(attributes: &ApexProcessAttribute) -> Result<ProcessId, ErrorReturnCode> {
        let (init, restarts) = crate::partition::initialising().ok_or(ErrorReturnCode::NotAvailable)?;
        if !init {
            return Err(ErrorReturnCode::InvalidMode);
        }
        table::begin(restarts);
        let Some(name) = name_str(&attributes.name) else {
            bulkhead_sdk::println!("a653rs-bulkhead: CREATE_PROCESS: a name no thread can have (InvalidConfig)");
            return Err(ErrorReturnCode::InvalidConfig);
        };
        let Ok(index) = sdk::process_id(name) else {
            bulkhead_sdk::println!(
                "a653rs-bulkhead: CREATE_PROCESS {name}: no thread of that name in the description (InvalidConfig)"
            );
            return Err(ErrorReturnCode::InvalidConfig);
        };
        if index == 0 {
            bulkhead_sdk::println!(
                "a653rs-bulkhead: CREATE_PROCESS {name}: thread 0 is the main process (InvalidConfig)"
            );
            return Err(ErrorReturnCode::InvalidConfig);
        }
        if table::process(index).is_some() {
            return Err(ErrorReturnCode::NoAction);
        }
        let thread = status_of(index)?;
        if let Err(refusal) = crate::check::process_attributes(attributes, &thread) {
            bulkhead_sdk::println!("a653rs-bulkhead: CREATE_PROCESS {name}: {refusal}");
            return Err(refusal.code);
        }
        table::record_process(index, attributes);
        Ok(process_id(index))
    }

    /// START: a dormant process runs from its entry point (during
    /// initialisation, once the partition is NORMAL). Not dormant:
    /// NO_ACTION; the main process or one not created: INVALID_PARAM.
    fn start(process_id: ProcessId) -> Result<(), ErrorReturnCode> {
        let index = existing(process_id)?;
        if index == 0 {
            return Err(ErrorReturnCode::InvalidParam);
        }
        sdk::start_at(index, started_at, 0).map_err(|s| match s {
            Status::InvalidMode | Status::NoAction => ErrorReturnCode::NoAction,
            other => crate::convert::return_code(other),
        })
    }
}

impl ApexProcessP1 for BulkheadHypervisor {
    /// SET_PRIORITY: 0..=255 (else INVALID_PARAM); a dormant process is
    /// INVALID_MODE.
    fn set_priority(process_id: ProcessId, priority: Priority) -> Result<(), ErrorReturnCode> {
        let index = existing(process_id)?;
        let priority = u32::try_from(priority).map_err(|_| ErrorReturnCode::InvalidParam)?;
        // Through the SDK's mutexes: a mutex owner stays at the ceiling
        // and takes the new priority when it releases (ARINC 653).
        bulkhead_sdk::intra::set_priority(index, priority).map_err(crate::convert::objects::arinc)
    }

    /// SUSPEND_SELF: a time-out of 0 returns at once (NO_ERROR); INFINITE
    /// waits for a RESUME; TIMED_OUT when the time-out expires first;
    /// INVALID_MODE with the preemption lock held.
    fn suspend_self(time_out: ApexSystemTime) -> Result<(), ErrorReturnCode> {
        if time_out == 0 {
            return Ok(());
        }
        returned(sdk::suspend_self(timeout(time_out)?))
    }

    /// SUSPEND of another process: INVALID_MODE if it is dormant,
    /// NO_ACTION if it is suspended already.
    fn suspend(process_id: ProcessId) -> Result<(), ErrorReturnCode> {
        let index = other(process_id)?;
        sdk::suspend(index).map_err(|s| match s {
            Status::InvalidMode
                if status_of(index).ok().and_then(|r| state_of(&r)) == Some(bulkhead_sdk::ProcessState::Suspended) =>
            {
                ErrorReturnCode::NoAction
            }
            other => crate::convert::return_code(other),
        })
    }

    /// RESUME of another process: INVALID_MODE if it is dormant,
    /// NO_ACTION if it is not suspended.
    fn resume(process_id: ProcessId) -> Result<(), ErrorReturnCode> {
        let index = other(process_id)?;
        sdk::resume(index).map_err(|s| match s {
            Status::InvalidMode
                if status_of(index).ok().and_then(|r| state_of(&r)) != Some(bulkhead_sdk::ProcessState::Dormant) =>
            {
                ErrorReturnCode::NoAction
            }
            other => crate::convert::return_code(other),
        })
    }

    /// STOP_SELF: the caller becomes dormant; does not return.
    fn stop_self() {
        if let Ok(index) = sdk::my_id() {
            sdk::stop_self(index);
        }
    }

    /// STOP of another process: NO_ACTION if it is dormant.
    fn stop(process_id: ProcessId) -> Result<(), ErrorReturnCode> {
        let index = other(process_id)?;
        returned(sdk::stop(index))
    }

    /// DELAYED_START: as START, ready `delay_time` later. A negative
    /// (INFINITE) delay, or one not shorter than a periodic process's
    /// period, is INVALID_PARAM. The kernel starts the thread at the
    /// image's entry: the start-up glue ([`crate::entry!`]) runs its
    /// entry point.
    fn delayed_start(process_id: ProcessId, delay_time: ApexSystemTime) -> Result<(), ErrorReturnCode> {
        let index = existing(process_id)?;
        if index == 0 || delay_time < 0 {
            return Err(ErrorReturnCode::InvalidParam);
        }
        if let Some(p) = table::process(index)
            && p.attributes.period > 0
            && delay_time >= p.attributes.period
        {
            return Err(ErrorReturnCode::InvalidParam);
        }
        sdk::delayed_start(index, delay_time as u64).map_err(|s| match s {
            Status::InvalidMode | Status::NoAction => ErrorReturnCode::NoAction,
            other => crate::convert::return_code(other),
        })
    }

    /// LOCK_PREEMPTION of the caller's core: the new level. Outside NORMAL
    /// or from the error handler NO_ACTION; at the maximum level (16)
    /// INVALID_CONFIG.
    fn lock_preemption() -> Result<LockLevel, ErrorReturnCode> {
        if initialising()? || is_error_handler()? {
            return Err(ErrorReturnCode::NoAction);
        }
        sdk::lock_preemption().map(|l| l as LockLevel).map_err(|s| match s {
            Status::InvalidMode => ErrorReturnCode::InvalidConfig,
            other => crate::convert::return_code(other),
        })
    }

    /// UNLOCK_PREEMPTION: the new level; NO_ACTION outside NORMAL, from
    /// the error handler, or with no lock held.
    fn unlock_preemption() -> Result<LockLevel, ErrorReturnCode> {
        if initialising()? || is_error_handler()? {
            return Err(ErrorReturnCode::NoAction);
        }
        returned(sdk::unlock_preemption()).map(|l| l as LockLevel)
    }

    /// GET_MY_ID: the caller's process id (`MAIN_PROCESS_ID` for the main
    /// process).
    fn get_my_id() -> Result<ProcessId, ErrorReturnCode> {
        me().map(process_id)
    }

    /// GET_PROCESS_ID: the id of the created process of that name; a name
    /// of no created process is INVALID_CONFIG.
    fn get_process_id(process_name: ProcessName) -> Result<ProcessId, ErrorReturnCode> {
        let name = name_str(&process_name).ok_or(ErrorReturnCode::InvalidConfig)?;
        let index = sdk::process_id(name).map_err(|_| ErrorReturnCode::InvalidConfig)?;
        match table::process(index) {
            Some(p) if !p.error_handler => Ok(process_id(index)),
            _ => Err(ErrorReturnCode::InvalidConfig),
        }
    }

    /// GET_PROCESS_STATUS: the kernel's state, deadline and current
    /// priority with the attributes the process was created with. The
    /// main process's attributes are those of its thread (aperiodic, no
    /// name, no entry point of its own). Bulkhead's SUSPENDED is
    /// WAITING, as in ARINC 653.
    fn get_process_status(process_id: ProcessId) -> Result<ApexProcessStatus, ErrorReturnCode> {
        let index = existing(process_id)?;
        let record = status_of(index)?;
        let attributes = match table::process(index) {
            Some(p) => p.attributes,
            None => ApexProcessAttribute {
                period: a653rs::bindings::INFINITE_TIME_VALUE,
                time_capacity: system_time(record.time_capacity_ns),
                entry_point: no_entry_point,
                stack_size: 0,
                base_priority: record.base_priority as Priority,
                deadline: Deadline::Soft,
                name: [0; 32],
            },
        };
        let process_state = match state_of(&record) {
            Some(bulkhead_sdk::ProcessState::Ready) => ProcessState::Ready,
            Some(bulkhead_sdk::ProcessState::Running) => ProcessState::Running,
            Some(bulkhead_sdk::ProcessState::Waiting | bulkhead_sdk::ProcessState::Suspended) => ProcessState::Waiting,
            Some(bulkhead_sdk::ProcessState::Dormant) | None => ProcessState::Dormant,
        };
        Ok(ApexProcessStatus {
            deadline_time: system_time(record.deadline_ns),
            current_priority: record.current_priority as Priority,
            process_state,
            attributes,
        })
    }

    /// INITIALIZE_PROCESS_CORE_AFFINITY, during initialisation (else
    /// INVALID_MODE): a thread's core is the description's (`core`), so
    /// that core or `CORE_AFFINITY_NO_PREFERENCE` is accepted and any
    /// other INVALID_CONFIG.
    fn initialize_process_core_affinity(
        process_id: ProcessId,
        processor_core_id: ProcessorCoreId,
    ) -> Result<(), ErrorReturnCode> {
        let index = existing(process_id)?;
        if !initialising()? {
            return Err(ErrorReturnCode::InvalidMode);
        }
        let core = status_of(index)?.core;
        if processor_core_id == CORE_AFFINITY_NO_PREFERENCE || processor_core_id == core as ProcessorCoreId {
            return Ok(());
        }
        bulkhead_sdk::println!(
            "a653rs-bulkhead: INITIALIZE_PROCESS_CORE_AFFINITY {index}: core {processor_core_id}, the description says {core} (InvalidConfig)"
        );
        Err(ErrorReturnCode::InvalidConfig)
    }

    /// GET_MY_PROCESSOR_CORE_ID: the core the caller runs on.
    fn get_my_processor_core_id() -> ProcessorCoreId {
        sdk::my_core().map_or(CORE_AFFINITY_NO_PREFERENCE, |c| c as ProcessorCoreId)
    }

    /// GET_MY_INDEX: the caller's thread index in the partition (its
    /// declaration order in the description; 0 for the main process).
    fn get_my_index() -> Result<ProcessIndex, ErrorReturnCode> {
        me().map(|i| i as ProcessIndex)
    }
}

/// Whether the caller is the partition's error handler.
pub(crate) fn is_error_handler() -> Result<bool, ErrorReturnCode> {
    let index = me()?;
    Ok(table::process(index).is_some_and(|p| p.error_handler))
}

/// The entry point GET_PROCESS_STATUS reports for the main process,
/// which has none of its own (a653rs's `SystemAddress` cannot be null).
extern "C" fn no_entry_point() {}
