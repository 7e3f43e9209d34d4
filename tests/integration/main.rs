//! Integration tests: the real service over HTTP, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL; with
//! `REQUIRE_POSTGRES=1` a PostgreSQL run that would be skipped fails instead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod accounts_cache;
mod audit_group_commit;
mod auth;
mod body_errors;
mod body_ids;
mod calendar;
mod care;
mod certification_runs;
mod clerk_files;
mod client_address;
mod corrupt;
mod crash;
mod deaths;
mod dependent_certification;
mod dependent_support_lifecycle;
mod encryption; // issue 21.10
mod events;
mod exports;
mod feeds;
mod handover_steps;
mod hardening;
mod harness;
mod import_updates;
mod imports;
mod jurisdictions;
mod last_certification;
mod login_throttle;
mod masking_rebuild;
mod missing_persons;
mod movements;
mod ops;
mod pension;
mod petitions;
mod platform;
mod policies;
mod process;
mod retention;
mod retiree_imports;
mod retirees;
mod roles;
mod schema_drift;
mod upload_bytes;
mod webhook_tls;
// ops (issue 22): /metrics families and the healthcheck subcommand
mod metrics;
// Personnel archives (issue 23).
mod archives;
// Elderly care services (issue 26).
mod care_files;
mod elder_care;
mod partitions;
mod read_replica;
mod replicas;
// Monthly reports, month close (issue 27).
mod report_periods;
mod reports;
// Community services (issue 25).
mod activities;
mod health_records;
mod volunteers;
// Funding at every level (issue 27).
mod fund_levels;
// Personnel archives: register import, digitisation batches (issue 23).
mod archive_batches;
mod archive_import;
// Community services (issue 25 part 4).
mod assistance;
mod high_age_allowance;
// Community services (issue 25): tracked errands, volunteer services linked to visits and activities.
mod errands;
// Community services (issue 25): party members, health institution register.
mod health_institution_files;
mod party;
// Reports, ledgers and funds (issue 27, reports27).
mod reports27;
// Special-group ledger feeds, high-age report section, re-award (issue 27, ledgers).
mod ledgers;
// The webhooks half of the change feed tests (split from events.rs, issue 18).
mod webhooks;
