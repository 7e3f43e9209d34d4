//! Dependents (供养直系亲属) of a retiree, tracked like retirees for certification (XM Art. 15; GUIDE 二).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use domain::pension::{CertificationStatus, SupportStatus, certification_status, support_status};
use domain::roles::SensitiveField;
use domain::{Permission, Relation};
use persistence::audit;
use persistence::retirees::{self as repo, Dependent, DependentData};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::common::{instant, ok_with_etag};
use super::retirees::{changes, first_validity, show};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{IfMatch, Json};
use crate::policy_book::rules_at;
use crate::state::AppState;

/// A dependent as a role may see them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DependentResponse {
    /// Id.
    #[schema(example = 7)]
    pub id: i64,
    /// The retiree.
    #[schema(example = 42)]
    pub retiree_id: i64,
    /// Relation.
    pub relation: Relation,
    /// Resident ID, masked where the role table says so.
    #[schema(example = "350203********0026")]
    pub id_number: String,
    /// Name.
    #[schema(example = "李四")]
    pub name: String,
    /// Supported by the retiree (供养). Supported dependants are certified like retirees (XM Art. 15 last
    /// paragraph; GUIDE 二).
    pub supported: bool,
    /// Whether the support is paid, suspended for an overdue certification, or not supported at all.
    pub support_status: SupportStatus,
    /// First day of the month the support was suspended, while it is.
    #[schema(value_type = Option<String>, format = Date, example = json!(null))]
    pub support_suspended_from: Option<Date>,
    /// Last valid day of the certification on file.
    #[schema(value_type = String, format = Date, example = "2027-07-15")]
    pub certified_until: Date,
    /// Date of the last certification.
    #[schema(value_type = Option<String>, format = Date, example = "2026-07-15")]
    pub last_certified_on: Option<Date>,
    /// Certified, due soon or overdue today under the policy of the retiree's community; `null` when not
    /// supported (nothing to certify).
    pub certification_status: Option<CertificationStatus>,
    /// Fields shown masked to this caller.
    pub masked_fields: Vec<String>,
    /// Version (also the ETag).
    pub version: i64,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The API view of a dependant; `due_soon_days` is the reminder window of the retiree's community.
pub fn to_response(d: Dependent, caller: &Caller, due_soon_days: u32, today: Date) -> DependentResponse {
    let mut masked = Vec::new();
    DependentResponse {
        support_status: support_status(d.supported, d.support_suspended_from),
        support_suspended_from: d.support_suspended_from.filter(|_| d.supported),
        certified_until: d.certified_until,
        last_certified_on: d.last_certified_on,
        certification_status: d.supported.then(|| certification_status(d.certified_until, today, due_soon_days)),
        id_number: show(caller.role, SensitiveField::IdNumber, true, &d.id_number, &mut masked),
        id: d.id,
        retiree_id: d.retiree_id,
        relation: d.relation,
        name: d.name,
        supported: d.supported,
        masked_fields: masked,
        version: d.version,
        created_at: instant(d.created_at),
        updated_at: instant(d.updated_at),
    }
}

pub use app::retirees::dependents::{CreateDependentRequest, UpdateDependentRequest, check_fields};

fn check(
    relation: Relation,
    id_number: &str,
    name: &str,
    supported: bool,
    own_id: &str,
    today: Date,
) -> Result<DependentData, ApiError> {
    check_fields(relation, id_number, name, supported, own_id, today).map_err(ApiError::validation)
}

fn taken() -> ApiError {
    ApiError::conflict(
        "dependent_id_number_taken",
        "该供养亲属已登记",
        "this dependent is registered for the retiree already",
    )
}

/// Dependents of a retiree (the single-person view; audited).
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Retiree id")),
    responses((status = 200, body = Vec<DependentResponse>), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/dependents")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<Vec<DependentResponse>>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let (items, days) = crate::db::write(&state.pool, move |conn| {
        let (_, path) = repo::find_in_scope(conn, id, &c.scope_path)?;
        let mut entry = c.audit("dependent.list.read", "retiree", id, &path);
        entry.retiree_id = Some(id);
        audit::append(conn, &entry)?;
        let days = rules_at(conn, &path, today)?.due_soon_days;
        Ok((repo::dependents_of(conn, id)?, days))
    })
    .await?;
    Ok(web::Json(items.into_iter().map(|d| to_response(d, &caller, days, today)).collect()))
}

/// Adds a dependent.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.write"])), request_body = CreateDependentRequest,
    params(("id" = i64, Path, description = "Retiree id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = DependentResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/retirees/{id}/dependents")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CreateDependentRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let id = path.into_inner();
    let body = body.0;
    let fingerprint = crate::idempotency::fingerprint(&format!("POST /retirees/{id}/dependents"), &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let (retiree, path) = repo::find_in_scope(conn, id, &c.scope_path)?;
        let data = check(body.relation, &body.id_number, &body.name, body.supported, &retiree.id_number, today)?;
        let rules = rules_at(conn, &path, today)?;
        let dependent = repo::create_dependent(conn, id, &data, first_validity(today, rules)).map_err(|e| match e {
            persistence::RepoError::Unique(_) => taken(),
            other => other.into(),
        })?;
        let mut entry = c.audit("dependent.create", "dependent", dependent.id, &path);
        entry.retiree_id = Some(id);
        entry.detail = Some(serde_json::json!({"changes": changes(None, &data)}).to_string());
        audit::append(conn, &entry)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/retirees/{id}/dependents/{}", dependent.id),
            version: dependent.version,
            body: serde_json::to_value(to_response(dependent, &c, rules.due_soon_days, today))
                .map_err(ApiError::internal)?,
        })
    })
    .await
}

/// One dependent (audited).
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Retiree id"), ("dependent_id" = i64, Path, description = "Dependent id")),
    responses((status = 200, body = DependentResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/retirees/{id}/dependents/{dependent_id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let (id, dependent_id) = path.into_inner();
    let c = caller.clone();
    let (dependent, days) = crate::db::write(&state.pool, move |conn| {
        let (_, path) = repo::find_in_scope(conn, id, &c.scope_path)?;
        let dependent = repo::find_dependent(conn, id, dependent_id)?;
        let mut entry = c.audit("dependent.read", "dependent", dependent_id, &path);
        entry.retiree_id = Some(id);
        audit::append(conn, &entry)?;
        Ok((dependent, rules_at(conn, &path, today)?.due_soon_days))
    })
    .await?;
    let version = dependent.version;
    Ok(ok_with_etag(&to_response(dependent, &caller, days, today), version))
}

/// Changes a dependent. Needs `If-Match`.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.write"])), request_body = UpdateDependentRequest,
    params(("id" = i64, Path, description = "Retiree id"), ("dependent_id" = i64, Path, description = "Dependent id"),
           ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 200, body = DependentResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[patch("/retirees/{id}/dependents/{dependent_id}")]
pub async fn update(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: Json<UpdateDependentRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let if_match = IfMatch::from_request(&req)?;
    let (id, dependent_id) = path.into_inner();
    let patch = body.0;
    let c = caller.clone();
    let (dependent, days) = crate::db::write(&state.pool, move |conn| {
        let (retiree, path) = repo::find_in_scope(conn, id, &c.scope_path)?;
        let current = repo::find_dependent(conn, id, dependent_id)?;
        let expected = if_match.expect(current.version)?;
        let rules = rules_at(conn, &path, today)?;
        let data = check(
            patch.relation.unwrap_or(current.relation),
            patch.id_number.as_deref().unwrap_or(&current.id_number),
            patch.name.as_deref().unwrap_or(&current.name),
            patch.supported.unwrap_or(current.supported),
            &retiree.id_number,
            today,
        )?;
        let before = DependentData {
            relation: current.relation.as_str().to_owned(),
            id_number: current.id_number.clone(),
            name: current.name.clone(),
            supported: current.supported,
        };
        let diff = changes(Some(&before), &data);
        if diff.is_empty() {
            return Ok((current, rules.due_soon_days));
        }
        // Support that starts now asks for a certification one policy period from today.
        let restart = (!current.supported && data.supported).then(|| first_validity(today, rules));
        let updated = repo::update_dependent(conn, dependent_id, expected, &data, restart).map_err(|e| match e {
            persistence::RepoError::Unique(_) => taken(),
            other => other.into(),
        })?;
        let mut entry = c.audit("dependent.update", "dependent", dependent_id, &path);
        entry.retiree_id = Some(id);
        entry.detail = Some(serde_json::json!({ "changes": diff }).to_string());
        audit::append(conn, &entry)?;
        Ok((updated, rules.due_soon_days))
    })
    .await?;
    let version = dependent.version;
    Ok(ok_with_etag(&to_response(dependent, &caller, days, today), version))
}

/// Removes a dependent (entered in error). Needs `If-Match`.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.write"])),
    params(("id" = i64, Path, description = "Retiree id"), ("dependent_id" = i64, Path, description = "Dependent id"),
           ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 204, description = "Removed"), crate::openapi::WriteErrors))]
#[delete("/retirees/{id}/dependents/{dependent_id}")]
pub async fn remove(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeWrite)?;
    let if_match = IfMatch::from_request(&req)?;
    let (id, dependent_id) = path.into_inner();
    let c = caller.clone();
    crate::db::write(&state.pool, move |conn| {
        let (_, path) = repo::find_in_scope(conn, id, &c.scope_path)?;
        let current = repo::find_dependent(conn, id, dependent_id)?;
        let expected = if_match.expect(current.version)?;
        repo::delete_dependent(conn, dependent_id, expected)?;
        let mut entry = c.audit("dependent.delete", "dependent", dependent_id, &path);
        entry.retiree_id = Some(id);
        entry.detail = Some(serde_json::json!({"changes": {"name": {"from": current.name, "to": null}}}).to_string());
        audit::append(conn, &entry)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
