//! High-age allowance over HTTP (issue 25 part 4; JN Art. 7(7)): an unset policy refuses (409
//! `allowance_policy_unset`), applications for people who reach the first band's age, approval and refusal with a
//! reason, the monthly list per community with amounts from the bands, payment from the month the age is reached
//! until the death flow's stop month, the file, events, and every refusal: bad input (422), wrong role (403), out
//! of scope (404 or 422 on the referenced person). The test clock is 2026-12-06.

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

/// A person in `community` born on `birth` (`YYYYMMDD`).
async fn person(app: &TestApp, login: &str, community: &str, birth: &str, seq: u16) -> i64 {
    let mut body = retiree_body(community, seq);
    body["id_number"] = json!(id_number(&community[..6], birth, seq));
    app.create_retiree(login, &body).await["id"].as_i64().unwrap()
}

/// The city's local rule: 80-89 100 yuan a month, 90 and above 200 (JN Art. 7(7) leaves the numbers to it).
async fn set_bands(app: &TestApp) {
    let mut p = serde_json::to_value(domain::policy::presets::defaults()).unwrap();
    p["high_age_allowance"]["bands"] = json!({"value": [
        {"from_age": 80, "monthly_amount": "100.00"}, {"from_age": 90, "monthly_amount": "200.00"}],
        "source": "厦门市高龄补贴发放办法"});
    let bad = {
        let mut b = p.clone();
        b["high_age_allowance"]["bands"]["value"][1]["from_age"] = json!(80);
        b
    };
    app.post("/api/v1/jurisdictions/3502/policies", "city", &json!({"valid_from": "2026-01-01", "parameters": bad}))
        .await
        .problem(422, "age_bands_ascending");
    app.post("/api/v1/jurisdictions/3502/policies", "city", &json!({"valid_from": "2026-01-01", "parameters": p}))
        .await
        .expect(201);
}

const APPS: &str = "/api/v1/high-age-allowance/applications";

both_backends! {
    async fn high_age_allowance_apply_decide_month_list_jn_art_7_7(app: &TestApp) {
        // 80 on 2026-12-20 (December paid in full), 90 in March, 71 (below every band), one in 湖里.
        let a = person(app, "siming", "350203001001", "19461220", 1).await;
        let b = person(app, "siming", "350203001004", "19360310", 2).await;
        let young = person(app, "siming", "350203001001", "19550101", 3).await;
        let other = person(app, "huli", "350206001001", "19400101", 4).await;

        // JN Art. 7(7): no local rule sets the bands yet: a clear 409, never an allowance of nothing.
        app.post(APPS, "hongshan", &json!({"retiree_id": a})).await.problem(409, "allowance_policy_unset");
        app.get("/api/v1/high-age-allowance?month=2026-12", "siming").await.problem(409, "allowance_policy_unset");
        assert_eq!(app.count("high_age_allowance_applications"), 0);
        set_bands(app).await;

        // Apply.
        let res = app.post(APPS, "hongshan", &json!({"retiree_id": a, "note": "本人到社区申请"})).await.expect(201);
        assert_eq!(res.header("etag"), Some("\"1\""));
        assert_eq!(res.header("location").map(str::to_owned), Some(format!("{APPS}/{}", res.body["id"])));
        assert_eq!((res.body["status"].as_str(), res.body["from_month"].as_str(), res.body["applied_on"].as_str()),
            (Some("applied"), Some("2026-12"), Some("2026-12-06")));
        let app_a = res.body["id"].as_i64().unwrap();
        let res = app.post(APPS, "siming", &json!({"retiree_id": b, "applied_on": "2026-11-02"})).await.expect(201);
        // Paid from the month the first band's age was reached (80 in March 2016), not from the application.
        assert_eq!(res.body["from_month"], "2016-03");
        let app_b = res.body["id"].as_i64().unwrap();
        // Refusals: below the first band, a second open application, out of scope, wrong role, bad input.
        let res = app.post(APPS, "hongshan", &json!({"retiree_id": young})).await.problem(422, "allowance_not_eligible");
        assert_eq!(res.fields(), vec![("/retiree_id".into(), "allowance_not_eligible".into())]);
        app.post(APPS, "hongshan", &json!({"retiree_id": a})).await.problem(409, "allowance_application_exists");
        app.post(APPS, "siming", &json!({"retiree_id": other})).await.problem(422, "retiree_not_found");
        app.post(APPS, "leader", &json!({"retiree_id": a})).await.problem(403, "forbidden");
        app.post(APPS, "auditor", &json!({"retiree_id": a})).await.problem(403, "forbidden");
        let res = app.post(APPS, "hongshan", &json!({"retiree_id": a, "applied_on": "2026-12-07", "note": "长".repeat(201)})).await.problem(422, "validation_failed");
        let fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["/applied_on".to_owned(), "/note".to_owned()]);
        assert_eq!(app.count("high_age_allowance_applications"), 2);
        assert_eq!(app.audit_count("allowance.apply"), 2);

        // Decide: a refusal names its reason; out of scope 404; a stale If-Match 412; decided once.
        let decide = |id: i64| format!("{APPS}/{id}/decision");
        app.post(&decide(app_a), "hongshan", &json!({"decision": "refuse"})).await.problem(422, "reason_required");
        app.post(&decide(app_a), "hongshan", &json!({"decision": "maybe"})).await.expect(422);
        app.post(&decide(app_a), "huli", &json!({"decision": "approve"})).await.problem(404, "not_found");
        app.post(&decide(app_a), "leader", &json!({"decision": "approve"})).await.problem(403, "forbidden");
        app.post_with(&decide(app_a), "siming", &json!({"decision": "approve"}), &[("If-Match", "\"7\"")]).await.expect(412);
        let res = app.post_with(&decide(app_a), "siming", &json!({"decision": "approve"}), &[("If-Match", "\"1\"")]).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["decided_on"].as_str(), res.header("etag")), (Some("approved"), Some("2026-12-06"), Some("\"2\"")));
        app.post(&decide(app_a), "siming", &json!({"decision": "refuse", "reason": "x"})).await.problem(409, "allowance_wrong_status");
        app.post(&decide(app_b), "siming", &json!({"decision": "approve"})).await.expect(200);
        assert_eq!(app.audit_count("allowance.decide"), 2);

        // The monthly list: amounts by band, per community; A from December, B (90 since March) all year.
        let dec = app.get("/api/v1/high-age-allowance?month=2026-12", "siming").await.expect(200);
        assert_eq!((dec.body["people"].as_i64(), dec.body["total"].as_str()), (Some(2), Some("300.00")));
        let rows: Vec<(i64, i64, &str)> = dec.body["items"].as_array().unwrap().iter()
            .map(|r| (r["retiree_id"].as_i64().unwrap(), r["age"].as_i64().unwrap(), r["amount"].as_str().unwrap())).collect();
        assert_eq!(rows, vec![(a, 80, "100.00"), (b, 90, "200.00")]);
        assert_eq!(dec.body["by_community"], json!([
            {"community": "350203001001", "people": 1, "amount": "100.00"},
            {"community": "350203001004", "people": 1, "amount": "200.00"}]));
        let nov = app.get("/api/v1/high-age-allowance?month=2026-11", "siming").await.expect(200);
        assert_eq!((nov.body["people"].as_i64(), nov.body["total"].as_str()), (Some(1), Some("200.00")));
        // B was 89 in February: the lower band.
        let feb = app.get("/api/v1/high-age-allowance?month=2026-02", "siming").await.expect(200);
        assert_eq!((feb.body["people"].as_i64(), feb.body["items"][0]["age"].as_i64(), feb.body["total"].as_str()), (Some(1), Some(89), Some("100.00")));
        // Months before the local rule took effect (2026-01-01) have no bands: 409, not zero.
        app.get("/api/v1/high-age-allowance?month=2025-12", "siming").await.problem(409, "allowance_policy_unset");
        // The community sees its own person; the other district nothing.
        let own = app.get("/api/v1/high-age-allowance?month=2026-12", "hongshan").await.expect(200);
        assert_eq!(own.body["total"], "100.00");
        assert_eq!(app.get("/api/v1/high-age-allowance?month=2026-12", "huli").await.expect(200).body["people"], 0);
        app.get("/api/v1/high-age-allowance?month=2026-13", "siming").await.problem(422, "invalid_month");
        app.get("/api/v1/high-age-allowance", "admin").await.problem(403, "forbidden");

        // Death: the death flow's stop month (the month after death) ends the payments.
        let report = json!({"retiree_id": b, "date_of_death": "2026-12-03", "certificate_number": "DC-HA-1",
            "reporter_kind": "relative", "reporter_name": "张小明", "reporter_relation": "儿子", "reported_on": "2026-12-04"});
        let rid = app.post("/api/v1/death-reports", "xiagang", &report).await.expect(201).body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({})).await.expect(200);
        let one = app.get(&format!("{APPS}/{app_b}"), "siming").await.expect(200);
        assert_eq!((one.body["stop_month"].as_str(), one.header("etag")), (Some("2027-01"), Some("\"2\"")));
        assert_eq!(app.get("/api/v1/high-age-allowance?month=2026-12", "siming").await.expect(200).body["total"], "300.00");
        let jan = app.get("/api/v1/high-age-allowance?month=2027-01", "siming").await.expect(200);
        assert_eq!((jan.body["people"].as_i64(), jan.body["total"].as_str()), (Some(1), Some("100.00")));

        // Reads: audited single view and list; out of scope 404; filters.
        app.get(&format!("{APPS}/{app_a}"), "huli").await.problem(404, "not_found");
        app.get(&format!("{APPS}/{app_a}"), "admin").await.problem(403, "forbidden");
        assert_eq!(app.get(&format!("{APPS}/{app_a}"), "leader").await.expect(200).body["name"], "张三");
        assert_eq!(app.audit_count("allowance.application.read"), 2);
        let list = app.get(&format!("{APPS}?status=approved&limit=1"), "siming").await.expect(200);
        assert_eq!(list.body["items"][0]["id"], app_a);
        let next = list.body["next_cursor"].as_str().unwrap().to_owned();
        let list = app.get(&format!("{APPS}?status=approved&limit=1&cursor={next}"), "siming").await.expect(200);
        assert_eq!(list.body["items"][0]["id"], app_b);
        assert_eq!(app.get(&format!("{APPS}?status=applied"), "siming").await.expect(200).body["items"], json!([]));
        assert_eq!(app.get(APPS, "huli").await.expect(200).body["items"], json!([]));
        app.get(&format!("{APPS}?status=open"), "siming").await.problem(422, "invalid_enum");
        assert_eq!(app.audit_count("allowance.application.list"), 4);

        // The file with Chinese headers and a totals row.
        let f = app.get("/api/v1/exports/high-age-allowance?month=2026-12&labels=zh", "siming").await.expect(200);
        assert!(f.text.contains("补贴金额（元）") && f.text.contains("300.00") && f.text.contains("合计"), "{}", f.text);
        let x = app.get("/api/v1/exports/high-age-allowance?month=2026-12&format=xlsx", "city").await.expect(200);
        assert_eq!(&x.bytes[..2], b"PK");
        app.get("/api/v1/exports/high-age-allowance?month=12-2026", "city").await.expect(422);
        app.get("/api/v1/exports/high-age-allowance?month=2026-12", "admin").await.problem(403, "forbidden");
        assert_eq!(app.audit_count("allowance.export"), 2);

        // The feed.
        let applied = events(app, "allowance.applied").await;
        assert_eq!(applied.len(), 2);
        assert_eq!(applied[0]["payload"]["retiree"]["id"], a);
        let decided = events(app, "allowance.decided").await;
        assert_eq!(decided.iter().map(|e| e["payload"]["status"].as_str().unwrap()).collect::<Vec<_>>(), vec!["approved", "approved"]);
    }

    async fn high_age_allowance_refusal_and_reapplication(app: &TestApp) {
        set_bands(app).await;
        let a = person(app, "siming", "350203001001", "19400505", 11).await;
        let id = app.post(APPS, "hongshan", &json!({"retiree_id": a})).await.expect(201).body["id"].as_i64().unwrap();
        let res = app.post(&format!("{APPS}/{id}/decision"), "xiagang", &json!({"decision": "refuse", "reason": "户籍不在本市"})).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["reason"].as_str()), (Some("refused"), Some("户籍不在本市")));
        // Refused is not paid; a new application may be filed.
        assert_eq!(app.get("/api/v1/high-age-allowance?month=2026-12", "siming").await.expect(200).body["people"], 0);
        app.post(APPS, "hongshan", &json!({"retiree_id": a})).await.expect(201);
        let refused = events(app, "allowance.decided").await;
        assert_eq!(refused[0]["payload"]["reason"], "户籍不在本市");
    }

    async fn the_monthly_report_counts_the_allowance_paid_new_and_stopped_jn_art_7_7(app: &TestApp) {
        set_bands(app).await;
        // A: 80 in December 2026 (new); B: 90 since March (paid all year); C: 86, died in November (stopped).
        let a = person(app, "siming", "350203001001", "19461220", 1).await;
        let b = person(app, "siming", "350203001004", "19360310", 2).await;
        let c = person(app, "siming", "350203001004", "19400101", 3).await;
        for id in [a, b, c] {
            let app_id = app.post(APPS, "siming", &json!({"retiree_id": id})).await.expect(201).body["id"].as_i64().unwrap();
            app.post(&format!("{APPS}/{app_id}/decision"), "siming", &json!({"decision": "approve"})).await.expect(200);
        }
        let report = json!({"retiree_id": c, "date_of_death": "2026-11-10", "certificate_number": "DC-HA-2",
            "reporter_kind": "relative", "reporter_name": "张小明", "reporter_relation": "儿子", "reported_on": "2026-11-12"});
        let rid = app.post("/api/v1/death-reports", "xiagang", &report).await.expect(201).body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({})).await.expect(200);

        let section = |report: &Value| report["sections"].as_array().unwrap().iter().find(|s| s["code"] == "high_age_allowance").unwrap().clone();
        let figures = |s: &Value, row: Option<&str>| -> Vec<String> {
            let values = match row {
                None => s["total"]["values"].clone(),
                Some(code) => s["rows"].as_array().unwrap().iter().find(|r| r["code"] == code).unwrap()["values"].clone(),
            };
            values.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
        };
        let get = |month: &'static str| async move {
            app.get(&format!("/api/v1/reports/monthly?jurisdiction=350203001&month={month}"), "xiagang").await.expect(200).body
        };
        // December: columns paid, amount, new, stopped, policy_unset; the amount is the monthly list's total.
        let dec = section(&get("2026-12").await);
        assert_eq!(dec["title"], "高龄补贴");
        let codes: Vec<&str> = dec["columns"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
        assert_eq!(codes, vec!["paid", "amount", "new", "stopped", "policy_unset"]);
        assert_eq!(figures(&dec, None), vec!["2", "300.00", "1", "1", "0"]);
        assert_eq!(figures(&dec, Some("350203001001")), vec!["1", "100.00", "1", "0", "0"]);
        assert_eq!(figures(&dec, Some("350203001004")), vec!["1", "200.00", "0", "1", "0"]);
        let list = app.get("/api/v1/high-age-allowance?month=2026-12", "xiagang").await.expect(200);
        assert_eq!(list.body["total"], "300.00");
        // November: B and C paid, nobody new or stopped.
        assert_eq!(figures(&section(&get("2026-11").await), None), vec!["2", "300.00", "0", "0", "0"]);
        // The district sees the street as one row with the same figures.
        let district = app.get("/api/v1/reports/monthly?jurisdiction=350203&month=2026-12", "siming").await.expect(200).body;
        assert_eq!(figures(&section(&district), Some("350203001")), vec!["2", "300.00", "1", "1", "0"]);
        // One sheet in the clerk's file.
        let xlsx = app.get("/api/v1/exports/monthly-report?jurisdiction=350203001&month=2026-12&format=xlsx", "xiagang").await.expect(200);
        let book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.bytes.to_vec())).unwrap();
        assert!(calamine::Reader::sheet_names(&book).iter().any(|n| n == "高龄补贴"));

        // A community whose own rule (from December) sets no bands: B is not priced but shown, never a smaller
        // total in silence; C stays stopped.
        let unset = serde_json::to_value(domain::policy::presets::defaults()).unwrap();
        app.post("/api/v1/jurisdictions/350203001004/policies", "city", &json!({"valid_from": "2026-12-01", "parameters": unset})).await.expect(201);
        let dec = section(&get("2026-12").await);
        assert_eq!(figures(&dec, Some("350203001004")), vec!["0", "0.00", "0", "1", "1"]);
        assert_eq!(figures(&dec, None), vec!["1", "100.00", "1", "1", "1"]);
        app.get("/api/v1/high-age-allowance?month=2026-12", "xiagang").await.problem(409, "allowance_policy_unset");
        // Out of scope and wrong role, as for the whole report.
        app.get("/api/v1/reports/monthly?jurisdiction=350203001&month=2026-12", "huli").await.problem(422, "jurisdiction_not_found");
    }
}
