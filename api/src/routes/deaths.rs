//! Death reports (GUIDE 四; CS Art. 16(4), 32): reported by a relative, the community or from a death-record feed,
//! flagged late against the working-day deadline, verified (the pension stops from the month after death, the
//! overpayment is recorded, the condolence to the family falls due), withdrawn before verification or reversed
//! after it; death benefits with the overpayment deducted first; the deaths report.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor, ok_with_etag};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, optional_if_match, page, parse_date};
use crate::state::AppState;

use app::deaths::{
    BenefitsRequest, BenefitsResponse, CloseRequest, CreateDeathReportRequest, DeathReportResponse, VerifyRequest,
    VerifyResponse, report_response,
};

/// Reports a death (GUIDE 四: the relatives report with the death certificate; CS Art. 16(4): within 20 working
/// days). The deadline counts the policy's working days after the death on the working-day calendar; a report
/// after it is flagged `late`. Nothing changes for the pension until the report is verified. One report per person
/// may be open or in force (409 `death_report_exists`).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.write"])), request_body = CreateDeathReportRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = DeathReportResponse, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::WriteErrors))]
#[post("/death-reports")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateDeathReportRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let notice = app::deaths::check_notice(&body, state.clock.today()).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /death-reports", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let report = app::deaths::report_death(conn, &c, notice)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/death-reports/{}", report.id),
            version: report.version,
            body: serde_json::to_value(report_response(report)).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Filters of the report list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportListQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// `reported`, `verified`, `withdrawn` or `reversed`.
    pub status: Option<String>,
    /// `true`: only late reports; `false`: only those in time.
    pub late: Option<String>,
    /// Died on or after (YYYY-MM-DD).
    pub died_from: Option<String>,
    /// Died on or before (YYYY-MM-DD).
    pub died_to: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Death reports of people in the caller's subtree (by their community at the time of the report), by id.
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(ReportListQuery),
    responses((status = 200, body = Page<DeathReportResponse>), crate::openapi::ReadErrors))]
#[get("/death-reports")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ReportListQuery>,
) -> Result<web::Json<Page<DeathReportResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("dr", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let status = super::common::code_filter("status", q.status.as_deref(), &app::deaths::STATUSES, &mut errors);
    let late =
        super::common::code_filter("late", q.late.as_deref(), &["true", "false"], &mut errors).map(|v| v == "true");
    let died_from = q.died_from.as_deref().and_then(|t| parse_date("died_from", t).map_err(|e| errors.push(e)).ok());
    let died_to = q.died_to.as_deref().and_then(|t| parse_date("died_to", t).map_err(|e| errors.push(e)).ok());
    finish(errors)?;
    let jurisdiction = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let list = app::deaths::ReportList { jurisdiction, status, late, died_from, died_to, after, limit };
    let c = caller.clone();
    let items = crate::db::run(&state.pool, move |conn| app::deaths::list::list(conn, &c, list)).await?;
    let next = next_cursor(&items, limit, "dr", |r| r.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One death report (audited read).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Report id")),
    responses((status = 200, body = DeathReportResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/death-reports/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let report = crate::db::read_audited(&state, move |conn| app::deaths::list::read(conn, &c, id)).await?;
    let version = report.version;
    Ok(ok_with_etag(&report, version))
}

/// Verifies a reported death (GUIDE 四; CS Art. 32): the pension stops from the month after death (status
/// `stopped`, the person leaves the active count), pension paid for months from then through `paid_through` is
/// recorded as an overpayment (months × monthly pension, exact in fen, to be recovered within the policy's
/// deadline, CS Art. 31), and the condolence to the family falls due once (policy amount; XM Art. 21(3): 500
/// yuan). A suspected death of the data platform is verified the same way.
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = VerifyRequest,
    params(("id" = i64, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "ETag of the report")),
    responses((status = 200, body = VerifyResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/death-reports/{id}/verify")]
pub async fn verify(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PensionManage)?;
    let if_match = optional_if_match(&req)?;
    let id = path.into_inner();
    let body = body.0;
    let c = caller.clone();
    let answer =
        crate::db::write(&state.pool, move |conn| app::deaths::verify::verify(conn, &c, today, id, if_match, body))
            .await?;
    let version = answer.report.version;
    Ok(ok_with_etag(&answer, version))
}

/// Withdraws a report before it is verified (the wrong person was reported): nothing else changes.
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.write"])), request_body = CloseRequest,
    params(("id" = i64, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "ETag of the report")),
    responses((status = 200, body = DeathReportResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/death-reports/{id}/withdraw")]
pub async fn withdraw(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CloseRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeWrite)?;
    close(req, caller, state, path.into_inner(), body.0, false).await
}

/// Reverses a verified report (the death was wrongly recorded): audited, the pension state before the
/// verification is restored (a status change from `stopped` back to it), the overpayment is voided and the
/// report's condolence is no longer due. Only the centres that may stop a pension may reverse it.
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = CloseRequest,
    params(("id" = i64, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "ETag of the report")),
    responses((status = 200, body = DeathReportResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/death-reports/{id}/reverse")]
pub async fn reverse(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CloseRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PensionManage)?;
    close(req, caller, state, path.into_inner(), body.0, true).await
}

async fn close(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    body: CloseRequest,
    reversal: bool,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    let if_match = optional_if_match(&req)?;
    let c = caller.clone();
    let report = crate::db::write(&state.pool, move |conn| {
        let act = if reversal { app::deaths::close::reverse } else { app::deaths::close::withdraw };
        act(conn, &c, today, id, if_match, body)
    })
    .await?;
    let version = report.version;
    Ok(ok_with_etag(&report, version))
}

/// Assesses the death benefits of a verified report from the policy formula (funeral grant, survivor benefit;
/// JN Art. 23(3)) and settles them: the overpayment is deducted first (GUIDE 四: "按规定从退休人员死亡抚恤待遇中扣除";
/// a `deducted_from_benefits` entry in its ledger); the net payable, or the balance still owed when the benefits
/// do not cover it, is shown. Once per report (409 `benefits_assessed`).
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = BenefitsRequest,
    params(("id" = i64, Path, description = "Report id")),
    responses((status = 200, body = BenefitsResponse), crate::openapi::WriteErrors))]
#[post("/death-reports/{id}/benefits")]
pub async fn benefits(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<BenefitsRequest>,
) -> Result<web::Json<BenefitsResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PensionManage)?;
    let id = path.into_inner();
    let c = caller.clone();
    let answer =
        crate::db::write(&state.pool, move |conn| app::deaths::benefits::assess(conn, &c, today, id, body.0)).await?;
    Ok(web::Json(answer))
}
