//! The state of Bulkhead's interpartition channels (ARINC 653 Part 1
//! sampling and queuing ports), over storage the kernel sets aside at boot:
//! pure logic, no locks, no time source and no partition memory, so every
//! rule is tested on the host. The kernel (`kernel/src/module/ports.rs`)
//! holds each channel under a lock, copies messages in from and out to
//! partition memory, and blocks and wakes threads.
//!
//! Sizes are fixed at boot from the system image: a sampling channel keeps
//! one message of at most its `message_size`, a queuing channel a ring of
//! `depth` slots of that size, each with its length. [`storage_bytes`] is
//! what a channel takes from the kernel's pool ([`POOL_SIZE`]); the host
//! tool refuses a description whose channels need more.
#![no_std]
#![forbid(unsafe_code)]

/// Largest message of any channel, bytes: what one port call copies at
/// most with interrupts masked.
pub const MAX_MESSAGE_SIZE: u32 = 8192;
/// Deepest queue, messages.
pub const MAX_QUEUE_DEPTH: u32 = 1024;
/// Bytes the kernel sets aside for the messages of all channels.
pub const POOL_SIZE: usize = 256 * 1024;
/// Channels the kernel supports.
pub const MAX_CHANNELS: usize = 64;
/// Channel ends (ports) the kernel supports, all channels together.
pub const MAX_PORTS: usize = 128;

/// Bytes of a slot's length header.
const LEN_BYTES: usize = 4;

/// A slot: length header then the message, rounded up to 8 bytes so
/// every slot starts aligned.
fn slot_bytes(message_size: u32) -> usize {
    (LEN_BYTES + message_size as usize).next_multiple_of(8)
}

/// The kind of a channel and its kind's parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One message, overwritten by each write; valid while younger than
    /// the refresh period.
    Sampling { refresh_period: u64 },
    /// A FIFO of `depth` messages.
    Queuing { depth: u32 },
}

impl From<bulkhead_image::ChannelKind> for Kind {
    /// A channel's kind as the system image gives it.
    fn from(kind: bulkhead_image::ChannelKind) -> Kind {
        match kind {
            bulkhead_image::ChannelKind::Sampling { refresh_period_ns } => {
                Kind::Sampling { refresh_period: refresh_period_ns }
            }
            bulkhead_image::ChannelKind::Queuing { depth } => Kind::Queuing { depth },
        }
    }
}

/// Why a channel's parameters are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitError {
    /// `message_size` is 0 or over [`MAX_MESSAGE_SIZE`].
    MessageSize(u32),
    /// `depth` is 0 or over [`MAX_QUEUE_DEPTH`].
    Depth(u32),
}

/// Bytes of storage a channel of this kind and message size takes from
/// the pool, or why the kernel refuses it.
pub fn storage_bytes(kind: Kind, message_size: u32) -> Result<usize, LimitError> {
    if message_size == 0 || message_size > MAX_MESSAGE_SIZE {
        return Err(LimitError::MessageSize(message_size));
    }
    match kind {
        Kind::Sampling { .. } => Ok(slot_bytes(message_size)),
        Kind::Queuing { depth } if depth == 0 || depth > MAX_QUEUE_DEPTH => Err(LimitError::Depth(depth)),
        Kind::Queuing { depth } => Ok(slot_bytes(message_size) * depth as usize),
    }
}

/// Why a message was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Longer than the channel's message size (nothing is truncated).
    TooLong,
    /// The queue is full.
    Full,
}

/// A channel's state: what it holds and what it has refused. The bytes
/// live in the storage slice the caller passes to every method (the one
/// [`Channel::new`] was sized for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel {
    kind: Kind,
    message_size: u32,
    /// Sampling: the instant of the last write, if any. Queuing: unused.
    written_at: Option<u64>,
    /// Queuing: index of the oldest message and number held.
    head: u32,
    count: u32,
    /// Queuing: sends refused because the queue was full.
    overflows: u64,
}

/// What a read of a sampling channel found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Bytes of the message.
    pub len: usize,
    /// Time since it was written (`now - written_at`, 0 if `now` is earlier).
    pub age: u64,
    /// Whether its age is within the refresh period (ARINC 653 VALIDITY).
    pub valid: bool,
}

impl Channel {
    /// An empty channel; its storage must be [`storage_bytes`] long.
    pub fn new(kind: Kind, message_size: u32) -> Result<Channel, LimitError> {
        storage_bytes(kind, message_size)?;
        Ok(Channel { kind, message_size, written_at: None, head: 0, count: 0, overflows: 0 })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn message_size(&self) -> u32 {
        self.message_size
    }

    /// Messages held: a queue's count; 1 for a sampling channel once written.
    pub fn messages(&self) -> u32 {
        match self.kind {
            Kind::Sampling { .. } => u32::from(self.written_at.is_some()),
            Kind::Queuing { .. } => self.count,
        }
    }

    /// Sends a queue refused because it was full (0 for sampling).
    pub fn overflows(&self) -> u64 {
        self.overflows
    }

    /// Whether a queue has no room (never for sampling: a write replaces).
    pub fn is_full(&self) -> bool {
        matches!(self.kind, Kind::Queuing { depth } if self.count == depth)
    }

    /// Where slot `index` lies in the storage.
    fn slot(&self, index: u32) -> core::ops::Range<usize> {
        let size = slot_bytes(self.message_size);
        let at = index as usize * size;
        at..at + size
    }

    /// Puts a message of `len` bytes, whose bytes `fill` writes into the
    /// slice it is given (exactly `len` long): a sampling channel's
    /// message is replaced and stamped `now`; a queue's is appended. A
    /// message longer than the channel's size is refused, as is one for a
    /// full queue, which counts an overflow unless `count_overflow` is
    /// false (a sender that will wait for room has not been refused yet).
    pub fn put(
        &mut self,
        storage: &mut [u8],
        len: usize,
        now: u64,
        count_overflow: bool,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<(), SendError> {
        if len > self.message_size as usize {
            return Err(SendError::TooLong);
        }
        let index = match self.kind {
            Kind::Sampling { .. } => 0,
            Kind::Queuing { depth } => {
                if self.count == depth {
                    if count_overflow {
                        self.overflows = self.overflows.saturating_add(1);
                    }
                    return Err(SendError::Full);
                }
                (self.head + self.count) % depth
            }
        };
        let slot = &mut storage[self.slot(index)];
        slot[..LEN_BYTES].copy_from_slice(&(len as u32).to_le_bytes());
        fill(&mut slot[LEN_BYTES..LEN_BYTES + len]);
        match self.kind {
            Kind::Sampling { .. } => self.written_at = Some(now),
            Kind::Queuing { .. } => self.count += 1,
        }
        Ok(())
    }

    /// The message a read would take: a sampling channel's latest (with
    /// its age and validity at `now`), or a queue's oldest; `None` if
    /// there is none. `take` gets its bytes.
    pub fn peek<R>(&self, storage: &[u8], now: u64, take: impl FnOnce(&[u8], Sample) -> R) -> Option<R> {
        let (index, age, valid) = match self.kind {
            Kind::Sampling { refresh_period } => {
                let written = self.written_at?;
                let age = now.saturating_sub(written);
                (0, age, age <= refresh_period)
            }
            Kind::Queuing { .. } if self.count == 0 => return None,
            Kind::Queuing { .. } => (self.head, 0, true),
        };
        let slot = &storage[self.slot(index)];
        let len = (u32::from_le_bytes([slot[0], slot[1], slot[2], slot[3]]) as usize).min(slot.len() - LEN_BYTES);
        Some(take(&slot[LEN_BYTES..LEN_BYTES + len], Sample { len, age, valid }))
    }

    /// Drops a queue's oldest message (after [`Channel::peek`] took it);
    /// nothing for a sampling channel, whose message stays until replaced.
    pub fn pop(&mut self) {
        if let Kind::Queuing { depth } = self.kind
            && self.count > 0
        {
            self.head = (self.head + 1) % depth;
            self.count -= 1;
        }
    }
}
