//! Test image: core 3 panics; the message and its location are printed and
//! every core halts.
#![no_std]
#![no_main]

use bulkhead_kernel::{arch, kernel_main, selftest};

kernel_main!(main);

fn main(core: usize) -> ! {
    selftest::start_heartbeat(core);
    if core == 3 {
        selftest::sleep_ms(20);
        let answer = core::hint::black_box(41);
        assert_eq!(answer, 42, "deliberate test panic");
    }
    loop {
        arch::wait_for_interrupt();
    }
}
