//! Month close (GUIDE 交接制度 "按月计报"; JN Art. 28): a community closes its month, then the street, the district
//! and the city. A closed month is a frozen snapshot of its report; entries made later for it show as corrections in
//! the next open month's report, never by rewriting the filed figures. At close, the parent's count of each child
//! is compared with the child's filed figures and every difference is kept and shown. An administrator may reopen a
//! month, with a reason; the data platform learns of each close through `report.month_closed`.

use domain::report::{self as rules, MonthStatus};
use persistence::DbConnection;
use persistence::jurisdictions::Jurisdiction;
use persistence::reports::{self as repo, MonthClose};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::monthly::{self, MonthlyReport, parse_value};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::scope::node_in_scope;

/// Close a node's month.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203001001", "month": "2026-11"}))]
pub struct CloseMonthRequest {
    /// The node (in the caller's subtree).
    pub jurisdiction: String,
    /// The month `YYYY-MM`; it must be over.
    pub month: String,
}

/// Reopen a closed month.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "社区补录11月死亡报告，需更正月报"}))]
pub struct ReopenMonthRequest {
    /// Why (at most 500 characters).
    pub reason: String,
}

/// A child whose filed figure differs from the parent's count at close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"child": "350203001001", "section": "deaths", "column": "reported", "filed": "1", "counted": "2"}))]
pub struct CloseDifference {
    /// The child.
    pub child: String,
    /// Section code.
    pub section: String,
    /// Column code.
    pub column: String,
    /// The child's filed figure (its snapshot).
    pub filed: String,
    /// The parent's count at close.
    pub counted: String,
}

/// A node's month close.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MonthCloseView {
    /// Id.
    pub id: i64,
    /// The node.
    pub jurisdiction: String,
    /// The month `YYYY-MM`.
    pub month: String,
    /// `closed` or `reopened`.
    pub status: MonthStatus,
    /// Who closed it (last).
    pub closed_by: String,
    /// When (UTC).
    #[schema(value_type = String, format = DateTime)]
    pub closed_at: String,
    /// Who reopened it.
    pub reopened_by: Option<String>,
    /// When (UTC).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reopened_at: Option<String>,
    /// Why.
    pub reopen_reason: Option<String>,
    /// Children whose filed figures differ from the parent's count at close (parent = sum of children).
    pub differences: Vec<CloseDifference>,
    /// The report of the month (its snapshot while closed).
    #[schema(example = "/api/v1/reports/monthly?jurisdiction=350203001001&month=2026-11")]
    pub report: String,
    /// Version (ETag).
    pub version: i64,
}

/// A node named in the path: in the caller's subtree, else 404 `not_found` (docs/api-conventions.md).
fn path_node(conn: &mut DbConnection, caller: &Caller, code: &str) -> Result<Jurisdiction, AppError> {
    match persistence::jurisdictions::find(conn, code) {
        Ok(node) if caller.sees(&node.path) => Ok(node),
        Ok(_) | Err(persistence::RepoError::NotFound) => Err(AppError::of(domain::ErrorCode::NotFound)),
        Err(e) => Err(e.into()),
    }
}

fn rfc3339(t: time::PrimitiveDateTime) -> String {
    t.assume_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The link to a node's report of a month.
pub fn report_link(code: &str, month: Date) -> String {
    format!("/api/v1/reports/monthly?jurisdiction={code}&month={}", rules::month_code(month))
}

fn view(row: &MonthClose) -> Result<MonthCloseView, AppError> {
    let status = MonthStatus::parse(&row.status)
        .ok_or_else(|| persistence::typed::corrupt("month_closes", row.id, "status", &row.status))?;
    let differences: Vec<CloseDifference> =
        persistence::typed::stored_json("month_closes", row.id, "differences", &row.differences)?;
    Ok(MonthCloseView {
        id: row.id,
        jurisdiction: row.jurisdiction_code.clone(),
        month: rules::month_code(row.month),
        status,
        closed_by: row.closed_by.clone(),
        closed_at: rfc3339(row.closed_at),
        reopened_by: row.reopened_by.clone(),
        reopened_at: row.reopened_at.map(rfc3339),
        reopen_reason: row.reopen_reason.clone(),
        differences,
        report: report_link(&row.jurisdiction_code, row.month),
        version: row.version,
    })
}

/// The status of `code`'s month.
pub fn status_of(conn: &mut DbConnection, code: &str, month: Date) -> Result<MonthStatus, AppError> {
    match repo::close_of(conn, code, month)? {
        Some(row) => Ok(MonthStatus::parse(&row.status)
            .ok_or_else(|| persistence::typed::corrupt("month_closes", row.id, "status", &row.status))?),
        None => Ok(MonthStatus::Open),
    }
}

/// The filed report of `code`'s month when it is closed.
pub fn snapshot_of(conn: &mut DbConnection, code: &str, month: Date) -> Result<Option<MonthlyReport>, AppError> {
    match repo::close_of(conn, code, month)? {
        Some(row) if row.status == MonthStatus::Closed.as_str() => {
            Ok(Some(persistence::typed::stored_json("month_closes", row.id, "snapshot", &row.snapshot)?))
        }
        _ => Ok(None),
    }
}

/// The differences between each closed child's filed totals and the parent's row for it in `report`.
fn differences(
    conn: &mut DbConnection,
    report: &MonthlyReport,
    children: &[Jurisdiction],
    month: Date,
) -> Result<Vec<CloseDifference>, AppError> {
    let mut out = Vec::new();
    for child in children {
        let Some(filed) = snapshot_of(conn, &child.code, month)? else { continue };
        for section in &report.sections {
            let Some(child_section) = filed.sections.iter().find(|s| s.code == section.code) else { continue };
            let row = section.rows.iter().find(|r| r.code == child.code);
            for (i, column) in section.columns.iter().enumerate() {
                let counted = row.and_then(|r| r.values.get(i)).and_then(|v| parse_value(column.kind, v)).unwrap_or(0);
                let filed_value = child_section
                    .columns
                    .iter()
                    .position(|c| c.code == column.code)
                    .and_then(|j| child_section.total.values.get(j))
                    .and_then(|v| parse_value(column.kind, v))
                    .unwrap_or(0);
                if counted != filed_value {
                    out.push(CloseDifference {
                        child: child.code.clone(),
                        section: section.code.clone(),
                        column: column.code.clone(),
                        filed: monthly::render(column.kind, filed_value),
                        counted: monthly::render(column.kind, counted),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Closes node `code`'s `month` on `today`: 409 `month_not_over` before the month has ended, `month_closed` when
/// closed already, `children_not_closed` while a child has not closed it. Freezes the report, keeps the children's
/// differences, audits `report.close` and emits `report.month_closed`.
pub fn close(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    month: Date,
    today: Date,
) -> Result<MonthCloseView, AppError> {
    let node = node_in_scope(conn, caller, code, "/jurisdiction")?;
    let month = rules::month_start(month);
    repo::lock_month(conn, month)?;
    let status = status_of(conn, &node.code, month)?;
    let children = persistence::jurisdictions::children(conn, &node.code, None, i64::MAX)?;
    let closes = repo::closes_of_children(conn, &node.code, month)?;
    let statuses: Vec<(String, MonthStatus)> = children
        .iter()
        .map(|c| {
            let s = closes
                .iter()
                .find(|r| r.jurisdiction_code == c.code)
                .and_then(|r| MonthStatus::parse(&r.status))
                .unwrap_or(MonthStatus::Open);
            (c.code.clone(), s)
        })
        .collect();
    rules::check_close(month, today, status, &statuses).map_err(|e| AppError::violation(&e))?;
    let report = monthly::counted(conn, caller, &node, month, today)?;
    let diffs = differences(conn, &report, &children, month)?;
    let snapshot = serde_json::to_string(&report).map_err(AppError::internal)?;
    let diff_text = serde_json::to_string(&diffs).map_err(AppError::internal)?;
    let row = repo::close(conn, &node.code, month, &snapshot, &diff_text, &caller.login)?;
    let link = report_link(&node.code, month);
    persistence::events::emit(
        conn,
        &persistence::events::Emit {
            kind: domain::events::EventType::ReportMonthClosed.as_str(),
            version: 1,
            subject_type: "month_close",
            subject_id: row.id,
            retiree_id: None,
            community_code: Some(&node.code),
            previous_code: None,
            details: serde_json::json!({
                "close_id": row.id,
                "month": rules::month_code(month),
                "level": node.level.as_str(),
                "differences": diffs.len(),
                "report": link,
            }),
        },
    )?;
    let mut entry = caller.audit("report.close", "month_close", row.id, &node.path);
    entry.detail = Some(serde_json::json!({"month": rules::month_code(month), "differences": diffs.len()}).to_string());
    persistence::audit::append(conn, &entry)?;
    view(&row)
}

/// Reopens node `code`'s closed `month` (a stale `If-Match`: 412) with a reason (422 `required` without one): 409 `month_not_closed` when it
/// is not closed, `parent_month_closed` while the parent's month is closed (reopen the parent first). Audited as
/// `report.reopen` with the reason.
pub fn reopen(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    month: Date,
    if_match: Option<crate::precondition::IfMatch>,
    reason: &str,
) -> Result<MonthCloseView, AppError> {
    let node = path_node(conn, caller, code)?;
    let month = rules::month_start(month);
    repo::lock_month(conn, month)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::field(FieldError::of("/reason", domain::ErrorCode::Required)));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::field(FieldError::with(
            "/reason",
            domain::ErrorCode::Length,
            "最多500个字符",
            "must be at most 500 characters",
        )));
    }
    let row = match repo::close_of(conn, &node.code, month)? {
        Some(row) if row.status == MonthStatus::Closed.as_str() => row,
        _ => return Err(AppError::of(domain::ErrorCode::MonthNotClosed)),
    };
    crate::precondition::expect_if_sent(if_match, row.version)?;
    if let Some(parent) = node.parent_code.as_deref()
        && status_of(conn, parent, month)? == MonthStatus::Closed
    {
        return Err(AppError::of(domain::ErrorCode::ParentMonthClosed));
    }
    repo::reopen(conn, row.id, reason, &caller.login)?;
    let mut entry = caller.audit("report.reopen", "month_close", row.id, &node.path);
    entry.detail = Some(serde_json::json!({"month": rules::month_code(month), "reason": reason}).to_string());
    persistence::audit::append(conn, &entry)?;
    let row = repo::close_of(conn, &node.code, month)?.ok_or_else(|| AppError::internal("close row vanished"))?;
    view(&row)
}

/// The close of node `code`'s `month`, or 404 when it was never closed.
pub fn get(conn: &mut DbConnection, caller: &Caller, code: &str, month: Date) -> Result<MonthCloseView, AppError> {
    let node = path_node(conn, caller, code)?;
    match repo::close_of(conn, &node.code, rules::month_start(month))? {
        Some(row) => view(&row),
        None => Err(AppError::of(domain::ErrorCode::NotFound)),
    }
}
