//! Handover of new retirees, transfers, reductions, visit tasks and the monthly movement report (issue 6; GUIDE
//! 交接制度; JN Art. 4, 21, 22), on both backends.

use diesel::prelude::*;
use persistence::schema::{retirees, roster_movements, visit_tasks};
use serde_json::{Value, json};
use time::Date;

use crate::both_backends;
use crate::helpers::*;

fn today() -> Date {
    crate::helpers::today()
}

fn this_month() -> String {
    let t = today();
    format!("{:04}-{:02}", t.year(), u8::from(t.month()))
}

/// A new retiree of a batch, living in `community`.
fn item(community: &str, seq: u16, party: bool) -> Value {
    let mut r = retiree_body(community, seq);
    r["party_member"] = json!(party);
    json!({"retiree": r})
}

/// (community, closing) of every row of a movement report, and the total's closing, checking every row balances
/// and the total is the sum of the rows.
fn check_report(body: &Value) -> (Vec<(String, i64)>, i64) {
    let keys =
        ["opening", "registered", "received", "transferred_in", "transferred_out", "reduced", "reinstated", "closing"];
    let mut sums = [0_i64; 8];
    let mut rows = Vec::new();
    for r in body["rows"].as_array().unwrap() {
        let v: Vec<i64> = keys.iter().map(|k| r[*k].as_i64().unwrap()).collect();
        assert_eq!(v[0] + v[1] + v[2] + v[3] + v[6] - v[4] - v[5], v[7], "row balances: {r}");
        for (s, x) in sums.iter_mut().zip(&v) {
            *s += x;
        }
        rows.push((r["code"].as_str().unwrap().to_owned(), v[7]));
    }
    let total: Vec<i64> = keys.iter().map(|k| body["total"][*k].as_i64().unwrap()).collect();
    assert_eq!(total, sums.to_vec(), "the total is the sum of the rows");
    (rows, total[7])
}

both_backends! {
    async fn a_batch_of_ten_with_one_returned_closes_with_nine_active(app: &TestApp) {
        // GUIDE 交接制度, JN Art. 21: routed by residence; residence outside the node → the employer's community.
        let mut items: Vec<Value> = (1..=8).map(|i| item("350203001001", i, i == 1)).collect();
        items.push(item("350206001001", 9, false)); // lives in 湖里: outside 思明 → the employer's community
        let mut overridden = item("350203001001", 10, false);
        overridden["override_community"] = json!("350203001004");
        items.push(overridden.clone());
        let body = json!({"jurisdiction": "350203", "month": this_month(),
            "employer": {"name": "厦门港务集团有限公司", "community_code": "350203001004"}, "items": items});
        // An override needs a reason; a bad item names its index; nothing is written.
        let res = app.post("/api/v1/handover-batches", "siming", &body).await.problem(422, "reason_required");
        assert_eq!(res.body["errors"][0]["field"], "/items/9/override_reason");
        let mut bad = body.clone();
        bad["items"][3]["retiree"]["id_number"] = json!("350203195501010010");
        let res = app.post("/api/v1/handover-batches", "siming", &bad).await;
        assert_eq!(res.status.as_u16(), 422, "{}", res.text);
        assert!(res.body["errors"].as_array().unwrap().iter().any(|e| e["field"] == "/items/3/retiree/id_number"), "{}", res.text);
        app.post("/api/v1/handover-batches", "hongshan", &body).await.problem(403, "forbidden");
        assert_eq!(app.count("handover_batches"), 0);
        let mut body = body;
        body["items"][9]["override_reason"] = json!("本人申请，随子女居住");
        let res = app.post("/api/v1/handover-batches", "siming", &body).await.expect(201);
        let batch = res.body["id"].as_i64().unwrap();
        let items = res.body["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 10);
        assert_eq!((items[0]["routing"].as_str(), items[0]["community_code"].as_str()), (Some("residence"), Some("350203001001")));
        assert_eq!((items[8]["routing"].as_str(), items[8]["community_code"].as_str()), (Some("employer"), Some("350203001004")));
        assert_eq!((items[9]["routing"].as_str(), items[9]["community_code"].as_str()), (Some("override"), Some("350203001004")));
        assert_eq!(res.body["progress"], json!({"items": 10, "pending": 10, "accepted": 0, "returned": 0}));
        assert_eq!(app.count("retirees"), 0, "nobody is registered before acceptance");
        let base = format!("/api/v1/handover-batches/{batch}/items");
        // Steps: party relationship only for party members; archive needs volumes or an exemption.
        let first = items[0]["id"].as_i64().unwrap();
        let second = items[1]["id"].as_i64().unwrap();
        app.post(&format!("{base}/{second}/steps"), "hongshan", &json!({"step": "party_transferred"})).await.problem(409, "not_a_party_member");
        app.post(&format!("{base}/{first}/steps"), "hongshan", &json!({"step": "archive_received"})).await.problem(422, "required_for_step");
        app.post(&format!("{base}/{first}/steps"), "hongshan", &json!({"step": "archive_received", "volumes": 3, "complete": true})).await.expect(200);
        app.post(&format!("{base}/{first}/steps"), "hongshan", &json!({"step": "party_transferred"})).await.expect(200);
        app.post(&format!("{base}/{second}/steps"), "hongshan", &json!({"step": "archive_received", "exemption": "party_committee_managed"})).await.expect(200);
        // Another district's community cannot touch the items.
        app.post(&format!("{base}/{first}/accept"), "huli", &json!({})).await.problem(404, "not_found");
        // One returned, nine accepted by the receiving communities.
        let returned = items[4]["id"].as_i64().unwrap();
        app.post(&format!("{base}/{returned}/return"), "hongshan", &json!({"reason": ""})).await.problem(422, "length");
        app.post(&format!("{base}/{returned}/return"), "hongshan", &json!({"reason": "档案缺少退休审批表"})).await.expect(200);
        let mut last = Value::Null;
        for (i, it) in items.iter().enumerate() {
            let id = it["id"].as_i64().unwrap();
            if id == returned {
                continue;
            }
            let login = if i >= 8 { "fengchaoshan" } else { "hongshan" };
            // Issue 19.12: the archive (or its exemption) and the agreement come before the acceptance.
            if i >= 2 {
                app.post(&format!("{base}/{id}/steps"), login, &json!({"step": "archive_received", "volumes": 2, "complete": true})).await.expect(200);
            }
            app.post(&format!("{base}/{id}/steps"), login, &json!({"step": "agreement_signed"})).await.expect(200);
            last = app.post(&format!("{base}/{id}/accept"), login, &json!({})).await.expect(200).body;
        }
        app.post(&format!("{base}/{first}/accept"), "hongshan", &json!({})).await.problem(409, "item_settled");
        assert_eq!(last["status"], "closed");
        assert_eq!(last["progress"], json!({"items": 10, "pending": 0, "accepted": 9, "returned": 1}));
        let in_community = |code: &'static str| -> i64 {
            retirees::table.filter(retirees::community_code.eq(code)).filter(retirees::on_roll.eq(true)).count().get_result(&mut *app.conn()).unwrap()
        };
        assert_eq!((in_community("350203001001"), in_community("350203001004")), (7, 2));
        // The report counts them as received this month, in the right communities.
        let rep = app.get(&format!("/api/v1/reports/movements?jurisdiction=350203001&month={}", this_month()), "siming").await.expect(200);
        let (rows, total) = check_report(&rep.body);
        assert_eq!(total, 9);
        assert!(rows.contains(&("350203001001".to_owned(), 7)) && rows.contains(&("350203001004".to_owned(), 2)), "{rows:?}");
        let received: i64 = roster_movements::table.filter(roster_movements::kind.eq("received")).count().get_result(&mut *app.conn()).unwrap();
        assert_eq!(received, 9);
        // GUIDE 走访制度: each new arrival has a first visit due by the end of the month of arrival.
        let due: Vec<Date> = visit_tasks::table.select(visit_tasks::due_on).load(&mut *app.conn()).unwrap();
        assert_eq!(due.len(), 9);
        assert!(due.iter().all(|d| *d == domain::movement::month_end(today())));
        let tasks = app.get("/api/v1/visit-tasks?status=open", "hongshan").await.expect(200);
        assert_eq!(tasks.body["items"].as_array().unwrap().len(), 7);
        // The first-visit step closes the person's task.
        app.post(&format!("{base}/{first}/steps"), "hongshan", &json!({"step": "first_visit", "note": "已发放联系卡"})).await.expect(200);
        let tasks = app.get("/api/v1/visit-tasks?status=open", "hongshan").await.expect(200);
        assert_eq!(tasks.body["items"].as_array().unwrap().len(), 6);
        app.get("/api/v1/visit-tasks?status=late", "hongshan").await.problem(422, "invalid_enum");
    }

    async fn a_complete_application_cannot_be_refused_and_a_transfer_moves_between_districts(app: &TestApp) {
        let created = app.create_retiree("siming", &retiree_body("350203001001", 20)).await;
        let id = created["id"].as_i64().unwrap();
        let idn = retiree_body("350203001001", 20)["id_number"].as_str().unwrap().to_owned();
        let all = json!(["application_form", "residence_proof", "id_copy"]);
        // The retiree applies at the receiving community in 湖里 (a district user acts for it here).
        app.post("/api/v1/transfers", "huli", &json!({"id_number": idn, "to_community": "350203001004", "documents": all})).await.problem(422, "jurisdiction_not_found");
        let res = app.post("/api/v1/transfers", "huli", &json!({"id_number": idn, "to_community": "350206001001", "documents": ["application_form"]})).await.expect(201);
        let tid = res.body["id"].as_i64().unwrap();
        assert_eq!(res.body["missing_documents"], json!(["residence_proof", "id_copy"]));
        // A third community (in 思明, neither side) does not see it; the sending community does.
        app.get(&format!("/api/v1/transfers/{tid}"), "fengchaoshan").await.problem(404, "not_found");
        app.post(&format!("/api/v1/transfers/{tid}/return"), "fengchaoshan", &json!({"missing": ["id_copy"]})).await.problem(404, "not_found");
        app.get(&format!("/api/v1/transfers/{tid}"), "hongshan").await.expect(200);
        assert_eq!(app.audit_count("transfer.read"), 1);
        // Incomplete: the sender cannot release yet; the receiver may return it for what is missing only.
        app.post(&format!("/api/v1/transfers/{tid}/release"), "hongshan", &json!({})).await.problem(409, "transfer_incomplete");
        app.post(&format!("/api/v1/transfers/{tid}/return"), "huli", &json!({"missing": ["application_form"]})).await.problem(409, "transfer_cannot_be_refused");
        app.post(&format!("/api/v1/transfers/{tid}/return"), "hongshan", &json!({"missing": ["id_copy"]})).await.problem(403, "forbidden");
        app.post(&format!("/api/v1/transfers/{tid}/return"), "huli", &json!({"missing": ["residence_proof", "id_copy"]})).await.expect(200);
        let res = app.post(&format!("/api/v1/transfers/{tid}/resubmit"), "huli", &json!({"documents": all})).await.expect(200);
        assert_eq!(res.body["status"], "applied");
        // JN Art. 22: a complete application cannot be refused.
        let res = app.post(&format!("/api/v1/transfers/{tid}/return"), "huli", &json!({"missing": ["id_copy"]})).await.problem(409, "transfer_cannot_be_refused");
        assert!(res.body["detail"].as_str().unwrap().contains("不得推诿"));
        app.post(&format!("/api/v1/transfers/{tid}/complete"), "huli", &json!({})).await.problem(409, "transfer_wrong_status");
        app.post(&format!("/api/v1/transfers/{tid}/release"), "huli", &json!({})).await.problem(403, "forbidden");
        app.post(&format!("/api/v1/transfers/{tid}/release"), "hongshan", &json!({})).await.expect(200);
        let res = app.post(&format!("/api/v1/transfers/{tid}/complete"), "huli", &json!({})).await.expect(200);
        assert_eq!(res.body["status"], "completed");
        let steps: Vec<&str> = res.body["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
        assert_eq!(steps, ["applied", "returned", "resubmitted", "released", "archive_moved", "completed"]);
        let now: String = retirees::table.find(id).select(retirees::community_code).first(&mut *app.conn()).unwrap();
        assert_eq!(now, "350206001001");
        // Now 思明 no longer sees the person; 湖里 does.
        app.get(&format!("/api/v1/retirees/{id}"), "siming").await.problem(404, "not_found");
        app.get(&format!("/api/v1/retirees/{id}"), "huli").await.expect(200);
        // Both districts' reports balance: 思明 one out, 湖里 one in.
        let month = this_month();
        let siming = app.get(&format!("/api/v1/reports/movements?jurisdiction=350203&month={month}"), "siming").await.expect(200);
        let (_, closing) = check_report(&siming.body);
        assert_eq!((siming.body["total"]["registered"].as_i64(), siming.body["total"]["transferred_out"].as_i64(), closing), (Some(1), Some(1), 0));
        let huli = app.get(&format!("/api/v1/reports/movements?jurisdiction=350206&month={month}"), "huli").await.expect(200);
        let (_, closing) = check_report(&huli.body);
        assert_eq!((huli.body["total"]["transferred_in"].as_i64(), closing), (Some(1), 1));
        // The city's report is the sum of its districts and balances too.
        let city = app.get(&format!("/api/v1/reports/movements?jurisdiction=3502&month={month}"), "city").await.expect(200);
        let (rows, closing) = check_report(&city.body);
        assert_eq!(closing, 1);
        assert!(rows.contains(&("350206".to_owned(), 1)) && rows.contains(&("350203".to_owned(), 0)));
        // The new community owes a first visit.
        let tasks = app.get("/api/v1/visit-tasks?jurisdiction=350206", "huli").await.expect(200);
        assert_eq!(tasks.body["items"][0]["retiree_id"], id);
        app.get(&format!("/api/v1/reports/movements?jurisdiction=350206&month={month}"), "siming").await.problem(422, "jurisdiction_not_found");
        app.get("/api/v1/reports/movements?month=2026-13", "siming").await.problem(422, "invalid_month");
    }

    async fn moving_out_of_the_city_and_reductions_leave_the_rolls(app: &TestApp) {
        let a = app.create_retiree("siming", &retiree_body("350203001001", 30)).await["id"].as_i64().unwrap();
        let b = app.create_retiree("siming", &retiree_body("350203001001", 31)).await["id"].as_i64().unwrap();
        // Out of the city: registered and completed by the sending side; pension transferred out, remote
        // certification.
        let res = app.post("/api/v1/transfers", "hongshan", &json!({"retiree_id": a, "destination": "福州市鼓楼区", "documents": []})).await.expect(201);
        let tid = res.body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/transfers/{tid}/release"), "hongshan", &json!({})).await.expect(200);
        app.post(&format!("/api/v1/transfers/{tid}/complete"), "hongshan", &json!({})).await.expect(200);
        let r = app.get(&format!("/api/v1/retirees/{a}"), "hongshan").await.expect(200);
        assert_eq!((r.body["pension_status"].as_str(), r.body["on_roll"].as_bool(), r.body["remote_certification"].as_bool()), (Some("transferred_out"), Some(false), Some(true)));
        // Reductions: deaths come from death reports; another reason with its month.
        app.post("/api/v1/reductions", "hongshan", &json!({"retiree_id": b, "kind": "death", "reason": "x"})).await.problem(409, "death_via_report");
        app.post("/api/v1/reductions", "hongshan", &json!({"retiree_id": b, "kind": "other", "reason": "x", "effective_month": "2999-01"})).await.problem(422, "month_in_future");
        app.post("/api/v1/reductions", "huli", &json!({"retiree_id": b, "kind": "other", "reason": "转由军休机构管理"})).await.problem(422, "retiree_not_found");
        app.post("/api/v1/reductions", "finance", &json!({"retiree_id": b, "kind": "other", "reason": "转由军休机构管理"})).await.problem(403, "forbidden");
        let res = app.post("/api/v1/reductions", "hongshan", &json!({"retiree_id": b, "kind": "other", "reason": "转由军休机构管理"})).await.expect(201);
        assert_eq!(res.body["effective_month"], this_month());
        app.post("/api/v1/reductions", "hongshan", &json!({"retiree_id": b, "kind": "other", "reason": "again"})).await.problem(409, "not_on_roll");
        let rep = app.get(&format!("/api/v1/reports/movements?jurisdiction=350203001001&month={}", this_month()), "hongshan").await.expect(200);
        let (_, closing) = check_report(&rep.body);
        assert_eq!((rep.body["total"]["registered"].as_i64(), rep.body["total"]["transferred_out"].as_i64(), rep.body["total"]["reduced"].as_i64(), closing), (Some(2), Some(1), Some(1), 0));
        let list = app.get("/api/v1/reductions", "hongshan").await.expect(200);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    }

    async fn a_verified_death_reduces_and_a_reversal_reinstates(app: &TestApp) {
        let id = app.create_retiree("siming", &retiree_body("350203001001", 40)).await["id"].as_i64().unwrap();
        let r = app.post("/api/v1/death-reports", "hongshan", &json!({"retiree_id": id, "date_of_death": "2026-03-15",
            "certificate_number": "DC-1", "reporter_kind": "relative", "reporter_name": "张小明"})).await.expect(201);
        let rid = r.body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({})).await.expect(200);
        let kinds: Vec<(String, Date)> = roster_movements::table.filter(roster_movements::retiree_id.eq(id)).order(roster_movements::id)
            .select((roster_movements::kind, roster_movements::month)).load(&mut *app.conn()).unwrap();
        // Registered this month, died in March: off the roll in the month they joined it, not before (issue 19.3).
        assert_eq!(kinds[1], ("reduced".to_owned(), today().replace_day(1).unwrap()));
        let on_roll: bool = retirees::table.find(id).select(retirees::on_roll).first(&mut *app.conn()).unwrap();
        assert!(!on_roll);
        app.post(&format!("/api/v1/death-reports/{rid}/reverse"), "siming", &json!({"reason": "认错了人"})).await.expect(200);
        let on_roll: bool = retirees::table.find(id).select(retirees::on_roll).first(&mut *app.conn()).unwrap();
        assert!(on_roll);
        let last: String = roster_movements::table.filter(roster_movements::retiree_id.eq(id)).order(roster_movements::id.desc())
            .select(roster_movements::kind).first(&mut *app.conn()).unwrap();
        assert_eq!(last, "reinstated");
    }

    async fn a_late_death_or_reduction_never_makes_a_roll_negative(app: &TestApp) {
        // Issue 19.3; GUIDE 交接制度 "按月计报": a person registered this month whose death is dated in March, and one
        // reduced with an effective month in January, leave the roll in the month they joined it: March and January
        // show nobody leaving a roll nobody was on, every count is ≥ 0, rows balance and the parents are the sums.
        let died = app.create_retiree("siming", &retiree_body("350203001001", 60)).await["id"].as_i64().unwrap();
        let reduced = app.create_retiree("siming", &retiree_body("350203001001", 61)).await["id"].as_i64().unwrap();
        let r = app.post("/api/v1/death-reports", "hongshan", &json!({"retiree_id": died, "date_of_death": "2026-03-15",
            "certificate_number": "DC-60", "reporter_kind": "relative", "reporter_name": "张小明"})).await.expect(201);
        app.post(&format!("/api/v1/death-reports/{}/verify", r.body["id"]), "siming", &json!({})).await.expect(200);
        let res = app.post("/api/v1/reductions", "hongshan", &json!({"retiree_id": reduced, "kind": "other",
            "reason": "转由军休机构管理", "effective_month": "2026-01"})).await.expect(201);
        assert_eq!(res.body["effective_month"], this_month());
        let keys = ["opening", "registered", "received", "transferred_in", "transferred_out", "reduced", "reinstated", "closing"];
        for month in ["2026-01", "2026-02", "2026-03", "2026-06", this_month().as_str()] {
            for (node, who) in [("350203001001", "hongshan"), ("350203001", "siming"), ("350203", "siming"), ("3502", "city")] {
                let rep = app.get(&format!("/api/v1/reports/movements?jurisdiction={node}&month={month}"), who).await.expect(200);
                check_report(&rep.body);
                for r in rep.body["rows"].as_array().unwrap().iter().chain([&rep.body["total"]]) {
                    for k in keys {
                        assert!(r[k].as_i64().unwrap() >= 0, "{node} {month}: {k} of {r}");
                    }
                }
            }
        }
        let now = app.get(&format!("/api/v1/reports/movements?jurisdiction=350203001001&month={}", this_month()), "hongshan").await.expect(200);
        let t = &now.body["total"];
        assert_eq!((t["registered"].as_i64(), t["reduced"].as_i64(), t["closing"].as_i64()), (Some(2), Some(2), Some(t["opening"].as_i64().unwrap())));
        let march = app.get("/api/v1/reports/movements?jurisdiction=350203001001&month=2026-03", "hongshan").await.expect(200);
        assert_eq!(march.body["total"]["reduced"], 0);
    }

    async fn a_person_received_in_may_has_a_first_visit_due_by_31_may(app: &TestApp) {
        // GUIDE 走访制度: the community visits each new arrival within the month of arrival.
        let body = json!({"jurisdiction": "350203", "month": "2026-05",
            "employer": {"name": "厦门港务集团有限公司", "community_code": "350203001001"}, "items": [item("350203001001", 50, false)]});
        let res = app.post("/api/v1/handover-batches", "siming", &body).await.expect(201);
        let batch = res.body["id"].as_i64().unwrap();
        let item_id = res.body["items"][0]["id"].as_i64().unwrap();
        let path = format!("/api/v1/handover-batches/{batch}/items/{item_id}/accept");
        // Issue 19.12: the archive and agreement steps come first.
        for step in [json!({"step": "archive_received", "volumes": 1, "complete": true}), json!({"step": "agreement_signed"})] {
            app.post(&format!("/api/v1/handover-batches/{batch}/items/{item_id}/steps"), "hongshan", &step).await.expect(200);
        }
        app.post(&path, "hongshan", &json!({"received_on": "2026-04-30"})).await.problem(422, "before_batch_month");
        app.post(&path, "hongshan", &json!({"received_on": "2999-01-01"})).await.problem(422, "date_in_future");
        let res = app.post(&path, "hongshan", &json!({"received_on": "2026-05-12"})).await.expect(200);
        let rid = res.body["items"][0]["retiree_id"].as_i64().unwrap();
        // Issue 19.9; CS Art. 16(2): received on 12 May, certified for one policy period (12 months) from that day,
        // not from the day the acceptance was recorded (today, December).
        let until: Date = retirees::table.find(rid).select(retirees::certified_until).first(&mut *app.conn()).unwrap();
        assert_eq!(until, time::macros::date!(2027 - 05 - 12));
        let tasks = app.get("/api/v1/visit-tasks?jurisdiction=350203001001", "hongshan").await.expect(200);
        assert_eq!(tasks.body["items"][0]["retiree_id"], rid);
        assert_eq!(tasks.body["items"][0]["due_on"], "2026-05-31");
        assert_eq!(tasks.body["items"][0]["kind"], "new_arrival");
        // Unvisited after 31 May it is overdue; a visit closes it.
        let overdue = app.get("/api/v1/visit-tasks?overdue=true", "hongshan").await.expect(200);
        assert_eq!(overdue.body["items"].as_array().unwrap().len(), 1);
        let tid = overdue.body["items"][0]["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/visit-tasks/{tid}/done"), "huli", &json!({})).await.problem(404, "not_found");
        let done = app.post(&format!("/api/v1/visit-tasks/{tid}/done"), "hongshan", &json!({"on_date": "2026-06-02", "note": "已走访"})).await.expect(200);
        assert_eq!((done.body["status"].as_str(), done.body["done_on"].as_str()), (Some("done"), Some("2026-06-02")));
        app.post(&format!("/api/v1/visit-tasks/{tid}/done"), "hongshan", &json!({})).await.problem(409, "visit_done");
        // Received in May: counted in May's report.
        let may = app.get("/api/v1/reports/movements?jurisdiction=350203001001&month=2026-05", "hongshan").await.expect(200);
        let (_, closing) = check_report(&may.body);
        assert_eq!((may.body["total"]["received"].as_i64(), closing), (Some(1), 1));
        let june = app.get("/api/v1/reports/movements?jurisdiction=350203001001&month=2026-06", "hongshan").await.expect(200);
        assert_eq!((june.body["total"]["opening"].as_i64(), june.body["total"]["received"].as_i64()), (Some(1), Some(0)));
    }
}
