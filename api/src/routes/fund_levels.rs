//! Funding at every level (issue 27): allocations from a parent's fund to its children (XM Art. 22), cancelling a
//! condolence (its booking reversed), the yearly statement of a fund at a node with its close and reopen. The use
//! cases are `app::care::funding::levels`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::Permission;
use domain::fund::FundKind;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, page};
use crate::routes::common::{Page, created_with_etag, enum_filter, finish, next_cursor};
use crate::state::AppState;

use app::care::funding::levels::{
    AllocationResponse, CancelCondolenceRequest, CreateAllocationRequest, ReopenYearRequest, YearStatement,
};
use app::care::funding::reversals::CancelAwardRequest;

/// Allocates part of a fund's year from a node to a direct child (XM Art. 22: the city centre allocates recipient
/// numbers and amounts to the districts, which fund those condolences accordingly; JN Art. 15: the district
/// subsidises streets and communities). What a child receives counts into what it may spend. The parent cannot
/// allocate more than its balance (budget + received − allocated − spent): 409 `allocation_exceeds_balance`; a
/// closed year on either side: 409 `statement_closed`; `from` outside the caller's subtree: 422
/// `jurisdiction_not_found`; `to` not a direct child of `from`: 422 `not_a_child`. Emits `fund.allocated`.
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"])), request_body = CreateAllocationRequest,
    responses((status = 201, body = AllocationResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::FundErrors))]
#[post("/funding/allocations")]
pub async fn create_allocation(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateAllocationRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::FundManage)?;
    let input =
        app::care::funding::levels::check_allocation(&body.0, state.clock.today()).map_err(ApiError::validation)?;
    let c = caller.0.clone();
    let a = crate::db::write(&state.pool, move |conn| app::care::funding::levels::allocate(conn, &c, input)).await?;
    Ok(created_with_etag(format!("/api/v1/funding/allocations/{}", a.id), &a, 1))
}

/// Filters of the allocation list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllocationQuery {
    /// A node in the caller's subtree (default: the caller's node); allocations received by its subtree.
    pub jurisdiction: Option<String>,
    /// Fund: `service`, `special`, `working`, `subsidy`.
    pub fund: Option<String>,
    /// Year.
    pub year: Option<i32>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Allocations received by the nodes of the caller's subtree, by id.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(AllocationQuery),
    responses((status = 200, body = Page<AllocationResponse>), crate::openapi::ReadErrors))]
#[get("/funding/allocations")]
pub async fn list_allocations(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<AllocationQuery>,
) -> Result<web::Json<Page<AllocationResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let fund = enum_filter("fund", q.fund.as_deref(), FundKind::parse, FundKind::codes(), &mut errors);
    let (limit, after) = page::<i64>("fa", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| {
        app::care::funding::levels::list_allocations(conn, &c, &code, fund, q.year, after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, "fa", |a| a.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One allocation (404 unless the receiving node is in the caller's subtree).
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Allocation id")),
    responses((status = 200, body = AllocationResponse), crate::openapi::ReadErrors))]
#[get("/funding/allocations/{id}")]
pub async fn get_allocation(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<AllocationResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let a = crate::db::run(&state.pool, move |conn| app::care::funding::levels::read_allocation(conn, &c, id)).await?;
    Ok(web::Json(a))
}

/// Cancels a condolence with a reason: it is no longer paid (amount 0; it stops counting against the kind's cap)
/// and its fund booking is reversed by a negative booking naming it (`reverses_id`) in the same transaction; the
/// year of the booking closed: 409 `statement_closed`. Twice: 409 `condolence_cancelled`; outside the subtree 404.
#[utoipa::path(tag = "care", security(("bearer" = ["retiree.write"])), request_body = CancelCondolenceRequest,
    params(("id" = i64, Path, description = "Condolence id")),
    responses((status = 200, body = app::care::condolences::CondolenceResponse), crate::openapi::CondolenceErrors))]
#[post("/condolences/{id}/cancel")]
pub async fn cancel_condolence(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CancelCondolenceRequest>,
) -> Result<web::Json<app::care::condolences::CondolenceResponse>, ApiError> {
    caller.require(Permission::RetireeWrite)?;
    let id = path.into_inner();
    let reason = body.0.reason;
    let c = caller.0.clone();
    let out =
        crate::db::write(&state.pool, move |conn| app::care::funding::levels::cancel_condolence(conn, &c, id, &reason))
            .await?;
    Ok(web::Json(out))
}

/// The fund of the path; an unknown one is 404 (no such statement).
fn fund_of(text: &str) -> Result<FundKind, ApiError> {
    FundKind::parse(text).ok_or_else(|| ApiError::from(app::AppError::of(domain::ErrorCode::NotFound)))
}

fn with_etag(v: &YearStatement) -> HttpResponse {
    HttpResponse::Ok().insert_header(("ETag", crate::extract::etag(v.version))).json(v)
}

/// The yearly statement of a fund at a node: its budget, allocations received and made (per node), spending by
/// category, balance, and per child allocated to whether the parent's allocation out equals the child's allocation
/// in (to the fen). Closed: the filed snapshot; else counted now. Outside the subtree: 404.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])),
    params(("jurisdiction" = String, Path, description = "Node code"), ("fund" = String, Path, description = "Fund: service, special, working, subsidy"),
        ("year" = i32, Path, description = "Year")),
    responses((status = 200, body = YearStatement, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/funding/year-statements/{jurisdiction}/{fund}/{year}")]
pub async fn year_statement(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String, i32)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let (code, fund, year) = path.into_inner();
    let fund = fund_of(&fund)?;
    let c = caller.0.clone();
    let v = crate::db::read(&state, &caller.login, move |conn| {
        app::care::funding::levels::year_statement(conn, &c, &code, fund, year)
    })
    .await?;
    Ok(with_etag(&v))
}

/// Closes a fund's year at a node (finance): after the year has ended (409 `year_not_over`), children that keep the
/// fund before their parent (409 `children_year_open`, naming them), once (409 `statement_closed`). The statement
/// is frozen and the year takes no booking, expense or allocation. Emits `fund.year_closed` with the link.
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"])),
    params(("jurisdiction" = String, Path, description = "Node code"), ("fund" = String, Path, description = "Fund"),
        ("year" = i32, Path, description = "Year")),
    responses((status = 200, body = YearStatement, headers(("ETag" = String))), crate::openapi::FundErrors))]
#[post("/funding/year-statements/{jurisdiction}/{fund}/{year}/close")]
pub async fn close_year(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String, i32)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::FundManage)?;
    let (code, fund, year) = path.into_inner();
    let fund = fund_of(&fund)?;
    let today = state.clock.today();
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| {
        app::care::funding::levels::close_year(conn, &c, &code, fund, year, today)
    })
    .await?;
    Ok(with_etag(&v))
}

/// Reopens a closed fund year with a reason (finance or the administrator): not closed 409 `year_not_closed`; the
/// parent's year closed 409 `parent_year_closed` (reopen the parent first). Closing again files a new snapshot.
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"]), ("bearer" = ["report.reopen"])),
    request_body = ReopenYearRequest,
    params(("jurisdiction" = String, Path, description = "Node code"), ("fund" = String, Path, description = "Fund"),
        ("year" = i32, Path, description = "Year"), ("If-Match" = Option<String>, Header, description = "ETag read")),
    responses((status = 200, body = YearStatement, headers(("ETag" = String))), crate::openapi::FundErrors))]
#[post("/funding/year-statements/{jurisdiction}/{fund}/{year}/reopen")]
pub async fn reopen_year(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String, i32)>,
    body: Json<ReopenYearRequest>,
) -> Result<HttpResponse, ApiError> {
    if caller.require(Permission::FundManage).is_err() {
        caller.require(Permission::ReportReopen)?;
    }
    let if_match = crate::extract::optional_if_match(&req)?;
    let (code, fund, year) = path.into_inner();
    let fund = fund_of(&fund)?;
    let reason = body.0.reason;
    let c = caller.0.clone();
    let v = crate::db::write(&state.pool, move |conn| {
        app::care::funding::levels::reopen_year(conn, &c, &code, fund, year, if_match, &reason)
    })
    .await?;
    Ok(with_etag(&v))
}

/// What the fund statement export is of.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FundStatementExportQuery {
    /// Year, 2000-2100.
    pub year: Option<String>,
    /// A node in the caller's subtree (default: the caller's node).
    pub node: Option<String>,
    /// Fund (default `service`).
    pub fund: Option<String>,
}

/// The yearly statement of a fund at a node as the file a clerk files (issue 27): XLSX with three sheets, `经费决算`
/// (budget, received, allocated, spent, balance), `下拨下级` (per child, the node's allocation and what the child
/// received, agreeing or not; totals row) and `支出分类` (per category; totals row), the node, fund and year in each
/// title; CSV gives the three tables one after the other. Closed years come from the filed snapshot.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])),
    params(FundStatementExportQuery, super::files::FileParams),
    responses((status = 200, description = "The file", headers(("Content-Disposition" = String,
            description = "`attachment; filename=\"fund-statement-<node>-<fund>-<year>.xlsx\"` (or `.csv`)")),
        content((String = "text/csv", example = "\u{feff}辖区代码,经费类别,本级预算,上级下拨,下拨下级,支出,结余\r\n3502,市退服中心专项经费,10000.00,0.00,9000.00,0.00,1000.00\r\n"),
            (super::exports::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::ReadErrors))]
#[get("/exports/fund-statement")]
pub async fn export_statement(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<FundStatementExportQuery>,
    file: web::Query<super::files::FileParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let year = match q.year.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(crate::error::FieldError::of("year", domain::ErrorCode::Required));
            None
        }
        Some(t) => match t.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => Some(y),
            _ => {
                errors.push(crate::error::FieldError::with(
                    "year",
                    domain::ErrorCode::InvalidValue,
                    "年度应为2000至2100",
                    "a year is 2000 to 2100",
                ));
                None
            }
        },
    };
    let fund = enum_filter("fund", q.fund.as_deref(), FundKind::parse, FundKind::codes(), &mut errors)
        .unwrap_or(FundKind::Service);
    let options = file.settle(&req, &mut errors);
    finish(errors)?;
    let (Some(year), Some(o)) = (year, options) else {
        return Err(ApiError::internal("export settled without errors"));
    };
    let code = q.node.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let out = crate::db::read(&state, &caller.login, move |conn| {
        let s = app::care::funding::levels::year_statement(conn, &c, &code, fund, year)?;
        app::care::funding::statement_file::statement_file(&s, o.format, o.encoding, o.labels)
    })
    .await?;
    Ok(super::files::file_response(out))
}

// Reports, ledgers and funds (issue 27, reports27).

/// Cancels an excellent-leader award (XM Art. 24, 21(5)) with a reason: `id` is the award's booking (as
/// `POST /funding/leader-awards` answered it). Its booking is reversed by a negative booking naming it
/// (`reverses_id`) in the same transaction, so the fund's balance and the year's quota get the place back; answers
/// the reversal. Not an award (or a reversal, or outside the subtree): 404 `not_an_award`; twice: 409
/// `award_cancelled`; the year closed: 409 `statement_closed`; no reason: 422 `required`. Emits `award.cancelled`.
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"])), request_body = CancelAwardRequest,
    params(("id" = i64, Path, description = "The award's booking (expenditure id)")),
    responses((status = 200, body = app::care::funding::expenditures::ExpenditureResponse),
        crate::openapi::AwardCancelErrors))]
#[post("/funding/leader-awards/{id}/cancel")]
pub async fn cancel_award(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<CancelAwardRequest>,
) -> Result<web::Json<app::care::funding::expenditures::ExpenditureResponse>, ApiError> {
    caller.require(Permission::FundManage)?;
    let id = path.into_inner();
    let reason = body.0.reason;
    let c = caller.0.clone();
    let out =
        crate::db::write(&state.pool, move |conn| app::care::funding::reversals::cancel_award(conn, &c, id, &reason))
            .await?;
    Ok(web::Json(out))
}
