//! Volunteers over HTTP (issue 25; CS Art. 22: 市、区两级志愿者资源库; JN Art. 7(9)): volunteers in city and
//! district pools (another level: 422 `pool_level`), seen from below their pool (a city volunteer serves any
//! district), service records with hours, hours per volunteer and year, files, the import of a volunteer list with
//! Chinese headers and per-row errors, events, and every refusal: bad input (422), wrong role (403), out of scope
//! (404 or 422 on the referenced node). The test clock is 2026-12-06.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

async fn events(app: &TestApp, kind: &str) -> Vec<Value> {
    let page = app.get(&format!("/api/v1/events?after=0&limit=500&types={kind}"), "platform").await.expect(200);
    let items = page.body["items"].as_array().unwrap().clone();
    for e in &items {
        let t = domain::events::EventType::parse(kind).unwrap();
        app::events::check_payload(t, &e["payload"]).unwrap_or_else(|err| panic!("{err}: {e}"));
    }
    items
}

fn ids(body: &Value) -> Vec<i64> {
    body["items"].as_array().unwrap().iter().map(|v| v["id"].as_i64().unwrap()).collect()
}

async fn import(app: &TestApp, login: &str, mode: &str, content_type: &str, bytes: Vec<u8>) -> Resp {
    let token = app.token(login);
    app.request(
        "POST",
        &format!("/api/v1/imports/volunteers?mode={mode}"),
        Some(&token),
        &[("Content-Type", content_type)],
        Some(bytes),
    )
    .await
}

both_backends! {
    async fn pools_services_hours_and_import_cs_art_22(app: &TestApp) {
        let r1 = app.create_retiree("siming", &retiree_body("350203001001", 1)).await["id"].as_i64().unwrap();
        // CS Art. 22: pools at city and district level.
        let v1 = app.post("/api/v1/volunteers", "city", &json!({"name": "陈志华", "skills": ["理发", "陪同就医"], "organisation": "厦门市老年志愿者协会"})).await.expect(201);
        assert_eq!((v1.body["pool"].as_str(), v1.header("etag")), (Some("3502"), Some("\"1\"")));
        let v1 = v1.body["id"].as_i64().unwrap();
        let v2 = app.post("/api/v1/volunteers", "siming", &json!({"pool": "350203", "name": "张三", "retiree_id": r1, "skills": ["书法"]})).await.expect(201);
        assert_eq!(v2.body["retiree_id"], r1);
        let v2 = v2.body["id"].as_i64().unwrap();
        let res = app.post("/api/v1/volunteers", "hongshan", &json!({"name": "林", "skills": []})).await.problem(422, "pool_level");
        assert_eq!(res.fields(), vec![("/pool".into(), "pool_level".into())]);
        app.post("/api/v1/volunteers", "xiagang", &json!({"pool": "350203001", "name": "林", "skills": []})).await.problem(422, "pool_level");
        app.post("/api/v1/volunteers", "siming", &json!({"pool": "350206", "name": "林", "skills": []})).await.problem(422, "jurisdiction_not_found");
        app.post("/api/v1/volunteers", "leader", &json!({"name": "林", "skills": []})).await.problem(403, "forbidden");
        app.post("/api/v1/volunteers", "auditor", &json!({"name": "林", "skills": []})).await.problem(403, "forbidden");
        let res = app.post("/api/v1/volunteers", "siming", &json!({"name": "", "skills": [""]})).await.problem(422, "validation_failed");
        let fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["/name".to_owned(), "/skills/0".to_owned()]);
        assert_eq!(app.count("volunteers"), 2);
        assert_eq!(app.audit_count("volunteer.create"), 2);

        // Seen from below the pool: the community sees the city's and its district's; the other district the city's.
        assert_eq!(ids(&app.get("/api/v1/volunteers", "hongshan").await.expect(200).body), vec![v1, v2]);
        assert_eq!(ids(&app.get("/api/v1/volunteers", "huli").await.expect(200).body), vec![v1]);
        app.get(&format!("/api/v1/volunteers/{v2}"), "huli").await.problem(404, "not_found");
        assert_eq!(app.get(&format!("/api/v1/volunteers/{v1}"), "huli").await.expect(200).body["skills"], json!(["理发", "陪同就医"]));
        app.get("/api/v1/volunteers", "admin").await.problem(403, "forbidden");

        // Services with hours.
        let s = json!({"served_on": "2026-12-05", "retiree_id": r1, "what": "陪同就医", "hours": "2.5"});
        app.post(&format!("/api/v1/volunteers/{v1}/services"), "leader", &s).await.problem(403, "forbidden");
        let res = app.post(&format!("/api/v1/volunteers/{v1}/services"), "hongshan", &s).await.expect(201);
        assert_eq!((res.body["hours"].as_str(), res.body["jurisdiction"].as_str()), (Some("2.5"), Some("350203001001")));
        app.post(&format!("/api/v1/volunteers/{v2}/services"), "hongshan", &json!({"served_on": "2026-11-30", "what": "书法课", "hours": "3"})).await.expect(201);
        app.post(&format!("/api/v1/volunteers/{v1}/services"), "huli", &json!({"served_on": "2026-11-30", "what": "义剪", "hours": "1"})).await.expect(201);
        app.post(&format!("/api/v1/volunteers/{v2}/services"), "huli", &json!({"served_on": "2026-11-30", "what": "x", "hours": "1"})).await.problem(404, "not_found");
        app.post(&format!("/api/v1/volunteers/{v1}/services"), "hongshan", &json!({"served_on": "2026-11-30", "what": "x", "hours": "25"})).await.problem(422, "hours_out_of_range");
        let res = app.post(&format!("/api/v1/volunteers/{v1}/services"), "hongshan", &json!({"served_on": "2026-12-07", "what": "", "hours": "1.25"})).await.problem(422, "validation_failed");
        let fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["/hours".to_owned(), "/served_on".to_owned(), "/what".to_owned()]);
        app.post(&format!("/api/v1/volunteers/{v1}/services"), "hongshan", &json!({"served_on": "2026-11-30", "what": "x", "hours": "1", "activity_id": 999_999})).await.problem(422, "not_found");
        app.post(&format!("/api/v1/volunteers/{v1}/services"), "hongshan", &json!({"served_on": "2026-11-30", "what": "x", "hours": "1", "jurisdiction": "350206001001"})).await.problem(422, "jurisdiction_not_found");
        assert_eq!(app.count("volunteer_services"), 3);
        assert_eq!(app.audit_count("volunteer.service"), 3);

        // Hours per volunteer and year, in the caller's subtree.
        let h = app.get("/api/v1/volunteers/hours?year=2026", "siming").await.expect(200);
        assert_eq!(h.body, json!([
            {"volunteer_id": v1, "name": "陈志华", "pool": "3502", "year": 2026, "hours": "2.5", "services": 1},
            {"volunteer_id": v2, "name": "张三", "pool": "350203", "year": 2026, "hours": "3.0", "services": 1}]));
        let h = app.get("/api/v1/volunteers/hours?year=2026", "city").await.expect(200);
        assert_eq!(h.body[0]["hours"], "3.5");
        assert_eq!(app.get("/api/v1/volunteers/hours?year=2025", "city").await.expect(200).body, json!([]));
        app.get("/api/v1/volunteers/hours?year=x", "city").await.problem(422, "invalid_value");

        // Files with Chinese headers.
        let f = app.get("/api/v1/exports/volunteers?list=hours&year=2026&labels=zh", "city").await.expect(200);
        assert!(f.text.contains("服务时长（小时）") && f.text.contains("陈志华"), "{}", f.text);
        let xlsx = app.get("/api/v1/exports/volunteers?format=xlsx", "siming").await.expect(200);
        assert_eq!(&xlsx.bytes[..2], b"PK");
        app.get("/api/v1/exports/volunteers?list=all", "siming").await.problem(422, "invalid_enum");
        assert_eq!(app.audit_count("volunteer.export"), 2);

        // Import with Chinese headers: per-row errors; atomic refuses the file, partial keeps the good rows.
        let csv = "姓名,所属资源库,技能特长\n林美玲,350203,理发、按摩\n,350203,\n王强,350203001,\n".as_bytes().to_vec();
        app.request("POST", "/api/v1/imports/volunteers", Some(&app.token("leader")), &[("Content-Type", "text/csv")], Some(csv.clone())).await.problem(403, "forbidden");
        let res = import(app, "siming", "atomic", "text/csv", csv.clone()).await.expect(422);
        let lines: Vec<u64> = row_errors(&res.body).into_iter().map(|(l, _, _)| l).collect();
        assert_eq!(lines, vec![3, 4]);
        assert_eq!(app.count("volunteers"), 2);
        let res = import(app, "siming", "partial", "text/csv", csv).await.expect(200);
        assert_eq!((res.body["rows"].as_u64(), res.body["created"].as_u64(), res.body["rejected"].as_u64()), (Some(3), Some(1), Some(2)));
        let codes: Vec<String> = row_errors(&res.body).into_iter().map(|(_, _, c)| c).collect();
        assert!(codes.contains(&"pool_level".to_owned()), "{codes:?}");
        assert_eq!(app.count("volunteers"), 3);
        // The export imports back (the two volunteers siming sees in its pool and the city's).
        let res = import(app, "city", "atomic", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.bytes).await.expect(200);
        assert_eq!(res.body["created"], 2);
        assert_eq!(app.count("volunteers"), 5);

        // The feed: a service to a person.
        let served = events(app, "volunteer.served").await;
        assert_eq!(served.len(), 1);
        assert_eq!((served[0]["payload"]["hours"].as_str(), served[0]["payload"]["retiree"]["id"].as_i64()), (Some("2.5"), Some(r1)));
    }

    async fn a_volunteers_service_records_page_by_id_within_the_callers_subtree_cs_art_22(app: &TestApp) {
        let r1 = app.create_retiree("siming", &retiree_body("350203001001", 1)).await["id"].as_i64().unwrap();
        let v1 = app.post("/api/v1/volunteers", "city", &json!({"name": "陈志华", "skills": ["理发"]})).await.expect(201).body["id"].as_i64().unwrap();
        let v2 = app.post("/api/v1/volunteers", "siming", &json!({"pool": "350203", "name": "张三", "skills": []})).await.expect(201).body["id"].as_i64().unwrap();
        let add = |login: &'static str, v: i64, day: &'static str, what: &'static str| {
            let body = json!({"served_on": day, "what": what, "hours": "1.5", "retiree_id": if login == "hongshan" { Some(r1) } else { None }});
            async move { app.post(&format!("/api/v1/volunteers/{v}/services"), login, &body).await.expect(201).body["id"].as_i64().unwrap() }
        };
        let s1 = add("hongshan", v1, "2026-11-02", "陪同就医").await;
        let s2 = add("huli", v1, "2026-11-20", "义剪").await;
        let s3 = add("hongshan", v1, "2026-12-01", "理发").await;
        add("hongshan", v2, "2026-12-01", "书法课").await;

        // The city sees every service of v1, in pages by id; the district and the community only their subtree's.
        let url = format!("/api/v1/volunteers/{v1}/services?limit=2");
        let first = app.get(&url, "city").await.expect(200);
        assert_eq!(ids(&first.body), vec![s1, s2]);
        assert_eq!(first.body["items"][0]["volunteer_name"], "陈志华");
        assert_eq!((first.body["items"][0]["retiree_id"].as_i64(), first.body["items"][0]["hours"].as_str()), (Some(r1), Some("1.5")));
        let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
        let second = app.get(&format!("{url}&cursor={cursor}"), "city").await.expect(200);
        assert_eq!((ids(&second.body), second.body["next_cursor"].is_null()), (vec![s3], true));
        assert_eq!(ids(&app.get(&format!("/api/v1/volunteers/{v1}/services"), "hongshan").await.expect(200).body), vec![s1, s3]);
        assert_eq!(ids(&app.get(&format!("/api/v1/volunteers/{v1}/services"), "huli").await.expect(200).body), vec![s2]);
        // A date range, both ends counted.
        let ranged = app.get(&format!("/api/v1/volunteers/{v1}/services?from=2026-11-20&to=2026-12-01"), "city").await.expect(200);
        assert_eq!(ids(&ranged.body), vec![s2, s3]);

        // Bad input names the field; a wrong role is refused; a volunteer out of sight is 404.
        let res = app.get(&format!("/api/v1/volunteers/{v1}/services?from=2026-13-01&limit=0"), "city").await.problem(422, "validation_failed");
        let fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["from".to_owned(), "limit".to_owned()]);
        let res = app.get(&format!("/api/v1/volunteers/{v1}/services?from=2026-12-01&to=2026-11-01"), "city").await.problem(422, "invalid_value");
        assert_eq!(res.fields(), vec![("to".into(), "invalid_value".into())]);
        app.get(&format!("/api/v1/volunteers/{v1}/services"), "admin").await.problem(403, "forbidden");
        app.get(&format!("/api/v1/volunteers/{v2}/services"), "huli").await.problem(404, "not_found");
        app.get("/api/v1/volunteers/999999/services", "city").await.problem(404, "not_found");
    }
}
