//! The Bulkhead kernel binary: with the system image `bulkhead pack` appends
//! to it, this is `kernel8.img`.
//!
//! After the common boot sequence core 0 validates and loads the system
//! image; every core then runs the partition loop of `module::run`. If the
//! image is missing or wrong, the kernel says what and where and starts no
//! partition.
#![no_std]
#![no_main]

use bulkhead_kernel::{kernel_main, module};

kernel_main!(main);

fn main(core: usize) -> ! {
    module::kernel_main(core, None)
}
