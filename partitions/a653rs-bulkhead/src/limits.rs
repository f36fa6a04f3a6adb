//! a653rs `ApexLimits` for [`crate::BulkheadHypervisor`]: the limits the
//! host tool (`bulkhead check`) holds a system description to, where
//! ARINC 653 Part 1 appendix D leaves them to the implementation.

use a653rs::bindings::{ApexLimits, ApexUnsigned, MessageRange, MessageSize};

use crate::BulkheadHypervisor;

impl ApexLimits for BulkheadHypervisor {
    /// Every partition has a thread, and a module at most 64 threads
    /// (`bulkhead-sched`'s `MAX_THREADS`).
    const SYSTEM_LIMIT_NUMBER_OF_PARTITIONS: ApexUnsigned = 64;
    /// A queuing channel's `depth`: 1..=1024 (`bulkhead-ports`).
    const SYSTEM_LIMIT_NUMBER_OF_MESSAGES: MessageRange = 1024;
    /// A channel's `message_size`: 1 B..=8 KiB (`MAX_MESSAGE_SIZE`).
    const SYSTEM_LIMIT_MESSAGE_SIZE: MessageSize = bulkhead_sdk::abi::MAX_MESSAGE_SIZE as MessageSize;
    /// A partition's threads: at most the module's 64, thread 0 the main
    /// process.
    const SYSTEM_LIMIT_NUMBER_OF_PROCESSES: ApexUnsigned = crate::table::MAX_PROCESSES as ApexUnsigned;
    /// Ports of the module (`bulkhead-ports`' `MAX_PORTS`), of which one
    /// partition may have all.
    const SYSTEM_LIMIT_NUMBER_OF_SAMPLING_PORTS: ApexUnsigned = crate::table::MAX_PORTS as ApexUnsigned;
    const SYSTEM_LIMIT_NUMBER_OF_QUEUING_PORTS: ApexUnsigned = crate::table::MAX_PORTS as ApexUnsigned;
    /// The SDK's intra-partition objects: at most `MAX_OBJECTS` (32) of
    /// each kind per partition (`bulkhead_sdk::intra`).
    const SYSTEM_LIMIT_NUMBER_OF_BUFFERS: ApexUnsigned = bulkhead_sdk::intra::MAX_OBJECTS as ApexUnsigned;
    const SYSTEM_LIMIT_NUMBER_OF_BLACKBOARDS: ApexUnsigned = bulkhead_sdk::intra::MAX_OBJECTS as ApexUnsigned;
    const SYSTEM_LIMIT_NUMBER_OF_SEMAPHORES: ApexUnsigned = bulkhead_sdk::intra::MAX_OBJECTS as ApexUnsigned;
    const SYSTEM_LIMIT_NUMBER_OF_EVENTS: ApexUnsigned = bulkhead_sdk::intra::MAX_OBJECTS as ApexUnsigned;
    const SYSTEM_LIMIT_NUMBER_OF_MUTEXES: ApexUnsigned = bulkhead_sdk::intra::MAX_OBJECTS as ApexUnsigned;
}
