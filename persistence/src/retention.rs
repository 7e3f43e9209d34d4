//! Retention (issue 21.12): the change feed (`events`) and the webhook delivery log (`webhook_attempts`) are
//! deleted past their retention period, in bounded batches, by any number of replicas at once.
//!
//! Events go strictly oldest id first, never leaving a hole: a batch deletes the longest run of the oldest ids
//! whose `occurred_at` is before the cutoff, and records its last id in `retention_marks` (`events`), in the same
//! transaction. So every event with an id up to the mark is gone and every later one is kept; a consumer whose
//! cursor is below the mark has missed something ([`events_gone_up_to`]). Events an active webhook has not yet
//! delivered (ids after its cursor) are kept. On PostgreSQL a batch first tries a transaction-level advisory lock:
//! a replica that does not get it leaves the batch to the one that has it; SQLite has one writer at a time.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamp};
use time::PrimitiveDateTime;

use crate::sql::{self, Bind};
use crate::{DbConnection, RepoResult, now_utc, write_tx};

/// Advisory lock key of the events sweep ("RTNS"). Each table has its own key: with one key for both, a replica
/// sweeping webhook attempts made another stop sweeping events halfway (it took the lock for "another replica is
/// sweeping events"), leaving them to the next period.
const EVENTS_LOCK: i64 = 0x5254_4e53;
/// Advisory lock key of the webhook-attempts sweep ("RTNT").
const ATTEMPTS_LOCK: i64 = 0x5254_4e54;

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Timestamp)]
    occurred_at: PrimitiveDateTime,
}

#[derive(QueryableByName)]
struct Mark {
    #[diesel(sql_type = BigInt)]
    up_to: i64,
}

#[derive(QueryableByName)]
struct Got {
    #[diesel(sql_type = Bool)]
    got: bool,
}

/// Every event with an id up to this was deleted by the retention sweep (0: none).
pub fn events_gone_up_to(conn: &mut DbConnection) -> RepoResult<i64> {
    let rows: Vec<Mark> = sql::load(conn, "SELECT up_to FROM retention_marks WHERE name = ?", &[Bind::Text("events")])?;
    Ok(rows.first().map_or(0, |m| m.up_to))
}

/// The cursor of the slowest active webhook: events after it are not delivered yet and must be kept (`i64::MAX`
/// when no subscription is active).
pub fn held_by_webhooks(conn: &mut DbConnection) -> RepoResult<i64> {
    let held: Vec<Mark> = sql::load(
        conn,
        "SELECT CAST(COALESCE(MIN(cursor), 9223372036854775807) AS BIGINT) AS up_to FROM webhooks WHERE active",
        &[],
    )?;
    Ok(held.first().map_or(i64::MAX, |m| m.up_to))
}

/// Records that every event with an id up to `up_to` is gone (the mark never moves back). Called in the
/// transaction that deleted them (the row sweep, or the drop of a month's partition).
pub fn raise_events_mark(conn: &mut DbConnection, up_to: i64, at: time::PrimitiveDateTime) -> RepoResult<()> {
    sql::exec(
        conn,
        "INSERT INTO retention_marks (name, up_to, swept_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE \
         SET up_to = CASE WHEN retention_marks.up_to > excluded.up_to THEN retention_marks.up_to \
         ELSE excluded.up_to END, swept_at = excluded.swept_at",
        &[Bind::Text("events"), Bind::I64(up_to), Bind::Ts(at)],
    )?;
    Ok(())
}

/// On PostgreSQL: whether this transaction got the sweep's lock `key` (another replica holds it otherwise).
fn sweep_lock(conn: &mut DbConnection, key: i64) -> RepoResult<bool> {
    if let DbConnection::Sqlite(_) = conn {
        return Ok(true);
    }
    let got: Vec<Got> = sql::load(conn, "SELECT pg_try_advisory_xact_lock(?) AS got", &[Bind::I64(key)])?;
    Ok(got.first().is_some_and(|g| g.got))
}

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    /// Rows deleted (0: nothing more is due).
    Deleted(usize),
    /// Another replica is sweeping.
    Busy,
}

/// Deletes at most `limit` of the oldest events that occurred before `cutoff` (a prefix of the ids, up to the
/// cursor of the slowest active webhook) and raises the mark.
pub fn sweep_events(conn: &mut DbConnection, cutoff: PrimitiveDateTime, limit: i64) -> RepoResult<Batch> {
    write_tx(conn, |conn| {
        if !sweep_lock(conn, EVENTS_LOCK)? {
            return Ok(Batch::Busy);
        }
        let oldest: Vec<Id> =
            sql::load(conn, "SELECT id, occurred_at FROM events ORDER BY id LIMIT ?", &[Bind::I64(limit)])?;
        let held = held_by_webhooks(conn)?;
        let Some(last) = oldest.iter().take_while(|e| e.occurred_at < cutoff && e.id <= held).map(|e| e.id).last()
        else {
            return Ok(Batch::Deleted(0));
        };
        let n = sql::exec(conn, "DELETE FROM events WHERE id <= ?", &[Bind::I64(last)])?;
        raise_events_mark(conn, last, now_utc())?;
        Ok(Batch::Deleted(n))
    })
}

/// Deletes at most `limit` of the oldest webhook attempts made before `cutoff`.
pub fn sweep_webhook_attempts(conn: &mut DbConnection, cutoff: PrimitiveDateTime, limit: i64) -> RepoResult<Batch> {
    write_tx(conn, |conn| {
        if !sweep_lock(conn, ATTEMPTS_LOCK)? {
            return Ok(Batch::Busy);
        }
        let n = sql::exec(
            conn,
            "DELETE FROM webhook_attempts WHERE id IN \
             (SELECT id FROM webhook_attempts WHERE attempted_at < ? ORDER BY id LIMIT ?)",
            &[Bind::Ts(cutoff), Bind::I64(limit)],
        )?;
        Ok(Batch::Deleted(n))
    })
}
