//! The service fund (退休人员社会化管理服务经费): yearly budgets of a district from the headcount by management level on
//! a reference date and the per-retiree standard, split between city and district (XM Art. 21; CS Art. 10 para. 1;
//! JN Art. 14-15); group-leader allowances and their split (XM Art. 23); the excellent-leader quota and awards paid
//! from the fund (XM Art. 24, 21(5)); the expenditure ledger by allowed category (XM Art. 21(1)-(7); CS Art. 10
//! para. 2; JN Art. 15); funding statements reproduced from stored snapshots; the staffing and archive-facility
//! report (JN Art. 11, 12, 20).

use domain::care::{self, Split};
use domain::fund::FundKind;
use domain::policy::{FundUse, Policy, Rounding};
use domain::{ErrorCode, Level, ManagementLevel, Money};
use persistence::fund::{self as repo, Budget};
use persistence::jurisdictions::Jurisdiction;
use persistence::{DbConnection, RepoError};
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::parse_date;
use crate::policy_book::policy_at;
use crate::scope::node_in_scope;

pub mod expenditures;
pub mod festival_bookings;
pub mod leaders;
pub mod levels;
pub mod reversals;
pub mod staffing;
pub mod statement_file;
pub mod statements;

pub(crate) fn yuan(fen: i64) -> String {
    Money::from_fen(fen).to_string()
}

/// An amount split between city and district, in yuan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"total": "1600.00", "city": "800.00", "district": "800.00"}))]
pub struct SplitYuan {
    /// Whole.
    pub total: String,
    /// City part.
    pub city: String,
    /// District part.
    pub district: String,
}

pub(crate) fn split_yuan(s: Split) -> SplitYuan {
    SplitYuan { total: yuan(s.total_fen), city: yuan(s.city_fen), district: yuan(s.district_fen) }
}

/// One management level of a budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LevelBudget {
    /// Management level (CS Art. 10: it decides who pays).
    pub management_level: ManagementLevel,
    /// Retirees on the rolls on the reference date.
    pub headcount: i64,
    /// Yuan per retiree per year.
    pub per_retiree: String,
    /// City share, 0-1.
    pub city_share: String,
    /// Article of the split.
    pub split_source: String,
    /// Headcount × standard, split.
    pub amount: SplitYuan,
}

/// Group leaders in a budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LeaderBudget {
    /// Leaders in office on the reference date.
    pub leaders: i64,
    /// Allowance per leader per month, yuan (XM Art. 23: 150).
    pub monthly_allowance: String,
    /// City share of the allowance (XM Art. 23: 0.4).
    pub allowance_city_share: String,
    /// Article of the allowance.
    pub allowance_source: String,
    /// One month of all leaders' allowances, split.
    pub monthly: SplitYuan,
    /// Twelve months, split.
    pub yearly: SplitYuan,
    /// Share of leaders named excellent (XM Art. 24: 0.1).
    pub excellent_ratio: String,
    /// How the count is rounded.
    pub excellent_rounding: Rounding,
    /// Article of the ratio.
    pub excellent_source: String,
    /// Excellent leaders the district may name this year: leaders × ratio, rounded.
    pub excellent_quota: i64,
    /// Award per excellent leader, yuan (XM Art. 24: 400), paid from the service fund (XM Art. 21(5)).
    pub excellent_award: String,
    /// Quota × award.
    pub awards_total: String,
}

fn service_fund() -> FundKind {
    FundKind::Service
}

/// What a budget was computed from and what it came to: stored when the budget is made and served as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BudgetSnapshot {
    /// The node (any level: city, district, street, community).
    pub jurisdiction: String,
    /// The fund: `service` computed from the headcount (XM Art. 21), the others appropriated by the same-level
    /// budget (`special` XM Art. 22, `working` XM Art. 20 / JN Art. 16, `subsidy` JN Art. 15). Budgets stored before
    /// fund kinds existed read `service`.
    #[serde(default = "service_fund")]
    pub fund_kind: FundKind,
    /// Article of an appropriated budget (`null` for the computed service fund).
    #[serde(default)]
    pub appropriation_source: Option<String>,
    /// Year.
    pub year: i32,
    /// Day the rolls were counted.
    #[schema(value_type = String, format = Date)]
    pub reference_date: Date,
    /// Yuan per retiree per year.
    pub per_retiree_per_year: String,
    /// Article of the standard.
    pub per_retiree_source: String,
    /// One row per management level.
    pub levels: Vec<LevelBudget>,
    /// The fund of the year: for `service` the sum of the levels, else the appropriation.
    pub fund: SplitYuan,
    /// Group leaders, their allowance and the excellent-leader quota.
    pub group_leaders: LeaderBudget,
    /// Uses the fund may pay for (their articles).
    pub allowed_uses: Vec<AllowedUse>,
}

/// An allowed use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AllowedUse {
    /// Category.
    pub category: FundUse,
    /// Article.
    pub source: String,
}

/// A budget.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 1, "jurisdiction": "350203", "year": 2026, "reference_date": "2026-01-01",
    "per_retiree_per_year": "400.00", "per_retiree_source": "XM Art. 21",
    "levels": [{"management_level": "city_managed", "headcount": 2, "per_retiree": "400.00", "city_share": "0.5",
        "split_source": "XM Art. 21", "amount": {"total": "800.00", "city": "400.00", "district": "400.00"}}],
    "fund": {"total": "800.00", "city": "400.00", "district": "400.00"},
    "group_leaders": {"leaders": 10, "monthly_allowance": "150.00", "allowance_city_share": "0.4",
        "allowance_source": "XM Art. 23", "monthly": {"total": "1500.00", "city": "600.00", "district": "900.00"},
        "yearly": {"total": "18000.00", "city": "7200.00", "district": "10800.00"}, "excellent_ratio": "0.1",
        "excellent_rounding": "down", "excellent_source": "XM Art. 24", "excellent_quota": 1,
        "excellent_award": "400.00", "awards_total": "400.00"},
    "allowed_uses": [{"category": "activities", "source": "XM Art. 21(4)"}],
    "created_by": "finance", "created_at": "2026-01-05T02:00:00Z"}))]
pub struct BudgetResponse {
    /// Id.
    pub id: i64,
    /// The stored figures.
    #[serde(flatten)]
    pub snapshot: BudgetSnapshot,
    /// Who made it.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The stored snapshot of a budget; one that does not parse is an internal error.
pub(crate) fn snapshot_of(b: &Budget) -> Result<BudgetSnapshot, AppError> {
    serde_json::from_str(&b.snapshot).map_err(|e| AppError::internal(format!("fund_budgets {}: snapshot: {e}", b.id)))
}

/// The API view of a stored budget (its snapshot as stored).
pub fn budget_response(b: Budget) -> Result<BudgetResponse, AppError> {
    let snapshot = snapshot_of(&b)?;
    Ok(BudgetResponse { id: b.id, snapshot, created_by: b.created_by, created_at: b.created_at.assume_utc() })
}

/// A node of any level in the caller's subtree, else 422 `jurisdiction_not_found` on `field` (budgets, expenses
/// and awards are kept at city, district, street and community level: XM Art. 20-22, JN Art. 14-16).
pub fn district_in_scope(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    field: &str,
) -> Result<Jurisdiction, AppError> {
    node_in_scope(conn, caller, code, field)
}

/// A district in the caller's subtree, else 422 on `field` (`jurisdiction_not_found`, `not_a_district`): the
/// staffing report is per district (JN Art. 11).
pub fn only_district_in_scope(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    field: &str,
) -> Result<Jurisdiction, AppError> {
    let node = node_in_scope(conn, caller, code, field)?;
    if node.level != Level::District {
        return Err(AppError::field(FieldError::of(field, ErrorCode::NotADistrict)));
    }
    Ok(node)
}

/// 422 `budget_missing` for `year`.
pub(crate) fn budget_missing(year: i32) -> AppError {
    AppError::with(
        ErrorCode::BudgetMissing,
        format!("{year}年度尚未编制经费预算"),
        format!("there is no budget for {year}"),
    )
}

/// The leader figures of a policy for `leaders` leaders.
fn leader_budget(p: &Policy, leaders: i64) -> LeaderBudget {
    let g = &p.group_leaders;
    let monthly = care::allowance_for(leaders, g.monthly_allowance.value, g.allowance_city_share.value);
    let yearly = care::allowance_for(leaders * 12, g.monthly_allowance.value, g.allowance_city_share.value);
    let quota = care::excellent_quota(leaders, g.excellent_ratio.value, g.excellent_rounding.value);
    LeaderBudget {
        leaders,
        monthly_allowance: g.monthly_allowance.value.to_string(),
        allowance_city_share: g.allowance_city_share.value.to_string(),
        allowance_source: g.monthly_allowance.source.clone(),
        monthly: split_yuan(monthly),
        yearly: split_yuan(yearly),
        excellent_ratio: g.excellent_ratio.value.to_string(),
        excellent_rounding: g.excellent_rounding.value,
        excellent_source: g.excellent_ratio.source.clone(),
        excellent_quota: quota,
        excellent_award: g.excellent_award.value.to_string(),
        awards_total: yuan(quota.saturating_mul(g.excellent_award.value.fen())),
    }
}

/// Computes a budget: the rolls of the district on the reference date by management level, the policy of the
/// district on that date (standard, splits, leader allowance and excellent-leader ratio).
fn compute_budget(
    conn: &mut DbConnection,
    node: &Jurisdiction,
    year: i32,
    reference_date: Date,
) -> Result<(BudgetSnapshot, i64), AppError> {
    let policy = policy_at(conn, &node.path, reference_date)?;
    let counts = repo::headcounts(conn, &node.path, reference_date)?;
    let per = policy.service_fund.per_retiree_per_year.clone();
    let mut levels = Vec::new();
    let mut fund = Split { total_fen: 0, city_fen: 0, district_fen: 0 };
    for level in ManagementLevel::ALL {
        let headcount = counts.iter().filter(|c| c.management_level == level.as_str()).map(|c| c.n).sum();
        let split = policy.split_for(*level).ok_or_else(|| AppError::internal("policy without a split"))?;
        let amount = care::fund_for(headcount, per.value, split.city_share.value);
        fund.total_fen += amount.total_fen;
        fund.city_fen += amount.city_fen;
        fund.district_fen += amount.district_fen;
        levels.push(LevelBudget {
            management_level: *level,
            headcount,
            per_retiree: per.value.to_string(),
            city_share: split.city_share.value.to_string(),
            split_source: split.city_share.source.clone(),
            amount: split_yuan(amount),
        });
    }
    let leaders =
        persistence::groups::leaders_in_office(conn, &node.path, reference_date, reference_date)?.len() as i64;
    let snapshot = BudgetSnapshot {
        jurisdiction: node.code.clone(),
        fund_kind: FundKind::Service,
        appropriation_source: None,
        year,
        reference_date,
        per_retiree_per_year: per.value.to_string(),
        per_retiree_source: per.source.clone(),
        levels,
        fund: split_yuan(fund),
        group_leaders: leader_budget(&policy, leaders),
        allowed_uses: policy
            .service_fund
            .allowed_uses
            .iter()
            .map(|u| AllowedUse { category: u.value, source: u.source.clone() })
            .collect(),
    };
    Ok((snapshot, fund.total_fen))
}

/// The article that has a fund appropriated by the same-level budget.
pub fn appropriation_article(fund: FundKind) -> &'static str {
    match fund {
        FundKind::Service => "XM Art. 21",
        FundKind::Special => "XM Art. 22",
        FundKind::Working => "XM Art. 20; JN Art. 16",
        FundKind::Subsidy => "JN Art. 15",
    }
}

/// A budget appropriated by the same-level budget: the amount as entered (the regulations leave it to the
/// budget: XM Art. 20, 22; JN Art. 15-16), paid by the city when the node is the city, else by the district.
fn appropriated_budget(
    conn: &mut DbConnection,
    node: &Jurisdiction,
    fund: FundKind,
    year: i32,
    reference_date: Date,
    amount: Money,
) -> Result<(BudgetSnapshot, i64), AppError> {
    let policy = policy_at(conn, &node.path, reference_date)?;
    let total = amount.fen();
    let split = if node.level == Level::City {
        Split { total_fen: total, city_fen: total, district_fen: 0 }
    } else {
        Split { total_fen: total, city_fen: 0, district_fen: total }
    };
    let snapshot = BudgetSnapshot {
        jurisdiction: node.code.clone(),
        fund_kind: fund,
        appropriation_source: Some(appropriation_article(fund).to_owned()),
        year,
        reference_date,
        per_retiree_per_year: "0.00".to_owned(),
        per_retiree_source: "not stated".to_owned(),
        levels: Vec::new(),
        fund: split_yuan(split),
        group_leaders: leader_budget(&policy, 0),
        allowed_uses: policy
            .service_fund
            .allowed_uses
            .iter()
            .map(|u| AllowedUse { category: u.value, source: u.source.clone() })
            .collect(),
    };
    Ok((snapshot, total))
}

/// A budget to make.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203", "year": 2026, "reference_date": "2026-01-01"}))]
pub struct CreateBudgetRequest {
    /// A node in the caller's subtree (city, district, street or community).
    pub jurisdiction: String,
    /// Year, 2000-2100.
    pub year: i32,
    /// The fund (default `service`, computed from the headcount).
    pub fund: Option<FundKind>,
    /// The appropriation, yuan: required for `special`, `working` and `subsidy` (their amounts are set by the
    /// same-level budget: XM Art. 20, 22; JN Art. 15-16 "具体标准另行通知"); not allowed for `service`.
    #[schema(value_type = Option<String>, example = "20000.00")]
    pub amount: Option<Money>,
    /// Day the rolls are counted (YYYY-MM-DD), default 1 January of the year; not in the future, in the year or
    /// the year before.
    #[schema(format = Date)]
    pub reference_date: Option<String>,
}

/// A budget to make, checked.
#[derive(Debug, Clone)]
pub struct BudgetInput {
    /// The node.
    pub jurisdiction: String,
    /// The fund.
    pub fund: FundKind,
    /// The appropriation of a fund other than `service`.
    pub amount: Option<Money>,
    /// Year.
    pub year: i32,
    /// Day the rolls are counted.
    pub reference_date: Date,
}

/// The checks of a budget as of `today`: the year 2000-2100, the reference date (default 1 January of the year)
/// not in the future and in the year or the year before.
pub fn check_budget(body: &CreateBudgetRequest, today: Date) -> Result<BudgetInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let year = body.year;
    if !(2000..=2100).contains(&year) {
        errors.push(FieldError::with(
            "/year",
            ErrorCode::OutOfRange,
            "年度应在2000至2100之间",
            "year must be 2000 to 2100",
        ));
    }
    let default_ref = Date::from_calendar_date(year.clamp(2000, 2100), Month::January, 1).unwrap_or(today);
    let reference_date = match body.reference_date.as_deref() {
        Some(t) => parse_date("/reference_date", t).map_err(|e| errors.push(e)).ok(),
        None => Some(default_ref),
    };
    if let Some(r) = reference_date.filter(|_| (2000..=2100).contains(&year)) {
        if r > today {
            errors.push(FieldError::with(
                "/reference_date",
                ErrorCode::DateInFuture,
                "基准日不能晚于今天",
                "reference_date cannot be in the future",
            ));
        } else if r.year() != year && r.year() != year - 1 {
            errors.push(FieldError::of("/reference_date", ErrorCode::ReferenceDateOutsideYear));
        }
    }
    let fund = body.fund.unwrap_or(FundKind::Service);
    match (fund, body.amount) {
        (FundKind::Service, Some(_)) => errors.push(FieldError::of("/amount", ErrorCode::AmountNotAllowed)),
        (FundKind::Service, None) => {}
        (_, None) => errors.push(FieldError::of("/amount", ErrorCode::Required)),
        (_, Some(m)) if m.fen() <= 0 => errors.push(FieldError::of("/amount", ErrorCode::MustBePositive)),
        (_, Some(_)) => {}
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(BudgetInput {
        jurisdiction: body.jurisdiction.clone(),
        fund,
        amount: body.amount,
        year,
        reference_date: reference_date.unwrap_or(default_ref),
    })
}

/// Makes the yearly budget of a district (once per year: 409 `budget_exists`): the retirees on its rolls on the
/// reference date by management level × the per-retiree standard, split between city and district by level (XM
/// Art. 21; CS Art. 10 para. 1); the leaders in office on that date with their allowance (XM Art. 23) and the
/// excellent-leader quota (XM Art. 24). Everything is stored as a snapshot and served as stored.
pub fn create_budget(conn: &mut DbConnection, caller: &Caller, input: BudgetInput) -> Result<BudgetResponse, AppError> {
    let year = input.year;
    let node = district_in_scope(conn, caller, &input.jurisdiction, "/jurisdiction")?;
    if repo::budget_of_fund(conn, &node.code, input.fund.as_str(), year)?.is_some() {
        return Err(AppError::of(ErrorCode::BudgetExists));
    }
    let (snapshot, total) = match (input.fund, input.amount) {
        (FundKind::Service, _) | (_, None) => compute_budget(conn, &node, year, input.reference_date)?,
        (fund, Some(amount)) => appropriated_budget(conn, &node, fund, year, input.reference_date, amount)?,
    };
    let text = serde_json::to_string(&snapshot).map_err(AppError::internal)?;
    let b = repo::insert_budget(
        conn,
        &node.code,
        input.fund.as_str(),
        year,
        input.reference_date,
        total,
        &text,
        &caller.login,
    )
    .map_err(|e| match e {
        RepoError::Unique(_) => AppError::of(ErrorCode::BudgetExists),
        other => other.into(),
    })?;
    let mut entry = caller.audit("budget.create", "fund_budget", b.id, &node.path);
    entry.detail = Some(serde_json::json!({"year": year, "total_fen": total}).to_string());
    persistence::audit::append(conn, &entry)?;
    budget_response(b)
}

/// Budgets of the districts under the node `jurisdiction` (in the caller's subtree, else 422
/// `jurisdiction_not_found`), optionally of one year, by id after `after`, at most `limit`.
pub fn list_budgets(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: &str,
    year: Option<i32>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<BudgetResponse>, AppError> {
    let node = node_in_scope(conn, caller, jurisdiction, "jurisdiction")?;
    repo::list_budgets(conn, &node.path, year, after, limit)?.into_iter().map(budget_response).collect()
}

/// One budget, as stored (404 outside the caller's subtree).
pub fn read_budget(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<BudgetResponse, AppError> {
    let b = repo::find_budget(conn, id)?;
    let path = crate::scope::path_of(conn, &b.jurisdiction_code)?;
    if !caller.sees(&path) {
        return Err(AppError::not_found());
    }
    budget_response(b)
}
