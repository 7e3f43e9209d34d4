//! Self-management groups (自管小组) per community by area or building (CS Art. 19, JN Art. 32, XM Art. 12), their
//! members, one leader at a time (elected on a date), leader trainings (XM Art. 21(6)) and accident insurance
//! (XM Art. 21(7)). The use cases are `app::care::groups`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{Page, finish, next_cursor, ok_with_etag};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page, parse_date};
use crate::state::AppState;

use app::care::groups::{
    AddMemberRequest, CreateGroupRequest, ElectLeaderRequest, GroupResponse, InsuranceRequest, LeaderResponse,
    LeaveRequest, TrainingRequest,
};

/// Creates a self-management group in a community (CS Art. 19: "按居住区域或楼栋成立自我管理小组"). A name taken in
/// the community is 409 `group_name_taken`.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = CreateGroupRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = GroupResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/groups")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateGroupRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let input = app::care::groups::check_group(&body).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /groups", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let body = app::care::groups::create(conn, &c, input)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/groups/{}", body.id),
            version: body.version,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Groups of the communities in the caller's subtree, by id.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(ListQuery),
    responses((status = 200, body = Page<GroupResponse>), crate::openapi::ReadErrors))]
#[get("/groups")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<GroupResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("gr", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| app::care::groups::list(conn, &c, &code, after, limit)).await?;
    let next = next_cursor(&items, limit, "gr", |g| g.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One group with its members and leader.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Group id")),
    responses((status = 200, body = GroupResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/groups/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let body = crate::db::run(&state.pool, move |conn| app::care::groups::read(conn, &c, id)).await?;
    let version = body.version;
    Ok(ok_with_etag(&body, version))
}

/// Adds a member: a retiree in the caller's subtree (else 422 `retiree_not_found`) of the group's community (422
/// `not_in_community`), in no other group (409 `already_in_group`).
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = AddMemberRequest,
    params(("id" = i64, Path, description = "Group id")),
    responses((status = 200, body = GroupResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/groups/{id}/members")]
pub async fn add_member(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<AddMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let id = path.into_inner();
    let body = body.0;
    let on = app::care::groups::check_member(&body, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let g = crate::db::write(&state.pool, move |conn| app::care::groups::add_member(conn, &c, id, body.retiree_id, on))
        .await?;
    let version = g.version;
    Ok(ok_with_etag(&g, version))
}

/// A member leaves the group (404 when not a current member).
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = LeaveRequest,
    params(("id" = i64, Path, description = "Group id"), ("retiree_id" = i64, Path, description = "Member")),
    responses((status = 200, body = GroupResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/groups/{id}/members/{retiree_id}/leave")]
pub async fn leave(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: Json<LeaveRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let (id, retiree_id) = path.into_inner();
    let on = app::care::groups::check_leave(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let g = crate::db::write(&state.pool, move |conn| app::care::groups::leave(conn, &c, id, retiree_id, on)).await?;
    let version = g.version;
    Ok(ok_with_etag(&g, version))
}

/// Records the election of the group's leader (XM Art. 12; CS Art. 19: "选举产生小组长"). One leader at a time: the
/// term in office ends on the new election day. An election before the current leader's is 422
/// `election_before_current`; a `retiree_id` absent or outside the caller's subtree is 422 `retiree_not_found`, one
/// that is not a member 422 `not_a_member`.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = ElectLeaderRequest,
    params(("id" = i64, Path, description = "Group id")),
    responses((status = 201, body = LeaderResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/groups/{id}/leaders")]
pub async fn elect(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<ElectLeaderRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let id = path.into_inner();
    let election = app::care::groups::check_election(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let l = crate::db::write(&state.pool, move |conn| app::care::groups::elect(conn, &c, id, election)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/group-leaders/{}", l.id))).json(l))
}

/// Filters of the leader list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaderQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Only terms in office on this day (YYYY-MM-DD); default today.
    pub in_office_on: Option<String>,
    /// `false`: only leaders without accident insurance (XM Art. 21(7)).
    pub insured: Option<String>,
}

/// Leaders in office in the caller's subtree on a day, by id, with their trainings and insurance.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(LeaderQuery),
    responses((status = 200, body = Vec<LeaderResponse>), crate::openapi::ReadErrors))]
#[get("/group-leaders")]
pub async fn list_leaders(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<LeaderQuery>,
) -> Result<web::Json<Vec<LeaderResponse>>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let on = match q.in_office_on.as_deref() {
        Some(t) => parse_date("in_office_on", t).map_err(|e| errors.push(e)).ok(),
        None => Some(today),
    };
    let insured = super::common::code_filter("insured", q.insured.as_deref(), &["true", "false"], &mut errors)
        .map(|w| w == "true");
    finish(errors)?;
    let on = on.unwrap_or(today);
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let out =
        crate::db::run(&state.pool, move |conn| app::care::groups::leaders_in_office(conn, &c, &code, on, insured))
            .await?;
    Ok(web::Json(out))
}

/// One leader term, with trainings.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Leader term id")),
    responses((status = 200, body = LeaderResponse), crate::openapi::ReadErrors))]
#[get("/group-leaders/{id}")]
pub async fn get_leader(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<LeaderResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let l = crate::db::run(&state.pool, move |conn| app::care::groups::read_leader(conn, &c, id)).await?;
    Ok(web::Json(l))
}

/// Records a training of a leader (XM Art. 21(6): "组织退休人员小组长培训").
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = TrainingRequest,
    params(("id" = i64, Path, description = "Leader term id")),
    responses((status = 201, body = LeaderResponse), crate::openapi::WriteErrors))]
#[post("/group-leaders/{id}/trainings")]
pub async fn add_training(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<TrainingRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let id = path.into_inner();
    let training = app::care::groups::check_training(&body.0, today).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let l = crate::db::write(&state.pool, move |conn| app::care::groups::add_training(conn, &c, id, training)).await?;
    Ok(HttpResponse::Created().json(l))
}

/// Sets a leader's accident-insurance status (XM Art. 21(7): "为尚未投保的退休人员小组长购买人身意外险").
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = InsuranceRequest,
    params(("id" = i64, Path, description = "Leader term id")),
    responses((status = 200, body = LeaderResponse), crate::openapi::WriteErrors))]
#[post("/group-leaders/{id}/insurance")]
pub async fn insurance(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<InsuranceRequest>,
) -> Result<web::Json<LeaderResponse>, ApiError> {
    caller.require(Permission::RetireeWrite)?;
    let id = path.into_inner();
    let insurance = app::care::groups::check_insurance(&body.0).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let l =
        crate::db::write(&state.pool, move |conn| app::care::groups::set_insurance(conn, &c, id, insurance)).await?;
    Ok(web::Json(l))
}
