//! Retiree file imports as jobs (issue 4). The upload is on disk; a job thread reads it row by row (CSV, NDJSON
//! or XLSX, never whole in memory), puts every row through the checks of a single create
//! ([`crate::routes::retirees::validate_new`]), stages the good rows in a temporary table, then checks them
//! against the database and merges them set-based in one transaction (`persistence::bulk`). Until that
//! transaction commits nothing of the file is visible; if the process dies before, the job is found orphaned
//! and reported failed.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use persistence::bulk::{self, ImportActor, OnConflict, Refused, StagedFlag, StagedRetiree};
use persistence::import_jobs::{self as jobs, Counters, RejectedRow, RowErrorRecord};
use persistence::retirees::{GroupFlag, RetireeData};
use persistence::{DbConnection, Pool, write_tx};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::retiree_file;
use app::imports::Mode;

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
pub fn on_conflict(value: Option<&str>) -> Result<OnConflict, ApiError> {
    match value {
        None | Some("error") => Ok(OnConflict::Error),
        Some("skip") => Ok(OnConflict::Skip),
        Some("update") => Ok(OnConflict::Update),
        Some(_) => Err(ApiError::field(FieldError::new(
            "on_conflict",
            "invalid_enum",
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
        }
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
}

/// One rejected row: where, its cells as sent, and every broken rule.
#[derive(Debug, Serialize, Deserialize)]
struct Bad {
    line: u64,
    cells: Vec<String>,
    errors: Vec<(String, String, String, String)>,
}

/// The rejected rows, spooled to disk so that a file of bad rows does not fill memory.
struct Spool {
    path: PathBuf,
    out: BufWriter<File>,
    rows: i64,
}

impl Spool {
    fn new(dir: &Path) -> Result<Self, ApiError> {
        let path = dir.join("rejected.ndjson");
        let out = BufWriter::new(File::create(&path).map_err(ApiError::internal)?);
        Ok(Self { path, out, rows: 0 })
    }

    fn push(&mut self, line: u64, cells: Vec<String>, errors: &[FieldError]) -> Result<(), ApiError> {
        let bad = Bad {
            line,
            cells,
            errors: errors
                .iter()
                .map(|e| (e.field.clone(), e.code.clone(), e.message.zh.clone(), e.message.en.clone()))
                .collect(),
        };
        serde_json::to_writer(&mut self.out, &bad).map_err(ApiError::internal)?;
        self.out.write_all(b"\n").map_err(ApiError::internal)?;
        self.rows += 1;
        Ok(())
    }

    /// Writes the spooled rows and `refused` (merged by line) into the job's report tables.
    fn store(&mut self, conn: &mut DbConnection, job_id: i64, refused: Vec<Bad>) -> Result<(), ApiError> {
        self.out.flush().map_err(ApiError::internal)?;
        let reader = BufReader::new(File::open(&self.path).map_err(ApiError::internal)?);
        let mut spooled = reader.lines().map(|l| {
            l.map_err(ApiError::internal).and_then(|l| serde_json::from_str::<Bad>(&l).map_err(ApiError::internal))
        });
        let mut refused = refused.into_iter().peekable();
        let mut next_spooled = spooled.next().transpose()?;
        let (mut errors, mut rows) = (Vec::new(), Vec::new());
        let mut seq = 0i64;
        loop {
            let take_refused = match (&next_spooled, refused.peek()) {
                (None, None) => break,
                (Some(s), Some(r)) => r.line < s.line,
                (None, Some(_)) => true,
                (Some(_), None) => false,
            };
            let bad = if take_refused {
                match refused.next() {
                    Some(b) => b,
                    None => break,
                }
            } else {
                let Some(b) = next_spooled.take() else { break };
                next_spooled = spooled.next().transpose()?;
                b
            };
            let line = bad.line as i64;
            rows.push(RejectedRow {
                job_id,
                line,
                cells: serde_json::to_string(&bad.cells).map_err(ApiError::internal)?,
            });
            for (field, code, zh, en) in bad.errors {
                errors.push(RowErrorRecord { job_id, seq, line, field, code, message_zh: zh, message_en: en });
                seq += 1;
            }
            if rows.len() >= 2000 {
                jobs::add_errors(conn, &errors, &rows)?;
                errors.clear();
                rows.clear();
            }
        }
        jobs::add_errors(conn, &errors, &rows)?;
        Ok(())
    }
}

/// How the file's columns map to ours.
#[derive(Debug)]
pub(crate) struct Header {
    names: Vec<String>,
    columns: Vec<Option<&'static str>>,
}

impl Header {
    /// A row's cells paired with their columns (ignored columns left out), or why the row is unusable as a
    /// whole: problems found while reading it, or a width other than the header's.
    fn cells(&self, row: &SourceRow) -> Result<Vec<(&'static str, String)>, Vec<FieldError>> {
        if !row.problems.is_empty() {
            return Err(row.problems.clone());
        }
        if row.cells.len() != self.names.len() {
            return Err(vec![FieldError::new(
                "row",
                "column_count",
                format!("该行有{}列，表头有{}列", row.cells.len(), self.names.len()),
                format!("the row has {} cells, the header {}", row.cells.len(), self.names.len()),
            )]);
        }
        Ok(self.columns.iter().zip(&row.cells).filter_map(|(c, v)| c.map(|c| (c, v.clone()))).collect())
    }
}

pub(crate) fn header_of(names: Vec<String>, spec: &retiree_file::Spec) -> Result<Header, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut columns = Vec::new();
    let mut seen = HashSet::new();
    for name in &names {
        if retiree_file::is_report_column(name) || name.trim().is_empty() {
            columns.push(None);
            continue;
        }
        match (spec.column_of)(name) {
            Some(c) if !seen.insert(c) => {
                errors.push(FieldError::new(
                    "header",
                    "duplicate_column",
                    format!("列“{name}”重复"),
                    format!("column '{name}' appears twice"),
                ));
                columns.push(None);
            }
            Some(c) => columns.push(Some(c)),
            None => {
                errors.push(FieldError::new(
                    "header",
                    "unknown_column",
                    format!("无法识别的列“{}”，可用的列：{}", name.trim(), spec.columns.join(", ")),
                    format!("unknown column '{}'; the columns are: {}", name.trim(), spec.columns.join(", ")),
                ));
                columns.push(None);
            }
        }
    }
    for required in spec.required {
        if !seen.contains(required) {
            errors.push(FieldError::new(
                "header",
                "missing_column",
                format!("缺少必需的列 {required}"),
                format!("the required column {required} is missing"),
            ));
        }
    }
    if errors.is_empty() { Ok(Header { names, columns }) } else { Err(errors) }
}

/// A source row: its line, its cells in header order, and problems found while reading it.
pub(crate) struct SourceRow {
    pub(crate) line: u64,
    pub(crate) cells: Vec<String>,
    pub(crate) problems: Vec<FieldError>,
}

/// What reading produces.
pub(crate) enum Event {
    Header(Vec<String>),
    Row(SourceRow),
}

/// Why a job stopped before merging.
pub(crate) enum Stop {
    /// The header is unusable: the file is refused whole.
    Header(Vec<FieldError>),
    /// Something else.
    Failed(ApiError),
}

impl From<ApiError> for Stop {
    fn from(e: ApiError) -> Self {
        Stop::Failed(e)
    }
}

impl From<crate::error::AppError> for Stop {
    fn from(e: crate::error::AppError) -> Self {
        Stop::Failed(e.into())
    }
}

/// A resident ID as a number, for the duplicate check (17 digits and the check character fit in 64 bits).
pub(crate) fn id_key(id: &str) -> u64 {
    id.bytes().fold(0u64, |acc, b| acc.wrapping_mul(11).wrapping_add(if b == b'X' { 10 } else { u64::from(b - b'0') }))
}

/// The column a JSON pointer of the create checks points at (`/special_groups/0/from` → `special_groups`).
fn column_of_pointer(pointer: &str) -> String {
    pointer.trim_start_matches('/').split('/').next().unwrap_or_default().to_owned()
}

/// What the reading thread hands to the database thread.
enum Staging {
    /// The file's header (JSON array), to record on the job.
    Header(String),
    /// A batch of checked rows and their flags.
    Batch(Vec<StagedRetiree>, Vec<StagedFlag>),
}

struct Pipeline<'a> {
    live: &'a Live,
    out: std::sync::mpsc::SyncSender<Staging>,
    header: Option<Header>,
    seen: HashMap<u64, u64>,
    rows: Vec<StagedRetiree>,
    flags: Vec<StagedFlag>,
    spool: Spool,
    rows_read: i64,
}

impl Pipeline<'_> {
    fn reject(&mut self, row: SourceRow, errors: &[FieldError]) -> Result<(), Stop> {
        self.live.rejected.fetch_add(1, Ordering::Relaxed);
        self.spool.push(row.line, row.cells, errors)?;
        Ok(())
    }

    fn row(&mut self, row: SourceRow) -> Result<(), Stop> {
        self.rows_read += 1;
        self.live.rows_read.fetch_add(1, Ordering::Relaxed);
        let Some(header) = &self.header else {
            return Err(Stop::Failed(ApiError::internal("row before header")));
        };
        let (data, flags, has_flags) = match check_row(header, &row) {
            Ok(checked) => checked,
            Err(errors) => return self.reject(row, &errors),
        };
        let line = row.line;
        if let Some(first) = self.seen.insert(id_key(&data.id_number), line) {
            self.seen.insert(id_key(&data.id_number), first);
            let e = FieldError::new(
                "id_number",
                "duplicate_in_file",
                format!("该公民身份号码在文件第{first}行已出现"),
                format!("this resident ID appears already on line {first}"),
            );
            return self.reject(row, &[e]);
        }
        for f in flags {
            self.flags.push(StagedFlag {
                line: line as i64,
                group_code: f.group_code,
                from_date: f.from_date,
                to_date: f.to_date,
            });
        }
        self.rows.push(StagedRetiree {
            line: line as i64,
            id_number: data.id_number,
            name: data.name,
            sex: data.sex,
            birth_date: data.birth_date,
            retirement_date: data.retirement_date,
            category: data.category,
            management_level: data.management_level,
            community_code: data.community_code,
            phone: data.phone,
            address: data.address,
            monthly_pension_fen: data.monthly_pension_fen,
            party_member: data.party_member,
            notes: data.notes,
            has_flags,
        });
        if self.rows.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Hands the batch to the database thread (which stops the reading when it failed).
    fn flush(&mut self) -> Result<(), Stop> {
        if self.rows.is_empty() && self.flags.is_empty() {
            return Ok(());
        }
        let batch = Staging::Batch(std::mem::take(&mut self.rows), std::mem::take(&mut self.flags));
        self.rows.reserve(BATCH);
        self.out.send(batch).map_err(|_| Stop::Failed(ApiError::internal("staging stopped")))
    }
}

/// What a row checked as a single create is: its data, its special-group flags and whether the file gave any
/// (an empty cell keeps a person's flags on update), or the broken rules named by column.
pub(crate) type CheckedRow = (RetireeData, Vec<GroupFlag>, bool);

/// The checks of one data row, before the database: the header's width, the cells
/// ([`retiree_file::to_request`]) and the checks of a single create
/// ([`crate::routes::retirees::validate_new`]).
pub(crate) fn check_row(header: &Header, row: &SourceRow) -> Result<CheckedRow, Vec<FieldError>> {
    let cells = header.cells(row)?;
    let mut errors = Vec::new();
    let request = retiree_file::to_request(&cells, &mut errors);
    let checked = match request {
        Some(req) if errors.is_empty() => match crate::routes::retirees::validate_new(req) {
            Ok(ok) => Some(ok),
            Err(e) => {
                errors.extend(e.into_iter().map(|mut f| {
                    f.field = column_of_pointer(&f.field);
                    f
                }));
                None
            }
        },
        _ => None,
    };
    let Some((data, flags)) = checked else { return Err(errors) };
    let has_flags = cells.iter().any(|(c, v)| *c == "special_groups" && !v.trim().is_empty());
    Ok((data, flags, has_flags))
}

/// The cells of a refused staged row, in the file's column order.
fn refused_cells(header: &Header, r: &Refused, flags: &[StagedFlag]) -> Vec<String> {
    let groups: Vec<persistence::retirees::GroupFlag> = flags
        .iter()
        .filter(|f| f.line == r.line)
        .map(|f| persistence::retirees::GroupFlag {
            group_code: f.group_code.clone(),
            from_date: f.from_date,
            to_date: f.to_date,
        })
        .collect();
    header
        .columns
        .iter()
        .map(|c| match c {
            Some("name") => r.name.clone(),
            Some("id_number") => r.id_number.clone(),
            Some("sex") => r.sex.clone(),
            Some("birth_date") => r.birth_date.to_string(),
            Some("retirement_date") => r.retirement_date.to_string(),
            Some("category") => r.category.clone(),
            Some("management_level") => r.management_level.clone(),
            Some("community_code") => r.community_code.clone(),
            Some("phone") => r.phone.clone().unwrap_or_default(),
            Some("address") => r.address.clone().unwrap_or_default(),
            Some("monthly_pension") => {
                r.monthly_pension_fen.map(|f| domain::Money::from_fen(f).to_string()).unwrap_or_default()
            }
            Some("party_member") => r.party_member.to_string(),
            Some("special_groups") => retiree_file::format_groups(&groups),
            Some("notes") => r.notes.clone().unwrap_or_default(),
            _ => String::new(),
        })
        .collect()
}

fn refusal(r: &Refused) -> FieldError {
    match r.code.as_str() {
        "not_a_community" => FieldError::new(
            "community_code",
            "not_a_community",
            "该代码不是社区（村）级区划",
            "the code is not a community",
        ),
        "id_number_taken" => FieldError::new(
            "id_number",
            "id_number_taken",
            "该公民身份号码已登记",
            "a retiree with this resident ID is registered already",
        ),
        _ => FieldError::new(
            "community_code",
            "community_not_found",
            "社区不存在或不在您的管辖范围内",
            "no such community in your jurisdiction",
        ),
    }
}

fn counters(live: &Live, rows_read: i64) -> Counters {
    Counters {
        bytes_read: live.done.load(Ordering::Relaxed),
        rows_read,
        rejected: live.rejected.load(Ordering::Relaxed),
        ..Counters::default()
    }
}

/// Reads, checks, stages and merges. `Err` only for internal failures (the caller records them).
fn execute(conn: &mut DbConnection, pool: &Pool, live: &Live, job: &Job) -> Result<(), ApiError> {
    jobs::start(conn, job.id)?;
    bulk::begin(conn)?;
    let is_pg = matches!(conn, DbConnection::Pg(_));
    let started = std::time::Instant::now();
    // Two threads: this one reads and checks rows, the other stages the checked batches in the database, so
    // that parsing and the database work overlap.
    let (out, batches) = std::sync::mpsc::sync_channel::<Staging>(2);
    let mut p = Pipeline {
        live,
        out,
        header: None,
        seen: HashMap::new(),
        rows: Vec::with_capacity(BATCH),
        flags: Vec::new(),
        spool: Spool::new(job.dir.path())?,
        rows_read: 0,
    };
    let (read, staged) = std::thread::scope(|scope| {
        let stager = scope.spawn(|| -> Result<(), ApiError> {
            let mut last_flush = std::time::Instant::now();
            for message in batches {
                match message {
                    Staging::Header(json) => jobs::set_header(conn, job.id, &json)?,
                    Staging::Batch(rows, flags) => bulk::stage(conn, &rows, &flags)?,
                }
                // Progress for other replicas (PostgreSQL only: on SQLite this process is the only one).
                if is_pg && last_flush.elapsed() > std::time::Duration::from_secs(2) {
                    last_flush = std::time::Instant::now();
                    if let Ok(mut other) = pool.get() {
                        let c = counters(live, live.rows_read.load(Ordering::Relaxed));
                        let _ = jobs::progress(&mut other, job.id, &c);
                    }
                }
            }
            Ok(())
        });
        let read = read_rows(
            &retiree_file::RETIREES,
            job.format,
            &job.path,
            job.unpacked_limit,
            job.dir.path(),
            live,
            &mut |event| {
                match event {
                    Event::Header(names) => {
                        let header = header_of(names, &retiree_file::RETIREES).map_err(Stop::Header)?;
                        let json = serde_json::to_string(&header.names).map_err(ApiError::internal)?;
                        p.out.send(Staging::Header(json)).map_err(|_| ApiError::internal("staging stopped"))?;
                        p.header = Some(header);
                    }
                    Event::Row(row) => p.row(row)?,
                }
                Ok(())
            },
        )
        .and_then(|()| p.flush());
        // Closing the channel ends the stager.
        let (sink, _) = std::sync::mpsc::sync_channel(0);
        drop(std::mem::replace(&mut p.out, sink));
        let staged = stager.join().unwrap_or_else(|_| Err(ApiError::internal("the staging thread panicked")));
        (read, staged)
    });
    // A database failure is the real cause when both sides stopped.
    staged?;
    let header_problems = match read {
        Ok(()) if p.header.is_none() => Some(vec![FieldError::new(
            "header",
            "empty_file",
            "文件没有表头或数据行",
            "the file has no header or data rows",
        )]),
        Ok(()) => None,
        Err(Stop::Header(problems)) => Some(problems),
        Err(Stop::Failed(e)) => return Err(e),
    };
    let rows_read = p.rows_read;
    if let Some(problems) = header_problems {
        // The whole file is refused: nothing was staged for merging.
        let mut c = counters(live, rows_read);
        c.rejected = 0;
        return write_tx(conn, |conn| refuse_file(conn, job.id, &problems, &c));
    }
    let Some(header) = p.header.take() else { return Err(ApiError::internal("no header")) };
    let mut spool = p.spool;
    let scope = job.caller.scope_path.clone();
    let flags_of_refused = |conn: &mut DbConnection, refused: &[Refused]| -> Result<Vec<Bad>, ApiError> {
        let flags = if refused.is_empty() { Vec::new() } else { bulk::refused_flags(conn)? };
        Ok(refused
            .iter()
            .map(|r| Bad {
                line: r.line as u64,
                cells: refused_cells(&header, r, &flags),
                errors: {
                    let e = refusal(r);
                    vec![(e.field, e.code, e.message.zh, e.message.en)]
                },
            })
            .collect())
    };
    enum Merge {
        Done,
        Refused(Vec<Bad>),
    }
    let who = ImportActor {
        job_id: job.id,
        actor: &job.caller.login,
        role: job.caller.role.as_str(),
        client_ip: job.caller.client_ip.as_deref(),
        request_id: Some(job.caller.request_id.as_str()),
    };
    let rejected_in_rows = live.rejected.load(Ordering::Relaxed);
    log::info!("import {}: {rows_read} rows read and staged in {:.1?}", job.id, started.elapsed());
    let merging = std::time::Instant::now();
    let merged = write_tx(conn, |conn| -> Result<Merge, ApiError> {
        let refused = bulk::check(conn, &scope, job.on_conflict)?;
        log::info!("import {}: database checks in {:.1?}", job.id, merging.elapsed());
        let bad = flags_of_refused(conn, &refused)?;
        if job.mode == Mode::Atomic && (rejected_in_rows > 0 || !bad.is_empty()) {
            return Ok(Merge::Refused(bad));
        }
        first_validity(conn)?;
        let merged = bulk::merge(conn, &who, persistence::now_utc())?;
        log::info!("import {}: merged in {:.1?} ({merged:?})", job.id, merging.elapsed());
        let rejected = rejected_in_rows + bad.len() as i64;
        spool.store(conn, job.id, bad)?;
        let c = Counters {
            bytes_read: live.done.load(Ordering::Relaxed),
            rows_read,
            created: merged.created,
            updated: merged.updated,
            skipped: merged.skipped,
            rejected,
        };
        jobs::finish(conn, job.id, "succeeded", &c, None)?;
        let mut entry = job.caller.audit("retiree.import", "import_job", job.id, &scope);
        entry.detail = Some(
            serde_json::json!({"mode": job.mode, "on_conflict": conflict_code(job.on_conflict),
                "format": job.format.as_str(), "rows": rows_read, "created": merged.created,
                "updated": merged.updated, "skipped": merged.skipped, "rejected": rejected})
            .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        Ok(Merge::Done)
    })?;
    if let Merge::Refused(bad) = merged {
        // Atomic with bad rows: the transaction above wrote nothing; record the report and the refusal.
        let rejected = rejected_in_rows + bad.len() as i64;
        write_tx(conn, |conn| -> Result<(), ApiError> {
            spool.store(conn, job.id, bad)?;
            let c = Counters { rejected, ..counters(live, rows_read) };
            jobs::finish(
                conn,
                job.id,
                "rejected",
                &c,
                Some((
                    "rows_rejected",
                    &format!(
                        "{rejected} 行未通过校验，按 atomic 模式未写入任何数据 / {rejected} rows failed; nothing was written (atomic)"
                    ),
                )),
            )?;
            let mut entry = job.caller.audit("retiree.import", "import_job", job.id, &scope);
            entry.outcome = "rejected".into();
            entry.detail = Some(serde_json::json!({"rows": rows_read, "rejected": rejected}).to_string());
            persistence::audit::append(conn, &entry)?;
            Ok(())
        })?;
    }
    Ok(())
}

/// Imports dependants row by row inside one write transaction (files of dependants are a fraction of a roster):
/// each row goes through the checks of `POST /retirees/{id}/dependents`, and its retiree must be registered in
/// the caller's subtree. In atomic mode any bad row rolls everything back.
fn execute_dependents(conn: &mut DbConnection, live: &Live, job: &Job) -> Result<(), ApiError> {
    use persistence::retirees as repo;
    jobs::start(conn, job.id)?;
    let scope = job.caller.scope_path.clone();
    let mut spool = Spool::new(job.dir.path())?;
    let mut header: Option<Header> = None;
    let mut counters = Counters::default();
    let mut header_problems: Option<Vec<FieldError>> = None;
    let mut retirees: HashMap<String, Option<(i64, String, String)>> = HashMap::new();
    let mut seen: HashSet<(i64, u64)> = HashSet::new();
    /// Why the transaction is rolled back.
    enum Halt {
        Rolled,
        Failed(ApiError),
    }
    impl From<ApiError> for Halt {
        fn from(e: ApiError) -> Self {
            Halt::Failed(e)
        }
    }
    impl From<persistence::RepoError> for Halt {
        fn from(e: persistence::RepoError) -> Self {
            Halt::Failed(e.into())
        }
    }
    impl From<persistence::DieselError> for Halt {
        fn from(e: persistence::DieselError) -> Self {
            Halt::Failed(e.into())
        }
    }
    let who = |action: &str, retiree_id: i64, object: i64, path: &str, line: u64| {
        let mut entry = job.caller.audit(action, "dependent", object, path);
        entry.retiree_id = Some(retiree_id);
        entry.detail = Some(serde_json::json!({"import_id": job.id, "line": line}).to_string());
        entry
    };
    let end = write_tx(conn, |conn| -> Result<(), Halt> {
        let read = read_rows(
            &retiree_file::DEPENDENTS,
            job.format,
            &job.path,
            job.unpacked_limit,
            job.dir.path(),
            live,
            &mut |event| {
                let row = match event {
                    Event::Header(names) => {
                        let h = header_of(names, &retiree_file::DEPENDENTS).map_err(Stop::Header)?;
                        let json = serde_json::to_string(&h.names).map_err(ApiError::internal)?;
                        jobs::set_header(conn, job.id, &json).map_err(ApiError::from)?;
                        header = Some(h);
                        return Ok(());
                    }
                    Event::Row(row) => row,
                };
                counters.rows_read += 1;
                live.rows_read.fetch_add(1, Ordering::Relaxed);
                let Some(h) = &header else { return Err(Stop::Failed(ApiError::internal("row before header"))) };
                let mut reject = |row: SourceRow, errors: &[FieldError]| -> Result<(), Stop> {
                    live.rejected.fetch_add(1, Ordering::Relaxed);
                    spool.push(row.line, row.cells, errors)?;
                    Ok(())
                };
                let cells = match h.cells(&row) {
                    Ok(cells) => cells,
                    Err(problems) => return reject(row, &problems),
                };
                let mut errors = Vec::new();
                let Some((retiree_id_number, request)) = retiree_file::to_dependent(&cells, &mut errors) else {
                    return reject(row, &errors);
                };
                if !errors.is_empty() {
                    return reject(row, &errors);
                }
                let key = retiree_id_number.to_ascii_uppercase();
                if !retirees.contains_key(&key) {
                    let found = repo::find_by_id_number(conn, &key, &scope).map_err(ApiError::from)?;
                    retirees.insert(key.clone(), found.map(|(r, path)| (r.id, path, r.id_number)));
                }
                let Some(Some((retiree_id, path, own_id))) = retirees.get(&key).cloned() else {
                    let e = FieldError::new(
                        "retiree_id_number",
                        "retiree_not_found",
                        "您的管辖范围内没有该公民身份号码的退休人员",
                        "no retiree with this resident ID in your jurisdiction",
                    );
                    return reject(row, &[e]);
                };
                let data = match crate::routes::dependents::validate_new(&request, &own_id) {
                    Ok(d) => d,
                    Err(e) => {
                        let e: Vec<FieldError> = e
                            .into_iter()
                            .map(|mut f| {
                                f.field = column_of_pointer(&f.field);
                                f
                            })
                            .collect();
                        return reject(row, &e);
                    }
                };
                if !seen.insert((retiree_id, id_key(&data.id_number))) {
                    let e = FieldError::new(
                        "id_number",
                        "duplicate_in_file",
                        "该供养亲属在文件中重复",
                        "this dependant appears twice in the file",
                    );
                    return reject(row, &[e]);
                }
                let existing =
                    repo::find_dependent_by_id_number(conn, retiree_id, &data.id_number).map_err(ApiError::from)?;
                let rules = crate::policy_book::rules_at(conn, &path, crate::routes::retirees::today())?;
                let validity = crate::routes::retirees::first_validity(crate::routes::retirees::today(), rules);
                match (existing, job.on_conflict) {
                    (None, _) => {
                        let d = repo::create_dependent(conn, retiree_id, &data, validity).map_err(ApiError::from)?;
                        persistence::audit::append(
                            conn,
                            &who("dependent.import.create", retiree_id, d.id, &path, row.line),
                        )
                        .map_err(ApiError::from)?;
                        counters.created += 1;
                    }
                    (Some(_), OnConflict::Skip) => counters.skipped += 1,
                    (Some(d), OnConflict::Update) => {
                        let restart = (!d.supported && data.supported).then_some(validity);
                        repo::update_dependent(conn, d.id, d.version, &data, restart).map_err(ApiError::from)?;
                        persistence::audit::append(
                            conn,
                            &who("dependent.import.update", retiree_id, d.id, &path, row.line),
                        )
                        .map_err(ApiError::from)?;
                        counters.updated += 1;
                    }
                    (Some(_), OnConflict::Error) => {
                        let e = FieldError::new(
                            "id_number",
                            "dependent_id_number_taken",
                            "该供养亲属已登记",
                            "this dependent is registered for the retiree already",
                        );
                        return reject(row, &[e]);
                    }
                }
                Ok(())
            },
        );
        match read {
            Ok(()) if header.is_none() => {
                header_problems = Some(vec![FieldError::new(
                    "header",
                    "empty_file",
                    "文件没有表头或数据行",
                    "the file has no header or data rows",
                )]);
                return Err(Halt::Rolled);
            }
            Ok(()) => {}
            Err(Stop::Header(problems)) => {
                header_problems = Some(problems);
                return Err(Halt::Rolled);
            }
            Err(Stop::Failed(e)) => return Err(Halt::Failed(e)),
        }
        counters.rejected = live.rejected.load(Ordering::Relaxed);
        counters.bytes_read = live.done.load(Ordering::Relaxed);
        if job.mode == Mode::Atomic && counters.rejected > 0 {
            return Err(Halt::Rolled);
        }
        spool.store(conn, job.id, Vec::new())?;
        jobs::finish(conn, job.id, "succeeded", &counters, None)?;
        let mut entry = job.caller.audit("dependent.import", "import_job", job.id, &scope);
        entry.detail = Some(
            serde_json::json!({"rows": counters.rows_read, "created": counters.created, "updated": counters.updated,
                "skipped": counters.skipped, "rejected": counters.rejected})
            .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        Ok(())
    });
    match end {
        Ok(()) => Ok(()),
        Err(Halt::Failed(e)) => Err(e),
        Err(Halt::Rolled) => {
            // Nothing of the file was kept; record why.
            let rows_read = counters.rows_read;
            let c = Counters { rows_read, bytes_read: live.done.load(Ordering::Relaxed), ..Counters::default() };
            write_tx(conn, |conn| -> Result<(), ApiError> {
                if let Some(problems) = &header_problems {
                    refuse_file(conn, job.id, problems, &c)
                } else {
                    let rejected = live.rejected.load(Ordering::Relaxed);
                    spool.store(conn, job.id, Vec::new())?;
                    let message = format!(
                        "{rejected} 行未通过校验，按 atomic 模式未写入任何数据 / {rejected} rows failed; nothing was written (atomic)"
                    );
                    jobs::finish(
                        conn,
                        job.id,
                        "rejected",
                        &Counters { rejected, ..c },
                        Some(("rows_rejected", &message)),
                    )?;
                    Ok(())
                }
            })
        }
    }
}

/// Refuses a file whole (unusable header, unreadable file): its problems are the report, on line 1.
fn refuse_file(conn: &mut DbConnection, job_id: i64, problems: &[FieldError], c: &Counters) -> Result<(), ApiError> {
    let records: Vec<RowErrorRecord> = problems
        .iter()
        .enumerate()
        .map(|(i, e)| RowErrorRecord {
            job_id,
            seq: i as i64,
            line: 1,
            field: e.field.clone(),
            code: e.code.clone(),
            message_zh: e.message.zh.clone(),
            message_en: e.message.en.clone(),
        })
        .collect();
    jobs::add_errors(conn, &records, &[])?;
    let code = problems.first().map(|e| e.code.as_str()).unwrap_or("invalid_file");
    let message = problems.first().map(|e| format!("{} / {}", e.message.zh, e.message.en)).unwrap_or_default();
    jobs::finish(conn, job_id, "rejected", &Counters { rejected: 0, ..*c }, Some((code, &message)))?;
    Ok(())
}

/// Finds jobs whose owner is gone (the process stopped mid-import) and marks them failed. On SQLite the
/// database has one process, so a live job not run here is orphaned; on PostgreSQL a job is orphaned when its
/// owner's advisory lock is free.
pub fn reap(conn: &mut DbConnection, registry: &Registry, only: Option<i64>) -> Result<usize, ApiError> {
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

/// Reads the file, calling `sink` with the header, then each row. CSV and NDJSON are first normalised to UTF-8
/// on disk (gunzip, GB18030); XLSX is read cell by cell from its first sheet.
fn read_rows(
    spec: &retiree_file::Spec,
    format: Format,
    raw: &Path,
    unpacked_limit: u64,
    dir: &Path,
    live: &Live,
    sink: &mut dyn FnMut(Event) -> Result<(), Stop>,
) -> Result<(), Stop> {
    match format {
        Format::Xlsx => read_xlsx(spec, raw, live, sink),
        Format::Csv | Format::Ndjson => {
            let text = dir.join("normalised");
            app::files::normalise(raw, &text, unpacked_limit).map_err(|e| match e.code() {
                "unreadable_file" => unreadable(ApiError::from(e).problem().detail),
                "file_too_large" => Stop::Header(vec![FieldError::new(
                    "file",
                    "file_too_large",
                    format!("文件解压后超过上限{unpacked_limit}字节"),
                    format!("the file unpacks to more than the limit of {unpacked_limit} bytes"),
                )]),
                _ => Stop::Failed(e.into()),
            })?;
            let size = std::fs::metadata(&text).map(|m| m.len() as i64).unwrap_or(0);
            live.total.store(size, Ordering::Relaxed);
            let file = File::open(&text).map_err(ApiError::internal)?;
            read_text(spec, format, BufReader::new(file), live, sink)
        }
    }
}

/// Reads normalised (UTF-8) CSV or NDJSON text: NDJSON when the format says so or the text starts with `{`.
pub(crate) fn read_text<R: BufRead>(
    spec: &retiree_file::Spec,
    format: Format,
    mut text: R,
    live: &Live,
    sink: &mut dyn FnMut(Event) -> Result<(), Stop>,
) -> Result<(), Stop> {
    let start = text.fill_buf().map_err(ApiError::internal)?;
    if format == Format::Ndjson || looks_like_ndjson(&start[..start.len().min(8)]) {
        read_ndjson(spec, text, live, sink)
    } else {
        read_csv(text, live, sink)
    }
}

/// Whether the first bytes of a file, past white space and a byte order mark, are `{`.
fn looks_like_ndjson(first: &[u8]) -> bool {
    first.iter().find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF) == Some(&b'{')
}

fn unreadable(e: impl std::fmt::Display) -> Stop {
    Stop::Header(vec![FieldError::new(
        "file",
        "unreadable_file",
        format!("文件无法读取：{e}"),
        format!("the file cannot be read: {e}"),
    )])
}

fn read_csv<R: std::io::Read>(
    text: R,
    live: &Live,
    sink: &mut dyn FnMut(Event) -> Result<(), Stop>,
) -> Result<(), Stop> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text);
    let mut record = csv::StringRecord::new();
    let mut header_seen = false;
    loop {
        let line = reader.position().line();
        let more = match reader.read_record(&mut record) {
            Ok(more) => more,
            Err(e) => {
                if !header_seen {
                    return Err(unreadable(e));
                }
                // A malformed record (bad quoting, invalid UTF-8): that row is rejected, reading goes on.
                let row = SourceRow {
                    line,
                    cells: Vec::new(),
                    problems: vec![FieldError::new(
                        "row",
                        "malformed_row",
                        format!("该行无法解析：{e}"),
                        format!("the row cannot be parsed: {e}"),
                    )],
                };
                sink(Event::Row(row))?;
                continue;
            }
        };
        if !more {
            break;
        }
        live.done.store(reader.position().byte() as i64, Ordering::Relaxed);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if !header_seen {
            header_seen = true;
            sink(Event::Header(cells))?;
        } else {
            sink(Event::Row(SourceRow {
                line: record.position().map_or(line, |p| p.line()),
                cells,
                problems: vec![],
            }))?;
        }
    }
    Ok(())
}

fn json_cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|g| match g {
                serde_json::Value::Object(o) => {
                    let get = |k: &str| o.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                    let to = get("to");
                    if to.is_empty() {
                        format!("{}:{}", get("group"), get("from"))
                    } else {
                        format!("{}:{}:{}", get("group"), get("from"), to)
                    }
                }
                other => json_cell(other),
            })
            .collect::<Vec<_>>()
            .join(";"),
        other => other.to_string(),
    }
}

fn read_ndjson<R: BufRead>(
    spec: &retiree_file::Spec,
    mut reader: R,
    live: &Live,
    sink: &mut dyn FnMut(Event) -> Result<(), Stop>,
) -> Result<(), Stop> {
    let names: Vec<String> = spec.columns.iter().map(|c| (*c).to_owned()).collect();
    sink(Event::Header(names))?;
    let mut buf = Vec::new();
    let (mut line, mut done) = (0u64, 0i64);
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(ApiError::internal)?;
        if n == 0 {
            break;
        }
        line += 1;
        done += n as i64;
        live.done.store(done, Ordering::Relaxed);
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim().trim_start_matches('\u{feff}');
        if text.is_empty() {
            continue;
        }
        let mut cells = vec![String::new(); spec.columns.len()];
        let mut problems = Vec::new();
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
            Ok(map) => {
                for (key, value) in &map {
                    match spec.columns.iter().position(|c| c == key) {
                        Some(i) => cells[i] = json_cell(value),
                        None => problems.push(FieldError::new(
                            key.as_str(),
                            "unknown_field",
                            format!("未知字段 {key}"),
                            format!("unknown field {key}"),
                        )),
                    }
                }
            }
            Err(e) => problems.push(FieldError::new(
                "row",
                "invalid_json",
                format!("该行不是 JSON 对象：{e}"),
                format!("the line is not a JSON object: {e}"),
            )),
        }
        if !problems.is_empty() {
            cells = vec![text.to_owned()];
        }
        sink(Event::Row(SourceRow { line, cells, problems }))?;
    }
    Ok(())
}

/// An Excel serial date (1900 system) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> Option<String> {
    let epoch = time::Date::from_calendar_date(1899, time::Month::December, 30).ok()?;
    let days = serial.floor();
    if !(1.0..=2_958_465.0).contains(&days) {
        return None;
    }
    epoch.checked_add(time::Duration::days(days as i64)).map(|d| d.to_string())
}

fn xlsx_cell(value: &calamine::DataRef<'_>, column: Option<&str>, problems: &mut Vec<FieldError>) -> String {
    use calamine::DataRef as D;
    let numeric_id = |problems: &mut Vec<FieldError>| {
        problems.push(FieldError::new(
            "id_number",
            "id_number_as_number",
            "公民身份号码列被 Excel 存成了数字（会丢失末位），请将该列设为文本格式后重新导出",
            "the resident ID column is stored as a number (Excel drops digits); format the column as text",
        ));
    };
    match value {
        D::String(s) => s.clone(),
        D::SharedString(s) => (*s).to_owned(),
        D::Int(i) => {
            if column == Some("id_number") {
                numeric_id(problems);
            }
            i.to_string()
        }
        D::Float(f) => {
            if column == Some("id_number") {
                numeric_id(problems);
            }
            if f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", *f as i64) } else { f.to_string() }
        }
        D::Bool(b) => b.to_string(),
        D::DateTime(d) => excel_date(d.as_f64()).unwrap_or_else(|| d.as_f64().to_string()),
        D::DateTimeIso(s) => s.chars().take(10).collect(),
        D::DurationIso(s) => s.clone(),
        D::Error(e) => {
            problems.push(FieldError::new(
                column.unwrap_or("row"),
                "cell_error",
                format!("单元格含有 Excel 错误值 {e}"),
                format!("the cell holds the Excel error {e}"),
            ));
            String::new()
        }
        D::Empty => String::new(),
    }
}

fn read_xlsx(
    spec: &retiree_file::Spec,
    path: &Path,
    live: &Live,
    sink: &mut dyn FnMut(Event) -> Result<(), Stop>,
) -> Result<(), Stop> {
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(path).map_err(unreadable)?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(unreadable("no worksheet"));
    };
    let mut cells_reader = workbook.worksheet_cells_reader(&sheet).map_err(unreadable)?;
    let dims = cells_reader.dimensions();
    live.total.store(i64::from(dims.end.0) + 1, Ordering::Relaxed);
    let mut columns: Vec<Option<&'static str>> = Vec::new();
    let mut header_seen = false;
    let mut current: Option<u32> = None;
    let mut cells: Vec<String> = Vec::new();
    let mut problems: Vec<FieldError> = Vec::new();
    let mut width = 0usize;
    let mut emit = |row: u32,
                    cells: &mut Vec<String>,
                    problems: &mut Vec<FieldError>,
                    header_seen: &mut bool,
                    columns: &mut Vec<Option<&'static str>>,
                    width: &mut usize|
     -> Result<(), Stop> {
        live.done.store(i64::from(row) + 1, Ordering::Relaxed);
        if cells.iter().all(|c| c.trim().is_empty()) && problems.is_empty() {
            cells.clear();
            return Ok(());
        }
        if !*header_seen {
            *header_seen = true;
            while cells.last().is_some_and(|c| c.trim().is_empty()) {
                cells.pop();
            }
            *width = cells.len();
            *columns = cells.iter().map(|n| (spec.column_of)(n)).collect();
            sink(Event::Header(std::mem::take(cells)))?;
        } else {
            cells.resize(*width, String::new());
            let row = SourceRow {
                line: u64::from(row) + 1,
                cells: std::mem::take(cells),
                problems: std::mem::take(problems),
            };
            sink(Event::Row(row))?;
        }
        Ok(())
    };
    loop {
        let cell = match cells_reader.next_cell() {
            Ok(c) => c,
            Err(e) => return Err(unreadable(e)),
        };
        let Some(cell) = cell else { break };
        let (row, col) = cell.get_position();
        if current != Some(row) {
            if let Some(prev) = current {
                emit(prev, &mut cells, &mut problems, &mut header_seen, &mut columns, &mut width)?;
            }
            current = Some(row);
        }
        let col = col as usize;
        if header_seen && col >= width {
            continue;
        }
        if cells.len() <= col {
            cells.resize(col + 1, String::new());
        }
        let column = if header_seen { columns.get(col).copied().flatten() } else { None };
        cells[col] = xlsx_cell(cell.get_value(), column, &mut problems);
    }
    if let Some(prev) = current {
        emit(prev, &mut cells, &mut problems, &mut header_seen, &mut columns, &mut width)?;
    }
    Ok(())
}

/// The first certification validity of the people an import creates: one period of their community's policy
/// from today, the registration date (CS Art. 16(2)); set-based, one statement per distinct date.
fn first_validity(conn: &mut persistence::DbConnection) -> Result<(), ApiError> {
    let on = crate::routes::retirees::today();
    let book = crate::policy_book::PolicyBook::load(conn, on)?;
    let mut by_date: std::collections::BTreeMap<time::Date, Vec<String>> = std::collections::BTreeMap::new();
    for c in bulk::communities_to_create(conn)? {
        let until = domain::pension::certified_until(on, book.rules_at(&c.path).period_months);
        by_date.entry(until).or_default().push(c.community_code);
    }
    let default = by_date
        .iter()
        .max_by_key(|(_, codes)| codes.len())
        .map_or_else(|| domain::pension::certified_until(on, book.rules_at("").period_months), |(d, _)| *d);
    let others: Vec<(time::Date, Vec<String>)> = by_date.into_iter().filter(|(d, _)| *d != default).collect();
    bulk::set_certified_until(conn, default, &others)?;
    Ok(())
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
