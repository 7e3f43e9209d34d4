//! Self-management groups (自管小组) per community by area or building (CS Art. 19, JN Art. 32, XM Art. 12), their
//! members, one leader at a time (elected on a date), leader trainings (XM Art. 21(6)) and accident insurance
//! (XM Art. 21(7)).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::care::GroupBasis;
use domain::{Level, Permission};
use persistence::DbConnection;
use persistence::groups::{self as repo, Group, Leader, NewLeader, Training};
use persistence::retirees as people;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_name, check_text, finish, instant, next_cursor, node_in_scope, ok_with_etag};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, page, parse_date};
use crate::state::AppState;

/// A group to create.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"community_code": "350203001001", "name": "大学路第一小组", "basis": "building",
    "area": "大学路1-9号楼"}))]
pub struct CreateGroupRequest {
    /// The community, in the caller's subtree.
    pub community_code: String,
    /// Name, 1-50 characters, unique in the community.
    pub name: String,
    /// By area or by building.
    pub basis: GroupBasis,
    /// The area or buildings covered, 1-200 characters.
    pub area: String,
}

/// A leader term.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 5, "group_id": 2, "community_code": "350203001001", "name": "李桂兰",
    "retiree_id": 42, "elected_on": "2026-01-10", "ended_on": null, "insured": true, "insurer": "中国人寿",
    "insured_until": "2026-12-31", "trainings": []}))]
pub struct LeaderResponse {
    /// Id.
    pub id: i64,
    /// Group.
    pub group_id: i64,
    /// Community of the group.
    pub community_code: String,
    /// Name.
    pub name: String,
    /// The leader as a retiree on file, if so.
    pub retiree_id: Option<i64>,
    /// Elected on.
    #[schema(value_type = String, format = Date)]
    pub elected_on: Date,
    /// Term ended on (the next election), `null` while in office.
    #[schema(value_type = Option<String>, format = Date)]
    pub ended_on: Option<Date>,
    /// Accident insurance in force (XM Art. 21(7): bought from the fund for leaders not yet insured).
    pub insured: bool,
    /// Insurer.
    pub insurer: Option<String>,
    /// Insured until.
    #[schema(value_type = Option<String>, format = Date)]
    pub insured_until: Option<Date>,
    /// Trainings attended (XM Art. 21(6)), oldest first.
    pub trainings: Vec<TrainingResponse>,
}

/// A training.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrainingResponse {
    /// Id.
    pub id: i64,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Topic.
    pub topic: String,
    /// Hours.
    pub hours: i32,
}

/// A group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupResponse {
    /// Id.
    pub id: i64,
    /// Community.
    pub community_code: String,
    /// Name.
    pub name: String,
    /// By area or building.
    pub basis: GroupBasis,
    /// Area or buildings.
    pub area: String,
    /// Current members (retiree ids).
    pub members: Vec<i64>,
    /// The leader in office, if any.
    pub leader: Option<LeaderResponse>,
    /// Version (also the ETag).
    pub version: i64,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn training_response(t: Training) -> TrainingResponse {
    TrainingResponse { id: t.id, on_date: t.on_date, topic: t.topic, hours: t.hours }
}

fn leader_response(conn: &mut DbConnection, l: Leader, community: &str) -> Result<LeaderResponse, ApiError> {
    let trainings = repo::trainings_of(conn, l.id)?.into_iter().map(training_response).collect();
    Ok(LeaderResponse {
        id: l.id,
        group_id: l.group_id,
        community_code: community.to_owned(),
        name: l.name,
        retiree_id: l.retiree_id,
        elected_on: l.elected_on,
        ended_on: l.ended_on,
        insured: l.insured,
        insurer: l.insurer,
        insured_until: l.insured_until,
        trainings,
    })
}

fn group_response(conn: &mut DbConnection, g: Group) -> Result<GroupResponse, ApiError> {
    let members = repo::current_members(conn, g.id)?.into_iter().map(|m| m.retiree_id).collect();
    let in_office = match repo::current_leader(conn, g.id)? {
        Some(l) => Some(leader_response(conn, l, &g.community_code)?),
        None => None,
    };
    Ok(GroupResponse {
        id: g.id,
        basis: g.basis,
        community_code: g.community_code,
        name: g.name,
        area: g.area,
        members,
        leader: in_office,
        version: g.version,
        created_at: instant(g.created_at),
    })
}

/// The group if its community is in the caller's subtree (else 404), with the community's path.
fn visible_group(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(Group, String), ApiError> {
    let g = repo::find_group(conn, id)?;
    let path = persistence::jurisdictions::find(conn, &g.community_code)?.path;
    if caller.sees(&path) { Ok((g, path)) } else { Err(ApiError::not_found()) }
}

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
    let mut errors = Vec::new();
    let name = check_name("/name", &body.name, 50, &mut errors);
    let area = check_name("/area", &body.area, 200, &mut errors);
    finish(errors)?;
    let fingerprint = crate::idempotency::fingerprint("POST /groups", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let node = node_in_scope(conn, &c, &body.community_code, "/community_code")?;
        if node.level != Level::Community {
            return Err(ApiError::field(FieldError::new(
                "/community_code",
                "not_a_community",
                "该代码不是社区（村）级区划",
                "the code is not a community",
            )));
        }
        let g =
            repo::create_group(conn, &node.code, &name, body.basis.as_str(), &area, &c.login).map_err(|e| match e {
                persistence::RepoError::Unique(_) => ApiError::of(domain::ErrorCode::GroupNameTaken),
                other => other.into(),
            })?;
        persistence::audit::append(conn, &c.audit("group.create", "group", g.id, &node.path))?;
        let version = g.version;
        let body = group_response(conn, g)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/groups/{}", body.id),
            version,
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
    let c = caller.clone();
    let (items, next) = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        let found = repo::list_groups(conn, &node.path, after, limit)?;
        let next = next_cursor(&found, limit, "gr", |g| g.id.to_string());
        let mut items = Vec::new();
        for g in found {
            items.push(group_response(conn, g)?);
        }
        Ok((items, next))
    })
    .await?;
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
    let c = caller.clone();
    let body = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let (g, _) = visible_group(conn, &c, id)?;
        group_response(conn, g)
    })
    .await?;
    let version = body.version;
    Ok(ok_with_etag(&body, version))
}

/// A member to add.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "joined_on": "2026-01-10"}))]
pub struct AddMemberRequest {
    /// A retiree of the group's community.
    pub retiree_id: i64,
    /// Day joined (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub joined_on: Option<String>,
}

/// Adds a member: a retiree of the group's community (422 `not_in_community`), in no other group (409
/// `already_in_group`).
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
    let mut errors = Vec::new();
    let on = super::common::date_not_after("/joined_on", body.joined_on.as_deref(), today, &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let g = crate::db::write(&state.pool, move |conn| {
        let (g, path) = visible_group(conn, &c, id)?;
        let retiree = people::find_in_scope(conn, body.retiree_id, &c.scope_path)
            .ok()
            .filter(|(r, _)| r.community_code == g.community_code)
            .map(|(r, _)| r)
            .ok_or_else(|| {
                ApiError::field(FieldError::new(
                    "/retiree_id",
                    "not_in_community",
                    "该退休人员不在本小组所在社区",
                    "the retiree does not live in the group's community",
                ))
            })?;
        if repo::membership_of(conn, retiree.id)?.is_some() {
            return Err(ApiError::of(domain::ErrorCode::AlreadyInGroup));
        }
        repo::add_member(conn, g.id, retiree.id, on)?;
        repo::touch_group(conn, g.id)?;
        let mut entry = c.audit("group.member_add", "group", g.id, &path);
        entry.retiree_id = Some(retiree.id);
        persistence::audit::append(conn, &entry)?;
        let g = repo::find_group(conn, g.id)?;
        group_response(conn, g)
    })
    .await?;
    let version = g.version;
    Ok(ok_with_etag(&g, version))
}

/// When a member leaves.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"left_on": "2026-06-30"}))]
pub struct LeaveRequest {
    /// Day left (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub left_on: Option<String>,
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
    let mut errors = Vec::new();
    let on = super::common::date_not_after("/left_on", body.0.left_on.as_deref(), today, &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let g = crate::db::write(&state.pool, move |conn| {
        let (g, path) = visible_group(conn, &c, id)?;
        let m =
            repo::membership_of(conn, retiree_id)?.filter(|m| m.group_id == g.id).ok_or_else(ApiError::not_found)?;
        repo::end_member(conn, m.id, on.max(m.joined_on))?;
        repo::touch_group(conn, g.id)?;
        let mut entry = c.audit("group.member_leave", "group", g.id, &path);
        entry.retiree_id = Some(retiree_id);
        persistence::audit::append(conn, &entry)?;
        let g = repo::find_group(conn, g.id)?;
        group_response(conn, g)
    })
    .await?;
    let version = g.version;
    Ok(ok_with_etag(&g, version))
}

/// An election.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "李桂兰", "retiree_id": 42, "elected_on": "2026-01-10", "insured": false}))]
pub struct ElectLeaderRequest {
    /// Name, 1-50 characters.
    pub name: String,
    /// The leader as a retiree on file (a member of the group), optional.
    pub retiree_id: Option<i64>,
    /// Day elected (YYYY-MM-DD), not in the future, not before the current leader's election.
    #[schema(format = Date)]
    pub elected_on: String,
    /// Accident insurance already in force (default `false`).
    pub insured: Option<bool>,
    /// Insurer, up to 100 characters.
    pub insurer: Option<String>,
    /// Insured until (YYYY-MM-DD).
    #[schema(format = Date)]
    pub insured_until: Option<String>,
}

/// Records the election of the group's leader (XM Art. 12; CS Art. 19: "选举产生小组长"). One leader at a time: the
/// term in office ends on the new election day. An election before the current leader's is 422
/// `election_before_current`; a `retiree_id` that is not a member is 422 `not_a_member`.
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
    let body = body.0;
    let mut errors = Vec::new();
    let name = check_name("/name", &body.name, 50, &mut errors);
    let elected_on = super::common::date_not_after("/elected_on", Some(&body.elected_on), today, &mut errors);
    let insurer = check_text("/insurer", body.insurer.as_deref(), 100, &mut errors);
    let until =
        body.insured_until.as_deref().and_then(|t| parse_date("/insured_until", t).map_err(|e| errors.push(e)).ok());
    finish(errors)?;
    let c = caller.clone();
    let l = crate::db::write(&state.pool, move |conn| {
        let (g, path) = visible_group(conn, &c, id)?;
        if let Some(r) = body.retiree_id
            && !repo::current_members(conn, g.id)?.iter().any(|m| m.retiree_id == r)
        {
            return Err(ApiError::field(FieldError::new(
                "/retiree_id",
                "not_a_member",
                "小组长须为本小组成员",
                "the leader must be a member of the group",
            )));
        }
        if let Some(current) = repo::current_leader(conn, g.id)? {
            if elected_on < current.elected_on {
                return Err(ApiError::field(FieldError::new(
                    "/elected_on",
                    "election_before_current",
                    "选举日期早于现任小组长的选举日期",
                    "the election is before the current leader's",
                )));
            }
            repo::end_leader(conn, current.id, elected_on)?;
        }
        let saved = repo::insert_leader(
            conn,
            &NewLeader {
                group_id: g.id,
                name,
                retiree_id: body.retiree_id,
                elected_on,
                ended_on: None,
                insured: body.insured.unwrap_or(false),
                insurer,
                insured_until: until,
                created_by: c.login.clone(),
                created_at: persistence::now_utc(),
            },
        )?;
        repo::touch_group(conn, g.id)?;
        let mut entry = c.audit("group.leader_elect", "group_leader", saved.id, &path);
        entry.retiree_id = body.retiree_id;
        persistence::audit::append(conn, &entry)?;
        leader_response(conn, saved, &g.community_code)
    })
    .await?;
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
    let insured = super::common::code_filter("insured", q.insured.as_deref(), &["true", "false"], &mut errors);
    finish(errors)?;
    let on = on.unwrap_or(today);
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let out = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        let mut out = Vec::new();
        for (l, community) in repo::leaders_in_office(conn, &node.path, on, on)? {
            if insured.as_deref().is_some_and(|w| (w == "true") != l.insured) {
                continue;
            }
            out.push(leader_response(conn, l, &community)?);
        }
        Ok(out)
    })
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
    let c = caller.clone();
    let l = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let (l, path) = repo::find_leader(conn, id)?;
        if !c.sees(&path) {
            return Err(ApiError::not_found());
        }
        let community = repo::find_group(conn, l.group_id)?.community_code;
        leader_response(conn, l, &community)
    })
    .await?;
    Ok(web::Json(l))
}

/// A training attended.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"on_date": "2026-03-15", "topic": "资格认证协助与走访记录", "hours": 4}))]
pub struct TrainingRequest {
    /// Day (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub on_date: Option<String>,
    /// Topic, 1-200 characters.
    pub topic: String,
    /// Hours, 1-200.
    pub hours: i32,
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
    let body = body.0;
    let mut errors = Vec::new();
    let on = super::common::date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let topic = check_name("/topic", &body.topic, 200, &mut errors);
    if !(1..=200).contains(&body.hours) {
        errors.push(FieldError::new("/hours", "out_of_range", "学时应为1至200", "hours must be 1 to 200"));
    }
    finish(errors)?;
    let c = caller.clone();
    let l = crate::db::write(&state.pool, move |conn| {
        let (l, path) = repo::find_leader(conn, id)?;
        if !c.sees(&path) {
            return Err(ApiError::not_found());
        }
        let t = repo::add_training(conn, l.id, on, &topic, body.hours, &c.login)?;
        persistence::audit::append(conn, &c.audit("group.leader_training", "leader_training", t.id, &path))?;
        let community = repo::find_group(conn, l.group_id)?.community_code;
        leader_response(conn, l, &community)
    })
    .await?;
    Ok(HttpResponse::Created().json(l))
}

/// Accident-insurance status.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"insured": true, "insurer": "中国人寿", "insured_until": "2026-12-31"}))]
pub struct InsuranceRequest {
    /// Insured.
    pub insured: bool,
    /// Insurer, up to 100 characters.
    pub insurer: Option<String>,
    /// Insured until (YYYY-MM-DD); required when insured.
    #[schema(format = Date)]
    pub insured_until: Option<String>,
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
    let body = body.0;
    let mut errors = Vec::new();
    let insurer = check_text("/insurer", body.insurer.as_deref(), 100, &mut errors);
    let until =
        body.insured_until.as_deref().and_then(|t| parse_date("/insured_until", t).map_err(|e| errors.push(e)).ok());
    if body.insured && body.insured_until.is_none() {
        errors.push(FieldError::new(
            "/insured_until",
            "required",
            "已投保须填写保险截止日期",
            "insured needs insured_until",
        ));
    }
    finish(errors)?;
    let c = caller.clone();
    let l = crate::db::write(&state.pool, move |conn| {
        let (l, path) = repo::find_leader(conn, id)?;
        if !c.sees(&path) {
            return Err(ApiError::not_found());
        }
        let l = repo::set_insurance(conn, l.id, body.insured, insurer, until)?;
        persistence::audit::append(conn, &c.audit("group.leader_insurance", "group_leader", l.id, &path))?;
        let community = repo::find_group(conn, l.group_id)?.community_code;
        leader_response(conn, l, &community)
    })
    .await?;
    Ok(web::Json(l))
}
