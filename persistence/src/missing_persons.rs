//! Missing persons (issue 19.7; CS Art. 32(2)): the day a person went missing, who reported it, and the day they
//! turned up. At most one open record (no `found_on`) per person; closed records stay as history.

use diesel::prelude::*;
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::retirees::Retiree;
use crate::schema::{jurisdictions, missing_persons, retirees};
use crate::{DbConnection, RepoResult};

/// A missing-person record.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, serde::Serialize)]
#[diesel(table_name = missing_persons)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct MissingRecord {
    /// Id.
    pub id: i64,
    /// Person.
    pub retiree_id: i64,
    /// The day the person went missing.
    pub missing_since: Date,
    /// Who reported it (a relative, a neighbour, the community).
    pub reported_by: String,
    /// Note.
    pub note: Option<String>,
    /// Login that recorded it.
    pub recorded_by: String,
    /// Recorded.
    pub recorded_at: PrimitiveDateTime,
    /// The day the person turned up; `None` while missing.
    pub found_on: Option<Date>,
    /// Note on the person turning up.
    pub found_note: Option<String>,
    /// Login that recorded the person found.
    pub closed_by: Option<String>,
    /// When the record was closed.
    pub closed_at: Option<PrimitiveDateTime>,
}

/// A new missing-person record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = missing_persons)]
pub struct NewMissingRecord {
    /// Person.
    pub retiree_id: i64,
    /// The day the person went missing.
    pub missing_since: Date,
    /// Who reported it.
    pub reported_by: String,
    /// Note.
    pub note: Option<String>,
    /// Login that records it.
    pub recorded_by: String,
    /// Now.
    pub recorded_at: PrimitiveDateTime,
}

/// The open record of a person, if any.
pub fn open_of(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<Option<MissingRecord>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(missing_persons::table
        .filter(missing_persons::retiree_id.eq(retiree_id))
        .filter(missing_persons::found_on.is_null())
        .select(MissingRecord::as_select())
        .first(conn)
        .optional()?)
}

/// Every record of a person, oldest first.
pub fn history_of(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<Vec<MissingRecord>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(missing_persons::table
        .filter(missing_persons::retiree_id.eq(retiree_id))
        .order(missing_persons::id)
        .select(MissingRecord::as_select())
        .load(conn)?)
}

/// Opens a record; a second open record of the same person is a unique violation (`RepoError::Unique`).
pub fn open(conn: &mut DbConnection, new: &NewMissingRecord) -> RepoResult<MissingRecord> {
    diesel::insert_into(missing_persons::table).values(new).execute(conn)?;
    Ok(missing_persons::table
        .filter(missing_persons::retiree_id.eq(new.retiree_id))
        .order(missing_persons::id.desc())
        .select(MissingRecord::as_select())
        .first(conn)?)
}

/// Closes the open record `id`: the person turned up on `found_on`. Answers the closed record;
/// `RepoError::NotFound` when it is not open any more.
pub fn close(
    conn: &mut DbConnection,
    id: i64,
    found_on: Date,
    note: Option<&str>,
    by: &str,
) -> RepoResult<MissingRecord> {
    let changed = diesel::update(missing_persons::table)
        .filter(missing_persons::id.eq(id))
        .filter(missing_persons::found_on.is_null())
        .set((
            missing_persons::found_on.eq(Some(found_on)),
            missing_persons::found_note.eq(note),
            missing_persons::closed_by.eq(Some(by)),
            missing_persons::closed_at.eq(Some(crate::now_utc())),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(crate::RepoError::NotFound);
    }
    Ok(missing_persons::table.find(id).select(MissingRecord::as_select()).first(conn)?)
}

/// Every open record of people whose community lies in the subtree `scope_path`, with the person and the path
/// of their community (the worklist orders them by a date the policy of each community decides, so the caller
/// sorts and pages; open records are few).
pub fn open_in_subtree(conn: &mut DbConnection, scope_path: &str) -> RepoResult<Vec<(MissingRecord, Retiree, String)>> {
    Ok(missing_persons::table
        .inner_join(retirees::table.inner_join(jurisdictions::table))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(missing_persons::found_on.is_null())
        .order(missing_persons::id)
        .select((MissingRecord::as_select(), Retiree::as_select(), jurisdictions::path))
        .load(conn)?)
}
