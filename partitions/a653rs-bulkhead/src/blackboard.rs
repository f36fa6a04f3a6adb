//! a653rs `blackboard` traits for [`crate::BulkheadHypervisor`].
