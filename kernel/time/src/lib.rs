//! Bulkhead time arithmetic: generic-timer ticks, nanoseconds, and the epoch
//! from which every schedule boundary is computed.
//!
//! Where it sits: `kernel/time`, a pure crate (no `unsafe`, no heap) used by
//! `kernel/sched`, by the kernel's timer glue and by the host tool. It builds
//! for the host and for `aarch64-unknown-none`.
//!
//! Specs followed:
//! - Arm ARM (DDI 0487), chapter "The Generic Timer in AArch64 state":
//!   `CNTFRQ_EL0` gives the system counter frequency in Hz, `CNTPCT_EL0` the
//!   64-bit count, and the kernel arms `CNTHP_CVAL_EL2` with an *absolute*
//!   compare value. [`Ticks`] is that count; [`Frequency`] is `CNTFRQ_EL0`.
//! - ARINC 653 Part 1, Time Management and Partition Scheduling (Partition
//!   Management): time is module time, independent of partitions, and the
//!   major frame repeats exactly. [`Epoch`] turns "window `k` of major frame
//!   `n`" into one absolute counter value.
//!
//! Design principles:
//! - **Computed, never accumulated.** A boundary is
//!   `epoch + ceil((n * period + offset) * hz / 1e9)`, derived from `n` with
//!   128-bit intermediates. Adding a rounded period again and again would
//!   drift by up to one tick per frame at 54 MHz (18.518.. ns per tick).
//! - **Never early.** Converting a duration to a deadline rounds up, so a
//!   partition never loses time to rounding and a window never ends before
//!   its nominal instant. Converting a count to elapsed time rounds down, so
//!   "where are we in the frame" never claims we are further than we are.
//! - **Overflow is a value.** Every operation that can overflow returns
//!   `Option` or [`TimeError`]; nothing wraps and nothing panics.
//!
//! # Example
//!
//! ```
//! use bulkhead_time::{Epoch, Frequency, Nanos, Ticks};
//!
//! let pi4 = Frequency::from_hz(54_000_000).unwrap(); // 18.518.. ns per tick
//! let epoch = Epoch::new(Ticks(5_000));
//! let major = Nanos(333_333); // 17_999.98 ticks: not a whole number
//! // Window at offset 111_111 ns in frame 1_000_000: computed, not accumulated.
//! let b = epoch.boundary(pi4, major, 1_000_000, Nanos(111_111)).unwrap();
//! assert_eq!(b, Ticks(5_000 + 17_999_988_000)); // ceil(17_999_987_999.994)
//! let at = epoch.position(pi4, major, b).unwrap();
//! assert_eq!((at.index, at.offset), (1_000_000, Nanos(111_111)));
//! ```

#![no_std]
#![forbid(unsafe_code)]

mod epoch;
mod frequency;
mod units;

pub use epoch::{Epoch, FramePosition, TimeError};
pub use frequency::Frequency;
pub use units::{Nanos, Ticks};
