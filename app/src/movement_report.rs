//! The monthly movement report (GUIDE 交接制度 "按月计报"): per child of a node, who was on the rolls at the start of
//! the month, who came and went, and who is on them at its end, all counted from one ledger of movements.

use domain::RetireeId;
use domain::movement::Movement;
use persistence::DbConnection;
use persistence::movement::{self as repo};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::AppError;
use crate::input::month_text;
use crate::scope::node_in_scope;

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

/// The month in which a person leaving the roll of `community_code` on an event of `month` is counted (issue 19.3):
/// the event's month, but never a month before they came onto that roll. A death or reduction dated before the
/// person was registered, received or transferred in is counted in the month they joined, so no month shows a
/// roll below zero.
pub fn leaving_month(
    conn: &mut DbConnection,
    retiree_id: impl Into<RetireeId>,
    community_code: &str,
    month: Date,
) -> Result<Date, AppError> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let month = domain::pension::month_of(month);
    Ok(repo::joined_month(conn, retiree_id, community_code)?.map_or(month, |joined| month.max(joined)))
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

/// The movement report of node `code` (in the caller's subtree, else 422 `jurisdiction_not_found`) for `month`:
/// one row per child (and one for the node itself when people are registered on it), and the node's total, the
/// sum of its rows.
pub fn movement_report(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    month: Date,
) -> Result<MovementReport, AppError> {
    let node = node_in_scope(conn, caller, code, "jurisdiction")?;
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
        // A kind the ledger does not know is a corrupt row, not a movement of nobody.
        let delta = Movement::delta(&m.kind)
            .ok_or_else(|| AppError::internal(format!("roster movement of unknown kind {:?}", m.kind)))?;
        if m.bucket == "before" {
            slot.opening += delta * m.n;
        } else {
            slot.count(&m.kind, m.n);
        }
    }
    let mut rows: Vec<MovementRow> = children.iter().zip(&sums).map(|(ch, m)| row(&ch.code, &ch.name, *m)).collect();
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
}
