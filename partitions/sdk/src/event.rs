//! Events between a partition's own cores: `WFE` and `SEV`, for spinlocks
//! and other waits on memory another thread of the partition writes.
//!
//! The kernel does not trap `WFE`: it runs natively and returns when an
//! event arrives (another core's [`send_event`], or the generic timer's
//! event stream), or when an interrupt is pending for the core, which
//! includes the end of the window: a `WFE` never holds a core past its
//! window. (`WFI`, "nothing to do until an interrupt", is trapped and waits
//! for the partition's next window: see the ABI reference.) Another
//! partition never runs at the same time, so its events cannot reach this
//! one's waits, and this one's only wake the kernel for a look.
//!
//! Always wait in a loop that re-reads the condition: an event may come
//! for another reason, or have been sent before the wait began.

/// `WFE`: wait for an event (or an interrupt) on this core.
#[inline]
pub fn wait_for_event() {
    #[cfg(all(target_arch = "aarch64", target_os = "none"))]
    // SAFETY: WFE only waits; it touches no memory or register.
    unsafe {
        core::arch::asm!("wfe", options(nomem, nostack, preserves_flags))
    };
}

/// `SEV`: wake every core of the partition waiting in [`wait_for_event`].
/// Call it after the store that the waiters look for (with Release
/// ordering, or after a `dsb`-backed atomic), so they see the store.
#[inline]
pub fn send_event() {
    #[cfg(all(target_arch = "aarch64", target_os = "none"))]
    // SAFETY: SEV only signals an event; it touches no memory or register.
    unsafe {
        core::arch::asm!("dsb ish", "sev", options(nostack, preserves_flags))
    };
}

/// The calling thread's index in its partition (`ThreadInfo::index`), as
/// the start-up code left it in TPIDRRO_EL0 (which belongs to the SDK):
/// no hypercall. 0 on the host.
#[inline]
pub fn thread_index() -> u32 {
    #[cfg(all(target_arch = "aarch64", target_os = "none"))]
    {
        let index: u64;
        // SAFETY: a read of TPIDRRO_EL0, which `_start` set and nothing
        // else writes; no memory access.
        unsafe {
            core::arch::asm!("mrs {i}, tpidrro_el0", i = out(reg) index, options(nomem, nostack, preserves_flags))
        };
        index as u32
    }
    #[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
    {
        0
    }
}
