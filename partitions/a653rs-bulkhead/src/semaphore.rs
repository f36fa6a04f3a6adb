//! a653rs `semaphore` traits for [`crate::BulkheadHypervisor`].
