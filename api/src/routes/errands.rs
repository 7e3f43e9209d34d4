//! Tracked errands 代办事项 (issue 25; JN Art. 7(5), 24; GUIDE 走访制度): the senior preferential card, chronic/special
//! disease and special-drug qualification, medical-insurance continuation; their submission, result and
//! withdrawal, the overdue worklist, the senior-card worklist and the file. The use cases are in [`app::errands`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::errand::{ErrandKind, ErrandStatus};
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, code_filter, finish, next_cursor};
use super::files::{self, FileParams};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, optional_if_match, page};
use crate::state::AppState;

use app::errands::{CandidateView, ErrandInput, ErrandView, ResultInput, SubmissionInput, WithdrawalInput};
pub use domain::errand::{ErrandKind as ErrandKindCode, ErrandStatus as ErrandStatusCode};

const CURSOR: &str = "er";
const CANDIDATE_CURSOR: &str = "sc";

/// Opens an errand for a person of the caller's subtree: the senior card (only for a person of the policy's age by
/// the end of the month: else 422 `errand_below_age`), chronic/special disease or special-drug qualification,
/// medical-insurance continuation. The due date comes from the policy's days for the kind (`null` where no text gives
/// a number). One pending errand per person and kind (409 `errand_open`); a stopped pension: 409 `pension_stopped`.
/// Emits `errand.opened`.
#[utoipa::path(tag = "errands", security(("bearer" = ["errand.manage"])), request_body = ErrandInput,
    responses((status = 201, body = ErrandView, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::WriteErrors))]
#[post("/errands")]
pub async fn open(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<ErrandInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ErrandManage)?;
    let asked = app::errands::check(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::errands::open(conn, &c, today, asked)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/errands/{}", v.id), &v, v.version))
}

/// Filters of the errand list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ErrandQuery {
    /// Only this kind: `senior_card`, `chronic_disease_qualification`, `special_drug_qualification`,
    /// `medical_insurance_continuation`.
    pub kind: Option<String>,
    /// Only this status: `open`, `submitted`, `approved`, `refused`, `withdrawn`.
    pub status: Option<String>,
    /// Only errands handled in the subtree of this node (in the caller's subtree).
    pub jurisdiction: Option<String>,
    /// `true`: the worklist of errands pending (open or submitted) past their due date.
    pub overdue: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn list_query(
    kind: Option<&str>,
    status: Option<&str>,
    jurisdiction: Option<String>,
    overdue: Option<&str>,
    errors: &mut Vec<app::error::FieldError>,
) -> app::errands::ErrandListQuery {
    let kinds: Vec<&str> = ErrandKind::ALL.iter().map(|k| k.as_str()).collect();
    let statuses: Vec<&str> = ErrandStatus::ALL.iter().map(|s| s.as_str()).collect();
    app::errands::ErrandListQuery {
        kind: code_filter("kind", kind, &kinds, errors).and_then(|k| ErrandKind::parse(&k)),
        status: code_filter("status", status, &statuses, errors).and_then(|s| ErrandStatus::parse(&s)),
        jurisdiction,
        overdue: code_filter("overdue", overdue, &["true", "false"], errors).is_some_and(|v| v == "true"),
    }
}

/// Errands handled in the caller's subtree, by id; `overdue=true` is the worklist of errands past their due date.
/// An audited read (`errand.list`).
#[utoipa::path(tag = "errands", security(("bearer" = ["retiree.read"])), params(ErrandQuery),
    responses((status = 200, body = Page<ErrandView>), crate::openapi::ReadErrors))]
#[get("/errands")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ErrandQuery>,
) -> Result<web::Json<Page<ErrandView>>, ApiError> {
    let today = state.clock.today();
    app::errands::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let wanted = list_query(q.kind.as_deref(), q.status.as_deref(), q.jurisdiction, q.overdue.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let items = crate::db::read_audited_listing(&state, &caller.login, move |conn| {
        app::errands::list(conn, &c, today, &wanted, after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Paging of the senior-card worklist.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The worklist of people on the roll in the caller's subtree (pension not stopped) who are of the senior card's
/// age by the end of this month (policy `errands.senior_card_age_years` at the caller's node; GUIDE 走访制度: 70) and
/// have no senior-card errand open, submitted or approved, by id. An audited read (`errand.candidates`).
#[utoipa::path(tag = "errands", security(("bearer" = ["retiree.read"])), params(CandidateQuery),
    responses((status = 200, body = Page<CandidateView>), crate::openapi::ReadErrors))]
#[get("/errands/senior-card-candidates")]
pub async fn candidates(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<CandidateQuery>,
) -> Result<web::Json<Page<CandidateView>>, ApiError> {
    let today = state.clock.today();
    app::errands::require_read(&caller)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(CANDIDATE_CURSOR, query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let items = crate::db::read_audited_listing(&state, &caller.login, move |conn| {
        app::errands::candidates(conn, &c, today, after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, CANDIDATE_CURSOR, |v| v.retiree_id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One errand handled in the caller's subtree; an audited read (`errand.read`).
#[utoipa::path(tag = "errands", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Errand id")),
    responses((status = 200, body = ErrandView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/errands/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::errands::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::read_audited(&state, move |conn| app::errands::get(conn, &c, today, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

async fn take_step(
    req: &HttpRequest,
    caller: &Caller,
    state: &AppState,
    id: i64,
    asked: app::errands::StepAsked,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    let if_match = optional_if_match(req)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::errands::step(conn, &c, today, id, if_match, asked)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Records that an open errand's materials were submitted (`on`, not before the opening: else 422 `before_opened`;
/// `materials` replaces the list when sent). Not open: 409 `errand_wrong_status`. `If-Match` optional (stale: 412).
/// Emits `errand.changed`.
#[utoipa::path(tag = "errands", security(("bearer" = ["errand.manage"])), request_body = SubmissionInput,
    params(("id" = i64, Path, description = "Errand id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the errand read")),
    responses((status = 200, body = ErrandView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/errands/{id}/submission")]
pub async fn submit(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<SubmissionInput>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ErrandManage)?;
    let asked = app::errands::check_submission(&body.0, state.clock.today()).map_err(ApiError::validation)?;
    take_step(&req, &caller, &state, path.into_inner(), asked).await
}

/// Records the answer on a submitted errand: `approved`, or `refused` with the `reason` (else 422
/// `reason_required`). Not submitted: 409 `errand_wrong_status`. `If-Match` optional (stale: 412). Emits
/// `errand.changed`.
#[utoipa::path(tag = "errands", security(("bearer" = ["errand.manage"])), request_body = ResultInput,
    params(("id" = i64, Path, description = "Errand id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the errand read")),
    responses((status = 200, body = ErrandView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/errands/{id}/result")]
pub async fn result(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<ResultInput>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ErrandManage)?;
    let asked = app::errands::check_result(&body.0, state.clock.today()).map_err(ApiError::validation)?;
    take_step(&req, &caller, &state, path.into_inner(), asked).await
}

/// Withdraws an open or submitted errand (the person no longer needs it). Closed: 409 `errand_wrong_status`.
/// `If-Match` optional (stale: 412). Emits `errand.changed`.
#[utoipa::path(tag = "errands", security(("bearer" = ["errand.manage"])), request_body = WithdrawalInput,
    params(("id" = i64, Path, description = "Errand id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the errand read")),
    responses((status = 200, body = ErrandView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/errands/{id}/withdrawal")]
pub async fn withdraw(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<WithdrawalInput>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ErrandManage)?;
    let asked = app::errands::check_withdrawal(&body.0, state.clock.today()).map_err(ApiError::validation)?;
    take_step(&req, &caller, &state, path.into_inner(), asked).await
}

/// Which errands to write.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only errands handled in the subtree of this node.
    pub jurisdiction: Option<String>,
    /// `true`: only the overdue ones.
    pub overdue: Option<String>,
}

/// The errands as a file (CSV or XLSX; Chinese headers with `labels=zh`: 事项编号, 人员编号, 姓名, 所属社区, 事项类别,
/// 经办单位, 申报材料, 受理日期, 提交日期, 办理期限, 办理状态, 是否逾期, 办结日期, 原因, 转移编号); audited
/// (`errand.export`).
#[utoipa::path(tag = "errands", security(("bearer" = ["retiree.read"])), params(ExportQuery, FileParams),
    responses((status = 200, description = "The list as a file download",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"errands.csv\"` (or `.xlsx`)")),
        content(
            (String = "text/csv", example = json!("事项编号,人员编号,姓名,所属社区,事项类别,经办单位,申报材料,受理日期,提交日期,办理期限,办理状态,是否逾期,办结日期,原因,转移编号\r\n9,42,张三,350203001001,门诊慢特病资格认定,350203001001,门诊病历、检查报告,2026-12-01,2026-12-03,,已提交,否,,,\r\n")),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        crate::openapi::ReadErrors))]
#[get("/exports/errands")]
pub async fn export(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ExportQuery>,
    params: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::errands::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let wanted = list_query(q.kind.as_deref(), q.status.as_deref(), q.jurisdiction, q.overdue.as_deref(), &mut errors);
    let o = params.settled(&req, errors)?;
    let c = caller.0.clone();
    files::audited_file(&state, move |conn| {
        app::errands::export(conn, &c, today, &wanted, o.format, o.encoding, o.labels)
    })
    .await
}
