//! Handover batches of new retirees: the batch, its items and their steps (GUIDE 交接制度).

use super::*;

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
