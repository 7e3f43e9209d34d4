//! The account use cases called directly, without HTTP, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL: users
//! and service accounts created, changed and listed within the admin's subtree, the refusals, logins with the
//! throttle, and the caller behind a token.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use retiree_app as app;
use retiree_app::precondition::IfMatch;

use app::Caller;
use app::accounts::login::{self, Credentials, Throttle};
use app::accounts::{self, CreateServiceAccountRequest, CreateUserRequest, UpdateUserRequest, UserPatch};
use diesel::prelude::*;
use domain::Role;
use persistence::DbConnection;
use persistence::testing::{TestDb, each_backend, node};

const DISTRICT: &str = "350203";
const COMMUNITY: &str = "350203001001";
const OTHER_DISTRICT: &str = "350206";

/// A city with a district (one street, one community) and another district; returns the district's path.
fn fixture(db: &mut TestDb) -> String {
    let conn = &mut db.conn;
    let city = node(conn, "3502", "city", None);
    let district = node(conn, DISTRICT, "district", Some(("3502", &city)));
    node(conn, OTHER_DISTRICT, "district", Some(("3502", &city)));
    let street = node(conn, "350203001", "street", Some((DISTRICT, &district)));
    node(conn, COMMUNITY, "community", Some(("350203001", &street)));
    district
}

fn admin(scope_path: &str) -> Caller {
    // No stored account: every account the tests make is another one.
    Caller { account_id: -1, ..common::caller_as("siming-admin", "user", Role::Admin, DISTRICT, scope_path) }
}

fn new_user(username: &str, jurisdiction: &str) -> accounts::NewUser {
    accounts::check_new_user(&CreateUserRequest {
        username: username.into(),
        password: "a-long-passphrase".into(),
        display_name: "王工作人员".into(),
        role: Role::Community,
        jurisdiction: jurisdiction.into(),
    })
    .expect("valid")
}

fn audited(conn: &mut DbConnection, action: &str) -> i64 {
    use persistence::schema::audit_log::dsl as a;
    a::audit_log.filter(a::action.eq(action)).count().get_result(conn).expect("audit")
}

const RULE: login::ThrottleRule = login::ThrottleRule {
    max_failures: 3,
    window: time::Duration::minutes(15),
    first_delay: time::Duration::minutes(1),
    max_delay: time::Duration::minutes(15),
};
const THROTTLE: Throttle = Throttle { account: RULE, address: RULE };

fn password(login: &str, secret: &str) -> Credentials {
    login::check_credentials(login::TokenRequest::Password { username: login.into(), password: secret.into() })
        .expect("credentials")
}

#[test]
fn a_user_is_created_in_scope_changed_and_audited() {
    for mut db in each_backend() {
        let district = fixture(&mut db);
        let who = admin(&district);
        let user = persistence::write_tx(&mut db.conn, |conn| {
            accounts::create_user(conn, &who, new_user("hongshan01", COMMUNITY))
        })
        .expect("create");
        assert_eq!((user.username.as_str(), user.role, user.active), ("hongshan01", Role::Community, true));
        assert_eq!(audited(&mut db.conn, "user.create"), 1, "{}", db.backend);
        let listed = accounts::list_users(&mut db.conn, &who, None, 50).expect("list");
        assert_eq!(listed.iter().map(|u| u.id).collect::<Vec<_>>(), vec![user.id], "{}", db.backend);
        // A stale version is 412; the right one changes the user.
        let patch = UserPatch { active: Some(false), ..UserPatch::default() };
        let stale = persistence::write_tx(&mut db.conn, |conn| {
            accounts::update_user(conn, &who, user.id, IfMatch::Version(user.version + 1), patch.clone())
        })
        .expect_err("stale");
        assert_eq!(stale.status(), 412, "{}", db.backend);
        let changed = persistence::write_tx(&mut db.conn, |conn| {
            accounts::update_user(conn, &who, user.id, IfMatch::Version(user.version), patch.clone())
        })
        .expect("update");
        assert!(!changed.active);
        assert_eq!(changed.version, user.version + 1);
        assert_eq!(audited(&mut db.conn, "user.update"), 1, "{}", db.backend);
    }
}

#[test]
fn accounts_outside_the_subtree_are_refused() {
    for mut db in each_backend() {
        let district = fixture(&mut db);
        let who = admin(&district);
        // A node outside the admin's subtree is not found (422 on the field).
        let outside = persistence::write_tx(&mut db.conn, |conn| {
            accounts::create_user(conn, &who, new_user("elsewhere", OTHER_DISTRICT))
        })
        .expect_err("other district");
        assert_eq!((outside.status(), outside.code()), (422, "jurisdiction_not_found"), "{}", db.backend);
        // A user made by the city is invisible to the district admin: 404, not 403.
        let city = admin("/3502/");
        let user = persistence::write_tx(&mut db.conn, |conn| {
            accounts::create_user(conn, &city, new_user("haicang01", OTHER_DISTRICT))
        })
        .expect("city creates");
        let hidden = accounts::get_user(&mut db.conn, &who, user.id).expect_err("hidden");
        assert_eq!(hidden.status(), 404, "{}", db.backend);
        // The same username twice is 409.
        let taken = persistence::write_tx(&mut db.conn, |conn| {
            accounts::create_user(conn, &city, new_user("haicang01", DISTRICT))
        })
        .expect_err("taken");
        assert_eq!((taken.status(), taken.code()), (409, "login_taken"), "{}", db.backend);
    }
}

#[test]
fn admins_cannot_change_their_own_access() {
    for mut db in each_backend() {
        let district = fixture(&mut db);
        let city = admin("/3502/");
        let user = persistence::write_tx(&mut db.conn, |conn| {
            accounts::create_user(conn, &city, new_user("self01", DISTRICT))
        })
        .expect("create");
        let me = Caller { account_id: user.id, ..admin(&district) };
        let patch = accounts::check_user_patch(UpdateUserRequest { role: Some(Role::Admin), ..Default::default() })
            .expect("patch");
        let refused = persistence::write_tx(&mut db.conn, |conn| {
            accounts::update_user(conn, &me, user.id, IfMatch::Any, patch.clone())
        })
        .expect_err("own role");
        assert_eq!((refused.status(), refused.code()), (422, "cannot_change_own_access"), "{}", db.backend);
    }
}

#[test]
fn checks_collect_every_broken_rule() {
    let errors = accounts::check_new_user(&CreateUserRequest {
        username: "x".into(),
        password: "short".into(),
        display_name: String::new(),
        role: Role::Community,
        jurisdiction: COMMUNITY.into(),
    })
    .expect_err("invalid");
    let codes: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
    assert_eq!(
        codes,
        vec![("/username", "username_format"), ("/password", "password_length"), ("/display_name", "length")]
    );
}

#[test]
fn a_service_account_logs_in_with_its_secret_until_it_is_rotated() {
    for mut db in each_backend() {
        let district = fixture(&mut db);
        let who = admin(&district);
        let body =
            CreateServiceAccountRequest {
                name: "平台".into(), role: Role::Integration, jurisdiction: DISTRICT.into()
            };
        let name = accounts::check_new_service_account(&body).expect("valid");
        let svc = persistence::write_tx(&mut db.conn, |conn| {
            accounts::create_service_account(conn, &who, name, body.role, &body.jurisdiction)
        })
        .expect("create");
        let secret = svc.client_secret.clone().expect("secret shown once");
        let creds = |s: &str| {
            login::check_credentials(login::TokenRequest::ClientCredentials {
                client_id: svc.client_id.clone(),
                client_secret: s.into(),
            })
            .expect("credentials")
        };
        let issued = login::login(&mut db.conn, THROTTLE, creds(&secret), None, "r1".into()).expect("login");
        assert_eq!((issued.kind.as_str(), issued.role.as_str()), ("service", "integration"), "{}", db.backend);
        // A service account cannot log in as a user.
        let as_user = login::login(&mut db.conn, THROTTLE, password(&svc.client_id, &secret), None, "r2".into())
            .expect_err("wrong grant");
        assert_eq!(as_user.code(), "invalid_credentials", "{}", db.backend);
        let rotated = persistence::write_tx(&mut db.conn, |conn| {
            accounts::rotate_secret(conn, &who, svc.id, IfMatch::Version(svc.version))
        })
        .expect("rotate");
        let new_secret = rotated.client_secret.expect("new secret");
        assert_ne!(new_secret, secret);
        let old = login::login(&mut db.conn, THROTTLE, creds(&secret), None, "r3".into()).expect_err("old secret");
        assert_eq!(old.code(), "invalid_credentials", "{}", db.backend);
        login::login(&mut db.conn, THROTTLE, creds(&new_secret), None, "r4".into()).expect("new secret works");
    }
}

#[test]
fn failed_logins_lock_the_name_and_every_attempt_is_audited() {
    for mut db in each_backend() {
        let district = fixture(&mut db);
        let who = admin(&district);
        persistence::write_tx(&mut db.conn, |conn| accounts::create_user(conn, &who, new_user("lockme", COMMUNITY)))
            .expect("create");
        for i in 0..THROTTLE.account.max_failures {
            let e = login::login(&mut db.conn, THROTTLE, password("lockme", "wrong-password"), None, format!("f{i}"))
                .expect_err("wrong");
            assert_eq!(e.status(), 401, "{}", db.backend);
        }
        let locked = login::login(&mut db.conn, THROTTLE, password("lockme", "a-long-passphrase"), None, "ok".into())
            .expect_err("locked");
        assert_eq!((locked.status(), locked.code()), (429, "login_throttled"), "{}", db.backend);
        assert!(locked.retry_after().is_some_and(|s| s > 0));
        use persistence::schema::audit_log::dsl as a;
        let outcomes: Vec<String> = a::audit_log
            .filter(a::action.eq("auth.login"))
            .order(a::id.asc())
            .select(a::outcome)
            .load(&mut db.conn)
            .expect("audit");
        assert_eq!(outcomes, vec!["failed", "failed", "failed", "throttled"], "{}", db.backend);
    }
}

#[test]
fn the_caller_is_the_account_as_stored_now() {
    for mut db in each_backend() {
        let district = fixture(&mut db);
        let who = admin(&district);
        let user = persistence::write_tx(&mut db.conn, |conn| {
            accounts::create_user(conn, &who, new_user("caller01", COMMUNITY))
        })
        .expect("create");
        let caller = login::authenticate(&mut db.conn, "caller01", "user", 0, Some("10.0.0.8".into()), "r".into())
            .expect("caller");
        assert_eq!((caller.account_id, caller.role), (user.id, Role::Community));
        assert!(caller.scope_path.ends_with(&format!("/{COMMUNITY}/")), "{}", caller.scope_path);
        let wrong_kind =
            login::authenticate(&mut db.conn, "caller01", "service", 0, None, "r".into()).expect_err("wrong kind");
        assert_eq!(wrong_kind.code(), "account_inactive", "{}", db.backend);
        let patch = UserPatch { active: Some(false), ..UserPatch::default() };
        persistence::write_tx(&mut db.conn, |conn| {
            accounts::update_user(conn, &who, user.id, IfMatch::Any, patch.clone())
        })
        .expect("disable");
        let disabled =
            login::authenticate(&mut db.conn, "caller01", "user", 0, None, "r".into()).expect_err("disabled");
        assert_eq!((disabled.status(), disabled.code()), (401, "account_inactive"), "{}", db.backend);
    }
}

#[test]
fn a_new_password_or_secret_ends_the_tokens_issued_before() {
    for mut db in each_backend() {
        let district = fixture(&mut db);
        let who = admin(&district);
        let user =
            persistence::write_tx(&mut db.conn, |conn| accounts::create_user(conn, &who, new_user("gen01", COMMUNITY)))
                .expect("create");
        let issued = login::login(&mut db.conn, THROTTLE, password("gen01", "a-long-passphrase"), None, "r".into())
            .expect("login");
        login::authenticate(&mut db.conn, "gen01", "user", issued.generation, None, "r".into()).expect("valid");
        // Another change keeps the tokens; a new password ends them.
        let rename = UserPatch { display_name: Some("改名".into()), ..UserPatch::default() };
        persistence::write_tx(&mut db.conn, |conn| {
            accounts::update_user(conn, &who, user.id, IfMatch::Any, rename.clone())
        })
        .expect("rename");
        login::authenticate(&mut db.conn, "gen01", "user", issued.generation, None, "r".into()).expect("still valid");
        let new_password = UserPatch { password: Some("another-long-passphrase".into()), ..UserPatch::default() };
        persistence::write_tx(&mut db.conn, |conn| {
            accounts::update_user(conn, &who, user.id, IfMatch::Any, new_password.clone())
        })
        .expect("new password");
        let stale = login::authenticate(&mut db.conn, "gen01", "user", issued.generation, None, "r".into())
            .expect_err("stale token");
        assert_eq!((stale.status(), stale.code()), (401, "invalid_token"), "{}", db.backend);
        let again =
            login::login(&mut db.conn, THROTTLE, password("gen01", "another-long-passphrase"), None, "r".into())
                .expect("login again");
        assert_eq!(again.generation, issued.generation + 1);
        login::authenticate(&mut db.conn, "gen01", "user", again.generation, None, "r".into()).expect("new token");
    }
}
