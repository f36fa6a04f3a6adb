//! Mutexes (ARINC 653 Part 1 §3.7.2.5), with the standard's priority
//! ceiling: each mutex has a priority, and its owner runs at it.
//!
//! ACQUIRE_MUTEX by a process whose current priority is above the
//! mutex's is refused (INVALID_MODE); otherwise the new owner's current
//! priority is kept (its *retained* priority) and raised to the mutex's
//! with the kernel's SetProcessPriority, and RELEASE_MUTEX (at lock count
//! 0) or RESET_MUTEX puts it back. Why the ceiling and not inheritance:
//! it is what ARINC 653 specifies, it needs no look at the waiters'
//! priorities when they change, and while the owner runs at the ceiling
//! no other process that uses the mutex can preempt it on its core, so
//! the owner is never preempted by a contender it would block.
//!
//! A process owns at most one mutex at a time (INVALID_MODE for another)
//! and may nest the one it owns up to 16 deep (INVALID_CONFIG beyond). A
//! release hands the mutex to the waiter its discipline chooses: the new
//! owner is set, and raised to the ceiling, before it wakes.
//!
//! SET_PRIORITY of an owner: ARINC changes its retained priority and
//! leaves it at the ceiling. The kernel's SetProcessPriority does not know
//! about mutexes, so use [`set_priority`] of this module, which does that,
//! instead of `process::set_priority` for a process that may own one.

use super::model::counters::{Acquire, Ownership, Release};
use super::model::waiters::{Discipline, MAX_THREADS, WaiterSet};
use super::objects::{Empty, Kind, Objects};
use super::system::{Caller, Kernel, System};
use super::{Error, OBJECTS};

/// A mutex's state (behind its lock).
pub(super) struct State {
    own: Ownership,
    discipline: Discipline,
    waiters: WaiterSet,
}

impl Empty for State {
    const EMPTY: State = State { own: Ownership::new(0), discipline: Discipline::Fifo, waiters: WaiterSet::EMPTY };
}

/// ARINC 653 MUTEX_STATUS_TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MutexStatus {
    /// MUTEX_OWNER (`None`: the mutex is AVAILABLE).
    pub owner: Option<u32>,
    /// MUTEX_PRIORITY: the ceiling.
    pub priority: u32,
    /// LOCK_COUNT.
    pub lock_count: u32,
    /// WAITING_PROCESSES.
    pub waiting: u32,
}

/// The highest priority the kernel knows (SetProcessPriority takes 0..=255).
pub const MAX_PRIORITY: u32 = 255;

impl Objects {
    /// CREATE_MUTEX.
    pub fn mutex_create<S: System>(
        &self,
        sys: &S,
        name: &str,
        priority: u32,
        discipline: Discipline,
    ) -> Result<u32, Error> {
        if priority > MAX_PRIORITY {
            return Err(Error::InvalidParam);
        }
        self.create(sys, Kind::Mutex, &self.mutexes, name, 0, |_| State {
            own: Ownership::new(priority),
            discipline,
            waiters: WaiterSet::EMPTY,
        })
    }

    /// ACQUIRE_MUTEX.
    pub fn mutex_acquire<S: System>(&self, sys: &S, id: u32, timeout_ns: u64) -> Result<(), Error> {
        let slot = self.mutexes.get(id)?;
        let me = self.caller(sys)?;
        if self.thread(me.thread).owned_mutex().is_some_and(|m| m != id) {
            return Err(Error::InvalidMode);
        }
        let priority = sys.priority_of(me.thread).map_err(Error::from_status)?;
        let deadline = self.deadline(sys, timeout_ns)?;
        let must_wait = self.locked(sys, me, slot, |s| match s.own.acquire(me.thread, priority) {
            Acquire::Taken => {
                self.thread(me.thread).set_owned_mutex(Some(id));
                // Raised under the lock: nothing sees it owned at the old
                // priority.
                let _ = sys.set_priority(me.thread, s.own.ceiling());
                Ok(false)
            }
            Acquire::Nested => Ok(false),
            Acquire::TooDeep => Err(Error::InvalidConfig),
            Acquire::AboveCeiling => Err(Error::InvalidMode),
            Acquire::Busy if timeout_ns == 0 => Err(Error::NotAvailable),
            Acquire::Busy => {
                self.enqueue(me, &mut s.waiters, priority, (0, 0));
                Ok(true)
            }
        })??;
        if must_wait {
            // Granted: the releaser made us the owner and raised us.
            self.sleep(sys, me, slot, deadline, |s| {
                s.waiters.remove(me.thread);
            })?;
        }
        Ok(())
    }

    /// Hands the mutex `id` (just freed) to its next waiter, under its
    /// lock: the owner set and raised to the ceiling, then granted. The
    /// waiter to wake once the lock is dropped.
    fn hand_on<S: System>(&self, sys: &S, id: u32, s: &mut State) -> Option<u32> {
        let t = self.take_next_live(&mut s.waiters, s.discipline)?;
        let record = self.thread(t);
        s.own.give(t, record.priority());
        record.set_owned_mutex(Some(id));
        let _ = sys.set_priority(t, s.own.ceiling());
        self.grant(t, 0);
        Some(t)
    }

    /// After a mutex changed hands: wake the new owner, then put the old
    /// one back at its retained priority (in this order, so that lowering
    /// the old owner cannot let another process run before the new owner
    /// is ready).
    fn after_hand_on<S: System>(&self, sys: &S, old: u32, retained: u32, new: Option<u32>) {
        if let Some(t) = new {
            self.wake(sys, t);
        }
        // A dormant old owner (RESET_MUTEX after a STOP) has no current
        // priority to restore: the kernel says InvalidMode, nothing to do.
        let _ = sys.set_priority(old, retained);
    }

    /// RELEASE_MUTEX.
    pub fn mutex_release<S: System>(&self, sys: &S, id: u32) -> Result<(), Error> {
        let slot = self.mutexes.get(id)?;
        let me = self.caller(sys)?;
        let freed = self.locked(sys, me, slot, |s| match s.own.release(me.thread) {
            Release::NotOwner => Err(Error::InvalidMode),
            Release::StillHeld => Ok(None),
            Release::Freed { retained } => {
                self.thread(me.thread).set_owned_mutex(None);
                Ok(Some((retained, self.hand_on(sys, id, s))))
            }
        })??;
        if let Some((retained, next)) = freed {
            self.after_hand_on(sys, me.thread, retained, next);
        }
        Ok(())
    }

    /// RESET_MUTEX: `thread`'s ownership of the mutex ends, whatever its
    /// lock count (for an error handler recovering a mutex from a stopped
    /// or failed process).
    pub fn mutex_reset<S: System>(&self, sys: &S, id: u32, thread: u32) -> Result<(), Error> {
        let slot = self.mutexes.get(id)?;
        if thread as usize >= MAX_THREADS {
            return Err(Error::InvalidParam);
        }
        sys.priority_of(thread).map_err(|_| Error::InvalidParam)?;
        let me = self.caller(sys)?;
        let (retained, next) = self.locked(sys, me, slot, |s| match s.own.reset(thread) {
            None => Err(Error::InvalidMode),
            Some(retained) => {
                self.thread(thread).set_owned_mutex(None);
                Ok((retained, self.hand_on(sys, id, s)))
            }
        })??;
        self.after_hand_on(sys, thread, retained, next);
        Ok(())
    }

    /// GET_MUTEX_STATUS.
    pub fn mutex_status<S: System>(&self, sys: &S, id: u32) -> Result<MutexStatus, Error> {
        let slot = self.mutexes.get(id)?;
        let me = self.caller(sys)?;
        self.locked(sys, me, slot, |s| MutexStatus {
            owner: s.own.owner(),
            priority: s.own.ceiling(),
            lock_count: s.own.lock_count(),
            waiting: self.live_len(&s.waiters),
        })
    }

    /// GET_PROCESS_MUTEX_STATE: the mutex `thread` owns, if any
    /// (`InvalidParam` for no such process).
    pub fn process_mutex<S: System>(&self, sys: &S, thread: u32) -> Result<Option<u32>, Error> {
        if thread as usize >= MAX_THREADS {
            return Err(Error::InvalidParam);
        }
        sys.priority_of(thread).map_err(|_| Error::InvalidParam)?;
        Ok(self.thread(thread).owned_mutex())
    }

    /// SET_PRIORITY that knows about mutexes: an owner keeps running at its
    /// mutex's ceiling and `priority` becomes the one it goes back to.
    pub fn set_process_priority<S: System>(&self, sys: &S, thread: u32, priority: u32) -> Result<(), Error> {
        if priority > MAX_PRIORITY || thread as usize >= MAX_THREADS {
            return Err(Error::InvalidParam);
        }
        if let Some(id) = self.thread(thread).owned_mutex() {
            let slot = self.mutexes.get(id)?;
            let me: Caller = self.caller(sys)?;
            let still = self.locked(sys, me, slot, |s| {
                if s.own.owner() == Some(thread) {
                    s.own.give_retained(priority);
                    true
                } else {
                    false
                }
            })?;
            if still {
                return Ok(());
            }
        }
        sys.set_priority(thread, priority).map_err(Error::from_status)
    }
}

/// A mutex of the partition (ARINC 653 MUTEX_ID_TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mutex(u32);

impl Mutex {
    /// CREATE_MUTEX: a free mutex of priority (ceiling) `priority`
    /// (0..=255, larger is more urgent), waiters served by `discipline`.
    /// During initialisation only.
    pub fn create(name: &str, priority: u32, discipline: Discipline) -> Result<Mutex, Error> {
        OBJECTS.mutex_create(&Kernel, name, priority, discipline).map(Mutex)
    }

    /// GET_MUTEX_ID: the mutex named `name`.
    pub fn by_name(name: &str) -> Result<Mutex, Error> {
        OBJECTS.find(&Kernel, Kind::Mutex, name).map(Mutex)
    }

    /// The mutex of id `id` (checked at each call).
    pub const fn from_id(id: u32) -> Mutex {
        Mutex(id)
    }

    /// Its id (creation order among the partition's mutexes).
    pub const fn id(&self) -> u32 {
        self.0
    }

    /// ACQUIRE_MUTEX: owns it (raised to its priority), or one level
    /// deeper if the caller owns it already, waiting up to `timeout_ns`
    /// while another process owns it (0: `NotAvailable`; `TimedOut`).
    /// `InvalidMode` if the caller owns another mutex or its priority is
    /// above the mutex's; `InvalidConfig` 16 levels deep.
    pub fn acquire(&self, timeout_ns: u64) -> Result<(), Error> {
        OBJECTS.mutex_acquire(&Kernel, self.0, timeout_ns)
    }

    /// RELEASE_MUTEX: one level less; at 0 the caller goes back to its
    /// retained priority and the next waiter owns it. `InvalidMode` if the
    /// caller does not own it.
    pub fn release(&self) -> Result<(), Error> {
        OBJECTS.mutex_release(&Kernel, self.0)
    }

    /// RESET_MUTEX: process `thread` no longer owns it (`InvalidMode` if it
    /// did not); the next waiter does.
    pub fn reset(&self, thread: u32) -> Result<(), Error> {
        OBJECTS.mutex_reset(&Kernel, self.0, thread)
    }

    /// GET_MUTEX_STATUS.
    pub fn status(&self) -> Result<MutexStatus, Error> {
        OBJECTS.mutex_status(&Kernel, self.0)
    }
}

/// GET_PROCESS_MUTEX_STATE: the mutex process `thread` owns, if any.
pub fn process_mutex(thread: u32) -> Result<Option<Mutex>, Error> {
    OBJECTS.process_mutex(&Kernel, thread).map(|m| m.map(Mutex))
}

/// SET_PRIORITY as ARINC 653 defines it with mutexes: for a process that
/// owns a mutex, `priority` becomes its retained priority (it stays at the
/// ceiling until the release); for any other, the kernel's
/// SetProcessPriority.
pub fn set_priority(thread: u32, priority: u32) -> Result<(), Error> {
    OBJECTS.set_process_priority(&Kernel, thread, priority)
}
