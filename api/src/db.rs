//! Runs blocking Diesel work off the async workers through the application layer's transaction boundary
//! ([`app::db`]), answering in the API's error type.

use app::db::{DbConnection, DieselError, Pool};

use crate::error::{ApiError, AppError};
use crate::state::AppState;

/// Runs `f` with a pooled connection on the blocking thread pool.
pub async fn run<T, E, F>(pool: &Pool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    app::db::run(pool, f).await.map_err(ApiError::from)
}

/// Runs `f` in a write transaction (SQLite `BEGIN IMMEDIATE`) with a pooled connection: `f` is usually one use
/// case (`move |conn| app::x::y(conn, ..)`), answering in its own error type.
pub async fn write<T, E, F>(pool: &Pool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<AppError> + From<DieselError> + Send + 'static,
{
    app::db::write(pool, f).await.map_err(ApiError::from)
}

/// Runs the personal read `f` outside a write transaction and answers its value only once its audit entries
/// committed through the group-committed writer ([`app::audited::read`]).
pub async fn read_audited<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<app::audited::Audited<T>, AppError> + Send + 'static,
    T: Send + 'static,
{
    app::audited::read(&state.pool, &state.audit, f).await.map_err(ApiError::from)
}

impl From<DieselError> for ApiError {
    fn from(e: DieselError) -> Self {
        ApiError::from(AppError::from(e))
    }
}

/// The pool the caller reads lists, reports, exports and the feed from: the read replica when one is set, the
/// caller has not written through this process within the read-your-writes window and the replica's lag is within
/// its bound; else the primary (issue 28).
pub fn reading_pool(state: &AppState, login: &str) -> app::db::Pool {
    state.replica.as_ref().and_then(|r| r.pool_for(login)).cloned().unwrap_or_else(|| state.pool.clone())
}

/// Runs the read `f` on [`reading_pool`]: it must not write (replica connections are read-only).
pub async fn read<T, E, F>(state: &AppState, login: &str, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    app::db::run(&reading_pool(state, login), f).await.map_err(ApiError::from)
}

/// [`read_audited`] on [`reading_pool`]: the value is read from the replica, its audit entries are committed on
/// the primary by the group-committed writer before it is answered.
pub async fn read_audited_listing<T, F>(state: &AppState, login: &str, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<app::audited::Audited<T>, AppError> + Send + 'static,
    T: Send + 'static,
{
    app::audited::read(&reading_pool(state, login), &state.audit, f).await.map_err(ApiError::from)
}
