//! Registering a retiree: the input of a create or an update and the checks every new or changed record passes
//! (one code for the API, roster imports and handover, not copies).

use domain::pension::CertificationMethod;
use domain::{Category, ErrorCode, IdNumber, ManagementLevel, Money, PensionStatus, Sex, SpecialGroup};
use persistence::retirees::{GroupFlag, RetireeData};
use serde::{Deserialize, Deserializer, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::input::{check_name, check_phone, check_text, parse_date};
use crate::policy_book::LocalRules;

/// A dated special-group flag.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecialGroupInput {
    /// A flag group (not `advanced_age` or `party_member`, which are derived).
    pub group: SpecialGroup,
    /// From (YYYY-MM-DD).
    #[schema(format = Date, example = "2024-01-01")]
    pub from: String,
    /// To, inclusive (YYYY-MM-DD); `null` while it holds.
    #[schema(format = Date, example = json!(null))]
    pub to: Option<String>,
}

/// A new retiree.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "张三", "id_number": "350203195501010016", "retirement_date": "2015-01-01",
    "category": "enterprise_employee", "management_level": "city_managed", "community_code": "350203001001",
    "phone": "13812345678", "address": "厦门市思明区厦港街道大学路1号", "monthly_pension": "3500.00",
    "party_member": true, "special_groups": [{"group": "living_alone", "from": "2024-01-01", "to": null}]
}))]
pub struct CreateRetireeRequest {
    /// Name.
    #[schema(min_length = 1, max_length = 50, example = "张三")]
    pub name: String,
    /// 18-character resident ID (GB 11643).
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$", example = "350203195501010016")]
    pub id_number: String,
    /// Optional; must agree with the ID number.
    pub sex: Option<Sex>,
    /// Optional (YYYY-MM-DD); must agree with the ID number.
    #[schema(format = Date, example = "2015-01-01")]
    pub birth_date: Option<String>,
    /// Retirement date (YYYY-MM-DD).
    #[schema(format = Date, example = "2015-01-01")]
    pub retirement_date: String,
    /// Category.
    pub category: Category,
    /// Management level.
    pub management_level: ManagementLevel,
    /// Community of residence (12-digit code in the caller's subtree).
    #[schema(pattern = "^[0-9]{12}$", example = "350203001001")]
    pub community_code: String,
    /// Phone: mobile (11 digits) or landline.
    pub phone: Option<String>,
    /// Home address.
    pub address: Option<String>,
    /// Monthly pension in yuan, two decimals (`"3500.00"`).
    #[schema(pattern = "^[0-9]{1,9}(\\.[0-9]{1,2})?$", example = "3500.00")]
    pub monthly_pension: Option<String>,
    /// Party member (default false).
    pub party_member: Option<bool>,
    /// Special-group flags with dates.
    pub special_groups: Option<Vec<SpecialGroupInput>>,
    /// Notes.
    pub notes: Option<String>,
    /// The person's real last certification (YYYY-MM-DD), when the city loads an existing roster (issue 19.2):
    /// not in the future, not before `retirement_date`; `certified_until` is one policy period after it (CS Art.
    /// 16(2)), so a person overdue is overdue at once. Absent: one policy period from registration. Needs
    /// `last_certification_method`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date, example = "2025-06-01")]
    pub last_certified_on: Option<String>,
    /// How the last certification was made (with `last_certified_on`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_certification_method: Option<CertificationMethod>,
}

/// A person's real last certification, loaded with them (issue 19.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadedCertification {
    /// Date of the certification.
    pub certified_on: Date,
    /// How it was made.
    pub method: CertificationMethod,
}

/// The last certification of a new person, checked against their retirement date as of `on`: both fields or
/// neither; the date neither in the future nor before retirement (issue 19.2; CS Art. 16(2)).
fn check_last_certification(
    date: Option<&str>,
    method: Option<CertificationMethod>,
    retirement: Option<Date>,
    on: Date,
    errors: &mut Vec<FieldError>,
) -> Option<LoadedCertification> {
    let date = date.map(str::trim).filter(|d| !d.is_empty());
    let certified_on = date.and_then(|d| parse_date("/last_certified_on", d).map_err(|e| errors.push(e)).ok());
    match (date, method) {
        (Some(_), None) => errors.push(FieldError::with(
            "/last_certification_method",
            ErrorCode::Required,
            "填写末次认证日期时须填写认证方式",
            "last_certification_method is required with last_certified_on",
        )),
        (None, Some(_)) => errors.push(FieldError::with(
            "/last_certified_on",
            ErrorCode::Required,
            "填写认证方式时须填写末次认证日期",
            "last_certified_on is required with last_certification_method",
        )),
        _ => {}
    }
    let (certified_on, method, retirement) = (certified_on?, method?, retirement?);
    match domain::pension::loaded_certification_refusal(certified_on, retirement, on) {
        Some(code @ ErrorCode::DateInFuture) => {
            errors.push(FieldError::with(
                "/last_certified_on",
                code,
                "末次认证日期不能晚于今天",
                "the last certification cannot be in the future",
            ));
            None
        }
        Some(code) => {
            errors.push(FieldError::with(
                "/last_certified_on",
                code,
                "末次认证日期不能早于退休日期",
                "the last certification cannot be before the retirement date",
            ));
            None
        }
        None => Some(LoadedCertification { certified_on, method }),
    }
}

fn double_option<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Fields to change; absent fields stay, `null` clears an optional field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "13900001111", "address": null, "special_groups": []}))]
pub struct UpdateRetireeRequest {
    /// Name.
    #[schema(min_length = 1, max_length = 50, example = "张三")]
    pub name: Option<String>,
    /// Corrected resident ID; birth date and sex follow it.
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$", example = "350203195501010016")]
    pub id_number: Option<String>,
    /// Must agree with the ID number.
    pub sex: Option<Sex>,
    /// Must agree with the ID number.
    #[schema(format = Date, example = "2015-01-01")]
    pub birth_date: Option<String>,
    /// Retirement date.
    #[schema(format = Date, example = "2015-01-01")]
    pub retirement_date: Option<String>,
    /// Category.
    pub category: Option<Category>,
    /// Management level.
    pub management_level: Option<ManagementLevel>,
    /// Community of residence.
    #[schema(pattern = "^[0-9]{12}$", example = "350203001001")]
    pub community_code: Option<String>,
    /// Phone; `null` clears.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// Address; `null` clears.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    /// Monthly pension; `null` clears.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub monthly_pension: Option<Option<String>>,
    /// Party member.
    pub party_member: Option<bool>,
    /// Replaces every special-group flag.
    pub special_groups: Option<Vec<SpecialGroupInput>>,
    /// Notes; `null` clears.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

fn check_groups(inputs: &[SpecialGroupInput], errors: &mut Vec<FieldError>) -> Vec<GroupFlag> {
    let mut flags = Vec::new();
    for (i, g) in inputs.iter().enumerate() {
        let base = format!("/special_groups/{i}");
        if !g.group.is_flag() {
            errors.push(FieldError::with(
                format!("{base}/group"),
                ErrorCode::DerivedSpecialGroup,
                format!("{}由出生日期或党员字段得出，不能直接登记", g.group.label_zh()),
                format!("{} is derived from the birth date or the party_member field", g.group),
            ));
            continue;
        }
        let from = parse_date(&format!("{base}/from"), &g.from).map_err(|e| errors.push(e)).ok();
        let to = match &g.to {
            Some(t) => parse_date(&format!("{base}/to"), t).map_err(|e| errors.push(e)).ok(),
            None => None,
        };
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            errors.push(FieldError::with(
                format!("{base}/to"),
                ErrorCode::DateOrder,
                "结束日期早于开始日期",
                "to is before from",
            ));
        }
        if let Some(from) = from {
            flags.push(GroupFlag { group_code: g.group.as_str().to_owned(), from_date: from, to_date: to });
        }
    }
    flags
}

/// Everything a retiree record holds, before checks (creation, or an update merged onto the stored record).
pub struct Draft {
    pub name: String,
    pub id_number: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<String>,
    pub retirement_date: String,
    pub category: Category,
    pub management_level: ManagementLevel,
    pub community_code: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub monthly_pension: Option<String>,
    pub party_member: bool,
    pub special_groups: Option<Vec<SpecialGroupInput>>,
    pub notes: Option<String>,
    pub pension_status: PensionStatus,
}

/// The checks of a single create, for a new retiree from a request or from a file row (issue 4: the same code,
/// not a copy). Fields are JSON pointers (`/id_number`).
/// With the person's last certification when the request loads one (issue 19.2).
pub fn validate_new(body: CreateRetireeRequest, on: Date) -> Result<NewRetiree, Vec<FieldError>> {
    let mut cert_errors = Vec::new();
    let retirement = parse_date("/retirement_date", &body.retirement_date).ok();
    let last = check_last_certification(
        body.last_certified_on.as_deref(),
        body.last_certification_method,
        retirement,
        on,
        &mut cert_errors,
    );
    let checked = check_fields(
        Draft {
            name: body.name,
            id_number: body.id_number,
            sex: body.sex,
            birth_date: body.birth_date,
            retirement_date: body.retirement_date,
            category: body.category,
            management_level: body.management_level,
            community_code: body.community_code,
            phone: body.phone,
            address: body.address,
            monthly_pension: body.monthly_pension,
            party_member: body.party_member.unwrap_or(false),
            special_groups: body.special_groups,
            notes: body.notes,
            pension_status: PensionStatus::Normal,
        },
        on,
    );
    match checked {
        Ok((data, flags)) if cert_errors.is_empty() => Ok((data, flags.unwrap_or_default(), last)),
        Ok(_) => Err(cert_errors),
        Err(mut errors) => {
            errors.extend(cert_errors);
            Err(errors)
        }
    }
}

/// A new retiree, checked: the record, its special-group flags and the last certification it loads.
pub type NewRetiree = (RetireeData, Vec<GroupFlag>, Option<LoadedCertification>);

/// Checks a draft as of `on`: every broken rule is reported at once, with its field (JSON pointers).
pub fn check_fields(draft: Draft, on: Date) -> Result<(RetireeData, Option<Vec<GroupFlag>>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = check_name("/name", &draft.name, 50, &mut errors);
    let id = IdNumber::parse(&draft.id_number, on).map_err(|e| errors.push(FieldError::rule("/id_number", &e))).ok();
    if let (Some(id), Some(sex)) = (&id, draft.sex)
        && id.sex() != sex
    {
        errors.push(FieldError::with(
            "/sex",
            ErrorCode::SexMismatch,
            format!("性别与公民身份号码不符（号码显示为{}）", id.sex().label_zh()),
            format!("sex does not agree with the resident ID ({})", id.sex()),
        ));
    }
    if let Some(text) = &draft.birth_date
        && let Ok(birth) = parse_date("/birth_date", text).map_err(|e| errors.push(e))
        && let Some(id) = &id
        && id.birth_date() != birth
    {
        errors.push(FieldError::with(
            "/birth_date",
            ErrorCode::BirthDateMismatch,
            format!("出生日期与公民身份号码不符（号码显示为{}）", id.birth_date()),
            format!("birth_date does not agree with the resident ID ({})", id.birth_date()),
        ));
    }
    let retirement = parse_date("/retirement_date", &draft.retirement_date).map_err(|e| errors.push(e)).ok();
    if let (Some(r), Some(id)) = (retirement, &id)
        && r <= id.birth_date()
    {
        errors.push(FieldError::of("/retirement_date", ErrorCode::RetirementBeforeBirth));
    }
    if let Some(r) = retirement
        && r > on + time::Duration::days(366)
    {
        errors.push(FieldError::of("/retirement_date", ErrorCode::RetirementTooFarAhead));
    }
    if domain::JurisdictionCode::parse_at(&draft.community_code, domain::Level::Community).is_err() {
        errors.push(FieldError::of("/community_code", ErrorCode::CommunityCodeFormat));
    }
    let phone = draft.phone.as_deref().filter(|p| !p.trim().is_empty()).map(|p| check_phone("/phone", p, &mut errors));
    let address = check_text("/address", draft.address.as_deref(), 200, &mut errors);
    let notes = check_text("/notes", draft.notes.as_deref(), 2000, &mut errors);
    let pension = match draft.monthly_pension.as_deref() {
        Some(text) => Money::parse(text).map_err(|e| errors.push(FieldError::rule("/monthly_pension", &e))).ok(),
        None => None,
    };
    let flags = draft.special_groups.as_deref().map(|g| check_groups(g, &mut errors));
    let (Some(id), Some(retirement)) = (id, retirement) else { return Err(errors) };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        RetireeData {
            id_number: id.as_str().to_owned(),
            name,
            sex: id.sex().as_str().to_owned(),
            birth_date: id.birth_date(),
            retirement_date: retirement,
            category: draft.category.as_str().to_owned(),
            management_level: draft.management_level.as_str().to_owned(),
            community_code: draft.community_code.trim().to_owned(),
            phone,
            address,
            pension_status: draft.pension_status.as_str().to_owned(),
            monthly_pension_fen: pension.map(Money::fen),
            party_member: draft.party_member,
            notes,
            // Set from the community's policy once the community is known (see `first_validity`).
            certified_until: on,
        },
        flags,
    ))
}

/// The first certification validity of a person registered on `on`: one policy period later (CS Art. 16(2)).
pub fn first_validity(on: Date, rules: LocalRules) -> Date {
    domain::pension::certified_until(on, rules.period_months)
}
