//! `abi-contract`: checks the hypercall ABI reference (`kernel/abi` crate
//! docs, `partitions/sdk/README.md`) against the kernel, call by call:
//! the documented result registers and record fields, the documented
//! status of each error case, and that `x4..x17` come back as they were
//! passed (partitions/tests/abi-contract.toml). It complements the
//! hostile-* tests, which cover bad pointers, over-long lengths, wrong
//! port kinds and the system services refused to a normal partition.
//!
//! The same image runs twice in the description:
//! - partition 0 `abi-contract` (system, threads `main` on core 0 and
//!   `worker` on core 1): `main` runs the checks, `worker` parks in
//!   PeriodicWait and is the target of the process calls;
//! - partition 1 `abi-peer` (normal, one thread): checks what a normal
//!   partition sees, owns the other ends of the channels (and never
//!   touches them) and writes its view of the shared region; `main`
//!   restarts it at the end, and in its second life it checks its start
//!   condition and the region it wrote.
//!
//! Each check prints one line:
//!
//! ```text
//! abi-contract: CASE: ok
//! abi-contract: CASE: FAILED expected X got Y
//! ```
//!
//! The end of each partition's run:
//!
//! ```text
//! abi-contract: done (N checks)                      (abi-contract)
//! abi-contract: peer done (N checks, restarts R)     (abi-peer, per life)
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_board_rpi4::memory::KERNEL_LOAD;
use bulkhead_sdk::abi::{
    ERROR_STATUS_SIZE, FUNCTION_BASE, PARTITION_STATUS_SIZE, PORT_STATUS_SIZE, PROCESS_STATUS_SIZE, PortStatus,
};
use bulkhead_sdk::process::{
    create_error_handler, delayed_start, get_error_status, get_partition_status, lock_preemption, process_id,
    process_status, replenish, resume, set_partition_mode, set_priority, start, stop, suspend, suspend_self,
    unlock_preemption,
};
use bulkhead_sdk::word::{self, WakeOrder};
use bulkhead_sdk::{
    AbiVersion, Call, HEALTH_RECORD_SIZE, INFINITE, PartitionMode, ProcessState, RegionAccess, StartCondition, Status,
    ThreadInfo, abi_version, console_write, hvc, irq, memory_region, my_ids, partition_status, periodic_wait,
    port_by_name, port_status, println, read_health_log, restart_partition, schedule_status, set_schedule,
    set_thread_affinity, start_partition, status_name, stop_partition, time, timed_wait, yield_now,
};
use core::fmt::Debug;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

bulkhead_sdk::partition_main!(main);

/// The description's numbers (partitions/tests/abi-contract.toml).
const MAJOR_FRAME_NS: u64 = 10_000_000;
const WINDOW_NS: u64 = 4_000_000;
/// Schedule 1, `alt`: a 20 ms frame, 8 ms for each partition.
const ALT_FRAME_NS: u64 = 20_000_000;
const ALT_WINDOW_NS: u64 = 8_000_000;
const MEMORY_BASE: u64 = 0x4000_0000;
const MEMORY_SIZE: u64 = 2 * 1024 * 1024;
const MAIN_PRIORITY: u32 = 20;
const WORKER_PRIORITY: u32 = 10;
const MESSAGE_SIZE: u64 = 16;
const QUEUE_DEPTH: u32 = 3;
const REFRESH_NS: u64 = 20_000_000;
const REGION_SIZE: u64 = 4096;
/// What the peer writes on its sampling port and sends on its queue.
const PEER_SAMPLE: &[u8] = b"peer!";
const PEER_MESSAGE: &[u8] = b"message";
/// What the peer writes at offset 8 of the shared region.
const PEER_MAGIC: u64 = 0xab1c_0417_ab1c_0417;
const ABI_CONTRACT: u64 = 0;
const ABI_PEER: u64 = 1;

/// Read-only data (`.rodata`): a buffer the kernel must not write, and an
/// address that is no instruction.
static READ_ONLY: [u8; 64] = [0x5a; 64];
/// 32 bytes: one over every name limit (31).
const NAME_32: &[u8; 32] = b"a_name_of_exactly_thirty_two_b__";

/// The worker's MyIds, as it saw them (partition, thread, core; u32::MAX
/// until it ran).
static WORKER_IDS: [AtomicU32; 3] = [const { AtomicU32::new(u32::MAX) }; 3];
/// The worker's runs from its entry.
static WORKER_STARTS: AtomicU32 = AtomicU32::new(0);
/// When the worker last started, ns since the epoch.
static WORKER_STARTED_NS: AtomicU64 = AtomicU64::new(0);
/// What the worker does in its loop: 0 PeriodicWait, 1 an endless receive
/// on `q_in`, 2 an endless WaitWord on [`WORD`] (while it holds 7).
static WORKER_MODE: AtomicU32 = AtomicU32::new(0);
/// The worker's WaitWord returns with 0 (woken).
static WORKER_WOKEN: AtomicU32 = AtomicU32::new(0);
/// A word of our own memory for WaitWord/WakeWord.
static WORD: AtomicU32 = AtomicU32::new(7);

/// The checks made and their verdicts.
struct Checks {
    n: u32,
    failed: u32,
}

impl Checks {
    fn line(&mut self, case: &str, good: bool, expected: &dyn Debug, got: &dyn Debug) {
        self.n += 1;
        if good {
            println!("abi-contract: {case}: ok");
        } else {
            self.failed += 1;
            println!("abi-contract: {case}: FAILED expected {} got {}", cut(expected), cut(got));
        }
    }

    /// `got == expected`.
    fn eq<T: PartialEq + Debug>(&mut self, case: &str, expected: T, got: T) {
        self.line(case, got == expected, &expected, &got);
    }

    /// `cond` holds; `got` says what was seen.
    fn that(&mut self, case: &str, cond: bool, expected: &str, got: &dyn Debug) {
        self.line(case, cond, &Text(expected), got);
    }

    /// The status of a result.
    fn st<T>(&mut self, case: &str, expected: Status, got: Result<T, Status>) {
        let got = got.err().unwrap_or(Status::Success);
        self.line(case, got == expected, &Name(expected.raw()), &Name(got.raw()));
    }

    /// The status of a raw `x0`.
    fn raw(&mut self, case: &str, expected: Status, x0: u64) {
        self.line(case, x0 as i64 == expected.raw(), &Name(expected.raw()), &Name(x0 as i64));
    }
}

/// A value's `Debug` text, cut to its first 24 bytes (console lines stay
/// under 110 bytes).
fn cut(v: &dyn Debug) -> Cut {
    use core::fmt::Write;
    let mut c = Cut { bytes: [0; 24], len: 0 };
    let _ = write!(c, "{v:?}");
    c
}

struct Cut {
    bytes: [u8; 24],
    len: usize,
}

impl core::fmt::Write for Cut {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if self.len < self.bytes.len() {
                self.bytes[self.len] = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

impl core::fmt::Display for Cut {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // ASCII from Debug; a cut inside a multi-byte character shows `?`.
        f.write_str(core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("?"))
    }
}

/// A status shown by its name.
struct Name(i64);
impl Debug for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(status_name(self.0))
    }
}

/// Text shown as it is.
struct Text<'a>(&'a str);
impl Debug for Text<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

/// A raw call whose pointer arguments the caller vouches for.
///
/// # Safety
///
/// As [`hvc`]: every pointer argument names memory the call may read or
/// write (or memory the kernel must refuse, for the error cases).
unsafe fn call(id: Call, args: [u64; 4]) -> [u64; 4] {
    // SAFETY: the caller's contract.
    unsafe { hvc(id.id(), [args[0], args[1], args[2], args[3], 0, 0]) }
}

/// The pattern put in `x4 + i` (`i` = 0..14) before a call.
const fn pattern(i: usize) -> u64 {
    0xa5a5_0000_0000_0000 | ((i as u64 + 4) << 32) | 0x0417
}

/// Issues `HVC #0` with `id` and `x1..x3` = `args`, `x4` = `x4` and
/// `x5..x17` = [`pattern`]; returns `x0..x3` and a mask of the registers
/// of `x4..x17` that came back changed (bit i: `x4 + i`).
///
/// # Safety
///
/// As [`hvc`]; the call must return (no restart, no stop of the caller).
#[cfg(all(target_arch = "aarch64", target_os = "none"))]
unsafe fn hvc_keeps(id: u32, args: [u64; 3], x4: u64) -> ([u64; 4], u32) {
    let mut r = [x4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (i, v) in r.iter_mut().enumerate().skip(1) {
        *v = pattern(i);
    }
    let sent = r;
    let (x0, x1, x2, x3): (u64, u64, u64, u64);
    // SAFETY: HVC #0 traps to the kernel; every register it may change is
    // declared here (x0..x17 as in-outs), and it touches only the memory
    // the call's pointer arguments name, which the caller vouches for.
    unsafe {
        core::arch::asm!(
            "hvc #0",
            inout("x0") u64::from(id) => x0,
            inout("x1") args[0] => x1,
            inout("x2") args[1] => x2,
            inout("x3") args[2] => x3,
            inout("x4") r[0] => r[0],
            inout("x5") r[1] => r[1],
            inout("x6") r[2] => r[2],
            inout("x7") r[3] => r[3],
            inout("x8") r[4] => r[4],
            inout("x9") r[5] => r[5],
            inout("x10") r[6] => r[6],
            inout("x11") r[7] => r[7],
            inout("x12") r[8] => r[8],
            inout("x13") r[9] => r[9],
            inout("x14") r[10] => r[10],
            inout("x15") r[11] => r[11],
            inout("x16") r[12] => r[12],
            inout("x17") r[13] => r[13],
            options(nostack),
        );
    }
    let changed = (0..14).filter(|&i| r[i] != sent[i]).fold(0u32, |m, i| m | 1 << i);
    ([x0, x1, x2, x3], changed)
}

#[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
unsafe fn hvc_keeps(_id: u32, _args: [u64; 3], _x4: u64) -> ([u64; 4], u32) {
    ([Status::NotSupported.raw() as u64, 0, 0, 0], 0)
}

/// Issues `HVC #imm` (imm 1) with a valid function ID in `w0`.
fn hvc_imm1(id: u32) -> u64 {
    #[cfg(all(target_arch = "aarch64", target_os = "none"))]
    {
        let x0: u64;
        // SAFETY: the kernel must refuse HVC #1 (not ours to define) and
        // change nothing but x0..x3, declared clobbered; AbiVersion's ID
        // has no pointer argument anyway.
        unsafe {
            core::arch::asm!(
                "hvc #1",
                inout("x0") u64::from(id) => x0,
                inout("x1") 0u64 => _,
                inout("x2") 0u64 => _,
                inout("x3") 0u64 => _,
                options(nostack),
            );
        }
        x0
    }
    #[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
    {
        let _ = id;
        Status::NotSupported.raw() as u64
    }
}

fn main(thread: ThreadInfo) -> ! {
    let ids = my_ids();
    match (ids.map(|i| i.partition), thread.index) {
        (Ok(0), 0) => contract(thread),
        (Ok(0), _) => worker(),
        _ => peer(thread),
    }
}

/// The worker: notes its ids, then parks.
fn worker() -> ! {
    WORKER_STARTED_NS.store(time().map_or(0, |t| t.now_ns), Ordering::Release);
    WORKER_STARTS.fetch_add(1, Ordering::AcqRel);
    if let Ok(ids) = my_ids() {
        WORKER_IDS[0].store(ids.partition, Ordering::Release);
        WORKER_IDS[1].store(ids.thread, Ordering::Release);
        WORKER_IDS[2].store(ids.core, Ordering::Release);
    }
    let q_in = port_by_name("q_in").map_or(u64::MAX, |p| p.handle);
    let mut buf = [0u8; 16];
    loop {
        match WORKER_MODE.load(Ordering::Acquire) {
            1 => {
                let _ = bulkhead_sdk::port::receive_queuing(q_in, &mut buf, INFINITE);
            }
            2 => {
                if word::wait(&WORD, 7, INFINITE).is_ok() {
                    WORKER_WOKEN.fetch_add(1, Ordering::AcqRel);
                }
            }
            _ => {
                let _ = periodic_wait();
            }
        }
    }
}

/// A record of our own the kernel writes.
fn raw_status<const N: usize>(c: Call, args_before: &[u64], len: u64) -> ([u8; N], u64) {
    let mut buf = [0u8; N];
    let mut a = [0u64; 4];
    a[..args_before.len()].copy_from_slice(args_before);
    a[args_before.len()] = buf.as_mut_ptr() as u64;
    a[args_before.len() + 1] = len;
    // SAFETY: the call writes at most `len` bytes at the pointer, and the
    // cases here pass at most `N` (a shorter length is refused whole).
    let [x0, ..] = unsafe { call(c, a) };
    (buf, x0)
}

/// Partition 0, thread 0: the checks.
fn contract(thread: ThreadInfo) -> ! {
    let mut c = Checks { n: 0, failed: 0 };
    println!("abi-contract: checking the ABI reference");
    entry_and_identity(&mut c, thread);
    unknown_calls(&mut c);
    time_and_waits(&mut c);
    registers_kept(&mut c);
    partition_calls(&mut c);
    process_calls(&mut c);
    preemption_lock(&mut c);
    let region = regions(&mut c);
    ports(&mut c, region);
    registers_kept_waiting(&mut c);
    waiters(&mut c);
    words_and_interrupts(&mut c, region);
    health_log(&mut c, region);
    system_services(&mut c);
    schedule_switch(&mut c);
    peer_restart(&mut c, region);
    println!("abi-contract: done ({} checks)", c.n);
    let _ = c.failed;
    loop {
        let _ = periodic_wait();
    }
}

fn entry_and_identity(c: &mut Checks, thread: ThreadInfo) {
    c.eq("entry x0 thread index", 0, thread.index);
    c.eq("entry x1 thread count", 2, thread.count);
    c.eq("entry x2 memory base", MEMORY_BASE, thread.memory_base);
    c.eq("entry x3 memory size", MEMORY_SIZE, thread.memory_size);
    c.eq("AbiVersion x1", Ok(AbiVersion::SDK), abi_version());
    c.eq("MyIds partition/thread/core", Ok((0, 0, 0)), my_ids().map(|i| (i.partition, i.thread, i.core)));
    // The worker has run by our second window.
    let _ = periodic_wait();
    let worker: [u32; 3] = core::array::from_fn(|i| WORKER_IDS[i].load(Ordering::Acquire));
    c.eq("MyIds of worker (partition/thread/core)", [0, 1, 1], worker);
    c.eq("PartitionStatus x1..x3 (mode/restarts/system)", Ok((3, 0, true)), {
        partition_status().map(|s| (s.mode_raw, s.restarts, s.system))
    });
}

fn unknown_calls(c: &mut Checks) {
    // SAFETY: none of these IDs is a call: nothing is read or written.
    let [x0, ..] = unsafe { hvc(0x8600_0000, [0; 6]) };
    c.raw("SMC32 encoding of AbiVersion", Status::NotSupported, x0);
    // SAFETY: as above.
    let [x0, ..] = unsafe { hvc(0, [0; 6]) };
    c.raw("function ID 0", Status::NotSupported, x0);
    // SAFETY: as above: a yielding (not fast) call of the same number.
    let [x0, ..] = unsafe { hvc(0x4600_0000, [0; 6]) };
    c.raw("yielding-call encoding of AbiVersion", Status::NotSupported, x0);
    // SAFETY: as above: a number of the range never assigned.
    let [x0, ..] = unsafe { hvc(FUNCTION_BASE | 0x0c, [0; 6]) };
    c.raw("unassigned ID 0xC600000C", Status::NotSupported, x0);
    c.raw("HVC #1 with a valid ID", Status::NotSupported, hvc_imm1(Call::AbiVersion.id()));
}

fn time_and_waits(c: &mut Checks) {
    let _ = periodic_wait();
    let t = time();
    c.that(
        "PeriodicWait returns at the window start",
        t.is_ok_and(|t| t.now_ns % MAJOR_FRAME_NS < 1_000_000),
        "now within 1 ms of a frame start",
        &t.map(|t| t.now_ns % MAJOR_FRAME_NS),
    );
    c.that(
        "GetTime x2 is the window end",
        t.is_ok_and(|t| t.window_end_ns % MAJOR_FRAME_NS == WINDOW_NS && t.window_end_ns > t.now_ns),
        "window_end % 10ms = 4ms, after now",
        &t.map(|t| t.window_end_ns % MAJOR_FRAME_NS),
    );
    c.that(
        "GetTime window remaining within the window",
        t.is_ok_and(|t| t.window_remaining_ns() <= WINDOW_NS),
        "<= 4 ms",
        &t.map(|t| t.window_remaining_ns()),
    );
    let t2 = time();
    c.that(
        "GetTime is monotonic",
        matches!((t, t2), (Ok(a), Ok(b)) if b.now_ns >= a.now_ns),
        "second >= first",
        &t2.map(|t| t.now_ns),
    );
    let before = time().map_or(0, |t| t.now_ns);
    let r = timed_wait(1_000_000);
    let after = time();
    c.st("TimedWait(1 ms) status", Status::Success, r);
    c.that(
        "TimedWait(1 ms) waits at least 1 ms",
        after.is_ok_and(|a| a.now_ns >= before + 1_000_000 && a.now_ns < a.window_end_ns),
        ">= 1 ms later, in a window",
        &after.map(|a| a.now_ns - before),
    );
    let before = time().map_or(0, |t| t.now_ns);
    let r = timed_wait(5_000_000);
    let after = time();
    c.st("TimedWait(5 ms) status", Status::Success, r);
    c.that(
        "TimedWait(5 ms) returns in a later window",
        after.is_ok_and(|a| a.now_ns >= before + 5_000_000 && a.now_ns % MAJOR_FRAME_NS < WINDOW_NS),
        ">= 5 ms later, in our window",
        &after.map(|a| (a.now_ns - before, a.now_ns % MAJOR_FRAME_NS)),
    );
    c.st("TimedWait(0) (a yield)", Status::Success, timed_wait(0));
    c.st("Yield", Status::Success, yield_now());
    let w0 = time().map_or(0, |t| t.window_end_ns);
    let r = periodic_wait();
    let w1 = time().map_or(0, |t| t.window_end_ns);
    c.st("PeriodicWait status", Status::Success, r);
    c.eq("PeriodicWait: next window end one frame on", w0 + MAJOR_FRAME_NS, w1);
    let mut text = *b"abi-contract: ConsoleWrite of this line\n";
    let n = text.len();
    c.eq("ConsoleWrite x1 = len", Ok(n), console_write(&text));
    text[0] = b'a';
    c.eq("ConsoleWrite of 0 bytes x1 = 0", Ok(0), console_write(&text[..0]));
    c.eq("ConsoleFrame x1 = len", Ok(3), bulkhead_sdk::console_frame(&[1, 2, 3]));
}

fn registers_kept(c: &mut Checks) {
    let mut status = [0u8; PORT_STATUS_SIZE];
    let q_out = port_by_name("q_out").map_or(u64::MAX, |p| p.handle);
    let line = b"";
    let word = WORD.as_ptr() as u64;
    let cases: [(&str, Call, [u64; 3]); 14] = [
        ("AbiVersion", Call::AbiVersion, [0; 3]),
        ("MyIds", Call::MyIds, [0; 3]),
        ("GetTime", Call::GetTime, [0; 3]),
        ("ConsoleWrite", Call::ConsoleWrite, [line.as_ptr() as u64, 0, 0]),
        ("PortStatus", Call::PortStatus, [q_out, status.as_mut_ptr() as u64, PORT_STATUS_SIZE as u64]),
        ("ProcessStatus error", Call::ProcessStatus, [9, 0, 0]),
        ("PortByName error", Call::PortByName, [0, 0, 0]),
        ("WakeWord", Call::WakeWord, [word, 1, 0]),
        ("SuspendSelf(0)", Call::SuspendSelf, [0; 3]),
        ("TimedWait(0)", Call::TimedWait, [0; 3]),
        ("Yield", Call::Yield, [0; 3]),
        ("TimedWait(200 us)", Call::TimedWait, [200_000, 0, 0]),
        ("ScheduleStatus", Call::ScheduleStatus, [0; 3]),
        ("InterruptStatus(27)", Call::InterruptStatus, [27, 0, 0]),
    ];
    for (name, id, args) in cases {
        // SAFETY: the pointer arguments above are ours: PortStatus writes
        // 48 bytes into `status`, ConsoleWrite and WakeWord read nothing
        // or one word of ours; the rest take numbers.
        let ([x0, ..], changed) = unsafe { hvc_keeps(id.id(), args, pattern(0)) };
        c.eq(&case_name(name), 0, changed);
        let _ = x0;
    }
    // 0xC600FFFF: an unknown ID keeps them too.
    // SAFETY: not a call: nothing is read or written.
    let (_, changed) = unsafe { hvc_keeps(FUNCTION_BASE | 0xffff, [0; 3], pattern(0)) };
    c.eq(&case_name("unknown ID"), 0, changed);
}

/// `x4..x17` across calls that wait (the queue `q_in` is empty by now).
fn registers_kept_waiting(c: &mut Checks) {
    let word = WORD.as_ptr() as u64;
    // Calls that wait and come back on their timeout, x4 being the port
    // call's timeout argument.
    let q_in = port_by_name("q_in").map_or(u64::MAX, |p| p.handle);
    let mut buf = [0u8; 16];
    let waits: [(&str, Call, [u64; 3], u64); 3] = [
        ("ReceiveQueuingMessage(100 us)", Call::ReceiveQueuingMessage, [q_in, buf.as_mut_ptr() as u64, 16], 100_000),
        ("WaitWord(100 us)", Call::WaitWord, [word, u64::from(WORD.load(Ordering::Acquire)), 100_000], pattern(0)),
        ("SuspendSelf(100 us)", Call::SuspendSelf, [100_000, 0, 0], pattern(0)),
    ];
    for (name, id, args, x4) in waits {
        // SAFETY: ReceiveQueuingMessage writes at most 16 bytes into `buf`
        // (the queue is empty: it times out); WaitWord reads our word.
        let ([x0, ..], changed) = unsafe { hvc_keeps(id.id(), args, x4) };
        c.eq(&case_name(name), (0, Status::TimedOut.raw()), (changed, x0 as i64));
    }
}

/// `x4-x17 kept across NAME`, in a fixed buffer.
fn case_name(name: &str) -> CaseName {
    let mut b = CaseName { bytes: [0; 64], len: 0 };
    for part in ["x4-x17 kept across ", name] {
        for &byte in part.as_bytes() {
            if b.len < b.bytes.len() {
                b.bytes[b.len] = byte;
                b.len += 1;
            }
        }
    }
    b
}

struct CaseName {
    bytes: [u8; 64],
    len: usize,
}

impl core::ops::Deref for CaseName {
    type Target = str;
    fn deref(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("?")
    }
}

fn partition_calls(c: &mut Checks) {
    let s = get_partition_status();
    c.eq("GetPartitionStatus period", Ok(MAJOR_FRAME_NS), s.map(|s| s.period_ns));
    c.eq("GetPartitionStatus duration", Ok(WINDOW_NS), s.map(|s| s.duration_ns));
    c.eq("GetPartitionStatus id/mode", Ok((0, 3)), s.map(|s| (s.id, s.mode)));
    c.eq("GetPartitionStatus start condition", Ok(StartCondition::NormalStart as u32), s.map(|s| s.start_condition));
    c.eq("GetPartitionStatus lock level", Ok(0), s.map(|s| s.lock_level));
    c.eq("GetPartitionStatus cores", Ok(0b11), s.map(|s| s.cores));
    c.eq("GetPartitionStatus restarts/threads/flags", Ok((0, 2, 1)), s.map(|s| (s.restarts, s.threads, s.flags)));
    let (_, x0) = raw_status::<PARTITION_STATUS_SIZE>(Call::GetPartitionStatus, &[], PARTITION_STATUS_SIZE as u64 - 1);
    c.raw("GetPartitionStatus length 47", Status::InvalidParameter, x0);
    // SAFETY: the kernel must refuse to write into our read-only data.
    let [x0, ..] =
        unsafe { call(Call::GetPartitionStatus, [READ_ONLY.as_ptr() as u64, PARTITION_STATUS_SIZE as u64, 0, 0]) };
    c.raw("GetPartitionStatus into rodata", Status::InvalidAddress, x0);
    c.st("SetPartitionMode(Normal) in Normal", Status::NoAction, set_partition_mode(PartitionMode::Normal));
    // SAFETY: SetPartitionMode takes a number; 4 is no mode.
    let [x0, ..] = unsafe { call(Call::SetPartitionMode, [4, 0, 0, 0]) };
    c.raw("SetPartitionMode(4)", Status::InvalidParameter, x0);
}

fn process_calls(c: &mut Checks) {
    c.eq("ProcessIdByName(worker)", Ok(1), process_id("worker"));
    c.eq("ProcessIdByName(main)", Ok(0), process_id("main"));
    c.st("ProcessIdByName unknown", Status::InvalidParameter, process_id("nobody"));
    // SAFETY: ProcessIdByName reads the name; 0 bytes, 32 bytes of ours,
    // and 4 bytes of the kernel's it must refuse.
    let [x0, ..] = unsafe { call(Call::ProcessIdByName, [NAME_32.as_ptr() as u64, 0, 0, 0]) };
    c.raw("ProcessIdByName length 0", Status::InvalidParameter, x0);
    // SAFETY: as above.
    let [x0, ..] = unsafe { call(Call::ProcessIdByName, [NAME_32.as_ptr() as u64, 32, 0, 0]) };
    c.raw("ProcessIdByName length 32", Status::InvalidParameter, x0);
    // SAFETY: as above.
    let [x0, ..] = unsafe { call(Call::ProcessIdByName, [KERNEL_LOAD as u64, 4, 0, 0]) };
    c.raw("ProcessIdByName kernel address", Status::InvalidAddress, x0);

    let me = process_status(0);
    c.eq("ProcessStatus(self) state", Ok(ProcessState::Running as u32), me.map(|s| s.state));
    c.eq("ProcessStatus(self) index/core", Ok((0, 0)), me.map(|s| (s.index, s.core)));
    c.eq("ProcessStatus(self) priorities", Ok((MAIN_PRIORITY, MAIN_PRIORITY)), {
        me.map(|s| (s.base_priority, s.current_priority))
    });
    c.eq("ProcessStatus(self) aperiodic, no capacity", Ok((INFINITE, INFINITE)), {
        me.map(|s| (s.period_ns, s.time_capacity_ns))
    });
    c.eq("ProcessStatus(self) no deadline", Ok(INFINITE), me.map(|s| s.deadline_ns));
    c.st("ProcessStatus(2): no such process", Status::InvalidParameter, process_status(2));
    let (_, x0) = raw_status::<PROCESS_STATUS_SIZE>(Call::ProcessStatus, &[0], PROCESS_STATUS_SIZE as u64 - 1);
    c.raw("ProcessStatus length 63", Status::InvalidParameter, x0);
    // SAFETY: the kernel must refuse to write into our read-only data.
    let [x0, ..] = unsafe { call(Call::ProcessStatus, [0, READ_ONLY.as_ptr() as u64, PROCESS_STATUS_SIZE as u64, 0]) };
    c.raw("ProcessStatus into rodata", Status::InvalidAddress, x0);
    let w = process_status(1);
    c.eq("ProcessStatus(worker) index/core", Ok((1, 1)), w.map(|s| (s.index, s.core)));
    c.eq("ProcessStatus(worker) priorities", Ok((WORKER_PRIORITY, WORKER_PRIORITY)), {
        w.map(|s| (s.base_priority, s.current_priority))
    });
    c.eq("ProcessStatus(worker) waiting", Ok(ProcessState::Waiting as u32), w.map(|s| s.state));

    c.st("SuspendProcess(self)", Status::InvalidParameter, suspend(0));
    c.st("SuspendProcess(5): no such process", Status::InvalidParameter, suspend(5));
    c.st("SuspendProcess(worker)", Status::Success, suspend(1));
    c.eq("worker Suspended", Ok(ProcessState::Suspended as u32), process_status(1).map(|s| s.state));
    c.st("SuspendProcess(worker) again", Status::InvalidMode, suspend(1));
    c.st("ResumeProcess(worker)", Status::Success, resume(1));
    c.st("ResumeProcess(worker) again", Status::InvalidMode, resume(1));
    c.st("ResumeProcess(5): no such process", Status::InvalidParameter, resume(5));
    c.st("SetProcessPriority(worker, 15)", Status::Success, set_priority(1, 15));
    c.eq("worker priorities after SetPriority", Ok((WORKER_PRIORITY, 15)), {
        process_status(1).map(|s| (s.base_priority, s.current_priority))
    });
    // SAFETY: SetProcessPriority takes numbers.
    let [x0, ..] = unsafe { call(Call::SetProcessPriority, [1, 256, 0, 0]) };
    c.raw("SetProcessPriority 256", Status::InvalidParameter, x0);
    c.st("SetProcessPriority(5): no such process", Status::InvalidParameter, set_priority(5, 1));
    c.st("StopProcess(worker)", Status::Success, stop(1));
    let w = process_status(1);
    c.eq("worker Dormant", Ok(ProcessState::Dormant as u32), w.map(|s| s.state));
    c.eq("worker Dormant: no release/deadline", Ok((INFINITE, INFINITE)), w.map(|s| (s.release_ns, s.deadline_ns)));
    c.st("StopProcess(worker) again", Status::NoAction, stop(1));
    c.st("StopProcess(5): no such process", Status::InvalidParameter, stop(5));
    c.st("SuspendProcess(dormant)", Status::InvalidMode, suspend(1));
    c.st("ResumeProcess(dormant)", Status::InvalidMode, resume(1));
    c.st("SetProcessPriority(dormant)", Status::InvalidMode, set_priority(1, 5));
    let text = worker as *const () as u64;
    for (case, entry) in [
        ("StartProcessAt entry unaligned", text + 2),
        ("StartProcessAt entry in rodata", READ_ONLY.as_ptr() as u64),
        ("StartProcessAt entry in the kernel", KERNEL_LOAD as u64),
    ] {
        // SAFETY: the kernel must refuse each entry before it starts the
        // worker (no thread runs from it).
        let [x0, ..] = unsafe { call(Call::StartProcessAt, [1, entry, 0, 0]) };
        c.raw(case, Status::InvalidAddress, x0);
    }
    c.st("StartProcess(5): no such process", Status::InvalidParameter, start(5));
    let starts = WORKER_STARTS.load(Ordering::Acquire);
    c.st("StartProcess(worker)", Status::Success, start(1));
    c.st("StartProcess(worker) again", Status::InvalidMode, start(1));
    c.st("DelayedStartProcess(not dormant)", Status::InvalidMode, delayed_start(1, 1000));
    c.st("StartProcess(self)", Status::InvalidMode, start(0));
    let _ = periodic_wait();
    c.eq("worker ran again from its entry", starts + 1, WORKER_STARTS.load(Ordering::Acquire));
    c.eq("StartProcess restores base priority", Ok(WORKER_PRIORITY), process_status(1).map(|s| s.current_priority));
    // An aperiodic process's release point: its latest release (its start,
    // or the window start its last PeriodicWait returned at).
    let now = time().map_or(0, |t| t.now_ns);
    let release = process_status(0).map(|s| s.release_ns);
    c.that(
        "ProcessStatus(self) aperiodic release point",
        release.is_ok_and(|r| r <= now && r % MAJOR_FRAME_NS == 0),
        "a window start before now",
        &release,
    );
    c.st("StopProcess(worker) for a delayed start", Status::Success, stop(1));
    let called = time().map_or(0, |t| t.now_ns);
    c.st("DelayedStartProcess(worker, 3 ms)", Status::Success, delayed_start(1, 3_000_000));
    c.eq("worker Waiting for its delay", Ok(ProcessState::Waiting as u32), process_status(1).map(|s| s.state));
    for _ in 0..2 {
        let _ = periodic_wait();
    }
    let started = WORKER_STARTED_NS.load(Ordering::Acquire);
    c.that("DelayedStart ran >= 3 ms after the call", started >= called + 3_000_000, ">= 3000000", &(started - called));
    c.st("SuspendSelf(0)", Status::Success, suspend_self(0));
    c.st("CreateErrorHandler in Normal", Status::InvalidMode, create_error_handler(1));
    c.st("CreateErrorHandler(5): no such process", Status::InvalidParameter, create_error_handler(5));
    c.st("GetErrorStatus: not the handler", Status::InvalidMode, get_error_status());
    let (_, x0) = raw_status::<ERROR_STATUS_SIZE>(Call::GetErrorStatus, &[], ERROR_STATUS_SIZE as u64);
    c.raw("GetErrorStatus raw: not the handler", Status::InvalidMode, x0);

    let before = time().map_or(0, |t| t.now_ns);
    let r = replenish(1_000_000);
    let after = time().map_or(0, |t| t.now_ns);
    let seen = process_status(0).map(|s| s.deadline_ns);
    // Back to none before the 1 ms deadline passes.
    let cleared = replenish(INFINITE);
    c.that(
        "Replenish(1 ms) x1 = now + 1 ms",
        r.is_ok_and(|d| d >= before + 1_000_000 && d <= after + 1_000_000),
        "within [before, after] + 1 ms",
        &r,
    );
    c.eq("Replenish deadline in ProcessStatus", r, seen);
    c.eq("Replenish(INFINITE): no deadline", Ok(INFINITE), cleared);
    c.eq("no deadline after Replenish(INFINITE)", Ok(INFINITE), process_status(0).map(|s| s.deadline_ns));
}

fn preemption_lock(c: &mut Checks) {
    c.st("UnlockPreemption without a lock", Status::NoAction, unlock_preemption());
    c.eq("LockPreemption x1", Ok(1), lock_preemption());
    c.eq("LockPreemption nested x1", Ok(2), lock_preemption());
    c.eq("GetPartitionStatus lock level 2", Ok(2), get_partition_status().map(|s| s.lock_level));
    c.st("TimedWait while locked", Status::InvalidMode, timed_wait(1000));
    c.st("TimedWait(0) while locked", Status::InvalidMode, timed_wait(0));
    c.st("Yield while locked", Status::InvalidMode, yield_now());
    c.st("PeriodicWait while locked", Status::InvalidMode, periodic_wait());
    c.st("SuspendSelf(1 us) while locked", Status::InvalidMode, suspend_self(1000));
    // ARINC 653 SUSPEND_SELF checks the mode before a zero timeout, as
    // TimedWait(0) does.
    c.st("SuspendSelf(0) while locked", Status::InvalidMode, suspend_self(0));
    c.eq("UnlockPreemption x1", Ok(1), unlock_preemption());
    c.eq("UnlockPreemption to 0", Ok(0), unlock_preemption());
    c.st("UnlockPreemption again", Status::NoAction, unlock_preemption());
    let mut level = Ok(0);
    for _ in 0..16 {
        level = lock_preemption();
    }
    c.eq("LockPreemption 16 deep", Ok(16), level);
    c.st("LockPreemption 17th", Status::InvalidMode, lock_preemption());
    for _ in 0..16 {
        level = unlock_preemption();
    }
    c.eq("UnlockPreemption 16 times", Ok(0), level);
}

fn regions(c: &mut Checks) -> u64 {
    let r = memory_region("abi-shared");
    c.eq("MemoryRegion size/access", Ok((REGION_SIZE, RegionAccess::ReadOnly)), r.map(|r| (r.size(), r.access())));
    let base = r.map_or(0, |r| r.base());
    c.that(
        "MemoryRegion IPA outside own memory",
        !(MEMORY_BASE..MEMORY_BASE + MEMORY_SIZE).contains(&base),
        "so",
        &base,
    );
    // SAFETY: MemoryRegion reads the name: 0 bytes, 32 of ours, 4 of the
    // kernel's it must refuse.
    let [x0, ..] = unsafe { call(Call::MemoryRegion, [NAME_32.as_ptr() as u64, 0, 0, 0]) };
    c.raw("MemoryRegion length 0", Status::InvalidParameter, x0);
    // SAFETY: as above.
    let [x0, ..] = unsafe { call(Call::MemoryRegion, [NAME_32.as_ptr() as u64, 32, 0, 0]) };
    c.raw("MemoryRegion length 32", Status::InvalidParameter, x0);
    // SAFETY: as above.
    let [x0, ..] = unsafe { call(Call::MemoryRegion, [KERNEL_LOAD as u64, 4, 0, 0]) };
    c.raw("MemoryRegion kernel address", Status::InvalidAddress, x0);
    c.st("MemoryRegion of no region", Status::InvalidParameter, memory_region("no-such-region"));
    base
}

fn ports(c: &mut Checks, region: u64) {
    let mut handles = [u64::MAX; 4];
    for (i, (name, x2)) in [("s_out", 0u64), ("s_in", 0x100), ("q_out", 1), ("q_in", 0x101)].into_iter().enumerate() {
        // SAFETY: PortByName reads the name, ours.
        let [x0, x1, got2, x3] = unsafe { call(Call::PortByName, [name.as_ptr() as u64, name.len() as u64, 0, 0]) };
        handles[i] = x1;
        let case = match i {
            0 => "PortByName(s_out) x0/x2/x3",
            1 => "PortByName(s_in) x0/x2/x3",
            2 => "PortByName(q_out) x0/x2/x3",
            _ => "PortByName(q_in) x0/x2/x3",
        };
        c.eq(case, (0, x2, MESSAGE_SIZE), (x0, got2, x3));
    }
    let [s_out, s_in, q_out, q_in] = handles;
    // SAFETY: a 0-byte name: nothing read.
    let [x0, ..] = unsafe { call(Call::PortByName, [NAME_32.as_ptr() as u64, 0, 0, 0]) };
    c.raw("PortByName length 0", Status::InvalidParameter, x0);
    let other = (0..8).find(|h| !handles.contains(h)).unwrap_or(0);
    c.st("PortStatus of another's port", Status::InvalidParameter, port_status(other));

    let fresh = PortStatus {
        max_message_size: MESSAGE_SIZE as u32,
        last_message_age_ns: INFINITE,
        refresh_period_ns: REFRESH_NS,
        ..PortStatus::default()
    };
    c.eq("PortStatus(s_out) before a write", Ok(fresh), port_status(s_out));
    let msg = [0x42u8; 16];
    c.st("WriteSamplingMessage of 0 bytes", Status::Success, bulkhead_sdk::port::write_sampling(s_out, &msg[..0]));
    let s = port_status(s_out);
    c.eq("PortStatus(s_out) written: messages/validity", Ok((1, 1)), s.map(|s| (s.messages, s.validity)));
    c.that(
        "PortStatus(s_out) age of the message",
        s.is_ok_and(|s| s.last_message_age_ns < 1_000_000),
        "< 1 ms",
        &s.map(|s| s.last_message_age_ns),
    );
    c.st("WriteSamplingMessage of 16 bytes", Status::Success, bulkhead_sdk::port::write_sampling(s_out, &msg));
    let mut buf = [0u8; 16];
    // The peer wrote 5 bytes on its side in its first window.
    let r = bulkhead_sdk::port::read_sampling(s_in, &mut buf);
    c.eq("ReadSamplingMessage x1 = len", Ok(PEER_SAMPLE.len()), r.map(|s| s.len));
    c.eq("ReadSamplingMessage bytes", PEER_SAMPLE, &buf[..PEER_SAMPLE.len()]);
    c.that(
        "ReadSamplingMessage x3 = (x2 <= refresh)",
        r.is_ok_and(|s| s.valid == (s.age_ns <= REFRESH_NS)),
        "valid iff age <= 20 ms",
        &r.map(|s| (s.age_ns, s.valid)),
    );
    let ps = port_status(s_in);
    c.that(
        "PortStatus(s_in) age/validity as the read",
        matches!((r, ps), (Ok(r), Ok(p)) if p.last_message_age_ns >= r.age_ns && p.messages == 1 && p.direction == 1),
        "messages 1, age >= the read's",
        &ps.map(|p| (p.messages, p.last_message_age_ns, p.validity)),
    );
    // SAFETY: the kernel must refuse to write into the region we map
    // read-only.
    let [x0, ..] = unsafe { call(Call::ReadSamplingMessage, [s_in, region, MESSAGE_SIZE, 0]) };
    c.raw("ReadSamplingMessage into read-only region", Status::InvalidAddress, x0);
    // SAFETY: as above.
    let [x0, ..] = unsafe { call(Call::PortStatus, [s_out, region, PORT_STATUS_SIZE as u64, 0]) };
    c.raw("PortStatus into read-only region", Status::InvalidAddress, x0);

    let queue = PortStatus {
        max_message_size: MESSAGE_SIZE as u32,
        kind: 1,
        depth: QUEUE_DEPTH,
        last_message_age_ns: INFINITE,
        ..PortStatus::default()
    };
    c.eq("PortStatus(q_out) empty", Ok(queue), port_status(q_out));
    c.eq("PortStatus(q_in) one message", Ok(PortStatus { direction: 1, messages: 1, ..queue }), port_status(q_in));
    let r = bulkhead_sdk::port::receive_queuing(q_in, &mut buf, 0);
    c.eq("ReceiveQueuingMessage x1 = len", Ok(PEER_MESSAGE.len()), r);
    c.eq("ReceiveQueuingMessage bytes", PEER_MESSAGE, &buf[..PEER_MESSAGE.len()]);
    c.eq("PortStatus(q_in) empty", Ok(PortStatus { direction: 1, ..queue }), port_status(q_in));
    c.st("SendQueuingMessage of 0 bytes", Status::Success, bulkhead_sdk::port::send_queuing(q_out, &msg[..0], 0));
    c.st("SendQueuingMessage 2", Status::Success, bulkhead_sdk::port::send_queuing(q_out, &msg, 0));
    c.st("SendQueuingMessage 3", Status::Success, bulkhead_sdk::port::send_queuing(q_out, &msg, 0));
    c.st("SendQueuingMessage full, timeout 0", Status::Full, bulkhead_sdk::port::send_queuing(q_out, &msg, 0));
    let s = port_status(q_out);
    c.eq("PortStatus(q_out) full: messages/overflows", Ok((3, 1)), s.map(|s| (s.messages, s.overflows)));
    let before = time().map_or(0, |t| t.now_ns);
    let r = bulkhead_sdk::port::send_queuing(q_out, &msg, 200_000);
    let waited = time().map_or(0, |t| t.now_ns) - before;
    c.st("SendQueuingMessage full, timeout 200 us", Status::TimedOut, r);
    c.that("SendQueuingMessage TimedOut after >= 200 us", waited >= 200_000, ">= 200000", &waited);
    let s = port_status(q_out);
    c.eq("TimedOut send counted as overflow", Ok(2), s.map(|s| s.overflows));
    c.eq("PortStatus(q_out) waiting after timeout", Ok(0), s.map(|s| s.waiting));
    let _ = lock_preemption();
    let locked = bulkhead_sdk::port::send_queuing(q_out, &msg, 100_000);
    let polled = bulkhead_sdk::port::send_queuing(q_out, &msg, 0);
    let _ = unlock_preemption();
    c.st("SendQueuingMessage wait while locked", Status::InvalidMode, locked);
    c.st("SendQueuingMessage poll while locked (no wait)", Status::Full, polled);
    c.eq("the poll counted as an overflow", Ok(3), port_status(q_out).map(|s| s.overflows));
    let before = time().map_or(0, |t| t.now_ns);
    let r = bulkhead_sdk::port::receive_queuing(q_in, &mut buf, 100_000);
    let waited = time().map_or(0, |t| t.now_ns) - before;
    c.st("ReceiveQueuingMessage empty, timeout 100 us", Status::TimedOut, r);
    c.that("ReceiveQueuingMessage TimedOut after >= 100 us", waited >= 100_000, ">= 100000", &waited);
    c.eq("PortStatus(q_in) overflows stay 0", Ok(0), port_status(q_in).map(|s| s.overflows));
}

/// The worker waits on a port and on a word while `main` suspends and
/// stops it: the documented counts of waiters.
fn waiters(c: &mut Checks) {
    let q_in = port_by_name("q_in").map_or(u64::MAX, |p| p.handle);
    WORKER_MODE.store(1, Ordering::Release);
    for _ in 0..2 {
        let _ = periodic_wait();
    }
    c.eq("worker Waiting on q_in", Ok(ProcessState::Waiting as u32), process_status(1).map(|s| s.state));
    c.eq("PortStatus(q_in) waiting 1", Ok(1), port_status(q_in).map(|s| s.waiting));
    c.st("SuspendProcess(worker waiting on q_in)", Status::Success, suspend(1));
    // Its port call is taken up again when it is resumed (the PC stays on
    // the HVC): it still counts as a waiter of the channel, as an ARINC 653
    // process suspended while waiting stays in the queue.
    c.eq("PortStatus(q_in) waiting while suspended", Ok(1), port_status(q_in).map(|s| s.waiting));
    c.st("ResumeProcess(worker): it waits again", Status::Success, resume(1));
    let _ = periodic_wait();
    c.eq("PortStatus(q_in) waiting 1 again", Ok(1), port_status(q_in).map(|s| s.waiting));
    WORKER_MODE.store(0, Ordering::Release);
    c.st("StopProcess(worker waiting on q_in)", Status::Success, stop(1));
    // A dormant process waits for nothing (ARINC 653 WAITING_PROCESSES).
    c.eq("PortStatus(q_in) waiting after stop", Ok(0), port_status(q_in).map(|s| s.waiting));

    WORKER_MODE.store(2, Ordering::Release);
    c.st("StartProcess(worker) to wait on a word", Status::Success, start(1));
    for _ in 0..2 {
        let _ = periodic_wait();
    }
    c.eq("worker Waiting on the word", Ok(ProcessState::Waiting as u32), process_status(1).map(|s| s.state));
    c.eq("WakeWord x1 = 1 waiter woken", Ok(1), word::wake(&WORD, u64::MAX, WakeOrder::Priority));
    let _ = periodic_wait();
    c.eq("worker's WaitWord returned 0", 1, WORKER_WOKEN.load(Ordering::Acquire));
    c.eq("worker Waiting on the word again", Ok(ProcessState::Waiting as u32), process_status(1).map(|s| s.state));
    c.st("SuspendProcess(worker waiting on the word)", Status::Success, suspend(1));
    c.eq("WakeWord: a suspended waiter left", Ok(0), word::wake(&WORD, u64::MAX, WakeOrder::Fifo));
    c.st("ResumeProcess(worker)", Status::Success, resume(1));
    for _ in 0..2 {
        let _ = periodic_wait();
    }
    WORKER_MODE.store(0, Ordering::Release);
    c.st("StopProcess(worker waiting on the word)", Status::Success, stop(1));
    c.eq("WakeWord: a stopped waiter left", Ok(0), word::wake(&WORD, u64::MAX, WakeOrder::Priority));
    c.st("StartProcess(worker) to park", Status::Success, start(1));
    let _ = periodic_wait();
}

fn words_and_interrupts(c: &mut Checks, region: u64) {
    c.eq("WakeWord with no waiter x1", Ok(0), word::wake(&WORD, 1, WakeOrder::Priority));
    c.eq("WakeWord count u64::MAX, FIFO", Ok(0), word::wake(&WORD, u64::MAX, WakeOrder::Fifo));
    c.st("WaitWord in a shared region", Status::InvalidAddress, word::wait_raw(region, 0, 0));
    c.st("WakeWord in a shared region", Status::InvalidAddress, word::wake_raw(region, 1, 0));
    c.st("WaitWord value differs", Status::NoAction, word::wait(&WORD, 8, INFINITE));

    c.st("InterruptEnable(28)", Status::InvalidParameter, irq::enable(28));
    c.st("InterruptEnable(125), not assigned", Status::InvalidParameter, irq::enable(125));
    c.st("InterruptStatus(1023)", Status::InvalidParameter, irq::status(1023));
    c.st("InterruptDisable(27) not enabled", Status::NoAction, irq::disable(27));
    c.st("InterruptEnable(27)", Status::Success, irq::enable(27));
    c.st("InterruptEnable(27) again", Status::NoAction, irq::enable(27));
    c.st("InterruptDisable(27)", Status::Success, irq::disable(27));
    c.eq("InterruptStatus(27) counts", Ok((0, 0, 0)), irq::status(27).map(|k| (k.delivered, k.deferred, k.dropped)));
}

fn health_log(c: &mut Checks, region: u64) {
    c.st("HealthLog with nothing unread", Status::Empty, read_health_log());
    // SAFETY: the kernel must refuse to write into the read-only region.
    let [x0, ..] = unsafe { call(Call::HealthLog, [region, HEALTH_RECORD_SIZE as u64, 0, 0]) };
    c.raw("HealthLog into read-only region", Status::InvalidAddress, x0);
    let (_, x0) = raw_status::<{ HEALTH_RECORD_SIZE + 1 }>(Call::HealthLog, &[], HEALTH_RECORD_SIZE as u64 + 1);
    c.raw("HealthLog length 129", Status::InvalidParameter, x0);
}

fn system_services(c: &mut Checks) {
    let s = schedule_status();
    c.eq("ScheduleStatus: schedule 0, none pending", Ok((0, None)), s.map(|s| (s.current, s.pending)));
    // SAFETY: ScheduleStatus takes no argument.
    let [_, _, x2, x3] = unsafe { call(Call::ScheduleStatus, [0; 4]) };
    c.eq("ScheduleStatus raw x2/x3 with none pending", (u64::MAX, 0), (x2, x3));
    c.st("SetSchedule(3): no such schedule", Status::InvalidParameter, set_schedule(3));
    // SAFETY: SetSchedule takes a number.
    let [x0, ..] = unsafe { call(Call::SetSchedule, [256, 0, 0, 0]) };
    c.raw("SetSchedule(256)", Status::InvalidParameter, x0);
    c.st("SetThreadAffinity(partition 9)", Status::InvalidParameter, set_thread_affinity(9, 0, 1));
    c.st("SetThreadAffinity(thread 5)", Status::InvalidParameter, set_thread_affinity(1, 5, 1));
    c.st("SetThreadAffinity(empty set)", Status::InvalidParameter, set_thread_affinity(1, 0, 0));
    c.st("SetThreadAffinity(core 4)", Status::InvalidParameter, set_thread_affinity(1, 0, 1 << 4));
    c.st("StopPartition(9)", Status::InvalidParameter, stop_partition(9));
    c.st("StartPartition(own)", Status::InvalidParameter, start_partition(ABI_CONTRACT as u32));
    c.st("StartPartition(running peer)", Status::InvalidParameter, start_partition(ABI_PEER as u32));
    c.st("StartPartition(9)", Status::InvalidParameter, start_partition(9));
    c.st("RestartPartition(own)", Status::InvalidParameter, restart_partition(ABI_CONTRACT as u32));
    c.st("RestartPartition(9)", Status::InvalidParameter, restart_partition(9));
    // Two threads of one partition on one core: allowed (several
    // processes of a partition may share a core); the README said the
    // scheduler refused it until this test.
    c.eq("SetThreadAffinity(worker, core 0 with main) x1", Ok(0), set_thread_affinity(ABI_CONTRACT as u32, 1, 0b1));
    c.eq("SetThreadAffinity(worker, back to core 1) x1", Ok(1), set_thread_affinity(ABI_CONTRACT as u32, 1, 0b10));
    // A set: the core with the fewest of its partition's threads, the
    // lowest among equals.
    c.eq("SetThreadAffinity(peer, cores 2|3) x1", Ok(2), set_thread_affinity(ABI_PEER as u32, 0, 0b1100));
}

fn schedule_switch(c: &mut Checks) {
    let now = time().map_or(0, |t| t.now_ns);
    let first = set_schedule(1);
    let s = schedule_status();
    c.eq("ScheduleStatus: switch to 1 pending", Ok((0, Some((1, first.unwrap_or(0))))), {
        s.map(|s| (s.current, s.pending))
    });
    // A second request before the switch replaces the first.
    let at = set_schedule(2);
    c.that(
        "SetSchedule(2) x1 = a later frame boundary",
        at.is_ok_and(|a| a > now && a % MAJOR_FRAME_NS == 0 && a - now <= 2 * MAJOR_FRAME_NS),
        "boundary within 2 frames",
        &at,
    );
    let at = at.unwrap_or(0);
    let s = schedule_status();
    c.eq("ScheduleStatus: 2 replaced 1", Ok((0, Some((2, at)))), s.map(|s| (s.current, s.pending)));
    while time().is_ok_and(|t| t.now_ns < at) {
        let _ = periodic_wait();
    }
    let s = schedule_status();
    c.eq("ScheduleStatus after the switch", Ok((2, None)), s.map(|s| (s.current, s.pending)));
    let p = get_partition_status();
    c.eq("GetPartitionStatus period/duration in alt", Ok((ALT_FRAME_NS, ALT_WINDOW_NS)), {
        p.map(|p| (p.period_ns, p.duration_ns))
    });
    let t = time();
    c.that(
        "GetTime window end in alt",
        t.is_ok_and(|t| (t.window_end_ns - at) % ALT_FRAME_NS == ALT_WINDOW_NS),
        "window_end - switch = 8 ms mod 20 ms",
        &t.map(|t| (t.window_end_ns - at) % ALT_FRAME_NS),
    );
}

fn peer_restart(c: &mut Checks, region: u64) {
    // The peer wrote its view of the region in its first window.
    let r = memory_region("abi-shared");
    let (ipa, magic) = match r {
        Ok(r) => (r.read_u64(0), r.read_u64(8)),
        Err(e) => (Err(e), Err(e)),
    };
    c.eq("shared region at the same IPA in the peer", Ok(region), ipa);
    c.eq("peer's write seen through the region", Ok(PEER_MAGIC), magic);
    c.st("HealthLog: no health event so far", Status::Empty, read_health_log());
    c.st("RestartPartition(peer)", Status::Success, restart_partition(ABI_PEER as u32));
    c.st("RestartPartition(peer) under way", Status::InvalidParameter, restart_partition(ABI_PEER as u32));
    for _ in 0..4 {
        let _ = periodic_wait();
    }
    c.st("StopPartition(peer)", Status::Success, stop_partition(ABI_PEER as u32));
    for _ in 0..2 {
        let _ = periodic_wait();
    }
    c.st("StartPartition(peer) stopped", Status::Success, start_partition(ABI_PEER as u32));
    c.st("StartPartition(peer) again", Status::InvalidParameter, start_partition(ABI_PEER as u32));
    for _ in 0..4 {
        let _ = periodic_wait();
    }
}

/// Partition 1: what a normal partition sees.
fn peer(thread: ThreadInfo) -> ! {
    let mut c = Checks { n: 0, failed: 0 };
    let status = partition_status();
    let restarts = status.map_or(u64::MAX, |s| s.restarts);
    c.eq("peer: MyIds partition/thread", Ok((1, 0)), my_ids().map(|i| (i.partition, i.thread)));
    c.eq("peer: entry x0/x1", (0, 1), (thread.index, thread.count));
    c.eq("peer: PartitionStatus mode/system", Ok((3, false)), status.map(|s| (s.mode_raw, s.system)));
    c.st("peer: HealthLog from a normal partition", Status::Denied, read_health_log());
    let s = get_partition_status();
    c.eq("peer: GetPartitionStatus id/threads/flags", Ok((1, 1, 0)), s.map(|s| (s.id, s.threads, s.flags)));
    c.eq("peer: GetPartitionStatus restarts", Ok(restarts as u32), s.map(|s| s.restarts));
    let region = memory_region("abi-shared");
    c.eq("peer: MemoryRegion access", Ok(RegionAccess::ReadWrite), region.map(|r| r.access()));
    if restarts == 0 {
        if let Ok(p) = port_by_name("s_out") {
            c.st(
                "peer: WriteSamplingMessage",
                Status::Success,
                bulkhead_sdk::port::write_sampling(p.handle, PEER_SAMPLE),
            );
        }
        if let Ok(p) = port_by_name("q_out") {
            c.st(
                "peer: SendQueuingMessage",
                Status::Success,
                bulkhead_sdk::port::send_queuing(p.handle, PEER_MESSAGE, 0),
            );
        }
        if let Ok(r) = region {
            let _ = r.write_u64(0, r.base());
            let _ = r.write_u64(8, PEER_MAGIC);
        }
    } else {
        // RestartPartition (restart 1), then StopPartition and
        // StartPartition (restart 2): both by a system partition.
        // PartitionRestart after a RestartPartition; NormalStart after a
        // StartPartition of the stopped partition (a cold start from its
        // image, as at power-up), counted as a restart all the same.
        let got = s.map(|s| s.start_condition);
        if restarts == 1 {
            c.eq("peer: start condition after RestartPartition", Ok(StartCondition::PartitionRestart as u32), got);
        } else {
            c.eq("peer: start condition after StartPartition", Ok(StartCondition::NormalStart as u32), got);
        }
        c.eq("peer: region kept across restart", Ok(PEER_MAGIC), region.and_then(|r| r.read_u64(8)));
    }
    println!("abi-contract: peer done ({} checks, restarts {restarts})", c.n);
    loop {
        let _ = periodic_wait();
    }
}
