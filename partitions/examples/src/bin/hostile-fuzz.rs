//! `hostile-fuzz`: 25,000 random hypercalls on each of its threads, one per
//! core (100,000 in all on four cores), each result judged against the ABI
//! (`partitions/tests/hostile-fuzz.toml`, QEMU test `hostile-fuzz`, in
//! `make test`). The draws, the oracle and the lines it prints:
//! `../fuzz.rs`. `hostile-fuzz-long` is the same fuzzer, ten times longer,
//! for `make fuzz`.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

#[path = "../fuzz.rs"]
mod fuzz;

use bulkhead_sdk::ThreadInfo;

bulkhead_sdk::partition_main!(main);

fn main(thread: ThreadInfo) -> ! {
    fuzz::run(thread, &fuzz::Plan { calls_per_thread: 25_000, seed: 0x6275_6c6b_6865_6164 })
}
