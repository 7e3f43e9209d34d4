//! The roster of party members' relations as a file (issue 25): `GET /exports/party-members` and
//! `POST /imports/party-members`. The use cases are in [`app::party::files`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use app::party::files::OnConflict;
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::finish;
use super::files::FileParams;
use super::register_files;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::BodyLimits;
use crate::state::AppState;

use app::imports::register::RegisterReport;

/// The open relations of the party members of the caller's subtree as CSV or XLSX (`党员组织关系`: 组织关系编号,
/// 人员编号, 姓名, 所属社区, 党支部编号, 党支部名称, 转入日期, 转入来源, 组织关系状态); an audited read (`party.export`).
/// A file exported here imports back through `POST /imports/party-members`.
#[utoipa::path(tag = "party", security(("bearer" = ["retiree.read"])), params(FileParams),
    responses((status = 200, description = "The file", headers(("Content-Disposition" = String,
            description = "`attachment; filename=\"party-members-YYYYMMDD.csv\"` (or `.xlsx`)")),
        content((String = "text/csv", example = "\u{feff}组织关系编号,人员编号,姓名,所属社区,党支部编号,党支部名称,转入日期,转入来源,组织关系状态\r\n4,42,张三,350203001001,3,鸿山社区退休党员支部,2026-11-20,厦门港务集团机关第三党支部,在本支部\r\n"),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::ReadErrors))]
#[get("/exports/party-members")]
pub async fn export(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    file: web::Query<FileParams>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::party::require_read(&caller)?;
    let o = file.settled(&req, Vec::new())?;
    let c = caller.0.clone();
    super::files::audited_file(&state, move |conn| {
        app::party::files::export(conn, &c, today, o.format, o.encoding, o.labels)
    })
    .await
}

/// Options of a roster import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartyImportQuery {
    /// `atomic` (default: all rows or none) or `partial` (good rows kept, bad rows reported).
    pub mode: Option<String>,
    /// A person whose relation is in the service already: `error` (default: the row is refused with
    /// `party_relation_open`) or `skip`.
    pub on_conflict: Option<String>,
}

/// Imports a city's roster of party members' relations: CSV (UTF-8, UTF-8 with BOM or GB18030; gzip accepted) or
/// XLSX (first sheet), columns by code or by the Chinese header of `GET /exports/party-members`, plus
/// `公民身份号码` (`id_number`). Each row names the person by 人员编号 or resident ID (in the caller's subtree, else
/// `retiree_not_found`) and the branch by 党支部编号 or its name within the subtree (else `party_branch_not_found`),
/// with the day transferred in (default today) and the former organisation; it goes through
/// `POST /retirees/{id}/party-relation` (not a party member: `not_a_party_member`). Audited `party.import`.
#[utoipa::path(tag = "imports", security(("bearer" = ["party.manage"])), params(PartyImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    request_body(content = String, description = "The roster", content(
        (String = "text/csv", example = "公民身份号码,党支部名称,转入日期,转入来源\n350203195501011234,鸿山社区退休党员支部,2026-11-20,厦门港务集团机关第三党支部\n"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, body = RegisterReport, example = json!({"mode": "partial", "rows": 2, "created": 1,
        "updated": 0, "skipped": 0, "rejected": 1, "errors": [{"line": 3, "field": "row",
        "code": "not_a_party_member", "message": "该人员不是党员，无组织关系可转接"}]})), crate::openapi::WriteErrors))]
#[post("/imports/party-members")]
pub async fn import(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: web::Query<PartyImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PartyManage)?;
    let today = state.clock.today();
    let query = query.into_inner();
    let mut errors = Vec::new();
    let on_conflict = register_files::on_conflict(query.on_conflict.as_deref(), OnConflict::parse, &mut errors);
    finish(errors)?;
    let operation = format!("/imports/party-members?on_conflict={on_conflict:?}");
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
            app::party::files::import(conn, &c, today, file, f.mode, on_conflict)
        },
    )
    .await
}
