//! The Bulkhead kernel with switch tracing on: every scheduling decision of
//! every core is recorded and sent to the trace port as defmt frames, which
//! the host decodes into `trace:` lines for `bulkhead trace` (format in
//! `module/trace.rs`). Used by the timing tests; otherwise the same kernel
//! as `bulkhead`.
#![no_std]
#![no_main]

use bulkhead_kernel::{kernel_main, module};

kernel_main!(main);

fn main(core: usize) -> ! {
    module::kernel_main(core, Some(&module::trace::TRACE_PORT))
}
