//! a653rs `error` traits for [`crate::BulkheadHypervisor`].
