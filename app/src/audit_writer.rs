//! The group-committed audit writer (issue 20): a request hands the audit entries of a read to the writer and
//! waits; the writer's thread inserts the entries of many requests in one transaction and commits, then answers
//! each request. A request sends its personal data only after that answer was `Ok`, so the guarantee of the
//! one-commit-per-read path holds (no personal data leaves without its audit row committed: PIPL Art. 51), with
//! one commit per batch instead of one per read.
//!
//! Batching: the writer takes the first waiting entry, then everything queued behind it up to `max_batch`
//! entries, then (with `max_wait > 0`) keeps gathering until `max_wait` after the first. While one batch
//! commits, the next one gathers, so under load batches grow by themselves and without load a read waits for
//! its own commit only. A failed commit (database gone, pool exhausted, disk full) answers every request of the
//! batch with the error: none of them sends data.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use persistence::audit::{self, NewAuditEntry};
use persistence::{Pool, RepoError};
use time::PrimitiveDateTime;
use tokio::sync::oneshot;

use crate::error::AppError;

/// How the writer batches.
#[derive(Debug, Clone, Copy)]
pub struct AuditWriterOptions {
    /// Most entries committed in one transaction.
    pub max_batch: usize,
    /// How long a batch keeps gathering after its first entry (0: only what is queued already).
    pub max_wait: Duration,
}

impl Default for AuditWriterOptions {
    fn default() -> Self {
        Self { max_batch: 512, max_wait: Duration::ZERO }
    }
}

/// Why a batch did not commit (cloned to every request of the batch).
#[derive(Debug, Clone)]
enum Failure {
    /// No connection in time, or the database refused: 503 with `Retry-After`.
    Unavailable(String),
    /// Anything else: 500, the cause in the log.
    Internal(String),
}

impl From<Failure> for AppError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Unavailable(cause) => AppError::from(RepoError::Unavailable(cause)),
            Failure::Internal(cause) => AppError::internal(format!("audit entries not committed: {cause}")),
        }
    }
}

struct Job {
    entries: Vec<(NewAuditEntry, PrimitiveDateTime)>,
    reply: oneshot::Sender<Result<(), Failure>>,
}

/// Counters of one writer, for `/metrics`.
#[derive(Debug, Default)]
pub struct AuditWriterStats {
    /// Entries handed to the writer and not yet answered (queued or in the batch being committed).
    pub pending: AtomicU64,
    /// Batches committed.
    pub batches: AtomicU64,
    /// Entries committed.
    pub committed: AtomicU64,
    /// Entries whose batch failed.
    pub failed: AtomicU64,
}

/// The handle requests use; cloning it is cheap. The writer's thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct AuditWriter {
    queue: mpsc::Sender<Job>,
    stats: Arc<AuditWriterStats>,
}

impl AuditWriter {
    /// Starts the writer's thread on `pool`.
    pub fn spawn(pool: Pool, options: AuditWriterOptions) -> Result<Self, String> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let stats = Arc::new(AuditWriterStats::default());
        let counters = stats.clone();
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || run(&pool, &jobs, options, &counters))
            .map_err(|e| format!("cannot start the audit writer: {e}"))?;
        Ok(Self { queue, stats })
    }

    /// Commits `entries` in the writer's next batch and answers once that batch has committed; an error means
    /// they were not committed, and the caller must not send what they record.
    pub async fn commit(&self, entries: Vec<NewAuditEntry>) -> Result<(), AppError> {
        if entries.is_empty() {
            return Ok(());
        }
        let at = persistence::now_utc();
        let n = entries.len() as u64;
        let (reply, answer) = oneshot::channel();
        self.stats.pending.fetch_add(n, Ordering::SeqCst);
        let job = Job { entries: entries.into_iter().map(|e| (e, at)).collect(), reply };
        if self.queue.send(job).is_err() {
            self.stats.pending.fetch_sub(n, Ordering::SeqCst);
            return Err(AppError::internal("the audit writer has stopped"));
        }
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(failure)) => Err(failure.into()),
            Err(_) => Err(AppError::internal("the audit writer stopped before its batch committed")),
        }
    }

    /// The writer's counters.
    pub fn stats(&self) -> &AuditWriterStats {
        &self.stats
    }
}

/// The writer's loop: one batch at a time until every handle is gone.
fn run(pool: &Pool, jobs: &mpsc::Receiver<Job>, options: AuditWriterOptions, stats: &AuditWriterStats) {
    let max_batch = options.max_batch.max(1);
    while let Ok(first) = jobs.recv() {
        let mut count = first.entries.len();
        let mut batch = vec![first];
        let deadline = Instant::now() + options.max_wait;
        while count < max_batch {
            let next = match jobs.try_recv() {
                Ok(job) => Some(job),
                Err(mpsc::TryRecvError::Empty) if !options.max_wait.is_zero() => {
                    jobs.recv_timeout(deadline.saturating_duration_since(Instant::now())).ok()
                }
                Err(_) => None,
            };
            match next {
                Some(job) => {
                    count += job.entries.len();
                    batch.push(job);
                }
                None => break,
            }
        }
        let mut rows = Vec::with_capacity(count);
        let mut replies = Vec::with_capacity(batch.len());
        for job in batch {
            rows.extend(job.entries);
            replies.push(job.reply);
        }
        let outcome = commit(pool, &rows);
        let n = count as u64;
        match &outcome {
            Ok(()) => {
                stats.batches.fetch_add(1, Ordering::SeqCst);
                stats.committed.fetch_add(n, Ordering::SeqCst);
            }
            Err(f) => {
                log::error!("audit batch of {count} entries not committed: {f:?}");
                stats.failed.fetch_add(n, Ordering::SeqCst);
            }
        }
        stats.pending.fetch_sub(n, Ordering::SeqCst);
        for reply in replies {
            // A request that gave up (client gone) no longer listens; its entry is committed all the same.
            let _ = reply.send(outcome.clone());
        }
    }
}

/// Inserts and commits one batch.
fn commit(pool: &Pool, rows: &[(NewAuditEntry, PrimitiveDateTime)]) -> Result<(), Failure> {
    let mut conn = pool.get().map_err(|e| Failure::Unavailable(e.to_string()))?;
    audit::append_committed(&mut conn, rows).map_err(|e| match e {
        RepoError::Unavailable(cause) => Failure::Unavailable(cause),
        other => Failure::Internal(other.to_string()),
    })
}
