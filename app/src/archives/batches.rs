//! Digitisation batches (数字化批次; XM Art. 16 "推进人事档案数字化"; JN Art. 8(7)): the archivist sends archives of
//! one repository for scanning together (vendor or operator, started), records each archive that comes back
//! digitised with its pages by reference (URI, page count, checksum; the archive's digitised date and copy are set in
//! the same transaction, audited `archive.digitise`, emitting `archive.digitised`), and completes or cancels the
//! batch. Progress per batch is the share of its archives digitised. A batch is seen from the subtree holding its
//! repository's jurisdiction; the rules are `domain::archive_batch`.

use domain::archive_batch::{self as rules, BatchAction, BatchStatus};
use domain::events::EventType;
use domain::{ErrorCode, Permission};
use persistence::DbConnection;
use persistence::archive_batches::{self as repo, Batch, BatchFilter, NewBatch};
use persistence::archives as archives_repo;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{EventExtra, emit};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, date_not_after};
use crate::precondition::{IfMatch, expect_if_sent};

/// Most archives in one batch.
pub const MAX_ARCHIVES: usize = 500;

/// A batch to send for scanning.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"repository_id": 1, "archive_ids": [5, 6], "vendor": "厦门数档科技有限公司",
    "operator": "王档案", "started_on": "2026-12-01"}))]
pub struct DigitisationBatchRequest {
    /// The repository (in the caller's subtree) whose archives go.
    pub repository_id: i64,
    /// The archives, 1-500, each placed in that repository, in store, not digitised, not in another open batch.
    pub archive_ids: Vec<i64>,
    /// Who scans (the vendor, or the archive's own unit), 1-100 characters.
    pub vendor: String,
    /// Who handles the batch, 1-100 characters.
    pub operator: String,
    /// Day sent (`YYYY-MM-DD`), default today, not in the future.
    #[schema(format = Date)]
    pub started_on: Option<String>,
}

/// One archive back from scanning: its digitised copy by reference (XM Art. 16: online use).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"archive_id": 5, "pages": 120, "uri": "https://dams.example.gov.cn/archives/5",
    "checksum": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}))]
pub struct DigitisationResult {
    /// An archive of the batch.
    pub archive_id: i64,
    /// Pages, 1-99999.
    pub pages: i32,
    /// Where the pages are: an `https://` URI, up to 500 characters.
    pub uri: String,
    /// `sha256:` and 64 lowercase hex digits.
    pub checksum: String,
    /// Day digitised (`YYYY-MM-DD`), default today, not in the future.
    #[schema(format = Date)]
    pub digitised_on: Option<String>,
}

/// Results to record while a batch runs.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DigitisationResultsRequest {
    /// The archives back digitised, 1-500.
    pub results: Vec<DigitisationResult>,
}

/// The completion of a batch.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"results": [], "finished_on": "2026-12-05"}))]
pub struct DigitisationBatchCompleteRequest {
    /// The last results (optional); archives without one stay not digitised.
    pub results: Option<Vec<DigitisationResult>>,
    /// Day finished (`YYYY-MM-DD`), default today, not in the future nor before the start.
    #[schema(format = Date)]
    pub finished_on: Option<String>,
}

/// The cancellation of a batch.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "扫描单位合同终止"}))]
pub struct DigitisationBatchCancelRequest {
    /// Why, 1-500 characters.
    pub reason: String,
}

/// An archive of a batch and its result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DigitisationBatchArchive {
    /// Archive.
    pub archive_id: i64,
    /// Day digitised in this batch, `null` if not (yet).
    #[schema(value_type = Option<String>, format = Date)]
    pub digitised_on: Option<Date>,
    /// Pages scanned.
    pub pages: Option<i32>,
    /// Where the pages are.
    pub uri: Option<String>,
    /// Checksum.
    pub checksum: Option<String>,
}

/// The progress of a batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DigitisationBatchProgress {
    /// Archives in the batch.
    pub archives: i64,
    /// Of them digitised.
    pub digitised: i64,
    /// Share digitised, per mille (rounded down).
    pub per_mille: i64,
}

/// A digitisation batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 3, "repository_id": 1, "repository": "SM-01", "vendor": "厦门数档科技有限公司",
    "operator": "王档案", "started_on": "2026-12-01", "finished_on": null, "status": "open", "note": null,
    "archives": [{"archive_id": 5, "digitised_on": "2026-12-03", "pages": 120,
        "uri": "https://dams.example.gov.cn/archives/5",
        "checksum": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
        {"archive_id": 6, "digitised_on": null, "pages": null, "uri": null, "checksum": null}],
    "progress": {"archives": 2, "digitised": 1, "per_mille": 500}, "version": 2}))]
pub struct DigitisationBatchView {
    /// Id.
    pub id: i64,
    /// Repository.
    pub repository_id: i64,
    /// Repository code.
    pub repository: String,
    /// Who scans.
    pub vendor: String,
    /// Who handles it.
    pub operator: String,
    /// Day sent.
    #[schema(value_type = String, format = Date)]
    pub started_on: Date,
    /// Day completed or cancelled.
    #[schema(value_type = Option<String>, format = Date)]
    pub finished_on: Option<Date>,
    /// Status.
    pub status: BatchStatus,
    /// The reason of a cancellation.
    pub note: Option<String>,
    /// The archives and their results, by archive id.
    pub archives: Vec<DigitisationBatchArchive>,
    /// Progress.
    pub progress: DigitisationBatchProgress,
    /// Version (ETag).
    pub version: i64,
}

fn view(conn: &mut DbConnection, b: Batch) -> Result<DigitisationBatchView, AppError> {
    let r = archives_repo::repository_by_id(conn, b.repository_id)?;
    let items = repo::items_of(conn, b.id)?;
    let archives = items.len() as i64;
    let digitised = items.iter().filter(|i| i.digitised_on.is_some()).count() as i64;
    Ok(DigitisationBatchView {
        id: b.id,
        repository_id: b.repository_id,
        repository: r.code,
        vendor: b.vendor,
        operator: b.operator,
        started_on: b.started_on,
        finished_on: b.finished_on,
        status: b.status,
        note: b.note,
        archives: items
            .into_iter()
            .map(|i| DigitisationBatchArchive {
                archive_id: i.archive_id,
                digitised_on: i.digitised_on,
                pages: i.pages,
                uri: i.uri,
                checksum: i.checksum,
            })
            .collect(),
        progress: DigitisationBatchProgress {
            archives,
            digitised,
            per_mille: rules::progress_per_mille(digitised, archives),
        },
        version: b.version,
    })
}

/// The path of the jurisdiction of repository `id`.
fn repository_path(conn: &mut DbConnection, id: i64) -> Result<String, AppError> {
    let r = archives_repo::repository_by_id(conn, id)?;
    crate::scope::path_of(conn, &r.jurisdiction_code)
}

/// Sends archives for scanning (`archive.manage`; audited `archive_batch.create`). Every broken rule at once (422):
/// the repository in the caller's subtree (`repository_not_found`), each archive seen (`archive_not_found`), placed
/// in that repository (`invalid_value`), in store (`archive_wrong_status`), not digitised (`archive_digitised`) and
/// not in another open batch (`archive_in_batch`), named once.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    body: DigitisationBatchRequest,
) -> Result<DigitisationBatchView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let mut errors = Vec::new();
    let vendor = check_name("/vendor", &body.vendor, 100, &mut errors);
    let operator = check_name("/operator", &body.operator, 100, &mut errors);
    let started_on = date_not_after("/started_on", body.started_on.as_deref(), today, &mut errors);
    if body.archive_ids.is_empty() || body.archive_ids.len() > MAX_ARCHIVES {
        errors.push(FieldError::with(
            "/archive_ids",
            ErrorCode::Length,
            format!("每批1至{MAX_ARCHIVES}份档案"),
            format!("a batch holds 1 to {MAX_ARCHIVES} archives"),
        ));
    }
    let repository = match archives_repo::find_repository(conn, body.repository_id, &caller.scope_path) {
        Ok(r) => Some(r),
        Err(persistence::RepoError::NotFound) => {
            errors.push(FieldError::of("/repository_id", ErrorCode::RepositoryNotFound));
            None
        }
        Err(e) => return Err(e.into()),
    };
    for (i, id) in body.archive_ids.iter().enumerate() {
        let field = format!("/archive_ids/{i}");
        if body.archive_ids[..i].contains(id) {
            errors.push(FieldError::with(field, ErrorCode::InvalidValue, "档案重复", "the archive is named twice"));
            continue;
        }
        let a = match archives_repo::find_visible(conn, *id, &caller.scope_path) {
            Ok(a) => a,
            Err(persistence::RepoError::NotFound) => {
                errors.push(FieldError::of(field, ErrorCode::ArchiveNotFound));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(r) = &repository
            && a.repository_id != Some(r.id)
        {
            errors.push(FieldError::with(
                field,
                ErrorCode::InvalidValue,
                format!("档案不在库房 {} 中", r.code),
                format!("the archive is not placed in the repository {}", r.code),
            ));
            continue;
        }
        let busy = repo::in_open_batch(conn, a.id)?;
        if let Err(e) = rules::may_join(a.status, a.digitised_on.is_some(), busy) {
            errors.push(FieldError::rule(field, &e));
        }
    }
    let Some(repository) = repository.filter(|_| errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    let new = NewBatch {
        repository_id: repository.id,
        vendor,
        operator,
        started_on,
        status: BatchStatus::Open.as_str().to_owned(),
        created_by: caller.login.clone(),
        created_at: persistence::now_utc(),
        version: 1,
    };
    let b = repo::create(conn, &new, &body.archive_ids)?;
    let path = repository_path(conn, b.repository_id)?;
    let mut entry = caller.audit("archive_batch.create", "archive_batch", b.id, &path);
    entry.detail = Some(
        serde_json::json!({"repository": repository.code, "archives": body.archive_ids, "vendor": b.vendor,
            "operator": b.operator})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    view(conn, b)
}

/// The checks of one result at `base`.
fn check_result(base: &str, r: &DigitisationResult, today: Date, errors: &mut Vec<FieldError>) -> (String, Date) {
    let uri = r.uri.trim().to_owned();
    if !uri.starts_with("https://") || uri.len() > 500 || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.push(FieldError::with(
            format!("{base}/uri"),
            ErrorCode::InvalidValue,
            "应为不超过500个字符的 https:// 地址",
            "an https:// URI of at most 500 characters",
        ));
    }
    if !(1..=99_999).contains(&r.pages) {
        errors.push(FieldError::with(
            format!("{base}/pages"),
            ErrorCode::OutOfRange,
            "页数应为1至99999",
            "pages must be 1 to 99999",
        ));
    }
    let hex = r.checksum.strip_prefix("sha256:").unwrap_or("");
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
        errors.push(FieldError::with(
            format!("{base}/checksum"),
            ErrorCode::InvalidValue,
            "校验值应为 sha256: 加64位小写十六进制",
            "checksum is sha256: and 64 lowercase hex digits",
        ));
    }
    let on = date_not_after(&format!("{base}/digitised_on"), r.digitised_on.as_deref(), today, errors);
    (uri, on)
}

/// Records `results` on batch `b` (open), each archive of the batch once and not yet digitised in it: the batch
/// item, and the archive's digitised copy and date in the same transaction (audited `archive.digitise`, emits
/// `archive.digitised`). Every broken rule at once (422).
fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    b: &Batch,
    results: &[DigitisationResult],
) -> Result<(), AppError> {
    let items = repo::items_of(conn, b.id)?;
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    if results.len() > MAX_ARCHIVES {
        errors.push(FieldError::with(
            "/results",
            ErrorCode::Length,
            format!("最多{MAX_ARCHIVES}份"),
            format!("at most {MAX_ARCHIVES} results"),
        ));
    }
    for (i, r) in results.iter().enumerate() {
        let base = format!("/results/{i}");
        let (uri, on) = check_result(&base, r, today, &mut errors);
        if on < b.started_on {
            errors.push(FieldError::with(
                format!("{base}/digitised_on"),
                ErrorCode::DateOrder,
                "数字化日期不能早于送扫描日期",
                "digitised_on is before the batch started",
            ));
        }
        match items.iter().find(|it| it.archive_id == r.archive_id) {
            None => errors.push(FieldError::of(format!("{base}/archive_id"), ErrorCode::NotInBatch)),
            Some(it) if it.digitised_on.is_some() || results[..i].iter().any(|p| p.archive_id == r.archive_id) => {
                errors.push(FieldError::with(
                    format!("{base}/archive_id"),
                    ErrorCode::InvalidValue,
                    "该档案的扫描结果已登记",
                    "the result of this archive is recorded already",
                ));
            }
            Some(_) => checked.push((r, uri, on)),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    for (r, uri, on) in checked {
        let a = persistence::archive_loans::archive_by_id(conn, r.archive_id)?;
        repo::save_result(conn, b.id, a.id, r.pages, &uri, &r.checksum, on)?;
        let saved = persistence::archive_loans::save_digital(conn, a.id, a.version, &uri, r.pages, &r.checksum, on)?;
        let path = crate::scope::path_of(conn, &a.community_code)?;
        let mut entry = caller.audit("archive.digitise", "archive", a.id, &path);
        entry.retiree_id = a.retiree_id;
        entry.detail = Some(
            serde_json::json!({"batch_id": b.id, "uri": uri, "pages": r.pages, "checksum": r.checksum}).to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        emit(conn, EventType::ArchiveDigitised, &saved, EventExtra { batch_id: Some(b.id), ..EventExtra::default() })?;
    }
    Ok(())
}

/// The batch `id` seen from the caller's subtree (else 404).
fn visible(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Batch, AppError> {
    Ok(repo::find_visible(conn, id, &caller.scope_path)?)
}

fn refuse(e: rules::BatchError) -> AppError {
    AppError::violation(&e)
}

/// Records archives back digitised while batch `id` runs (`archive.manage`; 409 `batch_wrong_status` once it is
/// completed or cancelled). `If-Match` checked when sent.
pub fn add_results(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    body: DigitisationResultsRequest,
) -> Result<DigitisationBatchView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let b = visible(conn, caller, id)?;
    rules::apply_batch(b.status, BatchAction::Record).map_err(refuse)?;
    let version = expect_if_sent(if_match, b.version)?;
    if body.results.is_empty() {
        return Err(AppError::field(FieldError::of("/results", ErrorCode::Required)));
    }
    record(conn, caller, today, &b, &body.results)?;
    let saved = repo::save(conn, b.id, version, None, None, None)?;
    view(conn, saved)
}

/// Completes batch `id` (`archive.manage`; audited `archive_batch.complete`), with its last results; archives
/// without a result stay not digitised. `If-Match` checked when sent.
pub fn complete(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    body: DigitisationBatchCompleteRequest,
) -> Result<DigitisationBatchView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let b = visible(conn, caller, id)?;
    let to = rules::apply_batch(b.status, BatchAction::Complete).map_err(refuse)?;
    let version = expect_if_sent(if_match, b.version)?;
    let mut errors = Vec::new();
    let finished_on = date_not_after("/finished_on", body.finished_on.as_deref(), today, &mut errors);
    if finished_on < b.started_on {
        errors.push(FieldError::with(
            "/finished_on",
            ErrorCode::DateOrder,
            "完成日期不能早于送扫描日期",
            "finished_on is before the batch started",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    record(conn, caller, today, &b, body.results.as_deref().unwrap_or_default())?;
    let saved = repo::save(conn, b.id, version, Some(to), Some(finished_on), None)?;
    let path = repository_path(conn, b.repository_id)?;
    let v = view(conn, saved)?;
    let mut entry = caller.audit("archive_batch.complete", "archive_batch", b.id, &path);
    entry.detail =
        Some(serde_json::json!({"archives": v.progress.archives, "digitised": v.progress.digitised}).to_string());
    persistence::audit::append(conn, &entry)?;
    Ok(v)
}

/// Cancels batch `id` (`archive.manage`; audited `archive_batch.cancel`) with a reason: archives digitised stay so,
/// the others are released. `If-Match` checked when sent.
pub fn cancel(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    body: DigitisationBatchCancelRequest,
) -> Result<DigitisationBatchView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let mut errors = Vec::new();
    let reason = check_name("/reason", &body.reason, 500, &mut errors);
    let b = visible(conn, caller, id)?;
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let to = rules::apply_batch(b.status, BatchAction::Cancel).map_err(refuse)?;
    let version = expect_if_sent(if_match, b.version)?;
    let saved = repo::save(conn, b.id, version, Some(to), Some(today), Some(&reason))?;
    let path = repository_path(conn, b.repository_id)?;
    let mut entry = caller.audit("archive_batch.cancel", "archive_batch", b.id, &path);
    entry.detail = Some(serde_json::json!({"reason": reason}).to_string());
    persistence::audit::append(conn, &entry)?;
    view(conn, saved)
}

/// One batch (the summary roles; no personal data: archive ids and references only).
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<DigitisationBatchView, AppError> {
    super::require_read(caller)?;
    let b = visible(conn, caller, id)?;
    view(conn, b)
}

/// Which batches to list.
#[derive(Debug, Clone, Default)]
pub struct BatchListQuery {
    /// Only this status.
    pub status: Option<BatchStatus>,
    /// Only of this repository.
    pub repository_id: Option<i64>,
    /// Cursor.
    pub after: Option<i64>,
    /// Page size.
    pub limit: i64,
}

/// The batches of repositories in the caller's subtree, by id.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    q: BatchListQuery,
) -> Result<Vec<DigitisationBatchView>, AppError> {
    super::require_read(caller)?;
    let f = BatchFilter { status: q.status, repository_id: q.repository_id, after: q.after };
    let rows = repo::list(conn, &caller.scope_path, &f, q.limit)?;
    rows.into_iter().map(|b| view(conn, b)).collect()
}
