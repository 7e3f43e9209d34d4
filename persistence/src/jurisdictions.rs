//! The jurisdiction tree. Each node stores a materialised `path` (`/3502/350203/…/`), so "the caller's subtree"
//! is one range scan on an indexed column on both backends.

use std::collections::HashMap;

use diesel::IntoSql;
use diesel::prelude::*;
use diesel::sql_types::Text;
use time::PrimitiveDateTime;

use crate::schema::{jurisdiction_changes, jurisdictions};
use crate::typed::Stored;
use crate::{DbConnection, RepoError, RepoResult, now_utc};

diesel::define_sql_function! {
    /// `substr(text, start)`: the same on SQLite and PostgreSQL.
    fn substr(x: Text, start: diesel::sql_types::Integer) -> Text;
}

/// A node of the tree.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = jurisdictions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Jurisdiction {
    /// Statistical division code.
    pub code: String,
    /// Registered name.
    pub name: String,
    /// `province` … `community`.
    #[diesel(deserialize_as = Stored<domain::Level>)]
    pub level: domain::Level,
    /// Parent code; `None` for a root.
    pub parent_code: Option<String>,
    /// Materialised path.
    pub path: String,
    /// Optimistic-concurrency version (ETag).
    pub version: i64,
    /// When created.
    pub created_at: PrimitiveDateTime,
    /// When last changed.
    pub updated_at: PrimitiveDateTime,
}

/// One entry of a node's history.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jurisdiction_changes)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct JurisdictionChange {
    /// Sequence.
    pub id: i64,
    /// Node.
    pub code: String,
    /// `created`, `renamed`, `moved`, `imported`.
    pub change: String,
    /// Name before.
    pub old_name: Option<String>,
    /// Name after.
    pub new_name: Option<String>,
    /// Parent before.
    pub old_parent_code: Option<String>,
    /// Parent after.
    pub new_parent_code: Option<String>,
    /// Who.
    pub actor: String,
    /// When.
    pub changed_at: PrimitiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = jurisdiction_changes)]
struct NewChange<'a> {
    code: &'a str,
    change: &'a str,
    old_name: Option<&'a str>,
    new_name: Option<&'a str>,
    old_parent_code: Option<&'a str>,
    new_parent_code: Option<&'a str>,
    actor: &'a str,
    changed_at: PrimitiveDateTime,
}

/// A node to insert or update (imports and creation).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = jurisdictions)]
pub struct NodeRow {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Level code.
    pub level: String,
    /// Parent, `None` for a root.
    #[diesel(treat_none_as_null = true)]
    pub parent_code: Option<String>,
    /// Materialised path.
    pub path: String,
}

/// The exclusive upper bound of a subtree range: paths are digits and `/`, and `0` sorts right after `/`.
pub fn subtree_upper(path: &str) -> String {
    let mut upper = path.trim_end_matches('/').to_owned();
    upper.push('0');
    upper
}

/// Filter: `path` within the subtree rooted at `root_path` (the root included).
pub fn in_subtree(root_path: &str) -> SubtreeFilter {
    jurisdictions::path.ge(root_path.to_owned()).and(jurisdictions::path.lt(subtree_upper(root_path)))
}

/// Type of [`in_subtree`].
pub type SubtreeFilter =
    diesel::dsl::And<diesel::dsl::GtEq<jurisdictions::path, String>, diesel::dsl::Lt<jurisdictions::path, String>>;

/// Whether `path` lies in the subtree at `root_path`.
pub fn path_in_scope(path: &str, root_path: &str) -> bool {
    path.starts_with(root_path)
}

/// One node by code, anywhere in the tree.
pub fn find(conn: &mut DbConnection, code: &str) -> RepoResult<Jurisdiction> {
    Ok(jurisdictions::table.find(code).select(Jurisdiction::as_select()).first(conn)?)
}

/// One node by code, if it lies in the subtree at `scope_path`; otherwise `NotFound`.
pub fn find_in_scope(conn: &mut DbConnection, code: &str, scope_path: &str) -> RepoResult<Jurisdiction> {
    let node = find(conn, code)?;
    if path_in_scope(&node.path, scope_path) { Ok(node) } else { Err(RepoError::NotFound) }
}

/// Whether the tree has any node.
pub fn is_empty(conn: &mut DbConnection) -> RepoResult<bool> {
    let any: Option<String> = jurisdictions::table.select(jurisdictions::code).first(conn).optional()?;
    Ok(any.is_none())
}

/// Children of `code`, ordered by code, after `after` (keyset pagination).
pub fn children(conn: &mut DbConnection, code: &str, after: Option<&str>, limit: i64) -> RepoResult<Vec<Jurisdiction>> {
    let mut query = jurisdictions::table
        .filter(jurisdictions::parent_code.eq(code))
        .select(Jurisdiction::as_select())
        .order(jurisdictions::code)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(jurisdictions::code.gt(after.to_owned()));
    }
    Ok(query.load(conn)?)
}

/// Nodes in the subtree at `scope_path`, optionally of one level or matching a name prefix, by code.
pub fn list_in_scope(
    conn: &mut DbConnection,
    scope_path: &str,
    level: Option<&str>,
    name_prefix: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> RepoResult<Vec<Jurisdiction>> {
    let mut query = jurisdictions::table
        .filter(in_subtree(scope_path))
        .select(Jurisdiction::as_select())
        .order(jurisdictions::code)
        .limit(limit)
        .into_boxed();
    if let Some(level) = level {
        query = query.filter(jurisdictions::level.eq(level.to_owned()));
    }
    if let Some(prefix) = name_prefix {
        query = query.filter(jurisdictions::name.like(format!("{}%", escape_like(prefix))).escape('\\'));
    }
    if let Some(after) = after {
        query = query.filter(jurisdictions::code.gt(after.to_owned()));
    }
    Ok(query.load(conn)?)
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as escape.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// History of one node, oldest first.
pub fn history(conn: &mut DbConnection, code: &str) -> RepoResult<Vec<JurisdictionChange>> {
    Ok(jurisdiction_changes::table
        .filter(jurisdiction_changes::code.eq(code))
        .order(jurisdiction_changes::id)
        .select(JurisdictionChange::as_select())
        .load(conn)?)
}

/// Inserts a node (the parent must exist, or `None` for a root) and records its creation.
pub fn create(conn: &mut DbConnection, row: &NodeRow, actor: &str) -> RepoResult<Jurisdiction> {
    let now = now_utc();
    diesel::insert_into(jurisdictions::table)
        .values((row, jurisdictions::created_at.eq(now), jurisdictions::updated_at.eq(now)))
        .execute(conn)?;
    record(conn, &row.code, "created", None, Some(&row.name), None, row.parent_code.as_deref(), actor)?;
    find(conn, &row.code)
}

/// Renames a node if its version is still `expected_version`.
pub fn rename(
    conn: &mut DbConnection,
    node: &Jurisdiction,
    new_name: &str,
    expected_version: i64,
    actor: &str,
) -> RepoResult<Jurisdiction> {
    let updated = diesel::update(
        jurisdictions::table
            .filter(jurisdictions::code.eq(&node.code))
            .filter(jurisdictions::version.eq(expected_version)),
    )
    .set((
        jurisdictions::name.eq(new_name),
        jurisdictions::version.eq(jurisdictions::version + 1),
        jurisdictions::updated_at.eq(now_utc()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(RepoError::VersionMismatch);
    }
    record(conn, &node.code, "renamed", Some(&node.name), Some(new_name), None, None, actor)?;
    find(conn, &node.code)
}

/// Moves a node under `new_parent`, rewriting the paths of its whole subtree, if its version is still
/// `expected_version`.
pub fn move_to(
    conn: &mut DbConnection,
    node: &Jurisdiction,
    new_parent: &Jurisdiction,
    expected_version: i64,
    actor: &str,
) -> RepoResult<Jurisdiction> {
    let new_path = domain::jurisdiction::child_path(Some(&new_parent.path), &node.code);
    let updated = diesel::update(
        jurisdictions::table
            .filter(jurisdictions::code.eq(&node.code))
            .filter(jurisdictions::version.eq(expected_version)),
    )
    .set((
        jurisdictions::parent_code.eq(&new_parent.code),
        jurisdictions::version.eq(jurisdictions::version + 1),
        jurisdictions::updated_at.eq(now_utc()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(RepoError::VersionMismatch);
    }
    rewrite_subtree_paths(conn, &node.path, &new_path)?;
    record(conn, &node.code, "moved", None, None, node.parent_code.as_deref(), Some(&new_parent.code), actor)?;
    find(conn, &node.code)
}

/// Replaces the `old` path prefix by `new` on every node of the subtree at `old`.
pub fn rewrite_subtree_paths(conn: &mut DbConnection, old: &str, new: &str) -> RepoResult<usize> {
    let start = i32::try_from(old.len() + 1).map_err(|_| RepoError::Corrupt("path too long".into()))?;
    Ok(diesel::update(jurisdictions::table.filter(in_subtree(old)))
        .set(jurisdictions::path.eq(new.to_owned().into_sql::<Text>().concat(substr(jurisdictions::path, start))))
        .execute(conn)?)
}

#[allow(clippy::too_many_arguments)]
fn record(
    conn: &mut DbConnection,
    code: &str,
    change: &str,
    old_name: Option<&str>,
    new_name: Option<&str>,
    old_parent_code: Option<&str>,
    new_parent_code: Option<&str>,
    actor: &str,
) -> RepoResult<()> {
    diesel::insert_into(jurisdiction_changes::table)
        .values(NewChange {
            code,
            change,
            old_name,
            new_name,
            old_parent_code,
            new_parent_code,
            actor,
            changed_at: now_utc(),
        })
        .execute(conn)?;
    Ok(())
}

/// Paths of those `codes` that exist.
pub fn paths_of(conn: &mut DbConnection, codes: &[String]) -> RepoResult<HashMap<String, String>> {
    let mut out = HashMap::with_capacity(codes.len());
    for chunk in codes.chunks(900) {
        let rows: Vec<(String, String)> = jurisdictions::table
            .filter(jurisdictions::code.eq_any(chunk))
            .select((jurisdictions::code, jurisdictions::path))
            .load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}

/// Existing nodes among `codes`.
pub fn existing(conn: &mut DbConnection, codes: &[String]) -> RepoResult<HashMap<String, Jurisdiction>> {
    let mut out = HashMap::with_capacity(codes.len());
    for chunk in codes.chunks(900) {
        let rows: Vec<Jurisdiction> = jurisdictions::table
            .filter(jurisdictions::code.eq_any(chunk))
            .select(Jurisdiction::as_select())
            .load(conn)?;
        out.extend(rows.into_iter().map(|j| (j.code.clone(), j)));
    }
    Ok(out)
}

/// Prepares the current transaction for a bulk import. On PostgreSQL the look-ups of each batch are cached
/// prepared statements; a generic plan made while the table was small (a sequential scan) would be kept while
/// the import grows it by hundreds of thousands of rows, so plans are made afresh for every execution.
pub fn prepare_bulk_import(conn: &mut DbConnection) -> RepoResult<()> {
    if let DbConnection::Pg(pg) = conn {
        use diesel::connection::SimpleConnection;
        pg.batch_execute("SET LOCAL plan_cache_mode = force_custom_plan")?;
    }
    Ok(())
}

/// Refreshes the planner's statistics of the tree after a bulk import (PostgreSQL; SQLite plans without them).
/// Every subtree query filters on a range of `path`: with the statistics of an empty or smaller tree the planner
/// takes a city's 3,222 communities for 64 and reads a city's retirees community by community through an index,
/// 3 s where a scan takes under 1 s (the monthly report on 2,000,000 people, docs/scale.md).
pub fn refresh_statistics(conn: &mut DbConnection) -> RepoResult<()> {
    if let DbConnection::Pg(pg) = conn {
        use diesel::connection::SimpleConnection;
        pg.batch_execute("ANALYZE jurisdictions")?;
    }
    Ok(())
}

/// Counts of an import.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UpsertCounts {
    /// New nodes.
    pub created: u64,
    /// Nodes whose name, level or parent changed.
    pub updated: u64,
    /// Nodes already as in the file.
    pub unchanged: u64,
}

/// Inserts new nodes and updates changed ones; `current` holds the existing nodes among `rows` (from
/// [`existing`]). A node whose path changes carries its subtree along. Renames and moves are recorded in the
/// history.
pub fn upsert_nodes(
    conn: &mut DbConnection,
    rows: &[NodeRow],
    current: &HashMap<String, Jurisdiction>,
    actor: &str,
) -> RepoResult<UpsertCounts> {
    let now = now_utc();
    let mut counts = UpsertCounts::default();
    let mut inserts = Vec::new();
    for row in rows {
        match current.get(&row.code) {
            None => inserts.push(row),
            Some(old)
                if old.name == row.name && old.level.as_str() == row.level && old.parent_code == row.parent_code =>
            {
                counts.unchanged += 1;
            }
            Some(old) => {
                counts.updated += 1;
                diesel::update(jurisdictions::table.find(&row.code))
                    .set((
                        jurisdictions::name.eq(&row.name),
                        jurisdictions::level.eq(&row.level),
                        jurisdictions::parent_code.eq(&row.parent_code),
                        jurisdictions::version.eq(jurisdictions::version + 1),
                        jurisdictions::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                if old.path != row.path {
                    rewrite_subtree_paths(conn, &old.path, &row.path)?;
                }
                let renamed = old.name != row.name;
                let moved = old.parent_code != row.parent_code;
                record(
                    conn,
                    &row.code,
                    "imported",
                    renamed.then_some(old.name.as_str()),
                    renamed.then_some(row.name.as_str()),
                    if moved { old.parent_code.as_deref() } else { None },
                    if moved { row.parent_code.as_deref() } else { None },
                    actor,
                )?;
            }
        }
    }
    // Parameter limits: SQLite allows 32766 binds, PostgreSQL 65535; a node binds 7 values.
    for chunk in inserts.chunks(1000) {
        let values: Vec<_> = chunk
            .iter()
            .map(|r| (NodeRow::clone(r), jurisdictions::created_at.eq(now), jurisdictions::updated_at.eq(now)))
            .collect();
        let inserted =
            crate::on_each_backend!(conn, |c| diesel::insert_into(jurisdictions::table).values(&values).execute(c))?;
        counts.created += inserted as u64;
    }
    Ok(counts)
}
