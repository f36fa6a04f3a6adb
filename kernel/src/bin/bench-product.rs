//! Benchmark kernel without the trace (`make bench`, with
//! `partitions/bench.toml`): the product kernel plus the switch-path
//! statistics, so the switch path is measured as a module runs it, without
//! building and sending trace records (`bench-switch`, the traced kernel,
//! includes them).
#![no_std]
#![no_main]

use bulkhead_kernel::{kernel_main, module};

kernel_main!(main);

fn main(core: usize) -> ! {
    module::stats::bench_main(core, None)
}
