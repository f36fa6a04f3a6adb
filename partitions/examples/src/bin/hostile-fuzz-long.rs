//! `hostile-fuzz-long`: `hostile-fuzz` ten times longer, 250,000 random
//! hypercalls on each of its four threads (1,000,000 in all), from another
//! seed than the short run's (`partitions/tests/hostile-fuzz-long.toml`,
//! QEMU test `hostile-fuzz-long`, run by `make fuzz`, not `make test`).
//! The draws, the oracle and the lines it prints: `../fuzz.rs`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

#[path = "../fuzz.rs"]
mod fuzz;

use bulkhead_sdk::ThreadInfo;

bulkhead_sdk::partition_main!(main);

fn main(thread: ThreadInfo) -> ! {
    fuzz::run(thread, &fuzz::Plan { calls_per_thread: 250_000, seed: 0x6c6f_6e67_2066_757a })
}
