//! Pension status changes, certifications and home-visit certification tasks of one person (issue 5). The bulk
//! paths (certification runs, feeds) live in their own modules and write the same tables.

use diesel::prelude::*;
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::retirees::Retiree;
use crate::schema::{certification_tasks, certifications, jurisdictions, pension_status_changes, retirees};
use crate::sql::Bind;
use crate::typed::{OptStored, Stored};
use crate::{DbConnection, RepoError, RepoResult, now_utc};

/// `source` of a change made by a user through the API.
pub const SOURCE_PERSON: &str = "person";
/// `source` of a change made by a data-platform feed (`source_ref` = feed batch id).
pub const SOURCE_FEED: &str = "feed";
/// `source` of a change made by a certification run (`source_ref` = run id).
pub const SOURCE_RUN: &str = "run";

/// A recorded status change.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, serde::Serialize)]
#[diesel(table_name = pension_status_changes)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct StatusChange {
    /// Id.
    pub id: i64,
    /// Person.
    pub retiree_id: i64,
    /// Community of the person at the time.
    pub community_code: String,
    /// Status before.
    #[diesel(deserialize_as = Stored<domain::PensionStatus>)]
    pub from_status: domain::PensionStatus,
    /// Suspension reason before.
    #[diesel(deserialize_as = OptStored<domain::policy::SuspensionReason>)]
    pub from_reason: Option<domain::policy::SuspensionReason>,
    /// Status after.
    #[diesel(deserialize_as = Stored<domain::PensionStatus>)]
    pub to_status: domain::PensionStatus,
    /// Suspension reason after (suspensions), or the reason that ended (resumptions).
    #[diesel(deserialize_as = OptStored<domain::policy::SuspensionReason>)]
    pub reason: Option<domain::policy::SuspensionReason>,
    /// First day of the month the change takes effect.
    pub effective_month: Date,
    /// `person`, `feed` or `run`.
    pub source: String,
    /// Feed batch or run id.
    pub source_ref: Option<i64>,
    /// Login of the operator.
    pub operator: String,
    /// Months the pension was suspended (resumptions).
    pub months_suspended: Option<i32>,
    /// Whether the policy pays them back (resumptions).
    pub back_pay_granted: Option<bool>,
    /// Months paid back (resumptions).
    pub back_pay_months: Option<i32>,
    /// Amount paid back in fen (resumptions, when the monthly pension is on record).
    pub back_pay_fen: Option<i64>,
    /// Note.
    pub note: Option<String>,
    /// Recorded.
    pub created_at: PrimitiveDateTime,
}

/// A status change to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pension_status_changes)]
pub struct NewStatusChange {
    /// Person.
    pub retiree_id: i64,
    /// Community of the person.
    pub community_code: String,
    /// Status before.
    pub from_status: String,
    /// Reason before.
    pub from_reason: Option<String>,
    /// Status after.
    pub to_status: String,
    /// Reason (see [`StatusChange::reason`]).
    pub reason: Option<String>,
    /// First day of the effective month.
    pub effective_month: Date,
    /// `person`, `feed` or `run`.
    pub source: String,
    /// Feed batch or run id.
    pub source_ref: Option<i64>,
    /// Operator.
    pub operator: String,
    /// Months the pension was suspended (resumptions).
    pub months_suspended: Option<i32>,
    /// Whether the policy pays them back (resumptions).
    pub back_pay_granted: Option<bool>,
    /// Months paid back.
    pub back_pay_months: Option<i32>,
    /// Amount paid back in fen.
    pub back_pay_fen: Option<i64>,
    /// Note.
    pub note: Option<String>,
    /// Recorded.
    pub created_at: PrimitiveDateTime,
}

impl NewStatusChange {
    /// A change of `retiree` made by a user through the API (source `person`), to `to_status` with `reason`, from
    /// the first day of `effective_month`; no back-pay (resumptions set it).
    pub fn by_person(
        retiree: &Retiree,
        to_status: &str,
        reason: Option<String>,
        effective_month: Date,
        operator: &str,
        note: Option<String>,
    ) -> Self {
        Self {
            retiree_id: retiree.id,
            community_code: retiree.community_code.clone(),
            from_status: retiree.pension_status.as_str().to_owned(),
            from_reason: retiree.suspension_reason.map(|r| r.as_str().to_owned()),
            to_status: to_status.to_owned(),
            reason,
            effective_month,
            source: SOURCE_PERSON.to_owned(),
            source_ref: None,
            operator: operator.to_owned(),
            months_suspended: None,
            back_pay_granted: None,
            back_pay_months: None,
            back_pay_fen: None,
            note,
            created_at: now_utc(),
        }
    }
}

/// The status columns of a person after a change.
#[derive(Debug, Clone, PartialEq)]
pub struct NewState {
    /// Status code.
    pub status: String,
    /// Suspension reason, for suspensions.
    pub reason: Option<String>,
    /// First day of the suspension month, for suspensions.
    pub suspended_from: Option<Date>,
}

/// Changes the status of a person whose status is still `change.from_status` (with `change.from_reason`) and,
/// when given, whose version is still `expected_version`; records the change. Returns the person after it, or
/// [`RepoError::VersionMismatch`] when somebody changed the person meanwhile.
pub fn change_status(
    conn: &mut DbConnection,
    expected_version: Option<i64>,
    state: &NewState,
    change: &NewStatusChange,
) -> RepoResult<Retiree> {
    let now = now_utc();
    let mut query = diesel::update(retirees::table)
        .filter(retirees::id.eq(change.retiree_id))
        .filter(retirees::pension_status.eq(&change.from_status))
        .into_boxed();
    query = match &change.from_reason {
        Some(r) => query.filter(retirees::suspension_reason.eq(r.clone())),
        None => query.filter(retirees::suspension_reason.is_null()),
    };
    if let Some(v) = expected_version {
        query = query.filter(retirees::version.eq(v));
    }
    let n = query
        .set((
            retirees::pension_status.eq(&state.status),
            retirees::suspension_reason.eq(&state.reason),
            retirees::suspended_from.eq(state.suspended_from),
            retirees::status_run_id.eq(None::<i64>),
            retirees::version.eq(retirees::version + 1),
            retirees::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    diesel::insert_into(pension_status_changes::table).values(change).execute(conn)?;
    emit_status_change(conn, change)?;
    Ok(retirees::table.find(change.retiree_id).select(Retiree::as_select()).first(conn)?)
}

/// The event of the person's latest status change (`pension.suspended`, `pension.resumed` …; CS Art. 32).
fn emit_status_change(conn: &mut DbConnection, change: &NewStatusChange) -> RepoResult<()> {
    crate::events::status_changes(
        conn,
        "c.id = (SELECT MAX(id) FROM pension_status_changes WHERE retiree_id = ?)",
        &[Bind::I64(change.retiree_id)],
    )?;
    Ok(())
}

/// Serialises the bulk status work (certification runs, feeds) of all replicas: on PostgreSQL a transaction-level
/// advisory lock, so two runs never update the same rows in different orders (no deadlock) and the second sees
/// what the first did; SQLite's `BEGIN IMMEDIATE` serialises writers already. Call first in the transaction.
pub fn lock_bulk_status_work(conn: &mut DbConnection) -> RepoResult<()> {
    if let DbConnection::Pg(c) = conn {
        // Any constant shared by all replicas; 0x5045_4e53 = "PENS".
        diesel::sql_query("SELECT pg_advisory_xact_lock(1346719315)").execute(c)?;
    }
    Ok(())
}

/// The status changes of a person, oldest first, after the change with id `after`.
pub fn changes_of(
    conn: &mut DbConnection,
    retiree_id: i64,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<StatusChange>> {
    let mut query = pension_status_changes::table
        .filter(pension_status_changes::retiree_id.eq(retiree_id))
        .select(StatusChange::as_select())
        .order(pension_status_changes::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(pension_status_changes::id.gt(after));
    }
    Ok(query.load(conn)?)
}

/// A recorded certification.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, serde::Serialize)]
#[diesel(table_name = certifications)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Certification {
    /// Id.
    pub id: i64,
    /// Person.
    pub retiree_id: i64,
    /// Method code.
    #[diesel(deserialize_as = Stored<domain::pension::CertificationMethod>)]
    pub method: domain::pension::CertificationMethod,
    /// Data source code (data comparison).
    #[diesel(deserialize_as = OptStored<domain::pension::DataSource>)]
    pub data_source: Option<domain::pension::DataSource>,
    /// Provider or source system (face recognition, data comparison).
    pub provider: Option<String>,
    /// Provider's reference (face recognition) or the source record's id.
    pub provider_reference: Option<String>,
    /// Face-recognition score, as sent (decimal).
    pub score: Option<String>,
    /// Name of the worker, group leader or visitor who certified.
    pub certifier_name: Option<String>,
    /// Evidence: what was seen or the document reference.
    pub evidence: Option<String>,
    /// Date of the certification.
    pub certified_on: Date,
    /// Last valid day it gave.
    pub valid_until: Date,
    /// `person` or `feed`.
    pub source: String,
    /// Feed batch id.
    pub source_ref: Option<i64>,
    /// Login of the operator who recorded it.
    pub operator: String,
    /// Recorded.
    pub created_at: PrimitiveDateTime,
}

/// A certification to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = certifications)]
pub struct NewCertification {
    /// Person.
    pub retiree_id: i64,
    /// Method code.
    pub method: String,
    /// Data source code.
    pub data_source: Option<String>,
    /// Provider.
    pub provider: Option<String>,
    /// Provider's reference.
    pub provider_reference: Option<String>,
    /// Score.
    pub score: Option<String>,
    /// Certifier.
    pub certifier_name: Option<String>,
    /// Evidence.
    pub evidence: Option<String>,
    /// Date.
    pub certified_on: Date,
    /// Last valid day it gives.
    pub valid_until: Date,
    /// `person` or `feed`.
    pub source: String,
    /// Feed batch id.
    pub source_ref: Option<i64>,
    /// Operator.
    pub operator: String,
    /// Recorded.
    pub created_at: PrimitiveDateTime,
}

/// Records a certification; when it is the latest (its `valid_until` is later than the one on file) the person's
/// validity moves to it and their open home-visit task is closed by it. Returns the certification and whether
/// it moved the validity.
pub fn record_certification(conn: &mut DbConnection, new: &NewCertification) -> RepoResult<(Certification, bool)> {
    diesel::insert_into(certifications::table).values(new).execute(conn)?;
    let cert: Certification = certifications::table
        .filter(certifications::retiree_id.eq(new.retiree_id))
        .order(certifications::id.desc())
        .select(Certification::as_select())
        .first(conn)?;
    let now = now_utc();
    let moved = diesel::update(retirees::table)
        .filter(retirees::id.eq(new.retiree_id))
        .filter(retirees::certified_until.lt(new.valid_until))
        .set((
            retirees::certified_until.eq(new.valid_until),
            retirees::last_certified_on.eq(new.certified_on),
            retirees::version.eq(retirees::version + 1),
            retirees::updated_at.eq(now),
        ))
        .execute(conn)?
        > 0;
    if moved {
        diesel::update(certification_tasks::table)
            .filter(certification_tasks::retiree_id.eq(new.retiree_id))
            .filter(certification_tasks::status.eq(TASK_OPEN))
            .set((
                certification_tasks::status.eq(TASK_DONE),
                certification_tasks::closed_at.eq(now),
                certification_tasks::certification_id.eq(cert.id),
            ))
            .execute(conn)?;
    }
    crate::events::certifications(conn, "c.id = ?", &[Bind::I64(cert.id)])?;
    Ok((cert, moved))
}

/// The certifications of a person, newest first, before the one with id `before`.
pub fn certifications_of(
    conn: &mut DbConnection,
    retiree_id: i64,
    before: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Certification>> {
    let mut query = certifications::table
        .filter(certifications::retiree_id.eq(retiree_id))
        .select(Certification::as_select())
        .order(certifications::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(certifications::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// One certification of a person.
pub fn find_certification(
    conn: &mut DbConnection,
    retiree_id: impl Into<RetireeId>,
    id: i64,
) -> RepoResult<Certification> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(certifications::table
        .filter(certifications::retiree_id.eq(retiree_id))
        .filter(certifications::id.eq(id))
        .select(Certification::as_select())
        .first(conn)?)
}

/// Sets or clears why a person must be certified at home; bumps the version. With no barrier left, the open
/// home-visit task is cancelled.
pub fn set_barrier(
    conn: &mut DbConnection,
    retiree_id: i64,
    expected_version: Option<i64>,
    barrier: Option<&str>,
) -> RepoResult<()> {
    let mut query = diesel::update(retirees::table).filter(retirees::id.eq(retiree_id)).into_boxed();
    if let Some(v) = expected_version {
        query = query.filter(retirees::version.eq(v));
    }
    let n = query
        .set((
            retirees::certification_barrier.eq(barrier),
            retirees::version.eq(retirees::version + 1),
            retirees::updated_at.eq(now_utc()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    if barrier.is_none() {
        diesel::update(certification_tasks::table)
            .filter(certification_tasks::retiree_id.eq(retiree_id))
            .filter(certification_tasks::status.eq(TASK_OPEN))
            .set((certification_tasks::status.eq(TASK_CANCELLED), certification_tasks::closed_at.eq(now_utc())))
            .execute(conn)?;
    }
    Ok(())
}

/// An open task.
pub const TASK_OPEN: &str = "open";
/// A task closed by a certification.
pub const TASK_DONE: &str = "done";
/// A task cancelled because the person no longer needs a home visit.
pub const TASK_CANCELLED: &str = "cancelled";

/// A home-visit certification task.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, serde::Serialize)]
#[diesel(table_name = certification_tasks)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Task {
    /// Id.
    pub id: i64,
    /// Person.
    pub retiree_id: i64,
    /// Community that visits.
    pub community_code: String,
    /// Barrier code.
    #[diesel(deserialize_as = Stored<domain::pension::CertificationBarrier>)]
    pub barrier: domain::pension::CertificationBarrier,
    /// Last valid day of the person's certification: visit before.
    pub due_on: Date,
    /// `open`, `done` or `cancelled`.
    pub status: String,
    /// Who or what created it (a login, or `run:{id}`).
    pub created_by: String,
    /// Created.
    pub created_at: PrimitiveDateTime,
    /// Closed.
    pub closed_at: Option<PrimitiveDateTime>,
    /// The certification that closed it.
    pub certification_id: Option<i64>,
}

/// Creates, set-based, an open home-visit task for every person in the subtree `scope_path` who has a barrier,
/// a paid or suspended pension, validity ending on or before `due_by`, and no open task. Returns how many.
pub fn create_due_tasks(
    conn: &mut DbConnection,
    scope_path: &str,
    due_by: Date,
    created_by: &str,
) -> RepoResult<usize> {
    due_tasks(conn, scope_path, due_by, created_by, None)
}

/// [`create_due_tasks`] for one person (when their barrier is recorded).
pub fn create_due_task_for(
    conn: &mut DbConnection,
    retiree_id: i64,
    scope_path: &str,
    due_by: Date,
    created_by: &str,
) -> RepoResult<usize> {
    due_tasks(conn, scope_path, due_by, created_by, Some(retiree_id))
}

fn due_tasks(
    conn: &mut DbConnection,
    scope_path: &str,
    due_by: Date,
    created_by: &str,
    only: Option<i64>,
) -> RepoResult<usize> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    crate::sql::exec(
        conn,
        &format!(
            "INSERT INTO certification_tasks (retiree_id, community_code, barrier, due_on, status, created_by, \
             created_at) \
             SELECT r.id, r.community_code, r.certification_barrier, r.certified_until, 'open', ?, ? \
             FROM retirees r JOIN jurisdictions j ON j.code = r.community_code \
             WHERE j.path >= ? AND j.path < ? AND r.certification_barrier IS NOT NULL \
             AND r.pension_status IN ('normal', 'suspended') AND {} \
             AND (? IS NULL OR r.id = ?) \
             AND NOT EXISTS (SELECT 1 FROM certification_tasks t WHERE t.retiree_id = r.id AND t.status = 'open')",
            crate::rules::due_soon_or_overdue_sql("r.certified_until")
        ),
        &[
            Bind::Text(created_by),
            Bind::Ts(now_utc()),
            Bind::Text(scope_path),
            Bind::Text(&upper),
            Bind::Date(due_by),
            Bind::OptI64(only),
            Bind::OptI64(only),
        ],
    )
}

/// Open tasks of the communities in the subtree `scope_path`, by due date then id, after the cursor.
pub fn open_tasks(
    conn: &mut DbConnection,
    scope_path: &str,
    after: Option<(Date, i64)>,
    limit: i64,
) -> RepoResult<Vec<(Task, String)>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let mut query = certification_tasks::table
        .inner_join(jurisdictions::table.on(jurisdictions::code.eq(certification_tasks::community_code)))
        .inner_join(retirees::table)
        .filter(jurisdictions::path.ge(scope_path))
        .filter(jurisdictions::path.lt(upper))
        .filter(certification_tasks::status.eq(TASK_OPEN))
        .select((Task::as_select(), retirees::name))
        .order((certification_tasks::due_on, certification_tasks::id))
        .limit(limit)
        .into_boxed();
    if let Some((due, id)) = after {
        query = query.filter(
            certification_tasks::due_on
                .gt(due)
                .or(certification_tasks::due_on.eq(due).and(certification_tasks::id.gt(id))),
        );
    }
    Ok(query.load(conn)?)
}
