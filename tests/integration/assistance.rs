//! Assistance referral over HTTP (issue 25 part 4; JN Art. 7(8); GUIDE 走访制度): a person in hardship referred to
//! civil affairs for 低保 or 特困, linked to the visit that found it (validated: this person's, in scope), civil
//! affairs' answers through the status machine, the worklist of open referrals, the file, events, and every
//! refusal: bad input (422), wrong role (403), out of scope (404 or 422 on the referenced id). The test clock is
//! 2026-12-06.

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

fn ids(body: &Value) -> Vec<i64> {
    body["items"].as_array().unwrap().iter().map(|v| v["id"].as_i64().unwrap()).collect()
}

const REFS: &str = "/api/v1/assistance-referrals";

both_backends! {
    async fn assistance_referral_from_visit_to_grant_jn_art_7_8(app: &TestApp) {
        let a = app.create_retiree("siming", &retiree_body("350203001001", 1)).await["id"].as_i64().unwrap();
        let b = app.create_retiree("siming", &retiree_body("350203001004", 2)).await["id"].as_i64().unwrap();
        let other = app.create_retiree("huli", &retiree_body("350206001001", 3)).await["id"].as_i64().unwrap();
        // GUIDE 走访制度: the visit finds the hardship.
        let visit = app.post("/api/v1/visits", "hongshan", &json!({"retiree_id": a, "on_date": "2026-12-01",
            "worker": "王丽", "findings": "老伴重病住院，家庭困难"})).await.expect(201).body["id"].as_i64().unwrap();
        let visit_b = app.post("/api/v1/visits", "fengchaoshan", &json!({"retiree_id": b, "on_date": "2026-12-01",
            "worker": "李", "findings": "独居"})).await.expect(201).body["id"].as_i64().unwrap();

        // Refer (JN Art. 7(8)).
        let body = json!({"retiree_id": a, "kind": "minimum_living", "visit_id": visit, "hardship": "家庭人均收入低于低保标准"});
        let res = app.post(REFS, "hongshan", &body).await.expect(201);
        assert_eq!((res.body["status"].as_str(), res.body["referred_on"].as_str(), res.body["visit_id"].as_i64(), res.header("etag")),
            (Some("referred"), Some("2026-12-06"), Some(visit), Some("\"1\"")));
        let r1 = res.body["id"].as_i64().unwrap();
        let r2 = app.post(REFS, "xiagang", &json!({"retiree_id": b, "kind": "extreme_poverty", "referred_on": "2026-12-02", "hardship": "无劳动能力、无生活来源"})).await.expect(201).body["id"].as_i64().unwrap();
        // Refusals: the same kind open, a visit of another person, an absent visit, out of scope, wrong role, bad input.
        app.post(REFS, "hongshan", &body).await.problem(409, "referral_open");
        let mut wrong_visit = body.clone();
        wrong_visit["kind"] = json!("extreme_poverty");
        wrong_visit["visit_id"] = json!(visit_b);
        let res = app.post(REFS, "xiagang", &wrong_visit).await.problem(422, "visit_not_found");
        assert_eq!(res.first_field(), "/visit_id");
        wrong_visit["visit_id"] = json!(999_999);
        app.post(REFS, "xiagang", &wrong_visit).await.problem(422, "visit_not_found");
        app.post(REFS, "siming", &json!({"retiree_id": other, "kind": "minimum_living", "hardship": "x"})).await.problem(422, "retiree_not_found");
        app.post(REFS, "leader", &body).await.problem(403, "forbidden");
        app.post(REFS, "auditor", &body).await.problem(403, "forbidden");
        let res = app.post(REFS, "hongshan", &json!({"retiree_id": a, "kind": "minimum_living", "referred_on": "2026-12-07", "hardship": ""})).await.problem(422, "validation_failed");
        let fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["/hardship".to_owned(), "/referred_on".to_owned()]);
        app.post(REFS, "hongshan", &json!({"retiree_id": a, "kind": "dibao", "hardship": "x"})).await.expect(422);
        assert_eq!(app.count("assistance_referrals"), 2);
        assert_eq!(app.audit_count("assistance.refer"), 2);

        // Civil affairs' answers through the status machine.
        let ans = |id: i64| format!("{REFS}/{id}/answers");
        app.post(&ans(r1), "hongshan", &json!({"action": "grant", "granted_from": "2026-12-01"})).await.problem(409, "referral_wrong_status");
        app.post(&ans(r1), "huli", &json!({"action": "accept"})).await.problem(404, "not_found");
        app.post(&ans(r1), "leader", &json!({"action": "accept"})).await.problem(403, "forbidden");
        app.post_with(&ans(r1), "hongshan", &json!({"action": "accept"}), &[("If-Match", "\"5\"")]).await.expect(412);
        let res = app.post_with(&ans(r1), "hongshan", &json!({"action": "accept", "on": "2026-12-04"}), &[("If-Match", "\"1\"")]).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["answered_on"].as_str(), res.header("etag")), (Some("accepted"), Some("2026-12-04"), Some("\"2\"")));
        app.post(&ans(r1), "hongshan", &json!({"action": "grant"})).await.problem(422, "required");
        app.post(&ans(r1), "hongshan", &json!({"action": "accept", "granted_from": "2026-12-01"})).await.problem(422, "invalid_value");
        let res = app.post(&ans(r1), "hongshan", &json!({"action": "grant", "granted_from": "2026-12-01"})).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["granted_from"].as_str()), (Some("granted"), Some("2026-12-01")));
        app.post(&ans(r1), "hongshan", &json!({"action": "refuse", "note": "x"})).await.problem(409, "referral_wrong_status");
        app.post(&ans(r2), "xiagang", &json!({"action": "refuse"})).await.problem(422, "reason_required");
        let res = app.post(&ans(r2), "xiagang", &json!({"action": "refuse", "note": "有法定赡养人且具备赡养能力"})).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["note"].as_str()), (Some("refused"), Some("有法定赡养人且具备赡养能力")));
        assert_eq!(app.audit_count("assistance.answer"), 3);
        // A closed referral lets a new one of the kind be filed.
        let r3 = app.post(REFS, "xiagang", &json!({"retiree_id": b, "kind": "extreme_poverty", "hardship": "情况变化，再次转介"})).await.expect(201).body["id"].as_i64().unwrap();

        // The worklist and the lists; the single view.
        assert_eq!(ids(&app.get(&format!("{REFS}?open=true"), "siming").await.expect(200).body), vec![r3]);
        assert_eq!(ids(&app.get(&format!("{REFS}?status=granted"), "siming").await.expect(200).body), vec![r1]);
        assert_eq!(ids(&app.get(REFS, "hongshan").await.expect(200).body), vec![r1]);
        assert_eq!(ids(&app.get(REFS, "huli").await.expect(200).body), Vec::<i64>::new());
        let page = app.get(&format!("{REFS}?limit=2"), "city").await.expect(200);
        assert_eq!(ids(&page.body), vec![r1, r2]);
        let next = page.body["next_cursor"].as_str().unwrap().to_owned();
        assert_eq!(ids(&app.get(&format!("{REFS}?limit=2&cursor={next}"), "city").await.expect(200).body), vec![r3]);
        app.get(&format!("{REFS}?status=open"), "siming").await.problem(422, "invalid_enum");
        app.get(REFS, "admin").await.problem(403, "forbidden");
        let one = app.get(&format!("{REFS}/{r1}"), "leader").await.expect(200);
        assert_eq!((one.body["hardship"].as_str(), one.header("etag")), (Some("家庭人均收入低于低保标准"), Some("\"3\"")));
        app.get(&format!("{REFS}/{r1}"), "huli").await.problem(404, "not_found");
        assert_eq!(app.audit_count("assistance.read"), 1);
        assert_eq!(app.audit_count("assistance.list"), 6);

        // The file with Chinese headers.
        let f = app.get("/api/v1/exports/assistance-referrals?labels=zh", "siming").await.expect(200);
        assert!(f.text.contains("救助类别") && f.text.contains("最低生活保障（低保）") && f.text.contains("已获救助"), "{}", f.text);
        let f = app.get("/api/v1/exports/assistance-referrals?open=true&format=xlsx", "city").await.expect(200);
        assert_eq!(&f.bytes[..2], b"PK");
        app.get("/api/v1/exports/assistance-referrals?open=maybe", "city").await.problem(422, "invalid_enum");
        app.get("/api/v1/exports/assistance-referrals", "admin").await.problem(403, "forbidden");
        assert_eq!(app.audit_count("assistance.export"), 2);

        // The feed: no hardship text leaves the service.
        let referred = events(app, "assistance.referred").await;
        assert_eq!(referred.len(), 3);
        assert_eq!((referred[0]["payload"]["visit_id"].as_i64(), referred[0]["payload"]["retiree"]["id"].as_i64()), (Some(visit), Some(a)));
        let changed = events(app, "assistance.changed").await;
        let steps: Vec<(&str, &str)> = changed.iter().map(|e| (e["payload"]["from_status"].as_str().unwrap(), e["payload"]["status"].as_str().unwrap())).collect();
        assert_eq!(steps, vec![("referred", "accepted"), ("accepted", "granted"), ("referred", "refused")]);
        assert!(!changed[1].to_string().contains("低保标准"));
    }
}
