//! The file options every list or report export takes (`format`, `encoding`, `labels`: the rules of the roster
//! export, issue 22) and the response that carries a file built by [`app::exports::table`].

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use app::exports::table::File;
use app::exports::{Encoding, Format, Labels, XLSX_TYPE};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::FieldError;
use crate::routes::common::enum_filter;

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
