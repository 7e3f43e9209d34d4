//! Funding at every level (issue 27): allocations from a parent's fund to its children (XM Art. 22), the links
//! between a condolence and its booking, and the yearly closes of a fund at a node.

use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

use crate::schema::{condolences, fund_allocations, fund_expenditures, fund_year_closes};
use crate::{DbConnection, RepoResult, now_utc};

/// An allocation as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = fund_allocations)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Allocation {
    pub id: i64,
    pub fund: String,
    pub year: i32,
    pub from_code: String,
    pub to_code: String,
    pub recipients: Option<i64>,
    pub amount_fen: i64,
    pub on_date: Date,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
}

/// An allocation to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = fund_allocations)]
pub struct NewAllocation {
    pub fund: String,
    pub year: i32,
    pub from_code: String,
    pub to_code: String,
    pub recipients: Option<i64>,
    pub amount_fen: i64,
    pub on_date: Date,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
}

/// Records an allocation.
pub fn insert_allocation(conn: &mut DbConnection, a: &NewAllocation) -> RepoResult<Allocation> {
    let id: i64 =
        diesel::insert_into(fund_allocations::table).values(a).returning(fund_allocations::id).get_result(conn)?;
    find_allocation(conn, id)
}

/// One allocation.
pub fn find_allocation(conn: &mut DbConnection, id: i64) -> RepoResult<Allocation> {
    Ok(fund_allocations::table.find(id).select(Allocation::as_select()).first(conn)?)
}

/// Allocations of a fund's year made by `from` (to its children), by id.
pub fn allocations_out(conn: &mut DbConnection, from: &str, fund: &str, year: i32) -> RepoResult<Vec<Allocation>> {
    Ok(fund_allocations::table
        .filter(fund_allocations::from_code.eq(from))
        .filter(fund_allocations::fund.eq(fund))
        .filter(fund_allocations::year.eq(year))
        .select(Allocation::as_select())
        .order(fund_allocations::id)
        .load(conn)?)
}

/// Allocations of a fund's year received by `to`, by id.
pub fn allocations_in(conn: &mut DbConnection, to: &str, fund: &str, year: i32) -> RepoResult<Vec<Allocation>> {
    Ok(fund_allocations::table
        .filter(fund_allocations::to_code.eq(to))
        .filter(fund_allocations::fund.eq(fund))
        .filter(fund_allocations::year.eq(year))
        .select(Allocation::as_select())
        .order(fund_allocations::id)
        .load(conn)?)
}

/// Allocations received by the nodes of a subtree (by the receiving node), optionally of a fund and year, by id.
pub fn list_allocations(
    conn: &mut DbConnection,
    scope_path: &str,
    fund: Option<&str>,
    year: Option<i32>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Allocation>> {
    use crate::schema::jurisdictions;
    let codes = jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    let mut q = fund_allocations::table
        .filter(fund_allocations::to_code.eq_any(codes))
        .select(Allocation::as_select())
        .order(fund_allocations::id)
        .limit(limit)
        .into_boxed();
    if let Some(f) = fund {
        q = q.filter(fund_allocations::fund.eq(f.to_owned()));
    }
    if let Some(y) = year {
        q = q.filter(fund_allocations::year.eq(y));
    }
    if let Some(a) = after {
        q = q.filter(fund_allocations::id.gt(a));
    }
    Ok(q.load(conn)?)
}

/// Links a condolence to the booking that pays it.
pub fn link_condolence(conn: &mut DbConnection, condolence_id: i64, expenditure_id: i64) -> RepoResult<()> {
    diesel::update(condolences::table.find(condolence_id))
        .set(condolences::expenditure_id.eq(expenditure_id))
        .execute(conn)?;
    Ok(())
}

/// The booking of a condolence and its cancellation, as stored.
#[derive(Debug, Clone, Queryable, PartialEq)]
pub struct CondolenceBooking {
    pub expenditure_id: Option<i64>,
    pub cancelled_at: Option<PrimitiveDateTime>,
    pub cancel_reason: Option<String>,
}

/// The booking columns of a condolence.
pub fn condolence_booking(conn: &mut DbConnection, id: i64) -> RepoResult<CondolenceBooking> {
    Ok(condolences::table
        .find(id)
        .select((condolences::expenditure_id, condolences::cancelled_at, condolences::cancel_reason))
        .first(conn)?)
}

/// Cancels a condolence: no longer paid (it stops counting against the kind's cap), amount 0, with when and why.
pub fn cancel_condolence(conn: &mut DbConnection, id: i64, reason: &str) -> RepoResult<()> {
    diesel::update(condolences::table.find(id))
        .set((
            condolences::paid.eq(false),
            condolences::amount_fen.eq(0),
            condolences::cancelled_at.eq(Some(now_utc())),
            condolences::cancel_reason.eq(Some(reason)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The reversal of a booking, if it has one.
pub fn reversal_of(conn: &mut DbConnection, expenditure_id: i64) -> RepoResult<Option<i64>> {
    Ok(fund_expenditures::table
        .filter(fund_expenditures::reverses_id.eq(expenditure_id))
        .select(fund_expenditures::id)
        .first(conn)
        .optional()?)
}

/// A year close as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = fund_year_closes)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct YearClose {
    pub id: i64,
    pub jurisdiction_code: String,
    pub fund: String,
    pub year: i32,
    pub status: String,
    pub snapshot: String,
    pub closed_by: String,
    pub closed_at: PrimitiveDateTime,
    pub reopened_by: Option<String>,
    pub reopened_at: Option<PrimitiveDateTime>,
    pub reopen_reason: Option<String>,
    pub version: i64,
}

/// The close row of a node's fund year.
pub fn close_of(conn: &mut DbConnection, code: &str, fund: &str, year: i32) -> RepoResult<Option<YearClose>> {
    Ok(fund_year_closes::table
        .filter(fund_year_closes::jurisdiction_code.eq(code))
        .filter(fund_year_closes::fund.eq(fund))
        .filter(fund_year_closes::year.eq(year))
        .select(YearClose::as_select())
        .first(conn)
        .optional()?)
}

/// Whether a node's fund year is closed now.
pub fn is_closed(conn: &mut DbConnection, code: &str, fund: &str, year: i32) -> RepoResult<bool> {
    Ok(close_of(conn, code, fund, year)?.is_some_and(|c| c.status == "closed"))
}

/// Closes a node's fund year (a new row, or the reopened row closed again with version + 1).
pub fn close(
    conn: &mut DbConnection,
    code: &str,
    fund: &str,
    year: i32,
    snapshot: &str,
    by: &str,
) -> RepoResult<YearClose> {
    match close_of(conn, code, fund, year)? {
        Some(row) => {
            diesel::update(fund_year_closes::table.find(row.id))
                .set((
                    fund_year_closes::status.eq("closed"),
                    fund_year_closes::snapshot.eq(snapshot),
                    fund_year_closes::closed_by.eq(by),
                    fund_year_closes::closed_at.eq(now_utc()),
                    fund_year_closes::version.eq(row.version + 1),
                ))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(fund_year_closes::table)
                .values((
                    fund_year_closes::jurisdiction_code.eq(code),
                    fund_year_closes::fund.eq(fund),
                    fund_year_closes::year.eq(year),
                    fund_year_closes::status.eq("closed"),
                    fund_year_closes::snapshot.eq(snapshot),
                    fund_year_closes::closed_by.eq(by),
                    fund_year_closes::closed_at.eq(now_utc()),
                    fund_year_closes::version.eq(1_i64),
                ))
                .execute(conn)?;
        }
    }
    close_of(conn, code, fund, year)?.ok_or(crate::RepoError::NotFound)
}

/// Reopens a closed year with a reason.
pub fn reopen(conn: &mut DbConnection, id: i64, reason: &str, by: &str) -> RepoResult<()> {
    diesel::update(fund_year_closes::table.find(id))
        .set((
            fund_year_closes::status.eq("reopened"),
            fund_year_closes::reopened_by.eq(Some(by)),
            fund_year_closes::reopened_at.eq(Some(now_utc())),
            fund_year_closes::reopen_reason.eq(Some(reason)),
            fund_year_closes::version.eq(fund_year_closes::version + 1),
        ))
        .execute(conn)?;
    Ok(())
}

// Reports, ledgers and funds (issue 27, reports27): a festival list's condolences booked against the fund.

/// The paid condolences of a festival list not booked yet, per community: (community, how many, fen).
#[derive(Debug, Clone, diesel::QueryableByName, PartialEq, Eq)]
pub struct BatchCommunity {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub community_code: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub fen: i64,
}

const UNBOOKED: &str = "c.batch_id = ? AND c.paid AND c.amount_fen > 0 AND c.expenditure_id IS NULL \
                        AND c.cancelled_at IS NULL";

/// The communities of festival list `batch_id` with their paid condolences not booked yet (count, sum).
pub fn batch_communities(conn: &mut DbConnection, batch_id: i64) -> RepoResult<Vec<BatchCommunity>> {
    crate::sql::load(
        conn,
        &format!(
            "SELECT c.community_code AS community_code, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(COALESCE(SUM(c.amount_fen), 0) AS BIGINT) AS fen FROM condolences c WHERE {UNBOOKED} \
             GROUP BY c.community_code ORDER BY c.community_code"
        ),
        &[crate::sql::Bind::I64(batch_id)],
    )
}

/// How a festival list's condolences of some communities are booked: at `node`, from `fund`, under `category`.
#[derive(Debug, Clone)]
pub struct BatchBooking<'a> {
    pub batch_id: i64,
    pub communities: &'a [String],
    pub node: &'a str,
    pub fund: &'a str,
    pub category: &'a str,
    /// Prefix of each booking's description (the condolence id follows).
    pub description: &'a str,
    pub actor: &'a str,
}

/// Books every paid, unbooked condolence of the list in `b.communities` against `b.node`'s fund, one booking per
/// condolence naming it (`condolence_id`), and links each condolence to its booking, set-based. Returns how many.
pub fn book_batch(conn: &mut DbConnection, b: &BatchBooking<'_>) -> RepoResult<usize> {
    use crate::sql::Bind;
    if b.communities.is_empty() {
        return Ok(0);
    }
    let marks = vec!["?"; b.communities.len()].join(", ");
    let now = now_utc();
    let mut binds = vec![
        Bind::Text(b.node),
        Bind::Text(b.category),
        Bind::Text(b.description),
        Bind::Text(b.actor),
        Bind::Ts(now),
        Bind::Text(b.fund),
        Bind::I64(b.batch_id),
    ];
    binds.extend(b.communities.iter().map(|c| Bind::Text(c)));
    let n = crate::sql::exec(
        conn,
        &format!(
            "INSERT INTO fund_expenditures (jurisdiction_code, year, on_date, category, amount_fen, description, \
             leader_id, created_by, created_at, fund, condolence_id, reverses_id) \
             SELECT ?, c.year, c.on_date, ?, c.amount_fen, ? || CAST(c.id AS TEXT) || '）', NULL, ?, ?, ?, c.id, NULL \
             FROM condolences c WHERE {UNBOOKED} AND c.community_code IN ({marks}) ORDER BY c.id"
        ),
        &binds,
    )?;
    let mut binds = vec![Bind::I64(b.batch_id)];
    binds.extend(b.communities.iter().map(|c| Bind::Text(c)));
    crate::sql::exec(
        conn,
        &format!(
            "UPDATE condolences SET expenditure_id = (SELECT MAX(e.id) FROM fund_expenditures e \
             WHERE e.condolence_id = condolences.id AND e.reverses_id IS NULL) \
             WHERE id IN (SELECT c.id FROM condolences c WHERE {UNBOOKED} AND c.community_code IN ({marks}))"
        ),
        &binds,
    )?;
    Ok(n)
}
