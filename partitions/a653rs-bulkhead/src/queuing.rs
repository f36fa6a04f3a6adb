//! a653rs `queuing` traits for [`crate::BulkheadHypervisor`].
