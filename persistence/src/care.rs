//! Condolences, festival batches, recorded visits, self-management groups and leaders, and the service fund
//! (budgets with their snapshots, the expenditure ledger, closed statements) (issue 8).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date as SqlDate, Nullable, Text};
use time::{Date, PrimitiveDateTime};

use crate::schema::{
    care_groups, condolences, festival_batches, fund_budgets, fund_expenditures, fund_statements, group_leaders,
    group_members, jurisdictions, leader_trainings, visit_tasks, visits,
};
use crate::sql::{self, Bind};
use crate::typed::Stored;
use crate::{DbConnection, RepoResult, now_utc};

// ---------------------------------------------------------------------------------------------------------------
// Condolences

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
pub fn lock_person(conn: &mut DbConnection, retiree_id: i64) -> RepoResult<()> {
    sql::exec(conn, "UPDATE retirees SET version = version WHERE id = ?", &[Bind::I64(retiree_id)])?;
    Ok(())
}

/// Paid condolences of a kind to a person in a calendar year.
pub fn paid_count(conn: &mut DbConnection, retiree_id: i64, kind: &str, year: i32) -> RepoResult<i64> {
    Ok(condolences::table
        .filter(condolences::retiree_id.eq(retiree_id))
        .filter(condolences::kind.eq(kind))
        .filter(condolences::year.eq(year))
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

// ---------------------------------------------------------------------------------------------------------------
// Visits

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
pub fn close_open_tasks(conn: &mut DbConnection, retiree_id: i64, on: Date, by: &str, note: &str) -> RepoResult<usize> {
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

// ---------------------------------------------------------------------------------------------------------------
// Groups and leaders

/// A self-management group as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = care_groups)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Group {
    pub id: i64,
    pub community_code: String,
    pub name: String,
    #[diesel(deserialize_as = Stored<domain::care::GroupBasis>)]
    pub basis: domain::care::GroupBasis,
    pub area: String,
    pub version: i64,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
}

/// Creates a group.
pub fn create_group(
    conn: &mut DbConnection,
    community: &str,
    name: &str,
    basis: &str,
    area: &str,
    by: &str,
) -> RepoResult<Group> {
    let id: i64 = diesel::insert_into(care_groups::table)
        .values((
            care_groups::community_code.eq(community),
            care_groups::name.eq(name),
            care_groups::basis.eq(basis),
            care_groups::area.eq(area),
            care_groups::version.eq(1_i64),
            care_groups::created_by.eq(by),
            care_groups::created_at.eq(now_utc()),
        ))
        .returning(care_groups::id)
        .get_result(conn)?;
    Ok(care_groups::table.find(id).select(Group::as_select()).first(conn)?)
}

/// One group.
pub fn find_group(conn: &mut DbConnection, id: i64) -> RepoResult<Group> {
    Ok(care_groups::table.find(id).select(Group::as_select()).first(conn)?)
}

/// Bumps a group's version (members or leader changed).
pub fn touch_group(conn: &mut DbConnection, id: i64) -> RepoResult<()> {
    diesel::update(care_groups::table.find(id)).set(care_groups::version.eq(care_groups::version + 1)).execute(conn)?;
    Ok(())
}

/// Groups in a subtree, by id.
pub fn list_groups(
    conn: &mut DbConnection,
    scope_path: &str,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Group>> {
    let codes = jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    let mut q = care_groups::table
        .filter(care_groups::community_code.eq_any(codes))
        .select(Group::as_select())
        .order(care_groups::id)
        .limit(limit)
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(care_groups::id.gt(a));
    }
    Ok(q.load(conn)?)
}

/// A membership as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = group_members)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Member {
    pub id: i64,
    pub group_id: i64,
    pub retiree_id: i64,
    pub joined_on: Date,
    pub left_on: Option<Date>,
}

/// The current members of a group (not left), by id.
pub fn current_members(conn: &mut DbConnection, group_id: i64) -> RepoResult<Vec<Member>> {
    Ok(group_members::table
        .filter(group_members::group_id.eq(group_id))
        .filter(group_members::left_on.is_null())
        .select(Member::as_select())
        .order(group_members::id)
        .load(conn)?)
}

/// The group a person is a current member of, if any.
pub fn membership_of(conn: &mut DbConnection, retiree_id: i64) -> RepoResult<Option<Member>> {
    Ok(group_members::table
        .filter(group_members::retiree_id.eq(retiree_id))
        .filter(group_members::left_on.is_null())
        .select(Member::as_select())
        .first(conn)
        .optional()?)
}

/// Adds a member.
pub fn add_member(conn: &mut DbConnection, group_id: i64, retiree_id: i64, on: Date) -> RepoResult<Member> {
    let id: i64 = diesel::insert_into(group_members::table)
        .values((
            group_members::group_id.eq(group_id),
            group_members::retiree_id.eq(retiree_id),
            group_members::joined_on.eq(on),
        ))
        .returning(group_members::id)
        .get_result(conn)?;
    Ok(group_members::table.find(id).select(Member::as_select()).first(conn)?)
}

/// Ends a membership.
pub fn end_member(conn: &mut DbConnection, id: i64, on: Date) -> RepoResult<()> {
    diesel::update(group_members::table.find(id)).set(group_members::left_on.eq(on)).execute(conn)?;
    Ok(())
}

/// A leader term as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = group_leaders)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Leader {
    pub id: i64,
    pub group_id: i64,
    pub name: String,
    pub retiree_id: Option<i64>,
    pub elected_on: Date,
    pub ended_on: Option<Date>,
    pub insured: bool,
    pub insurer: Option<String>,
    pub insured_until: Option<Date>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
}

/// A leader term to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = group_leaders)]
pub struct NewLeader {
    pub group_id: i64,
    pub name: String,
    pub retiree_id: Option<i64>,
    pub elected_on: Date,
    pub ended_on: Option<Date>,
    pub insured: bool,
    pub insurer: Option<String>,
    pub insured_until: Option<Date>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
}

/// The leader in office (no end), if any.
pub fn current_leader(conn: &mut DbConnection, group_id: i64) -> RepoResult<Option<Leader>> {
    Ok(group_leaders::table
        .filter(group_leaders::group_id.eq(group_id))
        .filter(group_leaders::ended_on.is_null())
        .select(Leader::as_select())
        .first(conn)
        .optional()?)
}

/// Every term of a group, oldest first.
pub fn leaders_of(conn: &mut DbConnection, group_id: i64) -> RepoResult<Vec<Leader>> {
    Ok(group_leaders::table
        .filter(group_leaders::group_id.eq(group_id))
        .select(Leader::as_select())
        .order(group_leaders::id)
        .load(conn)?)
}

/// Ends a term.
pub fn end_leader(conn: &mut DbConnection, id: i64, on: Date) -> RepoResult<()> {
    diesel::update(group_leaders::table.find(id)).set(group_leaders::ended_on.eq(on)).execute(conn)?;
    Ok(())
}

/// Records a term.
pub fn insert_leader(conn: &mut DbConnection, l: &NewLeader) -> RepoResult<Leader> {
    let id: i64 = diesel::insert_into(group_leaders::table).values(l).returning(group_leaders::id).get_result(conn)?;
    Ok(group_leaders::table.find(id).select(Leader::as_select()).first(conn)?)
}

/// One term with its group's community path.
pub fn find_leader(conn: &mut DbConnection, id: i64) -> RepoResult<(Leader, String)> {
    Ok(group_leaders::table
        .inner_join(care_groups::table.inner_join(jurisdictions::table))
        .filter(group_leaders::id.eq(id))
        .select((Leader::as_select(), jurisdictions::path))
        .first(conn)?)
}

/// Sets the accident-insurance status of a term.
pub fn set_insurance(
    conn: &mut DbConnection,
    id: i64,
    insured: bool,
    insurer: Option<String>,
    until: Option<Date>,
) -> RepoResult<Leader> {
    diesel::update(group_leaders::table.find(id))
        .set((
            group_leaders::insured.eq(insured),
            group_leaders::insurer.eq(insurer),
            group_leaders::insured_until.eq(until),
        ))
        .execute(conn)?;
    Ok(group_leaders::table.find(id).select(Leader::as_select()).first(conn)?)
}

/// The terms of a subtree overlapping `[from, to]` (in office some day of it), by id.
pub fn leaders_in_office(
    conn: &mut DbConnection,
    scope_path: &str,
    from: Date,
    to: Date,
) -> RepoResult<Vec<(Leader, String)>> {
    Ok(group_leaders::table
        .inner_join(care_groups::table.inner_join(jurisdictions::table))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(group_leaders::elected_on.le(to))
        .filter(group_leaders::ended_on.is_null().or(group_leaders::ended_on.gt(from)))
        .select((Leader::as_select(), care_groups::community_code))
        .order(group_leaders::id)
        .load(conn)?)
}

/// A training as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = leader_trainings)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Training {
    pub id: i64,
    pub leader_id: i64,
    pub on_date: Date,
    pub topic: String,
    pub hours: i32,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
}

/// Records a training.
pub fn add_training(
    conn: &mut DbConnection,
    leader_id: i64,
    on: Date,
    topic: &str,
    hours: i32,
    by: &str,
) -> RepoResult<Training> {
    let id: i64 = diesel::insert_into(leader_trainings::table)
        .values((
            leader_trainings::leader_id.eq(leader_id),
            leader_trainings::on_date.eq(on),
            leader_trainings::topic.eq(topic),
            leader_trainings::hours.eq(hours),
            leader_trainings::created_by.eq(by),
            leader_trainings::created_at.eq(now_utc()),
        ))
        .returning(leader_trainings::id)
        .get_result(conn)?;
    Ok(leader_trainings::table.find(id).select(Training::as_select()).first(conn)?)
}

/// The trainings of a term, oldest first.
pub fn trainings_of(conn: &mut DbConnection, leader_id: i64) -> RepoResult<Vec<Training>> {
    Ok(leader_trainings::table
        .filter(leader_trainings::leader_id.eq(leader_id))
        .select(Training::as_select())
        .order(leader_trainings::id)
        .load(conn)?)
}

// ---------------------------------------------------------------------------------------------------------------
// Fund

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
}

/// Stores a budget.
pub fn insert_budget(
    conn: &mut DbConnection,
    jurisdiction: &str,
    year: i32,
    reference_date: Date,
    total_fen: i64,
    snapshot: &str,
    by: &str,
) -> RepoResult<Budget> {
    let id: i64 = diesel::insert_into(fund_budgets::table)
        .values((
            fund_budgets::jurisdiction_code.eq(jurisdiction),
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

/// The budget of a node for a year.
pub fn budget_of(conn: &mut DbConnection, jurisdiction: &str, year: i32) -> RepoResult<Option<Budget>> {
    Ok(fund_budgets::table
        .filter(fund_budgets::jurisdiction_code.eq(jurisdiction))
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

/// Everything spent by a node in a year, fen.
pub fn spent(conn: &mut DbConnection, jurisdiction: &str, year: i32) -> RepoResult<i64> {
    let rows: Vec<i64> = fund_expenditures::table
        .filter(fund_expenditures::jurisdiction_code.eq(jurisdiction))
        .filter(fund_expenditures::year.eq(year))
        .select(fund_expenditures::amount_fen)
        .load(conn)?;
    Ok(rows.iter().sum())
}

/// The expenditures of a node in a year, by id.
pub fn expenditures_of(conn: &mut DbConnection, jurisdiction: &str, year: i32) -> RepoResult<Vec<Expenditure>> {
    Ok(fund_expenditures::table
        .filter(fund_expenditures::jurisdiction_code.eq(jurisdiction))
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

// ---------------------------------------------------------------------------------------------------------------
// Staffing

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
