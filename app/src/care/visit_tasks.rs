//! Visit tasks: first visits of new arrivals and the visits the policy's intervals call for (GUIDE 走访制度).

use domain::ErrorCode;
use persistence::DbConnection;
use persistence::movement::{self as repo, VisitTask};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_text, date_not_after};
use crate::scope::{node_in_scope, path_of};

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

/// The API view of a stored task.
pub fn visit_response(v: VisitTask) -> VisitTaskResponse {
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

/// Which tasks to list.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// `new_arrival` or a visit group.
    pub kind: Option<String>,
    /// `open` or `done`.
    pub status: Option<String>,
    /// Only open tasks due before this day.
    pub overdue_on: Option<Date>,
}

/// Visit tasks of the communities under the node `jurisdiction` (in the caller's subtree, else 422
/// `jurisdiction_not_found`), by id after `after`, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: &str,
    query: &TaskQuery,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<VisitTaskResponse>, AppError> {
    let node = node_in_scope(conn, caller, jurisdiction, "jurisdiction")?;
    let found = repo::list_visits(
        conn,
        &node.path,
        query.kind.as_deref(),
        query.status.as_deref(),
        query.overdue_on,
        after,
        limit,
    )?;
    Ok(found.into_iter().map(visit_response).collect())
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

/// A visit made, checked.
#[derive(Debug, Clone)]
pub struct VisitDone {
    /// Day.
    pub on_date: Date,
    /// Findings.
    pub note: Option<String>,
}

/// The checks of a visit made as of `today`: the day not in the future (default today), the note's length.
pub fn check_done(body: &VisitDoneRequest, today: Date) -> Result<VisitDone, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on_date = date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    if errors.is_empty() { Ok(VisitDone { on_date, note }) } else { Err(errors) }
}

/// Records the visit of an open task of a community in the caller's subtree (else 404; a task done already is 409
/// `visit_done`).
pub fn done(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    visit: VisitDone,
) -> Result<VisitTaskResponse, AppError> {
    let v = repo::find_visit(conn, id)?;
    let path = path_of(conn, &v.community_code)?;
    if !caller.sees(&path) {
        return Err(AppError::not_found());
    }
    if v.status != "open" {
        return Err(AppError::of(ErrorCode::VisitDone));
    }
    repo::close_visits(conn, v.retiree_id, &v.kind, Some(id), visit.on_date, &caller.login, visit.note)?;
    let mut entry = caller.audit("visit.done", "visit_task", id, &path);
    entry.retiree_id = Some(v.retiree_id);
    persistence::audit::append(conn, &entry)?;
    Ok(visit_response(repo::find_visit(conn, id)?))
}
