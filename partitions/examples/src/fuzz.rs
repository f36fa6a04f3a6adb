//! The hypercall fuzzer behind the `hostile-fuzz` and `hostile-fuzz-long`
//! images (`bin/hostile-fuzz.rs`, `bin/hostile-fuzz-long.rs`, which differ
//! only in how many calls each thread makes and in the seed). Included by
//! both with `#[path]`: a module, not a library, because an image is one
//! binary of this crate and the crate has no library target.
//!
//! Every thread of the partition (one per core) issues random hypercalls
//! from a small deterministic PRNG (splitmix64, seeded per thread from the
//! image's seed, so a run repeats exactly under `-icount`), and judges each
//! result against what `partitions/sdk/README.md` documents for that call
//! and those arguments. The draws:
//!
//! - **Function IDs**: every call of `Call::ALL`; IDs around them
//!   (`FUNCTION_BASE | n` for small and random `n`: the gaps between the
//!   assigned numbers and the rest of the vendor hypervisor range); the
//!   same numbers in other SMCCC ranges (SMC32, yielding calls, other
//!   owning entities, DEN 0028 section 2.5); random 32-bit IDs; and real
//!   IDs through `HVC #1` and `HVC #0xffff`, which the ABI leaves
//!   `NotSupported`.
//! - **Arguments**: small integers, partition, thread, schedule and core-set
//!   values in and out of range (the system services take them), 64-bit
//!   extremes, random words; pointers at and around both ends of the
//!   partition's memory (inside, at the end, one byte across, past it,
//!   below the base, wrapping past 2^64), null, the kernel's load address,
//!   devices; lengths 0, 1, small, at each call's limit and one over, huge.
//!   A pointer argument is often drawn together with its length so that the
//!   range ends exactly at, one before or one past the end of memory.
//! - **Waits are bounded**, so every thread keeps issuing calls:
//!   PeriodicWait (which gives up the rest of the window) is drawn once in
//!   16,384 calls, and an ID drawn at random that happens to be its number
//!   is issued as Yield instead; TimedWait's delay is at most 100 us (at
//!   62.5 MHz no delay is out of range, so a random one could put the
//!   thread to sleep for centuries). A port send or receive that would
//!   wait gets such a delay as its timeout too.
//! - **Ports**: the partition owns three (a sampling source, a queuing
//!   source whose queue nobody drains, a sampling destination nobody
//!   writes: handles 0, 2 and 5, see [`S_OUT`]); the draws name them, the
//!   ticker's ends, and handles out of range, by their real names and by
//!   random ones. A read or status record that would land in its own
//!   memory is written to a scratch area per thread ([`SCRATCH`]), so the
//!   kernel cannot overwrite the fuzzer's state through a random pointer;
//!   pointers elsewhere go to the kernel as drawn, to be refused. One
//!   draw in 2,048 is a well-formed send to the undrained queue that does
//!   not wait, so the queue fills and answers `Full`.
//!
//! The oracle, per call: the status must be one the ABI documents for this
//! call *and these arguments* (a range inside memory is `Success`, one
//! byte across its end is `InvalidAddress`, a length one over its limit is
//! `InvalidParameter`, a system service from this normal partition is
//! `Denied`, a MemoryRegion name this partition, which maps no region,
//! cannot have is `InvalidParameter`, another partition's port handle is
//! `InvalidParameter` and the wrong kind or direction `InvalidMode`, a
//! send to the full queue `Full` or `TimedOut`, a read of the silent
//! channel `Empty`, an unknown ID or a non-zero
//! immediate is `NotSupported`; where
//! the documentation leaves the order of two errors open, either); the
//! results the ABI defines must hold (AbiVersion's version, MyIds' own
//! ids, PartitionStatus Normal with no restart and not system, GetTime
//! never going backwards on a thread, ConsoleWrite and ConsoleFrame taking
//! the whole length, PortByName's handle, kind and size, PortStatus's
//! record); and `x4..x17` must come back as they went in.
//! Anything else is counted, and the first [`REPORTS_PER_THREAD`] of each
//! thread are kept and printed with its counts (below):
//!
//! ```text
//! hostile-fuzz: UNDOCUMENTED status S for call 0xID (Name, hvc #I), call N
//! hostile-fuzz:   args 0xA1 0xA2 0xA3
//! hostile-fuzz:   results 0xX1 0xX2 0xX3
//! ```
//!
//! (`UNDOCUMENTED result ...`, its results line ending `, expected WHAT`,
//! or `UNDOCUMENTED x4..x17 change ...` for the other two kinds; N counts
//! the thread's calls from 1, so with the seed the call can be replayed).
//!
//! A valid ConsoleWrite or ConsoleFrame prints: mostly from a buffer of
//! printable text, so the console stays readable; a valid range elsewhere
//! in memory prints what is there, sanitised by the kernel. Three in four
//! of the ranges that would print are moved one byte across the end of
//! memory instead, or the line would drop almost all of it. A valid
//! RaiseApplicationError is logged by the health monitor (the description
//! must say `application_error = "log"`, or the partition stops).
//!
//! **Each thread stops [`WINDOW_MARGIN_NS`] before its window ends** (it
//! looks at GetTime every [`CALLS_PER_LOOK`] calls) and waits for its next
//! one, so no call is in the kernel at the boundary. Tried without: under
//! QEMU icount the four vCPUs are served one after another, and four cores
//! leaving the kernel at one boundary (a ConsoleWrite waiting for the ring
//! a sibling's copy holds, the first overrun report of each thread) put
//! the ticker's tick 32 us into its window against a bound of 15, and the
//! traced kernel's own paths at up to 2,994 ticks against a derived bound
//! of 133. Calls cut by a boundary are `console-span`'s and
//! `hostile-flood`'s subject. Tried again once the overrun report moved to
//! idle time: the traced own paths stay within their bound, but the
//! ticker's first tick still comes 19 us into its window against 15 (87 us
//! traced), the ticker admitted 7 us after the boundary and then waiting
//! for QEMU to serve the three other vCPUs' idle work (the console feed of
//! the fuzzer's output) before its first instruction; on a Pi they run at
//! once.
//!
//! Prints, per thread T on core C (S: the seed in hex, N: the thread's
//! share of the calls, A..E: how many calls returned each status, U: the
//! virtual time in us since the epoch at which the thread made its last
//! call):
//!
//! ```text
//! hostile-fuzz: thread T on core C: seed S, N calls to make
//! hostile-fuzz: thread T statuses 0:A -1:B -2:C -3:D -4:E -9:J
//! hostile-fuzz: thread T statuses -5:F -6:G -7:H -8:I, done at U us
//! hostile-fuzz: thread T on core C: N calls, M refused, 0 undocumented
//! ```
//!
//! The first line comes before any thread starts calling. The failure
//! reports and the last two lines come once every thread has made its
//! calls and the console has had [`DRAIN_WINDOWS`] windows to empty its
//! buffer of the random output (lines that did not fit were dropped, and
//! counted), so they are not lost with it. Then the thread parks with a
//! TimedWait of an extreme delay (a different one per thread): it must not
//! return (it would take centuries); if it does, the thread says so
//! (`UNDOCUMENTED TimedWait`) and parks in PeriodicWait.

use bulkhead_board_rpi4::console::PL011_BASE;
use bulkhead_board_rpi4::gic::GICD_BASE;
use bulkhead_board_rpi4::memory::KERNEL_LOAD;
use bulkhead_sdk::abi::{
    ABI_VERSION_MAJOR, ABI_VERSION_MINOR, DEFAULT_STACK_SIZE, FUNCTION_BASE, HEALTH_RECORD_SIZE, MAX_MESSAGE_SIZE,
    MAX_REGION_NAME, PARTITION_STATUS_SIZE, PORT_STATUS_SIZE, PROCESS_STATUS_SIZE, PortStatus, STACK_GUARD_SIZE,
    VIRTUAL_TIMER_INTID, WakeOrder,
};
/// Longest port name (the image's name field).
const NAME_MAX_LEN: u64 = 31;

/// The fuzz partition's ports (partitions/tests/hostile-fuzz*.toml), by
/// handle: the module's port table lists the channels' ends channel by
/// channel, source first: 0 its sampling source `s_out` (to the ticker's
/// `s_in`, 1), 2 its queuing source `q_out` (depth 4, to the ticker's
/// `q_in`, 3, which the ticker never drains: the queue fills, a send that
/// waits ends TimedOut), 5 its sampling destination `s_in` (from the
/// ticker's `s_out`, 4, which the ticker never writes: a read finds
/// nothing). Every message is 16 bytes at most.
const S_OUT: u64 = 0;
const Q_OUT: u64 = 2;
const S_IN: u64 = 5;
const PORT_MESSAGE: u64 = 16;
const PORT_DEPTH: u32 = 4;
/// Its port names, with their handles.
const PORT_NAMES: [(&str, u64); 3] = [("s_out", S_OUT), ("q_out", Q_OUT), ("s_in", S_IN)];
/// Where a call that writes into the caller's memory (ReadSamplingMessage,
/// PortStatus) writes when the draw points into the fuzz partition's own
/// memory: one per thread, so that the kernel never writes over the
/// fuzzer's own state (a random pointer could name a stack); a pointer
/// outside its memory still goes to the kernel as drawn, to be refused.
/// Words the fuzzer waits on and wakes (`WaitWord`, `WakeWord`): they stay
/// 0, so a wait for 0 sleeps (until its timeout or another thread's wake)
/// and a wait for 1 returns `NoAction`.
static WORDS: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];
static mut SCRATCH: [[u8; SCRATCH_SIZE]; 4] = [[0; SCRATCH_SIZE]; 4];
const SCRATCH_SIZE: usize = 64;
use bulkhead_sdk::{
    Call, MAX_CONSOLE_FRAME, MAX_CONSOLE_WRITE, MAX_ERROR_MESSAGE, PartitionMode, Status, ThreadInfo, console_write,
    my_ids, periodic_wait, println, time,
};
use core::sync::atomic::{AtomicU32, Ordering};

/// What an image asks of the fuzzer.
pub struct Plan {
    /// Calls each thread makes.
    pub calls_per_thread: u64,
    /// The image's seed; each thread's own is derived from it and its index.
    pub seed: u64,
}

/// Windows the threads wait, once all have made their calls, before their
/// final lines: 750 ms at the 10 ms frame of
/// partitions/tests/hostile-fuzz*.toml, time for a 115200-baud console to
/// send the partition's 8 KiB console buffer (its description gives it
/// that, so that every thread's failure reports fit at once).
const DRAIN_WINDOWS: u32 = 75;

/// How close to the end of its window a thread stops, and how many calls
/// it makes between two looks at the clock (GetTime, not counted).
const WINDOW_MARGIN_NS: u64 = 400_000;
const CALLS_PER_LOOK: u64 = 8;

/// Failures kept and printed in full per thread; the rest are only
/// counted.
const REPORTS_PER_THREAD: usize = 3;

/// Longest TimedWait the fuzzer asks for, in ns.
const MAX_DELAY_NS: u64 = 100_000;

/// One PeriodicWait in this many calls.
const PERIODIC_WAIT_ONE_IN: u64 = 16_384;
/// One TimedWait in this many calls.
const TIMED_WAIT_ONE_IN: u64 = 2_048;
/// One well-formed send of [`FULL_SEND_MESSAGE`] to `q_out` that does not
/// wait, in this many calls: after [`PORT_DEPTH`] of them the queue nobody
/// drains is full, and the rest answer `Full`. Random draws reach that too
/// rarely to count on (one in 100,000 calls, and none once the kernel's
/// faster paths changed how the threads interleave).
const FULL_SEND_ONE_IN: u64 = 2_048;
static FULL_SEND_MESSAGE: [u8; PORT_MESSAGE as usize] = *b"fill the queue!!";

/// Threads that have printed their first line.
static STARTED: AtomicU32 = AtomicU32::new(0);
/// Threads that have made all their calls.
static DONE: AtomicU32 = AtomicU32::new(0);

/// Printable text with a newline every 100 bytes: the valid buffer most
/// printing calls point into. Longer than MAX_CONSOLE_WRITE, so that a
/// length one over the limit is still a valid range (the length alone is
/// wrong).
static TEXT: [u8; MAX_CONSOLE_WRITE + 76] = printable_text();

const fn printable_text<const N: usize>() -> [u8; N] {
    let words = b"the quick brown fox jumps over the lazy dog 0123456789 ";
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = if i % 100 == 99 { b'\n' } else { words[i % words.len()] };
        i += 1;
    }
    out
}

/// splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): a 64-bit counter through a mixing function.
/// Small, fast, and every seed gives a full-period stream.
struct Rng(u64);

impl Rng {
    /// Thread `index`'s stream of the image's `seed`: the starting state is
    /// itself a splitmix64 output, so threads do not run shifted copies of
    /// one stream (consecutive states would).
    fn for_thread(seed: u64, index: u32) -> Rng {
        let mut mix = Rng(seed ^ u64::from(index).wrapping_mul(0xD1B5_4A32_D192_ED03));
        Rng(mix.next())
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform enough in `0..n` (the modulo bias is at most n / 2^64).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// The caller as the oracle knows it.
struct Me {
    partition: u64,
    thread: u64,
    core: u64,
    base: u64,
    end: u64,
    /// Threads of the partition: each stack has a guard page below it.
    threads: u64,
}

impl Me {
    /// `[ptr, ptr + len)` lies in the partition's memory, without wrapping,
    /// and a non-empty one touches no stack guard page: the stacks, of the
    /// default size (the fuzzer's descriptions set no `stack`), are carved
    /// from the top of memory, thread 0 highest, each above an unmapped
    /// guard page (the ABI's thread entry state), which a hypercall may not
    /// read either.
    fn owns(&self, ptr: u64, len: u64) -> bool {
        let Some(end) = ptr.checked_add(len) else { return false };
        if ptr < self.base || end > self.end {
            return false;
        }
        let step = DEFAULT_STACK_SIZE + STACK_GUARD_SIZE;
        let in_guard = (0..self.threads).any(|i| {
            let guard_top = self.end - DEFAULT_STACK_SIZE - i * step;
            ptr < guard_top && guard_top - STACK_GUARD_SIZE < end
        });
        len == 0 || !in_guard
    }
}

/// One hypercall: `HVC #imm` with `id` in `w0` and `args` in `x1..x6`.
#[derive(Clone, Copy)]
struct Draw {
    imm: u16,
    id: u32,
    args: [u64; 6],
}

impl Draw {
    /// The call the kernel serves for it: none for an unknown ID or a
    /// non-zero immediate.
    fn call(&self) -> Option<Call> {
        if self.imm == 0 { Call::from_id(self.id) } else { None }
    }
}

/// Statuses a call may return, one bit per status (bit `-raw`).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Allowed(u16);

impl Allowed {
    const fn of(status: Status) -> Allowed {
        Allowed(1 << (-status.raw()) as u16)
    }
    const fn or(self, status: Status) -> Allowed {
        Allowed(self.0 | Allowed::of(status).0)
    }
    fn admits(self, raw: i64) -> bool {
        (-9..=0).contains(&raw) && self.0 & (1 << -raw) != 0
    }
}

/// What the ABI lets this call return. Exhaustive over `Call`: a new call
/// does not compile here until its documented statuses are written down.
fn allowed(me: &Me, draw: &Draw) -> Allowed {
    use Status::{
        Denied, Empty, Full, InvalidAddress, InvalidMode, InvalidParameter, NoAction, NotSupported, Success, TimedOut,
    };
    let Some(call) = draw.call() else { return Allowed::of(NotSupported) };
    let [a1, a2, a3, ..] = draw.args;
    // A buffer `(ptr, len)` with a length limit: the length is checked
    // against its limit, the range against memory; the ABI does not say
    // which comes first when both are wrong. An empty range not starting
    // inside memory (at its end, say) is neither clearly inside nor outside.
    let buffer = |ptr: u64, len: u64, min: u64, max: u64| {
        let length_ok = (min..=max).contains(&len);
        let range_ok = me.owns(ptr, len);
        let empty_outside = len == 0 && !(me.base..me.end).contains(&ptr);
        match (length_ok, range_ok) {
            (true, _) if empty_outside => Allowed::of(Success).or(InvalidAddress),
            (true, true) => Allowed::of(Success),
            (true, false) => Allowed::of(InvalidAddress),
            (false, true) => Allowed::of(InvalidParameter),
            (false, false) => Allowed::of(InvalidParameter).or(InvalidAddress),
        }
    };
    match call {
        Call::AbiVersion
        | Call::MyIds
        | Call::PartitionStatus
        | Call::GetTime
        | Call::PeriodicWait
        | Call::TimedWait
        | Call::Yield => Allowed::of(Success),
        Call::ConsoleWrite => buffer(a1, a2, 0, MAX_CONSOLE_WRITE as u64),
        Call::ConsoleFrame => buffer(a1, a2, 1, MAX_CONSOLE_FRAME as u64),
        Call::RaiseApplicationError => buffer(a2, a3, 0, MAX_ERROR_MESSAGE as u64),
        // A name of its own ports is found; any other name, or one over
        // 31 bytes, is not; a name outside its memory says so first.
        Call::PortByName if a2 <= NAME_MAX_LEN && me.owns(a1, a2) => {
            if port_named(a1, a2).is_some() {
                Allowed::of(Success)
            } else {
                Allowed::of(InvalidParameter)
            }
        }
        Call::PortByName => Allowed::of(InvalidParameter).or(InvalidAddress),
        // Another partition's handle, or none: refused before anything.
        Call::WriteSamplingMessage
        | Call::ReadSamplingMessage
        | Call::SendQueuingMessage
        | Call::ReceiveQueuingMessage
        | Call::PortStatus
            if ![S_OUT, Q_OUT, S_IN].contains(&a1) =>
        {
            Allowed::of(InvalidParameter)
        }
        Call::WriteSamplingMessage if a1 == S_OUT => buffer(a2, a3, 0, PORT_MESSAGE),
        // The queue fills (nobody drains it): a send that does not wait is
        // refused as Full, one that waits (at most MAX_DELAY_NS: `draw`
        // bounds it) ends TimedOut.
        // Wherever a message would be taken (Success, alone or beside
        // another answer the ABI leaves open, as for an empty message at
        // the end of memory), a full queue answers instead.
        Call::SendQueuingMessage if a1 == Q_OUT => match buffer(a2, a3, 0, PORT_MESSAGE) {
            taken if taken.admits(0) => taken.or(Full).or(TimedOut),
            other => other,
        },
        // Its sampling source is never written by the ticker: nothing to
        // read. A buffer in its own memory was moved to its scratch area.
        Call::ReadSamplingMessage if a1 == S_IN => {
            if a3 < PORT_MESSAGE {
                Allowed::of(InvalidParameter)
            } else if is_scratch(a2) {
                Allowed::of(Empty)
            } else if me.owns(a2, a3) {
                // Too long for the scratch area, left where it points: the
                // kernel checks it is writable (data, stack: Empty) or not
                // (text, rodata: InvalidAddress), and writes nothing.
                Allowed::of(Empty).or(InvalidAddress)
            } else {
                Allowed::of(InvalidAddress)
            }
        }
        Call::PortStatus if a3 != PORT_STATUS_SIZE as u64 => Allowed::of(InvalidParameter),
        Call::PortStatus if is_scratch(a2) => Allowed::of(Success),
        Call::PortStatus => Allowed::of(InvalidAddress),
        // The rest: a call of the wrong kind or direction for the port.
        Call::WriteSamplingMessage
        | Call::ReadSamplingMessage
        | Call::SendQueuingMessage
        | Call::ReceiveQueuingMessage => Allowed::of(InvalidMode),
        // The fuzzed partition maps no shared memory region: a name the
        // kernel reads names none of its regions.
        Call::MemoryRegion => match buffer(a1, a2, 1, MAX_REGION_NAME as u64) {
            readable if readable == Allowed::of(Success) => Allowed::of(InvalidParameter),
            other => other,
        },
        Call::SetSchedule
        | Call::ScheduleStatus
        | Call::SetThreadAffinity
        | Call::StopPartition
        | Call::StartPartition
        | Call::RestartPartition
        | Call::HealthLog => Allowed::of(Denied),
        // Its own partition: `draw` never asks for a restart or Idle, so
        // the mode asked is Normal, where it is, or none at all.
        Call::SetPartitionMode if a1 == PartitionMode::Normal as u64 => Allowed::of(NoAction),
        Call::SetPartitionMode => Allowed::of(InvalidParameter),
        Call::GetPartitionStatus if a2 != PARTITION_STATUS_SIZE as u64 => Allowed::of(InvalidParameter),
        Call::GetPartitionStatus if is_scratch(a1) => Allowed::of(Success),
        Call::GetPartitionStatus => Allowed::of(InvalidAddress),
        // A name of one of its threads is found, any other is not.
        Call::ProcessIdByName => match buffer(a1, a2, 1, NAME_MAX_LEN) {
            readable if readable == Allowed::of(Success) => readable.or(InvalidParameter),
            other => other,
        },
        // An index past its threads names none (`draw` makes every stop
        // and suspend one: the fuzzer keeps its threads).
        Call::ProcessStatus
        | Call::StartProcess
        | Call::DelayedStartProcess
        | Call::StopProcess
        | Call::SuspendProcess
        | Call::ResumeProcess
        | Call::SetProcessPriority
            if a1 >= me.threads =>
        {
            Allowed::of(InvalidParameter)
        }
        Call::ProcessStatus if a3 != PROCESS_STATUS_SIZE as u64 => Allowed::of(InvalidParameter),
        Call::ProcessStatus if is_scratch(a2) => Allowed::of(Success),
        Call::ProcessStatus => Allowed::of(InvalidAddress),
        // Every thread of it runs: none is dormant. A delay past the
        // counter's range is refused first.
        Call::StartProcess => Allowed::of(InvalidMode),
        Call::DelayedStartProcess => Allowed::of(InvalidMode).or(InvalidParameter),
        // Resumed only if another thread of it waits in SuspendSelf.
        Call::ResumeProcess => Allowed::of(InvalidMode).or(Success),
        Call::SetProcessPriority if a2 > 255 => Allowed::of(InvalidParameter),
        Call::SetProcessPriority => Allowed::of(Success),
        // Bounded by `draw`: the timeout, or a resume by another thread.
        Call::SuspendSelf => Allowed::of(Success).or(TimedOut),
        // `draw` turns every lock into an unlock: a thread holding the
        // lock could not wait, and the waits' oracle says they succeed.
        Call::LockPreemption | Call::UnlockPreemption => Allowed::of(NoAction),
        // Its threads have no period: a budget the counter can hold moves
        // the deadline.
        Call::Replenish => Allowed::of(Success).or(InvalidParameter),
        Call::StopProcess | Call::SuspendProcess => Allowed::of(InvalidParameter),
        // Created during initialisation only: it is in Normal. None of its
        // threads is an error handler.
        Call::CreateErrorHandler if a1 >= me.threads => Allowed::of(InvalidParameter),
        Call::CreateErrorHandler | Call::GetErrorStatus => Allowed::of(InvalidMode),
        // Every thread of it runs: none is dormant, once the entry is one
        // of its instructions.
        Call::StartProcessAt if a1 >= me.threads => Allowed::of(InvalidParameter),
        Call::StartProcessAt => Allowed::of(InvalidMode).or(InvalidAddress),
        // Checked in order: count and order, alignment, then the range.
        Call::WakeWord if a2 == 0 || WakeOrder::from_raw(a3).is_none() => Allowed::of(InvalidParameter),
        Call::WaitWord | Call::WakeWord if !a1.is_multiple_of(4) => Allowed::of(InvalidParameter),
        Call::WaitWord | Call::WakeWord if !me.owns(a1, 4) => Allowed::of(InvalidAddress),
        // Bounded by `draw`: the timeout, a wake by another thread, or a
        // word that no longer held the value. `draw` turns every lock into
        // an unlock: never InvalidMode.
        Call::WaitWord => Allowed::of(Success).or(NoAction).or(TimedOut),
        Call::WakeWord => Allowed::of(Success),
        // The fuzzer owns no device: only its virtual timer is its own.
        Call::InterruptEnable | Call::InterruptDisable | Call::InterruptStatus if a1 != VIRTUAL_TIMER_INTID as u64 => {
            Allowed::of(InvalidParameter)
        }
        Call::InterruptEnable | Call::InterruptDisable => Allowed::of(Success).or(NoAction),
        Call::InterruptStatus => Allowed::of(Success),
    }
}

/// The results the ABI defines for a successful call, if they are wrong:
/// what was expected (short: it ends a console line).
fn wrong_results(me: &Me, draw: &Draw, results: [u64; 3], last_time_ns: &mut u64) -> Option<&'static str> {
    let call = draw.call()?;
    let [x1, x2, x3] = results;
    match call {
        Call::AbiVersion => {
            (x1 != (u64::from(ABI_VERSION_MAJOR) << 16 | u64::from(ABI_VERSION_MINOR))).then_some("the ABI version")
        }
        Call::MyIds => ([x1, x2, x3] != [me.partition, me.thread, me.core]).then_some("its own ids"),
        Call::PartitionStatus => {
            ([x1, x2, x3] != [PartitionMode::Normal as u64, 0, 0]).then_some("Normal, no restart, not system")
        }
        Call::GetTime => {
            let backwards = x1 < *last_time_ns;
            *last_time_ns = x1;
            backwards.then_some("time not going back")
        }
        Call::ConsoleWrite | Call::ConsoleFrame => (x1 != draw.args[1]).then_some("x1 = the length"),
        Call::PortByName => {
            let handle = port_named(draw.args[0], draw.args[1]);
            let kind = u64::from(handle == Some(Q_OUT)) | u64::from(handle == Some(S_IN)) << 8;
            (Some(x1) != handle || x2 != kind || x3 != PORT_MESSAGE).then_some("its port's handle, kind, size")
        }
        Call::PortStatus => {
            let s = scratch_status(me);
            let queuing = draw.args[0] == Q_OUT;
            let want_depth = if queuing { PORT_DEPTH } else { 0 };
            (u64::from(s.max_message_size) != PORT_MESSAGE
                || s.kind != u8::from(queuing)
                || s.direction != u8::from(draw.args[0] == S_IN)
                || s.depth != want_depth
                || s.messages > want_depth.max(1))
            .then_some("its port's status record")
        }
        _ => None,
    }
}

/// The handle of the port whose name is `[ptr, ptr + len)`, if it is one
/// of the fuzz partition's (read here the way the kernel does, a byte at a
/// time; the range lies in its own memory).
fn port_named(ptr: u64, len: u64) -> Option<u64> {
    PORT_NAMES.iter().find_map(|&(name, handle)| {
        let same = name.len() as u64 == len
            && name.bytes().enumerate().all(|(i, b)| {
                // SAFETY: `[ptr, ptr + len)` lies in the caller's own
                // memory, touching no guard page (`Me::owns`, checked by
                // the caller): a byte read there is sound.
                unsafe { ((ptr + i as u64) as *const u8).read_volatile() == b }
            });
        same.then_some(handle)
    })
}

/// This thread's scratch area.
fn scratch(me: &Me) -> u64 {
    // Only the address is taken.
    (&raw const SCRATCH) as u64 + me.thread.min(3) * SCRATCH_SIZE as u64
}

/// Whether `ptr` is some thread's scratch area.
fn is_scratch(ptr: u64) -> bool {
    let base = (&raw const SCRATCH) as u64;
    (base..base + 4 * SCRATCH_SIZE as u64).contains(&ptr) && (ptr - base).is_multiple_of(SCRATCH_SIZE as u64)
}

/// The PortStatus record the kernel wrote into this thread's scratch area.
fn scratch_status(me: &Me) -> PortStatus {
    let mut b = [0u8; PORT_STATUS_SIZE];
    for (i, out) in b.iter_mut().enumerate() {
        // SAFETY: this thread's own scratch area, which only it (and the
        // kernel, in its own calls) writes.
        *out = unsafe { ((scratch(me) + i as u64) as *const u8).read_volatile() };
    }
    PortStatus::from_bytes(&b)
}

/// The calls that read a buffer `(ptr, len)` from the caller.
const BUFFER_CALLS: [Call; 3] = [Call::ConsoleWrite, Call::ConsoleFrame, Call::RaiseApplicationError];

/// Every other call drawn as itself: all but those and the waits, which
/// have draws of their own.
fn other_calls() -> impl Iterator<Item = Call> {
    Call::ALL
        .iter()
        .copied()
        .filter(|c| !BUFFER_CALLS.contains(c) && !matches!(c, Call::PeriodicWait | Call::TimedWait))
}

fn draw(rng: &mut Rng, me: &Me) -> Draw {
    if rng.one_in(PERIODIC_WAIT_ONE_IN) {
        return Draw { imm: 0, id: Call::PeriodicWait.id(), args: generic_args(rng, me) };
    }
    if rng.one_in(TIMED_WAIT_ONE_IN) {
        let mut args = generic_args(rng, me);
        args[0] = delay(rng);
        return Draw { imm: 0, id: Call::TimedWait.id(), args };
    }
    if rng.one_in(FULL_SEND_ONE_IN) {
        let mut args = generic_args(rng, me);
        (args[0], args[1], args[2], args[3]) = (Q_OUT, FULL_SEND_MESSAGE.as_ptr() as u64, PORT_MESSAGE, 0);
        return Draw { imm: 0, id: Call::SendQueuingMessage.id(), args };
    }
    let mut d = match rng.below(16) {
        // Three in four: a real call, its arguments shaped for it (mostly).
        // Half of them take a buffer, whose checks have the most cases; the
        // other half are spread over the rest (the six system services and
        // HealthLog all take the same path from a normal partition).
        0..12 => {
            let call = if rng.one_in(2) {
                rng.pick(&BUFFER_CALLS)
            } else {
                let n = other_calls().count() as u64;
                other_calls().nth(rng.below(n) as usize).unwrap_or(Call::AbiVersion)
            };
            let args = if rng.one_in(4) { generic_args(rng, me) } else { shaped_args(rng, me, call) };
            Draw { imm: 0, id: call.id(), args }
        }
        // The assigned block and its gaps.
        12 => Draw { imm: 0, id: FUNCTION_BASE | rng.below(0x70) as u32, args: generic_args(rng, me) },
        // The rest of the vendor hypervisor range.
        13 => Draw { imm: 0, id: FUNCTION_BASE | (rng.next() as u32 & 0x00ff_ffff), args: generic_args(rng, me) },
        // A real call's number in another SMCCC range: SMC32 (bit 30
        // clear), a yielding call (bit 31 clear), or another owning entity
        // (bits 29:24).
        14 => {
            let n = rng.pick(Call::ALL).id() & 0xffff;
            let id = match rng.below(3) {
                0 => 0x8600_0000 | n,
                1 => 0x4600_0000 | n,
                _ => 0xC000_0000 | (((rng.below(63) as u32 + 7) % 64) << 24) | n,
            };
            Draw { imm: 0, id, args: generic_args(rng, me) }
        }
        // A random ID, or a real one through a non-zero immediate.
        _ => {
            if rng.one_in(2) {
                let call = rng.pick(Call::ALL);
                let args = shaped_args(rng, me, call);
                Draw { imm: rng.pick(&[1, 0xffff]), id: call.id(), args }
            } else {
                Draw { imm: 0, id: rng.next() as u32, args: generic_args(rng, me) }
            }
        }
    };
    // A random ID may land on a wait: PeriodicWait becomes Yield (it has
    // its own, rare, draw), TimedWait's delay is bounded.
    match d.call() {
        Some(Call::PeriodicWait) => d.id = Call::Yield.id(),
        Some(Call::TimedWait) => d.args[0] = delay(rng),
        // A port wait is bounded like a TimedWait (INFINITE and other
        // long ones would park the thread: the queue is never drained).
        Some(Call::SendQueuingMessage | Call::ReceiveQueuingMessage) if d.args[3] > MAX_DELAY_NS => {
            d.args[3] = delay(rng)
        }
        // A call that writes into the caller's memory writes into the
        // thread's scratch area instead of wherever in its own memory the
        // draw pointed (its stacks, its state); see [`SCRATCH`].
        Some(Call::ReadSamplingMessage | Call::PortStatus | Call::ProcessStatus)
            if d.args[2] <= SCRATCH_SIZE as u64 && me.owns(d.args[1], d.args[2].max(1)) =>
        {
            d.args[1] = scratch(me)
        }
        Some(Call::GetPartitionStatus) if d.args[1] <= SCRATCH_SIZE as u64 && me.owns(d.args[0], d.args[1].max(1)) => {
            d.args[0] = scratch(me)
        }
        // The fuzzer keeps its partition and its threads: no restart, no
        // Idle, no stop or suspension of a thread (an index past them),
        // no preemption lock (see `allowed`), a bounded SuspendSelf.
        Some(Call::SetPartitionMode) if d.args[0] <= PartitionMode::WarmStart as u64 => {
            d.args[0] = PartitionMode::Normal as u64
        }
        Some(Call::StopProcess | Call::SuspendProcess) => d.args[0] = d.args[0].max(me.threads),
        Some(Call::LockPreemption) => d.id = Call::UnlockPreemption.id(),
        Some(Call::SuspendSelf) if d.args[0] > MAX_DELAY_NS => d.args[0] = delay(rng),
        Some(Call::WaitWord) if d.args[2] > MAX_DELAY_NS => d.args[2] = delay(rng),
        _ => {}
    }
    d
}

/// A TimedWait delay: none, one ns, one tick, or up to [`MAX_DELAY_NS`].
fn delay(rng: &mut Rng) -> u64 {
    match rng.below(4) {
        0 => 0,
        1 => 1,
        2 => 16,
        _ => rng.below(MAX_DELAY_NS + 1),
    }
}

/// Arguments with no regard to the call: each register an integer, a
/// pointer or a length.
fn generic_args(rng: &mut Rng, me: &Me) -> [u64; 6] {
    let mut args = [0; 6];
    for a in &mut args {
        *a = match rng.below(3) {
            0 => integer(rng),
            1 => {
                let len = any_length(rng);
                pointer(rng, me, len)
            }
            _ => any_length(rng),
        };
    }
    args
}

/// A length around any of the ABI's limits.
fn any_length(rng: &mut Rng) -> u64 {
    let limit = rng.pick(&[MAX_CONSOLE_WRITE, MAX_CONSOLE_FRAME, MAX_ERROR_MESSAGE]) as u64;
    length(rng, limit)
}

/// Arguments for `call` as its signature has them (x4..x6 always random).
fn shaped_args(rng: &mut Rng, me: &Me, call: Call) -> [u64; 6] {
    let mut args = generic_args(rng, me);
    match call {
        Call::ConsoleWrite => (args[0], args[1]) = printed(rng, me, MAX_CONSOLE_WRITE as u64),
        Call::ConsoleFrame => (args[0], args[1]) = printed(rng, me, MAX_CONSOLE_FRAME as u64),
        Call::RaiseApplicationError => {
            args[0] = integer(rng);
            (args[1], args[2]) = buffer(rng, me, MAX_ERROR_MESSAGE as u64);
        }
        Call::TimedWait => args[0] = delay(rng),
        Call::PortByName if rng.one_in(2) => {
            let (name, _) = rng.pick(&PORT_NAMES);
            (args[0], args[1]) = (name.as_ptr() as u64, name.len() as u64);
        }
        Call::PortByName => (args[0], args[1]) = buffer(rng, me, NAME_MAX_LEN),
        Call::WriteSamplingMessage
        | Call::ReadSamplingMessage
        | Call::SendQueuingMessage
        | Call::ReceiveQueuingMessage
        | Call::PortStatus => {
            args[0] = small_id(rng);
            let limit = if rng.one_in(2) { PORT_MESSAGE } else { MAX_MESSAGE_SIZE as u64 };
            (args[1], args[2]) = buffer(rng, me, limit);
            if call == Call::PortStatus && !rng.one_in(4) {
                args[2] = PORT_STATUS_SIZE as u64;
            }
            args[3] = delay(rng);
        }
        Call::MemoryRegion => (args[0], args[1]) = buffer(rng, me, MAX_REGION_NAME as u64),
        // Denied before anything is looked at: a record-sized buffer of
        // this partition's, to show the refusal does not hang on it.
        Call::HealthLog => (args[0], args[1]) = buffer(rng, me, HEALTH_RECORD_SIZE as u64),
        Call::SetSchedule | Call::StopPartition | Call::StartPartition | Call::RestartPartition => {
            args[0] = small_id(rng);
        }
        Call::SetThreadAffinity => {
            args[0] = small_id(rng);
            args[1] = small_id(rng);
            args[2] = if rng.one_in(2) { rng.below(0x20) } else { integer(rng) };
        }
        Call::SetPartitionMode => args[0] = rng.below(6),
        Call::GetPartitionStatus => {
            (args[0], args[1]) = buffer(rng, me, PARTITION_STATUS_SIZE as u64);
            if !rng.one_in(4) {
                args[1] = PARTITION_STATUS_SIZE as u64;
            }
        }
        Call::ProcessIdByName => (args[0], args[1]) = buffer(rng, me, NAME_MAX_LEN),
        Call::ProcessStatus => {
            args[0] = small_id(rng);
            (args[1], args[2]) = buffer(rng, me, PROCESS_STATUS_SIZE as u64);
            if !rng.one_in(4) {
                args[2] = PROCESS_STATUS_SIZE as u64;
            }
        }
        Call::StartProcess | Call::StopProcess | Call::SuspendProcess | Call::ResumeProcess => args[0] = small_id(rng),
        Call::DelayedStartProcess => (args[0], args[1]) = (small_id(rng), integer(rng)),
        Call::SetProcessPriority => (args[0], args[1]) = (small_id(rng), rng.below(300)),
        Call::SuspendSelf => args[0] = delay(rng),
        Call::Replenish => args[0] = integer(rng),
        Call::CreateErrorHandler => args[0] = small_id(rng),
        Call::StartProcessAt => {
            args[0] = small_id(rng);
            args[1] = if rng.one_in(2) { TEXT.as_ptr() as u64 } else { pointer(rng, me, 4) };
        }
        Call::GetErrorStatus => (args[0], args[1]) = buffer(rng, me, 160),
        // Mostly one of the fuzzer's own words (shared by its threads, so
        // one thread's wake may end another's wait), sometimes anywhere.
        Call::WaitWord | Call::WakeWord => {
            args[0] = if rng.one_in(2) { (&raw const WORDS) as u64 + 4 * rng.below(2) } else { pointer(rng, me, 4) };
            if call == Call::WaitWord {
                (args[1], args[2]) = (rng.below(2), delay(rng));
            } else {
                args[1] = if rng.one_in(4) { integer(rng) } else { rng.below(3) };
                args[2] = if rng.one_in(4) { integer(rng) } else { rng.below(2) };
            }
        }
        Call::InterruptEnable | Call::InterruptDisable | Call::InterruptStatus => {
            args[0] = if rng.one_in(2) { u64::from(VIRTUAL_TIMER_INTID) } else { integer(rng) };
        }
        Call::AbiVersion
        | Call::MyIds
        | Call::PartitionStatus
        | Call::GetTime
        | Call::PeriodicWait
        | Call::Yield
        | Call::ScheduleStatus
        | Call::LockPreemption
        | Call::UnlockPreemption => {}
    }
    args
}

/// A partition, thread or schedule id: the real ones (0 and 1 are this
/// module's partitions, 0 its only schedule, 0..=3 the threads), just past
/// them, or an extreme.
fn small_id(rng: &mut Rng) -> u64 {
    if rng.one_in(4) { integer(rng) } else { rng.below(6) }
}

/// An integer argument.
fn integer(rng: &mut Rng) -> u64 {
    match rng.below(6) {
        0 => rng.below(17),
        1 => rng.pick(&[
            u64::MAX,
            u64::MAX - 1,
            i64::MAX as u64,
            i64::MIN as u64,
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 1,
            0xff,
            0x100,
            0xffff,
            0x1_0000,
        ]),
        // Log-uniform: as many small magnitudes as large ones.
        2 => rng.next() >> rng.below(64),
        3 => rng.below(0x20),
        _ => rng.next(),
    }
}

/// A length around `limit`: 0, 1, small, at the limit and one either side,
/// up to twice it, or huge.
fn length(rng: &mut Rng, limit: u64) -> u64 {
    match rng.below(10) {
        0 => 0,
        1 => 1,
        2 | 3 => 1 + rng.below(64),
        4 => limit - 1,
        5 => limit,
        6 => limit + 1,
        7 => rng.below(2 * limit + 1),
        8 => rng.pick(&[u64::MAX, u64::MAX - 1, 1 << 63, u64::from(u32::MAX), 0x1_0000_0000]),
        _ => rng.next() >> rng.below(64),
    }
}

/// A pointer for a buffer of `len` bytes.
fn pointer(rng: &mut Rng, me: &Me, len: u64) -> u64 {
    let size = me.end - me.base;
    match rng.below(20) {
        // Inside the printable text (valid if the length fits in it).
        0..=3 => TEXT.as_ptr() as u64 + rng.below(TEXT.len() as u64 - len.min(TEXT.len() as u64) + 1),
        // The end of memory: the range ending there, one before, one past;
        // the end itself and just beyond.
        4 => me.end.wrapping_sub(len),
        5 => me.end.wrapping_sub(len).wrapping_add(1),
        6 => me.end.wrapping_sub(len).wrapping_sub(1),
        7 => me.end + rng.below(3),
        8 => me.end.wrapping_sub(1 + rng.below(16)),
        // The base: the range starting there, one below, ending there.
        9 => me.base,
        10 => me.base.wrapping_sub(1 + rng.below(16)),
        11 => me.base.wrapping_sub(len),
        // Anywhere in memory (prints what is there, sanitised): rare.
        12 => me.base + rng.below(size),
        // Null and the first page.
        13 => rng.below(2) * rng.below(4096),
        // The kernel, the system image, devices.
        14 => rng.pick(&[KERNEL_LOAD as u64, 0x0100_0000, PL011_BASE as u64, GICD_BASE as u64]),
        // Other IPAs below and above our memory.
        15 => rng.below(me.base),
        16 => me.end.wrapping_add(rng.next() >> rng.below(64)),
        // Ranges that wrap past 2^64.
        17 => u64::MAX - rng.below(len.max(1)),
        18 => 1 << 63,
        _ => rng.next(),
    }
}

/// A buffer argument pair for a call whose length limit is `limit`.
fn buffer(rng: &mut Rng, me: &Me, limit: u64) -> (u64, u64) {
    let len = length(rng, limit);
    (pointer(rng, me, len), len)
}

/// A buffer for a call that prints it: three in four of the ranges that
/// would print are moved one byte across the end of memory instead, so
/// that the console carries some of the output rather than dropping
/// nearly all of it (the valid cases keep their share of every kind).
fn printed(rng: &mut Rng, me: &Me, limit: u64) -> (u64, u64) {
    let (ptr, len) = buffer(rng, me, limit);
    if len > 0 && len <= limit && me.owns(ptr, len) && !rng.one_in(4) {
        return (me.end - len + 1, len);
    }
    (ptr, len)
}

/// `x0..x17` after `HVC #IMM` with `regs` going in.
fn hvc_imm<const IMM: u16>(regs: &mut [u64; 18]) {
    #[cfg(all(target_arch = "aarch64", target_os = "none"))]
    // SAFETY: the kernel takes the HVC. No call of the ABI writes through a
    // pointer argument (they only read, after checking the range is the
    // caller's), so the random pointers cannot touch our memory; every call
    // returns to us (the waits after at most the bounded delay or a frame,
    // RaiseApplicationError because the description's action is `log`,
    // the partition-wide services are denied to a normal partition), but
    // the last TimedWait of `park`, which must not, and leaves nothing
    // behind that needs dropping. Every
    // register the ABI may change (x0..x3) is an output; x4..x17 are
    // outputs too, so that a kernel that changed them is seen, not
    // trusted. The kernel does not use our stack.
    unsafe {
        core::arch::asm!(
            "hvc #{imm}",
            imm = const IMM,
            inout("x0") regs[0], inout("x1") regs[1], inout("x2") regs[2], inout("x3") regs[3],
            inout("x4") regs[4], inout("x5") regs[5], inout("x6") regs[6], inout("x7") regs[7],
            inout("x8") regs[8], inout("x9") regs[9], inout("x10") regs[10], inout("x11") regs[11],
            inout("x12") regs[12], inout("x13") regs[13], inout("x14") regs[14], inout("x15") regs[15],
            inout("x16") regs[16], inout("x17") regs[17],
            options(nostack),
        );
    }
    #[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
    {
        // A host build only type-checks the image: no hypervisor.
        regs[0] = Status::NotSupported.raw() as u64;
    }
}

/// Makes the call; returns `x0..x3` and whether `x4..x17` came back as
/// they went in (`x7..x17` carry `canary`-derived values).
fn call(draw: &Draw, canary: u64) -> ([u64; 4], bool) {
    let mut regs = [0u64; 18];
    regs[0] = u64::from(draw.id);
    regs[1..7].copy_from_slice(&draw.args);
    for (i, r) in regs.iter_mut().enumerate().skip(7) {
        *r = canary.rotate_left(i as u32) ^ i as u64;
    }
    let sent = regs;
    match draw.imm {
        0 => hvc_imm::<0>(&mut regs),
        1 => hvc_imm::<1>(&mut regs),
        _ => hvc_imm::<0xffff>(&mut regs),
    }
    ([regs[0], regs[1], regs[2], regs[3]], regs[4..] == sent[4..])
}

/// What a call did that the ABI does not document.
#[derive(Clone, Copy)]
enum Fault {
    /// A status the ABI does not give this call for these arguments.
    Status,
    /// Results other than those the ABI defines (which, in short).
    Result(&'static str),
    /// `x4..x17` not as they went in.
    Registers,
}

/// One undocumented result, kept to be printed once the console has room.
#[derive(Clone, Copy)]
struct Failure {
    fault: Fault,
    raw: i64,
    draw: Draw,
    /// The call's number in the thread's sequence, from 1.
    call: u64,
    results: [u64; 3],
}

/// Per-thread tallies.
#[derive(Default)]
struct Tally {
    calls: u64,
    refused: u64,
    undocumented: u64,
    /// By status, `Success` first (index `-raw`).
    by_status: [u64; 10],
    /// The first few failures.
    failures: [Option<Failure>; REPORTS_PER_THREAD],
}

pub fn run(thread: ThreadInfo, plan: &Plan) -> ! {
    let ids = my_ids().expect("MyIds has no error case");
    let me = Me {
        partition: u64::from(ids.partition),
        thread: u64::from(ids.thread),
        core: u64::from(ids.core),
        base: thread.memory_base,
        end: thread.memory_end(),
        threads: u64::from(thread.count),
    };
    let mut rng = Rng::for_thread(plan.seed, thread.index);
    println!(
        "hostile-fuzz: thread {} on core {}: seed {:#x}, {} calls to make",
        me.thread, me.core, plan.seed, plan.calls_per_thread
    );
    // Every thread's first line out before any random output fills the
    // console buffer.
    STARTED.fetch_add(1, Ordering::AcqRel);
    while STARTED.load(Ordering::Acquire) < thread.count {
        let _ = periodic_wait();
    }
    let mut tally = Tally::default();
    let mut last_time_ns = 0;
    while tally.calls < plan.calls_per_thread {
        if tally.calls % CALLS_PER_LOOK == 0 && time().is_ok_and(|t| t.window_remaining_ns() < WINDOW_MARGIN_NS) {
            let _ = periodic_wait();
            continue;
        }
        let d = draw(&mut rng, &me);
        let canary = rng.next();
        let ([x0, x1, x2, x3], preserved) = call(&d, canary);
        tally.calls += 1;
        let raw = x0 as i64;
        if raw != 0 {
            tally.refused += 1;
        }
        if let Some(n) = tally.by_status.get_mut(raw.unsigned_abs() as usize).filter(|_| raw <= 0) {
            *n += 1;
        }
        let fault = if !allowed(&me, &d).admits(raw) {
            Some(Fault::Status)
        } else if !preserved {
            Some(Fault::Registers)
        } else if raw == 0 {
            wrong_results(&me, &d, [x1, x2, x3], &mut last_time_ns).map(Fault::Result)
        } else {
            None
        };
        if let Some(fault) = fault {
            if let Some(slot) = tally.failures.get_mut(tally.undocumented as usize) {
                *slot = Some(Failure { fault, raw, draw: d, call: tally.calls, results: [x1, x2, x3] });
            }
            tally.undocumented += 1;
        }
    }
    let done_us = time().map_or(0, |t| t.now_ns / 1000);
    // End any line the random writes left open, so the next is whole.
    let _ = console_write(b"\n");
    DONE.fetch_add(1, Ordering::AcqRel);
    while DONE.load(Ordering::Acquire) < thread.count {
        let _ = periodic_wait();
    }
    for _ in 0..DRAIN_WINDOWS {
        let _ = periodic_wait();
    }
    for failure in tally.failures.iter().flatten() {
        report(failure);
    }
    let [
        ok,
        not_supported,
        invalid_parameter,
        invalid_address,
        denied,
        empty,
        full,
        timed_out,
        invalid_mode,
        no_action,
    ] = tally.by_status;
    // Two lines: a console line holds 120 bytes.
    println!(
        "hostile-fuzz: thread {} statuses 0:{ok} -1:{not_supported} -2:{invalid_parameter} -3:{invalid_address} -4:{denied} -9:{no_action}",
        me.thread
    );
    println!(
        "hostile-fuzz: thread {} statuses -5:{empty} -6:{full} -7:{timed_out} -8:{invalid_mode}, done at {done_us} us",
        me.thread
    );
    println!(
        "hostile-fuzz: thread {} on core {}: {} calls, {} refused, {} undocumented",
        me.thread, me.core, tally.calls, tally.refused, tally.undocumented
    );
    park(me.thread)
}

/// Three lines, each short of the console's 120 bytes.
fn report(f: &Failure) {
    let d = &f.draw;
    let name = Call::from_id(d.id).map_or("unknown", Call::name);
    let what = match f.fault {
        Fault::Status => "status",
        Fault::Result(_) => "result",
        Fault::Registers => "x4..x17 change",
    };
    let raw = if matches!(f.fault, Fault::Status) { f.raw } else { 0 };
    let (id, imm, n) = (d.id, d.imm, f.call);
    if matches!(f.fault, Fault::Status) {
        println!("hostile-fuzz: UNDOCUMENTED status {raw} for call {id:#x} ({name}, hvc #{imm}), call {n}");
    } else {
        println!("hostile-fuzz: UNDOCUMENTED {what} for call {id:#x} ({name}, hvc #{imm}), call {n}");
    }
    println!("hostile-fuzz:   args {:#x} {:#x} {:#x}", d.args[0], d.args[1], d.args[2]);
    let [x1, x2, x3] = f.results;
    match f.fault {
        Fault::Result(expected) => println!("hostile-fuzz:   results {x1:#x} {x2:#x} {x3:#x}, expected {expected}"),
        _ => println!("hostile-fuzz:   results {x1:#x} {x2:#x} {x3:#x}"),
    }
}

/// The last call: a TimedWait no thread could outlive (a different extreme
/// per thread, each representable at 62.5 MHz), which must not return.
fn park(thread: u64) -> ! {
    let delay = [u64::MAX, i64::MAX as u64, u64::MAX - 1, 1 << 62][thread as usize % 4];
    let draw = Draw { imm: 0, id: Call::TimedWait.id(), args: [delay, 0, 0, 0, 0, 0] };
    let ([x0, ..], _) = call(&draw, 0);
    println!("hostile-fuzz: UNDOCUMENTED TimedWait of {delay} ns returned, status {}", x0 as i64);
    loop {
        let _ = periodic_wait();
    }
}
