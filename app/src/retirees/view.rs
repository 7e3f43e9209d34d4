//! A retiree as a role may see them (the role table's list or single-person view), and the audited read of one.

use domain::pension::{CertificationBarrier, CertificationStatus, certification_status};
use domain::policy::SuspensionReason;
use domain::roles::SensitiveField;
use domain::{Category, ManagementLevel, Money, PensionStatus, RetireeId, Role, Sex, SpecialGroup};
use persistence::audit::{self, NewAuditEntry};
use persistence::retirees::{self as repo, GroupFlag, Retiree};
use persistence::{DbConnection, Pool};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::audit_writer::AuditWriter;
use crate::caller::Caller;
use crate::error::AppError;
use crate::hot_cache::HotCache;
use crate::masking::show;
use crate::policy_book::{LocalRules, PolicyBook, rules_at};

/// A dated special-group flag as stored.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct SpecialGroupFlag {
    /// Group.
    pub group: SpecialGroup,
    /// From.
    #[schema(value_type = String, format = Date, example = "2024-01-01")]
    pub from: Date,
    /// To (inclusive); `null` while it holds.
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
}

/// A retiree as a role may see them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RetireeResponse {
    /// Id.
    #[schema(example = 42)]
    pub id: i64,
    /// Name.
    #[schema(example = "张三")]
    pub name: String,
    /// Resident ID, masked (`350203********0017`) where the role table says so.
    #[schema(example = "350203********0017")]
    pub id_number: String,
    /// Sex (from the ID).
    pub sex: Sex,
    /// Birth date (from the ID); `null` where the resident ID is shown masked: the date is the masked part of the
    /// ID, and with the digits shown it would give the whole ID back (`docs/roles.md`).
    #[schema(value_type = Option<String>, format = Date, example = "1955-01-01")]
    pub birth_date: Option<Date>,
    /// Year of birth (from the ID), shown to every role.
    #[schema(example = 1955)]
    pub birth_year: i32,
    /// Age today.
    #[schema(example = 71)]
    pub age: i32,
    /// Retirement date.
    #[schema(value_type = String, format = Date, example = "2015-01-01")]
    pub retirement_date: Date,
    /// Category.
    pub category: Category,
    /// Management level.
    pub management_level: ManagementLevel,
    /// Community.
    #[schema(example = "350203001001")]
    pub community_code: String,
    /// Phone, masked where the role table says so.
    #[schema(example = "138****5678")]
    pub phone: Option<String>,
    /// Address, masked where the role table says so.
    #[schema(example = "厦门市思明区****")]
    pub address: Option<String>,
    /// Pension status (starts `normal`; changed by suspensions, resumptions, runs and feeds, CS Art. 32).
    pub pension_status: PensionStatus,
    /// Why the pension is suspended (with `pension_status = suspended`).
    pub suspension_reason: Option<SuspensionReason>,
    /// First day of the month the suspension took effect.
    #[schema(value_type = Option<String>, format = Date, example = "2026-03-01")]
    pub suspended_from: Option<Date>,
    /// Last day the certification on file is valid (CS Art. 16(2)); a run after it suspends the pension.
    #[schema(value_type = String, format = Date, example = "2027-07-01")]
    pub certified_until: Date,
    /// Date of the last certification; `null` before the first (the validity then runs from registration).
    #[schema(value_type = Option<String>, format = Date, example = "2026-07-01")]
    pub last_certified_on: Option<Date>,
    /// Certification status today: `certified`, `due_soon` (policy reminder window) or `overdue`.
    pub certification_status: CertificationStatus,
    /// On a community's roll: false once reduced (died, moved out of the city, other).
    pub on_roll: bool,
    /// Certified remotely (异地认证): moved out of the city.
    pub remote_certification: bool,
    /// Why the person is certified at home (XM Art. 15(3)), if so.
    pub certification_barrier: Option<CertificationBarrier>,
    /// Monthly pension in yuan.
    #[schema(example = "3500.00")]
    pub monthly_pension: Option<String>,
    /// Party member.
    pub party_member: bool,
    /// Dated special-group flags.
    pub special_groups: Vec<SpecialGroupFlag>,
    /// Groups the person belongs to today, derived ones (`advanced_age`, `party_member`) included.
    pub current_special_groups: Vec<SpecialGroup>,
    /// Notes.
    pub notes: Option<String>,
    /// Fields shown masked to this caller.
    #[schema(example = json!(["id_number"]))]
    pub masked_fields: Vec<String>,
    /// Version (also the ETag).
    #[schema(example = 1)]
    pub version: i64,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The group of a stored flag; a code that does not parse is an internal error, not a flag dropped unseen.
fn group_of(r: &Retiree, f: &GroupFlag) -> Result<SpecialGroup, AppError> {
    SpecialGroup::parse(&f.group_code).ok_or_else(|| {
        AppError::internal(format!("retiree {} has a special-group flag with unknown code {:?}", r.id, f.group_code))
    })
}

/// The groups a person belongs to on `on`.
pub fn current_groups(
    r: &Retiree,
    flags: &[GroupFlag],
    on: Date,
    advanced_age: i32,
) -> Result<Vec<SpecialGroup>, AppError> {
    let mut groups = Vec::new();
    // The threshold comes from the policy in force (GUIDE 走访制度: 70岁以上高龄退休人员).
    if domain::age_on(r.birth_date, on) >= advanced_age {
        groups.push(SpecialGroup::AdvancedAge);
    }
    for f in flags {
        if f.from_date <= on && f.to_date.is_none_or(|to| to >= on) {
            let g = group_of(r, f)?;
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
    }
    if r.party_member {
        groups.push(SpecialGroup::PartyMember);
    }
    Ok(groups)
}

/// Builds the response for `role`, in the list view (`detail = false`) or the single-person view; `rules` are
/// those of the policy in force at the person's community.
pub fn to_response(
    r: Retiree,
    flags: Vec<GroupFlag>,
    role: Role,
    detail: bool,
    rules: LocalRules,
    on: Date,
) -> Result<RetireeResponse, AppError> {
    let mut masked = Vec::new();
    let id_number = show(role, SensitiveField::IdNumber, detail, &r.id_number, &mut masked);
    let phone = r.phone.as_deref().map(|p| show(role, SensitiveField::Phone, detail, p, &mut masked));
    let address = r.address.as_deref().map(|a| show(role, SensitiveField::Address, detail, a, &mut masked));
    masked.dedup();
    // The birth date is digits 7-14 of the ID: it is shown exactly where the ID is (issue 21.1).
    let birth_date = role.visibility(SensitiveField::IdNumber).clear_in(detail).then_some(r.birth_date);
    let current = current_groups(&r, &flags, on, rules.advanced_age)?;
    let special_groups = flags
        .iter()
        .map(|f| Ok(SpecialGroupFlag { group: group_of(&r, f)?, from: f.from_date, to: f.to_date }))
        .collect::<Result<_, AppError>>()?;
    Ok(RetireeResponse {
        id: r.id,
        name: r.name,
        id_number,
        sex: r.sex,
        age: domain::age_on(r.birth_date, on),
        birth_date,
        birth_year: r.birth_date.year(),
        retirement_date: r.retirement_date,
        category: r.category,
        management_level: r.management_level,
        community_code: r.community_code,
        phone,
        address,
        pension_status: r.pension_status,
        suspension_reason: r.suspension_reason,
        suspended_from: r.suspended_from,
        certified_until: r.certified_until,
        last_certified_on: r.last_certified_on,
        certification_status: certification_status(r.certified_until, on, rules.due_soon_days),
        on_roll: r.on_roll,
        remote_certification: r.remote_certification,
        certification_barrier: r.certification_barrier,
        monthly_pension: r.monthly_pension_fen.map(|f| Money::from_fen(f).to_string()),
        party_member: r.party_member,
        special_groups,
        current_special_groups: current,
        notes: r.notes,
        masked_fields: masked,
        version: r.version,
        created_at: r.created_at.assume_utc(),
        updated_at: r.updated_at.assume_utc(),
    })
}

/// One retiree of the caller's subtree in the single-person view (404 outside it), as of `today`. The read is
/// audited (`retiree.read`) in the caller's transaction.
pub fn read(conn: &mut DbConnection, caller: &Caller, today: Date, id: RetireeId) -> Result<RetireeResponse, AppError> {
    let (response, entry) = prepare_read(conn, caller, today, id, None)?;
    audit::append(conn, &entry)?;
    Ok(response)
}

/// The single-person view of one retiree of the caller's subtree (404 outside it) and the audit entry
/// (`retiree.read`) that must be committed before the view is sent ([`read_audited`]).
pub fn prepare_read(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: RetireeId,
    book: Option<&PolicyBook>,
) -> Result<(RetireeResponse, NewAuditEntry), AppError> {
    let (retiree, path, flags) = repo::find_with_flags_in_scope(conn, id, &caller.scope_path)?;
    let mut entry = caller.audit("retiree.read", "retiree", id.get(), &path);
    entry.retiree_id = Some(id.get());
    let rules = match book {
        Some(book) => book.rules_at(&path),
        None => rules_at(conn, &path, today)?,
    };
    Ok((to_response(retiree, flags, caller.role, true, rules, today)?, entry))
}

/// [`read`] with the audit entry committed by the group-committed writer (issue 20): the person is read
/// outside a write transaction, the entry joins the writer's next batch, and the view is answered only once that
/// batch has committed; when it does not commit, the answer is the error and no data.
pub async fn read_audited(
    pool: &Pool,
    writer: &AuditWriter,
    cache: &Arc<HotCache>,
    caller: Caller,
    today: Date,
    id: RetireeId,
) -> Result<RetireeResponse, AppError> {
    let cache = cache.clone();
    let (response, entry) = crate::db::run(pool, move |conn| {
        let book = cache.policy_book(conn, today)?;
        prepare_read(conn, &caller, today, id, Some(book.as_ref()))
    })
    .await?;
    writer.commit(vec![entry]).await?;
    Ok(response)
}
