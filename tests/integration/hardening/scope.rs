//! Part 3: a user of one district (and of one community) probing every operation against the objects of another:
//! reads, updates, actions, sub-resources, list filters, search and exports. A probe on a foreign object must be
//! answered exactly as the same probe on an object that does not exist (same status, same problem code; a list
//! empty), no answer may carry a victim's name or resident ID, and the database must not change.

use serde_json::{Value, json};

use super::{digest, internal_detail, report};
use crate::both_backends;
use crate::helpers::*;

/// Where the victims live: 思明区 (350203), communities 鸿山 and 仁安. The probing users are 湖里区's district
/// centre (`huli`, 350206) and 蜂巢山's community office (`fengchaoshan`, 350203001004), both without objects.
const VICTIM_COMMUNITIES: [&str; 2] = ["350203001001", "350203003001"];
const VICTIM_NODES: [&str; 4] = ["350203", "350203001", "350203001001", "350203003001"];
const GHOST_NODE: &str = "350288001001";
const GHOST_ID: i64 = 999_999;
/// Ids tried on every operation with an id in its path: every object of any kind with these ids is a victim's.
const IDS: std::ops::RangeInclusive<i64> = 1..=12;

struct Victim {
    name: String,
    id_number: String,
}

/// The request example of an operation (its schema's `example`), with nodes moved into the victims' district.
pub fn example_body(doc: &Value, op: &Value) -> Option<Value> {
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    let example = match schema["$ref"].as_str() {
        Some(r) => doc["components"]["schemas"][r.rsplit('/').next()?]["example"].clone(),
        None => schema["example"].clone(),
    };
    if example.is_null() {
        return op["requestBody"]["content"].get("application/json").map(|_| json!({}));
    }
    let text = example.to_string().replace("350206", "350203").replace("350203001004", "350203001001");
    let mut body: Value = serde_json::from_str(&text).ok()?;
    point_at_first_objects(&mut body);
    Some(body)
}

/// References to other objects in a body (`retiree_id`, `dependent_id` …) pointed at objects that exist.
fn point_at_first_objects(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match k.as_str() {
                    "retiree_id" if v.is_i64() => *v = json!(5),
                    "dependent_id" | "death_report_id" | "group_id" | "leader_id" | "task_id" if v.is_i64() => {
                        *v = json!(1)
                    }
                    _ => point_at_first_objects(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(point_at_first_objects),
        _ => {}
    }
}

pub fn fill(path: &str, id: i64, node: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').map(|e| start + e).unwrap_or(rest.len() - 1);
        let name = &rest[start + 1..end];
        match name {
            "code" | "jurisdiction" => out.push_str(node),
            "year" => out.push_str("2026"),
            "kind" => out.push_str("deaths"),
            _ => out.push_str(&id.to_string()),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

async fn send(app: &TestApp, token: &str, method: &str, path: &str, body: Option<&Value>) -> Resp {
    let key = format!("probe-{}", COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    let mut headers = vec![("If-Match", "\"1\""), ("Idempotency-Key", key.as_str())];
    if body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    app.request(method, path, Some(token), &headers, body.map(|b| b.to_string().into_bytes())).await
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn answer(res: &Resp) -> (u16, Value, bool) {
    let empty = res.body["items"].as_array().is_some_and(Vec::is_empty);
    (res.status.as_u16(), res.body["code"].clone(), empty)
}

async fn seed(app: &TestApp, doc: &Value) -> Vec<Victim> {
    let mut victims = Vec::new();
    for n in 0..12u16 {
        let mut body = retiree_body(VICTIM_COMMUNITIES[usize::from(n) % 2], 700 + n);
        body["name"] = json!(format!("隐私测试{}号", n + 1));
        let created = app.create_retiree("city", &body).await;
        victims.push(Victim {
            name: body["name"].as_str().unwrap().to_owned(),
            id_number: created["id_number"].as_str().unwrap_or_default().to_owned(),
        });
        assert_eq!(victims.last().unwrap().id_number, body["id_number"].as_str().unwrap(), "the city sees IDs in full");
    }
    // Every other kind of object, from the examples of the creating operations (what succeeds is a victim).
    let token = app.token("city");
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let Some(op) = ops.get("post") else { continue };
        if !path.starts_with("/api/v1/")
            || path.contains("/auth/")
            || path.contains("/imports/")
            || path.contains("/feeds/")
        {
            continue;
        }
        let Some(body) = example_body(doc, op) else { continue };
        for id in 1..=3 {
            send(app, &token, "POST", &fill(path, id, "350203001001"), Some(&body)).await;
            if !path.contains('{') {
                break;
            }
        }
    }
    let in_probers_scope: i64 = {
        use diesel::prelude::*;
        use persistence::schema::retirees::dsl;
        dsl::retirees
            .filter(dsl::community_code.like("350206%").or(dsl::community_code.eq("350203001004")))
            .count()
            .get_result(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(in_probers_scope, 0, "the seed must leave the probing users without objects");
    victims
}

both_backends! {
    async fn another_district_sees_nothing(app: &TestApp) {
        let doc = app.request("GET", "/openapi.json", None, &[], None).await.expect(200).body;
        let victims = seed(app, &doc).await;
        let before = digest(app);
        let mut probes = 0u32;
        let mut leaks: Vec<String> = Vec::new();
        let check_text = |what: &str, res: &Resp, leaks: &mut Vec<String>| {
            for v in &victims {
                if res.text.contains(&v.name) || res.text.contains(&v.id_number) {
                    leaks.push(format!("{what}: answer names a victim: {}", res.text.chars().take(300).collect::<String>()));
                    return;
                }
            }
            if res.status.as_u16() >= 500 {
                leaks.push(format!("{what}: {} {}", res.status, res.text));
            }
            if let Some(m) = internal_detail(&res.text) {
                leaks.push(format!("{what}: internal detail {m:?} in {}", res.text));
            }
        };
        for login in ["huli", "fengchaoshan"] {
            let token = app.token(login);
            for (path, ops) in doc["paths"].as_object().unwrap() {
                if !path.starts_with("/api/v1/") || path.contains("/auth/") {
                    continue;
                }
                for (method, op) in ops.as_object().unwrap() {
                    let method = method.to_ascii_uppercase();
                    if !["GET", "POST", "PATCH", "PUT", "DELETE"].contains(&method.as_str()) {
                        continue;
                    }
                    let body = if method == "GET" || method == "DELETE" { None } else { example_body(&doc, op) };
                    if method != "GET" && method != "DELETE" && body.is_none() {
                        continue; // a file upload: its scope is checked row by row (imports tests)
                    }
                    if login == "fengchaoshan" && path.starts_with("/api/v1/volunteers/{") {
                        // A volunteer of the district's pool serves every node below the pool (CS Art. 22: 市、区两级
                        // 志愿者资源库), so a community of the victims' district sees it by design; the other
                        // district (huli) must still see nothing, and does.
                        continue;
                    }
                    if path.contains('{') {
                        // Objects by id (and nodes by code) in the path.
                        let ghost = answer(&send(app, &token, &method, &fill(path, GHOST_ID, GHOST_NODE), body.as_ref()).await);
                        let targets: Vec<(i64, &str)> = if path.contains("{code}") || path.contains("{jurisdiction}") {
                            VICTIM_NODES.iter().map(|n| (1, *n)).collect()
                        } else {
                            IDS.map(|id| (id, "350203001001")).collect()
                        };
                        for (id, node) in targets {
                            let target = fill(path, id, node);
                            let res = send(app, &token, &method, &target, body.as_ref()).await;
                            probes += 1;
                            let what = format!("{login} {method} {target}");
                            check_text(&what, &res, &mut leaks);
                            if answer(&res) != ghost {
                                leaks.push(format!("{what}: {} {} (a missing object: {ghost:?})", res.status, res.text.chars().take(300).collect::<String>()));
                            }
                        }
                    } else if method == "GET" {
                        // Lists, reports and exports, unfiltered and filtered by the victims' nodes and ids.
                        let res = send(app, &token, &method, path, None).await;
                        probes += 1;
                        check_text(&format!("{login} GET {path}"), &res, &mut leaks);
                        for param in op["parameters"].as_array().into_iter().flatten() {
                            if param["in"] != "query" {
                                continue;
                            }
                            let name = param["name"].as_str().unwrap_or_default();
                            let (values, ghost): (Vec<String>, String) = if ["jurisdiction", "community_code", "node", "code", "district", "from_node", "to_node", "community"].contains(&name) {
                                (VICTIM_NODES.iter().map(|s| s.to_string()).collect(), GHOST_NODE.into())
                            } else if name.ends_with("_id") || name == "retiree" {
                                (IDS.map(|i| i.to_string()).collect(), GHOST_ID.to_string())
                            } else {
                                continue;
                            };
                            let mut extra = String::new();
                            if path.ends_with("/staffing") || path.ends_with("/leader-allowances") || path.contains("/reports/") {
                                extra.push_str("&year=2026&month=2026-01");
                            }
                            let ghost_answer = answer(&send(app, &token, "GET", &format!("{path}?{name}={ghost}{extra}"), None).await);
                            for value in values {
                                let target = format!("{path}?{name}={value}{extra}");
                                let res = send(app, &token, "GET", &target, None).await;
                                probes += 1;
                                let what = format!("{login} GET {target}");
                                check_text(&what, &res, &mut leaks);
                                let got = answer(&res);
                                let fine = got == ghost_answer || (got.0 == 200 && got.2) || (got.0 == 404 && ghost_answer.0 == 404);
                                if !fine {
                                    leaks.push(format!("{what}: {} {} (a missing one: {ghost_answer:?})", res.status, res.text.chars().take(300).collect::<String>()));
                                }
                            }
                        }
                    }
                }
            }
            // Search by the victims' resident IDs, as the ID never travels in a URL.
            let ghost_id = id_number("350203", "19550101", 999);
            let ghost = answer(&send(app, &token, "POST", "/api/v1/retirees/search", Some(&json!({"id_number": ghost_id}))).await);
            for v in &victims {
                let res = send(app, &token, "POST", "/api/v1/retirees/search", Some(&json!({"id_number": v.id_number}))).await;
                probes += 1;
                check_text(&format!("{login} search"), &res, &mut leaks);
                if answer(&res) != ghost {
                    leaks.push(format!("{login} search {}: {} {}", v.id_number, res.status, res.text));
                }
            }
        }
        let after = digest(app);
        let changed: Vec<_> = before.iter().filter(|(k, v)| after.get(*k) != Some(v)).map(|(k, v)| format!("{k}: {v} → {:?}", after.get(k))).collect();
        let pass = leaks.is_empty() && changed.is_empty() && probes >= 1000;
        report("scope: probes by another district and another community", Some(app.backend),
            &format!("{probes} probes, {} leaks, {} tables changed", leaks.len(), changed.len()), ">= 1000 probes, 0 leaks", pass);
        assert!(leaks.is_empty(), "{} leaks of {probes} probes:\n{}", leaks.len(), leaks.join("\n"));
        assert!(changed.is_empty(), "refused probes changed the database: {changed:?}");
        assert!(probes >= 1000, "only {probes} probes");
    }
}
