//! Pension status of one person over HTTP (CS Art. 32, JN Art. 34): suspensions and resumptions with back-pay,
//! certifications by each method (XM Art. 15; CS Art. 16(2), 32(1)), the home-certification flag and its task
//! worklist, the certification list filters and the timeline.

use diesel::prelude::*;
use persistence::schema::retirees;
use serde_json::{Value, json};
use time::Date;
use time::macros::date;

use crate::both_backends;
use crate::helpers::*;

/// Registers a retiree in 鸿山社区 (monthly pension 3500.00) and returns the id.
async fn person(app: &TestApp, seq: u16) -> i64 {
    app.create_retiree("siming", &retiree_body("350203001001", seq)).await["id"].as_i64().unwrap()
}

/// Puts a person in a state directly, as a run or an older system would have.
fn set_state(app: &TestApp, id: i64, reason: Option<&str>, from: Option<Date>, until: Date) {
    diesel::update(retirees::table.find(id))
        .set((
            retirees::pension_status.eq(if reason.is_some() { "suspended" } else { "normal" }),
            retirees::suspension_reason.eq(reason),
            retirees::suspended_from.eq(from),
            retirees::certified_until.eq(until),
        ))
        .execute(&mut *app.conn())
        .unwrap();
}

fn today() -> Date {
    crate::helpers::today()
}

both_backends! {
    async fn suspension_and_resumption_record_exact_back_pay(app: &TestApp) {
        let id = person(app, 1).await;
        let path = format!("/api/v1/retirees/{id}");
        // CS Art. 32(5): another legal ground, from March.
        let res = app
            .post(&format!("{path}/suspensions"), "siming", &json!({"reason": "other_legal", "effective_month": "2026-03", "note": "公安协查"}))
            .await
            .expect(201);
        assert_eq!(res.header("location"), Some(format!("/api/v1/retirees/{id}/pension-status").as_str()));
        assert_eq!(res.body["from_status"], "normal");
        assert_eq!(res.body["to_status"], "suspended");
        assert_eq!(res.body["reason"], "other_legal");
        assert_eq!(res.body["effective_month"], "2026-03");
        assert_eq!(res.body["source"], "person");
        assert_eq!(res.body["operator"], "siming");
        let status = app.get(&format!("{path}/pension-status"), "siming").await.expect(200);
        assert_eq!(status.body["status"], "suspended");
        assert_eq!(status.body["suspension_reason"], "other_legal");
        assert_eq!(status.body["suspended_from"], "2026-03-01");
        // Suspended twice: 409 with the code of the state machine, nothing recorded.
        app.post(&format!("{path}/suspensions"), "siming", &json!({"reason": "imprisoned"}))
            .await
            .problem(409, "already_suspended");
        assert_eq!(app.count("pension_status_changes"), 1);
        // Resumed in July: March to June paid back, 4 × 3500.00 (CS Art. 32: "恢复发放或补发").
        let res = app.post(&format!("{path}/pension-status/resume"), "siming", &json!({"effective_month": "2026-07"})).await.expect(200);
        assert_eq!(res.body["to_status"], "normal");
        assert_eq!(res.body["reason"], "other_legal");
        assert_eq!(res.body["effective_month"], "2026-07");
        assert_eq!(res.body["back_pay"], json!({"months_suspended": 4, "granted": true, "months_paid": 4, "amount": "14000.00"}));
        let stored: (Option<i32>, Option<i64>) = persistence::schema::pension_status_changes::table
            .order(persistence::schema::pension_status_changes::id.desc())
            .select((persistence::schema::pension_status_changes::back_pay_months, persistence::schema::pension_status_changes::back_pay_fen))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!(stored, (Some(4), Some(1_400_000)));
        let r = app.get(&path, "siming").await.expect(200);
        assert_eq!(r.body["pension_status"], "normal");
        assert_eq!(r.body["suspension_reason"], Value::Null);
        // Not suspended any more.
        app.post(&format!("{path}/pension-status/resume"), "siming", &json!({})).await.problem(409, "not_suspended");
        // Both changes are in the history and the timeline, and audited.
        let changes = app.get(&format!("{path}/pension-status/changes"), "siming").await.expect(200);
        assert_eq!(changes.body["items"].as_array().unwrap().len(), 2);
        assert_eq!(app.audit_count("pension.suspend"), 1);
        assert_eq!(app.audit_count("pension.resume"), 1);
        let timeline = app.get(&format!("{path}/timeline"), "siming").await.expect(200);
        let actions: Vec<&str> = timeline.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["retiree.create", "pension.suspend", "pension.resume"]);
    }

    async fn imprisonment_earns_no_back_pay(app: &TestApp) {
        // CS Art. 32(3) with the national rule kept by the default policy: no pension for the months served.
        let id = person(app, 2).await;
        let path = format!("/api/v1/retirees/{id}");
        app.post(&format!("{path}/suspensions"), "siming", &json!({"reason": "imprisoned", "effective_month": "2026-01"})).await.expect(201);
        let res = app.post(&format!("{path}/pension-status/resume"), "siming", &json!({"effective_month": "2026-06"})).await.expect(200);
        assert_eq!(res.body["back_pay"], json!({"months_suspended": 5, "granted": false, "months_paid": 0, "amount": "0.00"}));
    }

    async fn status_changes_are_guarded(app: &TestApp) {
        let id = person(app, 3).await;
        let path = format!("/api/v1/retirees/{id}");
        // Wrong role: a community may not suspend (CS Art. 32 is the agency's decision).
        app.post(&format!("{path}/suspensions"), "hongshan", &json!({"reason": "imprisoned"})).await.problem(403, "forbidden");
        // Out of scope: another district's centre gets 404.
        app.post(&format!("{path}/suspensions"), "huli", &json!({"reason": "imprisoned"})).await.problem(404, "not_found");
        app.get(&format!("{path}/pension-status"), "huli").await.problem(404, "not_found");
        // Bad input: every rule named, nothing changed.
        let res = app.post(&format!("{path}/suspensions"), "siming", &json!({"reason": "holiday"})).await;
        assert_eq!(res.status.as_u16(), 422, "{}", res.text);
        let res = app
            .post(&format!("{path}/suspensions"), "siming", &json!({"reason": "imprisoned", "effective_month": "2026-13"}))
            .await
            .problem(422, "invalid_month");
        assert_eq!(res.body["errors"][0]["field"], "/effective_month");
        assert_eq!(res.body["errors"][0]["code"], "invalid_month");
        let res = app
            .post(&format!("{path}/suspensions"), "siming", &json!({"reason": "imprisoned", "effective_month": "2014-12"}))
            .await
            .problem(422, "month_before_retirement");
        assert_eq!(res.body["errors"][0]["code"], "month_before_retirement");
        app.post(&format!("{path}/suspensions"), "siming", &json!({"reason": "imprisoned", "extra": 1})).await.expect(422);
        // A stale If-Match is 412.
        app.post_with(&format!("{path}/suspensions"), "siming", &json!({"reason": "imprisoned"}), &[("If-Match", "\"99\"")])
            .await
            .problem(412, "version_mismatch");
        assert_eq!(app.count("pension_status_changes"), 0);
        let r = app.get(&path, "siming").await.expect(200);
        assert_eq!(r.body["pension_status"], "normal");
        // An overdue suspension ends by a certification, not by hand (CS Art. 32(1)).
        set_state(app, id, Some("certification_overdue"), Some(date!(2026 - 03 - 01)), date!(2026 - 02 - 27));
        app.post(&format!("{path}/pension-status/resume"), "siming", &json!({})).await.problem(409, "certification_required");
        // A stopped pension changes no more.
        diesel::update(retirees::table.find(id))
            .set((retirees::pension_status.eq("stopped"), retirees::suspension_reason.eq(None::<String>)))
            .execute(&mut *app.conn())
            .unwrap();
        app.post(&format!("{path}/suspensions"), "siming", &json!({"reason": "imprisoned"})).await.problem(409, "pension_stopped");
        let cert = json!({"method": "community_worker", "certified_on": today(), "certifier_name": "王五"});
        app.post(&format!("{path}/certifications"), "hongshan", &cert).await.problem(409, "pension_stopped");
        assert_eq!(app.count("certifications"), 0);
    }

    async fn certification_resumes_an_overdue_suspension_with_back_pay(app: &TestApp) {
        // CS Art. 32(1): suspended from March for an overdue certification, certified in July: four months back.
        let id = person(app, 4).await;
        let path = format!("/api/v1/retirees/{id}");
        set_state(app, id, Some("certification_overdue"), Some(date!(2026 - 03 - 01)), date!(2026 - 02 - 27));
        let body = json!({"method": "face_recognition", "certified_on": "2026-07-10", "provider": "闽政通",
            "provider_reference": "FR-1", "score": "0.93"});
        let res = app.post(&format!("{path}/certifications"), "hongshan", &body).await.expect(201);
        let cert_id = res.body["certification"]["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/retirees/{id}/certifications/{cert_id}").as_str()));
        assert_eq!(res.body["extended"], true);
        // CS Art. 16(2): valid one twelve-month period from the certification date.
        assert_eq!(res.body["certification"]["valid_until"], "2027-07-10");
        assert_eq!(res.body["certification"]["method"], "face_recognition");
        assert_eq!(res.body["certification"]["score"], "0.93");
        assert_eq!(res.body["resumption"]["effective_month"], "2026-07");
        assert_eq!(res.body["resumption"]["back_pay"], json!({"months_suspended": 4, "granted": true, "months_paid": 4, "amount": "14000.00"}));
        assert_eq!(res.body["status"]["status"], "normal");
        assert_eq!(res.body["status"]["certified_until"], "2027-07-10");
        assert_eq!(res.body["status"]["last_certified_on"], "2026-07-10");
        // An older certification is history only: the validity stays.
        let older = json!({"method": "group_leader", "certified_on": "2026-05-01", "certifier_name": "赵六"});
        let res = app.post(&format!("{path}/certifications"), "leader", &older).await.expect(201);
        assert_eq!(res.body["extended"], false);
        assert_eq!(res.body["resumption"], Value::Null);
        assert_eq!(res.body["status"]["certified_until"], "2027-07-10");
        let list = app.get(&format!("{path}/certifications"), "hongshan").await.expect(200);
        let methods: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|c| c["method"].as_str().unwrap()).collect();
        assert_eq!(methods, ["group_leader", "face_recognition"]);
        app.get(&format!("{path}/certifications/{cert_id}"), "hongshan").await.expect(200);
        app.get(&format!("{path}/certifications/{cert_id}"), "huli").await.problem(404, "not_found");
        // The timeline shows the certifications and the resumption.
        let timeline = app.get(&format!("{path}/timeline"), "hongshan").await.expect(200);
        let kinds: Vec<&str> = timeline.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["retiree.create", "certification.record", "pension.resume", "certification.record"]);
        // Paging the merged timeline one by one gives the same entries.
        let mut seen = Vec::new();
        let mut next = format!("{path}/timeline?limit=1");
        loop {
            let page = app.get(&next, "hongshan").await.expect(200);
            for e in page.body["items"].as_array().unwrap() {
                seen.push(e["action"].as_str().unwrap().to_owned());
            }
            match page.body["next_cursor"].as_str() {
                Some(c) => next = format!("{path}/timeline?limit=1&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen, kinds);
    }

    async fn each_method_needs_its_evidence(app: &TestApp) {
        // XM Art. 15: face recognition needs the provider's reference and score; data comparison its source;
        // the methods done by a person, who did it.
        let id = person(app, 5).await;
        let path = format!("/api/v1/retirees/{id}/certifications");
        let fields = |res: &Resp| -> Vec<(String, String)> {
            res.body["errors"].as_array().unwrap().iter()
                .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned())).collect()
        };
        let res = app.post(&path, "hongshan", &json!({"method": "face_recognition", "certified_on": "2026-07-01"})).await.problem(422, "validation_failed");
        assert_eq!(fields(&res), [("/provider".into(), "required_for_method".into()), ("/provider_reference".into(), "required_for_method".into()), ("/score".into(), "required_for_method".into())]);
        let res = app.post(&path, "hongshan", &json!({"method": "data_comparison", "certified_on": "2026-07-01", "provider": "医保", "score": "0.5"})).await.problem(422, "validation_failed");
        assert_eq!(fields(&res), [("/data_source".into(), "required_for_method".into()), ("/score".into(), "not_for_method".into())]);
        let res = app.post(&path, "hongshan", &json!({"method": "home_visit", "certified_on": "2026-07-01"})).await.problem(422, "required_for_method");
        assert_eq!(fields(&res), [("/certifier_name".into(), "required_for_method".into())]);
        let tomorrow = today().next_day().unwrap().to_string();
        let res = app.post(&path, "hongshan", &json!({"method": "home_visit", "certified_on": tomorrow, "certifier_name": "王五"})).await.problem(422, "date_in_future");
        assert_eq!(fields(&res), [("/certified_on".into(), "date_in_future".into())]);
        let res = app.post(&path, "hongshan", &json!({"method": "face_recognition", "certified_on": "2026-02-30", "provider": "p", "provider_reference": "r", "score": "1.5"})).await.problem(422, "validation_failed");
        assert_eq!(fields(&res), [("/certified_on".into(), "invalid_date".into()), ("/score".into(), "score_range".into())]);
        assert_eq!(app.count("certifications"), 0);
        // Wrong role: finance does not certify; out of scope: 404.
        let ok = json!({"method": "data_comparison", "certified_on": "2026-07-01", "data_source": "medical_visit", "provider": "市医保局"});
        app.post(&path, "finance", &ok).await.problem(403, "forbidden");
        app.post(&path, "huli", &ok).await.problem(404, "not_found");
        assert_eq!(app.count("certifications"), 0);
        let res = app.post(&path, "platform", &ok).await.expect(201);
        assert_eq!(res.body["certification"]["data_source"], "medical_visit");
        assert_eq!(app.audit_count("certification.record"), 1);
    }

    async fn lists_filter_by_certification_status(app: &TestApp) {
        // CS Art. 16(2), 32(1): overdue after the last valid day; due soon inside the 30-day window of the
        // default policy.
        let on = today();
        let overdue = person(app, 6).await;
        let due_soon = person(app, 7).await;
        let certified = person(app, 8).await;
        let last_day = person(app, 9).await;
        set_state(app, overdue, None, None, on.previous_day().unwrap());
        set_state(app, due_soon, None, None, on + time::Duration::days(30));
        set_state(app, certified, None, None, on + time::Duration::days(31));
        set_state(app, last_day, None, None, on);
        let ids = |res: &Resp| -> Vec<i64> { res.body["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect() };
        let res = app.get("/api/v1/retirees?jurisdiction=350203001001&certification=overdue", "hongshan").await.expect(200);
        assert_eq!(ids(&res), [overdue]);
        assert_eq!(res.body["items"][0]["certification_status"], "overdue");
        let res = app.get("/api/v1/retirees?jurisdiction=350203001001&certification=due_soon", "hongshan").await.expect(200);
        assert_eq!(ids(&res), [due_soon, last_day]);
        let res = app.get("/api/v1/retirees?certification=certified", "hongshan").await.expect(200);
        assert_eq!(ids(&res), [certified]);
        app.get("/api/v1/retirees?certification=late", "hongshan").await.problem(422, "invalid_enum");
        app.get("/api/v1/retirees?certification=overdue&jurisdiction=350206001001", "hongshan").await.problem(422, "jurisdiction_not_found");
        set_state(app, overdue, Some("certification_overdue"), Some(date!(2026 - 03 - 01)), on.previous_day().unwrap());
        let res = app.get("/api/v1/retirees?pension_status=suspended&suspension_reason=certification_overdue", "siming").await.expect(200);
        assert_eq!(ids(&res), [overdue]);
        assert_eq!(res.body["items"][0]["suspended_from"], "2026-03-01");
    }

    async fn home_certification_opens_and_closes_a_task(app: &TestApp) {
        // XM Art. 15(3): the bedridden are certified at home; the community gets the visit on its worklist.
        let on = today();
        let id = person(app, 10).await;
        let far = person(app, 11).await;
        set_state(app, id, None, None, on + time::Duration::days(10));
        let path = format!("/api/v1/retirees/{id}/certification-barrier");
        let token = app.token("hongshan");
        let body = json!({"barrier": "bedridden"}).to_string().into_bytes();
        let json_type = ("Content-Type", "application/json");
        app.request("PUT", &path, Some(&token), &[json_type], Some(body.clone())).await.problem(428, "if_match_required");
        let version = app.get(&format!("/api/v1/retirees/{id}"), "hongshan").await.expect(200).body["version"].to_string();
        let res = app.request("PUT", &path, Some(&token), &[json_type, ("If-Match", &version)], Some(body.clone())).await.expect(200);
        assert_eq!(res.body["certification_barrier"], "bedridden");
        let bad = json!({"barrier": "lazy"}).to_string().into_bytes();
        app.request("PUT", &path, Some(&token), &[json_type, ("If-Match", "*")], Some(bad)).await.expect(422);
        // Due in a year: flagged, but no task yet.
        let far_path = format!("/api/v1/retirees/{far}/certification-barrier");
        app.request("PUT", &far_path, Some(&token), &[json_type, ("If-Match", "*")], Some(body)).await.expect(200);
        let tasks = app.get("/api/v1/certification-tasks?jurisdiction=350203001001", "hongshan").await.expect(200);
        let items = tasks.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", tasks.text);
        assert_eq!(items[0]["retiree_id"], id);
        assert_eq!(items[0]["barrier"], "bedridden");
        assert_eq!(items[0]["due_on"], (on + time::Duration::days(10)).to_string());
        assert_eq!(app.get("/api/v1/certification-tasks", "huli").await.expect(200).body["items"], json!([]));
        app.get("/api/v1/certification-tasks?jurisdiction=350206001001", "hongshan").await.problem(422, "jurisdiction_not_found");
        // The home visit certifies and closes the task.
        let visit = json!({"method": "home_visit", "certified_on": on, "certifier_name": "王五", "evidence": "本人卧床，见面核实"});
        app.post(&format!("/api/v1/retirees/{id}/certifications"), "hongshan", &visit).await.expect(201);
        assert_eq!(app.get("/api/v1/certification-tasks", "hongshan").await.expect(200).body["items"], json!([]));
        let (status, cert): (String, Option<i64>) = persistence::schema::certification_tasks::table
            .select((persistence::schema::certification_tasks::status, persistence::schema::certification_tasks::certification_id))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!(status, "done");
        assert!(cert.is_some());
        // Clearing the flag needs If-Match too.
        app.request("DELETE", &far_path, Some(&token), &[], None).await.problem(428, "if_match_required");
        let res = app.request("DELETE", &far_path, Some(&token), &[("If-Match", "*")], None).await.expect(200);
        assert_eq!(res.body["certification_barrier"], Value::Null);
        app.request("DELETE", &far_path, Some(&app.token("finance")), &[("If-Match", "*")], None).await.problem(403, "forbidden");
    }

    async fn new_people_are_valid_one_period_from_registration(app: &TestApp) {
        // CS Art. 16(2): once a year; registration starts the first period.
        let created = app.create_retiree("siming", &retiree_body("350203001001", 12)).await;
        let expected = domain::pension::certified_until(today(), 12);
        assert_eq!(created["certified_until"], expected.to_string());
        assert_eq!(created["last_certified_on"], Value::Null);
        assert_eq!(created["certification_status"], "certified");
        assert_eq!(created["pension_status"], "normal");
        // An edit keeps the validity.
        let id = created["id"].as_i64().unwrap();
        set_state(app, id, None, None, date!(2026 - 01 - 31));
        let version = app.get(&format!("/api/v1/retirees/{id}"), "siming").await.expect(200).body["version"].to_string();
        let res = app.patch(&format!("/api/v1/retirees/{id}"), "siming", &json!({"notes": "改"}), Some(&version)).await.expect(200);
        assert_eq!(res.body["certified_until"], "2026-01-31");
    }

    async fn an_overdue_certification_suspension_needs_an_overdue_certification(app: &TestApp) {
        // CS Art. 32(1): a pension is suspended when the certification is not done in time. A person whose
        // certification on record is valid today cannot be suspended for that reason (issue 19.5).
        let id = person(app, 12).await;
        let path = format!("/api/v1/retirees/{id}");
        set_state(app, id, None, None, today());
        let overdue = json!({"reason": "certification_overdue"});
        app.post(&format!("{path}/suspensions"), "siming", &overdue).await.problem(409, "reason_contradicts_record");
        assert_eq!(app.count("pension_status_changes"), 0);
        let status = app.get(&format!("{path}/pension-status"), "siming").await.expect(200);
        assert_eq!(status.body["status"], "normal");
        // Another reason does not depend on the certification.
        let res = app.post(&format!("{path}/suspensions"), "siming", &json!({"reason": "imprisoned"})).await.expect(201);
        assert_eq!(res.body["reason"], "imprisoned");
        // Overdue since yesterday: the reason agrees with the record.
        let other = person(app, 13).await;
        set_state(app, other, None, None, today() - time::Duration::days(1));
        let res = app.post(&format!("/api/v1/retirees/{other}/suspensions"), "siming", &overdue).await.expect(201);
        assert_eq!(res.body["reason"], "certification_overdue");
    }
}
