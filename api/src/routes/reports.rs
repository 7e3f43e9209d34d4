//! Monthly statistical reports (issue 27; 按月计报, GUIDE 交接制度, 第四章二; JN Art. 28). The use cases are in
//! [`app::reports`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{finish, ok_with_etag};
use super::files::{FileOptions, FileParams};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;

use app::reports::monthly::MonthlyReport;

/// Query of the monthly report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthlyQuery {
    /// A node in the caller's subtree (default: the caller's node); rows are its children.
    #[param(example = "350203")]
    pub jurisdiction: Option<String>,
    /// Month (`YYYY-MM`), default this month.
    #[param(example = "2026-11")]
    pub month: Option<String>,
}

/// The node and month asked for.
fn node_and_month(caller: &Caller, q: &MonthlyQuery, today: time::Date) -> Result<(String, time::Date), ApiError> {
    let mut errors = Vec::new();
    let month = match q.month.as_deref() {
        Some(m) => app::input::parse_month("month", m).map_err(|e| errors.push(e)).ok(),
        None => Some(domain::report::month_start(today)),
    };
    finish(errors)?;
    let month = month.unwrap_or_else(|| domain::report::month_start(today));
    Ok((q.jurisdiction.clone().unwrap_or_else(|| caller.jurisdiction_code.clone()), month))
}

/// A stable version of a report's content for its ETag (FNV-1a of the JSON).
fn content_version(report: &MonthlyReport) -> i64 {
    let bytes = serde_json::to_vec(report).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes()) & i64::MAX
}

/// The monthly statistical report of a node (按月计报): roll counts by category, management level, sex and age band
/// (bands from the policy's `reports.age_bands`), special groups, movements (the movement report), certification
/// (due, certified by method, overdue, suspended, resumed with back-pay), deaths (reported, late, verified,
/// overpayments raised and recovered), condolences by kind with amounts, visits, self-management groups and
/// leaders, and the service fund (budget, spending in the month by category, year to date, balance). One row per
/// child, the node's total the sum of its rows, compared with the previous month and the same month last year.
/// Counts are whole numbers, amounts yuan with two decimals, all as text.
#[utoipa::path(tag = "reports", security(("bearer" = ["retiree.read"])), params(MonthlyQuery),
    responses((status = 200, body = MonthlyReport, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/reports/monthly")]
pub async fn monthly_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<MonthlyQuery>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let (code, month) = node_and_month(&caller, &query, today)?;
    let c = caller.0.clone();
    let report =
        crate::db::run(&state.pool, move |conn| app::reports::monthly::monthly_report(conn, &c, &code, month, today))
            .await?;
    Ok(ok_with_etag(&report, content_version(&report)))
}

/// The monthly report as a file in the layout a clerk files: XLSX with one sheet per section (Chinese headers, the
/// node and month in the title, a bold totals row) and a sheet comparing the totals with the previous month and
/// the same month last year; or CSV with the tables one after the other.
#[utoipa::path(tag = "reports", security(("bearer" = ["retiree.read"])), params(MonthlyQuery, FileParams),
    responses((status = 200, description = "The report file",
        content(
            (String = "text/csv", example = json!("code,name,enterprise_employee,total\r\n350203001,厦港街道,120,120\r\n")),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        crate::openapi::ReadErrors))]
#[get("/exports/monthly-report")]
pub async fn export_monthly_report(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<MonthlyQuery>,
    params: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let file = params.settle(&req, &mut errors);
    finish(errors)?;
    let Some(FileOptions { format, encoding, labels }) = file else {
        return Err(ApiError::internal("file options settled without errors"));
    };
    let (code, month) = node_and_month(&caller, &query, today)?;
    let c = caller.0.clone();
    let file = crate::db::run(&state.pool, move |conn| {
        let report = app::reports::monthly::monthly_report(conn, &c, &code, month, today)?;
        app::reports::monthly::report_file(&report, format, encoding, labels)
    })
    .await?;
    Ok(super::files::file_response(file))
}

use app::reports::close::{CloseMonthRequest, MonthCloseView, ReopenMonthRequest};

fn close_location(v: &MonthCloseView) -> String {
    format!("/api/v1/reports/monthly/closes/{}/{}", v.jurisdiction, v.month)
}

/// Closes a node's month (月报结账; GUIDE 交接制度 "按月计报"): the community first, then the street, the district
/// and the city. The report is frozen as filed; later entries for the month show as corrections in the next open
/// month. Each child's filed figures are compared with the parent's count and the differences kept
/// (`differences`). A month not over: 409 `month_not_over`; closed already: 409 `month_closed`; a child still open:
/// 409 `children_not_closed` naming them. Emits `report.month_closed` with the link to the report.
#[utoipa::path(tag = "reports", security(("bearer" = ["report.close"])), request_body = CloseMonthRequest,
    responses((status = 201, body = MonthCloseView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/reports/monthly/closes")]
pub async fn close_month(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CloseMonthRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ReportClose)?;
    let body = body.0;
    let month = app::input::parse_month("/month", &body.month).map_err(|e| ApiError::validation(vec![e]))?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| {
        app::reports::close::close(conn, &c, &body.jurisdiction, month, today)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", close_location(&v)))
        .insert_header(("ETag", crate::extract::etag(v.version)))
        .json(v))
}

/// Parses the path's node and month; a malformed month is 404 (no such close).
fn close_path(path: (String, String)) -> Result<(String, time::Date), ApiError> {
    let month = app::input::parse_month("month", &path.1)
        .map_err(|_| ApiError::from(app::AppError::of(domain::ErrorCode::NotFound)))?;
    Ok((path.0, month))
}

/// The close of a node's month (closed or reopened, with the differences found at close); never closed: 404.
#[utoipa::path(tag = "reports", security(("bearer" = ["retiree.read"])),
    params(("jurisdiction" = String, Path, description = "Node code"), ("month" = String, Path, description = "Month `YYYY-MM`")),
    responses((status = 200, body = MonthCloseView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/reports/monthly/closes/{jurisdiction}/{month}")]
pub async fn get_month_close(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let (code, month) = close_path(path.into_inner())?;
    let c = caller.0.clone();
    let v = crate::db::run(&state.pool, move |conn| app::reports::close::get(conn, &c, &code, month)).await?;
    Ok(ok_with_etag(&v, v.version))
}

/// Reopens a closed month (an administrator, with a reason; audited with it). Not closed: 409 `month_not_closed`;
/// the parent's month closed: 409 `parent_month_closed` (reopen the parent first). The next close files a new
/// snapshot.
#[utoipa::path(tag = "reports", security(("bearer" = ["report.reopen"])), request_body = ReopenMonthRequest,
    params(("jurisdiction" = String, Path, description = "Node code"), ("month" = String, Path, description = "Month `YYYY-MM`"),
        ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = MonthCloseView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/reports/monthly/closes/{jurisdiction}/{month}/reopen")]
pub async fn reopen_month(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Json<ReopenMonthRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReportReopen)?;
    let if_match = crate::extract::optional_if_match(&req)?;
    let (code, month) = close_path(path.into_inner())?;
    let c = caller.0.clone();
    let reason = body.0.reason;
    let v = crate::db::write(&state.pool, move |conn| {
        app::reports::close::reopen(conn, &c, &code, month, if_match, &reason)
    })
    .await?;
    Ok(ok_with_etag(&v, v.version))
}

use app::reports::ledgers::{LedgerEntry, LedgerSummary, VerificationView, VerifyRequest};

const LEDGER_CURSOR: &str = "lg";

/// Records a worker's verification of a person's membership of a special group (特殊群体台账, GUIDE 第四章五 step
/// 2: worker, day, evidence). `group` is one of `advanced_age`, `widowed_childless`, `seriously_ill`,
/// `severe_hardship`, `pre_liberation_worker`, `model_worker` (else 404). The last verification is the recorded
/// membership. Audited `ledger.verify`.
#[utoipa::path(tag = "reports", security(("bearer" = ["retiree.write"])), request_body = VerifyRequest,
    params(("group" = String, Path, description = "Ledger group")),
    responses((status = 201, body = VerificationView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/ledgers/{group}/verifications")]
pub async fn verify_membership(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: Json<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let group = app::reports::ledgers::ledger_group(&path.into_inner())?;
    let c = caller.0.clone();
    let body = body.0;
    let v =
        crate::db::write(&state.pool, move |conn| app::reports::ledgers::verify(conn, &c, today, group, body)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/ledgers/verifications/{}", v.id)))
        .insert_header(("ETag", crate::extract::etag(1)))
        .json(v))
}

/// One verification (they are never changed: the next one supersedes it). Outside the subtree: 404.
#[utoipa::path(tag = "reports", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Verification id")),
    responses((status = 200, body = VerificationView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/ledgers/verifications/{id}")]
pub async fn get_verification(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::run(&state.pool, move |conn| app::reports::ledgers::get_verification(conn, &c, id)).await?;
    Ok(ok_with_etag(&v, 1))
}

/// Query of a ledger.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Only this status: `verified`, `unverified`, `stale`, `disagrees` (the last three are the worklist).
    pub status: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The ledger of a special group (GUIDE 第四章五): people on the roll computed a member (age from the policy; a
/// dated flag in force) or recorded one by a verification, each with its status — `verified`, `unverified`,
/// `stale` (older than the policy's `reports.ledger_verification_days`) or `disagrees` (computed and recorded
/// differ). `status=` filters it: the worklist is the last three. By person id.
#[utoipa::path(tag = "reports", security(("bearer" = ["retiree.read"])),
    params(("group" = String, Path, description = "Ledger group"), LedgerQuery),
    responses((status = 200, body = super::common::Page<LedgerEntry>), crate::openapi::ReadErrors))]
#[get("/ledgers/{group}")]
pub async fn ledger(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LedgerQuery>,
) -> Result<web::Json<super::common::Page<LedgerEntry>>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let group = app::reports::ledgers::ledger_group(&path.into_inner())?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) =
        crate::extract::page::<i64>(LEDGER_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let status = super::common::enum_filter(
        "status",
        q.status.as_deref(),
        domain::report::LedgerStatus::parse,
        domain::report::LedgerStatus::codes(),
        &mut errors,
    );
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| {
        app::reports::ledgers::ledger(conn, &c, today, group, &code, status, after.unwrap_or(0), limit)
    })
    .await?;
    let next = super::common::next_cursor(&items, limit, LEDGER_CURSOR, |v| v.retiree_id.to_string());
    Ok(web::Json(super::common::Page { items, next_cursor: next }))
}

/// Query of a ledger export or summary.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerNodeQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
}

/// The ledger of a special group as a file (XLSX with the group, node and day in the title and Chinese headers,
/// or CSV). Audited `ledger.export`.
#[utoipa::path(tag = "reports", security(("bearer" = ["retiree.read"])),
    params(("group" = String, Path, description = "Ledger group"), LedgerNodeQuery, FileParams),
    responses((status = 200, description = "The ledger file",
        content(
            (String = "text/csv", example = json!("retiree_id,community_code,computed,recorded,verified_on,worker,status\r\n42,350203001001,true,true,2026-12-01,李四,verified\r\n")),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        crate::openapi::ReadErrors))]
#[get("/exports/ledgers/{group}")]
pub async fn export_ledger(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LedgerNodeQuery>,
    params: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let (group, node) = (path.into_inner(), query.into_inner().jurisdiction);
    super::files::ledger_file(&req, &caller, &state, &group, node, &params, app::reports::ledgers::export).await
}

/// The ledgers summarised per child of a node (GUIDE 第四章五 step 4): per group, how many are verified,
/// unverified, stale and disagreeing; the node's total is the sum of its rows.
#[utoipa::path(tag = "reports", security(("bearer" = ["retiree.read"])), params(LedgerNodeQuery),
    responses((status = 200, body = LedgerSummary), crate::openapi::ReadErrors))]
#[get("/ledgers/summary")]
pub async fn ledger_summary(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<LedgerNodeQuery>,
) -> Result<web::Json<LedgerSummary>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let code = query.into_inner().jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let s = crate::db::run(&state.pool, move |conn| app::reports::ledgers::summary(conn, &c, today, &code)).await?;
    Ok(web::Json(s))
}
