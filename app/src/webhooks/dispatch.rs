//! Webhook delivery (issue 11). Each subscription is delivered by the replica holding its lease
//! ([`persistence::webhooks::claim`]), one event at a time in id (= commit) order; the cursor moves after a 2xx
//! answer only. A failure schedules a retry with exponential backoff (`WEBHOOK_RETRY_BASE_MS`, doubling up to
//! `WEBHOOK_RETRY_MAX_SECONDS`) and blocks the subscription's later events until it succeeds, so a receiver never
//! sees them out of order.
//!
//! What travels is decided here: the event JSON (masked per the owner's role), the headers and the signature
//! `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`. How it travels is the
//! caller's [`Deliver`] (the service's is an HTTP client in `api`), so this layer has no HTTP client.
//!
//! The loop ([`run`]) and a subscription's turn ([`turn`]) run on a single-threaded runtime with a `LocalSet`
//! (`tokio::task::spawn_local`), so a `Deliver` need not be `Send`; database work goes to the blocking pool.

use std::cell::RefCell;
use std::collections::HashSet;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use persistence::webhooks::{self, NewAttempt, Webhook};
use persistence::{DbConnection, Pool, RepoResult, now_utc};
use sha2::Sha256;

/// Webhook delivery settings (issue 11).
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// `WEBHOOK_ALLOWED_HOSTS`: comma-separated `host` or `host:port` a webhook may target (OWASP API7); empty: none.
    pub allowed_hosts: Vec<String>,
    /// `WEBHOOK_DISPATCH` (`on`/`off`): whether this replica delivers.
    pub dispatch: bool,
    /// `WEBHOOK_POLL_MS`: how often the dispatcher looks for new events.
    pub poll: Duration,
    /// `WEBHOOK_TIMEOUT_MS`: a receiver's whole answer must arrive within this.
    pub timeout: Duration,
    /// `WEBHOOK_RETRY_BASE_MS`: the first retry waits this long; each further one twice as long as the last.
    pub retry_base: Duration,
    /// `WEBHOOK_RETRY_MAX_SECONDS`: the longest wait between attempts.
    pub retry_max: Duration,
}

/// One POST to a receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The subscription's URL (its host checked against the allow-list just before).
    pub url: String,
    /// Headers to send, in order: `Content-Type`, `X-Event-Id`, `X-Event-Type`, `X-Webhook-Id`, `X-Signature`.
    pub headers: Vec<(&'static str, String)>,
    /// The event JSON.
    pub body: String,
}

/// What became of a [`Delivery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The receiver answered with this status; `body` is the start of its answer when it could be read.
    Answered {
        /// HTTP status.
        status: u16,
        /// Its body (lossy UTF-8; the dispatcher keeps 500 characters).
        body: Option<String>,
    },
    /// No answer: refused, reset, timed out …
    Failed(String),
}

/// Sends deliveries: the transport of the dispatcher. It should give up after [`WebhookConfig::timeout`] and
/// follow no redirects.
pub trait Deliver {
    /// POSTs `delivery` and tells what the receiver answered.
    fn post(&self, delivery: Delivery) -> impl Future<Output = Reply>;
}

/// The signature header's value for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// Whether `url` targets a host on the allow-list (`host` or `host:port`, lower case).
pub fn host_allowed(url: &url::Url, allowed: &[String]) -> bool {
    let Some(host) = url.host_str().map(str::to_ascii_lowercase) else { return false };
    let port = url.port_or_known_default().unwrap_or(0);
    allowed.iter().any(|a| *a == host || *a == format!("{host}:{port}"))
}

/// The wait before the next attempt after `failures` failed ones.
pub fn backoff(cfg: &WebhookConfig, failures: i32) -> Duration {
    let exp = failures.clamp(0, 30) as u32;
    let wait = cfg.retry_base.saturating_mul(2u32.saturating_pow(exp));
    wait.min(cfg.retry_max)
}

/// Database work on the blocking pool; a failure is logged and answered `None` (the dispatcher tries again on its
/// next poll).
async fn blocking<T: Send + 'static>(
    pool: &Pool,
    f: impl FnOnce(&mut DbConnection) -> RepoResult<T> + Send + 'static,
) -> Option<T> {
    match crate::db::run(pool, f).await {
        Ok(v) => Some(v),
        Err(e) => {
            log::warn!("webhook dispatcher: {} {}", e.code(), e.detail().en);
            None
        }
    }
}

/// Delivers until `stop` is set: every `cfg.poll` it looks for due subscriptions and gives each one not already
/// being delivered by this replica a [`turn`] of its own. Run it on a `LocalSet`.
pub async fn run<D: Deliver + 'static>(
    pool: Pool,
    cfg: WebhookConfig,
    deliver: Rc<D>,
    stop: std::sync::Arc<AtomicBool>,
    replica: String,
) {
    let busy: Rc<RefCell<HashSet<i64>>> = Rc::default();
    let cfg = Rc::new(cfg);
    while !stop.load(Ordering::SeqCst) {
        if let Some(due) = blocking(&pool, |conn| webhooks::due(conn, now_utc())).await {
            for id in due {
                if !busy.borrow_mut().insert(id) {
                    continue;
                }
                let (pool, cfg, deliver, busy, stop, replica) =
                    (pool.clone(), cfg.clone(), deliver.clone(), busy.clone(), stop.clone(), replica.clone());
                tokio::task::spawn_local(async move {
                    turn(&pool, &cfg, deliver.as_ref(), id, &replica, &stop).await;
                    busy.borrow_mut().remove(&id);
                });
            }
        }
        tokio::time::sleep(cfg.poll).await;
    }
}

fn lease_until(cfg: &WebhookConfig) -> time::PrimitiveDateTime {
    // Long enough for one attempt with room to spare; renewed with every acknowledged event.
    now_utc() + cfg.timeout * 3 + Duration::from_secs(10)
}

/// One turn of subscription `id`: if this replica gets its lease, delivers what it has pending (a bounded number
/// of pages, so every subscription gets its turn) until a failure, which schedules the retry and gives the lease
/// up, or until `stop`.
pub async fn turn<D: Deliver>(
    pool: &Pool,
    cfg: &WebhookConfig,
    deliver: &D,
    id: i64,
    replica: &str,
    stop: &AtomicBool,
) {
    let until = lease_until(cfg);
    let r = replica.to_owned();
    let Some(Some(hook)) = blocking(pool, move |conn| webhooks::claim(conn, id, &r, now_utc(), until)).await else {
        return;
    };
    let mut cursor = hook.cursor;
    let Ok(types) = hook.types() else {
        // Logged as corrupt; deliver nothing rather than every event.
        let r = replica.to_owned();
        let _ = blocking(pool, move |conn| webhooks::release(conn, id, &r)).await;
        return;
    };
    let mut failed = false;
    'pages: for _ in 0..20 {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let (scope, t) = (hook.scope_path.clone(), types.clone());
        let Some(events) = blocking(pool, move |conn| persistence::events::list(conn, &scope, cursor, &t, 100)).await
        else {
            break;
        };
        if events.is_empty() {
            break;
        }
        for event in events {
            if stop.load(Ordering::SeqCst) {
                break 'pages;
            }
            let attempt = hook.failures + 1;
            let outcome = post(cfg, deliver, &hook, event, attempt, replica).await;
            let delivered = outcome.outcome == "delivered";
            let event_id = outcome.event_id;
            let r = replica.to_owned();
            if delivered {
                let until = lease_until(cfg);
                let kept = blocking(pool, move |conn| webhooks::acknowledge(conn, &outcome, &r, until)).await;
                if kept != Some(true) {
                    return;
                }
                cursor = event_id;
            } else {
                let retry_at = now_utc() + backoff(cfg, hook.failures);
                let _ = blocking(pool, move |conn| webhooks::fail(conn, &outcome, &r, retry_at)).await;
                failed = true;
                break 'pages;
            }
            if hook.failures > 0 {
                // The failed event went through; the rest waits for the next turn with the count reset.
                break 'pages;
            }
        }
    }
    if !failed {
        let r = replica.to_owned();
        let _ = blocking(pool, move |conn| webhooks::release(conn, id, &r)).await;
    }
}

/// Sends one event and describes the attempt.
async fn post<D: Deliver>(
    cfg: &WebhookConfig,
    deliver: &D,
    hook: &Webhook,
    event: persistence::events::Event,
    attempt: i32,
    replica: &str,
) -> NewAttempt {
    let (event_id, event_type) = (event.id, event.r#type.clone());
    let started = Instant::now();
    let mut record = NewAttempt {
        webhook_id: hook.id,
        event_id,
        event_type: event_type.clone(),
        attempt,
        attempted_at: now_utc(),
        outcome: "failed".into(),
        status_code: None,
        response_excerpt: None,
        error: None,
        duration_ms: 0,
        replica: replica.to_owned(),
    };
    // The allow-list may have changed since the subscription was made.
    match url::Url::parse(&hook.url) {
        Ok(u) if host_allowed(&u, &cfg.allowed_hosts) => {}
        _ => {
            record.error = Some("host_not_allowed: the URL's host is not on WEBHOOK_ALLOWED_HOSTS".into());
            return record;
        }
    }
    // A stored event that does not parse is not sent (nor replaced): the attempt fails and the subscription waits
    // until the row is repaired.
    let body = match crate::events::to_json(event, hook.owner_role) {
        Ok(json) => json.to_string(),
        Err(e) => {
            record.error = Some(format!("{}: the stored event cannot be read", e.code()));
            return record;
        }
    };
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let delivery = Delivery {
        url: hook.url.clone(),
        headers: vec![
            ("Content-Type", "application/json".to_owned()),
            ("X-Event-Id", event_id.to_string()),
            ("X-Event-Type", event_type),
            ("X-Webhook-Id", hook.id.to_string()),
            ("X-Signature", signature(&hook.secret, ts, &body)),
        ],
        body,
    };
    match deliver.post(delivery).await {
        Reply::Answered { status, body } => {
            record.status_code = Some(i32::from(status));
            record.response_excerpt = body.map(|text| text.chars().take(500).collect());
            if (200..300).contains(&status) {
                record.outcome = "delivered".into();
            }
        }
        Reply::Failed(error) => record.error = Some(error.chars().take(500).collect()),
    }
    record.duration_ms = started.elapsed().as_millis() as i64;
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_and_body() {
        // Computed independently: python3 -c "import hmac,hashlib; hmac.new(b'secret', b'1700000000.{}', hashlib.sha256).hexdigest()"
        assert_eq!(
            signature("secret", 1_700_000_000, "{}"),
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
    }

    #[test]
    fn hosts_are_matched_with_or_without_port() {
        let allowed = vec!["hooks.example.gov.cn".to_owned(), "127.0.0.1:9000".to_owned()];
        let ok = |u: &str| url::Url::parse(u).is_ok_and(|u| host_allowed(&u, &allowed));
        assert!(ok("https://hooks.example.gov.cn/x"));
        assert!(ok("http://HOOKS.example.gov.cn:8080/x"));
        assert!(ok("http://127.0.0.1:9000/x"));
        assert!(!ok("http://127.0.0.1:9001/x"));
        assert!(!ok("http://169.254.169.254/latest/meta-data"));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let cfg = WebhookConfig {
            allowed_hosts: vec![],
            dispatch: true,
            poll: Duration::from_millis(10),
            timeout: Duration::from_secs(1),
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(60),
        };
        assert_eq!(backoff(&cfg, 0), Duration::from_secs(2));
        assert_eq!(backoff(&cfg, 1), Duration::from_secs(4));
        assert_eq!(backoff(&cfg, 4), Duration::from_secs(32));
        assert_eq!(backoff(&cfg, 5), Duration::from_secs(60));
        assert_eq!(backoff(&cfg, 1000), Duration::from_secs(60));
    }
}
