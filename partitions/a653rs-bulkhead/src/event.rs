//! a653rs `event` traits for [`crate::BulkheadHypervisor`].
