//! Special-group ledgers (特殊群体台账; GUIDE 第四章五) of the six groups 高龄, 孤寡, 重病, 特困, 新中国成立前参加工作, 劳模:
//! 1 classify (computed: age from the policy's `advanced_age_years`, dated flags for the rest), 2 verify (a worker
//! confirms or denies each person's membership on a day with evidence), 4 summarise per node, 5 maintain (the
//! worklist: never verified, verification older than the policy's `reports.ledger_verification_days`, or computed
//! and recorded membership disagreeing). Step 3 (comparison with outside feeds) is the feeds' work
//! (`app::feeds`); its results reach the ledger through the flags and deaths they record.

use domain::SpecialGroup;
use domain::report::{self as rules, LEDGER_GROUPS, LedgerStatus};
use persistence::DbConnection;
use persistence::reports::{self as repo, Computed, LedgerRow, Verification};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::AppError;
use crate::exports::table::{Column, File, Table};
use crate::exports::{Encoding, Format, Labels};
use crate::scope::{node_in_scope, referenced_retiree};

/// The ledger group named in a path: one of the six, else 404.
pub fn ledger_group(code: &str) -> Result<SpecialGroup, AppError> {
    SpecialGroup::parse(code)
        .filter(|g| LEDGER_GROUPS.contains(g))
        .ok_or_else(|| AppError::of(domain::ErrorCode::NotFound))
}

/// Record a verification.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LedgerVerifyRequest, example = json!({"retiree_id": 42, "member": true, "verified_on": "2026-12-01", "worker": "李四",
    "evidence": "民政部门特困人员认定书（厦民〔2026〕12号）"}))]
pub struct VerifyRequest {
    /// The person (in the caller's subtree).
    pub retiree_id: i64,
    /// Whether the worker confirmed the membership (`false`: found not a member).
    pub member: bool,
    /// The day of the verification (default today; not in the future).
    pub verified_on: Option<String>,
    /// The worker who verified (1-50 characters).
    pub worker: String,
    /// The evidence seen (1-500 characters).
    pub evidence: String,
}

/// A verification.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerificationView {
    pub id: i64,
    pub retiree_id: i64,
    /// The group.
    pub group: SpecialGroup,
    pub member: bool,
    #[schema(value_type = String, format = Date)]
    pub verified_on: Date,
    pub worker: String,
    pub evidence: String,
    pub created_by: String,
}

fn view(v: &Verification) -> Result<VerificationView, AppError> {
    Ok(VerificationView {
        id: v.id,
        retiree_id: v.retiree_id,
        group: SpecialGroup::parse(&v.group_code).ok_or_else(|| {
            persistence::typed::corrupt("special_group_verifications", v.id, "group_code", &v.group_code)
        })?,
        member: v.member,
        verified_on: v.verified_on,
        worker: v.worker.clone(),
        evidence: v.evidence.clone(),
        created_by: v.created_by.clone(),
    })
}

/// Records a worker's verification of a person's membership of `group` (GUIDE 第四章五 step 2); audited
/// `ledger.verify`. Every broken field at once: 422.
pub fn verify(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    group: SpecialGroup,
    body: VerifyRequest,
) -> Result<VerificationView, AppError> {
    let mut errors = Vec::new();
    let on = crate::input::date_not_after("/verified_on", body.verified_on.as_deref(), today, &mut errors);
    let worker = crate::input::check_name("/worker", &body.worker, 50, &mut errors);
    let evidence = crate::input::check_name("/evidence", &body.evidence, 500, &mut errors);
    let person = match referenced_retiree(conn, caller, body.retiree_id, "/retiree_id") {
        Ok(p) => Some(p),
        Err(e) if !e.errors().is_empty() => {
            errors.extend(e.errors().iter().map(|(f, _)| f.clone()));
            None
        }
        Err(e) => return Err(e),
    };
    let Some((person, path)) = person.filter(|_| errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    let v =
        repo::insert_verification(conn, person.id, group.as_str(), body.member, on, &worker, &evidence, &caller.login)?;
    let mut entry = caller.audit("ledger.verify", "special_group_verification", v.id, &path);
    entry.retiree_id = Some(person.id);
    entry.detail = Some(serde_json::json!({"group": group.as_str(), "member": body.member}).to_string());
    persistence::audit::append(conn, &entry)?;
    view(&v)
}

/// One verification, in the caller's subtree (else 404).
pub fn get_verification(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<VerificationView, AppError> {
    match repo::find_verification(conn, id) {
        Ok((v, path)) if caller.sees(&path) => view(&v),
        Ok(_) | Err(persistence::RepoError::NotFound) => Err(AppError::of(domain::ErrorCode::NotFound)),
        Err(e) => Err(e.into()),
    }
}

/// One person of a ledger.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"retiree_id": 42, "community_code": "350203001001", "computed": true, "recorded": true,
    "verified_on": "2025-11-02", "worker": "李四", "status": "stale"}))]
pub struct LedgerEntry {
    pub retiree_id: i64,
    pub community_code: String,
    /// A member by the data (age; a dated flag in force).
    pub computed: bool,
    /// The last verification's answer; `null` if never verified.
    pub recorded: Option<bool>,
    #[schema(value_type = Option<String>, format = Date)]
    pub verified_on: Option<Date>,
    pub worker: Option<String>,
    pub status: LedgerStatus,
}

fn entry(r: &LedgerRow) -> Result<LedgerEntry, AppError> {
    Ok(LedgerEntry {
        retiree_id: r.retiree_id,
        community_code: r.community_code.clone(),
        computed: r.computed,
        recorded: r.member,
        verified_on: r.verified_on,
        worker: r.worker.clone(),
        status: LedgerStatus::parse(&r.status)
            .ok_or_else(|| AppError::internal(format!("ledger status {:?} not known", r.status)))?,
    })
}

/// What the ledger of `group` at `path` is judged with on `today`: how membership is computed, the stale cutoff.
fn rule_of(
    conn: &mut DbConnection,
    path: &str,
    group: SpecialGroup,
    today: Date,
) -> Result<(Computed<'static>, Date), AppError> {
    let policy = crate::policy_book::policy_at(conn, path, today)?;
    let computed = if group == SpecialGroup::AdvancedAge {
        let years = i32::try_from(policy.advanced_age_years.value).map_err(AppError::internal)?;
        Computed::BornOnOrBefore(domain::born_on_or_before_for_age(today, years))
    } else {
        Computed::Flag(group.as_str())
    };
    Ok((computed, rules::stale_before(today, policy.reports.ledger_verification_days.value)))
}

/// A page of the ledger of `group` at node `code` (in the caller's subtree, else 422 `jurisdiction_not_found`) on
/// `today`: with `status`, only those (the worklist is `unverified`, `stale` and `disagrees`).
#[allow(clippy::too_many_arguments)]
pub fn ledger(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    group: SpecialGroup,
    code: &str,
    status: Option<LedgerStatus>,
    after: i64,
    limit: i64,
) -> Result<Vec<LedgerEntry>, AppError> {
    let node = node_in_scope(conn, caller, code, "jurisdiction")?;
    let (computed, cutoff) = rule_of(conn, &node.path, group, today)?;
    let rows = repo::ledger(
        conn,
        &node.path,
        group.as_str(),
        computed,
        today,
        cutoff,
        status.map(LedgerStatus::as_str),
        after,
        limit,
    )?;
    rows.iter().map(entry).collect()
}

/// The counts of one row of the summary.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct LedgerCounts {
    pub verified: i64,
    pub unverified: i64,
    pub stale: i64,
    pub disagrees: i64,
}

/// One group of one row of the summary.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupCounts {
    pub group: SpecialGroup,
    #[serde(flatten)]
    pub counts: LedgerCounts,
}

/// One row of the summary: a child of the node (or the node itself).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LedgerSummaryRow {
    pub code: String,
    pub name: String,
    pub groups: Vec<GroupCounts>,
}

/// The summary per node (GUIDE 第四章五 step 4 "汇总").
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LedgerSummary {
    pub jurisdiction: String,
    #[schema(value_type = String, format = Date)]
    pub on: Date,
    pub rows: Vec<LedgerSummaryRow>,
    /// The node: the sum of its rows.
    pub total: LedgerSummaryRow,
}

fn add(c: &mut LedgerCounts, status: &str, n: i64) {
    match LedgerStatus::parse(status) {
        Some(LedgerStatus::Verified) => c.verified += n,
        Some(LedgerStatus::Unverified) => c.unverified += n,
        Some(LedgerStatus::Stale) => c.stale += n,
        Some(LedgerStatus::Disagrees) => c.disagrees += n,
        None => {}
    }
}

/// The summary of node `code`: per child and group, how many are verified, unverified, stale and disagreeing
/// (counted set-based).
pub fn summary(conn: &mut DbConnection, caller: &Caller, today: Date, code: &str) -> Result<LedgerSummary, AppError> {
    let node = node_in_scope(conn, caller, code, "jurisdiction")?;
    let children = persistence::jurisdictions::children(conn, &node.code, None, i64::MAX)?;
    let mut counts = vec![vec![LedgerCounts::default(); LEDGER_GROUPS.len()]; children.len() + 1];
    for (g, group) in LEDGER_GROUPS.iter().enumerate() {
        let (computed, cutoff) = rule_of(conn, &node.path, *group, today)?;
        for t in repo::ledger_counts(conn, &node.path, group.as_str(), computed, today, cutoff)? {
            let i = children.iter().position(|c| t.path.starts_with(&c.path)).unwrap_or(children.len());
            add(&mut counts[i][g], &t.key, t.n);
        }
    }
    let row = |code: &str, name: &str, c: &[LedgerCounts]| LedgerSummaryRow {
        code: code.to_owned(),
        name: name.to_owned(),
        groups: LEDGER_GROUPS.iter().zip(c).map(|(g, c)| GroupCounts { group: *g, counts: c.clone() }).collect(),
    };
    let mut total = vec![LedgerCounts::default(); LEDGER_GROUPS.len()];
    for r in &counts {
        for (t, c) in total.iter_mut().zip(r) {
            t.verified += c.verified;
            t.unverified += c.unverified;
            t.stale += c.stale;
            t.disagrees += c.disagrees;
        }
    }
    let own = counts.pop().unwrap_or_default();
    let mut rows: Vec<LedgerSummaryRow> = children.iter().zip(&counts).map(|(c, n)| row(&c.code, &c.name, n)).collect();
    let own_used = own.iter().any(|c| c.verified + c.unverified + c.stale + c.disagrees > 0);
    if children.is_empty() || own_used {
        rows.push(row(&node.code, &node.name, &own));
    }
    Ok(LedgerSummary { jurisdiction: node.code.clone(), on: today, rows, total: row(&node.code, &node.name, &total) })
}

/// Most rows of a ledger export.
pub const EXPORT_LIMIT: i64 = 100_000;

/// The ledger of `group` at node `code` as a file (XLSX: the group, node and day in the title, Chinese headers);
/// audited `ledger.export` (it lists people).
pub fn export(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    group: SpecialGroup,
    code: &str,
    (format, encoding, labels): (Format, Encoding, Labels),
) -> Result<File, AppError> {
    let node = node_in_scope(conn, caller, code, "jurisdiction")?;
    let items = ledger(conn, caller, today, group, code, None, 0, EXPORT_LIMIT + 1)?;
    if items.len() as i64 > EXPORT_LIMIT {
        return Err(AppError::of(domain::ErrorCode::TooManyRows));
    }
    let columns = vec![
        Column::text("retiree_id", "人员编号"),
        Column::text("community_code", "所在社区"),
        Column::text("computed", "按数据属于该群体"),
        Column::text("recorded", "核实结果"),
        Column::date("verified_on", "核实日期"),
        Column::text("worker", "核实人"),
        Column::text("status", "台账状态"),
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
                e.verified_on.map(|d| d.to_string()).unwrap_or_default(),
                e.worker.clone().unwrap_or_default(),
                crate::exports::table::label(e.status.as_str(), e.status.label_zh(), labels),
            ]
        })
        .collect();
    let table = Table::new(group.label_zh(), columns, rows)
        .with_title(format!("{}（{}）特殊群体台账 — {}（{}）", node.name, node.code, group.label_zh(), today))
        .with_totals(vec![format!("{}人", items.len())]);
    let mut entry = caller.audit("ledger.export", "special_group_ledger", group.as_str(), &node.path);
    entry.detail = Some(serde_json::json!({"group": group.as_str(), "rows": items.len()}).to_string());
    persistence::audit::append(conn, &entry)?;
    crate::exports::table::render(
        &[table],
        format,
        encoding,
        labels,
        &format!("ledger-{}-{}", group.as_str(), node.code),
    )
}
