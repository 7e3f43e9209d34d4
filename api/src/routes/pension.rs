//! Pension status of one person (CS Art. 32, JN Art. 34): the status with its reason and certification
//! validity, its history, suspensions and resumptions with the back-pay they owe. The use cases are in
//! [`app::pension`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;

use super::common::{Page, finish, next_cursor, ok_with_etag};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, optional_if_match, page};
use crate::state::AppState;

use app::pension::StatusChangeResponse;
use app::pension::{PensionStatusResponse, ResumeRequest, SuspendRequest};

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
    let status = crate::db::read_audited(&state, move |conn| app::pension::status(conn, &c, id, today)).await?;
    Ok(ok_with_etag(&status, status.version))
}

/// Page query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
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
    let items = crate::db::read_audited(&state, move |conn| app::pension::changes(conn, &c, id, after, limit)).await?;
    let next = next_cursor(&items, limit, "p", |c| c.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Suspends the pension of one person for a legal reason (CS Art. 32, JN Art. 34). A suspended, stopped or
/// transferred-out pension cannot be suspended (409 `already_suspended`, `pension_stopped`,
/// `pension_transferred_out`), nor suspended for `certification_overdue` while the certification on record is
/// valid (409 `reason_contradicts_record`, CS Art. 32(1)). `If-Match` is optional: with it, the person must still
/// be at that version.
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
    let asked = app::pension::check_change(body.effective_month.as_deref(), body.note.as_deref(), today)
        .map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint(&format!("POST /retirees/{id}/suspensions"), &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let (version, change) = app::pension::suspend(conn, &c, today, id, if_match, body.reason, asked)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/retirees/{id}/pension-status"),
            version,
            body: serde_json::to_value(change).map_err(ApiError::internal)?,
        })
    })
    .await
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
    let asked = app::pension::check_change(body.effective_month.as_deref(), body.note.as_deref(), today)
        .map_err(ApiError::validation)?;
    let c = caller.clone();
    let recorded =
        crate::db::write(&state.pool, move |conn| app::pension::resume(conn, &c, id, if_match, asked)).await?;
    Ok(HttpResponse::Ok().json(recorded))
}
