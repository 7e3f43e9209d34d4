//! Digitisation progress (数字化; XM Art. 16 "推进人事档案数字化"; CS Art. 12(2); JN Art. 8(7)): of the archives held
//! for the people of a node, how many are digitised — per repository (progress) and per node and its child nodes
//! (the share, the XM Art. 16 goal) — as JSON or as a CSV/XLSX report.

use domain::archive as rules;
use persistence::DbConnection;
use persistence::archive_loans as repo;
use persistence::archives as archives_repo;
use persistence::jurisdictions;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::AppError;
use crate::exports::table::{self, Column, Table};
use crate::exports::{Encoding, Format, Labels};

/// Archives and how many are digitised.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DigitisedShare {
    /// Code (node) or repository code; `null` for archives not yet placed.
    pub code: Option<String>,
    /// Name.
    pub name: String,
    /// Archives held.
    pub archives: i64,
    /// Of them digitised.
    pub digitised: i64,
    /// Share digitised, per mille (rounded down).
    pub per_mille: i64,
}

/// The digitisation report of a node.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"jurisdiction": "350203", "on": "2026-12-06",
    "node": {"code": "350203", "name": "思明区", "archives": 3, "digitised": 2, "per_mille": 666},
    "children": [{"code": "350203001", "name": "厦港街道", "archives": 3, "digitised": 2, "per_mille": 666}],
    "repositories": [{"code": "SM-01", "name": "思明区档案馆一号库", "archives": 2, "digitised": 2, "per_mille": 1000},
        {"code": null, "name": "未上架", "archives": 1, "digitised": 0, "per_mille": 0}],
    "batches": [{"status": "open", "archives": 1, "digitised": 0}, {"status": "completed", "archives": 2, "digitised": 2},
        {"status": "cancelled", "archives": 0, "digitised": 0}]}))]
pub struct DigitisationReport {
    /// The node.
    pub jurisdiction: String,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on: Date,
    /// The node as a whole.
    pub node: DigitisedShare,
    /// Each child node.
    pub children: Vec<DigitisedShare>,
    /// Each repository holding archives of the node's people, and those not placed.
    pub repositories: Vec<DigitisedShare>,
    /// What digitisation batches produced for the node's people: per batch status, the archives sent and how many
    /// came back digitised.
    pub batches: Vec<BatchCount>,
}

/// Archives sent in digitisation batches of one status and how many came back digitised.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchCount {
    /// Batch status.
    pub status: domain::archive_batch::BatchStatus,
    /// Archives in such batches.
    pub archives: i64,
    /// Of them digitised in the batch.
    pub digitised: i64,
}

fn share(code: Option<String>, name: String, rows: &[&repo::DigitisationRow]) -> DigitisedShare {
    let archives = rows.len() as i64;
    let digitised = rows.iter().filter(|r| r.1.is_some()).count() as i64;
    DigitisedShare { code, name, archives, digitised, per_mille: rules::digitised_per_mille(digitised, archives) }
}

/// The report for node `code` in the caller's subtree (else 422 `jurisdiction_not_found`) on `on`.
pub fn report(conn: &mut DbConnection, caller: &Caller, on: Date, code: &str) -> Result<DigitisationReport, AppError> {
    super::require_read(caller)?;
    let node = crate::scope::node_in_scope(conn, caller, code, "jurisdiction")?;
    let rows = repo::digitisation_rows(conn, &node.path)?;
    let all: Vec<_> = rows.iter().collect();
    let mut children = Vec::new();
    for child in jurisdictions::children(conn, &node.code, None, 1000)? {
        let mine: Vec<_> = rows.iter().filter(|r| r.2.starts_with(&child.path)).collect();
        children.push(share(Some(child.code), child.name, &mine));
    }
    let mut ids: Vec<Option<i64>> = rows.iter().map(|r| r.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut repositories = Vec::new();
    for id in ids {
        let mine: Vec<_> = rows.iter().filter(|r| r.0 == id).collect();
        let (code, name) = match id {
            Some(id) => {
                let r = archives_repo::repository_by_id(conn, id)?;
                (Some(r.code), r.name)
            }
            None => (None, "未上架".to_owned()),
        };
        repositories.push(share(code, name, &mine));
    }
    let batches = persistence::archive_batches::counts_in(conn, &node.path)?
        .into_iter()
        .map(|(status, archives, digitised)| BatchCount { status, archives, digitised })
        .collect();
    Ok(DigitisationReport {
        batches,
        jurisdiction: node.code.clone(),
        on,
        node: share(Some(node.code), node.name, &all),
        children,
        repositories,
    })
}

const COLUMNS: [Column; 5] = [
    Column::text("code", "编码"),
    Column::text("name", "名称"),
    Column::number("archives", "档案数"),
    Column::number("digitised", "已数字化"),
    Column::number("per_mille", "数字化率（‰）"),
];

const BATCH_COLUMNS: [Column; 3] = [
    Column::text("status", "批次状态"),
    Column::number("archives", "送扫描档案数"),
    Column::number("digitised", "已数字化"),
];

fn batch_rows(items: &[BatchCount], labels: Labels) -> Vec<Vec<String>> {
    items
        .iter()
        .map(|b| {
            vec![
                table::label(b.status.as_str(), b.status.label_zh(), labels),
                b.archives.to_string(),
                b.digitised.to_string(),
            ]
        })
        .collect()
}

fn rows(items: &[DigitisedShare]) -> Vec<Vec<String>> {
    items
        .iter()
        .map(|s| {
            vec![
                s.code.clone().unwrap_or_default(),
                s.name.clone(),
                s.archives.to_string(),
                s.digitised.to_string(),
                s.per_mille.to_string(),
            ]
        })
        .collect()
}

/// The report as a file: a sheet of the node and its child nodes, a sheet of the repositories.
pub fn export(
    r: &DigitisationReport,
    format: Format,
    encoding: Encoding,
    labels: Labels,
) -> Result<table::File, AppError> {
    let title = format!("人事档案数字化进度 {} {}", r.node.name, r.on);
    let mut nodes = vec![r.node.clone()];
    nodes.extend(r.children.iter().cloned());
    let tables = [
        Table::new("辖区", COLUMNS.to_vec(), rows(&nodes)).with_title(title.clone()),
        Table::new("库房", COLUMNS.to_vec(), rows(&r.repositories)).with_title(title.clone()),
        Table::new("批次", BATCH_COLUMNS.to_vec(), batch_rows(&r.batches, labels)).with_title(title),
    ];
    table::render(&tables, format, encoding, labels, &format!("archive-digitisation-{}", r.jurisdiction))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_renders_as_csv_and_xlsx() {
        let s = DigitisedShare {
            code: Some("350203".into()),
            name: "思明区".into(),
            archives: 3,
            digitised: 2,
            per_mille: 666,
        };
        let r = DigitisationReport {
            jurisdiction: "350203".into(),
            on: time::macros::date!(2026 - 12 - 06),
            node: s.clone(),
            children: vec![s.clone()],
            repositories: vec![DigitisedShare { code: None, ..s }],
            batches: vec![BatchCount {
                status: domain::archive_batch::BatchStatus::Completed,
                archives: 2,
                digitised: 2,
            }],
        };
        let csv = export(&r, Format::Csv, Encoding::Utf8, Labels::Zh).unwrap();
        assert!(String::from_utf8_lossy(&csv.bytes).contains("350203,思明区,3,2,666"));
        assert!(String::from_utf8_lossy(&csv.bytes).contains("已完成,2,2"));
        let x = export(&r, Format::Xlsx, Encoding::Utf8, Labels::Zh).unwrap();
        assert!(x.bytes.starts_with(b"PK"));
    }
}
