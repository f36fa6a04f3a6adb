//! Blackboards (ARINC 653 Part 1 §3.7.2.2): one message, displayed until
//! cleared or displayed over. READ_BLACKBOARD copies it, or waits while the
//! blackboard is empty; DISPLAY_BLACKBOARD releases every waiting reader
//! (each gets the message copied into its buffer by the displayer).

use core::ops::Range;

use super::model::waiters::WaiterSet;
use super::objects::{Empty, Kind, Objects, area_mut};
use super::system::{Kernel, System};
use super::{Error, OBJECTS};

/// A blackboard's state (behind its lock); its message is in the arena at
/// `storage`.
pub(super) struct State {
    storage: Range<usize>,
    /// The message's length while one is displayed.
    shown: Option<usize>,
    waiters: WaiterSet,
}

impl Empty for State {
    const EMPTY: State = State { storage: 0..0, shown: None, waiters: WaiterSet::EMPTY };
}

/// ARINC 653 BLACKBOARD_STATUS_TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlackboardStatus {
    /// EMPTY_INDICATOR: no message displayed.
    pub empty: bool,
    /// MAX_MESSAGE_SIZE.
    pub max_message_size: u32,
    /// WAITING_PROCESSES.
    pub waiting: u32,
}

impl Objects {
    /// CREATE_BLACKBOARD (empty).
    pub fn blackboard_create<S: System>(&self, sys: &S, name: &str, max_message_size: u32) -> Result<u32, Error> {
        if max_message_size == 0 {
            return Err(Error::InvalidParam);
        }
        self.create(sys, Kind::Blackboard, &self.blackboards, name, max_message_size as usize, |storage| State {
            storage,
            shown: None,
            waiters: WaiterSet::EMPTY,
        })
    }

    /// DISPLAY_BLACKBOARD.
    pub fn blackboard_display<S: System>(&self, sys: &S, id: u32, message: &[u8]) -> Result<(), Error> {
        let slot = self.blackboards.get(id)?;
        let me = self.caller(sys)?;
        let woken = self.locked(sys, me, slot, |s| {
            if message.is_empty() || message.len() > s.storage.len() {
                return Err(Error::InvalidParam);
            }
            // SAFETY: the blackboard's lock is held; the range is its own.
            let storage = unsafe { self.storage(s.storage.clone()) };
            storage[..message.len()].copy_from_slice(message);
            s.shown = Some(message.len());
            let readers = self.take_all_live(&mut s.waiters);
            for t in readers.iter() {
                // SAFETY: `t` was in this blackboard's waiter set, whose
                // lock is held; its area is its read buffer, of at least
                // the maximum size (checked before it waited).
                let out = unsafe { area_mut(self.thread(t).area()) };
                out[..message.len()].copy_from_slice(message);
                self.grant(t, message.len());
            }
            Ok(readers)
        })??;
        self.wake_all(sys, woken);
        Ok(())
    }

    /// READ_BLACKBOARD into `buf` (at least the maximum message size).
    pub fn blackboard_read<S: System>(
        &self,
        sys: &S,
        id: u32,
        buf: &mut [u8],
        timeout_ns: u64,
    ) -> Result<usize, Error> {
        let slot = self.blackboards.get(id)?;
        let me = self.caller(sys)?;
        self.may_wait(me, timeout_ns)?;
        let deadline = self.deadline(sys, timeout_ns)?;
        let read = self.locked(sys, me, slot, |s| {
            if buf.len() < s.storage.len() {
                return Err(Error::InvalidParam);
            }
            if let Some(len) = s.shown {
                // SAFETY: the blackboard's lock is held.
                let storage = unsafe { self.storage(s.storage.clone()) };
                buf[..len].copy_from_slice(&storage[..len]);
                return Ok(Some(len));
            }
            if timeout_ns == 0 {
                return Err(Error::NotAvailable);
            }
            // The area is taken last: `buf` is not touched again until the
            // grant or the timeout (the displayer writes through the area).
            self.enqueue(me, &mut s.waiters, 0, (buf.as_mut_ptr() as usize, buf.len()));
            Ok(None)
        })??;
        match read {
            Some(len) => Ok(len),
            None => self.sleep(sys, me, slot, deadline, |s| {
                s.waiters.remove(me.thread);
            }),
        }
    }

    /// CLEAR_BLACKBOARD.
    pub fn blackboard_clear<S: System>(&self, sys: &S, id: u32) -> Result<(), Error> {
        let slot = self.blackboards.get(id)?;
        let me = self.caller(sys)?;
        self.locked(sys, me, slot, |s| s.shown = None)
    }

    /// GET_BLACKBOARD_STATUS.
    pub fn blackboard_status<S: System>(&self, sys: &S, id: u32) -> Result<BlackboardStatus, Error> {
        let slot = self.blackboards.get(id)?;
        let me = self.caller(sys)?;
        self.locked(sys, me, slot, |s| BlackboardStatus {
            empty: s.shown.is_none(),
            max_message_size: s.storage.len() as u32,
            waiting: self.live_len(&s.waiters),
        })
    }
}

/// A blackboard of the partition (ARINC 653 BLACKBOARD_ID_TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blackboard(u32);

impl Blackboard {
    /// CREATE_BLACKBOARD: an empty blackboard for messages of 1 to
    /// `max_message_size` bytes, taken from the arena. During
    /// initialisation only.
    pub fn create(name: &str, max_message_size: u32) -> Result<Blackboard, Error> {
        OBJECTS.blackboard_create(&Kernel, name, max_message_size).map(Blackboard)
    }

    /// GET_BLACKBOARD_ID: the blackboard named `name`.
    pub fn by_name(name: &str) -> Result<Blackboard, Error> {
        OBJECTS.find(&Kernel, Kind::Blackboard, name).map(Blackboard)
    }

    /// The blackboard of id `id` (checked at each call).
    pub const fn from_id(id: u32) -> Blackboard {
        Blackboard(id)
    }

    /// Its id (creation order among the partition's blackboards).
    pub const fn id(&self) -> u32 {
        self.0
    }

    /// DISPLAY_BLACKBOARD: shows `message` (1 to the maximum size bytes;
    /// `InvalidParam` otherwise) and releases every waiting reader.
    pub fn display(&self, message: &[u8]) -> Result<(), Error> {
        OBJECTS.blackboard_display(&Kernel, self.0, message)
    }

    /// READ_BLACKBOARD: copies the message into `buf` (at least the
    /// maximum size: `InvalidParam` otherwise) and returns its length,
    /// waiting up to `timeout_ns` while the blackboard is empty (0:
    /// `NotAvailable`; `TimedOut`).
    pub fn read(&self, buf: &mut [u8], timeout_ns: u64) -> Result<usize, Error> {
        OBJECTS.blackboard_read(&Kernel, self.0, buf, timeout_ns)
    }

    /// CLEAR_BLACKBOARD: empty again.
    pub fn clear(&self) -> Result<(), Error> {
        OBJECTS.blackboard_clear(&Kernel, self.0)
    }

    /// GET_BLACKBOARD_STATUS.
    pub fn status(&self) -> Result<BlackboardStatus, Error> {
        OBJECTS.blackboard_status(&Kernel, self.0)
    }
}
