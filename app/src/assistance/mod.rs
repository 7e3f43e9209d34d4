//! Assistance referral 低保/特困转介 (issue 25 part 4; JN Art. 7(8); GUIDE 走访制度): a person in hardship referred to
//! civil affairs for the minimum living allowance or extreme-poverty support, linked to the visit that found the
//! hardship, and civil affairs' answer recorded (accepted, refused, granted from a date: `domain::assistance`).
//! The worklist is every referral still open; the list and its file. Writing needs `assistance.manage`, reading
//! `retiree.read`; every read of one referral is audited, the lists per page.

use domain::ErrorCode;
use domain::Permission;
use domain::assistance::{self, AssistanceKind, ReferralAction, ReferralStatus};
use domain::events::EventType;
use persistence::assistance::{self as repo, NewReferral, Row};
use persistence::events::{self, Emit};
use persistence::{DbConnection, RepoError};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::exports::table::{self, Column, File, Table};
use crate::exports::{Encoding, Format, Labels};
use crate::input::{check_name, check_text, date_not_after, parse_date};
use crate::precondition::{IfMatch, expect_if_sent};
use crate::scope::{path_of, referenced_retiree};

/// Most rows in a file.
const MAX_FILE_ROWS: i64 = 50_000;

/// 403 unless the caller reads referrals (`retiree.read`).
pub fn require_read(caller: &Caller) -> Result<(), AppError> {
    caller.require(Permission::RetireeRead)
}

/// A referral to file.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "kind": "minimum_living", "visit_id": 7, "referred_on": "2026-12-05",
    "hardship": "老伴重病住院，家庭人均收入低于本市低保标准"}))]
pub struct ReferralInput {
    /// The person (in the caller's subtree; else 422 `retiree_not_found`).
    pub retiree_id: i64,
    /// `minimum_living` (低保) or `extreme_poverty` (特困).
    pub kind: AssistanceKind,
    /// The visit that found the hardship: a visit of this person in the caller's subtree (else 422
    /// `visit_not_found`).
    pub visit_id: Option<i64>,
    /// Day referred (`YYYY-MM-DD`, not in the future; default today).
    #[schema(format = Date)]
    pub referred_on: Option<String>,
    /// The hardship found, 1-500 characters.
    pub hardship: String,
}

/// Civil affairs' answer.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "grant", "on": "2026-12-05", "granted_from": "2026-12-01", "note": null}))]
pub struct ReferralAnswerInput {
    /// `accept`, `refuse` (with the reason in `note`: else 422 `reason_required`) or `grant` (with `granted_from`).
    pub action: ReferralAction,
    /// Day of the answer (`YYYY-MM-DD`, not in the future; default today).
    #[schema(format = Date)]
    pub on: Option<String>,
    /// For `grant`: the day support runs from (required; else 422 `required`).
    #[schema(format = Date)]
    pub granted_from: Option<String>,
    /// Note, at most 200 characters (the reason of a refusal).
    pub note: Option<String>,
}

/// A referral.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 5, "retiree_id": 42, "name": "张三", "community": "350203001001",
    "kind": "minimum_living", "visit_id": 7, "hardship": "老伴重病住院", "referred_on": "2026-12-05",
    "status": "granted", "answered_on": "2026-12-06", "granted_from": "2026-12-01", "note": null, "version": 3}))]
pub struct ReferralView {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Community.
    pub community: String,
    /// Kind.
    pub kind: AssistanceKind,
    /// The visit that found the hardship.
    pub visit_id: Option<i64>,
    /// The hardship.
    pub hardship: String,
    /// Day referred.
    #[schema(value_type = String, format = Date)]
    pub referred_on: Date,
    /// `referred`, `accepted`, `refused`, `granted`.
    pub status: ReferralStatus,
    /// Day of the last answer.
    #[schema(value_type = Option<String>, format = Date)]
    pub answered_on: Option<Date>,
    /// Support granted from.
    #[schema(value_type = Option<String>, format = Date)]
    pub granted_from: Option<Date>,
    /// Note of the last answer.
    pub note: Option<String>,
    /// Version (ETag).
    pub version: i64,
}

/// A checked referral.
#[derive(Debug, Clone)]
pub struct ReferralAsked {
    body: ReferralInput,
    referred_on: Date,
    hardship: String,
}

/// A checked answer.
#[derive(Debug, Clone)]
pub struct AnswerAsked {
    action: ReferralAction,
    on: Date,
    granted_from: Option<Date>,
    note: Option<String>,
}

/// The checks of a referral on `today`.
pub fn check(body: &ReferralInput, today: Date) -> Result<ReferralAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let referred_on = match body.referred_on.as_deref() {
        None => today,
        Some(t) => date_not_after("/referred_on", Some(t), today, &mut errors),
    };
    let hardship = check_name("/hardship", &body.hardship, 500, &mut errors);
    if errors.is_empty() { Ok(ReferralAsked { body: body.clone(), referred_on, hardship }) } else { Err(errors) }
}

/// The checks of an answer on `today`: a refusal names its reason, a grant its first day.
pub fn check_answer(body: &ReferralAnswerInput, today: Date) -> Result<AnswerAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on = match body.on.as_deref() {
        None => today,
        Some(t) => date_not_after("/on", Some(t), today, &mut errors),
    };
    let note = check_text("/note", body.note.as_deref(), 200, &mut errors);
    let granted_from = match (body.action, body.granted_from.as_deref()) {
        (ReferralAction::Grant, None) => {
            errors.push(FieldError::with(
                "/granted_from",
                ErrorCode::Required,
                "批准救助时须填写救助起始日期",
                "a grant needs the day support runs from",
            ));
            None
        }
        (ReferralAction::Grant, Some(t)) => parse_date("/granted_from", t).map_err(|e| errors.push(e)).ok(),
        (_, Some(_)) => {
            errors.push(FieldError::with(
                "/granted_from",
                ErrorCode::InvalidValue,
                "仅批准救助时填写救助起始日期",
                "granted_from goes with grant only",
            ));
            None
        }
        (_, None) => None,
    };
    if body.action == ReferralAction::Refuse && note.is_none() && body.note.is_none() {
        errors.push(FieldError::with(
            "/note",
            ErrorCode::ReasonRequired,
            "不予救助时须写明理由",
            "a refusal needs its reason",
        ));
    }
    if errors.is_empty() { Ok(AnswerAsked { action: body.action, on, granted_from, note }) } else { Err(errors) }
}

fn view(row: Row) -> ReferralView {
    let r = row.referral;
    ReferralView {
        id: r.id,
        retiree_id: r.retiree_id,
        name: row.name,
        community: row.community_code,
        kind: r.kind,
        visit_id: r.visit_id,
        hardship: r.hardship,
        referred_on: r.referred_on,
        status: r.status,
        answered_on: r.answered_on,
        granted_from: r.granted_from,
        note: r.answer_note,
        version: r.version,
    }
}

fn emit(
    conn: &mut DbConnection,
    kind: EventType,
    v: &ReferralView,
    from: Option<ReferralStatus>,
) -> Result<(), AppError> {
    events::emit(
        conn,
        &Emit {
            kind: kind.as_str(),
            version: 1,
            subject_type: "assistance_referral",
            subject_id: v.id,
            retiree_id: Some(v.retiree_id),
            community_code: None,
            previous_code: None,
            details: serde_json::json!({
                "referral_id": v.id,
                "kind": v.kind.as_str(),
                "visit_id": v.visit_id,
                "from_status": from.map(|s| s.as_str()),
                "status": v.status.as_str(),
                "referred_on": v.referred_on.to_string(),
                "granted_from": v.granted_from.map(|d| d.to_string()),
            }),
        },
    )?;
    Ok(())
}

/// Refers a person of the caller's subtree to civil affairs (JN Art. 7(8)); the visit, if named, must be one of this
/// person in the caller's subtree (else 422 `visit_not_found`); one open referral per person and kind (409
/// `referral_open`). Audited `assistance.refer`; emits `assistance.referred`.
pub fn refer(conn: &mut DbConnection, caller: &Caller, asked: ReferralAsked) -> Result<ReferralView, AppError> {
    caller.require(Permission::AssistanceManage)?;
    let (person, path) = referenced_retiree(conn, caller, asked.body.retiree_id, "/retiree_id")?;
    if let Some(visit_id) = asked.body.visit_id {
        let not_found = || AppError::field(FieldError::of("/visit_id", ErrorCode::VisitNotFound));
        let visit = match persistence::visits::find_visit_made(conn, visit_id) {
            Ok(v) => v,
            Err(RepoError::NotFound) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        if visit.retiree_id != person.id || !caller.sees(&path_of(conn, &visit.community_code)?) {
            return Err(not_found());
        }
    }
    let kind = asked.body.kind;
    if repo::open_exists(conn, person.id, kind)? {
        return Err(AppError::of(ErrorCode::ReferralOpen));
    }
    let id = repo::create(
        conn,
        &NewReferral {
            retiree_id: person.id,
            kind: kind.as_str().to_owned(),
            visit_id: asked.body.visit_id,
            hardship: asked.hardship,
            referred_on: asked.referred_on,
            status: ReferralStatus::Referred.as_str().to_owned(),
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
            version: 1,
        },
    )
    .map_err(|e| match e {
        RepoError::Unique(_) => AppError::of(ErrorCode::ReferralOpen),
        other => other.into(),
    })?;
    let mut entry = caller.audit("assistance.refer", "assistance_referral", id, &path);
    entry.retiree_id = Some(person.id);
    persistence::audit::append(conn, &entry)?;
    let v = view(repo::find_in_scope(conn, id, &caller.scope_path)?);
    emit(conn, EventType::AssistanceReferred, &v, None)?;
    Ok(v)
}

/// Records civil affairs' answer on a referral of the caller's subtree (else 404; an answer that does not fit:
/// 409 `referral_wrong_status`; `If-Match` optional, stale: 412). Audited `assistance.answer`; emits
/// `assistance.changed`.
pub fn answer(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: Option<IfMatch>,
    asked: AnswerAsked,
) -> Result<ReferralView, AppError> {
    caller.require(Permission::AssistanceManage)?;
    let row = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let version = expect_if_sent(if_match, row.referral.version)?;
    let from = row.referral.status;
    let to = assistance::apply(from, asked.action).map_err(|e| AppError::violation(&e))?;
    let granted_from = asked.granted_from.or(row.referral.granted_from);
    repo::answer(conn, id, version, from, to, asked.on, granted_from, asked.note.as_deref())?;
    let mut entry = caller.audit("assistance.answer", "assistance_referral", id, &row.path);
    entry.retiree_id = Some(row.referral.retiree_id);
    entry.detail = Some(serde_json::json!({"from": from.as_str(), "to": to.as_str()}).to_string());
    persistence::audit::append(conn, &entry)?;
    let v = view(repo::find_in_scope(conn, id, &caller.scope_path)?);
    emit(conn, EventType::AssistanceChanged, &v, Some(from))?;
    Ok(v)
}

/// One referral of the caller's subtree (else 404); audited `assistance.read`.
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Audited<ReferralView>, AppError> {
    require_read(caller)?;
    let row = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let path = row.path.clone();
    let v = view(row);
    let mut entry = caller.audit("assistance.read", "assistance_referral", id, &path);
    entry.retiree_id = Some(v.retiree_id);
    Ok(Audited::new(v, entry))
}

/// A page of the referrals of the caller's subtree, by id; `open` gives the worklist (referred or accepted, civil
/// affairs has still to answer), `status` one status. Audited `assistance.list`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    statuses: &[ReferralStatus],
    after: Option<i64>,
    limit: i64,
) -> Result<Audited<Vec<ReferralView>>, AppError> {
    require_read(caller)?;
    let items: Vec<ReferralView> =
        repo::list(conn, &caller.scope_path, statuses, after, limit)?.into_iter().map(view).collect();
    let mut entry = caller.audit("assistance.list", "assistance_referral", "list", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"rows": items.len()}).to_string());
    Ok(Audited::new(items, entry))
}

const COLUMNS: [Column; 10] = [
    Column::text("id", "转介编号"),
    Column::text("retiree_id", "人员编号"),
    Column::text("name", "姓名"),
    Column::text("community", "所属社区"),
    Column::text("kind", "救助类别"),
    Column::text("visit_id", "走访记录编号"),
    Column::date("referred_on", "转介日期"),
    Column::text("status", "办理状态"),
    Column::date("answered_on", "答复日期"),
    Column::date("granted_from", "救助起始日期"),
];

/// The referrals (of `statuses`, or all) as a file with Chinese headers; audited `assistance.export`.
pub fn export(
    conn: &mut DbConnection,
    caller: &Caller,
    statuses: &[ReferralStatus],
    format: Format,
    encoding: Encoding,
    labels: Labels,
) -> Result<Audited<File>, AppError> {
    require_read(caller)?;
    let rows: Vec<Vec<String>> = repo::list(conn, &caller.scope_path, statuses, None, MAX_FILE_ROWS)?
        .into_iter()
        .map(view)
        .map(|v| {
            vec![
                v.id.to_string(),
                v.retiree_id.to_string(),
                v.name,
                v.community,
                table::label(v.kind.as_str(), v.kind.label_zh(), labels),
                v.visit_id.map(|i| i.to_string()).unwrap_or_default(),
                v.referred_on.to_string(),
                table::label(v.status.as_str(), v.status.label_zh(), labels),
                v.answered_on.map(|d| d.to_string()).unwrap_or_default(),
                v.granted_from.map(|d| d.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let count = rows.len();
    let file = table::render(
        &[Table::new("救助转介", COLUMNS.to_vec(), rows)],
        format,
        encoding,
        labels,
        "assistance-referrals",
    )?;
    let mut entry = caller.audit("assistance.export", "assistance_referral", "list", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"rows": count, "format": format.as_str()}).to_string());
    Ok(Audited::new(file, entry))
}
