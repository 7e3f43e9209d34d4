//! Effective-dated policies: the resolved policy of a node on a date, the versions bound to a node, new
//! versions (from a preset or full parameters) and the presets themselves.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, parse_date};
use crate::state::AppState;

use app::policies::{CreatePolicyRequest, PolicyVersionResponse, PresetResponse, ResolvedPolicy};

/// Date to resolve on.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnQuery {
    /// Date (YYYY-MM-DD); default today (China time).
    pub on: Option<String>,
}

/// The resolved policy of a node on a date: the version in force at the nearest ancestor (the node itself
/// included) that has one. Everybody whose subtree holds the node may read it.
#[utoipa::path(tag = "policies", security(("bearer" = ["jurisdiction.read"])), params(("code" = String, Path, description = "Division code"), OnQuery),
    responses((status = 200, body = ResolvedPolicy), crate::openapi::ReadErrors))]
#[get("/jurisdictions/{code}/policy")]
pub async fn resolve(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<OnQuery>,
) -> Result<web::Json<ResolvedPolicy>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::JurisdictionRead)?;
    let on = match query.on.as_deref() {
        Some(text) => parse_date("on", text).map_err(ApiError::field)?,
        None => today,
    };
    let code = path.into_inner();
    let c = caller.0.clone();
    Ok(web::Json(crate::db::run(&state.pool, move |conn| app::policies::resolve(conn, &c, &code, on)).await?))
}

/// Versions bound to a node, oldest first (the history: versions are never edited, only added).
#[utoipa::path(tag = "policies", security(("bearer" = ["jurisdiction.read"])), params(("code" = String, Path, description = "Division code")),
    responses((status = 200, body = Vec<PolicyVersionResponse>), crate::openapi::ReadErrors))]
#[get("/jurisdictions/{code}/policies")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<Vec<PolicyVersionResponse>>, ApiError> {
    caller.require(Permission::JurisdictionRead)?;
    let code = path.into_inner();
    let c = caller.0.clone();
    Ok(web::Json(crate::db::run(&state.pool, move |conn| app::policies::list(conn, &c, &code)).await?))
}

/// Adds a policy version to a node from a date: a preset or full parameters. Earlier versions are never
/// edited; an open-ended one is superseded from the new start. City-centre role only.
#[utoipa::path(tag = "policies", security(("bearer" = ["policy.write"])), request_body = CreatePolicyRequest,
    params(("code" = String, Path, description = "Division code"),
           ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = PolicyVersionResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/jurisdictions/{code}/policies")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: Json<CreatePolicyRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PolicyWrite)?;
    let body = body.0;
    let new = app::policies::check_new(&body).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint(&format!("POST {}", req.path()), &body);
    let key = crate::extract::idempotency_key(&req)?;
    let code = path.into_inner();
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let version = app::policies::create(conn, &c, &code, new)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/jurisdictions/{code}/policies"),
            version: i64::from(version.version),
            body: serde_json::to_value(version).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// The presets: every value the Xiamen 2025, Changsha 2020 and Jinning 2020 regulations state, with articles.
#[utoipa::path(tag = "policies", security(("bearer" = ["jurisdiction.read"])), responses((status = 200, body = Vec<PresetResponse>), crate::openapi::ReadErrors))]
#[get("/policy-presets")]
pub async fn presets_list(caller: Caller) -> Result<web::Json<Vec<PresetResponse>>, ApiError> {
    caller.require(Permission::JurisdictionRead)?;
    Ok(web::Json(app::policies::presets()))
}
