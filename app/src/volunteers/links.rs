//! Volunteer services linked to visits and activities (issue 25; CS Art. 22: volunteers serve the retirees the
//! community visits and the activities it holds). A service may name the visit it was given on and the activity it
//! was given at: each must exist in the recorder's subtree (else 422 `visit_not_found` on `/visit_id`, `not_found`
//! on `/activity_id`), a visit must be of the person served when one is named, and the service date must equal the
//! visit's or the activity's date (422 `date_mismatch` on `/served_on`: a service on another day is a service of its
//! own). The visit's and the activity's details list their services.

use domain::ErrorCode;
use persistence::volunteers::{self as repo, LinkedService, ServiceFilter};
use persistence::{DbConnection, RepoError};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};

/// Most services shown on one visit or activity.
const MAX_LINKED: i64 = 500;

/// A volunteer service as shown on a visit or an activity.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 11, "volunteer_id": 4, "volunteer_name": "陈志华", "served_on": "2026-12-05",
    "jurisdiction": "350203001001", "retiree_id": 43, "visit_id": 7, "activity_id": null, "what": "陪同走访",
    "hours": "1.5"}))]
pub struct LinkedServiceView {
    /// Id.
    pub id: i64,
    /// Volunteer.
    pub volunteer_id: i64,
    /// The volunteer's name.
    pub volunteer_name: String,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub served_on: Date,
    /// Where.
    pub jurisdiction: String,
    /// Whom.
    pub retiree_id: Option<i64>,
    /// The visit.
    pub visit_id: Option<i64>,
    /// The activity.
    pub activity_id: Option<i64>,
    /// What.
    pub what: String,
    /// Hours.
    pub hours: String,
}

/// The API view of a linked service.
pub fn linked_view(s: LinkedService) -> LinkedServiceView {
    LinkedServiceView {
        id: s.id,
        volunteer_id: s.volunteer_id,
        volunteer_name: s.volunteer_name,
        served_on: s.served_on,
        jurisdiction: s.community_code,
        retiree_id: s.retiree_id,
        visit_id: s.visit_id,
        activity_id: s.activity_id,
        what: s.what,
        hours: domain::volunteer::hours_text(i64::from(s.tenths)),
    }
}

fn mismatch(what_zh: &str, what_en: &str, date: Date) -> AppError {
    AppError::field(FieldError::with(
        "/served_on",
        ErrorCode::DateMismatch,
        format!("服务日期应与{what_zh}日期（{date}）一致"),
        format!("the service date must equal the {what_en}'s date ({date})"),
    ))
}

/// Checks the links of a service on `served_on` to person `retiree_id`: the visit in the caller's subtree (and of
/// the person, when one is named) on the same day; the activity in the caller's subtree on the same day.
pub fn check_links(
    conn: &mut DbConnection,
    caller: &Caller,
    served_on: Date,
    retiree_id: Option<i64>,
    visit_id: Option<i64>,
    activity_id: Option<i64>,
) -> Result<(), AppError> {
    if let Some(id) = visit_id {
        let not_found = || AppError::field(FieldError::of("/visit_id", ErrorCode::VisitNotFound));
        let visit = match persistence::visits::find_visit_made(conn, id) {
            Ok(v) => v,
            Err(RepoError::NotFound) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        if !caller.sees(&crate::scope::path_of(conn, &visit.community_code)?)
            || retiree_id.is_some_and(|r| r != visit.retiree_id)
        {
            return Err(not_found());
        }
        if visit.on_date != served_on {
            return Err(mismatch("走访", "visit", visit.on_date));
        }
    }
    if let Some(id) = activity_id {
        let (activity, _) =
            persistence::activities::find_activity(conn, id, &caller.scope_path).map_err(|e| match e {
                RepoError::NotFound => AppError::field(FieldError::of("/activity_id", ErrorCode::NotFound)),
                other => other.into(),
            })?;
        if activity.held_on != served_on {
            return Err(mismatch("活动", "activity", activity.held_on));
        }
    }
    Ok(())
}

/// The services given on visit `visit_id` at nodes in the caller's subtree, by id.
pub fn of_visit(conn: &mut DbConnection, caller: &Caller, visit_id: i64) -> Result<Vec<LinkedServiceView>, AppError> {
    let filter = ServiceFilter { visit_id: Some(visit_id), ..ServiceFilter::default() };
    Ok(repo::services(conn, &caller.scope_path, filter, MAX_LINKED)?.into_iter().map(linked_view).collect())
}

/// The services given at activity `activity_id` at nodes in the caller's subtree, by id.
pub fn of_activity(
    conn: &mut DbConnection,
    caller: &Caller,
    activity_id: i64,
) -> Result<Vec<LinkedServiceView>, AppError> {
    let filter = ServiceFilter { activity_id: Some(activity_id), ..ServiceFilter::default() };
    Ok(repo::services(conn, &caller.scope_path, filter, MAX_LINKED)?.into_iter().map(linked_view).collect())
}

/// A page of the services of volunteer `volunteer_id` (seen by the caller, else 404) given at nodes in the caller's
/// subtree, between `from` and `to` when given, after id `after`, by id.
pub fn of_volunteer(
    conn: &mut DbConnection,
    caller: &Caller,
    volunteer_id: i64,
    range: (Option<Date>, Option<Date>),
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<LinkedServiceView>, AppError> {
    super::require_read(caller)?;
    let v = repo::find_visible(conn, volunteer_id, &caller.scope_path)?;
    let filter =
        ServiceFilter { volunteer_id: Some(v.id), from: range.0, to: range.1, after, ..ServiceFilter::default() };
    Ok(repo::services(conn, &caller.scope_path, filter, limit)?.into_iter().map(linked_view).collect())
}
