//! Tracked errands 代办事项 (issue 25; JN Art. 7(5), 24; GUIDE 走访制度): what a service body does on a retiree's
//! behalf and follows to its end: the senior preferential card for people of the policy's age (GUIDE 走访制度),
//! chronic/special disease and special-drug qualification, and medical-insurance continuation (opened on its own
//! when a transfer between districts completes: [`act::open_on_transfer`]). The status machine, the due date and
//! the age rule are in `domain::errand`; the age and the days per kind are policy values (`errands`).
//!
//! Writing needs `errand.manage`, reading `retiree.read`; an errand is seen from the subtree of the node that
//! handles it. Every write is audited with the person (so the person's timeline shows it) and emits
//! `errand.opened` or `errand.changed`; every read of one errand is audited, the lists per page.

pub mod act;
pub mod lists;

use domain::ErrorCode;
use domain::Permission;
use domain::errand::{self, ErrandAction, ErrandKind, ErrandStatus};
use domain::events::EventType;
use persistence::errands::Row;
use persistence::events::{self, Emit};
use persistence::{DbConnection, typed};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after};

pub use act::{open, open_on_transfer, step};
// The checked inputs travel from the API into the use cases.
pub use lists::{CandidateView, ErrandListQuery, candidates, export, get, list};

/// Most materials on one errand.
const MAX_MATERIALS: usize = 30;

/// 403 unless the caller reads errands (`retiree.read`).
pub fn require_read(caller: &Caller) -> Result<(), AppError> {
    caller.require(Permission::RetireeRead)
}

/// An errand to open.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "kind": "chronic_disease_qualification",
    "materials": ["门诊病历", "检查报告", "身份证复印件"], "opened_on": "2026-12-01", "jurisdiction": null,
    "notes": "高血压、糖尿病"}))]
pub struct ErrandInput {
    /// The person (in the caller's subtree; else 422 `retiree_not_found`).
    pub retiree_id: i64,
    /// `senior_card`, `chronic_disease_qualification`, `special_drug_qualification`,
    /// `medical_insurance_continuation`.
    pub kind: ErrandKind,
    /// The materials collected, each 1-100 characters, at most 30.
    pub materials: Option<Vec<String>>,
    /// Day opened (`YYYY-MM-DD`, not in the future; default today).
    #[schema(format = Date)]
    pub opened_on: Option<String>,
    /// The node that handles it: the person's community (default) or a node above it in the caller's subtree (else
    /// 422 `jurisdiction_not_found`).
    pub jurisdiction: Option<String>,
    /// Notes, at most 500 characters.
    pub notes: Option<String>,
}

/// The submission of an errand's materials.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"on": "2026-12-03", "materials": ["门诊病历", "检查报告", "身份证复印件", "医保卡复印件"]}))]
pub struct SubmissionInput {
    /// Day submitted (`YYYY-MM-DD`, not in the future, not before opening; default today).
    #[schema(format = Date)]
    pub on: Option<String>,
    /// The materials submitted, if they changed (replaces the list).
    pub materials: Option<Vec<String>>,
}

/// The office's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrandResult {
    /// Approved (the card issued, the qualification recognised, the relation continued).
    Approved,
    /// Refused (with the reason).
    Refused,
}

/// The result of a submitted errand.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"result": "refused", "on": "2026-12-05", "reason": "病种不在门诊慢特病目录内"}))]
pub struct ResultInput {
    /// `approved` or `refused` (with `reason`: else 422 `reason_required`).
    pub result: ErrandResult,
    /// Day of the answer (`YYYY-MM-DD`, not in the future, not before opening; default today).
    #[schema(format = Date)]
    pub on: Option<String>,
    /// The reason of a refusal, at most 200 characters.
    pub reason: Option<String>,
}

/// The withdrawal of an errand.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"on": "2026-12-05", "reason": "本人已自行办理"}))]
pub struct WithdrawalInput {
    /// Day withdrawn (`YYYY-MM-DD`, not in the future, not before opening; default today).
    #[schema(format = Date)]
    pub on: Option<String>,
    /// Why, at most 200 characters.
    pub reason: Option<String>,
}

/// An errand.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 9, "retiree_id": 42, "name": "张三", "community": "350203001001",
    "kind": "chronic_disease_qualification", "jurisdiction": "350203001001", "materials": ["门诊病历"],
    "opened_on": "2026-12-01", "submitted_on": "2026-12-03", "due_on": null, "overdue": false,
    "status": "submitted", "closed_on": null, "reason": null, "notes": null, "transfer_id": null, "version": 2}))]
pub struct ErrandView {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// The person's community.
    pub community: String,
    /// Kind.
    pub kind: ErrandKind,
    /// The node handling it.
    pub jurisdiction: String,
    /// Materials.
    pub materials: Vec<String>,
    /// Day opened.
    #[schema(value_type = String, format = Date)]
    pub opened_on: Date,
    /// Day submitted.
    #[schema(value_type = Option<String>, format = Date)]
    pub submitted_on: Option<Date>,
    /// Due date: opened plus the policy's days for the kind; `null` when no text gives a number.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<Date>,
    /// Pending and past the due date (on the day asked).
    pub overdue: bool,
    /// `open`, `submitted`, `approved`, `refused`, `withdrawn`.
    pub status: ErrandStatus,
    /// Day of the result or withdrawal.
    #[schema(value_type = Option<String>, format = Date)]
    pub closed_on: Option<Date>,
    /// Reason of a refusal or withdrawal.
    pub reason: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// The transfer that opened it (medical-insurance continuation).
    pub transfer_id: Option<i64>,
    /// Version (ETag).
    pub version: i64,
}

/// A checked errand.
#[derive(Debug, Clone)]
pub struct OpenAsked {
    retiree_id: i64,
    kind: ErrandKind,
    materials: Vec<String>,
    opened_on: Date,
    jurisdiction: Option<String>,
    notes: Option<String>,
}

/// A checked step.
#[derive(Debug, Clone)]
pub struct StepAsked {
    action: ErrandAction,
    on: Date,
    reason: Option<String>,
    materials: Option<Vec<String>>,
}

fn check_materials(list: Option<&[String]>, errors: &mut Vec<FieldError>) -> Vec<String> {
    let Some(list) = list else { return Vec::new() };
    if list.len() > MAX_MATERIALS {
        errors.push(FieldError::with(
            "/materials",
            ErrorCode::InvalidValue,
            format!("材料最多{MAX_MATERIALS}项"),
            format!("at most {MAX_MATERIALS} materials"),
        ));
        return Vec::new();
    }
    list.iter().enumerate().map(|(i, m)| check_name(&format!("/materials/{i}"), m, 100, errors)).collect()
}

/// The checks of an errand on `today`.
pub fn check(body: &ErrandInput, today: Date) -> Result<OpenAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let materials = check_materials(body.materials.as_deref(), &mut errors);
    let opened_on = match body.opened_on.as_deref() {
        None => today,
        Some(t) => date_not_after("/opened_on", Some(t), today, &mut errors),
    };
    let notes = check_text("/notes", body.notes.as_deref(), 500, &mut errors);
    if errors.is_empty() {
        Ok(OpenAsked {
            retiree_id: body.retiree_id,
            kind: body.kind,
            materials,
            opened_on,
            jurisdiction: body.jurisdiction.clone(),
            notes,
        })
    } else {
        Err(errors)
    }
}

fn step_date(on: Option<&str>, today: Date, errors: &mut Vec<FieldError>) -> Date {
    match on {
        None => today,
        Some(t) => date_not_after("/on", Some(t), today, errors),
    }
}

/// The checks of a submission on `today`.
pub fn check_submission(body: &SubmissionInput, today: Date) -> Result<StepAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on = step_date(body.on.as_deref(), today, &mut errors);
    let materials = body.materials.as_deref().map(|m| check_materials(Some(m), &mut errors));
    if errors.is_empty() {
        Ok(StepAsked { action: ErrandAction::Submit, on, reason: None, materials })
    } else {
        Err(errors)
    }
}

/// The checks of a result on `today`: a refusal names its reason.
pub fn check_result(body: &ResultInput, today: Date) -> Result<StepAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on = step_date(body.on.as_deref(), today, &mut errors);
    let reason = check_text("/reason", body.reason.as_deref(), 200, &mut errors);
    let action = match body.result {
        ErrandResult::Approved => ErrandAction::Approve,
        ErrandResult::Refused => ErrandAction::Refuse,
    };
    if action == ErrandAction::Refuse && reason.is_none() && body.reason.is_none() {
        errors.push(FieldError::with(
            "/reason",
            ErrorCode::ReasonRequired,
            "未通过时须写明理由",
            "a refusal needs its reason",
        ));
    }
    if errors.is_empty() { Ok(StepAsked { action, on, reason, materials: None }) } else { Err(errors) }
}

/// The checks of a withdrawal on `today`.
pub fn check_withdrawal(body: &WithdrawalInput, today: Date) -> Result<StepAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on = step_date(body.on.as_deref(), today, &mut errors);
    let reason = check_text("/reason", body.reason.as_deref(), 200, &mut errors);
    if errors.is_empty() {
        Ok(StepAsked { action: ErrandAction::Withdraw, on, reason, materials: None })
    } else {
        Err(errors)
    }
}

fn view(row: Row, today: Date) -> Result<ErrandView, AppError> {
    let e = row.errand;
    let materials: Vec<String> = typed::stored_json("errands", e.id, "materials", &e.materials)?;
    Ok(ErrandView {
        id: e.id,
        retiree_id: e.retiree_id,
        name: row.name,
        community: row.community_code,
        kind: e.kind,
        jurisdiction: e.node_code,
        materials,
        opened_on: e.opened_on,
        submitted_on: e.submitted_on,
        due_on: e.due_on,
        overdue: errand::is_overdue(e.status, e.due_on, today),
        status: e.status,
        closed_on: e.closed_on,
        reason: e.reason,
        notes: e.notes,
        transfer_id: e.transfer_id,
        version: e.version,
    })
}

fn emit(conn: &mut DbConnection, kind: EventType, v: &ErrandView, from: Option<ErrandStatus>) -> Result<(), AppError> {
    events::emit(
        conn,
        &Emit {
            kind: kind.as_str(),
            version: 1,
            subject_type: "errand",
            subject_id: v.id,
            retiree_id: Some(v.retiree_id),
            community_code: None,
            previous_code: None,
            details: serde_json::json!({
                "errand_id": v.id,
                "kind": v.kind.as_str(),
                "jurisdiction": v.jurisdiction,
                "from_status": from.map(|s| s.as_str()),
                "status": v.status.as_str(),
                "opened_on": v.opened_on.to_string(),
                "due_on": v.due_on.map(|d| d.to_string()),
                "transfer_id": v.transfer_id,
            }),
        },
    )?;
    Ok(())
}
