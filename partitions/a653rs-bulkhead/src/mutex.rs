//! a653rs `mutex` traits for [`crate::BulkheadHypervisor`].
