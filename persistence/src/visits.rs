//! Recorded visits and the visit rules' due dates (GUIDE 走访制度).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date as SqlDate, Nullable, Text};
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::schema::{jurisdictions, visit_tasks, visits};
use crate::sql::{self, Bind};
use crate::{DbConnection, RepoResult};

/// A visit made, as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = visits)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Visit {
    pub id: i64,
    pub retiree_id: i64,
    pub community_code: String,
    pub on_date: Date,
    pub worker: String,
    pub findings: String,
    pub follow_up: Option<String>,
    pub dibao_referral: bool,
    pub tasks_closed: i64,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
}

/// A visit to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = visits)]
pub struct NewVisit {
    pub retiree_id: i64,
    pub community_code: String,
    pub on_date: Date,
    pub worker: String,
    pub findings: String,
    pub follow_up: Option<String>,
    pub dibao_referral: bool,
    pub tasks_closed: i64,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
}

/// Records a visit.
pub fn insert_visit(conn: &mut DbConnection, v: &NewVisit) -> RepoResult<Visit> {
    let id: i64 = diesel::insert_into(visits::table).values(v).returning(visits::id).get_result(conn)?;
    Ok(visits::table.find(id).select(Visit::as_select()).first(conn)?)
}

/// One recorded visit.
pub fn find_visit_made(conn: &mut DbConnection, id: i64) -> RepoResult<Visit> {
    Ok(visits::table.find(id).select(Visit::as_select()).first(conn)?)
}

/// Closes every open visit task of a person (the visit covers them all).
pub fn close_open_tasks(
    conn: &mut DbConnection,
    retiree_id: impl Into<RetireeId>,
    on: Date,
    by: &str,
    note: &str,
) -> RepoResult<usize> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(diesel::update(visit_tasks::table)
        .filter(visit_tasks::retiree_id.eq(retiree_id))
        .filter(visit_tasks::status.eq("open"))
        .set((
            visit_tasks::status.eq("done"),
            visit_tasks::done_on.eq(on),
            visit_tasks::done_by.eq(by),
            visit_tasks::note.eq(note),
        ))
        .execute(conn)?)
}

/// Visits of the communities in a subtree, by id.
pub fn list_visits_made(
    conn: &mut DbConnection,
    scope_path: &str,
    retiree_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Visit>> {
    let codes = jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    let mut q = visits::table
        .filter(visits::community_code.eq_any(codes))
        .select(Visit::as_select())
        .order(visits::id)
        .limit(limit)
        .into_boxed();
    if let Some(r) = retiree_id {
        q = q.filter(visits::retiree_id.eq(r));
    }
    if let Some(a) = after {
        q = q.filter(visits::id.gt(a));
    }
    Ok(q.load(conn)?)
}

/// One person of a subtree as the visit rules need them.
#[derive(Debug, Clone, QueryableByName, PartialEq)]
pub struct VisitCandidate {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub community_code: String,
    #[diesel(sql_type = Text)]
    pub path: String,
    #[diesel(sql_type = SqlDate)]
    pub birth_date: Date,
    /// The latest visit: a recorded visit or a visit task done.
    #[diesel(sql_type = Nullable<SqlDate>)]
    pub last_visit: Option<Date>,
}

/// The people on the rolls of a subtree with their latest visit, by id.
pub fn visit_candidates(conn: &mut DbConnection, scope_path: &str) -> RepoResult<Vec<VisitCandidate>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    sql::load(
        conn,
        "SELECT r.id AS id, r.community_code AS community_code, j.path AS path, r.birth_date AS birth_date, \
         (SELECT MAX(d) FROM (SELECT v.on_date AS d FROM visits v WHERE v.retiree_id = r.id \
            UNION ALL SELECT t.done_on AS d FROM visit_tasks t WHERE t.retiree_id = r.id AND t.done_on IS NOT NULL) x) \
            AS last_visit \
         FROM retirees r JOIN jurisdictions j ON j.code = r.community_code \
         WHERE j.path >= ? AND j.path < ? AND r.on_roll ORDER BY r.id",
        &[Bind::Text(scope_path), Bind::Text(&upper)],
    )
}

/// A special-group flag in force on a day.
#[derive(Debug, Clone, QueryableByName, PartialEq)]
pub struct FlagInForce {
    #[diesel(sql_type = BigInt)]
    pub retiree_id: i64,
    #[diesel(sql_type = Text)]
    pub group_code: String,
    #[diesel(sql_type = SqlDate)]
    pub from_date: Date,
}

/// The special-group flags in force on `on` of the people on the rolls of a subtree.
pub fn flags_in_force(conn: &mut DbConnection, scope_path: &str, on: Date) -> RepoResult<Vec<FlagInForce>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    sql::load(
        conn,
        "SELECT g.retiree_id AS retiree_id, g.group_code AS group_code, g.from_date AS from_date \
         FROM retiree_special_groups g JOIN retirees r ON r.id = g.retiree_id \
         JOIN jurisdictions j ON j.code = r.community_code \
         WHERE j.path >= ? AND j.path < ? AND r.on_roll AND g.from_date <= ? AND (g.to_date IS NULL OR g.to_date >= ?)",
        &[Bind::Text(scope_path), Bind::Text(&upper), Bind::Date(on), Bind::Date(on)],
    )
}

/// (person, kind) of every open visit task in a subtree.
pub fn open_task_kinds(conn: &mut DbConnection, scope_path: &str) -> RepoResult<Vec<(i64, String)>> {
    let codes = jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    Ok(visit_tasks::table
        .filter(visit_tasks::community_code.eq_any(codes))
        .filter(visit_tasks::status.eq("open"))
        .select((visit_tasks::retiree_id, visit_tasks::kind))
        .load(conn)?)
}
