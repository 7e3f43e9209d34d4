//! Feeds from the data platform (信息比对, issue 5; XM Art. 15(1), CS Art. 27, 32): a batch of records is staged
//! in a temporary table of the connection, matched to retirees by resident ID with one join, decided (by the
//! caller, with the domain rules) and written back set-based from a second temporary table of outcomes: a fixed
//! number of statements per batch, never one per record.
//!
//! Staging the records touches only the connection's temporary tables, so on SQLite it does not hold the write
//! lock; matching and writing happen in one write transaction that starts with
//! [`crate::pension::lock_bulk_status_work`].

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date as SqlDate, Nullable, Text};
use domain::RetireeId;
use time::{Date, PrimitiveDateTime};

use crate::pension::{SOURCE_FEED, TASK_DONE, TASK_OPEN};
use crate::schema::{feed_batches, feed_unmatched};
use crate::sql::{Bind, exec, load};
use crate::{DbConnection, RepoResult};

diesel::table! {
    /// Temporary (per connection): the records of the batch being processed, as received.
    feed_staging (line) {
        line -> BigInt,
        id_number_hash -> Text,
        masked -> Text,
        record_date -> Date,
        source -> Text,
        reference -> Nullable<Text>,
        rejection -> Nullable<Text>,
    }
}

diesel::table! {
    /// Temporary (per connection): what each matched record does.
    feed_outcome (line) {
        line -> BigInt,
        retiree_id -> BigInt,
        community_code -> Text,
        action -> Text,
        certified_on -> Nullable<Date>,
        valid_until -> Nullable<Date>,
        provider -> Nullable<Text>,
        provider_reference -> Nullable<Text>,
        from_status -> Nullable<Text>,
        from_reason -> Nullable<Text>,
        to_status -> Nullable<Text>,
        change_reason -> Nullable<Text>,
        suspended_from -> Nullable<Date>,
        effective_month -> Nullable<Date>,
        back_pay_months -> Nullable<Integer>,
        back_pay_fen -> Nullable<BigInt>,
        note -> Nullable<Text>,
    }
}

/// `action` of a matched record that changes nothing.
pub const ACTION_NONE: &str = "none";
/// `action`: record a certification and move the validity.
pub const ACTION_CERTIFY: &str = "certify";
/// `action`: certify, and resume a pension suspended for an overdue certification.
pub const ACTION_RESUME: &str = "resume";
/// `action`: suspend a paid pension.
pub const ACTION_SUSPEND: &str = "suspend";

/// `reason` of a record whose resident ID is not registered in the caller's subtree.
pub const NOT_FOUND: &str = "not_found";
/// `reason` of a record dated after the day it was received.
pub const DATE_IN_FUTURE: &str = "date_in_future";

/// A record that passed the line checks.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = feed_staging, treat_none_as_default_value = false)]
pub struct StagedRecord {
    /// Line in the body.
    pub line: i64,
    /// Resident ID (18 characters, checked), clear in memory: [`stage`] writes only its keyed hash (issue 21.10),
    /// which the matching joins on.
    #[diesel(column_name = id_number_hash)]
    pub id_number: String,
    /// The same, masked, as stored for unmatched records.
    pub masked: String,
    /// Date of the visit, record, death or sentence start.
    pub record_date: Date,
    /// Source system.
    pub source: String,
    /// Record id in the source system.
    pub reference: Option<String>,
    /// Why the record is refused before matching (`date_in_future`), if it is.
    pub rejection: Option<String>,
}

/// What one matched record does; written to the outcome table and from there, set-based, to the person.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = feed_outcome, treat_none_as_default_value = false)]
pub struct Outcome {
    /// Line in the body.
    pub line: i64,
    /// Person.
    pub retiree_id: i64,
    /// Community of the person.
    pub community_code: String,
    /// One of the `ACTION_*` codes.
    pub action: String,
    /// Certification date (certify, resume).
    pub certified_on: Option<Date>,
    /// Last valid day it gives (certify, resume).
    pub valid_until: Option<Date>,
    /// Source system of the record.
    pub provider: Option<String>,
    /// Record id in the source system.
    pub provider_reference: Option<String>,
    /// Status before (status changes).
    pub from_status: Option<String>,
    /// Suspension reason before.
    pub from_reason: Option<String>,
    /// Status after.
    pub to_status: Option<String>,
    /// Reason of the change (the suspension's, or the one that ended).
    pub change_reason: Option<String>,
    /// First day of the suspension month (suspend).
    pub suspended_from: Option<Date>,
    /// First day of the month the change takes effect.
    pub effective_month: Option<Date>,
    /// Months paid back (resume).
    pub back_pay_months: Option<i32>,
    /// Amount paid back in fen (resume, when the monthly pension is on record).
    pub back_pay_fen: Option<i64>,
    /// Note of the status change.
    pub note: Option<String>,
}

impl Outcome {
    /// A matched record that changes nothing.
    pub fn none(line: i64, retiree_id: impl Into<RetireeId>, community_code: &str) -> Self {
        let retiree_id = RetireeId::get(retiree_id.into());
        Self {
            line,
            retiree_id,
            community_code: community_code.to_owned(),
            action: ACTION_NONE.to_owned(),
            certified_on: None,
            valid_until: None,
            provider: None,
            provider_reference: None,
            from_status: None,
            from_reason: None,
            to_status: None,
            change_reason: None,
            suspended_from: None,
            effective_month: None,
            back_pay_months: None,
            back_pay_fen: None,
            note: None,
        }
    }
}

/// A staged record matched to a retiree in the caller's subtree, with what the decision needs.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Matched {
    /// Line.
    #[diesel(sql_type = BigInt)]
    pub line: i64,
    /// Record date.
    #[diesel(sql_type = SqlDate)]
    pub record_date: Date,
    /// Source system.
    #[diesel(sql_type = Text)]
    pub source: String,
    /// Record id in the source system.
    #[diesel(sql_type = Nullable<Text>)]
    pub reference: Option<String>,
    /// Person.
    #[diesel(sql_type = BigInt)]
    pub retiree_id: i64,
    /// Community.
    #[diesel(sql_type = Text)]
    pub community_code: String,
    /// Path of the community, for its policy.
    #[diesel(sql_type = Text)]
    pub path: String,
    /// Status.
    #[diesel(sql_type = Text)]
    pub pension_status: String,
    /// Suspension reason.
    #[diesel(sql_type = Nullable<Text>)]
    pub suspension_reason: Option<String>,
    /// Suspension month.
    #[diesel(sql_type = Nullable<SqlDate>)]
    pub suspended_from: Option<Date>,
    /// Last valid day of the certification on file.
    #[diesel(sql_type = SqlDate)]
    pub certified_until: Date,
    /// Monthly pension in fen.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub monthly_pension_fen: Option<i64>,
}

/// A staged record matched to a supported dependant of a retiree in the caller's subtree (dependants are
/// certified like retirees: XM Art. 15 last paragraph; their death and imprisonment records act on their support,
/// issue 19.13).
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedDependent {
    /// Line.
    pub line: i64,
    /// Record date.
    pub record_date: Date,
    /// Source system.
    pub source: String,
    /// Record id in the source system.
    pub reference: Option<String>,
    /// Dependant.
    pub dependent_id: i64,
    /// Their retiree.
    pub retiree_id: i64,
    /// The retiree's community.
    pub community_code: String,
    /// Path of the community, for its policy.
    pub path: String,
    /// Last valid day of the dependant's certification on file.
    pub certified_until: Date,
    /// Month the support was suspended, while it is.
    pub support_suspended_from: Option<Date>,
    /// The cause of the latest suspension recorded (a certification resumes only `certification_overdue`).
    pub suspension_reason: Option<domain::policy::SuspensionReason>,
}

#[derive(QueryableByName)]
struct MatchedDependentRow {
    #[diesel(sql_type = BigInt)]
    line: i64,
    #[diesel(sql_type = SqlDate)]
    record_date: Date,
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = Nullable<Text>)]
    reference: Option<String>,
    #[diesel(sql_type = BigInt)]
    dependent_id: i64,
    #[diesel(sql_type = BigInt)]
    retiree_id: i64,
    #[diesel(sql_type = Text)]
    community_code: String,
    #[diesel(sql_type = Text)]
    path: String,
    #[diesel(sql_type = SqlDate)]
    certified_until: Date,
    #[diesel(sql_type = Nullable<SqlDate>)]
    support_suspended_from: Option<Date>,
    #[diesel(sql_type = Nullable<Text>)]
    suspension_reason: Option<String>,
}

/// The staged records (not refused, not matched to a retiree) whose resident ID is a supported dependant of a
/// retiree in the subtree `scope_path`, by dependant then line. A stored suspension cause that does not parse is
/// [`crate::RepoError::Corrupt`].
pub fn matched_dependents(conn: &mut DbConnection, scope_path: &str) -> RepoResult<Vec<MatchedDependent>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let rows: Vec<MatchedDependentRow> = load(
        conn,
        "SELECT s.line AS line, s.record_date AS record_date, s.source AS source, s.reference AS reference, \
         d.id AS dependent_id, r.id AS retiree_id, r.community_code AS community_code, j.path AS path, \
         d.certified_until AS certified_until, d.support_suspended_from AS support_suspended_from, \
         (SELECT c.reason FROM dependent_support_changes c WHERE c.dependent_id = d.id AND c.to_status = 'suspended' \
          ORDER BY c.id DESC LIMIT 1) AS suspension_reason \
         FROM feed_staging s JOIN dependents d ON d.id_number_hash = s.id_number_hash AND d.supported \
         JOIN retirees r ON r.id = d.retiree_id JOIN jurisdictions j ON j.code = r.community_code \
         WHERE s.rejection IS NULL AND j.path >= ? AND j.path < ? \
         AND NOT EXISTS (SELECT 1 FROM feed_outcome o WHERE o.line = s.line) ORDER BY d.id, s.line",
        &[Bind::Text(scope_path), Bind::Text(&upper)],
    )?;
    rows.into_iter()
        .map(|r| {
            let suspension_reason = match r.suspension_reason.as_deref() {
                None => None,
                Some(code) => Some(crate::typed::parse_code(code).map_err(|e| {
                    crate::RepoError::Corrupt(format!(
                        "dependent_support_changes.reason of dependant {}: {e}",
                        r.dependent_id
                    ))
                })?),
            };
            Ok(MatchedDependent {
                line: r.line,
                record_date: r.record_date,
                source: r.source,
                reference: r.reference,
                dependent_id: r.dependent_id,
                retiree_id: r.retiree_id,
                community_code: r.community_code,
                path: r.path,
                certified_until: r.certified_until,
                support_suspended_from: r.support_suspended_from,
                suspension_reason,
            })
        })
        .collect()
}

/// A stored batch.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = feed_batches)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct FeedBatch {
    /// Id.
    pub id: i64,
    /// Kind of record.
    pub kind: String,
    /// The sender's batch id.
    pub batch_id: String,
    /// Login of the sender.
    pub actor: String,
    /// Subtree the records were matched in.
    pub scope_path: String,
    /// Hash of the request body.
    pub content_sha256: String,
    /// Records read.
    pub records: i64,
    /// Records matched to a person.
    pub matched: i64,
    /// Records that changed a person.
    pub applied: i64,
    /// Records not matched.
    pub unmatched: i64,
    /// The answer, as JSON.
    pub summary: String,
    /// Received.
    pub received_at: PrimitiveDateTime,
}

/// A batch to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = feed_batches)]
pub struct NewFeedBatch {
    /// Kind.
    pub kind: String,
    /// The sender's batch id.
    pub batch_id: String,
    /// Sender.
    pub actor: String,
    /// Scope.
    pub scope_path: String,
    /// Hash of the body.
    pub content_sha256: String,
    /// Records read.
    pub records: i64,
    /// Matched.
    pub matched: i64,
    /// Applied.
    pub applied: i64,
    /// Unmatched.
    pub unmatched: i64,
    /// The answer (set once the batch id is known).
    pub summary: String,
    /// Received.
    pub received_at: PrimitiveDateTime,
}

/// A record of a batch not matched to a person (or refused before matching).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = feed_unmatched)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct UnmatchedLine {
    /// Line.
    pub line: i64,
    /// Resident ID, masked.
    pub id_number: String,
    /// `not_found` or `date_in_future`.
    pub reason: String,
}

const PG_DDL: &str = r#"
DROP TABLE IF EXISTS pg_temp.feed_outcome;
DROP TABLE IF EXISTS pg_temp.feed_staging;
CREATE TEMP TABLE feed_staging (line BIGINT PRIMARY KEY, id_number_hash TEXT NOT NULL, masked TEXT NOT NULL,
    record_date DATE NOT NULL, source TEXT NOT NULL, reference TEXT, rejection TEXT);
CREATE TEMP TABLE feed_outcome (line BIGINT PRIMARY KEY, retiree_id BIGINT NOT NULL, community_code TEXT NOT NULL,
    action TEXT NOT NULL, certified_on DATE, valid_until DATE, provider TEXT, provider_reference TEXT,
    from_status TEXT, from_reason TEXT, to_status TEXT, change_reason TEXT, suspended_from DATE,
    effective_month DATE, back_pay_months INTEGER, back_pay_fen BIGINT, note TEXT);
"#;

const SQLITE_DDL: &str = r#"
DROP TABLE IF EXISTS temp.feed_outcome;
DROP TABLE IF EXISTS temp.feed_staging;
CREATE TEMP TABLE feed_staging (line INTEGER PRIMARY KEY, id_number_hash TEXT NOT NULL, masked TEXT NOT NULL,
    record_date DATE NOT NULL, source TEXT NOT NULL, reference TEXT, rejection TEXT);
CREATE TEMP TABLE feed_outcome (line INTEGER PRIMARY KEY, retiree_id BIGINT NOT NULL, community_code TEXT NOT NULL,
    action TEXT NOT NULL, certified_on DATE, valid_until DATE, provider TEXT, provider_reference TEXT,
    from_status TEXT, from_reason TEXT, to_status TEXT, change_reason TEXT, suspended_from DATE,
    effective_month DATE, back_pay_months INTEGER, back_pay_fen BIGINT, note TEXT);
"#;

/// Creates (or empties) the temporary tables of this connection.
pub fn begin(conn: &mut DbConnection) -> RepoResult<()> {
    match conn {
        DbConnection::Pg(c) => c.batch_execute(PG_DDL)?,
        DbConnection::Sqlite(c) => c.batch_execute(SQLITE_DDL)?,
    }
    Ok(())
}

/// Drops the temporary tables.
pub fn end(conn: &mut DbConnection) -> RepoResult<()> {
    match conn {
        DbConnection::Pg(c) => {
            c.batch_execute("DROP TABLE IF EXISTS pg_temp.feed_outcome; DROP TABLE IF EXISTS pg_temp.feed_staging;")?
        }
        DbConnection::Sqlite(c) => {
            c.batch_execute("DROP TABLE IF EXISTS temp.feed_outcome; DROP TABLE IF EXISTS temp.feed_staging;")?
        }
    }
    Ok(())
}

/// Stages records: `COPY` on PostgreSQL, multi-row inserts of 1,000 on SQLite.
pub fn stage(conn: &mut DbConnection, rows: &[StagedRecord]) -> RepoResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let keys = crate::sealed::keys()?;
    let hashed: Vec<StagedRecord> =
        rows.iter().map(|r| StagedRecord { id_number: keys.hash(&r.id_number), ..r.clone() }).collect();
    let rows = hashed.as_slice();
    match conn {
        DbConnection::Pg(c) => {
            diesel::copy_from(feed_staging::table).from_insertable(rows).execute(c)?;
        }
        DbConnection::Sqlite(c) => {
            c.transaction(|c| -> QueryResult<()> {
                for chunk in rows.chunks(1000) {
                    diesel::insert_into(feed_staging::table).values(chunk).execute(c)?;
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// The batch `batch_id` of `kind`, if any.
pub fn find_batch(conn: &mut DbConnection, kind: &str, batch_id: &str) -> RepoResult<Option<FeedBatch>> {
    Ok(feed_batches::table
        .filter(feed_batches::kind.eq(kind))
        .filter(feed_batches::batch_id.eq(batch_id))
        .select(FeedBatch::as_select())
        .first(conn)
        .optional()?)
}

/// The batch with `id` of `kind`.
pub fn get_batch(conn: &mut DbConnection, kind: &str, id: i64) -> RepoResult<FeedBatch> {
    Ok(feed_batches::table
        .filter(feed_batches::id.eq(id))
        .filter(feed_batches::kind.eq(kind))
        .select(FeedBatch::as_select())
        .first(conn)?)
}

/// Batches of `kind` matched within the subtree `scope_path`, newest first, before the id `before`.
pub fn list_batches(
    conn: &mut DbConnection,
    kind: &str,
    scope_path: &str,
    before: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<FeedBatch>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let mut query = feed_batches::table
        .filter(feed_batches::kind.eq(kind))
        .filter(feed_batches::scope_path.ge(scope_path.to_owned()))
        .filter(feed_batches::scope_path.lt(upper))
        .select(FeedBatch::as_select())
        .order(feed_batches::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(feed_batches::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// The staged records (not refused) whose resident ID is registered to a person in the subtree `scope_path`,
/// by person then line. On PostgreSQL the persons' rows are locked (`FOR UPDATE`, in id order) until the
/// transaction ends, so nobody changes them between this decision and its writing.
pub fn matched(conn: &mut DbConnection, scope_path: &str) -> RepoResult<Vec<Matched>> {
    let upper = crate::jurisdictions::subtree_upper(scope_path);
    let pg = matches!(conn, DbConnection::Pg(_));
    if let DbConnection::Pg(c) = conn {
        // Temporary tables are never analysed by autovacuum; without statistics the join plans badly.
        c.batch_execute("ANALYZE pg_temp.feed_staging")?;
    }
    let sql = format!(
        "SELECT s.line AS line, s.record_date AS record_date, s.source AS source, s.reference AS reference, \
         r.id AS retiree_id, r.community_code AS community_code, j.path AS path, \
         r.pension_status AS pension_status, r.suspension_reason AS suspension_reason, \
         r.suspended_from AS suspended_from, r.certified_until AS certified_until, \
         r.monthly_pension_fen AS monthly_pension_fen \
         FROM feed_staging s JOIN retirees r ON r.id_number_hash = s.id_number_hash \
         JOIN jurisdictions j ON j.code = r.community_code \
         WHERE s.rejection IS NULL AND j.path >= ? AND j.path < ? ORDER BY r.id, s.line{}",
        if pg { " FOR UPDATE OF r" } else { "" }
    );
    load(conn, &sql, &[Bind::Text(scope_path), Bind::Text(&upper)])
}

/// Stages the outcomes of the matched records: `COPY` on PostgreSQL, multi-row inserts on SQLite.
pub fn stage_outcomes(conn: &mut DbConnection, rows: &[Outcome]) -> RepoResult<()> {
    crate::sql::stage_rows!(conn, feed_outcome::table, rows)
}

/// Records a batch; returns its id.
pub fn create_batch(conn: &mut DbConnection, new: &NewFeedBatch) -> RepoResult<i64> {
    diesel::insert_into(feed_batches::table).values(new).execute(conn)?;
    Ok(feed_batches::table
        .filter(feed_batches::kind.eq(&new.kind))
        .filter(feed_batches::batch_id.eq(&new.batch_id))
        .select(feed_batches::id)
        .first(conn)?)
}

/// Stores the answer and the final unmatched and applied counts of a batch.
pub fn finish_batch(conn: &mut DbConnection, id: i64, unmatched: i64, applied: i64, summary: &str) -> RepoResult<()> {
    diesel::update(feed_batches::table.find(id))
        .set((
            feed_batches::unmatched.eq(unmatched),
            feed_batches::applied.eq(applied),
            feed_batches::summary.eq(summary),
        ))
        .execute(conn)?;
    Ok(())
}

/// Who and what a batch's writes record.
#[derive(Debug, Clone, Copy)]
pub struct BatchRef<'a> {
    /// `feed_batches.id` (the `source_ref` of every row written).
    pub id: i64,
    /// The kind, as the certifications' `data_source`.
    pub kind: &'a str,
    /// Login of the sender.
    pub operator: &'a str,
    /// When.
    pub now: PrimitiveDateTime,
}

/// What [`apply`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Certifications recorded.
    pub certifications: usize,
    /// Status changes recorded.
    pub status_changes: usize,
    /// Persons updated.
    pub persons: usize,
    /// Home-visit tasks closed.
    pub tasks_closed: usize,
}

/// Writes the staged outcomes, set-based: the certifications (method `data_comparison`, source `feed`), the
/// persons' validity and status (version + 1, `status_run_id` cleared on a status change), the open home-visit
/// tasks the certifications close, and the status changes with their back-pay.
pub fn apply(conn: &mut DbConnection, batch: BatchRef<'_>) -> RepoResult<Applied> {
    let certifying = format!("'{ACTION_CERTIFY}', '{ACTION_RESUME}'");
    let certifications = exec(
        conn,
        &format!(
            "INSERT INTO certifications (retiree_id, method, data_source, provider, provider_reference, \
             certified_on, valid_until, source, source_ref, operator, created_at) \
             SELECT retiree_id, 'data_comparison', ?, provider, provider_reference, certified_on, valid_until, \
             ?, ?, ?, ? FROM feed_outcome WHERE action IN ({certifying}) ORDER BY line"
        ),
        &[
            Bind::Text(batch.kind),
            Bind::Text(SOURCE_FEED),
            Bind::I64(batch.id),
            Bind::Text(batch.operator),
            Bind::Ts(batch.now),
        ],
    )?;
    let mut persons = exec(
        conn,
        &format!(
            "UPDATE retirees SET certified_until = o.valid_until, last_certified_on = o.certified_on, \
             version = retirees.version + 1, updated_at = ? \
             FROM feed_outcome o WHERE o.action = '{ACTION_CERTIFY}' AND retirees.id = o.retiree_id"
        ),
        &[Bind::Ts(batch.now)],
    )?;
    persons += exec(
        conn,
        &format!(
            "UPDATE retirees SET certified_until = o.valid_until, last_certified_on = o.certified_on, \
             pension_status = o.to_status, suspension_reason = NULL, suspended_from = NULL, \
             status_run_id = NULL, version = retirees.version + 1, updated_at = ? \
             FROM feed_outcome o WHERE o.action = '{ACTION_RESUME}' AND retirees.id = o.retiree_id"
        ),
        &[Bind::Ts(batch.now)],
    )?;
    persons += exec(
        conn,
        &format!(
            "UPDATE retirees SET pension_status = o.to_status, suspension_reason = o.change_reason, \
             suspended_from = o.suspended_from, status_run_id = NULL, version = retirees.version + 1, \
             updated_at = ? \
             FROM feed_outcome o WHERE o.action = '{ACTION_SUSPEND}' AND retirees.id = o.retiree_id"
        ),
        &[Bind::Ts(batch.now)],
    )?;
    let tasks_closed = exec(
        conn,
        &format!(
            "UPDATE certification_tasks SET status = '{TASK_DONE}', closed_at = ?, certification_id = \
             (SELECT c.id FROM certifications c WHERE c.retiree_id = certification_tasks.retiree_id \
             AND c.source = ? AND c.source_ref = ?) \
             WHERE status = '{TASK_OPEN}' AND retiree_id IN \
             (SELECT retiree_id FROM feed_outcome WHERE action IN ({certifying}))"
        ),
        &[Bind::Ts(batch.now), Bind::Text(SOURCE_FEED), Bind::I64(batch.id)],
    )?;
    let status_changes = exec(
        conn,
        &format!(
            "INSERT INTO pension_status_changes (retiree_id, community_code, from_status, from_reason, to_status, \
             reason, effective_month, source, source_ref, operator, back_pay_months, back_pay_fen, note, \
             created_at) \
             SELECT retiree_id, community_code, from_status, from_reason, to_status, change_reason, \
             effective_month, ?, ?, ?, back_pay_months, back_pay_fen, note, ? \
             FROM feed_outcome WHERE action IN ('{ACTION_RESUME}', '{ACTION_SUSPEND}') ORDER BY line"
        ),
        &[Bind::Text(SOURCE_FEED), Bind::I64(batch.id), Bind::Text(batch.operator), Bind::Ts(batch.now)],
    )?;
    let this_batch = [Bind::Text(SOURCE_FEED), Bind::I64(batch.id)];
    crate::events::certifications(conn, "c.source = ? AND c.source_ref = ?", &this_batch)?;
    crate::events::status_changes(conn, "c.source = ? AND c.source_ref = ?", &this_batch)?;
    Ok(Applied { certifications, status_changes, persons, tasks_closed })
}

/// Records every staged record without an outcome (not matched) as unmatched: `not_found`, or the reason it
/// was refused before matching. Returns the count per reason.
pub fn record_unmatched(conn: &mut DbConnection, batch_id: i64) -> RepoResult<Vec<(String, i64)>> {
    exec(
        conn,
        &format!(
            "INSERT INTO feed_unmatched (feed_batch_id, line, id_number, reason) \
             SELECT ?, s.line, s.masked, COALESCE(s.rejection, '{NOT_FOUND}') FROM feed_staging s \
             WHERE NOT EXISTS (SELECT 1 FROM feed_outcome o WHERE o.line = s.line)"
        ),
        &[Bind::I64(batch_id)],
    )?;
    Ok(feed_unmatched::table
        .filter(feed_unmatched::feed_batch_id.eq(batch_id))
        .group_by(feed_unmatched::reason)
        .select((feed_unmatched::reason, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Unmatched records of a batch by line, after `after`; only those with `reason` when given.
pub fn unmatched_lines(
    conn: &mut DbConnection,
    batch_id: i64,
    reason: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<UnmatchedLine>> {
    let mut query = feed_unmatched::table
        .filter(feed_unmatched::feed_batch_id.eq(batch_id))
        .select(UnmatchedLine::as_select())
        .order(feed_unmatched::line)
        .limit(limit)
        .into_boxed();
    if let Some(reason) = reason {
        query = query.filter(feed_unmatched::reason.eq(reason.to_owned()));
    }
    if let Some(after) = after {
        query = query.filter(feed_unmatched::line.gt(after));
    }
    Ok(query.load(conn)?)
}
