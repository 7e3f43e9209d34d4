//! Reading death reports: the list of a subtree and one report (an audited read).

use persistence::DbConnection;
use persistence::death::{self as repo, ReportFilter};
use time::Date;

use super::response::{DeathReportResponse, report_response};
use super::visible;
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::AppError;
use crate::scope::node_in_scope;

/// The report statuses a list can be filtered by.
pub const STATUSES: [&str; 4] = [repo::REPORTED, repo::VERIFIED, repo::WITHDRAWN, repo::REVERSED];

/// Which reports to list: the node (in the caller's subtree), the filters and the page.
#[derive(Debug, Clone)]
pub struct ReportList {
    /// A node in the caller's subtree.
    pub jurisdiction: String,
    /// One of [`STATUSES`].
    pub status: Option<String>,
    /// Only late reports (`true`) or only those in time (`false`).
    pub late: Option<bool>,
    /// Died on or after.
    pub died_from: Option<Date>,
    /// Died on or before.
    pub died_to: Option<Date>,
    /// The last id of the previous page.
    pub after: Option<i64>,
    /// Page size.
    pub limit: i64,
}

/// Death reports of people in the node's subtree (by their community at the time of the report), by id; a node
/// outside the caller's subtree is 422 `jurisdiction_not_found`.
pub fn list(conn: &mut DbConnection, caller: &Caller, q: ReportList) -> Result<Vec<DeathReportResponse>, AppError> {
    let node = node_in_scope(conn, caller, &q.jurisdiction, "jurisdiction")?;
    let filter = ReportFilter { status: q.status, late: q.late, died_from: q.died_from, died_to: q.died_to };
    Ok(repo::list_reports(conn, &node.path, &filter, q.after, q.limit)?.into_iter().map(report_response).collect())
}

/// One report of a person in the caller's subtree (404 otherwise); the read is audited.
pub fn read(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Audited<DeathReportResponse>, AppError> {
    let (report, retiree, path) = visible(conn, caller, id)?;
    let mut entry = caller.audit("death.report.read", "death_report", id, &path);
    entry.retiree_id = Some(retiree.id);
    Ok(Audited::new(report_response(report), entry))
}
