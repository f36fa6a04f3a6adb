//! The partition heap: a `#[global_allocator]` over the memory the system
//! description gives the partition (`heap = "256KiB"` in its
//! `[[partition]]`), so a partition built with the SDK's `alloc` feature
//! may use `alloc` (`Vec`, `String`, `Box`, `BTreeMap`, ...).
//!
//! Where it sits: `partitions/sdk`, feature `alloc`, on the
//! `linked_list_allocator` crate's `Heap` (first fit over a sorted list of
//! free blocks, freed blocks merged with their neighbours). The kernel
//! passes the heap's place to every thread at entry, `x6` = base IPA and
//! `x7` = bytes, 0 for none (`kernel/abi`, "Thread entry state"); the
//! bytes lie just below the lowest thread stack's guard page.
//!
//! **Initialisation, once per partition start.** Every thread of the
//! partition starts at `_start` at once, and a warm restart keeps the
//! partition's memory (a heap's old free list included), so the heap is
//! set up afresh at every start of the partition, by whichever of its
//! threads gets there first: [`__at_entry`] runs before the entry
//! function, keys the set-up by the partition's restart count
//! (`PartitionStatus`), and makes the others wait for it (WFE) until it is
//! done. A process started again within the same start (START,
//! `restart_process`) finds it done and leaves it alone: the other
//! threads' allocations live on.
//!
//! **Locking.** One lock guards the heap, across the partition's cores,
//! and it sleeps rather than spins: a thread holding it may be preempted
//! by a higher-priority thread of its partition on the same core (ARINC
//! 653 process scheduling), which, if it allocated, would otherwise spin
//! on a holder that cannot run. The lock word holds the holder's thread
//! index + 1 ([`crate::thread_index`], no hypercall) and a bit saying
//! someone sleeps on it; a thread that finds it held sleeps in WaitWord
//! (the kernel's wait/wake primitive, [`crate::word`]) and the unlock
//! wakes one sleeper with WakeWord (Drepper's futex mutex). An allocation
//! or a free that finds the heap free makes no hypercall at all. A thread
//! holding the kernel's preemption lock may not sleep: it spins while the
//! holder runs on another core; if the holder is preempted on its own core
//! (it can never run first) the allocation fails as out of memory does,
//! with its own message, and a free is reported and the block kept.
//! Stopping or restarting a process in the middle of a heap operation
//! (STOP, or the health monitor's `stop_process` or `restart_process`)
//! leaves the heap locked, as any lock the process held, and the
//! partition's next heap operations sleep for ever; a partition restart
//! sets it up afresh.
//!
//! **Out of memory.** An allocation the heap cannot serve raises an
//! application error ([`error_code::HEAP_EXHAUSTED`](crate::error_code::HEAP_EXHAUSTED))
//! naming the size and alignment asked and the heap's size and free bytes
//! (or saying that the partition has no heap), with both locks given back
//! first, so the health monitor's `application_error` action applies. If
//! that action lets the thread go on (`log`, an error handler that resumes
//! it), the allocator returns null, as `GlobalAlloc` allows, and `alloc`
//! calls `handle_alloc_error`, which panics: the SDK's panic handler
//! reports `memory allocation of N bytes failed` and parks the thread. At
//! no point is a null pointer used or a bad one returned.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::fmt::Write;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use bulkhead_abi::{INFINITE, MAX_ERROR_MESSAGE, Status, WakeOrder};
use linked_list_allocator::Heap;

use crate::{MessageBuf, error_code, raise_application_error, send_event, wait_for_event};

/// The partition's heap and the lock that guards it.
struct PartitionHeap {
    /// 0 free; else the holder's thread index + 1, with [`CONTENDED`] when
    /// a thread sleeps on it. Taken with Acquire, given back with Release.
    lock: AtomicU32,
    heap: UnsafeCell<Heap>,
}

/// The lock word's bit saying a thread sleeps on it.
const CONTENDED: u32 = 1 << 31;

// SAFETY: `heap` is reached only through `Held`, which exists only while
// `lock` is held by its owner: one thread at a time, on any core.
unsafe impl Sync for PartitionHeap {}

static HEAP: PartitionHeap = PartitionHeap { lock: AtomicU32::new(0), heap: UnsafeCell::new(Heap::empty()) };

/// Which partition start the heap was set up for: `start << 1`, with bit 0
/// set once it is ready (`start` = restart count + 1, so 0 is "never").
static SET_UP: AtomicU64 = AtomicU64::new(0);

/// The heap's size, bytes (for reports; 0: the partition has none).
static SIZE: AtomicU64 = AtomicU64::new(0);

/// The kernel's preemption lock on this core (LOCK_PREEMPTION), held
/// while the heap is set up: no other thread of the partition runs on
/// this core until it is dropped (UNLOCK_PREEMPTION).
struct NoPreemption {
    locked: bool,
}

impl NoPreemption {
    fn take(threads: u64) -> NoPreemption {
        // If the kernel refuses (the caller already holds the lock 16
        // levels deep, or the kernel lacks the call), go on without: in
        // the first case it is held already.
        NoPreemption { locked: threads > 1 && crate::process::lock_preemption().is_ok() }
    }
}

impl Drop for NoPreemption {
    fn drop(&mut self) {
        if self.locked {
            let _ = crate::process::unlock_preemption();
        }
    }
}

/// The heap, held: the lock, given back on drop.
struct Held(());

/// The heap cannot be taken: the caller holds the preemption lock and the
/// heap's holder, this thread index, is preempted on the caller's core.
struct Stuck {
    holder: u32,
}

impl Held {
    fn take() -> Result<Held, Stuck> {
        let mine = crate::thread_index().wrapping_add(1) & !CONTENDED;
        if HEAP.lock.compare_exchange(0, mine, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            return Ok(Held(()));
        }
        loop {
            let seen = HEAP.lock.load(Ordering::Relaxed);
            if seen == 0 {
                // Taken after a sleep: others may sleep too, keep the bit
                // so the unlock wakes the next.
                if HEAP.lock.compare_exchange(0, mine | CONTENDED, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                    return Ok(Held(()));
                }
                continue;
            }
            if seen & CONTENDED == 0
                && HEAP.lock.compare_exchange(seen, seen | CONTENDED, Ordering::Relaxed, Ordering::Relaxed).is_err()
            {
                continue;
            }
            match crate::word::wait(&HEAP.lock, seen | CONTENDED, INFINITE) {
                Ok(()) | Err(Status::NoAction) | Err(Status::TimedOut) => {}
                Err(Status::InvalidMode) => {
                    // Preemption locked: no sleep. A holder on another
                    // core runs and gives it back; one on this core never
                    // can before this thread gives the core up.
                    let holder = (seen & !CONTENDED).wrapping_sub(1);
                    let core_of = |t| crate::process::process_status(t).map(|s| s.core);
                    if core_of(holder).ok() == crate::my_ids().ok().map(|i| i.core) {
                        return Err(Stuck { holder });
                    }
                    core::hint::spin_loop();
                }
                // No WaitWord (a kernel before ABI 1.4): the holder runs
                // on another core, or will once this thread's turn ends.
                Err(_) => core::hint::spin_loop(),
            }
        }
    }

    fn heap(&mut self) -> &mut Heap {
        // SAFETY: this `Held` holds `HEAP.lock` (taken in `take`, given
        // back in `drop`), so no other reference to the heap exists, and
        // `&mut self` keeps this one unique.
        unsafe { &mut *HEAP.heap.get() }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if HEAP.lock.swap(0, Ordering::Release) & CONTENDED != 0 {
            let _ = crate::word::wake(&HEAP.lock, 1, WakeOrder::Priority);
        }
    }
}

/// The start-up code's call, before the entry function (every thread, at
/// every start): set the heap up for this start of the partition if no
/// other thread has, else wait until it is. `threads`, `base` and `size`
/// are the entry registers `x1`, `x6`, `x7`.
#[doc(hidden)]
pub fn __at_entry(threads: u64, base: u64, size: u64) {
    if size == 0 {
        return; // no heap: an allocation says so (`report_failure`)
    }
    let restarts = crate::partition_status().map_or(0, |s| s.restarts);
    let wanted = restarts.saturating_add(1).min(u64::MAX >> 1) << 1;
    // Held across the set-up: a thread of the partition made ready on
    // this core cannot run (and wait for the set-up) until it is done.
    let _preemption = NoPreemption::take(threads);
    loop {
        let now = SET_UP.load(Ordering::Acquire);
        if now == wanted | 1 {
            return; // set up for this start by another thread
        }
        if now == wanted {
            // Another thread of this start is setting it up, on another
            // core (on this one it would hold the preemption lock).
            wait_for_event();
            continue;
        }
        // Left from an earlier start (or never set up): ours to redo.
        if SET_UP.compare_exchange(now, wanted, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            // Every other thread of this start waits above until the heap
            // is ready, and no thread of an earlier start runs: nothing
            // else touches the heap or its lock now. A warm restart kept
            // both as the earlier start left them, the lock perhaps held
            // by a process stopped mid-operation: start them afresh.
            HEAP.lock.store(0, Ordering::Relaxed);
            // SAFETY: no other reference to the heap exists (above).
            let heap = unsafe { &mut *HEAP.heap.get() };
            *heap = Heap::empty();
            // SAFETY: the kernel gives `[base, base + size)` to this
            // partition as read/write memory for the heap alone (the
            // ABI's entry state; the image and the stacks lie elsewhere),
            // for as long as the partition runs; `size` is whole pages, more
            // than the allocator's few words of metadata. The heap was just
            // emptied: allocations of an earlier start are dead with the
            // threads that made them.
            unsafe { heap.init(base as usize as *mut u8, size as usize) };
            SIZE.store(size, Ordering::Relaxed);
            SET_UP.store(wanted | 1, Ordering::Release);
            send_event();
            return;
        }
    }
}

/// How full the heap is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Bytes the allocator manages (the description's `heap`, less a few
    /// for alignment).
    pub size: usize,
    /// Bytes in allocations (each rounded up to the allocator's granule,
    /// 16 bytes on AArch64).
    pub used: usize,
    /// Bytes free, in however many pieces.
    pub free: usize,
}

/// The heap's usage now; `None` if the partition has no heap.
pub fn usage() -> Option<Usage> {
    if SIZE.load(Ordering::Relaxed) == 0 {
        return None;
    }
    // Only when the caller holds the preemption lock with the heap's
    // holder preempted on its core: no answer is the honest one.
    let mut held = Held::take().ok()?;
    let heap = held.heap();
    Some(Usage { size: heap.size(), used: heap.used(), free: heap.free() })
}

/// Raise the application error of a heap operation that could not take
/// the heap (no lock held).
fn report_stuck(what: &str, layout: Layout, holder: u32) {
    let mut message = MessageBuf::<MAX_ERROR_MESSAGE>::new();
    let _ = write!(
        message,
        "heap {what} of {} bytes refused: preemption locked, heap held by process {holder} on this core",
        layout.size()
    );
    let _ = raise_application_error(error_code::HEAP_EXHAUSTED, message.as_bytes());
}

/// Raise the application error of a failed allocation (no lock held).
fn report_failure(layout: Layout, usage: Option<Usage>) {
    let mut message = MessageBuf::<MAX_ERROR_MESSAGE>::new();
    let (size, align) = (layout.size(), layout.align());
    let _ = match usage {
        None => write!(
            message,
            "no heap configured: {size} bytes asked (align {align}); give the partition a heap in the description"
        ),
        Some(u) => write!(
            message,
            "heap exhausted: {size} bytes asked (align {align}), heap {} bytes, {} free",
            u.size, u.free
        ),
    };
    let _ = raise_application_error(error_code::HEAP_EXHAUSTED, message.as_bytes());
}

/// The SDK's global allocator (feature `alloc`).
pub struct PartitionAllocator;

// SAFETY: every block handed out comes from `Heap::allocate_first_fit` for
// the same layout, inside the heap the kernel gives the partition, and is
// given back with `Heap::deallocate` under the same layout (what
// `GlobalAlloc` promises of its callers); the heap is reached only under
// its lock; a failure returns null, never a bad pointer.
unsafe impl GlobalAlloc for PartitionAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let (block, usage) = {
            let mut held = match Held::take() {
                Ok(held) => held,
                Err(Stuck { holder }) => {
                    report_stuck("allocation", layout, holder);
                    return ptr::null_mut();
                }
            };
            let heap = held.heap();
            let block = heap.allocate_first_fit(layout);
            let usage = (heap.size() > 0).then(|| Usage { size: heap.size(), used: heap.used(), free: heap.free() });
            (block, usage)
        };
        match block {
            Ok(block) => block.as_ptr(),
            Err(()) => {
                // Both locks are back: the health monitor's action may stop
                // or restart this thread.
                report_failure(layout, usage);
                ptr::null_mut()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(block) = NonNull::new(ptr) else { return };
        let mut held = match Held::take() {
            Ok(held) => held,
            Err(Stuck { holder }) => {
                // The block stays allocated (a leak, reported), never
                // freed without the lock.
                report_stuck("free", layout, holder);
                return;
            }
        };
        // SAFETY: the caller gives back a block this allocator handed out
        // for `layout` (GlobalAlloc::dealloc's contract), from this heap:
        // a block of an earlier start cannot reach here, as the threads
        // that held it are gone.
        unsafe { held.heap().deallocate(block, layout) };
    }
}

/// On the host (unit tests, `cargo clippy --workspace`) the program keeps
/// std's allocator: there is no partition heap to manage.
#[cfg(all(target_arch = "aarch64", target_os = "none"))]
#[global_allocator]
static ALLOCATOR: PartitionAllocator = PartitionAllocator;
