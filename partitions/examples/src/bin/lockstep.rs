//! `lockstep`: the three-thread partition of partitions/lockstep.toml
//! (lane_a on core 0, lane_b on core 1, voter on core 3). Until the ABI
//! has ports it only shows the three threads running in parallel in each
//! window, sleeping with ARINC 653 PERIODIC_WAIT.
//!
//! Prints, per thread I (0 lane_a, 1 lane_b, 2 voter; N from 0):
//!
//! ```text
//! lockstep: thread I on core C, window N
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, my_ids, periodic_wait, println};

bulkhead_sdk::partition_main!(main);

fn main(thread: ThreadInfo) -> ! {
    let mut window = 0u64;
    loop {
        let core = my_ids().map_or(u32::MAX, |ids| ids.core);
        println!("lockstep: thread {} on core {core}, window {window}", thread.index);
        window += 1;
        let _ = periodic_wait();
    }
}
