//! Part 6: exhaustion. More slow requests than pool connections: the excess is answered 503 with Retry-After
//! within the pool timeout (twice: the sign-in and the work may each wait once) while `/healthz` stays fast; clients sending a byte a second (in the head or in the
//! body) are cut off and do not hold up anyone else.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use futures_util::future::join_all;

use super::report;
use crate::helpers::*;

/// Holds a lock from outside the service until told to let go: on PostgreSQL the retirees table
/// (`ACCESS EXCLUSIVE`: reads wait), on SQLite the database (`BEGIN EXCLUSIVE`: writes wait).
fn hold_lock(app: &TestApp) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let url = persistence::DatabaseUrl::parse(&app.url).unwrap();
    let backend = app.backend;
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let mut conn = persistence::connection::establish(&url).unwrap();
        match backend {
            Backend::Postgres => {
                diesel::sql_query("BEGIN").execute(&mut conn).unwrap();
                diesel::sql_query("LOCK TABLE retirees IN ACCESS EXCLUSIVE MODE").execute(&mut conn).unwrap();
            }
            Backend::Sqlite => {
                diesel::sql_query("BEGIN EXCLUSIVE").execute(&mut conn).unwrap();
            }
        }
        held_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(Duration::from_secs(60));
        diesel::sql_query("COMMIT").execute(&mut conn).unwrap();
    });
    held_rx.recv().unwrap();
    (release_tx, thread)
}

async fn pool(backend: Backend) {
    let settings = [("DB_POOL_SIZE", "2"), ("DB_POOL_TIMEOUT_SECONDS", "1"), ("HTTP_WORKERS", "2")];
    let Some(app) = TestApp::spawn(backend, &settings).await else { return };
    let id = app.create_retiree("city", &retiree_body("350203001001", 1)).await["id"].as_i64().unwrap();
    let (release, holder) = hold_lock(&app);
    let slow = 8u16;
    let started = Instant::now();
    let requests = (0..slow).map(|n| {
        let app = &app;
        async move {
            let t = Instant::now();
            let res = match backend {
                Backend::Postgres => app.get(&format!("/api/v1/retirees/{id}"), "city").await,
                Backend::Sqlite => app.post("/api/v1/retirees", "city", &retiree_body("350203001001", 10 + n)).await,
            };
            (res.status.as_u16(), res.header("retry-after").map(str::to_owned), t.elapsed(), res.text.clone())
        }
    });
    let health = async {
        let mut worst = Duration::ZERO;
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        for _ in 0..10 {
            let t = Instant::now();
            app.request("GET", "/healthz", None, &[], None).await.expect(200);
            worst = worst.max(t.elapsed());
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        // Let go of the lock after the excess was answered.
        actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
        release.send(()).unwrap();
        worst
    };
    let (answers, worst_health) = futures_util::future::join(join_all(requests), health).await;
    holder.join().unwrap();
    let busy: Vec<_> = answers.iter().filter(|a| a.0 == 503).collect();
    let with_retry = busy.iter().filter(|a| a.1.as_deref().is_some_and(|v| v.parse::<u64>().is_ok())).count();
    let slowest_503 = busy.iter().map(|a| a.2).max().unwrap_or_default();
    let others_ok = answers.iter().filter(|a| a.0 != 503).all(|a| a.0 == 200 || a.0 == 201);
    let pass = !busy.is_empty()
        && with_retry == busy.len()
        && slowest_503 <= Duration::from_millis(2500)
        && others_ok
        && worst_health < Duration::from_millis(250);
    report(
        "exhaustion: 8 slow requests, 2 connections, 1 s pool timeout",
        Some(backend),
        &format!(
            "{} × 503 (Retry-After on {with_retry}), slowest 503 after {:.2} s, {} × 200, /healthz worst {:.0} ms, all done in {:.1} s",
            busy.len(),
            slowest_503.as_secs_f64(),
            answers.iter().filter(|a| a.0 == 200 || a.0 == 201).count(),
            worst_health.as_secs_f64() * 1000.0,
            started.elapsed().as_secs_f64()
        ),
        "excess 503 + Retry-After within 2 pool timeouts (sign-in, then the work, may each wait once), /healthz < 250 ms",
        pass,
    );
    assert!(pass, "answers {answers:?}, /healthz worst {worst_health:?}");
    app.finish().await;
}

/// A client that sends `head` at once and then one byte a second; returns how long until the service cut it off
/// (`None`: still connected after `give_up`).
fn trickle(addr: &str, head: String, give_up: Duration) -> Option<Duration> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let started = Instant::now();
    stream.write_all(head.as_bytes()).unwrap();
    let mut buf = [0u8; 1024];
    while started.elapsed() < give_up {
        if stream.write_all(b"x").is_err() {
            return Some(started.elapsed());
        }
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until {
            match stream.read(&mut buf) {
                Ok(0) => return Some(started.elapsed()),
                Ok(_) => {} // the 408 answer; the close follows
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(_) => return Some(started.elapsed()),
            }
        }
    }
    None
}

async fn slow_clients(backend: Backend) {
    let settings = [("HTTP_CLIENT_TIMEOUT_SECONDS", "2"), ("HTTP_WORKERS", "1")];
    let Some(app) = TestApp::spawn(backend, &settings).await else { return };
    let addr = app.base.trim_start_matches("http://").to_owned();
    let token = app.token("city");
    let mut clients = Vec::new();
    for n in 0..20 {
        let head = if n % 2 == 0 {
            "GET /api/v1/retirees HTTP/1.1\r\nHost: a\r\nX-Slow: ".to_owned()
        } else {
            format!(
                "POST /api/v1/retirees HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {token}\r\n\
                     Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{{\"name\":\""
            )
        };
        let addr = addr.clone();
        clients.push(std::thread::spawn(move || trickle(&addr, head, Duration::from_secs(15))));
    }
    // Meanwhile everyone else is served at once.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let t = Instant::now();
        app.get("/api/v1/retirees?limit=5", "city").await.expect(200);
        worst = worst.max(t.elapsed());
    }
    let cut: Vec<Option<Duration>> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let slowest = cut.iter().flatten().max().copied().unwrap_or_default();
    let all_cut = cut.iter().all(Option::is_some);
    let pass = all_cut && slowest <= Duration::from_secs(5) && worst < Duration::from_millis(500);
    report(
        "exhaustion: 20 clients at 1 byte/s (head or body), 2 s client timeout",
        Some(backend),
        &format!(
            "{}/20 cut off, the last after {:.1} s; others' worst latency {:.0} ms",
            cut.iter().flatten().count(),
            slowest.as_secs_f64(),
            worst.as_secs_f64() * 1000.0
        ),
        "all cut off within 5 s, others < 500 ms",
        pass,
    );
    assert!(pass, "cut: {cut:?}, worst latency {worst:?}");
    app.finish().await;
}

#[actix_web::test]
async fn more_slow_requests_than_connections() {
    pool(Backend::Sqlite).await;
    pool(Backend::Postgres).await;
}

#[actix_web::test]
async fn slow_clients_are_cut_off() {
    slow_clients(Backend::Sqlite).await;
    slow_clients(Backend::Postgres).await;
}
