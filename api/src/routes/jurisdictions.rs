//! The jurisdiction tree: read, list, children, history, create, rename, move.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use domain::{JurisdictionCode, Level, Permission, RuleViolation};
use persistence::audit;
use persistence::jurisdictions::{self as repo, Jurisdiction, NodeRow};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_name, enum_filter, finish, instant, next_cursor, node_in_scope, ok_with_etag};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{IfMatch, Json, page};
use crate::state::AppState;

/// A node of the tree.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JurisdictionResponse {
    /// Statistical division code.
    #[schema(example = "350203001001")]
    pub code: String,
    /// Registered name.
    #[schema(example = "鸿山社区居委会")]
    pub name: String,
    /// Level.
    pub level: Level,
    /// Parent code; `null` for a root.
    #[schema(example = "350203001")]
    pub parent_code: Option<String>,
    /// Version (also the ETag).
    #[schema(example = 1)]
    pub version: i64,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Jurisdiction> for JurisdictionResponse {
    fn from(j: Jurisdiction) -> Self {
        Self {
            level: j.level,
            code: j.code,
            name: j.name,
            parent_code: j.parent_code,
            version: j.version,
            created_at: instant(j.created_at),
            updated_at: instant(j.updated_at),
        }
    }
}

/// One entry of a node's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JurisdictionChangeResponse {
    /// `created`, `renamed`, `moved` or `imported`.
    #[schema(example = "moved")]
    pub change: String,
    /// Name before.
    pub old_name: Option<String>,
    /// Name after.
    pub new_name: Option<String>,
    /// Parent before.
    #[schema(example = "350203001")]
    pub old_parent_code: Option<String>,
    /// Parent after.
    #[schema(example = "350203003")]
    pub new_parent_code: Option<String>,
    /// Who.
    #[schema(example = "city")]
    pub actor: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub changed_at: OffsetDateTime,
}

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

/// Page parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
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
    let level = enum_filter("level", query.level.as_deref(), Level::parse, Level::codes(), &mut errors)
        .map(|l| l.as_str().to_owned());
    finish(errors)?;
    let name_prefix = query.name_prefix.clone().filter(|p| !p.is_empty());
    let scope = caller.scope_path.clone();
    let items = crate::db::run(&state.pool, move |conn| {
        repo::list_in_scope(conn, &scope, level.as_deref(), name_prefix.as_deref(), after.as_deref(), limit)
    })
    .await?;
    let next = next_cursor(&items, limit, CURSOR, |j| j.code.clone());
    Ok(web::Json(Page { items: items.into_iter().map(Into::into).collect(), next_cursor: next }))
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
    let scope = caller.scope_path.clone();
    let node = crate::db::run(&state.pool, move |conn| repo::find_in_scope(conn, &code, &scope)).await?;
    let version = node.version;
    Ok(ok_with_etag(&JurisdictionResponse::from(node), version))
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
    let scope = caller.scope_path.clone();
    let items = crate::db::run(&state.pool, move |conn| {
        repo::find_in_scope(conn, &code, &scope)?;
        repo::children(conn, &code, after.as_deref(), limit)
    })
    .await?;
    let next = next_cursor(&items, limit, CURSOR, |j| j.code.clone());
    Ok(web::Json(Page { items: items.into_iter().map(Into::into).collect(), next_cursor: next }))
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
    let scope = caller.scope_path.clone();
    let changes = crate::db::run(&state.pool, move |conn| {
        repo::find_in_scope(conn, &code, &scope)?;
        repo::history(conn, &code)
    })
    .await?;
    Ok(web::Json(
        changes
            .into_iter()
            .map(|c| JurisdictionChangeResponse {
                change: c.change,
                old_name: c.old_name,
                new_name: c.new_name,
                old_parent_code: c.old_parent_code,
                new_parent_code: c.new_parent_code,
                actor: c.actor,
                changed_at: instant(c.changed_at),
            })
            .collect(),
    ))
}

/// A new node under an existing one.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "350203001999", "name": "新建社区居委会", "parent_code": "350203001"}))]
pub struct CreateJurisdictionRequest {
    /// Statistical division code; its length sets the level (2, 4, 6, 9, 12 digits).
    pub code: String,
    /// Registered name.
    pub name: String,
    /// Parent node, in the caller's subtree.
    pub parent_code: String,
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
    let mut errors = Vec::new();
    let code = JurisdictionCode::parse(&body.code).map_err(|e| errors.push(FieldError::rule("/code", &e))).ok();
    let name = check_name("/name", &body.name, 100, &mut errors);
    let parent =
        JurisdictionCode::parse(&body.parent_code).map_err(|e| errors.push(FieldError::rule("/parent_code", &e))).ok();
    finish(errors)?;
    let (Some(code), Some(parent)) = (code, parent) else { return Err(ApiError::internal("unreachable")) };
    let fingerprint = crate::idempotency::fingerprint("POST /jurisdictions", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let parent_node = node_in_scope(conn, &c, parent.as_str(), "/parent_code")?;
        let parent_level = parent_node.level;
        if !code.level().may_be_child_of(parent_level) {
            return Err(ApiError::field(FieldError::new(
                "/parent_code",
                "parent_level",
                format!("{}级节点不能隶属于{}级节点", code.level().label_zh(), parent_level.label_zh()),
                format!("a {} cannot hang under a {}", code.level(), parent_level),
            )));
        }
        if repo::find(conn, code.as_str()).is_ok() {
            return Err(ApiError::of(domain::ErrorCode::JurisdictionCodeTaken));
        }
        let row = NodeRow {
            code: code.as_str().to_owned(),
            name: name.clone(),
            level: code.level().as_str().to_owned(),
            parent_code: Some(parent_node.code.clone()),
            path: domain::jurisdiction::child_path(Some(&parent_node.path), code.as_str()),
        };
        let node = repo::create(conn, &row, &c.login)?;
        let mut entry = c.audit("jurisdiction.create", "jurisdiction", &node.code, &node.path);
        entry.detail = Some(serde_json::json!({"name": node.name, "parent_code": node.parent_code}).to_string());
        audit::append(conn, &entry)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/jurisdictions/{}", node.code),
            version: node.version,
            body: serde_json::to_value(JurisdictionResponse::from(node)).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Fields of a node that may change.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "鸿山社区居民委员会"}))]
pub struct UpdateJurisdictionRequest {
    /// New registered name.
    pub name: String,
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
    let mut errors = Vec::new();
    let name = check_name("/name", &body.0.name, 100, &mut errors);
    finish(errors)?;
    let if_match = IfMatch::from_request(&req)?;
    let code = path.into_inner();
    let c = caller.clone();
    let node = crate::db::write(&state.pool, move |conn| {
        let node = repo::find_in_scope(conn, &code, &c.scope_path)?;
        let expected = if_match.expect(node.version)?;
        let updated = repo::rename(conn, &node, &name, expected, &c.login)?;
        let mut entry = c.audit("jurisdiction.rename", "jurisdiction", &node.code, &node.path);
        entry.detail =
            Some(serde_json::json!({"changes": {"name": {"from": node.name, "to": updated.name}}}).to_string());
        audit::append(conn, &entry)?;
        Ok(updated)
    })
    .await?;
    let version = node.version;
    Ok(ok_with_etag(&JurisdictionResponse::from(node), version))
}

/// Where to move a node.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"parent_code": "350203003"}))]
pub struct MoveJurisdictionRequest {
    /// The new parent (for a community: another street), in the caller's subtree.
    pub parent_code: String,
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
    let parent_code = JurisdictionCode::parse(&body.0.parent_code)
        .map_err(|e| ApiError::field(FieldError::rule("/parent_code", &e as &dyn RuleViolation)))?;
    let if_match = IfMatch::from_request(&req)?;
    let code = path.into_inner();
    let c = caller.clone();
    let node = crate::db::write(&state.pool, move |conn| {
        let node = repo::find_in_scope(conn, &code, &c.scope_path)?;
        let expected = if_match.expect(node.version)?;
        if node.path == c.scope_path {
            return Err(ApiError::forbidden());
        }
        let parent = node_in_scope(conn, &c, parent_code.as_str(), "/parent_code")?;
        let node_level = node.level;
        let parent_level = parent.level;
        if !node_level.may_be_child_of(parent_level) || parent.path.starts_with(&node.path) {
            return Err(ApiError::field(FieldError::new(
                "/parent_code",
                "parent_level",
                format!("{}级节点不能隶属于该节点", node_level.label_zh()),
                format!("a {node_level} cannot hang under {}", parent.code),
            )));
        }
        if node.parent_code.as_deref() == Some(parent.code.as_str()) {
            return Ok(node);
        }
        let moved = repo::move_to(conn, &node, &parent, expected, &c.login)?;
        let mut entry = c.audit("jurisdiction.move", "jurisdiction", &node.code, &moved.path);
        entry.detail = Some(
            serde_json::json!({"changes": {"parent_code": {"from": node.parent_code, "to": moved.parent_code}}})
                .to_string(),
        );
        audit::append(conn, &entry)?;
        Ok(moved)
    })
    .await?;
    let version = node.version;
    Ok(ok_with_etag(&JurisdictionResponse::from(node), version))
}
