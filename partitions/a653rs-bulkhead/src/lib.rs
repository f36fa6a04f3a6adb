//! a653rs backend for Bulkhead: the APEX traits of
//! [a653rs](https://github.com/DLR-FT/a653rs) implemented on the Bulkhead
//! hypercall ABI (`bulkhead-sdk`), so that an ARINC 653 application written
//! against a653rs builds for Bulkhead by changing its backend dependency and
//! its start-up glue. See README.md for the trait coverage table and the
//! porting guide.
#![cfg_attr(target_os = "none", no_std)]

/// The hypervisor type every a653rs trait is implemented for: name it in
/// `#[partition(a653rs_bulkhead::BulkheadHypervisor)]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BulkheadHypervisor;

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
