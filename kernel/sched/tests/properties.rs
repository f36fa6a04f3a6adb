//! Property tests of the scheduler's invariants over random modules and
//! schedules (ARINC 653 Part 1 Partition Scheduling with CAST-32A's one
//! partition per window): never two partitions at once, identical switch
//! instants on every core, threads only on their core and in their
//! partition's windows, no drift, and exact recovery after missed boundaries.
//!
//! Cases come from a fixed-seed generator (tests/common), so a failure names
//! its case number and reproduces exactly. The oracle for instants and
//! windows is exact integer arithmetic written independently of
//! bulkhead-time.

mod common;

use bulkhead_sched::*;
use common::*;

/// The schedule in force from a counter value on, as the test expects it.
#[derive(Clone, Copy, Debug)]
struct Era {
    from: u64,
    schedule: usize,
}

fn era_at(eras: &[Era], now: u64) -> Era {
    *eras.iter().rev().find(|e| e.from <= now).unwrap()
}

/// Entries per frame as the core tables have them: windows plus trailing spare.
fn entries(m: &Module, s: usize) -> usize {
    let used: u64 = m.windows[s].iter().map(|w| w.duration.0).sum();
    m.windows[s].len() + usize::from(used < m.majors[s].0)
}

/// Exact start/end instants of (frame, window-or-spare) of schedule `s`.
fn exact_bounds(m: &Module, s: usize, epoch: u64, frame: u64, window: Option<usize>) -> (u64, u64) {
    let ws = &m.windows[s];
    let major = m.majors[s].0;
    let (start, end) = match window {
        Some(i) => {
            let start: u64 = ws[..i].iter().map(|w| w.duration.0).sum();
            (start, start + ws[i].duration.0)
        }
        None => (ws.iter().map(|w| w.duration.0).sum(), major),
    };
    (exact_boundary(epoch, m.hz, major, frame, start), exact_boundary(epoch, m.hz, major, frame, end))
}

struct Sim<'a> {
    m: &'a Module,
    plan: ModulePlan<'a>,
    tl: ModuleTimeline,
    cores: Vec<CoreScheduler>,
    decisions: Vec<Decision>,
    eras: Vec<Era>,
}

impl<'a> Sim<'a> {
    fn new(m: &'a Module, schedules: &'a [Schedule<'a>], epoch: u64) -> Self {
        let plan = ModulePlan::new(m.cores, &m.threads, schedules).unwrap();
        let tl = ModuleTimeline::new(&plan, freq(m.hz), ScheduleId(0), Epoch::new(Ticks(epoch))).unwrap();
        let mut cores: Vec<_> = plan.cores().map(|c| CoreScheduler::new(&plan, &tl, c).unwrap()).collect();
        let decisions = cores.iter_mut().map(|c| c.on_tick(Ticks(epoch))).collect();
        Sim { m, plan, tl, cores, decisions, eras: vec![Era { from: epoch, schedule: 0 }] }
    }

    /// Check every invariant at instant `now`, with each core's latest
    /// decision in force.
    fn check(&self, case: usize, now: u64) {
        let m = self.m;
        let era = era_at(&self.eras, now);
        let (frame, window) = exact_window(era.from, m.hz, m.majors[era.schedule].0, &m.windows[era.schedule], now);
        let (start, end) = exact_bounds(m, era.schedule, era.from, frame, window);
        let owner = window.and_then(|i| m.windows[era.schedule][i].owner);
        let mut running_partition: Option<PartitionId> = None;
        for (c, d) in self.decisions.iter().enumerate() {
            let core = CoreId(c as u8);
            let ctx = format!("case {case} core {c} now {now} era {era:?} window {window:?} decision {d:?}");
            let win = d.window.unwrap_or_else(|| panic!("{ctx}: no window"));
            // Same instants on every core, and they are the exact ones.
            assert_eq!((win.start.0, win.end.0), (start, end), "{ctx}");
            assert_eq!(win.schedule, ScheduleId(era.schedule as u8), "{ctx}");
            assert_eq!((win.frame, win.window.map(usize::from)), (frame, window), "{ctx}");
            assert_eq!(win.owner, owner, "{ctx}");
            // Deadline: the window end, or an earlier wake-up of a thread
            // that may run in this window on this core.
            let wake = self.plan.threads_on(core).iter().filter_map(|t| {
                let owned = Some(self.plan.thread(t).unwrap().partition) == owner;
                match self.cores[c].thread_state(t) {
                    Some(ThreadState::Waiting(Wait::Until(u))) if owned => Some(u.0),
                    Some(ThreadState::Waiting(Wait::NextWindow { release: Some(r) })) if owned => Some(r.0),
                    _ => None,
                }
            });
            let expect_deadline = wake.filter(|&r| r > now).fold(end, u64::min);
            assert_eq!(d.next_deadline.0, expect_deadline, "{ctx}");
            assert!(d.next_deadline.0 > now, "{ctx}");
            // The runner: on its own core, of the window's owner, the best ready one.
            let best = self.plan.threads_on(core).iter().filter(|t| {
                let spec = self.plan.thread(*t).unwrap();
                Some(spec.partition) == owner && self.cores[c].thread_state(*t) == Some(ThreadState::Ready)
            });
            let best_priority = best.map(|t| self.plan.thread(t).unwrap().priority).max();
            match d.runs {
                None => assert_eq!(best_priority, None, "{ctx}: idles with a ready thread"),
                Some(t) => {
                    let spec = self.plan.thread(t).unwrap();
                    assert_eq!(self.plan.thread_core(t), Ok(core), "{ctx}: thread off its core");
                    assert_eq!(Some(spec.partition), owner, "{ctx}: thread outside its partition's window");
                    assert_eq!(self.cores[c].thread_state(t), Some(ThreadState::Ready), "{ctx}");
                    assert_eq!(Some(spec.priority), best_priority, "{ctx}: not the highest priority");
                    if let Some(p) = running_partition {
                        assert_eq!(p, spec.partition, "{ctx}: two partitions at once");
                    }
                    running_partition = Some(spec.partition);
                }
            }
        }
    }

    fn tick(&mut self, c: usize, now: u64) {
        self.decisions[c] = self.cores[c].on_tick(Ticks(now));
        assert_eq!(self.decisions[c].events.missed_boundary, None, "punctual simulation never misses");
    }
}

#[test]
fn random_modules_keep_the_partitioning_invariants() {
    let mut rng = Rng(0x5eed_0001);
    for case in 0..300 {
        let m = Module::random(&mut rng);
        let schedules = m.schedules();
        let epoch = rng.range(0, 1 << 40);
        let mut sim = Sim::new(&m, &schedules, epoch);
        let mut now = epoch;
        sim.check(case, now);
        for _ in 0..300 {
            now = sim.decisions.iter().map(|d| d.next_deadline.0).min().unwrap();
            for c in 0..sim.cores.len() {
                if sim.decisions[c].next_deadline.0 <= now {
                    sim.tick(c, now);
                }
            }
            sim.check(case, now);

            // Disturb: thread operations by running threads, suspensions and
            // restarts from outside, migrations and schedule switches.
            let c = rng.range(0, u64::from(m.cores) - 1) as usize;
            let roll = rng.range(0, 99);
            if let Some(t) = sim.decisions[c].runs {
                if roll < 15 {
                    let until = now + rng.range(0, 3 * m.hz / 1000);
                    sim.cores[c].wait_until(t, Ticks(until), Ticks(now)).unwrap();
                } else if roll < 25 {
                    let release = sim.cores[c].periodic_wait(t, Ticks(now)).unwrap();
                    assert!(release.is_none_or(|r| r.0 > now), "case {case}");
                } else if roll < 28 {
                    sim.cores[c].suspend(t).unwrap();
                } else if roll < 30 {
                    sim.cores[c].stop(t).unwrap();
                }
            }
            if (30..40).contains(&roll) {
                let ts: Vec<_> = sim.cores[c].threads().map(|r| (r.id(), r.state())).collect();
                for (t, s) in ts {
                    match s {
                        ThreadState::Suspended => sim.cores[c].resume(t, Ticks(now)).unwrap(),
                        ThreadState::Stopped => sim.cores[c].start(t, Ticks(now)).unwrap(),
                        _ => {}
                    }
                }
            }
            if (40..43).contains(&roll) && !m.threads.is_empty() {
                let t = ThreadId(rng.range(0, m.threads.len() as u64 - 1) as u16);
                let bits = rng.range(1, 15) as u8 & CoreSet::first_n(m.cores).bits();
                let affinity = if bits == 0 { CoreSet::single(CoreId(0)) } else { CoreSet::from_bits(bits) };
                let mv = sim.plan.migrate(t, affinity).unwrap();
                if mv.moved() {
                    let rec = sim.cores[usize::from(mv.from.0)].release_thread(&sim.plan, t).unwrap();
                    sim.cores[usize::from(mv.to.0)].adopt_thread(&sim.plan, rec).unwrap();
                }
                for k in mv.reschedule_cores().iter() {
                    sim.tick(usize::from(k.0), now);
                }
                for k in 0..sim.cores.len() {
                    assert_eq!(
                        sim.cores[k].active_table(),
                        &sim.plan.core_frame_table(sim.cores[k].active().schedule, CoreId(k as u8)).unwrap(),
                        "case {case}: core {k} table stale after migration"
                    );
                    // The tables prepared for the other schedules too.
                    for i in 0..m.majors.len() {
                        let id = ScheduleId(i as u8);
                        assert_eq!(
                            sim.cores[k].prepared_table(id),
                            Some(&sim.plan.core_frame_table(id, CoreId(k as u8)).unwrap()),
                            "case {case}: core {k} schedule {i} prepared table stale after migration"
                        );
                    }
                }
            }
            if (43..46).contains(&roll) {
                let to = rng.range(0, m.majors.len() as u64 - 1) as usize;
                let act = sim.tl.request_switch(&sim.plan, ScheduleId(to as u8), Ticks(now)).unwrap();
                let era = era_at(&sim.eras, now);
                let (frame, _) = exact_window(era.from, m.hz, m.majors[era.schedule].0, &m.windows[era.schedule], now);
                let at = exact_boundary(era.from, m.hz, m.majors[era.schedule].0, frame + 1, 0);
                assert_eq!(act.epoch.start().0, at, "case {case}: switch not at the next major frame");
                sim.eras.retain(|e| e.from <= now);
                sim.eras.push(Era { from: at, schedule: to });
                for core in sim.cores.iter_mut() {
                    core.install_switch(&sim.plan, act).unwrap();
                }
            }
            sim.tick(c, now);
            sim.check(case, now);
        }
    }
}

#[test]
fn boundaries_at_frame_one_million_match_exact_math() {
    let mut rng = Rng(0x5eed_0002);
    for case in 0..200 {
        let m = Module::random(&mut rng);
        let schedules = m.schedules();
        let epoch = rng.range(0, 1 << 40);
        let plan = ModulePlan::new(m.cores, &m.threads, &schedules).unwrap();
        let tl = ModuleTimeline::new(&plan, freq(m.hz), ScheduleId(0), Epoch::new(Ticks(epoch))).unwrap();
        let major = m.majors[0].0;
        let frame = 1_000_000 - rng.range(0, 2);
        let mut now = exact_boundary(epoch, m.hz, major, frame, 0);
        let mut cores: Vec<_> = plan.cores().map(|c| CoreScheduler::new(&plan, &tl, c).unwrap()).collect();
        // Two frames of boundaries, each core ticked exactly at its deadline
        // (windows shorter than a tick share an instant with the next one).
        let stop = exact_boundary(epoch, m.hz, major, frame + 2, 0);
        let mut step = 0;
        while now < stop {
            let (f, window) = exact_window(epoch, m.hz, major, &m.windows[0], now);
            let (start, end) = exact_bounds(&m, 0, epoch, f, window);
            for core in cores.iter_mut() {
                let d = core.on_tick(Ticks(now));
                let w = d.window.unwrap();
                assert_eq!((w.frame, w.window.map(usize::from)), (f, window), "case {case} step {step}");
                assert_eq!((w.start.0, w.end.0), (start, end), "case {case} step {step}: drift");
                assert_eq!(d.events.missed_boundary, None, "case {case} step {step}");
                assert_eq!(d.next_deadline.0, end, "case {case} step {step}: all threads ready");
            }
            assert!(f >= frame && f <= frame + 1, "case {case}");
            now = end;
            step += 1;
        }
    }
}

#[test]
fn stepping_a_million_frames_one_boundary_at_a_time_does_not_drift() {
    // The O(1) path (step to the next entry) over 2e6 boundaries, at 54 MHz
    // with a period that is not a whole number of ticks (333_333 ns =
    // 17_999.982 ticks), against exact math at every boundary.
    let threads = [ThreadSpec {
        partition: PartitionId(0),
        affinity: CoreSet::first_n(1),
        priority: 1,
        period: None,
        time_capacity: None,
    }];
    let ws = [Window { owner: Some(PartitionId(0)), duration: Nanos(111_111) }];
    let s = [Schedule { major_frame: Nanos(333_333), windows: &ws }];
    let plan = ModulePlan::new(1, &threads, &s).unwrap();
    let epoch = 12_345;
    let tl = ModuleTimeline::new(&plan, freq(PI4_HZ), ScheduleId(0), Epoch::new(Ticks(epoch))).unwrap();
    let mut core = CoreScheduler::new(&plan, &tl, CoreId(0)).unwrap();
    let mut now = epoch;
    for frame in 0..1_000_000u64 {
        for (offset_end, runs) in [(111_111u64, Some(ThreadId(0))), (333_333, None)] {
            let d = core.on_tick(Ticks(now));
            let end = exact_boundary(epoch, PI4_HZ, 333_333, frame, offset_end);
            assert_eq!(d.next_deadline.0, end, "frame {frame}");
            assert_eq!(d.runs, runs);
            now = end;
        }
    }
    assert_eq!(now, epoch + 17_999_982_000, "1e6 frames = 333.333 s = exactly 17_999_982_000 ticks");
}

#[test]
fn after_any_missed_span_the_decision_is_what_a_fresh_core_computes() {
    let mut rng = Rng(0x5eed_0003);
    for case in 0..300 {
        let m = Module::random(&mut rng);
        let schedules = m.schedules();
        let epoch = rng.range(0, 1 << 40);
        let plan = ModulePlan::new(m.cores, &m.threads, &schedules).unwrap();
        let tl = ModuleTimeline::new(&plan, freq(m.hz), ScheduleId(0), Epoch::new(Ticks(epoch))).unwrap();
        let major = m.majors[0].0;
        let n = entries(&m, 0) as u128;
        // The same time-independent disturbances for the long-lived and the
        // fresh schedulers: some threads stopped or suspended, some waiting
        // until absolute instants.
        let mut ops = Vec::new();
        for t in 0..m.threads.len() {
            match rng.range(0, 5) {
                0 => ops.push((t, 0u8, 0u64)),
                1 => ops.push((t, 1, 0)),
                2 => ops.push((t, 2, epoch + rng.range(1, 20 * major.max(1) * m.hz / 1_000_000_000 + 1))),
                _ => {}
            }
        }
        let apply = |core: &mut CoreScheduler| {
            for &(t, op, until) in &ops {
                let t = ThreadId(t as u16);
                if core.thread_state(t).is_none() {
                    continue;
                }
                match op {
                    0 => core.stop(t).unwrap(),
                    1 => core.suspend(t).unwrap(),
                    _ => core.wait_until(t, Ticks(until), Ticks(epoch)).unwrap(),
                }
            }
        };
        for c in plan.cores() {
            let mut long = CoreScheduler::new(&plan, &tl, c).unwrap();
            apply(&mut long);
            let mut now = epoch + rng.range(0, 1000);
            let mut last = long.on_tick(Ticks(now));
            for jump in 0..20 {
                let ticks_per_frame = (major as u128 * m.hz as u128 / 1_000_000_000) as u64 + 1;
                now += match rng.range(0, 3) {
                    0 => rng.range(0, ticks_per_frame),
                    1 => rng.range(0, 50 * ticks_per_frame),
                    2 => rng.range(0, 1 << 36),
                    _ => last.next_deadline.0 - now,
                };
                let d = long.on_tick(Ticks(now));
                let mut fresh = CoreScheduler::new(&plan, &tl, c).unwrap();
                apply(&mut fresh);
                let f = fresh.on_tick(Ticks(now));
                let ctx = format!("case {case} core {} jump {jump} now {now}", c.0);
                assert_eq!((d.runs, d.next_deadline, d.window), (f.runs, f.next_deadline, f.window), "{ctx}");
                assert_eq!(f.events, Events::default(), "{ctx}");
                // Missed count against exact global entry indices.
                let at = |x: Decision| {
                    let w = x.window.unwrap();
                    u128::from(w.frame) * n + u128::from(w.entry)
                };
                let (ef, ew) = exact_window(epoch, m.hz, major, &m.windows[0], now);
                // Missed: boundaries in (last window end, now]. The oracle's
                // entry index of an instant is (frame, window or spare).
                let exact_at = |x: u64| {
                    let (f, w) = exact_window(epoch, m.hz, major, &m.windows[0], x);
                    u128::from(f) * n + w.map_or(n - 1, |i| i as u128)
                };
                let last_end = last.window.unwrap().end.0;
                let expect_missed = if now >= last_end { exact_at(now) - exact_at(last_end) } else { 0 };
                assert_eq!((d.window.unwrap().frame, d.window.unwrap().window.map(usize::from)), (ef, ew), "{ctx}");
                match d.events.missed_boundary {
                    None => assert_eq!(expect_missed, 0, "{ctx}: missed boundaries not reported"),
                    Some(mb) => {
                        assert_eq!(u128::from(mb.missed), expect_missed, "{ctx}");
                        assert_eq!(mb.core, c);
                        assert_eq!(mb.late_by.0, now - last_end, "{ctx}");
                    }
                }
                assert!(at(d) >= at(last), "{ctx}: went backwards");
                last = d;
            }
        }
    }
}

#[test]
fn across_schedule_switches_a_late_core_decides_like_a_fresh_one() {
    let mut rng = Rng(0x5eed_0004);
    for case in 0..200 {
        let m = Module::random(&mut rng);
        let schedules = m.schedules();
        let epoch = rng.range(0, 1 << 40);
        let plan = ModulePlan::new(m.cores, &m.threads, &schedules).unwrap();
        let mut tl = ModuleTimeline::new(&plan, freq(m.hz), ScheduleId(0), Epoch::new(Ticks(epoch))).unwrap();
        let mut eras = vec![Era { from: epoch, schedule: 0 }];
        let mut cores: Vec<_> = plan.cores().map(|c| CoreScheduler::new(&plan, &tl, c).unwrap()).collect();
        let mut last_tick = vec![epoch; cores.len()];
        let mut now = epoch;
        for c in cores.iter_mut() {
            c.on_tick(Ticks(now));
        }
        for jump in 0..30 {
            let era = era_at(&eras, now);
            let tpf = (m.majors[era.schedule].0 as u128 * m.hz as u128 / 1_000_000_000) as u64 + 1;
            now += match rng.range(0, 2) {
                0 => rng.range(0, tpf),
                1 => rng.range(0, 5 * tpf),
                _ => rng.range(0, 1 << 30),
            };
            if rng.chance(40) {
                let to = rng.range(0, m.majors.len() as u64 - 1) as usize;
                let act = tl.request_switch(&plan, ScheduleId(to as u8), Ticks(now)).unwrap();
                let (frame, _) = exact_window(
                    era_at(&eras, now).from,
                    m.hz,
                    m.majors[era_at(&eras, now).schedule].0,
                    &m.windows[era_at(&eras, now).schedule],
                    now,
                );
                let e = era_at(&eras, now);
                let at = exact_boundary(e.from, m.hz, m.majors[e.schedule].0, frame + 1, 0);
                assert_eq!(act.epoch.start().0, at, "case {case}");
                eras.retain(|x| x.from <= now);
                eras.push(Era { from: at, schedule: to });
                for c in cores.iter_mut() {
                    c.install_switch(&plan, act).unwrap();
                }
            }
            // A random subset of cores looks now; the others stay asleep.
            for (i, core) in cores.iter_mut().enumerate() {
                if !rng.chance(50) {
                    continue;
                }
                let ctx = format!("case {case} core {i} jump {jump} now {now}");
                let d = core.on_tick(Ticks(now));
                let mut fresh = CoreScheduler::new(&plan, &tl, CoreId(i as u8)).unwrap();
                let f = fresh.on_tick(Ticks(now));
                assert_eq!((d.runs, d.next_deadline, d.window), (f.runs, f.next_deadline, f.window), "{ctx}");
                let e = era_at(&eras, now);
                let (frame, window) = exact_window(e.from, m.hz, m.majors[e.schedule].0, &m.windows[e.schedule], now);
                let w = d.window.unwrap();
                assert_eq!(
                    (w.schedule, w.frame, w.window.map(usize::from)),
                    (ScheduleId(e.schedule as u8), frame, window),
                    "{ctx}"
                );
                let (start, end) = exact_bounds(&m, e.schedule, e.from, frame, window);
                assert_eq!((w.start.0, w.end.0), (start, end), "{ctx}");
                let crossed_switch = eras.iter().skip(1).any(|x| last_tick[i] < x.from && x.from <= now);
                assert_eq!(d.events.schedule_switched.is_some(), crossed_switch, "{ctx}");
                last_tick[i] = now;
            }
        }
    }
}

// ARINC 653 process scheduling on one core: priorities and the preemption
// lock, release points, deadlines. The oracles below use exact integer
// arithmetic (tests/common), not bulkhead-time.

#[test]
fn no_lower_priority_thread_runs_while_a_higher_one_of_the_entry_is_ready_except_the_lock_holder() {
    let mut rng = Rng(0x5eed_0005);
    let mut held_over_higher = 0;
    for case in 0..200 {
        let m = Module::random(&mut rng);
        let schedules = m.schedules();
        let epoch = rng.range(0, 1 << 40);
        let plan = ModulePlan::new(m.cores, &m.threads, &schedules).unwrap();
        let tl = ModuleTimeline::new(&plan, freq(m.hz), ScheduleId(0), Epoch::new(Ticks(epoch))).unwrap();
        for c in plan.cores() {
            let mut core = CoreScheduler::new(&plan, &tl, c).unwrap();
            let mut now = epoch;
            let mut d = core.on_tick(Ticks(now));
            for step in 0..300 {
                let ctx = format!("case {case} core {} step {step} now {now} decision {d:?}", c.0);
                let owner = d.window.and_then(|w| w.owner);
                let entry: Vec<ThreadId> =
                    plan.threads_on(c).iter().filter(|t| Some(plan.thread(*t).unwrap().partition) == owner).collect();
                let ready: Vec<&ThreadRecord> =
                    entry.iter().filter_map(|t| core.thread(*t)).filter(|r| r.state() == ThreadState::Ready).collect();
                let level = core.preemption_level();
                let holder = core.preemption_holder();
                assert_eq!(level > 0, holder.is_some(), "{ctx}: a holder exactly while locked");
                let ready_holder = holder.filter(|h| ready.iter().any(|r| r.id() == *h));
                match d.runs {
                    None => assert!(ready.is_empty(), "{ctx}: idles with a ready thread"),
                    Some(t) => {
                        assert!(entry.contains(&t), "{ctx}: runs outside the entry");
                        match ready_holder {
                            Some(h) => {
                                assert_eq!(t, h, "{ctx}: the lock holder is Ready and does not run");
                                let p = core.thread(t).unwrap().priority();
                                held_over_higher += usize::from(ready.iter().any(|r| r.priority() > p));
                            }
                            None => {
                                let p = core.thread(t).unwrap().priority();
                                let better = ready.iter().find(|r| r.priority() > p);
                                assert!(better.is_none(), "{ctx}: {better:?} is Ready with a higher priority");
                            }
                        }
                    }
                }

                // Operations of the running thread, and from outside.
                let roll = rng.range(0, 99);
                if let Some(t) = d.runs {
                    match roll {
                        0..=14 => match core.lock_preemption(t) {
                            Ok(l) => assert_eq!((l, core.preemption_holder()), (level + 1, Some(t)), "{ctx}"),
                            Err(SchedError::PreemptionLockHeld { holder: h, .. }) => {
                                assert_eq!(holder, Some(h), "{ctx}");
                                assert_ne!(h, t, "{ctx}");
                            }
                            Err(SchedError::PreemptionLockTooDeep { max, .. }) => assert_eq!(level, max, "{ctx}"),
                            Err(e) => panic!("{ctx}: {e:?}"),
                        },
                        15..=29 => match core.unlock_preemption(t) {
                            Ok(l) => assert_eq!((holder, l), (Some(t), level - 1), "{ctx}"),
                            Err(SchedError::NotPreemptionHolder { holder: h, .. }) => {
                                assert_eq!(h, holder, "{ctx}");
                                assert_ne!(h, Some(t), "{ctx}");
                            }
                            Err(e) => panic!("{ctx}: {e:?}"),
                        },
                        30..=44 => core.set_priority(t, rng.range(0, 3) as u8, Ticks(now)).unwrap(),
                        45..=54 => core.wait_until(t, Ticks(now + rng.range(0, 2 * m.hz / 1000)), Ticks(now)).unwrap(),
                        55..=59 => {
                            core.periodic_wait(t, Ticks(now)).unwrap();
                        }
                        60..=62 => core.suspend(t).unwrap(),
                        63..=64 => core.stop(t).unwrap(),
                        _ => {}
                    }
                }
                if (65..80).contains(&roll) {
                    let ts: Vec<_> = core.threads().map(|r| (r.id(), r.state())).collect();
                    for (t, s) in ts {
                        match s {
                            ThreadState::Suspended => core.resume(t, Ticks(now)).unwrap(),
                            ThreadState::Stopped => core.start(t, Ticks(now)).unwrap(),
                            _ => core.set_priority(t, rng.range(0, 3) as u8, Ticks(now)).unwrap(),
                        }
                    }
                }
                d = core.on_tick(Ticks(now));
                // Punctual most of the time, sometimes earlier than asked.
                let next = d.next_deadline.0;
                now = if rng.chance(30) { now + rng.range(0, next - now) } else { next };
                d = core.on_tick(Ticks(now));
            }
        }
    }
    assert!(held_over_higher > 100, "the lock held over a higher priority only {held_over_higher} times");
}

/// A one-core module for the timing properties: partition 0 owns one window
/// at offset `lead` (partition 1 owns `[0, lead)` if `lead > 0`), then spare.
struct Grid {
    hz: u64,
    major: u64,
    lead: u64,
    window: u64,
    windows: Vec<Window>,
}

impl Grid {
    fn random(rng: &mut Rng) -> Grid {
        let hz = match rng.range(0, 2) {
            0 => PI4_HZ,
            1 => QEMU_HZ,
            _ => rng.range(1_000, 100_000_000),
        };
        let major = rng.range(2, 20_000_000);
        let window = rng.range(1, major - 1);
        let lead = rng.range(0, major - window);
        let mut windows = Vec::new();
        if lead > 0 {
            windows.push(Window { owner: Some(PartitionId(1)), duration: Nanos(lead) });
        }
        windows.push(Window { owner: Some(PartitionId(0)), duration: Nanos(window) });
        Grid { hz, major, lead, window, windows }
    }

    /// Where a thread of partition 0 started at `now` is first released:
    /// the start of its window if `now` is inside it, else the next start
    /// of its window.
    fn first_release(&self, epoch: u64, now: u64) -> u64 {
        if now < epoch {
            return exact_boundary(epoch, self.hz, self.major, 0, self.lead);
        }
        let (frame, window) = exact_window(epoch, self.hz, self.major, &self.windows, now);
        if window == Some(self.windows.len() - 1) {
            return exact_boundary(epoch, self.hz, self.major, frame, self.lead);
        }
        let here = exact_boundary(epoch, self.hz, self.major, frame, self.lead);
        if here > now { here } else { exact_boundary(epoch, self.hz, self.major, frame + 1, self.lead) }
    }
}

#[test]
fn periodic_release_points_never_drift() {
    let mut rng = Rng(0x5eed_0006);
    for case in 0..60 {
        let g = Grid::random(&mut rng);
        let period = rng.range(1, 30_000_000);
        let capacity = rng.range(1, period);
        let threads = [ThreadSpec {
            partition: PartitionId(0),
            affinity: CoreSet::first_n(1),
            priority: 1,
            period: Some(Nanos(period)),
            time_capacity: Some(Nanos(capacity)),
        }];
        let s = [Schedule { major_frame: Nanos(g.major), windows: &g.windows }];
        let plan = ModulePlan::new(1, &threads, &s).unwrap();
        let epoch = rng.range(0, 1 << 40);
        let tl = ModuleTimeline::new(&plan, freq(g.hz), ScheduleId(0), Epoch::new(Ticks(epoch))).unwrap();
        let mut core = CoreScheduler::new(&plan, &tl, CoreId(0)).unwrap();
        let t = ThreadId(0);
        let ctx =
            format!("case {case} hz {} major {} lead {} window {} period {period}", g.hz, g.major, g.lead, g.window);

        let mut r0 = g.first_release(epoch, epoch);
        let mut now = epoch;
        if rng.chance(50) {
            // Restarted somewhere in the first frames instead.
            now = epoch + rng.range(0, 3 * g.major * g.hz / 1_000_000_000 + 1);
            core.stop(t).unwrap();
            core.start(t, Ticks(now)).unwrap();
            r0 = g.first_release(epoch, now);
        }
        let deadline = |k: u64| exact_boundary(r0, g.hz, period, k, capacity);
        assert_eq!(
            core.thread_timing(t),
            Some(ThreadTiming { release: Some(Ticks(r0)), deadline: Some(Ticks(deadline(0))) }),
            "{ctx}"
        );
        let ticks_per_period = period * g.hz / 1_000_000_000 + 1;
        let mut release = r0;
        for k in 1..=3000u64 {
            // Decide late (or not at all) after the last release; the grid
            // must not care.
            now = now.max(release)
                + match rng.range(0, 3) {
                    0 => 0,
                    1 => rng.range(0, ticks_per_period),
                    _ => rng.range(0, 3 * ticks_per_period),
                };
            if rng.chance(50) {
                core.on_tick(Ticks(now));
            }
            assert_eq!(core.thread_state(t), Some(ThreadState::Ready), "{ctx} k {k}");
            release = core.periodic_wait(t, Ticks(now)).unwrap().unwrap().0;
            assert_eq!(release, exact_boundary(r0, g.hz, period, k, 0), "{ctx} k {k}: release drifted");
            let timing = core.thread_timing(t).unwrap();
            assert_eq!(
                timing,
                ThreadTiming { release: Some(Ticks(release)), deadline: Some(Ticks(deadline(k))) },
                "{ctx} k {k}"
            );
            if release > now {
                assert_eq!(core.thread_state(t), Some(ThreadState::Waiting(Wait::NextRelease(Ticks(release)))));
                core.on_tick(Ticks(release));
            }
        }
    }
}

/// What the test expects of one thread's deadline, kept apart from the
/// scheduler.
#[derive(Clone, Copy, Debug)]
struct Expect {
    partition: u8,
    period: Option<u64>,
    capacity: Option<u64>,
    r0: u64,
    k: u64,
    deadline: Option<u64>,
    /// When the deadline was last set (a miss cannot be reported earlier).
    set_at: u64,
    reported: bool,
    /// Waiting for this release after a periodic wait: done until then.
    waiting_for: Option<u64>,
}

/// Random windows of partitions 0..3 (and spare), each long enough to hold
/// ticks, in one schedule.
fn random_windows(rng: &mut Rng, partitions: u8) -> (Vec<Window>, u64) {
    let mut ws = Vec::new();
    let mut total = 0;
    for _ in 0..rng.range(1, 6) {
        let owner =
            if rng.chance(15) { None } else { Some(PartitionId(rng.range(0, u64::from(partitions) - 1) as u8)) };
        let duration = rng.range(100_000, 3_000_000);
        total += duration;
        ws.push(Window { owner, duration: Nanos(duration) });
    }
    (ws, total + if rng.chance(50) { 0 } else { rng.range(1, 2_000_000) })
}

/// The first instant at or after `x` at which the core is in a window of
/// `p`, by exact arithmetic (`None`: `p` has no window).
fn first_owner_instant(epoch: u64, hz: u64, major: u64, ws: &[Window], p: u8, x: u64) -> Option<u64> {
    let (frame, w) = exact_window(epoch, hz, major, ws, x);
    if w.is_some_and(|i| ws[i].owner == Some(PartitionId(p))) {
        return Some(x);
    }
    for f in frame..frame + 2 {
        let mut start = 0;
        for win in ws {
            let b = exact_boundary(epoch, hz, major, f, start);
            if win.owner == Some(PartitionId(p)) && b > x {
                return Some(b);
            }
            start += win.duration.0;
        }
    }
    None
}

#[test]
fn a_deadline_miss_is_reported_once_at_the_first_decision_of_its_owner_at_or_after_it() {
    let mut rng = Rng(0x5eed_0007);
    let (mut reports, mut completed_in_time) = (0, 0);
    for case in 0..200 {
        let hz = match rng.range(0, 2) {
            0 => PI4_HZ,
            1 => QEMU_HZ,
            _ => rng.range(1_000_000, 100_000_000),
        };
        let partitions = rng.range(1, 3) as u8;
        let (ws, major) = random_windows(&mut rng, partitions);
        let mut threads = Vec::new();
        for p in 0..partitions {
            for _ in 0..rng.range(1, 3) {
                let period = rng.chance(60).then(|| rng.range(major / 3 + 1, 3 * major));
                let capacity = match period {
                    Some(pd) if rng.chance(80) => Some(rng.range(1, pd)),
                    None if rng.chance(60) => Some(rng.range(1, 2 * major)),
                    _ => None,
                };
                threads.push(ThreadSpec {
                    partition: PartitionId(p),
                    affinity: CoreSet::first_n(1),
                    priority: rng.range(0, 3) as u8,
                    period: period.map(Nanos),
                    time_capacity: capacity.map(Nanos),
                });
            }
        }
        let s = [Schedule { major_frame: Nanos(major), windows: &ws }];
        let plan = ModulePlan::new(1, &threads, &s).unwrap();
        let epoch = rng.range(0, 1 << 40);
        let tl = ModuleTimeline::new(&plan, freq(hz), ScheduleId(0), Epoch::new(Ticks(epoch))).unwrap();
        let mut core = CoreScheduler::new(&plan, &tl, CoreId(0)).unwrap();

        let mut expect: Vec<Expect> = threads
            .iter()
            .map(|t| {
                let p = t.partition.0;
                // Ready at load: released at the partition's first window.
                let r0 = first_owner_instant(epoch, hz, major, &ws, p, epoch).unwrap_or(epoch);
                let period = t.period.map(|n| n.0);
                let capacity = t.time_capacity.map(|n| n.0);
                let deadline = capacity.map(|c| match period {
                    Some(pd) => exact_boundary(r0, hz, pd, 0, c),
                    None => exact_boundary(r0, hz, 1, 0, c),
                });
                Expect {
                    partition: p,
                    period,
                    capacity,
                    r0,
                    k: 0,
                    deadline,
                    set_at: epoch,
                    reported: false,
                    waiting_for: None,
                }
            })
            .collect();

        let mut now = epoch;
        let mut d = core.on_tick(Ticks(now));
        for step in 0..400 {
            let ctx = format!("case {case} step {step} now {now} decision {d:?}");
            // Exactly the entry's threads whose deadline passed, not done, not yet reported.
            let owner = d.window.and_then(|w| w.owner);
            let mut want = ThreadSet::EMPTY;
            for (i, e) in expect.iter_mut().enumerate() {
                let t = ThreadId(i as u16);
                let done = e.waiting_for.is_some_and(|r| r > now);
                if e.waiting_for.is_some_and(|r| r <= now) {
                    e.waiting_for = None;
                }
                if Some(PartitionId(e.partition)) == owner
                    && !done
                    && !e.reported
                    && e.deadline.is_some_and(|dl| dl <= now)
                {
                    want = want.with(t);
                    let dl = e.deadline.unwrap();
                    let first = first_owner_instant(epoch, hz, major, &ws, e.partition, dl.max(e.set_at));
                    assert_eq!(first, Some(now), "{ctx}: thread {i} {e:?} reported late");
                    e.reported = true;
                    reports += 1;
                }
            }
            assert_eq!(d.events.deadline_missed, want, "{ctx}: {expect:?}");

            // The running thread completes, waits, or is replenished.
            if let Some(t) = d.runs {
                let i = usize::from(t.0);
                let e = &mut expect[i];
                let roll = rng.range(0, 99);
                if roll < 30 {
                    if e.deadline.is_some_and(|dl| dl > now) {
                        completed_in_time += 1;
                    }
                    let got = core.periodic_wait(t, Ticks(now)).unwrap();
                    match e.period {
                        Some(pd) => {
                            e.k += 1;
                            let release = exact_boundary(e.r0, hz, pd, e.k, 0);
                            assert_eq!(got, Some(Ticks(release)), "{ctx}");
                            e.deadline = e.capacity.map(|c| exact_boundary(e.r0, hz, pd, e.k, c));
                            e.waiting_for = (release > now).then_some(release);
                            e.set_at = now;
                        }
                        None => {
                            e.deadline = None;
                            e.waiting_for = got.map(|r| r.0);
                        }
                    }
                    e.reported = false;
                } else if roll < 40 {
                    core.wait_until(t, Ticks(now + rng.range(1, 2 * hz / 1000)), Ticks(now)).unwrap();
                } else if roll < 45 {
                    let budget = rng.range(1, 2 * major);
                    let deadline = exact_boundary(now, hz, 1, 0, budget);
                    let next = e.period.map(|pd| exact_boundary(e.r0, hz, pd, e.k + 1, 0));
                    match core.replenish(t, Nanos(budget), Ticks(now)) {
                        Ok(got) => {
                            assert!(next.is_none_or(|n| deadline <= n), "{ctx}: past the next release");
                            assert_eq!(got, Some(Ticks(deadline)), "{ctx}");
                            e.deadline = got.map(|g| g.0);
                            e.reported = false;
                            e.set_at = now;
                        }
                        Err(SchedError::DeadlinePastNextRelease { next_release, .. }) => {
                            assert_eq!(Some(next_release.0), next, "{ctx}");
                            assert!(deadline > next_release.0, "{ctx}");
                        }
                        Err(err) => panic!("{ctx}: {err:?}"),
                    }
                } else if roll < 48 {
                    core.suspend(t).unwrap();
                }
                d = core.on_tick(Ticks(now));
                continue;
            }
            // Suspended threads come back now and then (still with their deadline).
            if rng.chance(10) {
                let ts: Vec<_> =
                    core.threads().filter(|r| r.state() == ThreadState::Suspended).map(|r| r.id()).collect();
                for t in ts {
                    core.resume(t, Ticks(now)).unwrap();
                }
                d = core.on_tick(Ticks(now));
                continue;
            }
            // Punctual: decide exactly when asked.
            now = d.next_deadline.0;
            d = core.on_tick(Ticks(now));
        }
    }
    // The cases exercise both outcomes.
    assert!(reports > 1_000 && completed_in_time > 1_000, "{reports} misses, {completed_in_time} in time");
}
