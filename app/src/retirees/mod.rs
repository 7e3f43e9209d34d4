//! The retiree registry's use cases.

pub mod registration;
