//! Death reports, overpayments and their recovery, death benefits, dependants' support (issue 7; GUIDE 四、五;
//! CS Art. 16(4), 31, 32), over HTTP on both backends.

use diesel::prelude::*;
use persistence::schema::{death_reports, dependents, overpayment_entries, pension_status_changes, retirees};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// A retiree in 鸿山社区 (monthly pension 3500.00) with one dependant who is not supported; (retiree, dependant).
async fn family(app: &TestApp, seq: u16) -> (i64, i64) {
    let retiree = app.create_retiree("siming", &retiree_body("350203001001", seq)).await["id"].as_i64().unwrap();
    let body = json!({"relation": "spouse", "id_number": id_number("350203", "19600404", seq * 2 + 2), "name": "李四", "supported": false});
    let dep = app.post(&format!("/api/v1/retirees/{retiree}/dependents"), "siming", &body).await.expect(201).body["id"]
        .as_i64()
        .unwrap();
    (retiree, dep)
}

fn report_body(retiree: i64, died: &str, reported: &str) -> Value {
    json!({"retiree_id": retiree, "date_of_death": died, "certificate_number": format!("DC-{retiree}"),
        "reporter_kind": "relative", "reporter_name": "张小明", "reporter_relation": "儿子", "reported_on": reported})
}

async fn report(app: &TestApp, retiree: i64, died: &str, reported: &str) -> Value {
    app.post("/api/v1/death-reports", "hongshan", &report_body(retiree, died, reported)).await.expect(201).body
}

fn status_of(app: &TestApp, id: i64) -> (String, Option<String>) {
    retirees::table
        .find(id)
        .select((retirees::pension_status, retirees::suspension_reason))
        .first(&mut *app.conn())
        .unwrap()
}

both_backends! {
    async fn death_on_15_march_stops_from_april_and_three_months_are_overpaid(app: &TestApp) {
        // GUIDE 四: the pension stops from the month after death; paid April to June: three months overpaid.
        let (id, _) = family(app, 1).await;
        let r = report(app, id, "2026-03-15", "2026-03-20").await;
        let rid = r["id"].as_i64().unwrap();
        assert_eq!(r["status"], "reported");
        assert_eq!(r["stop_month"], "2026-04");
        assert_eq!(r["late"], false);
        // Nothing changes for the pension before verification.
        assert_eq!(status_of(app, id).0, "normal");
        // The community may not verify; another district gets 404.
        app.post(&format!("/api/v1/death-reports/{rid}/verify"), "hongshan", &json!({})).await.problem(403, "forbidden");
        app.post(&format!("/api/v1/death-reports/{rid}/verify"), "huli", &json!({})).await.problem(404, "not_found");
        app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({"paid_through": "2026-13"})).await.problem(422, "invalid_month");
        let res = app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({"paid_through": "2026-06"})).await.expect(200);
        assert_eq!(res.body["report"]["status"], "verified");
        // XM Art. 21(3) is not in force here (default policy: no amount), so no condolence amount falls due.
        assert_eq!(res.body["report"]["condolence"], Value::Null);
        assert_eq!(res.body["status_change"]["to_status"], "stopped");
        assert_eq!(res.body["status_change"]["effective_month"], "2026-04");
        let o = &res.body["overpayment"];
        assert_eq!(o["first_month"], "2026-04");
        assert_eq!(o["last_month"], "2026-06");
        assert_eq!(o["months"], 3);
        assert_eq!(o["amount"], "10500.00");
        assert_eq!(o["balance"], "10500.00");
        assert_eq!(status_of(app, id), ("stopped".to_owned(), None));
        let n: i64 = pension_status_changes::table.filter(pension_status_changes::to_status.eq("stopped")).count().get_result(&mut *app.conn()).unwrap();
        assert_eq!(n, 1);
        assert_eq!(app.audit_count("death.verify"), 1);
        assert_eq!(app.audit_count("pension.stop"), 1);
        // A stopped pension cannot be reported or verified again.
        app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({})).await.problem(409, "death_report_not_pending");
        app.post("/api/v1/death-reports", "hongshan", &report_body(id, "2026-03-15", "2026-03-21")).await.problem(409, "pension_stopped");
        // Only active people are listed as paid.
        let list = app.get("/api/v1/retirees?pension_status=normal&jurisdiction=350203001001", "hongshan").await.expect(200);
        assert!(list.body["items"].as_array().unwrap().iter().all(|r| r["id"] != id));

        // Benefits smaller than the overpayment: all deducted, the rest stays owed (GUIDE 四).
        let b = app.post(&format!("/api/v1/death-reports/{rid}/benefits"), "siming", &json!({"funeral_grant": "5000.00", "survivor_benefit": "0.00"})).await.expect(200);
        assert_eq!(b.body, json!({"funeral_grant": "5000.00", "survivor_benefit": "0.00", "total": "5000.00",
            "overpayment": "10500.00", "deducted": "5000.00", "net_payable": "0.00", "outstanding": "5500.00"}));
        app.post(&format!("/api/v1/death-reports/{rid}/benefits"), "siming", &json!({"funeral_grant": "1.00", "survivor_benefit": "0.00"})).await.problem(409, "benefits_assessed");
        let oid = o["id"].as_i64().unwrap();
        let path = format!("/api/v1/overpayments/{oid}");
        let got = app.get(&path, "siming").await.expect(200);
        assert_eq!(got.body["balance"], "5500.00");
        assert_eq!(got.body["entries"][0]["kind"], "deducted_from_benefits");
        // CS Art. 31: more than owed, a write-off without approval, a referral before the deadline are refused.
        app.post(&format!("{path}/entries"), "siming", &json!({"kind": "repaid", "amount": "6000.00"})).await.problem(422, "amount_exceeds_balance");
        app.post(&format!("{path}/entries"), "siming", &json!({"kind": "written_off", "amount": "100.00"})).await.problem(422, "approval_required");
        app.post(&format!("{path}/entries"), "siming", &json!({"kind": "referred"})).await.problem(409, "recovery_deadline_not_passed");
        app.post(&format!("{path}/entries"), "hongshan", &json!({"kind": "repaid", "amount": "1.00"})).await.problem(403, "forbidden");
        app.post(&format!("{path}/entries"), "huli", &json!({"kind": "repaid", "amount": "1.00"})).await.problem(404, "not_found");
        let n: i64 = overpayment_entries::table.count().get_result(&mut *app.conn()).unwrap();
        assert_eq!(n, 1);
        let res = app.post(&format!("{path}/entries"), "siming", &json!({"kind": "repaid", "amount": "3000.00"})).await.expect(201);
        assert_eq!(res.body["balance"], "2500.00");
        assert_eq!(res.body["status"], "open");
        let res = app.post(&format!("{path}/entries"), "siming", &json!({"kind": "written_off", "amount": "2500.00", "approved_by": "张局长"})).await.expect(201);
        assert_eq!(res.body["balance"], "0.00");
        assert_eq!(res.body["status"], "settled");
        app.post(&format!("{path}/entries"), "siming", &json!({"kind": "repaid", "amount": "1.00"})).await.problem(409, "overpayment_closed");
        // The balance is always the amount less the sum of the entries.
        let sum: Vec<i64> = overpayment_entries::table.select(overpayment_entries::amount_fen).load(&mut *app.conn()).unwrap();
        assert_eq!(sum.iter().sum::<i64>(), 1_050_000);

        // The deaths report: one death in March, recovered 8000.00, written off 2500.00.
        let rep = app.get("/api/v1/reports/deaths?jurisdiction=350203001&year=2026", "siming").await.expect(200);
        let row = rep.body["rows"].as_array().unwrap().iter().find(|r| r["code"] == "350203001001").unwrap().clone();
        assert_eq!(row["deaths_by_month"], json!([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        assert_eq!((row["deaths"].clone(), row["late_reports"].clone()), (json!(1), json!(0)));
        assert_eq!((row["overpaid"].clone(), row["recovered"].clone(), row["written_off"].clone(), row["outstanding"].clone()),
            (json!("10500.00"), json!("8000.00"), json!("2500.00"), json!("0.00")));
        assert_eq!(rep.body["total"]["deaths"], 1);
        app.get("/api/v1/reports/deaths?jurisdiction=350206", "siming").await.problem(422, "jurisdiction_not_found");
        app.get("/api/v1/reports/deaths?year=26", "siming").await.problem(422, "invalid_year");
    }

    async fn the_twenty_first_working_day_is_late_across_a_holiday(app: &TestApp) {
        // CS Art. 16(4): 20 working days. Death on 1 April 2026; 清明 4-6 April is off: the 20th working day is
        // 30 April, the 21st is 6 May (劳动节 1-5 May off).
        app::calendar::seed_bundled(&mut app.conn()).unwrap();
        let (a, _) = family(app, 2).await;
        let (b, _) = family(app, 3).await;
        let in_time = report(app, a, "2026-04-01", "2026-04-30").await;
        assert_eq!(in_time["deadline"], "2026-04-30");
        assert_eq!(in_time["late"], false);
        let late = report(app, b, "2026-04-01", "2026-05-06").await;
        assert_eq!(late["late"], true);
        let listed = app.get("/api/v1/death-reports?late=true", "siming").await.expect(200);
        let ids: Vec<i64> = listed.body["items"].as_array().unwrap().iter().map(|r| r["retiree_id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [b]);
        app.get("/api/v1/death-reports?late=maybe", "siming").await.problem(422, "invalid_enum");
    }

    async fn bad_reports_change_nothing(app: &TestApp) {
        let (id, _) = family(app, 4).await;
        let res = app.post("/api/v1/death-reports", "hongshan", &json!({"retiree_id": id, "date_of_death": "2026-02-30",
            "certificate_number": "", "reporter_kind": "neighbour", "reporter_name": "x"})).await;
        assert_eq!(res.status.as_u16(), 422, "{}", res.text);
        let res = app.post("/api/v1/death-reports", "hongshan", &json!({"retiree_id": id, "date_of_death": "2026-02-30",
            "certificate_number": "", "reporter_kind": "relative", "reporter_name": "x"})).await.problem(422, "validation_failed");
        let fields: Vec<&str> = res.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["/date_of_death", "/certificate_number"]);
        app.post("/api/v1/death-reports", "hongshan", &report_body(id, "2026-03-15", "2026-03-10")).await.problem(422, "before_death");
        app.post("/api/v1/death-reports", "finance", &report_body(id, "2026-03-15", "2026-03-20")).await.problem(403, "forbidden");
        app.post("/api/v1/death-reports", "huli", &report_body(id, "2026-03-15", "2026-03-20")).await.problem(422, "retiree_not_found");
        assert_eq!(app.count("death_reports"), 0);
        // One open report per person.
        let r = report(app, id, "2026-03-15", "2026-03-20").await;
        app.post("/api/v1/death-reports", "hongshan", &report_body(id, "2026-03-15", "2026-03-21")).await.problem(409, "death_report_exists");
        // Out of scope: another district does not see it.
        app.get(&format!("/api/v1/death-reports/{}", r["id"]), "huli").await.problem(404, "not_found");
        let list = app.get("/api/v1/death-reports", "huli").await.expect(200);
        assert_eq!(list.body["items"], json!([]));
    }

    async fn a_death_before_the_retirement_or_the_birth_is_refused(app: &TestApp) {
        // Issue 19.6; GUIDE 四: the pension stops from the month after death, so only a death after the retirement
        // can stop one: retired 2015-01-01, died 2010 would have stopped it from 2010-04. Born 1955-01-01.
        let (id, _) = family(app, 11).await;
        let res = app.post("/api/v1/death-reports", "hongshan", &report_body(id, "2010-03-15", "2026-03-20")).await.problem(422, "before_retirement");
        assert_eq!(res.body["errors"][0]["field"], "/date_of_death");
        let res = app.post("/api/v1/death-reports", "hongshan", &report_body(id, "1954-12-31", "2026-03-20")).await.problem(422, "before_birth");
        assert_eq!(res.body["errors"][0]["field"], "/date_of_death");
        assert_eq!(app.count("death_reports"), 0);
        assert_eq!(status_of(app, id), ("normal".to_owned(), None));
        // The day of retirement itself is a possible date of death.
        report(app, id, "2015-01-01", "2026-03-20").await;
    }

    async fn withdrawal_and_reversal_restore_the_earlier_state(app: &TestApp) {
        // A wrong person reported: withdrawn before verification, nothing else changes.
        let (id, _) = family(app, 5).await;
        let r = report(app, id, "2026-03-15", "2026-03-20").await;
        let rid = r["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/death-reports/{rid}/withdraw"), "hongshan", &json!({"reason": ""})).await.problem(422, "length");
        let res = app.post(&format!("/api/v1/death-reports/{rid}/withdraw"), "hongshan", &json!({"reason": "报错了人"})).await.expect(200);
        assert_eq!(res.body["status"], "withdrawn");
        assert_eq!(res.body["closed_reason"], "报错了人");
        assert_eq!(status_of(app, id).0, "normal");
        app.post(&format!("/api/v1/death-reports/{rid}/reverse"), "siming", &json!({"reason": "x"})).await.problem(409, "death_report_not_verified");
        // Suspended for another reason, then reported and verified: the reversal restores the suspension.
        app.post(&format!("/api/v1/retirees/{id}/suspensions"), "siming", &json!({"reason": "imprisoned", "effective_month": "2026-01"})).await.expect(201);
        let r = report(app, id, "2026-03-15", "2026-03-22").await;
        let rid = r["id"].as_i64().unwrap();
        let v = app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({"paid_through": "2026-05"})).await.expect(200);
        let oid = v.body["overpayment"]["id"].as_i64().unwrap();
        assert_eq!(status_of(app, id).0, "stopped");
        app.post(&format!("/api/v1/death-reports/{rid}/withdraw"), "hongshan", &json!({"reason": "x"})).await.problem(409, "death_report_not_pending");
        app.post(&format!("/api/v1/death-reports/{rid}/reverse"), "hongshan", &json!({"reason": "x"})).await.problem(403, "forbidden");
        let res = app.post(&format!("/api/v1/death-reports/{rid}/reverse"), "siming", &json!({"reason": "死亡证明系伪造"})).await.expect(200);
        assert_eq!(res.body["status"], "reversed");
        assert_eq!(status_of(app, id), ("suspended".to_owned(), Some("imprisoned".to_owned())));
        let o = app.get(&format!("/api/v1/overpayments/{oid}"), "siming").await.expect(200);
        assert_eq!(o.body["status"], "void");
        assert_eq!(app.audit_count("death.reverse"), 1);
        let stored: String = death_reports::table.find(rid).select(death_reports::status).first(&mut *app.conn()).unwrap();
        assert_eq!(stored, "reversed");
    }

    async fn dependants_apply_within_a_month_and_terminated_support_ends_next_month(app: &TestApp) {
        // GUIDE 五: apply within one month of the death; community investigates, street reviews, bureau approves.
        let (id, dep) = family(app, 6).await;
        app.post("/api/v1/dependent-support", "hongshan", &json!({"dependent_id": dep, "applied_on": "2026-03-20"})).await.problem(409, "death_not_verified");
        let r = report(app, id, "2026-03-15", "2026-03-16").await;
        let rid = r["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({})).await.expect(200);
        // One month: 15 April is the last day; the 16th is refused with a code.
        let late = app.post("/api/v1/dependent-support", "hongshan", &json!({"dependent_id": dep, "applied_on": "2026-04-16"})).await.problem(422, "application_window_closed");
        assert_eq!(late.body["errors"][0]["field"], "/applied_on");
        app.post("/api/v1/dependent-support", "huli", &json!({"dependent_id": dep, "applied_on": "2026-04-15"})).await.problem(422, "dependent_not_found");
        app.post("/api/v1/dependent-support", "finance", &json!({"dependent_id": dep, "applied_on": "2026-04-15"})).await.problem(403, "forbidden");
        assert_eq!(app.count("dependent_support"), 0);
        let res = app.post("/api/v1/dependent-support", "hongshan", &json!({"dependent_id": dep, "applied_on": "2026-04-15"})).await.expect(201);
        let sid = res.body["id"].as_i64().unwrap();
        assert_eq!(res.body["deadline"], "2026-04-15");
        assert_eq!(res.body["status"], "applied");
        let steps = format!("/api/v1/dependent-support/{sid}/steps");
        // Out of order, wrong role, missing reason.
        app.post(&steps, "siming", &json!({"step": "approval", "passed": true, "on_date": "2026-04-20"})).await.problem(409, "step_out_of_order");
        app.post(&steps, "hongshan", &json!({"step": "review", "passed": true})).await.problem(403, "forbidden");
        // A step needs retiree.write, as the document's scope says: the auditor and the group leader read only.
        app.post(&steps, "auditor", &json!({"step": "investigation", "passed": true})).await.problem(403, "forbidden");
        app.post(&steps, "leader", &json!({"step": "investigation", "passed": true})).await.problem(403, "forbidden");
        app.post(&steps, "hongshan", &json!({"step": "investigation", "passed": false})).await.problem(422, "reason_required");
        app.post(&steps, "huli", &json!({"step": "investigation", "passed": true})).await.problem(404, "not_found");
        app.post(&steps, "hongshan", &json!({"step": "investigation", "passed": true, "on_date": "2026-04-16", "note": "同住，无收入"})).await.expect(200);
        app.post(&steps, "xiagang", &json!({"step": "review", "passed": true, "on_date": "2026-04-18"})).await.expect(200);
        let res = app.post(&steps, "siming", &json!({"step": "approval", "passed": true, "on_date": "2026-04-20"})).await.expect(200);
        assert_eq!(res.body["status"], "approved");
        assert_eq!(res.body["support_from"], "2026-04");
        let kinds: Vec<&str> = res.body["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["investigation", "review", "approval"]);
        // Approved: supported, and certified like a retiree (XM Art. 15 last paragraph).
        let supported: bool = dependents::table.find(dep).select(dependents::supported).first(&mut *app.conn()).unwrap();
        assert!(supported);
        let d = app.get(&format!("/api/v1/retirees/{id}/dependents/{dep}"), "hongshan").await.expect(200);
        assert_eq!(d.body["support_status"], "paid");
        let receiving = |month: &'static str| async move {
            let res = app.get(&format!("/api/v1/dependent-support?receiving_in={month}"), "siming").await.expect(200);
            res.body["items"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect::<Vec<i64>>()
        };
        assert_eq!(receiving("2026-03").await, Vec::<i64>::new());
        assert_eq!(receiving("2026-04").await, [sid]);
        // A fraud flag stops payment pending review; clearing resumes it.
        app.post(&format!("/api/v1/dependent-support/{sid}/fraud-flag"), "siming", &json!({"note": "群众举报"})).await.expect(200);
        assert_eq!(receiving("2026-05").await, Vec::<i64>::new());
        app.post(&format!("/api/v1/dependent-support/{sid}/fraud-clear"), "siming", &json!({"note": "核查属实无误"})).await.expect(200);
        assert_eq!(receiving("2026-05").await, [sid]);
        // The dependant dies on 20 June: paid for June, not listed from July.
        app.post(&format!("/api/v1/dependent-support/{sid}/terminate"), "hongshan", &json!({"reason": "died", "ended_on": "2026-06-20"})).await.problem(403, "forbidden");
        let res = app.post(&format!("/api/v1/dependent-support/{sid}/terminate"), "siming", &json!({"reason": "died", "ended_on": "2026-06-20"})).await.expect(200);
        assert_eq!(res.body["status"], "terminated");
        assert_eq!(res.body["support_until"], "2026-06");
        assert_eq!(receiving("2026-06").await, [sid]);
        assert_eq!(receiving("2026-07").await, Vec::<i64>::new());
        let supported: bool = dependents::table.find(dep).select(dependents::supported).first(&mut *app.conn()).unwrap();
        assert!(!supported);
        app.post(&format!("/api/v1/dependent-support/{sid}/terminate"), "siming", &json!({"reason": "died", "ended_on": "2026-06-20"})).await.problem(409, "support_not_approved");
        app.get("/api/v1/dependent-support?receiving_in=2026-13", "siming").await.problem(422, "invalid_month");
        app.get(&format!("/api/v1/dependent-support/{sid}"), "huli").await.problem(404, "not_found");
    }

    async fn under_the_xiamen_policy_the_family_gets_a_500_yuan_condolence_once(app: &TestApp) {
        // XM Art. 21(3): 500 yuan to the family on a death, once.
        app.post("/api/v1/jurisdictions/3502/policies", "city", &json!({"valid_from": "2025-02-26", "preset": "xiamen-2025"})).await.expect(201);
        let (id, _) = family(app, 7).await;
        let r = report(app, id, "2026-03-15", "2026-03-20").await;
        let rid = r["id"].as_i64().unwrap();
        let res = app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({})).await.expect(200);
        assert_eq!(res.body["report"]["condolence"], "500.00");
        assert_eq!(res.body["overpayment"], Value::Null);
        let got = app.get(&format!("/api/v1/death-reports/{rid}"), "hongshan").await.expect(200);
        assert_eq!(got.body["condolence"], "500.00");
        assert_eq!(got.header("etag"), Some(format!("\"{}\"", got.body["version"]).as_str()));
        // XM leaves the funeral grant to the provincial rules: an amount is needed.
        app.post(&format!("/api/v1/death-reports/{rid}/benefits"), "siming", &json!({})).await.problem(422, "validation_failed");
        let res = app.post(&format!("/api/v1/death-reports/{rid}/benefits"), "siming", &json!({"funeral_grant": "8000.00", "survivor_benefit": "12000.00"})).await.expect(200);
        assert_eq!(res.body["net_payable"], "20000.00");
        assert_eq!(res.body["outstanding"], "0.00");
    }

    async fn a_death_record_of_the_data_platform_opens_a_report_to_verify(app: &TestApp) {
        // CS Art. 27, 32; GUIDE 四: a death record suspends pending verification and opens a report (reporter
        // `feed`); verifying it stops the pension from the month after death.
        let body = retiree_body("350203001001", 8);
        let id = app.create_retiree("siming", &body).await["id"].as_i64().unwrap();
        let idn = body["id_number"].as_str().unwrap();
        let line = format!("{}\n", json!({"id_number": idn, "date": "2026-05-31", "source": "民政殡葬系统", "reference": "D-77"}));
        let token = app.token("platform");
        let res = app
            .request("POST", "/api/v1/feeds/death?batch_id=deaths-9", Some(&token), &[("Content-Type", "application/x-ndjson")], Some(line.into_bytes()))
            .await
            .expect(201);
        assert_eq!(res.body["death_reports"], 1, "{}", res.body);
        assert_eq!(status_of(app, id), ("suspended".to_owned(), Some("suspected_death".to_owned())));
        let list = app.get("/api/v1/death-reports?status=reported", "siming").await.expect(200);
        let r = &list.body["items"][0];
        assert_eq!((r["retiree_id"].as_i64(), r["reporter_kind"].as_str(), r["certificate_number"].as_str()), (Some(id), Some("feed"), Some("D-77")));
        assert_eq!(r["date_of_death"], "2026-05-31");
        let rid = r["id"].as_i64().unwrap();
        let v = app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({})).await.expect(200);
        assert_eq!(v.body["status_change"]["from_reason"], "suspected_death");
        assert_eq!(v.body["status_change"]["effective_month"], "2026-06");
        assert_eq!(status_of(app, id), ("stopped".to_owned(), None));
        // The same record again in another batch opens no second report.
        let line = format!("{}\n", json!({"id_number": idn, "date": "2026-05-31", "source": "民政殡葬系统"}));
        let res = app
            .request("POST", "/api/v1/feeds/death?batch_id=deaths-10", Some(&token), &[("Content-Type", "application/x-ndjson")], Some(line.into_bytes()))
            .await
            .expect(201);
        assert_eq!(res.body["death_reports"], 0);
        assert_eq!(app.count("death_reports"), 1);
    }

    async fn a_report_from_a_death_record_is_never_late(app: &TestApp) {
        // Issue 19.8; CS Art. 16(4): the 20 working days bind the relatives ("其亲属应在…20个工作日内…报告"). A
        // death record of the data platform that arrives months after the death opens a report that is not late;
        // it shows the record's source instead.
        let body = retiree_body("350203001001", 12);
        app.create_retiree("siming", &body).await;
        let line = format!("{}\n", json!({"id_number": body["id_number"], "date": "2026-01-05", "source": "民政殡葬系统"}));
        let token = app.token("platform");
        app.request("POST", "/api/v1/feeds/death?batch_id=deaths-late", Some(&token), &[("Content-Type", "application/x-ndjson")], Some(line.into_bytes()))
            .await
            .expect(201);
        let list = app.get("/api/v1/death-reports", "siming").await.expect(200);
        let r = &list.body["items"][0];
        assert_eq!((r["reporter_kind"].as_str(), r["reporter_name"].as_str()), (Some("feed"), Some("民政殡葬系统")));
        assert_eq!((r["reported_on"].as_str(), r["late"].as_bool()), (Some(TODAY), Some(false)), "{r}");
        let late = app.get("/api/v1/death-reports?late=true", "siming").await.expect(200);
        assert_eq!(late.body["items"], json!([]));
        // A relative reporting the same death that late would be flagged.
        let (id, _) = family(app, 13).await;
        let r = report(app, id, "2026-01-05", TODAY).await;
        assert_eq!(r["late"], true);
    }

    async fn a_pension_payment_feed_records_what_was_paid_after_death(app: &TestApp) {
        // GUIDE 四: pension paid for months after the stop month is overpaid; here the payment data says so.
        let body = retiree_body("350203001001", 9);
        let id = app.create_retiree("siming", &body).await["id"].as_i64().unwrap();
        let idn = body["id_number"].as_str().unwrap().to_owned();
        let r = report(app, id, "2026-03-15", "2026-03-20").await;
        let rid = r["id"].as_i64().unwrap();
        let v = app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &json!({})).await.expect(200);
        assert_eq!(v.body["overpayment"], Value::Null);
        let line = |month: &str| format!("{}\n", json!({"id_number": idn, "date": format!("{month}-10"), "source": "社保发放系统"}));
        let send = |batch: &'static str, body: String| async move {
            let token = app.token("platform");
            app.request("POST", &format!("/api/v1/feeds/pension_payment?batch_id={batch}"), Some(&token), &[("Content-Type", "application/x-ndjson")], Some(body.into_bytes()))
                .await
                .expect(201)
        };
        // March was due (died in March); April and May were not.
        let res = send("pay-1", line("2026-03") + &line("2026-04") + &line("2026-05")).await;
        assert_eq!((res.body["matched"].as_i64(), res.body["applied"].as_i64(), res.body["overpayments"].as_i64()), (Some(3), Some(1), Some(1)), "{}", res.body);
        assert_eq!(res.body["not_applied"], json!({"not_after_death": 1, "superseded": 1}));
        let list = app.get("/api/v1/overpayments?status=open", "siming").await.expect(200);
        let o = &list.body["items"][0];
        assert_eq!((o["first_month"].as_str(), o["last_month"].as_str(), o["months"].as_i64(), o["amount"].as_str()), (Some("2026-04"), Some("2026-05"), Some(2), Some("7000.00")));
        // June paid too: the same overpayment runs through June, three months.
        let res = send("pay-2", line("2026-06")).await;
        assert_eq!(res.body["overpayments"], 1);
        let o = app.get(&format!("/api/v1/overpayments/{}", o["id"]), "siming").await.expect(200);
        assert_eq!((o.body["months"].as_i64(), o.body["amount"].as_str()), (Some(3), Some("10500.00")));
        // An older month again changes nothing.
        let res = send("pay-3", line("2026-05")).await;
        assert_eq!(res.body["overpayments"], 0);
        assert_eq!(app.count("overpayments"), 1);
    }
}
