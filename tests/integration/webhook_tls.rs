//! Webhooks to `https` receivers (issue 21.11): the receiver's certificate is checked against `WEBHOOK_CA_BUNDLE`
//! (or the system roots), the allow-list still applies. A throwaway CA and server certificate are made per test.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const SECRET_32: &str = "0123456789abcdef0123456789abcdef";

/// A CA made for the test, its PEM written to a file (the `WEBHOOK_CA_BUNDLE`), and a server certificate it
/// signed for `names`.
struct Pki {
    bundle: tempfile::NamedTempFile,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
}

impl Pki {
    fn new(names: &[&str]) -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, "webhook test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut leaf = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
        leaf.distinguished_name.push(DnType::CommonName, names[0]);
        let cert = leaf.signed_by(&key, &ca_cert, &ca_key).unwrap();
        let bundle = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(bundle.path(), ca_cert.pem()).unwrap();
        Pki { bundle, server_chain: vec![cert.der().clone()], server_key: key.serialize_der() }
    }

    fn bundle_path(&self) -> String {
        self.bundle.path().to_str().unwrap().to_owned()
    }
}

/// An https receiver on loopback answering 200 "thanks"; records the bodies it got.
struct TlsReceiver {
    bodies: Arc<Mutex<Vec<String>>>,
    url: String,
    handle: actix_web::dev::ServerHandle,
}

impl TlsReceiver {
    async fn start(pki: &Pki) -> TlsReceiver {
        let tls = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                pki.server_chain.clone(),
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone())),
            )
            .unwrap();
        let bodies: Arc<Mutex<Vec<String>>> = Arc::default();
        let b = bodies.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = HttpServer::new(move || {
            let b = b.clone();
            App::new().default_service(web::to(move |_req: HttpRequest, body: web::Bytes| {
                let b = b.clone();
                async move {
                    b.lock().unwrap().push(String::from_utf8_lossy(&body).to_string());
                    HttpResponse::Ok().body("thanks")
                }
            }))
        })
        .workers(1)
        .listen_rustls_0_23(listener, tls)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        TlsReceiver { bodies, url: format!("https://127.0.0.1:{}/hook", addr.port()), handle }
    }

    fn received(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }
}

/// Waits (up to 20 s) until `f` holds.
async fn eventually(what: &str, f: impl Fn() -> bool) {
    let started = Instant::now();
    while !f() {
        assert!(started.elapsed() < Duration::from_secs(20), "timed out waiting until {what}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

fn dispatch(extra: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("WEBHOOK_DISPATCH", "on".to_owned()),
        ("WEBHOOK_POLL_MS", "50".to_owned()),
        ("WEBHOOK_RETRY_BASE_MS", "200".to_owned()),
    ];
    vars.extend(extra.iter().cloned());
    vars
}

fn as_refs<'a>(vars: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The subscription's attempts, newest first.
async fn attempts(app: &TestApp, hook_id: i64) -> Vec<Value> {
    let res = app.get(&format!("/api/v1/webhooks/{hook_id}/attempts"), "platform").await.expect(200);
    res.body["items"].as_array().unwrap().clone()
}

both_backends! {
    // Issue 21.11: an https receiver whose certificate chains to WEBHOOK_CA_BUNDLE gets the signed event.
    async fn webhook_tls_delivers_to_an_https_receiver_trusted_through_the_ca_bundle(app: &TestApp) {
        let pki = Pki::new(&["127.0.0.1"]);
        let rx = TlsReceiver::start(&pki).await;
        // Accepted now (was 422 webhook_scheme_not_supported).
        let hook = app.post("/api/v1/webhooks", "platform", &json!({"url": rx.url, "secret": SECRET_32})).await.expect(201);
        assert_eq!(hook.body["url"], rx.url);
        let hook_id = hook.body["id"].as_i64().unwrap();
        let vars = dispatch(&[("WEBHOOK_CA_BUNDLE", pki.bundle_path())]);
        let replica = app.replica(&as_refs(&vars)).await;
        let made = app.create_retiree("siming", &retiree_body("350203001001", 21)).await;
        eventually("an https delivery", || rx.received().len() == 1).await;
        let body: Value = serde_json::from_str(&rx.received()[0]).unwrap();
        assert_eq!(body["type"], "retiree.created");
        assert_eq!(body["payload"]["retiree"]["id"], made["id"]);
        eventually("the attempt recorded", || app.count("webhook_attempts") == 1).await;
        let items = attempts(app, hook_id).await;
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["outcome"], "delivered");
        assert_eq!(items[0]["status_code"], 200);
        assert_eq!(items[0]["response_excerpt"], "thanks");
        assert!(items[0]["error"].is_null());
        let state = app.get(&format!("/api/v1/webhooks/{hook_id}"), "platform").await.expect(200);
        assert_eq!(state.body["delivered"], 1);
        assert_eq!(state.body["status"], "active");
        replica.stop().await;
        rx.handle.stop(false).await;
    }

    // Issue 21.11: without the CA (system roots only) the handshake fails: a failed attempt that says why, nothing
    // reaches the receiver, the subscription is failing and keeps the event.
    async fn webhook_tls_refuses_a_receiver_whose_ca_is_not_trusted(app: &TestApp) {
        let pki = Pki::new(&["127.0.0.1"]);
        let rx = TlsReceiver::start(&pki).await;
        let hook = app.post("/api/v1/webhooks", "platform", &json!({"url": rx.url, "secret": SECRET_32})).await.expect(201);
        let hook_id = hook.body["id"].as_i64().unwrap();
        let vars = dispatch(&[]);
        let replica = app.replica(&as_refs(&vars)).await;
        app.create_retiree("siming", &retiree_body("350203001001", 22)).await;
        eventually("a failed attempt", || app.count("webhook_attempts") >= 1).await;
        replica.stop().await;
        let items = attempts(app, hook_id).await;
        let first = items.last().unwrap();
        assert_eq!(first["attempt"], 1);
        assert_eq!(first["outcome"], "failed");
        assert!(first["status_code"].is_null());
        let error = first["error"].as_str().unwrap();
        assert!(error.starts_with("tls: "), "{error}");
        assert!(error.contains("UnknownIssuer"), "{error}");
        assert!(error.contains("WEBHOOK_CA_BUNDLE"), "{error}");
        assert!(rx.received().is_empty());
        let state = app.get(&format!("/api/v1/webhooks/{hook_id}"), "platform").await.expect(200);
        assert_eq!(state.body["status"], "failing");
        assert_eq!(state.body["delivered"], 0);
        assert_eq!(state.body["cursor"], hook.body["cursor"]);
        rx.handle.stop(false).await;
    }

    // Issue 21.11: a certificate from the trusted CA but for another name is refused too.
    async fn webhook_tls_refuses_a_certificate_for_another_host(app: &TestApp) {
        let pki = Pki::new(&["receiver.example.gov.cn"]);
        let rx = TlsReceiver::start(&pki).await;
        let hook = app.post("/api/v1/webhooks", "platform", &json!({"url": rx.url, "secret": SECRET_32})).await.expect(201);
        let hook_id = hook.body["id"].as_i64().unwrap();
        let vars = dispatch(&[("WEBHOOK_CA_BUNDLE", pki.bundle_path())]);
        let replica = app.replica(&as_refs(&vars)).await;
        app.create_retiree("siming", &retiree_body("350203001001", 23)).await;
        eventually("a failed attempt", || app.count("webhook_attempts") >= 1).await;
        replica.stop().await;
        let items = attempts(app, hook_id).await;
        let error = items.last().unwrap()["error"].as_str().unwrap().to_owned();
        assert!(error.starts_with("tls: ") && error.contains("not valid for name"), "{error}");
        assert!(rx.received().is_empty());
        rx.handle.stop(false).await;
    }

    // Issue 21.11: https targets pass the same checks as http ones (allow-list, no user info; OWASP API7).
    async fn webhook_tls_targets_keep_the_allow_list(app: &TestApp) {
        let create = |url: &str| json!({"url": url, "secret": SECRET_32});
        app.post("/api/v1/webhooks", "platform", &create("https://169.254.169.254/latest/meta-data")).await
            .problem(422, "webhook_host_not_allowed");
        app.post("/api/v1/webhooks", "platform", &create("https://10.0.0.1:8443/x")).await.problem(422, "webhook_host_not_allowed");
        app.post("/api/v1/webhooks", "platform", &create("https://user:pw@127.0.0.1/x")).await.problem(422, "invalid_url");
        assert_eq!(app.count("webhooks"), 0);
        app.post("/api/v1/webhooks", "platform", &create("https://127.0.0.1:8443/x")).await.expect(201);
        assert_eq!(app.count("webhooks"), 1);
    }
}

// Issue 21.11: a WEBHOOK_CA_BUNDLE that cannot be used stops the service at start, not at the first delivery.
#[test]
fn webhook_tls_an_unusable_ca_bundle_is_a_setting_error() {
    let empty = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(empty.path(), "not a certificate\n").unwrap();
    let vars = |bundle: &str| {
        let map: std::collections::HashMap<&str, String> = [
            ("DATABASE_URL", "postgres://x@y/z".to_owned()),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef-jwt".to_owned()),
            ("WEBHOOK_CA_BUNDLE", bundle.to_owned()),
            ("DATA_KEYS", crate::helpers::TEST_DATA_KEYS.to_owned()),
            ("DATA_KEY_ID", "t1".to_owned()),
            ("DATA_HASH_KEY", crate::helpers::TEST_HASH_KEY.to_owned()),
        ]
        .into_iter()
        .collect();
        api::config::Config::from_lookup(&|k| map.get(k).cloned())
    };
    let err = vars(empty.path().to_str().unwrap()).err().unwrap();
    assert!(err.0.contains("WEBHOOK_CA_BUNDLE") && err.0.contains("no usable CA certificate"), "{}", err.0);
    let err = vars("/nonexistent/ca.pem").err().unwrap();
    assert!(err.0.contains("cannot read certificates from /nonexistent/ca.pem"), "{}", err.0);
    let pki = Pki::new(&["127.0.0.1"]);
    let ok = vars(&pki.bundle_path()).unwrap();
    assert_eq!(ok.webhook_ca_bundle.as_deref(), Some(pki.bundle.path()));
}
