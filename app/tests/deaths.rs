//! The death-report use case called directly, without HTTP, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL:
//! the deadline and lateness the regulations set, the scope, and the refusals.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use retiree_app as app;

use app::Caller;
use app::deaths::{DeathNotice, report_death};
use common::{COMMUNITY, DISTRICT, city_with_two_districts, district_caller, register, retiree_data};
use diesel::prelude::*;
use domain::death::ReporterKind;
use persistence::testing::{TestDb, each_backend};
use time::Date;
use time::macros::date;

/// A district with one community, another district, and one retiree born 1950-05-06 in the community.
fn fixture(db: &mut TestDb) -> (i64, String, String) {
    let conn = &mut db.conn;
    let (district, other) = city_with_two_districts(conn);
    let person = register(conn, &retiree_data("350203195005060013", COMMUNITY));
    (person, district, other)
}

fn caller(scope_path: &str) -> Caller {
    district_caller("siming", DISTRICT, scope_path)
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
