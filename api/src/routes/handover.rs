//! Handover of new retirees (移交; GUIDE 交接制度; JN Art. 4, 21; XM Art. 13): an employer's monthly batch, routed to
//! the community of residence (or the employer's community), each item with its steps, accepted or returned;
//! accepted people join the community's roll and get a first-visit task within the month of arrival.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::handover::{self as rules, HandoverAction, HandoverItemStatus};
use domain::movement::{self, ArchiveExemption, HandoverStep, Routing};
use domain::{Level, Permission, RuleViolation};
use persistence::DbConnection;
use persistence::movement::{self as repo, Batch, HandoverStepRow, Item, NewItem};
use persistence::retirees as people;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_text, finish, instant, next_cursor, node_in_scope};
use super::pension::{month_text, parse_month};
use super::retirees::{CreateRetireeRequest, first_validity, validate_new};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, page};
use crate::policy_book::rules_at;
use crate::state::AppState;

/// The employer handing over.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Employer {
    /// Name, 1-100 characters.
    #[schema(example = "厦门港务集团有限公司")]
    pub name: String,
    /// Unified social credit code, 18 characters, if known.
    #[schema(example = "91350200154990617T")]
    pub credit_code: Option<String>,
    /// The community where the employer is registered: the receiving community of those who live outside the
    /// jurisdiction (JN Art. 4, 21).
    #[schema(example = "350203001001")]
    pub community_code: String,
}

/// One new retiree of a batch.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverItemRequest {
    /// The person, as for `POST /retirees`; `community_code` is the community of long-term residence.
    pub retiree: CreateRetireeRequest,
    /// A receiving community other than the one routing proposes.
    #[schema(example = json!(null))]
    pub override_community: Option<String>,
    /// Why (required with `override_community`), up to 200 characters.
    pub override_reason: Option<String>,
}

/// A batch to hand over.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203", "month": "2026-05",
    "employer": {"name": "厦门港务集团有限公司", "credit_code": "91350200154990617T", "community_code": "350203001001"},
    "items": [{"retiree": {"name": "王五", "id_number": "350203196605050017", "retirement_date": "2026-05-01",
      "category": "enterprise_employee", "management_level": "city_managed", "community_code": "350203001004",
      "monthly_pension": "4200.00", "party_member": true}}]}))]
pub struct CreateBatchRequest {
    /// The node handed to (a district or street in the caller's subtree); default the caller's node.
    #[schema(example = "350203")]
    pub jurisdiction: Option<String>,
    /// Month of the handover (`YYYY-MM`; XM Art. 13: monthly).
    #[schema(example = "2026-05")]
    pub month: String,
    /// The employer.
    pub employer: Employer,
    /// The new retirees, 1-1,000.
    pub items: Vec<HandoverItemRequest>,
}

/// A step of an item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = HandoverStepResponse)]
pub struct StepResponse {
    /// Which.
    pub step: HandoverStep,
    /// Date.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Details (volumes, completeness, exemption, at home, note).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Who.
    pub operator: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemResponse {
    /// Id.
    pub id: i64,
    /// Position in the batch, from 1.
    pub seq: i32,
    /// Name.
    pub name: String,
    /// Party member (the party relationship is transferred).
    pub party_member: bool,
    /// Community of residence as handed over.
    pub residence_community: Option<String>,
    /// Proposed by routing.
    pub proposed_community: String,
    /// `residence`, `employer` or `override`.
    #[schema(example = "residence")]
    pub routing: String,
    /// The receiving community.
    pub community_code: String,
    /// Why routing was overridden.
    pub override_reason: Option<String>,
    /// `pending`, `accepted` or `returned`.
    #[schema(example = "pending")]
    pub status: String,
    /// Why returned.
    pub return_reason: Option<String>,
    /// The retiree registered on acceptance.
    pub retiree_id: Option<i64>,
    /// Steps, oldest first.
    pub steps: Vec<StepResponse>,
}

/// Progress of a batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    /// Items.
    pub items: i64,
    /// Not settled yet.
    pub pending: i64,
    /// Accepted.
    pub accepted: i64,
    /// Returned.
    pub returned: i64,
}

/// A batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchResponse {
    /// Id.
    pub id: i64,
    /// The employer.
    pub employer: Employer,
    /// Month (`YYYY-MM`).
    pub month: String,
    /// Node handed to.
    pub jurisdiction: String,
    /// `open` until every item is settled, then `closed`.
    #[schema(example = "open")]
    pub status: String,
    /// Progress.
    pub progress: Progress,
    /// Items in order.
    pub items: Vec<ItemResponse>,
    /// Who submitted it.
    pub created_by: String,
    /// Submitted.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Closed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

fn batch_response(b: Batch, items: Vec<Item>, steps: Vec<HandoverStepRow>) -> Result<BatchResponse, ApiError> {
    let count = |s: &str| items.iter().filter(|i| i.status == s).count() as i64;
    let progress = Progress {
        items: items.len() as i64,
        pending: count(HandoverItemStatus::Pending.as_str()),
        accepted: count(HandoverItemStatus::Accepted.as_str()),
        returned: count(HandoverItemStatus::Returned.as_str()),
    };
    let mut details = Vec::with_capacity(steps.len());
    for s in &steps {
        details.push(s.detail_json()?);
    }
    let items = items
        .into_iter()
        .map(|i| ItemResponse {
            steps: steps
                .iter()
                .zip(&details)
                .filter(|(s, _)| s.item_id == i.id)
                .map(|(s, detail)| StepResponse {
                    step: s.step,
                    on_date: s.on_date,
                    detail: detail.clone(),
                    operator: s.operator.clone(),
                    created_at: instant(s.created_at),
                })
                .collect(),
            id: i.id,
            seq: i.seq,
            name: i.name,
            party_member: i.party_member,
            residence_community: i.residence_community,
            proposed_community: i.proposed_community,
            routing: i.routing,
            community_code: i.community_code,
            override_reason: i.override_reason,
            status: i.status,
            return_reason: i.return_reason,
            retiree_id: i.retiree_id,
        })
        .collect();
    Ok(BatchResponse {
        id: b.id,
        employer: Employer {
            name: b.employer_name,
            credit_code: b.employer_credit_code,
            community_code: b.employer_community,
        },
        month: month_text(b.month),
        jurisdiction: b.jurisdiction_code,
        status: b.status,
        progress,
        items,
        created_by: b.created_by,
        created_at: instant(b.created_at),
        closed_at: b.closed_at.map(instant),
    })
}

fn load(conn: &mut DbConnection, b: Batch) -> Result<BatchResponse, ApiError> {
    let items = repo::items_of(conn, b.id)?;
    let steps = repo::steps_of_batch(conn, b.id)?;
    batch_response(b, items, steps)
}

/// The community node with `code` if it is a community under `scope_path`.
fn community_under(conn: &mut DbConnection, code: &str, scope_path: &str) -> Option<String> {
    persistence::jurisdictions::find(conn, code)
        .ok()
        .filter(|n| n.level == Level::Community && n.path.starts_with(scope_path))
        .map(|n| n.path)
}

/// Submits a monthly batch of new retirees (GUIDE 交接制度; XM Art. 13). Every item is checked as a single create
/// would be (`POST /retirees`), after routing: to the community of residence when it lies in the node handed to
/// (JN Art. 21(1)), else to the employer's registered community (JN Art. 4); `override_community` with a reason
/// overrides. All or nothing: any bad item is 422 naming `/items/N/…`. Nobody is registered yet: each item is
/// accepted (or returned) by the receiving side.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.import", "retiree.read"])), request_body = CreateBatchRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = BatchResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/handover-batches")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateBatchRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeImport)?;
    caller.require(Permission::RetireeRead)?;
    let today = state.clock.today();
    let body = body.0;
    let fingerprint = crate::idempotency::fingerprint("POST /handover-batches", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let mut errors = Vec::new();
    let month = parse_month("/month", &body.month).map_err(|e| errors.push(e)).ok();
    let employer_name = super::common::check_name("/employer/name", &body.employer.name, 100, &mut errors);
    let credit = check_text("/employer/credit_code", body.employer.credit_code.as_deref(), 18, &mut errors);
    if body.items.is_empty() || body.items.len() > 1000 {
        errors.push(FieldError::new(
            "/items",
            "item_count",
            "items 应为1至1000项",
            "items must hold 1 to 1,000 entries",
        ));
    }
    finish(errors)?;
    let month = month.ok_or_else(|| ApiError::internal("month checked above"))?;
    let code = body.jurisdiction.clone().unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let node = node_in_scope(conn, &c, &code, "/jurisdiction")?;
        let employer_community = body.employer.community_code.trim().to_owned();
        if community_under(conn, &employer_community, &node.path).is_none() {
            return Err(ApiError::field(FieldError::new(
                "/employer/community_code",
                "community_not_found",
                "用人单位注册地社区不在移交区域内",
                "the employer's community is not a community of the node handed to",
            )));
        }
        let mut errors = Vec::new();
        let mut items = Vec::with_capacity(body.items.len());
        let mut seen = std::collections::HashSet::new();
        for (i, item) in body.items.into_iter().enumerate() {
            let at = |f: &str| format!("/items/{i}{f}");
            let residence = item.retiree.community_code.trim().to_owned();
            // The community of residence is kept as sent (it may lie outside the node handed to), so it must at
            // least be a community code.
            if domain::JurisdictionCode::parse_at(&residence, domain::Level::Community).is_err() {
                errors.push(FieldError::new(
                    at("/retiree/community_code"),
                    "community_code_format",
                    "社区代码应为12位数字",
                    "community_code must be a 12-digit community code",
                ));
                continue;
            }
            let in_scope = community_under(conn, &residence, &node.path).is_some();
            let (proposed, mut routing) = movement::route(Some(&residence), in_scope, &employer_community);
            let reason = check_text(&at("/override_reason"), item.override_reason.as_deref(), 200, &mut errors);
            let mut target = proposed.clone();
            if let Some(o) = item.override_community.as_deref().map(str::trim).filter(|o| *o != proposed) {
                if reason.is_none() {
                    errors.push(FieldError::new(
                        at("/override_reason"),
                        "reason_required",
                        "改变接收社区须写明理由",
                        "overriding the routing needs a reason",
                    ));
                }
                if community_under(conn, o, &node.path).is_none() {
                    errors.push(FieldError::new(
                        at("/override_community"),
                        "community_not_found",
                        "接收社区不在移交区域内",
                        "no such community in the node handed to",
                    ));
                }
                target = o.to_owned();
                routing = Routing::Override;
            }
            let mut person = serde_json::to_value(&item.retiree).map_err(ApiError::internal)?;
            person["community_code"] = serde_json::Value::String(target.clone());
            let request: CreateRetireeRequest = serde_json::from_value(person.clone()).map_err(ApiError::internal)?;
            match validate_new(request, today) {
                Ok((data, _)) => {
                    if !seen.insert(data.id_number.clone()) {
                        errors.push(FieldError::new(
                            at("/retiree/id_number"),
                            "duplicate_in_batch",
                            "同一批次中公民身份号码重复",
                            "the resident ID appears twice in the batch",
                        ));
                    } else if people::find_by_id_number(conn, &data.id_number, "/")?.is_some() {
                        errors.push(FieldError::new(
                            at("/retiree/id_number"),
                            "id_number_taken",
                            "该公民身份号码已登记",
                            "a retiree with this resident ID is registered already",
                        ));
                    }
                    items.push(NewItem {
                        seq: i32::try_from(i + 1).unwrap_or(i32::MAX),
                        name: data.name.clone(),
                        id_number: data.id_number.clone(),
                        party_member: data.party_member,
                        payload: person.to_string(),
                        residence_community: Some(residence),
                        proposed_community: proposed,
                        routing: routing.as_str().to_owned(),
                        community_code: target,
                        override_reason: reason.filter(|_| routing == Routing::Override),
                        status: HandoverItemStatus::Pending.as_str().to_owned(),
                    })
                }
                Err(errs) => errors.extend(errs.into_iter().map(|mut e| {
                    e.field = at(&format!("/retiree{}", e.field));
                    e
                })),
            }
        }
        finish(errors)?;
        let id = repo::create_batch(
            conn,
            (&employer_name, credit.as_deref(), &employer_community),
            month,
            &node.code,
            &node.path,
            &c.login,
            &items,
        )?;
        let mut entry = c.audit("handover.submit", "handover_batch", id, &node.path);
        entry.detail = Some(
            serde_json::json!({"employer": employer_name, "items": items.len(), "month": month_text(month)})
                .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        let batch = repo::find_batch(conn, id)?;
        let body = load(conn, batch)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/handover-batches/{id}"),
            version: 1,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchListQuery {
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The batch if it was handed to a node the caller sees, or holds an item for a community the caller sees.
fn visible(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Batch, ApiError> {
    let b = repo::find_batch(conn, id)?;
    if caller.sees(&b.scope_path) {
        return Ok(b);
    }
    for item in repo::items_of(conn, id)? {
        if let Ok(n) = persistence::jurisdictions::find(conn, &item.community_code)
            && caller.sees(&n.path)
        {
            return Ok(b);
        }
    }
    Err(ApiError::not_found())
}

/// Batches handed to nodes in the caller's subtree, newest first.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(BatchListQuery),
    responses((status = 200, body = Page<BatchResponse>), crate::openapi::ReadErrors))]
#[get("/handover-batches")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<BatchListQuery>,
) -> Result<web::Json<Page<BatchResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let mut errors = Vec::new();
    let (limit, before) = page::<i64>("hb", query.limit.as_deref(), query.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let scope = caller.scope_path.clone();
    let (items, next) = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let found = repo::list_batches(conn, &scope, before, limit)?;
        let next = next_cursor(&found, limit, "hb", |b| b.id.to_string());
        let mut items = Vec::new();
        for b in found {
            items.push(load(conn, b)?);
        }
        Ok((items, next))
    })
    .await?;
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One batch with its items and their steps.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, body = BatchResponse), crate::openapi::ReadErrors))]
#[get("/handover-batches/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<BatchResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let body = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let b = visible(conn, &c, id)?;
        load(conn, b)
    })
    .await?;
    Ok(web::Json(body))
}

/// A step to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = HandoverStepRequest, example = json!({"step": "archive_received", "on_date": "2026-05-06", "volumes": 3, "complete": true}))]
pub struct StepRequest {
    /// Which step.
    pub step: HandoverStep,
    /// Date (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub on_date: Option<String>,
    /// `archive_received`: volumes received (0-99).
    pub volumes: Option<u8>,
    /// `archive_received`: whether the archive is complete.
    pub complete: Option<bool>,
    /// `archive_received`: why no archive is handed over instead (JN Art. 21(4)).
    pub exemption: Option<ArchiveExemption>,
    /// `reported`: received at home, for those who cannot come (JN Art. 21(1)).
    pub at_home: Option<bool>,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// The item if its batch is visible and its receiving community is in the caller's subtree (or the batch was
/// handed to the caller's node); with the community's path.
/// The 409 of a refused action on an item, with its code.
fn rule(e: rules::HandoverError) -> ApiError {
    ApiError::conflict(e.code(), e.message_zh(), e.message_en())
}

/// The outcome of `action` on `item` (GUIDE 交接制度; JN Art. 21).
fn decide(item: &Item, action: HandoverAction) -> Result<HandoverItemStatus, ApiError> {
    let status = HandoverItemStatus::parse(&item.status).ok_or_else(|| ApiError::internal("unknown item status"))?;
    rules::apply(status, action).map_err(rule)
}

fn item_in_scope(
    conn: &mut DbConnection,
    caller: &Caller,
    batch_id: i64,
    item_id: i64,
) -> Result<(Batch, Item, String), ApiError> {
    let b = visible(conn, caller, batch_id)?;
    let item = repo::find_item(conn, batch_id, item_id)?;
    let node = persistence::jurisdictions::find(conn, &item.community_code)?;
    if !caller.sees(&node.path) && !caller.sees(&b.scope_path) {
        return Err(ApiError::not_found());
    }
    Ok((b, item, node.path))
}

/// Records a step of a handed-over person (GUIDE 交接制度; JN Art. 21): information collected, archive received
/// (volumes and completeness, or an exemption), party relationship transferred (party members only, else 409
/// `not_a_party_member`), agreement signed, reported (or received at home), first visit (closes the first-visit
/// task).
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = StepRequest,
    params(("id" = i64, Path, description = "Batch id"), ("item_id" = i64, Path, description = "Item id")),
    responses((status = 200, body = BatchResponse), crate::openapi::WriteErrors))]
#[post("/handover-batches/{id}/items/{item_id}/steps")]
pub async fn add_step(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: Json<StepRequest>,
) -> Result<web::Json<BatchResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let (batch_id, item_id) = path.into_inner();
    let body = body.0;
    let on = today;
    let mut errors = Vec::new();
    let on_date = super::common::date_not_after("/on_date", body.on_date.as_deref(), on, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    let archive = body.step == HandoverStep::ArchiveReceived;
    if !archive && (body.volumes.is_some() || body.complete.is_some() || body.exemption.is_some()) {
        errors.push(FieldError::new(
            "/volumes",
            "not_for_step",
            "volumes、complete、exemption 只用于档案移交",
            "volumes, complete and exemption belong to archive_received",
        ));
    }
    if archive && body.exemption.is_none() && (body.volumes.is_none() || body.complete.is_none()) {
        errors.push(FieldError::new(
            "/volumes",
            "required_for_step",
            "档案移交须填写卷数和是否齐全，或免交理由",
            "archive_received needs volumes and complete, or an exemption",
        ));
    }
    if body.volumes.is_some_and(|v| v > 99) {
        errors.push(FieldError::new("/volumes", "out_of_range", "卷数应为0至99", "volumes must be 0 to 99"));
    }
    if body.at_home.is_some() && body.step != HandoverStep::Reported {
        errors.push(FieldError::new("/at_home", "not_for_step", "at_home 只用于报到", "at_home belongs to reported"));
    }
    finish(errors)?;
    let c = caller.clone();
    let answer = crate::db::write(&state.pool, move |conn| {
        let (b, item, path) = item_in_scope(conn, &c, batch_id, item_id)?;
        decide(&item, HandoverAction::Step { step: body.step, party_member: item.party_member })?;
        let detail = serde_json::json!({"volumes": body.volumes, "complete": body.complete,
            "exemption": body.exemption.map(|e| e.as_str()), "at_home": body.at_home, "note": note});
        repo::add_step(conn, item_id, body.step.as_str(), on_date, Some(detail.to_string()), &c.login)?;
        if rules::closes_first_visit(body.step)
            && let Some(rid) = item.retiree_id
        {
            repo::close_visits(conn, rid, "new_arrival", None, on_date, &c.login, note.clone())?;
        }
        let mut entry = c.audit("handover.step", "handover_item", item_id, &path);
        entry.retiree_id = item.retiree_id;
        entry.detail = Some(serde_json::json!({"batch_id": batch_id, "step": body.step.as_str()}).to_string());
        persistence::audit::append(conn, &entry)?;
        load(conn, b)
    })
    .await?;
    Ok(web::Json(answer))
}

/// An acceptance.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"received_on": "2026-05-12"}))]
pub struct AcceptRequest {
    /// Day the person was received (YYYY-MM-DD), default today; not in the future, not before the batch's month.
    #[schema(format = Date, example = "2026-05-12")]
    pub received_on: Option<String>,
}

/// Accepts a handed-over person (GUIDE 交接制度): the retiree is registered in the receiving community, checked
/// again as a single create; they join its roll in the month received (`received` in the movement report) and get
/// a first-visit task due by the end of that month (GUIDE 走访制度: "当月内"). When no item is left pending the batch
/// closes.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = AcceptRequest,
    params(("id" = i64, Path, description = "Batch id"), ("item_id" = i64, Path, description = "Item id")),
    responses((status = 200, body = BatchResponse), crate::openapi::WriteErrors))]
#[post("/handover-batches/{id}/items/{item_id}/accept")]
pub async fn accept(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: Json<AcceptRequest>,
) -> Result<web::Json<BatchResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let (batch_id, item_id) = path.into_inner();
    let on = today;
    let mut errors = Vec::new();
    let received_on = super::common::date_not_after("/received_on", body.0.received_on.as_deref(), on, &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let answer = crate::db::write(&state.pool, move |conn| {
        let (b, item, path) = item_in_scope(conn, &c, batch_id, item_id)?;
        let accepted = decide(&item, HandoverAction::Accept)?;
        if persistence::movement::month_of(received_on) < b.month {
            return Err(ApiError::field(FieldError::new(
                "/received_on",
                "before_batch_month",
                "接收日期不能早于移交月份",
                "the day received cannot be before the batch's month",
            )));
        }
        let request: CreateRetireeRequest = serde_json::from_str(&item.payload).map_err(ApiError::internal)?;
        let (mut data, flags) = validate_new(request, on).map_err(ApiError::validation)?;
        data.certified_until = first_validity(on, rules_at(conn, &path, on)?);
        let source = ("handover", Some(item_id));
        let retiree = people::create_as(conn, &data, &flags, "received", received_on, source).map_err(|e| match e {
            persistence::RepoError::Unique(_) => ApiError::of(domain::ErrorCode::IdNumberTaken),
            other => other.into(),
        })?;
        repo::settle_item(conn, &item, accepted.as_str(), Some(retiree.id), None, &c.login).map_err(settled)?;
        repo::open_visit(
            conn,
            retiree.id,
            &retiree.community_code,
            "new_arrival",
            movement::month_end(received_on),
            ("handover", Some(item_id)),
        )?;
        let mut entry = c.audit("handover.accept", "handover_item", item_id, &path);
        entry.retiree_id = Some(retiree.id);
        entry.detail =
            Some(serde_json::json!({"batch_id": batch_id, "community_code": retiree.community_code}).to_string());
        persistence::audit::append(conn, &entry)?;
        let b = repo::find_batch(conn, b.id)?;
        load(conn, b)
    })
    .await?;
    Ok(web::Json(answer))
}

fn settled(e: persistence::RepoError) -> ApiError {
    match e {
        persistence::RepoError::VersionMismatch => rule(rules::HandoverError::ItemSettled),
        other => other.into(),
    }
}

/// Why an item goes back.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "人事档案缺少退休审批表"}))]
pub struct ReturnRequest {
    /// Reason, 1-500 characters.
    pub reason: String,
}

/// Returns a handed-over person to the employer with a reason; nobody is registered. When no item is left pending
/// the batch closes.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = ReturnRequest,
    params(("id" = i64, Path, description = "Batch id"), ("item_id" = i64, Path, description = "Item id")),
    responses((status = 200, body = BatchResponse), crate::openapi::WriteErrors))]
#[post("/handover-batches/{id}/items/{item_id}/return")]
pub async fn return_item(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: Json<ReturnRequest>,
) -> Result<web::Json<BatchResponse>, ApiError> {
    caller.require(Permission::RetireeWrite)?;
    let (batch_id, item_id) = path.into_inner();
    let mut errors = Vec::new();
    let reason = super::common::check_name("/reason", &body.0.reason, 500, &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let answer = crate::db::write(&state.pool, move |conn| {
        let (b, item, path) = item_in_scope(conn, &c, batch_id, item_id)?;
        let returned = decide(&item, HandoverAction::Return)?;
        repo::settle_item(conn, &item, returned.as_str(), None, Some(&reason), &c.login).map_err(settled)?;
        let mut entry = c.audit("handover.return", "handover_item", item_id, &path);
        entry.detail = Some(serde_json::json!({"batch_id": batch_id, "reason": reason}).to_string());
        persistence::audit::append(conn, &entry)?;
        let b = repo::find_batch(conn, b.id)?;
        load(conn, b)
    })
    .await?;
    Ok(web::Json(answer))
}
