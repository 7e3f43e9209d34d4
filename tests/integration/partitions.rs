//! Issue 28: on PostgreSQL `audit_log` and `events` are partitioned by month. The partition job creates months
//! ahead, archives and drops audit months past retention, drops feed months past retention without leaving a hole
//! in the ids, and is safe from several replicas at once. On SQLite it does nothing.

use std::io::Read;

use diesel::prelude::*;
use persistence::partitions::{Partitioned, month_start};
use serde_json::Value;
use time::Date;

use crate::helpers::*;

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn scalar(app: &TestApp, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<N>(&mut *app.conn()).unwrap().n
}

fn exec(app: &TestApp, sql: &str) {
    diesel::sql_query(sql).execute(&mut *app.conn()).unwrap();
}

fn table_exists(app: &TestApp, name: &str) -> bool {
    scalar(app, &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM pg_class WHERE relname = '{name}'")) == 1
}

fn partition_of(app: &TestApp, table: &str, id: i64) -> String {
    diesel::sql_query(format!("SELECT tableoid::regclass::text AS name FROM {table} WHERE id = {id}"))
        .get_result::<Name>(&mut *app.conn())
        .unwrap()
        .name
}

fn today() -> Date {
    persistence::now_utc().date()
}

fn settings() -> app::partitions::Partitioning {
    app::partitions::Partitioning::default()
}

fn insert_audit(app: &TestApp, at: &str, n: usize) {
    for i in 0..n {
        exec(
            app,
            &format!(
                "INSERT INTO audit_log (occurred_at, actor, action, object_type, scope_path, outcome) \
             VALUES ('{at}', 'partition-test', 'retiree.read', 'retiree', '/350000/', 'ok{i}')"
            ),
        );
    }
}

async fn postgres() -> Option<TestApp> {
    let app = TestApp::postgres().await;
    if app.is_none() {
        eprintln!("TEST_POSTGRES_URL not set: PostgreSQL run skipped");
    }
    app
}

#[actix_web::test]
async fn on_sqlite_the_job_has_nothing_to_do() {
    let app = TestApp::sqlite().await;
    let report = app::partitions::run(&mut app.conn(), today(), &settings()).unwrap();
    assert_eq!(report, app::partitions::Report::default());
    assert!(app::partitions::spawn(app.pool.clone(), settings(), app::Clock::System).is_none());
    app.finish().await;
}

#[actix_web::test]
async fn months_ahead_are_created_and_new_rows_land_in_their_month() {
    let Some(app) = postgres().await else { return };
    let months_ahead = 5;
    let report =
        app::partitions::run(&mut app.conn(), today(), &app::partitions::Partitioning { months_ahead, ..settings() })
            .unwrap();
    assert!(!report.busy);
    for table in [Partitioned::AuditLog, Partitioned::Events] {
        for k in 0..=months_ahead as i32 {
            let name = table.partition_name(month_start(today(), k));
            assert!(table_exists(&app, &name), "{name} missing; report {report:?}");
        }
    }
    // The migration made this month and the next three; the run added the fourth and fifth of each table.
    assert_eq!(report.created.len(), 4, "{report:?}");
    assert!(report.blocked.is_empty() && report.dropped.is_empty());
    // A second run has nothing to create.
    let again =
        app::partitions::run(&mut app.conn(), today(), &app::partitions::Partitioning { months_ahead, ..settings() })
            .unwrap();
    assert!(again.created.is_empty(), "{again:?}");

    // A write through the API: its audit row and its event are in this month's partitions.
    app.create_retiree("hongshan", &retiree_body("350203001001", 1)).await;
    let this_month = |t: Partitioned| t.partition_name(today());
    let audit = scalar(&app, "SELECT CAST(MAX(id) AS BIGINT) AS n FROM audit_log");
    let event = scalar(&app, "SELECT CAST(MAX(id) AS BIGINT) AS n FROM events");
    assert_eq!(partition_of(&app, "audit_log", audit), this_month(Partitioned::AuditLog));
    assert_eq!(partition_of(&app, "events", event), this_month(Partitioned::Events));
    // The audit log stays append-only through the partitions.
    let refused = diesel::sql_query(format!("DELETE FROM audit_log WHERE id = {audit}")).execute(&mut *app.conn());
    assert!(refused.is_err());
    assert_eq!(scalar(&app, &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_log WHERE id = {audit}")), 1);
    app.finish().await;
}

#[actix_web::test]
async fn an_audit_month_past_retention_is_archived_then_dropped_and_the_log_reads_on() {
    let Some(app) = postgres().await else { return };
    let old = month_start(today(), -13);
    // The job as it ran 13 months ago made that month's partition; rows were written in it.
    let made = app::partitions::run(&mut app.conn(), old, &settings()).unwrap();
    let name = Partitioned::AuditLog.partition_name(old);
    assert!(table_exists(&app, &name), "{made:?}");
    insert_audit(&app, &format!("{old} 10:00:00"), 7);
    let first_old = scalar(&app, &format!("SELECT CAST(MIN(id) AS BIGINT) AS n FROM {name}"));
    // A recent row, which must stay.
    app.create_retiree("hongshan", &retiree_body("350203001001", 2)).await;
    let before = app.count("audit_log");

    let dir = tempfile::tempdir().unwrap();
    let keep = app::partitions::Partitioning {
        audit_retention_months: Some(12),
        archive_dir: Some(dir.path().to_owned()),
        ..settings()
    };
    let started = std::time::Instant::now();
    let report = app::partitions::run(&mut app.conn(), today(), &keep).unwrap();
    eprintln!("archive + drop of {name} took {:?}", started.elapsed());
    // Only `old` is wholly before the last 12 months (the run 13 months ago also made the three after it).
    assert_eq!(report.archived.first().map(|a| (a.partition.as_str(), a.rows)), Some((name.as_str(), 7)));
    assert!(report.dropped.contains(&name));
    assert!(report.archived.iter().all(|a| report.dropped.contains(&a.partition)));
    assert!(!table_exists(&app, &name));
    assert_eq!(app.count("audit_log"), before - 7);
    // The archive holds the 7 rows as JSON objects, in id order.
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(dir.path().join(format!("{name}.jsonl.gz"))).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let rows: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[0]["id"], first_old);
    assert_eq!(rows[6]["outcome"], "ok6");
    assert_eq!(rows[0]["actor"], "partition-test");
    assert!(!dir.path().join(format!("{name}.jsonl.gz.partial")).exists());
    // Nothing of the last 12 months was touched, and the audit log reads on.
    assert!(table_exists(&app, &Partitioned::AuditLog.partition_name(today())));
    let log = app.get("/api/v1/audit-log?limit=5", "auditor").await.expect(200);
    assert!(!log.body["items"].as_array().unwrap().is_empty());
    app.finish().await;
}

#[actix_web::test]
async fn a_month_detached_by_a_stopped_run_is_archived_and_dropped_by_the_next() {
    let Some(app) = postgres().await else { return };
    let old = month_start(today(), -20);
    app::partitions::run(&mut app.conn(), old, &app::partitions::Partitioning { months_ahead: 0, ..settings() })
        .unwrap();
    insert_audit(&app, &format!("{old} 08:00:00"), 3);
    // A run stopped right after detaching it.
    persistence::partitions::detach(&mut app.conn(), Partitioned::AuditLog, old).unwrap();
    let name = Partitioned::AuditLog.partition_name(old);
    assert_eq!(persistence::partitions::detached(&mut app.conn(), Partitioned::AuditLog).unwrap(), vec![old]);
    let dir = tempfile::tempdir().unwrap();
    // Even without a retention setting now, the detached month is finished.
    let report = app::partitions::run(
        &mut app.conn(),
        today(),
        &app::partitions::Partitioning { archive_dir: Some(dir.path().to_owned()), ..settings() },
    )
    .unwrap();
    assert_eq!(report.archived.len(), 1);
    assert_eq!(report.archived[0].rows, 3);
    assert_eq!(report.dropped, vec![name.clone()]);
    assert!(!table_exists(&app, &name));
    app.finish().await;
}

#[actix_web::test]
async fn a_feed_month_past_retention_is_dropped_whole_and_an_old_cursor_is_gone() {
    let Some(app) = postgres().await else { return };
    for seq in 1..=5 {
        app.create_retiree("hongshan", &retiree_body("350203001001", 10 + seq)).await;
    }
    let first = scalar(&app, "SELECT CAST(MIN(id) AS BIGINT) AS n FROM events");
    let old = month_start(today(), -6);
    app::partitions::run(&mut app.conn(), old, &app::partitions::Partitioning { months_ahead: 0, ..settings() })
        .unwrap();
    let name = Partitioned::Events.partition_name(old);
    // The three oldest events moved into that month (row movement across partitions).
    exec(&app, &format!("UPDATE events SET occurred_at = '{old} 09:00:00' WHERE id <= {}", first + 2));
    assert_eq!(scalar(&app, &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {name}")), 3);
    let total = app.count("events");
    let keep = app::partitions::Partitioning { event_days: Some(30), ..settings() };
    let report = app::partitions::run(&mut app.conn(), today(), &keep).unwrap();
    assert_eq!(report.dropped, vec![name.clone()]);
    assert_eq!(report.events_gone_up_to, Some(first + 2));
    assert!(!table_exists(&app, &name));
    assert_eq!(app.count("events"), total - 3);
    assert_eq!(scalar(&app, "SELECT up_to AS n FROM retention_marks WHERE name = 'events'"), first + 2);
    app.get(&format!("/api/v1/events?after={first}"), "platform").await.problem(410, "event_gone");
    let at_mark = app.get(&format!("/api/v1/events?after={}", first + 2), "platform").await.expect(200);
    assert_eq!(at_mark.body["items"][0]["id"], first + 3);
    app.finish().await;
}

#[actix_web::test]
async fn a_feed_month_whose_ids_interleave_with_later_ones_is_left_to_the_row_sweep() {
    let Some(app) = postgres().await else { return };
    for seq in 1..=4 {
        app.create_retiree("hongshan", &retiree_body("350203001001", 20 + seq)).await;
    }
    let first = scalar(&app, "SELECT CAST(MIN(id) AS BIGINT) AS n FROM events");
    let old = month_start(today(), -6);
    app::partitions::run(&mut app.conn(), old, &app::partitions::Partitioning { months_ahead: 0, ..settings() })
        .unwrap();
    // The first and the third event are in the old month; the second is recent: dropping the month would delete
    // ids on both sides of a kept one.
    exec(&app, &format!("UPDATE events SET occurred_at = '{old} 09:00:00' WHERE id IN ({first}, {})", first + 2));
    let total = app.count("events");
    let keep = app::partitions::Partitioning { event_days: Some(30), ..settings() };
    let report = app::partitions::run(&mut app.conn(), today(), &keep).unwrap();
    assert!(report.dropped.is_empty(), "{report:?}");
    assert_eq!(report.events_gone_up_to, None);
    assert!(table_exists(&app, &Partitioned::Events.partition_name(old)));
    assert_eq!(app.count("events"), total);
    // An active webhook behind the month keeps it too.
    exec(&app, &format!("UPDATE events SET occurred_at = '{old} 09:00:00' WHERE id = {}", first + 1));
    app.post(
        "/api/v1/webhooks",
        "platform",
        &serde_json::json!({"url": "http://127.0.0.1:9/hook",
        "secret": "0123456789abcdef0123456789abcdef", "after": first}),
    )
    .await
    .expect(201);
    let held = app::partitions::run(&mut app.conn(), today(), &keep).unwrap();
    assert!(held.dropped.is_empty(), "{held:?}");
    exec(&app, "UPDATE webhooks SET active = false");
    let freed = app::partitions::run(&mut app.conn(), today(), &keep).unwrap();
    assert_eq!(freed.dropped, vec![Partitioned::Events.partition_name(old)]);
    assert_eq!(freed.events_gone_up_to, Some(first + 2));
    app.finish().await;
}

#[actix_web::test]
async fn a_month_with_rows_in_the_default_partition_is_reported_not_created() {
    let Some(app) = postgres().await else { return };
    // A row of a month nine months ahead (a clock set wrong, say) went to the default partition.
    let ahead = month_start(today(), 9);
    insert_audit(&app, &format!("{ahead} 12:00:00"), 1);
    let report = app::partitions::run(
        &mut app.conn(),
        today(),
        &app::partitions::Partitioning { months_ahead: 10, ..settings() },
    )
    .unwrap();
    let name = Partitioned::AuditLog.partition_name(ahead);
    assert_eq!(report.blocked, vec![name.clone()]);
    assert!(!table_exists(&app, &name));
    assert!(table_exists(&app, &Partitioned::AuditLog.partition_name(month_start(today(), 10))));
    assert_eq!(
        partition_of(&app, "audit_log", scalar(&app, "SELECT CAST(MAX(id) AS BIGINT) AS n FROM audit_log")),
        "audit_log_default"
    );
    app.finish().await;
}

/// A long audit read holds the audit log: the detach gives up after its lock timeout instead of queueing every
/// audited request behind it, and the next run (after the read) does it.
#[actix_web::test]
async fn a_detach_waiting_behind_a_long_read_gives_up_and_the_next_run_does_it() {
    let Some(app) = postgres().await else { return };
    let old = month_start(today(), -14);
    app::partitions::run(&mut app.conn(), old, &app::partitions::Partitioning { months_ahead: 0, ..settings() })
        .unwrap();
    insert_audit(&app, &format!("{old} 10:00:00"), 2);
    let keep = app::partitions::Partitioning { audit_retention_months: Some(12), ..settings() };
    // A reader in the middle of a long audit query (its transaction holds the table).
    let mut reader = app.conn();
    diesel::sql_query("BEGIN").execute(&mut *reader).unwrap();
    diesel::sql_query("SELECT COUNT(*) FROM audit_log").execute(&mut *reader).unwrap();
    let started = std::time::Instant::now();
    let refused = app::partitions::run(&mut app.conn(), today(), &keep);
    assert!(refused.is_err(), "{refused:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
    // Nothing half done: the month is still attached, and the job's lock was released.
    assert!(table_exists(&app, &Partitioned::AuditLog.partition_name(old)));
    assert!(persistence::partitions::detached(&mut app.conn(), Partitioned::AuditLog).unwrap().is_empty());
    diesel::sql_query("COMMIT").execute(&mut *reader).unwrap();
    drop(reader);
    let report = app::partitions::run(&mut app.conn(), today(), &keep).unwrap();
    assert_eq!(report.dropped, vec![Partitioned::AuditLog.partition_name(old)]);
    app.finish().await;
}

/// The job of a replica runs on its own at start, and stops when dropped.
#[actix_web::test]
async fn the_job_thread_of_a_replica_creates_the_months_ahead_on_its_own() {
    let Some(app) = postgres().await else { return };
    let ahead = Partitioned::Events.partition_name(month_start(today(), 7));
    assert!(!table_exists(&app, &ahead));
    let s = app::partitions::Partitioning { months_ahead: 7, ..settings() };
    let job = app::partitions::spawn(app.pool.clone(), s.clone(), app::Clock::System).expect("spawned on PostgreSQL");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !table_exists(&app, &ahead) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(table_exists(&app, &ahead));
    drop(job);
    let off = app::partitions::Partitioning { enabled: false, ..s };
    assert!(app::partitions::spawn(app.pool.clone(), off, app::Clock::System).is_none());
    app.finish().await;
}

/// Two replicas run the job at the same moment: one works, the other sees it busy or finds nothing left; every
/// partition is created once and nothing fails.
#[actix_web::test]
async fn two_replicas_running_the_job_at_once_create_each_month_once() {
    let Some(app) = postgres().await else { return };
    let from = month_start(today(), -30);
    let s = app::partitions::Partitioning { months_ahead: 12, ..settings() };
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let pool = app.pool.clone();
            let s = s.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                barrier.wait();
                app::partitions::run(&mut conn, from, &s).unwrap()
            })
        })
        .collect();
    let reports: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let mut created: Vec<String> = reports.iter().flat_map(|r| r.created.clone()).collect();
    let n = created.len();
    created.sort();
    created.dedup();
    assert_eq!(created.len(), n, "a partition created twice: {reports:?}");
    assert_eq!(n, 2 * 13, "{reports:?}");
    // The lock is released: a third run proceeds.
    let third = app::partitions::run(&mut app.conn(), from, &s).unwrap();
    assert!(!third.busy && third.created.is_empty(), "{third:?}");
    app.finish().await;
}
