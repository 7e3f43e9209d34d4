//! Elderly care services over HTTP (issue 26; GUIDE 第二部分六): institutions with the stale-information worklist,
//! caregivers in four grades, moving a person into an institution (JN Art. 7(3)), and the ten-step request flow
//! with every refusal: an expired licence, occupied beds above the total, a caregiver below the grade required, a
//! booking in the past, an overlapping booking (409), a score off the scale, wrong status (409), wrong role (403),
//! out of scope (404). The test clock is 2026-12-06; the default policy (all not stated) keeps information current
//! 180 days, scores 1-5, needs intermediate caregivers for rehabilitation and allows every item at the person's
//! own cost only.

use diesel::prelude::*;
use persistence::schema::{care_institutions as ci, care_requests as cr, retirees};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

fn institution(verified_on: &str) -> Value {
    json!({"name": "鸿山社区养老院", "kind": "community_care_home", "address": "思明区鸿山路8号",
        "licence_no": "闽民养2026001", "licence_expires_on": "2028-06-30", "beds_total": 2, "beds_occupied": 1,
        "services": [{"item": "bathing", "price": "30.00"}, {"item": "rehabilitation", "price": "80"}],
        "contact_name": "陈院长", "contact_phone": "13800000009", "verified_via": "visit", "verified_on": verified_on})
}

async fn caregiver(app: &TestApp, grade: &str, cert: &str, items: Value) -> i64 {
    let body = json!({"name": "林秀英", "phone": "13800000001", "grade": grade, "certificate_no": cert,
        "certificate_on": "2024-05-20", "items": items, "languages": ["闽南语"], "jurisdiction": "350203001",
        "areas": ["350203001001"]});
    app.post("/api/v1/care/caregivers", "xiagang", &body).await.expect(201).body["id"].as_i64().unwrap()
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

async fn step(app: &TestApp, id: i64, what: &str, body: &Value) -> Resp {
    app.post(&format!("/api/v1/care/requests/{id}/{what}"), "hongshan", body).await
}

both_backends! {
    async fn institutions_caregivers_and_moving_in_guide_part2_6(app: &TestApp) {
        // GUIDE 第二部分六 2, 6: institutions with their qualifications, information kept current.
        let res = app.post("/api/v1/care/institutions", "hongshan", &institution("2026-12-01")).await.expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/care/institutions/{id}").as_str()));
        assert_eq!(res.header("etag"), Some("\"1\""));
        assert_eq!((res.body["jurisdiction"].as_str(), res.body["beds_free"].as_i64()), (Some("350203001001"), Some(1)));
        assert_eq!((res.body["stale"].as_bool(), res.body["current_until"].as_str()), (Some(false), Some("2027-05-30")));
        assert_eq!(res.body["services"][1], json!({"item": "rehabilitation", "price": "80.00"}));
        assert_eq!(app.audit_count("care.institution.create"), 1);
        // Bad input, every rule at once: an expired licence, more beds occupied than there are, a bad price, no
        // licence number, verified in the future.
        let mut bad = institution("2026-12-07");
        bad["licence_expires_on"] = json!("2026-12-05");
        bad["beds_occupied"] = json!(3);
        bad["services"][0]["price"] = json!("abc");
        bad["licence_no"] = Value::Null;
        let res = app.post("/api/v1/care/institutions", "hongshan", &bad).await.problem(422, "validation_failed");
        let got: Vec<String> = res.fields().into_iter().map(|(f, c)| format!("{f} {c}")).collect();
        assert!(got.contains(&"/licence_expires_on licence_expired".to_owned()), "{got:?}");
        assert!(got.contains(&"/beds_occupied beds_over_capacity".to_owned()), "{got:?}");
        assert!(got.contains(&"/licence_no required".to_owned()), "{got:?}");
        assert!(got.iter().any(|g| g.starts_with("/services/0/price ")), "{got:?}");
        assert!(got.iter().any(|g| g.starts_with("/verified_on ")), "{got:?}");
        assert_eq!(app.count("care_institutions"), 1);
        // Wrong role, out of scope.
        app.post("/api/v1/care/institutions", "leader", &institution("2026-12-01")).await.problem(403, "forbidden");
        app.post("/api/v1/care/institutions", "auditor", &institution("2026-12-01")).await.problem(403, "forbidden");
        app.get(&format!("/api/v1/care/institutions/{id}"), "fengchaoshan").await.problem(404, "not_found");
        app.get(&format!("/api/v1/care/institutions/{id}"), "auditor").await.expect(200);
        // The stale worklist: verified more than 180 days ago (policy, not stated).
        let old = app.post("/api/v1/care/institutions", "hongshan", &institution("2026-06-08")).await.expect(201);
        let old_id = old.body["id"].as_i64().unwrap();
        assert_eq!(old.body["stale"], true);
        let list = app.get("/api/v1/care/institutions?stale=true", "siming").await.expect(200);
        let ids: Vec<i64> = list.body["items"].as_array().unwrap().iter().map(|v| v["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![old_id]);
        app.get("/api/v1/care/institutions?stale=maybe", "siming").await.problem(422, "invalid_value");
        // Verifying it takes it off the worklist; it needs If-Match.
        let path = format!("/api/v1/care/institutions/{old_id}/verify");
        app.post(&path, "hongshan", &institution("2026-12-06")).await.problem(428, "if_match_required");
        let v = app.post_with(&path, "hongshan", &institution("2026-12-06"), &[("If-Match", "\"1\"")]).await.expect(200);
        assert_eq!((v.body["stale"].as_bool(), v.body["version"].as_i64()), (Some(false), Some(2)));
        assert_eq!(app.get("/api/v1/care/institutions?stale=true", "siming").await.expect(200).body["items"], json!([]));

        // GUIDE 第二部分六 5: caregivers registered with grade and certificate; a certificate number once.
        let cg = caregiver(app, "junior", "YL-1", json!(["bathing"])).await;
        let dup = json!({"name": "王", "grade": "senior", "certificate_no": "YL-1", "certificate_on": "2024-05-20", "items": ["bathing"]});
        app.post("/api/v1/care/caregivers", "xiagang", &dup).await.problem(409, "conflict");
        // The community it serves sees it (a caregiver may serve several nodes); the list leaves the phone out.
        let list = app.get("/api/v1/care/caregivers", "hongshan").await.expect(200);
        assert_eq!(list.body["items"][0]["id"], cg);
        assert_eq!(list.body["items"][0]["phone"], Value::Null);
        assert_eq!(list.body["items"][0]["areas"], json!(["350203001001"]));
        app.get(&format!("/api/v1/care/caregivers/{cg}"), "fengchaoshan").await.problem(404, "not_found");
        let one = app.get(&format!("/api/v1/care/caregivers/{cg}"), "hongshan").await.expect(200);
        assert_eq!(one.body["phone"], "13800000001");
        assert_eq!(app.audit_count("care.caregiver.read"), 1);
        // A grade change with dates; the community that only is served may not change the register (403).
        let grade = json!({"grade": "intermediate", "certificate_no": "YL-2", "from": "2026-11-30"});
        app.post_with(&format!("/api/v1/care/caregivers/{cg}/grade"), "hongshan", &grade, &[("If-Match", "\"1\"")]).await.problem(403, "forbidden");
        let g = app.post_with(&format!("/api/v1/care/caregivers/{cg}/grade"), "xiagang", &grade, &[("If-Match", "\"1\"")]).await.expect(200);
        assert_eq!(g.body["grade"], "intermediate");
        assert_eq!(g.body["grade_history"].as_array().unwrap().len(), 2);
        let t = json!({"course": "失能老人照护", "hours": 40, "completed_on": "2026-10-15"});
        let t = app.post_with(&format!("/api/v1/care/caregivers/{cg}/trainings"), "xiagang", &t, &[("If-Match", "\"2\"")]).await.expect(200);
        assert_eq!(t.body["trainings"][0]["hours"], 40);

        // JN Art. 7(3): moving into an institution makes its address the person's and certifies them at home.
        let r = app.create_retiree("siming", &retiree_body("350203001001", 1)).await["id"].as_i64().unwrap();
        let path = format!("/api/v1/retirees/{r}/care-institution");
        app.post_with(&path, "leader", &json!({"institution_id": id}), &[("If-Match", "*")]).await.problem(403, "forbidden");
        let m = app.post_with(&path, "hongshan", &json!({"institution_id": id}), &[("If-Match", "*")]).await.expect(200);
        assert_eq!((m.body["address"].as_str(), m.body["certification_barrier"].as_str()), (Some("思明区鸿山路8号"), Some("care_home")));
        assert_eq!(m.body["institution"]["beds_occupied"], 2);
        let stored: (Option<String>, Option<String>) = retirees::table
            .filter(retirees::id.eq(r))
            .select((retirees::address, retirees::certification_barrier))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!(stored, (Some("思明区鸿山路8号".into()), Some("care_home".into())));
        let beds: i32 = ci::table.filter(ci::id.eq(id)).select(ci::beds_occupied).first(&mut *app.conn()).unwrap();
        assert_eq!(beds, 2);
        // The person's view shows it; the certification barrier reads the same field.
        let person = app.get(&format!("/api/v1/retirees/{r}"), "siming").await.expect(200);
        assert_eq!(person.body["address"], "思明区鸿山路8号");
        // The institution is full now: the next person is refused.
        let r2 = app.create_retiree("siming", &retiree_body("350203001001", 2)).await["id"].as_i64().unwrap();
        let res = app.post_with(&format!("/api/v1/retirees/{r2}/care-institution"), "hongshan", &json!({"institution_id": id}), &[("If-Match", "*")]).await.problem(422, "beds_over_capacity");
        assert_eq!(res.fields(), vec![("/institution_id".into(), "beds_over_capacity".into())]);
        // An institution out of scope is not found.
        let res = app.post_with(&format!("/api/v1/retirees/{r2}/care-institution"), "hongshan", &json!({"institution_id": 999_999}), &[("If-Match", "*")]).await.problem(422, "institution_not_found");
        assert_eq!(res.fields(), vec![("/institution_id".into(), "institution_not_found".into())]);
        assert_eq!(app.audit_count("care.move_in"), 1);
        let moved = events(app, "care.moved_in").await;
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0]["payload"]["institution_id"], id);
        assert_eq!(moved[0]["subject"]["id"], r);
        // The record changed like any other edit: subscribers keeping the address see retiree.updated.
        let updated = events(app, "retiree.updated").await;
        let mine: Vec<&Value> = updated.iter().filter(|e| e["subject"]["id"] == r).collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["payload"]["changed"], json!(["address", "certification_barrier"]));
    }

    async fn the_ten_steps_and_every_refusal_guide_part2_6_4(app: &TestApp) {
        let r = app.create_retiree("siming", &retiree_body("350203001001", 3)).await["id"].as_i64().unwrap();
        let junior = caregiver(app, "junior", "YL-J", json!(["bathing"])).await;
        let inter = caregiver(app, "intermediate", "YL-I", json!(["bathing", "rehabilitation"])).await;
        // Step 3: receive.
        let body = json!({"retiree_id": r, "items": ["bathing", "rehabilitation"], "frequency": "weekly",
            "preferred_time": "周二上午", "place": "home", "cost_bearer": "self_paid"});
        app.post("/api/v1/care/requests", "leader", &body).await.problem(403, "forbidden");
        let res = app.post("/api/v1/care/requests", "hongshan", &body).await.expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!((res.body["status"].as_str(), res.body["required_grade"].as_str()), (Some("received"), Some("intermediate")));
        let bad = json!({"retiree_id": 999_999, "items": [], "frequency": "weekly", "place": "institution", "cost_bearer": "self_paid"});
        let res = app.post("/api/v1/care/requests", "hongshan", &bad).await.problem(422, "validation_failed");
        assert_eq!(res.fields(), vec![("/institution_id".into(), "required".into()), ("/items".into(), "invalid_value".into())]);
        // Booking before matching: wrong status.
        step(app, id, "book", &json!({"start": "2026-12-08T09:00", "end": "2026-12-08T11:00"})).await.problem(409, "care_wrong_status");
        // Step 7: eligibility (every item at the person's own cost).
        let e = step(app, id, "eligibility", &json!({})).await.expect(200);
        assert_eq!(e.body["status"], "eligible");
        // Step 4: candidates are those at or above the grade required who give every item.
        let c = app.get(&format!("/api/v1/care/requests/{id}/candidates"), "hongshan").await.expect(200);
        let ids: Vec<i64> = c.body.as_array().unwrap().iter().map(|v| v["caregiver_id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![inter]);
        let res = step(app, id, "match", &json!({"caregiver_id": junior})).await.problem(422, "validation_failed");
        assert_eq!(res.fields(), vec![("/caregiver_id".into(), "care_item_not_served".into()), ("/caregiver_id".into(), "caregiver_grade_too_low".into())]);
        step(app, id, "match", &json!({"caregiver_id": 999_999})).await.problem(422, "caregiver_not_found");
        assert_eq!(step(app, id, "match", &json!({"caregiver_id": inter})).await.expect(200).body["status"], "matched");
        // Steps 5-6: a booking in the past is refused; a good one books.
        let res = step(app, id, "book", &json!({"start": "2026-12-05T09:00", "end": "2026-12-05T08:00"})).await.problem(422, "validation_failed");
        assert_eq!(res.fields(), vec![("/end".into(), "slot_order".into()), ("/start".into(), "booking_in_past".into())]);
        let b = step(app, id, "book", &json!({"start": "2026-12-08T09:00", "end": "2026-12-08T11:00"})).await.expect(200);
        assert_eq!((b.body["status"].as_str(), b.body["slot_start"].as_str()), (Some("booked"), Some("2026-12-08T09:00")));
        // A second request of the same caregiver overlapping the slot: 409, nothing written.
        let b2 = json!({"retiree_id": r, "items": ["bathing"], "frequency": "once", "place": "home", "cost_bearer": "self_paid"});
        let id2 = app.post("/api/v1/care/requests", "hongshan", &b2).await.expect(201).body["id"].as_i64().unwrap();
        step(app, id2, "eligibility", &json!({})).await.expect(200);
        step(app, id2, "match", &json!({"caregiver_id": inter})).await.expect(200);
        step(app, id2, "book", &json!({"start": "2026-12-08T10:00", "end": "2026-12-08T12:00"})).await.problem(409, "care_booking_conflict");
        let st: String = cr::table.filter(cr::id.eq(id2)).select(cr::status).first(&mut *app.conn()).unwrap();
        assert_eq!(st, "matched");
        // Back to back is fine.
        step(app, id2, "book", &json!({"start": "2026-12-08T11:00", "end": "2026-12-08T12:00"})).await.expect(200);
        // Delivery (start, end, who); evaluation before it is refused.
        step(app, id, "evaluate", &json!({"score": 5, "by": "family"})).await.problem(409, "care_wrong_status");
        let d = step(app, id, "deliver", &json!({"start": "2026-12-05T09:00", "end": "2026-12-05T11:00"})).await.expect(200);
        assert_eq!((d.body["status"].as_str(), d.body["hours"].as_str(), d.body["delivered_by"].as_str()), (Some("delivered"), Some("2.00"), Some("林秀英")));
        // Step 8: spot checks; a problem needs a note.
        step(app, id, "supervise", &json!({"result": "problem"})).await.problem(422, "required");
        let s = step(app, id, "supervise", &json!({"result": "satisfactory", "note": "电话回访"})).await.expect(200);
        assert_eq!(s.body["supervisions"][0]["result"], "satisfactory");
        // Step 9: the score is on the policy's scale (1-5, not stated).
        let res = step(app, id, "evaluate", &json!({"score": 6, "by": "family"})).await.problem(422, "score_out_of_range");
        assert_eq!(res.fields(), vec![("/score".into(), "score_out_of_range".into())]);
        let ev = step(app, id, "evaluate", &json!({"score": 5, "text": "细致耐心", "by": "family"})).await.expect(200);
        assert_eq!((ev.body["status"].as_str(), ev.body["score"].as_i64()), (Some("evaluated"), Some(5)));
        step(app, id, "evaluate", &json!({"score": 4, "by": "person"})).await.problem(409, "care_wrong_status");
        let stored: (String, Option<i32>, Option<String>) = cr::table.filter(cr::id.eq(id)).select((cr::status, cr::score, cr::evaluated_by)).first(&mut *app.conn()).unwrap();
        assert_eq!(stored, ("evaluated".into(), Some(5), Some("family".into())));
        let one = app.get(&format!("/api/v1/care/caregivers/{inter}"), "hongshan").await.expect(200);
        assert_eq!((one.body["evaluations"].as_i64(), one.body["average_score"].as_str()), (Some(1), Some("5.00")));
        // Step 7 refusing: a government subsidy is not allowed for any item by the default policy.
        let b3 = json!({"retiree_id": r, "items": ["cleaning"], "frequency": "monthly", "place": "home", "cost_bearer": "government_subsidy"});
        let id3 = app.post("/api/v1/care/requests", "hongshan", &b3).await.expect(201).body["id"].as_i64().unwrap();
        let e3 = step(app, id3, "eligibility", &json!({})).await.expect(200);
        assert_eq!(e3.body["status"], "ineligible");
        assert!(e3.body["eligibility_note"].as_str().unwrap().contains("政府补贴"));
        step(app, id3, "match", &json!({"caregiver_id": inter})).await.problem(409, "care_wrong_status");
        // Cancelling an open request.
        let c2 = step(app, id2, "cancel", &json!({"reason": "本人住院"})).await.expect(200);
        assert_eq!(c2.body["status"], "cancelled");
        // Reading: audited single view; scope and role.
        app.get(&format!("/api/v1/care/requests/{id}"), "fengchaoshan").await.problem(404, "not_found");
        app.get(&format!("/api/v1/care/requests/{id}"), "leader").await.problem(403, "forbidden");
        app.get(&format!("/api/v1/care/requests/{id}"), "auditor").await.expect(200);
        assert_eq!(app.audit_count("care.request.read"), 1);
        let list = app.get("/api/v1/care/requests?status=evaluated", "siming").await.expect(200);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
        // Step 10: the monthly summary per node.
        let sum = app.get("/api/v1/care/requests/summary?month=2026-12", "siming").await.expect(200);
        let n = &sum.body[0];
        assert_eq!(n["node"], "350203001001");
        assert_eq!(n["total"], json!({"requests": 3, "delivered": 1, "hours": "2.00", "evaluated": 1, "average_score": "5.00"}));
        assert_eq!(n["by_item"]["rehabilitation"]["delivered"], 1);
        assert_eq!(n["by_item"]["bathing"]["requests"], 2);
        assert_eq!(n["by_grade"], json!({"intermediate": {"requests": 0, "delivered": 1, "hours": "2.00", "evaluated": 1, "average_score": "5.00"}}));
        app.get("/api/v1/care/requests/summary?month=2027-01", "siming").await.problem(422, "month_in_future");
        app.get("/api/v1/care/requests/summary?month=2026-12", "leader").await.problem(403, "forbidden");
        assert_eq!(app.get("/api/v1/care/requests/summary?month=2026-12", "huli").await.expect(200).body, json!([]));
        // Events on the feed.
        assert_eq!(events(app, "care.request_created").await.len(), 3);
        assert_eq!(events(app, "care.booked").await.len(), 2);
        let delivered = events(app, "care.delivered").await;
        assert_eq!(delivered[0]["payload"]["delivered_start"], "2026-12-05T09:00");
        let evaluated = events(app, "care.evaluated").await;
        assert_eq!((evaluated[0]["subject"]["type"].as_str(), evaluated[0]["payload"]["score"].as_i64()), (Some("care_request"), Some(5)));
        assert_eq!(app.audit_count("care.request.book"), 2);
    }

    async fn two_overlapping_bookings_at_once_book_one_after_the_other(app: &TestApp) {
        let r = app.create_retiree("siming", &retiree_body("350203001001", 4)).await["id"].as_i64().unwrap();
        let inter = caregiver(app, "intermediate", "YL-C", json!(["bathing"])).await;
        let mut ids = Vec::new();
        for _ in 0..2 {
            let b = json!({"retiree_id": r, "items": ["bathing"], "frequency": "once", "place": "home", "cost_bearer": "self_paid"});
            let id = app.post("/api/v1/care/requests", "hongshan", &b).await.expect(201).body["id"].as_i64().unwrap();
            step(app, id, "eligibility", &json!({})).await.expect(200);
            step(app, id, "match", &json!({"caregiver_id": inter})).await.expect(200);
            ids.push(id);
        }
        // The first booking holds its transaction open after booking; the second, sent meanwhile, must wait for it
        // and then see the clash (without the caregiver's row lock PostgreSQL lets both book).
        let path: String = persistence::schema::jurisdictions::table
            .filter(persistence::schema::jurisdictions::code.eq("350203001001"))
            .select(persistence::schema::jurisdictions::path)
            .first(&mut *app.conn())
            .unwrap();
        let account: i64 = persistence::schema::accounts::table
            .filter(persistence::schema::accounts::login.eq("hongshan"))
            .select(persistence::schema::accounts::id)
            .first(&mut *app.conn())
            .unwrap();
        let who = app::Caller {
            account_id: account,
            login: "hongshan".into(),
            kind: "user".into(),
            role: domain::Role::Community,
            jurisdiction_code: "350203001001".into(),
            scope_path: path,
            client_ip: None,
            request_id: "test".into(),
        };
        let at = |h: u8| time::PrimitiveDateTime::new(time::macros::date!(2026 - 12 - 09), time::Time::from_hms(h, 0, 0).unwrap());
        let (booked_tx, booked_rx) = std::sync::mpsc::channel();
        let pool = app.pool.clone();
        let first = ids[0];
        let holder = std::thread::spawn(move || {
            let mut conn = pool.get().unwrap();
            persistence::write_tx(&mut conn, |conn| {
                let v = app::elder_care::requests::act(conn, &who, today(), first, None,
                    app::elder_care::requests::Step::Book(at(9), at(11)))?;
                booked_tx.send(v.status.as_str().to_owned()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(700));
                Ok::<_, app::AppError>(())
            })
        });
        assert_eq!(booked_rx.recv().unwrap(), "booked");
        step(app, ids[1], "book", &json!({"start": "2026-12-09T10:00", "end": "2026-12-09T12:00"})).await.problem(409, "care_booking_conflict");
        holder.join().unwrap().unwrap();
        let st: Vec<String> = cr::table.filter(cr::id.eq_any(&ids)).order(cr::id).select(cr::status).load(&mut *app.conn()).unwrap();
        assert_eq!(st, vec!["booked".to_owned(), "matched".to_owned()]);
    }
}
