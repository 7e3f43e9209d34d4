//! Health records over HTTP (issue 25; GUIDE 第五部分第四章四; CS Art. 7(3)6; JN Art. 25): institutions with their
//! cooperation agreement, a record per person created only under an agreement in force, examinations and
//! adjustments as updates, the masked summary for roles without `health.read` (PIPL Art. 28) in the single view,
//! the list and the file, audited reads, the worklists (due for an update; people of 70 and above without a
//! record), events without health data, and every refusal: bad input (422), wrong role (403), out of scope (404 or
//! 422 on the referenced person), a second record (409), no agreement (422). The test clock is 2026-12-06; the
//! default policy (not stated) has a 365-day interval and the worklist from 70; the fixture people are born
//! 1955-01-01 (71).

use diesel::prelude::*;
use persistence::schema::{health_examinations as he, health_records as hr};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

fn institution(agreement: Option<Value>) -> Value {
    let mut body = json!({"name": "鸿山社区卫生服务站", "address": "思明区鸿山路10号", "contact_name": "王医生",
        "contact_phone": "0592-2061235"});
    if let Some(a) = agreement {
        body["agreement"] = a;
    }
    body
}

async fn events(app: &TestApp, kind: &str) -> Vec<Value> {
    let page = app.get(&format!("/api/v1/events?after=0&limit=500&types={kind}"), "platform").await.expect(200);
    let items = page.body["items"].as_array().unwrap().clone();
    for e in &items {
        let t = domain::events::EventType::parse(kind).unwrap();
        app::events::check_payload(t, &e["payload"]).unwrap_or_else(|err| panic!("{err}: {e}"));
    }
    items
}

async fn put(app: &TestApp, path: &str, login: &str, body: &Value, if_match: Option<&str>) -> Resp {
    let token = app.token(login);
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(m) = if_match {
        headers.push(("If-Match", m));
    }
    app.request("PUT", path, Some(&token), &headers, Some(body.to_string().into_bytes())).await
}

fn ids(body: &Value, key: &str) -> Vec<i64> {
    body["items"].as_array().unwrap().iter().map(|v| v[key].as_i64().unwrap()).collect()
}

both_backends! {
    async fn institutions_and_agreements_guide_part5_ch4_4(app: &TestApp) {
        // GUIDE 第五部分第四章四 2(1)-(5): register the institution, sign the agreement.
        let agreement = json!({"agreement_no": "SMWS-2026-01", "from": "2026-01-01", "until": "2027-12-31"});
        let res = app.post("/api/v1/health-institutions", "hongshan", &institution(Some(agreement))).await.expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/health-institutions/{id}").as_str()));
        assert_eq!(res.header("etag"), Some("\"1\""));
        assert_eq!((res.body["jurisdiction"].as_str(), res.body["agreement_active"].as_bool()), (Some("350203001001"), Some(true)));
        assert_eq!(app.audit_count("health.institution.create"), 1);
        // Bad input, every rule at once.
        let bad = json!({"name": "", "address": "x", "agreement": {"agreement_no": "A", "from": "2026-02-01", "until": "2026-01-31"}});
        let res = app.post("/api/v1/health-institutions", "hongshan", &bad).await.problem(422, "validation_failed");
        let fields = res.fields();
        assert!(fields.contains(&("/agreement/until".into(), "agreement_order".into())), "{fields:?}");
        assert!(fields.iter().any(|(f, _)| f == "/name"), "{fields:?}");
        let res = app.post("/api/v1/health-institutions", "hongshan", &json!({"name": "x", "address": "y", "jurisdiction": "350206001001"})).await.problem(422, "jurisdiction_not_found");
        assert_eq!(res.fields(), vec![("/jurisdiction".into(), "jurisdiction_not_found".into())]);
        assert_eq!(app.count("health_institutions"), 1);
        // Wrong role: the group leader and the auditor may not register; the city centre reads but does not write.
        app.post("/api/v1/health-institutions", "leader", &institution(None)).await.problem(403, "forbidden");
        app.post("/api/v1/health-institutions", "auditor", &institution(None)).await.problem(403, "forbidden");
        app.post("/api/v1/health-institutions", "city", &institution(None)).await.problem(403, "forbidden");
        app.get("/api/v1/health-institutions", "admin").await.problem(403, "forbidden");
        // Out of scope.
        app.get(&format!("/api/v1/health-institutions/{id}"), "fengchaoshan").await.problem(404, "not_found");
        let one = app.get(&format!("/api/v1/health-institutions/{id}"), "leader").await.expect(200);
        assert_eq!(one.body["agreement_no"], "SMWS-2026-01");
        assert_eq!(ids(&app.get("/api/v1/health-institutions", "siming").await.expect(200).body, "id"), vec![id]);
        // Renewing the agreement needs If-Match; an expired agreement is not in force.
        let path = format!("/api/v1/health-institutions/{id}/agreement");
        let expired = json!({"agreement_no": "SMWS-2025-01", "from": "2025-01-01", "until": "2025-12-31"});
        app.post(&path, "hongshan", &expired).await.problem(428, "if_match_required");
        app.post_with(&path, "hongshan", &expired, &[("If-Match", "\"9\"")]).await.problem(412, "version_mismatch");
        let v = app.post_with(&path, "hongshan", &expired, &[("If-Match", "\"1\"")]).await.expect(200);
        assert_eq!((v.body["agreement_active"].as_bool(), v.body["version"].as_i64()), (Some(false), Some(2)));
        assert_eq!(app.audit_count("health.institution.agreement"), 1);
    }

    async fn records_masking_worklists_and_files_pipl_art_28(app: &TestApp) {
        let agreement = json!({"agreement_no": "SMWS-2026-01", "from": "2025-01-01"});
        let inst = app.post("/api/v1/health-institutions", "xiagang", &institution(Some(agreement))).await.expect(201).body["id"].as_i64().unwrap();
        let none = app.post("/api/v1/health-institutions", "hongshan", &institution(None)).await.expect(201).body["id"].as_i64().unwrap();
        let r1 = app.create_retiree("siming", &retiree_body("350203001001", 1)).await["id"].as_i64().unwrap();
        let r2 = app.create_retiree("siming", &retiree_body("350203001001", 2)).await["id"].as_i64().unwrap();
        let r3 = app.create_retiree("siming", &retiree_body("350203001004", 3)).await["id"].as_i64().unwrap();

        // The worklist of people of 70 and above without a record (policy, not stated), per subtree.
        assert_eq!(ids(&app.get("/api/v1/health-records/missing", "hongshan").await.expect(200).body, "retiree_id"), vec![r1, r2]);
        let all = app.get("/api/v1/health-records/missing", "xiagang").await.expect(200);
        assert_eq!(ids(&all.body, "retiree_id"), vec![r1, r2, r3]);
        assert_eq!(all.body["items"][0]["age"], 71);
        app.get("/api/v1/health-records/missing", "leader").await.problem(403, "forbidden");

        // GUIDE 四 2(7): the record, with the street's institution (a node above the community) under its agreement.
        let body = json!({"retiree_id": r1, "institution_id": inst, "conditions": ["高血压", "2型糖尿病"],
            "disability_level": "none", "collected_on": "2025-12-01"});
        app.post("/api/v1/health-records", "leader", &body).await.problem(403, "forbidden");
        app.post("/api/v1/health-records", "city", &body).await.problem(403, "forbidden");
        let res = app.post("/api/v1/health-records", "fengchaoshan", &body).await.problem(422, "retiree_not_found");
        assert_eq!(res.fields(), vec![("/retiree_id".into(), "retiree_not_found".into())]);
        let res = app.post("/api/v1/health-records", "hongshan", &body).await.expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/health-records/{id}").as_str()));
        assert_eq!(res.header("etag"), Some("\"1\""));
        assert_eq!((res.body["next_due_on"].as_str(), res.body["due"].as_bool()), (Some("2026-12-01"), Some(true)));
        assert_eq!(res.body["conditions"], json!(["高血压", "2型糖尿病"]));
        assert_eq!(app.audit_count("health.record.create"), 1);
        // Stored sealed: the conditions are not in clear in the table (PIPL Art. 28; issue 21.10).
        let stored: String = hr::table.filter(hr::id.eq(id)).select(hr::conditions).first(&mut *app.conn()).unwrap();
        assert!(!stored.contains("高血压"), "{stored}");
        // A second record of the same person: 409.
        app.post("/api/v1/health-records", "hongshan", &body).await.problem(409, "health_record_exists");
        // No agreement in force: 422 on the institution.
        let res = app.post("/api/v1/health-records", "hongshan", &json!({"retiree_id": r2, "institution_id": none,
            "conditions": [], "disability_level": "none"})).await.problem(422, "health_agreement_inactive");
        assert_eq!(res.fields(), vec![("/institution_id".into(), "health_agreement_inactive".into())]);
        // Bad input, every rule at once.
        let res = app.post("/api/v1/health-records", "hongshan", &json!({"retiree_id": r2, "institution_id": inst,
            "conditions": [""], "disability_level": "none", "collected_on": "2026-12-07"})).await.problem(422, "validation_failed");
        let fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["/collected_on".to_owned(), "/conditions/0".to_owned()]);
        let res = app.post("/api/v1/health-records", "hongshan", &json!({"retiree_id": r2, "institution_id": inst,
            "conditions": [], "disability_level": "grade_9"})).await;
        assert_eq!(res.status.as_u16(), 422, "{}", res.text);
        assert_eq!(app.count("health_records"), 1);
        assert_eq!(ids(&app.get("/api/v1/health-records/missing", "hongshan").await.expect(200).body, "retiree_id"), vec![r2]);

        // The single view: in full for health.read, masked for the others; both audited; 404 out of scope.
        let full = app.get(&format!("/api/v1/health-records/{id}"), "hongshan").await.expect(200);
        assert_eq!((full.body["masked"].as_bool(), full.body["institution_id"].as_i64()), (Some(false), Some(inst)));
        assert_eq!(full.body["examinations"], json!([]));
        assert_eq!(app.audit_count("health.record.read"), 1);
        for login in ["leader", "auditor", "platform", "finance"] {
            let masked = app.get(&format!("/api/v1/health-records/{id}"), login).await.expect(200);
            assert_eq!(masked.body["masked"], true, "{login}");
            assert_eq!(masked.body["last_updated_on"], "2025-12-01", "{login}");
            for field in ["conditions", "disability_level", "institution_id", "examinations"] {
                assert_eq!(masked.body[field], Value::Null, "{login} {field}");
            }
        }
        assert_eq!(app.audit_count("health.record.summary_read"), 4);
        app.get(&format!("/api/v1/health-records/{id}"), "fengchaoshan").await.problem(404, "not_found");
        app.get(&format!("/api/v1/health-records/{id}"), "admin").await.problem(403, "forbidden");

        // Lists: the due worklist; the health data never in the list of a role without health.read.
        let due = app.get("/api/v1/health-records?due=true", "hongshan").await.expect(200);
        assert_eq!(ids(&due.body, "id"), vec![id]);
        assert_eq!(due.body["items"][0]["conditions"], json!(["高血压", "2型糖尿病"]));
        let masked = app.get("/api/v1/health-records", "leader").await.expect(200);
        assert_eq!(masked.body["items"][0]["conditions"], Value::Null);
        assert_eq!(masked.body["items"][0]["masked"], true);
        assert_eq!(app.get("/api/v1/health-records", "fengchaoshan").await.expect(200).body["items"], json!([]));
        app.get("/api/v1/health-records?due=maybe", "hongshan").await.problem(422, "invalid_enum");
        assert_eq!(app.audit_count("health.record.list"), 3);

        // Files: Chinese headers; the health columns only for health.read; audited.
        let file = app.get("/api/v1/exports/health-records?labels=zh&list=due", "hongshan").await.expect(200);
        assert!(file.text.contains("姓名") && file.text.contains("慢性病") && file.text.contains("高血压"), "{}", file.text);
        let file = app.get("/api/v1/exports/health-records?labels=zh", "leader").await.expect(200);
        assert!(file.text.contains("最近更新日期") && !file.text.contains("慢性病") && !file.text.contains("高血压"), "{}", file.text);
        let file = app.get("/api/v1/exports/health-records?format=xlsx&list=missing", "hongshan").await.expect(200);
        assert_eq!(&file.bytes[..2], b"PK");
        app.get("/api/v1/exports/health-records?list=missing", "leader").await.problem(403, "forbidden");
        app.get("/api/v1/exports/health-records?list=other", "hongshan").await.problem(422, "invalid_enum");
        assert_eq!(app.audit_count("health.record.export"), 3);

        // GUIDE 四 2(8): an examination updates the record and takes it off the due worklist.
        let exam = json!({"examined_on": "2026-12-05", "summary": "血压偏高，建议复查", "chronic_disease": true,
            "disability_level": "grade_4"});
        let path = format!("/api/v1/health-records/{id}/examinations");
        app.post(&path, "leader", &exam).await.problem(403, "forbidden");
        let mut future = exam.clone();
        future["examined_on"] = json!("2026-12-07");
        let res = app.post(&path, "hongshan", &future).await.expect(422);
        assert_eq!(res.fields().len(), 1);
        assert_eq!(res.first_field(), "/examined_on");
        app.post_with(&path, "hongshan", &exam, &[("If-Match", "\"7\"")]).await.problem(412, "version_mismatch");
        let v = app.post(&path, "hongshan", &exam).await.expect(200);
        assert_eq!((v.body["last_updated_on"].as_str(), v.body["due"].as_bool()), (Some("2026-12-05"), Some(false)));
        assert_eq!((v.body["disability_level"].as_str(), v.body["version"].as_i64()), (Some("grade_4"), Some(2)));
        let summary: String = he::table.filter(he::record_id.eq(id)).select(he::summary).first(&mut *app.conn()).unwrap();
        assert!(!summary.contains("血压"), "{summary}");
        assert_eq!(app.get("/api/v1/health-records?due=true", "hongshan").await.expect(200).body["items"], json!([]));
        let one = app.get(&format!("/api/v1/health-records/{id}"), "hongshan").await.expect(200);
        assert_eq!(one.body["examinations"][0]["summary"], "血压偏高，建议复查");
        assert_eq!(app.audit_count("health.examination.create"), 1);

        // GUIDE 四 2(9): adjusting needs If-Match; an institution without agreement is refused.
        let path = format!("/api/v1/health-records/{id}");
        let adjust = json!({"institution_id": inst, "conditions": ["高血压"], "disability_level": "grade_4"});
        put(app, &path, "hongshan", &adjust, None).await.problem(428, "if_match_required");
        put(app, &path, "leader", &adjust, Some("\"2\"")).await.problem(403, "forbidden");
        put(app, &path, "fengchaoshan", &adjust, Some("\"2\"")).await.problem(404, "not_found");
        let res = put(app, &path, "hongshan", &json!({"institution_id": none, "conditions": [], "disability_level": "none"}), Some("\"2\"")).await.problem(422, "health_agreement_inactive");
        assert_eq!(res.fields(), vec![("/institution_id".into(), "health_agreement_inactive".into())]);
        let v = put(app, &path, "hongshan", &adjust, Some("\"2\"")).await.expect(200);
        assert_eq!((v.body["conditions"].clone(), v.body["last_updated_on"].as_str(), v.body["version"].as_i64()), (json!(["高血压"]), Some("2026-12-06"), Some(3)));

        // The feed: created and updated, dates only (the payload schema has no health field).
        let created = events(app, "health.record_created").await;
        assert_eq!(created.len(), 1);
        assert_eq!((created[0]["subject"]["id"].as_i64(), created[0]["payload"]["record_id"].as_i64()), (Some(id), Some(id)));
        assert_eq!(created[0]["payload"]["retiree"]["id"], r1);
        let updated = events(app, "health.record_updated").await;
        assert_eq!(updated.len(), 2);
        assert!(!updated.iter().any(|e| e.to_string().contains("高血压")));
    }
}
