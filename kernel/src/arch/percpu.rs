//! Per-core data the assembly paths need, reached through TPIDR_EL2.
//!
//! TPIDR_EL2 is the kernel's own register (a partition cannot read or write
//! it), so it is where each core keeps the address of its `PerCore` block:
//! the exception stubs find the fatal stack and the running thread's
//! register frame there without touching any general-purpose register first.
use bulkhead_board_rpi4::CORES;
use core::cell::UnsafeCell;

/// One core's block. Layout is fixed: the assembly uses the offsets.
#[repr(C, align(64))]
pub struct PerCore {
    /// Top of this core's fatal-exception stack (offset 0), set by boot.rs.
    pub fatal_stack_top: UnsafeCell<u64>,
    /// The guest register frame of the thread running on this core
    /// (offset 8), set by `run_guest` before `eret`.
    pub guest_frame: UnsafeCell<u64>,
    /// PMU cycle count at the last guest exit, read first thing in the
    /// exit vector (offset 16); for the switch-path benchmark.
    pub exit_cycles: UnsafeCell<u64>,
    /// PMU cycle count just before the last `eret` into a guest (offset 24;
    /// only the reload of the guest's registers and the `eret` follow).
    pub entry_cycles: UnsafeCell<u64>,
    /// The running thread's MyIds answer (offset 32): partition in bits
    /// 15:0, thread index in 31:16, core in 47:32; for the exit vector's
    /// hypercall fast path (guest.rs).
    pub fast_ids: UnsafeCell<u64>,
    /// GetTime's fast path (guest.rs): the module epoch in ticks (offset
    /// 40) and the counter frequency in Hz (offset 48), set once per core
    /// before its first thread runs ([`set_time_base`]), and the end of the
    /// running thread's window in ticks (offset 56), set with the ids.
    pub time_epoch: UnsafeCell<u64>,
    pub time_hz: UnsafeCell<u64>,
    pub window_end: UnsafeCell<u64>,
}

/// log2 of `size_of::<PerCore>()`, for the assembly's indexing.
pub const PER_CORE_SHIFT: u32 = 6;
const _: () = assert!(core::mem::size_of::<PerCore>() == 1 << PER_CORE_SHIFT);

// SAFETY: each block is only touched by its own core (the boot assembly of
// that core, then `run_guest` and the exception stubs running on it).
unsafe impl Sync for PerCore {}

#[unsafe(no_mangle)]
pub static PER_CORE: [PerCore; CORES] = [const {
    PerCore {
        fatal_stack_top: UnsafeCell::new(0),
        guest_frame: UnsafeCell::new(0),
        exit_cycles: UnsafeCell::new(0),
        entry_cycles: UnsafeCell::new(0),
        fast_ids: UnsafeCell::new(0),
        time_epoch: UnsafeCell::new(0),
        time_hz: UnsafeCell::new(0),
        window_end: UnsafeCell::new(0),
    }
}; CORES];

/// Sets what the hypercall fast path answers MyIds and GetTime with on the
/// calling core: the thread about to run, and the end of its window (in
/// ticks).
pub fn set_fast_ids(partition: usize, index: usize, core: usize, window_end: u64) {
    let ids = (partition as u64 & 0xffff) | ((index as u64 & 0xffff) << 16) | ((core as u64 & 0xffff) << 32);
    // SAFETY: the block is this core's; only this core's exit vector reads
    // the words, and never while this core runs kernel code.
    unsafe {
        *PER_CORE[core].fast_ids.get() = ids;
        *PER_CORE[core].window_end.get() = window_end;
    }
}

/// Sets the module epoch (ticks) and the counter frequency for the calling
/// core's GetTime fast path; before its first thread runs.
pub fn set_time_base(core: usize, epoch: u64, hz: u64) {
    // SAFETY: as for `set_fast_ids`.
    unsafe {
        *PER_CORE[core].time_epoch.get() = epoch;
        *PER_CORE[core].time_hz.get() = hz;
    }
}

/// The calling core's (exit, entry) cycle stamps of its last guest exit and
/// its last guest entry. `core` is the calling core, which the per-core
/// loop knows: no MPIDR read on the switch path (issue 19).
pub fn guest_cycle_stamps(core: usize) -> (u64, u64) {
    debug_assert_eq!(core, super::core_id(), "another core's stamps");
    // SAFETY: the block is this core's; its assembly wrote these words
    // before returning into the Rust code now running on the same core.
    unsafe { (*PER_CORE[core].exit_cycles.get(), *PER_CORE[core].entry_cycles.get()) }
}
