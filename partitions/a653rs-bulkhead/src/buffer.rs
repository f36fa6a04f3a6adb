//! a653rs `buffer` traits for [`crate::BulkheadHypervisor`].
