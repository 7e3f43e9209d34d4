//! The monthly statistical report of a node (按月计报; GUIDE 交接制度, 第四章二; JN Art. 28): one section per subject,
//! one row per child of the node (and one for the node itself when something is recorded on it), the node's total
//! as the sum of its rows, and the total compared with the previous month and the same month last year.
//!
//! Every figure is counted set-based by [`persistence::reports`]; the movements come from the movement report.
//! A month that is closed answers its frozen snapshot (see [`super::close`]).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, OnceLock};

use domain::pension::CertificationMethod;
use domain::policy::{CondolenceKind, FundUse};
use domain::report as rules;
use domain::{Category, ManagementLevel, Money, Sex, SpecialGroup};
use persistence::DbConnection;
use persistence::jurisdictions::Jurisdiction;
use persistence::reports::{self as repo, Period, Tally};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::AppError;
use crate::exports::table::{Column, File, Table};
use crate::exports::{Encoding, Format, Labels};
use crate::scope::node_in_scope;

mod sections;

/// What the cells of a column hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// A count (people, cases).
    Count,
    /// An amount in yuan with two decimals.
    Money,
}

/// One column of a section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"code": "enterprise_employee", "title": "企业职工", "kind": "count"}))]
pub struct ReportColumn {
    /// Stable code.
    pub code: String,
    /// Chinese header.
    pub title: String,
    /// Count or money.
    pub kind: ValueKind,
}

/// One row of a section: a child of the node (or the node itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"code": "350203001", "name": "厦港街道", "values": ["120", "3500.00"]}))]
pub struct ReportRow {
    /// Node code.
    pub code: String,
    /// Node name.
    pub name: String,
    /// One value per column, as text: counts as integers, amounts as yuan with two decimals.
    pub values: Vec<String>,
}

/// One section (a sheet of the XLSX).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReportSection {
    /// Stable code (`roll_category`, `certification`, …).
    pub code: String,
    /// Chinese title (the sheet's name).
    pub title: String,
    /// The columns.
    pub columns: Vec<ReportColumn>,
    /// One row per child, with zeros.
    pub rows: Vec<ReportRow>,
    /// The node: the sum of the rows.
    pub total: ReportRow,
    /// The node's total in the previous month (its snapshot when that month is closed).
    pub previous_month: Vec<String>,
    /// The node's total in the same month last year (its snapshot when that month is closed).
    pub same_month_last_year: Vec<String>,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MonthlyReport {
    /// The node.
    pub jurisdiction: String,
    /// Its name.
    pub name: String,
    /// The month (`YYYY-MM`).
    pub month: String,
    /// The day states and ages are judged on: the month's last day, or today within the running month.
    #[schema(value_type = String, format = Date)]
    pub as_of: Date,
    /// `open` (counted when asked for) or `closed` (the snapshot filed at close).
    pub status: domain::report::MonthStatus,
    /// The sections.
    pub sections: Vec<ReportSection>,
    /// Entries made after an earlier month was closed, shown here in the next open month: per closed month, section
    /// and column, the filed figure, the figure counted now and the difference. Empty in a closed month's snapshot.
    pub corrections: Vec<Correction>,
}

/// A change to a closed month's figure, shown in the next open month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"month": "2026-11", "section": "deaths", "column": "reported", "filed": "1", "now": "2", "difference": "1"}))]
pub struct Correction {
    /// The closed month (`YYYY-MM`).
    pub month: String,
    /// Section code.
    pub section: String,
    /// Column code.
    pub column: String,
    /// The node's total filed at close.
    pub filed: String,
    /// The node's total counted now.
    pub now: String,
    /// now − filed.
    pub difference: String,
}

/// Integers per child code for one section, before they are rendered.
#[derive(Debug, Clone)]
pub(crate) struct Figures {
    pub code: &'static str,
    pub title: &'static str,
    pub columns: Vec<(String, String, ValueKind)>,
    /// (code, name, values), children first, then the node itself when used.
    pub rows: Vec<(String, String, Vec<i64>)>,
}

impl Figures {
    pub(crate) fn total(&self) -> Vec<i64> {
        let mut t = vec![0_i64; self.columns.len()];
        for (_, _, v) in &self.rows {
            for (a, b) in t.iter_mut().zip(v) {
                *a += b;
            }
        }
        t
    }
}

/// Renders a value of a column.
pub fn render(kind: ValueKind, v: i64) -> String {
    match kind {
        ValueKind::Count => v.to_string(),
        ValueKind::Money => Money::from_fen(v).to_string(),
    }
}

/// Parses a rendered value back to an integer (fen for money).
pub fn parse_value(kind: ValueKind, text: &str) -> Option<i64> {
    match kind {
        ValueKind::Count => text.parse().ok(),
        ValueKind::Money => {
            let (sign, digits) = text.strip_prefix('-').map_or((1, text), |rest| (-1, rest));
            let (yuan, fen) = digits.split_once('.').unwrap_or((digits, "00"));
            if fen.len() != 2 {
                return None;
            }
            Some(sign * (yuan.parse::<i64>().ok()? * 100 + fen.parse::<i64>().ok()?))
        }
    }
}

/// The rows of a report: the children of the node, and the node itself.
struct Rows {
    children: Vec<Jurisdiction>,
    node: Jurisdiction,
}

impl Rows {
    /// Index of the row of `path`: the child whose subtree holds it, else the node's own row.
    fn index(&self, path: &str) -> usize {
        self.children.iter().position(|c| path.starts_with(&c.path)).unwrap_or(self.children.len())
    }
}

type TallyColumn = (String, String, ValueKind, &'static str, &'static str);

/// Adds up tallies into one vector per row (children, then the node itself), one value per column; a column is
/// (code, title, kind, tally section, tally key), its value the count for `Count`, the amount in fen for `Money`.
fn tally_values(rows: &Rows, tallies: &[Tally], columns: &[TallyColumn]) -> Vec<Vec<i64>> {
    let mut values = vec![vec![0_i64; columns.len()]; rows.children.len() + 1];
    for t in tallies {
        for (i, (_, _, kind, section, key)) in columns.iter().enumerate() {
            if t.section == *section && t.key == *key {
                let v = match kind {
                    ValueKind::Count => t.n,
                    ValueKind::Money => t.fen,
                };
                values[rows.index(&t.path)][i] += v;
            }
        }
    }
    values
}

fn plain(columns: Vec<TallyColumn>) -> Vec<(String, String, ValueKind)> {
    columns.into_iter().map(|(c, t, k, _, _)| (c, t, k)).collect()
}

/// A section with one column per tally column.
fn tally_section(
    rows: &Rows,
    tallies: &[Tally],
    code: &'static str,
    title: &'static str,
    columns: Vec<TallyColumn>,
) -> Figures {
    let values = tally_values(rows, tallies, &columns);
    figures(rows, code, title, plain(columns), values)
}

fn figures(
    rows: &Rows,
    code: &'static str,
    title: &'static str,
    columns: Vec<(String, String, ValueKind)>,
    mut values: Vec<Vec<i64>>,
) -> Figures {
    let own = values.pop().unwrap_or_default();
    let mut out: Vec<(String, String, Vec<i64>)> =
        rows.children.iter().zip(values).map(|(c, v)| (c.code.clone(), c.name.clone(), v)).collect();
    if rows.children.is_empty() || own.iter().any(|v| *v != 0) {
        out.push((rows.node.code.clone(), rows.node.name.clone(), own));
    }
    Figures { code, title, columns, rows: out }
}

fn count(code: &str, title: &str, section: &'static str, key: &'static str) -> TallyColumn {
    (code.to_owned(), title.to_owned(), ValueKind::Count, section, key)
}

fn money(code: &str, title: &str, section: &'static str, key: &'static str) -> TallyColumn {
    (code.to_owned(), title.to_owned(), ValueKind::Money, section, key)
}

/// A total column appended to a section: the sum of its other columns per row.
fn with_total(mut f: Figures, title: &str) -> Figures {
    f.columns.push(("total".to_owned(), title.to_owned(), ValueKind::Count));
    for (_, _, v) in &mut f.rows {
        let s: i64 = v.iter().sum();
        v.push(s);
    }
    f
}

/// Interned band keys and labels (a handful, from the policy), so they can be `'static` like the enum codes.
fn intern(s: String) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let set = SEEN.get_or_init(|| Mutex::new(HashSet::new()));
    let mut set = match set.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(found) = set.get(s.as_str()) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.into_boxed_str());
    set.insert(leaked);
    leaked
}

/// The figures of every section of node `node` for each month of `months`, each judged on its as-of day for `today`
/// ([`rules::as_of`]): the people sections of all of them come from one scan of the roll
/// ([`repo::report_tallies`]), so the comparison months and the corrections cost no further scan of it.
pub(crate) fn compute_months(
    conn: &mut DbConnection,
    caller: &Caller,
    node: &Jurisdiction,
    months: &[Date],
    today: Date,
) -> Result<Vec<Vec<Figures>>, AppError> {
    let children = persistence::jurisdictions::children(conn, &node.code, None, i64::MAX)?;
    let rows = Rows { children, node: node.clone() };
    let mut asked = Vec::with_capacity(months.len());
    for month in months {
        let on = rules::as_of(*month, today);
        let policy = crate::policy_book::policy_at(conn, &node.path, on)?;
        let advanced = i32::try_from(policy.advanced_age_years.value).map_err(AppError::internal)?;
        asked.push((*month, on, policy.reports.bands(), advanced));
    }
    let periods: Vec<Period<'_>> = asked
        .iter()
        .map(|(month, on, bands, advanced)| Period {
            scope_path: &node.path,
            first: rules::month_start(*month),
            last: rules::month_end(*month),
            on: *on,
            bands,
            advanced_age_years: *advanced,
        })
        .collect();
    let mut tallies = repo::report_tallies(conn, &periods)?;
    for (period, t) in periods.iter().zip(tallies.iter_mut()) {
        t.extend(crate::high_age::report::tallies(conn, &node.path, period.first)?);
    }
    periods.iter().zip(&tallies).map(|(period, t)| compute(conn, caller, &rows, period, t)).collect()
}

/// The figures of every section of the node of `rows` for `period`, from its tallies `t`.
fn compute(
    conn: &mut DbConnection,
    caller: &Caller,
    rows: &Rows,
    period: &Period<'_>,
    t: &[Tally],
) -> Result<Vec<Figures>, AppError> {
    let (node, bands) = (&rows.node, period.bands);
    let mut out = Vec::new();

    let enum_cols = |section: &'static str, all: Vec<(&'static str, &'static str)>| {
        all.into_iter().map(|(c, zh)| count(c, zh, section, c)).collect::<Vec<_>>()
    };
    let categories = Category::ALL.iter().map(|c| (c.as_str(), c.label_zh())).collect();
    out.push(with_total(
        tally_section(rows, t, "roll_category", "人员类别", enum_cols("category", categories)),
        "在册合计",
    ));
    let levels = ManagementLevel::ALL.iter().map(|c| (c.as_str(), c.label_zh())).collect();
    out.push(with_total(
        tally_section(rows, t, "roll_management_level", "管理层级", enum_cols("management_level", levels)),
        "在册合计",
    ));
    let sexes = Sex::ALL.iter().map(|c| (c.as_str(), c.label_zh())).collect();
    out.push(with_total(tally_section(rows, t, "roll_sex", "性别", enum_cols("sex", sexes)), "在册合计"));
    let band_cols = rules::band_bounds(bands)
        .into_iter()
        .map(|b| {
            count(
                intern(format!("age_{}", rules::band_code(b, bands))),
                intern(rules::band_label_zh(b, bands)),
                "age_band",
                intern(b.to_string()),
            )
        })
        .collect();
    out.push(with_total(tally_section(rows, t, "roll_age_band", "年龄段", band_cols), "在册合计"));
    let groups = SpecialGroup::ALL.iter().map(|c| (c.as_str(), c.label_zh())).collect();
    out.push(tally_section(rows, t, "special_groups", "特殊群体", enum_cols("special_group", groups)));

    // Movements: the movement report of the node, row by row.
    let mv = crate::movement_report::movement_report(conn, caller, &node.code, period.first)?;
    let mv_cols: Vec<(String, String, ValueKind)> = [
        ("opening", "月初人数"),
        ("registered", "新登记"),
        ("received", "交接接收"),
        ("transferred_in", "转入"),
        ("transferred_out", "转出"),
        ("reduced", "减少"),
        ("reinstated", "恢复"),
        ("closing", "月末人数"),
    ]
    .iter()
    .map(|(c, zh)| ((*c).to_owned(), (*zh).to_owned(), ValueKind::Count))
    .collect();
    let mut mv_values = vec![vec![0_i64; mv_cols.len()]; rows.children.len() + 1];
    for r in &mv.rows {
        let i = rows.children.iter().position(|c| c.code == r.code).unwrap_or(rows.children.len());
        let v = [
            r.opening,
            r.registered,
            r.received,
            r.transferred_in,
            r.transferred_out,
            r.reduced,
            r.reinstated,
            r.closing,
        ];
        for (a, b) in mv_values[i].iter_mut().zip(v) {
            *a += b;
        }
    }
    out.push(figures(rows, "movements", "人员变动", mv_cols, mv_values));

    let cert_cols = vec![
        count("due", "本月到期", "certification", "due"),
        count("overdue", "逾期未认证", "certification", "overdue"),
        count("suspended", "暂停发放", "certification", "suspended"),
        count("resumed", "恢复发放", "certification", "resumed"),
        money("back_pay", "补发金额", "certification", "resumed"),
    ];
    let methods: Vec<_> =
        CertificationMethod::ALL.iter().map(|m| count(m.as_str(), m.label_zh(), "certified_by", m.as_str())).collect();
    let mut cert_values = tally_values(rows, t, &cert_cols);
    let method_values = tally_values(rows, t, &methods);
    // The certified total (all methods) goes into the certification section, after "due".
    for (v, m) in cert_values.iter_mut().zip(&method_values) {
        v.insert(1, m.iter().sum());
    }
    let mut cert_plain = plain(cert_cols);
    cert_plain.insert(1, ("certified".to_owned(), "本月已认证".to_owned(), ValueKind::Count));
    out.push(figures(rows, "certification", "资格认证", cert_plain, cert_values));
    out.push(figures(rows, "certified_by", "认证方式", plain(methods), method_values));

    out.push(tally_section(
        rows,
        t,
        "deaths",
        "死亡",
        vec![
            count("reported", "死亡报告", "deaths", "reported"),
            count("late", "逾期报告", "deaths", "late"),
            count("verified", "核实死亡", "deaths", "verified"),
            count("overpayments", "多领待遇笔数", "deaths", "overpaid"),
            money("overpaid", "多领金额", "deaths", "overpaid"),
            money("recovered", "追回金额", "deaths", "recovered"),
        ],
    ));
    let mut condolence_cols = Vec::new();
    for k in CondolenceKind::ALL {
        condolence_cols.push(count(k.as_str(), k.label_zh(), "condolences", k.as_str()));
        condolence_cols.push(money(
            intern(format!("{}_amount", k.as_str())),
            intern(format!("{}金额", k.label_zh())),
            "condolences",
            k.as_str(),
        ));
    }
    out.push(tally_section(rows, t, "condolences", "慰问", condolence_cols));
    out.push(tally_section(
        rows,
        t,
        "visits_groups",
        "走访与自管小组",
        vec![
            count("visits", "走访次数", "visits", "visits"),
            count("dibao_referrals", "转介低保", "visits", "dibao_referrals"),
            count("groups", "自管小组", "groups", "groups"),
            count("members", "小组成员", "groups", "members"),
            count("leaders", "小组长", "groups", "leaders"),
            count("leaders_insured", "已投保小组长", "groups", "leaders_insured"),
        ],
    ));
    let fund_cols = vec![
        money("budget", "年度预算", "fund", "budget"),
        money("spent_to_date", "本年累计支出", "fund", "spent_to_date"),
    ];
    let spent_cols: Vec<_> =
        FundUse::ALL.iter().map(|u| money(u.as_str(), u.label_zh(), "fund_spent", u.as_str())).collect();
    let mut fund_values = tally_values(rows, t, &fund_cols);
    let spent_values = tally_values(rows, t, &spent_cols);
    for (v, s) in fund_values.iter_mut().zip(&spent_values) {
        let balance = v[0] - v[1];
        v.insert(1, s.iter().sum());
        v.push(balance);
    }
    let mut fund_plain = plain(fund_cols);
    fund_plain.insert(1, ("spent_month".to_owned(), "本月支出".to_owned(), ValueKind::Money));
    fund_plain.push(("balance".to_owned(), "预算结余".to_owned(), ValueKind::Money));
    let fund = figures(rows, "fund", "经费", fund_plain, fund_values);
    let spent = figures(rows, "fund_spent", "本月经费支出", plain(spent_cols), spent_values);
    out.push(fund);
    out.push(spent);
    // Reports, ledgers and funds (issue 27, reports27): archives, petitions, activities, care services, assistance.
    out.extend(sections::figures(rows, t));
    Ok(out)
}

fn row(code: &str, name: &str, columns: &[(String, String, ValueKind)], v: &[i64]) -> ReportRow {
    ReportRow {
        code: code.to_owned(),
        name: name.to_owned(),
        values: columns.iter().zip(v).map(|((_, _, k), x)| render(*k, *x)).collect(),
    }
}

/// The rendered report of figures `now`, with the comparison totals.
pub(crate) fn assemble(
    node: &Jurisdiction,
    month: Date,
    on: Date,
    now: &[Figures],
    previous: &BTreeMap<String, Vec<String>>,
    last_year: &BTreeMap<String, Vec<String>>,
) -> MonthlyReport {
    let sections = now
        .iter()
        .map(|f| {
            let zeros = || f.columns.iter().map(|(_, _, k)| render(*k, 0)).collect::<Vec<_>>();
            ReportSection {
                code: f.code.to_owned(),
                title: f.title.to_owned(),
                columns: f
                    .columns
                    .iter()
                    .map(|(c, t, k)| ReportColumn { code: c.clone(), title: t.clone(), kind: *k })
                    .collect(),
                rows: f.rows.iter().map(|(c, n, v)| row(c, n, &f.columns, v)).collect(),
                total: row(&node.code, &node.name, &f.columns, &f.total()),
                previous_month: previous.get(f.code).cloned().unwrap_or_else(zeros),
                same_month_last_year: last_year.get(f.code).cloned().unwrap_or_else(zeros),
            }
        })
        .collect();
    MonthlyReport {
        jurisdiction: node.code.clone(),
        name: node.name.clone(),
        month: rules::month_code(month),
        as_of: on,
        status: domain::report::MonthStatus::Open,
        sections,
        corrections: Vec::new(),
    }
}

/// The totals per section of a report, rendered.
fn totals(report: &MonthlyReport) -> BTreeMap<String, Vec<String>> {
    report.sections.iter().map(|s| (s.code.clone(), s.total.values.clone())).collect()
}

/// The totals per section of figures counted now, rendered.
fn totals_counted(figures: &[Figures]) -> BTreeMap<String, Vec<String>> {
    figures
        .iter()
        .map(|f| {
            let t = f.total();
            (f.code.to_owned(), f.columns.iter().zip(&t).map(|((_, _, k), v)| render(*k, *v)).collect())
        })
        .collect()
}

/// The report of `node`'s `month` counted now (what a close freezes), with the comparison totals.
pub(crate) fn counted(
    conn: &mut DbConnection,
    caller: &Caller,
    node: &Jurisdiction,
    month: Date,
    today: Date,
) -> Result<MonthlyReport, AppError> {
    Ok(counted_with(conn, caller, node, month, today, &[])?.0)
}

/// [`counted`], and the figures of the months `more` counted in the same pass. The comparison months are a closed
/// month's snapshot, else counted now.
fn counted_with(
    conn: &mut DbConnection,
    caller: &Caller,
    node: &Jurisdiction,
    month: Date,
    today: Date,
    more: &[Date],
) -> Result<(MonthlyReport, Vec<Vec<Figures>>), AppError> {
    let compared = [rules::previous_month(month), rules::same_month_last_year(month)];
    let mut filed = Vec::with_capacity(compared.len());
    let mut months = vec![month];
    for m in compared {
        let snapshot = super::close::snapshot_of(conn, &node.code, m)?;
        if snapshot.is_none() {
            months.push(m);
        }
        filed.push(snapshot);
    }
    let asked = months.len();
    months.extend_from_slice(more);
    let mut figures = compute_months(conn, caller, node, &months, today)?;
    let extra = figures.split_off(asked);
    let mut counted = figures.into_iter();
    let now = counted.next().ok_or_else(|| AppError::internal("the month's figures are missing"))?;
    let mut comparison = Vec::with_capacity(compared.len());
    for snapshot in filed {
        comparison.push(match snapshot {
            Some(f) => totals(&f),
            None => totals_counted(
                &counted.next().ok_or_else(|| AppError::internal("a comparison month's figures are missing"))?,
            ),
        });
    }
    let [previous, last_year] =
        <[_; 2]>::try_from(comparison).map_err(|_| AppError::internal("two comparison months"))?;
    Ok((assemble(node, month, rules::as_of(month, today), &now, &previous, &last_year), extra))
}

/// How many closed months before an open one are checked for corrections.
const CORRECTION_MONTHS: usize = 12;

/// The closed months just before `month` (back to the first open one, at most [`CORRECTION_MONTHS`]) with their
/// snapshots, the newest first.
fn closed_before(
    conn: &mut DbConnection,
    node: &Jurisdiction,
    month: Date,
) -> Result<Vec<(Date, MonthlyReport)>, AppError> {
    let mut out = Vec::new();
    let mut m = rules::previous_month(month);
    for _ in 0..CORRECTION_MONTHS {
        let Some(filed) = super::close::snapshot_of(conn, &node.code, m)? else { break };
        out.push((m, filed));
        m = rules::previous_month(m);
    }
    Ok(out)
}

/// Corrections of the closed months: each snapshot's totals against the same month's figures counted now.
fn corrections(closed: &[(Date, MonthlyReport)], now: &[Vec<Figures>]) -> Vec<Correction> {
    let mut out = Vec::new();
    for ((m, filed), now) in closed.iter().zip(now) {
        for f in now {
            let Some(section) = filed.sections.iter().find(|s| s.code == f.code) else { continue };
            let total = f.total();
            for ((code, _, kind), value) in f.columns.iter().zip(&total) {
                let before = section
                    .columns
                    .iter()
                    .position(|c| &c.code == code)
                    .and_then(|j| section.total.values.get(j))
                    .and_then(|v| parse_value(*kind, v))
                    .unwrap_or(0);
                if before != *value {
                    out.push(Correction {
                        month: rules::month_code(*m),
                        section: f.code.to_owned(),
                        column: code.clone(),
                        filed: render(*kind, before),
                        now: render(*kind, *value),
                        difference: render(*kind, value - before),
                    });
                }
            }
        }
    }
    out
}

/// The monthly report of node `code` (in the caller's subtree, else 422 `jurisdiction_not_found`) for `month`: the
/// snapshot filed at close when the month is closed; else counted now, with the corrections of the closed months
/// just before it (all months counted in one pass).
pub fn monthly_report(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    month: Date,
    today: Date,
) -> Result<MonthlyReport, AppError> {
    let node = node_in_scope(conn, caller, code, "jurisdiction")?;
    let month = rules::month_start(month);
    if let Some(mut filed) = super::close::snapshot_of(conn, &node.code, month)? {
        filed.status = domain::report::MonthStatus::Closed;
        filed.corrections = Vec::new();
        return Ok(filed);
    }
    let closed = closed_before(conn, &node, month)?;
    let months: Vec<Date> = closed.iter().map(|(m, _)| *m).collect();
    let (mut report, now) = counted_with(conn, caller, &node, month, today, &months)?;
    report.corrections = corrections(&closed, &now);
    Ok(report)
}

/// The report as a file: one sheet per section (Chinese headers, the node and month in the title, a totals row),
/// and a comparison sheet (this month, the previous month, the same month last year, and the differences).
pub fn report_file(
    report: &MonthlyReport,
    format: Format,
    encoding: Encoding,
    labels: Labels,
) -> Result<File, AppError> {
    let mut tables = Vec::new();
    let title_of =
        |s: &ReportSection| format!("{}（{}）{}月报 — {}", report.name, report.jurisdiction, report.month, s.title);
    for s in &report.sections {
        let mut columns = vec![Column::text("code", "单位代码"), Column::text("name", "单位名称")];
        for c in &s.columns {
            let code = intern(c.code.clone());
            let zh = intern(c.title.clone());
            columns.push(match c.kind {
                ValueKind::Count => Column::number(code, zh),
                ValueKind::Money => Column::money(code, zh),
            });
        }
        let rows = s.rows.iter().map(|r| [vec![r.code.clone(), r.name.clone()], r.values.clone()].concat()).collect();
        let totals = [vec![s.total.code.clone(), "合计".to_owned()], s.total.values.clone()].concat();
        tables.push(Table::new(intern(s.title.clone()), columns, rows).with_title(title_of(s)).with_totals(totals));
    }
    let columns = vec![
        Column::text("section", "报表"),
        Column::text("item", "指标"),
        Column::number("this_month", "本月"),
        Column::number("previous_month", "上月"),
        Column::number("month_on_month", "环比增减"),
        Column::number("same_month_last_year", "去年同月"),
        Column::number("year_on_year", "同比增减"),
    ];
    let mut rows = Vec::new();
    for s in &report.sections {
        for (i, c) in s.columns.iter().enumerate() {
            let get = |v: &[String]| v.get(i).and_then(|t| parse_value(c.kind, t)).unwrap_or(0);
            let (now, prev, last) = (get(&s.total.values), get(&s.previous_month), get(&s.same_month_last_year));
            rows.push(vec![
                s.title.clone(),
                c.title.clone(),
                render(c.kind, now),
                render(c.kind, prev),
                render(c.kind, now - prev),
                render(c.kind, last),
                render(c.kind, now - last),
            ]);
        }
    }
    tables.push(
        Table::new("同比环比", columns, rows)
            .with_title(format!("{}（{}）{}月报 — 同比环比", report.name, report.jurisdiction, report.month)),
    );
    crate::exports::table::render(
        &tables,
        format,
        encoding,
        labels,
        &format!("monthly-report-{}-{}", report.jurisdiction, report.month),
    )
}
