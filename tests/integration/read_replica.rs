//! Reads routed to a PostgreSQL read replica (issue 28), PostgreSQL only. A second server of the service runs with
//! `DATABASE_READ_URL`: pointed at the test database itself (its connections are read-only, so any list, report,
//! export or feed read that tried to write would fail here), at a database that does not exist (the replica is
//! unreachable: reads go to the primary, `/readyz` says degraded), and, when `TEST_PG_REPLICA_URL` names a real
//! streaming standby (`scripts/pg-replica.sh`), at the standby.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::*;

/// `(status, JSON body, text)` of a call to `base`.
async fn call(base: &str, method: &str, path: &str, token: &str, body: Option<&Value>) -> (u16, Value, String) {
    let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
    let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
    let req =
        client.request(method, format!("{base}{path}")).insert_header(("Authorization", format!("Bearer {token}")));
    let mut res = match body {
        Some(b) => req.insert_header(("Content-Type", "application/json")).send_body(b.to_string()).await.unwrap(),
        None => req.send().await.unwrap(),
    };
    let bytes = res.body().limit(64 << 20).await.unwrap();
    (
        res.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        String::from_utf8_lossy(&bytes).into(),
    )
}

/// The value of a metric line starting with `prefix` on `base`'s `/metrics`.
async fn metric(base: &str, prefix: &str) -> f64 {
    let text = awc::Client::default().get(format!("{base}/metrics")).send().await.unwrap().body().await.unwrap();
    let text = String::from_utf8_lossy(&text).to_string();
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
}

const REPLICA_READS: &str = "db_replica_reads_total{target=\"replica\"}";
const PRIMARY_READS: &str = "db_replica_reads_total{target=\"primary\"}";

#[actix_web::test]
async fn lists_reports_exports_and_the_feed_read_from_the_replica_and_a_writer_reads_its_writes() {
    let Some(app) = TestApp::postgres().await else {
        eprintln!("TEST_POSTGRES_URL not set: PostgreSQL run skipped");
        return;
    };
    let server = app.replica(&[("DATABASE_READ_URL", &app.url), ("READ_YOUR_WRITES_SECONDS", "60")]).await;
    let base = server.base.clone();
    let (status, body, _) = call(&base, "GET", "/readyz", "", None).await;
    assert_eq!((status, body), (200, json!({"status": "ok", "database": "postgres", "replica": "ok"})));
    let siming = app.token("siming");
    // Every read routed to the replica answers through read-only connections: none of them writes.
    let reads = [
        ("siming", "/api/v1/retirees"),
        ("platform", "/api/v1/events?after=0"),
        ("siming", "/api/v1/reports/movements?jurisdiction=350203"),
        ("siming", "/api/v1/reports/deaths?jurisdiction=350203&year=2026"),
        ("siming", "/api/v1/reports/staffing?jurisdiction=350203"),
        ("siming", "/api/v1/care/institutions"),
        ("siming", "/api/v1/care/caregivers"),
        ("siming", "/api/v1/care/requests"),
        ("siming", "/api/v1/care/requests/summary?month=2026-12"),
        ("siming", "/api/v1/exports/care-institutions"),
        ("siming", "/api/v1/exports/care-summary?month=2026-12"),
        ("siming", "/api/v1/exports/retirees"),
    ];
    for (login, path) in reads {
        let (status, _, text) = call(&base, "GET", path, &app.token(login), None).await;
        assert_eq!(status, 200, "{path}: {text}");
    }
    assert_eq!(metric(&base, REPLICA_READS).await, reads.len() as f64);
    assert_eq!(metric(&base, PRIMARY_READS).await, 0.0);
    assert_eq!(metric(&base, "db_replica_lag_seconds").await, 0.0);
    // The feed read from the replica is still audited, on the primary.
    assert_eq!(app.audit_count("event.list.read"), 1);

    // A write goes to the primary; the writer's next reads go there too (read your writes), others' do not.
    let (status, created, text) =
        call(&base, "POST", "/api/v1/retirees", &siming, Some(&retiree_body("350203001001", 1))).await;
    assert_eq!(status, 201, "{text}");
    let (status, list, _) = call(&base, "GET", "/api/v1/retirees", &siming, None).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"][0]["id"], created["id"]);
    assert_eq!(metric(&base, PRIMARY_READS).await, 1.0);
    let (status, _, _) = call(&base, "GET", "/api/v1/retirees", &app.token("xiagang"), None).await;
    assert_eq!(status, 200);
    assert_eq!(metric(&base, REPLICA_READS).await, reads.len() as f64 + 1.0);
    server.stop().await;
    app.finish().await;
}

#[actix_web::test]
async fn an_unreachable_replica_sends_reads_to_the_primary_and_readiness_says_degraded() {
    let Some(app) = TestApp::postgres().await else {
        eprintln!("TEST_POSTGRES_URL not set: PostgreSQL run skipped");
        return;
    };
    let missing = persistence::testing::with_database(&app.url, "no_such_database_for_replica_tests");
    let server = app.replica(&[("DATABASE_READ_URL", &missing), ("DB_POOL_TIMEOUT_SECONDS", "1")]).await;
    let (status, body, _) = call(&server.base, "GET", "/readyz", "", None).await;
    assert_eq!((status, body), (200, json!({"status": "degraded", "database": "postgres", "replica": "unreachable"})));
    let (status, _, text) = call(&server.base, "GET", "/api/v1/retirees", &app.token("siming"), None).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(metric(&server.base, PRIMARY_READS).await, 1.0);
    assert_eq!(metric(&server.base, REPLICA_READS).await, 0.0);
    assert_eq!(metric(&server.base, "db_replica_lag_seconds").await, -1.0);
    server.stop().await;
    app.finish().await;
}

#[actix_web::test]
async fn a_streaming_standby_serves_what_the_primary_committed() {
    let Ok(standby) = std::env::var("TEST_PG_REPLICA_URL") else {
        eprintln!(
            "TEST_PG_REPLICA_URL not set: the streaming standby run is skipped (scripts/pg-replica.sh sets one up)"
        );
        return;
    };
    let Some(app) = TestApp::postgres().await else { return };
    let db = app.url.rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();
    let read_url = persistence::testing::with_database(&standby, &db);
    // The new test database reaches the standby by replication: wait until it can be opened there.
    let started = Instant::now();
    while diesel::Connection::establish(&read_url).map(|_: diesel::PgConnection| ()).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "the standby never showed {db}");
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    let server = app.replica(&[("DATABASE_READ_URL", &read_url)]).await;
    let created = app.create_retiree("siming", &retiree_body("350203001001", 2)).await;
    // Another caller of the second server reads from the standby: the retiree shows once it is replayed.
    let started = Instant::now();
    loop {
        let (status, list, text) = call(&server.base, "GET", "/api/v1/retirees", &app.token("xiagang"), None).await;
        assert_eq!(status, 200, "{text}");
        if list["items"].as_array().is_some_and(|items| items.iter().any(|r| r["id"] == created["id"])) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the standby never replayed the new retiree");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(metric(&server.base, REPLICA_READS).await >= 1.0);
    let (status, body, _) = call(&server.base, "GET", "/readyz", "", None).await;
    assert_eq!((status, body["replica"].as_str()), (200, Some("ok")));
    server.stop().await;
    app.finish().await;
}
