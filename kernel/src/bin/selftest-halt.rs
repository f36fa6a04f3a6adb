//! Test image: core 2 asks for a module halt through the Halt IPI; every
//! other core must report being halted by core 2 and go quiet.
#![no_std]
#![no_main]

use bulkhead_kernel::{arch, ipi, kernel_main, println, selftest};

kernel_main!(main);

fn main(core: usize) -> ! {
    selftest::start_heartbeat(core);
    if core == 2 {
        selftest::wait_for_heartbeats(1);
        println!("core 2: sending Halt to all cores");
        ipi::halt_all();
    }
    loop {
        arch::wait_for_interrupt();
    }
}
