//! Visit tasks: first visits of new arrivals and the visits the policy's intervals call for (GUIDE 走访制度).

use actix_web::{get, post, web};
use domain::Permission;
use persistence::movement::{self as repo, VisitTask};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_text, finish, next_cursor, node_in_scope};
use super::transfers::path_of;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;

/// A visit task.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitTaskResponse {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Community that owes the visit.
    pub community_code: String,
    /// `new_arrival`: the first visit within the month of arrival (GUIDE 走访制度); or the visit group whose
    /// interval the task follows (`widowed_childless`, `advanced_age`, …; `POST /visit-tasks/generate`).
    #[schema(example = "new_arrival")]
    pub kind: String,
    /// Due by.
    #[schema(value_type = String, format = Date)]
    pub due_on: Date,
    /// `open` or `done`.
    #[schema(example = "open")]
    pub status: String,
    /// Done on.
    #[schema(value_type = Option<String>, format = Date)]
    pub done_on: Option<Date>,
    /// Done by.
    pub done_by: Option<String>,
    /// Findings.
    pub note: Option<String>,
}

fn visit_response(v: VisitTask) -> VisitTaskResponse {
    VisitTaskResponse {
        id: v.id,
        retiree_id: v.retiree_id,
        community_code: v.community_code,
        kind: v.kind,
        due_on: v.due_on,
        status: v.status,
        done_on: v.done_on,
        done_by: v.done_by,
        note: v.note,
    }
}

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
    let kinds = super::visits::TASK_KINDS;
    let kind = super::common::code_filter("kind", q.kind.as_deref(), &kinds, &mut errors);
    let overdue = super::common::code_filter("overdue", q.overdue.as_deref(), &["true", "false"], &mut errors)
        .is_some_and(|v| v == "true");
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let today = state.clock.today();
    let found = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        Ok(repo::list_visits(
            conn,
            &node.path,
            kind.as_deref(),
            status.as_deref(),
            overdue.then_some(today),
            after,
            limit,
        )?)
    })
    .await?;
    let next = next_cursor(&found, limit, "vt", |v| v.id.to_string());
    Ok(web::Json(Page { items: found.into_iter().map(visit_response).collect(), next_cursor: next }))
}

/// A visit made.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"on_date": "2026-05-20", "note": "身体健康，已发放联系卡"}))]
pub struct VisitDoneRequest {
    /// Date (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub on_date: Option<String>,
    /// Findings, up to 500 characters.
    pub note: Option<String>,
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
    let on = today;
    let mut errors = Vec::new();
    let on_date = super::common::date_not_after("/on_date", body.0.on_date.as_deref(), on, &mut errors);
    let note = check_text("/note", body.0.note.as_deref(), 500, &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let v = crate::db::write(&state.pool, move |conn| {
        let v = repo::find_visit(conn, id)?;
        let path = path_of(conn, &v.community_code)?;
        if !c.sees(&path) {
            return Err(ApiError::not_found());
        }
        if v.status != "open" {
            return Err(ApiError::of(domain::ErrorCode::VisitDone));
        }
        repo::close_visits(conn, v.retiree_id, &v.kind, Some(id), on_date, &c.login, note)?;
        let mut entry = c.audit("visit.done", "visit_task", id, &path);
        entry.retiree_id = Some(v.retiree_id);
        persistence::audit::append(conn, &entry)?;
        Ok(repo::find_visit(conn, id)?)
    })
    .await?;
    Ok(web::Json(visit_response(v)))
}
