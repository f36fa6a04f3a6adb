//! `health-app`: a normal partition that raises one application error
//! (ARINC 653 RAISE_APPLICATION_ERROR) in its first window after a cold
//! start with no restart before it, then prints a line each window. Test
//! `health-tables` (partitions/tests/health-tables.toml) runs it twice,
//! under two `[partition.health]` tables that give `application_error`
//! different actions: with `log` the call returns and the partition goes
//! on; with `restart_partition` it never returns, and the restarted
//! partition (restarts 1) raises no more.
//!
//! The error's message is longer than a health record's 96 detail bytes,
//! so the record the system partition reads says its text was cut. A
//! normal partition may not read the health log: it says what HealthLog
//! returned it.
//!
//! Prints (P its partition id, R its restarts, N from 0):
//!
//! ```text
//! health-app: partition P started (restarts R)
//! health-app: HealthLog from a normal partition: Err(Denied)
//! health-app: raising application error 4097
//! health-app: went on after its application error: Ok(())
//! health-app: window N (restarts R)
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{
    MAX_ERROR_MESSAGE, MessageBuf, ThreadInfo, my_ids, partition_status, periodic_wait, println,
    raise_application_error, read_health_log,
};
use core::fmt::Write as _;

bulkhead_sdk::partition_main!(main);

/// The error code it raises: 0x1000 and above are the application's.
const CODE: u64 = 0x1001;

fn main(_thread: ThreadInfo) -> ! {
    let partition = my_ids().map_or(u32::MAX, |ids| ids.partition);
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("health-app: partition {partition} started (restarts {restarts})");
    println!("health-app: HealthLog from a normal partition: {:?}", read_health_log().map(|_| ()));
    if restarts == 0 {
        println!("health-app: raising application error {CODE}");
        let mut message = MessageBuf::<MAX_ERROR_MESSAGE>::new();
        let _ = write!(
            message,
            "partition {partition}: a deliberate application error whose message is longer than the 96 detail bytes"
        );
        let went_on = raise_application_error(CODE, message.as_bytes());
        println!("health-app: went on after its application error: {went_on:?}");
    }
    let mut window = 0u64;
    loop {
        println!("health-app: window {window} (restarts {restarts})");
        window += 1;
        let _ = periodic_wait();
    }
}
