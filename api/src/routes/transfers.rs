//! Transfers between communities (迁移; JN Art. 22: "一律接收，不得推诿") and out of the city.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::movement::{self, TransferDocument, TransferError, TransferStatus};
use domain::pension::{self as pension_rules, Transition};
use domain::transfer::{self as rules, ActionError, Sides, TransferAction, TransferCase, TransferKind};
use domain::{Level, PensionStatus, Permission, RuleViolation};
use persistence::DbConnection;
use persistence::movement::{self as repo, Transfer, TransferChange};
use persistence::pension::NewStatusChange;
use persistence::retirees::{self as people, Retiree};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, check_text, finish, instant, next_cursor, node_in_scope, ok_with_etag};
use super::pension::{apply_change, illegal, month_text, optional_if_match, state_of};
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

pub(super) use app::scope::path_of;

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
pub(super) fn leave_city(
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
