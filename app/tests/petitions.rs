//! The petition use cases called directly, without HTTP, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL: a
//! collective petition goes to the street at once (GUIDE 第三章三), each further escalation restarts the clock at
//! the receiving level, the city is the top, and a district outside the case's path never sees it.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use retiree_app as app;

use app::Caller;
use app::petitions::handle::{Act, act};
use app::petitions::register::{check, register};
use app::petitions::{PersonInput, RegisterPetitionRequest};
use common::{COMMUNITY, DISTRICT, city_with_two_districts, district_caller, register as add_retiree, retiree_data};
use domain::petition::{PetitionCategory, PetitionChannel};
use persistence::testing::each_backend;
use time::macros::date;

fn city_caller(path: &str) -> Caller {
    Caller { role: domain::Role::CityCentre, jurisdiction_code: "3502".into(), ..district_caller("city", "3502", path) }
}

#[test]
fn a_collective_petition_goes_up_at_once_and_every_level_restarts_the_clock_guide_reception() {
    for mut db in each_backend() {
        let (district, other) = city_with_two_districts(&mut db.conn);
        let city_path = district.trim_end_matches('/').rsplit_once('/').map(|(p, _)| format!("{p}/")).unwrap();
        let person = add_retiree(&mut db.conn, &retiree_data("350203195005060013", COMMUNITY));
        let today = date!(2026 - 12 - 06);
        let body = RegisterPetitionRequest {
            channel: PetitionChannel::Visit,
            category: PetitionCategory::Complaint,
            urgency: None,
            major_policy: None,
            persons: vec![PersonInput { retiree_id: Some(person), dependent_id: None, name: None, phone: None }],
            people_count: Some(5),
            text: "五人集体反映".into(),
            attachments: None,
            received_on: None,
            due_on: None,
            jurisdiction: Some(COMMUNITY.into()),
        };
        let asked = check(&body, today).unwrap();
        let siming = district_caller("siming", DISTRICT, &district);
        let v = persistence::write_tx(&mut db.conn, |conn| register(conn, &siming, today, asked)).unwrap();
        // GUIDE 第三章三: "集体上访…应立即向上一级退管机构报告"; 10 calendar days from today at the street.
        assert_eq!((v.collective, v.owner.as_str(), v.escalations), (true, "350203001", 1), "{}", db.backend);
        assert_eq!((v.answer_due, v.clock_started_on), (date!(2026 - 12 - 16), today));
        // Another district does not see it.
        let huli = district_caller("huli", "350206", &other);
        let err = persistence::write_tx(&mut db.conn, |conn| {
            act(conn, &huli, today, v.id, None, Act::Escalate { note: None })
        })
        .unwrap_err();
        assert_eq!(err.status(), 404);
        // Street → district (the district centre acts for the street below it), a day later.
        let next = date!(2026 - 12 - 07);
        let v = persistence::write_tx(&mut db.conn, |conn| {
            act(conn, &siming, next, v.id, None, Act::Escalate { note: None })
        })
        .unwrap();
        assert_eq!((v.owner.as_str(), v.escalations, v.answer_due), (DISTRICT, 2, date!(2026 - 12 - 17)));
        // District → city: the district no longer holds it; the city does.
        let v = persistence::write_tx(&mut db.conn, |conn| {
            act(conn, &siming, next, v.id, None, Act::Escalate { note: None })
        })
        .unwrap();
        assert_eq!(v.owner, "3502");
        let err = persistence::write_tx(&mut db.conn, |conn| {
            act(conn, &siming, next, v.id, None, Act::Escalate { note: None })
        })
        .unwrap_err();
        assert_eq!(err.status(), 403);
        let city = city_caller(&city_path);
        let err = persistence::write_tx(&mut db.conn, |conn| {
            act(conn, &city, next, v.id, None, Act::Escalate { note: None })
        })
        .unwrap_err();
        assert_eq!((err.status(), err.code()), (422, "petition_top_level"));
    }
}
