//! Transfers between communities and their steps (JN Art. 21, 22).

use super::*;

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
