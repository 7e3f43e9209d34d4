//! Storing archives (XM Art. 9(6), 10(2): city- and district-managed archives; JN Art. 8(7): stored centrally;
//! JN Art. 12, 20): the repositories of a jurisdiction with their floor area and keepers, the capacity a floor area
//! gives and the volumes on the shelves, the place of each archive (repository → room → shelf → box), and the
//! shortfall of keepers and storage per repository and node under the policy in force.

use domain::archive::{self as rules, ArchiveStatus};
use domain::{ErrorCode, Level, Permission};
use persistence::DbConnection;
use persistence::archives::{self as repo, NewRepository, Place, Repository};
use persistence::jurisdictions;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{ArchiveView, view, visible};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, date_not_after};
use crate::policy_book::policy_at;
use crate::precondition::{IfMatch, expect_if_sent};

/// A repository to create.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "SM-01", "name": "思明区档案馆一号库", "jurisdiction": "350203", "area_m2": 120, "keepers": 1}))]
pub struct CreateRepositoryRequest {
    /// Code, 1-30 letters, digits or `-`, unique.
    pub code: String,
    /// Name, 1-100 characters.
    pub name: String,
    /// The city or district in the caller's subtree whose archive authority it belongs to.
    pub jurisdiction: String,
    /// Floor area in m², 1-1,000,000.
    pub area_m2: i64,
    /// Archive keepers on staff, 0-10,000.
    pub keepers: i32,
}

/// The shortfall of keepers and storage (JN Art. 12, 20).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShortfallView {
    /// Volumes counted.
    pub volumes: i64,
    /// Keepers on staff.
    pub keepers: i64,
    /// Floor area, m².
    pub area_m2: i64,
    /// Keepers needed (JN Art. 12: one per 10,000 volumes, rounded up).
    pub keepers_required: i64,
    /// Keepers missing.
    pub keepers_short: i64,
    /// Storage needed, m² (JN Art. 20: 60 m² per 10,000 volumes, rounded up).
    pub area_required_m2: i64,
    /// Storage missing, m².
    pub area_short_m2: i64,
}

/// A repository with its capacity and occupancy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 1, "code": "SM-01", "name": "思明区档案馆一号库", "jurisdiction": "350203",
    "area_m2": 120, "keepers": 1, "capacity_volumes": 20000, "occupancy_volumes": 2, "free_volumes": 19998,
    "shortfall": {"volumes": 2, "keepers": 1, "area_m2": 120, "keepers_required": 1, "keepers_short": 0,
        "area_required_m2": 1, "area_short_m2": 0}, "version": 1}))]
pub struct RepositoryView {
    /// Id.
    pub id: i64,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Floor area, m².
    pub area_m2: i64,
    /// Keepers on staff.
    pub keepers: i32,
    /// Volumes the floor area holds (JN Art. 20).
    pub capacity_volumes: i64,
    /// Volumes on its shelves.
    pub occupancy_volumes: i64,
    /// Capacity left (negative when over).
    pub free_volumes: i64,
    /// Keepers and storage against what its volumes need.
    pub shortfall: ShortfallView,
    /// Version.
    pub version: i64,
}

fn shortfall_view(volumes: i64, keepers: i64, area_m2: i64, s: &domain::policy::Staffing) -> ShortfallView {
    let sf = rules::shortfall(volumes, keepers, area_m2, s);
    ShortfallView {
        volumes,
        keepers,
        area_m2,
        keepers_required: sf.keepers_required,
        keepers_short: sf.keepers_short,
        area_required_m2: sf.area_required_m2,
        area_short_m2: sf.area_short_m2,
    }
}

/// A repository as shown on `on`, under the policy in force at its jurisdiction.
fn repository_view(conn: &mut DbConnection, r: Repository, on: Date) -> Result<RepositoryView, AppError> {
    let node = jurisdictions::find(conn, &r.jurisdiction_code)?;
    let policy = policy_at(conn, &node.path, on)?;
    let occupancy = repo::occupancy(conn, r.id)?;
    let capacity = rules::capacity_volumes(r.area_m2, &policy.staffing);
    Ok(RepositoryView {
        shortfall: shortfall_view(occupancy, i64::from(r.keepers), r.area_m2, &policy.staffing),
        id: r.id,
        code: r.code,
        name: r.name,
        jurisdiction: r.jurisdiction_code,
        area_m2: r.area_m2,
        keepers: r.keepers,
        capacity_volumes: capacity,
        occupancy_volumes: occupancy,
        free_volumes: capacity - occupancy,
        version: r.version,
    })
}

/// Creates a repository (`archive.manage`; audited `archive_repository.create`). A code taken: 409 `conflict`.
pub fn create_repository(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    body: CreateRepositoryRequest,
) -> Result<RepositoryView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let mut errors = Vec::new();
    let code = body.code.trim().to_owned();
    if code.is_empty() || code.len() > 30 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        errors.push(FieldError::with(
            "/code",
            ErrorCode::InvalidValue,
            "编码应为1至30个字母、数字或“-”",
            "code is 1 to 30 letters, digits or '-'",
        ));
    }
    let name = check_name("/name", &body.name, 100, &mut errors);
    if !(1..=1_000_000).contains(&body.area_m2) {
        errors.push(FieldError::with(
            "/area_m2",
            ErrorCode::OutOfRange,
            "面积应为1至1000000平方米",
            "area_m2 must be 1 to 1,000,000",
        ));
    }
    if !(0..=10_000).contains(&body.keepers) {
        errors.push(FieldError::with(
            "/keepers",
            ErrorCode::OutOfRange,
            "档案管理人员应为0至10000人",
            "keepers must be 0 to 10,000",
        ));
    }
    let node = match jurisdictions::find(conn, &body.jurisdiction) {
        Ok(n) if caller.sees(&n.path) && matches!(n.level, Level::City | Level::District) => Some(n),
        Ok(n) if caller.sees(&n.path) => {
            errors.push(FieldError::with(
                "/jurisdiction",
                ErrorCode::InvalidValue,
                "库房属于市或区（县）档案管理部门",
                "a repository belongs to a city or district archive authority",
            ));
            None
        }
        Ok(_) | Err(persistence::RepoError::NotFound) => {
            errors.push(FieldError::of("/jurisdiction", ErrorCode::JurisdictionNotFound));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let Some(node) = node.filter(|_| errors.is_empty()) else { return Err(AppError::validation(errors)) };
    let new = NewRepository {
        code,
        name,
        jurisdiction_code: node.code.clone(),
        area_m2: body.area_m2,
        keepers: body.keepers,
        created_by: caller.login.clone(),
        created_at: persistence::now_utc(),
        version: 1,
    };
    let r = repo::create_repository(conn, &new)?;
    let mut entry = caller.audit("archive_repository.create", "archive_repository", r.id, &node.path);
    entry.detail = Some(serde_json::json!({"code": r.code, "area_m2": r.area_m2, "keepers": r.keepers}).to_string());
    persistence::audit::append(conn, &entry)?;
    repository_view(conn, r, today)
}

/// The repositories in the caller's subtree with capacity, occupancy and shortfall on `today`.
pub fn list_repositories(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
) -> Result<Vec<RepositoryView>, AppError> {
    super::require_read(caller)?;
    let rows = repo::repositories_in(conn, &caller.scope_path)?;
    rows.into_iter().map(|r| repository_view(conn, r, today)).collect()
}

/// Where to store an archive.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"repository_id": 1, "room": "2", "shelf": "A-03", "box": "0117"}))]
pub struct PlaceRequest {
    /// A repository of the city or district the person belongs to.
    pub repository_id: i64,
    /// Room, 1-20 characters.
    pub room: String,
    /// Shelf, 1-20 characters.
    pub shelf: String,
    /// Box, 1-20 characters.
    #[serde(rename = "box")]
    pub box_: String,
    /// Day stored (`YYYY-MM-DD`), default today, not in the future.
    #[schema(format = Date)]
    pub stored_on: Option<String>,
}

/// Stores archive `id` at a place (`archive.manage`; audited `archive.place`): the archive in store (409
/// `archive_wrong_status`), the repository in the caller's subtree (422 `repository_not_found`) and of a city or
/// district the person belongs to (422 `location_out_of_jurisdiction`), with room for its volumes (409
/// `repository_full`, JN Art. 20). `If-Match` is checked when sent.
pub fn place(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    body: PlaceRequest,
) -> Result<ArchiveView, AppError> {
    caller.require(Permission::ArchiveManage)?;
    let mut errors = Vec::new();
    let room = check_name("/room", &body.room, 20, &mut errors);
    let shelf = check_name("/shelf", &body.shelf, 20, &mut errors);
    let box_ = check_name("/box", &body.box_, 20, &mut errors);
    let stored_on = date_not_after("/stored_on", body.stored_on.as_deref(), today, &mut errors);
    let (a, path) = visible(conn, caller, id)?;
    let r = match repo::find_repository(conn, body.repository_id, &caller.scope_path) {
        Ok(r) => Some(r),
        Err(persistence::RepoError::NotFound) => {
            errors.push(FieldError::of("/repository_id", ErrorCode::RepositoryNotFound));
            None
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(r) = &r {
        let node = jurisdictions::find(conn, &r.jurisdiction_code)?;
        if !path.starts_with(&node.path) {
            errors.push(FieldError::of("/repository_id", ErrorCode::LocationOutOfJurisdiction));
        }
    }
    let Some(r) = r.filter(|_| errors.is_empty()) else { return Err(AppError::validation(errors)) };
    if a.status != ArchiveStatus::InStore {
        return Err(AppError::violation(&rules::ArchiveError::ArchiveStatus(a.status)));
    }
    let version = expect_if_sent(if_match, a.version)?;
    if a.repository_id != Some(r.id) {
        let node = jurisdictions::find(conn, &r.jurisdiction_code)?;
        let policy = policy_at(conn, &node.path, today)?;
        let capacity = rules::capacity_volumes(r.area_m2, &policy.staffing);
        let occupancy = repo::occupancy(conn, r.id)?;
        rules::check_capacity(capacity, occupancy, i64::from(a.volumes)).map_err(|e| AppError::violation(&e))?;
    }
    let saved = repo::save_place(
        conn,
        a.id,
        version,
        &Place {
            repository_id: Some(r.id),
            room: Some(room),
            shelf: Some(shelf),
            box_: Some(box_),
            stored_on: Some(stored_on),
        },
    )?;
    let mut entry = caller.audit("archive.place", "archive", a.id, &path);
    entry.retiree_id = a.retiree_id;
    entry.detail = Some(
        serde_json::json!({"repository": r.code, "room": saved.room, "shelf": saved.shelf, "box": saved.box_,
            "from_repository_id": a.repository_id})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    view(conn, saved, None)
}

/// The archive volumes of a node's subtree and its repositories' shortfall (JN Art. 12, 20).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArchiveStaffing {
    /// Archives held for people of the node's subtree.
    pub archives: i64,
    /// Their volumes.
    pub volumes: i64,
    /// Archives digitised.
    pub digitised: i64,
    /// The node's repositories (and those below it) together against its volumes.
    pub node: ShortfallView,
    /// Each repository of the subtree against the volumes on its shelves.
    pub repositories: Vec<RepositoryView>,
}

/// The archive part of the staffing report for the node at `path` on `on`: volumes counted from the records, the
/// shortfall of the node (its repositories' keepers and area against its volumes) and of each repository.
pub fn staffing_of(conn: &mut DbConnection, path: &str, on: Date) -> Result<ArchiveStaffing, AppError> {
    let policy = policy_at(conn, path, on)?;
    let counts = repo::counts_in(conn, path)?;
    let rows = repo::repositories_in(conn, path)?;
    let keepers: i64 = rows.iter().map(|r| i64::from(r.keepers)).sum();
    let area: i64 = rows.iter().map(|r| r.area_m2).sum();
    let repositories = rows.into_iter().map(|r| repository_view(conn, r, on)).collect::<Result<Vec<_>, _>>()?;
    Ok(ArchiveStaffing {
        archives: counts.archives,
        volumes: counts.volumes,
        digitised: counts.digitised,
        node: shortfall_view(counts.volumes, keepers, area, &policy.staffing),
        repositories,
    })
}
