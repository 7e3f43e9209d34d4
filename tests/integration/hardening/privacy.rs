//! Parts 9 and 10: the real binary at `RUST_LOG=trace` driven through logins (good and bad passwords), the
//! registry (create, search, read, update, dependents), an import, an export and the request example of every
//! write operation. Afterwards: no full resident ID, phone number or password in its log; no internal detail in
//! any answer; and every write and every personal read that succeeded has its row in the audit log (matched by
//! `X-Request-Id`).

use std::time::Duration;

use diesel::prelude::*;
use serde_json::{Value, json};

use super::{internal_detail, report};
use crate::helpers::*;
use crate::process::{drop_database, fresh_database, start};

const PASSWORD: &str = api::seed::DEMO_PASSWORD;
const WRONG_PASSWORD: &str = "Wrong-Secret-Passw0rd-77";

struct Client {
    http: awc::Client,
    base: String,
    n: u32,
    /// (request id, method, path, status) of every call.
    calls: Vec<(String, String, String, u16)>,
    internal: Vec<String>,
}

impl Client {
    async fn call(&mut self, method: &str, path: &str, token: Option<&str>, ct: &str, body: Vec<u8>) -> (u16, Value) {
        self.n += 1;
        let rid = format!("rel-{}", self.n);
        let mut req = self
            .http
            .request(awc::http::Method::from_bytes(method.as_bytes()).unwrap(), format!("{}{path}", self.base))
            .insert_header(("X-Request-Id", rid.as_str()))
            .insert_header(("Idempotency-Key", rid.as_str()))
            .insert_header(("If-Match", "\"1\""));
        if !ct.is_empty() {
            req = req.insert_header(("Content-Type", ct));
        }
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let mut res =
            if body.is_empty() && method == "GET" { req.send().await } else { req.send_body(body).await }.unwrap();
        let bytes = res.body().limit(64 << 20).await.unwrap();
        let status = res.status().as_u16();
        let text = String::from_utf8_lossy(&bytes);
        if let Some(m) = internal_detail(&text) {
            self.internal.push(format!("{method} {path}: {m:?} in {text}"));
        }
        self.calls.push((rid, method.into(), path.into(), status));
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn json(&mut self, method: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.call(method, path, Some(token), "application/json", body.to_string().into_bytes()).await
    }

    async fn login(&mut self, user: &str, password: &str) -> (u16, Value) {
        let body = json!({"grant_type": "password", "username": user, "password": password});
        self.call("POST", "/api/v1/auth/token", None, "application/json", body.to_string().into_bytes()).await
    }
}

/// Whether a successful call must have left an audit row: every write, and every read of one person's details.
fn must_be_audited(method: &str, path: &str, status: u16) -> bool {
    if !(200..300).contains(&status) || path.starts_with("/api/v1/auth/token") {
        return false;
    }
    method != "GET"
        || path.starts_with("/api/v1/retirees/")
        || path.starts_with("/api/v1/exports/")
        || path.starts_with("/api/v1/death-reports/")
        || path.starts_with("/api/v1/dependent-support/")
        || path.starts_with("/api/v1/condolences/")
        || path.starts_with("/api/v1/visits/")
        || path.starts_with("/api/v1/overpayments/")
        || path.starts_with("/api/v1/transfers/")
}

async fn run(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((database_url, pg)) = fresh_database(backend, dir.path()).await else { return };
    let log = dir.path().join("service.log");
    let service = start(&database_url, Some(&log)).await;
    let http = awc::Client::builder().timeout(Duration::from_secs(120)).finish();
    let mut c = Client { http, base: service.base.clone(), n: 0, calls: Vec::new(), internal: Vec::new() };
    // Secrets and personal data the log must never show.
    let id = id_number("350203", "19480305", 611);
    let dep_id = id_number("350203", "19500707", 612);
    let file_id = id_number("350203", "19460101", 613);
    let bad_id = format!("{}{}", &id[..17], if id.ends_with('0') { '1' } else { '0' });
    let (phone, phone2, dep_phone) = ("13912345671", "13987654329", "13655554444");
    let secrets = [id.as_str(), dep_id.as_str(), file_id.as_str(), phone, phone2, dep_phone, PASSWORD, WRONG_PASSWORD];

    assert_eq!(c.login("hongshan", WRONG_PASSWORD).await.0, 401);
    let (status, t) = c.login("city", PASSWORD).await;
    assert_eq!(status, 200, "{t}");
    let city = t["access_token"].as_str().unwrap().to_owned();
    let body = json!({"name": "隐私李四", "id_number": id, "retirement_date": "2008-03-01", "category": "enterprise_employee",
        "management_level": "city_managed", "community_code": "350203001001", "phone": phone, "address": "思明区大学路9号",
        "monthly_pension": "4100.00"});
    let (status, created) = c.json("POST", "/api/v1/retirees", &city, &body).await;
    assert_eq!(status, 201, "{created}");
    let rid = created["id"].as_i64().unwrap();
    let mut invalid = body.clone();
    invalid["id_number"] = json!(bad_id);
    assert_eq!(c.json("POST", "/api/v1/retirees", &city, &invalid).await.0, 422);
    assert_eq!(c.json("POST", "/api/v1/retirees/search", &city, &json!({"id_number": id})).await.0, 200);
    assert_eq!(c.call("GET", &format!("/api/v1/retirees/{rid}"), Some(&city), "", vec![]).await.0, 200);
    assert_eq!(c.json("PATCH", &format!("/api/v1/retirees/{rid}"), &city, &json!({"phone": phone2})).await.0, 200);
    let dep = json!({"name": "隐私王五", "id_number": dep_id, "relationship": "spouse", "phone": dep_phone});
    let (status, d) = c.json("POST", &format!("/api/v1/retirees/{rid}/dependents"), &city, &dep).await;
    assert!(status == 201 || status == 422, "{d}");
    assert_eq!(c.call("GET", &format!("/api/v1/retirees/{rid}/dependents"), Some(&city), "", vec![]).await.0, 200);
    assert_eq!(c.call("GET", &format!("/api/v1/retirees/{rid}/timeline"), Some(&city), "", vec![]).await.0, 200);
    assert_eq!(
        c.call("GET", "/api/v1/exports/retirees?jurisdiction=350203001001&format=csv", Some(&city), "", vec![]).await.0,
        200
    );
    let (_, t) = c.login("importer", PASSWORD).await;
    let importer = t["access_token"].as_str().unwrap().to_owned();
    let csv = format!(
        "name,id_number,retirement_date,category,management_level,community_code,phone\n\
                       隐私赵六,{file_id},2006-01-01,enterprise_employee,city_managed,350203001001,13700001111\n\
                       坏行,{bad_id},2006-01-01,enterprise_employee,city_managed,350203001001,1370000\n"
    );
    let (status, job) =
        c.call("POST", "/api/v1/imports/retirees?mode=partial", Some(&importer), "text/csv", csv.into_bytes()).await;
    assert_eq!(status, 202, "{job}");
    for _ in 0..200 {
        let (_, j) = c.call("GET", &format!("/api/v1/imports/{}", job["id"]), Some(&importer), "", vec![]).await;
        if j["status"] != "queued" && j["status"] != "running" {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    // The request example of every write operation, on the first objects (what succeeds must be audited).
    let (_, doc) = c.call("GET", "/openapi.json", None, "", vec![]).await;
    for (path, ops) in doc["paths"].as_object().unwrap().clone() {
        if !path.starts_with("/api/v1/")
            || path.contains("/auth/")
            || path.contains("/imports/")
            || path.contains("/feeds/")
        {
            continue;
        }
        for (method, op) in ops.as_object().unwrap() {
            let method = method.to_ascii_uppercase();
            let Some(body) = super::scope::example_body(&doc, op) else { continue };
            if method == "GET" {
                continue;
            }
            for target in [super::scope::fill(&path, 1, "350203001001"), super::scope::fill(&path, rid, "350203001001")]
            {
                c.json(&method, &target, &city, &body).await;
                if !path.contains('{') {
                    break;
                }
            }
        }
        if ops.get("get").is_some() && path.contains('{') {
            c.call("GET", &super::scope::fill(&path, rid, "350203001001"), Some(&city), "", vec![]).await;
        }
    }
    drop(service);

    // The log.
    // The log is stderr; stdout carries only the demo banner, which prints the demo password on purpose.
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let banner = std::fs::read_to_string(log.with_extension("out")).unwrap_or_default();
    let lines = text.lines().count();
    let mut found: Vec<&str> = secrets.iter().copied().filter(|s| text.contains(s)).collect();
    found.extend(secrets.iter().copied().filter(|s| *s != PASSWORD && banner.contains(s)));
    // The audit log.
    let url = persistence::DatabaseUrl::parse(&database_url).unwrap();
    let mut conn = persistence::connection::establish(&url).unwrap();
    let audited: std::collections::HashSet<String> = {
        use persistence::schema::audit_log::dsl;
        dsl::audit_log
            .select(dsl::request_id)
            .filter(dsl::request_id.is_not_null())
            .load::<Option<String>>(&mut conn)
            .unwrap()
            .into_iter()
            .flatten()
            .collect()
    };
    let due: Vec<_> = c.calls.iter().filter(|(_, m, p, s)| must_be_audited(m, p, *s)).collect();
    let missing: Vec<String> = due
        .iter()
        .filter(|(rid, ..)| !audited.contains(rid))
        .map(|(rid, m, p, s)| format!("{rid} {m} {p} → {s}"))
        .collect();
    drop(conn);
    drop_database(pg).await;
    let pass = found.is_empty() && c.internal.is_empty();
    report(
        "secrets: trace log of a run; internal detail in answers",
        Some(backend),
        &format!(
            "{lines} log lines, {} secrets found; {} calls, {} answers with internal detail",
            found.len(),
            c.calls.len(),
            c.internal.len()
        ),
        "0 and 0",
        pass,
    );
    report(
        "audit completeness: writes and personal reads",
        Some(backend),
        &format!(
            "{} of {} audited ({} operations)",
            due.len() - missing.len(),
            due.len(),
            due.iter().map(|(_, m, p, _)| (m, p)).collect::<std::collections::BTreeSet<_>>().len()
        ),
        "all",
        missing.is_empty(),
    );
    assert!(found.is_empty(), "secrets in the log: {found:?}");
    assert!(c.internal.is_empty(), "{}", c.internal.join("\n"));
    assert!(missing.is_empty(), "not audited:\n{}", missing.join("\n"));
    assert!(due.len() >= 30, "only {} audited calls made", due.len());
}

#[actix_web::test]
async fn nothing_secret_in_logs_and_every_access_audited() {
    run(Backend::Sqlite).await;
    run(Backend::Postgres).await;
}
