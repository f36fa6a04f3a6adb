//! defmt logging (feature `defmt`): the partition's `#[defmt::global_logger]`.
//!
//! Each log call's frame is buffered whole between `acquire` and `release`
//! and sent with one ConsoleFrame hypercall; the kernel stamps it with its
//! time and prints it as one console line that `bulkhead log` decodes with
//! the image's ELF (`bulkhead_abi::frame_line`). The encoding is defmt's
//! `encoding-raw`: the frame needs no framing of its own, since it reaches
//! the host whole, in one line.
//!
//! **Execution context = thread.** The threads of a partition run on
//! several cores at once, so each thread builds its frame in a buffer of
//! its own: one of [`SLOTS`] slots, claimed in `acquire` with a
//! compare-and-swap of the thread's key and freed in `release`. The key is
//! the thread's stack top, which the SDK's start-up code keeps in
//! TPIDR_EL1 (`rt.rs`) and the kernel saves and restores with the thread:
//! unique among the live threads, and readable without a hypercall.
//!
//! Why atomics are sound here although stage-1 translation is off at EL1:
//! with HCR_EL2.DC the stage-1 attributes are Normal write-back
//! non-shareable, and the kernel's stage-2 leaves are Normal write-back
//! inner shareable (`kernel/src/arch/stage2.rs`); the combined shareability
//! is the more shareable of the two (Arm ARM DDI 0487, D8.6.2 "Combining
//! the stage 1 and stage 2 attributes"), so the exclusives behind the
//! compare-and-swap are coherent across the cores. No thread ever spins on
//! another's slot: a thread preempted mid-frame at its window's end keeps
//! its slot until it runs again, and the others use other slots.
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU64, Ordering};

use bulkhead_abi::MAX_CONSOLE_FRAME;

use crate::call::console_frame;

/// One frame being built: its bytes up to [`MAX_CONSOLE_FRAME`], and the
/// bytes that did not fit (such a frame is reported, not sent cut).
pub(crate) struct FrameBuf {
    bytes: [u8; MAX_CONSOLE_FRAME],
    len: usize,
    overflow: usize,
}

impl FrameBuf {
    pub(crate) const fn new() -> Self {
        FrameBuf { bytes: [0; MAX_CONSOLE_FRAME], len: 0, overflow: 0 }
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.overflow = 0;
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(MAX_CONSOLE_FRAME - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
        self.overflow += bytes.len() - n;
    }

    /// The whole frame, or its full length if it did not fit.
    pub(crate) fn frame(&self) -> Result<&[u8], usize> {
        if self.overflow == 0 { Ok(&self.bytes[..self.len]) } else { Err(self.len + self.overflow) }
    }
}

/// At most one thread per core runs a partition's code (the scheduler
/// refuses two threads of a partition on one core); 16 covers any board
/// with up to 16 cores, as the panic handler's flags do.
const SLOTS: usize = 16;

struct Slot {
    /// The key of the thread building a frame here, 0 if free.
    owner: AtomicU64,
    frame: UnsafeCell<(defmt::Encoder, FrameBuf)>,
}

// SAFETY: `frame` is only reached by the thread whose key `owner` holds:
// claimed by compare-and-swap (Acquire) in `acquire`, given back (Release)
// in `release` after the last access.
unsafe impl Sync for Slot {}

static SLOTS_IN_USE: [Slot; SLOTS] =
    [const { Slot { owner: AtomicU64::new(0), frame: UnsafeCell::new((defmt::Encoder::new(), FrameBuf::new())) } };
        SLOTS];

/// The calling thread's key: its stack top (non-zero, 16-aligned; bit 0 is
/// the vectors' "reporting" flag, masked off).
fn thread_key() -> u64 {
    #[cfg(all(target_arch = "aarch64", target_os = "none"))]
    {
        let top: u64;
        // SAFETY: reads TPIDR_EL1, which the SDK owns (rt.rs); no memory,
        // no side effect.
        unsafe { core::arch::asm!("mrs {}, tpidr_el1", out(reg) top, options(nomem, nostack, preserves_flags)) };
        top & !1
    }
    #[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
    {
        // The host build has no partition threads and makes no hypercall.
        1
    }
}

/// The slot the calling thread holds, if any.
fn my_slot() -> Option<&'static Slot> {
    let me = thread_key();
    SLOTS_IN_USE.iter().find(|s| s.owner.load(Ordering::Relaxed) == me)
}

#[defmt::global_logger]
struct Logger;

// SAFETY: each thread is an execution context of its own: `acquire` claims
// a slot for it alone (panicking if it holds one already, as the trait
// asks), `write` and `release` touch only that slot.
unsafe impl defmt::Logger for Logger {
    fn acquire() {
        let me = thread_key();
        if me == 0 || my_slot().is_some() {
            panic!("defmt: a log call while this thread's frame is being written (a Format impl that logs?)");
        }
        for slot in &SLOTS_IN_USE {
            if slot.owner.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                // SAFETY: the slot is ours since the exchange.
                let (encoder, buf) = unsafe { &mut *slot.frame.get() };
                buf.clear();
                encoder.start_frame(|b| buf.push(b));
                return;
            }
        }
        // More threads in one frame than a partition can have: this
        // frame's writes find no slot and are lost, said in `release`.
    }

    unsafe fn flush() {
        // Every frame leaves in `release`: nothing is pending between frames.
    }

    unsafe fn release() {
        let Some(slot) = my_slot() else {
            crate::println!("defmt: a log frame was lost: all {SLOTS} frame buffers were in use");
            return;
        };
        {
            // SAFETY: our slot (`my_slot` found our key in it).
            let (encoder, buf) = unsafe { &mut *slot.frame.get() };
            encoder.end_frame(|b| buf.push(b));
            match buf.frame() {
                Ok(frame) if !frame.is_empty() => {
                    let _ = console_frame(frame);
                }
                Ok(_) => {}
                Err(len) => crate::println!(
                    "defmt: a {len}-byte log frame was not sent: ConsoleFrame takes at most {MAX_CONSOLE_FRAME} bytes"
                ),
            }
        }
        slot.owner.store(0, Ordering::Release);
    }

    unsafe fn write(bytes: &[u8]) {
        if let Some(slot) = my_slot() {
            // SAFETY: our slot.
            let (encoder, buf) = unsafe { &mut *slot.frame.get() };
            encoder.write(bytes, |b| buf.push(b));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_that_fits_is_sent_whole() {
        let mut buf = FrameBuf::new();
        buf.push(&[1, 2]);
        buf.push(&[3]);
        assert_eq!(buf.frame(), Ok(&[1u8, 2, 3][..]));
        buf.clear();
        assert_eq!(buf.frame(), Ok(&[][..]));
    }

    #[test]
    fn a_frame_over_the_limit_reports_its_length() {
        let mut buf = FrameBuf::new();
        buf.push(&[0; MAX_CONSOLE_FRAME - 1]);
        buf.push(&[0; 5]);
        assert_eq!(buf.frame(), Err(MAX_CONSOLE_FRAME + 4));
        buf.clear();
        buf.push(&[7; MAX_CONSOLE_FRAME]);
        assert_eq!(buf.frame().map(<[u8]>::len), Ok(MAX_CONSOLE_FRAME));
    }
}
