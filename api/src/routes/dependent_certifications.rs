//! Certification of dependants and survivors who receive support (XM Art. 15 last paragraph; GUIDE 二
//! "对供养的直系亲属视同退休人员"): the same methods and evidence as a retiree's certification, the same validity
//! period and reminder window from the policy of the retiree's community, suspension of the support by a
//! certification run when overdue, and resumption with the months suspended when certified again (CS Art. 32(1)).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;
use app::certifications::CertifyRequest;

use app::certifications::dependents::{
    DependentCertificationResponse, DependentCertifyResponse, SupportChangeResponse,
};

/// Records a certification of a supported dependant (XM Art. 15 last paragraph: dependants are certified like
/// retirees). When it is newer than the one on file the dependant's validity runs one policy period (of the
/// retiree's community) from its date; support suspended for an overdue certification resumes in the month of
/// the certification, with the months suspended and, where the policy grants it, paid back (CS Art. 32(1)). A
/// dependant who receives no support cannot be certified (409 `dependent_not_supported`).
#[utoipa::path(tag = "pension", security(("bearer" = ["certification.record"])), request_body = CertifyRequest,
    params(("id" = i64, Path, description = "Retiree id"), ("dependent_id" = i64, Path, description = "Dependant id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = DependentCertifyResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/retirees/{id}/dependents/{dependent_id}/certifications")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: Json<CertifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::CertificationRecord)?;
    let (id, dependent_id) = path.into_inner();
    let body = body.0;
    let checked = app::certifications::check(&body, today).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint(
        &format!("POST /retirees/{id}/dependents/{dependent_id}/certifications"),
        &body,
    );
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let answer = app::certifications::dependents::certify(conn, &c, today, (id, dependent_id), checked)?;
        Ok(crate::idempotency::Created {
            location: format!(
                "/api/v1/retirees/{id}/dependents/{dependent_id}/certifications/{}",
                answer.certification.id
            ),
            version: answer.dependent.version,
            body: serde_json::to_value(answer).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Page query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DependentPageQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The certifications of one dependant, newest first (audited read).
#[utoipa::path(tag = "pension", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Retiree id"), ("dependent_id" = i64, Path, description = "Dependant id"),
           DependentPageQuery),
    responses((status = 200, body = Page<DependentCertificationResponse>), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/dependents/{dependent_id}/certifications")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    query: web::Query<DependentPageQuery>,
) -> Result<web::Json<Page<DependentCertificationResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let (limit, before) = page::<i64>("dc", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let ids = path.into_inner();
    let c = caller.clone();
    let items = crate::db::read_audited(&state, move |conn| {
        app::certifications::dependents::list(conn, &c, ids, before, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, "dc", |c| c.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// The suspensions and resumptions of one dependant's support, oldest first (audited read).
#[utoipa::path(tag = "pension", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Retiree id"), ("dependent_id" = i64, Path, description = "Dependant id"),
           DependentPageQuery),
    responses((status = 200, body = Page<SupportChangeResponse>), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/dependents/{dependent_id}/support-changes")]
pub async fn support_changes(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    query: web::Query<DependentPageQuery>,
) -> Result<web::Json<Page<SupportChangeResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("ds", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let ids = path.into_inner();
    let c = caller.clone();
    let items = crate::db::read_audited(&state, move |conn| {
        app::certifications::dependents::support_changes(conn, &c, ids, after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, "ds", |c| c.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}
