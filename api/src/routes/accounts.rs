//! Users and service accounts, managed by admins within their own subtree.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use domain::Permission;

use super::common::PageQuery;
use super::common::{Page, finish, next_cursor, ok_with_etag};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, if_match, page};
use crate::state::AppState;

use app::accounts::{
    CreateServiceAccountRequest, CreateUserRequest, ServiceAccountResponse, UpdateServiceAccountRequest,
    UpdateUserRequest, UserResponse,
};

/// Creates a user in the admin's subtree.
#[utoipa::path(tag = "accounts", security(("bearer" = ["account.manage"])), request_body = CreateUserRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = UserResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/users")]
pub async fn create_user(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::AccountManage)?;
    let body = body.0;
    let new = app::accounts::check_new_user(&body).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /users", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let user = app::accounts::create_user(conn, &c, new)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/users/{}", user.id),
            version: user.version,
            body: serde_json::to_value(user).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Users whose node lies in the admin's subtree, by id.
#[utoipa::path(tag = "accounts", security(("bearer" = ["account.manage"])), params(PageQuery),
    responses((status = 200, body = Page<UserResponse>), crate::openapi::ReadErrors))]
#[get("/users")]
pub async fn list_users(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<UserResponse>>, ApiError> {
    caller.require(Permission::AccountManage)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("user", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| app::accounts::list_users(conn, &c, after, limit)).await?;
    let next = next_cursor(&items, limit, "user", |a| a.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One user.
#[utoipa::path(tag = "accounts", security(("bearer" = ["account.manage"])), params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/users/{id}")]
pub async fn get_user(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::AccountManage)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let user = crate::db::run(&state.pool, move |conn| app::accounts::get_user(conn, &c, id)).await?;
    let version = user.version;
    Ok(ok_with_etag(&user, version))
}

/// Changes a user (role, node, name, active, password). Needs `If-Match`.
#[utoipa::path(tag = "accounts", security(("bearer" = ["account.manage"])), request_body = UpdateUserRequest,
    params(("id" = i64, Path, description = "User id"), ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 200, body = UserResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[patch("/users/{id}")]
pub async fn update_user(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::AccountManage)?;
    let if_match = if_match(&req)?;
    let patch = app::accounts::check_user_patch(body.0).map_err(ApiError::validation)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let user =
        crate::db::write(&state.pool, move |conn| app::accounts::update_user(conn, &c, id, if_match, patch)).await?;
    let version = user.version;
    Ok(ok_with_etag(&user, version))
}

/// Creates a service account; the answer holds its secret once.
#[utoipa::path(tag = "accounts", security(("bearer" = ["account.manage"])), request_body = CreateServiceAccountRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = ServiceAccountResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/service-accounts")]
pub async fn create_service_account(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateServiceAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::AccountManage)?;
    let body = body.0;
    let name = app::accounts::check_new_service_account(&body).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /service-accounts", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let account = app::accounts::create_service_account(conn, &c, name, body.role, &body.jurisdiction)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/service-accounts/{}", account.id),
            version: account.version,
            body: serde_json::to_value(account).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Service accounts whose node lies in the admin's subtree, by id.
#[utoipa::path(tag = "accounts", security(("bearer" = ["account.manage"])), params(PageQuery),
    responses((status = 200, body = Page<ServiceAccountResponse>), crate::openapi::ReadErrors))]
#[get("/service-accounts")]
pub async fn list_service_accounts(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<ServiceAccountResponse>>, ApiError> {
    caller.require(Permission::AccountManage)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("service", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::accounts::list_service_accounts(conn, &c, after, limit)).await?;
    let next = next_cursor(&items, limit, "service", |a| a.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One service account (without its secret).
#[utoipa::path(tag = "accounts", security(("bearer" = ["account.manage"])), params(("id" = i64, Path, description = "Service account id")),
    responses((status = 200, body = ServiceAccountResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/service-accounts/{id}")]
pub async fn get_service_account(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::AccountManage)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let account = crate::db::run(&state.pool, move |conn| app::accounts::get_service_account(conn, &c, id)).await?;
    let version = account.version;
    Ok(ok_with_etag(&account, version))
}

/// Changes a service account. Needs `If-Match`.
#[utoipa::path(tag = "accounts", security(("bearer" = ["account.manage"])), request_body = UpdateServiceAccountRequest,
    params(("id" = i64, Path, description = "Service account id"), ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 200, body = ServiceAccountResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[patch("/service-accounts/{id}")]
pub async fn update_service_account(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<UpdateServiceAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::AccountManage)?;
    let if_match = if_match(&req)?;
    let patch = body.0;
    let name = app::accounts::check_service_account_patch(&patch).map_err(ApiError::validation)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let account = crate::db::write(&state.pool, move |conn| {
        app::accounts::update_service_account(conn, &c, id, if_match, name, patch)
    })
    .await?;
    let version = account.version;
    Ok(ok_with_etag(&account, version))
}

/// Replaces a service account's secret; the answer holds the new one once. Needs `If-Match`.
#[utoipa::path(tag = "accounts", security(("bearer" = ["account.manage"])),
    params(("id" = i64, Path, description = "Service account id"), ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 200, body = ServiceAccountResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/service-accounts/{id}/rotate-secret")]
pub async fn rotate_secret(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::AccountManage)?;
    let if_match = if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let account =
        crate::db::write(&state.pool, move |conn| app::accounts::rotate_secret(conn, &c, id, if_match)).await?;
    let version = account.version;
    Ok(ok_with_etag(&account, version))
}
