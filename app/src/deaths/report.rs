//! The deaths report (issue 7): per child of a node, verified deaths per month, late reports, and the money of
//! the overpayments.

use domain::Money;
use persistence::DbConnection;
use persistence::death::{self as repo};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::AppError;
use crate::scope::node_in_scope;

/// One row of the deaths report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"code": "350203001", "name": "厦港街道", "deaths_by_month": [0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    "deaths": 3, "late_reports": 1, "overpaid": "10500.00", "recovered": "5000.00", "written_off": "0.00", "outstanding": "5500.00"}))]
pub struct DeathsRow {
    /// Child code (or the node itself for people registered on it).
    pub code: String,
    /// Name.
    pub name: String,
    /// Verified deaths per month of death, January first.
    pub deaths_by_month: Vec<i64>,
    /// Their sum.
    pub deaths: i64,
    /// Of them, reported late.
    pub late_reports: i64,
    /// Overpayments recorded (not voided), yuan, any year.
    pub overpaid: String,
    /// Recovered: deducted from death benefits or repaid, yuan.
    pub recovered: String,
    /// Written off with approval, yuan.
    pub written_off: String,
    /// Still owed, yuan (referred cases included).
    pub outstanding: String,
}

/// The deaths report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeathsReport {
    /// The node.
    pub jurisdiction: String,
    /// The year.
    pub year: i32,
    /// One row per child, with zeros.
    pub rows: Vec<DeathsRow>,
    /// The node's totals (the sum of the rows).
    pub total: DeathsRow,
}

/// The deaths report of node `code` (in the caller's subtree, else 422 `jurisdiction_not_found`) for deaths in
/// `year`: one row per child (and one for the node itself when people are registered on it), and the total.
pub fn deaths_report(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    year: i32,
) -> Result<DeathsReport, AppError> {
    let node = node_in_scope(conn, caller, code, "jurisdiction")?;
    let children = persistence::jurisdictions::children(conn, &node.code, None, i64::MAX)?;
    let first = Date::from_calendar_date(year, time::Month::January, 1).map_err(AppError::internal)?;
    let last = Date::from_calendar_date(year, time::Month::December, 31).map_err(AppError::internal)?;
    let deaths = repo::verified_between(conn, &node.path, first, last)?;
    let money = repo::overpayment_totals(conn, &node.path)?;
    let mut rows: Vec<(String, Sums)> =
        children.iter().map(|ch| (ch.path.clone(), Sums::new(&ch.code, &ch.name))).collect();
    let mut own = Sums::new(&node.code, &node.name);
    let row_of = |rows: &mut Vec<(String, Sums)>, own: &mut Sums, path: &str| -> usize {
        rows.iter().position(|(p, _)| path.starts_with(p.as_str())).unwrap_or_else(|| {
            own.used = true;
            usize::MAX
        })
    };
    for (_, path, died, late) in deaths {
        let i = row_of(&mut rows, &mut own, &path);
        let r = if i == usize::MAX { &mut own } else { &mut rows[i].1 };
        r.by_month[usize::from(died.month() as u8) - 1] += 1;
        if late {
            r.late += 1;
        }
    }
    for (path, amount, recovered, written_off) in money {
        let i = row_of(&mut rows, &mut own, &path);
        let r = if i == usize::MAX { &mut own } else { &mut rows[i].1 };
        r.overpaid += amount;
        r.recovered += recovered;
        r.written_off += written_off;
    }
    let mut sums: Vec<Sums> = rows.into_iter().map(|(_, r)| r).collect();
    if own.used || children.is_empty() {
        sums.push(own);
    }
    let mut total = Sums::new(&node.code, &node.name);
    for r in &sums {
        for (t, m) in total.by_month.iter_mut().zip(&r.by_month) {
            *t += m;
        }
        total.late += r.late;
        total.overpaid += r.overpaid;
        total.recovered += r.recovered;
        total.written_off += r.written_off;
    }
    Ok(DeathsReport {
        jurisdiction: node.code.clone(),
        year,
        rows: sums.iter().map(Sums::row).collect(),
        total: total.row(),
    })
}

/// The counts and amounts (fen) of one row.
struct Sums {
    code: String,
    name: String,
    by_month: [i64; 12],
    late: i64,
    overpaid: i64,
    recovered: i64,
    written_off: i64,
    used: bool,
}

impl Sums {
    fn new(code: &str, name: &str) -> Self {
        Self {
            code: code.to_owned(),
            name: name.to_owned(),
            by_month: [0; 12],
            late: 0,
            overpaid: 0,
            recovered: 0,
            written_off: 0,
            used: false,
        }
    }

    fn row(&self) -> DeathsRow {
        DeathsRow {
            code: self.code.clone(),
            name: self.name.clone(),
            deaths_by_month: self.by_month.to_vec(),
            deaths: self.by_month.iter().sum(),
            late_reports: self.late,
            overpaid: Money::from_fen(self.overpaid).to_string(),
            recovered: Money::from_fen(self.recovered).to_string(),
            written_off: Money::from_fen(self.written_off).to_string(),
            outstanding: Money::from_fen(self.overpaid - self.recovered - self.written_off).to_string(),
        }
    }
}
