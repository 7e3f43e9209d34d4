//! Reception, petitions and letters over HTTP (issue 24; GUIDE 第三章三 接待制度): registration with its deadlines,
//! idempotency and bad input; escalation community → street → district → city, refused from the city; collective
//! petitions and emergencies escalated at once with `petition.escalated` on the change feed; handling, closing,
//! reopening and the monthly counts; deadlines in working days across the 2026 Spring Festival and National Day.
//! The test clock is 2026-12-06, a Sunday; the default policy counts calendar days for answers (GUIDE "日") and
//! one working day to acknowledge.

use diesel::prelude::*;
use persistence::schema::{accounts, petition_persons, petition_steps, petitions as pt};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

async fn person(app: &TestApp, seq: u16) -> i64 {
    app.create_retiree("siming", &retiree_body("350203001001", seq)).await["id"].as_i64().unwrap()
}

fn visit(retiree: i64) -> Value {
    json!({"channel": "visit", "category": "pension_payment", "persons": [{"retiree_id": retiree}],
        "text": "询问11月养老金为何未到账", "attachments": ["file://scans/2026/1206.pdf"]})
}

async fn register(app: &TestApp, login: &str, body: &Value) -> Value {
    app.post("/api/v1/petitions", login, body).await.expect(201).body
}

async fn escalated_events(app: &TestApp) -> Vec<Value> {
    let page = app.get("/api/v1/events?after=0&limit=500&types=petition.escalated", "platform").await.expect(200);
    let items = page.body["items"].as_array().unwrap().clone();
    for e in &items {
        app::events::check_payload(domain::events::EventType::PetitionEscalated, &e["payload"])
            .unwrap_or_else(|err| panic!("{err}: {e}"));
        assert_eq!(e["subject"]["type"], "petition");
    }
    items
}

both_backends! {
    async fn registration_sets_the_deadlines_and_checks_the_input_guide_reception(app: &TestApp) {
        // GUIDE 第三章三: "一般性政策、服务性问题…应在1-3日内给予答复或解决" — 3 calendar days (policy default);
        // acknowledgement 1 working day (not stated): Sunday 6 December → Monday 7 December.
        let r = person(app, 1).await;
        let res = app
            .post_with("/api/v1/petitions", "hongshan", &visit(r), &[("Idempotency-Key", "pt-1")])
            .await
            .expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/petitions/{id}").as_str()));
        assert_eq!(res.header("etag"), Some("\"1\""));
        let b = &res.body;
        assert_eq!((b["status"].as_str(), b["owner"].as_str(), b["origin"].as_str()), (Some("registered"), Some("350203001001"), Some("350203001001")));
        assert_eq!((b["basis"].as_str(), b["escalations"].as_i64(), b["collective"].as_bool()), (Some("general"), Some(0), Some(false)));
        assert_eq!((b["received_on"].as_str(), b["acknowledge_due"].as_str(), b["answer_due"].as_str()), (Some("2026-12-06"), Some("2026-12-07"), Some("2026-12-09")));
        assert_eq!(b["due_on"], "2026-12-07");
        assert_eq!(b["persons"][0]["retiree_id"], r);
        assert_eq!(b["attachments"], json!(["file://scans/2026/1206.pdf"]));
        assert_eq!(b["text"], "询问11月养老金为何未到账");
        // A replay answers the first case; the same key with another body is refused.
        let again = app.post_with("/api/v1/petitions", "hongshan", &visit(r), &[("Idempotency-Key", "pt-1")]).await.expect(201);
        assert_eq!(again.body["id"], id);
        let mut other = visit(r);
        other["category"] = json!("complaint");
        let res = app.post_with("/api/v1/petitions", "hongshan", &other, &[("Idempotency-Key", "pt-1")]).await.problem(422, "idempotency_key_reused");
        assert_eq!(res.first_field(), "Idempotency-Key");
        assert_eq!(app.count("petitions"), 1);
        assert_eq!(app.audit_count("petition.register"), 1);
        let stored: (String, String, i32, Option<time::Date>) = pt::table
            .select((pt::owner_code, pt::status, pt::escalations, pt::due_on))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!(stored, ("350203001001".into(), "registered".into(), 0, Some(time::macros::date!(2026 - 12 - 07))));
        assert_eq!(app.count("petition_persons"), 1);

        // Bad input, every rule at once: a letter without its received date, an agreed due date in the past,
        // fewer people than named, a person with a name but no phone, an attachment without a scheme.
        let body = json!({"channel": "letter", "category": "policy_question", "due_on": "2026-12-05", "people_count": 1,
            "persons": [{"retiree_id": r}, {"name": "王五"}], "text": "来信询问", "attachments": ["scan.pdf"]});
        let res = app.post("/api/v1/petitions", "hongshan", &body).await.problem(422, "validation_failed");
        assert_eq!(res.fields(), vec![
            ("/attachments/0".into(), "invalid_value".into()),
            ("/due_on".into(), "due_date_in_past".into()),
            ("/people_count".into(), "people_count".into()),
            ("/persons/1/phone".into(), "required".into()),
            ("/received_on".into(), "received_on_required".into()),
        ]);
        // A retiree outside the caller's subtree is named as not found.
        let huli = app.create_retiree("huli", &retiree_body("350206001001", 2)).await["id"].as_i64().unwrap();
        let res = app.post("/api/v1/petitions", "hongshan", &visit(huli)).await.problem(422, "retiree_not_found");
        assert_eq!(res.first_field(), "/persons/0/retiree_id");
        assert_eq!(app.count("petitions"), 1);

        // Wrong role: a group leader and the auditor do not register.
        app.post("/api/v1/petitions", "leader", &visit(r)).await.problem(403, "forbidden");
        app.post("/api/v1/petitions", "auditor", &visit(r)).await.problem(403, "forbidden");
        app.get(&format!("/api/v1/petitions/{id}"), "leader").await.problem(403, "forbidden");
        // Out of scope: another community, another district.
        app.get(&format!("/api/v1/petitions/{id}"), "fengchaoshan").await.problem(404, "not_found");
        app.get(&format!("/api/v1/petitions/{id}"), "huli").await.problem(404, "not_found");
        // The single view is an audited read; the auditor reads it.
        let one = app.get(&format!("/api/v1/petitions/{id}"), "auditor").await.expect(200);
        assert_eq!(one.body["text"], "询问11月养老金为何未到账");
        assert_eq!(one.body["steps"][0]["kind"], "registered");
        assert_eq!(app.audit_count("petition.read"), 1);
        // Lists hide the text.
        let list = app.get("/api/v1/petitions", "siming").await.expect(200);
        assert_eq!(list.body["items"][0]["id"], id);
        assert_eq!(list.body["items"][0]["text"], "***");
        assert_eq!(app.get("/api/v1/petitions", "fengchaoshan").await.expect(200).body["items"], json!([]));

        // The person's timeline shows the case; the text only for roles that handle or supervise petitions.
        let t = app.get(&format!("/api/v1/retirees/{r}/timeline"), "hongshan").await.expect(200);
        let entry = t.body["items"].as_array().unwrap().iter().find(|e| e["kind"] == "petition").cloned().unwrap();
        assert_eq!((entry["id"].as_i64(), entry["changes"]["text"].as_str()), (Some(id), Some("询问11月养老金为何未到账")));
        let t = app.get(&format!("/api/v1/retirees/{r}/timeline"), "leader").await.expect(200);
        let entry = t.body["items"].as_array().unwrap().iter().find(|e| e["kind"] == "petition").cloned().unwrap();
        assert_eq!(entry["changes"]["text"], "***");
    }

    async fn each_escalation_step_restarts_the_clock_and_the_city_is_the_top(app: &TestApp) {
        // GUIDE 第三章三: "本级难以答复或解决的，应及时逐级报告，一般在7-10日内给予答复" — 10 calendar days from the
        // escalation at the receiving level.
        let r = person(app, 3).await;
        let id = register(app, "hongshan", &visit(r)).await["id"].as_i64().unwrap();
        let path = format!("/api/v1/petitions/{id}/escalate");
        let res = app.post(&path, "hongshan", &json!({"note": "本级难以解决"})).await.expect(200);
        let b = &res.body;
        assert_eq!((b["owner"].as_str(), b["escalations"].as_i64(), b["status"].as_str()), (Some("350203001"), Some(1), Some("registered")));
        assert_eq!((b["basis"].as_str(), b["clock_started_on"].as_str()), (Some("escalated"), Some("2026-12-06")));
        assert_eq!((b["acknowledge_due"].as_str(), b["answer_due"].as_str(), b["due_on"].as_str()), (Some("2026-12-07"), Some("2026-12-16"), Some("2026-12-07")));
        // The community that escalated still sees the case but no longer acts on it; its neighbour does not see it.
        app.get(&format!("/api/v1/petitions/{id}"), "hongshan").await.expect(200);
        app.post(&path, "hongshan", &json!({})).await.problem(403, "forbidden");
        app.get(&format!("/api/v1/petitions/{id}"), "fengchaoshan").await.problem(404, "not_found");
        // The street's worklist "escalated to me" has it.
        let wl = app.get("/api/v1/petitions?worklist=escalated_to_me", "xiagang").await.expect(200);
        assert_eq!(wl.body["items"][0]["id"], id);
        assert_eq!(app.get("/api/v1/petitions?worklist=escalated_to_me", "siming").await.expect(200).body["items"], json!([]));
        // Street → district → city.
        let b = app.post(&path, "xiagang", &json!({})).await.expect(200).body;
        assert_eq!((b["owner"].as_str(), b["escalations"].as_i64()), (Some("350203"), Some(2)));
        let b = app.post(&path, "siming", &json!({})).await.expect(200).body;
        assert_eq!((b["owner"].as_str(), b["escalations"].as_i64()), (Some("3502"), Some(3)));
        // The street that handled it still sees it; another district never did.
        app.get(&format!("/api/v1/petitions/{id}"), "xiagang").await.expect(200);
        app.get(&format!("/api/v1/petitions/{id}"), "huli").await.problem(404, "not_found");
        // From the city: refused, nothing changes.
        app.post(&path, "city", &json!({})).await.problem(422, "petition_top_level");
        let stored: (String, i32, i64) = pt::table.select((pt::owner_code, pt::escalations, pt::version)).first(&mut *app.conn()).unwrap();
        assert_eq!(stored, ("3502".into(), 3, 4));
        let steps: Vec<(String, String)> = petition_steps::table
            .order(petition_steps::id)
            .select((petition_steps::kind, petition_steps::node_code))
            .load(&mut *app.conn())
            .unwrap();
        assert_eq!(steps, vec![
            ("registered".into(), "350203001001".into()),
            ("escalated".into(), "350203001".into()),
            ("escalated".into(), "350203".into()),
            ("escalated".into(), "3502".into()),
        ]);
        // Each step is on the change feed for the data platform, from one node to the next.
        let events = escalated_events(app).await;
        let hops: Vec<(String, String, bool)> = events
            .iter()
            .map(|e| (e["payload"]["from_node"].as_str().unwrap().to_owned(), e["payload"]["to_node"].as_str().unwrap().to_owned(), e["payload"]["immediate"].as_bool().unwrap()))
            .collect();
        assert_eq!(hops, vec![
            ("350203001001".into(), "350203001".into(), false),
            ("350203001".into(), "350203".into(), false),
            ("350203".into(), "3502".into(), false),
        ]);
        assert_eq!(events[2]["jurisdiction"], "3502");
        assert_eq!(events[2]["payload"]["retiree"]["id"], r);
        assert_eq!(app.audit_count("petition.escalated"), 3);
        // Wrong role.
        app.post(&path, "auditor", &json!({})).await.problem(403, "forbidden");
    }

    async fn collective_petitions_and_emergencies_go_up_at_once(app: &TestApp) {
        // GUIDE 第三章三: "如发生退休人员集体上访或其它特殊情况时，应立即向上一级退管机构报告".
        let r = person(app, 4).await;
        let body = json!({"channel": "visit", "category": "complaint", "people_count": 6,
            "persons": [{"retiree_id": r}, {"name": "李四", "phone": "13800138000"}], "text": "六人集体反映小区养老服务站关闭"});
        let b = register(app, "hongshan", &body).await;
        let collective = b["id"].as_i64().unwrap();
        assert_eq!((b["collective"].as_bool(), b["people_count"].as_i64()), (Some(true), Some(6)));
        assert_eq!((b["origin"].as_str(), b["owner"].as_str(), b["escalations"].as_i64()), (Some("350203001001"), Some("350203001"), Some(1)));
        assert_eq!((b["basis"].as_str(), b["answer_due"].as_str()), (Some("escalated"), Some("2026-12-16")));
        assert_eq!(b["persons"][1], json!({"retiree_id": null, "dependent_id": null, "name": "李四", "phone": "13800138000"}));
        // Four people: below the policy's 5, stays at the community.
        let mut small = body.clone();
        small["people_count"] = json!(4);
        let b = register(app, "hongshan", &small).await;
        assert_eq!((b["collective"].as_bool(), b["owner"].as_str()), (Some(false), Some("350203001001")));
        // An emergency of one person goes up too.
        let mut emergency = visit(r);
        emergency["urgency"] = json!("emergency");
        let b = register(app, "hongshan", &emergency).await;
        let urgent = b["id"].as_i64().unwrap();
        assert_eq!(b["owner"], "350203001");
        let events = escalated_events(app).await;
        let got: Vec<(i64, bool, String)> = events
            .iter()
            .map(|e| (e["payload"]["petition_id"].as_i64().unwrap(), e["payload"]["immediate"].as_bool().unwrap(), e["payload"]["to_node"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(got, vec![(collective, true, "350203001".into()), (urgent, true, "350203001".into())]);
        assert_eq!(events[0]["payload"]["people_count"], 6);
        let wl = app.get("/api/v1/petitions?worklist=escalated_to_me", "xiagang").await.expect(200);
        let ids: Vec<i64> = wl.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![collective, urgent]);
        assert_eq!(petition_persons::table.filter(petition_persons::petition_id.eq(collective)).count().get_result::<i64>(&mut *app.conn()).unwrap(), 2);
    }

    async fn handling_closing_reopening_and_the_monthly_counts(app: &TestApp) {
        let r = person(app, 5).await;
        let id = register(app, "hongshan", &visit(r)).await["id"].as_i64().unwrap();
        let base = format!("/api/v1/petitions/{id}");
        // Closing without an answer is refused.
        let res = app.post(&format!("{base}/close"), "hongshan", &json!({"outcome": "已解决", "satisfaction": "satisfied"})).await.problem(422, "petition_answer_required");
        assert_eq!(res.fields(), vec![("/answer".into(), "petition_answer_required".into())]);
        // Assign to a worker at the community; a worker elsewhere is refused.
        let hongshan: i64 = accounts::table.filter(accounts::login.eq("hongshan")).select(accounts::id).first(&mut *app.conn()).unwrap();
        let other: i64 = accounts::table.filter(accounts::login.eq("fengchaoshan")).select(accounts::id).first(&mut *app.conn()).unwrap();
        let res = app.post(&format!("{base}/assign"), "hongshan", &json!({"assignee_id": other})).await.problem(422, "assignee_not_found");
        assert_eq!(res.fields(), vec![("/assignee_id".into(), "assignee_not_found".into())]);
        let b = app.post(&format!("{base}/assign"), "hongshan", &json!({"assignee_id": hongshan})).await.expect(200).body;
        assert_eq!(b["assignee_id"], hongshan);
        // Acknowledge: the due date moves to the answer deadline.
        let b = app.post(&format!("{base}/acknowledge"), "hongshan", &json!({})).await.expect(200).body;
        assert_eq!((b["status"].as_str(), b["due_on"].as_str()), (Some("acknowledged"), Some("2026-12-09")));
        app.post(&format!("{base}/acknowledge"), "hongshan", &json!({})).await.problem(409, "petition_wrong_status");
        // A stale If-Match is refused.
        app.post_with(&format!("{base}/actions"), "hongshan", &json!({"note": "x"}), &[("If-Match", "\"1\"")]).await.problem(412, "version_mismatch");
        let b = app.post(&format!("{base}/actions"), "hongshan", &json!({"note": "已电话联系社保中心核查"})).await.expect(200).body;
        assert_eq!(b["status"], "in_progress");
        // Wrong role and out of scope.
        app.post(&format!("{base}/answer"), "auditor", &json!({"answer": "x"})).await.problem(403, "forbidden");
        app.post(&format!("{base}/answer"), "huli", &json!({"answer": "x"})).await.problem(404, "not_found");
        app.post(&format!("{base}/answer"), "hongshan", &json!({"answer": "x", "answered_on": "2026-12-07"})).await.problem(422, "date_in_future");
        let b = app.post(&format!("{base}/answer"), "hongshan", &json!({"answer": "银行账户变更，已于12月6日补发"})).await.expect(200).body;
        assert_eq!((b["status"].as_str(), b["due_on"].clone(), b["on_time"].as_bool()), (Some("answered"), Value::Null, Some(true)));
        let b = app.post(&format!("{base}/close"), "hongshan", &json!({"outcome": "已解决", "satisfaction": "satisfied"})).await.expect(200).body;
        assert_eq!((b["status"].as_str(), b["satisfaction"].as_str(), b["reopen_until"].as_str()), (Some("closed"), Some("satisfied"), Some("2027-01-05")));
        // The monthly counts: one answered on time, satisfied, at the community.
        let stats = app.get("/api/v1/petitions/stats?month=2026-12", "siming").await.expect(200).body;
        assert_eq!(stats, json!([{"node": "350203001001", "month": "2026-12", "answered": 1, "on_time": 1, "late": 0,
            "satisfied": 1, "dissatisfied": 0, "not_reached": 0, "not_asked": 0}]));
        assert_eq!(app.get("/api/v1/petitions/stats?month=2026-12", "huli").await.expect(200).body, json!([]));
        app.get("/api/v1/petitions/stats?month=2026-12", "leader").await.problem(403, "forbidden");
        app.get("/api/v1/petitions/stats?month=2027-01", "siming").await.problem(422, "month_in_future");
        // Reopened within the window: in progress again, the clock restarts today.
        let b = app.post(&format!("{base}/reopen"), "hongshan", &json!({"reason": "本人对答复不满意"})).await.expect(200).body;
        assert_eq!((b["status"].as_str(), b["answer"].clone(), b["answer_due"].as_str()), (Some("in_progress"), Value::Null, Some("2026-12-09")));
        let stored: (String, i32, Option<String>) = pt::table.select((pt::status, pt::reopened, pt::satisfaction)).first(&mut *app.conn()).unwrap();
        assert_eq!(stored, ("in_progress".into(), 1, None));
        let kinds: Vec<String> = petition_steps::table.order(petition_steps::id).select(petition_steps::kind).load(&mut *app.conn()).unwrap();
        assert_eq!(kinds, ["registered", "assigned", "acknowledged", "action", "answered", "closed", "reopened"]);
    }

    async fn deadlines_in_working_days_across_the_2026_holidays(app: &TestApp) {
        // A local rule counting working days (the GUIDE's "日" are calendar days by default).
        let mut p = app.get("/api/v1/policy-presets", "city").await.expect(200).body[0]["parameters"].clone();
        for k in ["general_answer", "escalated_answer", "major_policy_answer", "letter_answer"] {
            p["petitions"]["counting"][k] = json!({"value": "working", "source": "本市信访工作细则"});
        }
        app.post("/api/v1/jurisdictions/3502/policies", "city", &json!({"valid_from": "2026-01-01", "parameters": p})).await.expect(201);
        let r = person(app, 6).await;
        // GUIDE 第三章三: letters answered within 15 days. Received Tuesday 10 February 2026: 11-14 (14th a make-up
        // Saturday), the Spring Festival 15-23 off, 24-28 (28th a make-up Saturday), 2-6 and 9 March.
        let letter = json!({"channel": "letter", "category": "policy_question", "received_on": "2026-02-10",
            "persons": [{"retiree_id": r}], "text": "来信询问调待政策"});
        let b = register(app, "hongshan", &letter).await;
        assert_eq!((b["basis"].as_str(), b["acknowledge_due"].as_str(), b["answer_due"].as_str()), (Some("letter"), Some("2026-02-11"), Some("2026-03-09")));
        assert_eq!(b["overdue"], true);
        let letter_id = b["id"].as_i64().unwrap();
        // General question received Wednesday 30 September: 3 working days are 8, 9 and 10 October (National Day
        // and 中秋 off from 1 to 7 October; Saturday 10 October a make-up working day).
        let mut v = visit(r);
        v["received_on"] = json!("2026-09-30");
        let b = register(app, "hongshan", &v).await;
        assert_eq!((b["acknowledge_due"].as_str(), b["answer_due"].as_str()), (Some("2026-10-08"), Some("2026-10-10")));
        let visit_id = b["id"].as_i64().unwrap();
        // Both are overdue today; neither is due today.
        let wl = app.get("/api/v1/petitions?worklist=overdue", "hongshan").await.expect(200);
        let ids: Vec<i64> = wl.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![letter_id, visit_id]);
        assert_eq!(app.get("/api/v1/petitions?worklist=due_today", "hongshan").await.expect(200).body["items"], json!([]));
        let wl = app.get("/api/v1/petitions?worklist=overdue&category=policy_question", "hongshan").await.expect(200);
        assert_eq!(wl.body["items"].as_array().unwrap().len(), 1);
        app.get("/api/v1/petitions?worklist=soon", "hongshan").await.problem(422, "invalid_enum");
    }
}
