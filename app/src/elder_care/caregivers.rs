//! The register of caregivers (GUIDE 第二部分六 5: caregivers 养老护理员 graded 初级/中级/高级/技师 under the national
//! occupational standard, registered, with training, experience and evaluations known to the community):
//! registering one, recording a training, a grade change, and reading the register. A caregiver is registered at a
//! node and may serve several (`areas`); phone numbers are personal data (the single view is an audited read).

use domain::elder_care::{CareItem, CaregiverGrade};
use domain::{ErrorCode, Permission};
use persistence::elder_care::{self as repo, Caregiver, NewCaregiver};
use persistence::{DbConnection, RepoError, audit, jurisdictions};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{check_items, json, to_json};
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_phone, date_not_after};
use crate::precondition::IfMatch;
use crate::scope::node_in_scope;

/// A training record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"course": "失能老人照护", "hours": 40, "completed_on": "2026-10-15"}))]
pub struct Training {
    /// Course, 1-100 characters.
    pub course: String,
    /// Hours, 1-2000.
    pub hours: u32,
    /// Day completed (`YYYY-MM-DD`), not in the future.
    pub completed_on: String,
}

/// A grade held from a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GradeChange {
    /// The grade.
    pub grade: CaregiverGrade,
    /// From this day.
    pub from: String,
    /// Certificate number.
    pub certificate_no: String,
}

/// A caregiver to register.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "林秀英", "phone": "13800000001", "grade": "intermediate",
    "certificate_no": "YLHL-2024-0031", "certificate_on": "2024-05-20", "institution_id": 3,
    "items": ["meal_help", "bathing", "medical_assistance"], "areas": ["350203001001", "350203001002"],
    "languages": ["普通话", "闽南语"], "available": true}))]
pub struct CaregiverInput {
    /// Name, 1-50 characters.
    pub name: String,
    /// Phone (personal data).
    pub phone: Option<String>,
    /// Grade (GUIDE 第二部分六 5(1)).
    pub grade: CaregiverGrade,
    /// Certificate number, unique (409 `conflict`).
    pub certificate_no: String,
    /// Certificate date (`YYYY-MM-DD`), not in the future.
    #[schema(format = Date)]
    pub certificate_on: String,
    /// Employer institution, in the caller's subtree.
    pub institution_id: Option<i64>,
    /// Items the caregiver gives, each once.
    pub items: Vec<CareItem>,
    /// Nodes served besides the registering node, in the caller's subtree.
    pub areas: Option<Vec<String>>,
    /// Languages and dialects.
    pub languages: Option<Vec<String>>,
    /// Available for bookings; default true.
    pub available: Option<bool>,
    /// The registering node in the caller's subtree; default the caller's node.
    pub jurisdiction: Option<String>,
}

/// A caregiver.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 5, "name": "林秀英", "phone": "13800000001", "grade": "intermediate",
    "certificate_no": "YLHL-2024-0031", "certificate_on": "2024-05-20", "institution_id": 3,
    "jurisdiction": "350203001001", "items": ["meal_help"], "areas": ["350203001002"], "languages": ["普通话"],
    "available": true, "trainings": [], "grade_history": [{"grade": "intermediate", "from": "2024-05-20",
    "certificate_no": "YLHL-2024-0031"}], "evaluations": 3, "average_score": "4.67", "version": 1}))]
pub struct CaregiverView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Phone (`null` in lists).
    pub phone: Option<String>,
    /// Grade.
    pub grade: CaregiverGrade,
    /// Certificate number.
    pub certificate_no: String,
    /// Certificate date.
    #[schema(value_type = String, format = Date)]
    pub certificate_on: Date,
    /// Employer.
    pub institution_id: Option<i64>,
    /// Registering node.
    pub jurisdiction: String,
    /// Items given.
    pub items: Vec<CareItem>,
    /// Nodes served besides the registering node.
    pub areas: Vec<String>,
    /// Languages.
    pub languages: Vec<String>,
    /// Available for bookings.
    pub available: bool,
    /// Trainings.
    pub trainings: Vec<Training>,
    /// Grades with the day each was held from, oldest first.
    pub grade_history: Vec<GradeChange>,
    /// Evaluated services.
    pub evaluations: i64,
    /// Average score of the evaluated services (two decimals), `null` without any.
    pub average_score: Option<String>,
    /// Version (ETag).
    pub version: i64,
}

/// The average of `n` scores summing to `sum`, with two decimals.
pub fn average(n: i64, sum: i64) -> Option<String> {
    if n <= 0 {
        return None;
    }
    let hundredths = (sum * 100 * 2 + n) / (2 * n);
    Some(format!("{}.{:02}", hundredths / 100, hundredths % 100))
}

pub(crate) fn view(conn: &mut DbConnection, c: Caregiver, with_phone: bool) -> Result<CaregiverView, AppError> {
    let items: Vec<CareItem> = json("caregivers", c.id, "items", &c.items)?;
    let languages: Vec<String> = json("caregivers", c.id, "languages", &c.languages)?;
    let trainings: Vec<Training> = json("caregivers", c.id, "trainings", &c.trainings)?;
    let grade_history: Vec<GradeChange> = json("caregivers", c.id, "grade_history", &c.grade_history)?;
    let areas = repo::areas_of(conn, c.id)?;
    let (n, sum) = repo::evaluation_of(conn, c.id)?;
    Ok(CaregiverView {
        id: c.id,
        name: c.name,
        phone: if with_phone { c.phone } else { None },
        grade: c.grade,
        certificate_no: c.certificate_no,
        certificate_on: c.certificate_on,
        institution_id: c.institution_id,
        jurisdiction: c.jurisdiction_code,
        items,
        areas,
        languages,
        available: c.available,
        trainings,
        grade_history,
        evaluations: n,
        average_score: average(n, sum),
        version: c.version,
    })
}

/// A checked caregiver.
#[derive(Debug, Clone)]
pub struct CaregiverAsked {
    body: CaregiverInput,
    name: String,
    phone: Option<String>,
    certificate_no: String,
    certificate_on: Date,
    items: Vec<CareItem>,
    languages: Vec<String>,
}

/// The checks of a caregiver on `today`.
pub fn check(body: &CaregiverInput, today: Date) -> Result<CaregiverAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = check_name("/name", &body.name, 50, &mut errors);
    let phone = body.phone.as_deref().map(|p| check_phone("/phone", p, &mut errors));
    let certificate_no = check_name("/certificate_no", &body.certificate_no, 50, &mut errors);
    let certificate_on = date_not_after("/certificate_on", Some(&body.certificate_on), today, &mut errors);
    let items = check_items("/items", &body.items, &mut errors);
    let mut languages = Vec::new();
    for (i, l) in body.languages.iter().flatten().enumerate() {
        languages.push(check_name(&format!("/languages/{i}"), l, 20, &mut errors));
    }
    if errors.is_empty() {
        Ok(CaregiverAsked { body: body.clone(), name, phone, certificate_no, certificate_on, items, languages })
    } else {
        Err(errors)
    }
}

/// Registers a caregiver, audited `care.caregiver.create`. An employer or an area outside the caller's subtree:
/// 422 `institution_not_found` / `jurisdiction_not_found`; a certificate number registered already: 409
/// `conflict`.
pub fn create(conn: &mut DbConnection, caller: &Caller, asked: CaregiverAsked) -> Result<CaregiverView, AppError> {
    caller.require(Permission::CareServiceManage)?;
    let b = &asked.body;
    let node = match b.jurisdiction.as_deref() {
        Some(code) => node_in_scope(conn, caller, code, "/jurisdiction")?,
        None => jurisdictions::find(conn, &caller.jurisdiction_code)?,
    };
    if let Some(inst) = b.institution_id {
        repo::find_institution(conn, inst, &caller.scope_path).map_err(|e| match e {
            RepoError::NotFound => AppError::field(FieldError::of("/institution_id", ErrorCode::InstitutionNotFound)),
            other => other.into(),
        })?;
    }
    let mut areas = Vec::new();
    for (i, code) in b.areas.iter().flatten().enumerate() {
        let n = node_in_scope(conn, caller, code, &format!("/areas/{i}"))?;
        if n.code != node.code && !areas.contains(&n.code) {
            areas.push(n.code);
        }
    }
    if repo::certificate_taken(conn, &asked.certificate_no)? {
        return Err(AppError::with(
            ErrorCode::Conflict,
            "该证书编号的护理员已登记",
            "a caregiver with this certificate number is registered already",
        ));
    }
    let history = vec![GradeChange {
        grade: b.grade,
        from: asked.certificate_on.to_string(),
        certificate_no: asked.certificate_no.clone(),
    }];
    let new = NewCaregiver {
        name: asked.name.clone(),
        phone: asked.phone.clone(),
        grade: b.grade.as_str().to_owned(),
        certificate_no: asked.certificate_no.clone(),
        certificate_on: asked.certificate_on,
        institution_id: b.institution_id,
        jurisdiction_code: node.code.clone(),
        items: to_json(&asked.items)?,
        languages: to_json(&asked.languages)?,
        available: b.available.unwrap_or(true),
        trainings: "[]".into(),
        grade_history: to_json(&history)?,
        created_by: caller.login.clone(),
        created_at: persistence::now_utc(),
        version: 1,
    };
    let stored = repo::create_caregiver(conn, &new, &areas)?;
    let mut entry = caller.audit("care.caregiver.create", "caregiver", stored.id, &node.path);
    entry.detail = Some(serde_json::json!({"grade": b.grade, "areas": areas}).to_string());
    audit::append(conn, &entry)?;
    view(conn, stored, true)
}

/// A change to a caregiver: a training, or a new grade.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grade": "senior", "certificate_no": "YLHL-2026-0107", "from": "2026-11-30"}))]
pub struct GradeRequest {
    /// The new grade (GUIDE 第二部分六 5(1)).
    pub grade: CaregiverGrade,
    /// The certificate of the new grade.
    pub certificate_no: String,
    /// Held from (`YYYY-MM-DD`), not in the future.
    #[schema(format = Date)]
    pub from: String,
}

/// A checked change.
#[derive(Debug, Clone)]
pub enum Change {
    /// Training.
    Training(Training),
    /// Grade.
    Grade(GradeChange, Date),
}

/// Checks a training on `today`.
pub fn check_training(b: &Training, today: Date) -> Result<Change, Vec<FieldError>> {
    let mut errors = Vec::new();
    let course = check_name("/course", &b.course, 100, &mut errors);
    if b.hours == 0 || b.hours > 2000 {
        errors.push(FieldError::of("/hours", ErrorCode::InvalidValue));
    }
    let on = date_not_after("/completed_on", Some(&b.completed_on), today, &mut errors);
    if errors.is_empty() {
        Ok(Change::Training(Training { course, hours: b.hours, completed_on: on.to_string() }))
    } else {
        Err(errors)
    }
}

/// Checks a grade change on `today`.
pub fn check_grade(b: &GradeRequest, today: Date) -> Result<Change, Vec<FieldError>> {
    let mut errors = Vec::new();
    let certificate_no = check_name("/certificate_no", &b.certificate_no, 50, &mut errors);
    let from = date_not_after("/from", Some(&b.from), today, &mut errors);
    if errors.is_empty() {
        Ok(Change::Grade(GradeChange { grade: b.grade, from: from.to_string(), certificate_no }, from))
    } else {
        Err(errors)
    }
}

/// Records a training or a grade change of caregiver `id` (registered in the caller's subtree, else 404) at
/// `if_match`; audited `care.caregiver.training` / `care.caregiver.grade`.
pub fn change(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: IfMatch,
    change: Change,
) -> Result<CaregiverView, AppError> {
    caller.require(Permission::CareServiceManage)?;
    let c = repo::find_caregiver(conn, id, &caller.scope_path)?;
    let path = crate::scope::path_of(conn, &c.jurisdiction_code)?;
    if !caller.sees(&path) {
        return Err(AppError::with(
            ErrorCode::Forbidden,
            "护理员由登记机构维护",
            "the node that registered the caregiver maintains the record",
        ));
    }
    let version = if_match.expect(c.version)?;
    let mut row = NewCaregiver {
        name: c.name.clone(),
        phone: c.phone.clone(),
        grade: c.grade.as_str().to_owned(),
        certificate_no: c.certificate_no.clone(),
        certificate_on: c.certificate_on,
        institution_id: c.institution_id,
        jurisdiction_code: c.jurisdiction_code.clone(),
        items: c.items.clone(),
        languages: c.languages.clone(),
        available: c.available,
        trainings: c.trainings.clone(),
        grade_history: c.grade_history.clone(),
        created_by: c.created_by.clone(),
        created_at: c.created_at,
        version: c.version,
    };
    let action = match &change {
        Change::Training(t) => {
            let mut list: Vec<Training> = json("caregivers", c.id, "trainings", &c.trainings)?;
            list.push(t.clone());
            row.trainings = to_json(&list)?;
            "care.caregiver.training"
        }
        Change::Grade(g, from) => {
            if g.certificate_no != c.certificate_no && repo::certificate_taken(conn, &g.certificate_no)? {
                return Err(AppError::field(FieldError::of("/certificate_no", ErrorCode::Conflict)));
            }
            let mut list: Vec<GradeChange> = json("caregivers", c.id, "grade_history", &c.grade_history)?;
            list.push(g.clone());
            row.grade_history = to_json(&list)?;
            row.grade = g.grade.as_str().to_owned();
            row.certificate_no = g.certificate_no.clone();
            row.certificate_on = *from;
            "care.caregiver.grade"
        }
    };
    let saved = repo::save_caregiver(conn, id, version, &row)?;
    let mut entry = caller.audit(action, "caregiver", id, &path);
    entry.detail = Some(serde_json::json!({"grade": {"from": c.grade, "to": saved.grade}}).to_string());
    audit::append(conn, &entry)?;
    view(conn, saved, true)
}

/// One caregiver seen from the caller's subtree (else 404), with the phone; an audited read (`care.caregiver.read`).
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Audited<CaregiverView>, AppError> {
    super::require_read(caller)?;
    let c = repo::find_caregiver(conn, id, &caller.scope_path)?;
    let path = crate::scope::path_of(conn, &c.jurisdiction_code)?;
    let entry = caller.audit("care.caregiver.read", "caregiver", id, &path);
    Ok(Audited::new(view(conn, c, true)?, entry))
}

/// A page of caregivers seen from the caller's subtree, by id, phones left out; `grade` one grade, `serving` those
/// serving that node.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    grade: Option<CaregiverGrade>,
    serving: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<CaregiverView>, AppError> {
    super::require_read(caller)?;
    let rows = repo::list_caregivers(conn, &caller.scope_path, grade.map(|g| g.as_str()), serving, after, limit)?;
    rows.into_iter().map(|c| view(conn, c, false)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn averages_round_half_up() {
        assert_eq!(super::average(0, 0), None);
        assert_eq!(super::average(3, 14), Some("4.67".into()));
        assert_eq!(super::average(2, 9), Some("4.50".into()));
    }
}
