//! Personnel archives (issue 23; XM Art. 16; CS Art. 12(2); JN Art. 7(12), 8(7), 12, 20, 21(3)-(4), 27): receiving
//! an archive on its own or with a handed-over person ([`receive`]), storing it in a repository → room → shelf →
//! box with capacity and occupancy ([`store`]), and the staffing and storage shortfall per repository and node
//! ([`store::shortfall_report`]). The rules are `domain::archive`; numbers come from the policy in force.
//!
//! Scope: an archive is seen from the subtree holding the person's community; a repository from the subtree
//! holding its jurisdiction. Roles with `archive.read_materials` (the archivist, the auditor) read the materials
//! list of an archive (an audited read of personal data); every other role with `retiree.read` reads the summary
//! only: volumes, place, status.

pub mod receive;
pub mod store;
// Use, supplements, transfer, digitisation (steps 3-8).
pub mod batches;
pub mod digitisation;
pub mod disposal;
pub mod import;
pub mod loans;
pub mod register;
pub mod supplements;
pub mod transfer;

use domain::Permission;
use domain::archive::{ArchiveStatus, DisposalKind, MaterialType, PreparationItem};
use persistence::DbConnection;
use persistence::archives::{self as repo, Archive, Material};
use persistence::events::{self, Emit};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::AppError;

/// Whether `caller` reads materials lists (else the summary only).
pub fn reads_materials(caller: &Caller) -> bool {
    caller.role.allows(Permission::ArchiveReadMaterials)
}

/// 403 unless the caller reads archives at all: the summary needs `retiree.read`, `archive.read_materials` or
/// `archive.manage`.
pub fn require_read(caller: &Caller) -> Result<(), AppError> {
    if [Permission::RetireeRead, Permission::ArchiveReadMaterials, Permission::ArchiveManage]
        .iter()
        .any(|p| caller.role.allows(*p))
    {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// The place of an archive.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlaceView {
    /// Repository id.
    pub repository_id: i64,
    /// Repository code.
    pub repository: String,
    /// Room.
    pub room: String,
    /// Shelf.
    pub shelf: String,
    /// Box.
    #[serde(rename = "box")]
    pub box_: String,
    /// Day stored there.
    #[schema(value_type = Option<String>, format = Date)]
    pub stored_on: Option<Date>,
}

/// A material (piece) of an archive.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MaterialView {
    /// Running piece number.
    pub piece_no: i32,
    /// Class.
    pub material_type: MaterialType,
    /// Title.
    pub title: String,
    /// Date of the material.
    #[schema(value_type = Option<String>, format = Date)]
    pub dated: Option<Date>,
    /// Pages.
    pub pages: i32,
    /// `receipt` or `supplement`.
    pub source: String,
    /// Day filed.
    #[schema(value_type = String, format = Date)]
    pub filed_on: Date,
}

/// The preparation of an archive (CS Art. 12(2)): the day each item was done, `null` where not.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sorted": "2026-11-02", "catalogued": "2026-11-02", "bound": "2026-11-03",
    "digitised": "2026-11-10"}))]
pub struct Preparation {
    /// Sorted (整理, classified and ordered) on (`YYYY-MM-DD`), `null` if not.
    #[schema(format = Date)]
    pub sorted: Option<String>,
    /// Catalogued (编目) on.
    #[schema(format = Date)]
    pub catalogued: Option<String>,
    /// Bound into volumes (装订成册) on.
    #[schema(format = Date)]
    pub bound: Option<String>,
    /// Digitised (数字化) on.
    #[schema(format = Date)]
    pub digitised: Option<String>,
}

/// An archive. `materials` is present only for roles with `archive.read_materials`, in the single view.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 5, "retiree_id": 42, "handover_item_id": null, "name": "张三",
    "community": "350203001001", "volumes": 2, "pieces": 40, "status": "in_store",
    "preparation": {"sorted": "2026-11-02", "catalogued": "2026-11-02", "bound": "2026-11-03", "digitised": null},
    "unprepared": ["digitised"], "missing_items": ["退休审批表"], "delivered_by": "厦门港务集团 李四",
    "received_by": "archivist", "received_on": "2026-12-06", "place": null, "digital": null, "disposal": null,
    "materials": null, "version": 1}))]
pub struct ArchiveView {
    /// Id.
    pub id: i64,
    /// The retiree, once on the roll.
    pub retiree_id: Option<i64>,
    /// The handed-over person it came with.
    pub handover_item_id: Option<i64>,
    /// Name.
    pub name: String,
    /// The person's community.
    pub community: String,
    /// Volumes (卷).
    pub volumes: i32,
    /// Pieces (件).
    pub pieces: i32,
    /// Status.
    pub status: ArchiveStatus,
    /// The preparation at receipt.
    pub preparation: Preparation,
    /// Preparation items not done (accepted as it was).
    pub unprepared: Vec<PreparationItem>,
    /// Checklist of missing items noted at receipt.
    pub missing_items: Vec<String>,
    /// Who delivered it.
    pub delivered_by: String,
    /// Login that received it.
    pub received_by: String,
    /// Day received.
    #[schema(value_type = String, format = Date)]
    pub received_on: Date,
    /// Where it is stored, `null` before it is placed.
    pub place: Option<PlaceView>,
    /// The digitised copy by reference (online use), `null` if none.
    pub digital: Option<DigitalView>,
    /// The disposal after death, `null` if none.
    pub disposal: Option<DisposalView>,
    /// The materials list (only for `archive.read_materials`, in the single view); `null` otherwise.
    pub materials: Option<Vec<MaterialView>>,
    /// Version (ETag).
    pub version: i64,
}

/// A digitised copy, referenced, not stored (XM Art. 16: online use).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DigitalView {
    /// Where the pages are (URI).
    pub uri: String,
    /// Pages.
    pub pages: i32,
    /// Checksum (`sha256:` hex).
    pub checksum: String,
}

/// A disposal after death.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DisposalView {
    /// What happened.
    pub kind: DisposalKind,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on: Date,
    /// Record (to whom, on which request).
    pub note: Option<String>,
    /// Kept until.
    #[schema(value_type = Option<String>, format = Date)]
    pub retention_until: Option<Date>,
}

fn date_text(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

/// The domain's view of a stored archive's preparation.
pub(crate) fn preparation_of(a: &Archive) -> domain::archive::Preparation {
    domain::archive::Preparation {
        sorted: a.sorted_on,
        catalogued: a.catalogued_on,
        bound: a.bound_on,
        digitised: a.digitised_on,
    }
}

/// An archive as shown; `materials` when given.
pub(crate) fn view(
    conn: &mut DbConnection,
    a: Archive,
    materials: Option<Vec<Material>>,
) -> Result<ArchiveView, AppError> {
    let missing_items: Vec<String> =
        persistence::typed::stored_json("archives", a.id, "missing_items", &a.missing_items)?;
    let place = match (a.repository_id, &a.room, &a.shelf, &a.box_) {
        (Some(rid), Some(room), Some(shelf), Some(b)) => {
            let r = repo::repository_by_id(conn, rid)?;
            Some(PlaceView {
                repository_id: rid,
                repository: r.code,
                room: room.clone(),
                shelf: shelf.clone(),
                box_: b.clone(),
                stored_on: a.stored_on,
            })
        }
        (None, None, None, None) => None,
        _ => return Err(persistence::typed::corrupt("archives", a.id, "repository_id", "a partial place").into()),
    };
    let digital = match (&a.digital_uri, a.digital_pages, &a.digital_checksum) {
        (Some(uri), Some(pages), Some(checksum)) => {
            Some(DigitalView { uri: uri.clone(), pages, checksum: checksum.clone() })
        }
        _ => None,
    };
    let disposal = match (a.disposal_kind, a.disposed_on) {
        (Some(kind), Some(on)) => {
            Some(DisposalView { kind, on, note: a.disposal_note.clone(), retention_until: a.retention_until })
        }
        _ => None,
    };
    let prep = preparation_of(&a);
    Ok(ArchiveView {
        id: a.id,
        retiree_id: a.retiree_id,
        handover_item_id: a.handover_item_id,
        name: a.person_name,
        community: a.community_code,
        volumes: a.volumes,
        pieces: a.pieces,
        status: a.status,
        preparation: Preparation {
            sorted: date_text(prep.sorted),
            catalogued: date_text(prep.catalogued),
            bound: date_text(prep.bound),
            digitised: date_text(prep.digitised),
        },
        unprepared: prep.missing(),
        missing_items,
        delivered_by: a.delivered_by,
        received_by: a.received_by,
        received_on: a.received_on,
        place,
        digital,
        disposal,
        materials: materials.map(|m| {
            m.into_iter()
                .map(|m| MaterialView {
                    piece_no: m.piece_no,
                    material_type: m.material_type,
                    title: m.title,
                    dated: m.dated,
                    pages: m.pages,
                    source: m.source,
                    filed_on: m.filed_on,
                })
                .collect()
        }),
        version: a.version,
    })
}

/// What an archive event carries besides the archive.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct EventExtra {
    /// Loan.
    pub loan_id: Option<i64>,
    /// Supplement and piece number.
    pub supplement_id: Option<i64>,
    /// Piece number.
    pub piece_no: Option<i32>,
    /// Dispatch.
    pub dispatch_id: Option<i64>,
    /// Transfer.
    pub transfer_id: Option<i64>,
    /// Confirmed received.
    pub received: Option<bool>,
    /// Digitisation batch.
    pub batch_id: Option<i64>,
}

/// Emits `kind` about archive `a` (placed in the person's community, with the person's state once linked).
pub(crate) fn emit(
    conn: &mut DbConnection,
    kind: domain::events::EventType,
    a: &Archive,
    extra: EventExtra,
) -> Result<(), AppError> {
    let details = serde_json::json!({
        "archive_id": a.id,
        "status": a.status.as_str(),
        "volumes": a.volumes,
        "pieces": a.pieces,
        "loan_id": extra.loan_id,
        "supplement_id": extra.supplement_id,
        "piece_no": extra.piece_no,
        "dispatch_id": extra.dispatch_id,
        "transfer_id": extra.transfer_id,
        "received": extra.received,
        "batch_id": extra.batch_id,
    });
    events::emit(
        conn,
        &Emit {
            kind: kind.as_str(),
            version: 1,
            subject_type: "archive",
            subject_id: a.id,
            retiree_id: a.retiree_id,
            community_code: Some(&a.community_code),
            previous_code: None,
            details,
        },
    )?;
    Ok(())
}

/// The archive `id` seen from the caller's subtree (else 404), with its community's path.
pub(crate) fn visible(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(Archive, String), AppError> {
    let a = repo::find_visible(conn, id, &caller.scope_path)?;
    let path = crate::scope::path_of(conn, &a.community_code)?;
    Ok((a, path))
}

/// One archive (GET /archives/{id}): the summary, or for `archive.read_materials` with its materials list, an
/// audited read of personal data (`archive.read`).
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<ArchiveView, AppError> {
    require_read(caller)?;
    let (a, path) = visible(conn, caller, id)?;
    let materials = if reads_materials(caller) { Some(repo::materials_of(conn, a.id)?) } else { None };
    let mut entry = caller.audit("archive.read", "archive", a.id, &path);
    entry.retiree_id = a.retiree_id;
    entry.detail = Some(serde_json::json!({"materials": materials.is_some()}).to_string());
    persistence::audit::append(conn, &entry)?;
    view(conn, a, materials)
}

/// Which archives to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only this status.
    pub status: Option<ArchiveStatus>,
    /// Only in this repository.
    pub repository_id: Option<i64>,
    /// Only of this retiree.
    pub retiree_id: Option<i64>,
    /// Cursor.
    pub after: Option<i64>,
    /// Page size.
    pub limit: i64,
}

/// The archives seen from the caller's subtree, by id: summaries (no materials).
pub fn list(conn: &mut DbConnection, caller: &Caller, q: ListQuery) -> Result<Vec<ArchiveView>, AppError> {
    require_read(caller)?;
    let f = repo::ArchiveFilter {
        status: q.status.map(|s| s.as_str().to_owned()),
        repository_id: q.repository_id,
        retiree_id: q.retiree_id,
        after: q.after,
    };
    let rows = repo::list(conn, &caller.scope_path, &f, q.limit)?;
    rows.into_iter().map(|a| view(conn, a, None)).collect()
}

/// The materials list of an archive.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MaterialList {
    /// Archive.
    pub archive_id: i64,
    /// The pieces by running number.
    pub items: Vec<MaterialView>,
}

/// The materials list of archive `id` (`archive.read_materials`; an audited read, `archive.read_materials`).
pub fn materials(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<MaterialList, AppError> {
    caller.require(Permission::ArchiveReadMaterials)?;
    let (a, path) = visible(conn, caller, id)?;
    let rows = repo::materials_of(conn, a.id)?;
    let mut entry = caller.audit("archive.read_materials", "archive", a.id, &path);
    entry.retiree_id = a.retiree_id;
    persistence::audit::append(conn, &entry)?;
    let archive_id = a.id;
    let items = view(conn, a, Some(rows))?.materials.unwrap_or_default();
    Ok(MaterialList { archive_id, items })
}
