//! `POST /auth/token` and `GET /auth/me`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use persistence::accounts;
use persistence::audit::{self, NewAuditEntry};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Claims, dummy_hash, verify_secret};
use crate::error::{ApiError, FieldError};
use crate::extract::Json;
use crate::state::AppState;

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

/// An access token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// Signed JWT.
    #[schema(example = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaXR5In0.sig")]
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until it expires.
    #[schema(example = 3600)]
    pub expires_in: u64,
}

/// Errors of the token endpoint.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum TokenErrors {
    /// Unreadable body.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(crate::error::Problem),
    /// Wrong credentials or a disabled account.
    #[response(status = 401, content_type = "application/problem+json", example = json!({
        "type": "urn:retiree-service:problem:invalid_credentials", "title": "未认证", "status": 401,
        "detail": "用户名或密码错误", "instance": "/api/v1/auth/token", "code": "invalid_credentials", "request_id": "a1b2c3"}))]
    Unauthorized(crate::error::Problem),
    /// Body over the limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(crate::error::Problem),
    /// Wrong `Content-Type`.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(crate::error::Problem),
    /// A field is missing or of the wrong type.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(crate::error::Problem),
    /// Too many failed logins for this account; retry after `Retry-After` seconds.
    #[response(status = 429, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait")),
        example = json!({"type": "urn:retiree-service:problem:login_throttled", "title": "请求过于频繁", "status": 429,
        "detail": "登录失败次数过多，请900秒后再试", "instance": "/api/v1/auth/token", "code": "login_throttled", "request_id": "a1b2c3"}))]
    TooMany(crate::error::Problem),
    /// Database busy.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(crate::error::Problem),
}

enum Outcome {
    Issued { login: String, kind: String, role: String, jurisdiction: String },
    Locked(i64),
    Refused,
}

/// Issues an access token. Repeated failures for one login name lock it for a while (429 with Retry-After);
/// every failure is written to the audit log.
#[utoipa::path(tag = "auth", request_body = TokenRequest, responses(
    (status = 200, body = TokenResponse, example = json!({"access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.e30.sig", "token_type": "Bearer", "expires_in": 3600})),
    TokenErrors
))]
#[post("/auth/token")]
pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let (kind, login, secret) = match body.0 {
        TokenRequest::Password { username, password } => ("user", username, password),
        TokenRequest::ClientCredentials { client_id, client_secret } => ("service", client_id, client_secret),
    };
    if login.trim().is_empty() || login.len() > 100 {
        let field = if kind == "user" { "/username" } else { "/client_id" };
        return Err(ApiError::field(FieldError::new(
            field,
            "length",
            "长度应为1至100个字符",
            "must be 1 to 100 characters",
        )));
    }
    let client_ip = req.connection_info().realip_remote_addr().map(str::to_owned);
    let request_id = crate::context::current().request_id;
    let cfg = state.config.clone();
    let outcome = crate::db::run(&state.pool, move |conn| -> Result<Outcome, ApiError> {
        let now = persistence::now_utc();
        let found = accounts::find_by_login(conn, &login)?;
        let scope_path = found.as_ref().map(|(_, p)| p.clone()).unwrap_or_else(|| "/".to_owned());
        let mut entry = NewAuditEntry {
            actor: login.clone(),
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
        if let Some(until) = accounts::locked_until(conn, &login, now)? {
            entry.outcome = "throttled".into();
            entry.detail = Some(serde_json::json!({"locked_until": until.assume_utc().unix_timestamp()}).to_string());
            audit::append(conn, &entry)?;
            return Ok(Outcome::Locked((until - now).whole_seconds().max(1)));
        }
        let ok = match &found {
            Some((account, _)) => {
                verify_secret(&secret, &account.secret_hash) && account.active && account.kind == kind
            }
            None => {
                let _ = verify_secret(&secret, dummy_hash());
                false
            }
        };
        persistence::write_tx(conn, |conn| -> Result<Outcome, ApiError> {
            if let (true, Some((account, _))) = (ok, &found) {
                accounts::clear_failures(conn, &login)?;
                audit::append(conn, &entry)?;
                return Ok(Outcome::Issued {
                    login: account.login.clone(),
                    kind: account.kind.clone(),
                    role: account.role.as_str().to_owned(),
                    jurisdiction: account.jurisdiction_code.clone(),
                });
            }
            let locked = accounts::register_failure(
                conn,
                &login,
                now,
                cfg.login_max_failures,
                time::Duration::try_from(cfg.login_failure_window).unwrap_or(time::Duration::MINUTE),
                time::Duration::try_from(cfg.login_lock).unwrap_or(time::Duration::MINUTE),
            )?;
            entry.outcome = "failed".into();
            entry.detail = Some(
                serde_json::json!({"reason": "invalid_credentials", "locked": locked.is_some(), "grant": kind})
                    .to_string(),
            );
            audit::append(conn, &entry)?;
            Ok(Outcome::Refused)
        })
    })
    .await?;
    match outcome {
        Outcome::Locked(secs) => Err(ApiError::too_many_requests(secs as u64)),
        Outcome::Refused => Err(ApiError::with(
            domain::ErrorCode::InvalidCredentials,
            if kind == "user" { "用户名或密码错误" } else { "客户端标识或密钥错误" },
            "the credentials are wrong or the account is disabled",
        )),
        Outcome::Issued { login, kind, role, jurisdiction } => {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let ttl = state.config.token_ttl.as_secs();
            let claims = Claims {
                sub: login,
                kind,
                role,
                jurisdiction,
                iat: now,
                exp: now + ttl as i64,
                iss: state.config.jwt_issuer.clone(),
                aud: state.config.jwt_audience.clone(),
            };
            let token = state.tokens.sign(&claims)?;
            Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(TokenResponse {
                access_token: token,
                token_type: "Bearer".into(),
                expires_in: ttl,
            }))
        }
    }
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

/// The current caller: account, role, jurisdiction and permissions.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses((status = 200, body = MeResponse), crate::openapi::ReadErrors))]
#[get("/auth/me")]
pub async fn me(caller: Caller) -> web::Json<MeResponse> {
    web::Json(MeResponse {
        id: caller.account_id,
        kind: caller.kind.clone(),
        login: caller.login.clone(),
        role: caller.role,
        jurisdiction: caller.jurisdiction_code.clone(),
        permissions: domain::Permission::ALL.iter().copied().filter(|p| caller.role.allows(*p)).collect(),
    })
}
