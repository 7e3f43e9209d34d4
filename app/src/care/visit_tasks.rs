//! Visit tasks: first visits of new arrivals and the visits the policy's intervals call for (GUIDE 走访制度).

use domain::{ErrorCode, Role};
use persistence::DbConnection;
use persistence::movement::{self as repo, VisitTask};
use serde::{Deserialize, Serialize};
use time::{Date, Month};
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
    /// Due by. An `advanced_age` task is first due one interval after the day the person reaches the age, which
    /// would tell the birth date: roles that see resident IDs masked in lists get the last day of the due quarter
    /// instead, and the task is overdue for them after that day (`docs/roles.md`).
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

/// The kind of task whose first due date follows from the birth date: the group is joined on the day the person
/// reaches the advanced age, and the first visit is due one interval later.
const BIRTHDAY_KIND: &str = "advanced_age";

/// Whether `role` sees a task's due date as stored: only where it sees the birth date, i.e. the resident ID, in
/// lists (the task list is one, read without an audit entry). Other roles see an advanced-age task due on the last
/// day of its quarter (issue 21.1); the birth date itself stays in the single-person view for `detail` roles.
fn exact_due_dates(role: Role) -> bool {
    crate::masking::birth_date_clear(role, false)
}

/// The last day of the quarter of `day`: the due date an advanced-age task shows to a role without the birth
/// date. A month would leave, with the birth year and the check digit, one possible ID in about one case in
/// fifteen; a quarter leaves several.
pub fn quarter_end(day: Date) -> Date {
    let last_month = (u8::from(day.month()).div_ceil(3)) * 3;
    let (year, month) = if last_month == 12 { (day.year() + 1, 1) } else { (day.year(), last_month + 1) };
    let next = Month::try_from(month).ok().and_then(|m| Date::from_calendar_date(year, m, 1).ok());
    next.and_then(Date::previous_day).unwrap_or(Date::MAX)
}

/// The first day of the quarter of `day`.
fn quarter_start(day: Date) -> Date {
    let first_month = (u8::from(day.month()) - 1) / 3 * 3 + 1;
    Month::try_from(first_month).ok().and_then(|m| Date::from_calendar_date(day.year(), m, 1).ok()).unwrap_or(day)
}

/// The API view of a stored task for `role`: an advanced-age task's due date to the quarter's end where the role
/// does not see birth dates.
pub fn visit_response(v: VisitTask, role: Role) -> VisitTaskResponse {
    let due_on = if v.kind == BIRTHDAY_KIND && !exact_due_dates(role) { quarter_end(v.due_on) } else { v.due_on };
    VisitTaskResponse {
        id: v.id,
        retiree_id: v.retiree_id,
        community_code: v.community_code,
        kind: v.kind,
        due_on,
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
    // Where the due date is shown to the quarter's end, the task is overdue once that day has passed: the day it
    // shows up in the worklist would tell the exact due date otherwise.
    // Shown due on its quarter's end E, a task is overdue on `on` when E < on, i.e. when it is due before the
    // first day of the quarter of `on`.
    let coarse = !exact_due_dates(caller.role);
    let overdue =
        query.overdue_on.map(|on| repo::Overdue { on, except: coarse.then(|| (BIRTHDAY_KIND, quarter_start(on))) });
    let found =
        repo::list_visits(conn, &node.path, query.kind.as_deref(), query.status.as_deref(), overdue, after, limit)?;
    Ok(found.into_iter().map(|v| visit_response(v, caller.role)).collect())
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
    Ok(visit_response(repo::find_visit(conn, id)?, caller.role))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn quarters_end_on_the_last_day_of_march_june_september_december() {
        // Issue 21.1: the due date shown without the birth date.
        assert_eq!(quarter_end(date!(2026 - 01 - 01)), date!(2026 - 03 - 31));
        assert_eq!(quarter_end(date!(2026 - 05 - 17)), date!(2026 - 06 - 30));
        assert_eq!(quarter_end(date!(2026 - 09 - 30)), date!(2026 - 09 - 30));
        assert_eq!(quarter_end(date!(2026 - 12 - 06)), date!(2026 - 12 - 31));
        assert_eq!(quarter_start(date!(2026 - 12 - 06)), date!(2026 - 10 - 01));
        assert_eq!(quarter_start(date!(2026 - 03 - 31)), date!(2026 - 01 - 01));
    }

    #[test]
    fn a_coarse_task_is_overdue_once_its_quarter_has_ended() {
        // Shown due on the quarter's end E, overdue on `on` iff E < on iff due < quarter_start(on).
        for (due, on, overdue) in [
            (date!(2026 - 02 - 15), date!(2026 - 03 - 31), false),
            (date!(2026 - 02 - 15), date!(2026 - 04 - 01), true),
            (date!(2026 - 03 - 31), date!(2026 - 04 - 01), true),
            (date!(2026 - 04 - 01), date!(2026 - 06 - 30), false),
            (date!(2025 - 12 - 31), date!(2026 - 01 - 01), true),
        ] {
            assert_eq!(quarter_end(due) < on, overdue, "{due} {on}");
            assert_eq!(due < quarter_start(on), overdue, "{due} {on}");
        }
    }
}
