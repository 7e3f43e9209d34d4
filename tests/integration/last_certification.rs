//! Issue 19.2: a city loads a person's real last certification (CS Art. 16(2), 32(1)): registration, roster
//! imports (every format through the same columns) and handover accept it and derive `certified_until` from the
//! policy period, so a person overdue is overdue at once and the next run suspends them; an older certification
//! recorded later moves the validity when it is the latest on record; the roster export carries it; the
//! history shows it. On both backends.

use std::time::Duration;

use diesel::prelude::*;
use persistence::schema::{certifications, retirees};
use serde_json::{Value, json};
use time::Date;
use time::macros::date;

use crate::both_backends;
use crate::helpers::*;

/// (certified_until, last_certified_on) of a person as stored.
fn validity(app: &TestApp, id: i64) -> (Date, Option<Date>) {
    retirees::table
        .find(id)
        .select((retirees::certified_until, retirees::last_certified_on))
        .first(&mut *app.conn())
        .unwrap()
}

/// (method, certified_on, valid_until, source, source_ref) of every certification of a person, oldest first.
fn history(app: &TestApp, id: i64) -> Vec<(String, Date, Date, String, Option<i64>)> {
    certifications::table
        .filter(certifications::retiree_id.eq(id))
        .order(certifications::id)
        .select((
            certifications::method,
            certifications::certified_on,
            certifications::valid_until,
            certifications::source,
            certifications::source_ref,
        ))
        .load(&mut *app.conn())
        .unwrap()
}

/// The id of the person with resident ID `id_number`.
fn id_of(app: &TestApp, id_number: &str) -> i64 {
    let hash = persistence::sealed::hash(id_number).unwrap();
    retirees::table.filter(retirees::id_number_hash.eq(hash)).select(retirees::id).first(&mut *app.conn()).unwrap()
}

/// Follows an import job to its end.
async fn import(app: &TestApp, content_type: &str, body: &[u8]) -> Value {
    let token = app.token("importer");
    let res = app
        .request(
            "POST",
            "/api/v1/imports/retirees?mode=partial",
            Some(&token),
            &[("Content-Type", content_type)],
            Some(body.to_vec()),
        )
        .await
        .expect(202);
    let location = res.header("location").unwrap().to_owned();
    for _ in 0..2400 {
        let job = app.request("GET", &location, Some(&token), &[], None).await.expect(200);
        if !matches!(job.body["status"].as_str(), Some("queued" | "running")) {
            return job.body;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the job did not end");
}

/// (line, field, code) of the errors of an import job.
async fn job_errors(app: &TestApp, job: &Value) -> Vec<(u64, String, String)> {
    let res = app.get(&format!("/api/v1/imports/{}/errors?limit=500", job["id"]), "importer").await.expect(200);
    res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

both_backends! {
    async fn registration_loads_the_last_certification_and_an_overdue_person_is_overdue_at_once_cs_art_16_2(app: &TestApp) {
        // Issue 19.2; CS Art. 16(2), 32(1): last certified on 2025-06-01, one 12-month period: valid to 2026-06-01,
        // overdue today (2026-12-06), not a fresh year from registration.
        let mut body = retiree_body("350203001001", 1);
        body["last_certified_on"] = json!("2025-06-01");
        body["last_certification_method"] = json!("community_worker");
        let res = app.post("/api/v1/retirees", "hongshan", &body).await.expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!((res.body["certified_until"].as_str(), res.body["last_certified_on"].as_str()), (Some("2026-06-01"), Some("2025-06-01")));
        assert_eq!(res.body["certification_status"], "overdue");
        assert_eq!(validity(app, id), (date!(2026 - 06 - 01), Some(date!(2025 - 06 - 01))));
        // The history (and so the timeline) shows the loaded certification; the creation's audit entry carries it.
        assert_eq!(history(app, id), vec![("community_worker".into(), date!(2025 - 06 - 01), date!(2026 - 06 - 01), "loaded".into(), None)]);
        let listed = app.get(&format!("/api/v1/retirees/{id}/certifications"), "hongshan").await.expect(200);
        assert_eq!((listed.body["items"][0]["source"].as_str(), listed.body["items"][0]["method"].as_str()), (Some("loaded"), Some("community_worker")));
        let timeline = app.get(&format!("/api/v1/retirees/{id}/timeline"), "city").await.expect(200);
        assert!(timeline.body["items"].as_array().unwrap().iter().any(|e| e["kind"] == "certification"), "{}", timeline.text);
        let log = app.get("/api/v1/audit-log?action=retiree.create&limit=5", "auditor").await.expect(200);
        assert_eq!(log.body["items"][0]["detail"]["last_certification"], json!({"certified_on": "2025-06-01", "method": "community_worker"}));
        // The next certification run suspends them.
        let run = app.post("/api/v1/certification-runs", "siming", &json!({"jurisdiction": "350203", "as_of": today().to_string()})).await.expect(201);
        assert_eq!(run.body["counts"]["suspended"], 1);
        let (status,): (String,) = retirees::table.find(id).select((retirees::pension_status,)).first(&mut *app.conn()).unwrap();
        assert_eq!(status, "suspended");
        // Without it, as before: a fresh period from registration and no history.
        let plain = app.post("/api/v1/retirees", "hongshan", &retiree_body("350203001001", 2)).await.expect(201);
        let pid = plain.body["id"].as_i64().unwrap();
        assert_eq!(validity(app, pid), (date!(2027 - 12 - 06), None));
        assert!(history(app, pid).is_empty());
    }

    async fn a_last_certification_in_the_future_or_before_retirement_is_refused_issue_19_2(app: &TestApp) {
        // Issue 19.2; CS Art. 16(2): only a pensioner is certified, and not on a day still to come.
        let cases = [
            (json!("2026-12-07"), json!("face_recognition"), "/last_certified_on", "date_in_future"),
            (json!("2014-12-31"), json!("home_visit"), "/last_certified_on", "before_retirement"),
            (json!("2025-06-01"), Value::Null, "/last_certification_method", "required"),
            (Value::Null, json!("home_visit"), "/last_certified_on", "required"),
            (json!("2025-13-01"), json!("home_visit"), "/last_certified_on", "invalid_date"),
        ];
        for (i, (on, method, field, code)) in cases.into_iter().enumerate() {
            let mut body = retiree_body("350203001001", 10 + i as u16);
            body["last_certified_on"] = on;
            body["last_certification_method"] = method;
            let res = app.post("/api/v1/retirees", "hongshan", &body).await.problem(422, code);
            let errors: Vec<(&str, &str)> =
                res.body["errors"].as_array().unwrap().iter().map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap())).collect();
            assert_eq!(errors, vec![(field, code)], "{}", res.text);
        }
        assert_eq!((app.count("retirees"), app.count("certifications")), (0, 0));
        // The retirement day itself is fine.
        let mut body = retiree_body("350203001001", 20);
        body["last_certified_on"] = json!("2015-01-01");
        body["last_certification_method"] = json!("home_visit");
        app.post("/api/v1/retirees", "hongshan", &body).await.expect(201);
    }

    async fn an_older_certification_that_is_the_latest_on_record_moves_the_validity_issue_19_2(app: &TestApp) {
        // Issue 19.2; CS Art. 16(2), 32(1): registered today with a fresh period; the real last certification
        // (2025-06-01) recorded afterwards is the latest on record, so the validity rests on it: overdue.
        let res = app.post("/api/v1/retirees", "hongshan", &retiree_body("350203001001", 1)).await.expect(201);
        let id = res.body["id"].as_i64().unwrap();
        let path = format!("/api/v1/retirees/{id}/certifications");
        let cert = |on: &str| json!({"method": "community_worker", "certified_on": on, "certifier_name": "王五"});
        let res = app.post(&path, "hongshan", &cert("2025-06-01")).await.expect(201);
        assert_eq!(res.body["extended"], true);
        assert_eq!(res.body["status"]["certified_until"], "2026-06-01");
        assert_eq!(res.body["status"]["certification_status"], "overdue");
        assert_eq!(validity(app, id), (date!(2026 - 06 - 01), Some(date!(2025 - 06 - 01))));
        // An even older one is not the latest: history only.
        let res = app.post(&path, "hongshan", &cert("2025-03-01")).await.expect(201);
        assert_eq!(res.body["extended"], false);
        assert_eq!(validity(app, id), (date!(2026 - 06 - 01), Some(date!(2025 - 06 - 01))));
        // A newer one extends, as before.
        let res = app.post(&path, "hongshan", &cert("2026-12-01")).await.expect(201);
        assert_eq!(res.body["extended"], true);
        assert_eq!(validity(app, id), (date!(2027 - 12 - 01), Some(date!(2026 - 12 - 01))));
        // An older one now changes nothing.
        let res = app.post(&path, "hongshan", &cert("2026-11-01")).await.expect(201);
        assert_eq!(res.body["extended"], false);
        assert_eq!(validity(app, id), (date!(2027 - 12 - 01), Some(date!(2026 - 12 - 01))));
        assert_eq!(history(app, id).len(), 4);
    }

    async fn a_roster_import_loads_the_last_certification_in_csv_and_ndjson_issue_19_2(app: &TestApp) {
        // Issue 19.2; CS Art. 16(2): the columns with their Chinese headers; the method by code or Chinese label.
        let ids: Vec<String> = (0..5).map(|i| id_number("350203", "19550101", 2 * i + 1)).collect();
        let csv = format!(
            "姓名,身份证号,退休日期,人员类别,管理层级,社区代码,末次认证日期,末次认证方式\r\n\
             甲,{},2015-01-01,enterprise_employee,city_managed,350203001001,2025-06-01,社区工作人员认证\r\n\
             乙,{},2015-01-01,enterprise_employee,city_managed,350203001001,,\r\n\
             丙,{},2015-01-01,enterprise_employee,city_managed,350203001001,2027-01-01,home_visit\r\n\
             丁,{},2015-01-01,enterprise_employee,city_managed,350203001001,2014-06-01,home_visit\r\n\
             戊,{},2015-01-01,enterprise_employee,city_managed,350203001001,2026-03-01,flying\r\n",
            ids[0], ids[1], ids[2], ids[3], ids[4]
        );
        let job = import(app, "text/csv", csv.as_bytes()).await;
        assert_eq!((job["status"].as_str(), job["created"].as_i64(), job["rejected"].as_i64()), (Some("completed_with_errors"), Some(2), Some(3)), "{job}");
        assert_eq!(
            job_errors(app, &job).await,
            vec![
                (4, "last_certified_on".into(), "date_in_future".into()),
                (5, "last_certified_on".into(), "before_retirement".into()),
                (6, "last_certification_method".into(), "invalid_enum".into()),
            ]
        );
        let first = id_of(app, &ids[0]);
        assert_eq!(validity(app, first), (date!(2026 - 06 - 01), Some(date!(2025 - 06 - 01))));
        assert_eq!(history(app, first), vec![("community_worker".into(), date!(2025 - 06 - 01), date!(2026 - 06 - 01), "loaded".into(), job["id"].as_i64())]);
        let second = id_of(app, &ids[1]);
        assert_eq!(validity(app, second), (date!(2027 - 12 - 06), None));
        assert!(history(app, second).is_empty());
        // NDJSON goes through the same columns.
        let six = id_number("350203", "19550101", 21);
        let ndjson = format!("{}\n", json!({"name": "己", "id_number": six, "retirement_date": "2015-01-01",
            "category": "enterprise_employee", "management_level": "city_managed", "community_code": "350203001004",
            "last_certified_on": "2026-01-15", "last_certification_method": "face_recognition"}));
        let job = import(app, "application/x-ndjson", ndjson.as_bytes()).await;
        assert_eq!(job["created"], 1, "{job}");
        let sixth = id_of(app, &six);
        assert_eq!(validity(app, sixth), (date!(2027 - 01 - 15), Some(date!(2026 - 01 - 15))));
        assert_eq!(history(app, sixth)[0].0, "face_recognition");
        // The export carries the last certification and its method; the person without one has empty cells.
        let export = app.get("/api/v1/exports/retirees", "platform").await.expect(200);
        let text = export.text.trim_start_matches('\u{feff}').to_owned();
        let mut lines = text.split("\r\n");
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(&header[header.len() - 2..], ["last_certified_on", "last_certification_method"]);
        let row_of = |id: &str| -> Vec<String> {
            text.split("\r\n").find(|l| l.contains(id)).unwrap().split(',').map(str::to_owned).collect()
        };
        let (r1, r2, r6) = (row_of(&ids[0]), row_of(&ids[1]), row_of(&six));
        assert_eq!(&r1[r1.len() - 2..], ["2025-06-01", "community_worker"]);
        assert_eq!(&r2[r2.len() - 2..], ["", ""]);
        assert_eq!(&r6[r6.len() - 2..], ["2026-01-15", "face_recognition"]);
    }

    async fn handover_carries_the_last_certification_issue_19_2(app: &TestApp) {
        // Issue 19.2; CS Art. 16(2): the employer hands over the person's real last certification.
        let mut person = retiree_body("350203001001", 40);
        person["last_certified_on"] = json!("2026-02-10");
        person["last_certification_method"] = json!("data_comparison");
        let mut bad = retiree_body("350203001001", 41);
        bad["last_certified_on"] = json!("2099-01-01");
        bad["last_certification_method"] = json!("data_comparison");
        let batch = |items: Vec<Value>| json!({"jurisdiction": "350203", "month": "2026-05",
            "employer": {"name": "厦门港务集团有限公司", "community_code": "350203001001"},
            "items": items.into_iter().map(|r| json!({"retiree": r})).collect::<Vec<_>>()});
        let res = app.post("/api/v1/handover-batches", "siming", &batch(vec![person.clone(), bad])).await.problem(422, "date_in_future");
        assert_eq!(res.first_field(), "/items/1/retiree/last_certified_on");
        let res = app.post("/api/v1/handover-batches", "siming", &batch(vec![person])).await.expect(201);
        let b = res.body["id"].as_i64().unwrap();
        let item = res.body["items"][0]["id"].as_i64().unwrap();
        let base = format!("/api/v1/handover-batches/{b}/items/{item}");
        for step in [json!({"step": "archive_received", "volumes": 1, "complete": true}), json!({"step": "agreement_signed"})] {
            app.post(&format!("{base}/steps"), "hongshan", &step).await.expect(200);
        }
        let res = app.post(&format!("{base}/accept"), "hongshan", &json!({"received_on": "2026-05-12"})).await.expect(200);
        let id = res.body["items"][0]["retiree_id"].as_i64().unwrap();
        // Valid one period after the certification, not after the day received.
        assert_eq!(validity(app, id), (date!(2027 - 02 - 10), Some(date!(2026 - 02 - 10))));
        assert_eq!(history(app, id), vec![("data_comparison".into(), date!(2026 - 02 - 10), date!(2027 - 02 - 10), "loaded".into(), Some(item))]);
    }
}
