//! Dependants' support after a retiree's death (供养直系亲属待遇, GUIDE 五): an application within the policy window
//! (one month), the community's investigation, the street's review and the bureau's approval, each with
//! operator, date and outcome; approved dependants receive support from the month after the death and are
//! certified yearly like retirees; support ends when they die or lose eligibility, and a suspected fraud stops the
//! payment pending review. The use cases are in
//! [`app::dependent_support`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::death::SupportApplicationStatus as Status;
use domain::support as rules;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor, ok_with_etag};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::optional_if_match;
use crate::extract::{Json, page};
use crate::state::AppState;
use app::input::parse_month;

use app::dependent_support::{ApplyRequest, FraudRequest, StepRequest, SupportResponse, TerminateRequest};

/// Applies for support for a dependant of a retiree whose death is verified (GUIDE 五). The application must
/// come within the policy's window after the death (`death.dependant_application_months`, one month): later is
/// 422 `application_window_closed`. One open application per dependant (409 `support_application_exists`).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.write"])), request_body = ApplyRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = SupportResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/dependent-support")]
pub async fn apply(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<ApplyRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let applied_on = app::dependent_support::check_application(&body, today).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /dependent-support", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let created = app::dependent_support::apply(conn, &c, body.dependent_id, applied_on)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/dependent-support/{}", created.id),
            version: created.version,
            body: serde_json::to_value(created).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Records the next step of an application (GUIDE 五). Out of order is 409 `step_out_of_order`; a rejection
/// closes the application. Approval starts the support from the month after the death; the dependant is then
/// `supported` and certified yearly like a retiree, valid one policy period from the approval. Needs
/// `retiree.write` and a body that may take the step: the investigation a community or above, the review a street
/// or above, the approval `pension.manage` (403 otherwise).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.write"])), request_body = StepRequest,
    params(("id" = i64, Path, description = "Application id"), ("If-Match" = Option<String>, Header, description = "ETag of the application")),
    responses((status = 200, body = SupportResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/dependent-support/{id}/steps")]
pub async fn record_step(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<StepRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    // Every body that may take a step registers people (the approval's pension.manage implies it).
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    if !rules::may_take(caller.role, body.step) {
        return Err(ApiError::forbidden());
    }
    let m = optional_if_match(&req)?;
    let id = path.into_inner();
    let asked = app::dependent_support::check_step(&body, today).map_err(ApiError::validation)?;
    let c = caller.clone();
    let s =
        crate::db::write(&state.pool, move |conn| app::dependent_support::record_step(conn, &c, today, id, m, asked))
            .await?;
    Ok(ok_with_etag(&s, s.version))
}

/// Ends approved support (GUIDE 五: the dependant died or lost eligibility): paid through the month of `ended_on`,
/// no longer listed as receiving support from the next month; the dependant is no longer `supported`.
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = TerminateRequest,
    params(("id" = i64, Path, description = "Application id"), ("If-Match" = Option<String>, Header, description = "ETag of the application")),
    responses((status = 200, body = SupportResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/dependent-support/{id}/terminate")]
pub async fn terminate(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<TerminateRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PensionManage)?;
    let m = optional_if_match(&req)?;
    let id = path.into_inner();
    let asked = app::dependent_support::check_termination(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.clone();
    let s =
        crate::db::write(&state.pool, move |conn| app::dependent_support::terminate(conn, &c, id, m, asked)).await?;
    Ok(ok_with_etag(&s, s.version))
}

/// Flags approved support as suspected fraud (GUIDE 五: "弄虚作假骗领或冒领"): payment stops pending review
/// (status `fraud_review`, not listed as receiving support). Clear it with `…/fraud-clear` or end it with
/// `…/terminate`.
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = FraudRequest,
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, body = SupportResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/dependent-support/{id}/fraud-flag")]
pub async fn fraud_flag(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<FraudRequest>,
) -> Result<HttpResponse, ApiError> {
    fraud(caller, state, path.into_inner(), body.0, true).await
}

/// Clears a fraud flag after review: payment resumes (status `approved`).
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = FraudRequest,
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, body = SupportResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/dependent-support/{id}/fraud-clear")]
pub async fn fraud_clear(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<FraudRequest>,
) -> Result<HttpResponse, ApiError> {
    fraud(caller, state, path.into_inner(), body.0, false).await
}

async fn fraud(
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    body: FraudRequest,
    flag: bool,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PensionManage)?;
    let note = app::dependent_support::check_fraud(&body).map_err(ApiError::validation)?;
    let c = caller.clone();
    let s = crate::db::write(&state.pool, move |conn| app::dependent_support::fraud(conn, &c, id, flag, note)).await?;
    Ok(ok_with_etag(&s, s.version))
}

/// Filters of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupportListQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// One status.
    pub status: Option<String>,
    /// `YYYY-MM`: only support paid in that month (approved, started by then, not ended before it, not under
    /// fraud review).
    pub receiving_in: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Applications for dependants' support in the caller's subtree, by id.
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(SupportListQuery),
    responses((status = 200, body = Page<SupportResponse>), crate::openapi::ReadErrors))]
#[get("/dependent-support")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<SupportListQuery>,
) -> Result<web::Json<Page<SupportResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("ds", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let codes = Status::ALL.iter().map(|s| s.as_str()).collect();
    let status = super::common::enum_filter("status", q.status.as_deref(), Status::parse, codes, &mut errors);
    let receiving_in =
        q.receiving_in.as_deref().and_then(|m| parse_month("receiving_in", m).map_err(|e| errors.push(e)).ok());
    finish(errors)?;
    let filter = app::dependent_support::SupportFilter { jurisdiction: q.jurisdiction, status, receiving_in };
    let c = caller.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::dependent_support::list(conn, &c, filter, after, limit)).await?;
    let next = next_cursor(&items, limit, "ds", |s| s.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One application with its steps (audited read).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, body = SupportResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/dependent-support/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let s = crate::db::read_audited(&state, move |conn| app::dependent_support::get_one(conn, &c, id)).await?;
    Ok(ok_with_etag(&s, s.version))
}
