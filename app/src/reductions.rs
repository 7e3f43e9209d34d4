//! Reductions (减退; XM Art. 10(2), 11(3)): a person taken off the rolls, moved out of the city or for another
//! reason. Deaths are reduced by the verification of a death report (`deaths::verify`).

use domain::ErrorCode;
use domain::movement::ReductionKind;
use domain::pension::{self as pension_rules};
use persistence::DbConnection;
use persistence::movement::{self as repo, Reduction};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, month_text, parse_month};
use crate::scope::node_in_scope;
use crate::transfers::leave_city;

/// A reduction to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "kind": "other", "reason": "转由军休机构管理", "effective_month": "2026-05"}))]
pub struct CreateReductionRequest {
    /// The person.
    pub retiree_id: i64,
    /// `moved_out` or `other`; deaths are reduced by the verification of a death report (409 `death_via_report`).
    pub kind: ReductionKind,
    /// Reason, 1-500 characters.
    pub reason: String,
    /// Month it takes effect (`YYYY-MM`), default this month; the person is not counted from the next month.
    #[schema(example = "2026-05")]
    pub effective_month: Option<String>,
}

/// A reduction.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReductionResponse {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Their community.
    pub community_code: String,
    /// Why.
    pub kind: ReductionKind,
    /// Reason.
    pub reason: String,
    /// Month (`YYYY-MM`).
    pub effective_month: String,
    /// What made it (`reduction`, `death_report`).
    pub source_type: String,
    /// Its id.
    pub source_id: Option<i64>,
    /// Reversed (a death report reversed).
    pub reversed: bool,
    /// Who.
    pub created_by: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The API view of a stored reduction.
pub fn reduction_response(r: Reduction) -> ReductionResponse {
    ReductionResponse {
        id: r.id,
        retiree_id: r.retiree_id,
        community_code: r.community_code,
        kind: r.kind,
        reason: r.reason,
        effective_month: month_text(r.effective_month),
        source_type: r.source_type,
        source_id: r.source_id,
        reversed: r.reversed,
        created_by: r.created_by,
        created_at: r.created_at.assume_utc(),
    }
}

/// Takes a person of the caller's subtree off the rolls as of `today` (XM Art. 10(2), 11(3)): the reason, and the
/// effective month (default this month, not later); a move out of the city also turns the pension
/// `transferred_out`. A death is 409 `death_via_report`, a person not on a roll 409 `not_on_roll`. Counted as
/// reduced in that month, not on the roll from the next.
pub fn reduce(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    body: CreateReductionRequest,
) -> Result<ReductionResponse, AppError> {
    let this_month = pension_rules::month_of(today);
    let mut errors = Vec::new();
    let reason = check_name("/reason", &body.reason, 500, &mut errors);
    let month = match body.effective_month.as_deref() {
        Some(m) => parse_month("/effective_month", m).map_err(|e| errors.push(e)).ok(),
        None => Some(this_month),
    };
    if month.is_some_and(|m| m > this_month) {
        errors.push(FieldError::of("/effective_month", ErrorCode::MonthInFuture));
    }
    let month = match month {
        Some(m) if errors.is_empty() => m,
        _ => return Err(AppError::validation(errors)),
    };
    if body.kind == ReductionKind::Death {
        return Err(AppError::of(ErrorCode::DeathViaReport));
    }
    let (retiree, path) = crate::scope::referenced_retiree(conn, caller, body.retiree_id, "/retiree_id")?;
    if !repo::on_roll(conn, retiree.id)? {
        return Err(AppError::of(ErrorCode::NotOnRoll));
    }
    if body.kind == ReductionKind::MovedOut {
        leave_city(conn, caller, &retiree, &path, month, &reason)?;
        repo::relocate(conn, retiree.id, &retiree.community_code, false, true)?;
    }
    // On the roll it is counted no earlier than the month the person joined it (issue 19.3).
    let roll_month = crate::movement_report::leaving_month(conn, retiree.id, &retiree.community_code, month)?;
    let r = repo::reduce(
        conn,
        retiree.id,
        &retiree.community_code,
        body.kind.as_str(),
        &reason,
        roll_month,
        ("reduction", None),
        &caller.login,
    )?;
    let mut entry = caller.audit("reduction.create", "reduction", r.id, &path);
    entry.retiree_id = Some(retiree.id);
    entry.detail =
        Some(serde_json::json!({"kind": body.kind.as_str(), "effective_month": month_text(month)}).to_string());
    persistence::audit::append(conn, &entry)?;
    Ok(reduction_response(r))
}

/// Reductions under node `code` (in the caller's subtree, else 422 `jurisdiction_not_found`), by id after `after`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<ReductionResponse>, AppError> {
    let node = node_in_scope(conn, caller, code, "jurisdiction")?;
    Ok(repo::list_reductions(conn, &node.path, after, limit)?.into_iter().map(reduction_response).collect())
}
