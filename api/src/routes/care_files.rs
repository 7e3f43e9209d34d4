//! The elderly-care registers and lists as files (issue 26): `GET /exports/care-institutions`,
//! `/exports/caregivers`, `/exports/care-requests`, `/exports/care-summary` and `POST /imports/care-institutions`,
//! `/imports/caregivers`. The use cases are in [`app::elder_care::files`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use app::elder_care::files::{FileAsked, OnConflict};
use domain::Permission;
use domain::elder_care::{CareStatus, CaregiverGrade, InstitutionKind};
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{enum_filter, finish, flag};
use super::files::{FileOptions, FileParams, file_response};
use super::register_files;
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::BodyLimits;
use crate::state::AppState;

use app::imports::register::RegisterReport;

fn asked(o: FileOptions) -> FileAsked {
    FileAsked { format: o.format, encoding: o.encoding, labels: o.labels }
}

/// Settles the file options with the route's own errors; 422 with all of them.
fn settle(req: &HttpRequest, file: &FileParams, mut errors: Vec<FieldError>) -> Result<FileAsked, ApiError> {
    let options = file.settle(req, &mut errors);
    finish(errors)?;
    options.map(asked).ok_or_else(|| ApiError::internal("file options settled without errors"))
}

/// Filters of the institution export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstitutionExportQuery {
    /// Only this kind.
    pub kind: Option<String>,
    /// `true`: only the worklist of institutions whose information is stale.
    pub stale: Option<String>,
}

/// The institutions of the nodes in the caller's subtree as CSV or XLSX (`养老机构`, one row per institution, the
/// columns of the import: `编号, 机构名称, 机构类型, 所属辖区代码, 地址, 许可证号, 许可证有效期至, …`; services as
/// `助餐:15.00;全护理:3200.00`). A file exported here imports back through `POST /imports/care-institutions`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.read"]), ("bearer" = ["care_service.manage"])),
    params(InstitutionExportQuery, FileParams),
    responses((status = 200, description = "The file", headers(("Content-Disposition" = String,
            description = "`attachment; filename=\"care-institutions-YYYYMMDD.csv\"` (or `.xlsx`)")),
        content((String = "text/csv", example = "\u{feff}编号,机构名称,机构类型,所属辖区代码,地址,许可证号,许可证有效期至,许可证有效,床位总数,已用床位,空余床位,服务项目及价格,联系人,联系电话,信息采集方式,最近核实日期,信息有效期至,信息已过期\r\n3,鼓浪屿社区养老院,社区养老院,350203001001,思明区鼓浪屿龙头路12号,闽民养2026001,2028-06-30,是,60,42,18,助餐:15.00;全护理:3200.00,陈院长,0592-2061234,走访,2026-12-06,2027-06-04,否\r\n"),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::ReadErrors))]
#[get("/exports/care-institutions")]
pub async fn export_institutions(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<InstitutionExportQuery>,
    file: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::elder_care::require_read(&caller)?;
    let mut errors = Vec::new();
    let kind =
        enum_filter("kind", query.kind.as_deref(), InstitutionKind::parse, InstitutionKind::codes(), &mut errors);
    let stale = flag("stale", query.stale.as_deref(), &mut errors);
    let asked = settle(&req, &file, errors)?;
    let c = caller.0.clone();
    let cache = state.cache.clone();
    let file = crate::db::read(&state, &caller.login, move |conn| {
        let policies = cache.policy_book(conn, today)?;
        app::elder_care::files::institutions_file(conn, &c, &policies, kind, stale, asked)
    })
    .await?;
    Ok(file_response(file))
}

/// Filters of the caregiver export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaregiverExportQuery {
    /// Only this grade.
    pub grade: Option<String>,
    /// Only those serving this node.
    pub serving: Option<String>,
}

/// The caregivers registered in the caller's subtree or serving a node in it as CSV or XLSX (`养老护理员`; items,
/// areas and languages joined by `;`), phones left out as in the list; audited `care.caregiver.export`. A file
/// exported here imports back through `POST /imports/caregivers`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.read"]), ("bearer" = ["care_service.manage"])),
    params(CaregiverExportQuery, FileParams),
    responses((status = 200, description = "The file", headers(("Content-Disposition" = String,
            description = "`attachment; filename=\"caregivers-YYYYMMDD.csv\"` (or `.xlsx`)")),
        content((String = "text/csv", example = "\u{feff}id,name,grade,certificate_no,certificate_on,institution_id,jurisdiction,items,areas,languages,available,evaluations,average_score\r\n5,林秀英,intermediate,YLHL-2024-0031,2024-05-20,3,350203001001,meal_help;bathing,350203001002,普通话;闽南语,true,3,4.67\r\n"),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::ReadErrors))]
#[get("/exports/caregivers")]
pub async fn export_caregivers(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<CaregiverExportQuery>,
    file: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::elder_care::require_read(&caller)?;
    let mut errors = Vec::new();
    let grade =
        enum_filter("grade", query.grade.as_deref(), CaregiverGrade::parse, CaregiverGrade::codes(), &mut errors);
    let asked = settle(&req, &file, errors)?;
    let c = caller.0.clone();
    let serving = query.serving.clone();
    let file = crate::db::write(&state.pool, move |conn| {
        app::elder_care::files::caregivers_file(conn, &c, today, grade, serving.as_deref(), asked)
    })
    .await?;
    Ok(file_response(file))
}

/// Filters of the request export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestExportQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Only requests of this caregiver.
    pub caregiver_id: Option<i64>,
}

/// The care requests of people in the caller's subtree as CSV or XLSX (`护理服务需求`: items, status, slot,
/// delivery, hours, score); audited `care.request.export`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.read"]), ("bearer" = ["care_service.manage"])),
    params(RequestExportQuery, FileParams),
    responses((status = 200, description = "The file", headers(("Content-Disposition" = String,
            description = "`attachment; filename=\"care-requests-YYYYMMDD.csv\"` (or `.xlsx`)")),
        content((String = "text/csv", example = "\u{feff}编号,服务对象编号,所属辖区代码,服务项目,服务频次,服务地点,机构编号,费用承担,状态,受理日期,所需护理员等级,护理员编号,预约开始,预约结束,服务开始,服务结束,服务时长（小时）,评分,评价日期\r\n9,42,350203001001,助浴,每周,居家,,个人自费,已评价,2026-12-01,初级,5,2026-12-03T09:00,2026-12-03T11:00,2026-12-03T09:05,2026-12-03T11:00,1.92,5,2026-12-04\r\n"),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::ReadErrors))]
#[get("/exports/care-requests")]
pub async fn export_requests(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<RequestExportQuery>,
    file: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::elder_care::require_read(&caller)?;
    let mut errors = Vec::new();
    let status = enum_filter("status", query.status.as_deref(), CareStatus::parse, CareStatus::codes(), &mut errors);
    let asked = settle(&req, &file, errors)?;
    let c = caller.0.clone();
    let cg = query.caregiver_id;
    let cache = state.cache.clone();
    let file = crate::db::write(&state.pool, move |conn| {
        let policies = cache.policy_book(conn, today)?;
        app::elder_care::files::requests_file(conn, &c, &policies, status, cg, asked)
    })
    .await?;
    Ok(file_response(file))
}

/// The month of the summary export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryExportQuery {
    /// Month `YYYY-MM`, not after this month.
    #[param(example = "2026-11")]
    pub month: String,
}

/// The monthly summary (step 10 汇总上报) as a file to file: XLSX with three sheets (`汇总` per node with a totals
/// row, `按服务项目`, `按护理员等级`), the month in each title; CSV gives the three tables one after the other.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.read"]), ("bearer" = ["care_service.manage"])),
    params(SummaryExportQuery, FileParams),
    responses((status = 200, description = "The file", headers(("Content-Disposition" = String,
            description = "`attachment; filename=\"care-summary-YYYY-MM.xlsx\"` (or `.csv`)")),
        content((String = "text/csv", example = "\u{feff}辖区代码,分组,月份,受理需求,完成服务,服务时长（小时）,已评价,平均评分\r\n350203001001,合计,2026-11,3,2,3.92,1,5.00\r\n合计,合计,2026-11,3,2,3.92,1,5.00\r\n"),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::ReadErrors))]
#[get("/exports/care-summary")]
pub async fn export_summary(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<SummaryExportQuery>,
    file: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::elder_care::require_read(&caller)?;
    let mut errors = Vec::new();
    let month = match app::input::parse_month("month", &query.month) {
        Ok(m) => Some(m),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let asked = settle(&req, &file, errors)?;
    let month = month.ok_or_else(|| ApiError::internal("month settled without errors"))?;
    let text = query.month.trim().to_owned();
    let c = caller.0.clone();
    let file = crate::db::read(&state, &caller.login, move |conn| {
        let nodes = app::elder_care::summary::monthly(conn, &c, today, month)?;
        app::elder_care::files::summary_file(&nodes, &text, asked)
    })
    .await?;
    Ok(file_response(file))
}

/// Options of a register import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegisterImportQuery {
    /// `atomic` (default: all rows or none) or `partial` (good rows kept, bad rows reported).
    pub mode: Option<String>,
    /// A row naming a record that exists: `error` (default: the row is refused) or `skip`.
    pub on_conflict: Option<String>,
}

/// Which register.
#[derive(Clone, Copy)]
enum Register {
    Institutions,
    Caregivers,
}

async fn import(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: RegisterImportQuery,
    payload: web::Payload,
    register: Register,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CareServiceManage)?;
    let today = state.clock.today();
    let mut errors = Vec::new();
    let on_conflict = register_files::on_conflict(query.on_conflict.as_deref(), OnConflict::parse, &mut errors);
    finish(errors)?;
    let path = match register {
        Register::Institutions => "/imports/care-institutions",
        Register::Caregivers => "/imports/caregivers",
    };
    let operation = format!("{path}?on_conflict={on_conflict:?}");
    let c = caller.0.clone();
    register_files::import(
        &req,
        &caller,
        &state,
        &limits,
        query.mode.as_deref(),
        payload,
        &operation,
        move |conn, f| {
            let file = f.file;
            match register {
                Register::Institutions => {
                    app::elder_care::files::import_institutions(conn, &c, today, file, f.mode, on_conflict)
                }
                Register::Caregivers => {
                    app::elder_care::files::import_caregivers(conn, &c, today, file, f.mode, on_conflict)
                }
            }
        },
    )
    .await
}

/// Imports an institution register (GUIDE 第二部分六 1: build the database): CSV (UTF-8, UTF-8 with BOM or
/// GB18030; gzip accepted) or XLSX (first sheet), columns by code or by the Chinese header of
/// `GET /exports/care-institutions` (`机构名称, 机构类型, 地址, 床位总数, 服务项目及价格, 信息采集方式` required;
/// kinds, items and channels by code or Chinese label; services as `助餐:15.00;全护理:3200.00`). Every row goes
/// through the checks of `POST /care/institutions` (node in the caller's subtree, licence not expired, beds).
/// A row naming an institution of the same name at the same node is refused (`conflict`) or, with
/// `on_conflict=skip`, skipped. Audited `care.institution.import`.
#[utoipa::path(tag = "imports", security(("bearer" = ["care_service.manage"])), params(RegisterImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    request_body(content = String, description = "The register", content(
        (String = "text/csv", example = "机构名称,机构类型,所属辖区代码,地址,许可证号,许可证有效期至,床位总数,已用床位,服务项目及价格,信息采集方式\n鼓浪屿社区养老院,社区养老院,350203001001,思明区鼓浪屿龙头路12号,闽民养2026001,2028-06-30,60,42,助餐:15.00;全护理:3200.00,走访\n"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, body = RegisterReport, example = json!({"mode": "partial", "rows": 2, "created": 1,
        "updated": 0, "skipped": 0, "rejected": 1, "errors": [{"line": 3, "field": "licence_expires_on",
        "code": "licence_expired", "message": "许可证已于 2025-01-01 过期"}]})), crate::openapi::WriteErrors))]
#[post("/imports/care-institutions")]
pub async fn import_institutions(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: web::Query<RegisterImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    import(req, caller, state, limits, query.into_inner(), payload, Register::Institutions).await
}

/// Imports a caregiver register (GUIDE 第二部分六 5): CSV or XLSX, columns by code or by the Chinese header of
/// `GET /exports/caregivers` plus `联系电话` (`姓名, 等级, 证书编号, 发证日期, 服务项目` required; grades and items
/// by code or label; items, areas and languages joined by `;`). Every row goes through the checks of
/// `POST /care/caregivers` (employer and areas in the caller's subtree). A certificate number registered already
/// is refused (`conflict`) or, with `on_conflict=skip`, skipped. Audited `care.caregiver.import`.
#[utoipa::path(tag = "imports", security(("bearer" = ["care_service.manage"])), params(RegisterImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    request_body(content = String, description = "The register", content(
        (String = "text/csv", example = "姓名,联系电话,等级,证书编号,发证日期,服务项目,服务区域代码,语言\n林秀英,13800000001,中级,YLHL-2024-0031,2024-05-20,助餐;助浴,350203001002,普通话;闽南语\n"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, body = RegisterReport, example = json!({"mode": "atomic", "rows": 1, "created": 1,
        "updated": 0, "skipped": 0, "rejected": 0, "errors": []})), crate::openapi::WriteErrors))]
#[post("/imports/caregivers")]
pub async fn import_caregivers(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: web::Query<RegisterImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    import(req, caller, state, limits, query.into_inner(), payload, Register::Caregivers).await
}
