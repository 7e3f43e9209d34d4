//! Shared application state.

use app::db::Pool;

use crate::auth::TokenKeys;
use crate::config::Config;

/// What every handler may reach.
pub struct AppState {
    /// Connection pool.
    pub pool: Pool,
    /// Settings.
    pub config: Config,
    /// Token keys.
    pub tokens: TokenKeys,
    /// File import jobs running in this process.
    pub imports: std::sync::Arc<app::imports::roster::Registry>,
    /// The one source of "today" (`config.clock`).
    pub clock: app::Clock,
    /// The group-committed audit writer of the personal reads on the hot path (issue 20).
    pub audit: app::audit_writer::AuditWriter,
    /// This process's copies of accounts and the policy book, invalidated through `cache_versions` (issue 20).
    pub cache: std::sync::Arc<app::hot_cache::HotCache>,
    /// The read replica, when `DATABASE_READ_URL` is set (issue 28).
    pub replica: Option<std::sync::Arc<app::replica::Replica>>,
    /// This server's `/metrics` (issue 22).
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
}
