//! `/webhooks`: push subscriptions of the change feed for integration accounts (issue 11). Deliveries are signed,
//! retried with backoff, in order per subscription, visible with their attempts, and can be replayed from a
//! cursor. Targets must be on `WEBHOOK_ALLOWED_HOSTS` (OWASP API7).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use domain::Permission;
use persistence::webhooks::{self as repo, Attempt, NewWebhook, Webhook, WebhookChange};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_text, finish, instant, next_cursor, ok_with_etag};
use super::events::parse_types;
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{IfMatch, Json, page};
use crate::state::AppState;

/// A new subscription.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// Where events are POSTed: `http` or `https`, a host on `WEBHOOK_ALLOWED_HOSTS`, no user info.
    #[schema(example = "http://platform.xm.gov.cn:8443/retiree-events")]
    pub url: String,
    /// Event types to deliver; all when absent or empty.
    #[schema(example = json!(["pension.suspended", "pension.resumed", "retiree.died"]))]
    pub event_types: Option<Vec<String>>,
    /// Shared secret for the signature, 32 to 256 characters; one is generated (and returned once) when absent.
    pub secret: Option<String>,
    /// What the subscription is for.
    #[schema(example = "医保系统：暂停与恢复发放")]
    pub description: Option<String>,
    /// Start after this event id (replays history); default: the newest event now (only new changes).
    pub after: Option<i64>,
}

/// Changes to a subscription.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// A new secret (32 to 256 characters).
    pub secret: Option<String>,
    pub description: Option<String>,
    /// `false` pauses delivery; `true` resumes it where it stopped.
    pub active: Option<bool>,
}

/// Replay: deliver again every event after `after`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// An event id (a feed cursor); `0` replays everything in the subscription's scope.
    #[schema(example = 1000)]
    pub after: i64,
}

/// A subscription.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookResponse {
    #[schema(example = 3)]
    pub id: i64,
    pub url: String,
    /// Subscribed types; empty: all.
    pub event_types: Vec<String>,
    pub description: Option<String>,
    /// The owner's login; events are those of the owner's subtree, masked per the owner's role.
    pub owner: String,
    /// `active`, `failing` (retrying with backoff) or `paused`.
    #[schema(example = "active")]
    pub status: String,
    pub active: bool,
    /// Last event acknowledged by the receiver (2xx).
    pub cursor: i64,
    /// Failed attempts since the last success.
    pub failures: i32,
    /// When the next attempt is due, while failing.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    /// Events acknowledged in all.
    pub delivered: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_delivered_at: Option<OffsetDateTime>,
    /// The last four characters of the secret.
    #[schema(example = "…9f3a")]
    pub secret_hint: String,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A new subscription, with its secret (shown this once).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookResponse,
    /// The signing secret.
    pub secret: String,
}

/// One delivery attempt.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttemptResponse {
    pub id: i64,
    pub event_id: i64,
    pub event_type: String,
    /// 1 for the first try of the event, 2 for the first retry …
    pub attempt: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub attempted_at: OffsetDateTime,
    /// `delivered` or `failed`.
    pub outcome: String,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i32>,
    /// The start of its answer (500 characters).
    pub response_excerpt: Option<String>,
    /// Why it failed without an answer (timeout, refused connection, host not allowed …).
    pub error: Option<String>,
    pub duration_ms: i64,
    /// Which replica delivered.
    pub replica: String,
}

impl From<Attempt> for AttemptResponse {
    fn from(a: Attempt) -> Self {
        Self {
            id: a.id,
            event_id: a.event_id,
            event_type: a.event_type,
            attempt: a.attempt,
            attempted_at: instant(a.attempted_at),
            outcome: a.outcome,
            status_code: a.status_code,
            response_excerpt: a.response_excerpt,
            error: a.error,
            duration_ms: a.duration_ms,
            replica: a.replica,
        }
    }
}

fn to_response(w: Webhook) -> Result<WebhookResponse, ApiError> {
    let status = if !w.active {
        "paused"
    } else if w.failures > 0 {
        "failing"
    } else {
        "active"
    };
    let tail: String = w.secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    Ok(WebhookResponse {
        id: w.id,
        url: w.url.clone(),
        event_types: w.types()?,
        description: w.description,
        owner: w.owner_login,
        status: status.to_owned(),
        active: w.active,
        cursor: w.cursor,
        failures: w.failures,
        next_attempt_at: w.next_attempt_at.map(instant),
        delivered: w.delivered,
        last_delivered_at: w.last_delivered_at.map(instant),
        secret_hint: format!("…{tail}"),
        version: w.version,
        created_at: instant(w.created_at),
    })
}

fn check_url(state: &AppState, text: &str, errors: &mut Vec<FieldError>) -> String {
    let text = text.trim();
    let err = |code: &str, zh: &str, en: &str| FieldError::new("/url", code, zh, en);
    if text.len() > 2048 {
        errors.push(err("length", "最多2048个字符", "must be at most 2048 characters"));
        return String::new();
    }
    let Ok(url) = url::Url::parse(text) else {
        errors.push(err("invalid_url", "不是有效的 URL", "is not a valid absolute URL"));
        return String::new();
    };
    if url.scheme() != "http" && url.scheme() != "https" {
        errors.push(err("invalid_url", "只支持 http 或 https", "must use http or https"));
    } else if !url.username().is_empty() || url.password().is_some() {
        errors.push(err("invalid_url", "URL 不能包含用户名或密码", "must not carry user info; use the secret"));
    } else if url.scheme() == "https" {
        errors.push(err(
            "webhook_scheme_not_supported",
            "本服务直接投递 http；https 请经由列入白名单的出口代理",
            "this service delivers over http; reach https receivers through an allow-listed egress proxy",
        ));
    } else if !crate::webhook_dispatch::host_allowed(&url, &state.config.webhooks.allowed_hosts) {
        errors.push(err(
            "webhook_host_not_allowed",
            "目标主机不在允许列表（WEBHOOK_ALLOWED_HOSTS）中",
            "the host is not on the allow-list (WEBHOOK_ALLOWED_HOSTS)",
        ));
    }
    url.to_string()
}

fn check_secret(field: &str, text: &str, errors: &mut Vec<FieldError>) {
    let n = text.chars().count();
    if !(32..=256).contains(&n) || text.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            "invalid_secret",
            "密钥应为32至256个可见字符",
            "the secret must be 32 to 256 visible characters",
        ));
    }
}

fn types_of(given: Option<Vec<String>>, errors: &mut Vec<FieldError>) -> String {
    let joined = given.unwrap_or_default().join(",");
    let types = parse_types("/event_types", Some(&joined), errors);
    serde_json::to_string(&types).unwrap_or_else(|_| "[]".into())
}

fn generated_secret() -> String {
    (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

fn find_in_scope(conn: &mut persistence::DbConnection, c: &Caller, id: i64) -> Result<Webhook, ApiError> {
    let w = repo::find(conn, id)?;
    if !c.sees(&w.scope_path) {
        return Err(ApiError::not_found());
    }
    Ok(w)
}

/// Subscribes to the feed. Events of the caller's subtree are POSTed one at a time in commit order, each signed:
/// `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, with `X-Event-Id` for deduplication.
#[utoipa::path(tag = "events", security(("bearer" = ["webhook.manage"])), request_body(content = CreateWebhookRequest,
        example = json!({"url": "http://platform.xm.gov.cn/retiree-events", "event_types": ["pension.suspended"],
            "description": "医保系统"})),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = CreatedWebhook, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::WriteErrors))]
#[post("/webhooks")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WebhookManage)?;
    let body = body.0;
    let mut errors = Vec::new();
    let url = check_url(&state, &body.url, &mut errors);
    let event_types = types_of(body.event_types, &mut errors);
    if let Some(s) = &body.secret {
        check_secret("/secret", s, &mut errors);
    }
    let description = check_text("/description", body.description.as_deref(), 200, &mut errors);
    if body.after.is_some_and(|a| a < 0) {
        errors.push(FieldError::new("/after", "minimum", "不能为负数", "must not be negative"));
    }
    finish(errors)?;
    let fingerprint = crate::idempotency::fingerprint("POST /webhooks", &(&url, &event_types, &description));
    let key = crate::extract::idempotency_key(&req)?;
    let secret = body.secret.unwrap_or_else(generated_secret);
    let after = body.after;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let cursor = match after {
            Some(a) => a,
            None => persistence::events::last_id(conn)?,
        };
        let now = persistence::now_utc();
        let w = repo::create(
            conn,
            &NewWebhook {
                url,
                event_types,
                secret: secret.clone(),
                description,
                owner_login: c.login.clone(),
                owner_role: c.role.as_str().to_owned(),
                scope_path: c.scope_path.clone(),
                active: true,
                cursor,
                created_at: now,
                updated_at: now,
            },
        )?;
        let mut entry = c.audit("webhook.create", "webhook", w.id, &c.scope_path);
        entry.detail =
            Some(serde_json::json!({ "url": w.url, "event_types": w.types()?, "after": cursor }).to_string());
        persistence::audit::append(conn, &entry)?;
        let (id, version) = (w.id, w.version);
        let body = CreatedWebhook { webhook: to_response(w)?, secret };
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/webhooks/{id}"),
            version,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Query of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebhookQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Subscriptions in the caller's subtree.
#[utoipa::path(tag = "events", security(("bearer" = ["webhook.manage"])), params(WebhookQuery),
    responses((status = 200, body = Page<WebhookResponse>), crate::openapi::ReadErrors))]
#[get("/webhooks")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<WebhookQuery>,
) -> Result<web::Json<Page<WebhookResponse>>, ApiError> {
    caller.require(Permission::WebhookManage)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("w", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let scope = caller.scope_path.clone();
    let items = crate::db::run(&state.pool, move |conn| repo::list(conn, &scope, after, limit)).await?;
    let next = next_cursor(&items, limit, "w", |w| w.id.to_string());
    Ok(web::Json(Page { items: items.into_iter().map(to_response).collect::<Result<_, _>>()?, next_cursor: next }))
}

/// One subscription with its delivery state.
#[utoipa::path(tag = "events", security(("bearer" = ["webhook.manage"])), params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, body = WebhookResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/webhooks/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WebhookManage)?;
    let id = path.into_inner();
    let c = caller.clone();
    let w = crate::db::run(&state.pool, move |conn| find_in_scope(conn, &c, id)).await?;
    let version = w.version;
    Ok(ok_with_etag(&to_response(w)?, version))
}

/// Changes a subscription (URL, types, secret, description; `active: false` pauses it). Needs `If-Match`.
#[utoipa::path(tag = "events", security(("bearer" = ["webhook.manage"])), request_body = UpdateWebhookRequest,
    params(("id" = i64, Path, description = "Webhook id"), ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 200, body = WebhookResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[patch("/webhooks/{id}")]
pub async fn update(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<UpdateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WebhookManage)?;
    let if_match = IfMatch::from_request(&req)?;
    let id = path.into_inner();
    let body = body.0;
    let mut errors = Vec::new();
    let mut change = WebhookChange::default();
    if let Some(u) = &body.url {
        change.url = Some(check_url(&state, u, &mut errors));
    }
    if body.event_types.is_some() {
        change.event_types = Some(types_of(body.event_types, &mut errors));
    }
    if let Some(s) = &body.secret {
        check_secret("/secret", s, &mut errors);
        change.secret = Some(s.clone());
    }
    if body.description.is_some() {
        change.description = Some(check_text("/description", body.description.as_deref(), 200, &mut errors));
    }
    change.active = body.active;
    finish(errors)?;
    let c = caller.clone();
    let w = crate::db::write(&state.pool, move |conn| {
        let current = find_in_scope(conn, &c, id)?;
        let expected = if_match.expect(current.version)?;
        let w = repo::change(conn, id, expected, &change)?;
        let mut entry = c.audit("webhook.update", "webhook", id, &current.scope_path);
        entry.detail = Some(
            serde_json::json!({ "url": change.url, "event_types": change.event_types, "active": change.active,
                "secret_changed": change.secret.is_some() })
            .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        Ok(w)
    })
    .await?;
    let version = w.version;
    Ok(ok_with_etag(&to_response(w)?, version))
}

/// Deletes a subscription and its attempts. Needs `If-Match`.
#[utoipa::path(tag = "events", security(("bearer" = ["webhook.manage"])),
    params(("id" = i64, Path, description = "Webhook id"), ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 204, description = "Deleted"), crate::openapi::WriteErrors))]
#[delete("/webhooks/{id}")]
pub async fn remove(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WebhookManage)?;
    let if_match = IfMatch::from_request(&req)?;
    let id = path.into_inner();
    let c = caller.clone();
    crate::db::write(&state.pool, move |conn| {
        let current = find_in_scope(conn, &c, id)?;
        let expected = if_match.expect(current.version)?;
        repo::delete(conn, id, expected)?;
        persistence::audit::append(conn, &c.audit("webhook.delete", "webhook", id, &current.scope_path))?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replays from a cursor: every event after `after` is delivered again, in order; the failure count and the
/// retry wait are cleared. Needs `If-Match`.
#[utoipa::path(tag = "events", security(("bearer" = ["webhook.manage"])), request_body = ReplayRequest,
    params(("id" = i64, Path, description = "Webhook id"), ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 200, body = WebhookResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/webhooks/{id}/replay")]
pub async fn replay(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<ReplayRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WebhookManage)?;
    let if_match = IfMatch::from_request(&req)?;
    let id = path.into_inner();
    let after = body.0.after;
    if after < 0 {
        return Err(ApiError::field(FieldError::new("/after", "minimum", "不能为负数", "must not be negative")));
    }
    let c = caller.clone();
    let w = crate::db::write(&state.pool, move |conn| {
        let current = find_in_scope(conn, &c, id)?;
        let expected = if_match.expect(current.version)?;
        let change = WebhookChange {
            cursor: Some(after),
            failures: Some(0),
            next_attempt_at: Some(None),
            ..WebhookChange::default()
        };
        let w = repo::change(conn, id, expected, &change)?;
        let mut entry = c.audit("webhook.replay", "webhook", id, &current.scope_path);
        entry.detail = Some(serde_json::json!({ "from": current.cursor, "after": after }).to_string());
        persistence::audit::append(conn, &entry)?;
        Ok(w)
    })
    .await?;
    let version = w.version;
    Ok(ok_with_etag(&to_response(w)?, version))
}

/// Query of the attempts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttemptQuery {
    /// Only the attempts of this event.
    pub event_id: Option<i64>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Delivery attempts of a subscription, newest first, with the receivers' answers.
#[utoipa::path(tag = "events", security(("bearer" = ["webhook.manage"])),
    params(("id" = i64, Path, description = "Webhook id"), AttemptQuery),
    responses((status = 200, body = Page<AttemptResponse>), crate::openapi::ReadErrors))]
#[get("/webhooks/{id}/attempts")]
pub async fn attempts(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<AttemptQuery>,
) -> Result<web::Json<Page<AttemptResponse>>, ApiError> {
    caller.require(Permission::WebhookManage)?;
    let id = path.into_inner();
    let mut errors = Vec::new();
    let (limit, before) = page::<i64>("wa", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let event_id = query.event_id;
    let c = caller.clone();
    let items = crate::db::run(&state.pool, move |conn| {
        find_in_scope(conn, &c, id)?;
        Ok::<_, ApiError>(repo::attempts(conn, id, event_id, before, limit)?)
    })
    .await?;
    let next = next_cursor(&items, limit, "wa", |a| a.id.to_string());
    Ok(web::Json(Page { items: items.into_iter().map(Into::into).collect(), next_cursor: next }))
}
