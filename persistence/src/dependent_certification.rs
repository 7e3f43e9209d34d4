//! Certification of dependants and survivors who receive support (XM Art. 15 last paragraph; GUIDE 二
//! "对供养的直系亲属视同退休人员"): their certifications, their validity, and the suspensions and resumptions of their
//! support, recorded like a retiree's (CS Art. 32(1)).

use diesel::prelude::*;
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::retirees::Dependent;
use crate::schema::{dependent_certifications, dependent_support_changes, dependents};
use crate::typed::{OptStored, Stored};
use crate::{DbConnection, RepoError, RepoResult, now_utc};

/// `to_status` of a support change that suspends.
pub const SUPPORT_SUSPENDED: &str = "suspended";
/// `to_status` of a support change that resumes payment.
pub const SUPPORT_PAID: &str = "paid";
/// `to_status` of a support change that stops the support for good: the dependant died (a death record of the
/// data platform, issue 19.13).
pub const SUPPORT_STOPPED: &str = "stopped";

/// A recorded certification of a dependant.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, serde::Serialize)]
#[diesel(table_name = dependent_certifications)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct DependentCertification {
    /// Id.
    pub id: i64,
    /// Dependant.
    pub dependent_id: i64,
    /// Their retiree.
    pub retiree_id: i64,
    /// Method code.
    #[diesel(deserialize_as = Stored<domain::pension::CertificationMethod>)]
    pub method: domain::pension::CertificationMethod,
    /// Data source code (data comparison).
    #[diesel(deserialize_as = OptStored<domain::pension::DataSource>)]
    pub data_source: Option<domain::pension::DataSource>,
    /// Provider or source system.
    pub provider: Option<String>,
    /// Provider's reference or the source record.
    pub provider_reference: Option<String>,
    /// Face-recognition score.
    pub score: Option<String>,
    /// Who certified.
    pub certifier_name: Option<String>,
    /// Evidence.
    pub evidence: Option<String>,
    /// Date of the certification.
    pub certified_on: Date,
    /// Last valid day it gave.
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

/// A certification of a dependant to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dependent_certifications)]
pub struct NewDependentCertification {
    /// Dependant.
    pub dependent_id: i64,
    /// Their retiree.
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

/// A recorded suspension or resumption of a dependant's support.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, serde::Serialize)]
#[diesel(table_name = dependent_support_changes)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SupportChange {
    /// Id.
    pub id: i64,
    /// Dependant.
    pub dependent_id: i64,
    /// Their retiree.
    pub retiree_id: i64,
    /// The retiree's community at the time.
    pub community_code: String,
    /// `suspended` or `paid`.
    pub to_status: String,
    /// Why (`certification_overdue`).
    #[diesel(deserialize_as = Stored<domain::policy::SuspensionReason>)]
    pub reason: domain::policy::SuspensionReason,
    /// First day of the month it takes effect.
    pub effective_month: Date,
    /// Months suspended (resumptions).
    pub months_suspended: Option<i32>,
    /// Whether the policy pays them back (resumptions).
    pub back_pay_granted: Option<bool>,
    /// Months paid back (resumptions).
    pub back_pay_months: Option<i32>,
    /// `person`, `feed` or `run`.
    pub source: String,
    /// Feed batch or run id.
    pub source_ref: Option<i64>,
    /// Operator.
    pub operator: String,
    /// Recorded.
    pub created_at: PrimitiveDateTime,
}

/// A support change to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dependent_support_changes)]
pub struct NewSupportChange {
    /// Dependant.
    pub dependent_id: i64,
    /// Their retiree.
    pub retiree_id: i64,
    /// The retiree's community.
    pub community_code: String,
    /// `suspended` or `paid`.
    pub to_status: String,
    /// Why.
    pub reason: String,
    /// First day of the effective month.
    pub effective_month: Date,
    /// Months suspended (resumptions).
    pub months_suspended: Option<i32>,
    /// Whether paid back (resumptions).
    pub back_pay_granted: Option<bool>,
    /// Months paid back (resumptions).
    pub back_pay_months: Option<i32>,
    /// `person`, `feed` or `run`.
    pub source: String,
    /// Feed batch or run id.
    pub source_ref: Option<i64>,
    /// Operator.
    pub operator: String,
    /// Recorded.
    pub created_at: PrimitiveDateTime,
}

/// Records a certification of a dependant; when it is the latest (its `valid_until` is later than the one on
/// file) the dependant's validity moves to it. Returns the certification and whether it moved the validity.
pub fn record(conn: &mut DbConnection, new: &NewDependentCertification) -> RepoResult<(DependentCertification, bool)> {
    diesel::insert_into(dependent_certifications::table).values(new).execute(conn)?;
    let cert: DependentCertification = dependent_certifications::table
        .filter(dependent_certifications::dependent_id.eq(new.dependent_id))
        .order(dependent_certifications::id.desc())
        .select(DependentCertification::as_select())
        .first(conn)?;
    let moved = diesel::update(dependents::table)
        .filter(dependents::id.eq(new.dependent_id))
        .filter(dependents::certified_until.lt(new.valid_until))
        .set((
            dependents::certified_until.eq(new.valid_until),
            dependents::last_certified_on.eq(new.certified_on),
            dependents::version.eq(dependents::version + 1),
            dependents::updated_at.eq(now_utc()),
        ))
        .execute(conn)?
        > 0;
    crate::events::dependent_certifications(conn, "c.id = ?", &[crate::sql::Bind::I64(cert.id)])?;
    Ok((cert, moved))
}

/// Resumes the suspended support of a dependant and records the change; [`RepoError::VersionMismatch`] when it
/// is no longer suspended.
pub fn resume(conn: &mut DbConnection, change: &NewSupportChange) -> RepoResult<SupportChange> {
    let n = diesel::update(dependents::table)
        .filter(dependents::id.eq(change.dependent_id))
        .filter(dependents::support_suspended_from.is_not_null())
        .set((
            dependents::support_suspended_from.eq(None::<Date>),
            dependents::status_run_id.eq(None::<i64>),
            dependents::version.eq(dependents::version + 1),
            dependents::updated_at.eq(now_utc()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    insert_change(conn, change)
}

/// Inserts a support change, emits its `dependent.support_changed` event and answers it.
fn insert_change(conn: &mut DbConnection, change: &NewSupportChange) -> RepoResult<SupportChange> {
    diesel::insert_into(dependent_support_changes::table).values(change).execute(conn)?;
    let c: SupportChange = dependent_support_changes::table
        .filter(dependent_support_changes::dependent_id.eq(change.dependent_id))
        .order(dependent_support_changes::id.desc())
        .select(SupportChange::as_select())
        .first(conn)?;
    crate::events::support_changes(conn, "c.id = ?", &[crate::sql::Bind::I64(c.id)])?;
    Ok(c)
}

/// Suspends the support of a dependant from the first day of `change.effective_month` (a sentence served, issue
/// 19.13; CS Art. 32(3)) and records the change; `None` when it is suspended already.
pub fn suspend(conn: &mut DbConnection, change: &NewSupportChange) -> RepoResult<Option<SupportChange>> {
    let n = diesel::update(dependents::table)
        .filter(dependents::id.eq(change.dependent_id))
        .filter(dependents::support_suspended_from.is_null())
        .set((
            dependents::support_suspended_from.eq(change.effective_month),
            dependents::status_run_id.eq(None::<i64>),
            dependents::version.eq(dependents::version + 1),
            dependents::updated_at.eq(now_utc()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    insert_change(conn, change).map(Some)
}

/// Stops the support of a dependant for good (they died, issue 19.13): no longer supported, no suspension left;
/// records the change.
pub fn stop(conn: &mut DbConnection, change: &NewSupportChange) -> RepoResult<SupportChange> {
    diesel::update(dependents::table)
        .filter(dependents::id.eq(change.dependent_id))
        .set((
            dependents::supported.eq(false),
            dependents::support_suspended_from.eq(None::<Date>),
            dependents::status_run_id.eq(None::<i64>),
            dependents::version.eq(dependents::version + 1),
            dependents::updated_at.eq(now_utc()),
        ))
        .execute(conn)?;
    insert_change(conn, change)
}

/// The cause of the latest suspension recorded for a dependant (what a resumption must cure); `None` when none is
/// recorded. A stored cause that does not parse is [`RepoError::Corrupt`].
pub fn suspension_reason(
    conn: &mut DbConnection,
    dependent_id: i64,
) -> RepoResult<Option<domain::policy::SuspensionReason>> {
    let last: Option<SupportChange> = dependent_support_changes::table
        .filter(dependent_support_changes::dependent_id.eq(dependent_id))
        .filter(dependent_support_changes::to_status.eq(SUPPORT_SUSPENDED))
        .order(dependent_support_changes::id.desc())
        .select(SupportChange::as_select())
        .first(conn)
        .optional()?;
    Ok(last.map(|c| c.reason))
}

/// The dependants of retiree `retiree_id` whose support has started on `on` ([`crate::rules::support_started_sql`],
/// GUIDE 五; issue 19.10).
pub fn started_of(
    conn: &mut DbConnection,
    retiree_id: impl Into<RetireeId>,
    on: Date,
) -> RepoResult<std::collections::BTreeSet<i64>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let rows: Vec<Id> = crate::sql::load(
        conn,
        &format!(
            "SELECT d.id AS id FROM dependents d WHERE d.retiree_id = ? AND {}",
            crate::rules::support_started_sql("d.id")
        ),
        &[crate::sql::Bind::I64(retiree_id), crate::sql::Bind::Date(on)],
    )?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The certifications of a dependant, newest first, before the one with id `before`.
pub fn certifications_of(
    conn: &mut DbConnection,
    dependent_id: i64,
    before: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<DependentCertification>> {
    let mut query = dependent_certifications::table
        .filter(dependent_certifications::dependent_id.eq(dependent_id))
        .select(DependentCertification::as_select())
        .order(dependent_certifications::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(dependent_certifications::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// The support changes of a dependant, oldest first, after the one with id `after`.
pub fn support_changes_of(
    conn: &mut DbConnection,
    dependent_id: i64,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<SupportChange>> {
    let mut query = dependent_support_changes::table
        .filter(dependent_support_changes::dependent_id.eq(dependent_id))
        .select(SupportChange::as_select())
        .order(dependent_support_changes::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(dependent_support_changes::id.gt(after));
    }
    Ok(query.load(conn)?)
}

/// The dependant after a change.
pub fn reload(conn: &mut DbConnection, id: i64) -> RepoResult<Dependent> {
    Ok(dependents::table.find(id).select(Dependent::as_select()).first(conn)?)
}
