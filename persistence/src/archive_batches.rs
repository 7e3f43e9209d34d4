//! Digitisation batches of personnel archives (数字化批次; issue 23; XM Art. 16; JN Art. 8(7)): a batch of one
//! repository's archives sent for scanning, seen from the subtree holding the repository's jurisdiction, and per
//! archive the result (the copy by reference).

use diesel::prelude::*;
use domain::archive_batch::BatchStatus;
use time::{Date, PrimitiveDateTime};

use crate::jurisdictions::in_subtree;
use crate::schema::{archive_batch_items, archive_batches, archive_repositories, archives, jurisdictions};
use crate::typed::Stored;
use crate::{DbConnection, RepoError, RepoResult};

/// A batch.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = archive_batches)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Batch {
    /// Id.
    pub id: i64,
    /// Repository whose archives it holds.
    pub repository_id: i64,
    /// Who scans (the vendor or the archive's own unit).
    pub vendor: String,
    /// Who handles it.
    pub operator: String,
    /// Day sent for scanning.
    pub started_on: Date,
    /// Day completed or cancelled.
    pub finished_on: Option<Date>,
    /// Status.
    #[diesel(deserialize_as = Stored<BatchStatus>)]
    pub status: BatchStatus,
    /// Note (the reason of a cancellation).
    pub note: Option<String>,
    /// Login that created it.
    pub created_by: String,
    /// When created.
    pub created_at: PrimitiveDateTime,
    /// Version (ETag).
    pub version: i64,
}

/// A new batch.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = archive_batches)]
pub struct NewBatch {
    /// Repository.
    pub repository_id: i64,
    /// Vendor.
    pub vendor: String,
    /// Operator.
    pub operator: String,
    /// Started on.
    pub started_on: Date,
    /// Status code.
    pub status: String,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// 1.
    pub version: i64,
}

/// An archive in a batch and its result.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = archive_batch_items)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct BatchItem {
    /// Id.
    pub id: i64,
    /// Batch.
    pub batch_id: i64,
    /// Archive.
    pub archive_id: i64,
    /// Pages scanned.
    pub pages: Option<i32>,
    /// Where the pages are.
    pub uri: Option<String>,
    /// Checksum.
    pub checksum: Option<String>,
    /// Day digitised (`None`: not yet, or not scanned).
    pub digitised_on: Option<Date>,
}

/// Inserts a batch and its archives.
pub fn create(conn: &mut DbConnection, new: &NewBatch, archive_ids: &[i64]) -> RepoResult<Batch> {
    let id: i64 =
        diesel::insert_into(archive_batches::table).values(new).returning(archive_batches::id).get_result(conn)?;
    for a in archive_ids {
        diesel::insert_into(archive_batch_items::table)
            .values((archive_batch_items::batch_id.eq(id), archive_batch_items::archive_id.eq(a)))
            .execute(conn)?;
    }
    Ok(archive_batches::table.find(id).select(Batch::as_select()).first(conn)?)
}

/// One batch, if its repository's jurisdiction lies in the subtree `scope_path`; otherwise `NotFound`.
pub fn find_visible(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<Batch> {
    archive_batches::table
        .inner_join(archive_repositories::table.inner_join(jurisdictions::table))
        .filter(archive_batches::id.eq(id))
        .filter(in_subtree(scope_path))
        .select(Batch::as_select())
        .first(conn)
        .optional()?
        .ok_or(RepoError::NotFound)
}

/// The archives of batch `id` with their results, by archive id.
pub fn items_of(conn: &mut DbConnection, id: i64) -> RepoResult<Vec<BatchItem>> {
    Ok(archive_batch_items::table
        .filter(archive_batch_items::batch_id.eq(id))
        .order(archive_batch_items::archive_id)
        .select(BatchItem::as_select())
        .load(conn)?)
}

/// Whether archive `archive_id` is in an open batch.
pub fn in_open_batch(conn: &mut DbConnection, archive_id: i64) -> RepoResult<bool> {
    let n: i64 = archive_batch_items::table
        .inner_join(archive_batches::table)
        .filter(archive_batch_items::archive_id.eq(archive_id))
        .filter(archive_batches::status.eq(BatchStatus::Open.as_str()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Records the result of archive `archive_id` in batch `batch_id`.
pub fn save_result(
    conn: &mut DbConnection,
    batch_id: i64,
    archive_id: i64,
    pages: i32,
    uri: &str,
    checksum: &str,
    on: Date,
) -> RepoResult<()> {
    diesel::update(archive_batch_items::table)
        .filter(archive_batch_items::batch_id.eq(batch_id))
        .filter(archive_batch_items::archive_id.eq(archive_id))
        .set((
            archive_batch_items::pages.eq(pages),
            archive_batch_items::uri.eq(uri),
            archive_batch_items::checksum.eq(checksum),
            archive_batch_items::digitised_on.eq(on),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves batch `id` at `version` to `status` (finished on `finished_on`, with `note`), or only bumps its version
/// when `status` is `None`; `VersionMismatch` when it moved.
pub fn save(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    status: Option<BatchStatus>,
    finished_on: Option<Date>,
    note: Option<&str>,
) -> RepoResult<Batch> {
    let n = diesel::update(archive_batches::table)
        .filter(archive_batches::id.eq(id))
        .filter(archive_batches::version.eq(version))
        .set(archive_batches::version.eq(version + 1))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    if let Some(s) = status {
        diesel::update(archive_batches::table.find(id))
            .set((
                archive_batches::status.eq(s.as_str()),
                archive_batches::finished_on.eq(finished_on),
                archive_batches::note.eq(note),
            ))
            .execute(conn)?;
    }
    Ok(archive_batches::table.find(id).select(Batch::as_select()).first(conn)?)
}

/// Which batches to list.
#[derive(Debug, Clone, Default)]
pub struct BatchFilter {
    /// Only this status.
    pub status: Option<BatchStatus>,
    /// Only of this repository.
    pub repository_id: Option<i64>,
    /// After this id (cursor).
    pub after: Option<i64>,
}

/// The batches of repositories in the subtree `scope_path`, by id.
pub fn list(conn: &mut DbConnection, scope_path: &str, f: &BatchFilter, limit: i64) -> RepoResult<Vec<Batch>> {
    let mut q = archive_batches::table
        .inner_join(archive_repositories::table.inner_join(jurisdictions::table))
        .filter(in_subtree(scope_path))
        .into_boxed();
    if let Some(s) = f.status {
        q = q.filter(archive_batches::status.eq(s.as_str()));
    }
    if let Some(r) = f.repository_id {
        q = q.filter(archive_batches::repository_id.eq(r));
    }
    if let Some(a) = f.after {
        q = q.filter(archive_batches::id.gt(a));
    }
    Ok(q.order(archive_batches::id).limit(limit).select(Batch::as_select()).load(conn)?)
}

/// Archives in batches and how many came back digitised, per batch status, for the archives held for people of the
/// subtree `scope_path`: `(status, archives, digitised)`.
pub fn counts_in(conn: &mut DbConnection, scope_path: &str) -> RepoResult<Vec<(BatchStatus, i64, i64)>> {
    let rows: Vec<(String, Option<Date>)> = archive_batch_items::table
        .inner_join(archive_batches::table)
        .inner_join(archives::table.inner_join(jurisdictions::table))
        .filter(in_subtree(scope_path))
        .select((archive_batches::status, archive_batch_items::digitised_on))
        .load(conn)?;
    let mut out = Vec::new();
    for s in BatchStatus::ALL {
        let mine: Vec<_> = rows.iter().filter(|(code, _)| code == s.as_str()).collect();
        let digitised = mine.iter().filter(|(_, d)| d.is_some()).count() as i64;
        out.push((*s, mine.len() as i64, digitised));
    }
    Ok(out)
}
