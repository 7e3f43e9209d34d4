//! Finding retirees: the list filters (shared by the list and the export), a page of the list, and the audited
//! search by resident ID.

use domain::pension::CertificationStatus;
use domain::policy::SuspensionReason;
use domain::{Category, ErrorCode, IdNumber, ManagementLevel, PensionStatus, SpecialGroup};
use persistence::DbConnection;
use persistence::retirees::{self as repo, RetireeFilter};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};

use super::view::{RetireeResponse, to_response};
use crate::audited::Audited;
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::policy_book::{PolicyBook, advanced_age_at, rules_at};
use crate::scope::node_in_scope;

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

/// Parses an enumeration code of a query parameter, collecting a field error naming the allowed codes.
fn enum_filter<T: Copy>(
    name: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    codes: Vec<&'static str>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let value = value?;
    let parsed = parse(value);
    if parsed.is_none() {
        errors.push(FieldError::with(
            name,
            ErrorCode::InvalidEnum,
            format!("{name} 取值应为 {}", codes.join("、")),
            format!("{name} must be one of {}", codes.join(", ")),
        ));
    }
    parsed
}

fn age_filter(name: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<i32> {
    let value = value?;
    match value.trim().parse::<i32>() {
        Ok(n) if (0..=150).contains(&n) => Some(n),
        _ => {
            errors.push(FieldError::with(
                name,
                ErrorCode::AgeRange,
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
    pub fn resolve(self, conn: &mut DbConnection, caller: &Caller) -> Result<RetireeFilter, AppError> {
        let mut filter = self.filter;
        if let Some(code) = self.jurisdiction {
            filter.scope_path = node_in_scope(conn, caller, &code, "jurisdiction")?.path;
        }
        if self.advanced_age {
            // The threshold of the policy in force at the listed node (a lower override with another threshold
            // is judged by the listed node's; each item's `current_special_groups` uses its own community's).
            let years = advanced_age_at(conn, &filter.scope_path, self.on)?;
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
/// (`invalid_enum`, `age_range`, `age_order`, `too_long`) in `errors`; the caller answers them before using the
/// result. Shared by the list and the export.
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
        errors.push(FieldError::with(
            "age_max",
            ErrorCode::AgeOrder,
            "age_max 不能小于 age_min",
            "age_max is below age_min",
        ));
    }
    // A name has at most 50 characters (`CreateRetireeRequest::name`), so a longer prefix is a mistake.
    if q.name_prefix.as_deref().is_some_and(|p| p.chars().count() > 50) {
        errors.push(FieldError::with(
            "name_prefix",
            ErrorCode::TooLong,
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

/// One page of the retirees matching `pending` (checked as of `today`), by id after `after`, in the list view of
/// the caller's role; each item judged by the policy in force at its own community, from `book` (the policy book in
/// force on `today`: the process's cached copy, [`crate::hot_cache::HotCache::policy_book`], on the hot path).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    book: &PolicyBook,
    pending: PendingFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<RetireeResponse>, AppError> {
    let today = book.on();
    let filter = pending.resolve(conn, caller)?;
    let items = repo::list(conn, &filter, after, limit)?;
    let ids: Vec<i64> = items.iter().map(|(r, _)| r.id).collect();
    // The page's flags in a second statement: the page's filters are a boxed query, which the two-backend
    // connection cannot nest as a subquery (so no single statement with the flags joined, as for one person).
    let mut flags = repo::flags_by_retiree(conn, &ids)?;
    items
        .into_iter()
        .map(|(r, path)| {
            let mine = flags.remove(&r.id).unwrap_or_default();
            to_response(r, mine, caller.role, false, book.rules_at(&path), today)
        })
        .collect()
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

/// The resident ID searched for, checked as of `today` (422 on `/id_number`).
pub fn search_key(body: &SearchRequest, today: Date) -> Result<IdNumber, AppError> {
    IdNumber::parse(&body.id_number, today).map_err(|e| AppError::field(FieldError::rule("/id_number", &e)))
}

/// The retiree with resident ID `id` in the caller's subtree (none or one), in the list view. The search is
/// audited (`retiree.search`, with the ID masked and whether it was found).
pub fn search(
    conn: &mut DbConnection,
    caller: &Caller,
    today: Date,
    id: &IdNumber,
) -> Result<Audited<SearchResponse>, AppError> {
    let found = repo::find_by_id_number(conn, id.as_str(), &caller.scope_path)?;
    let mut entry = match &found {
        Some((r, path)) => {
            let mut e = caller.audit("retiree.search", "retiree", r.id, path);
            e.retiree_id = Some(r.id);
            e
        }
        None => {
            let mut e = caller.audit("retiree.search", "retiree", "", &caller.scope_path);
            e.object_id = None;
            e
        }
    };
    entry.detail = Some(serde_json::json!({"id_number": id.masked(), "found": found.is_some()}).to_string());
    let items = match found {
        Some((r, path)) => {
            let flags = repo::flags(conn, r.id)?;
            let rules = rules_at(conn, &path, today)?;
            vec![to_response(r, flags, caller.role, false, rules, today)?]
        }
        None => vec![],
    };
    Ok(Audited::new(SearchResponse { items }, entry))
}
