//! `init-modes`: a partition that initialises itself (ARINC 653 operating
//! modes; partitions/tests/init-modes.toml, `initialization = true`).
//!
//! Its first thread, `main`, runs alone in COLD_START: it counts its
//! boots in `.bss` (kept by a warm start, zeroed by a cold one), starts
//! `worker` and lets 3 ms pass, then enters NORMAL; only then does the
//! worker run. Then it drives the worker through the process calls
//! (SuspendSelf with a timeout and without, ProcessStatus, RESUME, STOP),
//! and restarts itself: warm after its first start, cold after its second,
//! and stays after its third.
//!
//! Prints (B: boots counted in memory, R: restarts the kernel reports):
//!
//! ```text
//! init-modes: boot B: mode ColdStart|WarmStart, start condition NormalStart|PartitionRestart, restarts R
//! init-modes: boot B: port boot_out found and boot B sent in initialisation: Ok(())
//! init-modes: boot B: worker ran during initialisation: no
//! init-modes: boot B: worker is Ready before NORMAL
//! init-modes: boot B: NORMAL
//! init-modes: worker started (boot B)
//! init-modes: worker: boot_in holds boot B
//! init-modes: worker: suspend_self(2 ms): Err(TimedOut)
//! init-modes: boot B: worker is Suspended
//! init-modes: boot B: resume(worker): Ok(())
//! init-modes: worker: suspend_self(INFINITE): Ok(())
//! init-modes: boot B: stop(worker): Ok(()), then Dormant; again: Err(NoAction)
//! init-modes: boot B: start_at(worker, other_entry, 42): Ok(())
//! init-modes: worker: at its other entry, argument 42, index 1
//! init-modes: boot B: SetPartitionMode(Normal) again: Err(NoAction)
//! init-modes: boot B: restarting warm|cold       (restarts 0 and 1)
//! init-modes: boot B: done                       (restarts 2)
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::process::{
    get_partition_status, process_id, process_status, resume, set_partition_mode, start, start_at, state_of, stop,
    stop_self, suspend_self,
};
use bulkhead_sdk::{
    INFINITE, PartitionMode, ProcessState, QueuingDestination, QueuingSource, ThreadInfo, periodic_wait, println,
    timed_wait,
};
use core::sync::atomic::{AtomicU32, Ordering};

bulkhead_sdk::partition_main!(main);

/// Boots since the last cold start: `.bss`, which only a cold start zeroes.
static BOOTS: AtomicU32 = AtomicU32::new(0);
/// Set by the worker when it runs.
static WORKER_RAN: AtomicU32 = AtomicU32::new(0);

fn main(thread: ThreadInfo) -> ! {
    if thread.index == 0 { initialise() } else { worker() }
}

fn worker() -> ! {
    WORKER_RAN.store(1, Ordering::Release);
    println!("init-modes: worker started (boot {})", BOOTS.load(Ordering::Acquire));
    let mut buf = [0u8; 8];
    match QueuingDestination::new("boot_in").and_then(|q| q.receive(&mut buf, 0)) {
        Ok(_) => println!("init-modes: worker: boot_in holds boot {}", u64::from_le_bytes(buf)),
        Err(e) => println!("init-modes: worker: boot_in receive failed: {e:?}"),
    }
    println!("init-modes: worker: suspend_self(2 ms): {:?}", suspend_self(2_000_000));
    println!("init-modes: worker: suspend_self(INFINITE): {:?}", suspend_self(INFINITE));
    loop {
        let _ = periodic_wait();
    }
}

/// The worker's other entry point (StartProcessAt): says so, stops itself.
fn other_entry(thread: ThreadInfo, argument: u64) -> ! {
    println!("init-modes: worker: at its other entry, argument {argument}, index {}", thread.index);
    stop_self(thread.index)
}

fn state(index: u32) -> Option<ProcessState> {
    process_status(index).ok().as_ref().and_then(state_of)
}

fn initialise() -> ! {
    let boot = BOOTS.fetch_add(1, Ordering::AcqRel) + 1;
    let status = match get_partition_status() {
        Ok(s) => s,
        Err(e) => {
            println!("init-modes: boot {boot}: GetPartitionStatus failed: {e:?}");
            park()
        }
    };
    let mode = match status.mode {
        1 => "ColdStart",
        2 => "WarmStart",
        3 => "Normal",
        _ => "?",
    };
    let condition = match status.start_condition {
        0 => "NormalStart",
        1 => "PartitionRestart",
        2 => "HmModuleRestart",
        3 => "HmPartitionRestart",
        _ => "?",
    };
    println!("init-modes: boot {boot}: mode {mode}, start condition {condition}, restarts {}", status.restarts);
    WORKER_RAN.store(0, Ordering::Release);
    // Its ports, looked up and written during initialisation.
    let sent = QueuingSource::new("boot_out").and_then(|q| q.send(&u64::from(boot).to_le_bytes(), 0));
    println!("init-modes: boot {boot}: port boot_out found and boot {boot} sent in initialisation: {sent:?}");
    let worker = match process_id("worker") {
        Ok(w) => w,
        Err(e) => {
            println!("init-modes: boot {boot}: process_id(\"worker\") failed: {e:?}");
            park()
        }
    };
    if let Err(e) = start(worker) {
        println!("init-modes: boot {boot}: start(worker) failed: {e:?}");
    }
    // Time passes, windows end and begin: the worker must not run yet.
    let _ = timed_wait(3_000_000);
    let ran = if WORKER_RAN.load(Ordering::Acquire) != 0 { "yes" } else { "no" };
    println!("init-modes: boot {boot}: worker ran during initialisation: {ran}");
    println!("init-modes: boot {boot}: worker is {:?} before NORMAL", state(worker));
    if let Err(e) = set_partition_mode(PartitionMode::Normal) {
        println!("init-modes: boot {boot}: SetPartitionMode(Normal) failed: {e:?}");
    }
    println!("init-modes: boot {boot}: NORMAL");
    // The worker times out of its first suspension, then waits in its
    // second until resumed.
    while state(worker) != Some(ProcessState::Suspended) {
        let _ = periodic_wait();
    }
    println!("init-modes: boot {boot}: worker is {:?}", state(worker));
    println!("init-modes: boot {boot}: resume(worker): {:?}", resume(worker));
    let _ = periodic_wait();
    let stopped = stop(worker);
    println!("init-modes: boot {boot}: stop(worker): {stopped:?}, then {:?}; again: {:?}", state(worker), stop(worker));
    // Started again at another entry point, with an argument.
    println!("init-modes: boot {boot}: start_at(worker, other_entry, 42): {:?}", start_at(worker, other_entry, 42));
    while state(worker) != Some(ProcessState::Dormant) {
        let _ = periodic_wait();
    }
    println!(
        "init-modes: boot {boot}: SetPartitionMode(Normal) again: {:?}",
        set_partition_mode(PartitionMode::Normal)
    );
    match status.restarts {
        0 => {
            println!("init-modes: boot {boot}: restarting warm");
            let _ = set_partition_mode(PartitionMode::WarmStart);
        }
        1 => {
            println!("init-modes: boot {boot}: restarting cold");
            let _ = set_partition_mode(PartitionMode::ColdStart);
        }
        _ => println!("init-modes: boot {boot}: done"),
    }
    park()
}

fn park() -> ! {
    loop {
        let _ = periodic_wait();
    }
}
