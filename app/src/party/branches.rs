//! Party branches 党支部 of street and community party organisations (CS Art. 12(3), 24; JN Art. 21(2), 29).

use domain::ErrorCode;
use domain::party;
use persistence::party::{self as repo, Branch, NewBranch};
use persistence::{DbConnection, RepoError, audit};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{require_manage, require_read};
use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::{check_name, check_text, date_not_after};
use crate::precondition::{IfMatch, expect_if_sent};
use crate::scope::node_in_scope;

/// A branch to set up.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "鸿山社区退休党员支部", "jurisdiction": "350203001001", "founded_on": "2020-07-01",
    "secretary": "陈建国"}))]
pub struct BranchInput {
    /// Name, 1-100 characters, unique at its node (else 409 `conflict`).
    pub name: String,
    /// The street or community node (in the caller's subtree, else 422 `jurisdiction_not_found`; another level:
    /// 422 `party_branch_level`); default the caller's node.
    pub jurisdiction: Option<String>,
    /// Day founded (`YYYY-MM-DD`, not in the future).
    #[schema(format = Date)]
    pub founded_on: String,
    /// The secretary's name, at most 50 characters.
    pub secretary: Option<String>,
}

/// A branch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = PartyBranchView, example = json!({"id": 3, "name": "鸿山社区退休党员支部", "jurisdiction": "350203001001",
    "founded_on": "2020-07-01", "secretary": "陈建国", "closed_on": null, "version": 1}))]
pub struct BranchView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Street or community node.
    pub jurisdiction: String,
    /// Founded.
    #[schema(value_type = String, format = Date)]
    pub founded_on: Date,
    /// Secretary.
    pub secretary: Option<String>,
    /// Closed (`null`: open).
    #[schema(value_type = Option<String>, format = Date)]
    pub closed_on: Option<Date>,
    /// Version (ETag).
    pub version: i64,
}

/// A checked branch.
#[derive(Debug, Clone)]
pub struct BranchAsked {
    name: String,
    jurisdiction: Option<String>,
    founded_on: Date,
    secretary: Option<String>,
}

/// A branch to close.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PartyBranchClosure, example = json!({"on": "2026-12-04", "reason": "社区合并，党员组织关系已转入新支部"}))]
pub struct CloseInput {
    /// Day closed (`YYYY-MM-DD`, not in the future, not before the founding; default today).
    #[schema(format = Date)]
    pub on: Option<String>,
    /// Why, 1-200 characters (kept in the audit entry).
    pub reason: String,
}

/// A checked closure.
#[derive(Debug, Clone)]
pub struct CloseAsked {
    on: Date,
    reason: String,
}

/// The checks of a closure on `today`.
pub fn check_close(body: &CloseInput, today: Date) -> Result<CloseAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let on = date_not_after("/on", body.on.as_deref(), today, &mut errors);
    let reason = check_name("/reason", &body.reason, 200, &mut errors);
    if errors.is_empty() { Ok(CloseAsked { on, reason }) } else { Err(errors) }
}

/// The checks of a branch on `today`, every broken rule at once.
pub fn check(body: &BranchInput, today: Date) -> Result<BranchAsked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = check_name("/name", &body.name, 100, &mut errors);
    let founded_on = date_not_after("/founded_on", Some(&body.founded_on), today, &mut errors);
    let secretary = check_text("/secretary", body.secretary.as_deref(), 50, &mut errors);
    if errors.is_empty() {
        Ok(BranchAsked { name, jurisdiction: body.jurisdiction.clone(), founded_on, secretary })
    } else {
        Err(errors)
    }
}

/// The view of a stored branch.
pub fn view(b: Branch) -> BranchView {
    BranchView {
        id: b.id,
        name: b.name,
        jurisdiction: b.jurisdiction_code,
        founded_on: b.founded_on,
        secretary: b.secretary,
        closed_on: b.closed_on,
        version: b.version,
    }
}

/// Sets up a branch at a street or community node of the caller's subtree (CS Art. 12(3), 24; JN Art. 29);
/// audited `party.branch.create`.
pub fn create(conn: &mut DbConnection, caller: &Caller, asked: BranchAsked) -> Result<BranchView, AppError> {
    require_manage(caller)?;
    let code = asked.jurisdiction.clone().unwrap_or_else(|| caller.jurisdiction_code.clone());
    let node = node_in_scope(conn, caller, &code, "/jurisdiction")?;
    party::check_branch_level(node.level).map_err(|e| AppError::field(FieldError::rule("/jurisdiction", &e)))?;
    let id = repo::create_branch(
        conn,
        &NewBranch {
            name: asked.name,
            jurisdiction_code: node.code.clone(),
            founded_on: asked.founded_on,
            secretary: asked.secretary,
            created_by: caller.login.clone(),
            created_at: persistence::now_utc(),
            version: 1,
        },
    )
    .map_err(|e| match e {
        RepoError::Unique(_) => {
            AppError::with(ErrorCode::Conflict, "该辖区已有同名党支部", "a branch of this name exists at this node")
        }
        other => other.into(),
    })?;
    let (b, path) = repo::branch(conn, id)?;
    let mut entry = caller.audit("party.branch.create", "party_branch", id, &path);
    entry.detail = Some(serde_json::json!({"name": b.name, "jurisdiction": b.jurisdiction_code}).to_string());
    audit::append(conn, &entry)?;
    Ok(view(b))
}

/// The branch `id` if its node lies in the caller's subtree (else 404), with the node's path.
pub fn seen(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<(Branch, String), AppError> {
    let (b, path) = repo::branch(conn, id)?;
    if caller.sees(&path) { Ok((b, path)) } else { Err(AppError::of(ErrorCode::NotFound)) }
}

/// The open branch `id` named in a request at `field`: any branch of the service when `anywhere` (a transfer may
/// go to another district), else one in the caller's subtree; absent, closed or out of scope: 422
/// `party_branch_not_found`. Claims the branch's row, so a close running at the same time waits or is waited for.
pub fn named(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    field: &str,
    anywhere: bool,
) -> Result<(Branch, String), AppError> {
    let not_found = || AppError::field(FieldError::of(field, ErrorCode::PartyBranchNotFound));
    match repo::branch(conn, id) {
        Ok((b, path)) if b.closed_on.is_none() && (anywhere || caller.sees(&path)) => {
            // A relation comes into it: serialised with a close of the branch.
            if repo::claim_open_branch(conn, b.id)? { Ok((b, path)) } else { Err(not_found()) }
        }
        Ok(_) | Err(RepoError::NotFound) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

/// Closes branch `id` of the caller's subtree (else 404; CS Art. 24): only an open branch (409
/// `party_branch_closed`) that no relation sits in or is on its way to (409 `party_branch_not_empty`: transfer or
/// withdraw them first), not before its founding (422 `party_date_order`). A closed branch takes no relation,
/// transfer or meeting (422 `party_branch_not_found` where one is named) and keeps its history. `If-Match` optional
/// (stale: 412). Audited `party.branch.close`.
pub fn close(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    if_match: Option<IfMatch>,
    asked: CloseAsked,
) -> Result<BranchView, AppError> {
    require_manage(caller)?;
    let (b, path) = seen(conn, caller, id)?;
    let version = expect_if_sent(if_match, b.version)?;
    let refused = |e: party::PartyError| match e {
        party::PartyError::DateOrder(_) => AppError::field(FieldError::rule("/on", &e)),
        other => AppError::violation(&other),
    };
    party::check_close(b.closed_on, b.founded_on, 0, asked.on).map_err(refused)?;
    // The row first, then the count: a relation coming in claims the row (`repo::claim_open_branch`), so it either
    // committed before this update (and is counted) or waits and then finds the branch closed.
    repo::close_branch(conn, id, version, asked.on)?;
    let relations = u64::try_from(repo::relations_at(conn, id)?).map_err(AppError::internal)?;
    party::check_close(None, b.founded_on, relations, asked.on).map_err(refused)?;
    let mut entry = caller.audit("party.branch.close", "party_branch", id, &path);
    entry.detail = Some(serde_json::json!({"on": asked.on.to_string(), "reason": asked.reason}).to_string());
    audit::append(conn, &entry)?;
    Ok(view(repo::branch(conn, id)?.0))
}

/// One branch of the caller's subtree (else 404).
pub fn get(conn: &mut DbConnection, caller: &Caller, id: i64) -> Result<BranchView, AppError> {
    require_read(caller)?;
    Ok(view(seen(conn, caller, id)?.0))
}

/// A page of the branches of the caller's subtree, by id.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<BranchView>, AppError> {
    require_read(caller)?;
    Ok(repo::list_branches(conn, &caller.scope_path, after, limit)?.into_iter().map(view).collect())
}
