//! The movement ledger of the rolls, handover batches, transfers, reductions and visit tasks (issue 6).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::schema::{
    handover_batches, handover_items, handover_steps, jurisdictions, reductions, retirees, roster_movements,
    transfer_steps, transfers, visit_tasks,
};
use crate::typed::Stored;
use domain::events::EventType;

use crate::events::Emit;
use crate::sql::{self, Bind};
use crate::{DbConnection, RepoError, RepoResult, now_utc};

pub use domain::pension::month_of;

mod handover;
mod transfer;
pub use handover::*;
pub use transfer::*;

/// Records one movement of a roll.
pub fn record(
    conn: &mut DbConnection,
    retiree_id: i64,
    community_code: &str,
    kind: &str,
    month: Date,
    source: (&str, Option<i64>),
) -> RepoResult<()> {
    diesel::insert_into(roster_movements::table)
        .values((
            roster_movements::retiree_id.eq(retiree_id),
            roster_movements::community_code.eq(community_code),
            roster_movements::kind.eq(kind),
            roster_movements::month.eq(month_of(month)),
            roster_movements::source_type.eq(source.0),
            roster_movements::source_id.eq(source.1),
            roster_movements::created_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Counts of movements in a subtree, by community path and kind, before a month and in it.
#[derive(Debug, Clone, QueryableByName, PartialEq)]
pub struct MovementCount {
    /// Path of the community.
    #[diesel(sql_type = Text)]
    pub path: String,
    /// Kind.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// `before` the month or `in` it.
    #[diesel(sql_type = Text)]
    pub bucket: String,
    /// How many.
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The movements of the subtree `scope_path` up to the month `month`, counted by community, kind and bucket (one
/// statement).
pub fn counts(conn: &mut DbConnection, scope_path: &str, month: Date) -> RepoResult<Vec<MovementCount>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    sql::load(
        conn,
        "SELECT path, kind, bucket, CAST(SUM(people) AS BIGINT) AS n FROM \
         (SELECT j.path AS path, m.kind AS kind, m.people AS people, CASE WHEN m.month < ? THEN 'before' ELSE 'in' END AS bucket \
         FROM roster_movements m JOIN jurisdictions j ON j.code = m.community_code \
         WHERE j.path >= ? AND j.path < ? AND m.month <= ?) t GROUP BY path, kind, bucket",
        &[Bind::Date(month), Bind::Text(scope_path), Bind::Text(&upper), Bind::Date(month)],
    )
}

/// Moves a person to another community (a completed transfer), on the roll or off it, with the remote
/// certification flag; bumps the version.
pub fn relocate(
    conn: &mut DbConnection,
    retiree_id: i64,
    community_code: &str,
    on_roll: bool,
    remote: bool,
) -> RepoResult<()> {
    let from: String = retirees::table.find(retiree_id).select(retirees::community_code).first(conn)?;
    diesel::update(retirees::table.find(retiree_id))
        .set((
            retirees::community_code.eq(community_code),
            retirees::on_roll.eq(on_roll),
            retirees::remote_certification.eq(remote),
            retirees::version.eq(retirees::version + 1),
            retirees::updated_at.eq(now_utc()),
        ))
        .execute(conn)?;
    if from != community_code {
        crate::events::emit(conn, &crate::retirees::moved_event(retiree_id, &from, community_code, "transfer", None))?;
    }
    Ok(())
}

/// Takes a person off the roll (or back on it).
pub fn set_on_roll(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>, on_roll: bool) -> RepoResult<()> {
    let retiree_id = RetireeId::get(retiree_id.into());
    diesel::update(retirees::table.find(retiree_id))
        .set((
            retirees::on_roll.eq(on_roll),
            retirees::version.eq(retirees::version + 1),
            retirees::updated_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The month person `retiree_id` last came onto the roll of `community_code` (registered, received, transferred in
/// or reinstated), when a movement of theirs records it (people registered by an import are counted without one).
pub fn joined_month(
    conn: &mut DbConnection,
    retiree_id: impl Into<RetireeId>,
    community_code: &str,
) -> RepoResult<Option<Date>> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(roster_movements::table
        .filter(roster_movements::retiree_id.eq(retiree_id))
        .filter(roster_movements::community_code.eq(community_code))
        .filter(roster_movements::kind.eq_any(["registered", "received", "transferred_in", "reinstated"]))
        .order(roster_movements::id.desc())
        .select(roster_movements::month)
        .first(conn)
        .optional()?)
}

/// Whether a person is on a roll.
pub fn on_roll(conn: &mut DbConnection, retiree_id: impl Into<RetireeId>) -> RepoResult<bool> {
    let retiree_id = RetireeId::get(retiree_id.into());
    Ok(retirees::table.find(retiree_id).select(retirees::on_roll).first(conn)?)
}

// ---------------------------------------------------------------------------------------------------------------
// Handover

/// A reduction as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = reductions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Reduction {
    pub id: i64,
    pub retiree_id: i64,
    pub community_code: String,
    #[diesel(deserialize_as = Stored<domain::movement::ReductionKind>)]
    pub kind: domain::movement::ReductionKind,
    pub reason: String,
    pub effective_month: Date,
    pub source_type: String,
    pub source_id: Option<i64>,
    pub reversed: bool,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
}

/// Takes a person off the roll: the reduction, the movement in its month, `on_roll = false`.
#[allow(clippy::too_many_arguments)]
pub fn reduce(
    conn: &mut DbConnection,
    retiree_id: i64,
    community_code: &str,
    kind: &str,
    reason: &str,
    effective_month: Date,
    source: (&str, Option<i64>),
    by: &str,
) -> RepoResult<Reduction> {
    let id: i64 = diesel::insert_into(reductions::table)
        .values((
            reductions::retiree_id.eq(retiree_id),
            reductions::community_code.eq(community_code),
            reductions::kind.eq(kind),
            reductions::reason.eq(reason),
            reductions::effective_month.eq(month_of(effective_month)),
            reductions::source_type.eq(source.0),
            reductions::source_id.eq(source.1),
            reductions::created_by.eq(by),
            reductions::created_at.eq(now_utc()),
        ))
        .returning(reductions::id)
        .get_result(conn)?;
    record(conn, retiree_id, community_code, "reduced", effective_month, ("reduction", Some(id)))?;
    set_on_roll(conn, retiree_id, false)?;
    let details = serde_json::json!({
        "reduction_id": id, "kind": kind, "reason": reason, "effective_month": month_of(effective_month).to_string(),
        "source": source.0, "source_id": source.1,
    });
    crate::events::emit(conn, &Emit::retiree(EventType::RetireeReduced.as_str(), retiree_id, details))?;
    Ok(reductions::table.find(id).select(Reduction::as_select()).first(conn)?)
}

/// Reverses the reduction made from `source` (a death report reversed): the person is back on the roll from
/// `month` (a `reinstated` movement). Returns whether there was one.
pub fn reinstate(conn: &mut DbConnection, source: (&str, i64), month: Date) -> RepoResult<bool> {
    let found: Option<Reduction> = reductions::table
        .filter(reductions::source_type.eq(source.0))
        .filter(reductions::source_id.eq(source.1))
        .filter(reductions::reversed.eq(false))
        .select(Reduction::as_select())
        .first(conn)
        .optional()?;
    let Some(r) = found else { return Ok(false) };
    diesel::update(reductions::table.find(r.id)).set(reductions::reversed.eq(true)).execute(conn)?;
    record(conn, r.retiree_id, &r.community_code, "reinstated", month, ("reduction", Some(r.id)))?;
    set_on_roll(conn, r.retiree_id, true)?;
    let details = serde_json::json!({ "reduction_id": r.id, "month": month_of(month).to_string() });
    crate::events::emit(conn, &Emit::retiree(EventType::RetireeReinstated.as_str(), r.retiree_id, details))?;
    Ok(true)
}

/// Reductions in the subtree, by id after `after`.
pub fn list_reductions(
    conn: &mut DbConnection,
    scope_path: &str,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Reduction>> {
    let codes = jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    let mut q = reductions::table
        .filter(reductions::community_code.eq_any(codes))
        .select(Reduction::as_select())
        .order(reductions::id)
        .limit(limit)
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(reductions::id.gt(a));
    }
    Ok(q.load(conn)?)
}

// ---------------------------------------------------------------------------------------------------------------
// Visit tasks

/// A visit task as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = visit_tasks)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct VisitTask {
    pub id: i64,
    pub retiree_id: i64,
    pub community_code: String,
    pub kind: String,
    pub due_on: Date,
    pub status: String,
    pub done_on: Option<Date>,
    pub done_by: Option<String>,
    pub note: Option<String>,
    pub source_type: String,
    pub source_id: Option<i64>,
    pub created_at: PrimitiveDateTime,
}

/// Opens a visit task.
pub fn open_visit(
    conn: &mut DbConnection,
    retiree_id: i64,
    community_code: &str,
    kind: &str,
    due_on: Date,
    source: (&str, Option<i64>),
) -> RepoResult<()> {
    diesel::insert_into(visit_tasks::table)
        .values((
            visit_tasks::retiree_id.eq(retiree_id),
            visit_tasks::community_code.eq(community_code),
            visit_tasks::kind.eq(kind),
            visit_tasks::due_on.eq(due_on),
            visit_tasks::status.eq("open"),
            visit_tasks::source_type.eq(source.0),
            visit_tasks::source_id.eq(source.1),
            visit_tasks::created_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// One task.
pub fn find_visit(conn: &mut DbConnection, id: i64) -> RepoResult<VisitTask> {
    Ok(visit_tasks::table.find(id).select(VisitTask::as_select()).first(conn)?)
}

/// Marks open tasks of a person of `kind` done (all when `id` is `None`, else that one).
pub fn close_visits(
    conn: &mut DbConnection,
    retiree_id: i64,
    kind: &str,
    id: Option<i64>,
    on: Date,
    by: &str,
    note: Option<String>,
) -> RepoResult<usize> {
    let mut q = diesel::update(visit_tasks::table)
        .filter(visit_tasks::retiree_id.eq(retiree_id))
        .filter(visit_tasks::kind.eq(kind))
        .filter(visit_tasks::status.eq("open"))
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(visit_tasks::id.eq(id));
    }
    Ok(q.set((
        visit_tasks::status.eq("done"),
        visit_tasks::done_on.eq(on),
        visit_tasks::done_by.eq(by),
        visit_tasks::note.eq(note),
    ))
    .execute(conn)?)
}

/// Which open tasks count as overdue: those due before `on`; the tasks of the kind in `except` (if any) are judged
/// on its own day instead (a coarser due date shown to some roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overdue<'a> {
    /// Due before this day.
    pub on: Date,
    /// A kind of task and the day its tasks must be due before.
    pub except: Option<(&'a str, Date)>,
}

/// Tasks in the subtree, by id; of one kind; `open`/`done`; `overdue`: open and overdue as it says.
pub fn list_visits(
    conn: &mut DbConnection,
    scope_path: &str,
    kind: Option<&str>,
    status: Option<&str>,
    overdue: Option<Overdue<'_>>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<VisitTask>> {
    let codes = jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    let mut q = visit_tasks::table
        .filter(visit_tasks::community_code.eq_any(codes))
        .select(VisitTask::as_select())
        .order(visit_tasks::id)
        .limit(limit)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(visit_tasks::status.eq(s.to_owned()));
    }
    if let Some(k) = kind {
        q = q.filter(visit_tasks::kind.eq(k.to_owned()));
    }
    if let Some(Overdue { on: d, except }) = overdue {
        q = q.filter(visit_tasks::status.eq("open"));
        q = match except {
            Some((k, dk)) => q.filter(
                (visit_tasks::kind.eq(k.to_owned()).and(visit_tasks::due_on.lt(dk)))
                    .or(visit_tasks::kind.ne(k.to_owned()).and(visit_tasks::due_on.lt(d))),
            ),
            None => q.filter(visit_tasks::due_on.lt(d)),
        };
    }
    if let Some(a) = after {
        q = q.filter(visit_tasks::id.gt(a));
    }
    Ok(q.load(conn)?)
}

/// Movements recorded by an import (set-based): the people the merge creates, counted as `registered` in one row per
/// community (`people` = how many). One statement over the staging table, a row per community, not per person.
pub fn record_imported(conn: &mut DbConnection, month: Date) -> RepoResult<usize> {
    sql::exec(
        conn,
        "INSERT INTO roster_movements (retiree_id, community_code, kind, month, people, source_type, created_at) \
         SELECT NULL, community_code, 'registered', ?, COUNT(*), 'import', ? FROM retiree_import_staging \
         WHERE outcome = 'create' GROUP BY community_code",
        &[Bind::Date(month_of(month)), Bind::Ts(now_utc())],
    )
}

/// Movements of people an import moves to another community (before the merge's UPDATE): out of the old one,
/// into the new one.
pub fn record_import_moves(conn: &mut DbConnection, month: Date) -> RepoResult<usize> {
    let m = month_of(month);
    let now = now_utc();
    let out = sql::exec(
        conn,
        "INSERT INTO roster_movements (retiree_id, community_code, kind, month, source_type, created_at) \
         SELECT r.id, r.community_code, 'transferred_out', ?, 'import', ? FROM retirees r \
         JOIN retiree_import_staging s ON s.existing_id = r.id \
         WHERE s.outcome = 'update' AND r.community_code <> s.community_code AND r.on_roll",
        &[Bind::Date(m), Bind::Ts(now)],
    )?;
    let into = sql::exec(
        conn,
        "INSERT INTO roster_movements (retiree_id, community_code, kind, month, source_type, created_at) \
         SELECT r.id, s.community_code, 'transferred_in', ?, 'import', ? FROM retirees r \
         JOIN retiree_import_staging s ON s.existing_id = r.id \
         WHERE s.outcome = 'update' AND r.community_code <> s.community_code AND r.on_roll",
        &[Bind::Date(m), Bind::Ts(now)],
    )?;
    Ok(out + into)
}
