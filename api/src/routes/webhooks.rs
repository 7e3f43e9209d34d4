//! `/webhooks`: push subscriptions of the change feed for integration accounts (issue 11). Deliveries are signed,
//! retried with backoff, in order per subscription, visible with their attempts, and can be replayed from a
//! cursor. Targets must be on `WEBHOOK_ALLOWED_HOSTS` (OWASP API7). The use cases are [`app::webhooks`].

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor, ok_with_etag};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, if_match, page};
use crate::state::AppState;
use app::webhooks::{
    AttemptResponse, CreateWebhookRequest, CreatedWebhook, ReplayRequest, UpdateWebhookRequest, WebhookResponse,
};

fn generated_secret() -> String {
    (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

/// Subscribes to the feed. Events of the caller's subtree are POSTed one at a time in commit order, each signed:
/// `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, with `X-Event-Id` for deduplication.
#[utoipa::path(tag = "events", security(("bearer" = ["webhook.manage"])), request_body(content = CreateWebhookRequest,
        example = json!({"url": "http://platform.xm.gov.cn/retiree-events", "event_types": ["pension.suspended"],
            "description": "医保系统"})),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = CreatedWebhook, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::CursorWriteErrors))]
#[post("/webhooks")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WebhookManage)?;
    let new = app::webhooks::check_new(body.0, &state.config.webhooks.allowed_hosts, generated_secret)?;
    let fingerprint = crate::idempotency::fingerprint("POST /webhooks", &new.fingerprint());
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let made = app::webhooks::create(conn, &c, new)?;
        let (id, version) = (made.webhook.id, made.webhook.version);
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/webhooks/{id}"),
            version,
            body: serde_json::to_value(made).map_err(ApiError::internal)?,
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
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| app::webhooks::list(conn, &c, after, limit)).await?;
    let next = next_cursor(&items, limit, "w", |w| w.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
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
    let c = caller.0.clone();
    let w = crate::db::run(&state.pool, move |conn| app::webhooks::get(conn, &c, id)).await?;
    Ok(ok_with_etag(&w, w.version))
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
    let if_match = if_match(&req)?;
    let id = path.into_inner();
    let changes = app::webhooks::check_changes(body.0, &state.config.webhooks.allowed_hosts)?;
    let c = caller.0.clone();
    let w = crate::db::write(&state.pool, move |conn| app::webhooks::update(conn, &c, id, if_match, changes)).await?;
    Ok(ok_with_etag(&w, w.version))
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
    let if_match = if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    crate::db::write(&state.pool, move |conn| app::webhooks::remove(conn, &c, id, if_match)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replays from a cursor: every event after `after` is delivered again, in order; the failure count and the
/// retry wait are cleared. Needs `If-Match`. A cursor below the retention mark is 410 `event_gone`: the events after
/// it were deleted, so the replay would skip them.
#[utoipa::path(tag = "events", security(("bearer" = ["webhook.manage"])), request_body = ReplayRequest,
    params(("id" = i64, Path, description = "Webhook id"), ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 200, body = WebhookResponse, headers(("ETag" = String))), crate::openapi::CursorWriteErrors))]
#[post("/webhooks/{id}/replay")]
pub async fn replay(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<ReplayRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WebhookManage)?;
    let if_match = if_match(&req)?;
    let id = path.into_inner();
    let after = app::webhooks::check_replay(&body.0)?;
    let c = caller.0.clone();
    let w = crate::db::write(&state.pool, move |conn| app::webhooks::replay(conn, &c, id, if_match, after)).await?;
    Ok(ok_with_etag(&w, w.version))
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
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::webhooks::attempts(conn, &c, id, event_id, before, limit)).await?;
    let next = next_cursor(&items, limit, "wa", |a| a.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}
