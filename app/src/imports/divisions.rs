//! Import of statistical division trees (`code,name,level,parent_code`), the format of the National Bureau of
//! Statistics files in `resources/divisions/`. The file is read from disk twice and never held whole in
//! memory: pass one checks every row, pass two writes level by level (parents before children), a thousand
//! nodes per statement. Re-importing a code updates it and never duplicates it.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use domain::{ErrorCode, JurisdictionCode, Level, RuleViolation};
use persistence::DbConnection;
use persistence::division_staging::{self as staging, RefusalKind, StagedNode};
use persistence::jurisdictions::{self as repo, NodeRow, UpsertCounts};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Mode, RowError};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::files::{normalise, unreadable};

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

/// A CSV reader and the index of each named column.
type Csv = (csv::Reader<BufReader<File>>, HashMap<String, usize>);

fn open_csv(path: &Path) -> Result<Csv, AppError> {
    let mut file = BufReader::new(File::open(path).map_err(AppError::internal)?);
    let mut bom = [0u8; 3];
    let n = file.read(&mut bom).map_err(unreadable)?;
    let skip = if n == 3 && bom == [0xEF, 0xBB, 0xBF] { 3 } else { 0 };
    let mut inner = file.into_inner();
    inner.seek(SeekFrom::Start(skip)).map_err(AppError::internal)?;
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

fn header_error(detail: &str) -> AppError {
    AppError::field(FieldError::with(
        "header",
        ErrorCode::CsvHeader,
        format!("表头应为 code,name,level,parent_code（{detail}）"),
        format!("the header must be code,name,level,parent_code ({detail})"),
    ))
}

/// Reads and checks every row; calls `row` for the good ones.
fn scan(
    path: &Path,
    mut row: impl FnMut(Row) -> Result<(), AppError>,
    errors: &mut Vec<(FieldError, u64)>,
    bad_codes: &mut HashSet<u64>,
) -> Result<u64, AppError> {
    let (mut reader, columns) = open_csv(path)?;
    let get =
        |rec: &csv::StringRecord, name: &str| columns.get(name).and_then(|i| rec.get(*i)).unwrap_or("").to_owned();
    let mut rows = 0;
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut record).map_err(|e| {
            AppError::with(ErrorCode::CsvSyntax, format!("CSV 格式错误：{e}"), format!("CSV syntax error: {e}"))
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
) -> Result<ImportReport, AppError> {
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
    let staged = staged_writes(conn);
    if staged {
        write_staged(conn, path, &seen, scope_path, actor, &mut counts, &mut errors)?;
        rejected_lines = errors.iter().map(|(_, l)| *l).collect();
    }
    for level in Level::ALL.iter().filter(|_| !staged) {
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
    if counts.created + counts.updated > 0 {
        repo::refresh_statistics(conn)?;
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

/// Whether pass two stages the file and writes it set-based (`persistence::division_staging`): on PostgreSQL,
/// through `COPY`. SQLite keeps the batches of look-ups and multi-row inserts.
fn staged_writes(conn: &DbConnection) -> bool {
    matches!(conn, DbConnection::Pg(_))
}

/// Nodes staged per `COPY`.
const STAGE_CHUNK: usize = 20_000;

/// Pass two, set-based: stages the accepted rows (and the codes of the file's refused rows, whose children are
/// refused), then writes each level with a few statements. Same rows, counts, history and refusals as
/// [`write_batch`].
fn write_staged(
    conn: &mut DbConnection,
    path: &Path,
    seen: &HashSet<u64>,
    scope_path: &str,
    actor: &str,
    counts: &mut UpsertCounts,
    errors: &mut Vec<(FieldError, u64)>,
) -> Result<(), AppError> {
    let rejected: HashSet<u64> = errors.iter().map(|(_, l)| *l).collect();
    staging::begin(conn)?;
    let mut accepted: HashSet<u64> = HashSet::with_capacity(seen.len());
    let mut chunk: Vec<StagedNode> = Vec::with_capacity(STAGE_CHUNK);
    let mut ignored = Vec::new();
    let mut bad_codes = HashSet::new();
    scan(
        path,
        |row| {
            if !rejected.contains(&row.line) {
                accepted.insert(key(&row.code));
                chunk.push(StagedNode {
                    line: i64::try_from(row.line).map_err(AppError::internal)?,
                    code: row.code,
                    name: row.name,
                    level: row.level.as_str().to_owned(),
                    parent_code: row.parent,
                    accepted: true,
                });
                if chunk.len() == STAGE_CHUNK {
                    staging::stage(conn, &chunk)?;
                    chunk.clear();
                }
            }
            Ok(())
        },
        &mut ignored,
        &mut bad_codes,
    )?;
    // Codes in the file whose every row was refused: rebuilt from their keys (digits, zero-padded to their length).
    for k in seen.difference(&accepted) {
        let width = usize::try_from(k % 16).map_err(AppError::internal)?;
        chunk.push(StagedNode {
            line: 0,
            code: format!("{:0width$}", k / 16),
            name: String::new(),
            level: String::new(),
            parent_code: None,
            accepted: false,
        });
    }
    staging::stage(conn, &chunk)?;
    drop(chunk);
    staging::staged(conn)?;
    let now = persistence::now_utc();
    for level in Level::ALL {
        let (c, refusals) = staging::write_level(conn, level.as_str(), scope_path, actor, now)?;
        counts.created += c.created;
        counts.updated += c.updated;
        counts.unchanged += c.unchanged;
        for r in refusals {
            let line = u64::try_from(r.line).map_err(AppError::internal)?;
            errors.push(match r.kind()? {
                RefusalKind::ParentRejected => {
                    let p = r.file_parent.unwrap_or_default();
                    row_error(
                        line,
                        "parent_code",
                        "parent_rejected",
                        format!("上级区划{p}未能导入"),
                        format!("the parent {p} was not imported"),
                    )
                }
                RefusalKind::OutOfScope => row_error(
                    line,
                    "code",
                    "out_of_scope",
                    "该区划不在您的管辖范围内".into(),
                    "this node would lie outside your jurisdiction".into(),
                ),
            });
        }
    }
    staging::end(conn)?;
    Ok(())
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
) -> Result<(), AppError> {
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

fn report_error(mut errors: Vec<(FieldError, u64)>) -> AppError {
    errors.sort_by_key(|(_, line)| *line);
    errors.truncate(MAX_LISTED_ERRORS);
    AppError::validation_at(errors.into_iter().map(|(e, l)| (e, Some(l))).collect())
}

/// Imports an uploaded division file (UTF-8, UTF-8 with BOM or GB18030; gzip unpacked to at most
/// `unpacked_limit` bytes, normalised to UTF-8 in `dir`) for the caller: every node must land in the caller's
/// subtree. Writes the audit entry (`jurisdiction.import`) with the counts.
pub fn import_upload(
    conn: &mut DbConnection,
    caller: &Caller,
    raw: &Path,
    dir: &Path,
    mode: Mode,
    unpacked_limit: u64,
) -> Result<ImportReport, AppError> {
    let normalised = dir.join("import.csv");
    normalise(raw, &normalised, unpacked_limit)?;
    let report = import(conn, &normalised, mode, &caller.scope_path, &caller.login)?;
    let mut entry = caller.audit("jurisdiction.import", "jurisdiction_import", "", &caller.scope_path);
    entry.object_id = None;
    entry.detail = Some(
        serde_json::json!({"mode": report.mode, "rows": report.rows, "created": report.created,
            "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(report)
}

/// Imports a file from disk (command line and demo seeding), with no scope limit.
pub fn import_file(conn: &mut DbConnection, file: &Path, mode: Mode, actor: &str) -> Result<ImportReport, AppError> {
    let dir = tempfile::tempdir().map_err(AppError::internal)?;
    let normalised = dir.path().join("import.csv");
    normalise(file, &normalised, u64::MAX)?;
    persistence::write_tx(conn, |conn| import(conn, &normalised, mode, "/", actor))
}
