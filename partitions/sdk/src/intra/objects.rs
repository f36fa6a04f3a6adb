//! Where the objects live and how a thread waits for one: the pools, the
//! per-object lock, the per-thread parking word and the hand-off.
//!
//! **Storage.** One [`Objects`] (a static of the SDK, [`super::OBJECTS`])
//! holds every object of the partition: [`MAX_OBJECTS`] of each kind, a
//! byte arena of [`ARENA_SIZE`] for messages, and a record per thread. No
//! heap. Objects are created during initialisation only, numbered in
//! creation order per kind; an id is an index.
//!
//! **Locks.** Each object's state is behind its own lock, a word that
//! sleeps through the kernel's WaitWord when taken (never a spin: its
//! holder may be preempted by a higher-priority thread of the same core,
//! which would spin for ever). The word holds the holder's thread index + 1
//! and a bit saying someone sleeps on it ([`Lock`]). The registry (names,
//! arena) has one more lock. No thread holds two object locks, so there is
//! no lock order to keep.
//!
//! **Waiting.** A thread that must wait enters itself in the object's
//! waiter set ([`WaiterSet`]) with its priority and a ticket, sets its own
//! parking word to `WAITING`, drops the lock and sleeps on the parking
//! word. A thread that serves it (a signal, a send, a release) chooses the
//! waiter by the object's discipline, does the transfer for it (a unit, a
//! message copied straight into the waiter's buffer, the ownership) under
//! the lock, sets its parking word to `GRANTED` and wakes that word after
//! dropping the lock. Nobody can overtake a waiter: what a signal hands off
//! never goes through the object's free state. A waiter whose deadline
//! passes takes the lock and, unless it was granted meanwhile (then it
//! keeps the grant), leaves the set. Wakes of a parking word that come late
//! (its thread has moved on) only make a later wait of that thread look
//! again: every wait loops until `GRANTED` or its deadline.

use core::cell::UnsafeCell;
use core::ops::Range;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use bulkhead_abi::{INFINITE, PartitionMode, Status, WakeOrder};

use super::Error;
use super::OBJECTS;
use super::model::registry::{AddError, Arena, Names};
use super::model::waiters::{Discipline, MAX_THREADS, WaitKey, WaiterSet};
use super::system::{Caller, System};

/// Objects of each kind a partition can create (ARINC 653's
/// SYSTEM_LIMIT_NUMBER_OF_* for this SDK).
pub const MAX_OBJECTS: usize = 32;

/// Bytes for the messages of every buffer and blackboard of the partition.
pub const ARENA_SIZE: usize = 32 * 1024;

/// A lock word's bit saying a thread sleeps on it.
const CONTENDED: u32 = 1 << 31;

/// A lock that sleeps (WaitWord) rather than spins. 0 free; else the
/// holder's thread index + 1, with [`CONTENDED`] when someone sleeps on it
/// (the unlock wakes one then). This is Drepper's three-state futex mutex
/// ("Futexes Are Tricky", mutex 2), with the holder in the word so a thread
/// that may not sleep can tell whether the holder can run.
pub(super) struct Lock {
    word: AtomicU32,
}

impl Lock {
    const fn new() -> Lock {
        Lock { word: AtomicU32::new(0) }
    }

    /// Takes the lock for `me`. `Err(InvalidMode)` only when `me` holds
    /// the preemption lock (it may not sleep) and the holder is preempted
    /// on `me`'s own core: it cannot run before `me` gives the core up,
    /// so waiting would never end.
    fn lock<S: System>(&self, sys: &S, me: Caller) -> Result<(), Error> {
        let mine = me.thread + 1;
        if self.word.compare_exchange(0, mine, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            return Ok(());
        }
        loop {
            let seen = self.word.load(Ordering::Relaxed);
            if seen == 0 {
                // Taken after a sleep: others may sleep too, keep the bit
                // so the unlock wakes the next.
                if self.word.compare_exchange(0, mine | CONTENDED, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                    return Ok(());
                }
                continue;
            }
            if seen & CONTENDED == 0
                && self.word.compare_exchange(seen, seen | CONTENDED, Ordering::Relaxed, Ordering::Relaxed).is_err()
            {
                continue;
            }
            match sys.wait(&self.word, seen | CONTENDED, INFINITE) {
                Ok(()) | Err(Status::NoAction) | Err(Status::TimedOut) => {}
                Err(Status::InvalidMode) => {
                    let holder = (seen & !CONTENDED).wrapping_sub(1);
                    if sys.core_of(holder).is_ok() && sys.core_of(holder) == sys.core_of(me.thread) {
                        return Err(Error::InvalidMode);
                    }
                    sys.relax();
                }
                // No WaitWord (a kernel without it): the holder runs on
                // another core or will once this thread's turn ends.
                Err(_) => sys.relax(),
            }
        }
    }

    fn unlock<S: System>(&self, sys: &S) {
        if self.word.swap(0, Ordering::Release) & CONTENDED != 0 {
            let _ = sys.wake(&self.word, 1, WakeOrder::Priority);
        }
    }
}

/// One object: its lock and the state it guards.
pub(super) struct Slot<T> {
    lock: Lock,
    state: UnsafeCell<T>,
}

/// The objects of one kind: `count` created, in `slots[..count]`.
pub(super) struct Table<T> {
    count: AtomicU32,
    slots: [Slot<T>; MAX_OBJECTS],
}

impl<T: Empty> Table<T> {
    const fn new() -> Table<T> {
        Table {
            count: AtomicU32::new(0),
            slots: [const { Slot { lock: Lock::new(), state: UnsafeCell::new(T::EMPTY) } }; MAX_OBJECTS],
        }
    }
}

impl<T> Table<T> {
    /// Object `id`, if created (`InvalidParam` otherwise: ARINC's answer
    /// to an id that names no object).
    pub(super) fn get(&self, id: u32) -> Result<&Slot<T>, Error> {
        if id < self.count.load(Ordering::Acquire) { Ok(&self.slots[id as usize]) } else { Err(Error::InvalidParam) }
    }
}

/// A state with a value for a slot never created.
pub(super) trait Empty {
    /// The state of an uncreated slot.
    const EMPTY: Self;
}

/// A thread's parking word: not waiting.
const IDLE: u32 = 0;
/// A thread's parking word: in an object's waiter set, asleep or about to
/// be.
const WAITING: u32 = 1;
/// A thread's parking word: served; the transfer is done.
const GRANTED: u32 = 2;

/// What the objects keep per thread of the partition. Written by the
/// thread before it enters a waiter set and by its server before the
/// grant, both under the object's lock; the parking word's Release/Acquire
/// orders the rest.
pub(super) struct ThreadRecord {
    park: AtomicU32,
    priority: AtomicU32,
    ticket: AtomicU64,
    /// The waiter's buffer (a receive or read) or message (a send).
    area: AtomicUsize,
    area_len: AtomicUsize,
    /// Bytes its server delivered into `area`.
    delivered: AtomicUsize,
    /// The mutex it owns: its id + 1, 0 for none (ARINC allows one).
    owned_mutex: AtomicU32,
    /// Its lives: 1 more at every entry of the thread (a START or restart
    /// of the process) and at an SDK STOP of it ([`__at_entry`],
    /// [`__forget_thread`]).
    life: AtomicU32,
    /// Its life when it entered a waiter set: a waiter whose life has
    /// moved on since is dead (stopped, restarted) and never served.
    waiter_life: AtomicU32,
    /// The waiter set it entered last (its address): an entry of a dead
    /// life elsewhere is not this record's wait.
    waiter_set: AtomicUsize,
    /// 1 while a server writes to it or grants it ([`Objects::claim`]);
    /// the thread's next entry waits until it is 0 again.
    serving: AtomicU32,
}

impl ThreadRecord {
    const fn new() -> ThreadRecord {
        ThreadRecord {
            park: AtomicU32::new(IDLE),
            priority: AtomicU32::new(0),
            ticket: AtomicU64::new(0),
            area: AtomicUsize::new(0),
            area_len: AtomicUsize::new(0),
            delivered: AtomicUsize::new(0),
            owned_mutex: AtomicU32::new(0),
            life: AtomicU32::new(0),
            waiter_life: AtomicU32::new(0),
            waiter_set: AtomicUsize::new(0),
            serving: AtomicU32::new(0),
        }
    }

    /// The area the thread registered when it began to wait.
    pub(super) fn area(&self) -> (usize, usize) {
        (self.area.load(Ordering::Relaxed), self.area_len.load(Ordering::Relaxed))
    }

    /// Its priority when it began to wait.
    pub(super) fn priority(&self) -> u32 {
        self.priority.load(Ordering::Relaxed)
    }

    /// The mutex it owns (id), if any.
    pub(super) fn owned_mutex(&self) -> Option<u32> {
        self.owned_mutex.load(Ordering::Relaxed).checked_sub(1)
    }

    pub(super) fn set_owned_mutex(&self, id: Option<u32>) {
        self.owned_mutex.store(id.map_or(0, |i| i + 1), Ordering::Relaxed);
    }
}

/// The object kinds, for the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Blackboard = 0,
    Buffer = 1,
    Semaphore = 2,
    Event = 3,
    Mutex = 4,
}

/// Names and arena, behind [`Objects::registry`].
struct Registry {
    names: [Names<MAX_OBJECTS>; 5],
    arena: Arena,
}

/// Every intra-partition object of a partition, and the per-thread
/// records (see the module doc).
pub struct Objects {
    registry: Lock,
    registry_state: UnsafeCell<Registry>,
    /// The restart count + 1 of the start whose objects these are; 0 for
    /// none yet.
    epoch: AtomicU64,
    tickets: AtomicU64,
    pub(super) threads: [ThreadRecord; MAX_THREADS],
    arena: UnsafeCell<[u8; ARENA_SIZE]>,
    pub(super) blackboards: Table<super::blackboard::State>,
    pub(super) buffers: Table<super::buffer::State>,
    pub(super) semaphores: Table<super::semaphore::State>,
    pub(super) events: Table<super::event::State>,
    pub(super) mutexes: Table<super::mutex::State>,
}

// SAFETY: every `UnsafeCell` in `Objects` is reached only under a lock:
// an object's state under its slot's lock, the registry under
// `registry`, an arena range under the lock of the object it was given to
// (ranges are disjoint, `Arena`), and the waiters' areas under the lock
// of the object they wait on (see `area_mut`). The rest are atomics.
unsafe impl Sync for Objects {}

impl Default for Objects {
    fn default() -> Self {
        Objects::new()
    }
}

impl Objects {
    /// No objects (the `.bss` state of a partition's first start).
    pub const fn new() -> Objects {
        Objects {
            registry: Lock::new(),
            registry_state: UnsafeCell::new(Registry {
                names: [const { Names::new() }; 5],
                arena: Arena::new(ARENA_SIZE),
            }),
            epoch: AtomicU64::new(0),
            tickets: AtomicU64::new(0),
            threads: [const { ThreadRecord::new() }; MAX_THREADS],
            arena: UnsafeCell::new([0; ARENA_SIZE]),
            blackboards: Table::new(),
            buffers: Table::new(),
            semaphores: Table::new(),
            events: Table::new(),
            mutexes: Table::new(),
        }
    }

    /// The caller, checked to fit the per-thread records.
    pub(super) fn caller<S: System>(&self, sys: &S) -> Result<Caller, Error> {
        let me = sys.caller().map_err(Error::from_status)?;
        if me.thread as usize >= MAX_THREADS {
            return Err(Error::InvalidConfig);
        }
        Ok(me)
    }

    /// Thread `thread`'s record.
    pub(super) fn thread(&self, thread: u32) -> &ThreadRecord {
        &self.threads[thread as usize % MAX_THREADS]
    }

    /// Runs `f` on the state of `slot` with its lock held.
    pub(super) fn locked<S: System, T, R>(
        &self,
        sys: &S,
        me: Caller,
        slot: &Slot<T>,
        f: impl FnOnce(&mut T) -> R,
    ) -> Result<R, Error> {
        slot.lock.lock(sys, me)?;
        // SAFETY: the slot's lock is held: no other thread reaches the
        // state until `unlock`, and `f` cannot lock the same slot again
        // (no object operation nests in another).
        let r = f(unsafe { &mut *slot.state.get() });
        slot.lock.unlock(sys);
        Ok(r)
    }

    /// Creates an object of `kind` named `name` in `table` with
    /// `storage` bytes of arena: `init(range)` is its first state. ARINC's
    /// checks of a CREATE_*: only during initialisation (`InvalidMode`), a
    /// name not taken (`NoAction`), room (`InvalidConfig`); the caller has
    /// checked the other parameters (`InvalidParam`).
    ///
    /// The first creation after a start of the partition forgets the
    /// objects of the previous start (a warm restart keeps memory, but
    /// ARINC 653 creates objects anew at every start): see [`Self::renew`].
    pub(super) fn create<S: System, T>(
        &self,
        sys: &S,
        kind: Kind,
        table: &Table<T>,
        name: &str,
        storage: usize,
        init: impl FnOnce(Range<usize>) -> T,
    ) -> Result<u32, Error> {
        let (mode, restarts) = sys.partition().map_err(Error::from_status)?;
        if !matches!(mode, Some(PartitionMode::ColdStart | PartitionMode::WarmStart)) {
            return Err(Error::InvalidMode);
        }
        let name = check_name(name)?;
        let me = self.caller(sys)?;
        self.registry.lock(sys, me)?;
        // SAFETY: the registry lock is held.
        let reg = unsafe { &mut *self.registry_state.get() };
        self.renew(reg, restarts);
        let made = (|| {
            let names = &mut reg.names[kind as usize];
            if names.find(name).is_some() {
                return Err(Error::NoAction);
            }
            if names.count() == MAX_OBJECTS {
                return Err(Error::InvalidConfig);
            }
            let range = reg.arena.alloc(storage).ok_or(Error::InvalidConfig)?;
            let id = names.add(name).map_err(|e| match e {
                AddError::Exists(_) => Error::NoAction,
                AddError::Full => Error::InvalidConfig,
                AddError::BadName => Error::InvalidParam,
            })?;
            // SAFETY: slot `id` is not published yet (`count` is `id`), so
            // no other thread reaches it; the registry lock serialises
            // creations.
            unsafe { *table.slots[id].state.get() = init(range) };
            table.count.store(id as u32 + 1, Ordering::Release);
            Ok(id as u32)
        })();
        self.registry.unlock(sys);
        made
    }

    /// ARINC GET_*_ID: the object of `kind` named `name`; `InvalidConfig`
    /// if there is none (in this start of the partition).
    pub(super) fn find<S: System>(&self, sys: &S, kind: Kind, name: &str) -> Result<u32, Error> {
        let name = check_name(name).map_err(|_| Error::InvalidConfig)?;
        let (_, restarts) = sys.partition().map_err(Error::from_status)?;
        let me = self.caller(sys)?;
        self.registry.lock(sys, me)?;
        // SAFETY: the registry lock is held.
        let reg = unsafe { &*self.registry_state.get() };
        let found = if self.epoch.load(Ordering::Relaxed) == restarts + 1 {
            reg.names[kind as usize].find(name).map(|i| i as u32)
        } else {
            None // objects of an earlier start, or none yet
        };
        self.registry.unlock(sys);
        found.ok_or(Error::InvalidConfig)
    }

    /// Forgets every object if they belong to an earlier start than the
    /// one `restarts` counts. Runs during initialisation (the only time a
    /// creation may), when the partition's other threads are dormant, so
    /// no one is inside an object: the locks, waiter sets and parking
    /// words start afresh with the objects.
    fn renew(&self, reg: &mut Registry, restarts: u64) {
        if self.epoch.load(Ordering::Relaxed) == restarts + 1 {
            return;
        }
        for names in &mut reg.names {
            names.clear();
        }
        reg.arena.clear();
        for count in [
            &self.blackboards.count,
            &self.buffers.count,
            &self.semaphores.count,
            &self.events.count,
            &self.mutexes.count,
        ] {
            count.store(0, Ordering::Release);
        }
        for (t, record) in self.threads.iter().enumerate() {
            record.park.store(IDLE, Ordering::Relaxed);
            record.owned_mutex.store(0, Ordering::Relaxed);
            let _ = t;
        }
        let locks = self.blackboards.slots.iter().map(|s| &s.lock);
        let locks = locks.chain(self.buffers.slots.iter().map(|s| &s.lock));
        let locks = locks.chain(self.semaphores.slots.iter().map(|s| &s.lock));
        let locks = locks.chain(self.events.slots.iter().map(|s| &s.lock));
        for lock in locks.chain(self.mutexes.slots.iter().map(|s| &s.lock)) {
            lock.word.store(0, Ordering::Relaxed);
        }
        self.epoch.store(restarts + 1, Ordering::Release);
    }

    /// The arena bytes `range` (an object's storage).
    ///
    /// # Safety
    ///
    /// The caller holds the lock of the object `range` was given to (ranges
    /// of different objects never overlap), and uses the slice only while
    /// it does.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn storage(&self, range: Range<usize>) -> &mut [u8] {
        assert!(range.start <= range.end && range.end <= ARENA_SIZE);
        // A slice of the range only, never a reference to the whole arena
        // (other threads hold other objects' ranges).
        let base = self.arena.get().cast::<u8>();
        // SAFETY: the range lies in the arena (asserted); per the
        // contract, this object's lock serialises every access to these
        // bytes, and no other object's range overlaps them.
        unsafe { core::slice::from_raw_parts_mut(base.add(range.start), range.len()) }
    }

    /// A deadline for a wait of `timeout_ns` (0 polls, INFINITE none):
    /// `None` for none; `InvalidParam` if now + timeout overflows.
    pub(super) fn deadline<S: System>(&self, sys: &S, timeout_ns: u64) -> Result<Option<u64>, Error> {
        if timeout_ns == INFINITE {
            return Ok(None);
        }
        if timeout_ns == 0 {
            return Ok(Some(0));
        }
        let now = sys.now_ns().map_err(Error::from_status)?;
        now.checked_add(timeout_ns).map(Some).ok_or(Error::InvalidParam)
    }

    /// ARINC: a process that owns a mutex may not wait (INVALID_MODE for
    /// a non-zero timeout), except for the mutex it acquires.
    pub(super) fn may_wait(&self, me: Caller, timeout_ns: u64) -> Result<(), Error> {
        if timeout_ns != 0 && self.thread(me.thread).owned_mutex().is_some() {
            return Err(Error::InvalidMode);
        }
        Ok(())
    }

    /// Enters `me` in `waiters` (under the object's lock), with the
    /// priority it has now and an area for its server.
    pub(super) fn enqueue(&self, me: Caller, waiters: &mut WaiterSet, priority: u32, area: (usize, usize)) {
        let r = self.thread(me.thread);
        r.priority.store(priority, Ordering::Relaxed);
        r.ticket.store(self.tickets.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        r.area.store(area.0, Ordering::Relaxed);
        r.area_len.store(area.1, Ordering::Relaxed);
        r.delivered.store(0, Ordering::Relaxed);
        r.park.store(WAITING, Ordering::Relaxed);
        r.waiter_life.store(r.life.load(Ordering::SeqCst), Ordering::Relaxed);
        r.waiter_set.store(set_id(waiters), Ordering::Relaxed);
        waiters.insert(me.thread);
    }

    /// Claims waiter `thread` for serving (under the object's lock): true
    /// if it is still the life that began to wait, and then no new life of
    /// the thread starts until [`Self::grant`] (its entry waits for
    /// `serving`), so its area is safe to use until then. False for a dead
    /// waiter (stopped or restarted since it began to wait): it must not
    /// be served, nor its area touched. (Dekker's handshake: `serving` is
    /// stored before `life` is read here, `life` before `serving` at
    /// entry, both SeqCst: one of the two sides sees the other.)
    fn claim(&self, thread: u32, set: usize) -> bool {
        let r = self.thread(thread);
        r.serving.store(1, Ordering::SeqCst);
        if r.life.load(Ordering::SeqCst) == r.waiter_life.load(Ordering::Relaxed)
            && r.waiter_set.load(Ordering::Relaxed) == set
        {
            return true;
        }
        r.serving.store(0, Ordering::Release);
        false
    }

    /// A new life of thread `thread` begins (its entry): a wait of its
    /// previous life is dead; waits while a server still writes to that
    /// life's area (a few instructions, perhaps preempted on this core:
    /// sleeping, not spinning).
    pub fn enter_thread<S: System>(&self, sys: &S, thread: u32) {
        let r = self.thread(thread);
        r.life.fetch_add(1, Ordering::SeqCst);
        while r.serving.load(Ordering::SeqCst) != 0 {
            let _ = sys.wait(&r.serving, 1, 50_000);
        }
    }

    /// Thread `thread` was stopped: whatever it waited for is not served
    /// to it (ARINC 653: a stopped process leaves every queue). Its area
    /// is dead memory until it starts again ([`Self::enter_thread`]).
    pub fn forget_thread(&self, thread: u32) {
        self.thread(thread).life.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether waiter `thread` is still the life that began to wait (a
    /// look, for counts and decisions; serving claims with
    /// [`Self::claim`]).
    fn alive(&self, thread: u32, set: usize) -> bool {
        let r = self.thread(thread);
        r.life.load(Ordering::Acquire) == r.waiter_life.load(Ordering::Relaxed)
            && r.waiter_set.load(Ordering::Relaxed) == set
    }

    /// Takes the dead waiters out of `waiters`.
    pub(super) fn purge(&self, waiters: &mut WaiterSet) {
        let set = set_id(waiters);
        for t in waiters.iter() {
            if !self.alive(t, set) {
                waiters.remove(t);
            }
        }
    }

    /// The live waiters in `waiters`.
    pub(super) fn live_len(&self, waiters: &WaiterSet) -> u32 {
        let set = set_id(waiters);
        waiters.iter().filter(|&t| self.alive(t, set)).count() as u32
    }

    /// The next live waiter `discipline` chooses, taken out of `waiters`
    /// and claimed ([`Self::claim`]): grant it. Dead ones met on the way
    /// are dropped.
    pub(super) fn take_next_live(&self, waiters: &mut WaiterSet, discipline: Discipline) -> Option<u32> {
        let set = set_id(waiters);
        while let Some(t) = waiters.take_next(discipline, |t| self.key(t)) {
            if self.claim(t, set) {
                return Some(t);
            }
        }
        None
    }

    /// Every live waiter of `waiters`, taken out and claimed: grant each.
    pub(super) fn take_all_live(&self, waiters: &mut WaiterSet) -> WaiterSet {
        let set = set_id(waiters);
        let mut live = waiters.take_all();
        for t in live.iter() {
            if !self.claim(t, set) {
                live.remove(t);
            }
        }
        live
    }

    /// A waiter's key for the discipline's choice.
    pub(super) fn key(&self, thread: u32) -> WaitKey {
        let r = self.thread(thread);
        WaitKey { priority: r.priority.load(Ordering::Relaxed), ticket: r.ticket.load(Ordering::Relaxed) }
    }

    /// Marks `thread` served, with `delivered` bytes in its area (under
    /// the object's lock; wake it with [`Self::wake`] once the lock is
    /// dropped).
    pub(super) fn grant(&self, thread: u32, delivered: usize) {
        let r = self.thread(thread);
        r.delivered.store(delivered, Ordering::Relaxed);
        r.park.store(GRANTED, Ordering::Release);
        // The claim ends: a new life of the thread may start.
        r.serving.store(0, Ordering::Release);
    }

    /// Wakes `thread`'s parking word (after [`Self::grant`]).
    pub(super) fn wake<S: System>(&self, sys: &S, thread: u32) {
        let _ = sys.wake(&self.thread(thread).park, 1, WakeOrder::Fifo);
    }

    /// Wakes every thread of `set` (each was granted).
    pub(super) fn wake_all<S: System>(&self, sys: &S, set: WaiterSet) {
        for t in set.iter() {
            self.wake(sys, t);
        }
    }

    /// Sleeps until `me` (entered by [`Self::enqueue`] in a waiter set of
    /// `slot`'s state) is granted or `deadline` passes; `leave` takes it
    /// out of the set after a timeout. `Ok(bytes delivered)` when granted.
    pub(super) fn sleep<S: System, T>(
        &self,
        sys: &S,
        me: Caller,
        slot: &Slot<T>,
        deadline: Option<u64>,
        leave: impl FnOnce(&mut T),
    ) -> Result<usize, Error> {
        let r = self.thread(me.thread);
        let failure = loop {
            if r.park.load(Ordering::Acquire) == GRANTED {
                r.park.store(IDLE, Ordering::Relaxed);
                return Ok(r.delivered.load(Ordering::Relaxed));
            }
            let timeout = match deadline {
                None => INFINITE,
                Some(at) => match sys.now_ns() {
                    Ok(now) if now < at => at - now,
                    Ok(_) => break Error::TimedOut,
                    Err(e) => break Error::from_status(e),
                },
            };
            match sys.wait(&r.park, WAITING, timeout) {
                // Woken (by the grant, or by a late wake of an earlier
                // wait), or the word changed already: look again.
                Ok(()) | Err(Status::NoAction) => {}
                Err(Status::TimedOut) => break Error::TimedOut,
                Err(e) => break Error::from_status(e),
            }
        };
        // Leave the set, unless the grant came meanwhile.
        let granted = self.locked(sys, me, slot, |state| {
            if r.park.load(Ordering::Acquire) == GRANTED {
                true
            } else {
                leave(state);
                r.park.store(IDLE, Ordering::Relaxed);
                false
            }
        })?;
        if granted {
            r.park.store(IDLE, Ordering::Relaxed);
            return Ok(r.delivered.load(Ordering::Relaxed));
        }
        Err(failure)
    }
}

/// A waiter set's identity: its address (sets live in their objects'
/// slots, which never move).
fn set_id(waiters: &WaiterSet) -> usize {
    waiters as *const WaiterSet as usize
}

/// A name as bytes: 1 to 30 of them (`InvalidParam` otherwise).
fn check_name(name: &str) -> Result<&[u8], Error> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > super::model::registry::MAX_NAME {
        return Err(Error::InvalidParam);
    }
    Ok(bytes)
}

/// The bytes a waiter registered as its area (its receive buffer).
///
/// # Safety
///
/// `(ptr, len)` is the area a thread registered with
/// [`Objects::enqueue`], that thread is still in the object's waiter set,
/// and the caller holds that object's lock: the waiter's call is blocked
/// (it returns only once granted or out of the set, both under the lock)
/// and its exclusive borrow of the buffer is not used until the grant.
#[allow(clippy::mut_from_ref)]
pub(super) unsafe fn area_mut<'a>(area: (usize, usize)) -> &'a mut [u8] {
    if area.1 == 0 {
        return &mut [];
    }
    // SAFETY: per the contract, the area is a live `&mut [u8]` of the
    // waiter's that nothing else touches while the lock is held.
    unsafe { core::slice::from_raw_parts_mut(area.0 as *mut u8, area.1) }
}

/// The bytes a waiting sender registered (its message).
///
/// # Safety
///
/// As [`area_mut`], for a shared borrow.
pub(super) unsafe fn area_ref<'a>(area: (usize, usize)) -> &'a [u8] {
    if area.1 == 0 {
        return &[];
    }
    // SAFETY: per the contract, the area is a live `&[u8]` of the waiter's.
    unsafe { core::slice::from_raw_parts(area.0 as *const u8, area.1) }
}

/// The start-up code's call at every entry of thread `index` (a START or
/// restart of its process, a partition start): a new life of the thread,
/// so a waiter set entry of its previous life is dead; waits while a
/// server still writes to that life's area (a few instructions, on
/// another core).
#[doc(hidden)]
pub fn __at_entry(index: u32) {
    OBJECTS.enter_thread(&super::system::Kernel, index);
}

/// After an SDK STOP of thread `index`: whatever it waited for is not
/// served to it (ARINC 653: a stopped process leaves every queue).
#[doc(hidden)]
pub fn __forget_thread(index: u32) {
    OBJECTS.forget_thread(index);
}
