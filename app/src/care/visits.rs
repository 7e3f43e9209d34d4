//! Visits (走访; GUIDE 走访制度; CS Art. 25(1); JN Art. 31(1)): visit tasks generated from the policy's visit
//! intervals per community, and recorded visits (date, worker, findings, follow-up, a referral for the minimum
//! living allowance), which close the person's open tasks.

use std::collections::{BTreeMap, HashMap, HashSet};

use domain::policy::VisitGroup;
use domain::{ErrorCode, SpecialGroup, care};
use persistence::DbConnection;
use persistence::movement as tasks;
use persistence::visits::{self as repo, NewVisit, Visit};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after};
use crate::policy_book::PolicyBook;
use crate::scope::node_in_scope;

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

/// The day a generation run takes the groups and the policy on: `as_of`, default today, not in the future.
pub fn check_generate(body: &GenerateRequest, today: Date) -> Result<Date, Vec<FieldError>> {
    let mut errors = Vec::new();
    let as_of = date_not_after("/as_of", body.as_of.as_deref(), today, &mut errors);
    if errors.is_empty() { Ok(as_of) } else { Err(errors) }
}

/// Opens the visit tasks the policy calls for in the node `jurisdiction` (in the caller's subtree, else 422
/// `jurisdiction_not_found` on `/jurisdiction`; GUIDE 走访制度; CS Art. 25(1), JN Art. 31(1)). For every person on a
/// roll in a visit group the policy of their community names on `as_of` and without an open task of that group,
/// one task is opened, due the group's interval after the latest visit (a recorded visit or a task done), or after
/// the day the person joined the group when never visited since. A run twice opens nothing twice.
pub fn generate(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: &str,
    as_of: Date,
) -> Result<GenerateResponse, AppError> {
    let node = node_in_scope(conn, caller, jurisdiction, "/jurisdiction")?;
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
    let mut entry = caller.audit("visit_tasks.generate", "jurisdiction", &node.code, &node.path);
    entry.detail = Some(serde_json::json!({"as_of": as_of.to_string(), "created": created}).to_string());
    persistence::audit::append(conn, &entry)?;
    Ok(GenerateResponse { jurisdiction: node.code, as_of, created, by_group })
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

/// The API view of a stored visit.
pub fn visit_response(v: Visit) -> VisitResponse {
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
        created_at: v.created_at.assume_utc(),
    }
}

/// A visit to record, checked.
#[derive(Debug, Clone)]
pub struct VisitInput {
    /// The person.
    pub retiree_id: i64,
    /// Day.
    pub on_date: Date,
    /// Who visited.
    pub worker: String,
    /// Findings.
    pub findings: String,
    /// Follow-up.
    pub follow_up: Option<String>,
    /// Referred for the minimum living allowance, if stated.
    pub dibao_referral: Option<bool>,
}

/// The checks of a visit as of `today`: the day not in the future (default today), the texts' lengths.
pub fn check(body: &CreateVisitRequest, today: Date) -> Result<VisitInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on_date = date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let worker = check_name("/worker", &body.worker, 50, &mut errors);
    let findings = check_name("/findings", &body.findings, 1000, &mut errors);
    let follow_up = check_text("/follow_up", body.follow_up.as_deref(), 500, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(VisitInput {
        retiree_id: body.retiree_id,
        on_date,
        worker,
        findings,
        follow_up,
        dibao_referral: body.dibao_referral,
    })
}

/// Records a visit to a person in the caller's subtree (else 422 `retiree_not_found`; GUIDE 走访制度: "做好走访记录")
/// and closes every open visit task of the person. A visit dated before the person's retirement date is 422
/// `before_retirement` on `/on_date`; a person flagged `severe_hardship` on the day needs `dibao_referral` stated
/// (422 `dibao_referral_required`).
pub fn record(conn: &mut DbConnection, caller: &Caller, input: VisitInput) -> Result<VisitResponse, AppError> {
    let (retiree, path) = super::retiree_in_scope(conn, caller, input.retiree_id)?;
    super::not_before_retirement(&retiree, "/on_date", input.on_date)?;
    let on = input.on_date;
    let hardship = repo::flags_in_force(conn, &path, on)?
        .iter()
        .any(|f| f.retiree_id == retiree.id && f.group_code == SpecialGroup::SevereHardship.as_str());
    if hardship && input.dibao_referral.is_none() {
        return Err(AppError::field(FieldError::of("/dibao_referral", ErrorCode::DibaoReferralRequired)));
    }
    let closed = repo::close_open_tasks(conn, retiree.id, on, &caller.login, &input.findings)?;
    let v = repo::insert_visit(
        conn,
        &NewVisit {
            retiree_id: retiree.id,
            community_code: retiree.community_code.clone(),
            on_date: on,
            worker: input.worker,
            findings: input.findings,
            follow_up: input.follow_up,
            dibao_referral: input.dibao_referral.unwrap_or(false),
            tasks_closed: closed as i64,
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
        },
    )?;
    let mut entry = caller.audit("visit.create", "visit", v.id, &path);
    entry.retiree_id = Some(retiree.id);
    persistence::audit::append(conn, &entry)?;
    Ok(visit_response(v))
}

/// Visits recorded under the node `jurisdiction` (in the caller's subtree, else 422 `jurisdiction_not_found`),
/// optionally of one person, by id after `after`, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: &str,
    retiree_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<VisitResponse>, AppError> {
    let node = node_in_scope(conn, caller, jurisdiction, "jurisdiction")?;
    Ok(repo::list_visits_made(conn, &node.path, retiree_id, after, limit)?.into_iter().map(visit_response).collect())
}

/// A visit with the volunteer services given on it (issue 25; CS Art. 22).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitDetail {
    /// The visit.
    #[serde(flatten)]
    pub visit: VisitResponse,
    /// The volunteer services given on this visit at nodes in the caller's subtree, by id.
    pub volunteer_services: Vec<crate::volunteers::LinkedServiceView>,
}

/// One visit, if its community is in the caller's subtree (else 404), with its volunteer services; the read is
/// audited.
pub fn read(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Audited<VisitDetail>, AppError> {
    let v = repo::find_visit_made(conn, id)?;
    let path = crate::scope::path_of(conn, &v.community_code)?;
    if !caller.sees(&path) {
        return Err(AppError::not_found());
    }
    let mut entry = caller.audit("visit.read", "visit", id, &path);
    entry.retiree_id = Some(v.retiree_id);
    let volunteer_services = crate::volunteers::links::of_visit(conn, caller, id)?;
    Ok(Audited::new(VisitDetail { visit: visit_response(v), volunteer_services }, entry))
}
