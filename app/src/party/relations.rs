//! The organisation relation of a retired party member (CS Art. 12(3); JN Art. 21(2), 22): established in a branch
//! (transferred in from the former organisation), transferred to another branch of the service (pending until the
//! receiving branch's node accepts) or out of the service (closed with the destination), and its history. When a
//! relation comes into a branch for a person whose handover was accepted without the `party_transferred` step,
//! that step is recorded in the same transaction (issue 6; GUIDE 交接制度).

use domain::ErrorCode;
use domain::RetireeId;
use domain::party::{self, RelationAction, RelationStatus};
use persistence::party::{self as repo, NewRelation, Relation, RelationChange, Step};
use persistence::retirees::{self as people, Retiree};
use persistence::{DbConnection, RepoError, audit};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{branches, emit_relation, require_manage, require_read};
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after};
use crate::precondition::{IfMatch, expect_if_sent};

/// A relation to establish: the party member's relation transferred into a branch.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"branch_id": 3, "joined_on": "2026-11-20", "came_from": "厦门港务集团机关第三党支部"}))]
pub struct RelationInput {
    /// The branch (open, in the caller's subtree; else 422 `party_branch_not_found`).
    pub branch_id: i64,
    /// Day transferred in (`YYYY-MM-DD`, not in the future; default today).
    #[schema(format = Date)]
    pub joined_on: Option<String>,
    /// The former organisation, as written on the transfer letter, at most 200 characters.
    pub came_from: Option<String>,
}

/// A transfer out of the branch: to another branch of the service, or to an organisation outside it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to_branch_id": 7, "on": "2026-12-01"}))]
pub struct TransferInput {
    /// The receiving branch of the service (any open branch; the relation is pending until its node accepts).
    pub to_branch_id: Option<i64>,
    /// Or the organisation outside the service it goes to, 1-200 characters (the relation is closed).
    pub destination: Option<String>,
    /// Day of the transfer (`YYYY-MM-DD`, not in the future, not before the relation's last step; default today).
    #[schema(format = Date)]
    pub on: Option<String>,
}

/// The receiving branch's acceptance.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"on": "2026-12-03"}))]
pub struct AcceptInput {
    /// Day received (`YYYY-MM-DD`, not in the future, not before the transfer; default today).
    #[schema(format = Date)]
    pub on: Option<String>,
}

/// A pending transfer withdrawn by the sending side or returned by the receiving one.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PartyTransferWithdrawal, example = json!({"on": "2026-12-04", "reason": "本人未迁居，转接撤回"}))]
pub struct WithdrawInput {
    /// Day withdrawn (`YYYY-MM-DD`, not in the future, not before the transfer; default today).
    #[schema(format = Date)]
    pub on: Option<String>,
    /// Why, 1-200 characters (kept as the step's note).
    pub reason: String,
}

/// A checked withdrawal.
#[derive(Debug, Clone)]
pub struct WithdrawAsked {
    on: Date,
    reason: String,
}

/// A step of a relation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = PartyRelationStepView)]
pub struct StepView {
    /// `establish`, `transfer_to_branch`, `transfer_out`, `accept`, `withdraw`.
    pub action: String,
    /// The branch the step concerns (the new, or the receiving branch).
    pub branch_id: Option<i64>,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub on: Date,
    /// The former organisation or the destination, when the step names one.
    pub note: Option<String>,
    /// Login that recorded it.
    pub operator: String,
}

/// A relation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = PartyRelationView, example = json!({"id": 4, "retiree_id": 42, "branch_id": 3, "joined_on": "2026-11-20",
    "came_from": "厦门港务集团机关第三党支部", "from_branch_id": null, "status": "in_branch", "target_branch_id": null,
    "destination": null, "transferred_on": null, "version": 1,
    "steps": [{"action": "establish", "branch_id": 3, "on": "2026-11-20", "note": "厦门港务集团机关第三党支部",
        "operator": "hongshan"}]}))]
pub struct RelationView {
    /// Id.
    pub id: i64,
    /// The party member.
    pub retiree_id: i64,
    /// The branch it sits in (or leaves).
    pub branch_id: i64,
    /// Day it came into that branch.
    #[schema(value_type = String, format = Date)]
    pub joined_on: Date,
    /// The former organisation, as written.
    pub came_from: Option<String>,
    /// The previous branch of the service.
    pub from_branch_id: Option<i64>,
    /// `in_branch`, `transferring`, `left`.
    pub status: RelationStatus,
    /// The receiving branch, while transferring.
    pub target_branch_id: Option<i64>,
    /// The organisation outside the service, once left.
    pub destination: Option<String>,
    /// Day of the transfer out.
    #[schema(value_type = Option<String>, format = Date)]
    pub transferred_on: Option<Date>,
    /// Version (ETag).
    pub version: i64,
    /// Every step, oldest first.
    pub steps: Vec<StepView>,
}

/// A person's relations.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = PartyRelationHistory)]
pub struct History {
    /// The person.
    pub retiree_id: i64,
    /// Name.
    pub name: String,
    /// Whether the person is a party member.
    pub party_member: bool,
    /// The open relation (in a branch, or transferring), if any.
    pub current: Option<RelationView>,
    /// Every relation, newest first (the current one included).
    pub relations: Vec<RelationView>,
}

/// A checked relation.
#[derive(Debug, Clone)]
pub struct RelationAsked {
    /// Branch.
    pub branch_id: i64,
    /// Day.
    pub joined_on: Date,
    /// Former organisation.
    pub came_from: Option<String>,
}

/// A checked transfer.
#[derive(Debug, Clone)]
pub struct TransferAsked {
    to_branch_id: Option<i64>,
    destination: Option<String>,
    on: Date,
}

/// The checks of a relation on `today`.
pub fn check(body: &RelationInput, today: Date) -> Result<RelationAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let joined_on = date_not_after("/joined_on", body.joined_on.as_deref(), today, &mut errors);
    let came_from = check_text("/came_from", body.came_from.as_deref(), 200, &mut errors);
    if errors.is_empty() { Ok(RelationAsked { branch_id: body.branch_id, joined_on, came_from }) } else { Err(errors) }
}

/// The checks of a transfer on `today`: a receiving branch or a destination, not both.
pub fn check_transfer(body: &TransferInput, today: Date) -> Result<TransferAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on = date_not_after("/on", body.on.as_deref(), today, &mut errors);
    let destination = match (body.to_branch_id, body.destination.as_deref()) {
        (Some(_), None) => None,
        (None, Some(d)) => Some(check_name("/destination", d, 200, &mut errors)),
        (None, None) => {
            errors.push(FieldError::with(
                "/to_branch_id",
                ErrorCode::Required,
                "须填写转入的党支部或本系统外的去向",
                "name the receiving branch or the destination outside the service",
            ));
            None
        }
        (Some(_), Some(_)) => {
            errors.push(FieldError::with(
                "/destination",
                ErrorCode::InvalidValue,
                "转入党支部和系统外去向只能填写其一",
                "name either a receiving branch or a destination, not both",
            ));
            None
        }
    };
    if errors.is_empty() { Ok(TransferAsked { to_branch_id: body.to_branch_id, destination, on }) } else { Err(errors) }
}

/// The checks of an acceptance on `today`.
pub fn check_accept(body: &AcceptInput, today: Date) -> Result<Date, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on = date_not_after("/on", body.on.as_deref(), today, &mut errors);
    if errors.is_empty() { Ok(on) } else { Err(errors) }
}

/// The checks of a withdrawal on `today`.
pub fn check_withdraw(body: &WithdrawInput, today: Date) -> Result<WithdrawAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on = date_not_after("/on", body.on.as_deref(), today, &mut errors);
    let reason = check_name("/reason", &body.reason, 200, &mut errors);
    if errors.is_empty() { Ok(WithdrawAsked { on, reason }) } else { Err(errors) }
}

fn note_of(s: &Step) -> Option<String> {
    let detail: serde_json::Value = serde_json::from_str(s.detail.as_deref()?).ok()?;
    detail.get("note").and_then(|v| v.as_str()).map(str::to_owned)
}

fn views(conn: &mut DbConnection, relations: Vec<Relation>) -> Result<Vec<RelationView>, AppError> {
    let ids: Vec<i64> = relations.iter().map(|r| r.id).collect();
    let steps = repo::steps_of(conn, &ids)?;
    Ok(relations
        .into_iter()
        .map(|r| RelationView {
            steps: steps
                .iter()
                .filter(|s| s.relation_id == r.id)
                .map(|s| StepView {
                    action: s.action.clone(),
                    branch_id: s.branch_id,
                    on: s.on_date,
                    note: note_of(s),
                    operator: s.operator.clone(),
                })
                .collect(),
            id: r.id,
            retiree_id: r.retiree_id,
            branch_id: r.branch_id,
            joined_on: r.joined_on,
            came_from: r.came_from,
            from_branch_id: r.from_branch_id,
            status: r.status,
            target_branch_id: r.target_branch_id,
            destination: r.destination,
            transferred_on: r.transferred_on,
            version: r.version,
        })
        .collect())
}

fn one_view(conn: &mut DbConnection, id: i64) -> Result<RelationView, AppError> {
    let r = repo::relation(conn, id)?;
    views(conn, vec![r])?.pop().ok_or_else(|| AppError::internal("relation vanished"))
}

/// The person `id` of the caller's subtree (else 404), with the community's path.
fn person(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(Retiree, String), AppError> {
    Ok(people::find_in_scope(conn, id, &caller.scope_path)?)
}

/// Records the handover's `party_transferred` step for the person, if their accepted handover lacks it (issue 6).
fn record_handover_step(
    conn: &mut DbConnection,
    caller: &Caller,
    retiree_id: i64,
    relation_id: i64,
    on: Date,
    path: &str,
) -> Result<(), AppError> {
    let Some(item_id) = repo::handover_item_awaiting_party(conn, retiree_id)? else { return Ok(()) };
    let detail = serde_json::json!({"party_relation_id": relation_id}).to_string();
    persistence::movement::add_step(conn, item_id, "party_transferred", on, Some(detail), &caller.login)?;
    let mut entry = caller.audit("handover.step", "handover_item", item_id, path);
    entry.retiree_id = Some(retiree_id);
    entry.detail = Some(serde_json::json!({"step": "party_transferred", "party_relation_id": relation_id}).to_string());
    audit::append(conn, &entry)?;
    Ok(())
}

/// Establishes the relation of party member `retiree_id` (of the caller's subtree, else 404) in a branch of the
/// caller's subtree: not a party member 409 `not_a_party_member`; an open relation already 409
/// `party_relation_open`. Records the handover step when due. Audited `party.relation.establish`; emits
/// `party.relation_changed`.
pub fn establish(
    conn: &mut DbConnection,
    caller: &Caller,
    retiree_id: impl Into<RetireeId>,
    asked: RelationAsked,
) -> Result<RelationView, AppError> {
    let retiree_id = RetireeId::get(retiree_id.into());
    require_manage(caller)?;
    let (p, path) = person(conn, caller, retiree_id)?;
    establish_for(conn, caller, &p, &path, asked)
}

/// [`establish`] for a person already found in scope (the import names people by resident ID).
pub(crate) fn establish_for(
    conn: &mut DbConnection,
    caller: &Caller,
    p: &Retiree,
    path: &str,
    asked: RelationAsked,
) -> Result<RelationView, AppError> {
    if !p.party_member {
        return Err(AppError::of(ErrorCode::NotAPartyMember));
    }
    if repo::open_relation_of(conn, p.id)?.is_some() {
        return Err(AppError::of(ErrorCode::PartyRelationOpen));
    }
    let (branch, _) = branches::named(conn, caller, asked.branch_id, "/branch_id", false)?;
    let id = repo::create_relation(
        conn,
        &NewRelation {
            retiree_id: p.id,
            branch_id: branch.id,
            joined_on: asked.joined_on,
            came_from: asked.came_from.clone(),
            status: RelationStatus::InBranch.as_str().to_owned(),
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
            version: 1,
        },
    )
    .map_err(|e| match e {
        RepoError::Unique(_) => AppError::of(ErrorCode::PartyRelationOpen),
        other => other.into(),
    })?;
    let detail = serde_json::json!({"note": asked.came_from}).to_string();
    repo::add_step(conn, id, "establish", Some(branch.id), asked.joined_on, Some(detail), &caller.login)?;
    record_handover_step(conn, caller, p.id, id, asked.joined_on, path)?;
    let mut entry = caller.audit("party.relation.establish", "party_relation", id, path);
    entry.retiree_id = Some(p.id);
    entry.detail = Some(serde_json::json!({"branch_id": branch.id}).to_string());
    audit::append(conn, &entry)?;
    let r = repo::relation(conn, id)?;
    emit_relation(conn, &r, "establish", None, asked.joined_on)?;
    one_view(conn, id)
}

/// Whether the caller sees relation `r`: the person's community, the branch's node or, while transferring, the
/// receiving branch's node lies in the caller's subtree. Answers the path to audit under.
fn seen(conn: &mut DbConnection, caller: &Caller, r: &Relation) -> Result<Option<String>, AppError> {
    // Any subtree: the root path "" holds every node.
    let (_, person_path) = people::find_in_scope(conn, r.retiree_id, "")?;
    if caller.sees(&person_path) {
        return Ok(Some(person_path));
    }
    for branch in [Some(r.branch_id), r.target_branch_id].into_iter().flatten() {
        let (_, path) = repo::branch(conn, branch)?;
        if caller.sees(&path) {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

fn relation_seen(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(Relation, String), AppError> {
    let r = repo::relation(conn, id)?;
    match seen(conn, caller, &r)? {
        Some(path) => Ok((r, path)),
        None => Err(AppError::of(ErrorCode::NotFound)),
    }
}

/// Transfers relation `id` (seen from the caller's subtree, else 404) out of its branch (JN Art. 22): to another
/// open branch of the service (pending until it accepts) or to an organisation outside the service (closed). Not in
/// a branch: 409 `party_relation_wrong_status`; the same branch: 422 `party_same_branch`; a day before the last
/// step: 422 `party_date_order`; `If-Match` optional (stale: 412). Audited `party.relation.transfer`; emits
/// `party.relation_changed`.
pub fn transfer(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: Option<IfMatch>,
    asked: TransferAsked,
) -> Result<RelationView, AppError> {
    require_manage(caller)?;
    let (r, path) = relation_seen(conn, caller, id)?;
    let version = expect_if_sent(if_match, r.version)?;
    let action =
        if asked.to_branch_id.is_some() { RelationAction::TransferToBranch } else { RelationAction::TransferOut };
    let to = party::apply(r.status, action).map_err(|e| AppError::violation(&e))?;
    party::check_step_date(r.joined_on, asked.on).map_err(|e| AppError::field(FieldError::rule("/on", &e)))?;
    let target = match asked.to_branch_id {
        Some(b) => {
            let (target, _) = branches::named(conn, caller, b, "/to_branch_id", true)?;
            if target.id == r.branch_id {
                return Err(AppError::field(FieldError::rule("/to_branch_id", &party::PartyError::SameBranch)));
            }
            Some(target.id)
        }
        None => None,
    };
    let change = RelationChange {
        branch_id: r.branch_id,
        joined_on: r.joined_on,
        from_branch_id: r.from_branch_id,
        status: to.as_str().to_owned(),
        target_branch_id: target,
        destination: asked.destination.clone(),
        transferred_on: Some(asked.on),
    };
    repo::change_relation(conn, id, version, r.status, &change)?;
    let detail = serde_json::json!({"note": asked.destination}).to_string();
    repo::add_step(conn, id, action.as_str(), target, asked.on, Some(detail), &caller.login)?;
    let mut entry = caller.audit("party.relation.transfer", "party_relation", id, &path);
    entry.retiree_id = Some(r.retiree_id);
    entry.detail = Some(serde_json::json!({"to_branch_id": target, "status": to.as_str()}).to_string());
    audit::append(conn, &entry)?;
    let after = repo::relation(conn, id)?;
    emit_relation(conn, &after, action.as_str(), Some(r.status), asked.on)?;
    one_view(conn, id)
}

/// The receiving branch accepts relation `id` transferred to it: the caller must see the receiving branch's node
/// (else 404); not transferring: 409 `party_relation_wrong_status`; a day before the transfer: 422
/// `party_date_order`. The relation sits in the new branch from that day; the handover step is recorded when due.
/// Audited `party.relation.accept`; emits `party.relation_changed`.
pub fn accept(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: Option<IfMatch>,
    on: Date,
) -> Result<RelationView, AppError> {
    require_manage(caller)?;
    let r = repo::relation(conn, id)?;
    let receiving = match r.target_branch_id {
        Some(b) => {
            let (_, path) = repo::branch(conn, b)?;
            caller.sees(&path).then_some(path)
        }
        None => None,
    };
    let path = match receiving {
        Some(path) => path,
        // Seen otherwise (the sending side): the status decides; out of sight: 404.
        None => match seen(conn, caller, &r)? {
            Some(_) => {
                return Err(AppError::violation(&party::PartyError::WrongStatus(r.status, RelationAction::Accept)));
            }
            None => return Err(AppError::of(ErrorCode::NotFound)),
        },
    };
    let version = expect_if_sent(if_match, r.version)?;
    let to = party::apply(r.status, RelationAction::Accept).map_err(|e| AppError::violation(&e))?;
    let last = r.transferred_on.unwrap_or(r.joined_on);
    party::check_step_date(last, on).map_err(|e| AppError::field(FieldError::rule("/on", &e)))?;
    let target = r.target_branch_id.ok_or_else(|| AppError::internal("transferring without a target"))?;
    let change = RelationChange {
        branch_id: target,
        joined_on: on,
        from_branch_id: Some(r.branch_id),
        status: to.as_str().to_owned(),
        target_branch_id: None,
        destination: None,
        transferred_on: None,
    };
    repo::change_relation(conn, id, version, r.status, &change)?;
    repo::add_step(conn, id, RelationAction::Accept.as_str(), Some(target), on, None, &caller.login)?;
    record_handover_step(conn, caller, r.retiree_id, id, on, &path)?;
    let mut entry = caller.audit("party.relation.accept", "party_relation", id, &path);
    entry.retiree_id = Some(r.retiree_id);
    entry.detail = Some(serde_json::json!({"from_branch_id": r.branch_id, "branch_id": target}).to_string());
    audit::append(conn, &entry)?;
    let after = repo::relation(conn, id)?;
    emit_relation(conn, &after, RelationAction::Accept.as_str(), Some(r.status), on)?;
    one_view(conn, id)
}

/// Withdraws the pending transfer of relation `id` (seen from the caller's subtree: the sending side withdraws, the
/// receiving side returns it; else 404): the relation stays in its branch, as before the transfer (JN Art. 22: the
/// transfer is registered by both sides, so one that will not be received is undone, not left pending). Not
/// transferring: 409 `party_relation_wrong_status`; a day before the transfer: 422 `party_date_order`. Audited
/// `party.relation.withdraw`; emits `party.relation_changed`.
pub fn withdraw(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: Option<IfMatch>,
    asked: WithdrawAsked,
) -> Result<RelationView, AppError> {
    require_manage(caller)?;
    let (r, path) = relation_seen(conn, caller, id)?;
    let version = expect_if_sent(if_match, r.version)?;
    let to = party::apply(r.status, RelationAction::Withdraw).map_err(|e| AppError::violation(&e))?;
    let last = r.transferred_on.unwrap_or(r.joined_on);
    party::check_step_date(last, asked.on).map_err(|e| AppError::field(FieldError::rule("/on", &e)))?;
    let change = RelationChange {
        branch_id: r.branch_id,
        joined_on: r.joined_on,
        from_branch_id: r.from_branch_id,
        status: to.as_str().to_owned(),
        target_branch_id: None,
        destination: None,
        transferred_on: None,
    };
    repo::change_relation(conn, id, version, r.status, &change)?;
    let detail = serde_json::json!({"note": asked.reason}).to_string();
    repo::add_step(
        conn,
        id,
        RelationAction::Withdraw.as_str(),
        r.target_branch_id,
        asked.on,
        Some(detail),
        &caller.login,
    )?;
    let mut entry = caller.audit("party.relation.withdraw", "party_relation", id, &path);
    entry.retiree_id = Some(r.retiree_id);
    entry.detail =
        Some(serde_json::json!({"target_branch_id": r.target_branch_id, "reason": asked.reason}).to_string());
    audit::append(conn, &entry)?;
    let after = repo::relation(conn, id)?;
    emit_relation(conn, &after, RelationAction::Withdraw.as_str(), Some(r.status), asked.on)?;
    one_view(conn, id)
}

/// One relation seen from the caller's subtree (else 404); audited `party.relation.read`.
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<Audited<RelationView>, AppError> {
    require_read(caller)?;
    let (r, path) = relation_seen(conn, caller, id)?;
    let mut entry = caller.audit("party.relation.read", "party_relation", id, &path);
    entry.retiree_id = Some(r.retiree_id);
    Ok(Audited::new(one_view(conn, id)?, entry))
}

/// The relations of person `retiree_id` of the caller's subtree (else 404), the open one first; audited
/// `party.relation.read`.
pub fn history(
    conn: &mut DbConnection,
    caller: &Caller,
    retiree_id: impl Into<RetireeId>,
) -> Result<Audited<History>, AppError> {
    let retiree_id = RetireeId::get(retiree_id.into());
    require_read(caller)?;
    let (p, path) = person(conn, caller, retiree_id)?;
    let stored = repo::relations_of(conn, p.id)?;
    let relations = views(conn, stored)?;
    let current = relations.iter().find(|r| r.status != RelationStatus::Left).cloned();
    let mut entry = caller.audit("party.relation.read", "retiree", p.id, &path);
    entry.retiree_id = Some(p.id);
    Ok(Audited::new(
        History { retiree_id: p.id, name: p.name, party_member: p.party_member, current, relations },
        entry,
    ))
}
