//! High-age allowance 高龄补贴 (issue 25 part 4; JN Art. 7(7)): applications, their approval or refusal, the
//! monthly list of the people paid and their amounts per community, and its file. The use cases are in
//! [`app::high_age`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, code_filter, finish, next_cursor};
use super::files::{self, FileParams};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, optional_if_match, page};
use crate::state::AppState;

use app::high_age::{AllowanceApplicationView, AllowanceApplyInput, AllowanceDecisionInput, AllowanceMonthList};
pub use domain::high_age::{ApplicationStatus as AllowanceStatus, Decision as AllowanceDecision};

const CURSOR: &str = "ha";

/// Files a high-age allowance application for a person on the roll in the caller's subtree who reaches the first
/// band's age by the end of the month (else 422 `allowance_not_eligible`). The bands are the local policy's: while
/// none is set, 409 `allowance_policy_unset`. One pending or approved application per person (409
/// `allowance_application_exists`); a stopped pension: 409 `pension_stopped`. Emits `allowance.applied`.
#[utoipa::path(tag = "high-age-allowance", security(("bearer" = ["allowance.manage"])),
    request_body = AllowanceApplyInput,
    responses((status = 201, body = AllowanceApplicationView, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::WriteErrors))]
#[post("/high-age-allowance/applications")]
pub async fn apply(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<AllowanceApplyInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::AllowanceManage)?;
    let asked = app::high_age::check_apply(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::high_age::apply(conn, &c, asked)).await?;
    Ok(crate::routes::common::created_with_etag(
        format!("/api/v1/high-age-allowance/applications/{}", v.id),
        &v,
        v.version,
    ))
}

/// Filters of the application list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Only this status: `applied` (the worklist of pending decisions), `approved`, `refused`.
    #[param(example = "applied")]
    pub status: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Applications of the people in the caller's subtree, by id; an audited read (`allowance.application.list`).
#[utoipa::path(tag = "high-age-allowance", security(("bearer" = ["retiree.read"])),
    params(ApplicationQuery),
    responses((status = 200, body = Page<AllowanceApplicationView>), crate::openapi::ReadErrors))]
#[get("/high-age-allowance/applications")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ApplicationQuery>,
) -> Result<web::Json<Page<AllowanceApplicationView>>, ApiError> {
    app::high_age::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let codes: Vec<&str> = AllowanceStatus::ALL.iter().map(|s| s.as_str()).collect();
    let status =
        code_filter("status", q.status.as_deref(), &codes, &mut errors).and_then(|s| AllowanceStatus::parse(&s));
    finish(errors)?;
    let c = caller.0.clone();
    let items = crate::db::read_audited_listing(&state, &caller.login, move |conn| {
        app::high_age::list(conn, &c, status, after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One application of a person in the caller's subtree, with the death flow's stop month when the death is
/// verified; an audited read (`allowance.application.read`).
#[utoipa::path(tag = "high-age-allowance", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, body = AllowanceApplicationView, headers(("ETag" = String))),
        crate::openapi::ReadErrors))]
#[get("/high-age-allowance/applications/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app::high_age::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::read_audited(&state, move |conn| app::high_age::get(conn, &c, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Approves or refuses (with the reason: else 422 `reason_required`) a pending application; decided already: 409
/// `allowance_wrong_status`. `If-Match` optional (stale: 412). Emits `allowance.decided`.
#[utoipa::path(tag = "high-age-allowance", security(("bearer" = ["allowance.manage"])),
    request_body = AllowanceDecisionInput,
    params(("id" = i64, Path, description = "Application id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the application read")),
    responses((status = 200, body = AllowanceApplicationView, headers(("ETag" = String))),
        crate::openapi::WriteErrors))]
#[post("/high-age-allowance/applications/{id}/decision")]
pub async fn decide(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<AllowanceDecisionInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::AllowanceManage)?;
    let asked = app::high_age::check_decision(&body.0).map_err(ApiError::validation)?;
    let if_match = optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v =
        crate::db::write(&state.pool, move |conn| app::high_age::decide(conn, &c, today, id, if_match, asked)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// The month asked.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// The month (`YYYY-MM`, default this month).
    #[param(example = "2026-12")]
    pub month: Option<String>,
}

fn month_of(query: &MonthQuery, today: time::Date) -> Result<time::Date, ApiError> {
    match query.month.as_deref() {
        None => Ok(domain::pension::month_of(today)),
        Some(t) => app::input::parse_month("month", t).map_err(|e| ApiError::validation(vec![e])),
    }
}

/// The month's list of the people paid in the caller's subtree (approved, from the month the first band's age is
/// reached until the death flow's stop month) with their amounts by the policy in force at their community, and
/// the totals per community. No bands set by a local rule: 409 `allowance_policy_unset`. An audited read
/// (`allowance.month.list`).
#[utoipa::path(tag = "high-age-allowance", security(("bearer" = ["retiree.read"])),
    params(MonthQuery),
    responses((status = 200, body = AllowanceMonthList), crate::openapi::AllowanceReadErrors))]
#[get("/high-age-allowance")]
pub async fn month_list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<MonthQuery>,
) -> Result<web::Json<AllowanceMonthList>, ApiError> {
    let today = state.clock.today();
    app::high_age::require_read(&caller)?;
    let month = month_of(&query, today)?;
    let c = caller.0.clone();
    let answer =
        crate::db::read_audited_listing(&state, &caller.login, move |conn| app::high_age::month_list(conn, &c, month))
            .await?;
    Ok(web::Json(answer))
}

/// The month's list as a file (CSV or XLSX; Chinese headers with `labels=zh`: 人员编号, 姓名, 所属社区, 发放月份, 年龄,
/// 补贴档次（周岁起）, 补贴金额（元）, and a totals row); audited (`allowance.export`).
#[utoipa::path(tag = "high-age-allowance", security(("bearer" = ["retiree.read"])), params(MonthQuery, FileParams),
    responses((status = 200, description = "The list as a file download",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"high-age-allowance-2026-12.csv\"` (or `.xlsx`)")),
        content(
            (String = "text/csv", example = json!("人员编号,姓名,所属社区,发放月份,年龄,补贴档次（周岁起）,补贴金额（元）\r\n42,张三,350203001001,2026-12,80,80,100.00\r\n")),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        crate::openapi::AllowanceReadErrors))]
#[get("/exports/high-age-allowance")]
pub async fn export(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<MonthQuery>,
    params: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::high_age::require_read(&caller)?;
    let mut errors = Vec::new();
    let month = match query.month.as_deref() {
        None => Some(domain::pension::month_of(today)),
        Some(t) => app::input::parse_month("month", t).map_err(|e| errors.push(e)).ok(),
    };
    let options = params.settle(&req, &mut errors);
    finish(errors)?;
    let (Some(o), Some(month)) = (options, month) else { return Err(ApiError::internal("file options not settled")) };
    let c = caller.0.clone();
    let file = crate::db::read_audited(&state, move |conn| {
        app::high_age::export(conn, &c, month, o.format, o.encoding, o.labels)
    })
    .await?;
    Ok(files::file_response(file))
}
