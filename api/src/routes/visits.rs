//! Visits (走访; GUIDE 走访制度; CS Art. 25(1); JN Art. 31(1)): visit tasks generated from the policy's visit
//! intervals per community, recorded visits (date, worker, findings, follow-up, a referral for the minimum living
//! allowance), which close the person's open tasks. The overdue worklist is `GET /visit-tasks?overdue=true`. The use
//! cases are `app::care::visits`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::state::AppState;

use app::care::visits::{CreateVisitRequest, GenerateRequest, GenerateResponse, VisitResponse};
// Issue 25: the visit's detail lists the volunteer services given on it.
use app::care::visits::VisitDetail;

/// Opens the visit tasks the policy calls for in a node (GUIDE 走访制度: 鳏寡孤独 every quarter, 70+ regularly, the
/// seriously ill in hospital, families in sudden hardship; CS Art. 25(1), JN Art. 31(1): widowed, seriously ill,
/// aged, hardship, living alone, disabled). For every person on a roll in a visit group the policy of their
/// community names on `as_of` and without an open task of that group, one task is opened, due the group's
/// interval after the latest visit (a recorded visit or a task done), or after the day the person joined the group
/// when never visited since. A run twice opens nothing twice.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = GenerateRequest,
    responses((status = 200, body = GenerateResponse), crate::openapi::WriteErrors))]
#[post("/visit-tasks/generate")]
pub async fn generate(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<GenerateRequest>,
) -> Result<web::Json<GenerateResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let as_of = app::care::visits::check_generate(&body, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let out =
        crate::db::write(&state.pool, move |conn| app::care::visits::generate(conn, &c, &body.jurisdiction, as_of))
            .await?;
    Ok(web::Json(out))
}

/// Records a visit (GUIDE 走访制度: "做好走访记录"): date, worker, findings, follow-up. It closes every open visit
/// task of the person (new arrival and interval tasks alike). A visit dated before the person's retirement date is
/// 422 `before_retirement`; a person flagged `severe_hardship` needs `dibao_referral` stated (422
/// `dibao_referral_required`).
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = CreateVisitRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = VisitResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/visits")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateVisitRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let input = app::care::visits::check(&body, today).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /visits", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let v = app::care::visits::record(conn, &c, input)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/visits/{}", v.id),
            version: 1,
            body: serde_json::to_value(v).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Filters of the visit list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// One person.
    pub retiree_id: Option<i64>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Visits recorded in the caller's subtree, by id.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(ListQuery),
    responses((status = 200, body = Page<VisitResponse>), crate::openapi::ReadErrors))]
#[get("/visits")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<VisitResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("vi", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let items =
        crate::db::run(&state.pool, move |conn| app::care::visits::list(conn, &c, &code, q.retiree_id, after, limit))
            .await?;
    let next = next_cursor(&items, limit, "vi", |v| v.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One visit, with the volunteer services given on it (`volunteer_services`; issue 25, CS Art. 22) (the read of one
/// person's record is audited).
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Visit id")),
    responses((status = 200, body = VisitDetail), crate::openapi::ReadErrors))]
#[get("/visits/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<VisitDetail>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let v = crate::db::read_audited(&state, move |conn| app::care::visits::read(conn, &c, id)).await?;
    Ok(web::Json(v))
}
