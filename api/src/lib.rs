//! HTTP layer of the retiree socialized management service: actix-web handlers, authentication, problem+json
//! errors, the OpenAPI contract and the command line.

pub mod auth;
pub mod body_check;
pub mod cli;
pub mod client_address;
pub mod config;
pub mod context;
pub mod contract;
pub mod db;
pub mod error;
pub mod extract;

pub mod idempotency;

pub mod healthcheck;
pub mod metrics;
pub mod openapi;

pub mod routes;
pub mod seed;
pub mod server;
pub mod service;
pub mod state;
pub mod upload;
pub mod webhook_dispatch;

#[doc(hidden)]
pub use app::fuzzing;
pub use app::policy_book;
