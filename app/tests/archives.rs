//! The archive use cases called directly, without HTTP, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL: the
//! receipt check of CS Art. 12(2), one archive per person, a place only in a repository of the person's own
//! district, JN Art. 20's capacity, and the shortfall of JN Art. 12 and 20 counted from the records.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use retiree_app as app;

use app::Caller;
use app::archives::Preparation;
use app::archives::receive::{ReceiveRequest, check, receive};
use app::archives::store::{CreateRepositoryRequest, PlaceRequest, create_repository, place, staffing_of};
use common::{COMMUNITY, DISTRICT, OTHER_DISTRICT, city_with_two_districts, district_caller, register, retiree_data};
use persistence::testing::each_backend;
use time::macros::date;

fn archivist(city_path: &str) -> Caller {
    Caller {
        role: domain::Role::Archivist,
        jurisdiction_code: "3502".into(),
        ..district_caller("archivist", "3502", city_path)
    }
}

fn body(retiree: i64, volumes: i32) -> ReceiveRequest {
    ReceiveRequest {
        retiree_id: Some(retiree),
        handover: None,
        volumes,
        pieces: 30,
        preparation: Preparation {
            sorted: Some("2026-11-02".into()),
            catalogued: Some("2026-11-02".into()),
            bound: Some("2026-11-03".into()),
            digitised: Some("2026-11-10".into()),
        },
        accept_unprepared: None,
        missing_items: None,
        delivered_by: "厦门港务集团 李四".into(),
        received_on: None,
        materials: None,
    }
}

#[test]
fn receipt_place_and_shortfall_cs_12_2_jn_12_20() {
    for mut db in each_backend() {
        let (district, _other) = city_with_two_districts(&mut db.conn);
        let city_path = district.trim_end_matches('/').rsplit_once('/').map(|(p, _)| format!("{p}/")).unwrap();
        let today = date!(2026 - 12 - 06);
        let keeper = archivist(&city_path);
        let person = register(&mut db.conn, &retiree_data("350203195005060013", COMMUNITY));
        // CS Art. 12(2): not digitised, refused naming the item.
        let mut unprepared = body(person, 2);
        unprepared.preparation.digitised = None;
        let errors = check(&unprepared, today).unwrap_err();
        assert_eq!(errors.len(), 1, "{}", db.backend);
        assert_eq!(
            (errors[0].field.as_str(), errors[0].code.as_str()),
            ("/preparation/digitised", "archive_unprepared")
        );
        // A district centre may not receive.
        let siming = district_caller("siming", DISTRICT, &district);
        let asked = check(&body(person, 2), today).unwrap();
        let err = persistence::write_tx(&mut db.conn, |conn| receive(conn, &siming, today, asked.clone())).unwrap_err();
        assert_eq!(err.status(), 403);
        let a = persistence::write_tx(&mut db.conn, |conn| receive(conn, &keeper, today, asked.clone())).unwrap();
        assert_eq!((a.volumes, a.status), (2, domain::archive::ArchiveStatus::InStore));
        let err = persistence::write_tx(&mut db.conn, |conn| receive(conn, &keeper, today, asked.clone())).unwrap_err();
        assert_eq!((err.status(), err.code()), (409, "archive_exists"));
        // Repositories: 思明 60 m² (JN Art. 20: 10,000 volumes), 湖里 60 m².
        let repo = |code: &str, node: &str| CreateRepositoryRequest {
            code: code.into(),
            name: format!("{code} 库房"),
            jurisdiction: node.into(),
            area_m2: 60,
            keepers: 0,
        };
        let sm = persistence::write_tx(&mut db.conn, |conn| {
            create_repository(conn, &keeper, today, repo("SM-01", DISTRICT))
        })
        .unwrap();
        let hl = persistence::write_tx(&mut db.conn, |conn| {
            create_repository(conn, &keeper, today, repo("HL-01", OTHER_DISTRICT))
        })
        .unwrap();
        assert_eq!(sm.capacity_volumes, 10_000);
        let at = |id: i64| PlaceRequest {
            repository_id: id,
            room: "1".into(),
            shelf: "A".into(),
            box_: "7".into(),
            stored_on: None,
        };
        let err =
            persistence::write_tx(&mut db.conn, |conn| place(conn, &keeper, today, a.id, None, at(hl.id))).unwrap_err();
        assert_eq!((err.status(), err.code()), (422, "location_out_of_jurisdiction"));
        let placed =
            persistence::write_tx(&mut db.conn, |conn| place(conn, &keeper, today, a.id, None, at(sm.id))).unwrap();
        assert_eq!(placed.place.unwrap().repository, "SM-01");
        // JN Art. 12: 2 volumes need a keeper the repository lacks; JN Art. 20: 1 m² (rounded up), 60 there.
        let s = staffing_of(&mut db.conn, &district, today).unwrap();
        assert_eq!((s.volumes, s.node.keepers_required, s.node.keepers_short, s.node.area_short_m2), (2, 1, 1, 0));
        assert_eq!(s.repositories[0].occupancy_volumes, 2);
    }
}
