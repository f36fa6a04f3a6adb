//! Secondary-core bring-up through the spin table, and the boot barrier.
//!
//! The firmware's armstub (and QEMU's boot stub) keep cores 1-3 in a `wfe`
//! loop reading their spin-table slot with the MMU and caches off. Core 0,
//! whose caches are on by then, writes the entry address, cleans the line to
//! the point of coherency so the uncached reader sees it, and wakes them.
use crate::arch;
use bulkhead_board_rpi4::{CORES, memory::SPIN_TABLE};
use core::sync::atomic::{AtomicUsize, Ordering};

unsafe extern "C" {
    fn _secondary_start();
}

/// Releases cores 1..CORES into `_secondary_start`.
pub fn release_secondaries() {
    let entry = _secondary_start as *const () as u64;
    for &slot in &SPIN_TABLE[1..CORES] {
        // SAFETY: the spin table is in the first RAM page, which the EL2 map
        // covers as normal memory; the firmware reserves it for exactly this
        // protocol and nothing else of ours lives there.
        unsafe { (slot as *mut u64).write_volatile(entry) };
        arch::clean_dcache_range(slot, 8);
    }
    arch::send_event();
}

/// A reusable barrier for all cores. Waiters sleep in WFE (busy polling
/// starves the other vCPUs under QEMU icount) and the last arrival sends the
/// event.
pub struct CoreBarrier {
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl CoreBarrier {
    pub const fn new() -> Self {
        Self { arrived: AtomicUsize::new(0), generation: AtomicUsize::new(0) }
    }

    /// Waits until `cores` cores have called `wait` for this generation.
    /// `timeout_ticks` bounds the wait (`None`: forever); on time-out returns
    /// `Err(arrived)` and leaves the barrier unusable, which only boot uses,
    /// to report cores that never came up.
    pub fn wait(&self, cores: usize, timeout_ticks: Option<u64>) -> Result<(), usize> {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == cores {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            arch::send_event();
            return Ok(());
        }
        let start = arch::counter();
        while self.generation.load(Ordering::Acquire) == generation {
            if let Some(limit) = timeout_ticks {
                if arch::counter() - start > limit {
                    return Err(self.arrived.load(Ordering::Acquire));
                }
                // The timer is not running yet at boot: poll instead of WFE so
                // the time-out cannot be slept through.
                crate::arch::spin_hint();
            } else {
                arch::wait_for_event();
            }
        }
        Ok(())
    }
}

impl Default for CoreBarrier {
    fn default() -> Self {
        Self::new()
    }
}
