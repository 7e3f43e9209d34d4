//! Group-leader allowances and their split (XM Art. 23), the excellent-leader quota and awards paid from the fund
//! (XM Art. 24, 21(5)).

use domain::ErrorCode;
use domain::care;
use domain::fund::FundKind;
use domain::policy::FundUse;
use persistence::DbConnection;
use persistence::fund::{self as repo, NewExpenditure};
use serde::{Deserialize, Serialize};
use time::{Date, Month};
use utoipa::ToSchema;

use super::expenditures::{ExpenditureResponse, expenditure_response, spend};
use super::{SplitYuan, budget_missing, district_in_scope, snapshot_of, split_yuan};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{date_not_after, month_text};
use crate::policy_book::policy_at;
use crate::scope::node_in_scope;

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

/// The group-leader allowances under the node `jurisdiction` (in the caller's subtree, else 422
/// `jurisdiction_not_found`) for the month starting on `month` (XM Art. 23: "每人每月补贴150元…由市、区财政按4:6的比例
/// 承担"): the leaders in office that month × the monthly allowance, split city:district. A group whose leader
/// changed in the month counts once.
pub fn allowances(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: &str,
    month: Date,
) -> Result<AllowanceResponse, AppError> {
    let node = node_in_scope(conn, caller, jurisdiction, "jurisdiction")?;
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

/// An award, checked.
#[derive(Debug, Clone)]
pub struct AwardInput {
    /// The district.
    pub jurisdiction: String,
    /// The leader term.
    pub leader_id: i64,
    /// Day.
    pub on_date: Date,
}

/// The checks of an award as of `today`: the day not in the future (default today).
pub fn check_award(body: &CreateAwardRequest, today: Date) -> Result<AwardInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on_date = date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(AwardInput { jurisdiction: body.jurisdiction.clone(), leader_id: body.leader_id, on_date })
}

/// Names an excellent group leader and pays the award from the service fund (XM Art. 24:
/// "按退休人员小组长人数的10%评选优秀组长，奖励金按每人400元"; Art. 21(5)). The amount is the policy's; the quota is the
/// one stored with the year's budget; one more is 422 `excellent_quota_exceeded`, a second award to one leader in
/// a year 409 `already_awarded`. The expense is checked as any other ([`spend`]).
pub fn award(conn: &mut DbConnection, caller: &Caller, input: AwardInput) -> Result<ExpenditureResponse, AppError> {
    let on = input.on_date;
    let node = district_in_scope(conn, caller, &input.jurisdiction, "/jurisdiction")?;
    let year = on.year();
    let start = Date::from_calendar_date(year, Month::January, 1).unwrap_or(on);
    let end = Date::from_calendar_date(year, Month::December, 31).unwrap_or(on);
    let leader = persistence::groups::leaders_in_office(conn, &node.path, start, end)?
        .into_iter()
        .map(|(l, _)| l)
        .find(|l| l.id == input.leader_id)
        .ok_or_else(|| AppError::field(FieldError::of("/leader_id", ErrorCode::LeaderNotFound)))?;
    let budget = repo::budget_of(conn, &node.code, year)?.ok_or_else(|| budget_missing(year))?;
    repo::lock_budget(conn, budget.id)?;
    let snapshot = snapshot_of(&budget)?;
    let quota = snapshot.group_leaders.excellent_quota;
    // Cancelled awards (reversed) give their place back.
    let awarded = super::reversals::standing_awards(&repo::expenditures_of(conn, &node.code, "service", year)?);
    if awarded >= quota {
        let source = &snapshot.group_leaders.excellent_source;
        return Err(AppError::with(
            ErrorCode::ExcellentQuotaExceeded,
            format!("本年度优秀小组长名额{quota}名已满（{source}）"),
            format!("the {quota} excellent-leader places of the year are taken ({source})"),
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
        created_by: caller.login.clone(),
        created_at: persistence::now_utc(),
        fund: FundKind::Service.as_str().to_owned(),
        condolence_id: None,
        reverses_id: None,
    };
    // The award is a payment booked against the service fund (XM Art. 21(5)): beyond the balance 409.
    Ok(expenditure_response(spend(conn, caller, &node, e, true)?))
}
