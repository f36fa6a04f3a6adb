//! Benchmark image (`make bench`, under `-icount shift=0,sleep=off`).
//!
//! Per core: the instructions from the EL2 timer interrupt to the return
//! into the interrupted code (vector, GIC acknowledge, dispatch, handler,
//! end of interrupt, `eret`), and the latency from `ipi::send` on a
//! neighbour core to the start of this core's handler, in counter ticks.
//!
//! The interrupt path is measured from the interrupted loop: it reads the
//! cycle counter (= retired instructions under icount) on every iteration,
//! so the gap between the last read before the interrupt and the first
//! after it is the path plus one loop iteration, which is measured alone
//! first and subtracted.
#![no_std]
#![no_main]

use bulkhead_board_rpi4::CORES;
use bulkhead_kernel::arch::{self, sysreg};
use bulkhead_kernel::ipi::{self, CoreSet, IpiReason};
use bulkhead_kernel::time::Ticks;
use bulkhead_kernel::{kernel_main, println, semihosting_exit, smp::CoreBarrier, timer};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

kernel_main!(main);

const SAMPLES: usize = 64;

static FIRED: [AtomicBool; CORES] = [const { AtomicBool::new(false) }; CORES];
static SENT_AT: AtomicU64 = AtomicU64::new(0);
static LATENCY: [AtomicU64; CORES] = [const { AtomicU64::new(u64::MAX) }; CORES];
static IRQ_PATH: [[AtomicU64; 3]; CORES] = [const { [const { AtomicU64::new(0) }; 3] }; CORES];
static SGI: [[AtomicU64; 3]; CORES] = [const { [const { AtomicU64::new(0) }; 3] }; CORES];
static BARRIER: CoreBarrier = CoreBarrier::new();

fn on_deadline(core: usize, _now: Ticks) {
    FIRED[core].store(true, Ordering::Relaxed);
}

fn on_ping(core: usize, from: usize) {
    let now = arch::counter();
    LATENCY[core].store(now - SENT_AT.load(Ordering::Acquire), Ordering::Release);
    ipi::send(IpiReason::Pong, CoreSet::single(from));
}

fn min_median_max(samples: &mut [u64]) -> [u64; 3] {
    samples.sort_unstable();
    [samples[0], samples[samples.len() / 2], samples[samples.len() - 1]]
}

/// One timer interrupt taken inside a counter-reading loop.
fn irq_path_once(core: usize, loop_cost: u64) -> u64 {
    FIRED[core].store(false, Ordering::Relaxed);
    timer::arm_at(Ticks(arch::counter() + 50));
    let mut last = sysreg::cycle_counter();
    let mut gap = 0;
    while !FIRED[core].load(Ordering::Relaxed) {
        let now = sysreg::cycle_counter();
        gap = now - last;
        last = now;
    }
    let after = sysreg::cycle_counter();
    // The interrupt landed somewhere in the last iteration or just after it.
    (after - last).max(gap) - loop_cost
}

/// Instructions of one loop iteration without an interrupt.
fn loop_cost(core: usize) -> u64 {
    FIRED[core].store(false, Ordering::Relaxed);
    let mut cost = u64::MAX;
    let mut last = sysreg::cycle_counter();
    for _ in 0..16 {
        if FIRED[core].load(Ordering::Relaxed) {
            break;
        }
        let now = sysreg::cycle_counter();
        cost = cost.min(now - last);
        last = now;
    }
    cost
}

fn main(core: usize) -> ! {
    sysreg::start_cycle_counter();
    if core == 0 {
        timer::set_handler(on_deadline);
        ipi::set_handler(IpiReason::Ping, on_ping);
    }
    BARRIER.wait(CORES, None).ok();

    let base = loop_cost(core);
    let mut irq = [0u64; SAMPLES];
    for sample in irq.iter_mut() {
        *sample = irq_path_once(core, base);
    }
    for (slot, v) in IRQ_PATH[core].iter().zip(min_median_max(&mut irq)) {
        slot.store(v, Ordering::Relaxed);
    }
    BARRIER.wait(CORES, None).ok();

    // SGI latency: core (c + 1) % 4 pings core c, one core pair at a time.
    for target in 0..CORES {
        let sender = (target + 1) % CORES;
        if core == sender {
            let mut lat = [0u64; SAMPLES];
            for sample in lat.iter_mut() {
                LATENCY[target].store(u64::MAX, Ordering::Release);
                SENT_AT.store(arch::counter(), Ordering::Release);
                ipi::send(IpiReason::Ping, CoreSet::single(target));
                while LATENCY[target].load(Ordering::Acquire) == u64::MAX {
                    arch::wait_for_event();
                }
                *sample = LATENCY[target].load(Ordering::Acquire);
            }
            for (slot, v) in SGI[target].iter().zip(min_median_max(&mut lat)) {
                slot.store(v, Ordering::Relaxed);
            }
        }
        BARRIER.wait(CORES, None).ok();
    }

    if core == 0 {
        println!(
            "bench | core | timer IRQ path, instructions (min/median/max) | SGI send->handler, ticks (min/median/max)"
        );
        for c in 0..CORES {
            let i = IRQ_PATH[c].each_ref().map(|a| a.load(Ordering::Relaxed));
            let s = SGI[c].each_ref().map(|a| a.load(Ordering::Relaxed));
            println!(
                "bench | {c:>4} | {:>16} / {:>6} / {:>6} | {:>12} / {:>6} / {:>6}",
                i[0], i[1], i[2], s[0], s[1], s[2]
            );
        }
        semihosting_exit(0);
    }
    loop {
        arch::wait_for_interrupt();
    }
}
