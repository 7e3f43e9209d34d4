//! `GET /audit-log` for auditors, scoped to their subtree.

use actix_web::{get, web};
use app::audit::{AuditFilter, instant_param};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::page;
use crate::state::AppState;

use app::audit::AuditEntryResponse;

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
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| app::audit::list(conn, &c, &filter, before, limit)).await?;
    let next = next_cursor(&items, limit, "a", |e| e.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}
