//! Condolences (慰问) and festival batches (XM Art. 21(3); GUIDE 走访制度).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::schema::{condolences, festival_batches, jurisdictions};
use crate::sql::{self, Bind};
use crate::typed::Stored;
use crate::{DbConnection, RepoResult, now_utc};

/// A condolence as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = condolences)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Condolence {
    pub id: i64,
    pub retiree_id: i64,
    pub community_code: String,
    #[diesel(deserialize_as = Stored<domain::policy::CondolenceKind>)]
    pub kind: domain::policy::CondolenceKind,
    pub on_date: Date,
    pub year: i32,
    pub paid: bool,
    pub amount_fen: i64,
    pub amount_source: String,
    pub batch_id: Option<i64>,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    /// The booking that pays it (issue 27).
    pub expenditure_id: Option<i64>,
    /// When it was cancelled (its booking reversed).
    pub cancelled_at: Option<PrimitiveDateTime>,
    /// Why.
    pub cancel_reason: Option<String>,
}

/// A condolence to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = condolences)]
pub struct NewCondolence {
    pub retiree_id: i64,
    pub community_code: String,
    pub kind: String,
    pub on_date: Date,
    pub year: i32,
    pub paid: bool,
    pub amount_fen: i64,
    pub amount_source: String,
    pub batch_id: Option<i64>,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
}

/// Records condolences.
pub fn insert_condolences(conn: &mut DbConnection, rows: &[NewCondolence]) -> RepoResult<usize> {
    let mut n = 0;
    for row in rows {
        let id: i64 =
            diesel::insert_into(condolences::table).values(row).returning(condolences::id).get_result(conn)?;
        crate::events::condolences(conn, "c.id = ?", &[crate::sql::Bind::I64(id)])?;
        n += 1;
    }
    Ok(n)
}

/// Records one condolence.
pub fn insert_condolence(conn: &mut DbConnection, row: &NewCondolence) -> RepoResult<Condolence> {
    let id: i64 = diesel::insert_into(condolences::table).values(row).returning(condolences::id).get_result(conn)?;
    crate::events::condolences(conn, "c.id = ?", &[crate::sql::Bind::I64(id)])?;
    Ok(condolences::table.find(id).select(Condolence::as_select()).first(conn)?)
}

/// One condolence.
pub fn find_condolence(conn: &mut DbConnection, id: i64) -> RepoResult<Condolence> {
    Ok(condolences::table.find(id).select(Condolence::as_select()).first(conn)?)
}

/// Takes the person's row lock until the transaction ends (a no-op update), so that two condolences to one person
/// are counted against the cap one after the other on PostgreSQL too (SQLite write transactions are serial).
pub fn lock_person(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<()> {
    let retiree_id = RetireeId::get(retiree_id.into());
    sql::exec(conn, "UPDATE retirees SET version = version WHERE id = ?", &[Bind::I64(retiree_id)])?;
    Ok(())
}

/// Paid condolences of a kind to a person in a calendar year.
pub fn paid_count(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>, kind: &str, year: i32) -> RepoResult<i64> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(condolences::table
        .filter(condolences::retiree_id.eq(retiree_id))
        .filter(condolences::kind.eq(kind))
        .filter(condolences::year.eq(year))
        .filter(condolences::paid.eq(true))
        .count()
        .get_result(conn)?)
}

/// Paid condolences of a kind to a person in any year (XM Art. 21(3): the death condolence is paid once).
pub fn paid_count_ever(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>, kind: &str) -> RepoResult<i64> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(condolences::table
        .filter(condolences::retiree_id.eq(retiree_id))
        .filter(condolences::kind.eq(kind))
        .filter(condolences::paid.eq(true))
        .count()
        .get_result(conn)?)
}

/// Filters of the condolence list.
#[derive(Debug, Clone, Default)]
pub struct CondolenceFilter {
    pub retiree_id: Option<i64>,
    pub kind: Option<String>,
    pub year: Option<i32>,
    pub batch_id: Option<i64>,
}

/// Condolences of the communities in a subtree, by id.
pub fn list_condolences(
    conn: &mut DbConnection,
    scope_path: &str,
    f: &CondolenceFilter,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Condolence>> {
    let codes = jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    let mut q = condolences::table
        .filter(condolences::community_code.eq_any(codes))
        .select(Condolence::as_select())
        .order(condolences::id)
        .limit(limit)
        .into_boxed();
    if let Some(r) = f.retiree_id {
        q = q.filter(condolences::retiree_id.eq(r));
    }
    if let Some(k) = &f.kind {
        q = q.filter(condolences::kind.eq(k.clone()));
    }
    if let Some(y) = f.year {
        q = q.filter(condolences::year.eq(y));
    }
    if let Some(b) = f.batch_id {
        q = q.filter(condolences::batch_id.eq(b));
    }
    if let Some(a) = after {
        q = q.filter(condolences::id.gt(a));
    }
    Ok(q.load(conn)?)
}

/// A person who may receive a festival condolence: on a roll in the subtree, pension not stopped, with the paid
/// condolences of the kind this year.
#[derive(Debug, Clone, QueryableByName, PartialEq)]
pub struct FestivalCandidate {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub community_code: String,
    #[diesel(sql_type = Text)]
    pub path: String,
    #[diesel(sql_type = BigInt)]
    pub paid: i64,
}

/// The people on the rolls of a subtree whose pension is paid or suspended, with their paid condolences of `kind`
/// in `year`, by id.
pub fn festival_candidates(
    conn: &mut DbConnection,
    scope_path: &str,
    kind: &str,
    year: i32,
) -> RepoResult<Vec<FestivalCandidate>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    sql::load(
        conn,
        "SELECT r.id AS id, r.name AS name, r.community_code AS community_code, j.path AS path, \
         (SELECT COUNT(*) FROM condolences c WHERE c.retiree_id = r.id AND c.kind = ? AND c.year = ? AND c.paid) AS paid \
         FROM retirees r JOIN jurisdictions j ON j.code = r.community_code \
         WHERE j.path >= ? AND j.path < ? AND r.on_roll AND r.pension_status IN ('normal', 'suspended') ORDER BY r.id",
        &[Bind::Text(kind), Bind::I32(year), Bind::Text(scope_path), Bind::Text(&upper)],
    )
}

/// A festival batch as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = festival_batches)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct FestivalBatch {
    pub id: i64,
    pub jurisdiction_code: String,
    #[diesel(deserialize_as = Stored<domain::policy::CondolenceKind>)]
    pub kind: domain::policy::CondolenceKind,
    pub on_date: Date,
    pub people: i64,
    pub total_fen: i64,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
}

/// Opens a festival batch (people and total filled in by [`finish_batch`]).
pub fn create_batch(
    conn: &mut DbConnection,
    jurisdiction: &str,
    kind: &str,
    on: Date,
    by: &str,
) -> RepoResult<FestivalBatch> {
    let id: i64 = diesel::insert_into(festival_batches::table)
        .values((
            festival_batches::jurisdiction_code.eq(jurisdiction),
            festival_batches::kind.eq(kind),
            festival_batches::on_date.eq(on),
            festival_batches::people.eq(0_i64),
            festival_batches::total_fen.eq(0_i64),
            festival_batches::created_by.eq(by),
            festival_batches::created_at.eq(now_utc()),
        ))
        .returning(festival_batches::id)
        .get_result(conn)?;
    Ok(festival_batches::table.find(id).select(FestivalBatch::as_select()).first(conn)?)
}

/// One festival batch.
pub fn find_batch(conn: &mut DbConnection, id: i64) -> RepoResult<FestivalBatch> {
    Ok(festival_batches::table.find(id).select(FestivalBatch::as_select()).first(conn)?)
}

/// Sets the counts of a batch.
pub fn finish_batch(conn: &mut DbConnection, id: i64, people: i64, total_fen: i64) -> RepoResult<FestivalBatch> {
    diesel::update(festival_batches::table.find(id))
        .set((festival_batches::people.eq(people), festival_batches::total_fen.eq(total_fen)))
        .execute(conn)?;
    Ok(festival_batches::table.find(id).select(FestivalBatch::as_select()).first(conn)?)
}
