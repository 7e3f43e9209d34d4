//! Monthly partitions of the tables that grow with time (issue 28), PostgreSQL only: `audit_log` and `events` are
//! partitioned by month of `occurred_at` (migration `2026-12-10-000001_monthly_partitions`), each month a table
//! `<table>_yYYYYmMM`, plus `<table>_default` for rows of a month without a partition. On SQLite each is one table
//! and every function here answers "nothing to do".
//!
//! The statements the partition job (`app::partitions`) is made of: create a month ahead (the database function
//! `create_month_partition` is the one home of the naming and the bounds), list the months, detach one, stream a
//! detached one out as JSON objects, drop it; for the change feed, drop a whole month and raise the retention mark in
//! one transaction when that leaves no hole in the ids. A run holds a session advisory lock ([`try_lock_job`]) so
//! that of several replicas one works at a time.

use diesel::sql_types::{BigInt, Bool, Text};
use time::{Date, Month};

use crate::connection::write_tx_without_events;
use crate::sql::{self, Bind};
use crate::{DbConnection, RepoError, RepoResult, now_utc};

/// Advisory lock key of the partition job ("PART").
const JOB_LOCK: i64 = 0x5041_5254;

/// How long a catalogue change (create, detach) waits for the parent table's lock before giving up until the next
/// run: a detach needs the parent exclusively, and while it waits in the lock queue every insert (each audited
/// request) waits behind it, so it must not wait for a long audit read to finish.
const LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '2s'";

/// A table partitioned by month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partitioned {
    /// The audit log (kept for `AUDIT_RETENTION_MONTHS`, then archived and dropped).
    AuditLog,
    /// The change feed (kept for `EVENT_RETENTION_DAYS`).
    Events,
}

impl Partitioned {
    /// The parent table's name.
    pub fn table(self) -> &'static str {
        match self {
            Partitioned::AuditLog => "audit_log",
            Partitioned::Events => "events",
        }
    }

    /// The name of the partition of `month` (any day of it).
    pub fn partition_name(self, month: Date) -> String {
        format!("{}_y{:04}m{:02}", self.table(), month.year(), u8::from(month.month()))
    }

    /// The month a partition's name stands for (`None`: not a month partition of this table).
    pub fn month_of(self, name: &str) -> Option<Date> {
        let rest = name.strip_prefix(self.table())?.strip_prefix("_y")?;
        let (year, month) = rest.split_once('m')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
        Date::from_calendar_date(year.parse().ok()?, month, 1).ok()
    }
}

/// The first day of the month `months` after (or before, when negative) the month of `day`.
pub fn month_start(day: Date, months: i32) -> Date {
    let index = day.year() * 12 + i32::from(u8::from(day.month())) - 1 + months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    // `month` is 1..=12 and the first of a month always exists.
    Month::try_from(month as u8).ok().and_then(|m| Date::from_calendar_date(year, m, 1).ok()).unwrap_or(day)
}

/// Whether this connection's database partitions by month (PostgreSQL).
pub fn supported(conn: &DbConnection) -> bool {
    matches!(conn, DbConnection::Pg(_))
}

#[derive(diesel::QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    flag: bool,
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Takes the job's session advisory lock if free (`false`: another replica runs the job now). Release it with
/// [`unlock_job`] on every path.
pub fn try_lock_job(conn: &mut DbConnection) -> RepoResult<bool> {
    if !supported(conn) {
        return Ok(true);
    }
    let got: Vec<Flag> = sql::load(conn, "SELECT pg_try_advisory_lock(?) AS flag", &[Bind::I64(JOB_LOCK)])?;
    Ok(got.first().is_some_and(|g| g.flag))
}

/// Releases the lock [`try_lock_job`] took.
pub fn unlock_job(conn: &mut DbConnection) -> RepoResult<()> {
    if supported(conn) {
        sql::load::<Flag>(conn, "SELECT pg_advisory_unlock(?) AS flag", &[Bind::I64(JOB_LOCK)])?;
    }
    Ok(())
}

/// What creating a month's partition did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// Created now.
    Created,
    /// It was there.
    Existed,
    /// The default partition holds rows of that month, so it cannot be created (the error as PostgreSQL gives it);
    /// the rows stay readable in the default partition.
    Blocked(String),
}

/// Creates the partition of `month` unless it exists, in a transaction of its own.
pub fn create_month(conn: &mut DbConnection, table: Partitioned, month: Date) -> RepoResult<Created> {
    if !supported(conn) {
        return Ok(Created::Existed);
    }
    let outcome = write_tx_without_events(conn, |conn| {
        sql::exec(conn, LOCK_TIMEOUT, &[])?;
        sql::load::<Flag>(
            conn,
            "SELECT create_month_partition(?, ?) AS flag",
            &[Bind::Text(table.table()), Bind::Date(month_start(month, 0))],
        )
    });
    match outcome {
        Ok(rows) if rows.first().is_some_and(|f| f.flag) => Ok(Created::Created),
        Ok(_) => Ok(Created::Existed),
        Err(RepoError::Db(diesel::result::Error::DatabaseError(_, info)))
            if info.message().contains("default partition") =>
        {
            Ok(Created::Blocked(info.message().to_owned()))
        }
        Err(e) => Err(e),
    }
}

/// The month partitions attached to `table`, oldest first (the default partition is not among them).
pub fn attached(conn: &mut DbConnection, table: Partitioned) -> RepoResult<Vec<Date>> {
    if !supported(conn) {
        return Ok(Vec::new());
    }
    let rows: Vec<Name> = sql::load(
        conn,
        "SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = to_regclass(?)",
        &[Bind::Text(table.table())],
    )?;
    let mut months: Vec<Date> = rows.iter().filter_map(|r| table.month_of(&r.name)).collect();
    months.sort();
    Ok(months)
}

/// Month partitions of `table` that were detached and not yet dropped (a job stopped between the two), oldest first.
pub fn detached(conn: &mut DbConnection, table: Partitioned) -> RepoResult<Vec<Date>> {
    if !supported(conn) {
        return Ok(Vec::new());
    }
    let rows: Vec<Name> = sql::load(
        conn,
        "SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname LIKE ? \
         AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)",
        &[Bind::Text(&format!("{}\\_y%", table.table()))],
    )?;
    let mut months: Vec<Date> = rows.iter().filter_map(|r| table.month_of(&r.name)).collect();
    months.sort();
    Ok(months)
}

/// Detaches the partition of `month` from its table (a catalogue change: the rows stay in the detached table).
pub fn detach(conn: &mut DbConnection, table: Partitioned, month: Date) -> RepoResult<()> {
    let name = table.partition_name(month);
    write_tx_without_events(conn, |conn| {
        sql::exec(conn, LOCK_TIMEOUT, &[])?;
        sql::exec(conn, &format!("ALTER TABLE {} DETACH PARTITION {name}", table.table()), &[]).map(|_| ())
    })
}

/// One row of a detached partition as a JSON object (columns by name).
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct RowJson {
    /// The row's id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// The row as JSON.
    #[diesel(sql_type = Text)]
    pub line: String,
}

/// At most `limit` rows of the detached partition of `month` with an id after `after`, in id order (the archive
/// reads it in batches).
pub fn read_detached(
    conn: &mut DbConnection,
    table: Partitioned,
    month: Date,
    after: i64,
    limit: i64,
) -> RepoResult<Vec<RowJson>> {
    let name = table.partition_name(month);
    sql::load(
        conn,
        &format!("SELECT t.id, row_to_json(t)::text AS line FROM {name} t WHERE t.id > ? ORDER BY t.id LIMIT ?"),
        &[Bind::I64(after), Bind::I64(limit)],
    )
}

/// Drops the detached partition of `month`.
pub fn drop_detached(conn: &mut DbConnection, table: Partitioned, month: Date) -> RepoResult<()> {
    let name = table.partition_name(month);
    write_tx_without_events(conn, |conn| sql::exec(conn, &format!("DROP TABLE IF EXISTS {name}"), &[]).map(|_| ()))
}

/// What dropping a month of the change feed did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedMonth {
    /// Dropped; every event with an id up to this is gone and the retention mark says so.
    Dropped { up_to: i64, rows: i64 },
    /// Kept: a webhook has not delivered all of it, or rows elsewhere have ids inside its range (ids follow
    /// commits, months follow clocks), so dropping it would leave a hole; the row sweep deletes it instead.
    Kept,
}

/// Drops the change feed's partition of `month` when that removes exactly the ids up to its last one: nothing
/// outside it has an id at or below its largest, and every active webhook has delivered past it. The detach, the
/// drop and the retention mark are one transaction.
pub fn drop_feed_month(conn: &mut DbConnection, month: Date) -> RepoResult<FeedMonth> {
    if !supported(conn) {
        return Ok(FeedMonth::Kept);
    }
    let name = Partitioned::Events.partition_name(month);
    write_tx_without_events(conn, |conn| {
        let stats: Vec<Number> =
            sql::load(conn, &format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS n FROM {name}"), &[])?;
        let up_to = stats.first().map_or(0, |s| s.n);
        let count: Vec<Number> = sql::load(conn, &format!("SELECT COUNT(*) AS n FROM {name}"), &[])?;
        let rows = count.first().map_or(0, |c| c.n);
        if crate::retention::held_by_webhooks(conn)? < up_to {
            return Ok(FeedMonth::Kept);
        }
        let elsewhere: Vec<Flag> = sql::load(
            conn,
            &format!("SELECT EXISTS (SELECT 1 FROM events WHERE id <= ? AND tableoid <> '{name}'::regclass) AS flag"),
            &[Bind::I64(up_to)],
        )?;
        if elsewhere.first().is_some_and(|e| e.flag) {
            return Ok(FeedMonth::Kept);
        }
        sql::exec(conn, LOCK_TIMEOUT, &[])?;
        sql::exec(conn, &format!("ALTER TABLE events DETACH PARTITION {name}"), &[])?;
        sql::exec(conn, &format!("DROP TABLE {name}"), &[])?;
        if up_to > 0 {
            crate::retention::raise_events_mark(conn, up_to, now_utc())?;
        }
        Ok(FeedMonth::Dropped { up_to, rows })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn partition_names_and_months_round_trip() {
        let t = Partitioned::AuditLog;
        assert_eq!(t.partition_name(date!(2026 - 12 - 17)), "audit_log_y2026m12");
        assert_eq!(t.month_of("audit_log_y2026m12"), Some(date!(2026 - 12 - 01)));
        assert_eq!(Partitioned::Events.month_of("events_y2027m01"), Some(date!(2027 - 01 - 01)));
        assert_eq!(t.month_of("audit_log_default"), None);
        assert_eq!(t.month_of("audit_log_y2026m13"), None);
        assert_eq!(t.month_of("events_y2026m12"), None);
    }

    #[test]
    fn month_arithmetic_crosses_years() {
        assert_eq!(month_start(date!(2026 - 12 - 17), 0), date!(2026 - 12 - 01));
        assert_eq!(month_start(date!(2026 - 12 - 17), 1), date!(2027 - 01 - 01));
        assert_eq!(month_start(date!(2026 - 01 - 31), -1), date!(2025 - 12 - 01));
        assert_eq!(month_start(date!(2026 - 03 - 01), -27), date!(2023 - 12 - 01));
    }
}
