//! Certification runs (issue 5): `POST /api/v1/certification-runs` suspends, set-based, everybody whose
//! certification lapsed before the as-of date (CS Art. 32(1): a pension is suspended when the certification is
//! not done in time; CS Art. 16(2): at least once a year), idempotently and safely when two replicas run at once;
//! counts per jurisdiction and outcome; the list is read back.

use diesel::prelude::*;
use persistence::schema::{certification_tasks, pension_status_changes, retirees};
use serde_json::{Value, json};
use time::{Date, Duration};

use crate::both_backends;
use crate::helpers::{Resp, TestApp, retiree_body};

const RUNS: &str = "/api/v1/certification-runs";

fn today() -> Date {
    crate::helpers::today()
}

fn first_of_month(d: Date) -> Date {
    d.replace_day(1).unwrap()
}

/// Registers a person in `community` as `login` and returns the id.
async fn person(app: &TestApp, login: &str, community: &str, seq: u16) -> i64 {
    app.create_retiree(login, &retiree_body(community, seq)).await["id"].as_i64().unwrap()
}

/// Sets the last valid day of a person's certification directly in the database.
fn valid_until(app: &TestApp, id: i64, until: Date) {
    diesel::update(retirees::table.find(id))
        .set(retirees::certified_until.eq(until))
        .execute(&mut *app.conn())
        .unwrap();
}

/// Suspends a person directly in the database for `reason` (a cause other than the certification).
fn suspend_directly(app: &TestApp, id: i64, reason: &str) {
    diesel::update(retirees::table.find(id))
        .set((retirees::pension_status.eq("suspended"), retirees::suspension_reason.eq(reason)))
        .execute(&mut *app.conn())
        .unwrap();
}

/// (status, reason, suspended_from, status_run_id, version) of a person.
type State = (String, Option<String>, Option<Date>, Option<i64>, i64);

fn state(app: &TestApp, id: i64) -> State {
    retirees::table
        .find(id)
        .select((
            retirees::pension_status,
            retirees::suspension_reason,
            retirees::suspended_from,
            retirees::status_run_id,
            retirees::version,
        ))
        .first(&mut *app.conn())
        .unwrap()
}

/// Status changes recorded for a person.
fn changes_of(app: &TestApp, id: i64) -> i64 {
    pension_status_changes::table
        .filter(pension_status_changes::retiree_id.eq(id))
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

async fn run(app: &TestApp, login: &str, body: Value) -> Resp {
    app.post(RUNS, login, &body).await
}

fn counts(body: &Value) -> (i64, i64, i64) {
    let c = &body["counts"];
    (c["suspended"].as_i64().unwrap(), c["already_suspended"].as_i64().unwrap(), c["tasks_created"].as_i64().unwrap())
}

/// (code, suspended, already_suspended) of each entry of `by_jurisdiction`.
fn by_jurisdiction(body: &Value) -> Vec<(String, i64, i64)> {
    body["by_jurisdiction"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["code"].as_str().unwrap().to_owned(),
                n["suspended"].as_i64().unwrap(),
                n["already_suspended"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// (retiree_id, outcome) of a run's items, all pages.
async fn items(app: &TestApp, login: &str, id: i64, query: &str) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("{RUNS}/{id}/items?limit=2{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(&path, login).await.expect(200).body;
        for i in page["items"].as_array().unwrap() {
            assert!(i.get("id_number").is_none(), "no resident ID in a run's list: {i}");
            out.push((i["retiree_id"].as_i64().unwrap(), i["outcome"].as_str().unwrap().to_owned()));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    out
}

fn s(v: &str) -> String {
    v.to_owned()
}

both_backends! {
    async fn one_day_overdue_suspends_the_last_valid_day_does_not(app: &TestApp) {
        let as_of = today();
        let overdue = person(app, "siming", "350203001001", 1).await;
        let last_day = person(app, "siming", "350203001001", 2).await;
        // CS Art. 32(1): "未按规定时间参加资格认证" — overdue the day after the last valid day, not on it.
        valid_until(app, overdue, as_of - Duration::days(1));
        valid_until(app, last_day, as_of);
        let before = state(app, overdue).4;

        let res = run(app, "siming", json!({"jurisdiction": "350203", "as_of": as_of.to_string()})).await.expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("{RUNS}/{id}").as_str()));
        assert_eq!(res.body["jurisdiction"], "350203");
        assert_eq!(res.body["as_of"], as_of.to_string());
        assert_eq!(res.body["dry_run"], false);
        assert_eq!(res.body["actor"], "siming");
        assert_eq!(counts(&res.body), (1, 0, 0));

        // Suspended for the overdue certification from the first day of the as-of month, marked with the run.
        assert_eq!(
            state(app, overdue),
            (s("suspended"), Some(s("certification_overdue")), Some(first_of_month(as_of)), Some(id), before + 1)
        );
        assert_eq!(state(app, last_day).0, "normal");

        // The change is recorded like any other status change, with the run as its source.
        type Change = (String, Option<String>, String, Option<String>, Date, String, Option<i64>, String);
        let change: Change = pension_status_changes::table
            .filter(pension_status_changes::retiree_id.eq(overdue))
            .select((
                pension_status_changes::from_status,
                pension_status_changes::from_reason,
                pension_status_changes::to_status,
                pension_status_changes::reason,
                pension_status_changes::effective_month,
                pension_status_changes::source,
                pension_status_changes::source_ref,
                pension_status_changes::operator,
            ))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!(
            change,
            (
                s("normal"),
                None,
                s("suspended"),
                Some(s("certification_overdue")),
                first_of_month(as_of),
                s("run"),
                Some(id),
                s("siming")
            )
        );
        assert_eq!(app.count("pension_status_changes"), 1);
        // One audit entry for the run, not one per person.
        assert_eq!(app.audit_count("certification.run"), 1);

        // Read back: the run, the list, the runs of the subtree.
        let one = app.get(&format!("{RUNS}/{id}"), "siming").await.expect(200).body;
        // A run on the district is not the community's to see (its counts cover other communities).
        app.get(&format!("{RUNS}/{id}"), "hongshan").await.problem(404, "not_found");
        assert_eq!(one, res.body);
        assert_eq!(items(app, "siming", id, "").await, vec![(overdue, s("suspended"))]);
        let list = app.get(RUNS, "siming").await.expect(200).body;
        assert_eq!(list["items"][0]["id"], id);
    }

    async fn a_second_run_on_the_same_date_changes_nothing(app: &TestApp) {
        let as_of = today();
        let a = person(app, "siming", "350203001001", 1).await;
        let b = person(app, "siming", "350203003001", 2).await;
        valid_until(app, a, as_of - Duration::days(40));
        valid_until(app, b, as_of - Duration::days(1));
        let body = json!({"jurisdiction": "350203", "as_of": as_of.to_string()});
        let first = run(app, "siming", body.clone()).await.expect(201).body;
        assert_eq!(counts(&first).0, 2);
        let after_first = (state(app, a), state(app, b));

        // CS Art. 32(1): the suspension is made once; running again the same day finds nobody left to suspend.
        let second = run(app, "siming", body).await.expect(201).body;
        assert_ne!(second["id"], first["id"]);
        assert_eq!(counts(&second), (0, 0, 0));
        assert_eq!((state(app, a), state(app, b)), after_first, "nothing changed, not even the versions");
        assert_eq!(app.count("pension_status_changes"), 2);
        assert!(items(app, "siming", second["id"].as_i64().unwrap(), "").await.is_empty());
    }

    async fn two_concurrent_runs_suspend_each_person_once(app: &TestApp) {
        let as_of = today();
        let mut ids = Vec::new();
        for (n, community) in ["350203001001", "350203001004", "350203003001", "350206001001"].iter().cycle().take(12).enumerate() {
            let id = person(app, "city", community, n as u16 + 1).await;
            valid_until(app, id, as_of - Duration::days(n as i64 + 1));
            ids.push(id);
        }
        // Two replicas (two requests at once, a city run and a district run that overlap on 350203).
        let city = json!({"jurisdiction": "3502", "as_of": as_of.to_string()});
        let district = json!({"jurisdiction": "350203", "as_of": as_of.to_string()});
        let (x, y) = tokio::join!(run(app, "city", city), run(app, "siming", district));
        let (x, y) = (x.expect(201).body, y.expect(201).body);
        // CS Art. 32(1): each overdue person is suspended once, by whichever run came first.
        assert_eq!(counts(&x).0 + counts(&y).0, 12, "{x}\n{y}");
        assert_eq!(app.count("pension_status_changes"), 12);
        for id in ids {
            assert_eq!(changes_of(app, id), 1, "person {id}");
            assert_eq!(state(app, id).0, "suspended");
        }

        // Two identical runs at once: the second suspends nobody.
        let more = person(app, "siming", "350203001001", 50).await;
        valid_until(app, more, as_of - Duration::days(1));
        let body = json!({"jurisdiction": "350203", "as_of": as_of.to_string()});
        let (p, q) = tokio::join!(run(app, "siming", body.clone()), run(app, "siming", body));
        let (p, q) = (p.expect(201).body, q.expect(201).body);
        let mut got = [counts(&p).0, counts(&q).0];
        got.sort();
        assert_eq!(got, [0, 1]);
        assert_eq!(changes_of(app, more), 1);
        assert_eq!(app.count("certification_runs"), 4);
    }

    async fn a_dry_run_changes_nothing_and_lists(app: &TestApp) {
        let as_of = today();
        let would = person(app, "siming", "350203001001", 1).await;
        let imprisoned = person(app, "siming", "350203001004", 2).await;
        let fine = person(app, "siming", "350203003001", 3).await;
        valid_until(app, would, as_of - Duration::days(3));
        valid_until(app, imprisoned, as_of - Duration::days(3));
        valid_until(app, fine, as_of + Duration::days(200));
        suspend_directly(app, imprisoned, "imprisoned");
        let before: Vec<State> = [would, imprisoned, fine].iter().map(|id| state(app, *id)).collect();

        let dry = run(app, "siming", json!({"jurisdiction": "350203", "as_of": as_of.to_string(), "dry_run": true}))
            .await
            .expect(201)
            .body;
        assert_eq!(dry["dry_run"], true);
        // CS Art. 32(1): one would be suspended; the imprisoned person is overdue too but already suspended.
        assert_eq!(counts(&dry), (1, 1, 0));
        let after: Vec<State> = [would, imprisoned, fine].iter().map(|id| state(app, *id)).collect();
        assert_eq!(after, before, "a dry run changes nobody");
        assert_eq!(app.count("pension_status_changes"), 0);
        let dry_id = dry["id"].as_i64().unwrap();
        let mut listed = items(app, "siming", dry_id, "").await;
        listed.sort();
        let mut expected = vec![(would, s("would_suspend")), (imprisoned, s("already_suspended"))];
        expected.sort();
        assert_eq!(listed, expected);
        assert_eq!(app.count("certification_run_items"), 2);

        // The real run then does what the dry run said, and lists only whom it suspended.
        let real = run(app, "siming", json!({"jurisdiction": "350203", "as_of": as_of.to_string()})).await.expect(201).body;
        assert_eq!(counts(&real), (1, 1, 0));
        assert_eq!(items(app, "siming", real["id"].as_i64().unwrap(), "").await, vec![(would, s("suspended"))]);
        assert_eq!(state(app, imprisoned).1.as_deref(), Some("imprisoned"), "the other reason stays");
        assert_eq!(app.count("certification_run_items"), 2, "a real run keeps its list in the status changes");
    }

    async fn counts_by_jurisdiction(app: &TestApp) {
        let as_of = today();
        let late = as_of - Duration::days(1);
        for (n, community) in ["350203001001", "350203001001", "350203001004", "350203003001", "350206001001"].iter().enumerate() {
            let id = person(app, "city", community, n as u16 + 1).await;
            valid_until(app, id, late);
        }
        let suspended_elsewhere = person(app, "city", "350206001002", 9).await;
        valid_until(app, suspended_elsewhere, late);
        suspend_directly(app, suspended_elsewhere, "duplicate_receipt");

        // The district's dry run counts per street, every street listed.
        let district = run(app, "siming", json!({"jurisdiction": "350203", "as_of": as_of.to_string(), "dry_run": true}))
            .await
            .expect(201)
            .body;
        assert_eq!(by_jurisdiction(&district), vec![(s("350203001"), 3, 0), (s("350203003"), 1, 0)]);
        assert_eq!(district["by_jurisdiction"][0]["name"], "厦港街道");

        // The city's run counts per district.
        let city = run(app, "city", json!({"jurisdiction": "3502", "as_of": as_of.to_string()})).await.expect(201).body;
        assert_eq!(by_jurisdiction(&city), vec![(s("350203"), 4, 0), (s("350206"), 1, 1)]);
        assert_eq!(counts(&city), (5, 1, 0));
        let city_id = city["id"].as_i64().unwrap();
        assert_eq!(items(app, "city", city_id, "&community=350203001001").await.len(), 2);
        assert_eq!(items(app, "city", city_id, "&community=350206001001").await.len(), 1);
        app.get(&format!("{RUNS}/{city_id}/items?community=35x"), "city").await.problem(422, "jurisdiction_code_format");

        // A community run counts under the community itself.
        let community = run(app, "city", json!({"jurisdiction": "350206001002", "as_of": as_of.to_string(), "dry_run": true}))
            .await
            .expect(201)
            .body;
        assert_eq!(by_jurisdiction(&community), vec![(s("350206001002"), 0, 1)]);

        // Scope: the district sees its own runs only; the city's run is 404 to it.
        app.get(&format!("{RUNS}/{city_id}"), "siming").await.problem(404, "not_found");
        app.get(&format!("{RUNS}/{city_id}/items"), "siming").await.problem(404, "not_found");
        let mine: Vec<i64> = app.get(RUNS, "siming").await.expect(200).body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(mine, vec![district["id"].as_i64().unwrap()]);
        let all = app.get(&format!("{RUNS}?limit=2"), "city").await.expect(200).body;
        assert_eq!(all["items"].as_array().unwrap().len(), 2);
        let rest = app.get(&format!("{RUNS}?limit=2&cursor={}", all["next_cursor"].as_str().unwrap()), "city").await;
        assert_eq!(rest.expect(200).body["items"][0]["id"], district["id"]);
    }

    async fn home_visit_tasks_for_those_who_cannot_come(app: &TestApp) {
        // XM Art. 15(3): the bedridden are visited before they fall due (default reminder window 30 days).
        let as_of = today();
        let bedridden = person(app, "siming", "350203001001", 1).await;
        valid_until(app, bedridden, as_of + Duration::days(10));
        diesel::update(retirees::table.find(bedridden))
            .set(retirees::certification_barrier.eq("bedridden"))
            .execute(&mut *app.conn())
            .unwrap();
        let dry = run(app, "siming", json!({"as_of": as_of.to_string(), "dry_run": true})).await.expect(201).body;
        assert_eq!(dry["jurisdiction"], "350203", "default: the caller's node");
        assert_eq!(counts(&dry), (0, 0, 1));
        assert_eq!(app.count("certification_tasks"), 0, "a dry run creates no task");
        let real = run(app, "siming", json!({"as_of": as_of.to_string()})).await.expect(201).body;
        assert_eq!(counts(&real), (0, 0, 1));
        let created_by: String =
            certification_tasks::table.select(certification_tasks::created_by).first(&mut *app.conn()).unwrap();
        assert_eq!(created_by, format!("run:{}", real["id"]));
        let again = run(app, "siming", json!({"as_of": as_of.to_string()})).await.expect(201).body;
        assert_eq!(counts(&again), (0, 0, 0), "one open task per person");
    }

    async fn replays_and_refusals(app: &TestApp) {
        let as_of = today();
        let overdue = person(app, "siming", "350203001001", 1).await;
        valid_until(app, overdue, as_of - Duration::days(1));
        let body = json!({"jurisdiction": "350203", "as_of": as_of.to_string(), "dry_run": true});

        // Outside the caller's subtree, or absent: 422 on the field (docs/api-conventions.md).
        let r = run(app, "siming", json!({"jurisdiction": "350206"})).await.problem(422, "jurisdiction_not_found");
        assert_eq!(r.first_field(), "/jurisdiction");
        run(app, "siming", json!({"jurisdiction": "999999"})).await.problem(422, "jurisdiction_not_found");
        // Roles without certification.run (docs/roles.md): street, community, admin, auditor.
        for login in ["xiagang", "hongshan", "admin", "auditor"] {
            run(app, login, body.clone()).await.problem(403, "forbidden");
        }
        // Bad input.
        let tomorrow = (as_of + Duration::days(1)).to_string();
        let r = run(app, "siming", json!({"as_of": tomorrow})).await.problem(422, "as_of_in_future");
        assert_eq!(r.first_field(), "/as_of");
        let r = run(app, "siming", json!({"as_of": "2026-13-01"})).await.problem(422, "invalid_date");
        assert_eq!(r.first_field(), "/as_of");
        let r = run(app, "siming", json!({"as_of": as_of.to_string(), "force": true})).await.problem(422, "unknown_field");
        assert_eq!(r.first_field(), "/force");
        let r = run(app, "siming", json!({"dry_run": "yes"})).await.problem(422, "invalid_type");
        assert_eq!(r.first_field(), "/dry_run");
        // Nothing was written by any of them.
        assert_eq!(app.count("certification_runs"), 0);
        assert_eq!(app.audit_count("certification.run"), 0);
        assert_eq!(state(app, overdue).0, "normal");

        // Idempotency-Key: a replay answers the first run; another body with the key is refused.
        let first = app.post_with(RUNS, "siming", &body, &[("Idempotency-Key", "run-1")]).await.expect(201);
        let again = app.post_with(RUNS, "siming", &body, &[("Idempotency-Key", "run-1")]).await.expect(201);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.body, first.body);
        assert_eq!(app.count("certification_runs"), 1);
        let other = json!({"jurisdiction": "350203", "as_of": as_of.to_string()});
        app.post_with(RUNS, "siming", &other, &[("Idempotency-Key", "run-1")]).await.problem(422, "idempotency_key_reused");

        // Reads: unknown run 404, bad paging 422.
        app.get(&format!("{RUNS}/999999"), "siming").await.problem(404, "not_found");
        app.get(&format!("{RUNS}?limit=0"), "siming").await.problem(422, "limit_range");
        app.get(&format!("{RUNS}/1/items?cursor=zz"), "siming").await.problem(422, "invalid_cursor");
    }
}
