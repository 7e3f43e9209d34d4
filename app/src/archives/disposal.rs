//! Disposal of a personnel archive after its person's death (处置; JN Art. 8(7) "人事档案移交、管理与处置"): the
//! archive is kept under a retention the archivist records, or handed to the family on request with a record of to
//! whom and on which request. An archive is never deleted through the API: the record stays, disposed.

use domain::archive::{self as rules, DisposalKind};
use domain::{ErrorCode, Permission};
use persistence::DbConnection;
use persistence::archive_loans as repo;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{ArchiveView, view, visible};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_text, date_not_after, parse_date};
use crate::precondition::{IfMatch, expect_if_sent};

/// What happens to the archive of a person who died.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "handed_to_family", "on": "2026-12-06",
    "note": "应其子张小明2026-12-01书面申请移交，身份证已核验"}))]
pub struct DisposalRequest {
    /// `kept` (继续保管) or `handed_to_family` (移交家属).
    pub kind: DisposalKind,
    /// Day (`YYYY-MM-DD`), default today, not in the future, not before the death.
    #[schema(format = Date)]
    pub on: Option<String>,
    /// The record, up to 500 characters: required when handed to the family (to whom, on which request).
    pub note: Option<String>,
    /// Kept until (`YYYY-MM-DD`), after `on`: required when kept.
    #[schema(format = Date)]
    pub retention_until: Option<String>,
}

/// Disposes of archive `id` (`archive.manage`; audited `archive.dispose`): only of a person whose death is verified
/// (409 `archive_person_alive`) and only from the store (409 `archive_wrong_status`, e.g. on loan or in transit).
/// `If-Match` checked when sent.
pub fn dispose(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    body: DisposalRequest,
) -> Result<ArchiveView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let mut errors = Vec::new();
    let on = date_not_after("/on", body.on.as_deref(), today, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    if body.kind == DisposalKind::HandedToFamily && note.is_none() {
        errors.push(FieldError::with(
            "/note",
            ErrorCode::Required,
            "移交家属须记录接收人及申请",
            "a hand-over to the family records to whom and on which request",
        ));
    }
    let retention_until = match body.retention_until.as_deref().map(|t| parse_date("/retention_until", t)) {
        None => None,
        Some(Ok(d)) if d <= on => {
            errors.push(FieldError::of("/retention_until", ErrorCode::DateOrder));
            None
        }
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            errors.push(e);
            None
        }
    };
    if body.kind == DisposalKind::Kept && body.retention_until.is_none() {
        errors.push(FieldError::of("/retention_until", ErrorCode::Required));
    }
    let (a, path) = visible(conn, caller, id)?;
    let death = match a.retiree_id {
        Some(rid) => persistence::death::verified_report_of(conn, rid)?,
        None => None,
    };
    if let Some(d) = &death
        && on < d.date_of_death
    {
        errors.push(FieldError::of("/on", ErrorCode::BeforeDeath));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    rules::dispose(a.status, death.is_some()).map_err(|e| AppError::violation(&e))?;
    let version = expect_if_sent(if_match, a.version)?;
    let kept_until = if body.kind == DisposalKind::Kept { retention_until } else { None };
    let saved = repo::save_disposal(conn, a.id, version, body.kind, on, note.as_deref(), kept_until)?;
    let mut entry = caller.audit("archive.dispose", "archive", a.id, &path);
    entry.retiree_id = a.retiree_id;
    entry.detail = Some(
        serde_json::json!({"kind": body.kind.as_str(), "on": on.to_string(), "note": note,
            "retention_until": kept_until.map(|d| d.to_string())})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    view(conn, saved, None)
}
