//! Eligibility certification (CS Art. 16(2), 32(1); XM Art. 15; JN Art. 7(3)): recording a certification of a
//! person by any method with the evidence the method needs, its history, the home-certification barrier and the
//! home-visit worklist ([`barrier`]), certification runs that suspend everybody overdue in a subtree ([`runs`]),
//! and the certification of supported dependants ([`dependents`]).

pub mod barrier;
pub mod dependents;
pub mod runs;

use domain::ErrorCode;
use domain::pension::{self, CertificationMethod, DataSource, PensionState};
use domain::policy::Ratio;
use persistence::pension::{self as repo, Certification, NewCertification, SOURCE_PERSON};
use persistence::retirees as people;
use persistence::{DbConnection, audit};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_text, parse_date};
use crate::pension::{
    PensionStatusResponse, StatusChangeResponse, apply_change, change_response, illegal, resumption, state_of,
    status_response,
};
use crate::policy_book::rules_at;

/// A certification to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "face_recognition", "certified_on": "2026-07-15", "provider": "闽政通",
    "provider_reference": "FR-20260715-000123", "score": "0.93"}))]
pub struct CertifyRequest {
    /// How (XM Art. 15).
    pub method: CertificationMethod,
    /// Date of the certification (YYYY-MM-DD), not in the future.
    #[schema(example = "2026-07-15")]
    pub certified_on: String,
    /// For `data_comparison`: the kind of government data (required).
    pub data_source: Option<DataSource>,
    /// For `data_comparison` and `face_recognition`: the source system or provider (required), up to 100
    /// characters.
    #[schema(example = "闽政通")]
    pub provider: Option<String>,
    /// For `face_recognition`: the provider's reference (required); for `data_comparison`: the source record.
    #[schema(example = "FR-20260715-000123")]
    pub provider_reference: Option<String>,
    /// For `face_recognition`: the match score between 0 and 1 (required), as a decimal string.
    #[schema(example = "0.93")]
    pub score: Option<String>,
    /// For the methods done by a person (`community_worker`, `group_leader`, `remote_assistance`,
    /// `third_party_visit`, `home_visit`): who certified (required), up to 50 characters.
    #[schema(example = "王五")]
    pub certifier_name: Option<String>,
    /// What was seen or the document it rests on, up to 2,000 characters.
    pub evidence: Option<String>,
}

/// A recorded certification.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CertificationResponse {
    /// Id.
    #[schema(example = 5)]
    pub id: i64,
    /// Retiree id.
    #[schema(example = 42)]
    pub retiree_id: i64,
    /// Method.
    pub method: CertificationMethod,
    /// Kind of government data (data comparison).
    pub data_source: Option<DataSource>,
    /// Source system or provider.
    pub provider: Option<String>,
    /// Provider's reference or source record.
    pub provider_reference: Option<String>,
    /// Face-recognition score.
    pub score: Option<String>,
    /// Who certified.
    pub certifier_name: Option<String>,
    /// Evidence.
    pub evidence: Option<String>,
    /// Date.
    #[schema(value_type = String, format = Date, example = "2026-07-15")]
    pub certified_on: Date,
    /// Last valid day it gives: one policy period later.
    #[schema(value_type = String, format = Date, example = "2027-07-15")]
    pub valid_until: Date,
    /// `person` (through the API), `feed` (a data-platform batch) or `loaded` (the last certification loaded with
    /// the person at registration, by a roster import or a handover; issue 19.2).
    #[schema(example = "person")]
    pub source: String,
    /// Feed batch id; for `loaded`, the import job or the handover item (`null` for `POST /retirees`).
    pub source_ref: Option<i64>,
    /// Who recorded it.
    pub operator: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// What recording a certification did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CertifyResponse {
    /// The certification.
    pub certification: CertificationResponse,
    /// Whether it moved the person's validity: a later validity always does; an older certification moves it
    /// only when it is the latest on record (none dated after it), even back (issue 19.2); otherwise it is kept
    /// as history only.
    pub extended: bool,
    /// The resumption it caused, when the pension was suspended for an overdue certification (CS Art. 32(1)).
    pub resumption: Option<StatusChangeResponse>,
    /// The person's status after it.
    pub status: PensionStatusResponse,
}

/// The API view of a stored certification.
pub fn certification_response(c: Certification) -> CertificationResponse {
    CertificationResponse {
        id: c.id,
        retiree_id: c.retiree_id,
        method: c.method,
        data_source: c.data_source,
        provider: c.provider,
        provider_reference: c.provider_reference,
        score: c.score,
        certifier_name: c.certifier_name,
        evidence: c.evidence,
        certified_on: c.certified_on,
        valid_until: c.valid_until,
        source: c.source,
        source_ref: c.source_ref,
        operator: c.operator,
        created_at: c.created_at.assume_utc(),
    }
}

fn required(field: &str, method: CertificationMethod, errors: &mut Vec<FieldError>) {
    errors.push(FieldError::with(
        field,
        ErrorCode::RequiredForMethod,
        format!("认证方式为{}时必须填写 {}", method.label_zh(), field.trim_start_matches('/')),
        format!("{} is required for method {method}", field.trim_start_matches('/')),
    ));
}

fn not_for_method(field: &str, method: CertificationMethod, errors: &mut Vec<FieldError>) {
    errors.push(FieldError::with(
        field,
        ErrorCode::NotForMethod,
        format!("认证方式为{}时不应填写 {}", method.label_zh(), field.trim_start_matches('/')),
        format!("{} does not apply to method {method}", field.trim_start_matches('/')),
    ));
}

/// A certification request, checked: every field as the certification will hold it.
#[derive(Debug, Clone)]
pub struct Checked {
    /// How.
    pub method: CertificationMethod,
    /// Date of the certification.
    pub certified_on: Date,
    /// Kind of government data.
    pub data_source: Option<DataSource>,
    /// Source system or provider.
    pub provider: Option<String>,
    /// Provider's reference.
    pub provider_reference: Option<String>,
    /// Face-recognition score, normalised.
    pub score: Option<String>,
    /// Who certified.
    pub certifier_name: Option<String>,
    /// Evidence.
    pub evidence: Option<String>,
}

/// The checks of a certification as of `on`: the date not in the future, and the evidence each method needs
/// (XM Art. 15); every broken rule at once.
pub fn check(body: &CertifyRequest, on: Date) -> Result<Checked, Vec<FieldError>> {
    use CertificationMethod as M;
    let mut errors = Vec::new();
    let certified_on = parse_date("/certified_on", &body.certified_on).map_err(|e| errors.push(e)).ok();
    if let Some(d) = certified_on
        && d > on
    {
        errors.push(FieldError::with(
            "/certified_on",
            ErrorCode::DateInFuture,
            "认证日期不能晚于今天",
            "the certification date cannot be in the future",
        ));
    }
    let provider = check_text("/provider", body.provider.as_deref(), 100, &mut errors);
    let provider_reference = check_text("/provider_reference", body.provider_reference.as_deref(), 100, &mut errors);
    let certifier_name = check_text("/certifier_name", body.certifier_name.as_deref(), 50, &mut errors);
    let evidence = check_text("/evidence", body.evidence.as_deref(), 2000, &mut errors);
    let score = body.score.as_deref().and_then(|s| match s.trim().parse::<Ratio>() {
        Ok(d) if d >= Ratio::ZERO && d <= Ratio::ONE => Some(d.normalize().to_string()),
        _ => {
            errors.push(FieldError::of("/score", ErrorCode::ScoreRange));
            None
        }
    });
    let m = body.method;
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    match m {
        M::DataComparison => {
            if body.data_source.is_none() {
                required("/data_source", m, &mut errors);
            }
            if blank(&body.provider) {
                required("/provider", m, &mut errors);
            }
        }
        M::FaceRecognition => {
            if blank(&body.provider) {
                required("/provider", m, &mut errors);
            }
            if blank(&body.provider_reference) {
                required("/provider_reference", m, &mut errors);
            }
            if body.score.is_none() {
                required("/score", m, &mut errors);
            }
        }
        M::CommunityWorker | M::GroupLeader | M::RemoteAssistance | M::ThirdPartyVisit | M::HomeVisit => {
            if blank(&body.certifier_name) {
                required("/certifier_name", m, &mut errors);
            }
        }
    }
    if m != M::DataComparison && body.data_source.is_some() {
        not_for_method("/data_source", m, &mut errors);
    }
    if m != M::FaceRecognition && body.score.is_some() {
        not_for_method("/score", m, &mut errors);
    }
    match certified_on {
        Some(certified_on) if errors.is_empty() => Ok(Checked {
            method: m,
            certified_on,
            data_source: body.data_source,
            provider,
            provider_reference,
            score,
            certifier_name,
            evidence,
        }),
        _ => Err(errors),
    }
}

/// Records a certification of one person in the caller's subtree, judged on `on` (XM Art. 15; CS Art. 16(2)).
/// When it is newer than the one on file the person's validity runs one policy period from its date and an open
/// home-visit task is closed; when it is older but still the latest certification on record (say the real last
/// certification of a person registered with a fresh period) the validity runs from it too, and may fall due at
/// once (issue 19.2; CS Art. 16(2), 32(1)); a pension suspended for an overdue certification resumes in the month of the
/// certification, with the back-pay the policy grants (CS Art. 32(1)). A stopped or transferred-out pension
/// cannot be certified (409).
pub fn certify(
    conn: &mut DbConnection,
    caller: &Caller,
    on: Date,
    id: i64,
    checked: Checked,
) -> Result<CertifyResponse, AppError> {
    let (retiree, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let from = state_of(&retiree)?;
    match from {
        PensionState::Stopped => return Err(illegal(pension::TransitionError::Stopped)),
        PensionState::TransferredOut => return Err(illegal(pension::TransitionError::TransferredOut)),
        _ => {}
    }
    let rules = rules_at(conn, &path, checked.certified_on)?;
    let valid_until = pension::certified_until(checked.certified_on, rules.period_months);
    let (cert, mut extended) = repo::record_certification(
        conn,
        &NewCertification {
            retiree_id: id,
            method: checked.method.as_str().to_owned(),
            data_source: checked.data_source.map(|d| d.as_str().to_owned()),
            provider: checked.provider,
            provider_reference: checked.provider_reference,
            score: checked.score,
            certifier_name: checked.certifier_name,
            evidence: checked.evidence,
            certified_on: checked.certified_on,
            valid_until,
            source: SOURCE_PERSON.to_owned(),
            source_ref: None,
            operator: caller.login.clone(),
            created_at: persistence::now_utc(),
        },
    )?;
    if !extended {
        // Issue 19.2; CS Art. 16(2), 32(1): the latest certification on record sets the validity even when it is
        // older than the period the person got at registration (their real last certification, loaded late).
        let latest = people::latest_certified_on(conn, id)? == Some(checked.certified_on);
        if let Some(until) = pension::validity_after(retiree.certified_until, valid_until, latest) {
            people::set_validity(conn, id, until, checked.certified_on)?;
            extended = true;
        }
    }
    let mut entry = caller.audit("certification.record", "retiree", id, &path);
    entry.retiree_id = Some(id);
    entry.detail = Some(
        serde_json::json!({"certification_id": cert.id, "method": cert.method, "certified_on": cert.certified_on.to_string(),
            "valid_until": cert.valid_until.to_string(), "extended": extended})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    let (mut current, _) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let mut resumed = None;
    if let PensionState::Suspended(reason) = from
        && pension::certification_resumes(reason)
        && extended
        && !pension::is_overdue(current.certified_until, on)
    {
        // CS Art. 32(1): certified later → resumed in the month of the certification, with back-pay.
        let month = pension::month_of(checked.certified_on).max(current.suspended_from.unwrap_or(Date::MIN));
        let to = pension::transition(from, pension::Transition::Resume).map_err(illegal)?;
        let note = Some(format!("certification {}", cert.id));
        let (change, _) = resumption(conn, &current, &path, reason, month, &caller.login, note)?;
        let (after, recorded) = apply_change(conn, caller, &current, &path, None, to, change)?;
        current = after;
        resumed = Some(change_response(recorded)?);
    }
    Ok(CertifyResponse {
        certification: certification_response(cert),
        extended,
        resumption: resumed,
        status: status_response(&current, rules.due_soon_days, on),
    })
}

/// A page of the certifications of one person, newest first, before the certification `before` (an audited
/// read).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Audited<Vec<CertificationResponse>>, AppError> {
    let (_, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let mut entry = caller.audit("certification.list.read", "retiree", id, &path);
    entry.retiree_id = Some(id);
    Ok(Audited::new(
        repo::certifications_of(conn, id, before, limit)?.into_iter().map(certification_response).collect(),
        entry,
    ))
}

/// One certification of one person (an audited read).
pub fn get_one(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    cert_id: i64,
) -> Result<Audited<CertificationResponse>, AppError> {
    let (_, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let cert = repo::find_certification(conn, id, cert_id)?;
    let mut entry = caller.audit("certification.read", "retiree", id, &path);
    entry.retiree_id = Some(id);
    Ok(Audited::new(certification_response(cert), entry))
}
