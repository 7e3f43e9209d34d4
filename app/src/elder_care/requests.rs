//! Care requests through the ten steps (GUIDE 第二部分六 4): 3 receive a request for a person (items, frequency,
//! preferred time, at home or at an institution), 7 check eligibility (which items at whose cost, from the policy
//! in force at the person's node), 4 propose caregivers ([`candidates`]) and confirm one, 5-6 book a time slot (no
//! caregiver booked twice: 409), deliver (start, end, who), 8 spot checks, 9 the evaluation by the person or the
//! family. Every step is audited; receiving, booking, delivering and evaluating emit `care.*` events.

use domain::elder_care::{
    self, CareAction, CareError, CareFrequency, CareItem, CarePlace, CareStatus, CaregiverGrade, CostBearer,
    SupervisionResult,
};
use domain::events::EventType;
use domain::policy::Policy;
use domain::{ErrorCode, PensionStatus, Permission, RuleViolation};
use persistence::elder_care::{self as repo, CareRequest, NewSupervision, RequestRow};
use persistence::events::{self, Emit};
use persistence::{DbConnection, RepoError, audit};
use serde::{Deserialize, Serialize};
use time::{Date, PrimitiveDateTime};
use utoipa::ToSchema;

use super::{check_items, json, local_text, parse_local, to_json};
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after};
use crate::policy_book::{PolicyBook, policy_at};
use crate::precondition::IfMatch;
use crate::scope::referenced_retiree;

/// A request to receive (step 3).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "items": ["bathing", "cleaning"], "frequency": "weekly",
    "preferred_time": "周二上午", "place": "home", "cost_bearer": "self_paid"}))]
pub struct CreateCareRequest {
    /// The person, in the caller's subtree.
    pub retiree_id: i64,
    /// Items wanted, each once.
    pub items: Vec<CareItem>,
    /// How often.
    pub frequency: CareFrequency,
    /// Preferred time, free text up to 100 characters.
    pub preferred_time: Option<String>,
    /// At home or at an institution.
    pub place: CarePlace,
    /// The institution (required for `institution`, absent for `home`): in the caller's subtree, with a valid
    /// licence, offering every item.
    pub institution_id: Option<i64>,
    /// Who bears the cost.
    pub cost_bearer: CostBearer,
}

/// A spot check.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SupervisionView {
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Result.
    pub result: SupervisionResult,
    /// Note.
    pub note: Option<String>,
    /// Login.
    pub actor: String,
}

/// A care request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 9, "retiree_id": 42, "jurisdiction": "350203001001", "items": ["bathing"],
    "frequency": "weekly", "preferred_time": "周二上午", "place": "home", "institution_id": null,
    "cost_bearer": "self_paid", "status": "booked", "requested_on": "2026-12-06", "eligibility_note": null,
    "checked_on": "2026-12-06", "required_grade": "junior", "caregiver_id": 5, "slot_start": "2026-12-08T09:00",
    "slot_end": "2026-12-08T11:00", "delivered_start": null, "delivered_end": null, "delivered_by": null,
    "hours": null, "score": null, "evaluation": null, "evaluated_by": null, "evaluated_on": null,
    "cancel_reason": null, "supervisions": [], "version": 4}))]
pub struct CareRequestView {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// The person's community when received.
    pub jurisdiction: String,
    /// Items.
    pub items: Vec<CareItem>,
    /// Frequency.
    pub frequency: CareFrequency,
    /// Preferred time.
    pub preferred_time: Option<String>,
    /// Place.
    pub place: CarePlace,
    /// Institution.
    pub institution_id: Option<i64>,
    /// Cost bearer.
    pub cost_bearer: CostBearer,
    /// Status.
    pub status: CareStatus,
    /// Day received.
    #[schema(value_type = String, format = Date)]
    pub requested_on: Date,
    /// Eligibility finding (the items refused and why).
    pub eligibility_note: Option<String>,
    /// Day checked.
    #[schema(value_type = Option<String>, format = Date)]
    pub checked_on: Option<Date>,
    /// The lowest grade that may give every item (policy in force today).
    pub required_grade: CaregiverGrade,
    /// Caregiver confirmed.
    pub caregiver_id: Option<i64>,
    /// Slot start (China time `YYYY-MM-DDTHH:MM`).
    pub slot_start: Option<String>,
    /// Slot end.
    pub slot_end: Option<String>,
    /// Service start.
    pub delivered_start: Option<String>,
    /// Service end.
    pub delivered_end: Option<String>,
    /// Who gave it.
    pub delivered_by: Option<String>,
    /// Hours given (two decimals).
    pub hours: Option<String>,
    /// Score.
    pub score: Option<i32>,
    /// Evaluation text.
    pub evaluation: Option<String>,
    /// `person` or `family`.
    pub evaluated_by: Option<String>,
    /// Day evaluated.
    #[schema(value_type = Option<String>, format = Date)]
    pub evaluated_on: Option<Date>,
    /// Why cancelled.
    pub cancel_reason: Option<String>,
    /// Spot checks (empty in lists).
    pub supervisions: Vec<SupervisionView>,
    /// Version (ETag).
    pub version: i64,
}

/// Minutes between two local times.
pub fn minutes(start: PrimitiveDateTime, end: PrimitiveDateTime) -> i64 {
    (end - start).whole_minutes()
}

/// Minutes as hours with two decimals.
pub fn hours_text(minutes: i64) -> String {
    let hundredths = (minutes * 100 * 2 + 60) / 120;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

pub(crate) fn view(
    conn: &mut DbConnection,
    r: CareRequest,
    path: &str,
    today: Date,
    with_checks: bool,
) -> Result<CareRequestView, AppError> {
    let policy = policy_at(conn, path, today)?;
    let supervisions = if with_checks {
        repo::supervisions_of(conn, r.id)?
            .into_iter()
            .map(|s| SupervisionView { on_date: s.on_date, result: s.result, note: s.note, actor: s.actor })
            .collect()
    } else {
        Vec::new()
    };
    view_under(r, &policy, supervisions)
}

/// The request `r` under `policy` (that of its node), with the spot checks given.
pub(crate) fn view_under(
    r: CareRequest,
    policy: &Policy,
    supervisions: Vec<SupervisionView>,
) -> Result<CareRequestView, AppError> {
    let items: Vec<CareItem> = json("care_requests", r.id, "items", &r.items)?;
    let hours = r.delivered_start.zip(r.delivered_end).map(|(s, e)| hours_text(minutes(s, e)));
    Ok(CareRequestView {
        id: r.id,
        retiree_id: r.retiree_id,
        jurisdiction: r.jurisdiction_code,
        required_grade: elder_care::required_for(&policy.elder_care, &items),
        items,
        frequency: r.frequency,
        preferred_time: r.preferred_time,
        place: r.place,
        institution_id: r.institution_id,
        cost_bearer: r.cost_bearer,
        status: r.status,
        requested_on: r.requested_on,
        eligibility_note: r.eligibility_note,
        checked_on: r.checked_on,
        caregiver_id: r.caregiver_id,
        slot_start: r.slot_start.map(local_text),
        slot_end: r.slot_end.map(local_text),
        delivered_start: r.delivered_start.map(local_text),
        delivered_end: r.delivered_end.map(local_text),
        delivered_by: r.delivered_by,
        hours,
        score: r.score,
        evaluation: r.evaluation,
        evaluated_by: r.evaluated_by,
        evaluated_on: r.evaluated_on,
        cancel_reason: r.cancel_reason,
        supervisions,
        version: r.version,
    })
}

/// A checked request.
#[derive(Debug, Clone)]
pub struct CreateAsked {
    body: CreateCareRequest,
    items: Vec<CareItem>,
    preferred_time: Option<String>,
}

/// The checks of a request.
pub fn check_create(b: &CreateCareRequest) -> Result<CreateAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let items = check_items("/items", &b.items, &mut errors);
    let preferred_time = check_text("/preferred_time", b.preferred_time.as_deref(), 100, &mut errors);
    match (b.place, b.institution_id) {
        (CarePlace::Institution, None) => errors.push(FieldError::of("/institution_id", ErrorCode::Required)),
        (CarePlace::Home, Some(_)) => errors.push(FieldError::with(
            "/institution_id",
            ErrorCode::InvalidValue,
            "居家服务不填写机构",
            "a service at home names no institution",
        )),
        _ => {}
    }
    if errors.is_empty() { Ok(CreateAsked { body: b.clone(), items, preferred_time }) } else { Err(errors) }
}

fn institution_field(e: RepoError) -> AppError {
    match e {
        RepoError::NotFound => AppError::field(FieldError::of("/institution_id", ErrorCode::InstitutionNotFound)),
        other => other.into(),
    }
}

fn emit(conn: &mut DbConnection, kind: EventType, r: &CareRequest, details: serde_json::Value) -> Result<(), AppError> {
    events::emit(
        conn,
        &Emit {
            kind: kind.as_str(),
            version: 1,
            subject_type: "care_request",
            subject_id: r.id,
            retiree_id: Some(r.retiree_id),
            community_code: Some(&r.jurisdiction_code),
            previous_code: None,
            details,
        },
    )?;
    Ok(())
}

fn event_details(r: &CareRequest) -> Result<serde_json::Value, AppError> {
    let items: Vec<CareItem> = json("care_requests", r.id, "items", &r.items)?;
    Ok(serde_json::json!({
        "request_id": r.id,
        "status": r.status,
        "items": items,
        "place": r.place,
        "institution_id": r.institution_id,
        "cost_bearer": r.cost_bearer,
        "caregiver_id": r.caregiver_id,
        "slot_start": r.slot_start.map(local_text),
        "slot_end": r.slot_end.map(local_text),
        "delivered_start": r.delivered_start.map(local_text),
        "delivered_end": r.delivered_end.map(local_text),
        "score": r.score,
    }))
}

/// Receives a request (step 3) for a person in the caller's subtree (else 422 `retiree_not_found` on
/// `/retiree_id`) on `today`; at an institution: the institution in the subtree (422 `institution_not_found`), with
/// a valid licence (422 `licence_expired`), offering every item (422 `care_item_not_offered` on `/items/{i}`).
/// Audited `care.request.create`; emits `care.request_created`.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    asked: CreateAsked,
) -> Result<CareRequestView, AppError> {
    caller.require(Permission::CareServiceManage)?;
    let b = &asked.body;
    let (retiree, path) = referenced_retiree(conn, caller, b.retiree_id, "/retiree_id")?;
    if let Some(id) = b.institution_id {
        let (inst, _) = repo::find_institution(conn, id, &caller.scope_path).map_err(institution_field)?;
        let mut errors = Vec::new();
        if !elder_care::licence_valid(inst.licence_expires_on, today) {
            let d = inst.licence_expires_on.unwrap_or(today);
            errors.push(FieldError::rule("/institution_id", &CareError::LicenceExpired(d)));
        }
        let offered: Vec<super::institutions::ServiceOffer> =
            json("care_institutions", inst.id, "services", &inst.services)?;
        for (i, item) in b.items.iter().enumerate() {
            if !offered.iter().any(|o| o.item == *item) {
                errors.push(FieldError::rule(format!("/items/{i}"), &CareError::ItemNotOffered(*item)));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
    }
    let row = RequestRow {
        retiree_id: retiree.id,
        jurisdiction_code: retiree.community_code.clone(),
        items: to_json(&asked.items)?,
        frequency: b.frequency.as_str().to_owned(),
        preferred_time: asked.preferred_time.clone(),
        place: b.place.as_str().to_owned(),
        institution_id: b.institution_id,
        cost_bearer: b.cost_bearer.as_str().to_owned(),
        status: CareStatus::Received.as_str().to_owned(),
        requested_on: today,
        eligibility_note: None,
        checked_on: None,
        caregiver_id: None,
        slot_start: None,
        slot_end: None,
        delivered_start: None,
        delivered_end: None,
        delivered_by: None,
        score: None,
        evaluation: None,
        evaluated_by: None,
        evaluated_on: None,
        cancel_reason: None,
        created_by: caller.login.clone(),
        created_at: persistence::now_utc(),
    };
    let stored = repo::create_request(conn, &row)?;
    let mut entry = caller.audit("care.request.create", "care_request", stored.id, &path);
    entry.retiree_id = Some(retiree.id);
    entry.detail =
        Some(serde_json::json!({"items": asked.items, "place": b.place, "cost_bearer": b.cost_bearer}).to_string());
    audit::append(conn, &entry)?;
    emit(conn, EventType::CareRequestCreated, &stored, event_details(&stored)?)?;
    view(conn, stored, &path, today, true)
}

/// One request in the caller's subtree (else 404), with its spot checks; an audited read (`care.request.read`).
pub fn get(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
) -> Result<Audited<CareRequestView>, AppError> {
    super::require_read(caller)?;
    let (r, path) = repo::find_request(conn, id, &caller.scope_path)?;
    let mut entry = caller.audit("care.request.read", "care_request", id, &path);
    entry.retiree_id = Some(r.retiree_id);
    Ok(Audited::new(view(conn, r, &path, today, true)?, entry))
}

/// A page of the requests in the caller's subtree, by id.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    book: &PolicyBook,
    status: Option<CareStatus>,
    caregiver_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<CareRequestView>, AppError> {
    super::require_read(caller)?;
    let f = repo::RequestFilter {
        statuses: status.map(|s| vec![s.as_str().to_owned()]).unwrap_or_default(),
        caregiver_id,
        after,
        ..repo::RequestFilter::default()
    };
    let rows = repo::list_requests(conn, &caller.scope_path, &f, limit)?;
    rows.into_iter().map(|(r, path)| view_under(r, book.at(&path), Vec::new())).collect()
}

/// A caregiver proposed for a request (step 4).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    /// Caregiver.
    pub caregiver_id: i64,
    /// Name.
    pub name: String,
    /// Grade.
    pub grade: CaregiverGrade,
    /// Registering node.
    pub jurisdiction: String,
    /// Evaluated services.
    pub evaluations: i64,
    /// Average score.
    pub average_score: Option<String>,
    /// Whether the caregiver is free in the slot asked (`true` when no slot was asked).
    pub free: bool,
}

/// The caregivers who may serve request `id` (step 4; the worker confirms one with `match`): serving the request's
/// node, available, giving every item, at or above the grade the items require; free in `[start, end)` when asked.
/// Best evaluated first.
pub fn candidates(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    slot: Option<(PrimitiveDateTime, PrimitiveDateTime)>,
) -> Result<Vec<Candidate>, AppError> {
    super::require_read(caller)?;
    let (r, path) = repo::find_request(conn, id, &caller.scope_path)?;
    let items: Vec<CareItem> = json("care_requests", r.id, "items", &r.items)?;
    let policy = policy_at(conn, &path, today)?;
    let required = elder_care::required_for(&policy.elder_care, &items);
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = repo::list_caregivers(conn, &caller.scope_path, None, Some(&r.jurisdiction_code), after, 500)?;
        let full = page.len() == 500;
        for c in page {
            after = Some(c.id);
            let gives: Vec<CareItem> = json("caregivers", c.id, "items", &c.items)?;
            if !c.available || c.grade < required || !items.iter().all(|i| gives.contains(i)) {
                continue;
            }
            let free = match slot {
                Some((s, e)) => repo::overlapping_bookings(conn, c.id, r.id, s, e)?.is_empty(),
                None => true,
            };
            let (n, sum) = repo::evaluation_of(conn, c.id)?;
            out.push((
                if n > 0 { sum * 1000 / n } else { 0 },
                Candidate {
                    caregiver_id: c.id,
                    name: c.name,
                    grade: c.grade,
                    jurisdiction: c.jurisdiction_code,
                    evaluations: n,
                    average_score: super::caregivers::average(n, sum),
                    free,
                },
            ));
        }
        if !full {
            break;
        }
    }
    out.sort_by(|a, b| b.1.free.cmp(&a.1.free).then(b.0.cmp(&a.0)).then(a.1.caregiver_id.cmp(&b.1.caregiver_id)));
    Ok(out.into_iter().map(|(_, c)| c).collect())
}

/// A step on a request.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"caregiver_id": 5}))]
pub struct MatchRequest {
    /// A caregiver proposed by `GET /care-requests/{id}/candidates`.
    pub caregiver_id: i64,
}

/// Booking a slot (steps 5-6).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"start": "2026-12-08T09:00", "end": "2026-12-08T11:00"}))]
pub struct BookRequest {
    /// Start, China time `YYYY-MM-DDTHH:MM`, not in the past.
    pub start: String,
    /// End, after the start.
    pub end: String,
}

/// The service given.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"start": "2026-12-08T09:05", "end": "2026-12-08T11:00", "delivered_by": "林秀英"}))]
pub struct DeliverRequest {
    /// Start, China time, not in the future.
    pub start: String,
    /// End, after the start, not in the future.
    pub end: String,
    /// Who gave it; default the confirmed caregiver's name.
    pub delivered_by: Option<String>,
}

/// A spot check (step 8).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"result": "satisfactory", "note": "电话回访，服务按时到位"}))]
pub struct SuperviseRequest {
    /// Result.
    pub result: SupervisionResult,
    /// Note, up to 500 characters (required when a problem was found).
    pub note: Option<String>,
    /// Day (`YYYY-MM-DD`), not in the future; default today.
    #[schema(format = Date)]
    pub on: Option<String>,
}

/// Who evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Evaluator {
    /// The person.
    Person,
    /// The family.
    Family,
}

/// The evaluation (step 9).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"score": 5, "text": "服务细致耐心", "by": "family"}))]
pub struct EvaluateRequest {
    /// Score, 1 to the policy's `evaluation_max_score` (422 `score_out_of_range`).
    pub score: u32,
    /// Text up to 500 characters.
    pub text: Option<String>,
    /// The person or the family.
    pub by: Evaluator,
}

/// Cancelling.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "本人住院，暂停服务"}))]
pub struct CancelRequest {
    /// Why, 1-500 characters.
    pub reason: String,
}

/// A checked step.
#[derive(Debug, Clone)]
pub enum Step {
    /// Step 7.
    Eligibility,
    /// Step 4.
    Match(i64),
    /// Steps 5-6.
    Book(PrimitiveDateTime, PrimitiveDateTime),
    /// Delivery.
    Deliver(PrimitiveDateTime, PrimitiveDateTime, Option<String>),
    /// Step 8.
    Supervise(SupervisionResult, Option<String>, Date),
    /// Step 9.
    Evaluate(u32, Option<String>, Evaluator),
    /// Cancel.
    Cancel(String),
}

fn done(errors: Vec<FieldError>, step: Option<Step>) -> Result<Step, Vec<FieldError>> {
    match step {
        Some(s) if errors.is_empty() => Ok(s),
        _ => Err(errors),
    }
}

/// Checks a booking at `now` (China time).
pub fn check_book(b: &BookRequest, now: PrimitiveDateTime) -> Result<Step, Vec<FieldError>> {
    let mut errors = Vec::new();
    let start = parse_local("/start", &b.start, &mut errors);
    let end = parse_local("/end", &b.end, &mut errors);
    if let (Some(s), Some(e)) = (start, end) {
        for err in elder_care::check_slot(s, e, now) {
            let field = if err == CareError::SlotInPast { "/start" } else { "/end" };
            errors.push(FieldError::rule(field, &err));
        }
    }
    done(errors, start.zip(end).map(|(s, e)| Step::Book(s, e)))
}

/// Checks a delivery at `now`.
pub fn check_deliver(b: &DeliverRequest, now: PrimitiveDateTime) -> Result<Step, Vec<FieldError>> {
    let mut errors = Vec::new();
    let start = parse_local("/start", &b.start, &mut errors);
    let end = parse_local("/end", &b.end, &mut errors);
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            errors.push(FieldError::rule("/end", &CareError::SlotOrder));
        }
        if e > now {
            errors.push(FieldError::of("/end", ErrorCode::DateInFuture));
        }
    }
    let by = check_text("/delivered_by", b.delivered_by.as_deref(), 50, &mut errors);
    done(errors, start.zip(end).map(|(s, e)| Step::Deliver(s, e, by)))
}

/// Checks a spot check on `today`.
pub fn check_supervise(b: &SuperviseRequest, today: Date) -> Result<Step, Vec<FieldError>> {
    let mut errors = Vec::new();
    let note = check_text("/note", b.note.as_deref(), 500, &mut errors);
    if b.result == SupervisionResult::Problem && note.is_none() {
        errors.push(FieldError::of("/note", ErrorCode::Required));
    }
    let on = date_not_after("/on", b.on.as_deref(), today, &mut errors);
    done(errors, Some(Step::Supervise(b.result, note, on)))
}

/// Checks an evaluation (the scale is checked against the policy when applied).
pub fn check_evaluate(b: &EvaluateRequest) -> Result<Step, Vec<FieldError>> {
    let mut errors = Vec::new();
    let text = check_text("/text", b.text.as_deref(), 500, &mut errors);
    done(errors, Some(Step::Evaluate(b.score, text, b.by)))
}

/// Checks a cancellation.
pub fn check_cancel(b: &CancelRequest) -> Result<Step, Vec<FieldError>> {
    let mut errors = Vec::new();
    let reason = check_name("/reason", &b.reason, 500, &mut errors);
    done(errors, Some(Step::Cancel(reason)))
}

fn refused(e: CareError) -> AppError {
    AppError::violation(&e)
}

fn caregiver_field(e: RepoError) -> AppError {
    match e {
        RepoError::NotFound => AppError::field(FieldError::of("/caregiver_id", ErrorCode::CaregiverNotFound)),
        other => other.into(),
    }
}

/// Does `step` to request `id` (in the caller's subtree, else 404) on `today` at `now` (China time), against
/// `if_match` when sent. Wrong status: 409 `care_wrong_status`; an overlapping booking of the caregiver: 409
/// `care_booking_conflict`; a caregiver not serving the node: 422 `caregiver_not_found`, not giving an item: 422
/// `care_item_not_served`, below the grade required: 422 `caregiver_grade_too_low`; a score off the scale: 422
/// `score_out_of_range`.
pub fn act(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    step: Step,
) -> Result<CareRequestView, AppError> {
    caller.require(Permission::CareServiceManage)?;
    let (r, path) = repo::find_request(conn, id, &caller.scope_path)?;
    let version = crate::precondition::expect_if_sent(if_match, r.version)?;
    let items: Vec<CareItem> = json("care_requests", r.id, "items", &r.items)?;
    let policy = policy_at(conn, &path, today)?;
    let p = &policy.elder_care;
    let mut row = RequestRow::of(&r);
    let mut event = None;
    let action = match &step {
        Step::Eligibility => {
            let retiree = persistence::retirees::find_in_scope(conn, r.retiree_id, "/")?.0;
            let mut reasons = Vec::new();
            if !retiree.on_roll
                || matches!(retiree.pension_status, PensionStatus::Stopped | PensionStatus::TransferredOut)
            {
                reasons.push(format!("不在册或已终止发放（{}）", retiree.pension_status.label_zh()));
            }
            for item in elder_care::ineligible_items(p, &items, r.cost_bearer) {
                reasons.push(CareError::BearerNotAllowed(item, r.cost_bearer).message_zh());
            }
            let eligible = reasons.is_empty();
            let to = elder_care::apply(r.status, CareAction::CheckEligibility { eligible }).map_err(refused)?;
            row.status = to.as_str().to_owned();
            row.checked_on = Some(today);
            row.eligibility_note = (!eligible).then(|| reasons.join("；"));
            "care.request.eligibility"
        }
        Step::Match(cid) => {
            let to = elder_care::apply(r.status, CareAction::Match).map_err(refused)?;
            let c = repo::find_caregiver(conn, *cid, &path).map_err(caregiver_field)?;
            let gives: Vec<CareItem> = json("caregivers", c.id, "items", &c.items)?;
            let mut errors = Vec::new();
            if !c.available {
                errors.push(FieldError::with(
                    "/caregiver_id",
                    ErrorCode::CaregiverNotFound,
                    "该护理员暂不接受预约",
                    "the caregiver is not available",
                ));
            }
            for item in items.iter().filter(|i| !gives.contains(i)) {
                errors.push(FieldError::rule("/caregiver_id", &CareError::ItemNotServed(*item)));
            }
            if let Err(e) = elder_care::check_grade(p, &items, c.grade) {
                errors.push(FieldError::rule("/caregiver_id", &e));
            }
            if !errors.is_empty() {
                return Err(AppError::validation(errors));
            }
            row.status = to.as_str().to_owned();
            row.caregiver_id = Some(c.id);
            if r.caregiver_id != Some(c.id) {
                row.slot_start = None;
                row.slot_end = None;
            }
            "care.request.match"
        }
        Step::Book(start, end) => {
            let to = elder_care::apply(r.status, CareAction::Book).map_err(refused)?;
            let cid = r.caregiver_id.ok_or_else(|| AppError::internal("matched request without a caregiver"))?;
            if let Some(inst) = r.institution_id {
                let i = repo::institution_by_id(conn, inst)?;
                if !elder_care::licence_valid(i.licence_expires_on, start.date()) {
                    let d = i.licence_expires_on.unwrap_or(today);
                    return Err(AppError::field(FieldError::rule("/start", &CareError::LicenceExpired(d))));
                }
            }
            repo::lock_caregiver(conn, cid)?;
            let clash = repo::overlapping_bookings(conn, cid, r.id, *start, *end)?;
            if let Some(other) = clash.first() {
                return Err(refused(CareError::BookingConflict).with_detail(
                    format!("该护理员在该时段已有预约（服务申请 {other}）"),
                    format!("the caregiver is booked in an overlapping slot (request {other})"),
                ));
            }
            row.status = to.as_str().to_owned();
            row.slot_start = Some(*start);
            row.slot_end = Some(*end);
            event = Some(EventType::CareBooked);
            "care.request.book"
        }
        Step::Deliver(start, end, by) => {
            let to = elder_care::apply(r.status, CareAction::Deliver).map_err(refused)?;
            let name = match by {
                Some(n) => n.clone(),
                None => match r.caregiver_id {
                    Some(cid) => repo::caregiver_by_id(conn, cid)?.name,
                    None => return Err(AppError::internal("booked request without a caregiver")),
                },
            };
            row.status = to.as_str().to_owned();
            row.delivered_start = Some(*start);
            row.delivered_end = Some(*end);
            row.delivered_by = Some(name);
            event = Some(EventType::CareDelivered);
            "care.request.deliver"
        }
        Step::Supervise(result, note, on) => {
            elder_care::apply(r.status, CareAction::Supervise).map_err(refused)?;
            repo::add_supervision(
                conn,
                &NewSupervision {
                    request_id: r.id,
                    on_date: *on,
                    result: result.as_str().to_owned(),
                    note: note.clone(),
                    actor: caller.login.clone(),
                    at: persistence::now_utc(),
                },
            )?;
            "care.request.supervise"
        }
        Step::Evaluate(score, text, by) => {
            let to = elder_care::apply(r.status, CareAction::Evaluate).map_err(refused)?;
            elder_care::check_score(p, *score).map_err(|e| AppError::field(FieldError::rule("/score", &e)))?;
            row.status = to.as_str().to_owned();
            row.score = Some(i32::try_from(*score).unwrap_or(i32::MAX));
            row.evaluation = text.clone();
            row.evaluated_by = Some(if *by == Evaluator::Person { "person" } else { "family" }.to_owned());
            row.evaluated_on = Some(today);
            event = Some(EventType::CareEvaluated);
            "care.request.evaluate"
        }
        Step::Cancel(reason) => {
            let to = elder_care::apply(r.status, CareAction::Cancel).map_err(refused)?;
            row.status = to.as_str().to_owned();
            row.cancel_reason = Some(reason.clone());
            "care.request.cancel"
        }
    };
    let saved = repo::save_request(conn, id, version, &row)?;
    let mut entry = caller.audit(action, "care_request", id, &path);
    entry.retiree_id = Some(r.retiree_id);
    entry.detail = Some(
        serde_json::json!({"from_status": r.status, "status": saved.status, "caregiver_id": saved.caregiver_id})
            .to_string(),
    );
    audit::append(conn, &entry)?;
    if let Some(kind) = event {
        emit(conn, kind, &saved, event_details(&saved)?)?;
    }
    view(conn, saved, &path, today, true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hours_have_two_decimals() {
        assert_eq!(super::hours_text(115), "1.92");
        assert_eq!(super::hours_text(120), "2.00");
        assert_eq!(super::hours_text(0), "0.00");
    }
}
