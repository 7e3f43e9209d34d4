//! Pension status changes of one person (CS Art. 32): the stored state, a change written with its audit entry,
//! and a resumption with the back-pay the policy grants. Shared by the suspend and resume actions, certifications,
//! death reports and transfers.

use domain::PensionStatus;
use domain::pension::{self, BackPay, PensionState};
use domain::policy::SuspensionReason;
use persistence::pension::{self as repo, NewState, NewStatusChange, SOURCE_PERSON, StatusChange};
use persistence::retirees::Retiree;
use persistence::{DbConnection, audit};
use time::Date;

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
