//! Push subscriptions of the change feed for integration accounts (issue 11): registering, changing, pausing,
//! replaying and deleting them, and reading their delivery attempts. Targets must be on `WEBHOOK_ALLOWED_HOSTS`
//! (OWASP API7). Delivery itself is [`dispatch`].

pub mod dispatch;

use domain::ErrorCode;
use persistence::DbConnection;
use persistence::webhooks::{self as repo, Attempt, NewWebhook, Webhook, WebhookChange};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

pub use dispatch::{WebhookConfig, host_allowed};

use crate::events::parse_types;
use crate::input::check_text;
use crate::{AppError, Caller, FieldError};

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
            attempted_at: a.attempted_at.assume_utc(),
            outcome: a.outcome,
            status_code: a.status_code,
            response_excerpt: a.response_excerpt,
            error: a.error,
            duration_ms: a.duration_ms,
            replica: a.replica,
        }
    }
}

/// A subscription as its owner sees it (the secret only as a hint); stored event types that do not parse are
/// [`persistence::RepoError::Corrupt`].
pub fn webhook_response(w: Webhook) -> Result<WebhookResponse, AppError> {
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
        next_attempt_at: w.next_attempt_at.map(|t| t.assume_utc()),
        delivered: w.delivered,
        last_delivered_at: w.last_delivered_at.map(|t| t.assume_utc()),
        secret_hint: format!("…{tail}"),
        version: w.version,
        created_at: w.created_at.assume_utc(),
    })
}

fn check_url(text: &str, allowed_hosts: &[String], errors: &mut Vec<FieldError>) -> String {
    let text = text.trim();
    let field = "/url";
    if text.len() > 2048 {
        errors.push(FieldError::with(field, ErrorCode::Length, "最多2048个字符", "must be at most 2048 characters"));
        return String::new();
    }
    let Ok(url) = url::Url::parse(text) else {
        errors.push(FieldError::of(field, ErrorCode::InvalidUrl));
        return String::new();
    };
    if url.scheme() != "http" && url.scheme() != "https" {
        errors.push(FieldError::with(field, ErrorCode::InvalidUrl, "只支持 http 或 https", "must use http or https"));
    } else if !url.username().is_empty() || url.password().is_some() {
        errors.push(FieldError::with(
            field,
            ErrorCode::InvalidUrl,
            "URL 不能包含用户名或密码",
            "must not carry user info; use the secret",
        ));
    } else if !host_allowed(&url, allowed_hosts) {
        errors.push(FieldError::of(field, ErrorCode::WebhookHostNotAllowed));
    }
    url.to_string()
}

fn check_secret(field: &str, text: &str, errors: &mut Vec<FieldError>) {
    let n = text.chars().count();
    if !(32..=256).contains(&n) || text.chars().any(char::is_control) {
        errors.push(FieldError::of(field, ErrorCode::InvalidSecret));
    }
}

fn types_of(given: Option<Vec<String>>, errors: &mut Vec<FieldError>) -> Result<String, AppError> {
    let joined = given.unwrap_or_default().join(",");
    let types = parse_types("/event_types", Some(&joined), errors);
    serde_json::to_string(&types).map_err(AppError::internal)
}

fn finish(errors: Vec<FieldError>) -> Result<(), AppError> {
    if errors.is_empty() { Ok(()) } else { Err(AppError::validation(errors)) }
}

fn after_not_negative(after: Option<i64>, errors: &mut Vec<FieldError>) {
    if after.is_some_and(|a| a < 0) {
        errors.push(FieldError::of("/after", ErrorCode::Minimum));
    }
}

/// A checked new subscription.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    url: String,
    /// JSON array of the types.
    event_types: String,
    description: Option<String>,
    secret: String,
    after: Option<i64>,
}

impl NewSubscription {
    /// What an `Idempotency-Key` is bound to: the target, the types and the description (not the secret).
    pub fn fingerprint(&self) -> impl Serialize + '_ {
        (&self.url, &self.event_types, &self.description)
    }
}

/// Checks a new subscription against `allowed_hosts`, every broken rule at once (422); without a secret in the
/// request, the subscription gets `generate_secret()`.
pub fn check_new(
    body: CreateWebhookRequest,
    allowed_hosts: &[String],
    generate_secret: impl FnOnce() -> String,
) -> Result<NewSubscription, AppError> {
    let mut errors = Vec::new();
    let url = check_url(&body.url, allowed_hosts, &mut errors);
    let event_types = types_of(body.event_types, &mut errors)?;
    if let Some(s) = &body.secret {
        check_secret("/secret", s, &mut errors);
    }
    let description = check_text("/description", body.description.as_deref(), 200, &mut errors);
    after_not_negative(body.after, &mut errors);
    finish(errors)?;
    let secret = body.secret.unwrap_or_else(generate_secret);
    Ok(NewSubscription { url, event_types, description, secret, after: body.after })
}

/// Subscribes `caller` to the feed of their subtree, masked per their role, from `after` (default: the newest
/// event now); audited. The answer carries the secret, this once.
pub fn create(conn: &mut DbConnection, caller: &Caller, new: NewSubscription) -> Result<CreatedWebhook, AppError> {
    let cursor = match new.after {
        Some(a) => {
            crate::events::ensure_kept(conn, a)?;
            a
        }
        None => persistence::events::last_id(conn)?,
    };
    let now = persistence::now_utc();
    let w = repo::create(
        conn,
        &NewWebhook {
            url: new.url,
            event_types: new.event_types,
            secret: new.secret.clone(),
            description: new.description,
            owner_login: caller.login.clone(),
            owner_role: caller.role.as_str().to_owned(),
            scope_path: caller.scope_path.clone(),
            active: true,
            cursor,
            created_at: now,
            updated_at: now,
        },
    )?;
    let mut entry = caller.audit("webhook.create", "webhook", w.id, &caller.scope_path);
    entry.detail = Some(serde_json::json!({ "url": w.url, "event_types": w.types()?, "after": cursor }).to_string());
    persistence::audit::append(conn, &entry)?;
    Ok(CreatedWebhook { webhook: webhook_response(w)?, secret: new.secret })
}

fn find_in_scope(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Webhook, AppError> {
    let w = repo::find(conn, id)?;
    if !caller.sees(&w.scope_path) {
        return Err(AppError::not_found());
    }
    Ok(w)
}

/// Subscriptions in `caller`'s subtree, by id, after `after`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<WebhookResponse>, AppError> {
    repo::list(conn, &caller.scope_path, after, limit)?.into_iter().map(webhook_response).collect()
}

/// One subscription in `caller`'s subtree (404 outside it).
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<WebhookResponse, AppError> {
    webhook_response(find_in_scope(conn, caller, id)?)
}

/// Checked changes to a subscription.
#[derive(Debug, Clone, Default)]
pub struct Changes(WebhookChange);

/// Checks changes against `allowed_hosts`, every broken rule at once (422).
pub fn check_changes(body: UpdateWebhookRequest, allowed_hosts: &[String]) -> Result<Changes, AppError> {
    let mut errors = Vec::new();
    let mut change = WebhookChange::default();
    if let Some(u) = &body.url {
        change.url = Some(check_url(u, allowed_hosts, &mut errors));
    }
    if body.event_types.is_some() {
        change.event_types = Some(types_of(body.event_types, &mut errors)?);
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
    Ok(Changes(change))
}

/// Changes a subscription in `caller`'s subtree whose version is the one `If-Match` names (`*`: any); audited.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: crate::precondition::IfMatch,
    changes: Changes,
) -> Result<WebhookResponse, AppError> {
    let change = changes.0;
    let current = find_in_scope(conn, caller, id)?;
    let expected = if_match.expect(current.version)?;
    let w = repo::change(conn, id, expected, &change)?;
    let mut entry = caller.audit("webhook.update", "webhook", id, &current.scope_path);
    entry.detail = Some(
        serde_json::json!({ "url": change.url, "event_types": change.event_types, "active": change.active,
            "secret_changed": change.secret.is_some() })
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    webhook_response(w)
}

/// Deletes a subscription in `caller`'s subtree whose version is the one `If-Match` names (`*`: any), with its attempts;
/// audited.
pub fn remove(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: crate::precondition::IfMatch,
) -> Result<(), AppError> {
    let current = find_in_scope(conn, caller, id)?;
    let expected = if_match.expect(current.version)?;
    repo::delete(conn, id, expected)?;
    persistence::audit::append(conn, &caller.audit("webhook.delete", "webhook", id, &current.scope_path))?;
    Ok(())
}

/// Checks a replay request: `after` is not negative (422).
pub fn check_replay(body: &ReplayRequest) -> Result<i64, AppError> {
    let mut errors = Vec::new();
    after_not_negative(Some(body.after), &mut errors);
    finish(errors)?;
    Ok(body.after)
}

/// Replays from a cursor: every event after `after` is delivered again, in order; the failure count and the retry
/// wait are cleared. Audited with the cursor it came from.
pub fn replay(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: crate::precondition::IfMatch,
    after: i64,
) -> Result<WebhookResponse, AppError> {
    let current = find_in_scope(conn, caller, id)?;
    let expected = if_match.expect(current.version)?;
    crate::events::ensure_kept(conn, after)?;
    let change = WebhookChange {
        cursor: Some(after),
        failures: Some(0),
        next_attempt_at: Some(None),
        ..WebhookChange::default()
    };
    let w = repo::change(conn, id, expected, &change)?;
    let mut entry = caller.audit("webhook.replay", "webhook", id, &current.scope_path);
    entry.detail = Some(serde_json::json!({ "from": current.cursor, "after": after }).to_string());
    persistence::audit::append(conn, &entry)?;
    webhook_response(w)
}

/// Delivery attempts of a subscription in `caller`'s subtree, newest first, before the attempt `before`; of one
/// event when given.
pub fn attempts(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    event_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AttemptResponse>, AppError> {
    find_in_scope(conn, caller, id)?;
    Ok(repo::attempts(conn, id, event_id, before, limit)?.into_iter().map(Into::into).collect())
}
