//! The Bulkhead partition SDK: what a partition image is built against.
//!
//! Sits at `partitions/sdk`; the images themselves live in
//! `partitions/examples`, the ABI it wraps in `kernel/abi` (the one source
//! of function IDs, status codes and limits). A partition image is a
//! `#![no_std]`, `#![no_main]` binary for `aarch64-unknown-none`, linked
//! with `linker/partition.ld` at IPA `0x4000_0000`, that names its entry
//! function with [`partition_main!`]:
//!
//! ```ignore
//! // src/bin/demo.rs: a whole partition image (ignored as a doctest: it is
//! // a no_std, no_main image for aarch64-unknown-none, not a host program).
//! #![cfg_attr(target_os = "none", no_std)]
//! #![no_main]
//! use bulkhead_sdk::{ThreadInfo, periodic_wait, println, time};
//!
//! bulkhead_sdk::partition_main!(main);
//!
//! fn main(thread: ThreadInfo) -> ! {
//!     let mut window = 0u64;
//!     loop {
//!         let now_us = time().map(|t| t.now_ns / 1000).unwrap_or(0);
//!         println!("demo: thread {} window {window} at {now_us} us", thread.index);
//!         window += 1;
//!         let _ = periodic_wait();
//!     }
//! }
//! ```
//!
//! What the SDK provides (see `partitions/sdk/README.md` for the full
//! guide and one section per hypercall):
//!
//! - start-up code (`_start`, in `.text.start`, the image's first byte): it
//!   checks the stack the kernel gave the thread, enables FP/SIMD at EL1,
//!   installs the SDK's EL1 vector table and calls the entry function with
//!   a [`ThreadInfo`] built from the ABI's entry registers (`x0..x3`);
//! - an EL1 vector table whose IRQ entries dispatch the thread's
//!   interrupts to the handlers registered with [`irq::register`], and
//!   whose every other entry reports the unexpected exception (ESR_EL1,
//!   ELR_EL1, FAR_EL1) on the console and to the health monitor (ARINC 653
//!   RAISE_APPLICATION_ERROR), then parks the thread;
//! - interrupts (module [`irq`]): the InterruptEnable/Disable/Status
//!   calls, the thread's GIC CPU interface, PSTATE.I, WFI, and the
//!   thread's own virtual timer ([`irq::vtimer`]);
//! - safe wrappers for every hypercall of `bulkhead-abi` ([`abi_version`],
//!   [`my_ids`], [`partition_status`], [`time`], [`console_write`],
//!   [`periodic_wait`], [`timed_wait`], [`yield_now`],
//!   [`raise_application_error`], [`console_frame`], [`memory_region`];
//!   the ports of the description's channels, [`SamplingSource`],
//!   [`SamplingDestination`], [`QueuingSource`], [`QueuingDestination`],
//!   [`port_by_name`], [`port_status`] (module [`port`]); for system
//!   partitions [`set_schedule`],
//!   [`schedule_status`], [`set_thread_affinity`], [`stop_partition`],
//!   [`start_partition`], [`restart_partition`], [`read_health_log`]) returning
//!   `Result<_, Status>`, and the raw [`hvc`] for tests that pass bad
//!   arguments on purpose;
//! - ARINC 653 intra-partition objects (blackboards, buffers, semaphores,
//!   events, mutexes) in the partition's own memory, on WaitWord/WakeWord
//!   (module [`intra`]);
//! - [`Console`], a `core::fmt::Write` over ConsoleWrite, with [`print!`]
//!   and [`println!`];
//! - [`Region`], volatile reads and writes of a shared memory region the
//!   partition maps ([`memory_region`]);
//! - with the `alloc` feature, a `#[global_allocator]` over the heap the
//!   system description gives the partition (module [`heap`]), so it may
//!   use `Vec`, `String`, `Box` and the rest of `alloc`;
//! - with the `defmt` feature, a `#[defmt::global_logger]` that sends each
//!   defmt frame as one ConsoleFrame hypercall ([`console_frame`]), for
//!   `bulkhead log` to decode on the host;
//! - a `#[panic_handler]` that prints the panic, raises an application error
//!   with its location and message, and parks the thread.
//!
//! Hypercalls follow the Arm SMC Calling Convention (DEN 0028) over
//! `HVC #0`; the services carry ARINC 653 Part 1 APEX names where they fit.
//!
//! On a host build (unit tests, `cargo clippy --workspace`) the start-up
//! code, the vectors and the panic handler are left out and every hypercall
//! returns [`Status::NotSupported`], so code using the SDK type-checks and
//! its pure parts can be tested with `cargo test`.
#![no_std]

#[cfg(test)]
extern crate std;

mod call;
mod console;
mod event;
mod exception;
#[cfg(feature = "alloc")]
pub mod heap;
pub mod intra;
pub mod irq;
#[cfg(feature = "defmt")]
mod log;
mod message;
#[cfg(all(target_arch = "aarch64", target_os = "none"))]
mod panic;
pub mod port;
pub mod process;
mod region;
#[cfg(all(target_arch = "aarch64", target_os = "none"))]
mod rt;
pub mod word;

pub use bulkhead_abi as abi;
pub use bulkhead_abi::{
    CONSOLE_LINE, Call, HEALTH_DETAIL_SIZE, HEALTH_LOG_ENTRIES, HEALTH_RECORD_SIZE, HealthRecord, MAX_CONSOLE_FRAME,
    MAX_CONSOLE_WRITE, MAX_ERROR_MESSAGE, MAX_REGION_NAME, PartitionMode, PartitionStatusRecord, ProcessState,
    ProcessStatusRecord, RegionAccess, StartCondition, Status,
};
pub use call::{
    AbiVersion, HealthLogEntry, Ids, PartitionStatus, ScheduleStatus, Time, abi_version, console_frame, console_write,
    hvc, my_ids, partition_status, periodic_wait, raise_application_error, read_health_log, restart_partition,
    schedule_status, set_schedule, set_thread_affinity, start_partition, status_name, stop_partition, time, timed_wait,
    yield_now,
};
#[doc(hidden)]
pub use console::_print as __print;
pub use console::Console;
pub use event::{send_event, thread_index, wait_for_event};
pub use exception::{Exception, class_name, exception_class, vector_name};
pub use message::{MessageBuf, TRUNCATED_MARK};
pub use port::{
    INFINITE, PortInfo, QueuingDestination, QueuingSource, Sample, SamplingDestination, SamplingSource, port_by_name,
    port_status,
};
pub use region::{Region, memory_region};

/// Error codes the SDK itself passes to [`raise_application_error`].
///
/// The ABI leaves the meaning of the code to the application; the SDK uses
/// these small values for the errors it raises on a thread's behalf.
/// Applications are free to use any other value; keeping to `0x1000` and
/// above keeps them apart from the SDK's.
pub mod error_code {
    /// A Rust panic (the SDK's panic handler).
    pub const PANIC: u64 = 1;
    /// An exception taken to EL1 (the SDK's vector table): undefined
    /// instruction, EL1 alignment fault, unexpected interrupt...
    pub const UNEXPECTED_EXCEPTION: u64 = 2;
    /// The thread was entered with no usable stack (SP_EL1 zero, not
    /// 16-byte aligned or outside partition memory), or faulted again while
    /// reporting an exception: reported without touching memory.
    pub const NO_STACK: u64 = 3;
    /// An allocation the partition's heap cannot serve, or any allocation
    /// in a partition without a heap (the `alloc` feature's allocator).
    pub const HEAP_EXHAUSTED: u64 = 4;
}

/// What a thread learns at entry, from the ABI's entry registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadInfo {
    /// This thread's index in its partition (`x0`): 0, 1, ... in the order
    /// the system description declares the threads.
    pub index: u32,
    /// How many threads the partition has (`x1`).
    pub count: u32,
    /// The partition's memory base IPA (`x2`): 0x4000_0000 today, the
    /// address the image is linked at.
    pub memory_base: u64,
    /// The partition's memory size in bytes (`x3`). The thread stacks are
    /// at its top, thread 0's highest.
    pub memory_size: u64,
}

impl ThreadInfo {
    /// The entry registers as the ABI defines them (`kernel/abi`, "Thread
    /// entry state"). Used by [`partition_main!`]; the counts fit in `u32`
    /// (a partition has at most one thread per core), anything above is
    /// clamped rather than wrapped.
    #[doc(hidden)]
    pub const fn __from_entry(index: u64, count: u64, base: u64, size: u64) -> ThreadInfo {
        const fn clamp(v: u64) -> u32 {
            if v > u32::MAX as u64 { u32::MAX } else { v as u32 }
        }
        ThreadInfo { index: clamp(index), count: clamp(count), memory_base: base, memory_size: size }
    }

    /// One past the last byte of partition memory (saturating: a kernel
    /// that passed a wrapping size gets an end at 2^64 - 1).
    pub const fn memory_end(&self) -> u64 {
        self.memory_base.saturating_add(self.memory_size)
    }
}

/// Names the partition's entry function: `partition_main!(main)` with
/// `fn main(thread: ThreadInfo) -> !` or `fn main(thread: ThreadInfo)`.
///
/// The image's crate attributes are `#![cfg_attr(target_os = "none",
/// no_std)]` and `#![no_main]`: `no_std` for the partition, std on the host
/// so that `cargo clippy --workspace --all-targets` can check the image
/// (there the macro defines a C `main` that says the binary is a partition
/// image and exits with status 2).
///
/// Every thread of the partition runs the entry function, on its own core
/// and stack; `thread.index` tells them apart.
///
/// **A thread whose entry function returns is done:** it calls
/// [`periodic_wait`] forever (see [`thread_done`]), so it costs one
/// hypercall per window and never runs user code again. It is not reported
/// as an error; a thread that should never end should return `!`.
#[macro_export]
macro_rules! partition_main {
    ($main:path) => {
        // The SDK's `_start` calls this symbol once the thread has a stack,
        // FP/SIMD and the SDK vectors; a missing `partition_main!` is a link
        // error naming it.
        // `!` coerces to `()`, so both entry signatures fit (hence the
        // allowances, for the `-> !` case); any other return type is a type
        // error here rather than a silently dropped value.
        #[doc(hidden)]
        #[allow(unreachable_code, clippy::diverging_sub_expression)]
        #[unsafe(export_name = "__bulkhead_partition_entry")]
        pub extern "C" fn __bulkhead_partition_entry(
            index: u64,
            count: u64,
            base: u64,
            size: u64,
            entry: u64,
            argument: u64,
            heap_base: u64,
            heap_size: u64,
        ) -> ! {
            let thread = $crate::ThreadInfo::__from_entry(index, count, base, size);
            // The heap, set up once per partition start (feature `alloc`).
            $crate::__heap_at_entry(count, heap_base, heap_size);
            // A new life of this thread for the intra-partition objects:
            // a wait of its previous life is never served.
            $crate::intra::__at_entry(index as u32);
            // A process started with an entry of its own (StartProcessAt).
            $crate::process::__enter_given(thread, entry, argument);
            let () = $main(thread);
            $crate::thread_done()
        }

        // A host build (`cargo clippy --workspace --all-targets`) type-checks
        // the image with std (the image says `cfg_attr(target_os = "none",
        // no_std)`: a no_std binary cannot be checked on a host whose core is
        // built to unwind). It links as a program that explains itself;
        // `export_name` because the entry function may itself be `main`.
        #[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
        #[unsafe(export_name = "main")]
        extern "C" fn __bulkhead_host_main(_argc: i32, _argv: *const *const u8) -> i32 {
            ::std::eprintln!(
                "this is a Bulkhead partition image: build it with --target aarch64-unknown-none and boot it under the kernel"
            );
            2
        }
    };
}

/// The start-up code's call for the heap (`x1`, `x6`, `x7`): with the
/// `alloc` feature, [`heap`]'s set-up at each partition start; without,
/// nothing. A function of the SDK rather than a `cfg` in
/// [`partition_main!`], whose expansion would read the image crate's
/// features instead of the SDK's.
#[doc(hidden)]
#[inline]
pub fn __heap_at_entry(threads: u64, heap_base: u64, heap_size: u64) {
    #[cfg(feature = "alloc")]
    heap::__at_entry(threads, heap_base, heap_size);
    #[cfg(not(feature = "alloc"))]
    let _ = (threads, heap_base, heap_size);
}

/// What a thread does once its entry function has returned: wait for the
/// next window, forever (ARINC 653 PERIODIC_WAIT). The thread stays
/// dormant, and a partition restart starts it afresh.
pub fn thread_done() -> ! {
    park()
}

/// Parks the calling thread for good: periodic waits forever. Should the
/// kernel refuse PeriodicWait (it should not), the loop just asks again:
/// the thread never runs user code again either way, and the kernel takes
/// the core back at the window's end.
pub(crate) fn park() -> ! {
    loop {
        let _ = periodic_wait();
    }
}
