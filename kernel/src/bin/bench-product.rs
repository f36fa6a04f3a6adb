//! Benchmark kernel without the trace (`make bench`, with
//! `partitions/bench.toml`, under `-icount shift=0,sleep=off
//! -semihosting`): the product kernel plus the switch-path statistics, so
//! the switch path is measured as a module runs it, without building and
//! sending trace records (`bench-switch` is the traced kernel: its figure
//! includes them). After 2 s of module time core 0 prints the table and
//! ends the run.
#![no_std]
#![no_main]

use bulkhead_kernel::arch::sysreg;
use bulkhead_kernel::{kernel_main, module, timer};

kernel_main!(main);

fn main(core: usize) -> ! {
    sysreg::start_cycle_counter();
    if core == 0 {
        // The epoch is fixed during load; report 2 s after boot, well past it.
        let report_at = timer::now().0 + timer::frequency().hz() * 2;
        module::stats::enable(report_at);
    }
    module::kernel_main(core, None)
}
