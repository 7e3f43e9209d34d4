//! The import of an existing archive register (issue 23): `POST /imports/archives`. The use case is
//! [`app::archives::import`].

use actix_web::{HttpRequest, HttpResponse, post, web};
use app::archives::import::ImportOptions;
use app::elder_care::files::OnConflict;
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{finish, flag};
use super::register_files;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::BodyLimits;
use crate::state::AppState;

use app::imports::register::RegisterReport;

/// Options of an archive register import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArchiveImportQuery {
    /// `atomic` (default: all rows or none) or `partial` (good rows kept, bad rows reported).
    pub mode: Option<String>,
    /// A person with an archive on record: `error` (default: the row is refused, `archive_exists`) or `skip`.
    pub on_conflict: Option<String>,
    /// `true`: receive archives whose preparation is incomplete (the missing items stay on the record); default
    /// `false`: such a row is refused with `archive_unprepared` on each missing item's column (CS Art. 12(2)).
    pub accept_unprepared: Option<String>,
}

/// Imports an existing archive register (档案登记册; XM Art. 16; JN Art. 8(7)): CSV (UTF-8, UTF-8 with BOM or
/// GB18030; gzip accepted) or XLSX (first sheet), columns by code or by the Chinese header of
/// `GET /exports/archives` plus `公民身份号码` (`id_number`): `卷数` and `件数` required; the person by resident ID
/// (or by `人员编号`, as an exported register names them) in the caller's subtree (else `retiree_not_found` on the
/// row); `姓名` and `社区`, when given, must be the person's; `状态` empty or `在库`; the four preparation dates
/// (CS Art. 12(2): an unprepared archive is refused naming each missing item unless `accept_unprepared=true`);
/// `库房` (a repository code), `房间`, `架`, `盒` together place the archive (a repository of the person's own
/// city or district: `location_out_of_jurisdiction`; full: `repository_full`). Every row goes through
/// `POST /archives` (volumes ≤ 0: `archive_no_volumes`) and `POST /archives/{id}/place`, is audited and emits
/// `archive.received`; a person with an archive on record is refused (`archive_exists`) or, with
/// `on_conflict=skip`, skipped. Audited `archive.import` with the counts.
#[utoipa::path(tag = "imports", security(("bearer" = ["archive.manage"])), params(ArchiveImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    request_body(content = String, description = "The register", content(
        (String = "text/csv", example = "姓名,公民身份号码,社区,卷数,件数,状态,库房,房间,架,盒,接收日期,整理日期,编目日期,装订日期,数字化日期\n张三,350203195501010037,350203001001,2,40,在库,SM-01,2,A-03,0117,2026-12-01,2026-11-02,2026-11-02,2026-11-03,2026-11-10\n"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, body = RegisterReport, example = json!({"mode": "partial", "rows": 2, "created": 1,
        "updated": 0, "skipped": 0, "rejected": 1, "errors": [{"line": 3, "field": "volumes",
        "code": "archive_no_volumes", "message": "档案卷数和件数应大于0"}]})), crate::openapi::WriteErrors))]
#[post("/imports/archives")]
pub async fn import_archives(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    query: web::Query<ArchiveImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ArchiveManage)?;
    let today = state.clock.today();
    let query = query.into_inner();
    let mut errors = Vec::new();
    let on_conflict = register_files::on_conflict(query.on_conflict.as_deref(), OnConflict::parse, &mut errors);
    let accept_unprepared = flag("accept_unprepared", query.accept_unprepared.as_deref(), &mut errors);
    finish(errors)?;
    let operation = format!("/imports/archives?on_conflict={on_conflict:?}&accept_unprepared={accept_unprepared}");
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
            let options = ImportOptions { mode: f.mode, on_conflict, accept_unprepared };
            app::archives::import::import(conn, &c, today, file, options)
        },
    )
    .await
}
