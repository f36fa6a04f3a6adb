//! Shared helpers for the scheduler's host tests: a seeded generator, random
//! modules, and an exact-arithmetic oracle for window boundaries that does not
//! use bulkhead-time (ARINC 653 Part 1 Partition Scheduling: boundaries at
//! `epoch + n * major_frame + offset`, never early).

#![allow(dead_code)]

use bulkhead_sched::*;

pub const PI4_HZ: u64 = 54_000_000;
pub const QEMU_HZ: u64 = 62_500_000;

pub fn freq(hz: u64) -> Frequency {
    Frequency::from_hz(hz).unwrap()
}

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A random module: owned storage for what `ModulePlan` borrows.
#[derive(Debug, Clone)]
pub struct Module {
    pub cores: u8,
    pub hz: u64,
    pub threads: Vec<ThreadSpec>,
    pub windows: Vec<Vec<Window>>,
    pub majors: Vec<Nanos>,
}

impl Module {
    pub fn random(rng: &mut Rng) -> Module {
        let cores = rng.range(1, 4) as u8;
        let hz = match rng.range(0, 3) {
            0 => PI4_HZ,
            1 => QEMU_HZ,
            2 => rng.range(1_000_000, 100_000_000),
            _ => rng.range(1_000, 1_000_000),
        };
        let partitions = rng.range(1, 5) as u8;
        let mut threads = Vec::new();
        for p in 0..partitions {
            // Up to one more thread than cores: some share a core.
            for _ in 0..rng.range(0, u64::from(cores) + 1) {
                let mut affinity = CoreSet::from_bits(rng.range(1, 15) as u8 & CoreSet::first_n(cores).bits());
                if affinity.is_empty() {
                    affinity = CoreSet::single(CoreId(rng.range(0, u64::from(cores) - 1) as u8));
                }
                threads.push(ThreadSpec {
                    partition: PartitionId(p),
                    affinity,
                    priority: rng.range(0, 3) as u8,
                    period: None,
                    time_capacity: None,
                });
            }
        }
        let mut windows = Vec::new();
        let mut majors = Vec::new();
        for _ in 0..rng.range(1, 3) {
            let mut ws = Vec::new();
            let mut total = 0;
            for _ in 0..rng.range(1, 8) {
                let duration = match rng.range(0, 3) {
                    0 => rng.range(1, 50),
                    1 => rng.range(1, 5_000_000),
                    _ => rng.range(1, 20) * 333_333,
                };
                let owner =
                    if rng.chance(20) { None } else { Some(PartitionId(rng.range(0, u64::from(partitions)) as u8)) };
                total += duration;
                ws.push(Window { owner, duration: Nanos(duration) });
            }
            let spare = if rng.chance(50) { 0 } else { rng.range(1, 3_000_000) };
            majors.push(Nanos(total + spare));
            windows.push(ws);
        }
        Module { cores, hz, threads, windows, majors }
    }

    pub fn schedules(&self) -> Vec<Schedule<'_>> {
        self.windows.iter().zip(&self.majors).map(|(w, m)| Schedule { major_frame: *m, windows: w }).collect()
    }
}

/// Exact `epoch + ceil((n * major + offset) * hz / 1e9)`, by the defining
/// inequality rather than a ceiling division: the smallest `d` with
/// `d * 1e9 >= t * hz`, found from a floor estimate and corrected.
pub fn exact_boundary(epoch: u64, hz: u64, major: u64, n: u64, offset: u64) -> u64 {
    let t = n as u128 * major as u128 + offset as u128;
    let num = t * hz as u128;
    let mut d = num / 1_000_000_000;
    while d * 1_000_000_000 < num {
        d += 1;
    }
    epoch + d as u64
}

/// The (frame, window index in the schedule, or None for trailing spare)
/// containing counter value `now`, by exact arithmetic: the last boundary
/// not after `now`.
pub fn exact_window(epoch: u64, hz: u64, major: u64, windows: &[Window], now: u64) -> (u64, Option<usize>) {
    // elapsed ns, floor: boundary(x) <= now  <=>  x <= floor((now-epoch)*1e9/hz)
    let e = (now - epoch) as u128 * 1_000_000_000 / hz as u128;
    let frame = (e / major as u128) as u64;
    let off = (e % major as u128) as u64;
    let mut at = 0;
    for (i, w) in windows.iter().enumerate() {
        at += w.duration.0;
        if off < at {
            return (frame, Some(i));
        }
    }
    (frame, None)
}
