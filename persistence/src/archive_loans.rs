//! Use of personnel archives (利用; issue 23; JN Art. 7(12)): loans to consult or borrow an archive, seen from the
//! subtree holding the person's community.

use diesel::prelude::*;
use domain::archive::{LoanKind, LoanStatus};
use time::{Date, PrimitiveDateTime};

use crate::jurisdictions::in_subtree;
use crate::schema::{archive_loans, archives, jurisdictions};
use crate::typed::Stored;
use crate::{DbConnection, RepoError, RepoResult};

/// A loan.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = archive_loans)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Loan {
    /// Id.
    pub id: i64,
    /// Archive.
    pub archive_id: i64,
    /// Consult or borrow.
    #[diesel(deserialize_as = Stored<LoanKind>)]
    pub kind: LoanKind,
    /// Online use of the digitised copy.
    pub online: bool,
    /// Who asks (person and unit).
    pub requester: String,
    /// Purpose.
    pub purpose: String,
    /// Piece numbers asked for, JSON array (empty: the whole archive).
    pub pieces: String,
    /// From.
    pub asked_from: Date,
    /// Until.
    pub asked_until: Date,
    /// Status.
    #[diesel(deserialize_as = Stored<LoanStatus>)]
    pub status: LoanStatus,
    /// Login that requested.
    pub requested_by: String,
    /// Day requested.
    pub requested_on: Date,
    /// Login that approved or rejected.
    pub decided_by: Option<String>,
    /// Day decided.
    pub decided_on: Option<Date>,
    /// Reason or note of the decision.
    pub decision_note: Option<String>,
    /// Login that handed it out.
    pub lent_by: Option<String>,
    /// Day handed out.
    pub lent_on: Option<Date>,
    /// Day due back.
    pub due_on: Option<Date>,
    /// Login that took it back.
    pub returned_by: Option<String>,
    /// Day returned.
    pub returned_on: Option<Date>,
    /// When created.
    pub created_at: PrimitiveDateTime,
    /// Version (ETag).
    pub version: i64,
}

/// A new loan request.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = archive_loans)]
pub struct NewLoan {
    /// Archive.
    pub archive_id: i64,
    /// Kind code.
    pub kind: String,
    /// Online.
    pub online: bool,
    /// Requester.
    pub requester: String,
    /// Purpose.
    pub purpose: String,
    /// Pieces JSON.
    pub pieces: String,
    /// From.
    pub asked_from: Date,
    /// Until.
    pub asked_until: Date,
    /// Status code.
    pub status: String,
    /// Login.
    pub requested_by: String,
    /// Day.
    pub requested_on: Date,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// 1.
    pub version: i64,
}

/// A change of a loan's status.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = archive_loans)]
pub struct LoanChange {
    /// New status code.
    pub status: Option<String>,
    /// Decided by.
    pub decided_by: Option<String>,
    /// Decided on.
    pub decided_on: Option<Date>,
    /// Note.
    pub decision_note: Option<String>,
    /// Lent by.
    pub lent_by: Option<String>,
    /// Lent on.
    pub lent_on: Option<Date>,
    /// Due on.
    pub due_on: Option<Date>,
    /// Returned by.
    pub returned_by: Option<String>,
    /// Returned on.
    pub returned_on: Option<Date>,
}

/// Inserts a loan request.
pub fn create(conn: &mut DbConnection, new: &NewLoan) -> RepoResult<Loan> {
    let id: i64 =
        diesel::insert_into(archive_loans::table).values(new).returning(archive_loans::id).get_result(conn)?;
    Ok(archive_loans::table.find(id).select(Loan::as_select()).first(conn)?)
}

/// One loan, if its archive's person lives in the subtree `scope_path`; otherwise `NotFound`.
pub fn find_visible(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<Loan> {
    archive_loans::table
        .inner_join(archives::table.inner_join(jurisdictions::table))
        .filter(archive_loans::id.eq(id))
        .filter(in_subtree(scope_path))
        .select(Loan::as_select())
        .first(conn)
        .optional()?
        .ok_or(RepoError::NotFound)
}

/// Writes `change` to loan `id` at `version`; `VersionMismatch` when it moved.
pub fn save(conn: &mut DbConnection, id: i64, version: i64, change: &LoanChange) -> RepoResult<Loan> {
    let n = diesel::update(archive_loans::table)
        .filter(archive_loans::id.eq(id))
        .filter(archive_loans::version.eq(version))
        .set((change, archive_loans::version.eq(version + 1)))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    Ok(archive_loans::table.find(id).select(Loan::as_select()).first(conn)?)
}

/// Which loans to list.
#[derive(Debug, Clone, Default)]
pub struct LoanFilter {
    /// Only this status.
    pub status: Option<LoanStatus>,
    /// Only of this archive.
    pub archive_id: Option<i64>,
    /// Only lent and due before this day (the overdue worklist).
    pub due_before: Option<Date>,
    /// Ids above this (cursor).
    pub after: Option<i64>,
}

/// Loans seen from the subtree `scope_path` matching `f`, by id, at most `limit`.
pub fn list(conn: &mut DbConnection, scope_path: &str, f: &LoanFilter, limit: i64) -> RepoResult<Vec<Loan>> {
    let mut q = archive_loans::table
        .inner_join(archives::table.inner_join(jurisdictions::table))
        .filter(in_subtree(scope_path))
        .into_boxed();
    if let Some(s) = f.status {
        q = q.filter(archive_loans::status.eq(s.as_str()));
    }
    if let Some(a) = f.archive_id {
        q = q.filter(archive_loans::archive_id.eq(a));
    }
    if let Some(d) = f.due_before {
        q = q.filter(archive_loans::status.eq(LoanStatus::Lent.as_str())).filter(archive_loans::due_on.lt(d));
    }
    if let Some(a) = f.after {
        q = q.filter(archive_loans::id.gt(a));
    }
    Ok(q.order(archive_loans::id).limit(limit).select(Loan::as_select()).load(conn)?)
}

/// Writes the digitised copy of archive `id` at `version` (a reference: URI, pages, checksum).
pub fn save_digital(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    uri: &str,
    pages: i32,
    checksum: &str,
    digitised_on: Date,
) -> RepoResult<crate::archives::Archive> {
    crate::archives::bump(conn, id, version, |conn| {
        diesel::update(archives::table.find(id))
            .set((
                archives::digital_uri.eq(uri),
                archives::digital_pages.eq(pages),
                archives::digital_checksum.eq(checksum),
                archives::digitised_on.eq(digitised_on),
            ))
            .execute(conn)
            .map(|_| ())
    })
}

/// One archive by id (read for a loan already scoped).
pub fn archive_by_id(conn: &mut DbConnection, id: i64) -> RepoResult<crate::archives::Archive> {
    Ok(archives::table.find(id).select(crate::archives::Archive::as_select()).first(conn)?)
}

// Supplementary materials (补充材料; JN Art. 27).

/// A supplementary material.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = crate::schema::archive_supplements)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Supplement {
    /// Id.
    pub id: i64,
    /// Archive.
    pub archive_id: i64,
    /// Class.
    #[diesel(deserialize_as = Stored<domain::archive::MaterialType>)]
    pub material_type: domain::archive::MaterialType,
    /// Title.
    pub title: String,
    /// Date of the material.
    pub dated: Option<Date>,
    /// Pages.
    pub pages: i32,
    /// Who delivered it.
    pub delivered_by: String,
    /// Login that submitted.
    pub submitted_by: String,
    /// Day submitted.
    pub submitted_on: Date,
    /// Last day of the review.
    pub review_due: Date,
    /// Status.
    #[diesel(deserialize_as = Stored<domain::archive::SupplementStatus>)]
    pub status: domain::archive::SupplementStatus,
    /// Login that reviewed.
    pub reviewed_by: Option<String>,
    /// Day reviewed.
    pub reviewed_on: Option<Date>,
    /// Reason of a return.
    pub return_reason: Option<String>,
    /// Piece number once filed.
    pub piece_no: Option<i32>,
    /// When created.
    pub created_at: PrimitiveDateTime,
    /// Version (ETag).
    pub version: i64,
}

/// A new supplementary material.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = crate::schema::archive_supplements)]
pub struct NewSupplement {
    /// Archive.
    pub archive_id: i64,
    /// Class code.
    pub material_type: String,
    /// Title.
    pub title: String,
    /// Date.
    pub dated: Option<Date>,
    /// Pages.
    pub pages: i32,
    /// Delivered by.
    pub delivered_by: String,
    /// Login.
    pub submitted_by: String,
    /// Day.
    pub submitted_on: Date,
    /// Review due.
    pub review_due: Date,
    /// Status code.
    pub status: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// 1.
    pub version: i64,
}

/// The review of a supplement.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = crate::schema::archive_supplements)]
pub struct SupplementReview {
    /// New status code.
    pub status: String,
    /// Reviewed by.
    pub reviewed_by: String,
    /// Reviewed on.
    pub reviewed_on: Date,
    /// Reason of a return.
    pub return_reason: Option<String>,
    /// Piece number when filed.
    pub piece_no: Option<i32>,
}

/// Inserts a supplement.
pub fn create_supplement(conn: &mut DbConnection, new: &NewSupplement) -> RepoResult<Supplement> {
    use crate::schema::archive_supplements as s;
    let id: i64 = diesel::insert_into(s::table).values(new).returning(s::id).get_result(conn)?;
    Ok(s::table.find(id).select(Supplement::as_select()).first(conn)?)
}

/// One supplement, if its archive's person lives in the subtree `scope_path`; otherwise `NotFound`.
pub fn find_supplement(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<Supplement> {
    use crate::schema::archive_supplements as s;
    s::table
        .inner_join(archives::table.inner_join(jurisdictions::table))
        .filter(s::id.eq(id))
        .filter(in_subtree(scope_path))
        .select(Supplement::as_select())
        .first(conn)
        .optional()?
        .ok_or(RepoError::NotFound)
}

/// Writes the review of supplement `id` at `version`; `VersionMismatch` when it moved.
pub fn save_review(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    review: &SupplementReview,
) -> RepoResult<Supplement> {
    use crate::schema::archive_supplements as s;
    let n = diesel::update(s::table)
        .filter(s::id.eq(id))
        .filter(s::version.eq(version))
        .set((review, s::version.eq(version + 1)))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    Ok(s::table.find(id).select(Supplement::as_select()).first(conn)?)
}

/// Which supplements to list.
#[derive(Debug, Clone, Default)]
pub struct SupplementFilter {
    /// Only this status.
    pub status: Option<domain::archive::SupplementStatus>,
    /// Only of this archive.
    pub archive_id: Option<i64>,
    /// Only submitted and due for review before this day (the overdue review worklist).
    pub review_due_before: Option<Date>,
    /// Ids above this (cursor).
    pub after: Option<i64>,
}

/// Supplements seen from the subtree `scope_path` matching `f`, by id, at most `limit`.
pub fn list_supplements(
    conn: &mut DbConnection,
    scope_path: &str,
    f: &SupplementFilter,
    limit: i64,
) -> RepoResult<Vec<Supplement>> {
    use crate::schema::archive_supplements as s;
    let mut q = s::table
        .inner_join(archives::table.inner_join(jurisdictions::table))
        .filter(in_subtree(scope_path))
        .into_boxed();
    if let Some(st) = f.status {
        q = q.filter(s::status.eq(st.as_str()));
    }
    if let Some(a) = f.archive_id {
        q = q.filter(s::archive_id.eq(a));
    }
    if let Some(d) = f.review_due_before {
        q = q.filter(s::status.eq(domain::archive::SupplementStatus::Submitted.as_str())).filter(s::review_due.lt(d));
    }
    if let Some(a) = f.after {
        q = q.filter(s::id.gt(a));
    }
    Ok(q.order(s::id).limit(limit).select(Supplement::as_select()).load(conn)?)
}

/// Raises the piece count of archive `id` by one (a supplement filed), at `version`.
pub fn add_piece(conn: &mut DbConnection, id: i64, version: i64) -> RepoResult<crate::archives::Archive> {
    crate::archives::bump(conn, id, version, |conn| {
        diesel::update(archives::table.find(id))
            .set(archives::pieces.eq(archives::pieces + 1))
            .execute(conn)
            .map(|_| ())
    })
}
