//! Activities (issue 25; XM Art. 17; CS Art. 20; JN Art. 30): a plan per node and year, the activities under it
//! (each at the plan's node), and the people signed up with their attendance. A sign-up takes a place with one
//! conditional update ([`take_place`]), so two sign-ups for the last place cannot both succeed on either backend.

use diesel::prelude::*;
use domain::activity::ActivityKind;
use time::{Date, PrimitiveDateTime};

use crate::schema::{activities, activity_participants, activity_plans, jurisdictions, retirees};
use crate::typed::Stored;
use crate::{DbConnection, RepoError, RepoResult};

/// An activity plan of a node for a year.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = activity_plans)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Plan {
    /// Id.
    pub id: i64,
    /// Node.
    pub jurisdiction_code: String,
    /// Year.
    pub year: i32,
    /// Title.
    pub title: String,
    /// Content.
    pub content: String,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A new plan.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = activity_plans)]
pub struct NewPlan {
    /// Node.
    pub jurisdiction_code: String,
    /// Year.
    pub year: i32,
    /// Title.
    pub title: String,
    /// Content.
    pub content: String,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// An activity.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = activities)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Activity {
    /// Id.
    pub id: i64,
    /// Plan.
    pub plan_id: i64,
    /// Node (the plan's).
    pub jurisdiction_code: String,
    /// Kind.
    #[diesel(deserialize_as = Stored<ActivityKind>)]
    pub kind: ActivityKind,
    /// Title.
    pub title: String,
    /// Day held.
    pub held_on: Date,
    /// Place.
    pub place: String,
    /// Organiser.
    pub organiser: String,
    /// Capacity (none: unlimited).
    pub capacity: Option<i32>,
    /// People signed up.
    pub signed_up: i32,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A new activity.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = activities)]
pub struct NewActivity {
    /// Plan.
    pub plan_id: i64,
    /// Node.
    pub jurisdiction_code: String,
    /// Kind code.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Day.
    pub held_on: Date,
    /// Place.
    pub place: String,
    /// Organiser.
    pub organiser: String,
    /// Capacity.
    pub capacity: Option<i32>,
    /// Signed up (0).
    pub signed_up: i32,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A person signed up for an activity.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = activity_participants)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Participant {
    /// Id.
    pub id: i64,
    /// Activity.
    pub activity_id: i64,
    /// The retiree (the dependant's retiree for a dependant).
    pub retiree_id: i64,
    /// The dependant, if it is one.
    pub dependent_id: Option<i64>,
    /// `r:<retiree>` or `d:<dependant>` (unique per activity).
    pub participant_key: String,
    /// Day signed up.
    pub signed_up_on: Date,
    /// Attended (`None`: not recorded yet).
    pub attended: Option<bool>,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
}

/// A new sign-up.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = activity_participants)]
pub struct NewParticipant {
    /// Activity.
    pub activity_id: i64,
    /// Retiree.
    pub retiree_id: i64,
    /// Dependant.
    pub dependent_id: Option<i64>,
    /// Key.
    pub participant_key: String,
    /// Day.
    pub signed_up_on: Date,
    /// Attended.
    pub attended: Option<bool>,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
}

/// A person on the roll who attended nothing in a period.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct Inactive {
    /// Retiree id.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Community.
    pub community_code: String,
}

fn one<T>(found: Option<T>) -> RepoResult<T> {
    found.ok_or(RepoError::NotFound)
}

// ---- plans ----

/// Inserts a plan (409 `conflict` when the node has one for the year); answers it.
pub fn create_plan(conn: &mut DbConnection, new: &NewPlan) -> RepoResult<Plan> {
    diesel::insert_into(activity_plans::table).values(new).execute(conn)?;
    Ok(activity_plans::table
        .filter(activity_plans::jurisdiction_code.eq(&new.jurisdiction_code))
        .filter(activity_plans::year.eq(new.year))
        .select(Plan::as_select())
        .first(conn)?)
}

/// The plan `id` if its node lies in the subtree at `scope_path`, with the node's path.
pub fn find_plan(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<(Plan, String)> {
    let found: Option<(Plan, String)> = activity_plans::table
        .inner_join(jurisdictions::table)
        .filter(activity_plans::id.eq(id))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select((Plan::as_select(), jurisdictions::path))
        .first(conn)
        .optional()?;
    one(found)
}

/// A page of the plans in the subtree at `scope_path`, by id; only of `year` when given.
pub fn list_plans(
    conn: &mut DbConnection,
    scope_path: &str,
    year: Option<i32>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Plan>> {
    let mut q = activity_plans::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .into_boxed();
    if let Some(y) = year {
        q = q.filter(activity_plans::year.eq(y));
    }
    if let Some(a) = after {
        q = q.filter(activity_plans::id.gt(a));
    }
    Ok(q.order(activity_plans::id).limit(limit).select(Plan::as_select()).load(conn)?)
}

// ---- activities ----

/// Inserts an activity; answers it.
pub fn create_activity(conn: &mut DbConnection, new: &NewActivity) -> RepoResult<Activity> {
    diesel::insert_into(activities::table).values(new).execute(conn)?;
    Ok(activities::table
        .filter(activities::created_by.eq(&new.created_by))
        .order(activities::id.desc())
        .select(Activity::as_select())
        .first(conn)?)
}

/// The activity `id` if its node lies in the subtree at `scope_path`, with the node's path.
pub fn find_activity(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<(Activity, String)> {
    let found: Option<(Activity, String)> = activities::table
        .inner_join(jurisdictions::table)
        .filter(activities::id.eq(id))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select((Activity::as_select(), jurisdictions::path))
        .first(conn)
        .optional()?;
    one(found)
}

/// A page of the activities in the subtree at `scope_path` held from `from` to `to` (both included), by id.
pub fn list_activities(
    conn: &mut DbConnection,
    scope_path: &str,
    from: Date,
    to: Date,
    kind: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Activity>> {
    let mut q = activities::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(activities::held_on.ge(from))
        .filter(activities::held_on.le(to))
        .into_boxed();
    if let Some(k) = kind {
        q = q.filter(activities::kind.eq(k.to_owned()));
    }
    if let Some(a) = after {
        q = q.filter(activities::id.gt(a));
    }
    Ok(q.order(activities::id).limit(limit).select(Activity::as_select()).load(conn)?)
}

/// Takes one place of activity `id` if one is free (no capacity, or fewer signed up than it): one conditional
/// update, `false` when every place is taken.
pub fn take_place(conn: &mut DbConnection, id: i64) -> RepoResult<bool> {
    let n = diesel::update(activities::table)
        .filter(activities::id.eq(id))
        .filter(activities::capacity.is_null().or(activities::capacity.assume_not_null().gt(activities::signed_up)))
        .set((activities::signed_up.eq(activities::signed_up + 1), activities::version.eq(activities::version + 1)))
        .execute(conn)?;
    Ok(n == 1)
}

// ---- participants ----

/// Inserts a sign-up (409 `conflict` when the person is signed up already); answers it.
pub fn add_participant(conn: &mut DbConnection, new: &NewParticipant) -> RepoResult<Participant> {
    diesel::insert_into(activity_participants::table).values(new).execute(conn)?;
    Ok(activity_participants::table
        .filter(activity_participants::activity_id.eq(new.activity_id))
        .filter(activity_participants::participant_key.eq(&new.participant_key))
        .select(Participant::as_select())
        .first(conn)?)
}

/// The sign-up `id` of activity `activity_id`.
pub fn find_participant(conn: &mut DbConnection, activity_id: i64, id: i64) -> RepoResult<Participant> {
    let found = activity_participants::table
        .filter(activity_participants::id.eq(id))
        .filter(activity_participants::activity_id.eq(activity_id))
        .select(Participant::as_select())
        .first(conn)
        .optional()?;
    one(found)
}

/// Records whether sign-up `id` attended.
pub fn set_attended(conn: &mut DbConnection, id: i64, attended: bool) -> RepoResult<Participant> {
    diesel::update(activity_participants::table.find(id))
        .set(activity_participants::attended.eq(Some(attended)))
        .execute(conn)?;
    Ok(activity_participants::table.find(id).select(Participant::as_select()).first(conn)?)
}

/// The sign-ups of activity `id` with the retiree's name, by id.
pub fn participants_of(conn: &mut DbConnection, id: i64) -> RepoResult<Vec<(Participant, String)>> {
    Ok(activity_participants::table
        .inner_join(retirees::table)
        .filter(activity_participants::activity_id.eq(id))
        .order(activity_participants::id)
        .select((Participant::as_select(), retirees::name))
        .load(conn)?)
}

/// Of the activities in the subtree at `scope_path` held from `from` to `to`: (node, day, signed up, attended) each.
pub fn tallies(
    conn: &mut DbConnection,
    scope_path: &str,
    from: Date,
    to: Date,
) -> RepoResult<Vec<(String, Date, i32, i64)>> {
    let list: Vec<(i64, String, Date, i32)> = activities::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(activities::held_on.ge(from))
        .filter(activities::held_on.le(to))
        .order(activities::id)
        .select((activities::id, activities::jurisdiction_code, activities::held_on, activities::signed_up))
        .load(conn)?;
    let attended: Vec<i64> = activity_participants::table
        .inner_join(activities::table.inner_join(jurisdictions::table))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(activities::held_on.ge(from))
        .filter(activities::held_on.le(to))
        .filter(activity_participants::attended.eq(Some(true)))
        .select(activity_participants::activity_id)
        .load(conn)?;
    Ok(list
        .into_iter()
        .map(|(id, node, day, signed)| {
            let n = attended.iter().filter(|a| **a == id).count();
            (node, day, signed, i64::try_from(n).unwrap_or(i64::MAX))
        })
        .collect())
}

/// A page of the people on the roll in the subtree at `scope_path`, pension not stopped, who attended no activity
/// held from `from` to `to` (as themselves, not as a dependant's retiree), by id.
pub fn inactive(
    conn: &mut DbConnection,
    scope_path: &str,
    from: Date,
    to: Date,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Inactive>> {
    let attended = activity_participants::table
        .inner_join(activities::table)
        .filter(activity_participants::retiree_id.eq(retirees::id))
        .filter(activity_participants::dependent_id.is_null())
        .filter(activity_participants::attended.eq(Some(true)))
        .filter(activities::held_on.ge(from))
        .filter(activities::held_on.le(to));
    let mut q = retirees::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(retirees::on_roll.eq(true))
        .filter(retirees::pension_status.ne(domain::PensionStatus::Stopped.as_str()))
        .filter(diesel::dsl::not(diesel::dsl::exists(attended)))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(retirees::id.gt(a));
    }
    Ok(q.order(retirees::id)
        .limit(limit)
        .select((retirees::id, retirees::name, retirees::community_code))
        .load(conn)?)
}
