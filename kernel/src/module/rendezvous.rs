//! The rendezvous at every change of partition (docs/DESIGN.md#rendezvous):
//! the kernel's use of [`bulkhead_protocol::Gate`].
//!
//! A core holds the partition whose thread it runs, from just before it
//! enters the thread ([`admit`]) until it has taken the thread off the core
//! ([`release`], right after the guest exits and its hypercall or trap is
//! handled). It enters only once no other core holds a different
//! partition. So when a window hands the module from A to B, a core that
//! reaches B first waits (WFE) until every core still in A has left it;
//! cores that idle, or are held in the kernel (not in A), hold nothing and
//! delay nobody, and windows of one partition back to back never wait.
//! A restart's reload slices hold the partition too: they write its memory.
//!
//! The bound: a core waits at most until its own window ends (then it
//! enters nothing). A core that still holds another partition
//! [`PATIENCE_NS`] after the waiting core first found it is reported as a
//! module health event, once per wait, and kept waited for: only the kernel
//! stuck on that core in the partition's exception, or a lost timer
//! interrupt, can do that, and letting B in beside it would be the very
//! interference CAST-32A forbids.
use super::MODULE;
use crate::{arch, timer};
use bulkhead_board_rpi4::CORES;
use bulkhead_protocol::{Admission, Blocked, Gate, Platform};
use bulkhead_sched::Nanos;
use core::sync::atomic::{AtomicU64, Ordering};

static GATE: Gate<CORES> = Gate::new();

/// How long a core may wait at the gate before the core it waits for is
/// reported: far beyond an interrupt latency (a few microseconds on a
/// Pi 4; under QEMU icount, the other vCPUs' turns).
pub const PATIENCE_NS: u64 = 200_000;

/// The machine as the gate needs it.
struct Machine;

impl Platform for Machine {
    fn now(&self) -> u64 {
        arch::counter_after_accesses()
    }
    fn wait(&self) {
        // Bounded by the timer event stream (arch::configure_el2).
        arch::wait_for_event();
    }
    fn wake(&self) {
        arch::send_event();
    }
}

/// Lets `core` into `partition`, whose window on this core ends at `end`:
/// the count at which it was admitted, or `None` if the window ended
/// first (then the core holds nothing and runs nothing). No lock may be
/// held.
pub fn admit(core: usize, partition: usize, end: u64) -> Option<u64> {
    let patience = patience_ticks();
    let late = |b: Blocked| report(core, partition, b);
    match GATE.acquire(core, partition as u32, end, patience, &Machine, late) {
        Admission::Admitted { at, .. } => Some(at),
        Admission::WindowOver { .. } => None,
    }
}

/// [`PATIENCE_NS`] in counter ticks, converted once (the conversion's
/// 128-bit division is not for the switch path, issue 19). 0: not yet.
static PATIENCE_TICKS: AtomicU64 = AtomicU64::new(0);

fn patience_ticks() -> u64 {
    match PATIENCE_TICKS.load(Ordering::Relaxed) {
        0 => {
            let ticks = timer::frequency().nanos_to_ticks_ceil(Nanos(PATIENCE_NS)).map_or(u64::MAX, |t| t.0).max(1);
            PATIENCE_TICKS.store(ticks, Ordering::Relaxed);
            ticks
        }
        ticks => ticks,
    }
}

/// `core` has taken its thread off the core: it holds nothing from here.
pub fn release(core: usize) {
    GATE.release(core, &Machine);
}

/// Out of line: only a core kept waiting past the patience gets here, and
/// inlined its formatting would widen every admission's stack frame.
#[cold]
#[inline(never)]
fn report(core: usize, partition: usize, b: Blocked) {
    let module = MODULE.get().expect("running");
    let name = |p: u32| module.partitions.get(p as usize).and_then(Option::as_ref).map_or("?", |p| p.name);
    let ns = module.freq.ticks_to_nanos(bulkhead_sched::Ticks(b.now - b.since)).map_or(u64::MAX, |n| n.0);
    crate::partition_println!(
        b.partition as usize,
        "health: core {}: still in partition {} {} us after core {core} reached partition {}'s window (at {} ticks): {} kept out of the module until it leaves",
        b.core,
        name(b.partition),
        ns / 1000,
        name(partition as u32),
        b.now,
        name(partition as u32)
    );
}
