//! Reading an uploaded roster row by row (CSV, NDJSON or XLSX, never whole in memory) into header and row
//! events, with the rejected rows spooled to disk.

use super::*;
use domain::ErrorCode;

use crate::input::printable;

/// One rejected row: where, its cells as sent, and every broken rule.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Bad {
    pub(crate) line: u64,
    pub(crate) cells: Vec<String>,
    pub(crate) errors: Vec<(String, String, String, String)>,
}

/// The rejected rows, spooled to disk so that a file of bad rows does not fill memory.
pub(crate) struct Spool {
    pub(crate) path: PathBuf,
    pub(crate) out: BufWriter<File>,
    pub(crate) rows: i64,
}

impl Spool {
    pub(crate) fn new(dir: &Path) -> Result<Self, AppError> {
        let path = dir.join("rejected.ndjson");
        let out = BufWriter::new(File::create(&path).map_err(AppError::internal)?);
        Ok(Self { path, out, rows: 0 })
    }

    pub(crate) fn push(&mut self, line: u64, cells: Vec<String>, errors: &[FieldError]) -> Result<(), AppError> {
        let bad = Bad {
            line,
            cells,
            errors: errors
                .iter()
                .map(|e| {
                    let (zh, en) = (printable(&e.message.zh).into_owned(), printable(&e.message.en).into_owned());
                    (e.field.clone(), e.code.clone(), zh, en)
                })
                .collect(),
        };
        serde_json::to_writer(&mut self.out, &bad).map_err(AppError::internal)?;
        self.out.write_all(b"\n").map_err(AppError::internal)?;
        self.rows += 1;
        Ok(())
    }

    /// Writes the spooled rows and `refused` (merged by line) into the job's report tables.
    pub(crate) fn store(&mut self, conn: &mut DbConnection, job_id: i64, refused: Vec<Bad>) -> Result<(), AppError> {
        self.out.flush().map_err(AppError::internal)?;
        let reader = BufReader::new(File::open(&self.path).map_err(AppError::internal)?);
        let mut spooled = reader.lines().map(|l| {
            l.map_err(AppError::internal).and_then(|l| serde_json::from_str::<Bad>(&l).map_err(AppError::internal))
        });
        let mut refused = refused.into_iter().peekable();
        let mut next_spooled = spooled.next().transpose()?;
        let (mut errors, mut rows) = (Vec::new(), Vec::new());
        let mut seq = 0i64;
        loop {
            let take_refused = match (&next_spooled, refused.peek()) {
                (None, None) => break,
                (Some(s), Some(r)) => r.line < s.line,
                (None, Some(_)) => true,
                (Some(_), None) => false,
            };
            let bad = if take_refused {
                match refused.next() {
                    Some(b) => b,
                    None => break,
                }
            } else {
                let Some(b) = next_spooled.take() else { break };
                next_spooled = spooled.next().transpose()?;
                b
            };
            let line = bad.line as i64;
            rows.push(RejectedRow {
                job_id,
                line,
                cells: serde_json::to_string(&bad.cells).map_err(AppError::internal)?,
            });
            for (field, code, zh, en) in bad.errors {
                errors.push(RowErrorRecord { job_id, seq, line, field, code, message_zh: zh, message_en: en });
                seq += 1;
            }
            if rows.len() >= 2000 {
                jobs::add_errors(conn, &errors, &rows)?;
                errors.clear();
                rows.clear();
            }
        }
        jobs::add_errors(conn, &errors, &rows)?;
        Ok(())
    }
}

/// How the file's columns map to ours.
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) names: Vec<String>,
    pub(crate) columns: Vec<Option<&'static str>>,
}

impl Header {
    /// A row's cells paired with their columns (ignored columns left out), or why the row is unusable as a
    /// whole: problems found while reading it, or a width other than the header's.
    pub(crate) fn cells(&self, row: &SourceRow) -> Result<Vec<(&'static str, String)>, Vec<FieldError>> {
        if !row.problems.is_empty() {
            return Err(row.problems.clone());
        }
        if row.cells.len() != self.names.len() {
            return Err(vec![FieldError::with(
                "row",
                ErrorCode::ColumnCount,
                format!("该行有{}列，表头有{}列", row.cells.len(), self.names.len()),
                format!("the row has {} cells, the header {}", row.cells.len(), self.names.len()),
            )]);
        }
        // A cell our export neutralised against spreadsheet formulas (`'=…`) reads back as it was stored.
        Ok(self
            .columns
            .iter()
            .zip(&row.cells)
            .filter_map(|(c, v)| c.map(|c| (c, crate::spreadsheet::restore(v).to_owned())))
            .collect())
    }
}

pub(crate) fn header_of(names: Vec<String>, spec: &retiree_file::Spec) -> Result<Header, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut columns = Vec::new();
    let mut seen = HashSet::new();
    for name in &names {
        if retiree_file::is_report_column(name) || name.trim().is_empty() {
            columns.push(None);
            continue;
        }
        match (spec.column_of)(name) {
            Some(c) if !seen.insert(c) => {
                errors.push(FieldError::with(
                    "header",
                    ErrorCode::DuplicateColumn,
                    format!("列“{}”重复", printable(name)),
                    format!("column '{}' appears twice", printable(name)),
                ));
                columns.push(None);
            }
            Some(c) => columns.push(Some(c)),
            None => {
                errors.push(FieldError::with(
                    "header",
                    ErrorCode::UnknownColumn,
                    format!("无法识别的列“{}”，可用的列：{}", printable(name.trim()), spec.columns.join(", ")),
                    format!(
                        "unknown column '{}'; the columns are: {}",
                        printable(name.trim()),
                        spec.columns.join(", ")
                    ),
                ));
                columns.push(None);
            }
        }
    }
    for required in spec.required {
        if !seen.contains(required) {
            errors.push(FieldError::with(
                "header",
                ErrorCode::MissingColumn,
                format!("缺少必需的列 {required}"),
                format!("the required column {required} is missing"),
            ));
        }
    }
    if errors.is_empty() { Ok(Header { names, columns }) } else { Err(errors) }
}

/// A source row: its line, its cells in header order, and problems found while reading it.
pub(crate) struct SourceRow {
    pub(crate) line: u64,
    pub(crate) cells: Vec<String>,
    pub(crate) problems: Vec<FieldError>,
}

/// What reading produces.
pub(crate) enum Event {
    Header(Vec<String>),
    Row(SourceRow),
}

/// Why a job stopped before merging.
pub(crate) enum Stop {
    /// The header is unusable: the file is refused whole.
    Header(Vec<FieldError>),
    /// Something else.
    Failed(AppError),
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        Stop::Failed(e)
    }
}

/// A resident ID as a number, for the duplicate check (17 digits and the check character fit in 64 bits).
pub(crate) fn id_key(id: &str) -> u64 {
    id.bytes().fold(0u64, |acc, b| acc.wrapping_mul(11).wrapping_add(if b == b'X' { 10 } else { u64::from(b - b'0') }))
}

/// The column a JSON pointer of the create checks points at (`/special_groups/0/from` → `special_groups`).
pub(crate) fn column_of_pointer(pointer: &str) -> String {
    pointer.trim_start_matches('/').split('/').next().unwrap_or_default().to_owned()
}

/// Reads the file, calling `sink` with the header, then each row. CSV and NDJSON are first normalised to UTF-8
/// on disk (gunzip, GB18030); XLSX is read cell by cell from its first sheet.
pub(crate) fn read_rows(
    spec: &retiree_file::Spec,
    format: Format,
    raw: &Path,
    unpacked_limit: u64,
    dir: &Path,
    live: &Live,
    sink: &mut dyn FnMut(Event) -> Result<(), Stop>,
) -> Result<(), Stop> {
    match format {
        Format::Xlsx => read_xlsx(spec, raw, live, sink),
        Format::Csv | Format::Ndjson => {
            let text = dir.join("normalised");
            crate::files::normalise(raw, &text, unpacked_limit).map_err(|e| match e.code() {
                "unreadable_file" => unreadable(e.detail().zh.clone()),
                "file_too_large" => Stop::Header(vec![FieldError::with(
                    "file",
                    ErrorCode::FileTooLarge,
                    format!("文件解压后超过上限{unpacked_limit}字节"),
                    format!("the file unpacks to more than the limit of {unpacked_limit} bytes"),
                )]),
                _ => Stop::Failed(e),
            })?;
            let size = std::fs::metadata(&text).map(|m| m.len() as i64).unwrap_or(0);
            live.total.store(size, Ordering::Relaxed);
            let file = File::open(&text).map_err(AppError::internal)?;
            read_text(spec, format, BufReader::new(file), live, sink)
        }
    }
}

/// Reads normalised (UTF-8) CSV or NDJSON text: NDJSON when the format says so or the text starts with `{`.
pub(crate) fn read_text<R: BufRead>(
    spec: &retiree_file::Spec,
    format: Format,
    mut text: R,
    live: &Live,
    sink: &mut dyn FnMut(Event) -> Result<(), Stop>,
) -> Result<(), Stop> {
    let start = text.fill_buf().map_err(AppError::internal)?;
    if format == Format::Ndjson || looks_like_ndjson(&start[..start.len().min(8)]) {
        read_ndjson(spec, text, live, sink)
    } else {
        read_csv(text, live, sink)
    }
}

/// Whether the first bytes of a file, past white space and a byte order mark, are `{`.
pub(crate) fn looks_like_ndjson(first: &[u8]) -> bool {
    first.iter().find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF) == Some(&b'{')
}

pub(crate) fn unreadable(e: impl std::fmt::Display) -> Stop {
    Stop::Header(vec![FieldError::with(
        "file",
        ErrorCode::UnreadableFile,
        format!("文件无法读取：{e}"),
        format!("the file cannot be read: {e}"),
    )])
}

pub(crate) fn read_csv<R: std::io::Read>(
    text: R,
    live: &Live,
    sink: &mut dyn FnMut(Event) -> Result<(), Stop>,
) -> Result<(), Stop> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text);
    let mut record = csv::StringRecord::new();
    let mut header_seen = false;
    loop {
        let line = reader.position().line();
        let more = match reader.read_record(&mut record) {
            Ok(more) => more,
            Err(e) => {
                if !header_seen {
                    return Err(unreadable(e));
                }
                // A malformed record (bad quoting, invalid UTF-8): that row is rejected, reading goes on.
                let row = SourceRow {
                    line,
                    cells: Vec::new(),
                    problems: vec![FieldError::with(
                        "row",
                        ErrorCode::MalformedRow,
                        format!("该行无法解析：{e}"),
                        format!("the row cannot be parsed: {e}"),
                    )],
                };
                sink(Event::Row(row))?;
                continue;
            }
        };
        if !more {
            break;
        }
        live.done.store(reader.position().byte() as i64, Ordering::Relaxed);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if !header_seen {
            header_seen = true;
            sink(Event::Header(cells))?;
        } else {
            sink(Event::Row(SourceRow {
                line: record.position().map_or(line, |p| p.line()),
                cells,
                problems: vec![],
            }))?;
        }
    }
    Ok(())
}

pub(crate) fn json_cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|g| match g {
                serde_json::Value::Object(o) => {
                    let get = |k: &str| o.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                    let to = get("to");
                    if to.is_empty() {
                        format!("{}:{}", get("group"), get("from"))
                    } else {
                        format!("{}:{}:{}", get("group"), get("from"), to)
                    }
                }
                other => json_cell(other),
            })
            .collect::<Vec<_>>()
            .join(";"),
        other => other.to_string(),
    }
}

pub(crate) fn read_ndjson<R: BufRead>(
    spec: &retiree_file::Spec,
    mut reader: R,
    live: &Live,
    sink: &mut dyn FnMut(Event) -> Result<(), Stop>,
) -> Result<(), Stop> {
    let names: Vec<String> = spec.columns.iter().map(|c| (*c).to_owned()).collect();
    sink(Event::Header(names))?;
    let mut buf = Vec::new();
    let (mut line, mut done) = (0u64, 0i64);
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(AppError::internal)?;
        if n == 0 {
            break;
        }
        line += 1;
        done += n as i64;
        live.done.store(done, Ordering::Relaxed);
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim().trim_start_matches('\u{feff}');
        if text.is_empty() {
            continue;
        }
        let mut cells = vec![String::new(); spec.columns.len()];
        let mut problems = Vec::new();
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
            Ok(map) => {
                for (key, value) in &map {
                    match spec.columns.iter().position(|c| c == key) {
                        Some(i) => cells[i] = json_cell(value),
                        None => problems.push(FieldError::with(
                            key.as_str(),
                            ErrorCode::UnknownField,
                            format!("未知字段 {key}"),
                            format!("unknown field {key}"),
                        )),
                    }
                }
            }
            Err(e) => problems.push(FieldError::with(
                "row",
                ErrorCode::InvalidJson,
                format!("该行不是 JSON 对象：{e}"),
                format!("the line is not a JSON object: {e}"),
            )),
        }
        if !problems.is_empty() {
            cells = vec![text.to_owned()];
        }
        sink(Event::Row(SourceRow { line, cells, problems }))?;
    }
    Ok(())
}

pub(crate) use crate::spreadsheet::excel_date;

pub(crate) fn xlsx_cell(value: &calamine::DataRef<'_>, column: Option<&str>, problems: &mut Vec<FieldError>) -> String {
    use calamine::DataRef as D;
    let numeric_id = |problems: &mut Vec<FieldError>| {
        problems.push(FieldError::with(
            "id_number",
            ErrorCode::IdNumberAsNumber,
            "公民身份号码列被 Excel 存成了数字（会丢失末位），请将该列设为文本格式后重新导出",
            "the resident ID column is stored as a number (Excel drops digits); format the column as text",
        ));
    };
    match value {
        D::String(s) => s.clone(),
        D::SharedString(s) => (*s).to_owned(),
        D::Int(i) => {
            if column == Some("id_number") {
                numeric_id(problems);
            }
            i.to_string()
        }
        D::Float(f) => {
            if column == Some("id_number") {
                numeric_id(problems);
            }
            if f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", *f as i64) } else { f.to_string() }
        }
        D::Bool(b) => b.to_string(),
        D::DateTime(d) => excel_date(d.as_f64()).unwrap_or_else(|| d.as_f64().to_string()),
        D::DateTimeIso(s) => s.chars().take(10).collect(),
        D::DurationIso(s) => s.clone(),
        D::Error(e) => {
            problems.push(FieldError::with(
                column.unwrap_or("row"),
                ErrorCode::CellError,
                format!("单元格含有 Excel 错误值 {e}"),
                format!("the cell holds the Excel error {e}"),
            ));
            String::new()
        }
        D::Empty => String::new(),
    }
}

pub(crate) fn read_xlsx(
    spec: &retiree_file::Spec,
    path: &Path,
    live: &Live,
    sink: &mut dyn FnMut(Event) -> Result<(), Stop>,
) -> Result<(), Stop> {
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(path).map_err(unreadable)?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(unreadable("no worksheet"));
    };
    let mut cells_reader = workbook.worksheet_cells_reader(&sheet).map_err(unreadable)?;
    let dims = cells_reader.dimensions();
    live.total.store(i64::from(dims.end.0) + 1, Ordering::Relaxed);
    let mut columns: Vec<Option<&'static str>> = Vec::new();
    let mut header_seen = false;
    let mut current: Option<u32> = None;
    let mut cells: Vec<String> = Vec::new();
    let mut problems: Vec<FieldError> = Vec::new();
    let mut width = 0usize;
    let mut emit = |row: u32,
                    cells: &mut Vec<String>,
                    problems: &mut Vec<FieldError>,
                    header_seen: &mut bool,
                    columns: &mut Vec<Option<&'static str>>,
                    width: &mut usize|
     -> Result<(), Stop> {
        live.done.store(i64::from(row) + 1, Ordering::Relaxed);
        if cells.iter().all(|c| c.trim().is_empty()) && problems.is_empty() {
            cells.clear();
            return Ok(());
        }
        if !*header_seen {
            *header_seen = true;
            while cells.last().is_some_and(|c| c.trim().is_empty()) {
                cells.pop();
            }
            *width = cells.len();
            *columns = cells.iter().map(|n| (spec.column_of)(n)).collect();
            sink(Event::Header(std::mem::take(cells)))?;
        } else {
            cells.resize(*width, String::new());
            let row = SourceRow {
                line: u64::from(row) + 1,
                cells: std::mem::take(cells),
                problems: std::mem::take(problems),
            };
            sink(Event::Row(row))?;
        }
        Ok(())
    };
    loop {
        let cell = match cells_reader.next_cell() {
            Ok(c) => c,
            Err(e) => return Err(unreadable(e)),
        };
        let Some(cell) = cell else { break };
        let (row, col) = cell.get_position();
        if current != Some(row) {
            if let Some(prev) = current {
                emit(prev, &mut cells, &mut problems, &mut header_seen, &mut columns, &mut width)?;
            }
            current = Some(row);
        }
        let col = col as usize;
        if header_seen && col >= width {
            continue;
        }
        if cells.len() <= col {
            cells.resize(col + 1, String::new());
        }
        let column = if header_seen { columns.get(col).copied().flatten() } else { None };
        cells[col] = xlsx_cell(cell.get_value(), column, &mut problems);
    }
    if let Some(prev) = current {
        emit(prev, &mut cells, &mut problems, &mut header_seen, &mut columns, &mut width)?;
    }
    Ok(())
}
