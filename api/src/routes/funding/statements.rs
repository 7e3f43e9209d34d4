//! Funding statements reproduced from stored snapshots, and their close.

use super::*;

pub use app::care::funding::statements::{CategoryLine, StatementResponse};

/// The funding statement of a district and year: the budget as stored with it (its headcount and figures) and the
/// ledger by category, spent and balance. Once closed it is served from the stored snapshot; before, it is
/// computed from the stored budget and ledger, so new retirees never change a past year. 404 without a budget.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])),
    params(("jurisdiction" = String, Path, description = "District code"), ("year" = i32, Path, description = "Year")),
    responses((status = 200, body = StatementResponse), crate::openapi::ReadErrors))]
#[get("/funding/statements/{jurisdiction}/{year}")]
pub async fn statement(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<web::Json<StatementResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let (code, year) = path.into_inner();
    let c = caller.0.clone();
    let out = crate::db::read(&state, &caller.login, move |conn| {
        app::care::funding::statements::statement(conn, &c, &code, year)
    })
    .await?;
    Ok(web::Json(out))
}

/// Closes the statement of a district and year: the figures as computed now are stored and served from then on;
/// no expense of that year is accepted afterwards (409 `statement_closed`). Closing twice is 409
/// `statement_closed`.
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"])),
    params(("jurisdiction" = String, Path, description = "District code"), ("year" = i32, Path, description = "Year")),
    responses((status = 200, body = StatementResponse), crate::openapi::WriteErrors))]
#[post("/funding/statements/{jurisdiction}/{year}/close")]
pub async fn close_statement(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<web::Json<StatementResponse>, ApiError> {
    caller.require(Permission::FundManage)?;
    let (code, year) = path.into_inner();
    let c = caller.0.clone();
    let out = crate::db::write(&state.pool, move |conn| {
        app::care::funding::statements::close_statement(conn, &c, &code, year)
    })
    .await?;
    Ok(web::Json(out))
}
