//! Festival lists: everybody eligible in a node for a festival condolence under the policy of their community,
//! listed and recorded in bulk (XM Art. 14, 21(1); CS Art. 25(2); JN Art. 31(2)).

use domain::policy::{CondolenceKind, Policy};
use domain::{ErrorCode, Money, care};
use persistence::DbConnection;
use persistence::condolences::{self as repo, FestivalBatch, NewCondolence};
use persistence::jurisdictions::Jurisdiction;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::condolences::not_in_policy;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::date_not_after;
use crate::policy_book::PolicyBook;
use crate::scope::node_in_scope;

/// The festival kinds (XM Art. 14: Spring Festival and Double Ninth; CS Art. 25(2), JN Art. 31(2): major festivals).
pub const FESTIVALS: [CondolenceKind; 3] =
    [CondolenceKind::SpringFestival, CondolenceKind::DoubleNinth, CondolenceKind::OtherFestival];

/// One person on a festival list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EligiblePerson {
    /// The person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Community.
    pub community_code: String,
    /// Amount, yuan (policy of the community on the day).
    pub amount: String,
    /// The article the amount comes from.
    pub amount_source: String,
}

/// Who is eligible in a node for a festival under its policy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"jurisdiction": "350203001001", "kind": "spring_festival", "on_date": "2026-02-10",
    "year": 2026, "people": 1, "total": "0.00", "items": [{"retiree_id": 42, "name": "张三",
    "community_code": "350203001001", "amount": "0.00", "amount_source": "not stated"}]}))]
pub struct EligibleList {
    /// The node.
    pub jurisdiction: String,
    /// Festival.
    pub kind: CondolenceKind,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Year of the cap.
    pub year: i32,
    /// How many.
    pub people: i64,
    /// Sum of the amounts, yuan.
    pub total: String,
    /// Everybody eligible, by id.
    pub items: Vec<EligiblePerson>,
}

/// A festival kind named in `field`: required, one of [`FESTIVALS`] (422 `required`, `invalid_enum`).
pub fn festival_kind(value: Option<&str>, errors: &mut Vec<FieldError>, field: &str) -> Option<CondolenceKind> {
    let Some(v) = value else {
        errors.push(FieldError::with(field, ErrorCode::Required, "须填写节日种类", "kind is required"));
        return None;
    };
    let parsed = CondolenceKind::parse(v).filter(|k| FESTIVALS.contains(k));
    if parsed.is_none() {
        let codes: Vec<&'static str> = FESTIVALS.iter().map(|k| k.as_str()).collect();
        errors.push(FieldError::with(
            field,
            ErrorCode::InvalidEnum,
            format!("{field} 取值应为 {}", codes.join("、")),
            format!("{field} must be one of {}", codes.join(", ")),
        ));
    }
    parsed
}

/// The people eligible for a festival in the node: on a roll, pension paid or suspended, under the yearly cap of
/// the kind in the policy of their community on the day (XM Art. 14 "在春节、重阳节对退休人员开展节日慰问"; a
/// community whose policy does not name the kind has nobody on the list). A kind the node's own policy does not
/// name is 422 `condolence_kind_not_in_policy`.
fn eligible_in(
    conn: &mut DbConnection,
    node: &Jurisdiction,
    kind: CondolenceKind,
    on: Date,
) -> Result<(EligibleList, Vec<i64>), AppError> {
    let book = PolicyBook::load(conn, on)?;
    if book.at(&node.path).condolence(kind).is_none() {
        return Err(not_in_policy(kind));
    }
    let mut items = Vec::new();
    let mut amounts = Vec::new();
    let mut total = 0_i64;
    for p in repo::festival_candidates(conn, &node.path, kind.as_str(), on.year())? {
        let policy: &Policy = book.at(&p.path);
        let Some(rule) = policy.condolence(kind) else { continue };
        if care::over_cap(rule.yearly_cap.value, u32::try_from(p.paid).unwrap_or(u32::MAX)) {
            continue;
        }
        total += rule.amount.value.fen();
        amounts.push(rule.amount.value.fen());
        items.push(EligiblePerson {
            retiree_id: p.id,
            name: p.name,
            community_code: p.community_code,
            amount: rule.amount.value.to_string(),
            amount_source: rule.amount.source.clone(),
        });
    }
    let list = EligibleList {
        jurisdiction: node.code.clone(),
        kind,
        on_date: on,
        year: on.year(),
        people: items.len() as i64,
        total: Money::from_fen(total).to_string(),
        items,
    };
    Ok((list, amounts))
}

/// Who is eligible in the node `jurisdiction` (in the caller's subtree, else 422 `jurisdiction_not_found`) for a
/// festival condolence on `on` under its policy, not yet recorded (XM Art. 14, 21(1); CS Art. 25(2); JN Art. 31(2)).
pub fn eligible(
    conn: &mut DbConnection,
    caller: &Caller,
    jurisdiction: &str,
    kind: CondolenceKind,
    on: Date,
) -> Result<EligibleList, AppError> {
    let node = node_in_scope(conn, caller, jurisdiction, "jurisdiction")?;
    Ok(eligible_in(conn, &node, kind, on)?.0)
}

/// A festival list to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203001", "kind": "double_ninth", "on_date": "2026-10-18"}))]
pub struct CreateFestivalListRequest {
    /// A node in the caller's subtree.
    pub jurisdiction: String,
    /// `spring_festival`, `double_ninth` or `other_festival`.
    pub kind: String,
    /// Day (YYYY-MM-DD), default today, not in the future.
    #[schema(format = Date)]
    pub on_date: Option<String>,
}

/// A festival list recorded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 3, "jurisdiction": "350203001", "kind": "double_ninth", "on_date": "2026-10-18",
    "people": 1250, "total": "0.00", "created_by": "xiagang", "created_at": "2026-10-18T02:00:00Z"}))]
pub struct FestivalListResponse {
    /// Id (the condolences carry it as `festival_list_id`).
    pub id: i64,
    /// The node.
    pub jurisdiction: String,
    /// Festival.
    pub kind: CondolenceKind,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Condolences recorded.
    pub people: i64,
    /// Their sum, yuan.
    pub total: String,
    /// Who.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The API view of a stored festival list.
pub fn batch_response(b: FestivalBatch) -> FestivalListResponse {
    FestivalListResponse {
        id: b.id,
        jurisdiction: b.jurisdiction_code,
        kind: b.kind,
        on_date: b.on_date,
        people: b.people,
        total: Money::from_fen(b.total_fen).to_string(),
        created_by: b.created_by,
        created_at: b.created_at.assume_utc(),
    }
}

/// A festival list to record, checked.
#[derive(Debug, Clone)]
pub struct FestivalListInput {
    /// The node.
    pub jurisdiction: String,
    /// Festival.
    pub kind: CondolenceKind,
    /// Day.
    pub on_date: Date,
}

/// The checks of a festival list as of `today`: a festival kind, the day not in the future (default today).
pub fn check_list(body: &CreateFestivalListRequest, today: Date) -> Result<FestivalListInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let kind = festival_kind(Some(&body.kind), &mut errors, "/kind");
    let on_date = date_not_after("/on_date", body.on_date.as_deref(), today, &mut errors);
    match kind {
        Some(kind) if errors.is_empty() => {
            Ok(FestivalListInput { jurisdiction: body.jurisdiction.clone(), kind, on_date })
        }
        _ => Err(errors),
    }
}

/// Records a festival condolence for everybody eligible in the node (as [`eligible`] lists them), each with the
/// amount of the policy of their community, with the list, its audit entry and one event per condolence. People
/// already at the cap (e.g. a second Spring Festival list in a year) are left out, so a repeated list records
/// nobody twice. The condolences are booked against the paying nodes' funds in the same transaction (issue 27, XM
/// Art. 22): over a node's balance the whole list is 409 `payment_over_budget` and nothing is recorded.
pub fn create_list(
    conn: &mut DbConnection,
    caller: &Caller,
    input: FestivalListInput,
) -> Result<FestivalListResponse, AppError> {
    let FestivalListInput { jurisdiction, kind, on_date: on } = input;
    let node = node_in_scope(conn, caller, &jurisdiction, "/jurisdiction")?;
    let (roster, amounts) = eligible_in(conn, &node, kind, on)?;
    let batch = repo::create_batch(conn, &node.code, kind.as_str(), on, &caller.login)?;
    let now = persistence::now_utc();
    let total: i64 = amounts.iter().sum();
    let rows: Vec<NewCondolence> = roster
        .items
        .iter()
        .zip(amounts)
        .map(|(p, fen)| NewCondolence {
            retiree_id: p.retiree_id,
            community_code: p.community_code.clone(),
            kind: kind.as_str().to_owned(),
            on_date: on,
            year: on.year(),
            paid: true,
            amount_fen: fen,
            amount_source: p.amount_source.clone(),
            batch_id: Some(batch.id),
            note: None,
            created_by: caller.login.clone(),
            created_at: now,
        })
        .collect();
    let n = repo::insert_condolences(conn, &rows)?;
    let batch = repo::finish_batch(conn, batch.id, n as i64, total)?;
    // Issue 27: the list's condolences are paid from the fund like single ones, in this transaction.
    let (booked, booked_fen) =
        crate::care::funding::festival_bookings::book_festival_list(conn, caller, batch.id, kind, on)?;
    let mut entry = caller.audit("festival_list.create", "festival_list", batch.id, &node.path);
    entry.detail = Some(
        serde_json::json!({"kind": kind.as_str(), "people": n, "total_fen": total, "booked": booked,
            "booked_fen": booked_fen})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(batch_response(batch))
}

/// One festival list, if its node is in the caller's subtree (else 404).
pub fn read_list(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<FestivalListResponse, AppError> {
    let b = repo::find_batch(conn, id)?;
    let path = crate::scope::path_of(conn, &b.jurisdiction_code)?;
    if !caller.sees(&path) {
        return Err(AppError::not_found());
    }
    Ok(batch_response(b))
}
