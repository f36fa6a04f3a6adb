//! Test image: what happens when a boot loader enters the kernel at EL1.
//! The kernel boots normally, then core 0 turns stage 2 and its own MMU off
//! and re-enters `_start` at EL1h, as a loader that dropped out of EL2
//! would; the entry code must explain why a separation kernel cannot run
//! there and halt. Cores 1-3 are parked first.
#![no_std]
#![no_main]

use bulkhead_kernel::{arch, console, kernel_main, println};

kernel_main!(main);

unsafe extern "C" {
    fn _start();
    static __kernel_start: u8;
    static __kernel_end: u8;
}

fn main(core: usize) -> ! {
    if core != 0 {
        arch::park();
    }
    println!("core 0: re-entering _start at EL1");
    // Out on the wire before the kernel it came from is gone.
    console::drain();
    arch::disable_irqs();
    let start = &raw const __kernel_start as usize;
    let end = &raw const __kernel_end as usize;
    // EL1 will run with its MMU and caches off: everything the kernel wrote
    // through the cache must reach memory first.
    arch::clean_dcache_range(start, end - start);
    let entry = _start as *const () as u64;
    // SAFETY: deliberately leaves EL2 for good. HCR_EL2 = RW only (EL1 is
    // AArch64, no stage 2, no traps, interrupts not routed), SCTLR_EL1 with
    // MMU and caches off, and an exception return to `_start` at EL1h with
    // DAIF masked: exactly the state a loader would hand over.
    unsafe {
        core::arch::asm!(
            "mov x9, #(1 << 31)",
            "msr hcr_el2, x9",
            "ldr x9, =0x30d00800",
            "msr sctlr_el1, x9",
            "mov x9, #0x3c5",
            "msr spsr_el2, x9",
            "msr elr_el2, {e}",
            "isb",
            "eret",
            e = in(reg) entry,
            options(noreturn)
        )
    }
}
