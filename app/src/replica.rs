//! Reads routed to a PostgreSQL read replica (issue 28): lists, reports, exports and the change feed read from it
//! when `DATABASE_READ_URL` is set; everything that writes (audit entries included) goes to the primary.
//!
//! Two rules keep a caller from reading stale data:
//! - **Read your writes**: after a caller wrote through this process (any POST, PUT, PATCH or DELETE), that
//!   caller's reads go to the primary for [`ReplicaSettings::read_your_writes`]. The window is per process: behind
//!   a load balancer, route a caller to one replica of the service (session affinity) or keep the window above the
//!   replica's usual lag, which `/metrics` shows.
//! - **Lag bound**: a monitor measures the replica's replay lag every [`ReplicaSettings::check_every`]; while it is
//!   above [`ReplicaSettings::max_lag`], or unknown (the replica does not answer), every read goes to the primary
//!   and `/readyz` says `degraded`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use persistence::{DatabaseUrl, Pool, PoolOptions};

/// How the replica is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaSettings {
    /// Above this lag reads go to the primary.
    pub max_lag: Duration,
    /// How long after a write the writer reads from the primary.
    pub read_your_writes: Duration,
    /// How often the lag is measured.
    pub check_every: Duration,
}

/// What the replica looks like now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Not measured yet.
    Unknown,
    /// Lag within the bound.
    Ok,
    /// Lag above the bound.
    Lagging,
    /// It did not answer.
    Unreachable,
}

impl ReplicaState {
    /// `unknown`, `ok`, `lagging` or `unreachable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Ok => "ok",
            Self::Lagging => "lagging",
            Self::Unreachable => "unreachable",
        }
    }
}

/// Lag value meaning "not measured" or "did not answer".
const NO_LAG: i64 = -1;

/// The replica of this process.
#[derive(Debug)]
pub struct Replica {
    pool: Pool,
    settings: ReplicaSettings,
    /// Last measured lag in milliseconds, or [`NO_LAG`].
    lag_ms: AtomicI64,
    /// Whether a measurement was attempted.
    measured: AtomicBool,
    /// When each caller (by login) last wrote through this process.
    writes: Mutex<HashMap<String, Instant>>,
    /// Reads sent to the replica and to the primary.
    to_replica: AtomicU64,
    to_primary: AtomicU64,
}

impl Replica {
    /// The replica at `url` (PostgreSQL), not yet connected: the service starts while it is down.
    pub fn open(url: &DatabaseUrl, options: &PoolOptions, settings: ReplicaSettings) -> Arc<Self> {
        Arc::new(Self {
            pool: persistence::build_read_pool(url, options),
            settings,
            lag_ms: AtomicI64::new(NO_LAG),
            measured: AtomicBool::new(false),
            writes: Mutex::new(HashMap::new()),
            to_replica: AtomicU64::new(0),
            to_primary: AtomicU64::new(0),
        })
    }

    /// Notes that `login` wrote: its reads go to the primary for the read-your-writes window.
    pub fn wrote(&self, login: &str) {
        let now = Instant::now();
        if let Ok(mut writes) = self.writes.lock() {
            if writes.len() > 10_000 {
                let window = self.settings.read_your_writes;
                writes.retain(|_, at| now.duration_since(*at) < window);
            }
            writes.insert(login.to_owned(), now);
        }
    }

    /// The pool `login` reads from now: the replica, or `None` for the primary (the caller wrote within the window,
    /// or the replica lags or does not answer).
    pub fn pool_for(&self, login: &str) -> Option<&Pool> {
        let recent = self
            .writes
            .lock()
            .ok()
            .and_then(|w| w.get(login).copied())
            .is_some_and(|at| at.elapsed() < self.settings.read_your_writes);
        if recent || self.state() != ReplicaState::Ok {
            self.to_primary.fetch_add(1, Ordering::Relaxed);
            None
        } else {
            self.to_replica.fetch_add(1, Ordering::Relaxed);
            Some(&self.pool)
        }
    }

    /// The last measured lag, `None` when unknown.
    pub fn lag(&self) -> Option<Duration> {
        let ms = self.lag_ms.load(Ordering::Relaxed);
        u64::try_from(ms).ok().map(Duration::from_millis)
    }

    /// What the replica looks like now.
    pub fn state(&self) -> ReplicaState {
        if !self.measured.load(Ordering::Relaxed) {
            return ReplicaState::Unknown;
        }
        match self.lag() {
            None => ReplicaState::Unreachable,
            Some(lag) if lag > self.settings.max_lag => ReplicaState::Lagging,
            Some(_) => ReplicaState::Ok,
        }
    }

    /// Reads sent to the replica and to the primary since start.
    pub fn reads(&self) -> (u64, u64) {
        (self.to_replica.load(Ordering::Relaxed), self.to_primary.load(Ordering::Relaxed))
    }

    /// Measures the lag once (a blocking call).
    pub fn measure(&self) {
        let lag = match self.pool.get() {
            Ok(mut conn) => match persistence::replica_lag_ms(&mut conn) {
                Ok(ms) => ms,
                Err(e) => {
                    log::warn!("read replica: cannot read its lag: {e}");
                    NO_LAG
                }
            },
            Err(e) => {
                log::warn!("read replica: cannot connect: {e}");
                NO_LAG
            }
        };
        self.lag_ms.store(lag, Ordering::Relaxed);
        self.measured.store(true, Ordering::Relaxed);
    }
}

/// Measures once now, then every `check_every` on a thread of its own, which ends when the replica is dropped
/// (with the server's state).
pub fn spawn_monitor(replica: &Arc<Replica>) -> Result<(), String> {
    replica.measure();
    let weak = Arc::downgrade(replica);
    let every = replica.settings.check_every;
    std::thread::Builder::new()
        .name("replica-lag".into())
        .spawn(move || {
            let step = Duration::from_millis(50).min(every);
            let mut waited = Duration::ZERO;
            loop {
                std::thread::sleep(step);
                waited += step;
                let Some(r) = weak.upgrade() else { return };
                if waited >= every {
                    waited = Duration::ZERO;
                    r.measure();
                }
            }
        })
        .map(|_| ())
        .map_err(|e| format!("replica monitor: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replica(max_lag_ms: u64) -> Arc<Replica> {
        let url = DatabaseUrl::parse("postgres://nobody@127.0.0.1:1/none").unwrap();
        let options = PoolOptions { max_size: 1, connection_timeout: Duration::from_millis(200) };
        Replica::open(
            &url,
            &options,
            ReplicaSettings {
                max_lag: Duration::from_millis(max_lag_ms),
                read_your_writes: Duration::from_secs(60),
                check_every: Duration::from_secs(1),
            },
        )
    }

    #[test]
    fn reads_go_to_the_replica_only_within_the_lag_bound_and_not_after_a_write() {
        let r = replica(1000);
        // Not measured yet: the primary.
        assert_eq!(r.state(), ReplicaState::Unknown);
        assert!(r.pool_for("a").is_none());
        r.lag_ms.store(200, Ordering::Relaxed);
        r.measured.store(true, Ordering::Relaxed);
        assert_eq!(r.state(), ReplicaState::Ok);
        assert!(r.pool_for("a").is_some());
        // The caller who wrote reads from the primary; another does not.
        r.wrote("a");
        assert!(r.pool_for("a").is_none());
        assert!(r.pool_for("b").is_some());
        // Lagging: everyone reads from the primary.
        r.lag_ms.store(1001, Ordering::Relaxed);
        assert_eq!(r.state(), ReplicaState::Lagging);
        assert!(r.pool_for("b").is_none());
        assert_eq!(r.reads(), (2, 3));
    }

    #[test]
    fn a_replica_that_does_not_answer_is_unreachable() {
        let r = replica(1000);
        r.measure();
        assert_eq!(r.state(), ReplicaState::Unreachable);
        assert_eq!(r.lag(), None);
        assert!(r.pool_for("a").is_none());
    }
}
