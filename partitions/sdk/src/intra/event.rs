//! Events (ARINC 653 Part 1 §3.7.2.4): a flag, UP or DOWN. SET_EVENT puts
//! it UP and releases every waiter; RESET_EVENT puts it DOWN; WAIT_EVENT
//! returns at once while it is UP, else waits for a SET_EVENT.

use super::model::waiters::WaiterSet;
use super::objects::{Empty, Kind, Objects};
use super::system::{Kernel, System};
use super::{Error, OBJECTS};

/// An event's state (behind its lock).
pub(super) struct State {
    up: bool,
    waiters: WaiterSet,
}

impl Empty for State {
    const EMPTY: State = State { up: false, waiters: WaiterSet::EMPTY };
}

/// ARINC 653 EVENT_STATUS_TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventStatus {
    /// EVENT_STATE: UP (`true`) or DOWN.
    pub up: bool,
    /// WAITING_PROCESSES.
    pub waiting: u32,
}

impl Objects {
    /// CREATE_EVENT (DOWN).
    pub fn event_create<S: System>(&self, sys: &S, name: &str) -> Result<u32, Error> {
        self.create(sys, Kind::Event, &self.events, name, 0, |_| State { up: false, waiters: WaiterSet::EMPTY })
    }

    /// SET_EVENT.
    pub fn event_set<S: System>(&self, sys: &S, id: u32) -> Result<(), Error> {
        let slot = self.events.get(id)?;
        let me = self.caller(sys)?;
        let woken = self.locked(sys, me, slot, |s| {
            s.up = true;
            let all = self.take_all_live(&mut s.waiters);
            for t in all.iter() {
                self.grant(t, 0);
            }
            all
        })?;
        self.wake_all(sys, woken);
        Ok(())
    }

    /// RESET_EVENT.
    pub fn event_reset<S: System>(&self, sys: &S, id: u32) -> Result<(), Error> {
        let slot = self.events.get(id)?;
        let me = self.caller(sys)?;
        self.locked(sys, me, slot, |s| s.up = false)
    }

    /// WAIT_EVENT.
    pub fn event_wait<S: System>(&self, sys: &S, id: u32, timeout_ns: u64) -> Result<(), Error> {
        let slot = self.events.get(id)?;
        let me = self.caller(sys)?;
        self.may_wait(me, timeout_ns)?;
        let deadline = self.deadline(sys, timeout_ns)?;
        let must_wait = self.locked(sys, me, slot, |s| {
            if s.up {
                return Ok(false);
            }
            if timeout_ns == 0 {
                return Err(Error::NotAvailable);
            }
            self.enqueue(me, &mut s.waiters, 0, (0, 0));
            Ok(true)
        })??;
        if must_wait {
            self.sleep(sys, me, slot, deadline, |s| {
                s.waiters.remove(me.thread);
            })?;
        }
        Ok(())
    }

    /// GET_EVENT_STATUS.
    pub fn event_status<S: System>(&self, sys: &S, id: u32) -> Result<EventStatus, Error> {
        let slot = self.events.get(id)?;
        let me = self.caller(sys)?;
        self.locked(sys, me, slot, |s| EventStatus { up: s.up, waiting: self.live_len(&s.waiters) })
    }
}

/// An event of the partition (ARINC 653 EVENT_ID_TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event(u32);

impl Event {
    /// CREATE_EVENT: an event, DOWN. During initialisation only.
    pub fn create(name: &str) -> Result<Event, Error> {
        OBJECTS.event_create(&Kernel, name).map(Event)
    }

    /// GET_EVENT_ID: the event named `name`.
    pub fn by_name(name: &str) -> Result<Event, Error> {
        OBJECTS.find(&Kernel, Kind::Event, name).map(Event)
    }

    /// The event of id `id` (checked at each call).
    pub const fn from_id(id: u32) -> Event {
        Event(id)
    }

    /// Its id (creation order among the partition's events).
    pub const fn id(&self) -> u32 {
        self.0
    }

    /// SET_EVENT: UP, and every waiter released.
    pub fn set(&self) -> Result<(), Error> {
        OBJECTS.event_set(&Kernel, self.0)
    }

    /// RESET_EVENT: DOWN.
    pub fn reset(&self) -> Result<(), Error> {
        OBJECTS.event_reset(&Kernel, self.0)
    }

    /// WAIT_EVENT: returns while UP, else waits up to `timeout_ns` for a
    /// SET_EVENT (0: `NotAvailable`; `TimedOut`).
    pub fn wait(&self, timeout_ns: u64) -> Result<(), Error> {
        OBJECTS.event_wait(&Kernel, self.0, timeout_ns)
    }

    /// GET_EVENT_STATUS.
    pub fn status(&self) -> Result<EventStatus, Error> {
        OBJECTS.event_status(&Kernel, self.0)
    }
}
