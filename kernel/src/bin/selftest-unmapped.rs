//! Test image: the product kernel with the demo module; once the module is
//! loaded, core 1 (instead of running partitions) reads RAM that belongs
//! to no partition, the kernel or a region. After the load the EL2 map
//! leaves such RAM out (`arch::mmu::unmap_unused_ram`), so the read must
//! fault at EL2: the dump names the address and says why, and every core
//! halts.
#![no_std]
#![no_main]

use bulkhead_kernel::{kernel_main, module, println};

kernel_main!(main);

/// 1.75 GiB: RAM under QEMU raspi4b (2 GiB), far above the demo's
/// partitions (from 512 MiB) and regions.
const UNUSED_RAM: usize = 0x7000_0000;

fn main(core: usize) -> ! {
    if core == 1 && module::wait_for_module() {
        println!("core 1: reading RAM at {UNUSED_RAM:#x}, outside the kernel and every partition");
        // SAFETY: deliberately unsound for the test: the read faults at EL2
        // and never returns, which is what this image checks.
        let value = unsafe { (UNUSED_RAM as *const u64).read_volatile() };
        println!("core 1: read {value:#x}: RAM outside every partition is still mapped at EL2");
    }
    module::kernel_main(core, None)
}
