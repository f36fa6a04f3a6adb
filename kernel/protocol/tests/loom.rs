//! Model checks of `bulkhead-protocol` with loom: the interleavings of three
//! cores and the clock (up to a preemption bound), with loom's model of
//! weak memory (C11 release / acquire, `SeqCst` fences, stale loads).
//!
//! Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p
//! bulkhead-protocol --release --test loom` (`cargo xtask test` does). Each
//! model prints its number of executions and its time (`--nocapture`).
//! Without `--cfg loom` this file compiles to nothing.
//!
//! # The machine
//!
//! - **Cores** are loom threads: three. The main thread sets the module
//!   up, is the timer (and the director of model 4), then joins and checks
//!   (four threads of loom's five).
//! - **The count** (`CNTPCT_EL0`) is an `AtomicU64` that only the timer
//!   writes, with `SeqCst`, and the cores read with `SeqCst`
//!   ([`Platform::now`]). The kernel reads the count after `DSB ISH; ISB`,
//!   so a read returns the one global count of that moment; in loom a
//!   `SeqCst` load never returns a `SeqCst` store older than the newest one,
//!   so every read returns the count "now" in the interleaving. The load
//!   also acquires the timer's history, which holds nothing but the count
//!   and, in model 4, the switch word (there the edge stands for the
//!   director's store having completed before the boundary). Cores never
//!   move the count. Between ticks the timer yields ("time passes"), so the
//!   cores act inside each window without spending the preemption bound.
//! - **The timer interrupt** ending a thread's run, or an idle core's
//!   wait for its next window: the core sleeps (`loom::thread::park`) until
//!   it sees the count reach the boundary; every tick unparks every core.
//!   In loom an unpark hands the timer's history to the core: only the
//!   count again, no edge between cores. (Polling here instead would make
//!   several cores spin at once, see the next point.)
//! - **WFE** at the gate ([`Platform::wait`]) is `loom::thread::yield_now()`:
//!   it may return at once (spurious returns are allowed), and after it loom
//!   stops offering the values the core already saw, which is what the
//!   generic timer's event stream guarantees (a waiting core looks again
//!   within about a microsecond). **SEV** ([`Platform::wake`]) is a no-op:
//!   with WFE a yield no wake-up can be lost, so the models check that
//!   waiting ends because the protocol says so, not because of a wake-up.
//!   Loom has no fairness: two cores waiting at the gate could take turns
//!   forever while the core they wait for never runs again, and switching
//!   between them after a yield costs no preemption. So after `FAIR_AFTER`
//!   fruitless waits in a row (1; `LOOM_FAIR_AFTER` overrides) the execution
//!   stops branching and finishes on loom's default schedule, which runs the
//!   thread that has yielded least, i.e. fairly ([`waited`]). That
//!   continuation is still checked: every assertion, a deadlock, and a real
//!   livelock (an execution longer than `MAX_BRANCHES`, see the
//!   never-releasing mutant).
//! - **"Partition running"** is ghost state: one `AtomicU64` with an 8-bit
//!   count per partition, updated with *relaxed* read-modify-writes when a
//!   core enters or leaves a partition's thread. Relaxed RMWs on one
//!   location are totally ordered (each reads the newest value) and create
//!   no happens-before edge, so the ghost sees the cores' entries and exits
//!   in the order they happen without adding a barrier the kernel lacks
//!   (which could hide one the protocol is missing). Entering asserts that
//!   no other partition's count is non-zero: "two partitions at once".
//!
//! # Gate models (3 cores; windows A = [0, 10), then [10, 20))
//!
//! The cores holding A at the start acquired it (and entered) before the
//! model's threads start. A core in A "runs" until its timer interrupt
//! (count >= 10), leaves (ghost), releases, and acquires the next window's
//! partition (end 20); if admitted it enters (ghost), leaves, releases.
//!
//! 1. `boundary_*`: three cores in A go to B.
//! 2. `late_core_*`: one core stays in A two more steps (each a ghost check
//!    and a yield) after it sees the boundary, one leaves on time, one
//!    idled in A's window (held nothing) and enters B at the boundary.
//! 3. `stale_reentry*`: a core that decided "A" on a stale view calls
//!    `acquire(A, end 10)` around the boundary (before or after the tick),
//!    racing a core leaving A for B and an idle core entering B; if
//!    admitted it runs A until its timer interrupt.
//! 4. `switch_*`: a schedule switch at the boundary. The director stores
//!    the new owner of [10, 20) (C instead of B, `Release`) before moving
//!    the count to 10; each core reads it (`Acquire`) after it sees the
//!    boundary: every core chooses C. Racing variant: the switch is stored
//!    after the count reaches 10, so cores may disagree (B and C both want
//!    [10, 20)): still never two at once, and all end (the ones kept out
//!    give up at 20).
//! 5. `back_to_back*`: A then A again: nobody ever waits (`waited_from` is
//!    `None`: no other partition exists) and no core is refused while its
//!    window is open (`WindowOver` only with `at >= 20`). No ghost here:
//!    with one partition it could not fail.
//!
//! The `*_window_never_ends` variants stop the clock at 10: B's window never
//! ends, so giving up is impossible and every core going to B must be
//! admitted (no deadlock, no livelock). Every gate model also checks the
//! gate's contract: `WindowOver { at }` only with `at >= end`, `Admitted
//! { at }` only with `at < end`, `late`
//! (patience 0) called at most once per wait, naming another core that
//! holds another partition.
//!
//! # Mutants (`#[should_panic]`: the models can fail)
//!
//! - gate, **no barrier** (announce relaxed, no fence, relaxed loads):
//!   model 3 fails, "two partitions at once" (the core entering B misses
//!   the stale core's announcement of A).
//! - gate, **check before announcing**: model 3 fails, by interleaving
//!   alone.
//! - gate, **never releasing** (model 3 with B's window never ending): the
//!   cores waiting for B wait forever; loom reports the livelock.
//!
//! # Runtime
//!
//! Preemption bound 2 (`LOOM_MAX_PREEMPTIONS` overrides it).
//! Measured on the 2-core development machine (release build, one test at
//! a time, other work running):
//!
//! | model | executions | time |
//! |---|---:|---:|
//! | `boundary_a_to_b` | 139,785 | 14 s |
//! | `boundary_a_to_b_window_never_ends` | 63,337 | 8 s |
//! | `late_core` | 118,220 | 15 s |
//! | `late_core_window_never_ends` | 30,858 | 5 s |
//! | `stale_reentry` | 806,596 | 87 s |
//! | `stale_reentry_window_never_ends` | 436,511 | 50 s |
//! | `switch_before_the_boundary` | 139,785 | 17 s |
//! | `switch_racing_the_boundary` | 528,270 | 65 s |
//! | `back_to_back` | 61,973 | 7 s |
//! | `back_to_back_window_never_ends` | 25,100 | 3 s |
//! | the three mutants (each fails within seconds) | | 6 s |
//!
//! The whole file: 4 min 45 s one test at a time (`cargo test` runs two
//! at a time). Deeper runs passed too: every gate model with
//! `LOOM_FAIR_AFTER=2` at bound 2 (`switch_racing_the_boundary`: 3.1 M
//! executions, 6 min), `back_to_back*` at bound 3 (1.5 M executions,
//! 3 min). Bound 3 for the whole file would take over an hour here
//! (`back_to_back` grows twentyfold from bound 2 to bound 3).
#![cfg(loom)]

use bulkhead_protocol::{Admission, Blocked, Gate, NONE, Platform};
use loom::model::Builder;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};
use loom::thread;

const CORES: usize = 3;
/// The partitions (gate words).
const A: u32 = 0;
const B: u32 = 1;
const C: u32 = 2;
/// The boundary: A's window is [0, BOUNDARY), the next one [BOUNDARY, NEXT_END).
const BOUNDARY: u64 = 10;
const NEXT_END: u64 = 20;
/// Report a blocking core at the first wait: exercises the `late` path.
const PATIENCE: u64 = 0;

const PREEMPTIONS: usize = 2;
/// Waits in a row explored in every interleaving (see [`waited`]).
const FAIR_AFTER: usize = 1;
/// Scheduling points in one execution before loom calls it a livelock: far
/// more than any terminating execution here needs.
const MAX_BRANCHES: usize = 20_000;

/// [`FAIR_AFTER`], or `LOOM_FAIR_AFTER` for a deeper run.
fn fair_after() -> usize {
    static FAIR: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *FAIR.get_or_init(|| {
        std::env::var("LOOM_FAIR_AFTER").map_or(FAIR_AFTER, |v| v.parse().expect("LOOM_FAIR_AFTER: a number"))
    })
}

/// Runs `f` under loom and prints how many executions it took and how long.
/// `LOOM_MAX_PREEMPTIONS` overrides the bound.
fn check(name: &str, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(PREEMPTIONS);
    }
    builder.max_branches = MAX_BRANCHES;
    let executions = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = executions.clone();
    let start = std::time::Instant::now();
    builder.check(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f();
    });
    println!(
        "loom {name}: {} executions in {:.1?} (preemption bound {:?})",
        executions.load(std::sync::atomic::Ordering::Relaxed),
        start.elapsed(),
        builder.preemption_bound
    );
}

// ---------------------------------------------------------------------------
// The machine

loom::thread_local! {
    /// This core's fruitless waits in a row (in one wait loop).
    static WAITS: std::cell::Cell<usize> = std::cell::Cell::new(0);
}

/// A core at the gate found it must wait (WFE): yields. Loom has no fairness: two cores waiting at once could take
/// turns forever while the core they wait for never runs again, and
/// switching between them after a yield costs no preemption, so the
/// preemption bound does not cut those schedules. After `FAIR_AFTER` waits
/// in a row (counted per `acquire`), this execution stops branching (`skip_branch`) and runs to its
/// end on loom's default schedule, which runs the thread that has yielded
/// least, i.e. fairly; every assertion is still checked on the way, a
/// deadlock still fails, and so does a real livelock (`MAX_BRANCHES`).
fn waited() {
    WAITS.with(|w| {
        w.set(w.get() + 1);
        if w.get() > fair_after() {
            loom::skip_branch();
        }
    });
    thread::yield_now();
}

/// The count and the event register, as [`Platform`] needs them.
struct Machine {
    count: AtomicU64,
}

impl Platform for Machine {
    fn now(&self) -> u64 {
        // CNTPCT_EL0 after DSB ISH; ISB: the global count now.
        self.count.load(Ordering::SeqCst)
    }
    fn wait(&self) {
        // WFE: may return at once; the event stream bounds it.
        waited();
    }
    fn wake(&self) {
        // DSB ISH; SEV: nothing to model, WFE being a yield.
    }
}

/// The gate under test, or a mutant of it.
trait Protocol: Send + Sync + 'static {
    fn new() -> Self;
    fn acquire(&self, core: usize, partition: u32, end: u64, m: &Machine, late: &mut dyn FnMut(Blocked)) -> Admission;
    fn release(&self, core: usize, m: &Machine);
}

impl Protocol for Gate<CORES> {
    fn new() -> Self {
        Gate::new()
    }
    fn acquire(&self, core: usize, partition: u32, end: u64, m: &Machine, late: &mut dyn FnMut(Blocked)) -> Admission {
        Gate::acquire(self, core, partition, end, PATIENCE, m, late)
    }
    fn release(&self, core: usize, m: &Machine) {
        Gate::release(self, core, m);
    }
}

/// The module: gate, clock, ghost state.
struct World<G> {
    gate: G,
    machine: Machine,
    /// Ghost: per partition, an 8-bit count of the cores running it.
    running: AtomicU64,
    /// The partition owning [BOUNDARY, NEXT_END) (model 4's switch word).
    owner: AtomicU32,
    /// Keep the ghost state (off where a single partition exists: it could
    /// not fail, and its accesses, all on one location, multiply the
    /// interleavings loom explores).
    ghost: bool,
}

fn unit(p: u32) -> u64 {
    1 << (8 * p)
}

fn others(counts: u64, p: u32) -> u64 {
    counts & !(0xff << (8 * p))
}

impl<G: Protocol> World<G> {
    /// Count 0; the cores in `holding` were admitted to A at its start and
    /// run it (long before the boundary: set up before any thread starts).
    fn new(holding: &[usize], ghost: bool) -> Arc<Self> {
        let w = World {
            gate: G::new(),
            machine: Machine { count: AtomicU64::new(0) },
            running: AtomicU64::new(0),
            owner: AtomicU32::new(B),
            ghost,
        };
        for &core in holding {
            let a = w.admit(core, A, BOUNDARY);
            assert!(matches!(a, Admission::Admitted { waited_from: None, .. }), "{a:?}");
            w.enter(core, A);
        }
        Arc::new(w)
    }

    fn now(&self) -> u64 {
        self.machine.now()
    }

    /// The core runs (a partition's thread, or idles) until its timer
    /// interrupt: it sees the count reach `t`. Not a polling loop: the core
    /// sleeps (`park`) until the timer thread's tick wakes it ([`World::tick`]).
    fn until(&self, t: u64) {
        while self.now() < t {
            thread::park();
        }
    }

    /// Ghost: `core` enters a thread of `p`.
    fn enter(&self, core: usize, p: u32) {
        if !self.ghost {
            return;
        }
        let before = self.running.fetch_add(unit(p), Ordering::Relaxed);
        assert_eq!(others(before, p), 0, "two partitions at once: core {core} entered {p} beside counts {before:#x}");
    }

    /// Ghost: `core` is still running `p`.
    fn step(&self, core: usize, p: u32) {
        if !self.ghost {
            return;
        }
        let counts = self.running.fetch_add(0, Ordering::Relaxed);
        assert_eq!(others(counts, p), 0, "two partitions at once: core {core} runs {p} beside counts {counts:#x}");
    }

    /// Ghost: a thread of `p` is off the core.
    fn leave(&self, p: u32) {
        if !self.ghost {
            return;
        }
        self.running.fetch_sub(unit(p), Ordering::Relaxed);
    }

    /// `Gate::acquire`, checking its contract.
    fn admit(&self, core: usize, p: u32, end: u64) -> Admission {
        let mut reports = 0;
        let a = self.gate.acquire(core, p, end, &self.machine, &mut |b: Blocked| {
            reports += 1;
            assert!(b.core != core && b.partition != p && b.partition != NONE, "late report {b:?} for core {core}");
            assert!(b.since <= b.now, "{b:?}");
        });
        WAITS.with(|w| w.set(0));
        assert!(reports <= 1, "core {core}: {reports} late reports in one wait");
        match a {
            Admission::WindowOver { at } => {
                assert!(at >= end, "core {core}: refused {p} at {at}, window ends at {end}")
            }
            Admission::Admitted { at, waited_from } => {
                assert!(at < end, "core {core}: admitted to {p} at {at}, window ends at {end}");
                assert!(waited_from.is_none_or(|s| s <= at), "{a:?}")
            }
        }
        a
    }

    /// Acquires `p` for the window ending at `end`; if admitted, runs a
    /// thread of it (one step), takes it off and releases.
    fn run(&self, core: usize, p: u32, end: u64) -> Admission {
        let a = self.admit(core, p, end);
        if let Admission::Admitted { .. } = a {
            self.enter(core, p);
            self.leave(p);
            self.gate.release(core, &self.machine);
        }
        a
    }

    /// A core running `p`: its timer interrupt at the boundary (it may see
    /// it late, then it runs `extra` more steps), then it takes the thread
    /// off the core and releases the gate.
    fn leave_at_boundary(&self, core: usize, p: u32, extra: usize) {
        self.until(BOUNDARY);
        for _ in 0..extra {
            self.step(core, p);
            thread::yield_now();
        }
        self.leave(p);
        self.gate.release(core, &self.machine);
    }

    /// The timer: the count moves to `t`, and every core's timer interrupt
    /// is delivered: `unpark` (a core waiting at the gate looks at the
    /// count anyway, WFE being a yield). In loom an unpark
    /// carries the timer thread's history to the core, which is only the
    /// count (and, in model 4, the switch word, which a read of the count
    /// carries anyway): no edge between cores.
    fn tick<T>(&self, t: u64, cores: &[thread::JoinHandle<T>]) {
        self.machine.count.store(t, Ordering::SeqCst);
        for core in cores {
            core.thread().unpark();
        }
    }

    /// The timer: the count moves through `ticks`. Between ticks time
    /// passes: the timer thread yields, so the cores act within each window
    /// on loom's default schedule instead of only by a preemption of the
    /// timer (which would spend the preemption bound on the clock). With
    /// `a_window`, also before the first tick (cores act in A's window;
    /// otherwise they only wait for the boundary there, and loom still
    /// explores them doing so by preempting the timer).
    fn timer<T>(&self, ticks: &[u64], cores: &[thread::JoinHandle<T>], a_window: bool) {
        for (i, &t) in ticks.iter().enumerate() {
            if i > 0 || a_window {
                thread::yield_now();
            }
            self.tick(t, cores);
        }
    }
}

/// A core of the model: a loom thread running `f` on the world `w`.
fn spawn_core<G: Protocol, T: 'static>(
    w: &Arc<World<G>>,
    f: impl FnOnce(&World<G>) -> T + 'static,
) -> thread::JoinHandle<T> {
    let w = w.clone();
    thread::spawn(move || f(&w))
}

/// Every core runs A until the boundary, then goes to `next` for the
/// window ending at `NEXT_END`.
fn every_core_leaves_a_for<G: Protocol>(w: &Arc<World<G>>, next: u32) -> Vec<thread::JoinHandle<Admission>> {
    (0..CORES)
        .map(|core| {
            spawn_core(w, move |w| {
                w.leave_at_boundary(core, A, 0);
                w.run(core, next, NEXT_END)
            })
        })
        .collect()
}

fn join_all(handles: Vec<thread::JoinHandle<Admission>>) -> Vec<Admission> {
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// Liveness: when the clock stops before B's window ends (`ticks` without
/// `NEXT_END`), every core going to B must have been admitted.
fn all_admitted_if_endless(ticks: &[u64], going_to_b: &[Admission]) {
    if !ticks.contains(&NEXT_END) {
        assert!(
            going_to_b.iter().all(|a| matches!(a, Admission::Admitted { .. })),
            "B's window never ends, yet {going_to_b:?}"
        );
    }
}

/// The real gate in a model, once with B's window ending at `NEXT_END`
/// and once (`$endless`) with the clock stopped at the boundary.
macro_rules! gate_models {
    ($($model:ident: $name:ident, $endless:ident;)*) => {$(
        #[test]
        fn $name() {
            check(stringify!($name), || $model::<Gate<CORES>>(&[BOUNDARY, NEXT_END]));
        }

        #[test]
        fn $endless() {
            check(stringify!($endless), || $model::<Gate<CORES>>(&[BOUNDARY]));
        }
    )*};
}

gate_models! {
    boundary_model: boundary_a_to_b, boundary_a_to_b_window_never_ends;
    late_core_model: late_core, late_core_window_never_ends;
    stale_reentry_model: stale_reentry, stale_reentry_window_never_ends;
    back_to_back_model: back_to_back, back_to_back_window_never_ends;
}

// ---------------------------------------------------------------------------
// Model 1: three cores, A to B.

fn boundary_model<G: Protocol>(ticks: &'static [u64]) {
    let w = World::<G>::new(&[0, 1, 2], true);
    let cores = every_core_leaves_a_for(&w, B);
    w.timer(ticks, &cores, false);
    all_admitted_if_endless(ticks, &join_all(cores));
}

// ---------------------------------------------------------------------------
// Model 2: a late core, an on-time core, an idle core.

fn late_core_model<G: Protocol>(ticks: &'static [u64]) {
    let w = World::<G>::new(&[0, 1], true);
    let late = spawn_core(&w, |w| {
        w.leave_at_boundary(0, A, 2);
        w.run(0, B, NEXT_END)
    });
    let on_time = spawn_core(&w, |w| {
        w.leave_at_boundary(1, A, 0);
        w.run(1, B, NEXT_END)
    });
    let idle = spawn_core(&w, |w| {
        w.until(BOUNDARY);
        w.run(2, B, NEXT_END)
    });
    let cores = vec![late, on_time, idle];
    w.timer(ticks, &cores, false);
    all_admitted_if_endless(ticks, &join_all(cores));
}

// ---------------------------------------------------------------------------
// Model 3: a core re-entering A on a stale view, racing cores entering B.

fn stale_reentry_model<G: Protocol>(ticks: &'static [u64]) {
    let w = World::<G>::new(&[1], true);
    let stale = spawn_core(&w, |w| {
        // Decided "A's window" earlier: the count may be 10 by now.
        let a = w.admit(0, A, BOUNDARY);
        if let Admission::Admitted { .. } = a {
            w.enter(0, A);
            w.leave_at_boundary(0, A, 0);
        }
        a
    });
    let leaving = spawn_core(&w, |w| {
        w.leave_at_boundary(1, A, 0);
        w.run(1, B, NEXT_END)
    });
    let idle = spawn_core(&w, |w| {
        w.until(BOUNDARY);
        w.run(2, B, NEXT_END)
    });
    let cores = vec![stale, leaving, idle];
    w.timer(ticks, &cores, true);
    all_admitted_if_endless(ticks, &join_all(cores)[1..]);
}

// ---------------------------------------------------------------------------
// Model 4: a schedule switch at the boundary.

/// `racing`: the director stores the switch after the count reaches the
/// boundary instead of before.
fn switch_model<G: Protocol>(racing: bool) {
    let w = World::<G>::new(&[0, 1, 2], true);
    let cores: Vec<_> = (0..CORES)
        .map(|core| {
            spawn_core(&w, move |w| {
                w.leave_at_boundary(core, A, 0);
                let owner = w.owner.load(Ordering::Acquire);
                (owner, w.run(core, owner, NEXT_END))
            })
        })
        .collect();
    if !racing {
        w.owner.store(C, Ordering::Release);
    }
    w.tick(BOUNDARY, &cores);
    if racing {
        w.owner.store(C, Ordering::Release);
    }
    thread::yield_now();
    w.tick(NEXT_END, &cores);
    let got: Vec<_> = cores.into_iter().map(|h| h.join().unwrap()).collect();
    if !racing {
        // Every core chose the new owner, so every admitted one entered it.
        assert!(got.iter().all(|&(owner, _)| owner == C), "{got:?}");
    }
}

#[test]
fn switch_before_the_boundary() {
    check("switch_before_the_boundary", || switch_model::<Gate<CORES>>(false));
}

#[test]
fn switch_racing_the_boundary() {
    check("switch_racing_the_boundary", || switch_model::<Gate<CORES>>(true));
}

// ---------------------------------------------------------------------------
// Model 5: back-to-back windows of one partition.

fn back_to_back_model<G: Protocol>(ticks: &'static [u64]) {
    let w = World::<G>::new(&[0, 1, 2], false);
    let cores = every_core_leaves_a_for(&w, A);
    w.timer(ticks, &cores, false);
    let got = join_all(cores);
    for a in &got {
        match a {
            Admission::Admitted { waited_from: None, .. } => {}
            Admission::WindowOver { at } if *at >= NEXT_END => {}
            other => panic!("A after A: {other:?}"),
        }
    }
    all_admitted_if_endless(ticks, &got);
}

// ---------------------------------------------------------------------------
// Gate mutants: local copies of `Gate::acquire` with one thing wrong.

/// `NO_BARRIER`: announce relaxed, no fence, relaxed loads.
/// `CHECK_FIRST`: look at the other cores before announcing.
const NO_BARRIER: u8 = 0;
const CHECK_FIRST: u8 = 1;

struct Mutant<const KIND: u8> {
    holders: [AtomicU32; CORES],
}

impl<const KIND: u8> Mutant<KIND> {
    fn blocker(&self, core: usize, partition: u32, order: Ordering) -> Option<(usize, u32)> {
        (0..CORES).filter(|&c| c != core).find_map(|c| {
            let held = self.holders[c].load(order);
            (held != NONE && held != partition).then_some((c, held))
        })
    }
}

impl<const KIND: u8> Protocol for Mutant<KIND> {
    fn new() -> Self {
        Mutant { holders: core::array::from_fn(|_| AtomicU32::new(NONE)) }
    }

    fn acquire(&self, core: usize, partition: u32, end: u64, m: &Machine, _late: &mut dyn FnMut(Blocked)) -> Admission {
        match KIND {
            NO_BARRIER => {
                self.holders[core].store(partition, Ordering::Relaxed);
                loop {
                    let now = m.now();
                    if now >= end {
                        self.release(core, m);
                        return Admission::WindowOver { at: now };
                    }
                    if self.blocker(core, partition, Ordering::Relaxed).is_none() {
                        return Admission::Admitted { at: now, waited_from: None };
                    }
                    m.wait();
                }
            }
            _ => loop {
                fence(Ordering::SeqCst);
                let now = m.now();
                if now >= end {
                    return Admission::WindowOver { at: now };
                }
                if self.blocker(core, partition, Ordering::SeqCst).is_none() {
                    self.holders[core].store(partition, Ordering::SeqCst);
                    return Admission::Admitted { at: now, waited_from: None };
                }
                m.wait();
            },
        }
    }

    fn release(&self, core: usize, _m: &Machine) {
        self.holders[core].store(NONE, Ordering::Release);
    }
}

#[test]
#[should_panic(expected = "two partitions at once")]
fn mutant_gate_without_barrier() {
    check("mutant_gate_without_barrier", || stale_reentry_model::<Mutant<NO_BARRIER>>(&[BOUNDARY, NEXT_END]));
}

#[test]
#[should_panic(expected = "two partitions at once")]
fn mutant_gate_checking_before_announcing() {
    check("mutant_gate_checking_before_announcing", || {
        stale_reentry_model::<Mutant<CHECK_FIRST>>(&[BOUNDARY, NEXT_END])
    });
}

/// Mutant: the real gate, but `release` forgets to clear the core's word
/// (a core that leaves a partition and goes idle without releasing).
struct NoRelease(Gate<CORES>);

impl Protocol for NoRelease {
    fn new() -> Self {
        NoRelease(Gate::new())
    }
    fn acquire(&self, core: usize, partition: u32, end: u64, m: &Machine, late: &mut dyn FnMut(Blocked)) -> Admission {
        self.0.acquire(core, partition, end, PATIENCE, m, late)
    }
    fn release(&self, _core: usize, _m: &Machine) {}
}

/// The liveness check can fail: with B's window never ending, the cores
/// waiting for B behind a core that never released A wait forever, and
/// loom reports it (an execution longer than `MAX_BRANCHES`).
#[test]
#[should_panic(expected = "maximum number of branches")]
fn mutant_gate_never_releasing() {
    check("mutant_gate_never_releasing", || stale_reentry_model::<NoRelease>(&[BOUNDARY]));
}
