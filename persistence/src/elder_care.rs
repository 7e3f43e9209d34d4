//! Elderly care services (issue 26; GUIDE 第二部分六): institutions of a node, caregivers registered at a node and
//! serving the areas listed in `caregiver_areas`, care requests through the ten steps with their booking slot, and
//! the spot checks on them. JSON columns (services, items, languages, trainings, grade history) are read with
//! [`crate::typed::stored_json`], so a value that does not parse is an error.

use diesel::prelude::*;
use domain::elder_care::{
    CareFrequency, CarePlace, CareStatus, CaregiverGrade, CostBearer, InstitutionKind, SupervisionResult,
};
use time::{Date, PrimitiveDateTime};

use crate::schema::{care_institutions, care_requests, care_supervisions, caregiver_areas, caregivers, jurisdictions};
use crate::typed::Stored;
use crate::{DbConnection, RepoError, RepoResult};

/// An institution.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = care_institutions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Institution {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Kind.
    #[diesel(deserialize_as = Stored<InstitutionKind>)]
    pub kind: InstitutionKind,
    /// The node it belongs to.
    pub jurisdiction_code: String,
    /// Address.
    pub address: String,
    /// Licence number.
    pub licence_no: Option<String>,
    /// Licence expiry.
    pub licence_expires_on: Option<Date>,
    /// Beds.
    pub beds_total: i32,
    /// Beds occupied.
    pub beds_occupied: i32,
    /// Services offered with prices, JSON.
    pub services: String,
    /// Contact person.
    pub contact_name: Option<String>,
    /// Contact phone.
    pub contact_phone: Option<String>,
    /// Last verified.
    pub last_verified_on: Date,
    /// How it was verified last (`visit`, `mail`, `phone`, `online`).
    pub verified_via: String,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version (ETag).
    pub version: i64,
}

/// A new institution.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = care_institutions)]
#[diesel(treat_none_as_null = true)]
pub struct NewInstitution {
    /// Name.
    pub name: String,
    /// Kind code.
    pub kind: String,
    /// Node.
    pub jurisdiction_code: String,
    /// Address.
    pub address: String,
    /// Licence number.
    pub licence_no: Option<String>,
    /// Licence expiry.
    pub licence_expires_on: Option<Date>,
    /// Beds.
    pub beds_total: i32,
    /// Beds occupied.
    pub beds_occupied: i32,
    /// Services JSON.
    pub services: String,
    /// Contact.
    pub contact_name: Option<String>,
    /// Phone.
    pub contact_phone: Option<String>,
    /// Verified on.
    pub last_verified_on: Date,
    /// Verified via.
    pub verified_via: String,
    /// Login.
    #[diesel(skip_update)]
    pub created_by: String,
    /// Now.
    #[diesel(skip_update)]
    pub created_at: PrimitiveDateTime,
    /// Version (set by the save, not by the changeset).
    #[diesel(skip_update)]
    pub version: i64,
}

/// A caregiver.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = caregivers)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Caregiver {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Phone (personal data; sealed at rest, issue 21.10).
    #[diesel(deserialize_as = crate::sealed::OptOpened)]
    pub phone: Option<String>,
    /// Grade.
    #[diesel(deserialize_as = Stored<CaregiverGrade>)]
    pub grade: CaregiverGrade,
    /// Certificate number.
    pub certificate_no: String,
    /// Certificate date.
    pub certificate_on: Date,
    /// Employer.
    pub institution_id: Option<i64>,
    /// Node registering it.
    pub jurisdiction_code: String,
    /// Items given, JSON.
    pub items: String,
    /// Languages, JSON.
    pub languages: String,
    /// Available for bookings.
    pub available: bool,
    /// Trainings, JSON.
    pub trainings: String,
    /// Grade changes, JSON.
    pub grade_history: String,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A new caregiver, or all its changeable fields.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = caregivers)]
#[diesel(treat_none_as_null = true)]
pub struct NewCaregiver {
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// Grade code.
    pub grade: String,
    /// Certificate number.
    pub certificate_no: String,
    /// Certificate date.
    pub certificate_on: Date,
    /// Employer.
    pub institution_id: Option<i64>,
    /// Node.
    pub jurisdiction_code: String,
    /// Items JSON.
    pub items: String,
    /// Languages JSON.
    pub languages: String,
    /// Available.
    pub available: bool,
    /// Trainings JSON.
    pub trainings: String,
    /// Grade history JSON.
    pub grade_history: String,
    /// Login.
    #[diesel(skip_update)]
    pub created_by: String,
    /// Now.
    #[diesel(skip_update)]
    pub created_at: PrimitiveDateTime,
    /// Version (set by the save, not by the changeset).
    #[diesel(skip_update)]
    pub version: i64,
}

/// A care request.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = care_requests)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct CareRequest {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// The person's community when received.
    pub jurisdiction_code: String,
    /// Items, JSON.
    pub items: String,
    /// Frequency.
    #[diesel(deserialize_as = Stored<CareFrequency>)]
    pub frequency: CareFrequency,
    /// Preferred time, free text.
    pub preferred_time: Option<String>,
    /// Place.
    #[diesel(deserialize_as = Stored<CarePlace>)]
    pub place: CarePlace,
    /// Institution (place `institution`).
    pub institution_id: Option<i64>,
    /// Cost bearer.
    #[diesel(deserialize_as = Stored<CostBearer>)]
    pub cost_bearer: CostBearer,
    /// Status.
    #[diesel(deserialize_as = Stored<CareStatus>)]
    pub status: CareStatus,
    /// Day received.
    pub requested_on: Date,
    /// Eligibility finding.
    pub eligibility_note: Option<String>,
    /// Day checked.
    pub checked_on: Option<Date>,
    /// Caregiver confirmed.
    pub caregiver_id: Option<i64>,
    /// Slot start.
    pub slot_start: Option<PrimitiveDateTime>,
    /// Slot end.
    pub slot_end: Option<PrimitiveDateTime>,
    /// Service start.
    pub delivered_start: Option<PrimitiveDateTime>,
    /// Service end.
    pub delivered_end: Option<PrimitiveDateTime>,
    /// Who gave it.
    pub delivered_by: Option<String>,
    /// Score.
    pub score: Option<i32>,
    /// Evaluation text.
    pub evaluation: Option<String>,
    /// Who evaluated (`person`, `family`).
    pub evaluated_by: Option<String>,
    /// Day evaluated.
    pub evaluated_on: Option<Date>,
    /// Why cancelled.
    pub cancel_reason: Option<String>,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A new request, or every field a step changes.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = care_requests)]
#[diesel(treat_none_as_null = true)]
pub struct RequestRow {
    /// Person.
    pub retiree_id: i64,
    /// Node.
    pub jurisdiction_code: String,
    /// Items JSON.
    pub items: String,
    /// Frequency code.
    pub frequency: String,
    /// Preferred time.
    pub preferred_time: Option<String>,
    /// Place code.
    pub place: String,
    /// Institution.
    pub institution_id: Option<i64>,
    /// Bearer code.
    pub cost_bearer: String,
    /// Status code.
    pub status: String,
    /// Received.
    pub requested_on: Date,
    /// Eligibility note.
    pub eligibility_note: Option<String>,
    /// Checked.
    pub checked_on: Option<Date>,
    /// Caregiver.
    pub caregiver_id: Option<i64>,
    /// Slot start.
    pub slot_start: Option<PrimitiveDateTime>,
    /// Slot end.
    pub slot_end: Option<PrimitiveDateTime>,
    /// Service start.
    pub delivered_start: Option<PrimitiveDateTime>,
    /// Service end.
    pub delivered_end: Option<PrimitiveDateTime>,
    /// Who gave it.
    pub delivered_by: Option<String>,
    /// Score.
    pub score: Option<i32>,
    /// Evaluation.
    pub evaluation: Option<String>,
    /// Evaluated by.
    pub evaluated_by: Option<String>,
    /// Evaluated on.
    pub evaluated_on: Option<Date>,
    /// Cancel reason.
    pub cancel_reason: Option<String>,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
}

impl RequestRow {
    /// The row of `r` as it is.
    pub fn of(r: &CareRequest) -> Self {
        Self {
            retiree_id: r.retiree_id,
            jurisdiction_code: r.jurisdiction_code.clone(),
            items: r.items.clone(),
            frequency: r.frequency.as_str().to_owned(),
            preferred_time: r.preferred_time.clone(),
            place: r.place.as_str().to_owned(),
            institution_id: r.institution_id,
            cost_bearer: r.cost_bearer.as_str().to_owned(),
            status: r.status.as_str().to_owned(),
            requested_on: r.requested_on,
            eligibility_note: r.eligibility_note.clone(),
            checked_on: r.checked_on,
            caregiver_id: r.caregiver_id,
            slot_start: r.slot_start,
            slot_end: r.slot_end,
            delivered_start: r.delivered_start,
            delivered_end: r.delivered_end,
            delivered_by: r.delivered_by.clone(),
            score: r.score,
            evaluation: r.evaluation.clone(),
            evaluated_by: r.evaluated_by.clone(),
            evaluated_on: r.evaluated_on,
            cancel_reason: r.cancel_reason.clone(),
            created_by: r.created_by.clone(),
            created_at: r.created_at,
        }
    }
}

/// A spot check.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = care_supervisions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Supervision {
    /// Id.
    pub id: i64,
    /// Request.
    pub request_id: i64,
    /// Day.
    pub on_date: Date,
    /// Result.
    #[diesel(deserialize_as = Stored<SupervisionResult>)]
    pub result: SupervisionResult,
    /// Note.
    pub note: Option<String>,
    /// Login.
    pub actor: String,
    /// When.
    pub at: PrimitiveDateTime,
}

/// A spot check to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = care_supervisions)]
pub struct NewSupervision {
    /// Request.
    pub request_id: i64,
    /// Day.
    pub on_date: Date,
    /// Result code.
    pub result: String,
    /// Note.
    pub note: Option<String>,
    /// Login.
    pub actor: String,
    /// Now.
    pub at: PrimitiveDateTime,
}

fn one<T>(found: Option<T>) -> RepoResult<T> {
    found.ok_or(RepoError::NotFound)
}

// ---- institutions ----

/// Inserts an institution; answers it.
pub fn create_institution(conn: &mut DbConnection, new: &NewInstitution) -> RepoResult<Institution> {
    diesel::insert_into(care_institutions::table).values(new).execute(conn)?;
    Ok(care_institutions::table
        .filter(care_institutions::created_by.eq(&new.created_by))
        .order(care_institutions::id.desc())
        .select(Institution::as_select())
        .first(conn)?)
}

/// One institution with its node's path, if the node lies in the subtree `scope_path`.
pub fn find_institution(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<(Institution, String)> {
    let found: Option<(Institution, String)> = care_institutions::table
        .inner_join(jurisdictions::table)
        .filter(care_institutions::id.eq(id))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select((Institution::as_select(), jurisdictions::path))
        .first(conn)
        .optional()?;
    one(found)
}

/// Whether an institution named `name` belongs to node `code` (an import's duplicate check).
pub fn institution_named(conn: &mut DbConnection, name: &str, code: &str) -> RepoResult<bool> {
    let n: i64 = care_institutions::table
        .filter(care_institutions::name.eq(name))
        .filter(care_institutions::jurisdiction_code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// One institution by id, wherever it is (for a caregiver's employer and a request's place read from a row).
pub fn institution_by_id(conn: &mut DbConnection, id: i64) -> RepoResult<Institution> {
    one(care_institutions::table.find(id).select(Institution::as_select()).first(conn).optional()?)
}

/// Writes `row` to institution `id` at `version`; `VersionMismatch` when it moved.
pub fn save_institution(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    row: &NewInstitution,
) -> RepoResult<Institution> {
    let n = diesel::update(care_institutions::table)
        .filter(care_institutions::id.eq(id))
        .filter(care_institutions::version.eq(version))
        .set((row, care_institutions::version.eq(version + 1)))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    institution_by_id(conn, id)
}

/// Institutions in the subtree `scope_path`, by id after `after`, at most `limit`; `verified_before` keeps those
/// last verified before that day (the stale worklist); `kind` one kind.
pub fn list_institutions(
    conn: &mut DbConnection,
    scope_path: &str,
    kind: Option<&str>,
    verified_before: Option<Date>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<(Institution, String)>> {
    let mut q = care_institutions::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .into_boxed();
    if let Some(k) = kind {
        q = q.filter(care_institutions::kind.eq(k.to_owned()));
    }
    if let Some(d) = verified_before {
        q = q.filter(care_institutions::last_verified_on.lt(d));
    }
    if let Some(a) = after {
        q = q.filter(care_institutions::id.gt(a));
    }
    Ok(q.order(care_institutions::id)
        .limit(limit)
        .select((Institution::as_select(), jurisdictions::path))
        .load(conn)?)
}

// ---- caregivers ----

/// Inserts a caregiver and its areas; answers it.
pub fn create_caregiver(conn: &mut DbConnection, new: &NewCaregiver, areas: &[String]) -> RepoResult<Caregiver> {
    diesel::insert_into(caregivers::table).values(&sealed_caregiver(new)?).execute(conn)?;
    let stored: Caregiver = caregivers::table
        .filter(caregivers::certificate_no.eq(&new.certificate_no))
        .select(Caregiver::as_select())
        .first(conn)?;
    for code in areas {
        diesel::insert_into(caregiver_areas::table)
            .values((caregiver_areas::caregiver_id.eq(stored.id), caregiver_areas::jurisdiction_code.eq(code)))
            .execute(conn)?;
    }
    Ok(stored)
}

/// Whether a certificate number is registered already.
pub fn certificate_taken(conn: &mut DbConnection, certificate_no: &str) -> RepoResult<bool> {
    let n: i64 = caregivers::table.filter(caregivers::certificate_no.eq(certificate_no)).count().get_result(conn)?;
    Ok(n > 0)
}

/// The filter "a caregiver seen from the subtree `$scope`": registered at a node in it, or serving an area in it.
macro_rules! caregiver_seen_from {
    ($scope:expr) => {
        caregivers::jurisdiction_code
            .eq_any(jurisdictions::table.filter(crate::jurisdictions::in_subtree($scope)).select(jurisdictions::code))
            .or(caregivers::id.eq_any(
                caregiver_areas::table
                    .inner_join(jurisdictions::table)
                    .filter(crate::jurisdictions::in_subtree($scope))
                    .select(caregiver_areas::caregiver_id),
            ))
    };
}

/// One caregiver seen from the subtree `scope_path` (registered there or serving an area there).
pub fn find_caregiver(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<Caregiver> {
    one(caregivers::table
        .filter(caregivers::id.eq(id))
        .filter(caregiver_seen_from!(scope_path))
        .select(Caregiver::as_select())
        .first(conn)
        .optional()?)
}

/// One caregiver by id (read from a stored request).
pub fn caregiver_by_id(conn: &mut DbConnection, id: i64) -> RepoResult<Caregiver> {
    one(caregivers::table.find(id).select(Caregiver::as_select()).first(conn).optional()?)
}

/// The areas a caregiver serves, by code.
pub fn areas_of(conn: &mut DbConnection, id: i64) -> RepoResult<Vec<String>> {
    Ok(caregiver_areas::table
        .filter(caregiver_areas::caregiver_id.eq(id))
        .order(caregiver_areas::jurisdiction_code)
        .select(caregiver_areas::jurisdiction_code)
        .load(conn)?)
}

/// `new` with its phone sealed (issue 21.10): what is written to the table.
fn sealed_caregiver(new: &NewCaregiver) -> RepoResult<NewCaregiver> {
    Ok(NewCaregiver { phone: crate::sealed::seal_opt(new.phone.as_deref())?, ..new.clone() })
}

/// Writes `row` to caregiver `id` at `version`.
pub fn save_caregiver(conn: &mut DbConnection, id: i64, version: i64, row: &NewCaregiver) -> RepoResult<Caregiver> {
    let n = diesel::update(caregivers::table)
        .filter(caregivers::id.eq(id))
        .filter(caregivers::version.eq(version))
        .set((&sealed_caregiver(row)?, caregivers::version.eq(version + 1)))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    caregiver_by_id(conn, id)
}

/// Caregivers seen from `scope_path`, by id after `after`, at most `limit`; `grade` one grade; `serving` only those
/// serving the node with this code (registered there or listing it as an area).
pub fn list_caregivers(
    conn: &mut DbConnection,
    scope_path: &str,
    grade: Option<&str>,
    serving: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Caregiver>> {
    let mut q = caregivers::table.filter(caregiver_seen_from!(scope_path)).into_boxed();
    if let Some(g) = grade {
        q = q.filter(caregivers::grade.eq(g.to_owned()));
    }
    if let Some(code) = serving {
        q = q.filter(
            caregivers::jurisdiction_code.eq(code.to_owned()).or(caregivers::id.eq_any(
                caregiver_areas::table
                    .filter(caregiver_areas::jurisdiction_code.eq(code.to_owned()))
                    .select(caregiver_areas::caregiver_id),
            )),
        );
    }
    if let Some(a) = after {
        q = q.filter(caregivers::id.gt(a));
    }
    Ok(q.order(caregivers::id).limit(limit).select(Caregiver::as_select()).load(conn)?)
}

/// The number of evaluated services of a caregiver and the sum of their scores.
pub fn evaluation_of(conn: &mut DbConnection, id: i64) -> RepoResult<(i64, i64)> {
    let scores: Vec<Option<i32>> = care_requests::table
        .filter(care_requests::caregiver_id.eq(id))
        .filter(care_requests::score.is_not_null())
        .select(care_requests::score)
        .load(conn)?;
    let n = i64::try_from(scores.len()).unwrap_or(i64::MAX);
    let sum: i64 = scores.iter().flatten().map(|s| i64::from(*s)).sum();
    Ok((n, sum))
}

// ---- requests ----

/// Inserts a request; answers it.
pub fn create_request(conn: &mut DbConnection, row: &RequestRow) -> RepoResult<CareRequest> {
    diesel::insert_into(care_requests::table).values((row, care_requests::version.eq(1_i64))).execute(conn)?;
    Ok(care_requests::table
        .filter(care_requests::created_by.eq(&row.created_by))
        .order(care_requests::id.desc())
        .select(CareRequest::as_select())
        .first(conn)?)
}

/// One request with its node's path, if the node lies in the subtree `scope_path`.
pub fn find_request(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<(CareRequest, String)> {
    one(care_requests::table
        .inner_join(jurisdictions::table)
        .filter(care_requests::id.eq(id))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select((CareRequest::as_select(), jurisdictions::path))
        .first(conn)
        .optional()?)
}

/// Writes `row` to request `id` at `version`.
pub fn save_request(conn: &mut DbConnection, id: i64, version: i64, row: &RequestRow) -> RepoResult<CareRequest> {
    let n = diesel::update(care_requests::table)
        .filter(care_requests::id.eq(id))
        .filter(care_requests::version.eq(version))
        .set((row, care_requests::version.eq(version + 1)))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    one(care_requests::table.find(id).select(CareRequest::as_select()).first(conn).optional()?)
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Only these statuses (all when empty).
    pub statuses: Vec<String>,
    /// Only this person.
    pub retiree_id: Option<i64>,
    /// Only this caregiver.
    pub caregiver_id: Option<i64>,
    /// Ids above this (cursor).
    pub after: Option<i64>,
}

/// Requests in the subtree `scope_path` matching `f`, by id, at most `limit`.
pub fn list_requests(
    conn: &mut DbConnection,
    scope_path: &str,
    f: &RequestFilter,
    limit: i64,
) -> RepoResult<Vec<(CareRequest, String)>> {
    let mut q = care_requests::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .into_boxed();
    if !f.statuses.is_empty() {
        q = q.filter(care_requests::status.eq_any(f.statuses.clone()));
    }
    if let Some(r) = f.retiree_id {
        q = q.filter(care_requests::retiree_id.eq(r));
    }
    if let Some(c) = f.caregiver_id {
        q = q.filter(care_requests::caregiver_id.eq(c));
    }
    if let Some(a) = f.after {
        q = q.filter(care_requests::id.gt(a));
    }
    Ok(q.order(care_requests::id).limit(limit).select((CareRequest::as_select(), jurisdictions::path)).load(conn)?)
}

/// Locks caregiver `id`'s row until the caller's transaction ends, so that two bookings of one caregiver check for
/// clashes and book one after the other (under PostgreSQL's read committed both would otherwise see no clash and
/// both book; SQLite's write transactions are serialised already). Call it in the booking's write transaction
/// before [`overlapping_bookings`].
pub fn lock_caregiver(conn: &mut DbConnection, id: i64) -> RepoResult<()> {
    diesel::update(caregivers::table.filter(caregivers::id.eq(id)))
        .set(caregivers::version.eq(caregivers::version))
        .execute(conn)?;
    Ok(())
}

/// The booked slots of a caregiver (other than request `except`) that overlap `[start, end)`: the ids of the
/// requests holding them.
pub fn overlapping_bookings(
    conn: &mut DbConnection,
    caregiver_id: i64,
    except: i64,
    start: PrimitiveDateTime,
    end: PrimitiveDateTime,
) -> RepoResult<Vec<i64>> {
    Ok(care_requests::table
        .filter(care_requests::caregiver_id.eq(caregiver_id))
        .filter(care_requests::id.ne(except))
        .filter(care_requests::status.eq(CareStatus::Booked.as_str()))
        .filter(care_requests::slot_start.lt(end))
        .filter(care_requests::slot_end.gt(start))
        .order(care_requests::id)
        .select(care_requests::id)
        .load(conn)?)
}

/// Records a spot check.
pub fn add_supervision(conn: &mut DbConnection, s: &NewSupervision) -> RepoResult<()> {
    diesel::insert_into(care_supervisions::table).values(s).execute(conn)?;
    Ok(())
}

/// The spot checks of a request, oldest first.
pub fn supervisions_of(conn: &mut DbConnection, id: i64) -> RepoResult<Vec<Supervision>> {
    Ok(care_supervisions::table
        .filter(care_supervisions::request_id.eq(id))
        .order(care_supervisions::id)
        .select(Supervision::as_select())
        .load(conn)?)
}

/// The requests in the subtree `scope_path` received, or delivered, in `[from, to)`, for the monthly summary.
pub fn for_month(conn: &mut DbConnection, scope_path: &str, from: Date, to: Date) -> RepoResult<Vec<CareRequest>> {
    let start = from.midnight();
    let end = to.midnight();
    Ok(care_requests::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(
            care_requests::requested_on
                .ge(from)
                .and(care_requests::requested_on.lt(to))
                .or(care_requests::delivered_start.ge(start).and(care_requests::delivered_start.lt(end))),
        )
        .order(care_requests::id)
        .select(CareRequest::as_select())
        .load(conn)?)
}

/// Sets the address of retiree `id` (moving into an institution), at `expected_version`; the version rises.
pub fn set_retiree_address(conn: &mut DbConnection, id: i64, expected_version: i64, address: &str) -> RepoResult<()> {
    use crate::schema::retirees;
    let n = diesel::update(retirees::table)
        .filter(retirees::id.eq(id))
        .filter(retirees::version.eq(expected_version))
        .set((
            retirees::address.eq(address),
            retirees::version.eq(retirees::version + 1),
            retirees::updated_at.eq(crate::now_utc()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    Ok(())
}
