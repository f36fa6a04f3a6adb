//! Test image: core 1 overflows its kernel stack. The guard page below the
//! stack is unmapped, so the overflow faults; the dump, taken on the fatal
//! stack, must name the guard page, and every core must halt.
#![no_std]
#![no_main]

use bulkhead_kernel::{arch, kernel_main, println, selftest};

kernel_main!(main);

#[inline(never)]
#[allow(unconditional_recursion)] // the point of the test
fn recurse(depth: u64) -> u64 {
    let frame = [depth; 64];
    // black_box keeps the frame and the recursion from being optimised away.
    core::hint::black_box(&frame);
    recurse(depth + 1) + frame[3]
}

fn main(core: usize) -> ! {
    selftest::start_heartbeat(core);
    if core == 1 {
        selftest::sleep_ms(20);
        println!("core 1: recursing without end");
        let n = recurse(0);
        println!("core 1: recursion returned {n}: no overflow");
    }
    loop {
        arch::wait_for_interrupt();
    }
}
