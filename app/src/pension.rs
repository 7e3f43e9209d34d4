//! Pension status changes of one person (CS Art. 32): the stored state, a change written with its audit entry,
//! and a resumption with the back-pay the policy grants. Shared by the suspend and resume actions, certifications,
//! death reports and transfers.

use domain::Money;
use domain::PensionStatus;
use domain::pension::{self, BackPay, PensionState};
use domain::policy::SuspensionReason;
use persistence::pension::{self as repo, NewState, NewStatusChange, SOURCE_PERSON, StatusChange};
use persistence::retirees::Retiree;
use persistence::{DbConnection, audit};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::AppError;
use crate::input::month_text;

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
        persistence::RepoError::VersionMismatch => AppError::of(domain::ErrorCode::StatusChanged),
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

/// The API view of a stored change.
pub fn change_response(c: StatusChange) -> StatusChangeResponse {
    let back_pay = c.back_pay_months.map(|months_paid| {
        let months_paid = u32::try_from(months_paid).unwrap_or(0);
        BackPayResponse {
            months_suspended: c.months_suspended.and_then(|m| u32::try_from(m).ok()).unwrap_or(months_paid),
            granted: c.back_pay_granted.unwrap_or(months_paid > 0),
            months_paid,
            amount: c.back_pay_fen.map(|f| Money::from_fen(f).to_string()),
        }
    });
    StatusChangeResponse {
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
    }
}
