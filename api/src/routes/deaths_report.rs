//! The deaths report: per child of a node, deaths reported, late, verified and their money.

use actix_web::{get, web};
use domain::{Money, Permission};
use persistence::death::{self as repo};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};

use super::common::{finish, node_in_scope};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// The deaths report query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeathsReportQuery {
    /// A node in the caller's subtree (default: the caller's node); rows are its children.
    pub jurisdiction: Option<String>,
    /// Year of death (default this year).
    pub year: Option<String>,
}

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

/// Deaths per month per child jurisdiction, late reports, and overpayments outstanding and recovered (issue 7).
#[utoipa::path(tag = "death", security(("bearer" = ["retiree.read"])), params(DeathsReportQuery),
    responses((status = 200, body = DeathsReport), crate::openapi::ReadErrors))]
#[get("/reports/deaths")]
pub async fn deaths_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<DeathsReportQuery>,
) -> Result<web::Json<DeathsReport>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let year = match q.year.as_deref() {
        None => Some(today.year()),
        Some(t) => match t.parse::<i32>() {
            Ok(y) if (1900..=9998).contains(&y) => Some(y),
            _ => {
                errors.push(FieldError::new(
                    "year",
                    "invalid_year",
                    "year 应为四位年份",
                    "year must be a four-digit year",
                ));
                None
            }
        },
    };
    finish(errors)?;
    let year = year.unwrap_or(2026);
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let answer = crate::db::run(&state.pool, move |conn| -> Result<DeathsReport, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        let children = persistence::jurisdictions::children(conn, &node.code, None, i64::MAX)?;
        let first = Date::from_calendar_date(year, time::Month::January, 1).map_err(ApiError::internal)?;
        let last = Date::from_calendar_date(year, time::Month::December, 31).map_err(ApiError::internal)?;
        let deaths = repo::verified_between(conn, &node.path, first, last)?;
        let money = repo::overpayment_totals(conn, &node.path)?;
        let mut rows: Vec<(String, DeathsRowSums)> =
            children.iter().map(|ch| (ch.path.clone(), DeathsRowSums::new(&ch.code, &ch.name))).collect();
        let mut own = DeathsRowSums::new(&node.code, &node.name);
        let row_of = |rows: &mut Vec<(String, DeathsRowSums)>, own: &mut DeathsRowSums, path: &str| -> usize {
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
        let mut out: Vec<DeathsRow> = rows.into_iter().map(|(_, r)| r.row()).collect();
        if own.used || children.is_empty() {
            out.push(own.row());
        }
        let mut total = DeathsRowSums::new(&node.code, &node.name);
        for r in &out {
            for (t, m) in total.by_month.iter_mut().zip(&r.deaths_by_month) {
                *t += m;
            }
            total.late += r.late_reports;
        }
        let fen = |t: &str| Money::parse(t).map_or(0, Money::fen);
        total.overpaid = out.iter().map(|r| fen(&r.overpaid)).sum();
        total.recovered = out.iter().map(|r| fen(&r.recovered)).sum();
        total.written_off = out.iter().map(|r| fen(&r.written_off)).sum();
        Ok(DeathsReport { jurisdiction: node.code.clone(), year, rows: out, total: total.row() })
    })
    .await?;
    Ok(web::Json(answer))
}

struct DeathsRowSums {
    code: String,
    name: String,
    by_month: [i64; 12],
    late: i64,
    overpaid: i64,
    recovered: i64,
    written_off: i64,
    used: bool,
}

impl DeathsRowSums {
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
