//! Missing persons (issue 19.7; CS Art. 32(2): "下落不明超过6个月，其亲属或利害关系人不按规定申报的"): the day a
//! person went missing and who reported it, the day a `missing_unreported` suspension becomes possible (more than
//! the policy's `missing_person_months` later), the worklist of those missing, and the person turning up, which
//! ends the record and resumes a pension suspended for `missing_unreported` under the resume rules.
//!
//! The months are those of the policy in force at the person's community on the day judged (`today`), for the
//! suspension check and the worklist alike, so the two always agree.

use domain::RetireeId;
use domain::pension::{self, PensionState, TransitionError};
use domain::policy::SuspensionReason;
use domain::{ErrorCode, PensionStatus};
use persistence::missing_persons::{self as repo, MissingRecord, NewMissingRecord};
use persistence::retirees::{self as people, Retiree};
use persistence::{DbConnection, audit};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after, parse_date};
use crate::pension::{StatusChangeResponse, apply_change, change_response, illegal, resumption, state_of};
use crate::policy_book::{PolicyBook, policy_at};
use crate::scope::node_in_scope;

/// A person reported missing.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"missing_since": "2026-05-10", "reported_by": "其子 张伟", "note": "派出所已立案"}))]
pub struct RecordMissingRequest {
    /// The day the person went missing (`YYYY-MM-DD`): not in the future, not before the retirement date.
    #[schema(example = "2026-05-10")]
    pub missing_since: String,
    /// Who reported it (a relative, a neighbour, the community), 1-100 characters.
    #[schema(example = "其子 张伟")]
    pub reported_by: String,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// The person turned up.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"found_on": "2026-11-20", "note": "本人到社区报到"}))]
pub struct FoundRequest {
    /// The day the person turned up (`YYYY-MM-DD`), default today: not in the future, not before
    /// `missing_since`.
    #[schema(example = "2026-11-20")]
    pub found_on: Option<String>,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// A missing-person record (CS Art. 32(2)).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 4, "retiree_id": 42, "missing_since": "2026-05-10", "reported_by": "其子 张伟",
    "note": "派出所已立案", "months": 6, "suspendable_from": "2026-11-11", "suspendable": true,
    "recorded_by": "siming", "recorded_at": "2026-05-12T02:00:00Z", "found_on": null, "found_note": null,
    "closed_by": null, "closed_at": null}))]
pub struct MissingRecordResponse {
    /// Id.
    pub id: i64,
    /// Retiree id.
    pub retiree_id: i64,
    /// The day the person went missing.
    #[schema(value_type = String, format = Date, example = "2026-05-10")]
    pub missing_since: Date,
    /// Who reported it.
    pub reported_by: String,
    /// Note.
    pub note: Option<String>,
    /// Months missing after which the pension may be suspended (`missing_person_months` of the policy in force
    /// today at the person's community).
    #[schema(example = 6)]
    pub months: u32,
    /// First day a `missing_unreported` suspension is allowed: the day after the months end (CS Art. 32(2)
    /// "超过6个月").
    #[schema(value_type = String, format = Date, example = "2026-11-11")]
    pub suspendable_from: Date,
    /// Whether that day has come (today on or after `suspendable_from`) while the record is open.
    pub suspendable: bool,
    /// Login that recorded it.
    pub recorded_by: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// The day the person turned up; `null` while missing.
    #[schema(value_type = Option<String>, format = Date, example = "2026-11-20")]
    pub found_on: Option<Date>,
    /// Note on the person turning up.
    pub found_note: Option<String>,
    /// Login that recorded the person found.
    pub closed_by: Option<String>,
    /// When the person was recorded found.
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

/// The answer to a person found: the closed record and the resumption, when the pension was suspended for
/// `missing_unreported`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FoundResponse {
    /// The closed record.
    pub record: MissingRecordResponse,
    /// The resumption with its back-pay (policy `back_pay` for `missing_unreported`); `null` when the pension was
    /// not suspended for `missing_unreported`.
    pub resumption: Option<StatusChangeResponse>,
}

/// One line of the worklist of missing persons.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 4, "retiree_id": 42, "name": "张三", "community_code": "350203001001",
    "missing_since": "2026-05-10", "reported_by": "其子 张伟", "months": 6, "suspendable_from": "2026-11-11",
    "suspendable": true, "pension_status": "normal", "suspension_reason": null}))]
pub struct MissingPersonItem {
    /// Record id.
    pub id: i64,
    /// Retiree id.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Community.
    pub community_code: String,
    /// The day the person went missing.
    #[schema(value_type = String, format = Date, example = "2026-05-10")]
    pub missing_since: Date,
    /// Who reported it.
    pub reported_by: String,
    /// Months of the policy in force today at the person's community.
    pub months: u32,
    /// First day a `missing_unreported` suspension is allowed (CS Art. 32(2)).
    #[schema(value_type = String, format = Date, example = "2026-11-11")]
    pub suspendable_from: Date,
    /// Whether that day has come.
    pub suspendable: bool,
    /// Pension status now.
    pub pension_status: PensionStatus,
    /// Suspension reason now.
    pub suspension_reason: Option<SuspensionReason>,
}

/// A report of a person missing, checked.
#[derive(Debug, Clone)]
pub struct MissingAsked {
    /// The day the person went missing.
    pub missing_since: Date,
    /// Who reported it.
    pub reported_by: String,
    /// Note.
    pub note: Option<String>,
}

/// The checks of a report as of `today`, every broken rule at once.
pub fn check_record(body: &RecordMissingRequest, today: Date) -> Result<MissingAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let missing_since = date_not_after("/missing_since", Some(&body.missing_since), today, &mut errors);
    let reported_by = check_name("/reported_by", &body.reported_by, 100, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    if errors.is_empty() { Ok(MissingAsked { missing_since, reported_by, note }) } else { Err(errors) }
}

/// A person found, checked: the day and the note.
#[derive(Debug, Clone)]
pub struct FoundAsked {
    /// The day found.
    pub found_on: Date,
    /// Note.
    pub note: Option<String>,
}

/// The checks of a person found as of `today`.
pub fn check_found(body: &FoundRequest, today: Date) -> Result<FoundAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let found_on = date_not_after("/found_on", body.found_on.as_deref(), today, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    if errors.is_empty() { Ok(FoundAsked { found_on, note }) } else { Err(errors) }
}

/// The months of the policy in force on `today` at the node `path`.
fn months_at(conn: &mut DbConnection, path: &str, today: Date) -> Result<u32, AppError> {
    Ok(policy_at(conn, path, today)?.missing_person_months.value)
}

fn record_response(r: MissingRecord, months: u32, today: Date) -> MissingRecordResponse {
    let suspendable_from = pension::missing_suspendable_from(r.missing_since, months);
    MissingRecordResponse {
        id: r.id,
        retiree_id: r.retiree_id,
        missing_since: r.missing_since,
        reported_by: r.reported_by,
        note: r.note,
        months,
        suspendable_from,
        suspendable: r.found_on.is_none() && today >= suspendable_from,
        recorded_by: r.recorded_by,
        recorded_at: r.recorded_at.assume_utc(),
        found_on: r.found_on,
        found_note: r.found_note,
        closed_by: r.closed_by,
        closed_at: r.closed_at.map(|t| t.assume_utc()),
    }
}

/// The open record of a person at the node `path` as the pension status view shows it, judged on `today`.
pub fn open_view(
    conn: &mut DbConnection,
    retiree_id: impl Into<RetireeId>,
    path: &str,
    today: Date,
) -> Result<Option<MissingRecordResponse>, AppError> {
    let retiree_id = RetireeId::get(retiree_id.into());
    match repo::open_of(conn, retiree_id)? {
        Some(r) => {
            let months = months_at(conn, path, today)?;
            Ok(Some(record_response(r, months, today)))
        }
        None => Ok(None),
    }
}

/// Refuses a `missing_unreported` suspension of `retiree` (at the node `path`) in the month `month`, asked on
/// `today`, unless the person is recorded missing and has been missing for more than the policy's months (CS
/// Art. 32(2)): no open record is 422 `missing_since_required` on `/reason`; before `suspendable_from` it is 422
/// `missing_period_not_reached` on `/reason`; an effective month before the month of `suspendable_from` is the
/// same code on `/effective_month`. Other reasons pass.
pub fn check_suspension(
    conn: &mut DbConnection,
    retiree: &Retiree,
    path: &str,
    reason: SuspensionReason,
    month: Date,
    today: Date,
) -> Result<(), AppError> {
    if reason != SuspensionReason::MissingUnreported {
        return Ok(());
    }
    let Some(record) = repo::open_of(conn, retiree.id)? else {
        return Err(AppError::field(FieldError::of("/reason", ErrorCode::MissingSinceRequired)));
    };
    let months = months_at(conn, path, today)?;
    let from = pension::missing_suspendable_from(record.missing_since, months);
    if !pension::missing_suspendable(record.missing_since, months, today) {
        return Err(AppError::field(FieldError::with(
            "/reason",
            ErrorCode::MissingPeriodNotReached,
            format!("下落不明自 {} 起尚未超过 {months} 个月，{from} 起方可暂停发放", record.missing_since),
            format!(
                "missing since {} for not more than {months} months yet; the suspension is possible from {from}",
                record.missing_since
            ),
        )));
    }
    if month < pension::month_of(from) {
        return Err(AppError::field(FieldError::with(
            "/effective_month",
            ErrorCode::MissingPeriodNotReached,
            format!("暂停月份不能早于下落不明超过 {months} 个月的月份（{from}）"),
            format!("the effective month cannot be before the month in which the {months} months are passed ({from})"),
        )));
    }
    Ok(())
}

/// Records that a person in the caller's subtree went missing (CS Art. 32(2)), judged on `today`: not for a
/// stopped or transferred-out pension (409), not twice (409 `already_missing`), not from before the retirement
/// date (422 `before_retirement` on `/missing_since`). Audited (`missing.record`).
pub fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    asked: MissingAsked,
) -> Result<MissingRecordResponse, AppError> {
    let (retiree, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    match state_of(&retiree)? {
        PensionState::Stopped => return Err(illegal(TransitionError::Stopped)),
        PensionState::TransferredOut => return Err(illegal(TransitionError::TransferredOut)),
        PensionState::Normal | PensionState::Suspended(_) => {}
    }
    if repo::open_of(conn, id)?.is_some() {
        return Err(AppError::of(ErrorCode::AlreadyMissing));
    }
    if asked.missing_since < retiree.retirement_date {
        return Err(AppError::field(FieldError::of("/missing_since", ErrorCode::BeforeRetirement)));
    }
    let new = NewMissingRecord {
        retiree_id: id,
        missing_since: asked.missing_since,
        reported_by: asked.reported_by,
        note: asked.note,
        recorded_by: caller.login.clone(),
        recorded_at: persistence::now_utc(),
    };
    let stored = repo::open(conn, &new).map_err(|e| match e {
        persistence::RepoError::Unique(_) => AppError::of(ErrorCode::AlreadyMissing),
        other => other.into(),
    })?;
    let months = months_at(conn, &path, today)?;
    let view = record_response(stored, months, today);
    let mut entry = caller.audit("missing.record", "retiree", id, &path);
    entry.retiree_id = Some(id);
    entry.detail = Some(
        serde_json::json!({"record_id": view.id, "missing_since": view.missing_since.to_string(),
            "reported_by": view.reported_by, "months": months, "suspendable_from": view.suspendable_from.to_string()})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    Ok(view)
}

/// Records that a missing person in the caller's subtree turned up on `asked.found_on`: the open record closes
/// (409 `not_missing` without one; 422 `before_missing_since` on `/found_on` for a day before it), and a pension
/// suspended for `missing_unreported` resumes in the month found (not before the suspension month) with the
/// back-pay the policy grants for that reason, as `POST …/pension-status/resume` would (CS Art. 32: "待其情形消失后
/// 再恢复发放或补发"). Audited (`missing.found`, and `pension.resume` for the resumption).
pub fn found(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    asked: FoundAsked,
) -> Result<FoundResponse, AppError> {
    let (retiree, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let Some(open) = repo::open_of(conn, id)? else { return Err(AppError::of(ErrorCode::NotMissing)) };
    if asked.found_on < open.missing_since {
        return Err(AppError::field(FieldError::of("/found_on", ErrorCode::BeforeMissingSince)));
    }
    let closed =
        repo::close(conn, open.id, asked.found_on, asked.note.as_deref(), &caller.login).map_err(|e| match e {
            persistence::RepoError::NotFound => AppError::of(ErrorCode::NotMissing),
            other => other.into(),
        })?;
    let months = months_at(conn, &path, today)?;
    let view = record_response(closed, months, today);
    let mut entry = caller.audit("missing.found", "retiree", id, &path);
    entry.retiree_id = Some(id);
    entry.detail = Some(
        serde_json::json!({"record_id": view.id, "missing_since": view.missing_since.to_string(),
            "found_on": asked.found_on.to_string()})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    let from = state_of(&retiree)?;
    let resumption = match from {
        PensionState::Suspended(SuspensionReason::MissingUnreported) => {
            let found_month = pension::month_of(asked.found_on);
            let month = retiree.suspended_from.map_or(found_month, |s| s.max(found_month));
            let reason = SuspensionReason::MissingUnreported;
            let note = Some(format!("下落不明人员已找到（{}）", asked.found_on));
            let (change, _) = resumption(conn, &retiree, &path, reason, month, &caller.login, note)?;
            let (_, recorded) = apply_change(conn, caller, &retiree, &path, None, PensionState::Normal, change)?;
            Some(change_response(recorded)?)
        }
        _ => None,
    };
    Ok(FoundResponse { record: view, resumption })
}

/// Every missing-person record of one person in the caller's subtree, oldest first (an audited read).
pub fn history(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
) -> Result<Audited<Vec<MissingRecordResponse>>, AppError> {
    let (_, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let mut entry = caller.audit("missing.read", "retiree", id, &path);
    entry.retiree_id = Some(id);
    let months = months_at(conn, &path, today)?;
    Ok(Audited::new(
        repo::history_of(conn, id)?.into_iter().map(|r| record_response(r, months, today)).collect(),
        entry,
    ))
}

/// Which missing persons to list.
#[derive(Debug, Clone)]
pub struct MissingList {
    /// A node in the caller's subtree; default the caller's subtree.
    pub jurisdiction: Option<String>,
    /// Only those whose `suspendable_from` is before this day.
    pub due_before: Option<Date>,
    /// The `(suspendable_from, id)` of the last line of the previous page.
    pub after: Option<(Date, i64)>,
    /// Page size.
    pub limit: i64,
}

/// A page of the people recorded missing (open records) under the node `q.jurisdiction` (422
/// `jurisdiction_not_found` outside the caller's subtree), judged on `today`: earliest `suspendable_from` first,
/// then by record id. Each community's months come from its policy in force today.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    q: MissingList,
) -> Result<Vec<MissingPersonItem>, AppError> {
    let scope = match q.jurisdiction.as_deref() {
        Some(code) => node_in_scope(conn, caller, code, "jurisdiction")?.path,
        None => caller.scope_path.clone(),
    };
    let book = PolicyBook::load(conn, today)?;
    let mut items: Vec<MissingPersonItem> = repo::open_in_subtree(conn, &scope)?
        .into_iter()
        .map(|(r, person, path)| {
            let months = book.at(&path).missing_person_months.value;
            let suspendable_from = pension::missing_suspendable_from(r.missing_since, months);
            MissingPersonItem {
                id: r.id,
                retiree_id: r.retiree_id,
                name: person.name,
                community_code: person.community_code,
                missing_since: r.missing_since,
                reported_by: r.reported_by,
                months,
                suspendable_from,
                suspendable: today >= suspendable_from,
                pension_status: person.pension_status,
                suspension_reason: person.suspension_reason,
            }
        })
        .filter(|i| q.due_before.is_none_or(|d| i.suspendable_from < d))
        .filter(|i| q.after.is_none_or(|a| (i.suspendable_from, i.id) > a))
        .collect();
    items.sort_by_key(|i| (i.suspendable_from, i.id));
    items.truncate(usize::try_from(q.limit).unwrap_or(0));
    Ok(items)
}

/// Parses a worklist cursor `YYYY-MM-DD|id`.
pub fn parse_cursor(text: &str) -> Option<(Date, i64)> {
    let (d, id) = text.split_once('|')?;
    Some((parse_date("cursor", d).ok()?, id.parse().ok()?))
}
