//! File imports: `POST /imports/jurisdictions` (division CSV, answered when done) and `POST /imports/retirees`
//! (rosters, run as jobs: `GET /imports/{id}`, its errors as JSON and the rejected rows as CSV).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor};
use crate::auth::Caller;
use crate::context::Lang;
use crate::error::ApiError;
use crate::extract::{BodyLimits, page};
use crate::state::AppState;
use app::imports::divisions::ImportReport;
use app::imports::jobs::NewJob;
use app::imports::roster::{Format, Kind, conflict_code};

use app::imports::jobs::{ImportJobResponse, ImportRowError};

/// Whether the caller asked for English messages.
fn english() -> bool {
    crate::context::current().lang == Lang::En
}

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
    let c = caller.0.clone();
    crate::idempotency::answer(&state, &caller, upload.key, upload.fingerprint, move |conn| {
        let report = app::imports::divisions::import_upload(conn, &c, &raw_path, dir.path(), mode, unpacked)?;
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

/// Imports retirees from CSV (UTF-8, UTF-8 with BOM or GB18030; gzip accepted), NDJSON or XLSX (first sheet),
/// chosen by `Content-Type`. The first row names the columns (`name, id_number, sex, birth_date,
/// retirement_date, category, management_level, community_code, phone, address, monthly_pension, party_member,
/// special_groups, notes`, or their Chinese names such as 姓名, 公民身份号码); codes or Chinese labels; special
/// groups as `living_alone:2024-01-01[:2025-12-31]` joined by `;`. Every row goes through the checks of
/// `POST /retirees` and must name a community in the caller's subtree.
///
/// The upload is streamed to disk and answered at once with 202 and the job (`Location`); follow it until
/// its status is `succeeded`, `completed_with_errors` (partial mode, some rows rejected), `rejected` (nothing
/// written) or `failed`. Nothing of the file is visible before the job ends. An XLSX exported by
/// `GET /exports/retirees` (Chinese headers and labels, typed dates and numbers) imports back as it is.
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
    let new = NewJob { kind, format, mode: upload.mode, on_conflict, sha256: upload.fingerprint.clone(), bytes_total };
    let c = caller.0.clone();
    let (response, started) =
        crate::idempotency::start(&state, &caller, upload.key.clone(), upload.fingerprint.clone(), move |conn| {
            let (id, job) = app::imports::jobs::start(conn, &c, &new)?;
            let body = serde_json::to_value(job).map_err(ApiError::internal)?;
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
    let c = caller.0.clone();
    let registry = state.imports.clone();
    let en = english();
    let items =
        crate::db::run(&state.pool, move |conn| app::imports::jobs::list(conn, &c, &registry, before, limit, en))
            .await?;
    let next = next_cursor(&items, limit, "j", |j| j.id.to_string());
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
    let c = caller.0.clone();
    let registry = state.imports.clone();
    let en = english();
    let job = crate::db::run(&state.pool, move |conn| app::imports::jobs::read(conn, &c, &registry, id, en)).await?;
    Ok(web::Json(job))
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
    let c = caller.0.clone();
    let registry = state.imports.clone();
    let en = english();
    let records = crate::db::run(&state.pool, move |conn| {
        app::imports::jobs::row_errors(conn, &c, &registry, id, after, limit, en)
    })
    .await?;
    let next = next_cursor(&records, limit, "e", |(seq, _)| seq.to_string());
    let items = records.into_iter().map(|(_, e)| e).collect();
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Labels of the rejected-rows file.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ErrorsCsvQuery {
    /// `zh`: Chinese headers of the report columns (`错误行号`, `错误字段`, `错误代码`, `错误说明`) and the fields
    /// named by their Chinese column names, as exports do; `codes`: `error_line`, `error_fields`, `error_codes`,
    /// `error_messages` and the API's field names. Default: `zh`, or `codes` when `Accept-Language` prefers English.
    #[param(example = "zh")]
    pub labels: Option<String>,
}

/// The rejected rows as a CSV file (UTF-8 with BOM, opens in Excel): the file's own columns with the values as
/// sent, then the line, the fields, the error codes and the messages of each rejected row: for people (the
/// default) with Chinese headers `错误行号`, `错误字段`, `错误代码`, `错误说明`, for machines (`labels=codes`)
/// `error_line`, `error_fields`, `error_codes`, `error_messages`. Fix the rows and send the file again; these
/// columns are ignored on import. Only the uploader may download it (it holds the personal data they sent); the
/// download is audited.
#[utoipa::path(tag = "imports", security(("bearer" = ["retiree.import"])),
    params(("id" = i64, Path, description = "Job id"), ErrorsCsvQuery),
    responses((status = 200, content_type = "text/csv", body = String,
        example = "\u{feff}name,id_number,retirement_date,category,management_level,community_code,错误行号,错误字段,错误代码,错误说明\r\n张三,350203195501010018,2015-01-01,enterprise_employee,city_managed,350203001001,2,公民身份号码,id_number_checksum,公民身份号码校验码错误\r\n"),
        crate::openapi::ReadErrors))]
#[get("/imports/{id}/errors.csv")]
pub async fn errors_csv(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<ErrorsCsvQuery>,
) -> Result<HttpResponse, ApiError> {
    use app::exports::Labels;
    caller.require(Permission::RetireeImport)?;
    let mut errors = Vec::new();
    let labels =
        super::common::enum_filter("labels", query.labels.as_deref(), Labels::parse, vec!["zh", "codes"], &mut errors);
    finish(errors)?;
    let en = english();
    let labels = labels.unwrap_or(if en { Labels::Codes } else { Labels::Zh });
    let id = path.into_inner();
    let c = caller.0.clone();
    let registry = state.imports.clone();
    let body = crate::db::write(&state.pool, move |conn| {
        app::imports::jobs::rejected_csv(conn, &c, &registry, id, en, labels)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"import-{id}-rejected.csv\"")))
        .body(body))
}
