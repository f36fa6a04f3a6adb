//! `intra-objects`: the SDK's ARINC 653 intra-partition objects
//! (`bulkhead_sdk::intra`) across the partition's four cores
//! (partitions/tests/intra-objects.toml).
//!
//! `main` (core 0, priority 10) creates a buffer, two semaphores (one
//! PRIORITY, one FIFO), a mutex (ceiling 40), an event and a blackboard in
//! COLD_START, starts `a` (core 1, priority 10), `b` (core 2, 30) and `c`
//! (core 3, 20) and enters NORMAL. Then, phase by phase, it lets the
//! three in one at a time (each waits for its turn on a word) and each
//! blocks on the phase's object; `main` sees them all queued (the
//! object's status) before it serves them, one at a time, and the order
//! they come out in is printed:
//!
//! 1. buffer: `a` sends 40 messages into a 4-deep buffer and blocks when it
//!    is full; `main` receives them all, in order (after a receive from the
//!    empty buffer timed out);
//! 2. PRIORITY semaphore, arrivals a b c: served b c a;
//! 3. FIFO semaphore, arrivals c a b: served c a b;
//! 4. mutex held by `main`, arrivals a b c, PRIORITY: owned in turn by b
//!    c a, each at the ceiling while it owns it, `main` back to 10;
//! 5. event: one SET_EVENT releases all three;
//! 6. blackboard: three readers block until `main` displays.
//!
//! Prints (`main`):
//!
//! ```text
//! intra: created 7 objects in COLD_START
//! intra: create in NORMAL: InvalidMode
//! intra: buffer receive from empty: TimedOut after at least 2 ms: yes
//! intra: buffer producer blocked on full: yes
//! intra: buffer send to full, no wait: NotAvailable
//! intra: buffer 40 messages in order: yes
//! intra: semaphore priority: b c a
//! intra: semaphore fifo: c a b
//! intra: mutex main at the ceiling: 40
//! intra: mutex priority: b c a, owners at the ceiling: yes, main back to: 10
//! intra: event woke 3, after reset a poll: NotAvailable
//! intra: blackboard readers got: hello board, hello board, hello board
//! intra: done
//! ```
//!
//! A failed call prints `intra: ... failed: ERROR` (the test forbids it).
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

use bulkhead_sdk::intra::{Blackboard, Buffer, Discipline, Error, Event, Mutex, Semaphore};
use bulkhead_sdk::process::{my_id, process_status, set_partition_mode, start};
use bulkhead_sdk::{INFINITE, MessageBuf, PartitionMode, ThreadInfo, periodic_wait, println, time, timed_wait};
use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};

bulkhead_sdk::partition_main!(main);

/// Which waiter may go now: `phase << 8 | slot + 1`.
static TURN: AtomicU32 = AtomicU32::new(0);
/// The letters of the waiters in the order they were served, one per byte.
static ORDER: AtomicU32 = AtomicU32::new(0);
static SERVED: AtomicU32 = AtomicU32::new(0);
/// Cleared by a mutex owner that found itself below the ceiling.
static AT_CEILING: AtomicU32 = AtomicU32::new(1);
/// What each blackboard reader got, as the length it read (0: nothing).
static READ_LEN: [AtomicU32; 3] = [const { AtomicU32::new(0) }; 3];

const LETTERS: [u8; 3] = *b"abc";
const MESSAGES: u32 = 40;
const CEILING: u32 = 40;
const BOARD: &[u8] = b"hello board";

fn main(thread: ThreadInfo) -> ! {
    match thread.index {
        0 => driver(),
        slot @ 1..=3 => waiter(slot - 1),
        _ => loop {
            let _ = periodic_wait();
        },
    }
}

fn now_ns() -> u64 {
    time().map(|t| t.now_ns).unwrap_or(0)
}

/// Prints a failure (the test forbids these lines).
fn check<T>(what: &str, r: Result<T, Error>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            println!("intra: {what} failed: {e:?}");
            None
        }
    }
}

/// Polls `done` every 100 us, at most 2 s; whether it came true.
fn until(done: impl Fn() -> bool) -> bool {
    for _ in 0..20_000 {
        if done() {
            return true;
        }
        let _ = timed_wait(100_000);
    }
    false
}

fn my_priority() -> u32 {
    my_id().and_then(process_status).map(|s| s.current_priority).unwrap_or(0)
}

fn waiter(slot: u32) -> ! {
    let letter = u32::from(LETTERS[slot as usize]);
    let served = || {
        let k = SERVED.load(Ordering::Acquire);
        ORDER.fetch_or(letter << (8 * k), Ordering::AcqRel);
        SERVED.fetch_add(1, Ordering::AcqRel);
    };
    let turn = |phase: u32| {
        until(|| TURN.load(Ordering::Acquire) == phase << 8 | (slot + 1));
    };
    // 1: `a` is the producer.
    if slot == 0 {
        turn(1);
        if let Some(pipe) = check("buffer by name", Buffer::by_name("pipe")) {
            for i in 0..MESSAGES {
                check("send", pipe.send(&i.to_le_bytes(), INFINITE));
            }
        }
    }
    // 2, 3: semaphores.
    for (phase, name) in [(2, "by priority"), (3, "in fifo")] {
        turn(phase);
        if let Some(s) = check("semaphore by name", Semaphore::by_name(name))
            && check("semaphore wait", s.wait(INFINITE)).is_some()
        {
            served();
        }
    }
    // 4: the mutex.
    turn(4);
    if let Some(m) = check("mutex by name", Mutex::by_name("m"))
        && check("mutex acquire", m.acquire(INFINITE)).is_some()
    {
        if my_priority() != CEILING {
            AT_CEILING.store(0, Ordering::Release);
        }
        served();
        check("mutex release", m.release());
    }
    // 5: the event.
    turn(5);
    if let Some(e) = check("event by name", Event::by_name("go"))
        && check("event wait", e.wait(INFINITE)).is_some()
    {
        served();
    }
    // 6: the blackboard.
    turn(6);
    if let Some(b) = check("blackboard by name", Blackboard::by_name("board")) {
        let mut buf = [0u8; 32];
        if let Some(n) = check("blackboard read", b.read(&mut buf, INFINITE)) {
            let same = &buf[..n] == BOARD;
            READ_LEN[slot as usize].store(if same { n as u32 } else { u32::MAX }, Ordering::Release);
        }
    }
    loop {
        let _ = periodic_wait();
    }
}

/// Creates the objects (COLD_START), starts the waiters, enters NORMAL.
fn initialise() -> Option<()> {
    let p = Discipline::Priority;
    check("create buffer", Buffer::create("pipe", 8, 4, Discipline::Fifo))?;
    check("create semaphore", Semaphore::create("by priority", 0, 3, p))?;
    check("create semaphore", Semaphore::create("in fifo", 0, 3, Discipline::Fifo))?;
    check("create mutex", Mutex::create("m", CEILING, p))?;
    check("create event", Event::create("go"))?;
    check("create blackboard", Blackboard::create("board", 32))?;
    check("create semaphore", Semaphore::create("spare", 1, 1, p))?;
    println!("intra: created 7 objects in COLD_START");
    for t in 1..=3 {
        if let Err(e) = start(t) {
            println!("intra: start({t}) failed: {e:?}");
        }
    }
    if let Err(e) = set_partition_mode(PartitionMode::Normal) {
        println!("intra: NORMAL failed: {e:?}");
    }
    match Event::create("late") {
        Err(e) => println!("intra: create in NORMAL: {e:?}"),
        Ok(_) => println!("intra: create in NORMAL: Ok"),
    }
    Some(())
}

/// Lets the waiters in, in `arrival` order, each queued (`queued(k)` true
/// with k in) before the next comes.
fn gather(phase: u32, arrival: [u32; 3], queued: impl Fn(u32) -> bool) {
    for (k, slot) in arrival.into_iter().enumerate() {
        TURN.store(phase << 8 | (slot + 1), Ordering::Release);
        if !until(|| queued(k as u32 + 1)) {
            println!("intra: phase {phase}: waiter {slot} did not queue failed: stuck");
        }
    }
    ORDER.store(0, Ordering::Release);
    SERVED.store(0, Ordering::Release);
}

/// Serves the three one at a time with `serve`; the order, as letters.
fn serve_in_turn(serve: impl Fn()) -> [char; 3] {
    for k in 0..3 {
        serve();
        if !until(|| SERVED.load(Ordering::Acquire) > k) {
            println!("intra: serve {k} failed: nobody came");
        }
    }
    let o = ORDER.load(Ordering::Acquire).to_le_bytes();
    [char::from(o[0]), char::from(o[1]), char::from(o[2])]
}

fn driver() -> ! {
    if initialise().is_none() {
        loop {
            let _ = periodic_wait();
        }
    }
    let _ = run();
    println!("intra: done");
    loop {
        let _ = periodic_wait();
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn run() -> Option<()> {
    // 1: buffer.
    let pipe = check("buffer by name", Buffer::by_name("pipe"))?;
    let mut buf = [0u8; 8];
    let before = now_ns();
    let r = pipe.receive(&mut buf, 2_000_000);
    let waited = now_ns().saturating_sub(before) >= 2_000_000;
    println!("intra: buffer receive from empty: {:?} after at least 2 ms: {}", r.err(), yes(waited));
    TURN.store(1 << 8 | 1, Ordering::Release);
    let blocked = until(|| pipe.status().is_ok_and(|s| s.messages == 4 && s.waiting == 1));
    println!("intra: buffer producer blocked on full: {}", yes(blocked));
    match pipe.send(b"x", 0) {
        Err(e) => println!("intra: buffer send to full, no wait: {e:?}"),
        Ok(()) => println!("intra: buffer send to full, no wait: Ok"),
    }
    let mut in_order = true;
    for i in 0..MESSAGES {
        match pipe.receive(&mut buf, 500_000_000) {
            Ok(4) => in_order &= u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) == i,
            r => {
                println!("intra: receive {i} failed: {r:?}");
                in_order = false;
            }
        }
    }
    println!("intra: buffer {MESSAGES} messages in order: {}", yes(in_order));

    // 2, 3: semaphores.
    for (phase, name, arrival) in [(2, "priority", [0, 1, 2]), (3, "fifo", [2, 0, 1])] {
        let s = check("semaphore by name", Semaphore::by_name(if phase == 2 { "by priority" } else { "in fifo" }))?;
        gather(phase, arrival, |n| s.status().is_ok_and(|st| st.waiting == n));
        let o = serve_in_turn(|| {
            check("signal", s.signal());
        });
        println!("intra: semaphore {name}: {} {} {}", o[0], o[1], o[2]);
    }

    // 4: mutex.
    let m = check("mutex by name", Mutex::by_name("m"))?;
    check("mutex acquire", m.acquire(0))?;
    println!("intra: mutex main at the ceiling: {}", my_priority());
    gather(4, [0, 1, 2], |n| m.status().is_ok_and(|st| st.waiting == n));
    check("mutex release", m.release())?;
    let back = my_priority();
    let o = serve_in_turn(|| {});
    let ceiling = yes(AT_CEILING.load(Ordering::Acquire) == 1);
    println!(
        "intra: mutex priority: {} {} {}, owners at the ceiling: {ceiling}, main back to: {back}",
        o[0], o[1], o[2]
    );

    // 5: event.
    let e = check("event by name", Event::by_name("go"))?;
    gather(5, [0, 1, 2], |n| e.status().is_ok_and(|st| st.waiting == n));
    check("event set", e.set())?;
    let all = until(|| SERVED.load(Ordering::Acquire) == 3);
    check("event reset", e.reset())?;
    let poll = e.wait(0);
    println!("intra: event woke {}, after reset a poll: {:?}", if all { 3 } else { 0 }, poll.err());

    // 6: blackboard.
    let b = check("blackboard by name", Blackboard::by_name("board"))?;
    gather(6, [0, 1, 2], |n| b.status().is_ok_and(|st| st.waiting == n && st.empty));
    check("display", b.display(BOARD))?;
    until(|| READ_LEN.iter().all(|l| l.load(Ordering::Acquire) != 0));
    let mut line = MessageBuf::<120>::new();
    let _ = write!(line, "intra: blackboard readers got:");
    for (i, l) in READ_LEN.iter().enumerate() {
        let got = match l.load(Ordering::Acquire) {
            n if n as usize == BOARD.len() => "hello board",
            0 => "nothing",
            _ => "something else",
        };
        let _ = write!(line, "{}{got}", if i == 0 { " " } else { ", " });
    }
    println!("{}", line.as_str());
    Some(())
}
