//! Transfers between communities (迁移; JN Art. 22: "一律接收，不得推诿") and out of the city: the application
//! ([`apply`]), the actions of the two sides ([`act`]), and the reads. The state machine is
//! `domain::transfer`; a move out of the city changes the pension to `transferred_out` ([`leave_city`]).

pub mod act;
pub mod apply;

use domain::PensionStatus;
use domain::RuleViolation;
use domain::pension::{self as pension_rules, Transition};
use domain::transfer::{self as rules, Sides, TransferDocument, TransferError, TransferStatus};
use persistence::DbConnection;
use persistence::movement::{self as repo, Transfer};
use persistence::pension::NewStatusChange;
use persistence::retirees::Retiree;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::AppError;
use crate::input::month_text;
use crate::pension::{apply_change, illegal, state_of};
use crate::scope::{node_in_scope, path_of};

pub use act::{Action, TransferActionRequest};
pub use apply::{Application, CreateTransferRequest};

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

/// The API view of a stored transfer with its steps.
pub fn transfer_response(conn: &mut DbConnection, t: Transfer) -> Result<TransferResponse, AppError> {
    let steps = repo::transfer_steps_of(conn, t.id)?
        .into_iter()
        .map(|s| TransferStepResponse {
            step: s.step,
            on_date: s.on_date,
            note: s.note,
            operator: s.operator,
            created_at: s.created_at.assume_utc(),
        })
        .collect();
    let documents = t.documents()?;
    Ok(TransferResponse {
        id: t.id,
        retiree_id: t.retiree_id,
        missing_documents: rules::missing_documents(&documents),
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

/// The 409 of a refused action, with its code.
fn rule(e: TransferError) -> AppError {
    AppError::conflict(e.code(), e.message_zh(), e.message_en())
}

/// Which sides of a transfer the caller is on: (sending, receiving). Neither is 404 (JN Art. 22: the two
/// communities and the bodies above them; nobody else below district level).
fn sides(conn: &mut DbConnection, caller: &Caller, t: &Transfer) -> Result<Sides, AppError> {
    let from = caller.sees(&path_of(conn, &t.from_community)?);
    let to = match &t.to_community {
        Some(code) => caller.sees(&path_of(conn, code)?),
        None => false,
    };
    if !from && !to { Err(AppError::not_found()) } else { Ok(Sides { sending: from, receiving: to }) }
}

/// The documents as stored: a JSON array of their codes.
fn documents_text(d: &[TransferDocument]) -> Result<String, AppError> {
    serde_json::to_string(&d.iter().map(|d| d.as_str()).collect::<Vec<_>>()).map_err(AppError::internal)
}

/// Transfers whose sending or receiving community lies under node `code` (in the caller's subtree, else 422
/// `jurisdiction_not_found`), by id after `after`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<TransferResponse>, AppError> {
    let node = node_in_scope(conn, caller, code, "jurisdiction")?;
    let found = repo::list_transfers(conn, &node.path, after, limit)?;
    let mut items = Vec::with_capacity(found.len());
    for t in found {
        items.push(transfer_response(conn, t)?);
    }
    Ok(items)
}

/// One transfer, seen from either side (404 for anybody else below them); the read is audited on the caller's own
/// subtree.
pub fn read(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Audited<TransferResponse>, AppError> {
    let t = repo::find_transfer(conn, id)?;
    sides(conn, caller, &t)?;
    // The single view of one person's move is audited, on the caller's own subtree.
    let mut entry = caller.audit("transfer.read", "transfer", id, &caller.scope_path);
    entry.retiree_id = Some(t.retiree_id);
    let value = transfer_response(conn, t)?;
    Ok(Audited::new(value, entry))
}

/// The pension of a person moving out of the city becomes `transferred_out` from `month` (CS Art. 16(3), 28),
/// with its status change and audit entry.
pub fn leave_city(
    conn: &mut DbConnection,
    caller: &Caller,
    retiree: &Retiree,
    path: &str,
    month: Date,
    note: &str,
) -> Result<(), AppError> {
    let from = state_of(retiree)?;
    let to = pension_rules::transition(from, Transition::TransferOut).map_err(illegal)?;
    let out = PensionStatus::TransferredOut.as_str();
    let change = NewStatusChange::by_person(retiree, out, None, month, &caller.login, Some(note.to_owned()));
    apply_change(conn, caller, retiree, path, None, to, change)?;
    Ok(())
}
