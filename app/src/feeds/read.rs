//! Reading and checking a batch's lines (NDJSON or CSV): every line is checked before anything is written.

use super::*;
use domain::ErrorCode;

/// The fields of one line as sent.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    pub(crate) id_number: Option<String>,
    pub(crate) date: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) reference: Option<String>,
}

pub(crate) const FIELDS: [&str; 4] = ["id_number", "date", "source", "reference"];

/// Chinese headers accepted for each CSV column.
pub(crate) const ALIASES: [(&str, &[&str]); 4] = [
    ("id_number", &["公民身份号码", "身份证号码", "身份证号"]),
    ("date", &["日期", "记录日期", "发生日期"]),
    ("source", &["来源", "数据来源", "来源系统"]),
    ("reference", &["编号", "记录编号", "来源编号"]),
];

/// The column a CSV header names (English case-insensitively, or a Chinese alias).
pub(crate) fn column_of(header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('\u{feff}').trim();
    let lower = h.to_ascii_lowercase();
    FIELDS
        .iter()
        .copied()
        .find(|c| *c == lower)
        .or_else(|| ALIASES.iter().find(|(_, names)| names.contains(&h)).map(|(c, _)| *c))
}

impl Fields {
    pub(crate) fn set(&mut self, column: &str, value: Option<String>) {
        let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        match column {
            "id_number" => self.id_number = value,
            "date" => self.date = value,
            "source" => self.source = value,
            _ => self.reference = value,
        }
    }
}

pub(crate) fn required(field: &str) -> FieldError {
    FieldError::with(field, ErrorCode::Required, "必填字段缺失", format!("{field} is required"))
}

pub(crate) fn check_text(field: &str, value: &str, errors: &mut Vec<FieldError>) {
    if value.chars().count() > MAX_TEXT {
        errors.push(FieldError::with(
            field,
            ErrorCode::Length,
            format!("最多{MAX_TEXT}个字符"),
            format!("must be at most {MAX_TEXT} characters"),
        ));
    } else if value.chars().any(char::is_control) {
        errors.push(FieldError::of(field, ErrorCode::ControlCharacters));
    }
}

/// Checks one line's fields; the record to stage, or the broken rules. A date after `today` is no error: the
/// record is staged refused (`date_in_future`) and reported per line.
pub(crate) fn check(line: u64, fields: Fields, today: Date) -> Result<StagedRecord, Vec<FieldError>> {
    let mut errors = Vec::new();
    let id = match fields.id_number.as_deref() {
        None => {
            errors.push(required("id_number"));
            None
        }
        Some(text) => match domain::IdNumber::parse(text, today) {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push(FieldError::rule("id_number", &e));
                None
            }
        },
    };
    let date = match fields.date.as_deref() {
        None => {
            errors.push(required("date"));
            None
        }
        Some(text) => crate::input::parse_date("date", text).map_err(|e| errors.push(e)).ok(),
    };
    match fields.source.as_deref() {
        None => errors.push(required("source")),
        Some(text) => check_text("source", text, &mut errors),
    }
    if let Some(text) = fields.reference.as_deref() {
        check_text("reference", text, &mut errors);
    }
    match (id, date, fields.source) {
        (Some(id), Some(date), Some(source)) if errors.is_empty() => Ok(StagedRecord {
            line: i64::try_from(line).unwrap_or(i64::MAX),
            masked: domain::mask::id_number(id.as_str()),
            id_number: id.as_str().to_owned(),
            record_date: date,
            source,
            reference: fields.reference,
            rejection: (date > today).then(|| repo::DATE_IN_FUTURE.to_owned()),
        }),
        _ => Err(errors),
    }
}

/// What reading a body found.
#[derive(Debug, Default)]
pub struct Read {
    /// Records read (blank lines do not count).
    pub records: i64,
    /// Records refused before matching.
    pub rejected: i64,
    /// Line errors (at most [`MAX_LISTED`]).
    pub errors: Vec<(FieldError, Option<u64>)>,
    /// Every line error, listed or not.
    pub error_count: u64,
}

impl Read {
    pub(crate) fn error(&mut self, line: u64, error: FieldError) {
        self.error_count += 1;
        if (self.errors.len() as i64) < MAX_LISTED {
            self.errors.push((error, Some(line)));
        }
    }
}

/// Reads a UTF-8 body (normalised) as NDJSON or CSV, checking every line and handing the good records to
/// `sink` in batches of 5,000 while no line has failed.
pub(crate) fn read<R: BufRead>(
    mut text: R,
    ndjson: bool,
    today: Date,
    sink: &mut dyn FnMut(&[StagedRecord]) -> Result<(), AppError>,
) -> Result<Read, AppError> {
    let mut read = Read::default();
    let mut batch: Vec<StagedRecord> = Vec::with_capacity(5000);
    let mut take =
        |read: &mut Read, line: u64, fields: Fields, batch: &mut Vec<StagedRecord>| -> Result<(), AppError> {
            read.records += 1;
            match check(line, fields, today) {
                Ok(record) => {
                    if record.rejection.is_some() {
                        read.rejected += 1;
                    }
                    if read.error_count == 0 {
                        batch.push(record);
                        if batch.len() >= 5000 {
                            sink(batch)?;
                            batch.clear();
                        }
                    }
                }
                Err(errors) => {
                    for e in errors {
                        read.error(line, e);
                    }
                }
            }
            Ok(())
        };
    if ndjson {
        let reader = &mut text;
        let mut buf = Vec::new();
        let mut line = 0u64;
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf).map_err(AppError::internal)? == 0 {
                break;
            }
            line += 1;
            let text = String::from_utf8_lossy(&buf);
            let text = text.trim_start_matches('\u{feff}').trim();
            if text.is_empty() {
                continue;
            }
            match ndjson_fields(text) {
                Ok(fields) => take(&mut read, line, fields, &mut batch)?,
                Err(errors) => {
                    read.records += 1;
                    for e in errors {
                        read.error(line, e);
                    }
                }
            }
        }
    } else {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text);
        let mut record = csv::StringRecord::new();
        let mut header: Option<Vec<Option<&'static str>>> = None;
        loop {
            let line = reader.position().line();
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let e = FieldError::with(
                        "row",
                        ErrorCode::MalformedRow,
                        format!("该行无法解析：{e}"),
                        format!("the row cannot be parsed: {e}"),
                    );
                    if header.is_none() {
                        return Err(AppError::validation_at(vec![(e, Some(line))]));
                    }
                    read.records += 1;
                    read.error(line, e);
                    continue;
                }
            }
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let line = record.position().map_or(line, csv::Position::line);
            let Some(columns) = &header else {
                header = Some(csv_header(&record, line)?);
                continue;
            };
            if record.len() != columns.len() {
                read.records += 1;
                read.error(
                    line,
                    FieldError::with(
                        "row",
                        ErrorCode::ColumnCount,
                        format!("该行有{}列，表头有{}列", record.len(), columns.len()),
                        format!("the row has {} cells, the header {}", record.len(), columns.len()),
                    ),
                );
                continue;
            }
            let mut fields = Fields::default();
            for (column, cell) in columns.iter().zip(record.iter()) {
                if let Some(column) = column {
                    fields.set(column, Some(cell.to_owned()));
                }
            }
            take(&mut read, line, fields, &mut batch)?;
        }
        if header.is_none() {
            return Err(AppError::field(FieldError::with(
                "header",
                ErrorCode::MissingHeader,
                "CSV 缺少表头行（id_number,date,source,reference）",
                "the CSV has no header row (id_number,date,source,reference)",
            )));
        }
    }
    if read.error_count == 0 && !batch.is_empty() {
        sink(&batch)?;
    }
    Ok(read)
}

/// The columns of a CSV header, or 422 naming unknown, repeated and missing columns.
pub(crate) fn csv_header(record: &csv::StringRecord, line: u64) -> Result<Vec<Option<&'static str>>, AppError> {
    let mut errors = Vec::new();
    let mut columns = Vec::new();
    for name in record.iter() {
        match column_of(name) {
            Some(c) if columns.contains(&Some(c)) => errors.push(FieldError::with(
                "header",
                ErrorCode::DuplicateColumn,
                format!("列“{}”重复", name.trim()),
                format!("column '{}' appears twice", name.trim()),
            )),
            Some(c) => columns.push(Some(c)),
            None if name.trim().is_empty() => columns.push(None),
            None => errors.push(FieldError::with(
                "header",
                ErrorCode::UnknownColumn,
                format!("无法识别的列“{}”，可用的列：{}", name.trim(), FIELDS.join(", ")),
                format!("unknown column '{}'; the columns are: {}", name.trim(), FIELDS.join(", ")),
            )),
        }
    }
    for required in ["id_number", "date", "source"] {
        if !columns.contains(&Some(required)) {
            errors.push(FieldError::with(
                "header",
                ErrorCode::MissingColumn,
                format!("缺少必需的列 {required}"),
                format!("the required column {required} is missing"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(columns)
    } else {
        Err(AppError::validation_at(errors.into_iter().map(|e| (e, Some(line))).collect()))
    }
}

/// The fields of one NDJSON line: an object with string values (`reference` may be null).
pub(crate) fn ndjson_fields(text: &str) -> Result<Fields, Vec<FieldError>> {
    let map = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text).map_err(|e| {
        vec![FieldError::with(
            "row",
            ErrorCode::InvalidJson,
            format!("该行不是 JSON 对象：{e}"),
            format!("the line is not a JSON object: {e}"),
        )]
    })?;
    let mut fields = Fields::default();
    let mut errors = Vec::new();
    for (key, value) in map {
        let Some(column) = FIELDS.iter().copied().find(|c| *c == key) else {
            errors.push(FieldError::with(
                key.as_str(),
                ErrorCode::UnknownField,
                format!("未知字段 {key}"),
                format!("unknown field {key}"),
            ));
            continue;
        };
        match value {
            serde_json::Value::String(s) => fields.set(column, Some(s)),
            serde_json::Value::Null => fields.set(column, None),
            _ => errors.push(FieldError::with(
                column,
                ErrorCode::InvalidType,
                "应为字符串",
                format!("{column} must be a string"),
            )),
        }
    }
    if errors.is_empty() { Ok(fields) } else { Err(errors) }
}
