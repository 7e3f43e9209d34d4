//! Webhook subscriptions and their delivery attempts (issue 11). A subscription is delivered by one replica at a
//! time: the one holding its lease ([`claim`]), which it renews with every acknowledged event ([`acknowledge`]).
//! The cursor moves only after the receiver answered 2xx, so after a crash the event is delivered again (at least
//! once); consumers deduplicate by event id.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::schema::{webhook_attempts, webhooks};
use crate::typed::Stored;
use crate::{DbConnection, RepoError, RepoResult, now_utc};

/// A subscription as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = webhooks)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// JSON array of event types; empty: all.
    pub event_types: String,
    pub secret: String,
    pub description: Option<String>,
    pub owner_login: String,
    #[diesel(deserialize_as = Stored<domain::Role>)]
    pub owner_role: domain::Role,
    pub scope_path: String,
    pub active: bool,
    /// Last event acknowledged.
    pub cursor: i64,
    /// Failed attempts since the last success.
    pub failures: i32,
    pub next_attempt_at: Option<PrimitiveDateTime>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<PrimitiveDateTime>,
    /// Events acknowledged in all.
    pub delivered: i64,
    pub last_delivered_at: Option<PrimitiveDateTime>,
    pub version: i64,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

impl Webhook {
    /// The subscribed types (empty: all). Stored text that is not a JSON array of strings is
    /// [`RepoError::Corrupt`]: read as "all" it would deliver events the subscriber did not ask for.
    pub fn types(&self) -> RepoResult<Vec<String>> {
        crate::typed::stored_json("webhooks", self.id, "event_types", &self.event_types)
    }
}

/// A new subscription.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhooks)]
pub struct NewWebhook {
    pub url: String,
    pub event_types: String,
    pub secret: String,
    pub description: Option<String>,
    pub owner_login: String,
    pub owner_role: String,
    pub scope_path: String,
    pub active: bool,
    pub cursor: i64,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

/// Inserts a subscription.
pub fn create(conn: &mut DbConnection, new: &NewWebhook) -> RepoResult<Webhook> {
    let id: i64 = diesel::insert_into(webhooks::table).values(new).returning(webhooks::id).get_result(conn)?;
    find(conn, id)
}

/// One subscription.
pub fn find(conn: &mut DbConnection, id: i64) -> RepoResult<Webhook> {
    Ok(webhooks::table.find(id).select(Webhook::as_select()).first(conn)?)
}

/// Subscriptions whose owner's subtree lies in `scope_path`, by id, after `after`.
pub fn list(conn: &mut DbConnection, scope_path: &str, after: Option<i64>, limit: i64) -> RepoResult<Vec<Webhook>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let mut q = webhooks::table
        .filter(webhooks::scope_path.ge(scope_path.to_owned()))
        .filter(webhooks::scope_path.lt(upper))
        .order(webhooks::id)
        .limit(limit)
        .select(Webhook::as_select())
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(webhooks::id.gt(a));
    }
    Ok(q.load(conn)?)
}

/// The changeable fields.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = webhooks)]
pub struct WebhookChange {
    pub url: Option<String>,
    pub event_types: Option<String>,
    pub secret: Option<String>,
    pub description: Option<Option<String>>,
    pub active: Option<bool>,
    /// Replay: the cursor set back (or forward); clears the failure count and the retry time.
    pub cursor: Option<i64>,
    pub failures: Option<i32>,
    pub next_attempt_at: Option<Option<PrimitiveDateTime>>,
}

/// Changes a subscription whose version is still `expected_version`.
pub fn change(conn: &mut DbConnection, id: i64, expected_version: i64, c: &WebhookChange) -> RepoResult<Webhook> {
    let n = diesel::update(webhooks::table.filter(webhooks::id.eq(id)).filter(webhooks::version.eq(expected_version)))
        .set((c, webhooks::version.eq(webhooks::version + 1), webhooks::updated_at.eq(now_utc())))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    find(conn, id)
}

/// Deletes a subscription (its attempts go with it).
pub fn delete(conn: &mut DbConnection, id: i64, expected_version: i64) -> RepoResult<()> {
    let n = diesel::delete(webhooks::table.filter(webhooks::id.eq(id)).filter(webhooks::version.eq(expected_version)))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    Ok(())
}

/// Active subscriptions due now whose lease is free or expired (candidates to [`claim`]).
pub fn due(conn: &mut DbConnection, now: PrimitiveDateTime) -> RepoResult<Vec<i64>> {
    Ok(webhooks::table
        .filter(webhooks::active.eq(true))
        .filter(webhooks::next_attempt_at.is_null().or(webhooks::next_attempt_at.le(now)))
        .filter(webhooks::lease_until.is_null().or(webhooks::lease_until.lt(now)))
        .order(webhooks::id)
        .select(webhooks::id)
        .load(conn)?)
}

/// Takes the lease of a subscription for `replica` until `until`, if nobody else holds it; returns it when taken.
pub fn claim(
    conn: &mut DbConnection,
    id: i64,
    replica: &str,
    now: PrimitiveDateTime,
    until: PrimitiveDateTime,
) -> RepoResult<Option<Webhook>> {
    let n = diesel::update(
        webhooks::table
            .filter(webhooks::id.eq(id))
            .filter(webhooks::active.eq(true))
            .filter(webhooks::lease_until.is_null().or(webhooks::lease_until.lt(now))),
    )
    .set((webhooks::lease_owner.eq(replica), webhooks::lease_until.eq(until)))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(find(conn, id)?))
}

/// An attempt to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_attempts)]
pub struct NewAttempt {
    pub webhook_id: i64,
    pub event_id: i64,
    pub event_type: String,
    pub attempt: i32,
    pub attempted_at: PrimitiveDateTime,
    pub outcome: String,
    pub status_code: Option<i32>,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub replica: String,
}

/// Records a successful delivery and moves the cursor past the event, if `replica` still holds the lease (renewed
/// to `until`). Returns false when the lease was lost: the caller stops.
pub fn acknowledge(
    conn: &mut DbConnection,
    attempt: &NewAttempt,
    replica: &str,
    until: PrimitiveDateTime,
) -> RepoResult<bool> {
    crate::write_tx(conn, |conn| -> RepoResult<bool> {
        let n = diesel::update(
            webhooks::table
                .filter(webhooks::id.eq(attempt.webhook_id))
                .filter(webhooks::lease_owner.eq(replica))
                .filter(webhooks::cursor.lt(attempt.event_id)),
        )
        .set((
            webhooks::cursor.eq(attempt.event_id),
            webhooks::failures.eq(0),
            webhooks::next_attempt_at.eq(None::<PrimitiveDateTime>),
            webhooks::delivered.eq(webhooks::delivered + 1),
            webhooks::last_delivered_at.eq(attempt.attempted_at),
            webhooks::lease_until.eq(until),
        ))
        .execute(conn)?;
        if n == 0 {
            return Ok(false);
        }
        diesel::insert_into(webhook_attempts::table).values(attempt).execute(conn)?;
        Ok(true)
    })
}

/// Records a failed attempt, schedules the next one at `retry_at` and gives the lease up.
pub fn fail(
    conn: &mut DbConnection,
    attempt: &NewAttempt,
    replica: &str,
    retry_at: PrimitiveDateTime,
) -> RepoResult<()> {
    crate::write_tx(conn, |conn| -> RepoResult<()> {
        diesel::update(
            webhooks::table.filter(webhooks::id.eq(attempt.webhook_id)).filter(webhooks::lease_owner.eq(replica)),
        )
        .set((
            webhooks::failures.eq(webhooks::failures + 1),
            webhooks::next_attempt_at.eq(retry_at),
            webhooks::lease_owner.eq(None::<String>),
            webhooks::lease_until.eq(None::<PrimitiveDateTime>),
        ))
        .execute(conn)?;
        diesel::insert_into(webhook_attempts::table).values(attempt).execute(conn)?;
        Ok(())
    })
}

/// Gives a lease up.
pub fn release(conn: &mut DbConnection, id: i64, replica: &str) -> RepoResult<()> {
    diesel::update(webhooks::table.filter(webhooks::id.eq(id)).filter(webhooks::lease_owner.eq(replica)))
        .set((webhooks::lease_owner.eq(None::<String>), webhooks::lease_until.eq(None::<PrimitiveDateTime>)))
        .execute(conn)?;
    Ok(())
}

/// An attempt as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = webhook_attempts)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Attempt {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub event_type: String,
    pub attempt: i32,
    pub attempted_at: PrimitiveDateTime,
    pub outcome: String,
    pub status_code: Option<i32>,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub replica: String,
}

/// Attempts of a subscription, newest first, before the attempt `before`; of one event when given.
pub fn attempts(
    conn: &mut DbConnection,
    webhook_id: i64,
    event_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Attempt>> {
    let mut q = webhook_attempts::table
        .filter(webhook_attempts::webhook_id.eq(webhook_id))
        .order(webhook_attempts::id.desc())
        .limit(limit)
        .select(Attempt::as_select())
        .into_boxed();
    if let Some(e) = event_id {
        q = q.filter(webhook_attempts::event_id.eq(e));
    }
    if let Some(b) = before {
        q = q.filter(webhook_attempts::id.lt(b));
    }
    Ok(q.load(conn)?)
}
