//! Volunteers (issue 25; CS Art. 22; JN Art. 7(9)): city and district pools, volunteers, service records with
//! hours, hours per volunteer and year, the files and the import of a volunteer list. The use cases are in
//! [`app::volunteers`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use app::error::FieldError;
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, code_filter, finish, next_cursor};
use super::files::{self, FileParams};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{BodyLimits, Json, page, parse_date};
use crate::state::AppState;

use app::imports::register::RegisterReport;
use app::volunteers::{HoursRow, LinkedServiceView, ServiceInput, ServiceView, VolunteerInput, VolunteerView};

const CURSOR: &str = "vo";
const SERVICE_CURSOR: &str = "vs";

fn year_of(value: Option<&str>, today: time::Date, errors: &mut Vec<FieldError>) -> i32 {
    match value.map(str::trim) {
        None => today.year(),
        Some(v) => match v.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => y,
            _ => {
                errors.push(FieldError::with(
                    "year",
                    domain::ErrorCode::InvalidValue,
                    "年度应为2000至2100",
                    "a year is 2000 to 2100",
                ));
                today.year()
            }
        },
    }
}

/// Registers a volunteer in the pool of a city or district node (CS Art. 22; another level: 422 `pool_level`).
#[utoipa::path(tag = "volunteers", security(("bearer" = ["volunteer.manage"])), request_body = VolunteerInput,
    responses((status = 201, body = VolunteerView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/volunteers")]
pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<VolunteerInput>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::VolunteerManage)?;
    let asked = app::volunteers::check(&body.0).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::volunteers::create(conn, &c, asked)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/volunteers/{}", v.id), &v, v.version))
}

/// Filters of the volunteer list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only the pool of this node.
    pub pool: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Volunteers the caller may call on: the pools of its subtree and those above it (a city volunteer serves any
/// district), by id.
#[utoipa::path(tag = "volunteers", security(("bearer" = ["retiree.read"])),
    params(ListQuery), responses((status = 200, body = Page<VolunteerView>), crate::openapi::ReadErrors))]
#[get("/volunteers")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<VolunteerView>>, ApiError> {
    app::volunteers::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let pool = q.pool;
    let items =
        crate::db::run(&state.pool, move |conn| app::volunteers::list(conn, &c, pool.as_deref(), after, limit)).await?;
    let next = next_cursor(&items, limit, CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// The year asked.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Year (default this year).
    pub year: Option<String>,
}

/// Hours per volunteer of the services given in the caller's subtree in the year, by volunteer.
#[utoipa::path(tag = "volunteers", security(("bearer" = ["retiree.read"])),
    params(YearQuery), responses((status = 200, body = Vec<HoursRow>), crate::openapi::ReadErrors))]
#[get("/volunteers/hours")]
pub async fn hours(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<YearQuery>,
) -> Result<web::Json<Vec<HoursRow>>, ApiError> {
    let today = state.clock.today();
    app::volunteers::require_read(&caller)?;
    let mut errors = Vec::new();
    let year = year_of(query.year.as_deref(), today, &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let rows = crate::db::run(&state.pool, move |conn| app::volunteers::hours(conn, &c, year)).await?;
    Ok(web::Json(rows))
}

/// Which list to write.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `volunteers` (default), `hours` (per volunteer and year) or `services` (the service records of the year, with
    /// their visit and activity: 走访编号, 活动编号).
    #[param(example = "hours")]
    pub list: Option<String>,
    /// Year of `hours` and `services` (default this year).
    pub year: Option<String>,
}

/// The volunteers, their hours or their service records as a file (CSV or XLSX, Chinese headers with `labels=zh`;
/// the volunteer file imports back through `POST /imports/volunteers`; the service records carry 走访编号 and 活动编号);
/// audited (`volunteer.export`).
#[utoipa::path(tag = "volunteers", security(("bearer" = ["retiree.read"])), params(ExportQuery, FileParams),
    responses((status = 200, description = "The list as a file download",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"volunteers.csv\"` (or `volunteer-hours`, `volunteer-services`; `.xlsx`)")),
        content(
            (String = "text/csv", example = json!("姓名,所属资源库,退休人员编号,技能特长,服务时间,所属组织\r\n陈志华,350203,42,理发、陪同就医,周二上午,思明区老年志愿者协会\r\n")),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        crate::openapi::ReadErrors))]
#[get("/exports/volunteers")]
pub async fn export(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ExportQuery>,
    params: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    use app::volunteers::FileList;
    let today = state.clock.today();
    app::volunteers::require_read(&caller)?;
    let mut errors = Vec::new();
    let lists = ["volunteers", "hours", "services"];
    let which = match code_filter("list", query.list.as_deref(), &lists, &mut errors).as_deref() {
        Some("hours") => FileList::Hours,
        Some("services") => FileList::Services,
        _ => FileList::Volunteers,
    };
    let year = year_of(query.year.as_deref(), today, &mut errors);
    let options = params.settle(&req, &mut errors);
    finish(errors)?;
    let Some(o) = options else { return Err(ApiError::internal("file options not settled")) };
    let c = caller.0.clone();
    let file = crate::db::read_audited(&state, move |conn| {
        app::volunteers::export(conn, &c, year, which, o.format, o.encoding, o.labels)
    })
    .await?;
    Ok(files::file_response(file))
}

/// One volunteer the caller may call on.
#[utoipa::path(tag = "volunteers", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Volunteer id")),
    responses((status = 200, body = VolunteerView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/volunteers/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app::volunteers::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::run(&state.pool, move |conn| app::volunteers::get(conn, &c, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Records a service of a volunteer at a node of the caller's subtree: whom, at which activity, what, hours (above
/// 0, at most 24, one decimal: else 422 `hours_out_of_range`). Emits `volunteer.served` for a service to a person.
#[utoipa::path(tag = "volunteers", security(("bearer" = ["volunteer.manage"])), request_body = ServiceInput,
    params(("id" = i64, Path, description = "Volunteer id")),
    responses((status = 201, body = ServiceView, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/volunteers/{id}/services")]
pub async fn add_service(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<ServiceInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::VolunteerManage)?;
    let asked = app::volunteers::check_service(&body.0, today).map_err(ApiError::validation)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::volunteers::add_service(conn, &c, id, asked)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/volunteers/{id}"))).json(v))
}

/// Filters of a volunteer's service records.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceListQuery {
    /// Only services given on or after this day, `YYYY-MM-DD`.
    #[param(example = "2026-01-01")]
    pub from: Option<String>,
    /// Only services given on or before this day, `YYYY-MM-DD` (not before `from`).
    #[param(example = "2026-12-31")]
    pub to: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The service records of one volunteer the caller may call on (else 404), given at nodes of the caller's subtree,
/// by id: whom, where, on which visit or at which activity, what and the hours.
#[utoipa::path(tag = "volunteers", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Volunteer id"), ServiceListQuery),
    responses((status = 200, body = Page<LinkedServiceView>), crate::openapi::ReadErrors))]
#[get("/volunteers/{id}/services")]
pub async fn services(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<ServiceListQuery>,
) -> Result<web::Json<Page<LinkedServiceView>>, ApiError> {
    app::volunteers::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(SERVICE_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let from = q.from.as_deref().and_then(|t| parse_date("from", t).map_err(|e| errors.push(e)).ok());
    let to = q.to.as_deref().and_then(|t| parse_date("to", t).map_err(|e| errors.push(e)).ok());
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.push(FieldError::with(
            "to",
            domain::ErrorCode::InvalidValue,
            "截止日期不应早于起始日期",
            "`to` must not be before `from`",
        ));
    }
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| {
        app::volunteers::links::of_volunteer(conn, &c, id, (from, to), after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, SERVICE_CURSOR, |s| s.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Import options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `atomic` (default: all rows or none) or `partial` (good rows kept, bad rows reported).
    pub mode: Option<String>,
}

/// Imports a volunteer list (CSV or XLSX; header by code or by the export's Chinese headers: 姓名 (required),
/// 所属资源库, 退休人员编号, 技能特长 (separated by `、`), 服务时间, 所属组织): each row as `POST /volunteers`, its
/// errors at its line.
#[utoipa::path(tag = "volunteers", security(("bearer" = ["volunteer.manage"])), params(ImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    request_body(content = String, content_type = "text/csv", description = "Volunteer list",
        example = "姓名,所属资源库,技能特长\n陈志华,350203,理发、陪同就医\n"),
    responses((status = 200, body = RegisterReport), crate::openapi::WriteErrors))]
#[post("/imports/volunteers")]
pub async fn import(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::VolunteerManage)?;
    let c = caller.0.clone();
    let operation = "/imports/volunteers";
    super::register_files::import(
        &req,
        &caller,
        &state,
        &limits,
        query.mode.as_deref(),
        payload,
        operation,
        move |conn, f| app::volunteers::import(conn, &c, f.file, f.mode),
    )
    .await
}
