//! The register of care institutions (GUIDE 第二部分六 2, 6: community care homes, retiree apartments and other
//! institutions, with their qualifications; information collected by visits, mail, phone and online and kept
//! current): registering one, recording a verification (which may correct beds, prices, licence and contact), the
//! list with the worklist of stale information, and the single view.

use domain::elder_care::{self, CareError, CareItem, InstitutionKind};
use domain::policy::Policy;
use domain::{ErrorCode, Money, Permission};
use persistence::elder_care::{self as repo, Institution, NewInstitution};
use persistence::jurisdictions;
use persistence::{DbConnection, audit};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{json, to_json};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_phone, check_text, date_not_after, parse_date};
use crate::policy_book::{PolicyBook, policy_at};
use crate::precondition::IfMatch;
use crate::scope::node_in_scope;

/// How an institution's information was collected (GUIDE 第二部分六 6(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerifiedVia {
    /// A visit.
    Visit,
    /// Mail or e-mail.
    Mail,
    /// Phone or fax.
    Phone,
    /// Online.
    Online,
    /// From the civil affairs or human resources departments.
    Department,
}

impl VerifiedVia {
    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visit => "visit",
            Self::Mail => "mail",
            Self::Phone => "phone",
            Self::Online => "online",
            Self::Department => "department",
        }
    }
}

/// A service offered with its price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"item": "meal_help", "price": "15.00"}))]
pub struct ServiceOffer {
    /// The item.
    pub item: CareItem,
    /// Price per service in yuan (`"15.00"`), as the institution charges it.
    #[schema(value_type = String)]
    pub price: String,
}

/// An institution to register, or its fields as verified.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "鼓浪屿社区养老院", "kind": "community_care_home", "jurisdiction": "350203001001",
    "address": "思明区鼓浪屿龙头路12号", "licence_no": "闽民养2026001", "licence_expires_on": "2028-06-30",
    "beds_total": 60, "beds_occupied": 42, "services": [{"item": "meal_help", "price": "15.00"},
    {"item": "full_care", "price": "3200.00"}], "contact_name": "陈院长", "contact_phone": "0592-2061234",
    "verified_via": "visit"}))]
pub struct InstitutionInput {
    /// Name, 1-100 characters.
    pub name: String,
    /// Kind.
    pub kind: InstitutionKind,
    /// The node it belongs to, in the caller's subtree; default the caller's node.
    pub jurisdiction: Option<String>,
    /// Address, 1-200 characters (it becomes the address of the people who move in).
    pub address: String,
    /// Licence or qualification number (required for every kind but a home-care provider).
    pub licence_no: Option<String>,
    /// Licence expiry (`YYYY-MM-DD`); an expired licence is refused (422 `licence_expired`).
    #[schema(format = Date)]
    pub licence_expires_on: Option<String>,
    /// Beds (0 for a home-care provider).
    pub beds_total: i32,
    /// Beds occupied, not above `beds_total` (422 `beds_over_capacity`); default 0.
    pub beds_occupied: Option<i32>,
    /// Services offered with prices, each item once, at least one.
    pub services: Vec<ServiceOffer>,
    /// Contact person.
    pub contact_name: Option<String>,
    /// Contact phone.
    pub contact_phone: Option<String>,
    /// How the information was collected.
    pub verified_via: VerifiedVia,
    /// Day verified (`YYYY-MM-DD`), not in the future; default today.
    #[schema(format = Date)]
    pub verified_on: Option<String>,
}

/// An institution.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 3, "name": "鼓浪屿社区养老院", "kind": "community_care_home",
    "jurisdiction": "350203001001", "address": "思明区鼓浪屿龙头路12号", "licence_no": "闽民养2026001",
    "licence_expires_on": "2028-06-30", "licence_valid": true, "beds_total": 60, "beds_occupied": 42,
    "beds_free": 18, "services": [{"item": "meal_help", "price": "15.00"}], "contact_name": "陈院长",
    "contact_phone": "0592-2061234", "last_verified_on": "2026-12-06", "verified_via": "visit",
    "current_until": "2027-06-04", "stale": false, "version": 1}))]
pub struct InstitutionView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: InstitutionKind,
    /// Node.
    pub jurisdiction: String,
    /// Address.
    pub address: String,
    /// Licence number.
    pub licence_no: Option<String>,
    /// Licence expiry.
    #[schema(value_type = Option<String>, format = Date)]
    pub licence_expires_on: Option<Date>,
    /// Whether the licence is valid today.
    pub licence_valid: bool,
    /// Beds.
    pub beds_total: i32,
    /// Beds occupied.
    pub beds_occupied: i32,
    /// Beds free.
    pub beds_free: i32,
    /// Services with prices.
    pub services: Vec<ServiceOffer>,
    /// Contact.
    pub contact_name: Option<String>,
    /// Phone.
    pub contact_phone: Option<String>,
    /// Last verified.
    #[schema(value_type = String, format = Date)]
    pub last_verified_on: Date,
    /// How.
    pub verified_via: String,
    /// Last day the information is current (policy `elder_care.institution_stale_days`).
    #[schema(value_type = Option<String>, format = Date)]
    pub current_until: Option<Date>,
    /// Whether it is stale today (on the worklist).
    pub stale: bool,
    /// Version (ETag).
    pub version: i64,
}

/// A checked institution.
#[derive(Debug, Clone)]
pub struct InstitutionAsked {
    body: InstitutionInput,
    name: String,
    address: String,
    licence_no: Option<String>,
    licence_expires_on: Option<Date>,
    beds_occupied: i32,
    services: Vec<ServiceOffer>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
    verified_on: Date,
}

/// The checks of an institution on `today`, every broken rule at once.
pub fn check(body: &InstitutionInput, today: Date) -> Result<InstitutionAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = check_name("/name", &body.name, 100, &mut errors);
    let address = check_name("/address", &body.address, 200, &mut errors);
    let licence_no = check_text("/licence_no", body.licence_no.as_deref(), 50, &mut errors);
    if licence_no.is_none() && body.kind != InstitutionKind::HomeCareProvider {
        errors.push(FieldError::of("/licence_no", ErrorCode::Required));
    }
    let licence_expires_on = match body.licence_expires_on.as_deref().map(|t| parse_date("/licence_expires_on", t)) {
        None => None,
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        Some(Ok(d)) => {
            if !elder_care::licence_valid(Some(d), today) {
                errors.push(FieldError::rule("/licence_expires_on", &CareError::LicenceExpired(d)));
            }
            Some(d)
        }
    };
    let beds_occupied = body.beds_occupied.unwrap_or(0);
    if body.beds_total < 0 || body.beds_total > 100_000 {
        errors.push(FieldError::of("/beds_total", ErrorCode::InvalidValue));
    }
    if beds_occupied < 0 {
        errors.push(FieldError::of("/beds_occupied", ErrorCode::InvalidValue));
    } else if let (Ok(t), Ok(o)) = (u32::try_from(body.beds_total), u32::try_from(beds_occupied))
        && let Err(e) = elder_care::check_beds(t, o)
    {
        errors.push(FieldError::rule("/beds_occupied", &e));
    }
    let mut seen = Vec::new();
    if body.services.is_empty() {
        errors.push(FieldError::of("/services", ErrorCode::Required));
    }
    let mut services = Vec::new();
    for (i, s) in body.services.iter().enumerate() {
        if seen.contains(&s.item) {
            errors.push(FieldError::with(
                format!("/services/{i}/item"),
                ErrorCode::InvalidValue,
                "服务项目重复",
                "the item appears twice",
            ));
        }
        seen.push(s.item);
        match Money::parse(&s.price) {
            Ok(m) => services.push(ServiceOffer { item: s.item, price: m.to_string() }),
            Err(e) => errors.push(FieldError::rule(format!("/services/{i}/price"), &e)),
        }
    }
    let contact_name = check_text("/contact_name", body.contact_name.as_deref(), 50, &mut errors);
    let contact_phone = body.contact_phone.as_deref().map(|p| check_phone("/contact_phone", p, &mut errors));
    let verified_on = date_not_after("/verified_on", body.verified_on.as_deref(), today, &mut errors);
    if errors.is_empty() {
        Ok(InstitutionAsked {
            body: body.clone(),
            name,
            address,
            licence_no,
            licence_expires_on,
            beds_occupied,
            services,
            contact_name,
            contact_phone,
            verified_on,
        })
    } else {
        Err(errors)
    }
}

/// The institution `i` as shown on `today` under the policy at `path`.
pub(crate) fn view(
    conn: &mut DbConnection,
    i: Institution,
    path: &str,
    today: Date,
) -> Result<InstitutionView, AppError> {
    let policy = policy_at(conn, path, today)?;
    view_under(i, &policy, today)
}

/// The institution `i` as shown on `today` under `policy` (that of its node).
pub(crate) fn view_under(i: Institution, policy: &Policy, today: Date) -> Result<InstitutionView, AppError> {
    let services: Vec<ServiceOffer> = json("care_institutions", i.id, "services", &i.services)?;
    Ok(InstitutionView {
        current_until: elder_care::current_until(&policy.elder_care, i.last_verified_on),
        stale: elder_care::is_stale(&policy.elder_care, i.last_verified_on, today),
        licence_valid: elder_care::licence_valid(i.licence_expires_on, today),
        beds_free: i.beds_total - i.beds_occupied,
        id: i.id,
        name: i.name,
        kind: i.kind,
        jurisdiction: i.jurisdiction_code,
        address: i.address,
        licence_no: i.licence_no,
        licence_expires_on: i.licence_expires_on,
        beds_total: i.beds_total,
        beds_occupied: i.beds_occupied,
        services,
        contact_name: i.contact_name,
        contact_phone: i.contact_phone,
        last_verified_on: i.last_verified_on,
        verified_via: i.verified_via,
        version: i.version,
    })
}

fn row(asked: &InstitutionAsked, node: &str, caller: &Caller) -> Result<NewInstitution, AppError> {
    Ok(NewInstitution {
        name: asked.name.clone(),
        kind: asked.body.kind.as_str().to_owned(),
        jurisdiction_code: node.to_owned(),
        address: asked.address.clone(),
        licence_no: asked.licence_no.clone(),
        licence_expires_on: asked.licence_expires_on,
        beds_total: asked.body.beds_total,
        beds_occupied: asked.beds_occupied,
        services: to_json(&asked.services)?,
        contact_name: asked.contact_name.clone(),
        contact_phone: asked.contact_phone.clone(),
        last_verified_on: asked.verified_on,
        verified_via: asked.body.verified_via.as_str().to_owned(),
        created_by: caller.login.clone(),
        created_at: persistence::now_utc(),
        version: 1,
    })
}

/// Registers an institution at the node asked (in the caller's subtree, else 422 `jurisdiction_not_found`),
/// audited `care.institution.create`.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    asked: InstitutionAsked,
) -> Result<InstitutionView, AppError> {
    caller.require(Permission::CareServiceManage)?;
    let node = match asked.body.jurisdiction.as_deref() {
        Some(code) => node_in_scope(conn, caller, code, "/jurisdiction")?,
        None => jurisdictions::find(conn, &caller.jurisdiction_code)?,
    };
    let stored = repo::create_institution(conn, &row(&asked, &node.code, caller)?)?;
    let mut entry = caller.audit("care.institution.create", "care_institution", stored.id, &node.path);
    entry.detail = Some(serde_json::json!({"name": stored.name, "kind": stored.kind}).to_string());
    audit::append(conn, &entry)?;
    view(conn, stored, &node.path, today)
}

/// Records a verification of institution `id` (GUIDE 第二部分六 6): the fields as found, the day and the channel,
/// at the version `if_match` asks for; audited `care.institution.verify` with the fields changed. The node stays.
pub fn verify(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: i64,
    if_match: IfMatch,
    asked: InstitutionAsked,
) -> Result<InstitutionView, AppError> {
    caller.require(Permission::CareServiceManage)?;
    let (before, path) = repo::find_institution(conn, id, &caller.scope_path)?;
    let version = if_match.expect(before.version)?;
    let mut new = row(&asked, &before.jurisdiction_code, caller)?;
    new.created_by = before.created_by.clone();
    new.created_at = before.created_at;
    new.version = before.version;
    let saved = repo::save_institution(conn, id, version, &new)?;
    let mut entry = caller.audit("care.institution.verify", "care_institution", id, &path);
    entry.detail = Some(
        serde_json::json!({"verified_on": saved.last_verified_on.to_string(), "via": saved.verified_via,
            "beds_occupied": {"from": before.beds_occupied, "to": saved.beds_occupied},
            "licence_expires_on": {"from": before.licence_expires_on.map(|d| d.to_string()),
                "to": saved.licence_expires_on.map(|d| d.to_string())}})
        .to_string(),
    );
    audit::append(conn, &entry)?;
    view(conn, saved, &path, today)
}

/// One institution in the caller's subtree (else 404).
pub fn get(conn: &mut DbConnection, caller: &Caller, today: Date, id: i64) -> Result<InstitutionView, AppError> {
    super::require_read(caller)?;
    let (i, path) = repo::find_institution(conn, id, &caller.scope_path)?;
    view(conn, i, &path, today)
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct InstitutionQuery {
    /// Only this kind.
    pub kind: Option<InstitutionKind>,
    /// Only those whose information is stale today (the worklist).
    pub stale: bool,
    /// Cursor.
    pub after: Option<i64>,
    /// Page size.
    pub limit: i64,
}

/// A page of the institutions in the caller's subtree, by id; with `stale`, those whose last verification is older
/// than the policy's `institution_stale_days` at the caller's node (each judged again at its own node).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    book: &PolicyBook,
    q: &InstitutionQuery,
) -> Result<Vec<InstitutionView>, AppError> {
    let today = book.on();
    super::require_read(caller)?;
    let mut out = Vec::new();
    let mut after = q.after;
    loop {
        let rows = repo::list_institutions(conn, &caller.scope_path, q.kind.map(|k| k.as_str()), None, after, q.limit)?;
        let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) == q.limit;
        for (i, path) in rows {
            after = Some(i.id);
            let v = view_under(i, book.at(&path), today)?;
            if !q.stale || v.stale {
                out.push(v);
            }
            if i64::try_from(out.len()).unwrap_or(i64::MAX) == q.limit {
                return Ok(out);
            }
        }
        if !full || !q.stale {
            return Ok(out);
        }
    }
}
