//! The service fund (退休人员社会化管理服务经费): yearly budgets of a district from the headcount by management level on
//! a reference date and the per-retiree standard, split between city and district (XM Art. 21; CS Art. 10 para. 1;
//! JN Art. 14-15); group-leader allowances and their split (XM Art. 23); the excellent-leader quota and awards paid
//! from the fund (XM Art. 24, 21(5)); the expenditure ledger by allowed category (XM Art. 21(1)-(7); CS Art. 10
//! para. 2; JN Art. 15); funding statements reproduced from stored snapshots; the staffing and archive-facility
//! report (JN Art. 11, 12, 20). The use cases are `app::care::funding`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::policy::FundUse;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::routes::common::{Page, enum_filter, finish, next_cursor};
use crate::state::AppState;
use app::input::parse_month;

mod expenditures;
mod leaders;
mod staffing_report;
mod statements;

use app::care::funding::{BudgetResponse, CreateBudgetRequest};
pub use expenditures::*;
pub use leaders::*;
pub use staffing_report::*;
pub use statements::*;

/// Makes the yearly budget of a district (once per year: 409 `budget_exists`): the retirees on its rolls on the
/// reference date by management level × the per-retiree standard, split between city and district by level (XM
/// Art. 21: 400 yuan, 1:1; CS Art. 10 para. 1: 100 yuan, city 50% / district 50% for city-managed and
/// central-provincial retirees, district 100% for district-managed); the leaders in office on that date with their
/// allowance (XM Art. 23: 150 yuan a month, 4:6) and the excellent-leader quota (XM Art. 24: 10%, 400 yuan each).
/// Everything is stored as a snapshot and served as stored, whatever the rolls do later.
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"])), request_body = CreateBudgetRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = BudgetResponse, headers(("Location" = String))), crate::openapi::FundErrors))]
#[post("/funding/budgets")]
pub async fn create_budget(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateBudgetRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::FundManage)?;
    let body = body.0;
    let input = app::care::funding::check_budget(&body, today).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /funding/budgets", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let body = app::care::funding::create_budget(conn, &c, input)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/funding/budgets/{}", body.id),
            version: 1,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Filters of the budget list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BudgetQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Year.
    pub year: Option<i32>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Budgets of the districts in the caller's subtree, by id.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(BudgetQuery),
    responses((status = 200, body = Page<BudgetResponse>), crate::openapi::ReadErrors))]
#[get("/funding/budgets")]
pub async fn list_budgets(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<BudgetQuery>,
) -> Result<web::Json<Page<BudgetResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("bg", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| {
        app::care::funding::list_budgets(conn, &c, &code, q.year, after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, "bg", |b| b.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One budget, as stored.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Budget id")),
    responses((status = 200, body = BudgetResponse), crate::openapi::ReadErrors))]
#[get("/funding/budgets/{id}")]
pub async fn get_budget(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<BudgetResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let b = crate::db::run(&state.pool, move |conn| app::care::funding::read_budget(conn, &c, id)).await?;
    Ok(web::Json(b))
}
