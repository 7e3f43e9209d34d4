//! The movement ledger of the rolls, handover batches, transfers, reductions and visit tasks (issue 6).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
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
pub fn set_on_roll(conn: &mut DbConnection, retiree_id: i64, on_roll: bool) -> RepoResult<()> {
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
pub fn joined_month(conn: &mut DbConnection, retiree_id: i64, community_code: &str) -> RepoResult<Option<Date>> {
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
pub fn on_roll(conn: &mut DbConnection, retiree_id: i64) -> RepoResult<bool> {
    Ok(retirees::table.find(retiree_id).select(retirees::on_roll).first(conn)?)
}

// ---------------------------------------------------------------------------------------------------------------
// Handover

/// A batch as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = handover_batches)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Batch {
    pub id: i64,
    pub employer_name: String,
    pub employer_credit_code: Option<String>,
    pub employer_community: String,
    pub month: Date,
    pub jurisdiction_code: String,
    pub scope_path: String,
    pub status: String,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub closed_at: Option<PrimitiveDateTime>,
    pub version: i64,
}

/// An item as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = handover_items)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Item {
    pub id: i64,
    pub batch_id: i64,
    pub seq: i32,
    pub name: String,
    /// Sealed at rest (issue 21.10).
    #[diesel(deserialize_as = crate::sealed::Opened)]
    pub id_number: String,
    pub party_member: bool,
    /// The person as submitted (JSON holding the ID number and phone): sealed whole at rest.
    #[diesel(deserialize_as = crate::sealed::Opened)]
    pub payload: String,
    pub residence_community: Option<String>,
    pub proposed_community: String,
    pub routing: String,
    pub community_code: String,
    pub override_reason: Option<String>,
    pub status: String,
    pub return_reason: Option<String>,
    pub retiree_id: Option<i64>,
    pub settled_by: Option<String>,
    pub settled_at: Option<PrimitiveDateTime>,
    pub version: i64,
}

/// An item to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = handover_items)]
pub struct NewItem {
    pub seq: i32,
    pub name: String,
    pub id_number: String,
    pub party_member: bool,
    pub payload: String,
    pub residence_community: Option<String>,
    pub proposed_community: String,
    pub routing: String,
    pub community_code: String,
    pub override_reason: Option<String>,
    pub status: String,
}

/// A step as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = handover_steps)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct HandoverStepRow {
    pub id: i64,
    pub item_id: i64,
    #[diesel(deserialize_as = Stored<domain::handover::HandoverStep>)]
    pub step: domain::handover::HandoverStep,
    pub on_date: Date,
    pub detail: Option<String>,
    pub operator: String,
    pub created_at: PrimitiveDateTime,
}

impl HandoverStepRow {
    /// The step's detail as JSON (`null` when none); stored text that is not JSON is [`RepoError::Corrupt`].
    pub fn detail_json(&self) -> RepoResult<serde_json::Value> {
        let Some(text) = &self.detail else { return Ok(serde_json::Value::Null) };
        crate::typed::stored_json("handover_steps", self.id, "detail", text)
    }
}

/// Records a batch and its items; returns the batch id.
#[allow(clippy::too_many_arguments)]
pub fn create_batch(
    conn: &mut DbConnection,
    employer: (&str, Option<&str>, &str),
    month: Date,
    jurisdiction_code: &str,
    scope_path: &str,
    created_by: &str,
    items: &[NewItem],
) -> RepoResult<i64> {
    let id: i64 = diesel::insert_into(handover_batches::table)
        .values((
            handover_batches::employer_name.eq(employer.0),
            handover_batches::employer_credit_code.eq(employer.1),
            handover_batches::employer_community.eq(employer.2),
            handover_batches::month.eq(month),
            handover_batches::jurisdiction_code.eq(jurisdiction_code),
            handover_batches::scope_path.eq(scope_path),
            handover_batches::status.eq("open"),
            handover_batches::created_by.eq(created_by),
            handover_batches::created_at.eq(now_utc()),
        ))
        .returning(handover_batches::id)
        .get_result(conn)?;
    let keys = crate::sealed::keys()?;
    for item in items {
        // The ID number and the person's JSON are sealed (issue 21.10).
        let sealed =
            NewItem { id_number: keys.seal(&item.id_number), payload: keys.seal(&item.payload), ..item.clone() };
        diesel::insert_into(handover_items::table).values((&sealed, handover_items::batch_id.eq(id))).execute(conn)?;
    }
    Ok(id)
}

/// One batch.
pub fn find_batch(conn: &mut DbConnection, id: i64) -> RepoResult<Batch> {
    Ok(handover_batches::table.find(id).select(Batch::as_select()).first(conn)?)
}

/// Batches handed to nodes in the subtree, newest first, before `before`.
pub fn list_batches(
    conn: &mut DbConnection,
    scope_path: &str,
    before: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Batch>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let mut q = handover_batches::table
        .filter(handover_batches::scope_path.ge(scope_path.to_owned()))
        .filter(handover_batches::scope_path.lt(upper))
        .select(Batch::as_select())
        .order(handover_batches::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(handover_batches::id.lt(b));
    }
    Ok(q.load(conn)?)
}

/// The items of a batch, in order.
pub fn items_of(conn: &mut DbConnection, batch_id: i64) -> RepoResult<Vec<Item>> {
    Ok(handover_items::table
        .filter(handover_items::batch_id.eq(batch_id))
        .order(handover_items::seq)
        .select(Item::as_select())
        .load(conn)?)
}

/// One item of a batch.
pub fn find_item(conn: &mut DbConnection, batch_id: i64, id: i64) -> RepoResult<Item> {
    Ok(handover_items::table
        .filter(handover_items::batch_id.eq(batch_id))
        .filter(handover_items::id.eq(id))
        .select(Item::as_select())
        .first(conn)?)
}

/// The steps of the items of a batch.
pub fn steps_of_batch(conn: &mut DbConnection, batch_id: i64) -> RepoResult<Vec<HandoverStepRow>> {
    let ids = handover_items::table.filter(handover_items::batch_id.eq(batch_id)).select(handover_items::id);
    Ok(handover_steps::table
        .filter(handover_steps::item_id.eq_any(ids))
        .order(handover_steps::id)
        .select(HandoverStepRow::as_select())
        .load(conn)?)
}

/// Records a step of an item.
pub fn add_step(
    conn: &mut DbConnection,
    item_id: i64,
    step: &str,
    on_date: Date,
    detail: Option<String>,
    operator: &str,
) -> RepoResult<()> {
    diesel::insert_into(handover_steps::table)
        .values((
            handover_steps::item_id.eq(item_id),
            handover_steps::step.eq(step),
            handover_steps::on_date.eq(on_date),
            handover_steps::detail.eq(detail),
            handover_steps::operator.eq(operator),
            handover_steps::created_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Settles a pending item (`accepted` with its new retiree, or `returned` with a reason); closes the batch when
/// no item is pending any more. [`RepoError::VersionMismatch`] when the item was settled meanwhile.
pub fn settle_item(
    conn: &mut DbConnection,
    item: &Item,
    status: &str,
    retiree_id: Option<i64>,
    return_reason: Option<&str>,
    by: &str,
) -> RepoResult<()> {
    let now = now_utc();
    let n = diesel::update(handover_items::table)
        .filter(handover_items::id.eq(item.id))
        .filter(handover_items::status.eq("pending"))
        .set((
            handover_items::status.eq(status),
            handover_items::retiree_id.eq(retiree_id),
            handover_items::return_reason.eq(return_reason),
            handover_items::settled_by.eq(by),
            handover_items::settled_at.eq(now),
            handover_items::version.eq(handover_items::version + 1),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    if let (Some(retiree_id), "accepted") = (retiree_id, status) {
        let details = serde_json::json!({ "batch_id": item.batch_id, "item_id": item.id, "seq": item.seq });
        crate::events::emit(conn, &Emit::retiree(EventType::HandoverAccepted.as_str(), retiree_id, details))?;
    }
    let pending: i64 = handover_items::table
        .filter(handover_items::batch_id.eq(item.batch_id))
        .filter(handover_items::status.eq("pending"))
        .count()
        .get_result(conn)?;
    if pending == 0 {
        diesel::update(handover_batches::table.find(item.batch_id))
            .set((
                handover_batches::status.eq("closed"),
                handover_batches::closed_at.eq(now),
                handover_batches::version.eq(handover_batches::version + 1),
            ))
            .execute(conn)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Transfers

/// A transfer as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = transfers)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Transfer {
    pub id: i64,
    pub retiree_id: i64,
    pub from_community: String,
    pub to_community: Option<String>,
    pub destination: Option<String>,
    pub documents: String,
    pub applied_on: Date,
    #[diesel(deserialize_as = Stored<domain::transfer::TransferStatus>)]
    pub status: domain::transfer::TransferStatus,
    pub missing: Option<String>,
    pub completed_month: Option<Date>,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub version: i64,
}

impl Transfer {
    /// The documents handed in (a JSON array of codes); text that is not such an array of known codes is
    /// [`RepoError::Corrupt`], never dropped.
    pub fn documents(&self) -> RepoResult<Vec<domain::transfer::TransferDocument>> {
        let codes: Vec<String> = crate::typed::stored_json("transfers", self.id, "documents", &self.documents)?;
        codes
            .iter()
            .map(|c| {
                crate::typed::parse_code(c).map_err(|e| crate::typed::corrupt("transfers", self.id, "documents", e))
            })
            .collect()
    }
}

/// A transfer step as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = transfer_steps)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct TransferStepRow {
    pub id: i64,
    pub transfer_id: i64,
    pub step: String,
    pub on_date: Date,
    pub note: Option<String>,
    pub operator: String,
    pub created_at: PrimitiveDateTime,
}

/// Records a transfer application; [`RepoError::Unique`] when the person has one open.
#[allow(clippy::too_many_arguments)]
pub fn create_transfer(
    conn: &mut DbConnection,
    retiree_id: i64,
    from: &str,
    to: Option<&str>,
    destination: Option<&str>,
    documents: &str,
    applied_on: Date,
    by: &str,
) -> RepoResult<Transfer> {
    let now = now_utc();
    let id: i64 = diesel::insert_into(transfers::table)
        .values((
            transfers::retiree_id.eq(retiree_id),
            transfers::from_community.eq(from),
            transfers::to_community.eq(to),
            transfers::destination.eq(destination),
            transfers::documents.eq(documents),
            transfers::applied_on.eq(applied_on),
            transfers::status.eq("applied"),
            transfers::created_by.eq(by),
            transfers::created_at.eq(now),
            transfers::updated_at.eq(now),
        ))
        .returning(transfers::id)
        .get_result(conn)?;
    let t = find_transfer(conn, id)?;
    emit_transfer(conn, &t, "")?;
    Ok(t)
}

/// One transfer.
pub fn find_transfer(conn: &mut DbConnection, id: i64) -> RepoResult<Transfer> {
    Ok(transfers::table.find(id).select(Transfer::as_select()).first(conn)?)
}

/// What a transfer action writes.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = transfers, treat_none_as_null = false)]
pub struct TransferChange {
    pub status: String,
    pub documents: Option<String>,
    pub missing: Option<Option<String>>,
    pub completed_month: Option<Date>,
    pub updated_at: PrimitiveDateTime,
}

impl TransferChange {
    /// A move to `status` that changes nothing else.
    pub fn to(status: &str) -> Self {
        Self { status: status.to_owned(), documents: None, missing: None, completed_month: None, updated_at: now_utc() }
    }
}

/// Changes a transfer still at `expected_version` and records the step.
pub fn change_transfer(
    conn: &mut DbConnection,
    t: &Transfer,
    expected_version: i64,
    change: &TransferChange,
    step: (&str, Date, Option<String>, &str),
) -> RepoResult<Transfer> {
    let n = diesel::update(transfers::table)
        .filter(transfers::id.eq(t.id))
        .filter(transfers::version.eq(expected_version))
        .set((change, transfers::version.eq(transfers::version + 1)))
        .execute(conn)?;
    if n == 0 {
        return Err(RepoError::VersionMismatch);
    }
    add_transfer_step(conn, t.id, step)?;
    let after = find_transfer(conn, t.id)?;
    emit_transfer(conn, &after, t.status.as_str())?;
    Ok(after)
}

/// The event of a transfer that changed status from `from_status`.
pub fn emit_transfer(conn: &mut DbConnection, t: &Transfer, from_status: &str) -> RepoResult<()> {
    let details = serde_json::json!({
        "transfer_id": t.id, "from_status": from_status, "status": t.status, "from_community": t.from_community,
        "to_community": t.to_community, "destination": t.destination,
        "completed_month": t.completed_month.map(|m| m.to_string()),
    });
    let mut e = Emit::retiree(EventType::TransferChanged.as_str(), t.retiree_id, details).about("transfer", t.id);
    e.previous_code = Some(&t.from_community);
    crate::events::emit(conn, &e)
}

/// Records a step of a transfer.
pub fn add_transfer_step(conn: &mut DbConnection, id: i64, step: (&str, Date, Option<String>, &str)) -> RepoResult<()> {
    diesel::insert_into(transfer_steps::table)
        .values((
            transfer_steps::transfer_id.eq(id),
            transfer_steps::step.eq(step.0),
            transfer_steps::on_date.eq(step.1),
            transfer_steps::note.eq(step.2),
            transfer_steps::operator.eq(step.3),
            transfer_steps::created_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The steps of a transfer, oldest first.
pub fn transfer_steps_of(conn: &mut DbConnection, id: i64) -> RepoResult<Vec<TransferStepRow>> {
    Ok(transfer_steps::table
        .filter(transfer_steps::transfer_id.eq(id))
        .order(transfer_steps::id)
        .select(TransferStepRow::as_select())
        .load(conn)?)
}

/// Transfers whose sending or receiving community lies in the subtree, by id after `after`.
pub fn list_transfers(
    conn: &mut DbConnection,
    scope_path: &str,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Transfer>> {
    let codes =
        || jurisdictions::table.filter(crate::jurisdictions::in_subtree(scope_path)).select(jurisdictions::code);
    let to_codes = jurisdictions::table
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .select(jurisdictions::code.nullable());
    let mut q = transfers::table
        .filter(transfers::from_community.eq_any(codes()).or(transfers::to_community.eq_any(to_codes)))
        .select(Transfer::as_select())
        .order(transfers::id)
        .limit(limit)
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(transfers::id.gt(a));
    }
    Ok(q.load(conn)?)
}

// ---------------------------------------------------------------------------------------------------------------
// Reductions

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
