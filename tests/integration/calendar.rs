//! The working-day calendar over HTTP: the bundled 2025-2026 arrangements loaded at start, listing a year,
//! working-day counts and deadlines across the 2026 Spring Festival and its make-up working days, CSV imports
//! (atomic and partial, updates without duplicates), roles and refused query parameters.

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const IMPORT: &str = "/api/v1/imports/calendar";
/// Rows of `resources/calendar/cn-holidays-2025-2026.csv`: 33 for 2025, 39 for 2026.
const BUNDLED_ROWS: i64 = 72;

async fn import_csv(app: &TestApp, login: &str, query: &str, csv: &str) -> Resp {
    let token = app.token(login);
    app.request(
        "POST",
        &format!("{IMPORT}{query}"),
        Some(&token),
        &[("Content-Type", "text/csv")],
        Some(csv.as_bytes().to_vec()),
    )
    .await
}

/// A date as stored: (kind, name, year).
fn stored(app: &TestApp, day: time::Date) -> Option<(String, String, i32)> {
    use persistence::schema::calendar_days::dsl;
    dsl::calendar_days.find(day).select((dsl::kind, dsl::name, dsl::year)).first(&mut *app.conn()).optional().unwrap()
}

fn day(text: &str) -> time::Date {
    time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
}

/// (date, kind, name) of each listed item.
fn items(body: &Value) -> Vec<(String, String, String)> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["date"].as_str().unwrap().to_owned(),
                i["kind"].as_str().unwrap().to_owned(),
                i["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn item(date: &str, kind: &str, name: &str) -> (String, String, String) {
    (date.to_owned(), kind.to_owned(), name.to_owned())
}

async fn due(app: &TestApp, from: &str, working_days: u32) -> String {
    let res = app
        .get(&format!("/api/v1/calendar/deadline?from={from}&working_days={working_days}"), "leader")
        .await
        .expect(200);
    res.body["due"].as_str().unwrap().to_owned()
}

async fn count(app: &TestApp, from: &str, to: &str) -> i64 {
    let res = app.get(&format!("/api/v1/calendar/working-days?from={from}&to={to}"), "leader").await.expect(200);
    res.body["working_days"].as_i64().unwrap()
}

/// Test data for 2027 (no 2027 arrangement exists yet): Friday 1 January off, Monday 8 February off, Saturday
/// 6 February on.
const TEST_2027: &str = "# test data, not a State Council arrangement\n\
date,kind,name\n\
2027-01-01,holiday,元旦\n\
2027-02-06,workday,测试调休上班\n\
2027-02-08,holiday,测试假日\n";

both_backends! {
    async fn bundled_arrangements_are_loaded_at_start(app: &TestApp) {
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS);
        // 2026 notice: 春节 2月15日至23日放假调休，共9天；2月14日（周六）、2月28日（周六）上班.
        let res = app.get("/api/v1/calendar/holidays?year=2026", "hongshan").await.expect(200);
        assert_eq!(res.body["year"], 2026);
        assert_eq!(res.body["covered"], true);
        let listed = items(&res.body);
        assert_eq!(listed.len(), 39);
        assert_eq!(listed[0], item("2026-01-01", "holiday", "元旦"));
        assert_eq!(listed[3], item("2026-01-04", "workday", "元旦调休上班"));
        let mut spring = vec![item("2026-02-14", "workday", "春节调休上班")];
        for d in 15..=23 {
            spring.push(item(&format!("2026-02-{d}"), "holiday", "春节"));
        }
        spring.push(item("2026-02-28", "workday", "春节调休上班"));
        assert_eq!(listed[4..15].to_vec(), spring);
        assert_eq!(listed[38], item("2026-10-10", "workday", "国庆节调休上班"));
        let mut sorted = listed.clone();
        sorted.sort();
        assert_eq!(listed, sorted, "in date order");
        // 2025 (国办发明电〔2024〕12号) is there too; 2027 is not covered.
        let y2025 = app.get("/api/v1/calendar/holidays?year=2025", "auditor").await.expect(200);
        assert_eq!(items(&y2025.body).len(), 33);
        assert_eq!(items(&y2025.body)[0], item("2025-01-01", "holiday", "元旦"));
        let y2027 = app.get("/api/v1/calendar/holidays?year=2027", "importer").await.expect(200);
        assert_eq!(y2027.body, json!({"year": 2027, "covered": false, "items": []}));
        // Starting again leaves the data alone; an emptied calendar gets the bundled file again.
        assert_eq!(app::calendar::seed_bundled(&mut app.conn()).unwrap(), 0);
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS);
        diesel::delete(persistence::schema::calendar_days::table).execute(&mut *app.conn()).unwrap();
        assert_eq!(app::calendar::seed_bundled(&mut app.conn()).unwrap(), 72);
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS);
        assert_eq!(stored(app, day("2026-02-14")), Some(("workday".into(), "春节调休上班".into(), 2026)));
    }

    async fn deadlines_and_counts_across_spring_festival_2026(app: &TestApp) {
        // From Friday 13 February: day 1 is the make-up Saturday, day 2 the first Tuesday after the holiday.
        let res = app.get("/api/v1/calendar/deadline?from=2026-02-13&working_days=2", "leader").await.expect(200);
        assert_eq!(
            res.body,
            json!({"from": "2026-02-13", "working_days": 2, "due": "2026-02-24", "due_is_working_day": true, "uncovered_years": []})
        );
        assert_eq!(due(app, "2026-02-13", 1).await, "2026-02-14");
        assert_eq!(due(app, "2026-02-13", 5).await, "2026-02-27");
        assert_eq!(due(app, "2026-02-13", 6).await, "2026-02-28");
        assert_eq!(due(app, "2026-02-13", 7).await, "2026-03-02");
        // An event during the holiday; an event on the make-up Saturday (not counted itself).
        assert_eq!(due(app, "2026-02-17", 3).await, "2026-02-26");
        assert_eq!(due(app, "2026-02-14", 1).await, "2026-02-24");
        // Zero: the day itself if it is a working day, else the next one.
        assert_eq!(due(app, "2026-02-14", 0).await, "2026-02-14");
        assert_eq!(due(app, "2026-02-15", 0).await, "2026-02-24");
        // Across the year end: 1-3 January 2026 off, Sunday the 4th on.
        assert_eq!(due(app, "2025-12-31", 1).await, "2026-01-04");
        // Calendar days ignore the arrangement: 10 days after the 13th is the holiday's last day.
        let res = app.get("/api/v1/calendar/deadline?from=2026-02-13&days=10", "leader").await.expect(200);
        assert_eq!(
            res.body,
            json!({"from": "2026-02-13", "days": 10, "due": "2026-02-23", "due_is_working_day": false, "uncovered_years": []})
        );
        // Into 2027, which has no arrangement: weekends only there, and the answer says so.
        let res = app.get("/api/v1/calendar/deadline?from=2026-12-30&working_days=5", "leader").await.expect(200);
        assert_eq!(res.body["due"], "2027-01-06");
        assert_eq!(res.body["uncovered_years"], json!([2027]));
        // Counting: after `from`, up to and including `to`.
        let res = app.get("/api/v1/calendar/working-days?from=2026-02-13&to=2026-02-28", "leader").await.expect(200);
        assert_eq!(res.body, json!({"from": "2026-02-13", "to": "2026-02-28", "working_days": 6, "uncovered_years": []}));
        assert_eq!(count(app, "2026-02-13", "2026-03-02").await, 7);
        assert_eq!(count(app, "2026-02-14", "2026-02-23").await, 0);
        assert_eq!(count(app, "2026-02-13", "2026-02-13").await, 0);
        assert_eq!(count(app, "2026-02-28", "2026-02-13").await, -6);
        assert_eq!(count(app, "2026-01-31", "2026-02-28").await, 16);
        // The whole of 2026: 261 weekdays, 19 of them off, 6 weekend days on.
        assert_eq!(count(app, "2025-12-31", "2026-12-31").await, 248);
        let res = app.get("/api/v1/calendar/working-days?from=2026-12-31&to=2028-01-03", "leader").await.expect(200);
        assert_eq!(res.body["uncovered_years"], json!([2027, 2028]));
        // Reading needs no permission beyond being signed in; without a token: 401.
        app.request("GET", "/api/v1/calendar/deadline?from=2026-02-13&working_days=2", None, &[], None)
            .await
            .problem(401, "missing_token");
    }

    async fn import_adds_and_updates_days_without_duplicates(app: &TestApp) {
        assert_eq!(due(app, "2027-02-05", 1).await, "2027-02-08");
        let res = import_csv(app, "city", "", TEST_2027).await.expect(200);
        assert_report(&res.body, "atomic", 3, 3, 0, 0, 0);
        assert_eq!(res.body["years"], json!([2027]));
        assert_eq!(res.body["errors"], json!([]));
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS + 3);
        assert_eq!(stored(app, day("2027-02-08")), Some(("holiday".into(), "测试假日".into(), 2027)));
        let listed = app.get("/api/v1/calendar/holidays?year=2027", "hongshan").await.expect(200);
        assert_eq!(listed.body["covered"], true);
        assert_eq!(
            items(&listed.body),
            vec![item("2027-01-01", "holiday", "元旦"), item("2027-02-06", "workday", "测试调休上班"), item("2027-02-08", "holiday", "测试假日")]
        );
        // The answers use the new data at once.
        assert_eq!(due(app, "2027-02-05", 1).await, "2027-02-06");
        assert_eq!(due(app, "2027-02-05", 2).await, "2027-02-09");
        let res = app.get("/api/v1/calendar/deadline?from=2027-02-05&working_days=2", "leader").await.expect(200);
        assert_eq!(res.body["uncovered_years"], json!([]));
        // The same file again: nothing new.
        let res = import_csv(app, "city", "", TEST_2027).await.expect(200);
        assert_report(&res.body, "atomic", 3, 0, 0, 3, 0);
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS + 3);
        // A changed name, a changed kind, a new date; BOM and CRLF line ends.
        let changed = "\u{feff}date,kind,name\r\n2026-02-15,holiday,春节假期\r\n2026-02-28,holiday,测试改为放假\r\n2027-10-01,holiday,国庆节\r\n";
        let res = import_csv(app, "admin", "?mode=atomic", changed).await.expect(200);
        assert_report(&res.body, "atomic", 3, 1, 2, 0, 0);
        assert_eq!(res.body["years"], json!([2026, 2027]));
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS + 4);
        assert_eq!(stored(app, day("2026-02-15")), Some(("holiday".into(), "春节假期".into(), 2026)));
        assert_eq!(stored(app, day("2026-02-28")), Some(("holiday".into(), "测试改为放假".into(), 2026)));
        // 28 February is now off, so six working days from the 13th end on 2 March.
        assert_eq!(due(app, "2026-02-13", 6).await, "2026-03-02");
        assert_eq!(app.audit_count("calendar.import"), 3);
        // Audited with the counts, in the same transaction as the write.
        use persistence::schema::audit_log::dsl;
        let details: Vec<(Option<String>, String, Option<String>)> = dsl::audit_log
            .filter(dsl::action.eq("calendar.import"))
            .order(dsl::id)
            .select((dsl::detail, dsl::actor, dsl::object_id))
            .load(&mut *app.conn())
            .unwrap();
        let first: Value = serde_json::from_str(details[0].0.as_deref().unwrap()).unwrap();
        assert_eq!(first, json!({"mode": "atomic", "rows": 3, "created": 3, "updated": 0, "unchanged": 0, "rejected": 0, "years": [2027]}));
        assert_eq!((details[0].1.as_str(), details[0].2.as_deref()), ("city", None));
        assert_eq!(details[2].1, "admin");
        // With an Idempotency-Key a retry gets the first answer and writes nothing more.
        let token = app.token("city");
        let one = "date,kind,name\n2027-10-02,holiday,国庆节\n";
        let send = || app.request("POST", IMPORT, Some(&token), &[("Content-Type", "text/csv"), ("Idempotency-Key", "cal-1")], Some(one.as_bytes().to_vec()));
        let first = send().await.expect(200);
        assert_report(&first.body, "atomic", 1, 1, 0, 0, 0);
        let again = send().await.expect(200);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.body, first.body);
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS + 5);
        assert_eq!(app.audit_count("calendar.import"), 4);
    }

    async fn bad_rows_are_named_by_line_and_an_atomic_file_changes_nothing(app: &TestApp) {
        let bad = "# test data\n\
date,kind,name\n\
2027-02-08,holiday,测试假日\n\
2027-02-05,workday,周五不能调休上班\n\
2027-13-01,holiday,坏日期\n\
\n\
2027-02-09,vacation,测试\n\
2027-02-10,holiday,\n\
2027-02-08,holiday,重复\n\
2101-01-01,holiday,太远\n";
        let res = import_csv(app, "city", "", bad).await.problem(422, "validation_failed");
        assert_eq!(
            row_errors(&res.body),
            vec![
                err(4, "date", "workday_not_weekend"),
                err(5, "date", "invalid_date"),
                err(7, "kind", "invalid_enum"),
                err(8, "name", "length"),
                err(9, "date", "duplicate_in_file"),
                err(10, "date", "year_range"),
            ]
        );
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS);
        assert!(stored(app, day("2027-02-08")).is_none());
        assert_eq!(app.audit_count("calendar.import"), 0);
        // One bad row: the top-level code is its rule.
        let one = "date,kind,name\n2027-02-08,holiday,测试假日\n2027-02-05,workday,周五\n";
        let res = import_csv(app, "city", "", one).await.problem(422, "workday_not_weekend");
        assert_eq!(row_errors(&res.body), vec![err(3, "date", "workday_not_weekend")]);
        assert!(res.body["errors"][0]["message"].as_str().unwrap().contains("2027-02-05"));
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS);
        // Partial: the good row is kept and the bad ones reported.
        let res = import_csv(app, "city", "?mode=partial", bad).await.expect(200);
        assert_report(&res.body, "partial", 7, 1, 0, 0, 6);
        assert_eq!(row_errors(&res.body).len(), 6);
        assert_eq!(row_errors(&res.body)[0], err(4, "date", "workday_not_weekend"));
        assert_eq!(res.body["years"], json!([2027]));
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS + 1);
        assert_eq!(stored(app, day("2027-02-08")), Some(("holiday".into(), "测试假日".into(), 2027)));
        assert_eq!(app.audit_count("calendar.import"), 1);
        // The file itself: header, emptiness, content type, mode.
        let res = import_csv(app, "city", "", "day,kind,name\n2027-02-08,holiday,x\n").await.problem(422, "csv_header");
        assert_eq!(res.first_field(), "header");
        import_csv(app, "city", "", "").await.problem(422, "empty_file");
        import_csv(app, "city", "", "# only a comment\n").await.problem(422, "csv_header");
        let res = import_csv(app, "city", "?mode=all", TEST_2027).await.problem(422, "invalid_enum");
        assert_eq!(res.first_field(), "mode");
        let token = app.token("city");
        app.request("POST", IMPORT, Some(&token), &[("Content-Type", "application/json")], Some(TEST_2027.as_bytes().to_vec()))
            .await
            .problem(415, "unsupported_media_type");
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS + 1);
        assert_eq!(app.audit_count("calendar.import"), 1);
    }

    async fn only_city_level_roles_import(app: &TestApp) {
        for login in ["siming", "xiagang", "hongshan", "importer", "auditor", "finance", "platform"] {
            import_csv(app, login, "", TEST_2027).await.problem(403, "forbidden");
        }
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS);
        assert_eq!(app.audit_count("calendar.import"), 0);
        import_csv(app, "admin", "", TEST_2027).await.expect(200);
        import_csv(app, "city", "", TEST_2027).await.expect(200);
        assert_eq!(app.count("calendar_days"), BUNDLED_ROWS + 3);
        assert_eq!(app.audit_count("calendar.import"), 2);
    }

    async fn bad_query_parameters_name_the_parameter(app: &TestApp) {
        let get = |path: &'static str| app.get(path, "hongshan");
        let res = get("/api/v1/calendar/holidays").await.problem(422, "required");
        assert_eq!(res.first_field(), "year");
        for bad in ["abc", "1899", "2101", "2026.5"] {
            let res = app.get(&format!("/api/v1/calendar/holidays?year={bad}"), "hongshan").await.problem(422, "year_range");
            assert_eq!(res.first_field(), "year");
        }
        let res = get("/api/v1/calendar/working-days?from=2026-02-30&to=2026-03-01").await.problem(422, "invalid_date");
        assert_eq!(res.first_field(), "from");
        let res = get("/api/v1/calendar/working-days?from=2026-02-13").await.problem(422, "required");
        assert_eq!(res.first_field(), "to");
        let res = get("/api/v1/calendar/working-days").await.problem(422, "validation_failed");
        let fields: Vec<&str> = res.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["from", "to"]);
        let res = get("/api/v1/calendar/working-days?from=2026-02-13&to=2201-01-01").await.problem(422, "year_range");
        assert_eq!(res.first_field(), "to");
        for bad in ["-1", "3661", "two", ""] {
            let res = app
                .get(&format!("/api/v1/calendar/deadline?from=2026-02-13&working_days={bad}"), "hongshan")
                .await
                .problem(422, "count_range");
            assert_eq!(res.first_field(), "working_days");
        }
        let res = get("/api/v1/calendar/deadline?from=2026-02-13&days=x").await.problem(422, "count_range");
        assert_eq!(res.first_field(), "days");
        for both_or_neither in ["&working_days=1&days=1", ""] {
            let res = app
                .get(&format!("/api/v1/calendar/deadline?from=2026-02-13{both_or_neither}"), "hongshan")
                .await
                .problem(422, "one_of_working_days_or_days");
            assert_eq!(res.first_field(), "working_days");
        }
        let res = get("/api/v1/calendar/deadline?working_days=2").await.problem(422, "required");
        assert_eq!(res.first_field(), "from");
        let res = get("/api/v1/calendar/deadline?from=13.02.2026&working_days=2").await.problem(422, "invalid_date");
        assert_eq!(res.first_field(), "from");
        // The largest deadline is answered.
        let res = get("/api/v1/calendar/deadline?from=2100-12-31&working_days=3660").await.expect(200);
        assert!(res.body["due"].as_str().unwrap().starts_with("211"), "{}", res.text);
    }
}
