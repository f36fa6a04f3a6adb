//! a653rs `time` traits for [`crate::BulkheadHypervisor`].
