//! The group-committed audit writer (issue 20): a read of one person is answered only after the batch holding its
//! audit entry committed. A batch that fails answers no data; a batch that cannot commit (its table locked)
//! holds its reads back; reads queued together commit together; a process killed between the enqueue and the
//! commit answered nothing.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::*;

/// One call to a service; `None` when no answer came. The body as text.
pub async fn http(base: &str, path: &str, token: Option<&str>) -> Option<(u16, String)> {
    let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
    let mut req = client.get(format!("{base}{path}"));
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    let mut res = req.send().await.ok()?;
    let bytes = res.body().limit(16 << 20).await.ok()?;
    Some((res.status().as_u16(), String::from_utf8_lossy(&bytes).to_string()))
}

/// A counter or gauge of `/metrics` (the whole line name, labels included).
pub async fn metric(base: &str, name: &str) -> i64 {
    let (status, text) = http(base, "/metrics", None).await.expect("metrics");
    assert_eq!(status, 200, "{text}");
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .map(|v| v.trim().parse().expect("a number"))
        .unwrap_or_else(|| panic!("{name} missing from {text}"))
}

/// Waits until the writer holds `n` entries (bounded: the lock the test holds must not time out first).
pub async fn until_pending(base: &str, n: i64) {
    for _ in 0..200 {
        if metric(base, "audit_writer_pending").await == n {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the audit writer never held {n} entries");
}

/// Takes the lock that stops the audit writer's commit: SQLite's write lock, PostgreSQL's table lock that
/// refuses inserts into `audit_log` (reads of it go on).
pub fn block_audit_writes(conn: &mut persistence::DbConnection, backend: Backend) {
    match backend {
        Backend::Sqlite => conn.batch_execute("BEGIN IMMEDIATE").unwrap(),
        Backend::Postgres => conn.batch_execute("BEGIN; LOCK TABLE audit_log IN EXCLUSIVE MODE").unwrap(),
    }
}

fn reads_of(app: &TestApp, id: i64) -> i64 {
    use persistence::schema::audit_log::dsl;
    dsl::audit_log
        .filter(dsl::action.eq("retiree.read"))
        .filter(dsl::object_id.eq(id.to_string()))
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

both_backends! {
    async fn a_read_whose_audit_batch_does_not_commit_answers_no_data(app: &TestApp) {
        let created = app.create_retiree("siming", &retiree_body("350203001001", 1)).await;
        let id = created["id"].as_i64().unwrap();
        let path = format!("/api/v1/retirees/{id}");
        // The audit log refuses this read's entry: the writer's transaction fails and rolls back.
        let refuse = match app.backend {
            Backend::Sqlite => "CREATE TRIGGER refuse_reads BEFORE INSERT ON audit_log WHEN NEW.action = 'retiree.read' \
                BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
            Backend::Postgres => "CREATE FUNCTION refuse_reads() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                IF NEW.action = 'retiree.read' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$; \
                CREATE TRIGGER refuse_reads BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_reads();",
        };
        app.conn().batch_execute(refuse).unwrap();
        let res = app.get(&path, "siming").await.problem(500, "internal_error");
        assert!(res.body.get("id_number").is_none() && res.body.get("name").is_none(), "{}", res.text);
        assert!(!res.text.contains(created["name"].as_str().unwrap()), "{}", res.text);
        assert_eq!(reads_of(app, id), 0);
        assert_eq!(metric(&app.base, "audit_writer_entries_total{outcome=\"failed\"}").await, 1);
        assert_eq!(metric(&app.base, "audit_writer_pending").await, 0);
        // With the log accepting again, the same read answers and is on record.
        let drop = match app.backend {
            Backend::Sqlite => "DROP TRIGGER refuse_reads;",
            Backend::Postgres => "DROP TRIGGER refuse_reads ON audit_log; DROP FUNCTION refuse_reads();",
        };
        app.conn().batch_execute(drop).unwrap();
        let res = app.get(&path, "siming").await.expect(200);
        assert_eq!(res.body["id"], id);
        assert_eq!(res.body["name"], created["name"]);
        assert_eq!(reads_of(app, id), 1);
        assert_eq!(metric(&app.base, "audit_writer_entries_total{outcome=\"committed\"}").await, 1);
    }

    async fn reads_wait_for_their_batch_and_commit_together(app: &TestApp) {
        let id = app.create_retiree("siming", &retiree_body("350203001001", 1)).await["id"].as_i64().unwrap();
        let path = format!("/api/v1/retirees/{id}");
        let batches = metric(&app.base, "audit_writer_batches_total").await;
        let mut lock = app.conn();
        block_audit_writes(&mut lock, app.backend);
        let token = app.token("siming");
        let reads: Vec<_> = (0..5)
            .map(|_| {
                let (base, path, token) = (app.base.clone(), path.clone(), token.clone());
                actix_web::rt::spawn(async move { http(&base, &path, Some(&token)).await })
            })
            .collect();
        // Every read has read the person and handed its entry over; none is answered while none is committed.
        until_pending(&app.base, 5).await;
        assert!(reads.iter().all(|r| !r.is_finished()), "a read was answered before its audit entry committed");
        assert_eq!(reads_of(app, id), 0);
        lock.batch_execute("COMMIT").unwrap();
        drop(lock);
        for read in reads {
            let (status, body) = read.await.unwrap().expect("an answer");
            assert_eq!(status, 200, "{body}");
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["id"], id);
        }
        assert_eq!(reads_of(app, id), 5);
        assert_eq!(metric(&app.base, "audit_writer_pending").await, 0);
        // The batch that was blocked and the one that queued behind it: at most two commits for five reads.
        let used = metric(&app.base, "audit_writer_batches_total").await - batches;
        assert!((1..=2).contains(&used), "{used} batches for 5 reads");
    }
}

/// The real binary killed while a read waits for its batch: the read got no answer, and nothing of it is on
/// record (the batch never committed), on both backends.
#[actix_web::test]
async fn killed_between_enqueue_and_commit_answers_nothing() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let dir = tempfile::tempdir().unwrap();
        let Some((url, pg)) = crate::process::fresh_database(backend, dir.path()).await else {
            eprintln!("TEST_POSTGRES_URL not set: PostgreSQL run skipped");
            continue;
        };
        let mut service = crate::process::start(&url, None).await;
        let token = crate::process::login(&service.base, "city").await;
        let (status, page) = http(&service.base, "/api/v1/retirees?limit=1", Some(&token)).await.unwrap();
        assert_eq!(status, 200, "{page}");
        let page: Value = serde_json::from_str(&page).unwrap();
        let id = page["items"][0]["id"].as_i64().expect("a demo retiree");
        let database = persistence::DatabaseUrl::parse(&url).unwrap();
        let mut lock = persistence::connection::establish(&database).unwrap();
        block_audit_writes(&mut lock, backend);
        let read = {
            let (base, token) = (service.base.clone(), token.clone());
            actix_web::rt::spawn(async move { http(&base, &format!("/api/v1/retirees/{id}"), Some(&token)).await })
        };
        until_pending(&service.base, 1).await;
        service.child.kill().unwrap();
        service.child.wait().unwrap();
        let answer = read.await.unwrap();
        assert!(answer.is_none(), "a read was answered before its audit entry committed: {answer:?}");
        lock.batch_execute("ROLLBACK").unwrap();
        let mut check = persistence::connection::establish(&database).unwrap();
        use persistence::schema::audit_log::dsl;
        let reads: i64 = dsl::audit_log
            .filter(dsl::action.eq("retiree.read"))
            .filter(dsl::object_id.eq(id.to_string()))
            .count()
            .get_result(&mut check)
            .unwrap();
        assert_eq!(reads, 0, "{backend:?}");
        drop((check, lock, service));
        crate::process::drop_database(pg).await;
    }
}
