//! What the file imports share: the mode (all or nothing, or keep the good rows) and a rejected row as reported.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub mod divisions;
pub mod jobs;
pub mod register;
pub mod roster;

/// All rows or none (default), or keep the good rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Any bad row rejects the whole file.
    #[default]
    Atomic,
    /// Good rows are imported, bad rows reported.
    Partial,
}

/// One rejected row.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// Line in the file (the header is line 1).
    #[schema(example = 17)]
    pub line: u64,
    /// Column.
    #[schema(example = "code")]
    pub field: String,
    /// Rule.
    #[schema(example = "jurisdiction_code_format")]
    pub code: String,
    /// What is wrong.
    pub message: String,
}
