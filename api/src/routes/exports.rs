//! `GET /exports/retirees`: the retiree roster as CSV (UTF-8 with a byte-order mark, or GB18030) or XLSX, in the
//! columns of the import format ([`app::retirees::file`]) so that an export re-imports cleanly; filtered, scoped
//! and masked like the list, and streamed: pages of [`PAGE`] rows by id, one pooled connection per page, through
//! a bounded channel, so the whole roster is never in memory.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use domain::roles::SensitiveField;
use domain::{Permission, Role};
use persistence::retirees::{self as repo, GroupFlag, Retiree, RetireeFilter};
use persistence::{DbConnection, Pool};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};

use super::common::{enum_filter, finish};
use super::retirees::{ListQuery, filter_from_query, show};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use app::retirees::file::{COLUMNS, row_values};

/// Rows read per page (one pooled connection each).
const PAGE: i64 = 2000;
/// Bytes per chunk when streaming the XLSX file.
const FILE_CHUNK: usize = 64 * 1024;
/// Encoded chunks waiting for the client; the producer waits when they are all taken.
const CHANNEL: usize = 4;
/// The media type of XLSX workbooks.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
}

impl Format {
    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// A CSV character encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// UTF-8 with a byte-order mark (Excel needs it to read UTF-8).
    Utf8,
    /// GB18030 without a byte-order mark (older Chinese Excel and WPS set-ups).
    Gb18030,
}

impl Encoding {
    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "utf-8" => Some(Encoding::Utf8),
            "gb18030" => Some(Encoding::Gb18030),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Gb18030 => "gb18030",
        }
    }
}

/// Export filters (those of `GET /retirees`) and the file format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// A node in the caller's subtree; default the caller's whole subtree.
    pub jurisdiction: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Management level.
    pub management_level: Option<String>,
    /// Pension status.
    pub pension_status: Option<String>,
    /// Suspension reason.
    pub suspension_reason: Option<String>,
    /// Certification status today: `certified`, `due_soon` or `overdue`.
    pub certification: Option<String>,
    /// Special group (derived or flagged) today.
    pub special_group: Option<String>,
    /// Minimum age today.
    pub age_min: Option<String>,
    /// Maximum age today.
    pub age_max: Option<String>,
    /// Name starts with.
    pub name_prefix: Option<String>,
    /// `csv` (default) or `xlsx`. Without it, `Accept:
    /// application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` asks for XLSX.
    #[param(example = "csv")]
    pub format: Option<String>,
    /// CSV only: `utf-8` (default, with a byte-order mark) or `gb18030` (without).
    #[param(example = "utf-8")]
    pub encoding: Option<String>,
}

impl ExportQuery {
    /// The filter fields as the list takes them.
    fn filters(&self) -> ListQuery {
        ListQuery {
            jurisdiction: self.jurisdiction.clone(),
            category: self.category.clone(),
            management_level: self.management_level.clone(),
            pension_status: self.pension_status.clone(),
            suspension_reason: self.suspension_reason.clone(),
            certification: self.certification.clone(),
            special_group: self.special_group.clone(),
            age_min: self.age_min.clone(),
            age_max: self.age_max.clone(),
            name_prefix: self.name_prefix.clone(),
            limit: None,
            cursor: None,
        }
    }
}

/// An XLSX workbook (documentation only).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(value_type = String, format = Binary)]
pub struct XlsxFile(Vec<u8>);

/// Whether the `Accept` header asks for XLSX.
fn accepts_xlsx(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case(XLSX_TYPE)))
}

/// The retirees of the caller's subtree (or of a node inside it) matching the list filters, as a file to open
/// in Excel or WPS: CSV (UTF-8 with a byte-order mark, or `encoding=gb18030`) or XLSX (`format=xlsx`, or
/// `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`). The columns are those of the
/// retiree import, so a file exported by the data platform re-imports as it is; resident IDs, phones and
/// addresses are shown or masked as in the list. Ordered by id, the whole filtered set (no paging), streamed.
/// Every export is audited (`retiree.export`).
#[utoipa::path(tag = "exports", operation_id = "export_retirees", security(("bearer" = ["retiree.export"])), params(ExportQuery),
    responses((status = 200, description = "The roster as a file download",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"retirees-YYYYMMDD.csv\"` (or `.xlsx`)")),
        content(
            (String = "text/csv", example = json!("name,id_number,sex,birth_date,retirement_date,category,management_level,community_code,phone,address,monthly_pension,party_member,special_groups,notes\r\n张三,350203********0017,male,1955-01-01,2015-01-01,enterprise_employee,city_managed,350203001001,138****5678,厦门市思明区****,3500.00,false,living_alone:2024-01-01,\r\n")),
            (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        crate::openapi::ReadErrors))]
#[get("/exports/retirees")]
pub async fn retirees(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeExport)?;
    let q = query.into_inner();
    let on = today;
    let mut errors = Vec::new();
    let pending = filter_from_query(&caller, &q.filters(), on, &mut errors);
    let format = match q.format.as_deref() {
        Some(v) => enum_filter("format", Some(v), Format::parse, vec!["csv", "xlsx"], &mut errors),
        None if accepts_xlsx(&req) => Some(Format::Xlsx),
        None => Some(Format::Csv),
    };
    let encoding =
        enum_filter("encoding", q.encoding.as_deref(), Encoding::parse, vec!["utf-8", "gb18030"], &mut errors);
    if format == Some(Format::Xlsx) && q.encoding.is_some() {
        errors.push(FieldError::new(
            "encoding",
            "encoding_csv_only",
            "encoding 仅适用于 CSV 导出",
            "encoding applies to CSV exports only",
        ));
    }
    finish(errors)?;
    let format = format.unwrap_or(Format::Csv);
    let encoding = encoding.unwrap_or(Encoding::Utf8);

    let mut detail = serde_json::json!({
        "filters": {
            "jurisdiction": q.jurisdiction, "category": q.category, "management_level": q.management_level,
            "pension_status": q.pension_status, "suspension_reason": q.suspension_reason,
            "certification": q.certification, "special_group": q.special_group, "age_min": q.age_min,
            "age_max": q.age_max, "name_prefix": q.name_prefix,
        },
        "format": format.as_str(),
    });
    if format == Format::Csv {
        detail["encoding"] = serde_json::json!(encoding.as_str());
    }
    let c = caller.clone();
    let filter = crate::db::write(&state.pool, move |conn| {
        let filter = pending.resolve(conn, &c)?;
        let mut entry = c.audit("retiree.export", "retiree_export", "", &filter.scope_path);
        entry.object_id = None;
        entry.detail = Some(detail.to_string());
        persistence::audit::append(conn, &entry)?;
        Ok(filter)
    })
    .await?;

    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(CHANNEL);
    let job = Job { pool: state.pool.clone(), filter, role: caller.role, request_id: caller.request_id.clone() };
    let date = on;
    let stamp = format!("{:04}{:02}{:02}", date.year(), u8::from(date.month()), date.day());
    let (content_type, file_name) = match format {
        Format::Csv => {
            actix_web::rt::spawn(produce_csv(job, encoding, tx));
            (format!("text/csv; charset={}", encoding.as_str()), format!("retirees-{stamp}.csv"))
        }
        Format::Xlsx => {
            actix_web::rt::spawn(produce_xlsx(job, tx));
            (XLSX_TYPE.to_owned(), format!("retirees-{stamp}.xlsx"))
        }
    };
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

/// What a producer needs.
struct Job {
    pool: Pool,
    filter: RetireeFilter,
    role: Role,
    request_id: String,
}

type Sender = mpsc::Sender<Result<Bytes, io::Error>>;

/// One page of file rows.
struct RowPage {
    /// In [`COLUMNS`] order.
    rows: Vec<[String; 14]>,
    /// Id of the last retiree: the next page starts after it.
    last: Option<i64>,
    /// Whether the page was full, so that more may follow.
    more: bool,
}

/// The page of rows after `after`.
fn page_rows(
    conn: &mut DbConnection,
    filter: &RetireeFilter,
    role: Role,
    after: Option<i64>,
) -> Result<RowPage, ApiError> {
    let items = repo::list(conn, filter, after, PAGE)?;
    let ids: Vec<i64> = items.iter().map(|(r, _)| r.id).collect();
    let mut flags: HashMap<i64, Vec<GroupFlag>> = HashMap::new();
    for (id, flag) in repo::flags_of(conn, &ids)? {
        flags.entry(id).or_default().push(flag);
    }
    let last = ids.last().copied();
    let more = items.len() as i64 == PAGE;
    let rows = items.iter().map(|(r, _)| row_of(r, flags.get(&r.id).map_or(&[][..], Vec::as_slice), role)).collect();
    Ok(RowPage { rows, last, more })
}

/// One retiree as a file row, sensitive fields in the list view of the role table.
fn row_of(r: &Retiree, flags: &[GroupFlag], role: Role) -> [String; 14] {
    let mut masked = Vec::new();
    let id_number = show(role, SensitiveField::IdNumber, false, &r.id_number, &mut masked);
    let phone = r.phone.as_deref().map(|p| show(role, SensitiveField::Phone, false, p, &mut masked));
    let address = r.address.as_deref().map(|a| show(role, SensitiveField::Address, false, a, &mut masked));
    row_values(r, flags, id_number, phone, address)
}

/// CSV lines (CRLF, quoted where needed) in `encoding`; the header line starts with the byte-order mark in UTF-8.
fn csv_chunk<R: AsRef<[u8]>>(rows: &[impl AsRef<[R]>], encoding: Encoding, bom: bool) -> io::Result<Bytes> {
    let mut out = Vec::new();
    if bom && encoding == Encoding::Utf8 {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    for row in rows {
        writer.write_record(row.as_ref()).map_err(io::Error::other)?;
    }
    let bytes = writer.into_inner().map_err(|e| io::Error::other(e.to_string()))?;
    Ok(match encoding {
        Encoding::Utf8 => Bytes::from(bytes),
        Encoding::Gb18030 => {
            let text = String::from_utf8(bytes).map_err(io::Error::other)?;
            // GB18030 maps every Unicode character, so nothing is replaced.
            let (encoded, _, _) = encoding_rs::GB18030.encode(&text);
            Bytes::from(encoded.into_owned())
        }
    })
}

/// Ends the stream with an error (the client sees a cut-off transfer, not a short file) and logs the cause.
async fn fail(tx: &Sender, request_id: &str, cause: impl std::fmt::Display) {
    log::error!("export {request_id} failed after the response started: {cause}");
    let _ = tx.send(Err(io::Error::other("export failed"))).await;
}

/// Streams the CSV: the header line, then one chunk per page. Stops when the client goes away.
async fn produce_csv(job: Job, encoding: Encoding, tx: Sender) {
    let header = match csv_chunk(&[COLUMNS], encoding, true) {
        Ok(h) => h,
        Err(e) => return fail(&tx, &job.request_id, e).await,
    };
    if tx.send(Ok(header)).await.is_err() {
        return;
    }
    let mut after = None;
    loop {
        if tx.is_closed() {
            log::info!("export {}: the client went away", job.request_id);
            return;
        }
        let (filter, role) = (job.filter.clone(), job.role);
        let page = crate::db::run(&job.pool, move |conn| -> Result<_, ApiError> {
            let page = page_rows(conn, &filter, role, after)?;
            let chunk = csv_chunk(&page.rows, encoding, false).map_err(ApiError::internal)?;
            Ok((chunk, page.last, page.more))
        })
        .await;
        match page {
            Ok((chunk, last, more)) => {
                if !chunk.is_empty() && tx.send(Ok(chunk)).await.is_err() {
                    log::info!("export {}: the client went away", job.request_id);
                    return;
                }
                if !more {
                    return;
                }
                after = last;
            }
            Err(e) => return fail(&tx, &job.request_id, e).await,
        }
    }
}

/// Builds the workbook in a temporary directory on a blocking thread, then streams the file in chunks.
async fn produce_xlsx(job: Job, tx: Sender) {
    let request_id = job.request_id.clone();
    let watch = tx.clone();
    let built = web::block(move || build_xlsx(&job, &watch)).await;
    let (dir, path) = match built {
        Ok(Ok(Some(done))) => done,
        Ok(Ok(None)) => {
            log::info!("export {request_id}: the client went away");
            return;
        }
        Ok(Err(e)) => return fail(&tx, &request_id, e).await,
        Err(e) => return fail(&tx, &request_id, e).await,
    };
    if let Err(e) = stream_file(&path, &tx).await {
        fail(&tx, &request_id, e).await;
    }
    drop(dir);
}

/// Sends a file in [`FILE_CHUNK`] pieces; stops quietly when the client goes away.
async fn stream_file(path: &std::path::Path, tx: &Sender) -> io::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path).await?;
    let mut buf = vec![0u8; FILE_CHUNK];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        if tx.send(Ok(Bytes::copy_from_slice(&buf[..n]))).await.is_err() {
            return Ok(());
        }
    }
}

/// Writes the workbook (constant memory: rows go to disk as they are written; every cell a string so that IDs
/// and codes stay text). `None` when the client went away meanwhile.
fn build_xlsx(job: &Job, watch: &Sender) -> Result<Option<(tempfile::TempDir, PathBuf)>, String> {
    let text = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("retirees.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook.set_tempdir(dir.path()).map_err(text)?;
    {
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(text)?;
        sheet.set_name("retirees").map_err(text)?;
        for (col, name) in (0u16..).zip(COLUMNS) {
            let width = match name {
                "id_number" | "special_groups" => 22.0,
                "address" | "notes" => 30.0,
                _ => 14.0,
            };
            sheet.set_column_width(col, width).map_err(text)?;
            sheet.write_string(0, col, name).map_err(text)?;
        }
        let mut row: u32 = 1;
        let mut after = None;
        loop {
            if watch.is_closed() {
                return Ok(None);
            }
            let page = {
                let mut conn = job.pool.get().map_err(|e| e.to_string())?;
                page_rows(&mut conn, &job.filter, job.role, after).map_err(|e| e.to_string())?
            };
            for values in &page.rows {
                for (col, value) in (0u16..).zip(values) {
                    if !value.is_empty() {
                        sheet.write_string(row, col, value).map_err(text)?;
                    }
                }
                row += 1;
            }
            if !page.more {
                break;
            }
            after = page.last;
        }
    }
    workbook.save(&path).map_err(text)?;
    Ok(Some((dir, path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_are_crlf_quoted_where_needed_and_encoded() {
        let rows = [["a", "b,c", "张\"三"]];
        let utf8 = csv_chunk(&rows, Encoding::Utf8, true).unwrap();
        assert_eq!(&utf8[..], "\u{feff}a,\"b,c\",\"张\"\"三\"\r\n".as_bytes());
        let gb = csv_chunk(&rows, Encoding::Gb18030, true).unwrap();
        let (decoded, _, bad) = encoding_rs::GB18030.decode(&gb);
        assert!(!bad);
        assert_eq!(decoded, "a,\"b,c\",\"张\"\"三\"\r\n");
    }

    #[test]
    fn format_and_encoding_codes() {
        assert_eq!(Format::parse("XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::parse("pdf"), None);
        assert_eq!(Encoding::parse("GB18030"), Some(Encoding::Gb18030));
        assert_eq!(Encoding::parse("latin1"), None);
    }
}
