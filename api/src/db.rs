//! Runs blocking Diesel work off the async workers. The pool is borrowed inside the closure, so a request
//! waits for a connection on a blocking thread; when none comes in time the answer is 503 with Retry-After.

use persistence::{DbConnection, DieselError, Pool, RepoError};

use crate::error::ApiError;

/// Runs `f` with a pooled connection on the blocking thread pool.
pub async fn run<T, E, F>(pool: &Pool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(|e| ApiError::from(RepoError::from(e)))?;
        f(&mut conn).map_err(Into::into)
    })
    .await?
}

/// Runs `f` in a write transaction (SQLite `BEGIN IMMEDIATE`) with a pooled connection.
pub async fn write<T, F>(pool: &Pool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    run(pool, move |conn| persistence::write_tx(conn, f)).await
}

impl From<DieselError> for ApiError {
    fn from(e: DieselError) -> Self {
        ApiError::from(RepoError::from(e))
    }
}
