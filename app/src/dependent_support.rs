//! Dependants' support after a retiree's death (供养直系亲属待遇, GUIDE 五): an application within the policy window
//! (one month), the community's investigation, the street's review and the bureau's approval, each with
//! operator, date and outcome; approved dependants receive support from the month after the death and are
//! certified yearly like retirees; support ends when they die or lose eligibility, and a suspected fraud stops the
//! payment pending review.

use domain::death::{self, SupportApplicationStatus as Status, SupportEndReason, SupportStep};
use domain::support::{self as rules, SupportAction};
use domain::{ErrorCode, RuleViolation};
use persistence::death::{self as repo, NewSupport, Step, Support, SupportChange};
use persistence::retirees as people;
use persistence::{DbConnection, RepoError, audit};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after, month_text, parse_date};
use crate::policy_book::rules_at;
use crate::precondition::IfMatch;
use crate::retirees::registration::first_validity;
use crate::scope::node_in_scope;

/// An application.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"dependent_id": 7, "applied_on": "2026-03-30"}))]
pub struct ApplyRequest {
    /// A dependant of a retiree whose death is verified.
    pub dependent_id: i64,
    /// Day of the application (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date, example = "2026-03-30")]
    pub applied_on: Option<String>,
}

/// A step taken.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = SupportStepResponse)]
pub struct StepResponse {
    /// Which step.
    pub step: SupportStep,
    /// Its outcome.
    pub passed: bool,
    /// Date.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Findings, or the reason of a rejection.
    pub note: Option<String>,
    /// Who.
    pub operator: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An application for dependants' support.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 4, "retiree_id": 42, "dependent_id": 7, "death_report_id": 3,
    "community_code": "350203001001", "applied_on": "2026-03-30", "deadline": "2026-04-15", "status": "approved",
    "support_from": "2026-04", "support_until": null, "end_reason": null, "fraud_note": null, "version": 4,
    "steps": [{"step": "investigation", "passed": true, "on_date": "2026-04-02", "note": "同住，无收入", "operator": "hongshan",
    "created_at": "2026-04-02T02:00:00Z"}]}))]
pub struct SupportResponse {
    /// Id.
    pub id: i64,
    /// The deceased retiree.
    pub retiree_id: i64,
    /// The dependant.
    pub dependent_id: i64,
    /// The verified death report.
    pub death_report_id: i64,
    /// Community of the retiree.
    pub community_code: String,
    /// Day applied.
    #[schema(value_type = String, format = Date)]
    pub applied_on: Date,
    /// Last day to apply: the policy's months after the death (GUIDE 五: one month).
    #[schema(value_type = String, format = Date)]
    pub deadline: Date,
    /// Where it stands.
    pub status: Status,
    /// First month of support (the month after death), once approved.
    #[schema(example = "2026-04")]
    pub support_from: Option<String>,
    /// Last month of support, once ended.
    pub support_until: Option<String>,
    /// Why it ended.
    pub end_reason: Option<SupportEndReason>,
    /// The suspicion under review, or the last one cleared.
    pub fraud_note: Option<String>,
    /// Version (also the ETag).
    pub version: i64,
    /// The steps taken, oldest first.
    pub steps: Vec<StepResponse>,
}

fn response(s: Support, steps: Vec<Step>) -> SupportResponse {
    SupportResponse {
        id: s.id,
        retiree_id: s.retiree_id,
        dependent_id: s.dependent_id,
        death_report_id: s.death_report_id,
        community_code: s.community_code,
        applied_on: s.applied_on,
        deadline: s.deadline,
        status: s.status,
        support_from: s.support_from.map(month_text),
        support_until: s.support_until.map(month_text),
        end_reason: s.end_reason,
        fraud_note: s.fraud_note,
        version: s.version,
        steps: steps
            .into_iter()
            .map(|t| StepResponse {
                step: t.step,
                passed: t.passed,
                on_date: t.on_date,
                note: t.note,
                operator: t.operator,
                created_at: t.created_at.assume_utc(),
            })
            .collect(),
    }
}

/// The application and its steps as they are now.
fn reread(conn: &mut DbConnection, s: Support) -> Result<SupportResponse, AppError> {
    let steps = repo::steps_of(conn, s.id)?;
    Ok(response(s, steps))
}

fn rule_conflict(e: death::SupportError) -> AppError {
    AppError::conflict(e.code(), e.message_zh(), e.message_en())
}

fn version_error(e: RepoError) -> AppError {
    match e {
        RepoError::VersionMismatch => AppError::precondition_failed(),
        other => other.into(),
    }
}

/// The application if its retiree is in the caller's subtree; with the path of their community.
fn visible(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(Support, String), AppError> {
    let s = repo::find_support(conn, id)?;
    let (_, path) = people::find_in_scope(conn, s.retiree_id, &caller.scope_path)?;
    Ok((s, path))
}

/// The checks of an application as of `today`: the day applied, default today, not in the future.
pub fn check_application(body: &ApplyRequest, today: Date) -> Result<Date, Vec<FieldError>> {
    let mut errors = Vec::new();
    let applied_on = date_not_after("/applied_on", body.applied_on.as_deref(), today, &mut errors);
    if errors.is_empty() { Ok(applied_on) } else { Err(errors) }
}

/// Applies on `applied_on` for support for a dependant (in the caller's subtree, else 422
/// `dependent_not_found`) of a retiree whose death is verified (GUIDE 五; 409 `death_not_verified`), not before
/// the death and within the policy's window after it (`death.dependant_application_months`; 422
/// `application_window_closed`). One open application per dependant (409 `support_application_exists`).
pub fn apply(
    conn: &mut DbConnection,
    caller: &Caller,
    dependent_id: i64,
    applied_on: Date,
) -> Result<SupportResponse, AppError> {
    let (dependent, retiree, path) = crate::scope::referenced_dependent(conn, caller, dependent_id, "/dependent_id")?;
    let report = repo::verified_report_of(conn, retiree.id)?.ok_or_else(|| {
        AppError::with(
            ErrorCode::DeathNotVerified,
            "该退休人员的死亡尚未核实，不能申请供养待遇",
            "the retiree's death is not verified: no support can be applied for",
        )
    })?;
    let policy = crate::policy_book::policy_at(conn, &path, report.date_of_death)?;
    let months = policy.death.dependant_application_months.value;
    let deadline = death::application_deadline(report.date_of_death, months);
    if applied_on < report.date_of_death {
        return Err(AppError::field(FieldError::with(
            "/applied_on",
            ErrorCode::BeforeDeath,
            "申请日期不能早于死亡日期",
            "the application cannot be before the death",
        )));
    }
    if applied_on > deadline {
        return Err(AppError::field(FieldError::with(
            "/applied_on",
            ErrorCode::ApplicationWindowClosed,
            format!("供养待遇应在死亡后{months}个月内申请，截止日为{deadline}"),
            format!("support must be applied for within the policy window, which closed on {deadline}"),
        )));
    }
    let now = persistence::now_utc();
    let created = repo::create_support(
        conn,
        &NewSupport {
            retiree_id: retiree.id,
            dependent_id: dependent.id,
            death_report_id: report.id,
            community_code: retiree.community_code.clone(),
            applied_on,
            deadline,
            status: Status::Applied.as_str().to_owned(),
            created_by: caller.login.clone(),
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| match e {
        RepoError::Unique(_) => AppError::of(ErrorCode::SupportApplicationExists),
        other => other.into(),
    })?;
    let mut entry = caller.audit("dependent_support.apply", "dependent_support", created.id, &path);
    entry.retiree_id = Some(retiree.id);
    entry.detail =
        Some(serde_json::json!({"dependent_id": dependent.id, "applied_on": applied_on.to_string()}).to_string());
    audit::append(conn, &entry)?;
    Ok(response(created, Vec::new()))
}

/// A step to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SupportStepRequest, example = json!({"step": "investigation", "passed": true, "on_date": "2026-04-02", "note": "同住，无收入"}))]
pub struct StepRequest {
    /// `investigation` (the community), `review` (the street), `approval` (the district or city centre, for the
    /// HR and social security bureau), in that order.
    pub step: SupportStep,
    /// The outcome; `false` rejects the application and needs a `note` with the reason.
    pub passed: bool,
    /// Date (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date, example = "2026-04-02")]
    pub on_date: Option<String>,
    /// Findings or the reason of a rejection, up to 500 characters.
    pub note: Option<String>,
}

/// A step asked for, checked.
#[derive(Debug, Clone)]
pub struct StepAsked {
    /// Which step.
    pub step: SupportStep,
    /// Its outcome.
    pub passed: bool,
    /// Date.
    pub on_date: Date,
    /// Findings or the reason of a rejection.
    pub note: Option<String>,
}

/// The checks of a step as of `today`: the date (default today, not in the future), the note, and a reason for
/// a rejection.
pub fn check_step(body: &StepRequest, today: Date) -> Result<StepAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on_date = date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    if !body.passed && note.is_none() {
        errors.push(FieldError::of("/note", ErrorCode::ReasonRequired));
    }
    if errors.is_empty() { Ok(StepAsked { step: body.step, passed: body.passed, on_date, note }) } else { Err(errors) }
}

/// Records the next step of an application in the caller's subtree (GUIDE 五), at the version `if_match` asks
/// for when given, judged on `today`. Out of order is 409 `step_out_of_order`; a rejection closes the
/// application. Approval starts the support from the month after the death; the dependant is then supported and
/// certified yearly like a retiree, valid one policy period from `today`. Whether the caller's body may take the
/// step is the handler's check ([`rules::may_take`]).
pub fn record_step(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    asked: StepAsked,
) -> Result<SupportResponse, AppError> {
    let (current, path) = visible(conn, caller, id)?;
    if let Some(m) = if_match {
        m.expect(current.version)?;
    }
    let outcome = rules::apply(current.status, SupportAction::Step { step: asked.step, passed: asked.passed })
        .map_err(rule_conflict)?;
    let (to, approved) = (outcome.status, outcome.starts);
    let report = repo::find_report(conn, current.death_report_id)?;
    let change = SupportChange {
        status: to.as_str().to_owned(),
        support_from: approved.then_some(report.stop_month),
        support_until: None,
        end_reason: None,
        fraud_note: None,
        updated_at: persistence::now_utc(),
    };
    let step = (asked.step.as_str(), asked.passed, asked.on_date, asked.note.clone(), caller.login.as_str());
    let updated =
        repo::change_support(conn, &current, &change, Some(step), outcome.supported).map_err(version_error)?;
    if approved {
        // Certified like a retiree from now on (XM Art. 15 last paragraph).
        let rules = rules_at(conn, &path, today)?;
        repo::start_validity(conn, current.dependent_id, first_validity(today, rules))?;
    }
    let mut entry = caller.audit("dependent_support.step", "dependent_support", id, &path);
    entry.retiree_id = Some(current.retiree_id);
    entry.detail = Some(
        serde_json::json!({"step": asked.step.as_str(), "passed": asked.passed, "status": to.as_str()}).to_string(),
    );
    audit::append(conn, &entry)?;
    reread(conn, updated)
}

/// The end of support.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "died", "ended_on": "2026-06-20", "note": "死亡证明 DC-2026-0099"}))]
pub struct TerminateRequest {
    /// `died` or `ineligible`.
    pub reason: SupportEndReason,
    /// Day of the death or of the loss of eligibility (YYYY-MM-DD), not in the future; support is paid through
    /// its month.
    #[schema(format = Date, example = "2026-06-20")]
    pub ended_on: String,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// An end of support asked for, checked.
#[derive(Debug, Clone)]
pub struct TerminationAsked {
    /// Why.
    pub reason: SupportEndReason,
    /// Day of the death or of the loss of eligibility.
    pub ended_on: Date,
    /// Note.
    pub note: Option<String>,
}

/// The checks of an end of support as of `today`: the day, not in the future, and the note.
pub fn check_termination(body: &TerminateRequest, today: Date) -> Result<TerminationAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let ended_on = parse_date("/ended_on", &body.ended_on).map_err(|e| errors.push(e)).ok();
    if ended_on.is_some_and(|d| d > today) {
        errors.push(FieldError::of("/ended_on", ErrorCode::DateInFuture));
    }
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    match ended_on {
        Some(ended_on) if errors.is_empty() => Ok(TerminationAsked { reason: body.reason, ended_on, note }),
        _ => Err(errors),
    }
}

/// Ends approved support of an application in the caller's subtree (GUIDE 五: the dependant died or lost
/// eligibility), at the version `if_match` asks for when given: paid through the month of the day it ended, no
/// longer listed as receiving support from the next month; the dependant is no longer supported.
pub fn terminate(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: Option<IfMatch>,
    asked: TerminationAsked,
) -> Result<SupportResponse, AppError> {
    let (current, path) = visible(conn, caller, id)?;
    if let Some(m) = if_match {
        m.expect(current.version)?;
    }
    let action = SupportAction::Terminate { ended_on: asked.ended_on, support_from: current.support_from };
    let outcome = rules::apply(current.status, action).map_err(|e| match e {
        death::SupportError::EndsBeforeSupport => AppError::field(FieldError::rule("/ended_on", &e)),
        other => rule_conflict(other),
    })?;
    let until = outcome.until.ok_or_else(|| AppError::internal("a termination ends the support"))?;
    let change = SupportChange {
        status: outcome.status.as_str().to_owned(),
        support_from: None,
        support_until: Some(until),
        end_reason: Some(asked.reason.as_str().to_owned()),
        fraud_note: None,
        updated_at: persistence::now_utc(),
    };
    let updated = repo::change_support(conn, &current, &change, None, outcome.supported).map_err(version_error)?;
    let mut entry = caller.audit("dependent_support.terminate", "dependent_support", id, &path);
    entry.retiree_id = Some(current.retiree_id);
    entry.detail = Some(
        serde_json::json!({"reason": asked.reason.as_str(), "support_until": month_text(until), "note": asked.note})
            .to_string(),
    );
    audit::append(conn, &entry)?;
    reread(conn, updated)
}

/// Ends an open application by an event outside it (issue 19.13): the dependant's death on record
/// ([`SupportAction::DependantDied`], reason `died`) or the reversal of the retiree's death
/// ([`SupportAction::DeathReversed`], reason `death_reversed`), as the domain says; the caller audits it.
pub(crate) fn end_by_event(
    conn: &mut DbConnection,
    current: &Support,
    action: SupportAction,
    reason: SupportEndReason,
) -> Result<Support, AppError> {
    let outcome = rules::apply(current.status, action).map_err(rule_conflict)?;
    let change = SupportChange {
        status: outcome.status.as_str().to_owned(),
        support_from: None,
        support_until: outcome.until,
        end_reason: Some(reason.as_str().to_owned()),
        fraud_note: None,
        updated_at: persistence::now_utc(),
    };
    repo::change_support(conn, current, &change, None, outcome.supported).map_err(version_error)
}

/// A fraud flag or its clearance.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "群众举报：已随子女移居外地再婚"}))]
pub struct FraudRequest {
    /// What is suspected, or what the review found; 1-500 characters.
    pub note: String,
}

/// The checks of a fraud flag or clearance: the note, 1-500 characters.
pub fn check_fraud(body: &FraudRequest) -> Result<String, Vec<FieldError>> {
    let mut errors = Vec::new();
    let note = check_name("/note", &body.note, 500, &mut errors);
    if errors.is_empty() { Ok(note) } else { Err(errors) }
}

/// Flags (`flag`) approved support of an application in the caller's subtree as suspected fraud (GUIDE 五:
/// "弄虚作假骗领或冒领"): payment stops pending review; or clears the flag after review: payment resumes.
pub fn fraud(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    flag: bool,
    note: String,
) -> Result<SupportResponse, AppError> {
    let (current, path) = visible(conn, caller, id)?;
    let action = if flag { SupportAction::FlagFraud } else { SupportAction::ClearFraud };
    let outcome = rules::apply(current.status, action).map_err(rule_conflict)?;
    let change = SupportChange {
        status: outcome.status.as_str().to_owned(),
        support_from: None,
        support_until: None,
        end_reason: None,
        fraud_note: Some(note.clone()),
        updated_at: persistence::now_utc(),
    };
    let updated = repo::change_support(conn, &current, &change, None, outcome.supported).map_err(version_error)?;
    let action = if flag { "dependent_support.fraud_flag" } else { "dependent_support.fraud_clear" };
    let mut entry = caller.audit(action, "dependent_support", id, &path);
    entry.retiree_id = Some(current.retiree_id);
    entry.detail = Some(serde_json::json!({ "note": note }).to_string());
    audit::append(conn, &entry)?;
    reread(conn, updated)
}

/// The filters of the list, checked.
#[derive(Debug, Clone, Default)]
pub struct SupportFilter {
    /// A node in the caller's subtree (default the caller's node).
    pub jurisdiction: Option<String>,
    /// One status.
    pub status: Option<Status>,
    /// Only support paid in this month (its first day).
    pub receiving_in: Option<Date>,
}

/// A page of the applications under the filter's node (422 `jurisdiction_not_found` outside the caller's
/// subtree), by id after `after`, each with its steps.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: SupportFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<SupportResponse>, AppError> {
    let code = filter.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let node = node_in_scope(conn, caller, &code, "jurisdiction")?;
    let status = filter.status.map(|s| s.as_str());
    let found = repo::list_support(conn, &node.path, status, filter.receiving_in, after, limit)?;
    found.into_iter().map(|s| reread(conn, s)).collect()
}

/// One application with its steps (an audited read).
pub fn get_one(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Audited<SupportResponse>, AppError> {
    let (s, path) = visible(conn, caller, id)?;
    let mut entry = caller.audit("dependent_support.read", "dependent_support", id, &path);
    entry.retiree_id = Some(s.retiree_id);
    let value = reread(conn, s)?;
    Ok(Audited::new(value, entry))
}
