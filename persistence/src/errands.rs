//! Tracked errands (issue 25; JN Art. 7(5), 24; GUIDE 走访制度): an errand is seen from the subtree of the node that
//! handles it (the person's community by default), so an errand stays with the office doing it when the person
//! moves.

use diesel::prelude::*;
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::schema::{errands, jurisdictions, retirees};
use crate::typed::Stored;
use crate::{DbConnection, RepoError, RepoResult};
use domain::errand::{ErrandKind, ErrandStatus};

/// An errand as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = errands)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Errand {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// Kind.
    #[diesel(deserialize_as = Stored<ErrandKind>)]
    pub kind: ErrandKind,
    /// The node handling it.
    pub node_code: String,
    /// Materials, a JSON list of text.
    pub materials: String,
    /// Day opened.
    pub opened_on: Date,
    /// Day submitted.
    pub submitted_on: Option<Date>,
    /// Due date (none when the policy gives no days).
    pub due_on: Option<Date>,
    /// Status.
    #[diesel(deserialize_as = Stored<ErrandStatus>)]
    pub status: ErrandStatus,
    /// Day of the result or withdrawal.
    pub closed_on: Option<Date>,
    /// Reason of a refusal or withdrawal.
    pub reason: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// The transfer that opened it (medical-insurance continuation).
    pub transfer_id: Option<i64>,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// An errand to open.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = errands)]
pub struct NewErrand {
    /// Person.
    pub retiree_id: i64,
    /// Kind code.
    pub kind: String,
    /// Handling node.
    pub node_code: String,
    /// Materials JSON.
    pub materials: String,
    /// Day opened.
    pub opened_on: Date,
    /// Due date.
    pub due_on: Option<Date>,
    /// Status code.
    pub status: String,
    /// Notes.
    pub notes: Option<String>,
    /// Transfer.
    pub transfer_id: Option<i64>,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A step to record on an errand.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    /// Status before.
    pub from: ErrandStatus,
    /// Status after.
    pub to: ErrandStatus,
    /// Day submitted (kept when `None`).
    pub submitted_on: Option<Date>,
    /// Day closed.
    pub closed_on: Option<Date>,
    /// Reason.
    pub reason: Option<&'a str>,
    /// Materials JSON (kept when `None`).
    pub materials: Option<&'a str>,
}

/// An errand with its person's name and community and the handling node's path.
#[derive(Debug, Clone, Queryable, PartialEq)]
pub struct Row {
    /// The errand.
    pub errand: Errand,
    /// Name.
    pub name: String,
    /// The person's community.
    pub community_code: String,
    /// The handling node's path.
    pub path: String,
}

/// What a list asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these kinds (all when empty).
    pub kinds: Vec<ErrandKind>,
    /// Only these statuses (all when empty).
    pub statuses: Vec<ErrandStatus>,
    /// Only the overdue ones on this day: pending and due before it (`domain::errand::is_overdue`).
    pub overdue_on: Option<Date>,
}

macro_rules! row_select {
    () => {
        (Errand::as_select(), retirees::name, retirees::community_code, jurisdictions::path)
    };
}

/// Opens an errand; [`RepoError::Unique`] when one of the kind is pending for the person.
pub fn create(conn: &mut DbConnection, new: &NewErrand) -> RepoResult<i64> {
    diesel::insert_into(errands::table).values(new).execute(conn)?;
    Ok(errands::table
        .filter(errands::retiree_id.eq(new.retiree_id))
        .order(errands::id.desc())
        .select(errands::id)
        .first(conn)?)
}

/// Whether the person has a pending (open or submitted) errand of `kind`.
pub fn pending_exists(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>, kind: ErrandKind) -> RepoResult<bool> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let n: i64 = errands::table
        .filter(errands::retiree_id.eq(retiree_id))
        .filter(errands::kind.eq(kind.as_str()))
        .filter(errands::status.eq_any(pending()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

fn pending() -> Vec<&'static str> {
    ErrandStatus::ALL.iter().filter(|s| s.is_pending()).map(|s| s.as_str()).collect()
}

/// The errand `id` if its handling node is in the subtree at `scope_path`.
pub fn find_in_scope(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<Row> {
    let found = errands::table
        .inner_join(retirees::table)
        .inner_join(jurisdictions::table.on(jurisdictions::code.eq(errands::node_code)))
        .filter(errands::id.eq(id))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select(row_select!())
        .first(conn)
        .optional()?;
    found.ok_or(RepoError::NotFound)
}

/// Records `step` on the errand at `version`; [`RepoError::VersionMismatch`] when it changed.
pub fn change(conn: &mut DbConnection, id: i64, version: i64, step: &Step<'_>) -> RepoResult<()> {
    let target = errands::table
        .filter(errands::id.eq(id))
        .filter(errands::version.eq(version))
        .filter(errands::status.eq(step.from.as_str()));
    let n = match (step.submitted_on, step.materials) {
        (Some(on), Some(m)) => diesel::update(target)
            .set((
                errands::status.eq(step.to.as_str()),
                errands::submitted_on.eq(Some(on)),
                errands::materials.eq(m),
                errands::version.eq(version + 1),
            ))
            .execute(conn)?,
        (Some(on), None) => diesel::update(target)
            .set((
                errands::status.eq(step.to.as_str()),
                errands::submitted_on.eq(Some(on)),
                errands::version.eq(version + 1),
            ))
            .execute(conn)?,
        (None, _) => diesel::update(target)
            .set((
                errands::status.eq(step.to.as_str()),
                errands::closed_on.eq(step.closed_on),
                errands::reason.eq(step.reason),
                errands::version.eq(version + 1),
            ))
            .execute(conn)?,
    };
    if n == 1 { Ok(()) } else { Err(RepoError::VersionMismatch) }
}

/// A page of the errands handled in the subtree at `scope_path`, by id, as `filter` asks.
pub fn list(
    conn: &mut DbConnection,
    scope_path: &str,
    filter: &Filter,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Row>> {
    let mut q = errands::table
        .inner_join(retirees::table)
        .inner_join(jurisdictions::table.on(jurisdictions::code.eq(errands::node_code)))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .into_boxed();
    if !filter.kinds.is_empty() {
        q = q.filter(errands::kind.eq_any(filter.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>()));
    }
    if !filter.statuses.is_empty() {
        q = q.filter(errands::status.eq_any(filter.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
    }
    if let Some(today) = filter.overdue_on {
        // domain::errand::is_overdue: pending and due before today (no due date: never overdue).
        q = q.filter(errands::status.eq_any(pending())).filter(errands::due_on.lt(today));
    }
    if let Some(a) = after {
        q = q.filter(errands::id.gt(a));
    }
    Ok(q.order(errands::id).limit(limit).select(row_select!()).load(conn)?)
}

/// A person at the senior card's age without a pending or approved senior-card errand.
#[derive(Debug, Clone, Queryable, PartialEq)]
pub struct Candidate {
    /// Person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Birth date.
    pub birth_date: Date,
    /// Community.
    pub community_code: String,
}

/// A page of the people on the roll in the subtree at `scope_path`, pension not stopped, born on or before
/// `born_by`, with no senior-card errand open, submitted or approved (the card done), by id.
pub fn senior_card_candidates(
    conn: &mut DbConnection,
    scope_path: &str,
    born_by: Date,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Candidate>> {
    let held = [ErrandStatus::Open.as_str(), ErrandStatus::Submitted.as_str(), ErrandStatus::Approved.as_str()];
    let mut q = retirees::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(retirees::on_roll.eq(true))
        .filter(retirees::pension_status.ne(domain::PensionStatus::Stopped.as_str()))
        .filter(retirees::birth_date.le(born_by))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            errands::table
                .filter(errands::retiree_id.eq(retirees::id))
                .filter(errands::kind.eq(ErrandKind::SeniorCard.as_str()))
                .filter(errands::status.eq_any(held)),
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
