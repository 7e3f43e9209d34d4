//! Versions of what processes cache (issue 20), raised by triggers on the tables they copy.

use diesel::prelude::*;

use crate::schema::cache_versions;
use crate::{DbConnection, RepoError, RepoResult};

/// The versions of the cached accounts and of the policy book, in one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheVersions {
    /// Raised by changes to accounts (role, node, active, kind, login, credentials generation) and node paths.
    pub accounts: i64,
    /// Raised by any change to policy versions.
    pub policies: i64,
}

/// Reads the versions; a missing row is corrupt data (the migration inserts both).
pub fn read(conn: &mut DbConnection) -> RepoResult<CacheVersions> {
    let rows: Vec<(String, i64)> =
        cache_versions::table.select((cache_versions::name, cache_versions::version)).load(conn)?;
    let find = |name: &str| {
        rows.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| RepoError::Corrupt(format!("cache_versions has no row '{name}'")))
    };
    Ok(CacheVersions { accounts: find("accounts")?, policies: find("policies")? })
}
