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
