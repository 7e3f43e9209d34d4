//! Transfers between communities (迁移; JN Art. 22: "一律接收，不得推诿") and out of the city.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use app::transfers::Action;
use domain::Permission;

use super::common::{NodePageQuery, Page, finish, next_cursor, ok_with_etag};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;

use app::transfers::{CreateTransferRequest, TransferActionRequest, TransferResponse};

/// Registers a transfer application (JN Art. 22). Within the city the retiree applies at the receiving community:
/// the caller is on the receiving side and names the person by resident ID. A move out of the city is registered
/// by the sending side (`retiree_id`, `destination`): a `retiree_id` absent or outside the caller's subtree is 422
/// `retiree_not_found` on `/retiree_id`. One open transfer per person (409 `transfer_exists`).
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = CreateTransferRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = TransferResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/transfers")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateTransferRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let fingerprint = crate::idempotency::fingerprint("POST /transfers", &body);
    let application = app::transfers::apply::check(body, today).map_err(ApiError::validation)?;
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let body = app::transfers::apply::apply(conn, &c, today, application)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/transfers/{}", body.id),
            version: body.version,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Transfers whose sending or receiving community is in the caller's subtree, by id.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(NodePageQuery),
    responses((status = 200, body = Page<TransferResponse>), crate::openapi::ReadErrors))]
#[get("/transfers")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<NodePageQuery>,
) -> Result<web::Json<Page<TransferResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("tr", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let items = crate::db::run(&state.pool, move |conn| app::transfers::list(conn, &c, &code, after, limit)).await?;
    let next = next_cursor(&items, limit, "tr", |t| t.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One transfer (both sides see it; anybody else below them gets 404). The read is audited.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Transfer id")),
    responses((status = 200, body = TransferResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/transfers/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let body = crate::db::read_audited(&state, move |conn| app::transfers::read(conn, &c, id)).await?;
    let version = body.version;
    Ok(ok_with_etag(&body, version))
}

/// The receiving community returns an application for missing information (JN Art. 22: it may not refuse a
/// complete one; that attempt is 409 `transfer_cannot_be_refused`).
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = TransferActionRequest,
    params(("id" = i64, Path, description = "Transfer id"), ("If-Match" = Option<String>, Header, description = "ETag")),
    responses((status = 200, body = TransferResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/transfers/{id}/return")]
pub async fn return_transfer(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<TransferActionRequest>,
) -> Result<HttpResponse, ApiError> {
    act(req, caller, state, path.into_inner(), body.0, Action::Return).await
}

/// The receiving community resubmits a returned application with the documents now handed in.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = TransferActionRequest,
    params(("id" = i64, Path, description = "Transfer id"), ("If-Match" = Option<String>, Header, description = "ETag")),
    responses((status = 200, body = TransferResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/transfers/{id}/resubmit")]
pub async fn resubmit(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<TransferActionRequest>,
) -> Result<HttpResponse, ApiError> {
    act(req, caller, state, path.into_inner(), body.0, Action::Resubmit).await
}

/// The sending community confirms the release of a complete application (409 `transfer_incomplete` otherwise).
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = TransferActionRequest,
    params(("id" = i64, Path, description = "Transfer id"), ("If-Match" = Option<String>, Header, description = "ETag")),
    responses((status = 200, body = TransferResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/transfers/{id}/release")]
pub async fn release(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<TransferActionRequest>,
) -> Result<HttpResponse, ApiError> {
    act(req, caller, state, path.into_inner(), body.0, Action::Release).await
}

/// Completes a released transfer: the person belongs to the receiving community from this month (transferred
/// out of one roll, into the other), the archive location and (for party members) the party relationship move
/// with them (steps), and the receiving community owes a first visit within the month. A move out of the city
/// is completed by the sending side: the pension status becomes `transferred_out`, the person leaves the roll and
/// is flagged for remote certification.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = TransferActionRequest,
    params(("id" = i64, Path, description = "Transfer id"), ("If-Match" = Option<String>, Header, description = "ETag")),
    responses((status = 200, body = TransferResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/transfers/{id}/complete")]
pub async fn complete(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<TransferActionRequest>,
) -> Result<HttpResponse, ApiError> {
    act(req, caller, state, path.into_inner(), body.0, Action::Complete).await
}

async fn act(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    body: TransferActionRequest,
    action: Action,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let if_match = crate::extract::optional_if_match(&req)?;
    let c = caller.clone();
    let body = crate::db::write(&state.pool, move |conn| {
        app::transfers::act::act(conn, &c, today, id, if_match, action, body)
    })
    .await?;
    let version = body.version;
    Ok(ok_with_etag(&body, version))
}
