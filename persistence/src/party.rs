//! Party members' organisation relations (issue 25; CS Art. 12(3), 24; JN Art. 22, 29): branches of street and
//! community party organisations (seen from the subtree holding their node), the relations of party members with
//! every step, the organisation life of a branch with its attendance, and the worklist's candidates.

use diesel::prelude::*;
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::schema::{
    handover_items, handover_steps, jurisdictions, party_branches as pb, party_meeting_attendance as pa,
    party_meetings as pm, party_relation_steps as ps, party_relations as pr, retirees,
};
use crate::typed::Stored;
use crate::{DbConnection, RepoError, RepoResult};
use domain::party::{MeetingKind, RelationStatus};

/// A branch as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = pb)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Branch {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The street or community node.
    pub jurisdiction_code: String,
    /// Founded.
    pub founded_on: Date,
    /// Secretary's name.
    pub secretary: Option<String>,
    /// Closed.
    pub closed_on: Option<Date>,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A branch to set up.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pb)]
pub struct NewBranch {
    /// Name.
    pub name: String,
    /// Node.
    pub jurisdiction_code: String,
    /// Founded.
    pub founded_on: Date,
    /// Secretary.
    pub secretary: Option<String>,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A relation as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = pr)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Relation {
    /// Id.
    pub id: i64,
    /// The party member.
    pub retiree_id: i64,
    /// The branch it sits in (or leaves, while transferring or once left).
    pub branch_id: i64,
    /// Day it came into that branch.
    pub joined_on: Date,
    /// The former organisation, as written.
    pub came_from: Option<String>,
    /// The previous branch of the service.
    pub from_branch_id: Option<i64>,
    /// Status.
    #[diesel(deserialize_as = Stored<RelationStatus>)]
    pub status: RelationStatus,
    /// The branch it is transferred to (while transferring).
    pub target_branch_id: Option<i64>,
    /// The organisation outside the service it went to.
    pub destination: Option<String>,
    /// Day the transfer out was made.
    pub transferred_on: Option<Date>,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A relation to establish.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pr)]
pub struct NewRelation {
    /// Person.
    pub retiree_id: i64,
    /// Branch.
    pub branch_id: i64,
    /// Day.
    pub joined_on: Date,
    /// Former organisation.
    pub came_from: Option<String>,
    /// Status code.
    pub status: String,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A step of a relation.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = ps)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Step {
    /// Id.
    pub id: i64,
    /// Relation.
    pub relation_id: i64,
    /// `establish`, `transfer_to_branch`, `transfer_out`, `accept`.
    pub action: String,
    /// The branch the step concerns (the new or the target branch).
    pub branch_id: Option<i64>,
    /// Day.
    pub on_date: Date,
    /// JSON detail.
    pub detail: Option<String>,
    /// Login.
    pub operator: String,
    /// When.
    pub created_at: PrimitiveDateTime,
}

/// A relation's change of state.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = pr, treat_none_as_null = true)]
pub struct RelationChange {
    /// Branch.
    pub branch_id: i64,
    /// Joined.
    pub joined_on: Date,
    /// Previous branch.
    pub from_branch_id: Option<i64>,
    /// Status code.
    pub status: String,
    /// Target.
    pub target_branch_id: Option<i64>,
    /// Destination.
    pub destination: Option<String>,
    /// Transferred.
    pub transferred_on: Option<Date>,
}

// ---- branches ----

/// Sets up a branch; [`RepoError::Unique`] when the node has one of this name.
pub fn create_branch(conn: &mut DbConnection, new: &NewBranch) -> RepoResult<i64> {
    diesel::insert_into(pb::table).values(new).execute(conn)?;
    Ok(pb::table
        .filter(pb::jurisdiction_code.eq(&new.jurisdiction_code))
        .filter(pb::name.eq(&new.name))
        .select(pb::id)
        .first(conn)?)
}

/// The branch `id` with its node's path, whatever the scope.
pub fn branch(conn: &mut DbConnection, id: i64) -> RepoResult<(Branch, String)> {
    let found = pb::table
        .inner_join(jurisdictions::table)
        .filter(pb::id.eq(id))
        .select((Branch::as_select(), jurisdictions::path))
        .first(conn)
        .optional()?;
    found.ok_or(RepoError::NotFound)
}

/// The open branches named `name` at nodes of the subtree at `scope_path`.
pub fn branches_named(conn: &mut DbConnection, name: &str, scope_path: &str) -> RepoResult<Vec<(Branch, String)>> {
    Ok(pb::table
        .inner_join(jurisdictions::table)
        .filter(pb::name.eq(name))
        .filter(pb::closed_on.is_null())
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select((Branch::as_select(), jurisdictions::path))
        .load(conn)?)
}

/// How many relations sit in branch `id` (in it, or transferring out of it and not yet received) or are on their
/// way to it.
pub fn relations_at(conn: &mut DbConnection, id: i64) -> RepoResult<i64> {
    let open = [RelationStatus::InBranch.as_str(), RelationStatus::Transferring.as_str()];
    Ok(pr::table
        .filter(pr::status.eq_any(open))
        .filter(pr::branch_id.eq(id).or(pr::target_branch_id.eq(id)))
        .count()
        .get_result(conn)?)
}

/// Claims open branch `id` for a relation coming into it: a no-op update that waits for a concurrent close and then
/// finds the branch closed. `false` when it is closed (or gone). Paired with [`close_branch`], which updates the row
/// before it counts the relations, so a close and a relation coming in are serialised on the branch's row.
pub fn claim_open_branch(conn: &mut DbConnection, id: i64) -> RepoResult<bool> {
    let n = diesel::update(pb::table.filter(pb::id.eq(id)).filter(pb::closed_on.is_null()))
        .set(pb::version.eq(pb::version))
        .execute(conn)?;
    Ok(n == 1)
}

/// Closes branch `id` on `on` if it is still open at `version`; [`RepoError::VersionMismatch`] otherwise.
pub fn close_branch(conn: &mut DbConnection, id: i64, version: i64, on: Date) -> RepoResult<()> {
    let n =
        diesel::update(pb::table.filter(pb::id.eq(id)).filter(pb::version.eq(version)).filter(pb::closed_on.is_null()))
            .set((pb::closed_on.eq(Some(on)), pb::version.eq(version + 1)))
            .execute(conn)?;
    if n == 1 { Ok(()) } else { Err(RepoError::VersionMismatch) }
}

/// A page of the branches at nodes of the subtree at `scope_path`, by id.
pub fn list_branches(
    conn: &mut DbConnection,
    scope_path: &str,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Branch>> {
    let mut q =
        pb::table.inner_join(jurisdictions::table).filter(crate::jurisdictions::in_subtree(scope_path)).into_boxed();
    if let Some(a) = after {
        q = q.filter(pb::id.gt(a));
    }
    Ok(q.order(pb::id).limit(limit).select(Branch::as_select()).load(conn)?)
}

/// How many relations sit in each of `ids` (in the branch or transferring out of it).
pub fn members_of(conn: &mut DbConnection, ids: &[i64]) -> RepoResult<Vec<(i64, i64)>> {
    Ok(pr::table
        .filter(pr::branch_id.eq_any(ids))
        .filter(pr::status.eq_any([RelationStatus::InBranch.as_str(), RelationStatus::Transferring.as_str()]))
        .group_by(pr::branch_id)
        .select((pr::branch_id, diesel::dsl::count_star()))
        .load(conn)?)
}

// ---- relations ----

/// Establishes a relation; [`RepoError::Unique`] when the person has an open one.
pub fn create_relation(conn: &mut DbConnection, new: &NewRelation) -> RepoResult<i64> {
    diesel::insert_into(pr::table).values(new).execute(conn)?;
    Ok(pr::table.filter(pr::retiree_id.eq(new.retiree_id)).order(pr::id.desc()).select(pr::id).first(conn)?)
}

/// The relation `id`.
pub fn relation(conn: &mut DbConnection, id: i64) -> RepoResult<Relation> {
    Ok(pr::table.find(id).select(Relation::as_select()).first(conn)?)
}

/// Every relation of a person, newest first.
pub fn relations_of(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<Vec<Relation>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(pr::table.filter(pr::retiree_id.eq(retiree_id)).order(pr::id.desc()).select(Relation::as_select()).load(conn)?)
}

/// The person's open relation (in a branch or transferring), if any.
pub fn open_relation_of(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<Option<Relation>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(pr::table
        .filter(pr::retiree_id.eq(retiree_id))
        .filter(pr::status.eq_any([RelationStatus::InBranch.as_str(), RelationStatus::Transferring.as_str()]))
        .select(Relation::as_select())
        .first(conn)
        .optional()?)
}

/// Changes the relation `id` found at `version` in `from`; [`RepoError::VersionMismatch`] when it changed.
pub fn change_relation(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    from: RelationStatus,
    change: &RelationChange,
) -> RepoResult<()> {
    let n = diesel::update(
        pr::table.filter(pr::id.eq(id)).filter(pr::version.eq(version)).filter(pr::status.eq(from.as_str())),
    )
    .set((change, pr::version.eq(version + 1)))
    .execute(conn)?;
    if n == 1 { Ok(()) } else { Err(RepoError::VersionMismatch) }
}

/// Records a step of relation `relation_id`.
pub fn add_step(
    conn: &mut DbConnection,
    relation_id: i64,
    action: &str,
    branch_id: Option<i64>,
    on_date: Date,
    detail: Option<String>,
    operator: &str,
) -> RepoResult<()> {
    diesel::insert_into(ps::table)
        .values((
            ps::relation_id.eq(relation_id),
            ps::action.eq(action),
            ps::branch_id.eq(branch_id),
            ps::on_date.eq(on_date),
            ps::detail.eq(detail),
            ps::operator.eq(operator),
            ps::created_at.eq(crate::now_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The steps of `relation_ids`, oldest first.
pub fn steps_of(conn: &mut DbConnection, relation_ids: &[i64]) -> RepoResult<Vec<Step>> {
    Ok(ps::table.filter(ps::relation_id.eq_any(relation_ids)).order(ps::id).select(Step::as_select()).load(conn)?)
}

/// A roster line: the open relation of a person, with the person's name and community and the branch.
#[derive(Debug, Clone, Queryable, PartialEq)]
pub struct RosterRow {
    /// The relation.
    pub relation: Relation,
    /// Name.
    pub name: String,
    /// Community.
    pub community_code: String,
    /// The branch's name.
    pub branch_name: String,
}

/// A page of the open relations of the people whose community lies in the subtree at `scope_path`, by id.
pub fn roster(conn: &mut DbConnection, scope_path: &str, after: Option<i64>, limit: i64) -> RepoResult<Vec<RosterRow>> {
    let mut q = pr::table
        .inner_join(retirees::table.inner_join(jurisdictions::table))
        .inner_join(pb::table)
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(pr::status.eq_any([RelationStatus::InBranch.as_str(), RelationStatus::Transferring.as_str()]))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(pr::id.gt(a));
    }
    Ok(q.order(pr::id)
        .limit(limit)
        .select((Relation::as_select(), retirees::name, retirees::community_code, pb::name))
        .load(conn)?)
}

/// The accepted handover item of the person without a `party_transferred` step, if any (issue 6).
pub fn handover_item_awaiting_party(
    conn: &mut DbConnection,
    retiree_id: impl Into<RetireeId>,
) -> RepoResult<Option<i64>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let with_step =
        handover_steps::table.filter(handover_steps::step.eq("party_transferred")).select(handover_steps::item_id);
    Ok(handover_items::table
        .filter(handover_items::retiree_id.eq(retiree_id))
        .filter(handover_items::status.eq("accepted"))
        .filter(diesel::dsl::not(handover_items::id.eq_any(with_step)))
        .order(handover_items::id.desc())
        .select(handover_items::id)
        .first(conn)
        .optional()?)
}

/// A worklist candidate: a party member on the roll without an open relation.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Community.
    pub community_code: String,
    /// When their handover was accepted (UTC instant), if they were handed over.
    pub handover_accepted_at: Option<PrimitiveDateTime>,
    /// Whether they ever had a relation in the service.
    pub had_relation: bool,
}

/// Party members on the roll in the subtree at `scope_path` without an open relation, by id after `after`, at most
/// `limit`.
pub fn candidates(conn: &mut DbConnection, scope_path: &str, after: i64, limit: i64) -> RepoResult<Vec<Candidate>> {
    let open = pr::table
        .filter(pr::status.eq_any([RelationStatus::InBranch.as_str(), RelationStatus::Transferring.as_str()]))
        .select(pr::retiree_id);
    let people: Vec<(i64, String, String)> = retirees::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(retirees::party_member.eq(true))
        .filter(retirees::on_roll.eq(true))
        .filter(retirees::id.gt(after))
        .filter(diesel::dsl::not(retirees::id.eq_any(open)))
        .order(retirees::id)
        .limit(limit)
        .select((retirees::id, retirees::name, retirees::community_code))
        .load(conn)?;
    let ids: Vec<i64> = people.iter().map(|p| p.0).collect();
    let accepted: Vec<(Option<i64>, Option<PrimitiveDateTime>)> = handover_items::table
        .filter(handover_items::retiree_id.eq_any(&ids))
        .filter(handover_items::status.eq("accepted"))
        .select((handover_items::retiree_id, handover_items::settled_at))
        .load(conn)?;
    let had: Vec<i64> = pr::table.filter(pr::retiree_id.eq_any(&ids)).select(pr::retiree_id).load(conn)?;
    Ok(people
        .into_iter()
        .map(|(retiree_id, name, community_code)| Candidate {
            handover_accepted_at: accepted.iter().filter(|a| a.0 == Some(retiree_id)).filter_map(|a| a.1).max(),
            had_relation: had.contains(&retiree_id),
            retiree_id,
            name,
            community_code,
        })
        .collect())
}

// ---- organisation life ----

/// A meeting as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = pm)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Meeting {
    /// Id.
    pub id: i64,
    /// Branch.
    pub branch_id: i64,
    /// Kind.
    #[diesel(deserialize_as = Stored<MeetingKind>)]
    pub kind: MeetingKind,
    /// Day held.
    pub held_on: Date,
    /// Topic.
    pub topic: String,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
}

/// One line of attendance.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = pa)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Attendance {
    /// Id.
    pub id: i64,
    /// Meeting.
    pub meeting_id: i64,
    /// Person.
    pub retiree_id: i64,
    /// Attended.
    pub attended: bool,
    /// Why absent.
    pub absence_reason: Option<String>,
}

/// Records a meeting and its attendance (`(retiree_id, attended, reason)`); answers its id.
pub fn create_meeting(
    conn: &mut DbConnection,
    branch_id: i64,
    kind: MeetingKind,
    held_on: Date,
    topic: &str,
    attendance: &[(i64, bool, Option<String>)],
    by: &str,
) -> RepoResult<i64> {
    let now = crate::now_utc();
    diesel::insert_into(pm::table)
        .values((
            pm::branch_id.eq(branch_id),
            pm::kind.eq(kind.as_str()),
            pm::held_on.eq(held_on),
            pm::topic.eq(topic),
            pm::created_by.eq(by),
            pm::created_at.eq(now),
        ))
        .execute(conn)?;
    let id: i64 = pm::table.filter(pm::branch_id.eq(branch_id)).order(pm::id.desc()).select(pm::id).first(conn)?;
    for (retiree_id, attended, reason) in attendance {
        diesel::insert_into(pa::table)
            .values((
                pa::meeting_id.eq(id),
                pa::retiree_id.eq(retiree_id),
                pa::attended.eq(attended),
                pa::absence_reason.eq(reason),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

/// A page of the meetings of branch `branch_id`, by id.
pub fn meetings_of(
    conn: &mut DbConnection,
    branch_id: i64,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Meeting>> {
    let mut q = pm::table.filter(pm::branch_id.eq(branch_id)).into_boxed();
    if let Some(a) = after {
        q = q.filter(pm::id.gt(a));
    }
    Ok(q.order(pm::id).limit(limit).select(Meeting::as_select()).load(conn)?)
}

/// The attendance of `meeting_ids`, by meeting and line.
pub fn attendance_of(conn: &mut DbConnection, meeting_ids: &[i64]) -> RepoResult<Vec<Attendance>> {
    Ok(pa::table.filter(pa::meeting_id.eq_any(meeting_ids)).order(pa::id).select(Attendance::as_select()).load(conn)?)
}

/// The people of `ids` whose relation sits in branch `branch_id` (in it, or transferring out of it).
pub fn members_among(conn: &mut DbConnection, branch_id: i64, ids: &[i64]) -> RepoResult<Vec<i64>> {
    Ok(pr::table
        .filter(pr::branch_id.eq(branch_id))
        .filter(pr::retiree_id.eq_any(ids))
        .filter(pr::status.eq_any([RelationStatus::InBranch.as_str(), RelationStatus::Transferring.as_str()]))
        .select(pr::retiree_id)
        .load(conn)?)
}
