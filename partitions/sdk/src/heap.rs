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
//! **Locking.** One spinlock guards the heap, across the partition's
//! cores. A thread holding it could be preempted by a higher-priority
//! thread of its partition on the same core (ARINC 653 process
//! scheduling); if that one allocated it would spin on a lock whose holder
//! cannot run, to the end of the window and in every window after. So a
//! partition with more than one thread holds the kernel's preemption lock
//! (LOCK_PREEMPTION, [`crate::process::lock_preemption`]) across every heap
//! operation, taken before the spinlock and given back after it: while a
//! thread holds the heap, no other thread of its partition runs on its
//! core, and the spinning waiters are on other cores, waiting a bounded
//! time (one heap operation) for a holder that runs. That costs two
//! hypercalls per allocation and per free; a partition with one thread
//! skips them. A window's end still preempts the holder (and stops every
//! waiter with it). Stopping or restarting a process in the middle of a
//! heap operation (STOP, or the health monitor's `stop_process` or
//! `restart_process` for a deadline miss) leaves the heap locked, as any
//! lock the process held, and the partition's next allocation spins in
//! every window; a partition restart sets it up afresh.
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
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use bulkhead_abi::MAX_ERROR_MESSAGE;
use linked_list_allocator::Heap;

use crate::{MessageBuf, error_code, raise_application_error, send_event, wait_for_event};

/// The partition's heap and the spinlock that guards it.
struct PartitionHeap {
    /// Taken with Acquire, given back with Release (and an `SEV`).
    locked: AtomicBool,
    heap: UnsafeCell<Heap>,
}

// SAFETY: `heap` is reached only through `Held`, which exists only while
// `locked` is held by its owner: one thread at a time, on any core.
unsafe impl Sync for PartitionHeap {}

static HEAP: PartitionHeap = PartitionHeap { locked: AtomicBool::new(false), heap: UnsafeCell::new(Heap::empty()) };

/// Which partition start the heap was set up for: `start << 1`, with bit 0
/// set once it is ready (`start` = restart count + 1, so 0 is "never").
static SET_UP: AtomicU64 = AtomicU64::new(0);

/// The partition's thread count (`x1`): with one thread no other of the
/// partition can preempt the holder, and the preemption lock is skipped.
static THREADS: AtomicU32 = AtomicU32::new(0);

/// The heap's size, bytes (for reports; 0: the partition has none).
static SIZE: AtomicU64 = AtomicU64::new(0);

/// The kernel's preemption lock on this core (LOCK_PREEMPTION), in a
/// partition of several threads: no other thread of the partition runs on
/// this core until it is dropped (UNLOCK_PREEMPTION).
struct NoPreemption {
    locked: bool,
}

impl NoPreemption {
    fn take() -> NoPreemption {
        // If the kernel refuses (the caller already holds the lock 16
        // levels deep, or the kernel lacks the call), go on without: in
        // the first case it is held already.
        NoPreemption { locked: THREADS.load(Ordering::Relaxed) > 1 && crate::process::lock_preemption().is_ok() }
    }
}

impl Drop for NoPreemption {
    fn drop(&mut self) {
        if self.locked {
            let _ = crate::process::unlock_preemption();
        }
    }
}

/// The heap, held: the spinlock, taken after the preemption lock and given
/// back before it (fields drop in order: `Drop for Held` first, then
/// `_preemption`).
struct Held {
    _preemption: NoPreemption,
}

impl Held {
    fn take() -> Held {
        // Preemption first: from here no thread of the partition preempts
        // this one on its core while it holds the spinlock.
        let preemption = NoPreemption::take();
        while HEAP.locked.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            while HEAP.locked.load(Ordering::Relaxed) {
                wait_for_event();
            }
        }
        Held { _preemption: preemption }
    }

    fn heap(&mut self) -> &mut Heap {
        // SAFETY: this `Held` holds `HEAP.locked` (taken in `take`, given
        // back in `drop`), so no other reference to the heap exists, and
        // `&mut self` keeps this one unique.
        unsafe { &mut *HEAP.heap.get() }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        HEAP.locked.store(false, Ordering::Release);
        send_event();
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
    THREADS.store(u32::try_from(threads).unwrap_or(u32::MAX), Ordering::Relaxed);
    let restarts = crate::partition_status().map_or(0, |s| s.restarts);
    let wanted = restarts.saturating_add(1).min(u64::MAX >> 1) << 1;
    // Held across the set-up: a thread of the partition made ready on
    // this core cannot run (and wait for the set-up) until it is done.
    let _preemption = NoPreemption::take();
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
            HEAP.locked.store(false, Ordering::Relaxed);
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
    let mut held = Held::take();
    let heap = held.heap();
    Some(Usage { size: heap.size(), used: heap.used(), free: heap.free() })
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
            let mut held = Held::take();
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
        let mut held = Held::take();
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
