//! The console as pure code, host-tested: what the kernel's console
//! (`kernel/src/console.rs`) does with bytes, without the UART or locks.
//!
//! - [`Ring`]: one source's bounded buffer of whole lines (a partition, or
//!   one core's kernel lines). A line that does not fit is dropped whole and
//!   counted, never truncated or silently lost.
//! - [`Fifo`]: the PL011 transmit FIFO as the line drains it: 16 bytes, each
//!   leaving after one character time (10 bits at the baud rate). The
//!   console never writes a byte the model says has no room, so QEMU's
//!   instant UART behaves as the Pi's.
//! - [`RateLimit`]: a token bucket for report lines of one kind.
#![no_std]

mod fifo;
mod rate;
mod ring;

pub use fifo::Fifo;
pub use rate::RateLimit;
pub use ring::{Header, Ring};
