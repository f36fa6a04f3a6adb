//! Bulkhead's cross-core protocols as pure code, with no hardware: the
//! kernel (`kernel/src/module/run.rs`, `kernel/src/ipi.rs`) runs exactly
//! this code on its cores, and `tests/loom.rs` model-checks it with
//! [loom](https://docs.rs/loom) over every interleaving of the cores
//! (`cargo xtask check` and `make test` run it: `RUSTFLAGS="--cfg loom"
//! cargo test -p bulkhead-protocol --release --test loom`).
//!
//! - [`Gate`]: CAST-32A by construction. No core enters a partition while
//!   another core is still in a different one, whatever the partitions do
//!   and however late a core takes its boundary (docs/DESIGN.md#rendezvous).
//! - [`Mailbox`]: the typed messages behind the one reschedule SGI
//!   (docs/DESIGN.md#ipis): none lost, none handled twice, and what the
//!   sender stored before sending is visible to the handler.
//!
//! Where it sits: `kernel/protocol`, `no_std`, `forbid(unsafe_code)`, no
//! heap. Under `--cfg loom` the atomics are loom's.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod gate;
mod mailbox;

pub use gate::{Admission, Blocked, Gate, NONE, Platform};
pub use mailbox::Mailbox;

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{AtomicU32, Ordering, fence};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU32, Ordering, fence};
