//! Personnel archives (issue 23; XM Art. 16; CS Art. 12(2); JN Art. 7(12), 12, 20, 21, 27): receiving an archive
//! (on its own or with a handed-over person), the repositories with their capacity and occupancy, and the place of
//! each archive. The use cases are in [`app::archives`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::archive::{ArchiveStatus, LoanStatus, SupplementStatus};
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, enum_filter, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;

use app::archives::receive::ReceiveRequest;
use app::archives::store::{CreateRepositoryRequest, PlaceRequest, RepositoryView};
use app::archives::{ArchiveView, MaterialList};

const CURSOR: &str = "ar";

/// Receives a personnel archive (XM Art. 16; JN Art. 21(3)): for a retiree on the roll (`retiree_id`) or with a
/// handed-over person (`handover`: the handover's archive step is recorded, and the archive joins the retiree on
/// acceptance). An archive not sorted, catalogued, bound and digitised (CS Art. 12(2)) is refused with one 422
/// `archive_unprepared` per missing item unless `accept_unprepared`; volumes or pieces not above 0: 422
/// `archive_no_volumes`; a person with an archive on record: 409 `archive_exists`. Emits `archive.received`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = ReceiveRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = ArchiveView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archives")]
pub async fn receive(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<ReceiveRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let body = body.0;
    let asked = app::archives::receive::check(&body, today).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /archives", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let saved = app::archives::receive::receive(conn, &c, today, asked)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/archives/{}", saved.id),
            version: saved.version,
            body: serde_json::to_value(saved).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Filters of the archive list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Status.
    pub status: Option<String>,
    /// Only archives in this repository.
    pub repository_id: Option<i64>,
    /// Only the archive of this retiree.
    pub retiree_id: Option<i64>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Archives of people in the caller's subtree, by id: the summary (volumes, place, status), never the materials.
#[utoipa::path(tag = "archives", security(("bearer" = ["retiree.read"]), ("bearer" = ["archive.read_materials"]), ("bearer" = ["archive.manage"])),
    params(ListQuery), responses((status = 200, body = Page<ArchiveView>), crate::openapi::ReadErrors))]
#[get("/archives")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<ArchiveView>>, ApiError> {
    app::archives::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let status = enum_filter("status", q.status.as_deref(), ArchiveStatus::parse, ArchiveStatus::codes(), &mut errors);
    finish(errors)?;
    let lq =
        app::archives::ListQuery { status, repository_id: q.repository_id, retiree_id: q.retiree_id, after, limit };
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| app::archives::list(conn, &c, lq)).await?;
    let next = next_cursor(&items, limit, CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One archive: the summary, and for `archive.read_materials` (the archivist, the auditor) its materials list.
/// An audited read of personal data (`archive.read`).
#[utoipa::path(tag = "archives", security(("bearer" = ["retiree.read"]), ("bearer" = ["archive.read_materials"]), ("bearer" = ["archive.manage"])),
    params(("id" = i64, Path, description = "Archive id")),
    responses((status = 200, body = ArchiveView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/archives/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app::archives::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::archives::get(conn, &c, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// The materials list of an archive by running piece number (`archive.read_materials`: the archivist, the
/// auditor); an audited read of personal data (`archive.read_materials`).
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.read_materials"])),
    params(("id" = i64, Path, description = "Archive id")),
    responses((status = 200, body = MaterialList), crate::openapi::ReadErrors))]
#[get("/archives/{id}/materials")]
pub async fn materials(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<MaterialList>, ApiError> {
    caller.require(Permission::ArchiveReadMaterials)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::archives::materials(conn, &c, id)).await?;
    Ok(web::Json(v))
}

/// Stores an archive at a place: a repository of the city or district the person belongs to (else 422
/// `location_out_of_jurisdiction`; absent or outside the subtree: 422 `repository_not_found`), room, shelf and box.
/// A repository without room for the volumes (JN Art. 20: its floor area's capacity): 409 `repository_full`; an
/// archive not in store: 409 `archive_wrong_status`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = PlaceRequest,
    params(("id" = i64, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = ArchiveView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archives/{id}/place")]
pub async fn place(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<PlaceRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let if_match = crate::extract::optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = body.0;
    let v = crate::db::write(&state.pool, move |conn| app::archives::store::place(conn, &c, today, id, if_match, body))
        .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Creates a repository (库房) of a city or district archive authority with its floor area and keepers; its
/// capacity follows from the area (JN Art. 20). A code taken: 409 `conflict`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = CreateRepositoryRequest,
    responses((status = 201, body = RepositoryView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archive-repositories")]
pub async fn create_repository(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateRepositoryRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let c = caller.0.clone();
    let body = body.0;
    let v = crate::db::write(&state.pool, move |conn| app::archives::store::create_repository(conn, &c, today, body))
        .await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/archive-repositories/{}", v.id), &v, v.version))
}

/// The repositories in the caller's subtree with capacity (JN Art. 20), occupancy, and the shortfall of keepers
/// (JN Art. 12) and storage against the volumes on their shelves.
#[utoipa::path(tag = "archives", security(("bearer" = ["retiree.read"]), ("bearer" = ["archive.read_materials"]), ("bearer" = ["archive.manage"])),
    responses((status = 200, body = Vec<RepositoryView>), crate::openapi::ReadErrors))]
#[get("/archive-repositories")]
pub async fn list_repositories(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<RepositoryView>>, ApiError> {
    let today = state.clock.today();
    app::archives::require_read(&caller)?;
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::archives::store::list_repositories(conn, &c, today)).await?;
    Ok(web::Json(items))
}

// Use (利用; JN Art. 7(12); XM Art. 16): loans, the overdue worklist, the digitised copy for online use.

use app::archives::loans::{DigitalRequest, LoanRequest, LoanStep, LoanView};

const LOAN_CURSOR: &str = "al";

/// Asks to consult or borrow an archive (`archive.use`: the service bodies, the archivist): who, purpose, which
/// pieces, from-to within the policy's loan period (`archives.loan_days`), on site or online through the digitised
/// copy. An archive in transit, on loan, transferred out or disposed of: 409 `archive_wrong_status`; a period
/// ending before it starts: 422 `date_order`; longer than the loan period: 422 `out_of_range` at `/asked_until`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.use"])), request_body = LoanRequest,
    params(("id" = i64, Path, description = "Archive id")),
    responses((status = 201, body = LoanView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archives/{id}/loans")]
pub async fn request_loan(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<LoanRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveUse)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = body.0;
    let v = crate::db::write(&state.pool, move |conn| app::archives::loans::request(conn, &c, today, id, body)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/archive-loans/{}", v.id), &v, v.version))
}

/// Filters of the loan list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoanListQuery {
    /// Status (`requested`, `approved`, `rejected`, `lent`, `returned`).
    pub status: Option<String>,
    /// Only loans of this archive.
    pub archive_id: Option<i64>,
    /// `true`: the overdue worklist (lent and past the due day).
    pub overdue: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Loans of archives of people in the caller's subtree, by id (`archive.use` or `archive.read_materials`);
/// `overdue=true` gives the worklist of archives lent and not back after their due day.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.use"]), ("bearer" = ["archive.read_materials"])),
    params(LoanListQuery), responses((status = 200, body = Page<LoanView>), crate::openapi::ReadErrors))]
#[get("/archive-loans")]
pub async fn list_loans(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<LoanListQuery>,
) -> Result<web::Json<Page<LoanView>>, ApiError> {
    let today = state.clock.today();
    app::archives::loans::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(LOAN_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let status = enum_filter("status", q.status.as_deref(), LoanStatus::parse, LoanStatus::codes(), &mut errors);
    let overdue = bool_filter("overdue", q.overdue.as_deref(), &mut errors);
    finish(errors)?;
    let lq = app::archives::loans::ListQuery { status, archive_id: q.archive_id, overdue, after, limit };
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| app::archives::loans::list(conn, &c, today, lq)).await?;
    let next = next_cursor(&items, limit, LOAN_CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One loan (`archive.use` or `archive.read_materials`); an audited read of personal data (`archive_loan.read`).
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.use"]), ("bearer" = ["archive.read_materials"])),
    params(("id" = i64, Path, description = "Loan id")),
    responses((status = 200, body = LoanView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/archive-loans/{id}")]
pub async fn get_loan(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::archives::loans::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::archives::loans::get(conn, &c, today, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

async fn loan_step(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    step: app::archives::loans::Step,
    body: LoanStep,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let if_match = crate::extract::optional_if_match(&req)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| {
        app::archives::loans::step(conn, &c, today, id, step, if_match, body)
    })
    .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Approves a loan request (`archive.manage`). A loan not requested: 409 `loan_wrong_status`; an archive not in
/// store (e.g. in transit): 409 `archive_wrong_status`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = LoanStep,
    params(("id" = i64, Path, description = "Loan id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = LoanView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archive-loans/{id}/approve")]
pub async fn approve_loan(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<LoanStep>,
) -> Result<HttpResponse, ApiError> {
    loan_step(req, caller, state, path.into_inner(), app::archives::loans::Step::Approve, body.0).await
}

/// Refuses a loan request with a reason (`note`, required) (`archive.manage`). A loan not requested: 409
/// `loan_wrong_status`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = LoanStep,
    params(("id" = i64, Path, description = "Loan id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = LoanView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archive-loans/{id}/reject")]
pub async fn reject_loan(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<LoanStep>,
) -> Result<HttpResponse, ApiError> {
    loan_step(req, caller, state, path.into_inner(), app::archives::loans::Step::Reject, body.0).await
}

/// Hands an approved loan out (`archive.manage`): due on the last asked day, at most `archives.loan_days` after
/// the hand-out; the archive is on loan (an online consultation leaves it in store and shows the digitised copy).
/// Audited as a read of personal data (`archive.consult`); emits `archive.lent`. A loan not approved: 409
/// `loan_wrong_status`; an archive not in store (e.g. in transit): 409 `archive_wrong_status`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = LoanStep,
    params(("id" = i64, Path, description = "Loan id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = LoanView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archive-loans/{id}/lend")]
pub async fn lend_loan(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<LoanStep>,
) -> Result<HttpResponse, ApiError> {
    loan_step(req, caller, state, path.into_inner(), app::archives::loans::Step::Lend, body.0).await
}

/// Takes a lent archive back (`archive.manage`): back in store; emits `archive.returned`. Returning twice (a loan
/// not lent): 409 `loan_wrong_status`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = LoanStep,
    params(("id" = i64, Path, description = "Loan id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = LoanView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archive-loans/{id}/return")]
pub async fn return_loan(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<LoanStep>,
) -> Result<HttpResponse, ApiError> {
    loan_step(req, caller, state, path.into_inner(), app::archives::loans::Step::Return, body.0).await
}

/// Records the digitised copy of an archive by reference (XM Art. 16: online use): URI, pages, checksum; the pages
/// are not stored here (`archive.manage`). `If-Match` checked when sent.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = DigitalRequest,
    params(("id" = i64, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = ArchiveView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archives/{id}/digital")]
pub async fn record_digital(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<DigitalRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let if_match = crate::extract::optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = body.0;
    let v = crate::db::write(&state.pool, move |conn| {
        app::archives::loans::record_digital(conn, &c, today, id, if_match, body)
    })
    .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

// Supplementary materials (补充材料; JN Art. 27).

use app::archives::supplements::{SupplementRequest, SupplementReturn, SupplementView};

const SUPPLEMENT_CURSOR: &str = "as";

/// Submits a new material for a person's archive (`archive.use`): class from the catalogue, title, date, pages, who
/// delivered it; reviewed by `archives.supplement_review_days` later (JN Art. 27). An archive in transit,
/// transferred out or disposed of: 409 `archive_wrong_status`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.use"])), request_body = SupplementRequest,
    params(("id" = i64, Path, description = "Archive id")),
    responses((status = 201, body = SupplementView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archives/{id}/supplements")]
pub async fn submit_supplement(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<SupplementRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveUse)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = body.0;
    let v = crate::db::write(&state.pool, move |conn| app::archives::supplements::submit(conn, &c, today, id, body))
        .await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/archive-supplements/{}", v.id), &v, v.version))
}

/// Filters of the supplement list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupplementListQuery {
    /// Status (`submitted`, `filed`, `returned`).
    pub status: Option<String>,
    /// Only supplements of this archive.
    pub archive_id: Option<i64>,
    /// `true`: submitted and past the review day (the review worklist).
    pub review_overdue: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Supplementary materials of archives of people in the caller's subtree, by id (`archive.use` or
/// `archive.read_materials`).
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.use"]), ("bearer" = ["archive.read_materials"])),
    params(SupplementListQuery), responses((status = 200, body = Page<SupplementView>), crate::openapi::ReadErrors))]
#[get("/archive-supplements")]
pub async fn list_supplements(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<SupplementListQuery>,
) -> Result<web::Json<Page<SupplementView>>, ApiError> {
    let today = state.clock.today();
    app::archives::loans::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(SUPPLEMENT_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let status =
        enum_filter("status", q.status.as_deref(), SupplementStatus::parse, SupplementStatus::codes(), &mut errors);
    let review_overdue = bool_filter("review_overdue", q.review_overdue.as_deref(), &mut errors);
    finish(errors)?;
    let lq = app::archives::supplements::ListQuery { status, archive_id: q.archive_id, review_overdue, after, limit };
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| app::archives::supplements::list(conn, &c, today, lq)).await?;
    let next = next_cursor(&items, limit, SUPPLEMENT_CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One supplementary material (`archive.use` or `archive.read_materials`); an audited read of personal data
/// (`archive_supplement.read`).
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.use"]), ("bearer" = ["archive.read_materials"])),
    params(("id" = i64, Path, description = "Supplement id")),
    responses((status = 200, body = SupplementView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/archive-supplements/{id}")]
pub async fn get_supplement(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::archives::loans::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::archives::supplements::get(conn, &c, today, id)).await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

async fn review_supplement(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    action: domain::archive::SupplementAction,
    body: SupplementReturn,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let if_match = crate::extract::optional_if_match(&req)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| {
        app::archives::supplements::review(conn, &c, today, id, action, if_match, body)
    })
    .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

/// Accepts a submitted material and files it with the next running piece number of the archive (`archive.manage`;
/// JN Art. 27); emits `archive.supplemented`. Not submitted: 409 `supplement_wrong_status`; the archive not in store:
/// 409 `archive_wrong_status`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = SupplementReturn,
    params(("id" = i64, Path, description = "Supplement id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = SupplementView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archive-supplements/{id}/accept")]
pub async fn accept_supplement(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<SupplementReturn>,
) -> Result<HttpResponse, ApiError> {
    review_supplement(req, caller, state, path.into_inner(), domain::archive::SupplementAction::Accept, body.0).await
}

/// Returns a submitted material with a reason (`reason`, required) (`archive.manage`). Not submitted: 409
/// `supplement_wrong_status`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = SupplementReturn,
    params(("id" = i64, Path, description = "Supplement id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = SupplementView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archive-supplements/{id}/return")]
pub async fn return_supplement(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<SupplementReturn>,
) -> Result<HttpResponse, ApiError> {
    review_supplement(req, caller, state, path.into_inner(), domain::archive::SupplementAction::Return, body.0).await
}

/// A `true`/`false` query flag (absent: `false`); anything else 422 `invalid_boolean` on `field`.
fn bool_filter(field: &str, value: Option<&str>, errors: &mut Vec<app::error::FieldError>) -> bool {
    match value {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            errors.push(app::error::FieldError::of(field, domain::ErrorCode::InvalidBoolean));
            false
        }
    }
}

// Transfer (传递; JN Art. 7(12), 21(3)-(4)).

use app::archives::transfer::{DispatchRequest, DispatchView, ReceiptRequest};

/// Sends an archive with its person's transfer (issue 6), or records why it does not go (`exemption`, JN Art.
/// 21(4)) (`archive.manage`). Sent, the archive is in transit until the receiver confirms, and `archive.transferred`
/// is emitted; the transfer completes only once the archive is received or an exemption is recorded. Not the
/// person's transfer: 422 `invalid_value` at `/transfer_id`; a completed transfer: 409 `transfer_wrong_status`; an
/// archive not in store: 409 `archive_wrong_status`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = DispatchRequest,
    params(("id" = i64, Path, description = "Archive id")),
    responses((status = 201, body = DispatchView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archives/{id}/dispatches")]
pub async fn dispatch_archive(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<DispatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = body.0;
    let v =
        crate::db::write(&state.pool, move |conn| app::archives::transfer::dispatch(conn, &c, today, id, body)).await?;
    Ok(crate::routes::common::created_with_etag(format!("/api/v1/archive-dispatches/{}", v.id), &v, v.version))
}

/// The receiver confirms a dispatched archive (`archive.manage`): within the city it is in store again at the
/// receiving authority (to be placed there), out of the city transferred out; emits `archive.transferred`.
/// Confirmed already: 409 `dispatch_received`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = ReceiptRequest,
    params(("id" = i64, Path, description = "Dispatch id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = DispatchView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archive-dispatches/{id}/receive")]
pub async fn receive_dispatch(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<ReceiptRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let if_match = crate::extract::optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = body.0;
    let v = crate::db::write(&state.pool, move |conn| {
        app::archives::transfer::confirm(conn, &c, today, id, if_match, body)
    })
    .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

// Disposal after death (处置).

use app::archives::disposal::DisposalRequest;

/// Disposes of the archive of a person whose death is verified (`archive.manage`): kept until a recorded day, or
/// handed to the family on request with a record. The archive record stays (never deleted through the API). A
/// living person: 409 `archive_person_alive`; an archive not in store: 409 `archive_wrong_status`.
#[utoipa::path(tag = "archives", security(("bearer" = ["archive.manage"])), request_body = DisposalRequest,
    params(("id" = i64, Path, description = "Archive id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = ArchiveView, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/archives/{id}/disposal")]
pub async fn dispose_archive(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<DisposalRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::ArchiveManage)?;
    let if_match = crate::extract::optional_if_match(&req)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = body.0;
    let v = crate::db::write(&state.pool, move |conn| {
        app::archives::disposal::dispose(conn, &c, today, id, if_match, body)
    })
    .await?;
    Ok(crate::routes::common::ok_with_etag(&v, v.version))
}

// Digitisation progress (数字化; XM Art. 16).

use app::archives::digitisation::DigitisationReport;

/// The node of a digitisation report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DigitisationQuery {
    /// A node in the caller's subtree.
    pub jurisdiction: String,
}

/// Digitisation progress (XM Art. 16 "推进人事档案数字化"): of the archives held for the node's people, how many are
/// digitised — for the node, each child node and each repository. A node outside the subtree: 422
/// `jurisdiction_not_found`.
#[utoipa::path(tag = "archives", security(("bearer" = ["retiree.read"]), ("bearer" = ["archive.read_materials"]), ("bearer" = ["archive.manage"])),
    params(DigitisationQuery), responses((status = 200, body = DigitisationReport), crate::openapi::ReadErrors))]
#[get("/archive-digitisation")]
pub async fn digitisation(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<DigitisationQuery>,
) -> Result<web::Json<DigitisationReport>, ApiError> {
    let today = state.clock.today();
    app::archives::require_read(&caller)?;
    let code = query.into_inner().jurisdiction;
    let c = caller.0.clone();
    let r =
        crate::db::run(&state.pool, move |conn| app::archives::digitisation::report(conn, &c, today, &code)).await?;
    Ok(web::Json(r))
}

/// The digitisation progress as a CSV or XLSX report (Chinese headers with `labels=zh`): the node and its child
/// nodes, and the repositories.
#[utoipa::path(tag = "archives", security(("bearer" = ["retiree.read"]), ("bearer" = ["archive.read_materials"]), ("bearer" = ["archive.manage"])),
    params(DigitisationQuery, super::files::FileParams),
    responses((status = 200, description = "The report as a file download",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"archive-digitisation-<node>.csv\"` (or `.xlsx`)")),
        content(
            (String = "text/csv", example = json!("code,name,archives,digitised,per_mille\r\n350203,思明区,3,2,666\r\n")),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::ReadErrors))]
#[get("/exports/archive-digitisation")]
pub async fn export_digitisation(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<DigitisationQuery>,
    params: web::Query<super::files::FileParams>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::archives::require_read(&caller)?;
    let mut errors = Vec::new();
    let options = params.settle(&req, &mut errors);
    finish(errors)?;
    let Some(o) = options else { return Err(ApiError::internal("file options not settled")) };
    let code = query.into_inner().jurisdiction;
    let c = caller.0.clone();
    let file = crate::db::run(&state.pool, move |conn| {
        let r = app::archives::digitisation::report(conn, &c, today, &code)?;
        app::archives::digitisation::export(&r, o.format, o.encoding, o.labels)
    })
    .await?;
    Ok(super::files::file_response(file))
}

// The register as a file.

/// The archive register of the caller's subtree as CSV or XLSX (Chinese headers with `labels=zh`): name, community,
/// volumes, pieces, status, place and preparation — the summary, never the materials. Audited (`archive.export`).
#[utoipa::path(tag = "archives", security(("bearer" = ["retiree.read"]), ("bearer" = ["archive.read_materials"]), ("bearer" = ["archive.manage"])),
    params(super::files::FileParams),
    responses((status = 200, description = "The register as a file download",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"archive-register-YYYY-MM-DD.csv\"` (or `.xlsx`)")),
        content(
            (String = "text/csv", example = json!("name,community,volumes,pieces,status,repository,room,shelf,box,received_on,sorted,catalogued,bound,digitised\r\n张三,350203001001,2,40,in_store,SM-01,2,A-03,0117,2026-12-06,2026-11-02,2026-11-02,2026-11-03,2026-11-10\r\n")),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::ReadErrors))]
#[get("/exports/archives")]
pub async fn export_register(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    params: web::Query<super::files::FileParams>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::archives::require_read(&caller)?;
    let mut errors = Vec::new();
    let options = params.settle(&req, &mut errors);
    finish(errors)?;
    let Some(o) = options else { return Err(ApiError::internal("file options not settled")) };
    let c = caller.0.clone();
    let file = crate::db::write(&state.pool, move |conn| {
        app::archives::register::export(conn, &c, today, o.format, o.encoding, o.labels)
    })
    .await?;
    Ok(super::files::file_response(file))
}
