//! Assistance referrals (issue 25 part 4; JN Art. 7(8)): a referral is seen where its person is on the roll (the
//! retiree's community in the caller's subtree), so it moves with a transfer.

use diesel::prelude::*;
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::schema::{assistance_referrals as refs, jurisdictions, retirees};
use crate::typed::Stored;
use crate::{DbConnection, RepoError, RepoResult};
use domain::assistance::{AssistanceKind, ReferralStatus};

/// A referral as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = refs)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Referral {
    /// Id.
    pub id: i64,
    /// The person.
    pub retiree_id: i64,
    /// 低保 or 特困.
    #[diesel(deserialize_as = Stored<AssistanceKind>)]
    pub kind: AssistanceKind,
    /// The visit that found the hardship.
    pub visit_id: Option<i64>,
    /// The hardship found.
    pub hardship: String,
    /// Day referred.
    pub referred_on: Date,
    /// Status.
    #[diesel(deserialize_as = Stored<ReferralStatus>)]
    pub status: ReferralStatus,
    /// Day of civil affairs' last answer.
    pub answered_on: Option<Date>,
    /// Support granted from.
    pub granted_from: Option<Date>,
    /// Note of the last answer (the reason of a refusal).
    pub answer_note: Option<String>,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A referral to file.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = refs)]
pub struct NewReferral {
    /// Person.
    pub retiree_id: i64,
    /// Kind code.
    pub kind: String,
    /// Visit.
    pub visit_id: Option<i64>,
    /// Hardship.
    pub hardship: String,
    /// Day.
    pub referred_on: Date,
    /// Status code.
    pub status: String,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A referral with its person's name, community and the community's path.
#[derive(Debug, Clone, Queryable, PartialEq)]
pub struct Row {
    /// The referral.
    pub referral: Referral,
    /// Name.
    pub name: String,
    /// Community.
    pub community_code: String,
    /// Path.
    pub path: String,
}

macro_rules! row_select {
    () => {
        (Referral::as_select(), retirees::name, retirees::community_code, jurisdictions::path)
    };
}

/// Files a referral; [`RepoError::Unique`] when one of the kind is open for the person.
pub fn create(conn: &mut DbConnection, new: &NewReferral) -> RepoResult<i64> {
    diesel::insert_into(refs::table).values(new).execute(conn)?;
    Ok(refs::table.filter(refs::retiree_id.eq(new.retiree_id)).order(refs::id.desc()).select(refs::id).first(conn)?)
}

/// Whether the person has an open referral of `kind`.
pub fn open_exists(
    conn: &mut DbConnection,
    retiree_id: impl Into<RetireeId>,
    kind: AssistanceKind,
) -> RepoResult<bool> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let n: i64 = refs::table
        .filter(refs::retiree_id.eq(retiree_id))
        .filter(refs::kind.eq(kind.as_str()))
        .filter(refs::status.eq_any([ReferralStatus::Referred.as_str(), ReferralStatus::Accepted.as_str()]))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The referral `id` if its person is in the subtree at `scope_path`.
pub fn find_in_scope(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<Row> {
    let found = refs::table
        .inner_join(retirees::table.inner_join(jurisdictions::table))
        .filter(refs::id.eq(id))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select(row_select!())
        .first(conn)
        .optional()?;
    found.ok_or(RepoError::NotFound)
}

/// Records an answer on the referral at `version` found in `from`; [`RepoError::VersionMismatch`] when it changed.
#[allow(clippy::too_many_arguments)]
pub fn answer(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    from: ReferralStatus,
    to: ReferralStatus,
    on: Date,
    granted_from: Option<Date>,
    note: Option<&str>,
) -> RepoResult<()> {
    let n = diesel::update(
        refs::table.filter(refs::id.eq(id)).filter(refs::version.eq(version)).filter(refs::status.eq(from.as_str())),
    )
    .set((
        refs::status.eq(to.as_str()),
        refs::answered_on.eq(Some(on)),
        refs::granted_from.eq(granted_from),
        refs::answer_note.eq(note),
        refs::version.eq(version + 1),
    ))
    .execute(conn)?;
    if n == 1 { Ok(()) } else { Err(RepoError::VersionMismatch) }
}

/// A page of the referrals of people in the subtree at `scope_path`, by id; only of `statuses` when not empty.
pub fn list(
    conn: &mut DbConnection,
    scope_path: &str,
    statuses: &[ReferralStatus],
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Row>> {
    let mut q = refs::table
        .inner_join(retirees::table.inner_join(jurisdictions::table))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .into_boxed();
    if !statuses.is_empty() {
        q = q.filter(refs::status.eq_any(statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
    }
    if let Some(a) = after {
        q = q.filter(refs::id.gt(a));
    }
    Ok(q.order(refs::id).limit(limit).select(row_select!()).load(conn)?)
}
