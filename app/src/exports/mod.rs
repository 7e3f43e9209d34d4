//! Retiree rosters as files: CSV (UTF-8 with a byte-order mark, or GB18030) or XLSX, in the columns of the import
//! format ([`crate::retirees::file`]) so that an export re-imports cleanly; filtered, scoped and masked like the
//! list (the list view of the role table). The rows are read in pages of [`PAGE`] by id, so a caller can stream
//! them without holding the whole roster; [`begin`] settles the filter and audits the export.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io;

use domain::Role;
use domain::roles::SensitiveField;
use persistence::retirees::{self as repo, GroupFlag, Retiree, RetireeFilter};
use persistence::{DbConnection, audit};

use crate::caller::Caller;
use crate::error::AppError;
use crate::masking::show;
use crate::retirees::file::row_values;
use crate::retirees::list::{ListQuery, PendingFilter};
use crate::spreadsheet::neutralise;

mod labels;
pub mod table;
mod xlsx;

pub use labels::{Labels, label_row};
pub use xlsx::build_xlsx;

/// Rows read per page (one pooled connection each).
pub const PAGE: i64 = 2000;
/// The media type of XLSX workbooks.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl Format {
    /// `csv` or `xlsx`, in any case.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// The code.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// A CSV character encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 with a byte-order mark (Excel needs it to read UTF-8).
    Utf8,
    /// GB18030 without a byte-order mark (older Chinese Excel and WPS set-ups).
    Gb18030,
}

impl Encoding {
    /// `utf-8` or `gb18030`, in any case.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "utf-8" => Some(Encoding::Utf8),
            "gb18030" => Some(Encoding::Gb18030),
            _ => None,
        }
    }

    /// The code.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Gb18030 => "gb18030",
        }
    }
}

/// An export under way: the settled filter, the role whose view the rows show, whether headers and values are
/// Chinese labels or codes, and what the XLSX filter sheet tells (the filters as sent, the time of export).
#[derive(Debug, Clone)]
pub struct Export {
    filter: RetireeFilter,
    role: Role,
    labels: Labels,
    /// `(filter, value as sent)` of every filter sent.
    sent: Vec<(&'static str, String)>,
    at: time::OffsetDateTime,
}

/// Settles the filter of an export (checked by [`crate::retirees::list::filter_from_query`] from `filters`) for the
/// caller and writes its audit entry (`retiree.export`, with the filters as sent, the format and, for CSV, the
/// encoding). The rows are then read page by page with [`page_rows`] or [`csv_page`].
pub fn begin(
    conn: &mut DbConnection,
    caller: &Caller,
    pending: PendingFilter,
    filters: &ListQuery,
    format: Format,
    encoding: Encoding,
    labels: Labels,
) -> Result<Export, AppError> {
    let q = filters;
    let mut detail = serde_json::json!({
        "filters": {
            "jurisdiction": q.jurisdiction, "category": q.category, "management_level": q.management_level,
            "pension_status": q.pension_status, "suspension_reason": q.suspension_reason,
            "certification": q.certification, "special_group": q.special_group, "age_min": q.age_min,
            "age_max": q.age_max, "name_prefix": q.name_prefix,
        },
        "format": format.as_str(),
        "labels": labels.as_str(),
    });
    if format == Format::Csv {
        detail["encoding"] = serde_json::json!(encoding.as_str());
    }
    let filter = pending.resolve(conn, caller)?;
    let mut entry = caller.audit("retiree.export", "retiree_export", "", &filter.scope_path);
    entry.object_id = None;
    entry.detail = Some(detail.to_string());
    audit::append(conn, &entry)?;
    let sent = [
        ("jurisdiction", &q.jurisdiction),
        ("category", &q.category),
        ("management_level", &q.management_level),
        ("pension_status", &q.pension_status),
        ("suspension_reason", &q.suspension_reason),
        ("certification", &q.certification),
        ("special_group", &q.special_group),
        ("age_min", &q.age_min),
        ("age_max", &q.age_max),
        ("name_prefix", &q.name_prefix),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
    .collect();
    Ok(Export { filter, role: caller.role, labels, sent, at: time::OffsetDateTime::now_utc() })
}

impl Export {
    /// Chinese labels or codes.
    pub fn labels(&self) -> Labels {
        self.labels
    }
}

/// One page of file rows.
#[derive(Debug)]
pub struct RowPage {
    /// In [`crate::retirees::file::COLUMNS`] order.
    pub rows: Vec<[String; 16]>,
    /// Id of the last retiree: the next page starts after it.
    pub last: Option<i64>,
    /// Whether the page was full, so that more may follow.
    pub more: bool,
}

/// The page of rows after `after`.
pub fn page_rows(conn: &mut DbConnection, export: &Export, after: Option<i64>) -> Result<RowPage, AppError> {
    let items = repo::list(conn, &export.filter, after, PAGE)?;
    let ids: Vec<i64> = items.iter().map(|(r, _)| r.id).collect();
    let flags = repo::flags_by_retiree(conn, &ids)?;
    let methods: HashMap<i64, String> = repo::last_certification_methods(conn, &ids)?.into_iter().collect();
    let last = ids.last().copied();
    let more = items.len() as i64 == PAGE;
    let rows = items
        .iter()
        .map(|(r, _)| {
            let flags = flags.get(&r.id).map_or(&[][..], Vec::as_slice);
            let mut row = row_of(r, flags, methods.get(&r.id).map(String::as_str), export.role);
            if export.labels == Labels::Zh {
                label_row(&mut row);
            }
            row
        })
        .collect();
    Ok(RowPage { rows, last, more })
}

/// One retiree as a file row, sensitive fields in the list view of the role table; the birth date only with a
/// clear ID.
fn row_of(r: &Retiree, flags: &[GroupFlag], method: Option<&str>, role: Role) -> [String; 16] {
    let mut masked = Vec::new();
    let id_number = show(role, SensitiveField::IdNumber, false, &r.id_number, &mut masked);
    let phone = r.phone.as_deref().map(|p| show(role, SensitiveField::Phone, false, p, &mut masked));
    let address = r.address.as_deref().map(|a| show(role, SensitiveField::Address, false, a, &mut masked));
    // The birth date is the masked part of the ID: written only where the ID is (issue 21.1).
    let birth_date = role.visibility(SensitiveField::IdNumber).clear_in(false).then_some(r.birth_date);
    row_values(r, flags, id_number, birth_date, (phone, address), method)
}

/// CSV lines (CRLF, quoted where needed) in `encoding`; the header line starts with the byte-order mark in UTF-8.
pub fn csv_chunk<R: AsRef<[u8]>>(rows: &[impl AsRef<[R]>], encoding: Encoding, bom: bool) -> io::Result<Vec<u8>> {
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
        Encoding::Utf8 => bytes,
        Encoding::Gb18030 => {
            let text = String::from_utf8(bytes).map_err(io::Error::other)?;
            // GB18030 maps every Unicode character, so nothing is replaced.
            let (encoded, _, _) = encoding_rs::GB18030.encode(&text);
            encoded.into_owned()
        }
    })
}

/// The CSV header line in `encoding` (with the byte-order mark in UTF-8): the column codes, or their Chinese
/// names.
pub fn csv_header(encoding: Encoding, labels: Labels) -> io::Result<Vec<u8>> {
    csv_chunk(&[labels.header()], encoding, true)
}

/// A page of CSV lines after `after`: the bytes, the id the next page starts after, and whether more may follow.
/// Cells that a spreadsheet would read as a formula get a leading `'` ([`crate::spreadsheet::neutralise`]).
pub fn csv_page(
    conn: &mut DbConnection,
    export: &Export,
    encoding: Encoding,
    after: Option<i64>,
) -> Result<(Vec<u8>, Option<i64>, bool), AppError> {
    let mut page = page_rows(conn, export, after)?;
    // A cell a spreadsheet would run as a formula is written as text (OWASP CSV injection); the import takes the
    // `'` off again. XLSX cells are written as strings, which spreadsheets never run.
    for cell in page.rows.iter_mut().flatten() {
        if let Cow::Owned(text) = neutralise(cell) {
            *cell = text;
        }
    }
    let chunk = csv_chunk(&page.rows, encoding, false).map_err(AppError::internal)?;
    Ok((chunk, page.last, page.more))
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
