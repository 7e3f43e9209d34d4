//! The deaths report: per child of a node, deaths reported, late, verified and their money.

use actix_web::{get, web};
use domain::{ErrorCode, Permission};
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::finish;
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::state::AppState;

use app::deaths::DeathsReport;

/// The deaths report query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeathsReportQuery {
    /// A node in the caller's subtree (default: the caller's node); rows are its children.
    pub jurisdiction: Option<String>,
    /// Year of death (default this year).
    pub year: Option<String>,
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
                errors.push(FieldError::with(
                    "year",
                    ErrorCode::InvalidYear,
                    "year 应为四位年份",
                    "year must be a four-digit year",
                ));
                None
            }
        },
    };
    finish(errors)?;
    let Some(year) = year else { return Err(ApiError::internal("year checked above")) };
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let answer =
        crate::db::read(&state, &caller.login, move |conn| app::deaths::report::deaths_report(conn, &c, &code, year))
            .await?;
    Ok(web::Json(answer))
}
