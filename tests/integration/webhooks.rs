//! Signed webhooks of the change feed (issue 11; CS Art. 30; JN Art. 33): loopback receivers, retries, replicas,
//! connection handling, on both backends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::both_backends;
use crate::helpers::*;

use crate::events::SECRET_32;

#[derive(Debug, Clone)]
struct Hit {
    status: u16,
    event_id: i64,
    signature: String,
    body: String,
}

struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    url: String,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    /// A receiver on loopback that answers 500 to its first `fail_first` requests, then 200.
    async fn start(fail_first: usize) -> Receiver {
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let failures = Arc::new(AtomicUsize::new(fail_first));
        let (h, f) = (hits.clone(), failures.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = HttpServer::new(move || {
            let (h, f) = (h.clone(), f.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (h, f) = (h.clone(), f.clone());
                async move {
                    let fail = f.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                    let header = |name: &str| {
                        req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
                    };
                    h.lock().unwrap().push(Hit {
                        status: if fail { 500 } else { 200 },
                        event_id: header("x-event-id").parse().unwrap_or(-1),
                        signature: header("x-signature"),
                        body: String::from_utf8_lossy(&body).to_string(),
                    });
                    if fail {
                        HttpResponse::InternalServerError().body("boom")
                    } else {
                        HttpResponse::Ok().body("thanks")
                    }
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver { hits, url: format!("http://{addr}/hook"), handle }
    }

    fn delivered(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().iter().filter(|h| h.status == 200).cloned().collect()
    }

    fn all(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
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

const DISPATCH: [(&str, &str); 3] =
    [("WEBHOOK_DISPATCH", "on"), ("WEBHOOK_POLL_MS", "50"), ("WEBHOOK_RETRY_BASE_MS", "200")];

/// Verifies a signature as a receiver would, independently of the service's code.
fn verify(secret: &str, header: &str, body: &str) -> bool {
    let Some((t, v1)) = header.split_once(',') else { return false };
    let (Some(t), Some(v1)) = (t.strip_prefix("t="), v1.strip_prefix("v1=")) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    expected == v1
}

both_backends! {
    async fn a_loopback_receiver_gets_signed_deliveries_in_order(app: &TestApp) {
        let rx = Receiver::start(0).await;
        let hook = app.post("/api/v1/webhooks", "platform",
            &json!({"url": rx.url, "secret": SECRET_32, "event_types": ["retiree.created", "pension.suspended"]})).await.expect(201);
        assert_eq!(hook.body["secret"], SECRET_32);
        assert_eq!(hook.body["status"], "active");
        assert_eq!(hook.body["secret_hint"], "…cdef");
        let hook_id = hook.body["id"].as_i64().unwrap();
        let dispatcher = app.replica(&DISPATCH).await;
        let first = app.create_retiree("siming", &retiree_body("350203001001", 5)).await;
        app.create_retiree("siming", &retiree_body("350203001001", 6)).await;
        app.post(&format!("/api/v1/retirees/{}/suspensions", first["id"]), "siming", &json!({"reason": "imprisoned"})).await.expect(201);
        // Not subscribed: an update.
        app.patch(&format!("/api/v1/retirees/{}", first["id"]), "siming", &json!({"notes": "x"}), Some("\"2\"")).await.expect(200);
        eventually("three deliveries", || rx.delivered().len() == 3).await;
        let got = rx.delivered();
        for h in &got {
            assert!(verify(SECRET_32, &h.signature, &h.body), "bad signature {h:?}");
            assert!(!verify("another-secret-another-secret-xx", &h.signature, &h.body));
            let body: Value = serde_json::from_str(&h.body).unwrap();
            assert_eq!(body["id"], h.event_id);
        }
        let kinds: Vec<String> = got.iter().map(|h| serde_json::from_str::<Value>(&h.body).unwrap()["type"].as_str().unwrap().to_owned()).collect();
        assert_eq!(kinds, ["retiree.created", "retiree.created", "pension.suspended"]);
        assert!(got.windows(2).all(|w| w[0].event_id < w[1].event_id));
        // The platform's role sees personal fields in clear.
        let body: Value = serde_json::from_str(&got[0].body).unwrap();
        assert_eq!(body["payload"]["retiree"]["id_number"], first["id_number"]);
        eventually("the cursor moved", || app.count("webhook_attempts") == 3).await;
        let state = app.get(&format!("/api/v1/webhooks/{hook_id}"), "platform").await.expect(200);
        assert_eq!(state.body["cursor"], got[2].event_id);
        assert_eq!(state.body["delivered"], 3);
        assert_eq!(state.body["failures"], 0);
        assert!(state.body.get("secret").is_none());
        let attempts = app.get(&format!("/api/v1/webhooks/{hook_id}/attempts"), "platform").await.expect(200);
        let items = attempts.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|a| a["outcome"] == "delivered" && a["status_code"] == 200 && a["response_excerpt"] == "thanks"));

        // Replay from the start: the same three again, in order.
        let version = state.header("etag").unwrap().to_owned();
        let token = app.token("platform");
        let replay = app.request("POST", &format!("/api/v1/webhooks/{hook_id}/replay"), Some(&token),
            &[("Content-Type", "application/json"), ("If-Match", &version)], Some(br#"{"after": 0}"#.to_vec())).await;
        assert_eq!(replay.status, 200, "{}", replay.text);
        eventually("the replay", || rx.delivered().len() == 6).await;
        let again: Vec<i64> = rx.delivered()[3..].iter().map(|h| h.event_id).collect();
        assert_eq!(again, got.iter().map(|h| h.event_id).collect::<Vec<_>>());
        dispatcher.stop().await;
        rx.handle.stop(false).await;
    }

    async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt(app: &TestApp) {
        let rx = Receiver::start(2).await;
        let hook = app.post("/api/v1/webhooks", "platform", &json!({"url": rx.url, "secret": SECRET_32})).await.expect(201);
        let hook_id = hook.body["id"].as_i64().unwrap();
        let dispatcher = app.replica(&DISPATCH).await;
        app.create_retiree("siming", &retiree_body("350203001001", 7)).await;
        eventually("a delivery", || rx.delivered().len() == 1).await;
        let all = rx.all();
        assert_eq!(all.iter().map(|h| h.status).collect::<Vec<_>>(), [500, 500, 200]);
        assert!(all.iter().all(|h| h.event_id == all[0].event_id));
        eventually("three attempts recorded", || app.count("webhook_attempts") == 3).await;
        let attempts = app.get(&format!("/api/v1/webhooks/{hook_id}/attempts"), "platform").await.expect(200);
        let items = attempts.body["items"].as_array().unwrap();
        // Newest first.
        let seen: Vec<(i64, &str, i64)> = items.iter()
            .map(|a| (a["attempt"].as_i64().unwrap(), a["outcome"].as_str().unwrap(), a["status_code"].as_i64().unwrap()))
            .collect();
        assert_eq!(seen, [(3, "delivered", 200), (2, "failed", 500), (1, "failed", 500)]);
        assert_eq!(items[1]["response_excerpt"], "boom");
        let state = app.get(&format!("/api/v1/webhooks/{hook_id}"), "platform").await.expect(200);
        assert_eq!(state.body["failures"], 0);
        assert_eq!(state.body["status"], "active");
        assert_eq!(state.body["cursor"], all[0].event_id);
        // Issue 22: the dispatching replica counts each attempt by subscription, outcome and status.
        let counts = crate::metrics::webhook_deliveries(&dispatcher.base, hook_id).await;
        assert_eq!(counts, [Some(2.0), Some(1.0), None], "failed 500, delivered 200, failed without an answer");
        dispatcher.stop().await;
        rx.handle.stop(false).await;
    }

    async fn two_replicas_delivering_at_once_deliver_each_event_once(app: &TestApp) {
        let rx = Receiver::start(0).await;
        app.post("/api/v1/webhooks", "platform", &json!({"url": rx.url, "secret": SECRET_32})).await.expect(201);
        let one = app.replica(&DISPATCH).await;
        let two = app.replica(&DISPATCH).await;
        for seq in 0..40u16 {
            app.create_retiree("siming", &retiree_body("350203001001", 300 + seq)).await;
        }
        eventually("forty deliveries", || rx.delivered().len() >= 40).await;
        // Give a duplicate the time to arrive if one were coming.
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        let ids: Vec<i64> = rx.delivered().iter().map(|h| h.event_id).collect();
        assert_eq!(ids.len(), 40, "duplicates: {ids:?}");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "out of order: {ids:?}");
        one.stop().await;
        two.stop().await;
        rx.handle.stop(false).await;
    }

    async fn webhooks_refuse_bad_targets_other_roles_and_other_scopes(app: &TestApp) {
        let create = |url: &str| json!({"url": url});
        app.post("/api/v1/webhooks", "platform", &create("http://169.254.169.254/latest/meta-data")).await
            .problem(422, "webhook_host_not_allowed");
        app.post("/api/v1/webhooks", "platform", &create("http://10.0.0.1:8080/x")).await.problem(422, "webhook_host_not_allowed");
        app.post("/api/v1/webhooks", "platform", &create("file:///etc/passwd")).await.problem(422, "invalid_url");
        app.post("/api/v1/webhooks", "platform", &create("not a url")).await.problem(422, "invalid_url");
        app.post("/api/v1/webhooks", "platform", &create("http://user:pw@127.0.0.1/x")).await.problem(422, "invalid_url");
        app.post("/api/v1/webhooks", "platform", &json!({"url": "http://127.0.0.1/x", "event_types": ["nope"]})).await
            .problem(422, "unknown_event_type");
        app.post("/api/v1/webhooks", "platform", &json!({"url": "http://127.0.0.1/x", "secret": "short"})).await
            .problem(422, "invalid_secret");
        app.post("/api/v1/webhooks", "platform", &json!({"url": "http://127.0.0.1/x", "extra": 1})).await.expect(422);
        app.post("/api/v1/webhooks", "city", &create("http://127.0.0.1/x")).await.problem(403, "forbidden");
        assert_eq!(app.count("webhooks"), 0);

        let made = app.post("/api/v1/webhooks", "platform", &create("http://127.0.0.1:9/x")).await.expect(201);
        let id = made.body["id"].as_i64().unwrap();
        // A generated secret is 64 hex characters, returned once.
        assert_eq!(made.body["secret"].as_str().unwrap().len(), 64);
        // Siming's integration does not see the city's subscription.
        let token = platform_at(app, "siming_platform", "350203");
        let path = format!("/api/v1/webhooks/{id}");
        app.request("GET", &path, Some(&token), &[], None).await.problem(404, "not_found");
        let listed = app.request("GET", "/api/v1/webhooks", Some(&token), &[], None).await.expect(200);
        assert_eq!(listed.body["items"], json!([]));
        let res = app.request("DELETE", &format!("/api/v1/webhooks/{id}"), Some(&token), &[("If-Match", "\"1\"")], None).await;
        assert_eq!(res.status, 404);
        // Pausing needs the current version.
        app.patch(&format!("/api/v1/webhooks/{id}"), "platform", &json!({"active": false}), None).await.problem(428, "if_match_required");
        app.patch(&format!("/api/v1/webhooks/{id}"), "platform", &json!({"active": false}), Some("\"7\"")).await.problem(412, "version_mismatch");
        let paused = app.patch(&format!("/api/v1/webhooks/{id}"), "platform", &json!({"active": false}), Some("\"1\"")).await.expect(200);
        assert_eq!(paused.body["status"], "paused");
        assert_eq!(app.audit_count("webhook.create"), 1);
        assert_eq!(app.audit_count("webhook.update"), 1);
        let token = app.token("platform");
        let res = app.request("DELETE", &format!("/api/v1/webhooks/{id}"), Some(&token), &[("If-Match", "\"2\"")], None).await;
        assert_eq!(res.status, 204);
        assert_eq!(app.count("webhooks"), 0);
    }
}

both_backends! {
    async fn a_subscription_whose_stored_event_types_do_not_parse_is_an_error_not_all_events(app: &TestApp) {
        // Read as "no types" it would mean "all events"; it must be an error instead.
        let rx = Receiver::start(0).await;
        let hook = app.post("/api/v1/webhooks", "platform",
            &json!({"url": rx.url, "secret": SECRET_32, "event_types": ["retiree.created"]})).await.expect(201);
        let id = hook.body["id"].as_i64().unwrap();
        let path = format!("/api/v1/webhooks/{id}");
        assert_eq!(app.get(&path, "platform").await.expect(200).body["event_types"], json!(["retiree.created"]));
        use diesel::RunQueryDsl;
        let n = diesel::sql_query(format!("UPDATE webhooks SET event_types = 'retiree.created' WHERE id = {id}"))
            .execute(&mut *app.conn())
            .unwrap();
        assert_eq!(n, 1);
        app.get(&path, "platform").await.problem(500, "internal_error");
        app.get("/api/v1/webhooks", "platform").await.problem(500, "internal_error");
        let w = persistence::webhooks::find(&mut app.conn(), id).unwrap();
        match w.types() {
            Err(persistence::RepoError::Corrupt(m)) => assert!(
                m.starts_with(&format!("webhooks id {id} column event_types: not the JSON expected")),
                "{m}"
            ),
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }
}

/// How a raw-socket receiver treats its connections (issue 29.2).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Peer {
    /// Answers `HTTP/1.0 200` (no keep-alive) and closes the connection.
    Http10,
    /// Answers `HTTP/1.1 200` with `Connection: close` and closes the connection.
    ConnectionClose,
    /// Answers `HTTP/1.1 200` without saying it will close, and closes the connection a moment later without
    /// reading what came in meanwhile (as a server whose keep-alive timeout is shorter than the client's).
    SilentClose,
    /// Answers `HTTP/1.1 200` and keeps the connection for the next request.
    Keeps,
    /// Reads the request and answers nothing for two seconds.
    Stalls,
}

/// A receiver on loopback written against plain sockets, so it can close connections as real servers do. It
/// counts the requests it read and the connections it accepted.
struct RawReceiver {
    url: String,
    requests: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
}

impl RawReceiver {
    fn start(peer: Peer) -> RawReceiver {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (requests, connections) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (r, c) = (requests.clone(), connections.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                c.fetch_add(1, Ordering::SeqCst);
                let r = r.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut out = stream;
                    loop {
                        // The request head, then its body by Content-Length.
                        let mut length = 0usize;
                        let mut line = String::new();
                        loop {
                            line.clear();
                            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            if line == "\r\n" {
                                break;
                            }
                            if let Some((name, value)) = line.split_once(':')
                                && name.eq_ignore_ascii_case("content-length")
                            {
                                length = value.trim().parse().unwrap_or(0);
                            }
                        }
                        let mut body = vec![0; length];
                        if reader.read_exact(&mut body).is_err() {
                            return;
                        }
                        r.fetch_add(1, Ordering::SeqCst);
                        let answer = match peer {
                            Peer::Http10 => "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nthanks",
                            Peer::ConnectionClose => {
                                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 6\r\n\r\nthanks"
                            }
                            Peer::SilentClose | Peer::Keeps => "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nthanks",
                            Peer::Stalls => {
                                std::thread::sleep(Duration::from_secs(2));
                                return;
                            }
                        };
                        if out.write_all(answer.as_bytes()).and_then(|_| out.flush()).is_err() {
                            return;
                        }
                        if peer == Peer::SilentClose {
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        if peer != Peer::Keeps {
                            let _ = out.shutdown(std::net::Shutdown::Both);
                            return;
                        }
                    }
                });
            }
        });
        RawReceiver { url, requests, connections }
    }
}

/// Attempts of subscription `id` as (outcome, error), oldest first.
async fn outcomes(app: &TestApp, id: i64) -> Vec<(String, Option<String>)> {
    let attempts = app.get(&format!("/api/v1/webhooks/{id}/attempts?limit=500"), "platform").await.expect(200);
    let mut all: Vec<(String, Option<String>)> = attempts.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["outcome"].as_str().unwrap().to_owned(), a["error"].as_str().map(str::to_owned)))
        .collect();
    all.reverse();
    all
}

/// Attempts of subscription `id` with `outcome` (any when `None`).
fn attempts_of(app: &TestApp, id: i64, outcome: Option<&str>) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let only = outcome.map(|o| format!(" AND outcome = '{o}'")).unwrap_or_default();
    let rows: Vec<N> =
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM webhook_attempts WHERE webhook_id = {id}{only}"))
            .load(&mut *app.conn())
            .unwrap();
    rows[0].n
}

/// Delivers six events back to back (they are in the feed before the dispatcher starts, so each request follows
/// the previous answer at once, as the peer is closing the connection); then pauses the subscription.
async fn six_deliveries(app: &TestApp, peer: Peer, first: u16) -> (RawReceiver, i64) {
    let rx = RawReceiver::start(peer);
    let hook = app.post("/api/v1/webhooks", "platform", &json!({"url": rx.url, "secret": SECRET_32})).await.expect(201);
    let id = hook.body["id"].as_i64().unwrap();
    for seq in 0..6u16 {
        app.create_retiree("siming", &retiree_body("350203001001", first + seq)).await;
    }
    let dispatcher = app.replica(&DISPATCH).await;
    eventually("six deliveries", || attempts_of(app, id, Some("delivered")) == 6).await;
    dispatcher.stop().await;
    app.patch(&format!("/api/v1/webhooks/{id}"), "platform", &json!({"active": false}), Some("*")).await.expect(200);
    (rx, id)
}

both_backends! {
    async fn receivers_that_close_each_connection_get_every_event_without_failed_attempts(app: &TestApp) {
        for (n, peer) in [Peer::Http10, Peer::ConnectionClose, Peer::SilentClose].into_iter().enumerate() {
            let (rx, id) = six_deliveries(app, peer, 500 + 10 * n as u16).await;
            let seen = outcomes(app, id).await;
            let failed: Vec<_> = seen.iter().filter(|(o, _)| o != "delivered").collect();
            assert!(failed.is_empty(), "{peer:?}: failed attempts {failed:?}");
            assert_eq!(seen.len(), 6, "{peer:?}");
            assert_eq!(rx.requests.load(Ordering::SeqCst), 6, "{peer:?}: each event sent once");
        }
    }

    async fn a_receiver_that_keeps_its_connection_gets_every_event_on_it(app: &TestApp) {
        let (rx, id) = six_deliveries(app, Peer::Keeps, 540).await;
        assert!(outcomes(app, id).await.iter().all(|(o, _)| o == "delivered"));
        assert_eq!(rx.requests.load(Ordering::SeqCst), 6);
        assert_eq!(rx.connections.load(Ordering::SeqCst), 1, "one connection, kept");
    }

    async fn a_receiver_that_does_not_answer_in_time_is_a_failed_attempt_tried_once(app: &TestApp) {
        let rx = RawReceiver::start(Peer::Stalls);
        let hook = app.post("/api/v1/webhooks", "platform", &json!({"url": rx.url, "secret": SECRET_32})).await.expect(201);
        let id = hook.body["id"].as_i64().unwrap();
        let mut settings = DISPATCH.to_vec();
        settings.extend([("WEBHOOK_TIMEOUT_MS", "300"), ("WEBHOOK_RETRY_BASE_MS", "60000")]);
        let dispatcher = app.replica(&settings).await;
        app.create_retiree("siming", &retiree_body("350203001001", 520)).await;
        eventually("a failed attempt", || attempts_of(app, id, None) == 1).await;
        // Give a hidden second try the time to show.
        actix_web::rt::time::sleep(Duration::from_millis(800)).await;
        dispatcher.stop().await;
        let seen = outcomes(app, id).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].0, "failed");
        assert!(seen[0].1.as_deref().unwrap_or_default().to_lowercase().contains("timeout"), "{seen:?}");
        assert_eq!(rx.requests.load(Ordering::SeqCst), 1, "a timeout is not retried at once");
        let state = app.get(&format!("/api/v1/webhooks/{id}"), "platform").await.expect(200);
        assert_eq!((state.body["status"].as_str(), state.body["failures"].as_i64()), (Some("failing"), Some(1)));
    }
}
