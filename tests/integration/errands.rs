//! Tracked errands over HTTP (issue 25; JN Art. 7(5), 24; GUIDE 走访制度): opening (the senior card only at the
//! policy's age, one pending errand per person and kind, due dates only from a stated number of days), submission,
//! result and withdrawal through the status machine, the overdue and senior-card worklists, the file, the person's
//! timeline, events, the continuation opened by a transfer between districts, and every refusal: bad input (422),
//! wrong role (403), out of scope (404 or 422 on the referenced id). Also the volunteer services linked to visits
//! and activities (CS Art. 22). The test clock is 2026-12-06.

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

fn ids(body: &Value, key: &str) -> Vec<i64> {
    body["items"].as_array().unwrap().iter().map(|v| v[key].as_i64().unwrap()).collect()
}

/// A person in `community` born on `birth` (`YYYYMMDD`).
async fn person(app: &TestApp, login: &str, community: &str, birth: &str, seq: u16) -> i64 {
    let mut body = retiree_body(community, seq);
    body["id_number"] = json!(id_number(&community[..6], birth, seq));
    app.create_retiree(login, &body).await["id"].as_i64().unwrap()
}

/// The city's local rule: 3 days for a chronic-disease qualification (no text gives a number; the presets leave it
/// `not stated`).
async fn set_days(app: &TestApp) {
    let mut p = serde_json::to_value(domain::policy::presets::defaults()).unwrap();
    let dues = p["errands"]["due_days"].as_array_mut().unwrap();
    let chronic = dues.iter_mut().find(|d| d["kind"] == "chronic_disease_qualification").unwrap();
    chronic["days"] = json!({"value": 3, "source": "厦门市代办事项办理规定"});
    let mut bad = p.clone();
    bad["errands"]["due_days"][0]["days"]["value"] = json!(0);
    app.post("/api/v1/jurisdictions/3502/policies", "city", &json!({"valid_from": "2026-01-01", "parameters": bad}))
        .await
        .problem(422, "must_be_positive");
    app.post("/api/v1/jurisdictions/3502/policies", "city", &json!({"valid_from": "2026-01-01", "parameters": p}))
        .await
        .expect(201);
}

const ERRANDS: &str = "/api/v1/errands";

/// A person of 鸿山 (350203001001) moved to community `to` by a transfer the `receiving` login applies for and
/// completes; (person, transfer).
async fn move_to(app: &TestApp, to: &str, receiving: &str, seq: u16) -> (i64, i64) {
    let all = json!(["application_form", "residence_proof", "id_copy"]);
    let id = app.create_retiree("siming", &retiree_body("350203001001", seq)).await["id"].as_i64().unwrap();
    let idn = retiree_body("350203001001", seq)["id_number"].as_str().unwrap().to_owned();
    let body = json!({"id_number": idn, "to_community": to, "documents": all});
    let tid = app.post("/api/v1/transfers", receiving, &body).await.expect(201).body["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/transfers/{tid}/release"), "hongshan", &json!({})).await.expect(200);
    app.post(&format!("/api/v1/transfers/{tid}/complete"), receiving, &json!({})).await.expect(200);
    (id, tid)
}

both_backends! {
    async fn errands_open_submit_answer_worklists_jn_art_24(app: &TestApp) {
        let a = person(app, "siming", "350203001001", "19550101", 1).await;
        let young = person(app, "siming", "350203001001", "19570315", 2).await;
        let other = person(app, "huli", "350206001001", "19500101", 3).await;
        // GUIDE 走访制度: the senior-card worklist holds the 70+ without a card errand.
        let cand = app.get(&format!("{ERRANDS}/senior-card-candidates"), "hongshan").await.expect(200);
        assert_eq!(ids(&cand.body, "retiree_id"), vec![a]);
        assert_eq!(cand.body["items"][0]["age"], 71);
        set_days(app).await;

        // Open (JN Art. 24(1)): due date from the local rule's days.
        let body = json!({"retiree_id": a, "kind": "chronic_disease_qualification", "opened_on": "2026-12-01",
            "materials": ["门诊病历", "检查报告"], "notes": "高血压"});
        let res = app.post(ERRANDS, "hongshan", &body).await.expect(201);
        assert_eq!((res.body["status"].as_str(), res.body["due_on"].as_str(), res.body["jurisdiction"].as_str(), res.header("etag")),
            (Some("open"), Some("2026-12-04"), Some("350203001001"), Some("\"1\"")));
        assert_eq!(res.body["materials"], json!(["门诊病历", "检查报告"]));
        let e1 = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/errands/{e1}").as_str()));
        // No text gives days for the senior card: no due date.
        let res = app.post(ERRANDS, "hongshan", &json!({"retiree_id": a, "kind": "senior_card"})).await.expect(201);
        assert_eq!((res.body["due_on"].clone(), res.body["opened_on"].as_str()), (Value::Null, Some("2026-12-06")));
        let e2 = res.body["id"].as_i64().unwrap();
        let res = app.post(ERRANDS, "siming", &json!({"retiree_id": a, "kind": "special_drug_qualification", "jurisdiction": "350203001"})).await.expect(201);
        assert_eq!(res.body["jurisdiction"].as_str(), Some("350203001"));
        let e3 = res.body["id"].as_i64().unwrap();

        // Refusals.
        app.post(ERRANDS, "hongshan", &body).await.problem(409, "errand_open");
        let res = app.post(ERRANDS, "hongshan", &json!({"retiree_id": young, "kind": "senior_card"})).await.problem(422, "errand_below_age");
        assert_eq!(res.first_field(), "/retiree_id");
        app.post(ERRANDS, "hongshan", &json!({"retiree_id": other, "kind": "senior_card"})).await.problem(422, "retiree_not_found");
        let res = app.post(ERRANDS, "siming", &json!({"retiree_id": young, "kind": "chronic_disease_qualification", "jurisdiction": "350203001004"})).await.problem(422, "jurisdiction_not_found");
        assert_eq!(res.first_field(), "/jurisdiction");
        app.post(ERRANDS, "siming", &json!({"retiree_id": young, "kind": "chronic_disease_qualification", "jurisdiction": "350206"})).await.problem(422, "jurisdiction_not_found");
        app.post(ERRANDS, "leader", &body).await.problem(403, "forbidden");
        app.post(ERRANDS, "auditor", &body).await.problem(403, "forbidden");
        let res = app.post(ERRANDS, "hongshan", &json!({"retiree_id": young, "kind": "special_drug_qualification", "opened_on": "2026-12-07", "materials": [""]})).await.problem(422, "validation_failed");
        let fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["/materials/0".to_owned(), "/opened_on".to_owned()]);
        app.post(ERRANDS, "hongshan", &json!({"retiree_id": young, "kind": "passport"})).await.expect(422);
        assert_eq!(app.count("errands"), 3);
        assert_eq!(app.audit_count("errand.open"), 3);

        // The worklists: overdue (pending past due) and the senior card.
        let over = app.get(&format!("{ERRANDS}?overdue=true"), "siming").await.expect(200);
        assert_eq!((ids(&over.body, "id"), over.body["items"][0]["overdue"].as_bool()), (vec![e1], Some(true)));
        assert!(app.get(&format!("{ERRANDS}/senior-card-candidates"), "hongshan").await.expect(200).body["items"].as_array().unwrap().is_empty());

        // Steps through the status machine.
        let step = |id: i64, what: &str| format!("{ERRANDS}/{id}/{what}");
        let res = app.post(&step(e1, "submission"), "hongshan", &json!({"on": "2026-11-30"})).await.problem(422, "before_opened");
        assert_eq!(res.first_field(), "/on");
        app.post(&step(e1, "result"), "hongshan", &json!({"result": "approved"})).await.problem(409, "errand_wrong_status");
        app.post(&step(e1, "submission"), "huli", &json!({})).await.problem(404, "not_found");
        app.post(&step(e1, "submission"), "leader", &json!({})).await.problem(403, "forbidden");
        app.post_with(&step(e1, "submission"), "hongshan", &json!({}), &[("If-Match", "\"5\"")]).await.expect(412);
        let res = app.post_with(&step(e1, "submission"), "hongshan", &json!({"on": "2026-12-03", "materials": ["门诊病历", "检查报告", "医保卡复印件"]}), &[("If-Match", "\"1\"")]).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["submitted_on"].as_str(), res.header("etag")), (Some("submitted"), Some("2026-12-03"), Some("\"2\"")));
        assert_eq!(res.body["materials"].as_array().unwrap().len(), 3);
        // Submitted and past due: still on the worklist.
        assert_eq!(ids(&app.get(&format!("{ERRANDS}?overdue=true"), "siming").await.expect(200).body, "id"), vec![e1]);
        app.post(&step(e1, "result"), "hongshan", &json!({"result": "refused"})).await.problem(422, "reason_required");
        let res = app.post(&step(e1, "result"), "hongshan", &json!({"result": "refused", "reason": "病种不在门诊慢特病目录内"})).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["closed_on"].as_str(), res.body["overdue"].as_bool()), (Some("refused"), Some("2026-12-06"), Some(false)));
        app.post(&step(e1, "withdrawal"), "hongshan", &json!({})).await.problem(409, "errand_wrong_status");
        assert!(app.get(&format!("{ERRANDS}?overdue=true"), "siming").await.expect(200).body["items"].as_array().unwrap().is_empty());
        // A withdrawn card errand puts the person back on the card worklist; an approved one takes them off.
        app.post(&step(e2, "withdrawal"), "hongshan", &json!({"reason": "本人暂不办理"})).await.expect(200);
        assert_eq!(ids(&app.get(&format!("{ERRANDS}/senior-card-candidates"), "siming").await.expect(200).body, "retiree_id"), vec![a]);
        let e4 = app.post(ERRANDS, "hongshan", &json!({"retiree_id": a, "kind": "senior_card"})).await.expect(201).body["id"].as_i64().unwrap();
        app.post(&step(e4, "submission"), "hongshan", &json!({})).await.expect(200);
        let res = app.post(&step(e4, "result"), "hongshan", &json!({"result": "approved"})).await.expect(200);
        assert_eq!(res.body["status"].as_str(), Some("approved"));
        assert!(app.get(&format!("{ERRANDS}/senior-card-candidates"), "siming").await.expect(200).body["items"].as_array().unwrap().is_empty());
        app.get(&format!("{ERRANDS}/senior-card-candidates"), "admin").await.problem(403, "forbidden");
        assert_eq!((app.audit_count("errand.submit"), app.audit_count("errand.refuse"), app.audit_count("errand.approve"), app.audit_count("errand.withdraw")), (2, 1, 1, 1));

        // Lists and filters; the single view.
        assert_eq!(ids(&app.get(&format!("{ERRANDS}?kind=senior_card"), "siming").await.expect(200).body, "id"), vec![e2, e4]);
        assert_eq!(ids(&app.get(&format!("{ERRANDS}?status=open"), "siming").await.expect(200).body, "id"), vec![e3]);
        assert_eq!(ids(&app.get(&format!("{ERRANDS}?jurisdiction=350203001001"), "siming").await.expect(200).body, "id"), vec![e1, e2, e4]);
        assert_eq!(ids(&app.get(ERRANDS, "hongshan").await.expect(200).body, "id"), vec![e1, e2, e4]);
        assert!(app.get(ERRANDS, "huli").await.expect(200).body["items"].as_array().unwrap().is_empty());
        let page = app.get(&format!("{ERRANDS}?limit=2"), "city").await.expect(200);
        assert_eq!(ids(&page.body, "id"), vec![e1, e2]);
        let next = page.body["next_cursor"].as_str().unwrap().to_owned();
        assert_eq!(ids(&app.get(&format!("{ERRANDS}?limit=2&cursor={next}"), "city").await.expect(200).body, "id"), vec![e3, e4]);
        app.get(&format!("{ERRANDS}?kind=passport"), "siming").await.problem(422, "invalid_enum");
        app.get(&format!("{ERRANDS}?overdue=maybe"), "siming").await.problem(422, "invalid_enum");
        app.get(&format!("{ERRANDS}?jurisdiction=350206"), "siming").await.problem(422, "jurisdiction_not_found");
        app.get(ERRANDS, "admin").await.problem(403, "forbidden");
        let one = app.get(&format!("{ERRANDS}/{e1}"), "leader").await.expect(200);
        assert_eq!((one.body["reason"].as_str(), one.body["name"].as_str(), one.header("etag")), (Some("病种不在门诊慢特病目录内"), Some("张三"), Some("\"3\"")));
        app.get(&format!("{ERRANDS}/{e1}"), "huli").await.problem(404, "not_found");
        app.get(&format!("{ERRANDS}/{e3}"), "hongshan").await.problem(404, "not_found");
        assert_eq!(app.audit_count("errand.read"), 1);

        // The person's timeline shows the errand's steps.
        let tl = app.get(&format!("/api/v1/retirees/{a}/timeline?limit=500"), "siming").await.expect(200);
        let actions: Vec<&str> = tl.body["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).filter(|a| a.starts_with("errand.")).collect();
        assert_eq!(actions, vec!["errand.open", "errand.open", "errand.open", "errand.submit", "errand.refuse", "errand.withdraw", "errand.open", "errand.submit", "errand.approve"]);

        // The file with Chinese headers.
        let f = app.get("/api/v1/exports/errands?labels=zh", "siming").await.expect(200);
        assert!(f.text.contains("事项类别") && f.text.contains("门诊慢特病资格认定") && f.text.contains("未通过") && f.text.contains("病种不在门诊慢特病目录内"), "{}", f.text);
        let f = app.get("/api/v1/exports/errands?kind=senior_card", "siming").await.expect(200);
        assert_eq!(f.text.lines().count(), 3, "{}", f.text);
        let f = app.get("/api/v1/exports/errands?format=xlsx", "city").await.expect(200);
        assert_eq!(&f.bytes[..2], b"PK");
        app.get("/api/v1/exports/errands?status=done", "city").await.problem(422, "invalid_enum");
        app.get("/api/v1/exports/errands", "admin").await.problem(403, "forbidden");
        assert_eq!(app.audit_count("errand.export"), 3);

        // The feed: no materials or reasons leave the service.
        let opened = events(app, "errand.opened").await;
        assert_eq!(opened.len(), 4);
        assert_eq!((opened[0]["payload"]["due_on"].as_str(), opened[0]["payload"]["retiree"]["id"].as_i64()), (Some("2026-12-04"), Some(a)));
        let changed = events(app, "errand.changed").await;
        let steps: Vec<(&str, &str)> = changed.iter().map(|e| (e["payload"]["from_status"].as_str().unwrap(), e["payload"]["status"].as_str().unwrap())).collect();
        assert_eq!(steps, vec![("open", "submitted"), ("submitted", "refused"), ("open", "withdrawn"), ("open", "submitted"), ("submitted", "approved")]);
        assert!(!changed[1].to_string().contains("目录"));
    }

    async fn a_transfer_between_districts_opens_the_continuation_jn_art_24(app: &TestApp) {
        // Within the district (思明 → 思明): nothing to continue.
        move_to(app, "350203001004", "fengchaoshan", 30).await;
        assert_eq!(app.count("errands"), 0);
        // 思明 → 湖里: the receiving community continues the relation (JN Art. 24(1) "医保关系续接").
        let (id, tid) = move_to(app, "350206001001", "huli", 31).await;
        let list = app.get(ERRANDS, "huli").await.expect(200);
        let e = &list.body["items"][0];
        assert_eq!((e["retiree_id"].as_i64(), e["kind"].as_str(), e["jurisdiction"].as_str(), e["transfer_id"].as_i64(), e["status"].as_str(), e["opened_on"].as_str()),
            (Some(id), Some("medical_insurance_continuation"), Some("350206001001"), Some(tid), Some("open"), Some("2026-12-06")));
        assert_eq!(e["due_on"], Value::Null);
        assert!(app.get(ERRANDS, "hongshan").await.expect(200).body["items"].as_array().unwrap().is_empty());
        assert_eq!(app.count("errands"), 1);
        let opened = events(app, "errand.opened").await;
        assert_eq!((opened.len(), opened[0]["payload"]["transfer_id"].as_i64()), (1, Some(tid)));
    }

    async fn volunteer_services_linked_to_visits_and_activities_cs_art_22(app: &TestApp) {
        let r1 = app.create_retiree("siming", &retiree_body("350203001001", 1)).await["id"].as_i64().unwrap();
        let r2 = app.create_retiree("siming", &retiree_body("350203001001", 2)).await["id"].as_i64().unwrap();
        let r3 = app.create_retiree("huli", &retiree_body("350206001001", 3)).await["id"].as_i64().unwrap();
        let v1 = app.post("/api/v1/volunteers", "city", &json!({"name": "陈志华", "skills": ["陪同就医"]})).await.expect(201).body["id"].as_i64().unwrap();
        let visit = app.post("/api/v1/visits", "hongshan", &json!({"retiree_id": r1, "on_date": "2026-12-02", "worker": "王丽", "findings": "身体尚可"})).await.expect(201).body["id"].as_i64().unwrap();
        let far = app.post("/api/v1/visits", "huli", &json!({"retiree_id": r3, "on_date": "2026-12-02", "worker": "李", "findings": "独居"})).await.expect(201).body["id"].as_i64().unwrap();
        let plan = app.post("/api/v1/activity-plans", "hongshan", &json!({"year": 2026, "title": "鸿山社区2026年文体活动计划", "content": "每月一次健康讲座"})).await.expect(201).body["id"].as_i64().unwrap();
        let act = app.post("/api/v1/activities", "hongshan", &json!({"plan_id": plan, "kind": "health_education", "title": "冬季健康讲座", "held_on": "2026-12-01", "place": "鸿山社区活动室", "organiser": "鸿山社区服务站", "capacity": null})).await.expect(201).body["id"].as_i64().unwrap();
        let services = format!("/api/v1/volunteers/{v1}/services");

        // The visit link: the visit's day, person and scope.
        let res = app.post(&services, "hongshan", &json!({"served_on": "2026-12-02", "retiree_id": r1, "visit_id": visit, "what": "陪同走访", "hours": "1.5"})).await.expect(201);
        assert_eq!((res.body["visit_id"].as_i64(), res.body["activity_id"].clone()), (Some(visit), Value::Null));
        let s1 = res.body["id"].as_i64().unwrap();
        let res = app.post(&services, "hongshan", &json!({"served_on": "2026-12-03", "visit_id": visit, "what": "x", "hours": "1"})).await.problem(422, "date_mismatch");
        assert_eq!(res.first_field(), "/served_on");
        let res = app.post(&services, "hongshan", &json!({"served_on": "2026-12-02", "retiree_id": r2, "visit_id": visit, "what": "x", "hours": "1"})).await.problem(422, "visit_not_found");
        assert_eq!(res.first_field(), "/visit_id");
        app.post(&services, "hongshan", &json!({"served_on": "2026-12-02", "visit_id": far, "what": "x", "hours": "1"})).await.problem(422, "visit_not_found");
        app.post(&services, "hongshan", &json!({"served_on": "2026-12-02", "visit_id": 999_999, "what": "x", "hours": "1"})).await.problem(422, "visit_not_found");
        // The activity link: the activity's day and scope.
        let s2 = app.post(&services, "hongshan", &json!({"served_on": "2026-12-01", "activity_id": act, "what": "讲座引导", "hours": "2"})).await.expect(201).body["id"].as_i64().unwrap();
        let res = app.post(&services, "hongshan", &json!({"served_on": "2026-12-02", "activity_id": act, "what": "x", "hours": "1"})).await.problem(422, "date_mismatch");
        assert_eq!(res.first_field(), "/served_on");
        app.post(&services, "huli", &json!({"served_on": "2026-12-01", "activity_id": act, "what": "x", "hours": "1"})).await.problem(422, "not_found");
        app.post(&services, "leader", &json!({"served_on": "2026-12-01", "activity_id": act, "what": "x", "hours": "1"})).await.problem(403, "forbidden");
        assert_eq!(app.count("volunteer_services"), 2);
        let served = events(app, "volunteer.served").await;
        assert_eq!(served[0]["payload"]["visit_id"].as_i64(), Some(visit));

        // The visit's and the activity's details list them.
        let v = app.get(&format!("/api/v1/visits/{visit}"), "hongshan").await.expect(200);
        assert_eq!((v.body["findings"].as_str(), ids(&json!({"items": v.body["volunteer_services"]}), "id")), (Some("身体尚可"), vec![s1]));
        assert_eq!((v.body["volunteer_services"][0]["volunteer_name"].as_str(), v.body["volunteer_services"][0]["hours"].as_str()), (Some("陈志华"), Some("1.5")));
        let a = app.get(&format!("/api/v1/activities/{act}"), "hongshan").await.expect(200);
        assert_eq!((a.body["title"].as_str(), ids(&json!({"items": a.body["volunteer_services"]}), "id"), a.header("etag")), (Some("冬季健康讲座"), vec![s2], Some("\"1\"")));
        app.get(&format!("/api/v1/visits/{visit}"), "huli").await.problem(404, "not_found");
        app.get(&format!("/api/v1/activities/{act}"), "huli").await.problem(404, "not_found");

        // The service records' file carries 走访编号 and 活动编号.
        let f = app.get("/api/v1/exports/volunteers?list=services&labels=zh", "siming").await.expect(200);
        let lines: Vec<&str> = f.text.trim_start_matches('\u{feff}').lines().collect();
        assert!(lines[0].contains("走访编号") && lines[0].contains("活动编号"), "{}", f.text);
        assert_eq!(lines.len(), 3, "{}", f.text);
        assert!(lines[1].contains(&format!(",{visit},,")), "{}", f.text);
        app.get("/api/v1/exports/volunteers?list=visits", "siming").await.problem(422, "invalid_enum");
    }
}
