//! The pure part of the intra-partition objects: the decisions, with no
//! `unsafe`, no atomics and no hypercalls, so that `cargo test -p
//! bulkhead-sdk` checks them on the host (STYLE.md habit 1).
//!
//! - [`waiters`]: a set of waiting threads and the choice of the next one
//!   by queuing discipline (ARINC 653 Part 1 §3.7.1: FIFO, or PRIORITY
//!   with FIFO among equals);
//! - [`ring`]: a buffer's bounded FIFO of messages in a byte slice;
//! - [`registry`]: object names and the byte arena the buffers and
//!   blackboards take their storage from;
//! - [`counters`]: the semaphore's count and the mutex's ownership, as
//!   state machines that say what a call must do.
//!
//! `super` (the objects) runs these under each object's lock and does the
//! waiting and waking.
#![forbid(unsafe_code)]

pub mod counters;
pub mod registry;
pub mod ring;
pub mod waiters;
