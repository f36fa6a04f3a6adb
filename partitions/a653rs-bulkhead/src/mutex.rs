//! a653rs `mutex` traits for [`crate::BulkheadHypervisor`]: ARINC 653
//! Part 1 §3.7.2.5 on the SDK's priority-ceiling mutexes
//! (`bulkhead_sdk::intra`). Process ids as process.rs numbers them
//! (`process_id`: thread 0 is MAIN_PROCESS_ID, thread `i` is `i`).

mod apex {
    use a653rs::bindings::{
        ApexMutexP1, ApexSystemTime, ErrorReturnCode, LockCount, MAIN_PROCESS_ID, MutexId, MutexName, MutexState,
        MutexStatus, NO_MUTEX_OWNED, NULL_PROCESS_ID, PREEMPTION_LOCK_MUTEX, Priority, ProcessId, QueuingDiscipline,
    };
    use bulkhead_sdk::intra::{self, Mutex};

    use crate::BulkheadHypervisor;
    use crate::convert::objects::{arinc, discipline, name};
    use crate::convert::timeout;

    /// The process id of thread `index`, as process.rs numbers them:
    /// thread 0 (the main process) is MAIN_PROCESS_ID (-1), thread `i` ≥ 1
    /// is `i` (0 is NULL_PROCESS_ID).
    fn process_id(thread: u32) -> ProcessId {
        if thread == 0 { MAIN_PROCESS_ID } else { ProcessId::from(thread) }
    }

    /// The thread index of a process id (see [`process_id`]); INVALID_PARAM
    /// for NULL_PROCESS_ID or an impossible one.
    fn thread(process: ProcessId) -> Result<u32, ErrorReturnCode> {
        match process {
            MAIN_PROCESS_ID => Ok(0),
            p if p > 0 => u32::try_from(p).map_err(|_| ErrorReturnCode::InvalidParam),
            _ => Err(ErrorReturnCode::InvalidParam),
        }
    }

    /// A mutex id; PREEMPTION_LOCK_MUTEX and every other negative or too large
    /// value name no mutex of the SDK (INVALID_PARAM).
    fn mutex(raw: MutexId) -> Result<Mutex, ErrorReturnCode> {
        u32::try_from(raw).map(Mutex::from_id).map_err(|_| ErrorReturnCode::InvalidParam)
    }

    impl ApexMutexP1 for BulkheadHypervisor {
        fn create_mutex(
            mutex_name: MutexName,
            mutex_priority: Priority,
            queuing_discipline: QueuingDiscipline,
        ) -> Result<MutexId, ErrorReturnCode> {
            // The kernel's priorities are 0..=255 (larger is more urgent).
            let priority = u32::try_from(mutex_priority).map_err(|_| ErrorReturnCode::InvalidParam)?;
            let m = Mutex::create(name(&mutex_name)?, priority, discipline(queuing_discipline)).map_err(arinc)?;
            Ok(MutexId::from(m.id()))
        }

        fn acquire_mutex(mutex_id: MutexId, time_out: ApexSystemTime) -> Result<(), ErrorReturnCode> {
            mutex(mutex_id)?.acquire(timeout(time_out)?).map_err(arinc)
        }

        fn release_mutex(mutex_id: MutexId) -> Result<(), ErrorReturnCode> {
            mutex(mutex_id)?.release().map_err(arinc)
        }

        fn reset_mutex(mutex_id: MutexId, process_id: ProcessId) -> Result<(), ErrorReturnCode> {
            mutex(mutex_id)?.reset(thread(process_id)?).map_err(arinc)
        }

        fn get_mutex_id(mutex_name: MutexName) -> Result<MutexId, ErrorReturnCode> {
            let name = name(&mutex_name).map_err(|_| ErrorReturnCode::InvalidConfig)?;
            Ok(MutexId::from(Mutex::by_name(name).map_err(arinc)?.id()))
        }

        fn get_mutex_status(mutex_id: MutexId) -> Result<MutexStatus, ErrorReturnCode> {
            let s = mutex(mutex_id)?.status().map_err(arinc)?;
            Ok(MutexStatus {
                mutex_owner: s.owner.map_or(NULL_PROCESS_ID, process_id),
                mutex_state: if s.owner.is_some() { MutexState::Owned } else { MutexState::Available },
                mutex_priority: s.priority as Priority,
                lock_count: s.lock_count as LockCount,
                waiting_processes: s.waiting as i32,
            })
        }

        fn get_process_mutex_state(process_id: ProcessId) -> Result<MutexId, ErrorReturnCode> {
            let t = thread(process_id)?;
            if let Some(m) = intra::process_mutex(t).map_err(arinc)? {
                return Ok(MutexId::from(m.id()));
            }
            // The preemption lock counts as a mutex (PREEMPTION_LOCK_MUTEX) for
            // the caller: the kernel reports the lock level of the caller's
            // core only, so another process's is not known here.
            let me = bulkhead_sdk::process::my_id().map_err(|_| ErrorReturnCode::InvalidConfig)?;
            if me == t && bulkhead_sdk::process::get_partition_status().is_ok_and(|s| s.lock_level > 0) {
                return Ok(PREEMPTION_LOCK_MUTEX);
            }
            Ok(NO_MUTEX_OWNED)
        }
    }
}
