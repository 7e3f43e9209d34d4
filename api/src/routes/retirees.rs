//! The retiree registry: create, read (audited), update with If-Match, list with filters, search by resident
//! ID, and the person's timeline.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use domain::pension::{CertificationBarrier, CertificationStatus, certification_status};
use domain::policy::SuspensionReason;
use domain::roles::SensitiveField;
use domain::{Category, IdNumber, ManagementLevel, Money, PensionStatus, Permission, Role, Sex, SpecialGroup};
use persistence::audit::{self};
use persistence::retirees::{self as repo, GroupFlag, Retiree, RetireeData, RetireeFilter};
use persistence::{DbConnection, jurisdictions};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{Page, enum_filter, finish, instant, next_cursor, node_in_scope, ok_with_etag};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{IfMatch, Json, page};
use crate::policy_book::{LocalRules, PolicyBook, rules_at};
use crate::state::AppState;

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
    /// Birth date (from the ID).
    #[schema(value_type = String, format = Date, example = "1955-01-01")]
    pub birth_date: Date,
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

pub use app::masking::show;

/// The groups a person belongs to on `on`.
pub fn current_groups(r: &Retiree, flags: &[GroupFlag], on: Date, advanced_age: i32) -> Vec<SpecialGroup> {
    let mut groups = Vec::new();
    // The threshold comes from the policy in force (GUIDE 走访制度: 70岁以上高龄退休人员).
    if domain::age_on(r.birth_date, on) >= advanced_age {
        groups.push(SpecialGroup::AdvancedAge);
    }
    for f in flags {
        if f.from_date <= on
            && f.to_date.is_none_or(|to| to >= on)
            && let Some(g) = SpecialGroup::parse(&f.group_code)
            && !groups.contains(&g)
        {
            groups.push(g);
        }
    }
    if r.party_member {
        groups.push(SpecialGroup::PartyMember);
    }
    groups
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
) -> RetireeResponse {
    let mut masked = Vec::new();
    let id_number = show(role, SensitiveField::IdNumber, detail, &r.id_number, &mut masked);
    let phone = r.phone.as_deref().map(|p| show(role, SensitiveField::Phone, detail, p, &mut masked));
    let address = r.address.as_deref().map(|a| show(role, SensitiveField::Address, detail, a, &mut masked));
    masked.dedup();
    let current = current_groups(&r, &flags, on, rules.advanced_age);
    RetireeResponse {
        id: r.id,
        name: r.name,
        id_number,
        sex: r.sex,
        age: domain::age_on(r.birth_date, on),
        birth_date: r.birth_date,
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
        special_groups: flags
            .into_iter()
            .filter_map(|f| {
                Some(SpecialGroupFlag { group: SpecialGroup::parse(&f.group_code)?, from: f.from_date, to: f.to_date })
            })
            .collect(),
        current_special_groups: current,
        notes: r.notes,
        masked_fields: masked,
        version: r.version,
        created_at: instant(r.created_at),
        updated_at: instant(r.updated_at),
    }
}

pub use app::input::check_phone;

/// Checks a draft: every broken rule is reported at once, with its field.
fn check(draft: Draft, on: Date) -> Result<(RetireeData, Option<Vec<GroupFlag>>), ApiError> {
    check_fields(draft, on).map_err(ApiError::validation)
}

pub use app::retirees::registration::{
    CreateRetireeRequest, Draft, SpecialGroupInput, UpdateRetireeRequest, check_fields, first_validity, validate_new,
};

/// The community must exist, be a community, and lie in the caller's subtree; returns its path.
fn community_path(conn: &mut DbConnection, caller: &Caller, code: &str) -> Result<String, ApiError> {
    let node = jurisdictions::find(conn, code).ok().filter(|n| caller.sees(&n.path)).ok_or_else(|| {
        ApiError::field(FieldError::new(
            "/community_code",
            "community_not_found",
            "社区不存在或不在您的管辖范围内",
            "no such community in your jurisdiction",
        ))
    })?;
    if node.level != domain::Level::Community {
        return Err(ApiError::field(FieldError::new(
            "/community_code",
            "not_a_community",
            "该代码不是社区（村）级区划",
            "the code is not a community",
        )));
    }
    Ok(node.path)
}

fn id_taken() -> ApiError {
    ApiError::of(domain::ErrorCode::IdNumberTaken)
}

pub use app::audit::changes;

/// Registers a retiree in a community of the caller's subtree. Pension status starts `normal`.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.write"])), request_body = CreateRetireeRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first answer")),
    responses((status = 201, body = RetireeResponse, headers(("Location" = String), ("ETag" = String))), crate::openapi::WriteErrors))]
#[post("/retirees")]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateRetireeRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let body = body.0;
    let fingerprint = crate::idempotency::fingerprint("POST /retirees", &body);
    let key = crate::extract::idempotency_key(&req)?;
    let (data, flags) = validate_new(body, today).map_err(ApiError::validation)?;
    let c = caller.clone();
    crate::idempotency::create(&state, &caller, key, fingerprint, move |conn| {
        let path = community_path(conn, &c, &data.community_code)?;
        let rules = rules_at(conn, &path, today)?;
        let mut data = data.clone();
        data.certified_until = first_validity(today, rules);
        let retiree = repo::create(conn, &data, &flags, today).map_err(|e| match e {
            persistence::RepoError::Unique(_) => id_taken(),
            other => other.into(),
        })?;
        let mut entry = c.audit("retiree.create", "retiree", retiree.id, &path);
        entry.retiree_id = Some(retiree.id);
        let mut diff = changes(None, &data);
        if !flags.is_empty() {
            diff.insert("special_groups".into(), serde_json::json!({"from": null, "to": flags}));
        }
        entry.detail = Some(serde_json::json!({ "changes": diff }).to_string());
        audit::append(conn, &entry)?;
        let body = to_response(retiree.clone(), flags, c.role, true, rules, today);
        Ok(crate::idempotency::Created {
            location: format!("/api/v1/retirees/{}", retiree.id),
            version: retiree.version,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
        })
    })
    .await
}

/// One retiree in the single-person view (sensitive fields per the role table). The read is audited.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.read"])), params(("id" = i64, Path, description = "Retiree id")),
    responses((status = 200, body = RetireeResponse, headers(("ETag" = String))), crate::openapi::ReadErrors))]
#[get("/retirees/{id}")]
pub async fn get_one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let id = path.into_inner();
    let c = caller.clone();
    let (retiree, flags, rules) = crate::db::write(&state.pool, move |conn| {
        let (retiree, path) = repo::find_in_scope(conn, id, &c.scope_path)?;
        let flags = repo::flags(conn, id)?;
        let mut entry = c.audit("retiree.read", "retiree", id, &path);
        entry.retiree_id = Some(id);
        audit::append(conn, &entry)?;
        let rules = rules_at(conn, &path, today)?;
        Ok((retiree, flags, rules))
    })
    .await?;
    let version = retiree.version;
    Ok(ok_with_etag(&to_response(retiree, flags, caller.role, true, rules, today), version))
}

/// Changes a retiree. Absent fields stay; `null` clears optional ones; `special_groups` replaces all flags.
/// Needs `If-Match` (412 when stale, 428 when missing).
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.write"])), request_body = UpdateRetireeRequest,
    params(("id" = i64, Path, description = "Retiree id"), ("If-Match" = String, Header, description = "ETag read before")),
    responses((status = 200, body = RetireeResponse, headers(("ETag" = String))), crate::openapi::WriteErrors))]
#[patch("/retirees/{id}")]
pub async fn update(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Json<UpdateRetireeRequest>,
) -> Result<HttpResponse, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeWrite)?;
    let if_match = IfMatch::from_request(&req)?;
    let id = path.into_inner();
    let patch = body.0;
    let c = caller.clone();
    let (retiree, flags, rules) = crate::db::write(&state.pool, move |conn| {
        let (current, old_path) = repo::find_in_scope(conn, id, &c.scope_path)?;
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
        let (mut data, new_flags) = check(draft, today)?;
        // Certification validity changes only by certifications (pension::record_certification).
        data.certified_until = current.certified_until;
        let path = if data.community_code == current.community_code {
            old_path
        } else {
            community_path(conn, &c, &data.community_code)?
        };
        if data.id_number != current.id_number && repo::find_by_id_number(conn, &data.id_number, "/")?.is_some() {
            return Err(id_taken());
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
            return Ok((current, old_flags, rules));
        }
        let updated = repo::update(conn, id, expected, &data, new_flags.as_deref(), today).map_err(|e| match e {
            persistence::RepoError::Unique(_) => id_taken(),
            other => other.into(),
        })?;
        let mut entry = c.audit("retiree.update", "retiree", id, &path);
        entry.retiree_id = Some(id);
        entry.detail = Some(serde_json::json!({ "changes": diff }).to_string());
        audit::append(conn, &entry)?;
        let flags = repo::flags(conn, id)?;
        Ok((updated, flags, rules))
    })
    .await?;
    let version = retiree.version;
    Ok(ok_with_etag(&to_response(retiree, flags, caller.role, true, rules, today), version))
}

/// List filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A node in the caller's subtree; default the caller's whole subtree.
    pub jurisdiction: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Management level.
    pub management_level: Option<String>,
    /// Pension status.
    pub pension_status: Option<String>,
    /// Suspension reason (with `pension_status=suspended`).
    pub suspension_reason: Option<String>,
    /// Certification status today: `certified`, `due_soon` or `overdue` (the reminder window of the policy at the
    /// listed node). With `jurisdiction` set to a community this is its worklist.
    pub certification: Option<String>,
    /// Special group (derived or flagged) today.
    pub special_group: Option<String>,
    /// Minimum age today.
    pub age_min: Option<String>,
    /// Maximum age today.
    pub age_max: Option<String>,
    /// Name starts with.
    pub name_prefix: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn age_filter(name: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<i32> {
    let value = value?;
    match value.trim().parse::<i32>() {
        Ok(n) if (0..=150).contains(&n) => Some(n),
        _ => {
            errors.push(FieldError::new(
                name,
                "age_range",
                format!("{name} 应为0至150的整数"),
                format!("{name} must be 0 to 150"),
            ));
            None
        }
    }
}

/// The list filters, checked; the parts that need the database (the `jurisdiction` node, the advanced-age
/// threshold) are settled by [`PendingFilter::resolve`].
#[derive(Debug, Clone)]
pub struct PendingFilter {
    filter: RetireeFilter,
    jurisdiction: Option<String>,
    advanced_age: bool,
    certification: Option<CertificationStatus>,
    on: Date,
}

impl PendingFilter {
    /// The filter with the listed subtree: the `jurisdiction` node when given (422 `jurisdiction_not_found` when
    /// absent or outside the caller's subtree), else the caller's; `special_group=advanced_age` uses the
    /// threshold of the policy in force at the listed node.
    pub fn resolve(self, conn: &mut DbConnection, caller: &Caller) -> Result<RetireeFilter, ApiError> {
        let mut filter = self.filter;
        if let Some(code) = self.jurisdiction {
            filter.scope_path = node_in_scope(conn, caller, &code, "jurisdiction")?.path;
        }
        if self.advanced_age {
            // The threshold of the policy in force at the listed node (a lower override with another threshold
            // is judged by the listed node's; each item's `current_special_groups` uses its own community's).
            let years = super::policies::advanced_age_at(conn, &filter.scope_path, self.on)?;
            filter.min_age = Some((filter.min_age.map_or(years, |(a, _)| a.max(years)), self.on));
        }
        if let Some(status) = self.certification {
            // CS Art. 16(2), 32(1): overdue after the last valid day; due soon within the policy's window.
            filter.certification = Some((status, self.on, rules_at(conn, &filter.scope_path, self.on)?.due_soon_days));
        }
        Ok(filter)
    }
}

/// Checks the filter fields of a list query (`limit` and `cursor` aside) as of `on`, collecting field errors
/// (`invalid_enum`, `age_range`, `age_order`) in `errors`; the caller answers them with [`finish`] before
/// using the result. Shared by the list and the export.
pub fn filter_from_query(caller: &Caller, q: &ListQuery, on: Date, errors: &mut Vec<FieldError>) -> PendingFilter {
    let category = enum_filter("category", q.category.as_deref(), Category::parse, Category::codes(), errors);
    let level = enum_filter(
        "management_level",
        q.management_level.as_deref(),
        ManagementLevel::parse,
        ManagementLevel::codes(),
        errors,
    );
    let status = enum_filter(
        "pension_status",
        q.pension_status.as_deref(),
        PensionStatus::parse,
        PensionStatus::codes(),
        errors,
    );
    let reason = enum_filter(
        "suspension_reason",
        q.suspension_reason.as_deref(),
        SuspensionReason::parse,
        SuspensionReason::codes(),
        errors,
    );
    let certification = enum_filter(
        "certification",
        q.certification.as_deref(),
        CertificationStatus::parse,
        CertificationStatus::codes(),
        errors,
    );
    let group =
        enum_filter("special_group", q.special_group.as_deref(), SpecialGroup::parse, SpecialGroup::codes(), errors);
    let age_min = age_filter("age_min", q.age_min.as_deref(), errors);
    let age_max = age_filter("age_max", q.age_max.as_deref(), errors);
    if let (Some(lo), Some(hi)) = (age_min, age_max)
        && lo > hi
    {
        errors.push(FieldError::new("age_max", "age_order", "age_max 不能小于 age_min", "age_max is below age_min"));
    }
    // A name has at most 50 characters (`CreateRetireeRequest::name`), so a longer prefix is a mistake.
    if q.name_prefix.as_deref().is_some_and(|p| p.chars().count() > 50) {
        errors.push(FieldError::new(
            "name_prefix",
            "too_long",
            "name_prefix 不能超过50个字符",
            "name_prefix has at most 50 characters",
        ));
    }
    let mut filter = RetireeFilter {
        scope_path: caller.scope_path.clone(),
        category: category.map(|c| c.as_str().to_owned()),
        management_level: level.map(|l| l.as_str().to_owned()),
        pension_status: status.map(|s| s.as_str().to_owned()),
        name_prefix: q.name_prefix.clone().filter(|p| !p.is_empty()),
        suspension_reason: reason.map(|r| r.as_str().to_owned()),
        min_age: age_min.map(|a| (a, on)),
        max_age: age_max.map(|a| (a, on)),
        ..RetireeFilter::default()
    };
    match group {
        Some(SpecialGroup::PartyMember) => filter.party_member = Some(true),
        Some(SpecialGroup::AdvancedAge) | None => {}
        Some(g) => filter.flag_on = Some((g.as_str().to_owned(), on)),
    }
    PendingFilter {
        filter,
        jurisdiction: q.jurisdiction.clone(),
        advanced_age: group == Some(SpecialGroup::AdvancedAge),
        certification,
        on,
    }
}

const CURSOR: &str = "r";

/// Retirees in the caller's subtree (or a node inside it), filtered, by id. Sensitive fields follow the list
/// column of the role table.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.read"])), params(ListQuery),
    responses((status = 200, body = Page<RetireeResponse>), crate::openapi::ReadErrors))]
#[get("/retirees")]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<RetireeResponse>>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let on = today;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let (limit, after) = page::<i64>(CURSOR, q.limit.as_deref(), q.cursor.as_deref(), &mut errors);
    let pending = filter_from_query(&caller, &q, on, &mut errors);
    finish(errors)?;
    let c = caller.clone();
    let (items, flags, book) = crate::db::run(&state.pool, move |conn| -> Result<_, ApiError> {
        let filter = pending.resolve(conn, &c)?;
        let items = repo::list(conn, &filter, after, limit)?;
        let ids: Vec<i64> = items.iter().map(|(r, _)| r.id).collect();
        let flags = repo::flags_of(conn, &ids)?;
        let book = PolicyBook::load(conn, on)?;
        Ok((items, flags, book))
    })
    .await?;
    let next = next_cursor(&items, limit, CURSOR, |(r, _)| r.id.to_string());
    let role = caller.role;
    let items = items
        .into_iter()
        .map(|(r, path)| {
            let mine = flags.iter().filter(|(id, _)| *id == r.id).map(|(_, f)| f.clone()).collect();
            to_response(r, mine, role, false, book.rules_at(&path), today)
        })
        .collect();
    Ok(web::Json(Page { items, next_cursor: next }))
}

/// Look-up by resident ID (never in a URL).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id_number": "350203195501010016"}))]
pub struct SearchRequest {
    /// The 18-character resident ID.
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$", example = "350203195501010016")]
    pub id_number: String,
}

/// Search results.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResponse {
    /// The retiree with that ID in the caller's subtree: none or one (list view of the role table).
    pub items: Vec<RetireeResponse>,
}

/// Finds the retiree with a resident ID in the caller's subtree. The search is audited.
#[utoipa::path(tag = "retirees", security(("bearer" = ["retiree.read"])), request_body = SearchRequest,
    responses((status = 200, body = SearchResponse), crate::openapi::WriteErrors))]
#[post("/retirees/search")]
pub async fn search(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<SearchRequest>,
) -> Result<web::Json<SearchResponse>, ApiError> {
    let today = state.clock.today();
    caller.require(Permission::RetireeRead)?;
    let id =
        IdNumber::parse(&body.0.id_number, today).map_err(|e| ApiError::field(FieldError::rule("/id_number", &e)))?;
    let c = caller.clone();
    let found = crate::db::write(&state.pool, move |conn| {
        let found = repo::find_by_id_number(conn, id.as_str(), &c.scope_path)?;
        let mut entry = match &found {
            Some((r, path)) => {
                let mut e = c.audit("retiree.search", "retiree", r.id, path);
                e.retiree_id = Some(r.id);
                e
            }
            None => {
                let mut e = c.audit("retiree.search", "retiree", "", &c.scope_path);
                e.object_id = None;
                e
            }
        };
        entry.detail = Some(serde_json::json!({"id_number": id.masked(), "found": found.is_some()}).to_string());
        audit::append(conn, &entry)?;
        match found {
            Some((r, path)) => {
                let flags = repo::flags(conn, r.id)?;
                let rules = rules_at(conn, &path, today)?;
                Ok(vec![(r, flags, rules)])
            }
            None => Ok(vec![]),
        }
    })
    .await?;
    let items = found.into_iter().map(|(r, f, a)| to_response(r, f, caller.role, false, a, today)).collect();
    Ok(web::Json(SearchResponse { items }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        let mut errors = Vec::new();
        check_phone("/phone", "13812345678", &mut errors);
        check_phone("/phone", "0592-1234567", &mut errors);
        assert!(errors.is_empty());
        check_phone("/phone", "12345", &mut errors);
        check_phone("/phone", "138abc45678", &mut errors);
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn changes_mask_sensitive_values() {
        #[derive(Serialize)]
        struct S {
            phone: String,
            name: String,
        }
        let diff = changes(
            Some(&S { phone: "13812345678".into(), name: "a".into() }),
            &S { phone: "13900001111".into(), name: "a".into() },
        );
        assert_eq!(diff.len(), 1);
        assert_eq!(diff["phone"]["from"], "138****5678");
        assert_eq!(diff["phone"]["to"], "139****1111");
    }
}
