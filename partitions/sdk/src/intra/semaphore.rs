//! Counting semaphores (ARINC 653 Part 1 §3.7.2.3): WAIT_SEMAPHORE takes a
//! unit or waits for one, SIGNAL_SEMAPHORE hands its unit to the waiter the
//! discipline chooses, or counts it up to the maximum.

use super::model::counters::{Count, Signal};
use super::model::waiters::{Discipline, WaiterSet};
use super::objects::{Empty, Kind, Objects};
use super::system::{Kernel, System};
use super::{Error, OBJECTS};

/// A semaphore's state (behind its lock).
pub(super) struct State {
    count: Count,
    discipline: Discipline,
    waiters: WaiterSet,
}

impl Empty for State {
    const EMPTY: State = State {
        count: match Count::new(0, 0) {
            Some(c) => c,
            None => unreachable!(),
        },
        discipline: Discipline::Fifo,
        waiters: WaiterSet::EMPTY,
    };
}

/// ARINC 653 SEMAPHORE_STATUS_TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemaphoreStatus {
    /// CURRENT_VALUE.
    pub value: u32,
    /// MAXIMUM_VALUE.
    pub maximum: u32,
    /// WAITING_PROCESSES.
    pub waiting: u32,
}

impl Objects {
    /// CREATE_SEMAPHORE.
    pub fn semaphore_create<S: System>(
        &self,
        sys: &S,
        name: &str,
        value: u32,
        maximum: u32,
        discipline: Discipline,
    ) -> Result<u32, Error> {
        let count = Count::new(value, maximum).ok_or(Error::InvalidParam)?;
        self.create(sys, Kind::Semaphore, &self.semaphores, name, 0, |_| State {
            count,
            discipline,
            waiters: WaiterSet::EMPTY,
        })
    }

    /// WAIT_SEMAPHORE.
    pub fn semaphore_wait<S: System>(&self, sys: &S, id: u32, timeout_ns: u64) -> Result<(), Error> {
        let slot = self.semaphores.get(id)?;
        let me = self.caller(sys)?;
        self.may_wait(me, timeout_ns)?;
        let deadline = self.deadline(sys, timeout_ns)?;
        let must_wait = self.locked(sys, me, slot, |s| {
            if s.count.take() {
                return Ok(false);
            }
            if timeout_ns == 0 {
                return Err(Error::NotAvailable);
            }
            let priority = match s.discipline {
                Discipline::Priority => sys.priority_of(me.thread).map_err(Error::from_status)?,
                Discipline::Fifo => 0,
            };
            self.enqueue(me, &mut s.waiters, priority, (0, 0));
            Ok(true)
        })??;
        if must_wait {
            self.sleep(sys, me, slot, deadline, |s| {
                s.waiters.remove(me.thread);
            })?;
        }
        Ok(())
    }

    /// SIGNAL_SEMAPHORE.
    pub fn semaphore_signal<S: System>(&self, sys: &S, id: u32) -> Result<(), Error> {
        let slot = self.semaphores.get(id)?;
        let me = self.caller(sys)?;
        let served = self.locked(sys, me, slot, |s| {
            // A dead waiter (stopped, restarted) gets no unit.
            self.purge(&mut s.waiters);
            match s.count.signal(!s.waiters.is_empty()) {
                Signal::AtMaximum => Err(Error::NoAction),
                Signal::Counted => Ok(None),
                Signal::HandOff => match self.take_next_live(&mut s.waiters, s.discipline) {
                    Some(t) => {
                        self.grant(t, 0);
                        Ok(Some(t))
                    }
                    // Every waiter died since the purge: the unit is
                    // counted instead.
                    None => match s.count.signal(false) {
                        Signal::AtMaximum => Err(Error::NoAction),
                        _ => Ok(None),
                    },
                },
            }
        })??;
        if let Some(t) = served {
            self.wake(sys, t);
        }
        Ok(())
    }

    /// GET_SEMAPHORE_STATUS.
    pub fn semaphore_status<S: System>(&self, sys: &S, id: u32) -> Result<SemaphoreStatus, Error> {
        let slot = self.semaphores.get(id)?;
        let me = self.caller(sys)?;
        self.locked(sys, me, slot, |s| SemaphoreStatus {
            value: s.count.value(),
            maximum: s.count.maximum(),
            waiting: self.live_len(&s.waiters),
        })
    }
}

/// A counting semaphore of the partition (ARINC 653 SEMAPHORE_ID_TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Semaphore(u32);

impl Semaphore {
    /// CREATE_SEMAPHORE: a semaphore at `value` (at most `maximum`, at most
    /// 32767), its waiters served by `discipline`. During initialisation
    /// only.
    pub fn create(name: &str, value: u32, maximum: u32, discipline: Discipline) -> Result<Semaphore, Error> {
        OBJECTS.semaphore_create(&Kernel, name, value, maximum, discipline).map(Semaphore)
    }

    /// GET_SEMAPHORE_ID: the semaphore named `name`.
    pub fn by_name(name: &str) -> Result<Semaphore, Error> {
        OBJECTS.find(&Kernel, Kind::Semaphore, name).map(Semaphore)
    }

    /// The semaphore of id `id` (checked at each call: `InvalidParam` if
    /// none).
    pub const fn from_id(id: u32) -> Semaphore {
        Semaphore(id)
    }

    /// Its id (creation order among the partition's semaphores).
    pub const fn id(&self) -> u32 {
        self.0
    }

    /// WAIT_SEMAPHORE: takes a unit, waiting up to `timeout_ns` for one (0:
    /// `NotAvailable` at once; [`INFINITE`](bulkhead_abi::INFINITE): for
    /// ever; `TimedOut`).
    pub fn wait(&self, timeout_ns: u64) -> Result<(), Error> {
        OBJECTS.semaphore_wait(&Kernel, self.0, timeout_ns)
    }

    /// SIGNAL_SEMAPHORE: gives a unit to the next waiter, or counts it
    /// (`NoAction` at the maximum).
    pub fn signal(&self) -> Result<(), Error> {
        OBJECTS.semaphore_signal(&Kernel, self.0)
    }

    /// GET_SEMAPHORE_STATUS.
    pub fn status(&self) -> Result<SemaphoreStatus, Error> {
        OBJECTS.semaphore_status(&Kernel, self.0)
    }
}
