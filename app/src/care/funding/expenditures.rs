//! The expenditure ledger by allowed category (XM Art. 21(1)-(7); CS Art. 10 para. 2; JN Art. 15).

use domain::fund::FundKind;
use domain::policy::FundUse;
use domain::{ErrorCode, Money};
use persistence::fund::{self as repo, Expenditure, NewExpenditure};
use persistence::jurisdictions::Jurisdiction;
use persistence::{DbConnection, RepoError};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::{budget_missing, district_in_scope, yuan};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, date_not_after};
use crate::policy_book::policy_at;
use crate::scope::node_in_scope;

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
    /// The fund it is booked against.
    pub fund: FundKind,
    /// The condolence this booking pays (booked with it in one transaction).
    pub condolence_id: Option<i64>,
    /// The booking this one reverses (its amount is negative).
    pub reverses_id: Option<i64>,
    /// Who.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The API view of a stored expenditure.
pub fn expenditure_response(e: Expenditure) -> ExpenditureResponse {
    ExpenditureResponse {
        id: e.id,
        jurisdiction: e.jurisdiction_code,
        year: e.year,
        on_date: e.on_date,
        category: e.category,
        amount: yuan(e.amount_fen),
        description: e.description,
        leader_id: e.leader_id,
        fund: FundKind::parse(&e.fund).unwrap_or(FundKind::Service),
        condolence_id: e.condolence_id,
        reverses_id: e.reverses_id,
        created_by: e.created_by,
        created_at: e.created_at.assume_utc(),
    }
}

/// Checks an expense against the rules and records it with its audit entry: an open year (409 `statement_closed`:
/// the district statement or the fund's year closed), a budget or an allocation received for the fund and year (422
/// `budget_missing`), a category the policy allows on the day (422 `expense_category_not_allowed`), and the balance
/// (budget + allocations received − allocations made − spent) not exceeded: 422 `budget_exceeded` for an expense
/// entered by finance, 409 `payment_over_budget` for a payment booked automatically (`payment`).
pub(crate) fn spend(
    conn: &mut DbConnection,
    caller: &Caller,
    node: &Jurisdiction,
    e: NewExpenditure,
    payment: bool,
) -> Result<Expenditure, AppError> {
    let fund = FundKind::parse(&e.fund).ok_or_else(|| AppError::internal("unchecked fund"))?;
    super::levels::ensure_open(conn, &node.code, fund, e.year)?;
    let figures = super::levels::lock_and_figures(conn, &node.code, fund, e.year)?;
    if figures.budget_fen == 0
        && figures.allocated_in_fen == 0
        && repo::budget_of_fund(conn, &node.code, fund.as_str(), e.year)?.is_none()
    {
        return Err(budget_missing(e.year));
    }
    let policy = policy_at(conn, &node.path, e.on_date)?;
    let category = FundUse::parse(&e.category).ok_or_else(|| AppError::internal("unchecked category"))?;
    if !policy.allows_use(category) {
        return Err(AppError::with(
            ErrorCode::ExpenseCategoryNotAllowed,
            format!("适用的政策不允许经费用于“{}”", category.label_zh()),
            format!("the policy in force does not allow the fund to pay for {category}"),
        ));
    }
    if e.amount_fen > 0 && domain::fund::check_payment(&figures, e.amount_fen).is_err() {
        let (available, committed) = (figures.available_fen(), figures.allocated_out_fen + figures.spent_fen);
        let zh = format!(
            "超出经费结余：可用{}元（预算及上级分配），已分配和支出{}元，本次{}元",
            yuan(available),
            yuan(committed),
            yuan(e.amount_fen)
        );
        let en = format!(
            "over budget: available {} (budget and allocations received), allocated and spent {}, this {}",
            yuan(available),
            yuan(committed),
            yuan(e.amount_fen)
        );
        let code = if payment { ErrorCode::PaymentOverBudget } else { ErrorCode::BudgetExceeded };
        return Err(AppError::with(code, zh, en));
    }
    let saved = repo::insert_expenditure(conn, &e).map_err(|err| match err {
        RepoError::Unique(_) => AppError::of(ErrorCode::AlreadyAwarded),
        other => other.into(),
    })?;
    let mut entry = caller.audit("expenditure.create", "fund_expenditure", saved.id, &node.path);
    entry.detail = Some(
        serde_json::json!({"fund": saved.fund, "category": saved.category, "amount_fen": saved.amount_fen,
            "year": saved.year, "condolence_id": saved.condolence_id, "reverses_id": saved.reverses_id})
        .to_string(),
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
    /// A node in the caller's subtree (any level).
    pub jurisdiction: String,
    /// The fund (default `service`).
    pub fund: Option<FundKind>,
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

/// An expense to record, checked.
#[derive(Debug, Clone)]
pub struct ExpenseInput {
    /// The node.
    pub jurisdiction: String,
    /// The fund.
    pub fund: FundKind,
    /// Day.
    pub on_date: Date,
    /// Category (never `excellent_leader_award`).
    pub category: FundUse,
    /// Amount.
    pub amount: Money,
    /// What for.
    pub description: String,
}

/// The checks of an expense as of `today`: the day not in the future (default today), the description's length,
/// an amount above 0 (422); an excellent-leader award is 409 `use_leader_awards` (awards go through
/// [`super::leaders::award`]).
pub fn check_expense(body: &CreateExpenditureRequest, today: Date) -> Result<ExpenseInput, AppError> {
    let mut errors = Vec::new();
    let on_date = date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let description = check_name("/description", &body.description, 200, &mut errors);
    if body.amount.fen() == 0 {
        errors.push(FieldError::of("/amount", ErrorCode::MustBePositive));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    if body.category == FundUse::ExcellentLeaderAward {
        return Err(AppError::of(ErrorCode::UseLeaderAwards));
    }
    Ok(ExpenseInput {
        jurisdiction: body.jurisdiction.clone(),
        fund: body.fund.unwrap_or(FundKind::Service),
        on_date,
        category: body.category,
        amount: body.amount,
        description,
    })
}

/// Records an expense of the service fund of a district in the caller's subtree, checked as [`spend`] says.
pub fn create_expenditure(
    conn: &mut DbConnection,
    caller: &Caller,
    input: ExpenseInput,
) -> Result<ExpenditureResponse, AppError> {
    let node = district_in_scope(conn, caller, &input.jurisdiction, "/jurisdiction")?;
    let e = NewExpenditure {
        jurisdiction_code: node.code.clone(),
        year: input.on_date.year(),
        on_date: input.on_date,
        category: input.category.as_str().to_owned(),
        amount_fen: input.amount.fen(),
        description: input.description,
        leader_id: None,
        created_by: caller.login.clone(),
        created_at: persistence::now_utc(),
        fund: input.fund.as_str().to_owned(),
        condolence_id: None,
        reverses_id: None,
    };
    Ok(expenditure_response(spend(conn, caller, &node, e, false)?))
}

/// The ledger of the districts under the node `jurisdiction` (in the caller's subtree, else 422
/// `jurisdiction_not_found`), optionally of one year and category, by id after `after`, at most `limit`.
pub fn list_expenditures(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: &str,
    year: Option<i32>,
    category: Option<FundUse>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<ExpenditureResponse>, AppError> {
    let node = node_in_scope(conn, caller, jurisdiction, "jurisdiction")?;
    let found = repo::list_expenditures(conn, &node.path, year, category.map(FundUse::as_str), after, limit)?;
    Ok(found.into_iter().map(expenditure_response).collect())
}

/// One expenditure of the ledger (404 outside the caller's subtree).
pub fn read_expenditure(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<ExpenditureResponse, AppError> {
    let e = repo::find_expenditure(conn, id)?;
    let path = crate::scope::path_of(conn, &e.jurisdiction_code)?;
    if !caller.sees(&path) {
        return Err(AppError::not_found());
    }
    Ok(expenditure_response(e))
}
