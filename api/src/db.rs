//! Runs blocking Diesel work off the async workers through the application layer's transaction boundary
//! ([`app::db`]), answering in the API's error type.

use app::db::{DbConnection, DieselError, Pool};

use crate::error::{ApiError, AppError};

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

impl From<DieselError> for ApiError {
    fn from(e: DieselError) -> Self {
        ApiError::from(AppError::from(e))
    }
}
