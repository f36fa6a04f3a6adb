//! `intra-stop`: a process stopped or restarted while it waits on an
//! intra-partition object leaves the object's queue (ARINC 653 STOP), so
//! nothing is handed to it and nothing is written into its stack
//! (partitions/tests/intra-stop.toml).
//!
//! `main` (core 0) creates, in COLD_START, a buffer `mail` (8-byte
//! messages, 2 deep), semaphores `units` (FIFO, 0 of 5) and `go` (0 of 1),
//! starts `reader` (core 1) and `taker` (core 2), and enters NORMAL.
//! - `reader`, in its first life, receives from `mail` into a buffer on its
//!   stack, waiting for ever; `taker` waits on `units` for ever.
//! - `main` sees both queued, STOPs `taker` and signals `units`: the unit is
//!   counted, not lost to the dormant taker.
//! - `main` STOPs `reader` and STARTs it again: in its second life the
//!   same function puts the same buffer at the same place on its stack,
//!   zeroed, and waits on `go`; `main` sends a message to `mail` (no live
//!   receiver: it is queued), signals `go`, and the reader finds its
//!   buffer still zero. `main` then receives the message itself.
//!
//! Prints (`main`, then `reader`):
//!
//! ```text
//! intra-stop: both queued: yes
//! intra-stop: unit of a stopped waiter counted: 1, waiting 0
//! intra-stop: message for a restarted receiver queued: 1, waiting 0
//! intra-stop: reader life 2: its buffer untouched: yes
//! intra-stop: main received: mail!!!
//! intra-stop: done
//! ```
//!
//! A failed call prints `intra-stop: ... failed: ERROR` (the test forbids
//! it), as does a first-life wait that returns.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::abi::ProcessState;
use bulkhead_sdk::intra::{Buffer, Discipline, Semaphore};
use bulkhead_sdk::process::{process_id, process_status, set_partition_mode, start, state_of, stop};
use bulkhead_sdk::{INFINITE, PartitionMode, ThreadInfo, periodic_wait, println, timed_wait};
use core::sync::atomic::{AtomicU32, Ordering};

bulkhead_sdk::partition_main!(main);

/// The reader's lives so far (its memory is not reset by a START).
static READER_LIVES: AtomicU32 = AtomicU32::new(0);
/// The reader's second life reached its wait on `go`.
static READER_READY: AtomicU32 = AtomicU32::new(0);

fn main(thread: ThreadInfo) -> ! {
    match thread.index {
        0 => driver(),
        1 => reader(),
        _ => taker(),
    }
}

fn id(name: &str) -> u32 {
    process_id(name).unwrap_or_else(|e| {
        println!("intra-stop: process_id({name}) failed: {e:?}");
        park()
    })
}

fn waiting(name: &str) -> bool {
    process_status(id(name)).ok().and_then(|r| state_of(&r)) == Some(ProcessState::Waiting)
}

/// Waits (bounded: 2 s of polls) until `done()`.
fn until(done: impl Fn() -> bool) -> bool {
    for _ in 0..20_000 {
        if done() {
            return true;
        }
        let _ = timed_wait(100_000);
    }
    false
}

fn driver() -> ! {
    let (Ok(mail), Ok(units), Ok(_go)) = (
        Buffer::create("mail", 8, 2, Discipline::Fifo),
        Semaphore::create("units", 0, 5, Discipline::Fifo),
        Semaphore::create("go", 0, 1, Discipline::Fifo),
    ) else {
        println!("intra-stop: create failed: in COLD_START");
        park()
    };
    for name in ["reader", "taker"] {
        if let Err(e) = start(id(name)) {
            println!("intra-stop: start({name}) failed: {e:?}");
        }
    }
    if let Err(e) = set_partition_mode(PartitionMode::Normal) {
        println!("intra-stop: NORMAL failed: {e:?}");
    }
    let queued = until(|| {
        waiting("reader")
            && waiting("taker")
            && mail.status().is_ok_and(|s| s.waiting == 1)
            && units.status().is_ok_and(|s| s.waiting == 1)
    });
    println!("intra-stop: both queued: {}", if queued { "yes" } else { "no" });

    if let Err(e) = stop(id("taker")) {
        println!("intra-stop: stop(taker) failed: {e:?}");
    }
    if let Err(e) = units.signal() {
        println!("intra-stop: signal failed: {e:?}");
    }
    match units.status() {
        Ok(s) => println!("intra-stop: unit of a stopped waiter counted: {}, waiting {}", s.value, s.waiting),
        Err(e) => println!("intra-stop: status failed: {e:?}"),
    }

    if let Err(e) = stop(id("reader")) {
        println!("intra-stop: stop(reader) failed: {e:?}");
    }
    if let Err(e) = start(id("reader")) {
        println!("intra-stop: start(reader) again failed: {e:?}");
    }
    if !until(|| READER_READY.load(Ordering::Acquire) == 1 && waiting("reader")) {
        println!("intra-stop: reader life 2 failed: never waited on go");
    }
    if let Err(e) = mail.send(b"mail!!!\0", 0) {
        println!("intra-stop: send failed: {e:?}");
    }
    match mail.status() {
        Ok(s) => println!("intra-stop: message for a restarted receiver queued: {}, waiting {}", s.messages, s.waiting),
        Err(e) => println!("intra-stop: status failed: {e:?}"),
    }
    let go = Semaphore::by_name("go").unwrap_or_else(|e| {
        println!("intra-stop: by_name(go) failed: {e:?}");
        park()
    });
    if let Err(e) = go.signal() {
        println!("intra-stop: signal(go) failed: {e:?}");
    }
    // The reader prints its verdict, then this.
    if !until(|| READER_READY.load(Ordering::Acquire) == 2) {
        println!("intra-stop: reader life 2 failed: never woke");
    }
    let mut got = [0u8; 8];
    match mail.receive(&mut got, 0) {
        Ok(n) => println!(
            "intra-stop: main received: {}",
            core::str::from_utf8(&got[..n]).unwrap_or("?").trim_end_matches('\0')
        ),
        Err(e) => println!("intra-stop: main receive failed: {e:?}"),
    }
    println!("intra-stop: done");
    park()
}

/// Both lives run this: the buffer lies at the same place on the stack.
#[inline(never)]
fn reader() -> ! {
    let life = READER_LIVES.fetch_add(1, Ordering::AcqRel) + 1;
    let mut buf = [0u8; 8];
    let mail = Buffer::by_name("mail");
    if life == 1 {
        match mail.map(|m| m.receive(core::hint::black_box(&mut buf), INFINITE)) {
            Ok(r) => println!("intra-stop: reader life 1 receive returned failed: {r:?}"),
            Err(e) => println!("intra-stop: by_name(mail) failed: {e:?}"),
        }
        park()
    }
    let go = Semaphore::by_name("go");
    READER_READY.store(1, Ordering::Release);
    if let Err(e) = go.and_then(|g| g.wait(INFINITE)) {
        println!("intra-stop: reader wait on go failed: {e:?}");
    }
    let untouched = core::hint::black_box(&buf).iter().all(|&b| b == 0);
    println!("intra-stop: reader life 2: its buffer untouched: {}", if untouched { "yes" } else { "no" });
    READER_READY.store(2, Ordering::Release);
    park()
}

fn taker() -> ! {
    match Semaphore::by_name("units").map(|s| s.wait(INFINITE)) {
        Ok(r) => println!("intra-stop: taker got a unit failed: {r:?}"),
        Err(e) => println!("intra-stop: by_name(units) failed: {e:?}"),
    }
    park()
}

fn park() -> ! {
    loop {
        let _ = periodic_wait();
    }
}
