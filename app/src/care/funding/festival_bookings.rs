//! A festival list's condolences booked against the fund like single ones (XM Art. 22: the city centre allocates
//! recipient numbers to the districts, which fund those condolences accordingly; XM Art. 21(1)): in the list's
//! transaction, set-based, at the nearest node from each community upwards that keeps the fund; over the balance
//! the whole list is refused (409 `payment_over_budget`) and nothing is recorded.

use std::collections::{BTreeMap, HashMap};

use domain::ErrorCode;
use domain::fund::{self as rules, FundKind};
use domain::policy::CondolenceKind;
use persistence::DbConnection;
use persistence::fund as repo;
use persistence::fund_levels::{self as levels, BatchBooking};
use persistence::jurisdictions::Jurisdiction;
use time::Date;

use super::yuan;
use crate::caller::Caller;
use crate::error::AppError;
use crate::policy_book::policy_at;

/// What a paying node books of a list.
struct Share {
    node: Jurisdiction,
    communities: Vec<String>,
    n: i64,
    fen: i64,
}

/// Books the paid condolences of festival list `batch_id` (kind `kind`, day `on`) against the paying nodes' funds:
/// per community the fund the kind is paid from (`funds_for_condolence`) at the nearest node upwards that keeps it
/// for the year (a budget or an allocation received), the category the policy there allows; one booking per
/// condolence, linked both ways; one audit entry `expenditure.create` per paying node. Per paying node the sum must
/// fit the balance, else 409 `payment_over_budget` naming the node (the caller's transaction rolls back: nothing of
/// the list is recorded). Communities under no node keeping a fund are not booked. Answers (bookings, fen).
pub(crate) fn book_festival_list(
    conn: &mut DbConnection,
    caller: &Caller,
    batch_id: i64,
    kind: CondolenceKind,
    on: Date,
) -> Result<(i64, i64), AppError> {
    let year = on.year();
    let mut keeps: HashMap<(String, FundKind), bool> = HashMap::new();
    let mut plan: BTreeMap<(String, &'static str), Share> = BTreeMap::new();
    for g in levels::batch_communities(conn, batch_id)? {
        let nodes = super::levels::chain(conn, &g.community_code)?;
        'funds: for fund in rules::funds_for_condolence(kind) {
            for node in &nodes {
                let key = (node.code.clone(), *fund);
                let kept = match keeps.get(&key) {
                    Some(k) => *k,
                    None => {
                        let k = repo::budget_of_fund(conn, &node.code, fund.as_str(), year)?.is_some()
                            || !levels::allocations_in(conn, &node.code, fund.as_str(), year)?.is_empty();
                        keeps.insert(key, k);
                        k
                    }
                };
                if !kept {
                    continue;
                }
                let share = plan.entry((node.code.clone(), fund.as_str())).or_insert_with(|| Share {
                    node: node.clone(),
                    communities: Vec::new(),
                    n: 0,
                    fen: 0,
                });
                share.communities.push(g.community_code.clone());
                share.n += g.n;
                share.fen += g.fen;
                break 'funds;
            }
        }
    }
    let (mut booked, mut total) = (0_i64, 0_i64);
    for ((_, fund_code), share) in &plan {
        let fund = FundKind::parse(fund_code).ok_or_else(|| AppError::internal("unchecked fund"))?;
        super::levels::ensure_open(conn, &share.node.code, fund, year)?;
        let figures = super::levels::lock_and_figures(conn, &share.node.code, fund, year)?;
        if rules::check_payment(&figures, share.fen).is_err() {
            let left = figures.balance_fen();
            return Err(AppError::with(
                ErrorCode::PaymentOverBudget,
                format!(
                    "节日慰问名单超出{}经费结余：结余{}元，名单中本级支付{}人共{}元；整份名单未登记",
                    share.node.name,
                    yuan(left),
                    share.n,
                    yuan(share.fen)
                ),
                format!(
                    "the festival list exceeds the balance of {} ({}): {} left, {} people for {} on the list; \
                     nothing of the list was recorded",
                    share.node.code,
                    fund.as_str(),
                    yuan(left),
                    share.n,
                    yuan(share.fen)
                ),
            ));
        }
        let policy = policy_at(conn, &share.node.path, on)?;
        let candidates = rules::categories_for_condolence(kind);
        let category = candidates.iter().find(|c| policy.allows_use(**c)).copied().unwrap_or(candidates[0]);
        if !policy.allows_use(category) {
            return Err(AppError::with(
                ErrorCode::ExpenseCategoryNotAllowed,
                format!("适用的政策不允许经费用于“{}”", category.label_zh()),
                format!("the policy in force does not allow the fund to pay for {category}"),
            ));
        }
        let description = format!("{}（节日慰问名单{batch_id}，慰问记录", kind.label_zh());
        let n = levels::book_batch(
            conn,
            &BatchBooking {
                batch_id,
                communities: &share.communities,
                node: &share.node.code,
                fund: fund.as_str(),
                category: category.as_str(),
                description: &description,
                actor: &caller.login,
            },
        )?;
        let mut entry = caller.audit("expenditure.create", "festival_list", batch_id, &share.node.path);
        entry.detail = Some(
            serde_json::json!({"fund": fund.as_str(), "category": category.as_str(), "amount_fen": share.fen,
                "year": year, "festival_list_id": batch_id, "bookings": n})
            .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        booked += n as i64;
        total += share.fen;
    }
    Ok((booked, total))
}
