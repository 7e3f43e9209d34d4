//! Stored first answers of POSTs with `Idempotency-Key` (api-guidelines "Shape"), keyed by the caller and the key:
//! the first answer is stored in the same transaction as the work; a replay with the same key and body gets it
//! again, the same key with another body is 422 `idempotency_key_reused`. `api` turns the answer into HTTP.

use domain::ErrorCode;
use persistence::DbConnection;
use persistence::idempotency::{self, StoredResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{AppError, Caller, FieldError};

/// An answer as it is stored and replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Its status.
    pub status: u16,
    /// `Location`, for creations and started jobs.
    pub location: Option<String>,
    /// `ETag` of the created resource (issue 21.9: replayed with the answer).
    pub etag: Option<String>,
    /// The JSON body.
    pub body: String,
}

/// Whether the work ran now or an earlier answer is replayed.
#[derive(Debug)]
pub enum Outcome<T> {
    /// The work ran in this transaction: its answer (stored when a key was given) and what else it made.
    Fresh(Answer, T),
    /// The key was used before with the same request: the first answer.
    Replay(Answer),
}

/// Hash of the operation and body that a key is bound to.
pub fn fingerprint<T: Serialize>(operation: &str, body: &T) -> String {
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update([0]);
    hasher.update(serde_json::to_vec(body).unwrap_or_default());
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whose keys these are: one caller's key never meets another's.
fn actor(caller: &Caller) -> String {
    format!("{}:{}", caller.kind, caller.login)
}

/// Runs `work` unless `key` was used before by `caller`; call it inside the write transaction (on PostgreSQL the
/// key is locked for the transaction, so concurrent requests with one key take turns and the later ones replay).
/// Without a key the work just runs.
pub fn once<T, E>(
    conn: &mut DbConnection,
    caller: &Caller,
    key: Option<&str>,
    fingerprint: &str,
    work: impl FnOnce(&mut DbConnection) -> Result<(Answer, T), E>,
) -> Result<Outcome<T>, E>
where
    E: From<AppError>,
{
    let actor = actor(caller);
    if let Some(key) = key
        && let Some(stored) = idempotency::find(conn, &actor, key).map_err(AppError::from)?
    {
        if stored.request_hash != fingerprint {
            return Err(AppError::field(FieldError::of("Idempotency-Key", ErrorCode::IdempotencyKeyReused)).into());
        }
        return Ok(Outcome::Replay(replayed(stored, &actor, key)?));
    }
    let (answer, made) = work(conn)?;
    if let Some(key) = key {
        let stored = StoredResponse {
            request_hash: fingerprint.to_owned(),
            status: i32::from(answer.status),
            location: answer.location.clone(),
            body: answer.body.clone(),
            etag: answer.etag.clone(),
        };
        idempotency::store(conn, &actor, key, &stored).map_err(AppError::from)?;
    }
    Ok(Outcome::Fresh(answer, made))
}

/// The stored answer; a status that is no HTTP status is [`persistence::RepoError::Corrupt`] (500), not a 200.
fn replayed(stored: StoredResponse, actor: &str, key: &str) -> Result<Answer, AppError> {
    let status = u16::try_from(stored.status).ok().filter(|s| (100..=999).contains(s)).ok_or_else(|| {
        persistence::typed::corrupt("idempotency_keys", format!("{actor}/{key}"), "status", stored.status)
    })?;
    Ok(Answer { status, location: stored.location, body: stored.body, etag: stored.etag })
}
