//! Self-management groups (自管小组) per community by area or building (CS Art. 19, JN Art. 32, XM Art. 12), their
//! members, one leader at a time (elected on a date), leader trainings (XM Art. 21(6)) and accident insurance
//! (XM Art. 21(7)).

use domain::RetireeId;
use domain::care::GroupBasis;
use domain::{ErrorCode, Level};
use persistence::groups::{self as repo, Group, Leader, NewLeader, Training};
use persistence::{DbConnection, RepoError};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after, parse_date};
use crate::scope::{node_in_scope, path_of};

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

/// The API view of a leader term, with its trainings.
pub fn leader_response(conn: &mut DbConnection, l: Leader, community: &str) -> Result<LeaderResponse, AppError> {
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

/// The API view of a group, with its members and the leader in office.
pub fn group_response(conn: &mut DbConnection, g: Group) -> Result<GroupResponse, AppError> {
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
        created_at: g.created_at.assume_utc(),
    })
}

/// The group if its community is in the caller's subtree (else 404), with the community's path.
fn visible_group(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(Group, String), AppError> {
    let g = repo::find_group(conn, id)?;
    let path = path_of(conn, &g.community_code)?;
    if caller.sees(&path) { Ok((g, path)) } else { Err(AppError::not_found()) }
}

/// The leader term and its community's path if in the caller's subtree (else 404).
fn visible_leader(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(Leader, String), AppError> {
    let (l, path) = repo::find_leader(conn, id)?;
    if caller.sees(&path) { Ok((l, path)) } else { Err(AppError::not_found()) }
}

/// A group to create, checked.
#[derive(Debug, Clone)]
pub struct GroupInput {
    /// The community.
    pub community_code: String,
    /// Name.
    pub name: String,
    /// By area or building.
    pub basis: GroupBasis,
    /// Area or buildings.
    pub area: String,
}

/// The checks of a new group: the texts' lengths.
pub fn check_group(body: &CreateGroupRequest) -> Result<GroupInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = check_name("/name", &body.name, 50, &mut errors);
    let area = check_name("/area", &body.area, 200, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(GroupInput { community_code: body.community_code.clone(), name, basis: body.basis, area })
}

/// Creates a self-management group in a community of the caller's subtree (CS Art. 19: "按居住区域或楼栋成立自我管理
/// 小组"; else 422 `jurisdiction_not_found`, `not_a_community`). A name taken in the community is 409
/// `group_name_taken`.
pub fn create(conn: &mut DbConnection, caller: &Caller, input: GroupInput) -> Result<GroupResponse, AppError> {
    let node = node_in_scope(conn, caller, &input.community_code, "/community_code")?;
    if node.level != Level::Community {
        return Err(AppError::field(FieldError::of("/community_code", ErrorCode::NotACommunity)));
    }
    let g = repo::create_group(conn, &node.code, &input.name, input.basis.as_str(), &input.area, &caller.login)
        .map_err(|e| match e {
            RepoError::Unique(_) => AppError::of(ErrorCode::GroupNameTaken),
            other => other.into(),
        })?;
    persistence::audit::append(conn, &caller.audit("group.create", "group", g.id, &node.path))?;
    group_response(conn, g)
}

/// Groups of the communities under the node `jurisdiction` (in the caller's subtree, else 422
/// `jurisdiction_not_found`), by id after `after`, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: &str,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<GroupResponse>, AppError> {
    let node = node_in_scope(conn, caller, jurisdiction, "jurisdiction")?;
    let found = repo::list_groups(conn, &node.path, after, limit)?;
    let mut items = Vec::with_capacity(found.len());
    for g in found {
        items.push(group_response(conn, g)?);
    }
    Ok(items)
}

/// One group with its members and leader (404 outside the caller's subtree).
pub fn read(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<GroupResponse, AppError> {
    let (g, _) = visible_group(conn, caller, id)?;
    group_response(conn, g)
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

/// The day a member joins: `joined_on`, default today, not in the future.
pub fn check_member(body: &AddMemberRequest, today: Date) -> Result<Date, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on = date_not_after("/joined_on", body.joined_on.as_deref(), today, &mut errors);
    if errors.is_empty() { Ok(on) } else { Err(errors) }
}

/// Adds a member on `on`: a retiree in the caller's subtree (else 422 `retiree_not_found`, issue 19.4) of the
/// group's community (422 `not_in_community`), in no other group (409 `already_in_group`).
pub fn add_member(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    retiree_id: impl Into<RetireeId>,
    on: Date,
) -> Result<GroupResponse, AppError> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let (g, path) = visible_group(conn, caller, id)?;
    let (retiree, _) = crate::scope::referenced_retiree(conn, caller, retiree_id, "/retiree_id")?;
    if retiree.community_code != g.community_code {
        return Err(AppError::field(FieldError::of("/retiree_id", ErrorCode::NotInCommunity)));
    }
    if repo::membership_of(conn, retiree.id)?.is_some() {
        return Err(AppError::of(ErrorCode::AlreadyInGroup));
    }
    repo::add_member(conn, g.id, retiree.id, on)?;
    repo::touch_group(conn, g.id)?;
    let mut entry = caller.audit("group.member_add", "group", g.id, &path);
    entry.retiree_id = Some(retiree.id);
    persistence::audit::append(conn, &entry)?;
    let g = repo::find_group(conn, g.id)?;
    group_response(conn, g)
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

/// The day a member leaves: `left_on`, default today, not in the future.
pub fn check_leave(body: &LeaveRequest, today: Date) -> Result<Date, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on = date_not_after("/left_on", body.left_on.as_deref(), today, &mut errors);
    if errors.is_empty() { Ok(on) } else { Err(errors) }
}

/// A member leaves the group on `on` (not before they joined; 404 when not a current member).
pub fn leave(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    retiree_id: impl Into<RetireeId>,
    on: Date,
) -> Result<GroupResponse, AppError> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let (g, path) = visible_group(conn, caller, id)?;
    let m = repo::membership_of(conn, retiree_id)?.filter(|m| m.group_id == g.id).ok_or_else(AppError::not_found)?;
    repo::end_member(conn, m.id, on.max(m.joined_on))?;
    repo::touch_group(conn, g.id)?;
    let mut entry = caller.audit("group.member_leave", "group", g.id, &path);
    entry.retiree_id = Some(retiree_id);
    persistence::audit::append(conn, &entry)?;
    let g = repo::find_group(conn, g.id)?;
    group_response(conn, g)
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

/// An election, checked.
#[derive(Debug, Clone)]
pub struct Election {
    /// Name.
    pub name: String,
    /// The leader as a retiree on file.
    pub retiree_id: Option<i64>,
    /// Day elected.
    pub elected_on: Date,
    /// Insured already.
    pub insured: bool,
    /// Insurer.
    pub insurer: Option<String>,
    /// Insured until.
    pub insured_until: Option<Date>,
}

/// The checks of an election as of `today`: the name's length, the day not in the future, the insurer's length and
/// the insurance date.
pub fn check_election(body: &ElectLeaderRequest, today: Date) -> Result<Election, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = check_name("/name", &body.name, 50, &mut errors);
    let elected_on = date_not_after("/elected_on", Some(&body.elected_on), today, &mut errors);
    let insurer = check_text("/insurer", body.insurer.as_deref(), 100, &mut errors);
    let insured_until =
        body.insured_until.as_deref().and_then(|t| parse_date("/insured_until", t).map_err(|e| errors.push(e)).ok());
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Election {
        name,
        retiree_id: body.retiree_id,
        elected_on,
        insured: body.insured.unwrap_or(false),
        insurer,
        insured_until,
    })
}

/// Records the election of the group's leader (XM Art. 12; CS Art. 19: "选举产生小组长"). One leader at a time: the
/// term in office ends on the new election day. An election before the current leader's is 422
/// `election_before_current`; a `retiree_id` absent or outside the caller's subtree is 422 `retiree_not_found`
/// (issue 19.4), one that is not a member 422 `not_a_member`.
pub fn elect(conn: &mut DbConnection, caller: &Caller, id: i64, e: Election) -> Result<LeaderResponse, AppError> {
    let (g, path) = visible_group(conn, caller, id)?;
    if let Some(r) = e.retiree_id {
        crate::scope::referenced_retiree(conn, caller, r, "/retiree_id")?;
        if !repo::current_members(conn, g.id)?.iter().any(|m| m.retiree_id == r) {
            return Err(AppError::field(FieldError::of("/retiree_id", ErrorCode::NotAMember)));
        }
    }
    if let Some(current) = repo::current_leader(conn, g.id)? {
        if e.elected_on < current.elected_on {
            return Err(AppError::field(FieldError::of("/elected_on", ErrorCode::ElectionBeforeCurrent)));
        }
        repo::end_leader(conn, current.id, e.elected_on)?;
    }
    let saved = repo::insert_leader(
        conn,
        &NewLeader {
            group_id: g.id,
            name: e.name,
            retiree_id: e.retiree_id,
            elected_on: e.elected_on,
            ended_on: None,
            insured: e.insured,
            insurer: e.insurer,
            insured_until: e.insured_until,
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
        },
    )?;
    repo::touch_group(conn, g.id)?;
    let mut entry = caller.audit("group.leader_elect", "group_leader", saved.id, &path);
    entry.retiree_id = e.retiree_id;
    persistence::audit::append(conn, &entry)?;
    leader_response(conn, saved, &g.community_code)
}

/// Leaders in office on `on` under the node `jurisdiction` (in the caller's subtree, else 422
/// `jurisdiction_not_found`), by id, with their trainings and insurance; `insured` keeps only those with (`true`)
/// or without (`false`) accident insurance (XM Art. 21(7)).
pub fn leaders_in_office(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: &str,
    on: Date,
    insured: Option<bool>,
) -> Result<Vec<LeaderResponse>, AppError> {
    let node = node_in_scope(conn, caller, jurisdiction, "jurisdiction")?;
    let mut out = Vec::new();
    for (l, community) in repo::leaders_in_office(conn, &node.path, on, on)? {
        if insured.is_some_and(|w| w != l.insured) {
            continue;
        }
        out.push(leader_response(conn, l, &community)?);
    }
    Ok(out)
}

/// One leader term, with trainings (404 outside the caller's subtree).
pub fn read_leader(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<LeaderResponse, AppError> {
    let (l, _) = visible_leader(conn, caller, id)?;
    let community = repo::find_group(conn, l.group_id)?.community_code;
    leader_response(conn, l, &community)
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

/// A training, checked.
#[derive(Debug, Clone)]
pub struct TrainingInput {
    /// Day.
    pub on_date: Date,
    /// Topic.
    pub topic: String,
    /// Hours.
    pub hours: i32,
}

/// The checks of a training as of `today`: the day not in the future (default today), the topic's length, 1-200
/// hours.
pub fn check_training(body: &TrainingRequest, today: Date) -> Result<TrainingInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on_date = date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let topic = check_name("/topic", &body.topic, 200, &mut errors);
    if !(1..=200).contains(&body.hours) {
        errors.push(FieldError::with("/hours", ErrorCode::OutOfRange, "学时应为1至200", "hours must be 1 to 200"));
    }
    if errors.is_empty() { Ok(TrainingInput { on_date, topic, hours: body.hours }) } else { Err(errors) }
}

/// Records a training of a leader (XM Art. 21(6): "组织退休人员小组长培训").
pub fn add_training(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    t: TrainingInput,
) -> Result<LeaderResponse, AppError> {
    let (l, path) = visible_leader(conn, caller, id)?;
    let saved = repo::add_training(conn, l.id, t.on_date, &t.topic, t.hours, &caller.login)?;
    persistence::audit::append(conn, &caller.audit("group.leader_training", "leader_training", saved.id, &path))?;
    let community = repo::find_group(conn, l.group_id)?.community_code;
    leader_response(conn, l, &community)
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

/// An insurance status, checked.
#[derive(Debug, Clone)]
pub struct Insurance {
    /// Insured.
    pub insured: bool,
    /// Insurer.
    pub insurer: Option<String>,
    /// Insured until.
    pub insured_until: Option<Date>,
}

/// The checks of an insurance status: the insurer's length, the date, required when insured.
pub fn check_insurance(body: &InsuranceRequest) -> Result<Insurance, Vec<FieldError>> {
    let mut errors = Vec::new();
    let insurer = check_text("/insurer", body.insurer.as_deref(), 100, &mut errors);
    let insured_until =
        body.insured_until.as_deref().and_then(|t| parse_date("/insured_until", t).map_err(|e| errors.push(e)).ok());
    if body.insured && body.insured_until.is_none() {
        errors.push(FieldError::with(
            "/insured_until",
            ErrorCode::Required,
            "已投保须填写保险截止日期",
            "insured needs insured_until",
        ));
    }
    if errors.is_empty() { Ok(Insurance { insured: body.insured, insurer, insured_until }) } else { Err(errors) }
}

/// Sets a leader's accident-insurance status (XM Art. 21(7): "为尚未投保的退休人员小组长购买人身意外险").
pub fn set_insurance(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    i: Insurance,
) -> Result<LeaderResponse, AppError> {
    let (l, path) = visible_leader(conn, caller, id)?;
    let l = repo::set_insurance(conn, l.id, i.insured, i.insurer, i.insured_until)?;
    persistence::audit::append(conn, &caller.audit("group.leader_insurance", "group_leader", l.id, &path))?;
    let community = repo::find_group(conn, l.group_id)?.community_code;
    leader_response(conn, l, &community)
}
