//! Users and service accounts, managed by admins within their own subtree.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use domain::{Permission, Role};
use persistence::accounts::{self as repo, Account, AccountChanges, KIND_SERVICE, KIND_USER, NewAccount};
use persistence::{DbConnection, audit, jurisdictions};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::common::{Page, check_name, finish, instant, next_cursor, node_in_scope, ok_with_etag};
use super::jurisdictions::PageQuery;
use crate::auth::{Caller, hash_secret};
use crate::error::{ApiError, FieldError};
use crate::extract::{IfMatch, Json, page};
use crate::state::AppState;

/// A user account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserResponse {
    /// Id.
    #[schema(example = 5)]
    pub id: i64,
    /// Login name.
    #[schema(example = "hongshan01")]
    pub username: String,
    /// Name shown to people.
    #[schema(example = "鸿山社区 王工作人员")]
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Jurisdiction node.
    #[schema(example = "350203001001")]
    pub jurisdiction: String,
    /// Whether it may log in.
    pub active: bool,
    /// Version (also the ETag).
    pub version: i64,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Account> for UserResponse {
    fn from(a: Account) -> Self {
        Self {
            id: a.id,
            username: a.login,
            display_name: a.display_name,
            role: a.role,
            jurisdiction: a.jurisdiction_code,
            active: a.active,
            version: a.version,
            created_at: instant(a.created_at),
            updated_at: instant(a.updated_at),
        }
    }
}

/// A service account (machine client).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceAccountResponse {
    /// Id.
    #[schema(example = 9)]
    pub id: i64,
    /// Client id for `client_credentials`.
    #[schema(example = "svc-4f9c2a7d1e0b")]
    pub client_id: String,
    /// What it is.
    #[schema(example = "市大数据平台")]
    pub name: String,
    /// Role.
    pub role: Role,
    /// Jurisdiction node.
    #[schema(example = "3502")]
    pub jurisdiction: String,
    /// Whether it may authenticate.
    pub active: bool,
    /// The secret, only in the answer that created or rotated it; store it now, it is not shown again.
    pub client_secret: Option<String>,
    /// Version (also the ETag).
    pub version: i64,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl ServiceAccountResponse {
    fn new(a: Account, secret: Option<String>) -> Self {
        Self {
            id: a.id,
            client_id: a.login,
            name: a.display_name,
            role: a.role,
            jurisdiction: a.jurisdiction_code,
            active: a.active,
            client_secret: secret,
            version: a.version,
            created_at: instant(a.created_at),
            updated_at: instant(a.updated_at),
        }
    }
}

/// A new user.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "hongshan01", "password": "a-long-passphrase", "display_name": "鸿山社区 王工作人员",
    "role": "community", "jurisdiction": "350203001001"}))]
pub struct CreateUserRequest {
    /// 3-50 letters, digits, `.`, `_` or `-`.
    pub username: String,
    /// 10-128 characters.
    pub password: String,
    /// Name shown to people.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Node in the admin's subtree.
    pub jurisdiction: String,
}

/// Changes to a user.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UpdateUserRequest {
    /// Name shown to people.
    pub display_name: Option<String>,
    /// Role.
    pub role: Option<Role>,
    /// Node in the admin's subtree.
    pub jurisdiction: Option<String>,
    /// Whether it may log in.
    pub active: Option<bool>,
    /// New password.
    pub password: Option<String>,
}

/// A new service account.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "市大数据平台", "role": "integration", "jurisdiction": "3502"}))]
pub struct CreateServiceAccountRequest {
    /// What it is.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Node in the admin's subtree.
    pub jurisdiction: String,
}

/// Changes to a service account.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UpdateServiceAccountRequest {
    /// What it is.
    pub name: Option<String>,
    /// Role.
    pub role: Option<Role>,
    /// Node in the admin's subtree.
    pub jurisdiction: Option<String>,
    /// Whether it may authenticate.
    pub active: Option<bool>,
}

fn check_username(value: &str, errors: &mut Vec<FieldError>) {
    let ok = (3..=50).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if !ok {
        errors.push(FieldError::new(
            "/username",
            "username_format",
            "用户名应为3至50个字母、数字或 . _ -",
            "username must be 3 to 50 letters, digits, '.', '_' or '-'",
        ));
    }
}

fn check_password(value: &str, errors: &mut Vec<FieldError>) {
    let n = value.chars().count();
    if !(10..=128).contains(&n) {
        errors.push(FieldError::new(
            "/password",
            "password_length",
            "密码长度应为10至128个字符",
            "password must be 10 to 128 characters",
        ));
    }
}

/// The account if its node lies in the caller's subtree; returns it with that node's path.
fn account_in_scope(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: &str,
    id: i64,
) -> Result<(Account, String), ApiError> {
    let (account, path) = repo::find_with_path(conn, kind, id)?;
    if caller.sees(&path) { Ok((account, path)) } else { Err(ApiError::not_found()) }
}

fn login_taken(field: &str) -> ApiError {
    ApiError::with(domain::ErrorCode::LoginTaken, format!("{field} 已被使用"), format!("{field} is taken"))
}

fn own_access(caller: &Caller, id: i64, changes: &AccountChanges) -> Result<(), ApiError> {
    if caller.account_id == id
        && (changes.role.is_some() || changes.jurisdiction_code.is_some() || changes.active == Some(false))
    {
        return Err(ApiError::field(FieldError::new(
            "/role",
            "cannot_change_own_access",
            "不能修改自己的角色、区划或停用自己",
            "you cannot change your own role or jurisdiction or disable yourself",
        )));
    }
    Ok(())
}

fn audit_account(
    conn: &mut DbConnection,
    caller: &Caller,
    action: &str,
    account: &Account,
    path: &str,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    let mut entry = caller.audit(action, "account", account.id, path);
    entry.detail = Some(detail.to_string());
    audit::append(conn, &entry)?;
    Ok(())
}

fn scope_path_of(conn: &mut DbConnection, code: &str) -> Result<String, ApiError> {
    Ok(jurisdictions::find(conn, code)?.path)
}

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
    let mut errors = Vec::new();
    check_username(&body.username, &mut errors);
    check_password(&body.password, &mut errors);
    let display_name = check_name("/display_name", &body.display_name, 100, &mut errors);
    finish(errors)?;
    let fingerprint = crate::idempotency::fingerprint("POST /users", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        node_in_scope(conn, &c, &body.jurisdiction, "/jurisdiction")?;
        if repo::find_by_login(conn, &body.username)?.is_some() {
            return Err(login_taken("username"));
        }
        let new = NewAccount {
            kind: KIND_USER.into(),
            login: body.username.clone(),
            secret_hash: hash_secret(&body.password)?,
            display_name,
            role: body.role.as_str().into(),
            jurisdiction_code: body.jurisdiction.clone(),
        };
        let account = repo::create(conn, &new).map_err(|e| match e {
            persistence::RepoError::Unique(_) => login_taken("username"),
            other => other.into(),
        })?;
        let path = scope_path_of(conn, &account.jurisdiction_code)?;
        audit_account(conn, &c, "user.create", &account, &path, serde_json::json!({"username": account.login, "role": account.role, "jurisdiction": account.jurisdiction_code}))?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/users/{}", account.id),
            version: account.version,
            body: serde_json::to_value(UserResponse::from(account)).map_err(ApiError::internal)?,
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
    let page = list_kind(&caller, &state, KIND_USER, &query).await?;
    Ok(web::Json(Page { next_cursor: page.1, items: page.0.into_iter().map(UserResponse::from).collect() }))
}

async fn list_kind(
    caller: &Caller,
    state: &AppState,
    kind: &'static str,
    query: &PageQuery,
) -> Result<(Vec<Account>, Option<String>), ApiError> {
    caller.require(Permission::AccountManage)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(kind, query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let scope = caller.scope_path.clone();
    let items = crate::db::run(&state.pool, move |conn| repo::list(conn, kind, &scope, after, limit)).await?;
    let next = next_cursor(&items, limit, kind, |a| a.id.to_string());
    Ok((items, next))
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
    let c = caller.clone();
    let (account, _) = crate::db::run(&state.pool, move |conn| account_in_scope(conn, &c, KIND_USER, id)).await?;
    let version = account.version;
    Ok(ok_with_etag(&UserResponse::from(account), version))
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
    let if_match = IfMatch::from_request(&req)?;
    let patch = body.0;
    let mut errors = Vec::new();
    let display_name = patch.display_name.as_deref().map(|n| check_name("/display_name", n, 100, &mut errors));
    if let Some(p) = &patch.password {
        check_password(p, &mut errors);
    }
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.clone();
    let account = crate::db::write(&state.pool, move |conn| {
        let (account, _) = account_in_scope(conn, &c, KIND_USER, id)?;
        let expected = if_match.expect(account.version)?;
        if let Some(code) = &patch.jurisdiction {
            node_in_scope(conn, &c, code, "/jurisdiction")?;
        }
        let changes = AccountChanges {
            display_name,
            role: patch.role.map(|r| r.as_str().to_owned()),
            jurisdiction_code: patch.jurisdiction.clone(),
            active: patch.active,
            secret_hash: match &patch.password {
                Some(p) => Some(hash_secret(p)?),
                None => None,
            },
        };
        own_access(&c, id, &changes)?;
        let updated = repo::update(conn, id, expected, &changes)?;
        let path = scope_path_of(conn, &updated.jurisdiction_code)?;
        audit_account(
            conn,
            &c,
            "user.update",
            &updated,
            &path,
            serde_json::json!({
                "role": changes.role, "jurisdiction": changes.jurisdiction_code, "active": changes.active,
                "display_name": changes.display_name, "password_changed": changes.secret_hash.is_some()
            }),
        )?;
        Ok(updated)
    })
    .await?;
    let version = account.version;
    Ok(ok_with_etag(&UserResponse::from(account), version))
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
}

fn new_client_id() -> String {
    let mut bytes = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    format!("svc-{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
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
    let mut errors = Vec::new();
    let name = check_name("/name", &body.name, 100, &mut errors);
    finish(errors)?;
    let fingerprint = crate::idempotency::fingerprint("POST /service-accounts", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        node_in_scope(conn, &c, &body.jurisdiction, "/jurisdiction")?;
        let secret = new_secret();
        let new = NewAccount {
            kind: KIND_SERVICE.into(),
            login: new_client_id(),
            secret_hash: hash_secret(&secret)?,
            display_name: name,
            role: body.role.as_str().into(),
            jurisdiction_code: body.jurisdiction.clone(),
        };
        let account = repo::create(conn, &new)?;
        let path = scope_path_of(conn, &account.jurisdiction_code)?;
        audit_account(
            conn,
            &c,
            "service_account.create",
            &account,
            &path,
            serde_json::json!({"client_id": account.login, "role": account.role}),
        )?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/service-accounts/{}", account.id),
            version: account.version,
            body: serde_json::to_value(ServiceAccountResponse::new(account, Some(secret)))
                .map_err(ApiError::internal)?,
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
    let page = list_kind(&caller, &state, KIND_SERVICE, &query).await?;
    Ok(web::Json(Page {
        next_cursor: page.1,
        items: page.0.into_iter().map(|a| ServiceAccountResponse::new(a, None)).collect(),
    }))
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
    let c = caller.clone();
    let (account, _) = crate::db::run(&state.pool, move |conn| account_in_scope(conn, &c, KIND_SERVICE, id)).await?;
    let version = account.version;
    Ok(ok_with_etag(&ServiceAccountResponse::new(account, None), version))
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
    let if_match = IfMatch::from_request(&req)?;
    let patch = body.0;
    let mut errors = Vec::new();
    let name = patch.name.as_deref().map(|n| check_name("/name", n, 100, &mut errors));
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.clone();
    let account = crate::db::write(&state.pool, move |conn| {
        let (account, _) = account_in_scope(conn, &c, KIND_SERVICE, id)?;
        let expected = if_match.expect(account.version)?;
        if let Some(code) = &patch.jurisdiction {
            node_in_scope(conn, &c, code, "/jurisdiction")?;
        }
        let changes = AccountChanges {
            display_name: name,
            role: patch.role.map(|r| r.as_str().to_owned()),
            jurisdiction_code: patch.jurisdiction.clone(),
            active: patch.active,
            secret_hash: None,
        };
        own_access(&c, id, &changes)?;
        let updated = repo::update(conn, id, expected, &changes)?;
        let path = scope_path_of(conn, &updated.jurisdiction_code)?;
        audit_account(conn, &c, "service_account.update", &updated, &path, serde_json::json!({
            "role": changes.role, "jurisdiction": changes.jurisdiction_code, "active": changes.active, "name": changes.display_name
        }))?;
        Ok(updated)
    })
    .await?;
    let version = account.version;
    Ok(ok_with_etag(&ServiceAccountResponse::new(account, None), version))
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
    let if_match = IfMatch::from_request(&req)?;
    let id = path.into_inner();
    let c = caller.clone();
    let (account, secret) = crate::db::write(&state.pool, move |conn| {
        let (account, path) = account_in_scope(conn, &c, KIND_SERVICE, id)?;
        let expected = if_match.expect(account.version)?;
        let secret = new_secret();
        let changes = AccountChanges { secret_hash: Some(hash_secret(&secret)?), ..AccountChanges::default() };
        let updated = repo::update(conn, id, expected, &changes)?;
        audit_account(conn, &c, "service_account.rotate_secret", &updated, &path, serde_json::json!({}))?;
        Ok((updated, secret))
    })
    .await?;
    let version = account.version;
    Ok(ok_with_etag(&ServiceAccountResponse::new(account, Some(secret)), version))
}
