//! Test image: core 2 reads an address the EL2 map leaves unmapped. The
//! kernel must print the register dump with exception class 0x25 (data
//! abort at EL2) and the faulting address, then halt every core; the other
//! cores' heartbeats must stop. Run by `cargo xtask test` (qemu test `fault`).
#![no_std]
#![no_main]

use bulkhead_kernel::{arch, kernel_main, println, selftest};

kernel_main!(main);

/// 2 GiB: past QEMU's RAM, not in the EL2 map.
const UNMAPPED: usize = 0x8000_0000;

fn main(core: usize) -> ! {
    selftest::start_heartbeat(core);
    if core == 2 {
        selftest::sleep_ms(20);
        println!("core 2: reading unmapped address {UNMAPPED:#x}");
        // SAFETY: deliberately unsound for the test: the read faults at EL2
        // and never returns, which is what this image checks.
        let value = unsafe { (UNMAPPED as *const u64).read_volatile() };
        println!("core 2: read {value:#x}: the fault did not happen");
    }
    loop {
        arch::wait_for_interrupt();
    }
}
