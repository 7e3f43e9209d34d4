//! The file options every list or report export takes (`format`, `encoding`, `labels`: the rules of the roster
//! export, issue 22) and the response that carries a file built by [`app::exports::table`].

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use app::exports::table::File;
use app::exports::{Encoding, Format, Labels, XLSX_TYPE};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, AppError, FieldError};
use crate::routes::common::{enum_filter, finish};
use crate::state::AppState;
use app::audited::Audited;
use app::db::DbConnection;
use domain::SpecialGroup;
use time::Date;

/// How a list or report is written as a file.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileParams {
    /// `csv` (default) or `xlsx`. Without it, `Accept:
    /// application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` asks for XLSX.
    #[param(example = "xlsx")]
    pub format: Option<String>,
    /// CSV only: `utf-8` (default, with a byte-order mark) or `gb18030` (without).
    #[param(example = "utf-8")]
    pub encoding: Option<String>,
    /// `zh`: Chinese column headers and labels (for people); `codes`: the API's codes (for machines). Default:
    /// `zh` for XLSX; for CSV `zh` when `Accept-Language` prefers Chinese, else `codes`.
    #[param(example = "zh")]
    pub labels: Option<String>,
}

/// The settled options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileOptions {
    /// CSV or XLSX.
    pub format: Format,
    /// The CSV encoding.
    pub encoding: Encoding,
    /// Chinese labels or codes.
    pub labels: Labels,
}

impl FileParams {
    /// The options, collecting a field error for each value that is not one of the codes (and for an encoding
    /// sent with XLSX); `None` when any failed.
    pub fn settle(&self, req: &HttpRequest, errors: &mut Vec<FieldError>) -> Option<FileOptions> {
        let before = errors.len();
        let format = match self.format.as_deref() {
            Some(v) => enum_filter("format", Some(v), Format::parse, vec!["csv", "xlsx"], errors),
            None if accepts_xlsx(req) => Some(Format::Xlsx),
            None => Some(Format::Csv),
        };
        let encoding =
            enum_filter("encoding", self.encoding.as_deref(), Encoding::parse, vec!["utf-8", "gb18030"], errors);
        if format == Some(Format::Xlsx) && self.encoding.is_some() {
            errors.push(FieldError::of("encoding", domain::ErrorCode::EncodingCsvOnly));
        }
        let labels = enum_filter("labels", self.labels.as_deref(), Labels::parse, vec!["zh", "codes"], errors);
        if errors.len() > before {
            return None;
        }
        let format = format.unwrap_or(Format::Csv);
        Some(FileOptions {
            format,
            encoding: encoding.unwrap_or(Encoding::Utf8),
            labels: labels.unwrap_or_else(|| default_labels(req, format)),
        })
    }

    /// [`settle`](Self::settle) after the route's own filters: 422 with every field error collected (the
    /// filters' in `errors`, then the file options'), else the options.
    pub fn settled(&self, req: &HttpRequest, mut errors: Vec<FieldError>) -> Result<FileOptions, ApiError> {
        let options = self.settle(req, &mut errors);
        finish(errors)?;
        options.ok_or_else(|| ApiError::internal("file options not settled"))
    }
}

/// Labels when `labels` is not sent (issue 22): Chinese for XLSX (a file for people); for CSV, Chinese when
/// `Accept-Language` prefers Chinese, else the codes machines read.
pub fn default_labels(req: &HttpRequest, format: Format) -> Labels {
    let asked = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::context::Lang::preferred);
    match (format, asked) {
        (Format::Xlsx, _) | (Format::Csv, Some(crate::context::Lang::Zh)) => Labels::Zh,
        (Format::Csv, _) => Labels::Codes,
    }
}

/// Whether the `Accept` header asks for XLSX.
pub fn accepts_xlsx(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case(XLSX_TYPE)))
}

/// 200 with the file as an attachment, never cached.
pub fn file_response(file: File) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file.file_name)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(file.bytes)
}

/// A list written as a file by a personal read (`GET /exports/{kind}` of errands, assistance referrals, ...):
/// `export` runs through [`crate::db::read_audited`] and its file is the attachment.
pub async fn audited_file<F>(state: &AppState, export: F) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<Audited<File>, AppError> + Send + 'static,
{
    Ok(file_response(crate::db::read_audited(state, export).await?))
}

/// The use case behind a special group's ledger file: `(conn, caller, today, group, node code, options)`
/// (`app::reports::ledgers::export`, `app::reports::comparison::export`).
pub type LedgerExport =
    fn(&mut DbConnection, &app::Caller, Date, SpecialGroup, &str, (Format, Encoding, Labels)) -> Result<File, AppError>;

/// `GET /exports/ledgers/{group}…`: the group of the path (404 for a group without a ledger), the file options,
/// the node (default: the caller's); `export` runs in a write transaction (it appends its audit entry) and its
/// file is the attachment. The route checks the permission first.
pub async fn ledger_file(
    req: &HttpRequest,
    caller: &crate::auth::Caller,
    state: &AppState,
    group: &str,
    jurisdiction: Option<String>,
    params: &FileParams,
    export: LedgerExport,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    let group = app::reports::ledgers::ledger_group(group)?;
    let FileOptions { format, encoding, labels } = params.settled(req, Vec::new())?;
    let code = jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let file =
        crate::db::write(&state.pool, move |conn| export(conn, &c, today, group, &code, (format, encoding, labels)))
            .await?;
    Ok(file_response(file))
}
