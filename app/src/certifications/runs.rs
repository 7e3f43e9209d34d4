//! Certification runs (issue 5; CS Art. 32(1): a pension is suspended when the certification is not done in
//! time): a run suspends, set-based, everybody in a subtree whose certification lapsed before the as-of date, and
//! reports counts per jurisdiction and outcome; the runs and their lists are read back.
//!
//! A run is one write transaction that first takes the bulk-status lock shared with feeds (PostgreSQL advisory
//! lock; SQLite's `BEGIN IMMEDIATE`), so runs on several replicas queue up: the second sees what the first did
//! and suspends nobody twice. A second run on the same date changes nothing.

use domain::ErrorCode;
use domain::pension::month_of;
use persistence::DbConnection;
use persistence::certification_runs::{self as runs, NewRun, Run};
use persistence::jurisdictions::Jurisdiction;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::dependents::{SupportChangeResponse, support_change_response};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::parse_date;
use crate::policy_book::PolicyBook;
use crate::scope::node_in_scope;

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

fn response(run: Run) -> Result<RunResponse, AppError> {
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
        started_at: run.started_at.assume_utc(),
        finished_at: run.finished_at.assume_utc(),
        links: RunLinks { items: format!("{base}/items"), dependents: format!("{base}/dependents"), run: base },
    })
}

/// A run asked for, checked.
#[derive(Debug, Clone)]
pub struct RunAsked {
    /// The node's code (default the caller's node).
    pub jurisdiction: Option<String>,
    /// The date judged on.
    pub as_of: Date,
    /// Only list.
    pub dry_run: bool,
}

/// The checks of a run as of `today`: the as-of date (default today, not in the future) and the dry-run flag.
pub fn check(body: &CreateRunRequest, today: Date) -> Result<RunAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let as_of = match body.as_of.as_deref() {
        None => Some(today),
        Some(text) => parse_date("/as_of", text).map_err(|e| errors.push(e)).ok(),
    };
    if let Some(d) = as_of
        && d > today
    {
        errors.push(FieldError::of("/as_of", ErrorCode::AsOfInFuture));
    }
    match as_of {
        Some(as_of) if errors.is_empty() => {
            Ok(RunAsked { jurisdiction: body.jurisdiction.clone(), as_of, dry_run: body.dry_run.unwrap_or(false) })
        }
        _ => Err(errors),
    }
}

/// Runs the annual certification check on the subtree of a node in the caller's subtree (CS Art. 32(1)):
/// everybody with a paid pension whose certification is valid until a day before `as_of` is suspended with the
/// reason `certification_overdue` from the first day of `as_of`'s month, each change recorded (source `run`);
/// overdue people already suspended for another reason are counted, not changed; supported dependants alike
/// (XM Art. 15); home-visit tasks for people with a barrier who fall due within the reminder window. A dry run
/// changes nothing and keeps the list of who would be suspended. One audit entry for the run.
pub fn run(conn: &mut DbConnection, caller: &Caller, asked: RunAsked) -> Result<RunResponse, AppError> {
    let code = asked.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let node = node_in_scope(conn, caller, &code, "/jurisdiction")?;
    // The run's one large transaction gets the bulk page cache on SQLite; the connection returns to the pool with
    // SQLite's default whatever the outcome.
    persistence::bulk_cache::widen(conn)?;
    let run = execute(conn, caller, &node, asked.as_of, asked.dry_run);
    persistence::bulk_cache::restore(conn)?;
    response(run?)
}

/// The run itself, inside the caller's write transaction.
fn execute(
    conn: &mut DbConnection,
    caller: &Caller,
    node: &Jurisdiction,
    as_of: Date,
    dry_run: bool,
) -> Result<Run, AppError> {
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
        let dependents = i64::try_from(dependents).map_err(AppError::internal)?;
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
    let tasks = i64::try_from(tasks).map_err(AppError::internal)?;
    let summary = serde_json::to_string(&Summary { by_jurisdiction }).map_err(AppError::internal)?;
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
    if !dry_run {
        // Last: the events go straight into the feed, after every change of the run (issue 20).
        runs::emit_events(conn, id)?;
    }
    Ok(run)
}

/// A page of the runs on nodes in the caller's subtree, newest first, before the run `before`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<RunResponse>, AppError> {
    runs::list(conn, &caller.scope_path, before, limit)?.into_iter().map(response).collect()
}

/// The run if it ran on a node in the caller's subtree (404 otherwise).
fn visible(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Run, AppError> {
    let run = runs::find(conn, id)?;
    if caller.sees(&run.scope_path) { Ok(run) } else { Err(AppError::not_found()) }
}

/// One run (404 when it ran outside the caller's subtree).
pub fn get_one(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<RunResponse, AppError> {
    response(visible(conn, caller, id)?)
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

/// A page of the people of a run (of one community, when given) after the paging key `after`, each with its
/// paging key: the id of the change (real runs) or of the person (dry runs).
pub fn items(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    community: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<(i64, RunItemResponse)>, AppError> {
    let run = visible(conn, caller, id)?;
    Ok(runs::items(conn, &run, community, after, limit)?
        .into_iter()
        .map(|i| {
            let item = RunItemResponse {
                retiree_id: i.retiree_id,
                name: i.name,
                community_code: i.community_code,
                certified_until: i.certified_until,
                outcome: i.outcome,
            };
            (i.key, item)
        })
        .collect())
}

/// A page of the dependants whose support a real run suspended (XM Art. 15 last paragraph), by change id after
/// `after`; empty for a dry run.
pub fn suspended_dependents(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<SupportChangeResponse>, AppError> {
    let run = visible(conn, caller, id)?;
    Ok(runs::dependent_items(conn, run.id, after, limit)?.into_iter().map(support_change_response).collect())
}
