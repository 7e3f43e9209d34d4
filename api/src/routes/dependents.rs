//! Dependents (供养直系亲属) of a retiree, tracked like retirees for certification (XM Art. 15; GUIDE 二). The use
//! cases are in [`app::retirees::dependents`].

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use domain::Permission;

use super::common::ok_with_etag;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, if_match};
use crate::state::AppState;

use app::retirees::dependents::DependentResponse;
use app::retirees::dependents::{CreateDependentRequest, UpdateDependentRequest};

/// Dependents of a retiree (the single-person view; audited).
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Retiree id")),
    responses((status = 200, body = Vec<DependentResponse>), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/dependents")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<Vec<DependentResponse>>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let items =
        crate::db::read_audited(&state, move |conn| app::retirees::dependents::list(conn, &c, today, id)).await?;
    Ok(web::Json(items))
}

/// Adds a dependent.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.write"])), request_body = CreateDependentRequest,
    params(("id" = i64, Path, description = "Retiree id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = DependentResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/retirees/{id}/dependents")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CreateDependentRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let id = path.into_inner();
    let body = body.0;
    let fingerprint = crate::idempotency::fingerprint(&format!("POST /retirees/{id}/dependents"), &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let dependent = app::retirees::dependents::create(conn, &c, today, id, &body)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/retirees/{id}/dependents/{}", dependent.id),
            version: dependent.version,
            body: serde_json::to_value(dependent).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// One dependent (audited).
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Retiree id"), ("dependent_id" = i64, Path, description = "Dependent id")),
    responses((status = 200, body = DependentResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/dependents/{dependent_id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let (id, dependent_id) = path.into_inner();
    let c = caller.clone();
    let dependent = crate::db::read_audited(&state, move |conn| {
        app::retirees::dependents::get_one(conn, &c, today, id, dependent_id)
    })
    .await?;
    Ok(ok_with_etag(&dependent, dependent.version))
}

/// Changes a dependent. Needs `If-Match`.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.write"])), request_body = UpdateDependentRequest,
    params(("id" = i64, Path, description = "Retiree id"), ("dependent_id" = i64, Path, description = "Dependent id"),
           ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 200, body = DependentResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[patch("/retirees/{id}/dependents/{dependent_id}")]
pub async fn update(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: Json<UpdateDependentRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let m = if_match(&req)?;
    let ids = path.into_inner();
    let patch = body.0;
    let c = caller.clone();
    let dependent =
        crate::db::write(&state.pool, move |conn| app::retirees::dependents::update(conn, &c, today, ids, m, &patch))
            .await?;
    Ok(ok_with_etag(&dependent, dependent.version))
}

/// Removes a dependent (entered in error). Needs `If-Match`.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.write"])),
    params(("id" = i64, Path, description = "Retiree id"), ("dependent_id" = i64, Path, description = "Dependent id"),
           ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 204, description = "Removed"), crate::openapi::WriteErrors))]
#[delete("/retirees/{id}/dependents/{dependent_id}")]
pub async fn remove(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeWrite)?;
    let m = if_match(&req)?;
    let ids = path.into_inner();
    let c = caller.clone();
    crate::db::write(&state.pool, move |conn| app::retirees::dependents::remove(conn, &c, ids, m)).await?;
    Ok(HttpResponse::NoContent().finish())
}
