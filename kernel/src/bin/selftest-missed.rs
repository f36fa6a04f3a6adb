//! Test image (the traced kernel plus a fault injection): 50 ms after the
//! epoch, core 2 spins with interrupts masked for 25 ms, as a debugger stop
//! would hold it. It must miss the boundaries in between, recover its window
//! from the epoch, log the event, and switch in lockstep again afterwards;
//! the other cores are not affected.
#![no_std]
#![no_main]

use bulkhead_kernel::{kernel_main, module, timer};

kernel_main!(main);

fn main(core: usize) -> ! {
    if core == 2 {
        let hz = timer::frequency().hz();
        module::run::stall_core_for_test(2, hz / 20, hz / 40);
    }
    module::kernel_main(core, Some(&module::trace::TRACE_PORT))
}
