//! Retention of the change feed and of the webhook delivery log (issue 21.12; `docs/events.md`). A sweep runs on
//! every replica every `RETENTION_SWEEP_SECONDS`; it deletes in batches of `RETENTION_BATCH_ROWS`, each its own
//! short transaction, so writers never wait long; replicas sweeping at once take turns per batch
//! ([`persistence::retention`]).

use std::time::Duration;

use persistence::retention::{self, Batch};
use persistence::{DbConnection, Pool};

use crate::AppError;
use crate::periodic::{First, Periodic};

/// Retention settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// `EVENT_RETENTION_DAYS`: events older than this many days are deleted (`None`: kept for ever).
    pub event_days: Option<u32>,
    /// `WEBHOOK_ATTEMPT_RETENTION_DAYS`: delivery attempts older than this are deleted (`None`: kept).
    pub webhook_attempt_days: Option<u32>,
    /// `RETENTION_SWEEP_SECONDS`: time between sweeps.
    pub every: Duration,
    /// `RETENTION_BATCH_ROWS`: rows a batch deletes at most.
    pub batch: i64,
}

/// What a sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Events.
    pub events: usize,
    /// Webhook attempts.
    pub webhook_attempts: usize,
}

/// One sweep at `now`: batches until nothing more is due (or another replica holds the batch lock).
pub fn sweep(conn: &mut DbConnection, now: time::PrimitiveDateTime, r: &Retention) -> Result<Swept, AppError> {
    let mut swept = Swept::default();
    if let Some(days) = r.event_days {
        let cutoff = now - time::Duration::days(i64::from(days));
        while let Batch::Deleted(n @ 1..) = retention::sweep_events(conn, cutoff, r.batch)? {
            swept.events += n;
        }
    }
    if let Some(days) = r.webhook_attempt_days {
        let cutoff = now - time::Duration::days(i64::from(days));
        while let Batch::Deleted(n @ 1..) = retention::sweep_webhook_attempts(conn, cutoff, r.batch)? {
            swept.webhook_attempts += n;
        }
    }
    Ok(swept)
}

/// Starts sweeping on a thread of its own, the first sweep one period after the start; `None` when nothing is to be
/// deleted or the thread cannot start.
pub fn spawn(pool: Pool, r: Retention) -> Option<Periodic> {
    if r.event_days.is_none() && r.webhook_attempt_days.is_none() {
        return None;
    }
    crate::periodic::spawn("retention", r.every, First::AfterOnePeriod, move || {
        let result = pool
            .get()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| sweep(&mut conn, persistence::now_utc(), &r).map_err(|e| e.to_string()));
        match result {
            Ok(s) if s.events + s.webhook_attempts > 0 => {
                log::info!("retention: deleted {} events and {} webhook attempts", s.events, s.webhook_attempts)
            }
            Ok(_) => {}
            Err(e) => log::warn!("retention sweep failed (next try in {} s): {e}", r.every.as_secs()),
        }
    })
}
