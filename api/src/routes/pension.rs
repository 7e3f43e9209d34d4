//! Pension status of one person (CS Art. 32, JN Art. 34): the status with its reason and certification
//! validity, its history, suspensions and resumptions with the back-pay they owe.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::pension::{self, CertificationBarrier, CertificationStatus, Transition, certification_status};
use domain::policy::SuspensionReason;
use domain::{Money, PensionStatus, Permission};
use persistence::audit;
use persistence::pension::{self as repo, NewStatusChange};
use persistence::retirees::{self as people, Retiree};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::common::{Page, check_text, finish, next_cursor, ok_with_etag};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{IfMatch, Json, page};
use crate::policy_book::rules_at;
use crate::state::AppState;

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
    }
}

pub use app::input::{month_text, parse_month};
pub use app::pension::{BackPayResponse, StatusChangeResponse, change_response};
pub use app::pension::{apply_change, illegal, resumption, state_of};

/// The pension status of one person (audited read).
#[utoipa::path(tag = "pension", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Retiree id")),
    responses((status = 200, body = PensionStatusResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/pension-status")]
pub async fn get_status(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let (retiree, days) = crate::db::write(&state.pool, move |conn| {
        let (retiree, path) = people::find_in_scope(conn, id, &c.scope_path)?;
        let mut entry = c.audit("pension.status.read", "retiree", id, &path);
        entry.retiree_id = Some(id);
        audit::append(conn, &entry)?;
        let days = rules_at(conn, &path, today)?.due_soon_days;
        Ok((retiree, days))
    })
    .await?;
    Ok(ok_with_etag(&status_response(&retiree, days, today), retiree.version))
}

/// Page query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Every status change of one person, oldest first (audited read).
#[utoipa::path(tag = "pension", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Retiree id"), HistoryQuery),
    responses((status = 200, body = Page<StatusChangeResponse>), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/pension-status/changes")]
pub async fn changes(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<HistoryQuery>,
) -> Result<web::Json<Page<StatusChangeResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("p", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.clone();
    let items = crate::db::write(&state.pool, move |conn| {
        let (_, path) = people::find_in_scope(conn, id, &c.scope_path)?;
        let mut entry = c.audit("pension.changes.read", "retiree", id, &path);
        entry.retiree_id = Some(id);
        audit::append(conn, &entry)?;
        Ok(repo::changes_of(conn, id, after, limit)?)
    })
    .await?;
    let next = next_cursor(&items, limit, "p", |c| c.id.to_string());
    Ok(web::Json(Page { items: items.into_iter().map(change_response).collect(), next_cursor: next }))
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

/// Suspends the pension of one person for a legal reason (CS Art. 32, JN Art. 34). A suspended, stopped or
/// transferred-out pension cannot be suspended (409 `already_suspended`, `pension_stopped`,
/// `pension_transferred_out`). `If-Match` is optional: with it, the person must still be at that version.
#[utoipa::path(tag = "pension", security(("bearer" = ["pension.manage"])), request_body = SuspendRequest,
    params(("id" = i64, Path, description = "Retiree id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the person read before"),
           ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = StatusChangeResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/retirees/{id}/suspensions")]
pub async fn suspend(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<SuspendRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PensionManage)?;
    let id = path.into_inner();
    let body = body.0;
    let if_match = optional_if_match(&req)?;
    let mut errors = Vec::new();
    let month = body.effective_month.as_deref().map(|m| parse_month("/effective_month", m)).transpose();
    let month = month.map_err(|e| errors.push(e)).ok().flatten();
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    let this_month = pension::month_of(today);
    let month = month.unwrap_or(this_month);
    if month > pension::add_months(this_month, 1).unwrap_or(this_month) {
        errors.push(FieldError::new(
            "/effective_month",
            "month_too_late",
            "生效月份不能晚于下月",
            "the effective month cannot be later than next month",
        ));
    }
    finish(errors)?;
    let fingerprint = crate::idempotency::fingerprint(&format!("POST /retirees/{id}/suspensions"), &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let (retiree, path) = people::find_in_scope(conn, id, &c.scope_path)?;
        let expected = if_match.map(|m| m.expect(retiree.version)).transpose()?;
        if month < pension::month_of(retiree.retirement_date) {
            return Err(ApiError::field(FieldError::new(
                "/effective_month",
                "month_before_retirement",
                "生效月份不能早于退休月份",
                "the effective month cannot be before the month of retirement",
            )));
        }
        let from = state_of(&retiree)?;
        let to = pension::transition(from, Transition::Suspend(body.reason)).map_err(illegal)?;
        let change = NewStatusChange::by_person(
            &retiree,
            PensionStatus::Suspended.as_str(),
            Some(body.reason.as_str().to_owned()),
            month,
            &c.login,
            note,
        );
        let (updated, recorded) = apply_change(conn, &c, &retiree, &path, expected, to, change)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/retirees/{id}/pension-status"),
            version: updated.version,
            body: serde_json::to_value(change_response(recorded)).map_err(ApiError::internal)?,
        })
    })
    .await
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

/// Resumes a suspended pension and records the back-pay owed: suspended months × monthly pension, exact in fen,
/// where the policy grants it for the reason (CS Art. 32: "恢复发放或补发"). A suspension for an overdue
/// certification ends by recording a certification instead (409 `certification_required`).
#[utoipa::path(tag = "pension", security(("bearer" = ["pension.manage"])), request_body = ResumeRequest,
    params(("id" = i64, Path, description = "Retiree id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the person read before")),
    responses((status = 200, body = StatusChangeResponse), crate::openapi::WriteErrors))]
#[post("/retirees/{id}/pension-status/resume")]
pub async fn resume(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<ResumeRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PensionManage)?;
    let id = path.into_inner();
    let body = body.0;
    let if_match = optional_if_match(&req)?;
    let mut errors = Vec::new();
    let month = body.effective_month.as_deref().map(|m| parse_month("/effective_month", m)).transpose();
    let month = month.map_err(|e| errors.push(e)).ok().flatten();
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    let this_month = pension::month_of(today);
    let month = month.unwrap_or(this_month);
    if month > pension::add_months(this_month, 1).unwrap_or(this_month) {
        errors.push(FieldError::new(
            "/effective_month",
            "month_too_late",
            "生效月份不能晚于下月",
            "the effective month cannot be later than next month",
        ));
    }
    finish(errors)?;
    let c = caller.clone();
    let recorded = crate::db::write(&state.pool, move |conn| {
        let (retiree, path) = people::find_in_scope(conn, id, &c.scope_path)?;
        let expected = if_match.map(|m| m.expect(retiree.version)).transpose()?;
        let from = state_of(&retiree)?;
        let to = pension::transition(from, Transition::Resume).map_err(illegal)?;
        let Some(reason) = from.reason() else { return Err(illegal(pension::TransitionError::NotSuspended).into()) };
        if pension::certification_resumes(reason) {
            return Err(ApiError::of(domain::ErrorCode::CertificationRequired));
        }
        if retiree.suspended_from.is_some_and(|f| month < f) {
            return Err(ApiError::field(FieldError::new(
                "/effective_month",
                "month_before_suspension",
                "恢复月份不能早于暂停月份",
                "the month of resumption cannot be before the month of suspension",
            )));
        }
        let (change, _) = resumption(conn, &retiree, &path, reason, month, &c.login, note)?;
        let (_, recorded) = apply_change(conn, &c, &retiree, &path, expected, to, change)?;
        Ok(recorded)
    })
    .await?;
    Ok(HttpResponse::Ok().json(change_response(recorded)))
}

/// `If-Match` when sent (actions on a person take it optionally: the status guard already refuses stale
/// transitions).
pub fn optional_if_match(req: &HttpRequest) -> Result<Option<IfMatch>, ApiError> {
    if req.headers().contains_key(actix_web::http::header::IF_MATCH) {
        IfMatch::from_request(req).map(Some)
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn months_parse() {
        assert_eq!(parse_month("/m", "2026-03").ok(), Some(date!(2026 - 03 - 01)));
        assert!(parse_month("/m", "2026-13").is_err());
        assert!(parse_month("/m", "2026-3").is_err());
        assert!(parse_month("/m", "26-03").is_err());
        assert_eq!(month_text(date!(2026 - 03 - 01)), "2026-03");
    }
}
