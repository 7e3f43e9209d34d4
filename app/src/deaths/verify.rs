//! Verifying a reported death (GUIDE 四; CS Art. 31, 32): the pension stops from the month after death, pension
//! paid after it is recorded as an overpayment, the condolence falls due, and the person leaves the roll.

use domain::death::{self, DeathAction, PensionEffect};
use domain::policy::CondolenceKind;
use domain::{ErrorCode, PensionStatus, pension};
use persistence::DbConnection;
use persistence::death::{self as repo, NewOverpayment, Verification};
use persistence::pension::NewStatusChange;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};
use utoipa::ToSchema;

use super::response::{DeathReportResponse, report_response};
use super::{rule, visible};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_text, month_text, parse_month};
use crate::overpayments::{OverpaymentResponse, overpayment_response};
use crate::pension::{StatusChangeResponse, apply_change, change_response, state_of};
use crate::policy_book::policy_at;

/// A verification.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"paid_through": "2026-06", "note": "死亡证明已核对"}))]
pub struct VerifyRequest {
    /// The last month for which the pension was paid (`YYYY-MM`), from the payment record or the pension-payment
    /// data; months from the stop month through it are an overpayment. Omit when nothing was paid after death.
    #[schema(example = "2026-06")]
    pub paid_through: Option<String>,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// What a verification did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyResponse {
    /// The report.
    pub report: DeathReportResponse,
    /// The pension status change (to `stopped`, effective the month after death).
    pub status_change: StatusChangeResponse,
    /// The overpayment recorded, when pension was paid for months after the stop month.
    pub overpayment: Option<OverpaymentResponse>,
}

/// The checks of a verification as of `today`: `paid_through` a month not after next month, the note's length.
fn check(body: &VerifyRequest, today: Date) -> Result<(Option<Date>, Option<String>), AppError> {
    let mut errors = Vec::new();
    let paid_through =
        body.paid_through.as_deref().and_then(|m| parse_month("/paid_through", m).map_err(|e| errors.push(e)).ok());
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    let this_month = pension::month_of(today);
    if paid_through.is_some_and(|m| m > pension::add_months(this_month, 1).unwrap_or(this_month)) {
        errors.push(FieldError::of("/paid_through", ErrorCode::MonthTooLate));
    }
    if errors.is_empty() { Ok((paid_through, note)) } else { Err(AppError::validation(errors)) }
}

/// Verifies report `id` of a person in the caller's subtree (GUIDE 四; CS Art. 32): the pension stops from the
/// month after death (a status change to `stopped`), pension paid for months from then through `paid_through` is
/// recorded as an overpayment due within the policy's recovery deadline after `today` (CS Art. 31), the
/// condolence of the policy falls due once (XM Art. 21(3)), and the person leaves the community's roll in the
/// month of death. `if_match` is the version the caller read (412 when stale).
pub fn verify(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<crate::precondition::IfMatch>,
    body: VerifyRequest,
) -> Result<VerifyResponse, AppError> {
    let (paid_through, note) = check(&body, today)?;
    let (report, retiree, path) = visible(conn, caller, id)?;
    let expected = crate::precondition::expect_if_sent(if_match, report.version)?;
    let pension = state_of(&retiree)?;
    let outcome = death::apply(report.status, DeathAction::Verify { pension }).map_err(rule)?;
    let PensionEffect::Stop(to) = outcome.pension else {
        return Err(AppError::internal("a verification stops the pension"));
    };
    let policy = policy_at(conn, &path, report.date_of_death)?;
    let condolence = policy.condolence(CondolenceKind::Death).map(|k| k.amount.value.fen()).filter(|f| *f > 0);
    let now = persistence::now_utc();
    let verified = repo::verify_report(
        conn,
        id,
        expected,
        &Verification {
            status: outcome.status.as_str().to_owned(),
            prior_status: Some(retiree.pension_status.as_str().to_owned()),
            prior_reason: retiree.suspension_reason.map(|r| r.as_str().to_owned()),
            prior_suspended_from: retiree.suspended_from,
            condolence_fen: condolence,
            verified_by: Some(caller.login.clone()),
            verified_at: Some(now),
            updated_at: now,
        },
    )
    .map_err(|e| match e {
        persistence::RepoError::VersionMismatch => AppError::precondition_failed(),
        other => other.into(),
    })?;
    let note = Some(note.unwrap_or_else(|| format!("death report {id}")));
    let stopped = PensionStatus::Stopped.as_str();
    let change = NewStatusChange::by_person(&retiree, stopped, None, report.stop_month, &caller.login, note);
    let (_, recorded) = apply_change(conn, caller, &retiree, &path, None, to, change)?;
    let mut overpayment = None;
    if let Some(through) = paid_through {
        let months = death::overpaid_months(report.stop_month, through);
        if months > 0 {
            let monthly = retiree.monthly_pension_fen.ok_or_else(|| {
                AppError::field(FieldError::with(
                    "/paid_through",
                    ErrorCode::MonthlyPensionUnknown,
                    "未登记月养老金，无法计算多领金额",
                    "no monthly pension on record to compute the overpayment",
                ))
            })?;
            let amount = death::overpayment_fen(months, monthly)
                .ok_or_else(|| AppError::internal("overpayment out of range"))?;
            let days = i64::from(policy.death.recovery_deadline_days.value);
            let o = repo::create_overpayment(
                conn,
                &NewOverpayment {
                    retiree_id: retiree.id,
                    death_report_id: id,
                    community_code: retiree.community_code.clone(),
                    first_month: report.stop_month,
                    last_month: pension::month_of(through),
                    months: i32::try_from(months).unwrap_or(i32::MAX),
                    monthly_fen: monthly,
                    amount_fen: amount,
                    due_by: today.checked_add(Duration::days(days)).unwrap_or(Date::MAX),
                    status: repo::OWED.to_owned(),
                    created_by: caller.login.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            overpayment = Some(overpayment_response(o, Vec::new()));
        }
    }
    // Off the community's roll: reduced in the month of death (or, dated before they joined it, in the month they
    // joined), not counted from the next month (unless a reduction took them off already).
    if persistence::movement::on_roll(conn, retiree.id)? {
        let month =
            crate::movement_report::leaving_month(conn, retiree.id, &retiree.community_code, report.date_of_death)?;
        persistence::movement::reduce(
            conn,
            retiree.id,
            &retiree.community_code,
            domain::movement::ReductionKind::Death.as_str(),
            &format!("death on {}", report.date_of_death),
            month,
            ("death_report", Some(id)),
            &caller.login,
        )?;
    }
    // A person recorded missing is missing no longer once their death is verified (CS Art. 32(2)): the record
    // closes on the date of death (not before the day they went missing) and they leave the worklist.
    let mut missing_closed = None;
    if let Some(open) = persistence::missing_persons::open_of(conn, retiree.id)? {
        let on = report.date_of_death.max(open.missing_since);
        let note = format!("death report {id} verified");
        missing_closed = Some(persistence::missing_persons::close(conn, open.id, on, Some(&note), &caller.login)?.id);
    }
    let mut entry = caller.audit("death.verify", "death_report", id, &path);
    entry.retiree_id = Some(retiree.id);
    entry.detail = Some(
        serde_json::json!({"stop_month": month_text(report.stop_month), "condolence_fen": condolence,
            "overpayment_fen": overpayment.as_ref().map(|o| o.amount.clone()), "missing_record_closed": missing_closed})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(VerifyResponse { report: report_response(verified), status_change: change_response(recorded)?, overpayment })
}
