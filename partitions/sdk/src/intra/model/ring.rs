//! A buffer's messages (ARINC 653 Part 1 §3.7.2.1): a bounded FIFO of
//! `capacity` messages of at most `max_message` bytes each, in a byte slice
//! the object was given from the arena. Each slot is the message's length
//! (4 bytes, little endian) and then `max_message` bytes.
#![forbid(unsafe_code)]

/// Bytes of a slot's length field.
const LEN_BYTES: usize = 4;

/// The FIFO's bookkeeping; the bytes live in the slice each call is given
/// (always the same one, of [`Ring::storage_bytes`] bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ring {
    head: u32,
    len: u32,
    capacity: u32,
    max_message: u32,
}

impl Ring {
    /// An empty ring for `capacity` messages of at most `max_message`
    /// bytes.
    pub const fn new(capacity: u32, max_message: u32) -> Ring {
        Ring { head: 0, len: 0, capacity, max_message }
    }

    /// Bytes of storage a ring of that shape needs; `None` if it overflows
    /// `usize`.
    pub fn storage_bytes(capacity: u32, max_message: u32) -> Option<usize> {
        (max_message as usize).checked_add(LEN_BYTES)?.checked_mul(capacity as usize)
    }

    /// Messages held (ARINC NB_MESSAGE).
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether it holds `capacity` messages.
    pub fn is_full(&self) -> bool {
        self.len == self.capacity
    }

    /// Messages it can hold (ARINC MAX_NB_MESSAGE).
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// The longest message (ARINC MAX_MESSAGE_SIZE).
    pub fn max_message(&self) -> u32 {
        self.max_message
    }

    fn slot(&self, index: u32) -> core::ops::Range<usize> {
        let size = self.max_message as usize + LEN_BYTES;
        let at = (index % self.capacity) as usize * size;
        at..at + size
    }

    /// Appends `message` (at most `max_message` bytes); `false`, changing
    /// nothing, if the ring is full or the message too long.
    pub fn push(&mut self, storage: &mut [u8], message: &[u8]) -> bool {
        if self.is_full() || message.len() > self.max_message as usize {
            return false;
        }
        let slot = &mut storage[self.slot(self.head + self.len)];
        slot[..LEN_BYTES].copy_from_slice(&(message.len() as u32).to_le_bytes());
        slot[LEN_BYTES..LEN_BYTES + message.len()].copy_from_slice(message);
        self.len += 1;
        true
    }

    /// Takes the oldest message into `out` (at least its length; the
    /// objects pass `max_message` bytes) and returns its length; `None` if
    /// the ring is empty or `out` too short for it (then nothing changes).
    pub fn pop(&mut self, storage: &[u8], out: &mut [u8]) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        let slot = &storage[self.slot(self.head)];
        let mut len = [0u8; LEN_BYTES];
        len.copy_from_slice(&slot[..LEN_BYTES]);
        let len = u32::from_le_bytes(len) as usize;
        out.get_mut(..len)?.copy_from_slice(&slot[LEN_BYTES..LEN_BYTES + len]);
        self.head = (self.head + 1) % self.capacity;
        self.len -= 1;
        Some(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn messages_come_out_in_order_with_their_lengths() {
        let mut r = Ring::new(2, 5);
        let mut mem = vec![0u8; Ring::storage_bytes(2, 5).unwrap()];
        assert!(r.push(&mut mem, b"ab"));
        assert!(r.push(&mut mem, b""));
        assert!(!r.push(&mut mem, b"x"), "full");
        let mut out = [0u8; 5];
        assert_eq!(r.pop(&mem, &mut out), Some(2));
        assert_eq!(&out[..2], b"ab");
        assert!(r.push(&mut mem, b"12345"));
        assert!(!r.push(&mut mem, b"123456"), "full anyway");
        assert_eq!(r.pop(&mem, &mut out), Some(0));
        assert_eq!(r.pop(&mem, &mut out), Some(5));
        assert_eq!(&out, b"12345");
        assert_eq!(r.pop(&mem, &mut out), None);
    }

    #[test]
    fn a_message_over_the_size_is_refused() {
        let mut r = Ring::new(4, 3);
        let mut mem = vec![0u8; Ring::storage_bytes(4, 3).unwrap()];
        assert!(!r.push(&mut mem, b"four"));
        assert!(r.is_empty());
    }

    #[test]
    fn storage_size_overflow_is_none() {
        assert_eq!(Ring::storage_bytes(u32::MAX, u32::MAX), None);
        assert_eq!(Ring::storage_bytes(3, 4), Some(24));
    }

    proptest! {
        /// Against `VecDeque`: any run of pushes and pops gives the same
        /// messages, and the ring says full and empty when the model does.
        #[test]
        fn the_ring_is_a_bounded_fifo(
            capacity in 1u32..6,
            max in 0u32..9,
            ops in proptest::collection::vec(proptest::option::of(proptest::collection::vec(any::<u8>(), 0..10)), 0..60),
        ) {
            let mut r = Ring::new(capacity, max);
            let mut mem = vec![0u8; Ring::storage_bytes(capacity, max).unwrap()];
            let mut model: VecDeque<Vec<u8>> = VecDeque::new();
            let mut out = vec![0u8; max as usize];
            for op in ops {
                match op {
                    Some(m) => {
                        let fits = model.len() < capacity as usize && m.len() <= max as usize;
                        prop_assert_eq!(r.push(&mut mem, &m), fits);
                        if fits {
                            model.push_back(m);
                        }
                    }
                    None => {
                        let got = r.pop(&mem, &mut out).map(|n| out[..n].to_vec());
                        prop_assert_eq!(got, model.pop_front());
                    }
                }
                prop_assert_eq!(r.len() as usize, model.len());
                prop_assert_eq!(r.is_full(), model.len() == capacity as usize);
            }
        }
    }
}
