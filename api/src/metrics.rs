//! Prometheus text metrics: request counts and latency histograms per route, pool state.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Counters kept in memory by each process (each replica exposes its own).
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
}

impl Metrics {
    /// Records one answered request.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut map) = self.requests.lock() {
            *map.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        }
        if let Ok(mut map) = self.latency.lock() {
            let h = map.entry((method.to_owned(), route.to_owned())).or_default();
            let secs = elapsed.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        }
    }

    /// The exposition text.
    pub fn render(&self, pool: &app::db::Pool, audit: &app::audit_writer::AuditWriterStats) -> String {
        let mut out = String::new();
        out.push_str("# HELP http_requests_total Requests answered, by method, route and status.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        if let Ok(map) = self.requests.lock() {
            for ((method, route, status), n) in map.iter() {
                out.push_str(&format!(
                    "http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}\n",
                    escape(route)
                ));
            }
        }
        out.push_str("# HELP http_request_duration_seconds Time to answer, by method and route.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        if let Ok(map) = self.latency.lock() {
            for ((method, route), h) in map.iter() {
                let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
                for (i, bound) in BUCKETS.iter().enumerate() {
                    out.push_str(&format!(
                        "http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}\n",
                        h.counts[i]
                    ));
                }
                out.push_str(&format!("http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n", h.count));
                out.push_str(&format!("http_request_duration_seconds_sum{{{labels}}} {}\n", h.sum));
                out.push_str(&format!("http_request_duration_seconds_count{{{labels}}} {}\n", h.count));
            }
        }
        let state = pool.state();
        out.push_str("# HELP db_pool_connections Connections held by the pool.\n# TYPE db_pool_connections gauge\n");
        out.push_str(&format!("db_pool_connections {}\n", state.connections));
        out.push_str("# HELP db_pool_idle_connections Idle connections in the pool.\n");
        out.push_str("# TYPE db_pool_idle_connections gauge\n");
        out.push_str(&format!("db_pool_idle_connections {}\n", state.idle_connections));
        let load = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::SeqCst);
        out.push_str(
            "# HELP audit_writer_pending Audit entries handed to the group-committed writer, not yet committed.\n",
        );
        out.push_str("# TYPE audit_writer_pending gauge\n");
        out.push_str(&format!("audit_writer_pending {}\n", load(&audit.pending)));
        out.push_str("# HELP audit_writer_batches_total Group commits of audit entries.\n");
        out.push_str("# TYPE audit_writer_batches_total counter\n");
        out.push_str(&format!("audit_writer_batches_total {}\n", load(&audit.batches)));
        out.push_str("# HELP audit_writer_entries_total Audit entries by the outcome of their group commit.\n");
        out.push_str("# TYPE audit_writer_entries_total counter\n");
        out.push_str(&format!("audit_writer_entries_total{{outcome=\"committed\"}} {}\n", load(&audit.committed)));
        out.push_str(&format!("audit_writer_entries_total{{outcome=\"failed\"}} {}\n", load(&audit.failed)));
        out
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}
