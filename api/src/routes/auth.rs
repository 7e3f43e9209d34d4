//! `POST /auth/token` and `GET /auth/me`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Claims};
use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;

use app::accounts::login::{MeResponse, TokenRequest};

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
    /// Too many failed logins for this account or from this client address; retry after `Retry-After` seconds.
    #[response(status = 429, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait")),
        example = json!({"type": "urn:retiree-service:problem:login_throttled", "title": "请求过于频繁", "status": 429,
        "detail": "登录失败次数过多，请30秒后再试", "instance": "/api/v1/auth/token", "code": "login_throttled", "request_id": "a1b2c3"}))]
    TooMany(crate::error::Problem),
    /// Database busy.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(crate::error::Problem),
}

/// Issues an access token. Every attempt is counted per login name and per client address before the secret is
/// checked; from `LOGIN_MAX_FAILURES` failures in a row for a login name (`LOGIN_ADDRESS_MAX_FAILURES` from one
/// address) each further attempt waits a delay that doubles with each failure (429 with Retry-After); every
/// attempt is written to the audit log.
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
    let credentials = app::accounts::login::check_credentials(body.0)?;
    let client_ip = crate::client_address::of(&req);
    let request_id = crate::context::current().request_id;
    let cfg = &state.config;
    let throttle = throttle(cfg);
    let (issued, note) = crate::db::run(&state.pool, move |conn| {
        app::accounts::login::login_noted(conn, throttle, credentials, client_ip, request_id)
    })
    .await?;
    state.metrics.login(note);
    let issued = issued?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let ttl = state.config.token_ttl.as_secs();
    let claims = Claims {
        sub: issued.login,
        kind: issued.kind,
        role: issued.role,
        jurisdiction: issued.jurisdiction,
        iat: now,
        exp: now + ttl as i64,
        iss: state.config.jwt_issuer.clone(),
        aud: state.config.jwt_audience.clone(),
        generation: issued.generation,
    };
    let token = state.tokens.sign(&claims)?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(TokenResponse {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: ttl,
    }))
}

/// The throttle rules of the configuration (`LOGIN_*`).
fn throttle(cfg: &crate::config::Config) -> app::accounts::login::Throttle {
    let secs = |d: std::time::Duration| time::Duration::try_from(d).unwrap_or(time::Duration::MINUTE);
    let rule = |max_failures| app::accounts::login::ThrottleRule {
        max_failures,
        window: secs(cfg.login_failure_window),
        first_delay: secs(cfg.login_lock),
        max_delay: secs(cfg.login_lock_max),
    };
    app::accounts::login::Throttle {
        account: rule(cfg.login_max_failures),
        address: rule(cfg.login_address_max_failures),
    }
}

/// The current caller: account, role, jurisdiction and permissions.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses((status = 200, body = MeResponse), crate::openapi::ReadErrors))]
#[get("/auth/me")]
pub async fn me(caller: Caller) -> web::Json<MeResponse> {
    web::Json(app::accounts::login::me(&caller))
}
