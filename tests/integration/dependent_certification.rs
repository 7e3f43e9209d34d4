//! Dependants and survivors who receive support are certified like retirees (XM Art. 15 last paragraph; GUIDE 二
//! "对供养的直系亲属视同退休人员"): their validity, a run suspends their support when overdue (CS Art. 32(1)), a
//! certification by hand or by a data-platform feed resumes it with the months suspended.

use diesel::prelude::*;
use persistence::schema::{dependent_certifications, dependent_support_changes, dependents};
use serde_json::{Value, json};
use time::Date;
use time::macros::date;

use crate::both_backends;
use crate::helpers::*;

fn today() -> Date {
    crate::helpers::today()
}

/// A retiree in 鸿山社区 with one dependant (`supported` or not); returns (retiree id, dependant id, dependant's
/// resident ID).
async fn family(app: &TestApp, seq: u16, supported: bool) -> (i64, i64, String) {
    let retiree = app.create_retiree("siming", &retiree_body("350203001001", seq)).await["id"].as_i64().unwrap();
    let idn = id_number("350203", "19570303", seq * 2 + 2);
    let body = json!({"relation": "spouse", "id_number": idn, "name": "李四", "supported": supported});
    let res = app.post(&format!("/api/v1/retirees/{retiree}/dependents"), "siming", &body).await.expect(201);
    (retiree, res.body["id"].as_i64().unwrap(), idn)
}

/// Sets a dependant's validity and suspension directly.
fn set_dependant(app: &TestApp, id: i64, until: Date, suspended_from: Option<Date>) {
    diesel::update(dependents::table.find(id))
        .set((dependents::certified_until.eq(until), dependents::support_suspended_from.eq(suspended_from)))
        .execute(&mut *app.conn())
        .unwrap();
}

fn suspended_from(app: &TestApp, id: i64) -> Option<Date> {
    dependents::table.find(id).select(dependents::support_suspended_from).first(&mut *app.conn()).unwrap()
}

/// Starts a dependant's support (issue 19.10; GUIDE 五: only after the retiree's death and its approval): the
/// retiree dies on 10 October, the application is approved on the 22nd, support from November.
async fn start_support(app: &TestApp, dep: i64) {
    let retiree: i64 = dependents::table.find(dep).select(dependents::retiree_id).first(&mut *app.conn()).unwrap();
    let body = json!({"retiree_id": retiree, "date_of_death": "2026-10-10", "certificate_number": format!("DC-{retiree}"),
        "reporter_kind": "relative", "reporter_name": "张小明", "reporter_relation": "儿子", "reported_on": "2026-10-12"});
    let rid = app.post("/api/v1/death-reports", "hongshan", &body).await.expect(201).body["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({})).await.expect(200);
    let res = app
        .post("/api/v1/dependent-support", "hongshan", &json!({"dependent_id": dep, "applied_on": "2026-10-20"}))
        .await
        .expect(201);
    let steps = format!("/api/v1/dependent-support/{}/steps", res.body["id"]);
    app.post(&steps, "hongshan", &json!({"step": "investigation", "passed": true, "on_date": "2026-10-22"}))
        .await
        .expect(200);
    app.post(&steps, "xiagang", &json!({"step": "review", "passed": true, "on_date": "2026-10-22"})).await.expect(200);
    app.post(&steps, "siming", &json!({"step": "approval", "passed": true, "on_date": "2026-10-22"})).await.expect(200);
}

fn month(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), u8::from(d.month()))
}

both_backends! {
    async fn a_supported_dependant_is_valid_one_period_from_registration(app: &TestApp) {
        // CS Art. 16(2) with the default twelve-month period, as for a retiree; nothing to certify when unsupported.
        let (retiree, dep, _) = family(app, 1, true).await;
        let res = app.get(&format!("/api/v1/retirees/{retiree}/dependents/{dep}"), "hongshan").await.expect(200);
        let until = domain::pension::certified_until(today(), 12);
        assert_eq!(res.body["certified_until"], until.to_string());
        assert_eq!(res.body["certification_status"], "certified");
        // Issue 19.10, GUIDE 五: the retiree lives, so the support is registered, not paid.
        assert_eq!(res.body["support_status"], "registered");
        assert_eq!(res.body["last_certified_on"], Value::Null);
        let (retiree, dep, _) = family(app, 2, false).await;
        let res = app.get(&format!("/api/v1/retirees/{retiree}/dependents/{dep}"), "hongshan").await.expect(200);
        assert_eq!(res.body["support_status"], "not_supported");
        assert_eq!(res.body["certification_status"], Value::Null);
    }

    async fn a_run_suspends_an_overdue_dependant_and_a_certification_resumes_with_four_months(app: &TestApp) {
        // XM Art. 15 last paragraph, CS Art. 32(1): one day overdue suspends, the last valid day does not.
        let on = today();
        let (_, overdue, _) = family(app, 3, true).await;
        let (_, last_day, _) = family(app, 4, true).await;
        let (_, unsupported, _) = family(app, 5, false).await;
        start_support(app, overdue).await;
        start_support(app, last_day).await;
        set_dependant(app, overdue, on.previous_day().unwrap(), None);
        set_dependant(app, last_day, on, None);
        set_dependant(app, unsupported, date!(2020 - 01 - 01), None);
        let res = app.post("/api/v1/certification-runs", "siming", &json!({"jurisdiction": "350203", "dry_run": true})).await.expect(201);
        assert_eq!(res.body["counts"]["dependents_suspended"], 1);
        assert_eq!(suspended_from(app, overdue), None, "a dry run changes nothing");
        let res = app.post("/api/v1/certification-runs", "siming", &json!({"jurisdiction": "350203"})).await.expect(201);
        assert_eq!(res.body["counts"]["dependents_suspended"], 1, "{}", res.body);
        let run = res.body["id"].as_i64().unwrap();
        assert_eq!(res.body["links"]["dependents"], format!("/api/v1/certification-runs/{run}/dependents"));
        assert_eq!(suspended_from(app, overdue), Some(domain::pension::month_of(on)));
        assert_eq!(suspended_from(app, last_day), None);
        assert_eq!(suspended_from(app, unsupported), None);
        let listed = app.get(&format!("/api/v1/certification-runs/{run}/dependents"), "siming").await.expect(200);
        let items = listed.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["dependent_id"], overdue);
        assert_eq!(items[0]["to_status"], "suspended");
        assert_eq!(items[0]["reason"], "certification_overdue");
        assert_eq!(items[0]["source"], "run");
        assert_eq!(items[0]["source_ref"], run);
        assert_eq!(items[0]["effective_month"], month(on));
        // A second run on the same date changes nothing.
        let res = app.post("/api/v1/certification-runs", "siming", &json!({"jurisdiction": "350203"})).await.expect(201);
        assert_eq!(res.body["counts"]["dependents_suspended"], 0);
        assert_eq!(app.count("dependent_support_changes"), 1);
        // Out of scope: another district's centre does not see the run.
        app.get(&format!("/api/v1/certification-runs/{run}/dependents"), "huli").await.problem(404, "not_found");

        // Suspended from March, certified by face recognition on 10 July: March to June, four months.
        set_dependant(app, overdue, date!(2026 - 02 - 27), Some(date!(2026 - 03 - 01)));
        let retiree: i64 = dependents::table.find(overdue).select(dependents::retiree_id).first(&mut *app.conn()).unwrap();
        let path = format!("/api/v1/retirees/{retiree}/dependents/{overdue}");
        let shown = app.get(&path, "hongshan").await.expect(200);
        assert_eq!(shown.body["support_status"], "suspended");
        assert_eq!(shown.body["certification_status"], "overdue");
        let body = json!({"method": "face_recognition", "certified_on": "2026-07-10", "provider": "闽政通",
            "provider_reference": "FR-D-1", "score": "0.91"});
        let res = app.post(&format!("{path}/certifications"), "hongshan", &body).await.expect(201);
        let cert = res.body["certification"]["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("{path}/certifications/{cert}").as_str()));
        assert_eq!(res.body["extended"], true);
        assert_eq!(res.body["certification"]["valid_until"], "2027-07-10");
        assert_eq!(res.body["certification"]["dependent_id"], overdue);
        assert_eq!(res.body["resumption"]["to_status"], "paid");
        assert_eq!(res.body["resumption"]["effective_month"], "2026-07");
        assert_eq!(res.body["resumption"]["months_suspended"], 4);
        assert_eq!(res.body["resumption"]["back_pay_granted"], true);
        assert_eq!(res.body["resumption"]["back_pay_months"], 4);
        assert_eq!(res.body["dependent"]["support_status"], "paid");
        assert_eq!(res.body["dependent"]["certified_until"], "2027-07-10");
        assert_eq!(res.body["dependent"]["last_certified_on"], "2026-07-10");
        assert_eq!(suspended_from(app, overdue), None);
        let changes = app.get(&format!("{path}/support-changes"), "hongshan").await.expect(200);
        let statuses: Vec<&str> = changes.body["items"].as_array().unwrap().iter().map(|c| c["to_status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["suspended", "paid"]);
        let list = app.get(&format!("{path}/certifications"), "hongshan").await.expect(200);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(app.audit_count("dependent.certification.record"), 1);
        assert_eq!(app.audit_count("dependent.support.resume"), 1);
        // The retiree's own certifications are not the dependant's.
        let own = app.get(&format!("/api/v1/retirees/{retiree}/certifications"), "hongshan").await.expect(200);
        assert_eq!(own.body["items"].as_array().unwrap().len(), 0);
    }

    async fn refusals_change_nothing(app: &TestApp) {
        let (retiree, unsupported, _) = family(app, 6, false).await;
        let (_, supported, _) = family(app, 7, true).await;
        let ok = json!({"method": "community_worker", "certified_on": "2026-07-01", "certifier_name": "王五"});
        // Nothing to certify for a dependant who receives no support.
        app.post(&format!("/api/v1/retirees/{retiree}/dependents/{unsupported}/certifications"), "hongshan", &ok)
            .await
            .problem(409, "dependent_not_supported");
        let retiree2: i64 = dependents::table.find(supported).select(dependents::retiree_id).first(&mut *app.conn()).unwrap();
        let path = format!("/api/v1/retirees/{retiree2}/dependents/{supported}/certifications");
        // Bad input names the field and the rule.
        let res = app.post(&path, "hongshan", &json!({"method": "home_visit", "certified_on": "2026-07-01"})).await.problem(422, "required_for_method");
        assert_eq!(res.body["errors"][0]["field"], "/certifier_name");
        app.post(&path, "hongshan", &json!({"method": "home_visit", "certified_on": "2026-02-30", "certifier_name": "王五"})).await.problem(422, "invalid_date");
        // Wrong role and out of scope.
        app.post(&path, "finance", &ok).await.problem(403, "forbidden");
        app.post(&path, "huli", &ok).await.problem(404, "not_found");
        app.get(&path, "huli").await.problem(404, "not_found");
        // A dependant of another retiree is not found under this one.
        app.post(&format!("/api/v1/retirees/{retiree}/dependents/{supported}/certifications"), "hongshan", &ok)
            .await
            .problem(404, "not_found");
        let n: i64 = dependent_certifications::table.count().get_result(&mut *app.conn()).unwrap();
        assert_eq!(n, 0);
        let n: i64 = dependent_support_changes::table.count().get_result(&mut *app.conn()).unwrap();
        assert_eq!(n, 0);
    }

    async fn a_medical_visit_feed_certifies_a_dependant_and_resumes_the_support(app: &TestApp) {
        // XM Art. 15(1) and last paragraph, CS Art. 27: data comparison certifies dependants too.
        let (_, dep, idn) = family(app, 8, true).await;
        set_dependant(app, dep, date!(2026 - 02 - 27), Some(date!(2026 - 03 - 01)));
        let body = format!("{}\n", json!({"id_number": idn, "date": "2026-07-15", "source": "厦门市医保平台", "reference": "MV-D-1"}));
        let token = app.token("platform");
        let res = app
            .request("POST", "/api/v1/feeds/medical_visit?batch_id=dep-1", Some(&token), &[("Content-Type", "application/x-ndjson")], Some(body.into_bytes()))
            .await
            .expect(201);
        let b = &res.body;
        assert_eq!(
            [&b["records"], &b["matched"], &b["applied"], &b["unmatched"], &b["certified"], &b["resumed"], &b["dependents_certified"], &b["dependents_resumed"]],
            [&json!(1), &json!(1), &json!(1), &json!(0), &json!(1), &json!(1), &json!(1), &json!(1)],
            "{b}"
        );
        let batch = b["id"].as_i64().unwrap();
        let (until, last, suspended): (Date, Option<Date>, Option<Date>) = dependents::table
            .find(dep)
            .select((dependents::certified_until, dependents::last_certified_on, dependents::support_suspended_from))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!((until, last, suspended), (date!(2027 - 07 - 15), Some(date!(2026 - 07 - 15)), None));
        let (method, source, source_ref): (String, String, Option<i64>) = dependent_certifications::table
            .select((dependent_certifications::method, dependent_certifications::source, dependent_certifications::source_ref))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!((method.as_str(), source.as_str(), source_ref), ("data_comparison", "feed", Some(batch)));
        let (months, paid): (Option<i32>, Option<i32>) = dependent_support_changes::table
            .select((dependent_support_changes::months_suspended, dependent_support_changes::back_pay_months))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!((months, paid), (Some(4), Some(4)));
        // An older record later changes nothing and is counted as stale.
        let body = format!("{}\n", json!({"id_number": idn, "date": "2026-05-01", "source": "厦门市医保平台"}));
        let res = app
            .request("POST", "/api/v1/feeds/medical_visit?batch_id=dep-2", Some(&token), &[("Content-Type", "application/x-ndjson")], Some(body.into_bytes()))
            .await
            .expect(201);
        assert_eq!(res.body["matched"], 1);
        assert_eq!(res.body["applied"], 0);
        assert_eq!(res.body["not_applied"], json!({"stale": 1}));
        let n: i64 = dependent_certifications::table.count().get_result(&mut *app.conn()).unwrap();
        assert_eq!(n, 1);
    }
}
