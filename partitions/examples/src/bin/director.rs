//! `director`: the system partition of `partitions/timing/director.toml`,
//! which exercises the CAST-32A services the timing tests check:
//!
//! - in its window 20 it moves thread `loop` of partition `control` (id 1,
//!   thread 0) from core 2 to core 1 (SetThreadAffinity);
//! - in its window 40, in the middle of the major frame, it asks for
//!   schedule 1 ("degraded"), which must take effect at the next major-frame
//!   boundary on every core (SetSchedule), and reads the status back.
//!
//! Prints (N = its window count from 0, T = µs since the epoch):
//!
//! ```text
//! director: window N at T us
//! director: moved control.loop to core C at T us
//! director: schedule 1 requested at T us, effective at E us
//! director: status current S, pending P at E us
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{ThreadInfo, periodic_wait, println, schedule_status, set_schedule, set_thread_affinity, time};

bulkhead_sdk::partition_main!(main);

const CONTROL: u32 = 1;
const CONTROL_LOOP: u32 = 0;
const DEGRADED: u32 = 1;

fn now_us() -> u64 {
    time().map_or(0, |t| t.now_ns / 1000)
}

fn main(_thread: ThreadInfo) -> ! {
    let mut window = 0u64;
    loop {
        println!("director: window {window} at {} us", now_us());
        if window == 20 {
            match set_thread_affinity(CONTROL, CONTROL_LOOP, 1 << 1) {
                Ok(core) => println!("director: moved control.loop to core {core} at {} us", now_us()),
                Err(e) => println!("director: SetThreadAffinity failed: {e:?}"),
            }
        }
        if window == 40 {
            let asked = now_us();
            match set_schedule(DEGRADED) {
                Ok(at_ns) => {
                    println!("director: schedule {DEGRADED} requested at {asked} us, effective at {} us", at_ns / 1000)
                }
                Err(e) => println!("director: SetSchedule failed: {e:?}"),
            }
            match schedule_status() {
                Ok(s) => match s.pending {
                    Some((next, at_ns)) => {
                        println!("director: status current {}, pending {next} at {} us", s.current, at_ns / 1000)
                    }
                    None => println!("director: status current {}, nothing pending", s.current),
                },
                Err(e) => println!("director: ScheduleStatus failed: {e:?}"),
            }
        }
        window += 1;
        let _ = periodic_wait();
    }
}
