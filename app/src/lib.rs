//! The application layer of the retiree socialized management service: the use cases, the transaction boundary,
//! background jobs, the policy book and the clock. It knows nothing of HTTP: `api` parses a request, calls one
//! use case here and maps its answer; `persistence` holds the tables; `domain` holds the rules.

pub mod accounts;
pub mod audit;
pub mod audit_writer;
pub mod audited;
pub mod calendar;
pub mod caller;
pub mod care;
pub mod certifications;
pub mod clock;
pub mod db;
pub mod deaths;
pub mod dependent_support;
pub mod error;
pub mod events;
pub mod exports;
pub mod feeds;
pub mod files;
#[doc(hidden)]
pub mod fuzzing;
pub mod handover;
pub mod hot_cache;
pub mod idempotency;
pub mod imports;
pub mod input;
pub mod jurisdictions;
pub mod masking;
pub mod missing_persons;
pub mod movement_report;
pub mod ops;
pub mod overpayments;
pub mod pension;
pub mod petitions;
// Elderly care services (issue 26).
pub mod elder_care;
pub mod partitions;
pub mod periodic;
pub mod policies;
pub mod policy_book;
pub mod precondition;
pub mod reductions;
pub mod retention;
pub mod retirees;
pub mod scope;
pub mod seed;
pub mod spreadsheet;
pub mod timeline;
pub mod transfers;
pub mod webhooks;
// Personnel archives (issue 23).
pub mod archives;
// Encryption at rest (issue 21.10).
pub mod data_keys;
// Monthly reports, month close (issue 27).
pub mod reports;

pub mod replica;
// Community services (issue 25).
pub mod activities;
pub mod health_records;
pub mod volunteers;
// Community services (issue 25 part 4).
pub mod assistance;
// Community services (issue 25): tracked errands.
pub mod errands;
// Community services (issue 25): party members' organisation relations.
pub mod high_age;
pub mod party;

pub use caller::Caller;
pub use clock::Clock;
pub use error::{AppError, FieldError, Msg};
