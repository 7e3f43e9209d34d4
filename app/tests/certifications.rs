//! The certification use cases called directly, without HTTP, on SQLite and (with `TEST_POSTGRES_URL`)
//! PostgreSQL: a run suspends everybody overdue once (CS Art. 32(1)), a later certification resumes the pension
//! with the months suspended paid back (CS Art. 32(1): "恢复发放或补发"), the evidence each method needs (XM Art.
//! 15), and the scope.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use retiree_app as app;

use app::Caller;
use app::certifications::runs::{RunAsked, run};
use app::certifications::{CertifyRequest, Checked, certify, check};
use common::{COMMUNITY, DISTRICT, city_with_two_districts, district_caller, register, retiree_data};
use diesel::prelude::*;
use domain::pension::CertificationMethod;
use persistence::testing::{TestDb, each_backend};
use time::Date;
use time::macros::date;

/// A district with one community, another district, and one retiree certified until 2027-01-01 with a pension
/// of 3,500.00 a month.
fn fixture(db: &mut TestDb) -> (i64, String, String) {
    let conn = &mut db.conn;
    let (district, other) = city_with_two_districts(conn);
    let person = register(conn, &retiree_data("350203195005060013", COMMUNITY));
    (person, district, other)
}

fn caller(scope_path: &str) -> Caller {
    district_caller("siming", DISTRICT, scope_path)
}

fn run_on(
    db: &mut TestDb,
    who: &Caller,
    as_of: Date,
    dry_run: bool,
) -> Result<app::certifications::runs::RunResponse, app::AppError> {
    let asked = RunAsked { jurisdiction: Some(DISTRICT.into()), as_of, dry_run };
    persistence::write_tx(&mut db.conn, |conn| run(conn, who, asked))
}

fn at_station(on: &str) -> CertifyRequest {
    CertifyRequest {
        method: CertificationMethod::CommunityWorker,
        certified_on: on.into(),
        data_source: None,
        provider: None,
        provider_reference: None,
        score: None,
        certifier_name: Some("王五".into()),
        evidence: None,
    }
}

fn checked(on: &str, today: Date) -> Checked {
    check(&at_station(on), today).expect("a complete certification")
}

fn status_of(db: &mut TestDb, id: i64) -> (String, Option<String>) {
    use persistence::schema::retirees::dsl as r;
    r::retirees.find(id).select((r::pension_status, r::suspension_reason)).first(&mut db.conn).expect("status")
}

#[test]
fn a_run_suspends_the_overdue_once_and_a_certification_resumes_with_back_pay() {
    for mut db in each_backend() {
        let (id, district, _) = fixture(&mut db);
        let who = caller(&district);
        // Valid until 2027-01-01: not overdue on that day, so a run then suspends nobody.
        let early = run_on(&mut db, &who, date!(2027 - 01 - 01), false).expect("run");
        assert_eq!(early.counts.suspended, 0, "{}", db.backend);
        // A dry run the day after lists the person and changes nothing.
        let dry = run_on(&mut db, &who, date!(2027 - 01 - 02), true).expect("dry run");
        assert_eq!((dry.counts.suspended, dry.dry_run), (1, true), "{}", db.backend);
        assert_eq!(status_of(&mut db, id), ("normal".into(), None), "{}", db.backend);
        // CS Art. 32(1): a real run suspends from the month of the as-of date; a second one changes nothing.
        let real = run_on(&mut db, &who, date!(2027 - 01 - 02), false).expect("run");
        assert_eq!(real.counts.suspended, 1, "{}", db.backend);
        assert_eq!(real.by_jurisdiction.iter().map(|n| n.suspended).sum::<i64>(), 1, "{}", db.backend);
        let again = run_on(&mut db, &who, date!(2027 - 01 - 02), false).expect("second run");
        assert_eq!(again.counts.suspended, 0, "{}", db.backend);
        assert_eq!(
            status_of(&mut db, id),
            ("suspended".into(), Some("certification_overdue".into())),
            "{}",
            db.backend
        );
        // Certified on 2027-03-10: resumed in March, January and February paid back (policy default for an
        // overdue certification).
        let today = date!(2027 - 03 - 10);
        let answer =
            persistence::write_tx(&mut db.conn, |conn| certify(conn, &who, today, id, checked("2027-03-10", today)))
                .expect("certify");
        assert!(answer.extended, "{}", db.backend);
        let resumed = answer.resumption.expect("the certification resumes the pension");
        let back_pay = resumed.back_pay.expect("back-pay");
        assert_eq!(
            (
                resumed.effective_month.as_str(),
                back_pay.months_suspended,
                back_pay.months_paid,
                back_pay.amount.as_deref()
            ),
            ("2027-03", 2, 2, Some("7000.00")),
            "{}",
            db.backend
        );
        assert_eq!(status_of(&mut db, id), ("normal".into(), None), "{}", db.backend);
        use persistence::schema::audit_log::dsl as a;
        let audited: Vec<String> = a::audit_log
            .filter(a::retiree_id.eq(id).or(a::action.eq("certification.run")))
            .select(a::action)
            .order(a::id.asc())
            .load(&mut db.conn)
            .expect("audit");
        assert_eq!(
            audited,
            [
                "certification.run",
                "certification.run",
                "certification.run",
                "certification.run",
                "certification.record",
                "pension.resume"
            ],
            "{}",
            db.backend
        );
    }
}

#[test]
fn a_run_outside_the_caller_subtree_is_refused_and_writes_nothing() {
    for mut db in each_backend() {
        let (_, _, other) = fixture(&mut db);
        let e = run_on(&mut db, &caller(&other), date!(2027 - 01 - 02), false).expect_err("another district");
        assert_eq!((e.status(), e.code()), (422, "jurisdiction_not_found"), "{}", db.backend);
        use persistence::schema::certification_runs::dsl as r;
        let written: i64 = r::certification_runs.count().get_result(&mut db.conn).expect("count");
        assert_eq!(written, 0, "{}", db.backend);
    }
}

#[test]
fn a_person_outside_the_caller_subtree_cannot_be_certified() {
    for mut db in each_backend() {
        let (id, _, other) = fixture(&mut db);
        let today = date!(2026 - 07 - 15);
        let e = persistence::write_tx(&mut db.conn, |conn| {
            certify(conn, &caller(&other), today, id, checked("2026-07-15", today))
        })
        .expect_err("another district");
        assert_eq!(e.status(), 404, "{}", db.backend);
    }
}

#[test]
fn each_method_needs_its_evidence_and_no_date_in_the_future() {
    // XM Art. 15: a certification by a person names who certified; face recognition its provider, reference and
    // score.
    let today = date!(2026 - 07 - 15);
    let mut body = at_station("2026-07-16");
    body.certifier_name = None;
    body.score = Some("0.9".into());
    let errors = check(&body, today).expect_err("broken");
    let codes: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
    assert_eq!(
        codes,
        [("/certified_on", "date_in_future"), ("/certifier_name", "required_for_method"), ("/score", "not_for_method")]
    );
}
