//! Transfers between communities (迁移; JN Art. 22: "一律接收，不得推诿") and out of the city, reductions (减退), visit
//! tasks of new arrivals, and the monthly movement report (GUIDE 交接制度 "按月计报").

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::movement::{self, Movement, ReductionKind, TransferDocument, TransferError, TransferStatus};
use domain::pension::{self as pension_rules, Transition};
use domain::transfer::{self as rules, ActionError, Sides, TransferAction, TransferCase, TransferKind};
use domain::{Level, PensionStatus, Permission, RuleViolation};
use persistence::DbConnection;
use persistence::movement::{self as repo, Reduction, Transfer, TransferChange, VisitTask};
use persistence::pension::NewStatusChange;
use persistence::retirees::{self as people, Retiree};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_text, finish, instant, next_cursor, node_in_scope, ok_with_etag};
use super::pension::{apply_change, illegal, month_text, optional_if_match, parse_month, state_of};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, page};
use crate::state::AppState;

/// A transfer application.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id_number": "350203195501010016", "to_community": "350206001001",
    "documents": ["application_form", "residence_proof", "id_copy"], "applied_on": "2026-05-10"}))]
pub struct CreateTransferRequest {
    /// Within the city: the person's resident ID (the receiving community does not see them yet; never in a URL).
    pub id_number: Option<String>,
    /// Within the city: the receiving community, in the caller's subtree (the retiree applies there, JN Art. 22).
    pub to_community: Option<String>,
    /// Out of the city: the person (in the caller's subtree; the sending side registers the move).
    pub retiree_id: Option<i64>,
    /// Out of the city: where to, 1-100 characters.
    pub destination: Option<String>,
    /// Documents handed in.
    pub documents: Vec<TransferDocument>,
    /// Day applied (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub applied_on: Option<String>,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// A step of a transfer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransferStepResponse {
    /// `applied`, `returned`, `resubmitted`, `released`, `archive_moved`, `party_moved`, `completed`.
    #[schema(example = "released")]
    pub step: String,
    /// Date.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Note.
    pub note: Option<String>,
    /// Who.
    pub operator: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A transfer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransferResponse {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Sending community.
    pub from_community: String,
    /// Receiving community; `null` for a move out of the city.
    pub to_community: Option<String>,
    /// Out of the city: where to.
    pub destination: Option<String>,
    /// Documents handed in.
    pub documents: Vec<TransferDocument>,
    /// Documents still missing.
    pub missing_documents: Vec<TransferDocument>,
    /// Day applied.
    #[schema(value_type = String, format = Date)]
    pub applied_on: Date,
    /// Where it stands.
    pub status: TransferStatus,
    /// Month the person moved (`YYYY-MM`), once completed.
    pub completed_month: Option<String>,
    /// Version (also the ETag).
    pub version: i64,
    /// Steps, oldest first (the archive location and the party relationship move with the person).
    pub steps: Vec<TransferStepResponse>,
}

fn documents_of(t: &Transfer) -> Result<Vec<TransferDocument>, ApiError> {
    Ok(t.documents()?)
}

fn transfer_response(conn: &mut DbConnection, t: Transfer) -> Result<TransferResponse, ApiError> {
    let steps = repo::transfer_steps_of(conn, t.id)?
        .into_iter()
        .map(|s| TransferStepResponse {
            step: s.step,
            on_date: s.on_date,
            note: s.note,
            operator: s.operator,
            created_at: instant(s.created_at),
        })
        .collect();
    let documents = documents_of(&t)?;
    Ok(TransferResponse {
        id: t.id,
        retiree_id: t.retiree_id,
        missing_documents: movement::missing_documents(&documents),
        documents,
        from_community: t.from_community,
        to_community: t.to_community,
        destination: t.destination,
        applied_on: t.applied_on,
        status: t.status,
        completed_month: t.completed_month.map(month_text),
        version: t.version,
        steps,
    })
}

fn rule(e: TransferError) -> ApiError {
    ApiError::conflict(e.code(), e.message_zh(), e.message_en())
}

fn path_of(conn: &mut DbConnection, code: &str) -> Result<String, ApiError> {
    Ok(persistence::jurisdictions::find(conn, code)?.path)
}

/// Which sides of a transfer the caller is on: (sending, receiving). Neither is 404 (JN Art. 22: the two
/// communities and the bodies above them; nobody else below district level).
fn sides(conn: &mut DbConnection, caller: &Caller, t: &Transfer) -> Result<Sides, ApiError> {
    let from = caller.sees(&path_of(conn, &t.from_community)?);
    let to = match &t.to_community {
        Some(code) => caller.sees(&path_of(conn, code)?),
        None => false,
    };
    if !from && !to { Err(ApiError::not_found()) } else { Ok(Sides { sending: from, receiving: to }) }
}

fn documents_text(d: &[TransferDocument]) -> String {
    serde_json::to_string(&d.iter().map(|d| d.as_str()).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

/// Registers a transfer application (JN Art. 22). Within the city the retiree applies at the receiving community:
/// the caller is on the receiving side and names the person by resident ID. A move out of the city is registered
/// by the sending side (`retiree_id`, `destination`). One open transfer per person (409 `transfer_exists`).
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = CreateTransferRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = TransferResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/transfers")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateTransferRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let on = today;
    let mut errors = Vec::new();
    let applied_on = super::common::date_not_after("/applied_on", body.applied_on.as_deref(), on, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    let destination = check_text("/destination", body.destination.as_deref(), 100, &mut errors);
    let out_of_city = body.retiree_id.is_some() || destination.is_some();
    if out_of_city {
        if body.retiree_id.is_none() {
            errors.push(FieldError::new(
                "/retiree_id",
                "required",
                "迁出本市须填写 retiree_id",
                "a move out of the city needs retiree_id",
            ));
        }
        if destination.is_none() {
            errors.push(FieldError::new(
                "/destination",
                "required",
                "迁出本市须填写迁往地",
                "a move out of the city needs destination",
            ));
        }
        if body.id_number.is_some() || body.to_community.is_some() {
            errors.push(FieldError::new(
                "/to_community",
                "not_for_out_of_city",
                "迁出本市不填写 to_community、id_number",
                "to_community and id_number are for moves within the city",
            ));
        }
    } else {
        if body.id_number.is_none() {
            errors.push(FieldError::new(
                "/id_number",
                "required",
                "市内迁移须填写公民身份号码",
                "a move within the city needs id_number",
            ));
        }
        if body.to_community.is_none() {
            errors.push(FieldError::new(
                "/to_community",
                "required",
                "市内迁移须填写转入社区",
                "a move within the city needs to_community",
            ));
        }
    }
    finish(errors)?;
    let fingerprint = crate::idempotency::fingerprint("POST /transfers", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let (retiree, to, audit_path) = if let Some(id) = body.retiree_id {
            let (r, path) = people::find_in_scope(conn, id, &c.scope_path)?;
            (r, None, path)
        } else {
            let to_code = body.to_community.clone().unwrap_or_default();
            let node = node_in_scope(conn, &c, &to_code, "/to_community")?;
            if node.level != Level::Community {
                return Err(ApiError::field(FieldError::new(
                    "/to_community",
                    "not_a_community",
                    "该代码不是社区（村）级区划",
                    "the code is not a community",
                )));
            }
            let idn = domain::IdNumber::parse(body.id_number.as_deref().unwrap_or_default(), on)
                .map_err(|e| ApiError::field(FieldError::rule("/id_number", &e)))?;
            let (r, _) = people::find_by_id_number(conn, idn.as_str(), "/")?.ok_or_else(|| {
                ApiError::field(FieldError::new(
                    "/id_number",
                    "retiree_not_found",
                    "本市未登记该退休人员",
                    "no retiree with this resident ID in the city",
                ))
            })?;
            (r, Some(node.code), node.path)
        };
        let kind = TransferKind::of(to.as_deref());
        let on_roll = repo::on_roll(conn, retiree.id)?;
        let opened = rules::open(kind, &retiree.community_code, to.as_deref(), on_roll).map_err(|e| match e {
            rules::OpenError::SameCommunity => ApiError::field(FieldError::rule("/to_community", &e)),
            rules::OpenError::NotOnRoll => ApiError::conflict(e.code(), e.message_zh(), e.message_en()),
        })?;
        let documents = documents_text(&body.documents);
        let t = repo::create_transfer(
            conn,
            retiree.id,
            &retiree.community_code,
            to.as_deref(),
            destination.as_deref(),
            &documents,
            applied_on,
            &c.login,
        )
        .map_err(|e| match e {
            persistence::RepoError::Unique(_) => ApiError::of(domain::ErrorCode::TransferExists),
            other => other.into(),
        })?;
        repo::add_transfer_step(conn, t.id, (opened.step.as_str(), applied_on, note, &c.login))?;
        let mut entry = c.audit("transfer.apply", "transfer", t.id, &audit_path);
        entry.retiree_id = Some(retiree.id);
        entry.detail =
            Some(serde_json::json!({"from": retiree.community_code, "to": to, "destination": destination}).to_string());
        persistence::audit::append(conn, &entry)?;
        let version = t.version;
        let body = transfer_response(conn, t)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/transfers/{}", body.id),
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

/// Transfers whose sending or receiving community is in the caller's subtree, by id.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(ListQuery),
    responses((status = 200, body = Page<TransferResponse>), crate::openapi::ReadErrors))]
#[get("/transfers")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<TransferResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("tr", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let (items, next) = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        let found = repo::list_transfers(conn, &node.path, after, limit)?;
        let next = next_cursor(&found, limit, "tr", |t| t.id.to_string());
        let mut items = Vec::new();
        for t in found {
            items.push(transfer_response(conn, t)?);
        }
        Ok((items, next))
    })
    .await?;
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One transfer (both sides see it; anybody else below them gets 404). The read is audited.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Transfer id")),
    responses((status = 200, body = TransferResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/transfers/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let body = crate::db::write(&state.pool, move |conn| {
        let t = repo::find_transfer(conn, id)?;
        sides(conn, &c, &t)?;
        // The single view of one person's move is audited, on the caller's own subtree.
        let mut entry = c.audit("transfer.read", "transfer", id, &c.scope_path);
        entry.retiree_id = Some(t.retiree_id);
        persistence::audit::append(conn, &entry)?;
        transfer_response(conn, t)
    })
    .await?;
    let version = body.version;
    Ok(ok_with_etag(&body, version))
}

/// An action on a transfer.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"missing": ["residence_proof"], "note": "请补交居住证明"}))]
pub struct TransferActionRequest {
    /// `return`: the documents missing (only those really missing: naming one the application has, or
    /// returning a complete application, is a refusal: 409 `transfer_cannot_be_refused`).
    pub missing: Option<Vec<TransferDocument>>,
    /// `resubmit`: the documents now handed in.
    pub documents: Option<Vec<TransferDocument>>,
    /// Date (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub on_date: Option<String>,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// The receiving community returns an application for missing information (JN Art. 22: it may not refuse a
/// complete one; that attempt is 409 `transfer_cannot_be_refused`).
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = TransferActionRequest,
    params(("id" = i64, Path, description = "Transfer id"), ("If-Match" = Option<String>, Header, description = "ETag")),
    responses((status = 200, body = TransferResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/transfers/{id}/return")]
pub async fn return_transfer(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<TransferActionRequest>,
) -> Result<HttpResponse, ApiError> {
    act(req, caller, state, path.into_inner(), body.0, Action::Return).await
}

/// The receiving community resubmits a returned application with the documents now handed in.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = TransferActionRequest,
    params(("id" = i64, Path, description = "Transfer id"), ("If-Match" = Option<String>, Header, description = "ETag")),
    responses((status = 200, body = TransferResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/transfers/{id}/resubmit")]
pub async fn resubmit(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<TransferActionRequest>,
) -> Result<HttpResponse, ApiError> {
    act(req, caller, state, path.into_inner(), body.0, Action::Resubmit).await
}

/// The sending community confirms the release of a complete application (409 `transfer_incomplete` otherwise).
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = TransferActionRequest,
    params(("id" = i64, Path, description = "Transfer id"), ("If-Match" = Option<String>, Header, description = "ETag")),
    responses((status = 200, body = TransferResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/transfers/{id}/release")]
pub async fn release(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<TransferActionRequest>,
) -> Result<HttpResponse, ApiError> {
    act(req, caller, state, path.into_inner(), body.0, Action::Release).await
}

/// Completes a released transfer: the person belongs to the receiving community from this month (transferred
/// out of one roll, into the other), the archive location and (for party members) the party relationship move
/// with them (steps), and the receiving community owes a first visit within the month. A move out of the city
/// is completed by the sending side: the pension status becomes `transferred_out`, the person leaves the roll and
/// is flagged for remote certification.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = TransferActionRequest,
    params(("id" = i64, Path, description = "Transfer id"), ("If-Match" = Option<String>, Header, description = "ETag")),
    responses((status = 200, body = TransferResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/transfers/{id}/complete")]
pub async fn complete(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<TransferActionRequest>,
) -> Result<HttpResponse, ApiError> {
    act(req, caller, state, path.into_inner(), body.0, Action::Complete).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Return,
    Resubmit,
    Release,
    Complete,
}

async fn act(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    body: TransferActionRequest,
    action: Action,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let if_match = optional_if_match(&req)?;
    let on = today;
    let mut errors = Vec::new();
    let on_date = super::common::date_not_after("/on_date", body.on_date.as_deref(), on, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    if action == Action::Return && body.missing.as_ref().is_none_or(|m| m.is_empty()) {
        errors.push(FieldError::new(
            "/missing",
            "required",
            "退回须列明缺少的材料",
            "a return names the missing documents",
        ));
    }
    if action == Action::Resubmit && body.documents.is_none() {
        errors.push(FieldError::new(
            "/documents",
            "required",
            "补正须列明现有材料",
            "a resubmission lists the documents",
        ));
    }
    finish(errors)?;
    let c = caller.clone();
    let body = crate::db::write(&state.pool, move |conn| {
        let t = repo::find_transfer(conn, id)?;
        let sides = sides(conn, &c, &t)?;
        let expected = match &if_match {
            Some(m) => m.expect(t.version)?,
            None => t.version,
        };
        let status = t.status;
        let docs = documents_of(&t)?;
        let (retiree, retiree_path) = people::find_in_scope(conn, t.retiree_id, "/")?;
        let missing = body.missing.clone().unwrap_or_default();
        let action = match action {
            Action::Return => TransferAction::Return { missing: &missing },
            Action::Resubmit => TransferAction::Resubmit,
            Action::Release => TransferAction::Release,
            Action::Complete => TransferAction::Complete { on: on_date, party_member: retiree.party_member },
        };
        let case = TransferCase { status, kind: TransferKind::of(t.to_community.as_deref()), documents: &docs };
        let outcome = rules::apply(&case, sides, action).map_err(|e| match e {
            ActionError::NotYourSide => ApiError::forbidden(),
            ActionError::Rule(e) => rule(e),
        })?;
        let step = outcome.step.as_str();
        let mut change = TransferChange::to(outcome.status.as_str());
        match action {
            TransferAction::Return { missing } => change.missing = Some(Some(documents_text(missing))),
            TransferAction::Resubmit => {
                change.documents = Some(documents_text(&body.documents.clone().unwrap_or_default()));
                change.missing = Some(None);
            }
            TransferAction::Release | TransferAction::Complete { .. } => {}
        }
        if let Some(done) = &outcome.completion {
            let month = done.month;
            change.completed_month = Some(month);
            for s in &done.steps {
                repo::add_transfer_step(conn, t.id, (s.as_str(), on_date, None, &c.login))?;
            }
            repo::record(conn, retiree.id, &t.from_community, "transferred_out", month, ("transfer", Some(t.id)))?;
            match (&t.to_community, done.first_visit_due) {
                (Some(to), Some(due)) => {
                    repo::record(conn, retiree.id, to, "transferred_in", month, ("transfer", Some(t.id)))?;
                    repo::relocate(conn, retiree.id, to, true, false)?;
                    repo::open_visit(conn, retiree.id, to, "new_arrival", due, ("transfer", Some(t.id)))?;
                }
                _ => {
                    leave_city(conn, &c, &retiree, &retiree_path, month, &format!("transfer {}", t.id))?;
                    repo::relocate(conn, retiree.id, &t.from_community, false, true)?;
                }
            }
        }
        let updated = repo::change_transfer(conn, &t, expected, &change, (step, on_date, note.clone(), &c.login))
            .map_err(|e| match e {
                persistence::RepoError::VersionMismatch => ApiError::precondition_failed(),
                other => other.into(),
            })?;
        let mut entry = c.audit(&format!("transfer.{step}"), "transfer", id, &retiree_path);
        entry.retiree_id = Some(retiree.id);
        persistence::audit::append(conn, &entry)?;
        transfer_response(conn, updated)
    })
    .await?;
    let version = body.version;
    Ok(ok_with_etag(&body, version))
}

/// The pension of a person moving out of the city becomes `transferred_out` (CS Art. 16(3), 28).
fn leave_city(
    conn: &mut DbConnection,
    c: &Caller,
    retiree: &Retiree,
    path: &str,
    month: Date,
    note: &str,
) -> Result<(), ApiError> {
    let from = state_of(retiree)?;
    let to = pension_rules::transition(from, Transition::TransferOut).map_err(illegal)?;
    let out = PensionStatus::TransferredOut.as_str();
    let change = NewStatusChange::by_person(retiree, out, None, month, &c.login, Some(note.to_owned()));
    apply_change(conn, c, retiree, path, None, to, change)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Reductions

/// A reduction to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "kind": "other", "reason": "转由军休机构管理", "effective_month": "2026-05"}))]
pub struct CreateReductionRequest {
    /// The person.
    pub retiree_id: i64,
    /// `moved_out` or `other`; deaths are reduced by the verification of a death report (409 `death_via_report`).
    pub kind: ReductionKind,
    /// Reason, 1-500 characters.
    pub reason: String,
    /// Month it takes effect (`YYYY-MM`), default this month; the person is not counted from the next month.
    #[schema(example = "2026-05")]
    pub effective_month: Option<String>,
}

/// A reduction.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReductionResponse {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Their community.
    pub community_code: String,
    /// Why.
    pub kind: ReductionKind,
    /// Reason.
    pub reason: String,
    /// Month (`YYYY-MM`).
    pub effective_month: String,
    /// What made it (`reduction`, `death_report`).
    pub source_type: String,
    /// Its id.
    pub source_id: Option<i64>,
    /// Reversed (a death report reversed).
    pub reversed: bool,
    /// Who.
    pub created_by: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn reduction_response(r: Reduction) -> ReductionResponse {
    ReductionResponse {
        id: r.id,
        retiree_id: r.retiree_id,
        community_code: r.community_code,
        kind: r.kind,
        reason: r.reason,
        effective_month: month_text(r.effective_month),
        source_type: r.source_type,
        source_id: r.source_id,
        reversed: r.reversed,
        created_by: r.created_by,
        created_at: instant(r.created_at),
    }
}

/// Takes a person off the rolls (减退; XM Art. 10(2), 11(3)): moved out of the city (the pension becomes
/// `transferred_out`, remote certification) or another reason, with reason and effective month; counted as
/// reduced in that month, not on the roll from the next. Deaths come from the death workflow.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = CreateReductionRequest,
    responses((status = 201, body = ReductionResponse, headers(("Location" = String))), crate::openapi::WriteErrors))]
#[post("/reductions")]
pub async fn reduce(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateReductionRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let this_month = pension_rules::month_of(today);
    let mut errors = Vec::new();
    let reason = super::common::check_name("/reason", &body.reason, 500, &mut errors);
    let month = match body.effective_month.as_deref() {
        Some(m) => parse_month("/effective_month", m).map_err(|e| errors.push(e)).ok(),
        None => Some(this_month),
    };
    if month.is_some_and(|m| m > this_month) {
        errors.push(FieldError::new(
            "/effective_month",
            "month_in_future",
            "生效月份不能晚于本月",
            "the effective month cannot be after this month",
        ));
    }
    finish(errors)?;
    if body.kind == ReductionKind::Death {
        return Err(ApiError::of(domain::ErrorCode::DeathViaReport));
    }
    let month = month.unwrap_or(this_month);
    let c = caller.clone();
    let r = crate::db::write(&state.pool, move |conn| {
        let (retiree, path) = people::find_in_scope(conn, body.retiree_id, &c.scope_path).map_err(|e| match e {
            persistence::RepoError::NotFound => ApiError::field(FieldError::new(
                "/retiree_id",
                "retiree_not_found",
                "退休人员不存在或不在您的管辖范围内",
                "no such retiree in your jurisdiction",
            )),
            other => other.into(),
        })?;
        if !repo::on_roll(conn, retiree.id)? {
            return Err(ApiError::of(domain::ErrorCode::NotOnRoll));
        }
        if body.kind == ReductionKind::MovedOut {
            leave_city(conn, &c, &retiree, &path, month, &reason)?;
            repo::relocate(conn, retiree.id, &retiree.community_code, false, true)?;
        }
        let r = repo::reduce(
            conn,
            retiree.id,
            &retiree.community_code,
            body.kind.as_str(),
            &reason,
            month,
            ("reduction", None),
            &c.login,
        )?;
        let mut entry = c.audit("reduction.create", "reduction", r.id, &path);
        entry.retiree_id = Some(retiree.id);
        entry.detail =
            Some(serde_json::json!({"kind": body.kind.as_str(), "effective_month": month_text(month)}).to_string());
        persistence::audit::append(conn, &entry)?;
        Ok(r)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/reductions/{}", r.id)))
        .json(reduction_response(r)))
}

/// Reductions in the caller's subtree, by id.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(ListQuery),
    responses((status = 200, body = Page<ReductionResponse>), crate::openapi::ReadErrors))]
#[get("/reductions")]
pub async fn list_reductions(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<ReductionResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("rd", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let found = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        Ok(repo::list_reductions(conn, &node.path, after, limit)?)
    })
    .await?;
    let next = next_cursor(&found, limit, "rd", |r| r.id.to_string());
    Ok(web::Json(Page { items: found.into_iter().map(reduction_response).collect(), next_cursor: next }))
}

// ---------------------------------------------------------------------------------------------------------------
// Visit tasks

/// A visit task.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitTaskResponse {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Community that owes the visit.
    pub community_code: String,
    /// `new_arrival`: the first visit within the month of arrival (GUIDE 走访制度); or the visit group whose
    /// interval the task follows (`widowed_childless`, `advanced_age`, …; `POST /visit-tasks/generate`).
    #[schema(example = "new_arrival")]
    pub kind: String,
    /// Due by.
    #[schema(value_type = String, format = Date)]
    pub due_on: Date,
    /// `open` or `done`.
    #[schema(example = "open")]
    pub status: String,
    /// Done on.
    #[schema(value_type = Option<String>, format = Date)]
    pub done_on: Option<Date>,
    /// Done by.
    pub done_by: Option<String>,
    /// Findings.
    pub note: Option<String>,
}

fn visit_response(v: VisitTask) -> VisitTaskResponse {
    VisitTaskResponse {
        id: v.id,
        retiree_id: v.retiree_id,
        community_code: v.community_code,
        kind: v.kind,
        due_on: v.due_on,
        status: v.status,
        done_on: v.done_on,
        done_by: v.done_by,
        note: v.note,
    }
}

/// Filters of the worklist.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitListQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// `new_arrival` (first visit after arrival) or a visit group of the policy (`widowed_childless`,
    /// `advanced_age`, `seriously_ill`, `severe_hardship`, `living_alone`, `disabled`; `POST /visit-tasks/generate`).
    pub kind: Option<String>,
    /// `open` or `done`.
    pub status: Option<String>,
    /// `true`: only open tasks past their due date (today, China time).
    pub overdue: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Visit tasks of the communities in the caller's subtree, by id: first visits of new arrivals (within the month
/// of arrival) and the visits the policy's intervals call for (`POST /visit-tasks/generate`); `overdue=true` is the
/// worklist of open tasks past their due date.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(VisitListQuery),
    responses((status = 200, body = Page<VisitTaskResponse>), crate::openapi::ReadErrors))]
#[get("/visit-tasks")]
pub async fn visit_tasks(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<VisitListQuery>,
) -> Result<web::Json<Page<VisitTaskResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("vt", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let status = super::common::code_filter("status", q.status.as_deref(), &["open", "done"], &mut errors);
    let kinds = super::visits::TASK_KINDS;
    let kind = super::common::code_filter("kind", q.kind.as_deref(), &kinds, &mut errors);
    let overdue = super::common::code_filter("overdue", q.overdue.as_deref(), &["true", "false"], &mut errors)
        .is_some_and(|v| v == "true");
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let today = state.clock.today();
    let found = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        Ok(repo::list_visits(
            conn,
            &node.path,
            kind.as_deref(),
            status.as_deref(),
            overdue.then_some(today),
            after,
            limit,
        )?)
    })
    .await?;
    let next = next_cursor(&found, limit, "vt", |v| v.id.to_string());
    Ok(web::Json(Page { items: found.into_iter().map(visit_response).collect(), next_cursor: next }))
}

/// A visit made.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"on_date": "2026-05-20", "note": "身体健康，已发放联系卡"}))]
pub struct VisitDoneRequest {
    /// Date (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub on_date: Option<String>,
    /// Findings, up to 500 characters.
    pub note: Option<String>,
}

/// Records the visit of a task.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.write"])), request_body = VisitDoneRequest,
    params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, body = VisitTaskResponse), crate::openapi::WriteErrors))]
#[post("/visit-tasks/{id}/done")]
pub async fn visit_done(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<VisitDoneRequest>,
) -> Result<web::Json<VisitTaskResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let id = path.into_inner();
    let on = today;
    let mut errors = Vec::new();
    let on_date = super::common::date_not_after("/on_date", body.0.on_date.as_deref(), on, &mut errors);
    let note = check_text("/note", body.0.note.as_deref(), 500, &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let v = crate::db::write(&state.pool, move |conn| {
        let v = repo::find_visit(conn, id)?;
        let path = path_of(conn, &v.community_code)?;
        if !c.sees(&path) {
            return Err(ApiError::not_found());
        }
        if v.status != "open" {
            return Err(ApiError::of(domain::ErrorCode::VisitDone));
        }
        repo::close_visits(conn, v.retiree_id, &v.kind, Some(id), on_date, &c.login, note)?;
        let mut entry = c.audit("visit.done", "visit_task", id, &path);
        entry.retiree_id = Some(v.retiree_id);
        persistence::audit::append(conn, &entry)?;
        Ok(repo::find_visit(conn, id)?)
    })
    .await?;
    Ok(web::Json(visit_response(v)))
}

// ---------------------------------------------------------------------------------------------------------------
// Monthly movement report

/// Query of the report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementReportQuery {
    /// A node in the caller's subtree (default: the caller's node); rows are its children.
    pub jurisdiction: Option<String>,
    /// Month (`YYYY-MM`), default this month.
    pub month: Option<String>,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"code": "350203001", "name": "厦港街道", "opening": 1200, "registered": 0, "received": 9,
    "transferred_in": 2, "transferred_out": 1, "reduced": 3, "reinstated": 0, "closing": 1207}))]
pub struct MovementRow {
    /// Code of the child (or of the node itself, for people registered on it).
    pub code: String,
    /// Name.
    pub name: String,
    /// On the rolls at the start of the month.
    pub opening: i64,
    /// Registered directly (single creates and imports).
    pub registered: i64,
    /// Received by handover.
    pub received: i64,
    /// Transferred in (from another community; within the node too).
    pub transferred_in: i64,
    /// Transferred out.
    pub transferred_out: i64,
    /// Reduced (died, moved out of the city, other).
    pub reduced: i64,
    /// Reductions reversed (a death report reversed).
    pub reinstated: i64,
    /// On the rolls at the end of the month: opening + registered + received + transferred in + reinstated −
    /// transferred out − reduced.
    pub closing: i64,
}

/// The report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MovementReport {
    /// The node.
    pub jurisdiction: String,
    /// The month (`YYYY-MM`).
    pub month: String,
    /// One row per child, with zeros.
    pub rows: Vec<MovementRow>,
    /// The node: the sum of its rows.
    pub total: MovementRow,
}

fn row(code: &str, name: &str, m: Movement) -> MovementRow {
    MovementRow {
        code: code.to_owned(),
        name: name.to_owned(),
        opening: m.opening,
        registered: m.registered,
        received: m.received,
        transferred_in: m.transferred_in,
        transferred_out: m.transferred_out,
        reduced: m.reduced,
        reinstated: m.reinstated,
        closing: m.closing(),
    }
}

/// The monthly movement report (GUIDE 交接制度 "按月计报"): per child of the node, the opening count, who came
/// (registered, received by handover, transferred in, reinstated) and who went (transferred out, reduced), and the
/// closing count. Every row balances, and the node's total is the sum of its rows, because all of it is counted
/// from one ledger of movements.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(MovementReportQuery),
    responses((status = 200, body = MovementReport), crate::openapi::ReadErrors))]
#[get("/reports/movements")]
pub async fn movement_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<MovementReportQuery>,
) -> Result<web::Json<MovementReport>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let month = match q.month.as_deref() {
        Some(m) => parse_month("month", m).map_err(|e| errors.push(e)).ok(),
        None => Some(pension_rules::month_of(today)),
    };
    finish(errors)?;
    let month = month.unwrap_or_else(|| pension_rules::month_of(today));
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let report = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        let children = persistence::jurisdictions::children(conn, &node.code, None, i64::MAX)?;
        let mut sums: Vec<Movement> = vec![Movement::default(); children.len()];
        let mut own = Movement::default();
        let mut own_used = false;
        for m in repo::counts(conn, &node.path, month)? {
            let slot = match children.iter().position(|ch| m.path.starts_with(&ch.path)) {
                Some(i) => &mut sums[i],
                None => {
                    own_used = true;
                    &mut own
                }
            };
            if m.bucket == "before" {
                slot.opening += Movement::delta(&m.kind).unwrap_or(0) * m.n;
            } else {
                slot.count(&m.kind, m.n);
            }
        }
        let mut rows: Vec<MovementRow> =
            children.iter().zip(&sums).map(|(ch, m)| row(&ch.code, &ch.name, *m)).collect();
        let mut total = sums.iter().fold(Movement::default(), |a, b| a.plus(*b));
        if own_used || children.is_empty() {
            rows.push(row(&node.code, &node.name, own));
            total = total.plus(own);
        }
        Ok(MovementReport {
            jurisdiction: node.code.clone(),
            month: month_text(month),
            rows,
            total: row(&node.code, &node.name, total),
        })
    })
    .await?;
    Ok(web::Json(report))
}
