//! Special-group ledgers, step 3 "compare" (GUIDE 第四章五; issue 27, reports27): per group, the people of the ledger
//! (computed a member or recorded one) whom the deaths feed and death reports say are dead — their membership
//! should be ended. Read page by page over the ledger (by person id); the file is written through
//! `app::exports::table`.

use std::collections::HashMap;

use domain::SpecialGroup;
use persistence::DbConnection;
use persistence::ledger_feeds::{self, LatestFeedRow};
use persistence::report_sections as repo;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::ledgers::{EXPORT_LIMIT, LedgerEntry, ledger};
use crate::caller::Caller;
use crate::error::AppError;
use crate::exports::table::{Column, File, Table};
use crate::exports::{Encoding, Format, Labels};
use crate::feeds::ledgers::LedgerFeedKind;
use crate::scope::node_in_scope;

/// One person whose ledger membership disagrees with a feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"retiree_id": 42, "community_code": "350203001001", "computed": true, "recorded": true,
    "finding": "reported_dead", "death_report_id": 7, "date_of_death": "2026-11-20", "report_status": "reported",
    "from_feed": true, "ledger_since": null, "feed_status": null, "feed_date": null, "source_ref": null,
    "diagnosis_category": null, "institution": null}))]
pub struct ComparisonEntry {
    pub retiree_id: i64,
    pub community_code: String,
    /// A member by the data.
    pub computed: bool,
    /// The last verification's answer; `null` if never verified.
    pub recorded: Option<bool>,
    /// `reported_dead`: a death report stands for the person (pending verification or verified); for 特困 against
    /// the hardship list and 重病 against hospital records: `not_in_ledger` (listed in the feed, not a member of
    /// the ledger), `withdrawn_in_feed` (a member, the feed's latest record says withdrawn 退出), `absent_from_feed`
    /// (a member, no record in the feed), `dates_disagree` (a member on both sides, the flag's first day is not
    /// the feed's day).
    #[schema(example = "reported_dead")]
    pub finding: String,
    /// `reported_dead`: the death report.
    pub death_report_id: Option<i64>,
    #[schema(value_type = Option<String>, format = Date)]
    pub date_of_death: Option<Date>,
    /// `reported_dead`: `reported` (pending verification) or `verified`.
    pub report_status: Option<String>,
    /// Found by a data platform feed (the deaths feed opened the report; the hardship list; hospital records).
    pub from_feed: bool,
    /// The first day of the person's flag of the group in force, if any.
    #[schema(value_type = Option<String>, format = Date)]
    pub ledger_since: Option<Date>,
    /// The feed's latest record: `listed` (在册) or `withdrawn` (退出).
    pub feed_status: Option<String>,
    /// The feed's latest record: since (hardship list) or the day of the record (hospital records).
    #[schema(value_type = Option<String>, format = Date)]
    pub feed_date: Option<Date>,
    /// The feed's latest record: its id in the source system.
    pub source_ref: Option<String>,
    /// Hospital records (health data): the diagnosis category; `null` unless the caller reads health data.
    pub diagnosis_category: Option<String>,
    /// Hospital records (health data): the institution; `null` unless the caller reads health data.
    pub institution: Option<String>,
}

/// Ledger rows read at a time.
const CHUNK: i64 = 5_000;

fn blank(
    retiree_id: i64,
    community_code: &str,
    computed: bool,
    recorded: Option<bool>,
    finding: &str,
) -> ComparisonEntry {
    ComparisonEntry {
        retiree_id,
        community_code: community_code.to_owned(),
        computed,
        recorded,
        finding: finding.to_owned(),
        death_report_id: None,
        date_of_death: None,
        report_status: None,
        from_feed: false,
        ledger_since: None,
        feed_status: None,
        feed_date: None,
        source_ref: None,
        diagnosis_category: None,
        institution: None,
    }
}

/// The feed side of an entry (health data only for who reads it).
fn with_feed(mut e: ComparisonEntry, f: &LatestFeedRow, health: bool) -> ComparisonEntry {
    e.from_feed = true;
    e.feed_status = Some(if f.listed { "listed" } else { "withdrawn" }.to_owned());
    e.feed_date = Some(f.record_date);
    e.source_ref = Some(f.source_ref.clone());
    if health {
        e.diagnosis_category = f.diagnosis_category.clone();
        e.institution = f.institution.clone();
    }
    e
}

/// What the feed says of a member of the ledger (GUIDE 第四章五 step 3): withdrawn, absent, or dated otherwise.
pub fn feed_finding(member: bool, ledger_since: Option<Date>, feed: Option<(bool, Date)>) -> Option<&'static str> {
    match (member, feed) {
        (true, None) => Some("absent_from_feed"),
        (true, Some((false, _))) => Some("withdrawn_in_feed"),
        (true, Some((true, day))) if ledger_since.is_some_and(|since| since != day) => Some("dates_disagree"),
        (true, Some(_)) => None,
        (false, Some((true, _))) => Some("not_in_ledger"),
        (false, _) => None,
    }
}

/// Up to `limit` disagreements (all of the last person's) of the ledger of `group` at node `code` (in the caller's
/// subtree, else 422 `jurisdiction_not_found`) on `today`, people after `after` by id: death reports for every
/// group; the hardship list for 特困 and hospital records for 重病 (the latest record of each person), once the
/// feed has records in the subtree.
#[allow(clippy::too_many_arguments)]
pub fn comparison(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    group: SpecialGroup,
    code: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<ComparisonEntry>, AppError> {
    let node = node_in_scope(conn, caller, code, "jurisdiction")?;
    let health = crate::health_records::reads_health(caller);
    let feed = match LedgerFeedKind::of_group(group) {
        Some(kind) => ledger_feeds::latest(conn, kind.as_str(), group.as_str(), &node.path, 0)?,
        None => Vec::new(),
    };
    // Compared with the feed only once it has records in the subtree (before, every member would be absent).
    let has_feed = !feed.is_empty();
    let mut fi = feed.iter().take_while(|f| f.retiree_id <= after).count();
    let mut out = Vec::new();
    let mut cursor = after;
    loop {
        let rows = ledger(conn, caller, today, group, code, None, cursor, CHUNK)?;
        let full = rows.len() as i64 == CHUNK;
        let upto = match rows.last() {
            Some(last) if full => last.retiree_id,
            _ => i64::MAX,
        };
        let members: Vec<&LedgerEntry> = rows.iter().filter(|r| r.computed || r.recorded == Some(true)).collect();
        let ids: Vec<i64> = members.iter().map(|r| r.retiree_id).collect();
        let deaths = repo::deaths_of(conn, &ids)?;
        let since: HashMap<i64, Date> = if !has_feed {
            HashMap::new()
        } else {
            ledger_feeds::flags_since(conn, group.as_str(), &ids, today)?
                .into_iter()
                .map(|f| (f.retiree_id, f.from_date))
                .collect()
        };
        // Every person of this chunk: a member, or in the feed (up to the chunk's last id).
        let mut people: Vec<i64> = ids.clone();
        let start = fi;
        while fi < feed.len() && feed[fi].retiree_id <= upto {
            people.push(feed[fi].retiree_id);
            fi += 1;
        }
        let in_feed = &feed[start..fi];
        people.sort_unstable();
        people.dedup();
        for id in people {
            let member = members.iter().find(|r| r.retiree_id == id);
            let f = in_feed.iter().find(|f| f.retiree_id == id);
            let mut found = Vec::new();
            if let (Some(r), Some(d)) = (member, deaths.iter().find(|d| d.retiree_id == id)) {
                let mut e = blank(r.retiree_id, &r.community_code, r.computed, r.recorded, "reported_dead");
                e.death_report_id = Some(d.report_id);
                e.date_of_death = Some(d.date_of_death);
                e.report_status = Some(d.status.clone());
                e.from_feed = d.reporter_kind == "feed";
                found.push(e);
            }
            if has_feed {
                let ledger_since = since.get(&id).copied();
                if let Some(finding) =
                    feed_finding(member.is_some(), ledger_since, f.map(|f| (f.listed, f.record_date)))
                {
                    let mut e = match (member, f) {
                        (Some(r), _) => blank(r.retiree_id, &r.community_code, r.computed, r.recorded, finding),
                        (None, Some(f)) => blank(f.retiree_id, &f.community_code, false, f.member, finding),
                        (None, None) => continue,
                    };
                    e.ledger_since = ledger_since;
                    if let Some(f) = f {
                        e = with_feed(e, f, health);
                    }
                    found.push(e);
                }
            }
            out.extend(found);
            if out.len() as i64 >= limit {
                return Ok(out);
            }
        }
        if !full {
            break;
        }
        cursor = upto;
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
        Column::date("ledger_since", "台账标记起始日"),
        Column::text("feed_status", "比对数据状态"),
        Column::date("feed_date", "比对数据日期"),
        Column::text("source_ref", "来源编号"),
        Column::text("diagnosis_category", "诊断类别"),
        Column::text("institution", "医疗机构"),
    ];
    let yes_no = |b: bool| crate::exports::table::yes_no(b, labels);
    let date = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
    let rows = items
        .iter()
        .map(|e| {
            vec![
                e.retiree_id.to_string(),
                e.community_code.clone(),
                yes_no(e.computed),
                e.recorded.map(yes_no).unwrap_or_default(),
                crate::exports::table::label(&e.finding, finding_zh(&e.finding), labels),
                e.death_report_id.map(|id| id.to_string()).unwrap_or_default(),
                date(e.date_of_death),
                e.report_status
                    .as_deref()
                    .map(|s| crate::exports::table::label(s, if s == "verified" { "已核实" } else { "待核实" }, labels))
                    .unwrap_or_default(),
                yes_no(e.from_feed),
                date(e.ledger_since),
                e.feed_status
                    .as_deref()
                    .map(|s| crate::exports::table::label(s, if s == "listed" { "在册" } else { "退出" }, labels))
                    .unwrap_or_default(),
                date(e.feed_date),
                e.source_ref.clone().unwrap_or_default(),
                e.diagnosis_category.clone().unwrap_or_default(),
                e.institution.clone().unwrap_or_default(),
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

/// The Chinese label of a finding.
fn finding_zh(finding: &str) -> &'static str {
    match finding {
        "reported_dead" => "已报死亡",
        "not_in_ledger" => "比对数据在册、台账未列入",
        "withdrawn_in_feed" => "台账在列、比对数据已退出",
        "absent_from_feed" => "台账在列、比对数据中无记录",
        "dates_disagree" => "日期不一致",
        _ => "其他",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_feed_record_against_the_ledger() {
        // GUIDE 第四章五 step 3 "比对": the hardship list / hospital records against the ledger.
        let d = date!(2026 - 03 - 01);
        assert_eq!(feed_finding(true, Some(d), None), Some("absent_from_feed"));
        assert_eq!(feed_finding(true, Some(d), Some((false, d))), Some("withdrawn_in_feed"));
        assert_eq!(feed_finding(true, Some(d), Some((true, date!(2026 - 04 - 01)))), Some("dates_disagree"));
        assert_eq!(feed_finding(true, Some(d), Some((true, d))), None);
        assert_eq!(feed_finding(true, None, Some((true, d))), None);
        assert_eq!(feed_finding(false, None, Some((true, d))), Some("not_in_ledger"));
        assert_eq!(feed_finding(false, None, Some((false, d))), None);
        assert_eq!(feed_finding(false, None, None), None);
    }
}
