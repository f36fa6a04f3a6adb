//! `my-partition`: the starting point of a partition image built outside
//! the Bulkhead workspace. Every thread says where it runs, then prints one
//! line per window of its partition, sleeping between them (ARINC 653
//! PERIODIC_WAIT).
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, my_ids, periodic_wait, println, time};

bulkhead_sdk::partition_main!(main);

fn main(thread: ThreadInfo) -> ! {
    let mut window = 0u64;
    loop {
        match (my_ids(), time()) {
            (Ok(ids), Ok(t)) => println!(
                "my-partition: thread {} of {} on core {}, window {window} at {} us",
                ids.thread,
                thread.count,
                ids.core,
                t.now_ns / 1000
            ),
            (ids, t) => println!("my-partition: MyIds {ids:?}, GetTime {t:?}"),
        }
        window += 1;
        let _ = periodic_wait();
    }
}
