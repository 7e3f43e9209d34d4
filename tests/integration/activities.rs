//! Activities over HTTP (issue 25; XM Art. 17; CS Art. 20; JN Art. 30): a plan per node and year, activities under
//! it in its year, sign-up of retirees and dependants with the capacity held (409 `activity_full`), attendance from
//! the day held, counts per node and month, the worklist of people who attended nothing this year, the files, the
//! events, and every refusal: bad input (422), wrong role (403), out of scope (404, or 422 on a referenced plan or
//! person). The test clock is 2026-12-06.

use diesel::prelude::*;
use persistence::schema::activities as act;
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

fn activity(plan: i64, held_on: &str, capacity: Option<i32>) -> Value {
    json!({"plan_id": plan, "kind": "health_education", "title": "冬季心脑血管疾病预防讲座", "held_on": held_on,
        "place": "鸿山社区活动室", "organiser": "鸿山社区服务站", "capacity": capacity})
}

fn ids(body: &Value, key: &str) -> Vec<i64> {
    body["items"].as_array().unwrap().iter().map(|v| v[key].as_i64().unwrap()).collect()
}

both_backends! {
    async fn plans_activities_sign_up_and_attendance_cs_art_20(app: &TestApp) {
        // CS Art. 20, JN Art. 30: the community makes a plan for the year.
        let plan = json!({"year": 2026, "title": "鸿山社区2026年文体活动计划", "content": "每月一次健康讲座"});
        app.post("/api/v1/activity-plans", "leader", &plan).await.problem(403, "forbidden");
        app.post("/api/v1/activity-plans", "auditor", &plan).await.problem(403, "forbidden");
        let res = app.post("/api/v1/activity-plans", "hongshan", &plan).await.expect(201);
        let plan_id = res.body["id"].as_i64().unwrap();
        assert_eq!((res.body["jurisdiction"].as_str(), res.header("etag")), (Some("350203001001"), Some("\"1\"")));
        app.post("/api/v1/activity-plans", "hongshan", &plan).await.problem(409, "conflict");
        let res = app.post("/api/v1/activity-plans", "hongshan", &json!({"year": 1999, "title": "", "content": "x"})).await.problem(422, "validation_failed");
        let fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["/title".to_owned(), "/year".to_owned()]);
        app.post("/api/v1/activity-plans", "hongshan", &json!({"jurisdiction": "350206001001", "year": 2026, "title": "x", "content": "x"})).await.problem(422, "jurisdiction_not_found");
        assert_eq!(app.count("activity_plans"), 1);
        assert_eq!(ids(&app.get("/api/v1/activity-plans?year=2026", "siming").await.expect(200).body, "id"), vec![plan_id]);
        assert_eq!(app.get("/api/v1/activity-plans", "fengchaoshan").await.expect(200).body["items"], json!([]));

        // Activities under the plan, in its year.
        let res = app.post("/api/v1/activities", "hongshan", &activity(plan_id, "2026-12-01", Some(2))).await.expect(201);
        let a1 = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/activities/{a1}").as_str()));
        assert_eq!((res.body["places_left"].as_i64(), res.body["signed_up"].as_i64()), (Some(2), Some(0)));
        let a2 = app.post("/api/v1/activities", "hongshan", &activity(plan_id, "2026-12-20", None)).await.expect(201).body["id"].as_i64().unwrap();
        let res = app.post("/api/v1/activities", "hongshan", &activity(plan_id, "2027-01-05", None)).await.problem(422, "activity_outside_plan");
        assert_eq!(res.fields(), vec![("/held_on".into(), "activity_outside_plan".into())]);
        app.post("/api/v1/activities", "fengchaoshan", &activity(plan_id, "2026-12-01", None)).await.problem(422, "plan_not_found");
        app.post("/api/v1/activities", "leader", &activity(plan_id, "2026-12-01", None)).await.problem(403, "forbidden");
        let mut bad = activity(plan_id, "12/01", Some(0));
        bad["place"] = json!("");
        let res = app.post("/api/v1/activities", "hongshan", &bad).await.problem(422, "validation_failed");
        let fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["/capacity".to_owned(), "/held_on".to_owned(), "/place".to_owned()]);
        assert_eq!(app.count("activities"), 2);
        app.get(&format!("/api/v1/activities/{a1}"), "fengchaoshan").await.problem(404, "not_found");
        app.get(&format!("/api/v1/activities/{a1}"), "admin").await.problem(403, "forbidden");

        // Sign-up of retirees and dependants; the capacity holds (409 activity_full).
        let r1 = app.create_retiree("siming", &retiree_body("350203001001", 1)).await["id"].as_i64().unwrap();
        let r2 = app.create_retiree("siming", &retiree_body("350203001001", 2)).await["id"].as_i64().unwrap();
        let r3 = app.create_retiree("siming", &retiree_body("350203001001", 3)).await["id"].as_i64().unwrap();
        let r4 = app.create_retiree("siming", &retiree_body("350203001004", 4)).await["id"].as_i64().unwrap();
        let dep = json!({"relation": "spouse", "id_number": id_number("350203", "19600404", 12), "name": "李四", "supported": false});
        let d1 = app.post(&format!("/api/v1/retirees/{r1}/dependents"), "siming", &dep).await.expect(201).body["id"].as_i64().unwrap();
        let path = format!("/api/v1/activities/{a1}/participants");
        app.post(&path, "leader", &json!({"retiree_id": r1})).await.problem(403, "forbidden");
        let p1 = app.post(&path, "hongshan", &json!({"retiree_id": r1})).await.expect(201);
        assert_eq!((p1.body["name"].as_str(), p1.body["attended"].clone()), (Some("张三"), Value::Null));
        let p1 = p1.body["id"].as_i64().unwrap();
        app.post(&path, "hongshan", &json!({"retiree_id": r1})).await.problem(409, "conflict");
        app.post(&path, "hongshan", &json!({"retiree_id": r4})).await.problem(422, "retiree_not_found");
        app.post(&path, "hongshan", &json!({"retiree_id": r2, "dependent_id": d1})).await.problem(422, "dependent_not_found");
        let pd = app.post(&path, "hongshan", &json!({"retiree_id": r1, "dependent_id": d1})).await.expect(201);
        assert_eq!(pd.body["dependent_id"], d1);
        app.post(&path, "hongshan", &json!({"retiree_id": r2})).await.problem(409, "activity_full");
        let signed: i32 = act::table.filter(act::id.eq(a1)).select(act::signed_up).first(&mut *app.conn()).unwrap();
        assert_eq!(signed, 2);
        assert_eq!(app.count("activity_participants"), 2);
        let one = app.get(&format!("/api/v1/activities/{a1}"), "leader").await.expect(200);
        assert_eq!((one.body["places_left"].as_i64(), one.body["signed_up"].as_i64()), (Some(0), Some(2)));
        assert_eq!(app.get(&path, "leader").await.expect(200).body.as_array().unwrap().len(), 2);
        app.post(&format!("/api/v1/activities/{a2}/participants"), "hongshan", &json!({"retiree_id": r2})).await.expect(201);
        assert_eq!(app.audit_count("activity.sign_up"), 3);

        // Attendance from the day held.
        let att = format!("/api/v1/activities/{a1}/attendance");
        app.post(&att, "leader", &json!({"participant_id": p1, "attended": true})).await.problem(403, "forbidden");
        app.post(&att, "hongshan", &json!({"participant_id": 999_999, "attended": true})).await.problem(422, "not_found");
        let v = app.post(&att, "hongshan", &json!({"participant_id": p1, "attended": true})).await.expect(200);
        assert_eq!(v.body["attended"], true);
        let p2 = app.get(&format!("/api/v1/activities/{a2}/participants"), "hongshan").await.expect(200).body[0]["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/activities/{a2}/attendance"), "hongshan", &json!({"participant_id": p2, "attended": true})).await.problem(422, "activity_not_held");

        // Counts per node and month; the inactive worklist; the activity list by month and kind.
        let counts = app.get("/api/v1/activities/counts?year=2026", "siming").await.expect(200);
        assert_eq!(counts.body, json!([{"jurisdiction": "350203001001", "month": "2026-12", "activities": 2, "signed_up": 3, "attended": 1}]));
        assert_eq!(app.get("/api/v1/activities/counts?year=2025", "siming").await.expect(200).body, json!([]));
        app.get("/api/v1/activities/counts?year=abc", "siming").await.problem(422, "invalid_value");
        assert_eq!(ids(&app.get("/api/v1/activities/inactive", "hongshan").await.expect(200).body, "retiree_id"), vec![r2, r3]);
        assert_eq!(ids(&app.get("/api/v1/activities/inactive", "xiagang").await.expect(200).body, "retiree_id"), vec![r2, r3, r4]);
        assert_eq!(ids(&app.get("/api/v1/activities?year=2026&month=12", "leader").await.expect(200).body, "id"), vec![a1, a2]);
        assert_eq!(app.get("/api/v1/activities?year=2026&month=11", "leader").await.expect(200).body["items"], json!([]));
        app.get("/api/v1/activities?month=13", "leader").await.problem(422, "invalid_value");
        app.get("/api/v1/activities?kind=dance", "leader").await.problem(422, "invalid_enum");
        app.get("/api/v1/activities/inactive", "admin").await.problem(403, "forbidden");

        // Files with Chinese headers, audited.
        let f = app.get("/api/v1/exports/activities?list=counts&labels=zh", "siming").await.expect(200);
        assert!(f.text.contains("活动次数") && f.text.contains("350203001001,2026-12,2,3,1"), "{}", f.text);
        let f = app.get("/api/v1/exports/activities?labels=zh", "hongshan").await.expect(200);
        assert!(f.text.contains("活动类别") && f.text.contains("健康教育"), "{}", f.text);
        let f = app.get("/api/v1/exports/activities?list=inactive&format=xlsx", "hongshan").await.expect(200);
        assert_eq!(&f.bytes[..2], b"PK");
        app.get("/api/v1/exports/activities?list=people", "hongshan").await.problem(422, "invalid_enum");
        assert_eq!(app.audit_count("activity.export"), 3);

        // The feed.
        let signed = events(app, "activity.signed_up").await;
        assert_eq!(signed.len(), 3);
        assert_eq!((signed[1]["payload"]["dependent_id"].as_i64(), signed[1]["subject"]["id"].as_i64()), (Some(d1), Some(a1)));
        assert_eq!(signed[0]["payload"]["retiree"]["id"], r1);
        let attended = events(app, "activity.attended").await;
        assert_eq!(attended.len(), 1);
        assert_eq!(attended[0]["payload"]["attended"], true);
    }
}
