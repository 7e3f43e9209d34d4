//! Webhook delivery over HTTP (issue 11): a dispatcher thread per replica, with its own single-threaded runtime, so
//! a slow or dead receiver never holds an HTTP worker. What is delivered when, to whom, signed how, and what
//! happens on failure is [`app::webhooks::dispatch`]; this module gives it an HTTP client ([`Deliver`] with awc).

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use app::db::Pool;
use app::webhooks::dispatch::{Deliver, Delivery, Reply};
pub use app::webhooks::dispatch::{backoff, host_allowed, signature};

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

/// POSTs with awc: no redirects followed, the whole answer within `WEBHOOK_TIMEOUT_MS`, at most 64 KiB of it read.
/// Connections are kept for the next event; when the receiver closed a kept connection before answering (a
/// server that closes after each answer, or whose keep-alive is shorter), the POST is sent once more on a fresh
/// connection that is not kept (issue 29.2) instead of counting as a failed attempt. A receiver deduplicates by
/// `X-Event-Id` anyway.
struct Http {
    /// Pooled connections.
    client: awc::Client,
    /// A pool of its own, used with `force_close`: every retry gets a new connection.
    fresh: awc::Client,
}

impl Http {
    fn new(timeout: std::time::Duration) -> Self {
        let build = || awc::Client::builder().timeout(timeout).disable_redirects().finish();
        Self { client: build(), fresh: build() }
    }
}

async fn send(
    client: &awc::Client,
    delivery: &Delivery,
    fresh: bool,
) -> Result<awc::ClientResponse, awc::error::SendRequestError> {
    let mut request = client.post(&delivery.url);
    if fresh {
        request = request.force_close();
    }
    for (name, value) in &delivery.headers {
        request = request.insert_header((*name, value.as_str()));
    }
    request.send_body(delivery.body.clone()).await
}

/// Whether the connection ended before an answer arrived, as when the peer closed a kept connection: the request
/// may not have reached the receiver at all. A timeout or a refused connection is not such a case.
fn closed_before_answer(e: &awc::error::SendRequestError) -> bool {
    use awc::error::{ConnectError, SendRequestError as E};
    matches!(e, E::Connect(ConnectError::Disconnected) | E::Send(_) | E::Response(_))
}

impl Deliver for Http {
    async fn post(&self, delivery: Delivery) -> Reply {
        let mut sent = send(&self.client, &delivery, false).await;
        if let Err(e) = &sent
            && closed_before_answer(e)
        {
            log::info!("webhook receiver {} closed the connection before answering ({e}); sending again", delivery.url);
            sent = send(&self.fresh, &delivery, true).await;
        }
        match sent {
            Ok(mut res) => {
                let status = res.status().as_u16();
                let body = res.body().limit(64 * 1024).await.ok().map(|b| String::from_utf8_lossy(&b).into_owned());
                Reply::Answered { status, body }
            }
            Err(e) => Reply::Failed(e.to_string()),
        }
    }
}

/// Starts delivering on a thread of its own.
pub fn spawn(pool: Pool, cfg: WebhookConfig) -> Option<Dispatcher> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let replica = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let spawned = std::thread::Builder::new().name("webhooks".into()).spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let http = Http::new(cfg.timeout);
            app::webhooks::dispatch::run(pool, cfg, Rc::new(http), flag, replica).await;
        });
    });
    match spawned {
        Ok(_) => Some(Dispatcher { stop }),
        Err(e) => {
            log::error!("cannot start the webhook dispatcher: {e}");
            None
        }
    }
}
