//! `GET /audit-log` for auditors, scoped to their subtree.

use actix_web::{get, web};
use domain::Permission;
use persistence::audit::{self, AuditEntry, AuditFilter};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, finish, instant, next_cursor};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::page;
use crate::state::AppState;

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

impl From<AuditEntry> for AuditEntryResponse {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            occurred_at: instant(e.occurred_at),
            actor: e.actor,
            actor_role: e.actor_role,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            retiree_id: e.retiree_id,
            outcome: e.outcome,
            client_ip: e.client_ip,
            request_id: e.request_id,
            detail: e.detail.and_then(|d| serde_json::from_str(&d).ok()),
        }
    }
}

/// Filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Caller login.
    pub actor: Option<String>,
    /// Action, e.g. `retiree.update`.
    pub action: Option<String>,
    /// Object type, e.g. `retiree`.
    pub object_type: Option<String>,
    /// Object id.
    pub object_id: Option<String>,
    /// From (RFC 3339, inclusive).
    pub from: Option<String>,
    /// To (RFC 3339, exclusive).
    pub to: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn instant_param(name: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<time::PrimitiveDateTime> {
    let value = value?;
    match OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339) {
        Ok(t) => {
            let utc = t.to_offset(time::UtcOffset::UTC);
            Some(time::PrimitiveDateTime::new(utc.date(), utc.time()))
        }
        Err(_) => {
            errors.push(FieldError::new(
                name,
                "invalid_instant",
                format!("{name} 应为 RFC 3339 时间，如 2026-11-01T00:00:00+08:00"),
                format!("{name} must be an RFC 3339 instant such as 2026-11-01T00:00:00+08:00"),
            ));
            None
        }
    }
}

/// The audit log in the auditor's subtree, newest first.
#[utoipa::path(tag = "audit", security(("bearer" = ["audit.read"])), params(AuditQuery),
    responses((status = 200, body = Page<AuditEntryResponse>), crate::openapi::ReadErrors))]
#[get("/audit-log")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<Page<AuditEntryResponse>>, ApiError> {
    caller.require(Permission::AuditRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, before) = page::<i64>("a", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let filter = AuditFilter {
        actor: q.actor,
        action: q.action,
        object_type: q.object_type,
        object_id: q.object_id,
        from: instant_param("from", q.from.as_deref(), &mut errors),
        to: instant_param("to", q.to.as_deref(), &mut errors),
    };
    finish(errors)?;
    let scope = caller.scope_path.clone();
    let items = crate::db::run(&state.pool, move |conn| audit::list(conn, &scope, &filter, before, limit)).await?;
    let next = next_cursor(&items, limit, "a", |e| e.id.to_string());
    Ok(web::Json(Page { items: items.into_iter().map(Into::into).collect(), next_cursor: next }))
}
