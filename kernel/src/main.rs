//! The Bulkhead kernel binary: with the system image `bulkhead pack` appends
//! to it, this is `kernel8.img`.
//!
//! After the common boot sequence core 0 validates and loads the system
//! image; every core then runs the partition loop of `module::run`. If the
//! image is missing or wrong, the kernel says what and where and starts no
//! partition.
#![no_std]
#![no_main]

use bulkhead_kernel::{arch, irq, kernel_main, module, println};

kernel_main!(main);

fn main(core: usize) -> ! {
    let loaded = if core == 0 {
        module::run::install_handlers();
        let result = module::load();
        match &result {
            Ok(m) => module::report(m),
            Err(e) => {
                println!("{e}");
                println!("no partition started");
            }
        }
        module::publish(result.is_ok());
        result.is_ok()
    } else {
        module::wait_for_module()
    };
    if loaded {
        module::run::run_core(core)
    }
    loop {
        arch::wait_for_interrupt();
        irq::dispatch();
    }
}
