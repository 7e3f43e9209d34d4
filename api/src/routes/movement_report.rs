//! The monthly movement report (GUIDE 交接制度 "按月计报").

use actix_web::{get, web};
use domain::Permission;
use domain::pension::{self as pension_rules};
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::finish;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use app::input::parse_month;

use app::movement_report::MovementReport;

/// Query of the report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementReportQuery {
    /// A node in the caller's subtree (default: the caller's node); rows are its children.
    pub jurisdiction: Option<String>,
    /// Month (`YYYY-MM`), default this month.
    pub month: Option<String>,
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
    let report = crate::db::read(&state, &caller.login, move |conn| {
        app::movement_report::movement_report(conn, &c, &code, month)
    })
    .await?;
    Ok(web::Json(report))
}
