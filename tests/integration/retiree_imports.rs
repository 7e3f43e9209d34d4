//! Retiree file imports (issue 4): jobs, atomic and partial modes on 100,000 rows, replays, GB18030 round trip
//! through import and export, XLSX, NDJSON, conflicts, scope and refusals.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const IMPORT: &str = "/api/v1/imports/retirees";
const HEADER: &str = "name,id_number,sex,birth_date,retirement_date,category,management_level,community_code,phone,\
address,monthly_pension,party_member,special_groups,notes";

/// Posts a file; expects 202 with `Location`.
async fn start(app: &TestApp, token: &str, query: &str, content_type: &str, body: &[u8], key: Option<&str>) -> Resp {
    let mut headers = vec![("Content-Type", content_type)];
    if let Some(k) = key {
        headers.push(("Idempotency-Key", k));
    }
    app.request("POST", &format!("{IMPORT}{query}"), Some(token), &headers, Some(body.to_vec())).await
}

/// Follows a job to its end; returns the final job.
async fn follow(app: &TestApp, token: &str, location: &str) -> Value {
    for _ in 0..2400 {
        let res = app.request("GET", location, Some(token), &[], None).await.expect(200);
        let status = res.body["status"].as_str().unwrap().to_owned();
        if !matches!(status.as_str(), "queued" | "running") {
            return res.body;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the job at {location} did not end");
}

/// Imports a file and waits for the job.
pub(crate) async fn import(app: &TestApp, login: &str, query: &str, content_type: &str, body: &[u8]) -> Value {
    import_to(app, login, &format!("{IMPORT}{query}"), content_type, body).await
}

/// Posts a file to `url` and waits for the job.
async fn import_to(app: &TestApp, login: &str, url: &str, content_type: &str, body: &[u8]) -> Value {
    let token = app.token(login);
    let res = app
        .request("POST", url, Some(&token), &[("Content-Type", content_type)], Some(body.to_vec()))
        .await
        .expect(202);
    let location = res.header("location").unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/imports/{}", res.body["id"]));
    follow(app, &token, &location).await
}

/// Every error of a job: (line, field, code).
async fn job_errors(app: &TestApp, login: &str, id: &Value) -> Vec<(u64, String, String)> {
    let res = app.get(&format!("/api/v1/imports/{id}/errors?limit=500"), login).await.expect(200);
    res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[track_caller]
fn assert_job(job: &Value, status: &str, rows: i64, created: i64, updated: i64, skipped: i64, rejected: i64) {
    assert_eq!(
        (
            job["status"].as_str().unwrap(),
            job["rows_read"].as_i64().unwrap(),
            job["created"].as_i64().unwrap(),
            job["updated"].as_i64().unwrap(),
            job["skipped"].as_i64().unwrap(),
            job["rejected"].as_i64().unwrap()
        ),
        (status, rows, created, updated, skipped, rejected),
        "{job}"
    );
}

/// A CSV row in the export format for a person in `community`, unique by `n`.
pub(crate) fn row(n: u32, community: &str) -> String {
    let day = time::Date::from_calendar_date(1950, time::Month::January, 1).unwrap()
        + time::Duration::days(i64::from(n / 500));
    let birth = format!("{}{:02}{:02}", day.year(), day.month() as u8, day.day());
    let id = id_number(&community[..6], &birth, (n % 500 * 2 + 1) as u16);
    format!(
        "张{n},{id},male,{day},{},enterprise_employee,city_managed,{community},13812345678,厦门市思明区大学路{n}号,3500.00,false,,",
        time::Date::from_calendar_date(day.year() + 60, day.month(), day.day()).unwrap()
    )
}

pub(crate) fn file(rows: impl IntoIterator<Item = String>) -> String {
    let mut out = format!("{HEADER}\r\n");
    for r in rows {
        out.push_str(&r);
        out.push_str("\r\n");
    }
    out
}

/// A bad check character on the person of `n`.
pub(crate) fn bad_checksum(n: u32, community: &str) -> String {
    let good = row(n, community);
    let id = good.split(',').nth(1).unwrap().to_owned();
    let last = id.chars().last().unwrap();
    let wrong = if last == '0' { '1' } else { '0' };
    good.replace(&id, &format!("{}{wrong}", &id[..17]))
}

/// Creates an importer bound to a district; returns its token.
fn district_importer(app: &TestApp, login: &str, node: &str) -> String {
    let hash = api::auth::hash_secret(PASSWORD).unwrap();
    persistence::accounts::create(
        &mut app.conn(),
        &persistence::accounts::NewAccount {
            kind: "user".into(),
            login: login.into(),
            secret_hash: hash,
            display_name: login.into(),
            role: "importer".into(),
            jurisdiction_code: node.into(),
        },
    )
    .unwrap();
    sign(&claims(login, "user", "importer", node, 3600), SECRET)
}

both_backends! {
    async fn imported_people_count_in_the_movement_report(app: &TestApp) {
        // GUIDE 交接制度 "按月计报": an import registers people on their communities' rolls this month (one ledger row
        // per community); moving someone by an update import counts as out of one roll and into the other.
        let rows = [row(1, "350203001001"), row(2, "350203001001"), row(3, "350203001001"), row(4, "350203001004"), row(5, "350203001004")];
        let job = import(app, "importer", "", "text/csv", file(rows.clone()).as_bytes()).await;
        assert_job(&job, "succeeded", 5, 5, 0, 0, 0);
        let t = crate::helpers::today();
        let month = format!("{:04}-{:02}", t.year(), u8::from(t.month()));
        let path = format!("/api/v1/reports/movements?jurisdiction=350203001&month={month}");
        let closing = |body: &Value, code: &str| -> (i64, i64) {
            let r = body["rows"].as_array().unwrap().iter().find(|r| r["code"] == code).unwrap();
            (r["registered"].as_i64().unwrap(), r["closing"].as_i64().unwrap())
        };
        let rep = app.get(&path, "siming").await.expect(200);
        assert_eq!((closing(&rep.body, "350203001001"), closing(&rep.body, "350203001004")), ((3, 3), (2, 2)));
        assert_eq!(rep.body["total"]["closing"], 5);
        let moved = row(1, "350203001001").replace(",350203001001,", ",350203001004,");
        let job = import(app, "importer", "?on_conflict=update", "text/csv", file([moved]).as_bytes()).await;
        assert_job(&job, "succeeded", 1, 0, 1, 0, 0);
        let rep = app.get(&path, "siming").await.expect(200);
        assert_eq!((closing(&rep.body, "350203001001").1, closing(&rep.body, "350203001004").1), (2, 3));
        assert_eq!(rep.body["total"]["transferred_out"], 1);
        assert_eq!(rep.body["total"]["transferred_in"], 1);
        assert_eq!(rep.body["total"]["closing"], 5);
    }

    async fn hundred_thousand_rows_atomic_partial_and_replay(app: &TestApp) {
        const N: u32 = 100_000;
        const BAD: u32 = 61_234;
        let communities = ["350203001001", "350203001004", "350203003001", "350206001001"];
        let csv = file((0..N).map(|n| {
            let c = communities[(n % 4) as usize];
            if n == BAD { bad_checksum(n, c) } else { row(n, c) }
        }));
        let line = u64::from(BAD) + 2;
        // Atomic (default): the one bad row rejects the file; nothing is written, the report names that row.
        let job = import(app, "importer", "", "text/csv", csv.as_bytes()).await;
        assert_job(&job, "rejected", i64::from(N), 0, 0, 0, 1);
        assert_eq!(job["error"]["code"], "rows_rejected");
        assert_eq!(job_errors(app, "importer", &job["id"]).await, vec![err(line, "id_number", "id_number_checksum")]);
        assert_eq!(app.count("retirees"), 0);
        // Partial: the 99,999 good rows are written, the bad one reported.
        let token = app.token("importer");
        let res = start(app, &token, "?mode=partial", "text/csv", csv.as_bytes(), Some("roster-2026-11")).await.expect(202);
        let location = res.header("location").unwrap().to_owned();
        let job = follow(app, &token, &location).await;
        assert_job(&job, "completed_with_errors", i64::from(N), i64::from(N - 1), 0, 0, 1);
        assert_eq!(job["accepted"], i64::from(N - 1));
        assert_eq!(job_errors(app, "importer", &job["id"]).await, vec![err(line, "id_number", "id_number_checksum")]);
        assert_eq!(app.count("retirees"), i64::from(N - 1));
        assert_eq!(app.audit_count("retiree.import.create"), i64::from(N - 1));
        let jobs = app.count("import_jobs");
        // The same file with the same key: the first answer again, nothing written, no new job.
        let replay = start(app, &token, "?mode=partial", "text/csv", csv.as_bytes(), Some("roster-2026-11")).await.expect(202);
        assert_eq!(replay.header("location"), Some(location.as_str()));
        assert_eq!(replay.header("idempotent-replayed"), Some("true"));
        assert_eq!(replay.body, res.body);
        assert_eq!(follow(app, &token, &location).await, job);
        assert_eq!(app.count("import_jobs"), jobs);
        assert_eq!(app.count("retirees"), i64::from(N - 1));
        // The same key with another file is refused.
        start(app, &token, "?mode=partial", "text/csv", b"name\r\n", Some("roster-2026-11"))
            .await
            .problem(422, "idempotency_key_reused");
    }

    async fn gb18030_round_trips_byte_for_byte(app: &TestApp) {
        let (a, b, c) = (
            id_number("350203", "19500315", 2),
            id_number("350206", "19481102", 1),
            id_number("350203", "19520707", 4),
        );
        let rows = [
            format!(
                "欧阳秀英,{a},female,1950-03-15,2005-03-01,enterprise_employee,city_managed,350203001001,13912345678,\
厦门市思明区鸿山路8号之一,4210.55,true,living_alone:2024-01-01,独居，需每月探访"
            ),
            format!(
                "黄金水,{b},male,1948-11-02,2008-11-01,central_provincial_enterprise,central_provincial_local,\
350206001001,0592-5551234,湖里区湖里街道兴隆路3号,3800.00,false,widowed_childless:2020-05-01:2025-12-31,"
            ),
            format!("林阿妹,{c},female,1952-07-07,2002-07-01,individually_insured,district_managed,350203003001,,,,false,,"),
        ];
        let text = file(rows);
        let (gb, _, unmappable) = encoding_rs::GB18030.encode(&text);
        assert!(!unmappable);
        let job = import(app, "platform", "", "text/csv", &gb).await;
        assert_job(&job, "succeeded", 3, 3, 0, 0, 0);
        let export = app.get("/api/v1/exports/retirees?encoding=gb18030", "platform").await.expect(200);
        // The export adds the last certification columns (issue 19.2), empty for these people.
        let expected: String = text
            .split_terminator("\r\n")
            .enumerate()
            .map(|(i, l)| if i == 0 { format!("{l},last_certified_on,last_certification_method\r\n") } else { format!("{l},,\r\n") })
            .collect();
        let (gb, _, _) = encoding_rs::GB18030.encode(&expected);
        assert_eq!(export.bytes, gb.to_vec(), "export:\n{}", encoding_rs::GB18030.decode(&export.bytes).0);
    }

    async fn xlsx_and_ndjson_import(app: &TestApp) {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let header = ["姓名", "公民身份号码", "退休日期", "人员类别", "管理层级", "社区代码", "月养老金", "是否党员"];
        for (c, h) in header.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        let people = [
            ("王建国", id_number("350203", "19540302", 11), "2014-03-01", "企业职工", "city_managed", "350203001001", 3500.5, "是"),
            ("李秀英", id_number("350206", "19600808", 22), "2010-08-01", "enterprise_employee", "区（县）管理", "350206001001", 2800.0, "否"),
        ];
        for (r, p) in people.iter().enumerate() {
            let r = r as u32 + 1;
            sheet.write_string(r, 0, p.0).unwrap();
            sheet.write_string(r, 1, &p.1).unwrap();
            sheet.write_string(r, 2, p.2).unwrap();
            sheet.write_string(r, 3, p.3).unwrap();
            sheet.write_string(r, 4, p.4).unwrap();
            sheet.write_string(r, 5, p.5).unwrap();
            sheet.write_number(r, 6, p.6).unwrap();
            sheet.write_string(r, 7, p.7).unwrap();
        }
        // The ID typed as a number, as Excel does when the column is not text: rejected with a clear code.
        sheet.write_string(3, 0, "赵六").unwrap();
        sheet.write_number(3, 1, 350_203_195_501_010_017.0).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        let job = import(app, "city", "?mode=partial", xlsx, &bytes).await;
        assert_job(&job, "completed_with_errors", 3, 2, 0, 0, 1);
        assert_eq!(job["format"], "xlsx");
        let errors = job_errors(app, "city", &job["id"]).await;
        assert!(errors.contains(&err(4, "id_number", "id_number_as_number")), "{errors:?}");
        let found = app.post("/api/v1/retirees/search", "platform", &json!({"id_number": people[0].1})).await.expect(200);
        let p = &found.body["items"][0];
        assert_eq!(
            (&p["name"], &p["category"], &p["monthly_pension"], &p["party_member"], &p["sex"]),
            (&json!("王建国"), &json!("enterprise_employee"), &json!("3500.50"), &json!(true), &json!("male"))
        );

        // NDJSON, with special groups as objects; then the conflict modes.
        let a = id_number("350203", "19500101", 31);
        let b = id_number("350203", "19500102", 33);
        let ndjson = |phone: &str| {
            format!(
                "{}\n\n{}\n",
                json!({"name": "甲", "id_number": a, "retirement_date": "2010-01-01", "category": "enterprise_employee",
                    "management_level": "city_managed", "community_code": "350203001001", "phone": phone,
                    "special_groups": [{"group": "living_alone", "from": "2024-01-01"}]}),
                json!({"name": "乙", "id_number": b, "retirement_date": "2010-01-01", "category": "enterprise_employee",
                    "management_level": "city_managed", "community_code": "350203001004", "party_member": true})
            )
        };
        let job = import(app, "importer", "", "application/x-ndjson", ndjson("13800000001").as_bytes()).await;
        assert_job(&job, "succeeded", 2, 2, 0, 0, 0);
        let job = import(app, "importer", "", "application/x-ndjson", ndjson("13800000001").as_bytes()).await;
        assert_job(&job, "rejected", 2, 0, 0, 0, 2);
        assert_eq!(
            job_errors(app, "importer", &job["id"]).await,
            vec![err(1, "id_number", "id_number_taken"), err(3, "id_number", "id_number_taken")]
        );
        let job = import(app, "importer", "?on_conflict=skip", "application/x-ndjson", ndjson("13800000001").as_bytes()).await;
        assert_job(&job, "succeeded", 2, 0, 0, 2, 0);
        let job =
            import(app, "importer", "?on_conflict=update", "application/x-ndjson", ndjson("13900000002").as_bytes()).await;
        assert_job(&job, "succeeded", 2, 0, 2, 0, 0);
        let found = app.post("/api/v1/retirees/search", "platform", &json!({"id_number": a})).await.expect(200);
        let p = &found.body["items"][0];
        assert_eq!((&p["phone"], &p["version"]), (&json!("13900000002"), &json!(2)));
        assert_eq!(p["special_groups"][0]["group"], "living_alone");
        assert_eq!(app.audit_count("retiree.import.update"), 2);
        // The timeline of an imported person shows the import.
        let id = p["id"].as_i64().unwrap();
        let timeline = app.get(&format!("/api/v1/retirees/{id}/timeline"), "city").await.expect(200);
        let actions: Vec<&str> = timeline.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["retiree.import.create", "retiree.import.update"]);
    }

    async fn scope_rejected_rows_report_and_resend(app: &TestApp) {
        let token = district_importer(app, "siming_importer", "350203");
        let csv = file([row(1, "350203001001"), row(2, "350206001001"), row(3, "350203003001")]);
        let res = start(app, &token, "?mode=partial", "text/csv", csv.as_bytes(), None).await.expect(202);
        let job = follow(app, &token, res.header("location").unwrap()).await;
        assert_job(&job, "completed_with_errors", 3, 2, 0, 0, 1);
        let id = &job["id"];
        let errors = app.request("GET", &format!("/api/v1/imports/{id}/errors"), Some(&token), &[], None).await.expect(200);
        assert_eq!(row_errors(&json!({"errors": errors.body["items"]})), vec![err(3, "community_code", "community_not_found")]);
        assert_eq!(app.count("retirees"), 2);
        // The rejected rows as CSV: the values as sent plus the reasons; a city user may see the job, not the rows.
        let report =
            app.request("GET", &format!("/api/v1/imports/{id}/errors.csv"), Some(&token), &[], None).await.expect(200);
        assert!(report.header("content-type").unwrap().starts_with("text/csv"));
        let text = report.text.strip_prefix('\u{feff}').expect("BOM");
        let lines: Vec<&str> = text.split("\r\n").collect();
        // For people by default (issue 22): Chinese headers of the report columns, the field by its column name.
        assert_eq!(lines[0], format!("{HEADER},错误行号,错误字段,错误代码,错误说明"));
        let prefix = format!("{},3,社区代码,community_not_found,", row(2, "350206001001"));
        let message = lines[1].strip_prefix(&prefix).unwrap_or_else(|| panic!("{}", lines[1]));
        assert!(message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "a Chinese message: {message}");
        assert_eq!(lines.len(), 3);
        // For machines on request: the codes.
        let codes = app
            .request("GET", &format!("/api/v1/imports/{id}/errors.csv?labels=codes"), Some(&token), &[], None)
            .await
            .expect(200);
        let codes_text = codes.text.strip_prefix('\u{feff}').expect("BOM");
        let codes_lines: Vec<&str> = codes_text.split("\r\n").collect();
        assert_eq!(codes_lines[0], format!("{HEADER},error_line,error_fields,error_codes,error_messages"));
        assert!(codes_lines[1].starts_with(&format!("{},3,community_code,community_not_found,", row(2, "350206001001"))), "{}", codes_lines[1]);
        // English readers get the codes and English messages; labels=zh still gives the Chinese headers.
        let en = [("Accept-Language", "en")];
        let english =
            app.request("GET", &format!("/api/v1/imports/{id}/errors.csv"), Some(&token), &en, None).await.expect(200);
        assert!(english.text.starts_with(&format!("\u{feff}{HEADER},error_line,error_fields,")), "{}", english.text);
        assert!(!english.text.contains(message), "{}", english.text);
        let zh_en =
            app.request("GET", &format!("/api/v1/imports/{id}/errors.csv?labels=zh"), Some(&token), &en, None).await.expect(200);
        assert!(zh_en.text.contains(",错误行号,错误字段,错误代码,错误说明\r\n"), "{}", zh_en.text);
        let bad = app
            .request("GET", &format!("/api/v1/imports/{id}/errors.csv?labels=pinyin"), Some(&token), &[], None)
            .await
            .problem(422, "invalid_enum");
        assert_eq!(bad.first_field(), "labels");
        // Each download is audited with the labels it used.
        assert_eq!(app.audit_count("retiree.import.rejected_rows.read"), 4);
        app.get(&format!("/api/v1/imports/{id}"), "city").await.expect(200);
        app.get(&format!("/api/v1/imports/{id}/errors.csv"), "city").await.problem(403, "forbidden");
        // Another district's centre does not see the job at all.
        app.get(&format!("/api/v1/imports/{id}"), "huli").await.problem(404, "not_found");
        app.get(&format!("/api/v1/imports/{id}/errors"), "huli").await.problem(404, "not_found");
        // The city importer fixes nothing but sends the report back: the error_* columns are ignored.
        let job = import(app, "importer", "", "text/csv", report.bytes.as_slice()).await;
        assert_job(&job, "succeeded", 1, 1, 0, 0, 0);
        assert_eq!(app.count("retirees"), 3);
        let list = app.get("/api/v1/imports", "importer").await.expect(200);
        assert_eq!(list.body["items"][0]["id"], job["id"]);
        let mine = app.request("GET", "/api/v1/imports", Some(&token), &[], None).await.expect(200);
        assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
    }

    async fn refusals_change_nothing(app: &TestApp) {
        let token = app.token("importer");
        let csv = file([row(1, "350203001001")]);
        start(app, &token, "", "application/json", csv.as_bytes(), None).await.problem(415, "unsupported_media_type");
        start(app, &token, "?mode=all", "text/csv", csv.as_bytes(), None).await.problem(422, "invalid_enum");
        let res = start(app, &token, "?on_conflict=merge", "text/csv", csv.as_bytes(), None).await.problem(422, "invalid_enum");
        assert_eq!(res.first_field(), "on_conflict");
        start(app, &token, "", "text/csv", b"", None).await.problem(422, "empty_file");
        for login in ["admin", "hongshan", "leader", "auditor", "finance"] {
            let t = app.token(login);
            start(app, &t, "", "text/csv", csv.as_bytes(), None).await.problem(403, "forbidden");
            app.get("/api/v1/imports", login).await.problem(403, "forbidden");
        }
        assert_eq!(app.count("import_jobs"), 0);
        // An unusable header refuses the file whole, naming the column.
        let job = import(app, "importer", "", "text/csv", "姓名,身份证号,comunity_code\r\n张三,1,2\r\n".as_bytes()).await;
        assert_eq!(job["status"], "rejected");
        let errors = job_errors(app, "importer", &job["id"]).await;
        assert!(errors.contains(&err(1, "header", "unknown_column")), "{errors:?}");
        assert!(errors.contains(&err(1, "header", "missing_column")), "{errors:?}");
        // Garbage, a broken XLSX and a row of wrong width.
        let job = import(app, "importer", "", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04 not a zip").await;
        assert_eq!((job["status"].as_str(), job["error"]["code"].as_str()), (Some("rejected"), Some("unreadable_file")));
        let job = import(app, "importer", "?mode=partial", "text/csv", format!("{HEADER}\r\na,b\r\n{}\r\n1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\r\n", row(5, "350203001001")).as_bytes()).await;
        assert_job(&job, "completed_with_errors", 3, 1, 0, 0, 2);
        assert_eq!(job_errors(app, "importer", &job["id"]).await, vec![err(2, "row", "column_count"), err(4, "row", "column_count")]);
        // Its report keeps both rows: the short one padded, the long one whole (a CSV wider in some rows).
        let report = app.get(&format!("/api/v1/imports/{}/errors.csv", job["id"]), "importer").await.expect(200);
        assert!(report.text.contains("\r\na,b,,,,,,,,,,,,,2,row,column_count,"), "{}", report.text);
        assert!(report.text.contains("\r\n1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,4,row,column_count,"), "{}", report.text);
        // Every rule of a single create, named by column.
        let id = id_number("350203", "19550101", 1);
        let bad = format!(
            "{HEADER}\r\n张三,{id},female,1956-01-01,2070-01-01,retired,city_managed,350203001001,123,,abc,maybe,flying:2024-01-01,\r\n"
        );
        let job = import(app, "importer", "", "text/csv", bad.as_bytes()).await;
        let codes: Vec<(String, String)> =
            job_errors(app, "importer", &job["id"]).await.into_iter().map(|(_, f, c)| (f, c)).collect();
        for expected in [("category", "invalid_enum"), ("party_member", "invalid_boolean"), ("special_groups", "invalid_enum")] {
            assert!(codes.contains(&(expected.0.to_owned(), expected.1.to_owned())), "{codes:?}");
        }
        let fixed = bad.replace("retired", "enterprise_employee").replace("maybe", "false").replace("flying:2024-01-01", "");
        let job = import(app, "importer", "", "text/csv", fixed.as_bytes()).await;
        let codes: Vec<String> = job_errors(app, "importer", &job["id"]).await.into_iter().map(|(_, _, c)| c).collect();
        for expected in ["sex_mismatch", "birth_date_mismatch", "retirement_too_far_ahead", "phone_format"] {
            assert!(codes.iter().any(|c| c == expected), "{codes:?}");
        }
        assert!(codes.iter().any(|c| c.starts_with("money")), "{codes:?}");
        assert_eq!(app.count("retirees"), 1, "only the good row of the partial import");
    }

    async fn orphaned_job_reads_failed(app: &TestApp) {
        // A job whose process stopped (no owner in this process, no owner lock on PostgreSQL).
        let job = persistence::import_jobs::create(
            &mut app.conn(),
            &persistence::import_jobs::NewImportJob {
                kind: "retirees".into(),
                status: "running".into(),
                mode: "atomic".into(),
                on_conflict: "error".into(),
                format: "csv".into(),
                actor: "importer".into(),
                actor_role: "importer".into(),
                scope_path: "/3502/".into(),
                file_sha256: "0".repeat(64),
                bytes_total: 10,
            },
        )
        .unwrap();
        let res = app.get(&format!("/api/v1/imports/{}", job.id), "importer").await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["error"]["code"].as_str()), (Some("failed"), Some("interrupted")));
        assert_eq!(res.body["created"], 0);
    }

    async fn dependants_import(app: &TestApp) {
        let job = import(app, "importer", "", "text/csv", file([row(1, "350203001001"), row(2, "350206001001")]).as_bytes()).await;
        assert_job(&job, "succeeded", 2, 2, 0, 0, 0);
        let siming = row(1, "350203001001").split(',').nth(1).unwrap().to_owned();
        let huli = row(2, "350206001001").split(',').nth(1).unwrap().to_owned();
        let spouse = id_number("350203", "19520202", 4);
        let child = id_number("350206", "19800505", 6);
        let deps = format!(
            "退休人员公民身份号码,关系,公民身份号码,姓名,是否供养\r\n{siming},配偶,{spouse},李四,是\r\n{huli},child,{child},黄五,false\r\n{siming},spouse,{siming},本人,true\r\n"
        );
        // A district importer: the other district's retiree is not found; the retiree's own ID is refused.
        let token = district_importer(app, "siming_importer", "350203");
        let res = app
            .request("POST", "/api/v1/imports/dependents?mode=partial", Some(&token), &[("Content-Type", "text/csv")], Some(deps.clone().into_bytes()))
            .await
            .expect(202);
        let job = follow(app, &token, res.header("location").unwrap()).await;
        assert_eq!(job["kind"], "dependents");
        assert_job(&job, "completed_with_errors", 3, 1, 0, 0, 2);
        let errors = app.request("GET", &format!("/api/v1/imports/{}/errors", job["id"]), Some(&token), &[], None).await.expect(200);
        assert_eq!(
            row_errors(&json!({"errors": errors.body["items"]})),
            vec![err(3, "retiree_id_number", "retiree_not_found"), err(4, "id_number", "dependent_is_retiree")]
        );
        assert_eq!(app.count("dependents"), 1);
        assert_eq!(app.audit_count("dependent.import.create"), 1);
        // The city importer, atomic: the registered spouse is a conflict, so nothing is written.
        let job = import_to(app, "importer", "/api/v1/imports/dependents", "text/csv", deps.as_bytes()).await;
        assert_job(&job, "rejected", 3, 0, 0, 0, 2);
        let codes: Vec<String> = job_errors(app, "importer", &job["id"]).await.into_iter().map(|(_, _, c)| c).collect();
        assert_eq!(codes, ["dependent_id_number_taken", "dependent_is_retiree"]);
        assert_eq!(app.count("dependents"), 1);
        // Update mode with the bad row removed: the spouse is updated, the child created.
        let fixed = deps.lines().take(3).map(|l| format!("{l}\n")).collect::<String>().replace("是\r", "否\r");
        let job =
            import_to(app, "importer", "/api/v1/imports/dependents?on_conflict=update", "text/csv", fixed.as_bytes()).await;
        assert_job(&job, "succeeded", 2, 1, 1, 0, 0);
        assert_eq!(app.count("dependents"), 2);
    }
}
