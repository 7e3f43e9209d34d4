//! Part 7: faults. The real binary killed with SIGKILL while 16 clients write, then restarted on the same
//! database: every acknowledged write is there, and every person in the database is whole (the creation's audit
//! row and change event exist: nothing half-written). The atomic import killed mid-way is `crash.rs`. PostgreSQL
//! restarted under load (`#[ignore]`: it restarts the server every other test uses; `scripts/reliability` runs it
//! alone): the service recovers by itself and `/readyz` tells the truth meanwhile.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::{Value, json};

use super::report;
use crate::helpers::*;
use crate::process::{drop_database, fresh_database, login, start};

/// A call without a body (`Some(body)`: JSON); `None` when no answer came.
async fn call(base: &str, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Option<(u16, Value)> {
    match body {
        Some(b) => crate::process::call_json(base, method, path, token, &b).await,
        None => crate::process::call(base, method, path, token, "", vec![]).await,
    }
}

#[derive(QueryableByName)]
#[allow(dead_code)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

async fn killed_while_writing(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, pg)) = fresh_database(backend, dir.path()).await else { return };
    let mut service = start(&url, None).await;
    let token = login(&service.base, "city").await;
    let acknowledged = Arc::new(Mutex::new(Vec::<i64>::new()));
    let attempted = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let writers = (0..16u16).map(|w| {
        let (base, token, acknowledged, attempted) =
            (service.base.clone(), token.clone(), acknowledged.clone(), attempted.clone());
        async move {
            for n in 0..200u16 {
                let mut body = retiree_body("350203001001", 0);
                body["id_number"] = json!(id_number("350203", &format!("194{}0101", w % 10), 100 + w / 10 * 200 + n));
                body["name"] = json!(format!("断电{w}-{n}"));
                attempted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                match call(&base, "POST", "/api/v1/retirees", Some(&token), Some(body)).await {
                    Some((201, v)) => acknowledged.lock().unwrap().push(v["id"].as_i64().unwrap()),
                    Some((status, v)) => panic!("{status} {v}"),
                    None => return,
                }
            }
        }
    });
    let killer = async {
        actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
        service.child.kill().unwrap();
        service.child.wait().unwrap();
    };
    futures_util::future::join(futures_util::future::join_all(writers), killer).await;
    let acked = acknowledged.lock().unwrap().clone();
    let service = start(&url, None).await;
    let token = login(&service.base, "city").await;
    let mut lost = 0;
    for id in &acked {
        if call(&service.base, "GET", &format!("/api/v1/retirees/{id}"), Some(&token), None).await.map(|r| r.0)
            != Some(200)
        {
            lost += 1;
        }
    }
    drop(service);
    // Whole: every person written by the clients has its creation audited and its event in the feed.
    let mut conn = persistence::connection::establish(&persistence::DatabaseUrl::parse(&url).unwrap()).unwrap();
    let stored = diesel::sql_query("SELECT id FROM retirees WHERE name LIKE '断电%'").load::<Id>(&mut conn).unwrap();
    let audited = diesel::sql_query(
        "SELECT r.id FROM retirees r WHERE r.name LIKE '断电%' AND EXISTS (SELECT 1 FROM audit_log a \
         WHERE a.action = 'retiree.create' AND a.retiree_id = r.id) AND EXISTS (SELECT 1 FROM events e \
         WHERE e.type = 'retiree.created' AND e.subject_id = r.id)",
    )
    .load::<Id>(&mut conn)
    .unwrap();
    drop(conn);
    drop_database(pg).await;
    let attempted = attempted.load(std::sync::atomic::Ordering::SeqCst);
    let partial = stored.len() - audited.len();
    let pass = lost == 0 && partial == 0 && !acked.is_empty() && stored.len() >= acked.len();
    report(
        "faults: SIGKILL during 16 concurrent writers, restart",
        Some(backend),
        &format!(
            "{} acknowledged of {attempted} sent, {lost} lost, {} stored, {partial} partial",
            acked.len(),
            stored.len()
        ),
        "0 lost, 0 partial",
        pass,
    );
    assert!(pass, "acknowledged {}, lost {lost}, stored {}, whole {}", acked.len(), stored.len(), audited.len());
}

#[actix_web::test]
async fn killed_during_writes() {
    killed_while_writing(Backend::Sqlite).await;
    killed_while_writing(Backend::Postgres).await;
}

fn pg_ctl(action: &str) {
    let version = std::fs::read_dir("/etc/postgresql").unwrap().flatten().next().unwrap().file_name();
    let status = std::process::Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", version.to_str().unwrap(), "main", action])
        .status()
        .unwrap();
    assert!(status.success(), "pg_ctlcluster {action}");
}

/// Restarts the PostgreSQL server under load (run alone: `scripts/reliability` does).
#[actix_web::test]
#[ignore = "restarts the PostgreSQL server; run alone by scripts/reliability"]
async fn postgres_restarted_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, pg)) = fresh_database(Backend::Postgres, dir.path()).await else { return };
    let service = start(&url, None).await;
    let token = login(&service.base, "city").await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let statuses = Arc::new(Mutex::new(std::collections::BTreeMap::<u16, u32>::new()));
    let load = (0..4).map(|_| {
        let (base, token, stop, statuses) = (service.base.clone(), token.clone(), stop.clone(), statuses.clone());
        async move {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let status =
                    call(&base, "GET", "/api/v1/retirees?limit=5", Some(&token), None).await.map(|r| r.0).unwrap_or(0);
                *statuses.lock().unwrap().entry(status).or_insert(0) += 1;
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let probe = async {
        actix_web::rt::time::sleep(Duration::from_secs(1)).await;
        actix_web::rt::task::spawn_blocking(|| pg_ctl("stop")).await.unwrap();
        let down = Instant::now();
        // While the database is down /readyz says so.
        let mut readyz_down = Vec::new();
        for _ in 0..5 {
            readyz_down.push(call(&service.base, "GET", "/readyz", None, None).await.map(|r| r.0).unwrap_or(0));
            actix_web::rt::time::sleep(Duration::from_millis(400)).await;
        }
        actix_web::rt::task::spawn_blocking(|| pg_ctl("start")).await.unwrap();
        let up = Instant::now();
        let outage = down.elapsed();
        // Then it comes back without a restart of the service.
        let mut recovered = None;
        while up.elapsed() < Duration::from_secs(60) {
            if call(&service.base, "GET", "/api/v1/retirees?limit=5", Some(&token), None)
                .await
                .is_some_and(|r| r.0 == 200)
                && call(&service.base, "GET", "/readyz", None, None).await.is_some_and(|r| r.0 == 200)
            {
                recovered = Some(up.elapsed());
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        (readyz_down, outage, recovered)
    };
    let (_, (readyz_down, outage, recovered)) =
        futures_util::future::join(futures_util::future::join_all(load), probe).await;
    drop(service);
    drop_database(pg).await;
    let statuses = statuses.lock().unwrap().clone();
    let truthful = readyz_down.iter().all(|s| *s == 503);
    let only_503 = statuses.keys().all(|s| *s == 200 || *s == 503);
    let pass = truthful && only_503 && recovered.is_some_and(|r| r < Duration::from_secs(10));
    report(
        "faults: PostgreSQL stopped and started under load",
        Some(Backend::Postgres),
        &format!(
            "outage {:.1} s, /readyz while down {readyz_down:?}, answers {statuses:?}, recovered {:.1} s after start",
            outage.as_secs_f64(),
            recovered.map(|r| r.as_secs_f64()).unwrap_or(f64::NAN)
        ),
        "/readyz 503 while down, only 200/503, recovers < 10 s",
        pass,
    );
    assert!(pass, "readyz {readyz_down:?}, statuses {statuses:?}, recovered {recovered:?}");
}
