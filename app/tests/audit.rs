//! The audit-log query called directly on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL: entries of the
//! caller's subtree only, newest first, and a stored `detail` that is not JSON is an error, not dropped.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use retiree_app as app;

use app::Caller;
use app::audit::AuditFilter;
use domain::Role;
use persistence::audit::{self, NewAuditEntry};
use persistence::testing::each_backend;

fn auditor(scope_path: &str) -> Caller {
    Caller { account_id: -1, ..common::caller_as("auditor", "user", Role::Auditor, "350203", scope_path) }
}

fn entry(scope_path: &str, detail: Option<&str>) -> NewAuditEntry {
    NewAuditEntry {
        actor: "siming".into(),
        action: "retiree.update".into(),
        object_type: "retiree".into(),
        object_id: Some("1".into()),
        scope_path: scope_path.into(),
        outcome: "success".into(),
        detail: detail.map(str::to_owned),
        ..NewAuditEntry::default()
    }
}

#[test]
fn entries_of_the_subtree_newest_first_with_their_detail() {
    for mut db in each_backend() {
        audit::append(&mut db.conn, &entry("/3502/350203/", Some(r#"{"changes": {}}"#))).expect("append");
        audit::append(&mut db.conn, &entry("/3502/350206/", None)).expect("append");
        audit::append(&mut db.conn, &entry("/3502/350203/350203001/", None)).expect("append");
        let items =
            app::audit::list(&mut db.conn, &auditor("/3502/350203/"), &AuditFilter::default(), None, 50).expect("list");
        assert_eq!(items.len(), 2, "{}", db.backend);
        assert!(items[0].id > items[1].id, "newest first");
        assert_eq!(items[1].detail, Some(serde_json::json!({"changes": {}})), "{}", db.backend);
    }
}

#[test]
fn a_detail_that_is_not_json_is_an_internal_error() {
    for mut db in each_backend() {
        audit::append(&mut db.conn, &entry("/3502/350203/", Some("{not json"))).expect("append");
        let e = app::audit::list(&mut db.conn, &auditor("/3502/"), &AuditFilter::default(), None, 50)
            .expect_err("corrupt detail");
        assert_eq!((e.status(), e.code()), (500, "internal_error"), "{}", db.backend);
    }
}
