//! The rules restated in SQL (`persistence::rules`) agree with the domain functions they restate, row by row, on
//! the day before, on and after every boundary, evaluated by the real database: SQLite always, PostgreSQL when
//! `TEST_POSTGRES_URL` is set. Each rule is checked both as the expression or fragment itself and through the
//! queries that use it (the retiree list, the certification run, the home-visit tasks).
#![allow(clippy::expect_used)]

use std::collections::BTreeSet;

use retiree_persistence as persistence;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use time::macros::date;
use time::{Date, Duration};

use domain::pension::{CertificationStatus, certification_status, due_soon_until, is_overdue};
use persistence::certification_runs::{self as runs, NewRun, OUTCOME_WOULD_SUSPEND};
use persistence::jurisdictions::{self, NodeRow};
use persistence::retirees::{self, DependentData, RetireeData, RetireeFilter};
use persistence::schema::retirees as r;
use persistence::sql::{self, Bind};
use persistence::{DbConnection, RepoError, rules};

const COMMUNITY: &str = "350203001001";

use persistence::testing::{TestDb, postgres, sqlite};

/// One community (the subtree of every query) and its path.
fn community(conn: &mut DbConnection) -> String {
    let path = domain::jurisdiction::child_path(None, COMMUNITY);
    let row = NodeRow {
        code: COMMUNITY.into(),
        name: "社区".into(),
        level: "community".into(),
        parent_code: None,
        path: path.clone(),
    };
    persistence::write_tx(conn, |conn| jurisdictions::create(conn, &row, "test")).expect("community");
    path
}

/// Registers one retiree per (birth date, certified until), each with one supported dependant certified until the
/// same day; returns (id, birth date, certified until) by id.
fn register(conn: &mut DbConnection, people: &[(Date, Date)]) -> Vec<(i64, Date, Date)> {
    persistence::write_tx(conn, |conn| -> Result<_, RepoError> {
        let mut out = Vec::new();
        for (i, (birth, until)) in people.iter().enumerate() {
            let data = RetireeData {
                id_number: format!("R{i:017}"),
                name: format!("测试{i}"),
                sex: "male".into(),
                birth_date: *birth,
                retirement_date: date!(2010 - 01 - 01),
                category: "enterprise_employee".into(),
                management_level: "city_managed".into(),
                community_code: COMMUNITY.into(),
                phone: None,
                address: None,
                pension_status: "normal".into(),
                monthly_pension_fen: None,
                party_member: false,
                notes: None,
                certified_until: *until,
            };
            let person = retirees::create(conn, &data, &[], *until)?;
            let dependant = DependentData {
                relation: "spouse".into(),
                id_number: format!("D{i:017}"),
                name: format!("家属{i}"),
                supported: true,
            };
            let dep = retirees::create_dependent(conn, person.id, &dependant, *until)?;
            start_support(conn, person.id, dep.id)?;
            out.push((person.id, *birth, *until));
        }
        Ok(out)
    })
    .expect("register")
}

/// Gives a dependant support that has started (issue 19.10; GUIDE 五): a verified death of the retiree and an
/// approved application with support from January 2000, before every as-of date.
fn start_support(conn: &mut DbConnection, retiree_id: i64, dependent_id: i64) -> Result<(), RepoError> {
    let (day, now) = (date!(1999 - 12 - 10), persistence::now_utc());
    sql::exec(
        conn,
        "INSERT INTO death_reports (retiree_id, community_code, date_of_death, certificate_number, reporter_kind, \
         reporter_name, reported_on, deadline, late, status, stop_month, created_by, created_at, updated_at) \
         VALUES (?, ?, ?, 'DC', 'relative', '家属', ?, ?, FALSE, 'verified', ?, 'test', ?, ?)",
        &[
            Bind::I64(retiree_id),
            Bind::Text(COMMUNITY),
            Bind::Date(day),
            Bind::Date(day),
            Bind::Date(day),
            Bind::Date(date!(2000 - 01 - 01)),
            Bind::Ts(now),
            Bind::Ts(now),
        ],
    )?;
    sql::exec(
        conn,
        "INSERT INTO dependent_support (retiree_id, dependent_id, death_report_id, community_code, applied_on, \
         deadline, status, support_from, created_by, created_at, updated_at) \
         SELECT ?, ?, dr.id, ?, ?, ?, 'approved', ?, 'test', ?, ? FROM death_reports dr WHERE dr.retiree_id = ?",
        &[
            Bind::I64(retiree_id),
            Bind::I64(dependent_id),
            Bind::Text(COMMUNITY),
            Bind::Date(day),
            Bind::Date(day),
            Bind::Date(date!(2000 - 01 - 01)),
            Bind::Ts(now),
            Bind::Ts(now),
            Bind::I64(retiree_id),
        ],
    )?;
    Ok(())
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn ids_where(conn: &mut DbConnection, condition: &str, bind: Date) -> BTreeSet<i64> {
    let sql = format!("SELECT id FROM retirees WHERE {condition}");
    sql::load::<Id>(conn, &sql, &[Bind::Date(bind)]).expect("query").into_iter().map(|r| r.id).collect()
}

fn listed(conn: &mut DbConnection, filter: &RetireeFilter) -> BTreeSet<i64> {
    retirees::list(conn, filter, None, 10_000).expect("list").into_iter().map(|(p, _)| p.id).collect()
}

/// Compares, row by row, the rows the database selected (`ids`) with the rows the domain function selects;
/// fails with the rows on which they disagree, as (id, date, domain's answer). Returns how many the domain selects.
#[track_caller]
fn agree(what: &str, people: &[(i64, Date)], ids: &BTreeSet<i64>, domain: impl Fn(Date) -> bool) -> usize {
    let disagree: Vec<(i64, Date, bool)> =
        people.iter().filter(|(id, d)| ids.contains(id) != domain(*d)).map(|(id, d)| (*id, *d, domain(*d))).collect();
    assert_eq!(disagree, [], "{what}: rows where the database and the domain disagree (id, date, domain)");
    assert_eq!(ids.len(), people.iter().filter(|(_, d)| domain(*d)).count(), "{what}: no other rows");
    ids.len()
}

/// The ids of the retirees a Diesel predicate selects.
macro_rules! selected {
    ($conn:expr, $predicate:expr) => {
        r::table
            .filter($predicate)
            .select(r::id)
            .load::<i64>($conn)
            .expect("query")
            .into_iter()
            .collect::<BTreeSet<i64>>()
    };
}

/// The as-of dates: a month start, a leap day, the days around it, a month end and a year end.
const AS_OF: [Date; 7] = [
    date!(2026 - 03 - 01),
    date!(2024 - 02 - 28),
    date!(2024 - 02 - 29),
    date!(2024 - 03 - 01),
    date!(2026 - 01 - 31),
    date!(2026 - 12 - 31),
    date!(2027 - 01 - 01),
];

/// Reminder windows: none, one day, and the preset's.
fn windows() -> [u32; 3] {
    [0, 1, domain::policy::presets::defaults().certification.due_soon_days.value]
}

fn around(day: Date) -> [Date; 3] {
    [day - Duration::days(1), day, day + Duration::days(1)]
}

fn check_certification(db: &mut TestDb) {
    let conn = &mut db.conn;
    let scope = community(conn);
    // Validity ending the day before, on and after each as-of date and each window's last day.
    let mut untils = BTreeSet::new();
    for on in AS_OF {
        untils.extend(around(on));
        for days in windows() {
            untils.extend(around(due_soon_until(on, days)));
        }
    }
    let people: Vec<(Date, Date)> = untils.iter().map(|u| (date!(1950 - 06 - 15), *u)).collect();
    let registered = register(conn, &people);
    let untils: Vec<(i64, Date)> = registered.iter().map(|(id, _, until)| (*id, *until)).collect();
    // Everybody cannot come to certify: each is a candidate for a home-visit task.
    sql::exec(conn, "UPDATE retirees SET certification_barrier = 'bedridden'", &[]).expect("barrier");

    for on in AS_OF {
        // CS Art. 32(1): overdue after the last valid day.
        let overdue = |u: Date| is_overdue(u, on);
        let n = agree(
            &format!("rules::overdue on {on}"),
            &untils,
            &selected!(conn, rules::overdue(r::certified_until, on)),
            overdue,
        );
        assert!(n > 0 && n < untils.len(), "{on}: rows on both sides");
        let sql_ids = ids_where(conn, &rules::overdue_sql("certified_until"), on);
        agree(&format!("rules::overdue_sql on {on}"), &untils, &sql_ids, overdue);

        // The certification run: a dry run lists exactly the overdue people (all paid), and counts their
        // dependants (each certified until the same day as the retiree).
        let run_id = runs::start(
            conn,
            &NewRun { jurisdiction_code: COMMUNITY, scope_path: &scope, as_of: on, dry_run: true, actor: "test" },
        )
        .expect("start");
        runs::record_dry(conn, run_id, &scope, on).expect("dry run");
        let run = runs::find(conn, run_id).expect("run");
        let items = runs::items(conn, &run, None, None, 10_000).expect("items");
        assert!(items.iter().all(|i| i.outcome == OUTCOME_WOULD_SUSPEND));
        let would: BTreeSet<i64> = items.iter().map(|i| i.retiree_id).collect();
        agree(&format!("dry run on {on}"), &untils, &would, overdue);
        let dependants = runs::count_overdue_dependents(conn, &scope, on).expect("dependants");
        assert_eq!(dependants, i64::try_from(n).expect("count"), "overdue dependants on {on}");

        for days in windows() {
            let is = |wanted: CertificationStatus| move |u: Date| certification_status(u, on, days) == wanted;
            let at = format!("on {on} with {days} days");
            let due_soon = selected!(conn, rules::due_soon(r::certified_until, on, days));
            let n = agree(&format!("rules::due_soon {at}"), &untils, &due_soon, is(CertificationStatus::DueSoon));
            assert!(n > 0, "{at}: somebody due soon");
            let certified = selected!(conn, rules::certified(r::certified_until, on, days));
            let n = agree(&format!("rules::certified {at}"), &untils, &certified, is(CertificationStatus::Certified));
            assert!(n > 0, "{at}: somebody certified");
            let not_certified = |u: Date| certification_status(u, on, days) != CertificationStatus::Certified;
            let sql_ids = ids_where(conn, &rules::due_soon_or_overdue_sql("certified_until"), due_soon_until(on, days));
            let n = agree(&format!("rules::due_soon_or_overdue_sql {at}"), &untils, &sql_ids, not_certified);

            // The retiree list's `certification` filter.
            for wanted in [CertificationStatus::Overdue, CertificationStatus::DueSoon, CertificationStatus::Certified] {
                let filter = RetireeFilter {
                    scope_path: scope.clone(),
                    certification: Some((wanted, on, days)),
                    ..RetireeFilter::default()
                };
                agree(&format!("list {wanted:?} {at}"), &untils, &listed(conn, &filter), is(wanted));
            }

            // Home-visit tasks (XM Art. 15(3)): everybody with a barrier who is due soon or overdue.
            let tasks = runs::count_due_tasks(conn, &scope, due_soon_until(on, days), "test").expect("tasks");
            assert_eq!(tasks, n, "due tasks {at}");
        }
    }
}

/// As-of dates for ages: leap days, the days around them, month ends and a year end.
const AGE_AS_OF: [Date; 10] = [
    date!(2024 - 02 - 28),
    date!(2024 - 02 - 29),
    date!(2024 - 03 - 01),
    date!(2025 - 02 - 28),
    date!(2025 - 03 - 01),
    date!(2026 - 01 - 31),
    date!(2026 - 02 - 01),
    date!(2026 - 04 - 30),
    date!(2026 - 12 - 31),
    date!(2027 - 01 - 01),
];

/// Thresholds: the preset's advanced age (GUIDE 走访制度: 70岁以上), and others whose birth years are leap or not.
fn thresholds() -> [i32; 4] {
    let preset = i32::try_from(domain::policy::presets::defaults().advanced_age_years.value).expect("years");
    [preset, 72, 76, 80]
}

fn check_age(db: &mut TestDb) {
    let conn = &mut db.conn;
    let scope = community(conn);
    // Births the day before, on and after the birthday that makes the threshold on each as-of date, and around
    // 28 February, 29 February (leap years) and 1 March of that year.
    let mut births = BTreeSet::new();
    for on in AGE_AS_OF {
        for years in thresholds() {
            let year = on.year() - years;
            for (month, day) in [(on.month(), on.day()), (time::Month::February, 28), (time::Month::February, 29)] {
                if let Ok(d) = Date::from_calendar_date(year, month, day) {
                    births.extend(around(d));
                }
            }
            births.extend(around(date!(2000 - 03 - 01).replace_year(year).expect("1 March")));
        }
    }
    assert!(births.contains(&date!(1952 - 02 - 29)) && births.contains(&date!(1954 - 03 - 01)));
    let people: Vec<(Date, Date)> = births.iter().map(|b| (*b, date!(2100 - 01 - 01))).collect();
    let registered = register(conn, &people);
    let births: Vec<(i64, Date)> = registered.iter().map(|(id, birth, _)| (*id, *birth)).collect();

    for on in AGE_AS_OF {
        for years in thresholds() {
            let at = format!("{years} on {on}");
            let old = |b: Date| domain::age_on(b, on) >= years;
            let n = agree(
                &format!("rules::age_at_least {at}"),
                &births,
                &selected!(conn, rules::age_at_least(r::birth_date, years, on)),
                old,
            );
            assert!(n > 0 && n < births.len(), "{at}: rows on both sides");
            let young = |b: Date| domain::age_on(b, on) < years;
            agree(
                &format!("rules::younger_than {at}"),
                &births,
                &selected!(conn, rules::younger_than(r::birth_date, years, on)),
                young,
            );

            // The retiree list: `age_min` / the advanced-age group, and `age_max` (at most `years`).
            let filter =
                RetireeFilter { scope_path: scope.clone(), min_age: Some((years, on)), ..RetireeFilter::default() };
            agree(&format!("list age_min {at}"), &births, &listed(conn, &filter), old);
            let filter =
                RetireeFilter { scope_path: scope.clone(), max_age: Some((years, on)), ..RetireeFilter::default() };
            agree(&format!("list age_max {at}"), &births, &listed(conn, &filter), |b| domain::age_on(b, on) <= years);
        }
        // The monthly report's age bands (issue 27): rules::age_band_sql agrees with domain::report::age_band for
        // the preset's bands and for bands at each threshold.
        let preset = domain::policy::presets::defaults().reports.bands();
        let at_thresholds: Vec<u32> = thresholds().iter().map(|y| u32::try_from(*y).expect("years")).collect();
        for bands in [preset, at_thresholds] {
            let sql = format!("SELECT id, {} AS band FROM retirees", rules::age_band_sql("birth_date", &bands));
            let binds: Vec<Bind<'_>> = rules::age_band_binds(&bands, on).into_iter().map(Bind::Date).collect();
            let rows: Vec<Band> = sql::load(conn, &sql, &binds).expect("bands");
            assert_eq!(rows.len(), births.len());
            let disagree: Vec<(i64, String, u32)> = rows
                .iter()
                .filter_map(|r| {
                    let birth = births.iter().find(|(id, _)| *id == r.id).expect("person").1;
                    let want = domain::report::age_band(birth, on, &bands);
                    (r.band != want.to_string()).then(|| (r.id, r.band.clone(), want))
                })
                .collect();
            assert_eq!(disagree, [], "age bands {bands:?} on {on}: database and domain disagree (id, db, domain)");
        }
        // The report's advanced-age count: rules::age_at_least_sql agrees with domain::age_on.
        for years in thresholds() {
            let sql = rules::age_at_least_sql("birth_date");
            let bind = domain::born_on_or_before_for_age(on, years);
            agree(&format!("rules::age_at_least_sql {years} on {on}"), &births, &ids_where(conn, &sql, bind), |b| {
                domain::age_on(b, on) >= years
            });
        }
    }
}

#[derive(QueryableByName)]
struct Band {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    band: String,
}

/// Issue 19.10, GUIDE 五: `rules::support_started_sql` agrees with `domain::support::support_started` for every
/// application status, with support from before, on and after each as-of date's month, or none; and the
/// certification run counts only the dependants whose support has started.
fn check_support_started(db: &mut TestDb) {
    use domain::support::{SupportApplicationStatus as S, support_started};
    let conn = &mut db.conn;
    let scope = community(conn);
    let mut froms: BTreeSet<Option<Date>> = [None].into();
    for on in AS_OF {
        let month = domain::pension::month_of(on);
        froms.extend([
            Some(month),
            domain::pension::add_months(month, 1),
            month.previous_day().map(domain::pension::month_of),
        ]);
    }
    let statuses = [S::Applied, S::Investigated, S::Reviewed, S::Approved, S::Rejected, S::FraudReview, S::Terminated];
    let combos: Vec<(S, Option<Date>)> = statuses.iter().flat_map(|s| froms.iter().map(move |f| (*s, *f))).collect();
    // Everybody overdue on every as-of date, so the run's count is the started ones.
    let people: Vec<(Date, Date)> = combos.iter().map(|_| (date!(1950 - 06 - 15), date!(2020 - 01 - 01))).collect();
    let registered = register(conn, &people);
    let mut dependants = Vec::new();
    for ((retiree, _, _), (status, from)) in registered.iter().zip(&combos) {
        let set = match from {
            Some(f) => sql::exec(
                conn,
                "UPDATE dependent_support SET status = ?, support_from = ? WHERE retiree_id = ?",
                &[Bind::Text(status.as_str()), Bind::Date(*f), Bind::I64(*retiree)],
            ),
            None => sql::exec(
                conn,
                "UPDATE dependent_support SET status = ?, support_from = NULL WHERE retiree_id = ?",
                &[Bind::Text(status.as_str()), Bind::I64(*retiree)],
            ),
        };
        set.expect("application");
        let dep: Vec<Id> = sql::load(conn, "SELECT id FROM dependents WHERE retiree_id = ?", &[Bind::I64(*retiree)])
            .expect("dependant");
        dependants.push((dep[0].id, *status, *from));
    }
    for on in AS_OF {
        let sql = format!("SELECT d.id AS id FROM dependents d WHERE {}", rules::support_started_sql("d.id"));
        let ids: BTreeSet<i64> =
            sql::load::<Id>(conn, &sql, &[Bind::Date(on)]).expect("query").into_iter().map(|r| r.id).collect();
        let disagree: Vec<_> =
            dependants.iter().filter(|(id, s, f)| ids.contains(id) != support_started(*s, *f, on)).collect();
        assert_eq!(
            disagree,
            Vec::<&(i64, S, Option<Date>)>::new(),
            "support started on {on}: database and domain disagree"
        );
        let started = dependants.iter().filter(|(_, s, f)| support_started(*s, *f, on)).count();
        assert!(started > 0 && started < dependants.len(), "{on}: rows on both sides");
        let counted = runs::count_overdue_dependents(conn, &scope, on).expect("dependants");
        assert_eq!(counted, i64::try_from(started).expect("count"), "a run on {on} counts the started only");
    }
}

/// GUIDE 第四章五: `rules::flag_in_force_sql` agrees with `domain::report::flag_in_force` for flags ending before,
/// on and after each as-of date, and open-ended ones.
fn check_flags(db: &mut TestDb) {
    let conn = &mut db.conn;
    community(conn);
    let people: Vec<(Date, Date)> = vec![(date!(1950 - 06 - 15), date!(2100 - 01 - 01))];
    let person = register(conn, &people)[0].0;
    let mut flags = Vec::new();
    for on in AS_OF {
        for from in around(on) {
            for to in [None, Some(on - Duration::days(1)), Some(on), Some(on + Duration::days(1))] {
                flags.push((from, to));
            }
        }
    }
    for (i, (from, to)) in flags.iter().enumerate() {
        let group = format!("g{i}");
        let insert = match to {
            Some(t) => sql::exec(
                conn,
                "INSERT INTO retiree_special_groups (retiree_id, group_code, from_date, to_date) VALUES (?, ?, ?, ?)",
                &[Bind::I64(person), Bind::Text(&group), Bind::Date(*from), Bind::Date(*t)],
            ),
            None => sql::exec(
                conn,
                "INSERT INTO retiree_special_groups (retiree_id, group_code, from_date) VALUES (?, ?, ?)",
                &[Bind::I64(person), Bind::Text(&group), Bind::Date(*from)],
            ),
        };
        insert.expect("flag");
    }
    for on in AS_OF {
        let sql =
            format!("SELECT id FROM retiree_special_groups WHERE {}", rules::flag_in_force_sql("from_date", "to_date"));
        let ids: BTreeSet<i64> = sql::load::<Id>(conn, &sql, &[Bind::Date(on), Bind::Date(on)])
            .expect("flags")
            .into_iter()
            .map(|r| r.id)
            .collect();
        let all: Vec<Id> = sql::load(conn, "SELECT id FROM retiree_special_groups ORDER BY id", &[]).expect("all");
        let in_force: BTreeSet<i64> = all
            .iter()
            .zip(&flags)
            .filter(|(_, (from, to))| domain::report::flag_in_force(*from, *to, on))
            .map(|(r, _)| r.id)
            .collect();
        assert_eq!(ids, in_force, "flags in force on {on}: database and domain disagree");
        assert!(!ids.is_empty() && ids.len() < flags.len(), "{on}: rows on both sides");
    }
}

#[derive(QueryableByName)]
struct Status {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    status: Option<String>,
}

/// GUIDE 第四章五: `rules::ledger_status_sql` agrees with `domain::report::ledger_status` for every combination of
/// computed membership, recorded membership (none, yes, no) and a verification the day before, on and after the
/// cutoff, with the preset's interval and a one-day one.
fn check_ledger_status(db: &mut TestDb) {
    use domain::report::{ledger_status, stale_before};
    let conn = &mut db.conn;
    sql::exec(
        conn,
        "CREATE TEMPORARY TABLE ledger_cases (id BIGINT PRIMARY KEY, computed BOOLEAN NOT NULL, member BOOLEAN, \
         verified_on DATE)",
        &[],
    )
    .expect("table");
    let on = date!(2026 - 12 - 06);
    for interval in [1, domain::policy::presets::defaults().reports.ledger_verification_days.value] {
        sql::exec(conn, "DELETE FROM ledger_cases", &[]).expect("clear");
        let cutoff = stale_before(on, interval);
        let mut cases = Vec::new();
        for computed in [false, true] {
            cases.push((computed, None));
            for member in [false, true] {
                for day in around(cutoff) {
                    cases.push((computed, Some((member, day))));
                }
            }
        }
        for (i, (computed, last)) in cases.iter().enumerate() {
            let id = i64::try_from(i).expect("id");
            let done = match last {
                Some((member, day)) => sql::exec(
                    conn,
                    "INSERT INTO ledger_cases (id, computed, member, verified_on) VALUES (?, ?, ?, ?)",
                    &[Bind::I64(id), Bind::Bool(*computed), Bind::Bool(*member), Bind::Date(*day)],
                ),
                None => sql::exec(
                    conn,
                    "INSERT INTO ledger_cases (id, computed) VALUES (?, ?)",
                    &[Bind::I64(id), Bind::Bool(*computed)],
                ),
            };
            done.expect("case");
        }
        let sql = format!(
            "SELECT id, {} AS status FROM ledger_cases ORDER BY id",
            rules::ledger_status_sql("computed", "member", "verified_on")
        );
        let rows: Vec<Status> = sql::load(conn, &sql, &[Bind::Date(cutoff)]).expect("statuses");
        assert_eq!(rows.len(), cases.len());
        for (row, (computed, last)) in rows.iter().zip(&cases) {
            let want = ledger_status(*computed, *last, on, interval).map(|s| s.as_str().to_owned());
            assert_eq!(row.status, want, "case {} {computed} {last:?} interval {interval}", row.id);
        }
    }
}

/// The overdue filter of the errand worklist (`persistence::errands::list` with `overdue_on`) selects exactly the
/// errands `domain::errand::is_overdue` calls overdue (JN Art. 24: errands tracked against their due dates): every
/// status, with no due date and due the day before, on and after each as-of day.
fn check_errands(db: &mut TestDb) {
    use domain::errand::{ErrandKind, ErrandStatus, is_overdue};
    use persistence::errands::{self as errands, Filter, NewErrand};
    let conn = &mut db.conn;
    let path = community(conn);
    let mut cases: Vec<(Date, ErrandStatus, Option<Date>)> = Vec::new();
    for today in AS_OF {
        let mut dues: Vec<Option<Date>> = around(today).into_iter().map(Some).collect();
        dues.push(None);
        for status in ErrandStatus::ALL {
            cases.extend(dues.iter().map(|d| (today, *status, *d)));
        }
    }
    // One person per errand: a pending errand of a kind is unique per person.
    let people = register(conn, &vec![(date!(1950 - 01 - 01), date!(2030 - 01 - 01)); cases.len()]);
    let mut made: Vec<(Date, i64, ErrandStatus, Option<Date>)> = Vec::new();
    for ((today, status, due), (person, _, _)) in cases.iter().zip(&people) {
        let new = NewErrand {
            retiree_id: *person,
            kind: ErrandKind::SeniorCard.as_str().into(),
            node_code: COMMUNITY.into(),
            materials: "[]".into(),
            opened_on: *today - Duration::days(30),
            due_on: *due,
            status: status.as_str().into(),
            notes: None,
            transfer_id: None,
            created_by: "test".into(),
            created_at: persistence::now_utc(),
            version: 1,
        };
        let id = persistence::write_tx(conn, |conn| errands::create(conn, &new)).expect("errand");
        made.push((*today, id, *status, *due));
    }
    for today in AS_OF {
        let filter = Filter { overdue_on: Some(today), ..Filter::default() };
        let listed: BTreeSet<i64> =
            errands::list(conn, &path, &filter, None, 10_000).expect("list").into_iter().map(|r| r.errand.id).collect();
        let want: BTreeSet<i64> = made
            .iter()
            .filter(|(_, _, status, due)| is_overdue(*status, *due, today))
            .map(|(_, id, _, _)| *id)
            .collect();
        let disagree: Vec<_> = made
            .iter()
            .filter(|(_, id, status, due)| listed.contains(id) != is_overdue(*status, *due, today))
            .collect();
        assert_eq!(disagree, Vec::<&(Date, i64, ErrandStatus, Option<Date>)>::new(), "errands overdue on {today}");
        assert_eq!(listed, want, "errands overdue on {today}: no other rows");
        assert!(!want.is_empty(), "some errand is overdue on {today}");
    }
}

#[test]
fn errand_overdue_agrees_with_the_domain_on_sqlite() {
    check_errands(&mut sqlite());
}

#[test]
fn errand_overdue_agrees_with_the_domain_on_postgres() {
    if let Some(mut db) = postgres() {
        check_errands(&mut db);
    }
}

#[test]
fn ledger_status_agrees_with_the_domain_on_sqlite() {
    check_ledger_status(&mut sqlite());
}

#[test]
fn ledger_status_agrees_with_the_domain_on_postgres() {
    if let Some(mut db) = postgres() {
        check_ledger_status(&mut db);
    }
}

#[test]
fn flag_in_force_agrees_with_the_domain_on_sqlite() {
    check_flags(&mut sqlite());
}

#[test]
fn flag_in_force_agrees_with_the_domain_on_postgres() {
    if let Some(mut db) = postgres() {
        check_flags(&mut db);
    }
}

#[test]
fn support_started_agrees_with_the_domain_on_sqlite() {
    check_support_started(&mut sqlite());
}

#[test]
fn support_started_agrees_with_the_domain_on_postgres() {
    if let Some(mut db) = postgres() {
        check_support_started(&mut db);
    }
}

#[test]
fn certification_rules_agree_with_the_domain_on_sqlite() {
    check_certification(&mut sqlite());
}

#[test]
fn certification_rules_agree_with_the_domain_on_postgres() {
    if let Some(mut db) = postgres() {
        check_certification(&mut db);
    }
}

#[test]
fn age_rules_agree_with_the_domain_on_sqlite() {
    check_age(&mut sqlite());
}

#[test]
fn age_rules_agree_with_the_domain_on_postgres() {
    if let Some(mut db) = postgres() {
        check_age(&mut db);
    }
}
