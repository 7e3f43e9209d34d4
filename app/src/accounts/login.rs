//! Logging in and the caller of a request: the credentials of a user or a service account checked against the
//! stored hash, with the login throttle and an audit entry for every attempt; and the account behind a token
//! looked up on every request (its role and node as stored now, not as at token issue).

use domain::ErrorCode;
pub use persistence::accounts::ThrottleRule;
use persistence::accounts::{self, Claim, ThrottleKey};
use persistence::audit::{self, NewAuditEntry};
use persistence::{DbConnection, write_tx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::secrets::{dummy_hash, verify_secret};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};

/// Credentials: a user's password or a service account's client secret.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TokenRequest {
    /// A user logs in with username and password.
    #[schema(example = json!({"grant_type": "password", "username": "city", "password": "demo-password-2026"}))]
    Password {
        /// Username.
        username: String,
        /// Password.
        password: String,
    },
    /// A service account authenticates with its client id and secret.
    ClientCredentials {
        /// Client id.
        client_id: String,
        /// Client secret.
        client_secret: String,
    },
}

/// Credentials, checked: the kind of account they are for, the login and the secret.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `user` (password) or `service` (client credentials).
    pub kind: &'static str,
    /// Username or client id.
    pub login: String,
    /// Password or client secret.
    pub secret: String,
}

/// The check of a token request: the login 1-100 characters.
pub fn check_credentials(body: TokenRequest) -> Result<Credentials, AppError> {
    let (kind, login, secret) = match body {
        TokenRequest::Password { username, password } => ("user", username, password),
        TokenRequest::ClientCredentials { client_id, client_secret } => ("service", client_id, client_secret),
    };
    if login.trim().is_empty() || login.len() > 100 {
        let field = if kind == "user" { "/username" } else { "/client_id" };
        return Err(AppError::field(FieldError::with(
            field,
            ErrorCode::Length,
            "长度应为1至100个字符",
            "must be 1 to 100 characters",
        )));
    }
    Ok(Credentials { kind, login, secret })
}

/// The login throttle (issue 21.3): per login name and per client address, each attempt is counted before the
/// secret is checked; from the limit on each failure starts a delay that doubles with every further failure.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    /// Per login name: `LOGIN_MAX_FAILURES`, `LOGIN_FAILURE_WINDOW_SECONDS`, `LOGIN_LOCK_SECONDS` (first delay),
    /// `LOGIN_LOCK_MAX_SECONDS`.
    pub account: accounts::ThrottleRule,
    /// Per client address: `LOGIN_ADDRESS_MAX_FAILURES` with the same window and delays.
    pub address: accounts::ThrottleRule,
}

/// The account a token is issued to.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Login.
    pub login: String,
    /// `user` or `service`.
    pub kind: String,
    /// Role code.
    pub role: String,
    /// Jurisdiction code.
    pub jurisdiction: String,
    /// Generation of the account's credentials, for the token's `gen` claim ([`authenticate`] compares it).
    pub generation: i64,
}

enum Outcome {
    Issued(Issued),
    Locked(i64),
    /// A wrong secret; `true` when this failure started a lock of the login name.
    Refused(bool),
}

/// What a login attempt came to, for `/metrics` (issue 22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginNote {
    /// A token was issued.
    Success,
    /// Wrong credentials (or a disabled account); `locked` when this failure started a lock of the login name.
    InvalidCredentials {
        /// The failure reached `LOGIN_MAX_FAILURES`: further attempts wait.
        locked: bool,
    },
    /// Refused without a check while a delay runs (429).
    Throttled,
}

/// Checks credentials: the account must exist, be active, be of the kind asked for and its hash must match the
/// secret (an unknown login costs the same hash check). Each attempt is counted (per client address and per login
/// name) before the secret is checked; while a delay runs the attempt is refused with 429 and `Retry-After`
/// without a check; a wrong secret is 401 `invalid_credentials`. Every attempt is written to
/// the audit log, the failures too.
pub fn login(
    conn: &mut DbConnection,
    throttle: Throttle,
    credentials: Credentials,
    client_ip: Option<String>,
    request_id: String,
) -> Result<Issued, AppError> {
    login_noted(conn, throttle, credentials, client_ip, request_id)?.0
}

/// [`login`], with what the attempt came to (for `/metrics`); the outer error is a failure to record the attempt.
pub fn login_noted(
    conn: &mut DbConnection,
    throttle: Throttle,
    credentials: Credentials,
    client_ip: Option<String>,
    request_id: String,
) -> Result<(Result<Issued, AppError>, LoginNote), AppError> {
    let Credentials { kind, login, secret } = credentials;
    Ok(match attempt(conn, throttle, kind, &login, &secret, client_ip, request_id)? {
        Outcome::Issued(issued) => (Ok(issued), LoginNote::Success),
        Outcome::Locked(secs) => (Err(AppError::too_many_requests(secs.unsigned_abs())), LoginNote::Throttled),
        Outcome::Refused(locked) => (
            Err(AppError::with(
                ErrorCode::InvalidCredentials,
                if kind == "user" { "用户名或密码错误" } else { "客户端标识或密钥错误" },
                "the credentials are wrong or the account is disabled",
            )),
            LoginNote::InvalidCredentials { locked },
        ),
    })
}

fn attempt(
    conn: &mut DbConnection,
    throttle: Throttle,
    kind: &str,
    login: &str,
    secret: &str,
    client_ip: Option<String>,
    request_id: String,
) -> Result<Outcome, AppError> {
    let now = persistence::now_utc();
    let found = accounts::find_by_login(conn, login)?;
    let scope_path = found.as_ref().map(|(_, p)| p.clone()).unwrap_or_else(|| "/".to_owned());
    let address = client_ip.clone();
    let mut entry = NewAuditEntry {
        actor: login.to_owned(),
        actor_role: found.as_ref().map(|(a, _)| a.role.as_str().to_owned()),
        action: "auth.login".into(),
        object_type: "account".into(),
        object_id: found.as_ref().map(|(a, _)| a.id.to_string()),
        retiree_id: None,
        scope_path,
        outcome: "success".into(),
        client_ip,
        request_id: Some(request_id),
        detail: None,
    };
    // Counted before the secret is checked, atomically: first the client address, then the login name.
    let mut refused = None;
    if let Some(address) = &address
        && let Claim::Refused(until) = accounts::claim(conn, ThrottleKey::Address, address, now, &throttle.address)?
    {
        refused = Some(("address", until));
    }
    let mut locked = None;
    if refused.is_none() {
        match accounts::claim(conn, ThrottleKey::Login, login, now, &throttle.account)? {
            Claim::Refused(until) => refused = Some(("login", until)),
            Claim::Counted { locked_until, .. } => locked = locked_until,
        }
    }
    if let Some((by, until)) = refused {
        entry.outcome = "throttled".into();
        entry.detail = Some(
            serde_json::json!({"locked_until": until.assume_utc().unix_timestamp(), "throttled_by": by}).to_string(),
        );
        audit::append(conn, &entry)?;
        return Ok(Outcome::Locked((until - now).whole_seconds().max(1)));
    }
    let ok = match &found {
        Some((account, _)) => verify_secret(secret, &account.secret_hash) && account.active && account.kind == kind,
        None => {
            let _ = verify_secret(secret, dummy_hash());
            false
        }
    };
    write_tx(conn, |conn| -> Result<Outcome, AppError> {
        if let (true, Some((account, _))) = (ok, &found) {
            accounts::clear_failures(conn, login)?;
            if let Some(address) = &address {
                accounts::address_succeeded(conn, address)?;
            }
            audit::append(conn, &entry)?;
            return Ok(Outcome::Issued(Issued {
                login: account.login.clone(),
                kind: account.kind.clone(),
                role: account.role.as_str().to_owned(),
                jurisdiction: account.jurisdiction_code.clone(),
                generation: account.token_generation,
            }));
        }
        entry.outcome = "failed".into();
        entry.detail = Some(
            serde_json::json!({"reason": "invalid_credentials", "locked": locked.is_some(), "grant": kind}).to_string(),
        );
        audit::append(conn, &entry)?;
        Ok(Outcome::Refused(locked.is_some()))
    })
}

/// The caller behind a verified token for `login` of `kind`, issued for the credentials' `generation`: the
/// account as stored now (role, node, the path of its subtree). An unknown or disabled account, or one of another
/// kind, is 401 `account_inactive`; a token issued before the password was changed or the secret rotated (an older
/// generation) is 401 `invalid_token`, on every replica, since the generation is stored with the account.
pub fn authenticate(
    conn: &mut DbConnection,
    login: &str,
    kind: &str,
    generation: i64,
    client_ip: Option<String>,
    request_id: String,
) -> Result<Caller, AppError> {
    let account = token_account(conn, login)?;
    admit(account.as_ref(), kind, generation, client_ip, request_id)
}

/// What authentication needs of an account: what [`crate::hot_cache`] keeps per process (no secret hash).
#[derive(Debug, Clone)]
pub struct TokenAccount {
    /// Account id.
    pub id: i64,
    /// Login.
    pub login: String,
    /// `user` or `service`.
    pub kind: String,
    /// Role.
    pub role: domain::Role,
    /// Node.
    pub jurisdiction_code: String,
    /// Path of the node.
    pub scope_path: String,
    /// Whether it may act.
    pub active: bool,
    /// Generation of the credentials.
    pub token_generation: i64,
}

/// The account with `login` as authentication needs it; `None` when there is none.
pub fn token_account(conn: &mut DbConnection, login: &str) -> Result<Option<TokenAccount>, AppError> {
    Ok(accounts::find_by_login(conn, login)?.map(|(a, scope_path)| TokenAccount {
        id: a.id,
        login: a.login,
        kind: a.kind,
        role: a.role,
        jurisdiction_code: a.jurisdiction_code,
        scope_path,
        active: a.active,
        token_generation: a.token_generation,
    }))
}

/// The caller a token of `kind` and credentials `generation` stands for, if `account` admits it: it exists, is
/// active, of that kind, and its credentials have not changed since the token was issued.
pub fn admit(
    account: Option<&TokenAccount>,
    kind: &str,
    generation: i64,
    client_ip: Option<String>,
    request_id: String,
) -> Result<Caller, AppError> {
    let Some(account) = account else {
        return Err(AppError::of(ErrorCode::AccountInactive));
    };
    if !account.active || account.kind != kind {
        return Err(AppError::of(ErrorCode::AccountInactive));
    }
    if account.token_generation != generation {
        return Err(AppError::with(
            ErrorCode::InvalidToken,
            "密码或密钥已更改，此前签发的令牌已失效，请重新获取",
            "the password or secret was changed after this token was issued; get a new token",
        ));
    }
    Ok(Caller {
        account_id: account.id,
        login: account.login.clone(),
        kind: account.kind.clone(),
        role: account.role,
        jurisdiction_code: account.jurisdiction_code.clone(),
        scope_path: account.scope_path.clone(),
        client_ip,
        request_id,
    })
}

/// The caller as the service sees it now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    /// Account id.
    #[schema(example = 2)]
    pub id: i64,
    /// `user` or `service`.
    #[schema(example = "user")]
    pub kind: String,
    /// Username or client id.
    #[schema(example = "city")]
    pub login: String,
    /// Role.
    pub role: domain::Role,
    /// Jurisdiction node.
    #[schema(example = "3502")]
    pub jurisdiction: String,
    /// What the role may do.
    pub permissions: Vec<domain::Permission>,
}

/// The caller as the service sees it now: account, role, node and the role's permissions.
pub fn me(caller: &Caller) -> MeResponse {
    MeResponse {
        id: caller.account_id,
        kind: caller.kind.clone(),
        login: caller.login.clone(),
        role: caller.role,
        jurisdiction: caller.jurisdiction_code.clone(),
        permissions: domain::Permission::ALL.iter().copied().filter(|p| caller.role.allows(*p)).collect(),
    }
}
