//! The harness itself: `REQUIRE_POSTGRES`, the names of per-test databases, their drop on panic and the sweep of
//! leftovers.

use diesel::prelude::*;

use crate::helpers::{
    PgDatabase, TestApp, TestDbName, connect_admin, create_empty_pg_database, pg_base_url, pg_url_or_skip,
    process_namespace_tag, sweep_now, test_database_names, unix_secs,
};

const URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[test]
fn a_missing_postgres_url_skips_unless_postgres_is_required() {
    assert_eq!(pg_url_or_skip(Some(URL.into()), false), Some(URL.to_owned()));
    assert_eq!(pg_url_or_skip(Some(URL.into()), true), Some(URL.to_owned()));
    assert_eq!(pg_url_or_skip(None, false), None);
    assert_eq!(pg_url_or_skip(Some("  ".into()), false), None);
}

#[test]
#[should_panic(expected = "REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")]
fn a_missing_postgres_url_fails_when_postgres_is_required() {
    pg_url_or_skip(None, true);
}

#[test]
#[should_panic(expected = "REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")]
fn a_blank_postgres_url_fails_when_postgres_is_required() {
    pg_url_or_skip(Some(String::new()), true);
}

#[test]
fn test_database_names_parse() {
    assert_eq!(
        TestDbName::parse("retiree_test_0a1b2c3d_4242_1767225600_7"),
        Some(TestDbName::Tagged { tag: "0a1b2c3d".into(), pid: 4242, created: 1_767_225_600 })
    );
    assert_eq!(TestDbName::parse("retiree_test_4242_3_918273"), Some(TestDbName::Legacy { pid: 4242 }));
    for other in [
        "retiree_tmpl_9f8e7d6c5b4a3210",
        "retiree_test_",
        "retiree_test_0a1b2c3d_4242_1767225600",
        "retiree_test_xyz_4242_1767225600_7",
        "retiree_test_0a1b2c3d_-1_1767225600_7",
        "retiree",
        "postgres",
    ] {
        assert_eq!(TestDbName::parse(other), None, "{other}");
    }
}

#[test]
fn a_test_database_is_stale_when_its_process_is_gone_or_it_is_hours_old() {
    let now = 1_767_225_600;
    let ours = "0a1b2c3d";
    let alive = |pid: u32| Some(pid == 100);
    let tagged = |tag: &str, pid, age| TestDbName::Tagged { tag: tag.into(), pid, created: now - age };
    // Our namespace: the pid decides, until the age does.
    assert!(!tagged(ours, 100, 60).is_stale(ours, now, &alive));
    assert!(tagged(ours, 101, 60).is_stale(ours, now, &alive));
    assert!(!tagged(ours, 100, 6 * 3600).is_stale(ours, now, &alive));
    assert!(tagged(ours, 100, 6 * 3600 + 1).is_stale(ours, now, &alive));
    // Another machine or pid namespace: its pid means nothing here, only the age counts.
    assert!(!tagged("ffffffff", 101, 60).is_stale(ours, now, &alive));
    assert!(tagged("ffffffff", 101, 6 * 3600 + 1).is_stale(ours, now, &alive));
    // Without /proc nothing is known about pids.
    assert!(!tagged(ours, 101, 60).is_stale(ours, now, &|_| None));
    assert!(TestDbName::Legacy { pid: 101 }.is_stale(ours, now, &alive));
    assert!(!TestDbName::Legacy { pid: 100 }.is_stale(ours, now, &alive));
    assert!(!TestDbName::Legacy { pid: 101 }.is_stale(ours, now, &|_| None));
}

/// A pid no process has now (a child that has exited and been reaped).
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    pid
}

fn skip() {
    eprintln!("TEST_POSTGRES_URL not set: PostgreSQL run skipped");
}

#[test]
fn the_sweep_drops_databases_of_dead_processes_and_keeps_live_ones() {
    let Some(base) = pg_base_url() else { return skip() };
    let (admin_url, mut admin) = connect_admin(&base);
    let tag = process_namespace_tag();
    let dead = format!("retiree_test_{tag}_{}_{}_0", dead_pid(), unix_secs());
    let other_machine = format!(
        "retiree_test_{}_{}_{}_0",
        if tag == "00000000" { "11111111" } else { "00000000" },
        dead_pid(),
        unix_secs()
    );
    for name in [&dead, &other_machine] {
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE template0")).execute(&mut admin).unwrap();
    }
    let live = create_empty_pg_database(&base);

    sweep_now(&mut admin);
    let left = test_database_names(&mut admin);
    let other_left = left.contains(&other_machine);
    crate::helpers::drop_pg_database(&admin_url, &other_machine);
    assert!(!left.contains(&dead), "a database of a dead process of this namespace was kept: {left:?}");
    assert!(left.contains(&live.name), "a database of this live process was swept: {left:?}");
    assert!(other_left, "a fresh database of another pid namespace was swept: {left:?}");
}

#[test]
fn a_test_database_is_dropped_when_its_guard_is_dropped_by_a_panic() {
    let Some(base) = pg_base_url() else { return skip() };
    let (tx, rx) = std::sync::mpsc::channel();
    let joined = std::thread::spawn(move || {
        let db: PgDatabase = create_empty_pg_database(&base);
        tx.send(db.name.clone()).unwrap();
        panic!("the test fails while holding its database");
    })
    .join();
    assert!(joined.is_err());
    let name = rx.recv().unwrap();
    let (_, mut admin) = connect_admin(&pg_base_url().unwrap());
    assert!(!test_database_names(&mut admin).contains(&name), "{name} outlived the panic");
}

#[test]
fn a_test_apps_database_is_dropped_when_the_test_panics() {
    let Some(base) = pg_base_url() else { return skip() };
    let (tx, rx) = std::sync::mpsc::channel();
    let joined = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = TestApp::postgres().await.unwrap();
            tx.send(app.url.rsplit('/').next().unwrap().to_owned()).unwrap();
            app.get("/readyz", "admin").await.expect(200);
            panic!("the test fails before finish");
        })
    })
    .join();
    assert!(joined.is_err());
    let name = rx.recv().unwrap();
    assert!(name.starts_with("retiree_test_"), "{name}");
    let (_, mut admin) = connect_admin(&base);
    assert!(!test_database_names(&mut admin).contains(&name), "{name} outlived the panic");
}
