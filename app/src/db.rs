//! The transaction boundary. Diesel is blocking, so work runs on the blocking thread pool with a pooled
//! connection borrowed inside the closure: a caller waits for a connection there, and when none comes in time
//! the answer is 503 with `Retry-After`.

use crate::error::AppError;

/// The database types the layers above name (so that `api` needs no `persistence` import).
pub use persistence::{DatabaseUrl, DbConnection, DieselError, Pool, PoolOptions, RepoError};

/// Opens the pool of `url` and brings the schema up to date (under an advisory lock on PostgreSQL); answers the
/// migrations it applied.
pub fn open(url: &DatabaseUrl, options: &PoolOptions) -> Result<(Pool, Vec<String>), String> {
    let pool = persistence::build_pool(url, options).map_err(|e| format!("database: {e}"))?;
    let mut conn = pool.get().map_err(|e| format!("database: cannot connect: {e}"))?;
    let applied = persistence::run_migrations(&mut conn).map_err(|e| e.to_string())?;
    drop(conn);
    Ok((pool, applied))
}

/// The default of [`set_sqlite_bulk_cache_mib`] (docs/performance.md, "SQLite bulk page cache").
pub const DEFAULT_SQLITE_BULK_CACHE_MIB: u32 = persistence::bulk_cache::DEFAULT_MIB;

/// Sets the page cache, in MiB, that SQLite connections get for bulk work (imports, certification runs); 0 keeps
/// SQLite's default ([`persistence::bulk_cache`]).
pub fn set_sqlite_bulk_cache_mib(mib: u32) {
    persistence::bulk_cache::set_mib(mib);
}

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
    let outcome = run(pool, move |conn| persistence::write_tx(conn, f)).await;
    // Whatever it changed, this process's cached copies are checked again before their next use.
    LOCAL_WRITES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    outcome
}

/// Write transactions this process has ended (committed or not). [`crate::hot_cache`] trusts its copies without
/// reading `cache_versions` only while this has not moved, so a change made through this process (a disabled
/// account, a new policy) is seen by its very next request; other replicas see it within the cache's interval.
pub static LOCAL_WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
