//! Reception, petitions and letters (issue 24; GUIDE 接待制度; CS Art. 21; XM Art. 11): registering a case
//! ([`register`]), handling it: assigning, acknowledging, recording actions and the answer, closing and reopening
//! ([`handle`]), escalating level by level ([`handle::escalate`]), and reading cases, worklists and the monthly
//! counts ([`lists`]). The rules are `domain::petition`; deadlines come from the policy in force at the node
//! holding the case, counted on the working-day calendar.
//!
//! Scope: a case is seen from the subtree of every node that held it (the node holding it now and the levels
//! below that escalated it). Its text is personal data: reading one case is audited; the timeline masks the text
//! for roles without `petition.handle` or `petition.supervise`.

pub mod handle;
pub mod lists;
pub mod register;

use domain::petition::{
    self, AnswerBasis, Deadlines, PetitionCategory, PetitionChannel, PetitionStatus, Satisfaction, Urgency,
};
use domain::{Permission, Role};
use persistence::DbConnection;
use persistence::petitions::{Petition, PetitionPerson, PetitionStep};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::error::AppError;
use crate::policy_book::policy_at;

/// The text shown in place of a case's text to a role without the permission.
pub const MASKED_TEXT: &str = "***";

/// Whether `role` reads the text of cases in clear.
pub fn text_clear(role: Role) -> bool {
    role.allows(Permission::PetitionHandle) || role.allows(Permission::PetitionSupervise)
}

/// A person a case is for: a retiree (`retiree_id`), a dependant (`dependent_id`) or someone not on the roll
/// (`name` and `phone`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42}))]
pub struct PersonInput {
    /// A retiree in the caller's subtree.
    pub retiree_id: Option<i64>,
    /// A dependant of a retiree in the caller's subtree.
    pub dependent_id: Option<i64>,
    /// Name of someone not on the roll, 1-50 characters.
    pub name: Option<String>,
    /// Phone of someone not on the roll.
    pub phone: Option<String>,
}

/// A case to register.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "visit", "category": "pension_payment", "urgency": "normal",
    "persons": [{"retiree_id": 42}], "text": "询问11月养老金为何未到账", "attachments": ["file://scans/2026/1102.pdf"]}))]
pub struct RegisterPetitionRequest {
    /// How it came in.
    pub channel: PetitionChannel,
    /// What it is about.
    pub category: PetitionCategory,
    /// Default `normal`; `emergency` goes to the level above at once.
    pub urgency: Option<Urgency>,
    /// A major policy question (GUIDE: answered within a week). Default `false`.
    pub major_policy: Option<bool>,
    /// The people it is for, 1-50 entries.
    pub persons: Vec<PersonInput>,
    /// How many people came (a collective petition may name only its representatives); default the number of
    /// persons, not below it. At or above the policy's `collective_min_people` the case is collective and goes to
    /// the level above at once.
    pub people_count: Option<i32>,
    /// The matter, 1-4000 characters (personal data).
    pub text: String,
    /// Attachments by reference (URIs with a scheme, up to 20, each up to 500 characters).
    pub attachments: Option<Vec<String>>,
    /// Day received (`YYYY-MM-DD`), not in the future; required for a letter, else default today. The clock
    /// starts on it.
    #[schema(format = Date)]
    pub received_on: Option<String>,
    /// An answer date agreed with the person instead of the policy's (`YYYY-MM-DD`), not in the past.
    #[schema(format = Date)]
    pub due_on: Option<String>,
    /// The node that receives it, in the caller's subtree (city, district, street or community); default the
    /// caller's node.
    pub jurisdiction: Option<String>,
}

/// A person of a case as shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonView {
    /// Retiree.
    pub retiree_id: Option<i64>,
    /// Dependant.
    pub dependent_id: Option<i64>,
    /// Name.
    pub name: String,
    /// Phone (people not on the roll).
    pub phone: Option<String>,
}

/// A step on a case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StepView {
    /// `registered`, `acknowledged`, `assigned`, `action`, `answered`, `closed`, `reopened`, `escalated`.
    pub kind: String,
    /// Node holding the case after the step.
    pub node: String,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Note (the action taken, the answer, the outcome).
    pub note: Option<String>,
    /// Account assigned (`assigned`).
    pub assignee_id: Option<i64>,
    /// Login.
    pub actor: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 12, "channel": "visit", "category": "pension_payment", "urgency": "normal",
    "major_policy": false, "people_count": 1, "collective": false, "text": "询问11月养老金为何未到账",
    "attachments": [], "received_on": "2026-11-23", "origin": "350203001001", "owner": "350203001001",
    "escalations": 0, "status": "registered", "basis": "general", "clock_started_on": "2026-11-23",
    "acknowledge_due": "2026-11-24", "answer_due": "2026-11-26", "due_on": "2026-11-24", "overdue": false,
    "assignee_id": null, "answer": null, "answered_on": null, "on_time": null, "outcome": null,
    "satisfaction": null, "closed_on": null, "reopen_until": null, "persons": [], "steps": [], "version": 1}))]
pub struct PetitionView {
    /// Id.
    pub id: i64,
    /// Channel.
    pub channel: PetitionChannel,
    /// Category.
    pub category: PetitionCategory,
    /// Urgency.
    pub urgency: Urgency,
    /// A major policy question.
    pub major_policy: bool,
    /// People.
    pub people_count: i32,
    /// A collective petition.
    pub collective: bool,
    /// The matter (`***` in lists for roles without `petition.handle`/`petition.supervise`).
    pub text: String,
    /// Attachments (reference URIs).
    pub attachments: Vec<String>,
    /// Day received.
    #[schema(value_type = String, format = Date)]
    pub received_on: Date,
    /// Node that registered it.
    pub origin: String,
    /// Node holding it now.
    pub owner: String,
    /// Times escalated.
    pub escalations: i32,
    /// Status.
    pub status: PetitionStatus,
    /// The GUIDE deadline that applies.
    pub basis: AnswerBasis,
    /// Day the holding level's clock started (received, escalated or reopened).
    #[schema(value_type = String, format = Date)]
    pub clock_started_on: Date,
    /// Last day to acknowledge.
    #[schema(value_type = String, format = Date)]
    pub acknowledge_due: Date,
    /// Last day to answer.
    #[schema(value_type = String, format = Date)]
    pub answer_due: Date,
    /// The next due date (acknowledgement, then answer); `null` once answered.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<Date>,
    /// Whether `due_on` has passed (judged today).
    pub overdue: bool,
    /// Worker assigned.
    pub assignee_id: Option<i64>,
    /// The answer.
    pub answer: Option<String>,
    /// Day answered.
    #[schema(value_type = Option<String>, format = Date)]
    pub answered_on: Option<Date>,
    /// Whether the answer met `answer_due`.
    pub on_time: Option<bool>,
    /// Outcome on closing.
    pub outcome: Option<String>,
    /// Satisfaction.
    pub satisfaction: Option<Satisfaction>,
    /// Day closed.
    #[schema(value_type = Option<String>, format = Date)]
    pub closed_on: Option<Date>,
    /// Last day it may be reopened (closed cases).
    #[schema(value_type = Option<String>, format = Date)]
    pub reopen_until: Option<Date>,
    /// The people (empty in lists).
    pub persons: Vec<PersonView>,
    /// The steps, oldest first (empty in lists).
    pub steps: Vec<StepView>,
    /// Version (ETag).
    pub version: i64,
}

/// The deadlines of a case held at `owner_path` whose clock starts on `start`, under the policy in force on
/// `start` there, on the working-day calendar.
pub(crate) fn deadlines_at(
    conn: &mut DbConnection,
    owner_path: &str,
    basis: AnswerBasis,
    start: Date,
) -> Result<Deadlines, AppError> {
    let policy = policy_at(conn, owner_path, start)?;
    let calendar = persistence::calendar::load_calendar(conn, start.year(), start.year() + 1)?;
    petition::deadlines(&calendar, &policy.petitions, basis, start)
        .ok_or_else(|| AppError::internal("petition deadline beyond the calendar"))
}

/// The last day a case closed on `closed_on` at `owner_path` may be reopened.
pub(crate) fn reopen_until_at(conn: &mut DbConnection, owner_path: &str, closed_on: Date) -> Result<Date, AppError> {
    let policy = policy_at(conn, owner_path, closed_on)?;
    let calendar = persistence::calendar::load_calendar(conn, closed_on.year(), closed_on.year() + 1)?;
    petition::reopen_until(&calendar, &policy.petitions, closed_on)
        .ok_or_else(|| AppError::internal("reopen window beyond the calendar"))
}

/// A case as shown on `today`; `text_clear` says whether its text is shown.
pub(crate) fn view(
    p: Petition,
    persons: Vec<PetitionPerson>,
    steps: Vec<PetitionStep>,
    reopen_until: Option<Date>,
    today: Date,
    text_clear: bool,
) -> Result<PetitionView, AppError> {
    let attachments: Vec<String> = persistence::typed::stored_json("petitions", p.id, "attachments", &p.attachments)?;
    Ok(PetitionView {
        id: p.id,
        channel: p.channel,
        category: p.category,
        urgency: p.urgency,
        major_policy: p.major_policy,
        people_count: p.people_count,
        collective: p.collective,
        text: if text_clear { p.body } else { MASKED_TEXT.to_owned() },
        attachments,
        received_on: p.received_on,
        origin: p.origin_code,
        owner: p.owner_code,
        escalations: p.escalations,
        status: p.status,
        basis: p.basis,
        clock_started_on: p.clock_started_on,
        acknowledge_due: p.acknowledge_due,
        answer_due: p.answer_due,
        due_on: p.due_on,
        overdue: p.due_on.is_some_and(|d| d < today),
        assignee_id: p.assignee_id,
        answer: p.answer,
        answered_on: p.answered_on,
        on_time: p.answered_on.map(|a| petition::on_time(a, p.answer_due)),
        outcome: p.outcome,
        satisfaction: p.satisfaction,
        closed_on: p.closed_on,
        reopen_until,
        persons: persons
            .into_iter()
            .map(|x| PersonView {
                retiree_id: x.retiree_id,
                dependent_id: x.dependent_id,
                name: x.name,
                phone: x.phone,
            })
            .collect(),
        steps: steps
            .into_iter()
            .map(|s| StepView {
                kind: s.kind,
                node: s.node_code,
                on_date: s.on_date,
                note: s.note,
                assignee_id: s.assignee_id,
                actor: s.actor,
                at: s.at.assume_utc(),
            })
            .collect(),
        version: p.version,
    })
}
