//! The service fund (budgets with their snapshots, the expenditure ledger, closed statements) and the staffing
//! figures (XM Art. 21-24; CS Art. 10; JN Art. 11-20).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use time::{Date, PrimitiveDateTime};

use crate::schema::{fund_budgets, fund_expenditures, fund_statements, jurisdictions};
use crate::sql::{self, Bind};
use crate::typed::Stored;
use crate::{DbConnection, RepoResult, now_utc};

/// Retirees on the rolls of a subtree on a reference date, by management level.
#[derive(Debug, Clone, QueryableByName, PartialEq)]
pub struct LevelCount {
    #[diesel(sql_type = Text)]
    pub management_level: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The people of a subtree on its rolls on `on`: registered by then (created that day or before, retired by
/// then), still on a roll, pension not stopped; by management level.
pub fn headcounts(conn: &mut DbConnection, scope_path: &str, on: Date) -> RepoResult<Vec<LevelCount>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let end = on.next_day().unwrap_or(on).midnight();
    sql::load(
        conn,
        "SELECT r.management_level AS management_level, COUNT(*) AS n FROM retirees r \
         JOIN jurisdictions j ON j.code = r.community_code \
         WHERE j.path >= ? AND j.path < ? AND r.on_roll AND r.pension_status IN ('normal', 'suspended') \
         AND r.retirement_date <= ? AND r.created_at < ? GROUP BY r.management_level",
        &[Bind::Text(scope_path), Bind::Text(&upper), Bind::Date(on), Bind::Ts(end)],
    )
}

/// A budget as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = fund_budgets)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Budget {
    pub id: i64,
    pub jurisdiction_code: String,
    pub year: i32,
    pub reference_date: Date,
    pub total_fen: i64,
    pub snapshot: String,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    /// The fund kind (`domain::fund::FundKind`).
    pub fund: String,
}

/// Stores a budget.
#[allow(clippy::too_many_arguments)]
pub fn insert_budget(
    conn: &mut DbConnection,
    jurisdiction: &str,
    fund: &str,
    year: i32,
    reference_date: Date,
    total_fen: i64,
    snapshot: &str,
    by: &str,
) -> RepoResult<Budget> {
    let id: i64 = diesel::insert_into(fund_budgets::table)
        .values((
            fund_budgets::jurisdiction_code.eq(jurisdiction),
            fund_budgets::fund.eq(fund),
            fund_budgets::year.eq(year),
            fund_budgets::reference_date.eq(reference_date),
            fund_budgets::total_fen.eq(total_fen),
            fund_budgets::snapshot.eq(snapshot),
            fund_budgets::created_by.eq(by),
            fund_budgets::created_at.eq(now_utc()),
        ))
        .returning(fund_budgets::id)
        .get_result(conn)?;
    Ok(fund_budgets::table.find(id).select(Budget::as_select()).first(conn)?)
}

/// One budget.
pub fn find_budget(conn: &mut DbConnection, id: i64) -> RepoResult<Budget> {
    Ok(fund_budgets::table.find(id).select(Budget::as_select()).first(conn)?)
}

/// The service-fund budget of a node for a year.
pub fn budget_of(conn: &mut DbConnection, jurisdiction: &str, year: i32) -> RepoResult<Option<Budget>> {
    budget_of_fund(conn, jurisdiction, "service", year)
}

/// The budget of a node for a fund and year.
pub fn budget_of_fund(
    conn: &mut DbConnection,
    jurisdiction: &str,
    fund: &str,
    year: i32,
) -> RepoResult<Option<Budget>> {
    Ok(fund_budgets::table
        .filter(fund_budgets::jurisdiction_code.eq(jurisdiction))
        .filter(fund_budgets::fund.eq(fund))
        .filter(fund_budgets::year.eq(year))
        .select(Budget::as_select())
        .first(conn)
        .optional()?)
}

/// Budgets of the nodes of a subtree, by id; optionally one year.
pub fn list_budgets(
    conn: &mut DbConnection,
    scope_path: &str,
    year: Option<i32>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Budget>> {
    let codes = jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    let mut q = fund_budgets::table
        .filter(fund_budgets::jurisdiction_code.eq_any(codes))
        .select(Budget::as_select())
        .order(fund_budgets::id)
        .limit(limit)
        .into_boxed();
    if let Some(y) = year {
        q = q.filter(fund_budgets::year.eq(y));
    }
    if let Some(a) = after {
        q = q.filter(fund_budgets::id.gt(a));
    }
    Ok(q.load(conn)?)
}

/// An expenditure as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = fund_expenditures)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Expenditure {
    pub id: i64,
    pub jurisdiction_code: String,
    pub year: i32,
    pub on_date: Date,
    #[diesel(deserialize_as = Stored<domain::policy::FundUse>)]
    pub category: domain::policy::FundUse,
    pub amount_fen: i64,
    pub description: String,
    pub leader_id: Option<i64>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    /// The fund kind it is booked against.
    pub fund: String,
    /// The condolence it pays.
    pub condolence_id: Option<i64>,
    /// The booking it reverses (a negative amount).
    pub reverses_id: Option<i64>,
}

/// An expenditure to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = fund_expenditures)]
pub struct NewExpenditure {
    pub jurisdiction_code: String,
    pub year: i32,
    pub on_date: Date,
    pub category: String,
    pub amount_fen: i64,
    pub description: String,
    pub leader_id: Option<i64>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub fund: String,
    pub condolence_id: Option<i64>,
    pub reverses_id: Option<i64>,
}

/// Records an expenditure.
pub fn insert_expenditure(conn: &mut DbConnection, e: &NewExpenditure) -> RepoResult<Expenditure> {
    let id: i64 =
        diesel::insert_into(fund_expenditures::table).values(e).returning(fund_expenditures::id).get_result(conn)?;
    Ok(fund_expenditures::table.find(id).select(Expenditure::as_select()).first(conn)?)
}

/// Takes the budget's row lock until the transaction ends, so that concurrent expenses are checked against the
/// budget one after the other.
pub fn lock_budget(conn: &mut DbConnection, id: i64) -> RepoResult<()> {
    sql::exec(conn, "UPDATE fund_budgets SET total_fen = total_fen WHERE id = ?", &[Bind::I64(id)])?;
    Ok(())
}

/// One expenditure.
pub fn find_expenditure(conn: &mut DbConnection, id: i64) -> RepoResult<Expenditure> {
    Ok(fund_expenditures::table.find(id).select(Expenditure::as_select()).first(conn)?)
}

/// Everything spent from a fund by a node in a year, fen (reversals negative).
pub fn spent(conn: &mut DbConnection, jurisdiction: &str, fund: &str, year: i32) -> RepoResult<i64> {
    let rows: Vec<i64> = fund_expenditures::table
        .filter(fund_expenditures::jurisdiction_code.eq(jurisdiction))
        .filter(fund_expenditures::fund.eq(fund))
        .filter(fund_expenditures::year.eq(year))
        .select(fund_expenditures::amount_fen)
        .load(conn)?;
    Ok(rows.iter().sum())
}

/// The expenditures of a node from a fund in a year, by id.
pub fn expenditures_of(
    conn: &mut DbConnection,
    jurisdiction: &str,
    fund: &str,
    year: i32,
) -> RepoResult<Vec<Expenditure>> {
    Ok(fund_expenditures::table
        .filter(fund_expenditures::jurisdiction_code.eq(jurisdiction))
        .filter(fund_expenditures::fund.eq(fund))
        .filter(fund_expenditures::year.eq(year))
        .select(Expenditure::as_select())
        .order(fund_expenditures::id)
        .load(conn)?)
}

/// Expenditures of the nodes of a subtree, by id.
pub fn list_expenditures(
    conn: &mut DbConnection,
    scope_path: &str,
    year: Option<i32>,
    category: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Expenditure>> {
    let codes = jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    let mut q = fund_expenditures::table
        .filter(fund_expenditures::jurisdiction_code.eq_any(codes))
        .select(Expenditure::as_select())
        .order(fund_expenditures::id)
        .limit(limit)
        .into_boxed();
    if let Some(y) = year {
        q = q.filter(fund_expenditures::year.eq(y));
    }
    if let Some(c) = category {
        q = q.filter(fund_expenditures::category.eq(c.to_owned()));
    }
    if let Some(a) = after {
        q = q.filter(fund_expenditures::id.gt(a));
    }
    Ok(q.load(conn)?)
}

/// A closed statement as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = fund_statements)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Statement {
    pub id: i64,
    pub jurisdiction_code: String,
    pub year: i32,
    pub snapshot: String,
    pub closed_by: String,
    pub closed_at: PrimitiveDateTime,
}

/// The closed statement of a node for a year.
pub fn statement_of(conn: &mut DbConnection, jurisdiction: &str, year: i32) -> RepoResult<Option<Statement>> {
    Ok(fund_statements::table
        .filter(fund_statements::jurisdiction_code.eq(jurisdiction))
        .filter(fund_statements::year.eq(year))
        .select(Statement::as_select())
        .first(conn)
        .optional()?)
}

/// Stores a closed statement.
pub fn close_statement(
    conn: &mut DbConnection,
    jurisdiction: &str,
    year: i32,
    snapshot: &str,
    by: &str,
) -> RepoResult<Statement> {
    let id: i64 = diesel::insert_into(fund_statements::table)
        .values((
            fund_statements::jurisdiction_code.eq(jurisdiction),
            fund_statements::year.eq(year),
            fund_statements::snapshot.eq(snapshot),
            fund_statements::closed_by.eq(by),
            fund_statements::closed_at.eq(now_utc()),
        ))
        .returning(fund_statements::id)
        .get_result(conn)?;
    Ok(fund_statements::table.find(id).select(Statement::as_select()).first(conn)?)
}

/// Retirees on the rolls of each community of a subtree.
#[derive(Debug, Clone, QueryableByName, PartialEq)]
pub struct CommunityCount {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// On-roll retirees per community of a subtree (communities without any are absent).
pub fn on_roll_by_community(conn: &mut DbConnection, scope_path: &str) -> RepoResult<Vec<CommunityCount>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    sql::load(
        conn,
        "SELECT r.community_code AS code, COUNT(*) AS n FROM retirees r \
         JOIN jurisdictions j ON j.code = r.community_code \
         WHERE j.path >= ? AND j.path < ? AND r.on_roll GROUP BY r.community_code",
        &[Bind::Text(scope_path), Bind::Text(&upper)],
    )
}

/// Marks the award booked as `id` cancelled (its booking reversed): the leader may be awarded again in the year
/// (issue 27, ledgers; the unique index counts standing awards only).
pub fn mark_award_cancelled(conn: &mut DbConnection, id: i64) -> RepoResult<()> {
    diesel::update(fund_expenditures::table.find(id)).set(fund_expenditures::award_cancelled.eq(true)).execute(conn)?;
    Ok(())
}
