//! Funding at every level (issue 27; XM Art. 20-22, JN Art. 14-16): budgets per fund at any level, allocations
//! parent→child, condolences booked against the paying node's fund and reversed on cancel, the yearly statement
//! reconciling to the fen across the tree, and the year close children-before-parent, on both backends.

use diesel::prelude::*;
use persistence::schema::retirees;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

async fn xiamen(app: &TestApp) {
    let body = json!({"valid_from": "2020-01-01", "preset": "xiamen-2025", "extend_beyond_term": true, "note": "延期执行（测试）"});
    app.post("/api/v1/jurisdictions/3502/policies", "city", &body).await.expect(201);
}

/// A city-managed retiree of 350203001001 registered on 2025-01-01 (in the 2025 headcount).
async fn registered_2025(app: &TestApp, seq: u16) -> i64 {
    let id = app.create_retiree("city", &retiree_body("350203001001", seq)).await["id"].as_i64().unwrap();
    let jan1 = time::Date::from_calendar_date(2025, time::Month::January, 1).unwrap();
    diesel::update(retirees::table.find(id))
        .set(retirees::created_at.eq(jan1.midnight()))
        .execute(&mut app.conn())
        .unwrap();
    id
}

fn fen(v: &Value) -> i64 {
    let s = v.as_str().unwrap();
    let (w, f) = s.split_once('.').unwrap();
    let sign = if w.starts_with('-') { -1 } else { 1 };
    sign * (w.trim_start_matches('-').parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap())
}

fn statement_path(code: &str, fund: &str) -> String {
    format!("/api/v1/funding/year-statements/{code}/{fund}/2025")
}

both_backends! {
    async fn fund_allocations_bookings_and_year_close_reconcile_across_the_tree(app: &TestApp) {
        xiamen(app).await;
        let person = registered_2025(app, 1).await;
        // Budgets at every level: the city's special fund (XM Art. 22) appropriated, the district's service fund
        // computed (XM Art. 21: 1 × 400.00).
        let special = app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "3502", "year": 2025, "fund": "special", "amount": "10000.00"})).await.expect(201).body;
        assert_eq!((special["fund_kind"].clone(), special["appropriation_source"].clone(), special["fund"]["total"].clone()), (json!("special"), json!("XM Art. 22"), json!("10000.00")));
        let service = app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203", "year": 2025})).await.expect(201).body;
        assert_eq!(service["fund"]["total"], "400.00");
        // A community's working fund (JN Art. 16; no longer not_a_district).
        app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203001001", "year": 2025, "fund": "working", "amount": "500.00"})).await.expect(201);
        app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203001", "year": 2025, "amount": "1.00"})).await.problem(422, "amount_not_allowed");
        app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203001", "year": 2025, "fund": "subsidy"})).await.problem(422, "required");
        app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "3502", "year": 2025, "fund": "special", "amount": "1.00"})).await.problem(409, "budget_exists");
        assert_eq!(app.count("fund_budgets"), 3);

        // Allocations: the city to the districts (XM Art. 22), the district to its street.
        let alloc = |who: &'static str, body: Value| async move { app.post("/api/v1/funding/allocations", who, &body).await };
        let a = alloc("finance", json!({"fund": "special", "year": 2025, "from": "3502", "to": "350203", "recipients": 30, "amount": "6000.00", "on_date": "2025-01-10"})).await.expect(201);
        assert_eq!(a.header("location").unwrap(), format!("/api/v1/funding/allocations/{}", a.body["id"]));
        assert_eq!((a.body["amount"].clone(), a.body["recipients"].clone()), (json!("6000.00"), json!(30)));
        alloc("finance", json!({"fund": "special", "year": 2025, "from": "3502", "to": "350206", "amount": "3000.00", "on_date": "2025-01-10"})).await.expect(201);
        // 1000.00 left: a fen more is refused and nothing is written.
        alloc("finance", json!({"fund": "special", "year": 2025, "from": "3502", "to": "350206", "amount": "1000.01", "on_date": "2025-01-10"})).await.problem(409, "allocation_exceeds_balance");
        alloc("finance", json!({"fund": "special", "year": 2025, "from": "3502", "to": "350203001", "amount": "1.00", "on_date": "2025-01-10"})).await.problem(422, "not_a_child");
        alloc("huli", json!({"fund": "special", "year": 2025, "from": "350203", "to": "350203001", "amount": "1.00", "on_date": "2025-01-10"})).await.problem(422, "jurisdiction_not_found");
        alloc("hongshan", json!({"fund": "special", "year": 2025, "from": "350203", "to": "350203001", "amount": "1.00"})).await.problem(403, "forbidden");
        alloc("finance", json!({"fund": "special", "year": 2025, "from": "3502", "to": "350203", "amount": "0"})).await.problem(422, "must_be_positive");
        alloc("siming", json!({"fund": "special", "year": 2025, "from": "350203", "to": "350203001", "recipients": 10, "amount": "2000.00", "on_date": "2025-01-12"})).await.expect(201);
        alloc("siming", json!({"fund": "service", "year": 2025, "from": "350203", "to": "350203001", "amount": "300.00", "on_date": "2025-01-12"})).await.expect(201);
        assert_eq!(app.count("fund_allocations"), 4);
        app.get(&format!("/api/v1/funding/allocations/{}", a.body["id"]), "huli").await.problem(404, "not_found");
        app.get(&format!("/api/v1/funding/allocations/{}", a.body["id"]), "siming").await.expect(200);
        let listed = app.get("/api/v1/funding/allocations?fund=special&year=2025", "siming").await.expect(200).body;
        assert_eq!(listed["items"].as_array().unwrap().len(), 2);
        app.get("/api/v1/funding/allocations?fund=lottery", "siming").await.problem(422, "invalid_enum");

        // A hospital condolence (XM Art. 21(2): 200.00) is booked against the street's service fund in the same
        // transaction (the nearest node from the community up that keeps the fund), linked both ways.
        let c1 = app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": person, "kind": "hospital", "on_date": "2025-05-12"})).await.expect(201).body;
        let booking = c1["expenditure_id"].as_i64().expect("booked");
        let e = app.get(&format!("/api/v1/funding/expenditures/{booking}"), "siming").await.expect(200).body;
        assert_eq!((e["jurisdiction"].clone(), e["fund"].clone(), e["category"].clone(), e["amount"].clone(), e["condolence_id"].clone()),
            (json!("350203001"), json!("service"), json!("hospital_condolence"), json!("200.00"), c1["id"].clone()));
        // The street has 100.00 left: the second paid hospital condolence is refused, nothing recorded.
        let before = app.count("condolences");
        app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": person, "kind": "hospital", "on_date": "2025-06-12"})).await.problem(409, "payment_over_budget");
        assert_eq!(app.count("condolences"), before);
        // Cancelling the first reverses its booking; then the second fits.
        app.post(&format!("/api/v1/condolences/{}/cancel", c1["id"]), "hongshan", &json!({"reason": ""})).await.problem(422, "required");
        app.post(&format!("/api/v1/condolences/{}/cancel", c1["id"]), "huli", &json!({"reason": "重复"})).await.problem(404, "not_found");
        let cancelled = app.post(&format!("/api/v1/condolences/{}/cancel", c1["id"]), "hongshan", &json!({"reason": "重复登记"})).await.expect(200).body;
        assert_eq!((cancelled["paid"].clone(), cancelled["amount"].clone(), cancelled["cancel_reason"].clone()), (json!(false), json!("0.00"), json!("重复登记")));
        app.post(&format!("/api/v1/condolences/{}/cancel", c1["id"]), "hongshan", &json!({"reason": "再次"})).await.problem(409, "condolence_cancelled");
        let ledger = app.get("/api/v1/funding/expenditures?jurisdiction=350203001&year=2025", "siming").await.expect(200).body;
        let amounts: Vec<&str> = ledger["items"].as_array().unwrap().iter().map(|e| e["amount"].as_str().unwrap()).collect();
        assert_eq!(amounts, ["200.00", "-200.00"]);
        assert_eq!(ledger["items"][1]["reverses_id"], json!(booking));
        app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": person, "kind": "hospital", "on_date": "2025-06-12"})).await.expect(201);
        assert_eq!(app.audit_count("condolence.cancel"), 1);

        // The statements reconcile to the fen: a parent's allocations out = the sum of its children's allocations in.
        let street = app.get(&statement_path("350203001", "service"), "xiagang").await.expect(200).body;
        assert_eq!((street["allocated_in"].clone(), street["spent"].clone(), street["balance"].clone()), (json!("300.00"), json!("200.00"), json!("100.00")));
        let district = app.get(&statement_path("350203", "service"), "siming").await.expect(200).body;
        assert_eq!((district["budget"].clone(), district["allocated_out"].clone(), district["balance"].clone()), (json!("400.00"), json!("300.00"), json!("100.00")));
        let city = app.get(&statement_path("3502", "special"), "auditor").await.expect(200).body;
        let siming = app.get(&statement_path("350203", "special"), "auditor").await.expect(200).body;
        let huli = app.get(&statement_path("350206", "special"), "auditor").await.expect(200).body;
        let xiagang = app.get(&statement_path("350203001", "special"), "auditor").await.expect(200).body;
        assert_eq!(fen(&city["allocated_out"]), fen(&siming["allocated_in"]) + fen(&huli["allocated_in"]));
        assert_eq!(fen(&siming["allocated_out"]), fen(&xiagang["allocated_in"]));
        assert_eq!((fen(&city["balance"]), fen(&siming["balance"]), fen(&huli["balance"]), fen(&xiagang["balance"])), (100_000, 400_000, 300_000, 200_000));
        // Nothing is lost across the tree: the city's budget = every node's balance + everything spent.
        assert_eq!(fen(&city["budget"]), [&city, &siming, &huli, &xiagang].iter().map(|s| fen(&s["balance"]) + fen(&s["spent"])).sum::<i64>());
        assert_eq!((city["reconciles"].clone(), city["children"].as_array().unwrap().len()), (json!(true), 2));
        app.get(&statement_path("350203", "special"), "huli").await.problem(404, "not_found");
        app.get("/api/v1/funding/year-statements/350203/lottery/2025", "siming").await.problem(404, "not_found");

        // The year closes children first (finance); the event links the filed statement.
        let close = |code: &'static str, who: &'static str| async move { app.post(&format!("{}/close", statement_path(code, "special")), who, &json!({})).await };
        close("3502", "finance").await.problem(409, "children_year_open");
        close("350203", "finance").await.problem(409, "children_year_open");
        close("350203001", "hongshan").await.problem(403, "forbidden");
        let filed = close("350203001", "finance").await.expect(200).body;
        assert_eq!((filed["status"].clone(), filed["version"].clone()), (json!("closed"), json!(1)));
        close("350203", "finance").await.expect(200);
        close("350206", "finance").await.expect(200);
        let city_closed = close("3502", "finance").await.expect(200).body;
        assert_eq!((city_closed["reconciles"].clone(), city_closed["balance"].clone()), (json!(true), json!("1000.00")));
        close("3502", "finance").await.problem(409, "statement_closed");
        app.post("/api/v1/funding/year-statements/3502/special/2026/close", "finance", &json!({})).await.problem(409, "year_not_over");
        assert_eq!(app.count("events WHERE type = 'fund.year_closed'"), 4);
        assert_eq!(app.audit_count("fund.year_close"), 4);
        // The filed statement as the clerk's file: XLSX by default of the format option, CSV with Chinese headers.
        let xlsx = app.get("/api/v1/exports/fund-statement?year=2025&node=3502&fund=special&format=xlsx", "auditor").await.expect(200);
        assert!(xlsx.header("content-type").unwrap().contains("spreadsheetml"));
        let csv = app.get("/api/v1/exports/fund-statement?year=2025&node=3502&fund=special&labels=zh", "auditor").await.expect(200);
        let text = String::from_utf8_lossy(&csv.bytes).to_string();
        assert!(text.contains("辖区代码,经费类别,本级预算,上级下拨,下拨下级,支出,结余"), "{text}");
        assert!(text.contains("3502,市退服中心专项经费,10000.00,0.00,9000.00,0.00,1000.00"), "{text}");
        app.get("/api/v1/exports/fund-statement?node=3502", "auditor").await.problem(422, "required");
        app.get("/api/v1/exports/fund-statement?year=2025&node=350203", "huli").await.problem(404, "not_found");
        // A closed year takes no allocation.
        alloc("finance", json!({"fund": "special", "year": 2025, "from": "3502", "to": "350206", "amount": "1.00", "on_date": "2025-12-01"})).await.problem(409, "statement_closed");
        // Reopen: the parent first, with a reason (finance or the administrator).
        let reopen = |code: &'static str, who: &'static str, reason: &'static str| async move {
            app.post(&format!("{}/reopen", statement_path(code, "special")), who, &json!({"reason": reason})).await
        };
        reopen("350203", "finance", "补记").await.problem(409, "parent_year_closed");
        reopen("3502", "admin", "").await.problem(422, "required");
        reopen("3502", "hongshan", "补记").await.problem(403, "forbidden");
        let reopened = reopen("3502", "admin", "补记12月慰问").await.expect(200).body;
        assert_eq!((reopened["status"].clone(), reopened["reopen_reason"].clone()), (json!("reopened"), json!("补记12月慰问")));
        reopen("3502", "finance", "再次").await.problem(409, "year_not_closed");
        assert_eq!(app.audit_count("fund.year_reopen"), 1);
    }
}
