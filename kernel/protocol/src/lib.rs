//! Bulkhead's cross-core protocols as pure code, with no hardware: the
//! kernel (`kernel/src/module/run.rs`) runs exactly
//! this code on its cores, and `tests/loom.rs` model-checks it with
//! [loom](https://docs.rs/loom) over the interleavings of the cores
//! (`cargo xtask test` and `make test` run it: `RUSTFLAGS="--cfg loom"
//! cargo test -p bulkhead-protocol --release --test loom`).
//!
//! - [`Gate`]: CAST-32A by construction. No core enters a partition while
//!   another core is still in a different one, whatever the partitions do
//!   and however late a core takes its boundary (docs/DESIGN.md#rendezvous).
//!
//! What the loom models cover (details and figures in `tests/loom.rs`):
//! three cores and the clock at a boundary from partition A to B (all
//! cores on time; one core late; one idle; a core re-entering A on a stale
//! view; a schedule switch stored before, or racing, the boundary; A
//! followed by A), each also with the next window never ending (every
//! core must get in); a ghost "partition running" count asserts that two
//! partitions never run at once. Mutants (no barrier, checking before
//! announcing, never releasing) must fail. Preemption bound 2: about 5
//! minutes on a 2-core machine.
//!
//! The IPIs need no protocol of their own: each reason is its own SGI, and
//! the GIC keeps one pending bit per (SGI, sender, target)
//! (docs/DESIGN.md#ipis).
//!
//! Where it sits: `kernel/protocol`, `no_std`, `forbid(unsafe_code)`, no
//! heap. Under `--cfg loom` the atomics are loom's.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod gate;

pub use gate::{Admission, Blocked, Gate, NONE, Platform};

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{AtomicU32, Ordering, fence};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU32, Ordering, fence};
