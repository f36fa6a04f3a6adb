//! a653rs `partition` traits for [`crate::BulkheadHypervisor`].
