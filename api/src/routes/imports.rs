//! File imports: `POST /imports/jurisdictions` (division CSV, answered when done) and `POST /imports/retirees`
//! (rosters, run as jobs: `GET /imports/{id}`, its errors as JSON and the rejected rows as CSV).

use std::sync::atomic::Ordering;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use persistence::DbConnection;
use persistence::import_jobs::{self as jobs, ImportJob, NewImportJob, RowErrorRecord};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, finish, instant, next_cursor};
use crate::auth::Caller;
use crate::context::Lang;
use crate::error::ApiError;
use crate::extract::{BodyLimits, page};
use crate::state::AppState;
use app::imports::Mode;
use app::imports::divisions::ImportReport;
use app::imports::roster::{Format, Kind, Live, Registry, conflict_code};

/// Import options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `atomic` (default: all rows or none) or `partial` (good rows kept, bad rows reported).
    pub mode: Option<String>,
}

/// Imports a division tree: CSV `code,name,level,parent_code` (UTF-8, UTF-8 with BOM or GB18030; gzip
/// accepted). Existing codes are updated, never duplicated; a node whose parent is in neither the file nor the
/// tree becomes a root. Every node must land in the caller's subtree.
#[utoipa::path(tag = "imports", security(("bearer" = ["jurisdiction.import"])), params(ImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    request_body(content = String, content_type = "text/csv", description = "Division CSV",
        example = "code,name,level,parent_code\n3502,厦门市,city,35\n350203,思明区,district,3502\n"),
    responses((status = 200, body = ImportReport, example = json!({"mode": "atomic", "rows": 616, "created": 616, "updated": 0,
        "unchanged": 0, "rejected": 0, "errors": []})), crate::openapi::WriteErrors))]
#[post("/imports/jurisdictions")]
pub async fn jurisdictions(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::JurisdictionImport)?;
    let upload = crate::upload::receive(
        &req,
        query.mode.as_deref(),
        payload,
        limits.import,
        &["text/csv", "application/csv", "application/gzip", "application/x-gzip"],
        "/imports/jurisdictions",
    )
    .await?;
    let (mode, dir, raw_path, unpacked) = (upload.mode, upload.dir, upload.path, upload.unpacked_limit);
    let c = caller.clone();
    crate::idempotency::answer(&state, &caller, upload.key, upload.fingerprint, move |conn| {
        let normalised = dir.path().join("import.csv");
        app::files::normalise(&raw_path, &normalised, unpacked)?;
        let report = app::imports::divisions::import(conn, &normalised, mode, &c.scope_path, &c.login)?;
        let mut entry = c.audit("jurisdiction.import", "jurisdiction_import", "", &c.scope_path);
        entry.object_id = None;
        entry.detail = Some(
            serde_json::json!({"mode": report.mode, "rows": report.rows, "created": report.created,
                "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected})
            .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        Ok(crate::idempotency::Answered {
            status: 200,
            body: serde_json::to_value(&report).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Options of a retiree import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RetireeImportQuery {
    /// `atomic` (default: all rows or none) or `partial` (good rows kept, bad rows reported).
    pub mode: Option<String>,
    /// For rows whose resident ID is registered already: `error` (default: the row is rejected), `skip` (left
    /// alone) or `update` (the stored record takes the row's values; only within the caller's subtree).
    pub on_conflict: Option<String>,
}

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
    /// `queued`, `running`, `succeeded` (written; in partial mode bad rows are reported), `rejected` (nothing
    /// written: bad rows in atomic mode, or an unusable file) or `failed` (nothing written: interrupted or an
    /// internal error; send the file again).
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

fn job_response(job: ImportJob, live: Option<&Live>) -> Result<ImportJobResponse, ApiError> {
    let field_changes = match &job.field_changes {
        Some(text) => Some(serde_json::from_str(text).map_err(|e| {
            ApiError::internal(format!("import job {}: stored field_changes do not parse: {e}", job.id))
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
    let lang = crate::context::current().lang;
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
        error: job
            .error_code
            .map(|code| JobProblem { code, message: pick(job.error_message.unwrap_or_default(), lang) }),
        created_by: job.actor,
        created_at: instant(job.created_at),
        started_at: job.started_at.map(instant),
        finished_at: job.finished_at.map(instant),
        links: JobLinks { errors: format!("{base}/errors"), errors_csv: format!("{base}/errors.csv"), job: base },
    })
}

/// Job messages are stored as `中文 / English`; picks the caller's language.
fn pick(message: String, lang: Lang) -> String {
    match message.split_once(" / ") {
        Some((zh, en)) => match lang {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        },
        None => message,
    }
}

/// Imports retirees from CSV (UTF-8, UTF-8 with BOM or GB18030; gzip accepted), NDJSON or XLSX (first sheet),
/// chosen by `Content-Type`. The first row names the columns (`name, id_number, sex, birth_date,
/// retirement_date, category, management_level, community_code, phone, address, monthly_pension, party_member,
/// special_groups, notes`, or their Chinese names such as 姓名, 公民身份号码); codes or Chinese labels; special
/// groups as `living_alone:2024-01-01[:2025-12-31]` joined by `;`. Every row goes through the checks of
/// `POST /retirees` and must name a community in the caller's subtree.
///
/// The upload is streamed to disk and answered at once with 202 and the job (`Location`); follow it until
/// its status is `succeeded`, `rejected` or `failed`. Nothing of the file is visible before the job ends.
#[utoipa::path(tag = "imports", security(("bearer" = ["retiree.import"])), params(RetireeImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "A replay with the same file answers the first job")),
    request_body(content = String, description = "The roster file", content(
        (String = "text/csv", example = "name,id_number,retirement_date,category,management_level,community_code\n张三,350203195501010016,2015-01-01,enterprise_employee,city_managed,350203001001\n"),
        (String = "application/x-ndjson", example = "{\"name\":\"张三\",\"id_number\":\"350203195501010016\",\"retirement_date\":\"2015-01-01\",\"category\":\"enterprise_employee\",\"management_level\":\"city_managed\",\"community_code\":\"350203001001\"}\n"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 202, body = ImportJobResponse, headers(("Location" = String)),
        example = json!({"id": 7, "kind": "retirees", "status": "queued", "mode": "atomic", "on_conflict": "error",
            "format": "csv", "bytes_total": 10485760, "progress": 0.0, "rows_read": 0, "accepted": 0, "created": 0,
            "updated": 0, "skipped": 0, "rejected": 0, "error": null, "created_by": "importer",
            "created_at": "2026-11-23T08:00:00Z", "started_at": null, "finished_at": null,
            "links": {"job": "/api/v1/imports/7", "errors": "/api/v1/imports/7/errors", "errors_csv": "/api/v1/imports/7/errors.csv"}})),
        crate::openapi::WriteErrors))]
#[post("/imports/retirees")]
pub async fn retirees(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: web::Query<RetireeImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    start_import(Kind::Retirees, req, caller, state, limits, query.into_inner(), payload).await
}

/// Imports dependants (供养直系亲属) of registered retirees: columns `retiree_id_number, relation, id_number,
/// name, supported` (or 退休人员公民身份号码, 关系, 公民身份号码, 姓名, 是否供养), in the same formats, modes and
/// `on_conflict` handling as retiree imports (a conflict is the same dependant already registered for that
/// retiree). Each row goes through the checks of `POST /retirees/{id}/dependents`; the retiree must be
/// registered in the caller's subtree (`retiree_not_found` otherwise). Answered with 202 and the job.
#[utoipa::path(tag = "imports", security(("bearer" = ["retiree.import"])), params(RetireeImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "A replay with the same file answers the first job")),
    request_body(content = String, description = "The dependants file", content(
        (String = "text/csv", example = "retiree_id_number,relation,id_number,name,supported\n350203195501010016,spouse,350203195703030023,李四,true\n"),
        (String = "application/x-ndjson"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 202, body = ImportJobResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/imports/dependents")]
pub async fn dependents(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: web::Query<RetireeImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    start_import(Kind::Dependents, req, caller, state, limits, query.into_inner(), payload).await
}

async fn start_import(
    kind: Kind,
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: RetireeImportQuery,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeImport)?;
    let on_conflict = app::imports::roster::on_conflict(query.on_conflict.as_deref())?;
    if !state.imports.has_room() {
        return Err(ApiError::unavailable());
    }
    let operation = format!("/imports/{}?on_conflict={}", kind.as_str(), conflict_code(on_conflict));
    let upload =
        crate::upload::receive(&req, query.mode.as_deref(), payload, limits.import, &Format::CONTENT_TYPES, &operation)
            .await?;
    let format = Format::of(&upload.content_type).unwrap_or(Format::Csv);
    let bytes_total = std::fs::metadata(&upload.path).map(|m| m.len() as i64).unwrap_or(0);
    let new = NewImportJob {
        kind: kind.as_str().into(),
        status: "queued".into(),
        mode: match upload.mode {
            Mode::Atomic => "atomic".into(),
            Mode::Partial => "partial".into(),
        },
        on_conflict: conflict_code(on_conflict).into(),
        format: format.as_str().into(),
        actor: caller.login.clone(),
        actor_role: caller.role.as_str().into(),
        scope_path: caller.scope_path.clone(),
        file_sha256: upload.fingerprint.clone(),
        bytes_total,
    };
    let c = caller.clone();
    let (response, started) =
        crate::idempotency::start(&state, &caller, upload.key.clone(), upload.fingerprint.clone(), move |conn| {
            let job = jobs::create(conn, &new)?;
            let action = if kind == Kind::Retirees { "retiree.import.start" } else { "dependent.import.start" };
            let mut entry = c.audit(action, "import_job", job.id, &c.scope_path);
            entry.detail = Some(
                serde_json::json!({"mode": job.mode, "on_conflict": job.on_conflict, "format": job.format,
                    "bytes": job.bytes_total, "sha256": job.file_sha256})
                .to_string(),
            );
            persistence::audit::append(conn, &entry)?;
            let id = job.id;
            let body = serde_json::to_value(job_response(job, None)?).map_err(ApiError::internal)?;
            Ok((format!("/api/v1/imports/{id}"), body, id))
        })
        .await?;
    if let Some(id) = started {
        let job = app::imports::roster::Job {
            id,
            kind,
            format,
            mode: upload.mode,
            on_conflict,
            caller: caller.0.clone(),
            on: state.clock.today(),
            dir: upload.dir,
            path: upload.path,
            unpacked_limit: upload.unpacked_limit,
        };
        app::imports::roster::spawn(state.pool.clone(), state.imports.clone(), job);
    }
    Ok(response)
}

/// The job if the caller may see it: its kind's import permission and its scope inside the caller's subtree.
fn visible_job(conn: &mut DbConnection, caller: &Caller, id: i64, registry: &Registry) -> Result<ImportJob, ApiError> {
    let mut job = jobs::find(conn, id)?;
    if !caller.sees(&job.scope_path) {
        return Err(ApiError::not_found());
    }
    if jobs::LIVE.contains(&job.status.as_str()) && registry.get(id).is_none() {
        // Its owner may be gone (the service stopped mid-import): then it failed.
        if app::imports::roster::reap(conn, registry, Some(id))? > 0 {
            job = jobs::find(conn, id)?;
        }
    }
    Ok(job)
}

/// List filters of import jobs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobListQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Import jobs in the caller's subtree, newest first.
#[utoipa::path(tag = "imports", security(("bearer" = ["retiree.import"])), params(JobListQuery),
    responses((status = 200, body = Page<ImportJobResponse>), crate::openapi::ReadErrors))]
#[get("/imports")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<JobListQuery>,
) -> Result<web::Json<Page<ImportJobResponse>>, ApiError> {
    caller.require(Permission::RetireeImport)?;
    let mut problems = Vec::new();
    let (limit, before) = page::<i64>("j", query.limit.as_deref(), query.cursor.as_deref(), &mut problems);
    finish(problems)?;
    let scope = caller.scope_path.clone();
    let items =
        crate::db::run(&state.pool, move |conn| jobs::list(conn, &scope, Some("retirees"), before, limit)).await?;
    let next = next_cursor(&items, limit, "j", |j| j.id.to_string());
    let registry = state.imports.clone();
    let items = items
        .into_iter()
        .map(|j| {
            let live = registry.get(j.id);
            job_response(j, live.as_deref())
        })
        .collect::<Result<_, _>>()?;
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One import job: status, counters and progress while it runs; the counts and the reason at the end.
#[utoipa::path(tag = "imports", security(("bearer" = ["retiree.import"])), params(("id" = i64, Path, description = "Job id")),
    responses((status = 200, body = ImportJobResponse), crate::openapi::ReadErrors))]
#[get("/imports/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<ImportJobResponse>, ApiError> {
    caller.require(Permission::RetireeImport)?;
    let id = path.into_inner();
    let c = caller.clone();
    let registry = state.imports.clone();
    let job = crate::db::run(&state.pool, move |conn| visible_job(conn, &c, id, &registry)).await?;
    let live = state.imports.get(id);
    Ok(web::Json(job_response(job, live.as_deref())?))
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

/// Every broken rule of every rejected row of a job, by line.
#[utoipa::path(tag = "imports", security(("bearer" = ["retiree.import"])), params(("id" = i64, Path, description = "Job id"), JobListQuery),
    responses((status = 200, body = Page<ImportRowError>), crate::openapi::ReadErrors))]
#[get("/imports/{id}/errors")]
pub async fn job_errors(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<JobListQuery>,
) -> Result<web::Json<Page<ImportRowError>>, ApiError> {
    caller.require(Permission::RetireeImport)?;
    let mut problems = Vec::new();
    let (limit, after) = page::<i64>("e", query.limit.as_deref(), query.cursor.as_deref(), &mut problems);
    finish(problems)?;
    let id = path.into_inner();
    let c = caller.clone();
    let registry = state.imports.clone();
    let records = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        visible_job(conn, &c, id, &registry)?;
        Ok(jobs::errors(conn, id, after, limit)?)
    })
    .await?;
    let next = next_cursor(&records, limit, "e", |e| e.seq.to_string());
    let lang = crate::context::current().lang;
    let items = records
        .into_iter()
        .map(|e| ImportRowError {
            line: e.line,
            field: e.field,
            code: e.code,
            message: match lang {
                Lang::Zh => e.message_zh,
                Lang::En => e.message_en,
            },
        })
        .collect();
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// The rejected rows as a CSV file (UTF-8 with BOM, opens in Excel): the file's own columns with the values as
/// sent, then `error_line`, `error_fields`, `error_codes`, `error_messages`. Fix the rows and send the file
/// again; the `error_*` columns are ignored on import. Only the uploader may download it (it holds the personal
/// data they sent); the download is audited.
#[utoipa::path(tag = "imports", security(("bearer" = ["retiree.import"])), params(("id" = i64, Path, description = "Job id")),
    responses((status = 200, content_type = "text/csv", body = String,
        example = "\u{feff}name,id_number,retirement_date,category,management_level,community_code,error_line,error_fields,error_codes,error_messages\r\n张三,350203195501010018,2015-01-01,enterprise_employee,city_managed,350203001001,2,id_number,id_number_checksum,公民身份号码校验码错误\r\n"),
        crate::openapi::ReadErrors))]
#[get("/imports/{id}/errors.csv")]
pub async fn errors_csv(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeImport)?;
    let id = path.into_inner();
    let c = caller.clone();
    let registry = state.imports.clone();
    let lang = crate::context::current().lang;
    let body = crate::db::write(&state.pool, move |conn| {
        let job = visible_job(conn, &c, id, &registry)?;
        if job.actor != c.login {
            return Err(ApiError::forbidden());
        }
        let mut header: Vec<String> = match job.header.as_deref() {
            Some(h) => persistence::typed::stored_json("import_jobs", job.id, "header", h)?,
            None => Vec::new(),
        };
        let width = header.len();
        header.extend(["error_line", "error_fields", "error_codes", "error_messages"].map(String::from));
        // Flexible: a row refused for its width keeps all the cells it had.
        let mut out =
            csv::WriterBuilder::new().flexible(true).terminator(csv::Terminator::CRLF).from_writer(Vec::new());
        out.write_record(&header).map_err(ApiError::internal)?;
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
                let join =
                    |f: &dyn Fn(&RowErrorRecord) -> String| row_errors.iter().map(f).collect::<Vec<_>>().join("; ");
                cells.push(row.line.to_string());
                cells.push(join(&|e| e.field.clone()));
                cells.push(join(&|e| e.code.clone()));
                cells.push(join(&|e| match lang {
                    Lang::Zh => e.message_zh.clone(),
                    Lang::En => e.message_en.clone(),
                }));
                out.write_record(&cells).map_err(ApiError::internal)?;
                rows += 1;
            }
        }
        let mut entry = c.audit("retiree.import.rejected_rows.read", "import_job", id, &job.scope_path);
        entry.detail = Some(serde_json::json!({"rows": rows}).to_string());
        persistence::audit::append(conn, &entry)?;
        let mut bytes = "\u{feff}".as_bytes().to_vec();
        bytes.extend(out.into_inner().map_err(ApiError::internal)?);
        Ok(bytes)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"import-{id}-rejected.csv\"")))
        .body(body))
}
