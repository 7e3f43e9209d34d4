//! Fresh migrated databases for the tests of `persistence`, `app` and the service (feature `testing`): SQLite in a
//! temporary directory always, PostgreSQL when `TEST_POSTGRES_URL` is set. Without the URL a PostgreSQL case is
//! skipped, or fails under `REQUIRE_POSTGRES=1`, so a suite meant to cover both backends cannot pass on one.
#![allow(clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::RunQueryDsl;

use crate::{DatabaseUrl, DbConnection};

/// A migrated database, dropped at the end (PostgreSQL) or living in a temporary directory (SQLite).
pub struct TestDb {
    /// The connection to it.
    pub conn: DbConnection,
    /// Which backend.
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Connections to it are ended by FORCE (ours is still open here).
            if let Ok(mut c) = crate::connection::establish(&DatabaseUrl::Postgres(admin)) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
            }
        }
    }
}

/// A fresh SQLite database with the migrations applied.
pub fn sqlite() -> TestDb {
    crate::sealed::install_test_keys();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("test.db").to_string_lossy().into_owned();
    let mut conn = crate::connection::establish(&DatabaseUrl::Sqlite(path)).expect("open SQLite");
    crate::run_migrations(&mut conn).expect("migrate SQLite");
    TestDb { conn, backend: "sqlite", _dir: Some(dir), pg: None }
}

/// Whether `REQUIRE_POSTGRES` is set to anything but empty or `0`.
pub fn postgres_required() -> bool {
    std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| !matches!(v.trim(), "" | "0"))
}

/// `postgres://…/db` with the database name replaced.
pub fn with_database(url: &str, db: &str) -> String {
    let (head, tail) = url.split_once("://").unwrap_or(("postgres", url));
    let (authority, rest) = tail.split_once('/').unwrap_or((tail, ""));
    let query = rest.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
    format!("{head}://{authority}/{db}{query}")
}

/// A fresh PostgreSQL database with the migrations applied, dropped with the value; `None` without
/// `TEST_POSTGRES_URL` (a panic under `REQUIRE_POSTGRES=1`).
pub fn postgres() -> Option<TestDb> {
    crate::sealed::install_test_keys();
    static N: AtomicU32 = AtomicU32::new(0);
    let base = std::env::var("TEST_POSTGRES_URL").ok().filter(|u| !u.trim().is_empty());
    assert!(
        base.is_some() || !postgres_required(),
        "REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set: the PostgreSQL run would be skipped"
    );
    let base = base?;
    let admin = with_database(&base, "postgres");
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let name = format!("retiree_crate_{}_{secs}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let mut admin_conn =
        crate::connection::establish(&DatabaseUrl::Postgres(admin.clone())).expect("connect to PostgreSQL");
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin_conn).expect("create database");
    let mut conn = crate::connection::establish(&DatabaseUrl::Postgres(with_database(&base, &name)))
        .expect("connect to the test database");
    crate::run_migrations(&mut conn).expect("migrate PostgreSQL");
    Some(TestDb { conn, backend: "postgres", _dir: None, pg: Some((admin, name)) })
}

/// Both backends: SQLite, and PostgreSQL when configured.
pub fn each_backend() -> Vec<TestDb> {
    std::iter::once(sqlite()).chain(postgres()).collect()
}

/// Creates a division node named `节点{code}` under `parent` (its code and path; `None` for a root) and answers
/// its path: the tree the use-case tests build their fixtures on.
pub fn node(conn: &mut DbConnection, code: &str, level: &str, parent: Option<(&str, &str)>) -> String {
    let path = domain::jurisdiction::child_path(parent.map(|(_, p)| p), code);
    let row = crate::jurisdictions::NodeRow {
        code: code.into(),
        name: format!("节点{code}"),
        level: level.into(),
        parent_code: parent.map(|(c, _)| c.to_owned()),
        path: path.clone(),
    };
    crate::write_tx(conn, |conn| crate::jurisdictions::create(conn, &row, "test")).expect("node");
    path
}
