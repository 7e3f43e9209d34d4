//! Reversing a payment booked against a fund (issue 27: "reversing the payment reverses the booking"): a negative
//! booking of the same fund, node, year and category that names the original (`reverses_id`), in the caller's
//! transaction; used by a condolence's cancel and an excellent-leader award's cancel, each with its event.

use domain::ErrorCode;
use domain::events::EventType;
use domain::fund::FundKind;
use domain::policy::FundUse;
use persistence::DbConnection;
use persistence::events::{self, Emit};
use persistence::fund::{self as repo, Expenditure, NewExpenditure};
use persistence::fund_levels as levels;
use persistence::jurisdictions;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::expenditures::{ExpenditureResponse, expenditure_response};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};

/// A reason, trimmed: required, at most 500 characters (422 on `/reason`).
pub(crate) fn check_reason(reason: &str) -> Result<String, AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::field(FieldError::of("/reason", ErrorCode::Required)));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::field(FieldError::with(
            "/reason",
            ErrorCode::Length,
            "最多500个字符",
            "must be at most 500 characters",
        )));
    }
    Ok(reason.to_owned())
}

/// Books the reversal of `original` (its amount negated, `reverses_id` naming it) in an open year (409
/// `statement_closed` when the year of the booking is closed), audited `expenditure.reverse`.
pub(crate) fn reverse(
    conn: &mut DbConnection,
    caller: &Caller,
    original: &Expenditure,
    condolence_id: Option<i64>,
    reason: &str,
) -> Result<Expenditure, AppError> {
    let fund = FundKind::parse(&original.fund).unwrap_or(FundKind::Service);
    super::levels::ensure_open(conn, &original.jurisdiction_code, fund, original.year)?;
    let node = jurisdictions::find(conn, &original.jurisdiction_code)?;
    let reversal = repo::insert_expenditure(
        conn,
        &NewExpenditure {
            jurisdiction_code: original.jurisdiction_code.clone(),
            year: original.year,
            on_date: original.on_date,
            category: original.category.as_str().to_owned(),
            amount_fen: -original.amount_fen,
            description: format!("撤销：{}（{reason}）", original.description),
            leader_id: None,
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
            fund: original.fund.clone(),
            condolence_id,
            reverses_id: Some(original.id),
        },
    )?;
    let mut entry = caller.audit("expenditure.reverse", "fund_expenditure", reversal.id, &node.path);
    entry.detail = Some(
        serde_json::json!({"reverses_id": original.id, "amount_fen": reversal.amount_fen, "reason": reason})
            .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(reversal)
}

/// `condolence.cancelled`: the condolence, the booking reversed (if any) and the reason; subject `condolence`,
/// placed at the person's community.
pub(crate) fn emit_condolence_cancelled(
    conn: &mut DbConnection,
    c: &persistence::condolences::Condolence,
    reversal: Option<&Expenditure>,
    reason: &str,
) -> Result<(), AppError> {
    events::emit(
        conn,
        &Emit {
            kind: EventType::CondolenceCancelled.as_str(),
            version: 1,
            subject_type: "condolence",
            subject_id: c.id,
            retiree_id: Some(c.retiree_id),
            community_code: None,
            previous_code: None,
            details: serde_json::json!({
                "condolence_id": c.id,
                "kind": c.kind.as_str(),
                "on_date": c.on_date.to_string(),
                "amount_fen": c.amount_fen,
                "expenditure_id": c.expenditure_id,
                "reversal_id": reversal.map(|r| r.id),
                "reason": reason,
            }),
        },
    )?;
    Ok(())
}

/// A cancellation of an award.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "评选材料不实"}))]
pub struct CancelAwardRequest {
    /// Why, 1-500 characters.
    pub reason: String,
}

/// Cancels an excellent-leader award (XM Art. 24, 21(5)): `id` is the award's booking (`category`
/// `excellent_leader_award`, not itself a reversal; otherwise or outside the caller's subtree 404 `not_an_award`).
/// Its booking is reversed by a negative booking naming it (`reverses_id`) in the same transaction, so the fund's
/// balance and the year's quota get the place back; the reason is required (422 `required` on `/reason`). Twice:
/// 409 `award_cancelled`; the year closed: 409 `statement_closed`. Audited `award.cancel`; emits
/// `award.cancelled`. Answers the reversal.
pub fn cancel_award(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    reason: &str,
) -> Result<ExpenditureResponse, AppError> {
    let not_an_award = || AppError::of(ErrorCode::NotAnAward);
    let original = match repo::find_expenditure(conn, id) {
        Ok(e) => e,
        Err(persistence::RepoError::NotFound) => return Err(not_an_award()),
        Err(e) => return Err(e.into()),
    };
    let node = jurisdictions::find(conn, &original.jurisdiction_code)?;
    if !caller.sees(&node.path)
        || original.category != FundUse::ExcellentLeaderAward
        || original.reverses_id.is_some()
        || original.amount_fen <= 0
    {
        return Err(not_an_award());
    }
    let reason = check_reason(reason)?;
    if levels::reversal_of(conn, original.id)?.is_some() {
        return Err(AppError::of(ErrorCode::AwardCancelled));
    }
    let reversal = reverse(conn, caller, &original, None, &reason)?;
    // The leader may be awarded again in the year (a new booking; this one keeps its reversal).
    repo::mark_award_cancelled(conn, original.id)?;
    let mut entry = caller.audit("award.cancel", "fund_expenditure", original.id, &node.path);
    entry.detail = Some(
        serde_json::json!({"reason": reason, "reversal_id": reversal.id, "leader_id": original.leader_id,
            "amount_fen": original.amount_fen})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    events::emit(
        conn,
        &Emit {
            kind: EventType::AwardCancelled.as_str(),
            version: 1,
            subject_type: "fund_expenditure",
            subject_id: original.id,
            retiree_id: None,
            community_code: Some(&node.code),
            previous_code: None,
            details: serde_json::json!({
                "expenditure_id": original.id,
                "reversal_id": reversal.id,
                "leader_id": original.leader_id,
                "year": original.year,
                "amount_fen": original.amount_fen,
                "reason": reason,
            }),
        },
    )?;
    Ok(expenditure_response(reversal))
}

/// Awards of `ledger` still standing: awards booked less those reversed (the quota counts these).
pub(crate) fn standing_awards(ledger: &[Expenditure]) -> i64 {
    let booked = ledger.iter().filter(|e| e.category == FundUse::ExcellentLeaderAward && e.reverses_id.is_none());
    let reversed = ledger.iter().filter(|e| e.category == FundUse::ExcellentLeaderAward && e.reverses_id.is_some());
    booked.count() as i64 - reversed.count() as i64
}
