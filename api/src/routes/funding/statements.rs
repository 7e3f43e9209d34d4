//! Funding statements reproduced from stored snapshots, and their close.

use super::*;

use app::care::funding::statements::StatementResponse;

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

/// Retired (issue 27): the district statement's own close gave way to the yearly close of the service fund at any
/// node, which checks that the children closed first and files the statement with its allocations. This path
/// answers 410 `endpoint_retired` to anybody allowed to close funds, with `Link: <…/funding/year-statements/
/// {jurisdiction}/service/{year}/close>; rel="successor-version"` and `Deprecation: true`; nothing is closed.
/// Statements closed through it before stay filed and are still served by `GET`.
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"])),
    params(("jurisdiction" = String, Path, description = "District code"), ("year" = i32, Path, description = "Year")),
    responses((status = 410, description = "Retired: close the year with the successor named in `Link`",
        headers(("Link" = String, description = "The successor: the service fund's year close of this node and year"),
            ("Deprecation" = String, description = "`true`"))),
        crate::openapi::RetiredErrors))]
#[post("/funding/statements/{jurisdiction}/{year}/close")]
pub async fn close_statement(caller: Caller, path: web::Path<(String, i32)>) -> Result<HttpResponse, ApiError> {
    use actix_web::ResponseError as _;
    caller.require(Permission::FundManage)?;
    let (code, year) = path.into_inner();
    let mut res = ApiError::from(app::AppError::of(domain::ErrorCode::EndpointRetired)).error_response();
    let link = format!("</api/v1/funding/year-statements/{code}/service/{year}/close>; rel=\"successor-version\"");
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&link) {
        res.headers_mut().insert(actix_web::http::header::LINK, v);
    }
    res.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("deprecation"),
        actix_web::http::header::HeaderValue::from_static("true"),
    );
    Ok(res)
}
