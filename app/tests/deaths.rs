//! The death-report use case called directly, without HTTP, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL:
//! the deadline and lateness the regulations set, the scope, and the refusals.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use retiree_app as app;

use app::Caller;
use app::deaths::{DeathNotice, report_death};
use diesel::prelude::*;
use domain::Role;
use domain::death::ReporterKind;
use persistence::RepoError;
use persistence::retirees::{self, RetireeData};
use persistence::testing::{TestDb, each_backend, node};
use time::Date;
use time::macros::date;

const DISTRICT: &str = "350203";
const COMMUNITY: &str = "350203001001";
const OTHER_DISTRICT: &str = "350206";

/// A district with one community, another district, and one retiree born 1950-05-06 in the community.
fn fixture(db: &mut TestDb) -> (i64, String, String) {
    let conn = &mut db.conn;
    let city = node(conn, "3502", "city", None);
    let district = node(conn, DISTRICT, "district", Some(("3502", &city)));
    let other = node(conn, OTHER_DISTRICT, "district", Some(("3502", &city)));
    let street = node(conn, "350203001", "street", Some((DISTRICT, &district)));
    node(conn, COMMUNITY, "community", Some(("350203001", &street)));
    let data = RetireeData {
        id_number: "350203195005060013".into(),
        name: "张三".into(),
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
    let person = persistence::write_tx(conn, |conn| -> Result<_, RepoError> {
        retirees::create(conn, &data, &[], date!(2026 - 01 - 05))
    })
    .expect("retiree");
    (person.id, district, other)
}

fn caller(scope_path: &str) -> Caller {
    Caller {
        account_id: 1,
        login: "siming".into(),
        kind: "user".into(),
        role: Role::DistrictCentre,
        jurisdiction_code: DISTRICT.into(),
        scope_path: scope_path.into(),
        client_ip: None,
        request_id: "test".into(),
    }
}

fn notice(retiree_id: i64, died: Date, reported: Date) -> DeathNotice {
    DeathNotice {
        retiree_id,
        date_of_death: died,
        certificate_number: "DC-1".into(),
        reporter_kind: ReporterKind::Relative,
        reporter_name: "张小明".into(),
        reporter_relation: Some("儿子".into()),
        reported_on: reported,
        note: None,
    }
}

fn report(db: &mut TestDb, who: &Caller, n: DeathNotice) -> Result<persistence::death::DeathReport, app::AppError> {
    persistence::write_tx(&mut db.conn, |conn| report_death(conn, who, n))
}

#[test]
fn a_death_is_reported_with_the_working_day_deadline_and_audited() {
    for mut db in each_backend() {
        let (id, district, _) = fixture(&mut db);
        // CS Art. 16(4): 20 working days after a death on Monday 2026-03-02 (no holidays in March: weekends only)
        // end on Monday 2026-03-30; a report on that day is in time, one on the day after is late.
        let r = report(&mut db, &caller(&district), notice(id, date!(2026 - 03 - 02), date!(2026 - 03 - 30)))
            .expect("report");
        assert_eq!(
            (r.deadline, r.late, r.status.as_str()),
            (date!(2026 - 03 - 30), false, "reported"),
            "{}",
            db.backend
        );
        assert_eq!(r.stop_month, date!(2026 - 04 - 01), "CS Art. 32: the pension stops from the month after death");
        use persistence::schema::audit_log::dsl as a;
        let audited: i64 = a::audit_log
            .filter(a::action.eq("death.report"))
            .filter(a::retiree_id.eq(id))
            .count()
            .get_result(&mut db.conn)
            .expect("audit");
        assert_eq!(audited, 1, "{}", db.backend);
        // One report per person may be open.
        let again = report(&mut db, &caller(&district), notice(id, date!(2026 - 03 - 02), date!(2026 - 03 - 31)))
            .expect_err("second report");
        assert_eq!((again.status(), again.code()), (409, "death_report_exists"), "{}", db.backend);
    }
}

#[test]
fn a_late_report_is_flagged() {
    for mut db in each_backend() {
        let (id, district, _) = fixture(&mut db);
        let r = report(&mut db, &caller(&district), notice(id, date!(2026 - 03 - 02), date!(2026 - 03 - 31)))
            .expect("report");
        assert_eq!((r.deadline, r.late), (date!(2026 - 03 - 30), true), "{}", db.backend);
    }
}

#[test]
fn out_of_scope_and_impossible_reports_are_refused_and_write_nothing() {
    for mut db in each_backend() {
        let (id, district, other) = fixture(&mut db);
        let outside = report(&mut db, &caller(&other), notice(id, date!(2026 - 03 - 02), date!(2026 - 03 - 03)))
            .expect_err("other district");
        assert_eq!((outside.status(), outside.code()), (422, "retiree_not_found"), "{}", db.backend);
        assert_eq!(outside.errors()[0].0.field, "/retiree_id");
        let unborn = report(&mut db, &caller(&district), notice(id, date!(1950 - 05 - 05), date!(2026 - 03 - 03)))
            .expect_err("before birth");
        assert_eq!((unborn.status(), unborn.code()), (422, "before_birth"), "{}", db.backend);
        use persistence::schema::death_reports::dsl as d;
        let written: i64 = d::death_reports.count().get_result(&mut db.conn).expect("count");
        assert_eq!(written, 0, "{}", db.backend);
    }
}
