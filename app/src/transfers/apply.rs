//! A transfer application (JN Art. 22): within the city the retiree applies at the receiving community, which
//! names the person by resident ID; a move out of the city is registered by the sending side.

use domain::transfer::{self as rules, TransferDocument, TransferKind};
use domain::{ErrorCode, Level, RuleViolation};
use persistence::DbConnection;
use persistence::movement::{self as repo};
use persistence::retirees::{self as people};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{TransferResponse, documents_text, transfer_response};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_text, date_not_after};
use crate::scope::node_in_scope;

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

/// An application, checked.
#[derive(Debug, Clone)]
pub enum Application {
    /// Within the city: the person by resident ID, to a community.
    WithinCity {
        /// Resident ID as sent.
        id_number: String,
        /// The receiving community.
        to_community: String,
        /// Documents handed in.
        documents: Vec<TransferDocument>,
        /// Day applied.
        applied_on: Date,
        /// Note.
        note: Option<String>,
    },
    /// Out of the city: the person by id, to a destination.
    OutOfCity {
        /// The person.
        retiree_id: i64,
        /// Where to.
        destination: String,
        /// Documents handed in.
        documents: Vec<TransferDocument>,
        /// Day applied.
        applied_on: Date,
        /// Note.
        note: Option<String>,
    },
}

/// The checks of an application as of `today`: the day applied not in the future, the texts' lengths, and the
/// fields of the one kind of move (out of the city with `retiree_id` and `destination`, within it with
/// `id_number` and `to_community`). Every broken rule is reported at once.
pub fn check(body: CreateTransferRequest, today: Date) -> Result<Application, Vec<FieldError>> {
    let mut errors = Vec::new();
    let applied_on = date_not_after("/applied_on", body.applied_on.as_deref(), today, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    let destination = check_text("/destination", body.destination.as_deref(), 100, &mut errors);
    let out_of_city = body.retiree_id.is_some() || destination.is_some();
    if out_of_city {
        if body.retiree_id.is_none() {
            errors.push(FieldError::with(
                "/retiree_id",
                ErrorCode::Required,
                "迁出本市须填写 retiree_id",
                "a move out of the city needs retiree_id",
            ));
        }
        if destination.is_none() {
            errors.push(FieldError::with(
                "/destination",
                ErrorCode::Required,
                "迁出本市须填写迁往地",
                "a move out of the city needs destination",
            ));
        }
        if body.id_number.is_some() || body.to_community.is_some() {
            errors.push(FieldError::of("/to_community", ErrorCode::NotForOutOfCity));
        }
    } else {
        if body.id_number.is_none() {
            errors.push(FieldError::with(
                "/id_number",
                ErrorCode::Required,
                "市内迁移须填写公民身份号码",
                "a move within the city needs id_number",
            ));
        }
        if body.to_community.is_none() {
            errors.push(FieldError::with(
                "/to_community",
                ErrorCode::Required,
                "市内迁移须填写转入社区",
                "a move within the city needs to_community",
            ));
        }
    }
    let documents = body.documents;
    match (body.retiree_id, destination, body.id_number, body.to_community) {
        (Some(retiree_id), Some(destination), None, None) if errors.is_empty() => {
            Ok(Application::OutOfCity { retiree_id, destination, documents, applied_on, note })
        }
        (None, None, Some(id_number), Some(to_community)) if errors.is_empty() => {
            Ok(Application::WithinCity { id_number, to_community, documents, applied_on, note })
        }
        _ if errors.is_empty() => Err(vec![FieldError::of("/to_community", ErrorCode::NotForOutOfCity)]),
        _ => Err(errors),
    }
}

/// Registers a checked application on `today` (JN Art. 22). Within the city the receiving community must be a
/// community in the caller's subtree and the resident ID a person registered in the city (any community); out of
/// the city the person must be in the caller's subtree (else 422 `retiree_not_found` on `/retiree_id`, as for an
/// absent id). The person must be on a roll, not already in the receiving community, and have no other open
/// transfer (409 `transfer_exists`). Writes the transfer, its first step and the audit entry.
pub fn apply(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    application: Application,
) -> Result<TransferResponse, AppError> {
    let (retiree, to, audit_path, destination, documents, applied_on, note) = match application {
        Application::OutOfCity { retiree_id, destination, documents, applied_on, note } => {
            let (r, path) = crate::scope::referenced_retiree(conn, caller, retiree_id, "/retiree_id")?;
            (r, None, path, Some(destination), documents, applied_on, note)
        }
        Application::WithinCity { id_number, to_community, documents, applied_on, note } => {
            let node = node_in_scope(conn, caller, &to_community, "/to_community")?;
            if node.level != Level::Community {
                return Err(AppError::field(FieldError::of("/to_community", ErrorCode::NotACommunity)));
            }
            let idn = domain::IdNumber::parse(&id_number, today)
                .map_err(|e| AppError::field(FieldError::rule("/id_number", &e)))?;
            let (r, _) = people::find_by_id_number(conn, idn.as_str(), "/")?.ok_or_else(|| {
                AppError::field(FieldError::with(
                    "/id_number",
                    ErrorCode::RetireeNotFound,
                    "本市未登记该退休人员",
                    "no retiree with this resident ID in the city",
                ))
            })?;
            (r, Some(node.code), node.path, None, documents, applied_on, note)
        }
    };
    let kind = TransferKind::of(to.as_deref());
    let on_roll = repo::on_roll(conn, retiree.id)?;
    let opened = rules::open(kind, &retiree.community_code, to.as_deref(), on_roll).map_err(|e| match e {
        rules::OpenError::SameCommunity => AppError::field(FieldError::rule("/to_community", &e)),
        rules::OpenError::NotOnRoll => AppError::conflict(e.code(), e.message_zh(), e.message_en()),
    })?;
    let t = repo::create_transfer(
        conn,
        retiree.id,
        &retiree.community_code,
        to.as_deref(),
        destination.as_deref(),
        &documents_text(&documents)?,
        applied_on,
        &caller.login,
    )
    .map_err(|e| match e {
        persistence::RepoError::Unique(_) => AppError::of(ErrorCode::TransferExists),
        other => other.into(),
    })?;
    repo::add_transfer_step(conn, t.id, (opened.step.as_str(), applied_on, note, &caller.login))?;
    let mut entry = caller.audit("transfer.apply", "transfer", t.id, &audit_path);
    entry.retiree_id = Some(retiree.id);
    entry.detail =
        Some(serde_json::json!({"from": retiree.community_code, "to": to, "destination": destination}).to_string());
    persistence::audit::append(conn, &entry)?;
    transfer_response(conn, t)
}
