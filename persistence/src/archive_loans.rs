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

// Transfer (传递; JN Art. 7(12), 21(3)-(4)).

/// A dispatch of an archive for a transfer, or the exemption recorded instead.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = crate::schema::archive_dispatches)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Dispatch {
    /// Id.
    pub id: i64,
    /// Archive.
    pub archive_id: i64,
    /// Transfer.
    pub transfer_id: i64,
    /// The exemption recorded instead of a dispatch (JN Art. 21(4)).
    #[diesel(deserialize_as = crate::typed::OptStored<domain::handover::ArchiveExemption>)]
    pub exemption: Option<domain::handover::ArchiveExemption>,
    /// The receiving archive authority.
    pub to_authority: String,
    /// How sent.
    #[diesel(deserialize_as = crate::typed::OptStored<domain::archive::DispatchMeans>)]
    pub means: Option<domain::archive::DispatchMeans>,
    /// Tracking number.
    pub tracking_no: Option<String>,
    /// Day sent (or the exemption recorded).
    pub sent_on: Date,
    /// Login that sent.
    pub sent_by: String,
    /// Status.
    #[diesel(deserialize_as = Stored<domain::archive::DispatchStatus>)]
    pub status: domain::archive::DispatchStatus,
    /// Day received.
    pub received_on: Option<Date>,
    /// Who received it at the other end.
    pub received_by: Option<String>,
    /// Login that recorded the receipt.
    pub confirmed_by: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// When created.
    pub created_at: PrimitiveDateTime,
    /// Version (ETag).
    pub version: i64,
}

/// A new dispatch (or exemption).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = crate::schema::archive_dispatches)]
pub struct NewDispatch {
    /// Archive.
    pub archive_id: i64,
    /// Transfer.
    pub transfer_id: i64,
    /// Exemption code.
    pub exemption: Option<String>,
    /// Receiving authority.
    pub to_authority: String,
    /// Means code.
    pub means: Option<String>,
    /// Tracking number.
    pub tracking_no: Option<String>,
    /// Sent on.
    pub sent_on: Date,
    /// Login.
    pub sent_by: String,
    /// Status code.
    pub status: String,
    /// Received on (an exemption: the day recorded).
    pub received_on: Option<Date>,
    /// Note.
    pub note: Option<String>,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// 1.
    pub version: i64,
}

/// Inserts a dispatch.
pub fn create_dispatch(conn: &mut DbConnection, new: &NewDispatch) -> RepoResult<Dispatch> {
    use crate::schema::archive_dispatches as d;
    let id: i64 = diesel::insert_into(d::table).values(new).returning(d::id).get_result(conn)?;
    Ok(d::table.find(id).select(Dispatch::as_select()).first(conn)?)
}

/// One dispatch, if its archive's person lives in the subtree `scope_path`; otherwise `NotFound`.
pub fn find_dispatch(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<Dispatch> {
    use crate::schema::archive_dispatches as d;
    d::table
        .inner_join(archives::table.inner_join(jurisdictions::table))
        .filter(d::id.eq(id))
        .filter(in_subtree(scope_path))
        .select(Dispatch::as_select())
        .first(conn)
        .optional()?
        .ok_or(RepoError::NotFound)
}

/// The dispatches and exemptions recorded for transfer `transfer_id`, by id.
pub fn dispatches_of_transfer(conn: &mut DbConnection, transfer_id: i64) -> RepoResult<Vec<Dispatch>> {
    use crate::schema::archive_dispatches as d;
    Ok(d::table.filter(d::transfer_id.eq(transfer_id)).order(d::id).select(Dispatch::as_select()).load(conn)?)
}

/// Records the receipt of dispatch `id` at `version`.
pub fn save_receipt(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    received_on: Date,
    received_by: &str,
    confirmed_by: &str,
) -> RepoResult<Dispatch> {
    use crate::schema::archive_dispatches as d;
    let n = diesel::update(d::table)
        .filter(d::id.eq(id))
        .filter(d::version.eq(version))
        .set((
            d::status.eq(domain::archive::DispatchStatus::Received.as_str()),
            d::received_on.eq(received_on),
            d::received_by.eq(received_by),
            d::confirmed_by.eq(confirmed_by),
            d::version.eq(version + 1),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    Ok(d::table.find(id).select(Dispatch::as_select()).first(conn)?)
}

/// Sets the status of archive `id` at `version`, clearing its place when `clear_place` (it left the shelf for good).
pub fn save_moved(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    status: domain::archive::ArchiveStatus,
    clear_place: bool,
) -> RepoResult<crate::archives::Archive> {
    crate::archives::bump(conn, id, version, |conn| {
        diesel::update(archives::table.find(id)).set(archives::status.eq(status.as_str())).execute(conn)?;
        if clear_place {
            diesel::update(archives::table.find(id))
                .set((
                    archives::repository_id.eq(None::<i64>),
                    archives::room.eq(None::<String>),
                    archives::shelf.eq(None::<String>),
                    archives::box_.eq(None::<String>),
                    archives::stored_on.eq(None::<Date>),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Moves archive `id` to the community `community` (its person moved there within the city).
pub fn move_archive(conn: &mut DbConnection, id: i64, community: &str) -> RepoResult<usize> {
    Ok(diesel::update(archives::table.find(id))
        .set((archives::community_code.eq(community), archives::version.eq(archives::version + 1)))
        .execute(conn)?)
}

// Disposal after death (处置).

/// Records the disposal of archive `id` at `version`: disposed, with what happened, when, the record and how long it
/// is kept; an archive handed to the family leaves its place.
pub fn save_disposal(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    kind: domain::archive::DisposalKind,
    on: Date,
    note: Option<&str>,
    retention_until: Option<Date>,
) -> RepoResult<crate::archives::Archive> {
    let leaves = kind == domain::archive::DisposalKind::HandedToFamily;
    let a = save_moved(conn, id, version, domain::archive::ArchiveStatus::Disposed, leaves)?;
    diesel::update(archives::table.find(id))
        .set((
            archives::disposal_kind.eq(kind.as_str()),
            archives::disposed_on.eq(on),
            archives::disposal_note.eq(note),
            archives::retention_until.eq(retention_until),
        ))
        .execute(conn)?;
    Ok(archives::table.find(a.id).select(crate::archives::Archive::as_select()).first(conn)?)
}

// Digitisation (数字化; XM Art. 16).

/// An archive counted for digitisation: its repository, the day digitised, the path of the person's community.
pub type DigitisationRow = (Option<i64>, Option<Date>, String);

/// The archives held for people of the subtree `scope_path` (as [`crate::archives::counts_in`] counts them): their
/// repository, whether digitised, and the path of the person's community.
pub fn digitisation_rows(conn: &mut DbConnection, scope_path: &str) -> RepoResult<Vec<DigitisationRow>> {
    use domain::archive::{ArchiveStatus, DisposalKind};
    Ok(archives::table
        .inner_join(jurisdictions::table)
        .filter(in_subtree(scope_path))
        .filter(
            archives::status
                .eq_any([ArchiveStatus::InStore, ArchiveStatus::OnLoan, ArchiveStatus::InTransit].map(|s| s.as_str()))
                .or(archives::status
                    .eq(ArchiveStatus::Disposed.as_str())
                    .and(archives::disposal_kind.eq(DisposalKind::Kept.as_str()))),
        )
        .select((archives::repository_id, archives::digitised_on, jurisdictions::path))
        .load(conn)?)
}
