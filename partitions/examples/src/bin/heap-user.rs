//! `heap-user`: a partition that uses `alloc` (`Vec`, `String`, `Box`,
//! `BTreeMap`) on the heap its description gives it (the SDK's `alloc`
//! feature), for the QEMU tests `heap-alloc` (partitions/tests/heap-alloc.toml)
//! and `heap-large` (partitions/tests/heap-large.toml). What it does
//! depends on the heap it finds:
//!
//! - **A heap of at most 1 MiB** (`heap-alloc`, two threads on two cores):
//!   both threads build the same kinds of structures at once, from seeds
//!   of their own, and hash what they built; each compares with the same
//!   hash computed without allocating. On the first start `main` leaves a
//!   block allocated and restarts the partition warm (memory kept): on the
//!   second the heap is set up afresh (nothing in use), both threads do
//!   their work again, then `main` allocates 4000-byte blocks with
//!   `try_reserve` until the heap runs out (an application error, logged;
//!   `try_reserve` returns the error), checks the blocks it got, and
//!   allocates once more with `Vec::with_capacity`, which cannot fail
//!   gracefully: the SDK's allocator raises the application error again,
//!   `alloc` panics, and the SDK's panic handler parks the thread.
//! - **No heap** (`heap-alloc`'s partition `heapless`): boxes a `u64`: the
//!   allocator raises "no heap configured", then the panic as above.
//! - **A heap over 1 MiB** (`heap-large`): allocates and fills all but 1
//!   MiB of it, times that, and restarts itself cold once (the kernel
//!   reloads its 32 MiB a slice at a time; the bystander stays on time).
//!
//! Prints (S the thread index, H a 64-bit hash in hex, N, U, F, B numbers,
//! T microseconds):
//!
//! ```text
//! heap-user: start R, heap B bytes, used U, entered T us into the window
//! heap-user: thread S checksum H, as computed without allocating: ok
//! heap-user: start 0: leaving 1000 bytes allocated (used U), restarting warm
//! heap-user: allocating 4000-byte blocks until the heap runs out
//! heap-user: a 16-byte Box made and dropped: T ns (several threads | one thread)
//! heap-user: try_reserve failed after N blocks (used U, free F); the blocks are intact: ok
//! heap-user: one more 4000-byte block, infallibly
//! heap-user: no heap (restarts R): boxing a u64
//! heap-user: large heap: B bytes; N bytes allocated in T us, filled in T us, sum ok
//! heap-user: start 0: restarting cold
//! heap-user: done
//! ```
//!
//! The window is 4 ms in both descriptions (`WINDOW_NS`).
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use bulkhead_sdk::heap::{Usage, usage};
use bulkhead_sdk::process::set_partition_mode;
use bulkhead_sdk::{PartitionMode, ThreadInfo, partition_status, periodic_wait, println, thread_done, time};
use core::sync::atomic::{AtomicU32, Ordering};

bulkhead_sdk::partition_main!(main);

/// The partition's window in both descriptions.
const WINDOW_NS: u64 = 4_000_000;
/// Heaps larger than this are `heap-large`'s.
const LARGE: usize = 1 << 20;
/// Threads of this start done with their work.
static DONE: AtomicU32 = AtomicU32::new(0);
/// The partition's thread count (`cost` says which lock path it measured).
static THREADS_OF_START: AtomicU32 = AtomicU32::new(0);

fn main(thread: ThreadInfo) {
    let entered_ns = time().map_or(0, |t| WINDOW_NS.saturating_sub(t.window_remaining_ns()));
    let restarts = partition_status().map_or(0, |s| s.restarts);
    THREADS_OF_START.store(thread.count, Ordering::Relaxed);
    let Some(heap) = usage() else {
        println!("heap-user: no heap (restarts {restarts}): boxing a u64");
        let boxed = core::hint::black_box(Box::new(7u64));
        println!("heap-user: boxed {boxed}, which a partition without a heap cannot do");
        return;
    };
    if thread.index == 0 {
        println!(
            "heap-user: start {restarts}, heap {} bytes, used {}, entered {} us into the window",
            heap.size,
            heap.used,
            entered_ns / 1000
        );
    }
    if heap.size > LARGE {
        return large(heap, restarts);
    }
    work(thread.index);
    DONE.fetch_add(1, Ordering::AcqRel);
    if thread.index != 0 {
        return;
    }
    while DONE.load(Ordering::Acquire) < thread.count {
        let _ = periodic_wait();
    }
    if restarts == 0 {
        // Kept across the warm restart in memory, but not in the heap,
        // which the SDK sets up afresh.
        // black_box: else the compiler may leave out an allocation that
        // nothing reads (Rust allows it).
        let kept = Box::leak(core::hint::black_box(Box::new([0x5au8; 1000])));
        let used = usage().map_or(0, |u| u.used);
        println!("heap-user: start 0: leaving {} bytes allocated (used {used}), restarting warm", kept.len());
        DONE.store(0, Ordering::Release);
        let _ = set_partition_mode(PartitionMode::WarmStart);
        println!("heap-user: the warm restart returned");
        return;
    }
    cost();
    exhaust();
}

/// The allocation path's cost: a 16-byte `Box` made and dropped, 20
/// times a batch, the fastest of 5 batches (a batch a window's end cuts
/// is slow, not wrong). Under QEMU icount, 1 ns is one instruction, the
/// kernel's (LOCK_PREEMPTION, UNLOCK_PREEMPTION) included.
fn cost() {
    let mut best = u64::MAX;
    for _ in 0..5 {
        let t0 = time().map_or(0, |t| t.now_ns);
        for i in 0..20u64 {
            drop(core::hint::black_box(Box::new([i, i])));
        }
        let t1 = time().map_or(0, |t| t.now_ns);
        best = best.min(t1.saturating_sub(t0) / 20);
    }
    let threads = if THREADS_OF_START.load(Ordering::Relaxed) > 1 { "several threads" } else { "one thread" };
    println!("heap-user: a 16-byte Box made and dropped: {best} ns ({threads})");
}

/// The structures one thread builds, hashed in the order they are walked.
fn work(index: u32) {
    let seed = u64::from(index) + 1;
    let built = with_alloc(seed);
    let expected = without_alloc(seed);
    let verdict = if built == expected { "ok" } else { "MISMATCH" };
    println!("heap-user: thread {index} checksum {built:#018x}, as computed without allocating: {verdict}");
}

/// FNV-1a, 64 bits.
struct Hash(u64);

impl Hash {
    fn new() -> Hash {
        Hash(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
}

/// The value at `i` of a thread's sequence.
fn value(seed: u64, i: u64) -> u64 {
    (i * i).wrapping_mul(seed).wrapping_add(seed << 32)
}

// Sizes kept small: in a partition of several threads every allocation
// and free is two hypercalls, and the traced kernel (the tests' traced
// twins) records a scheduler decision for each unlock.
const SQUARES: u64 = 2000;
const NAMES: u32 = 60;
const ROUNDS: u64 = 80;

/// Vec, String, Box, BTreeMap: built, churned, hashed, freed.
fn with_alloc(seed: u64) -> u64 {
    let mut h = Hash::new();
    let squares: Vec<u64> = (0..SQUARES).map(|i| value(seed, i)).collect();
    for v in &squares {
        h.u64(*v);
    }
    // Names inserted out of order, walked in key order.
    let mut names = BTreeMap::new();
    for k in (0..NAMES).rev() {
        names.insert(k, format!("name-{seed}-{k}"));
    }
    for (k, name) in &names {
        h.u64(u64::from(*k));
        h.bytes(name.as_bytes());
    }
    // Churn: blocks of changing sizes made and freed while others live.
    let mut live: Vec<Box<[u8]>> = Vec::new();
    let mut text = String::new();
    for round in 0..ROUNDS {
        let len = (round * 37 % 500 + 1) as usize;
        live.push(alloc::vec![(round as u8) ^ (seed as u8); len].into_boxed_slice());
        if live.len() > 8 {
            let gone = live.remove(0);
            h.u64(gone.len() as u64);
        }
        text.push_str(&format!("{round},"));
    }
    h.bytes(text.as_bytes());
    h.0
}

/// What [`with_alloc`] hashes, computed without a heap.
fn without_alloc(seed: u64) -> u64 {
    let mut h = Hash::new();
    for i in 0..SQUARES {
        h.u64(value(seed, i));
    }
    for k in 0..NAMES {
        h.u64(u64::from(k));
        let mut name = bulkhead_sdk::MessageBuf::<32>::new();
        let _ = core::fmt::Write::write_fmt(&mut name, format_args!("name-{seed}-{k}"));
        h.bytes(name.as_bytes());
    }
    for round in 8..ROUNDS {
        let gone = round - 8;
        h.u64(gone * 37 % 500 + 1);
    }
    for round in 0..ROUNDS {
        let mut n = bulkhead_sdk::MessageBuf::<8>::new();
        let _ = core::fmt::Write::write_fmt(&mut n, format_args!("{round},"));
        h.bytes(n.as_bytes());
    }
    h.0
}

const BLOCK: usize = 4000;

/// Allocate until the heap runs out: gracefully (`try_reserve`), then not.
fn exhaust() {
    println!("heap-user: allocating {BLOCK}-byte blocks until the heap runs out");
    let mut blocks: Vec<Vec<u8>> = Vec::with_capacity(128);
    loop {
        let mut block = Vec::new();
        if block.try_reserve_exact(BLOCK).is_err() {
            break;
        }
        block.resize(BLOCK, blocks.len() as u8);
        blocks.push(block);
    }
    let intact = blocks.iter().enumerate().all(|(i, b)| b.len() == BLOCK && b.iter().all(|&x| x == i as u8));
    let Usage { used, free, .. } = usage().unwrap_or(Usage { size: 0, used: 0, free: 0 });
    println!(
        "heap-user: try_reserve failed after {} blocks (used {used}, free {free}); the blocks are intact: {}",
        blocks.len(),
        if intact { "ok" } else { "NO" }
    );
    println!("heap-user: one more {BLOCK}-byte block, infallibly");
    let more: Vec<u8> = core::hint::black_box(Vec::with_capacity(BLOCK));
    println!("heap-user: got {} bytes from an exhausted heap", more.capacity());
}

/// `heap-large`: all but 1 MiB of the heap in one block, filled and summed.
fn large(heap: Usage, restarts: u64) {
    let len = heap.size - LARGE;
    let t0 = time().map_or(0, |t| t.now_ns);
    let mut big: Vec<u32> = Vec::with_capacity(len / 4);
    let t1 = time().map_or(0, |t| t.now_ns);
    big.extend((0..len as u32 / 4).map(|i| i.wrapping_mul(2_654_435_761)));
    let t2 = time().map_or(0, |t| t.now_ns);
    let sum = big.iter().fold(0u64, |s, &v| s.wrapping_add(u64::from(v)));
    let expected = (0..len as u32 / 4).fold(0u64, |s, i| s.wrapping_add(u64::from(i.wrapping_mul(2_654_435_761))));
    println!(
        "heap-user: large heap: {} bytes; {} bytes allocated in {} us, filled in {} us, sum {}",
        heap.size,
        big.len() * 4,
        (t1 - t0) / 1000,
        (t2 - t1) / 1000,
        if sum == expected { "ok" } else { "MISMATCH" }
    );
    drop(big);
    cost();
    if restarts == 0 {
        println!("heap-user: start 0: restarting cold");
        let _ = set_partition_mode(PartitionMode::ColdStart);
        println!("heap-user: the cold restart returned");
    }
    println!("heap-user: done");
    thread_done()
}
