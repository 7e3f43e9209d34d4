//! Special-group ledgers, step 3 "compare" (GUIDE 第四章五; issue 27, reports27): per group, the people of the ledger
//! (computed a member or recorded one) whom the deaths feed and death reports say are dead — their membership
//! should be ended. Read page by page over the ledger (by person id); the file is written through
//! `app::exports::table`.

use domain::SpecialGroup;
use persistence::DbConnection;
use persistence::report_sections as repo;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::ledgers::{EXPORT_LIMIT, LedgerEntry, ledger};
use crate::caller::Caller;
use crate::error::AppError;
use crate::exports::table::{Column, File, Table};
use crate::exports::{Encoding, Format, Labels};
use crate::scope::node_in_scope;

/// One person whose ledger membership disagrees with a feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"retiree_id": 42, "community_code": "350203001001", "computed": true, "recorded": true,
    "finding": "reported_dead", "death_report_id": 7, "date_of_death": "2026-11-20", "report_status": "reported",
    "from_feed": true}))]
pub struct ComparisonEntry {
    pub retiree_id: i64,
    pub community_code: String,
    /// A member by the data.
    pub computed: bool,
    /// The last verification's answer; `null` if never verified.
    pub recorded: Option<bool>,
    /// `reported_dead`: a death report stands for the person (pending verification or verified).
    #[schema(example = "reported_dead")]
    pub finding: String,
    pub death_report_id: i64,
    #[schema(value_type = String, format = Date)]
    pub date_of_death: Date,
    /// `reported` (pending verification) or `verified`.
    pub report_status: String,
    /// Opened by the data platform's deaths feed.
    pub from_feed: bool,
}

/// Ledger rows read at a time.
const CHUNK: i64 = 5_000;

/// Up to `limit` disagreements of the ledger of `group` at node `code` (in the caller's subtree, else 422
/// `jurisdiction_not_found`) on `today`, people after `after` by id.
pub fn comparison(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    group: SpecialGroup,
    code: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<ComparisonEntry>, AppError> {
    let mut out = Vec::new();
    let mut cursor = after;
    loop {
        let rows = ledger(conn, caller, today, group, code, None, cursor, CHUNK)?;
        let Some(last) = rows.last() else { break };
        cursor = last.retiree_id;
        let members: Vec<&LedgerEntry> = rows.iter().filter(|r| r.computed || r.recorded == Some(true)).collect();
        let ids: Vec<i64> = members.iter().map(|r| r.retiree_id).collect();
        let deaths = repo::deaths_of(conn, &ids)?;
        for d in deaths {
            let Some(r) = members.iter().find(|r| r.retiree_id == d.retiree_id) else { continue };
            out.push(ComparisonEntry {
                retiree_id: r.retiree_id,
                community_code: r.community_code.clone(),
                computed: r.computed,
                recorded: r.recorded,
                finding: "reported_dead".to_owned(),
                death_report_id: d.report_id,
                date_of_death: d.date_of_death,
                report_status: d.status,
                from_feed: d.reporter_kind == "feed",
            });
            if out.len() as i64 >= limit {
                return Ok(out);
            }
        }
        if (rows.len() as i64) < CHUNK {
            break;
        }
    }
    Ok(out)
}

/// The comparison as a file (XLSX: the group, node and day in the title, Chinese headers, a count row), at most
/// 100,000 rows (413 `too_many_rows`); audited `ledger.comparison_export` (it lists people).
pub fn export(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    group: SpecialGroup,
    code: &str,
    (format, encoding, labels): (Format, Encoding, Labels),
) -> Result<File, AppError> {
    let node = node_in_scope(conn, caller, code, "jurisdiction")?;
    let items = comparison(conn, caller, today, group, code, 0, EXPORT_LIMIT + 1)?;
    if items.len() as i64 > EXPORT_LIMIT {
        return Err(AppError::of(domain::ErrorCode::TooManyRows));
    }
    let columns = vec![
        Column::text("retiree_id", "人员编号"),
        Column::text("community_code", "所在社区"),
        Column::text("computed", "按数据属于该群体"),
        Column::text("recorded", "核实结果"),
        Column::text("finding", "比对结果"),
        Column::text("death_report_id", "死亡报告编号"),
        Column::date("date_of_death", "死亡日期"),
        Column::text("report_status", "报告状态"),
        Column::text("from_feed", "来自信息比对"),
    ];
    let yes_no = |b: bool| crate::exports::table::yes_no(b, labels);
    let rows = items
        .iter()
        .map(|e| {
            vec![
                e.retiree_id.to_string(),
                e.community_code.clone(),
                yes_no(e.computed),
                e.recorded.map(yes_no).unwrap_or_default(),
                crate::exports::table::label(&e.finding, "已报死亡", labels),
                e.death_report_id.to_string(),
                e.date_of_death.to_string(),
                crate::exports::table::label(
                    &e.report_status,
                    if e.report_status == "verified" { "已核实" } else { "待核实" },
                    labels,
                ),
                yes_no(e.from_feed),
            ]
        })
        .collect();
    let table = Table::new(group.label_zh(), columns, rows)
        .with_title(format!("{}（{}）特殊群体台账比对 — {}（{}）", node.name, node.code, group.label_zh(), today))
        .with_totals(vec![format!("{}人", items.len())]);
    let mut entry = caller.audit("ledger.comparison_export", "special_group_ledger", group.as_str(), &node.path);
    entry.detail = Some(serde_json::json!({"group": group.as_str(), "rows": items.len()}).to_string());
    persistence::audit::append(conn, &entry)?;
    crate::exports::table::render(
        &[table],
        format,
        encoding,
        labels,
        &format!("ledger-comparison-{}-{}", group.as_str(), node.code),
    )
}
