//! Missing persons over HTTP (issue 19.7; CS Art. 32(2): "下落不明超过6个月，其亲属或利害关系人不按规定申报的"):
//! the day a person went missing recorded, a `missing_unreported` suspension refused until more than the
//! policy's `missing_person_months` (6) have passed, the worklist, and the person turning up. The test clock is
//! 2026-12-06: missing since 2026-06-05 is suspendable today, since 2026-06-06 only tomorrow.

use diesel::prelude::*;
use persistence::schema::missing_persons as mp;
use serde_json::json;
use time::macros::date;

use crate::both_backends;
use crate::helpers::*;

/// Registers a retiree in 鸿山社区 (monthly pension 3500.00, retired 2015-01-01) and returns the id.
async fn person(app: &TestApp, seq: u16) -> i64 {
    app.create_retiree("siming", &retiree_body("350203001001", seq)).await["id"].as_i64().unwrap()
}

async fn report(app: &TestApp, id: i64, since: &str) -> serde_json::Value {
    app.post(
        &format!("/api/v1/retirees/{id}/missing"),
        "siming",
        &json!({"missing_since": since, "reported_by": "其子 张伟"}),
    )
    .await
    .expect(201)
    .body
}

both_backends! {
    async fn missing_unreported_waits_until_the_policy_months_have_passed_cs_32_2(app: &TestApp) {
        // Issue 19.7; CS Art. 32(2). Not recorded missing: refused, naming the reason.
        let a = person(app, 1).await;
        let res = app
            .post(&format!("/api/v1/retirees/{a}/suspensions"), "siming", &json!({"reason": "missing_unreported"}))
            .await
            .problem(422, "missing_since_required");
        assert_eq!(res.first_field(), "/reason");
        // Missing since 2026-06-06: six months end today (2026-12-06), "more than six" starts tomorrow.
        let res = app
            .post(&format!("/api/v1/retirees/{a}/missing"), "siming", &json!({"missing_since": "2026-06-06", "reported_by": "其子 张伟", "note": "派出所已立案"}))
            .await
            .expect(201);
        assert_eq!(res.header("location"), Some(format!("/api/v1/retirees/{a}/missing").as_str()));
        assert_eq!(res.body["missing_since"], "2026-06-06");
        assert_eq!(res.body["reported_by"], "其子 张伟");
        assert_eq!(res.body["note"], "派出所已立案");
        assert_eq!(res.body["months"], 6);
        assert_eq!(res.body["suspendable_from"], "2026-12-07");
        assert_eq!(res.body["suspendable"], false);
        assert_eq!(res.body["recorded_by"], "siming");
        assert_eq!(res.body["found_on"], serde_json::Value::Null);
        assert_eq!(app.audit_count("missing.record"), 1);
        let stored: (i64, time::Date, String, Option<time::Date>) = mp::table
            .select((mp::retiree_id, mp::missing_since, mp::reported_by, mp::found_on))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!(stored, (a, date!(2026 - 06 - 06), "其子 张伟".to_owned(), None));
        // The status view shows it.
        let status = app.get(&format!("/api/v1/retirees/{a}/pension-status"), "siming").await.expect(200);
        assert_eq!(status.body["missing"]["missing_since"], "2026-06-06");
        assert_eq!(status.body["missing"]["suspendable_from"], "2026-12-07");
        // On the last day of the six months: still refused, with the day it becomes possible.
        let res = app
            .post(&format!("/api/v1/retirees/{a}/suspensions"), "siming", &json!({"reason": "missing_unreported"}))
            .await
            .problem(422, "missing_period_not_reached");
        assert_eq!(res.first_field(), "/reason");
        assert!(res.text.contains("2026-12-07"), "{}", res.text);
        assert_eq!(app.count("pension_status_changes"), 0);
        // Other reasons are not affected.
        app.post(&format!("/api/v1/retirees/{a}/suspensions"), "siming", &json!({"reason": "imprisoned"})).await.expect(201);

        // Missing since 2026-06-05: the months ended yesterday, suspendable today, from this month on.
        let b = person(app, 2).await;
        let rec = report(app, b, "2026-06-05").await;
        assert_eq!((rec["suspendable_from"].as_str(), rec["suspendable"].as_bool()), (Some("2026-12-06"), Some(true)));
        let res = app
            .post(&format!("/api/v1/retirees/{b}/suspensions"), "siming", &json!({"reason": "missing_unreported", "effective_month": "2026-11"}))
            .await
            .problem(422, "missing_period_not_reached");
        assert_eq!(res.first_field(), "/effective_month");
        let res = app
            .post(&format!("/api/v1/retirees/{b}/suspensions"), "siming", &json!({"reason": "missing_unreported"}))
            .await
            .expect(201);
        assert_eq!(res.body["reason"], "missing_unreported");
        assert_eq!(res.body["effective_month"], "2026-12");
        let status = app.get(&format!("/api/v1/retirees/{b}/pension-status"), "siming").await.expect(200);
        assert_eq!(status.body["status"], "suspended");
        assert_eq!(status.body["suspended_from"], "2026-12-01");
        // Recorded missing once only.
        app.post(&format!("/api/v1/retirees/{b}/missing"), "siming", &json!({"missing_since": "2026-07-01", "reported_by": "邻居"}))
            .await
            .problem(409, "already_missing");
        assert_eq!(app.count("missing_persons"), 2);
    }

    async fn found_ends_the_record_and_resumes_with_back_pay_cs_32_2(app: &TestApp) {
        // Issue 19.7; CS Art. 32: "待其情形消失后再恢复发放或补发". Missing since 2026-05-01, suspendable from 2026-11-02.
        let id = person(app, 3).await;
        let path = format!("/api/v1/retirees/{id}");
        let rec = report(app, id, "2026-05-01").await;
        assert_eq!(rec["suspendable_from"], "2026-11-02");
        app.post(&format!("{path}/suspensions"), "siming", &json!({"reason": "missing_unreported", "effective_month": "2026-11"}))
            .await
            .expect(201);
        // A day found before the person went missing: refused, nothing changed.
        let res = app.post(&format!("{path}/missing/found"), "siming", &json!({"found_on": "2026-04-30"})).await.problem(422, "before_missing_since");
        assert_eq!(res.first_field(), "/found_on");
        app.post(&format!("{path}/missing/found"), "siming", &json!({"found_on": "2026-12-07"})).await.problem(422, "date_in_future");
        // Found on 2026-12-03: the record closes; the pension resumes in December with November paid back (the
        // default policy grants back-pay for missing_unreported).
        let res = app.post(&format!("{path}/missing/found"), "siming", &json!({"found_on": "2026-12-03", "note": "本人到社区报到"})).await.expect(200);
        assert_eq!(res.body["record"]["found_on"], "2026-12-03");
        assert_eq!(res.body["record"]["found_note"], "本人到社区报到");
        assert_eq!(res.body["record"]["closed_by"], "siming");
        assert_eq!(res.body["record"]["suspendable"], false);
        assert_eq!(res.body["resumption"]["to_status"], "normal");
        assert_eq!(res.body["resumption"]["reason"], "missing_unreported");
        assert_eq!(res.body["resumption"]["effective_month"], "2026-12");
        assert_eq!(res.body["resumption"]["back_pay"], json!({"months_suspended": 1, "granted": true, "months_paid": 1, "amount": "3500.00"}));
        let stored: Option<time::Date> = mp::table.filter(mp::retiree_id.eq(id)).select(mp::found_on).first(&mut *app.conn()).unwrap();
        assert_eq!(stored, Some(date!(2026 - 12 - 03)));
        assert_eq!(app.audit_count("missing.found"), 1);
        assert_eq!(app.audit_count("pension.resume"), 1);
        let status = app.get(&format!("{path}/pension-status"), "siming").await.expect(200);
        assert_eq!(status.body["status"], "normal");
        assert!(status.body.get("missing").is_none(), "{}", status.text);
        // Not missing any more.
        app.post(&format!("{path}/missing/found"), "siming", &json!({})).await.problem(409, "not_missing");
        // The history keeps the closed record.
        let history = app.get(&format!("{path}/missing"), "siming").await.expect(200);
        assert_eq!(history.body.as_array().map(Vec::len), Some(1));
        assert_eq!(history.body[0]["found_on"], "2026-12-03");
        // Without a missing_unreported suspension, found resumes nothing; a new disappearance can be recorded.
        report(app, id, "2026-12-04").await;
        let res = app.post(&format!("{path}/missing/found"), "siming", &json!({})).await.expect(200);
        assert_eq!(res.body["record"]["found_on"], "2026-12-06");
        assert_eq!(res.body["resumption"], serde_json::Value::Null);
        assert_eq!(app.count("missing_persons"), 2);
        assert_eq!(app.count("pension_status_changes"), 2);
    }

    async fn missing_person_input_roles_and_scope_issue_19_7(app: &TestApp) {
        let id = person(app, 4).await;
        let path = format!("/api/v1/retirees/{id}/missing");
        let body = json!({"missing_since": "2026-06-01", "reported_by": "其女"});
        // Same roles as suspensions: a community may not; another district cannot see the person.
        app.post(&path, "hongshan", &body).await.problem(403, "forbidden");
        app.post(&path, "huli", &body).await.problem(404, "not_found");
        app.post(&format!("{path}/found"), "huli", &json!({})).await.problem(404, "not_found");
        app.get(&path, "huli").await.problem(404, "not_found");
        // Bad input: the field is named.
        let res = app.post(&path, "siming", &json!({"missing_since": "2026-12-07", "reported_by": "其女"})).await.problem(422, "date_in_future");
        assert_eq!(res.first_field(), "/missing_since");
        let res = app.post(&path, "siming", &json!({"missing_since": "2014-12-31", "reported_by": "其女"})).await.problem(422, "before_retirement");
        assert_eq!(res.first_field(), "/missing_since");
        let res = app.post(&path, "siming", &json!({"missing_since": "2026-06-01", "reported_by": " "})).await.problem(422, "length");
        assert_eq!(res.first_field(), "/reported_by");
        app.post(&path, "siming", &json!({"missing_since": "2026-02-30", "reported_by": "其女"})).await.problem(422, "invalid_date");
        app.post(&path, "siming", &json!({"missing_since": "2026-06-01", "reported_by": "其女", "extra": 1})).await.expect(422);
        app.post(&format!("{path}/found"), "siming", &json!({})).await.problem(409, "not_missing");
        assert_eq!(app.count("missing_persons"), 0);
        assert_eq!(app.audit_count("missing.record"), 0);
        // The city may.
        app.post(&path, "city", &body).await.expect(201);
    }

    async fn worklist_is_scoped_sorted_by_suspendable_from_and_paged_issue_19_7(app: &TestApp) {
        // Issue 19.7; CS Art. 32(2): who reaches the six months, and when.
        let late = person(app, 5).await;
        let early = person(app, 6).await;
        let today_due = person(app, 7).await;
        report(app, late, "2026-06-20").await;
        report(app, early, "2026-03-10").await;
        report(app, today_due, "2026-06-05").await;
        let mut other = retiree_body("350206001001", 8);
        other["name"] = json!("李四");
        let elsewhere = app.create_retiree("city", &other).await["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/retirees/{elsewhere}/missing"), "city", &json!({"missing_since": "2026-01-01", "reported_by": "其妻"}))
            .await
            .expect(201);

        let res = app.get("/api/v1/missing-persons", "siming").await.expect(200);
        let ids: Vec<i64> = res.body["items"].as_array().unwrap().iter().map(|i| i["retiree_id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![early, today_due, late]);
        let first = &res.body["items"][0];
        assert_eq!(first["missing_since"], "2026-03-10");
        assert_eq!(first["suspendable_from"], "2026-09-11");
        assert_eq!(first["suspendable"], true);
        assert_eq!(first["months"], 6);
        assert_eq!(first["name"], "张三");
        assert_eq!(first["community_code"], "350203001001");
        assert_eq!(first["pension_status"], "normal");
        assert_eq!(res.body["items"][2]["suspendable"], false);
        assert_eq!(res.body["next_cursor"], serde_json::Value::Null);
        // Paged: two, then the last.
        let page1 = app.get("/api/v1/missing-persons?limit=2", "siming").await.expect(200);
        assert_eq!(page1.body["items"].as_array().map(Vec::len), Some(2));
        let cursor = page1.body["next_cursor"].as_str().unwrap().to_owned();
        let page2 = app.get(&format!("/api/v1/missing-persons?limit=2&cursor={cursor}"), "siming").await.expect(200);
        assert_eq!(page2.body["items"][0]["retiree_id"], late);
        assert_eq!(page2.body["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(page2.body["next_cursor"], serde_json::Value::Null);
        // due_before: everybody who may be suspended today.
        let due = app.get("/api/v1/missing-persons?due_before=2026-12-07", "siming").await.expect(200);
        let ids: Vec<i64> = due.body["items"].as_array().unwrap().iter().map(|i| i["retiree_id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![early, today_due]);
        // Scope: the other district sees only its own; the city sees all four; a community its own.
        let huli = app.get("/api/v1/missing-persons", "huli").await.expect(200);
        assert_eq!(huli.body["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(huli.body["items"][0]["retiree_id"], elsewhere);
        let city = app.get("/api/v1/missing-persons", "city").await.expect(200);
        assert_eq!(city.body["items"].as_array().map(Vec::len), Some(4));
        assert_eq!(city.body["items"][0]["retiree_id"], elsewhere);
        let own = app.get("/api/v1/missing-persons?jurisdiction=350203001001", "hongshan").await.expect(200);
        assert_eq!(own.body["items"].as_array().map(Vec::len), Some(3));
        app.get("/api/v1/missing-persons?jurisdiction=350206", "siming").await.problem(422, "jurisdiction_not_found");
        // Bad filters are named.
        let res = app.get("/api/v1/missing-persons?due_before=2026-13-01", "siming").await.problem(422, "invalid_date");
        assert_eq!(res.first_field(), "due_before");
        app.get("/api/v1/missing-persons?cursor=nonsense", "siming").await.expect(422);
        // Found people leave the list.
        app.post(&format!("/api/v1/retirees/{early}/missing/found"), "siming", &json!({})).await.expect(200);
        let res = app.get("/api/v1/missing-persons", "siming").await.expect(200);
        assert_eq!(res.body["items"].as_array().map(Vec::len), Some(2));
    }

    async fn a_verified_death_closes_the_missing_record_issue_19_7(app: &TestApp) {
        // CS Art. 32(2): a missing person whose death is verified is missing no longer; the record closes on the
        // date of death and the worklist drops them.
        let a = person(app, 40).await;
        report(app, a, "2026-03-01").await;
        let listed = app.get("/api/v1/missing-persons", "siming").await.expect(200);
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "{}", listed.body);
        let body = json!({"retiree_id": a, "date_of_death": "2026-09-10", "certificate_number": "DC-40",
            "reporter_kind": "relative", "reporter_name": "张小明", "reporter_relation": "儿子", "reported_on": "2026-09-20"});
        let r = app.post("/api/v1/death-reports", "hongshan", &body).await.expect(201);
        let rid = r.body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({})).await.expect(200);
        let stored: (Option<time::Date>, Option<String>, Option<String>) = mp::table
            .filter(mp::retiree_id.eq(a))
            .select((mp::found_on, mp::found_note, mp::closed_by))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!(stored, (Some(date!(2026 - 09 - 10)), Some(format!("death report {rid} verified")), Some("siming".to_owned())));
        let listed = app.get("/api/v1/missing-persons", "siming").await.expect(200);
        assert_eq!(listed.body["items"], json!([]));
        // Nothing is left to report found.
        app.post(&format!("/api/v1/retirees/{a}/missing/found"), "siming", &json!({})).await.problem(409, "not_missing");
    }
}
