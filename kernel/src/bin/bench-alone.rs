//! Per-core benchmark kernel (`make bench`, with
//! `partitions/bench-percore.toml`): the benchmark kernel without the
//! trace, plus the per-core check of `module::stats`: every switch-path
//! sample is also kept apart when the other cores were quiet throughout
//! it (asleep in their idle WFI, or at their own timer write), so a
//! four-core module gives each core's own path under QEMU's one shared
//! virtual clock.
#![no_std]
#![no_main]

use bulkhead_kernel::{kernel_main, module};

kernel_main!(main);

fn main(core: usize) -> ! {
    module::stats::bench_main_alone(core)
}
