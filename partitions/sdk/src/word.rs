//! Waiting on a word of partition memory: the kernel's one wait/wake
//! primitive (futex-like), on which the SDK's intra-partition objects are
//! built. A partition rarely calls these itself.
//!
//! The protocol: a thread that must wait for a change of an atomic 32-bit
//! word calls [`wait`] with the value it last saw; the kernel puts it to
//! sleep only if the word still holds that value (checked with the
//! partition's waiter queue locked). A thread that changes the word then
//! calls [`wake`]. A wake that comes between the waiter's look at the
//! word and its [`wait`] is not lost: the word no longer holds the value,
//! and [`wait`] returns [`Status::NoAction`] at once.
//!
//! ```ignore
//! use core::sync::atomic::{AtomicU32, Ordering};
//! use bulkhead_sdk::word::{self, WakeOrder};
//! static READY: AtomicU32 = AtomicU32::new(0);
//! // waiter
//! while READY.load(Ordering::Acquire) == 0 {
//!     let _ = word::wait(&READY, 0, bulkhead_abi::INFINITE);
//! }
//! // waker
//! READY.store(1, Ordering::Release);
//! let _ = word::wake(&READY, u64::MAX, WakeOrder::Priority);
//! ```

use core::sync::atomic::AtomicU32;

use crate::call::check;
pub use bulkhead_abi::WakeOrder;
use bulkhead_abi::{Call, Status};

/// `WaitWord` (`0xC600_0060`): sleep while `word` holds `expected`, at
/// most `timeout_ns` (0 polls, [`INFINITE`](bulkhead_abi::INFINITE) for
/// ever). `Ok(())` when woken by [`wake`]; `Err(NoAction)` if the word did
/// not hold `expected`; `Err(TimedOut)`; `Err(InvalidMode)` with
/// preemption locked.
///
/// Like every wake-up primitive it may return `Ok` without the change the
/// caller waits for (another thread was woken by the same wake and got
/// there first): look at the word again.
pub fn wait(word: &AtomicU32, expected: u32, timeout_ns: u64) -> Result<(), Status> {
    wait_raw(word.as_ptr() as u64, expected, timeout_ns)
}

/// `WakeWord` (`0xC600_0061`): make ready up to `count` (at least 1;
/// `u64::MAX` for all) of the partition's threads waiting on `word`, in
/// `order`; returns how many were woken.
pub fn wake(word: &AtomicU32, count: u64, order: WakeOrder) -> Result<u64, Status> {
    wake_raw(word.as_ptr() as u64, count, order as u64)
}

/// [`wait`] on a raw address, for tests that pass bad ones on purpose.
pub fn wait_raw(address: u64, expected: u32, timeout_ns: u64) -> Result<(), Status> {
    // SAFETY: WaitWord only reads the 32-bit word at `address` (the kernel
    // checks it lies in our memory) and writes no memory.
    let [x0, ..] = unsafe { crate::hvc(Call::WaitWord.id(), [address, u64::from(expected), timeout_ns, 0, 0, 0]) };
    check(x0)
}

/// [`wake`] with a raw address and order, for tests that pass bad ones on
/// purpose.
pub fn wake_raw(address: u64, count: u64, order: u64) -> Result<u64, Status> {
    // SAFETY: WakeWord reads no memory of ours (the address is a key) and
    // writes none.
    let [x0, x1, ..] = unsafe { crate::hvc(Call::WakeWord.id(), [address, count, order, 0, 0, 0]) };
    check(x0)?;
    Ok(x1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_the_host_there_is_no_kernel() {
        let w = AtomicU32::new(0);
        assert_eq!(wait(&w, 0, 0), Err(Status::NotSupported));
        assert_eq!(wake(&w, 1, WakeOrder::Fifo), Err(Status::NotSupported));
    }
}
