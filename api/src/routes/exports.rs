//! `GET /exports/retirees`: the retiree roster as CSV (UTF-8 with a byte-order mark, or GB18030) or XLSX, in the
//! columns of the import format ([`app::retirees::file`]) so that an export re-imports cleanly; filtered, scoped
//! and masked like the list, and streamed: pages of [`app::exports::PAGE`] rows by id, one pooled connection per page, through
//! a bounded channel, so the whole roster is never in memory.

use std::io;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use domain::Permission;
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};

use super::common::finish;
use super::files::{FileOptions, FileParams};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use app::exports::{Encoding, Export, Format};
use app::retirees::list::{ListQuery, filter_from_query};

/// Bytes per chunk when streaming the XLSX file.
const FILE_CHUNK: usize = 64 * 1024;
/// Encoded chunks waiting for the client; the producer waits when they are all taken.
const CHANNEL: usize = 4;
use app::exports::XLSX_TYPE;

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
    /// `zh`: Chinese column headers and Chinese labels for enumeration values (`人员类别` / `企业职工`,
    /// `是`/`否`), for people; `codes`: the API's column and value codes, for machines. Default: `zh` for XLSX;
    /// for CSV `zh` when `Accept-Language` prefers Chinese (`zh`, `zh-CN;q=0.9`), else `codes`. Both re-import.
    #[param(example = "zh")]
    pub labels: Option<String>,
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

/// The retirees of the caller's subtree (or of a node inside it) matching the list filters, as a file to open
/// in Excel or WPS: CSV (UTF-8 with a byte-order mark, or `encoding=gb18030`) or XLSX (`format=xlsx`, or
/// `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`). The columns are those of the
/// retiree import, so a file exported by the data platform re-imports as it is; resident IDs, phones and
/// addresses are shown or masked as in the list, and the birth date (the masked part of an ID) is left empty where
/// the ID is masked. Cells a spreadsheet would run as formulas start with `'`. Ordered by id, the whole filtered
/// set (no paging), streamed. For people (`labels=zh`, the XLSX default): Chinese headers (`姓名`, `人员类别` …) and
/// labels (`企业职工`, `是`/`否`); for machines (`labels=codes`, the CSV default unless `Accept-Language` prefers
/// Chinese) the API's codes. XLSX cells are typed: dates as dates (`yyyy-mm-dd`), the monthly pension as a number
/// with two decimals; the header row is frozen with an autofilter; the sheet `退休人员` is followed by `导出条件`
/// (the filters as sent, the row count and the time of export).
/// Every export is audited (`retiree.export`).
#[utoipa::path(tag = "exports", security(("bearer" = ["retiree.export"])), params(ExportQuery),
    responses((status = 200, description = "The roster as a file download",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"retirees-YYYYMMDD.csv\"` (or `.xlsx`)")),
        content(
            (String = "text/csv", example = json!("name,id_number,sex,birth_date,retirement_date,category,management_level,community_code,phone,address,monthly_pension,party_member,special_groups,notes\r\n张三,350203********0017,male,,2015-01-01,enterprise_employee,city_managed,350203001001,138****5678,厦门市思明区****,3500.00,false,living_alone:2024-01-01,\r\n")),
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
    let mut errors = Vec::new();
    let pending = filter_from_query(&caller, &q.filters(), today, &mut errors);
    let file = FileParams { format: q.format.clone(), encoding: q.encoding.clone(), labels: q.labels.clone() }
        .settle(&req, &mut errors);
    finish(errors)?;
    let Some(FileOptions { format, encoding, labels }) = file else {
        return Err(ApiError::internal("file options settled without errors"));
    };

    let c = caller.0.clone();
    let filters = q.filters();
    let export = crate::db::write(&state.pool, move |conn| {
        app::exports::begin(conn, &c, pending, &filters, format, encoding, labels)
    })
    .await?;

    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(CHANNEL);
    let job =
        Job { pool: crate::db::reading_pool(&state, &caller.login), export, request_id: caller.request_id.clone() };
    let stamp = format!("{:04}{:02}{:02}", today.year(), u8::from(today.month()), today.day());
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
    /// The pool the rows are read from: the read replica when it may serve this caller (issue 28).
    pool: app::db::Pool,
    export: Export,
    request_id: String,
}

type Sender = mpsc::Sender<Result<Bytes, io::Error>>;

/// Ends the stream with an error (the client sees a cut-off transfer, not a short file) and logs the cause.
async fn fail(tx: &Sender, request_id: &str, cause: impl std::fmt::Display) {
    log::error!("export {request_id} failed after the response started: {cause}");
    let _ = tx.send(Err(io::Error::other("export failed"))).await;
}

/// Streams the CSV: the header line, then one chunk per page. Stops when the client goes away.
async fn produce_csv(job: Job, encoding: Encoding, tx: Sender) {
    let header = match app::exports::csv_header(encoding, job.export.labels()) {
        Ok(h) => Bytes::from(h),
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
        let export = job.export.clone();
        let page = crate::db::run(&job.pool, move |conn| app::exports::csv_page(conn, &export, encoding, after)).await;
        match page {
            Ok((chunk, last, more)) => {
                if !chunk.is_empty() && tx.send(Ok(Bytes::from(chunk))).await.is_err() {
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
    let built = web::block(move || app::exports::build_xlsx(&job.pool, &job.export, || watch.is_closed())).await;
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
