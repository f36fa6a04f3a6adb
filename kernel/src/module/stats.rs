//! Benchmark statistics of the partition loop, kept only by the benchmark
//! kernel (`bench-switch`): the partition-switch path per core, in PMU
//! cycles (= instructions under QEMU `-icount shift=0`), from the timer
//! interrupt to the last instruction before the `eret` into the thread the
//! scheduler picked: from the first instruction of the exit vector when the
//! interrupt ended another thread's run, or from the return of the idle
//! WFI when the core was idle (with IRQs masked at EL2 the idle core takes
//! no vector). Both include the scheduler's decision, the timer re-arm, the
//! GIC acknowledge and end of interrupt, and the EL1/FP state switch.
//!
//! **Per core on four cores** (issue 19, item 3). Under icount the cycle
//! counter follows the one virtual clock of all vCPUs, and QEMU has no
//! per-vCPU instruction count (bench.rs), so a path measured while
//! another core runs counts that core's instructions too. QEMU runs the
//! vCPUs in turn on one thread and switches from one to the next only
//! when it halts (WFI), yields (WFE, YIELD), its slice ends, or it writes
//! a timer compare value earlier than every pending one (QEMU's timer
//! code then kicks the running vCPU out to recompute its icount
//! deadline). At a boundary every core re-arms its EL2 timer, so the
//! first core to do so is switched out right there, and the others run
//! their own boundary work before it goes on. So each sample is also
//! checked against the other cores' activity:
//!
//! - every core counts its *quiet* spells in [`QUIET_SEQ`] (odd while
//!   quiet): its idle WFI, and its EL2 timer write in `decide`;
//! - the switching core notes the other cores' counts just after the
//!   path's first stamp ([`path_started`]), compares them and stamps the
//!   cycle count around its own timer write ([`arm_timer`]), notes them
//!   again after it, and compares just before the path's last stamp
//!   ([`path_ending`]);
//! - a sample qualifies if every other core was quiet and unchanged from
//!   the first check to the timer write and from the timer write to the
//!   last check; it goes into [`ALONE`] without the time spent in its own
//!   timer write (where the other vCPUs may have run), plus the least any
//!   timer write took in the run (its own instructions).
//!
//! Only the per-core benchmark kernel (`bench-alone`, [`bench_main_alone`])
//! does this; on the others each call is one flag test. The report gives
//! every sample and the qualifying ones, with how many qualified. The
//! check's own cycles (each call's, from its first to its last count
//! read, and the recording of the previous sample, which falls inside the
//! next path) are left out of that kernel's samples; the calls are not
//! inlined, so the path around them is compiled as without them. Not
//! seen: another core's instructions between its mark and its WFI or timer
//! write (one store), and a core that woke and went quiet again between
//! the path's first stamp and the first check (the exit path until the
//! thread is off the core, `run_thread` returned; for an idle core the
//! return of its WFI) or between the last check and the last stamp (the
//! thread's first entry): QEMU would have to switch vCPUs there, and it
//! does so only where a vCPU halts, yields, writes a timer or ends its
//! slice.
//!
//! Two floors are measured in the same run, when core 0 reports: the GPR
//! save/restore of any thread switch ([`context_floor`]) and a hand-written
//! switch of everything the kernel switches between two partitions'
//! threads ([`switch_floor`]); issue 19's goal is a switch path within 1.5
//! times the second.
use crate::arch::Mutex;
use crate::arch::sysreg;
use crate::time::Ticks;
use crate::{println, semihosting_exit, timer};
use bulkhead_board_rpi4::CORES;
use bulkhead_board_rpi4::gic::{GICC_BASE, GICH_BASE};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

const SAMPLES: usize = 512;

struct Samples {
    values: [u32; SAMPLES],
    count: usize,
}

impl Samples {
    /// One sample into the ring (the last [`SAMPLES`] are kept), saturated
    /// at `u32::MAX`.
    fn push(&mut self, value: u64) {
        let i = self.count % SAMPLES;
        self.values[i] = value.min(u64::from(u32::MAX)) as u32;
        self.count += 1;
    }
}

static ENABLED: AtomicBool = AtomicBool::new(false);
/// The per-core check is on (`bench-alone`, [`bench_main_alone`]); the
/// other benchmark kernels run their paths without it.
static PER_CORE: AtomicBool = AtomicBool::new(false);
static SWITCH: [Mutex<Samples>; CORES] = [const { Mutex::new(Samples { values: [0; SAMPLES], count: 0 }) }; CORES];
/// The samples of [`SWITCH`] during which every other core was quiet,
/// without their own timer write's time (module docs).
static ALONE: [Mutex<Samples>; CORES] = [const { Mutex::new(Samples { values: [0; SAMPLES], count: 0 }) }; CORES];
/// Per core, its quiet spells: odd while it sleeps in its idle WFI or
/// writes its EL2 timer (counted only while the statistics are on; a core
/// quiet when they were turned on counts as busy until its next spell).
static QUIET_SEQ: [AtomicU32; CORES] = [const { AtomicU32::new(0) }; CORES];
/// Per switching core: the other cores' [`QUIET_SEQ`] at its last check
/// (its own slot unused), and whether they have been quiet since its
/// path's first stamp.
static SEEN: [[AtomicU32; CORES]; CORES] = [const { [const { AtomicU32::new(0) }; CORES] }; CORES];
static QUIET_SO_FAR: [AtomicBool; CORES] = [const { AtomicBool::new(false) }; CORES];
/// Per core: whether its last path qualified, and the cycles of the timer
/// write in it.
static PATH_ALONE: [AtomicBool; CORES] = [const { AtomicBool::new(false) }; CORES];
static TIMER_WRITE: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];
/// Per core: the timer writes since its path's first stamp (a sample
/// qualifies with exactly one, the time of which is left out).
static WRITES: [AtomicU32; CORES] = [const { AtomicU32::new(0) }; CORES];
/// Per core, the least cycles a timer write took (its own instructions;
/// 0: none yet, so the array stays in .bss).
static TIMER_WRITE_LEAST: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];
/// Per core: the cycles its switch path spent in the statistics' own
/// bookkeeping (from the first stamp's check on), left out of its samples.
static BOOKKEEPING: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];
/// Per core, of its last path, as [`path_ending`] found them: the
/// bookkeeping and the timer write's cycles.
static PATH_KEPT: [[AtomicU64; 2]; CORES] = [const { [const { AtomicU64::new(0) }; 2] }; CORES];
/// When core 0 prints the table and ends the run (ticks; 0 = never).
static REPORT_AT: AtomicU64 = AtomicU64::new(0);
/// The count when core 0 had loaded the module (ticks from reset).
static LOADED_AT: AtomicU64 = AtomicU64::new(0);

/// Core 0, right after a successful load: notes the count for the boot
/// figure (benchmark kernel only).
pub fn note_loaded() {
    if enabled() {
        LOADED_AT.store(timer::now().0, Ordering::Relaxed);
    }
}

/// Turns the statistics on and sets when core 0 reports (benchmark kernel).
pub fn enable(report_at: u64) {
    REPORT_AT.store(report_at, Ordering::Relaxed);
    ENABLED.store(true, Ordering::Release);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// A benchmark kernel's `main` (`bench-switch`, traced: `trace` given;
/// `bench-product`, without the trace): the cycle counter on, the
/// statistics on, the table printed and the run ended 2 s after boot (the
/// epoch is fixed during load, well before), then the module as always.
pub fn bench_main(core: usize, trace: Option<&'static super::trace::Sender>) -> ! {
    sysreg::start_cycle_counter();
    if core == 0 {
        enable(timer::now().0 + timer::frequency().hz() * 2);
    }
    super::kernel_main(core, trace)
}

/// The per-core benchmark kernel's `main` (`bench-alone`, without the
/// trace): [`bench_main`] with the per-core check on.
pub fn bench_main_alone(core: usize) -> ! {
    PER_CORE.store(true, Ordering::Relaxed);
    bench_main(core, None)
}

/// One switch-path sample of the calling core. It is recorded inside the
/// next path (after the thread's exit), so on the per-core kernel its own
/// cycles are booked as that path's bookkeeping.
///
/// The sample waits in [`PENDING`] for the core's idle time
/// ([`flush_pending`]): taking the ring's lock and pushing here, inside
/// the switch path being measured, put 15 of the benchmark's own
/// instructions into every sample. Only if the core had no idle time
/// since the last sample does that one go into the ring here.
pub fn record_switch(core: usize, cycles: u64) {
    if PER_CORE.load(Ordering::Relaxed) {
        return record_switch_counted(core, cycles);
    }
    // Only this core writes its slot: a load and a store, no exclusive.
    let before = PENDING[core].load(Ordering::Relaxed);
    PENDING[core].store(cycles.min(u64::MAX - 1) + 1, Ordering::Relaxed);
    if before != 0 {
        push_switch(core, before - 1);
    }
}

/// Per core, the last switch-path sample not yet in [`SWITCH`], plus one
/// (0: none).
static PENDING: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];

#[cold]
#[inline(never)]
fn push_switch(core: usize, cycles: u64) {
    SWITCH[core].lock().push(cycles);
}

/// Idle time: the core's pending switch-path sample into its ring.
pub fn flush_pending(core: usize) {
    let pending = PENDING[core].load(Ordering::Relaxed);
    if pending != 0 {
        PENDING[core].store(0, Ordering::Relaxed);
        push_switch(core, pending - 1);
    }
}

/// [`record_switch`] on the per-core kernel: without the per-core check's
/// own bookkeeping in the sample, and into [`ALONE`] too, without its
/// timer write's time either, if [`path_ending`] found it qualified.
#[inline(never)]
fn record_switch_counted(core: usize, cycles: u64) {
    let from = sysreg::cycle_counter();
    // What `path_ending` kept of the path (the thread has exited since,
    // and `path_started` begun the next one).
    let [booked, write] = PATH_KEPT[core].each_ref().map(|a| a.load(Ordering::Relaxed));
    let path = cycles.saturating_sub(booked);
    SWITCH[core].lock().push(path);
    if PATH_ALONE[core].load(Ordering::Relaxed) {
        ALONE[core].lock().push(path.saturating_sub(write));
    }
    book(core, from);
}

/// Adds the cycles since `from` to the core's bookkeeping of this path.
fn book(core: usize, from: u64) {
    let b = &BOOKKEEPING[core];
    b.store(b.load(Ordering::Relaxed) + sysreg::cycle_counter().wrapping_sub(from), Ordering::Relaxed);
}

/// Marks the calling core quiet (odd) or busy (even) again.
fn quiet(core: usize, on: bool) {
    let seq = &QUIET_SEQ[core];
    let v = seq.load(Ordering::Relaxed);
    seq.store(if on { v | 1 } else { (v | 1).wrapping_add(1) }, Ordering::Relaxed);
}

/// Notes the other cores' counts as `core`'s snapshot. Returns whether
/// they are all quiet now, and whether they were also unchanged since the
/// last snapshot. (Relaxed: the check is for QEMU's round robin, which
/// runs one vCPU at a time; on hardware the figure has no meaning.)
fn snapshot(core: usize) -> (bool, bool) {
    let (mut quiet, mut unchanged) = (true, true);
    for other in (0..CORES).filter(|&o| o != core) {
        let v = QUIET_SEQ[other].load(Ordering::Relaxed);
        quiet &= v & 1 == 1;
        unchanged &= v == SEEN[core][other].load(Ordering::Relaxed);
        SEEN[core][other].store(v, Ordering::Relaxed);
    }
    (quiet, unchanged)
}

/// The idle WFI of every core (`console::sleep`): a quiet spell on the
/// per-core benchmark kernel.
#[inline]
pub fn wait_for_interrupt(core: usize) {
    if !PER_CORE.load(Ordering::Relaxed) {
        crate::arch::wait_for_interrupt();
        return;
    }
    quiet(core, true);
    crate::arch::wait_for_interrupt();
    quiet(core, false);
}

/// Just after a stamp that may start a switch path (a guest exit, the
/// return of the idle WFI): notes the other cores' counts (per-core
/// benchmark kernel).
#[inline]
pub fn path_started(core: usize) {
    if PER_CORE.load(Ordering::Relaxed) {
        path_started_counted(core);
    }
}

#[inline(never)]
fn path_started_counted(core: usize) {
    let from = sysreg::cycle_counter();
    let (quiet, _) = snapshot(core);
    QUIET_SO_FAR[core].store(quiet, Ordering::Relaxed);
    WRITES[core].store(0, Ordering::Relaxed);
    BOOKKEEPING[core].store(0, Ordering::Relaxed);
    book(core, from);
}

/// The core's EL2 timer, armed at `deadline` (`decide`): where QEMU may
/// switch vCPUs. On the per-core benchmark kernel a quiet spell, its
/// cycles stamped, the other cores checked before it and noted after it.
#[inline]
pub fn arm_timer(core: usize, deadline: Ticks) {
    if PER_CORE.load(Ordering::Relaxed) {
        arm_timer_counted(core, deadline);
    } else {
        timer::arm_at(deadline);
    }
}

#[inline(never)]
fn arm_timer_counted(core: usize, deadline: Ticks) {
    let from = sysreg::cycle_counter();
    let (quiet_before, unchanged) = snapshot(core);
    let so_far = QUIET_SO_FAR[core].load(Ordering::Relaxed) && quiet_before && unchanged;
    quiet(core, true);
    let before = sysreg::cycle_counter();
    timer::arm_at(deadline);
    let took = sysreg::cycle_counter().wrapping_sub(before);
    quiet(core, false);
    TIMER_WRITE[core].store(took, Ordering::Relaxed);
    let least = &TIMER_WRITE_LEAST[core];
    let so_far_least = least.load(Ordering::Relaxed);
    if so_far_least == 0 || took < so_far_least {
        least.store(took, Ordering::Relaxed);
    }
    WRITES[core].store(WRITES[core].load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    // A fresh snapshot after it: the others may have run meanwhile.
    let (quiet_after, _) = snapshot(core);
    QUIET_SO_FAR[core].store(so_far && quiet_after, Ordering::Relaxed);
    book(core, from);
    // The write itself is the path's, not bookkeeping.
    let b = &BOOKKEEPING[core];
    b.store(b.load(Ordering::Relaxed) - took, Ordering::Relaxed);
}

/// Just before the stamp that ends a switch path (the first entry into
/// the thread): whether every other core was quiet throughout it, but for
/// its one timer write (per-core benchmark kernel).
#[inline]
pub fn path_ending(core: usize) {
    if PER_CORE.load(Ordering::Relaxed) {
        path_ending_counted(core);
    }
}

#[inline(never)]
fn path_ending_counted(core: usize) {
    let from = sysreg::cycle_counter();
    let (quiet, unchanged) = snapshot(core);
    let alone =
        QUIET_SO_FAR[core].load(Ordering::Relaxed) && quiet && unchanged && WRITES[core].load(Ordering::Relaxed) == 1;
    PATH_ALONE[core].store(alone, Ordering::Relaxed);
    book(core, from);
    PATH_KEPT[core][0].store(BOOKKEEPING[core].load(Ordering::Relaxed), Ordering::Relaxed);
    PATH_KEPT[core][1].store(TIMER_WRITE[core].load(Ordering::Relaxed), Ordering::Relaxed);
}

/// The exit half both floors share: x0-x30, SP_EL0, ELR_EL2 and SPSR_EL2
/// stored at `{a}` in `GuestFrame`'s order, as the exit vector does.
macro_rules! save_gprs {
    () => {
        concat!(
            "stp x0, x1, [{a}, #8 * 0]\n",
            "stp x2, x3, [{a}, #8 * 2]\n",
            "stp x4, x5, [{a}, #8 * 4]\n",
            "stp x6, x7, [{a}, #8 * 6]\n",
            "stp x8, x9, [{a}, #8 * 8]\n",
            "stp x10, x11, [{a}, #8 * 10]\n",
            "stp x12, x13, [{a}, #8 * 12]\n",
            "stp x14, x15, [{a}, #8 * 14]\n",
            "stp x16, x17, [{a}, #8 * 16]\n",
            "stp x18, x19, [{a}, #8 * 18]\n",
            "stp x20, x21, [{a}, #8 * 20]\n",
            "stp x22, x23, [{a}, #8 * 22]\n",
            "stp x24, x25, [{a}, #8 * 24]\n",
            "stp x26, x27, [{a}, #8 * 26]\n",
            "stp x28, x29, [{a}, #8 * 28]\n",
            "str x30, [{a}, #8 * 30]\n",
            "mrs x0, sp_el0\n",
            "mrs x1, elr_el2\n",
            "mrs x2, spsr_el2\n",
            "stp x0, x1, [{a}, #8 * 31]\n",
            "str x2, [{a}, #8 * 33]\n",
        )
    };
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
            save_gprs!(),
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

/// Where [`switch_floor`] keeps the state it switches, one thread's worth.
#[repr(C, align(16))]
struct SwitchArea {
    /// x0-x30, SP_EL0, ELR_EL2, SPSR_EL2 (`GuestFrame`'s order).
    gpr: [u64; 34],
    /// The 24 registers of `El1State`, in its order (the virtual timer's
    /// CNTV_CTL/CVAL last).
    el1: [u64; 24],
    /// VTTBR_EL2, VMPIDR_EL2: loaded, never saved (derived from the
    /// partition and thread, as the kernel does).
    vm: [u64; 2],
    /// GICH_VMCR, GICH_APR, GICH_LR0-3, GICH_HCR (`VgicState`).
    gich: [u32; 8],
    /// FPCR, FPSR, then q0-q31 from byte 16 (`FpState`).
    fp: [u64; 2 + 64],
}

/// The instructions of a minimal hand-written partition switch: the
/// floor of everything the kernel switches between two partitions'
/// threads (DESIGN.md §3.5, §3.7), straight-line, no decision, no lock:
///
/// - x0-x30, SP_EL0, ELR_EL2, SPSR_EL2 stored, and loaded last;
/// - the 24 EL1 registers of `El1State` (the virtual timer among them),
///   q0-q31, FPCR and FPSR saved and loaded, then an `isb`;
/// - VTTBR_EL2 and VMPIDR_EL2 loaded (the kernel derives them);
/// - the GIC virtual interface (GICH_VMCR, GICH_APR, 4 list registers,
///   GICH_HCR, MMIO at EL2) read and written;
/// - the interrupt's own bookkeeping: one GIC CPU-interface read where the
///   kernel acknowledges (GICC_HPPIR: the same one load, without taking an
///   interrupt away from the kernel), an end of interrupt (of the spurious
///   ID, which the GIC ignores) and the EL2 timer re-armed.
///
/// It loads back what it saved (loading another thread's set takes the
/// same instructions), so the core's state is the kernel's afterwards.
/// Not in it: the exception entry and `eret` (not in the measured path
/// either) and the Spectre-BHB sequence of every exit (DESIGN.md §3.5).
/// Core 0 in idle time, IRQs masked at EL2.
pub fn switch_floor() -> u64 {
    let mut area = SwitchArea { gpr: [0; 34], el1: [0; 24], vm: [0; 2], gich: [0; 8], fp: [0; 66] };
    // SAFETY: reads of two EL2 registers, no side effect.
    unsafe {
        core::arch::asm!(
            "mrs {t}, vttbr_el2",
            "mrs {u}, vmpidr_el2",
            t = out(reg) area.vm[0],
            u = out(reg) area.vm[1],
            options(nomem, nostack, preserves_flags)
        )
    };
    let start = sysreg::cycle_counter();
    // SAFETY: stores to and loads from `area` only, and reads and writes of
    // the GIC's CPU and hypervisor interfaces of this core (mapped device
    // memory at EL2); every register it writes gets back the value it read
    // in the same block, so the thread and partition state of the core are
    // unchanged; EOIR is written with the spurious ID, which the GIC
    // ignores (IHI 0048B 4.4.5), and the EL2 timer with its own deadline.
    // Every general-purpose register is saved first and restored last from
    // the same slots; the clobbers keep the inputs out of the temporaries.
    unsafe {
        core::arch::asm!(
            ".arch_extension fp",
            ".arch_extension simd",
            // Exit: the thread's GPRs and exception return state.
            save_gprs!(),
            // The interrupt: acknowledge (one read of the CPU interface).
            "ldr w0, [{c}, #0x18]",
            // The outgoing thread's EL1 state, FP state, virtual interface.
            "mrs x0, sctlr_el1",
            "mrs x1, ttbr0_el1",
            "mrs x2, ttbr1_el1",
            "mrs x3, tcr_el1",
            "mrs x4, mair_el1",
            "mrs x5, amair_el1",
            "mrs x6, vbar_el1",
            "mrs x7, contextidr_el1",
            "stp x0, x1, [{e}, #8 * 0]",
            "stp x2, x3, [{e}, #8 * 2]",
            "stp x4, x5, [{e}, #8 * 4]",
            "stp x6, x7, [{e}, #8 * 6]",
            "mrs x0, tpidr_el0",
            "mrs x1, tpidrro_el0",
            "mrs x2, tpidr_el1",
            "mrs x3, esr_el1",
            "mrs x4, far_el1",
            "mrs x5, afsr0_el1",
            "mrs x6, afsr1_el1",
            "mrs x7, par_el1",
            "stp x0, x1, [{e}, #8 * 8]",
            "stp x2, x3, [{e}, #8 * 10]",
            "stp x4, x5, [{e}, #8 * 12]",
            "stp x6, x7, [{e}, #8 * 14]",
            "mrs x0, cpacr_el1",
            "mrs x1, elr_el1",
            "mrs x2, spsr_el1",
            "mrs x3, sp_el1",
            "mrs x4, csselr_el1",
            "mrs x5, cntkctl_el1",
            "mrs x6, cntv_ctl_el0",
            "mrs x7, cntv_cval_el0",
            "stp x0, x1, [{e}, #8 * 16]",
            "stp x2, x3, [{e}, #8 * 18]",
            "stp x4, x5, [{e}, #8 * 20]",
            "stp x6, x7, [{e}, #8 * 22]",
            "mrs x0, fpcr",
            "mrs x1, fpsr",
            "stp x0, x1, [{f}]",
            "stp q0, q1, [{f}, #16 + 32 * 0]",
            "stp q2, q3, [{f}, #16 + 32 * 1]",
            "stp q4, q5, [{f}, #16 + 32 * 2]",
            "stp q6, q7, [{f}, #16 + 32 * 3]",
            "stp q8, q9, [{f}, #16 + 32 * 4]",
            "stp q10, q11, [{f}, #16 + 32 * 5]",
            "stp q12, q13, [{f}, #16 + 32 * 6]",
            "stp q14, q15, [{f}, #16 + 32 * 7]",
            "stp q16, q17, [{f}, #16 + 32 * 8]",
            "stp q18, q19, [{f}, #16 + 32 * 9]",
            "stp q20, q21, [{f}, #16 + 32 * 10]",
            "stp q22, q23, [{f}, #16 + 32 * 11]",
            "stp q24, q25, [{f}, #16 + 32 * 12]",
            "stp q26, q27, [{f}, #16 + 32 * 13]",
            "stp q28, q29, [{f}, #16 + 32 * 14]",
            "stp q30, q31, [{f}, #16 + 32 * 15]",
            "ldr w0, [{h}, #0x008]",
            "ldr w1, [{h}, #0x0f0]",
            "ldr w2, [{h}, #0x100]",
            "ldr w3, [{h}, #0x104]",
            "ldr w4, [{h}, #0x108]",
            "ldr w5, [{h}, #0x10c]",
            "ldr w6, [{h}, #0x000]",
            "stp w0, w1, [{g}]",
            "stp w2, w3, [{g}, #8]",
            "stp w4, w5, [{g}, #16]",
            "str w6, [{g}, #24]",
            // The incoming thread's: EL1, FP, its partition's translation
            // and its vCPU ID, its virtual interface.
            "ldp x0, x1, [{e}, #8 * 0]",
            "ldp x2, x3, [{e}, #8 * 2]",
            "ldp x4, x5, [{e}, #8 * 4]",
            "ldp x6, x7, [{e}, #8 * 6]",
            "msr sctlr_el1, x0",
            "msr ttbr0_el1, x1",
            "msr ttbr1_el1, x2",
            "msr tcr_el1, x3",
            "msr mair_el1, x4",
            "msr amair_el1, x5",
            "msr vbar_el1, x6",
            "msr contextidr_el1, x7",
            "ldp x0, x1, [{e}, #8 * 8]",
            "ldp x2, x3, [{e}, #8 * 10]",
            "ldp x4, x5, [{e}, #8 * 12]",
            "ldp x6, x7, [{e}, #8 * 14]",
            "msr tpidr_el0, x0",
            "msr tpidrro_el0, x1",
            "msr tpidr_el1, x2",
            "msr esr_el1, x3",
            "msr far_el1, x4",
            "msr afsr0_el1, x5",
            "msr afsr1_el1, x6",
            "msr par_el1, x7",
            "ldp x0, x1, [{e}, #8 * 16]",
            "ldp x2, x3, [{e}, #8 * 18]",
            "ldp x4, x5, [{e}, #8 * 20]",
            "ldp x6, x7, [{e}, #8 * 22]",
            "msr cpacr_el1, x0",
            "msr elr_el1, x1",
            "msr spsr_el1, x2",
            "msr sp_el1, x3",
            "msr csselr_el1, x4",
            "msr cntkctl_el1, x5",
            "msr cntv_ctl_el0, x6",
            "msr cntv_cval_el0, x7",
            "ldp x0, x1, [{f}]",
            "msr fpcr, x0",
            "msr fpsr, x1",
            "ldp q0, q1, [{f}, #16 + 32 * 0]",
            "ldp q2, q3, [{f}, #16 + 32 * 1]",
            "ldp q4, q5, [{f}, #16 + 32 * 2]",
            "ldp q6, q7, [{f}, #16 + 32 * 3]",
            "ldp q8, q9, [{f}, #16 + 32 * 4]",
            "ldp q10, q11, [{f}, #16 + 32 * 5]",
            "ldp q12, q13, [{f}, #16 + 32 * 6]",
            "ldp q14, q15, [{f}, #16 + 32 * 7]",
            "ldp q16, q17, [{f}, #16 + 32 * 8]",
            "ldp q18, q19, [{f}, #16 + 32 * 9]",
            "ldp q20, q21, [{f}, #16 + 32 * 10]",
            "ldp q22, q23, [{f}, #16 + 32 * 11]",
            "ldp q24, q25, [{f}, #16 + 32 * 12]",
            "ldp q26, q27, [{f}, #16 + 32 * 13]",
            "ldp q28, q29, [{f}, #16 + 32 * 14]",
            "ldp q30, q31, [{f}, #16 + 32 * 15]",
            "ldp x0, x1, [{v}]",
            "msr vttbr_el2, x0",
            "msr vmpidr_el2, x1",
            "ldp w0, w1, [{g}]",
            "ldp w2, w3, [{g}, #8]",
            "ldp w4, w5, [{g}, #16]",
            "ldr w6, [{g}, #24]",
            "str w0, [{h}, #0x008]",
            "str w1, [{h}, #0x0f0]",
            "str w2, [{h}, #0x100]",
            "str w3, [{h}, #0x104]",
            "str w4, [{h}, #0x108]",
            "str w5, [{h}, #0x10c]",
            "str w6, [{h}, #0x000]",
            "isb",
            // End of interrupt, and the EL2 timer re-armed.
            "mov w0, #1023",
            "str w0, [{c}, #0x10]",
            "mrs x0, cnthp_cval_el2",
            "msr cnthp_cval_el2, x0",
            // Entry: the incoming thread's exception return state and GPRs.
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
            "ldp x28, x29, [{a}, #8 * 28]",
            "ldr x30, [{a}, #8 * 30]",
            a = in(reg) area.gpr.as_mut_ptr(),
            e = in(reg) area.el1.as_mut_ptr(),
            v = in(reg) area.vm.as_ptr(),
            g = in(reg) area.gich.as_mut_ptr(),
            f = in(reg) area.fp.as_mut_ptr(),
            h = in(reg) GICH_BASE,
            c = in(reg) GICC_BASE,
            out("x0") _, out("x1") _, out("x2") _, out("x3") _,
            out("x4") _, out("x5") _, out("x6") _, out("x7") _,
            options(nostack)
        )
    };
    sysreg::cycle_counter() - start
}

fn summary(ring: &Mutex<Samples>) -> Option<[u64; 4]> {
    let s = ring.lock();
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
    // Boot: virtual time from reset under icount, one instruction per ns
    // of whichever core ran it (cores waiting in WFE/WFI add none), to the
    // module loaded; the epoch follows by the kernel's fixed lead (a wait).
    let ns = |ticks: u64| u128::from(ticks) * 1_000_000_000 / u128::from(timer::frequency().hz());
    println!(
        "bench | boot | loaded at {} ns, epoch at {} ns",
        ns(LOADED_AT.load(Ordering::Relaxed)),
        ns(super::EPOCH.load(Ordering::Relaxed))
    );
    let floor = context_floor();
    let full = switch_floor();
    println!("bench | context floor | {floor} instructions (hand-written save/restore of x0-x30, SP_EL0, ELR, SPSR)");
    println!(
        "bench | switch floor | {full} instructions (hand-written switch: GPRs, SP_EL0, ELR/SPSR, 24 EL1 registers with the virtual timer, q0-q31/FPCR/FPSR, VTTBR/VMPIDR, GICH VMCR/APR/4 LRs/HCR, GIC acknowledge/EOI, EL2 timer re-arm)"
    );
    let ratio = |median: u64, of: u64| (median / of, (median % of) * 100 / of);
    for (c, ring) in SWITCH.iter().enumerate() {
        match summary(ring) {
            Some([min, median, max, count]) => {
                let (full_whole, full_cents) = ratio(median, full);
                let (gpr_whole, gpr_cents) = ratio(median, floor);
                println!(
                    "bench | switch path | core {c} | {min} / {median} / {max} instructions (min/median/max of {count}) | {full_whole}.{full_cents:02}x the switch floor, {gpr_whole}.{gpr_cents:02}x the GPR floor"
                )
            }
            None => println!("bench | switch path | core {c} | no switch into a thread on this core"),
        }
    }
    // The same paths, only those during which every other core was quiet,
    // their own timer write's instructions counted as its fastest took.
    let write = TIMER_WRITE_LEAST.iter().map(|t| t.load(Ordering::Relaxed)).filter(|&t| t > 0).min().unwrap_or(0);
    for (c, (all, alone)) in SWITCH.iter().zip(&ALONE).enumerate().filter(|_| PER_CORE.load(Ordering::Relaxed)) {
        let total = all.lock().count;
        match summary(alone) {
            Some([min, median, max, count]) => println!(
                "bench | switch path alone | core {c} | {} / {} / {} instructions (min/median/max of {count}) | {count} of {total} samples with every other core quiet throughout (asleep in WFI or at its timer write), the time of the core's own timer write counted as {write}",
                min + write,
                median + write,
                max + write
            ),
            None => println!(
                "bench | switch path alone | core {c} | none: 0 of {total} samples with every other core quiet throughout (asleep in WFI or at its timer write)"
            ),
        }
    }
    semihosting_exit(0)
}
