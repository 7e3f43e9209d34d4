//! The transfer of a personnel archive with its person (传递; JN Art. 7(12), 21(3)-(4), 22): when a person transfers
//! (issue 6's transfers), the archive is sent with a dispatch record (to whom, when, by what means, tracking number)
//! and stays in transit until the receiver confirms; or an exemption is recorded for the transfer (JN Art. 21(4)).
//! The transfer completes only once the archive is received or exempted ([`transfer_ready`]); within the city the
//! archive then follows the person to the new community ([`follow_person`]). Emits `archive.transferred` when sent
//! and when received.

use domain::RetireeId;
use domain::archive::{self as rules, ArchiveStatus, DispatchMeans, DispatchStatus};
use domain::events::EventType;
use domain::handover::ArchiveExemption;
use domain::transfer::TransferStatus;
use domain::{ErrorCode, Permission};
use persistence::DbConnection;
use persistence::archive_loans::{self as repo, Dispatch, NewDispatch};
use persistence::archives as archives_repo;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{EventExtra, emit, visible};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after};
use crate::precondition::{IfMatch, expect_if_sent};

/// An archive sent with its person, or the exemption recorded instead.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"transfer_id": 7, "to_authority": "湖里区退休人员服务中心档案室",
    "means": "confidential_mail", "tracking_no": "JY20261206001", "sent_on": "2026-12-06"}))]
pub struct DispatchRequest {
    /// The person's transfer (not completed).
    pub transfer_id: i64,
    /// The receiving archive authority, 1-100 characters.
    pub to_authority: String,
    /// How it is sent; required unless `exemption`.
    pub means: Option<DispatchMeans>,
    /// Tracking number, up to 50 characters.
    pub tracking_no: Option<String>,
    /// Day sent (`YYYY-MM-DD`), default today, not in the future.
    #[schema(format = Date)]
    pub sent_on: Option<String>,
    /// Instead of sending: why the archive does not go with the person (JN Art. 21(4)); the archive does not move.
    pub exemption: Option<ArchiveExemption>,
    /// Note, up to 200 characters.
    pub note: Option<String>,
}

/// The receiver's confirmation.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"received_by": "湖里区档案室 陈七", "received_on": "2026-12-06"}))]
pub struct ReceiptRequest {
    /// Who received it at the other end, 1-100 characters.
    pub received_by: String,
    /// Day received (`YYYY-MM-DD`), default today, not in the future.
    #[schema(format = Date)]
    pub received_on: Option<String>,
}

/// A dispatch record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 1, "archive_id": 5, "transfer_id": 7, "exemption": null,
    "to_authority": "湖里区退休人员服务中心档案室", "means": "confidential_mail", "tracking_no": "JY20261206001",
    "sent_on": "2026-12-06", "sent_by": "archivist", "status": "sent", "received_on": null, "received_by": null,
    "note": null, "archive_status": "in_transit", "version": 1}))]
pub struct DispatchView {
    /// Id.
    pub id: i64,
    /// Archive.
    pub archive_id: i64,
    /// Transfer.
    pub transfer_id: i64,
    /// The exemption recorded instead of a dispatch.
    pub exemption: Option<ArchiveExemption>,
    /// The receiving authority.
    pub to_authority: String,
    /// How sent.
    pub means: Option<DispatchMeans>,
    /// Tracking number.
    pub tracking_no: Option<String>,
    /// Day sent.
    #[schema(value_type = String, format = Date)]
    pub sent_on: Date,
    /// Login that sent.
    pub sent_by: String,
    /// `sent` (in transit) or `received`.
    pub status: DispatchStatus,
    /// Day received.
    #[schema(value_type = Option<String>, format = Date)]
    pub received_on: Option<Date>,
    /// Who received it.
    pub received_by: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// The archive's status now.
    pub archive_status: ArchiveStatus,
    /// Version (ETag).
    pub version: i64,
}

fn dispatch_view(d: Dispatch, archive_status: ArchiveStatus) -> DispatchView {
    DispatchView {
        id: d.id,
        archive_id: d.archive_id,
        transfer_id: d.transfer_id,
        exemption: d.exemption,
        to_authority: d.to_authority,
        means: d.means,
        tracking_no: d.tracking_no,
        sent_on: d.sent_on,
        sent_by: d.sent_by,
        status: d.status,
        received_on: d.received_on,
        received_by: d.received_by,
        note: d.note,
        archive_status,
        version: d.version,
    }
}

/// Sends archive `id` with its person's transfer, or records the exemption (`archive.manage`; audited
/// `archive.dispatch` / `archive.exempt`). The transfer must be the person's (422 `invalid_value` at
/// `/transfer_id`) and not completed (409 `transfer_wrong_status`); a dispatch needs `means` (422 `required`) and
/// the archive in store (409 `archive_wrong_status`): it is then in transit, and `archive.transferred` is emitted.
pub fn dispatch(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    body: DispatchRequest,
) -> Result<DispatchView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let mut errors = Vec::new();
    let to_authority = check_name("/to_authority", &body.to_authority, 100, &mut errors);
    let tracking_no = check_text("/tracking_no", body.tracking_no.as_deref(), 50, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 200, &mut errors);
    let sent_on = date_not_after("/sent_on", body.sent_on.as_deref(), today, &mut errors);
    if body.exemption.is_none() && body.means.is_none() {
        errors.push(FieldError::of("/means", ErrorCode::Required));
    }
    let (a, path) = visible(conn, caller, id)?;
    let t = match persistence::movement::find_transfer(conn, body.transfer_id) {
        Ok(t) if Some(t.retiree_id) == a.retiree_id => Some(t),
        Ok(_) | Err(persistence::RepoError::NotFound) => {
            errors.push(FieldError::with(
                "/transfer_id",
                ErrorCode::InvalidValue,
                "该档案所属人员没有此迁移申请",
                "no such transfer of the archive's person",
            ));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let Some(t) = t.filter(|_| errors.is_empty()) else { return Err(AppError::validation(errors)) };
    if t.status == TransferStatus::Completed {
        return Err(AppError::violation(&domain::transfer::TransferError::WrongStatus));
    }
    let exempt = body.exemption.is_some();
    let after = if exempt { a.status } else { rules::dispatch(a.status).map_err(|e| AppError::violation(&e))? };
    let d = repo::create_dispatch(
        conn,
        &NewDispatch {
            archive_id: a.id,
            transfer_id: t.id,
            exemption: body.exemption.map(|e| e.as_str().to_owned()),
            to_authority,
            means: if exempt { None } else { body.means.map(|m| m.as_str().to_owned()) },
            tracking_no,
            sent_on,
            sent_by: caller.login.clone(),
            status: if exempt { DispatchStatus::Received } else { DispatchStatus::Sent }.as_str().to_owned(),
            received_on: exempt.then_some(sent_on),
            note,
            created_at: persistence::now_utc(),
            version: 1,
        },
    )?;
    let a = if after == a.status { a } else { archives_repo::save_status(conn, a.id, a.version, after)? };
    let mut entry = caller.audit(if exempt { "archive.exempt" } else { "archive.dispatch" }, "archive", a.id, &path);
    entry.retiree_id = a.retiree_id;
    entry.detail = Some(
        serde_json::json!({"dispatch_id": d.id, "transfer_id": t.id, "to_authority": d.to_authority,
            "means": d.means.map(|m| m.as_str()), "tracking_no": d.tracking_no,
            "exemption": d.exemption.map(|e| e.as_str())})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    if !exempt {
        let extra = EventExtra {
            dispatch_id: Some(d.id),
            transfer_id: Some(t.id),
            received: Some(false),
            ..EventExtra::default()
        };
        emit(conn, EventType::ArchiveTransferred, &a, extra)?;
    }
    Ok(dispatch_view(d, a.status))
}

/// The receiver confirms dispatch `id` (`archive.manage`; audited `archive.receive_dispatch`): once (409
/// `dispatch_received`). Within the city the archive is in store again, at the receiving authority, to be placed
/// there; out of the city it is transferred out. Its old place is cleared. Emits `archive.transferred`.
pub fn confirm(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    body: ReceiptRequest,
) -> Result<DispatchView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let mut errors = Vec::new();
    let received_by = check_name("/received_by", &body.received_by, 100, &mut errors);
    let received_on = date_not_after("/received_on", body.received_on.as_deref(), today, &mut errors);
    let d = repo::find_dispatch(conn, id, &caller.scope_path)?;
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    rules::confirm_dispatch(d.status).map_err(|e| AppError::violation(&e))?;
    let version = expect_if_sent(if_match, d.version)?;
    let (a, path) = visible(conn, caller, d.archive_id)?;
    let t = persistence::movement::find_transfer(conn, d.transfer_id)?;
    let after = rules::archive_after_receipt(t.to_community.is_some());
    let saved = repo::save_receipt(conn, d.id, version, received_on, &received_by, &caller.login)?;
    let a = repo::save_moved(conn, a.id, a.version, after, true)?;
    let mut entry = caller.audit("archive.receive_dispatch", "archive", a.id, &path);
    entry.retiree_id = a.retiree_id;
    entry.detail =
        Some(serde_json::json!({"dispatch_id": saved.id, "transfer_id": t.id, "received_by": received_by}).to_string());
    persistence::audit::append(conn, &entry)?;
    let extra = EventExtra {
        dispatch_id: Some(saved.id),
        transfer_id: Some(t.id),
        received: Some(true),
        ..EventExtra::default()
    };
    emit(conn, EventType::ArchiveTransferred, &a, extra)?;
    Ok(dispatch_view(saved, a.status))
}

/// The condition a transfer's completion waits for (JN Art. 21(3)-(4)): the archive held here for the person is
/// received at the other end, or an exemption is recorded for transfer `transfer_id`; otherwise 409
/// `transfer_archive_pending`. A person without an archive held here (none on record, transferred out before or
/// disposed of) is not held back.
pub fn transfer_ready(
    conn: &mut DbConnection,
    retiree_id: impl Into<RetireeId>,
    transfer_id: i64,
) -> Result<(), AppError> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let held = archives_repo::of_retiree(conn, retiree_id)?
        .is_some_and(|a| !matches!(a.status, ArchiveStatus::TransferredOut | ArchiveStatus::Disposed));
    let records = repo::dispatches_of_transfer(conn, transfer_id)?;
    let received = records.iter().any(|d| d.exemption.is_none() && d.status == DispatchStatus::Received);
    let exempted = records.iter().any(|d| d.exemption.is_some());
    rules::transfer_archive_ready(held, received, exempted).map_err(|e| AppError::violation(&e))
}

/// Within the city the archive received for transfer `transfer_id` follows its person to `community` once the
/// transfer completes (an exempted archive stays where it is).
pub fn follow_person(
    conn: &mut DbConnection,
    retiree_id: impl Into<RetireeId>,
    transfer_id: i64,
    community: &str,
) -> Result<(), AppError> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let received = repo::dispatches_of_transfer(conn, transfer_id)?
        .iter()
        .any(|d| d.exemption.is_none() && d.status == DispatchStatus::Received);
    if let Some(a) = archives_repo::of_retiree(conn, retiree_id)?.filter(|_| received) {
        repo::move_archive(conn, a.id, community)?;
    }
    Ok(())
}
