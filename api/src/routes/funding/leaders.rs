//! Group-leader allowances and their split (XM Art. 23), the excellent-leader quota and awards paid from the fund
//! (XM Art. 24, 21(5)).

use super::*;

use app::care::funding::expenditures::ExpenditureResponse;
use app::care::funding::leaders::{AllowanceResponse, CreateAwardRequest};

/// Which month.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllowanceQuery {
    /// A node in the caller's subtree (default: the caller's node).
    pub jurisdiction: Option<String>,
    /// Month (`YYYY-MM`), default this month.
    pub month: Option<String>,
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
    let c = caller.0.clone();
    let out = crate::db::run(&state.pool, move |conn| app::care::funding::leaders::allowances(conn, &c, &code, month))
        .await?;
    Ok(web::Json(out))
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
    let input = app::care::funding::leaders::check_award(&body, today).map_err(ApiError::validation)?;
    let fingerprint = crate::idempotency::fingerprint("POST /funding/leader-awards", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let c = caller.0.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let saved = app::care::funding::leaders::award(conn, &c, input)?;
        Ok(crate::idempotency::Created {
            location: format!(
                "/api/v1/funding/expenditures?jurisdiction={}&year={}&category=excellent_leader_award",
                saved.jurisdiction, saved.year
            ),
            version: 1,
            body: serde_json::to_value(saved).map_err(ApiError::internal)?,
        })
    })
    .await
}
