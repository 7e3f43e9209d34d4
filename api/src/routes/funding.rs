//! The service fund (退休人员社会化管理服务经费): yearly budgets of a district from the headcount by management level on
//! a reference date and the per-retiree standard, split between city and district (XM Art. 21; CS Art. 10 para. 1;
//! JN Art. 14-15); group-leader allowances and their split (XM Art. 23); the excellent-leader quota and awards paid
//! from the fund (XM Art. 24, 21(5)); the expenditure ledger by allowed category (XM Art. 21(1)-(7); CS Art. 10
//! para. 2; JN Art. 15); funding statements reproduced from stored snapshots; the staffing and archive-facility
//! report (JN Art. 11, 12, 20).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::care::{self, Split};
use domain::policy::{FundUse, Policy, Rounding};
use domain::{Level, ManagementLevel, Money, Permission};
use persistence::DbConnection;
use persistence::fund::{self as repo, Budget, Expenditure, NewExpenditure};
use persistence::jurisdictions::Jurisdiction;
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_name, enum_filter, finish, instant, next_cursor, node_in_scope};
use super::pension::{month_text, parse_month};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError, Msg};
use crate::extract::{Json, page, parse_date};
use crate::policy_book::policy_at;
use crate::state::AppState;

fn yuan(fen: i64) -> String {
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

fn split_yuan(s: Split) -> SplitYuan {
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

/// What a budget was computed from and what it came to: stored when the budget is made and served as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BudgetSnapshot {
    /// The district.
    pub jurisdiction: String,
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
    /// The service fund of the year: the sum of the levels.
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

fn budget_response(b: Budget) -> Result<BudgetResponse, ApiError> {
    let snapshot: BudgetSnapshot = serde_json::from_str(&b.snapshot).map_err(ApiError::internal)?;
    Ok(BudgetResponse { id: b.id, snapshot, created_by: b.created_by, created_at: instant(b.created_at) })
}

/// A district in the caller's subtree, else 422 on `field` (`jurisdiction_not_found`, `not_a_district`).
fn district_in_scope(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    field: &str,
) -> Result<Jurisdiction, ApiError> {
    let node = node_in_scope(conn, caller, code, field)?;
    if node.level != Level::District {
        return Err(ApiError::field(FieldError::new(
            field,
            "not_a_district",
            "经费按区（县）编制和结算",
            "the fund is budgeted and settled per district",
        )));
    }
    Ok(node)
}

fn unprocessable(code: &str, zh: String, en: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, Msg::new(zh, en))
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
) -> Result<(BudgetSnapshot, i64), ApiError> {
    let policy = policy_at(conn, &node.path, reference_date)?;
    let counts = repo::headcounts(conn, &node.path, reference_date)?;
    let per = policy.service_fund.per_retiree_per_year.clone();
    let mut levels = Vec::new();
    let mut fund = Split { total_fen: 0, city_fen: 0, district_fen: 0 };
    for level in ManagementLevel::ALL {
        let headcount = counts.iter().filter(|c| c.management_level == level.as_str()).map(|c| c.n).sum();
        let split = policy.split_for(*level).ok_or_else(|| ApiError::internal("policy without a split"))?;
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

/// A budget to make.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203", "year": 2026, "reference_date": "2026-01-01"}))]
pub struct CreateBudgetRequest {
    /// A district in the caller's subtree.
    pub jurisdiction: String,
    /// Year, 2000-2100.
    pub year: i32,
    /// Day the rolls are counted (YYYY-MM-DD), default 1 January of the year; not in the future, in the year or
    /// the year before.
    #[schema(format = Date)]
    pub reference_date: Option<String>,
}

/// Makes the yearly budget of a district (once per year: 409 `budget_exists`): the retirees on its rolls on the
/// reference date by management level × the per-retiree standard, split between city and district by level (XM
/// Art. 21: 400 yuan, 1:1; CS Art. 10 para. 1: 100 yuan, city 50% / district 50% for city-managed and
/// central-provincial retirees, district 100% for district-managed); the leaders in office on that date with their
/// allowance (XM Art. 23: 150 yuan a month, 4:6) and the excellent-leader quota (XM Art. 24: 10%, 400 yuan each).
/// Everything is stored as a snapshot and served as stored, whatever the rolls do later.
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"])), request_body = CreateBudgetRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = BudgetResponse, headers(("Location" = String))), crate::openapi::FundErrors))]
#[post("/funding/budgets")]
pub async fn create_budget(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateBudgetRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::FundManage)?;
    let body = body.0;
    let mut errors = Vec::new();
    let now = today;
    let year = body.year;
    if !(2000..=2100).contains(&year) {
        errors.push(FieldError::new("/year", "out_of_range", "年度应在2000至2100之间", "year must be 2000 to 2100"));
    }
    let default_ref = Date::from_calendar_date(year.clamp(2000, 2100), Month::January, 1).unwrap_or(now);
    let reference_date = match body.reference_date.as_deref() {
        Some(t) => parse_date("/reference_date", t).map_err(|e| errors.push(e)).ok(),
        None => Some(default_ref),
    };
    if let Some(r) = reference_date.filter(|_| (2000..=2100).contains(&year)) {
        if r > now {
            errors.push(FieldError::new(
                "/reference_date",
                "date_in_future",
                "基准日不能晚于今天",
                "reference_date cannot be in the future",
            ));
        } else if r.year() != year && r.year() != year - 1 {
            errors.push(FieldError::new(
                "/reference_date",
                "reference_date_outside_year",
                "基准日应在该年度或上一年度内",
                "reference_date must lie in the year or the year before",
            ));
        }
    }
    finish(errors)?;
    let reference_date = reference_date.unwrap_or(default_ref);
    let fingerprint = crate::idempotency::fingerprint("POST /funding/budgets", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let node = district_in_scope(conn, &c, &body.jurisdiction, "/jurisdiction")?;
        if repo::budget_of(conn, &node.code, year)?.is_some() {
            return Err(ApiError::of(domain::ErrorCode::BudgetExists));
        }
        let (snapshot, total) = compute_budget(conn, &node, year, reference_date)?;
        let text = serde_json::to_string(&snapshot).map_err(ApiError::internal)?;
        let b = repo::insert_budget(conn, &node.code, year, reference_date, total, &text, &c.login).map_err(
            |e| match e {
                persistence::RepoError::Unique(_) => ApiError::of(domain::ErrorCode::BudgetExists),
                other => other.into(),
            },
        )?;
        let mut entry = c.audit("budget.create", "fund_budget", b.id, &node.path);
        entry.detail = Some(serde_json::json!({"year": year, "total_fen": total}).to_string());
        persistence::audit::append(conn, &entry)?;
        let body = budget_response(b)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/funding/budgets/{}", body.id),
            version: 1,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Filters of the budget list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BudgetQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Year.
    pub year: Option<i32>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Budgets of the districts in the caller's subtree, by id.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(BudgetQuery),
    responses((status = 200, body = Page<BudgetResponse>), crate::openapi::ReadErrors))]
#[get("/funding/budgets")]
pub async fn list_budgets(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<BudgetQuery>,
) -> Result<web::Json<Page<BudgetResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("bg", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let found = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        Ok(repo::list_budgets(conn, &node.path, q.year, after, limit)?)
    })
    .await?;
    let next = next_cursor(&found, limit, "bg", |b| b.id.to_string());
    let items = found.into_iter().map(budget_response).collect::<Result<Vec<_>, _>>()?;
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One budget, as stored.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Budget id")),
    responses((status = 200, body = BudgetResponse), crate::openapi::ReadErrors))]
#[get("/funding/budgets/{id}")]
pub async fn get_budget(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<BudgetResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let b = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let b = repo::find_budget(conn, id)?;
        let node = persistence::jurisdictions::find(conn, &b.jurisdiction_code)?;
        if !c.sees(&node.path) {
            return Err(ApiError::not_found());
        }
        Ok(b)
    })
    .await?;
    Ok(web::Json(budget_response(b)?))
}

// ---------------------------------------------------------------------------------------------------------------
// Leader allowances

/// Which month.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllowanceQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Month (`YYYY-MM`), default this month.
    pub month: Option<String>,
}

/// The leader allowances of a month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"jurisdiction": "350203", "month": "2026-05", "leaders": 10, "monthly_allowance": "150.00",
    "allowance_city_share": "0.4", "source": "XM Art. 23",
    "amount": {"total": "1500.00", "city": "600.00", "district": "900.00"}}))]
pub struct AllowanceResponse {
    /// The node.
    pub jurisdiction: String,
    /// Month.
    pub month: String,
    /// Leaders in office some day of the month (one per group at a time).
    pub leaders: i64,
    /// Allowance per leader, yuan (policy on the first of the month).
    pub monthly_allowance: String,
    /// City share.
    pub allowance_city_share: String,
    /// Article.
    pub source: String,
    /// Leaders × allowance, split between city and district.
    pub amount: SplitYuan,
}

/// The group-leader allowances of a node for a month (XM Art. 23: "每人每月补贴150元…由市、区财政按4:6的比例承担"):
/// the leaders in office that month × the monthly allowance, split city:district. A group whose leader changed in
/// the month counts once.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(AllowanceQuery),
    responses((status = 200, body = AllowanceResponse), crate::openapi::ReadErrors))]
#[get("/funding/leader-allowances")]
pub async fn leader_allowances(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<AllowanceQuery>,
) -> Result<web::Json<AllowanceResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let month = match q.month.as_deref() {
        Some(m) => parse_month("month", m).map_err(|e| errors.push(e)).ok(),
        None => Some(domain::pension::month_of(today)),
    };
    finish(errors)?;
    let month = month.unwrap_or_else(|| domain::pension::month_of(today));
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let out = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        let policy = policy_at(conn, &node.path, month)?;
        let last = domain::movement::month_end(month);
        let mut groups: Vec<i64> = persistence::groups::leaders_in_office(conn, &node.path, month, last)?
            .iter()
            .map(|(l, _)| l.group_id)
            .collect();
        groups.sort_unstable();
        groups.dedup();
        let leaders = groups.len() as i64;
        let g = &policy.group_leaders;
        Ok(AllowanceResponse {
            jurisdiction: node.code,
            month: month_text(month),
            leaders,
            monthly_allowance: g.monthly_allowance.value.to_string(),
            allowance_city_share: g.allowance_city_share.value.to_string(),
            source: g.monthly_allowance.source.clone(),
            amount: split_yuan(care::allowance_for(leaders, g.monthly_allowance.value, g.allowance_city_share.value)),
        })
    })
    .await?;
    Ok(web::Json(out))
}

// ---------------------------------------------------------------------------------------------------------------
// Expenditures

/// An expenditure.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 3, "jurisdiction": "350203", "year": 2026, "on_date": "2026-10-20",
    "category": "activities", "amount": "500.00", "description": "重阳节文艺汇演场地", "leader_id": null,
    "created_by": "finance", "created_at": "2026-10-20T03:00:00Z"}))]
pub struct ExpenditureResponse {
    /// Id.
    pub id: i64,
    /// The district.
    pub jurisdiction: String,
    /// Budget year.
    pub year: i32,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Category.
    pub category: FundUse,
    /// Amount, yuan.
    pub amount: String,
    /// What for.
    pub description: String,
    /// The excellent leader awarded (category `excellent_leader_award`).
    pub leader_id: Option<i64>,
    /// Who.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn expenditure_response(e: Expenditure) -> ExpenditureResponse {
    ExpenditureResponse {
        id: e.id,
        jurisdiction: e.jurisdiction_code,
        year: e.year,
        on_date: e.on_date,
        category: e.category,
        amount: yuan(e.amount_fen),
        description: e.description,
        leader_id: e.leader_id,
        created_by: e.created_by,
        created_at: instant(e.created_at),
    }
}

/// Checks an expense against the rules and records it: an open statement, a budget for the year, a category the
/// policy allows on the day, and the budget not exceeded.
fn spend(
    conn: &mut DbConnection,
    caller: &Caller,
    node: &Jurisdiction,
    e: NewExpenditure,
) -> Result<Expenditure, ApiError> {
    if repo::statement_of(conn, &node.code, e.year)?.is_some() {
        return Err(ApiError::of(domain::ErrorCode::StatementClosed));
    }
    let budget = repo::budget_of(conn, &node.code, e.year)?.ok_or_else(|| {
        unprocessable(
            "budget_missing",
            format!("{}年度尚未编制经费预算", e.year),
            format!("there is no budget for {}", e.year),
        )
    })?;
    repo::lock_budget(conn, budget.id)?;
    let policy = policy_at(conn, &node.path, e.on_date)?;
    let category = FundUse::parse(&e.category).ok_or_else(|| ApiError::internal("unchecked category"))?;
    if !policy.allows_use(category) {
        return Err(unprocessable(
            "expense_category_not_allowed",
            format!("适用的政策不允许经费用于“{}”", category.label_zh()),
            format!("the policy in force does not allow the fund to pay for {category}"),
        ));
    }
    let spent = repo::spent(conn, &node.code, e.year)?;
    if spent + e.amount_fen > budget.total_fen {
        return Err(unprocessable(
            "budget_exceeded",
            format!(
                "超出预算：预算{}元，已支出{}元，本次{}元",
                yuan(budget.total_fen),
                yuan(spent),
                yuan(e.amount_fen)
            ),
            format!(
                "over budget: budget {}, spent {}, this expense {}",
                yuan(budget.total_fen),
                yuan(spent),
                yuan(e.amount_fen)
            ),
        ));
    }
    let saved = repo::insert_expenditure(conn, &e).map_err(|err| match err {
        persistence::RepoError::Unique(_) => ApiError::of(domain::ErrorCode::AlreadyAwarded),
        other => other.into(),
    })?;
    let mut entry = caller.audit("expenditure.create", "fund_expenditure", saved.id, &node.path);
    entry.detail = Some(
        serde_json::json!({"category": saved.category, "amount_fen": saved.amount_fen, "year": saved.year}).to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(saved)
}

/// An expense to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203", "on_date": "2026-10-20", "category": "activities",
    "amount": "500.00", "description": "重阳节文艺汇演场地"}))]
pub struct CreateExpenditureRequest {
    /// A district in the caller's subtree.
    pub jurisdiction: String,
    /// Day (YYYY-MM-DD), default today, not in the future; its year is the budget year.
    #[schema(format = Date)]
    pub on_date: Option<String>,
    /// Category; the policy of the district on the day must allow it.
    pub category: FundUse,
    /// Amount, yuan, above 0.
    #[schema(value_type = String, example = "500.00")]
    pub amount: Money,
    /// What for, 1-200 characters.
    pub description: String,
}

/// Records an expense of the service fund. A category the policy does not allow (XM Art. 21(1)-(7); CS Art. 10
/// para. 2; JN Art. 15) is 422 `expense_category_not_allowed`; beyond the year's budget 422 `budget_exceeded`;
/// without a budget 422 `budget_missing`; after the statement is closed 409 `statement_closed`. Excellent-leader
/// awards go through `POST /funding/leader-awards` (409 `use_leader_awards` here).
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"])), request_body = CreateExpenditureRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = ExpenditureResponse, headers(("Location" = String))), crate::openapi::FundErrors))]
#[post("/funding/expenditures")]
pub async fn create_expenditure(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateExpenditureRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::FundManage)?;
    let body = body.0;
    let mut errors = Vec::new();
    let on = super::common::date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let description = check_name("/description", &body.description, 200, &mut errors);
    if body.amount.fen() == 0 {
        errors.push(FieldError::new("/amount", "must_be_positive", "金额应大于0", "amount must be above 0"));
    }
    finish(errors)?;
    if body.category == FundUse::ExcellentLeaderAward {
        return Err(ApiError::of(domain::ErrorCode::UseLeaderAwards));
    }
    let fingerprint = crate::idempotency::fingerprint("POST /funding/expenditures", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let node = district_in_scope(conn, &c, &body.jurisdiction, "/jurisdiction")?;
        let e = NewExpenditure {
            jurisdiction_code: node.code.clone(),
            year: on.year(),
            on_date: on,
            category: body.category.as_str().to_owned(),
            amount_fen: body.amount.fen(),
            description,
            leader_id: None,
            created_by: c.login.clone(),
            created_at: persistence::now_utc(),
        };
        let saved = spend(conn, &c, &node, e)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/funding/expenditures/{}", saved.id),
            version: 1,
            body: serde_json::to_value(expenditure_response(saved)).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Filters of the ledger.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpenditureQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Year.
    pub year: Option<i32>,
    /// Category.
    pub category: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The expenditure ledger of the districts in the caller's subtree, by id (append-only; XM Art. 26, CS Art. 11:
/// earmarked and open to audit).
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(ExpenditureQuery),
    responses((status = 200, body = Page<ExpenditureResponse>), crate::openapi::ReadErrors))]
#[get("/funding/expenditures")]
pub async fn list_expenditures(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ExpenditureQuery>,
) -> Result<web::Json<Page<ExpenditureResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("ex", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let category = enum_filter("category", q.category.as_deref(), FundUse::parse, FundUse::codes(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let found = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        Ok(repo::list_expenditures(conn, &node.path, q.year, category.map(FundUse::as_str), after, limit)?)
    })
    .await?;
    let next = next_cursor(&found, limit, "ex", |e| e.id.to_string());
    Ok(web::Json(Page { items: found.into_iter().map(expenditure_response).collect(), next_cursor: next }))
}

/// One expenditure of the ledger.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Expenditure id")),
    responses((status = 200, body = ExpenditureResponse), crate::openapi::ReadErrors))]
#[get("/funding/expenditures/{id}")]
pub async fn get_expenditure(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<ExpenditureResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let e = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let e = repo::find_expenditure(conn, id)?;
        let node = persistence::jurisdictions::find(conn, &e.jurisdiction_code)?;
        if !c.sees(&node.path) {
            return Err(ApiError::not_found());
        }
        Ok(e)
    })
    .await?;
    Ok(web::Json(expenditure_response(e)))
}

// ---------------------------------------------------------------------------------------------------------------
// Excellent-leader awards

/// An award.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203", "leader_id": 5, "on_date": "2026-12-01"}))]
pub struct CreateAwardRequest {
    /// The district (its budget pays; XM Art. 21(5)).
    pub jurisdiction: String,
    /// The leader term awarded: in the district, in office some day of the award's year.
    pub leader_id: i64,
    /// Day (YYYY-MM-DD), default today, not in the future; its year is the award year.
    #[schema(format = Date)]
    pub on_date: Option<String>,
}

/// Names an excellent group leader and pays the award from the service fund (XM Art. 24:
/// "按退休人员小组长人数的10%评选优秀组长，奖励金按每人400元"; Art. 21(5)). The amount is the policy's; the quota is the
/// one stored with the year's budget (leaders on its reference date × ratio, rounded); one more is 422
/// `excellent_quota_exceeded`, a second award to one leader in a year 409 `already_awarded`. The expense is checked
/// as any other (`expense_category_not_allowed`, `budget_exceeded`).
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"])), request_body = CreateAwardRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = ExpenditureResponse, headers(("Location" = String))), crate::openapi::FundErrors))]
#[post("/funding/leader-awards")]
pub async fn create_award(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateAwardRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::FundManage)?;
    let body = body.0;
    let mut errors = Vec::new();
    let on = super::common::date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    finish(errors)?;
    let fingerprint = crate::idempotency::fingerprint("POST /funding/leader-awards", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let node = district_in_scope(conn, &c, &body.jurisdiction, "/jurisdiction")?;
        let year = on.year();
        let start = Date::from_calendar_date(year, Month::January, 1).unwrap_or(on);
        let end = Date::from_calendar_date(year, Month::December, 31).unwrap_or(on);
        let leader = persistence::groups::leaders_in_office(conn, &node.path, start, end)?
            .into_iter()
            .map(|(l, _)| l)
            .find(|l| l.id == body.leader_id)
            .ok_or_else(|| {
                ApiError::field(FieldError::new(
                    "/leader_id",
                    "leader_not_found",
                    "该区本年度没有这位小组长",
                    "no such leader in office in the district this year",
                ))
            })?;
        let budget = repo::budget_of(conn, &node.code, year)?.ok_or_else(|| {
            unprocessable(
                "budget_missing",
                format!("{year}年度尚未编制经费预算"),
                format!("there is no budget for {year}"),
            )
        })?;
        repo::lock_budget(conn, budget.id)?;
        let snapshot: BudgetSnapshot = serde_json::from_str(&budget.snapshot).map_err(ApiError::internal)?;
        let quota = snapshot.group_leaders.excellent_quota;
        let awarded = repo::expenditures_of(conn, &node.code, year)?
            .iter()
            .filter(|e| e.category == FundUse::ExcellentLeaderAward)
            .count() as i64;
        if awarded >= quota {
            return Err(unprocessable(
                "excellent_quota_exceeded",
                format!("本年度优秀小组长名额{quota}名已满（{}）", snapshot.group_leaders.excellent_source),
                format!(
                    "the {quota} excellent-leader places of the year are taken ({})",
                    snapshot.group_leaders.excellent_source
                ),
            ));
        }
        let policy = policy_at(conn, &node.path, on)?;
        let e = NewExpenditure {
            jurisdiction_code: node.code.clone(),
            year,
            on_date: on,
            category: FundUse::ExcellentLeaderAward.as_str().to_owned(),
            amount_fen: policy.group_leaders.excellent_award.value.fen(),
            description: format!("优秀小组长奖励金：{}", leader.name),
            leader_id: Some(leader.id),
            created_by: c.login.clone(),
            created_at: persistence::now_utc(),
        };
        let saved = spend(conn, &c, &node, e)?;
        Ok(crate::idempotency::Created {
            location: format!(
                "/api/v1/funding/expenditures?jurisdiction={}&year={year}&category=excellent_leader_award",
                node.code
            ),
            version: 1,
            body: serde_json::to_value(expenditure_response(saved)).map_err(ApiError::internal)?,
        })
    })
    .await
}

// ---------------------------------------------------------------------------------------------------------------
// Statements

/// Spending of one category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CategoryLine {
    /// Category.
    pub category: FundUse,
    /// Expenses.
    pub count: i64,
    /// Their sum, yuan.
    pub amount: String,
}

/// A funding statement of a district and year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"jurisdiction": "350203", "year": 2025, "budget_id": 1, "budget": {"total": "1600.00",
    "city": "800.00", "district": "800.00"}, "reference_date": "2025-01-01", "headcount": 4,
    "by_category": [{"category": "activities", "count": 1, "amount": "500.00"}], "spent": "500.00",
    "balance": "1100.00", "excellent_quota": 1, "excellent_awarded": 0, "closed": true,
    "closed_at": "2026-01-10T02:00:00Z"}))]
pub struct StatementResponse {
    /// The district.
    pub jurisdiction: String,
    /// Year.
    pub year: i32,
    /// The budget it settles.
    pub budget_id: i64,
    /// The budget, as stored (city and district parts).
    pub budget: SplitYuan,
    /// Reference date of the budget's headcount.
    #[schema(value_type = String, format = Date)]
    pub reference_date: Date,
    /// Headcount of the budget.
    pub headcount: i64,
    /// Spending by category (only categories with spending), in category order.
    pub by_category: Vec<CategoryLine>,
    /// Everything spent.
    pub spent: String,
    /// Budget − spent.
    pub balance: String,
    /// Excellent-leader places of the year (from the budget).
    pub excellent_quota: i64,
    /// Awards paid.
    pub excellent_awarded: i64,
    /// Closed: served from the stored snapshot.
    pub closed: bool,
    /// When it was closed.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
}

/// The statement computed from the stored budget snapshot and the stored ledger (never from today's rolls).
fn compute_statement(conn: &mut DbConnection, node: &Jurisdiction, year: i32) -> Result<StatementResponse, ApiError> {
    let budget = repo::budget_of(conn, &node.code, year)?.ok_or_else(ApiError::not_found)?;
    let snapshot: BudgetSnapshot = serde_json::from_str(&budget.snapshot).map_err(ApiError::internal)?;
    let ledger = repo::expenditures_of(conn, &node.code, year)?;
    let mut by_category = Vec::new();
    let mut spent = 0;
    for cat in FundUse::ALL {
        let lines: Vec<&Expenditure> = ledger.iter().filter(|e| e.category == *cat).collect();
        if lines.is_empty() {
            continue;
        }
        let amount: i64 = lines.iter().map(|e| e.amount_fen).sum();
        spent += amount;
        by_category.push(CategoryLine { category: *cat, count: lines.len() as i64, amount: yuan(amount) });
    }
    let excellent_awarded = ledger.iter().filter(|e| e.category == FundUse::ExcellentLeaderAward).count() as i64;
    Ok(StatementResponse {
        jurisdiction: node.code.clone(),
        year,
        budget_id: budget.id,
        budget: snapshot.fund.clone(),
        reference_date: snapshot.reference_date,
        headcount: snapshot.levels.iter().map(|l| l.headcount).sum(),
        by_category,
        spent: yuan(spent),
        balance: yuan(budget.total_fen - spent),
        excellent_quota: snapshot.group_leaders.excellent_quota,
        excellent_awarded,
        closed: false,
        closed_at: None,
    })
}

fn stored_statement(s: repo::Statement) -> Result<StatementResponse, ApiError> {
    let mut out: StatementResponse = serde_json::from_str(&s.snapshot).map_err(ApiError::internal)?;
    out.closed = true;
    out.closed_at = Some(instant(s.closed_at));
    Ok(out)
}

/// The funding statement of a district and year: the budget as stored with it (its headcount and figures) and the
/// ledger by category, spent and balance. Once closed it is served from the stored snapshot; before, it is
/// computed from the stored budget and ledger, so new retirees never change a past year. 404 without a budget.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])),
    params(("jurisdiction" = String, Path, description = "District code"), ("year" = i32, Path, description = "Year")),
    responses((status = 200, body = StatementResponse), crate::openapi::ReadErrors))]
#[get("/funding/statements/{jurisdiction}/{year}")]
pub async fn statement(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<web::Json<StatementResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let (code, year) = path.into_inner();
    let c = caller.clone();
    let out = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = persistence::jurisdictions::find(conn, &code)
            .ok()
            .filter(|n| c.sees(&n.path))
            .ok_or_else(ApiError::not_found)?;
        match repo::statement_of(conn, &node.code, year)? {
            Some(s) => stored_statement(s),
            None => compute_statement(conn, &node, year),
        }
    })
    .await?;
    Ok(web::Json(out))
}

/// Closes the statement of a district and year: the figures as computed now are stored and served from then on;
/// no expense of that year is accepted afterwards (409 `statement_closed`). Closing twice is 409
/// `statement_closed`.
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"])),
    params(("jurisdiction" = String, Path, description = "District code"), ("year" = i32, Path, description = "Year")),
    responses((status = 200, body = StatementResponse), crate::openapi::WriteErrors))]
#[post("/funding/statements/{jurisdiction}/{year}/close")]
pub async fn close_statement(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<web::Json<StatementResponse>, ApiError> {
    caller.require(Permission::FundManage)?;
    let (code, year) = path.into_inner();
    let c = caller.clone();
    let out = crate::db::write(&state.pool, move |conn| {
        let node = persistence::jurisdictions::find(conn, &code)
            .ok()
            .filter(|n| c.sees(&n.path))
            .ok_or_else(ApiError::not_found)?;
        if repo::statement_of(conn, &node.code, year)?.is_some() {
            return Err(ApiError::with(
                domain::ErrorCode::StatementClosed,
                "该年度经费已结算",
                "the statement of this year is closed",
            ));
        }
        let computed = compute_statement(conn, &node, year)?;
        let text = serde_json::to_string(&computed).map_err(ApiError::internal)?;
        let s = repo::close_statement(conn, &node.code, year, &text, &c.login)?;
        let mut entry = c.audit("statement.close", "fund_statement", s.id, &node.path);
        entry.detail = Some(serde_json::json!({"year": year, "spent": computed.spent}).to_string());
        persistence::audit::append(conn, &entry)?;
        stored_statement(s)
    })
    .await?;
    Ok(web::Json(out))
}

// ---------------------------------------------------------------------------------------------------------------
// Staffing and archive facilities

/// Query of the staffing report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffingQuery {
    /// A district in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Personnel archive volumes held (default 0), for the keepers and storage area.
    pub archive_volumes: Option<i64>,
}

/// One community of the staffing report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommunityStaffing {
    /// Community.
    pub code: String,
    /// Name.
    pub name: String,
    /// Retirees on its roll.
    pub retirees: i64,
    /// Full-time workers to add (JN Art. 11: not below 1500:1; over 500: one).
    pub full_time_workers: i64,
    /// Under 500: one community worker may do it part-time.
    pub part_time: bool,
}

/// The staffing and archive-facility requirements of a district.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"jurisdiction": "350206", "communities": [{"code": "350206001001", "name": "湖里社区居委会",
    "retirees": 2, "full_time_workers": 0, "part_time": true}], "community_workers": 0, "streets": 1,
    "street_workers": 2, "district_office_workers": 2, "total_workers": 4, "archive_volumes": 25000,
    "archive_keepers": 3, "archive_area_m2": 150,
    "sources": {"retirees_per_worker": "JN Art. 11", "archive_volumes_per_keeper": "JN Art. 12",
        "archive_m2_per_10000_volumes": "JN Art. 20"}}))]
pub struct StaffingReport {
    /// The district.
    pub jurisdiction: String,
    /// Every community of the district, by code.
    pub communities: Vec<CommunityStaffing>,
    /// Sum of the communities' full-time workers.
    pub community_workers: i64,
    /// Streets in the district.
    pub streets: i64,
    /// Extra workers of the streets (JN Art. 11: at least 2 each).
    pub street_workers: i64,
    /// Extra workers of the district office (JN Art. 11: at least 2).
    pub district_office_workers: i64,
    /// Community + street + district office workers.
    pub total_workers: i64,
    /// Archive volumes.
    pub archive_volumes: i64,
    /// Archive keepers (JN Art. 12: one per 10,000 volumes, rounded up).
    pub archive_keepers: i64,
    /// Archive storage, m² (JN Art. 20: 60 m² per 10,000 volumes, rounded up).
    pub archive_area_m2: i64,
    /// The article of each ratio used.
    pub sources: serde_json::Value,
}

/// The staffing and archive-facility requirements of a district under its policy (JN Art. 11: a worker per 1,500
/// retirees received, one for 500-1,500, a part-time worker under 500, the district office and each street at least
/// 2 more; Art. 12: an archive keeper per 10,000 volumes; Art. 20: 60 m² of storage per 10,000 volumes).
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(StaffingQuery),
    responses((status = 200, body = StaffingReport), crate::openapi::ReadErrors))]
#[get("/reports/staffing")]
pub async fn staffing(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<StaffingQuery>,
) -> Result<web::Json<StaffingReport>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let volumes = q.archive_volumes.unwrap_or(0);
    if !(0..=100_000_000).contains(&volumes) {
        return Err(ApiError::field(FieldError::new(
            "archive_volumes",
            "out_of_range",
            "档案卷数应在0至1亿之间",
            "archive_volumes must be 0 to 100,000,000",
        )));
    }
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let out = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = district_in_scope(conn, &c, &code, "jurisdiction")?;
        let policy = policy_at(conn, &node.path, today)?;
        let s = &policy.staffing;
        let counts = repo::on_roll_by_community(conn, &node.path)?;
        let communities: Vec<CommunityStaffing> = persistence::jurisdictions::list_in_scope(
            conn,
            &node.path,
            Some(Level::Community.as_str()),
            None,
            None,
            i64::MAX,
        )?
        .into_iter()
        .map(|ch| {
            let retirees = counts.iter().find(|c| c.code == ch.code).map_or(0, |c| c.n);
            let staff = care::community_staff(retirees, s);
            CommunityStaffing {
                code: ch.code,
                name: ch.name,
                retirees,
                full_time_workers: staff.full_time,
                part_time: staff.part_time,
            }
        })
        .collect();
        let streets = persistence::jurisdictions::list_in_scope(
            conn,
            &node.path,
            Some(Level::Street.as_str()),
            None,
            None,
            i64::MAX,
        )?
        .len() as i64;
        let community_workers = communities.iter().map(|c| c.full_time_workers).sum();
        let street_workers = streets * i64::from(s.street_extra_workers.value);
        let district_office_workers = i64::from(s.district_office_extra_workers.value);
        Ok(StaffingReport {
            jurisdiction: node.code,
            communities,
            community_workers,
            streets,
            street_workers,
            district_office_workers,
            total_workers: community_workers + street_workers + district_office_workers,
            archive_volumes: volumes,
            archive_keepers: care::archive_keepers(volumes, s),
            archive_area_m2: care::archive_area_m2(volumes, s),
            sources: serde_json::json!({
                "retirees_per_worker": s.retirees_per_worker.source,
                "part_time_below": s.part_time_below.source,
                "street_extra_workers": s.street_extra_workers.source,
                "district_office_extra_workers": s.district_office_extra_workers.source,
                "archive_volumes_per_keeper": s.archive_volumes_per_keeper.source,
                "archive_m2_per_10000_volumes": s.archive_m2_per_10000_volumes.source,
            }),
        })
    })
    .await?;
    Ok(web::Json(out))
}
