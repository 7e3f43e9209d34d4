//! Elderly care services (issue 26; GUIDE 第二部分六): the registers of institutions and caregivers, and moving a
//! person into an institution. The request flow is in [`super::care_requests`]; the use cases in
//! [`app::elder_care`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::elder_care::{CaregiverGrade, InstitutionKind};
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, enum_filter, finish, flag, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, if_match, page};
use crate::state::AppState;

use app::elder_care::caregivers::{CaregiverInput, CaregiverView, GradeRequest, Training};
use app::elder_care::institutions::{InstitutionInput, InstitutionView};
use app::elder_care::move_in::{MoveInRequest, MoveInView};

const INSTITUTION_CURSOR: &str = "ci";
const CAREGIVER_CURSOR: &str = "cg";

/// Registers a care institution of a node (GUIDE 第二部分六 2, 6): kind, address, licence with expiry (an expired
/// licence: 422 `licence_expired`), beds (occupied above the total: 422 `beds_over_capacity`), services with
/// prices, contact, and how the information was collected.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = InstitutionInput,
    responses((status = 201, body = InstitutionView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/care/institutions")]
pub async fn create_institution(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<InstitutionInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::CareServiceManage)?;
    let asked = app::elder_care::institutions::check(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::elder_care::institutions::create(conn, &c, today, asked))
        .await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/care/institutions/{}", v.id), &v, v.version))
}

/// Filters of the institution list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstitutionQuery {
    /// Kind.
    pub kind: Option<String>,
    /// `true`: only institutions whose information is stale (last verified more than the policy's
    /// `elder_care.institution_stale_days` ago): the worklist of GUIDE 第二部分六 6.
    pub stale: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Institutions of the nodes in the caller's subtree, by id; `stale=true` gives the verification worklist.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.read"]), ("bearer" = ["care_service.manage"])),
    params(InstitutionQuery), responses((status = 200, body = Page<InstitutionView>), crate::openapi::ReadErrors))]
#[get("/care/institutions")]
pub async fn list_institutions(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<InstitutionQuery>,
) -> Result<web::Json<Page<InstitutionView>>, ApiError> {
    let today = state.clock.today();
    app::elder_care::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(INSTITUTION_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let kind = enum_filter("kind", q.kind.as_deref(), InstitutionKind::parse, InstitutionKind::codes(), &mut errors);
    let stale = flag("stale", q.stale.as_deref(), &mut errors);
    finish(errors)?;
    let iq = app::elder_care::institutions::InstitutionQuery { kind, stale, after, limit };
    let c = caller.0.clone();
    let cache = state.cache.clone();
    let items = crate::db::read(&state, &caller.login, move |conn| {
        let book = cache.policy_book(conn, today)?;
        app::elder_care::institutions::list(conn, &c, &book, &iq)
    })
    .await?;
    let next = next_cursor(&items, limit, INSTITUTION_CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One institution of a node in the caller's subtree.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.read"]), ("bearer" = ["care_service.manage"])),
    params(("id" = i64, Path, description = "Institution id")),
    responses((status = 200, body = InstitutionView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/care/institutions/{id}")]
pub async fn get_institution(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::elder_care::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::run(&state.pool, move |conn| app::elder_care::institutions::get(conn, &c, today, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Records a verification of an institution (GUIDE 第二部分六 6: visits, mail, phone, online): every field as found,
/// the day and the channel. Needs `If-Match`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = InstitutionInput,
    params(("id" = i64, Path, description = "Institution id"), ("If-Match" = String, Header, description = "ETag read")),
    responses((status = 200, body = InstitutionView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/care/institutions/{id}/verify")]
pub async fn verify_institution(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<InstitutionInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::CareServiceManage)?;
    let m = if_match(&req)?;
    let asked = app::elder_care::institutions::check(&body.0, today).map_err(ApiError::validation)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v =
        crate::db::write(&state.pool, move |conn| app::elder_care::institutions::verify(conn, &c, today, id, m, asked))
            .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Registers a caregiver (GUIDE 第二部分六 5): grade (初级/中级/高级/技师), certificate, employer, items, areas
/// served, languages. A certificate number registered already: 409 `conflict`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = CaregiverInput,
    responses((status = 201, body = CaregiverView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/care/caregivers")]
pub async fn create_caregiver(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CaregiverInput>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::CareServiceManage)?;
    let asked = app::elder_care::caregivers::check(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::elder_care::caregivers::create(conn, &c, asked)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/care/caregivers/{}", v.id), &v, v.version))
}

/// Filters of the caregiver list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaregiverQuery {
    /// Grade.
    pub grade: Option<String>,
    /// Only caregivers serving this node.
    pub serving: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Caregivers registered in the caller's subtree or serving a node in it, by id; phones are left out (read them
/// with `GET /care/caregivers/{id}`, audited).
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.read"]), ("bearer" = ["care_service.manage"])),
    params(CaregiverQuery), responses((status = 200, body = Page<CaregiverView>), crate::openapi::ReadErrors))]
#[get("/care/caregivers")]
pub async fn list_caregivers(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<CaregiverQuery>,
) -> Result<web::Json<Page<CaregiverView>>, ApiError> {
    app::elder_care::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(CAREGIVER_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let grade = enum_filter("grade", q.grade.as_deref(), CaregiverGrade::parse, CaregiverGrade::codes(), &mut errors);
    finish(errors)?;
    let c = caller.0.clone();
    let serving = q.serving;
    let items = crate::db::read(&state, &caller.login, move |conn| {
        app::elder_care::caregivers::list(conn, &c, grade, serving.as_deref(), after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, CAREGIVER_CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One caregiver with the phone, trainings, grade history and evaluations (an audited read).
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.read"]), ("bearer" = ["care_service.manage"])),
    params(("id" = i64, Path, description = "Caregiver id")),
    responses((status = 200, body = CaregiverView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/care/caregivers/{id}")]
pub async fn get_caregiver(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app::elder_care::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::read_audited(&state, move |conn| app::elder_care::caregivers::get(conn, &c, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

async fn change(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    ch: app::elder_care::caregivers::Change,
) -> Result<HttpResponse, ApiError> {
    let m = if_match(&req)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::elder_care::caregivers::change(conn, &c, id, m, ch)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Records a training of a caregiver. Needs `If-Match`; only the registering node's subtree (else 403).
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = Training,
    params(("id" = i64, Path, description = "Caregiver id"), ("If-Match" = String, Header, description = "ETag read")),
    responses((status = 200, body = CaregiverView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/care/caregivers/{id}/trainings")]
pub async fn add_training(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<Training>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CareServiceManage)?;
    let ch = app::elder_care::caregivers::check_training(&body.0, state.clock.today()).map_err(ApiError::validation)?;
    change(req, caller, state, path.into_inner(), ch).await
}

/// Records a grade change with its certificate and day (GUIDE 第二部分六 5(1)). Needs `If-Match`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = GradeRequest,
    params(("id" = i64, Path, description = "Caregiver id"), ("If-Match" = String, Header, description = "ETag read")),
    responses((status = 200, body = CaregiverView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/care/caregivers/{id}/grade")]
pub async fn change_grade(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<GradeRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::CareServiceManage)?;
    let ch = app::elder_care::caregivers::check_grade(&body.0, state.clock.today()).map_err(ApiError::validation)?;
    change(req, caller, state, path.into_inner(), ch).await
}

/// Moves a person into a care institution (JN Art. 7(3)): their address becomes the institution's, their
/// certification barrier `care_home` (home certification; a home-visit task opens when they are due), the
/// institution's occupied beds rise by one; emits `care.moved_in`. Needs `If-Match` with the person's ETag. An
/// expired licence: 422 `licence_expired`; no free bed: 422 `beds_over_capacity`.
#[utoipa::path(tag = "elder-care", security(("bearer" = ["care_service.manage"])), request_body = MoveInRequest,
    params(("id" = i64, Path, description = "Retiree id"), ("If-Match" = String, Header, description = "ETag of the person")),
    responses((status = 200, body = MoveInView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/retirees/{id}/care-institution")]
pub async fn move_in(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<MoveInRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::CareServiceManage)?;
    let m = if_match(&req)?;
    let asked = app::elder_care::move_in::check(&body.0, today).map_err(ApiError::validation)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::elder_care::move_in::move_in(conn, &c, today, id, m, asked))
        .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.retiree_version))
}
