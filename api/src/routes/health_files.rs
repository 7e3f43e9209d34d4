//! The register of community health service institutions as a file (issue 25; GUIDE 第五部分第四章四 2(1)):
//! `GET /exports/health-institutions` and `POST /imports/health-institutions`. The use cases are in
//! [`app::health_records::files`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use app::health_records::files::OnConflict;
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::finish;
use super::files::{FileParams, file_response};
use super::register_files;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::BodyLimits;
use crate::state::AppState;

use app::imports::register::RegisterReport;

/// The institutions of the nodes in the caller's subtree as CSV or XLSX (`社区卫生服务机构`, one row per institution,
/// the columns of the import: `编号, 机构名称, 所属辖区代码, 地址, 联系人, 联系电话, 合作协议编号, 协议生效日期,
/// 协议截止日期, 协议有效`). A file exported here imports back through `POST /imports/health-institutions`.
#[utoipa::path(tag = "health-records", security(("bearer" = ["retiree.read"]), ("bearer" = ["health.read"])),
    params(FileParams),
    responses((status = 200, description = "The file", headers(("Content-Disposition" = String,
            description = "`attachment; filename=\"health-institutions-YYYYMMDD.csv\"` (or `.xlsx`)")),
        content((String = "text/csv", example = "\u{feff}编号,机构名称,所属辖区代码,地址,联系人,联系电话,合作协议编号,协议生效日期,协议截止日期,协议有效\r\n2,鸿山社区卫生服务站,350203001001,思明区鸿山路10号,王医生,0592-2061235,SMWS-2026-01,2026-01-01,2027-12-31,是\r\n"),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::ReadErrors))]
#[get("/exports/health-institutions")]
pub async fn export_institutions(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    file: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::health_records::require_read(&caller)?;
    let o = file.settled(&req, Vec::new())?;
    let c = caller.0.clone();
    let file = crate::db::read(&state, &caller.login, move |conn| {
        app::health_records::files::export(conn, &c, today, o.format, o.encoding, o.labels)
    })
    .await?;
    Ok(file_response(file))
}

/// Options of a register import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HealthInstitutionImportQuery {
    /// `atomic` (default: all rows or none) or `partial` (good rows kept, bad rows reported).
    pub mode: Option<String>,
    /// A row naming an institution of the same name at the same node: `error` (default: the row is refused) or
    /// `skip`.
    pub on_conflict: Option<String>,
}

/// Imports a city's list of community health service institutions (GUIDE 第五部分第四章四 2(1) 登记服务机构): CSV
/// (UTF-8, UTF-8 with BOM or GB18030; gzip accepted) or XLSX (first sheet), columns by code or by the Chinese
/// header of `GET /exports/health-institutions` (`机构名称, 地址` required; an agreement needs its number and first
/// day). Every row goes through the checks of `POST /health-institutions` (node in the caller's subtree, agreement
/// dates in order). A row naming an institution of the same name at the same node is refused (`conflict`) or, with
/// `on_conflict=skip`, skipped. Audited `health.institution.import`.
#[utoipa::path(tag = "imports", security(("bearer" = ["health.write"])), params(HealthInstitutionImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    request_body(content = String, description = "The register", content(
        (String = "text/csv", example = "机构名称,所属辖区代码,地址,联系人,联系电话,合作协议编号,协议生效日期,协议截止日期\n鸿山社区卫生服务站,350203001001,思明区鸿山路10号,王医生,0592-2061235,SMWS-2026-01,2026-01-01,2027-12-31\n"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, body = RegisterReport, example = json!({"mode": "partial", "rows": 2, "created": 1,
        "updated": 0, "skipped": 0, "rejected": 1, "errors": [{"line": 3, "field": "until",
        "code": "agreement_order", "message": "协议截止日期不能早于生效日期"}]})), crate::openapi::WriteErrors))]
#[post("/imports/health-institutions")]
pub async fn import_institutions(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: web::Query<HealthInstitutionImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::HealthWrite)?;
    let today = state.clock.today();
    let query = query.into_inner();
    let mut errors = Vec::new();
    let on_conflict = register_files::on_conflict(query.on_conflict.as_deref(), OnConflict::parse, &mut errors);
    finish(errors)?;
    let operation = format!("/imports/health-institutions?on_conflict={on_conflict:?}");
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
            app::health_records::files::import(conn, &c, today, file, f.mode, on_conflict)
        },
    )
    .await
}
