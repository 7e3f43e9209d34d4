//! Pension paid after death and its recovery ledger (CS Art. 31: "限期追回，到期仍未追回的应及时移交"; GUIDE 四):
//! deducted from death benefits, repaid, written off with approval, referred after the deadline. The balance is
//! always the amount less the sum of the entries. The use cases are in [`app::overpayments`].

use actix_web::{HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;

use app::overpayments::{CreateEntryRequest, OverpaymentResponse};

/// Filters of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverpaymentListQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// `open`, `settled`, `referred` or `void`.
    pub status: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Overpayments of people in the caller's subtree, by id, with their ledgers.
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(OverpaymentListQuery),
    responses((status = 200, body = Page<OverpaymentResponse>), crate::openapi::ReadErrors))]
#[get("/overpayments")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<OverpaymentListQuery>,
) -> Result<web::Json<Page<OverpaymentResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("op", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let status = super::common::code_filter("status", q.status.as_deref(), &app::overpayments::STATUSES, &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let items = crate::db::run(&state.pool, move |conn| {
        app::overpayments::list(conn, &c, q.jurisdiction.as_deref(), status.as_deref(), after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, "op", |o| o.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One overpayment with its ledger (audited read).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Overpayment id")),
    responses((status = 200, body = OverpaymentResponse), crate::openapi::ReadErrors))]
#[get("/overpayments/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<OverpaymentResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let answer = crate::db::read_audited(&state, move |conn| app::overpayments::get_one(conn, &c, id)).await?;
    Ok(web::Json(answer))
}

/// Records an entry in the recovery ledger (CS Art. 31). The balance after it is the amount less the sum of the
/// entries; at zero the overpayment is `settled`, a referral makes it `referred`. More than the balance is 422
/// `amount_exceeds_balance`, a write-off without approver 422 `approval_required`, a referral before the deadline
/// 409 `recovery_deadline_not_passed`, anything on a settled or voided overpayment 409.
#[utoipa::path(tag = "death", security(("bearer" = ["pension.manage"])), request_body = CreateEntryRequest,
    params(("id" = i64, Path, description = "Overpayment id")),
    responses((status = 201, body = OverpaymentResponse), crate::openapi::WriteErrors))]
#[post("/overpayments/{id}/entries")]
pub async fn add_entry(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CreateEntryRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PensionManage)?;
    let id = path.into_inner();
    let asked = app::overpayments::check_entry(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.clone();
    let answer = crate::db::write(&state.pool, move |conn| app::overpayments::add_entry(conn, &c, id, asked)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/overpayments/{id}"))).json(answer))
}
