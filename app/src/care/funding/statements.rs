//! Funding statements reproduced from stored snapshots, and their close.

use domain::policy::FundUse;
use persistence::fund::{self as repo, Expenditure, Statement};
use persistence::jurisdictions::{self, Jurisdiction};
use persistence::{DbConnection, RepoError};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::{SplitYuan, snapshot_of, yuan};
use crate::caller::Caller;
use crate::error::AppError;

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

/// The statement computed from the stored budget snapshot and the stored ledger (never from today's rolls); 404
/// without a budget.
fn compute_statement(conn: &mut DbConnection, node: &Jurisdiction, year: i32) -> Result<StatementResponse, AppError> {
    let budget = repo::budget_of(conn, &node.code, year)?.ok_or_else(AppError::not_found)?;
    let snapshot = snapshot_of(&budget)?;
    let ledger = repo::expenditures_of(conn, &node.code, "service", year)?;
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
    let excellent_awarded = super::reversals::standing_awards(&ledger);
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

/// A closed statement as stored; a snapshot that does not parse is an internal error.
fn stored_statement(s: Statement) -> Result<StatementResponse, AppError> {
    let mut out: StatementResponse = serde_json::from_str(&s.snapshot)
        .map_err(|e| AppError::internal(format!("fund_statements {}: snapshot: {e}", s.id)))?;
    out.closed = true;
    out.closed_at = Some(s.closed_at.assume_utc());
    Ok(out)
}

/// The node `code` if in the caller's subtree, else 404 (a database failure is not answered as 404).
fn visible_district(conn: &mut DbConnection, caller: &Caller, code: &str) -> Result<Jurisdiction, AppError> {
    match jurisdictions::find(conn, code) {
        Ok(node) if caller.sees(&node.path) => Ok(node),
        Ok(_) | Err(RepoError::NotFound) => Err(AppError::not_found()),
        Err(e) => Err(e.into()),
    }
}

/// The funding statement of a district and year: once closed, the stored snapshot; before, computed from the
/// stored budget and ledger, so new retirees never change a past year. 404 without a budget or outside the
/// caller's subtree.
pub fn statement(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    year: i32,
) -> Result<StatementResponse, AppError> {
    let node = visible_district(conn, caller, code)?;
    match repo::statement_of(conn, &node.code, year)? {
        Some(s) => stored_statement(s),
        None => compute_statement(conn, &node, year),
    }
}
