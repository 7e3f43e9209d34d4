//! Roster import jobs as their uploader and their subtree see them: starting one (the job row and its audit
//! entry), the job with its live progress, the list, its row errors and the rejected rows as a CSV file to fix and
//! send again. The jobs themselves run in [`super::roster`].

use std::sync::atomic::Ordering;

use persistence::DbConnection;
use persistence::audit;
use persistence::bulk::OnConflict;
use persistence::import_jobs::{self as jobs, ImportJob, NewImportJob, RowErrorRecord};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::Mode;
use super::roster::{Format, Kind, Live, Registry, conflict_code};
use crate::caller::Caller;
use crate::error::AppError;

/// Why a job failed or the file was refused whole.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobProblem {
    /// Stable code (`interrupted`, `internal_error`, `rows_rejected`, `unknown_column`, `missing_column` …).
    #[schema(example = "rows_rejected")]
    pub code: String,
    /// What happened.
    pub message: String,
}

/// Links of a job.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobLinks {
    /// This job.
    #[schema(example = "/api/v1/imports/7")]
    pub job: String,
    /// Every broken rule of every rejected row (JSON, paged).
    #[schema(example = "/api/v1/imports/7/errors")]
    pub errors: String,
    /// The rejected rows as CSV (with BOM) with the reasons in extra `error_*` columns: fix and send again.
    #[schema(example = "/api/v1/imports/7/errors.csv")]
    pub errors_csv: String,
}

/// An import job: status and counters while it runs, the report when it has ended.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 7, "kind": "retirees", "status": "succeeded", "mode": "partial", "on_conflict": "error",
    "format": "csv", "bytes_total": 10485760, "progress": 1.0, "rows_read": 100000, "accepted": 99999, "created": 99999,
    "updated": 0, "skipped": 0, "rejected": 1, "error": null, "created_by": "importer",
    "created_at": "2026-11-23T08:00:00Z", "started_at": "2026-11-23T08:00:00Z", "finished_at": "2026-11-23T08:00:04Z",
    "links": {"job": "/api/v1/imports/7", "errors": "/api/v1/imports/7/errors", "errors_csv": "/api/v1/imports/7/errors.csv"}}))]
pub struct ImportJobResponse {
    /// Id.
    pub id: i64,
    /// What is imported: `retirees` or `dependents`.
    pub kind: String,
    /// `queued`, `running`, `succeeded` (every row written), `completed_with_errors` (partial mode: the good rows
    /// written, the bad ones reported), `rejected` (nothing written: bad rows in atomic mode, every row bad in
    /// partial mode, or an unusable file) or `failed` (nothing written: interrupted or an internal error; send the
    /// file again).
    #[schema(example = "running")]
    pub status: String,
    /// `atomic` or `partial`.
    pub mode: String,
    /// `error`, `skip` or `update`.
    pub on_conflict: String,
    /// `csv`, `ndjson` or `xlsx`.
    pub format: String,
    /// Size of the upload.
    pub bytes_total: i64,
    /// Share of the file read, 0 to 1 (1 while the rows are being written).
    pub progress: f64,
    /// Data rows read.
    pub rows_read: i64,
    /// Rows written (created + updated).
    pub accepted: i64,
    /// New records.
    pub created: i64,
    /// Records updated (`on_conflict=update`).
    pub updated: i64,
    /// Rows left alone (`on_conflict=skip`).
    pub skipped: i64,
    /// Rows rejected.
    pub rejected: i64,
    /// An update import (`on_conflict=update`), once written: how many stored values it changed, per column
    /// (`special_groups`: the people whose set of groups changed). Columns it changed nowhere are absent; a
    /// column the file lacks or an empty cell keeps the stored value (`docs/imports.md`). `null` otherwise.
    #[schema(example = json!({"phone": 120, "address": 3}))]
    pub field_changes: Option<std::collections::BTreeMap<String, i64>>,
    /// Why it failed or was refused.
    pub error: Option<JobProblem>,
    /// Who uploaded.
    pub created_by: String,
    /// Uploaded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Started.
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    /// Ended.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Where the report is.
    pub links: JobLinks,
}

/// One broken rule of one rejected row.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportRowError {
    /// Line of the file (CSV: the header is line 1; NDJSON: the line; XLSX: the row).
    #[schema(example = 4711)]
    pub line: i64,
    /// Column (`header` for the file's first row, `row` for the row as a whole).
    #[schema(example = "id_number")]
    pub field: String,
    /// Rule.
    #[schema(example = "id_number_checksum")]
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// The answer about a job, with the progress of the running one from `live`; messages in English when `en`.
pub fn job_response(job: ImportJob, live: Option<&Live>, en: bool) -> Result<ImportJobResponse, AppError> {
    let field_changes = match &job.field_changes {
        Some(text) => Some(serde_json::from_str(text).map_err(|e| {
            AppError::internal(format!("import job {}: stored field_changes do not parse: {e}", job.id))
        })?),
        None => None,
    };
    let ended = !jobs::LIVE.contains(&job.status.as_str());
    let (progress, rows_read, rejected) = match live {
        Some(l) if !ended => (
            l.progress(),
            l.rows_read.load(Ordering::Relaxed).max(job.rows_read),
            l.rejected.load(Ordering::Relaxed).max(job.rejected),
        ),
        _ if ended => (1.0, job.rows_read, job.rejected),
        _ => {
            let p = if job.bytes_total > 0 { job.bytes_read as f64 / job.bytes_total as f64 } else { 0.0 };
            (p.clamp(0.0, 1.0), job.rows_read, job.rejected)
        }
    };
    let base = format!("/api/v1/imports/{}", job.id);
    Ok(ImportJobResponse {
        id: job.id,
        kind: job.kind,
        status: job.status,
        mode: job.mode,
        on_conflict: job.on_conflict,
        format: job.format,
        bytes_total: job.bytes_total,
        progress,
        rows_read,
        accepted: job.created + job.updated,
        created: job.created,
        updated: job.updated,
        skipped: job.skipped,
        rejected,
        field_changes,
        error: job.error_code.map(|code| JobProblem { code, message: pick(job.error_message.unwrap_or_default(), en) }),
        created_by: job.actor,
        created_at: job.created_at.assume_utc(),
        started_at: job.started_at.map(|t| t.assume_utc()),
        finished_at: job.finished_at.map(|t| t.assume_utc()),
        links: JobLinks { errors: format!("{base}/errors"), errors_csv: format!("{base}/errors.csv"), job: base },
    })
}

/// Job messages are stored as `中文 / English`; picks the language.
fn pick(message: String, en: bool) -> String {
    match message.split_once(" / ") {
        Some((zh, english)) => if en { english } else { zh }.to_owned(),
        None => message,
    }
}

/// A job to start: what the upload holds and how to import it.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What it imports.
    pub kind: Kind,
    /// The file's format.
    pub format: Format,
    /// All or nothing, or keep the good rows.
    pub mode: Mode,
    /// What to do with a row already registered.
    pub on_conflict: OnConflict,
    /// Hash of the operation and the upload.
    pub sha256: String,
    /// Size of the upload.
    pub bytes_total: i64,
}

/// Records a queued job of the caller (its subtree is the job's) and its audit entry (`retiree.import.start` or
/// `dependent.import.start`). Answers the job's id and the answer about it; the job is then started with
/// [`super::roster::spawn`].
pub fn start(conn: &mut DbConnection, caller: &Caller, new: &NewJob) -> Result<(i64, ImportJobResponse), AppError> {
    let row = NewImportJob {
        kind: new.kind.as_str().into(),
        status: "queued".into(),
        mode: match new.mode {
            Mode::Atomic => "atomic".into(),
            Mode::Partial => "partial".into(),
        },
        on_conflict: conflict_code(new.on_conflict).into(),
        format: new.format.as_str().into(),
        actor: caller.login.clone(),
        actor_role: caller.role.as_str().into(),
        scope_path: caller.scope_path.clone(),
        file_sha256: new.sha256.clone(),
        bytes_total: new.bytes_total,
    };
    let job = jobs::create(conn, &row)?;
    let action = if new.kind == Kind::Retirees { "retiree.import.start" } else { "dependent.import.start" };
    let mut entry = caller.audit(action, "import_job", job.id, &caller.scope_path);
    entry.detail = Some(
        serde_json::json!({"mode": job.mode, "on_conflict": job.on_conflict, "format": job.format,
            "bytes": job.bytes_total, "sha256": job.file_sha256})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    let id = job.id;
    Ok((id, job_response(job, None, false)?))
}

/// The job if the caller may see it: its scope inside the caller's subtree (404 otherwise). A job left running
/// by a service that stopped is marked failed first.
pub fn visible_job(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    registry: &Registry,
) -> Result<ImportJob, AppError> {
    let mut job = jobs::find(conn, id)?;
    if !caller.sees(&job.scope_path) {
        return Err(AppError::not_found());
    }
    if jobs::LIVE.contains(&job.status.as_str()) && registry.get(id).is_none() {
        // Its owner may be gone (the service stopped mid-import): then it failed.
        if super::roster::reap(conn, registry, Some(id))? > 0 {
            job = jobs::find(conn, id)?;
        }
    }
    Ok(job)
}

/// One job of the caller's subtree, with its live progress.
pub fn read(
    conn: &mut DbConnection,
    caller: &Caller,
    registry: &Registry,
    id: i64,
    en: bool,
) -> Result<ImportJobResponse, AppError> {
    let job = visible_job(conn, caller, id, registry)?;
    let live = registry.get(id);
    job_response(job, live.as_deref(), en)
}

/// A page of the roster import jobs of the caller's subtree, newest first, before the job `before`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    registry: &Registry,
    before: Option<i64>,
    limit: i64,
    en: bool,
) -> Result<Vec<ImportJobResponse>, AppError> {
    let items = jobs::list(conn, &caller.scope_path, Some("retirees"), before, limit)?;
    items
        .into_iter()
        .map(|j| {
            let live = registry.get(j.id);
            job_response(j, live.as_deref(), en)
        })
        .collect()
}

/// A page of the broken rules of a job's rejected rows, by line, after the error `after`; each with its sequence
/// number (the cursor of the next page).
pub fn row_errors(
    conn: &mut DbConnection,
    caller: &Caller,
    registry: &Registry,
    id: i64,
    after: Option<i64>,
    limit: i64,
    en: bool,
) -> Result<Vec<(i64, ImportRowError)>, AppError> {
    visible_job(conn, caller, id, registry)?;
    Ok(jobs::errors(conn, id, after, limit)?
        .into_iter()
        .map(|e| {
            let row = ImportRowError {
                line: e.line,
                field: e.field,
                code: e.code,
                message: if en { e.message_en } else { e.message_zh },
            };
            (e.seq, row)
        })
        .collect())
}

/// The rejected rows of a job as a CSV file (UTF-8 with BOM): the file's own columns with the values as sent,
/// then, for people (`labels` Zh), `错误行号`, `错误字段` (the fields' Chinese column names), `错误代码`, `错误说明`;
/// for machines (Codes) `error_line`, `error_fields`, `error_codes`, `error_messages`. Messages are Chinese, or
/// English with `en`. The import ignores these columns when the file comes back. Only the uploader may read it (403 for
/// others: it holds the personal data they sent); the download is audited (`retiree.import.rejected_rows.read`).
pub fn rejected_csv(
    conn: &mut DbConnection,
    caller: &Caller,
    registry: &Registry,
    id: i64,
    en: bool,
    labels: crate::exports::Labels,
) -> Result<Vec<u8>, AppError> {
    use crate::exports::Labels;
    use crate::retirees::file::{REPORT_COLUMNS, REPORT_COLUMNS_ZH, field_zh};
    let job = visible_job(conn, caller, id, registry)?;
    if job.actor != caller.login {
        return Err(AppError::forbidden());
    }
    let mut header: Vec<String> = match job.header.as_deref() {
        Some(h) => persistence::typed::stored_json("import_jobs", job.id, "header", h)?,
        None => Vec::new(),
    };
    let width = header.len();
    let report = if labels == Labels::Zh { REPORT_COLUMNS_ZH } else { REPORT_COLUMNS };
    header.extend(report.map(String::from));
    // Flexible: a row refused for its width keeps all the cells it had.
    let mut out = csv::WriterBuilder::new().flexible(true).terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    out.write_record(&header).map_err(AppError::internal)?;
    let mut after = None;
    let mut rows = 0u64;
    loop {
        let page = jobs::rejected_rows(conn, id, after, 1000)?;
        let Some(last) = page.last() else { break };
        after = Some(last.0.line);
        for (row, row_errors) in &page {
            let mut cells: Vec<String> = persistence::typed::stored_json(
                "import_rejected_rows",
                format_args!("{}/{}", row.job_id, row.line),
                "cells",
                &row.cells,
            )?;
            cells.resize(width.max(cells.len()), String::new());
            let join = |f: &dyn Fn(&RowErrorRecord) -> String| row_errors.iter().map(f).collect::<Vec<_>>().join("; ");
            cells.push(row.line.to_string());
            cells.push(join(&|e| if labels == Labels::Zh { field_zh(&e.field).to_owned() } else { e.field.clone() }));
            cells.push(join(&|e| e.code.clone()));
            cells.push(join(&|e| if en { e.message_en.clone() } else { e.message_zh.clone() }));
            out.write_record(&cells).map_err(AppError::internal)?;
            rows += 1;
        }
    }
    let mut entry = caller.audit("retiree.import.rejected_rows.read", "import_job", id, &job.scope_path);
    entry.detail = Some(serde_json::json!({"rows": rows, "labels": labels.as_str()}).to_string());
    audit::append(conn, &entry)?;
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(out.into_inner().map_err(AppError::internal)?);
    Ok(bytes)
}
