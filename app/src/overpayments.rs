//! Pension paid after death and its recovery ledger (CS Art. 31; GUIDE 四): the API view of an overpayment and
//! its entries. The balance is always the amount less the sum of the entries.

use domain::Money;
use domain::death::RecoveryKind;
use persistence::death::{Entry, Overpayment};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::input::month_text;

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
