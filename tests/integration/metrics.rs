//! `/metrics` (issue 22): every family appears after the action that drives it, with its exact labels; the
//! `healthcheck` subcommand against a running server and a dead port. On both backends.

use std::process::Command;

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;
use crate::retiree_imports::{bad_checksum, file, import, row};

/// The exposition text of a server.
pub async fn scrape(app: &TestApp) -> String {
    let res = app.request("GET", "/metrics", None, &[], None).await.expect(200);
    assert_eq!(res.header("content-type"), Some("text/plain; version=0.0.4"), "{}", res.text);
    res.text
}

/// The value of the sample `series` (name and labels exactly as exposed), `None` when absent.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

/// `webhook_deliveries_total` of subscription `hook` on the server at `base` (another replica): failed with 500,
/// delivered with 200, failed without an answer (the encoder writes labels in name order).
pub async fn webhook_deliveries(base: &str, hook: i64) -> [Option<f64>; 3] {
    let mut res = awc::Client::default().get(format!("{base}/metrics")).send().await.expect("metrics");
    assert_eq!(res.status().as_u16(), 200);
    let text = String::from_utf8(res.body().await.expect("body").to_vec()).expect("UTF-8");
    [("failed", "500"), ("delivered", "200"), ("failed", "none")].map(|(outcome, status)| {
        sample(
            &text,
            &format!("webhook_deliveries_total{{outcome=\"{outcome}\",status=\"{status}\",webhook=\"{hook}\"}}"),
        )
    })
}

fn value(text: &str, series: &str) -> f64 {
    sample(text, series).unwrap_or_else(|| panic!("{series} missing from\n{text}"))
}

fn absent(text: &str, family: &str) {
    assert!(!text.lines().any(|l| l.starts_with(&format!("{family}{{"))), "{family} before its action:\n{text}");
}

/// Runs `retiree-service healthcheck ARGS` (with `BIND_ADDR` when given) off the test's thread, which serves.
async fn healthcheck(args: &[&str], bind_addr: Option<&str>) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_retiree-service"));
    command.arg("healthcheck").args(args).env_remove("BIND_ADDR");
    if let Some(bind) = bind_addr {
        command.env("BIND_ADDR", bind);
    }
    actix_web::rt::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

async fn login(app: &TestApp, user: &str, password: &str) -> Resp {
    let body = json!({"grant_type": "password", "username": user, "password": password}).to_string();
    app.request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")], Some(body.into_bytes()))
        .await
}

both_backends! {
    async fn process_and_build_families_are_there_from_the_start(app: &TestApp) {
        let text = scrape(app).await;
        for family in ["process_cpu_seconds_total counter", "process_resident_memory_bytes gauge", "process_open_fds gauge",
            "process_max_fds gauge", "process_start_time_seconds gauge", "db_pool_connections gauge",
            "audit_writer_pending gauge", "import_jobs_running gauge", "import_jobs_waiting gauge"] {
            assert!(text.contains(&format!("# TYPE {family}\n")), "{family}:\n{text}");
        }
        assert!(value(&text, "process_resident_memory_bytes") > 1_000_000.0);
        assert!(value(&text, "process_open_fds") >= 3.0);
        assert_eq!(value(&text, "import_jobs_running"), 0.0);
        let build = format!(
            "retiree_service_build_info{{version=\"{}\",git_commit=\"{}\"}}",
            env!("CARGO_PKG_VERSION"),
            api::metrics::GIT_COMMIT
        );
        assert_eq!(value(&text, &build), 1.0);
        assert!(!api::metrics::GIT_COMMIT.is_empty());
        for family in ["import_jobs_total", "import_rows_total", "certification_runs_total", "feed_batches_total",
            "feed_records_total", "webhook_deliveries_total", "auth_login_attempts_total"] {
            absent(&text, family);
        }
        assert_eq!(value(&text, "auth_login_locks_total"), 0.0);
    }

    async fn logins_failures_and_locks_are_counted(app: &TestApp) {
        login(app, "city", PASSWORD).await.expect(200);
        // LOGIN_MAX_FAILURES is 3 in the tests: the third failure starts the delay, the fourth attempt waits.
        for _ in 0..3 {
            login(app, "city", "wrong-password").await.problem(401, "invalid_credentials");
        }
        login(app, "city", "wrong-password").await.problem(429, "login_throttled");
        let text = scrape(app).await;
        assert_eq!(value(&text, "auth_login_attempts_total{outcome=\"success\"}"), 1.0);
        assert_eq!(value(&text, "auth_login_attempts_total{outcome=\"invalid_credentials\"}"), 3.0);
        assert_eq!(value(&text, "auth_login_attempts_total{outcome=\"throttled\"}"), 1.0);
        assert_eq!(value(&text, "auth_login_locks_total"), 1.0);
        // The requests themselves, by route and status.
        assert_eq!(value(&text, "http_requests_total{method=\"POST\",route=\"/api/v1/auth/token\",status=\"401\"}"), 3.0);
        assert_eq!(value(&text, "http_requests_total{method=\"POST\",route=\"/api/v1/auth/token\",status=\"429\"}"), 1.0);
    }

    async fn import_jobs_and_their_rows_are_counted(app: &TestApp) {
        let csv = file([row(1, "350203001001"), bad_checksum(2, "350203001001"), row(3, "350203001001")]);
        let job = import(app, "importer", "?mode=partial", "text/csv", csv.as_bytes()).await;
        assert_eq!(job["status"], "completed_with_errors", "{job}");
        let job = import(app, "importer", "", "text/csv", file([row(4, "350203001001")]).as_bytes()).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(app.count("retirees"), 3);
        // The job's thread counts it just after writing its final status: wait for that (bounded).
        let mut text = scrape(app).await;
        for _ in 0..100 {
            if sample(&text, "import_jobs_total{kind=\"retirees\",status=\"succeeded\"}").is_some()
                && sample(&text, "import_jobs_running") == Some(0.0)
            {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
            text = scrape(app).await;
        }
        assert_eq!(value(&text, "import_jobs_total{kind=\"retirees\",status=\"completed_with_errors\"}"), 1.0);
        assert_eq!(value(&text, "import_jobs_total{kind=\"retirees\",status=\"succeeded\"}"), 1.0);
        assert_eq!(value(&text, "import_rows_total{kind=\"retirees\",result=\"read\"}"), 4.0);
        assert_eq!(value(&text, "import_rows_total{kind=\"retirees\",result=\"rejected\"}"), 1.0);
        assert_eq!(value(&text, "import_jobs_running"), 0.0);
        assert_eq!(value(&text, "import_jobs_waiting"), 0.0);
    }

    async fn certification_runs_and_feed_batches_are_counted(app: &TestApp) {
        app.post("/api/v1/certification-runs", "city", &json!({"jurisdiction": "350203", "dry_run": true})).await.expect(201);
        app.post("/api/v1/certification-runs", "city", &json!({"jurisdiction": "350203"})).await.expect(201);
        app.post("/api/v1/certification-runs", "city", &json!({"jurisdiction": "350203", "dry_run": true})).await.expect(201);
        let token = app.token("platform");
        let person = retiree_body("350203001001", 7);
        app.create_retiree("siming", &person).await;
        let known = person["id_number"].as_str().unwrap().to_owned();
        let stranger = id_number("350206", "19480202", 1);
        let body = format!(
            "{}\n{}\n",
            json!({"id_number": known, "date": "2026-07-15", "source": "厦门市医保平台"}),
            json!({"id_number": stranger, "date": "2026-07-15", "source": "厦门市医保平台"}),
        );
        let send = |batch: &'static str| {
            let body = body.clone().into_bytes();
            let token = token.clone();
            async move {
                app.request("POST", &format!("/api/v1/feeds/medical_visit?batch_id={batch}"), Some(&token),
                    &[("Content-Type", "application/x-ndjson")], Some(body)).await
            }
        };
        let first = send("m-1").await.expect(201);
        assert_eq!([&first.body["matched"], &first.body["unmatched"], &first.body["rejected"]], [&json!(1), &json!(1), &json!(0)], "{}", first.text);
        send("m-1").await.expect(200);
        assert_eq!(app.count("feed_batches"), 1);
        let text = scrape(app).await;
        assert_eq!(value(&text, "certification_runs_total{mode=\"dry_run\"}"), 2.0);
        assert_eq!(value(&text, "certification_runs_total{mode=\"real\"}"), 1.0);
        assert_eq!(value(&text, "feed_batches_total{feed=\"medical_visit\",outcome=\"created\"}"), 1.0);
        assert_eq!(value(&text, "feed_batches_total{feed=\"medical_visit\",outcome=\"replayed\"}"), 1.0);
        for (result, n) in [("matched", 1.0), ("unmatched", 1.0), ("rejected", 0.0)] {
            assert_eq!(value(&text, &format!("feed_records_total{{feed=\"medical_visit\",result=\"{result}\"}}")), n);
        }
    }

    async fn healthcheck_answers_for_a_running_server_and_a_dead_port(app: &TestApp) {
        let addr = app.base.trim_start_matches("http://").to_owned();
        let port = addr.rsplit(':').next().unwrap().to_owned();
        let out = healthcheck(&["--addr", &addr], None).await;
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("{addr}: HTTP/1.1 200 OK"));
        // From BIND_ADDR, as in the container: 0.0.0.0 is probed on the loopback address.
        let out = healthcheck(&[], Some(&format!("0.0.0.0:{port}"))).await;
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        // A port nobody listens on.
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let out = healthcheck(&["--addr", &dead.to_string(), "--timeout-seconds", "2"], None).await;
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with(&format!("retiree-service: {dead}: ")), "{stderr}");
    }
}
