//! Handover of new retirees (移交; GUIDE 交接制度; JN Art. 4, 21; XM Art. 13): an employer's monthly batch, routed to
//! the community of residence (or the employer's community), each item with its steps, accepted or returned;
//! accepted people join the community's roll and get a first-visit task within the month of arrival.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;

use app::handover::{AcceptRequest, BatchResponse, CreateBatchRequest, ReturnRequest, StepRequest};

/// Submits a monthly batch of new retirees (GUIDE 交接制度; XM Art. 13). Every item is checked as a single create
/// would be (`POST /retirees`), after routing: to the community of residence when it lies in the node handed to
/// (JN Art. 21(1)), else to the employer's registered community (JN Art. 4); `override_community` with a reason
/// overrides. All or nothing: any bad item is 422 naming `/items/N/…`. Nobody is registered yet: each item is
/// accepted (or returned) by the receiving side.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.import", "retiree.read"])), request_body = CreateBatchRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = BatchResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/handover-batches")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateBatchRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeImport)?;
    caller.require(Permission::RetireeRead)?;
    let today = state.clock.today();
    let body = body.0;
    let fingerprint = crate::idempotency::fingerprint("POST /handover-batches", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let header = app::handover::submit::check(&body).map_err(ApiError::validation)?;
    let code = body.jurisdiction.clone().unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let batch = app::handover::submit::submit(conn, &c, today, &code, header, body)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/handover-batches/{}", batch.id),
            version: 1,
            body: serde_json::to_value(batch).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchListQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Batches handed to nodes in the caller's subtree, newest first.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(BatchListQuery),
    responses((status = 200, body = Page<BatchResponse>), crate::openapi::ReadErrors))]
#[get("/handover-batches")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<BatchListQuery>,
) -> Result<web::Json<Page<BatchResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let (limit, before) = page::<i64>("hb", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let items = crate::db::run(&state.pool, move |conn| app::handover::list(conn, &c, before, limit)).await?;
    let next = next_cursor(&items, limit, "hb", |b| b.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One batch with its items and their steps.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, body = BatchResponse), crate::openapi::ReadErrors))]
#[get("/handover-batches/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<BatchResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let body = crate::db::run(&state.pool, move |conn| app::handover::read(conn, &c, id)).await?;
    Ok(web::Json(body))
}

/// Records a step of a handed-over person (GUIDE 交接制度; JN Art. 21): information collected, archive received
/// (volumes and completeness, or an exemption), party relationship transferred (party members only, else 409
/// `not_a_party_member`), agreement signed, reported (or received at home), first visit (closes the first-visit
/// task).
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = StepRequest,
    params(("id" = i64, Path, description = "Batch id"), ("item_id" = i64, Path, description = "Item id")),
    responses((status = 200, body = BatchResponse), crate::openapi::WriteErrors))]
#[post("/handover-batches/{id}/items/{item_id}/steps")]
pub async fn add_step(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: Json<StepRequest>,
) -> Result<web::Json<BatchResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let (batch_id, item_id) = path.into_inner();
    let c = caller.clone();
    let answer = crate::db::write(&state.pool, move |conn| {
        app::handover::items::add_step(conn, &c, today, batch_id, item_id, body.0)
    })
    .await?;
    Ok(web::Json(answer))
}

/// Accepts a handed-over person (GUIDE 交接制度) once the `archive_received` step (or its exemption, JN Art. 21(4))
/// and the `agreement_signed` step are recorded, else 409 `handover_step_missing` naming the missing step
/// (issue 19.12): the retiree is registered in the receiving community, checked
/// again as a single create; they join its roll in the month received (`received` in the movement report) and get
/// a first-visit task due by the end of that month (GUIDE 走访制度: "当月内"). When no item is left pending the batch
/// closes.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = AcceptRequest,
    params(("id" = i64, Path, description = "Batch id"), ("item_id" = i64, Path, description = "Item id")),
    responses((status = 200, body = BatchResponse), crate::openapi::WriteErrors))]
#[post("/handover-batches/{id}/items/{item_id}/accept")]
pub async fn accept(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: Json<AcceptRequest>,
) -> Result<web::Json<BatchResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let (batch_id, item_id) = path.into_inner();
    let c = caller.clone();
    let answer = crate::db::write(&state.pool, move |conn| {
        app::handover::items::accept(conn, &c, today, batch_id, item_id, body.0)
    })
    .await?;
    Ok(web::Json(answer))
}

/// Returns a handed-over person to the employer with a reason; nobody is registered. When no item is left pending
/// the batch closes.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = ReturnRequest,
    params(("id" = i64, Path, description = "Batch id"), ("item_id" = i64, Path, description = "Item id")),
    responses((status = 200, body = BatchResponse), crate::openapi::WriteErrors))]
#[post("/handover-batches/{id}/items/{item_id}/return")]
pub async fn return_item(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: Json<ReturnRequest>,
) -> Result<web::Json<BatchResponse>, ApiError> {
    caller.require(Permission::RetireeWrite)?;
    let (batch_id, item_id) = path.into_inner();
    let c = caller.clone();
    let answer = crate::db::write(&state.pool, move |conn| {
        app::handover::items::return_item(conn, &c, batch_id, item_id, body.0)
    })
    .await?;
    Ok(web::Json(answer))
}
