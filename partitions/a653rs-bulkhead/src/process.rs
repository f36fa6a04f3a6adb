//! a653rs `process` traits for [`crate::BulkheadHypervisor`].
