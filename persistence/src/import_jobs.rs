//! File import jobs: their counters while they run, their final report, the errors of every rejected row and
//! the rejected rows themselves.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::schema::{import_errors, import_jobs, import_rejected_rows};
use crate::{DbConnection, RepoResult, now_utc};

/// Status of a job that has not ended.
pub const LIVE: [&str; 2] = ["queued", "running"];

/// The status a job ends with once its rows are merged (issue 22): `succeeded` when no row was rejected,
/// `completed_with_errors` when some were (partial mode: the good rows are written), `rejected` when every row
/// was (nothing was written).
pub fn merged_status(accepted: i64, rejected: i64) -> &'static str {
    match (accepted, rejected) {
        (_, 0) => "succeeded",
        (0, _) => "rejected",
        _ => "completed_with_errors",
    }
}

/// A job as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = import_jobs)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ImportJob {
    /// Id.
    pub id: i64,
    /// `retirees`, `dependents`.
    pub kind: String,
    /// `queued`, `running`, `succeeded`, `completed_with_errors`, `rejected`, `failed`.
    pub status: String,
    /// `atomic` / `partial`.
    pub mode: String,
    /// `error` / `skip` / `update`.
    pub on_conflict: String,
    /// `csv` / `ndjson` / `xlsx`.
    pub format: String,
    /// Login of the caller.
    pub actor: String,
    /// Role of the caller.
    pub actor_role: String,
    /// Subtree of the caller.
    pub scope_path: String,
    /// SHA-256 of the uploaded bytes.
    pub file_sha256: String,
    /// Size of the upload.
    pub bytes_total: i64,
    /// Bytes parsed so far.
    pub bytes_read: i64,
    /// Data rows read.
    pub rows_read: i64,
    /// Records created.
    pub created: i64,
    /// Records updated.
    pub updated: i64,
    /// Rows skipped (`on_conflict=skip`).
    pub skipped: i64,
    /// Rows rejected.
    pub rejected: i64,
    /// The file's header (JSON array of column names), once read.
    pub header: Option<String>,
    /// Why the job failed, or why the whole file was refused.
    pub error_code: Option<String>,
    /// Message of `error_code`.
    pub error_message: Option<String>,
    /// Created.
    pub created_at: PrimitiveDateTime,
    /// Started.
    pub started_at: Option<PrimitiveDateTime>,
    /// Ended.
    pub finished_at: Option<PrimitiveDateTime>,
    /// What an update import changed: stored values changed per column (JSON object), once merged.
    pub field_changes: Option<String>,
}

/// A new job.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = import_jobs)]
pub struct NewImportJob {
    /// Kind.
    pub kind: String,
    /// Initial status.
    pub status: String,
    /// Mode.
    pub mode: String,
    /// Conflict handling.
    pub on_conflict: String,
    /// Format.
    pub format: String,
    /// Caller login.
    pub actor: String,
    /// Caller role.
    pub actor_role: String,
    /// Caller subtree.
    pub scope_path: String,
    /// Upload hash.
    pub file_sha256: String,
    /// Upload size.
    pub bytes_total: i64,
}

/// Counters of a job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Bytes parsed.
    pub bytes_read: i64,
    /// Rows read.
    pub rows_read: i64,
    /// Created.
    pub created: i64,
    /// Updated.
    pub updated: i64,
    /// Skipped.
    pub skipped: i64,
    /// Rejected.
    pub rejected: i64,
}

/// One broken rule of one row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = import_errors)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct RowErrorRecord {
    /// Job.
    pub job_id: i64,
    /// Order within the job.
    pub seq: i64,
    /// Line (or spreadsheet row) of the file.
    pub line: i64,
    /// Column.
    pub field: String,
    /// Rule.
    pub code: String,
    /// Message (Chinese).
    pub message_zh: String,
    /// Message (English).
    pub message_en: String,
}

/// A rejected row as sent.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = import_rejected_rows)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct RejectedRow {
    /// Job.
    pub job_id: i64,
    /// Line.
    pub line: i64,
    /// Cells in the file's column order (JSON array of strings); they hold the person's ID number and phone as
    /// sent, so they are sealed whole at rest (issue 21.10).
    #[diesel(deserialize_as = crate::sealed::Opened)]
    pub cells: String,
}

/// Records a new job; returns it.
pub fn create(conn: &mut DbConnection, job: &NewImportJob) -> RepoResult<ImportJob> {
    let now = now_utc();
    let id: i64 = diesel::insert_into(import_jobs::table)
        .values((job, import_jobs::created_at.eq(now)))
        .returning(import_jobs::id)
        .get_result(conn)?;
    find(conn, id)
}

/// One job.
pub fn find(conn: &mut DbConnection, id: i64) -> RepoResult<ImportJob> {
    Ok(import_jobs::table.find(id).select(ImportJob::as_select()).first(conn)?)
}

/// Jobs whose scope lies in the subtree at `scope_path`, newest first, before `before`.
pub fn list(
    conn: &mut DbConnection,
    scope_path: &str,
    kind: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<ImportJob>> {
    let mut query = import_jobs::table
        .filter(import_jobs::scope_path.ge(scope_path.to_owned()))
        .filter(import_jobs::scope_path.lt(crate::jurisdictions::subtree_upper(scope_path)))
        .order(import_jobs::id.desc())
        .limit(limit)
        .select(ImportJob::as_select())
        .into_boxed();
    if let Some(kind) = kind {
        query = query.filter(import_jobs::kind.eq(kind.to_owned()));
    }
    if let Some(before) = before {
        query = query.filter(import_jobs::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// Marks a job running.
pub fn start(conn: &mut DbConnection, id: i64) -> RepoResult<()> {
    diesel::update(import_jobs::table.find(id))
        .set((import_jobs::status.eq("running"), import_jobs::started_at.eq(now_utc())))
        .execute(conn)?;
    Ok(())
}

/// Stores the counters of a running job (progress seen from other replicas).
pub fn progress(conn: &mut DbConnection, id: i64, c: &Counters) -> RepoResult<()> {
    diesel::update(import_jobs::table.find(id).filter(import_jobs::status.eq("running")))
        .set((
            import_jobs::bytes_read.eq(c.bytes_read),
            import_jobs::rows_read.eq(c.rows_read),
            import_jobs::rejected.eq(c.rejected),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores what an update import changed, per column (JSON object of counts).
pub fn set_field_changes(conn: &mut DbConnection, id: i64, changes: &str) -> RepoResult<()> {
    diesel::update(import_jobs::table.find(id)).set(import_jobs::field_changes.eq(changes)).execute(conn)?;
    Ok(())
}

/// Stores the file's header.
pub fn set_header(conn: &mut DbConnection, id: i64, header: &str) -> RepoResult<()> {
    diesel::update(import_jobs::table.find(id)).set(import_jobs::header.eq(header)).execute(conn)?;
    Ok(())
}

/// Ends a job with its status, counters and, for a refused or failed one, the reason.
pub fn finish(
    conn: &mut DbConnection,
    id: i64,
    status: &str,
    c: &Counters,
    error: Option<(&str, &str)>,
) -> RepoResult<()> {
    diesel::update(import_jobs::table.find(id))
        .set((
            import_jobs::status.eq(status),
            import_jobs::bytes_read.eq(c.bytes_read),
            import_jobs::rows_read.eq(c.rows_read),
            import_jobs::created.eq(c.created),
            import_jobs::updated.eq(c.updated),
            import_jobs::skipped.eq(c.skipped),
            import_jobs::rejected.eq(c.rejected),
            import_jobs::error_code.eq(error.map(|e| e.0)),
            import_jobs::error_message.eq(error.map(|e| e.1)),
            import_jobs::finished_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks a job that is still live as failed (its process stopped); returns whether it was.
pub fn fail_if_live(conn: &mut DbConnection, id: i64, code: &str, message: &str) -> RepoResult<bool> {
    let n = diesel::update(import_jobs::table.find(id).filter(import_jobs::status.eq_any(LIVE)))
        .set((
            import_jobs::status.eq("failed"),
            import_jobs::created.eq(0),
            import_jobs::updated.eq(0),
            import_jobs::error_code.eq(code),
            import_jobs::error_message.eq(message),
            import_jobs::finished_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(n > 0)
}

/// Jobs not yet ended: id, status, created.
pub fn live(conn: &mut DbConnection) -> RepoResult<Vec<(i64, String, PrimitiveDateTime)>> {
    Ok(import_jobs::table
        .filter(import_jobs::status.eq_any(LIVE))
        .select((import_jobs::id, import_jobs::status, import_jobs::created_at))
        .load(conn)?)
}

/// Stores errors and rejected rows, a few hundred per statement.
pub fn add_errors(conn: &mut DbConnection, errors: &[RowErrorRecord], rows: &[RejectedRow]) -> RepoResult<()> {
    for chunk in errors.chunks(500) {
        crate::on_each_backend!(conn, |c| diesel::insert_into(import_errors::table).values(chunk).execute(c))?;
    }
    let keys = crate::sealed::keys()?;
    let sealed: Vec<RejectedRow> =
        rows.iter().map(|r| RejectedRow { cells: keys.seal(&r.cells), ..r.clone() }).collect();
    for chunk in sealed.chunks(500) {
        crate::on_each_backend!(conn, |c| diesel::insert_into(import_rejected_rows::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// A page of a job's errors, by sequence after `after`.
pub fn errors(conn: &mut DbConnection, job_id: i64, after: Option<i64>, limit: i64) -> RepoResult<Vec<RowErrorRecord>> {
    Ok(import_errors::table
        .filter(import_errors::job_id.eq(job_id))
        .filter(import_errors::seq.gt(after.unwrap_or(-1)))
        .order(import_errors::seq)
        .limit(limit)
        .select(RowErrorRecord::as_select())
        .load(conn)?)
}

/// A page of a job's rejected rows with their errors, by line after `after`.
pub fn rejected_rows(
    conn: &mut DbConnection,
    job_id: i64,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<(RejectedRow, Vec<RowErrorRecord>)>> {
    let rows: Vec<RejectedRow> = import_rejected_rows::table
        .filter(import_rejected_rows::job_id.eq(job_id))
        .filter(import_rejected_rows::line.gt(after.unwrap_or(-1)))
        .order(import_rejected_rows::line)
        .limit(limit)
        .select(RejectedRow::as_select())
        .load(conn)?;
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else { return Ok(Vec::new()) };
    let errors: Vec<RowErrorRecord> = import_errors::table
        .filter(import_errors::job_id.eq(job_id))
        .filter(import_errors::line.between(first.line, last.line))
        .order((import_errors::line, import_errors::seq))
        .select(RowErrorRecord::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mine = errors.iter().filter(|e| e.line == r.line).cloned().collect();
            (r, mine)
        })
        .collect())
}

/// Key space of the PostgreSQL advisory locks that mark a job's owner alive.
const LOCK_SPACE: i64 = 0x494d_5000_i64 << 32;

/// On PostgreSQL, takes the session lock that tells other replicas this job's owner is alive (no-op on SQLite,
/// whose database has one process).
pub fn hold_owner_lock(conn: &mut DbConnection, id: i64) -> RepoResult<()> {
    use diesel::connection::SimpleConnection;
    if let DbConnection::Pg(c) = conn {
        c.batch_execute(&format!("SELECT pg_advisory_lock({})", LOCK_SPACE | id))?;
    }
    Ok(())
}

/// Releases the lock of [`hold_owner_lock`].
pub fn release_owner_lock(conn: &mut DbConnection, id: i64) -> RepoResult<()> {
    use diesel::connection::SimpleConnection;
    if let DbConnection::Pg(c) = conn {
        c.batch_execute(&format!("SELECT pg_advisory_unlock({})", LOCK_SPACE | id))?;
    }
    Ok(())
}

/// Whether the job's owner is gone. On SQLite, whose database has one process, always (the caller checks its
/// own jobs first). On PostgreSQL a running job's owner holds its advisory lock; a queued job holds none yet, so
/// it counts as gone only when queued for more than an hour.
pub fn owner_gone(conn: &mut DbConnection, id: i64) -> RepoResult<bool> {
    let (status, created_at): (String, PrimitiveDateTime) =
        import_jobs::table.find(id).select((import_jobs::status, import_jobs::created_at)).first(conn)?;
    if matches!(conn, DbConnection::Pg(_)) && status == "queued" {
        return Ok(now_utc() - created_at > time::Duration::hours(1));
    }
    use diesel::connection::SimpleConnection;
    #[derive(QueryableByName)]
    struct Got {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        got: bool,
    }
    match conn {
        DbConnection::Sqlite(_) => Ok(true),
        DbConnection::Pg(c) => {
            let got: Got =
                diesel::sql_query(format!("SELECT pg_try_advisory_lock({}) AS got", LOCK_SPACE | id)).get_result(c)?;
            if got.got {
                c.batch_execute(&format!("SELECT pg_advisory_unlock({})", LOCK_SPACE | id))?;
            }
            Ok(got.got)
        }
    }
}
