//! Self-management groups, their members and leaders, and leader trainings (XM Art. 12, 14; CS Art. 19).

use diesel::prelude::*;
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::schema::{care_groups, group_leaders, group_members, jurisdictions, leader_trainings};
use crate::typed::Stored;
use crate::{DbConnection, RepoResult, now_utc};

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
pub fn membership_of(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<Option<Member>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(group_members::table
        .filter(group_members::retiree_id.eq(retiree_id))
        .filter(group_members::left_on.is_null())
        .select(Member::as_select())
        .first(conn)
        .optional()?)
}

/// Adds a member.
pub fn add_member(
    conn: &mut DbConnection,
    group_id: i64,
    retiree_id: impl Into<RetireeId>,
    on: Date,
) -> RepoResult<Member> {
    let retiree_id = RetireeId::get(retiree_id.into());
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
