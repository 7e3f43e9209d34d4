//! The page cache of a SQLite connection while it does bulk work (roster imports, certification runs): one large
//! transaction touches far more index pages than SQLite's default cache of 2 MiB holds, so the connection is
//! given a larger one for the job and set back afterwards (the connection returns to the pool). PostgreSQL has no
//! per-connection page cache to widen: `shared_buffers` is the server's.
//!
//! The size is a process setting (`SQLITE_BULK_CACHE_MIB`, [`set_mib`]); docs/performance.md has the side-by-side
//! figures behind its default.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::connection::SimpleConnection;

use crate::{DbConnection, RepoResult};

/// The default bulk cache in MiB (docs/performance.md, "SQLite bulk page cache").
pub const DEFAULT_MIB: u32 = 16;

/// SQLite's own default: `cache_size = -2000` (2,000 KiB).
const SQLITE_DEFAULT_KIB: u32 = 2000;

static MIB: AtomicU32 = AtomicU32::new(DEFAULT_MIB);

/// Sets the bulk cache for this process; 0 leaves bulk connections at SQLite's default.
pub fn set_mib(mib: u32) {
    MIB.store(mib, Ordering::Relaxed);
}

/// The bulk cache of this process in MiB.
fn mib() -> u32 {
    MIB.load(Ordering::Relaxed)
}

fn set_kib(conn: &mut DbConnection, kib: u32) -> RepoResult<()> {
    if let DbConnection::Sqlite(c) = conn {
        // A negative cache_size is in KiB (https://sqlite.org/pragma.html#pragma_cache_size). `main`, the
        // database's own tables and indexes; the staging tables in `temp` keep theirs. SQLite also sizes its
        // sorters from this value, so the peak memory grows by about 2.5x the setting (docs/performance.md,
        // "SQLite bulk page cache").
        c.batch_execute(&format!("PRAGMA main.cache_size = -{kib}"))?;
    }
    Ok(())
}

/// Gives a SQLite connection the bulk cache before a bulk job.
pub fn widen(conn: &mut DbConnection) -> RepoResult<()> {
    match mib() {
        0 => Ok(()),
        mib => set_kib(conn, mib.saturating_mul(1024)),
    }
}

/// Sets a SQLite connection's cache back to SQLite's default after a bulk job.
pub fn restore(conn: &mut DbConnection) -> RepoResult<()> {
    set_kib(conn, SQLITE_DEFAULT_KIB)
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    #[derive(QueryableByName)]
    struct Size {
        #[diesel(sql_type = BigInt)]
        cache_size: i64,
    }

    fn cache_size(conn: &mut DbConnection, schema: &str) -> i64 {
        let DbConnection::Sqlite(c) = conn else { unreachable!() };
        diesel::sql_query(format!("PRAGMA {schema}.cache_size")).get_result::<Size>(c).unwrap().cache_size
    }

    #[test]
    fn widens_main_to_the_setting_and_restores_sqlites_default() {
        let url = crate::connection::DatabaseUrl::Sqlite(":memory:".into());
        let mut conn = crate::connection::establish(&url).unwrap();
        // A temporary table, as staging creates, so that the temp schema exists.
        crate::sql::batch_per_backend(&mut conn, "", "CREATE TEMP TABLE staged (x INTEGER)").unwrap();
        assert_eq!(cache_size(&mut conn, "main"), -2000);
        let temp = cache_size(&mut conn, "temp");
        widen(&mut conn).unwrap();
        assert_eq!(cache_size(&mut conn, "main"), -(i64::from(DEFAULT_MIB) * 1024));
        // The staging tables' schema keeps what it had.
        assert_eq!(cache_size(&mut conn, "temp"), temp);
        restore(&mut conn).unwrap();
        assert_eq!(cache_size(&mut conn, "main"), -2000);
    }
}
