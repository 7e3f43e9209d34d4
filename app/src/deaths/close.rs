//! Closing a death report: withdrawn before verification (the wrong person was reported), or reversed after it
//! (the death was wrongly recorded: the pension state, the overpayment and the roll are restored).

use domain::death::{self, DeathAction, PensionEffect, SupportEndReason};
use domain::overpayment::RecoveryKind;
use domain::support::SupportAction;
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
use crate::dependent_support::end_by_event;
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
    if_match: Option<crate::precondition::IfMatch>,
    body: CloseRequest,
) -> Result<DeathReportResponse, AppError> {
    close(conn, caller, today, id, if_match, body, false)
}

/// Reverses verified report `id`: the pension state before the verification is restored (a status change from
/// `stopped` back to it), the deductions booked against the death benefits are given back by a counter-entry
/// (the benefits are whole again; the ledger keeps both entries) and the overpayment is voided, the dependants'
/// support that followed from the death stops from the month of `today` (their applications end, reason
/// `death_reversed`), and the person is back on the roll from the month of `today` (issue 19.13).
pub fn reverse(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<crate::precondition::IfMatch>,
    body: CloseRequest,
) -> Result<DeathReportResponse, AppError> {
    close(conn, caller, today, id, if_match, body, true)
}

fn close(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<crate::precondition::IfMatch>,
    body: CloseRequest,
    reversal: bool,
) -> Result<DeathReportResponse, AppError> {
    let mut errors = Vec::new();
    let reason = check_name("/reason", &body.reason, 500, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let (report, retiree, path) = visible(conn, caller, id)?;
    let expected = crate::precondition::expect_if_sent(if_match, report.version)?;
    let from = report.status;
    let outcome =
        death::apply(from, if reversal { DeathAction::Reverse } else { DeathAction::Withdraw }).map_err(rule)?;
    let (from, to) = (from.as_str(), outcome.status.as_str());
    let closed = repo::close_report(conn, id, expected, from, to, &reason, &caller.login).map_err(|e| match e {
        persistence::RepoError::VersionMismatch => AppError::precondition_failed(),
        other => other.into(),
    })?;
    let (mut given_back, mut supports_ended) = (0, Vec::new());
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
            given_back = give_deductions_back(conn, caller, today, id, &o)?;
            repo::set_overpayment_status(conn, o.id, repo::VOID)?;
        }
        persistence::movement::reinstate(conn, ("death_report", id), pension::month_of(today))?;
        supports_ended = end_support_of(conn, caller, today, id, &path)?;
    }
    let action = if reversal { "death.reverse" } else { "death.withdraw" };
    let mut entry = caller.audit(action, "death_report", id, &path);
    entry.retiree_id = Some(retiree.id);
    entry.detail = Some(
        serde_json::json!({"reason": reason, "restored": report.prior_status,
            "deductions_reversed_fen": given_back, "support_ended": supports_ended})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(report_response(closed))
}

/// Books the counter-entry of the deductions from the death benefits of report `id` against overpayment `o`
/// (kind `deduction_reversed`, a negative amount, on `today`; issue 19.13): nothing is deleted, the balance is
/// as before the deductions. Audited as `overpayment.deduction_reversed`. Returns the fen given back.
fn give_deductions_back(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    o: &repo::Overpayment,
) -> Result<i64, AppError> {
    let entries: Vec<(RecoveryKind, i64)> =
        repo::entries_of(conn, o.id)?.into_iter().map(|e| (e.kind, e.amount_fen)).collect();
    let Some(counter) = domain::overpayment::deduction_reversal(&entries) else { return Ok(0) };
    repo::add_entry(
        conn,
        o,
        &repo::NewEntry {
            overpayment_id: o.id,
            kind: RecoveryKind::DeductionReversed.as_str().to_owned(),
            amount_fen: counter,
            entry_on: today,
            approved_by: None,
            note: Some(format!("reversal of death report {id}")),
            operator: caller.login.clone(),
            created_at: persistence::now_utc(),
        },
        o.status.as_str(),
    )?;
    let (_, path) = persistence::retirees::find_in_scope(conn, o.retiree_id, &caller.scope_path)?;
    let mut entry = caller.audit("overpayment.deduction_reversed", "overpayment", o.id, &path);
    entry.retiree_id = Some(o.retiree_id);
    entry.detail = Some(serde_json::json!({"death_report_id": id, "amount_fen": counter}).to_string());
    persistence::audit::append(conn, &entry)?;
    Ok(-counter)
}

/// Ends the open applications for dependants' support that followed from report `id` (issue 19.13; GUIDE 五:
/// support follows a death, and there was none): nothing is paid from the month of `today`; each is audited as
/// `dependent_support.death_reversed`. Returns their ids.
fn end_support_of(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    path: &str,
) -> Result<Vec<i64>, AppError> {
    let mut ended = Vec::new();
    for current in repo::open_support_of_report(conn, id)? {
        let action = SupportAction::DeathReversed { on: today, support_from: current.support_from };
        let after = end_by_event(conn, &current, action, SupportEndReason::DeathReversed)?;
        let mut entry = caller.audit("dependent_support.death_reversed", "dependent_support", after.id, path);
        entry.retiree_id = Some(after.retiree_id);
        entry.detail = Some(
            serde_json::json!({"death_report_id": id, "dependent_id": after.dependent_id,
                "from": current.status.as_str(), "support_until": after.support_until.map(crate::input::month_text)})
            .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        ended.push(after.id);
    }
    Ok(ended)
}
