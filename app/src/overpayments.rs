//! Pension paid after death and its recovery ledger (CS Art. 31: "限期追回，到期仍未追回的应及时移交"; GUIDE 四):
//! the API view of an overpayment and its entries, the list and the audited read, and the entries: deducted from
//! death benefits, repaid, written off with approval, referred after the deadline. The balance is always the
//! amount less the sum of the entries.

use domain::death::RecoveryKind;
use domain::overpayment::{self as rules, LedgerError, OverpaymentStatus};
use domain::{ErrorCode, Money, RuleViolation};
use persistence::death::{self as repo, Entry, NewEntry, Overpayment};
use persistence::retirees as people;
use persistence::{DbConnection, audit};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_text, date_not_after, month_text};
use crate::scope::node_in_scope;

/// A ledger entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EntryResponse {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: RecoveryKind,
    /// Amount in yuan.
    #[schema(example = "5000.00")]
    pub amount: String,
    /// Date.
    #[schema(value_type = String, format = Date)]
    pub entry_on: Date,
    /// Approver of a write-off.
    pub approved_by: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// Who recorded it.
    pub operator: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An overpayment with its ledger.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 2, "retiree_id": 42, "death_report_id": 3, "community_code": "350203001001",
    "first_month": "2026-04", "last_month": "2026-06", "months": 3, "monthly_pension": "3500.00",
    "amount": "10500.00", "balance": "5500.00", "due_by": "2026-10-19", "status": "open", "entries": [
    {"id": 1, "kind": "deducted_from_benefits", "amount": "5000.00", "entry_on": "2026-07-21", "approved_by": null,
     "note": "death report 3", "operator": "siming", "created_at": "2026-07-21T02:00:00Z"}]}))]
pub struct OverpaymentResponse {
    /// Id.
    pub id: i64,
    /// The deceased.
    pub retiree_id: i64,
    /// The death report it follows from.
    pub death_report_id: i64,
    /// Community.
    pub community_code: String,
    /// First month paid for nothing (the stop month).
    #[schema(example = "2026-04")]
    pub first_month: String,
    /// Last month paid.
    #[schema(example = "2026-06")]
    pub last_month: String,
    /// Months paid for nothing.
    pub months: i32,
    /// Monthly pension, yuan.
    pub monthly_pension: String,
    /// Months × monthly pension, yuan, exact.
    pub amount: String,
    /// Still owed: the amount less the sum of the entries.
    pub balance: String,
    /// Recovery deadline (policy `death.recovery_deadline_days` from verification); a referral needs it passed.
    #[schema(value_type = String, format = Date)]
    pub due_by: Date,
    /// `open`, `settled`, `referred` or `void` (its death report was reversed).
    #[schema(example = "open")]
    pub status: String,
    /// The ledger, oldest first.
    pub entries: Vec<EntryResponse>,
}

fn entry_response(e: Entry) -> EntryResponse {
    EntryResponse {
        id: e.id,
        kind: e.kind,
        amount: Money::from_fen(e.amount_fen).to_string(),
        entry_on: e.entry_on,
        approved_by: e.approved_by,
        note: e.note,
        operator: e.operator,
        created_at: e.created_at.assume_utc(),
    }
}

/// The API view of an overpayment and its entries.
pub fn overpayment_response(o: Overpayment, entries: Vec<Entry>) -> OverpaymentResponse {
    let balance = o.amount_fen - entries.iter().map(|e| e.amount_fen).sum::<i64>();
    OverpaymentResponse {
        id: o.id,
        retiree_id: o.retiree_id,
        death_report_id: o.death_report_id,
        community_code: o.community_code,
        first_month: month_text(o.first_month),
        last_month: month_text(o.last_month),
        months: o.months,
        monthly_pension: Money::from_fen(o.monthly_fen).to_string(),
        amount: Money::from_fen(o.amount_fen).to_string(),
        balance: Money::from_fen(balance).to_string(),
        due_by: o.due_by,
        status: o.status.as_str().to_owned(),
        entries: entries.into_iter().map(entry_response).collect(),
    }
}

/// The overpayment if its person is in the caller's subtree; with the path of their community.
fn visible(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(Overpayment, String), AppError> {
    let o = repo::find_overpayment(conn, id)?;
    let (_, path) = people::find_in_scope(conn, o.retiree_id, &caller.scope_path)?;
    Ok((o, path))
}

/// The status codes of an overpayment, as the list filter takes them.
pub const STATUSES: [&str; 4] = [repo::OWED, repo::SETTLED, repo::REFERRED, repo::VOID];

/// A page of the overpayments under the node `jurisdiction` (default the caller's node; 422
/// `jurisdiction_not_found` outside the caller's subtree), of one status when given, by id after `after`, with
/// their ledgers.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: Option<&str>,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<OverpaymentResponse>, AppError> {
    let code = jurisdiction.unwrap_or(&caller.jurisdiction_code);
    let node = node_in_scope(conn, caller, code, "jurisdiction")?;
    let found = repo::list_overpayments(conn, &node.path, status, after, limit)?;
    let mut items = Vec::with_capacity(found.len());
    for o in found {
        let entries = repo::entries_of(conn, o.id)?;
        items.push(overpayment_response(o, entries));
    }
    Ok(items)
}

/// One overpayment with its ledger (an audited read).
pub fn get_one(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Audited<OverpaymentResponse>, AppError> {
    let (o, path) = visible(conn, caller, id)?;
    let mut entry = caller.audit("overpayment.read", "overpayment", id, &path);
    entry.retiree_id = Some(o.retiree_id);
    let entries = repo::entries_of(conn, id)?;
    Ok(Audited::new(overpayment_response(o, entries), entry))
}

/// A ledger entry to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "repaid", "amount": "3000.00", "entry_on": "2026-08-01", "note": "家属转账"}))]
pub struct CreateEntryRequest {
    /// `repaid`, `written_off` (needs `approved_by`), `referred` (after the deadline; the whole balance, `amount`
    /// may be omitted) or `deducted_from_benefits`; `deduction_reversed` is booked by the service when a death is
    /// reversed (422 `entry_kind_reserved`).
    pub kind: RecoveryKind,
    /// Amount in yuan, positive, at most the balance.
    #[schema(example = "3000.00")]
    pub amount: Option<String>,
    /// Date (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date, example = "2026-08-01")]
    pub entry_on: Option<String>,
    /// Who approved a write-off, up to 50 characters.
    pub approved_by: Option<String>,
    /// Note, up to 500 characters.
    pub note: Option<String>,
}

/// A ledger entry asked for, checked.
#[derive(Debug, Clone)]
pub struct EntryAsked {
    /// Kind.
    pub kind: RecoveryKind,
    /// Amount in fen; `None` for a referral of the whole balance.
    pub amount_fen: Option<i64>,
    /// Date.
    pub entry_on: Date,
    /// Approver of a write-off.
    pub approved_by: Option<String>,
    /// Note.
    pub note: Option<String>,
}

/// The checks of a ledger entry as of `today`: a positive amount (required but for a referral), the date not in
/// the future (default today), the approver and the note within their lengths; every broken rule at once.
pub fn check_entry(body: &CreateEntryRequest, today: Date) -> Result<EntryAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let amount = body
        .amount
        .as_deref()
        .and_then(|t| Money::parse(t).map_err(|e| errors.push(FieldError::rule("/amount", &e))).ok())
        .map(Money::fen);
    if amount.is_some_and(|a| a <= 0) {
        errors.push(FieldError::of("/amount", ErrorCode::AmountNotPositive));
    }
    if amount.is_none() && body.amount.is_none() && body.kind != RecoveryKind::Referred {
        errors.push(FieldError::with("/amount", ErrorCode::Required, "必须填写 amount", "amount is required"));
    }
    let entry_on = date_not_after("/entry_on", body.entry_on.as_deref(), today, &mut errors);
    let approved_by = check_text("/approved_by", body.approved_by.as_deref(), 50, &mut errors);
    let note = check_text("/note", body.note.as_deref(), 500, &mut errors);
    if errors.is_empty() {
        Ok(EntryAsked { kind: body.kind, amount_fen: amount, entry_on, approved_by, note })
    } else {
        Err(errors)
    }
}

/// Records an entry in the recovery ledger of an overpayment in the caller's subtree (CS Art. 31). At a zero
/// balance the overpayment is `settled`, a referral makes it `referred`. More than the balance is 422
/// `amount_exceeds_balance`, a write-off without approver 422 `approval_required`, a `deduction_reversed` entry
/// 422 `entry_kind_reserved` (the service books it on a reversal), a referral before the deadline
/// 409 `recovery_deadline_not_passed`, anything on a settled or voided overpayment 409. Answers the overpayment
/// with its ledger after it.
pub fn add_entry(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    asked: EntryAsked,
) -> Result<OverpaymentResponse, AppError> {
    let (o, path) = visible(conn, caller, id)?;
    let status = o.status;
    // The balance is read only for an open overpayment (a closed one is refused before).
    let balance = if status == OverpaymentStatus::Open { repo::balance_of(conn, &o)? } else { 0 };
    let new = rules::NewEntry {
        kind: asked.kind,
        amount_fen: asked.amount_fen,
        approved_by: asked.approved_by.as_deref(),
        on: asked.entry_on,
    };
    let outcome = rules::apply(status, balance, o.due_by, new).map_err(|e| match e {
        LedgerError::ReservedKind => AppError::field(FieldError::rule("/kind", &e)),
        LedgerError::ExceedsBalance | LedgerError::ApprovalRequired => {
            let field = if e == LedgerError::ApprovalRequired { "/approved_by" } else { "/amount" };
            AppError::field(FieldError::rule(field, &e))
        }
        _ => AppError::conflict(e.code(), e.message_zh(), e.message_en()),
    })?;
    let (amount, status) = (outcome.amount_fen, outcome.status.as_str());
    repo::add_entry(
        conn,
        &o,
        &NewEntry {
            overpayment_id: id,
            kind: asked.kind.as_str().to_owned(),
            amount_fen: amount,
            entry_on: asked.entry_on,
            approved_by: asked.approved_by,
            note: asked.note,
            operator: caller.login.clone(),
            created_at: persistence::now_utc(),
        },
        status,
    )?;
    let mut entry = caller.audit("overpayment.entry", "overpayment", id, &path);
    entry.retiree_id = Some(o.retiree_id);
    entry.detail =
        Some(serde_json::json!({"kind": asked.kind.as_str(), "amount_fen": amount, "status": status}).to_string());
    audit::append(conn, &entry)?;
    let o = repo::find_overpayment(conn, id)?;
    let entries = repo::entries_of(conn, id)?;
    Ok(overpayment_response(o, entries))
}
