//! Issue 21.12: events and webhook attempts past their retention period are deleted in bounded batches, safely
//! from several replicas at once; a feed cursor older than what was deleted answers 410 `event_gone`.

use diesel::prelude::*;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn scalar(app: &TestApp, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<N>(&mut *app.conn()).unwrap().n
}

fn exec(app: &TestApp, sql: &str) {
    diesel::sql_query(sql).execute(&mut *app.conn()).unwrap();
}

fn settings(batch: i64) -> app::retention::Retention {
    app::retention::Retention {
        event_days: Some(30),
        webhook_attempt_days: Some(30),
        every: std::time::Duration::from_secs(3600),
        batch,
    }
}

/// Sweeps from `replicas` threads at once, each with its own connection; the total deleted.
fn sweep_concurrently(app: &TestApp, replicas: usize, batch: i64) -> app::retention::Swept {
    let handles: Vec<_> = (0..replicas)
        .map(|_| {
            let pool = app.pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                app::retention::sweep(&mut conn, persistence::now_utc(), &settings(batch)).unwrap()
            })
        })
        .collect();
    let mut total = app::retention::Swept::default();
    for h in handles {
        let s = h.join().unwrap();
        total.events += s.events;
        total.webhook_attempts += s.webhook_attempts;
    }
    total
}

both_backends! {
    async fn old_events_and_attempts_are_swept_and_an_old_cursor_is_gone(app: &TestApp) {
        for seq in 1..=6 {
            app.create_retiree("hongshan", &retiree_body("350203001001", 70 + seq)).await;
        }
        let total = app.count("events");
        assert!(total >= 6, "{total} events");
        // The oldest events, up to `old`, are past 30 days; one in the middle of them is not, so the sweep stops
        // before it (events go as a prefix of the ids: no holes a consumer could fall into).
        let first = scalar(app, "SELECT CAST(MIN(id) AS BIGINT) AS n FROM events");
        let old = first + 3;
        exec(app, &format!("UPDATE events SET occurred_at = '2020-01-01 00:00:00' WHERE id <= {}", old + 2));
        exec(app, &format!("UPDATE events SET occurred_at = '2026-12-01 00:00:00' WHERE id = {}", old + 1));
        // Delivery attempts: 5 old, 2 recent (an inactive subscription, which holds nothing back).
        let hook = app.post("/api/v1/webhooks", "platform", &json!({"url": "http://127.0.0.1:9/hook",
            "secret": "0123456789abcdef0123456789abcdef"})).await.expect(201);
        let hook_id = hook.body["id"].as_i64().unwrap();
        exec(app, &format!("UPDATE webhooks SET active = false WHERE id = {hook_id}"));
        for (i, at) in ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04", "2020-01-05", "2026-12-05", "2026-12-06"]
            .iter()
            .enumerate()
        {
            exec(app, &format!(
                "INSERT INTO webhook_attempts (webhook_id, event_id, event_type, attempt, attempted_at, outcome, \
                 duration_ms, replica) VALUES ({hook_id}, {first}, 'retiree.created', {}, '{at} 00:00:00', 'failed', 1, 't')",
                i + 1
            ));
        }
        // Two replicas at once, batches of 2: everything due goes once, nothing else.
        let swept = sweep_concurrently(app, 2, 2);
        assert_eq!(swept.events as i64, old - first + 1);
        assert_eq!(swept.webhook_attempts, 5);
        assert_eq!(app.count("events"), total - (old - first + 1));
        assert_eq!(scalar(app, "SELECT CAST(MIN(id) AS BIGINT) AS n FROM events"), old + 1);
        assert_eq!(app.count("webhook_attempts"), 2);
        assert_eq!(scalar(app, "SELECT up_to AS n FROM retention_marks WHERE name = 'events'"), old);
        // A second sweep finds nothing more.
        assert_eq!(sweep_concurrently(app, 1, 2), app::retention::Swept::default());
        // The feed: a cursor below the mark has a gap: 410 event_gone; at the mark, or from 0, it reads on.
        app.get(&format!("/api/v1/events?after={first}"), "platform").await.problem(410, "event_gone");
        app.get(&format!("/api/v1/events?after={}", old - 1), "platform").await.problem(410, "event_gone");
        let at_mark = app.get(&format!("/api/v1/events?after={old}"), "platform").await.expect(200);
        assert_eq!(at_mark.body["items"][0]["id"], old + 1);
        let from_start = app.get("/api/v1/events", "platform").await.expect(200);
        assert_eq!(from_start.body["items"][0]["id"], old + 1);

        // A webhook may not start below the mark either: it would skip the deleted events without knowing.
        let hooks = app.count("webhooks");
        app.post("/api/v1/webhooks", "platform", &json!({"url": "http://127.0.0.1:9/gone",
            "secret": "0123456789abcdef0123456789abcdef", "after": first})).await.problem(410, "event_gone");
        assert_eq!(app.count("webhooks"), hooks, "a refused subscription is not stored");
        app.post("/api/v1/webhooks", "platform", &json!({"url": "http://127.0.0.1:9/kept",
            "secret": "0123456789abcdef0123456789abcdef", "after": old})).await.expect(201);
        // Nor be replayed from below it; the subscription's cursor stays where it was.
        let state = app.get(&format!("/api/v1/webhooks/{hook_id}"), "platform").await.expect(200);
        let (cursor, version) = (state.body["cursor"].clone(), state.header("etag").unwrap().to_owned());
        let token = app.token("platform");
        let replay = |after: i64| {
            let body = format!(r#"{{"after": {after}}}"#).into_bytes();
            let (token, version) = (token.clone(), version.clone());
            async move {
                app.request("POST", &format!("/api/v1/webhooks/{hook_id}/replay"), Some(&token),
                    &[("Content-Type", "application/json"), ("If-Match", &version)], Some(body)).await
            }
        };
        replay(first).await.problem(410, "event_gone");
        let kept = app.get(&format!("/api/v1/webhooks/{hook_id}"), "platform").await.expect(200);
        assert_eq!(kept.body["cursor"], cursor);
        assert_eq!(kept.header("etag"), Some(version.as_str()));
        let replayed = replay(0).await.expect(200);
        assert_eq!(replayed.body["cursor"], 0);
    }

    async fn the_sweep_thread_of_a_replica_deletes_on_its_own(app: &TestApp) {
        for seq in 1..=3 {
            app.create_retiree("hongshan", &retiree_body("350203001001", 90 + seq)).await;
        }
        let last = scalar(app, "SELECT CAST(MAX(id) AS BIGINT) AS n FROM events");
        exec(app, &format!("UPDATE events SET occurred_at = '2020-01-01 00:00:00' WHERE id < {last}"));
        let before = app.count("events");
        let every = std::time::Duration::from_millis(300);
        let sweeper = app::retention::spawn(app.pool.clone(), app::retention::Retention { every, ..settings(1) })
            .expect("a sweeper starts when something is to be deleted");
        let started = std::time::Instant::now();
        while app.count("events") != 1 {
            assert!(started.elapsed() < std::time::Duration::from_secs(20), "the sweep thread deleted nothing");
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(before > 1);
        assert_eq!(scalar(app, "SELECT CAST(MIN(id) AS BIGINT) AS n FROM events"), last);
        assert_eq!(scalar(app, "SELECT up_to AS n FROM retention_marks WHERE name = 'events'"), last - 1);
        // Dropped, it stops: events aged afterwards stay.
        drop(sweeper);
        exec(app, "UPDATE events SET occurred_at = '2020-01-01 00:00:00'");
        actix_web::rt::time::sleep(every * 3).await;
        assert_eq!(app.count("events"), 1);
        // Nothing to delete: no thread at all.
        let off = app::retention::Retention { event_days: None, webhook_attempt_days: None, ..settings(1) };
        assert!(app::retention::spawn(app.pool.clone(), off).is_none());
    }

    async fn an_active_webhook_keeps_the_events_it_has_not_delivered(app: &TestApp) {
        for seq in 1..=4 {
            app.create_retiree("hongshan", &retiree_body("350203001001", 80 + seq)).await;
        }
        let first = scalar(app, "SELECT CAST(MIN(id) AS BIGINT) AS n FROM events");
        exec(app, "UPDATE events SET occurred_at = '2020-01-01 00:00:00'");
        // An active subscription that has delivered up to the first event only.
        app.post("/api/v1/webhooks", "platform", &json!({"url": "http://127.0.0.1:9/hook",
            "secret": "0123456789abcdef0123456789abcdef", "after": first})).await.expect(201);
        let swept = sweep_concurrently(app, 1, 100);
        assert_eq!(swept.events, 1);
        assert_eq!(scalar(app, "SELECT CAST(MIN(id) AS BIGINT) AS n FROM events"), first + 1);
        // Without retention settings nothing is deleted at all.
        let keep = app::retention::Retention { event_days: None, webhook_attempt_days: None, ..settings(10) };
        let none = app::retention::sweep(&mut app.conn(), persistence::now_utc(), &keep).unwrap();
        assert_eq!(none, app::retention::Swept::default());
    }
}

/// PostgreSQL: each table's sweep has its own lock. While another replica sweeps webhook attempts (it holds that
/// lock), this one still sweeps every old event; with one lock for both it stopped at the first batch and left the
/// events to the next period (seen as a flaky count in the two-replica test above).
#[actix_web::test]
async fn a_replica_sweeping_attempts_does_not_stop_another_sweeping_events() {
    let Some(app) = TestApp::postgres().await else {
        eprintln!("TEST_POSTGRES_URL not set: PostgreSQL run skipped");
        return;
    };
    for seq in 1..=3 {
        app.create_retiree("hongshan", &retiree_body("350203001001", 90 + seq)).await;
    }
    exec(&app, "UPDATE events SET occurred_at = '2020-01-01 00:00:00'");
    let old = app.count("events");
    assert!(old >= 3, "{old} events");
    // The other replica, in the middle of its attempts sweep: the attempts lock ("RTNT") held by its session.
    let mut other = app.conn();
    diesel::sql_query("SELECT pg_advisory_lock(1381256788)").execute(&mut *other).unwrap();
    let swept = sweep_concurrently(&app, 1, 2);
    assert_eq!((swept.events as i64, swept.webhook_attempts), (old, 0));
    assert_eq!(app.count("events"), 0);
    diesel::sql_query("SELECT pg_advisory_unlock(1381256788)").execute(&mut *other).unwrap();
    drop(other);
    app.finish().await;
}
