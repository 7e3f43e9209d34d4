//! Certification runs (issue 5; CS Art. 32(1)): everybody in a subtree whose certification has lapsed on the
//! as-of date is suspended, set-based, in a handful of statements whatever the number of people.
//!
//! A real run is one `UPDATE` of `retirees` that marks the rows it changes with `status_run_id`, then one
//! `INSERT … SELECT` of their `pension_status_changes` (source `run`, `source_ref` = run id); its list is those
//! rows. A dry run changes no person: it keeps its would-be list in `certification_run_items`.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date as SqlDate, Text};
use time::{Date, PrimitiveDateTime};

use crate::pension::SOURCE_RUN;
use crate::rules;
use crate::schema::{certification_runs, jurisdictions};
use crate::sql::{self, Bind};
use crate::{DbConnection, RepoError, RepoResult, now_utc};

/// Outcome of a person suspended by a real run.
pub const OUTCOME_SUSPENDED: &str = "suspended";
/// Outcome of a person a dry run would suspend.
pub const OUTCOME_WOULD_SUSPEND: &str = "would_suspend";
/// Outcome of an overdue person whose pension is already suspended for another reason (nothing changes).
pub const OUTCOME_ALREADY_SUSPENDED: &str = "already_suspended";

/// The suspension reason a run sets.
const REASON: &str = "certification_overdue";

/// A run as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = certification_runs)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Run {
    /// Id.
    pub id: i64,
    /// The node it ran on.
    pub jurisdiction_code: String,
    /// That node's path: the run covered its subtree.
    pub scope_path: String,
    /// Overdue means `certified_until < as_of`.
    pub as_of: Date,
    /// Whether it changed nothing.
    pub dry_run: bool,
    /// Login of who started it.
    pub actor: String,
    /// People suspended (dry run: who would be).
    pub suspended: i64,
    /// Overdue people already suspended for another reason.
    pub already_suspended: i64,
    /// Home-visit tasks created (dry run: that would be).
    pub tasks_created: i64,
    /// JSON: the counts per child jurisdiction.
    pub summary: String,
    /// Started.
    pub started_at: PrimitiveDateTime,
    /// Ended.
    pub finished_at: PrimitiveDateTime,
    /// Supported dependants whose support was suspended (dry run: would be).
    pub dependents_suspended: i64,
}

/// A run to start.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    /// Node code.
    pub jurisdiction_code: &'a str,
    /// Node path.
    pub scope_path: &'a str,
    /// As-of date.
    pub as_of: Date,
    /// Dry run.
    pub dry_run: bool,
    /// Login.
    pub actor: &'a str,
}

/// The counts of one child of the run's node (or of the node itself, for people registered on it directly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeCount {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Suspended (dry run: would be).
    pub suspended: i64,
    /// Already suspended for another reason.
    pub already_suspended: i64,
}

/// One person of a run's list.
#[derive(Debug, Clone, QueryableByName, PartialEq)]
pub struct RunItem {
    /// Paging key: the change id (real runs) or the retiree id (dry runs).
    #[diesel(sql_type = BigInt)]
    pub key: i64,
    /// Person.
    #[diesel(sql_type = BigInt)]
    pub retiree_id: i64,
    /// Name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Community at the time of the run.
    #[diesel(sql_type = Text)]
    pub community_code: String,
    /// Last valid day of the person's certification, as on file now.
    #[diesel(sql_type = SqlDate)]
    pub certified_until: Date,
    /// `suspended`, `would_suspend` or `already_suspended`.
    #[diesel(sql_type = Text)]
    pub outcome: String,
}

#[derive(QueryableByName)]
struct PathCount {
    #[diesel(sql_type = Text)]
    path: String,
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The subtree of `scope_path` as a filter on `community_code` (binds: lower and upper path).
const IN_SCOPE: &str = "community_code IN (SELECT code FROM jurisdictions WHERE path >= ? AND path < ?)";

/// Overdue on the as-of date (bind: as-of) and suspended for a reason other than an overdue certification;
/// `alias` qualifies the columns of `retirees` (`""` or `"r."`).
fn already(alias: &str) -> String {
    format!(
        "{alias}pension_status = 'suspended' AND COALESCE({alias}suspension_reason, '') <> '{REASON}' AND {}",
        rules::overdue_sql(&format!("{alias}certified_until"))
    )
}

/// Records a run being started, with zero counts; returns its id.
pub fn start(conn: &mut DbConnection, run: &NewRun<'_>) -> RepoResult<i64> {
    let now = now_utc();
    Ok(diesel::insert_into(certification_runs::table)
        .values((
            certification_runs::jurisdiction_code.eq(run.jurisdiction_code),
            certification_runs::scope_path.eq(run.scope_path),
            certification_runs::as_of.eq(run.as_of),
            certification_runs::dry_run.eq(run.dry_run),
            certification_runs::actor.eq(run.actor),
            certification_runs::suspended.eq(0_i64),
            certification_runs::already_suspended.eq(0_i64),
            certification_runs::tasks_created.eq(0_i64),
            certification_runs::summary.eq("{}"),
            certification_runs::started_at.eq(now),
            certification_runs::finished_at.eq(now),
        ))
        .returning(certification_runs::id)
        .get_result(conn)?)
}

/// Suspends everybody in the subtree with a paid pension whose certification lapsed before `as_of` (CS Art.
/// 32(1)), from the first day of `effective_month`, and records each change (source `run`). Two statements,
/// whatever the number of people. Returns how many were suspended. Call inside the run's write transaction,
/// after [`crate::pension::lock_bulk_status_work`]; the events follow with [`emit_events`], last.
pub fn suspend_overdue(
    conn: &mut DbConnection,
    run_id: i64,
    scope_path: &str,
    as_of: Date,
    effective_month: Date,
    operator: &str,
) -> RepoResult<usize> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let now = now_utc();
    let n = sql::exec(
        conn,
        &format!(
            "UPDATE retirees SET pension_status = 'suspended', suspension_reason = ?, suspended_from = ?, \
             status_run_id = ?, version = version + 1, updated_at = ? \
             WHERE pension_status = 'normal' AND {} AND {IN_SCOPE}",
            rules::overdue_sql("certified_until")
        ),
        &[
            Bind::Text(REASON),
            Bind::Date(effective_month),
            Bind::I64(run_id),
            Bind::Ts(now),
            Bind::Date(as_of),
            Bind::Text(scope_path),
            Bind::Text(&upper),
        ],
    )?;
    if n == 0 {
        return Ok(0);
    }
    // The rows the UPDATE marked. (Repeating the subtree condition here misleads PostgreSQL: with no statistics
    // for the fresh mark it expects one row and joins the tree once per person; see
    // docs/performance-certification.md.)
    let recorded = sql::exec(
        conn,
        &format!(
            "INSERT INTO pension_status_changes (retiree_id, community_code, from_status, from_reason, to_status, \
             reason, effective_month, source, source_ref, operator, created_at) \
             SELECT id, community_code, 'normal', NULL, 'suspended', ?, ?, ?, ?, ?, ? FROM retirees \
             WHERE status_run_id = ? AND {}",
            rules::overdue_sql("certified_until")
        ),
        &[
            Bind::Text(REASON),
            Bind::Date(effective_month),
            Bind::Text(SOURCE_RUN),
            Bind::I64(run_id),
            Bind::Text(operator),
            Bind::Ts(now),
            Bind::I64(run_id),
            Bind::Date(as_of),
        ],
    )?;
    if recorded != n {
        return Err(RepoError::Corrupt(format!("run {run_id}: {n} people suspended but {recorded} changes recorded")));
    }
    Ok(n)
}

/// Supported dependants of the retirees in the subtree whose support has started and is paid and whose
/// certification lapsed before the as-of date (bind: as-of, as-of, lower and upper path). Support that has not
/// started (the retiree lives, or the application after the death is not approved) is not suspended: there is
/// nothing paid (GUIDE 五; issue 19.10).
fn dependents_overdue() -> String {
    format!(
        "supported AND support_suspended_from IS NULL AND {} AND {} AND retiree_id IN \
         (SELECT r.id FROM retirees r JOIN jurisdictions j ON j.code = r.community_code WHERE j.path >= ? AND j.path < ?)",
        rules::overdue_sql("certified_until"),
        rules::support_started_sql("dependents.id")
    )
}

/// Suspends the support of every supported dependant in the subtree whose certification lapsed before `as_of`,
/// like a retiree's pension (XM Art. 15 last paragraph; CS Art. 32(1)), from the first day of `effective_month`,
/// and records each change (source `run`). Two statements whatever the number of dependants. Returns how many.
pub fn suspend_overdue_dependents(
    conn: &mut DbConnection,
    run_id: i64,
    scope_path: &str,
    as_of: Date,
    effective_month: Date,
    operator: &str,
) -> RepoResult<usize> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let now = now_utc();
    let n = sql::exec(
        conn,
        &format!(
            "UPDATE dependents SET support_suspended_from = ?, status_run_id = ?, version = version + 1, \
             updated_at = ? WHERE {}",
            dependents_overdue()
        ),
        &[
            Bind::Date(effective_month),
            Bind::I64(run_id),
            Bind::Ts(now),
            Bind::Date(as_of),
            Bind::Date(as_of),
            Bind::Text(scope_path),
            Bind::Text(&upper),
        ],
    )?;
    if n == 0 {
        return Ok(0);
    }
    let recorded = sql::exec(
        conn,
        "INSERT INTO dependent_support_changes (dependent_id, retiree_id, community_code, to_status, reason, \
         effective_month, source, source_ref, operator, created_at) \
         SELECT d.id, d.retiree_id, r.community_code, ?, ?, ?, ?, ?, ?, ? \
         FROM dependents d JOIN retirees r ON r.id = d.retiree_id \
         WHERE d.status_run_id = ? AND d.support_suspended_from = ?",
        &[
            Bind::Text(crate::dependent_certification::SUPPORT_SUSPENDED),
            Bind::Text(REASON),
            Bind::Date(effective_month),
            Bind::Text(SOURCE_RUN),
            Bind::I64(run_id),
            Bind::Text(operator),
            Bind::Ts(now),
            Bind::I64(run_id),
            Bind::Date(effective_month),
        ],
    )?;
    if recorded != n {
        return Err(RepoError::Corrupt(format!(
            "run {run_id}: {n} dependants suspended but {recorded} changes recorded"
        )));
    }
    Ok(n)
}

/// The change feed's events of a run (issue 20): `pension.suspended` per person, then
/// `dependent.support_changed` per dependant, in the order of their recorded changes, written once, straight
/// into `events` ([`crate::events::emit_select_direct`]). Call last in the run's transaction, after every change
/// the run makes (the events carry each person's state as committed).
pub fn emit_events(conn: &mut DbConnection, run_id: i64) -> RepoResult<usize> {
    use crate::events::{Via, status_changes_via, support_changes_via};
    let this_run = [Bind::Text(SOURCE_RUN), Bind::I64(run_id)];
    let filter = "c.source = ? AND c.source_ref = ?";
    Ok(status_changes_via(conn, Via::Direct, filter, &this_run)?
        + support_changes_via(conn, Via::Direct, filter, &this_run)?)
}

/// How many dependants [`suspend_overdue_dependents`] would suspend now (dry runs).
pub fn count_overdue_dependents(conn: &mut DbConnection, scope_path: &str, as_of: Date) -> RepoResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let rows: Vec<N> = sql::load(
        conn,
        &format!("SELECT COUNT(*) AS n FROM dependents WHERE {}", dependents_overdue()),
        &[Bind::Date(as_of), Bind::Date(as_of), Bind::Text(scope_path), Bind::Text(&upper)],
    )?;
    Ok(rows.first().map_or(0, |r| r.n))
}

/// The support changes a real run recorded, by id after `after`.
pub fn dependent_items(
    conn: &mut DbConnection,
    run_id: i64,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<crate::dependent_certification::SupportChange>> {
    use crate::schema::dependent_support_changes as t;
    let mut query = t::table
        .filter(t::source.eq(SOURCE_RUN))
        .filter(t::source_ref.eq(run_id))
        .select(crate::dependent_certification::SupportChange::as_select())
        .order(t::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(t::id.gt(after));
    }
    Ok(query.load(conn)?)
}

/// Keeps the list of a dry run: who would be suspended and who is overdue but already suspended for another
/// reason. One statement. Returns how many people it lists.
pub fn record_dry(conn: &mut DbConnection, run_id: i64, scope_path: &str, as_of: Date) -> RepoResult<usize> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    sql::exec(
        conn,
        &format!(
            "INSERT INTO certification_run_items (run_id, retiree_id, community_code, outcome) \
             SELECT ?, id, community_code, \
             CASE WHEN pension_status = 'normal' THEN '{OUTCOME_WOULD_SUSPEND}' ELSE '{OUTCOME_ALREADY_SUSPENDED}' END \
             FROM retirees WHERE {IN_SCOPE} AND ((pension_status = 'normal' AND {}) OR ({}))",
            rules::overdue_sql("certified_until"),
            already("")
        ),
        &[Bind::I64(run_id), Bind::Text(scope_path), Bind::Text(&upper), Bind::Date(as_of), Bind::Date(as_of)],
    )
}

/// How many home-visit tasks [`crate::pension::create_due_tasks`] would create now, without creating them (a
/// savepoint that is rolled back), so a dry run counts with exactly the rule a real run applies.
pub fn count_due_tasks(conn: &mut DbConnection, scope_path: &str, due_by: Date, created_by: &str) -> RepoResult<usize> {
    let mut counted = 0;
    let result = conn.transaction::<(), RepoError, _>(|conn| {
        counted = crate::pension::create_due_tasks(conn, scope_path, due_by, created_by)?;
        Err(RepoError::Db(diesel::result::Error::RollbackTransaction))
    });
    match result {
        Ok(()) | Err(RepoError::Db(diesel::result::Error::RollbackTransaction)) => Ok(counted),
        Err(e) => Err(e),
    }
}

/// The counts of a run per child of its node (`node_code` at `scope_path`), by code: every child, with zeros,
/// plus the node itself when people are registered on it directly (or it has no children). Real runs count
/// their recorded changes; dry runs their list. `already_suspended` of a real run is counted now, in the run's
/// transaction.
pub fn counts_by_child(conn: &mut DbConnection, run: &Run) -> RepoResult<Vec<NodeCount>> {
    let upper = crate::jurisdictions::subtree_upper(&run.scope_path);
    let rows: Vec<PathCount> = if run.dry_run {
        sql::load(
            conn,
            "SELECT j.path AS path, i.outcome AS outcome, count(*) AS n FROM certification_run_items i \
             JOIN jurisdictions j ON j.code = i.community_code WHERE i.run_id = ? GROUP BY j.path, i.outcome",
            &[Bind::I64(run.id)],
        )?
    } else {
        sql::load(
            conn,
            &format!(
                "SELECT j.path AS path, '{OUTCOME_SUSPENDED}' AS outcome, count(*) AS n FROM pension_status_changes c \
                 JOIN jurisdictions j ON j.code = c.community_code WHERE c.source = ? AND c.source_ref = ? \
                 GROUP BY j.path \
                 UNION ALL \
                 SELECT j.path AS path, '{OUTCOME_ALREADY_SUSPENDED}' AS outcome, count(*) AS n FROM retirees r \
                 JOIN jurisdictions j ON j.code = r.community_code WHERE j.path >= ? AND j.path < ? \
                 AND {} GROUP BY j.path",
                already("r.")
            ),
            &[
                Bind::Text(SOURCE_RUN),
                Bind::I64(run.id),
                Bind::Text(&run.scope_path),
                Bind::Text(&upper),
                Bind::Date(run.as_of),
            ],
        )?
    };
    let children: Vec<(String, String)> = jurisdictions::table
        .filter(jurisdictions::parent_code.eq(&run.jurisdiction_code))
        .select((jurisdictions::code, jurisdictions::name))
        .order(jurisdictions::code)
        .load(conn)?;
    let mut out: Vec<NodeCount> =
        children.into_iter().map(|(code, name)| NodeCount { code, name, suspended: 0, already_suspended: 0 }).collect();
    let own_name: String = jurisdictions::table.find(&run.jurisdiction_code).select(jurisdictions::name).first(conn)?;
    let mut own = NodeCount { code: run.jurisdiction_code.clone(), name: own_name, suspended: 0, already_suspended: 0 };
    for row in rows {
        let child = child_of(&run.scope_path, &row.path);
        let slot = match child.and_then(|c| out.iter_mut().find(|n| n.code == c)) {
            Some(slot) => slot,
            // On the node itself (or a child created meanwhile, which cannot happen inside the transaction).
            None => &mut own,
        };
        if row.outcome == OUTCOME_ALREADY_SUSPENDED {
            slot.already_suspended += row.n;
        } else {
            slot.suspended += row.n;
        }
    }
    if out.is_empty() || own.suspended > 0 || own.already_suspended > 0 {
        out.insert(0, own);
    }
    Ok(out)
}

/// The code of the child of the node at `scope_path` on the way down to `path`; `None` for the node itself.
fn child_of<'a>(scope_path: &str, path: &'a str) -> Option<&'a str> {
    path.strip_prefix(scope_path)?.split('/').next().filter(|c| !c.is_empty())
}

/// Stores the counts and summary of a run and marks it ended.
pub fn finish(
    conn: &mut DbConnection,
    run_id: i64,
    suspended: i64,
    already_suspended: i64,
    tasks_created: i64,
    dependents_suspended: i64,
    summary: &str,
) -> RepoResult<Run> {
    diesel::update(certification_runs::table.find(run_id))
        .set((
            certification_runs::dependents_suspended.eq(dependents_suspended),
            certification_runs::suspended.eq(suspended),
            certification_runs::already_suspended.eq(already_suspended),
            certification_runs::tasks_created.eq(tasks_created),
            certification_runs::summary.eq(summary),
            certification_runs::finished_at.eq(now_utc()),
        ))
        .execute(conn)?;
    find(conn, run_id)
}

/// One run.
pub fn find(conn: &mut DbConnection, id: i64) -> RepoResult<Run> {
    Ok(certification_runs::table.find(id).select(Run::as_select()).first(conn)?)
}

/// Runs on nodes in the subtree at `scope_path`, newest first, before `before`.
pub fn list(conn: &mut DbConnection, scope_path: &str, before: Option<i64>, limit: i64) -> RepoResult<Vec<Run>> {
    // A prefix match rather than a range: the column has no "C" collation on PostgreSQL; runs are few.
    let pattern = format!("{}%", crate::jurisdictions::escape_like(scope_path));
    let mut query = certification_runs::table
        .filter(certification_runs::scope_path.like(pattern).escape('\\'))
        .select(Run::as_select())
        .order(certification_runs::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(certification_runs::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// The list of a run after the paging key `after`, optionally of one community: for a real run the people it
/// suspended (its changes, by change id), for a dry run its stored list (by retiree id).
pub fn items(
    conn: &mut DbConnection,
    run: &Run,
    community: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<RunItem>> {
    let mut binds = Vec::new();
    let mut sql = if run.dry_run {
        binds.push(Bind::I64(run.id));
        String::from(
            "SELECT i.retiree_id AS key, i.retiree_id AS retiree_id, r.name AS name, i.community_code AS community_code, \
             r.certified_until AS certified_until, i.outcome AS outcome \
             FROM certification_run_items i JOIN retirees r ON r.id = i.retiree_id WHERE i.run_id = ?",
        )
    } else {
        binds.push(Bind::Text(SOURCE_RUN));
        binds.push(Bind::I64(run.id));
        format!(
            "SELECT i.id AS key, i.retiree_id AS retiree_id, r.name AS name, i.community_code AS community_code, \
             r.certified_until AS certified_until, '{OUTCOME_SUSPENDED}' AS outcome \
             FROM pension_status_changes i JOIN retirees r ON r.id = i.retiree_id \
             WHERE i.source = ? AND i.source_ref = ?"
        )
    };
    let key = if run.dry_run { "i.retiree_id" } else { "i.id" };
    if let Some(c) = community {
        sql.push_str(" AND i.community_code = ?");
        binds.push(Bind::Text(c));
    }
    if let Some(after) = after {
        sql.push_str(&format!(" AND {key} > ?"));
        binds.push(Bind::I64(after));
    }
    sql.push_str(&format!(" ORDER BY {key} LIMIT ?"));
    binds.push(Bind::I64(limit));
    sql::load(conn, &sql, &binds)
}

#[cfg(test)]
mod tests {
    use super::child_of;

    #[test]
    fn children_on_the_way_down() {
        assert_eq!(child_of("/3502/", "/3502/350203/350203001/350203001001/"), Some("350203"));
        assert_eq!(child_of("/3502/350203/", "/3502/350203/350203001/"), Some("350203001"));
        assert_eq!(child_of("/3502/", "/3502/"), None);
        assert_eq!(child_of("/3502/", "/3503/350303/"), None);
    }
}
