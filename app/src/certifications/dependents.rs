//! Certification of dependants and survivors who receive support (XM Art. 15 last paragraph; GUIDE 二
//! "对供养的直系亲属视同退休人员"): the same methods and evidence as a retiree's certification, the same validity
//! period and reminder window from the policy of the retiree's community, suspension of the support by a
//! certification run when overdue, and resumption with the months suspended when certified again (CS Art. 32(1)).

use domain::ErrorCode;
use domain::pension::{self, CertificationMethod, DataSource};
use domain::policy::SuspensionReason;
use persistence::dependent_certification::{
    self as repo, DependentCertification, NewDependentCertification, NewSupportChange, SUPPORT_PAID, SupportChange,
};
use persistence::pension::SOURCE_PERSON;
use persistence::retirees as people;
use persistence::{DbConnection, audit};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::Checked;
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::AppError;
use crate::input::month_text;
use crate::policy_book::rules_of;
use crate::retirees::dependents::{DependentResponse, to_response};

/// A recorded certification of a dependant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DependentCertificationResponse {
    /// Id.
    #[schema(example = 3)]
    pub id: i64,
    /// Dependant id.
    #[schema(example = 7)]
    pub dependent_id: i64,
    /// Their retiree.
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
    /// `person` (through the API) or `feed`.
    #[schema(example = "person")]
    pub source: String,
    /// Feed batch id.
    pub source_ref: Option<i64>,
    /// Who recorded it.
    pub operator: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn certification_response(c: DependentCertification) -> DependentCertificationResponse {
    DependentCertificationResponse {
        id: c.id,
        dependent_id: c.dependent_id,
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

/// A suspension or resumption of a dependant's support.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 4, "dependent_id": 7, "retiree_id": 42, "community_code": "350203001001",
    "to_status": "paid", "reason": "certification_overdue", "effective_month": "2026-07",
    "months_suspended": 4, "back_pay_granted": true, "back_pay_months": 4, "source": "person", "source_ref": null,
    "operator": "hongshan", "created_at": "2026-07-10T02:00:00Z"}))]
pub struct SupportChangeResponse {
    /// Id.
    pub id: i64,
    /// Dependant id.
    pub dependent_id: i64,
    /// Their retiree.
    pub retiree_id: i64,
    /// The retiree's community at the time.
    pub community_code: String,
    /// `suspended`, `paid`, or `stopped` (for good: a death record of the dependant from the data platform, issue
    /// 19.13).
    #[schema(example = "paid")]
    pub to_status: String,
    /// Why: `certification_overdue` (a run), `imprisoned` (an imprisonment record), `suspected_death` (a death
    /// record: the support stops).
    pub reason: SuspensionReason,
    /// Month it takes effect (YYYY-MM).
    #[schema(example = "2026-07")]
    pub effective_month: String,
    /// Months suspended (resumptions): from the suspension month up to, not including, the resumption month.
    pub months_suspended: Option<i32>,
    /// Whether the policy pays those months back (resumptions).
    pub back_pay_granted: Option<bool>,
    /// Months paid back (resumptions).
    pub back_pay_months: Option<i32>,
    /// `person`, `feed` or `run`: where the change came from.
    #[schema(example = "person")]
    pub source: String,
    /// Feed batch or run id.
    pub source_ref: Option<i64>,
    /// Operator.
    pub operator: String,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The API view of a stored support change.
pub fn support_change_response(c: SupportChange) -> SupportChangeResponse {
    SupportChangeResponse {
        id: c.id,
        dependent_id: c.dependent_id,
        retiree_id: c.retiree_id,
        community_code: c.community_code,
        to_status: c.to_status,
        reason: c.reason,
        effective_month: month_text(c.effective_month),
        months_suspended: c.months_suspended,
        back_pay_granted: c.back_pay_granted,
        back_pay_months: c.back_pay_months,
        source: c.source,
        source_ref: c.source_ref,
        operator: c.operator,
        created_at: c.created_at.assume_utc(),
    }
}

/// What recording a dependant's certification did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DependentCertifyResponse {
    /// The certification.
    pub certification: DependentCertificationResponse,
    /// Whether it moved the dependant's validity (an older one is kept as history only).
    pub extended: bool,
    /// The resumption of the support it caused, when it was suspended for an overdue certification.
    pub resumption: Option<SupportChangeResponse>,
    /// The dependant after it.
    pub dependent: DependentResponse,
}

/// Records a certification of a supported dependant of a retiree in the caller's subtree, judged on `on` (XM
/// Art. 15 last paragraph: dependants are certified like retirees). When it is newer than the one on file the
/// dependant's validity runs one policy period (of the retiree's community) from its date; support suspended for
/// an overdue certification (not for another cause, such as a sentence served) resumes in the month of the
/// certification, with the months suspended and, where the policy grants it, paid back (CS Art. 32(1)). A dependant who receives no support cannot be certified (409
/// `dependent_not_supported`).
pub fn certify(
    conn: &mut DbConnection,
    caller: &Caller,
    on: Date,
    (id, dependent_id): (i64, i64),
    checked: Checked,
) -> Result<DependentCertifyResponse, AppError> {
    let (retiree, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    let dependent = people::find_dependent(conn, id, dependent_id)?;
    if !dependent.supported {
        return Err(AppError::of(ErrorCode::DependentNotSupported));
    }
    let policy = crate::policy_book::policy_at(conn, &path, checked.certified_on)?;
    let rules = rules_of(&policy);
    let valid_until = pension::certified_until(checked.certified_on, rules.period_months);
    let (cert, extended) = repo::record(
        conn,
        &NewDependentCertification {
            dependent_id,
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
    let mut entry = caller.audit("dependent.certification.record", "dependent", dependent_id, &path);
    entry.retiree_id = Some(id);
    entry.detail = Some(
        serde_json::json!({"certification_id": cert.id, "method": cert.method,
            "certified_on": cert.certified_on.to_string(), "valid_until": cert.valid_until.to_string(),
            "extended": extended})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    let current = repo::reload(conn, dependent_id)?;
    let mut resumed = None;
    let cause = repo::suspension_reason(conn, dependent_id)?;
    if extended && pension::support_resumes(current.support_suspended_from, cause, current.certified_until, on) {
        // CS Art. 32(1), as for a retiree: resumed in the month of the certification.
        let from = current.support_suspended_from.unwrap_or(on);
        let month = pension::month_of(checked.certified_on).max(from);
        let months = pension::months_between(from, month);
        let granted = policy.back_pay_for(SuspensionReason::CertificationOverdue);
        let change = repo::resume(
            conn,
            &NewSupportChange {
                dependent_id,
                retiree_id: id,
                community_code: retiree.community_code.clone(),
                to_status: SUPPORT_PAID.to_owned(),
                reason: SuspensionReason::CertificationOverdue.as_str().to_owned(),
                effective_month: month,
                months_suspended: Some(i32::try_from(months).unwrap_or(i32::MAX)),
                back_pay_granted: Some(granted),
                back_pay_months: Some(if granted { i32::try_from(months).unwrap_or(i32::MAX) } else { 0 }),
                source: SOURCE_PERSON.to_owned(),
                source_ref: None,
                operator: caller.login.clone(),
                created_at: persistence::now_utc(),
            },
        )?;
        let mut entry = caller.audit("dependent.support.resume", "dependent", dependent_id, &path);
        entry.retiree_id = Some(id);
        entry.detail = Some(
            serde_json::json!({"change_id": change.id, "months_suspended": months, "back_pay_granted": granted})
                .to_string(),
        );
        audit::append(conn, &entry)?;
        resumed = Some(support_change_response(change));
    }
    let after = repo::reload(conn, dependent_id)?;
    let started = repo::started_of(conn, id, on)?.contains(&dependent_id);
    Ok(DependentCertifyResponse {
        certification: certification_response(cert),
        extended,
        resumption: resumed,
        dependent: to_response(after, caller, rules.due_soon_days, on, started),
    })
}

/// A page of the certifications of one dependant, newest first, before `before` (an audited read).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    (id, dependent_id): (i64, i64),
    before: Option<i64>,
    limit: i64,
) -> Result<Audited<Vec<DependentCertificationResponse>>, AppError> {
    let (_, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    people::find_dependent(conn, id, dependent_id)?;
    let mut entry = caller.audit("dependent.certification.list.read", "dependent", dependent_id, &path);
    entry.retiree_id = Some(id);
    Ok(Audited::new(
        repo::certifications_of(conn, dependent_id, before, limit)?.into_iter().map(certification_response).collect(),
        entry,
    ))
}

/// A page of the suspensions and resumptions of one dependant's support, oldest first, after `after` (an audited
/// read).
pub fn support_changes(
    conn: &mut DbConnection,
    caller: &Caller,
    (id, dependent_id): (i64, i64),
    after: Option<i64>,
    limit: i64,
) -> Result<Audited<Vec<SupportChangeResponse>>, AppError> {
    let (_, path) = people::find_in_scope(conn, id, &caller.scope_path)?;
    people::find_dependent(conn, id, dependent_id)?;
    let mut entry = caller.audit("dependent.support.list.read", "dependent", dependent_id, &path);
    entry.retiree_id = Some(id);
    Ok(Audited::new(
        repo::support_changes_of(conn, dependent_id, after, limit)?.into_iter().map(support_change_response).collect(),
        entry,
    ))
}
