//! The stored batches of a feed as the caller's subtree sees them: the list, one batch's answer, and its
//! unmatched and rejected lines. A batch is visible when it matched within the caller's subtree.

use persistence::DbConnection;
use persistence::feeds::{self as repo, FeedBatch};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{FeedKind, FeedLine, FeedLinks, links};
use crate::caller::Caller;
use crate::error::AppError;

/// A batch in a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedBatchItem {
    /// Id.
    pub id: i64,
    /// Kind of records.
    pub kind: FeedKind,
    /// The sender's batch id.
    pub batch_id: String,
    /// Login of the sender.
    pub submitted_by: String,
    /// Records read.
    pub records: i64,
    /// Records matched.
    pub matched: i64,
    /// Records applied.
    pub applied: i64,
    /// Records not matched.
    pub unmatched: i64,
    /// When it arrived.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// Links.
    pub links: FeedLinks,
}

/// A page of the batches of `kind` matched within the caller's subtree, newest first, before the batch `before`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: FeedKind,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<FeedBatchItem>, AppError> {
    let batches = repo::list_batches(conn, kind.as_str(), &caller.scope_path, before, limit)?;
    Ok(batches
        .into_iter()
        .map(|b| FeedBatchItem {
            id: b.id,
            kind,
            batch_id: b.batch_id,
            submitted_by: b.actor,
            records: b.records,
            matched: b.matched,
            applied: b.applied,
            unmatched: b.unmatched,
            received_at: b.received_at.assume_utc(),
            links: links(kind, b.id),
        })
        .collect())
}

/// The batch if the caller may see it: matched within the caller's subtree; otherwise 404.
fn visible(conn: &mut DbConnection, caller: &Caller, kind: FeedKind, id: i64) -> Result<FeedBatch, AppError> {
    let batch = repo::get_batch(conn, kind.as_str(), id)?;
    if caller.sees(&batch.scope_path) { Ok(batch) } else { Err(AppError::not_found()) }
}

/// The answer a batch was given (a [`super::FeedAnswer`] as stored, JSON).
pub fn answer(conn: &mut DbConnection, caller: &Caller, kind: FeedKind, id: i64) -> Result<String, AppError> {
    Ok(visible(conn, caller, kind, id)?.summary)
}

/// A page of the unmatched (`not_found`) and rejected (`date_in_future`) lines of a batch, by line, after the line
/// `after`.
pub fn unmatched(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: FeedKind,
    id: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<FeedLine>, AppError> {
    let batch = visible(conn, caller, kind, id)?;
    let lines = repo::unmatched_lines(conn, batch.id, None, after, limit)?;
    Ok(lines.into_iter().map(|l| FeedLine { line: l.line, id_number: l.id_number, reason: l.reason }).collect())
}
