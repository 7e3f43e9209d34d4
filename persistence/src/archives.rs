//! Personnel archives (issue 23; XM Art. 16; JN Art. 12, 20, 21): the repositories of the archive authorities, one
//! archive per person (its receipt, place, online copy and disposal) and its materials list. An archive is seen
//! from the subtree holding the person's community; a repository from the subtree holding its jurisdiction.

use diesel::prelude::*;
use domain::RetireeId;
use domain::archive::{ArchiveStatus, DisposalKind, MaterialType};
use time::{Date, PrimitiveDateTime};

use crate::jurisdictions::in_subtree;
use crate::schema::{archive_materials, archive_repositories, archives, jurisdictions};
use crate::typed::{OptStored, Stored};
use crate::{DbConnection, RepoError, RepoResult};

/// A repository (库房) of an archive authority.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = archive_repositories)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Repository {
    /// Id.
    pub id: i64,
    /// Code, unique.
    pub code: String,
    /// Name.
    pub name: String,
    /// The jurisdiction it belongs to (a city or district: XM Art. 9(6), 10(2)).
    pub jurisdiction_code: String,
    /// Floor area, m².
    pub area_m2: i64,
    /// Archive keepers on staff.
    pub keepers: i32,
    /// Login that created it.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version (ETag).
    pub version: i64,
}

/// A new repository.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = archive_repositories)]
pub struct NewRepository {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Jurisdiction.
    pub jurisdiction_code: String,
    /// Area.
    pub area_m2: i64,
    /// Keepers.
    pub keepers: i32,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// 1.
    pub version: i64,
}

/// A personnel archive.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = archives)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Archive {
    /// Id.
    pub id: i64,
    /// The retiree (once on the roll).
    pub retiree_id: Option<i64>,
    /// The handed-over person it came with.
    pub handover_item_id: Option<i64>,
    /// Name.
    pub person_name: String,
    /// Resident ID (sealed at rest, issue 21.10).
    #[diesel(deserialize_as = crate::sealed::Opened)]
    pub id_number: String,
    /// The person's community.
    pub community_code: String,
    /// Volumes (卷).
    pub volumes: i32,
    /// Pieces (件).
    pub pieces: i32,
    /// Sorted on.
    pub sorted_on: Option<Date>,
    /// Catalogued on.
    pub catalogued_on: Option<Date>,
    /// Bound on.
    pub bound_on: Option<Date>,
    /// Digitised on.
    pub digitised_on: Option<Date>,
    /// Checklist of missing items, JSON array of text.
    pub missing_items: String,
    /// Who delivered it.
    pub delivered_by: String,
    /// Login that received it.
    pub received_by: String,
    /// Day received.
    pub received_on: Date,
    /// Status.
    #[diesel(deserialize_as = Stored<ArchiveStatus>)]
    pub status: ArchiveStatus,
    /// Repository.
    pub repository_id: Option<i64>,
    /// Room.
    pub room: Option<String>,
    /// Shelf.
    pub shelf: Option<String>,
    /// Box.
    pub box_: Option<String>,
    /// Day stored at the place.
    pub stored_on: Option<Date>,
    /// Digitised copy (reference URI).
    pub digital_uri: Option<String>,
    /// Pages of the copy.
    pub digital_pages: Option<i32>,
    /// Checksum of the copy.
    pub digital_checksum: Option<String>,
    /// Disposal.
    #[diesel(deserialize_as = OptStored<DisposalKind>)]
    pub disposal_kind: Option<DisposalKind>,
    /// Day disposed.
    pub disposed_on: Option<Date>,
    /// Disposal record.
    pub disposal_note: Option<String>,
    /// Kept until.
    pub retention_until: Option<Date>,
    /// When created.
    pub created_at: PrimitiveDateTime,
    /// Version (ETag).
    pub version: i64,
}

/// A new archive.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = archives)]
pub struct NewArchive {
    /// Retiree.
    pub retiree_id: Option<i64>,
    /// Handover item.
    pub handover_item_id: Option<i64>,
    /// Name.
    pub person_name: String,
    /// Resident ID.
    pub id_number: String,
    /// Community.
    pub community_code: String,
    /// Volumes.
    pub volumes: i32,
    /// Pieces.
    pub pieces: i32,
    /// Sorted.
    pub sorted_on: Option<Date>,
    /// Catalogued.
    pub catalogued_on: Option<Date>,
    /// Bound.
    pub bound_on: Option<Date>,
    /// Digitised.
    pub digitised_on: Option<Date>,
    /// Missing items JSON.
    pub missing_items: String,
    /// Delivered by.
    pub delivered_by: String,
    /// Received by.
    pub received_by: String,
    /// Received on.
    pub received_on: Date,
    /// Status code.
    pub status: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// 1.
    pub version: i64,
}

/// A material (piece) of an archive.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = archive_materials)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Material {
    /// Id.
    pub id: i64,
    /// Archive.
    pub archive_id: i64,
    /// Running piece number.
    pub piece_no: i32,
    /// Class.
    #[diesel(deserialize_as = Stored<MaterialType>)]
    pub material_type: MaterialType,
    /// Title.
    pub title: String,
    /// Date of the material.
    pub dated: Option<Date>,
    /// Pages.
    pub pages: i32,
    /// `receipt` or `supplement`.
    pub source: String,
    /// Day filed.
    pub filed_on: Date,
}

/// A material to file.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = archive_materials)]
pub struct NewMaterial {
    /// Archive.
    pub archive_id: i64,
    /// Piece number.
    pub piece_no: i32,
    /// Class code.
    pub material_type: String,
    /// Title.
    pub title: String,
    /// Date.
    pub dated: Option<Date>,
    /// Pages.
    pub pages: i32,
    /// Source.
    pub source: String,
    /// Filed on.
    pub filed_on: Date,
}

/// Inserts a repository; a code taken is `Unique`.
pub fn create_repository(conn: &mut DbConnection, new: &NewRepository) -> RepoResult<Repository> {
    diesel::insert_into(archive_repositories::table).values(new).execute(conn)?;
    Ok(archive_repositories::table
        .filter(archive_repositories::code.eq(&new.code))
        .select(Repository::as_select())
        .first(conn)?)
}

/// One repository, if its jurisdiction lies in the subtree `scope_path`; otherwise `NotFound`.
pub fn find_repository(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<Repository> {
    archive_repositories::table
        .inner_join(jurisdictions::table)
        .filter(archive_repositories::id.eq(id))
        .filter(in_subtree(scope_path))
        .select(Repository::as_select())
        .first(conn)
        .optional()?
        .ok_or(RepoError::NotFound)
}

/// The repositories in the subtree `scope_path`, by id.
pub fn repositories_in(conn: &mut DbConnection, scope_path: &str) -> RepoResult<Vec<Repository>> {
    Ok(archive_repositories::table
        .inner_join(jurisdictions::table)
        .filter(in_subtree(scope_path))
        .order(archive_repositories::id)
        .select(Repository::as_select())
        .load(conn)?)
}

/// Volumes on the shelves of repository `id` (its occupancy).
pub fn occupancy(conn: &mut DbConnection, id: i64) -> RepoResult<i64> {
    let sum: Option<i64> = archives::table
        .filter(archives::repository_id.eq(id))
        .select(diesel::dsl::sum(archives::volumes))
        .first(conn)?;
    Ok(sum.unwrap_or(0))
}

/// Volumes and archives counted in a subtree, and how many of them are digitised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Archives.
    pub archives: i64,
    /// Volumes.
    pub volumes: i64,
    /// Archives digitised.
    pub digitised: i64,
}

/// The archives held for people of the subtree `scope_path`: in store, on loan or in transit, or kept after a
/// disposal (not transferred out, not handed to the family).
pub fn counts_in(conn: &mut DbConnection, scope_path: &str) -> RepoResult<Counts> {
    let rows: Vec<(i32, Option<Date>)> = archives::table
        .inner_join(jurisdictions::table)
        .filter(in_subtree(scope_path))
        .filter(
            archives::status
                .eq_any([ArchiveStatus::InStore, ArchiveStatus::OnLoan, ArchiveStatus::InTransit].map(|s| s.as_str()))
                .or(archives::status
                    .eq(ArchiveStatus::Disposed.as_str())
                    .and(archives::disposal_kind.eq(DisposalKind::Kept.as_str()))),
        )
        .select((archives::volumes, archives::digitised_on))
        .load(conn)?;
    Ok(Counts {
        archives: rows.len() as i64,
        volumes: rows.iter().map(|(v, _)| i64::from(*v)).sum(),
        digitised: rows.iter().filter(|(_, d)| d.is_some()).count() as i64,
    })
}

/// Inserts an archive, its resident ID sealed and hashed (issue 21.10); a resident ID on record already is
/// `Unique` (through the hash).
pub fn create(conn: &mut DbConnection, new: &NewArchive) -> RepoResult<Archive> {
    let hash = crate::sealed::hash(&new.id_number)?;
    let row = NewArchive { id_number: crate::sealed::seal(&new.id_number)?, ..new.clone() };
    diesel::insert_into(archives::table).values((&row, archives::id_number_hash.eq(&hash))).execute(conn)?;
    Ok(archives::table.filter(archives::id_number_hash.eq(&hash)).select(Archive::as_select()).first(conn)?)
}

/// One archive, if the person's community lies in the subtree `scope_path`; otherwise `NotFound`.
pub fn find_visible(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<Archive> {
    archives::table
        .inner_join(jurisdictions::table)
        .filter(archives::id.eq(id))
        .filter(in_subtree(scope_path))
        .select(Archive::as_select())
        .first(conn)
        .optional()?
        .ok_or(RepoError::NotFound)
}

/// The archive of a retiree, if any.
pub fn of_retiree(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<Option<Archive>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(archives::table
        .filter(archives::retiree_id.eq(retiree_id))
        .select(Archive::as_select())
        .first(conn)
        .optional()?)
}

/// The archive received with a handed-over person, if any.
pub fn of_handover_item(conn: &mut DbConnection, item_id: i64) -> RepoResult<Option<Archive>> {
    Ok(archives::table
        .filter(archives::handover_item_id.eq(item_id))
        .select(Archive::as_select())
        .first(conn)
        .optional()?)
}

/// Links the archive received with handover item `item_id` to the retiree registered from it.
pub fn link_retiree(
    conn: &mut DbConnection,
    item_id: i64,
    retiree_id: impl Into<RetireeId>,
    community: &str,
) -> RepoResult<usize> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(diesel::update(archives::table.filter(archives::handover_item_id.eq(item_id)))
        .set((
            archives::retiree_id.eq(retiree_id),
            archives::community_code.eq(community),
            archives::version.eq(archives::version + 1),
        ))
        .execute(conn)?)
}

/// Which archives to list.
#[derive(Debug, Clone, Default)]
pub struct ArchiveFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only in this repository.
    pub repository_id: Option<i64>,
    /// Only of this retiree.
    pub retiree_id: Option<i64>,
    /// Ids above this (cursor).
    pub after: Option<i64>,
}

/// Archives seen from the subtree `scope_path` matching `f`, by id, at most `limit`.
pub fn list(conn: &mut DbConnection, scope_path: &str, f: &ArchiveFilter, limit: i64) -> RepoResult<Vec<Archive>> {
    let mut q = archives::table.inner_join(jurisdictions::table).filter(in_subtree(scope_path)).into_boxed();
    if let Some(s) = &f.status {
        q = q.filter(archives::status.eq(s.clone()));
    }
    if let Some(r) = f.repository_id {
        q = q.filter(archives::repository_id.eq(r));
    }
    if let Some(r) = f.retiree_id {
        q = q.filter(archives::retiree_id.eq(r));
    }
    if let Some(a) = f.after {
        q = q.filter(archives::id.gt(a));
    }
    Ok(q.order(archives::id).limit(limit).select(Archive::as_select()).load(conn)?)
}

/// The place of an archive.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = archives)]
#[diesel(treat_none_as_null = true)]
pub struct Place {
    /// Repository.
    pub repository_id: Option<i64>,
    /// Room.
    pub room: Option<String>,
    /// Shelf.
    pub shelf: Option<String>,
    /// Box.
    #[diesel(column_name = box_)]
    pub box_: Option<String>,
    /// Day stored.
    pub stored_on: Option<Date>,
}

/// Writes the place of archive `id` at `version`; `VersionMismatch` when it moved.
pub fn save_place(conn: &mut DbConnection, id: i64, version: i64, place: &Place) -> RepoResult<Archive> {
    bump(conn, id, version, |conn| diesel::update(archives::table.find(id)).set(place).execute(conn).map(|_| ()))
}

/// Sets the status of archive `id` at `version`.
pub fn save_status(conn: &mut DbConnection, id: i64, version: i64, status: ArchiveStatus) -> RepoResult<Archive> {
    bump(conn, id, version, |conn| {
        diesel::update(archives::table.find(id)).set(archives::status.eq(status.as_str())).execute(conn).map(|_| ())
    })
}

/// Raises the version of archive `id` from `version` (else `VersionMismatch`), then applies `write`.
pub fn bump(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    write: impl FnOnce(&mut DbConnection) -> QueryResult<()>,
) -> RepoResult<Archive> {
    let n = diesel::update(archives::table)
        .filter(archives::id.eq(id))
        .filter(archives::version.eq(version))
        .set(archives::version.eq(version + 1))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    write(conn)?;
    Ok(archives::table.find(id).select(Archive::as_select()).first(conn)?)
}

/// Files a material.
pub fn add_material(conn: &mut DbConnection, m: &NewMaterial) -> RepoResult<()> {
    diesel::insert_into(archive_materials::table).values(m).execute(conn)?;
    Ok(())
}

/// The materials of an archive by piece number.
pub fn materials_of(conn: &mut DbConnection, archive_id: i64) -> RepoResult<Vec<Material>> {
    Ok(archive_materials::table
        .filter(archive_materials::archive_id.eq(archive_id))
        .order(archive_materials::piece_no)
        .select(Material::as_select())
        .load(conn)?)
}

/// The highest piece number filed on an archive (0 when none).
pub fn highest_piece(conn: &mut DbConnection, archive_id: i64) -> RepoResult<i32> {
    let max: Option<i32> = archive_materials::table
        .filter(archive_materials::archive_id.eq(archive_id))
        .select(diesel::dsl::max(archive_materials::piece_no))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}

/// One repository by id (read from a stored archive's place).
pub fn repository_by_id(conn: &mut DbConnection, id: i64) -> RepoResult<Repository> {
    Ok(archive_repositories::table.find(id).select(Repository::as_select()).first(conn)?)
}
