//! The archive register as a file (档案登记册; issue 23 "exports of the register"): the summary of every archive held
//! for the people of the caller's subtree — name, community, volumes, pieces, status, place, preparation — with
//! Chinese headers (`labels=zh`) or codes. An export of personal data, audited (`archive.export`).

use persistence::DbConnection;
use time::Date;

use super::{ListQuery, list};
use crate::caller::Caller;
use crate::error::AppError;
use crate::exports::table::{self, Column, Table};
use crate::exports::{Encoding, Format, Labels};

/// The register's columns (the same codes and headers an import reads).
pub const COLUMNS: [Column; 15] = [
    Column::text("name", "姓名"),
    Column::text("community", "社区"),
    Column::number("volumes", "卷数"),
    Column::number("pieces", "件数"),
    Column::text("status", "状态"),
    Column::text("repository", "库房"),
    Column::text("room", "房间"),
    Column::text("shelf", "架"),
    Column::text("box", "盒"),
    Column::date("received_on", "接收日期"),
    Column::date("sorted", "整理日期"),
    Column::date("catalogued", "编目日期"),
    Column::date("bound", "装订日期"),
    Column::date("digitised", "数字化日期"),
    Column::number("retiree_id", "人员编号"),
];

/// Most archives in one file.
pub const MAX_ROWS: i64 = 50_000;

/// The register of the caller's subtree as a file (the summary roles; audited `archive.export`).
pub fn export(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    format: Format,
    encoding: Encoding,
    labels: Labels,
) -> Result<table::File, AppError> {
    super::require_read(caller)?;
    let items = list(conn, caller, ListQuery { limit: MAX_ROWS, ..ListQuery::default() })?;
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|a| {
            let place = a.place.as_ref();
            let p = &a.preparation;
            vec![
                a.name.clone(),
                a.community.clone(),
                a.volumes.to_string(),
                a.pieces.to_string(),
                table::label(a.status.as_str(), a.status.label_zh(), labels),
                place.map(|p| p.repository.clone()).unwrap_or_default(),
                place.map(|p| p.room.clone()).unwrap_or_default(),
                place.map(|p| p.shelf.clone()).unwrap_or_default(),
                place.map(|p| p.box_.clone()).unwrap_or_default(),
                a.received_on.to_string(),
                p.sorted.clone().unwrap_or_default(),
                p.catalogued.clone().unwrap_or_default(),
                p.bound.clone().unwrap_or_default(),
                p.digitised.clone().unwrap_or_default(),
                a.retiree_id.map(|id| id.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let mut entry = caller.audit("archive.export", "archive", "register", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"rows": rows.len(), "format": format!("{format:?}")}).to_string());
    persistence::audit::append(conn, &entry)?;
    // No title row above the header: the file imports back as it is (`POST /imports/archives`).
    let t = Table::new("人事档案登记册", COLUMNS.to_vec(), rows);
    table::render(&[t], format, encoding, labels, &format!("archive-register-{today}"))
}
