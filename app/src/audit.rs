//! The audit log: what it and the timeline record of a change (field-by-field differences, sensitive values
//! masked), and the log as an auditor reads it, scoped to their subtree.

use domain::{ErrorCode, mask};
use persistence::DbConnection;
use persistence::audit::{self as repo, AuditEntry};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};

pub use persistence::audit::AuditFilter;

/// Field-by-field changes for the audit log and timeline, with sensitive values masked (the birth date to its
/// year: it is the masked part of the ID).
pub fn changes<T: Serialize>(before: Option<&T>, after: &T) -> serde_json::Map<String, serde_json::Value> {
    let old = before.and_then(|b| serde_json::to_value(b).ok()).unwrap_or(serde_json::Value::Null);
    let new = serde_json::to_value(after).unwrap_or(serde_json::Value::Null);
    let mut out = serde_json::Map::new();
    if let serde_json::Value::Object(new_map) = new {
        for (key, to) in new_map {
            let from = old.get(&key).cloned().unwrap_or(serde_json::Value::Null);
            if from != to {
                let hide = |v: serde_json::Value| match (key.as_str(), v) {
                    ("id_number", serde_json::Value::String(s)) => serde_json::Value::String(mask::id_number(&s)),
                    ("phone", serde_json::Value::String(s)) => serde_json::Value::String(mask::phone(&s)),
                    ("address", serde_json::Value::String(s)) => serde_json::Value::String(mask::address(&s)),
                    // The masked digits of the ID (issue 21.1).
                    ("birth_date", serde_json::Value::String(s)) => {
                        serde_json::Value::String(crate::masking::birth_date(&s))
                    }
                    (_, v) => v,
                };
                out.insert(key.clone(), serde_json::json!({"from": hide(from), "to": hide(to)}));
            }
        }
    }
    out
}

/// One audit entry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryResponse {
    /// Sequence.
    #[schema(example = 1001)]
    pub id: i64,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// Caller login, or the login name tried.
    #[schema(example = "community")]
    pub actor: String,
    /// Caller's role.
    #[schema(example = "community")]
    pub actor_role: Option<String>,
    /// Action (`retiree.create`, `retiree.read`, `auth.login` …).
    #[schema(example = "retiree.read")]
    pub action: String,
    /// Object type.
    #[schema(example = "retiree")]
    pub object_type: String,
    /// Object id.
    #[schema(example = "42")]
    pub object_id: Option<String>,
    /// Person concerned.
    pub retiree_id: Option<i64>,
    /// `success` or `failed`.
    #[schema(example = "success")]
    pub outcome: String,
    /// Caller's address.
    #[schema(example = "10.0.0.8")]
    pub client_ip: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// Details (changes, reasons); sensitive values masked.
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

/// The API view of a stored entry; a stored `detail` that is not JSON is corrupt data (500), not left out.
pub fn entry_response(e: AuditEntry) -> Result<AuditEntryResponse, AppError> {
    let detail = match e.detail {
        Some(text) => Some(persistence::typed::stored_json("audit_log", e.id, "detail", &text)?),
        None => None,
    };
    Ok(AuditEntryResponse {
        id: e.id,
        occurred_at: e.occurred_at.assume_utc(),
        actor: e.actor,
        actor_role: e.actor_role,
        action: e.action,
        object_type: e.object_type,
        object_id: e.object_id,
        retiree_id: e.retiree_id,
        outcome: e.outcome,
        client_ip: e.client_ip,
        request_id: e.request_id,
        detail,
    })
}

/// An RFC 3339 instant query parameter as a stored UTC timestamp; collects a field error when it does not parse.
pub fn instant_param(name: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<time::PrimitiveDateTime> {
    let value = value?;
    match OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339) {
        Ok(t) => {
            let utc = t.to_offset(time::UtcOffset::UTC);
            Some(time::PrimitiveDateTime::new(utc.date(), utc.time()))
        }
        Err(_) => {
            errors.push(FieldError::with(
                name,
                ErrorCode::InvalidInstant,
                format!("{name} 应为 RFC 3339 时间，如 2026-11-01T00:00:00+08:00"),
                format!("{name} must be an RFC 3339 instant such as 2026-11-01T00:00:00+08:00"),
            ));
            None
        }
    }
}

/// The entries whose object lies in the caller's subtree, newest first: up to `limit` before the id `before`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntryResponse>, AppError> {
    let mut entries: Vec<AuditEntryResponse> = repo::list(conn, &caller.scope_path, filter, before, limit)?
        .into_iter()
        .map(entry_response)
        .collect::<Result<_, _>>()?;
    // Entries written before birth dates were masked in diffs (issue 21.1) are masked as they are read.
    for e in &mut entries {
        if let Some(detail) = e.detail.as_mut() {
            crate::masking::hide_in_json(detail, caller.role, false);
        }
    }
    Ok(entries)
}
