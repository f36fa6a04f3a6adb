//! `error-handler`: a partition whose errors go to its own error handler
//! process (ARINC 653 CREATE_ERROR_HANDLER / GET_ERROR_STATUS;
//! partitions/tests/error-handler.toml, whose health tables would stop the
//! partition for each of these errors).
//!
//! In its initialisation `main` makes `handler` the error handler and
//! starts `worker` and `late`. The worker raises an application error,
//! then writes over its own code (a stage-2 fault); `late` overruns its
//! deadline once. The handler reads each error, prints it, and decides:
//! the faulting worker is stopped and started again (a fresh start: it
//! then goes on without faulting), the others are only noted. With nothing
//! left it stops itself until the next error.
//!
//! Prints:
//!
//! ```text
//! error-handler: worker: start 1, raising an application error
//! error-handler: handler: application_error of process 2: application error 4660: "worker asks for help" (0 more queued)
//! error-handler: worker: the application error returned Ok(())
//! error-handler: handler: stage2_abort of process 2 at 0x...: stage-2 permission fault: write to read-only IPA
//!                          (the message's first 48 bytes: a console line holds 120)
//! error-handler: handler: restarting process 2: stop Ok(()), start Ok(())
//! error-handler: worker: start 2, going on
//! error-handler: late: overrunning release 2
//! error-handler: handler: deadline_miss of process 3: deadline at ... (0 more queued)
//! error-handler: worker: still going at round 10
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::process::{
    create_error_handler, get_error_status, process_id, set_partition_mode, start, stop, stop_self,
};
use bulkhead_sdk::{PartitionMode, Status, ThreadInfo, periodic_wait, println, raise_application_error, time};
use core::sync::atomic::{AtomicU32, Ordering};

bulkhead_sdk::partition_main!(main);

/// How many times the worker has started: `.bss`, kept across its
/// restarts by the handler (only a partition restart reloads memory).
static WORKER_STARTS: AtomicU32 = AtomicU32::new(0);

fn id(name: &str) -> u32 {
    process_id(name).unwrap_or_else(|e| {
        println!("error-handler: process_id({name:?}) failed: {e:?}");
        u32::MAX
    })
}

fn main(thread: ThreadInfo) -> ! {
    match thread.index {
        0 => initialise(),
        1 => handler(thread.index),
        2 => worker(thread.memory_base),
        _ => late(),
    }
}

fn initialise() -> ! {
    if let Err(e) = create_error_handler(id("handler")) {
        println!("error-handler: create_error_handler failed: {e:?}");
    }
    for name in ["worker", "late"] {
        if let Err(e) = start(id(name)) {
            println!("error-handler: start({name}) failed: {e:?}");
        }
    }
    if let Err(e) = set_partition_mode(PartitionMode::Normal) {
        println!("error-handler: SetPartitionMode(Normal) failed: {e:?}");
    }
    park()
}

fn handler(me: u32) -> ! {
    loop {
        match get_error_status() {
            Ok((e, left)) => {
                // The start of the message: a console line holds 120 bytes.
                let message = core::str::from_utf8(e.message()).unwrap_or("?");
                let message = message.get(..48).unwrap_or(message);
                if e.kind_name() == "stage2_abort" {
                    println!(
                        "error-handler: handler: {} of process {} at {:#x}: {message}",
                        e.kind_name(),
                        e.process,
                        e.address
                    );
                    let stopped = stop(e.process);
                    let started = start(e.process);
                    println!(
                        "error-handler: handler: restarting process {}: stop {stopped:?}, start {started:?}",
                        e.process
                    );
                } else {
                    println!(
                        "error-handler: handler: {} of process {}: {message} ({left} more queued)",
                        e.kind_name(),
                        e.process
                    );
                }
            }
            Err(Status::NoAction) => stop_self(me),
            Err(e) => {
                println!("error-handler: handler: get_error_status failed: {e:?}");
                stop_self(me)
            }
        }
    }
}

fn worker(memory_base: u64) -> ! {
    let start = WORKER_STARTS.fetch_add(1, Ordering::AcqRel) + 1;
    if start == 1 {
        println!("error-handler: worker: start 1, raising an application error");
        let r = raise_application_error(0x1234, b"worker asks for help");
        println!("error-handler: worker: the application error returned {r:?}");
        let _ = periodic_wait();
        let target = memory_base as *mut u32;
        // SAFETY: deliberately not sound: the first word of this image's
        // own code, which stage 2 maps read-only; the kernel stops the
        // write (a stage-2 permission fault) before it lands, and the
        // worker is suspended until the handler decides.
        unsafe { core::ptr::write_volatile(target, 0) };
        println!("error-handler: worker: ISOLATION FAILURE: the write to my code went through");
    } else {
        println!("error-handler: worker: start {start}, going on");
    }
    let mut round = 0u32;
    loop {
        round += 1;
        if round == 10 {
            println!("error-handler: worker: still going at round {round}");
        }
        let _ = periodic_wait();
    }
}

fn late() -> ! {
    let mut release = 0u32;
    loop {
        if release == 2 {
            println!("error-handler: late: overrunning release 2");
            let from = time().map_or(0, |t| t.now_ns);
            while time().map_or(u64::MAX, |t| t.now_ns) < from + 2_000_000 {
                core::hint::spin_loop();
            }
        }
        release += 1;
        let _ = periodic_wait();
    }
}

fn park() -> ! {
    loop {
        let _ = periodic_wait();
    }
}
