//! The condolence and visit use cases called directly, without HTTP, on SQLite and (with `TEST_POSTGRES_URL`)
//! PostgreSQL: the policy amount and yearly cap (XM Art. 21(2)-(3)), the verified death a death condolence needs,
//! the minimum-living-allowance referral of a hardship visit, the scope, and what each writes.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use retiree_app as app;

use app::Caller;
use app::care::condolences::{self, CondolenceInput};
use app::care::visits::{self, VisitInput};
use app::deaths::{ReportRecord, open_report};
use common::{COMMUNITY, DISTRICT, city_with_two_districts, district_caller};
use diesel::prelude::*;
use domain::death::{DeathReportStatus, ReporterKind};
use domain::policy::CondolenceKind;
use persistence::policies::{self, NewPolicyVersion};
use persistence::retirees::{self, GroupFlag, RetireeData};
use persistence::testing::{TestDb, each_backend};
use persistence::{DbConnection, RepoError};
use time::Date;
use time::macros::date;

fn person(conn: &mut DbConnection, seq: u32, flags: &[GroupFlag]) -> i64 {
    let data = RetireeData {
        id_number: format!("3502031950050600{seq:02}"),
        name: format!("张{seq}"),
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
    persistence::write_tx(conn, |conn| -> Result<_, RepoError> {
        retirees::create(conn, &data, flags, date!(2026 - 01 - 05))
    })
    .expect("retiree")
    .id
}

/// Xiamen's policy in force at the city from 2025; a district with one community, another district; the paths of
/// the two districts.
fn fixture(db: &mut TestDb) -> (String, String) {
    let conn = &mut db.conn;
    let (district, other) = city_with_two_districts(conn);
    let version = NewPolicyVersion {
        jurisdiction_code: "3502".into(),
        version: 1,
        valid_from: date!(2025 - 01 - 01),
        valid_to: None,
        preset: Some("xiamen-2025".into()),
        parameters: serde_json::to_string(&domain::policy::presets::xiamen_2025()).expect("json"),
        note: None,
        created_by: "test".into(),
        extends_beyond_term: false,
    };
    persistence::write_tx(conn, |conn| policies::create(conn, &version)).expect("policy");
    (district, other)
}

fn caller(scope_path: &str) -> Caller {
    district_caller("siming", DISTRICT, scope_path)
}

fn condolence(retiree_id: i64, kind: CondolenceKind, on: Date, paid: bool) -> CondolenceInput {
    CondolenceInput { retiree_id, kind, on_date: on, paid, note: None }
}

fn record(
    db: &mut TestDb,
    who: &Caller,
    input: CondolenceInput,
) -> Result<condolences::CondolenceResponse, app::AppError> {
    persistence::write_tx(&mut db.conn, |conn| condolences::record(conn, who, input))
}

fn audited(db: &mut TestDb, action: &str, retiree_id: i64) -> i64 {
    use persistence::schema::audit_log::dsl as a;
    a::audit_log
        .filter(a::action.eq(action))
        .filter(a::retiree_id.eq(retiree_id))
        .count()
        .get_result(&mut db.conn)
        .expect("audit")
}

#[test]
fn hospital_condolences_pay_the_policy_amount_twice_a_year_then_only_unpaid_visits() {
    for mut db in each_backend() {
        let (district, _) = fixture(&mut db);
        let id = person(&mut db.conn, 13, &[]);
        let who = caller(&district);
        // XM Art. 21(2): "住院慰问…每人每年不超过2次，每次200元".
        for day in [date!(2026 - 03 - 02), date!(2026 - 05 - 12)] {
            let c = record(&mut db, &who, condolence(id, CondolenceKind::Hospital, day, true)).expect("paid");
            assert_eq!(
                (c.amount.as_str(), c.amount_source.as_str(), c.year, c.paid),
                ("200.00", "XM Art. 21(2)", 2026, true),
                "{}",
                db.backend
            );
        }
        let third = record(&mut db, &who, condolence(id, CondolenceKind::Hospital, date!(2026 - 09 - 01), true))
            .expect_err("third paid");
        assert_eq!((third.status(), third.code()), (422, "condolence_cap_exceeded"), "{}", db.backend);
        let unpaid = record(&mut db, &who, condolence(id, CondolenceKind::Hospital, date!(2026 - 09 - 01), false))
            .expect("a visit without payment is not capped");
        assert_eq!((unpaid.amount.as_str(), unpaid.paid), ("0.00", false), "{}", db.backend);
        // A new calendar year has its own cap.
        record(&mut db, &who, condolence(id, CondolenceKind::Hospital, date!(2027 - 01 - 04), true)).expect("2027");
        assert_eq!(audited(&mut db, "condolence.create", id), 4, "{}", db.backend);
        let read = persistence::write_tx(&mut db.conn, |conn| condolences::read(conn, &who, unpaid.id)?.commit(conn))
            .expect("read");
        assert_eq!(read.id, unpaid.id);
        assert_eq!(audited(&mut db, "condolence.read", id), 1, "{}", db.backend);
    }
}

#[test]
fn a_death_condolence_needs_a_verified_death() {
    for mut db in each_backend() {
        let (district, _) = fixture(&mut db);
        let id = person(&mut db.conn, 21, &[]);
        let who = caller(&district);
        let on = date!(2026 - 03 - 20);
        let early = record(&mut db, &who, condolence(id, CondolenceKind::Death, on, true)).expect_err("no death");
        assert_eq!((early.status(), early.code()), (409, "death_not_verified"), "{}", db.backend);
        persistence::write_tx(&mut db.conn, |conn| -> Result<_, RepoError> {
            let calendar = persistence::calendar::load_calendar(conn, 2026, 2027)?;
            open_report(
                conn,
                &calendar,
                20,
                ReportRecord {
                    retiree_id: id,
                    community_code: COMMUNITY.into(),
                    date_of_death: date!(2026 - 03 - 15),
                    certificate_number: "DC-1".into(),
                    reporter_kind: ReporterKind::Relative,
                    reporter_name: "张小明".into(),
                    reporter_relation: None,
                    reported_on: date!(2026 - 03 - 16),
                    status: DeathReportStatus::Verified,
                    note: None,
                    created_by: "test".into(),
                },
            )
        })
        .expect("verified report");
        // XM Art. 21(3): "亡故退休人员家属慰问…每人500元".
        let c = record(&mut db, &who, condolence(id, CondolenceKind::Death, on, true)).expect("death condolence");
        assert_eq!((c.amount.as_str(), c.amount_source.as_str()), ("500.00", "XM Art. 21(3)"), "{}", db.backend);
    }
}

#[test]
fn out_of_scope_people_are_unknown_and_nothing_is_written() {
    for mut db in each_backend() {
        let (_, other) = fixture(&mut db);
        let id = person(&mut db.conn, 35, &[]);
        let who = caller(&other);
        let c = record(&mut db, &who, condolence(id, CondolenceKind::Hospital, date!(2026 - 03 - 02), true))
            .expect_err("other district");
        assert_eq!((c.status(), c.code(), c.errors()[0].0.field.as_str()), (422, "retiree_not_found", "/retiree_id"));
        let visit = VisitInput {
            retiree_id: id,
            on_date: date!(2026 - 03 - 02),
            worker: "王丽".into(),
            findings: "身体健康".into(),
            follow_up: None,
            dibao_referral: None,
        };
        let v = persistence::write_tx(&mut db.conn, |conn| visits::record(conn, &who, visit)).expect_err("visit");
        assert_eq!((v.status(), v.code()), (422, "retiree_not_found"), "{}", db.backend);
        use persistence::schema::{condolences::dsl as c, visits::dsl as v};
        let written: (i64, i64) = (
            c::condolences.count().get_result(&mut db.conn).expect("count"),
            v::visits.count().get_result(&mut db.conn).expect("count"),
        );
        assert_eq!(written, (0, 0), "{}", db.backend);
    }
}

#[test]
fn a_visit_closes_the_open_tasks_and_a_hardship_visit_states_the_referral() {
    for mut db in each_backend() {
        let (district, _) = fixture(&mut db);
        let hardship =
            GroupFlag { group_code: "severe_hardship".into(), from_date: date!(2026 - 01 - 01), to_date: None };
        let id = person(&mut db.conn, 47, &[hardship]);
        persistence::write_tx(&mut db.conn, |conn| {
            persistence::movement::open_visit(
                conn,
                id,
                COMMUNITY,
                "severe_hardship",
                date!(2026 - 04 - 01),
                ("test", None),
            )
        })
        .expect("task");
        let who = caller(&district);
        let input = |referral| VisitInput {
            retiree_id: id,
            on_date: date!(2026 - 03 - 10),
            worker: "王丽".into(),
            findings: "家庭突发困难".into(),
            follow_up: Some("协助申请低保".into()),
            dibao_referral: referral,
        };
        // GUIDE 走访制度: families in sudden hardship are helped to apply for the minimum living allowance.
        let refused =
            persistence::write_tx(&mut db.conn, |conn| visits::record(conn, &who, input(None))).expect_err("referral");
        assert_eq!((refused.status(), refused.code()), (422, "dibao_referral_required"), "{}", db.backend);
        let v =
            persistence::write_tx(&mut db.conn, |conn| visits::record(conn, &who, input(Some(true)))).expect("visit");
        assert_eq!((v.tasks_closed, v.dibao_referral, v.on_date), (1, true, date!(2026 - 03 - 10)), "{}", db.backend);
        assert_eq!(audited(&mut db, "visit.create", id), 1, "{}", db.backend);
        let read =
            persistence::write_tx(&mut db.conn, |conn| visits::read(conn, &who, v.id)?.commit(conn)).expect("read");
        assert_eq!((read.visit.findings.as_str(), read.volunteer_services.len()), ("家庭突发困难", 0));
        assert_eq!(audited(&mut db, "visit.read", id), 1, "{}", db.backend);
    }
}
