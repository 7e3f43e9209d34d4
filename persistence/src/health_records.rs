//! Health records (issue 25; GUIDE 第五部分第四章四; CS Art. 7(3)6; JN Art. 25): the community health service
//! institutions of a node with their cooperation agreement, one record per person (seen from the subtree of the
//! person's community), and the examinations filed on it. The conditions of a record (JSON) and the summary of an
//! examination are sensitive personal information (PIPL Art. 28), sealed at rest ([`crate::sealed`]).

use diesel::prelude::*;
use domain::RetireeId;
use domain::health::DisabilityLevel;
use time::{Date, PrimitiveDateTime};

use crate::schema::{health_examinations, health_institutions, health_records, jurisdictions, retirees};
use crate::typed::Stored;
use crate::{DbConnection, RepoError, RepoResult};

/// A community health service institution.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = health_institutions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Institution {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The node it belongs to.
    pub jurisdiction_code: String,
    /// Address.
    pub address: String,
    /// Contact person.
    pub contact_name: Option<String>,
    /// Contact phone.
    pub contact_phone: Option<String>,
    /// Number of the cooperation agreement.
    pub agreement_no: Option<String>,
    /// First day of the agreement.
    pub agreement_from: Option<Date>,
    /// Last day of the agreement (open-ended when `None`).
    pub agreement_until: Option<Date>,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version (ETag).
    pub version: i64,
}

/// A new institution, or its changeable fields.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = health_institutions)]
#[diesel(treat_none_as_null = true)]
pub struct NewInstitution {
    /// Name.
    pub name: String,
    /// Node.
    pub jurisdiction_code: String,
    /// Address.
    pub address: String,
    /// Contact.
    pub contact_name: Option<String>,
    /// Phone.
    pub contact_phone: Option<String>,
    /// Agreement number.
    pub agreement_no: Option<String>,
    /// Agreement from.
    pub agreement_from: Option<Date>,
    /// Agreement until.
    pub agreement_until: Option<Date>,
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

/// A person's health record.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = health_records)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Record {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// The institution keeping it.
    pub institution_id: i64,
    /// Chronic conditions, a JSON list of text (sealed at rest).
    #[diesel(deserialize_as = crate::sealed::Opened)]
    pub conditions: String,
    /// Disability level.
    #[diesel(deserialize_as = Stored<DisabilityLevel>)]
    pub disability_level: DisabilityLevel,
    /// Day created.
    pub created_on: Date,
    /// Day of the last update.
    pub last_updated_on: Date,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version (ETag).
    pub version: i64,
}

/// A new record, or its changeable fields.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = health_records)]
pub struct NewRecord {
    /// The person.
    #[diesel(skip_update)]
    pub retiree_id: i64,
    /// Institution.
    pub institution_id: i64,
    /// Conditions JSON, in clear (sealed by the repository).
    pub conditions: String,
    /// Disability level code.
    pub disability_level: String,
    /// Day created.
    #[diesel(skip_update)]
    pub created_on: Date,
    /// Day of the last update.
    pub last_updated_on: Date,
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

/// An examination filed on a record.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = health_examinations)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Examination {
    /// Id.
    pub id: i64,
    /// Record.
    pub record_id: i64,
    /// Day examined.
    pub examined_on: Date,
    /// Institution that examined.
    pub institution_id: i64,
    /// Summary (sealed at rest).
    #[diesel(deserialize_as = crate::sealed::Opened)]
    pub summary: String,
    /// Chronic disease found.
    pub chronic_disease: bool,
    /// Disability level found.
    #[diesel(deserialize_as = Stored<DisabilityLevel>)]
    pub disability_level: DisabilityLevel,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
}

/// A new examination.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = health_examinations)]
pub struct NewExamination {
    /// Record.
    pub record_id: i64,
    /// Day examined.
    pub examined_on: Date,
    /// Institution.
    pub institution_id: i64,
    /// Summary, in clear (sealed by the repository).
    pub summary: String,
    /// Chronic disease found.
    pub chronic_disease: bool,
    /// Disability level code.
    pub disability_level: String,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
}

/// A record with what its lists and worklists show of the person: name, community, community path, birth date.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    /// The record.
    pub record: Record,
    /// Name.
    pub name: String,
    /// Community.
    pub community_code: String,
    /// Path of the community.
    pub path: String,
}

/// A person of the worklist age without a record.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct Missing {
    /// Retiree id.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Birth date.
    pub birth_date: Date,
    /// Community.
    pub community_code: String,
}

fn one<T>(found: Option<T>) -> RepoResult<T> {
    found.ok_or(RepoError::NotFound)
}

// ---- institutions ----

/// Inserts an institution; answers it.
pub fn create_institution(conn: &mut DbConnection, new: &NewInstitution) -> RepoResult<Institution> {
    diesel::insert_into(health_institutions::table).values(new).execute(conn)?;
    Ok(health_institutions::table
        .filter(health_institutions::created_by.eq(&new.created_by))
        .order(health_institutions::id.desc())
        .select(Institution::as_select())
        .first(conn)?)
}

/// The institution `id` if its node lies in the subtree at `scope_path`, with the node's path.
pub fn find_institution(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<(Institution, String)> {
    let found: Option<(Institution, String)> = health_institutions::table
        .inner_join(jurisdictions::table)
        .filter(health_institutions::id.eq(id))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select((Institution::as_select(), jurisdictions::path))
        .first(conn)
        .optional()?;
    one(found)
}

/// The institution `id`, whatever its node.
pub fn institution_by_id(conn: &mut DbConnection, id: i64) -> RepoResult<Institution> {
    Ok(health_institutions::table.find(id).select(Institution::as_select()).first(conn)?)
}

/// Saves the institution `id` at `version`; 412 when another write came first.
pub fn save_institution(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    row: &NewInstitution,
) -> RepoResult<Institution> {
    let n = diesel::update(health_institutions::table)
        .filter(health_institutions::id.eq(id))
        .filter(health_institutions::version.eq(version))
        .set((row, health_institutions::version.eq(version + 1)))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    institution_by_id(conn, id)
}

/// Whether an institution named `name` belongs to the node `code` (an import's duplicate; issue 25).
pub fn institution_named(conn: &mut DbConnection, name: &str, code: &str) -> RepoResult<bool> {
    let n: i64 = health_institutions::table
        .filter(health_institutions::name.eq(name))
        .filter(health_institutions::jurisdiction_code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A page of the institutions in the subtree at `scope_path`, by id.
pub fn list_institutions(
    conn: &mut DbConnection,
    scope_path: &str,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Institution>> {
    let mut q = health_institutions::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(health_institutions::id.gt(a));
    }
    Ok(q.order(health_institutions::id).limit(limit).select(Institution::as_select()).load(conn)?)
}

// ---- records ----

/// `new` with its conditions sealed (issue 21.10).
fn sealed_record(new: &NewRecord) -> RepoResult<NewRecord> {
    Ok(NewRecord { conditions: crate::sealed::seal(&new.conditions)?, ..new.clone() })
}

/// Inserts a record (409 `conflict` via the unique index when the person has one); answers it.
pub fn create_record(conn: &mut DbConnection, new: &NewRecord) -> RepoResult<Record> {
    diesel::insert_into(health_records::table).values(&sealed_record(new)?).execute(conn)?;
    Ok(health_records::table
        .filter(health_records::retiree_id.eq(new.retiree_id))
        .select(Record::as_select())
        .first(conn)?)
}

/// Whether the person `retiree_id` has a record.
pub fn record_of(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<Option<Record>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(health_records::table
        .filter(health_records::retiree_id.eq(retiree_id))
        .select(Record::as_select())
        .first(conn)
        .optional()?)
}

/// The record `id` if the person's community lies in the subtree at `scope_path`.
pub fn find_record(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<RecordRow> {
    let found: Option<(Record, String, String, String)> = health_records::table
        .inner_join(retirees::table.inner_join(jurisdictions::table))
        .filter(health_records::id.eq(id))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select((Record::as_select(), retirees::name, retirees::community_code, jurisdictions::path))
        .first(conn)
        .optional()?;
    one(found).map(|(record, name, community_code, path)| RecordRow { record, name, community_code, path })
}

/// Saves the record `id` at `version`; 412 when another write came first.
pub fn save_record(conn: &mut DbConnection, id: i64, version: i64, row: &NewRecord) -> RepoResult<Record> {
    let n = diesel::update(health_records::table)
        .filter(health_records::id.eq(id))
        .filter(health_records::version.eq(version))
        .set((&sealed_record(row)?, health_records::version.eq(version + 1)))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    Ok(health_records::table.find(id).select(Record::as_select()).first(conn)?)
}

/// A page of the records of people in the subtree at `scope_path`, by id; with `updated_on_or_before`, only those
/// last updated on or before that day (the due worklist).
pub fn list_records(
    conn: &mut DbConnection,
    scope_path: &str,
    updated_on_or_before: Option<Date>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<RecordRow>> {
    let mut q = health_records::table
        .inner_join(retirees::table.inner_join(jurisdictions::table))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .into_boxed();
    if let Some(d) = updated_on_or_before {
        q = q.filter(health_records::last_updated_on.le(d));
    }
    if let Some(a) = after {
        q = q.filter(health_records::id.gt(a));
    }
    let rows: Vec<(Record, String, String, String)> = q
        .order(health_records::id)
        .limit(limit)
        .select((Record::as_select(), retirees::name, retirees::community_code, jurisdictions::path))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(record, name, community_code, path)| RecordRow { record, name, community_code, path })
        .collect())
}

/// A page of the people on the roll in the subtree at `scope_path`, born on or before `born_by`, whose pension is
/// not stopped and who have no record, by id.
pub fn list_missing(
    conn: &mut DbConnection,
    scope_path: &str,
    born_by: Date,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Missing>> {
    let mut q = retirees::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(retirees::on_roll.eq(true))
        .filter(retirees::pension_status.ne(domain::PensionStatus::Stopped.as_str()))
        .filter(retirees::birth_date.le(born_by))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            health_records::table.filter(health_records::retiree_id.eq(retirees::id)),
        )))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(retirees::id.gt(a));
    }
    Ok(q.order(retirees::id)
        .limit(limit)
        .select((retirees::id, retirees::name, retirees::birth_date, retirees::community_code))
        .load(conn)?)
}

// ---- examinations ----

/// Files an examination (its summary sealed).
pub fn add_examination(conn: &mut DbConnection, new: &NewExamination) -> RepoResult<()> {
    let sealed = NewExamination { summary: crate::sealed::seal(&new.summary)?, ..new.clone() };
    diesel::insert_into(health_examinations::table).values(&sealed).execute(conn)?;
    Ok(())
}

/// The examinations of record `id`, newest first.
pub fn examinations_of(conn: &mut DbConnection, id: i64) -> RepoResult<Vec<Examination>> {
    Ok(health_examinations::table
        .filter(health_examinations::record_id.eq(id))
        .order((health_examinations::examined_on.desc(), health_examinations::id.desc()))
        .select(Examination::as_select())
        .load(conn)?)
}
