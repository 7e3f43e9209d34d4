//! The expenditure ledger by allowed category (XM Art. 21(1)-(7); CS Art. 10 para. 2; JN Art. 15).

use super::*;

/// An expenditure.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 3, "jurisdiction": "350203", "year": 2026, "on_date": "2026-10-20",
    "category": "activities", "amount": "500.00", "description": "重阳节文艺汇演场地", "leader_id": null,
    "created_by": "finance", "created_at": "2026-10-20T03:00:00Z"}))]
pub struct ExpenditureResponse {
    /// Id.
    pub id: i64,
    /// The district.
    pub jurisdiction: String,
    /// Budget year.
    pub year: i32,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Category.
    pub category: FundUse,
    /// Amount, yuan.
    pub amount: String,
    /// What for.
    pub description: String,
    /// The excellent leader awarded (category `excellent_leader_award`).
    pub leader_id: Option<i64>,
    /// Who.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

pub(super) fn expenditure_response(e: Expenditure) -> ExpenditureResponse {
    ExpenditureResponse {
        id: e.id,
        jurisdiction: e.jurisdiction_code,
        year: e.year,
        on_date: e.on_date,
        category: e.category,
        amount: yuan(e.amount_fen),
        description: e.description,
        leader_id: e.leader_id,
        created_by: e.created_by,
        created_at: instant(e.created_at),
    }
}

/// Checks an expense against the rules and records it: an open statement, a budget for the year, a category the
/// policy allows on the day, and the budget not exceeded.
pub(super) fn spend(
    conn: &mut DbConnection,
    caller: &Caller,
    node: &Jurisdiction,
    e: NewExpenditure,
) -> Result<Expenditure, ApiError> {
    if repo::statement_of(conn, &node.code, e.year)?.is_some() {
        return Err(ApiError::of(domain::ErrorCode::StatementClosed));
    }
    let budget = repo::budget_of(conn, &node.code, e.year)?.ok_or_else(|| {
        unprocessable(
            "budget_missing",
            format!("{}年度尚未编制经费预算", e.year),
            format!("there is no budget for {}", e.year),
        )
    })?;
    repo::lock_budget(conn, budget.id)?;
    let policy = policy_at(conn, &node.path, e.on_date)?;
    let category = FundUse::parse(&e.category).ok_or_else(|| ApiError::internal("unchecked category"))?;
    if !policy.allows_use(category) {
        return Err(unprocessable(
            "expense_category_not_allowed",
            format!("适用的政策不允许经费用于“{}”", category.label_zh()),
            format!("the policy in force does not allow the fund to pay for {category}"),
        ));
    }
    let spent = repo::spent(conn, &node.code, e.year)?;
    if spent + e.amount_fen > budget.total_fen {
        return Err(unprocessable(
            "budget_exceeded",
            format!(
                "超出预算：预算{}元，已支出{}元，本次{}元",
                yuan(budget.total_fen),
                yuan(spent),
                yuan(e.amount_fen)
            ),
            format!(
                "over budget: budget {}, spent {}, this expense {}",
                yuan(budget.total_fen),
                yuan(spent),
                yuan(e.amount_fen)
            ),
        ));
    }
    let saved = repo::insert_expenditure(conn, &e).map_err(|err| match err {
        persistence::RepoError::Unique(_) => ApiError::of(domain::ErrorCode::AlreadyAwarded),
        other => other.into(),
    })?;
    let mut entry = caller.audit("expenditure.create", "fund_expenditure", saved.id, &node.path);
    entry.detail = Some(
        serde_json::json!({"category": saved.category, "amount_fen": saved.amount_fen, "year": saved.year}).to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(saved)
}

/// An expense to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203", "on_date": "2026-10-20", "category": "activities",
    "amount": "500.00", "description": "重阳节文艺汇演场地"}))]
pub struct CreateExpenditureRequest {
    /// A district in the caller's subtree.
    pub jurisdiction: String,
    /// Day (YYYY-MM-DD), default today, not in the future; its year is the budget year.
    #[schema(format = Date)]
    pub on_date: Option<String>,
    /// Category; the policy of the district on the day must allow it.
    pub category: FundUse,
    /// Amount, yuan, above 0.
    #[schema(value_type = String, example = "500.00")]
    pub amount: Money,
    /// What for, 1-200 characters.
    pub description: String,
}

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
    let mut errors = Vec::new();
    let on = crate::routes::common::date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let description = check_name("/description", &body.description, 200, &mut errors);
    if body.amount.fen() == 0 {
        errors.push(FieldError::new("/amount", "must_be_positive", "金额应大于0", "amount must be above 0"));
    }
    finish(errors)?;
    if body.category == FundUse::ExcellentLeaderAward {
        return Err(ApiError::of(domain::ErrorCode::UseLeaderAwards));
    }
    let fingerprint = crate::idempotency::fingerprint("POST /funding/expenditures", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let node = district_in_scope(conn, &c, &body.jurisdiction, "/jurisdiction")?;
        let e = NewExpenditure {
            jurisdiction_code: node.code.clone(),
            year: on.year(),
            on_date: on,
            category: body.category.as_str().to_owned(),
            amount_fen: body.amount.fen(),
            description,
            leader_id: None,
            created_by: c.login.clone(),
            created_at: persistence::now_utc(),
        };
        let saved = spend(conn, &c, &node, e)?;
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/funding/expenditures/{}", saved.id),
            version: 1,
            body: serde_json::to_value(expenditure_response(saved)).map_err(ApiError::internal)?,
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
    let c = caller.clone();
    let found = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        Ok(repo::list_expenditures(conn, &node.path, q.year, category.map(FundUse::as_str), after, limit)?)
    })
    .await?;
    let next = next_cursor(&found, limit, "ex", |e| e.id.to_string());
    Ok(web::Json(Page { items: found.into_iter().map(expenditure_response).collect(), next_cursor: next }))
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
    let c = caller.clone();
    let e = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let e = repo::find_expenditure(conn, id)?;
        let node = persistence::jurisdictions::find(conn, &e.jurisdiction_code)?;
        if !c.sees(&node.path) {
            return Err(ApiError::not_found());
        }
        Ok(e)
    })
    .await?;
    Ok(web::Json(expenditure_response(e)))
}
