//! Import of statistical division trees (`code,name,level,parent_code`), the format of the National Bureau of
//! Statistics files in `resources/divisions/`. The file is read from disk twice and never held whole in
//! memory: pass one checks every row, pass two writes level by level (parents before children), a thousand
//! nodes per statement. Re-importing a code updates it and never duplicates it.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use domain::{JurisdictionCode, Level, RuleViolation};
use persistence::DbConnection;
use persistence::jurisdictions::{self as repo, NodeRow, UpsertCounts};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};

/// All rows or none (default), or keep the good rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Any bad row rejects the whole file.
    #[default]
    Atomic,
    /// Good rows are imported, bad rows reported.
    Partial,
}

/// One rejected row.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// Line in the file (the header is line 1).
    #[schema(example = 17)]
    pub line: u64,
    /// Column.
    #[schema(example = "code")]
    pub field: String,
    /// Rule.
    #[schema(example = "jurisdiction_code_format")]
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// Mode used.
    pub mode: Mode,
    /// Data rows read.
    #[schema(example = 616)]
    pub rows: u64,
    /// New nodes.
    #[schema(example = 616)]
    pub created: u64,
    /// Nodes whose name, level or parent changed.
    pub updated: u64,
    /// Nodes already as in the file.
    pub unchanged: u64,
    /// Rows not imported.
    pub rejected: u64,
    /// The rejected rows (at most 1000 listed).
    pub errors: Vec<RowError>,
}

const MAX_LISTED_ERRORS: usize = 1000;
const BATCH: usize = 1000;

struct Row {
    line: u64,
    code: String,
    name: String,
    level: Level,
    parent: Option<String>,
}

fn key(code: &str) -> u64 {
    code.parse::<u64>().unwrap_or(0) * 16 + code.len() as u64
}

/// Errors of one row, with both languages kept for the response.
fn row_error(line: u64, field: &str, code: &str, zh: String, en: String) -> (FieldError, u64) {
    (FieldError::new(field, code, zh, en), line)
}

/// Turns the spooled upload into a UTF-8 CSV file: gunzips `.gz` content and transcodes GB18030 (as Excel
/// writes it) when the bytes are not UTF-8. Streams in 64 KiB blocks. Content that unpacks to more than `limit`
/// bytes (a gzip bomb) is refused with 413 `file_too_large` before anything is written to `out`.
pub fn normalise(raw: &Path, out: &Path, limit: u64) -> Result<(), ApiError> {
    let out = std::io::BufWriter::new(File::create(out).map_err(ApiError::internal)?);
    normalise_from(|| File::open(raw), out, limit)
}

/// [`normalise`] of bytes in memory, written to `out` (the same code: the file is only read through `open`).
pub fn normalise_bytes(raw: &[u8], out: &mut Vec<u8>, limit: u64) -> Result<(), ApiError> {
    normalise_from(|| Ok(raw), out, limit)
}

/// What [`normalise`] does, reading the input through `open`, which starts it afresh from its first byte each
/// time it is called (the input is read twice: to tell UTF-8 from GB18030 and measure it, then to convert it).
fn normalise_from<R: Read>(open: impl Fn() -> std::io::Result<R>, out: impl Write, limit: u64) -> Result<(), ApiError> {
    let mut probe = [0u8; 2];
    let mut file = open().map_err(ApiError::internal)?;
    let n = file.read(&mut probe).map_err(ApiError::internal)?;
    let gzip = n == 2 && probe == [0x1f, 0x8b];
    let (utf8, size) = is_utf8(&mut content(open().map_err(ApiError::internal)?, gzip).take(limit.saturating_add(1)))?;
    if size > limit {
        return Err(ApiError::unpacked_too_large(limit));
    }
    let mut reader = content(open().map_err(ApiError::internal)?, gzip).take(limit);
    let mut writer = LfWriter { out, cr: false };
    let mut decoder = (!utf8).then(|| encoding_rs::GB18030.new_decoder_without_bom_handling());
    let mut buf = vec![0u8; 64 * 1024];
    let mut text = String::with_capacity(128 * 1024);
    loop {
        let read = reader.read(&mut buf).map_err(unreadable)?;
        match &mut decoder {
            None => writer.write_all(&buf[..read]).map_err(ApiError::internal)?,
            Some(d) => {
                text.clear();
                text.reserve(d.max_utf8_buffer_length(read).unwrap_or(read * 3));
                let _ = d.decode_to_string(&buf[..read], &mut text, read == 0);
                writer.write_all(text.as_bytes()).map_err(ApiError::internal)?;
            }
        }
        if read == 0 {
            break;
        }
    }
    writer.finish().map_err(ApiError::internal)
}

/// The content of a file: gunzipped when it is gzip.
fn content<'a, R: Read + 'a>(file: R, gzip: bool) -> Box<dyn Read + 'a> {
    if gzip { Box::new(flate2::read::GzDecoder::new(BufReader::new(file))) } else { Box::new(BufReader::new(file)) }
}

/// Writes text with CRLF line ends turned into LF, so that line numbers count the same for files saved on
/// Windows (the CSV reader reports a record after CRLF as starting on the line before).
struct LfWriter<W: Write> {
    out: W,
    cr: bool,
}

impl<W: Write> LfWriter<W> {
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if self.cr {
                self.cr = false;
                if b != b'\n' {
                    self.out.write_all(b"\r")?;
                }
            }
            if b == b'\r' {
                self.out.write_all(&bytes[start..i])?;
                start = i + 1;
                self.cr = true;
            }
        }
        self.out.write_all(&bytes[start..])
    }

    fn finish(mut self) -> std::io::Result<()> {
        if self.cr {
            self.out.write_all(b"\r")?;
        }
        self.out.flush()
    }
}

fn unreadable(e: std::io::Error) -> ApiError {
    ApiError::bad_request("unreadable_file", format!("文件无法读取：{e}"), format!("the file cannot be read: {e}"))
}

/// Whether the whole stream is UTF-8, and its length.
fn is_utf8(reader: &mut dyn Read) -> Result<(bool, u64), ApiError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    let mut size = 0u64;
    let mut utf8 = true;
    loop {
        let read = reader.read(&mut buf).map_err(unreadable)?;
        size += read as u64;
        if read == 0 {
            return Ok((utf8 && carry.is_empty(), size));
        }
        if !utf8 {
            continue;
        }
        carry.extend_from_slice(&buf[..read]);
        match std::str::from_utf8(&carry) {
            Ok(_) => carry.clear(),
            Err(e) if e.error_len().is_none() => {
                let rest = carry.split_off(e.valid_up_to());
                carry = rest;
            }
            Err(_) => {
                utf8 = false;
                carry.clear();
            }
        }
    }
}

/// A CSV reader and the index of each named column.
type Csv = (csv::Reader<BufReader<File>>, HashMap<String, usize>);

fn open_csv(path: &Path) -> Result<Csv, ApiError> {
    let mut file = BufReader::new(File::open(path).map_err(ApiError::internal)?);
    let mut bom = [0u8; 3];
    let n = file.read(&mut bom).map_err(unreadable)?;
    let skip = if n == 3 && bom == [0xEF, 0xBB, 0xBF] { 3 } else { 0 };
    let mut inner = file.into_inner();
    inner.seek(SeekFrom::Start(skip)).map_err(ApiError::internal)?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(BufReader::new(inner));
    let headers = reader.headers().map_err(|e| header_error(&e.to_string()))?.clone();
    let columns: HashMap<String, usize> =
        headers.iter().enumerate().map(|(i, h)| (h.trim().to_ascii_lowercase(), i)).collect();
    for required in ["code", "name", "parent_code"] {
        if !columns.contains_key(required) {
            return Err(header_error(&format!("missing column {required}")));
        }
    }
    Ok((reader, columns))
}

fn header_error(detail: &str) -> ApiError {
    ApiError::field(FieldError::new(
        "header",
        "csv_header",
        format!("表头应为 code,name,level,parent_code（{detail}）"),
        format!("the header must be code,name,level,parent_code ({detail})"),
    ))
}

/// Reads and checks every row; calls `row` for the good ones.
fn scan(
    path: &Path,
    mut row: impl FnMut(Row) -> Result<(), ApiError>,
    errors: &mut Vec<(FieldError, u64)>,
    bad_codes: &mut HashSet<u64>,
) -> Result<u64, ApiError> {
    let (mut reader, columns) = open_csv(path)?;
    let get =
        |rec: &csv::StringRecord, name: &str| columns.get(name).and_then(|i| rec.get(*i)).unwrap_or("").to_owned();
    let mut rows = 0;
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut record).map_err(|e| {
            ApiError::bad_request("csv_syntax", format!("CSV 格式错误：{e}"), format!("CSV syntax error: {e}"))
        })?;
        if !more {
            break;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        rows += 1;
        let line = record.position().map_or(0, csv::Position::line);
        let before = errors.len();
        let code = match JurisdictionCode::parse(&get(&record, "code")) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(row_error(line, "code", e.code(), e.message_zh(), e.message_en()));
                None
            }
        };
        let level_text = get(&record, "level");
        let level = match (&code, level_text.is_empty()) {
            (Some(c), true) => Some(c.level()),
            (Some(c), false) => match Level::parse(&level_text) {
                Some(l) if l.code_len() == c.as_str().len() => Some(l),
                Some(l) => {
                    errors.push(row_error(
                        line,
                        "level",
                        "jurisdiction_code_level_mismatch",
                        format!("{}级区划代码应为{}位数字", l.label_zh(), l.code_len()),
                        format!("a {l} code has {} digits", l.code_len()),
                    ));
                    None
                }
                None => {
                    errors.push(row_error(
                        line,
                        "level",
                        "invalid_enum",
                        format!("level 取值应为 {}", Level::codes().join("、")),
                        format!("level must be one of {}", Level::codes().join(", ")),
                    ));
                    None
                }
            },
            (None, _) => None,
        };
        let name = get(&record, "name");
        let name_len = name.chars().count();
        if name_len == 0 || name_len > 100 || name.chars().any(char::is_control) {
            errors.push(row_error(
                line,
                "name",
                "length",
                "名称应为1至100个字符且不含控制字符".into(),
                "name must be 1 to 100 characters without control characters".into(),
            ));
        }
        let parent_text = get(&record, "parent_code");
        let parent = if parent_text.is_empty() {
            None
        } else {
            match JurisdictionCode::parse(&parent_text) {
                Ok(p) => {
                    if let Some(l) = level
                        && !l.may_be_child_of(p.level())
                    {
                        errors.push(row_error(
                            line,
                            "parent_code",
                            "parent_level",
                            format!("{}级节点不能隶属于{}级节点", l.label_zh(), p.level().label_zh()),
                            format!("a {l} cannot hang under a {}", p.level()),
                        ));
                    }
                    Some(p.as_str().to_owned())
                }
                Err(e) => {
                    errors.push(row_error(line, "parent_code", e.code(), e.message_zh(), e.message_en()));
                    None
                }
            }
        };
        match (code, level) {
            (Some(code), Some(level)) if errors.len() == before => {
                row(Row { line, code: code.as_str().to_owned(), name, level, parent })?;
            }
            (Some(code), _) => {
                bad_codes.insert(key(code.as_str()));
            }
            _ => {}
        }
    }
    Ok(rows)
}

/// Imports a UTF-8 division CSV. `scope_path` limits where nodes may land (`/` for the command line).
pub fn import(
    conn: &mut DbConnection,
    path: &Path,
    mode: Mode,
    scope_path: &str,
    actor: &str,
) -> Result<ImportReport, ApiError> {
    repo::prepare_bulk_import(conn)?;
    let mut errors: Vec<(FieldError, u64)> = Vec::new();
    let mut seen: HashSet<u64> = HashSet::new();
    let mut bad_codes: HashSet<u64> = HashSet::new();
    let mut duplicates: Vec<(FieldError, u64)> = Vec::new();
    let rows = scan(
        path,
        |row| {
            if !seen.insert(key(&row.code)) {
                duplicates.push(row_error(
                    row.line,
                    "code",
                    "duplicate_in_file",
                    format!("区划代码{}在文件中重复", row.code),
                    format!("code {} appears twice in the file", row.code),
                ));
            }
            Ok(())
        },
        &mut errors,
        &mut bad_codes,
    )?;
    errors.extend(duplicates);
    seen.extend(bad_codes.drain());
    let mut rejected_lines: HashSet<u64> = errors.iter().map(|(_, l)| *l).collect();
    if mode == Mode::Atomic && !errors.is_empty() {
        return Err(report_error(errors));
    }
    // Pass two: level by level, so every parent in the file is written before its children.
    let mut counts = UpsertCounts::default();
    for level in Level::ALL {
        let mut batch: Vec<Row> = Vec::with_capacity(BATCH);
        let mut ignored = Vec::new();
        scan(
            path,
            |row| {
                if row.level == *level && !rejected_lines.contains(&row.line) {
                    batch.push(row);
                    if batch.len() == BATCH {
                        write_batch(conn, &mut batch, &seen, scope_path, actor, &mut counts, &mut errors)?;
                    }
                }
                Ok(())
            },
            &mut ignored,
            &mut bad_codes,
        )?;
        write_batch(conn, &mut batch, &seen, scope_path, actor, &mut counts, &mut errors)?;
        rejected_lines = errors.iter().map(|(_, l)| *l).collect();
    }
    if mode == Mode::Atomic && !errors.is_empty() {
        return Err(report_error(errors));
    }
    errors.sort_by_key(|(_, line)| *line);
    Ok(ImportReport {
        mode,
        rows,
        created: counts.created,
        updated: counts.updated,
        unchanged: counts.unchanged,
        rejected: rejected_lines.len() as u64,
        errors: errors
            .into_iter()
            .take(MAX_LISTED_ERRORS)
            .map(|(e, line)| RowError { line, field: e.field, code: e.code, message: e.message.zh })
            .collect(),
    })
}

#[allow(clippy::too_many_arguments)]
fn write_batch(
    conn: &mut DbConnection,
    batch: &mut Vec<Row>,
    in_file: &HashSet<u64>,
    scope_path: &str,
    actor: &str,
    counts: &mut UpsertCounts,
    errors: &mut Vec<(FieldError, u64)>,
) -> Result<(), ApiError> {
    if batch.is_empty() {
        return Ok(());
    }
    let parents: Vec<String> =
        batch.iter().filter_map(|r| r.parent.clone()).collect::<HashSet<_>>().into_iter().collect();
    let paths = repo::paths_of(conn, &parents)?;
    let codes: Vec<String> = batch.iter().map(|r| r.code.clone()).collect();
    let current = repo::existing(conn, &codes)?;
    let mut nodes = Vec::with_capacity(batch.len());
    for row in batch.drain(..) {
        let (parent_code, path) = match &row.parent {
            Some(p) => match paths.get(p) {
                Some(pp) => (Some(p.clone()), domain::jurisdiction::child_path(Some(pp), &row.code)),
                // In the file but not in the tree: the parent row was rejected.
                None if in_file.contains(&key(p)) => {
                    errors.push(row_error(
                        row.line,
                        "parent_code",
                        "parent_rejected",
                        format!("上级区划{p}未能导入"),
                        format!("the parent {p} was not imported"),
                    ));
                    continue;
                }
                // A parent in neither the file nor the tree: the node becomes a root.
                None => (None, domain::jurisdiction::child_path(None, &row.code)),
            },
            None => (None, domain::jurisdiction::child_path(None, &row.code)),
        };
        // Both where the node lands and where it is now must lie in the caller's subtree: an import must not
        // pull another jurisdiction's node (and its retirees) into the caller's own.
        let now_outside = current.get(&row.code).is_some_and(|old| !old.path.starts_with(scope_path));
        if !path.starts_with(scope_path) || now_outside {
            errors.push(row_error(
                row.line,
                "code",
                "out_of_scope",
                "该区划不在您的管辖范围内".into(),
                "this node would lie outside your jurisdiction".into(),
            ));
            continue;
        }
        nodes.push(NodeRow { code: row.code, name: row.name, level: row.level.as_str().to_owned(), parent_code, path });
    }
    let c = repo::upsert_nodes(conn, &nodes, &current, actor)?;
    counts.created += c.created;
    counts.updated += c.updated;
    counts.unchanged += c.unchanged;
    Ok(())
}

fn report_error(mut errors: Vec<(FieldError, u64)>) -> ApiError {
    errors.sort_by_key(|(_, line)| *line);
    errors.truncate(MAX_LISTED_ERRORS);
    ApiError::validation_at(errors.into_iter().map(|(e, l)| (e, Some(l))).collect())
}

/// Imports a file from disk (command line and demo seeding), with no scope limit.
pub fn import_file(conn: &mut DbConnection, file: &Path, mode: Mode, actor: &str) -> Result<ImportReport, ApiError> {
    let dir = tempfile::tempdir().map_err(ApiError::internal)?;
    let normalised = dir.path().join("import.csv");
    normalise(file, &normalised, u64::MAX)?;
    persistence::write_tx(conn, |conn| import(conn, &normalised, mode, "/", actor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_file(raw: &[u8]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let (input, output) = (dir.path().join("raw"), dir.path().join("out"));
        std::fs::write(&input, raw).unwrap();
        normalise(&input, &output, u64::MAX).unwrap();
        std::fs::read(&output).unwrap()
    }

    #[test]
    fn files_and_bytes_normalise_alike() {
        let text = "姓名,公民身份号码\r\n张三,350203195501010016\r\nno\rcr\n";
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let want = "姓名,公民身份号码\n张三,350203195501010016\nno\rcr\n".as_bytes();
        for raw in [text.as_bytes(), &gb, &gz] {
            let mut bytes = Vec::new();
            normalise_bytes(raw, &mut bytes, u64::MAX).unwrap();
            assert_eq!(bytes, want);
            assert_eq!(from_file(raw), want);
        }
        let mut out = Vec::new();
        let err = normalise_bytes(&gz[..gz.len() / 2], &mut out, u64::MAX).unwrap_err();
        assert_eq!(err.code(), "unreadable_file");
    }

    fn run(bytes: &[u8], limit: u64) -> Result<String, String> {
        let dir = tempfile::tempdir().unwrap();
        let (raw, out) = (dir.path().join("raw"), dir.path().join("out"));
        std::fs::write(&raw, bytes).unwrap();
        normalise(&raw, &out, limit).map_err(|e| e.code().to_owned())?;
        Ok(std::fs::read_to_string(out).unwrap())
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_bombs_are_refused_before_anything_is_written() {
        let bomb = gzip(&vec![b'0'; 4 << 20]);
        assert!(bomb.len() < 64 * 1024);
        assert_eq!(run(&bomb, 1 << 20), Err("file_too_large".to_owned()));
        // At the limit exactly it is read.
        assert_eq!(run(&gzip(&vec![b'a'; 1 << 20]), 1 << 20).map(|t| t.len()), Ok(1 << 20));
    }

    #[test]
    fn gb18030_and_crlf_are_still_normalised() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("代码,名称\r\n350203,思明区\r\n");
        assert_eq!(run(&bytes, 1 << 20), Ok("代码,名称\n350203,思明区\n".to_owned()));
        assert_eq!(run(&gzip(&bytes), 1 << 20), Ok("代码,名称\n350203,思明区\n".to_owned()));
    }
}
