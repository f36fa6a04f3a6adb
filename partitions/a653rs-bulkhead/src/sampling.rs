//! a653rs `sampling` traits for [`crate::BulkheadHypervisor`].
