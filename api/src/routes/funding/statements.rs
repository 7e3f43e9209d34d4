//! Funding statements reproduced from stored snapshots, and their close.

use super::*;

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
