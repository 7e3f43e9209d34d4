//! Monthly statistical reports (issue 27; 按月计报, GUIDE 交接制度, 第四章二; JN Art. 28), on both backends: every
//! report's total is the sum of its rows, and a parent's figures are the sum of its children's to the fen.

use calamine::{Data, Reader, Xlsx};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const MONTH: &str = "2026-12";

/// Binds the Xiamen preset (hospital condolence 200.00, XM Art. 21(2)) from `from` on.
async fn preset(app: &TestApp) {
    let body = json!({"valid_from": "2025-02-26", "preset": "xiamen-2025", "extend_beyond_term": true, "note": "延期执行（测试）"});
    app.post("/api/v1/jurisdictions/3502/policies", "city", &body).await.expect(201);
}

/// Registers a retiree; `female` takes an even sequence digit, `birth` the birth date in the ID.
async fn person(app: &TestApp, community: &str, seq: u16, female: bool, birth: &str, category: &str) -> i64 {
    let mut body = retiree_body(community, seq);
    body["id_number"] = json!(id_number("350203", birth, if female { seq * 2 } else { seq * 2 + 1 }));
    body["category"] = json!(category);
    app.create_retiree("city", &body).await["id"].as_i64().unwrap()
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn scalar(app: &TestApp, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<N>(&mut app.conn()).unwrap().n
}

/// A value as an integer: counts as they are, amounts in fen.
fn int(v: &Value) -> i64 {
    let s = v.as_str().unwrap();
    match s.split_once('.') {
        Some((y, f)) => y.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap(),
        None => s.parse().unwrap(),
    }
}

fn section<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["sections"].as_array().unwrap().iter().find(|s| s["code"] == code).unwrap_or_else(|| panic!("{code}"))
}

/// The value of `column` in the total of `section`.
fn total(report: &Value, code: &str, column: &str) -> i64 {
    let s = section(report, code);
    let i = s["columns"].as_array().unwrap().iter().position(|c| c["code"] == column).unwrap();
    int(&s["total"]["values"][i])
}

/// Checks every section's total is the sum of its rows (to the fen); returns each section's total as integers.
fn check_rows_sum(report: &Value) -> Vec<(String, Vec<i64>)> {
    let mut out = Vec::new();
    for s in report["sections"].as_array().unwrap() {
        let width = s["columns"].as_array().unwrap().len();
        let mut sums = vec![0_i64; width];
        for r in s["rows"].as_array().unwrap() {
            let v = r["values"].as_array().unwrap();
            assert_eq!(v.len(), width, "{}", s["code"]);
            for (a, b) in sums.iter_mut().zip(v) {
                *a += int(b);
            }
        }
        let t: Vec<i64> = s["total"]["values"].as_array().unwrap().iter().map(int).collect();
        assert_eq!(t, sums, "section {}: the total is the sum of the rows", s["code"]);
        out.push((s["code"].as_str().unwrap().to_owned(), t));
    }
    out
}

async fn report(app: &TestApp, node: &str, login: &str) -> Value {
    app.get(&format!("/api/v1/reports/monthly?jurisdiction={node}&month={MONTH}"), login).await.expect(200).body
}

both_backends! {
    async fn parents_are_the_sum_of_their_children_to_the_fen(app: &TestApp) {
        preset(app).await;
        // 思明: three in 鸿山 (one woman, one born 1964), one in 蜂巢山, one in 仁安; 湖里: two in 湖里社区.
        let a = person(app, "350203001001", 1, false, "19550101", "enterprise_employee").await;
        person(app, "350203001001", 2, true, "19550101", "enterprise_employee").await;
        person(app, "350203001001", 3, false, "19640301", "flexible_employment").await;
        person(app, "350203001004", 4, true, "19400101", "enterprise_employee").await;
        person(app, "350203003001", 5, false, "19550101", "institution").await;
        let b = person(app, "350206001001", 6, false, "19550101", "enterprise_employee").await;
        person(app, "350206001001", 7, true, "19620101", "enterprise_employee").await;
        // Hospital condolences of the month (XM Art. 21(2): 200.00), one unpaid.
        for (id, paid) in [(a, true), (b, true), (a, false)] {
            let body = json!({"retiree_id": id, "kind": "hospital", "on_date": "2026-12-02", "paid": paid});
            app.post("/api/v1/condolences", "city", &body).await.expect(201);
        }

        // The district's fund (XM Art. 21): a budget for the year and 500.50 spent on activities this month.
        app.post("/api/v1/funding/budgets", "finance", &json!({"jurisdiction": "350203", "year": 2026})).await.expect(201);
        // Everybody was registered today, so the budget's headcount on 1 January is 0: give it an amount by hand.
        diesel::sql_query("UPDATE fund_budgets SET total_fen = 123456789").execute(&mut app.conn()).unwrap();
        let budget_fen = scalar(app, "SELECT total_fen AS n FROM fund_budgets");
        let body = json!({"jurisdiction": "350203", "category": "activities", "amount": "500.50", "description": "重阳节文艺汇演"});
        app.post("/api/v1/funding/expenditures", "finance", &body).await.expect(201);

        let city = report(app, "3502", "city").await;
        assert_eq!((city["jurisdiction"].as_str(), city["month"].as_str(), city["as_of"].as_str()),
            (Some("3502"), Some(MONTH), Some(TODAY)));
        let city_totals = check_rows_sum(&city);
        let rows: Vec<&str> = section(&city, "roll_category")["rows"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
        assert_eq!(rows, ["350203", "350206"], "one row per district");
        // Roll counts agree with the database and with the movement ledger.
        let on_roll = scalar(app, "SELECT COUNT(*) AS n FROM retirees WHERE on_roll");
        assert_eq!(on_roll, 7);
        for code in ["roll_category", "roll_management_level", "roll_sex", "roll_age_band"] {
            assert_eq!(total(&city, code, "total"), on_roll, "{code}");
        }
        assert_eq!(total(&city, "movements", "closing"), on_roll);
        assert_eq!(total(&city, "movements", "registered"), 7);
        assert_eq!((total(&city, "roll_sex", "male"), total(&city, "roll_sex", "female")), (4, 3));
        assert_eq!(total(&city, "roll_category", "flexible_employment"), 1);
        // Age on TODAY: 1964 and 1962 → 60-69; 1955 → 70-79; 1940 → 80-89 (bands: policy, not stated).
        assert_eq!((total(&city, "roll_age_band", "age_60_69"), total(&city, "roll_age_band", "age_70_79"),
            total(&city, "roll_age_band", "age_80_89")), (2, 4, 1));
        // Advanced age (GUIDE 走访制度: 70) computed from the birth date.
        assert_eq!(total(&city, "special_groups", "advanced_age"), 5);
        // Condolences: three recorded, two paid, to the fen as the database holds them.
        assert_eq!(total(&city, "condolences", "hospital"), 3);
        let paid = scalar(app, "SELECT CAST(SUM(amount_fen) AS BIGINT) AS n FROM condolences WHERE paid");
        assert_eq!(total(&city, "condolences", "hospital_amount"), paid);
        assert_eq!(paid, 40_000);
        // Certification: everybody registered today is certified until a year on, nobody due or overdue.
        assert_eq!(total(&city, "certification", "overdue"), 0);

        // Sum to the fen across the tree: city = 思明 + 湖里; 思明 = 厦港 + 中华; 厦港 = 鸿山 + 蜂巢山.
        let siming = report(app, "350203", "siming").await;
        let huli = report(app, "350206", "huli").await;
        let xiagang = report(app, "350203001", "xiagang").await;
        let zhonghua = report(app, "350203003", "siming").await;
        let hongshan = report(app, "350203001001", "hongshan").await;
        let fengchaoshan = report(app, "350203001004", "fengchaoshan").await;
        // A parent's row of a child is the child's own total, section by section, to the fen; what is recorded on
        // the parent itself (the district's budget) is a row of its own.
        let (s, h) = (check_rows_sum(&siming), check_rows_sum(&huli));
        check_rows_sum(&zhonghua);
        check_rows_sum(&fengchaoshan);
        let x = check_rows_sum(&xiagang);
        check_rows_sum(&hongshan);
        for (parent, children) in [
            (&city, vec![("350203", &siming), ("350206", &huli)]),
            (&siming, vec![("350203001", &xiagang), ("350203003", &zhonghua)]),
            (&xiagang, vec![("350203001001", &hongshan), ("350203001004", &fengchaoshan)]),
        ] {
            for (child, report) in children {
                for sec in report["sections"].as_array().unwrap() {
                    let code = sec["code"].as_str().unwrap();
                    let row = section(parent, code)["rows"].as_array().unwrap().iter().find(|r| r["code"] == child);
                    let zeros: Vec<Value> = sec["total"]["values"].as_array().unwrap().iter().map(|_| json!("0")).collect();
                    let row_values: Vec<i64> = row.map_or(zeros, |r| r["values"].as_array().unwrap().clone()).iter().map(int).collect();
                    let child_total: Vec<i64> = sec["total"]["values"].as_array().unwrap().iter().map(int).collect();
                    assert_eq!(row_values, child_total, "{} row {child} of {code}", parent["jurisdiction"]);
                }
            }
        }
        let sum = |a: &[(String, Vec<i64>)], b: &[(String, Vec<i64>)]| -> Vec<(String, Vec<i64>)> {
            a.iter().zip(b).map(|((c, x), (_, y))| (c.clone(), x.iter().zip(y).map(|(p, q)| p + q).collect())).collect()
        };
        assert_eq!(city_totals, sum(&s, &h), "city = 思明 + 湖里");
        // The fund: budget on 思明 itself (its own row), spending in the month and to date, balance to the fen.
        assert_eq!(total(&city, "fund", "budget"), budget_fen);
        assert_eq!(total(&city, "fund", "spent_month"), 50_050);
        assert_eq!(total(&city, "fund_spent", "activities"), 50_050);
        assert_eq!(total(&city, "fund", "balance"), budget_fen - 50_050);
        let own = section(&siming, "fund")["rows"].as_array().unwrap().iter().find(|r| r["code"] == "350203").unwrap();
        assert_eq!(int(&own["values"][0]), budget_fen);
        assert_eq!(x.iter().find(|(c, _)| c == "fund").unwrap().1, vec![0, 0, 0, 0], "厦港 has no fund of its own");
        assert_eq!(total(&hongshan, "condolences", "hospital_amount"), 20_000);
        // A community's report has one row: itself.
        let rows = section(&hongshan, "roll_category")["rows"].as_array().unwrap();
        assert_eq!((rows.len(), rows[0]["code"].as_str()), (1, Some("350203001001")));
        // Comparison: last month nobody had been registered yet (the movements count from the ledger).
        let mv = section(&city, "movements");
        let closing = mv["columns"].as_array().unwrap().iter().position(|c| c["code"] == "closing").unwrap();
        assert_eq!(mv["previous_month"][closing], "0");
        assert_eq!(mv["same_month_last_year"][closing], "0");
    }

    async fn the_report_refuses_bad_input_wrong_roles_and_other_nodes(app: &TestApp) {
        let res = app.get("/api/v1/reports/monthly?jurisdiction=350203&month=2026-13", "siming").await.problem(422, "invalid_month");
        assert_eq!(res.fields(), [("month".to_owned(), "invalid_month".to_owned())]);
        // Admin and importer do not read retirees' figures.
        app.get("/api/v1/reports/monthly?jurisdiction=3502", "admin").await.problem(403, "forbidden");
        // Another district is not in 思明's subtree: answered as if it did not exist.
        let res = app.get("/api/v1/reports/monthly?jurisdiction=350206", "siming").await.problem(422, "jurisdiction_not_found");
        assert_eq!(res.fields(), [("jurisdiction".to_owned(), "jurisdiction_not_found".to_owned())]);
        app.get("/api/v1/exports/monthly-report?jurisdiction=350206&format=xlsx", "siming").await.problem(422, "jurisdiction_not_found");
        app.get("/api/v1/exports/monthly-report?format=pdf", "siming").await.problem(422, "invalid_enum");
        // Without a node and month: the caller's node, this month; the ETag is the content's.
        let res = app.get("/api/v1/reports/monthly", "siming").await.expect(200);
        assert_eq!((res.body["jurisdiction"].as_str(), res.body["month"].as_str()), (Some("350203"), Some(MONTH)));
        let again = app.get("/api/v1/reports/monthly", "siming").await.expect(200);
        assert!(res.header("etag").is_some());
        assert_eq!(res.header("etag"), again.header("etag"));
        assert_eq!(app.count("audit_log"), 0, "a report of counts is not a personal read");
    }

    async fn the_xlsx_has_one_sheet_per_section_with_title_and_totals(app: &TestApp) {
        person(app, "350203001001", 1, false, "19550101", "enterprise_employee").await;
        person(app, "350203001004", 2, true, "19550101", "institution").await;
        let res = app.get(&format!("/api/v1/exports/monthly-report?jurisdiction=350203001&month={MONTH}&format=xlsx"), "xiagang").await.expect(200);
        assert_eq!(res.header("content-type"), Some(app::exports::XLSX_TYPE));
        assert_eq!(res.header("content-disposition"), Some("attachment; filename=\"monthly-report-350203001-2026-12.xlsx\""));
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(res.bytes.clone())).unwrap();
        let names = book.sheet_names();
        assert_eq!(names.first().map(String::as_str), Some("人员类别"));
        assert!(names.contains(&"特殊群体".to_owned()) && names.contains(&"同比环比".to_owned()), "{names:?}");
        let sheet = book.worksheet_range("人员类别").unwrap();
        let cells: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| match c {
            Data::Float(f) => f.to_string(),
            other => other.to_string(),
        }).collect()).collect();
        assert_eq!(cells[0][0], "厦港街道（350203001）2026-12月报 — 人员类别");
        // The header below the title, a row per community, the bold totals row.
        let h = cells.iter().position(|r| r[0] == "单位代码").unwrap();
        assert_eq!(&cells[h][..3], ["单位代码", "单位名称", "企业职工"]);
        assert_eq!(cells[h].last().map(String::as_str), Some("在册合计"));
        assert_eq!(&cells[h + 1][..3], ["350203001001", "鸿山社区居委会", "1"]);
        assert_eq!(&cells[h + 3][..3], ["350203001", "合计", "1"]);
        assert_eq!(cells[h + 3].last().map(String::as_str), Some("2"));
    }
}

/// A hospital condolence for `id` on `on` (XM Art. 21(2): 200.00 paid).
async fn condolence(app: &TestApp, id: i64, on: &str, paid: bool) {
    let body = json!({"retiree_id": id, "kind": "hospital", "on_date": on, "paid": paid});
    app.post("/api/v1/condolences", "city", &body).await.expect(201);
}

async fn close(app: &TestApp, node: &str, login: &str) -> Resp {
    app.post("/api/v1/reports/monthly/closes", login, &json!({"jurisdiction": node, "month": "2026-11"})).await
}

async fn reopen(app: &TestApp, node: &str, reason: &str) -> Resp {
    app.post(&format!("/api/v1/reports/monthly/closes/{node}/2026-11/reopen"), "admin", &json!({"reason": reason}))
        .await
}

both_backends! {
    async fn months_close_from_the_community_up_and_stay_as_filed(app: &TestApp) {
        preset(app).await;
        let id = person(app, "350203001001", 1, false, "19550101", "enterprise_employee").await;
        condolence(app, id, "2026-11-20", true).await;
        // Roles: closing is for the service bodies; the auditor and the admin do not close.
        close(app, "350203001001", "auditor").await.problem(403, "forbidden");
        close(app, "350203001001", "admin").await.problem(403, "forbidden");
        // Bad input and other nodes.
        let res = app.post("/api/v1/reports/monthly/closes", "hongshan", &json!({"jurisdiction": "350203001001", "month": "11/2026"})).await.problem(422, "invalid_month");
        assert_eq!(res.fields(), [("/month".to_owned(), "invalid_month".to_owned())]);
        let res = close(app, "350203001001", "fengchaoshan").await.problem(422, "jurisdiction_not_found");
        assert_eq!(res.fields(), [("/jurisdiction".to_owned(), "jurisdiction_not_found".to_owned())]);
        // The running month is not over.
        app.post("/api/v1/reports/monthly/closes", "hongshan", &json!({"jurisdiction": "350203001001", "month": "2026-12"})).await.problem(409, "month_not_over");
        // A street cannot close before its communities: the open ones are named.
        let res = close(app, "350203001", "xiagang").await.problem(409, "children_not_closed");
        assert!(res.body["detail"].as_str().unwrap().contains("350203001004"), "{}", res.text);
        assert_eq!(app.count("month_closes"), 0);

        let res = close(app, "350203001001", "hongshan").await.expect(201);
        assert_eq!(res.header("location"), Some("/api/v1/reports/monthly/closes/350203001001/2026-11"));
        assert_eq!((res.body["status"].as_str(), res.body["closed_by"].as_str()), (Some("closed"), Some("hongshan")));
        assert_eq!(res.body["report"], "/api/v1/reports/monthly?jurisdiction=350203001001&month=2026-11");
        close(app, "350203001001", "hongshan").await.problem(409, "month_closed");
        close(app, "350203001004", "fengchaoshan").await.expect(201);
        let street = close(app, "350203001", "xiagang").await.expect(201);
        assert_eq!(street.body["differences"], json!([]), "厦港 counts each community as it filed");
        // The district still waits for 中华街道.
        close(app, "350203", "siming").await.problem(409, "children_not_closed");
        assert_eq!(app.audit_count("report.close"), 3);

        // The data platform learns of each close, with the link to the report.
        let feed = app.get("/api/v1/events?types=report.month_closed", "platform").await.expect(200);
        let items = feed.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!((items[0]["jurisdiction"].as_str(), items[0]["subject"]["type"].as_str()), (Some("350203001001"), Some("month_close")));
        assert_eq!(items[0]["payload"]["report"], "/api/v1/reports/monthly?jurisdiction=350203001001&month=2026-11");
        assert_eq!((items[2]["payload"]["level"].as_str(), items[2]["payload"]["month"].as_str()), (Some("street"), Some("2026-11")));

        // A later entry for November: the filed report stays; December shows the correction.
        condolence(app, id, "2026-11-25", true).await;
        let nov = app.get("/api/v1/reports/monthly?jurisdiction=350203001001&month=2026-11", "hongshan").await.expect(200).body;
        assert_eq!(nov["status"], "closed");
        assert_eq!((total(&nov, "condolences", "hospital"), total(&nov, "condolences", "hospital_amount")), (1, 20_000));
        let dec = app.get("/api/v1/reports/monthly?jurisdiction=350203001001&month=2026-12", "hongshan").await.expect(200).body;
        assert_eq!(dec["status"], "open");
        let fixes: Vec<&Value> = dec["corrections"].as_array().unwrap().iter().filter(|c| c["section"] == "condolences").collect();
        assert_eq!(fixes, [
            &json!({"month": "2026-11", "section": "condolences", "column": "hospital", "filed": "1", "now": "2", "difference": "1"}),
            &json!({"month": "2026-11", "section": "condolences", "column": "hospital_amount", "filed": "200.00", "now": "400.00", "difference": "200.00"}),
        ]);
        // December compares with November as filed.
        let s = section(&dec, "condolences");
        let i = s["columns"].as_array().unwrap().iter().position(|c| c["code"] == "hospital").unwrap();
        assert_eq!(s["previous_month"][i], "1");

        // Reopening: the admin only, with a reason, the parent first.
        app.post("/api/v1/reports/monthly/closes/350203001001/2026-11/reopen", "hongshan", &json!({"reason": "补录"})).await.problem(403, "forbidden");
        reopen(app, "350203001001", "补录11月住院慰问").await.problem(409, "parent_month_closed");
        let res = reopen(app, "350203001", "  ").await.problem(422, "required");
        assert_eq!(res.fields(), [("/reason".to_owned(), "required".to_owned())]);
        reopen(app, "350206001", "补录").await.problem(409, "month_not_closed");
        app.post("/api/v1/reports/monthly/closes/350203001/2026-11/reopen", "admin", &json!({"reason": "x"}))
            .await.expect(200);
        let res = app.get("/api/v1/reports/monthly/closes/350203001/2026-11", "xiagang").await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["reopen_reason"].as_str()), (Some("reopened"), Some("x")));
        let etag = res.header("etag").unwrap().to_owned();
        assert_eq!(etag, api::extract::etag(res.body["version"].as_i64().unwrap()));
        app.get("/api/v1/reports/monthly/closes/350203001/2026-11", "huli").await.problem(404, "not_found");
        app.get("/api/v1/reports/monthly/closes/350203003/2026-11", "siming").await.problem(404, "not_found");
        reopen(app, "350203001001", "补录11月住院慰问").await.expect(200);
        assert_eq!(app.audit_count("report.reopen"), 2);
        let open = app.get("/api/v1/reports/monthly?jurisdiction=350203001001&month=2026-11", "hongshan").await.expect(200).body;
        assert_eq!((open["status"].as_str(), total(&open, "condolences", "hospital")), (Some("open"), 2));

        // 鸿山 files again (2); an entry after that makes 厦港's count differ from what 鸿山 filed, shown at close.
        close(app, "350203001001", "hongshan").await.expect(201);
        condolence(app, id, "2026-11-28", false).await;
        let street = close(app, "350203001", "xiagang").await.expect(201);
        assert_eq!(street.body["differences"], json!([
            {"child": "350203001001", "section": "condolences", "column": "hospital", "filed": "2", "counted": "3"},
        ]));
        assert_eq!(street.body["version"], 3, "closed, reopened, closed");
    }
}

both_backends! {
    async fn special_group_ledgers_classify_verify_and_keep_a_worklist(app: &TestApp) {
        // GUIDE 第四章五. 鸿山: A born 1950 (高龄 by the policy's 70), B with a 特困 flag since 2024, C with none.
        let a = person(app, "350203001001", 1, false, "19500101", "enterprise_employee").await;
        let mut body = retiree_body("350203001001", 2);
        body["id_number"] = json!(id_number("350203", "19640101", 5));
        body["special_groups"] = json!([{"group": "severe_hardship", "from": "2024-01-01"}]);
        let b = app.create_retiree("city", &body).await["id"].as_i64().unwrap();
        let c = person(app, "350203001001", 3, false, "19640301", "enterprise_employee").await;

        let ledger = |group: &str, query: &str| {
            let path = format!("/api/v1/ledgers/{group}?jurisdiction=350203001001{query}");
            async move { app.get(&path, "hongshan").await.expect(200).body }
        };
        let page = ledger("advanced_age", "").await;
        assert_eq!(page["items"], json!([{"retiree_id": a, "community_code": "350203001001", "computed": true,
            "recorded": null, "verified_on": null, "worker": null, "status": "unverified"}]));

        // Step 2: verifications with worker, day and evidence.
        let verify = |group: &str, body: Value, login: &str| {
            let path = format!("/api/v1/ledgers/{group}/verifications");
            let login = login.to_owned();
            async move { app.post(&path, &login, &body).await }
        };
        let res = verify("advanced_age", json!({"retiree_id": a, "member": true, "verified_on": "2025-11-01",
            "worker": "李四", "evidence": "户口簿"}), "hongshan").await.expect(201);
        let location = res.header("location").unwrap().to_owned();
        assert_eq!(location, format!("/api/v1/ledgers/verifications/{}", res.body["id"]));
        assert_eq!((res.body["group"].as_str(), res.body["worker"].as_str()), (Some("advanced_age"), Some("李四")));
        assert_eq!(app.get(&location, "xiagang").await.expect(200).body["evidence"], "户口簿");
        app.get(&location, "huli").await.problem(404, "not_found");
        verify("severe_hardship", json!({"retiree_id": b, "member": true, "worker": "李四", "evidence": "特困人员认定书"}), "hongshan").await.expect(201);
        verify("severe_hardship", json!({"retiree_id": c, "member": true, "worker": "李四", "evidence": "本人口述"}), "hongshan").await.expect(201);
        assert_eq!(app.audit_count("ledger.verify"), 3);
        assert_eq!(app.count("special_group_verifications"), 3);

        // Bad input, every field at once; a group that is not one of the six; wrong role; another community.
        let res = verify("severe_hardship", json!({"retiree_id": 999_999, "member": true, "verified_on": "2027-01-01",
            "worker": " ", "evidence": "x"}), "hongshan").await.problem(422, "validation_failed");
        assert_eq!(res.fields(), [("/retiree_id".to_owned(), "retiree_not_found".to_owned()),
            ("/verified_on".to_owned(), "date_in_future".to_owned()), ("/worker".to_owned(), "length".to_owned())]);
        verify("party_member", json!({"retiree_id": a, "member": true, "worker": "李四", "evidence": "x"}), "hongshan").await.problem(404, "not_found");
        verify("advanced_age", json!({"retiree_id": a, "member": true, "worker": "李四", "evidence": "x"}), "auditor").await.problem(403, "forbidden");
        let res = verify("advanced_age", json!({"retiree_id": a, "member": true, "worker": "李四", "evidence": "x"}), "fengchaoshan").await.problem(422, "retiree_not_found");
        assert_eq!(res.fields(), [("/retiree_id".to_owned(), "retiree_not_found".to_owned())]);
        assert_eq!(app.count("special_group_verifications"), 3);

        // Step 5: the verification of 2025-11-01 is older than the policy's 365 days; C was recorded a member the
        // data does not show.
        let stale = ledger("advanced_age", "&status=stale").await;
        assert_eq!(stale["items"].as_array().unwrap().iter().map(|i| i["retiree_id"].as_i64().unwrap()).collect::<Vec<_>>(), [a]);
        let hardship = ledger("severe_hardship", "").await;
        let statuses: Vec<(i64, &str)> = hardship["items"].as_array().unwrap().iter()
            .map(|i| (i["retiree_id"].as_i64().unwrap(), i["status"].as_str().unwrap())).collect();
        assert_eq!(statuses, [(b, "verified"), (c, "disagrees")]);
        app.get("/api/v1/ledgers/advanced_age?jurisdiction=350203001001&status=late", "hongshan").await.problem(422, "invalid_enum");
        app.get("/api/v1/ledgers/advanced_age?jurisdiction=350206", "siming").await.problem(422, "jurisdiction_not_found");

        // Step 4: the summary per child; the total is the sum of the rows.
        let s = app.get("/api/v1/ledgers/summary?jurisdiction=350203001", "xiagang").await.expect(200).body;
        let rows = s["rows"].as_array().unwrap();
        assert_eq!(rows.iter().map(|r| r["code"].as_str().unwrap()).collect::<Vec<_>>(), ["350203001001", "350203001004"]);
        let group = |row: &Value, g: &str| row["groups"].as_array().unwrap().iter().find(|x| x["group"] == g).unwrap().clone();
        assert_eq!(group(&rows[0], "advanced_age"), json!({"group": "advanced_age", "verified": 0, "unverified": 0, "stale": 1, "disagrees": 0}));
        assert_eq!(group(&rows[0], "severe_hardship"), json!({"group": "severe_hardship", "verified": 1, "unverified": 0, "stale": 0, "disagrees": 1}));
        assert_eq!(group(&s["total"], "severe_hardship"), group(&rows[0], "severe_hardship"), "蜂巢山 has nobody");
        assert_eq!(s["total"]["groups"].as_array().unwrap().len(), 6);

        // The ledger as a clerk's file, audited.
        let res = app.get("/api/v1/exports/ledgers/severe_hardship?jurisdiction=350203001001&format=xlsx", "hongshan").await.expect(200);
        assert_eq!(res.header("content-type"), Some(app::exports::XLSX_TYPE));
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(res.bytes.clone())).unwrap();
        assert_eq!(book.sheet_names(), ["特困"]);
        let sheet = book.worksheet_range("特困").unwrap();
        let cells: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(ToString::to_string).collect()).collect();
        assert!(cells[0][0].starts_with("鸿山社区居委会（350203001001）特殊群体台账 — 特困"), "{:?}", cells[0]);
        let h = cells.iter().position(|r| r[0] == "人员编号").unwrap();
        assert_eq!(cells[h][6], "台账状态");
        assert_eq!(cells[h + 2][6], "计算与核实结果不一致");
        assert_eq!(app.audit_count("ledger.export"), 1);
    }
}
