//! Visit tasks: first visits of new arrivals and the visits the policy's intervals call for (GUIDE 走访制度). The use
//! cases are `app::care::visit_tasks`.

use actix_web::{get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;

use app::care::visit_tasks::{VisitDoneRequest, VisitTaskResponse};

/// Filters of the worklist.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitListQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// `new_arrival` (first visit after arrival) or a visit group of the policy (`widowed_childless`,
    /// `advanced_age`, `seriously_ill`, `severe_hardship`, `living_alone`, `disabled`; `POST /visit-tasks/generate`).
    pub kind: Option<String>,
    /// `open` or `done`.
    pub status: Option<String>,
    /// `true`: only open tasks past their due date (today, China time).
    pub overdue: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Visit tasks of the communities in the caller's subtree, by id: first visits of new arrivals (within the month
/// of arrival) and the visits the policy's intervals call for (`POST /visit-tasks/generate`); `overdue=true` is the
/// worklist of open tasks past their due date.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(VisitListQuery),
    responses((status = 200, body = Page<VisitTaskResponse>), crate::openapi::ReadErrors))]
#[get("/visit-tasks")]
pub async fn visit_tasks(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<VisitListQuery>,
) -> Result<web::Json<Page<VisitTaskResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("vt", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let status = super::common::code_filter("status", q.status.as_deref(), &["open", "done"], &mut errors);
    let kinds = app::care::visits::TASK_KINDS;
    let kind = super::common::code_filter("kind", q.kind.as_deref(), &kinds, &mut errors);
    let overdue = super::common::code_filter("overdue", q.overdue.as_deref(), &["true", "false"], &mut errors)
        .is_some_and(|v| v == "true");
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let today = state.clock.today();
    let query = app::care::visit_tasks::TaskQuery { kind, status, overdue_on: overdue.then_some(today) };
    let items =
        crate::db::run(&state.pool, move |conn| app::care::visit_tasks::list(conn, &c, &code, &query, after, limit))
            .await?;
    let next = next_cursor(&items, limit, "vt", |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Records the visit of a task.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = VisitDoneRequest,
    params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, body = VisitTaskResponse), crate::openapi::WriteErrors))]
#[post("/visit-tasks/{id}/done")]
pub async fn visit_done(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<VisitDoneRequest>,
) -> Result<web::Json<VisitTaskResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let id = path.into_inner();
    let visit = app::care::visit_tasks::check_done(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::care::visit_tasks::done(conn, &c, id, visit)).await?;
    Ok(web::Json(v))
}
