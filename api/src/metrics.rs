//! `/metrics` (issue 22): a `prometheus` registry per server (each replica, and each test server, exposes its
//! own), encoded in the Prometheus text format by the crate. Counted here: requests and latency per route, the
//! pool, the audit writer, the process (CPU, memory, file descriptors), the build, import jobs, certification
//! runs, feed batches, webhook deliveries, logins. docs/operations.md lists every family with its labels.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, Gauge, LabelPair, Metric, MetricFamily, MetricType};
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder};

const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The version of the binary and the commit it was built from (`GIT_COMMIT` at build time, else `git`, else
/// `unknown`; api/build.rs).
pub const GIT_COMMIT: &str = env!("RETIREE_GIT_COMMIT");

/// One sample of a family read when scraped: its label values and its value.
type Samples = Vec<(Vec<String>, f64)>;

/// A family whose samples are read from elsewhere (atomics, the pool, the import registry) when scraped.
struct Pulled {
    desc: Desc,
    kind: MetricType,
    labels: Vec<&'static str>,
    read: Box<dyn Fn() -> Samples + Send + Sync>,
}

impl Pulled {
    fn new(
        name: &str,
        help: &str,
        kind: MetricType,
        labels: &[&'static str],
        read: impl Fn() -> Samples + Send + Sync + 'static,
    ) -> Result<Self, prometheus::Error> {
        let desc =
            Desc::new(name.into(), help.into(), labels.iter().map(|l| (*l).to_owned()).collect(), HashMap::new())?;
        Ok(Self { desc, kind, labels: labels.to_vec(), read: Box::new(read) })
    }
}

impl Collector for Pulled {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let mut family = MetricFamily::default();
        family.set_name(self.desc.fq_name.clone());
        family.set_help(self.desc.help.clone());
        family.set_field_type(self.kind);
        let metrics = (self.read)()
            .into_iter()
            .map(|(values, value)| {
                let mut metric = Metric::default();
                metric.set_label(
                    self.labels
                        .iter()
                        .zip(values)
                        .map(|(name, value)| {
                            let mut pair = LabelPair::default();
                            pair.set_name((*name).to_owned());
                            pair.set_value(value);
                            pair
                        })
                        .collect(),
                );
                if self.kind == MetricType::COUNTER {
                    let mut c = Counter::default();
                    c.set_value(value);
                    metric.set_counter(c);
                } else {
                    let mut g = Gauge::default();
                    g.set_value(value);
                    metric.set_gauge(g);
                }
                metric
            })
            .collect();
        family.set_metric(metrics);
        vec![family]
    }
}

/// The metrics of one server.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    certification_runs: IntCounterVec,
    feed_batches: IntCounterVec,
    feed_records: IntCounterVec,
    webhook_deliveries: IntCounterVec,
    logins: IntCounterVec,
    login_locks: IntCounter,
}

/// What [`Metrics::new`] reads when scraped.
pub struct Sources {
    /// The connection pool.
    pub pool: app::db::Pool,
    /// The audit writer.
    pub audit: app::audit_writer::AuditWriter,
    /// The import jobs of this process.
    pub imports: Arc<app::imports::roster::Registry>,
    /// The read replica, if any (issue 28).
    pub replica: Option<Arc<app::replica::Replica>>,
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> Result<IntCounterVec, String> {
    let vec = IntCounterVec::new(Opts::new(name, help), labels).map_err(|e| format!("metrics: {e}"))?;
    registry.register(Box::new(vec.clone())).map_err(|e| format!("metrics: {e}"))?;
    Ok(vec)
}

fn pulled(
    registry: &Registry,
    name: &str,
    help: &str,
    kind: MetricType,
    labels: &[&'static str],
    read: impl Fn() -> Samples + Send + Sync + 'static,
) -> Result<(), String> {
    let family = Pulled::new(name, help, kind, labels, read).map_err(|e| format!("metrics: {e}"))?;
    registry.register(Box::new(family)).map_err(|e| format!("metrics: {e}"))
}

fn one(value: f64) -> Samples {
    vec![(Vec::new(), value)]
}

impl Metrics {
    /// Registers every family.
    pub fn new(sources: Sources) -> Result<Self, String> {
        let registry = Registry::new();
        let requests = counter_vec(
            &registry,
            "http_requests_total",
            "Requests answered, by method, route and status.",
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to answer, by method and route.")
                .buckets(BUCKETS.to_vec()),
            &["method", "route"],
        )
        .map_err(|e| format!("metrics: {e}"))?;
        registry.register(Box::new(latency.clone())).map_err(|e| format!("metrics: {e}"))?;
        let certification_runs = counter_vec(
            &registry,
            "certification_runs_total",
            "Certification runs carried out by this process, by mode (dry_run or real).",
            &["mode"],
        )?;
        let feed_batches = counter_vec(
            &registry,
            "feed_batches_total",
            "Data-platform feed batches received, by feed and outcome (created, replayed).",
            &["feed", "outcome"],
        )?;
        let feed_records = counter_vec(
            &registry,
            "feed_records_total",
            "Records of new feed batches, by feed and result (matched, unmatched, rejected).",
            &["feed", "result"],
        )?;
        let webhook_deliveries = counter_vec(
            &registry,
            "webhook_deliveries_total",
            "Webhook delivery attempts by subscription id, outcome (delivered: a 2xx answer; failed: another status \
             or no answer, as in GET /webhooks/{id}/attempts) and HTTP status (none without an answer).",
            &["webhook", "outcome", "status"],
        )?;
        let logins = counter_vec(
            &registry,
            "auth_login_attempts_total",
            "Token requests with credentials, by outcome (success, invalid_credentials, throttled).",
            &["outcome"],
        )?;
        let login_locks = IntCounter::new(
            "auth_login_locks_total",
            "Failed logins that started a delay for their login name (LOGIN_MAX_FAILURES reached).",
        )
        .map_err(|e| format!("metrics: {e}"))?;
        registry.register(Box::new(login_locks.clone())).map_err(|e| format!("metrics: {e}"))?;

        Self::register_pulled(&registry, sources)?;
        let build_info = Pulled::new(
            "retiree_service_build_info",
            "The version and commit of this binary (always 1).",
            MetricType::GAUGE,
            &["version", "git_commit"],
            || vec![(vec![env!("CARGO_PKG_VERSION").to_owned(), GIT_COMMIT.to_owned()], 1.0)],
        )
        .map_err(|e| format!("metrics: {e}"))?;
        registry.register(Box::new(build_info)).map_err(|e| format!("metrics: {e}"))?;
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))
            .map_err(|e| format!("metrics: {e}"))?;
        Ok(Self {
            registry,
            requests,
            latency,
            certification_runs,
            feed_batches,
            feed_records,
            webhook_deliveries,
            logins,
            login_locks,
        })
    }

    fn register_pulled(registry: &Registry, sources: Sources) -> Result<(), String> {
        let Sources { pool, audit, imports, replica } = sources;
        if let Some(r) = replica {
            let lag = r.clone();
            pulled(
                registry,
                "db_replica_lag_seconds",
                "Replay lag of the read replica (DATABASE_READ_URL) as last measured; -1 when it does not answer.",
                MetricType::GAUGE,
                &[],
                move || one(lag.lag().map_or(-1.0, |d| d.as_secs_f64())),
            )?;
            pulled(
                registry,
                "db_replica_reads_total",
                "Reads of lists, reports, exports and the feed, by the database that answered them (replica, or \
                 primary after the caller's own write or while the replica lags).",
                MetricType::COUNTER,
                &["target"],
                move || {
                    let (replica, primary) = r.reads();
                    vec![(vec!["replica".to_owned()], replica as f64), (vec!["primary".to_owned()], primary as f64)]
                },
            )?;
        }
        let p = pool.clone();
        pulled(registry, "db_pool_connections", "Connections held by the pool.", MetricType::GAUGE, &[], move || {
            one(f64::from(p.state().connections))
        })?;
        pulled(
            registry,
            "db_pool_idle_connections",
            "Idle connections in the pool.",
            MetricType::GAUGE,
            &[],
            move || one(f64::from(pool.state().idle_connections)),
        )?;
        let load = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::SeqCst) as f64;
        let a = audit.clone();
        pulled(
            registry,
            "audit_writer_pending",
            "Audit entries handed to the group-committed writer, not yet committed (the queue depth).",
            MetricType::GAUGE,
            &[],
            move || one(load(&a.stats().pending)),
        )?;
        let a = audit.clone();
        pulled(
            registry,
            "audit_writer_batches_total",
            "Group commits of audit entries.",
            MetricType::COUNTER,
            &[],
            move || one(load(&a.stats().batches)),
        )?;
        pulled(
            registry,
            "audit_writer_entries_total",
            "Audit entries by the outcome of their group commit.",
            MetricType::COUNTER,
            &["outcome"],
            move || {
                let s = audit.stats();
                vec![(vec!["committed".into()], load(&s.committed)), (vec!["failed".into()], load(&s.failed))]
            },
        )?;
        let i = imports.clone();
        pulled(
            registry,
            "import_jobs_running",
            "Roster import jobs running in this process.",
            MetricType::GAUGE,
            &[],
            move || one(i.running() as f64),
        )?;
        let i = imports.clone();
        pulled(
            registry,
            "import_jobs_waiting",
            "Roster import jobs of this process waiting for a slot.",
            MetricType::GAUGE,
            &[],
            move || one(i.waiting() as f64),
        )?;
        let i = imports.clone();
        pulled(
            registry,
            "import_jobs_total",
            "Roster import jobs ended in this process, by kind and final status (succeeded, completed_with_errors, \
             rejected, failed).",
            MetricType::COUNTER,
            &["kind", "status"],
            move || {
                let Ok(m) = i.stats.ended.lock() else { return Vec::new() };
                m.iter().map(|((kind, status), n)| (vec![(*kind).to_owned(), status.clone()], *n as f64)).collect()
            },
        )?;
        pulled(
            registry,
            "import_rows_total",
            "Rows of the ended import jobs, by kind and result (read, rejected); rows per second is rate() of read.",
            MetricType::COUNTER,
            &["kind", "result"],
            move || {
                let Ok(m) = imports.stats.rows.lock() else { return Vec::new() };
                m.iter()
                    .map(|((kind, result), n)| (vec![(*kind).to_owned(), (*result).to_owned()], *n as f64))
                    .collect()
            },
        )
    }

    /// Records one answered request.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests.with_label_values(&[method, route, &status.to_string()]).inc();
        self.latency.with_label_values(&[method, route]).observe(elapsed.as_secs_f64());
    }

    /// A certification run was carried out (`dry_run` or not).
    pub fn certification_run(&self, dry_run: bool) {
        self.certification_runs.with_label_values(&[if dry_run { "dry_run" } else { "real" }]).inc();
    }

    /// A feed batch was answered: `created` (with its record counts) or `replayed`.
    pub fn feed_batch(&self, feed: &str, created: bool, records: &[(&str, u64)]) {
        self.feed_batches.with_label_values(&[feed, if created { "created" } else { "replayed" }]).inc();
        for (result, n) in records {
            self.feed_records.with_label_values(&[feed, result]).inc_by(*n);
        }
    }

    /// A webhook delivery attempt to subscription `webhook`: its status, or `None` without an answer.
    pub fn webhook_delivery(&self, webhook: &str, status: Option<u16>) {
        let (outcome, status) = match status {
            Some(s) if (200..300).contains(&s) => ("delivered", s.to_string()),
            Some(s) => ("failed", s.to_string()),
            None => ("failed", "none".to_owned()),
        };
        self.webhook_deliveries.with_label_values(&[webhook, outcome, &status]).inc();
    }

    /// A login attempt.
    pub fn login(&self, note: app::accounts::login::LoginNote) {
        use app::accounts::login::LoginNote;
        let outcome = match note {
            LoginNote::Success => "success",
            LoginNote::InvalidCredentials { .. } => "invalid_credentials",
            LoginNote::Throttled => "throttled",
        };
        self.logins.with_label_values(&[outcome]).inc();
        if let LoginNote::InvalidCredentials { locked: true } = note {
            self.login_locks.inc();
        }
    }

    /// The exposition text.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}
