//! Funding at every level (issue 27): a fund's figures at a node (budget, allocations in and out, spending),
//! allocations from a parent to its children (XM Art. 22), condolences booked against the paying node's fund in the
//! same transaction and reversed when cancelled, and the yearly statement with its close and reopen.

use domain::ErrorCode;
use domain::fund::{self as rules, FundKind, YearCloseRefusal, YearFigures, YearStatus};
use domain::policy::FundUse;
use domain::{Level, Money};
use persistence::DbConnection;
use persistence::fund::{self as repo, Expenditure, NewExpenditure};
use persistence::fund_levels::{self as levels, Allocation, NewAllocation};
use persistence::jurisdictions::{self, Jurisdiction};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::statements::CategoryLine;
use super::{snapshot_of, yuan};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_text, date_not_after};
use crate::policy_book::policy_at;
use crate::scope::node_in_scope;

/// 409 `statement_closed` when the fund's year is closed at the node (or, for the service fund, the district
/// statement of the year is closed).
pub(crate) fn ensure_open(conn: &mut DbConnection, code: &str, fund: FundKind, year: i32) -> Result<(), AppError> {
    let old = fund == FundKind::Service && repo::statement_of(conn, code, year)?.is_some();
    if old || levels::is_closed(conn, code, fund.as_str(), year)? {
        return Err(AppError::of(ErrorCode::StatementClosed));
    }
    Ok(())
}

/// The fund's year at a node, with its budget row locked (so bookings and allocations are checked one after the
/// other on PostgreSQL too; SQLite write transactions are serial).
pub(crate) fn lock_and_figures(
    conn: &mut DbConnection,
    code: &str,
    fund: FundKind,
    year: i32,
) -> Result<YearFigures, AppError> {
    let budget = repo::budget_of_fund(conn, code, fund.as_str(), year)?;
    if let Some(b) = &budget {
        repo::lock_budget(conn, b.id)?;
    }
    figures(conn, code, fund, year, budget.map_or(0, |b| b.total_fen))
}

fn figures(
    conn: &mut DbConnection,
    code: &str,
    fund: FundKind,
    year: i32,
    budget: i64,
) -> Result<YearFigures, AppError> {
    let inn: i64 = levels::allocations_in(conn, code, fund.as_str(), year)?.iter().map(|a| a.amount_fen).sum();
    let out: i64 = levels::allocations_out(conn, code, fund.as_str(), year)?.iter().map(|a| a.amount_fen).sum();
    Ok(YearFigures {
        budget_fen: budget,
        allocated_in_fen: inn,
        allocated_out_fen: out,
        spent_fen: repo::spent(conn, code, fund.as_str(), year)?,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Allocations

/// An allocation to make.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"fund": "special", "year": 2026, "from": "3502", "to": "350203", "recipients": 40,
    "amount": "8000.00", "on_date": "2026-01-10", "note": "春节困难退休人员慰问名额"}))]
pub struct CreateAllocationRequest {
    /// The fund.
    pub fund: FundKind,
    /// Year, 2000-2100.
    pub year: i32,
    /// The allocating node, in the caller's subtree.
    pub from: String,
    /// A direct child of `from`.
    pub to: String,
    /// Recipients allocated (XM Art. 22: "各区财政按市退服中心分配的慰问人数安排相应的慰问经费"), if counted.
    pub recipients: Option<i64>,
    /// Amount, yuan, above 0.
    #[schema(value_type = String, example = "8000.00")]
    pub amount: Money,
    /// Day (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub on_date: Option<String>,
    /// Note, at most 500 characters.
    pub note: Option<String>,
}

/// An allocation, checked.
#[derive(Debug, Clone)]
pub struct AllocationInput {
    body: CreateAllocationRequest,
    on_date: Date,
    note: Option<String>,
}

/// The checks of an allocation as of `today`: the year 2000-2100, an amount above 0, recipients not negative, the
/// day not in the future, the note's length.
pub fn check_allocation(body: &CreateAllocationRequest, today: Date) -> Result<AllocationInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    if !(2000..=2100).contains(&body.year) {
        errors.push(FieldError::with(
            "/year",
            ErrorCode::OutOfRange,
            "年度应在2000至2100之间",
            "year must be 2000 to 2100",
        ));
    }
    if body.amount.fen() <= 0 {
        errors.push(FieldError::of("/amount", ErrorCode::MustBePositive));
    }
    if body.recipients.is_some_and(|r| r < 0) {
        errors.push(FieldError::with(
            "/recipients",
            ErrorCode::OutOfRange,
            "人数不能为负",
            "recipients cannot be negative",
        ));
    }
    let on_date = date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(AllocationInput { body: body.clone(), on_date, note })
}

/// An allocation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 1, "fund": "special", "year": 2026, "from": "3502", "to": "350203",
    "recipients": 40, "amount": "8000.00", "on_date": "2026-01-10", "note": null, "created_by": "finance",
    "created_at": "2026-01-10T02:00:00Z"}))]
pub struct AllocationResponse {
    /// Id.
    pub id: i64,
    /// The fund.
    pub fund: FundKind,
    /// Year.
    pub year: i32,
    /// The allocating node.
    pub from: String,
    /// The child receiving it.
    pub to: String,
    /// Recipients allocated.
    pub recipients: Option<i64>,
    /// Amount, yuan.
    pub amount: String,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Note.
    pub note: Option<String>,
    /// Who.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn allocation_response(a: Allocation) -> AllocationResponse {
    AllocationResponse {
        id: a.id,
        fund: FundKind::parse(&a.fund).unwrap_or(FundKind::Service),
        year: a.year,
        from: a.from_code,
        to: a.to_code,
        recipients: a.recipients,
        amount: yuan(a.amount_fen),
        on_date: a.on_date,
        note: a.note,
        created_by: a.created_by,
        created_at: a.created_at.assume_utc(),
    }
}

/// Allocates part of a fund's year from a node to a direct child (XM Art. 22: the city centre allocates recipient
/// numbers and amounts to the districts; JN Art. 15: the district subsidises streets and communities). The child's
/// allocations received count into what it may spend; the parent cannot allocate more than its balance (409
/// `allocation_exceeds_balance`); neither year may be closed (409 `statement_closed`). `from` outside the caller's
/// subtree: 422 `jurisdiction_not_found`; `to` not a direct child: 422 `not_a_child`. Audited, `fund.allocated`.
pub fn allocate(
    conn: &mut DbConnection,
    caller: &Caller,
    input: AllocationInput,
) -> Result<AllocationResponse, AppError> {
    let b = &input.body;
    let from = node_in_scope(conn, caller, &b.from, "/from")?;
    let to = match jurisdictions::find(conn, &b.to) {
        Ok(n) if n.parent_code.as_deref() == Some(from.code.as_str()) => n,
        Ok(_) | Err(persistence::RepoError::NotFound) => {
            return Err(AppError::field(FieldError::of("/to", ErrorCode::NotAChild)));
        }
        Err(e) => return Err(e.into()),
    };
    ensure_open(conn, &from.code, b.fund, b.year)?;
    ensure_open(conn, &to.code, b.fund, b.year)?;
    let parent = lock_and_figures(conn, &from.code, b.fund, b.year)?;
    if let Err(rules::FundRefusal::AllocationExceedsBalance { left_fen, asked_fen }) =
        rules::check_allocation(&parent, b.amount.fen())
    {
        return Err(AppError::with(
            ErrorCode::AllocationExceedsBalance,
            format!("分配超出结余：结余{}元，本次{}元（XM Art. 22）", yuan(left_fen), yuan(asked_fen)),
            format!(
                "the allocation exceeds the balance: {} left, {} asked (XM Art. 22)",
                yuan(left_fen),
                yuan(asked_fen)
            ),
        ));
    }
    let saved = levels::insert_allocation(
        conn,
        &NewAllocation {
            fund: b.fund.as_str().to_owned(),
            year: b.year,
            from_code: from.code.clone(),
            to_code: to.code.clone(),
            recipients: b.recipients,
            amount_fen: b.amount.fen(),
            on_date: input.on_date,
            note: input.note.clone(),
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
        },
    )?;
    persistence::events::emit(
        conn,
        &persistence::events::Emit {
            kind: domain::events::EventType::FundAllocated.as_str(),
            version: 1,
            subject_type: "fund_allocation",
            subject_id: saved.id,
            retiree_id: None,
            community_code: Some(&to.code),
            previous_code: None,
            details: serde_json::json!({
                "allocation_id": saved.id,
                "fund": saved.fund,
                "year": saved.year,
                "from": saved.from_code,
                "to": saved.to_code,
                "recipients": saved.recipients,
                "amount_fen": saved.amount_fen,
            }),
        },
    )?;
    let mut entry = caller.audit("fund.allocate", "fund_allocation", saved.id, &from.path);
    entry.detail = Some(
        serde_json::json!({"fund": saved.fund, "year": saved.year, "to": saved.to_code, "amount_fen": saved.amount_fen})
            .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(allocation_response(saved))
}

/// Allocations received by the nodes under `jurisdiction` (in the caller's subtree, else 422
/// `jurisdiction_not_found`), optionally of one fund and year, by id.
pub fn list_allocations(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: &str,
    fund: Option<FundKind>,
    year: Option<i32>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<AllocationResponse>, AppError> {
    let node = node_in_scope(conn, caller, jurisdiction, "jurisdiction")?;
    let found = levels::list_allocations(conn, &node.path, fund.map(FundKind::as_str), year, after, limit)?;
    Ok(found.into_iter().map(allocation_response).collect())
}

/// One allocation: 404 unless the receiving node is in the caller's subtree.
pub fn read_allocation(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<AllocationResponse, AppError> {
    let a = levels::find_allocation(conn, id)?;
    let path = crate::scope::path_of(conn, &a.to_code)?;
    if !caller.sees(&path) {
        return Err(AppError::not_found());
    }
    Ok(allocation_response(a))
}

// ---------------------------------------------------------------------------------------------------------------
// Payments booked against the fund

/// The node, then its parent, up to the root.
pub(crate) fn chain(conn: &mut DbConnection, code: &str) -> Result<Vec<Jurisdiction>, AppError> {
    let mut out = Vec::new();
    let mut next = Some(code.to_owned());
    while let Some(c) = next {
        let node = jurisdictions::find(conn, &c)?;
        next = node.parent_code.clone();
        out.push(node);
        if out.len() > 16 {
            break;
        }
    }
    Ok(out)
}

/// Books a paid condolence against the paying node's fund in the caller's transaction: the fund the kind is paid
/// from (`domain::fund::funds_for_condolence`: a hardship condolence from the special fund first, XM Art. 22), at the
/// nearest node from the person's community upwards that keeps that fund for the year (a budget or an allocation
/// received); the category the policy there allows (`categories_for_condolence`). A payment beyond the balance is
/// refused (409 `payment_over_budget`) and nothing is recorded. Nobody on the chain keeping a fund: not booked
/// (`None`). The condolence and the booking name each other.
pub(crate) fn book_condolence(
    conn: &mut DbConnection,
    caller: &Caller,
    condolence: &persistence::condolences::Condolence,
) -> Result<Option<Expenditure>, AppError> {
    if !condolence.paid || condolence.amount_fen <= 0 {
        return Ok(None);
    }
    let year = condolence.year;
    let nodes = chain(conn, &condolence.community_code)?;
    for fund in rules::funds_for_condolence(condolence.kind) {
        for node in &nodes {
            let keeps = repo::budget_of_fund(conn, &node.code, fund.as_str(), year)?.is_some()
                || !levels::allocations_in(conn, &node.code, fund.as_str(), year)?.is_empty();
            if !keeps {
                continue;
            }
            let policy = policy_at(conn, &node.path, condolence.on_date)?;
            let candidates = rules::categories_for_condolence(condolence.kind);
            let category = candidates.iter().find(|c| policy.allows_use(**c)).copied().unwrap_or(candidates[0]);
            let e = NewExpenditure {
                jurisdiction_code: node.code.clone(),
                year,
                on_date: condolence.on_date,
                category: category.as_str().to_owned(),
                amount_fen: condolence.amount_fen,
                description: format!("{}（慰问记录{}）", condolence.kind.label_zh(), condolence.id),
                leader_id: None,
                created_by: caller.login.clone(),
                created_at: persistence::now_utc(),
                fund: fund.as_str().to_owned(),
                condolence_id: Some(condolence.id),
                reverses_id: None,
            };
            let saved = super::expenditures::spend(conn, caller, node, e, true)?;
            levels::link_condolence(conn, condolence.id, saved.id)?;
            return Ok(Some(saved));
        }
    }
    Ok(None)
}

/// A cancellation.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "重复登记"}))]
pub struct CancelCondolenceRequest {
    /// Why, 1-500 characters.
    pub reason: String,
}

/// Cancels a condolence (404 outside the caller's subtree; 409 `condolence_cancelled` twice): it is no longer paid
/// (amount 0, it stops counting against the kind's cap) and its booking is reversed by a negative booking of the
/// same fund, node and category that names it (`reverses_id`), in the same transaction (409 `statement_closed`
/// when that year is closed). Audited `condolence.cancel`; emits `condolence.cancelled`.
pub fn cancel_condolence(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    reason: &str,
) -> Result<crate::care::condolences::CondolenceResponse, AppError> {
    let found = persistence::condolences::find_condolence(conn, id)?;
    let path = crate::scope::path_of(conn, &found.community_code)?;
    if !caller.sees(&path) {
        return Err(AppError::not_found());
    }
    let reason = super::reversals::check_reason(reason)?;
    let reason = reason.as_str();
    if found.cancelled_at.is_some() {
        return Err(AppError::of(ErrorCode::CondolenceCancelled));
    }
    let mut reversal = None;
    if let Some(booking) = found.expenditure_id
        && levels::reversal_of(conn, booking)?.is_none()
    {
        let original = repo::find_expenditure(conn, booking)?;
        reversal = Some(super::reversals::reverse(conn, caller, &original, Some(found.id), reason)?);
    }
    levels::cancel_condolence(conn, id, reason)?;
    let mut entry = caller.audit("condolence.cancel", "condolence", id, &path);
    entry.retiree_id = Some(found.retiree_id);
    entry.detail = Some(serde_json::json!({"reason": reason, "expenditure_id": found.expenditure_id}).to_string());
    persistence::audit::append(conn, &entry)?;
    super::reversals::emit_condolence_cancelled(conn, &found, reversal.as_ref(), reason)?;
    Ok(crate::care::condolences::condolence_response(persistence::condolences::find_condolence(conn, id)?))
}

// ---------------------------------------------------------------------------------------------------------------
// The yearly statement, its close and reopen

/// Allocations to or from one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AllocationLine {
    /// The other node (the child for allocations made, the parent for allocations received).
    pub node: String,
    /// Allocations.
    pub count: i64,
    /// Recipients allocated (where given).
    pub recipients: i64,
    /// Their sum, yuan.
    pub amount: String,
}

/// The reconciliation with one child: what the node allocated to it and what the child counts as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChildReconciliation {
    /// The child.
    pub child: String,
    /// Allocated by this node, yuan.
    pub allocated_out: String,
    /// Received by the child as its statement has it (its filed statement when closed), yuan.
    pub allocated_in: String,
    /// The two agree to the fen.
    pub agrees: bool,
    /// The child's year: `open`, `closed`, `reopened`.
    pub status: YearStatus,
}

/// A fund's yearly statement at a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = FundYearStatement, example = json!({"jurisdiction": "350203", "level": "district", "fund": "special",
    "year": 2025, "budget": "0.00", "budget_source": null, "allocated_in": "8000.00",
    "allocations_in": [{"node": "3502", "count": 1, "recipients": 40, "amount": "8000.00"}],
    "allocated_out": "3000.00", "allocations_out": [{"node": "350203001", "count": 1, "recipients": 15, "amount": "3000.00"}],
    "by_category": [{"category": "festival_condolence", "count": 2, "amount": "400.00"}], "spent": "400.00",
    "balance": "4600.00", "children": [{"child": "350203001", "allocated_out": "3000.00", "allocated_in": "3000.00",
    "agrees": true, "status": "closed"}], "reconciles": true, "status": "open", "version": 0, "closed_at": null,
    "reopen_reason": null}))]
pub struct YearStatement {
    /// The node.
    pub jurisdiction: String,
    /// Its level.
    pub level: Level,
    /// The fund.
    pub fund: FundKind,
    /// Year.
    pub year: i32,
    /// The node's own budget of the fund, yuan (0.00 without one).
    pub budget: String,
    /// Article of the budget.
    pub budget_source: Option<String>,
    /// Allocations received, yuan.
    pub allocated_in: String,
    /// Allocations received, per parent.
    pub allocations_in: Vec<AllocationLine>,
    /// Allocations made to children, yuan.
    pub allocated_out: String,
    /// Allocations made, per child.
    pub allocations_out: Vec<AllocationLine>,
    /// Spending by category (reversals netted), in category order.
    pub by_category: Vec<CategoryLine>,
    /// Spent, yuan.
    pub spent: String,
    /// Budget + allocated in − allocated out − spent, yuan.
    pub balance: String,
    /// Every child allocated to: allocated out = the child's allocated in.
    pub children: Vec<ChildReconciliation>,
    /// Every child reconciles.
    pub reconciles: bool,
    /// `open`, `closed` (served from the filed snapshot) or `reopened`.
    pub status: YearStatus,
    /// Version of the close (0 never closed).
    pub version: i64,
    /// When it was closed.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
    /// Why it was reopened.
    pub reopen_reason: Option<String>,
}

fn lines(allocs: &[Allocation], key: impl Fn(&Allocation) -> &str) -> Vec<AllocationLine> {
    let mut out: Vec<(String, i64, i64, i64)> = Vec::new();
    for a in allocs {
        let k = key(a).to_owned();
        match out.iter_mut().find(|l| l.0 == k) {
            Some(l) => {
                l.1 += 1;
                l.2 += a.recipients.unwrap_or(0);
                l.3 += a.amount_fen;
            }
            None => out.push((k, 1, a.recipients.unwrap_or(0), a.amount_fen)),
        }
    }
    out.into_iter()
        .map(|(node, count, recipients, fen)| AllocationLine { node, count, recipients, amount: yuan(fen) })
        .collect()
}

fn status_of(conn: &mut DbConnection, code: &str, fund: FundKind, year: i32) -> Result<YearStatus, AppError> {
    Ok(levels::close_of(conn, code, fund.as_str(), year)?
        .and_then(|c| YearStatus::parse(&c.status))
        .unwrap_or(YearStatus::Open))
}

/// Fen of a yuan text as written by `yuan` (two decimals, maybe negative).
fn parse_fen(text: &str) -> i64 {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    let whole: i64 = whole.parse().unwrap_or(0);
    let frac: i64 = format!("{frac:0<2}").get(..2).and_then(|f| f.parse().ok()).unwrap_or(0);
    sign * (whole * 100 + frac)
}

/// The statement as counted now from the stored budget, allocations and ledger.
fn counted(conn: &mut DbConnection, node: &Jurisdiction, fund: FundKind, year: i32) -> Result<YearStatement, AppError> {
    let budget = repo::budget_of_fund(conn, &node.code, fund.as_str(), year)?;
    let budget_source = match &budget {
        Some(b) => {
            let snap = snapshot_of(b)?;
            Some(snap.appropriation_source.unwrap_or(snap.per_retiree_source))
        }
        None => None,
    };
    let f = figures(conn, &node.code, fund, year, budget.as_ref().map_or(0, |b| b.total_fen))?;
    let ins = levels::allocations_in(conn, &node.code, fund.as_str(), year)?;
    let outs = levels::allocations_out(conn, &node.code, fund.as_str(), year)?;
    let ledger = repo::expenditures_of(conn, &node.code, fund.as_str(), year)?;
    let mut by_category = Vec::new();
    for cat in FundUse::ALL {
        let these: Vec<&Expenditure> = ledger.iter().filter(|e| e.category == *cat).collect();
        if these.is_empty() {
            continue;
        }
        let amount: i64 = these.iter().map(|e| e.amount_fen).sum();
        by_category.push(CategoryLine { category: *cat, count: these.len() as i64, amount: yuan(amount) });
    }
    let mut children = Vec::new();
    for line in lines(&outs, |a| a.to_code.as_str()) {
        let status = status_of(conn, &line.node, fund, year)?;
        let filed_in = match levels::close_of(conn, &line.node, fund.as_str(), year)? {
            Some(c) if c.status == "closed" => serde_json::from_str::<YearStatement>(&c.snapshot)
                .map(|s| parse_fen(&s.allocated_in))
                .map_err(|e| AppError::internal(format!("fund_year_closes {}: snapshot: {e}", c.id)))?,
            _ => levels::allocations_in(conn, &line.node, fund.as_str(), year)?
                .iter()
                .filter(|a| a.from_code == node.code)
                .map(|a| a.amount_fen)
                .sum(),
        };
        let out_fen = parse_fen(&line.amount);
        children.push(ChildReconciliation {
            child: line.node,
            allocated_out: line.amount,
            allocated_in: yuan(filed_in),
            agrees: out_fen == filed_in,
            status,
        });
    }
    Ok(YearStatement {
        jurisdiction: node.code.clone(),
        level: node.level,
        fund,
        year,
        budget: yuan(f.budget_fen),
        budget_source,
        allocated_in: yuan(f.allocated_in_fen),
        allocations_in: lines(&ins, |a| a.from_code.as_str()),
        allocated_out: yuan(f.allocated_out_fen),
        allocations_out: lines(&outs, |a| a.to_code.as_str()),
        by_category,
        spent: yuan(f.spent_fen),
        balance: yuan(f.balance_fen()),
        reconciles: children.iter().all(|c| c.agrees),
        children,
        status: YearStatus::Open,
        version: 0,
        closed_at: None,
        reopen_reason: None,
    })
}

/// The node `code` if in the caller's subtree, else 404.
fn visible(conn: &mut DbConnection, caller: &Caller, code: &str) -> Result<Jurisdiction, AppError> {
    match jurisdictions::find(conn, code) {
        Ok(node) if caller.sees(&node.path) => Ok(node),
        Ok(_) | Err(persistence::RepoError::NotFound) => Err(AppError::not_found()),
        Err(e) => Err(e.into()),
    }
}

/// A fund's yearly statement at a node (404 outside the caller's subtree): closed, the filed snapshot; else counted
/// now from the stored budget, allocations and ledger.
pub fn year_statement(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    fund: FundKind,
    year: i32,
) -> Result<YearStatement, AppError> {
    let node = visible(conn, caller, code)?;
    let close = levels::close_of(conn, &node.code, fund.as_str(), year)?;
    match close {
        Some(c) if c.status == "closed" => {
            let mut s: YearStatement = serde_json::from_str(&c.snapshot)
                .map_err(|e| AppError::internal(format!("fund_year_closes {}: snapshot: {e}", c.id)))?;
            s.status = YearStatus::Closed;
            s.version = c.version;
            s.closed_at = Some(c.closed_at.assume_utc());
            Ok(s)
        }
        Some(c) => {
            let mut s = counted(conn, &node, fund, year)?;
            s.status = YearStatus::Reopened;
            s.version = c.version;
            s.reopen_reason = c.reopen_reason;
            Ok(s)
        }
        None => counted(conn, &node, fund, year),
    }
}

/// The link to a filed statement.
pub fn statement_link(code: &str, fund: FundKind, year: i32) -> String {
    format!("/api/v1/funding/year-statements/{code}/{}/{year}", fund.as_str())
}

/// Closes a fund's year at a node on `today` (finance, `fund.manage`): 409 `year_not_over` before the year has
/// ended, `statement_closed` when closed already, `children_year_open` while a child that keeps the fund (a budget,
/// an allocation received or spending) has not closed it. Freezes the statement; audited `fund.year_close`; emits
/// `fund.year_closed`.
pub fn close_year(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    fund: FundKind,
    year: i32,
    today: Date,
) -> Result<YearStatement, AppError> {
    let node = visible(conn, caller, code)?;
    let status = status_of(conn, &node.code, fund, year)?;
    let mut kids = Vec::new();
    for child in jurisdictions::children(conn, &node.code, None, i64::MAX)? {
        let keeps = repo::budget_of_fund(conn, &child.code, fund.as_str(), year)?.is_some()
            || !levels::allocations_in(conn, &child.code, fund.as_str(), year)?.is_empty()
            || repo::spent(conn, &child.code, fund.as_str(), year)? != 0;
        if keeps {
            kids.push((child.code.clone(), status_of(conn, &child.code, fund, year)?));
        }
    }
    match rules::check_year_close(year, today, status, &kids) {
        Ok(()) => {}
        Err(YearCloseRefusal::NotOver) => return Err(AppError::of(ErrorCode::YearNotOver)),
        Err(YearCloseRefusal::Closed) => return Err(AppError::of(ErrorCode::StatementClosed)),
        Err(YearCloseRefusal::ChildrenOpen(open)) => {
            let list = open.join(", ");
            return Err(AppError::with(
                ErrorCode::ChildrenYearOpen,
                format!("下级尚未结算该年度：{list}"),
                format!("these children have not closed the year: {list}"),
            ));
        }
    }
    let statement = counted(conn, &node, fund, year)?;
    let text = serde_json::to_string(&statement).map_err(AppError::internal)?;
    let row = levels::close(conn, &node.code, fund.as_str(), year, &text, &caller.login)?;
    persistence::events::emit(
        conn,
        &persistence::events::Emit {
            kind: domain::events::EventType::FundYearClosed.as_str(),
            version: 1,
            subject_type: "fund_statement",
            subject_id: row.id,
            retiree_id: None,
            community_code: Some(&node.code),
            previous_code: None,
            details: serde_json::json!({
                "close_id": row.id,
                "fund": fund.as_str(),
                "year": year,
                "level": node.level.as_str(),
                "balance_fen": parse_fen(&statement.balance),
                "statement": statement_link(&node.code, fund, year),
            }),
        },
    )?;
    let mut entry = caller.audit("fund.year_close", "fund_year_close", row.id, &node.path);
    entry.detail =
        Some(serde_json::json!({"fund": fund.as_str(), "year": year, "balance": statement.balance}).to_string());
    persistence::audit::append(conn, &entry)?;
    year_statement(conn, caller, &node.code, fund, year)
}

/// Reopens a closed fund year at a node with a reason (422 `required` without one): 409 `year_not_closed` when it is
/// not closed, `parent_year_closed` while the parent's year is closed (reopen the parent first); a stale `If-Match`
/// 412. Audited `fund.year_reopen` with the reason.
pub fn reopen_year(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    fund: FundKind,
    year: i32,
    if_match: Option<crate::precondition::IfMatch>,
    reason: &str,
) -> Result<YearStatement, AppError> {
    let node = visible(conn, caller, code)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::field(FieldError::of("/reason", ErrorCode::Required)));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::field(FieldError::with(
            "/reason",
            ErrorCode::Length,
            "最多500个字符",
            "must be at most 500 characters",
        )));
    }
    let row = match levels::close_of(conn, &node.code, fund.as_str(), year)? {
        Some(row) if row.status == "closed" => row,
        _ => return Err(AppError::of(ErrorCode::YearNotClosed)),
    };
    crate::precondition::expect_if_sent(if_match, row.version)?;
    if let Some(parent) = node.parent_code.as_deref()
        && levels::is_closed(conn, parent, fund.as_str(), year)?
    {
        return Err(AppError::of(ErrorCode::ParentYearClosed));
    }
    levels::reopen(conn, row.id, reason, &caller.login)?;
    let mut entry = caller.audit("fund.year_reopen", "fund_year_close", row.id, &node.path);
    entry.detail = Some(serde_json::json!({"fund": fund.as_str(), "year": year, "reason": reason}).to_string());
    persistence::audit::append(conn, &entry)?;
    year_statement(conn, caller, &node.code, fund, year)
}

/// A reopen.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "补记12月慰问金支出"}))]
pub struct ReopenYearRequest {
    /// Why, 1-500 characters.
    pub reason: String,
}
