//! Health records (issue 25; GUIDE 第五部分第四章四; CS Art. 7(3)6; JN Art. 25): community health service
//! institutions with their cooperation agreement, a record per person with examinations, the worklists (due for
//! an update; people of the policy age without a record) and their files. Health data is sensitive personal
//! information (PIPL Art. 28): `health.read` sees it, `retiree.read` alone the masked summary; every read is
//! audited. The use cases are in [`app::health_records`].

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, PageQuery, code_filter, finish, next_cursor};
use super::files::{self, FileParams};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, if_match, optional_if_match, page};
use crate::state::AppState;

use app::health_records::institutions::{AgreementInput, InstitutionInput, InstitutionView};
use app::health_records::records::{AdjustInput, ExaminationInput, MissingView, RecordInput, RecordView};
pub use domain::health::DisabilityLevel;

const INSTITUTION_CURSOR: &str = "hi";
const RECORD_CURSOR: &str = "hr";
const MISSING_CURSOR: &str = "hm";

/// Registers a community health service institution of a node (GUIDE 第五部分第四章四 2(1)-(5)), with its
/// cooperation agreement if signed (an agreement ending before it starts: 422 `agreement_order`).
#[utoipa::path(tag = "health-records", security(("bearer" = ["health.write"])), request_body = InstitutionInput,
    responses((status = 201, body = InstitutionView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/health-institutions")]
pub async fn create_institution(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<InstitutionInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::HealthWrite)?;
    let asked = app::health_records::institutions::check(&body.0).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v =
        crate::db::write(&state.pool, move |conn| app::health_records::institutions::create(conn, &c, today, asked))
            .await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/health-institutions/{}", v.id), &v, v.version))
}

/// Institutions of the nodes in the caller's subtree, by id, with whether their agreement is in force today.
#[utoipa::path(tag = "health-records", security(("bearer" = ["retiree.read"]), ("bearer" = ["health.read"])),
    params(PageQuery), responses((status = 200, body = Page<InstitutionView>), crate::openapi::ReadErrors))]
#[get("/health-institutions")]
pub async fn list_institutions(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<InstitutionView>>, ApiError> {
    let today = state.clock.today();
    app::health_records::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(INSTITUTION_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::health_records::institutions::list(conn, &c, today, after, limit))
            .await?;
    let next = next_cursor(&items, limit, INSTITUTION_CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One institution of a node in the caller's subtree.
#[utoipa::path(tag = "health-records", security(("bearer" = ["retiree.read"]), ("bearer" = ["health.read"])),
    params(("id" = i64, Path, description = "Institution id")),
    responses((status = 200, body = InstitutionView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/health-institutions/{id}")]
pub async fn get_institution(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::health_records::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v =
        crate::db::run(&state.pool, move |conn| app::health_records::institutions::get(conn, &c, today, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Signs or renews the cooperation agreement of an institution (GUIDE 第五部分第四章四 2(5) 签订协议); needs
/// `If-Match`. Records are created and updated only with an institution whose agreement is in force.
#[utoipa::path(tag = "health-records", security(("bearer" = ["health.write"])), request_body = AgreementInput,
    params(("id" = i64, Path, description = "Institution id"), ("If-Match" = String, Header, description = "ETag read")),
    responses((status = 200, body = InstitutionView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/health-institutions/{id}/agreement")]
pub async fn sign_agreement(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<AgreementInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::HealthWrite)?;
    let if_match = if_match(&req)?;
    let asked = app::health_records::institutions::check_agreement(&body.0).map_err(ApiError::validation)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| {
        app::health_records::institutions::sign_agreement(conn, &c, today, id, if_match, asked)
    })
    .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Creates a person's health record (GUIDE 第五部分第四章四 2(6)-(7)) with an institution whose agreement is in
/// force on the day the information was collected (else 422 `health_agreement_inactive` on `/institution_id`); a
/// person with a record: 409 `health_record_exists`. Emits `health.record_created` (dates only).
#[utoipa::path(tag = "health-records", security(("bearer" = ["health.write"])), request_body = RecordInput,
    responses((status = 201, body = RecordView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/health-records")]
pub async fn create_record(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<RecordInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::HealthWrite)?;
    let asked = app::health_records::records::check(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v =
        crate::db::write(&state.pool, move |conn| app::health_records::records::create(conn, &c, today, asked)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/health-records/{}", v.id), &v, v.version))
}

/// Filters of the record list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    /// `true`: only records due for an update today (last updated at least the policy's
    /// `health.update_interval_days` ago): the worklist of GUIDE 第五部分第四章四 2(8).
    pub due: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn flag(name: &str, v: Option<&str>, errors: &mut Vec<app::error::FieldError>) -> bool {
    code_filter(name, v, &["true", "false"], errors).is_some_and(|v| v == "true")
}

/// Records of the people in the caller's subtree, by id: the health data for `health.read`, else the masked
/// summary (`masked: true`: last update, next due). `due=true` gives the update worklist. An audited read
/// (`health.record.list`).
#[utoipa::path(tag = "health-records", security(("bearer" = ["retiree.read"]), ("bearer" = ["health.read"])),
    params(RecordQuery), responses((status = 200, body = Page<RecordView>), crate::openapi::ReadErrors))]
#[get("/health-records")]
pub async fn list_records(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<RecordQuery>,
) -> Result<web::Json<Page<RecordView>>, ApiError> {
    let today = state.clock.today();
    app::health_records::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(RECORD_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let due = flag("due", q.due.as_deref(), &mut errors);
    finish(errors)?;
    let rq = app::health_records::records::RecordQuery { due, after, limit };
    let c = caller.0.clone();
    let items =
        crate::db::read_audited(&state, move |conn| app::health_records::records::list(conn, &c, today, &rq)).await?;
    let next = next_cursor(&items, limit, RECORD_CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// People on the roll in the caller's subtree of the policy's `health.record_age_years` (default 70, not stated)
/// or older who have no record, by id: the worklist for collecting health information (`health.read`).
#[utoipa::path(tag = "health-records", security(("bearer" = ["health.read"])),
    params(PageQuery), responses((status = 200, body = Page<MissingView>), crate::openapi::ReadErrors))]
#[get("/health-records/missing")]
pub async fn missing(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<MissingView>>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::HealthRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(MISSING_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::health_records::records::missing(conn, &c, today, after, limit))
            .await?;
    let next = next_cursor(&items, limit, MISSING_CURSOR, |v| v.retiree_id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Which list to write.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `records` (default: every record), `due` (the update worklist) or `missing` (people without a record;
    /// `health.read`).
    #[param(example = "due")]
    pub list: Option<String>,
}

/// A list of health records as a file (CSV or XLSX, Chinese headers with `labels=zh`): the health columns
/// (conditions, disability level) only for `health.read`; an audited read (`health.record.export`).
#[utoipa::path(tag = "health-records", security(("bearer" = ["retiree.read"]), ("bearer" = ["health.read"])),
    params(ExportQuery, FileParams),
    responses((status = 200, description = "The list as a file download",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"health-records.csv\"` (or `-due`, `-missing`; `.xlsx`)")),
        content(
            (String = "text/csv", example = json!("人员编号,姓名,所属社区,最近更新日期,下次更新日期,是否到期\r\n42,张三,350203001001,2025-11-20,2026-11-20,是\r\n")),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        crate::openapi::ReadErrors))]
#[get("/exports/health-records")]
pub async fn export(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ExportQuery>,
    params: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    use app::health_records::records::FileList;
    let today = state.clock.today();
    app::health_records::require_read(&caller)?;
    let mut errors = Vec::new();
    let which = match code_filter("list", query.list.as_deref(), &["records", "due", "missing"], &mut errors).as_deref()
    {
        Some("due") => FileList::Due,
        Some("missing") => FileList::Missing,
        _ => FileList::Records,
    };
    let options = params.settle(&req, &mut errors);
    finish(errors)?;
    let Some(o) = options else { return Err(ApiError::internal("file options not settled")) };
    let c = caller.0.clone();
    let file = crate::db::read_audited(&state, move |conn| {
        app::health_records::records::export(conn, &c, today, which, o.format, o.encoding, o.labels)
    })
    .await?;
    Ok(files::file_response(file))
}

/// One record of a person in the caller's subtree: in full with its examinations for `health.read` (audited
/// `health.record.read`), else the masked summary (audited `health.record.summary_read`).
#[utoipa::path(tag = "health-records", security(("bearer" = ["retiree.read"]), ("bearer" = ["health.read"])),
    params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, body = RecordView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/health-records/{id}")]
pub async fn get_record(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::health_records::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::read_audited(&state, move |conn| app::health_records::records::get(conn, &c, today, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Adjusts the content of a record (GUIDE 第五部分第四章四 2(9) 调整档案内容): institution (agreement in force
/// today), conditions, disability level; it counts as updated today. Needs `If-Match`. Emits
/// `health.record_updated` (dates only).
#[utoipa::path(tag = "health-records", security(("bearer" = ["health.write"])), request_body = AdjustInput,
    params(("id" = i64, Path, description = "Record id"), ("If-Match" = String, Header, description = "ETag read")),
    responses((status = 200, body = RecordView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[put("/health-records/{id}")]
pub async fn adjust_record(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<AdjustInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::HealthWrite)?;
    let if_match = if_match(&req)?;
    let asked = app::health_records::records::check_adjust(&body.0).map_err(ApiError::validation)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| {
        app::health_records::records::adjust(conn, &c, today, id, if_match, asked)
    })
    .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Files an examination on a record (GUIDE 第五部分第四章四 2(8) 进行定期更新): the day (not in the future), the
/// institution (agreement in force that day; default the record's), the summary, flags. The record's disability
/// level becomes the one found and its last update the examination's day. `If-Match`, when sent, must match.
/// Emits `health.record_updated` (dates only).
#[utoipa::path(tag = "health-records", security(("bearer" = ["health.write"])), request_body = ExaminationInput,
    params(("id" = i64, Path, description = "Record id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = RecordView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/health-records/{id}/examinations")]
pub async fn add_examination(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<ExaminationInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::HealthWrite)?;
    let if_match = optional_if_match(&req)?;
    let asked = app::health_records::records::check_examination(&body.0, today).map_err(ApiError::validation)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| {
        app::health_records::records::examine(conn, &c, today, id, if_match, asked)
    })
    .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}
