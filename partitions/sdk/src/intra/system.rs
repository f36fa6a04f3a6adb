//! The one door between the intra-partition objects and the kernel: the
//! few calls they make (who calls, the time, priorities, the partition's
//! mode, waiting on a word and waking it), as a trait. [`Kernel`] makes
//! them as hypercalls; the host tests drive the same objects with a double
//! of it on `std` threads.

use core::sync::atomic::AtomicU32;

use bulkhead_abi::{PartitionMode, Status, WakeOrder};

/// The calling thread: its index in the partition. (Its core, needed on
/// one rare path only, is asked for there: [`System::core_of`].)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// Its index in the partition (ARINC process id).
    pub thread: u32,
}

/// What the objects need of the kernel.
pub trait System {
    /// The calling thread (the kernel's: `thread_index()`, no hypercall).
    fn caller(&self) -> Result<Caller, Status>;
    /// Now, ns since the module epoch (GetTime).
    fn now_ns(&self) -> Result<u64, Status>;
    /// The current priority of a thread of the partition (ProcessStatus).
    fn priority_of(&self, thread: u32) -> Result<u32, Status>;
    /// The core a thread of the partition is placed on (ProcessStatus).
    fn core_of(&self, thread: u32) -> Result<u32, Status>;
    /// Sets a thread's current priority (SetProcessPriority).
    fn set_priority(&self, thread: u32, priority: u32) -> Result<(), Status>;
    /// The partition's operating mode and its restart count
    /// (PartitionStatus).
    fn partition(&self) -> Result<(Option<PartitionMode>, u64), Status>;
    /// Sleeps while `word` holds `expected` (WaitWord).
    fn wait(&self, word: &AtomicU32, expected: u32, timeout_ns: u64) -> Result<(), Status>;
    /// Wakes up to `count` of `word`'s waiters (WakeWord).
    fn wake(&self, word: &AtomicU32, count: u64, order: WakeOrder) -> Result<u64, Status>;
    /// Lets another core make progress while this one spins (only with
    /// preemption locked, when the caller may not sleep).
    fn relax(&self) {
        core::hint::spin_loop();
    }
}

/// The Bulkhead kernel, through hypercalls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Kernel;

impl System for Kernel {
    fn caller(&self) -> Result<Caller, Status> {
        // The start-up code's copy of the index: no hypercall.
        Ok(Caller { thread: crate::thread_index() })
    }

    fn now_ns(&self) -> Result<u64, Status> {
        crate::time().map(|t| t.now_ns)
    }

    fn priority_of(&self, thread: u32) -> Result<u32, Status> {
        crate::process::process_status(thread).map(|s| s.current_priority)
    }

    fn core_of(&self, thread: u32) -> Result<u32, Status> {
        crate::process::process_status(thread).map(|s| s.core)
    }

    fn set_priority(&self, thread: u32, priority: u32) -> Result<(), Status> {
        let priority = u8::try_from(priority).map_err(|_| Status::InvalidParameter)?;
        crate::process::set_priority(thread, priority)
    }

    fn partition(&self) -> Result<(Option<PartitionMode>, u64), Status> {
        crate::partition_status().map(|s| (s.mode(), s.restarts))
    }

    fn wait(&self, word: &AtomicU32, expected: u32, timeout_ns: u64) -> Result<(), Status> {
        crate::word::wait(word, expected, timeout_ns)
    }

    fn wake(&self, word: &AtomicU32, count: u64, order: WakeOrder) -> Result<u64, Status> {
        crate::word::wake(word, count, order)
    }

    fn relax(&self) {
        crate::wait_for_event();
    }
}
