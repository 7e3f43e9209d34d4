//! Stored answers of creating POSTs, keyed by caller and `Idempotency-Key` (api-guidelines "Shape").

use diesel::prelude::*;

use crate::schema::idempotency_keys;
use crate::{DbConnection, RepoResult, now_utc};

/// A stored first answer.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct StoredResponse {
    /// Hash of method, path and body of the first request.
    pub request_hash: String,
    /// Status of the first answer.
    pub status: i32,
    /// `Location` of the first answer.
    pub location: Option<String>,
    /// Body of the first answer.
    pub body: String,
    /// `ETag` of the first answer (issue 21.9).
    pub etag: Option<String>,
}

/// The answer stored for `(actor, key)`, if any. Call it inside the write transaction: on PostgreSQL it first takes
/// a transaction-level advisory lock on the key, so that concurrent requests with one key take turns and the later
/// ones find (and replay) the first answer instead of racing it into a conflict (SQLite's single writer already
/// serialises them).
pub fn find(conn: &mut DbConnection, actor: &str, key: &str) -> RepoResult<Option<StoredResponse>> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 1163284053)) IS NULL AS locked")
            .bind::<diesel::sql_types::Text, _>(format!("{actor}\u{1f}{key}"))
            .execute(pg)?;
    }
    Ok(idempotency_keys::table.find((actor, key)).select(StoredResponse::as_select()).first(conn).optional()?)
}

/// Stores the first answer; a concurrent duplicate fails with a unique violation and rolls its work back.
pub fn store(conn: &mut DbConnection, actor: &str, key: &str, response: &StoredResponse) -> RepoResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::actor.eq(actor),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::request_hash.eq(&response.request_hash),
            idempotency_keys::status.eq(response.status),
            idempotency_keys::location.eq(&response.location),
            idempotency_keys::body.eq(&response.body),
            idempotency_keys::etag.eq(&response.etag),
            idempotency_keys::created_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(())
}
