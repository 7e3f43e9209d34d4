//! The partition job (issue 28; `docs/scale.md`), PostgreSQL only: on every replica every `PARTITION_JOB_SECONDS`
//! (and once at start), under one advisory lock so that one replica works at a time:
//! 1. creates the month partitions of `audit_log` and `events` for this month and `PARTITION_MONTHS_AHEAD` ahead;
//! 2. audit log: the months wholly before the last `AUDIT_RETENTION_MONTHS` are detached, written to
//!    `AUDIT_ARCHIVE_DIR/<partition>.jsonl.gz` (one JSON object per row, gzip; written to a `.partial` file, synced,
//!    then renamed) and dropped. A detached month left by a stopped run is finished first;
//! 3. change feed: the months wholly before `EVENT_RETENTION_DAYS` are dropped when that leaves no hole in the ids
//!    (`persistence::partitions::drop_feed_month`), raising the retention mark, so a consumer behind it gets 410
//!    `event_gone` as with the row sweep (`app::retention`), which deletes what a whole month cannot.
//!
//! On SQLite there is nothing to do (one table each).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use persistence::partitions::{self, Created, FeedMonth, Partitioned};
use persistence::{DbConnection, Pool};
use time::Date;

use crate::AppError;
use crate::periodic::{First, Periodic};

/// Settings of the partition job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partitioning {
    /// `PARTITION_JOB` (`on`/`off`): whether this replica runs the job (tests run it by hand).
    pub enabled: bool,
    /// `PARTITION_MONTHS_AHEAD`: months created ahead of the current one.
    pub months_ahead: u32,
    /// `AUDIT_RETENTION_MONTHS`: audit months older than this are archived and dropped (`None`: kept for ever).
    /// At least 6 (Cybersecurity Law Art. 21: network logs are kept no less than six months).
    pub audit_retention_months: Option<u32>,
    /// `AUDIT_ARCHIVE_DIR`: where a dropped audit month is written first (`None`: dropped without a copy).
    pub archive_dir: Option<PathBuf>,
    /// `EVENT_RETENTION_DAYS` (shared with the row sweep).
    pub event_days: Option<u32>,
    /// `PARTITION_JOB_SECONDS`: time between runs.
    pub every: Duration,
}

impl Default for Partitioning {
    fn default() -> Self {
        Partitioning {
            enabled: true,
            months_ahead: 3,
            audit_retention_months: None,
            archive_dir: None,
            event_days: None,
            every: Duration::from_secs(3600),
        }
    }
}

/// An audit month written out before it was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archived {
    /// The partition.
    pub partition: String,
    /// The file.
    pub path: PathBuf,
    /// Rows written.
    pub rows: i64,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Another replica was running the job; this one did nothing.
    pub busy: bool,
    /// Partitions created.
    pub created: Vec<String>,
    /// Partitions that could not be created because the default partition holds rows of their month.
    pub blocked: Vec<String>,
    /// Audit months archived.
    pub archived: Vec<Archived>,
    /// Partitions dropped (audit months after their archive; feed months whole).
    pub dropped: Vec<String>,
    /// The feed's retention mark after the run, when a feed month was dropped.
    pub events_gone_up_to: Option<i64>,
}

/// One run on `today` (the UTC day: `occurred_at` and the partition bounds are UTC; see the module documentation).
pub fn run(conn: &mut DbConnection, today: Date, settings: &Partitioning) -> Result<Report, AppError> {
    if !partitions::supported(conn) {
        return Ok(Report::default());
    }
    if !partitions::try_lock_job(conn)? {
        return Ok(Report { busy: true, ..Report::default() });
    }
    let outcome = run_locked(conn, today, settings);
    let unlocked = partitions::unlock_job(conn);
    let report = outcome?;
    unlocked?;
    Ok(report)
}

fn run_locked(conn: &mut DbConnection, today: Date, s: &Partitioning) -> Result<Report, AppError> {
    let mut report = Report::default();
    for table in [Partitioned::AuditLog, Partitioned::Events] {
        for k in 0..=s.months_ahead {
            let month = partitions::month_start(today, k as i32);
            match partitions::create_month(conn, table, month)? {
                Created::Created => report.created.push(table.partition_name(month)),
                Created::Existed => {}
                Created::Blocked(why) => {
                    log::warn!("partition {} not created: {why}", table.partition_name(month));
                    report.blocked.push(table.partition_name(month));
                }
            }
        }
    }
    // An audit month detached by a run that stopped before dropping it.
    for month in partitions::detached(conn, Partitioned::AuditLog)? {
        archive_and_drop(conn, month, s, &mut report)?;
    }
    if let Some(months) = s.audit_retention_months {
        let keep_from = partitions::month_start(today, -(months as i32));
        for month in partitions::attached(conn, Partitioned::AuditLog)? {
            if month >= keep_from {
                break;
            }
            partitions::detach(conn, Partitioned::AuditLog, month)?;
            archive_and_drop(conn, month, s, &mut report)?;
        }
    }
    if let Some(days) = s.event_days {
        let cutoff = today - time::Duration::days(i64::from(days));
        for month in partitions::attached(conn, Partitioned::Events)? {
            if partitions::month_start(month, 1) > cutoff {
                break;
            }
            match partitions::drop_feed_month(conn, month)? {
                FeedMonth::Dropped { up_to, .. } => {
                    report.dropped.push(Partitioned::Events.partition_name(month));
                    report.events_gone_up_to = Some(up_to);
                }
                FeedMonth::Kept => break,
            }
        }
    }
    Ok(report)
}

/// Rows read per batch while archiving.
const ARCHIVE_BATCH: i64 = 5_000;

fn archive_and_drop(
    conn: &mut DbConnection,
    month: Date,
    s: &Partitioning,
    report: &mut Report,
) -> Result<(), AppError> {
    let partition = Partitioned::AuditLog.partition_name(month);
    if let Some(dir) = &s.archive_dir {
        let path = dir.join(format!("{partition}.jsonl.gz"));
        let rows = archive(conn, month, &path)?;
        log::info!("audit month {partition}: {rows} rows archived to {}", path.display());
        report.archived.push(Archived { partition: partition.clone(), path, rows });
    }
    partitions::drop_detached(conn, Partitioned::AuditLog, month)?;
    report.dropped.push(partition);
    Ok(())
}

/// Writes the detached audit month to `path` (via `path.partial`, synced, then renamed); the rows written.
fn archive(conn: &mut DbConnection, month: Date, path: &Path) -> Result<i64, AppError> {
    let io = |e: std::io::Error| AppError::internal(format!("audit archive {}: {e}", path.display()));
    let partial = path.with_extension("gz.partial");
    let file = File::create(&partial).map_err(io)?;
    let mut gz = GzEncoder::new(std::io::BufWriter::new(file), Compression::default());
    let mut after = i64::MIN;
    let mut rows = 0;
    loop {
        let batch = partitions::read_detached(conn, Partitioned::AuditLog, month, after, ARCHIVE_BATCH)?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for row in &batch {
            gz.write_all(row.line.as_bytes()).and_then(|()| gz.write_all(b"\n")).map_err(io)?;
        }
        rows += batch.len() as i64;
    }
    let file = gz.finish().map_err(io)?.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&partial, path).map_err(io)?;
    Ok(rows)
}

/// Starts the job on a thread of its own (first run at once); `None` when it is off, the pool is not PostgreSQL or
/// the thread cannot start.
pub fn spawn(pool: Pool, settings: Partitioning, clock: crate::clock::Clock) -> Option<Periodic> {
    if !settings.enabled {
        return None;
    }
    let postgres = pool.get().map(|c| partitions::supported(&c)).unwrap_or(false);
    if !postgres {
        return None;
    }
    let every = settings.every;
    crate::periodic::spawn("partitions", every, First::Now, move || {
        let result = pool
            .get()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| run(&mut conn, clock.now().date(), &settings).map_err(|e| e.to_string()));
        match result {
            Ok(r) if !r.created.is_empty() || !r.dropped.is_empty() => log::info!(
                "partitions: created {:?}, archived {}, dropped {:?}",
                r.created,
                r.archived.len(),
                r.dropped
            ),
            Ok(_) => {}
            Err(e) => log::warn!("partition job failed (next try in {} s): {e}", settings.every.as_secs()),
        }
    })
}
