//! Part 4: hostile input. Bodies over the limit, a gzip bomb, JSON nested 100,000 deep, invalid UTF-8, NUL
//! bytes, huge strings in every text field of every request example, numbers out of range and impossible dates:
//! a clear 4xx each (problem+json, no internal detail), no crash, no change in the database.

use std::io::Write;

use serde_json::{Value, json};

use super::{digest, internal_detail, report};
use crate::helpers::*;

/// The service's default JSON limit (256 KiB), so that 100,000 levels of nesting fit in a body.
const SETTINGS: [(&str, &str); 2] = [("JSON_BODY_LIMIT_BYTES", "262144"), ("IMPORT_UNPACKED_LIMIT_BYTES", "8388608")];

struct Tally {
    cases: u32,
    bad: Vec<String>,
}

impl Tally {
    /// A 4xx problem+json without internal detail (`status` when given).
    fn refused(&mut self, what: &str, res: &Resp, status: Option<u16>) {
        self.cases += 1;
        let code = res.status.as_u16();
        let problem = res.header("content-type") == Some("application/problem+json");
        let ok = (400..500).contains(&code) && status.is_none_or(|s| s == code) && problem;
        if !ok {
            self.bad.push(format!("{what}: {code} {}", res.text.chars().take(400).collect::<String>()));
        } else if let Some(m) = internal_detail(&res.text) {
            self.bad.push(format!("{what}: internal detail {m:?}: {}", res.text));
        }
    }

    /// A 422 whose errors name `field`.
    fn names(&mut self, what: &str, res: &Resp, field: &str) {
        self.refused(what, res, Some(422));
        let pointer = format!("/{field}");
        let named = res.body["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["field"] == field || e["field"] == pointer.as_str()));
        if res.status.as_u16() == 422 && !named {
            self.bad.push(format!("{what}: 422 without an error on {field}: {}", res.text));
        }
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

async fn raw(app: &TestApp, method: &str, path: &str, ct: &str, body: Vec<u8>, extra: &[(&str, &str)]) -> Resp {
    let token = app.token("city");
    let mut headers = vec![("Content-Type", ct)];
    headers.extend_from_slice(extra);
    app.request(method, path, Some(&token), &headers, Some(body)).await
}

/// Every string of a JSON value replaced, one at a time, by `huge`: (pointer, body).
fn each_string_replaced(value: &Value, huge: &str) -> Vec<(String, Value)> {
    fn walk(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::String(_) => out.push(at),
            Value::Array(items) => items.iter().enumerate().for_each(|(i, x)| walk(x, format!("{at}/{i}"), out)),
            Value::Object(map) => map.iter().for_each(|(k, x)| walk(x, format!("{at}/{k}"), out)),
            _ => {}
        }
    }
    let mut pointers = Vec::new();
    walk(value, String::new(), &mut pointers);
    pointers
        .into_iter()
        .map(|p| {
            let mut body = value.clone();
            *body.pointer_mut(&p).unwrap() = json!(huge);
            (p, body)
        })
        .collect()
}

async fn case(app: &TestApp) {
    let doc = app.request("GET", "/openapi.json", None, &[], None).await.expect(200).body;
    // Objects for the operations on ids to reach their validation: a retiree, a dependent.
    let retiree = app.create_retiree("city", &retiree_body("350203001001", 1)).await;
    let rid = retiree["id"].as_i64().unwrap();
    let before = digest(app);
    let mut t = Tally { cases: 0, bad: Vec::new() };
    let good = retiree_body("350203001001", 2);
    let json_ct = "application/json";

    // Over the limit, declared and streamed.
    let mut big = good.clone();
    big["notes"] = json!("x".repeat(300_000));
    let res = raw(app, "POST", "/api/v1/retirees", json_ct, big.to_string().into_bytes(), &[]).await;
    t.refused("body over the JSON limit", &res, Some(413));
    // Nested 100,000 deep (fits in 256 KiB): refused as unreadable, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    t.refused(
        "JSON nested 100,000 deep",
        &raw(app, "POST", "/api/v1/retirees", json_ct, deep.into_bytes(), &[]).await,
        Some(400),
    );
    let deep_obj = format!("{}1{}", r#"{"a":"#.repeat(40_000), "}".repeat(40_000));
    t.refused(
        "objects nested 40,000 deep",
        &raw(app, "POST", "/api/v1/retirees/search", json_ct, deep_obj.into_bytes(), &[]).await,
        Some(400),
    );
    // A gzip-encoded JSON body (the service does not inflate request bodies).
    let gz = gzip(good.to_string().as_bytes());
    t.refused(
        "Content-Encoding: gzip JSON",
        &raw(app, "POST", "/api/v1/retirees", json_ct, gz, &[("Content-Encoding", "gzip")]).await,
        None,
    );
    // Invalid UTF-8 inside a string, and as the whole body.
    let mut bytes = good.to_string().into_bytes();
    let zhang: &[u8] = &"张".as_bytes()[..2];
    let at = bytes.windows(2).position(|w| w == zhang).unwrap();
    bytes[at] = 0xFF;
    t.refused("invalid UTF-8 in a string", &raw(app, "POST", "/api/v1/retirees", json_ct, bytes, &[]).await, Some(400));
    t.refused(
        "invalid UTF-8 body",
        &raw(app, "POST", "/api/v1/retirees", json_ct, vec![0xC3, 0x28, 0xFF, 0xFE], &[]).await,
        Some(400),
    );
    // NUL bytes: in a JSON string, in a query, in a path.
    let mut nul = good.clone();
    nul["name"] = json!("张\u{0}三");
    t.names(
        "NUL in a JSON string",
        &raw(app, "POST", "/api/v1/retirees", json_ct, nul.to_string().into_bytes(), &[]).await,
        "name",
    );
    for path in [
        "/api/v1/retirees?name_prefix=%00",
        "/api/v1/retirees?jurisdiction=3502%00",
        "/api/v1/retirees/1%00",
        "/api/v1/jurisdictions/3502%00",
        "/api/v1/retirees?cursor=%00%00",
        "/api/v1/retirees?name_prefix=%FF%FE",
        "/api/v1/retirees/%FF",
        "/api/v1/audit-log?actor=%00",
    ] {
        let res = app.get(path, "city").await;
        t.refused(&format!("GET {path}"), &res, None);
    }
    // Long queries: a name prefix longer than any name (422), a query beyond 8 KiB (414).
    let res = app.get(&format!("/api/v1/retirees?name_prefix={}", "a".repeat(51)), "city").await;
    t.names("name_prefix of 51 characters", &res, "name_prefix");
    let res = app.get(&format!("/api/v1/retirees?name_prefix={}", "a".repeat(20_000)), "city").await;
    t.refused("a 20,000-character query", &res, Some(414));
    // Numbers out of range and impossible dates.
    for (field, value) in [
        ("monthly_pension", json!("1e400")),
        ("monthly_pension", json!("99999999999999999999999.99")),
        ("monthly_pension", json!("-0.01")),
        ("monthly_pension", json!(1e308)),
        ("retirement_date", json!("2026-02-30")),
        ("retirement_date", json!("2026-13-01")),
        ("retirement_date", json!("99999-01-01")),
        ("birth_date", json!("1955-02-29")),
        ("party_member", json!(99999999999999999999u128 as f64)),
    ] {
        let mut body = good.clone();
        body[field] = value.clone();
        let res = raw(app, "POST", "/api/v1/retirees", json_ct, body.to_string().into_bytes(), &[]).await;
        t.names(&format!("{field} = {value}"), &res, field);
    }
    for path in [
        "/api/v1/retirees/99999999999999999999",
        "/api/v1/retirees/-1",
        "/api/v1/retirees?limit=99999999999999999999",
        "/api/v1/retirees?age_min=99999999999",
        "/api/v1/retirees?age_min=-5",
        "/api/v1/jurisdictions/3502/policy?on=2026-02-30",
        "/api/v1/calendar/deadline?from=2026-02-30&working_days=5",
        "/api/v1/calendar/deadline?from=2026-01-05&working_days=99999999999",
        "/api/v1/events?after=99999999999999999999",
        "/api/v1/events?after=-1",
    ] {
        let res = app.get(path, "city").await;
        t.refused(&format!("GET {path}"), &res, None);
    }
    // Huge strings (50,000 characters) in every text field of every request example, on real objects.
    let huge = "甲".repeat(50_000);
    let mut huge_cases = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") || path.contains("/auth/token") {
            continue;
        }
        for (method, op) in ops.as_object().unwrap() {
            let method = method.to_ascii_uppercase();
            if !["POST", "PATCH", "PUT"].contains(&method.as_str()) {
                continue;
            }
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) else { continue };
            let example = &doc["components"]["schemas"][name]["example"];
            if example.is_null() {
                continue;
            }
            let target = path
                .replace("{id}", &rid.to_string())
                .replace("{code}", "350203001001")
                .replace("{dependent_id}", "1")
                .replace("{jurisdiction}", "350203")
                .replace("{year}", "2026");
            for (pointer, body) in each_string_replaced(example, &huge) {
                let res =
                    raw(app, &method, &target, json_ct, body.to_string().into_bytes(), &[("If-Match", "\"1\"")]).await;
                huge_cases += 1;
                t.refused(&format!("{method} {target} with 50,000 characters at {pointer}"), &res, None);
            }
        }
    }
    let after = digest(app);
    let changed: Vec<_> = before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: {v} → {:?}", after.get(k)))
        .collect();
    app.request("GET", "/healthz", None, &[], None).await.expect(200);
    let pass = t.bad.is_empty() && changed.is_empty();
    report(
        "hostile input: JSON bodies, queries, paths",
        Some(app.backend),
        &format!(
            "{} cases ({huge_cases} huge strings), {} not a clear 4xx, {} tables changed",
            t.cases,
            t.bad.len(),
            changed.len()
        ),
        "every case a 4xx problem, no change",
        pass,
    );
    assert!(t.bad.is_empty(), "{} of {} cases:\n{}", t.bad.len(), t.cases, t.bad.join("\n"));
    assert!(changed.is_empty(), "hostile input changed the database: {changed:?}");
}

/// How an upload answered: the status and error code of its job when it was accepted (202), else the status and
/// code of the answer.
async fn job_verdict(app: &TestApp, token: &str, res: &Resp) -> (Value, Value) {
    if res.status.as_u16() != 202 {
        return (json!(res.status.as_u16()), res.body["code"].clone());
    }
    let path = res.header("location").unwrap().to_owned();
    let mut job = Value::Null;
    for _ in 0..600 {
        job = app.request("GET", &path, Some(token), &[], None).await.expect(200).body;
        if job["status"] != "queued" && job["status"] != "running" {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    (job["status"].clone(), job["error"]["code"].clone())
}

/// Files: a gzip bomb, NUL bytes and invalid UTF-8 in a roster, a division file over the limit.
async fn files(app: &TestApp) {
    let before = digest(app);
    let mut t = Tally { cases: 0, bad: Vec::new() };
    let admin = app.token("admin");
    // 64 MiB of a header and zeros packed into some 64 KiB; the unpacked limit here is 8 MiB.
    let mut plain = b"code,name,level,parent_code\n".to_vec();
    plain.resize(64 << 20, b'0');
    let bomb = gzip(&plain);
    let res = app
        .request(
            "POST",
            "/api/v1/imports/jurisdictions?mode=atomic",
            Some(&admin),
            &[("Content-Type", "text/csv")],
            Some(bomb.clone()),
        )
        .await;
    t.refused("gzip bomb as a division file", &res, Some(413));
    let importer = app.token("importer");
    let res = app
        .request("POST", "/api/v1/imports/retirees", Some(&importer), &[("Content-Type", "text/csv")], Some(bomb))
        .await;
    // A job: accepted, then it must end rejected for the size, not fill the disk.
    let verdict = job_verdict(app, &importer, &res).await;
    t.cases += 1;
    if verdict != (json!("rejected"), json!("file_too_large")) && verdict != (json!(413), json!("file_too_large")) {
        t.bad.push(format!("gzip bomb as a roster: {verdict:?}"));
    }
    // A NUL byte in a roster's header: an unknown column on both backends, never an internal error (issue 21.7).
    let res = app
        .request(
            "POST",
            "/api/v1/imports/retirees",
            Some(&importer),
            &[("Content-Type", "text/csv")],
            Some(b"na\0me,id_number\n\xe5\xbc\xa0,350203195501010016\n".to_vec()),
        )
        .await;
    let verdict = job_verdict(app, &importer, &res).await;
    t.cases += 1;
    if verdict != (json!("rejected"), json!("unknown_column")) {
        t.bad.push(format!("NUL byte in a roster header: {verdict:?}"));
    }
    for (what, body) in [
        ("NUL bytes in a division file", b"code,name,level,parent_code\n350299,\0\0\0,district,3502\n".to_vec()),
        ("invalid UTF-8 and GB18030 garbage", vec![0x63, 0x6F, 0x64, 0x65, 0x0A, 0xFF, 0xFE, 0x81, 0x30, 0x0A]),
    ] {
        let res = app
            .request(
                "POST",
                "/api/v1/imports/jurisdictions?mode=atomic",
                Some(&admin),
                &[("Content-Type", "text/csv")],
                Some(body),
            )
            .await;
        t.refused(what, &res, None);
    }
    let after = digest(app);
    let changed: Vec<_> = before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(v) && !k.starts_with("import_"))
        .map(|(k, v)| format!("{k}: {v} → {:?}", after.get(k)))
        .collect();
    let pass = t.bad.is_empty() && changed.is_empty();
    report(
        "hostile input: files (gzip bomb, NUL, bad encodings)",
        Some(app.backend),
        &format!("{} cases, {} not refused, {} tables changed", t.cases, t.bad.len(), changed.len()),
        "every file refused, no change",
        pass,
    );
    assert!(t.bad.is_empty(), "{}", t.bad.join("\n"));
    assert!(changed.is_empty(), "{changed:?}");
}

#[actix_web::test]
async fn hostile_input() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn(backend, &SETTINGS).await else { continue };
        case(&app).await;
        files(&app).await;
        app.finish().await;
    }
}
