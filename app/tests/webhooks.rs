//! Webhook delivery (issue 11) driven directly with a fake transport, on SQLite and (with `TEST_POSTGRES_URL`)
//! PostgreSQL: signed events in commit order, the cursor moving on 2xx only, retries with backoff that block later
//! events, one replica per subscription, and events that cannot be read are not sent.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use retiree_app as app;

use app::Caller;
use app::db::{DatabaseUrl, DbConnection, Pool, PoolOptions};
use app::webhooks::dispatch::{Deliver, Delivery, Reply, WebhookConfig, signature, turn};
use app::webhooks::{CreateWebhookRequest, check_new, create};
use diesel::prelude::*;
use domain::Role;
use persistence::retirees::{self, RetireeData};
use persistence::testing::node;
use persistence::webhooks::Webhook;
use time::macros::date;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const DISTRICT: &str = "350203";
const COMMUNITY: &str = "350203001001";

/// A migrated database behind a pool, dropped at the end (PostgreSQL) or in a temporary directory (SQLite).
struct TestPool {
    pool: Pool,
    backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Drop for TestPool {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take()
            && let Ok(mut c) = persistence::connection::establish(&DatabaseUrl::Postgres(admin))
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
        }
    }
}

fn options() -> PoolOptions {
    PoolOptions { max_size: 4, connection_timeout: Duration::from_secs(10) }
}

/// SQLite, and PostgreSQL when `TEST_POSTGRES_URL` is set (required under `REQUIRE_POSTGRES=1`).
fn each_backend() -> Vec<TestPool> {
    // The fixed test data keys (issue 21.10), as every test database has.
    persistence::sealed::install_test_keys();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("test.db").to_string_lossy().into_owned();
    let (pool, _) = app::db::open(&DatabaseUrl::Sqlite(path), &options()).expect("SQLite");
    let mut out = vec![TestPool { pool, backend: "sqlite", _dir: Some(dir), pg: None }];
    let base = std::env::var("TEST_POSTGRES_URL").ok().filter(|u| !u.trim().is_empty());
    assert!(
        base.is_some() || !persistence::testing::postgres_required(),
        "REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set: the PostgreSQL run would be skipped"
    );
    if let Some(base) = base {
        let admin = persistence::testing::with_database(&base, "postgres");
        let name = format!(
            "retiree_hooks_{}_{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
        );
        let mut c = persistence::connection::establish(&DatabaseUrl::Postgres(admin.clone())).expect("PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create database");
        let url = DatabaseUrl::Postgres(persistence::testing::with_database(&base, &name));
        let (pool, _) = app::db::open(&url, &options()).expect("PostgreSQL pool");
        out.push(TestPool { pool, backend: "postgres", _dir: None, pg: Some((admin, name)) });
    }
    out
}

/// A district with one community; answers the district's path.
fn jurisdictions(conn: &mut DbConnection) -> String {
    let city = node(conn, "3502", "city", None);
    let district = node(conn, DISTRICT, "district", Some(("3502", &city)));
    let street = node(conn, "350203001", "street", Some((DISTRICT, &district)));
    node(conn, COMMUNITY, "community", Some(("350203001", &street)));
    district
}

/// Registers a person in the community: one `retiree.created` event.
fn register(conn: &mut DbConnection, seq: u32) {
    let data = RetireeData {
        id_number: id_number(seq),
        name: format!("张{seq}"),
        sex: "male".into(),
        birth_date: date!(1950 - 05 - 06),
        retirement_date: date!(2010 - 06 - 01),
        category: "enterprise_employee".into(),
        management_level: "city_managed".into(),
        community_code: COMMUNITY.into(),
        phone: None,
        address: None,
        pension_status: "normal".into(),
        monthly_pension_fen: Some(350_000),
        party_member: false,
        notes: None,
        certified_until: date!(2027 - 01 - 01),
    };
    persistence::write_tx(conn, |conn| retirees::create(conn, &data, &[], date!(2026 - 01 - 05))).expect("retiree");
}

/// A valid id number born 1950-05-06 with sequence `seq` (GB 11643 check digit).
fn id_number(seq: u32) -> String {
    let body = format!("35020319500506{:03}", seq % 1000);
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(weights).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
    let check = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize];
    format!("{body}{check}")
}

fn integration(scope_path: &str) -> Caller {
    common::caller_as("platform", "service", Role::Integration, DISTRICT, scope_path)
}

fn settings() -> WebhookConfig {
    WebhookConfig {
        allowed_hosts: vec!["receiver.test".into()],
        dispatch: true,
        poll: Duration::from_millis(10),
        timeout: Duration::from_secs(1),
        retry_base: Duration::from_secs(60),
        retry_max: Duration::from_secs(3600),
    }
}

/// Subscribes from the beginning of the feed; answers the subscription's id.
fn subscribe(conn: &mut DbConnection, caller: &Caller) -> i64 {
    let body = CreateWebhookRequest {
        url: "http://receiver.test/hook".into(),
        event_types: None,
        secret: Some(SECRET.into()),
        description: None,
        after: Some(0),
    };
    let new = check_new(body, &settings().allowed_hosts, String::new).expect("valid");
    persistence::write_tx(conn, |conn| create(conn, caller, new)).expect("subscribe").webhook.id
}

fn hook(conn: &mut DbConnection, id: i64) -> Webhook {
    persistence::webhooks::find(conn, id).expect("webhook")
}

/// An attempt as (event, attempt, outcome, status, error).
type Seen = (i64, i32, String, Option<i32>, Option<String>);

/// Attempts of `id`, oldest first.
fn attempts(conn: &mut DbConnection, id: i64) -> Vec<Seen> {
    let mut all = persistence::webhooks::attempts(conn, id, None, None, 1000).expect("attempts");
    all.reverse();
    all.into_iter().map(|a| (a.event_id, a.attempt, a.outcome, a.status_code, a.error)).collect()
}

fn event_ids(conn: &mut DbConnection) -> Vec<i64> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let rows: Vec<Row> = diesel::sql_query("SELECT id FROM events ORDER BY id").load(conn).expect("events");
    rows.into_iter().map(|r| r.id).collect()
}

/// Overwrites the stored payload of event `id` (of every event when `None`).
fn set_payload(conn: &mut DbConnection, id: Option<i64>, text: &str) {
    let only = id.map(|id| format!(" WHERE id = {id}")).unwrap_or_default();
    diesel::sql_query(format!("UPDATE events SET payload = '{text}'{only}")).execute(conn).expect("payload");
}

/// A receiver that records what it is sent and answers from a script (200 once the script is done).
#[derive(Default)]
struct Fake {
    sent: RefCell<Vec<Delivery>>,
    replies: RefCell<VecDeque<Reply>>,
    delay: Duration,
}

impl Fake {
    fn answering(replies: impl IntoIterator<Item = Reply>) -> Self {
        Self { replies: RefCell::new(replies.into_iter().collect()), ..Self::default() }
    }

    fn sent_ids(&self) -> Vec<i64> {
        self.sent.borrow().iter().map(|d| header(d, "X-Event-Id").parse().unwrap()).collect()
    }
}

fn ok() -> Reply {
    Reply::Answered { status: 200, body: Some("thanks".into()) }
}

fn header<'a>(d: &'a Delivery, name: &str) -> &'a str {
    d.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

impl Deliver for Fake {
    async fn post(&self, delivery: Delivery) -> Reply {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.sent.borrow_mut().push(delivery);
        self.replies.borrow_mut().pop_front().unwrap_or_else(ok)
    }
}

/// Runs `f` on a single-threaded runtime with a `LocalSet`, as the service's dispatcher thread does.
fn block_on<F: Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    tokio::task::LocalSet::new().block_on(&rt, f)
}

#[test]
fn a_turn_delivers_signed_events_in_commit_order_and_moves_the_cursor() {
    for db in each_backend() {
        let mut conn = db.pool.get().unwrap();
        let district = jurisdictions(&mut conn);
        let id = subscribe(&mut conn, &integration(&district));
        for seq in 1..=3 {
            register(&mut conn, seq);
        }
        let fake = Fake::default();
        block_on(turn(&db.pool, &settings(), &fake, id, "r1", &AtomicBool::new(false)));
        let events = event_ids(&mut conn);
        assert_eq!(fake.sent_ids(), events, "{}", db.backend);
        for d in fake.sent.borrow().iter() {
            assert_eq!(d.url, "http://receiver.test/hook");
            assert_eq!(header(d, "Content-Type"), "application/json");
            assert_eq!(header(d, "X-Event-Type"), "retiree.created");
            assert_eq!(header(d, "X-Webhook-Id"), id.to_string());
            let sig = header(d, "X-Signature");
            let t: i64 = sig.strip_prefix("t=").and_then(|s| s.split(',').next()).unwrap().parse().unwrap();
            assert_eq!(sig, signature(SECRET, t, &d.body), "{}", db.backend);
            let body: serde_json::Value = serde_json::from_str(&d.body).unwrap();
            assert_eq!(body["id"].to_string(), header(d, "X-Event-Id"));
            assert_eq!(body["subject"]["type"], "retiree");
            // The integration role sees personal fields in clear.
            assert_eq!(body["payload"]["retiree"]["id_number"].as_str().map(str::len), Some(18));
            assert!(!body["payload"]["retiree"]["id_number"].as_str().unwrap().contains('*'));
        }
        let w = hook(&mut conn, id);
        assert_eq!(
            (w.cursor, w.delivered, w.failures, w.lease_owner, w.next_attempt_at),
            (*events.last().unwrap(), 3, 0, None, None),
            "{}",
            db.backend
        );
        let seen = attempts(&mut conn, id);
        assert!(seen.iter().all(|a| a.1 == 1 && a.2 == "delivered" && a.3 == Some(200)), "{seen:?}");
        // Nothing pending: a second turn sends nothing.
        block_on(turn(&db.pool, &settings(), &fake, id, "r1", &AtomicBool::new(false)));
        assert_eq!(fake.sent.borrow().len(), 3, "{}", db.backend);
    }
}

#[test]
fn a_failure_schedules_a_retry_with_backoff_and_holds_the_later_events_back() {
    for db in each_backend() {
        let mut conn = db.pool.get().unwrap();
        let district = jurisdictions(&mut conn);
        let id = subscribe(&mut conn, &integration(&district));
        for seq in 1..=3 {
            register(&mut conn, seq);
        }
        let events = event_ids(&mut conn);
        let fake = Fake::answering([
            Reply::Answered { status: 500, body: Some("boom".into()) },
            Reply::Failed("timeout".into()),
        ]);
        let cfg = settings();
        let before = persistence::now_utc();
        block_on(turn(&db.pool, &cfg, &fake, id, "r1", &AtomicBool::new(false)));
        let w = hook(&mut conn, id);
        assert_eq!((w.cursor, w.failures, w.lease_owner.as_deref()), (0, 1, None), "{}", db.backend);
        let wait = w.next_attempt_at.unwrap() - before;
        assert!(wait >= Duration::from_secs(59) && wait <= Duration::from_secs(61), "first retry after 60 s: {wait}");
        // Not due before its time: no turn for it.
        assert!(!persistence::webhooks::due(&mut conn, persistence::now_utc()).unwrap().contains(&id));

        // Due again (the wait is over): the second attempt fails without an answer; the wait doubles.
        make_due(&mut conn, id);
        let before = persistence::now_utc();
        block_on(turn(&db.pool, &cfg, &fake, id, "r1", &AtomicBool::new(false)));
        let w = hook(&mut conn, id);
        assert_eq!((w.cursor, w.failures), (0, 2), "{}", db.backend);
        let wait = w.next_attempt_at.unwrap() - before;
        assert!(
            wait >= Duration::from_secs(119) && wait <= Duration::from_secs(121),
            "second retry after 120 s: {wait}"
        );

        // The third attempt goes through; the later events wait for the next turn, with the count reset.
        make_due(&mut conn, id);
        block_on(turn(&db.pool, &cfg, &fake, id, "r1", &AtomicBool::new(false)));
        let w = hook(&mut conn, id);
        assert_eq!((w.cursor, w.failures, w.next_attempt_at), (events[0], 0, None), "{}", db.backend);
        block_on(turn(&db.pool, &cfg, &fake, id, "r1", &AtomicBool::new(false)));
        assert_eq!(fake.sent_ids(), [events[0], events[0], events[0], events[1], events[2]], "{}", db.backend);
        let seen = attempts(&mut conn, id);
        let summary: Vec<_> = seen.iter().map(|a| (a.0, a.1, a.2.as_str(), a.3, a.4.as_deref())).collect();
        assert_eq!(
            summary,
            [
                (events[0], 1, "failed", Some(500), None),
                (events[0], 2, "failed", None, Some("timeout")),
                (events[0], 3, "delivered", Some(200), None),
                (events[1], 1, "delivered", Some(200), None),
                (events[2], 1, "delivered", Some(200), None),
            ],
            "{}",
            db.backend
        );
        assert_eq!(hook(&mut conn, id).cursor, events[2]);
    }
}

fn make_due(conn: &mut DbConnection, id: i64) {
    use persistence::schema::webhooks::dsl as w;
    diesel::update(w::webhooks.find(id))
        .set(w::next_attempt_at.eq(persistence::now_utc() - Duration::from_secs(1)))
        .execute(conn)
        .expect("due");
}

#[test]
fn a_subscription_leased_by_one_replica_is_not_delivered_by_another() {
    for db in each_backend() {
        let mut conn = db.pool.get().unwrap();
        let district = jurisdictions(&mut conn);
        let id = subscribe(&mut conn, &integration(&district));
        for seq in 1..=5 {
            register(&mut conn, seq);
        }
        // Two replicas take their turns at once with a slow receiver: each event goes out once, in order.
        let fake = Fake { delay: Duration::from_millis(20), ..Fake::default() };
        let (cfg, stop) = (settings(), AtomicBool::new(false));
        block_on(async {
            tokio::join!(turn(&db.pool, &cfg, &fake, id, "r1", &stop), turn(&db.pool, &cfg, &fake, id, "r2", &stop))
        });
        assert_eq!(fake.sent_ids(), event_ids(&mut conn), "{}", db.backend);
        let replicas: Vec<String> = {
            use persistence::schema::webhook_attempts::dsl as a;
            a::webhook_attempts.select(a::replica).distinct().load(&mut conn).unwrap()
        };
        assert_eq!(replicas.len(), 1, "one replica delivered: {replicas:?}");

        // A lease held (and not expired) keeps everybody else out.
        register(&mut conn, 6);
        let until = persistence::now_utc() + Duration::from_secs(60);
        assert!(persistence::webhooks::claim(&mut conn, id, "r1", persistence::now_utc(), until).unwrap().is_some());
        block_on(turn(&db.pool, &cfg, &fake, id, "r2", &stop));
        assert_eq!(fake.sent.borrow().len(), 5, "{}", db.backend);
        assert!(!persistence::webhooks::due(&mut conn, persistence::now_utc()).unwrap().contains(&id));
    }
}

#[test]
fn an_event_that_cannot_be_read_or_a_host_no_longer_allowed_is_a_failed_attempt_and_nothing_is_sent() {
    for db in each_backend() {
        let mut conn = db.pool.get().unwrap();
        let district = jurisdictions(&mut conn);
        let id = subscribe(&mut conn, &integration(&district));
        register(&mut conn, 1);
        let event = event_ids(&mut conn)[0];
        set_payload(&mut conn, Some(event), "not json");
        let fake = Fake::default();
        block_on(turn(&db.pool, &settings(), &fake, id, "r1", &AtomicBool::new(false)));
        assert!(fake.sent.borrow().is_empty(), "{}", db.backend);
        let seen = attempts(&mut conn, id);
        assert_eq!(seen.len(), 1);
        assert_eq!((seen[0].0, seen[0].2.as_str()), (event, "failed"));
        assert_eq!(seen[0].4.as_deref(), Some("internal_error: the stored event cannot be read"), "{}", db.backend);
        assert_eq!((hook(&mut conn, id).cursor, hook(&mut conn, id).failures), (0, 1));

        // Repaired, but the host is off the allow-list since: refused before anything is sent.
        set_payload(&mut conn, Some(event), "{}");
        make_due(&mut conn, id);
        let elsewhere = WebhookConfig { allowed_hosts: vec!["other.test".into()], ..settings() };
        block_on(turn(&db.pool, &elsewhere, &fake, id, "r1", &AtomicBool::new(false)));
        assert!(fake.sent.borrow().is_empty(), "{}", db.backend);
        let last = attempts(&mut conn, id).pop().unwrap();
        assert_eq!(last.1, 2);
        assert!(last.4.unwrap().starts_with("host_not_allowed"), "{}", db.backend);
    }
}

#[test]
fn the_feed_refuses_an_event_whose_stored_payload_does_not_parse() {
    for db in each_backend() {
        let mut conn = db.pool.get().unwrap();
        let district = jurisdictions(&mut conn);
        let reader = integration(&district);
        register(&mut conn, 1);
        let query = app::events::FeedQuery::parse(None, None, None).unwrap();
        let page =
            persistence::write_tx(&mut conn, |conn| app::events::page(conn, &reader, &query)?.commit(conn)).unwrap();
        assert_eq!(page.items.len(), 1, "{}", db.backend);
        set_payload(&mut conn, None, "{\"retiree\": ");
        let err = persistence::write_tx(&mut conn, |conn| app::events::page(conn, &reader, &query)?.commit(conn))
            .unwrap_err();
        assert_eq!((err.status(), err.code()), (500, "internal_error"), "{}", db.backend);
    }
}
