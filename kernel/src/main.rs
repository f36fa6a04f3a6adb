//! The Bulkhead kernel binary, packed into `kernel8.img`.
//!
//! After the common boot sequence every core waits for work. Loading
//! partitions from the system image is the next step (issue 5); until then
//! the module idles in WFI, woken only by IPIs.
#![no_std]
#![no_main]

use bulkhead_kernel::{arch, kernel_main, println};

kernel_main!(main);

fn main(core: usize) -> ! {
    if core == 0 {
        println!("core 0: no partitions configured yet; cores idle (Ctrl-A X quits QEMU)");
    }
    loop {
        arch::wait_for_interrupt();
    }
}
