//! Pension status of one person (CS Art. 32, JN Art. 34): the status with its reason and certification validity,
//! its history, suspensions and resumptions with the back-pay they owe. The stored state, a change written with
//! its audit entry and a resumption with the back-pay the policy grants are shared with certifications, death
//! reports and transfers.

use domain::pension::{
    self, BackPay, CertificationBarrier, CertificationStatus, PensionState, Transition, certification_status,
};
use domain::policy::SuspensionReason;
use domain::{ErrorCode, Money, PensionStatus};
use persistence::pension::{self as repo, NewState, NewStatusChange, SOURCE_PERSON, StatusChange};
use persistence::retirees::{self as people, Retiree};
use persistence::{DbConnection, audit};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_text, month_text, parse_month};
use crate::policy_book::rules_at;
use crate::precondition::IfMatch;

/// The 409 of an illegal transition, with its code (CS Art. 32).
pub fn illegal(e: pension::TransitionError) -> AppError {
    use domain::RuleViolation;
    AppError::conflict(e.code(), e.message_zh(), e.message_en())
}

/// The stored state of a person.
pub fn state_of(r: &Retiree) -> Result<PensionState, AppError> {
    PensionState::from_parts(r.pension_status.as_str(), r.suspension_reason.map(|s| s.as_str()))
        .ok_or_else(|| AppError::internal(format!("retiree {} has no valid pension state", r.id)))
}

/// Writes a status change of one person made through the API, with its audit entry; answers 409 when the
/// person changed meanwhile.
pub fn apply_change(
    conn: &mut DbConnection,
    caller: &Caller,
    retiree: &Retiree,
    path: &str,
    expected_version: Option<i64>,
    to: PensionState,
    change: NewStatusChange,
) -> Result<(Retiree, StatusChange), AppError> {
    let state = NewState {
        status: to.status().as_str().to_owned(),
        reason: to.reason().map(|r| r.as_str().to_owned()),
        suspended_from: match to {
            PensionState::Suspended(_) => Some(change.effective_month),
            _ => None,
        },
    };
    let updated = repo::change_status(conn, expected_version, &state, &change).map_err(|e| match e {
        persistence::RepoError::VersionMismatch if expected_version.is_some() => AppError::precondition_failed(),
        persistence::RepoError::VersionMismatch => AppError::of(ErrorCode::StatusChanged),
        other => other.into(),
    })?;
    let recorded = repo::changes_of(conn, retiree.id, None, i64::MAX)?
        .into_iter()
        .last()
        .ok_or_else(|| AppError::internal("status change not recorded"))?;
    let action = match to {
        PensionState::Normal => "pension.resume",
        PensionState::Stopped => "pension.stop",
        PensionState::TransferredOut => "pension.transfer_out",
        PensionState::Suspended(_) => "pension.suspend",
    };
    let mut entry = caller.audit(action, "retiree", retiree.id, path);
    entry.retiree_id = Some(retiree.id);
    entry.detail = Some(
        serde_json::json!({"change_id": recorded.id, "from": retiree.pension_status, "to": to.status().as_str(),
            "reason": recorded.reason, "effective_month": month_text(recorded.effective_month),
            "back_pay_months": recorded.back_pay_months, "back_pay_fen": recorded.back_pay_fen})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    Ok((updated, recorded))
}

/// A resumption of one person in the month of `on`: the state change and the back-pay the policy of their
/// community grants for the reason (CS Art. 32). Shared by the resume action and by certifications.
pub fn resumption(
    conn: &mut DbConnection,
    retiree: &Retiree,
    path: &str,
    reason: SuspensionReason,
    resumed_month: Date,
    operator: &str,
    note: Option<String>,
) -> Result<(NewStatusChange, BackPay), AppError> {
    let policy = crate::policy_book::policy_at(conn, path, resumed_month)?;
    let from = retiree.suspended_from.unwrap_or(resumed_month);
    let back_pay = pension::back_pay(&policy, reason, from, resumed_month, retiree.monthly_pension_fen);
    let change = NewStatusChange {
        retiree_id: retiree.id,
        community_code: retiree.community_code.clone(),
        from_status: retiree.pension_status.as_str().to_owned(),
        from_reason: retiree.suspension_reason.map(|r| r.as_str().to_owned()),
        to_status: PensionStatus::Normal.as_str().to_owned(),
        reason: Some(reason.as_str().to_owned()),
        effective_month: resumed_month,
        source: SOURCE_PERSON.to_owned(),
        source_ref: None,
        operator: operator.to_owned(),
        months_suspended: Some(i32::try_from(back_pay.months_suspended).unwrap_or(i32::MAX)),
        back_pay_granted: Some(back_pay.granted),
        back_pay_months: Some(i32::try_from(back_pay.months_paid).unwrap_or(i32::MAX)),
        back_pay_fen: back_pay.amount_fen,
        note,
        created_at: persistence::now_utc(),
    };
    Ok((change, back_pay))
}

/// One recorded status change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 9, "retiree_id": 42, "community_code": "350203001001", "from_status": "suspended",
    "from_reason": "certification_overdue", "to_status": "normal", "reason": "certification_overdue",
    "effective_month": "2026-07", "source": "person", "source_ref": null, "operator": "siming",
    "back_pay": {"months_suspended": 4, "granted": true, "months_paid": 4, "amount": "14000.00"},
    "note": null, "created_at": "2026-07-15T02:00:00Z"}))]
pub struct StatusChangeResponse {
    /// Id.
    pub id: i64,
    /// Retiree id.
    pub retiree_id: i64,
    /// Community at the time.
    pub community_code: String,
    /// Status before.
    pub from_status: PensionStatus,
    /// Suspension reason before.
    pub from_reason: Option<SuspensionReason>,
    /// Status after.
    pub to_status: PensionStatus,
    /// The suspension reason (suspensions) or the reason that ended (resumptions).
    pub reason: Option<SuspensionReason>,
    /// Month the change takes effect (`YYYY-MM`).
    #[schema(example = "2026-07")]
    pub effective_month: String,
    /// `person` (through the API), `feed` (a data-platform batch) or `run` (a certification run).
    #[schema(example = "person")]
    pub source: String,
    /// The feed batch or run id.
    pub source_ref: Option<i64>,
    /// Login of the operator.
    pub operator: String,
    /// The back-pay of a resumption.
    pub back_pay: Option<BackPayResponse>,
    /// Note.
    pub note: Option<String>,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Back-pay owed by a resumption (CS Art. 32: "恢复发放或补发").
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BackPayResponse {
    /// Months the pension was suspended.
    #[schema(example = 4)]
    pub months_suspended: u32,
    /// Whether the policy pays them back for the reason.
    pub granted: bool,
    /// Months paid back.
    #[schema(example = 4)]
    pub months_paid: u32,
    /// Amount in yuan (months paid × monthly pension); `null` when no monthly pension is on record.
    #[schema(example = "14000.00")]
    pub amount: Option<String>,
}

/// A stored count of months as the API shows it: a negative count is corrupt (500), never 0.
fn months(c: &StatusChange, column: &str, value: i32) -> Result<u32, AppError> {
    u32::try_from(value).map_err(|_| {
        persistence::typed::corrupt("pension_status_changes", c.id, column, format!("negative month count {value}"))
            .into()
    })
}

/// The API view of a stored change; a negative month count on record is an internal error.
pub fn change_response(c: StatusChange) -> Result<StatusChangeResponse, AppError> {
    let back_pay = match c.back_pay_months {
        Some(paid) => {
            let months_paid = months(&c, "back_pay_months", paid)?;
            let months_suspended = match c.months_suspended {
                Some(m) => months(&c, "months_suspended", m)?,
                None => months_paid,
            };
            Some(BackPayResponse {
                months_suspended,
                granted: c.back_pay_granted.unwrap_or(months_paid > 0),
                months_paid,
                amount: c.back_pay_fen.map(|f| Money::from_fen(f).to_string()),
            })
        }
        None => None,
    };
    Ok(StatusChangeResponse {
        id: c.id,
        retiree_id: c.retiree_id,
        community_code: c.community_code,
        from_status: c.from_status,
        from_reason: c.from_reason,
        to_status: c.to_status,
        reason: c.reason,
        effective_month: month_text(c.effective_month),
        source: c.source,
        source_ref: c.source_ref,
        operator: c.operator,
        back_pay,
        note: c.note,
        created_at: c.created_at.assume_utc(),
    })
}

/// A person's pension status and certification standing.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PensionStatusResponse {
    /// Retiree id.
    #[schema(example = 42)]
    pub retiree_id: i64,
    /// Status.
    pub status: PensionStatus,
    /// Why it is suspended.
    pub suspension_reason: Option<SuspensionReason>,
    /// First day of the month the suspension took effect.
    #[schema(value_type = Option<String>, format = Date, example = "2026-03-01")]
    pub suspended_from: Option<Date>,
    /// Monthly pension in yuan.
    #[schema(example = "3500.00")]
    pub monthly_pension: Option<String>,
    /// Last day the certification on file is valid.
    #[schema(value_type = String, format = Date, example = "2027-07-01")]
    pub certified_until: Date,
    /// Date of the last certification.
    #[schema(value_type = Option<String>, format = Date, example = "2026-07-01")]
    pub last_certified_on: Option<Date>,
    /// Certification status today.
    pub certification_status: CertificationStatus,
    /// Why the person is certified at home.
    pub certification_barrier: Option<CertificationBarrier>,
    /// Version of the person (ETag).
    #[schema(example = 3)]
    pub version: i64,
    /// The open missing-person record (CS Art. 32(2)): since when, who reported it and the day a
    /// `missing_unreported` suspension becomes possible. Given by `GET /retirees/{id}/pension-status` while the
    /// person is recorded missing, absent otherwise; the other answers that carry this view leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<crate::missing_persons::MissingRecordResponse>,
}

/// Builds the status view of a person with the due-soon window of their community's policy.
pub fn status_response(r: &Retiree, due_soon_days: u32, today: Date) -> PensionStatusResponse {
    PensionStatusResponse {
        retiree_id: r.id,
        status: r.pension_status,
        suspension_reason: r.suspension_reason,
        suspended_from: r.suspended_from,
        monthly_pension: r.monthly_pension_fen.map(|f| Money::from_fen(f).to_string()),
        certified_until: r.certified_until,
        last_certified_on: r.last_certified_on,
        certification_status: certification_status(r.certified_until, today, due_soon_days),
        certification_barrier: r.certification_barrier,
        version: r.version,
        missing: None,
    }
}

/// The pension status of one person in the caller's subtree as of `today` (an audited read).
pub fn status(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    today: Date,
) -> Result<Audited<PensionStatusResponse>, AppError> {
    let (retiree, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let mut entry = caller.audit("pension.status.read", "retiree", id, &path);
    entry.retiree_id = Some(id);
    let days = rules_at(conn, &path, today)?.due_soon_days;
    let missing = crate::missing_persons::open_view(conn, id, &path, today)?;
    Ok(Audited::new(PensionStatusResponse { missing, ..status_response(&retiree, days, today) }, entry))
}

/// A page of the status changes of one person, oldest first, after the change `after` (an audited read).
pub fn changes(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<Audited<Vec<StatusChangeResponse>>, AppError> {
    let (_, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let mut entry = caller.audit("pension.changes.read", "retiree", id, &path);
    entry.retiree_id = Some(id);
    let value =
        repo::changes_of(conn, id, after, limit)?.into_iter().map(change_response).collect::<Result<Vec<_>, _>>()?;
    Ok(Audited::new(value, entry))
}

/// A suspension.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "imprisoned", "effective_month": "2026-03", "note": "判决书（2026）闽0203刑初123号"}))]
pub struct SuspendRequest {
    /// Why (CS Art. 32(1)-(5)).
    pub reason: SuspensionReason,
    /// Month the suspension takes effect (`YYYY-MM`); default this month. Not before the month of retirement,
    /// not after next month.
    #[schema(example = "2026-03")]
    pub effective_month: Option<String>,
    /// Note: the decision or document it rests on, up to 500 characters.
    pub note: Option<String>,
}

/// A resumption.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"effective_month": "2026-07", "note": "刑满释放证明"}))]
pub struct ResumeRequest {
    /// Month payment resumes (`YYYY-MM`); default this month. Not before the suspension month, not after next
    /// month. The months from the suspension up to it are paid back when the policy grants it for the reason.
    #[schema(example = "2026-07")]
    pub effective_month: Option<String>,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// A status change asked for, checked: the month it takes effect and the note.
#[derive(Debug, Clone)]
pub struct ChangeAsked {
    /// Month it takes effect (first day).
    pub month: Date,
    /// Note.
    pub note: Option<String>,
}

/// The checks of a suspension's or resumption's month and note as of `today`: a month `YYYY-MM`, default this
/// month, not after next month; a note of at most 500 characters.
pub fn check_change(
    effective_month: Option<&str>,
    note: Option<&str>,
    today: Date,
) -> Result<ChangeAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let month = effective_month.map(|m| parse_month("/effective_month", m)).transpose();
    let month = month.map_err(|e| errors.push(e)).ok().flatten();
    let note = check_text("/note", note, 500, &mut errors);
    let this_month = pension::month_of(today);
    let month = month.unwrap_or(this_month);
    if month > pension::add_months(this_month, 1).unwrap_or(this_month) {
        errors.push(FieldError::with(
            "/effective_month",
            ErrorCode::MonthTooLate,
            "生效月份不能晚于下月",
            "the effective month cannot be later than next month",
        ));
    }
    if errors.is_empty() { Ok(ChangeAsked { month, note }) } else { Err(errors) }
}

/// Suspends the pension of one person in the caller's subtree for a legal reason (CS Art. 32, JN Art. 34): not
/// from before the month of retirement (422), not when suspended, stopped or transferred out already (409), and
/// not for an overdue certification while the certification on record is valid on `today` (409
/// `reason_contradicts_record`, CS Art. 32(1)), nor for `missing_unreported` until the person has been recorded
/// missing for more than the policy's months (422, [`crate::missing_persons::check_suspension`], CS Art. 32(2)).
/// With `if_match`, the person must still be at that version (412).
/// Answers the person's new version and the change.
pub fn suspend(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    reason: SuspensionReason,
    asked: ChangeAsked,
) -> Result<(i64, StatusChangeResponse), AppError> {
    let (retiree, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let expected = if_match.map(|m| m.expect(retiree.version)).transpose()?;
    if asked.month < pension::month_of(retiree.retirement_date) {
        return Err(AppError::field(FieldError::of("/effective_month", ErrorCode::MonthBeforeRetirement)));
    }
    let from = state_of(&retiree)?;
    let to = pension::transition(from, Transition::Suspend(reason)).map_err(illegal)?;
    // CS Art. 32(1): the ground is a certification not done in time; a valid one on record says otherwise.
    if reason == SuspensionReason::CertificationOverdue && !pension::is_overdue(retiree.certified_until, today) {
        return Err(AppError::of(ErrorCode::ReasonContradictsRecord));
    }
    // CS Art. 32(2): missing for more than the policy's months, from the recorded day the person went missing.
    crate::missing_persons::check_suspension(conn, &retiree, &path, reason, asked.month, today)?;
    let change = NewStatusChange::by_person(
        &retiree,
        PensionStatus::Suspended.as_str(),
        Some(reason.as_str().to_owned()),
        asked.month,
        &caller.login,
        asked.note,
    );
    let (updated, recorded) = apply_change(conn, caller, &retiree, &path, expected, to, change)?;
    Ok((updated.version, change_response(recorded)?))
}

/// Resumes a suspended pension of one person in the caller's subtree and records the back-pay owed (CS Art. 32:
/// "恢复发放或补发"). A suspension for an overdue certification ends by a certification instead (409
/// `certification_required`); the month cannot be before the suspension's (422).
pub fn resume(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: Option<IfMatch>,
    asked: ChangeAsked,
) -> Result<StatusChangeResponse, AppError> {
    let (retiree, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let expected = if_match.map(|m| m.expect(retiree.version)).transpose()?;
    let from = state_of(&retiree)?;
    let to = pension::transition(from, Transition::Resume).map_err(illegal)?;
    let Some(reason) = from.reason() else { return Err(illegal(pension::TransitionError::NotSuspended)) };
    if pension::certification_resumes(reason) {
        return Err(AppError::of(ErrorCode::CertificationRequired));
    }
    let month = asked.month;
    if retiree.suspended_from.is_some_and(|f| month < f) {
        return Err(AppError::field(FieldError::of("/effective_month", ErrorCode::MonthBeforeSuspension)));
    }
    let (change, _) = resumption(conn, &retiree, &path, reason, month, &caller.login, asked.note)?;
    let (_, recorded) = apply_change(conn, caller, &retiree, &path, expected, to, change)?;
    change_response(recorded)
}
