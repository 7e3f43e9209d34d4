//! Creating POSTs with `Idempotency-Key`: the first answer is stored in the same transaction as the creation;
//! a replay with the same key and body gets it again, the same key with another body is 422.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use persistence::DbConnection;
use persistence::idempotency::{self, StoredResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// What a creation produced.
pub struct Created {
    /// `Location` of the new resource.
    pub location: String,
    /// Its version (ETag).
    pub version: i64,
    /// The body.
    pub body: serde_json::Value,
}

impl Created {
    fn into_stored(self, request_hash: String) -> (StoredResponse, Option<i64>) {
        (
            StoredResponse { request_hash, status: 201, location: Some(self.location), body: self.body.to_string() },
            Some(self.version),
        )
    }
}

/// A POST that stores its answer under `Idempotency-Key` (imports: 200 without `Location`).
pub struct Answered {
    /// Status.
    pub status: u16,
    /// Body.
    pub body: serde_json::Value,
}

/// Hash of the operation and body that a key is bound to.
pub fn fingerprint<T: Serialize>(operation: &str, body: &T) -> String {
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update([0]);
    hasher.update(serde_json::to_vec(body).unwrap_or_default());
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

enum Answer<T> {
    Fresh(StoredResponse, Option<i64>, T),
    Replay(StoredResponse),
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
    run(state, caller, key, fingerprint, move |conn, hash| create(conn).map(|c| c.into_stored(hash))).await
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
    run(state, caller, key, fingerprint, move |conn, hash| {
        work(conn).map(|a| {
            (
                StoredResponse {
                    request_hash: hash,
                    status: i32::from(a.status),
                    location: None,
                    body: a.body.to_string(),
                },
                None,
            )
        })
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
    run_inner(state, caller, key, fingerprint, move |conn, hash| {
        start(conn).map(|(location, body, started)| {
            let stored =
                StoredResponse { request_hash: hash, status: 202, location: Some(location), body: body.to_string() };
            (stored, None, started)
        })
    })
    .await
}

async fn run<F>(
    state: &AppState,
    caller: &Caller,
    key: Option<String>,
    fingerprint: String,
    create: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConnection, String) -> Result<(StoredResponse, Option<i64>), ApiError> + Send + 'static,
{
    run_inner(state, caller, key, fingerprint, move |conn, hash| create(conn, hash).map(|(s, v)| (s, v, ())))
        .await
        .map(|(response, _)| response)
}

async fn run_inner<F, T>(
    state: &AppState,
    caller: &Caller,
    key: Option<String>,
    fingerprint: String,
    create: F,
) -> Result<(HttpResponse, Option<T>), ApiError>
where
    F: FnOnce(&mut DbConnection, String) -> Result<(StoredResponse, Option<i64>, T), ApiError> + Send + 'static,
    T: Send + 'static,
{
    let actor = format!("{}:{}", caller.kind, caller.login);
    let answer = crate::db::write(&state.pool, move |conn| {
        if let Some(key) = &key
            && let Some(stored) = idempotency::find(conn, &actor, key)?
        {
            if stored.request_hash != fingerprint {
                return Err(ApiError::field(crate::error::FieldError::of(
                    "Idempotency-Key",
                    domain::ErrorCode::IdempotencyKeyReused,
                )));
            }
            return Ok(Answer::Replay(stored));
        }
        let (stored, version, made) = create(conn, fingerprint)?;
        if let Some(key) = &key {
            idempotency::store(conn, &actor, key, &stored)?;
        }
        Ok(Answer::Fresh(stored, version, made))
    })
    .await?;
    let (stored, version, made) = match answer {
        Answer::Fresh(stored, version, made) => (stored, version, Some(made)),
        Answer::Replay(stored) => (stored, None, None),
    };
    let replayed = made.is_none();
    let status = u16::try_from(stored.status).ok().and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    let mut builder = HttpResponse::build(status);
    if let Some(location) = stored.location {
        builder.insert_header((header::LOCATION, location));
    }
    if let Some(version) = version {
        builder.insert_header((header::ETAG, crate::extract::etag(version)));
    }
    if replayed {
        builder.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok((builder.content_type("application/json").body(stored.body), made))
}
