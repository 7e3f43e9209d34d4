//! Closing a death report: withdrawn before verification (the wrong person was reported), or reversed after it
//! (the death was wrongly recorded: the pension state, the overpayment and the roll are restored).

use domain::death::{self, DeathAction, PensionEffect};
use domain::{ErrorCode, PensionStatus, pension};
use persistence::DbConnection;
use persistence::death::{self as repo};
use persistence::pension::{NewState, NewStatusChange};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::response::{DeathReportResponse, report_response};
use super::{rule, visible};
use crate::caller::Caller;
use crate::error::AppError;
use crate::input::check_name;

/// Why a report is withdrawn or reversed.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "报告人认错了人"}))]
pub struct CloseRequest {
    /// Reason, 1-500 characters.
    pub reason: String,
}

/// Withdraws report `id` before it is verified: nothing else changes.
pub fn withdraw(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<i64>,
    body: CloseRequest,
) -> Result<DeathReportResponse, AppError> {
    close(conn, caller, today, id, if_match, body, false)
}

/// Reverses verified report `id`: the pension state before the verification is restored (a status change from
/// `stopped` back to it), the overpayment is voided, and the person is back on the roll from the month of `today`.
pub fn reverse(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<i64>,
    body: CloseRequest,
) -> Result<DeathReportResponse, AppError> {
    close(conn, caller, today, id, if_match, body, true)
}

fn close(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<i64>,
    body: CloseRequest,
    reversal: bool,
) -> Result<DeathReportResponse, AppError> {
    let mut errors = Vec::new();
    let reason = check_name("/reason", &body.reason, 500, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let (report, retiree, path) = visible(conn, caller, id)?;
    let expected = crate::version::expected(report.version, if_match)?;
    let from = report.status;
    let outcome =
        death::apply(from, if reversal { DeathAction::Reverse } else { DeathAction::Withdraw }).map_err(rule)?;
    let (from, to) = (from.as_str(), outcome.status.as_str());
    let closed = repo::close_report(conn, id, expected, from, to, &reason, &caller.login).map_err(|e| match e {
        persistence::RepoError::VersionMismatch => AppError::precondition_failed(),
        other => other.into(),
    })?;
    if outcome.pension == PensionEffect::RestorePrior {
        // The earlier state, restored as it was (a correction, not a transition of the state machine).
        let prior = report.prior_status.clone().unwrap_or_else(|| PensionStatus::Normal.as_str().to_owned());
        let note = Some(format!("reversal of death report {id}: {reason}"));
        let reason_before = report.prior_reason.clone();
        let change =
            NewStatusChange::by_person(&retiree, &prior, reason_before, report.stop_month, &caller.login, note);
        let state = NewState {
            status: prior,
            reason: report.prior_reason.clone(),
            suspended_from: report.prior_suspended_from,
        };
        persistence::pension::change_status(conn, None, &state, &change).map_err(|e| match e {
            persistence::RepoError::VersionMismatch => AppError::of(ErrorCode::StatusChanged),
            other => other.into(),
        })?;
        if let Some(o) = repo::overpayment_of_report(conn, id)? {
            repo::set_overpayment_status(conn, o.id, repo::VOID)?;
        }
        persistence::movement::reinstate(conn, ("death_report", id), pension::month_of(today))?;
    }
    let action = if reversal { "death.reverse" } else { "death.withdraw" };
    let mut entry = caller.audit(action, "death_report", id, &path);
    entry.retiree_id = Some(retiree.id);
    entry.detail = Some(serde_json::json!({"reason": reason, "restored": report.prior_status}).to_string());
    persistence::audit::append(conn, &entry)?;
    Ok(report_response(closed))
}
