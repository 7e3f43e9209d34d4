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
}
