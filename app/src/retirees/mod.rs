//! The retiree registry's use cases.

pub mod dependents;
pub mod file;
pub mod registration;
