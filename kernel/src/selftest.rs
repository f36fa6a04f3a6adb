//! Support for the test and benchmark images under `src/bin`: a per-core
//! heartbeat (proves a core is alive, and that it stops when halted) and
//! plain delays. Not used by the product kernel.
use crate::{println, time::Ticks, timer};
use bulkhead_board_rpi4::CORES;
use bulkhead_board_rpi4::delay::CounterDelay;
use bulkhead_time::{Epoch, Nanos};
use core::sync::atomic::{AtomicU64, Ordering};
use embedded_hal::delay::DelayNs;

/// Heartbeat period.
const HEARTBEAT: Nanos = Nanos(5_000_000);

static HEARTBEAT_EPOCH: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];
static HEARTBEAT_COUNT: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];

/// Prints `core N: heartbeat K` every 5 ms on this core, from its EL2 timer.
pub fn start_heartbeat(core: usize) {
    timer::set_handler(heartbeat);
    let now = timer::now();
    HEARTBEAT_EPOCH[core].store(now.0, Ordering::Relaxed);
    arm_heartbeat(core, 1);
}

fn arm_heartbeat(core: usize, n: u64) {
    let epoch = Epoch::new(Ticks(HEARTBEAT_EPOCH[core].load(Ordering::Relaxed)));
    let deadline =
        epoch.boundary(timer::frequency(), HEARTBEAT, n, Nanos(0)).expect("heartbeat deadline fits in the counter");
    timer::arm_at(deadline);
}

fn heartbeat(core: usize, _now: Ticks) {
    // Counted after the line is out, so a core that waits for heartbeats
    // (`wait_for_heartbeats`) prints after them.
    let n = HEARTBEAT_COUNT[core].load(Ordering::Relaxed) + 1;
    println!("core {core}: heartbeat {n}");
    HEARTBEAT_COUNT[core].store(n, Ordering::Release);
    arm_heartbeat(core, n + 1);
}

/// Waits (at most a second) until every core has printed at least `n`
/// heartbeats, so a test's next step comes after them whatever the host's
/// load does to the vCPUs' pace.
pub fn wait_for_heartbeats(n: u64) {
    let limit = timer::frequency().hz();
    let start = timer::now().0;
    while HEARTBEAT_COUNT.iter().any(|c| c.load(Ordering::Acquire) < n) && timer::now().0 - start < limit {
        crate::arch::spin_hint();
    }
}

/// Busy-waits `ms` milliseconds (interrupts keep being taken).
pub fn sleep_ms(ms: u32) {
    CounterDelay::new().expect("CNTFRQ is set").delay_ms(ms);
}
