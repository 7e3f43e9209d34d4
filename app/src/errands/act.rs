//! Opening an errand and the steps on it (JN Art. 24(1); GUIDE 走访制度), and the medical-insurance continuation a
//! completed transfer between districts opens (JN Art. 24(1): "医保关系续接").

use domain::RetireeId;
use domain::errand::{self, ErrandKind, ErrandStatus};
use domain::events::EventType;
use domain::{ErrorCode, PensionStatus, Permission};
use persistence::errands::{self as repo, NewErrand, Step};
use persistence::{DbConnection, RepoError};
use time::Date;

use super::{ErrandView, OpenAsked, StepAsked, emit, view};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::policy_book::policy_at;
use crate::precondition::{IfMatch, expect_if_sent};
use crate::scope::{node_in_scope, referenced_retiree};

fn materials_text(list: &[String]) -> Result<String, AppError> {
    serde_json::to_string(list).map_err(AppError::internal)
}

fn unique_to_open(e: RepoError) -> AppError {
    match e {
        RepoError::Unique(_) => AppError::of(ErrorCode::ErrandOpen),
        other => other.into(),
    }
}

/// Opens an errand for a person on the roll in the caller's subtree whose pension is not stopped (else 409
/// `pension_stopped`), handled by the person's community or the node named (one above it in the caller's subtree,
/// else 422 `jurisdiction_not_found`). The senior card only for a person of the policy's age by the end of the month
/// opened (GUIDE 走访制度; else 422 `errand_below_age` on `/retiree_id`). The due date from the policy's days for
/// the kind at the person's community (none when not stated). One pending errand per person and kind (409
/// `errand_open`). Audited `errand.open`; emits `errand.opened`.
pub fn open(conn: &mut DbConnection, caller: &Caller, today: Date, asked: OpenAsked) -> Result<ErrandView, AppError> {
    caller.require(Permission::ErrandManage)?;
    let (person, path) = referenced_retiree(conn, caller, asked.retiree_id, "/retiree_id")?;
    if person.pension_status == PensionStatus::Stopped || !person.on_roll {
        return Err(AppError::of(ErrorCode::PensionStopped));
    }
    let node = match asked.jurisdiction.as_deref() {
        None => person.community_code.clone(),
        Some(code) => {
            let node = node_in_scope(conn, caller, code, "/jurisdiction")?;
            if !path.starts_with(&node.path) {
                return Err(AppError::field(FieldError::of("/jurisdiction", ErrorCode::JurisdictionNotFound)));
            }
            node.code
        }
    };
    let policy = policy_at(conn, &path, asked.opened_on)?;
    if asked.kind == ErrandKind::SeniorCard {
        let age = policy.errands.senior_card_age_years.value;
        errand::check_senior_card_age(person.birth_date, age, asked.opened_on)
            .map_err(|e| AppError::field(FieldError::rule("/retiree_id", &e)))?;
    }
    if repo::pending_exists(conn, person.id, asked.kind)? {
        return Err(AppError::of(ErrorCode::ErrandOpen));
    }
    let due_on = errand::due_on(asked.opened_on, policy.errands.days_for(asked.kind));
    let id = repo::create(
        conn,
        &NewErrand {
            retiree_id: person.id,
            kind: asked.kind.as_str().to_owned(),
            node_code: node,
            materials: materials_text(&asked.materials)?,
            opened_on: asked.opened_on,
            due_on,
            status: ErrandStatus::Open.as_str().to_owned(),
            notes: asked.notes,
            transfer_id: None,
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
            version: 1,
        },
    )
    .map_err(unique_to_open)?;
    let v = view(repo::find_in_scope(conn, id, "/")?, today)?;
    audit(conn, caller, "errand.open", &v, None, &path)?;
    emit(conn, EventType::ErrandOpened, &v, None)?;
    Ok(v)
}

fn audit(
    conn: &mut DbConnection,
    caller: &Caller,
    action: &str,
    v: &ErrandView,
    from: Option<ErrandStatus>,
    path: &str,
) -> Result<(), AppError> {
    let mut entry = caller.audit(action, "errand", v.id, path);
    entry.retiree_id = Some(v.retiree_id);
    // The person's timeline shows the errand from this entry (`changes`).
    entry.detail = Some(
        serde_json::json!({"changes": {
            "errand_id": v.id,
            "kind": v.kind.as_str(),
            "status": {"from": from.map(|s| s.as_str()), "to": v.status.as_str()},
            "due_on": v.due_on.map(|d| d.to_string()),
        }})
        .to_string(),
    );
    persistence::audit::append(conn, &entry)?;
    Ok(())
}

/// Takes a step on an errand handled in the caller's subtree (else 404): submit, approve, refuse (with its reason)
/// or withdraw; a step that does not fit the status: 409 `errand_wrong_status`; dated before the opening: 422
/// `before_opened` on `/on`; `If-Match` optional, stale: 412. Audited `errand.submit`, `errand.approve`,
/// `errand.refuse` or `errand.withdraw`; emits `errand.changed`.
pub fn step(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: Option<IfMatch>,
    asked: StepAsked,
) -> Result<ErrandView, AppError> {
    caller.require(Permission::ErrandManage)?;
    let row = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let path = row.path.clone();
    let e = &row.errand;
    let version = expect_if_sent(if_match, e.version)?;
    let from = e.status;
    let to = errand::apply(from, asked.action).map_err(|v| AppError::violation(&v))?;
    errand::check_step_date(e.opened_on, asked.on).map_err(|v| AppError::field(FieldError::rule("/on", &v)))?;
    let materials = asked.materials.as_deref().map(materials_text).transpose()?;
    let submitting = asked.action == domain::errand::ErrandAction::Submit;
    repo::change(
        conn,
        id,
        version,
        &Step {
            from,
            to,
            submitted_on: submitting.then_some(asked.on),
            closed_on: (!submitting).then_some(asked.on),
            reason: asked.reason.as_deref(),
            materials: materials.as_deref(),
        },
    )?;
    let v = view(repo::find_in_scope(conn, id, &caller.scope_path)?, today)?;
    audit(conn, caller, &format!("errand.{}", asked.action.as_str()), &v, Some(from), &path)?;
    emit(conn, EventType::ErrandChanged, &v, Some(from))?;
    Ok(v)
}

/// The district segment of a node path (`/3502/350203/…/` → `350203`).
fn district_of(path: &str) -> Option<&str> {
    path.split('/').filter(|s| !s.is_empty()).nth(1)
}

/// Opens the medical-insurance continuation (JN Art. 24(1): "医保关系续接") for a person whose transfer `transfer_id`
/// from the community at `from_path` to community `to_code` completed on `on`, when the two lie in different
/// districts and none is pending; handled by the receiving community, due per its policy. Called inside the
/// transfer's transaction; audited `errand.open` with the completing caller, emits `errand.opened`.
pub fn open_on_transfer(
    conn: &mut DbConnection,
    caller: &Caller,
    retiree_id: impl Into<RetireeId>,
    from_path: &str,
    to_code: &str,
    transfer_id: i64,
    on: Date,
) -> Result<Option<ErrandView>, AppError> {
    let retiree_id = RetireeId::get(retiree_id.into());
    let to_path = crate::scope::path_of(conn, to_code)?;
    if district_of(from_path) == district_of(&to_path) {
        return Ok(None);
    }
    let kind = ErrandKind::MedicalInsuranceContinuation;
    if repo::pending_exists(conn, retiree_id, kind)? {
        return Ok(None);
    }
    let policy = policy_at(conn, &to_path, on)?;
    let id = repo::create(
        conn,
        &NewErrand {
            retiree_id,
            kind: kind.as_str().to_owned(),
            node_code: to_code.to_owned(),
            materials: "[]".to_owned(),
            opened_on: on,
            due_on: errand::due_on(on, policy.errands.days_for(kind)),
            status: ErrandStatus::Open.as_str().to_owned(),
            notes: None,
            transfer_id: Some(transfer_id),
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
            version: 1,
        },
    )
    .map_err(unique_to_open)?;
    let v = view(repo::find_in_scope(conn, id, "/")?, on)?;
    audit(conn, caller, "errand.open", &v, None, &to_path)?;
    emit(conn, EventType::ErrandOpened, &v, None)?;
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    #[test]
    fn district_of_a_path() {
        assert_eq!(super::district_of("/3502/350203/350203001/350203001001/"), Some("350203"));
        assert_eq!(super::district_of("/3502/"), None);
    }
}
