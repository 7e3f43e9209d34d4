//! The people sections of the monthly report are counted for every month a report needs (its own, the previous
//! month, the same month last year) in one scan of the roll (`persistence::report_roll`). Each month's figures must
//! agree with the domain rules applied person by person on that month's as-of day: the age band
//! (`domain::report::age_band`), advanced age (`domain::age_on` against the policy's 70, GUIDE 走访制度), due in the
//! month and overdue (`domain::pension::is_overdue`, CS Art. 16(2), 32(1)); and a stored code that is not known is
//! an error, never a gap in the figures.

use diesel::prelude::*;
use serde_json::{Value, json};
use time::Date;
use time::macros::date;

use crate::both_backends;
use crate::helpers::*;

/// (birth date, certified until, party member): edges of each rule around the three as-of days of the December
/// 2026 report read on 2026-12-06 (this month: 6 December; previous: 30 November; last year: 31 December 2025).
const PEOPLE: [(Date, Date, bool); 8] = [
    (date!(1956 - 12 - 06), date!(2026 - 12 - 05), true), // 70 today; overdue today, due this month
    (date!(1956 - 12 - 07), date!(2026 - 12 - 31), false), // 70 tomorrow; due this month, not overdue
    (date!(1956 - 02 - 29), date!(2026 - 11 - 30), false), // 70 on 1 March 2026; due last month, overdue today
    (date!(1946 - 11 - 30), date!(2025 - 12 - 20), true), // 80 on the previous as-of day; due last year
    (date!(1946 - 12 - 01), date!(2027 - 06 - 30), false), // 80 after the previous as-of day
    (date!(1966 - 12 - 31), date!(2025 - 12 - 31), false), // 59 then 60 on the last-year as-of day
    (date!(1936 - 01 - 01), date!(2026 - 12 - 06), true), // 90; certified until today: not overdue
    (date!(1975 - 05 - 05), date!(2026 - 11 - 01), false), // under 60
];

const BANDS: [u32; 4] = [60, 70, 80, 90];

/// What the domain rules say for the people of [`PEOPLE`] in the month starting `first`, judged on `on`: (band
/// column code → count, advanced age, due, overdue, party members).
fn expected(first: Date, on: Date) -> (Vec<(String, i64)>, i64, i64, i64, i64) {
    let last = domain::report::month_end(first);
    let mut bands: Vec<(String, i64)> = domain::report::band_bounds(&BANDS)
        .into_iter()
        .map(|b| (format!("age_{}", domain::report::band_code(b, &BANDS)), 0))
        .collect();
    let (mut old, mut due, mut overdue, mut party) = (0, 0, 0, 0);
    for (birth, until, member) in PEOPLE {
        let band = domain::report::age_band(birth, on, &BANDS);
        let code = format!("age_{}", domain::report::band_code(band, &BANDS));
        bands.iter_mut().find(|(c, _)| *c == code).unwrap().1 += 1;
        old += i64::from(domain::age_on(birth, on) >= 70);
        due += i64::from(until >= first && until <= last);
        overdue += i64::from(domain::pension::is_overdue(until, on));
        party += i64::from(member);
    }
    (bands, old, due, overdue, party)
}

fn section<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["sections"].as_array().unwrap().iter().find(|s| s["code"] == code).unwrap_or_else(|| panic!("{code}"))
}

/// The value of `column` of `section` in `which`: `total`'s values, `previous_month` or `same_month_last_year`.
fn value(report: &Value, code: &str, column: &str, which: &str) -> i64 {
    let s = section(report, code);
    let i = s["columns"].as_array().unwrap().iter().position(|c| c["code"] == column).unwrap();
    let values = if which == "total" { &s["total"]["values"] } else { &s[which] };
    values[i].as_str().unwrap().parse().unwrap()
}

fn exec(app: &TestApp, sql: &str) -> usize {
    diesel::sql_query(sql).execute(&mut *app.conn()).unwrap()
}

async fn roster(app: &TestApp) {
    for (i, (birth, until, member)) in PEOPLE.iter().enumerate() {
        let seq = u16::try_from(i + 1).unwrap();
        let id = app.create_retiree("city", &retiree_body("350203001001", seq)).await["id"].as_i64().unwrap();
        // The ID's birth date is not what is counted: the stored birth date is; set the edges directly.
        assert_eq!(
            exec(
                app,
                &format!(
                    "UPDATE retirees SET birth_date = '{birth}', certified_until = '{until}', party_member = {} \
                     WHERE id = {id}",
                    if *member { "TRUE" } else { "FALSE" }
                )
            ),
            1
        );
    }
}

both_backends! {
    async fn every_month_of_the_report_agrees_with_the_domain_rules_person_by_person(app: &TestApp) {
        roster(app).await;
        let report = app.get("/api/v1/reports/monthly?jurisdiction=3502&month=2026-12", "city").await.expect(200).body;
        assert_eq!(report["as_of"], TODAY);
        for (which, first, on) in [
            ("total", date!(2026 - 12 - 01), date!(2026 - 12 - 06)),
            ("previous_month", date!(2026 - 11 - 01), date!(2026 - 11 - 30)),
            ("same_month_last_year", date!(2025 - 12 - 01), date!(2025 - 12 - 31)),
        ] {
            let (bands, old, due, overdue, party) = expected(first, on);
            for (code, n) in &bands {
                assert_eq!(value(&report, "roll_age_band", code, which), *n, "{which} {code}");
            }
            assert_eq!(value(&report, "roll_age_band", "total", which), 8, "{which}");
            assert_eq!(value(&report, "special_groups", "advanced_age", which), old, "{which} advanced age");
            assert_eq!(value(&report, "special_groups", "party_member", which), party, "{which} party members");
            assert_eq!(value(&report, "certification", "due", which), due, "{which} due");
            assert_eq!(value(&report, "certification", "overdue", which), overdue, "{which} overdue");
        }
        // The edges are really edges: the months differ from each other.
        assert_eq!(expected(date!(2026 - 12 - 01), date!(2026 - 12 - 06)).1, 5);
        assert_eq!(expected(date!(2026 - 11 - 01), date!(2026 - 11 - 30)).1, 4);
        assert_eq!(expected(date!(2026 - 12 - 01), date!(2026 - 12 - 06)).3, 5);
        assert_eq!(expected(date!(2026 - 11 - 01), date!(2026 - 11 - 30)).3, 3);

        // A closed month's corrections are counted in the same pass: close November's community, then move a
        // birth date so that November's advanced-age figure changes; December shows it as a correction.
        let close = json!({"jurisdiction": "350203001001", "month": "2026-11"});
        app.post("/api/v1/reports/monthly/closes", "hongshan", &close).await.expect(201);
        exec(app, "UPDATE retirees SET birth_date = '1950-01-01' WHERE birth_date = '1975-05-05'");
        let report = app.get("/api/v1/reports/monthly?jurisdiction=350203001001&month=2026-12", "hongshan").await.expect(200).body;
        let corrections: Vec<(String, String, String, String)> = report["corrections"].as_array().unwrap().iter()
            .filter(|c| c["section"] == "special_groups" || c["section"] == "roll_age_band")
            .map(|c| (c["month"].as_str().unwrap().to_owned(), c["section"].as_str().unwrap().to_owned(), c["column"].as_str().unwrap().to_owned(), c["difference"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(corrections, [
            ("2026-11".to_owned(), "roll_age_band".to_owned(), "age_under_60".to_owned(), "-1".to_owned()),
            ("2026-11".to_owned(), "roll_age_band".to_owned(), "age_70_79".to_owned(), "1".to_owned()),
            ("2026-11".to_owned(), "special_groups".to_owned(), "advanced_age".to_owned(), "1".to_owned()),
        ]);
        // The previous month's comparison is the filed snapshot, not the recount.
        assert_eq!(value(&report, "special_groups", "advanced_age", "previous_month"), 4);
    }

    async fn an_unknown_stored_code_on_the_roll_is_an_error_not_a_gap(app: &TestApp) {
        roster(app).await;
        app.get("/api/v1/reports/monthly?jurisdiction=3502&month=2026-12", "city").await.expect(200);
        assert_eq!(exec(app, "UPDATE retirees SET management_level = 'bogus' WHERE birth_date = '1936-01-01'"), 1);
        app.get("/api/v1/reports/monthly?jurisdiction=3502&month=2026-12", "city").await.problem(500, "internal_error");
        let path = persistence::jurisdictions::find(&mut app.conn(), "3502").unwrap().path;
        let bands = BANDS;
        let period = persistence::reports::Period {
            scope_path: &path,
            first: date!(2026 - 12 - 01),
            last: date!(2026 - 12 - 31),
            on: date!(2026 - 12 - 06),
            bands: &bands,
            advanced_age_years: 70,
        };
        match persistence::report_roll::people(&mut app.conn(), &[period]) {
            Err(persistence::RepoError::Corrupt(message)) => {
                assert!(message.starts_with("management_level of 1 retirees on the roll under "), "{message}");
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }
}
