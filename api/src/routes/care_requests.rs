//! Care requests through the ten steps (issue 26; GUIDE 第二部分六 4) and the monthly summary. The use cases are
//! in [`app::elder_care::requests`] and [`app::elder_care::summary`]. Times are China time `YYYY-MM-DDTHH:MM`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::elder_care::CareStatus;
use serde::Deserialize;
use time::PrimitiveDateTime;
use utoipa::IntoParams;

use super::common::{Page, enum_filter, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;

use app::elder_care::requests::{
    BookRequest, CancelRequest, Candidate, CareRequestView, CreateCareRequest, DeliverRequest, EvaluateRequest,
    MatchRequest, SuperviseRequest,
};
use app::elder_care::summary::NodeMonth;

const CURSOR: &str = "cr";

/// The current time in China (slots and services are China time).
fn now_local(state: &AppState) -> PrimitiveDateTime {
    let now = state.clock.now().to_offset(app::clock::CHINA);
    PrimitiveDateTime::new(now.date(), now.time())
}

/// Receives a care request for a person (step 3): items, frequency, preferred time, at home or at an institution,
/// who bears the cost. At an institution: it must have a valid licence (422 `licence_expired`) and offer every
/// item (422 `care_item_not_offered`). Emits `care.request_created`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = CreateCareRequest,
    responses((status = 201, body = CareRequestView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/care/requests")]
pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateCareRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::CareServiceManage)?;
    let asked = app::elder_care::requests::check_create(&body.0).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v =
        crate::db::write(&state.pool, move |conn| app::elder_care::requests::create(conn, &c, today, asked)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/care/requests/{}", v.id), &v, v.version))
}

/// Filters of the request list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Status.
    pub status: Option<String>,
    /// Only requests of this caregiver.
    pub caregiver_id: Option<i64>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Requests of people in the caller's subtree, by id.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.read"]), ("bearer" = ["care_service.manage"])),
    params(ListQuery), responses((status = 200, body = Page<CareRequestView>), crate::openapi::ReadErrors))]
#[get("/care/requests")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<CareRequestView>>, ApiError> {
    let today = state.clock.today();
    app::elder_care::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let status = enum_filter("status", q.status.as_deref(), CareStatus::parse, CareStatus::codes(), &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let cg = q.caregiver_id;
    let cache = state.cache.clone();
    let items = crate::db::read(&state, &caller.login, move |conn| {
        let policies = cache.policy_book(conn, today)?;
        app::elder_care::requests::list(conn, &c, &policies, status, cg, after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Summary query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// Month `YYYY-MM`, not after this month.
    pub month: String,
}

/// The monthly summary per node (step 10 汇总上报): requests received, services delivered, hours, the average
/// evaluation, by item and by caregiver grade. The monthly report reads it.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.read"]), ("bearer" = ["care_service.manage"])),
    params(SummaryQuery), responses((status = 200, body = Vec<NodeMonth>), crate::openapi::ReadErrors))]
#[get("/care/requests/summary")]
pub async fn summary(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<SummaryQuery>,
) -> Result<web::Json<Vec<NodeMonth>>, ApiError> {
    let today = state.clock.today();
    app::elder_care::require_read(&caller)?;
    let month = app::input::parse_month("month", &query.month).map_err(|e| ApiError::validation(vec![e]))?;
    let c = caller.0.clone();
    let items =
        crate::db::read(&state, &caller.login, move |conn| app::elder_care::summary::monthly(conn, &c, today, month))
            .await?;
    Ok(web::Json(items))
}

/// One request with its spot checks (an audited read).
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.read"]), ("bearer" = ["care_service.manage"])),
    params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, body = CareRequestView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/care/requests/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::elder_care::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::read_audited(&state, move |conn| app::elder_care::requests::get(conn, &c, today, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Candidates query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateQuery {
    /// Slot start (China time `YYYY-MM-DDTHH:MM`); with `end`, marks who is free then.
    pub start: Option<String>,
    /// Slot end.
    pub end: Option<String>,
}

/// The caregivers who may serve the request (step 4): serving its node, available, giving every item, at or above
/// the grade the items require under the policy; free ones first, best evaluated first. A worker confirms one
/// with `POST /care/requests/{id}/match`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.read"]), ("bearer" = ["care_service.manage"])),
    params(("id" = i64, Path, description = "Request id"), CandidateQuery),
    responses((status = 200, body = Vec<Candidate>), crate::openapi::ReadErrors))]
#[get("/care/requests/{id}/candidates")]
pub async fn candidates(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<CandidateQuery>,
) -> Result<web::Json<Vec<Candidate>>, ApiError> {
    let today = state.clock.today();
    app::elder_care::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let slot = match (q.start.as_deref(), q.end.as_deref()) {
        (None, None) => None,
        (s, e) => {
            let s = app::elder_care::parse_local("start", s.unwrap_or(""), &mut errors);
            let e = app::elder_care::parse_local("end", e.unwrap_or(""), &mut errors);
            s.zip(e)
        }
    };
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::elder_care::requests::candidates(conn, &c, today, id, slot))
            .await?;
    Ok(web::Json(items))
}

async fn act(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    step: app::elder_care::requests::Step,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    let m = crate::extract::optional_if_match(&req)?;
    let c = caller.0.clone();
    let v =
        crate::db::write(&state.pool, move |conn| app::elder_care::requests::act(conn, &c, today, id, m, step)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Checks eligibility (step 7): the person on the roll and every item receivable at the bearer's cost under the
/// policy in force (`elder_care.items[].cost_bearers`); the request becomes `eligible` or `ineligible` with the
/// reasons in `eligibility_note`. Wrong status: 409 `care_wrong_status`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])),
    params(("id" = i64, Path, description = "Request id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = CareRequestView), crate::openapi::WriteErrors))]
#[post("/care/requests/{id}/eligibility")]
pub async fn eligibility(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CareServiceManage)?;
    act(req, caller, state, path.into_inner(), app::elder_care::requests::Step::Eligibility).await
}

/// Confirms a caregiver (step 4): serving the request's node (else 422 `caregiver_not_found`), available, giving
/// every item (422 `care_item_not_served`), at or above the grade required (422 `caregiver_grade_too_low`).
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = MatchRequest,
    params(("id" = i64, Path, description = "Request id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = CareRequestView), crate::openapi::WriteErrors))]
#[post("/care/requests/{id}/match")]
pub async fn match_caregiver(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<MatchRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CareServiceManage)?;
    let step = app::elder_care::requests::Step::Match(body.0.caregiver_id);
    act(req, caller, state, path.into_inner(), step).await
}

/// Books a time slot with the confirmed caregiver (steps 5-6): not in the past (422 `booking_in_past`), ending
/// after it starts (422 `slot_order`); a caregiver already booked in an overlapping slot: 409
/// `care_booking_conflict`. Emits `care.booked`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = BookRequest,
    params(("id" = i64, Path, description = "Request id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = CareRequestView), crate::openapi::WriteErrors))]
#[post("/care/requests/{id}/book")]
pub async fn book(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<BookRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CareServiceManage)?;
    let step = app::elder_care::requests::check_book(&body.0, now_local(&state)).map_err(ApiError::validation)?;
    act(req, caller, state, path.into_inner(), step).await
}

/// Records the service given (start, end, who), not in the future. Emits `care.delivered`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = DeliverRequest,
    params(("id" = i64, Path, description = "Request id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = CareRequestView), crate::openapi::WriteErrors))]
#[post("/care/requests/{id}/deliver")]
pub async fn deliver(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<DeliverRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CareServiceManage)?;
    let step = app::elder_care::requests::check_deliver(&body.0, now_local(&state)).map_err(ApiError::validation)?;
    act(req, caller, state, path.into_inner(), step).await
}

/// Records a spot check (step 8) on a booked, delivered or evaluated service; a problem needs a note.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = SuperviseRequest,
    params(("id" = i64, Path, description = "Request id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = CareRequestView), crate::openapi::WriteErrors))]
#[post("/care/requests/{id}/supervise")]
pub async fn supervise(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<SuperviseRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CareServiceManage)?;
    let step =
        app::elder_care::requests::check_supervise(&body.0, state.clock.today()).map_err(ApiError::validation)?;
    act(req, caller, state, path.into_inner(), step).await
}

/// Records the evaluation by the person or the family (step 9): a score 1 to the policy's
/// `elder_care.evaluation_max_score` (else 422 `score_out_of_range`). Emits `care.evaluated`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = EvaluateRequest,
    params(("id" = i64, Path, description = "Request id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = CareRequestView), crate::openapi::WriteErrors))]
#[post("/care/requests/{id}/evaluate")]
pub async fn evaluate(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<EvaluateRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CareServiceManage)?;
    let step = app::elder_care::requests::check_evaluate(&body.0).map_err(ApiError::validation)?;
    act(req, caller, state, path.into_inner(), step).await
}

/// Cancels a request before the service is given.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = CancelRequest,
    params(("id" = i64, Path, description = "Request id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = CareRequestView), crate::openapi::WriteErrors))]
#[post("/care/requests/{id}/cancel")]
pub async fn cancel(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CancelRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CareServiceManage)?;
    let step = app::elder_care::requests::check_cancel(&body.0).map_err(ApiError::validation)?;
    act(req, caller, state, path.into_inner(), step).await
}
