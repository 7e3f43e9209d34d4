//! A person's timeline: every change to them and their dependants, oldest first.

use actix_web::{get, web};
use domain::Permission;
use persistence::audit::{self, AuditEntry};
use persistence::retirees::{self as repo};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::common::{Page, finish, instant, next_cursor};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::page;
use crate::state::AppState;
use persistence::audit::TimelineCursor;

/// One change to a person.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    /// Id within its kind.
    #[schema(example = 17)]
    pub id: i64,
    /// `audit` (a write in the audit log), `pension_status_change` or `certification`.
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

fn audit_entry(e: AuditEntry) -> (TimelineCursor, TimelineEntry) {
    let changes = e
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .and_then(|v| v.get("changes").cloned())
        .unwrap_or_else(|| serde_json::json!({}));
    let key = (e.occurred_at, 0, e.id);
    let entry = TimelineEntry {
        id: e.id,
        kind: "audit".into(),
        at: instant(e.occurred_at),
        actor: e.actor,
        action: e.action,
        changes,
    };
    (key, entry)
}

fn change_entry(c: persistence::pension::StatusChange) -> (TimelineCursor, TimelineEntry) {
    let key = (c.created_at, 1, c.id);
    let action = match c.to_status.as_str() {
        "normal" => "pension.resume",
        "stopped" => "pension.stop",
        "transferred_out" => "pension.transfer_out",
        _ => "pension.suspend",
    };
    let actor = c.operator.clone();
    let change = super::pension::change_response(c);
    let entry = TimelineEntry {
        id: change.id,
        kind: "pension_status_change".into(),
        at: change.created_at,
        actor,
        action: action.into(),
        changes: serde_json::to_value(&change).unwrap_or_default(),
    };
    (key, entry)
}

fn certification_entry(c: persistence::pension::Certification) -> (TimelineCursor, TimelineEntry) {
    let key = (c.created_at, 2, c.id);
    let actor = c.operator.clone();
    let cert = super::certifications::certification_response(c);
    let entry = TimelineEntry {
        id: cert.id,
        kind: "certification".into(),
        at: cert.created_at,
        actor,
        action: "certification.record".into(),
        changes: serde_json::to_value(&cert).unwrap_or_default(),
    };
    (key, entry)
}

fn encode_timeline_cursor((at, rank, id): TimelineCursor) -> String {
    // Whole nanoseconds: SQLite keeps what was written, and a rounded cursor would sort before its own entry.
    let nanos = at.assume_utc().unix_timestamp_nanos();
    format!("{nanos}.{rank}.{id}")
}

fn decode_timeline_cursor(text: &str) -> Option<TimelineCursor> {
    let mut parts = text.split('.');
    let nanos: i128 = parts.next()?.parse().ok()?;
    let rank: i16 = parts.next()?.parse().ok()?;
    let id: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
    Some((time::PrimitiveDateTime::new(at.date(), at.time()), rank, id))
}

/// Every change to the person and their dependents, oldest first: the writes in the audit log, the pension
/// status changes (by a user, a feed or a certification run) and the certifications.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Retiree id"), super::jurisdictions::PageQuery),
    responses((status = 200, body = Page<TimelineEntry>), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/timeline")]
pub async fn timeline(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<super::jurisdictions::PageQuery>,
) -> Result<web::Json<Page<TimelineEntry>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<String>("t", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    let cursor = after.and_then(|text| {
        let c = decode_timeline_cursor(&text);
        if c.is_none() {
            errors.push(FieldError::new(
                "cursor",
                "invalid_cursor",
                "cursor 无效，请使用上一页返回的 next_cursor",
                "cursor is not one this list returned",
            ));
        }
        c
    });
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.clone();
    let mut entries = crate::db::write(&state.pool, move |conn| {
        let (_, path) = repo::find_in_scope(conn, id, &c.scope_path)?;
        let mut entries: Vec<(TimelineCursor, TimelineEntry)> = Vec::new();
        entries.extend(audit::timeline(conn, id, cursor, limit)?.into_iter().map(audit_entry));
        entries.extend(audit::timeline_changes(conn, id, cursor, limit)?.into_iter().map(change_entry));
        entries.extend(audit::timeline_certifications(conn, id, cursor, limit)?.into_iter().map(certification_entry));
        let mut entry = c.audit("retiree.timeline.read", "retiree", id, &path);
        entry.retiree_id = Some(id);
        audit::append(conn, &entry)?;
        Ok(entries)
    })
    .await?;
    entries.sort_by_key(|(key, _)| *key);
    entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = next_cursor(&entries, limit, "t", |(key, _)| encode_timeline_cursor(*key));
    Ok(web::Json(Page { items: entries.into_iter().map(|(_, e)| e).collect(), next_cursor: next }))
}
