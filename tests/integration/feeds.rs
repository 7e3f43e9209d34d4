//! Feeds from the data platform (信息比对, issue 5): data comparison certifies and resumes (XM Art. 15(1), CS Art.
//! 27, 32(1)), death and imprisonment records suspend (CS Art. 32), unmatched records are reported, batches are
//! idempotent and all or nothing.

use diesel::prelude::*;
use persistence::schema::{
    audit_log, certification_tasks, certifications, feed_unmatched, pension_status_changes, retirees,
};
use serde_json::{Value, json};
use time::macros::date;
use time::{Date, Duration};

use crate::both_backends;
use crate::helpers::*;

const NDJSON: &str = "application/x-ndjson";

/// Registers a person in `community` as `login`; returns (id, resident ID).
async fn person(app: &TestApp, login: &str, community: &str, seq: u16) -> (i64, String) {
    let body = retiree_body(community, seq);
    let created = app.create_retiree(login, &body).await;
    (created["id"].as_i64().unwrap(), body["id_number"].as_str().unwrap().to_owned())
}

/// Sets a person's status and validity directly.
fn set_state(app: &TestApp, id: i64, status: &str, reason: Option<&str>, from: Option<Date>, until: Date) {
    diesel::update(retirees::table.find(id))
        .set((
            retirees::pension_status.eq(status),
            retirees::suspension_reason.eq(reason),
            retirees::suspended_from.eq(from),
            retirees::certified_until.eq(until),
            retirees::status_run_id.eq(if reason == Some("certification_overdue") { Some(1_i64) } else { None }),
        ))
        .execute(&mut *app.conn())
        .unwrap();
}

/// from/to status and reason, effective month, source, source_ref, operator, back-pay months and fen.
type Change =
    (String, Option<String>, String, Option<String>, Date, String, Option<i64>, String, Option<i32>, Option<i64>);
/// id, method, data source, provider, reference, date, valid until, source, source_ref, operator.
type Cert = (i64, String, Option<String>, Option<String>, Option<String>, Date, Date, String, Option<i64>, String);
/// from/to status and reason, effective month, back-pay months, note.
type SuspensionChange = (String, Option<String>, String, Option<String>, Date, Option<i32>, Option<String>);

type State = (String, Option<String>, Option<Date>, Date, Option<Date>, i64, Option<i64>);

fn state(app: &TestApp, id: i64) -> State {
    retirees::table
        .find(id)
        .select((
            retirees::pension_status,
            retirees::suspension_reason,
            retirees::suspended_from,
            retirees::certified_until,
            retirees::last_certified_on,
            retirees::version,
            retirees::status_run_id,
        ))
        .first(&mut *app.conn())
        .unwrap()
}

fn line(id_number: &str, date: &str, source: &str, reference: Option<&str>) -> String {
    let mut v = json!({"id_number": id_number, "date": date, "source": source});
    if let Some(r) = reference {
        v["reference"] = json!(r);
    }
    format!("{v}\n")
}

/// Posts a feed body as `token`.
async fn send(app: &TestApp, token: &str, kind: &str, batch: &str, content_type: &str, body: &[u8]) -> Resp {
    let path = format!("/api/v1/feeds/{kind}?batch_id={batch}");
    app.request("POST", &path, Some(token), &[("Content-Type", content_type)], Some(body.to_vec())).await
}

fn masked(id: &str) -> String {
    format!("{}********{}", &id[..6], &id[14..])
}

/// An unregistered but valid resident ID.
fn stranger(seq: u16) -> String {
    id_number("350206", "19480202", seq)
}

fn today() -> Date {
    crate::helpers::today()
}

both_backends! {
    async fn a_medical_visit_resumes_an_overdue_suspension_with_exact_back_pay(app: &TestApp) {
        let (id, idn) = person(app, "siming", "350203001001", 1).await;
        // CS Art. 32(1): suspended from March 2026 for an overdue certification (valid through February).
        set_state(app, id, "suspended", Some("certification_overdue"), Some(date!(2026 - 03 - 01)), date!(2026 - 02 - 28));
        let version = state(app, id).5;
        // A home-visit task was open for the person (XM Art. 15(3)).
        diesel::insert_into(certification_tasks::table)
            .values((
                certification_tasks::retiree_id.eq(id),
                certification_tasks::community_code.eq("350203001001"),
                certification_tasks::barrier.eq("bedridden"),
                certification_tasks::due_on.eq(date!(2026 - 02 - 28)),
                certification_tasks::status.eq("open"),
                certification_tasks::created_by.eq("test"),
                certification_tasks::created_at.eq(persistence::now_utc()),
            ))
            .execute(&mut *app.conn())
            .unwrap();
        // XM Art. 15(1), CS Art. 27: a medical visit in July certifies by data comparison.
        let body = line(&idn, "2026-07-15", "厦门市医保平台", Some("MV-0001")) + &line(&stranger(1), "2026-07-15", "厦门市医保平台", None);
        let token = app.token("platform");
        let res = send(app, &token, "medical_visit", "his-1", NDJSON, body.as_bytes()).await.expect(201);
        let b = &res.body;
        let batch = b["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/feeds/medical_visit/batches/{batch}").as_str()));
        assert_eq!(
            [&b["records"], &b["matched"], &b["applied"], &b["unmatched"], &b["rejected"], &b["certified"], &b["resumed"], &b["suspended"]],
            [&json!(2), &json!(1), &json!(1), &json!(1), &json!(0), &json!(1), &json!(1), &json!(0)],
            "{b}"
        );
        assert_eq!(b["kind"], "medical_visit");
        assert_eq!(b["batch_id"], "his-1");
        assert_eq!(b["not_applied"], json!({}));
        // The unmatched record is reported with its line, masked, not dropped.
        assert_eq!(b["unmatched_items"], json!([{"line": 2, "id_number": masked(&stranger(1)), "reason": "not_found"}]));
        // Resumed, valid for one period from the visit (CS Art. 16(2)), version bumped once, run mark cleared.
        assert_eq!(
            state(app, id),
            ("normal".into(), None, None, date!(2027 - 07 - 15), Some(date!(2026 - 07 - 15)), version + 1, None)
        );
        // CS Art. 32(1): March to June paid back: exactly 4 × 3500.00 yuan.
        let change: Change =
            pension_status_changes::table
                .filter(pension_status_changes::retiree_id.eq(id))
                .select((
                    pension_status_changes::from_status,
                    pension_status_changes::from_reason,
                    pension_status_changes::to_status,
                    pension_status_changes::reason,
                    pension_status_changes::effective_month,
                    pension_status_changes::source,
                    pension_status_changes::source_ref,
                    pension_status_changes::operator,
                    pension_status_changes::back_pay_months,
                    pension_status_changes::back_pay_fen,
                ))
                .first(&mut *app.conn())
                .unwrap();
        assert_eq!(
            change,
            (
                "suspended".into(),
                Some("certification_overdue".into()),
                "normal".into(),
                Some("certification_overdue".into()),
                date!(2026 - 07 - 01),
                "feed".into(),
                Some(batch),
                "platform".into(),
                Some(4),
                Some(1_400_000)
            )
        );
        // The certification: data comparison, its source and record id (XM Art. 15(1)).
        let cert: Cert =
            certifications::table
                .filter(certifications::retiree_id.eq(id))
                .select((
                    certifications::id,
                    certifications::method,
                    certifications::data_source,
                    certifications::provider,
                    certifications::provider_reference,
                    certifications::certified_on,
                    certifications::valid_until,
                    certifications::source,
                    certifications::source_ref,
                    certifications::operator,
                ))
                .first(&mut *app.conn())
                .unwrap();
        assert_eq!(
            (&cert.1[..], cert.2.as_deref(), cert.3.as_deref(), cert.4.as_deref(), cert.5, cert.6, &cert.7[..], cert.8, &cert.9[..]),
            ("data_comparison", Some("medical_visit"), Some("厦门市医保平台"), Some("MV-0001"), date!(2026 - 07 - 15),
                date!(2027 - 07 - 15), "feed", Some(batch), "platform")
        );
        // The certification closed the open home-visit task.
        let task: (String, Option<i64>) = certification_tasks::table
            .filter(certification_tasks::retiree_id.eq(id))
            .select((certification_tasks::status, certification_tasks::certification_id))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!(task, ("done".into(), Some(cert.0)));
        // The unmatched line is stored masked; one audit entry for the batch.
        let stored: Vec<(i64, String, String)> = feed_unmatched::table
            .filter(feed_unmatched::feed_batch_id.eq(batch))
            .select((feed_unmatched::line, feed_unmatched::id_number, feed_unmatched::reason))
            .load(&mut *app.conn())
            .unwrap();
        assert_eq!(stored, vec![(2, masked(&stranger(1)), "not_found".to_owned())]);
        assert_eq!(app.audit_count("feed.medical_visit"), 1);
        let detail: Option<String> = audit_log::table
            .filter(audit_log::action.eq("feed.medical_visit"))
            .select(audit_log::detail)
            .first(&mut *app.conn())
            .unwrap();
        let detail: Value = serde_json::from_str(&detail.unwrap()).unwrap();
        assert_eq!((detail["records"].as_i64(), detail["unmatched"].as_i64(), detail["resumed"].as_i64()), (Some(2), Some(1), Some(1)));
        assert!(!detail.to_string().contains(&idn), "no resident ID in clear in the audit log");
        // The batch reads back as answered; its unmatched lines page.
        let read = app.request("GET", &format!("/api/v1/feeds/medical_visit/batches/{batch}"), Some(&token), &[], None).await.expect(200);
        assert_eq!(read.body, res.body);
        let lines = app.request("GET", &format!("/api/v1/feeds/medical_visit/batches/{batch}/unmatched"), Some(&token), &[], None).await.expect(200);
        assert_eq!(lines.body["items"], b["unmatched_items"]);
        let list = app.get("/api/v1/feeds/medical_visit/batches", "city").await.expect(200);
        assert_eq!(list.body["items"][0]["id"], batch);
        assert_eq!(list.body["items"][0]["submitted_by"], "platform");
        // Another kind's path does not show it.
        app.request("GET", &format!("/api/v1/feeds/travel/batches/{batch}"), Some(&token), &[], None).await.problem(404, "not_found");
    }

    async fn a_newer_record_moves_the_validity_and_older_ones_change_nothing(app: &TestApp) {
        let (id, idn) = person(app, "siming", "350203001001", 2).await;
        // CS Art. 16(2): the certification on file is valid through 30 June 2026.
        set_state(app, id, "normal", None, None, date!(2026 - 06 - 30));
        let version = state(app, id).5;
        let token = app.token("platform");
        // XM Art. 15(1): two trips of the same person; the later one certifies, the other is superseded.
        let body = line(&idn, "2026-05-01", "12306", None) + &line(&idn, "2026-08-01", "12306", Some("T-9"));
        let res = send(app, &token, "travel", "trips-1", NDJSON, body.as_bytes()).await.expect(201);
        assert_eq!((res.body["matched"].as_i64(), res.body["applied"].as_i64()), (Some(2), Some(1)), "{}", res.text);
        assert_eq!(res.body["not_applied"], json!({"superseded": 1}));
        assert_eq!(state(app, id), ("normal".into(), None, None, date!(2027 - 08 - 01), Some(date!(2026 - 08 - 01)), version + 1, None));
        // A record older than the certification on file (sent late) is matched but changes nothing.
        let res = send(app, &token, "insurance_use", "ins-1", NDJSON, line(&idn, "2026-07-01", "医保", None).as_bytes()).await.expect(201);
        assert_eq!((res.body["matched"].as_i64(), res.body["applied"].as_i64()), (Some(1), Some(0)));
        assert_eq!(res.body["not_applied"], json!({"stale": 1}));
        assert_eq!(state(app, id).3, date!(2027 - 08 - 01));
        assert_eq!(state(app, id).5, version + 1);
        assert_eq!(certifications::table.filter(certifications::retiree_id.eq(id)).count().get_result::<i64>(&mut *app.conn()).unwrap(), 1);
        // A paid pension certified is no status change.
        assert_eq!(app.count("pension_status_changes"), 0);
        // A stopped pension is not certified.
        set_state(app, id, "stopped", None, None, date!(2026 - 06 - 30));
        let res = send(app, &token, "travel", "trips-2", NDJSON, line(&idn, "2026-09-01", "12306", None).as_bytes()).await.expect(201);
        assert_eq!(res.body["not_applied"], json!({"pension_stopped": 1}));
        assert_eq!(state(app, id).3, date!(2026 - 06 - 30));
    }

    async fn records_outside_the_callers_subtree_are_unmatched(app: &TestApp) {
        let (siming_id, siming_idn) = person(app, "siming", "350203001001", 3).await;
        let (huli_id, huli_idn) = person(app, "huli", "350206001001", 4).await;
        for id in [siming_id, huli_id] {
            set_state(app, id, "normal", None, None, date!(2026 - 01 - 31));
        }
        // A data-platform account bound to Siming district: a Huli person is as unknown as nobody.
        let token = platform_at(app, "siming_platform", "350203");
        let body = line(&siming_idn, "2026-07-15", "HIS", None)
            + "\n"
            + &line(&huli_idn, "2026-07-15", "HIS", None)
            + &line(&stranger(2), "2026-07-15", "HIS", None);
        let res = send(app, &token, "medical_visit", "scoped-1", NDJSON, body.as_bytes()).await.expect(201);
        assert_eq!((res.body["records"].as_i64(), res.body["matched"].as_i64(), res.body["unmatched"].as_i64()), (Some(3), Some(1), Some(2)));
        assert_eq!(
            res.body["unmatched_items"],
            json!([{"line": 3, "id_number": masked(&huli_idn), "reason": "not_found"},
                   {"line": 4, "id_number": masked(&stranger(2)), "reason": "not_found"}])
        );
        assert_eq!(state(app, siming_id).3, date!(2027 - 07 - 15));
        assert_eq!(state(app, huli_id).3, date!(2026 - 01 - 31));
        let batch = res.body["id"].as_i64().unwrap();
        // The city's platform account sees the batch; one bound to Huli does not.
        app.request("GET", &format!("/api/v1/feeds/medical_visit/batches/{batch}"), Some(&app.token("platform")), &[], None).await.expect(200);
        let huli = platform_at(app, "huli_platform", "350206");
        app.request("GET", &format!("/api/v1/feeds/medical_visit/batches/{batch}"), Some(&huli), &[], None).await.problem(404, "not_found");
        let list = app.request("GET", "/api/v1/feeds/medical_visit/batches", Some(&huli), &[], None).await.expect(200);
        assert_eq!(list.body["items"], json!([]));
        // Replaying the batch is for those who may see it.
        send(app, &huli, "medical_visit", "scoped-1", NDJSON, body.as_bytes()).await.problem(422, "batch_id_reused");
    }

    async fn a_replayed_batch_answers_the_same_and_writes_nothing_twice(app: &TestApp) {
        let (id, idn) = person(app, "siming", "350203001001", 5).await;
        set_state(app, id, "suspended", Some("certification_overdue"), Some(date!(2026 - 03 - 01)), date!(2026 - 02 - 28));
        let token = app.token("platform");
        let body = line(&idn, "2026-07-15", "HIS", None) + &line(&stranger(3), "2026-07-15", "HIS", None);
        let first = send(app, &token, "medical_visit", "again", NDJSON, body.as_bytes()).await.expect(201);
        let after_first = state(app, id);
        let counts = |app: &TestApp| {
            let tables = ["feed_batches", "feed_unmatched", "certifications", "pension_status_changes"].map(|t| app.count(t));
            (tables, app.audit_count("feed.medical_visit"))
        };
        let before = counts(app);
        let second = send(app, &token, "medical_visit", "again", NDJSON, body.as_bytes()).await.expect(200);
        assert_eq!(second.body, first.body);
        assert_eq!(second.header("idempotent-replayed"), Some("true"));
        assert_eq!(second.header("location"), first.header("location"));
        assert_eq!(counts(app), before);
        assert_eq!(state(app, id), after_first);
        // The same batch id with other content is refused; nothing written.
        let other = line(&idn, "2026-07-16", "HIS", None);
        let res = send(app, &token, "medical_visit", "again", NDJSON, other.as_bytes()).await.problem(422, "batch_id_reused");
        assert_eq!(res.first_field(), "batch_id");
        assert_eq!(counts(app), before);
        // Batch ids are per kind.
        send(app, &token, "travel", "again", NDJSON, other.as_bytes()).await.expect(201);
        assert_eq!(app.count("feed_batches"), 2);
    }

    async fn a_death_record_suspends_pending_verification(app: &TestApp) {
        let (alive, alive_idn) = person(app, "siming", "350203001001", 6).await;
        let (jailed, jailed_idn) = person(app, "siming", "350203001001", 7).await;
        let (stopped, stopped_idn) = person(app, "siming", "350203001001", 8).await;
        set_state(app, jailed, "suspended", Some("imprisoned"), Some(date!(2026 - 01 - 01)), date!(2027 - 01 - 01));
        set_state(app, stopped, "stopped", None, None, date!(2027 - 01 - 01));
        let version = state(app, alive).5;
        let body = line(&alive_idn, "2026-05-31", "民政殡葬系统", Some("D-1"))
            + &line(&jailed_idn, "2026-05-31", "民政殡葬系统", None)
            + &line(&stopped_idn, "2026-05-31", "民政殡葬系统", None);
        let res = send(app, &app.token("platform"), "death", "deaths-1", NDJSON, body.as_bytes()).await.expect(201);
        assert_eq!((res.body["matched"].as_i64(), res.body["applied"].as_i64(), res.body["suspended"].as_i64()), (Some(3), Some(1), Some(1)));
        assert_eq!(res.body["not_applied"], json!({"already_suspended": 1, "pension_stopped": 1}));
        // CS Art. 32; domain brief §7: the pension stops from the month after death; until the death is verified
        // it is suspended.
        let s = state(app, alive);
        assert_eq!((s.0.as_str(), s.1.as_deref(), s.2, s.5), ("suspended", Some("suspected_death"), Some(date!(2026 - 06 - 01)), version + 1));
        let change: SuspensionChange = pension_status_changes::table
            .filter(pension_status_changes::retiree_id.eq(alive))
            .select((
                pension_status_changes::from_status,
                pension_status_changes::from_reason,
                pension_status_changes::to_status,
                pension_status_changes::reason,
                pension_status_changes::effective_month,
                pension_status_changes::back_pay_months,
                pension_status_changes::note,
            ))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!((&change.0[..], change.1, &change.2[..], change.3.as_deref(), change.4, change.5),
            ("normal", None, "suspended", Some("suspected_death"), date!(2026 - 06 - 01), None));
        // The date of death stays on record for the verification.
        let note: Value = serde_json::from_str(&change.6.unwrap()).unwrap();
        assert_eq!((note["date"].as_str(), note["reference"].as_str()), (Some("2026-05-31"), Some("D-1")));
        assert_eq!(state(app, jailed).1.as_deref(), Some("imprisoned"));
        assert_eq!(state(app, stopped).0, "stopped");
        assert_eq!(app.count("pension_status_changes"), 1);
        assert_eq!(app.count("certifications"), 0);
        // The suspected death is handed to the death workflow: one report to verify (reporter `feed`).
        assert_eq!(res.body["death_reports"], 1);
        assert_eq!(app.count("death_reports"), 1);
    }

    async fn an_imprisonment_record_suspends_from_the_month_the_sentence_starts(app: &TestApp) {
        let (id, idn) = person(app, "siming", "350203001001", 9).await;
        let res = send(app, &app.token("city"), "imprisonment", "court-1", NDJSON, line(&idn, "2026-09-10", "法院", None).as_bytes())
            .await
            .expect(201);
        assert_eq!(res.body["suspended"], 1);
        // CS Art. 32(3): "被判刑收监执行的", from the month the sentence starts.
        let s = state(app, id);
        assert_eq!((s.0.as_str(), s.1.as_deref(), s.2), ("suspended", Some("imprisoned"), Some(date!(2026 - 09 - 01))));
        let (effective, operator): (Date, String) = pension_status_changes::table
            .filter(pension_status_changes::retiree_id.eq(id))
            .select((pension_status_changes::effective_month, pension_status_changes::operator))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!((effective, operator.as_str()), (date!(2026 - 09 - 01), "city"));
        // A certification does not end an imprisonment (CS Art. 32(1) cures only the overdue certification):
        // the visit is recorded, the pension stays suspended.
        set_state(app, id, "suspended", Some("imprisoned"), Some(date!(2026 - 09 - 01)), date!(2026 - 06 - 30));
        let res = send(app, &app.token("platform"), "medical_visit", "prison-hospital", NDJSON, line(&idn, "2026-10-01", "HIS", None).as_bytes())
            .await
            .expect(201);
        assert_eq!((res.body["certified"].as_i64(), res.body["resumed"].as_i64()), (Some(1), Some(0)));
        let s = state(app, id);
        assert_eq!((s.0.as_str(), s.1.as_deref(), s.3), ("suspended", Some("imprisoned"), date!(2027 - 10 - 01)));
    }

    async fn a_malformed_line_refuses_the_whole_batch(app: &TestApp) {
        let (id, idn) = person(app, "siming", "350203001001", 10).await;
        set_state(app, id, "normal", None, None, date!(2026 - 01 - 31));
        let mut bad_check = idn.clone();
        bad_check.replace_range(17.., if idn.ends_with('1') { "2" } else { "1" });
        let body = line(&idn, "2026-07-15", "HIS", None)
            + &line(&bad_check, "2026-07-15", "HIS", None)
            + &line(&stranger(4), "2026-02-30", "HIS", None)
            + &format!("{}\n", json!({"id_number": stranger(5), "date": "2026-07-15"}))
            + "not json\n"
            + &format!("{}\n", json!({"id_number": stranger(6), "date": "2026-07-15", "source": "HIS", "colour": "red"}));
        let res = send(app, &app.token("platform"), "medical_visit", "broken", NDJSON, body.as_bytes()).await.problem(422, "validation_failed");
        assert_eq!(
            row_errors(&res.body),
            vec![
                err(2, "id_number", "id_number_checksum"),
                err(3, "date", "invalid_date"),
                err(4, "source", "required"),
                err(5, "row", "invalid_json"),
                err(6, "colour", "unknown_field"),
            ]
        );
        // Nothing of the batch was written, not even the good line.
        assert_eq!(state(app, id).3, date!(2026 - 01 - 31));
        for table in ["feed_batches", "feed_unmatched", "certifications", "pension_status_changes"] {
            assert_eq!(app.count(table), 0, "{table}");
        }
        assert_eq!(app.audit_count("feed.medical_visit"), 0);
        // Corrected, the batch goes through under the same batch id.
        let res = send(app, &app.token("platform"), "medical_visit", "broken", NDJSON, line(&idn, "2026-07-15", "HIS", None).as_bytes())
            .await
            .expect(201);
        assert_eq!(res.body["applied"], 1);
    }

    async fn records_dated_in_the_future_are_rejected_per_line(app: &TestApp) {
        let (id, idn) = person(app, "siming", "350203001001", 11).await;
        let before = state(app, id);
        let tomorrow = (today() + Duration::days(1)).to_string();
        let body = line(&idn, &tomorrow, "HIS", None) + &line(&stranger(7), &tomorrow, "HIS", None);
        let res = send(app, &app.token("platform"), "travel", "future", NDJSON, body.as_bytes()).await.expect(201);
        assert_eq!((res.body["records"].as_i64(), res.body["matched"].as_i64(), res.body["rejected"].as_i64()), (Some(2), Some(0), Some(2)));
        assert_eq!(
            res.body["rejected_items"],
            json!([{"line": 1, "id_number": masked(&idn), "reason": "date_in_future"},
                   {"line": 2, "id_number": masked(&stranger(7)), "reason": "date_in_future"}])
        );
        assert_eq!(res.body["unmatched_items"], json!([]));
        assert_eq!(state(app, id), before);
    }

    async fn csv_in_gb18030_with_chinese_headers(app: &TestApp) {
        let (id, idn) = person(app, "siming", "350203001001", 12).await;
        set_state(app, id, "normal", None, None, date!(2026 - 01 - 31));
        // As Excel saves it on Chinese Windows: GB18030, CRLF.
        let text = format!("公民身份号码,日期,来源,编号\r\n{idn},2026-07-15,厦门市医保平台,医保-1\r\n{},2026-07-15,厦门市医保平台,\r\n", stranger(8));
        let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
        let res = send(app, &app.token("platform"), "insurance_use", "csv-1", "text/csv", &bytes).await.expect(201);
        assert_eq!((res.body["applied"].as_i64(), res.body["unmatched"].as_i64()), (Some(1), Some(1)), "{}", res.text);
        // The header is line 1.
        assert_eq!(res.body["unmatched_items"][0]["line"], 3);
        let provider: (Option<String>, Option<String>) = certifications::table
            .filter(certifications::retiree_id.eq(id))
            .select((certifications::provider, certifications::provider_reference))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!(provider, (Some("厦门市医保平台".into()), Some("医保-1".into())));
        // A misspelt column refuses the batch.
        let res = send(app, &app.token("platform"), "insurance_use", "csv-2", "text/csv", b"id_number,day,source\n").await;
        let res = res.problem(422, "validation_failed");
        assert!(row_errors(&res.body).contains(&err(1, "header", "unknown_column")), "{}", res.text);
    }

    async fn refusals(app: &TestApp) {
        let body = line(&stranger(9), "2026-07-15", "HIS", None);
        // feed.submit is for the data platform and the city centre (docs/roles.md).
        send(app, &app.token("siming"), "medical_visit", "r-1", NDJSON, body.as_bytes()).await.problem(403, "forbidden");
        app.get("/api/v1/feeds/medical_visit/batches", "siming").await.problem(403, "forbidden");
        let token = app.token("platform");
        send(app, &token, "births", "r-1", NDJSON, body.as_bytes()).await.problem(404, "not_found");
        send(app, &token, "medical_visit", "r-1", "application/json", body.as_bytes()).await.problem(415, "unsupported_media_type");
        let res = app
            .request("POST", "/api/v1/feeds/medical_visit", Some(&token), &[("Content-Type", NDJSON)], Some(body.clone().into_bytes()))
            .await
            .problem(422, "required");
        assert_eq!(res.first_field(), "batch_id");
        send(app, &token, "medical_visit", &"b".repeat(101), NDJSON, body.as_bytes()).await.problem(422, "length");
        send(app, &token, "medical_visit", "r-1", NDJSON, b"").await.problem(422, "empty_file");
        assert_eq!(app.count("feed_batches"), 0);
        // Bodies over the limit are 413.
        let small = TestApp::spawn(app.backend, &[("IMPORT_BODY_LIMIT_BYTES", "1024")]).await.unwrap();
        let big = body.repeat(30);
        send(&small, &small.token("platform"), "medical_visit", "big", NDJSON, big.as_bytes()).await.problem(413, "payload_too_large");
        small.finish().await;
    }
}
