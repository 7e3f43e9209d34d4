//! A person's timeline: every change to them and their dependants, oldest first, merged from the audit log, the
//! pension status changes (by a user, a feed or a certification run) and the certifications.

use persistence::audit::{self, AuditEntry};
use persistence::pension::{Certification, StatusChange};
use persistence::retirees as people;
use persistence::{DbConnection, typed};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, PrimitiveDateTime};
use utoipa::ToSchema;

use domain::Role;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::certifications::certification_response;
use crate::error::AppError;
use crate::pension::change_response;

/// One change to a person.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    /// Id within its kind.
    #[schema(example = 17)]
    pub id: i64,
    /// `audit` (a write in the audit log), `pension_status_change`, `certification` or `petition`.
    #[schema(example = "audit")]
    pub kind: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who (for runs and feeds, the login that started them).
    #[schema(example = "community")]
    pub actor: String,
    /// What (`retiree.create`, `retiree.update`, `dependent.create`, `pension.suspend`, `pension.resume`,
    /// `certification.record` …).
    #[schema(example = "retiree.update")]
    pub action: String,
    /// Field changes `{field: {from, to}}` (sensitive values masked), or the status change or certification.
    #[schema(value_type = Object, example = json!({"phone": {"from": "138****5678", "to": "139****1111"}}))]
    pub changes: serde_json::Value,
}

/// The place of an entry in the timeline: when, the rank of its kind (audit, change, certification) and its id.
pub type Cursor = (PrimitiveDateTime, i16, i64);

fn audit_entry(e: AuditEntry, role: Role) -> Result<(Cursor, TimelineEntry), AppError> {
    // A detail on record that is not JSON is corrupt (500), not an entry without changes.
    let detail = match e.detail.as_deref() {
        Some(d) => Some(typed::stored_json::<serde_json::Value>("audit_log", e.id, "detail", d)?),
        None => None,
    };
    let mut changes = detail.and_then(|v| v.get("changes").cloned()).unwrap_or_else(|| serde_json::json!({}));
    // Entries written before birth dates were masked in diffs (issue 21.1): what the role may not see in the
    // single-person view is masked as it is read.
    crate::masking::hide_in_json(&mut changes, role, true);
    let key = (e.occurred_at, 0, e.id);
    let entry = TimelineEntry {
        id: e.id,
        kind: "audit".into(),
        at: e.occurred_at.assume_utc(),
        actor: e.actor,
        action: e.action,
        changes,
    };
    Ok((key, entry))
}

fn change_entry(c: StatusChange) -> Result<(Cursor, TimelineEntry), AppError> {
    let key = (c.created_at, 1, c.id);
    let action = match c.to_status.as_str() {
        "normal" => "pension.resume",
        "stopped" => "pension.stop",
        "transferred_out" => "pension.transfer_out",
        _ => "pension.suspend",
    };
    let actor = c.operator.clone();
    let change = change_response(c)?;
    let entry = TimelineEntry {
        id: change.id,
        kind: "pension_status_change".into(),
        at: change.created_at,
        actor,
        action: action.into(),
        changes: serde_json::to_value(&change).map_err(AppError::internal)?,
    };
    Ok((key, entry))
}

fn certification_entry(c: Certification) -> Result<(Cursor, TimelineEntry), AppError> {
    let key = (c.created_at, 2, c.id);
    let actor = c.operator.clone();
    let cert = certification_response(c);
    let entry = TimelineEntry {
        id: cert.id,
        kind: "certification".into(),
        at: cert.created_at,
        actor,
        action: "certification.record".into(),
        changes: serde_json::to_value(&cert).map_err(AppError::internal)?,
    };
    Ok((key, entry))
}

/// A petition about the person or a dependant (issue 24): its text is shown only to roles that handle or
/// supervise petitions (`***` otherwise).
fn petition_entry(
    key: Cursor,
    p: persistence::petitions::Petition,
    role: Role,
) -> Result<(Cursor, TimelineEntry), AppError> {
    let text =
        if crate::petitions::text_clear(role) { p.body.clone() } else { crate::petitions::MASKED_TEXT.to_owned() };
    let changes = serde_json::json!({
        "petition_id": p.id, "channel": p.channel, "category": p.category, "status": p.status,
        "received_on": p.received_on.to_string(), "owner": p.owner_code, "answer_due": p.answer_due.to_string(),
        "text": text,
    });
    let entry = TimelineEntry {
        id: p.id,
        kind: "petition".into(),
        at: p.registered_at.assume_utc(),
        actor: p.registered_by,
        action: "petition.register".into(),
        changes,
    };
    Ok((key, entry))
}

/// The text of a cursor, for `next_cursor`.
pub fn encode_cursor((at, rank, id): Cursor) -> String {
    // Whole nanoseconds: SQLite keeps what was written, and a rounded cursor would sort before its own entry.
    let nanos = at.assume_utc().unix_timestamp_nanos();
    format!("{nanos}.{rank}.{id}")
}

/// A cursor from its text; `None` when it is not one [`encode_cursor`] wrote.
pub fn decode_cursor(text: &str) -> Option<Cursor> {
    let mut parts = text.split('.');
    let nanos: i128 = parts.next()?.parse().ok()?;
    let rank: i16 = parts.next()?.parse().ok()?;
    let id: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
    Some((PrimitiveDateTime::new(at.date(), at.time()), rank, id))
}

/// Up to `limit` entries of the timeline of a person in the caller's subtree after `cursor`, oldest first, each
/// with its cursor (an audited read).
pub fn timeline(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Audited<Vec<(Cursor, TimelineEntry)>>, AppError> {
    let (_, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let mut entries: Vec<(Cursor, TimelineEntry)> = Vec::new();
    for e in audit::timeline(conn, id, cursor, limit)? {
        entries.push(audit_entry(e, caller.role)?);
    }
    for c in audit::timeline_changes(conn, id, cursor, limit)? {
        entries.push(change_entry(c)?);
    }
    for c in audit::timeline_certifications(conn, id, cursor, limit)? {
        entries.push(certification_entry(c)?);
    }
    for p in persistence::petitions::of_retiree(conn, id)? {
        let key = (p.registered_at, 3, p.id);
        if cursor.is_none_or(|c| key > c) {
            entries.push(petition_entry(key, p, caller.role)?);
        }
    }
    let mut entry = caller.audit("retiree.timeline.read", "retiree", id, &path);
    entry.retiree_id = Some(id);
    entries.sort_by_key(|(key, _)| *key);
    entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(Audited::new(entries, entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_cursor_reads_back_to_the_nanosecond() {
        let c = (datetime!(2026-07-15 02:00:00.123456789), 1, 42);
        assert_eq!(decode_cursor(&encode_cursor(c)), Some(c));
        assert_eq!(decode_cursor("1.2"), None);
        assert_eq!(decode_cursor("1.2.3.4"), None);
    }
}
