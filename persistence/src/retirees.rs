//! Retirees, their special-group flags and their dependents.

use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

use domain::events::EventType;
use domain::pension::{CertificationBarrier, CertificationStatus};
use domain::policy::SuspensionReason;
use domain::{Category, ManagementLevel, PensionStatus, RetireeId, Sex};

use crate::events::{Emit, emit};
use crate::rules;
use crate::schema::{dependents, jurisdictions, retiree_special_groups, retirees};
use crate::typed::{OptStored, Stored, StoredId};
use crate::{DbConnection, RepoError, RepoResult, now_utc};

/// A retiree as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = retirees)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Retiree {
    /// Id.
    pub id: i64,
    /// Resident ID number (18 characters), sealed at rest.
    #[diesel(deserialize_as = crate::sealed::Opened)]
    pub id_number: String,
    /// Name.
    pub name: String,
    /// `male` / `female`.
    #[diesel(deserialize_as = Stored<Sex>)]
    pub sex: Sex,
    /// Birth date (from the ID number).
    pub birth_date: Date,
    /// Retirement date.
    pub retirement_date: Date,
    /// Category code.
    #[diesel(deserialize_as = Stored<Category>)]
    pub category: Category,
    /// Management level code.
    #[diesel(deserialize_as = Stored<ManagementLevel>)]
    pub management_level: ManagementLevel,
    /// Community of residence.
    pub community_code: String,
    /// Phone, sealed at rest.
    #[diesel(deserialize_as = crate::sealed::OptOpened)]
    pub phone: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Pension status code.
    #[diesel(deserialize_as = Stored<PensionStatus>)]
    pub pension_status: PensionStatus,
    /// Monthly pension in fen.
    pub monthly_pension_fen: Option<i64>,
    /// Party member.
    pub party_member: bool,
    /// Notes.
    pub notes: Option<String>,
    /// Version (ETag).
    pub version: i64,
    /// Created.
    pub created_at: PrimitiveDateTime,
    /// Last changed.
    pub updated_at: PrimitiveDateTime,
    /// Why the pension is suspended (with `pension_status = suspended`).
    #[diesel(deserialize_as = OptStored<SuspensionReason>)]
    pub suspension_reason: Option<SuspensionReason>,
    /// First day of the month the suspension took effect.
    pub suspended_from: Option<Date>,
    /// Last day the certification on file is valid.
    pub certified_until: Date,
    /// Date of the last certification, `None` before the first.
    pub last_certified_on: Option<Date>,
    /// Why the person is certified at home (XM Art. 15(3)), if so.
    #[diesel(deserialize_as = OptStored<CertificationBarrier>)]
    pub certification_barrier: Option<CertificationBarrier>,
    /// The certification run that last changed the status.
    pub status_run_id: Option<i64>,
    /// On a community's roll (false once reduced, died or moved out of the city).
    pub on_roll: bool,
    /// Certified remotely: moved out of the city.
    pub remote_certification: bool,
}

/// The writable columns of a retiree (creation and full replacement on update).
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = retirees, treat_none_as_null = true)]
pub struct RetireeData {
    /// Resident ID number.
    pub id_number: String,
    /// Name.
    pub name: String,
    /// Sex code.
    pub sex: String,
    /// Birth date.
    pub birth_date: Date,
    /// Retirement date.
    pub retirement_date: Date,
    /// Category code.
    pub category: String,
    /// Management level code.
    pub management_level: String,
    /// Community code.
    pub community_code: String,
    /// Phone.
    pub phone: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Pension status code.
    pub pension_status: String,
    /// Monthly pension in fen.
    pub monthly_pension_fen: Option<i64>,
    /// Party member.
    pub party_member: bool,
    /// Notes.
    pub notes: Option<String>,
    /// Last day the certification on file is valid (on creation: one policy period after registration).
    pub certified_until: Date,
}

impl RetireeData {
    /// The row as written: ID number and phone sealed under the active key (issue 21.10), with the ID's keyed hash.
    pub fn sealed(&self) -> RepoResult<(Self, String)> {
        let keys = crate::sealed::keys()?;
        let hash = keys.hash(&self.id_number);
        let mut out = self.clone();
        out.id_number = keys.seal(&self.id_number);
        out.phone = self.phone.as_deref().map(|p| keys.seal(p));
        Ok((out, hash))
    }
}

impl From<&Retiree> for RetireeData {
    fn from(r: &Retiree) -> Self {
        Self {
            id_number: r.id_number.clone(),
            name: r.name.clone(),
            sex: r.sex.as_str().to_owned(),
            birth_date: r.birth_date,
            retirement_date: r.retirement_date,
            category: r.category.as_str().to_owned(),
            management_level: r.management_level.as_str().to_owned(),
            community_code: r.community_code.clone(),
            phone: r.phone.clone(),
            address: r.address.clone(),
            pension_status: r.pension_status.as_str().to_owned(),
            monthly_pension_fen: r.monthly_pension_fen,
            party_member: r.party_member,
            notes: r.notes.clone(),
            certified_until: r.certified_until,
        }
    }
}

/// A special-group flag with its dates.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = retiree_special_groups)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct GroupFlag {
    /// Group code.
    pub group_code: String,
    /// From.
    pub from_date: Date,
    /// To (inclusive), open when `None`.
    pub to_date: Option<Date>,
}

/// Inserts a retiree with its flags, registered on `today` (the month the roll counts them in); returns it.
pub fn create(conn: &mut DbConnection, data: &RetireeData, flags: &[GroupFlag], today: Date) -> RepoResult<Retiree> {
    create_as(conn, data, flags, "registered", today, ("retiree", None))
}

/// Registers a person who arrives on the roll by `kind` (`registered`, or `received` by handover) from `source`.
pub fn create_as(
    conn: &mut DbConnection,
    data: &RetireeData,
    flags: &[GroupFlag],
    kind: &str,
    month: Date,
    source: (&str, Option<i64>),
) -> RepoResult<Retiree> {
    let now = now_utc();
    let (stored, hash) = data.sealed()?;
    diesel::insert_into(retirees::table)
        .values((
            &stored,
            retirees::id_number_hash.eq(&hash),
            retirees::created_at.eq(now),
            retirees::updated_at.eq(now),
        ))
        .execute(conn)?;
    let retiree: Retiree =
        retirees::table.filter(retirees::id_number_hash.eq(&hash)).select(Retiree::as_select()).first(conn)?;
    replace_flags(conn, retiree.id, flags)?;
    // On the community's roll from `month` (the monthly movement report).
    crate::movement::record(conn, retiree.id, &retiree.community_code, kind, month, source)?;
    let origin = if source.0 == "retiree" { "api" } else { source.0 };
    emit(
        conn,
        &Emit::retiree(
            EventType::RetireeCreated.as_str(),
            retiree.id,
            serde_json::json!({ "source": origin, "source_id": source.1 }),
        ),
    )?;
    Ok(retiree)
}

/// Replaces the row if the version is still `expected_version`, and the flags when given.
pub fn update(
    conn: &mut DbConnection,
    id: impl Into<RetireeId>,
    expected_version: i64,
    data: &RetireeData,
    flags: Option<&[GroupFlag]>,
    today: Date,
) -> RepoResult<Retiree> {
    let id = id.into().get();
    let old: Retiree = retirees::table.find(id).select(Retiree::as_select()).first(conn)?;
    let (before, on_roll) = (old.community_code.clone(), old.on_roll);
    let (stored, hash) = data.sealed()?;
    let updated =
        diesel::update(retirees::table.filter(retirees::id.eq(id)).filter(retirees::version.eq(expected_version)))
            .set((
                &stored,
                retirees::id_number_hash.eq(&hash),
                retirees::version.eq(retirees::version + 1),
                retirees::updated_at.eq(now_utc()),
            ))
            .execute(conn)?;
    if updated == 0 {
        return Err(RepoError::VersionMismatch);
    }
    if let Some(flags) = flags {
        replace_flags(conn, id, flags)?;
    }
    if before != data.community_code && on_roll {
        // A correction of the community moves the person between rolls like a transfer.
        let month = today;
        crate::movement::record(conn, id, &before, "transferred_out", month, ("correction", None))?;
        crate::movement::record(conn, id, &data.community_code, "transferred_in", month, ("correction", None))?;
    }
    let changed = changed_fields(&RetireeData::from(&old), data, flags.is_some());
    let details = serde_json::json!({ "changed": changed, "source": "api", "source_id": null });
    emit(conn, &Emit::retiree(EventType::RetireeUpdated.as_str(), id, details))?;
    if before != data.community_code {
        emit(conn, &moved_event(id, &before, &data.community_code, "correction", None))?;
    }
    Ok(retirees::table.find(id).select(Retiree::as_select()).first(conn)?)
}

/// The event of a move from `from` to `to` (a correction or a completed transfer).
pub fn moved_event<'a>(id: i64, from: &'a str, to: &'a str, reason: &str, transfer_id: Option<i64>) -> Emit<'a> {
    let mut e = Emit::retiree(
        EventType::RetireeMoved.as_str(),
        id,
        serde_json::json!({ "from_community": from, "to_community": to, "reason": reason, "transfer_id": transfer_id }),
    );
    e.previous_code = Some(from);
    e
}

/// The names of the fields that differ between `a` and `b` (API names), `special_groups` when flags were replaced.
fn changed_fields(a: &RetireeData, b: &RetireeData, flags: bool) -> Vec<&'static str> {
    let mut out = Vec::new();
    let pairs: [(&'static str, bool); 15] = [
        ("id_number", a.id_number != b.id_number),
        ("name", a.name != b.name),
        ("sex", a.sex != b.sex),
        ("birth_date", a.birth_date != b.birth_date),
        ("retirement_date", a.retirement_date != b.retirement_date),
        ("category", a.category != b.category),
        ("management_level", a.management_level != b.management_level),
        ("community_code", a.community_code != b.community_code),
        ("phone", a.phone != b.phone),
        ("address", a.address != b.address),
        ("pension_status", a.pension_status != b.pension_status),
        ("monthly_pension_fen", a.monthly_pension_fen != b.monthly_pension_fen),
        ("party_member", a.party_member != b.party_member),
        ("notes", a.notes != b.notes),
        ("certified_until", a.certified_until != b.certified_until),
    ];
    for (name, differs) in pairs {
        if differs {
            out.push(name);
        }
    }
    if flags {
        out.push("special_groups");
    }
    out
}

fn replace_flags(conn: &mut DbConnection, id: i64, flags: &[GroupFlag]) -> RepoResult<()> {
    diesel::delete(retiree_special_groups::table.filter(retiree_special_groups::retiree_id.eq(id))).execute(conn)?;
    for f in flags {
        diesel::insert_into(retiree_special_groups::table)
            .values((
                retiree_special_groups::retiree_id.eq(id),
                retiree_special_groups::group_code.eq(&f.group_code),
                retiree_special_groups::from_date.eq(f.from_date),
                retiree_special_groups::to_date.eq(f.to_date),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Flags of one retiree, by group then start.
pub fn flags(conn: &mut DbConnection, id: impl Into<RetireeId>) -> RepoResult<Vec<GroupFlag>> {
    Ok(retiree_special_groups::table
        .filter(retiree_special_groups::retiree_id.eq(StoredId::from(id.into())))
        .order((retiree_special_groups::group_code, retiree_special_groups::from_date))
        .select(GroupFlag::as_select())
        .load(conn)?)
}

/// Flags of many retirees (list pages), keyed by retiree id.
pub fn flags_of(conn: &mut DbConnection, ids: &[i64]) -> RepoResult<Vec<(i64, GroupFlag)>> {
    Ok(retiree_special_groups::table
        .filter(retiree_special_groups::retiree_id.eq_any(ids))
        .order((retiree_special_groups::retiree_id, retiree_special_groups::group_code))
        .select((retiree_special_groups::retiree_id, GroupFlag::as_select()))
        .load(conn)?)
}

/// [`flags_of`] grouped by retiree id (a list or export page matches each person to their flags).
pub fn flags_by_retiree(
    conn: &mut DbConnection,
    ids: &[i64],
) -> RepoResult<std::collections::HashMap<i64, Vec<GroupFlag>>> {
    let mut by_id: std::collections::HashMap<i64, Vec<GroupFlag>> = std::collections::HashMap::new();
    for (id, flag) in flags_of(conn, ids)? {
        by_id.entry(id).or_default().push(flag);
    }
    Ok(by_id)
}

/// A retiree with the path of its community, if that lies in the subtree at `scope_path`.
pub fn find_in_scope(
    conn: &mut DbConnection,
    id: impl Into<RetireeId>,
    scope_path: &str,
) -> RepoResult<(Retiree, String)> {
    let found: (Retiree, String) = retirees::table
        .inner_join(jurisdictions::table)
        .filter(retirees::id.eq(StoredId::from(id.into())))
        .select((Retiree::as_select(), jurisdictions::path))
        .first(conn)?;
    if crate::jurisdictions::path_in_scope(&found.1, scope_path) { Ok(found) } else { Err(RepoError::NotFound) }
}

/// [`find_in_scope`] with the person's special-group flags ([`flags`]) in the same statement: one round trip for
/// the single-person read (issue 20). The flags are left-joined, so a person without flags is one row.
pub fn find_with_flags_in_scope(
    conn: &mut DbConnection,
    id: impl Into<RetireeId>,
    scope_path: &str,
) -> RepoResult<(Retiree, String, Vec<GroupFlag>)> {
    let rows: Vec<PersonFlagRow> = retirees::table
        .inner_join(jurisdictions::table)
        .left_join(retiree_special_groups::table)
        .filter(retirees::id.eq(StoredId::from(id.into())))
        .order((retiree_special_groups::group_code, retiree_special_groups::from_date))
        .select((
            Retiree::as_select(),
            jurisdictions::path,
            (retiree_special_groups::group_code, retiree_special_groups::from_date, retiree_special_groups::to_date)
                .nullable(),
        ))
        .load(conn)?;
    let Some(found) = with_flags(rows).pop() else { return Err(RepoError::NotFound) };
    if crate::jurisdictions::path_in_scope(&found.1, scope_path) { Ok(found) } else { Err(RepoError::NotFound) }
}

/// The retiree with this resident ID number, if in scope: an exact match through the keyed hash (issue 21.10).
pub fn find_by_id_number(
    conn: &mut DbConnection,
    id_number: &str,
    scope_path: &str,
) -> RepoResult<Option<(Retiree, String)>> {
    let hash = crate::sealed::hash(id_number)?;
    Ok(retirees::table
        .inner_join(jurisdictions::table)
        .filter(retirees::id_number_hash.eq(hash))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select((Retiree::as_select(), jurisdictions::path))
        .first(conn)
        .optional()?)
}

/// A list filter; `scope_path` is the caller's subtree or a node inside it.
#[derive(Debug, Clone, Default)]
pub struct RetireeFilter {
    /// Subtree to search.
    pub scope_path: String,
    /// Category code.
    pub category: Option<String>,
    /// Management level code.
    pub management_level: Option<String>,
    /// Pension status code.
    pub pension_status: Option<String>,
    /// Flag group in force on a date.
    pub flag_on: Option<(String, Date)>,
    /// Party members only.
    pub party_member: Option<bool>,
    /// At least this many years old on the day (`age_min`, the advanced-age group): [`rules::age_at_least`].
    pub min_age: Option<(i32, Date)>,
    /// At most this many years old on the day (`age_max`): [`rules::younger_than`] one year more.
    pub max_age: Option<(i32, Date)>,
    /// Name starts with.
    pub name_prefix: Option<String>,
    /// Suspension reason code.
    pub suspension_reason: Option<String>,
    /// Certification status on the day, with the policy's reminder window in days: [`rules::overdue`],
    /// [`rules::due_soon`] or [`rules::certified`].
    pub certification: Option<(CertificationStatus, Date, u32)>,
}

/// One page of retirees matching `filter`, by id after `after`, each with the path of its community.
pub fn list(
    conn: &mut DbConnection,
    filter: &RetireeFilter,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<(Retiree, String)>> {
    let mut query = retirees::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(&filter.scope_path))
        .select((Retiree::as_select(), jurisdictions::path))
        .order(retirees::id)
        .limit(limit)
        .into_boxed();
    // A subtree rooted at a community is that community. Saying so lets the (community_code, id) index serve the
    // page; without it PostgreSQL may walk the primary key and join row after row to test its path
    // (docs/performance.md, the list scenario).
    if let Some(code) = community_of_path(&filter.scope_path) {
        query = query.filter(retirees::community_code.eq(code.to_owned()));
    }
    if let Some(v) = &filter.category {
        query = query.filter(retirees::category.eq(v.clone()));
    }
    if let Some(v) = &filter.management_level {
        query = query.filter(retirees::management_level.eq(v.clone()));
    }
    if let Some(v) = &filter.pension_status {
        query = query.filter(retirees::pension_status.eq(v.clone()));
    }
    if let Some(v) = filter.party_member {
        query = query.filter(retirees::party_member.eq(v));
    }
    if let Some((years, on)) = filter.min_age {
        query = query.filter(rules::age_at_least(retirees::birth_date, years, on));
    }
    if let Some((years, on)) = filter.max_age {
        query = query.filter(rules::younger_than(retirees::birth_date, years.saturating_add(1), on));
    }
    if let Some(v) = &filter.suspension_reason {
        query = query.filter(retirees::suspension_reason.eq(v.clone()));
    }
    match filter.certification {
        Some((CertificationStatus::Overdue, on, _)) => {
            query = query.filter(rules::overdue(retirees::certified_until, on));
        }
        Some((CertificationStatus::DueSoon, on, days)) => {
            query = query.filter(rules::due_soon(retirees::certified_until, on, days));
        }
        Some((CertificationStatus::Certified, on, days)) => {
            query = query.filter(rules::certified(retirees::certified_until, on, days));
        }
        None => {}
    }
    if let Some(prefix) = &filter.name_prefix {
        let mut upper = prefix.clone();
        upper.push(char::MAX);
        query = query.filter(retirees::name.ge(prefix.clone())).filter(retirees::name.lt(upper));
    }
    if let Some((group, on)) = &filter.flag_on {
        let holders = retiree_special_groups::table
            .filter(retiree_special_groups::group_code.eq(group.clone()))
            .filter(retiree_special_groups::from_date.le(*on))
            .filter(retiree_special_groups::to_date.is_null().or(retiree_special_groups::to_date.ge(*on)))
            .select(retiree_special_groups::retiree_id);
        query = query.filter(retirees::id.eq_any(holders));
    }
    if let Some(after) = after {
        query = query.filter(retirees::id.gt(after));
    }
    Ok(query.load(conn)?)
}

/// A person with their community's path and one of their flags, or none (a left join of the flags).
type PersonFlagRow = (Retiree, String, Option<(String, Date, Option<Date>)>);

/// Folds rows of (person, path, one flag or none), ordered by person, into one entry per person with their flags.
fn with_flags(rows: Vec<PersonFlagRow>) -> Vec<(Retiree, String, Vec<GroupFlag>)> {
    let mut out: Vec<(Retiree, String, Vec<GroupFlag>)> = Vec::new();
    for (retiree, path, flag) in rows {
        let flag = flag.map(|(group_code, from_date, to_date)| GroupFlag { group_code, from_date, to_date });
        match out.last_mut() {
            Some((last, _, flags)) if last.id == retiree.id => flags.extend(flag),
            _ => out.push((retiree, path, flag.into_iter().collect())),
        }
    }
    out
}

/// The community a subtree path ends in (`/3502/350203/350203001/350203001001/`), if it ends in one: communities
/// are the leaves of the tree and the only nodes with 12-digit codes.
fn community_of_path(path: &str) -> Option<&str> {
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    (last.len() == 12 && last.bytes().all(|b| b.is_ascii_digit())).then_some(last)
}

/// Number of retirees in total (demo seeding, metrics).
pub fn count(conn: &mut DbConnection) -> RepoResult<i64> {
    Ok(retirees::table.count().get_result(conn)?)
}

/// A dependent (供养直系亲属) as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = dependents)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Dependent {
    /// Id.
    pub id: i64,
    /// The retiree.
    pub retiree_id: i64,
    /// Relation code.
    #[diesel(deserialize_as = Stored<domain::Relation>)]
    pub relation: domain::Relation,
    /// Resident ID number, sealed at rest.
    #[diesel(deserialize_as = crate::sealed::Opened)]
    pub id_number: String,
    /// Name.
    pub name: String,
    /// Whether supported by the retiree.
    pub supported: bool,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: PrimitiveDateTime,
    /// Last changed.
    pub updated_at: PrimitiveDateTime,
    /// Last valid day of the certification on file (meaningful while supported).
    pub certified_until: Date,
    /// Date of the last certification.
    pub last_certified_on: Option<Date>,
    /// First day of the month the support was suspended for an overdue certification; `None` while paid.
    pub support_suspended_from: Option<Date>,
    /// The certification run that suspended the support, if one did.
    pub status_run_id: Option<i64>,
}

/// Writable columns of a dependent.
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = dependents)]
pub struct DependentData {
    /// Relation code.
    pub relation: String,
    /// Resident ID number.
    pub id_number: String,
    /// Name.
    pub name: String,
    /// Supported.
    pub supported: bool,
}

impl DependentData {
    /// The row as written: ID number sealed, with its keyed hash (issue 21.10).
    pub fn sealed(&self) -> RepoResult<(Self, String)> {
        let keys = crate::sealed::keys()?;
        Ok((Self { id_number: keys.seal(&self.id_number), ..self.clone() }, keys.hash(&self.id_number)))
    }
}

/// Adds a dependent to a retiree, certified until `certified_until` (one policy period from registration).
pub fn create_dependent(
    conn: &mut DbConnection,
    retiree_id: i64,
    data: &DependentData,
    certified_until: Date,
) -> RepoResult<Dependent> {
    let now = now_utc();
    let (stored, hash) = data.sealed()?;
    diesel::insert_into(dependents::table)
        .values((
            &stored,
            dependents::id_number_hash.eq(&hash),
            dependents::certified_until.eq(certified_until),
            dependents::retiree_id.eq(retiree_id),
            dependents::created_at.eq(now),
            dependents::updated_at.eq(now),
        ))
        .execute(conn)?;
    let d: Dependent = dependents::table
        .filter(dependents::retiree_id.eq(retiree_id))
        .filter(dependents::id_number_hash.eq(&hash))
        .select(Dependent::as_select())
        .first(conn)?;
    emit(conn, &dependent_event(EventType::DependentCreated, &d)?)?;
    Ok(d)
}

/// An event about a dependant, with the dependant's fields under `dependent` (the ID number sealed: events are
/// opened when read, `app::events::to_json`).
pub fn dependent_event(kind: EventType, d: &Dependent) -> RepoResult<Emit<'static>> {
    let id_number = crate::sealed::seal(&d.id_number)?;
    Ok(Emit::retiree(
        kind.as_str(),
        d.retiree_id,
        serde_json::json!({ "dependent": {
            "id": d.id, "relation": d.relation, "id_number": id_number, "name": d.name, "supported": d.supported,
            "certified_until": d.certified_until.to_string(),
        } }),
    )
    .about("dependent", d.id))
}

/// Dependents of a retiree, by id.
pub fn dependents_of(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<Vec<Dependent>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(dependents::table
        .filter(dependents::retiree_id.eq(retiree_id))
        .order(dependents::id)
        .select(Dependent::as_select())
        .load(conn)?)
}

/// One dependent of a retiree.
pub fn find_dependent(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>, id: i64) -> RepoResult<Dependent> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(dependents::table
        .filter(dependents::retiree_id.eq(retiree_id))
        .filter(dependents::id.eq(id))
        .select(Dependent::as_select())
        .first(conn)?)
}

/// Replaces a dependent's fields if the version is still `expected_version`. `restart` gives a new validity to a
/// dependant who becomes supported (one policy period from that day); support that ends clears a suspension.
pub fn update_dependent(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    data: &DependentData,
    restart: Option<Date>,
) -> RepoResult<Dependent> {
    let (stored, hash) = data.sealed()?;
    let updated = diesel::update(
        dependents::table.filter(dependents::id.eq(id)).filter(dependents::version.eq(expected_version)),
    )
    .set((
        &stored,
        dependents::id_number_hash.eq(&hash),
        dependents::version.eq(dependents::version + 1),
        dependents::updated_at.eq(now_utc()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(RepoError::VersionMismatch);
    }
    if let Some(until) = restart {
        diesel::update(dependents::table.find(id))
            .set((dependents::certified_until.eq(until), dependents::support_suspended_from.eq(None::<Date>)))
            .execute(conn)?;
    }
    if !data.supported {
        diesel::update(dependents::table.find(id))
            .set((dependents::support_suspended_from.eq(None::<Date>), dependents::status_run_id.eq(None::<i64>)))
            .execute(conn)?;
    }
    let d: Dependent = dependents::table.find(id).select(Dependent::as_select()).first(conn)?;
    emit(conn, &dependent_event(EventType::DependentUpdated, &d)?)?;
    Ok(d)
}

/// Removes a dependent if the version is still `expected_version`.
pub fn delete_dependent(conn: &mut DbConnection, id: i64, expected_version: i64) -> RepoResult<()> {
    if let Some(d) = dependents::table.find(id).select(Dependent::as_select()).first(conn).optional()? {
        emit(conn, &dependent_event(EventType::DependentRemoved, &d)?)?;
    }
    let deleted = diesel::delete(
        dependents::table.filter(dependents::id.eq(id)).filter(dependents::version.eq(expected_version)),
    )
    .execute(conn)?;
    if deleted == 0 { Err(RepoError::VersionMismatch) } else { Ok(()) }
}

/// The dependent of a retiree with this resident ID, if registered.
pub fn find_dependent_by_id_number(
    conn: &mut DbConnection,
    retiree_id: i64,
    id_number: &str,
) -> RepoResult<Option<Dependent>> {
    Ok(dependents::table
        .filter(dependents::retiree_id.eq(retiree_id))
        .filter(dependents::id_number_hash.eq(crate::sealed::hash(id_number)?))
        .select(Dependent::as_select())
        .first(conn)
        .optional()?)
}

/// One dependent by id, whoever their retiree.
pub fn find_dependent_by_id(conn: &mut DbConnection, id: i64) -> RepoResult<Dependent> {
    Ok(dependents::table.find(id).select(Dependent::as_select()).first(conn)?)
}

/// One dependent by id with their retiree and the retiree's community path, if in scope: one query, so an absent
/// dependent and one outside `scope_path` are both `NotFound` after the same work.
pub fn find_dependent_in_scope(
    conn: &mut DbConnection,
    id: i64,
    scope_path: &str,
) -> RepoResult<(Dependent, Retiree, String)> {
    let found: (Dependent, Retiree, String) = dependents::table
        .inner_join(retirees::table.inner_join(jurisdictions::table))
        .filter(dependents::id.eq(id))
        .select((Dependent::as_select(), Retiree::as_select(), jurisdictions::path))
        .first(conn)?;
    if crate::jurisdictions::path_in_scope(&found.2, scope_path) { Ok(found) } else { Err(RepoError::NotFound) }
}

/// `source` of a certification loaded with a new person (issue 19.2): their real last certification given at
/// registration (`source_ref` null), by a roster import (`source_ref` = import job) or a handover (`source_ref` =
/// handover item).
pub const CERT_SOURCE_LOADED: &str = "loaded";

/// Records the last certification loaded with the new person `new.retiree_id` in their certification history and
/// as their `last_certified_on` (their `certified_until` was set from it on creation). Returns the record.
pub fn load_certification(conn: &mut DbConnection, new: &crate::pension::NewCertification) -> RepoResult<Retiree> {
    use crate::schema::certifications;
    diesel::insert_into(certifications::table).values(new).execute(conn)?;
    diesel::update(retirees::table.find(new.retiree_id))
        .set(retirees::last_certified_on.eq(new.certified_on))
        .execute(conn)?;
    Ok(retirees::table.find(new.retiree_id).select(Retiree::as_select()).first(conn)?)
}

/// The date of the latest certification on record of a person (the latest `certified_on`), if any.
pub fn latest_certified_on(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<Option<Date>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    use crate::schema::certifications;
    Ok(certifications::table
        .filter(certifications::retiree_id.eq(retiree_id))
        .select(diesel::dsl::max(certifications::certified_on))
        .first(conn)?)
}

/// Sets a person's validity from the certification of `certified_on` the validity now rests on (issue 19.2: the
/// latest certification on record, even when it gives an earlier last valid day). Version + 1.
pub fn set_validity(conn: &mut DbConnection, id: i64, until: Date, certified_on: Date) -> RepoResult<()> {
    diesel::update(retirees::table.find(id))
        .set((
            retirees::certified_until.eq(until),
            retirees::last_certified_on.eq(certified_on),
            retirees::version.eq(retirees::version + 1),
            retirees::updated_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The method of the last certification of each of `ids` (the latest recorded certification dated on the
/// person's `last_certified_on`): `(retiree id, method code)`, for the roster export.
pub fn last_certification_methods(conn: &mut DbConnection, ids: &[i64]) -> RepoResult<Vec<(i64, String)>> {
    use crate::schema::certifications;
    let rows: Vec<(i64, String)> = certifications::table
        .inner_join(retirees::table)
        .filter(certifications::retiree_id.eq_any(ids))
        .filter(retirees::last_certified_on.eq(certifications::certified_on.nullable()))
        .order((certifications::retiree_id, certifications::id))
        .select((certifications::retiree_id, certifications::method))
        .load(conn)?;
    // The last recorded per person wins.
    let mut out: Vec<(i64, String)> = Vec::new();
    for (id, method) in rows {
        match out.last_mut() {
            Some(last) if last.0 == id => last.1 = method,
            _ => out.push((id, method)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_community_path_names_its_community() {
        assert_eq!(super::community_of_path("/3502/350203/350203001/350203001001/"), Some("350203001001"));
        assert_eq!(super::community_of_path("/3502/350203/350203001/"), None);
        assert_eq!(super::community_of_path("/"), None);
        assert_eq!(super::community_of_path(""), None);
    }
}
