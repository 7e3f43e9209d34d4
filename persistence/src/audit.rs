//! The append-only audit log (triggers refuse UPDATE and DELETE). Person timelines read from it too.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::schema::audit_log;
use crate::{DbConnection, RepoResult, now_utc};

/// One entry as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AuditEntry {
    /// Sequence.
    pub id: i64,
    /// When.
    pub occurred_at: PrimitiveDateTime,
    /// Login of the caller, or the login name tried.
    pub actor: String,
    /// Role of the caller.
    pub actor_role: Option<String>,
    /// `retiree.create`, `auth.login` …
    pub action: String,
    /// `retiree`, `dependent`, `account` …
    pub object_type: String,
    /// Its id.
    pub object_id: Option<String>,
    /// The person concerned, for the timeline.
    pub retiree_id: Option<i64>,
    /// Jurisdiction path of the object, for scoping auditors.
    pub scope_path: String,
    /// `success`, `denied`, `failed`.
    pub outcome: String,
    /// Caller's address.
    pub client_ip: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// JSON detail (changes, reasons); never holds ID numbers, phones or addresses in clear.
    pub detail: Option<String>,
}

/// A new entry.
#[derive(Debug, Clone, Default, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditEntry {
    /// Caller.
    pub actor: String,
    /// Role.
    pub actor_role: Option<String>,
    /// Action.
    pub action: String,
    /// Object type.
    pub object_type: String,
    /// Object id.
    pub object_id: Option<String>,
    /// Person concerned.
    pub retiree_id: Option<i64>,
    /// Jurisdiction path of the object.
    pub scope_path: String,
    /// Outcome.
    pub outcome: String,
    /// Caller's address.
    pub client_ip: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// JSON detail.
    pub detail: Option<String>,
}

/// Appends an entry.
pub fn append(conn: &mut DbConnection, entry: &NewAuditEntry) -> RepoResult<()> {
    diesel::insert_into(audit_log::table).values((entry, audit_log::occurred_at.eq(now_utc()))).execute(conn)?;
    Ok(())
}

/// Appends the entries of a group commit (each with the instant it was recorded) in one write transaction of
/// their own and commits: the audit writer answers the requests behind them only after this returned `Ok`. On
/// PostgreSQL one multi-row `INSERT` per 1,000 entries; on SQLite one cached single-row insert each (in-process,
/// no round trip) inside `BEGIN IMMEDIATE`.
pub fn append_committed(conn: &mut DbConnection, entries: &[(NewAuditEntry, PrimitiveDateTime)]) -> RepoResult<()> {
    crate::connection::write_tx_without_events(conn, |conn| -> RepoResult<()> {
        match conn {
            DbConnection::Pg(pg) => {
                for chunk in entries.chunks(1000) {
                    let rows: Vec<_> = chunk.iter().map(|(e, at)| (e, audit_log::occurred_at.eq(*at))).collect();
                    diesel::insert_into(audit_log::table).values(rows).execute(pg)?;
                }
            }
            DbConnection::Sqlite(lite) => {
                for (e, at) in entries {
                    diesel::insert_into(audit_log::table).values((e, audit_log::occurred_at.eq(*at))).execute(lite)?;
                }
            }
        }
        Ok(())
    })
}

/// Filters of the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Caller login.
    pub actor: Option<String>,
    /// Action.
    pub action: Option<String>,
    /// Object type.
    pub object_type: Option<String>,
    /// Object id.
    pub object_id: Option<String>,
    /// From (inclusive).
    pub from: Option<PrimitiveDateTime>,
    /// To (exclusive).
    pub to: Option<PrimitiveDateTime>,
}

/// Entries whose object lies in the subtree at `scope_path`, newest first, before id `before`.
pub fn list(
    conn: &mut DbConnection,
    scope_path: &str,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<AuditEntry>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let mut query = audit_log::table
        .filter(audit_log::scope_path.ge(scope_path.to_owned()))
        .filter(audit_log::scope_path.lt(upper))
        .select(AuditEntry::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(v) = &filter.actor {
        query = query.filter(audit_log::actor.eq(v.clone()));
    }
    if let Some(v) = &filter.action {
        query = query.filter(audit_log::action.eq(v.clone()));
    }
    if let Some(v) = &filter.object_type {
        query = query.filter(audit_log::object_type.eq(v.clone()));
    }
    if let Some(v) = &filter.object_id {
        query = query.filter(audit_log::object_id.eq(v.clone()));
    }
    if let Some(v) = filter.from {
        query = query.filter(audit_log::occurred_at.ge(v));
    }
    if let Some(v) = filter.to {
        query = query.filter(audit_log::occurred_at.lt(v));
    }
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// Where a timeline page ends: the instant, the source rank (0 audit, 1 status change, 2 certification) and the
/// id of the last entry.
pub type TimelineCursor = (PrimitiveDateTime, i16, i64);

/// `(at, rank, id) > cursor` for a source of rank `rank`, as (strictly after `at`, or at `at` with id above).
fn after_cursor(cursor: Option<TimelineCursor>, rank: i16) -> Option<(PrimitiveDateTime, Option<i64>)> {
    cursor.map(|(at, r, id)| match rank.cmp(&r) {
        // A later source at the same instant comes after the cursor: from `at` on, every id.
        std::cmp::Ordering::Greater => (at, Some(i64::MIN)),
        std::cmp::Ordering::Equal => (at, Some(id)),
        // An earlier source at the same instant came before: strictly after `at`.
        std::cmp::Ordering::Less => (at, None),
    })
}

/// The writes concerning one person (reads and searches left out, and the pension actions, which the status
/// changes show), ordered by time then id, after `cursor`.
pub fn timeline(
    conn: &mut DbConnection,
    retiree_id: i64,
    cursor: Option<TimelineCursor>,
    limit: i64,
) -> RepoResult<Vec<AuditEntry>> {
    let mut query = audit_log::table
        .filter(audit_log::retiree_id.eq(retiree_id))
        .filter(audit_log::outcome.eq("success"))
        .filter(audit_log::action.not_like("%.read"))
        .filter(audit_log::action.not_like("%.search"))
        .filter(audit_log::action.ne_all([
            "pension.suspend",
            "pension.resume",
            "pension.stop",
            "pension.transfer_out",
            "certification.record",
        ]))
        .select(AuditEntry::as_select())
        .order((audit_log::occurred_at, audit_log::id))
        .limit(limit)
        .into_boxed();
    match after_cursor(cursor, 0) {
        Some((at, Some(id))) => {
            query =
                query.filter(audit_log::occurred_at.gt(at).or(audit_log::occurred_at.eq(at).and(audit_log::id.gt(id))))
        }
        Some((at, None)) => query = query.filter(audit_log::occurred_at.gt(at)),
        None => {}
    }
    Ok(query.load(conn)?)
}

/// The status changes of a person in timeline order after `cursor`.
pub fn timeline_changes(
    conn: &mut DbConnection,
    retiree_id: i64,
    cursor: Option<TimelineCursor>,
    limit: i64,
) -> RepoResult<Vec<crate::pension::StatusChange>> {
    use crate::schema::pension_status_changes as t;
    let mut query = t::table
        .filter(t::retiree_id.eq(retiree_id))
        .select(crate::pension::StatusChange::as_select())
        .order((t::created_at, t::id))
        .limit(limit)
        .into_boxed();
    match after_cursor(cursor, 1) {
        Some((at, Some(id))) => query = query.filter(t::created_at.gt(at).or(t::created_at.eq(at).and(t::id.gt(id)))),
        Some((at, None)) => query = query.filter(t::created_at.gt(at)),
        None => {}
    }
    Ok(query.load(conn)?)
}

/// The certifications of a person in timeline order after `cursor`.
pub fn timeline_certifications(
    conn: &mut DbConnection,
    retiree_id: i64,
    cursor: Option<TimelineCursor>,
    limit: i64,
) -> RepoResult<Vec<crate::pension::Certification>> {
    use crate::schema::certifications as t;
    let mut query = t::table
        .filter(t::retiree_id.eq(retiree_id))
        .select(crate::pension::Certification::as_select())
        .order((t::created_at, t::id))
        .limit(limit)
        .into_boxed();
    match after_cursor(cursor, 2) {
        Some((at, Some(id))) => query = query.filter(t::created_at.gt(at).or(t::created_at.eq(at).and(t::id.gt(id)))),
        Some((at, None)) => query = query.filter(t::created_at.gt(at)),
        None => {}
    }
    Ok(query.load(conn)?)
}
