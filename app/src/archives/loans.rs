//! Use of personnel archives (利用; JN Art. 7(12); XM Art. 16 "便捷的线上利用"): a request to consult or borrow an
//! archive (who, purpose, which pieces, from-to within the policy's loan period, on site or online through the
//! digitised copy), the archivist's approval or refusal, handing it out (due on the last asked day, at most the
//! loan period), its return (once), and the overdue worklist. Handing out an archive is a read of personal data,
//! audited as `archive.consult`; it emits `archive.lent`, the return `archive.returned`. An archive in transit,
//! transferred out or disposed of is not lent (409 `archive_wrong_status`).

use domain::archive::{self as rules, LoanAction, LoanKind, LoanStatus};
use domain::events::EventType;
use domain::{ErrorCode, Permission};
use persistence::DbConnection;
use persistence::archive_loans::{self as repo, Loan, LoanChange, LoanFilter, NewLoan};
use persistence::archives as archives_repo;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{DigitalView, EventExtra, emit, visible};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after, parse_date};
use crate::policy_book::policy_at;
use crate::precondition::{IfMatch, expect_if_sent};

/// Most pieces named in one request.
pub const MAX_PIECES: usize = 500;

/// A request to use an archive.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "consult", "online": false, "requester": "思明区人社局 王五",
    "purpose": "核对工龄", "pieces": [1, 2], "asked_from": "2026-12-07", "asked_until": "2026-12-10"}))]
pub struct LoanRequest {
    /// `consult` (查阅, on site or online) or `borrow` (借阅).
    pub kind: LoanKind,
    /// Use of the digitised copy (online consultation); the archive must have one. Default `false`.
    pub online: Option<bool>,
    /// Who asks (person and unit), 1-100 characters.
    pub requester: String,
    /// Purpose, 1-200 characters.
    pub purpose: String,
    /// Piece numbers asked for (up to 500, each on the archive's materials list); none: the whole archive.
    pub pieces: Option<Vec<i32>>,
    /// First day (`YYYY-MM-DD`), default today.
    #[schema(format = Date)]
    pub asked_from: Option<String>,
    /// Last day, on or after `asked_from`, at most `archives.loan_days` after it (default: that far).
    #[schema(format = Date)]
    pub asked_until: Option<String>,
}

/// The archivist's decision or a hand-out/return.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "同意查阅"}))]
pub struct LoanStep {
    /// Note, up to 200 characters; the reason, required when rejecting.
    pub note: Option<String>,
    /// Day (`YYYY-MM-DD`) of a hand-out or return, default today, not in the future.
    #[schema(format = Date)]
    pub on: Option<String>,
}

/// A loan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 3, "archive_id": 5, "name": "张三", "kind": "borrow", "online": false,
    "requester": "思明区人社局 王五", "purpose": "核对工龄", "pieces": [1, 2], "asked_from": "2026-12-07",
    "asked_until": "2026-12-10", "status": "lent", "requested_by": "siming", "requested_on": "2026-12-07",
    "decided_by": "archivist", "decided_on": "2026-12-07", "decision_note": null, "lent_on": "2026-12-07",
    "due_on": "2026-12-10", "returned_on": null, "overdue": false, "digital": null, "version": 3}))]
pub struct LoanView {
    /// Id.
    pub id: i64,
    /// Archive.
    pub archive_id: i64,
    /// The person's name.
    pub name: String,
    /// Consult or borrow.
    pub kind: LoanKind,
    /// Online use of the digitised copy.
    pub online: bool,
    /// Who asks.
    pub requester: String,
    /// Purpose.
    pub purpose: String,
    /// Piece numbers asked for (empty: the whole archive).
    pub pieces: Vec<i32>,
    /// From.
    #[schema(value_type = String, format = Date)]
    pub asked_from: Date,
    /// Until.
    #[schema(value_type = String, format = Date)]
    pub asked_until: Date,
    /// Status.
    pub status: LoanStatus,
    /// Login that asked.
    pub requested_by: String,
    /// Day asked.
    #[schema(value_type = String, format = Date)]
    pub requested_on: Date,
    /// Login that decided.
    pub decided_by: Option<String>,
    /// Day decided.
    #[schema(value_type = Option<String>, format = Date)]
    pub decided_on: Option<Date>,
    /// Note or reason of the decision.
    pub decision_note: Option<String>,
    /// Day handed out.
    #[schema(value_type = Option<String>, format = Date)]
    pub lent_on: Option<Date>,
    /// Day due back.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<Date>,
    /// Day returned.
    #[schema(value_type = Option<String>, format = Date)]
    pub returned_on: Option<Date>,
    /// Lent and past its due day.
    pub overdue: bool,
    /// The digitised copy (online use, while lent); `null` otherwise.
    pub digital: Option<DigitalView>,
    /// Version (ETag).
    pub version: i64,
}

fn loan_view(conn: &mut DbConnection, l: Loan, today: Date) -> Result<LoanView, AppError> {
    let a = repo::archive_by_id(conn, l.archive_id)?;
    let pieces: Vec<i32> = persistence::typed::stored_json("archive_loans", l.id, "pieces", &l.pieces)?;
    let digital = match (l.online && l.status == LoanStatus::Lent, &a.digital_uri, a.digital_pages, &a.digital_checksum)
    {
        (true, Some(uri), Some(pages), Some(checksum)) => {
            Some(DigitalView { uri: uri.clone(), pages, checksum: checksum.clone() })
        }
        _ => None,
    };
    Ok(LoanView {
        id: l.id,
        archive_id: l.archive_id,
        name: a.person_name,
        kind: l.kind,
        online: l.online,
        requester: l.requester,
        purpose: l.purpose,
        pieces,
        asked_from: l.asked_from,
        asked_until: l.asked_until,
        overdue: l.due_on.is_some_and(|d| rules::loan_overdue(l.status, d, today)),
        status: l.status,
        requested_by: l.requested_by,
        requested_on: l.requested_on,
        decided_by: l.decided_by,
        decided_on: l.decided_on,
        decision_note: l.decision_note,
        lent_on: l.lent_on,
        due_on: l.due_on,
        returned_on: l.returned_on,
        digital,
        version: l.version,
    })
}

/// 403 unless the caller reads loans: `archive.use` (who asks) or `archive.read_materials` (the archivist, the
/// auditor).
pub fn require_read(caller: &Caller) -> Result<(), AppError> {
    if caller.role.allows(Permission::ArchiveUse) || caller.role.allows(Permission::ArchiveReadMaterials) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// Asks to use archive `id` (`archive.use`; audited `archive_loan.request`): the archive in the caller's subtree
/// (else 404) and in store (409 `archive_wrong_status`, e.g. in transit); every field checked at once (422).
pub fn request(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    archive_id: i64,
    body: LoanRequest,
) -> Result<LoanView, AppError> {
    caller.require(Permission::ArchiveUse)?;
    let (a, path) = visible(conn, caller, archive_id)?;
    let policy = policy_at(conn, &path, today)?;
    let mut errors = Vec::new();
    let requester = check_name("/requester", &body.requester, 100, &mut errors);
    let purpose = check_name("/purpose", &body.purpose, 200, &mut errors);
    let asked_from = match body.asked_from.as_deref().map(|t| parse_date("/asked_from", t)) {
        None => today,
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            errors.push(e);
            today
        }
    };
    let asked_until = match body.asked_until.as_deref().map(|t| parse_date("/asked_until", t)) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            errors.push(e);
            Some(asked_from)
        }
    };
    let asked_until = match rules::loan_period(asked_from, asked_until, &policy.archives) {
        Ok(d) => d,
        Err(rules::LoanPeriodError::EndsBeforeStart) => {
            errors.push(FieldError::of("/asked_until", ErrorCode::DateOrder));
            asked_from
        }
        Err(rules::LoanPeriodError::TooLong { days }) => {
            errors.push(FieldError::with(
                "/asked_until",
                ErrorCode::OutOfRange,
                format!("借阅期限最长{days}天"),
                format!("a loan runs at most {days} days"),
            ));
            asked_from
        }
    };
    let online = body.online.unwrap_or(false);
    if online && body.kind != LoanKind::Consult {
        errors.push(FieldError::with(
            "/online",
            ErrorCode::InvalidValue,
            "线上利用仅限查阅",
            "online use is a consultation",
        ));
    } else if online && a.digital_uri.is_none() {
        errors.push(FieldError::with(
            "/online",
            ErrorCode::InvalidValue,
            "该档案尚无数字化副本，不能线上利用",
            "the archive has no digitised copy for online use",
        ));
    }
    let pieces = body.pieces.clone().unwrap_or_default();
    if pieces.len() > MAX_PIECES {
        errors.push(FieldError::with(
            "/pieces",
            ErrorCode::Length,
            format!("最多{MAX_PIECES}件"),
            format!("at most {MAX_PIECES} pieces"),
        ));
    }
    let filed: Vec<i32> = archives_repo::materials_of(conn, a.id)?.iter().map(|m| m.piece_no).collect();
    for (i, p) in pieces.iter().enumerate() {
        if !filed.contains(p) {
            errors.push(FieldError::with(
                format!("/pieces/{i}"),
                ErrorCode::InvalidValue,
                format!("档案中没有第{p}件材料"),
                format!("the archive has no piece {p}"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    rules::loan_allowed(a.status).map_err(|e| AppError::violation(&e))?;
    let new = NewLoan {
        archive_id: a.id,
        kind: body.kind.as_str().to_owned(),
        online,
        requester,
        purpose,
        pieces: serde_json::to_string(&pieces).map_err(AppError::internal)?,
        asked_from,
        asked_until,
        status: LoanStatus::Requested.as_str().to_owned(),
        requested_by: caller.login.clone(),
        requested_on: today,
        created_at: persistence::now_utc(),
        version: 1,
    };
    let l = repo::create(conn, &new)?;
    let mut entry = caller.audit("archive_loan.request", "archive_loan", l.id, &path);
    entry.retiree_id = a.retiree_id;
    entry.detail = Some(
        serde_json::json!({"archive_id": a.id, "kind": l.kind.as_str(), "online": online, "purpose": l.purpose,
            "pieces": pieces, "asked_from": asked_from.to_string(), "asked_until": asked_until.to_string()})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    loan_view(conn, l, today)
}

/// A loan action by the archivist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Approve.
    Approve,
    /// Reject (a reason).
    Reject,
    /// Hand out.
    Lend,
    /// Take back.
    Return,
}

/// Applies `step` to loan `id` (`archive.manage`; audited `archive_loan.<step>`, the hand-out as
/// `archive.consult`, a read of personal data): the loan's status decides (409 `loan_wrong_status`, e.g. returning
/// twice), the archive must be in store to approve or hand out (409 `archive_wrong_status`, e.g. in transit). A
/// rejection needs a reason (422 `/note`). Handing out sets the due day (the last asked day, at most the policy's
/// loan period) and emits `archive.lent`; the return emits `archive.returned`. `If-Match` checked when sent.
pub fn step(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    step: Step,
    if_match: Option<IfMatch>,
    body: LoanStep,
) -> Result<LoanView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let mut errors = Vec::new();
    let note = check_text("/note", body.note.as_deref(), 200, &mut errors);
    if step == Step::Reject && note.is_none() {
        errors.push(FieldError::of("/note", ErrorCode::Required));
    }
    let on = date_not_after("/on", body.on.as_deref(), today, &mut errors);
    let l = repo::find_visible(conn, id, &caller.scope_path)?;
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let (a, path) = visible(conn, caller, l.archive_id)?;
    let action = match step {
        Step::Approve => LoanAction::Approve,
        Step::Reject => LoanAction::Reject,
        Step::Lend => LoanAction::Lend,
        Step::Return => LoanAction::Return,
    };
    let status = rules::apply_loan(l.status, a.status, action).map_err(|e| AppError::violation(&e))?;
    let version = expect_if_sent(if_match, l.version)?;
    let mut change = LoanChange { status: Some(status.as_str().to_owned()), ..LoanChange::default() };
    match step {
        Step::Approve | Step::Reject => {
            change.decided_by = Some(caller.login.clone());
            change.decided_on = Some(today);
            change.decision_note = note.clone();
        }
        Step::Lend => {
            let policy = policy_at(conn, &path, on)?;
            change.lent_by = Some(caller.login.clone());
            change.lent_on = Some(on);
            change.due_on = Some(rules::loan_due(on, Some(l.asked_until.max(on)), &policy.archives));
        }
        Step::Return => {
            change.returned_by = Some(caller.login.clone());
            change.returned_on = Some(on);
        }
    }
    let saved = repo::save(conn, l.id, version, &change)?;
    let after = rules::archive_after_use(a.status, action, l.online);
    let a = if after == a.status { a } else { archives_repo::save_status(conn, a.id, a.version, after)? };
    let action_name = match step {
        Step::Approve => "archive_loan.approve",
        Step::Reject => "archive_loan.reject",
        Step::Lend => "archive.consult",
        Step::Return => "archive_loan.return",
    };
    let object = if step == Step::Lend { ("archive", a.id) } else { ("archive_loan", saved.id) };
    let mut entry = caller.audit(action_name, object.0, object.1, &path);
    entry.retiree_id = a.retiree_id;
    entry.detail = Some(
        serde_json::json!({"loan_id": saved.id, "archive_id": a.id, "kind": saved.kind.as_str(),
            "online": saved.online, "requester": saved.requester, "purpose": saved.purpose, "note": note,
            "due_on": saved.due_on.map(|d| d.to_string())})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    let extra = EventExtra { loan_id: Some(saved.id), ..EventExtra::default() };
    match step {
        Step::Lend => emit(conn, EventType::ArchiveLent, &a, extra)?,
        Step::Return => emit(conn, EventType::ArchiveReturned, &a, extra)?,
        Step::Approve | Step::Reject => {}
    }
    loan_view(conn, saved, today)
}

/// One loan (`archive.use` or `archive.read_materials`; an audited read, `archive_loan.read`).
pub fn get(conn: &mut DbConnection, caller: &Caller, today: Date, id: i64) -> Result<LoanView, AppError> {
    require_read(caller)?;
    let l = repo::find_visible(conn, id, &caller.scope_path)?;
    let (a, path) = visible(conn, caller, l.archive_id)?;
    let mut entry = caller.audit("archive_loan.read", "archive_loan", l.id, &path);
    entry.retiree_id = a.retiree_id;
    persistence::audit::append(conn, &entry)?;
    loan_view(conn, l, today)
}

/// Which loans to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only this status.
    pub status: Option<LoanStatus>,
    /// Only of this archive.
    pub archive_id: Option<i64>,
    /// Only lent and past their due day (the overdue worklist).
    pub overdue: bool,
    /// Cursor.
    pub after: Option<i64>,
    /// Page size.
    pub limit: i64,
}

/// The loans of archives seen from the caller's subtree, by id; `overdue` gives the worklist of loans lent and
/// past their due day on `today`.
pub fn list(conn: &mut DbConnection, caller: &Caller, today: Date, q: ListQuery) -> Result<Vec<LoanView>, AppError> {
    require_read(caller)?;
    let f = LoanFilter {
        status: q.status,
        archive_id: q.archive_id,
        due_before: q.overdue.then_some(today),
        after: q.after,
    };
    let rows = repo::list(conn, &caller.scope_path, &f, q.limit)?;
    rows.into_iter().map(|l| loan_view(conn, l, today)).collect()
}

/// The digitised copy of an archive, by reference (XM Art. 16: online use; the pages are not stored here).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"uri": "https://dams.example.gov.cn/archives/5", "pages": 120,
    "checksum": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "digitised_on": "2026-12-01"}))]
pub struct DigitalRequest {
    /// Where the pages are: an `https://` URI, up to 500 characters.
    pub uri: String,
    /// Pages, 1-99999.
    pub pages: i32,
    /// `sha256:` and 64 lowercase hex digits.
    pub checksum: String,
    /// Day digitised (`YYYY-MM-DD`), default the day on record or today, not in the future.
    #[schema(format = Date)]
    pub digitised_on: Option<String>,
}

/// Records the digitised copy of archive `id` by reference (`archive.manage`; audited `archive.digitise`).
/// `If-Match` checked when sent.
pub fn record_digital(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    body: DigitalRequest,
) -> Result<super::ArchiveView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let mut errors = Vec::new();
    let uri = body.uri.trim().to_owned();
    if !uri.starts_with("https://") || uri.len() > 500 || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.push(FieldError::with(
            "/uri",
            ErrorCode::InvalidValue,
            "应为不超过500个字符的 https:// 地址",
            "an https:// URI of at most 500 characters",
        ));
    }
    if !(1..=99_999).contains(&body.pages) {
        errors.push(FieldError::with("/pages", ErrorCode::OutOfRange, "页数应为1至99999", "pages must be 1 to 99999"));
    }
    let hex = body.checksum.strip_prefix("sha256:").unwrap_or("");
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
        errors.push(FieldError::with(
            "/checksum",
            ErrorCode::InvalidValue,
            "校验值应为 sha256: 加64位小写十六进制",
            "checksum is sha256: and 64 lowercase hex digits",
        ));
    }
    let given = body.digitised_on.is_some();
    let on = date_not_after("/digitised_on", body.digitised_on.as_deref(), today, &mut errors);
    let (a, path) = visible(conn, caller, id)?;
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let version = expect_if_sent(if_match, a.version)?;
    let digitised_on = if given { on } else { a.digitised_on.unwrap_or(on) };
    let saved = repo::save_digital(conn, a.id, version, &uri, body.pages, &body.checksum, digitised_on)?;
    let mut entry = caller.audit("archive.digitise", "archive", a.id, &path);
    entry.retiree_id = a.retiree_id;
    entry.detail = Some(serde_json::json!({"uri": uri, "pages": body.pages, "checksum": body.checksum}).to_string());
    persistence::audit::append(conn, &entry)?;
    super::view(conn, saved, None)
}
