//! The expenditure ledger by allowed category (XM Art. 21(1)-(7); CS Art. 10 para. 2; JN Art. 15).

use super::*;

use app::care::funding::expenditures::{CreateExpenditureRequest, ExpenditureResponse};

/// Records an expense of the service fund. A category the policy does not allow (XM Art. 21(1)-(7); CS Art. 10
/// para. 2; JN Art. 15) is 422 `expense_category_not_allowed`; beyond the year's budget 422 `budget_exceeded`;
/// without a budget 422 `budget_missing`; after the statement is closed 409 `statement_closed`. Excellent-leader
/// awards go through `POST /funding/leader-awards` (409 `use_leader_awards` here).
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"])), request_body = CreateExpenditureRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = ExpenditureResponse, headers(("Location" = String))), crate::openapi::FundErrors))]
#[post("/funding/expenditures")]
pub async fn create_expenditure(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateExpenditureRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::FundManage)?;
    let body = body.0;
    let input = app::care::funding::expenditures::check_expense(&body, today)?;
    let fingerprint = crate::idempotency::fingerprint("POST /funding/expenditures", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let saved = app::care::funding::expenditures::create_expenditure(conn, &c, input)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/funding/expenditures/{}", saved.id),
            version: 1,
            body: serde_json::to_value(saved).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// Filters of the ledger.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpenditureQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Year.
    pub year: Option<i32>,
    /// Category.
    pub category: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The expenditure ledger of the districts in the caller's subtree, by id (append-only; XM Art. 26, CS Art. 11:
/// earmarked and open to audit).
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(ExpenditureQuery),
    responses((status = 200, body = Page<ExpenditureResponse>), crate::openapi::ReadErrors))]
#[get("/funding/expenditures")]
pub async fn list_expenditures(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ExpenditureQuery>,
) -> Result<web::Json<Page<ExpenditureResponse>>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>("ex", q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let category = enum_filter("category", q.category.as_deref(), FundUse::parse, FundUse::codes(), &mut errors);
    finish(errors)?;
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.0.clone();
    let items = crate::db::run(&state.pool, move |conn| {
        app::care::funding::expenditures::list_expenditures(conn, &c, &code, q.year, category, after, limit)
    })
    .await?;
    let next = next_cursor(&items, limit, "ex", |e| e.id.to_string());
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// One expenditure of the ledger.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Expenditure id")),
    responses((status = 200, body = ExpenditureResponse), crate::openapi::ReadErrors))]
#[get("/funding/expenditures/{id}")]
pub async fn get_expenditure(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<ExpenditureResponse>, ApiError> {
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.0.clone();
    let e = crate::db::run(&state.pool, move |conn| app::care::funding::expenditures::read_expenditure(conn, &c, id))
        .await?;
    Ok(web::Json(e))
}
