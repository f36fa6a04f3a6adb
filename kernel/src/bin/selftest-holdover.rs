//! Test image (the traced kernel plus a fault injection), for
//! `partitions/lockstep.toml`: in frame 5, half-way through the spinner's
//! window (core 0 runs its thread `busy_a`), core 0 is marked to stall for
//! 1 ms with interrupts masked the next time a thread leaves EL1 on it,
//! before it lets go of the thread's partition: at the spinner's window
//! end, as a kernel path too long in a partition's exception would hold
//! it. Core 2, whose control thread's window comes next, must wait at the
//! rendezvous until core 0 lets go, report core 0 after the patience
//! (`module::rendezvous::PATIENCE_NS`), and never run control beside the
//! spinner.
#![no_std]
#![no_main]

use bulkhead_kernel::{kernel_main, module, timer};

kernel_main!(main);

fn main(core: usize) -> ! {
    // Core 1 sets the hook for core 0 (core 0 itself loads the module and
    // fixes the epoch, so it cannot wait for it).
    if core == 1 {
        let hz = timer::frequency().hz();
        // Frame 5 starts at 50 ms; the spinner's window is 4.5..5.5 ms into it.
        module::run::stall_core_holding_for_test(0, hz / 20 + hz * 5 / 1000, hz / 1000);
    }
    module::kernel_main(core, Some(&module::trace::TRACE_PORT))
}
