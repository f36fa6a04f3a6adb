//! Benchmark kernel (`make bench`, with `partitions/bench.toml`, under
//! `-icount shift=0,sleep=off -semihosting`): the traced kernel plus
//! switch-path statistics; after 2 s of module time core 0 prints the table
//! and ends the run (`module::stats::bench_main`).
#![no_std]
#![no_main]

use bulkhead_kernel::{kernel_main, module};

kernel_main!(main);

fn main(core: usize) -> ! {
    module::stats::bench_main(core, Some(&module::trace::TRACE_PORT))
}
