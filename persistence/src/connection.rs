//! One connection type over both backends, the pool, migrations and write transactions.

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::RepoError;

/// A connection to PostgreSQL (production) or SQLite (embedded default).
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL through bundled libpq.
    Pg(PgConnection),
    /// SQLite, bundled.
    Sqlite(SqliteConnection),
}

/// The pool every request borrows from.
pub type Pool = r2d2::Pool<Manager>;
/// A borrowed connection.
pub type PooledConnection = r2d2::PooledConnection<Manager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// Key of the PostgreSQL advisory lock held while migrating, so replicas starting together take turns.
const MIGRATION_LOCK_KEY: i64 = 0x7265_7469_7265_6573;

/// Runs the same Diesel expression on the inner connection of either backend, for what the common
/// `MultiBackend` cannot express (multi-row inserts, upserts). `$c` names the inner connection.
#[macro_export]
macro_rules! on_each_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::connection::DbConnection::Pg($c) => $body,
            $crate::connection::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// Which backend a `DATABASE_URL` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`, passed to libpq as is.
    Postgres(String),
    /// `sqlite://path`, `sqlite:path` or `sqlite::memory:`; holds the file path.
    Sqlite(String),
}

impl DatabaseUrl {
    /// Parses a URL; anything but the two schemes is refused with a message naming the accepted forms.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if rest.is_empty() {
                return Err(
                    "DATABASE_URL: a sqlite URL needs a file path, e.g. sqlite://data/retiree-service.db".into()
                );
            }
            return Ok(Self::Sqlite(rest.to_owned()));
        }
        let scheme = url.split(':').next().unwrap_or_default();
        Err(format!("DATABASE_URL: unknown scheme '{scheme}'; use postgres://user@host/db or sqlite://path/to/file.db"))
    }

    /// `postgres` or `sqlite`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

/// Opens connections for the pool and prepares each SQLite connection (WAL, busy timeout, foreign keys).
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
    read_only: bool,
}

impl Manager {
    /// A manager for `url`.
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url, read_only: false }
    }
}

/// Opens one read-only PostgreSQL connection for a read replica (issue 28): every transaction is read-only, and no
/// temporary table is created (a hot standby refuses DDL, temporary tables included). A write through it fails.
pub fn establish_read_only(url: &DatabaseUrl) -> Result<DbConnection, ConnectionError> {
    match url {
        DatabaseUrl::Postgres(u) => {
            let mut conn = PgConnection::establish(u)?;
            conn.batch_execute("SET default_transaction_read_only = on")
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConnection::Pg(conn))
        }
        DatabaseUrl::Sqlite(_) => {
            Err(ConnectionError::BadConnection("a read replica is a PostgreSQL database".to_owned()))
        }
    }
}

/// The pool of a read replica: read-only connections ([`establish_read_only`]). It is built without connecting,
/// so that the service starts while the replica is down; its reads then go to the primary.
pub fn build_read_pool(url: &DatabaseUrl, options: &PoolOptions) -> Pool {
    r2d2::Pool::builder()
        .max_size(options.max_size)
        .min_idle(Some(0))
        .connection_timeout(options.connection_timeout)
        .build_unchecked(Manager { url: url.clone(), read_only: true })
}

/// How far the replica behind `conn` is behind its primary, in milliseconds: 0 when it has replayed all it
/// received (or is not a standby at all), else the age of the last transaction it replayed.
pub fn replica_lag_ms(conn: &mut DbConnection) -> Result<i64, RepoError> {
    #[derive(diesel::QueryableByName)]
    struct Lag {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        lag: i64,
    }
    let DbConnection::Pg(pg) = conn else { return Ok(0) };
    let row: Lag = diesel::sql_query(
        "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 \
         WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
         ELSE COALESCE((EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint, 0) END AS lag",
    )
    .get_result(pg)?;
    Ok(row.lag.max(0))
}

/// Opens one connection, configured as the pool would.
pub fn establish(url: &DatabaseUrl) -> Result<DbConnection, ConnectionError> {
    match url {
        DatabaseUrl::Postgres(u) => {
            let mut conn = PgConnection::establish(u)?;
            conn.batch_execute(crate::events::pending_table_sql(true))
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConnection::Pg(conn))
        }
        DatabaseUrl::Sqlite(path) => {
            if let Some(dir) = std::path::Path::new(path).parent()
                && !dir.as_os_str().is_empty()
                && path != ":memory:"
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| ConnectionError::BadConnection(format!("cannot create {}: {e}", dir.display())))?;
            }
            let mut conn = SqliteConnection::establish(path)?;
            // busy_timeout first: the switch to WAL takes a lock, and a connection opened while another holds one
            // must wait for it, not fail with "database is locked" (seen in scripts/bench with 64 connections).
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                 PRAGMA synchronous = NORMAL;",
            )
            .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            conn.batch_execute(crate::events::pending_table_sql(false))
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        if self.read_only {
            establish_read_only(&self.url).map_err(r2d2::Error::ConnectionError)
        } else {
            establish(&self.url).map_err(r2d2::Error::ConnectionError)
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking()
            || matches!(
                <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn),
                diesel::connection::TransactionManagerStatus::InError
            )
    }
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Most connections held.
    pub max_size: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub connection_timeout: Duration,
}

/// Builds the pool. SQLite pools start empty so that a missing directory is reported once, clearly.
pub fn build_pool(url: &DatabaseUrl, options: &PoolOptions) -> Result<Pool, RepoError> {
    r2d2::Pool::builder()
        .max_size(options.max_size)
        .min_idle(Some(1))
        .connection_timeout(options.connection_timeout)
        .build(Manager::new(url.clone()))
        .map_err(|e| RepoError::Unavailable(e.to_string()))
}

/// Runs pending migrations; on PostgreSQL under an advisory lock so concurrent replicas take turns.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, RepoError> {
    let applied = match conn {
        DbConnection::Pg(pg) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")).execute(pg)?;
            let result = pg.run_pending_migrations(PG_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect());
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")).execute(pg)?;
            result
        }
        DbConnection::Sqlite(lite) => {
            lite.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect())
        }
    };
    applied.map_err(|e| RepoError::Migration(e.to_string()))
}

/// Reverts every migration (tests run them up, down, up).
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<(), RepoError> {
    let result = match conn {
        DbConnection::Pg(pg) => pg.revert_all_migrations(PG_MIGRATIONS).map(|_| ()),
        DbConnection::Sqlite(lite) => lite.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| RepoError::Migration(e.to_string()))
}

/// Runs `f` in a write transaction. On SQLite the transaction is `BEGIN IMMEDIATE`, so a concurrent writer
/// waits for the lock (`busy_timeout`) instead of failing when it upgrades from reading to writing.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(lite) => AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")?,
        DbConnection::Pg(_) => <DbConnection as Connection>::TransactionManager::begin_transaction(conn)?,
    }
    // The change's events join the feed last, so the commit-order lock is held only for the insert and the commit.
    let outcome = f(conn).and_then(|value| crate::events::flush(conn).map(|_| value).map_err(E::from));
    finish_tx(conn, outcome)
}

/// [`write_tx`] for work that emits no events (the audit writer's group commits): no feed flush before commit.
pub fn write_tx_without_events<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(lite) => AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")?,
        DbConnection::Pg(_) => <DbConnection as Connection>::TransactionManager::begin_transaction(conn)?,
    }
    let outcome = f(conn);
    finish_tx(conn, outcome)
}

/// Runs `f` inside the open transaction as a savepoint: what it wrote (its pending events included, which live in
/// a temporary table) is rolled back when it fails, and the transaction goes on (one row of an import).
pub fn savepoint<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    conn.transaction(f)
}

/// Commits after `outcome` is `Ok`, rolls back otherwise.
fn finish_tx<T, E>(conn: &mut DbConnection, outcome: Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match outcome {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn) {
                log::error!("rollback failed: {rollback}");
            }
            Err(e)
        }
    }
}

/// A trivial query, for readiness checks.
pub fn ping(conn: &mut DbConnection) -> Result<(), RepoError> {
    conn.batch_execute("SELECT 1").map_err(RepoError::from)
}
