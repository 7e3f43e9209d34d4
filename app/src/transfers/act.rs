//! The actions on a transfer (JN Art. 22): the receiving community returns an application for missing documents
//! (never a complete one) or resubmits it, the sending community releases it, and the transfer is completed: the
//! person moves between the rolls, or out of the city.

use domain::ErrorCode;
use domain::transfer::{self as rules, ActionError, TransferAction, TransferCase, TransferDocument, TransferKind};
use persistence::DbConnection;
use persistence::movement::{self as repo, TransferChange};
use persistence::retirees::{self as people};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{TransferResponse, documents_text, leave_city, rule, sides, transfer_response};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_text, date_not_after};

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

/// What is done to a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The receiving side returns it for missing documents.
    Return,
    /// The receiving side resubmits it.
    Resubmit,
    /// The sending side releases it.
    Release,
    /// The move happens.
    Complete,
}

/// Applies `action` to transfer `id` on `today` as the caller (on the side the action belongs to, else 403;
/// neither side is 404), at the version `if_match` names (412 when stale). Completion moves the person: within
/// the city out of one roll and into the other from the month of the day given, with a first-visit task of the
/// receiving community; out of the city the pension becomes `transferred_out` and the person leaves the roll.
pub fn act(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<crate::precondition::IfMatch>,
    action: Action,
    body: TransferActionRequest,
) -> Result<TransferResponse, AppError> {
    let mut errors = Vec::new();
    let on_date = date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    if action == Action::Return && body.missing.as_ref().is_none_or(|m| m.is_empty()) {
        errors.push(FieldError::with(
            "/missing",
            ErrorCode::Required,
            "退回须列明缺少的材料",
            "a return names the missing documents",
        ));
    }
    if action == Action::Resubmit && body.documents.is_none() {
        errors.push(FieldError::with(
            "/documents",
            ErrorCode::Required,
            "补正须列明现有材料",
            "a resubmission lists the documents",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let t = repo::find_transfer(conn, id)?;
    let sides = sides(conn, caller, &t)?;
    let expected = crate::precondition::expect_if_sent(if_match, t.version)?;
    let docs = t.documents()?;
    let (retiree, retiree_path) = people::find_in_scope(conn, t.retiree_id, "/")?;
    let missing = body.missing.unwrap_or_default();
    let action = match action {
        Action::Return => TransferAction::Return { missing: &missing },
        Action::Resubmit => TransferAction::Resubmit,
        Action::Release => TransferAction::Release,
        Action::Complete => TransferAction::Complete { on: on_date, party_member: retiree.party_member },
    };
    let case = TransferCase { status: t.status, kind: TransferKind::of(t.to_community.as_deref()), documents: &docs };
    let outcome = rules::apply(&case, sides, action).map_err(|e| match e {
        ActionError::NotYourSide => AppError::forbidden(),
        ActionError::Rule(e) => rule(e),
    })?;
    if outcome.completion.is_some() {
        // JN Art. 21(3)-(4): the archive held here goes with the person, or an exemption is recorded (issue 23).
        crate::archives::transfer::transfer_ready(conn, retiree.id, t.id)?;
    }
    let step = outcome.step.as_str();
    let mut change = TransferChange::to(outcome.status.as_str());
    match action {
        TransferAction::Return { missing } => change.missing = Some(Some(documents_text(missing)?)),
        TransferAction::Resubmit => {
            change.documents = Some(documents_text(&body.documents.unwrap_or_default())?);
            change.missing = Some(None);
        }
        TransferAction::Release | TransferAction::Complete { .. } => {}
    }
    if let Some(done) = &outcome.completion {
        // The move is counted no earlier than the month the person joined the sending roll (issue 19.3).
        let month = crate::movement_report::leaving_month(conn, retiree.id, &t.from_community, done.month)?;
        change.completed_month = Some(month);
        for s in &done.steps {
            repo::add_transfer_step(conn, t.id, (s.as_str(), on_date, None, &caller.login))?;
        }
        let source = ("transfer", Some(t.id));
        repo::record(conn, retiree.id, &t.from_community, "transferred_out", month, source)?;
        match (&t.to_community, done.first_visit_due) {
            (Some(to), Some(due)) => {
                repo::record(conn, retiree.id, to, "transferred_in", month, source)?;
                repo::relocate(conn, retiree.id, to, true, false)?;
                crate::archives::transfer::follow_person(conn, retiree.id, t.id, to)?;
                repo::open_visit(conn, retiree.id, to, "new_arrival", due, source)?;
                // JN Art. 24(1) "医保关系续接": a move between districts opens the continuation errand (issue 25).
                crate::errands::open_on_transfer(conn, caller, retiree.id, &retiree_path, to, t.id, on_date)?;
            }
            _ => {
                leave_city(conn, caller, &retiree, &retiree_path, month, &format!("transfer {}", t.id))?;
                repo::relocate(conn, retiree.id, &t.from_community, false, true)?;
            }
        }
    }
    let updated = repo::change_transfer(conn, &t, expected, &change, (step, on_date, note, &caller.login)).map_err(
        |e| match e {
            persistence::RepoError::VersionMismatch => AppError::precondition_failed(),
            other => other.into(),
        },
    )?;
    let mut entry = caller.audit(&format!("transfer.{step}"), "transfer", id, &retiree_path);
    entry.retiree_id = Some(retiree.id);
    persistence::audit::append(conn, &entry)?;
    transfer_response(conn, updated)
}
