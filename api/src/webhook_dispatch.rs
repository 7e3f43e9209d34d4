//! Webhook delivery over HTTP (issue 11): a dispatcher thread per replica, with its own single-threaded runtime, so
//! a slow or dead receiver never holds an HTTP worker. What is delivered when, to whom, signed how, and what
//! happens on failure is [`app::webhooks::dispatch`]; this module gives it an HTTP client ([`Deliver`] with awc).
//!
//! `https` receivers (issue 21.11) are reached with rustls (ring provider, TLS 1.2 and 1.3, HTTP/1.1): the
//! receiver's certificate must chain to a trusted root and name the URL's host. The trusted roots are the CAs in
//! `WEBHOOK_CA_BUNDLE` (a PEM file) when it is set — and then only those — else the operating system's. The
//! allow-list and the other target checks apply to `https` exactly as to `http`.

use std::path::Path;
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
    /// `webhook_deliveries_total` of the server that started the dispatcher.
    metrics: Arc<crate::metrics::Metrics>,
}

impl Http {
    fn new(
        timeout: std::time::Duration,
        tls: Arc<rustls::ClientConfig>,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        let build = || {
            // Connecting and the TLS handshake each get the delivery timeout too; the whole answer must still
            // arrive within it (`Client::timeout`).
            let connector = awc::Connector::new().rustls_0_23(tls.clone()).timeout(timeout).handshake_timeout(timeout);
            awc::Client::builder().connector(connector).timeout(timeout).disable_redirects().finish()
        };
        Self { client: build(), fresh: build(), metrics }
    }
}

/// The CAs a receiver's certificate must chain to: every certificate of the PEM file `ca_bundle` when given (a file
/// that cannot be read or holds no certificate is an error), else the operating system's roots (none: a warning,
/// and every `https` delivery fails verification).
pub fn trust_roots(ca_bundle: Option<&Path>) -> Result<rustls::RootCertStore, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let certs: Vec<CertificateDer<'static>> = match ca_bundle {
        Some(path) => CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("WEBHOOK_CA_BUNDLE: cannot read certificates from {}: {e}", path.display()))?,
        None => {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                log::warn!("webhooks: a system root certificate cannot be loaded: {e}");
            }
            found.certs
        }
    };
    let (added, ignored) = roots.add_parsable_certificates(certs);
    if ignored > 0 {
        log::warn!("webhooks: {ignored} trusted root certificate(s) cannot be parsed and are ignored");
    }
    if added == 0 {
        match ca_bundle {
            Some(path) => {
                return Err(format!("WEBHOOK_CA_BUNDLE: {} holds no usable CA certificate", path.display()));
            }
            // Plain http receivers are still served; every https attempt fails with an unknown issuer.
            None => log::warn!(
                "webhooks: no system root certificates found (install ca-certificates or set WEBHOOK_CA_BUNDLE); \
                 https receivers cannot be verified"
            ),
        }
    }
    Ok(roots)
}

/// The TLS settings of webhook deliveries: rustls with the ring provider, its safe default protocol versions
/// (TLS 1.2 and 1.3), certificates checked against `roots`, HTTP/1.1 offered by ALPN.
pub fn tls_config(roots: rustls::RootCertStore) -> Result<Arc<rustls::ClientConfig>, String> {
    // Named, not taken from the process default, so that a second backend compiled in by some dependency cannot
    // change it. rustls 0.23.48 marks ring's provider deprecated because it lacks the post-quantum key exchange
    // (X25519MLKEM768) that aws-lc-rs has; the classical groups (X25519, P-256, P-384) remain safe for these
    // signed, short-lived deliveries, and ring avoids building aws-lc (cmake, minutes of C) on every machine.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("webhooks: TLS settings: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// What an attempt records when no answer came: a TLS failure (an unknown issuer, a name mismatch, an expired
/// certificate …) says so and where the trusted roots come from.
fn failure_reason(e: &awc::error::SendRequestError) -> String {
    let text = e.to_string();
    let tls = ["certificate", "tls", "handshake", "Certificate"].iter().any(|w| text.contains(w));
    if tls {
        format!("tls: {text} (the receiver's certificate is checked against WEBHOOK_CA_BUNDLE or the system roots)")
    } else {
        text
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
        // By subscription id (`X-Webhook-Id`), never by URL (it may carry a token).
        let webhook = delivery.headers.iter().find(|(name, _)| *name == "X-Webhook-Id").map_or("", |(_, v)| v.as_str());
        match sent {
            Ok(mut res) => {
                let status = res.status().as_u16();
                self.metrics.webhook_delivery(webhook, Some(status));
                let body = res.body().limit(64 * 1024).await.ok().map(|b| String::from_utf8_lossy(&b).into_owned());
                Reply::Answered { status, body }
            }
            Err(e) => {
                self.metrics.webhook_delivery(webhook, None);
                Reply::Failed(failure_reason(&e))
            }
        }
    }
}

/// Starts delivering on a thread of its own; `ca_bundle` is `WEBHOOK_CA_BUNDLE` (see [`trust_roots`]). When the
/// bundle has become unusable since the settings were read, the dispatcher does not start (logged).
pub fn spawn(
    pool: Pool,
    cfg: WebhookConfig,
    ca_bundle: Option<&Path>,
    metrics: Arc<crate::metrics::Metrics>,
) -> Option<Dispatcher> {
    let tls = match trust_roots(ca_bundle).and_then(tls_config) {
        Ok(tls) => tls,
        Err(e) => {
            log::error!("cannot start the webhook dispatcher: {e}");
            return None;
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let replica = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let spawned = std::thread::Builder::new().name("webhooks".into()).spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let http = Http::new(cfg.timeout, tls, metrics);
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
