//! The objects on the host: a double of the kernel ([`Fake`]: WaitWord and
//! WakeWord over a `std` mutex and condition variable, priorities in a
//! table, a settable partition mode) and real `std` threads as the
//! partition's threads. These check the blocking behaviour, the hand-off
//! orders and the timeouts; the QEMU tests (`intra-*`) check the same on
//! the kernel across cores.

use std::boxed::Box;
use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex as StdMutex};
use std::thread;
use std::time::{Duration, Instant};
use std::vec::Vec;

use bulkhead_abi::{INFINITE, PartitionMode, Status, WakeOrder};

use super::model::waiters::Discipline;
use super::{Caller, Error, Objects, System};

std::thread_local! {
    static ME: Cell<u32> = const { Cell::new(0) };
}

/// One sleeper of the double's WaitWord.
struct Sleeper {
    word: usize,
    id: u64,
    priority: u32,
    woken: bool,
}

/// The kernel, as the objects see it, for threads of one test.
struct Fake {
    start: Instant,
    priorities: StdMutex<[u32; 64]>,
    partition: StdMutex<(Option<PartitionMode>, u64)>,
    sleepers: StdMutex<(u64, Vec<Sleeper>)>,
    changed: Condvar,
    set_priority_calls: AtomicUsize,
}

impl Fake {
    fn new() -> Arc<Fake> {
        Arc::new(Fake {
            start: Instant::now(),
            priorities: StdMutex::new([1; 64]),
            partition: StdMutex::new((Some(PartitionMode::ColdStart), 0)),
            sleepers: StdMutex::new((0, Vec::new())),
            changed: Condvar::new(),
            set_priority_calls: AtomicUsize::new(0),
        })
    }

    fn mode(&self, mode: PartitionMode) {
        self.partition.lock().unwrap().0 = Some(mode);
    }

    fn restart(&self) {
        let mut p = self.partition.lock().unwrap();
        *p = (Some(PartitionMode::WarmStart), p.1 + 1);
    }

    fn priority(&self, thread: u32) -> u32 {
        self.priorities.lock().unwrap()[thread as usize]
    }
}

impl System for Fake {
    fn caller(&self) -> Result<Caller, Status> {
        let thread = ME.with(|m| m.get());
        Ok(Caller { thread })
    }

    fn now_ns(&self) -> Result<u64, Status> {
        Ok(self.start.elapsed().as_nanos() as u64)
    }

    fn priority_of(&self, thread: u32) -> Result<u32, Status> {
        Ok(self.priority(thread))
    }

    fn core_of(&self, thread: u32) -> Result<u32, Status> {
        Ok(thread % 4)
    }

    fn set_priority(&self, thread: u32, priority: u32) -> Result<(), Status> {
        self.set_priority_calls.fetch_add(1, Ordering::Relaxed);
        self.priorities.lock().unwrap()[thread as usize] = priority;
        Ok(())
    }

    fn partition(&self) -> Result<(Option<PartitionMode>, u64), Status> {
        Ok(*self.partition.lock().unwrap())
    }

    fn wait(&self, word: &AtomicU32, expected: u32, timeout_ns: u64) -> Result<(), Status> {
        let mut s = self.sleepers.lock().unwrap();
        if word.load(Ordering::SeqCst) != expected {
            return Err(Status::NoAction);
        }
        if timeout_ns == 0 {
            return Err(Status::TimedOut);
        }
        let id = s.0;
        s.0 += 1;
        let me = ME.with(|m| m.get());
        let priority = self.priority(me);
        s.1.push(Sleeper { word: word.as_ptr() as usize, id, priority, woken: false });
        let until = (timeout_ns != INFINITE).then(|| Instant::now() + Duration::from_nanos(timeout_ns));
        loop {
            let i = s.1.iter().position(|w| w.id == id).unwrap();
            if s.1[i].woken {
                s.1.remove(i);
                return Ok(());
            }
            match until {
                None => s = self.changed.wait(s).unwrap(),
                Some(at) => {
                    let now = Instant::now();
                    if now >= at {
                        s.1.remove(i);
                        return Err(Status::TimedOut);
                    }
                    s = self.changed.wait_timeout(s, at - now).unwrap().0;
                }
            }
        }
    }

    fn wake(&self, word: &AtomicU32, count: u64, order: WakeOrder) -> Result<u64, Status> {
        let mut s = self.sleepers.lock().unwrap();
        let addr = word.as_ptr() as usize;
        let mut woken = 0;
        while woken < count {
            let next = s.1.iter_mut().filter(|w| w.word == addr && !w.woken).min_by_key(|w| match order {
                WakeOrder::Priority => (u32::MAX - w.priority, w.id),
                WakeOrder::Fifo => (0, w.id),
            });
            match next {
                Some(w) => w.woken = true,
                None => break,
            }
            woken += 1;
        }
        self.changed.notify_all();
        Ok(woken)
    }

    fn relax(&self) {
        thread::yield_now();
    }
}

/// Objects and a kernel for one test.
struct World {
    objects: Box<Objects>,
    fake: Arc<Fake>,
}

impl World {
    fn new() -> Arc<World> {
        ME.with(|m| m.set(0));
        Arc::new(World { objects: Box::new(Objects::new()), fake: Fake::new() })
    }

    /// Runs `f` on a new thread that the objects see as thread `index`.
    fn spawn<R: Send + 'static>(
        self: &Arc<Self>,
        index: u32,
        f: impl FnOnce(&World) -> R + Send + 'static,
    ) -> thread::JoinHandle<R> {
        let w = Arc::clone(self);
        thread::spawn(move || {
            ME.with(|m| m.set(index));
            f(&w)
        })
    }

    /// Waits (bounded) until `done()`.
    fn until(&self, what: &str, done: impl Fn() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(start.elapsed() < Duration::from_secs(10), "timed out waiting for {what}");
            thread::sleep(Duration::from_millis(1));
        }
    }
}

const MS: u64 = 1_000_000;

#[test]
fn creation_follows_the_arinc_rules() {
    let w = World::new();
    let (o, f) = (&w.objects, &*w.fake);
    assert_eq!(o.semaphore_create(f, "s", 2, 1, Discipline::Fifo), Err(Error::InvalidParam));
    assert_eq!(o.semaphore_create(f, "", 0, 1, Discipline::Fifo), Err(Error::InvalidParam));
    assert_eq!(o.semaphore_create(f, &"n".repeat(31), 0, 1, Discipline::Fifo), Err(Error::InvalidParam));
    let s = o.semaphore_create(f, "s", 0, 1, Discipline::Fifo).unwrap();
    assert_eq!(o.semaphore_create(f, "s", 0, 1, Discipline::Fifo), Err(Error::NoAction));
    // Names are per kind.
    assert_eq!(o.event_create(f, "s"), Ok(0));
    for i in 1..super::MAX_OBJECTS {
        assert_eq!(o.event_create(f, &std::format!("e{i}")), Ok(i as u32));
    }
    assert_eq!(o.event_create(f, "one too many"), Err(Error::InvalidConfig));
    // The arena: 32 KiB.
    assert_eq!(o.blackboard_create(f, "big", super::ARENA_SIZE as u32 - 8), Ok(0));
    assert_eq!(o.buffer_create(f, "b", 8, 1, Discipline::Fifo), Err(Error::InvalidConfig));
    assert_eq!(o.buffer_create(f, "b", 0, 1, Discipline::Fifo), Err(Error::InvalidParam));
    assert_eq!(o.buffer_create(f, "b", 1, 513, Discipline::Fifo), Err(Error::InvalidParam));
    assert_eq!(o.blackboard_create(f, "b", 0), Err(Error::InvalidParam));
    assert_eq!(o.mutex_create(f, "m", 256, Discipline::Fifo), Err(Error::InvalidParam));
    assert_eq!(o.find(f, super::objects::Kind::Semaphore, "s"), Ok(s));
    assert_eq!(o.find(f, super::objects::Kind::Semaphore, "t"), Err(Error::InvalidConfig));
    assert_eq!(o.semaphore_signal(f, 7), Err(Error::InvalidParam), "no such semaphore");
    w.fake.mode(PartitionMode::Normal);
    assert_eq!(o.event_create(f, "late"), Err(Error::InvalidMode));
    assert_eq!(o.find(f, super::objects::Kind::Event, "e3"), Ok(3));
}

#[test]
fn a_new_start_forgets_the_objects_of_the_last() {
    let w = World::new();
    let (o, f) = (&w.objects, &*w.fake);
    o.semaphore_create(f, "s", 1, 1, Discipline::Fifo).unwrap();
    o.buffer_create(f, "b", 16, 1000 / 20, Discipline::Fifo).unwrap();
    o.semaphore_wait(f, 0, 0).unwrap();
    w.fake.restart(); // warm: the memory stays
    assert_eq!(o.find(f, super::objects::Kind::Semaphore, "s"), Err(Error::InvalidConfig));
    assert_eq!(o.semaphore_create(f, "t", 0, 5, Discipline::Fifo), Ok(0));
    assert_eq!(o.semaphore_create(f, "s", 1, 1, Discipline::Fifo), Ok(1));
    assert_eq!(o.find(f, super::objects::Kind::Buffer, "b"), Err(Error::InvalidConfig));
    assert_eq!(o.semaphore_status(f, 1).map(|s| s.value), Ok(1));
}

#[test]
fn timeouts_poll_expire_and_are_checked() {
    let w = World::new();
    let (o, f) = (&w.objects, &*w.fake);
    o.semaphore_create(f, "s", 0, 1, Discipline::Fifo).unwrap();
    o.event_create(f, "e").unwrap();
    o.buffer_create(f, "b", 4, 1, Discipline::Fifo).unwrap();
    o.blackboard_create(f, "bb", 4).unwrap();
    assert_eq!(o.semaphore_wait(f, 0, 0), Err(Error::NotAvailable));
    assert_eq!(o.event_wait(f, 0, 0), Err(Error::NotAvailable));
    let mut buf = [0u8; 4];
    assert_eq!(o.buffer_receive(f, 0, &mut buf, 0), Err(Error::NotAvailable));
    assert_eq!(o.blackboard_read(f, 0, &mut buf, 0), Err(Error::NotAvailable));
    o.buffer_send(f, 0, b"1", 0).unwrap();
    assert_eq!(o.buffer_send(f, 0, b"2", 0), Err(Error::NotAvailable));
    assert_eq!(o.buffer_send(f, 0, b"2", u64::MAX - 1), Err(Error::InvalidParam), "deadline past the clock");
    let t = Instant::now();
    assert_eq!(o.semaphore_wait(f, 0, 30 * MS), Err(Error::TimedOut));
    assert_eq!(o.buffer_send(f, 0, b"2", 30 * MS), Err(Error::TimedOut));
    assert_eq!(o.event_wait(f, 0, 30 * MS), Err(Error::TimedOut));
    assert!(t.elapsed() >= Duration::from_millis(90));
    // The timed-out waiters left the sets.
    assert_eq!(o.semaphore_status(f, 0).unwrap().waiting, 0);
    assert_eq!(o.buffer_status(f, 0).unwrap().waiting, 0);
    assert_eq!(o.event_status(f, 0).unwrap().waiting, 0);
    assert_eq!(o.buffer_send(f, 0, b"", 0), Err(Error::InvalidParam));
    assert_eq!(o.buffer_send(f, 0, b"12345", 0), Err(Error::InvalidParam));
    assert_eq!(o.buffer_receive(f, 0, &mut [0u8; 3], 0), Err(Error::InvalidParam));
}

/// Three waiters of priorities 10, 30, 20 queue in that order; signals
/// come one at a time. Returns the priorities in the order served.
fn serve_three(discipline: Discipline) -> Vec<u32> {
    let w = World::new();
    w.objects.semaphore_create(&*w.fake, "s", 0, 3, discipline).unwrap();
    w.fake.mode(PartitionMode::Normal);
    let served = Arc::new(StdMutex::new(Vec::new()));
    let mut joins = Vec::new();
    for (i, p) in [(1u32, 10u32), (2, 30), (3, 20)] {
        w.fake.set_priority(i, p).unwrap();
        let served = Arc::clone(&served);
        joins.push(w.spawn(i, move |w| {
            w.objects.semaphore_wait(&*w.fake, 0, INFINITE).unwrap();
            served.lock().unwrap().push(p);
        }));
        w.until("the waiter to queue", || w.objects.semaphore_status(&*w.fake, 0).unwrap().waiting == i);
    }
    for n in 1..=3 {
        w.objects.semaphore_signal(&*w.fake, 0).unwrap();
        w.until("the waiter to run", || served.lock().unwrap().len() == n);
    }
    for j in joins {
        j.join().unwrap();
    }
    served.lock().unwrap().clone()
}

#[test]
fn a_semaphore_serves_by_priority_or_fifo() {
    assert_eq!(serve_three(Discipline::Priority), [30, 20, 10]);
    assert_eq!(serve_three(Discipline::Fifo), [10, 30, 20]);
}

#[test]
fn a_signal_goes_to_the_waiter_not_to_a_newcomer() {
    let w = World::new();
    w.objects.semaphore_create(&*w.fake, "s", 0, 1, Discipline::Fifo).unwrap();
    let waiter = w.spawn(1, |w| w.objects.semaphore_wait(&*w.fake, 0, INFINITE));
    w.until("the waiter", || w.objects.semaphore_status(&*w.fake, 0).unwrap().waiting == 1);
    w.objects.semaphore_signal(&*w.fake, 0).unwrap();
    // The unit is the waiter's even before it runs: a newcomer finds none.
    assert_eq!(w.objects.semaphore_wait(&*w.fake, 0, 0), Err(Error::NotAvailable));
    assert_eq!(waiter.join().unwrap(), Ok(()));
    assert_eq!(w.objects.semaphore_status(&*w.fake, 0).unwrap().value, 0);
}

#[test]
fn a_buffer_carries_every_message_once_in_order_across_threads() {
    let w = World::new();
    w.objects.buffer_create(&*w.fake, "b", 8, 3, Discipline::Fifo).unwrap();
    const N: u32 = 400;
    let producers: Vec<_> = (0..2u32)
        .map(|p| {
            w.spawn(1 + p, move |w| {
                for i in 0..N {
                    let msg = (p << 16 | i).to_le_bytes();
                    // Mix blocking and polling sends.
                    loop {
                        let t = if i % 3 == 0 {
                            0
                        } else if i % 3 == 1 {
                            MS
                        } else {
                            INFINITE
                        };
                        match w.objects.buffer_send(&*w.fake, 0, &msg, t) {
                            Ok(()) => break,
                            Err(Error::NotAvailable | Error::TimedOut) => continue,
                            Err(e) => panic!("{e:?}"),
                        }
                    }
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..2u32)
        .map(|c| {
            w.spawn(3 + c, move |w| {
                let mut got = Vec::new();
                let mut buf = [0u8; 8];
                while got.len() < N as usize {
                    match w.objects.buffer_receive(&*w.fake, 0, &mut buf, if c == 0 { INFINITE } else { MS }) {
                        Ok(4) => got.push(u32::from_le_bytes(buf[..4].try_into().unwrap())),
                        Ok(n) => panic!("length {n}"),
                        Err(Error::TimedOut) => continue,
                        Err(e) => panic!("{e:?}"),
                    }
                }
                got
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    let mut all = Vec::new();
    for c in consumers {
        let got = c.join().unwrap();
        // Each consumer sees each producer's messages in order.
        for p in 0..2u32 {
            let mine: Vec<u32> = got.iter().filter(|m| *m >> 16 == p).map(|m| m & 0xffff).collect();
            assert!(mine.windows(2).all(|x| x[0] < x[1]), "producer {p} out of order: {mine:?}");
        }
        all.extend(got);
    }
    all.sort_unstable();
    let want: Vec<u32> = (0..2u32).flat_map(|p| (0..N).map(move |i| p << 16 | i)).collect::<Vec<_>>();
    let mut want = want;
    want.sort_unstable();
    assert_eq!(all, want, "every message exactly once");
    assert_eq!(w.objects.buffer_status(&*w.fake, 0).unwrap().messages, 0);
}

#[test]
fn a_full_buffer_takes_the_waiting_senders_message_in_discipline_order() {
    let w = World::new();
    w.objects.buffer_create(&*w.fake, "b", 4, 1, Discipline::Priority).unwrap();
    w.objects.buffer_send(&*w.fake, 0, b"first", 0).unwrap_err(); // too long
    w.objects.buffer_send(&*w.fake, 0, b"0", 0).unwrap();
    let mut joins = Vec::new();
    for (i, p, m) in [(1u32, 5u32, b"low"), (2, 9, b"hig"), (3, 7, b"mid")] {
        w.fake.set_priority(i, p).unwrap();
        joins.push(w.spawn(i, move |w| w.objects.buffer_send(&*w.fake, 0, m, INFINITE)));
        w.until("the sender to queue", || w.objects.buffer_status(&*w.fake, 0).unwrap().waiting == i);
    }
    let mut buf = [0u8; 4];
    let mut got = Vec::new();
    for _ in 0..4 {
        let n = w.objects.buffer_receive(&*w.fake, 0, &mut buf, INFINITE).unwrap();
        got.push(std::string::String::from_utf8(buf[..n].to_vec()).unwrap());
    }
    assert_eq!(got, ["0", "hig", "mid", "low"]);
    for j in joins {
        assert_eq!(j.join().unwrap(), Ok(()));
    }
}

#[test]
fn a_blackboard_releases_every_reader_with_the_message() {
    let w = World::new();
    w.objects.blackboard_create(&*w.fake, "bb", 16).unwrap();
    let readers: Vec<_> = (1..=3u32)
        .map(|i| {
            w.spawn(i, |w| {
                let mut buf = [0u8; 16];
                let n = w.objects.blackboard_read(&*w.fake, 0, &mut buf, INFINITE).unwrap();
                buf[..n].to_vec()
            })
        })
        .collect();
    w.until("three readers", || w.objects.blackboard_status(&*w.fake, 0).unwrap().waiting == 3);
    assert!(w.objects.blackboard_status(&*w.fake, 0).unwrap().empty);
    w.objects.blackboard_display(&*w.fake, 0, b"hello board").unwrap();
    for r in readers {
        assert_eq!(r.join().unwrap(), b"hello board");
    }
    let mut buf = [0u8; 16];
    assert_eq!(w.objects.blackboard_read(&*w.fake, 0, &mut buf, 0), Ok(11), "it stays displayed");
    assert_eq!(w.objects.blackboard_display(&*w.fake, 0, &[0; 17]), Err(Error::InvalidParam));
    assert_eq!(w.objects.blackboard_read(&*w.fake, 0, &mut [0u8; 15], 0), Err(Error::InvalidParam));
    w.objects.blackboard_clear(&*w.fake, 0).unwrap();
    assert_eq!(w.objects.blackboard_read(&*w.fake, 0, &mut buf, 0), Err(Error::NotAvailable));
}

#[test]
fn an_event_releases_every_waiter_until_reset() {
    let w = World::new();
    w.objects.event_create(&*w.fake, "e").unwrap();
    let waiters: Vec<_> = (1..=3u32).map(|i| w.spawn(i, |w| w.objects.event_wait(&*w.fake, 0, INFINITE))).collect();
    w.until("three waiters", || w.objects.event_status(&*w.fake, 0).unwrap().waiting == 3);
    w.objects.event_set(&*w.fake, 0).unwrap();
    for x in waiters {
        assert_eq!(x.join().unwrap(), Ok(()));
    }
    assert_eq!(w.objects.event_wait(&*w.fake, 0, 0), Ok(()), "UP: no wait");
    w.objects.event_reset(&*w.fake, 0).unwrap();
    assert_eq!(w.objects.event_wait(&*w.fake, 0, 0), Err(Error::NotAvailable));
    assert_eq!(w.objects.event_status(&*w.fake, 0).unwrap(), super::EventStatus { up: false, waiting: 0 });
}

#[test]
fn a_mutex_raises_its_owner_to_the_ceiling_and_hands_on_by_priority() {
    let w = World::new();
    let (o, f) = (&w.objects, &*w.fake);
    o.mutex_create(f, "m", 50, Discipline::Priority).unwrap();
    o.semaphore_create(f, "s", 0, 1, Discipline::Fifo).unwrap();
    f.set_priority(0, 10).unwrap();
    o.mutex_acquire(f, 0, 0).unwrap();
    assert_eq!(f.priority(0), 50, "at the ceiling");
    o.mutex_acquire(f, 0, 0).unwrap();
    assert_eq!(o.mutex_status(f, 0).unwrap().lock_count, 2);
    assert_eq!(o.semaphore_wait(f, 0, MS), Err(Error::InvalidMode), "no waiting while owning a mutex");
    assert_eq!(o.process_mutex(f, 0), Ok(Some(0)));
    let served = Arc::new(StdMutex::new(Vec::new()));
    let mut joins = Vec::new();
    for (i, p) in [(1u32, 20u32), (2, 40), (3, 30)] {
        f.set_priority(i, p).unwrap();
        let served = Arc::clone(&served);
        joins.push(w.spawn(i, move |w| {
            let f = &*w.fake;
            w.objects.mutex_acquire(f, 0, INFINITE).unwrap();
            assert_eq!(f.priority(i), 50, "the new owner runs at the ceiling");
            served.lock().unwrap().push(p);
            w.objects.mutex_release(f, 0).unwrap();
            assert_eq!(f.priority(i), p, "and goes back");
        }));
        w.until("the waiter", || w.objects.mutex_status(&*w.fake, 0).unwrap().waiting == i);
    }
    // Another process may not release it.
    let other = w.spawn(9, |w| w.objects.mutex_release(&*w.fake, 0));
    assert_eq!(other.join().unwrap(), Err(Error::InvalidMode));
    o.mutex_release(f, 0).unwrap();
    assert_eq!(f.priority(0), 50, "still held once");
    o.mutex_release(f, 0).unwrap();
    assert_eq!(f.priority(0), 10, "back to the retained priority");
    for j in joins {
        j.join().unwrap();
    }
    assert_eq!(*served.lock().unwrap(), [40, 30, 20]);
    assert_eq!(o.mutex_status(f, 0).unwrap().owner, None);
    // Above the ceiling: refused.
    f.set_priority(0, 51).unwrap();
    assert_eq!(o.mutex_acquire(f, 0, 0), Err(Error::InvalidMode));
}

#[test]
fn a_mutex_nests_16_deep_resets_and_keeps_set_priority_for_later() {
    let w = World::new();
    let (o, f) = (&w.objects, &*w.fake);
    o.mutex_create(f, "m", 50, Discipline::Fifo).unwrap();
    o.mutex_create(f, "n", 50, Discipline::Fifo).unwrap();
    f.set_priority(0, 10).unwrap();
    for _ in 0..16 {
        o.mutex_acquire(f, 0, 0).unwrap();
    }
    assert_eq!(o.mutex_acquire(f, 0, 0), Err(Error::InvalidConfig));
    assert_eq!(o.mutex_acquire(f, 1, 0), Err(Error::InvalidMode), "one mutex at a time");
    o.set_process_priority(f, 0, 12).unwrap();
    assert_eq!(f.priority(0), 50, "an owner stays at the ceiling");
    let waiter = w.spawn(1, |w| w.objects.mutex_acquire(&*w.fake, 0, INFINITE));
    w.until("the waiter", || w.objects.mutex_status(&*w.fake, 0).unwrap().waiting == 1);
    assert_eq!(o.mutex_reset(f, 0, 1), Err(Error::InvalidMode), "1 does not own it");
    o.mutex_reset(f, 0, 0).unwrap();
    assert_eq!(f.priority(0), 12, "reset puts the owner back to its (new) retained priority");
    assert_eq!(waiter.join().unwrap(), Ok(()));
    assert_eq!(o.mutex_status(f, 0).unwrap().owner, Some(1));
    assert_eq!(o.process_mutex(f, 1), Ok(Some(0)));
    assert_eq!(o.process_mutex(f, 0), Ok(None));
}

#[test]
fn timed_waits_race_signals_without_losing_a_unit() {
    // A semaphore used as a lock by six threads with short timeouts: the
    // count under it is exact, and the unit is back at the end.
    let w = World::new();
    w.objects.semaphore_create(&*w.fake, "s", 1, 1, Discipline::Priority).unwrap();
    let counter = Arc::new(AtomicUsize::new(0));
    let joins: Vec<_> = (1..=6u32)
        .map(|i| {
            let counter = Arc::clone(&counter);
            w.fake.set_priority(i, i % 3).unwrap();
            w.spawn(i, move |w| {
                let mut done = 0;
                while done < 300 {
                    match w.objects.semaphore_wait(&*w.fake, 0, if i % 2 == 0 { 20_000 } else { INFINITE }) {
                        Ok(()) => {
                            let v = counter.load(Ordering::Relaxed);
                            thread::yield_now();
                            counter.store(v + 1, Ordering::Relaxed);
                            done += 1;
                            w.objects.semaphore_signal(&*w.fake, 0).unwrap();
                        }
                        Err(Error::TimedOut) => {}
                        Err(e) => panic!("{e:?}"),
                    }
                }
            })
        })
        .collect();
    for j in joins {
        j.join().unwrap();
    }
    assert_eq!(counter.load(Ordering::Relaxed), 6 * 300);
    let s = w.objects.semaphore_status(&*w.fake, 0).unwrap();
    assert_eq!((s.value, s.waiting), (1, 0));
}

#[test]
fn a_stopped_or_restarted_waiter_is_never_served() {
    let w = World::new();
    let f = &*w.fake;
    w.objects.semaphore_create(f, "s", 0, 2, Discipline::Fifo).unwrap();
    w.objects.buffer_create(f, "b", 8, 2, Discipline::Fifo).unwrap();
    let sem = w.spawn(1, |w| w.objects.semaphore_wait(&*w.fake, 0, 300 * MS));
    let buf = w.spawn(2, |w| {
        let mut b = [0u8; 8];
        let r = w.objects.buffer_receive(&*w.fake, 0, &mut b, 300 * MS);
        (r, b)
    });
    w.until("both waiters", || {
        w.objects.semaphore_status(&*w.fake, 0).unwrap().waiting == 1
            && w.objects.buffer_status(&*w.fake, 0).unwrap().waiting == 1
    });
    // Both die, as a STOP or a restart of their processes has it.
    w.objects.forget_thread(1);
    w.objects.forget_thread(2);
    assert_eq!(w.objects.semaphore_status(f, 0).unwrap().waiting, 0);
    assert_eq!(w.objects.buffer_status(f, 0).unwrap().waiting, 0);
    // The unit is counted and the message queued: neither goes to the dead.
    w.objects.semaphore_signal(f, 0).unwrap();
    w.objects.buffer_send(f, 0, b"message!", 0).unwrap();
    assert_eq!(w.objects.semaphore_status(f, 0).unwrap().value, 1);
    assert_eq!(w.objects.buffer_status(f, 0).unwrap().messages, 1);
    // (Alive in this test, they time out, their buffer untouched.)
    assert_eq!(sem.join().unwrap(), Err(Error::TimedOut));
    assert_eq!(buf.join().unwrap(), (Err(Error::TimedOut), [0u8; 8]));
    // A new life waits again and is served.
    w.objects.enter_thread(f, 1);
    let again = w.spawn(1, |w| w.objects.semaphore_wait(&*w.fake, 0, 300 * MS));
    assert_eq!(again.join().unwrap(), Ok(()));
}
