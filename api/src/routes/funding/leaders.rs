//! Group-leader allowances and their split (XM Art. 23), the excellent-leader quota and awards paid from the fund
//! (XM Art. 24, 21(5)).

use super::expenditures::{expenditure_response, spend};
use super::*;

/// Which month.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllowanceQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Month (`YYYY-MM`), default this month.
    pub month: Option<String>,
}

/// The leader allowances of a month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"jurisdiction": "350203", "month": "2026-05", "leaders": 10, "monthly_allowance": "150.00",
    "allowance_city_share": "0.4", "source": "XM Art. 23",
    "amount": {"total": "1500.00", "city": "600.00", "district": "900.00"}}))]
pub struct AllowanceResponse {
    /// The node.
    pub jurisdiction: String,
    /// Month.
    pub month: String,
    /// Leaders in office some day of the month (one per group at a time).
    pub leaders: i64,
    /// Allowance per leader, yuan (policy on the first of the month).
    pub monthly_allowance: String,
    /// City share.
    pub allowance_city_share: String,
    /// Article.
    pub source: String,
    /// Leaders × allowance, split between city and district.
    pub amount: SplitYuan,
}

/// The group-leader allowances of a node for a month (XM Art. 23: "每人每月补贴150元…由市、区财政按4:6的比例承担"):
/// the leaders in office that month × the monthly allowance, split city:district. A group whose leader changed in
/// the month counts once.
#[utoipa::path(tag = "funding", security(("bearer" = ["retiree.read"])), params(AllowanceQuery),
    responses((status = 200, body = AllowanceResponse), crate::openapi::ReadErrors))]
#[get("/funding/leader-allowances")]
pub async fn leader_allowances(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<AllowanceQuery>,
) -> Result<web::Json<AllowanceResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let month = match q.month.as_deref() {
        Some(m) => parse_month("month", m).map_err(|e| errors.push(e)).ok(),
        None => Some(domain::pension::month_of(today)),
    };
    finish(errors)?;
    let month = month.unwrap_or_else(|| domain::pension::month_of(today));
    let code = q.jurisdiction.unwrap_or_else(|| caller.jurisdiction_code.clone());
    let c = caller.clone();
    let out = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let node = node_in_scope(conn, &c, &code, "jurisdiction")?;
        let policy = policy_at(conn, &node.path, month)?;
        let last = domain::movement::month_end(month);
        let mut groups: Vec<i64> = persistence::groups::leaders_in_office(conn, &node.path, month, last)?
            .iter()
            .map(|(l, _)| l.group_id)
            .collect();
        groups.sort_unstable();
        groups.dedup();
        let leaders = groups.len() as i64;
        let g = &policy.group_leaders;
        Ok(AllowanceResponse {
            jurisdiction: node.code,
            month: month_text(month),
            leaders,
            monthly_allowance: g.monthly_allowance.value.to_string(),
            allowance_city_share: g.allowance_city_share.value.to_string(),
            source: g.monthly_allowance.source.clone(),
            amount: split_yuan(care::allowance_for(leaders, g.monthly_allowance.value, g.allowance_city_share.value)),
        })
    })
    .await?;
    Ok(web::Json(out))
}

/// An award.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203", "leader_id": 5, "on_date": "2026-12-01"}))]
pub struct CreateAwardRequest {
    /// The district (its budget pays; XM Art. 21(5)).
    pub jurisdiction: String,
    /// The leader term awarded: in the district, in office some day of the award's year.
    pub leader_id: i64,
    /// Day (YYYY-MM-DD), default today, not in the future; its year is the award year.
    #[schema(format = Date)]
    pub on_date: Option<String>,
}

/// Names an excellent group leader and pays the award from the service fund (XM Art. 24:
/// "按退休人员小组长人数的10%评选优秀组长，奖励金按每人400元"; Art. 21(5)). The amount is the policy's; the quota is the
/// one stored with the year's budget (leaders on its reference date × ratio, rounded); one more is 422
/// `excellent_quota_exceeded`, a second award to one leader in a year 409 `already_awarded`. The expense is checked
/// as any other (`expense_category_not_allowed`, `budget_exceeded`).
#[utoipa::path(tag = "funding", security(("bearer" = ["fund.manage"])), request_body = CreateAwardRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = ExpenditureResponse, headers(("Location" = String))), crate::openapi::FundErrors))]
#[post("/funding/leader-awards")]
pub async fn create_award(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateAwardRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::FundManage)?;
    let body = body.0;
    let mut errors = Vec::new();
    let on = crate::routes::common::date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    finish(errors)?;
    let fingerprint = crate::idempotency::fingerprint("POST /funding/leader-awards", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let node = district_in_scope(conn, &c, &body.jurisdiction, "/jurisdiction")?;
        let year = on.year();
        let start = Date::from_calendar_date(year, Month::January, 1).unwrap_or(on);
        let end = Date::from_calendar_date(year, Month::December, 31).unwrap_or(on);
        let leader = persistence::groups::leaders_in_office(conn, &node.path, start, end)?
            .into_iter()
            .map(|(l, _)| l)
            .find(|l| l.id == body.leader_id)
            .ok_or_else(|| {
                ApiError::field(FieldError::new(
                    "/leader_id",
                    "leader_not_found",
                    "该区本年度没有这位小组长",
                    "no such leader in office in the district this year",
                ))
            })?;
        let budget = repo::budget_of(conn, &node.code, year)?.ok_or_else(|| {
            unprocessable(
                "budget_missing",
                format!("{year}年度尚未编制经费预算"),
                format!("there is no budget for {year}"),
            )
        })?;
        repo::lock_budget(conn, budget.id)?;
        let snapshot: BudgetSnapshot = serde_json::from_str(&budget.snapshot).map_err(ApiError::internal)?;
        let quota = snapshot.group_leaders.excellent_quota;
        let awarded = repo::expenditures_of(conn, &node.code, year)?
            .iter()
            .filter(|e| e.category == FundUse::ExcellentLeaderAward)
            .count() as i64;
        if awarded >= quota {
            return Err(unprocessable(
                "excellent_quota_exceeded",
                format!("本年度优秀小组长名额{quota}名已满（{}）", snapshot.group_leaders.excellent_source),
                format!(
                    "the {quota} excellent-leader places of the year are taken ({})",
                    snapshot.group_leaders.excellent_source
                ),
            ));
        }
        let policy = policy_at(conn, &node.path, on)?;
        let e = NewExpenditure {
            jurisdiction_code: node.code.clone(),
            year,
            on_date: on,
            category: FundUse::ExcellentLeaderAward.as_str().to_owned(),
            amount_fen: policy.group_leaders.excellent_award.value.fen(),
            description: format!("优秀小组长奖励金：{}", leader.name),
            leader_id: Some(leader.id),
            created_by: c.login.clone(),
            created_at: persistence::now_utc(),
        };
        let saved = spend(conn, &c, &node, e)?;
        Ok(crate::idempotency::Created {
            location: format!(
                "/api/v1/funding/expenditures?jurisdiction={}&year={year}&category=excellent_leader_award",
                node.code
            ),
            version: 1,
            body: serde_json::to_value(expenditure_response(saved)).map_err(ApiError::internal)?,
        })
    })
    .await
}
