//! The worklist of party members without a relation in a branch (GUIDE 交接制度: "及时为退休人员中党员建立组织关系";
//! CS Art. 12(3); JN Art. 21(2)): party members handed over (handover accepted) whose relation is still not in a
//! branch more than the policy's days after the acceptance, and party members on the roll who never had a relation
//! in the service. The days are the local policy's (`party.relation_days`); while a person's node has none the
//! worklist answers 409 `party_policy_unset`.

use std::collections::HashMap;

use domain::ErrorCode;
use domain::party;
use persistence::DbConnection;
use persistence::party as repo;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::require_read;
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::AppError;
use crate::policy_book::policy_at;
use crate::scope::path_of;

/// Why a party member is on the worklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = PartyWorklistReason)]
pub enum Reason {
    /// Handed over, the relation not in a branch after the policy's days.
    HandoverLate,
    /// On the roll, never a relation in the service.
    NoRelation,
}

/// One party member on the worklist.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = PartyWorklistItem, example = json!({"retiree_id": 42, "name": "张三", "community": "350203001001",
    "reason": "handover_late", "handover_accepted_on": "2026-10-15", "days": 30}))]
pub struct Item {
    /// The person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Community.
    pub community: String,
    /// `handover_late` or `no_relation`.
    pub reason: Reason,
    /// Day the handover was accepted (China time), if handed over.
    #[schema(value_type = Option<String>, format = Date)]
    pub handover_accepted_on: Option<Date>,
    /// The policy's days at the person's community.
    pub days: u32,
}

/// Rows read per round while a page is filled.
const CHUNK: i64 = 500;

/// A page of the worklist of the caller's subtree on `today`, by person id after `after`. 409
/// `party_policy_unset` while the policy at a listed person's community sets no days. Audited `party.worklist`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    after: Option<i64>,
    limit: i64,
) -> Result<Audited<Vec<Item>>, AppError> {
    require_read(caller)?;
    // The caller's own node first: an unset policy answers 409 even on an empty list.
    if policy_at(conn, &caller.scope_path, today)?.party.relation_days().is_none() {
        return Err(AppError::of(ErrorCode::PartyPolicyUnset));
    }
    let mut days_at: HashMap<String, u32> = HashMap::new();
    let mut items = Vec::new();
    let mut cursor = after.unwrap_or(0);
    let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
    'rounds: loop {
        let chunk = repo::candidates(conn, &caller.scope_path, cursor, CHUNK)?;
        let Some(last) = chunk.last().map(|c| c.retiree_id) else { break };
        let exhausted = i64::try_from(chunk.len()).unwrap_or(i64::MAX) < CHUNK;
        for c in chunk {
            let days = match days_at.get(&c.community_code) {
                Some(d) => *d,
                None => {
                    let path = path_of(conn, &c.community_code)?;
                    let d = policy_at(conn, &path, today)?
                        .party
                        .relation_days()
                        .ok_or_else(|| AppError::of(ErrorCode::PartyPolicyUnset))?;
                    days_at.insert(c.community_code.clone(), d);
                    d
                }
            };
            // China time (UTC+8), as the service counts days.
            let accepted_on = c.handover_accepted_at.map(|t| (t + time::Duration::hours(8)).date());
            let reason = match accepted_on {
                Some(on) if party::relation_late(on, days, today) => Some(Reason::HandoverLate),
                Some(_) => None,
                None if !c.had_relation => Some(Reason::NoRelation),
                None => None,
            };
            if let Some(reason) = reason {
                items.push(Item {
                    retiree_id: c.retiree_id,
                    name: c.name,
                    community: c.community_code,
                    reason,
                    handover_accepted_on: accepted_on,
                    days,
                });
                if items.len() == wanted {
                    break 'rounds;
                }
            }
        }
        if exhausted {
            break;
        }
        cursor = last;
    }
    let mut entry = caller.audit("party.worklist", "party_relation", "worklist", &caller.scope_path);
    entry.detail = Some(serde_json::json!({"rows": items.len()}).to_string());
    Ok(Audited::new(items, entry))
}
