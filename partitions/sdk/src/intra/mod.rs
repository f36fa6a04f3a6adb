//! ARINC 653 Part 1 intra-partition communication (§3.7.2): blackboards,
//! buffers, semaphores, events and mutexes, shared by the threads
//! (processes) of one partition, on one core or several.
//!
//! Sits in the SDK (`partitions/sdk/src/intra/`), in the partition's own
//! memory: the kernel knows nothing of these objects. Their one kernel
//! primitive is WaitWord/WakeWord ([`crate::word`]): a thread that must wait
//! sleeps on a word of its own, and the thread that serves it wakes that
//! word. The layout:
//!
//! - [`model`]: the pure decisions (waiter choice by discipline, the
//!   buffer's ring, names and arena, semaphore count, mutex ownership),
//!   host-tested, no `unsafe`;
//! - `system`: the one door to the kernel ([`System`], [`Kernel`]), which
//!   the host tests replace by a double on `std` threads;
//! - `objects`: storage, the per-object lock, the per-thread parking and
//!   the hand-off (its module doc tells how waiting works);
//! - one file per kind, each with its handle type ([`Blackboard`],
//!   [`Buffer`], [`Semaphore`], [`Event`], [`Mutex`]).
//!
//! ARINC rules kept: objects are created during initialisation only
//! (partition mode COLD_START or WARM_START, `InvalidMode` in NORMAL),
//! found by name (GET_*_ID), each with a status call; names of 1 to 30
//! bytes; timeouts in ns, 0 polls (`NotAvailable` where it would wait),
//! [`INFINITE`](bulkhead_abi::INFINITE) waits for ever, any other is a
//! deadline fixed at the call (wake-ups that come early do not extend it);
//! buffers, semaphores and mutexes serve their waiters FIFO or by
//! PRIORITY (FIFO among equals), blackboards and events release every
//! waiter; a process that owns a mutex may not wait on anything else
//! (`InvalidMode`).
//!
//! Limits: [`MAX_OBJECTS`] of each kind, [`ARENA_SIZE`] bytes for all the
//! messages of buffers and blackboards, threads 0..64. Running out is
//! `InvalidConfig`.
//!
//! A partition start creates its objects anew: the first creation after a
//! restart (the restart count of PartitionStatus changed; a warm restart
//! keeps memory) forgets every object of the previous start, and a look-up
//! by name before it finds nothing.
//!
//! ```ignore
//! use bulkhead_sdk::intra::{Buffer, Discipline, Semaphore};
//! // During initialisation (COLD_START):
//! let jobs = Buffer::create("jobs", 64, 8, Discipline::Fifo)?;
//! let ready = Semaphore::create("ready", 0, 1, Discipline::Priority)?;
//! // In any process, after NORMAL:
//! jobs.send(b"work", bulkhead_sdk::INFINITE)?;
//! let mut buf = [0u8; 64];
//! let len = jobs.receive(&mut buf, 5_000_000)?; // up to 5 ms
//! ready.signal()?;
//! ```

use bulkhead_abi::Status;

mod blackboard;
mod buffer;
mod event;
pub mod model;
mod mutex;
mod objects;
mod semaphore;
mod system;

#[cfg(test)]
mod tests;

pub use blackboard::{Blackboard, BlackboardStatus};
pub use buffer::{Buffer, BufferStatus, MAX_BUFFER_MESSAGES};
pub use event::{Event, EventStatus};
pub use model::counters::{MAX_LOCK_COUNT, MAX_SEMAPHORE_VALUE};
pub use model::registry::MAX_NAME;
pub use model::waiters::Discipline;
pub use mutex::{MAX_PRIORITY, Mutex, MutexStatus, process_mutex, set_priority};
pub use objects::{__at_entry, __forget_thread, ARENA_SIZE, MAX_OBJECTS, Objects};
pub use semaphore::{Semaphore, SemaphoreStatus};
pub use system::{Caller, Kernel, System};

/// The partition's objects. A static in `.bss`: the linker keeps it only
/// in images that use this module.
pub static OBJECTS: Objects = Objects::new();

/// ARINC 653 RETURN_CODE_TYPE, without NO_ERROR (that is `Ok`).
///
/// | variant | ARINC code | when |
/// | --- | --- | --- |
/// | `NoAction` | 1 NO_ACTION | a name already taken; SIGNAL_SEMAPHORE at the maximum |
/// | `NotAvailable` | 2 NOT_AVAILABLE | a call with timeout 0 that would wait |
/// | `InvalidParam` | 3 INVALID_PARAM | an id that names no object, a size or value out of range, a name of 0 or over 30 bytes, a deadline past the clock's range |
/// | `InvalidConfig` | 4 INVALID_CONFIG | no room (objects of a kind, the arena), a name not found (GET_*_ID), a mutex nested 16 deep; a kernel without the calls the objects need |
/// | `InvalidMode` | 5 INVALID_MODE | a creation in NORMAL; waiting while owning a mutex or with preemption locked; mutex calls the ownership forbids |
/// | `TimedOut` | 6 TIMED_OUT | the timeout passed |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Error {
    /// NO_ACTION: the request changes nothing.
    NoAction = 1,
    /// NOT_AVAILABLE: the resource is not there and the call may not wait.
    NotAvailable = 2,
    /// INVALID_PARAM.
    InvalidParam = 3,
    /// INVALID_CONFIG: beyond the configuration (limits, names).
    InvalidConfig = 4,
    /// INVALID_MODE: not allowed in the current mode or state.
    InvalidMode = 5,
    /// TIMED_OUT.
    TimedOut = 6,
}

impl Error {
    /// The ARINC 653 return code (1..=6).
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The error a failed kernel call means for an object call: the
    /// kernel's `TimedOut`, `InvalidMode`, `NoAction` and
    /// `InvalidParameter` are ARINC's codes of the same name; anything
    /// else (`NotSupported`: a kernel without WaitWord) is
    /// `InvalidConfig`.
    pub const fn from_status(status: Status) -> Error {
        match status {
            Status::TimedOut => Error::TimedOut,
            Status::InvalidMode => Error::InvalidMode,
            Status::NoAction => Error::NoAction,
            Status::InvalidParameter => Error::InvalidParam,
            _ => Error::InvalidConfig,
        }
    }
}
