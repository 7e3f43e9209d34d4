//! Petitions (issue 24; GUIDE 接待制度): the case row, the people it is for and its steps. Every step records the
//! node holding the case then, so "who may see a case" is one subquery: a step at a node in the caller's subtree
//! (the node holding it now, and every level that held it before).

use diesel::prelude::*;
use domain::RetireeId;
use domain::petition::{AnswerBasis, PetitionCategory, PetitionChannel, PetitionStatus, Satisfaction, Urgency};
use time::{Date, PrimitiveDateTime};

use crate::schema::{dependents, jurisdictions, petition_persons, petition_steps, petitions};
use crate::typed::{OptStored, Stored};
use crate::{DbConnection, RepoError, RepoResult};

/// A case.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = petitions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Petition {
    /// Id.
    pub id: i64,
    /// Channel.
    #[diesel(deserialize_as = Stored<PetitionChannel>)]
    pub channel: PetitionChannel,
    /// Category.
    #[diesel(deserialize_as = Stored<PetitionCategory>)]
    pub category: PetitionCategory,
    /// Urgency.
    #[diesel(deserialize_as = Stored<Urgency>)]
    pub urgency: Urgency,
    /// A major policy question.
    pub major_policy: bool,
    /// People the case is for.
    pub people_count: i32,
    /// A collective petition.
    pub collective: bool,
    /// The text (personal data).
    pub body: String,
    /// Attachments, a JSON array of reference URIs.
    pub attachments: String,
    /// Day received.
    pub received_on: Date,
    /// Node that registered it.
    pub origin_code: String,
    /// Node holding it now.
    pub owner_code: String,
    /// Times escalated.
    pub escalations: i32,
    /// Status.
    #[diesel(deserialize_as = Stored<PetitionStatus>)]
    pub status: PetitionStatus,
    /// Answer deadline that applies.
    #[diesel(deserialize_as = Stored<AnswerBasis>)]
    pub basis: AnswerBasis,
    /// Day the current level's clock started.
    pub clock_started_on: Date,
    /// Acknowledgement due.
    pub acknowledge_due: Date,
    /// Answer due.
    pub answer_due: Date,
    /// Next due date (`None` once answered).
    pub due_on: Option<Date>,
    /// Whether the answer due date was set by hand at registration.
    pub due_fixed: bool,
    /// Worker the case is assigned to.
    pub assignee_id: Option<i64>,
    /// Day acknowledged.
    pub acknowledged_on: Option<Date>,
    /// The answer.
    pub answer: Option<String>,
    /// Day answered.
    pub answered_on: Option<Date>,
    /// Outcome on closing.
    pub outcome: Option<String>,
    /// Satisfaction on closing.
    #[diesel(deserialize_as = OptStored<Satisfaction>)]
    pub satisfaction: Option<Satisfaction>,
    /// Day closed.
    pub closed_on: Option<Date>,
    /// Times reopened.
    pub reopened: i32,
    /// Login that registered it.
    pub registered_by: String,
    /// When.
    pub registered_at: PrimitiveDateTime,
    /// Version (ETag).
    pub version: i64,
}

/// A new case.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = petitions)]
pub struct NewPetition {
    /// Channel code.
    pub channel: String,
    /// Category code.
    pub category: String,
    /// Urgency code.
    pub urgency: String,
    /// Major policy question.
    pub major_policy: bool,
    /// People.
    pub people_count: i32,
    /// Collective.
    pub collective: bool,
    /// Text.
    pub body: String,
    /// Attachments JSON.
    pub attachments: String,
    /// Received.
    pub received_on: Date,
    /// Registering node.
    pub origin_code: String,
    /// Holding node.
    pub owner_code: String,
    /// Escalations.
    pub escalations: i32,
    /// Status code.
    pub status: String,
    /// Basis code.
    pub basis: String,
    /// Clock start.
    pub clock_started_on: Date,
    /// Acknowledgement due.
    pub acknowledge_due: Date,
    /// Answer due.
    pub answer_due: Date,
    /// Next due.
    pub due_on: Option<Date>,
    /// Due date set by hand.
    pub due_fixed: bool,
    /// Reopened count.
    pub reopened: i32,
    /// Login.
    pub registered_by: String,
    /// Now.
    pub registered_at: PrimitiveDateTime,
    /// 1.
    pub version: i64,
}

/// The fields a step on a case changes.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = petitions)]
#[diesel(treat_none_as_null = true)]
pub struct PetitionChange {
    /// Holding node.
    pub owner_code: String,
    /// Escalations.
    pub escalations: i32,
    /// Status code.
    pub status: String,
    /// Basis code.
    pub basis: String,
    /// Clock start.
    pub clock_started_on: Date,
    /// Acknowledgement due.
    pub acknowledge_due: Date,
    /// Answer due.
    pub answer_due: Date,
    /// Next due.
    pub due_on: Option<Date>,
    /// Due date set by hand.
    pub due_fixed: bool,
    /// Assignee.
    pub assignee_id: Option<i64>,
    /// Acknowledged.
    pub acknowledged_on: Option<Date>,
    /// Answer.
    pub answer: Option<String>,
    /// Answered.
    pub answered_on: Option<Date>,
    /// Outcome.
    pub outcome: Option<String>,
    /// Satisfaction code.
    pub satisfaction: Option<String>,
    /// Closed.
    pub closed_on: Option<Date>,
    /// Reopened count.
    pub reopened: i32,
}

impl PetitionChange {
    /// The change that keeps every field of `p` as it is.
    pub fn of(p: &Petition) -> Self {
        Self {
            owner_code: p.owner_code.clone(),
            escalations: p.escalations,
            status: p.status.as_str().to_owned(),
            basis: p.basis.as_str().to_owned(),
            clock_started_on: p.clock_started_on,
            acknowledge_due: p.acknowledge_due,
            answer_due: p.answer_due,
            due_on: p.due_on,
            due_fixed: p.due_fixed,
            assignee_id: p.assignee_id,
            acknowledged_on: p.acknowledged_on,
            answer: p.answer.clone(),
            answered_on: p.answered_on,
            outcome: p.outcome.clone(),
            satisfaction: p.satisfaction.map(|s| s.as_str().to_owned()),
            closed_on: p.closed_on,
            reopened: p.reopened,
        }
    }
}

/// A person a case is for.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = petition_persons)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct PetitionPerson {
    /// Id.
    pub id: i64,
    /// Case.
    pub petition_id: i64,
    /// A retiree on the roll.
    pub retiree_id: Option<i64>,
    /// A dependant on the roll.
    pub dependent_id: Option<i64>,
    /// Name (from the roll, or as given).
    pub name: String,
    /// Phone (people not on the roll), sealed at rest (issue 21.10).
    #[diesel(deserialize_as = crate::sealed::OptOpened)]
    pub phone: Option<String>,
}

/// A person to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = petition_persons)]
pub struct NewPetitionPerson {
    /// Case (set by [`create`]).
    pub petition_id: i64,
    /// Retiree.
    pub retiree_id: Option<i64>,
    /// Dependant.
    pub dependent_id: Option<i64>,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
}

/// A step on a case.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = petition_steps)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct PetitionStep {
    /// Id.
    pub id: i64,
    /// Case.
    pub petition_id: i64,
    /// `registered`, `acknowledged`, `assigned`, `action`, `answered`, `closed`, `reopened`, `escalated`.
    pub kind: String,
    /// Node holding the case after the step.
    pub node_code: String,
    /// Day.
    pub on_date: Date,
    /// Note.
    pub note: Option<String>,
    /// Assignee (`assigned`).
    pub assignee_id: Option<i64>,
    /// Login.
    pub actor: String,
    /// When.
    pub at: PrimitiveDateTime,
}

/// A step to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = petition_steps)]
pub struct NewPetitionStep {
    /// Case.
    pub petition_id: i64,
    /// Kind.
    pub kind: String,
    /// Node.
    pub node_code: String,
    /// Day.
    pub on_date: Date,
    /// Note.
    pub note: Option<String>,
    /// Assignee.
    pub assignee_id: Option<i64>,
    /// Login.
    pub actor: String,
    /// Now.
    pub at: PrimitiveDateTime,
}

/// Inserts a case and its people; answers the stored case.
pub fn create(conn: &mut DbConnection, new: &NewPetition, persons: &[NewPetitionPerson]) -> RepoResult<Petition> {
    diesel::insert_into(petitions::table).values(new).execute(conn)?;
    let stored: Petition = petitions::table
        .filter(petitions::registered_by.eq(&new.registered_by))
        .order(petitions::id.desc())
        .select(Petition::as_select())
        .first(conn)?;
    for p in persons {
        let phone = crate::sealed::seal_opt(p.phone.as_deref())?;
        let row = NewPetitionPerson { petition_id: stored.id, phone, ..p.clone() };
        diesel::insert_into(petition_persons::table).values(&row).execute(conn)?;
    }
    Ok(stored)
}

/// Records a step.
pub fn add_step(conn: &mut DbConnection, step: &NewPetitionStep) -> RepoResult<()> {
    diesel::insert_into(petition_steps::table).values(step).execute(conn)?;
    Ok(())
}

/// The filter "seen from the subtree `$scope`": a step at a node in it.
macro_rules! seen_from {
    ($scope:expr) => {
        petitions::id.eq_any(
            petition_steps::table
                .inner_join(jurisdictions::table)
                .filter(crate::jurisdictions::in_subtree($scope))
                .select(petition_steps::petition_id),
        )
    };
}

/// One case, if seen from the subtree `scope_path`; otherwise `NotFound`.
pub fn find_visible(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<Petition> {
    let found = petitions::table
        .filter(petitions::id.eq(id))
        .filter(seen_from!(scope_path))
        .select(Petition::as_select())
        .first(conn)
        .optional()?;
    found.ok_or(RepoError::NotFound)
}

/// The people of a case, in order.
pub fn persons_of(conn: &mut DbConnection, id: i64) -> RepoResult<Vec<PetitionPerson>> {
    Ok(petition_persons::table
        .filter(petition_persons::petition_id.eq(id))
        .order(petition_persons::id)
        .select(PetitionPerson::as_select())
        .load(conn)?)
}

/// The steps of a case, oldest first.
pub fn steps_of(conn: &mut DbConnection, id: i64) -> RepoResult<Vec<PetitionStep>> {
    Ok(petition_steps::table
        .filter(petition_steps::petition_id.eq(id))
        .order(petition_steps::id)
        .select(PetitionStep::as_select())
        .load(conn)?)
}

/// Writes `change` to case `id` at `version`; the version rises by one. `VersionMismatch` when it moved.
pub fn save(conn: &mut DbConnection, id: i64, version: i64, change: &PetitionChange) -> RepoResult<Petition> {
    let n = diesel::update(petitions::table)
        .filter(petitions::id.eq(id))
        .filter(petitions::version.eq(version))
        .set((change, petitions::version.eq(version + 1)))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    Ok(petitions::table.find(id).select(Petition::as_select()).first(conn)?)
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct PetitionFilter {
    /// Only those held by this node now.
    pub owner_code: Option<String>,
    /// Only these statuses (all when empty).
    pub statuses: Vec<String>,
    /// Only those due on this day.
    pub due_on: Option<Date>,
    /// Only those due before this day.
    pub due_before: Option<Date>,
    /// Only this category.
    pub category: Option<String>,
    /// Only those escalated at least once.
    pub escalated: bool,
    /// Ids above this (cursor).
    pub after: Option<i64>,
}

/// Cases seen from the subtree `scope_path` matching `f`, by id, at most `limit`.
pub fn list(conn: &mut DbConnection, scope_path: &str, f: &PetitionFilter, limit: i64) -> RepoResult<Vec<Petition>> {
    let mut q = petitions::table.filter(seen_from!(scope_path)).into_boxed();
    if let Some(code) = &f.owner_code {
        q = q.filter(petitions::owner_code.eq(code.clone()));
    }
    if !f.statuses.is_empty() {
        q = q.filter(petitions::status.eq_any(f.statuses.clone()));
    }
    if let Some(d) = f.due_on {
        q = q.filter(petitions::due_on.eq(d));
    }
    if let Some(d) = f.due_before {
        q = q.filter(petitions::due_on.lt(d));
    }
    if let Some(c) = &f.category {
        q = q.filter(petitions::category.eq(c.clone()));
    }
    if f.escalated {
        q = q.filter(petitions::escalations.gt(0));
    }
    if let Some(a) = f.after {
        q = q.filter(petitions::id.gt(a));
    }
    Ok(q.order(petitions::id).limit(limit).select(Petition::as_select()).load(conn)?)
}

/// One answered case for the monthly counts: holding node, answered on, answer due, satisfaction.
pub type AnsweredCase = (String, Date, Date, Option<Satisfaction>);

/// Answered cases seen from `scope_path` with the answer in `[from, to)`, for the monthly counts.
pub fn answered_between(
    conn: &mut DbConnection,
    scope_path: &str,
    from: Date,
    to: Date,
) -> RepoResult<Vec<AnsweredCase>> {
    let rows: Vec<(String, Option<Date>, Date, Option<String>)> = petitions::table
        .filter(seen_from!(scope_path))
        .filter(petitions::answered_on.ge(from))
        .filter(petitions::answered_on.lt(to))
        .order(petitions::id)
        .select((petitions::owner_code, petitions::answered_on, petitions::answer_due, petitions::satisfaction))
        .load(conn)?;
    rows.into_iter()
        .map(|(owner, answered, due, sat)| {
            let answered = answered.ok_or_else(|| RepoError::Corrupt("petitions.answered_on is null".into()))?;
            let sat = match sat {
                None => None,
                Some(code) => Some(
                    Satisfaction::parse(&code)
                        .ok_or_else(|| RepoError::Corrupt(format!("petitions.satisfaction {code:?}")))?,
                ),
            };
            Ok((owner, answered, due, sat))
        })
        .collect()
}

/// The cases about a retiree or one of their dependants, oldest first.
pub fn of_retiree(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<Vec<Petition>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let dependants = dependents::table.filter(dependents::retiree_id.eq(retiree_id)).select(dependents::id.nullable());
    let ids = petition_persons::table
        .filter(petition_persons::retiree_id.eq(retiree_id).or(petition_persons::dependent_id.eq_any(dependants)))
        .select(petition_persons::petition_id);
    Ok(petitions::table
        .filter(petitions::id.eq_any(ids))
        .order(petitions::id)
        .select(Petition::as_select())
        .load(conn)?)
}
