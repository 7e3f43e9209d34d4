//! The transaction boundary. Diesel is blocking, so work runs on the blocking thread pool with a pooled
//! connection borrowed inside the closure: a caller waits for a connection there, and when none comes in time
//! the answer is 503 with `Retry-After`.

use persistence::{DbConnection, Pool, RepoError};

use crate::error::AppError;

/// Runs `f` with a pooled connection on the blocking thread pool.
pub async fn run<T, E, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(|e| AppError::from(RepoError::from(e)))?;
        f(&mut conn).map_err(Into::into)
    })
    .await
    .map_err(AppError::internal)?
}

/// Runs `f` in a write transaction (SQLite `BEGIN IMMEDIATE`) with a pooled connection; the change's events join
/// the feed at commit.
pub async fn write<T, E, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<AppError> + From<persistence::DieselError> + Send + 'static,
{
    run(pool, move |conn| persistence::write_tx(conn, f)).await
}
