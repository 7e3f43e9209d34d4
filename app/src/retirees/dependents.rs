//! A retiree's dependants (供养直系亲属, XM Art. 15; GUIDE 二), tracked like retirees for certification: the input
//! of a create or an update and its checks (one code for the API and the dependant import), the view a role may
//! see, and the reads and writes of one retiree's dependants.

use domain::pension::{CertificationStatus, SupportStatus, certification_status, support_status};
use domain::roles::SensitiveField;
use domain::{ErrorCode, IdNumber, Relation};
use persistence::dependent_certification::started_of;
use persistence::retirees::{self as repo, Dependent, DependentData};
use persistence::{DbConnection, RepoError, audit};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::audit::changes;
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::check_name;
use crate::masking::show;
use crate::policy_book::rules_at;
use crate::precondition::IfMatch;
use crate::retirees::registration::first_validity;

/// A new dependent.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"relation": "spouse", "id_number": "350203195703030023", "name": "李四", "supported": true}))]
pub struct CreateDependentRequest {
    /// Relation to the retiree.
    pub relation: Relation,
    /// 18-character resident ID.
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$", example = "350203195501010016")]
    pub id_number: String,
    /// Name.
    #[schema(min_length = 1, max_length = 50, example = "李四")]
    pub name: String,
    /// Supported by the retiree.
    pub supported: bool,
}

/// Fields to change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"supported": false}))]
pub struct UpdateDependentRequest {
    /// Relation.
    pub relation: Option<Relation>,
    /// Resident ID.
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$", example = "350203195501010016")]
    pub id_number: Option<String>,
    /// Name.
    #[schema(min_length = 1, max_length = 50, example = "李四")]
    pub name: Option<String>,
    /// Supported.
    pub supported: Option<bool>,
}

/// The checks of a single create, for a dependant from a request or a file row (issue 4: the same code).
pub fn validate_new(body: &CreateDependentRequest, own_id: &str, on: Date) -> Result<DependentData, Vec<FieldError>> {
    check_fields(body.relation, &body.id_number, &body.name, body.supported, own_id, on)
}

/// The checks of a dependant's fields as of `on` (the resident ID must be plausible on that day).
pub fn check_fields(
    relation: Relation,
    id_number: &str,
    name: &str,
    supported: bool,
    own_id: &str,
    on: Date,
) -> Result<DependentData, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = check_name("/name", name, 50, &mut errors);
    let id = IdNumber::parse(id_number, on).map_err(|e| errors.push(FieldError::rule("/id_number", &e))).ok();
    if id.as_ref().is_some_and(|id| id.as_str() == own_id) {
        errors.push(FieldError::of("/id_number", ErrorCode::DependentIsRetiree));
    }
    let Some(id) = id.filter(|_| errors.is_empty()) else { return Err(errors) };
    Ok(DependentData { relation: relation.as_str().to_owned(), id_number: id.as_str().to_owned(), name, supported })
}

/// A dependent as a role may see them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DependentResponse {
    /// Id.
    #[schema(example = 7)]
    pub id: i64,
    /// The retiree.
    #[schema(example = 42)]
    pub retiree_id: i64,
    /// Relation.
    pub relation: Relation,
    /// Resident ID, masked where the role table says so.
    #[schema(example = "350203********0026")]
    pub id_number: String,
    /// Name.
    #[schema(example = "李四")]
    pub name: String,
    /// Supported by the retiree (供养). Supported dependants are certified like retirees (XM Art. 15 last
    /// paragraph; GUIDE 二).
    pub supported: bool,
    /// `registered` while the support has not started (the retiree lives, or the application after the death is
    /// not approved yet: support starts the month after the death, GUIDE 五), then `paid` or `suspended` (an
    /// overdue certification, a sentence served); `not_supported` when the dependant receives no support.
    pub support_status: SupportStatus,
    /// First day of the month the support was suspended, while it is.
    #[schema(value_type = Option<String>, format = Date, example = json!(null))]
    pub support_suspended_from: Option<Date>,
    /// Last valid day of the certification on file.
    #[schema(value_type = String, format = Date, example = "2027-07-15")]
    pub certified_until: Date,
    /// Date of the last certification.
    #[schema(value_type = Option<String>, format = Date, example = "2026-07-15")]
    pub last_certified_on: Option<Date>,
    /// Certified, due soon or overdue today under the policy of the retiree's community; `null` when not
    /// supported (nothing to certify).
    pub certification_status: Option<CertificationStatus>,
    /// Fields shown masked to this caller.
    pub masked_fields: Vec<String>,
    /// Version (also the ETag).
    pub version: i64,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The API view of a dependant; `due_soon_days` is the reminder window of the retiree's community, `started`
/// whether their support has started on `today` ([`domain::support::support_started`]).
pub fn to_response(d: Dependent, caller: &Caller, due_soon_days: u32, today: Date, started: bool) -> DependentResponse {
    let mut masked = Vec::new();
    DependentResponse {
        support_status: support_status(d.supported, started, d.support_suspended_from),
        support_suspended_from: d.support_suspended_from.filter(|_| d.supported),
        certified_until: d.certified_until,
        last_certified_on: d.last_certified_on,
        certification_status: d.supported.then(|| certification_status(d.certified_until, today, due_soon_days)),
        id_number: show(caller.role, SensitiveField::IdNumber, true, &d.id_number, &mut masked),
        id: d.id,
        retiree_id: d.retiree_id,
        relation: d.relation,
        name: d.name,
        supported: d.supported,
        masked_fields: masked,
        version: d.version,
        created_at: d.created_at.assume_utc(),
        updated_at: d.updated_at.assume_utc(),
    }
}

fn taken(e: RepoError) -> AppError {
    match e {
        RepoError::Unique(_) => AppError::of(ErrorCode::DependentIdNumberTaken),
        other => other.into(),
    }
}

/// The dependants of a retiree in the caller's subtree, as of `today` (an audited read).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
) -> Result<Audited<Vec<DependentResponse>>, AppError> {
    let (_, path) = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let mut entry = caller.audit("dependent.list.read", "retiree", id, &path);
    entry.retiree_id = Some(id);
    let days = rules_at(conn, &path, today)?.due_soon_days;
    let started = started_of(conn, id, today)?;
    Ok(Audited::new(
        repo::dependents_of(conn, id)?
            .into_iter()
            .map(|d| {
                let on = started.contains(&d.id);
                to_response(d, caller, days, today, on)
            })
            .collect(),
        entry,
    ))
}

/// Adds a dependant to a retiree in the caller's subtree, registered on `today`: the checks of [`validate_new`]
/// (422), one registration per resident ID and retiree (409 `dependent_id_number_taken`); the first validity is
/// one policy period from `today`.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    body: &CreateDependentRequest,
) -> Result<DependentResponse, AppError> {
    let (retiree, path) = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let data = validate_new(body, &retiree.id_number, today).map_err(AppError::validation)?;
    let rules = rules_at(conn, &path, today)?;
    let dependent = repo::create_dependent(conn, id, &data, first_validity(today, rules)).map_err(taken)?;
    let mut entry = caller.audit("dependent.create", "dependent", dependent.id, &path);
    entry.retiree_id = Some(id);
    entry.detail = Some(serde_json::json!({"changes": changes(None, &data)}).to_string());
    audit::append(conn, &entry)?;
    // A new dependant has no application yet: registered, not paid (GUIDE 五).
    Ok(to_response(dependent, caller, rules.due_soon_days, today, false))
}

/// One dependant of a retiree in the caller's subtree (an audited read).
pub fn get_one(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    dependent_id: i64,
) -> Result<Audited<DependentResponse>, AppError> {
    let (_, path) = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let dependent = repo::find_dependent(conn, id, dependent_id)?;
    let mut entry = caller.audit("dependent.read", "dependent", dependent_id, &path);
    entry.retiree_id = Some(id);
    let days = rules_at(conn, &path, today)?.due_soon_days;
    let started = started_of(conn, id, today)?.contains(&dependent_id);
    Ok(Audited::new(to_response(dependent, caller, days, today, started), entry))
}

/// Changes a dependant at the version `if_match` asks for (412 when stale). Nothing to change answers it as it
/// is; support that starts now asks for a certification one policy period from `today`.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    (id, dependent_id): (i64, i64),
    if_match: IfMatch,
    patch: &UpdateDependentRequest,
) -> Result<DependentResponse, AppError> {
    let (retiree, path) = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let current = repo::find_dependent(conn, id, dependent_id)?;
    let expected = if_match.expect(current.version)?;
    let rules = rules_at(conn, &path, today)?;
    let data = check_fields(
        patch.relation.unwrap_or(current.relation),
        patch.id_number.as_deref().unwrap_or(&current.id_number),
        patch.name.as_deref().unwrap_or(&current.name),
        patch.supported.unwrap_or(current.supported),
        &retiree.id_number,
        today,
    )
    .map_err(AppError::validation)?;
    let before = DependentData {
        relation: current.relation.as_str().to_owned(),
        id_number: current.id_number.clone(),
        name: current.name.clone(),
        supported: current.supported,
    };
    let diff = changes(Some(&before), &data);
    let started = started_of(conn, id, today)?.contains(&dependent_id);
    if diff.is_empty() {
        return Ok(to_response(current, caller, rules.due_soon_days, today, started));
    }
    // Support that starts now asks for a certification one policy period from today.
    let restart = (!current.supported && data.supported).then(|| first_validity(today, rules));
    let updated = repo::update_dependent(conn, dependent_id, expected, &data, restart).map_err(taken)?;
    let mut entry = caller.audit("dependent.update", "dependent", dependent_id, &path);
    entry.retiree_id = Some(id);
    entry.detail = Some(serde_json::json!({ "changes": diff }).to_string());
    audit::append(conn, &entry)?;
    Ok(to_response(updated, caller, rules.due_soon_days, today, started))
}

/// Removes a dependant entered in error, at the version `if_match` asks for (412 when stale).
pub fn remove(
    conn: &mut DbConnection,
    caller: &Caller,
    (id, dependent_id): (i64, i64),
    if_match: IfMatch,
) -> Result<(), AppError> {
    let (_, path) = repo::find_in_scope(conn, id, &caller.scope_path)?;
    let current = repo::find_dependent(conn, id, dependent_id)?;
    let expected = if_match.expect(current.version)?;
    repo::delete_dependent(conn, dependent_id, expected)?;
    let mut entry = caller.audit("dependent.delete", "dependent", dependent_id, &path);
    entry.retiree_id = Some(id);
    entry.detail = Some(serde_json::json!({"changes": {"name": {"from": current.name, "to": null}}}).to_string());
    audit::append(conn, &entry)?;
    Ok(())
}
