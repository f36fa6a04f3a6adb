//! `director`: the system partition of `partitions/timing/director.toml`,
//! which exercises the CAST-32A services the timing tests check:
//!
//! - in its window 10 it makes each system call with a bad argument and
//!   prints the status it gets (the services must refuse, not act);
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
//! director: bad <case>: <status>
//! director: RestartPartition of lockstep: Ok(()), then StopPartition while it restarts: Err(InvalidParameter)
//! director: RestartPartition of lockstep again while it restarts: Err(InvalidParameter)
//! director: moved control.loop to core C at T us
//! director: schedule 1 requested at T us, effective at E us
//! director: status current S, pending P at E us
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::{
    Status, ThreadInfo, periodic_wait, println, restart_partition, schedule_status, set_schedule, set_thread_affinity,
    start_partition, stop_partition, time,
};

bulkhead_sdk::partition_main!(main);

const LOCKSTEP: u32 = 0;
const CONTROL: u32 = 1;
const CONTROL_LOOP: u32 = 0;
const DEGRADED: u32 = 1;
const SELF: u32 = 2;

fn now_us() -> u64 {
    time().map_or(0, |t| t.now_ns / 1000)
}

fn main(_thread: ThreadInfo) -> ! {
    let mut window = 0u64;
    loop {
        println!("director: window {window} at {} us", now_us());
        if window == 10 {
            let cases: [(&str, Result<(), Status>); 8] = [
                ("SetSchedule of schedule 99", set_schedule(99).map(drop)),
                ("SetThreadAffinity of partition 99", set_thread_affinity(99, 0, 1).map(drop)),
                ("SetThreadAffinity of thread 5 of control", set_thread_affinity(CONTROL, 5, 1).map(drop)),
                ("SetThreadAffinity to no core", set_thread_affinity(CONTROL, CONTROL_LOOP, 0).map(drop)),
                ("SetThreadAffinity to core 7", set_thread_affinity(CONTROL, CONTROL_LOOP, 1 << 7).map(drop)),
                ("StopPartition of partition 99", stop_partition(99)),
                ("StartPartition of a running partition", start_partition(CONTROL)),
                ("RestartPartition of itself", restart_partition(SELF)),
            ];
            for (case, result) in cases {
                println!("director: bad {case}: {result:?}");
            }
            // A restart under way finishes in lockstep's own windows and
            // starts its threads again, so it cannot be stopped meanwhile.
            // Nor restarted a second time over itself: the partition
            // restarts once.
            let restart = restart_partition(LOCKSTEP);
            let stop = stop_partition(LOCKSTEP);
            let again = restart_partition(LOCKSTEP);
            println!(
                "director: RestartPartition of lockstep: {restart:?}, then StopPartition while it restarts: {stop:?}"
            );
            println!("director: RestartPartition of lockstep again while it restarts: {again:?}");
        }
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
