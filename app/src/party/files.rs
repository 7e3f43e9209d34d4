//! The roster of party members' relations as a file, and its import (issue 25: "imports where cities already hold
//! lists … party members"). The export lists the open relations of the people of the caller's subtree with Chinese
//! headers (or codes); the import reads the same columns (export-only ones such as `relation_id`, `name`,
//! `community` and `status` are read and ignored) plus `id_number`, and sends every row through
//! [`super::relations::establish`]: the person by 人员编号 or resident ID in the caller's subtree, the branch by
//! 党支部编号 or by its name within the subtree.

pub use crate::imports::register::Upload;

use domain::{ErrorCode, Permission};
use persistence::party as repo;
use persistence::retirees as people;
use persistence::{DbConnection, audit};
use time::Date;

use super::relations::{self, RelationAsked};
use super::require_read;
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::exports::table::{self, Column, File, Table};
use crate::exports::{Encoding, Format, Labels};
use crate::imports::Mode;
use crate::imports::register::{self, Outcome, RegisterReport, Row};
use crate::input::parse_date;

/// Rows read per page while the file is built.
const PAGE: i64 = 2000;

/// The columns of the roster.
pub const COLUMNS: [Column; 9] = [
    Column::number("relation_id", "组织关系编号"),
    Column::number("retiree_id", "人员编号"),
    Column::text("name", "姓名"),
    Column::text("community", "所属社区"),
    Column::number("branch_id", "党支部编号"),
    Column::text("branch", "党支部名称"),
    Column::date("joined_on", "转入日期"),
    Column::text("came_from", "转入来源"),
    Column::text("status", "组织关系状态"),
];

/// The column the import reads besides the roster's: the resident ID (never exported).
pub const ID_NUMBER: Column = Column::text("id_number", "公民身份号码");

/// What to do with a row naming a person whose relation is in the service already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnConflict {
    /// The row is refused (409 `party_relation_open` on the row).
    #[default]
    Error,
    /// The row is skipped and counted.
    Skip,
}

impl OnConflict {
    /// `error` or `skip`.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "error" => Some(Self::Error),
            "skip" => Some(Self::Skip),
            _ => None,
        }
    }
}

/// The open relations of the people of the caller's subtree as a file (`党员组织关系`), by relation; audited
/// `party.export`.
pub fn export(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    format: Format,
    encoding: Encoding,
    labels: Labels,
) -> Result<Audited<File>, AppError> {
    require_read(caller)?;
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = repo::roster(conn, &caller.scope_path, after, PAGE)?;
        after = page.last().map(|r| r.relation.id);
        rows.extend(page.iter().map(|r| {
            let rel = &r.relation;
            vec![
                rel.id.to_string(),
                rel.retiree_id.to_string(),
                r.name.clone(),
                r.community_code.clone(),
                rel.branch_id.to_string(),
                r.branch_name.clone(),
                rel.joined_on.to_string(),
                rel.came_from.clone().unwrap_or_default(),
                table::label(rel.status.as_str(), rel.status.label_zh(), labels),
            ]
        }));
        if i64::try_from(page.len()).unwrap_or(i64::MAX) < PAGE {
            break;
        }
    }
    let count = rows.len();
    let stamp = format!("{:04}{:02}{:02}", today.year(), u8::from(today.month()), today.day());
    let file = table::render(
        &[Table::new("党员组织关系", COLUMNS.to_vec(), rows)],
        format,
        encoding,
        labels,
        &format!("party-members-{stamp}"),
    )?;
    let mut entry = caller.audit("party.export", "party_relation", "list", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"rows": count, "format": format.as_str()}).to_string());
    Ok(Audited::new(file, entry))
}

/// One row: the person, the branch, the day and the former organisation.
fn import_row(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    row: &Row,
    on_conflict: OnConflict,
) -> Result<Outcome, AppError> {
    let mut errors = Vec::new();
    let retiree_id = row.integer::<i64>("retiree_id", &mut errors);
    let branch_id = row.integer::<i64>("branch_id", &mut errors);
    let joined_on = match row.get("joined_on").map(|t| parse_date("joined_on", t)) {
        None => today,
        Some(Ok(d)) if d > today => {
            errors.push(FieldError::of("joined_on", ErrorCode::DateInFuture));
            today
        }
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            errors.push(e);
            today
        }
    };
    if row.get("retiree_id").is_none() && row.get("id_number").is_none() {
        errors.push(FieldError::with(
            "retiree_id",
            ErrorCode::Required,
            "须填写人员编号或公民身份号码",
            "name the person by retiree_id or id_number",
        ));
    }
    if row.get("branch_id").is_none() && row.get("branch").is_none() {
        errors.push(FieldError::with(
            "branch_id",
            ErrorCode::Required,
            "须填写党支部编号或党支部名称",
            "name the branch by branch_id or branch",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let not_found = || AppError::field(FieldError::of("retiree_id", ErrorCode::RetireeNotFound));
    let (person, path) = match (retiree_id, row.get("id_number")) {
        (Some(id), _) => people::find_in_scope(conn, id, &caller.scope_path).map_err(|e| match e {
            persistence::RepoError::NotFound => not_found(),
            other => other.into(),
        })?,
        (None, Some(number)) => people::find_by_id_number(conn, number, &caller.scope_path)?.ok_or_else(not_found)?,
        (None, None) => return Err(not_found()),
    };
    let branch_id = match (branch_id, row.get("branch")) {
        (Some(id), _) => id,
        (None, Some(name)) => match repo::branches_named(conn, name, &caller.scope_path)?.as_slice() {
            [(b, _)] => b.id,
            [] => return Err(AppError::field(FieldError::of("branch", ErrorCode::PartyBranchNotFound))),
            _ => {
                return Err(AppError::field(FieldError::with(
                    "branch",
                    ErrorCode::InvalidValue,
                    "辖区内有多个同名党支部，请填写党支部编号",
                    "several branches of the subtree have this name: give branch_id",
                )));
            }
        },
        (None, None) => return Err(AppError::internal("branch checked above")),
    };
    if on_conflict == OnConflict::Skip && repo::open_relation_of(conn, person.id)?.is_some() {
        return Ok(Outcome::Skipped);
    }
    let asked = RelationAsked { branch_id, joined_on, came_from: row.get("came_from").map(str::to_owned) };
    let mut field_errors = Vec::new();
    if let Some(c) = &asked.came_from
        && c.chars().count() > 200
    {
        field_errors.push(FieldError::of("came_from", ErrorCode::TooLong));
    }
    if !field_errors.is_empty() {
        return Err(AppError::validation(field_errors));
    }
    relations::establish_for(conn, caller, &person, &path, asked)?;
    Ok(Outcome::Created)
}

/// Imports a roster of party members' relations: every row through the establishment of
/// `POST /retirees/{id}/party-relation` (a party member of the caller's subtree, an open branch of it); a person
/// whose relation is in the service already is refused (`party_relation_open`) or, with [`OnConflict::Skip`],
/// skipped. Audited `party.import` with the counts.
pub fn import(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    upload: Upload<'_>,
    mode: Mode,
    on_conflict: OnConflict,
) -> Result<RegisterReport, AppError> {
    caller.require(Permission::PartyManage)?;
    let mut columns = COLUMNS.to_vec();
    columns.push(ID_NUMBER);
    let rows = register::read(upload.raw, upload.dir, upload.xlsx, &columns, &[], upload.unpacked_limit)?;
    let report = register::apply(conn, mode, &rows, |conn, row| import_row(conn, caller, today, row, on_conflict))?;
    let mut entry = caller.audit("party.import", "party_relation_import", "", &caller.scope_path);
    entry.object_id = None;
    entry.detail = Some(
        serde_json::json!({"mode": report.mode, "rows": report.rows, "created": report.created,
            "skipped": report.skipped, "rejected": report.rejected})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    Ok(report)
}
