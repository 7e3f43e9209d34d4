//! Health records of people (GUIDE 第五部分第四章四 2(6)-(9): 收集健康信息、建立健康档案、进行定期更新、调整档案内容):
//! creating a person's record with an institution under an agreement in force, filing examinations (each an
//! update), adjusting the record, the single view (full or masked), the list and its worklists (due for an update;
//! people of the policy age without a record), and their files. Emits `health.record_created` and
//! `health.record_updated` without health data.

use domain::events::EventType;
use domain::health::{self, DisabilityLevel};
use domain::{ErrorCode, Permission};
use persistence::events::{self, Emit};
use persistence::health_records::{self as repo, NewExamination, NewRecord, RecordRow};
use persistence::{DbConnection, RepoError, audit};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::institutions::usable;
use super::reads_health;
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::exports::table::{self, Column, File, Table};
use crate::exports::{Encoding, Format, Labels};
use crate::input::{check_name, date_not_after};
use crate::policy_book::policy_at;
use crate::precondition::IfMatch;
use crate::scope::referenced_retiree;

/// Most conditions on a record.
const MAX_CONDITIONS: usize = 20;
/// Most rows in a file.
const MAX_FILE_ROWS: i64 = 50_000;

/// A record to create (GUIDE 四 2(6)-(7)).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"retiree_id": 42, "institution_id": 2, "conditions": ["高血压", "2型糖尿病"],
    "disability_level": "none", "collected_on": "2026-12-01"}))]
pub struct RecordInput {
    /// The person, in the caller's subtree (else 422 `retiree_not_found`).
    pub retiree_id: i64,
    /// The institution keeping the record, with an agreement in force on `collected_on`.
    pub institution_id: i64,
    /// Chronic conditions (慢性病), each 1-50 characters, at most 20; may be empty.
    pub conditions: Vec<String>,
    /// Disability level.
    pub disability_level: DisabilityLevel,
    /// Day the information was collected (`YYYY-MM-DD`), not in the future; default today. It is the record's
    /// last update.
    #[schema(format = Date)]
    pub collected_on: Option<String>,
}

/// The adjusted content of a record (GUIDE 四 2(9) 调整档案内容); the day is today.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"institution_id": 2, "conditions": ["高血压"], "disability_level": "grade_4"}))]
pub struct AdjustInput {
    /// The institution keeping the record, with an agreement in force today.
    pub institution_id: i64,
    /// Chronic conditions.
    pub conditions: Vec<String>,
    /// Disability level.
    pub disability_level: DisabilityLevel,
}

/// An examination to file (GUIDE 四 2(8) 进行定期更新): it updates the record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"examined_on": "2026-12-05", "institution_id": 2, "summary": "血压偏高，建议复查",
    "chronic_disease": true, "disability_level": "none"}))]
pub struct ExaminationInput {
    /// Day of the examination (`YYYY-MM-DD`), not in the future.
    #[schema(format = Date)]
    pub examined_on: String,
    /// Institution that examined, with an agreement in force that day; default the record's.
    pub institution_id: Option<i64>,
    /// Summary, 1-500 characters.
    pub summary: String,
    /// Chronic disease found.
    pub chronic_disease: bool,
    /// Disability level found (it becomes the record's).
    pub disability_level: DisabilityLevel,
}

/// An examination.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExaminationView {
    /// Id.
    pub id: i64,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub examined_on: Date,
    /// Institution.
    pub institution_id: i64,
    /// Summary.
    pub summary: String,
    /// Chronic disease found.
    pub chronic_disease: bool,
    /// Disability level found.
    pub disability_level: DisabilityLevel,
}

/// A record. For a role without `health.read` it is the masked summary: `masked` is `true` and the institution,
/// conditions, disability level and examinations are `null`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 7, "retiree_id": 42, "name": "张三", "community": "350203001001",
    "masked": false, "last_updated_on": "2026-12-01", "next_due_on": "2027-12-01", "due": false,
    "institution_id": 2, "conditions": ["高血压"], "disability_level": "none", "examinations": null, "version": 1}))]
pub struct RecordView {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// The person's community.
    pub community: String,
    /// Whether the health data is left out (the caller lacks `health.read`).
    pub masked: bool,
    /// Day of the last update.
    #[schema(value_type = String, format = Date)]
    pub last_updated_on: Date,
    /// Day the next update is due (policy `health.update_interval_days`).
    #[schema(value_type = Option<String>, format = Date)]
    pub next_due_on: Option<Date>,
    /// Whether it is due today (on the worklist).
    pub due: bool,
    /// The institution keeping it.
    pub institution_id: Option<i64>,
    /// Chronic conditions.
    pub conditions: Option<Vec<String>>,
    /// Disability level.
    pub disability_level: Option<DisabilityLevel>,
    /// Examinations, newest first (single view only).
    pub examinations: Option<Vec<ExaminationView>>,
    /// Version (ETag).
    pub version: i64,
}

/// A person of the policy age without a record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"retiree_id": 43, "name": "李四", "community": "350203001001", "age": 71}))]
pub struct MissingView {
    /// The person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Community.
    pub community: String,
    /// Age today.
    pub age: i32,
}

/// A checked record.
#[derive(Debug, Clone)]
pub struct RecordAsked {
    body: RecordInput,
    conditions: Vec<String>,
    collected_on: Date,
}

/// A checked adjustment.
#[derive(Debug, Clone)]
pub struct AdjustAsked {
    body: AdjustInput,
    conditions: Vec<String>,
}

/// A checked examination.
#[derive(Debug, Clone)]
pub struct ExaminationAsked {
    body: ExaminationInput,
    examined_on: Date,
    summary: String,
}

fn check_conditions(list: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    if list.len() > MAX_CONDITIONS {
        errors.push(FieldError::with(
            "/conditions",
            ErrorCode::InvalidValue,
            format!("慢性病最多{MAX_CONDITIONS}项"),
            format!("at most {MAX_CONDITIONS} conditions"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let c = check_name(&format!("/conditions/{i}"), c, 50, errors);
        if !c.is_empty() && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// The checks of a new record on `today`, every broken rule at once.
pub fn check(body: &RecordInput, today: Date) -> Result<RecordAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let conditions = check_conditions(&body.conditions, &mut errors);
    let collected_on = date_not_after("/collected_on", body.collected_on.as_deref(), today, &mut errors);
    if errors.is_empty() { Ok(RecordAsked { body: body.clone(), conditions, collected_on }) } else { Err(errors) }
}

/// The checks of an adjustment.
pub fn check_adjust(body: &AdjustInput) -> Result<AdjustAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let conditions = check_conditions(&body.conditions, &mut errors);
    if errors.is_empty() { Ok(AdjustAsked { body: body.clone(), conditions }) } else { Err(errors) }
}

/// The checks of an examination on `today`.
pub fn check_examination(body: &ExaminationInput, today: Date) -> Result<ExaminationAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let examined_on = date_not_after("/examined_on", Some(&body.examined_on), today, &mut errors);
    let summary = check_name("/summary", &body.summary, 500, &mut errors);
    if errors.is_empty() { Ok(ExaminationAsked { body: body.clone(), examined_on, summary }) } else { Err(errors) }
}

/// The record `row` as `caller` sees it on `today` under the policy at the person's community; with `exams`
/// (the single view of a `health.read` role) its examinations.
fn view(
    conn: &mut DbConnection,
    caller: &Caller,
    row: RecordRow,
    today: Date,
    exams: bool,
) -> Result<RecordView, AppError> {
    let policy = policy_at(conn, &row.path, today)?;
    let r = row.record;
    let full = reads_health(caller);
    let examinations = if full && exams {
        Some(
            repo::examinations_of(conn, r.id)?
                .into_iter()
                .map(|e| ExaminationView {
                    id: e.id,
                    examined_on: e.examined_on,
                    institution_id: e.institution_id,
                    summary: e.summary,
                    chronic_disease: e.chronic_disease,
                    disability_level: e.disability_level,
                })
                .collect(),
        )
    } else {
        None
    };
    let conditions = if full {
        Some(persistence::typed::stored_json::<Vec<String>>("health_records", r.id, "conditions", &r.conditions)?)
    } else {
        None
    };
    Ok(RecordView {
        id: r.id,
        retiree_id: r.retiree_id,
        name: row.name,
        community: row.community_code,
        masked: !full,
        last_updated_on: r.last_updated_on,
        next_due_on: health::next_due(&policy.health, r.last_updated_on),
        due: health::is_due(&policy.health, r.last_updated_on, today),
        institution_id: full.then_some(r.institution_id),
        conditions,
        disability_level: full.then_some(r.disability_level),
        examinations,
        version: r.version,
    })
}

/// Emits `kind` about the record `r` of the person (placed in their community): the dates only, never health data.
fn emit(conn: &mut DbConnection, kind: EventType, view: &RecordView) -> Result<(), AppError> {
    events::emit(
        conn,
        &Emit {
            kind: kind.as_str(),
            version: 1,
            subject_type: "health_record",
            subject_id: view.id,
            retiree_id: Some(view.retiree_id),
            community_code: Some(&view.community),
            previous_code: None,
            details: serde_json::json!({
                "record_id": view.id,
                "last_updated_on": view.last_updated_on.to_string(),
                "next_due_on": view.next_due_on.map(|d| d.to_string()),
            }),
        },
    )?;
    Ok(())
}

fn to_json(v: &[String]) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(AppError::internal)
}

/// Creates the record of a person (GUIDE 四 2(7)) with an institution whose agreement is in force on the day the
/// information was collected; a person with a record: 409 `health_record_exists`. Audited
/// `health.record.create`; emits `health.record_created`.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    asked: RecordAsked,
) -> Result<RecordView, AppError> {
    caller.require(Permission::HealthWrite)?;
    let (person, path) = referenced_retiree(conn, caller, asked.body.retiree_id, "/retiree_id")?;
    usable(conn, caller, asked.body.institution_id, asked.collected_on, "/institution_id")?;
    if repo::record_of(conn, person.id)?.is_some() {
        return Err(AppError::of(ErrorCode::HealthRecordExists));
    }
    let row = NewRecord {
        retiree_id: person.id,
        institution_id: asked.body.institution_id,
        conditions: to_json(&asked.conditions)?,
        disability_level: asked.body.disability_level.as_str().to_owned(),
        created_on: today,
        last_updated_on: asked.collected_on,
        created_by: caller.login.clone(),
        created_at: persistence::now_utc(),
        version: 1,
    };
    let stored = match repo::create_record(conn, &row) {
        Err(RepoError::Unique(_)) => return Err(AppError::of(ErrorCode::HealthRecordExists)),
        other => other?,
    };
    let mut entry = caller.audit("health.record.create", "health_record", stored.id, &path);
    entry.retiree_id = Some(person.id);
    audit::append(conn, &entry)?;
    let found = repo::find_record(conn, stored.id, &caller.scope_path)?;
    let v = view(conn, caller, found, today, false)?;
    emit(conn, EventType::HealthRecordCreated, &v)?;
    Ok(v)
}

/// Adjusts the content of record `id` (GUIDE 四 2(9)) at the version `if_match` asks for; the record counts as
/// updated today. Audited `health.record.adjust`; emits `health.record_updated`.
pub fn adjust(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: IfMatch,
    asked: AdjustAsked,
) -> Result<RecordView, AppError> {
    caller.require(Permission::HealthWrite)?;
    let found = repo::find_record(conn, id, &caller.scope_path)?;
    let version = if_match.expect(found.record.version)?;
    usable(conn, caller, asked.body.institution_id, today, "/institution_id")?;
    let r = &found.record;
    let row = NewRecord {
        retiree_id: r.retiree_id,
        institution_id: asked.body.institution_id,
        conditions: to_json(&asked.conditions)?,
        disability_level: asked.body.disability_level.as_str().to_owned(),
        created_on: r.created_on,
        last_updated_on: today,
        created_by: r.created_by.clone(),
        created_at: r.created_at,
        version: r.version,
    };
    repo::save_record(conn, id, version, &row)?;
    let mut entry = caller.audit("health.record.adjust", "health_record", id, &found.path);
    entry.retiree_id = Some(r.retiree_id);
    audit::append(conn, &entry)?;
    let again = repo::find_record(conn, id, &caller.scope_path)?;
    let v = view(conn, caller, again, today, false)?;
    emit(conn, EventType::HealthRecordUpdated, &v)?;
    Ok(v)
}

/// Files an examination on record `id` (GUIDE 四 2(8)): the record's disability level becomes the one found and
/// its last update the examination's day (if later). `if_match`, when sent, must match. Audited
/// `health.examination.create`; emits `health.record_updated`.
pub fn examine(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    asked: ExaminationAsked,
) -> Result<RecordView, AppError> {
    caller.require(Permission::HealthWrite)?;
    let found = repo::find_record(conn, id, &caller.scope_path)?;
    let version = crate::precondition::expect_if_sent(if_match, found.record.version)?;
    let institution_id = asked.body.institution_id.unwrap_or(found.record.institution_id);
    usable(conn, caller, institution_id, asked.examined_on, "/institution_id")?;
    let r = &found.record;
    repo::add_examination(
        conn,
        &NewExamination {
            record_id: id,
            examined_on: asked.examined_on,
            institution_id,
            summary: asked.summary.clone(),
            chronic_disease: asked.body.chronic_disease,
            disability_level: asked.body.disability_level.as_str().to_owned(),
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
        },
    )?;
    let conditions: Vec<String> = persistence::typed::stored_json("health_records", id, "conditions", &r.conditions)?;
    let row = NewRecord {
        retiree_id: r.retiree_id,
        institution_id: r.institution_id,
        conditions: to_json(&conditions)?,
        disability_level: asked.body.disability_level.as_str().to_owned(),
        created_on: r.created_on,
        last_updated_on: r.last_updated_on.max(asked.examined_on),
        created_by: r.created_by.clone(),
        created_at: r.created_at,
        version: r.version,
    };
    repo::save_record(conn, id, version, &row)?;
    let mut entry = caller.audit("health.examination.create", "health_record", id, &found.path);
    entry.retiree_id = Some(r.retiree_id);
    entry.detail = Some(serde_json::json!({"examined_on": asked.examined_on.to_string()}).to_string());
    audit::append(conn, &entry)?;
    let again = repo::find_record(conn, id, &caller.scope_path)?;
    let v = view(conn, caller, again, today, false)?;
    emit(conn, EventType::HealthRecordUpdated, &v)?;
    Ok(v)
}

/// One record in the caller's subtree (else 404): in full with its examinations for `health.read`
/// (audited `health.record.read`), else the masked summary (audited `health.record.summary_read`).
pub fn get(conn: &mut DbConnection, caller: &Caller, today: Date, id: i64) -> Result<Audited<RecordView>, AppError> {
    super::require_read(caller)?;
    let found = repo::find_record(conn, id, &caller.scope_path)?;
    let path = found.path.clone();
    let v = view(conn, caller, found, today, true)?;
    let action = if v.masked { "health.record.summary_read" } else { "health.record.read" };
    let mut entry = caller.audit(action, "health_record", id, &path);
    entry.retiree_id = Some(v.retiree_id);
    Ok(Audited::new(v, entry))
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    /// Only those due for an update today (the worklist).
    pub due: bool,
    /// Cursor.
    pub after: Option<i64>,
    /// Page size.
    pub limit: i64,
}

fn page(conn: &mut DbConnection, caller: &Caller, today: Date, q: &RecordQuery) -> Result<Vec<RecordView>, AppError> {
    let mut out = Vec::new();
    let mut after = q.after;
    loop {
        let rows = repo::list_records(conn, &caller.scope_path, None, after, q.limit)?;
        let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) == q.limit;
        for row in rows {
            after = Some(row.record.id);
            let v = view(conn, caller, row, today, false)?;
            if !q.due || v.due {
                out.push(v);
            }
            if i64::try_from(out.len()).unwrap_or(i64::MAX) == q.limit {
                return Ok(out);
            }
        }
        if !full || !q.due {
            return Ok(out);
        }
    }
}

fn list_entry(caller: &Caller, action: &str, count: usize, due: bool) -> persistence::audit::NewAuditEntry {
    let mut entry = caller.audit(action, "health_record", "list", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"rows": count, "due": due, "masked": !reads_health(caller)}).to_string());
    entry
}

/// A page of the records of people in the caller's subtree, by id (the health data only for `health.read`); with
/// `due`, those due for an update today, each judged by the policy at the person's community. Audited
/// `health.record.list`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    q: &RecordQuery,
) -> Result<Audited<Vec<RecordView>>, AppError> {
    super::require_read(caller)?;
    let items = page(conn, caller, today, q)?;
    let entry = list_entry(caller, "health.record.list", items.len(), q.due);
    Ok(Audited::new(items, entry))
}

/// A page of the people on the roll in the caller's subtree who are of the policy's `record_age_years` (at the
/// caller's node) and have no record, by id (`health.read`).
pub fn missing(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<MissingView>, AppError> {
    caller.require(Permission::HealthRead)?;
    let policy = policy_at(conn, &caller.scope_path, today)?;
    let Some(born_by) = health::born_on_or_before(&policy.health, today) else {
        return Ok(Vec::new());
    };
    Ok(repo::list_missing(conn, &caller.scope_path, born_by, after, limit)?
        .into_iter()
        .map(|m| MissingView {
            retiree_id: m.retiree_id,
            name: m.name,
            community: m.community_code,
            age: domain::age_on(m.birth_date, today),
        })
        .collect())
}

/// Which list a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileList {
    /// Every record.
    Records,
    /// Records due for an update.
    Due,
    /// People of the policy age without a record.
    Missing,
}

const RECORD_COLUMNS: [Column; 8] = [
    Column::text("retiree_id", "人员编号"),
    Column::text("name", "姓名"),
    Column::text("community", "所属社区"),
    Column::date("last_updated_on", "最近更新日期"),
    Column::date("next_due_on", "下次更新日期"),
    Column::text("due", "是否到期"),
    Column::text("conditions", "慢性病"),
    Column::text("disability_level", "残疾等级"),
];

const MISSING_COLUMNS: [Column; 4] = [
    Column::text("retiree_id", "人员编号"),
    Column::text("name", "姓名"),
    Column::text("community", "所属社区"),
    Column::number("age", "年龄"),
];

/// The list `which` as a file: records (the health columns only for `health.read`; the other roles' file has the
/// summary columns), the due worklist, or the people without a record (`health.read`). Audited
/// `health.record.export`.
#[allow(clippy::too_many_arguments)]
pub fn export(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    which: FileList,
    format: Format,
    encoding: Encoding,
    labels: Labels,
) -> Result<Audited<File>, AppError> {
    super::require_read(caller)?;
    let (sheet, stem, columns, rows) = match which {
        FileList::Missing => {
            let people = missing(conn, caller, today, None, MAX_FILE_ROWS)?;
            let rows = people
                .into_iter()
                .map(|m| vec![m.retiree_id.to_string(), m.name, m.community, m.age.to_string()])
                .collect::<Vec<_>>();
            ("未建健康档案人员", "health-records-missing", MISSING_COLUMNS.to_vec(), rows)
        }
        FileList::Records | FileList::Due => {
            let due = which == FileList::Due;
            let items = page(conn, caller, today, &RecordQuery { due, after: None, limit: MAX_FILE_ROWS })?;
            let full = reads_health(caller);
            let columns = if full { RECORD_COLUMNS.to_vec() } else { RECORD_COLUMNS[..6].to_vec() };
            let rows = items
                .into_iter()
                .map(|v| {
                    let mut cells = vec![
                        v.retiree_id.to_string(),
                        v.name,
                        v.community,
                        v.last_updated_on.to_string(),
                        v.next_due_on.map(|d| d.to_string()).unwrap_or_default(),
                        table::yes_no(v.due, labels),
                    ];
                    if full {
                        cells.push(v.conditions.unwrap_or_default().join("、"));
                        cells.push(
                            v.disability_level
                                .map(|d| table::label(d.as_str(), d.label_zh(), labels))
                                .unwrap_or_default(),
                        );
                    }
                    cells
                })
                .collect::<Vec<_>>();
            if due {
                ("到期待更新健康档案", "health-records-due", columns, rows)
            } else {
                ("健康档案", "health-records", columns, rows)
            }
        }
    };
    let count = rows.len();
    let file = table::render(&[Table::new(sheet, columns, rows)], format, encoding, labels, stem)?;
    let mut entry = list_entry(caller, "health.record.export", count, which == FileList::Due);
    entry.detail = Some(
        serde_json::json!({"rows": count, "list": stem, "format": format.as_str(), "masked": !reads_health(caller)})
            .to_string(),
    );
    Ok(Audited::new(file, entry))
}
