//! The real binary killed with SIGKILL in the middle of an atomic retiree import (SQLite, the embedded
//! default): after a restart nothing of the file is visible and the job says it failed.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::id_number;

struct Service {
    child: Child,
    base: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start(db: &str) -> Service {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_retiree-service"))
        .args(["serve", "--demo"])
        .env("DATABASE_URL", format!("sqlite://{db}"))
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("JWT_SECRET", "crash-test-secret-0123456789abcdef-0123")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = awc::Client::default();
    for _ in 0..600 {
        if let Ok(res) = client.get(format!("{base}/readyz")).send().await
            && res.status().is_success()
        {
            return Service { child, base };
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the service did not start");
}

async fn call(method: &str, url: &str, token: Option<&str>, ct: &str, body: Vec<u8>) -> (u16, Value) {
    let client = awc::Client::builder().timeout(Duration::from_secs(120)).finish();
    let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client.request(method, url).insert_header(("Content-Type", ct));
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    let mut res = req.send_body(body).await.unwrap();
    let bytes = res.body().limit(16 << 20).await.unwrap();
    (res.status().as_u16(), serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn login(base: &str) -> String {
    let body = json!({"grant_type": "password", "username": "importer", "password": "demo-password-2026"});
    let (status, v) =
        call("POST", &format!("{base}/api/v1/auth/token"), None, "application/json", body.to_string().into()).await;
    assert_eq!(status, 200, "{v}");
    v["access_token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn killed_during_an_atomic_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db").display().to_string();
    let mut csv = String::from("name,id_number,retirement_date,category,management_level,community_code\r\n");
    for n in 0..150_000u32 {
        let day = time::Date::from_calendar_date(1940, time::Month::January, 1).unwrap()
            + time::Duration::days(i64::from(n / 400));
        let birth = format!("{}{:02}{:02}", day.year(), day.month() as u8, day.day());
        // Even sequence numbers from 200 up: the demo seed's people cannot collide with these.
        let id = id_number("350203", &birth, (200 + n % 400 * 2) as u16);
        csv.push_str(&format!("甲{n},{id},2010-01-01,enterprise_employee,city_managed,350203001001\r\n"));
    }
    let mut service = start(&db).await;
    let token = login(&service.base).await;
    let (status, job) =
        call("POST", &format!("{}/api/v1/imports/retirees", service.base), Some(&token), "text/csv", csv.into_bytes())
            .await;
    assert_eq!(status, 202, "{job}");
    let path = format!("/api/v1/imports/{}", job["id"]);
    let url = format!("{}{path}", service.base);
    // Kill it while it is reading (before the merge transaction could commit).
    let mut killed = false;
    for _ in 0..2000 {
        let (_, j) = call("GET", &url, Some(&token), "text/plain", vec![]).await;
        assert_eq!(j["status"].as_str().map(|s| s == "queued" || s == "running"), Some(true), "ended too soon: {j}");
        if j["status"] == "running" && j["rows_read"].as_i64().unwrap_or(0) > 1000 {
            service.child.kill().unwrap();
            service.child.wait().unwrap();
            killed = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(killed);
    drop(service);
    let service = start(&db).await;
    let token = login(&service.base).await;
    let (status, j) = call("GET", &format!("{}{path}", service.base), Some(&token), "text/plain", vec![]).await;
    assert_eq!(status, 200);
    let conn_url = format!("sqlite://{db}");
    let mut conn = persistence::connection::establish(&persistence::DatabaseUrl::parse(&conn_url).unwrap()).unwrap();
    let retirees = persistence::retirees::count(&mut conn).unwrap();
    crate::hardening::report(
        "faults: SIGKILL during an atomic import of 150,000 rows, restart",
        Some(crate::helpers::Backend::Sqlite),
        &format!("job {} ({}), {} of the file's rows visible", j["status"], j["error"]["code"], retirees - 300),
        "job failed/interrupted, 0 rows visible",
        j["status"] == "failed" && j["error"]["code"] == "interrupted" && retirees == 300,
    );
    assert_eq!(
        (j["status"].as_str(), j["error"]["code"].as_str(), &j["created"]),
        (Some("failed"), Some("interrupted"), &json!(0)),
        "{j}"
    );
    // Nothing of the file: the retirees are the demo's 300, no person of the file can be found.
    assert_eq!(retirees, 300);
}
