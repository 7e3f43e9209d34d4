//! Handover of new retirees (移交; GUIDE 交接制度; JN Art. 4, 21; XM Art. 13): an employer's monthly batch, routed to
//! the community of residence (or the employer's community), each item with its steps, accepted or returned
//! ([`items`]); accepted people join the community's roll and get a first-visit task within the month of arrival.
//! The batch is submitted by [`submit`]; the state machine of an item is `domain::handover`.

pub mod items;
pub mod submit;

use domain::handover::{self as rules, HandoverAction, HandoverItemStatus};
use domain::movement::HandoverStep;
use domain::{Level, RuleViolation};
use persistence::movement::{self as repo, Batch, HandoverStepRow, Item};
use persistence::{DbConnection, RepoError};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::AppError;
use crate::input::month_text;
use crate::retirees::registration::CreateRetireeRequest;

pub use items::{AcceptRequest, ReturnRequest, StepRequest};
pub use submit::BatchHeader;

/// The employer handing over.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Employer {
    /// Name, 1-100 characters.
    #[schema(example = "厦门港务集团有限公司")]
    pub name: String,
    /// Unified social credit code, 18 characters, if known.
    #[schema(example = "91350200154990617T")]
    pub credit_code: Option<String>,
    /// The community where the employer is registered: the receiving community of those who live outside the
    /// jurisdiction (JN Art. 4, 21).
    #[schema(example = "350203001001")]
    pub community_code: String,
}

/// One new retiree of a batch.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverItemRequest {
    /// The person, as for `POST /retirees`; `community_code` is the community of long-term residence.
    pub retiree: CreateRetireeRequest,
    /// A receiving community other than the one routing proposes.
    #[schema(example = json!(null))]
    pub override_community: Option<String>,
    /// Why (required with `override_community`), up to 200 characters.
    pub override_reason: Option<String>,
}

/// A batch to hand over.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"jurisdiction": "350203", "month": "2026-05",
    "employer": {"name": "厦门港务集团有限公司", "credit_code": "91350200154990617T", "community_code": "350203001001"},
    "items": [{"retiree": {"name": "王五", "id_number": "350203196605050017", "retirement_date": "2026-05-01",
      "category": "enterprise_employee", "management_level": "city_managed", "community_code": "350203001004",
      "monthly_pension": "4200.00", "party_member": true}}]}))]
pub struct CreateBatchRequest {
    /// The node handed to (a district or street in the caller's subtree); default the caller's node.
    #[schema(example = "350203")]
    pub jurisdiction: Option<String>,
    /// Month of the handover (`YYYY-MM`; XM Art. 13: monthly).
    #[schema(example = "2026-05")]
    pub month: String,
    /// The employer.
    pub employer: Employer,
    /// The new retirees, 1-1,000.
    pub items: Vec<HandoverItemRequest>,
}

/// A step of an item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = HandoverStepResponse)]
pub struct StepResponse {
    /// Which.
    pub step: HandoverStep,
    /// Date.
    #[schema(value_type = String, format = Date)]
    pub on_date: Date,
    /// Details (volumes, completeness, exemption, at home, note).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Who.
    pub operator: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemResponse {
    /// Id.
    pub id: i64,
    /// Position in the batch, from 1.
    pub seq: i32,
    /// Name.
    pub name: String,
    /// Party member (the party relationship is transferred).
    pub party_member: bool,
    /// Community of residence as handed over.
    pub residence_community: Option<String>,
    /// Proposed by routing.
    pub proposed_community: String,
    /// `residence`, `employer` or `override`.
    #[schema(example = "residence")]
    pub routing: String,
    /// The receiving community.
    pub community_code: String,
    /// Why routing was overridden.
    pub override_reason: Option<String>,
    /// `pending`, `accepted` or `returned`.
    #[schema(example = "pending")]
    pub status: String,
    /// Why returned.
    pub return_reason: Option<String>,
    /// The retiree registered on acceptance.
    pub retiree_id: Option<i64>,
    /// Steps, oldest first.
    pub steps: Vec<StepResponse>,
}

/// Progress of a batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    /// Items.
    pub items: i64,
    /// Not settled yet.
    pub pending: i64,
    /// Accepted.
    pub accepted: i64,
    /// Returned.
    pub returned: i64,
}

/// A batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchResponse {
    /// Id.
    pub id: i64,
    /// The employer.
    pub employer: Employer,
    /// Month (`YYYY-MM`).
    pub month: String,
    /// Node handed to.
    pub jurisdiction: String,
    /// `open` until every item is settled, then `closed`.
    #[schema(example = "open")]
    pub status: String,
    /// Progress.
    pub progress: Progress,
    /// Items in order.
    pub items: Vec<ItemResponse>,
    /// Who submitted it.
    pub created_by: String,
    /// Submitted.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Closed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

/// The API view of a stored batch with its items and their steps.
pub fn batch_response(b: Batch, items: Vec<Item>, steps: Vec<HandoverStepRow>) -> Result<BatchResponse, AppError> {
    let count = |s: &str| items.iter().filter(|i| i.status == s).count() as i64;
    let progress = Progress {
        items: items.len() as i64,
        pending: count(HandoverItemStatus::Pending.as_str()),
        accepted: count(HandoverItemStatus::Accepted.as_str()),
        returned: count(HandoverItemStatus::Returned.as_str()),
    };
    let mut details = Vec::with_capacity(steps.len());
    for s in &steps {
        details.push(s.detail_json()?);
    }
    let items = items
        .into_iter()
        .map(|i| ItemResponse {
            steps: steps
                .iter()
                .zip(&details)
                .filter(|(s, _)| s.item_id == i.id)
                .map(|(s, detail)| StepResponse {
                    step: s.step,
                    on_date: s.on_date,
                    detail: detail.clone(),
                    operator: s.operator.clone(),
                    created_at: s.created_at.assume_utc(),
                })
                .collect(),
            id: i.id,
            seq: i.seq,
            name: i.name,
            party_member: i.party_member,
            residence_community: i.residence_community,
            proposed_community: i.proposed_community,
            routing: i.routing,
            community_code: i.community_code,
            override_reason: i.override_reason,
            status: i.status,
            return_reason: i.return_reason,
            retiree_id: i.retiree_id,
        })
        .collect();
    Ok(BatchResponse {
        id: b.id,
        employer: Employer {
            name: b.employer_name,
            credit_code: b.employer_credit_code,
            community_code: b.employer_community,
        },
        month: month_text(b.month),
        jurisdiction: b.jurisdiction_code,
        status: b.status,
        progress,
        items,
        created_by: b.created_by,
        created_at: b.created_at.assume_utc(),
        closed_at: b.closed_at.map(|t| t.assume_utc()),
    })
}

/// A batch with its items and steps, as the API shows it.
pub fn load(conn: &mut DbConnection, b: Batch) -> Result<BatchResponse, AppError> {
    let items = repo::items_of(conn, b.id)?;
    let steps = repo::steps_of_batch(conn, b.id)?;
    batch_response(b, items, steps)
}

/// The path of community `code` if it is a community under `scope_path`; `None` when it is absent or elsewhere.
fn community_under(conn: &mut DbConnection, code: &str, scope_path: &str) -> Result<Option<String>, AppError> {
    match persistence::jurisdictions::find(conn, code) {
        Ok(n) => Ok(Some(n.path).filter(|p| n.level == Level::Community && p.starts_with(scope_path))),
        Err(RepoError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The batch if it was handed to a node the caller sees, or holds an item for a community the caller sees.
fn visible(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Batch, AppError> {
    let b = repo::find_batch(conn, id)?;
    if caller.sees(&b.scope_path) {
        return Ok(b);
    }
    for item in repo::items_of(conn, id)? {
        match persistence::jurisdictions::find(conn, &item.community_code) {
            Ok(n) if caller.sees(&n.path) => return Ok(b),
            Ok(_) | Err(RepoError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::not_found())
}

/// The 409 of a refused action on an item, with its code.
fn rule(e: rules::HandoverError) -> AppError {
    AppError::conflict(e.code(), e.message_zh(), e.message_en())
}

/// The outcome of `action` on `item` (GUIDE 交接制度; JN Art. 21).
pub(crate) fn decide(item: &Item, action: HandoverAction) -> Result<HandoverItemStatus, AppError> {
    let status = HandoverItemStatus::parse(&item.status)
        .ok_or_else(|| AppError::internal(format!("handover item {} has unknown status {:?}", item.id, item.status)))?;
    rules::apply(status, action).map_err(rule)
}

/// The item if its batch is visible and its receiving community is in the caller's subtree (or the batch was
/// handed to the caller's node); with the community's path.
pub(crate) fn item_in_scope(
    conn: &mut DbConnection,
    caller: &Caller,
    batch_id: i64,
    item_id: i64,
) -> Result<(Batch, Item, String), AppError> {
    let b = visible(conn, caller, batch_id)?;
    let item = repo::find_item(conn, batch_id, item_id)?;
    let node = persistence::jurisdictions::find(conn, &item.community_code)?;
    if !caller.sees(&node.path) && !caller.sees(&b.scope_path) {
        return Err(AppError::not_found());
    }
    Ok((b, item, node.path))
}

/// Batches handed to nodes in the caller's subtree, newest first, before id `before`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<BatchResponse>, AppError> {
    let found = repo::list_batches(conn, &caller.scope_path, before, limit)?;
    let mut items = Vec::with_capacity(found.len());
    for b in found {
        items.push(load(conn, b)?);
    }
    Ok(items)
}

/// One batch with its items and their steps, if the caller sees it (404 otherwise).
pub fn read(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<BatchResponse, AppError> {
    let b = visible(conn, caller, id)?;
    load(conn, b)
}
