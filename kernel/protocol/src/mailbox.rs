//! The IPI mailbox: typed messages behind one SGI (docs/DESIGN.md#ipis),
//! after Bao's IPI design.
//!
//! Each core has one pending word, bit `reason * CORES + from` per
//! (reason, sending core). [`Mailbox::post`] sets the bit with release
//! ordering, then the kernel sends the SGI (after a DSB, so the word is
//! visible before the interrupt). The target, in its SGI handler, after
//! acknowledging the interrupt, takes the whole word with
//! [`Mailbox::take`] (swap to zero, acquire). So:
//!
//! - none is lost: a bit is cleared only by the swap that hands it to the
//!   target; a post after that swap also sends an SGI after it, which the
//!   GIC holds pending (an SGI acknowledged and re-sent is pending again),
//!   so the target takes the word once more;
//! - none is handled twice: each bit set is handed out by exactly one swap;
//! - what the sender stored before posting is visible to the handler of
//!   that message (release / acquire on the word).
//!
//! Several posts of one (reason, sender) before the target looks merge
//! into one message: every reason is a "look again" request, never a count.

use crate::{AtomicU32, Ordering};

/// One pending word per core.
pub struct Mailbox<const CORES: usize> {
    words: [AtomicU32; CORES],
}

impl<const CORES: usize> Default for Mailbox<CORES> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const CORES: usize> Mailbox<CORES> {
    /// Reasons that fit a word beside `CORES` senders each.
    pub const REASONS: usize = 32 / CORES;

    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Mailbox { words: [const { AtomicU32::new(0) }; CORES] }
    }

    #[cfg(loom)]
    pub fn new() -> Self {
        Mailbox { words: core::array::from_fn(|_| AtomicU32::new(0)) }
    }

    /// The bit of (`reason`, `from`).
    pub const fn bit(reason: usize, from: usize) -> u32 {
        assert!(reason < Self::REASONS && from < CORES, "reason or core out of range");
        1 << (reason * CORES + from)
    }

    /// Posts `reason` from core `from` to core `to`; the caller then sends
    /// the SGI.
    pub fn post(&self, to: usize, reason: usize, from: usize) {
        self.words[to].fetch_or(Self::bit(reason, from), Ordering::Release);
    }

    /// Takes every message pending for `core` (after acknowledging the
    /// SGI): bit set = (reason, from) as [`Mailbox::bit`].
    pub fn take(&self, core: usize) -> u32 {
        self.words[core].swap(0, Ordering::Acquire)
    }

    /// The (reason, from) pairs of a taken word, reasons in order.
    ///
    /// The set bits only, lowest first (bit `reason * CORES + from`, so in
    /// reason order): one step per message, not one per possible pair (32
    /// pairs with four cores, which the handler's latency paid before).
    pub fn messages(word: u32) -> impl Iterator<Item = (usize, usize)> {
        let mut rest = word;
        core::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let bit = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            Some((bit / CORES, bit % CORES))
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn posts_arrive_once_each_in_reason_order() {
        let m = Mailbox::<4>::new();
        m.post(2, 1, 3);
        m.post(2, 0, 1);
        m.post(2, 0, 1); // merged with the one before
        m.post(1, 3, 0);
        let got: Vec<_> = Mailbox::<4>::messages(m.take(2)).collect();
        assert_eq!(got, [(0, 1), (1, 3)]);
        assert_eq!(m.take(2), 0);
        assert_eq!(Mailbox::<4>::messages(m.take(1)).collect::<Vec<_>>(), [(3, 0)]);
    }

    #[test]
    fn every_reason_and_sender_has_its_own_bit() {
        let mut seen = 0u32;
        for r in 0..Mailbox::<4>::REASONS {
            for f in 0..4 {
                let b = Mailbox::<4>::bit(r, f);
                assert_eq!(b.count_ones(), 1);
                assert_eq!(seen & b, 0);
                seen |= b;
            }
        }
        assert_eq!(seen, u32::MAX);
    }
}
