//! Creating POSTs with `Idempotency-Key`: the first answer is stored in the same transaction as the creation;
//! a replay with the same key and body gets it again, the same key with another body is 422. The stored-answer
//! rules are [`app::idempotency`]; this module turns answers into HTTP.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use app::db::DbConnection;
use app::idempotency::{Answer, Outcome};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

pub use app::idempotency::fingerprint;

/// What a creation produced.
pub struct Created {
    /// `Location` of the new resource.
    pub location: String,
    /// Its version (ETag).
    pub version: i64,
    /// The body.
    pub body: serde_json::Value,
}

/// A POST that stores its answer under `Idempotency-Key` (imports: 200 without `Location`).
pub struct Answered {
    /// Status.
    pub status: u16,
    /// Body.
    pub body: serde_json::Value,
}

/// Runs `create` in a write transaction unless `key` was used before by this caller.
pub async fn create<F>(
    state: &AppState,
    caller: &Caller,
    key: Option<String>,
    fingerprint: String,
    create: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<Created, ApiError> + Send + 'static,
{
    run(state, caller, key, fingerprint, move |conn| {
        create(conn).map(|c| {
            let etag = Some(crate::extract::etag(c.version));
            (Answer { status: 201, location: Some(c.location), body: c.body.to_string(), etag }, Some(c.version))
        })
    })
    .await
}

/// Runs a POST that answers 200 (imports) under the same `Idempotency-Key` rules.
pub async fn answer<F>(
    state: &AppState,
    caller: &Caller,
    key: Option<String>,
    fingerprint: String,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<Answered, ApiError> + Send + 'static,
{
    run(state, caller, key, fingerprint, move |conn| {
        work(conn).map(|a| (Answer { status: a.status, location: None, body: a.body.to_string(), etag: None }, None))
    })
    .await
}

/// Starts a job (imports): `start` records it and returns its `Location`, the 202 body to store and what the
/// caller needs to run it, which comes back only when it ran (`None` for a replay, whose job was started by the
/// first request).
pub async fn start<F, T>(
    state: &AppState,
    caller: &Caller,
    key: Option<String>,
    fingerprint: String,
    start: F,
) -> Result<(HttpResponse, Option<T>), ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<(String, serde_json::Value, T), ApiError> + Send + 'static,
    T: Send + 'static,
{
    run_inner(state, caller, key, fingerprint, move |conn| {
        start(conn).map(|(location, body, started)| {
            (Answer { status: 202, location: Some(location), body: body.to_string(), etag: None }, (None, started))
        })
    })
    .await
}

async fn run<F>(
    state: &AppState,
    caller: &Caller,
    key: Option<String>,
    fingerprint: String,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<(Answer, Option<i64>), ApiError> + Send + 'static,
{
    run_inner(state, caller, key, fingerprint, move |conn| work(conn).map(|(a, v)| (a, (v, ()))))
        .await
        .map(|(response, _)| response)
}

/// Runs `work` under the key's rules; answers the HTTP response (with the `ETag` of a fresh creation, or
/// `Idempotent-Replayed: true`) and what the work made (`None` for a replay).
async fn run_inner<F, T>(
    state: &AppState,
    caller: &Caller,
    key: Option<String>,
    fingerprint: String,
    work: F,
) -> Result<(HttpResponse, Option<T>), ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<(Answer, (Option<i64>, T)), ApiError> + Send + 'static,
    T: Send + 'static,
{
    let c = caller.0.clone();
    let outcome =
        crate::db::write(&state.pool, move |conn| app::idempotency::once(conn, &c, key.as_deref(), &fingerprint, work))
            .await?;
    let (answer, version, made) = match outcome {
        Outcome::Fresh(answer, (version, made)) => (answer, version, Some(made)),
        Outcome::Replay(answer) => (answer, None, None),
    };
    let replayed = made.is_none();
    let status = StatusCode::from_u16(answer.status).map_err(ApiError::internal)?;
    let mut builder = HttpResponse::build(status);
    if let Some(location) = answer.location {
        builder.insert_header((header::LOCATION, location));
    }
    // A fresh creation and its replay carry the same ETag (the one stored with the key, issue 21.9).
    match (&answer.etag, version) {
        (Some(etag), _) => {
            builder.insert_header((header::ETAG, etag.clone()));
        }
        (None, Some(version)) => {
            builder.insert_header((header::ETAG, crate::extract::etag(version)));
        }
        (None, None) => {}
    }
    if replayed {
        builder.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok((builder.content_type("application/json").body(answer.body), made))
}
