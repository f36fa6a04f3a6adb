//! Benchmark image (`make bench`, under `-icount shift=0,sleep=off`).
//!
//! Per core: the instructions from the EL2 timer interrupt to the return
//! into the interrupted code (vector, GIC acknowledge, dispatch, handler,
//! end of interrupt, `eret`), and the latency from `ipi::send` on a
//! neighbour core to the start of this core's handler, in counter ticks:
//! from the count read just before the send to the one the `Ping`
//! handler reads first, the receiver waiting as an idle core of the
//! module does (WFI with IRQs masked, then `irq::dispatch`: acknowledge,
//! the mailbox, the reason's handler).
//!
//! The interrupt path is measured from the interrupted loop: it reads the
//! cycle counter (= retired instructions under icount) on every iteration,
//! so the gap between the last read before the interrupt and the first
//! after it is the path plus one loop iteration, which is measured alone
//! first and subtracted.
//!
//! Two hand-written floors are measured in the same run (issue 19), so
//! the kernel's figures read as a ratio to what QEMU itself allows:
//!
//! - **SGI floor**: the same core pairs, the sender writing GICD_SGIR and
//!   the receiver in WFI with IRQs masked, which on waking acknowledges
//!   (GICC_IAR), reads the counter and ends the interrupt (GICC_EOIR):
//!   no vector, no mailbox, no handler table. Ticks from the count read
//!   just before the send to the one read right after the acknowledge:
//!   the same endpoints as the kernel's row (its handler's first read
//!   comes after the acknowledge, the mailbox and the handler lookup),
//!   the same receiver state (WFI, IRQs masked), the same sender (its
//!   stores ordered by a DSB, then GICD_SGIR, then WFE). Under icount the
//!   sender's WFE is a YIELD for QEMU (EXCP_YIELD): the round robin moves
//!   on to the other vCPUs at once, in both rows, so neither counts the
//!   sender running on after its send.
//! - **null-HVC floor**: core 0, the others halted in WFI, drops to EL1
//!   (MMU and stage 2 off) under a vector table of its own whose
//!   lower-EL synchronous entry is a lone `eret`; the EL1 caller reads
//!   the cycle counter around batches of 16 `hvc #0` and sends itself an
//!   SGI to come back (the table's IRQ entry), and VBAR_EL2, HCR_EL2,
//!   MDCR_EL2 and SCTLR_EL1 are the kernel's again before Rust resumes.
#![no_std]
#![no_main]

use aarch64_cpu::asm::barrier;
use bulkhead_board_rpi4::CORES;
use bulkhead_kernel::arch::{self, sysreg};
use bulkhead_kernel::ipi::{self, CoreSet, IpiReason};
use bulkhead_kernel::time::Ticks;
use bulkhead_kernel::{gic, irq, kernel_main, println, semihosting_exit, smp::CoreBarrier, timer};
use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

kernel_main!(main);

const SAMPLES: usize = 64;

static FIRED: [AtomicBool; CORES] = [const { AtomicBool::new(false) }; CORES];
static SENT_AT: AtomicU64 = AtomicU64::new(0);
static LATENCY: [AtomicU64; CORES] = [const { AtomicU64::new(u64::MAX) }; CORES];
static IRQ_PATH: [[AtomicU64; 3]; CORES] = [const { [const { AtomicU64::new(0) }; 3] }; CORES];
/// Per target core: min, median, max, mean (hundredths) in ticks.
static SGI: [[AtomicU64; 4]; CORES] = [const { [const { AtomicU64::new(0) }; 4] }; CORES];
static BARRIER: CoreBarrier = CoreBarrier::new();
/// Pings handled per core, and the kernel row's receiver ready in WFI.
static PINGS: [AtomicUsize; CORES] = [const { AtomicUsize::new(0) }; CORES];
static READY: [AtomicBool; CORES] = [const { AtomicBool::new(false) }; CORES];

/// The floors' SGI: none of the kernel's IPIs (SGIs 0-3), so no kernel
/// message is taken by a floor or lost to it.
const FLOOR_SGI: u32 = 15;
static FLOOR_READY: [AtomicBool; CORES] = [const { AtomicBool::new(false) }; CORES];
static FLOOR_SENT_AT: AtomicU64 = AtomicU64::new(0);
static FLOOR_LATENCY: [AtomicU64; CORES] = [const { AtomicU64::new(u64::MAX) }; CORES];
static SGI_FLOOR: [[AtomicU64; 4]; CORES] = [const { [const { AtomicU64::new(0) }; 4] }; CORES];
/// Cores 1-3 about to halt in WFI for good (the null-HVC floor waits for
/// them, so that the shared virtual clock counts core 0 alone).
static PARKED: AtomicUsize = AtomicUsize::new(0);
/// Null-HVC floor: batches of 16 calls.
const HVC_BATCHES: u64 = 256;

fn on_deadline(core: usize, _now: Ticks) {
    FIRED[core].store(true, Ordering::Relaxed);
}

fn on_ping(core: usize, from: usize) {
    let now = arch::counter();
    LATENCY[core].store(now - SENT_AT.load(Ordering::Acquire), Ordering::Release);
    PINGS[core].fetch_add(1, Ordering::Relaxed);
    ipi::send(IpiReason::Pong, CoreSet::single(from));
}

/// Kernel SGI latency, receiving side: as an idle core of the module
/// receives it (`run.rs`): WFI with IRQs masked, then `irq::dispatch`
/// (acknowledge, the mailbox, the reason's handler). The same receiver
/// state as the floor's, so the two rows differ by the kernel's code only.
fn sgi_receive(core: usize) {
    let were_enabled = arch::disable_irqs();
    let start = PINGS[core].load(Ordering::Relaxed);
    READY[core].store(true, Ordering::Release);
    arch::send_event();
    while PINGS[core].load(Ordering::Relaxed) - start < SAMPLES {
        arch::wait_for_interrupt();
        irq::dispatch();
    }
    READY[core].store(false, Ordering::Relaxed);
    arch::restore_irqs(were_enabled);
}

fn min_median_max(samples: &mut [u64]) -> [u64; 3] {
    samples.sort_unstable();
    [samples[0], samples[samples.len() / 2], samples[samples.len() - 1]]
}

/// The mean of `samples` in hundredths: a tick is 16 instructions under
/// `-icount shift=0`, so the mean shows what the median's whole ticks hide.
fn mean_hundredths(samples: &[u64]) -> u64 {
    samples.iter().sum::<u64>() * 100 / samples.len() as u64
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

/// SGI floor, receiving side: `SAMPLES` SGIs taken in WFI with IRQs
/// masked, each acknowledged, timed and ended by hand.
fn sgi_floor_receive(core: usize) {
    let were_enabled = arch::disable_irqs();
    gic::enable(FLOOR_SGI);
    FLOOR_READY[core].store(true, Ordering::Release);
    arch::send_event();
    let mut taken = 0;
    while taken < SAMPLES {
        arch::wait_for_interrupt();
        let Some(ack) = gic::acknowledge() else { continue };
        let now = arch::counter();
        gic::end_of_interrupt(ack);
        if ack.intid() == FLOOR_SGI {
            FLOOR_LATENCY[core].store(now - FLOOR_SENT_AT.load(Ordering::Acquire), Ordering::Release);
            arch::send_event();
            taken += 1;
        }
    }
    gic::disable(FLOOR_SGI);
    FLOOR_READY[core].store(false, Ordering::Relaxed);
    arch::restore_irqs(were_enabled);
}

/// SGI floor, sending side: as the kernel's row sends its pings, with the
/// SGI written straight to GICD_SGIR.
fn sgi_floor_send(target: usize) -> [u64; 4] {
    while !FLOOR_READY[target].load(Ordering::Acquire) {
        arch::wait_for_event();
    }
    let mut lat = [0u64; SAMPLES];
    for sample in lat.iter_mut() {
        FLOOR_LATENCY[target].store(u64::MAX, Ordering::Release);
        FLOOR_SENT_AT.store(arch::counter(), Ordering::Release);
        // The stores visible before the SGI, as `ipi::send` orders them.
        barrier::dsb(barrier::ISHST);
        gic::send_sgi(FLOOR_SGI, 1 << target);
        while FLOOR_LATENCY[target].load(Ordering::Acquire) == u64::MAX {
            arch::wait_for_event();
        }
        *sample = FLOOR_LATENCY[target].load(Ordering::Acquire);
    }
    let mean = mean_hundredths(&lat);
    let [min, median, max] = min_median_max(&mut lat);
    [min, median, max, mean]
}

/// The cycle counter as the `Pong` handler of [`sgi_self_kernel`] read
/// it first.
static SELF_HANDLED_AT: AtomicU64 = AtomicU64::new(0);

fn on_self_pong(_core: usize, _from: usize) {
    SELF_HANDLED_AT.store(sysreg::cycle_counter(), Ordering::Relaxed);
}

/// The kernel's SGI from send to handler on one core, in instructions
/// (the cycle counter, which under icount counts instructions exactly):
/// `ipi::send` to this core, WFI (IRQs masked, so it returns at once on
/// the pending SGI), then `irq::dispatch` as an idle core of the module
/// runs it, to the `Pong` handler's first read. Core 0 with the others
/// halted, so no other vCPU's work is in the figure; min / median / max.
fn sgi_self_kernel() -> [u64; 3] {
    let were_enabled = arch::disable_irqs();
    ipi::set_handler(IpiReason::Pong, on_self_pong);
    let mut lat = [0u64; SAMPLES];
    for sample in lat.iter_mut() {
        SELF_HANDLED_AT.store(0, Ordering::Relaxed);
        let start = sysreg::cycle_counter();
        ipi::send(IpiReason::Pong, CoreSet::single(0));
        arch::wait_for_interrupt();
        irq::dispatch();
        *sample = SELF_HANDLED_AT.load(Ordering::Relaxed).saturating_sub(start);
    }
    arch::restore_irqs(were_enabled);
    min_median_max(&mut lat)
}

/// The floor of [`sgi_self_kernel`]: DSB, GICD_SGIR, WFI, GICC_IAR, the
/// counter read, GICC_EOIR.
fn sgi_self_floor() -> [u64; 3] {
    let were_enabled = arch::disable_irqs();
    gic::enable(FLOOR_SGI);
    let mut lat = [0u64; SAMPLES];
    for sample in lat.iter_mut() {
        let start = sysreg::cycle_counter();
        barrier::dsb(barrier::ISHST);
        gic::send_sgi(FLOOR_SGI, 1);
        arch::wait_for_interrupt();
        let Some(ack) = gic::acknowledge() else { continue };
        let now = sysreg::cycle_counter();
        gic::end_of_interrupt(ack);
        *sample = now - start;
    }
    gic::disable(FLOOR_SGI);
    arch::restore_irqs(were_enabled);
    min_median_max(&mut lat)
}

unsafe extern "C" {
    fn __hvc_floor(batches: u64, sgir: usize, sgir_value: u64) -> u64;
}

// The null-HVC floor (see the header). `__hvc_floor(batches, &GICD_SGIR,
// value)` returns the cycles the EL1 caller counted around its
// `16 * batches` calls, or 0 if it came back before the end (any other
// exception or interrupt). The kernel's registers it changes are kept in
// x19-x24, which the EL1 code never touches, and the exit finds the
// kernel's stack where it left it: an exception from EL1 to EL2 takes
// SP_EL2, which the `eret` left as it was.
global_asm!(
    r#"
.section .text.hvc_floor, "ax"
.balign 2048
hvc_floor_vectors:
    // Current EL (0x000-0x380): none is expected while the table is in
    // place (IRQs masked at EL2, no access that can fault).
    .rept 8
    b       .
    .balign 128
    .endr
    // Lower EL, AArch64, synchronous: the null hypercall, returned at once.
    eret
    .balign 128
    // Lower EL, AArch64, IRQ (the caller's own SGI), FIQ, SError, and
    // every AArch32 entry: back to the kernel.
    .rept 7
    b       hvc_floor_exit
    .balign 128
    .endr

hvc_floor_el1:
    mrs     x2, pmccntr_el0
1:  .rept 16
    hvc     #0
    .endr
    subs    x0, x0, #1
    b.ne    1b
    mrs     x3, pmccntr_el0
    str     w4, [x1]                    // GICD_SGIR: an SGI to this core
2:  b       2b

.global __hvc_floor
__hvc_floor:
    stp     x29, x30, [sp, #-64]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    mrs     x19, vbar_el2
    mrs     x20, hcr_el2
    mrs     x21, mdcr_el2
    mrs     x22, sctlr_el1
    mrs     x23, elr_el2
    mrs     x24, spsr_el2
    adrp    x9, hvc_floor_vectors
    add     x9, x9, :lo12:hvc_floor_vectors
    msr     vbar_el2, x9
    bic     x9, x20, #1                 // HCR_EL2.VM: stage 2 off
    bic     x9, x9, #(1 << 12)          // HCR_EL2.DC, which implies VM
    msr     hcr_el2, x9
    bic     x9, x21, #(1 << 6)          // MDCR_EL2.TPM: EL1 reads PMCCNTR
    msr     mdcr_el2, x9
    mov     x9, #0x0800                 // SCTLR_EL1: RES1 bits, MMU off
    movk    x9, #0x30d0, lsl #16
    msr     sctlr_el1, x9
    adrp    x9, hvc_floor_el1
    add     x9, x9, :lo12:hvc_floor_el1
    msr     elr_el2, x9
    mov     x9, #0x3c5                  // EL1h, DAIF masked
    msr     spsr_el2, x9
    mov     x4, x2
    mov     x3, xzr
    isb
    eret

hvc_floor_exit:
    msr     vbar_el2, x19
    msr     hcr_el2, x20
    msr     mdcr_el2, x21
    msr     sctlr_el1, x22
    msr     elr_el2, x23
    msr     spsr_el2, x24
    isb
    sub     x0, x3, x2
    cmp     x3, #0
    csel    x0, xzr, x0, eq
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x29, x30, [sp], #64
    ret
"#
);

/// The null-HVC floor, in hundredths of an instruction per round trip
/// (the EL1 loop's two instructions per 16 calls included); `None` if the
/// caller was interrupted.
fn hvc_floor() -> Option<u64> {
    let were_enabled = arch::disable_irqs();
    gic::enable(FLOOR_SGI);
    let (sgir, value) = gic::sgi_to_self(FLOOR_SGI);
    // SAFETY: IRQs are masked at EL2 and the other cores are halted; the
    // routine installs its own EL2 vectors and EL1 configuration for the
    // length of the measurement and puts the kernel's back (VBAR_EL2,
    // HCR_EL2, MDCR_EL2, SCTLR_EL1, ELR/SPSR_EL2) before it returns through
    // the ordinary call path with every callee-saved register restored;
    // the EL1 code runs from the kernel's own text with stage 2 off and
    // writes only GICD_SGIR.
    let cycles = unsafe { __hvc_floor(HVC_BATCHES, sgir, u64::from(value)) };
    // The SGI that brought the core back is still pending: take it here.
    if let Some(ack) = gic::acknowledge() {
        gic::end_of_interrupt(ack);
    }
    gic::disable(FLOOR_SGI);
    arch::restore_irqs(were_enabled);
    (cycles != 0).then(|| cycles * 100 / (16 * HVC_BATCHES))
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
        if core == target {
            sgi_receive(core);
        } else if core == sender {
            while !READY[target].load(Ordering::Acquire) {
                arch::wait_for_event();
            }
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
            let mean = mean_hundredths(&lat);
            let [min, median, max] = min_median_max(&mut lat);
            for (slot, v) in SGI[target].iter().zip([min, median, max, mean]) {
                slot.store(v, Ordering::Relaxed);
            }
        }
        BARRIER.wait(CORES, None).ok();
    }

    // The SGI floor, over the same core pairs.
    for (target, floor) in SGI_FLOOR.iter().enumerate() {
        let sender = (target + 1) % CORES;
        if core == target {
            sgi_floor_receive(core);
        } else if core == sender {
            for (slot, v) in floor.iter().zip(sgi_floor_send(target)) {
                slot.store(v, Ordering::Relaxed);
            }
        }
        BARRIER.wait(CORES, None).ok();
    }

    if core != 0 {
        PARKED.fetch_add(1, Ordering::Release);
        loop {
            arch::wait_for_interrupt();
        }
    }
    while PARKED.load(Ordering::Acquire) < CORES - 1 {
        arch::wait_for_event();
    }
    let hvc = hvc_floor();
    let sgi_self = [sgi_self_kernel(), sgi_self_floor()];

    println!(
        "bench | core | timer IRQ path, instructions (min/median/max) | SGI send->handler, ticks (min/median/max/mean) | SGI floor, ticks (min/median/max/mean)"
    );
    for c in 0..CORES {
        let i = IRQ_PATH[c].each_ref().map(|a| a.load(Ordering::Relaxed));
        let s = SGI[c].each_ref().map(|a| a.load(Ordering::Relaxed));
        let f = SGI_FLOOR[c].each_ref().map(|a| a.load(Ordering::Relaxed));
        println!(
            "bench | {c:>4} | {:>16} / {:>6} / {:>6} | {:>12} / {:>6} / {:>6} / {}.{:02} | {:>6} / {:>6} / {:>6} / {}.{:02}",
            i[0],
            i[1],
            i[2],
            s[0],
            s[1],
            s[2],
            s[3] / 100,
            s[3] % 100,
            f[0],
            f[1],
            f[2],
            f[3] / 100,
            f[3] % 100
        );
    }
    let [kernel, floor] = sgi_self;
    println!(
        "bench | sgi to self | {} / {} / {} | {} / {} / {}",
        kernel[0], kernel[1], kernel[2], floor[0], floor[1], floor[2]
    );
    match hvc {
        Some(h) => println!(
            "bench | null hvc floor | {}.{:02} instructions per round trip (hand-written: hvc from EL1 to an EL2 vector that is a lone eret; {} calls)",
            h / 100,
            h % 100,
            16 * HVC_BATCHES
        ),
        None => println!("bench | null hvc floor | interrupted"),
    }
    semihosting_exit(0)
}
