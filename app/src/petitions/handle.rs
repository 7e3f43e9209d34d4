//! Handling a case at the node holding it (GUIDE 接待制度): assign a worker, acknowledge, record actions, answer,
//! close with the outcome and the person's satisfaction, reopen within the policy window, and escalate to the
//! level above ("本级难以答复或解决的，应及时逐级报告"), whose clock starts on the day of the escalation. Each step
//! is recorded with the node holding the case, audited, and the due date is recomputed.

use domain::petition::{self, Deadlines, PetitionAction, PetitionError, PetitionStatus, Satisfaction};
use domain::{ErrorCode, Permission};
use persistence::events::{self, Emit};
use persistence::jurisdictions::{self, Jurisdiction};
use persistence::petitions::{self as repo, NewPetitionStep, Petition, PetitionChange};
use persistence::{DbConnection, RepoError, audit};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::register::node_above;
use super::{PetitionView, deadlines_at, reopen_until_at, view};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after};
use crate::precondition::{IfMatch, expect_if_sent};

/// Assign the case to a worker.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assignee_id": 7, "note": "请三日内回复"}))]
pub struct AssignRequest {
    /// An active account at the node holding the case whose role handles petitions.
    pub assignee_id: i64,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// A step with an optional note (acknowledge, escalate).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "本级难以解决，报街道"}))]
pub struct NoteRequest {
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// An action taken on the case.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "已电话联系社保中心核查发放记录"}))]
pub struct ActionRequest {
    /// What was done, 1-2000 characters.
    pub note: String,
}

/// The answer.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"answer": "11月养老金因银行账户变更延迟，已于11月25日补发", "answered_on": "2026-11-25"}))]
pub struct AnswerRequest {
    /// The answer, 1-4000 characters.
    pub answer: String,
    /// Day answered (`YYYY-MM-DD`), default today, not in the future.
    #[schema(format = Date)]
    pub answered_on: Option<String>,
}

/// Closing.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PetitionCloseRequest, example = json!({"outcome": "已解决", "satisfaction": "satisfied"}))]
pub struct CloseRequest {
    /// Outcome, 1-500 characters.
    pub outcome: String,
    /// The person's satisfaction.
    pub satisfaction: Satisfaction,
    /// The answer, if it was not recorded yet (answered today); without an answer on record or here: 422
    /// `petition_answer_required`.
    pub answer: Option<String>,
}

/// Reopening.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "本人对答复不满意，要求重新核查"}))]
pub struct ReopenRequest {
    /// Why, 1-500 characters.
    pub reason: String,
}

/// A checked step.
#[derive(Debug, Clone)]
pub enum Act {
    /// Assign.
    Assign {
        /// Account.
        assignee_id: i64,
        /// Note.
        note: Option<String>,
    },
    /// Acknowledge.
    Acknowledge {
        /// Note.
        note: Option<String>,
    },
    /// Record an action.
    Action {
        /// What was done.
        note: String,
    },
    /// Answer.
    Answer {
        /// The answer.
        answer: String,
        /// Day.
        on: Date,
    },
    /// Close.
    Close {
        /// Outcome.
        outcome: String,
        /// Satisfaction.
        satisfaction: Satisfaction,
        /// An answer given with the closing.
        answer: Option<String>,
    },
    /// Reopen.
    Reopen {
        /// Why.
        reason: String,
    },
    /// Escalate.
    Escalate {
        /// Why.
        note: Option<String>,
    },
}

fn done(errors: Vec<FieldError>, act: Act) -> Result<Act, Vec<FieldError>> {
    if errors.is_empty() { Ok(act) } else { Err(errors) }
}

/// Checks an assignment.
pub fn check_assign(b: &AssignRequest) -> Result<Act, Vec<FieldError>> {
    let mut errors = Vec::new();
    let note = check_text("/note", b.note.as_deref(), 500, &mut errors);
    done(errors, Act::Assign { assignee_id: b.assignee_id, note })
}

/// Checks an acknowledgement or escalation note.
pub fn check_note(b: &NoteRequest, escalate: bool) -> Result<Act, Vec<FieldError>> {
    let mut errors = Vec::new();
    let note = check_text("/note", b.note.as_deref(), 500, &mut errors);
    done(errors, if escalate { Act::Escalate { note } } else { Act::Acknowledge { note } })
}

/// Checks an action.
pub fn check_action(b: &ActionRequest) -> Result<Act, Vec<FieldError>> {
    let mut errors = Vec::new();
    let note = check_name("/note", &b.note, 2000, &mut errors);
    done(errors, Act::Action { note })
}

/// Checks an answer on `today`.
pub fn check_answer(b: &AnswerRequest, today: Date) -> Result<Act, Vec<FieldError>> {
    let mut errors = Vec::new();
    let answer = check_name("/answer", &b.answer, 4000, &mut errors);
    let on = date_not_after("/answered_on", b.answered_on.as_deref(), today, &mut errors);
    done(errors, Act::Answer { answer, on })
}

/// Checks a closing.
pub fn check_close(b: &CloseRequest) -> Result<Act, Vec<FieldError>> {
    let mut errors = Vec::new();
    let outcome = check_name("/outcome", &b.outcome, 500, &mut errors);
    let answer = b.answer.as_deref().map(|a| check_name("/answer", a, 4000, &mut errors));
    done(errors, Act::Close { outcome, satisfaction: b.satisfaction, answer })
}

/// Checks a reopening.
pub fn check_reopen(b: &ReopenRequest) -> Result<Act, Vec<FieldError>> {
    let mut errors = Vec::new();
    let reason = check_name("/reason", &b.reason, 500, &mut errors);
    done(errors, Act::Reopen { reason })
}

fn refused(e: PetitionError) -> AppError {
    match e {
        PetitionError::NoAnswer => AppError::field(FieldError::rule("/answer", &e)),
        PetitionError::TopLevel => AppError::violation(&e),
        PetitionError::WrongStatus(_) | PetitionError::ReopenWindowPassed(_) => AppError::violation(&e),
    }
}

/// Records the escalation of `p` from the node `from` to `to` on `today`: the step at `to` and the event
/// `petition.escalated` (placed at `to`, seen from `from` too). `immediate` for a collective petition or an
/// emergency on registration.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_escalation(
    conn: &mut DbConnection,
    caller: &Caller,
    p: &Petition,
    from: &str,
    to: &Jurisdiction,
    today: Date,
    note: Option<&str>,
    immediate: bool,
) -> Result<(), AppError> {
    repo::add_step(
        conn,
        &NewPetitionStep {
            petition_id: p.id,
            kind: "escalated".into(),
            node_code: to.code.clone(),
            on_date: today,
            note: note.map(str::to_owned),
            assignee_id: None,
            actor: caller.login.clone(),
            at: persistence::now_utc(),
        },
    )?;
    let retiree_id = repo::persons_of(conn, p.id)?.iter().find_map(|x| x.retiree_id);
    let details = serde_json::json!({
        "petition_id": p.id,
        "from_node": from,
        "to_node": to.code,
        "to_level": to.level,
        "escalations": p.escalations,
        "immediate": immediate,
        "channel": p.channel,
        "category": p.category,
        "urgency": p.urgency,
        "collective": p.collective,
        "people_count": p.people_count,
        "acknowledge_due": p.acknowledge_due.to_string(),
        "answer_due": p.answer_due.to_string(),
    });
    let kind = domain::events::EventType::PetitionEscalated.as_str();
    events::emit(
        conn,
        &Emit {
            kind,
            version: 1,
            subject_type: "petition",
            subject_id: p.id,
            retiree_id,
            community_code: Some(&to.code),
            previous_code: Some(from),
            details,
        },
    )?;
    Ok(())
}

/// The case `id` for acting by `caller`: seen from their subtree (else 404), and held by a node in it (a level
/// that escalated the case sees it but does not act on it any more: 403).
fn held(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(Petition, Jurisdiction), AppError> {
    let p = repo::find_visible(conn, id, &caller.scope_path)?;
    let owner = jurisdictions::find(conn, &p.owner_code)?;
    if !caller.sees(&owner.path) {
        return Err(AppError::with(
            ErrorCode::Forbidden,
            "该件已上报上级，由上级办理",
            "the case was escalated; the level holding it now acts on it",
        ));
    }
    Ok((p, owner))
}

fn with_due(change: &mut PetitionChange, status: PetitionStatus, due: Deadlines) {
    change.status = status.as_str().to_owned();
    change.acknowledge_due = due.acknowledge_by;
    change.answer_due = due.answer_by;
    change.due_on = petition::due_on(status, due);
}

/// Does `act` to case `id` on `today` for `caller` (`petition.handle`), against `if_match` when sent (412 when
/// stale). Wrong status: 409 `petition_wrong_status`; closing without an answer: 422 `petition_answer_required`;
/// escalating from the city: 422 `petition_top_level`; reopening after the window: 409
/// `petition_reopen_window_passed`; an assignee who is no active handler at the holding node: 422
/// `assignee_not_found`.
pub fn act(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    act: Act,
) -> Result<PetitionView, AppError> {
    let (p, owner) = held(conn, caller, id)?;
    let version = expect_if_sent(if_match, p.version)?;
    let due = Deadlines { acknowledge_by: p.acknowledge_due, answer_by: p.answer_due };
    let mut change = PetitionChange::of(&p);
    let mut step_node = owner.clone();
    let step_note: Option<String>;
    let mut step_assignee = None;
    let mut escalated_from: Option<String> = None;
    let kind: &str = match &act {
        Act::Assign { assignee_id, note } => {
            let ok = match persistence::accounts::find(conn, persistence::accounts::KIND_USER, *assignee_id) {
                Ok(a) => a.active && a.jurisdiction_code == owner.code && a.role.allows(Permission::PetitionHandle),
                Err(RepoError::NotFound) => false,
                Err(e) => return Err(e.into()),
            };
            if !ok || !p.status.is_open() {
                if !p.status.is_open() {
                    return Err(AppError::violation(&PetitionError::WrongStatus(p.status)));
                }
                return Err(AppError::field(FieldError::of("/assignee_id", ErrorCode::AssigneeNotFound)));
            }
            change.assignee_id = Some(*assignee_id);
            step_note = note.clone();
            step_assignee = Some(*assignee_id);
            "assigned"
        }
        Act::Acknowledge { note } => {
            let out = petition::apply(p.status, PetitionAction::Acknowledge).map_err(refused)?;
            change.acknowledged_on = Some(today);
            with_due(&mut change, out.status, due);
            step_note = note.clone();
            "acknowledged"
        }
        Act::Action { note } => {
            let out = petition::apply(p.status, PetitionAction::RecordAction).map_err(refused)?;
            change.acknowledged_on = p.acknowledged_on.or(Some(today));
            with_due(&mut change, out.status, due);
            step_note = Some(note.clone());
            "action"
        }
        Act::Answer { answer, on } => {
            let out = petition::apply(p.status, PetitionAction::Answer).map_err(refused)?;
            change.acknowledged_on = p.acknowledged_on.or(Some(*on));
            change.answer = Some(answer.clone());
            change.answered_on = Some(*on);
            with_due(&mut change, out.status, due);
            step_note = Some(answer.clone());
            "answered"
        }
        Act::Close { outcome, satisfaction, answer } => {
            let mut status = p.status;
            if let Some(answer) = answer.as_ref().filter(|_| status.is_open()) {
                status = petition::apply(status, PetitionAction::Answer).map_err(refused)?.status;
                change.acknowledged_on = p.acknowledged_on.or(Some(today));
                change.answer = Some(answer.clone());
                change.answered_on = Some(today);
            }
            let out = petition::apply(status, PetitionAction::Close).map_err(refused)?;
            change.outcome = Some(outcome.clone());
            change.satisfaction = Some(satisfaction.as_str().to_owned());
            change.closed_on = Some(today);
            with_due(&mut change, out.status, due);
            step_note = Some(outcome.clone());
            "closed"
        }
        Act::Reopen { reason } => {
            let closed_on = p.closed_on.unwrap_or(today);
            let until = reopen_until_at(conn, &owner.path, closed_on)?;
            let out = petition::apply(p.status, PetitionAction::Reopen { on: today, until }).map_err(refused)?;
            let basis = petition::answer_basis(p.channel, u32::try_from(p.escalations).unwrap_or(0), p.major_policy);
            let fresh = deadlines_at(conn, &owner.path, basis, today)?;
            change.basis = basis.as_str().to_owned();
            change.clock_started_on = today;
            change.due_fixed = false;
            change.answer = None;
            change.answered_on = None;
            change.outcome = None;
            change.satisfaction = None;
            change.closed_on = None;
            change.reopened = p.reopened + 1;
            with_due(&mut change, out.status, fresh);
            step_note = Some(reason.clone());
            "reopened"
        }
        Act::Escalate { note } => {
            let out = petition::apply(p.status, PetitionAction::Escalate { from: owner.level }).map_err(refused)?;
            let Some(up) = node_above(conn, &owner)? else { return Err(refused(PetitionError::TopLevel)) };
            let escalations = p.escalations + 1;
            let basis = petition::answer_basis(p.channel, u32::try_from(escalations).unwrap_or(0), p.major_policy);
            let fresh = deadlines_at(conn, &up.path, basis, today)?;
            change.owner_code = up.code.clone();
            change.escalations = escalations;
            change.basis = basis.as_str().to_owned();
            change.clock_started_on = today;
            change.due_fixed = false;
            change.assignee_id = None;
            change.acknowledged_on = None;
            with_due(&mut change, out.status, fresh);
            escalated_from = Some(owner.code.clone());
            step_node = up;
            step_note = note.clone();
            "escalated"
        }
    };
    let saved = repo::save(conn, id, version, &change)?;
    match &escalated_from {
        Some(from) => record_escalation(conn, caller, &saved, from, &step_node, today, step_note.as_deref(), false)?,
        None => repo::add_step(
            conn,
            &NewPetitionStep {
                petition_id: id,
                kind: kind.to_owned(),
                node_code: step_node.code.clone(),
                on_date: today,
                note: step_note,
                assignee_id: step_assignee,
                actor: caller.login.clone(),
                at: persistence::now_utc(),
            },
        )?,
    }
    let persons = repo::persons_of(conn, id)?;
    let mut entry = caller.audit(&format!("petition.{kind}"), "petition", id, &owner.path);
    entry.retiree_id = persons.iter().find_map(|x| x.retiree_id);
    entry.detail = Some(
        serde_json::json!({"from_status": p.status, "status": saved.status, "owner": saved.owner_code,
            "due_on": saved.due_on.map(|d| d.to_string())})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    let reopen_until = match saved.closed_on {
        Some(c) => Some(reopen_until_at(conn, &step_node.path, c)?),
        None => None,
    };
    let steps = repo::steps_of(conn, id)?;
    view(saved, persons, steps, reopen_until, today, true)
}
