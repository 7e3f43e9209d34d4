//! Condolences, festival lists, visits, self-management groups, the service fund and the staffing report (issue 8;
//! XM Art. 12, 14, 21-24; CS Art. 10, 19, 25; JN Art. 11-17, 31-32; GUIDE 走访制度), on both backends.

use diesel::prelude::*;
use persistence::schema::retirees;
use serde_json::{Value, json};
use time::Date;

use crate::both_backends;
use crate::helpers::*;

fn today() -> Date {
    crate::helpers::today()
}

fn year() -> i32 {
    today().year()
}

/// Binds a preset from `from` on, open-ended: these cases run on today's dates, which can fall after the term of
/// the preset's document (CS Art. 36 ends on 2025-04-30), so the binding is extended beyond it.
async fn preset(app: &TestApp, code: &str, name: &str, from: &str) {
    let body = json!({"valid_from": from, "preset": name, "extend_beyond_term": true, "note": "延期执行（测试）"});
    app.post(&format!("/api/v1/jurisdictions/{code}/policies"), "city", &body).await.expect(201);
}

/// Registers a retiree in `community` (by a centre that sees it) with a management level.
async fn person(app: &TestApp, community: &str, seq: u16, level: &str) -> i64 {
    let mut body = retiree_body(community, seq);
    body["management_level"] = json!(level);
    app.create_retiree("city", &body).await["id"].as_i64().unwrap()
}

/// Moves a registration back in time (the fixtures register everybody today).
fn registered_on(app: &TestApp, id: i64, on: Date) {
    diesel::update(retirees::table.find(id))
        .set(retirees::created_at.eq(on.midnight()))
        .execute(&mut app.conn())
        .unwrap();
}

fn ids(body: &Value) -> Vec<i64> {
    body["items"].as_array().unwrap().iter().map(|i| i["retiree_id"].as_i64().unwrap()).collect()
}

both_backends! {
    async fn a_third_paid_hospital_condolence_in_a_year_is_refused(app: &TestApp) {
        preset(app, "3502", "xiamen-2025", "2025-02-26").await;
        let id = person(app, "350203001001", 1, "city_managed").await;
        let last = year() - 1;
        let post = |on: String, paid: bool| {
            let body = json!({"retiree_id": id, "kind": "hospital", "on_date": on, "paid": paid});
            async move { app.post("/api/v1/condolences", "hongshan", &body).await }
        };
        // XM Art. 21(2): "住院慰问，每人每年不超过2次（含）,慰问金标准每人次200元".
        // Replayed with its Idempotency-Key, a condolence is recorded once.
        let keyed = json!({"retiree_id": id, "kind": "hospital", "on_date": format!("{last}-03-01")});
        let first = app.post_with("/api/v1/condolences", "hongshan", &keyed, &[("Idempotency-Key", "c-1")]).await.expect(201);
        let replay = app.post_with("/api/v1/condolences", "hongshan", &keyed, &[("Idempotency-Key", "c-1")]).await.expect(201);
        assert_eq!(replay.body, first.body);
        assert_eq!(app.count("condolences"), 1);
        assert_eq!(first.body["amount"], "200.00");
        assert_eq!(first.body["amount_source"], "XM Art. 21(2)");
        assert_eq!(first.body["year"], last);
        assert_eq!(first.header("location").unwrap(), format!("/api/v1/condolences/{}", first.body["id"]));
        post(format!("{last}-06-01"), true).await.expect(201);
        let third = post(format!("{last}-09-01"), true).await.problem(422, "condolence_cap_exceeded");
        assert!(third.body["detail"].as_str().unwrap().contains("XM Art. 21(2)"), "{}", third.text);
        // Recorded as a visit without payment it is accepted, for nothing.
        let unpaid = post(format!("{last}-09-01"), false).await.expect(201);
        assert_eq!((unpaid.body["paid"].clone(), unpaid.body["amount"].clone()), (json!(false), json!("0.00")));
        // The next year starts a new count.
        let next = post(format!("{}-01-05", year()), true).await.expect(201);
        assert_eq!(next.body["amount"], "200.00");
        assert_eq!(app.count("condolences"), 4);
        assert_eq!(app.audit_count("condolence.create"), 4);
        // Each is in the change feed (issue 11), paid or not; the refused one is not.
        let feed = app.get("/api/v1/events?types=condolence.recorded", "platform").await.expect(200);
        let items = feed.body["items"].as_array().unwrap();
        let seen: Vec<(Value, Value)> = items.iter().map(|e| (e["payload"]["paid"].clone(), e["payload"]["amount_fen"].clone())).collect();
        assert_eq!(seen, [(json!(true), json!(20000)), (json!(true), json!(20000)), (json!(false), json!(0)), (json!(true), json!(20000))]);
        assert_eq!(items[0]["subject"], json!({"type": "condolence", "id": first.body["id"]}));
        assert_eq!(items[0]["payload"]["retiree"]["id"], id);
        assert_eq!(items[0]["payload"]["kind"], "hospital");
        for e in items {
            app::events::check_payload(domain::events::EventType::CondolenceRecorded, &e["payload"]).unwrap();
        }
        // XM Art. 21(3): the family of a deceased retiree, 500 yuan, once — after the death is verified.
        app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": id, "kind": "death"})).await.problem(409, "death_not_verified");
        let died = (today() - time::Duration::days(3)).to_string();
        let report = app.post("/api/v1/death-reports", "hongshan", &json!({"retiree_id": id, "date_of_death": died,
            "certificate_number": "DC-1", "reporter_kind": "relative", "reporter_name": "张小明", "reporter_relation": "儿子"})).await.expect(201);
        app.post(&format!("/api/v1/death-reports/{}/verify", report.body["id"]), "siming", &json!({})).await.expect(200);
        let death = app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": id, "kind": "death"})).await.expect(201);
        assert_eq!((death.body["amount"].clone(), death.body["amount_source"].clone()), (json!("500.00"), json!("XM Art. 21(3)")));
        app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": id, "kind": "death"})).await.problem(409, "condolence_already_paid");
        // Bad input, wrong role, out of scope.
        app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": id, "kind": "birthday"})).await.problem(422, "invalid_enum");
        app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": id, "kind": "hospital", "on_date": "2999-01-01"})).await.problem(422, "date_in_future");
        app.post("/api/v1/condolences", "leader", &json!({"retiree_id": id, "kind": "hospital"})).await.problem(403, "forbidden");
        app.post("/api/v1/condolences", "fengchaoshan", &json!({"retiree_id": id, "kind": "hospital"})).await.problem(422, "retiree_not_found");
        assert_eq!(app.count("condolences"), 5);
        // Reads: the list in scope, one record audited, 404 outside.
        let list = app.get(&format!("/api/v1/condolences?retiree_id={id}&kind=hospital&year={last}"), "xiagang").await.expect(200);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 3);
        assert_eq!(app.get("/api/v1/condolences", "fengchaoshan").await.expect(200).body["items"], json!([]));
        app.get("/api/v1/condolences?jurisdiction=350206", "siming").await.problem(422, "jurisdiction_not_found");
        app.get("/api/v1/condolences?kind=x", "siming").await.problem(422, "invalid_enum");
        let one = format!("/api/v1/condolences/{}", first.body["id"]);
        app.get(&one, "hongshan").await.expect(200);
        assert_eq!(app.audit_count("condolence.read"), 1);
        app.get(&one, "fengchaoshan").await.problem(404, "not_found");
        app.get(&one, "admin").await.problem(403, "forbidden");
    }

    // Issue 19, XM Art. 21(3) "亡故退休人员家属慰问，慰问金标准500元": paid once per deceased, not once per calendar
    // year; not dated before the death; the condolences of the living (hospital, …) end with a verified death.
    async fn the_death_condolence_is_paid_once_per_deceased_and_not_before_the_death(app: &TestApp) {
        preset(app, "3502", "xiamen-2025", "2025-02-26").await;
        let id = person(app, "350203001001", 1, "city_managed").await;
        let last = year() - 1;
        let died = format!("{last}-06-10");
        let post = |kind: &str, on: String, paid: bool| {
            let body = json!({"retiree_id": id, "kind": kind, "on_date": on, "paid": paid});
            async move { app.post("/api/v1/condolences", "hongshan", &body).await }
        };
        let report = app.post("/api/v1/death-reports", "hongshan", &json!({"retiree_id": id, "date_of_death": died,
            "certificate_number": "DC-19", "reporter_kind": "relative", "reporter_name": "张小明"})).await.expect(201);
        app.post(&format!("/api/v1/death-reports/{}/verify", report.body["id"]), "siming", &json!({})).await.expect(200);
        let paid = post("death", format!("{last}-06-20"), true).await.expect(201);
        assert_eq!((paid.body["amount"].clone(), paid.body["year"].clone()), (json!("500.00"), json!(last)));
        // Another calendar year does not pay the family a second time.
        let again = post("death", today().to_string(), true).await.problem(409, "condolence_already_paid");
        assert!(again.body["detail"].as_str().unwrap().contains("XM Art. 21(3)"), "{}", again.text);
        // A condolence to the family cannot be dated before the death.
        let early = post("death", format!("{last}-06-01"), false).await.problem(422, "before_death");
        assert_eq!(early.body["errors"][0]["field"], "/on_date");
        // After the verified death, no hospital condolence; one dated before the death (recorded late) stands.
        post("hospital", today().to_string(), true).await.problem(409, "retiree_deceased");
        post("hospital", format!("{last}-06-10"), false).await.problem(409, "retiree_deceased");
        post("hospital", format!("{last}-05-02"), true).await.expect(201);
        // A visit to the family without payment is still recorded.
        post("death", today().to_string(), false).await.expect(201);
        assert_eq!(app.count("condolences"), 3);
        assert_eq!(app.audit_count("condolence.create"), 3);
    }

    // Issue 19: care is for retirees (XM Art. 14, 21; GUIDE 走访制度): a condolence or a visit dated before the
    // person's retirement date, before they were on a roll, is refused on its date field.
    async fn condolences_and_visits_before_the_retirement_date_are_refused(app: &TestApp) {
        preset(app, "3502", "xiamen-2025", "2025-02-26").await;
        let id = person(app, "350203001001", 1, "city_managed").await; // retired 2015-01-01
        let early = app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": id, "kind": "hospital",
            "on_date": "2014-12-31", "paid": false})).await.problem(422, "before_retirement");
        assert_eq!(early.body["errors"][0]["field"], "/on_date");
        assert!(early.body["detail"].as_str().unwrap().contains("2015-01-01"), "{}", early.text);
        let visit = app.post("/api/v1/visits", "hongshan", &json!({"retiree_id": id, "on_date": "2014-12-31",
            "worker": "王丽", "findings": "身体健康"})).await.problem(422, "before_retirement");
        assert_eq!(visit.body["errors"][0]["field"], "/on_date");
        assert_eq!((app.count("condolences"), app.count("visits")), (0, 0));
        // From the retirement date on, both are recorded.
        app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": id, "kind": "hospital",
            "on_date": "2015-01-01", "paid": false})).await.expect(201);
        app.post("/api/v1/visits", "hongshan", &json!({"retiree_id": id, "on_date": "2015-01-01",
            "worker": "王丽", "findings": "身体健康"})).await.expect(201);
        assert_eq!((app.count("condolences"), app.count("visits")), (1, 1));
    }

    async fn changsha_visits_the_seriously_ill_without_a_cap_or_an_amount(app: &TestApp) {
        preset(app, "3502", "xiamen-2025", "2025-02-26").await;
        preset(app, "350206", "changsha-2020", "2025-03-01").await;
        let mut body = retiree_body("350206001001", 2);
        body["id_number"] = json!(id_number("350206", "19550101", 141));
        let id = app.create_retiree("huli", &body).await["id"].as_i64().unwrap();
        // CS Art. 25(2): "退休人员重病住院…应上门慰问" — on each stay, no amount stated.
        for _ in 0..3 {
            let res = app.post("/api/v1/condolences", "huli", &json!({"retiree_id": id, "kind": "hospital"})).await.expect(201);
            assert_eq!((res.body["amount"].clone(), res.body["amount_source"].clone()), (json!("0.00"), json!("not stated")));
        }
        // Changsha has no Spring Festival kind of its own (major festivals are `other_festival`).
        let res = app.post("/api/v1/condolences", "huli", &json!({"retiree_id": id, "kind": "spring_festival"})).await.problem(422, "condolence_kind_not_in_policy");
        assert_eq!(res.first_field(), "/kind");
    }

    async fn festival_lists_record_everybody_eligible_once(app: &TestApp) {
        preset(app, "3502", "xiamen-2025", "2025-02-26").await;
        let a = person(app, "350203001001", 3, "city_managed").await;
        let b = person(app, "350203001001", 4, "district_managed").await;
        let c = person(app, "350203001004", 5, "city_managed").await;
        // Somebody whose Double Ninth condolence is already recorded this year is not eligible again
        // (XM Art. 14, 21(1): once a year).
        app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": b, "kind": "double_ninth"})).await.expect(201);
        let q = "/api/v1/festival-lists/eligible?kind=double_ninth&jurisdiction=";
        let hongshan = app.get(&format!("{q}350203001001"), "hongshan").await.expect(200);
        assert_eq!(ids(&hongshan.body), vec![a]);
        let street = app.get(&format!("{q}350203001"), "xiagang").await.expect(200);
        assert_eq!(ids(&street.body), vec![a, c]);
        assert_eq!(street.body["people"], 2);
        // XM leaves the festival amount to the city HR department: 0.00, not stated.
        assert_eq!(street.body["total"], "0.00");
        assert_eq!(street.body["items"][0]["amount_source"], "not stated");
        let res = app.post("/api/v1/festival-lists", "xiagang", &json!({"jurisdiction": "350203001", "kind": "double_ninth"})).await.expect(201);
        assert_eq!(res.body["people"], 2);
        let list_id = res.body["id"].as_i64().unwrap();
        let recorded = app.get(&format!("/api/v1/condolences?festival_list_id={list_id}"), "xiagang").await.expect(200);
        assert_eq!(ids(&recorded.body), vec![a, c]);
        app.get(&format!("/api/v1/festival-lists/{list_id}"), "xiagang").await.expect(200);
        app.get(&format!("/api/v1/festival-lists/{list_id}"), "hongshan").await.problem(404, "not_found");
        // A second list the same year records nobody twice.
        let again = app.post("/api/v1/festival-lists", "xiagang", &json!({"jurisdiction": "350203001", "kind": "double_ninth"})).await.expect(201);
        assert_eq!(again.body["people"], 0);
        assert_eq!(app.count("condolences"), 3);
        // Bad input, wrong role, out of scope.
        app.get("/api/v1/festival-lists/eligible?kind=hospital&jurisdiction=350203001", "xiagang").await.problem(422, "invalid_enum");
        app.get("/api/v1/festival-lists/eligible?jurisdiction=350203001", "xiagang").await.problem(422, "required");
        app.post("/api/v1/festival-lists", "leader", &json!({"jurisdiction": "350203001001", "kind": "spring_festival"})).await.problem(403, "forbidden");
        app.post("/api/v1/festival-lists", "hongshan", &json!({"jurisdiction": "350203001004", "kind": "spring_festival"})).await.problem(422, "jurisdiction_not_found");
        // Changsha names no Spring Festival kind.
        preset(app, "350206", "changsha-2020", "2025-03-01").await;
        app.get("/api/v1/festival-lists/eligible?kind=spring_festival&jurisdiction=350206", "huli").await.problem(422, "condolence_kind_not_in_policy");
        assert_eq!(app.audit_count("festival_list.create"), 2);
    }
}

/// Registers people of each management level in `community`, registered on `on`: `levels` are (level, how many).
async fn people_on(app: &TestApp, community: &str, first_seq: u16, levels: &[(&str, u16)], on: Date) -> Vec<i64> {
    let mut out = Vec::new();
    let mut seq = first_seq;
    for (level, n) in levels {
        for _ in 0..*n {
            let mut body = retiree_body(community, seq);
            body["management_level"] = json!(level);
            if community.starts_with("350206") {
                body["id_number"] = json!(id_number("350206", "19550101", seq * 2 + 1));
            }
            let id = app.create_retiree("city", &body).await["id"].as_i64().unwrap();
            registered_on(app, id, on);
            out.push(id);
            seq += 1;
        }
    }
    out
}

/// Creates `n` groups in `community`, each with a leader elected on `on`; returns the leader ids.
async fn leaders(app: &TestApp, community: &str, n: usize, on: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for i in 0..n {
        let g = app
            .post(
                "/api/v1/groups",
                "city",
                &json!({"community_code": community, "name": format!("第{i}小组"),
            "basis": "building", "area": format!("{i}号楼")}),
            )
            .await
            .expect(201);
        let l = app
            .post(
                &format!("/api/v1/groups/{}/leaders", g.body["id"]),
                "city",
                &json!({"name": format!("组长{i}"), "elected_on": on}),
            )
            .await
            .expect(201);
        out.push(l.body["id"].as_i64().unwrap());
    }
    out
}

fn jan1(y: i32) -> Date {
    Date::from_calendar_date(y, time::Month::January, 1).unwrap()
}

fn level<'a>(budget: &'a Value, name: &str) -> &'a Value {
    budget["levels"].as_array().unwrap().iter().find(|l| l["management_level"] == name).unwrap()
}

both_backends! {
    async fn xiamen_budget_allowances_quota_awards_and_ledger(app: &TestApp) {
        preset(app, "3502", "xiamen-2025", "2025-02-26").await;
        let y = year();
        people_on(app, "350203001001", 10, &[("city_managed", 2), ("central_provincial_local", 1), ("district_managed", 1)], jan1(y)).await;
        // Registered after the reference date: not in the headcount.
        person(app, "350203001001", 20, "city_managed").await;
        let leader_ids = leaders(app, "350203001001", 10, &format!("{y}-01-01")).await;
        let res = app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203", "year": y})).await.expect(201);
        let b = &res.body;
        assert_eq!(b["reference_date"], format!("{y}-01-01"));
        // XM Art. 21: "每人每年400元,市、区财政按1:1分担" — 4 × 400 = 1600, 800 each.
        assert_eq!((b["per_retiree_per_year"].clone(), b["per_retiree_source"].clone()), (json!("400.00"), json!("XM Art. 21")));
        assert_eq!(b["fund"], json!({"total": "1600.00", "city": "800.00", "district": "800.00"}));
        assert_eq!(level(b, "city_managed")["headcount"], 2);
        assert_eq!(level(b, "city_managed")["amount"], json!({"total": "800.00", "city": "400.00", "district": "400.00"}));
        assert_eq!(level(b, "district_managed")["amount"], json!({"total": "400.00", "city": "200.00", "district": "200.00"}));
        // XM Art. 23: "每人每月补贴150元…市、区财政按4:6" — 10 leaders: 1500 a month, 600 city, 900 district.
        let g = &b["group_leaders"];
        assert_eq!(g["leaders"], 10);
        assert_eq!(g["monthly"], json!({"total": "1500.00", "city": "600.00", "district": "900.00"}));
        assert_eq!(g["yearly"], json!({"total": "18000.00", "city": "7200.00", "district": "10800.00"}));
        // XM Art. 24: 10% of 10 leaders (rounding down, not stated) = 1 place, 400 yuan each.
        assert_eq!((g["excellent_quota"].clone(), g["excellent_award"].clone(), g["awards_total"].clone()), (json!(1), json!("400.00"), json!("400.00")));
        assert_eq!(g["excellent_source"], "XM Art. 24");
        let budget_id = b["id"].as_i64().unwrap();
        assert_eq!(res.header("location").unwrap(), format!("/api/v1/funding/budgets/{budget_id}"));
        // Once a year; bad input, wrong role, out of scope, not a district.
        app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203", "year": y})).await.problem(409, "budget_exists");
        app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203", "year": 1990})).await.problem(422, "out_of_range");
        app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203", "year": y + 1, "reference_date": "2999-01-01"})).await.problem(422, "date_in_future");
        app.post("/api/v1/funding/budgets", "hongshan", &json!({"jurisdiction": "350203", "year": y - 1})).await.problem(403, "forbidden");
        app.post("/api/v1/funding/budgets", "huli", &json!({"jurisdiction": "350203", "year": y - 1})).await.problem(422, "jurisdiction_not_found");
        // Issue 27: budgets are kept at every level, a street's too.
        app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203001", "year": y - 1})).await.expect(201);
        assert_eq!(app.count("fund_budgets"), 2);
        app.get(&format!("/api/v1/funding/budgets/{budget_id}"), "siming").await.expect(200);
        app.get(&format!("/api/v1/funding/budgets/{budget_id}"), "huli").await.problem(404, "not_found");
        let listed = app.get(&format!("/api/v1/funding/budgets?year={y}"), "city").await.expect(200);
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
        // The allowance of a month: XM Art. 23, 10 × 150 split 4:6.
        let month = format!("{y}-{:02}", u8::from(today().month()));
        let a = app.get(&format!("/api/v1/funding/leader-allowances?jurisdiction=350203&month={month}"), "siming").await.expect(200);
        assert_eq!((a.body["leaders"].clone(), a.body["source"].clone()), (json!(10), json!("XM Art. 23")));
        assert_eq!(a.body["amount"], json!({"total": "1500.00", "city": "600.00", "district": "900.00"}));
        app.get("/api/v1/funding/leader-allowances?month=2026-13", "siming").await.problem(422, "invalid_month");
        // The ledger: XM Art. 21(4) activities allowed; office equipment is no XM use; over the budget refused.
        let spend = |body: Value| async move { app.post("/api/v1/funding/expenditures", "finance", &body).await };
        let ok = spend(json!({"jurisdiction": "350203", "category": "activities", "amount": "500.00", "description": "重阳节文艺汇演"})).await.expect(201);
        assert_eq!((ok.body["amount"].clone(), ok.body["year"].clone()), (json!("500.00"), json!(y)));
        let location = ok.header("location").unwrap().to_owned();
        assert_eq!(location, format!("/api/v1/funding/expenditures/{}", ok.body["id"]));
        assert_eq!(app.get(&location, "auditor").await.expect(200).body["category"], "activities");
        app.get(&location, "huli").await.problem(404, "not_found");
        spend(json!({"jurisdiction": "350203", "category": "office_equipment", "amount": "10.00", "description": "打印机"})).await.problem(422, "expense_category_not_allowed");
        spend(json!({"jurisdiction": "350203", "category": "hospital_condolence", "amount": "1100.01", "description": "住院慰问金"})).await.problem(422, "budget_exceeded");
        spend(json!({"jurisdiction": "350203", "category": "activities", "amount": "0", "description": "零"})).await.problem(422, "must_be_positive");
        spend(json!({"jurisdiction": "350203", "category": "lottery", "amount": "1", "description": "x"})).await.problem(422, "invalid_enum");
        spend(json!({"jurisdiction": "350203", "category": "excellent_leader_award", "amount": "400", "description": "x"})).await.problem(409, "use_leader_awards");
        spend(json!({"jurisdiction": "350206", "category": "activities", "amount": "1", "description": "x"})).await.problem(422, "budget_missing");
        app.post("/api/v1/funding/expenditures", "auditor", &json!({"jurisdiction": "350203", "category": "activities", "amount": "1", "description": "x"})).await.problem(403, "forbidden");
        // Awards: one place, 400 yuan from the fund (XM Art. 24, 21(5)).
        let award = app.post("/api/v1/funding/leader-awards", "siming", &json!({"jurisdiction": "350203", "leader_id": leader_ids[0]})).await.expect(201);
        assert_eq!((award.body["category"].clone(), award.body["amount"].clone()), (json!("excellent_leader_award"), json!("400.00")));
        app.post("/api/v1/funding/leader-awards", "siming", &json!({"jurisdiction": "350203", "leader_id": leader_ids[1]})).await.problem(422, "excellent_quota_exceeded");
        app.post("/api/v1/funding/leader-awards", "siming", &json!({"jurisdiction": "350203", "leader_id": 999999})).await.problem(422, "leader_not_found");
        app.post("/api/v1/funding/leader-awards", "hongshan", &json!({"jurisdiction": "350203", "leader_id": leader_ids[1]})).await.problem(403, "forbidden");
        // The statement: 1600 budget, 900 spent, 700 left.
        let st = app.get(&format!("/api/v1/funding/statements/350203/{y}"), "auditor").await.expect(200);
        assert_eq!((st.body["spent"].clone(), st.body["balance"].clone(), st.body["closed"].clone()), (json!("900.00"), json!("700.00"), json!(false)));
        assert_eq!(st.body["by_category"], json!([{"category": "activities", "count": 1, "amount": "500.00"},
            {"category": "excellent_leader_award", "count": 1, "amount": "400.00"}]));
        assert_eq!((st.body["excellent_quota"].clone(), st.body["excellent_awarded"].clone()), (json!(1), json!(1)));
        app.get(&format!("/api/v1/funding/statements/350206/{y}"), "huli").await.problem(404, "not_found");
        app.get(&format!("/api/v1/funding/statements/350203/{y}"), "huli").await.problem(404, "not_found");
        let ledger = app.get(&format!("/api/v1/funding/expenditures?jurisdiction=350203&year={y}"), "auditor").await.expect(200);
        assert_eq!(ledger.body["items"].as_array().unwrap().len(), 2);
        assert_eq!(app.audit_count("expenditure.create"), 2);
        // Issue 27: cancelling the award reverses its booking (a reason is required); the place comes back.
        let award_id = award.body["id"].as_i64().unwrap();
        let cancel = |who: &'static str, id: i64, reason: &'static str| async move {
            app.post(&format!("/api/v1/funding/leader-awards/{id}/cancel"), who, &json!({"reason": reason})).await
        };
        cancel("siming", award_id, " ").await.problem(422, "required");
        cancel("hongshan", award_id, "材料不实").await.problem(403, "forbidden");
        cancel("huli", award_id, "材料不实").await.problem(404, "not_an_award");
        cancel("siming", ok.body["id"].as_i64().unwrap(), "不是奖励").await.problem(404, "not_an_award");
        let reversal = cancel("siming", award_id, "材料不实").await.expect(200).body;
        assert_eq!((reversal["amount"].clone(), reversal["reverses_id"].clone(), reversal["category"].clone()),
            (json!("-400.00"), json!(award_id), json!("excellent_leader_award")));
        cancel("siming", award_id, "再次").await.problem(409, "award_cancelled");
        cancel("siming", reversal["id"].as_i64().unwrap(), "撤销撤销").await.problem(404, "not_an_award");
        // To the fen: 1600.00 − 500.00 − 400.00 + 400.00 = 1100.00 left; the quota has its place again.
        let st = app.get(&format!("/api/v1/funding/statements/350203/{y}"), "auditor").await.expect(200);
        assert_eq!((st.body["spent"].clone(), st.body["balance"].clone(), st.body["excellent_awarded"].clone()), (json!("500.00"), json!("1100.00"), json!(0)));
        // Issue 27 (ledgers): the same leader can be awarded again in the year after the cancel; the cancelled
        // award keeps its reversal, the new award books against the fund again: award → cancel → award, to the fen.
        let again = app.post("/api/v1/funding/leader-awards", "siming", &json!({"jurisdiction": "350203", "leader_id": leader_ids[0]})).await.expect(201).body;
        assert_eq!((again["amount"].clone(), again["leader_id"].clone()), (json!("400.00"), json!(leader_ids[0])));
        assert_ne!(again["id"], json!(award_id));
        let st = app.get(&format!("/api/v1/funding/statements/350203/{y}"), "auditor").await.expect(200);
        assert_eq!((st.body["spent"].clone(), st.body["balance"].clone(), st.body["excellent_awarded"].clone()), (json!("900.00"), json!("700.00"), json!(1)));
        // Still one standing award per leader and year.
        app.post("/api/v1/funding/leader-awards", "siming", &json!({"jurisdiction": "350203", "leader_id": leader_ids[0]})).await.problem(422, "excellent_quota_exceeded");
        cancel("siming", award_id, "再次").await.problem(409, "award_cancelled");
        let ledger = app.get(&format!("/api/v1/funding/expenditures?jurisdiction=350203&year={y}"), "auditor").await.expect(200);
        let amounts: Vec<Value> = ledger.body["items"].as_array().unwrap().iter().map(|e| e["amount"].clone()).collect();
        assert_eq!(amounts.iter().filter(|a| **a == json!("400.00")).count(), 2, "{amounts:?}");
        assert_eq!(amounts.iter().filter(|a| **a == json!("-400.00")).count(), 1, "{amounts:?}");
        assert_eq!(app.audit_count("award.cancel"), 1);
        let events = feed(app, "award.cancelled").await;
        assert_eq!(events.len(), 1);
        assert_eq!((events[0]["payload"]["expenditure_id"].clone(), events[0]["payload"]["amount_fen"].clone(), events[0]["payload"]["reason"].clone()),
            (json!(award_id), json!(40000), json!("材料不实")));
    }

    async fn changsha_splits_by_management_level_and_allows_its_own_uses(app: &TestApp) {
        preset(app, "3502", "xiamen-2025", "2025-02-26").await;
        preset(app, "350206", "changsha-2020", "2025-03-01").await;
        let y = year();
        people_on(app, "350206001001", 30, &[("city_managed", 2), ("central_provincial_local", 1), ("district_managed", 2)], jan1(y)).await;
        leaders(app, "350206001001", 10, &format!("{y}-01-01")).await;
        let b = app.post("/api/v1/funding/budgets", "huli", &json!({"jurisdiction": "350206", "year": y})).await.expect(201).body;
        // CS Art. 10 para. 1: 100 yuan; city-managed and central-provincial 50/50; district-managed district 100%.
        assert_eq!(b["per_retiree_source"], "CS Art. 10 para. 1");
        assert_eq!(level(&b, "city_managed")["amount"], json!({"total": "200.00", "city": "100.00", "district": "100.00"}));
        assert_eq!(level(&b, "central_provincial_local")["amount"], json!({"total": "100.00", "city": "50.00", "district": "50.00"}));
        assert_eq!(level(&b, "district_managed")["amount"], json!({"total": "200.00", "city": "0.00", "district": "200.00"}));
        assert_eq!(b["fund"], json!({"total": "500.00", "city": "150.00", "district": "350.00"}));
        // Changsha pays leaders nothing and names nobody excellent (only XM Art. 23-24 do).
        assert_eq!(b["group_leaders"]["monthly"], json!({"total": "0.00", "city": "0.00", "district": "0.00"}));
        assert_eq!(b["group_leaders"]["excellent_quota"], 0);
        // CS Art. 10 para. 2 allows the information system, not XM's leader insurance.
        app.post("/api/v1/funding/expenditures", "huli", &json!({"jurisdiction": "350206", "category": "information_system", "amount": "300.00", "description": "系统维护"})).await.expect(201);
        app.post("/api/v1/funding/expenditures", "huli", &json!({"jurisdiction": "350206", "category": "leader_insurance", "amount": "50.00", "description": "意外险"})).await.problem(422, "expense_category_not_allowed");
        // The categories and the other new codes have their Chinese labels.
        let enums = app.get("/api/v1/meta/enums", "huli").await.expect(200).body;
        assert!(enums["enums"]["fund_use"].as_array().unwrap().contains(&json!({"code": "information_system", "label": "信息系统维护"})));
        assert_eq!(enums["enums"]["fund_use"].as_array().unwrap().len(), domain::policy::FundUse::ALL.len());
        for name in ["condolence_kind", "visit_group", "group_basis", "excellent_rounding"] {
            assert!(enums["enums"][name].as_array().is_some_and(|v| !v.is_empty()), "{name}");
        }
    }

    async fn jinning_budget_is_zero_and_staffing_follows_art_11_12_20(app: &TestApp) {
        preset(app, "350206", "jinning-2020", "2025-03-01").await;
        let y = year();
        people_on(app, "350206001001", 40, &[("district_managed", 2)], jan1(y)).await;
        let b = app.post("/api/v1/funding/budgets", "huli", &json!({"jurisdiction": "350206", "year": y})).await.expect(201).body;
        // JN Art. 14-15 leave the standard to the district finance bureau: 0.00, not stated; district 100% (Art. 15).
        assert_eq!((b["per_retiree_per_year"].clone(), b["per_retiree_source"].clone()), (json!("0.00"), json!("not stated")));
        assert_eq!(level(&b, "district_managed")["split_source"], "JN Art. 15");
        assert_eq!(b["fund"]["total"], "0.00");
        // JN Art. 11: under 500 received, a part-time worker; streets and district office +2 each. Art. 12: a keeper
        // per 10,000 volumes; Art. 20: 60 m² per 10,000 volumes.
        // Issue 23: the archive volumes come from the archive records (none here), no longer from a query parameter.
        let r = app.get("/api/v1/reports/staffing?jurisdiction=350206", "huli").await.expect(200).body;
        assert_eq!(r["communities"][0], json!({"code": "350206001001", "name": "湖里社区居委会", "retirees": 2, "full_time_workers": 0, "part_time": true}));
        assert_eq!(r["communities"][1]["part_time"], false);
        assert_eq!((r["streets"].clone(), r["street_workers"].clone(), r["district_office_workers"].clone(), r["total_workers"].clone()), (json!(1), json!(2), json!(2), json!(4)));
        assert_eq!((r["archive_volumes"].clone(), r["archive_keepers"].clone(), r["archive_area_m2"].clone()), (json!(0), json!(0), json!(0)));
        assert_eq!(r["sources"]["archive_m2_per_10000_volumes"], "JN Art. 20");
        app.get("/api/v1/reports/staffing?jurisdiction=350206", "siming").await.problem(422, "jurisdiction_not_found");
        app.get("/api/v1/reports/staffing?jurisdiction=350206001", "huli").await.problem(422, "not_a_district");
        app.get("/api/v1/reports/staffing?jurisdiction=350206", "admin").await.problem(403, "forbidden");
    }

    async fn a_past_statement_is_unchanged_by_new_retirees(app: &TestApp) {
        // In force on 1 January of last year (the measures took effect on 2025-02-26; the test runs any year).
        preset(app, "3502", "xiamen-2025", "2020-01-01").await;
        let last = year() - 1;
        people_on(app, "350203001001", 50, &[("city_managed", 3)], jan1(last)).await;
        let b = app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203", "year": last})).await.expect(201).body;
        assert_eq!(b["fund"]["total"], "1200.00");
        app.post("/api/v1/funding/expenditures", "finance", &json!({"jurisdiction": "350203", "on_date": format!("{last}-10-20"),
            "category": "festival_condolence", "amount": "300.00", "description": "重阳节慰问"})).await.expect(201);
        let path = format!("/api/v1/funding/statements/350203/{last}");
        let before = app.get(&path, "finance").await.expect(200).body;
        assert_eq!((before["headcount"].clone(), before["balance"].clone()), (json!(3), json!("900.00")));
        // New retirees arrive, some even registered as of that reference date: the past year does not move.
        people_on(app, "350203001001", 60, &[("city_managed", 2)], jan1(last)).await;
        person(app, "350203001004", 70, "district_managed").await;
        let after = app.get(&path, "finance").await.expect(200).body;
        assert_eq!(after, before);
        // Issue 27: the district statement's own close is retired (410, the successor in `Link`); nothing closes.
        let gone = app.post(&format!("{path}/close"), "finance", &json!({})).await.problem(410, "endpoint_retired");
        assert_eq!(gone.header("link").unwrap(), format!("</api/v1/funding/year-statements/350203/service/{last}/close>; rel=\"successor-version\""));
        assert_eq!(gone.header("deprecation").unwrap(), "true");
        app.post(&format!("{path}/close"), "hongshan", &json!({})).await.problem(403, "forbidden");
        assert_eq!(app.count("fund_statements"), 0);
        // The successor closes the service fund's year: the statement no longer moves, the year takes no expense.
        let filed = app.post(&format!("/api/v1/funding/year-statements/350203/service/{last}/close"), "finance", &json!({})).await.expect(200).body;
        assert_eq!((filed["status"].clone(), filed["spent"].clone(), filed["balance"].clone()), (json!("closed"), json!("300.00"), json!("900.00")));
        app.post("/api/v1/funding/expenditures", "finance", &json!({"jurisdiction": "350203", "on_date": format!("{last}-12-20"),
            "category": "activities", "amount": "1.00", "description": "x"})).await.problem(409, "statement_closed");
        assert_eq!(app.get(&path, "finance").await.expect(200).body, before);
        assert_eq!(app.audit_count("statement.close"), 0);
    }
}

/// The change feed's events of `kind`, each checked against its documented payload.
async fn feed(app: &TestApp, kind: &str) -> Vec<Value> {
    let page = app.get(&format!("/api/v1/events?after=0&limit=500&types={kind}"), "platform").await.expect(200);
    let items = page.body["items"].as_array().unwrap().clone();
    for e in &items {
        let t = domain::events::EventType::parse(kind).unwrap();
        app::events::check_payload(t, &e["payload"]).unwrap_or_else(|err| panic!("{err}: {e}"));
    }
    items
}

fn days_ago(n: i64) -> String {
    (today() - time::Duration::days(n)).to_string()
}

/// A retiree of hongshan born on `birth` (YYYYMMDD) with special-group flags.
async fn flagged(app: &TestApp, seq: u16, birth: &str, groups: Value) -> i64 {
    let mut body = retiree_body("350203001001", seq);
    body["id_number"] = json!(id_number("350203", birth, seq * 2 + 1));
    body["special_groups"] = groups;
    app.create_retiree("hongshan", &body).await["id"].as_i64().unwrap()
}

fn tasks_of(body: &Value, id: i64) -> Vec<(String, String)> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["retiree_id"] == id)
        .map(|t| (t["kind"].as_str().unwrap().to_owned(), t["due_on"].as_str().unwrap().to_owned()))
        .collect()
}

both_backends! {
    async fn a_widowed_retiree_unvisited_for_a_quarter_is_overdue(app: &TestApp) {
        preset(app, "3502", "xiamen-2025", "2025-02-26").await;
        // Widowed since 120 days ago, 66 years old (not advanced age); a 69-year-old without flags has no task.
        let born = format!("{}0101", year() - 66);
        let widowed = flagged(app, 80, &born, json!([{"group": "widowed_childless", "from": days_ago(120)}])).await;
        let young = flagged(app, 81, &format!("{}0101", year() - 69), json!([])).await;
        // 70+ (GUIDE 走访制度, policy age 70): due the interval after the 70th birthday when never visited.
        let aged = flagged(app, 82, "19500301", json!([])).await;
        let res = app.post("/api/v1/visit-tasks/generate", "xiagang", &json!({"jurisdiction": "350203001"})).await.expect(200);
        assert_eq!(res.body["created"], 2, "{}", res.text);
        assert_eq!(res.body["by_group"], json!({"advanced_age": 1, "widowed_childless": 1}));
        // GUIDE 走访制度: 鳏寡孤独 "每季度上门走访一次" — 90 days after joining the group, past: on the overdue list.
        let overdue = app.get("/api/v1/visit-tasks?overdue=true", "hongshan").await.expect(200).body;
        assert_eq!(tasks_of(&overdue, widowed), vec![("widowed_childless".to_owned(), days_ago(30))]);
        // Due 2020-05-30, shown as its quarter's end: the exact day would tell the birth date (issue 21.1).
        assert_eq!(tasks_of(&overdue, aged), vec![("advanced_age".to_owned(), "2020-06-30".to_owned())]);
        assert!(tasks_of(&overdue, young).is_empty());
        let only = app.get("/api/v1/visit-tasks?overdue=true&kind=widowed_childless", "hongshan").await.expect(200).body;
        assert_eq!(only["items"].as_array().unwrap().len(), 1);
        app.get("/api/v1/visit-tasks?kind=birthday", "hongshan").await.problem(422, "invalid_enum");
        // A second run opens nothing twice.
        let again = app.post("/api/v1/visit-tasks/generate", "xiagang", &json!({"jurisdiction": "350203001"})).await.expect(200);
        assert_eq!(again.body["created"], 0);
        // The visit is recorded: the task closes, the person leaves the overdue list; the next task is a quarter on.
        let v = app.post("/api/v1/visits", "hongshan", &json!({"retiree_id": widowed, "worker": "王丽",
            "findings": "独居，身体尚可", "follow_up": "每周电话问候"})).await.expect(201);
        assert_eq!((v.body["tasks_closed"].clone(), v.body["dibao_referral"].clone()), (json!(1), json!(false)));
        let overdue = app.get("/api/v1/visit-tasks?overdue=true", "hongshan").await.expect(200).body;
        assert!(tasks_of(&overdue, widowed).is_empty());
        app.post("/api/v1/visit-tasks/generate", "xiagang", &json!({"jurisdiction": "350203001"})).await.expect(200);
        let open = app.get("/api/v1/visit-tasks?status=open&kind=widowed_childless", "hongshan").await.expect(200).body;
        assert_eq!(tasks_of(&open, widowed), vec![("widowed_childless".to_owned(), (today() + time::Duration::days(90)).to_string())]);
        // Bad input, wrong role, out of scope.
        app.post("/api/v1/visit-tasks/generate", "xiagang", &json!({"jurisdiction": "350203001", "as_of": "2999-01-01"})).await.problem(422, "date_in_future");
        app.post("/api/v1/visit-tasks/generate", "leader", &json!({"jurisdiction": "350203001001"})).await.problem(403, "forbidden");
        app.post("/api/v1/visit-tasks/generate", "hongshan", &json!({"jurisdiction": "350203001004"})).await.problem(422, "jurisdiction_not_found");
        app.post("/api/v1/visits", "hongshan", &json!({"retiree_id": widowed, "worker": "", "findings": "x"})).await.problem(422, "length");
        app.post("/api/v1/visits", "fengchaoshan", &json!({"retiree_id": widowed, "worker": "李", "findings": "x"})).await.problem(422, "retiree_not_found");
        app.post("/api/v1/visits", "leader", &json!({"retiree_id": widowed, "worker": "李", "findings": "x"})).await.problem(403, "forbidden");
        let one = format!("/api/v1/visits/{}", v.body["id"]);
        app.get(&one, "xiagang").await.expect(200);
        assert_eq!(app.audit_count("visit.read"), 1);
        app.get(&one, "fengchaoshan").await.problem(404, "not_found");
        let listed = app.get(&format!("/api/v1/visits?retiree_id={widowed}"), "hongshan").await.expect(200);
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    }

    async fn hardship_visits_state_the_minimum_living_allowance_referral(app: &TestApp) {
        preset(app, "3502", "xiamen-2025", "2025-02-26").await;
        let born = format!("{}0101", year() - 62);
        let id = flagged(app, 90, &born, json!([{"group": "severe_hardship", "from": days_ago(10)}])).await;
        // GUIDE 走访制度: a family in sudden hardship is visited and helped to apply for 低保.
        app.post("/api/v1/visits", "hongshan", &json!({"retiree_id": id, "worker": "王丽", "findings": "突遭火灾"})).await.problem(422, "dibao_referral_required");
        let v = app.post("/api/v1/visits", "hongshan", &json!({"retiree_id": id, "worker": "王丽", "findings": "突遭火灾",
            "dibao_referral": true})).await.expect(201);
        assert_eq!(v.body["dibao_referral"], true);
    }

    async fn groups_members_one_leader_at_a_time_training_and_insurance(app: &TestApp) {
        let a = person(app, "350203001001", 100, "city_managed").await;
        let b = person(app, "350203001001", 101, "city_managed").await;
        let elsewhere = person(app, "350203001004", 102, "city_managed").await;
        let body = json!({"community_code": "350203001001", "name": "大学路第一小组", "basis": "building", "area": "大学路1-9号楼"});
        let g = app.post("/api/v1/groups", "hongshan", &body).await.expect(201);
        let gid = g.body["id"].as_i64().unwrap();
        assert_eq!(g.header("location").unwrap(), format!("/api/v1/groups/{gid}"));
        app.post("/api/v1/groups", "hongshan", &body).await.problem(409, "group_name_taken");
        app.post("/api/v1/groups", "hongshan", &json!({"community_code": "350203001", "name": "x", "basis": "area", "area": "x"})).await.problem(422, "jurisdiction_not_found");
        app.post("/api/v1/groups", "xiagang", &json!({"community_code": "350203001", "name": "x", "basis": "area", "area": "x"})).await.problem(422, "not_a_community");
        app.post("/api/v1/groups", "hongshan", &json!({"community_code": "350203001001", "name": "x", "basis": "street", "area": "x"})).await.problem(422, "invalid_enum");
        app.post("/api/v1/groups", "leader", &body).await.problem(403, "forbidden");
        // Members: of the community, one group each.
        let members = format!("/api/v1/groups/{gid}/members");
        app.post(&members, "hongshan", &json!({"retiree_id": a})).await.expect(200);
        let res = app.post(&members, "hongshan", &json!({"retiree_id": b})).await.expect(200);
        assert_eq!(res.body["members"], json!([a, b]));
        app.post(&members, "hongshan", &json!({"retiree_id": a})).await.problem(409, "already_in_group");
        app.post(&members, "city", &json!({"retiree_id": elsewhere})).await.problem(422, "not_in_community");
        app.post(&members, "fengchaoshan", &json!({"retiree_id": elsewhere})).await.problem(404, "not_found");
        // One leader at a time: a new election ends the term in office on its date.
        let leaders = format!("/api/v1/groups/{gid}/leaders");
        let first = app.post(&leaders, "hongshan", &json!({"name": "李桂兰", "retiree_id": a, "elected_on": "2025-01-10"})).await.expect(201);
        app.post(&leaders, "city", &json!({"name": "x", "retiree_id": elsewhere, "elected_on": "2025-02-10"})).await.problem(422, "not_a_member");
        app.post(&leaders, "hongshan", &json!({"name": "x", "elected_on": "2024-12-31"})).await.problem(422, "election_before_current");
        let second = app.post(&leaders, "hongshan", &json!({"name": "陈建国", "retiree_id": b, "elected_on": "2026-01-05"})).await.expect(201);
        let lid = second.body["id"].as_i64().unwrap();
        let group = app.get(&format!("/api/v1/groups/{gid}"), "leader").await.expect(200).body;
        assert_eq!(group["leader"]["id"], lid);
        let old = app.get(&format!("/api/v1/group-leaders/{}", first.body["id"]), "hongshan").await.expect(200).body;
        assert_eq!(old["ended_on"], "2026-01-05");
        let in_2025 = app.get("/api/v1/group-leaders?in_office_on=2025-06-01", "hongshan").await.expect(200).body;
        assert_eq!(in_2025.as_array().unwrap().iter().map(|l| l["id"].clone()).collect::<Vec<_>>(), vec![first.body["id"].clone()]);
        // Training (XM Art. 21(6)) and accident insurance (XM Art. 21(7)).
        let t = app.post(&format!("/api/v1/group-leaders/{lid}/trainings"), "hongshan",
            &json!({"on_date": "2026-03-15", "topic": "资格认证协助", "hours": 4})).await.expect(201);
        assert_eq!(t.body["trainings"][0]["topic"], "资格认证协助");
        app.post(&format!("/api/v1/group-leaders/{lid}/trainings"), "hongshan", &json!({"topic": "x", "hours": 0})).await.problem(422, "out_of_range");
        let uninsured = app.get("/api/v1/group-leaders?insured=false", "hongshan").await.expect(200).body;
        assert_eq!(uninsured.as_array().unwrap().len(), 1);
        app.post(&format!("/api/v1/group-leaders/{lid}/insurance"), "hongshan", &json!({"insured": true})).await.problem(422, "required");
        let ins = app.post(&format!("/api/v1/group-leaders/{lid}/insurance"), "hongshan",
            &json!({"insured": true, "insurer": "中国人寿", "insured_until": "2026-12-31"})).await.expect(200);
        assert_eq!((ins.body["insured"].clone(), ins.body["insured_until"].clone()), (json!(true), json!("2026-12-31")));
        assert_eq!(app.get("/api/v1/group-leaders?insured=false", "hongshan").await.expect(200).body, json!([]));
        app.post(&format!("/api/v1/group-leaders/{lid}/insurance"), "fengchaoshan", &json!({"insured": false})).await.problem(404, "not_found");
        app.get(&format!("/api/v1/group-leaders/{lid}"), "fengchaoshan").await.problem(404, "not_found");
        // Leaving the group.
        app.post(&format!("{members}/{a}/leave"), "hongshan", &json!({})).await.expect(200);
        app.post(&format!("{members}/{a}/leave"), "hongshan", &json!({})).await.problem(404, "not_found");
        let listed = app.get("/api/v1/groups", "xiagang").await.expect(200).body;
        assert_eq!(listed["items"][0]["members"], json!([b]));
        assert_eq!(app.get("/api/v1/groups", "fengchaoshan").await.expect(200).body["items"], json!([]));
        assert_eq!(app.audit_count("group.leader_elect"), 2);
    }
}

both_backends! {
    async fn the_quota_rounds_as_the_district_policy_says(app: &TestApp) {
        preset(app, "3502", "xiamen-2025", "2020-01-01").await;
        // 思明 rounds half up (a local rule; XM Art. 24 states the 10% but not the rounding).
        let mut local = app.get("/api/v1/policy-presets", "city").await.expect(200).body[0]["parameters"].clone();
        local["group_leaders"]["excellent_rounding"] = json!({"value": "half_up", "source": "思明区评选细则"});
        app.post("/api/v1/jurisdictions/350203/policies", "city", &json!({"valid_from": "2020-01-01", "parameters": local})).await.expect(201);
        let y = year();
        leaders(app, "350203001001", 5, &format!("{y}-01-01")).await;
        leaders(app, "350206001001", 5, &format!("{y}-01-01")).await;
        // 5 leaders × 10% = 0.5: half up in 思明 gives 1 place, down (the XM default) in 湖里 gives none.
        let siming = app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203", "year": y})).await.expect(201).body;
        assert_eq!((siming["group_leaders"]["excellent_quota"].clone(), siming["group_leaders"]["excellent_rounding"].clone()), (json!(1), json!("half_up")));
        assert_eq!(siming["group_leaders"]["awards_total"], "400.00");
        let huli = app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350206", "year": y})).await.expect(201).body;
        assert_eq!((huli["group_leaders"]["excellent_quota"].clone(), huli["group_leaders"]["excellent_rounding"].clone()), (json!(0), json!("down")));
        // XM Art. 23: 5 leaders × 150 = 750 a month, 300 city, 450 district.
        assert_eq!(huli["group_leaders"]["monthly"], json!({"total": "750.00", "city": "300.00", "district": "450.00"}));
    }
}
