//! High-age allowance 高龄补贴 (issue 25 part 4; JN Art. 7(7): "协助做好高龄补贴发放"): applications taken for a person
//! on the roll who reaches the first band's age by the end of the month, approved or refused with a reason, and the
//! monthly list of the people paid and their amounts per node, with its file.
//!
//! The age bands and monthly amounts are effective-dated policy values (`high_age_allowance`); the presets hold
//! them unset (the regulations leave them to local rules), and every step that needs them answers 409
//! `allowance_policy_unset` rather than an allowance of nothing. Payment starts with the month the person reaches
//! the first band's age and stops with the death flow's stop month (`domain::death::stop_month`, the month after
//! death). Writing needs `allowance.manage`; reading `retiree.read`. Every read of one person's application is
//! audited, the lists per page.

// Issue 27: the allowance section of the monthly report.
pub mod report;

use domain::events::EventType;
use domain::high_age::{self, AllowanceError, ApplicationStatus, Decision};
use domain::pension::month_of;
use domain::{ErrorCode, Money, PensionStatus, Permission};
use persistence::events::{self, Emit};
use persistence::high_age::{self as repo, NewApplication, Row};
use persistence::{DbConnection, RepoError};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::exports::table::{self, Column, File, Table};
use crate::exports::{Encoding, Format, Labels};
use crate::input::{check_text, date_not_after, month_text};
use crate::policy_book::{PolicyBook, policy_at};
use crate::precondition::{IfMatch, expect_if_sent};
use crate::scope::referenced_retiree;

/// 403 unless the caller reads the allowance (`retiree.read`).
pub fn require_read(caller: &Caller) -> Result<(), AppError> {
    caller.require(Permission::RetireeRead)
}

/// An application to file.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "applied_on": "2026-12-05", "note": "本人到社区申请"}))]
pub struct AllowanceApplyInput {
    /// The person (on the roll in the caller's subtree; else 422 `retiree_not_found`).
    pub retiree_id: i64,
    /// Day applied (`YYYY-MM-DD`, not in the future; default today).
    #[schema(format = Date)]
    pub applied_on: Option<String>,
    /// Note, at most 200 characters.
    pub note: Option<String>,
}

/// A decision on an application.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "refuse", "reason": "户籍不在本市"}))]
pub struct AllowanceDecisionInput {
    /// `approve` or `refuse`.
    pub decision: Decision,
    /// Why it is refused: required for `refuse` (422 `reason_required`), 1-200 characters.
    pub reason: Option<String>,
}

/// An application.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 3, "retiree_id": 42, "name": "张三", "community": "350203001001",
    "applied_on": "2026-12-05", "status": "approved", "from_month": "2026-12", "note": null, "reason": null,
    "decided_on": "2026-12-06", "stop_month": null, "version": 2}))]
pub struct AllowanceApplicationView {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// The person's community.
    pub community: String,
    /// Day applied.
    #[schema(value_type = String, format = Date)]
    pub applied_on: Date,
    /// `applied`, `approved`, `refused`.
    pub status: ApplicationStatus,
    /// The first month paid once approved: the month the first band's age is reached (`YYYY-MM`).
    pub from_month: String,
    /// Note.
    pub note: Option<String>,
    /// The reason of a refusal.
    pub reason: Option<String>,
    /// Day decided.
    #[schema(value_type = Option<String>, format = Date)]
    pub decided_on: Option<Date>,
    /// The first month no longer paid (the death flow's stop month, `YYYY-MM`), if the person's death is verified.
    pub stop_month: Option<String>,
    /// Version (ETag).
    pub version: i64,
}

/// One person paid for the month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"application_id": 3, "retiree_id": 42, "name": "张三", "community": "350203001001",
    "age": 80, "band_from_age": 80, "amount": "100.00"}))]
pub struct AllowanceMonthRow {
    /// The approved application.
    pub application_id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Community.
    pub community: String,
    /// Age reached by the end of the month.
    pub age: i32,
    /// The band applied (its age).
    pub band_from_age: u32,
    /// Yuan for the month.
    pub amount: String,
}

/// The people and amount of one community for the month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"community": "350203001001", "people": 1, "amount": "100.00"}))]
pub struct AllowanceNodeTotal {
    /// Community.
    pub community: String,
    /// People paid.
    pub people: i64,
    /// Yuan.
    pub amount: String,
}

/// The monthly list: every person paid in the caller's subtree, the totals per community and overall.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"month": "2026-12", "items": [{"application_id": 3, "retiree_id": 42, "name": "张三",
    "community": "350203001001", "age": 80, "band_from_age": 80, "amount": "100.00"}],
    "by_community": [{"community": "350203001001", "people": 1, "amount": "100.00"}], "people": 1,
    "total": "100.00"}))]
pub struct AllowanceMonthList {
    /// The month (`YYYY-MM`).
    pub month: String,
    /// The people paid, by community and person.
    pub items: Vec<AllowanceMonthRow>,
    /// Per community.
    pub by_community: Vec<AllowanceNodeTotal>,
    /// People paid.
    pub people: i64,
    /// Yuan.
    pub total: String,
}

/// A checked application.
#[derive(Debug, Clone)]
pub struct ApplyAsked {
    retiree_id: i64,
    applied_on: Date,
    note: Option<String>,
}

/// A checked decision.
#[derive(Debug, Clone)]
pub struct DecisionAsked {
    decision: Decision,
    reason: Option<String>,
}

/// The checks of an application on `today`.
pub fn check_apply(body: &AllowanceApplyInput, today: Date) -> Result<ApplyAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let applied_on = match body.applied_on.as_deref() {
        None => today,
        Some(t) => date_not_after("/applied_on", Some(t), today, &mut errors),
    };
    let note = check_text("/note", body.note.as_deref(), 200, &mut errors);
    if errors.is_empty() { Ok(ApplyAsked { retiree_id: body.retiree_id, applied_on, note }) } else { Err(errors) }
}

/// The checks of a decision: a refusal names its reason.
pub fn check_decision(body: &AllowanceDecisionInput) -> Result<DecisionAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let reason = check_text("/reason", body.reason.as_deref(), 200, &mut errors);
    if body.decision == Decision::Refuse && reason.is_none() && errors.is_empty() {
        errors.push(FieldError::with(
            "/reason",
            ErrorCode::ReasonRequired,
            "不予批准时须写明理由",
            "a refusal needs its reason",
        ));
    }
    if errors.is_empty() { Ok(DecisionAsked { decision: body.decision, reason }) } else { Err(errors) }
}

fn rule(e: AllowanceError) -> AppError {
    AppError::violation(&e)
}

fn view(row: Row, stop: Option<Date>) -> AllowanceApplicationView {
    let a = row.application;
    AllowanceApplicationView {
        id: a.id,
        retiree_id: a.retiree_id,
        name: row.name,
        community: row.community_code,
        applied_on: a.applied_on,
        status: a.status,
        from_month: month_text(a.from_month),
        note: a.note,
        reason: a.reason,
        decided_on: a.decided_on,
        stop_month: stop.map(month_text),
        version: a.version,
    }
}

fn emit(conn: &mut DbConnection, kind: EventType, v: &AllowanceApplicationView) -> Result<(), AppError> {
    events::emit(
        conn,
        &Emit {
            kind: kind.as_str(),
            version: 1,
            subject_type: "allowance_application",
            subject_id: v.id,
            retiree_id: Some(v.retiree_id),
            community_code: None,
            previous_code: None,
            details: serde_json::json!({
                "application_id": v.id,
                "status": v.status.as_str(),
                "applied_on": v.applied_on.to_string(),
                "from_month": v.from_month,
                "reason": v.reason,
            }),
        },
    )?;
    Ok(())
}

/// Files an application for a person on the roll in the caller's subtree whose pension is not stopped and who
/// reaches the first band's age (by the policy at the person's community on the day applied) by the end of the
/// month applied in (else 422 `allowance_not_eligible` on `/retiree_id`; no bands: 409 `allowance_policy_unset`;
/// one pending or approved already: 409 `allowance_application_exists`). Audited `allowance.apply`; emits
/// `allowance.applied`.
pub fn apply(
    conn: &mut DbConnection,
    caller: &Caller,
    asked: ApplyAsked,
) -> Result<AllowanceApplicationView, AppError> {
    caller.require(Permission::AllowanceManage)?;
    let (person, path) = referenced_retiree(conn, caller, asked.retiree_id, "/retiree_id")?;
    if person.pension_status == PensionStatus::Stopped || !person.on_roll {
        return Err(AppError::of(ErrorCode::PensionStopped));
    }
    let policy = policy_at(conn, &path, asked.applied_on)?;
    let bands = high_age::bands(&policy.high_age_allowance).map_err(rule)?;
    let from_month = high_age::check_eligible(person.birth_date, bands, asked.applied_on)
        .map_err(|e| AppError::field(FieldError::rule("/retiree_id", &e)))?;
    if repo::open_exists(conn, person.id)? {
        return Err(AppError::of(ErrorCode::AllowanceApplicationExists));
    }
    let stored = repo::create(
        conn,
        &NewApplication {
            retiree_id: person.id,
            applied_on: asked.applied_on,
            status: ApplicationStatus::Applied.as_str().to_owned(),
            from_month,
            note: asked.note,
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
            version: 1,
        },
    )
    .map_err(|e| match e {
        RepoError::Unique(_) => AppError::of(ErrorCode::AllowanceApplicationExists),
        other => other.into(),
    })?;
    let mut entry = caller.audit("allowance.apply", "allowance_application", stored.id, &path);
    entry.retiree_id = Some(person.id);
    persistence::audit::append(conn, &entry)?;
    let v = view(repo::find_in_scope(conn, stored.id, &caller.scope_path)?, None);
    emit(conn, EventType::AllowanceApplied, &v)?;
    Ok(v)
}

/// Approves or refuses (with its reason) a pending application in the caller's subtree (else 404; decided
/// already: 409 `allowance_wrong_status`; `If-Match` optional, stale: 412). Audited `allowance.decide`; emits
/// `allowance.decided`.
pub fn decide(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    asked: DecisionAsked,
) -> Result<AllowanceApplicationView, AppError> {
    caller.require(Permission::AllowanceManage)?;
    let row = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let version = expect_if_sent(if_match, row.application.version)?;
    let status = high_age::decide(row.application.status, asked.decision).map_err(rule)?;
    let reason = if status == ApplicationStatus::Refused { asked.reason.as_deref() } else { None };
    repo::decide(conn, id, version, status, reason, today, &caller.login)?;
    let mut entry = caller.audit("allowance.decide", "allowance_application", id, &row.path);
    entry.retiree_id = Some(row.application.retiree_id);
    entry.detail = Some(serde_json::json!({"status": status.as_str(), "reason": reason}).to_string());
    persistence::audit::append(conn, &entry)?;
    let again = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let stop = repo::stop_month_of(conn, again.application.retiree_id)?;
    let v = view(again, stop);
    emit(conn, EventType::AllowanceDecided, &v)?;
    Ok(v)
}

/// One application in the caller's subtree (else 404); audited `allowance.application.read`.
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Audited<AllowanceApplicationView>, AppError> {
    require_read(caller)?;
    let row = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let path = row.path.clone();
    let stop = repo::stop_month_of(conn, row.application.retiree_id)?;
    let v = view(row, stop);
    let mut entry = caller.audit("allowance.application.read", "allowance_application", id, &path);
    entry.retiree_id = Some(v.retiree_id);
    Ok(Audited::new(v, entry))
}

/// A page of the applications of people in the caller's subtree, by id; only of `status` when given. Audited
/// `allowance.application.list`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    status: Option<ApplicationStatus>,
    after: Option<i64>,
    limit: i64,
) -> Result<Audited<Vec<AllowanceApplicationView>>, AppError> {
    require_read(caller)?;
    let mut items = Vec::new();
    for row in repo::list(conn, &caller.scope_path, status, after, limit)? {
        let stop = repo::stop_month_of(conn, row.application.retiree_id)?;
        items.push(view(row, stop));
    }
    let mut entry = caller.audit("allowance.application.list", "allowance_application", "list", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"rows": items.len(), "status": status.map(|s| s.as_str())}).to_string());
    Ok(Audited::new(items, entry))
}

/// The month's list (no audit of its own): the approved people of the caller's subtree paid for `month`, each by
/// the policy in force at their community on the month's first day (no bands there: 409
/// `allowance_policy_unset`), from the month the age is reached until the death flow's stop month.
fn month_rows(conn: &mut DbConnection, caller: &Caller, month: Date) -> Result<AllowanceMonthList, AppError> {
    let month = month_of(month);
    let book = PolicyBook::load(conn, month)?;
    let rows = repo::approved_for_month(conn, &caller.scope_path, month)?;
    if rows.is_empty() {
        high_age::bands(&book.at(&caller.scope_path).high_age_allowance).map_err(rule)?;
    }
    let mut items = Vec::new();
    let mut by_community: Vec<AllowanceNodeTotal> = Vec::new();
    let mut totals: Vec<i64> = Vec::new();
    let mut total = 0i64;
    for (row, stop) in rows {
        let bands = high_age::bands(&book.at(&row.path).high_age_allowance).map_err(rule)?;
        let a = &row.application;
        let Some((age, amount)) = high_age::payable(row.birth_date, bands, month, a.from_month, stop) else {
            continue;
        };
        let band_from_age = high_age::band_for(bands, age).map_or(0, |b| b.from_age);
        total = total.checked_add(amount.fen()).ok_or_else(|| AppError::internal("allowance total overflow"))?;
        match by_community.last_mut() {
            Some(t) if t.community == row.community_code => {
                t.people += 1;
                if let Some(f) = totals.last_mut() {
                    *f += amount.fen();
                }
            }
            _ => {
                by_community.push(AllowanceNodeTotal {
                    community: row.community_code.clone(),
                    people: 1,
                    amount: String::new(),
                });
                totals.push(amount.fen());
            }
        }
        items.push(AllowanceMonthRow {
            application_id: a.id,
            retiree_id: a.retiree_id,
            name: row.name,
            community: row.community_code,
            age,
            band_from_age,
            amount: amount.to_string(),
        });
    }
    for (t, fen) in by_community.iter_mut().zip(totals) {
        t.amount = Money::from_fen(fen).to_string();
    }
    Ok(AllowanceMonthList {
        month: month_text(month),
        people: i64::try_from(items.len()).unwrap_or(i64::MAX),
        items,
        by_community,
        total: Money::from_fen(total).to_string(),
    })
}

/// The monthly list of the caller's subtree; audited `allowance.month.list`.
pub fn month_list(
    conn: &mut DbConnection,
    caller: &Caller,
    month: Date,
) -> Result<Audited<AllowanceMonthList>, AppError> {
    require_read(caller)?;
    let list = month_rows(conn, caller, month)?;
    let mut entry = caller.audit("allowance.month.list", "allowance_application", "list", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"month": list.month, "rows": list.items.len()}).to_string());
    Ok(Audited::new(list, entry))
}

/// The columns of the monthly file.
const MONTH_COLUMNS: [Column; 7] = [
    Column::text("retiree_id", "人员编号"),
    Column::text("name", "姓名"),
    Column::text("community", "所属社区"),
    Column::text("month", "发放月份"),
    Column::number("age", "年龄"),
    Column::number("band_from_age", "补贴档次（周岁起）"),
    Column::money("amount", "补贴金额（元）"),
];

/// The monthly list as a file (Chinese headers with `labels=zh`, a totals row); audited `allowance.export`.
pub fn export(
    conn: &mut DbConnection,
    caller: &Caller,
    month: Date,
    format: Format,
    encoding: Encoding,
    labels: Labels,
) -> Result<Audited<File>, AppError> {
    require_read(caller)?;
    let list = month_rows(conn, caller, month)?;
    let rows: Vec<Vec<String>> = list
        .items
        .iter()
        .map(|r| {
            vec![
                r.retiree_id.to_string(),
                r.name.clone(),
                r.community.clone(),
                list.month.clone(),
                r.age.to_string(),
                r.band_from_age.to_string(),
                r.amount.clone(),
            ]
        })
        .collect();
    let count = rows.len();
    let totals = vec![
        "合计".to_owned(),
        String::new(),
        String::new(),
        list.month.clone(),
        list.people.to_string(),
        String::new(),
        list.total.clone(),
    ];
    let stem = format!("high-age-allowance-{}", list.month);
    let sheet = Table::new("高龄补贴发放名单", MONTH_COLUMNS.to_vec(), rows)
        .with_title(format!("{} 高龄补贴发放名单", list.month))
        .with_totals(totals);
    let file = table::render(&[sheet], format, encoding, labels, &stem)?;
    let mut entry = caller.audit("allowance.export", "allowance_application", "list", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"rows": count, "month": list.month, "format": format.as_str()}).to_string());
    Ok(Audited::new(file, entry))
}
