//! The partition gate: the rendezvous at every change of partition
//! (docs/DESIGN.md#rendezvous).
//!
//! Each core has one word, the partition it *holds*: the one whose thread
//! it is about to run, runs, or is handling an exception of ([`NONE`] when
//! it is in the kernel for itself or idle). A core
//!
//! 1. **acquires** the partition before it enters one of its threads
//!    ([`Gate::acquire`]): it announces the partition in its word, then
//!    waits, with WFE, until no other core holds a *different* partition,
//!    or until its window is over (then it holds nothing and enters
//!    nothing);
//! 2. **releases** it as soon as it has taken the thread off the core
//!    ([`Gate::release`]: the thread's state is saved, the core is in the
//!    kernel), and sends an event to the waiting cores.
//!
//! So at a boundary from partition A to partition B, a core that reaches B
//! first waits until every core that was in A has left it, however late
//! its timer interrupt; cores that idle, or are held in the kernel with
//! interrupts masked (not in A), hold nothing and delay nobody. Back-to-back
//! windows of one partition never wait: holders of the same partition do
//! not block each other.
//!
//! Why it cannot let two partitions in at once: a core that finds no other
//! partition held has announced its own first, with a full barrier between
//! its store and its loads (Dekker's pattern), so of two cores racing for
//! different partitions at least one sees the other. The one that sees the
//! other waits; if both see each other, the one whose window is over (the
//! windows of two partitions never overlap in time) gives up, as the check
//! of the clock comes after its announcement. Why it cannot deadlock: a
//! core waits only while another holds a different partition, and every
//! holder leaves when its window ends, by its timer interrupt or by this
//! same check of the clock.
//!
//! The bound: a core waits at most until its own window ends. After
//! `patience` ticks of waiting it reports the core it waits for, once
//! (a module health event in the kernel: only a kernel stuck on that core,
//! or a timer interrupt lost, can hold a partition that long).

use crate::{AtomicU32, Ordering, fence};

/// The word of a core that holds no partition.
pub const NONE: u32 = u32::MAX;

/// What the gate needs from the machine.
pub trait Platform {
    /// The global count: monotonic, the same clock on every core, read
    /// only after every memory access this core made before the call is
    /// complete (kernel: `DSB ISH; ISB; MRS CNTPCT_EL0`).
    fn now(&self) -> u64;
    /// Waits for an event or returns at once (spurious returns are fine);
    /// must return within a bounded time even if no event comes, so the
    /// window end is noticed (kernel: WFE, with the generic timer's event
    /// stream on).
    fn wait(&self);
    /// Wakes every core waiting in [`Platform::wait`] after this core's
    /// earlier stores are visible (kernel: `DSB ISH; SEV`).
    fn wake(&self);
}

/// The outcome of [`Gate::acquire`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Admission {
    /// The core holds the partition. `at`: the count read after the last
    /// check, when the thread may start; always before the window's end. `waited_from`: when the core first
    /// found another partition held, if it had to wait.
    Admitted { at: u64, waited_from: Option<u64> },
    /// The window ended (`now >= end`) before the core was admitted: it
    /// holds nothing.
    WindowOver { at: u64 },
}

/// A core another core has waited for longer than the patience.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Blocked {
    /// The core still holding another partition, and that partition.
    pub core: usize,
    pub partition: u32,
    /// When the waiting core first found it blocking, and the count now.
    pub since: u64,
    pub now: u64,
}

/// One word per core: the partition it holds.
pub struct Gate<const CORES: usize> {
    holders: [AtomicU32; CORES],
}

impl<const CORES: usize> Default for Gate<CORES> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const CORES: usize> Gate<CORES> {
    /// Every core holding nothing.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Gate { holders: [const { AtomicU32::new(NONE) }; CORES] }
    }

    #[cfg(loom)]
    pub fn new() -> Self {
        Gate { holders: core::array::from_fn(|_| AtomicU32::new(NONE)) }
    }

    /// The partition `core` holds ([`NONE`]): exact when `core` is the
    /// caller's own core, a snapshot otherwise.
    pub fn holder(&self, core: usize) -> u32 {
        self.holders[core].load(Ordering::Relaxed)
    }

    /// Makes `core` hold `partition`, whose window on this core ends at
    /// `end` (count): returns once no other core holds a different
    /// partition, or when the window is over. Waits with
    /// [`Platform::wait`]; after `patience` ticks of waiting, calls
    /// `late` once with the core it waits for. Call with no lock held.
    pub fn acquire(
        &self,
        core: usize,
        partition: u32,
        end: u64,
        patience: u64,
        platform: &impl Platform,
        mut late: impl FnMut(Blocked),
    ) -> Admission {
        debug_assert!(partition != NONE, "NONE is not a partition");
        // Announce first: a core checking after this store sees it.
        self.holders[core].store(partition, Ordering::SeqCst);
        let mut waited_from: Option<u64> = None;
        let mut reported = false;
        loop {
            // The store above (or a peer's release seen by the last loop)
            // before the peers' words.
            fence(Ordering::SeqCst);
            let blocker = self.blocker(core, partition);
            // The count after the check (the kernel's clock read waits for
            // the loads above): if the core is admitted, no other partition
            // ran on the module from `now` on; and the one read both
            // decides and dates the admission, so `at < end` always.
            let now = platform.now();
            if now >= end {
                self.release(core, platform);
                return Admission::WindowOver { at: now };
            }
            match blocker {
                None => return Admission::Admitted { at: now, waited_from },
                Some((other, held)) => {
                    let since = *waited_from.get_or_insert(now);
                    if !reported && now.saturating_sub(since) >= patience {
                        reported = true;
                        late(Blocked { core: other, partition: held, since, now });
                    }
                    platform.wait();
                }
            }
        }
    }

    /// `core` holds nothing from here on: its thread is off the core.
    /// Wakes the cores waiting at the gate.
    pub fn release(&self, core: usize, platform: &impl Platform) {
        // Release: everything the core did in the partition (its thread's
        // accesses, the saving of its state) before the word says so.
        self.holders[core].store(NONE, Ordering::Release);
        platform.wake();
    }

    /// The first other core holding a partition other than `partition`.
    fn blocker(&self, core: usize, partition: u32) -> Option<(usize, u32)> {
        self.holders.iter().enumerate().filter(|&(c, _)| c != core).find_map(|(c, word)| {
            let held = word.load(Ordering::SeqCst);
            (held != NONE && held != partition).then_some((c, held))
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use core::cell::Cell;

    /// A clock that moves on by `step` every time it is read.
    struct Clock {
        t: Cell<u64>,
        step: u64,
        waits: Cell<u32>,
        wakes: Cell<u32>,
    }

    impl Clock {
        fn new(start: u64, step: u64) -> Self {
            Clock { t: Cell::new(start), step, waits: Cell::new(0), wakes: Cell::new(0) }
        }
    }

    impl Platform for Clock {
        fn now(&self) -> u64 {
            let t = self.t.get();
            self.t.set(t + self.step);
            t
        }
        fn wait(&self) {
            self.waits.set(self.waits.get() + 1);
        }
        fn wake(&self) {
            self.wakes.set(self.wakes.get() + 1);
        }
    }

    #[test]
    fn a_free_module_admits_at_once() {
        let gate = Gate::<4>::new();
        let clock = Clock::new(100, 1);
        let a = gate.acquire(1, 7, 1_000, 10, &clock, |_| panic!("nobody to wait for"));
        assert_eq!(a, Admission::Admitted { at: 100, waited_from: None });
        assert_eq!(gate.holder(1), 7);
        assert_eq!(clock.waits.get(), 0);
    }

    #[test]
    fn holders_of_the_same_partition_do_not_wait() {
        let gate = Gate::<4>::new();
        let clock = Clock::new(0, 1);
        for core in 0..4 {
            assert!(matches!(gate.acquire(core, 3, 1_000, 10, &clock, |_| {}), Admission::Admitted { .. }));
        }
        assert_eq!(clock.waits.get(), 0);
    }

    #[test]
    fn another_partition_held_keeps_the_core_out_until_its_window_ends() {
        let gate = Gate::<4>::new();
        let clock = Clock::new(0, 1);
        assert!(matches!(gate.acquire(2, 1, 1_000, 10, &clock, |_| {}), Admission::Admitted { .. }));
        let mut reports = std::vec::Vec::new();
        let a = gate.acquire(0, 2, 100, 30, &clock, |b| reports.push(b));
        assert!(matches!(a, Admission::WindowOver { at } if at >= 100), "{a:?}");
        // It gave its announcement back, waited with WFE, and reported the
        // core it waited for once, after the patience.
        assert_eq!(gate.holder(0), NONE);
        assert!(clock.waits.get() > 10);
        assert_eq!(reports.len(), 1, "{reports:?}");
        let b = reports[0];
        assert_eq!((b.core, b.partition), (2, 1));
        assert!(b.now - b.since >= 30);
        assert_eq!(gate.holder(2), 1);
    }

    #[test]
    fn a_release_lets_the_waiting_core_in_and_wakes_it() {
        let gate = Gate::<2>::new();
        let clock = Clock::new(0, 1);
        assert!(matches!(gate.acquire(1, 1, 1_000, 10, &clock, |_| {}), Admission::Admitted { .. }));
        gate.release(1, &clock);
        assert_eq!(clock.wakes.get(), 1);
        let a = gate.acquire(0, 2, 1_000, 10, &clock, |_| {});
        assert!(matches!(a, Admission::Admitted { waited_from: None, .. }));
    }

    #[test]
    fn a_window_already_over_admits_nothing() {
        let gate = Gate::<4>::new();
        let clock = Clock::new(500, 1);
        assert_eq!(gate.acquire(3, 1, 500, 10, &clock, |_| {}), Admission::WindowOver { at: 500 });
        assert_eq!(gate.holder(3), NONE);
    }
}
