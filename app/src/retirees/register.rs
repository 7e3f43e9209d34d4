//! Registering a retiree and changing the record: the scope of the community, the uniqueness of the resident ID,
//! the first certification validity, the write and its audit entry with the changes.

use domain::{ErrorCode, Money, RetireeId};
use persistence::retirees::{self as repo, GroupFlag, RetireeData};
use persistence::{DbConnection, RepoError, audit, jurisdictions};
use time::Date;

use super::registration::{Draft, LoadedCertification, UpdateRetireeRequest, check_fields, first_validity};
use super::view::{RetireeResponse, to_response};
use crate::audit::changes;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::policy_book::rules_at;

/// The community must exist, be a community, and lie in the caller's subtree; returns its path.
fn community_path(conn: &mut DbConnection, caller: &Caller, code: &str) -> Result<String, AppError> {
    let node = match jurisdictions::find(conn, code) {
        Ok(node) if caller.sees(&node.path) => node,
        Ok(_) | Err(RepoError::NotFound) => {
            return Err(AppError::field(FieldError::of("/community_code", ErrorCode::CommunityNotFound)));
        }
        Err(e) => return Err(e.into()),
    };
    if node.level != domain::Level::Community {
        return Err(AppError::field(FieldError::of("/community_code", ErrorCode::NotACommunity)));
    }
    Ok(node.path)
}

/// A resident ID registered already is 409 `id_number_taken`.
fn id_taken(e: RepoError) -> AppError {
    match e {
        RepoError::Unique(_) => AppError::of(ErrorCode::IdNumberTaken),
        other => other.into(),
    }
}

/// Registers a checked retiree ([`super::registration::validate_new`]) in a community of the caller's subtree on
/// `today`: pension status `normal`, the first certification validity one policy period later, or, when the
/// request loads the person's real last certification, one policy period (of the policy on that date) after it
/// (issue 19.2; CS Art. 16(2), 32(1): a person overdue is overdue at once); writes the row, its flags, movement
/// and event, the loaded certification into the history, and the audit entry with the changes. Answers the
/// single-person view.
pub fn register(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    data: &RetireeData,
    flags: Vec<GroupFlag>,
    last: Option<LoadedCertification>,
) -> Result<RetireeResponse, AppError> {
    let path = community_path(conn, caller, &data.community_code)?;
    let rules = rules_at(conn, &path, today)?;
    let mut data = data.clone();
    data.certified_until = match last {
        Some(c) => first_validity(c.certified_on, rules_at(conn, &path, c.certified_on)?),
        None => first_validity(today, rules),
    };
    let mut retiree = repo::create(conn, &data, &flags, today).map_err(id_taken)?;
    if let Some(c) = last {
        retiree = load_certification(conn, &caller.login, retiree.id, c, data.certified_until, None)?;
    }
    let mut entry = caller.audit("retiree.create", "retiree", retiree.id, &path);
    entry.retiree_id = Some(retiree.id);
    let mut diff = changes(None, &data);
    if !flags.is_empty() {
        diff.insert("special_groups".into(), serde_json::json!({"from": null, "to": flags}));
    }
    entry.detail =
        Some(serde_json::json!({ "changes": diff, "last_certification": last.map(loaded_json) }).to_string());
    audit::append(conn, &entry)?;
    to_response(retiree, flags, caller.role, true, rules, today)
}

/// The audit detail of a loaded certification.
pub fn loaded_json(c: LoadedCertification) -> serde_json::Value {
    serde_json::json!({"certified_on": c.certified_on.to_string(), "method": c.method.as_str()})
}

/// Writes the last certification `c` loaded with the new person `retiree_id` into their history (source
/// `loaded`, `source_ref` the handover item when received by handover) and as their last certification; it
/// gives `valid_until` (issue 19.2). Returns the record.
pub fn load_certification(
    conn: &mut DbConnection,
    operator: &str,
    retiree_id: impl Into<RetireeId>,
    c: LoadedCertification,
    valid_until: Date,
    source_ref: Option<i64>,
) -> Result<repo::Retiree, AppError> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let new = persistence::pension::NewCertification {
        retiree_id,
        method: c.method.as_str().to_owned(),
        data_source: None,
        provider: None,
        provider_reference: None,
        score: None,
        certifier_name: None,
        evidence: None,
        certified_on: c.certified_on,
        valid_until,
        source: repo::CERT_SOURCE_LOADED.to_owned(),
        source_ref,
        operator: operator.to_owned(),
        created_at: persistence::now_utc(),
    };
    Ok(repo::load_certification(conn, &new)?)
}

/// Changes a retiree of the caller's subtree as of `today`: absent fields stay, `null` clears optional ones,
/// `special_groups` replaces all flags. `if_match` is the version the caller read (`None` for `*`): another is
/// 412. A patch that changes nothing writes nothing. Answers the single-person view.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: RetireeId,
    if_match: crate::precondition::IfMatch,
    patch: UpdateRetireeRequest,
) -> Result<RetireeResponse, AppError> {
    let (current, old_path) = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let expected = if_match.expect(current.version)?;
    let old_flags = repo::flags(conn, id)?;
    let draft = Draft {
        name: patch.name.unwrap_or_else(|| current.name.clone()),
        id_number: patch.id_number.unwrap_or_else(|| current.id_number.clone()),
        sex: patch.sex,
        birth_date: patch.birth_date,
        retirement_date: patch.retirement_date.unwrap_or_else(|| current.retirement_date.to_string()),
        category: patch.category.unwrap_or(current.category),
        management_level: patch.management_level.unwrap_or(current.management_level),
        community_code: patch.community_code.unwrap_or_else(|| current.community_code.clone()),
        phone: patch.phone.unwrap_or_else(|| current.phone.clone()),
        address: patch.address.unwrap_or_else(|| current.address.clone()),
        monthly_pension: patch
            .monthly_pension
            .unwrap_or_else(|| current.monthly_pension_fen.map(|f| Money::from_fen(f).to_string())),
        party_member: patch.party_member.unwrap_or(current.party_member),
        special_groups: patch.special_groups,
        notes: patch.notes.unwrap_or_else(|| current.notes.clone()),
        pension_status: current.pension_status,
    };
    let (mut data, new_flags) = check_fields(draft, today).map_err(AppError::validation)?;
    // Certification validity changes only by certifications (pension::record_certification).
    data.certified_until = current.certified_until;
    let path = if data.community_code == current.community_code {
        old_path
    } else {
        community_path(conn, caller, &data.community_code)?
    };
    if data.id_number != current.id_number && repo::find_by_id_number(conn, &data.id_number, "/")?.is_some() {
        return Err(AppError::of(ErrorCode::IdNumberTaken));
    }
    let before = RetireeData::from(&current);
    let mut diff = changes(Some(&before), &data);
    if let Some(new_flags) = &new_flags
        && *new_flags != old_flags
    {
        diff.insert("special_groups".into(), serde_json::json!({"from": old_flags, "to": new_flags}));
    }
    let rules = rules_at(conn, &path, today)?;
    if diff.is_empty() {
        return to_response(current, old_flags, caller.role, true, rules, today);
    }
    let updated = repo::update(conn, id, expected, &data, new_flags.as_deref(), today).map_err(id_taken)?;
    let mut entry = caller.audit("retiree.update", "retiree", id.get(), &path);
    entry.retiree_id = Some(id.get());
    entry.detail = Some(serde_json::json!({ "changes": diff }).to_string());
    audit::append(conn, &entry)?;
    let flags = repo::flags(conn, id)?;
    to_response(updated, flags, caller.role, true, rules, today)
}
