//! Digitisation batches of personnel archives (数字化批次; issue 23; XM Art. 16; JN Art. 8(7)): send a repository's
//! archives for scanning, record the archives back digitised, complete or cancel, list and read. The use cases are
//! in [`app::archives::batches`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::archive_batch::BatchStatus;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, enum_filter, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;

use app::archives::batches::{
    DigitisationBatchCancelRequest, DigitisationBatchCompleteRequest, DigitisationBatchRequest, DigitisationBatchView,
    DigitisationResultsRequest,
};

const CURSOR: &str = "ab";

/// Sends archives of one repository for scanning (XM Art. 16 "推进人事档案数字化"; JN Art. 8(7)) (`archive.manage`):
/// who scans (`vendor`), who handles it (`operator`), the day sent. Every archive must be placed in the repository
/// (422 `invalid_value`), in store (`archive_wrong_status`), not digitised (`archive_digitised`) and not in another
/// open batch (`archive_in_batch`), each at `/archive_ids/<i>`; an archive outside the subtree `archive_not_found`;
/// the repository outside it `repository_not_found`. Audited `archive_batch.create`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = DigitisationBatchRequest,
    responses((status = 201, body = DigitisationBatchView, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::WriteErrors))]
#[post("/archive-digitisation-batches")]
pub async fn create_batch(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<DigitisationBatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let c = caller.0.clone();
    let body = body.0;
    let v = crate::db::write(&state.pool, move |conn| app::archives::batches::create(conn, &c, today, body)).await?;
    Ok(crate::routes::common::created_with_etag(
        format!("/api/v1/archive-digitisation-batches/{}", v.id),
        &v,
        v.version,
    ))
}

/// Filters of the batch list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchListQuery {
    /// Status (`open`, `completed`, `cancelled`).
    pub status: Option<String>,
    /// Only batches of this repository.
    pub repository_id: Option<i64>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The digitisation batches of repositories in the caller's subtree, by id, each with its progress (the summary
/// roles).
#[utoipa::path(tag = "archives", security(("bearer" = ["retiree.read"]), ("bearer" = ["archive.read_materials"]), ("bearer" = ["archive.manage"])),
    params(BatchListQuery), responses((status = 200, body = Page<DigitisationBatchView>), crate::openapi::ReadErrors))]
#[get("/archive-digitisation-batches")]
pub async fn list_batches(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<BatchListQuery>,
) -> Result<web::Json<Page<DigitisationBatchView>>, ApiError> {
    app::archives::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let status = enum_filter("status", q.status.as_deref(), BatchStatus::parse, BatchStatus::codes(), &mut errors);
    finish(errors)?;
    let lq = app::archives::batches::BatchListQuery { status, repository_id: q.repository_id, after, limit };
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| app::archives::batches::list(conn, &c, lq)).await?;
    let next = next_cursor(&items, limit, CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One digitisation batch with its archives, their results and its progress. Outside the subtree: 404.
#[utoipa::path(tag = "archives", security(("bearer" = ["retiree.read"]), ("bearer" = ["archive.read_materials"]), ("bearer" = ["archive.manage"])),
    params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, body = DigitisationBatchView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/archive-digitisation-batches/{id}")]
pub async fn get_batch(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app::archives::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::run(&state.pool, move |conn| app::archives::batches::get(conn, &c, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Records archives back digitised while the batch runs (`archive.manage`): per archive of the batch (else 422
/// `not_in_batch`), once, its pages by reference (`https://` URI, page count, `sha256:` checksum). The archive's
/// digitised copy and date are set in the same transaction (audited `archive.digitise`, emits `archive.digitised`).
/// A batch completed or cancelled: 409 `batch_wrong_status`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = DigitisationResultsRequest,
    params(("id" = i64, Path, description = "Batch id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = DigitisationBatchView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archive-digitisation-batches/{id}/results")]
pub async fn record_results(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<DigitisationResultsRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let if_match = crate::extract::optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = body.0;
    let v = crate::db::write(&state.pool, move |conn| {
        app::archives::batches::add_results(conn, &c, today, id, if_match, body)
    })
    .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Completes a batch (`archive.manage`), with its last results if any; archives without a result stay not
/// digitised. Not open: 409 `batch_wrong_status`. Audited `archive_batch.complete`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = DigitisationBatchCompleteRequest,
    params(("id" = i64, Path, description = "Batch id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = DigitisationBatchView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archive-digitisation-batches/{id}/complete")]
pub async fn complete_batch(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<DigitisationBatchCompleteRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let if_match = crate::extract::optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = body.0;
    let v = crate::db::write(&state.pool, move |conn| {
        app::archives::batches::complete(conn, &c, today, id, if_match, body)
    })
    .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Cancels a batch with a reason (`archive.manage`): archives digitised stay so, the others are released for another
/// batch. Not open: 409 `batch_wrong_status`. Audited `archive_batch.cancel`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = DigitisationBatchCancelRequest,
    params(("id" = i64, Path, description = "Batch id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = DigitisationBatchView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archive-digitisation-batches/{id}/cancel")]
pub async fn cancel_batch(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<DigitisationBatchCancelRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let if_match = crate::extract::optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = body.0;
    let v =
        crate::db::write(&state.pool, move |conn| app::archives::batches::cancel(conn, &c, today, id, if_match, body))
            .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}
