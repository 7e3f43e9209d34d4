//! Users and service accounts, managed by admins within their own subtree: create, list, read, change (role,
//! node, name, active, password), a service account's secret rotated. Logins, tokens and the caller of a request
//! are in [`login`]; hashes and new secrets in [`secrets`].

use domain::{ErrorCode, Role};
use persistence::accounts::{self as repo, Account, AccountChanges, KIND_SERVICE, KIND_USER, NewAccount};
use persistence::{DbConnection, RepoError, audit};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::check_name;
use crate::scope::{node_in_scope, path_of};

pub mod admin;
pub mod login;
pub mod secrets;

use secrets::{hash_secret, new_client_id, new_secret};

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
            created_at: a.created_at.assume_utc(),
            updated_at: a.updated_at.assume_utc(),
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
    /// The API view of a stored service account, with its secret when it was just made.
    pub fn new(a: Account, secret: Option<String>) -> Self {
        Self {
            id: a.id,
            client_id: a.login,
            name: a.display_name,
            role: a.role,
            jurisdiction: a.jurisdiction_code,
            active: a.active,
            client_secret: secret,
            version: a.version,
            created_at: a.created_at.assume_utc(),
            updated_at: a.updated_at.assume_utc(),
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
        errors.push(FieldError::of("/username", ErrorCode::UsernameFormat));
    }
}

fn check_password(value: &str, errors: &mut Vec<FieldError>) {
    let n = value.chars().count();
    if !(10..=128).contains(&n) {
        errors.push(FieldError::of("/password", ErrorCode::PasswordLength));
    }
}

/// A new user, checked.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Name shown to people.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Node.
    pub jurisdiction: String,
}

/// The checks of a new user: the username's characters and length, the password's length, the display name.
/// Every broken rule at once.
pub fn check_new_user(body: &CreateUserRequest) -> Result<NewUser, Vec<FieldError>> {
    let mut errors = Vec::new();
    check_username(&body.username, &mut errors);
    check_password(&body.password, &mut errors);
    let display_name = check_name("/display_name", &body.display_name, 100, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewUser {
        username: body.username.clone(),
        password: body.password.clone(),
        display_name,
        role: body.role,
        jurisdiction: body.jurisdiction.clone(),
    })
}

/// Changes to a user, checked.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// Name shown to people.
    pub display_name: Option<String>,
    /// Role.
    pub role: Option<Role>,
    /// Node.
    pub jurisdiction: Option<String>,
    /// Whether it may log in.
    pub active: Option<bool>,
    /// New password.
    pub password: Option<String>,
}

/// The checks of changes to a user: the display name and the new password, when given.
pub fn check_user_patch(body: UpdateUserRequest) -> Result<UserPatch, Vec<FieldError>> {
    let mut errors = Vec::new();
    let display_name = body.display_name.as_deref().map(|n| check_name("/display_name", n, 100, &mut errors));
    if let Some(p) = &body.password {
        check_password(p, &mut errors);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(UserPatch {
        display_name,
        role: body.role,
        jurisdiction: body.jurisdiction,
        active: body.active,
        password: body.password,
    })
}

/// The check of a new service account: its name.
pub fn check_new_service_account(body: &CreateServiceAccountRequest) -> Result<String, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = check_name("/name", &body.name, 100, &mut errors);
    if errors.is_empty() { Ok(name) } else { Err(errors) }
}

/// The check of changes to a service account: its name, when given.
pub fn check_service_account_patch(body: &UpdateServiceAccountRequest) -> Result<Option<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = body.name.as_deref().map(|n| check_name("/name", n, 100, &mut errors));
    if errors.is_empty() { Ok(name) } else { Err(errors) }
}

/// The account if its node lies in the caller's subtree (404 otherwise); returns it with that node's path.
fn account_in_scope(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: &str,
    id: i64,
) -> Result<(Account, String), AppError> {
    let (account, path) = repo::find_with_path(conn, kind, id)?;
    if caller.sees(&path) { Ok((account, path)) } else { Err(AppError::not_found()) }
}

fn login_taken(field: &str) -> AppError {
    AppError::with(ErrorCode::LoginTaken, format!("{field} 已被使用"), format!("{field} is taken"))
}

fn own_access(caller: &Caller, id: i64, changes: &AccountChanges) -> Result<(), AppError> {
    if caller.account_id == id
        && (changes.role.is_some() || changes.jurisdiction_code.is_some() || changes.active == Some(false))
    {
        return Err(AppError::field(FieldError::of("/role", ErrorCode::CannotChangeOwnAccess)));
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
) -> Result<(), AppError> {
    let mut entry = caller.audit(action, "account", account.id, path);
    entry.detail = Some(detail.to_string());
    audit::append(conn, &entry)?;
    Ok(())
}

/// Creates a user at a node of the admin's subtree (422 `jurisdiction_not_found` otherwise; 409 `login_taken`
/// when the username is used). Writes the account and the audit entry.
pub fn create_user(conn: &mut DbConnection, caller: &Caller, new: NewUser) -> Result<UserResponse, AppError> {
    node_in_scope(conn, caller, &new.jurisdiction, "/jurisdiction")?;
    if repo::find_by_login(conn, &new.username)?.is_some() {
        return Err(login_taken("username"));
    }
    let row = NewAccount {
        kind: KIND_USER.into(),
        login: new.username,
        secret_hash: hash_secret(&new.password)?,
        display_name: new.display_name,
        role: new.role.as_str().into(),
        jurisdiction_code: new.jurisdiction,
    };
    let account = repo::create(conn, &row).map_err(|e| match e {
        RepoError::Unique(_) => login_taken("username"),
        other => other.into(),
    })?;
    let path = path_of(conn, &account.jurisdiction_code)?;
    audit_account(
        conn,
        caller,
        "user.create",
        &account,
        &path,
        serde_json::json!({"username": account.login, "role": account.role, "jurisdiction": account.jurisdiction_code}),
    )?;
    Ok(account.into())
}

/// Users whose node lies in the admin's subtree, by id: up to `limit` after the id `after`.
pub fn list_users(
    conn: &mut DbConnection,
    caller: &Caller,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<UserResponse>, AppError> {
    Ok(repo::list(conn, KIND_USER, &caller.scope_path, after, limit)?.into_iter().map(Into::into).collect())
}

/// One user of the admin's subtree.
pub fn get_user(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<UserResponse, AppError> {
    Ok(account_in_scope(conn, caller, KIND_USER, id)?.0.into())
}

/// Changes a user of the admin's subtree (role, node, name, active, password); `if_match` is the version read
/// (`None`: any). Admins cannot change their own role or node or disable themselves (422
/// `cannot_change_own_access`).
pub fn update_user(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: crate::precondition::IfMatch,
    patch: UserPatch,
) -> Result<UserResponse, AppError> {
    let (account, _) = account_in_scope(conn, caller, KIND_USER, id)?;
    let expected = if_match.expect(account.version)?;
    if let Some(code) = &patch.jurisdiction {
        node_in_scope(conn, caller, code, "/jurisdiction")?;
    }
    let changes = AccountChanges {
        display_name: patch.display_name,
        role: patch.role.map(|r| r.as_str().to_owned()),
        jurisdiction_code: patch.jurisdiction,
        active: patch.active,
        secret_hash: match &patch.password {
            Some(p) => Some(hash_secret(p)?),
            None => None,
        },
        // A new password ends the tokens issued before it (issue 21.2).
        token_generation: patch.password.is_some().then_some(account.token_generation + 1),
    };
    own_access(caller, id, &changes)?;
    let updated = repo::update(conn, id, expected, &changes)?;
    let path = path_of(conn, &updated.jurisdiction_code)?;
    audit_account(
        conn,
        caller,
        "user.update",
        &updated,
        &path,
        serde_json::json!({
            "role": changes.role, "jurisdiction": changes.jurisdiction_code, "active": changes.active,
            "display_name": changes.display_name, "password_changed": changes.secret_hash.is_some()
        }),
    )?;
    Ok(updated.into())
}

/// Creates a service account at a node of the admin's subtree with a new client id and secret; the answer holds
/// the secret once.
pub fn create_service_account(
    conn: &mut DbConnection,
    caller: &Caller,
    name: String,
    role: Role,
    jurisdiction: &str,
) -> Result<ServiceAccountResponse, AppError> {
    node_in_scope(conn, caller, jurisdiction, "/jurisdiction")?;
    let secret = new_secret();
    let row = NewAccount {
        kind: KIND_SERVICE.into(),
        login: new_client_id(),
        secret_hash: hash_secret(&secret)?,
        display_name: name,
        role: role.as_str().into(),
        jurisdiction_code: jurisdiction.to_owned(),
    };
    let account = repo::create(conn, &row)?;
    let path = path_of(conn, &account.jurisdiction_code)?;
    audit_account(
        conn,
        caller,
        "service_account.create",
        &account,
        &path,
        serde_json::json!({"client_id": account.login, "role": account.role}),
    )?;
    Ok(ServiceAccountResponse::new(account, Some(secret)))
}

/// Service accounts whose node lies in the admin's subtree, by id: up to `limit` after the id `after`.
pub fn list_service_accounts(
    conn: &mut DbConnection,
    caller: &Caller,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<ServiceAccountResponse>, AppError> {
    let items = repo::list(conn, KIND_SERVICE, &caller.scope_path, after, limit)?;
    Ok(items.into_iter().map(|a| ServiceAccountResponse::new(a, None)).collect())
}

/// One service account of the admin's subtree (without its secret).
pub fn get_service_account(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
) -> Result<ServiceAccountResponse, AppError> {
    Ok(ServiceAccountResponse::new(account_in_scope(conn, caller, KIND_SERVICE, id)?.0, None))
}

/// Changes a service account of the admin's subtree; `name` is the checked new name, if any.
pub fn update_service_account(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: crate::precondition::IfMatch,
    name: Option<String>,
    patch: UpdateServiceAccountRequest,
) -> Result<ServiceAccountResponse, AppError> {
    let (account, _) = account_in_scope(conn, caller, KIND_SERVICE, id)?;
    let expected = if_match.expect(account.version)?;
    if let Some(code) = &patch.jurisdiction {
        node_in_scope(conn, caller, code, "/jurisdiction")?;
    }
    let changes = AccountChanges {
        display_name: name,
        role: patch.role.map(|r| r.as_str().to_owned()),
        jurisdiction_code: patch.jurisdiction,
        active: patch.active,
        secret_hash: None,
        token_generation: None,
    };
    own_access(caller, id, &changes)?;
    let updated = repo::update(conn, id, expected, &changes)?;
    let path = path_of(conn, &updated.jurisdiction_code)?;
    audit_account(
        conn,
        caller,
        "service_account.update",
        &updated,
        &path,
        serde_json::json!({
            "role": changes.role, "jurisdiction": changes.jurisdiction_code, "active": changes.active,
            "name": changes.display_name
        }),
    )?;
    Ok(ServiceAccountResponse::new(updated, None))
}

/// Replaces the secret of a service account of the admin's subtree; the answer holds the new one once.
pub fn rotate_secret(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: crate::precondition::IfMatch,
) -> Result<ServiceAccountResponse, AppError> {
    let (account, path) = account_in_scope(conn, caller, KIND_SERVICE, id)?;
    let expected = if_match.expect(account.version)?;
    let secret = new_secret();
    // The new secret ends the tokens issued with the old one (issue 21.2).
    let changes = AccountChanges {
        secret_hash: Some(hash_secret(&secret)?),
        token_generation: Some(account.token_generation + 1),
        ..AccountChanges::default()
    };
    let updated = repo::update(conn, id, expected, &changes)?;
    audit_account(conn, caller, "service_account.rotate_secret", &updated, &path, serde_json::json!({}))?;
    Ok(ServiceAccountResponse::new(updated, Some(secret)))
}
