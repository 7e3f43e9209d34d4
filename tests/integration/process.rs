//! The real `retiree-service` binary as a child process (for the tests that kill it or read its log): start it
//! on a database, wait until it is ready, call it, log in, and make or drop a PostgreSQL database for it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Backend, PgDatabase, create_pg_database, pg_base_url};

/// A running service; killed when dropped.
pub struct Service {
    pub child: Child,
    pub base: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve --demo` on `database_url` and waits for `/readyz`. With `log`, it logs at `trace` to that file
/// (stderr) and writes its banner beside it (`.out`); without, at `warn` to nowhere.
pub async fn start(database_url: &str, log: Option<&Path>) -> Service {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (level, stdout, stderr) = match log {
        Some(log) => (
            "trace",
            Stdio::from(std::fs::File::create(log.with_extension("out")).unwrap()),
            Stdio::from(std::fs::File::create(log).unwrap()),
        ),
        None => ("warn", Stdio::null(), Stdio::null()),
    };
    let child = Command::new(env!("CARGO_BIN_EXE_retiree-service"))
        .args(["serve", "--demo"])
        .env("DATABASE_URL", database_url)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("JWT_SECRET", "process-test-secret-0123456789abcdef-0123")
        .env("RUST_LOG", level)
        .env("WEBHOOK_DISPATCH", "off")
        .env("DATA_KEYS", crate::helpers::TEST_DATA_KEYS)
        .env("DATA_KEY_ID", "t1")
        .env("DATA_HASH_KEY", crate::helpers::TEST_HASH_KEY)
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap();
    let service = Service { child, base: format!("http://127.0.0.1:{port}") };
    for _ in 0..600 {
        if call(&service.base, "GET", "/readyz", None, "", vec![]).await.is_some_and(|r| r.0 == 200) {
            return service;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the service did not become ready");
}

/// One call; `None` when no answer came (the service is down or was killed).
pub async fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> Option<(u16, Value)> {
    let client = awc::Client::builder().timeout(Duration::from_secs(120)).finish();
    let mut req = client.request(awc::http::Method::from_bytes(method.as_bytes()).unwrap(), format!("{base}{path}"));
    if !content_type.is_empty() {
        req = req.insert_header(("Content-Type", content_type));
    }
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    let mut res = req.send_body(body).await.ok()?;
    let bytes = res.body().limit(16 << 20).await.ok()?;
    Some((res.status().as_u16(), serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
}

/// A JSON call.
pub async fn call_json(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> Option<(u16, Value)> {
    call(base, method, path, token, "application/json", body.to_string().into_bytes()).await
}

/// A token for a demo user.
pub async fn login(base: &str, user: &str) -> String {
    let body = json!({"grant_type": "password", "username": user, "password": api::seed::DEMO_PASSWORD});
    let (status, v) = call_json(base, "POST", "/api/v1/auth/token", None, &body).await.unwrap();
    assert_eq!(status, 200, "{v}");
    v["access_token"].as_str().unwrap().to_owned()
}

/// A fresh database for the binary: a SQLite file in `dir`, or a PostgreSQL database made from the migrated
/// template (dropped by [`drop_database`], or when the guard is dropped, e.g. by a panic); `None` on PostgreSQL
/// without `TEST_POSTGRES_URL` (a failure under `REQUIRE_POSTGRES=1`).
pub async fn fresh_database(backend: Backend, dir: &Path) -> Option<(String, Option<PgDatabase>)> {
    match backend {
        Backend::Sqlite => Some((format!("sqlite://{}/service.db", dir.display()), None)),
        Backend::Postgres => {
            let base = pg_base_url()?;
            let db = actix_web::rt::task::spawn_blocking(move || create_pg_database(&base)).await.unwrap();
            Some((db.url.clone(), Some(db)))
        }
    }
}

/// Drops a database made by [`fresh_database`] (off the async runtime).
pub async fn drop_database(pg: Option<PgDatabase>) {
    if let Some(db) = pg {
        let _ = actix_web::rt::task::spawn_blocking(move || drop(db)).await;
    }
}
