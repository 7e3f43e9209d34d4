//! Condolences, festival lists, visits, self-management groups, the service fund and the staffing report (issue 8;
//! XM Art. 12, 14, 21-24; CS Art. 10, 19, 25; JN Art. 11-17, 31-32; GUIDE 走访制度), on both backends.

use diesel::prelude::*;
use persistence::schema::retirees;
use serde_json::{Value, json};
use time::Date;

use crate::both_backends;
use crate::helpers::*;

fn today() -> Date {
    api::routes::retirees::today()
}

fn year() -> i32 {
    today().year()
}

async fn preset(app: &TestApp, code: &str, name: &str, from: &str) {
    app.post(&format!("/api/v1/jurisdictions/{code}/policies"), "city", &json!({"valid_from": from, "preset": name}))
        .await
        .expect(201);
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
        let first = post(format!("{last}-03-01"), true).await.expect(201);
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
        // XM Art. 21(3): the family of a deceased retiree, 500 yuan, once.
        let death = app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": id, "kind": "death"})).await.expect(201);
        assert_eq!((death.body["amount"].clone(), death.body["amount_source"].clone()), (json!("500.00"), json!("XM Art. 21(3)")));
        app.post("/api/v1/condolences", "hongshan", &json!({"retiree_id": id, "kind": "death"})).await.problem(422, "condolence_cap_exceeded");
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
        app.get(&format!("/api/v1/festival-lists/eligible?kind=hospital&jurisdiction=350203001"), "xiagang").await.problem(422, "invalid_enum");
        app.get("/api/v1/festival-lists/eligible?jurisdiction=350203001", "xiagang").await.problem(422, "required");
        app.post("/api/v1/festival-lists", "leader", &json!({"jurisdiction": "350203001001", "kind": "spring_festival"})).await.problem(403, "forbidden");
        app.post("/api/v1/festival-lists", "hongshan", &json!({"jurisdiction": "350203001004", "kind": "spring_festival"})).await.problem(422, "jurisdiction_not_found");
        // Changsha names no Spring Festival kind.
        preset(app, "350206", "changsha-2020", "2025-03-01").await;
        app.get("/api/v1/festival-lists/eligible?kind=spring_festival&jurisdiction=350206", "huli").await.problem(422, "condolence_kind_not_in_policy");
        assert_eq!(app.audit_count("festival_list.create"), 2);
    }
}
