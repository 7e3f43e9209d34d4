//! The retiree registry's use cases.

pub mod dependents;
pub mod file;
pub mod list;
pub mod register;
pub mod registration;
pub mod view;
