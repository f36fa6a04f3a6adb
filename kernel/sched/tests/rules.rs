//! One host test per scheduling rule of ARINC 653 Part 1 (Partition
//! Scheduling, Process Scheduling) and CAST-32A as Bulkhead implements them,
//! on a small hand-checked module at QEMU's 62.5 MHz (16 ns per tick, so
//! 1 ms = 62_500 ticks and every expected instant below is exact).

mod common;

use bulkhead_sched::*;
use common::*;

const MS: u64 = 62_500; // ticks per ms at 62.5 MHz
const EPOCH: u64 = 1_000;

fn t(ms_times_10: u64) -> Ticks {
    // instants in tenths of a millisecond after the epoch
    Ticks(EPOCH + ms_times_10 * MS / 10)
}

fn p(i: u8) -> Option<PartitionId> {
    Some(PartitionId(i))
}

fn w(owner: Option<PartitionId>, ms: u64) -> Window {
    Window { owner, duration: Nanos::from_millis(ms).unwrap() }
}

fn th(partition: u8, cores: &[u8], priority: u8) -> ThreadSpec {
    let mut affinity = CoreSet::EMPTY;
    for &c in cores {
        affinity = affinity.with(CoreId(c));
    }
    ThreadSpec { partition: PartitionId(partition), affinity, priority, period: None, time_capacity: None }
}

/// P0: t0 on 0, t1 on 1. P1: t2 (prio 1) and t3 (prio 9) on 0, t4 on {2,3}.
/// P2: t5 on 1.
fn threads() -> [ThreadSpec; 6] {
    [th(0, &[0], 5), th(0, &[1], 5), th(1, &[0], 1), th(1, &[0], 9), th(1, &[2, 3], 1), th(2, &[1], 5)]
}

/// Schedule 0: 10 ms = P0 2 | P1 3 | spare 1 | P2 2 | (2 spare).
/// Schedule 1: 4 ms = P1 1 | P0 1 | (2 spare).
fn windows() -> (Vec<Window>, Vec<Window>) {
    (vec![w(p(0), 2), w(p(1), 3), w(None, 1), w(p(2), 2)], vec![w(p(1), 1), w(p(0), 1)])
}

struct Fixture {
    threads: [ThreadSpec; 6],
    w0: Vec<Window>,
    w1: Vec<Window>,
}

impl Fixture {
    fn new() -> Self {
        let (w0, w1) = windows();
        Fixture { threads: threads(), w0, w1 }
    }
    fn schedules(&self) -> [Schedule<'_>; 2] {
        [
            Schedule { major_frame: Nanos::from_millis(10).unwrap(), windows: &self.w0 },
            Schedule { major_frame: Nanos::from_millis(4).unwrap(), windows: &self.w1 },
        ]
    }
}

fn start<'a>(plan: &ModulePlan<'a>) -> (ModuleTimeline, Vec<CoreScheduler>) {
    let tl = ModuleTimeline::new(plan, freq(QEMU_HZ), ScheduleId(0), Epoch::new(Ticks(EPOCH))).unwrap();
    let cores = plan.cores().map(|c| CoreScheduler::new(plan, &tl, c).unwrap()).collect();
    (tl, cores)
}

fn tid(i: u16) -> Option<ThreadId> {
    Some(ThreadId(i))
}

#[test]
fn core_tables_share_offsets_and_hold_only_local_threads() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let tables: Vec<_> = plan.cores().map(|c| plan.core_frame_table(ScheduleId(0), c).unwrap()).collect();
    for tb in &tables {
        let offsets: Vec<_> = tb.entries().iter().map(|e| (e.start.0, e.end.0)).collect();
        assert_eq!(
            offsets,
            [
                (0, 2_000_000),
                (2_000_000, 5_000_000),
                (5_000_000, 6_000_000),
                (6_000_000, 8_000_000),
                (8_000_000, 10_000_000)
            ]
        );
        assert_eq!(tb.entries()[4].window, None, "trailing spare entry");
        assert_eq!(tb.entries()[2].window_owner, None);
    }
    let threads_of =
        |core: usize, entry: usize| tables[core].entries()[entry].threads.iter().map(|t| t.0).collect::<Vec<_>>();
    assert_eq!(threads_of(0, 0), [0]);
    assert_eq!(threads_of(1, 0), [1]);
    assert_eq!(threads_of(0, 1), [2, 3]);
    assert_eq!(threads_of(2, 1), [4], "t4 spreads to the first free core of {{2,3}}");
    assert_eq!(threads_of(3, 1), [] as [u16; 0]);
    assert_eq!(threads_of(1, 3), [5]);
    assert!(tables[0].entries()[3].is_idle(), "P2 has no thread on core 0: idle, same window");
    assert!(!tables[1].entries()[3].is_idle(), "t5 runs there on core 1");
}

#[test]
fn placement_spreads_a_partition_and_places_narrow_affinities_first() {
    // t0 may go anywhere in {0,1}; t1 insists on core 0. Narrow first: t1 -> 0, t0 -> 1.
    let threads = [th(0, &[0, 1], 1), th(0, &[0], 1)];
    let ws = [w(p(0), 1)];
    let s = [Schedule { major_frame: Nanos::from_millis(1).unwrap(), windows: &ws }];
    let plan = ModulePlan::new(2, &threads, &s).unwrap();
    assert_eq!(plan.thread_core(ThreadId(0)), Ok(CoreId(1)));
    assert_eq!(plan.thread_core(ThreadId(1)), Ok(CoreId(0)));
}

#[test]
fn windows_run_their_partition_on_every_core_at_exact_instants() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    // (instant, expected runs per core, deadline)
    let script: [(Ticks, [Option<ThreadId>; 4], Ticks); 6] = [
        (t(0), [tid(0), tid(1), None, None], t(20)),
        (t(20), [tid(3), None, tid(4), None], t(50)),
        (t(50), [None, None, None, None], t(60)),
        (t(60), [None, tid(5), None, None], t(80)),
        (t(80), [None, None, None, None], t(100)),
        (t(100), [tid(0), tid(1), None, None], t(120)),
    ];
    for (now, runs, deadline) in script {
        for (c, core) in cores.iter_mut().enumerate() {
            let d = core.on_tick(now);
            assert_eq!(d.runs, runs[c], "core {c} at {now:?}");
            assert_eq!(d.next_deadline, deadline, "core {c} at {now:?}");
            assert_eq!(d.events, Events::default(), "no event on a punctual tick");
        }
    }
    // One tick before a boundary we are still in the old window.
    let d = cores[0].on_tick(Ticks(t(120).0 - 1));
    assert_eq!((d.runs, d.next_deadline), (tid(0), t(120)));
}

#[test]
fn nothing_runs_before_the_epoch() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let d = cores[0].on_tick(Ticks(3));
    assert_eq!((d.runs, d.next_deadline, d.window), (None, Ticks(EPOCH), None));
    assert_eq!(cores[0].on_tick(Ticks(EPOCH)).runs, tid(0));
}

#[test]
fn highest_priority_ready_thread_of_the_owner_runs_and_preempts_on_wake() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c0 = &mut cores[0];
    assert_eq!(c0.on_tick(t(20)).runs, tid(3), "prio 9 beats prio 1");
    c0.wait_until(ThreadId(3), t(30), t(21)).unwrap();
    let d = c0.on_tick(t(21));
    assert_eq!(d.runs, tid(2));
    assert_eq!(d.next_deadline, t(30), "deadline is the wake-up inside the window");
    let d = c0.on_tick(t(30));
    assert_eq!(d.runs, tid(3), "woken higher priority preempts");
    assert_eq!(d.next_deadline, t(50));
    // A wake-up after the window does not shorten the deadline.
    c0.wait_until(ThreadId(3), t(70), t(31)).unwrap();
    assert_eq!(c0.on_tick(t(31)).next_deadline, t(50));
}

/// Decisions skip the scan for expired waits until the earliest release
/// (issue 19): a wait begun after a scan, ending before the release that
/// scan found, must still end at its own instant, and a thread whose
/// release has not come must not be woken early.
#[test]
fn a_shorter_wait_begun_after_a_longer_one_still_ends_on_time() {
    let threads = [th(0, &[0], 6), th(0, &[0], 4), th(0, &[0], 1)];
    let ws = [w(p(0), 10)];
    let s = [Schedule { major_frame: Nanos::from_millis(10).unwrap(), windows: &ws }];
    let plan = ModulePlan::new(2, &threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c = &mut cores[0];
    assert_eq!(c.on_tick(t(0)).runs, tid(0));
    c.wait_until(ThreadId(0), t(8), t(1)).unwrap();
    assert_eq!(c.on_tick(t(1)).runs, tid(1), "t0 waits until 8 ms");
    c.wait_until(ThreadId(1), t(3), t(2)).unwrap();
    let d = c.on_tick(t(2));
    assert_eq!((d.runs, d.next_deadline), (tid(2), t(3)), "both wait; the low-priority one runs");
    assert_eq!(c.on_tick(Ticks(t(3).0 - 1)).runs, tid(2), "not woken a tick early");
    assert_eq!(c.on_tick(t(3)).runs, tid(1), "the later, shorter wait ends at 3 ms");
    assert_eq!(c.on_tick(Ticks(t(8).0 - 1)).runs, tid(1));
    assert_eq!(c.thread_state(ThreadId(0)).map(|s| s == ThreadState::Ready), Some(false));
    assert_eq!(c.on_tick(t(8)).runs, tid(0), "the first wait ends at 8 ms, and it preempts");
}

#[test]
fn equal_priorities_are_served_in_the_order_they_became_ready() {
    let threads = [th(0, &[0], 4), th(0, &[0], 4)];
    let ws = [w(p(0), 10)];
    let s = [Schedule { major_frame: Nanos::from_millis(10).unwrap(), windows: &ws }];
    let plan = ModulePlan::new(2, &threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c = &mut cores[0];
    assert_eq!(c.on_tick(t(0)).runs, tid(0));
    // Yield (timed wait that has already expired): t0 goes behind t1.
    c.wait_until(ThreadId(0), t(1), t(1)).unwrap();
    assert_eq!(c.on_tick(t(1)).runs, tid(1));
    // t1 sleeps; t0 runs; t1 wakes at t(5) but t0 has been ready since t(1).
    c.wait_until(ThreadId(1), t(5), t(2)).unwrap();
    assert_eq!(c.on_tick(t(2)).runs, tid(0));
    assert_eq!(c.on_tick(t(5)).runs, tid(0));
    c.wait_until(ThreadId(0), t(6), t(6)).unwrap();
    assert_eq!(c.on_tick(t(6)).runs, tid(1));
}

#[test]
fn an_event_wait_ends_at_the_wake_or_at_its_timeout_whichever_first() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c0 = &mut cores[0];
    assert_eq!(c0.on_tick(t(20)).runs, tid(3));
    // Woken before its timeout: Ready from the wake, preempting prio 1.
    c0.wait_event(ThreadId(3), Some(t(40)), t(21)).unwrap();
    let d = c0.on_tick(t(21));
    assert_eq!((d.runs, d.next_deadline), (tid(2), t(40)), "the timeout bounds the core's sleep");
    assert_eq!(c0.wake(ThreadId(3), t(25)), Ok(true));
    assert_eq!(c0.on_tick(t(25)).runs, tid(3));
    assert_eq!(c0.wake(ThreadId(3), t(26)), Ok(false), "a Ready thread is left alone");
    // Not woken: Ready at its timeout.
    c0.wait_event(ThreadId(3), Some(t(30)), t(26)).unwrap();
    assert_eq!(c0.on_tick(t(29)).runs, tid(2));
    assert_eq!(c0.on_tick(t(30)).runs, tid(3));
    // No timeout: only a wake ends it; the window's end bounds the sleep.
    c0.wait_event(ThreadId(3), None, t(31)).unwrap();
    let d = c0.on_tick(t(31));
    assert_eq!((d.runs, d.next_deadline), (tid(2), t(50)));
    assert_eq!(c0.on_tick(t(45)).runs, tid(2));
    // A wake outside the partition's window makes it Ready for the next.
    assert_eq!(c0.wake(ThreadId(3), t(60)), Ok(true));
    assert_eq!(c0.thread_state(ThreadId(3)), Some(ThreadState::Ready));
    // A timed wait is not ended by a wake (only event waits are).
    c0.wait_until(ThreadId(3), t(130), t(121)).unwrap();
    assert_eq!(c0.wake(ThreadId(3), t(122)), Ok(false));
    assert_eq!(c0.thread_state(ThreadId(3)), Some(ThreadState::Waiting(Wait::Until(t(130)))));
    // A timeout already passed is a yield.
    c0.wait_event(ThreadId(2), Some(t(121)), t(122)).unwrap();
    assert_eq!(c0.thread_state(ThreadId(2)), Some(ThreadState::Ready));
    assert!(c0.wake(ThreadId(5), t(122)).is_err(), "thread 5 is not on core 0");
}

#[test]
fn periodic_wait_releases_at_the_partitions_next_window() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c0 = &mut cores[0];
    assert_eq!(c0.on_tick(t(5)).runs, tid(0));
    assert_eq!(c0.periodic_wait(ThreadId(0), t(5)), Ok(Some(t(100))));
    assert_eq!(c0.thread_state(ThreadId(0)), Some(ThreadState::Waiting(Wait::NextWindow { release: Some(t(100)) })));
    let d = c0.on_tick(t(5));
    assert_eq!((d.runs, d.next_deadline), (None, t(20)));
    assert_eq!(c0.on_tick(t(99)).runs, None);
    assert_eq!(c0.on_tick(t(100)).runs, tid(0));
    assert_eq!(c0.thread_state(ThreadId(0)), Some(ThreadState::Ready));
}

#[test]
fn suspend_resume_stop_start_follow_the_state_machine() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c0 = &mut cores[0];
    let t0 = ThreadId(0);
    c0.suspend(t0).unwrap();
    assert_eq!(c0.on_tick(t(1)).runs, None);
    assert_eq!(
        c0.suspend(t0),
        Err(SchedError::InvalidState { thread: t0, op: ThreadOp::Suspend, state: ThreadState::Suspended })
    );
    c0.resume(t0, t(2)).unwrap();
    assert_eq!(c0.on_tick(t(2)).runs, tid(0));
    assert_eq!(
        c0.resume(t0, t(2)),
        Err(SchedError::InvalidState { thread: t0, op: ThreadOp::Resume, state: ThreadState::Ready })
    );
    c0.stop(t0).unwrap();
    assert_eq!(c0.on_tick(t(3)).runs, None);
    assert!(matches!(c0.stop(t0), Err(SchedError::InvalidState { op: ThreadOp::Stop, .. })));
    assert!(matches!(c0.suspend(t0), Err(SchedError::InvalidState { op: ThreadOp::Suspend, .. })));
    assert!(matches!(c0.wait_until(t0, t(9), t(3)), Err(SchedError::InvalidState { op: ThreadOp::WaitUntil, .. })));
    c0.start(t0, t(4)).unwrap();
    assert_eq!(c0.on_tick(t(4)).runs, tid(0));
    assert!(matches!(c0.start(t0, t(4)), Err(SchedError::InvalidState { op: ThreadOp::Start, .. })));
    // A waiting thread can be suspended; resuming makes it ready, not waiting.
    c0.wait_until(t0, t(15), t(5)).unwrap();
    c0.suspend(t0).unwrap();
    assert_eq!(c0.on_tick(t(16)).runs, None, "a suspended thread does not wake on its old timeout");
    c0.resume(t0, t(17)).unwrap();
    assert_eq!(c0.on_tick(t(17)).runs, tid(0));
    // Threads of other cores are not this core's business.
    assert_eq!(c0.stop(ThreadId(1)), Err(SchedError::ThreadNotOnCore { thread: ThreadId(1), core: CoreId(0) }));
}

#[test]
fn a_missed_boundary_is_recovered_from_the_epoch_and_reported() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (tl, mut cores) = start(&plan);
    cores[0].on_tick(t(0));
    // Asleep from frame 0 window 0 to frame 3 window 1 (P1): 3*5 + 1 = 16
    // boundaries crossed, 15 of them missed.
    let now = t(325);
    let d = cores[0].on_tick(now);
    assert_eq!(
        d.events.missed_boundary,
        Some(MissedBoundary { core: CoreId(0), missed: 15, late_by: Ticks(now.0 - t(20).0) })
    );
    let mut fresh = CoreScheduler::new(&plan, &tl, CoreId(0)).unwrap();
    let f = fresh.on_tick(now);
    assert_eq!((d.runs, d.next_deadline, d.window), (f.runs, f.next_deadline, f.window));
    assert_eq!(f.events, Events::default(), "a fresh core synchronises silently");
    assert_eq!(d.window.unwrap().frame, 3);
    assert_eq!(d.runs, tid(3));
    // Crossing exactly one boundary late is not a miss.
    let d = cores[0].on_tick(t(355));
    assert_eq!(d.events.missed_boundary, None);
    assert_eq!(d.window.unwrap().entry, 2);
}

#[test]
fn schedule_switch_happens_at_the_next_major_frame_on_every_core() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (mut tl, mut cores) = start(&plan);
    for c in cores.iter_mut() {
        c.on_tick(t(25));
    }
    let act = tl.request_switch(&plan, ScheduleId(1), t(25)).unwrap();
    assert_eq!(act.epoch, Epoch::new(t(100)));
    assert_eq!(act.major_frame, Nanos::from_millis(4).unwrap());
    for c in cores.iter_mut() {
        c.install_switch(&plan, act).unwrap();
    }
    assert_eq!(tl.active_at(t(99)).schedule, ScheduleId(0));
    assert_eq!(tl.active_at(t(100)).schedule, ScheduleId(1));
    for now in [t(50), t(60), t(80)] {
        for c in cores.iter_mut() {
            assert_eq!(c.on_tick(now).window.unwrap().schedule, ScheduleId(0));
        }
    }
    let runs: Vec<_> = cores
        .iter_mut()
        .map(|c| {
            let d = c.on_tick(t(100));
            assert_eq!(d.events.schedule_switched, Some(ScheduleId(1)));
            assert_eq!(d.events.missed_boundary, None);
            assert_eq!(d.next_deadline, t(110));
            d.runs
        })
        .collect();
    assert_eq!(runs, [tid(3), None, tid(4), None], "schedule 1 starts with P1");
    for c in cores.iter_mut() {
        let d = c.on_tick(t(110));
        assert_eq!(d.next_deadline, t(120));
        assert_eq!(d.events, Events::default());
    }
    assert_eq!(cores[0].on_tick(t(120)).next_deadline, t(140), "spare to the end of the 4 ms frame");
    assert_eq!(cores[0].on_tick(t(140)).runs, tid(3), "frame 1 of schedule 1 at new epoch + 4 ms");
}

#[test]
fn a_later_request_replaces_a_pending_switch_at_the_same_instant() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (mut tl, _) = start(&plan);
    let a = tl.request_switch(&plan, ScheduleId(1), t(25)).unwrap();
    let b = tl.request_switch(&plan, ScheduleId(0), t(95)).unwrap();
    assert_eq!(a.epoch, b.epoch);
    assert_eq!(tl.pending().unwrap().schedule, ScheduleId(0));
    assert!(matches!(
        tl.request_switch(&plan, ScheduleId(7), t(95)),
        Err(SchedError::Plan(PlanError::UnknownSchedule { .. }))
    ));
}

#[test]
fn a_core_asleep_across_a_switch_lands_in_the_new_schedule() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (mut tl, mut cores) = start(&plan);
    cores[0].on_tick(t(25)); // frame 0, entry 1 of 5
    let act = tl.request_switch(&plan, ScheduleId(1), t(25)).unwrap();
    cores[0].install_switch(&plan, act).unwrap();
    // Wake in schedule 1, frame 2, entry 1 (P0): 4 old boundaries up to the
    // switch, then 2*3 + 1 = 7 new ones: 11 crossed, 10 missed.
    let d = cores[0].on_tick(t(195));
    assert_eq!(d.events.schedule_switched, Some(ScheduleId(1)));
    assert_eq!(d.events.missed_boundary.map(|m| m.missed), Some(10));
    assert_eq!(d.runs, tid(0));
    assert_eq!(d.next_deadline, t(200));
}

#[test]
fn periodic_wait_across_a_requested_switch_uses_the_new_schedule() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (mut tl, mut cores) = start(&plan);
    cores[0].on_tick(t(5));
    // Waiting before the switch is requested: re-aimed when it is installed.
    assert_eq!(cores[0].periodic_wait(ThreadId(0), t(5)), Ok(Some(t(100))));
    let act = tl.request_switch(&plan, ScheduleId(1), t(25)).unwrap();
    cores[0].install_switch(&plan, act).unwrap();
    // In schedule 1 P0's window starts 1 ms into the frame.
    assert_eq!(
        cores[0].thread_state(ThreadId(0)),
        Some(ThreadState::Waiting(Wait::NextWindow { release: Some(t(110)) }))
    );
    assert_eq!(cores[0].on_tick(t(100)).runs, tid(3));
    assert_eq!(cores[0].on_tick(t(110)).runs, tid(0));
}

#[test]
fn migration_rebuilds_only_the_two_cores_involved() {
    let f = Fixture::new();
    let s = f.schedules();
    let mut plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let before: Vec<_> = plan.cores().map(|c| plan.core_frame_table(ScheduleId(0), c).unwrap()).collect();
    let m = plan.migrate(ThreadId(5), CoreSet::single(CoreId(3))).unwrap();
    assert_eq!(m, Migration { thread: ThreadId(5), from: CoreId(1), to: CoreId(3) });
    assert_eq!(m.reschedule_cores(), CoreSet::single(CoreId(1)).with(CoreId(3)));
    let after: Vec<_> = plan.cores().map(|c| plan.core_frame_table(ScheduleId(0), c).unwrap()).collect();
    assert_eq!(before[0], after[0]);
    assert_eq!(before[2], after[2]);
    assert_ne!(before[1], after[1]);
    assert_ne!(before[3], after[3]);

    let rec = cores[1].release_thread(&plan, ThreadId(5)).unwrap();
    assert_eq!(
        cores[0].adopt_thread(&plan, rec),
        Err(SchedError::ThreadNotOnCore { thread: ThreadId(5), core: CoreId(0) })
    );
    cores[3].adopt_thread(&plan, rec).unwrap();
    assert_eq!(cores[1].on_tick(t(60)).runs, None);
    assert_eq!(cores[3].on_tick(t(60)).runs, tid(5));
    assert_eq!(cores[1].active_table(), &after[1]);

    // Undone: the plan as before the migration, tables included.
    let mut undone = ModulePlan::new(4, &f.threads, &s).unwrap();
    let affinity = undone.thread_affinity(ThreadId(5)).unwrap();
    let m2 = undone.migrate(ThreadId(5), CoreSet::single(CoreId(3))).unwrap();
    undone.undo_migration(m2, affinity).unwrap();
    assert_eq!(undone.thread_core(ThreadId(5)), Ok(CoreId(1)));
    assert_eq!(undone.thread_affinity(ThreadId(5)), Ok(affinity));
    let restored: Vec<_> = undone.cores().map(|c| undone.core_frame_table(ScheduleId(0), c).unwrap()).collect();
    assert_eq!(restored, before);

    let stay = plan.migrate(ThreadId(5), CoreSet::first_n(4)).unwrap();
    assert!(!stay.moved(), "already on a core of the new affinity with no better one");
    assert_eq!(stay.reschedule_cores(), CoreSet::EMPTY);
    assert_eq!(
        plan.migrate(ThreadId(5), CoreSet::single(CoreId(4))),
        Err(PlanError::AffinityOutsideModule { thread: ThreadId(5), affinity: CoreSet::single(CoreId(4)), cores: 4 })
    );
    assert_eq!(
        plan.migrate(ThreadId(9), CoreSet::single(CoreId(0))),
        Err(PlanError::UnknownThread { thread: ThreadId(9), threads: 6 })
    );
}

#[test]
fn invalid_modules_are_refused_with_the_object_and_numbers() {
    let ok_w = [w(p(0), 1)];
    let ok_s = [Schedule { major_frame: Nanos::from_millis(1).unwrap(), windows: &ok_w }];
    let ok_t = [th(0, &[0], 1)];
    let err = |cores: u8, threads: &[ThreadSpec], schedules: &[Schedule<'_>]| {
        ModulePlan::new(cores, threads, schedules).unwrap_err()
    };

    assert_eq!(err(0, &ok_t, &ok_s), PlanError::CoreCount { cores: 0, max: 4 });
    assert_eq!(err(5, &ok_t, &ok_s), PlanError::CoreCount { cores: 5, max: 4 });
    assert_eq!(err(1, &ok_t, &[]), PlanError::NoSchedules);

    let zero_major = [Schedule { major_frame: Nanos(0), windows: &ok_w }];
    assert_eq!(err(1, &ok_t, &zero_major), PlanError::ZeroMajorFrame { schedule: ScheduleId(0) });

    let zero_w = [w(p(0), 1), Window { owner: p(0), duration: Nanos(0) }];
    let s = [ok_s[0], Schedule { major_frame: Nanos::from_millis(5).unwrap(), windows: &zero_w }];
    assert_eq!(err(1, &ok_t, &s), PlanError::ZeroWindow { schedule: ScheduleId(1), window: 1 });

    let long = [w(p(0), 2), w(None, 2), w(p(0), 2)];
    let s = [Schedule { major_frame: Nanos::from_millis(5).unwrap(), windows: &long }];
    let e = err(1, &ok_t, &s);
    assert_eq!(
        e,
        PlanError::WindowsExceedMajorFrame {
            schedule: ScheduleId(0),
            window: 2,
            ends_at: Nanos(6_000_000),
            major_frame: Nanos(5_000_000)
        }
    );
    assert_eq!(
        e.to_string(),
        "schedule 0 window 2 ends at 6000000 ns, past the major frame of 5000000 ns; shorten the windows or lengthen the major frame"
    );

    // Windows whose ends pass 2^64 ns end after any major frame, even one
    // of u64::MAX (a saturating sum would equal it).
    let huge = [
        Window { owner: p(0), duration: Nanos(1 << 63) },
        Window { owner: None, duration: Nanos(1 << 63) },
        Window { owner: p(0), duration: Nanos(2_000_000) },
    ];
    let s = [Schedule { major_frame: Nanos(u64::MAX), windows: &huge }];
    let e = err(1, &ok_t, &s);
    assert!(matches!(e, PlanError::WindowsExceedMajorFrame { window: 1, ends_at: Nanos(u64::MAX), .. }), "{e:?}");

    let many = vec![w(p(0), 1); MAX_WINDOWS + 1];
    let s = [Schedule { major_frame: Nanos::from_secs(1).unwrap(), windows: &many }];
    assert_eq!(err(1, &ok_t, &s), PlanError::TooManyWindows { schedule: ScheduleId(0), windows: 65, max: 64 });

    let crowd = vec![th(0, &[0], 1); MAX_THREADS + 1];
    assert_eq!(err(1, &crowd, &ok_s), PlanError::TooManyThreads { threads: 65, max: 64 });

    let empty = [th(0, &[], 1)];
    assert_eq!(err(1, &empty, &ok_s), PlanError::EmptyAffinity { thread: ThreadId(0) });

    let outside = [th(0, &[0], 1), th(1, &[1, 2], 1)];
    let e = err(2, &outside, &ok_s);
    assert_eq!(
        e,
        PlanError::AffinityOutsideModule { thread: ThreadId(1), affinity: CoreSet::from_bits(0b110), cores: 2 }
    );
    assert_eq!(e.to_string(), "thread 1 has affinity {1,2}, but the module has cores 0..1; use cores below 2");

    let zero_period = [ThreadSpec { period: Some(Nanos(0)), ..th(0, &[0], 1) }];
    assert_eq!(err(1, &zero_period, &ok_s), PlanError::ZeroPeriod { thread: ThreadId(0) });
    let zero_capacity = [th(0, &[0], 1), ThreadSpec { time_capacity: Some(Nanos(0)), ..th(0, &[0], 1) }];
    assert_eq!(err(1, &zero_capacity, &ok_s), PlanError::ZeroTimeCapacity { thread: ThreadId(1) });
    let long = [ThreadSpec { period: Some(Nanos(10)), time_capacity: Some(Nanos(11)), ..th(0, &[0], 1) }];
    let e = err(1, &long, &ok_s);
    assert_eq!(
        e,
        PlanError::TimeCapacityExceedsPeriod { thread: ThreadId(0), time_capacity: Nanos(11), period: Nanos(10) }
    );
    assert_eq!(
        e.to_string(),
        "thread 0 has a time capacity of 11 ns, longer than its period of 10 ns; shorten the capacity"
    );

    let plan = ModulePlan::new(1, &ok_t, &ok_s).unwrap();
    assert_eq!(
        plan.core_frame_table(ScheduleId(1), CoreId(0)),
        Err(PlanError::UnknownSchedule { schedule: ScheduleId(1), schedules: 1 })
    );
    assert_eq!(
        plan.core_frame_table(ScheduleId(0), CoreId(1)),
        Err(PlanError::CoreOutsideModule { core: CoreId(1), cores: 1 })
    );
}

#[test]
fn far_future_overflow_idles_instead_of_panicking() {
    let threads = [th(0, &[0], 1)];
    let ws = [w(p(0), 1)];
    let s = [Schedule { major_frame: Nanos::from_millis(1).unwrap(), windows: &ws }];
    let plan = ModulePlan::new(1, &threads, &s).unwrap();
    let tl = ModuleTimeline::new(&plan, freq(QEMU_HZ), ScheduleId(0), Epoch::new(Ticks(u64::MAX - 100_000))).unwrap();
    let mut c = CoreScheduler::new(&plan, &tl, CoreId(0)).unwrap();
    assert_eq!(c.on_tick(Ticks(u64::MAX - 100_000)).runs, tid(0));
    // The end of frame 0 (62_500 ticks later) fits; frame 1's does not.
    let d = c.on_tick(Ticks(u64::MAX - 10));
    assert!(d.events.time_overflow);
    assert_eq!((d.runs, d.next_deadline), (None, Ticks::MAX));
}

#[test]
fn a_core_asleep_through_two_switches_follows_each_in_turn() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (mut tl, mut cores) = start(&plan);
    for c in cores.iter_mut() {
        c.on_tick(t(25)); // frame 0, P1 window [20, 50)
    }
    let a = tl.request_switch(&plan, ScheduleId(1), t(25)).unwrap();
    assert_eq!(a.epoch, Epoch::new(t(100)));
    for c in cores.iter_mut() {
        c.install_switch(&plan, a).unwrap();
    }
    // Core 1 keeps up; cores 0 and 3 sleep. At t(105), back to schedule 0
    // from schedule 1's next frame (4 ms after t(100)).
    for now in [t(50), t(60), t(80), t(100)] {
        cores[1].on_tick(now);
    }
    let b = tl.request_switch(&plan, ScheduleId(0), t(105)).unwrap();
    assert_eq!(b.epoch, Epoch::new(t(140)));
    for c in cores.iter_mut() {
        c.install_switch(&plan, b).unwrap();
    }
    assert_eq!(cores[0].pending(), Some(b));

    // Core 0 wakes between the two switches: schedule 1, spare [2 ms, 4 ms).
    let d = cores[0].on_tick(t(125));
    let w = d.window.unwrap();
    assert_eq!((w.schedule, w.frame, w.window), (ScheduleId(1), 0, None));
    assert_eq!((d.runs, d.next_deadline), (None, t(140)));
    // Missed: 60, 80, 100 in schedule 0, then 110, 120 in schedule 1.
    assert_eq!(d.events.missed_boundary.map(|m| m.missed), Some(5));
    assert_eq!(d.events.schedule_switched, Some(ScheduleId(1)));
    let d = cores[0].on_tick(t(140));
    assert_eq!((d.runs, d.events.schedule_switched), (tid(0), Some(ScheduleId(0))));
    assert_eq!(d.events.missed_boundary, None);

    // Core 3 wakes after both: straight into schedule 0 from t(140).
    let d = cores[3].on_tick(t(150));
    let w = d.window.unwrap();
    assert_eq!((w.schedule, w.frame, w.window, w.start), (ScheduleId(0), 0, Some(0), t(140)));
    assert_eq!(d.events.schedule_switched, Some(ScheduleId(0)));
    // 60, 80, 100 | 110, 120, 140
    assert_eq!(d.events.missed_boundary.map(|m| m.missed), Some(6));
}

#[test]
fn equal_priorities_made_ready_at_the_same_instant_keep_that_order() {
    let threads = [th(0, &[0], 4), th(0, &[0], 4)];
    let ws = [w(p(0), 10)];
    let s = [Schedule { major_frame: Nanos::from_millis(10).unwrap(), windows: &ws }];
    let plan = ModulePlan::new(2, &threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c = &mut cores[0];
    c.suspend(ThreadId(0)).unwrap();
    c.suspend(ThreadId(1)).unwrap();
    // Resumed in the same tick, t1 first: t1 is first in line.
    c.resume(ThreadId(1), t(1)).unwrap();
    c.resume(ThreadId(0), t(1)).unwrap();
    assert_eq!(c.on_tick(t(1)).runs, tid(1));
    // Timeouts expiring at the same instant are released in thread order,
    // whichever thread started waiting first.
    c.wait_until(ThreadId(1), t(5), t(2)).unwrap();
    c.wait_until(ThreadId(0), t(5), t(2)).unwrap();
    assert_eq!(c.on_tick(t(2)).runs, None);
    assert_eq!(c.on_tick(t(5)).runs, tid(0));
}

#[test]
fn periodic_wait_releases_at_the_nearest_of_the_partitions_windows() {
    // P0 owns two windows per frame: [0, 2) and [4, 6) ms.
    let threads = [th(1, &[0], 1), th(0, &[0], 1)];
    let ws = [w(p(0), 2), w(p(1), 2), w(p(0), 2), w(p(1), 4)];
    let s = [Schedule { major_frame: Nanos::from_millis(10).unwrap(), windows: &ws }];
    let plan = ModulePlan::new(1, &threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c = &mut cores[0];
    assert_eq!(c.on_tick(t(5)).runs, tid(1));
    assert_eq!(c.periodic_wait(ThreadId(1), t(5)), Ok(Some(t(40))), "this frame's second window, not the next frame");
    assert_eq!(c.on_tick(t(40)).runs, tid(1));
    assert_eq!(c.periodic_wait(ThreadId(1), t(45)), Ok(Some(t(100))));
}

#[test]
fn a_tick_earlier_than_the_last_is_placed_from_the_epoch() {
    // Only misuse sends time backwards; the core must still not run the
    // window it saw last.
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c0 = &mut cores[0];
    assert_eq!(c0.on_tick(t(30)).runs, tid(3));
    let d = c0.on_tick(t(5));
    assert_eq!((d.runs, d.window.map(|w| w.window), d.next_deadline), (tid(0), Some(Some(0)), t(20)));
    assert_eq!(d.events.missed_boundary, None);
}

#[test]
fn the_largest_schedule_fits_a_core_table_with_its_spare_time() {
    let threads = [th(0, &[0], 1), th(1, &[0], 1)];
    let ws: Vec<Window> = (0..MAX_WINDOWS as u8).map(|i| w(p(i % 2), 1)).collect();
    let major = Nanos::from_millis(MAX_WINDOWS as u64 + 1).unwrap();
    let s = [Schedule { major_frame: major, windows: &ws }];
    let plan = ModulePlan::new(1, &threads, &s).unwrap();
    let table = plan.core_frame_table(ScheduleId(0), CoreId(0)).unwrap();
    assert_eq!(table.entries().len(), MAX_WINDOWS + 1);
    assert_eq!(table.entries()[MAX_WINDOWS].window, None, "trailing spare entry");
}

#[test]
fn every_core_table_covers_its_major_frame_exactly() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    assert_eq!(plan.core_count(), 4);
    for (id, schedule) in s.iter().enumerate() {
        for core in plan.cores() {
            let table = plan.core_frame_table(ScheduleId(id as u8), core).unwrap();
            assert_eq!(table.major_frame(), schedule.major_frame);
            let covered: u64 = table.entries().iter().map(|e| e.duration().0).sum();
            assert_eq!(Nanos(covered), schedule.major_frame, "schedule {id} core {}", core.0);
        }
    }
}

#[test]
fn a_thread_keeps_its_configured_priority_and_affinity() {
    let f = Fixture::new();
    let s = f.schedules();
    let mut plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (_, cores) = start(&plan);
    let priorities: Vec<(u16, u8)> = cores[0].threads().map(|r| (r.id().0, r.priority())).collect();
    assert_eq!(priorities, [(0, 5), (2, 1), (3, 9)]);
    assert_eq!(plan.thread_affinity(ThreadId(4)), Ok(CoreSet::single(CoreId(2)).with(CoreId(3))));
    plan.migrate(ThreadId(4), CoreSet::single(CoreId(1))).unwrap();
    assert_eq!(plan.thread_affinity(ThreadId(4)), Ok(CoreSet::single(CoreId(1))));
    assert_eq!(plan.thread_affinity(ThreadId(6)), Err(PlanError::UnknownThread { thread: ThreadId(6), threads: 6 }));
}

#[test]
fn refusals_say_which_thread_core_and_state() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (mut tl, mut cores) = start(&plan);
    let e = cores[0].suspend(ThreadId(1)).unwrap_err();
    assert_eq!(e.to_string(), "thread 1 is not placed on core 0");
    let e = cores[0].resume(ThreadId(0), t(1)).unwrap_err();
    assert_eq!(e.to_string(), "thread 0 cannot Resume while Ready");
    let e = tl.request_switch(&plan, ScheduleId(7), t(1)).unwrap_err();
    assert_eq!(e.to_string(), "schedule 7 does not exist (module has 2)");
    assert_eq!(SchedError::Time(TimeError::Overflow).to_string(), "time arithmetic failed: Overflow");
}

#[test]
fn threads_ready_since_the_same_instant_run_in_id_order_after_a_migration() {
    // Each core numbers its own threads' readiness, so t0 (from core 1) and
    // t1 (on core 0) arrive with the same stamp: the lower id goes first.
    let threads = [th(0, &[1], 5), th(0, &[0], 5)];
    let ws = [w(p(0), 10)];
    let s = [Schedule { major_frame: Nanos::from_millis(10).unwrap(), windows: &ws }];
    let mut plan = ModulePlan::new(2, &threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    assert_eq!(cores[0].on_tick(t(1)).runs, tid(1));
    let m = plan.migrate(ThreadId(0), CoreSet::single(CoreId(0))).unwrap();
    assert_eq!((m.from, m.to), (CoreId(1), CoreId(0)));
    let rec = cores[1].release_thread(&plan, ThreadId(0)).unwrap();
    cores[0].adopt_thread(&plan, rec).unwrap();
    assert_eq!(cores[0].on_tick(t(2)).runs, tid(0));
}

#[test]
fn periodic_wait_after_a_switch_is_installed_picks_the_schedule_of_its_release() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (mut tl, mut cores) = start(&plan);
    cores[0].on_tick(t(5));
    cores[1].on_tick(t(5));
    let act = tl.request_switch(&plan, ScheduleId(1), t(5)).unwrap();
    assert_eq!(act.epoch, Epoch::new(t(100)));
    cores[0].install_switch(&plan, act).unwrap();
    cores[1].install_switch(&plan, act).unwrap();
    // P0's next window in schedule 0 would start at the switch: schedule 1's
    // P0 window (1 ms into its frame) releases it instead.
    assert_eq!(cores[0].periodic_wait(ThreadId(0), t(5)), Ok(Some(t(110))));
    // P2's window [6, 8) ms comes before the switch: schedule 0 still rules
    // it (schedule 1 gives P2 no window at all).
    assert_eq!(cores[1].periodic_wait(ThreadId(5), t(5)), Ok(Some(t(60))));
}

#[test]
fn a_switch_earlier_than_the_pending_ones_replaces_them_all() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let at = |schedule: u8, epoch: Ticks| Activation {
        schedule: ScheduleId(schedule),
        epoch: Epoch::new(epoch),
        major_frame: s[usize::from(schedule)].major_frame,
    };
    // One pending switch, then an earlier one: only the earlier is followed.
    let c = &mut cores[0];
    c.on_tick(t(5));
    c.install_switch(&plan, at(1, t(200))).unwrap();
    c.install_switch(&plan, at(1, t(100))).unwrap();
    assert_eq!(c.pending(), Some(at(1, t(100))));
    let d = c.on_tick(t(100));
    assert_eq!(d.events.schedule_switched, Some(ScheduleId(1)));
    assert_eq!(d.window.map(|w| (w.schedule, w.start)), Some((ScheduleId(1), t(100))));

    // Two pending switches, then one earlier than the second.
    let c = &mut cores[1];
    c.on_tick(t(5));
    c.install_switch(&plan, at(1, t(100))).unwrap();
    c.install_switch(&plan, at(0, t(200))).unwrap();
    c.install_switch(&plan, at(1, t(150))).unwrap();
    assert_eq!(c.pending(), Some(at(1, t(150))));
    let d = c.on_tick(t(120));
    assert_eq!((d.events.schedule_switched, d.window.map(|w| w.schedule)), (None, Some(ScheduleId(0))));
    let d = c.on_tick(t(150));
    assert_eq!(d.events.schedule_switched, Some(ScheduleId(1)));
    assert_eq!(d.window.map(|w| (w.schedule, w.start)), Some((ScheduleId(1), t(150))));
}

/// What a core should decide at the first instant of `act`, computed from the
/// plan and exact arithmetic only: frame 0, entry 0 of the new schedule's
/// table, from the switch instant to the end of that entry, the best Ready
/// thread of the core's entry (all threads Ready here).
fn expected_at_switch(plan: &ModulePlan<'_>, hz: u64, act: Activation, core: CoreId) -> (Option<ThreadId>, WindowInfo) {
    let table = plan.core_frame_table(act.schedule, core).unwrap();
    let e0 = table.entries()[0];
    assert_eq!(e0.start, Nanos(0));
    let at = act.epoch.start().0;
    let end = exact_boundary(at, hz, act.major_frame.0, 0, e0.end.0);
    let mut best: Option<ThreadId> = None;
    for t in e0.threads.iter() {
        // Ties keep the lower id: they all became ready at the same instant.
        if best.is_none_or(|b| plan.thread(t).unwrap().priority > plan.thread(b).unwrap().priority) {
            best = Some(t);
        }
    }
    let window = WindowInfo {
        schedule: act.schedule,
        frame: 0,
        entry: 0,
        window: e0.window,
        owner: e0.window_owner,
        start: Ticks(at),
        end: Ticks(end),
    };
    (best, window)
}

#[test]
fn a_switch_decided_at_its_instant_starts_frame_0_entry_0_of_the_new_schedule() {
    // 62.5 MHz (exact ticks) and 54 MHz with an odd epoch (boundaries rounded
    // up), switching each way.
    for (hz, epoch) in [(QEMU_HZ, EPOCH), (PI4_HZ, 12_345_677)] {
        let f = Fixture::new();
        let s = f.schedules();
        let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
        let mut tl = ModuleTimeline::new(&plan, freq(hz), ScheduleId(0), Epoch::new(Ticks(epoch))).unwrap();
        let mut cores: Vec<_> = plan.cores().map(|c| CoreScheduler::new(&plan, &tl, c).unwrap()).collect();
        let mut decisions: Vec<_> = cores.iter_mut().map(|c| c.on_tick(Ticks(epoch))).collect();
        let mut now = epoch;
        for (to, ask_after) in [(1u8, 3), (0, 2), (1, 0)] {
            // A few punctual boundaries, then ask for the switch.
            for _ in 0..ask_after {
                now = decisions.iter().map(|d| d.next_deadline.0).min().unwrap();
                for (c, d) in cores.iter_mut().zip(decisions.iter_mut()) {
                    if d.next_deadline.0 <= now {
                        *d = c.on_tick(Ticks(now));
                    }
                }
            }
            let act = tl.request_switch(&plan, ScheduleId(to), Ticks(now)).unwrap();
            for c in cores.iter_mut() {
                c.install_switch(&plan, act).unwrap();
            }
            // Punctual up to the switch instant (the end of the old frame).
            while now < act.epoch.start().0 {
                now = decisions.iter().map(|d| d.next_deadline.0).min().unwrap();
                for (c, d) in cores.iter_mut().zip(decisions.iter_mut()) {
                    if d.next_deadline.0 <= now {
                        *d = c.on_tick(Ticks(now));
                    }
                }
            }
            assert_eq!(now, act.epoch.start().0, "the switch instant is an old frame boundary");
            for (i, d) in decisions.iter().enumerate() {
                let core = CoreId(i as u8);
                let ctx = format!("hz {hz} switch to {to} core {i}");
                let (runs, window) = expected_at_switch(&plan, hz, act, core);
                assert_eq!(d.window, Some(window), "{ctx}");
                assert_eq!(d.runs, runs, "{ctx}");
                assert_eq!(d.next_deadline, window.end, "{ctx}: all threads ready, the entry's end");
                assert_eq!(d.events, Events { schedule_switched: Some(ScheduleId(to)), ..Events::default() }, "{ctx}");
                // And what a core started on the new schedule at that epoch
                // places itself at (from the epoch, by division).
                let fresh_tl = ModuleTimeline::new(&plan, freq(hz), act.schedule, act.epoch).unwrap();
                let mut fresh = CoreScheduler::new(&plan, &fresh_tl, core).unwrap();
                let f = fresh.on_tick(act.epoch.start());
                assert_eq!((d.runs, d.next_deadline, d.window), (f.runs, f.next_deadline, f.window), "{ctx}");
            }
        }
    }
}

#[test]
fn a_late_core_across_a_switch_counts_the_boundaries_it_missed() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (mut tl, mut cores) = start(&plan);
    for c in cores.iter_mut() {
        c.on_tick(t(25)); // frame 0, P1 window [20, 50)
    }
    let act = tl.request_switch(&plan, ScheduleId(1), t(25)).unwrap();
    assert_eq!(act.epoch, Epoch::new(t(100)));
    for c in cores.iter_mut() {
        c.install_switch(&plan, act).unwrap();
    }
    // Core 1 keeps up to the last old boundary; cores 0, 2 and 3 sleep.
    for now in [t(50), t(60), t(80)] {
        cores[1].on_tick(now);
    }
    // Core 0: late for 50; 60, 80 | 100 (the switch), 110, 120 missed.
    let d = cores[0].on_tick(t(125));
    assert_eq!(
        d.events.missed_boundary,
        Some(MissedBoundary { core: CoreId(0), missed: 5, late_by: Ticks(t(125).0 - t(50).0) })
    );
    assert_eq!(d.events.schedule_switched, Some(ScheduleId(1)));
    let w = d.window.unwrap();
    assert_eq!((w.schedule, w.frame, w.entry, w.start, w.end), (ScheduleId(1), 0, 2, t(120), t(140)));
    assert_eq!((d.runs, d.next_deadline), (None, t(140)));
    // Core 1: late for the switch at 100; 110, 120, 140, 150 missed.
    let d = cores[1].on_tick(t(155));
    assert_eq!(
        d.events.missed_boundary,
        Some(MissedBoundary { core: CoreId(1), missed: 4, late_by: Ticks(t(155).0 - t(100).0) })
    );
    let w = d.window.unwrap();
    assert_eq!((w.schedule, w.frame, w.entry, w.start, w.end), (ScheduleId(1), 1, 1, t(150), t(160)));
    assert_eq!((d.runs, d.next_deadline), (tid(1), t(160)));
    // Core 2: exactly at the end of the new schedule's first entry, late for
    // 50: 60, 80, 100, 110 missed.
    let d = cores[2].on_tick(t(110));
    assert_eq!(
        d.events.missed_boundary,
        Some(MissedBoundary { core: CoreId(2), missed: 4, late_by: Ticks(t(110).0 - t(50).0) })
    );
    let w = d.window.unwrap();
    assert_eq!((w.schedule, w.frame, w.entry, w.start, w.end), (ScheduleId(1), 0, 1, t(110), t(120)));
    // Core 3: inside the new schedule's first entry, late for 50: 60, 80,
    // 100 missed; the new schedule's first entry from its first instant.
    let d = cores[3].on_tick(t(105));
    assert_eq!(
        d.events.missed_boundary,
        Some(MissedBoundary { core: CoreId(3), missed: 3, late_by: Ticks(t(105).0 - t(50).0) })
    );
    let w = d.window.unwrap();
    assert_eq!((w.schedule, w.frame, w.entry, w.start, w.end), (ScheduleId(1), 0, 0, t(100), t(110)));
}

#[test]
fn a_switch_installed_after_a_migration_uses_the_migrated_placement() {
    let f = Fixture::new();
    let s = f.schedules();
    let mut plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (mut tl, mut cores) = start(&plan);
    for c in cores.iter_mut() {
        c.on_tick(t(5));
    }
    // t0 (P0) moves from core 0 to core 2 while schedule 0 runs.
    let m = plan.migrate(ThreadId(0), CoreSet::single(CoreId(2))).unwrap();
    assert_eq!((m.from, m.to), (CoreId(0), CoreId(2)));
    let rec = cores[0].release_thread(&plan, ThreadId(0)).unwrap();
    cores[2].adopt_thread(&plan, rec).unwrap();
    assert_eq!(cores[0].on_tick(t(5)).runs, None);
    assert_eq!(cores[2].on_tick(t(5)).runs, tid(0));
    // It waits for P0's next window, then schedule 1 is installed: the
    // release is re-aimed with core 2's table of schedule 1, which lists t0.
    assert_eq!(cores[2].periodic_wait(ThreadId(0), t(5)), Ok(Some(t(100))));
    let act = tl.request_switch(&plan, ScheduleId(1), t(5)).unwrap();
    for c in cores.iter_mut() {
        c.install_switch(&plan, act).unwrap();
    }
    assert_eq!(
        cores[2].thread_state(ThreadId(0)),
        Some(ThreadState::Waiting(Wait::NextWindow { release: Some(t(110)) }))
    );
    // Every prepared table of both cores follows the migration, not only the
    // active one's.
    for core in [0, 2] {
        for schedule in [ScheduleId(0), ScheduleId(1)] {
            assert_eq!(
                cores[core].prepared_table(schedule),
                Some(&plan.core_frame_table(schedule, CoreId(core as u8)).unwrap()),
                "core {core} schedule {schedule:?}"
            );
        }
    }
    for now in [t(20), t(50), t(60), t(80), t(100)] {
        for c in cores.iter_mut() {
            c.on_tick(now);
        }
    }
    // Schedule 1's P0 window [1, 2) ms: t0 on core 2, nothing on core 0.
    assert_eq!(cores[0].on_tick(t(110)).runs, None);
    let d = cores[2].on_tick(t(110));
    assert_eq!((d.runs, d.events.missed_boundary), (tid(0), None));
    assert_eq!(cores[1].on_tick(t(110)).runs, tid(1));
}

#[test]
fn more_schedules_than_a_core_prepares_tables_for_are_refused() {
    let ws = [w(p(0), 1)];
    let threads = [th(0, &[0], 1)];
    let one = Schedule { major_frame: Nanos::from_millis(1).unwrap(), windows: &ws };
    let most = vec![one; MAX_SCHEDULES];
    let plan = ModulePlan::new(1, &threads, &most).unwrap();
    let tl = ModuleTimeline::new(&plan, freq(QEMU_HZ), ScheduleId(7), Epoch::new(Ticks(EPOCH))).unwrap();
    let c = CoreScheduler::new(&plan, &tl, CoreId(0)).unwrap();
    for i in 0..MAX_SCHEDULES as u8 {
        assert_eq!(c.prepared_table(ScheduleId(i)), Some(&plan.core_frame_table(ScheduleId(i), CoreId(0)).unwrap()));
    }
    assert_eq!(c.prepared_table(ScheduleId(MAX_SCHEDULES as u8)), None);

    let too_many = vec![one; MAX_SCHEDULES + 1];
    let e = ModulePlan::new(1, &threads, &too_many).unwrap_err();
    assert_eq!(e, PlanError::TooManySchedules { schedules: 9, max: 8 });
    assert_eq!(e.to_string(), "module declares 9 schedules; at most 8 are supported");
}

#[test]
fn a_switch_to_a_schedule_without_a_prepared_table_is_refused() {
    let f = Fixture::new();
    let s = f.schedules();
    let plan = ModulePlan::new(4, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let bogus = Activation { schedule: ScheduleId(2), epoch: Epoch::new(t(100)), major_frame: Nanos(1_000_000) };
    assert_eq!(
        cores[0].install_switch(&plan, bogus),
        Err(SchedError::Plan(PlanError::UnknownSchedule { schedule: ScheduleId(2), schedules: 2 }))
    );
    assert_eq!(cores[0].pending(), None);
    // A timeline naming a schedule the plan lacks is refused too.
    let other_ws = [w(p(0), 1)];
    let more = [s[0], s[1], Schedule { major_frame: Nanos::from_millis(1).unwrap(), windows: &other_ws }];
    let bigger = ModulePlan::new(4, &f.threads, &more).unwrap();
    let tl = ModuleTimeline::new(&bigger, freq(QEMU_HZ), ScheduleId(2), Epoch::new(Ticks(EPOCH))).unwrap();
    assert_eq!(
        CoreScheduler::new(&plan, &tl, CoreId(0)).unwrap_err(),
        SchedError::Plan(PlanError::UnknownSchedule { schedule: ScheduleId(2), schedules: 2 })
    );
}

// ARINC 653 processes on one core: priorities, the preemption lock, release
// points and deadlines. One core; schedule 0: 10 ms = P0 4 | P1 4 | spare 2;
// schedule 1: 4 ms = P1 2 | P0 2.
//
// P0: a (prio 5, period 10 ms, capacity 3 ms), b (prio 5), c (prio 9,
// aperiodic, capacity 2 ms). P1: d (prio 1, period 10 ms, capacity 2 ms).

const A: ThreadId = ThreadId(0);
const B: ThreadId = ThreadId(1);
const C: ThreadId = ThreadId(2);
const D: ThreadId = ThreadId(3);

fn process(partition: u8, priority: u8, period_ms: Option<u64>, capacity_ms: Option<u64>) -> ThreadSpec {
    ThreadSpec {
        period: period_ms.map(|ms| Nanos::from_millis(ms).unwrap()),
        time_capacity: capacity_ms.map(|ms| Nanos::from_millis(ms).unwrap()),
        ..th(partition, &[0], priority)
    }
}

struct Processes {
    threads: [ThreadSpec; 4],
    w0: Vec<Window>,
    w1: Vec<Window>,
}

impl Processes {
    fn new() -> Self {
        Processes {
            threads: [
                process(0, 5, Some(10), Some(3)),
                process(0, 5, None, None),
                process(0, 9, None, Some(2)),
                process(1, 1, Some(10), Some(2)),
            ],
            w0: vec![w(p(0), 4), w(p(1), 4)],
            w1: vec![w(p(1), 2), w(p(0), 2)],
        }
    }
    fn schedules(&self) -> [Schedule<'_>; 2] {
        [
            Schedule { major_frame: Nanos::from_millis(10).unwrap(), windows: &self.w0 },
            Schedule { major_frame: Nanos::from_millis(4).unwrap(), windows: &self.w1 },
        ]
    }
}

fn timing(release: Option<Ticks>, deadline: Option<Ticks>) -> Option<ThreadTiming> {
    Some(ThreadTiming { release, deadline })
}

#[test]
fn threads_of_one_partition_may_outnumber_and_share_cores() {
    // Rule 4: three threads of one partition on a one-core module, and on
    // two cores spread fewest-of-their-partition first.
    let three = [th(0, &[0], 1), th(0, &[0], 7), th(0, &[0], 7)];
    let ws = [w(p(0), 1)];
    let s = [Schedule { major_frame: Nanos::from_millis(2).unwrap(), windows: &ws }];
    let plan = ModulePlan::new(1, &three, &s).unwrap();
    let (_, mut cores) = start(&plan);
    assert_eq!(cores[0].on_tick(t(0)).runs, tid(1), "highest priority, first among equals");
    cores[0].wait_until(ThreadId(1), t(1), t(0)).unwrap();
    assert_eq!(cores[0].on_tick(t(0)).runs, tid(2));
    assert_eq!(cores[0].on_tick(t(1)).runs, tid(2), "the woken equal queues behind");

    let spread = [th(0, &[0, 1], 1), th(0, &[0, 1], 1), th(0, &[0, 1], 1)];
    let plan = ModulePlan::new(2, &spread, &s).unwrap();
    let on: Vec<_> = (0..3).map(|i| plan.thread_core(ThreadId(i)).unwrap().0).collect();
    assert_eq!(on, [0, 1, 0]);
}

#[test]
fn set_priority_requeues_a_ready_thread_as_the_newest_of_its_priority() {
    let f = Processes::new();
    let s = f.schedules();
    let plan = ModulePlan::new(1, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c0 = &mut cores[0];
    assert_eq!(c0.on_tick(t(0)).runs, Some(C));
    c0.set_priority(C, 1, t(1)).unwrap();
    assert_eq!(c0.on_tick(t(1)).runs, Some(A), "a and b at 5, a first");
    c0.set_priority(A, 5, t(2)).unwrap();
    assert_eq!(c0.on_tick(t(2)).runs, Some(B), "a re-queued as the newest of priority 5");
    assert_eq!(c0.thread(C).map(|r| (r.priority(), r.base_priority())), Some((1, 9)));
    c0.set_priority(C, 7, t(3)).unwrap();
    assert_eq!(c0.on_tick(t(3)).runs, Some(C));
    c0.stop(C).unwrap();
    assert_eq!(
        c0.set_priority(C, 3, t(3)),
        Err(SchedError::InvalidState { thread: C, op: ThreadOp::SetPriority, state: ThreadState::Stopped })
    );
    c0.start(C, t(4)).unwrap();
    assert_eq!(c0.thread(C).map(|r| r.priority()), Some(9), "start restores the base priority");
    // A waiting thread takes the new priority when it wakes.
    c0.wait_until(B, t(6), t(4)).unwrap();
    c0.set_priority(B, 200, t(4)).unwrap();
    assert_eq!(c0.on_tick(t(5)).runs, Some(C));
    assert_eq!(c0.on_tick(t(6)).runs, Some(B));
    // Re-queued behind a peer that became Ready after it did.
    c0.set_priority(B, 5, t(7)).unwrap();
    c0.wait_until(A, t(8), t(7)).unwrap();
    c0.set_priority(C, 0, t(7)).unwrap();
    assert_eq!(c0.on_tick(t(8)).runs, Some(B), "b re-queued at t(7), a Ready since t(8)");
    c0.set_priority(B, 5, t(9)).unwrap();
    assert_eq!(c0.on_tick(t(9)).runs, Some(A), "b re-queued at t(9)");
}

#[test]
fn the_preemption_lock_holder_runs_ahead_of_higher_priorities() {
    let f = Processes::new();
    let s = f.schedules();
    let plan = ModulePlan::new(1, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c0 = &mut cores[0];
    c0.wait_until(C, t(10), t(0)).unwrap();
    assert_eq!(c0.on_tick(t(0)).runs, Some(A));
    assert_eq!(c0.lock_preemption(A), Ok(1));
    assert_eq!(c0.lock_preemption(A), Ok(2));
    assert_eq!((c0.preemption_level(), c0.preemption_holder()), (2, Some(A)));
    assert_eq!(c0.on_tick(t(10)).runs, Some(A), "c (9) is Ready, a holds the lock");
    assert_eq!(c0.lock_preemption(B), Err(SchedError::PreemptionLockHeld { thread: B, holder: A }));
    assert_eq!(c0.unlock_preemption(B), Err(SchedError::NotPreemptionHolder { thread: B, holder: Some(A) }));
    for level in 3..=MAX_PREEMPTION_LOCK_LEVEL {
        assert_eq!(c0.lock_preemption(A), Ok(level));
    }
    assert_eq!(c0.lock_preemption(A), Err(SchedError::PreemptionLockTooDeep { thread: A, max: 16 }));
    // Not Ready: the normal choice applies while the lock stays.
    c0.suspend(A).unwrap();
    assert_eq!(c0.on_tick(t(11)).runs, Some(C));
    c0.resume(A, t(12)).unwrap();
    assert_eq!(c0.on_tick(t(12)).runs, Some(A));
    // In P1's window the holder is not a candidate.
    assert_eq!(c0.on_tick(t(40)).runs, Some(D));
    for level in (0..MAX_PREEMPTION_LOCK_LEVEL).rev() {
        assert_eq!(c0.unlock_preemption(A), Ok(level));
    }
    assert_eq!(c0.preemption_holder(), None);
    assert_eq!(c0.unlock_preemption(A), Err(SchedError::NotPreemptionHolder { thread: A, holder: None }));
    assert_eq!(c0.on_tick(t(100)).runs, Some(C), "unlocked: the normal choice at the next decision");
    // Stop (and so restart) of the holder clears the lock.
    assert_eq!(c0.lock_preemption(C), Ok(1));
    c0.stop(C).unwrap();
    assert_eq!((c0.preemption_level(), c0.preemption_holder()), (0, None));
    assert_eq!(
        c0.lock_preemption(C),
        Err(SchedError::InvalidState { thread: C, op: ThreadOp::LockPreemption, state: ThreadState::Stopped })
    );
}

#[test]
fn periodic_release_points_are_r0_plus_k_periods_and_deadlines_follow_them() {
    let f = Processes::new();
    let s = f.schedules();
    let plan = ModulePlan::new(1, &f.threads, &s).unwrap();
    let (mut tl, mut cores) = start(&plan);
    let c0 = &mut cores[0];
    // Ready at load: released at the partition's first window.
    assert_eq!(c0.thread_timing(A), timing(Some(t(0)), Some(t(30))));
    assert_eq!(c0.thread_timing(D), timing(Some(t(40)), Some(t(60))));
    assert_eq!(c0.thread_timing(B), timing(Some(t(0)), None));
    assert_eq!(c0.on_tick(t(5)).runs, Some(C));
    c0.wait_until(C, t(900), t(5)).unwrap();
    c0.wait_until(B, t(150), t(5)).unwrap();
    assert_eq!(c0.on_tick(t(5)).runs, Some(A));
    assert_eq!(c0.periodic_wait(A, t(5)), Ok(Some(t(100))));
    assert_eq!(c0.thread_state(A), Some(ThreadState::Waiting(Wait::NextRelease(t(100)))));
    assert_eq!(c0.thread_timing(A), timing(Some(t(100)), Some(t(130))));
    assert_eq!(c0.on_tick(t(100)).runs, Some(A));
    // Late: release 2 (t(200)) is past at t(250), so a is Ready at once, and
    // the grid stays r0 + k * period.
    assert_eq!(c0.periodic_wait(A, t(250)), Ok(Some(t(200))));
    assert_eq!(c0.thread_state(A), Some(ThreadState::Ready));
    assert_eq!(c0.periodic_wait(A, t(250)), Ok(Some(t(300))));
    // Restarted outside its window (P1 owns 4..8 ms): r0 is the next P0 window.
    c0.stop(A).unwrap();
    assert_eq!(c0.thread_timing(A), timing(None, None));
    c0.start(A, t(350)).unwrap();
    assert_eq!(c0.thread_timing(A), timing(Some(t(400)), Some(t(430))));
    // Restarted inside it: r0 is that window's start.
    c0.stop(A).unwrap();
    c0.start(A, t(411)).unwrap();
    assert_eq!(c0.thread_timing(A), timing(Some(t(400)), Some(t(430))));
    // A periodic thread keeps its grid across a schedule switch; an
    // aperiodic periodic wait is re-aimed at the new schedule.
    assert_eq!(c0.on_tick(t(412)).runs, Some(B), "Ready since t(150), a only since its restart");
    assert_eq!(c0.periodic_wait(A, t(412)), Ok(Some(t(500))));
    assert_eq!(c0.periodic_wait(B, t(412)), Ok(Some(t(500))));
    let act = tl.request_switch(&plan, ScheduleId(1), t(412)).unwrap();
    assert_eq!(act.epoch.start(), t(500));
    c0.install_switch(&plan, act).unwrap();
    assert_eq!(c0.thread_state(A), Some(ThreadState::Waiting(Wait::NextRelease(t(500)))));
    assert_eq!(c0.thread_state(B), Some(ThreadState::Waiting(Wait::NextWindow { release: Some(t(520)) })));
}

#[test]
fn a_deadline_miss_is_reported_once_in_the_owners_window() {
    let f = Processes::new();
    let s = f.schedules();
    let plan = ModulePlan::new(1, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c0 = &mut cores[0];
    // c's deadline (2 ms) falls inside P0's window: the decision ends there.
    let d = c0.on_tick(t(0));
    assert_eq!((d.runs, d.next_deadline, d.events.deadline_missed), (Some(C), t(20), ThreadSet::EMPTY));
    let d = c0.on_tick(t(20));
    assert_eq!(d.events.deadline_missed, ThreadSet::EMPTY.with(C));
    assert_eq!(d.next_deadline, t(30), "a's deadline next");
    assert_eq!(c0.on_tick(t(20)).events.deadline_missed, ThreadSet::EMPTY, "once per deadline");
    // REPLENISH moves it and re-arms the report.
    assert_eq!(c0.replenish(C, Nanos::from_millis(1).unwrap(), t(25)), Ok(Some(t(35))));
    // a completes before its deadline (3 ms): never reported.
    c0.set_priority(C, 0, t(25)).unwrap();
    assert_eq!(c0.on_tick(t(25)).runs, Some(A));
    c0.periodic_wait(A, t(25)).unwrap();
    let d = c0.on_tick(t(25));
    assert_eq!(d.next_deadline, t(35));
    assert_eq!(c0.on_tick(t(35)).events.deadline_missed, ThreadSet::EMPTY.with(C));
    // An aperiodic periodic wait leaves no deadline.
    c0.periodic_wait(C, t(36)).unwrap();
    assert_eq!(c0.thread_timing(C), timing(Some(t(100)), None));
    let d = c0.on_tick(t(36));
    assert_eq!((d.next_deadline, d.events.deadline_missed), (t(40), ThreadSet::EMPTY), "a's t(30) was met");

    // d (P1): released at t(40), deadline t(60), inside P1's window.
    let d = c0.on_tick(t(40));
    assert_eq!((d.runs, d.next_deadline), (Some(D), t(60)));
    // Replenished into the spare time: never reported outside P1's window,
    // reported at the first decision of P1's next one.
    assert_eq!(c0.replenish(D, Nanos::from_millis(3).unwrap(), t(55)), Ok(Some(t(85))));
    c0.suspend(D).unwrap();
    assert_eq!(c0.on_tick(t(55)).next_deadline, t(80), "the window end comes first");
    assert_eq!(c0.on_tick(t(80)).events.deadline_missed, ThreadSet::EMPTY, "spare time");
    assert_eq!(c0.on_tick(t(100)).events.deadline_missed, ThreadSet::EMPTY, "P0's window");
    let d = c0.on_tick(t(140));
    assert_eq!(d.events.deadline_missed, ThreadSet::EMPTY.with(D), "a suspended thread still has a deadline");
    // Late for release 1 (t(140)): Ready at once, deadline t(160). Stopped:
    // done, no deadline.
    c0.resume(D, t(141)).unwrap();
    assert_eq!(c0.periodic_wait(D, t(141)), Ok(Some(t(140))));
    assert_eq!(c0.thread_timing(D), timing(Some(t(140)), Some(t(160))));
    c0.stop(D).unwrap();
    assert_eq!(c0.on_tick(t(160)).events.deadline_missed, ThreadSet::EMPTY);
}

#[test]
fn replenish_refuses_a_deadline_past_the_next_release_point() {
    let f = Processes::new();
    let s = f.schedules();
    let plan = ModulePlan::new(1, &f.threads, &s).unwrap();
    let (_, mut cores) = start(&plan);
    let c0 = &mut cores[0];
    // d: release 0 at t(40), release 1 at t(140).
    assert_eq!(c0.replenish(D, Nanos::from_millis(9).unwrap(), t(50)), Ok(Some(t(140))));
    let e = c0.replenish(D, Nanos(9_000_001), t(50));
    assert_eq!(
        e,
        Err(SchedError::DeadlinePastNextRelease { thread: D, deadline: Ticks(t(140).0 + 1), next_release: t(140) })
    );
    assert_eq!(c0.thread_timing(D), timing(Some(t(40)), Some(t(140))), "unchanged when refused");
    assert!(matches!(
        c0.replenish(D, Nanos(u64::MAX), t(50)),
        Err(SchedError::DeadlinePastNextRelease { deadline: Ticks::MAX, .. })
    ));
    // Aperiodic: any budget; the infinite one removes the deadline.
    assert_eq!(c0.replenish(C, Nanos::from_secs(60).unwrap(), t(0)), Ok(Some(Ticks(t(0).0 + 60 * 1000 * MS))));
    assert_eq!(c0.replenish(C, Nanos(u64::MAX), t(0)), Ok(None));
    assert_eq!(c0.replenish(B, Nanos(1), t(0)), Ok(Some(Ticks(t(0).0 + 1))), "rounded up to a tick");
    // Only the running (Ready) thread replenishes.
    c0.suspend(B).unwrap();
    assert_eq!(
        c0.replenish(B, Nanos(1), t(0)),
        Err(SchedError::InvalidState { thread: B, op: ThreadOp::Replenish, state: ThreadState::Suspended })
    );
}
