//! High-age allowance applications (issue 25 part 4; JN Art. 7(7)). An application is seen where its person is on
//! the roll (the retiree's community in the caller's subtree), so it moves with a transfer.

use diesel::prelude::*;
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::schema::{death_reports, high_age_allowance_applications as apps, jurisdictions, retirees};
use crate::typed::Stored;
use crate::{DbConnection, RepoError, RepoResult};
use domain::high_age::ApplicationStatus;

/// An application as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = apps)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Application {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Day applied.
    pub applied_on: Date,
    /// Status.
    #[diesel(deserialize_as = Stored<ApplicationStatus>)]
    pub status: ApplicationStatus,
    /// First month paid (the month the first band's age is reached).
    pub from_month: Date,
    /// Note.
    pub note: Option<String>,
    /// Reason of a refusal.
    pub reason: Option<String>,
    /// Day decided.
    pub decided_on: Option<Date>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// An application to file.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = apps)]
pub struct NewApplication {
    /// Person.
    pub retiree_id: i64,
    /// Day.
    pub applied_on: Date,
    /// Status code.
    pub status: String,
    /// First month.
    pub from_month: Date,
    /// Note.
    pub note: Option<String>,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// An application with its person: name, birth date, community and the community's path.
#[derive(Debug, Clone, Queryable, PartialEq)]
pub struct Row {
    /// The application.
    pub application: Application,
    /// Name.
    pub name: String,
    /// Birth date.
    pub birth_date: Date,
    /// Community code.
    pub community_code: String,
    /// Community path.
    pub path: String,
}

macro_rules! row_select {
    () => {
        (Application::as_select(), retirees::name, retirees::birth_date, retirees::community_code, jurisdictions::path)
    };
}

/// Files an application; [`RepoError::Unique`] when the person has one pending or approved.
pub fn create(conn: &mut DbConnection, new: &NewApplication) -> RepoResult<Application> {
    diesel::insert_into(apps::table).values(new).execute(conn)?;
    Ok(apps::table
        .filter(apps::retiree_id.eq(new.retiree_id))
        .order(apps::id.desc())
        .select(Application::as_select())
        .first(conn)?)
}

/// Whether the person has an application pending or approved.
pub fn open_exists(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<bool> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let n: i64 = apps::table
        .filter(apps::retiree_id.eq(retiree_id))
        .filter(apps::status.eq_any([ApplicationStatus::Applied.as_str(), ApplicationStatus::Approved.as_str()]))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The application `id` if its person is in the subtree at `scope_path`.
pub fn find_in_scope(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<Row> {
    let found = apps::table
        .inner_join(retirees::table.inner_join(jurisdictions::table))
        .filter(apps::id.eq(id))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select(row_select!())
        .first(conn)
        .optional()?;
    found.ok_or(RepoError::NotFound)
}

/// Records the decision on a pending application at `version`; [`RepoError::VersionMismatch`] when it changed.
pub fn decide(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    status: ApplicationStatus,
    reason: Option<&str>,
    decided_on: Date,
    decided_by: &str,
) -> RepoResult<()> {
    let n = diesel::update(
        apps::table
            .filter(apps::id.eq(id))
            .filter(apps::version.eq(version))
            .filter(apps::status.eq(ApplicationStatus::Applied.as_str())),
    )
    .set((
        apps::status.eq(status.as_str()),
        apps::reason.eq(reason),
        apps::decided_on.eq(Some(decided_on)),
        apps::decided_by.eq(Some(decided_by)),
        apps::version.eq(version + 1),
    ))
    .execute(conn)?;
    if n == 1 { Ok(()) } else { Err(RepoError::VersionMismatch) }
}

/// A page of the applications of people in the subtree at `scope_path`, by id; only of `status` when given.
pub fn list(
    conn: &mut DbConnection,
    scope_path: &str,
    status: Option<ApplicationStatus>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Row>> {
    let mut q = apps::table
        .inner_join(retirees::table.inner_join(jurisdictions::table))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(apps::status.eq(s.as_str()));
    }
    if let Some(a) = after {
        q = q.filter(apps::id.gt(a));
    }
    Ok(q.order(apps::id).limit(limit).select(row_select!()).load(conn)?)
}

/// The approved applications of people in the subtree at `scope_path` whose payment starts on or before `month`,
/// each with the stop month of the person's verified death report, by community and person.
pub fn approved_for_month(
    conn: &mut DbConnection,
    scope_path: &str,
    month: Date,
) -> RepoResult<Vec<(Row, Option<Date>)>> {
    let rows: Vec<Row> = apps::table
        .inner_join(retirees::table.inner_join(jurisdictions::table))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(apps::status.eq(ApplicationStatus::Approved.as_str()))
        .filter(apps::from_month.le(month))
        .order((retirees::community_code, apps::retiree_id))
        .select(row_select!())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.application.retiree_id).collect();
    let mut stops: Vec<(i64, Date)> = Vec::new();
    for chunk in ids.chunks(500) {
        stops.extend(
            death_reports::table
                .filter(death_reports::retiree_id.eq_any(chunk))
                .filter(death_reports::status.eq(crate::death::VERIFIED))
                .select((death_reports::retiree_id, death_reports::stop_month))
                .load::<(i64, Date)>(conn)?,
        );
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let stop = stops.iter().find(|(id, _)| *id == r.application.retiree_id).map(|(_, d)| *d);
            (r, stop)
        })
        .collect())
}

/// The stop month of the person's verified death report, if any.
pub fn stop_month_of(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<Option<Date>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(death_reports::table
        .filter(death_reports::retiree_id.eq(retiree_id))
        .filter(death_reports::status.eq(crate::death::VERIFIED))
        .select(death_reports::stop_month)
        .first(conn)
        .optional()?)
}
