//! Set-based division imports (issue 20): the checked nodes of a file are staged in a temporary table (`COPY` on
//! PostgreSQL), then each level (province … community, parents before children) is written with one
//! `INSERT … SELECT` for its new nodes, one `UPDATE … FROM` for its changed ones, one for the paths of their
//! subtrees and one `INSERT … SELECT` for their history, the same rows `jurisdictions::upsert_nodes` writes
//! node by node.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::jurisdictions::UpsertCounts;
use crate::sql::{Bind, exec, load};
use crate::{DbConnection, RepoError, RepoResult};

diesel::table! {
    /// Temporary (per connection): every code of the file. `accepted` rows passed the file checks and are
    /// written; the others (`line` 0) are in the file but refused, so their children are refused too.
    division_import_staging (line, code) {
        line -> BigInt,
        code -> Text,
        name -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        accepted -> Bool,
    }
}

/// A node of the file, checked, as staged.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = division_import_staging, treat_none_as_default_value = false)]
pub struct StagedNode {
    /// File line.
    pub line: i64,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Level code.
    pub level: String,
    /// Parent code in the file.
    pub parent_code: Option<String>,
    /// Whether the row passed the file checks.
    pub accepted: bool,
}

const PG_DDL: &str = r#"
DROP TABLE IF EXISTS pg_temp.division_import_level;
DROP TABLE IF EXISTS pg_temp.division_import_staging;
CREATE TEMP TABLE division_import_staging (line BIGINT NOT NULL, code TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL, level TEXT NOT NULL, parent_code TEXT COLLATE "C", accepted BOOLEAN NOT NULL);
CREATE TEMP TABLE division_import_level (line BIGINT NOT NULL, code TEXT COLLATE "C" NOT NULL, name TEXT NOT NULL,
    level TEXT NOT NULL, file_parent TEXT COLLATE "C", parent_code TEXT COLLATE "C", path TEXT COLLATE "C" NOT NULL,
    present BOOLEAN NOT NULL, old_name TEXT, old_level TEXT, old_parent TEXT COLLATE "C", old_path TEXT COLLATE "C",
    outcome TEXT NOT NULL);
"#;

const SQLITE_DDL: &str = r#"
DROP TABLE IF EXISTS temp.division_import_level;
DROP TABLE IF EXISTS temp.division_import_staging;
CREATE TEMP TABLE division_import_staging (line BIGINT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
    level TEXT NOT NULL, parent_code TEXT, accepted BOOLEAN NOT NULL);
CREATE TEMP TABLE division_import_level (line BIGINT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
    level TEXT NOT NULL, file_parent TEXT, parent_code TEXT, path TEXT NOT NULL, present BOOLEAN NOT NULL,
    old_name TEXT, old_level TEXT, old_parent TEXT, old_path TEXT, outcome TEXT NOT NULL);
"#;

/// Creates (or empties) the temporary tables of this connection.
pub fn begin(conn: &mut DbConnection) -> RepoResult<()> {
    crate::sql::batch_per_backend(conn, PG_DDL, SQLITE_DDL)
}

/// Drops the temporary tables.
pub fn end(conn: &mut DbConnection) -> RepoResult<()> {
    crate::sql::drop_temp_tables(conn, &["division_import_level", "division_import_staging"])
}

/// Stages nodes: `COPY` on PostgreSQL, multi-row inserts of 1,000 on SQLite.
pub fn stage(conn: &mut DbConnection, rows: &[StagedNode]) -> RepoResult<()> {
    crate::sql::stage_rows!(conn, division_import_staging::table, rows)
}

/// Indexes the staged codes (the look-up of a refused parent) and gives the planner their statistics.
pub fn staged(conn: &mut DbConnection) -> RepoResult<()> {
    crate::sql::batch_per_backend(
        conn,
        "CREATE INDEX division_import_staging_code ON division_import_staging (code); \
         ANALYZE division_import_staging;",
        "CREATE INDEX temp.division_import_staging_code ON division_import_staging (code);",
    )
}

/// A staged row of a level that was not written.
#[derive(Debug, Clone, QueryableByName)]
pub struct Refusal {
    /// File line.
    #[diesel(sql_type = BigInt)]
    pub line: i64,
    /// Parent code in the file.
    #[diesel(sql_type = Nullable<Text>)]
    pub file_parent: Option<String>,
    /// `parent_rejected` or `out_of_scope`.
    #[diesel(sql_type = Text)]
    pub outcome: String,
}

/// Why a staged row of a level was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Its parent is in the file but was not written.
    ParentRejected,
    /// It would land, or lies now, outside the caller's subtree.
    OutOfScope,
}

impl Refusal {
    /// The reason, as written by [`write_level`].
    pub fn kind(&self) -> RepoResult<RefusalKind> {
        match self.outcome.as_str() {
            PARENT_REJECTED => Ok(RefusalKind::ParentRejected),
            OUT_OF_SCOPE => Ok(RefusalKind::OutOfScope),
            other => Err(RepoError::Corrupt(format!("division import outcome {other}"))),
        }
    }
}

const PARENT_REJECTED: &str = "parent_rejected";
const OUT_OF_SCOPE: &str = "out_of_scope";

/// Classifies the accepted staged rows of one level: the parent's path (a parent in neither the file nor the tree
/// makes a root), the node as it is now, and the outcome. Refusals come first: a parent in the file but not in the
/// tree, then a node that lands or lies outside `scope_path`.
const CLASSIFY: &str = "
INSERT INTO division_import_level (line, code, name, level, file_parent, parent_code, path, present, old_name,
    old_level, old_parent, old_path, outcome)
SELECT line, code, name, level, file_parent, parent_code, path, present, old_name, old_level, old_parent, old_path,
    CASE
        WHEN file_parent IS NOT NULL AND parent_code IS NULL
            AND EXISTS (SELECT 1 FROM division_import_staging f WHERE f.code = x.file_parent) THEN 'parent_rejected'
        WHEN substr(path, 1, ?) <> ? OR (present AND substr(old_path, 1, ?) <> ?) THEN 'out_of_scope'
        WHEN NOT present THEN 'created'
        WHEN old_name = name AND old_level = level
            AND (old_parent = parent_code OR (old_parent IS NULL AND parent_code IS NULL)) THEN 'unchanged'
        ELSE 'updated'
    END
FROM (SELECT s.line, s.code, s.name, s.level, s.parent_code AS file_parent, p.code AS parent_code,
        COALESCE(p.path, '/') || s.code || '/' AS path, j.code IS NOT NULL AS present, j.name AS old_name,
        j.level AS old_level, j.parent_code AS old_parent, j.path AS old_path
    FROM division_import_staging s
    LEFT JOIN jurisdictions p ON p.code = s.parent_code
    LEFT JOIN jurisdictions j ON j.code = s.code
    WHERE s.accepted AND s.level = ?) x";

const INSERT_CREATED: &str = "
INSERT INTO jurisdictions (code, name, level, parent_code, path, created_at, updated_at)
SELECT code, name, level, parent_code, path, ?, ? FROM division_import_level WHERE outcome = 'created' ORDER BY code";

const UPDATE_CHANGED: &str = "
UPDATE jurisdictions SET name = l.name, level = l.level, parent_code = l.parent_code,
    version = jurisdictions.version + 1, updated_at = ?
FROM division_import_level l WHERE jurisdictions.code = l.code AND l.outcome = 'updated'";

/// A changed node whose path changes carries its subtree along (the node itself included), as
/// `jurisdictions::rewrite_subtree_paths` does; `rtrim(path, '/') || '0'` is `jurisdictions::subtree_upper`.
const REWRITE_PATHS: &str = "
UPDATE jurisdictions SET path = l.path || substr(jurisdictions.path, length(l.old_path) + 1)
FROM division_import_level l
WHERE l.outcome = 'updated' AND l.old_path <> l.path
    AND jurisdictions.path >= l.old_path AND jurisdictions.path < rtrim(l.old_path, '/') || '0'";

/// The history row `jurisdictions::upsert_nodes` records for a changed node, in file order.
const RECORD_CHANGES: &str = "
INSERT INTO jurisdiction_changes (code, change, old_name, new_name, old_parent_code, new_parent_code, actor,
    changed_at)
SELECT code, 'imported',
    CASE WHEN old_name <> name THEN old_name END, CASE WHEN old_name <> name THEN name END,
    CASE WHEN old_parent = parent_code OR (old_parent IS NULL AND parent_code IS NULL) THEN NULL ELSE old_parent END,
    CASE WHEN old_parent = parent_code OR (old_parent IS NULL AND parent_code IS NULL) THEN NULL ELSE parent_code END,
    ?, ?
FROM division_import_level WHERE outcome = 'updated' ORDER BY line";

#[derive(QueryableByName)]
struct OutcomeCount {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Writes the staged nodes of `level` whose parents are written already; returns the counts and the rows refused
/// (in file order).
pub fn write_level(
    conn: &mut DbConnection,
    level: &str,
    scope_path: &str,
    actor: &str,
    now: time::PrimitiveDateTime,
) -> RepoResult<(UpsertCounts, Vec<Refusal>)> {
    match conn {
        DbConnection::Pg(c) => c.batch_execute("TRUNCATE division_import_level")?,
        DbConnection::Sqlite(c) => c.batch_execute("DELETE FROM temp.division_import_level")?,
    }
    let scope_len = i32::try_from(scope_path.len()).map_err(|_| RepoError::Corrupt("scope path too long".into()))?;
    exec(
        conn,
        CLASSIFY,
        &[
            Bind::I32(scope_len),
            Bind::Text(scope_path),
            Bind::I32(scope_len),
            Bind::Text(scope_path),
            Bind::Text(level),
        ],
    )?;
    if let DbConnection::Pg(c) = conn {
        c.batch_execute("ANALYZE division_import_level")?;
    }
    let refusals: Vec<Refusal> = load(
        conn,
        "SELECT line, file_parent, outcome FROM division_import_level \
         WHERE outcome IN ('parent_rejected', 'out_of_scope') ORDER BY line",
        &[],
    )?;
    let mut counts = UpsertCounts::default();
    let tally: Vec<OutcomeCount> =
        load(conn, "SELECT outcome, COUNT(*) AS n FROM division_import_level GROUP BY outcome", &[])?;
    for t in tally {
        let n = u64::try_from(t.n).map_err(|_| RepoError::Corrupt("negative count".into()))?;
        match t.outcome.as_str() {
            "created" => counts.created = n,
            "updated" => counts.updated = n,
            "unchanged" => counts.unchanged = n,
            PARENT_REJECTED | OUT_OF_SCOPE => {}
            other => return Err(RepoError::Corrupt(format!("division import outcome {other}"))),
        }
    }
    if counts.created > 0 {
        exec(conn, INSERT_CREATED, &[Bind::Ts(now), Bind::Ts(now)])?;
    }
    if counts.updated > 0 {
        exec(conn, UPDATE_CHANGED, &[Bind::Ts(now)])?;
        exec(conn, REWRITE_PATHS, &[])?;
        exec(conn, RECORD_CHANGES, &[Bind::Text(actor), Bind::Ts(now)])?;
    }
    Ok((counts, refusals))
}
