//! Visits (走访; GUIDE 走访制度; CS Art. 25(1); JN Art. 31(1)): visit tasks generated from the policy's visit
//! intervals per community, recorded visits (date, worker, findings, follow-up, a referral for the minimum living
//! allowance), which close the person's open tasks. The overdue worklist is `GET /visit-tasks?overdue=true`.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::policy::VisitGroup;
use domain::{Permission, SpecialGroup, care};
use persistence::movement as tasks;
use persistence::retirees as people;
use persistence::visits::{self as repo, NewVisit, Visit};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_name, check_text, finish, instant, next_cursor, node_in_scope};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, page};
use crate::policy_book::PolicyBook;
use crate::state::AppState;

/// The kinds of visit task: the first visit of a new arrival, and the visit groups with an interval.
pub const TASK_KINDS: [&str; 7] = [
    "new_arrival",
    "widowed_childless",
    "advanced_age",
    "seriously_ill",
    "severe_hardship",
    "living_alone",
    "disabled",
];

/// The visit groups generated here, with the special-group flag that puts a person in them (`None`: advanced age,
/// from the birth date and the policy age). New arrivals get their task on arrival (handover, transfer);
/// retirees living elsewhere are off the rolls (moved out of the city) and contacted by the new place.
const RULE_GROUPS: [(VisitGroup, Option<SpecialGroup>); 6] = [
    (VisitGroup::WidowedChildless, Some(SpecialGroup::WidowedChildless)),
    (VisitGroup::AdvancedAge, None),
    (VisitGroup::SeriouslyIll, Some(SpecialGroup::SeriouslyIll)),
    (VisitGroup::SevereHardship, Some(SpecialGroup::SevereHardship)),
    (VisitGroup::LivingAlone, Some(SpecialGroup::LivingAlone)),
    (VisitGroup::Disabled, Some(SpecialGroup::Disabled)),
];

/// A generation run.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203001", "as_of": "2026-12-01"}))]
pub struct GenerateRequest {
    /// A node in the caller's subtree.
    pub jurisdiction: String,
    /// Day the groups and the policy are taken on (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub as_of: Option<String>,
}

/// What a run created.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"jurisdiction": "350203001", "as_of": "2026-12-01", "created": 3,
    "by_group": {"advanced_age": 2, "widowed_childless": 1}}))]
pub struct GenerateResponse {
    /// The node.
    pub jurisdiction: String,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub as_of: Date,
    /// Tasks opened.
    pub created: i64,
    /// Tasks opened per visit group.
    pub by_group: BTreeMap<String, i64>,
}

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
    let mut errors = Vec::new();
    let as_of = super::common::date_not_after("/as_of", body.as_of.as_deref(), today, &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let out = crate::db::write(&state.pool, move |conn| {
        let node = node_in_scope(conn, &c, &body.jurisdiction, "/jurisdiction")?;
        let book = PolicyBook::load(conn, as_of)?;
        let mut flags: HashMap<(i64, String), Date> = HashMap::new();
        for f in repo::flags_in_force(conn, &node.path, as_of)? {
            let slot = flags.entry((f.retiree_id, f.group_code)).or_insert(f.from_date);
            *slot = (*slot).min(f.from_date);
        }
        let open: HashSet<(i64, String)> = repo::open_task_kinds(conn, &node.path)?.into_iter().collect();
        let mut by_group: BTreeMap<String, i64> = BTreeMap::new();
        let mut created = 0;
        for p in repo::visit_candidates(conn, &node.path)? {
            let policy = book.at(&p.path);
            let age_threshold = i32::try_from(policy.advanced_age_years.value).unwrap_or(i32::MAX);
            for (group, flag) in RULE_GROUPS {
                let Some(interval) = policy.visit_interval(group) else { continue };
                let joined = match flag {
                    Some(f) => flags.get(&(p.id, f.as_str().to_owned())).copied(),
                    None => (domain::age_on(p.birth_date, as_of) >= age_threshold)
                        .then(|| domain::day_turning(p.birth_date, age_threshold)),
                };
                let Some(joined) = joined else { continue };
                if open.contains(&(p.id, group.as_str().to_owned())) {
                    continue;
                }
                let since = p.last_visit.map_or(joined, |v| v.max(joined));
                let due = care::next_visit_due(since, interval);
                tasks::open_visit(conn, p.id, &p.community_code, group.as_str(), due, ("visit_rule", None))?;
                *by_group.entry(group.as_str().to_owned()).or_default() += 1;
                created += 1;
            }
        }
        let mut entry = c.audit("visit_tasks.generate", "jurisdiction", &node.code, &node.path);
        entry.detail = Some(serde_json::json!({"as_of": as_of.to_string(), "created": created}).to_string());
        persistence::audit::append(conn, &entry)?;
        Ok(GenerateResponse { jurisdiction: node.code, as_of, created, by_group })
    })
    .await?;
    Ok(web::Json(out))
}

/// A visit to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "on_date": "2026-11-20", "worker": "王丽", "findings": "独居，行动不便",
    "follow_up": "联系志愿者每周送餐", "dibao_referral": false}))]
pub struct CreateVisitRequest {
    /// The person, in the caller's subtree.
    pub retiree_id: i64,
    /// Day (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub on_date: Option<String>,
    /// Who visited, 1-50 characters.
    pub worker: String,
    /// Findings, 1-1000 characters.
    pub findings: String,
    /// Follow-up agreed, up to 500 characters.
    pub follow_up: Option<String>,
    /// Referred for the minimum living allowance (低保; GUIDE 走访制度: families in sudden hardship are helped to
    /// apply). Required for a person in the `severe_hardship` group.
    pub dibao_referral: Option<bool>,
}

/// A visit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitResponse {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Community.
    pub community_code: String,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Who visited.
    pub worker: String,
    /// Findings.
    pub findings: String,
    /// Follow-up.
    pub follow_up: Option<String>,
    /// Referred for the minimum living allowance.
    pub dibao_referral: bool,
    /// Open visit tasks of the person this visit closed.
    pub tasks_closed: i64,
    /// Who recorded it.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn response(v: Visit) -> VisitResponse {
    VisitResponse {
        id: v.id,
        retiree_id: v.retiree_id,
        community_code: v.community_code,
        on_date: v.on_date,
        worker: v.worker,
        findings: v.findings,
        follow_up: v.follow_up,
        dibao_referral: v.dibao_referral,
        tasks_closed: v.tasks_closed,
        created_by: v.created_by,
        created_at: instant(v.created_at),
    }
}

/// Records a visit (GUIDE 走访制度: "做好走访记录"): date, worker, findings, follow-up. It closes every open visit
/// task of the person (new arrival and interval tasks alike). A person flagged `severe_hardship` needs
/// `dibao_referral` stated (422 `dibao_referral_required`).
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
    let mut errors = Vec::new();
    let on = super::common::date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let worker = check_name("/worker", &body.worker, 50, &mut errors);
    let findings = check_name("/findings", &body.findings, 1000, &mut errors);
    let follow_up = check_text("/follow_up", body.follow_up.as_deref(), 500, &mut errors);
    finish(errors)?;
    let fingerprint = crate::idempotency::fingerprint("POST /visits", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let (retiree, path) = people::find_in_scope(conn, body.retiree_id, &c.scope_path).map_err(|e| match e {
            persistence::RepoError::NotFound => ApiError::field(FieldError::new(
                "/retiree_id",
                "retiree_not_found",
                "退休人员不存在或不在您的管辖范围内",
                "no such retiree in your jurisdiction",
            )),
            other => other.into(),
        })?;
        let hardship = repo::flags_in_force(conn, &path, on)?
            .iter()
            .any(|f| f.retiree_id == retiree.id && f.group_code == SpecialGroup::SevereHardship.as_str());
        if hardship && body.dibao_referral.is_none() {
            return Err(ApiError::field(FieldError::new(
                "/dibao_referral",
                "dibao_referral_required",
                "特困人员走访须注明是否协助申请最低生活保障",
                "a visit to a family in hardship states whether it was referred for the minimum living allowance",
            )));
        }
        let closed = repo::close_open_tasks(conn, retiree.id, on, &c.login, &findings)?;
        let v = repo::insert_visit(
            conn,
            &NewVisit {
                retiree_id: retiree.id,
                community_code: retiree.community_code.clone(),
                on_date: on,
                worker,
                findings,
                follow_up,
                dibao_referral: body.dibao_referral.unwrap_or(false),
                tasks_closed: closed as i64,
                created_by: c.login.clone(),
                created_at: persistence::now_utc(),
            },
        )?;
        let mut entry = c.audit("visit.create", "visit", v.id, &path);
        entry.retiree_id = Some(retiree.id);
        persistence::audit::append(conn, &entry)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/visits/{}", v.id),
            version: 1,
            body: serde_json::to_value(response(v)).map_err(ApiError::internal)?,
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
    let c = caller.clone();
    let found = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        Ok(repo::list_visits_made(conn, &node.path, q.retiree_id, after, limit)?)
    })
    .await?;
    let next = next_cursor(&found, limit, "vi", |v| v.id.to_string());
    Ok(web::Json(Page { items: found.into_iter().map(response).collect(), next_cursor: next }))
}

/// One visit (the read of one person's record is audited).
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Visit id")),
    responses((status = 200, body = VisitResponse), crate::openapi::ReadErrors))]
#[get("/visits/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<VisitResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let v = crate::db::write(&state.pool, move |conn| {
        let v = repo::find_visit_made(conn, id)?;
        let node = persistence::jurisdictions::find(conn, &v.community_code)?;
        if !c.sees(&node.path) {
            return Err(ApiError::not_found());
        }
        let mut entry = c.audit("visit.read", "visit", id, &node.path);
        entry.retiree_id = Some(v.retiree_id);
        persistence::audit::append(conn, &entry)?;
        Ok(v)
    })
    .await?;
    Ok(web::Json(response(v)))
}
