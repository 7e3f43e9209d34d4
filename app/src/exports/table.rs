//! Lists and reports as files for people and machines (issues 23, 25, 26, 27): one or more tables, each written
//! as CSV (UTF-8 with a byte-order mark, or GB18030) or as a sheet of an XLSX workbook.
//!
//! A module describes its columns once ([`Column`]: the code, the Chinese header, what the cells hold) and hands
//! over rows of text cells already in the caller's view (masked, labelled or coded as `labels` asks). The file
//! says the rest: Chinese or code headers, dates as dates and amounts as numbers in XLSX, the title row and a bold
//! totals row in XLSX, formula-looking cells neutralised in CSV ([`crate::spreadsheet::neutralise`]). Lists of
//! registers and report sections are small (thousands of rows), so the file is built in memory; the roster export
//! ([`super::build_xlsx`], [`super::csv_page`]) streams instead.

use std::borrow::Cow;

use rust_xlsxwriter::{ExcelDateTime, Format as XlsxFormat, FormatBorder, Workbook, Worksheet, XlsxError};

use super::{Encoding, Format, Labels, XLSX_TYPE, csv_chunk};
use crate::error::AppError;
use crate::spreadsheet::neutralise;

/// What the cells of a column hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Text (codes, names, IDs, phones: never a number, so leading zeros stay).
    Text,
    /// `YYYY-MM-DD`, an Excel date in XLSX.
    Date,
    /// An amount in yuan with two decimals (`1234.50`), a number Excel sums.
    Money,
    /// A count or other plain number.
    Number,
}

/// One column: its code (the header with `labels=codes`), its Chinese header and what its cells hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The API's field name.
    pub code: &'static str,
    /// The Chinese header.
    pub zh: &'static str,
    /// What the cells hold.
    pub kind: CellKind,
}

impl Column {
    /// A text column.
    pub const fn text(code: &'static str, zh: &'static str) -> Self {
        Column { code, zh, kind: CellKind::Text }
    }
    /// A date column.
    pub const fn date(code: &'static str, zh: &'static str) -> Self {
        Column { code, zh, kind: CellKind::Date }
    }
    /// An amount column.
    pub const fn money(code: &'static str, zh: &'static str) -> Self {
        Column { code, zh, kind: CellKind::Money }
    }
    /// A number column.
    pub const fn number(code: &'static str, zh: &'static str) -> Self {
        Column { code, zh, kind: CellKind::Number }
    }

    /// The header in `labels`.
    pub fn header(&self, labels: Labels) -> &'static str {
        match labels {
            Labels::Zh => self.zh,
            Labels::Codes => self.code,
        }
    }
}

/// One table: a sheet of a workbook, or the whole of a CSV file.
#[derive(Debug, Clone)]
pub struct Table {
    /// The sheet's name (Chinese, at most 31 characters, none of `[]:*?/\`).
    pub sheet: String,
    /// A title written above the header in XLSX (e.g. the node and the month of a report); not in CSV.
    pub title: Option<String>,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, one cell per column (a missing cell is empty).
    pub rows: Vec<Vec<String>>,
    /// A totals row written in bold below the rows in XLSX and as the last line in CSV.
    pub totals: Option<Vec<String>>,
}

impl Table {
    /// A table without title or totals.
    pub fn new(sheet: impl Into<String>, columns: Vec<Column>, rows: Vec<Vec<String>>) -> Self {
        Table { sheet: sheet.into(), title: None, columns, rows, totals: None }
    }

    /// The same table with a title above it in XLSX.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The same table with a totals row.
    pub fn with_totals(mut self, totals: Vec<String>) -> Self {
        self.totals = Some(totals);
        self
    }
}

/// A file built from tables: its bytes, media type and file name.
#[derive(Debug, Clone)]
pub struct File {
    /// The content.
    pub bytes: Vec<u8>,
    /// `text/csv; charset=…` or the XLSX media type.
    pub content_type: String,
    /// `<stem>.csv` or `<stem>.xlsx`.
    pub file_name: String,
}

/// `true`/`false` as `是`/`否` for people, as codes for machines.
pub fn yes_no(value: bool, labels: Labels) -> String {
    match (labels, value) {
        (Labels::Zh, true) => "是".to_owned(),
        (Labels::Zh, false) => "否".to_owned(),
        (Labels::Codes, v) => v.to_string(),
    }
}

/// An enumeration value as its Chinese label for people, as its code for machines.
pub fn label(code: &str, zh: &str, labels: Labels) -> String {
    match labels {
        Labels::Zh => zh.to_owned(),
        Labels::Codes => code.to_owned(),
    }
}

/// Builds the file named `stem` from `tables`: a workbook with one sheet per table for XLSX; for CSV, the tables
/// one after the other, each with its header line, separated by an empty line (one table is the usual case).
pub fn render(
    tables: &[Table],
    format: Format,
    encoding: Encoding,
    labels: Labels,
    stem: &str,
) -> Result<File, AppError> {
    match format {
        Format::Csv => Ok(File {
            bytes: csv(tables, encoding, labels).map_err(AppError::internal)?,
            content_type: format!("text/csv; charset={}", encoding.as_str()),
            file_name: format!("{stem}.csv"),
        }),
        Format::Xlsx => Ok(File {
            bytes: xlsx(tables, labels).map_err(|e| AppError::internal(e.to_string()))?,
            content_type: XLSX_TYPE.to_owned(),
            file_name: format!("{stem}.xlsx"),
        }),
    }
}

fn csv(tables: &[Table], encoding: Encoding, labels: Labels) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        let width = table.columns.len();
        let mut lines: Vec<Vec<String>> = Vec::with_capacity(table.rows.len() + 2);
        if i > 0 {
            // The empty line between tables is written as such: the CSV writer refuses a record of another width.
            out.extend_from_slice(b"\r\n");
        }
        lines.push(table.columns.iter().map(|c| c.header(labels).to_owned()).collect());
        for row in table.rows.iter().chain(table.totals.iter()) {
            lines.push(
                (0..width)
                    .map(|c| {
                        let cell = row.get(c).map_or("", String::as_str);
                        match neutralise(cell) {
                            Cow::Owned(text) => text,
                            Cow::Borrowed(text) => text.to_owned(),
                        }
                    })
                    .collect(),
            );
        }
        out.extend(csv_chunk(&lines, encoding, i == 0)?);
    }
    Ok(out)
}

/// Characters a sheet name may not hold, and its length limit.
fn sheet_name(name: &str) -> String {
    let clean: String = name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    if clean.is_empty() { "Sheet".to_owned() } else { clean }
}

struct Formats {
    title: XlsxFormat,
    header: XlsxFormat,
    date: XlsxFormat,
    money: XlsxFormat,
    total_text: XlsxFormat,
    total_money: XlsxFormat,
}

fn excel_date(text: &str) -> Option<ExcelDateTime> {
    let date = time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    ExcelDateTime::from_ymd(u16::try_from(date.year()).ok()?, u8::from(date.month()), date.day()).ok()
}

fn write_cell(
    sheet: &mut Worksheet,
    f: &Formats,
    (row, col): (u32, u16),
    kind: CellKind,
    value: &str,
    total: bool,
) -> Result<(), XlsxError> {
    if value.is_empty() {
        return Ok(());
    }
    match kind {
        CellKind::Date => {
            if let Some(d) = excel_date(value) {
                sheet.write_datetime_with_format(row, col, d, &f.date)?;
                return Ok(());
            }
        }
        CellKind::Money => {
            if let Ok(n) = value.parse::<f64>() {
                let format = if total { &f.total_money } else { &f.money };
                sheet.write_number_with_format(row, col, n, format)?;
                return Ok(());
            }
        }
        CellKind::Number => {
            if let Ok(n) = value.parse::<f64>() {
                if total {
                    sheet.write_number_with_format(row, col, n, &f.total_text)?;
                } else {
                    sheet.write_number(row, col, n)?;
                }
                return Ok(());
            }
        }
        CellKind::Text => {}
    }
    if total {
        sheet.write_string_with_format(row, col, value, &f.total_text)?;
    } else {
        sheet.write_string(row, col, value)?;
    }
    Ok(())
}

fn width(column: &Column, rows: &[Vec<String>], c: usize) -> f64 {
    let chars = |s: &str| s.chars().map(|ch| if ch.is_ascii() { 1.0 } else { 2.0 }).sum::<f64>();
    let longest = rows.iter().take(200).filter_map(|r| r.get(c)).map(|s| chars(s)).fold(chars(column.zh), f64::max);
    (longest + 2.0).clamp(8.0, 50.0)
}

fn xlsx(tables: &[Table], labels: Labels) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let f = Formats {
        title: XlsxFormat::new().set_bold().set_font_size(14),
        header: XlsxFormat::new().set_bold().set_border_bottom(FormatBorder::Thin),
        date: XlsxFormat::new().set_num_format("yyyy-mm-dd"),
        money: XlsxFormat::new().set_num_format("#,##0.00"),
        total_text: XlsxFormat::new().set_bold().set_border_top(FormatBorder::Thin),
        total_money: XlsxFormat::new().set_bold().set_border_top(FormatBorder::Thin).set_num_format("#,##0.00"),
    };
    let mut used: Vec<String> = Vec::new();
    for table in tables {
        let sheet = workbook.add_worksheet();
        let mut name = sheet_name(&table.sheet);
        let mut n = 2;
        while used.contains(&name) {
            name = sheet_name(&format!("{}{n}", table.sheet));
            n += 1;
        }
        sheet.set_name(&name)?;
        used.push(name);
        let mut row: u32 = 0;
        if let Some(title) = &table.title {
            sheet.write_string_with_format(0, 0, title, &f.title)?;
            row = 2;
        }
        let header_row = row;
        for (c, column) in table.columns.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            sheet.set_column_width(col, width(column, &table.rows, c))?;
            sheet.write_string_with_format(row, col, column.header(labels), &f.header)?;
        }
        sheet.set_freeze_panes(row + 1, 0)?;
        row += 1;
        for values in &table.rows {
            for (c, column) in table.columns.iter().enumerate() {
                let col = u16::try_from(c).unwrap_or(u16::MAX);
                write_cell(sheet, &f, (row, col), column.kind, values.get(c).map_or("", String::as_str), false)?;
            }
            row += 1;
        }
        if !table.rows.is_empty() && !table.columns.is_empty() {
            let last_col = u16::try_from(table.columns.len() - 1).unwrap_or(0);
            sheet.autofilter(header_row, 0, row - 1, last_col)?;
        }
        if let Some(totals) = &table.totals {
            for (c, column) in table.columns.iter().enumerate() {
                let col = u16::try_from(c).unwrap_or(u16::MAX);
                write_cell(sheet, &f, (row, col), column.kind, totals.get(c).map_or("", String::as_str), true)?;
            }
        }
    }
    if tables.is_empty() {
        workbook.add_worksheet();
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table::new(
            "护理员",
            vec![Column::text("name", "姓名"), Column::date("since", "日期"), Column::money("amount", "金额")],
            vec![vec!["张三".into(), "2026-01-02".into(), "12.50".into()], vec!["=cmd".into()]],
        )
        .with_totals(vec!["合计".into(), String::new(), "12.50".into()])
    }

    #[test]
    fn csv_has_the_header_in_the_labels_asked_neutralised_cells_and_the_totals_last() {
        let file = render(&[table()], Format::Csv, Encoding::Utf8, Labels::Zh, "caregivers").unwrap();
        assert_eq!(file.file_name, "caregivers.csv");
        assert_eq!(file.content_type, "text/csv; charset=utf-8");
        let text = String::from_utf8(file.bytes).unwrap();
        assert_eq!(text, "\u{feff}姓名,日期,金额\r\n张三,2026-01-02,12.50\r\n'=cmd,,\r\n合计,,12.50\r\n");
        let codes = render(&[table()], Format::Csv, Encoding::Utf8, Labels::Codes, "c").unwrap();
        assert!(String::from_utf8(codes.bytes).unwrap().starts_with("\u{feff}name,since,amount\r\n"));
    }

    #[test]
    fn xlsx_is_a_workbook_with_one_sheet_per_table() {
        let second = Table { sheet: "护理员".into(), ..table() }.with_title("思明区 2026年11月");
        let file = render(&[table(), second], Format::Xlsx, Encoding::Utf8, Labels::Zh, "r").unwrap();
        assert_eq!(file.content_type, XLSX_TYPE);
        assert_eq!(&file.bytes[..2], b"PK");
    }

    #[test]
    fn sheet_names_lose_forbidden_characters_and_stop_at_31() {
        assert_eq!(sheet_name("a/b:c"), "abc");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
        assert_eq!(sheet_name("[]"), "Sheet");
    }

    #[test]
    fn labels_and_booleans() {
        assert_eq!(yes_no(true, Labels::Zh), "是");
        assert_eq!(yes_no(false, Labels::Codes), "false");
        assert_eq!(label("junior", "初级", Labels::Zh), "初级");
        assert_eq!(label("junior", "初级", Labels::Codes), "junior");
    }
}
