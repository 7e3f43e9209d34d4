//! The monthly movement report (GUIDE 交接制度 "按月计报").

use actix_web::{get, web};
use domain::Permission;
use domain::movement::Movement;
use domain::pension::{self as pension_rules};
use persistence::movement::{self as repo};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::{finish, node_in_scope};
use super::pension::{month_text, parse_month};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Query of the report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementReportQuery {
    /// A node in the caller's subtree (default: the caller's node); rows are its children.
    pub jurisdiction: Option<String>,
    /// Month (`YYYY-MM`), default this month.
    pub month: Option<String>,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"code": "350203001", "name": "厦港街道", "opening": 1200, "registered": 0, "received": 9,
    "transferred_in": 2, "transferred_out": 1, "reduced": 3, "reinstated": 0, "closing": 1207}))]
pub struct MovementRow {
    /// Code of the child (or of the node itself, for people registered on it).
    pub code: String,
    /// Name.
    pub name: String,
    /// On the rolls at the start of the month.
    pub opening: i64,
    /// Registered directly (single creates and imports).
    pub registered: i64,
    /// Received by handover.
    pub received: i64,
    /// Transferred in (from another community; within the node too).
    pub transferred_in: i64,
    /// Transferred out.
    pub transferred_out: i64,
    /// Reduced (died, moved out of the city, other).
    pub reduced: i64,
    /// Reductions reversed (a death report reversed).
    pub reinstated: i64,
    /// On the rolls at the end of the month: opening + registered + received + transferred in + reinstated −
    /// transferred out − reduced.
    pub closing: i64,
}

/// The report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MovementReport {
    /// The node.
    pub jurisdiction: String,
    /// The month (`YYYY-MM`).
    pub month: String,
    /// One row per child, with zeros.
    pub rows: Vec<MovementRow>,
    /// The node: the sum of its rows.
    pub total: MovementRow,
}

fn row(code: &str, name: &str, m: Movement) -> MovementRow {
    MovementRow {
        code: code.to_owned(),
        name: name.to_owned(),
        opening: m.opening,
        registered: m.registered,
        received: m.received,
        transferred_in: m.transferred_in,
        transferred_out: m.transferred_out,
        reduced: m.reduced,
        reinstated: m.reinstated,
        closing: m.closing(),
    }
}

/// The monthly movement report (GUIDE 交接制度 "按月计报"): per child of the node, the opening count, who came
/// (registered, received by handover, transferred in, reinstated) and who went (transferred out, reduced), and the
/// closing count. Every row balances, and the node's total is the sum of its rows, because all of it is counted
/// from one ledger of movements.
#[utoipa::path(tag = "movements", security(("bearer" = ["retiree.read"])), params(MovementReportQuery),
    responses((status = 200, body = MovementReport), crate::openapi::ReadErrors))]
#[get("/reports/movements")]
pub async fn movement_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<MovementReportQuery>,
) -> Result<web::Json<MovementReport>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let month = match q.month.as_deref() {
        Some(m) => parse_month("month", m).map_err(|e| errors.push(e)).ok(),
        None => Some(pension_rules::month_of(today)),
    };
    finish(errors)?;
    let month = month.unwrap_or_else(|| pension_rules::month_of(today));
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let report = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        let children = persistence::jurisdictions::children(conn, &node.code, None, i64::MAX)?;
        let mut sums: Vec<Movement> = vec![Movement::default(); children.len()];
        let mut own = Movement::default();
        let mut own_used = false;
        for m in repo::counts(conn, &node.path, month)? {
            let slot = match children.iter().position(|ch| m.path.starts_with(&ch.path)) {
                Some(i) => &mut sums[i],
                None => {
                    own_used = true;
                    &mut own
                }
            };
            if m.bucket == "before" {
                slot.opening += Movement::delta(&m.kind).unwrap_or(0) * m.n;
            } else {
                slot.count(&m.kind, m.n);
            }
        }
        let mut rows: Vec<MovementRow> =
            children.iter().zip(&sums).map(|(ch, m)| row(&ch.code, &ch.name, *m)).collect();
        let mut total = sums.iter().fold(Movement::default(), |a, b| a.plus(*b));
        if own_used || children.is_empty() {
            rows.push(row(&node.code, &node.name, own));
            total = total.plus(own);
        }
        Ok(MovementReport {
            jurisdiction: node.code.clone(),
            month: month_text(month),
            rows,
            total: row(&node.code, &node.name, total),
        })
    })
    .await?;
    Ok(web::Json(report))
}
