//! Moving a person into a care institution (GUIDE 第二部分六; JN Art. 7(3): people in care institutions are
//! certified at home): the person's address becomes the institution's, so visits go there; their certification
//! barrier becomes `care_home` (the field `PUT /retirees/{id}/certification-barrier` sets), which opens a
//! home-visit task when they are due (XM Art. 15(3)); the institution's occupied beds rise by one.

use domain::elder_care::{self, CareError};
use domain::pension::{self, CertificationBarrier};
use domain::{ErrorCode, Permission};
use persistence::elder_care as repo;
use persistence::events::{self, Emit};
use persistence::pension as certification;
use persistence::{DbConnection, audit};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::institutions::{InstitutionView, view};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::date_not_after;
use crate::policy_book::rules_at;
use crate::precondition::IfMatch;

/// Moving in.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"institution_id": 3, "moved_in_on": "2026-12-06"}))]
pub struct MoveInRequest {
    /// An institution in the caller's subtree with beds and a valid licence.
    pub institution_id: i64,
    /// Day moved in (`YYYY-MM-DD`), not in the future; default today.
    #[schema(format = Date)]
    pub moved_in_on: Option<String>,
}

/// The result of moving in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MoveInView {
    /// The person.
    pub retiree_id: i64,
    /// Their address now (the institution's).
    pub address: String,
    /// Their certification barrier now (`care_home`: certified at home, JN Art. 7(3)).
    pub certification_barrier: CertificationBarrier,
    /// Home-visit certification tasks opened (1 when the person is due within the reminder window).
    pub tasks_opened: usize,
    /// Day moved in.
    #[schema(value_type = String, format = Date)]
    pub moved_in_on: Date,
    /// The institution after it.
    pub institution: InstitutionView,
    /// The person's version after it (ETag of the retiree).
    pub retiree_version: i64,
}

/// Checks a move on `today`.
pub fn check(body: &MoveInRequest, today: Date) -> Result<(i64, Date), Vec<FieldError>> {
    let mut errors = Vec::new();
    let on = date_not_after("/moved_in_on", body.moved_in_on.as_deref(), today, &mut errors);
    if errors.is_empty() { Ok((body.institution_id, on)) } else { Err(errors) }
}

/// Moves retiree `id` (in the caller's subtree, else 404) into the institution, at the person's version
/// `if_match`. An institution outside the subtree: 422 `institution_not_found`; an expired licence: 422
/// `licence_expired`; no free bed: 422 `beds_over_capacity` (both on `/institution_id`). Audited
/// `care.move_in`; emits `care.moved_in` and `retiree.updated` (address and certification barrier changed).
pub fn move_in(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: IfMatch,
    (institution_id, on): (i64, Date),
) -> Result<MoveInView, AppError> {
    caller.require(Permission::CareServiceManage)?;
    let (retiree, path) = persistence::retirees::find_in_scope(conn, id, &caller.scope_path)?;
    let expected = if_match.expect(retiree.version)?;
    let (inst, inst_path) = repo::find_institution(conn, institution_id, &caller.scope_path).map_err(|e| match e {
        persistence::RepoError::NotFound => {
            AppError::field(FieldError::of("/institution_id", ErrorCode::InstitutionNotFound))
        }
        other => other.into(),
    })?;
    if !elder_care::licence_valid(inst.licence_expires_on, today) {
        let d = inst.licence_expires_on.unwrap_or(today);
        return Err(AppError::field(FieldError::rule("/institution_id", &CareError::LicenceExpired(d))));
    }
    let occupied = inst.beds_occupied + 1;
    if inst.beds_total > 0 {
        let fits = u32::try_from(occupied).ok().zip(u32::try_from(inst.beds_total).ok());
        if fits.is_none_or(|(o, t)| elder_care::check_beds(t, o).is_err()) {
            return Err(AppError::field(FieldError::rule("/institution_id", &CareError::BedsOverCapacity)));
        }
    }
    repo::set_retiree_address(conn, id, expected, &inst.address)?;
    let barrier = CertificationBarrier::CareHome;
    certification::set_barrier(conn, id, None, Some(barrier.as_str()))?;
    let rules = rules_at(conn, &path, today)?;
    let due_by = pension::due_soon_until(today, rules.due_soon_days);
    let opened = certification::create_due_task_for(conn, id, &path, due_by, &caller.login)?;
    let saved = if inst.beds_total > 0 {
        let mut row = persistence::elder_care::NewInstitution {
            name: inst.name.clone(),
            kind: inst.kind.as_str().to_owned(),
            jurisdiction_code: inst.jurisdiction_code.clone(),
            address: inst.address.clone(),
            licence_no: inst.licence_no.clone(),
            licence_expires_on: inst.licence_expires_on,
            beds_total: inst.beds_total,
            beds_occupied: occupied,
            services: inst.services.clone(),
            contact_name: inst.contact_name.clone(),
            contact_phone: inst.contact_phone.clone(),
            last_verified_on: inst.last_verified_on,
            verified_via: inst.verified_via.clone(),
            created_by: inst.created_by.clone(),
            created_at: inst.created_at,
            version: inst.version,
        };
        row.beds_occupied = occupied;
        repo::save_institution(conn, inst.id, inst.version, &row)?
    } else {
        inst.clone()
    };
    let mut entry = caller.audit("care.move_in", "retiree", id, &path);
    entry.retiree_id = Some(id);
    entry.detail = Some(
        serde_json::json!({"institution_id": inst.id, "moved_in_on": on.to_string(),
            "changes": {"address": {"from": retiree.address.is_some(), "to": "institution"},
                "certification_barrier": {"from": retiree.certification_barrier, "to": barrier}},
            "tasks_opened": opened})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    events::emit(
        conn,
        &Emit {
            kind: domain::events::EventType::CareMovedIn.as_str(),
            version: 1,
            subject_type: "retiree",
            subject_id: id,
            retiree_id: Some(id),
            community_code: Some(&retiree.community_code),
            previous_code: None,
            details: serde_json::json!({"institution_id": inst.id, "institution_kind": inst.kind,
                "institution_node": inst.jurisdiction_code, "moved_in_on": on.to_string(),
                "certification_barrier": barrier}),
        },
    )?;
    // The person's record changed too: subscribers that keep the address see it like any other edit.
    events::emit(
        conn,
        &Emit::retiree(
            domain::events::EventType::RetireeUpdated.as_str(),
            id,
            serde_json::json!({"changed": ["address", "certification_barrier"], "source": "api", "source_id": null}),
        ),
    )?;
    let (after, _) = persistence::retirees::find_in_scope(conn, id, &caller.scope_path)?;
    Ok(MoveInView {
        retiree_id: id,
        address: inst.address.clone(),
        certification_barrier: barrier,
        tasks_opened: opened,
        moved_in_on: on,
        institution: view(conn, saved, &inst_path, today)?,
        retiree_version: after.version,
    })
}
