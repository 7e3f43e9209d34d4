//! Imports of registers a city already keeps in spreadsheets (care institutions and caregivers, archives,
//! volunteers, party members …): CSV (UTF-8, UTF-8 with a byte-order mark or GB18030; gzip accepted) or XLSX (the
//! first sheet). The header names the columns by their code or by the Chinese header of the module's export
//! ([`Column`]), so a file exported with `labels=zh` or `labels=codes` imports back as it is.
//!
//! Registers are small (thousands of rows): the file is read whole, then every row goes through the module's own
//! use case inside a savepoint, so a refused row leaves nothing behind. In `atomic` mode any refused row refuses
//! the file (422 with every row's errors and its line); in `partial` mode the good rows stay and the report lists
//! the refused ones.

use std::path::Path;

use domain::ErrorCode;
use persistence::DbConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Mode, RowError};
use crate::error::{AppError, FieldError};
use crate::exports::table::Column;
use crate::files::{normalise, unreadable};
use crate::spreadsheet::restore;

/// An enumeration's code and Chinese label (`as_str`, `label_zh`), to read a cell that holds either.
pub type Labelled<T> = (fn(T) -> &'static str, fn(T) -> &'static str);

/// Rows listed in a report or a refusal at most.
const MAX_LISTED_ERRORS: usize = 1000;
/// Rows a register file may hold.
pub const MAX_ROWS: usize = 50_000;

/// Where an uploaded register is and how it is read (the one shape every register's import takes).
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    /// The raw bytes.
    pub raw: &'a Path,
    /// A directory for the normalised copy.
    pub dir: &'a Path,
    /// XLSX (else CSV).
    pub xlsx: bool,
    /// The most bytes it may unpack to.
    pub unpacked_limit: u64,
}

/// One data row: its line in the file (the header is line 1) and its cells by column code.
#[derive(Debug, Clone)]
pub struct Row {
    /// Line in the file (CSV) or row of the sheet (XLSX), counted from 1 with the header.
    pub line: u64,
    cells: Vec<(&'static str, String)>,
}

impl Row {
    /// The trimmed cell of `code`, `None` when the column is absent or the cell empty. A leading `'` that an
    /// export put before a formula-looking cell is taken off.
    pub fn get(&self, code: &str) -> Option<&str> {
        self.cells.iter().find(|(c, _)| *c == code).map(|(_, v)| restore(v.trim())).filter(|v| !v.is_empty())
    }
}

impl Row {
    /// The cell of `column` as one of an enumeration's values, given by its code or its Chinese label (`all`,
    /// `code` and `zh` are the enumeration's `ALL`, `as_str` and `label_zh`); a cell that is neither is a field
    /// error naming the column and the codes.
    pub fn enumeration<T: Copy>(
        &self,
        column: &str,
        all: &[T],
        (code, zh): Labelled<T>,
        errors: &mut Vec<FieldError>,
    ) -> Option<T> {
        let cell = self.get(column)?;
        enum_value(cell, all, (code, zh)).or_else(|| {
            errors.push(invalid_enum(column, cell, all.iter().map(|v| code(*v))));
            None
        })
    }

    /// The cell of `column` split at `;` (also the Chinese `；` and `、`), each part trimmed, empty parts dropped.
    pub fn list(&self, column: &str) -> Vec<String> {
        self.get(column)
            .map(|cell| {
                cell.split([';', '；', '、']).map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
            })
            .unwrap_or_default()
    }

    /// The cell of `column` as a whole number, or a field error `invalid_value`.
    pub fn integer<T: std::str::FromStr>(&self, column: &str, errors: &mut Vec<FieldError>) -> Option<T> {
        let cell = self.get(column)?;
        cell.parse().ok().or_else(|| {
            errors.push(FieldError::with(
                column,
                ErrorCode::InvalidValue,
                format!("{column} 应为整数，而不是 {cell}"),
                format!("{column} must be a whole number, not {cell}"),
            ));
            None
        })
    }

    /// The cell of `column` as a yes/no: `是`/`否`, `true`/`false`, `1`/`0`, `Y`/`N`; else a field error.
    pub fn flag(&self, column: &str, errors: &mut Vec<FieldError>) -> Option<bool> {
        let cell = self.get(column)?;
        match cell.to_ascii_lowercase().as_str() {
            "是" | "true" | "1" | "y" | "yes" => Some(true),
            "否" | "false" | "0" | "n" | "no" => Some(false),
            _ => {
                errors.push(FieldError::with(
                    column,
                    ErrorCode::InvalidValue,
                    format!("{column} 应为 是 或 否，而不是 {cell}"),
                    format!("{column} must be 是/否 (true/false), not {cell}"),
                ));
                None
            }
        }
    }
}

/// An enumeration value by its code or its Chinese label.
pub fn enum_value<T: Copy>(cell: &str, all: &[T], (code, zh): Labelled<T>) -> Option<T> {
    all.iter().copied().find(|v| code(*v).eq_ignore_ascii_case(cell) || zh(*v) == cell)
}

/// The field error of a cell that is not one of the codes.
pub fn invalid_enum<'a>(column: &str, cell: &str, codes: impl Iterator<Item = &'a str>) -> FieldError {
    let codes: Vec<&str> = codes.collect();
    FieldError::with(
        column,
        ErrorCode::InvalidEnum,
        format!("{column} 取值应为 {} 或其中文名称，而不是 {cell}", codes.join("、")),
        format!("{column} must be one of {} or its Chinese label, not {cell}", codes.join(", ")),
    )
}

/// What an import of a register did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisterReport {
    /// Mode used.
    pub mode: Mode,
    /// Data rows read.
    #[schema(example = 12)]
    pub rows: u64,
    /// Records created.
    #[schema(example = 11)]
    pub created: u64,
    /// Records updated (rows naming a record that exists, where the register allows it).
    #[schema(example = 0)]
    pub updated: u64,
    /// Rows naming a record that exists, left as they are (`on_conflict=skip`).
    #[schema(example = 0)]
    pub skipped: u64,
    /// Rows refused.
    #[schema(example = 1)]
    pub rejected: u64,
    /// The refused rows (at most 1000 listed).
    pub errors: Vec<RowError>,
}

/// What one row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new record.
    Created,
    /// An existing record changed.
    Updated,
    /// The row names a record that exists and is left alone.
    Skipped,
}

/// Reads the upload at `raw` (normalised into `dir`; at most `unpacked_limit` bytes once unpacked), CSV or, with
/// `xlsx`, the first sheet of a workbook. Header problems refuse the file with 422 at line 1: a column that is
/// not one of `columns` (`unknown_column`), a column twice (`duplicate_column`), a column of `required` missing
/// (`missing_column`), no header (`missing_header`).
pub fn read(
    raw: &Path,
    dir: &Path,
    xlsx: bool,
    columns: &[Column],
    required: &[&str],
    unpacked_limit: u64,
) -> Result<Vec<Row>, AppError> {
    let lines = if xlsx { read_xlsx(raw)? } else { read_csv(raw, dir, unpacked_limit)? };
    let mut lines = lines.into_iter();
    let Some((_, header)) = lines.next() else {
        return Err(AppError::validation_at(vec![(FieldError::of("file", ErrorCode::MissingHeader), Some(1))]));
    };
    let codes = header_codes(&header, columns, required)?;
    let mut rows = Vec::new();
    for (line, cells) in lines {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(AppError::with(
                ErrorCode::TooManyRows,
                format!("登记表最多 {MAX_ROWS} 行，请分批导入"),
                format!("a register holds at most {MAX_ROWS} rows: import it in parts"),
            ));
        }
        let cells = codes.iter().zip(cells.into_iter().chain(std::iter::repeat(String::new()))).map(|(c, v)| (*c, v));
        rows.push(Row { line, cells: cells.collect() });
    }
    Ok(rows)
}

/// The column code of each header cell, or the file's header errors.
fn header_codes(header: &[String], columns: &[Column], required: &[&str]) -> Result<Vec<&'static str>, AppError> {
    let mut errors = Vec::new();
    let mut codes: Vec<&'static str> = Vec::new();
    let names: Vec<&str> = {
        let mut names: Vec<&str> = header.iter().map(|h| h.trim().trim_start_matches('\u{feff}')).collect();
        while names.last().is_some_and(|n| n.is_empty()) {
            names.pop();
        }
        names
    };
    for name in names {
        match columns.iter().find(|c| c.code.eq_ignore_ascii_case(name) || c.zh == name) {
            Some(c) if codes.contains(&c.code) => errors.push(FieldError::with(
                name,
                ErrorCode::DuplicateColumn,
                format!("列 {name} 出现了两次"),
                format!("the column {name} appears twice"),
            )),
            Some(c) => codes.push(c.code),
            None => errors.push(FieldError::with(
                name,
                ErrorCode::UnknownColumn,
                format!("未知的列 {name}；可用的列：{}", columns.iter().map(|c| c.zh).collect::<Vec<_>>().join("、")),
                format!(
                    "unknown column {name}; the columns are {}",
                    columns.iter().map(|c| c.code).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }
    for code in required {
        if !codes.contains(code) {
            let zh = columns.iter().find(|c| c.code == *code).map_or(*code, |c| c.zh);
            errors.push(FieldError::with(
                *code,
                ErrorCode::MissingColumn,
                format!("缺少必需的列 {zh}（{code}）"),
                format!("the required column {code} ({zh}) is missing"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(codes)
    } else {
        Err(AppError::validation_at(errors.into_iter().map(|e| (e, Some(1))).collect()))
    }
}

fn read_csv(raw: &Path, dir: &Path, unpacked_limit: u64) -> Result<Vec<(u64, Vec<String>)>, AppError> {
    let normalised = dir.join("register.csv");
    normalise(raw, &normalised, unpacked_limit)?;
    let file = std::fs::File::open(&normalised).map_err(AppError::internal)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(file);
    let mut lines = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(true) => {
                lines.push((record.position().map_or(line, |p| p.line()), record.iter().map(str::to_owned).collect()))
            }
            Ok(false) => break,
            Err(e) => {
                return Err(AppError::validation_at(vec![(
                    FieldError::with(
                        "row",
                        ErrorCode::MalformedRow,
                        format!("该行无法解析：{e}"),
                        format!("the row cannot be parsed: {e}"),
                    ),
                    Some(line),
                )]));
            }
        }
    }
    Ok(lines)
}

fn read_xlsx(raw: &Path) -> Result<Vec<(u64, Vec<String>)>, AppError> {
    use calamine::{Data, Reader};
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook(raw).map_err(|e| unreadable(std::io::Error::other(e)))?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(unreadable(std::io::Error::other("no worksheet")));
    };
    let range = workbook.worksheet_range(&sheet).map_err(|e| unreadable(std::io::Error::other(e)))?;
    let first = range.start().map_or(0, |(r, _)| r);
    let mut lines = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let cells = row
            .iter()
            .map(|cell| match cell {
                Data::String(s) => s.clone(),
                Data::Int(i) => i.to_string(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                Data::Float(f) => f.to_string(),
                Data::Bool(b) => b.to_string(),
                Data::DateTime(d) => {
                    crate::spreadsheet::excel_date(d.as_f64()).unwrap_or_else(|| d.as_f64().to_string())
                }
                Data::DateTimeIso(s) => s.chars().take(10).collect(),
                Data::DurationIso(s) => s.clone(),
                Data::Error(_) | Data::Empty => String::new(),
            })
            .collect();
        lines.push((u64::from(first) + i as u64 + 1, cells));
    }
    Ok(lines)
}

/// Runs `each` on every row in a savepoint of its own: a row it refuses (an error below 500: its field errors,
/// or its code and message at `row`) leaves nothing behind; an error of 500 or more stops the import. In
/// `atomic` mode any refused row refuses the file with every row's errors.
pub fn apply(
    conn: &mut DbConnection,
    mode: Mode,
    rows: &[Row],
    mut each: impl FnMut(&mut DbConnection, &Row) -> Result<Outcome, AppError>,
) -> Result<RegisterReport, AppError> {
    let mut errors: Vec<(FieldError, u64)> = Vec::new();
    let (mut created, mut updated, mut skipped, mut rejected) = (0u64, 0u64, 0u64, 0u64);
    for row in rows {
        match persistence::savepoint(conn, |c| each(c, row)) {
            Ok(Outcome::Created) => created += 1,
            Ok(Outcome::Updated) => updated += 1,
            Ok(Outcome::Skipped) => skipped += 1,
            Err(e) if e.status() >= 500 => return Err(e),
            Err(e) => {
                rejected += 1;
                if e.errors().is_empty() {
                    errors.push((
                        FieldError::new("row", e.code(), e.detail().zh.clone(), e.detail().en.clone()),
                        row.line,
                    ));
                } else {
                    errors.extend(e.errors().iter().map(|(fe, _)| (column_error(fe), row.line)));
                }
            }
        }
    }
    if mode == Mode::Atomic && !errors.is_empty() {
        errors.truncate(MAX_LISTED_ERRORS);
        return Err(AppError::validation_at(errors.into_iter().map(|(e, l)| (e, Some(l))).collect()));
    }
    Ok(RegisterReport {
        mode,
        rows: rows.len() as u64,
        created,
        updated,
        skipped,
        rejected,
        errors: errors
            .into_iter()
            .take(MAX_LISTED_ERRORS)
            .map(|(e, line)| RowError { line, field: e.field, code: e.code, message: e.message.zh })
            .collect(),
    })
}

/// A use case's field error on a row: the JSON pointer (`/licence/expires_on`) named by its column
/// (`licence_expires_on`) where the pointer is a path.
fn column_error(e: &FieldError) -> FieldError {
    let field = e.field.trim_start_matches('/').replace('/', "_");
    FieldError { field, code: e.code.clone(), message: e.message.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: [Column; 3] =
        [Column::text("name", "名称"), Column::date("since", "日期"), Column::number("beds", "床位")];

    #[test]
    fn headers_by_code_or_chinese_name_in_any_order() {
        let header = vec!["床位".to_owned(), "NAME".to_owned(), "".to_owned()];
        assert_eq!(header_codes(&header, &COLUMNS, &["name"]).unwrap(), vec!["beds", "name"]);
    }

    #[test]
    fn unknown_duplicate_and_missing_columns_refuse_the_file_at_line_one() {
        let header = vec!["床位".to_owned(), "beds".to_owned(), "颜色".to_owned()];
        let e = header_codes(&header, &COLUMNS, &["name"]).unwrap_err();
        assert_eq!(e.status(), 422);
        let codes: Vec<(&str, &str, Option<u64>)> =
            e.errors().iter().map(|(f, l)| (f.field.as_str(), f.code.as_str(), *l)).collect();
        assert_eq!(
            codes,
            vec![
                ("beds", "duplicate_column", Some(1)),
                ("颜色", "unknown_column", Some(1)),
                ("name", "missing_column", Some(1))
            ]
        );
    }

    #[test]
    fn cells_are_trimmed_and_lose_the_export_apostrophe() {
        let row = Row { line: 2, cells: vec![("name", " '=x ".into()), ("beds", "".into())] };
        assert_eq!(row.get("name"), Some("=x"));
        assert_eq!(row.get("beds"), None);
        assert_eq!(row.get("since"), None);
    }

    #[test]
    fn cells_as_enumerations_lists_numbers_and_flags() {
        use domain::Sex;
        let row = Row {
            line: 3,
            cells: vec![
                ("sex", "女".into()),
                ("other", "MALE".into()),
                ("bad", "x".into()),
                ("langs", "普通话；闽南语、 ;英语".into()),
                ("n", "12".into()),
                ("yes", "是".into()),
            ],
        };
        let mut errors = Vec::new();
        let pair: Labelled<Sex> = (Sex::as_str, Sex::label_zh);
        assert_eq!(row.enumeration("sex", Sex::ALL, pair, &mut errors), Some(Sex::Female));
        assert_eq!(row.enumeration("other", Sex::ALL, pair, &mut errors), Some(Sex::Male));
        assert_eq!(row.enumeration("missing", Sex::ALL, pair, &mut errors), None);
        assert!(errors.is_empty());
        assert_eq!(row.enumeration("bad", Sex::ALL, pair, &mut errors), None);
        assert_eq!(row.list("langs"), vec!["普通话", "闽南语", "英语"]);
        assert_eq!(row.integer::<i32>("n", &mut errors), Some(12));
        assert_eq!(row.integer::<i32>("langs", &mut errors), None);
        assert_eq!(row.flag("yes", &mut errors), Some(true));
        assert_eq!(row.flag("n", &mut errors), None);
        let codes: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(codes, vec![("bad", "invalid_enum"), ("langs", "invalid_value"), ("n", "invalid_value")]);
    }

    #[test]
    fn pointers_become_column_names() {
        let e = FieldError::of("/licence/expires_on", ErrorCode::Required);
        assert_eq!(column_error(&e).field, "licence_expires_on");
    }
}
