//! The hardening suite (issue 10): the service attacked the way the world will, each part answering with a figure.
//! `scripts/reliability` runs these (and the long parts marked `#[ignore]`) and prints the table from the lines
//! [`report`] appends to `$RELIABILITY_REPORT`.

mod abuse;
mod concurrency;
mod exhaustion;
mod faults;
mod privacy;
mod scope;
mod tokens;

use std::collections::BTreeMap;
use std::io::Write;

use diesel::prelude::*;

use crate::helpers::{Backend, TestApp};

/// Appends one row (test, backend, figure, target, pass) to `$RELIABILITY_REPORT` when it is set.
pub fn report(test: &str, backend: Option<Backend>, figure: &str, target: &str, pass: bool) {
    let Ok(path) = std::env::var("RELIABILITY_REPORT") else { return };
    let backend = match backend {
        Some(Backend::Sqlite) => "sqlite",
        Some(Backend::Postgres) => "postgres",
        None => "-",
    };
    let line = serde_json::json!({"test": test, "backend": backend, "figure": figure, "target": target, "pass": pass});
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "{line}");
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Row counts of every table but the audit log (and its partitions), and the sum of the retirees' versions: equal digests before and
/// after a batch of refused requests mean the batch changed nothing.
pub fn digest(app: &TestApp) -> BTreeMap<String, i64> {
    let mut conn = app.conn();
    let sql = match app.backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    };
    let tables = diesel::sql_query(sql).load::<Name>(&mut *conn).expect("tables");
    let mut out = BTreeMap::new();
    // The audit log and, on PostgreSQL, its month partitions (docs/scale.md).
    let audit = |name: &str| name == "audit_log" || name == "audit_log_default" || name.starts_with("audit_log_y");
    for t in tables.into_iter().filter(|t| !audit(&t.name)) {
        let n = diesel::sql_query(format!("SELECT count(*) AS n FROM {}", t.name))
            .get_result::<Count>(&mut *conn)
            .expect("count")
            .n;
        out.insert(t.name, n);
    }
    let versions = diesel::sql_query("SELECT CAST(coalesce(sum(version), 0) AS BIGINT) AS n FROM retirees")
        .get_result::<Count>(&mut *conn)
        .expect("versions")
        .n;
    out.insert("retirees.sum(version)".into(), versions);
    out
}

/// Words that must never reach a client: SQL, source paths, backtraces, driver names in error text.
pub fn internal_detail(text: &str) -> Option<&'static str> {
    const MARKERS: [&str; 12] = [
        "SELECT ",
        "INSERT INTO",
        "syntax error",
        "diesel",
        "panicked",
        "backtrace",
        "/src/",
        ".rs:",
        "/work/",
        "/tmp/",
        "SQLITE_",
        "duplicate key value",
    ];
    MARKERS.into_iter().find(|m| text.contains(m))
}
