//! Webhook delivery (issue 11): a dispatcher thread per replica, with its own single-threaded runtime, so a slow or
//! dead receiver never holds an HTTP worker. Each subscription is delivered by the replica holding its lease,
//! one event at a time in id (= commit) order; the cursor moves after a 2xx answer only. A failure schedules a
//! retry with exponential backoff (`WEBHOOK_RETRY_BASE_MS`, doubling up to `WEBHOOK_RETRY_MAX_SECONDS`) and blocks
//! the subscription's later events until it succeeds, so a receiver never sees them out of order.
//!
//! Signature: header `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use persistence::webhooks::{self, NewAttempt, Webhook};
use persistence::{Pool, now_utc};
use sha2::Sha256;

use crate::config::WebhookConfig;

/// A running dispatcher; dropping it stops the thread (within one poll interval).
pub struct Dispatcher {
    stop: Arc<AtomicBool>,
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
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

/// Starts delivering on a thread of its own.
pub fn spawn(pool: Pool, cfg: WebhookConfig) -> Option<Dispatcher> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let replica = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let spawned = std::thread::Builder::new().name("webhooks".into()).spawn(move || {
        actix_web::rt::System::new().block_on(run(pool, cfg, flag, replica));
    });
    match spawned {
        Ok(_) => Some(Dispatcher { stop }),
        Err(e) => {
            log::error!("cannot start the webhook dispatcher: {e}");
            None
        }
    }
}

async fn blocking<T: Send + 'static>(
    pool: &Pool,
    f: impl FnOnce(&mut persistence::DbConnection) -> persistence::RepoResult<T> + Send + 'static,
) -> Option<T> {
    let pool = pool.clone();
    let out = actix_web::rt::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        f(&mut conn).map_err(|e| e.to_string())
    })
    .await;
    match out {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            log::warn!("webhook dispatcher: {e}");
            None
        }
        Err(e) => {
            log::warn!("webhook dispatcher: {e}");
            None
        }
    }
}

async fn run(pool: Pool, cfg: WebhookConfig, stop: Arc<AtomicBool>, replica: String) {
    let client = awc::Client::builder().timeout(cfg.timeout).disable_redirects().finish();
    let busy: std::rc::Rc<std::cell::RefCell<std::collections::HashSet<i64>>> = Default::default();
    let cfg = std::rc::Rc::new(cfg);
    while !stop.load(Ordering::SeqCst) {
        if let Some(due) = blocking(&pool, |conn| webhooks::due(conn, now_utc())).await {
            for id in due {
                if !busy.borrow_mut().insert(id) {
                    continue;
                }
                let (pool, cfg, client, busy, stop, replica) =
                    (pool.clone(), cfg.clone(), client.clone(), busy.clone(), stop.clone(), replica.clone());
                actix_web::rt::spawn(async move {
                    deliver(&pool, &cfg, &client, id, &replica, &stop).await;
                    busy.borrow_mut().remove(&id);
                });
            }
        }
        actix_web::rt::time::sleep(cfg.poll).await;
    }
}

fn lease_until(cfg: &WebhookConfig) -> time::PrimitiveDateTime {
    // Long enough for one attempt with room to spare; renewed with every acknowledged event.
    now_utc() + cfg.timeout * 3 + Duration::from_secs(10)
}

/// Delivers what a subscription has pending, while this replica holds its lease.
async fn deliver(pool: &Pool, cfg: &WebhookConfig, client: &awc::Client, id: i64, replica: &str, stop: &AtomicBool) {
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
    // A bounded number of pages per turn, so every subscription gets its turn.
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
            let outcome = post(cfg, client, &hook, event, attempt, replica).await;
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

async fn post(
    cfg: &WebhookConfig,
    client: &awc::Client,
    hook: &Webhook,
    event: persistence::events::Event,
    attempt: i32,
    replica: &str,
) -> NewAttempt {
    let (event_id, event_type) = (event.id, event.r#type.clone());
    let role = hook.owner_role;
    let body = crate::routes::events::to_json(event, role).to_string();
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
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
    let sent = client
        .post(&hook.url)
        .insert_header(("Content-Type", "application/json"))
        .insert_header(("X-Event-Id", event_id.to_string()))
        .insert_header(("X-Event-Type", event_type))
        .insert_header(("X-Webhook-Id", hook.id.to_string()))
        .insert_header(("X-Signature", signature(&hook.secret, ts, &body)))
        .send_body(body)
        .await;
    match sent {
        Ok(mut res) => {
            let status = res.status();
            record.status_code = Some(i32::from(status.as_u16()));
            if let Ok(bytes) = res.body().limit(64 * 1024).await {
                let text = String::from_utf8_lossy(&bytes);
                record.response_excerpt = Some(text.chars().take(500).collect());
            }
            if status.is_success() {
                record.outcome = "delivered".into();
            }
        }
        Err(e) => record.error = Some(e.to_string().chars().take(500).collect()),
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
        let ok = |u: &str| host_allowed(&url::Url::parse(u).expect("url"), &allowed);
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
