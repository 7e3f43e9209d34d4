//! Persistence: Diesel schema, migrations for SQLite and PostgreSQL, and repositories. Repository functions
//! take `&mut DbConnection`, never the pool, so they compose inside one transaction.

pub mod accounts;
pub mod audit;
pub mod bulk;
pub mod bulk_cache;
pub mod cache_versions;
pub mod calendar;
pub mod certification_runs;
pub mod condolences;
pub mod connection;
pub mod death;
pub mod dependent_certification;
pub mod error;
pub mod events;
pub mod feeds;
pub mod fund;
// Funding at every level: allocations, bookings, year closes (issue 27).
pub mod fund_levels;
pub mod groups;
pub mod idempotency;
pub mod import_jobs;
pub mod jurisdictions;
pub mod missing_persons;
pub mod movement;
pub mod pension;
pub mod petitions;
// Elderly care services (issue 26).
pub mod elder_care;
pub mod partitions;
pub mod policies;
pub mod retention;
pub mod retirees;
pub mod rules;

pub mod schema;
pub mod sql;
#[cfg(feature = "testing")]
pub mod testing;
pub mod typed;
pub mod visits;
pub mod webhooks;
// Personnel archives (issue 23).
pub mod archives;
// Encryption at rest (issue 21.10).
pub mod sealed;
pub mod sealing;
// Monthly reports, month close (issue 27).
pub mod report_roll;
pub mod reports;
// Personnel archives: use, supplements, transfer, digitisation (issue 23).
pub mod archive_loans;
// Community services (issue 25).
pub mod activities;
pub mod health_records;
pub mod volunteers;
// Personnel archives: digitisation batches (issue 23).
pub mod archive_batches;
// Community services (issue 25 part 4).
pub mod assistance;
// Community services (issue 25): tracked errands.
pub mod errands;
// Community services (issue 25): party members' organisation relations.
pub mod high_age;
pub mod party;
// Reports, ledgers and funds (issue 27, reports27).
pub mod report_sections;
// Special-group ledger feeds: hardship list, hospital records (issue 27, ledgers).
pub mod ledger_feeds;
// Division imports staged and written level by level, set-based (issue 20, divcopy).
pub mod division_staging;

pub use connection::{
    DatabaseUrl, DbConnection, Pool, PoolOptions, build_pool, build_read_pool, replica_lag_ms, run_migrations,
    savepoint, write_tx,
};
pub use diesel::result::Error as DieselError;
pub use error::{RepoError, RepoResult};

/// Now in UTC, as stored in `Timestamp` columns.
pub fn now_utc() -> time::PrimitiveDateTime {
    let now = time::OffsetDateTime::now_utc();
    time::PrimitiveDateTime::new(now.date(), now.time())
}
