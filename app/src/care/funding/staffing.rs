//! The staffing and archive-facility report (JN Art. 11, 12, 20).

use domain::{Level, care};
use persistence::DbConnection;
use persistence::fund as repo;
use persistence::jurisdictions;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::only_district_in_scope;
use crate::caller::Caller;
use crate::error::AppError;
use crate::policy_book::policy_at;

/// One community of the staffing report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommunityStaffing {
    /// Community.
    pub code: String,
    /// Name.
    pub name: String,
    /// Retirees on its roll.
    pub retirees: i64,
    /// Full-time workers to add (JN Art. 11: not below 1500:1; over 500: one).
    pub full_time_workers: i64,
    /// Under 500: one community worker may do it part-time.
    pub part_time: bool,
}

/// The staffing and archive-facility requirements of a district.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"jurisdiction": "350206", "communities": [{"code": "350206001001", "name": "湖里社区居委会",
    "retirees": 2, "full_time_workers": 0, "part_time": true}], "community_workers": 0, "streets": 1,
    "street_workers": 2, "district_office_workers": 2, "total_workers": 4, "archive_volumes": 25000,
    "archive_keepers": 3, "archive_area_m2": 150,
    "sources": {"retirees_per_worker": "JN Art. 11", "archive_volumes_per_keeper": "JN Art. 12",
        "archive_m2_per_10000_volumes": "JN Art. 20"},
    "archive_storage": {"archives": 12000, "volumes": 25000, "digitised": 9000,
        "node": {"volumes": 25000, "keepers": 1, "area_m2": 120, "keepers_required": 3, "keepers_short": 2,
            "area_required_m2": 150, "area_short_m2": 30}, "repositories": []}}))]
pub struct StaffingReport {
    /// The district.
    pub jurisdiction: String,
    /// Every community of the district, by code.
    pub communities: Vec<CommunityStaffing>,
    /// Sum of the communities' full-time workers.
    pub community_workers: i64,
    /// Streets in the district.
    pub streets: i64,
    /// Extra workers of the streets (JN Art. 11: at least 2 each).
    pub street_workers: i64,
    /// Extra workers of the district office (JN Art. 11: at least 2).
    pub district_office_workers: i64,
    /// Community + street + district office workers.
    pub total_workers: i64,
    /// Archive volumes held for the district's people, counted from the archive records (issue 23).
    pub archive_volumes: i64,
    /// Archive keepers (JN Art. 12: one per 10,000 volumes, rounded up).
    pub archive_keepers: i64,
    /// Archive storage, m² (JN Art. 20: 60 m² per 10,000 volumes, rounded up).
    pub archive_area_m2: i64,
    /// The article of each ratio used.
    pub sources: serde_json::Value,
    /// The archives of the district from the records: volumes, digitised, and the shortfall of keepers and storage
    /// of the district's repositories together and of each one (JN Art. 12, 20; issue 23).
    pub archive_storage: crate::archives::store::ArchiveStaffing,
}

/// The staffing and archive-facility requirements of a district in the caller's subtree (else 422
/// `jurisdiction_not_found`, `not_a_district`) under its policy on `on` (JN Art. 11: a worker per 1,500 retirees
/// received, one for 500-1,500, a part-time worker under 500, the district office and each street at least 2
/// more; Art. 12: an archive keeper per 10,000 volumes; Art. 20: 60 m² of storage per 10,000 volumes). The archive
/// volumes are counted from the archive records of the district's people (issue 23).
pub fn staffing(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: &str,
    on: Date,
) -> Result<StaffingReport, AppError> {
    let node = only_district_in_scope(conn, caller, jurisdiction, "jurisdiction")?;
    let policy = policy_at(conn, &node.path, on)?;
    let s = &policy.staffing;
    let counts = repo::on_roll_by_community(conn, &node.path)?;
    let communities: Vec<CommunityStaffing> =
        jurisdictions::list_in_scope(conn, &node.path, Some(Level::Community.as_str()), None, None, i64::MAX)?
            .into_iter()
            .map(|ch| {
                let retirees = counts.iter().find(|c| c.code == ch.code).map_or(0, |c| c.n);
                let staff = care::community_staff(retirees, s);
                CommunityStaffing {
                    code: ch.code,
                    name: ch.name,
                    retirees,
                    full_time_workers: staff.full_time,
                    part_time: staff.part_time,
                }
            })
            .collect();
    let streets = jurisdictions::list_in_scope(conn, &node.path, Some(Level::Street.as_str()), None, None, i64::MAX)?
        .len() as i64;
    let community_workers = communities.iter().map(|c| c.full_time_workers).sum();
    let street_workers = streets * i64::from(s.street_extra_workers.value);
    let district_office_workers = i64::from(s.district_office_extra_workers.value);
    let archive_storage = crate::archives::store::staffing_of(conn, &node.path, on)?;
    let volumes = archive_storage.volumes;
    Ok(StaffingReport {
        jurisdiction: node.code,
        communities,
        community_workers,
        streets,
        street_workers,
        district_office_workers,
        total_workers: community_workers + street_workers + district_office_workers,
        archive_volumes: volumes,
        archive_keepers: care::archive_keepers(volumes, s),
        archive_area_m2: care::archive_area_m2(volumes, s),
        sources: serde_json::json!({
            "retirees_per_worker": s.retirees_per_worker.source,
            "part_time_below": s.part_time_below.source,
            "street_extra_workers": s.street_extra_workers.source,
            "district_office_extra_workers": s.district_office_extra_workers.source,
            "archive_volumes_per_keeper": s.archive_volumes_per_keeper.source,
            "archive_m2_per_10000_volumes": s.archive_m2_per_10000_volumes.source,
        }),
        archive_storage,
    })
}
