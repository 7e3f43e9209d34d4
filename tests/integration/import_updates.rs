//! Update imports change only what the file carries (issue 29.1): a column the file lacks, or an empty cell,
//! keeps the stored value; the clear marker `#clear` empties an optional column; the job counts the stored values
//! it changed per column. Every optional column, absent and empty, through CSV, GB18030 CSV, NDJSON and XLSX.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const IMPORT: &str = "/api/v1/imports/retirees";
const COMMUNITY: &str = "350203001001";
/// The optional columns of a roster.
const OPTIONAL: [&str; 8] =
    ["sex", "birth_date", "phone", "address", "monthly_pension", "party_member", "special_groups", "notes"];
const REQUIRED: [&str; 6] = ["name", "id_number", "retirement_date", "category", "management_level", "community_code"];

#[derive(Clone, Copy, Debug)]
enum Format {
    Csv,
    Gb18030,
    Ndjson,
    Xlsx,
}

const FORMATS: [Format; 4] = [Format::Csv, Format::Gb18030, Format::Ndjson, Format::Xlsx];

/// The full row of person `n` as first registered.
fn person(n: u16) -> Vec<(&'static str, String)> {
    vec![
        ("name", format!("林{n}")),
        ("id_number", id_number("350203", "19550101", n * 2 + 1)),
        ("retirement_date", "2015-01-01".into()),
        ("category", "enterprise_employee".into()),
        ("management_level", "city_managed".into()),
        ("community_code", COMMUNITY.into()),
        ("sex", "male".into()),
        ("birth_date", "1955-01-01".into()),
        ("phone", format!("1381234{n:04}")),
        ("address", format!("厦门市思明区大学路{n}号")),
        ("monthly_pension", "3500.00".into()),
        ("party_member", "true".into()),
        ("special_groups", "living_alone:2024-01-01".into()),
        ("notes", format!("备注{n}")),
    ]
}

/// Writes `rows` (columns in the order of the first row) in `format`; returns content type and bytes.
fn encode(format: Format, rows: &[Vec<(&'static str, String)>]) -> (&'static str, Vec<u8>) {
    let columns: Vec<&str> = rows[0].iter().map(|(c, _)| *c).collect();
    match format {
        Format::Csv | Format::Gb18030 => {
            let mut text = columns.join(",") + "\r\n";
            for r in rows {
                text += &r.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(",");
                text += "\r\n";
            }
            match format {
                Format::Csv => ("text/csv", text.into_bytes()),
                _ => {
                    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
                    assert!(!unmappable);
                    ("text/csv", bytes.into_owned())
                }
            }
        }
        Format::Ndjson => {
            let mut text = String::new();
            for r in rows {
                let object: serde_json::Map<String, Value> =
                    r.iter().map(|(c, v)| ((*c).to_owned(), Value::String(v.clone()))).collect();
                text += &Value::Object(object).to_string();
                text += "\n";
            }
            ("application/x-ndjson", text.into_bytes())
        }
        Format::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            for (c, name) in columns.iter().enumerate() {
                sheet.write_string(0, c as u16, *name).unwrap();
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, (_, v)) in row.iter().enumerate() {
                    if !v.is_empty() {
                        sheet.write_string(r as u32 + 1, c as u16, v).unwrap();
                    }
                }
            }
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", book.save_to_buffer().unwrap())
        }
    }
}

/// Imports `rows` in `format` with `query`; waits for the job and returns it.
async fn import(app: &TestApp, query: &str, format: Format, rows: &[Vec<(&'static str, String)>]) -> Value {
    let (content_type, body) = encode(format, rows);
    let token = app.token("city");
    let res = app
        .request("POST", &format!("{IMPORT}{query}"), Some(&token), &[("Content-Type", content_type)], Some(body))
        .await
        .expect(202);
    let location = res.header("location").unwrap().to_owned();
    for _ in 0..2400 {
        let job = app.request("GET", &location, Some(&token), &[], None).await.expect(200).body;
        if !matches!(job["status"].as_str(), Some("queued" | "running")) {
            return job;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the job at {location} did not end");
}

/// What is stored of a person, as the roster columns say it.
fn stored(app: &TestApp, id_number: &str) -> Vec<(&'static str, String)> {
    let (r, _) = persistence::retirees::find_by_id_number(&mut app.conn(), id_number, "").unwrap().unwrap();
    let flags = persistence::retirees::flags(&mut app.conn(), r.id).unwrap();
    vec![
        ("name", r.name),
        ("id_number", r.id_number),
        ("retirement_date", r.retirement_date.to_string()),
        ("category", r.category.as_str().to_owned()),
        ("management_level", r.management_level.as_str().to_owned()),
        ("community_code", r.community_code),
        ("sex", r.sex.as_str().to_owned()),
        ("birth_date", r.birth_date.to_string()),
        ("phone", r.phone.unwrap_or_default()),
        ("address", r.address.unwrap_or_default()),
        ("monthly_pension", r.monthly_pension_fen.map(|f| domain::Money::from_fen(f).to_string()).unwrap_or_default()),
        ("party_member", r.party_member.to_string()),
        (
            "special_groups",
            flags.iter().map(|f| format!("{}:{}", f.group_code, f.from_date)).collect::<Vec<_>>().join(";"),
        ),
        ("notes", r.notes.unwrap_or_default()),
    ]
}

/// Registers people 0..count with every column filled; returns their rows.
async fn register(app: &TestApp, count: u16) -> Vec<Vec<(&'static str, String)>> {
    let rows: Vec<_> = (0..count).map(person).collect();
    let job = import(app, "", Format::Csv, &rows).await;
    assert_eq!((job["status"].as_str(), job["created"].as_i64()), (Some("succeeded"), Some(i64::from(count))), "{job}");
    for r in &rows {
        assert_eq!(&stored(app, &r[1].1), r);
    }
    rows
}

fn only(row: &[(&'static str, String)], columns: &[&str]) -> Vec<(&'static str, String)> {
    row.iter().filter(|(c, _)| columns.contains(c)).cloned().collect()
}

fn set(row: &[(&'static str, String)], column: &str, value: &str) -> Vec<(&'static str, String)> {
    row.iter().map(|(c, v)| (*c, if *c == column { value.to_owned() } else { v.clone() })).collect()
}

both_backends! {
    // issue 29.1: a correction file with only the required columns and the phone changes the phone and nothing
    // else (it used to clear address, pension, party membership and notes of every matched person).
    async fn an_update_with_some_columns_keeps_the_others(app: &TestApp) {
        let people = register(app, 3).await;
        for (k, format) in FORMATS.into_iter().enumerate() {
            let phone = |n: usize| format!("1390000{k}{n:03}");
            let file: Vec<_> = people
                .iter()
                .enumerate()
                .map(|(n, p)| {
                    let mut row = only(p, &REQUIRED);
                    row.push(("phone", phone(n)));
                    row
                })
                .collect();
            let job = import(app, "?on_conflict=update", format, &file).await;
            assert_eq!((job["status"].as_str(), job["updated"].as_i64()), (Some("succeeded"), Some(3)), "{format:?} {job}");
            assert_eq!(job["field_changes"], json!({"phone": 3}), "{format:?}");
            for (n, p) in people.iter().enumerate() {
                assert_eq!(stored(app, &p[1].1), set(p, "phone", &phone(n)), "{format:?}");
            }
        }
        // The job's audit entry carries the same counts.
        let detail: String = {
            use diesel::prelude::*;
            use persistence::schema::audit_log::dsl::*;
            audit_log.filter(action.eq("retiree.import")).order(id.desc()).select(detail.assume_not_null()).first(&mut app.conn()).unwrap()
        };
        let detail: Value = serde_json::from_str(&detail).unwrap();
        assert_eq!(detail["field_changes"], json!({"phone": 3}));
    }

    // issue 29.1: every optional column, absent from the file or present with an empty cell, keeps its stored
    // value, in every format; nothing is counted as changed.
    async fn absent_and_empty_cells_keep_every_column(app: &TestApp) {
        let people = register(app, OPTIONAL.len() as u16).await;
        for format in FORMATS {
            // Absent: only the required columns.
            let file: Vec<_> = people.iter().map(|p| only(p, &REQUIRED)).collect();
            let job = import(app, "?on_conflict=update", format, &file).await;
            assert_eq!((job["status"].as_str(), job["updated"].as_i64()), (Some("succeeded"), Some(8)), "{format:?} {job}");
            assert_eq!(job["field_changes"], json!({}), "{format:?}");
            // Empty: every column present; person k has the cell of optional column k empty.
            let file: Vec<_> = people.iter().zip(OPTIONAL).map(|(p, column)| set(p, column, "")).collect();
            let job = import(app, "?on_conflict=update", format, &file).await;
            assert_eq!((job["status"].as_str(), job["updated"].as_i64()), (Some("succeeded"), Some(8)), "{format:?} {job}");
            assert_eq!(job["field_changes"], json!({}), "{format:?}");
            for p in &people {
                assert_eq!(&stored(app, &p[1].1), p, "{format:?}");
            }
        }
    }

    // issue 29.1: a present value is written, a clear marker empties an optional column, and the counts say what
    // changed; a clear marker in a column that cannot be empty refuses the row and changes nothing.
    async fn present_values_are_written_and_markers_clear(app: &TestApp) {
        let people = register(app, 5).await;
        for format in FORMATS {
            let changed = [
                set(&people[0], "phone", "13700001111"),
                set(&set(&people[1], "address", "#clear"), "notes", "#清空"),
                set(&set(&people[2], "monthly_pension", "#clear"), "special_groups", "#clear"),
                set(&people[3], "party_member", "false"),
                people[4].clone(),
            ];
            let job = import(app, "?on_conflict=update", format, &changed).await;
            assert_eq!((job["status"].as_str(), job["updated"].as_i64()), (Some("succeeded"), Some(5)), "{format:?} {job}");
            let expected_counts = if matches!(format, Format::Csv) {
                json!({"phone": 1, "address": 1, "notes": 1, "monthly_pension": 1, "party_member": 1, "special_groups": 1})
            } else {
                // Later formats write what the first one wrote already.
                json!({})
            };
            assert_eq!(job["field_changes"], expected_counts, "{format:?}");
            let cleared = |row: &[(&'static str, String)]| {
                row.iter().map(|(c, v)| (*c, if v.starts_with('#') { String::new() } else { v.clone() })).collect::<Vec<_>>()
            };
            for row in &changed {
                assert_eq!(stored(app, &row[1].1), cleared(row), "{format:?}");
            }
        }
        let before = stored(app, &people[0][1].1);
        let job = import(app, "?on_conflict=update&mode=atomic", Format::Csv, &[set(&people[0], "party_member", "#clear")]).await;
        assert_eq!(job["status"], "rejected", "{job}");
        let errors = app.get(&format!("/api/v1/imports/{}/errors", job["id"]), "city").await.expect(200);
        assert_eq!(
            (&errors.body["items"][0]["field"], &errors.body["items"][0]["code"]),
            (&json!("party_member"), &json!("cannot_clear"))
        );
        assert_eq!(stored(app, &people[0][1].1), before);
    }
}

both_backends! {
    // issue 21.4: the CSV export writes formula-like cells with a leading `'`; importing that export back as an
    // update changes nothing (the import takes the apostrophe off again).
    async fn a_neutralised_export_re_imports_unchanged(app: &TestApp) {
        let mut body = retiree_body(COMMUNITY, 1);
        body["name"] = json!("=HYPERLINK(\"http://evil.example/\",\"点我\")");
        body["address"] = json!("@SUM(1+1)");
        body["notes"] = json!("-2+3");
        app.create_retiree("city", &body).await;
        let id_number = body["id_number"].as_str().unwrap().to_owned();
        let before = stored(app, &id_number);
        let export = app.get("/api/v1/exports/retirees", "platform").await.expect(200);
        let text = export.text.clone();
        assert!(text.contains("'=HYPERLINK") && text.contains("'@SUM") && text.contains("'-2+3"), "{text}");
        let token = app.token("city");
        let res = app
            .request(
                "POST",
                &format!("{IMPORT}?on_conflict=update"),
                Some(&token),
                &[("Content-Type", "text/csv")],
                Some(text.into_bytes()),
            )
            .await
            .expect(202);
        let location = res.header("location").unwrap().to_owned();
        let mut job = Value::Null;
        for _ in 0..2400 {
            job = app.request("GET", &location, Some(&token), &[], None).await.expect(200).body;
            if !matches!(job["status"].as_str(), Some("queued" | "running")) {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!((job["status"].as_str(), job["updated"].as_i64()), (Some("succeeded"), Some(1)), "{job}");
        assert_eq!(job["field_changes"], json!({}));
        assert_eq!(stored(app, &id_number), before);
    }
}
