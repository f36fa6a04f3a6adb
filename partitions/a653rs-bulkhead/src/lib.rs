//! a653rs backend for Bulkhead: the APEX traits of
//! [a653rs](https://github.com/DLR-FT/a653rs) implemented on the Bulkhead
//! hypercall ABI (`bulkhead-sdk`), so that an ARINC 653 application written
//! against a653rs builds for Bulkhead by changing its backend dependency and
//! its start-up glue. See README.md for the trait coverage table and the
//! porting guide.
//!
//! Sits at `partitions/a653rs-bulkhead`, between an application's
//! `#[partition(a653rs_bulkhead::BulkheadHypervisor)]` module and the SDK.
//! Bulkhead is configured statically: the threads, ports and channels of
//! a partition are in its system description, so the create services of
//! ARINC 653 Part 1 (CREATE_PROCESS, CREATE_SAMPLING_PORT,
//! CREATE_QUEUING_PORT, CREATE_ERROR_HANDLER) look the described object up
//! by name and check the application's attributes against it, as an
//! ARINC 653 OS checks them against its configuration; a mismatch is
//! INVALID_CONFIG, printed with what differs.
//!
//! The start-up glue is one line, [`entry!`]:
//!
//! ```ignore
//! #![cfg_attr(target_os = "none", no_std)]
//! #![no_main]
//! a653rs_bulkhead::entry!(hello::Partition);
//!
//! #[a653rs::partition(a653rs_bulkhead::BulkheadHypervisor)]
//! mod hello { /* #[start(cold)], #[periodic], #[sampling_out], ... */ }
//! ```
//!
//! Principles: every trait method does what ARINC 653 says or returns the
//! standard's error for what Bulkhead does not do (never a panic, never a
//! silent success); the pure parts (status map, names, attribute checks)
//! live in [`convert`] and [`check`] and are tested on the host, where
//! every hypercall answers `NotSupported`.
#![cfg_attr(target_os = "none", no_std)]

/// The hypervisor type every a653rs trait is implemented for: name it in
/// `#[partition(a653rs_bulkhead::BulkheadHypervisor)]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BulkheadHypervisor;

pub mod check;
pub mod convert;
mod limits;
mod port;
mod table;

// Inter-partition services, partition, process, time, health: on the
// kernel's calls.
mod error;
mod partition;
mod process;
mod queuing;
mod sampling;
mod time;

// Intra-partition objects: on the SDK's objects (`bulkhead_sdk::intra`),
// built on the kernel's WaitWord/WakeWord.
mod blackboard;
mod buffer;
mod event;
mod mutex;
mod semaphore;

pub use error::{APPLICATION_ERROR_CODE, ERROR_HANDLER_THREAD};
pub use process::process_entry;

/// For [`entry!`]: the crates its expansion names.
#[doc(hidden)]
pub use a653rs as __a653rs;
#[doc(hidden)]
pub use bulkhead_sdk as __sdk;

use bulkhead_sdk::ThreadInfo;

/// The body of every thread of an a653rs partition ([`entry!`] calls it
/// from the SDK's `partition_main!`).
///
/// - Thread 0, the main process, runs `run` (a653rs's
///   `PartitionExt::run`: the partition's `cold_start` or `warm_start`,
///   then SET_PARTITION_MODE(NORMAL), after which it stops). The partition
///   must start in COLD_START: `initialization = true` in the description.
///   Started in NORMAL instead, it says so on the console, raises an
///   application error and stops.
/// - Every other thread is a process the kernel started at the image's
///   entry (a DELAYED_START, the error handler, a health monitor's
///   `restart_process`): it runs its entry point ([`process_entry`]).
pub fn start_partition(thread: ThreadInfo, run: fn() -> !) -> ! {
    if thread.index != 0 {
        process_entry(thread)
    }
    match partition::initialising() {
        Some((true, restarts)) => {
            // A new initialisation: the objects of the last one are gone,
            // even where a warm restart kept the memory that records them.
            table::begin(restarts);
            run()
        }
        _ => {
            const WHY: &str =
                "a653rs partition started in NORMAL: it initialises itself, describe it with initialization = true";
            bulkhead_sdk::println!("a653rs-bulkhead: {WHY}");
            let _ = bulkhead_sdk::raise_application_error(APPLICATION_ERROR_CODE, WHY.as_bytes());
            bulkhead_sdk::process::stop_self(thread.index)
        }
    }
}

/// The start-up glue of an a653rs partition image:
/// `a653rs_bulkhead::entry!(module::Partition)`, with `module` the
/// `#[partition(a653rs_bulkhead::BulkheadHypervisor)]` module. It stands
/// where an a653rs-linux application has `fn main() {
/// module::Partition.run() }`: it names the image's entry function for the
/// SDK (`bulkhead_sdk::partition_main!`) and runs the partition there
/// ([`start_partition`]). The image's crate attributes are
/// `#![cfg_attr(target_os = "none", no_std)]` and `#![no_main]`.
#[macro_export]
macro_rules! entry {
    ($partition:expr) => {
        $crate::__sdk::partition_main!(__a653rs_bulkhead_main);

        fn __a653rs_bulkhead_main(thread: $crate::__sdk::ThreadInfo) -> ! {
            $crate::start_partition(thread, || {
                $crate::__a653rs::prelude::PartitionExt::<$crate::BulkheadHypervisor>::run($partition)
            })
        }
    };
}
