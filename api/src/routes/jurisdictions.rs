//! The jurisdiction tree: read, list, children, history, create, rename, move.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use domain::{Level, Permission};
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, PageQuery, enum_filter, finish, next_cursor, ok_with_etag};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, if_match, page};
use crate::state::AppState;

use app::jurisdictions::{
    CreateJurisdictionRequest, JurisdictionChangeResponse, JurisdictionResponse, MoveJurisdictionRequest,
    UpdateJurisdictionRequest,
};

/// List filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only nodes of this level (`city`, `district`, `street`, `community`, `province`).
    pub level: Option<String>,
    /// Only names starting with this text.
    pub name_prefix: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const CURSOR: &str = "j";

/// Nodes in the caller's subtree, by code.
#[utoipa::path(tag = "jurisdictions", security(("bearer" = ["jurisdiction.read"])), params(ListQuery),
    responses((status = 200, body = Page<JurisdictionResponse>), crate::openapi::ReadErrors))]
#[get("/jurisdictions")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<JurisdictionResponse>>, ApiError> {
    caller.require(Permission::JurisdictionRead)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<String>(CURSOR, query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    let level = enum_filter("level", query.level.as_deref(), Level::parse, Level::codes(), &mut errors);
    finish(errors)?;
    let name_prefix = query.name_prefix.clone().filter(|p| !p.is_empty());
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| {
        app::jurisdictions::list(conn, &c, level, name_prefix.as_deref(), after.as_deref(), limit)
    })
    .await?;
    let next = next_cursor(&items, limit, CURSOR, |j| j.code.clone());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One node (with its ETag).
#[utoipa::path(tag = "jurisdictions", security(("bearer" = ["jurisdiction.read"])), params(("code" = String, Path, description = "Division code")),
    responses((status = 200, body = JurisdictionResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/jurisdictions/{code}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::JurisdictionRead)?;
    let code = path.into_inner();
    let c = caller.0.clone();
    let node = crate::db::run(&state.pool, move |conn| app::jurisdictions::get(conn, &c, &code)).await?;
    let version = node.version;
    Ok(ok_with_etag(&node, version))
}

/// Children of a node, by code.
#[utoipa::path(tag = "jurisdictions", security(("bearer" = ["jurisdiction.read"])), params(("code" = String, Path, description = "Division code"), PageQuery),
    responses((status = 200, body = Page<JurisdictionResponse>), crate::openapi::ReadErrors))]
#[get("/jurisdictions/{code}/children")]
pub async fn children(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<JurisdictionResponse>>, ApiError> {
    caller.require(Permission::JurisdictionRead)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<String>(CURSOR, query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let code = path.into_inner();
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::jurisdictions::children(conn, &c, &code, after.as_deref(), limit))
            .await?;
    let next = next_cursor(&items, limit, CURSOR, |j| j.code.clone());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Changes to a node (creation, renames, moves, imports), oldest first.
#[utoipa::path(tag = "jurisdictions", security(("bearer" = ["jurisdiction.read"])), params(("code" = String, Path, description = "Division code")),
    responses((status = 200, body = Vec<JurisdictionChangeResponse>), crate::openapi::ReadErrors))]
#[get("/jurisdictions/{code}/history")]
pub async fn history(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<Vec<JurisdictionChangeResponse>>, ApiError> {
    caller.require(Permission::JurisdictionRead)?;
    let code = path.into_inner();
    let c = caller.0.clone();
    let changes = crate::db::run(&state.pool, move |conn| app::jurisdictions::history(conn, &c, &code)).await?;
    Ok(web::Json(changes))
}

/// Creates a node under a parent in the caller's subtree.
#[utoipa::path(tag = "jurisdictions", security(("bearer" = ["jurisdiction.write"])), request_body = CreateJurisdictionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = JurisdictionResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/jurisdictions")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateJurisdictionRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::JurisdictionWrite)?;
    let body = body.0;
    let new = app::jurisdictions::check_new(&body).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /jurisdictions", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let node = app::jurisdictions::create(conn, &c, new)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/jurisdictions/{}", node.code),
            version: node.version,
            body: serde_json::to_value(node).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Renames a node (history kept). Needs `If-Match`.
#[utoipa::path(tag = "jurisdictions", security(("bearer" = ["jurisdiction.write"])), request_body = UpdateJurisdictionRequest,
    params(("code" = String, Path, description = "Division code"), ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 200, body = JurisdictionResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[patch("/jurisdictions/{code}")]
pub async fn rename(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: Json<UpdateJurisdictionRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::JurisdictionWrite)?;
    let name = app::jurisdictions::check_rename(&body.0).map_err(ApiError::validation)?;
    let if_match = if_match(&req)?;
    let code = path.into_inner();
    let c = caller.0.clone();
    let node =
        crate::db::write(&state.pool, move |conn| app::jurisdictions::rename(conn, &c, &code, if_match, &name)).await?;
    let version = node.version;
    Ok(ok_with_etag(&node, version))
}

/// Moves a node (typically a community to another street) with its whole subtree; retirees follow their
/// community. History kept. Needs `If-Match`.
#[utoipa::path(tag = "jurisdictions", security(("bearer" = ["jurisdiction.write"])), request_body = MoveJurisdictionRequest,
    params(("code" = String, Path, description = "Division code"), ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 200, body = JurisdictionResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/jurisdictions/{code}/move")]
pub async fn move_node(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: Json<MoveJurisdictionRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::JurisdictionWrite)?;
    let parent_code = app::jurisdictions::check_move(&body.0).map_err(ApiError::field)?;
    let if_match = if_match(&req)?;
    let code = path.into_inner();
    let c = caller.0.clone();
    let node = crate::db::write(&state.pool, move |conn| {
        app::jurisdictions::move_node(conn, &c, &code, if_match, &parent_code)
    })
    .await?;
    let version = node.version;
    Ok(ok_with_etag(&node, version))
}
