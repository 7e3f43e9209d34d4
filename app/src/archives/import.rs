//! The import of an existing archive register (档案登记册; issue 23 "imports of an existing archive register"):
//! CSV or XLSX with the columns of the register export ([`super::register::COLUMNS`], by code or Chinese header)
//! and the resident ID (`id_number`, 公民身份号码), so a register a city keeps in a spreadsheet, or one exported here,
//! imports. Every row goes through the receipt ([`super::receive`]: the person in the caller's subtree, volumes and
//! pieces above 0, the preparation of CS Art. 12(2)) and, when it names a place, through [`super::store::place`]
//! (a repository of the caller's subtree and of the person's own city or district, JN Art. 8(7), 20). Each row is
//! audited and emits `archive.received` as a single receipt does; the import itself is audited `archive.import`.

use domain::archive::ArchiveStatus;
use domain::{ErrorCode, Permission};
use persistence::DbConnection;
use persistence::archives as repo;
use time::Date;

use super::receive::{ReceiveRequest, check, receive};
use super::register::COLUMNS;
use super::store::{PlaceRequest, place};
use crate::caller::Caller;
use crate::elder_care::files::{OnConflict, Upload};
use crate::error::{AppError, FieldError};
use crate::exports::table::Column;
use crate::imports::Mode;
use crate::imports::register::{self, Outcome, RegisterReport, Row};

/// The resident ID column an import reads besides the export's columns (the export never carries IDs).
pub const ID_NUMBER: Column = Column::text("id_number", "公民身份号码");

/// Columns every file must have.
pub const REQUIRED: [&str; 2] = ["volumes", "pieces"];

/// Who delivered an archive taken over from a register (the receipt needs one; a register does not say).
pub const DELIVERED_BY: &str = "档案登记册导入";

/// How rows are received.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// All rows or none, or the good rows.
    pub mode: Mode,
    /// A person with an archive on record: the row is refused (`archive_exists`) or skipped.
    pub on_conflict: OnConflict,
    /// Receive archives whose preparation is incomplete (the missing items stay on the record); otherwise such a row
    /// is refused naming each missing item (CS Art. 12(2)).
    pub accept_unprepared: bool,
}

/// The columns an import reads: the export's and the resident ID.
pub fn columns() -> Vec<Column> {
    let mut columns = COLUMNS.to_vec();
    columns.push(ID_NUMBER);
    columns
}

/// Imports an archive register for `caller` (`archive.manage`) on `today`.
pub fn import(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    upload: Upload<'_>,
    options: ImportOptions,
) -> Result<RegisterReport, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let rows = register::read(upload.raw, upload.dir, upload.xlsx, &columns(), &REQUIRED, upload.unpacked_limit)?;
    let report = register::apply(conn, options.mode, &rows, |conn, row| import_row(conn, caller, today, row, options))?;
    let mut entry = caller.audit("archive.import", "archive_import", "", &caller.scope_path);
    entry.object_id = None;
    entry.detail = Some(
        serde_json::json!({"mode": report.mode, "rows": report.rows, "created": report.created,
            "skipped": report.skipped, "rejected": report.rejected, "accept_unprepared": options.accept_unprepared})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(report)
}

fn invalid(column: &str, zh: String, en: String) -> FieldError {
    FieldError::with(column, ErrorCode::InvalidValue, zh, en)
}

/// The person a row names: by resident ID within the caller's subtree, or by `retiree_id` (an exported register);
/// both given must be the same person. Absent or outside the subtree: `retiree_not_found` on the column.
fn person_of(conn: &mut DbConnection, caller: &Caller, row: &Row) -> Result<persistence::retirees::Retiree, AppError> {
    let by_id_number = match row.get("id_number") {
        Some(text) => {
            let id = text.to_ascii_uppercase();
            match persistence::retirees::find_by_id_number(conn, &id, &caller.scope_path)? {
                Some((r, _)) => Some(r),
                None => return Err(AppError::field(FieldError::of("id_number", ErrorCode::RetireeNotFound))),
            }
        }
        None => None,
    };
    let mut errors = Vec::new();
    let by_id = match row.integer::<i64>("retiree_id", &mut errors) {
        Some(id) => Some(crate::scope::referenced_retiree(conn, caller, id, "retiree_id")?.0),
        None if !errors.is_empty() => return Err(AppError::validation(errors)),
        None => None,
    };
    match (by_id_number, by_id) {
        (Some(a), Some(b)) if a.id != b.id => Err(AppError::field(invalid(
            "retiree_id",
            "人员编号与公民身份号码不是同一人".into(),
            "retiree_id and id_number name different people".into(),
        ))),
        (Some(a), _) => Ok(a),
        (None, Some(b)) => Ok(b),
        (None, None) => Err(AppError::field(FieldError::with(
            "id_number",
            ErrorCode::Required,
            "应填写公民身份号码（或人员编号）",
            "id_number (or retiree_id) is required",
        ))),
    }
}

/// A use case's field error named by its register column (`/preparation/sorted` is the column `sorted`,
/// `/repository_id` the column `repository`).
fn to_column(mut e: FieldError) -> FieldError {
    let field = e.field.trim_start_matches('/');
    e.field = match field {
        "repository_id" => "repository".to_owned(),
        f => f.strip_prefix("preparation/").unwrap_or(f).to_owned(),
    };
    e
}

fn columns_of(e: AppError) -> AppError {
    if e.errors().is_empty() {
        e
    } else {
        AppError::validation(e.errors().iter().map(|(f, _)| to_column(f.clone())).collect())
    }
}

fn import_row(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    row: &Row,
    options: ImportOptions,
) -> Result<Outcome, AppError> {
    let person = person_of(conn, caller, row)?;
    let mut errors = Vec::new();
    if let Some(name) = row.get("name")
        && name != person.name.trim()
    {
        errors.push(invalid(
            "name",
            format!("姓名 {name} 与该公民身份号码登记的姓名不符"),
            format!("the name {name} is not the name on record for this person"),
        ));
    }
    if let Some(community) = row.get("community")
        && community != person.community_code
    {
        errors.push(invalid(
            "community",
            format!("社区 {community} 不是该人员所在社区"),
            format!("{community} is not the person's community"),
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    if repo::of_retiree(conn, person.id)?.is_some() {
        return match options.on_conflict {
            OnConflict::Skip => Ok(Outcome::Skipped),
            OnConflict::Error => Err(AppError::of(ErrorCode::ArchiveExists)),
        };
    }
    let status =
        row.enumeration("status", ArchiveStatus::ALL, (ArchiveStatus::as_str, ArchiveStatus::label_zh), &mut errors);
    if let Some(s) = status
        && s != ArchiveStatus::InStore
    {
        errors.push(invalid(
            "status",
            format!("只导入在库的档案，而不是“{}”", s.label_zh()),
            format!("only archives in store are imported, not {}", s.as_str()),
        ));
    }
    let volumes = row.integer::<i32>("volumes", &mut errors);
    let pieces = row.integer::<i32>("pieces", &mut errors);
    for (column, value) in [("volumes", volumes), ("pieces", pieces)] {
        if value.is_none() && row.get(column).is_none() {
            errors.push(FieldError::of(column, ErrorCode::Required));
        }
    }
    let place_cells: Vec<(&str, Option<&str>)> =
        ["repository", "room", "shelf", "box"].iter().map(|c| (*c, row.get(c))).collect();
    let placed = place_cells.iter().any(|(_, v)| v.is_some());
    if placed {
        for (column, value) in &place_cells {
            if value.is_none() {
                errors.push(FieldError::with(
                    *column,
                    ErrorCode::Required,
                    "库房、房间、架、盒应同时填写",
                    "repository, room, shelf and box go together",
                ));
            }
        }
    }
    let text = |c: &str| row.get(c).map(str::to_owned);
    let body = ReceiveRequest {
        retiree_id: Some(person.id),
        handover: None,
        volumes: volumes.unwrap_or(0),
        pieces: pieces.unwrap_or(0),
        preparation: super::Preparation {
            sorted: text("sorted"),
            catalogued: text("catalogued"),
            bound: text("bound"),
            digitised: text("digitised"),
        },
        accept_unprepared: Some(options.accept_unprepared),
        missing_items: None,
        delivered_by: DELIVERED_BY.to_owned(),
        received_on: text("received_on"),
        materials: None,
    };
    let asked = match check(&body, today) {
        Ok(asked) if errors.is_empty() => asked,
        Ok(_) => return Err(AppError::validation(errors)),
        Err(found) => {
            // A cell that did not read as a number is reported once, not again as out of range.
            let unread: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
            errors.extend(found.into_iter().map(to_column).filter(|e| !unread.contains(&e.field)));
            return Err(AppError::validation(errors));
        }
    };
    let received = receive(conn, caller, today, asked).map_err(columns_of)?;
    if placed {
        let code = row.get("repository").unwrap_or_default();
        let found = repo::repositories_in(conn, &caller.scope_path)?.into_iter().find(|r| r.code == code);
        let Some(r) = found else {
            return Err(AppError::field(FieldError::of("repository", ErrorCode::RepositoryNotFound)));
        };
        let at = PlaceRequest {
            repository_id: r.id,
            room: text("room").unwrap_or_default(),
            shelf: text("shelf").unwrap_or_default(),
            box_: text("box").unwrap_or_default(),
            stored_on: Some(received.received_on.to_string()),
        };
        place(conn, caller, today, received.id, None, at).map_err(columns_of)?;
    }
    Ok(Outcome::Created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_column_is_read_and_pointers_name_columns() {
        let cols = columns();
        for c in REQUIRED {
            assert!(cols.iter().any(|col| col.code == c), "{c}");
        }
        assert!(cols.iter().any(|c| c.code == "id_number" && c.zh == "公民身份号码"));
        let e = to_column(FieldError::of("/preparation/bound", ErrorCode::Required));
        assert_eq!(e.field, "bound");
        assert_eq!(to_column(FieldError::of("/repository_id", ErrorCode::Required)).field, "repository");
        assert_eq!(to_column(FieldError::of("/volumes", ErrorCode::Required)).field, "volumes");
    }
}
