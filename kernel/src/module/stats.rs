//! Benchmark statistics of the partition loop, kept only by the benchmark
//! kernel (`bench-switch`): the partition-switch path per core, in PMU
//! cycles (= instructions under QEMU `-icount shift=0`), from the timer
//! interrupt to the last instruction before the `eret` into the thread the
//! scheduler picked: from the first instruction of the exit vector when the
//! interrupt ended another thread's run, or from the return of the idle
//! WFI when the core was idle (with IRQs masked at EL2 the idle core takes
//! no vector). Both include the scheduler's decision, the timer re-arm, the
//! GIC acknowledge and end of interrupt, and the EL1/FP state switch.
use crate::arch::Mutex;
use crate::arch::sysreg;
use crate::{println, semihosting_exit, timer};
use bulkhead_board_rpi4::CORES;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const SAMPLES: usize = 512;

struct Samples {
    values: [u32; SAMPLES],
    count: usize,
}

static ENABLED: AtomicBool = AtomicBool::new(false);
static SWITCH: [Mutex<Samples>; CORES] = [const { Mutex::new(Samples { values: [0; SAMPLES], count: 0 }) }; CORES];
/// When core 0 prints the table and ends the run (ticks; 0 = never).
static REPORT_AT: AtomicU64 = AtomicU64::new(0);

/// Turns the statistics on and sets when core 0 reports (benchmark kernel).
pub fn enable(report_at: u64) {
    REPORT_AT.store(report_at, Ordering::Relaxed);
    ENABLED.store(true, Ordering::Release);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// One switch-path sample of the calling core.
pub fn record_switch(core: usize, cycles: u64) {
    let mut s = SWITCH[core].lock();
    let i = s.count % SAMPLES;
    s.values[i] = cycles.min(u64::from(u32::MAX)) as u32;
    s.count += 1;
}

/// The instructions of a minimal hand-written EL1 context switch: store
/// and reload x0-x30, SP_EL0, ELR and SPSR, the least any kernel must do
/// to switch two threads. The floor the switch path is compared with.
pub fn context_floor() -> u64 {
    let mut area = [0u64; 34];
    let start = sysreg::cycle_counter();
    // SAFETY: stores to and loads from `area` (34 words) only; every
    // general-purpose register is saved first and restored from the same
    // slots, and the clobbers tell the compiler which ones it must not
    // keep live across the block.
    unsafe {
        core::arch::asm!(
            "stp x0, x1, [{a}, #8 * 0]",
            "stp x2, x3, [{a}, #8 * 2]",
            "stp x4, x5, [{a}, #8 * 4]",
            "stp x6, x7, [{a}, #8 * 6]",
            "stp x8, x9, [{a}, #8 * 8]",
            "stp x10, x11, [{a}, #8 * 10]",
            "stp x12, x13, [{a}, #8 * 12]",
            "stp x14, x15, [{a}, #8 * 14]",
            "stp x16, x17, [{a}, #8 * 16]",
            "stp x18, x19, [{a}, #8 * 18]",
            "stp x20, x21, [{a}, #8 * 20]",
            "stp x22, x23, [{a}, #8 * 22]",
            "stp x24, x25, [{a}, #8 * 24]",
            "stp x26, x27, [{a}, #8 * 26]",
            "stp x28, x29, [{a}, #8 * 28]",
            "str x30, [{a}, #8 * 30]",
            "mrs x0, sp_el0",
            "mrs x1, elr_el2",
            "mrs x2, spsr_el2",
            "stp x0, x1, [{a}, #8 * 31]",
            "str x2, [{a}, #8 * 33]",
            "ldp x0, x1, [{a}, #8 * 31]",
            "ldr x2, [{a}, #8 * 33]",
            "msr sp_el0, x0",
            "msr elr_el2, x1",
            "msr spsr_el2, x2",
            "ldp x0, x1, [{a}, #8 * 0]",
            "ldp x2, x3, [{a}, #8 * 2]",
            "ldp x4, x5, [{a}, #8 * 4]",
            "ldp x6, x7, [{a}, #8 * 6]",
            "ldp x8, x9, [{a}, #8 * 8]",
            "ldp x10, x11, [{a}, #8 * 10]",
            "ldp x12, x13, [{a}, #8 * 12]",
            "ldp x14, x15, [{a}, #8 * 14]",
            "ldp x16, x17, [{a}, #8 * 16]",
            "ldp x18, x19, [{a}, #8 * 18]",
            "ldp x20, x21, [{a}, #8 * 20]",
            "ldp x22, x23, [{a}, #8 * 22]",
            "ldp x24, x25, [{a}, #8 * 24]",
            "ldp x26, x27, [{a}, #8 * 26]",
            "ldr x28, [{a}, #8 * 28]",
            a = in(reg) area.as_mut_ptr(),
            out("x0") _, out("x1") _, out("x2") _,
            options(nostack)
        )
    };
    sysreg::cycle_counter() - start
}

fn summary(core: usize) -> Option<[u64; 4]> {
    let s = SWITCH[core].lock();
    let n = s.count.min(SAMPLES);
    if n == 0 {
        return None;
    }
    let mut v = s.values;
    let v = &mut v[..n];
    v.sort_unstable();
    Some([u64::from(v[0]), u64::from(v[n / 2]), u64::from(v[n - 1]), s.count as u64])
}

/// Core 0, in idle time: once the run is long enough, prints the table and
/// ends QEMU (semihosting: the benchmark runs with `-semihosting`).
pub fn report_if_due(core: usize) {
    let at = REPORT_AT.load(Ordering::Relaxed);
    if core != 0 || !enabled() || at == 0 || timer::now().0 < at {
        return;
    }
    let floor = context_floor();
    println!("bench | context floor | {floor} instructions (hand-written save/restore of x0-x30, SP_EL0, ELR, SPSR)");
    for c in 0..CORES {
        match summary(c) {
            Some([min, median, max, count]) => println!(
                "bench | switch path | core {c} | {min} / {median} / {max} instructions (min/median/max of {count}) | {}.{:02}x the floor",
                median / floor,
                (median % floor) * 100 / floor
            ),
            None => println!("bench | switch path | core {c} | no switch into a thread on this core"),
        }
    }
    semihosting_exit(0)
}
