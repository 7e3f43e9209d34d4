//! Submitting a monthly batch of new retirees (GUIDE 交接制度; XM Art. 13): every item checked as a single create
//! would be, after routing (JN Art. 4, 21).

use domain::ErrorCode;
use domain::handover::HandoverItemStatus;
use domain::movement::{self, Routing};
use persistence::DbConnection;
use persistence::movement::{self as repo, NewItem};
use persistence::retirees as people;
use time::Date;

use super::{BatchResponse, CreateBatchRequest, community_under, load};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, month_text, parse_month};
use crate::retirees::registration::{CreateRetireeRequest, validate_new};
use crate::scope::node_in_scope;

/// The header of a batch, checked: the month and the employer.
#[derive(Debug, Clone)]
pub struct BatchHeader {
    /// Month of the handover.
    pub month: Date,
    /// Employer's name.
    pub employer_name: String,
    /// Employer's credit code.
    pub credit_code: Option<String>,
}

/// The checks of a batch that need no data: the month, the employer's name and credit code, 1-1,000 items.
pub fn check(body: &CreateBatchRequest) -> Result<BatchHeader, Vec<FieldError>> {
    let mut errors = Vec::new();
    let month = parse_month("/month", &body.month).map_err(|e| errors.push(e)).ok();
    let employer_name = check_name("/employer/name", &body.employer.name, 100, &mut errors);
    let credit_code = check_text("/employer/credit_code", body.employer.credit_code.as_deref(), 18, &mut errors);
    if body.items.is_empty() || body.items.len() > 1000 {
        errors.push(FieldError::of("/items", ErrorCode::ItemCount));
    }
    match month {
        Some(month) if errors.is_empty() => Ok(BatchHeader { month, employer_name, credit_code }),
        _ => Err(errors),
    }
}

/// Submits a checked batch on `today` to node `code` of the caller's subtree. Each item is routed to the
/// community of residence when it lies in the node (JN Art. 21(1)), else to the employer's registered community
/// (JN Art. 4); `override_community` with a reason overrides. Every item is checked as a single create; all or
/// nothing: any bad item is 422 naming `/items/N/…`. Nobody is registered yet.
pub fn submit(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    code: &str,
    header: BatchHeader,
    body: CreateBatchRequest,
) -> Result<BatchResponse, AppError> {
    let BatchHeader { month, employer_name, credit_code } = header;
    let node = node_in_scope(conn, caller, code, "/jurisdiction")?;
    let employer_community = body.employer.community_code.trim().to_owned();
    if community_under(conn, &employer_community, &node.path)?.is_none() {
        return Err(AppError::field(FieldError::with(
            "/employer/community_code",
            ErrorCode::CommunityNotFound,
            "用人单位注册地社区不在移交区域内",
            "the employer's community is not a community of the node handed to",
        )));
    }
    let mut errors = Vec::new();
    let mut items = Vec::with_capacity(body.items.len());
    let mut seen = std::collections::HashSet::new();
    for (i, item) in body.items.into_iter().enumerate() {
        let at = |f: &str| format!("/items/{i}{f}");
        let residence = item.retiree.community_code.trim().to_owned();
        // The community of residence is kept as sent (it may lie outside the node handed to), so it must at
        // least be a community code.
        if domain::JurisdictionCode::parse_at(&residence, domain::Level::Community).is_err() {
            errors.push(FieldError::of(at("/retiree/community_code"), ErrorCode::CommunityCodeFormat));
            continue;
        }
        let in_scope = community_under(conn, &residence, &node.path)?.is_some();
        let (proposed, mut routing) = movement::route(Some(&residence), in_scope, &employer_community);
        let reason = check_text(&at("/override_reason"), item.override_reason.as_deref(), 200, &mut errors);
        let mut target = proposed.clone();
        if let Some(o) = item.override_community.as_deref().map(str::trim).filter(|o| *o != proposed) {
            if reason.is_none() {
                errors.push(FieldError::with(
                    at("/override_reason"),
                    ErrorCode::ReasonRequired,
                    "改变接收社区须写明理由",
                    "overriding the routing needs a reason",
                ));
            }
            if community_under(conn, o, &node.path)?.is_none() {
                errors.push(FieldError::with(
                    at("/override_community"),
                    ErrorCode::CommunityNotFound,
                    "接收社区不在移交区域内",
                    "no such community in the node handed to",
                ));
            }
            target = o.to_owned();
            routing = Routing::Override;
        }
        let mut person = serde_json::to_value(&item.retiree).map_err(AppError::internal)?;
        person["community_code"] = serde_json::Value::String(target.clone());
        let request: CreateRetireeRequest = serde_json::from_value(person.clone()).map_err(AppError::internal)?;
        match validate_new(request, today) {
            Ok((data, _, _)) => {
                if !seen.insert(data.id_number.clone()) {
                    errors.push(FieldError::of(at("/retiree/id_number"), ErrorCode::DuplicateInBatch));
                } else if people::find_by_id_number(conn, &data.id_number, "/")?.is_some() {
                    errors.push(FieldError::of(at("/retiree/id_number"), ErrorCode::IdNumberTaken));
                }
                items.push(NewItem {
                    seq: i32::try_from(i + 1).unwrap_or(i32::MAX),
                    name: data.name.clone(),
                    id_number: data.id_number.clone(),
                    party_member: data.party_member,
                    payload: person.to_string(),
                    residence_community: Some(residence),
                    proposed_community: proposed,
                    routing: routing.as_str().to_owned(),
                    community_code: target,
                    override_reason: reason.filter(|_| routing == Routing::Override),
                    status: HandoverItemStatus::Pending.as_str().to_owned(),
                })
            }
            Err(errs) => errors.extend(errs.into_iter().map(|mut e| {
                e.field = at(&format!("/retiree{}", e.field));
                e
            })),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let id = repo::create_batch(
        conn,
        (&employer_name, credit_code.as_deref(), &employer_community),
        month,
        &node.code,
        &node.path,
        &caller.login,
        &items,
    )?;
    let mut entry = caller.audit("handover.submit", "handover_batch", id, &node.path);
    entry.detail = Some(
        serde_json::json!({"employer": employer_name, "items": items.len(), "month": month_text(month)}).to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    let batch = repo::find_batch(conn, id)?;
    load(conn, batch)
}
