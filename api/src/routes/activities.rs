//! Activities (issue 25; XM Art. 17; CS Art. 20; JN Art. 30): activity plans per node and year, activities under
//! them, sign-up (capacity full: 409) and attendance of retirees and dependants, counts per node and month, the
//! worklist of people who attended nothing in a year, and their files. The use cases are in [`app::activities`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use app::error::FieldError;
use domain::Permission;
use domain::activity::ActivityKind;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, code_filter, enum_filter, finish, next_cursor};
use super::files::{self, FileParams};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;

use app::activities::{
    ActivityDetail, ActivityInput, ActivityView, AttendanceInput, CountRow, InactiveView, ParticipantView, PlanInput,
    PlanView, SignUpInput,
};

const PLAN_CURSOR: &str = "ap";
const ACTIVITY_CURSOR: &str = "ac";
const INACTIVE_CURSOR: &str = "ai";

/// `year` as sent (2000-2100), default `today`'s year.
fn year_of(value: Option<&str>, today: time::Date, errors: &mut Vec<FieldError>) -> i32 {
    match value.map(str::trim) {
        None => today.year(),
        Some(v) => match v.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => y,
            _ => {
                errors.push(FieldError::with(
                    "year",
                    domain::ErrorCode::InvalidValue,
                    "年度应为2000至2100",
                    "a year is 2000 to 2100",
                ));
                today.year()
            }
        },
    }
}

/// Makes the activity plan of a community, street or district for a year (CS Art. 20; JN Art. 30); one per node
/// and year (409 `conflict`).
#[utoipa::path(tag = "activities", security(("bearer" = ["activity.manage"])), request_body = PlanInput,
    responses((status = 201, body = PlanView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/activity-plans")]
pub async fn create_plan(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<PlanInput>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ActivityManage)?;
    let asked = app::activities::check_plan(&body.0).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::activities::create_plan(conn, &c, asked)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/activity-plans?year={}", v.year), &v, v.version))
}

/// Filters of the plan list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Only plans of this year.
    pub year: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Plans of the nodes in the caller's subtree, by id.
#[utoipa::path(tag = "activities", security(("bearer" = ["retiree.read"])),
    params(PlanQuery), responses((status = 200, body = Page<PlanView>), crate::openapi::ReadErrors))]
#[get("/activity-plans")]
pub async fn list_plans(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PlanQuery>,
) -> Result<web::Json<Page<PlanView>>, ApiError> {
    let today = state.clock.today();
    app::activities::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(PLAN_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let year = q.year.as_deref().map(|y| year_of(Some(y), today, &mut errors));
    finish(errors)?;
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::activities::list_plans(conn, &c, year, after, limit)).await?;
    let next = next_cursor(&items, limit, PLAN_CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Creates an activity under a plan (kind, day in the plan's year, place, organiser, capacity); a plan outside
/// the caller's subtree: 422 `plan_not_found`; a day outside the plan's year: 422 `activity_outside_plan`.
#[utoipa::path(tag = "activities", security(("bearer" = ["activity.manage"])), request_body = ActivityInput,
    responses((status = 201, body = ActivityView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/activities")]
pub async fn create_activity(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<ActivityInput>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ActivityManage)?;
    let asked = app::activities::check_activity(&body.0).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::activities::create_activity(conn, &c, asked)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/activities/{}", v.id), &v, v.version))
}

/// Filters of the activity list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Year (default this year).
    pub year: Option<String>,
    /// Month 1-12 of the year.
    pub month: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Activities of the nodes in the caller's subtree held in the year (or month), by id.
#[utoipa::path(tag = "activities", security(("bearer" = ["retiree.read"])),
    params(ActivityQuery), responses((status = 200, body = Page<ActivityView>), crate::openapi::ReadErrors))]
#[get("/activities")]
pub async fn list_activities(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ActivityQuery>,
) -> Result<web::Json<Page<ActivityView>>, ApiError> {
    let today = state.clock.today();
    app::activities::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(ACTIVITY_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let year = year_of(q.year.as_deref(), today, &mut errors);
    let month =
        match q.month.as_deref().map(|m| m.trim().parse::<u8>().ok().and_then(|n| time::Month::try_from(n).ok())) {
            None => None,
            Some(Some(m)) => Some(m),
            Some(None) => {
                errors.push(FieldError::with(
                    "month",
                    domain::ErrorCode::InvalidValue,
                    "月份应为1至12",
                    "a month is 1 to 12",
                ));
                None
            }
        };
    let kind = enum_filter("kind", q.kind.as_deref(), ActivityKind::parse, ActivityKind::codes(), &mut errors);
    finish(errors)?;
    let period = app::activities::Period { year, month };
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::activities::list_activities(conn, &c, period, kind, after, limit))
            .await?;
    let next = next_cursor(&items, limit, ACTIVITY_CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// The year asked.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Year (default this year).
    pub year: Option<String>,
}

/// Activities, sign-ups and attendances per node and month of the year in the caller's subtree (the monthly
/// report's section), by node and month.
#[utoipa::path(tag = "activities", security(("bearer" = ["retiree.read"])),
    params(YearQuery), responses((status = 200, body = Vec<CountRow>), crate::openapi::ReadErrors))]
#[get("/activities/counts")]
pub async fn counts(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<YearQuery>,
) -> Result<web::Json<Vec<CountRow>>, ApiError> {
    let today = state.clock.today();
    app::activities::require_read(&caller)?;
    let mut errors = Vec::new();
    let year = year_of(query.year.as_deref(), today, &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let rows = crate::db::run(&state.pool, move |conn| app::activities::counts(conn, &c, year)).await?;
    Ok(web::Json(rows))
}

/// Filters of the inactive worklist.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InactiveQuery {
    /// Year (default this year).
    pub year: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// People on the roll in the caller's subtree who attended no activity held in the year: the worklist for
/// visits, by id.
#[utoipa::path(tag = "activities", security(("bearer" = ["retiree.read"])),
    params(InactiveQuery), responses((status = 200, body = Page<InactiveView>), crate::openapi::ReadErrors))]
#[get("/activities/inactive")]
pub async fn inactive(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<InactiveQuery>,
) -> Result<web::Json<Page<InactiveView>>, ApiError> {
    let today = state.clock.today();
    app::activities::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(INACTIVE_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let year = year_of(q.year.as_deref(), today, &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::activities::inactive(conn, &c, year, after, limit)).await?;
    let next = next_cursor(&items, limit, INACTIVE_CURSOR, |v| v.retiree_id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Which list to write.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `activities` (default), `counts` (per node and month) or `inactive` (people who attended nothing).
    #[param(example = "counts")]
    pub list: Option<String>,
    /// Year (default this year).
    pub year: Option<String>,
}

/// A list of the year as a file (CSV or XLSX, Chinese headers with `labels=zh`); audited (`activity.export`).
#[utoipa::path(tag = "activities", security(("bearer" = ["retiree.read"])), params(ExportQuery, FileParams),
    responses((status = 200, description = "The list as a file download",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"activities.csv\"` (or `activity-counts`, `activity-inactive`; `.xlsx`)")),
        content(
            (String = "text/csv", example = json!("所属区划,月份,活动次数,报名人次,参加人次\r\n350203001001,2026-12,3,52,47\r\n")),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        crate::openapi::ReadErrors))]
#[get("/exports/activities")]
pub async fn export(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ExportQuery>,
    params: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    use app::activities::FileList;
    let today = state.clock.today();
    app::activities::require_read(&caller)?;
    let mut errors = Vec::new();
    let which = match code_filter("list", query.list.as_deref(), &["activities", "counts", "inactive"], &mut errors)
        .as_deref()
    {
        Some("counts") => FileList::Counts,
        Some("inactive") => FileList::Inactive,
        _ => FileList::Activities,
    };
    let year = year_of(query.year.as_deref(), today, &mut errors);
    let options = params.settle(&req, &mut errors);
    finish(errors)?;
    let Some(o) = options else { return Err(ApiError::internal("file options not settled")) };
    let c = caller.0.clone();
    let file = crate::db::read_audited(&state, move |conn| {
        app::activities::export(conn, &c, year, which, o.format, o.encoding, o.labels)
    })
    .await?;
    Ok(files::file_response(file))
}

/// One activity of a node in the caller's subtree, with the volunteer services given at it
/// (`volunteer_services`; issue 25, CS Art. 22).
#[utoipa::path(tag = "activities", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Activity id")),
    responses((status = 200, body = ActivityDetail, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/activities/{id}")]
pub async fn get_activity(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app::activities::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::run(&state.pool, move |conn| app::activities::get_activity(conn, &c, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.activity.version))
}

/// Signs a retiree, or a dependant of the retiree, up for an activity: signed up already: 409 `conflict`; every
/// place taken: 409 `activity_full`. Emits `activity.signed_up`.
#[utoipa::path(tag = "activities", security(("bearer" = ["activity.manage"])), request_body = SignUpInput,
    params(("id" = i64, Path, description = "Activity id")),
    responses((status = 201, body = ParticipantView, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/activities/{id}/participants")]
pub async fn sign_up(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<SignUpInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ActivityManage)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = body.0;
    let v = crate::db::write(&state.pool, move |conn| app::activities::sign_up(conn, &c, today, id, body)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/activities/{id}/participants"))).json(v))
}

/// The sign-ups of an activity, by id.
#[utoipa::path(tag = "activities", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Activity id")),
    responses((status = 200, body = Vec<ParticipantView>), crate::openapi::ReadErrors))]
#[get("/activities/{id}/participants")]
pub async fn participants(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<Vec<ParticipantView>>, ApiError> {
    app::activities::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| app::activities::participants(conn, &c, id)).await?;
    Ok(web::Json(items))
}

/// Records whether a signed-up person took part, from the day the activity is held (else 422
/// `activity_not_held`). Emits `activity.attended`.
#[utoipa::path(tag = "activities", security(("bearer" = ["activity.manage"])), request_body = AttendanceInput,
    params(("id" = i64, Path, description = "Activity id")),
    responses((status = 200, body = ParticipantView), crate::openapi::WriteErrors))]
#[post("/activities/{id}/attendance")]
pub async fn attend(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<AttendanceInput>,
) -> Result<web::Json<ParticipantView>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ActivityManage)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = body.0;
    let v = crate::db::write(&state.pool, move |conn| app::activities::attend(conn, &c, today, id, body)).await?;
    Ok(web::Json(v))
}
