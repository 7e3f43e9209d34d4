//! Community health service institutions (GUIDE 第五部分第四章四 2(1)-(5): 登记服务机构 … 签订协议): registering
//! one with or without its cooperation agreement, signing or renewing the agreement, the list and the single view.

use domain::Permission;
use domain::health::{self, HealthError};
use persistence::health_records::{self as repo, Institution, NewInstitution};
use persistence::jurisdictions;
use persistence::{DbConnection, audit};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_phone, check_text, parse_date};
use crate::precondition::IfMatch;
use crate::scope::node_in_scope;

/// A cooperation agreement (GUIDE 四 2(4)-(5) 商谈合作、签订协议).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"agreement_no": "SMWS-2026-01", "from": "2026-01-01", "until": "2027-12-31"}))]
pub struct AgreementInput {
    /// Agreement number, 1-50 characters.
    pub agreement_no: String,
    /// First day in force (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub from: String,
    /// Last day in force (`YYYY-MM-DD`), not before `from` (422 `agreement_order`); absent: open-ended.
    #[schema(format = Date)]
    pub until: Option<String>,
}

/// An institution to register.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "鸿山社区卫生服务站", "jurisdiction": "350203001001", "address": "思明区鸿山路10号",
    "contact_name": "王医生", "contact_phone": "0592-2061235",
    "agreement": {"agreement_no": "SMWS-2026-01", "from": "2026-01-01", "until": "2027-12-31"}}))]
pub struct InstitutionInput {
    /// Name, 1-100 characters.
    pub name: String,
    /// The node it belongs to, in the caller's subtree; default the caller's node.
    pub jurisdiction: Option<String>,
    /// Address, 1-200 characters.
    pub address: String,
    /// Contact person.
    pub contact_name: Option<String>,
    /// Contact phone.
    pub contact_phone: Option<String>,
    /// The cooperation agreement, if signed already.
    pub agreement: Option<AgreementInput>,
}

/// An institution.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = HealthInstitutionView, example = json!({"id": 2, "name": "鸿山社区卫生服务站", "jurisdiction": "350203001001",
    "address": "思明区鸿山路10号", "contact_name": "王医生", "contact_phone": "0592-2061235",
    "agreement_no": "SMWS-2026-01", "agreement_from": "2026-01-01", "agreement_until": "2027-12-31",
    "agreement_active": true, "version": 1}))]
pub struct InstitutionView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Node.
    pub jurisdiction: String,
    /// Address.
    pub address: String,
    /// Contact.
    pub contact_name: Option<String>,
    /// Phone.
    pub contact_phone: Option<String>,
    /// Agreement number.
    pub agreement_no: Option<String>,
    /// Agreement from.
    #[schema(value_type = Option<String>, format = Date)]
    pub agreement_from: Option<Date>,
    /// Agreement until (`null`: open-ended).
    #[schema(value_type = Option<String>, format = Date)]
    pub agreement_until: Option<Date>,
    /// Whether the agreement is in force today (records may be created and updated with it).
    pub agreement_active: bool,
    /// Version (ETag).
    pub version: i64,
}

/// A checked agreement.
#[derive(Debug, Clone)]
pub struct AgreementAsked {
    no: String,
    from: Date,
    until: Option<Date>,
}

/// A checked institution.
#[derive(Debug, Clone)]
pub struct InstitutionAsked {
    name: String,
    jurisdiction: Option<String>,
    address: String,
    contact_name: Option<String>,
    contact_phone: Option<String>,
    agreement: Option<AgreementAsked>,
}

/// The checks of an agreement at `prefix` (`/agreement` or empty), every broken rule at once.
fn check_agreement_at(prefix: &str, a: &AgreementInput, errors: &mut Vec<FieldError>) -> Option<AgreementAsked> {
    let before = errors.len();
    let no = check_name(&format!("{prefix}/agreement_no"), &a.agreement_no, 50, errors);
    let from = parse_date(&format!("{prefix}/from"), &a.from).map_err(|e| errors.push(e)).ok();
    let until = match a.until.as_deref().map(|t| parse_date(&format!("{prefix}/until"), t)) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            errors.push(e);
            None
        }
    };
    if let Some(f) = from
        && let Err(e) = health::check_agreement(f, until)
    {
        errors.push(FieldError::rule(format!("{prefix}/until"), &e));
    }
    match from {
        Some(from) if errors.len() == before => Some(AgreementAsked { no, from, until }),
        _ => None,
    }
}

/// The checks of an agreement sent on its own.
pub fn check_agreement(a: &AgreementInput) -> Result<AgreementAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    match check_agreement_at("", a, &mut errors) {
        Some(asked) if errors.is_empty() => Ok(asked),
        _ => Err(errors),
    }
}

/// The checks of an institution, every broken rule at once.
pub fn check(body: &InstitutionInput) -> Result<InstitutionAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = check_name("/name", &body.name, 100, &mut errors);
    let address = check_name("/address", &body.address, 200, &mut errors);
    let contact_name = check_text("/contact_name", body.contact_name.as_deref(), 50, &mut errors);
    let contact_phone = body.contact_phone.as_deref().map(|p| check_phone("/contact_phone", p, &mut errors));
    let agreement = body.agreement.as_ref().and_then(|a| check_agreement_at("/agreement", a, &mut errors));
    if errors.is_empty() {
        Ok(InstitutionAsked {
            name,
            jurisdiction: body.jurisdiction.clone(),
            address,
            contact_name,
            contact_phone,
            agreement,
        })
    } else {
        Err(errors)
    }
}

/// The institution `i` as shown on `today`.
pub(crate) fn view(i: Institution, today: Date) -> InstitutionView {
    InstitutionView {
        agreement_active: health::agreement_active(i.agreement_from, i.agreement_until, today),
        id: i.id,
        name: i.name,
        jurisdiction: i.jurisdiction_code,
        address: i.address,
        contact_name: i.contact_name,
        contact_phone: i.contact_phone,
        agreement_no: i.agreement_no,
        agreement_from: i.agreement_from,
        agreement_until: i.agreement_until,
        version: i.version,
    }
}

/// Registers an institution at the node asked (in the caller's subtree, else 422 `jurisdiction_not_found`),
/// audited `health.institution.create`.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    asked: InstitutionAsked,
) -> Result<InstitutionView, AppError> {
    caller.require(Permission::HealthWrite)?;
    let node = match asked.jurisdiction.as_deref() {
        Some(code) => node_in_scope(conn, caller, code, "/jurisdiction")?,
        None => jurisdictions::find(conn, &caller.jurisdiction_code)?,
    };
    let row = NewInstitution {
        name: asked.name,
        jurisdiction_code: node.code.clone(),
        address: asked.address,
        contact_name: asked.contact_name,
        contact_phone: asked.contact_phone,
        agreement_no: asked.agreement.as_ref().map(|a| a.no.clone()),
        agreement_from: asked.agreement.as_ref().map(|a| a.from),
        agreement_until: asked.agreement.as_ref().and_then(|a| a.until),
        created_by: caller.login.clone(),
        created_at: persistence::now_utc(),
        version: 1,
    };
    let stored = repo::create_institution(conn, &row)?;
    let mut entry = caller.audit("health.institution.create", "health_institution", stored.id, &node.path);
    entry.detail = Some(serde_json::json!({"name": stored.name}).to_string());
    audit::append(conn, &entry)?;
    Ok(view(stored, today))
}

/// Signs or renews the cooperation agreement of institution `id` (GUIDE 四 2(5)) at the version `if_match` asks
/// for; audited `health.institution.agreement`.
pub fn sign_agreement(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: IfMatch,
    asked: AgreementAsked,
) -> Result<InstitutionView, AppError> {
    caller.require(Permission::HealthWrite)?;
    let (before, path) = repo::find_institution(conn, id, &caller.scope_path)?;
    let version = if_match.expect(before.version)?;
    let row = NewInstitution {
        name: before.name.clone(),
        jurisdiction_code: before.jurisdiction_code.clone(),
        address: before.address.clone(),
        contact_name: before.contact_name.clone(),
        contact_phone: before.contact_phone.clone(),
        agreement_no: Some(asked.no),
        agreement_from: Some(asked.from),
        agreement_until: asked.until,
        created_by: before.created_by.clone(),
        created_at: before.created_at,
        version: before.version,
    };
    let saved = repo::save_institution(conn, id, version, &row)?;
    let mut entry = caller.audit("health.institution.agreement", "health_institution", id, &path);
    entry.detail = Some(
        serde_json::json!({"agreement_no": saved.agreement_no, "from": saved.agreement_from.map(|d| d.to_string()),
            "until": saved.agreement_until.map(|d| d.to_string())})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    Ok(view(saved, today))
}

/// One institution in the caller's subtree (else 404).
pub fn get(conn: &mut DbConnection, caller: &Caller, today: Date, id: i64) -> Result<InstitutionView, AppError> {
    super::require_read(caller)?;
    let (i, _) = repo::find_institution(conn, id, &caller.scope_path)?;
    Ok(view(i, today))
}

/// A page of the institutions in the caller's subtree, by id.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<InstitutionView>, AppError> {
    super::require_read(caller)?;
    Ok(repo::list_institutions(conn, &caller.scope_path, after, limit)?.into_iter().map(|i| view(i, today)).collect())
}

/// The institution `id` named in a request at `field`, of the caller's subtree or a node above it, with an agreement in force on
/// `on` (absent or outside the subtree: 422 `institution_not_found`; no agreement: 422
/// `health_agreement_inactive`).
pub(crate) fn usable(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    on: Date,
    field: &str,
) -> Result<Institution, AppError> {
    let not_found = || AppError::field(FieldError::of(field, domain::ErrorCode::InstitutionNotFound));
    let i = match repo::institution_by_id(conn, id) {
        Ok(i) => i,
        Err(persistence::RepoError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    // An institution of the caller's subtree, or of a node above the caller (a street's health centre serves its
    // communities).
    let path = crate::scope::path_of(conn, &i.jurisdiction_code)?;
    if !(caller.sees(&path) || caller.scope_path.starts_with(&path)) {
        return Err(not_found());
    }
    health::require_agreement(i.agreement_from, i.agreement_until, on)
        .map_err(|e: HealthError| AppError::field(FieldError::rule(field, &e)))?;
    Ok(i)
}
