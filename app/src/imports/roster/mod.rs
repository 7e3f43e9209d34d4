//! Retiree file imports as jobs (issue 4). The upload is on disk; a job thread reads it row by row (CSV, NDJSON
//! or XLSX, never whole in memory), puts every row through the checks of a single create
//! ([`crate::retirees::registration::validate_new`]), stages the good rows in a temporary table, then checks them
//! against the database and merges them set-based in one transaction (`persistence::bulk`). Until that
//! transaction commits nothing of the file is visible; if the process dies before, the job is found orphaned
//! and reported failed.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use domain::ErrorCode;
use persistence::bulk::{self, ImportActor, OnConflict, Refused, StagedFlag, StagedRetiree};
use persistence::import_jobs::{self as jobs, Counters, RejectedRow, RowErrorRecord};
use persistence::retirees::{GroupFlag, RetireeData};
use persistence::{DbConnection, Pool, write_tx};
use serde::{Deserialize, Serialize};

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::imports::Mode;
use crate::retirees::file as retiree_file;

mod dependents;
mod read;
mod retirees;

pub(crate) use dependents::*;
pub(crate) use read::*;
pub(crate) use retirees::*;

/// Rows staged per statement batch.
const BATCH: usize = 5000;
/// Jobs that may wait for a slot before new uploads get 503.
const MAX_WAITING: usize = 8;

/// A file format, chosen by `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV: UTF-8, UTF-8 with BOM or GB18030; gzip accepted.
    Csv,
    /// One JSON object per line; gzip accepted.
    Ndjson,
    /// Excel 2007+ workbook, first sheet.
    Xlsx,
}

impl Format {
    /// Content types accepted, first the preferred.
    pub const CONTENT_TYPES: [&'static str; 8] = [
        "text/csv",
        "application/csv",
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/gzip",
        "application/x-gzip",
    ];

    /// The format of a content type (gzip: CSV unless the body turns out to be NDJSON).
    pub fn of(content_type: &str) -> Option<Self> {
        match content_type {
            "text/csv" | "application/csv" | "application/gzip" | "application/x-gzip" => Some(Format::Csv),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" => Some(Format::Ndjson),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// Code.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
            Format::Xlsx => "xlsx",
        }
    }
}

/// The `on_conflict` parameter.
pub fn on_conflict(value: Option<&str>) -> Result<OnConflict, AppError> {
    match value {
        None | Some("error") => Ok(OnConflict::Error),
        Some("skip") => Ok(OnConflict::Skip),
        Some("update") => Ok(OnConflict::Update),
        Some(_) => Err(AppError::field(FieldError::with(
            "on_conflict",
            ErrorCode::InvalidEnum,
            "on_conflict 取值应为 error、skip 或 update",
            "on_conflict must be error, skip or update",
        ))),
    }
}

/// Code of an `OnConflict`.
pub fn conflict_code(c: OnConflict) -> &'static str {
    match c {
        OnConflict::Error => "error",
        OnConflict::Skip => "skip",
        OnConflict::Update => "update",
    }
}

/// Live counters of a job running in this process.
#[derive(Debug, Default)]
pub struct Live {
    /// Units done (bytes of CSV/NDJSON, rows of XLSX).
    pub done: AtomicI64,
    /// Units in all.
    pub total: AtomicI64,
    /// Rows read.
    pub rows_read: AtomicI64,
    /// Rows rejected so far.
    pub rejected: AtomicI64,
}

impl Live {
    /// Fraction read, 0 to 1.
    pub fn progress(&self) -> f64 {
        let total = self.total.load(Ordering::Relaxed);
        if total <= 0 { 0.0 } else { (self.done.load(Ordering::Relaxed) as f64 / total as f64).clamp(0.0, 1.0) }
    }
}

/// Jobs of this process and the slots they run in (SQLite: one at a time, it has one writer).
pub struct Registry {
    live: Mutex<HashMap<i64, Arc<Live>>>,
    running: Mutex<usize>,
    freed: Condvar,
    max_running: usize,
    waiting: AtomicUsize,
    /// What the jobs of this process did, for `/metrics`.
    pub stats: ImportStats,
}

/// Counters of the jobs this process ran, for `/metrics` (issue 22).
#[derive(Debug, Default)]
pub struct ImportStats {
    /// Jobs ended, by kind (`retirees`, `dependents`) and final status (`succeeded`, `completed_with_errors`,
    /// `rejected`, `failed`).
    pub ended: Mutex<std::collections::BTreeMap<(&'static str, String), u64>>,
    /// Rows read and rows rejected, by kind.
    pub rows: Mutex<std::collections::BTreeMap<(&'static str, &'static str), u64>>,
}

impl ImportStats {
    fn record(&self, kind: Kind, status: String, live: &Live) {
        if let Ok(mut m) = self.ended.lock() {
            *m.entry((kind.as_str(), status)).or_default() += 1;
        }
        if let Ok(mut m) = self.rows.lock() {
            let read = live.rows_read.load(Ordering::Relaxed).max(0).unsigned_abs();
            let rejected = live.rejected.load(Ordering::Relaxed).max(0).unsigned_abs();
            *m.entry((kind.as_str(), "read")).or_default() += read;
            *m.entry((kind.as_str(), "rejected")).or_default() += rejected;
        }
    }
}

impl Registry {
    /// A registry allowing `max_running` concurrent jobs.
    pub fn new(max_running: usize) -> Self {
        Self {
            live: Mutex::new(HashMap::new()),
            running: Mutex::new(0),
            freed: Condvar::new(),
            max_running: max_running.max(1),
            waiting: AtomicUsize::new(0),
            stats: ImportStats::default(),
        }
    }

    /// Jobs running now in this process.
    pub fn running(&self) -> usize {
        self.running.lock().map(|r| *r).unwrap_or_else(|poisoned| *poisoned.into_inner())
    }

    /// Jobs waiting for a slot in this process.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// The live counters of a job of this process.
    pub fn get(&self, id: i64) -> Option<Arc<Live>> {
        self.live.lock().ok().and_then(|m| m.get(&id).cloned())
    }

    /// Whether another job may be queued now.
    pub fn has_room(&self) -> bool {
        self.waiting.load(Ordering::Relaxed) < MAX_WAITING
    }

    fn register(&self, id: i64) -> Arc<Live> {
        let live = Arc::new(Live::default());
        if let Ok(mut m) = self.live.lock() {
            m.insert(id, live.clone());
        }
        live
    }

    fn unregister(&self, id: i64) {
        if let Ok(mut m) = self.live.lock() {
            m.remove(&id);
        }
    }

    fn acquire(&self) {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let mut running = match self.running.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        while *running >= self.max_running {
            running = match self.freed.wait(running) {
                Ok(r) => r,
                Err(poisoned) => poisoned.into_inner(),
            };
        }
        *running += 1;
        drop(running);
        self.waiting.fetch_sub(1, Ordering::Relaxed);
    }

    fn release(&self) {
        if let Ok(mut running) = self.running.lock() {
            *running = running.saturating_sub(1);
        }
        self.freed.notify_one();
    }
}

/// What a job imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Retirees (`/imports/retirees`).
    Retirees,
    /// Dependants of registered retirees (`/imports/dependents`).
    Dependents,
}

impl Kind {
    /// Code, as in the path.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Retirees => "retirees",
            Kind::Dependents => "dependents",
        }
    }
}

/// Everything a job needs after the upload was answered.
pub struct Job {
    /// Job id.
    pub id: i64,
    /// What it imports.
    pub kind: Kind,
    /// Format.
    pub format: Format,
    /// Mode.
    pub mode: Mode,
    /// Conflict handling.
    pub on_conflict: OnConflict,
    /// The caller who uploaded.
    pub caller: Caller,
    /// Today when the file was uploaded: rows are checked on this day and registrations date from it.
    pub on: time::Date,
    /// Temporary directory holding the upload (removed when the job ends).
    pub dir: tempfile::TempDir,
    /// The upload.
    pub path: PathBuf,
    /// The most bytes the upload may unpack to (gzip).
    pub unpacked_limit: u64,
}

/// Starts the job on its own thread; it waits for a slot, runs, and records its end.
pub fn spawn(pool: Pool, registry: Arc<Registry>, job: Job) {
    let id = job.id;
    let live = registry.register(id);
    let spawned = std::thread::Builder::new().name(format!("import-{id}")).spawn({
        let registry = registry.clone();
        let pool = pool.clone();
        move || {
            run(&pool, &registry, &live, job);
            registry.unregister(id);
        }
    });
    if let Err(e) = spawned {
        log::error!("import {id}: cannot start a thread: {e}");
        registry.unregister(id);
        if let Ok(mut conn) = pool.get() {
            let _ = jobs::fail_if_live(&mut conn, id, "internal_error", "the job could not be started");
        }
    }
}

fn run(pool: &Pool, registry: &Registry, live: &Live, job: Job) {
    let id = job.id;
    // Wait for a slot before taking a connection, so queued jobs do not drain the pool.
    registry.acquire();
    let mut conn = match pool.get() {
        Ok(c) => c,
        Err(e) => {
            registry.release();
            log::error!("import {id}: no database connection: {e}");
            return;
        }
    };
    // On PostgreSQL a session lock tells other replicas that this job's owner is alive.
    if let Err(e) = jobs::hold_owner_lock(&mut conn, id) {
        log::warn!("import {id}: cannot take the owner lock: {e}");
    }
    let outcome = match job.kind {
        Kind::Retirees => execute(&mut conn, pool, live, &job),
        Kind::Dependents => execute_dependents(&mut conn, live, &job),
    };
    registry.release();
    let _ = bulk::end(&mut conn);
    if let Err(e) = persistence::bulk_cache::restore(&mut conn) {
        log::warn!("import {id}: cannot restore the connection's page cache: {e}");
    }
    if let Err(e) = outcome {
        log::error!("import {id} failed: {e}");
        let message =
            "导入因内部错误中止，未写入任何数据 / the import stopped on an internal error; nothing was written";
        if let Err(e2) = jobs::fail_if_live(&mut conn, id, "internal_error", message) {
            log::error!("import {id}: cannot record the failure: {e2}");
        }
    }
    if let Err(e) = jobs::release_owner_lock(&mut conn, id) {
        log::warn!("import {id}: cannot release the owner lock: {e}");
    }
    match jobs::find(&mut conn, id) {
        Ok(ended) => registry.stats.record(job.kind, ended.status, live),
        Err(e) => log::warn!("import {id}: cannot read the final status for the metrics: {e}"),
    }
}

/// Refuses a file whole (unusable header, unreadable file): its problems are the report, on line 1.
fn refuse_file(conn: &mut DbConnection, job_id: i64, problems: &[FieldError], c: &Counters) -> Result<(), AppError> {
    let records: Vec<RowErrorRecord> = problems
        .iter()
        .enumerate()
        .map(|(i, e)| RowErrorRecord {
            job_id,
            seq: i as i64,
            line: 1,
            field: e.field.clone(),
            code: e.code.clone(),
            message_zh: crate::input::printable(&e.message.zh).into_owned(),
            message_en: crate::input::printable(&e.message.en).into_owned(),
        })
        .collect();
    jobs::add_errors(conn, &records, &[])?;
    let code = problems.first().map(|e| e.code.as_str()).unwrap_or(domain::ErrorCode::InvalidFile.as_str());
    let message = problems
        .first()
        .map(|e| crate::input::printable(&format!("{} / {}", e.message.zh, e.message.en)).into_owned())
        .unwrap_or_default();
    jobs::finish(conn, job_id, "rejected", &Counters { rejected: 0, ..*c }, Some((code, &message)))?;
    Ok(())
}

/// Finds jobs whose owner is gone (the process stopped mid-import) and marks them failed. On SQLite the
/// database has one process, so a live job not run here is orphaned; on PostgreSQL a job is orphaned when its
/// owner's advisory lock is free.
pub fn reap(conn: &mut DbConnection, registry: &Registry, only: Option<i64>) -> Result<usize, AppError> {
    let ids = match only {
        Some(id) => vec![id],
        None => jobs::live(conn)?.into_iter().map(|(id, _, _)| id).collect(),
    };
    let mut reaped = 0;
    for id in ids {
        if registry.get(id).is_some() {
            continue;
        }
        let orphaned = jobs::owner_gone(conn, id)?;
        if orphaned
            && jobs::fail_if_live(
                conn,
                id,
                "interrupted",
                "服务在导入过程中停止，未写入任何数据，请重新提交 / the service stopped during the import; nothing was written, send the file again",
            )?
        {
            log::warn!("import {id} was interrupted and is marked failed");
            reaped += 1;
        }
    }
    Ok(reaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_keys_differ() {
        assert_ne!(id_key("35020319550101001X"), id_key("350203195501010010"));
        assert_eq!(id_key("350203195501010017"), id_key("350203195501010017"));
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(excel_date(45292.0).as_deref(), Some("2024-01-01"));
        assert_eq!(excel_date(20455.5).as_deref(), Some("1956-01-01"));
    }

    #[test]
    fn pointers_become_columns() {
        assert_eq!(column_of_pointer("/special_groups/0/from"), "special_groups");
        assert_eq!(column_of_pointer("/id_number"), "id_number");
    }

    #[test]
    fn headers() {
        let spec = &retiree_file::RETIREES;
        assert!(header_of(vec!["name".into(), "id_number".into()], spec).is_err());
        let ok = header_of(
            retiree_file::COLUMNS.iter().map(|c| (*c).to_owned()).chain(["error_codes".into()]).collect(),
            spec,
        )
        .unwrap();
        assert_eq!(ok.columns.last(), Some(&None));
        let dup = header_of(vec!["name".into(), "姓名".into()], spec).unwrap_err();
        assert!(dup.iter().any(|e| e.code == "duplicate_column"));
    }
}
