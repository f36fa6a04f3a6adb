//! Buffers (ARINC 653 Part 1 §3.7.2.1): a bounded FIFO of messages between
//! the partition's processes. SEND_BUFFER to a full buffer and
//! RECEIVE_BUFFER from an empty one wait, served in the buffer's
//! discipline: a send to an empty buffer with receivers waiting copies the
//! message straight into the chosen receiver's buffer; a receive from a
//! full buffer with senders waiting moves the chosen sender's message in
//! behind the others.

use core::ops::Range;

use super::model::ring::Ring;
use super::model::waiters::{Discipline, WaiterSet};
use super::objects::{Empty, Kind, Objects, area_mut, area_ref};
use super::system::{Kernel, System};
use super::{Error, OBJECTS};

/// A buffer's state (behind its lock); its messages are in the arena at
/// `storage`.
pub(super) struct State {
    storage: Range<usize>,
    ring: Ring,
    discipline: Discipline,
    /// Threads waiting to send (only while the ring is full).
    senders: WaiterSet,
    /// Threads waiting to receive (only while it is empty).
    receivers: WaiterSet,
}

impl Empty for State {
    const EMPTY: State = State {
        storage: 0..0,
        ring: Ring::new(0, 0),
        discipline: Discipline::Fifo,
        senders: WaiterSet::EMPTY,
        receivers: WaiterSet::EMPTY,
    };
}

/// ARINC 653 BUFFER_STATUS_TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferStatus {
    /// NB_MESSAGE.
    pub messages: u32,
    /// MAX_NB_MESSAGE.
    pub max_messages: u32,
    /// MAX_MESSAGE_SIZE.
    pub max_message_size: u32,
    /// WAITING_PROCESSES (senders or receivers).
    pub waiting: u32,
}

/// Messages a buffer may hold at most (ARINC 653 SYSTEM_LIMIT_NUMBER_OF_MESSAGES).
pub const MAX_BUFFER_MESSAGES: u32 = 512;

impl Objects {
    /// CREATE_BUFFER.
    pub fn buffer_create<S: System>(
        &self,
        sys: &S,
        name: &str,
        max_message_size: u32,
        max_messages: u32,
        discipline: Discipline,
    ) -> Result<u32, Error> {
        if max_message_size == 0 || max_messages == 0 || max_messages > MAX_BUFFER_MESSAGES {
            return Err(Error::InvalidParam);
        }
        let bytes = Ring::storage_bytes(max_messages, max_message_size).ok_or(Error::InvalidConfig)?;
        self.create(sys, Kind::Buffer, &self.buffers, name, bytes, |storage| State {
            storage,
            ring: Ring::new(max_messages, max_message_size),
            discipline,
            senders: WaiterSet::EMPTY,
            receivers: WaiterSet::EMPTY,
        })
    }

    /// SEND_BUFFER.
    pub fn buffer_send<S: System>(&self, sys: &S, id: u32, message: &[u8], timeout_ns: u64) -> Result<(), Error> {
        let slot = self.buffers.get(id)?;
        let me = self.caller(sys)?;
        self.may_wait(me, timeout_ns)?;
        let deadline = self.deadline(sys, timeout_ns)?;
        let area = (message.as_ptr() as usize, message.len());
        let step = self.locked(sys, me, slot, |s| {
            if message.is_empty() || message.len() > s.ring.max_message() as usize {
                return Err(Error::InvalidParam);
            }
            if let Some(t) = self.take_next_live(&mut s.receivers, s.discipline) {
                // SAFETY: `t` was in this buffer's receiver set, whose
                // lock is held; its area is its receive buffer, of at
                // least the maximum size (checked before it waited).
                let out = unsafe { area_mut(self.thread(t).area()) };
                out[..message.len()].copy_from_slice(message);
                self.grant(t, message.len());
                return Ok(Some(t));
            }
            // SAFETY: the buffer's lock is held; the range is its own.
            if s.ring.push(unsafe { self.storage(s.storage.clone()) }, message) {
                return Ok(None);
            }
            if timeout_ns == 0 {
                return Err(Error::NotAvailable);
            }
            let priority = match s.discipline {
                Discipline::Priority => sys.priority_of(me.thread).map_err(Error::from_status)?,
                Discipline::Fifo => 0,
            };
            self.enqueue(me, &mut s.senders, priority, area);
            Ok(Some(me.thread))
        })??;
        match step {
            Some(t) if t == me.thread => {
                self.sleep(sys, me, slot, deadline, |s| {
                    s.senders.remove(me.thread);
                })?;
            }
            Some(t) => self.wake(sys, t),
            None => {}
        }
        Ok(())
    }

    /// RECEIVE_BUFFER into `buf` (at least the maximum message size).
    pub fn buffer_receive<S: System>(&self, sys: &S, id: u32, buf: &mut [u8], timeout_ns: u64) -> Result<usize, Error> {
        let slot = self.buffers.get(id)?;
        let me = self.caller(sys)?;
        self.may_wait(me, timeout_ns)?;
        let deadline = self.deadline(sys, timeout_ns)?;
        // Ok((received length, sender to wake)) or Err(()) to wait.
        let step = self.locked(sys, me, slot, |s| {
            if buf.len() < s.ring.max_message() as usize {
                return Err(Error::InvalidParam);
            }
            // SAFETY: the buffer's lock is held; the range is its own.
            let storage = unsafe { self.storage(s.storage.clone()) };
            if let Some(len) = s.ring.pop(storage, buf) {
                let sender = self.take_next_live(&mut s.senders, s.discipline);
                if let Some(t) = sender {
                    // SAFETY: `t` was in this buffer's sender set, whose
                    // lock is held; its area is the message it sends,
                    // checked to fit before it waited.
                    let message = unsafe { area_ref(self.thread(t).area()) };
                    let pushed = s.ring.push(storage, message);
                    debug_assert!(pushed, "a slot was just freed");
                    self.grant(t, 0);
                }
                return Ok(Ok((len, sender)));
            }
            if timeout_ns == 0 {
                return Err(Error::NotAvailable);
            }
            let priority = match s.discipline {
                Discipline::Priority => sys.priority_of(me.thread).map_err(Error::from_status)?,
                Discipline::Fifo => 0,
            };
            // The area is taken last: `buf` is not touched again until the
            // grant or the timeout (the server writes through the area).
            self.enqueue(me, &mut s.receivers, priority, (buf.as_mut_ptr() as usize, buf.len()));
            Ok(Err(()))
        })??;
        match step {
            Ok((len, sender)) => {
                if let Some(t) = sender {
                    self.wake(sys, t);
                }
                Ok(len)
            }
            Err(()) => self.sleep(sys, me, slot, deadline, |s| {
                s.receivers.remove(me.thread);
            }),
        }
    }

    /// GET_BUFFER_STATUS.
    pub fn buffer_status<S: System>(&self, sys: &S, id: u32) -> Result<BufferStatus, Error> {
        let slot = self.buffers.get(id)?;
        let me = self.caller(sys)?;
        self.locked(sys, me, slot, |s| BufferStatus {
            messages: s.ring.len(),
            max_messages: s.ring.capacity(),
            max_message_size: s.ring.max_message(),
            waiting: self.live_len(&s.senders) + self.live_len(&s.receivers),
        })
    }
}

/// A buffer of the partition (ARINC 653 BUFFER_ID_TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buffer(u32);

impl Buffer {
    /// CREATE_BUFFER: room for `max_messages` (1 to 512) messages of 1 to
    /// `max_message_size` bytes, from the arena (each slot takes the
    /// message size + 4 bytes); waiters served by `discipline`. During
    /// initialisation only.
    pub fn create(
        name: &str,
        max_message_size: u32,
        max_messages: u32,
        discipline: Discipline,
    ) -> Result<Buffer, Error> {
        OBJECTS.buffer_create(&Kernel, name, max_message_size, max_messages, discipline).map(Buffer)
    }

    /// GET_BUFFER_ID: the buffer named `name`.
    pub fn by_name(name: &str) -> Result<Buffer, Error> {
        OBJECTS.find(&Kernel, Kind::Buffer, name).map(Buffer)
    }

    /// The buffer of id `id` (checked at each call).
    pub const fn from_id(id: u32) -> Buffer {
        Buffer(id)
    }

    /// Its id (creation order among the partition's buffers).
    pub const fn id(&self) -> u32 {
        self.0
    }

    /// SEND_BUFFER: queues `message` (1 to the maximum size bytes),
    /// waiting up to `timeout_ns` while the buffer is full (0:
    /// `NotAvailable`; `TimedOut`).
    pub fn send(&self, message: &[u8], timeout_ns: u64) -> Result<(), Error> {
        OBJECTS.buffer_send(&Kernel, self.0, message, timeout_ns)
    }

    /// RECEIVE_BUFFER: the oldest message, copied into `buf` (at least the
    /// maximum size), waiting up to `timeout_ns` while the buffer is empty.
    pub fn receive(&self, buf: &mut [u8], timeout_ns: u64) -> Result<usize, Error> {
        OBJECTS.buffer_receive(&Kernel, self.0, buf, timeout_ns)
    }

    /// GET_BUFFER_STATUS.
    pub fn status(&self) -> Result<BufferStatus, Error> {
        OBJECTS.buffer_status(&Kernel, self.0)
    }
}
