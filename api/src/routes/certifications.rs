//! Eligibility certification of one person (CS Art. 16(2), 32(1); XM Art. 15; JN Art. 7(3)): recording a
//! certification by any method, its history, the home-certification barrier, and the home-visit task worklist.
//! The use cases are in [`app::certifications`].

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use domain::Permission;
use domain::pension::CertificationBarrier;
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor, ok_with_etag};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{IfMatch, Json, if_match, page, parse_date};
use crate::state::AppState;
use app::pension::PensionStatusResponse;

use app::certifications::barrier::{BarrierRequest, TaskResponse};
use app::certifications::{CertificationResponse, CertifyRequest, CertifyResponse};

/// Records a certification of one person (XM Art. 15; CS Art. 16(2)). When it is newer than the one on file the
/// person's validity runs one policy period from its date and an open home-visit task is closed; a pension
/// suspended for an overdue certification resumes in the month of the certification, with the back-pay the
/// policy grants (CS Art. 32(1)). A stopped or transferred-out pension cannot be certified (409).
#[utoipa::path(tag = "pension", security(("bearer" = ["certification.record"])), request_body = CertifyRequest,
    params(("id" = i64, Path, description = "Retiree id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = CertifyResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/retirees/{id}/certifications")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CertifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::CertificationRecord)?;
    let id = path.into_inner();
    let body = body.0;
    let checked = app::certifications::check(&body, today).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint(&format!("POST /retirees/{id}/certifications"), &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let answer = app::certifications::certify(conn, &c, today, id, checked)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/retirees/{id}/certifications/{}", answer.certification.id),
            version: answer.status.version,
            body: serde_json::to_value(answer).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Page query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificationsQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The certifications of one person, newest first (audited read).
#[utoipa::path(tag = "pension", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Retiree id"), CertificationsQuery),
    responses((status = 200, body = Page<CertificationResponse>), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/certifications")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<CertificationsQuery>,
) -> Result<web::Json<Page<CertificationResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let (limit, before) = page::<i64>("c", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.clone();
    let items =
        crate::db::read_audited(&state, move |conn| app::certifications::list(conn, &c, id, before, limit)).await?;
    let next = next_cursor(&items, limit, "c", |c| c.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One certification (audited read).
#[utoipa::path(tag = "pension", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Retiree id"), ("certification_id" = i64, Path, description = "Certification id")),
    responses((status = 200, body = CertificationResponse), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/certifications/{certification_id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<CertificationResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let (id, cert_id) = path.into_inner();
    let c = caller.clone();
    let cert = crate::db::read_audited(&state, move |conn| app::certifications::get_one(conn, &c, id, cert_id)).await?;
    Ok(web::Json(cert))
}

/// Flags a person as unable to come and certify (XM Art. 15(3): 上门认证). Needs `If-Match`. When the person
/// is due within the policy's reminder window, a home-visit task is opened at once; otherwise the next
/// certification run opens it before the due date.
#[utoipa::path(tag = "pension", security(("bearer" = ["certification.record"])), request_body = BarrierRequest,
    params(("id" = i64, Path, description = "Retiree id"), ("If-Match" = String, Header, description = "ETag of the person")),
    responses((status = 200, body = PensionStatusResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[put("/retirees/{id}/certification-barrier")]
pub async fn set_barrier(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<BarrierRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CertificationRecord)?;
    let m = if_match(&req)?;
    barrier(caller, state, path.into_inner(), m, Some(body.0.barrier)).await
}

/// Clears the home-certification flag; an open home-visit task is cancelled. Needs `If-Match`.
#[utoipa::path(tag = "pension", security(("bearer" = ["certification.record"])),
    params(("id" = i64, Path, description = "Retiree id"), ("If-Match" = String, Header, description = "ETag of the person")),
    responses((status = 200, body = PensionStatusResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[delete("/retirees/{id}/certification-barrier")]
pub async fn clear_barrier(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CertificationRecord)?;
    let m = if_match(&req)?;
    barrier(caller, state, path.into_inner(), m, None).await
}

async fn barrier(
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    m: IfMatch,
    barrier: Option<CertificationBarrier>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    let c = caller.clone();
    let status: PensionStatusResponse =
        crate::db::write(&state.pool, move |conn| app::certifications::barrier::set(conn, &c, today, id, m, barrier))
            .await?;
    Ok(ok_with_etag(&status, status.version))
}

/// Worklist filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TasksQuery {
    /// A node in the caller's subtree (a community for its own worklist); default the caller's subtree.
    pub jurisdiction: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Open home-visit certification tasks (XM Art. 15(3)) in the caller's subtree, earliest due first: the
/// worklist of the communities that visit.
#[utoipa::path(tag = "pension", security(("bearer" = ["retiree.read"])), params(TasksQuery),
    responses((status = 200, body = Page<TaskResponse>), crate::openapi::ReadErrors))]
#[get("/certification-tasks")]
pub async fn open_tasks(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<TasksQuery>,
) -> Result<web::Json<Page<TaskResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<String>("k", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let after = after.and_then(|a| {
        let parsed = parse_task_cursor(&a);
        if parsed.is_none() {
            errors.push(FieldError::with(
                "cursor",
                domain::ErrorCode::InvalidCursor,
                "cursor 无效，请使用上一页返回的 next_cursor",
                "cursor is not one this list returned",
            ));
        }
        parsed
    });
    finish(errors)?;
    let c = caller.clone();
    let items = crate::db::run(&state.pool, move |conn| {
        app::certifications::barrier::open_tasks(conn, &c, q.jurisdiction.as_deref(), after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, "k", |t| format!("{}|{}", t.due_on, t.id));
    Ok(web::Json(Page { items, next_cursor: next }))
}

fn parse_task_cursor(text: &str) -> Option<(Date, i64)> {
    let (d, id) = text.split_once('|')?;
    Some((parse_date("cursor", d).ok()?, id.parse().ok()?))
}
