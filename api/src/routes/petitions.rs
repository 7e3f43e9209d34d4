//! Reception, petitions and letters (issue 24; GUIDE 接待制度; CS Art. 21; XM Art. 11): registering a case,
//! handling it at the node holding it, escalating it level by level, worklists and monthly counts. The use cases
//! are in [`app::petitions`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::petition::PetitionCategory;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, enum_filter, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;

use app::petitions::handle::{ActionRequest, AnswerRequest, AssignRequest, CloseRequest, NoteRequest, ReopenRequest};
use app::petitions::lists::{NodeMonthCounts, Worklist};
use app::petitions::{PetitionView, RegisterPetitionRequest};

const CURSOR: &str = "pt";

/// Registers a visit, call, letter or online case (GUIDE 接待制度: "认真记录来访事由"). The deadlines come from the
/// policy in force at the receiving node (general 3 days, escalated 10, major policy 7, letters 15 by the GUIDE;
/// calendar or working days as the policy says). A collective petition (`people_count` at or above the policy's
/// `collective_min_people`) or an `emergency` goes at once to the level above ("应立即向上一级退管机构报告"), whose
/// clock starts today, and emits `petition.escalated`. A letter without `received_on`: 422
/// `received_on_required`; an agreed `due_on` in the past: 422 `due_date_in_past`.
#[utoipa::path(tag = "petitions", security(("bearer" = ["petition.register"])), request_body = RegisterPetitionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = PetitionView, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/petitions")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<RegisterPetitionRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PetitionRegister)?;
    let body = body.0;
    let asked = app::petitions::register::check(&body, today).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /petitions", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let saved = app::petitions::register::register(conn, &c, today, asked)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/petitions/{}", saved.id),
            version: saved.version,
            body: serde_json::to_value(saved).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Filters of the case list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `due_today`, `overdue`, `escalated_to_me` (open cases held by the caller's own node that came from below)
    /// or `open`; every case seen when absent.
    pub worklist: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Only cases held by this node (in the caller's subtree).
    pub owner: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn worklist(code: &str) -> Option<Worklist> {
    match code {
        "due_today" => Some(Worklist::DueToday),
        "overdue" => Some(Worklist::Overdue),
        "escalated_to_me" => Some(Worklist::EscalatedToMe),
        "open" => Some(Worklist::Open),
        _ => None,
    }
}

/// Cases seen from the caller's subtree (held by a node in it now, or before an escalation), by id; `text` is
/// `***` in lists (read it, audited, with `GET /petitions/{id}`).
#[utoipa::path(tag = "petitions", security(("bearer" = ["petition.register"]), ("bearer" = ["petition.handle"]), ("bearer" = ["petition.supervise"])),
    params(ListQuery), responses((status = 200, body = Page<PetitionView>), crate::openapi::ReadErrors))]
#[get("/petitions")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<PetitionView>>, ApiError> {
    let today = state.clock.today();
    app::petitions::lists::require_read(&caller)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let codes = vec!["due_today", "overdue", "escalated_to_me", "open"];
    let wl = enum_filter("worklist", q.worklist.as_deref(), worklist, codes, &mut errors);
    let category =
        enum_filter("category", q.category.as_deref(), PetitionCategory::parse, PetitionCategory::codes(), &mut errors);
    finish(errors)?;
    let lq = app::petitions::lists::ListQuery { worklist: wl, category, owner: q.owner, after, limit };
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| app::petitions::lists::list(conn, &c, today, lq)).await?;
    let next = next_cursor(&items, limit, CURSOR, |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Monthly counts query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Month `YYYY-MM`, not after this month.
    pub month: String,
}

/// Counts per node (the node holding the case when answered) of the cases seen from the caller's subtree
/// answered in `month`: on time, late, and the satisfaction recorded on closing. The monthly report reads it.
#[utoipa::path(tag = "petitions", security(("bearer" = ["petition.supervise"])),
    params(StatsQuery), responses((status = 200, body = Vec<NodeMonthCounts>), crate::openapi::ReadErrors))]
#[get("/petitions/stats")]
pub async fn stats(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<StatsQuery>,
) -> Result<web::Json<Vec<NodeMonthCounts>>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::PetitionSupervise)?;
    let month = app::input::parse_month("month", &query.month).map_err(|e| ApiError::validation(vec![e]))?;
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| app::petitions::lists::monthly(conn, &c, today, month)).await?;
    Ok(web::Json(items))
}

/// One case with its people and steps (an audited read of personal data).
#[utoipa::path(tag = "petitions", security(("bearer" = ["petition.register"]), ("bearer" = ["petition.handle"]), ("bearer" = ["petition.supervise"])),
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = PetitionView, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/petitions/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    app::petitions::lists::require_read(&caller)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::read_audited(&state, move |conn| app::petitions::lists::get(conn, &c, today, id)).await?;
    Ok(HttpResponse::Ok().insert_header(("ETag", crate::extract::etag(v.version))).json(v))
}

async fn act(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    act: app::petitions::handle::Act,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    let if_match = crate::extract::optional_if_match(&req)?;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| app::petitions::handle::act(conn, &c, today, id, if_match, act))
        .await?;
    Ok(HttpResponse::Ok().insert_header(("ETag", crate::extract::etag(v.version))).json(v))
}

/// Assigns the case to a worker: an active account at the node holding it whose role handles petitions (else
/// 422 `assignee_not_found`). Only the node holding the case (or a body above it) acts on it: a level that
/// escalated it gets 403.
#[utoipa::path(tag = "petitions", security(("bearer" = ["petition.handle"])), request_body = AssignRequest,
    params(("id" = i64, Path, description = "Case id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = PetitionView), crate::openapi::WriteErrors))]
#[post("/petitions/{id}/assign")]
pub async fn assign(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<AssignRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PetitionHandle)?;
    let a = app::petitions::handle::check_assign(&body.0).map_err(ApiError::validation)?;
    act(req, caller, state, path.into_inner(), a).await
}

/// Acknowledges a registered case: the due date moves to the answer deadline.
#[utoipa::path(tag = "petitions", security(("bearer" = ["petition.handle"])), request_body = NoteRequest,
    params(("id" = i64, Path, description = "Case id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = PetitionView), crate::openapi::WriteErrors))]
#[post("/petitions/{id}/acknowledge")]
pub async fn acknowledge(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<NoteRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PetitionHandle)?;
    let a = app::petitions::handle::check_note(&body.0, false).map_err(ApiError::validation)?;
    act(req, caller, state, path.into_inner(), a).await
}

/// Records an action taken (a call, a visit, an inquiry): the case is in progress.
#[utoipa::path(tag = "petitions", security(("bearer" = ["petition.handle"])), request_body = ActionRequest,
    params(("id" = i64, Path, description = "Case id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = PetitionView), crate::openapi::WriteErrors))]
#[post("/petitions/{id}/actions")]
pub async fn action(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<ActionRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PetitionHandle)?;
    let a = app::petitions::handle::check_action(&body.0).map_err(ApiError::validation)?;
    act(req, caller, state, path.into_inner(), a).await
}

/// Records the answer; `on_time` tells whether it met `answer_due`.
#[utoipa::path(tag = "petitions", security(("bearer" = ["petition.handle"])), request_body = AnswerRequest,
    params(("id" = i64, Path, description = "Case id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = PetitionView), crate::openapi::WriteErrors))]
#[post("/petitions/{id}/answer")]
pub async fn answer(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<AnswerRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PetitionHandle)?;
    let today = state.clock.today();
    let a = app::petitions::handle::check_answer(&body.0, today).map_err(ApiError::validation)?;
    act(req, caller, state, path.into_inner(), a).await
}

/// Closes an answered case with the outcome and the person's satisfaction; without an answer on record or in the
/// body: 422 `petition_answer_required` on `/answer`.
#[utoipa::path(tag = "petitions", security(("bearer" = ["petition.handle"])), request_body = CloseRequest,
    params(("id" = i64, Path, description = "Case id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = PetitionView), crate::openapi::WriteErrors))]
#[post("/petitions/{id}/close")]
pub async fn close(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CloseRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PetitionHandle)?;
    let a = app::petitions::handle::check_close(&body.0).map_err(ApiError::validation)?;
    act(req, caller, state, path.into_inner(), a).await
}

/// Reopens a closed case within the policy's `reopen_window_days` (else 409 `petition_reopen_window_passed`); the
/// clock restarts today.
#[utoipa::path(tag = "petitions", security(("bearer" = ["petition.handle"])), request_body = ReopenRequest,
    params(("id" = i64, Path, description = "Case id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = PetitionView), crate::openapi::WriteErrors))]
#[post("/petitions/{id}/reopen")]
pub async fn reopen(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<ReopenRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PetitionHandle)?;
    let a = app::petitions::handle::check_reopen(&body.0).map_err(ApiError::validation)?;
    act(req, caller, state, path.into_inner(), a).await
}

/// Reports the case to the level above ("逐级报告": community → street → district → city); the receiving level's
/// clock starts today with the escalated deadline, and `petition.escalated` is emitted. From the city: 422
/// `petition_top_level`.
#[utoipa::path(tag = "petitions", security(("bearer" = ["petition.handle"])), request_body = NoteRequest,
    params(("id" = i64, Path, description = "Case id"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = PetitionView), crate::openapi::WriteErrors))]
#[post("/petitions/{id}/escalate")]
pub async fn escalate(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<NoteRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::PetitionHandle)?;
    let a = app::petitions::handle::check_note(&body.0, true).map_err(ApiError::validation)?;
    act(req, caller, state, path.into_inner(), a).await
}
