//! Integration tests: the real service over HTTP, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod auth;
mod calendar;
mod imports;
mod jurisdictions;
mod ops;
mod platform;
mod policies;
mod retirees;
mod roles;
