//! Supplementary materials (补充材料; JN Art. 7(12); JN Art. 27 "新形成的材料…经审核后归档"): a new material submitted
//! for a person (class from the catalogue, date, pages, who delivered it), reviewed by the archivist by the day the
//! policy sets (`archives.supplement_review_days`), then accepted and filed with the next running piece number of the
//! archive's materials list (emits `archive.supplemented`), or returned with a reason.

use domain::archive::{self as rules, MaterialType, SupplementAction, SupplementStatus};
use domain::events::EventType;
use domain::{ErrorCode, Permission};
use persistence::DbConnection;
use persistence::archive_loans::{self as repo, NewSupplement, Supplement, SupplementFilter, SupplementReview};
use persistence::archives::{self as archives_repo, NewMaterial};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::receive::{MaterialInput, check_material};
use super::{EventExtra, emit, visible};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text};
use crate::policy_book::policy_at;
use crate::precondition::{IfMatch, expect_if_sent};

/// A supplementary material to submit.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"material": {"material_type": "award", "title": "2026年度优秀小组长表彰决定",
    "dated": "2026-11-20", "pages": 1}, "delivered_by": "鹭江街道退管站 赵六"}))]
pub struct SupplementRequest {
    /// The material: class (the catalogue), title, date, pages.
    pub material: MaterialInput,
    /// Who delivered it, 1-100 characters.
    pub delivered_by: String,
}

/// The review of a supplement.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "材料未加盖公章"}))]
pub struct SupplementReturn {
    /// Why it is returned, 1-200 characters.
    pub reason: Option<String>,
}

/// A supplementary material.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 2, "archive_id": 5, "name": "张三", "material_type": "award",
    "title": "2026年度优秀小组长表彰决定", "dated": "2026-11-20", "pages": 1, "delivered_by": "鹭江街道退管站 赵六",
    "submitted_by": "hongshan", "submitted_on": "2026-12-06", "review_due": "2026-12-21", "status": "filed",
    "reviewed_by": "archivist", "reviewed_on": "2026-12-07", "return_reason": null, "piece_no": 41,
    "review_overdue": false, "version": 2}))]
pub struct SupplementView {
    /// Id.
    pub id: i64,
    /// Archive.
    pub archive_id: i64,
    /// The person's name.
    pub name: String,
    /// Class.
    pub material_type: MaterialType,
    /// Title.
    pub title: String,
    /// Date of the material.
    #[schema(value_type = Option<String>, format = Date)]
    pub dated: Option<Date>,
    /// Pages.
    pub pages: i32,
    /// Who delivered it.
    pub delivered_by: String,
    /// Login that submitted.
    pub submitted_by: String,
    /// Day submitted.
    #[schema(value_type = String, format = Date)]
    pub submitted_on: Date,
    /// Last day of the review (`archives.supplement_review_days`).
    #[schema(value_type = String, format = Date)]
    pub review_due: Date,
    /// Status.
    pub status: SupplementStatus,
    /// Login that reviewed.
    pub reviewed_by: Option<String>,
    /// Day reviewed.
    #[schema(value_type = Option<String>, format = Date)]
    pub reviewed_on: Option<Date>,
    /// Why returned.
    pub return_reason: Option<String>,
    /// Running piece number once filed.
    pub piece_no: Option<i32>,
    /// Submitted and past its review day.
    pub review_overdue: bool,
    /// Version (ETag).
    pub version: i64,
}

fn supplement_view(conn: &mut DbConnection, s: Supplement, today: Date) -> Result<SupplementView, AppError> {
    let a = repo::archive_by_id(conn, s.archive_id)?;
    Ok(SupplementView {
        id: s.id,
        archive_id: s.archive_id,
        name: a.person_name,
        material_type: s.material_type,
        title: s.title,
        dated: s.dated,
        pages: s.pages,
        delivered_by: s.delivered_by,
        submitted_by: s.submitted_by,
        submitted_on: s.submitted_on,
        review_due: s.review_due,
        review_overdue: rules::review_overdue(s.status, s.review_due, today),
        status: s.status,
        reviewed_by: s.reviewed_by,
        reviewed_on: s.reviewed_on,
        return_reason: s.return_reason,
        piece_no: s.piece_no,
        version: s.version,
    })
}

/// Submits a new material for archive `id` (`archive.use`; audited `archive_supplement.submit`): the archive in the
/// caller's subtree (else 404) and held here (in store or on loan; else 409 `archive_wrong_status`); the review is
/// due `archives.supplement_review_days` later.
pub fn submit(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    archive_id: i64,
    body: SupplementRequest,
) -> Result<SupplementView, AppError> {
    caller.require(Permission::ArchiveUse)?;
    let mut errors = Vec::new();
    let m = check_material("/material", &body.material, today, &mut errors);
    let delivered_by = check_name("/delivered_by", &body.delivered_by, 100, &mut errors);
    let (a, path) = visible(conn, caller, archive_id)?;
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    rules::supplement_allowed(a.status).map_err(|e| AppError::violation(&e))?;
    let policy = policy_at(conn, &path, today)?;
    let new = NewSupplement {
        archive_id: a.id,
        material_type: m.material_type.as_str().to_owned(),
        title: m.title,
        dated: m.dated,
        pages: m.pages,
        delivered_by,
        submitted_by: caller.login.clone(),
        submitted_on: today,
        review_due: rules::review_due(today, &policy.archives),
        status: SupplementStatus::Submitted.as_str().to_owned(),
        created_at: persistence::now_utc(),
        version: 1,
    };
    let s = repo::create_supplement(conn, &new)?;
    let mut entry = caller.audit("archive_supplement.submit", "archive_supplement", s.id, &path);
    entry.retiree_id = a.retiree_id;
    entry.detail = Some(
        serde_json::json!({"archive_id": a.id, "material_type": s.material_type.as_str(), "title": s.title,
            "pages": s.pages})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    supplement_view(conn, s, today)
}

/// Reviews supplement `id` (`archive.manage`; audited `archive_supplement.accept` / `.return`): only a submitted one
/// (409 `supplement_wrong_status`). Accepting files it with the next piece number of the archive, which must be in
/// store (409 `archive_wrong_status`), raises the archive's pieces and emits `archive.supplemented`; returning needs
/// a reason (422 `required` at `/reason`). `If-Match` checked when sent.
pub fn review(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    action: SupplementAction,
    if_match: Option<IfMatch>,
    body: SupplementReturn,
) -> Result<SupplementView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let mut errors = Vec::new();
    let reason = check_text("/reason", body.reason.as_deref(), 200, &mut errors);
    if action == SupplementAction::Return && reason.is_none() {
        errors.push(FieldError::of("/reason", ErrorCode::Required));
    }
    let s = repo::find_supplement(conn, id, &caller.scope_path)?;
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let (a, path) = visible(conn, caller, s.archive_id)?;
    let status = rules::apply_supplement(s.status, action).map_err(|e| AppError::violation(&e))?;
    let version = expect_if_sent(if_match, s.version)?;
    let piece_no = if action == SupplementAction::Accept {
        rules::filing_allowed(a.status).map_err(|e| AppError::violation(&e))?;
        Some(rules::next_piece_number(archives_repo::highest_piece(conn, a.id)?))
    } else {
        None
    };
    let saved = repo::save_review(
        conn,
        s.id,
        version,
        &SupplementReview {
            status: status.as_str().to_owned(),
            reviewed_by: caller.login.clone(),
            reviewed_on: today,
            return_reason: if action == SupplementAction::Return { reason.clone() } else { None },
            piece_no,
        },
    )?;
    let action_name = match action {
        SupplementAction::Accept => "archive_supplement.accept",
        SupplementAction::Return => "archive_supplement.return",
    };
    let mut entry = caller.audit(action_name, "archive_supplement", saved.id, &path);
    entry.retiree_id = a.retiree_id;
    entry.detail = Some(serde_json::json!({"archive_id": a.id, "piece_no": piece_no, "reason": reason}).to_string());
    persistence::audit::append(conn, &entry)?;
    if let Some(piece_no) = piece_no {
        archives_repo::add_material(
            conn,
            &NewMaterial {
                archive_id: a.id,
                piece_no,
                material_type: saved.material_type.as_str().to_owned(),
                title: saved.title.clone(),
                dated: saved.dated,
                pages: saved.pages,
                source: "supplement".into(),
                filed_on: today,
            },
        )?;
        let a = repo::add_piece(conn, a.id, a.version)?;
        let extra = EventExtra { supplement_id: Some(saved.id), piece_no: Some(piece_no), ..EventExtra::default() };
        emit(conn, EventType::ArchiveSupplemented, &a, extra)?;
    }
    supplement_view(conn, saved, today)
}

/// One supplement (`archive.use` or `archive.read_materials`; an audited read, `archive_supplement.read`).
pub fn get(conn: &mut DbConnection, caller: &Caller, today: Date, id: i64) -> Result<SupplementView, AppError> {
    super::loans::require_read(caller)?;
    let s = repo::find_supplement(conn, id, &caller.scope_path)?;
    let (a, path) = visible(conn, caller, s.archive_id)?;
    let mut entry = caller.audit("archive_supplement.read", "archive_supplement", s.id, &path);
    entry.retiree_id = a.retiree_id;
    persistence::audit::append(conn, &entry)?;
    supplement_view(conn, s, today)
}

/// Which supplements to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only this status.
    pub status: Option<SupplementStatus>,
    /// Only of this archive.
    pub archive_id: Option<i64>,
    /// Only submitted and past their review day.
    pub review_overdue: bool,
    /// Cursor.
    pub after: Option<i64>,
    /// Page size.
    pub limit: i64,
}

/// The supplements of archives seen from the caller's subtree, by id.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    q: ListQuery,
) -> Result<Vec<SupplementView>, AppError> {
    super::loans::require_read(caller)?;
    let f = SupplementFilter {
        status: q.status,
        archive_id: q.archive_id,
        review_due_before: q.review_overdue.then_some(today),
        after: q.after,
    };
    let rows = repo::list_supplements(conn, &caller.scope_path, &f, q.limit)?;
    rows.into_iter().map(|s| supplement_view(conn, s, today)).collect()
}
