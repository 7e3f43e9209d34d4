//! What issue 27 still lacked (reports27), on both backends: festival lists booked against the fund to the fen
//! (409 `payment_over_budget` over the balance, nothing recorded), `condolence.cancelled`, and the monthly report's
//! sections for archives, petitions, activities, care services and assistance referrals (parent = sum of rows).

use diesel::prelude::*;
use persistence::schema::retirees;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// XM presets at the city, and at 思明 a local rule paying festival condolences (the XM text states no amount).
async fn festival_amounts(app: &TestApp) {
    let body = json!({"valid_from": "2020-01-01", "preset": "xiamen-2025", "extend_beyond_term": true, "note": "延期执行（测试）"});
    app.post("/api/v1/jurisdictions/3502/policies", "city", &body).await.expect(201);
    let mut local = app.get("/api/v1/policy-presets", "city").await.expect(200).body[0]["parameters"].clone();
    for c in local["condolences"].as_array_mut().unwrap() {
        match c["kind"].as_str().unwrap() {
            "double_ninth" => c["amount"] = json!({"value": "150.00", "source": "思明区节日慰问标准（测试）"}),
            "spring_festival" => c["amount"] = json!({"value": "500.00", "source": "思明区节日慰问标准（测试）"}),
            _ => {}
        }
    }
    app.post(
        "/api/v1/jurisdictions/350203/policies",
        "city",
        &json!({"valid_from": "2020-01-01", "parameters": local}),
    )
    .await
    .expect(201);
}

/// A retiree of 350203001001 registered on 2025-01-01 (in the 2025 headcount).
async fn registered_2025(app: &TestApp, seq: u16) -> i64 {
    let id = app.create_retiree("city", &retiree_body("350203001001", seq)).await["id"].as_i64().unwrap();
    let jan1 = time::Date::from_calendar_date(2025, time::Month::January, 1).unwrap();
    diesel::update(retirees::table.find(id))
        .set(retirees::created_at.eq(jan1.midnight()))
        .execute(&mut app.conn())
        .unwrap();
    id
}

async fn feed(app: &TestApp, kind: &str) -> Vec<Value> {
    let page = app.get(&format!("/api/v1/events?after=0&limit=500&types={kind}"), "platform").await.expect(200);
    let items = page.body["items"].as_array().unwrap().clone();
    for e in &items {
        let t = domain::events::EventType::parse(kind).unwrap();
        app::events::check_payload(t, &e["payload"]).unwrap_or_else(|err| panic!("{err}: {e}"));
    }
    items
}

fn section<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["sections"].as_array().unwrap().iter().find(|s| s["code"] == code).unwrap_or_else(|| panic!("{code}"))
}

fn column(s: &Value, code: &str) -> usize {
    s["columns"].as_array().unwrap().iter().position(|c| c["code"] == code).unwrap_or_else(|| panic!("{code}"))
}

both_backends! {
    async fn festival_lists_are_booked_against_the_fund_to_the_fen(app: &TestApp) {
        festival_amounts(app).await;
        let people = [registered_2025(app, 1).await, registered_2025(app, 2).await, registered_2025(app, 3).await];
        // XM Art. 21: 3 × 400.00 = 1200.00 for 思明 in 2025.
        let b = app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203", "year": 2025})).await.expect(201).body;
        assert_eq!(b["fund"]["total"], "1200.00");
        // Double Ninth: 3 × 150.00 = 450.00, booked at the district (the nearest node keeping the service fund).
        let list = app.post("/api/v1/festival-lists", "xiagang", &json!({"jurisdiction": "350203001", "kind": "double_ninth", "on_date": "2025-10-29"})).await.expect(201).body;
        assert_eq!((list["people"].clone(), list["total"].clone()), (json!(3), json!("450.00")));
        let ledger = app.get("/api/v1/funding/expenditures?jurisdiction=350203&year=2025", "siming").await.expect(200).body;
        let items = ledger["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        for e in items {
            assert_eq!((e["jurisdiction"].clone(), e["fund"].clone(), e["category"].clone(), e["amount"].clone()),
                (json!("350203"), json!("service"), json!("festival_condolence"), json!("150.00")));
        }
        // Linked both ways.
        let recorded = app.get(&format!("/api/v1/condolences?festival_list_id={}", list["id"]), "xiagang").await.expect(200).body;
        let recorded = recorded["items"].as_array().unwrap().clone();
        assert_eq!(recorded.len(), 3);
        for c in &recorded {
            let booking = c["expenditure_id"].as_i64().expect("booked");
            let e = app.get(&format!("/api/v1/funding/expenditures/{booking}"), "siming").await.expect(200).body;
            assert_eq!(e["condolence_id"], c["id"]);
        }
        let statement = app.get("/api/v1/funding/year-statements/350203/service/2025", "siming").await.expect(200).body;
        assert_eq!((statement["spent"].clone(), statement["balance"].clone()), (json!("450.00"), json!("750.00")));
        assert_eq!(app.audit_count("expenditure.create"), 1);

        // Spring Festival: 3 × 500.00 = 1500.00 > 750.00 left: the whole list is refused, nothing recorded.
        let before = (app.count("condolences"), app.count("fund_expenditures"), app.count("festival_batches"));
        let refused = app.post("/api/v1/festival-lists", "xiagang", &json!({"jurisdiction": "350203001", "kind": "spring_festival", "on_date": "2025-01-29"})).await.problem(409, "payment_over_budget");
        assert!(refused.body["detail"].as_str().unwrap().contains("750.00"), "{}", refused.text);
        assert_eq!((app.count("condolences"), app.count("fund_expenditures"), app.count("festival_batches")), before);

        // Cancelling one reverses its booking and emits condolence.cancelled: 450.00 − 150.00 = 300.00 spent.
        let one = recorded[0]["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/condolences/{one}/cancel"), "hongshan", &json!({"reason": "本人已去世前领取"})).await.expect(200);
        let statement = app.get("/api/v1/funding/year-statements/350203/service/2025", "siming").await.expect(200).body;
        assert_eq!((statement["spent"].clone(), statement["balance"].clone()), (json!("300.00"), json!("900.00")));
        let events = feed(app, "condolence.cancelled").await;
        assert_eq!(events.len(), 1);
        let p = &events[0]["payload"];
        assert_eq!((p["condolence_id"].clone(), p["amount_fen"].clone(), p["expenditure_id"].clone(), p["reason"].clone()),
            (json!(one), json!(15000), recorded[0]["expenditure_id"].clone(), json!("本人已去世前领取")));
        assert!(p["reversal_id"].as_i64().is_some());
        assert_eq!(events[0]["subject"]["type"], "condolence");
        assert!(people.contains(&p["retiree"]["id"].as_i64().unwrap()));
        // Wrong role, out of scope.
        app.post("/api/v1/festival-lists", "leader", &json!({"jurisdiction": "350203001001", "kind": "double_ninth"})).await.problem(403, "forbidden");
        app.post("/api/v1/festival-lists", "huli", &json!({"jurisdiction": "350203001", "kind": "double_ninth"})).await.problem(422, "jurisdiction_not_found");
    }

    async fn the_monthly_report_counts_archives_petitions_activities_care_and_assistance(app: &TestApp) {
        let a = app.create_retiree("siming", &retiree_body("350203001001", 1)).await["id"].as_i64().unwrap();
        let b = app.create_retiree("siming", &retiree_body("350203001004", 2)).await["id"].as_i64().unwrap();
        let c = app.create_retiree("huli", &retiree_body("350206001001", 3)).await["id"].as_i64().unwrap();
        for (who, id, kind) in [("hongshan", a, "minimum_living"), ("hongshan", a, "extreme_poverty"), ("fengchaoshan", b, "minimum_living"), ("huli", c, "minimum_living")] {
            app.post("/api/v1/assistance-referrals", who, &json!({"retiree_id": id, "kind": kind, "hardship": "家庭困难"})).await.expect(201);
        }
        let month = &TODAY[..7];
        let report = app.get(&format!("/api/v1/reports/monthly?jurisdiction=350203001&month={month}"), "xiagang").await.expect(200).body;
        let s = section(&report, "assistance");
        assert_eq!(s["title"], "救助转介");
        let (referred, open) = (column(s, "referred"), column(s, "open"));
        let row = |code: &str| s["rows"].as_array().unwrap().iter().find(|r| r["code"] == code).unwrap()["values"].clone();
        assert_eq!((row("350203001001")[referred].clone(), row("350203001004")[referred].clone()), (json!("2"), json!("1")));
        assert_eq!((s["total"]["values"][referred].clone(), s["total"]["values"][open].clone()), (json!("3"), json!("3")));
        // Every new section is there with its Chinese title; the total of each column is the sum of its rows.
        for (code, title) in [("archives", "人事档案"), ("petitions", "信访"), ("activities", "文体健康活动"), ("care_services", "养老护理服务"), ("assistance", "救助转介")] {
            let s = section(&report, code);
            assert_eq!(s["title"], title);
            for (i, total) in s["total"]["values"].as_array().unwrap().iter().enumerate() {
                let sum: i64 = s["rows"].as_array().unwrap().iter().map(|r| r["values"][i].as_str().unwrap().parse::<i64>().unwrap()).sum();
                assert_eq!(total.as_str().unwrap().parse::<i64>().unwrap(), sum, "{code} {i}");
            }
        }
        assert_eq!(section(&report, "activities")["columns"][0]["title"], "文化活动");
        // The district sees the street's figures as one row; 湖里's referral is not in 思明.
        let district = app.get(&format!("/api/v1/reports/monthly?jurisdiction=350203&month={month}"), "siming").await.expect(200).body;
        assert_eq!(section(&district, "assistance")["total"]["values"][referred], "3");
        // One sheet per section in the clerk's file.
        let xlsx = app.get(&format!("/api/v1/exports/monthly-report?jurisdiction=350203001&month={month}&format=xlsx"), "xiagang").await.expect(200);
        let book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.bytes.to_vec())).unwrap();
        let names = calamine::Reader::sheet_names(&book);
        for title in ["人事档案", "信访", "文体健康活动", "养老护理服务", "救助转介"] {
            assert!(names.iter().any(|n| n == title), "{names:?}");
        }
        // Out of scope, wrong role.
        app.get(&format!("/api/v1/reports/monthly?jurisdiction=350203001&month={month}"), "huli").await.problem(422, "jurisdiction_not_found");
    }

    async fn the_ledger_comparison_lists_members_reported_dead(app: &TestApp) {
        // GUIDE 第四章五 step 3: B and D are 特困 (dated flags); B is reported dead (pending verification), C (not a
        // member) too; only B disagrees with the deaths reports.
        let flagged = |seq: u16, birth: &'static str, groups: Value| {
            let mut body = retiree_body("350203001001", seq);
            body["id_number"] = json!(id_number("350203", birth, seq * 2 + 1));
            body["special_groups"] = groups;
            body
        };
        let hardship = json!([{"group": "severe_hardship", "from": "2024-01-01"}]);
        let b = app.create_retiree("city", &flagged(2, "19640101", hardship.clone())).await["id"].as_i64().unwrap();
        let c = app.create_retiree("city", &flagged(3, "19640301", json!([]))).await["id"].as_i64().unwrap();
        let d = app.create_retiree("city", &flagged(4, "19640401", hardship)).await["id"].as_i64().unwrap();
        let died = (today() - time::Duration::days(3)).to_string();
        let mut reports = Vec::new();
        for id in [b, c] {
            let r = app.post("/api/v1/death-reports", "hongshan", &json!({"retiree_id": id, "date_of_death": died,
                "certificate_number": format!("DC-{id}"), "reporter_kind": "relative", "reporter_name": "张小明", "reporter_relation": "儿子"})).await.expect(201);
            reports.push(r.body["id"].as_i64().unwrap());
        }
        let page = app.get("/api/v1/ledgers/severe_hardship/comparison?jurisdiction=350203001", "xiagang").await.expect(200).body;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{page}");
        assert_eq!((items[0]["retiree_id"].clone(), items[0]["finding"].clone(), items[0]["death_report_id"].clone(), items[0]["report_status"].clone(), items[0]["computed"].clone()),
            (json!(b), json!("reported_dead"), json!(reports[0]), json!("reported"), json!(true)));
        assert_eq!(items[0]["date_of_death"], json!(died));
        assert!(!items.iter().any(|i| i["retiree_id"] == json!(d)));
        // Another group has nobody reported dead.
        let other = app.get("/api/v1/ledgers/model_worker/comparison?jurisdiction=350203001", "xiagang").await.expect(200).body;
        assert_eq!(other["items"], json!([]));
        // The file: Chinese headers, one row.
        let csv = app.get("/api/v1/exports/ledgers/severe_hardship/comparison?jurisdiction=350203001&labels=zh", "xiagang").await.expect(200);
        let text = String::from_utf8_lossy(&csv.bytes).to_string();
        assert!(text.contains("人员编号,所在社区,按数据属于该群体,核实结果,比对结果,死亡报告编号,死亡日期,报告状态,来自信息比对"), "{text}");
        assert!(text.contains(&format!("{b},350203001001,是,,已报死亡,{},{died},待核实,否", reports[0])), "{text}");
        assert_eq!(app.audit_count("ledger.comparison_export"), 1);
        // Unknown group, bad cursor, out of scope, wrong role.
        app.get("/api/v1/ledgers/party_member/comparison", "xiagang").await.problem(404, "not_found");
        app.get("/api/v1/ledgers/severe_hardship/comparison?limit=0", "xiagang").await.problem(422, "limit_range");
        app.get("/api/v1/ledgers/severe_hardship/comparison?jurisdiction=350206", "xiagang").await.problem(422, "jurisdiction_not_found");
        app.get("/api/v1/exports/ledgers/severe_hardship/comparison?jurisdiction=350206", "xiagang").await.problem(422, "jurisdiction_not_found");
        app.get("/api/v1/ledgers/severe_hardship/comparison", "admin").await.problem(403, "forbidden");
    }
}
