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
use domain::pension::month_of;
use persistence::DbConnection;
use persistence::certification_runs::{self as runs, NewRun, Run, RunItem};
use persistence::jurisdictions::Jurisdiction;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, finish, instant, next_cursor, node_in_scope};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, page, parse_date};
use crate::policy_book::PolicyBook;
use crate::state::AppState;

/// A run to start.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203", "as_of": "2026-11-23", "dry_run": true}))]
pub struct CreateRunRequest {
    /// A node in the caller's subtree; the run covers its whole subtree. Default: the caller's node.
    #[schema(example = "350203")]
    pub jurisdiction: Option<String>,
    /// The date judged on (YYYY-MM-DD), not in the future; default today (China time). A person is overdue when
    /// the last valid day of their certification is before it.
    #[schema(format = Date, example = "2026-11-23")]
    pub as_of: Option<String>,
    /// `true`: change nothing, only list who would be suspended. Default `false`.
    #[schema(example = false)]
    pub dry_run: Option<bool>,
}

/// The counts of a run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunCounts {
    /// People whose pension the run suspended (dry run: would suspend).
    #[schema(example = 42)]
    pub suspended: i64,
    /// Overdue people whose pension was already suspended for another reason: nothing changed for them.
    #[schema(example = 3)]
    pub already_suspended: i64,
    /// Home-visit tasks created for people who cannot certify themselves and fall due within the policy's
    /// reminder window (dry run: would create).
    #[schema(example = 5)]
    pub tasks_created: i64,
    /// Supported dependants whose support the run suspended for an overdue certification (dry run: would
    /// suspend); they are certified like retirees (XM Art. 15 last paragraph). Listed at `links.dependents`.
    #[schema(example = 1)]
    pub dependents_suspended: i64,
}

/// The counts of one child of the run's node (or of the node itself, for people registered on it directly).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JurisdictionCounts {
    /// Code.
    #[schema(example = "350203001")]
    pub code: String,
    /// Name at the time of the run.
    #[schema(example = "厦港街道")]
    pub name: String,
    /// Suspended (dry run: would be).
    #[schema(example = 30)]
    pub suspended: i64,
    /// Already suspended for another reason.
    #[schema(example = 1)]
    pub already_suspended: i64,
}

/// Links of a run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunLinks {
    /// The run.
    #[schema(example = "/api/v1/certification-runs/7")]
    pub run: String,
    /// Its list of people.
    #[schema(example = "/api/v1/certification-runs/7/items")]
    pub items: String,
    /// The dependants whose support it suspended.
    #[schema(example = "/api/v1/certification-runs/7/dependents")]
    pub dependents: String,
}

/// A certification run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 7, "jurisdiction": "350203", "as_of": "2026-11-23", "dry_run": false, "actor": "siming",
    "counts": {"suspended": 42, "already_suspended": 3, "tasks_created": 5, "dependents_suspended": 1},
    "by_jurisdiction": [
        {"code": "350203001", "name": "厦港街道", "suspended": 30, "already_suspended": 1},
        {"code": "350203003", "name": "中华街道", "suspended": 12, "already_suspended": 2}],
    "started_at": "2026-11-23T08:00:00Z", "finished_at": "2026-11-23T08:00:01Z",
    "links": {"run": "/api/v1/certification-runs/7", "items": "/api/v1/certification-runs/7/items",
        "dependents": "/api/v1/certification-runs/7/dependents"}}))]
pub struct RunResponse {
    /// Id.
    pub id: i64,
    /// The node it ran on (its whole subtree).
    pub jurisdiction: String,
    /// The date judged on.
    #[schema(value_type = String, format = Date, example = "2026-11-23")]
    pub as_of: Date,
    /// Whether it only listed.
    pub dry_run: bool,
    /// Login of who ran it.
    pub actor: String,
    /// Totals.
    pub counts: RunCounts,
    /// Counts per child of the node, by code; every child is listed, with zeros.
    pub by_jurisdiction: Vec<JurisdictionCounts>,
    /// Started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// Ended.
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    /// Links.
    pub links: RunLinks,
}

/// What is kept in the run's `summary` column.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)] // `{}` while the run is under way
struct Summary {
    by_jurisdiction: Vec<JurisdictionCounts>,
}

fn response(run: Run) -> Result<RunResponse, ApiError> {
    let summary: Summary = persistence::typed::stored_json("certification_runs", run.id, "summary", &run.summary)?;
    let base = format!("/api/v1/certification-runs/{}", run.id);
    Ok(RunResponse {
        id: run.id,
        jurisdiction: run.jurisdiction_code,
        as_of: run.as_of,
        dry_run: run.dry_run,
        actor: run.actor,
        counts: RunCounts {
            suspended: run.suspended,
            already_suspended: run.already_suspended,
            tasks_created: run.tasks_created,
            dependents_suspended: run.dependents_suspended,
        },
        by_jurisdiction: summary.by_jurisdiction,
        started_at: instant(run.started_at),
        finished_at: instant(run.finished_at),
        links: RunLinks { items: format!("{base}/items"), dependents: format!("{base}/dependents"), run: base },
    })
}

/// Checks the body: the as-of date (default today, not in the future) and the dry-run flag.
fn checked(body: &CreateRunRequest, today: Date) -> Result<(Date, bool), ApiError> {
    let mut errors = Vec::new();
    let as_of = match body.as_of.as_deref() {
        None => Some(today),
        Some(text) => parse_date("/as_of", text).map_err(|e| errors.push(e)).ok(),
    };
    if let Some(d) = as_of
        && d > today
    {
        errors.push(FieldError::new(
            "/as_of",
            "as_of_in_future",
            "as_of 不能晚于今天",
            "as_of must not be after today",
        ));
    }
    finish(errors)?;
    Ok((as_of.unwrap_or(today), body.dry_run.unwrap_or(false)))
}

/// The run itself, inside the caller's write transaction.
fn execute(
    conn: &mut DbConnection,
    caller: &Caller,
    node: &Jurisdiction,
    as_of: Date,
    dry_run: bool,
) -> Result<Run, ApiError> {
    // First: runs and feeds of every replica queue here (no deadlock, nobody suspended twice).
    persistence::pension::lock_bulk_status_work(conn)?;
    let id = runs::start(
        conn,
        &NewRun { jurisdiction_code: &node.code, scope_path: &node.path, as_of, dry_run, actor: &caller.login },
    )?;
    // Home visits for those due within the reminder window of the policy at the run's node (XM Art. 15(3)).
    let rules = PolicyBook::load(conn, as_of)?.rules_at(&node.path);
    let due_by = domain::pension::due_soon_until(as_of, rules.due_soon_days);
    let created_by = format!("run:{id}");
    let (tasks, dependents) = if dry_run {
        runs::record_dry(conn, id, &node.path, as_of)?;
        let dependents = runs::count_overdue_dependents(conn, &node.path, as_of)?;
        (runs::count_due_tasks(conn, &node.path, due_by, &created_by)?, dependents)
    } else {
        // CS Art. 32(1): suspended from the month of the as-of date; supported dependants alike (XM Art. 15).
        runs::suspend_overdue(conn, id, &node.path, as_of, month_of(as_of), &caller.login)?;
        let dependents = runs::suspend_overdue_dependents(conn, id, &node.path, as_of, month_of(as_of), &caller.login)?;
        let dependents = i64::try_from(dependents).map_err(ApiError::internal)?;
        (persistence::pension::create_due_tasks(conn, &node.path, due_by, &created_by)?, dependents)
    };
    let started = runs::find(conn, id)?;
    let by_jurisdiction: Vec<JurisdictionCounts> = runs::counts_by_child(conn, &started)?
        .into_iter()
        .map(|n| JurisdictionCounts {
            code: n.code,
            name: n.name,
            suspended: n.suspended,
            already_suspended: n.already_suspended,
        })
        .collect();
    let suspended = by_jurisdiction.iter().map(|n| n.suspended).sum();
    let already = by_jurisdiction.iter().map(|n| n.already_suspended).sum();
    let tasks = i64::try_from(tasks).map_err(ApiError::internal)?;
    let summary = serde_json::to_string(&Summary { by_jurisdiction }).map_err(ApiError::internal)?;
    let run = runs::finish(conn, id, suspended, already, tasks, dependents, &summary)?;
    // One audit entry for the run, not one per person: the people are in pension_status_changes (source run).
    let mut entry = caller.audit("certification.run", "certification_run", id, &node.path);
    entry.detail = Some(
        serde_json::json!({"jurisdiction": node.code, "as_of": as_of.to_string(), "dry_run": dry_run,
            "suspended": suspended, "already_suspended": already, "tasks_created": tasks,
            "dependents_suspended": dependents})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(run)
}

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
    let (as_of, dry_run) = checked(&body, today)?;
    let code = body.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let node = node_in_scope(conn, &c, &code, "/jurisdiction")?;
        let run = execute(conn, &c, &node, as_of, dry_run)?;
        let id = run.id;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/certification-runs/{id}"),
            version: 1,
            body: serde_json::to_value(response(run)?).map_err(ApiError::internal)?,
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
    let scope = caller.scope_path.clone();
    let found = crate::db::run(&state.pool, move |conn| runs::list(conn, &scope, before, limit)).await?;
    let next = next_cursor(&found, limit, RUN_CURSOR, |r| r.id.to_string());
    Ok(web::Json(Page { items: found.into_iter().map(response).collect::<Result<_, _>>()?, next_cursor: next }))
}

/// The run if it ran on a node in the caller's subtree.
fn visible(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Run, ApiError> {
    let run = runs::find(conn, id)?;
    if caller.sees(&run.scope_path) { Ok(run) } else { Err(ApiError::not_found()) }
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
    let run = crate::db::run(&state.pool, move |conn| visible(conn, &c, id)).await?;
    Ok(web::Json(response(run)?))
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

/// One person of a run's list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"retiree_id": 301, "name": "张三", "community_code": "350203001001",
    "certified_until": "2026-11-22", "outcome": "suspended"}))]
pub struct RunItemResponse {
    /// Retiree id.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Community at the time of the run.
    pub community_code: String,
    /// Last valid day of the person's certification, as on file now (a later certification moves it).
    #[schema(value_type = String, format = Date, example = "2026-11-22")]
    pub certified_until: Date,
    /// `suspended` (real runs), `would_suspend` or `already_suspended` (dry runs).
    #[schema(example = "suspended")]
    pub outcome: String,
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
    let rows = crate::db::run(&state.pool, move |conn| -> Result<Vec<RunItem>, ApiError> {
        let run = visible(conn, &c, id)?;
        Ok(runs::items(conn, &run, community.as_deref(), after, limit)?)
    })
    .await?;
    let next = next_cursor(&rows, limit, ITEM_CURSOR, |i| i.key.to_string());
    let page_items = rows
        .into_iter()
        .map(|i| RunItemResponse {
            retiree_id: i.retiree_id,
            name: i.name,
            community_code: i.community_code,
            certified_until: i.certified_until,
            outcome: i.outcome,
        })
        .collect();
    Ok(web::Json(Page { items: page_items, next_cursor: next }))
}

const DEPENDENT_CURSOR: &str = "cd";

/// The dependants whose support a real run suspended (XM Art. 15 last paragraph), by change id; empty for a dry
/// run, which only counts them.
#[utoipa::path(tag = "certification", security(("bearer" = ["retiree.read"])),
    params(("id" = i64, Path, description = "Run id"), RunListQuery),
    responses((status = 200, body = Page<super::dependent_certifications::SupportChangeResponse>), crate::openapi::ReadErrors))]
#[get("/certification-runs/{id}/dependents")]
pub async fn suspended_dependents(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<RunListQuery>,
) -> Result<web::Json<Page<super::dependent_certifications::SupportChangeResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(DEPENDENT_CURSOR, query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let id = path.into_inner();
    let c = caller.clone();
    let rows = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let run = visible(conn, &c, id)?;
        Ok(runs::dependent_items(conn, run.id, after, limit)?)
    })
    .await?;
    let next = next_cursor(&rows, limit, DEPENDENT_CURSOR, |i| i.id.to_string());
    let page_items = rows.into_iter().map(super::dependent_certifications::support_change_response).collect();
    Ok(web::Json(Page { items: page_items, next_cursor: next }))
}
