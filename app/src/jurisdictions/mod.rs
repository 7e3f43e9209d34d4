//! The jurisdiction tree (the statistical division codes the centres work in): read, list, children, history,
//! create, rename and move a node. A node outside the caller's subtree cannot be told from one that does not exist.

use domain::{ErrorCode, JurisdictionCode, Level, RuleViolation};
use persistence::DbConnection;
use persistence::audit;
use persistence::jurisdictions::{self as repo, Jurisdiction, JurisdictionChange, NodeRow};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::{AppError, FieldError};
use crate::input::check_name;
use crate::scope::node_in_scope;

/// A node of the tree.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JurisdictionResponse {
    /// Statistical division code.
    #[schema(example = "350203001001")]
    pub code: String,
    /// Registered name.
    #[schema(example = "鸿山社区居委会")]
    pub name: String,
    /// Level.
    pub level: Level,
    /// Parent code; `null` for a root.
    #[schema(example = "350203001")]
    pub parent_code: Option<String>,
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

impl From<Jurisdiction> for JurisdictionResponse {
    fn from(j: Jurisdiction) -> Self {
        Self {
            level: j.level,
            code: j.code,
            name: j.name,
            parent_code: j.parent_code,
            version: j.version,
            created_at: j.created_at.assume_utc(),
            updated_at: j.updated_at.assume_utc(),
        }
    }
}

/// One entry of a node's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JurisdictionChangeResponse {
    /// `created`, `renamed`, `moved` or `imported`.
    #[schema(example = "moved")]
    pub change: String,
    /// Name before.
    pub old_name: Option<String>,
    /// Name after.
    pub new_name: Option<String>,
    /// Parent before.
    #[schema(example = "350203001")]
    pub old_parent_code: Option<String>,
    /// Parent after.
    #[schema(example = "350203003")]
    pub new_parent_code: Option<String>,
    /// Who.
    #[schema(example = "city")]
    pub actor: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub changed_at: OffsetDateTime,
}

impl From<JurisdictionChange> for JurisdictionChangeResponse {
    fn from(c: JurisdictionChange) -> Self {
        Self {
            change: c.change,
            old_name: c.old_name,
            new_name: c.new_name,
            old_parent_code: c.old_parent_code,
            new_parent_code: c.new_parent_code,
            actor: c.actor,
            changed_at: c.changed_at.assume_utc(),
        }
    }
}

/// A new node under an existing one.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "350203001999", "name": "新建社区居委会", "parent_code": "350203001"}))]
pub struct CreateJurisdictionRequest {
    /// Statistical division code; its length sets the level (2, 4, 6, 9, 12 digits).
    pub code: String,
    /// Registered name.
    pub name: String,
    /// Parent node, in the caller's subtree.
    pub parent_code: String,
}

/// Fields of a node that may change.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "鸿山社区居民委员会"}))]
pub struct UpdateJurisdictionRequest {
    /// New registered name.
    pub name: String,
}

/// Where to move a node.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"parent_code": "350203003"}))]
pub struct MoveJurisdictionRequest {
    /// The new parent (for a community: another street), in the caller's subtree.
    pub parent_code: String,
}

/// A new node, checked: its code (which sets the level), its name and its parent's code.
#[derive(Debug, Clone)]
pub struct NewNode {
    /// Code.
    pub code: JurisdictionCode,
    /// Name.
    pub name: String,
    /// Parent.
    pub parent: JurisdictionCode,
}

/// The checks of a new node: both codes well formed, the name 1-100 characters. Every broken rule at once.
pub fn check_new(body: &CreateJurisdictionRequest) -> Result<NewNode, Vec<FieldError>> {
    let mut errors = Vec::new();
    let code = JurisdictionCode::parse(&body.code).map_err(|e| errors.push(FieldError::rule("/code", &e))).ok();
    let name = check_name("/name", &body.name, 100, &mut errors);
    let parent =
        JurisdictionCode::parse(&body.parent_code).map_err(|e| errors.push(FieldError::rule("/parent_code", &e))).ok();
    match (code, parent) {
        (Some(code), Some(parent)) if errors.is_empty() => Ok(NewNode { code, name, parent }),
        _ => Err(errors),
    }
}

/// The check of a rename: the name 1-100 characters.
pub fn check_rename(body: &UpdateJurisdictionRequest) -> Result<String, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = check_name("/name", &body.name, 100, &mut errors);
    if errors.is_empty() { Ok(name) } else { Err(errors) }
}

/// The check of a move: the new parent's code well formed.
pub fn check_move(body: &MoveJurisdictionRequest) -> Result<JurisdictionCode, FieldError> {
    JurisdictionCode::parse(&body.parent_code).map_err(|e| FieldError::rule("/parent_code", &e as &dyn RuleViolation))
}

/// Nodes in the caller's subtree by code, optionally of one level and with names starting with `name_prefix`:
/// up to `limit` after the code `after`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    level: Option<Level>,
    name_prefix: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<JurisdictionResponse>, AppError> {
    let level = level.map(|l| l.as_str());
    let items = repo::list_in_scope(conn, &caller.scope_path, level, name_prefix, after, limit)?;
    Ok(items.into_iter().map(Into::into).collect())
}

/// One node of the caller's subtree (404 otherwise).
pub fn get(conn: &mut DbConnection, caller: &Caller, code: &str) -> Result<JurisdictionResponse, AppError> {
    Ok(repo::find_in_scope(conn, code, &caller.scope_path)?.into())
}

/// The children of a node of the caller's subtree by code: up to `limit` after the code `after`.
pub fn children(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<JurisdictionResponse>, AppError> {
    repo::find_in_scope(conn, code, &caller.scope_path)?;
    Ok(repo::children(conn, code, after, limit)?.into_iter().map(Into::into).collect())
}

/// The changes to a node of the caller's subtree (creation, renames, moves, imports), oldest first.
pub fn history(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
) -> Result<Vec<JurisdictionChangeResponse>, AppError> {
    repo::find_in_scope(conn, code, &caller.scope_path)?;
    Ok(repo::history(conn, code)?.into_iter().map(Into::into).collect())
}

/// Creates a node under a parent in the caller's subtree: refused when the parent is unknown to the caller (422
/// `jurisdiction_not_found`), of a level the node cannot hang under (422 `parent_level`) or the code is taken (409
/// `jurisdiction_code_taken`). Writes the node, its history entry and the audit entry.
pub fn create(conn: &mut DbConnection, caller: &Caller, new: NewNode) -> Result<JurisdictionResponse, AppError> {
    let NewNode { code, name, parent } = new;
    let parent_node = node_in_scope(conn, caller, parent.as_str(), "/parent_code")?;
    let parent_level = parent_node.level;
    if !code.level().may_be_child_of(parent_level) {
        return Err(AppError::field(FieldError::with(
            "/parent_code",
            ErrorCode::ParentLevel,
            format!("{}级节点不能隶属于{}级节点", code.level().label_zh(), parent_level.label_zh()),
            format!("a {} cannot hang under a {}", code.level(), parent_level),
        )));
    }
    if repo::find(conn, code.as_str()).is_ok() {
        return Err(AppError::of(ErrorCode::JurisdictionCodeTaken));
    }
    let row = NodeRow {
        code: code.as_str().to_owned(),
        name,
        level: code.level().as_str().to_owned(),
        parent_code: Some(parent_node.code.clone()),
        path: domain::jurisdiction::child_path(Some(&parent_node.path), code.as_str()),
    };
    let node = repo::create(conn, &row, &caller.login)?;
    let mut entry = caller.audit("jurisdiction.create", "jurisdiction", &node.code, &node.path);
    entry.detail = Some(serde_json::json!({"name": node.name, "parent_code": node.parent_code}).to_string());
    audit::append(conn, &entry)?;
    Ok(node.into())
}

/// Renames a node of the caller's subtree (history kept); `if_match` is the version read (`None`: any).
pub fn rename(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    if_match: crate::precondition::IfMatch,
    name: &str,
) -> Result<JurisdictionResponse, AppError> {
    let node = repo::find_in_scope(conn, code, &caller.scope_path)?;
    let expected = if_match.expect(node.version)?;
    let updated = repo::rename(conn, &node, name, expected, &caller.login)?;
    let mut entry = caller.audit("jurisdiction.rename", "jurisdiction", &node.code, &node.path);
    entry.detail = Some(serde_json::json!({"changes": {"name": {"from": node.name, "to": updated.name}}}).to_string());
    audit::append(conn, &entry)?;
    Ok(updated.into())
}

/// Moves a node of the caller's subtree (not the caller's own node: 403) with its whole subtree under another
/// parent in the subtree; retirees follow their community. A parent of the wrong level or inside the node itself
/// is 422 `parent_level`; a move to the present parent changes nothing.
pub fn move_node(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    if_match: crate::precondition::IfMatch,
    parent_code: &JurisdictionCode,
) -> Result<JurisdictionResponse, AppError> {
    let node = repo::find_in_scope(conn, code, &caller.scope_path)?;
    let expected = if_match.expect(node.version)?;
    if node.path == caller.scope_path {
        return Err(AppError::forbidden());
    }
    let parent = node_in_scope(conn, caller, parent_code.as_str(), "/parent_code")?;
    let node_level = node.level;
    let parent_level = parent.level;
    if !node_level.may_be_child_of(parent_level) || parent.path.starts_with(&node.path) {
        return Err(AppError::field(FieldError::with(
            "/parent_code",
            ErrorCode::ParentLevel,
            format!("{}级节点不能隶属于该节点", node_level.label_zh()),
            format!("a {node_level} cannot hang under {}", parent.code),
        )));
    }
    if node.parent_code.as_deref() == Some(parent.code.as_str()) {
        return Ok(node.into());
    }
    let moved = repo::move_to(conn, &node, &parent, expected, &caller.login)?;
    let mut entry = caller.audit("jurisdiction.move", "jurisdiction", &node.code, &moved.path);
    entry.detail = Some(
        serde_json::json!({"changes": {"parent_code": {"from": node.parent_code, "to": moved.parent_code}}})
            .to_string(),
    );
    audit::append(conn, &entry)?;
    Ok(moved.into())
}
