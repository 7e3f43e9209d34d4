//! Party members' organisation relations 党员组织关系 (issue 25; CS Art. 12(3), 24; JN Art. 7(10), 21(2), 22, 29;
//! GUIDE 交接制度): branches of street and community party organisations ([`branches`]), the relation of each
//! retired party member, established in a branch, transferred to another branch (pending until the receiving
//! branch's node accepts) or out of the service, with its history ([`relations`]); the handover's
//! `party_transferred` step recorded in the same transaction when a relation comes into a branch; the organisation
//! life of a branch with attendance ([`meetings`]); the worklist of party members without a relation
//! ([`worklist`]); the roster as a file and its import ([`files`]). The rules are `domain::party`.
//!
//! Writing needs `party.manage`; reading needs `retiree.read`. Every read of one person's relation is audited.
//! Scope: a branch is seen from the subtree holding its node; a relation from the subtree holding the person's
//! community, its branch's node or, while it is transferring, the receiving branch's node.

pub mod branches;
pub mod files;
pub mod meetings;
pub mod relations;
pub mod worklist;

use domain::Permission;
use persistence::DbConnection;
use persistence::events::{self, Emit};
use persistence::party::Relation;

use crate::caller::Caller;
use crate::error::AppError;

/// 403 unless the caller reads party relations (`retiree.read`).
pub fn require_read(caller: &Caller) -> Result<(), AppError> {
    caller.require(Permission::RetireeRead)
}

/// 403 unless the caller keeps party relations (`party.manage`).
pub fn require_manage(caller: &Caller) -> Result<(), AppError> {
    caller.require(Permission::PartyManage)
}

/// Emits `party.relation_changed` for `r` after `action` on `on`.
pub(crate) fn emit_relation(
    conn: &mut DbConnection,
    r: &Relation,
    action: &str,
    from: Option<domain::party::RelationStatus>,
    on: time::Date,
) -> Result<(), AppError> {
    events::emit(
        conn,
        &Emit {
            kind: domain::events::EventType::PartyRelationChanged.as_str(),
            version: 1,
            subject_type: "party_relation",
            subject_id: r.id,
            retiree_id: Some(r.retiree_id),
            community_code: None,
            previous_code: None,
            details: serde_json::json!({
                "relation_id": r.id,
                "action": action,
                "from_status": from.map(|s| s.as_str()),
                "status": r.status.as_str(),
                "branch_id": r.branch_id,
                "target_branch_id": r.target_branch_id,
                "on": on.to_string(),
            }),
        },
    )?;
    Ok(())
}
