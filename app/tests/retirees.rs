//! The retiree registry's use cases called directly, without HTTP, on SQLite and (with `TEST_POSTGRES_URL`)
//! PostgreSQL: register, read, update and search, with their scope, masking, audit entries and refusals.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use retiree_app as app;
use retiree_app::precondition::IfMatch;

use app::Caller;
use app::retirees::list::{SearchRequest, search, search_key};
use app::retirees::register::{register, update};
use app::retirees::registration::{CreateRetireeRequest, UpdateRetireeRequest, validate_new};
use app::retirees::view::read;
use diesel::prelude::*;
use domain::{Category, ManagementLevel, PensionStatus, Role, SpecialGroup};
use persistence::testing::{TestDb, each_backend, node};
use time::Date;
use time::macros::date;

const DISTRICT: &str = "350203";
const STREET: &str = "350203001";
const COMMUNITY: &str = "350203001001";
const OTHER_DISTRICT: &str = "350206";
const TODAY: Date = date!(2026 - 07 - 01);
const ID: &str = "350203195501010016";

/// A district with a street and a community, and another district; answers their paths.
fn fixture(db: &mut TestDb) -> (String, String) {
    let conn = &mut db.conn;
    let city = node(conn, "3502", "city", None);
    let district = node(conn, DISTRICT, "district", Some(("3502", &city)));
    let other = node(conn, OTHER_DISTRICT, "district", Some(("3502", &city)));
    let street = node(conn, STREET, "street", Some((DISTRICT, &district)));
    node(conn, COMMUNITY, "community", Some((STREET, &street)));
    (district, other)
}

fn caller(scope_path: &str, role: Role) -> Caller {
    common::caller_as("siming", "user", role, DISTRICT, scope_path)
}

fn request(community: &str) -> CreateRetireeRequest {
    serde_json::from_value(serde_json::json!({
        "name": "张三", "id_number": ID, "retirement_date": "2015-01-01",
        "category": "enterprise_employee", "management_level": "city_managed", "community_code": community,
        "phone": "13812345678", "address": "厦门市思明区厦港街道大学路1号", "monthly_pension": "3500.00",
        "party_member": true, "special_groups": [{"group": "living_alone", "from": "2024-01-01", "to": null}]
    }))
    .expect("request")
}

fn create(
    db: &mut TestDb,
    who: &Caller,
    body: CreateRetireeRequest,
) -> Result<app::retirees::view::RetireeResponse, app::AppError> {
    let (data, flags, last) = validate_new(body, TODAY).map_err(app::AppError::validation)?;
    persistence::write_tx(&mut db.conn, |conn| register(conn, who, TODAY, &data, flags, last))
}

fn audited(db: &mut TestDb, action: &str) -> i64 {
    use persistence::schema::audit_log::dsl as a;
    a::audit_log.filter(a::action.eq(action)).count().get_result(&mut db.conn).expect("audit")
}

#[test]
fn a_registration_is_written_with_its_first_validity_groups_and_audit() {
    for mut db in each_backend() {
        let (district, _) = fixture(&mut db);
        let who = caller(&district, Role::DistrictCentre);
        let r = create(&mut db, &who, request(COMMUNITY)).expect("register");
        assert_eq!(
            (r.name.as_str(), r.pension_status, r.version),
            ("张三", PensionStatus::Normal, 1),
            "{}",
            db.backend
        );
        assert_eq!((r.category, r.management_level), (Category::EnterpriseEmployee, ManagementLevel::CityManaged));
        // CS Art. 16(2): the first certification is valid one policy period (12 months by default) from registration.
        assert_eq!(r.certified_until, date!(2027 - 07 - 01), "{}", db.backend);
        assert_eq!(r.age, 71);
        assert!(r.current_special_groups.contains(&SpecialGroup::AdvancedAge), "{}", db.backend);
        assert!(r.current_special_groups.contains(&SpecialGroup::LivingAlone), "{}", db.backend);
        assert!(r.current_special_groups.contains(&SpecialGroup::PartyMember), "{}", db.backend);
        assert_eq!(audited(&mut db, "retiree.create"), 1, "{}", db.backend);
        // The same resident ID again is 409.
        let again = create(&mut db, &who, request(COMMUNITY)).expect_err("duplicate");
        assert_eq!((again.status(), again.code()), (409, "id_number_taken"), "{}", db.backend);
    }
}

#[test]
fn a_community_outside_the_subtree_or_unknown_is_refused_and_nothing_is_written() {
    for mut db in each_backend() {
        let (_, other) = fixture(&mut db);
        let outside = create(&mut db, &caller(&other, Role::DistrictCentre), request(COMMUNITY)).expect_err("outside");
        assert_eq!((outside.status(), outside.code()), (422, "community_not_found"), "{}", db.backend);
        assert_eq!(outside.errors()[0].0.field, "/community_code");
        let root = caller("/", Role::CityCentre);
        let unknown = create(&mut db, &root, request("350203001999")).expect_err("unknown");
        assert_eq!(unknown.code(), "community_not_found", "{}", db.backend);
        use persistence::schema::retirees::dsl as r;
        let written: i64 = r::retirees.count().get_result(&mut db.conn).expect("count");
        assert_eq!(written, 0, "{}", db.backend);
        assert_eq!(audited(&mut db, "retiree.create"), 0, "{}", db.backend);
    }
}

#[test]
fn a_read_is_scoped_masked_for_the_role_and_audited() {
    for mut db in each_backend() {
        let (district, other) = fixture(&mut db);
        let id = create(&mut db, &caller(&district, Role::DistrictCentre), request(COMMUNITY)).expect("register").id;
        let id = domain::RetireeId::from(id);
        let seen =
            persistence::write_tx(&mut db.conn, |conn| read(conn, &caller(&district, Role::DistrictCentre), TODAY, id))
                .expect("read");
        assert_eq!(seen.id_number, ID, "{}", db.backend);
        assert_eq!(audited(&mut db, "retiree.read"), 1, "{}", db.backend);
        let hidden =
            persistence::write_tx(&mut db.conn, |conn| read(conn, &caller(&other, Role::DistrictCentre), TODAY, id))
                .expect_err("other district");
        assert_eq!(hidden.status(), 404, "{}", db.backend);
        // The auditor sees the resident ID masked even in the single-person view (the role table).
        let platform = persistence::write_tx(&mut db.conn, |conn| read(conn, &caller("/", Role::Auditor), TODAY, id))
            .expect("auditor read");
        assert_ne!(platform.id_number, ID, "{}", db.backend);
        assert!(platform.masked_fields.contains(&"id_number".to_owned()), "{}", db.backend);
    }
}

#[test]
fn an_update_needs_the_current_version_and_writes_only_a_change() {
    for mut db in each_backend() {
        let (district, _) = fixture(&mut db);
        let who = caller(&district, Role::DistrictCentre);
        let id: domain::RetireeId = create(&mut db, &who, request(COMMUNITY)).expect("register").id.into();
        let patch = || -> UpdateRetireeRequest {
            serde_json::from_value(serde_json::json!({"phone": "13900001111", "special_groups": []})).expect("patch")
        };
        let stale =
            persistence::write_tx(&mut db.conn, |conn| update(conn, &who, TODAY, id, IfMatch::Version(7), patch()))
                .expect_err("stale");
        assert_eq!((stale.status(), stale.code()), (412, "version_mismatch"), "{}", db.backend);
        let changed =
            persistence::write_tx(&mut db.conn, |conn| update(conn, &who, TODAY, id, IfMatch::Version(1), patch()))
                .expect("update");
        assert_eq!((changed.phone.as_deref(), changed.version), (Some("13900001111"), 2), "{}", db.backend);
        assert!(changed.special_groups.is_empty(), "{}", db.backend);
        // The same change again (If-Match `*`) changes nothing and writes nothing.
        let same = persistence::write_tx(&mut db.conn, |conn| update(conn, &who, TODAY, id, IfMatch::Any, patch()))
            .expect("same");
        assert_eq!(same.version, 2, "{}", db.backend);
        assert_eq!(audited(&mut db, "retiree.update"), 1, "{}", db.backend);
        // Every broken rule is reported at once.
        let bad: UpdateRetireeRequest =
            serde_json::from_value(serde_json::json!({"phone": "12345", "retirement_date": "2015-13-01"}))
                .expect("bad");
        let refused =
            persistence::write_tx(&mut db.conn, |conn| update(conn, &who, TODAY, id, IfMatch::Version(2), bad))
                .expect_err("bad");
        assert_eq!((refused.status(), refused.errors().len()), (422, 2), "{}", db.backend);
    }
}

#[test]
fn a_search_finds_only_within_the_subtree_and_is_audited_with_the_id_masked() {
    for mut db in each_backend() {
        let (district, other) = fixture(&mut db);
        create(&mut db, &caller(&district, Role::DistrictCentre), request(COMMUNITY)).expect("register");
        let key = search_key(&SearchRequest { id_number: ID.into() }, TODAY).expect("key");
        let found = persistence::write_tx(&mut db.conn, |conn| {
            search(conn, &caller(&district, Role::DistrictCentre), TODAY, &key)?.commit(conn)
        })
        .expect("search");
        assert_eq!(found.items.len(), 1, "{}", db.backend);
        let none = persistence::write_tx(&mut db.conn, |conn| {
            search(conn, &caller(&other, Role::DistrictCentre), TODAY, &key)?.commit(conn)
        })
        .expect("search elsewhere");
        assert!(none.items.is_empty(), "{}", db.backend);
        use persistence::schema::audit_log::dsl as a;
        let details: Vec<Option<String>> =
            a::audit_log.filter(a::action.eq("retiree.search")).select(a::detail).load(&mut db.conn).expect("audit");
        assert_eq!(details.len(), 2, "{}", db.backend);
        assert!(details.iter().flatten().all(|d| !d.contains(ID)), "the audit log keeps the ID masked");
        let wrong = search_key(&SearchRequest { id_number: "350203195501010017".into() }, TODAY).expect_err("checksum");
        assert_eq!(wrong.errors()[0].0.field, "/id_number");
    }
}
