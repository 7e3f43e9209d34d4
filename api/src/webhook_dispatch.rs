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
struct Http {
    client: awc::Client,
}

impl Deliver for Http {
    async fn post(&self, delivery: Delivery) -> Reply {
        let mut request = self.client.post(&delivery.url);
        for (name, value) in delivery.headers {
            request = request.insert_header((name, value));
        }
        match request.send_body(delivery.body).await {
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
            let client = awc::Client::builder().timeout(cfg.timeout).disable_redirects().finish();
            app::webhooks::dispatch::run(pool, cfg, Rc::new(Http { client }), flag, replica).await;
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
