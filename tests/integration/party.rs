//! Party members' organisation relations over HTTP (issue 25; CS Art. 12(3), 24; JN Art. 21(2), 22, 29; GUIDE
//! 交接制度): branches at street and community nodes, a relation established, transferred to another branch and
//! accepted there, or transferred out; the handover's `party_transferred` step recorded with the relation; the
//! worklist (409 while the policy sets no days); organisation life with attendance; the roster file and its import.
//! Success, bad input, wrong role and out of scope on both backends. The test clock is 2026-12-06.

use diesel::prelude::*;
use persistence::schema::{handover_items as hi, handover_steps as hs, party_relations as pr};
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

/// A retiree in `community`, a party member or not; the id and the resident ID.
async fn person(app: &TestApp, community: &str, seq: u16, member: bool) -> (i64, String) {
    let mut body = retiree_body(community, seq);
    body["party_member"] = json!(member);
    let id = app.create_retiree("siming", &body).await["id"].as_i64().unwrap();
    (id, body["id_number"].as_str().unwrap().to_owned())
}

async fn branch(app: &TestApp, login: &str, name: &str, node: &str) -> i64 {
    let body = json!({"name": name, "jurisdiction": node, "founded_on": "2020-07-01", "secretary": "陈建国"});
    app.post("/api/v1/party-branches", login, &body).await.expect(201).body["id"].as_i64().unwrap()
}

fn field_codes(res: &Resp) -> Vec<(String, String)> {
    res.fields()
}

/// The city's local rule for the days (GUIDE 交接制度 says "及时" only).
async fn set_days(app: &TestApp, days: u32) {
    let mut p = serde_json::to_value(domain::policy::presets::defaults()).unwrap();
    p["party"]["relation_days"] = json!({"value": 0, "source": "厦门市退休党员组织关系接转规定"});
    let path = "/api/v1/jurisdictions/3502/policies";
    app.post(path, "city", &json!({"valid_from": "2026-01-01", "parameters": p.clone()}))
        .await
        .problem(422, "must_be_positive");
    p["party"]["relation_days"]["value"] = json!(days);
    app.post(path, "city", &json!({"valid_from": "2026-01-01", "parameters": p})).await.expect(201);
}

both_backends! {
    async fn branches_and_a_relation_that_moves_jn_art_22(app: &TestApp) {
        // CS Art. 12(3), JN Art. 29: branches of street and community party organisations.
        let res = app.post("/api/v1/party-branches", "hongshan", &json!({"name": "鸿山社区退休党员支部",
            "founded_on": "2020-07-01"})).await.expect(201);
        let b1 = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/party-branches/{b1}").as_str()));
        assert_eq!(res.header("etag"), Some("\"1\""));
        assert_eq!((res.body["jurisdiction"].as_str(), res.body["closed_on"].clone()), (Some("350203001001"), Value::Null));
        assert_eq!(app.audit_count("party.branch.create"), 1);
        let res = app.post("/api/v1/party-branches", "siming", &json!({"name": "区支部", "jurisdiction": "350203",
            "founded_on": "2020-07-01"})).await.problem(422, "party_branch_level");
        assert_eq!(field_codes(&res), vec![("/jurisdiction".into(), "party_branch_level".into())]);
        app.post("/api/v1/party-branches", "hongshan", &json!({"name": "外区", "jurisdiction": "350206001001",
            "founded_on": "2020-07-01"})).await.problem(422, "jurisdiction_not_found");
        app.post("/api/v1/party-branches", "hongshan", &json!({"name": "鸿山社区退休党员支部",
            "founded_on": "2021-07-01"})).await.problem(409, "conflict");
        let res = app.post("/api/v1/party-branches", "hongshan", &json!({"name": " ", "founded_on": "2026-12-07"}))
            .await.problem(422, "validation_failed");
        let mut fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        fields.sort();
        assert_eq!(fields, vec!["/founded_on", "/name"]);
        for login in ["leader", "city", "auditor"] {
            app.post("/api/v1/party-branches", login, &json!({"name": "x", "founded_on": "2020-07-01"})).await.problem(403, "forbidden");
        }
        assert_eq!(app.count("party_branches"), 1);
        app.get(&format!("/api/v1/party-branches/{b1}"), "fengchaoshan").await.problem(404, "not_found");
        assert_eq!(app.get(&format!("/api/v1/party-branches/{b1}"), "leader").await.expect(200).body["secretary"], Value::Null);
        let b2 = branch(app, "fengchaoshan", "蜂巢山社区退休党员支部", "350203001004").await;
        let list = app.get("/api/v1/party-branches", "siming").await.expect(200);
        assert_eq!(list.body["items"].as_array().unwrap().iter().map(|b| b["id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![b1, b2]);
        assert_eq!(app.get("/api/v1/party-branches", "hongshan").await.expect(200).body["items"].as_array().unwrap().len(), 1);

        // The relation: only party members (409), one open relation per person (409), a branch of the subtree.
        let (r1, _) = person(app, "350203001001", 1, true).await;
        let (r2, _) = person(app, "350203001001", 2, false).await;
        let path1 = format!("/api/v1/retirees/{r1}/party-relation");
        let body = json!({"branch_id": b1, "joined_on": "2026-11-20", "came_from": "厦门港务集团机关第三党支部"});
        app.post(&format!("/api/v1/retirees/{r2}/party-relation"), "hongshan", &body).await.problem(409, "not_a_party_member");
        app.post(&path1, "fengchaoshan", &body).await.problem(404, "not_found");
        app.post(&path1, "leader", &body).await.problem(403, "forbidden");
        let res = app.post(&path1, "hongshan", &json!({"branch_id": b2})).await.problem(422, "party_branch_not_found");
        assert_eq!(field_codes(&res), vec![("/branch_id".into(), "party_branch_not_found".into())]);
        let res = app.post(&path1, "hongshan", &json!({"branch_id": b1, "joined_on": "2026-12-07"})).await.problem(422, "date_in_future");
        assert_eq!(res.fields()[0].0, "/joined_on");
        assert_eq!(app.count("party_relations"), 0);
        let res = app.post(&path1, "hongshan", &body).await.expect(201);
        let rel = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/party-relations/{rel}").as_str()));
        assert_eq!((res.body["status"].as_str(), res.body["branch_id"].as_i64()), (Some("in_branch"), Some(b1)));
        assert_eq!(res.body["steps"][0]["action"], "establish");
        assert_eq!(res.body["steps"][0]["note"], "厦门港务集团机关第三党支部");
        app.post(&path1, "hongshan", &body).await.problem(409, "party_relation_open");
        assert_eq!(app.audit_count("party.relation.establish"), 1);

        // The person's history: an audited personal read; out of scope 404.
        let h = app.get(&path1, "siming").await.expect(200);
        assert_eq!((h.body["current"]["id"].as_i64(), h.body["party_member"].as_bool()), (Some(rel), Some(true)));
        assert_eq!(app.audit_count("party.relation.read"), 1);
        app.get(&path1, "huli").await.problem(404, "not_found");
        app.get(&format!("/api/v1/party-relations/{rel}"), "fengchaoshan").await.problem(404, "not_found");

        // The transfer: a receiving branch or a destination, not both, not the same branch, not before joining.
        let t = format!("/api/v1/party-relations/{rel}/transfer");
        let res = app.post(&t, "hongshan", &json!({"to_branch_id": b2, "destination": "x"})).await.problem(422, "invalid_value");
        assert_eq!(res.fields()[0].0, "/destination");
        app.post(&t, "hongshan", &json!({})).await.problem(422, "required");
        app.post(&t, "hongshan", &json!({"to_branch_id": b1})).await.problem(422, "party_same_branch");
        let res = app.post(&t, "hongshan", &json!({"to_branch_id": b2, "on": "2026-11-19"})).await.problem(422, "party_date_order");
        assert_eq!(res.fields()[0].0, "/on");
        app.post(&t, "hongshan", &json!({"to_branch_id": 999_999})).await.problem(422, "party_branch_not_found");
        app.post_with(&t, "hongshan", &json!({"to_branch_id": b2}), &[("If-Match", "\"9\"")]).await.problem(412, "version_mismatch");
        app.post(&t, "huli", &json!({"to_branch_id": b2})).await.problem(404, "not_found");
        let res = app.post_with(&t, "hongshan", &json!({"to_branch_id": b2, "on": "2026-12-01"}), &[("If-Match", "\"1\"")]).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["target_branch_id"].as_i64()), (Some("transferring"), Some(b2)));
        assert_eq!(res.header("etag"), Some("\"2\""));
        app.post(&t, "hongshan", &json!({"to_branch_id": b2})).await.problem(409, "party_relation_wrong_status");

        // The receiving branch's node sees it and accepts (JN Art. 22: "一律接收"); the sending side cannot.
        let a = format!("/api/v1/party-relations/{rel}/accept");
        assert_eq!(app.get(&format!("/api/v1/party-relations/{rel}"), "fengchaoshan").await.expect(200).body["status"], "transferring");
        app.post(&a, "hongshan", &json!({})).await.problem(409, "party_relation_wrong_status");
        app.post(&a, "huli", &json!({})).await.problem(404, "not_found");
        app.post(&a, "leader", &json!({})).await.problem(403, "forbidden");
        app.post(&a, "fengchaoshan", &json!({"on": "2026-11-30"})).await.problem(422, "party_date_order");
        let res = app.post(&a, "fengchaoshan", &json!({"on": "2026-12-03"})).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["branch_id"].as_i64(), res.body["from_branch_id"].as_i64()),
            (Some("in_branch"), Some(b2), Some(b1)));
        assert_eq!((res.body["joined_on"].as_str(), res.body["target_branch_id"].clone()), (Some("2026-12-03"), Value::Null));
        let stored: (i64, String) = pr::table.find(rel).select((pr::branch_id, pr::status)).first(&mut *app.conn()).unwrap();
        assert_eq!(stored, (b2, "in_branch".to_owned()));
        app.post(&a, "fengchaoshan", &json!({})).await.problem(409, "party_relation_wrong_status");

        // Out of the service: closed with the destination; a new relation may be established later.
        let res = app.post(&t, "fengchaoshan", &json!({"destination": "上海市浦东新区某街道党工委", "on": "2026-12-05"})).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["destination"].as_str()), (Some("left"), Some("上海市浦东新区某街道党工委")));
        let steps: Vec<&str> = res.body["steps"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
        assert_eq!(steps, vec!["establish", "transfer_to_branch", "accept", "transfer_out"]);
        app.post(&path1, "hongshan", &json!({"branch_id": b1})).await.expect(201);
        let h = app.get(&path1, "hongshan").await.expect(200);
        assert_eq!(h.body["relations"].as_array().unwrap().len(), 2);
        assert_ne!(h.body["current"]["id"].as_i64(), Some(rel));
        let evs = events(app, "party.relation_changed").await;
        let actions: Vec<&str> = evs.iter().map(|e| e["payload"]["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["establish", "transfer_to_branch", "accept", "transfer_out", "establish"]);
        assert_eq!(evs[2]["payload"]["from_status"], "transferring");
    }

    async fn party_worklist_and_the_handover_step_guide_handover(app: &TestApp) {
        // While no local rule sets the days the worklist refuses (GUIDE 交接制度 "及时"; the texts give no number).
        app.get("/api/v1/party-relations/worklist", "hongshan").await.problem(409, "party_policy_unset");
        app.get("/api/v1/party-relations/worklist", "siming_admin").await.problem(403, "forbidden");
        set_days(app, 30).await;
        let b1 = branch(app, "hongshan", "鸿山社区退休党员支部", "350203001001").await;

        // Two party members handed over and accepted; one accepted long ago (backdated), one just now.
        let items: Vec<Value> = (0..2u16).map(|i| {
            let mut r = retiree_body("350203001001", 70 + i);
            r["party_member"] = json!(true);
            json!({"retiree": r})
        }).collect();
        let body = json!({"jurisdiction": "350203", "month": "2026-12",
            "employer": {"name": "厦门港务集团有限公司", "community_code": "350203001001"}, "items": items});
        let batch = app.post("/api/v1/handover-batches", "siming", &body).await.expect(201).body;
        let b = batch["id"].as_i64().unwrap();
        let ids: Vec<i64> = batch["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
        for item in &ids {
            let base = format!("/api/v1/handover-batches/{b}/items/{item}");
            app.post(&format!("{base}/steps"), "hongshan", &json!({"step": "archive_received", "exemption": "party_committee_managed"})).await.expect(200);
            app.post(&format!("{base}/steps"), "hongshan", &json!({"step": "agreement_signed"})).await.expect(200);
            app.post(&format!("{base}/accept"), "hongshan", &json!({})).await.expect(200);
        }
        let people: Vec<Option<i64>> = hi::table.order(hi::id).select(hi::retiree_id).load(&mut *app.conn()).unwrap();
        let (late, fresh) = (people[0].unwrap(), people[1].unwrap());
        let long_ago = time::macros::datetime!(2026-10-01 02:00);
        diesel::update(hi::table.find(ids[0])).set(hi::settled_at.eq(long_ago)).execute(&mut *app.conn()).unwrap();
        // A party member registered directly, never with a relation; a non-member; one in another district.
        let (direct, _) = person(app, "350203001004", 3, true).await;
        person(app, "350203001001", 4, false).await;
        let mut other = retiree_body("350206001001", 5);
        other["party_member"] = json!(true);
        app.create_retiree("huli", &other).await;

        let res = app.get("/api/v1/party-relations/worklist", "siming").await.expect(200);
        let got: Vec<(i64, &str)> = res.body["items"].as_array().unwrap().iter()
            .map(|i| (i["retiree_id"].as_i64().unwrap(), i["reason"].as_str().unwrap())).collect();
        assert_eq!(got, vec![(late, "handover_late"), (direct, "no_relation")]);
        assert_eq!((res.body["items"][0]["handover_accepted_on"].as_str(), res.body["items"][0]["days"].as_i64()), (Some("2026-10-01"), Some(30)));
        assert_eq!(app.audit_count("party.worklist"), 1);
        // Paging by person.
        let page = app.get("/api/v1/party-relations/worklist?limit=1", "siming").await.expect(200);
        assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
        let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
        let next = app.get(&format!("/api/v1/party-relations/worklist?limit=1&cursor={cursor}"), "siming").await.expect(200);
        assert_eq!(next.body["items"][0]["retiree_id"].as_i64(), Some(direct));
        // The community sees its own only.
        let res = app.get("/api/v1/party-relations/worklist", "hongshan").await.expect(200);
        assert_eq!(res.body["items"].as_array().unwrap().len(), 1);

        // Establishing the late one's relation records the handover step in the same transaction (issue 6).
        let party_steps = |app: &TestApp| -> Vec<i64> {
            hs::table.filter(hs::step.eq("party_transferred")).order(hs::id).select(hs::item_id).load(&mut *app.conn()).unwrap()
        };
        assert!(party_steps(app).is_empty());
        app.post(&format!("/api/v1/retirees/{late}/party-relation"), "hongshan", &json!({"branch_id": b1, "joined_on": "2026-12-02"})).await.expect(201);
        assert_eq!(party_steps(app), vec![ids[0]]);
        assert_eq!(app.audit_count("handover.step"), 4 + 1);
        let shown = app.get(&format!("/api/v1/handover-batches/{b}"), "hongshan").await.expect(200);
        assert!(shown.text.contains("party_transferred"), "{}", shown.text);
        let res = app.get("/api/v1/party-relations/worklist", "siming").await.expect(200);
        assert_eq!(res.body["items"].as_array().unwrap().iter().map(|i| i["retiree_id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![direct]);
        // Recording the step by hand without a relation is still allowed (backwards compatible), and a relation
        // established afterwards adds no second step.
        let base = format!("/api/v1/handover-batches/{b}/items/{}", ids[1]);
        app.post(&format!("{base}/steps"), "hongshan", &json!({"step": "party_transferred"})).await.expect(200);
        app.post(&format!("/api/v1/retirees/{fresh}/party-relation"), "hongshan", &json!({"branch_id": b1})).await.expect(201);
        assert_eq!(party_steps(app), vec![ids[0], ids[1]]);
    }

    async fn party_organisation_life_cs_art_24_jn_art_29(app: &TestApp) {
        let b1 = branch(app, "hongshan", "鸿山社区退休党员支部", "350203001001").await;
        let (m1, _) = person(app, "350203001001", 1, true).await;
        let (m2, _) = person(app, "350203001001", 2, true).await;
        let (stranger, _) = person(app, "350203001001", 3, true).await;
        for m in [m1, m2] {
            app.post(&format!("/api/v1/retirees/{m}/party-relation"), "hongshan", &json!({"branch_id": b1})).await.expect(201);
        }
        let path = format!("/api/v1/party-branches/{b1}/meetings");
        let meeting = |attendance: Value| json!({"kind": "theme_day", "held_on": "2026-12-01",
            "topic": "学习党的二十届三中全会精神", "attendance": attendance});
        let res = app.post(&path, "hongshan", &meeting(json!([{"retiree_id": m1, "attended": true},
            {"retiree_id": m2, "attended": false}]))).await.problem(422, "reason_required");
        assert_eq!(res.fields(), vec![("/attendance/1/absence_reason".into(), "reason_required".into())]);
        let res = app.post(&path, "hongshan", &meeting(json!([{"retiree_id": m1, "attended": true},
            {"retiree_id": stranger, "attended": true}]))).await.problem(422, "not_in_branch");
        assert_eq!(res.fields(), vec![("/attendance/1/retiree_id".into(), "not_in_branch".into())]);
        let mut early = meeting(json!([]));
        early["held_on"] = json!("2019-01-01");
        app.post(&path, "hongshan", &early).await.problem(422, "party_date_order");
        let mut bad = meeting(json!([]));
        bad["kind"] = json!("banquet");
        assert_eq!(app.post(&path, "hongshan", &bad).await.status.as_u16(), 422);
        app.post(&path, "leader", &meeting(json!([]))).await.problem(403, "forbidden");
        app.post(&path, "fengchaoshan", &meeting(json!([]))).await.problem(404, "not_found");
        assert_eq!(app.count("party_meetings"), 0);
        let res = app.post(&path, "hongshan", &meeting(json!([{"retiree_id": m1, "attended": true},
            {"retiree_id": m2, "attended": false, "absence_reason": "住院治疗"}]))).await.expect(201);
        assert_eq!((res.body["attended"].as_i64(), res.body["absent"].as_i64()), (Some(1), Some(1)));
        assert_eq!((app.count("party_meetings"), app.count("party_meeting_attendance")), (1, 2));
        assert_eq!(app.audit_count("party.meeting.record"), 1);
        let evs = events(app, "party.meeting_recorded").await;
        assert_eq!((evs.len(), evs[0]["jurisdiction"].as_str()), (1, Some("350203001001")));
        let list = app.get(&path, "siming").await.expect(200);
        assert_eq!(list.body["items"][0]["attendance"][1]["absence_reason"], "住院治疗");
        assert_eq!(app.audit_count("party.meeting.list"), 1);
        app.get(&path, "fengchaoshan").await.problem(404, "not_found");
        app.get(&path, "siming_admin").await.problem(403, "forbidden");
    }

    async fn party_roster_imports_and_exports_back(app: &TestApp) {
        let b1 = branch(app, "hongshan", "鸿山社区退休党员支部", "350203001001").await;
        let (r1, id1) = person(app, "350203001001", 1, true).await;
        let (r2, _) = person(app, "350203001001", 2, true).await;
        let (r3, _) = person(app, "350203001001", 3, false).await;
        let (r4, _) = person(app, "350203001004", 4, true).await;
        let csv = format!("人员编号,公民身份号码,党支部名称,转入日期,转入来源\n\
            ,{id1},鸿山社区退休党员支部,2026-11-01,厦门港务集团机关党委\n\
            {r2},,,2026-11-02,\n\
            {r3},,鸿山社区退休党员支部,,\n\
            999999,,鸿山社区退休党员支部,,\n\
            {r4},,不存在的支部,,\n");
        let token = app.token("hongshan");
        let upload = |path: String, login_token: String, ct: &'static str, body: Vec<u8>| async move {
            app.request("POST", &path, Some(&login_token), &[("Content-Type", ct)], Some(body)).await
        };
        let base = "/api/v1/imports/party-members".to_owned();
        let res = upload(base.clone(), token.clone(), "text/csv", csv.clone().into_bytes()).await.problem(422, "validation_failed");
        assert_eq!(app.count("party_relations"), 0, "{}", res.text);
        let res = upload(format!("{base}?mode=partial"), token.clone(), "text/csv", csv.clone().into_bytes()).await.expect(200);
        assert_eq!((res.body["created"].as_i64(), res.body["rejected"].as_i64()), (Some(1), Some(4)), "{}", res.text);
        let got: Vec<(u64, String, String)> = row_errors(&res.body);
        assert_eq!(got, vec![
            (3, "branch_id".into(), "required".into()),
            (4, "row".into(), "not_a_party_member".into()),
            (5, "retiree_id".into(), "retiree_not_found".into()),
            (6, "retiree_id".into(), "retiree_not_found".into()),
        ]);
        assert_eq!(app.audit_count("party.import"), 1);
        let fixed = format!("人员编号,党支部编号\n{r2},{b1}\n");
        upload(base.clone(), token.clone(), "text/csv", fixed.into_bytes()).await.expect(200);
        let stored: Vec<(i64, Option<String>)> = pr::table.order(pr::id).select((pr::retiree_id, pr::came_from)).load(&mut *app.conn()).unwrap();
        assert_eq!(stored, vec![(r1, Some("厦门港务集团机关党委".into())), (r2, None)]);

        // The export in codes and in Chinese; out of scope, another district's export is empty.
        let res = app.get("/api/v1/exports/party-members?labels=codes", "xiagang").await.expect(200);
        assert_eq!(res.header("content-disposition"), Some("attachment; filename=\"party-members-20261206.csv\""));
        let lines: Vec<&str> = res.text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "relation_id,retiree_id,name,community,branch_id,branch,joined_on,came_from,status");
        assert!(lines[1].ends_with(&format!(",{r1},张三,350203001001,{b1},鸿山社区退休党员支部,2026-11-01,厦门港务集团机关党委,in_branch")), "{}", lines[1]);
        assert_eq!(lines.len(), 3);
        assert_eq!(app.audit_count("party.export"), 1);
        let zh = app.get("/api/v1/exports/party-members?labels=zh", "xiagang").await.expect(200);
        assert!(zh.text.contains("在本支部"), "{}", zh.text);
        let other = app.get("/api/v1/exports/party-members", "huli").await.expect(200);
        assert_eq!(other.text.trim_start_matches('\u{feff}').lines().count(), 1);
        // The exported file imports back: refused as open relations, skipped with on_conflict=skip.
        let res = upload(base.clone(), token.clone(), "text/csv", zh.bytes.clone()).await.problem(422, "validation_failed");
        assert_eq!(row_errors(&res.body).iter().map(|e| e.2.as_str()).collect::<Vec<_>>(), vec!["party_relation_open", "party_relation_open"]);
        let res = upload(format!("{base}?on_conflict=skip"), token.clone(), "text/csv", zh.bytes.clone()).await.expect(200);
        assert_eq!((res.body["skipped"].as_i64(), res.body["created"].as_i64()), (Some(2), Some(0)));
        let xlsx = app.get("/api/v1/exports/party-members?format=xlsx", "xiagang").await.expect(200);
        let res = upload(format!("{base}?on_conflict=skip"), token.clone(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.bytes.clone()).await.expect(200);
        assert_eq!(res.body["skipped"], 2);
        // Roles and parameters.
        let leader = app.token("leader");
        upload(base.clone(), leader, "text/csv", csv.clone().into_bytes()).await.problem(403, "forbidden");
        upload(format!("{base}?on_conflict=maybe"), token.clone(), "text/csv", csv.into_bytes()).await.problem(422, "invalid_enum");
        app.get("/api/v1/exports/party-members", "siming_admin").await.problem(403, "forbidden");
        assert_eq!(app.count("party_relations"), 2);
    }

    async fn a_pending_transfer_is_withdrawn_or_returned_and_stays_in_its_branch_jn_art_22(app: &TestApp) {
        let b1 = branch(app, "hongshan", "鸿山社区退休党员支部", "350203001001").await;
        let b2 = branch(app, "fengchaoshan", "蜂巢山社区退休党员支部", "350203001004").await;
        let (r1, _) = person(app, "350203001001", 1, true).await;
        let rel = app.post(&format!("/api/v1/retirees/{r1}/party-relation"), "hongshan",
            &json!({"branch_id": b1, "joined_on": "2026-11-20"})).await.expect(201).body["id"].as_i64().unwrap();
        let t = format!("/api/v1/party-relations/{rel}/transfer");
        let w = format!("/api/v1/party-relations/{rel}/withdraw");
        // Nothing pending: 409.
        app.post(&w, "hongshan", &json!({"reason": "x"})).await.problem(409, "party_relation_wrong_status");
        app.post(&t, "hongshan", &json!({"to_branch_id": b2, "on": "2026-12-01"})).await.expect(200);

        // Bad input names the field; a wrong role 403; out of sight 404; a stale version 412; nothing changes.
        let res = app.post(&w, "hongshan", &json!({"reason": " ", "on": "2026-12-07"})).await.problem(422, "validation_failed");
        let fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["/on", "/reason"]);
        let res = app.post(&w, "hongshan", &json!({"reason": "x", "on": "2026-11-30"})).await.problem(422, "party_date_order");
        assert_eq!(res.fields()[0].0, "/on");
        app.post(&w, "leader", &json!({"reason": "x"})).await.problem(403, "forbidden");
        app.post(&w, "huli", &json!({"reason": "x"})).await.problem(404, "not_found");
        app.post_with(&w, "hongshan", &json!({"reason": "x"}), &[("If-Match", "\"1\"")]).await.problem(412, "version_mismatch");
        let stored: (String, Option<i64>) = pr::table.find(rel).select((pr::status, pr::target_branch_id)).first(&mut *app.conn()).unwrap();
        assert_eq!(stored, ("transferring".to_owned(), Some(b2)));

        // The sending side withdraws: back in its branch, nothing pending, the reason kept on the step.
        let res = app.post_with(&w, "hongshan", &json!({"reason": "本人未迁居，转接撤回", "on": "2026-12-02"}), &[("If-Match", "\"2\"")]).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["branch_id"].as_i64(), res.body["target_branch_id"].clone()),
            (Some("in_branch"), Some(b1), Value::Null));
        assert_eq!((res.body["joined_on"].as_str(), res.header("etag")), (Some("2026-11-20"), Some("\"3\"")));
        let last = res.body["steps"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["action"].as_str(), last["note"].as_str(), last["on"].as_str()), (Some("withdraw"), Some("本人未迁居，转接撤回"), Some("2026-12-02")));
        let stored: (i64, String, Option<i64>) = pr::table.find(rel).select((pr::branch_id, pr::status, pr::target_branch_id)).first(&mut *app.conn()).unwrap();
        assert_eq!(stored, (b1, "in_branch".to_owned(), None));
        app.post(&format!("/api/v1/party-relations/{rel}/accept"), "fengchaoshan", &json!({})).await.problem(404, "not_found");
        assert_eq!(app.audit_count("party.relation.withdraw"), 1);

        // Transferred again, the receiving side returns it.
        app.post(&t, "hongshan", &json!({"to_branch_id": b2, "on": "2026-12-03"})).await.expect(200);
        let res = app.post(&w, "fengchaoshan", &json!({"reason": "非本支部所辖"})).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["branch_id"].as_i64()), (Some("in_branch"), Some(b1)));
        let evs = events(app, "party.relation_changed").await;
        let actions: Vec<&str> = evs.iter().map(|e| e["payload"]["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["establish", "transfer_to_branch", "withdraw", "transfer_to_branch", "withdraw"]);
        assert_eq!((evs[2]["payload"]["from_status"].as_str(), evs[2]["payload"]["status"].as_str()), (Some("transferring"), Some("in_branch")));
    }

    async fn a_branch_closes_only_when_no_relation_sits_in_it_cs_art_24(app: &TestApp) {
        let b1 = branch(app, "hongshan", "鸿山社区退休党员支部", "350203001001").await;
        let b2 = branch(app, "hongshan", "鸿山社区第二退休党员支部", "350203001001").await;
        let (r1, _) = person(app, "350203001001", 1, true).await;
        let rel = app.post(&format!("/api/v1/retirees/{r1}/party-relation"), "hongshan",
            &json!({"branch_id": b1, "joined_on": "2026-11-20"})).await.expect(201).body["id"].as_i64().unwrap();
        let c1 = format!("/api/v1/party-branches/{b1}/close");
        let c2 = format!("/api/v1/party-branches/{b2}/close");
        let reason = json!({"reason": "社区合并", "on": "2026-12-04"});

        // A member sits in it: 409; on its way to b2, both branches hold it.
        let res = app.post(&c1, "hongshan", &reason).await.problem(409, "party_branch_not_empty");
        assert!(res.body["detail"].as_str().unwrap().contains('1'), "{}", res.body);
        app.post(&format!("/api/v1/party-relations/{rel}/transfer"), "hongshan", &json!({"to_branch_id": b2, "on": "2026-12-01"})).await.expect(200);
        app.post(&c2, "hongshan", &reason).await.problem(409, "party_branch_not_empty");
        app.post(&c1, "hongshan", &reason).await.problem(409, "party_branch_not_empty");
        app.post(&format!("/api/v1/party-relations/{rel}/accept"), "hongshan", &json!({"on": "2026-12-02"})).await.expect(200);

        // Bad input names the field; wrong role 403; out of sight 404; stale 412; nothing changes.
        let res = app.post(&c1, "hongshan", &json!({"reason": "", "on": "2026-12-07"})).await.problem(422, "validation_failed");
        let fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["/on", "/reason"]);
        let res = app.post(&c1, "hongshan", &json!({"reason": "x", "on": "2020-06-30"})).await.problem(422, "party_date_order");
        assert_eq!(res.fields()[0].0, "/on");
        app.post(&c1, "leader", &reason).await.problem(403, "forbidden");
        app.post(&c1, "huli", &reason).await.problem(404, "not_found");
        app.post_with(&c1, "hongshan", &reason, &[("If-Match", "\"7\"")]).await.problem(412, "version_mismatch");
        assert_eq!(app.count("party_branches"), 2);
        let open: i64 = diesel::QueryDsl::count(persistence::schema::party_branches::table.filter(persistence::schema::party_branches::closed_on.is_null())).get_result(&mut *app.conn()).unwrap();
        assert_eq!(open, 2);

        // Empty now: closed, versioned, audited; a second close 409; it takes no new relation or transfer.
        let res = app.post_with(&c1, "hongshan", &reason, &[("If-Match", "\"1\"")]).await.expect(200);
        assert_eq!((res.body["closed_on"].as_str(), res.header("etag")), (Some("2026-12-04"), Some("\"2\"")));
        assert_eq!(app.audit_count("party.branch.close"), 1);
        app.post(&c1, "hongshan", &reason).await.problem(409, "party_branch_closed");
        app.post(&format!("/api/v1/party-relations/{rel}/transfer"), "hongshan", &json!({"to_branch_id": b1})).await.problem(422, "party_branch_not_found");
        assert_eq!(app.get(&format!("/api/v1/party-branches/{b1}"), "siming").await.expect(200).body["closed_on"], "2026-12-04");
    }
}
