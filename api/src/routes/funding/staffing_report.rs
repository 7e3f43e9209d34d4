//! The staffing and archive-facility report (JN Art. 11, 12, 20).

use super::*;

use app::care::funding::staffing::StaffingReport;

/// Query of the staffing report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffingQuery {
    /// A district in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
}

/// The staffing and archive-facility requirements of a district under its policy (JN Art. 11: a worker per 1,500
/// retirees received, one for 500-1,500, a part-time worker under 500, the district office and each street at least
/// 2 more; Art. 12: an archive keeper per 10,000 volumes; Art. 20: 60 m² of storage per 10,000 volumes). The archive
/// volumes are counted from the archive records (issue 23), with the shortfall of keepers and storage of the
/// district's repositories together and of each one.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(StaffingQuery),
    responses((status = 200, body = StaffingReport), crate::openapi::ReadErrors))]
#[get("/reports/staffing")]
pub async fn staffing(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<StaffingQuery>,
) -> Result<web::Json<StaffingReport>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let out = crate::db::read(&state, &caller.login, move |conn| {
        app::care::funding::staffing::staffing(conn, &c, &code, today)
    })
    .await?;
    Ok(web::Json(out))
}
