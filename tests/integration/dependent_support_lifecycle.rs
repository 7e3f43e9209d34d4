//! Dependants' support through its life (issue 19.10, 19.13; GUIDE 五; XM Art. 15 last paragraph; CS Art. 32):
//! registered while the retiree lives and not suspended by certification runs, paid from the month after the
//! death once approved; stopped by a death record and suspended by an imprisonment record of the data platform;
//! a reversed death gives back the deductions from the benefits and stops the support that followed from it.

use diesel::prelude::*;
use persistence::schema::{dependent_support, dependent_support_changes, dependents};
use serde_json::{Value, json};
use time::Date;
use time::macros::date;

use crate::both_backends;
use crate::helpers::*;

/// A retiree in 鸿山社区 (pension 3500.00) with one supported dependant; (retiree, dependant, dependant's ID).
async fn family(app: &TestApp, seq: u16) -> (i64, i64, String) {
    let retiree = app.create_retiree("siming", &retiree_body("350203001001", seq)).await["id"].as_i64().unwrap();
    let idn = id_number("350203", "19600404", seq * 2 + 2);
    let body = json!({"relation": "spouse", "id_number": idn, "name": "李四", "supported": true});
    let dep = app.post(&format!("/api/v1/retirees/{retiree}/dependents"), "siming", &body).await.expect(201);
    assert_eq!(dep.body["support_status"], "registered", "{}", dep.body);
    (retiree, dep.body["id"].as_i64().unwrap(), idn)
}

/// Reports and verifies the retiree's death on `died` (paid through `paid_through` when given); the report id.
async fn death(app: &TestApp, retiree: i64, died: &str, reported: &str, paid_through: Option<&str>) -> i64 {
    let body = json!({"retiree_id": retiree, "date_of_death": died, "certificate_number": format!("DC-{retiree}"),
        "reporter_kind": "relative", "reporter_name": "张小明", "reporter_relation": "儿子", "reported_on": reported});
    let rid = app.post("/api/v1/death-reports", "hongshan", &body).await.expect(201).body["id"].as_i64().unwrap();
    let verify = paid_through.map_or(json!({}), |m| json!({"paid_through": m}));
    app.post(&format!("/api/v1/death-reports/{rid}/verify"), "siming", &verify).await.expect(200);
    rid
}

/// Applies for support on `applied_on` and passes the three steps on `on` (GUIDE 五); the application.
async fn approved(app: &TestApp, dep: i64, applied_on: &str, on: &str) -> Value {
    let res = app
        .post("/api/v1/dependent-support", "hongshan", &json!({"dependent_id": dep, "applied_on": applied_on}))
        .await
        .expect(201);
    let steps = format!("/api/v1/dependent-support/{}/steps", res.body["id"]);
    app.post(&steps, "hongshan", &json!({"step": "investigation", "passed": true, "on_date": on, "note": "同住"}))
        .await
        .expect(200);
    app.post(&steps, "xiagang", &json!({"step": "review", "passed": true, "on_date": on})).await.expect(200);
    let res = app.post(&steps, "siming", &json!({"step": "approval", "passed": true, "on_date": on})).await.expect(200);
    assert_eq!(res.body["status"], "approved");
    res.body
}

fn set_until(app: &TestApp, dep: i64, until: Date) {
    diesel::update(dependents::table.find(dep))
        .set(dependents::certified_until.eq(until))
        .execute(&mut *app.conn())
        .unwrap();
}

fn dependant_row(app: &TestApp, dep: i64) -> (bool, Option<Date>) {
    dependents::table
        .find(dep)
        .select((dependents::supported, dependents::support_suspended_from))
        .first(&mut *app.conn())
        .unwrap()
}

async fn support_status(app: &TestApp, retiree: i64, dep: i64) -> Value {
    app.get(&format!("/api/v1/retirees/{retiree}/dependents/{dep}"), "hongshan").await.expect(200).body["support_status"].clone()
}

async fn feed(app: &TestApp, kind: &str, batch: &str, records: &[(&str, &str)]) -> Value {
    let body: String = records
        .iter()
        .enumerate()
        .map(|(i, (idn, date))| {
            format!(
                "{}\n",
                json!({"id_number": idn, "date": date, "source": "厦门市民政局", "reference": format!("R-{i}")})
            )
        })
        .collect();
    let token = app.token("platform");
    app.request(
        "POST",
        &format!("/api/v1/feeds/{kind}?batch_id={batch}"),
        Some(&token),
        &[("Content-Type", "application/x-ndjson")],
        Some(body.into_bytes()),
    )
    .await
    .expect(201)
    .body
}

/// (to_status, reason, effective month, source, source_ref) of a dependant's support changes, oldest first.
fn changes(app: &TestApp, dep: i64) -> Vec<(String, String, Date, String, Option<i64>)> {
    use dependent_support_changes as c;
    c::table
        .filter(c::dependent_id.eq(dep))
        .order(c::id)
        .select((c::to_status, c::reason, c::effective_month, c::source, c::source_ref))
        .load(&mut *app.conn())
        .unwrap()
}

async fn support_events(app: &TestApp) -> Vec<Value> {
    let res = app.get("/api/v1/events?types=dependent.support_changed&limit=500", "platform").await.expect(200);
    res.body["items"].as_array().unwrap().clone()
}

both_backends! {
    async fn issue_19_10_guide_5_support_is_registered_while_the_retiree_lives_and_runs_leave_it(app: &TestApp) {
        // GUIDE 五: support starts the month after the retiree's death, once approved; before that the dependant
        // is registered, not paid, and a certification run has no support to suspend.
        let yesterday = today().previous_day().unwrap();
        let (retiree, dep, _) = family(app, 1).await;
        set_until(app, dep, yesterday);
        assert_eq!(support_status(app, retiree, dep).await, "registered");
        let listed = app.get(&format!("/api/v1/retirees/{retiree}/dependents"), "hongshan").await.expect(200);
        assert_eq!(listed.body[0]["support_status"], "registered", "{}", listed.body);
        assert_eq!(listed.body[0]["certification_status"], "overdue");
        let run = json!({"jurisdiction": "350203"});
        let res = app.post("/api/v1/certification-runs", "siming", &json!({"jurisdiction": "350203", "dry_run": true})).await.expect(201);
        assert_eq!(res.body["counts"]["dependents_suspended"], 0);
        let res = app.post("/api/v1/certification-runs", "siming", &run).await.expect(201);
        assert_eq!(res.body["counts"]["dependents_suspended"], 0, "{}", res.body);
        assert_eq!(dependant_row(app, dep), (true, None));
        assert_eq!(app.count("dependent_support_changes"), 0);

        // Died 10 October; verified; applied and approved: support from November, paid today (December).
        death(app, retiree, "2026-10-10", "2026-10-12", None).await;
        assert_eq!(support_status(app, retiree, dep).await, "registered", "verified, not yet approved");
        let s = approved(app, dep, "2026-10-20", "2026-10-22").await;
        assert_eq!(s["support_from"], "2026-11");
        assert_eq!(support_status(app, retiree, dep).await, "paid");
        // Now overdue, the run suspends the support like a retiree's pension (CS Art. 32(1)).
        set_until(app, dep, yesterday);
        let res = app.post("/api/v1/certification-runs", "siming", &run).await.expect(201);
        assert_eq!(res.body["counts"]["dependents_suspended"], 1, "{}", res.body);
        assert_eq!(dependant_row(app, dep), (true, Some(domain::pension::month_of(today()))));
        assert_eq!(support_status(app, retiree, dep).await, "suspended");
        let recorded: Vec<_> = changes(app, dep).into_iter().map(|c| (c.0, c.1)).collect();
        assert_eq!(recorded, [("suspended".to_owned(), "certification_overdue".to_owned())]);
    }

    async fn issue_19_13_a_reversal_gives_the_deductions_back_and_stops_the_support(app: &TestApp) {
        // GUIDE 四: deducted from the benefits; issue 19.13: a reversed death books a counter-entry (history kept),
        // the benefits are whole again, and the dependants' support that followed the death stops.
        let (retiree, dep, _) = family(app, 2).await;
        let rid = death(app, retiree, "2026-08-15", "2026-08-20", Some("2026-10")).await;
        let b = app.post(&format!("/api/v1/death-reports/{rid}/benefits"), "siming", &json!({"funeral_grant": "5000.00", "survivor_benefit": "0.00"})).await.expect(200);
        assert_eq!((b.body["deducted"].clone(), b.body["outstanding"].clone()), (json!("5000.00"), json!("2000.00")));
        let s = approved(app, dep, "2026-09-01", "2026-09-05").await;
        let sid = s["id"].as_i64().unwrap();
        assert_eq!(s["support_from"], "2026-09");
        assert_eq!(support_status(app, retiree, dep).await, "paid");
        let list = app.get("/api/v1/overpayments?status=open", "siming").await.expect(200);
        let oid = list.body["items"][0]["id"].as_i64().unwrap();

        let res = app.post(&format!("/api/v1/death-reports/{rid}/reverse"), "siming", &json!({"reason": "死亡证明系伪造"})).await.expect(200);
        assert_eq!(res.body["status"], "reversed");
        let o = app.get(&format!("/api/v1/overpayments/{oid}"), "siming").await.expect(200).body;
        assert_eq!(o["status"], "void");
        assert_eq!(o["amount"], "7000.00");
        assert_eq!(o["balance"], "7000.00", "{o}");
        let entries: Vec<(Value, Value)> = o["entries"].as_array().unwrap().iter().map(|e| (e["kind"].clone(), e["amount"].clone())).collect();
        assert_eq!(entries, [(json!("deducted_from_benefits"), json!("5000.00")), (json!("deduction_reversed"), json!("-5000.00"))]);
        assert_eq!(app.audit_count("overpayment.deduction_reversed"), 1);
        // Only the service books a counter-entry.
        let refused = app.post(&format!("/api/v1/overpayments/{oid}/entries"), "siming", &json!({"kind": "deduction_reversed", "amount": "1.00"})).await.problem(422, "entry_kind_reserved");
        assert_eq!(refused.body["errors"][0]["field"], "/kind");
        // The support stops from the month of the reversal (December); September to November stay as paid.
        let s = app.get(&format!("/api/v1/dependent-support/{sid}"), "siming").await.expect(200).body;
        assert_eq!((s["status"].clone(), s["end_reason"].clone(), s["support_until"].clone()), (json!("terminated"), json!("death_reversed"), json!("2026-11")));
        let receiving = |month: &'static str| async move {
            let res = app.get(&format!("/api/v1/dependent-support?receiving_in={month}"), "siming").await.expect(200);
            res.body["items"].as_array().unwrap().len()
        };
        assert_eq!((receiving("2026-11").await, receiving("2026-12").await), (1, 0));
        assert_eq!(app.audit_count("dependent_support.death_reversed"), 1);
        // The retiree lives: the dependant is registered again, not paid.
        assert_eq!(support_status(app, retiree, dep).await, "registered");
        assert_eq!(dependant_row(app, dep), (true, None));
    }

    async fn issue_19_13_cs_32_dependants_death_and_imprisonment_records_act_on_their_support(app: &TestApp) {
        // XM Art. 15 last paragraph: supported dependants are treated like retirees; CS Art. 32(3): a sentence
        // served suspends from its first month; GUIDE 五: support ends when the dependant dies.
        let (r_jailed, jailed, jailed_id) = family(app, 3).await;
        let (r_dead, dead, dead_id) = family(app, 4).await;
        let (r_alive, registered, registered_id) = family(app, 5).await;
        death(app, r_jailed, "2026-10-10", "2026-10-12", None).await;
        death(app, r_dead, "2026-10-10", "2026-10-12", None).await;
        approved(app, jailed, "2026-10-20", "2026-10-22").await;
        let dead_support = approved(app, dead, "2026-10-20", "2026-10-22").await["id"].as_i64().unwrap();
        let nobody = id_number("350203", "19700101", 99);

        // Imprisonment: started support is suspended from November; registered support is left; nobody unmatched.
        let b = feed(app, "imprisonment", "jail-1", &[(&jailed_id, "2026-11-20"), (&registered_id, "2026-11-20"), (&nobody, "2026-11-20")]).await;
        let counts = [&b["records"], &b["matched"], &b["applied"], &b["unmatched"], &b["suspended"], &b["dependents_suspended"]];
        assert_eq!(counts, [&json!(3), &json!(2), &json!(1), &json!(1), &json!(1), &json!(1)], "{b}");
        assert_eq!(b["not_applied"], json!({"support_not_started": 1}));
        let batch = b["id"].as_i64().unwrap();
        assert_eq!(dependant_row(app, jailed), (true, Some(date!(2026 - 11 - 01))));
        assert_eq!(support_status(app, r_jailed, jailed).await, "suspended");
        assert_eq!(changes(app, jailed), [("suspended".to_owned(), "imprisoned".to_owned(), date!(2026 - 11 - 01), "feed".to_owned(), Some(batch))]);
        assert_eq!(dependant_row(app, registered), (true, None));
        assert_eq!(support_status(app, r_alive, registered).await, "registered");
        assert_eq!(app.audit_count("dependent.support.suspend"), 1);
        // The same record again: already suspended.
        let b = feed(app, "imprisonment", "jail-2", &[(&jailed_id, "2026-11-21")]).await;
        assert_eq!((b["applied"].clone(), b["not_applied"].clone()), (json!(0), json!({"already_suspended": 1})));
        // A certification that makes the dependant valid again does not cure a sentence served.
        set_until(app, jailed, today().previous_day().unwrap());
        let cert = json!({"method": "community_worker", "certified_on": today().to_string(), "certifier_name": "王五"});
        let res = app.post(&format!("/api/v1/retirees/{r_jailed}/dependents/{jailed}/certifications"), "hongshan", &cert).await.expect(201);
        assert_eq!(res.body["extended"], true);
        assert_eq!(res.body["resumption"], Value::Null);
        assert_eq!(res.body["dependent"]["support_status"], "suspended");

        // Death: the approved support is paid through November and ends; a registered dependant is no longer
        // supported; both recorded as stopped from December, from the feed.
        let b = feed(app, "death", "death-1", &[(&dead_id, "2026-11-20"), (&registered_id, "2026-11-25")]).await;
        assert_eq!([&b["matched"], &b["applied"], &b["dependents_stopped"], &b["unmatched"]], [&json!(2), &json!(2), &json!(2), &json!(0)], "{b}");
        let batch = b["id"].as_i64().unwrap();
        let s = app.get(&format!("/api/v1/dependent-support/{dead_support}"), "siming").await.expect(200).body;
        assert_eq!((s["status"].clone(), s["end_reason"].clone(), s["support_until"].clone()), (json!("terminated"), json!("died"), json!("2026-11")));
        for (retiree, dep) in [(r_dead, dead), (r_alive, registered)] {
            assert_eq!(dependant_row(app, dep), (false, None));
            assert_eq!(support_status(app, retiree, dep).await, "not_supported");
            assert_eq!(changes(app, dep), [("stopped".to_owned(), "suspected_death".to_owned(), date!(2026 - 12 - 01), "feed".to_owned(), Some(batch))]);
        }
        let stopped: i64 = dependent_support::table.filter(dependent_support::status.eq("terminated")).count().get_result(&mut *app.conn()).unwrap();
        assert_eq!(stopped, 1);
        assert_eq!(app.audit_count("dependent.support.stop"), 2);
        // Events like a retiree's: one per change (suspended, stopped twice).
        let events = support_events(app).await;
        let seen: Vec<(Value, Value)> = events.iter().map(|e| (e["payload"]["to_status"].clone(), e["payload"]["source"].clone())).collect();
        assert_eq!(seen, [(json!("suspended"), json!("feed")), (json!("stopped"), json!("feed")), (json!("stopped"), json!("feed"))], "{events:?}");
    }
}
