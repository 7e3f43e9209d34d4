//! What the receiving side does with a handed-over person (GUIDE 交接制度; JN Art. 21): records the steps, then
//! accepts them (registered in the receiving community, on its roll, a first visit due within the month) or
//! returns them to the employer.

use domain::ErrorCode;
use domain::handover::{self as rules, HandoverAction};
use domain::movement::{self, ArchiveExemption, HandoverStep};
use persistence::DbConnection;
use persistence::movement::{self as repo};
use persistence::retirees as people;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{BatchResponse, decide, item_in_scope, load, rule};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after};
use crate::policy_book::rules_at;
use crate::retirees::register::{load_certification, loaded_json};
use crate::retirees::registration::{CreateRetireeRequest, first_validity, validate_new};

/// A step to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = HandoverStepRequest, example = json!({"step": "archive_received", "on_date": "2026-05-06", "volumes": 3, "complete": true}))]
pub struct StepRequest {
    /// Which step.
    pub step: HandoverStep,
    /// Date (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub on_date: Option<String>,
    /// `archive_received`: volumes received (0-99).
    pub volumes: Option<u8>,
    /// `archive_received`: whether the archive is complete.
    pub complete: Option<bool>,
    /// `archive_received`: why no archive is handed over instead (JN Art. 21(4)).
    pub exemption: Option<ArchiveExemption>,
    /// `reported`: received at home, for those who cannot come (JN Art. 21(1)).
    pub at_home: Option<bool>,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// Records a step of item `item_id` of batch `batch_id` on `today` (GUIDE 交接制度; JN Art. 21): information
/// collected, archive received (volumes and completeness, or an exemption), party relationship transferred (party
/// members only, else 409 `not_a_party_member`), agreement signed, reported (or received at home), first visit
/// (closes the first-visit task). Answers the batch.
pub fn add_step(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    batch_id: i64,
    item_id: i64,
    body: StepRequest,
) -> Result<BatchResponse, AppError> {
    let mut errors = Vec::new();
    let on_date = date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    let archive = body.step == HandoverStep::ArchiveReceived;
    if !archive && (body.volumes.is_some() || body.complete.is_some() || body.exemption.is_some()) {
        errors.push(FieldError::of("/volumes", ErrorCode::NotForStep));
    }
    if archive && body.exemption.is_none() && (body.volumes.is_none() || body.complete.is_none()) {
        errors.push(FieldError::of("/volumes", ErrorCode::RequiredForStep));
    }
    if body.volumes.is_some_and(|v| v > 99) {
        errors.push(FieldError::with("/volumes", ErrorCode::OutOfRange, "卷数应为0至99", "volumes must be 0 to 99"));
    }
    if body.at_home.is_some() && body.step != HandoverStep::Reported {
        errors.push(FieldError::with(
            "/at_home",
            ErrorCode::NotForStep,
            "at_home 只用于报到",
            "at_home belongs to reported",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let (b, item, path) = item_in_scope(conn, caller, batch_id, item_id)?;
    decide(&item, HandoverAction::Step { step: body.step, party_member: item.party_member })?;
    let detail = serde_json::json!({"volumes": body.volumes, "complete": body.complete,
        "exemption": body.exemption.map(|e| e.as_str()), "at_home": body.at_home, "note": note});
    repo::add_step(conn, item_id, body.step.as_str(), on_date, Some(detail.to_string()), &caller.login)?;
    if rules::closes_first_visit(body.step)
        && let Some(rid) = item.retiree_id
    {
        repo::close_visits(conn, rid, "new_arrival", None, on_date, &caller.login, note)?;
    }
    let mut entry = caller.audit("handover.step", "handover_item", item_id, &path);
    entry.retiree_id = item.retiree_id;
    entry.detail = Some(serde_json::json!({"batch_id": batch_id, "step": body.step.as_str()}).to_string());
    persistence::audit::append(conn, &entry)?;
    load(conn, b)
}

/// An acceptance.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"received_on": "2026-05-12"}))]
pub struct AcceptRequest {
    /// Day the person was received (YYYY-MM-DD), default today; not in the future, not before the batch's month.
    #[schema(format = Date, example = "2026-05-12")]
    pub received_on: Option<String>,
}

/// Accepts item `item_id` of batch `batch_id` on `today` (GUIDE 交接制度) once its archive step (the archive
/// received, or an exemption recorded: JN Art. 21(4)) and its agreement step are recorded, else 409
/// `handover_step_missing` naming the first missing step: the retiree is registered in the
/// receiving community, checked again as a single create, certified until one policy period after the day
/// received (CS Art. 16(2)), or one period after the real last certification handed over with them
/// (`retiree.last_certified_on`, recorded in their history; issue 19.2); they join its roll in the month received and get a first-visit task due by the end of
/// that month (GUIDE 走访制度: "当月内"). When no item is left pending the batch
/// closes. Answers the batch.
pub fn accept(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    batch_id: i64,
    item_id: i64,
    body: AcceptRequest,
) -> Result<BatchResponse, AppError> {
    let mut errors = Vec::new();
    let received_on = date_not_after("/received_on", body.received_on.as_deref(), today, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let (b, item, path) = item_in_scope(conn, caller, batch_id, item_id)?;
    // Issue 19.12; JN Art. 21(4), GUIDE 交接制度: the archive (or its exemption) and the agreement come first.
    let steps: Vec<HandoverStep> =
        repo::steps_of_batch(conn, batch_id)?.into_iter().filter(|s| s.item_id == item_id).map(|s| s.step).collect();
    let accepted = decide(&item, rules::acceptance(&steps))?;
    if persistence::movement::month_of(received_on) < b.month {
        return Err(AppError::field(FieldError::of("/received_on", ErrorCode::BeforeBatchMonth)));
    }
    let request: CreateRetireeRequest = serde_json::from_str(&item.payload).map_err(AppError::internal)?;
    let (mut data, flags, last) = validate_new(request, today).map_err(AppError::validation)?;
    // Certified from the day received, under the policy of that day (issue 19.9), not from the acceptance call;
    // or from the person's real last certification handed over with them (issue 19.2; CS Art. 16(2), 32(1)).
    data.certified_until = match last {
        Some(c) => first_validity(c.certified_on, rules_at(conn, &path, c.certified_on)?),
        None => first_validity(received_on, rules_at(conn, &path, received_on)?),
    };
    let source = ("handover", Some(item_id));
    let retiree = people::create_as(conn, &data, &flags, "received", received_on, source).map_err(|e| match e {
        persistence::RepoError::Unique(_) => AppError::of(ErrorCode::IdNumberTaken),
        other => other.into(),
    })?;
    if let Some(c) = last {
        load_certification(conn, &caller.login, retiree.id, c, data.certified_until, Some(item_id))?;
    }
    repo::settle_item(conn, &item, accepted.as_str(), Some(retiree.id), None, &caller.login).map_err(settled)?;
    // Issue 23: the archive received with the person (the handover's archive step) now belongs to the retiree.
    persistence::archives::link_retiree(conn, item_id, retiree.id, &retiree.community_code)?;
    repo::open_visit(
        conn,
        retiree.id,
        &retiree.community_code,
        "new_arrival",
        movement::month_end(received_on),
        ("handover", Some(item_id)),
    )?;
    let mut entry = caller.audit("handover.accept", "handover_item", item_id, &path);
    entry.retiree_id = Some(retiree.id);
    entry.detail = Some(
        serde_json::json!({"batch_id": batch_id, "community_code": retiree.community_code,
            "last_certification": last.map(loaded_json)})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    let b = repo::find_batch(conn, b.id)?;
    load(conn, b)
}

/// An item settled meanwhile is 409 `item_settled`.
fn settled(e: persistence::RepoError) -> AppError {
    match e {
        persistence::RepoError::VersionMismatch => rule(rules::HandoverError::ItemSettled),
        other => other.into(),
    }
}

/// Why an item goes back.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "人事档案缺少退休审批表"}))]
pub struct ReturnRequest {
    /// Reason, 1-500 characters.
    pub reason: String,
}

/// Returns item `item_id` of batch `batch_id` to the employer with a reason; nobody is registered. When no item is
/// left pending the batch closes. Answers the batch.
pub fn return_item(
    conn: &mut DbConnection,
    caller: &Caller,
    batch_id: i64,
    item_id: i64,
    body: ReturnRequest,
) -> Result<BatchResponse, AppError> {
    let mut errors = Vec::new();
    let reason = check_name("/reason", &body.reason, 500, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let (b, item, path) = item_in_scope(conn, caller, batch_id, item_id)?;
    let returned = decide(&item, HandoverAction::Return)?;
    repo::settle_item(conn, &item, returned.as_str(), None, Some(&reason), &caller.login).map_err(settled)?;
    let mut entry = caller.audit("handover.return", "handover_item", item_id, &path);
    entry.detail = Some(serde_json::json!({"batch_id": batch_id, "reason": reason}).to_string());
    persistence::audit::append(conn, &entry)?;
    let b = repo::find_batch(conn, b.id)?;
    load(conn, b)
}
