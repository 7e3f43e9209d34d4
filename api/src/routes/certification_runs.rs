//! Certification runs (issue 5; CS Art. 32(1): a pension is suspended when the certification is not done in
//! time): `POST /certification-runs` suspends, set-based, everybody in a subtree whose certification lapsed
//! before the as-of date, and reports counts per jurisdiction and outcome; the runs and their lists are read back
//! with `GET /certification-runs[/{id}[/items]]`.
//!
//! A run is one write transaction that first takes the bulk-status lock shared with feeds (PostgreSQL advisory
//! lock; SQLite's `BEGIN IMMEDIATE`), so runs on several replicas queue up: the second sees what the first did
//! and suspends nobody twice. A second run on the same date changes nothing.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, page};
use crate::state::AppState;

use app::certifications::dependents::SupportChangeResponse;
use app::certifications::runs::{CreateRunRequest, RunItemResponse, RunResponse};

/// Runs the annual certification check on a subtree (CS Art. 32(1)): everybody with a paid pension (`normal`)
/// whose certification is valid until a day before `as_of` is suspended with the reason
/// `certification_overdue` from the first day of `as_of`'s month; the change is recorded for each person
/// (source `run`). Overdue people already suspended for another reason are counted, not changed. People with a
/// home-visit barrier who fall due within the policy's reminder window get home-visit tasks. `dry_run` changes
/// nothing and keeps the list of who would be suspended.
///
/// Set-based: a handful of statements whatever the number of people. Idempotent: a second run on the same date
/// suspends nobody. Runs on several replicas at once queue up; nobody is suspended twice. The counts are per
/// child of the node; the people are at `links.items`.
#[utoipa::path(tag = "certification", security(("bearer" = ["certification.run"])), request_body = CreateRunRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = RunResponse, headers(("Location" = String), ("ETag" = String))),
        crate::openapi::WriteErrors))]
#[post("/certification-runs")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateRunRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::CertificationRun)?;
    let body = body.0;
    let fingerprint = crate::idempotency::fingerprint("POST /certification-runs", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let asked = app::certifications::runs::check(&body, today).map_err(ApiError::validation)?;
    let c = caller.clone();
    let metrics = state.metrics.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let run = app::certifications::runs::run(conn, &c, asked)?;
        metrics.certification_run(run.dry_run);
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/certification-runs/{}", run.id),
            version: 1,
            body: serde_json::to_value(run).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Paging of runs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunListQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const RUN_CURSOR: &str = "cr";

/// Runs on nodes in the caller's subtree, newest first.
#[utoipa::path(tag = "certification", security(("bearer" = ["retiree.read"])), params(RunListQuery),
    responses((status = 200, body = Page<RunResponse>), crate::openapi::ReadErrors))]
#[get("/certification-runs")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<RunListQuery>,
) -> Result<web::Json<Page<RunResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let (limit, before) = page::<i64>(RUN_CURSOR, query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let found =
        crate::db::run(&state.pool, move |conn| app::certifications::runs::list(conn, &c, before, limit)).await?;
    let next = next_cursor(&found, limit, RUN_CURSOR, |r| r.id.to_string());
    Ok(web::Json(Page { items: found, next_cursor: next }))
}

/// One run (404 when it ran outside the caller's subtree).
#[utoipa::path(tag = "certification", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Run id")),
    responses((status = 200, body = RunResponse), crate::openapi::ReadErrors))]
#[get("/certification-runs/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<RunResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let run = crate::db::run(&state.pool, move |conn| app::certifications::runs::get_one(conn, &c, id)).await?;
    Ok(web::Json(run))
}

/// Filters and paging of a run's list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunItemsQuery {
    /// Only the people of this community (its code).
    pub community: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const ITEM_CURSOR: &str = "ci";

/// The people of a run: for a real run those it suspended, for a dry run those it would suspend and those
/// already suspended for another reason. By id of the change (real runs) or of the person (dry runs).
#[utoipa::path(tag = "certification", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Run id"), RunItemsQuery),
    responses((status = 200, body = Page<RunItemResponse>), crate::openapi::ReadErrors))]
#[get("/certification-runs/{id}/items")]
pub async fn items(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<RunItemsQuery>,
) -> Result<web::Json<Page<RunItemResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(ITEM_CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let community = match q.community {
        Some(text) => match domain::JurisdictionCode::parse(&text) {
            Ok(code) => Some(code.as_str().to_owned()),
            Err(e) => {
                errors.push(FieldError::rule("community", &e));
                None
            }
        },
        None => None,
    };
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.clone();
    let rows = crate::db::run(&state.pool, move |conn| {
        app::certifications::runs::items(conn, &c, id, community.as_deref(), after, limit)
    })
    .await?;
    let next = next_cursor(&rows, limit, ITEM_CURSOR, |(key, _)| key.to_string());
    Ok(web::Json(Page { items: rows.into_iter().map(|(_, item)| item).collect(), next_cursor: next }))
}

const DEPENDENT_CURSOR: &str = "cd";

/// The dependants whose support a real run suspended (XM Art. 15 last paragraph), by change id; empty for a dry
/// run, which only counts them.
#[utoipa::path(tag = "certification", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Run id"), RunListQuery),
    responses((status = 200, body = Page<SupportChangeResponse>), crate::openapi::ReadErrors))]
#[get("/certification-runs/{id}/dependents")]
pub async fn suspended_dependents(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<RunListQuery>,
) -> Result<web::Json<Page<SupportChangeResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(DEPENDENT_CURSOR, query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.clone();
    let rows = crate::db::run(&state.pool, move |conn| {
        app::certifications::runs::suspended_dependents(conn, &c, id, after, limit)
    })
    .await?;
    let next = next_cursor(&rows, limit, DEPENDENT_CURSOR, |i| i.id.to_string());
    Ok(web::Json(Page { items: rows, next_cursor: next }))
}
