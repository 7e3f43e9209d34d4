//! Issue 22 "Clerks' files": exports for people (Chinese headers and labels, typed XLSX cells, frozen header
//! and autofilter, a sheet of filters) or codes for machines; an exported XLSX imports back as it is; an import
//! whose rows were all (or partly) rejected says so in its status and in `scripts/import.sh`'s exit code.

use std::collections::HashMap;
use std::io::Read;
use std::time::Duration;

use calamine::{Data, DataType, Reader, Xlsx};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const EXPORT: &str = "/api/v1/exports/retirees";
const IMPORT: &str = "/api/v1/imports/retirees";
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// GET an export as bytes: (status, content type, body).
async fn export(app: &TestApp, query: &str, login: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let token = app.token(login);
    let res = app.request("GET", &format!("{EXPORT}{query}"), Some(&token), headers, None).await;
    (res.status.as_u16(), res.header("content-type").unwrap_or_default().to_owned(), res.bytes)
}

/// A UTF-8 CSV export (BOM stripped) as rows of cells (no quoted commas in these fixtures).
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").expect("BOM")).unwrap();
    text.split("\r\n").filter(|l| !l.is_empty()).map(|l| l.split(',').map(str::to_owned).collect()).collect()
}

/// One entry of a zip archive, inflated (stored or deflated), found through the central directory.
fn zip_entry(zip: &[u8], name: &str) -> String {
    let u16_at = |i: usize| u16::from_le_bytes([zip[i], zip[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes([zip[i], zip[i + 1], zip[i + 2], zip[i + 3]]) as usize;
    let eocd = (0..zip.len() - 21).rev().find(|&i| zip[i..i + 4] == [0x50, 0x4b, 0x05, 0x06]).expect("EOCD");
    let (count, mut at) = (u16_at(eocd + 10), u32_at(eocd + 16));
    for _ in 0..count {
        let (method, size, name_len) = (u16_at(at + 10), u32_at(at + 20), u16_at(at + 28));
        let (extra, comment, local) = (u16_at(at + 30), u16_at(at + 32), u32_at(at + 42));
        if &zip[at + 46..at + 46 + name_len] == name.as_bytes() {
            let start = local + 30 + u16_at(local + 26) + u16_at(local + 28);
            let data = &zip[start..start + size];
            let mut out = String::new();
            match method {
                0 => out = String::from_utf8(data.to_vec()).unwrap(),
                8 => {
                    flate2::read::DeflateDecoder::new(data).read_to_string(&mut out).unwrap();
                }
                m => panic!("zip method {m}"),
            }
            return out;
        }
        at += 46 + name_len + extra + comment;
    }
    panic!("no {name} in the archive");
}

fn open(bytes: &[u8]) -> Xlsx<std::io::Cursor<Vec<u8>>> {
    calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap()
}

/// Two people of 鸿山: 张甲 (party member, living alone, 3500.50 a month) and 李乙 (individually insured, 1200).
async fn two_people(app: &TestApp) -> Vec<Value> {
    let mut a = retiree_body("350203001001", 1);
    a["name"] = json!("张甲");
    a["sex"] = json!("male");
    a["party_member"] = json!(true);
    a["monthly_pension"] = json!("3500.50");
    a["special_groups"] = json!([{"group": "living_alone", "from": "2024-01-01"}]);
    let mut b = retiree_body("350203001001", 2);
    b["name"] = json!("李乙");
    b["category"] = json!("individually_insured");
    b["monthly_pension"] = json!("1200.00");
    let mut out = Vec::new();
    for body in [a, b] {
        app.create_retiree("city", &body).await;
        out.push(body);
    }
    out
}

/// Follows an import job to its end.
async fn import(app: &TestApp, query: &str, content_type: &str, body: Vec<u8>) -> Value {
    let token = app.token("importer");
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
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the job at {location} did not end");
}

/// Runs `scripts/import.sh FILE args…` against the app as the importer; returns its exit code and output.
async fn import_script(app: &TestApp, file: &std::path::Path, args: &[&str]) -> (i32, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/import.sh");
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(script).arg(file).args(args).args(["--interval", "0.1"]);
    cmd.env("BASE_URL", &app.base).env("TOKEN", app.token("importer"));
    let out = actix_web::rt::task::spawn_blocking(move || cmd.output().expect("run import.sh")).await.unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

both_backends! {
    async fn xlsx_for_people_has_chinese_labels_and_typed_cells(app: &TestApp) {
        let people = two_people(app).await;
        let (status, content_type, bytes) =
            export(app, "?format=xlsx&category=enterprise_employee&name_prefix=%E5%BC%A0", "platform", &[]).await;
        assert_eq!((status, content_type.as_str()), (200, XLSX_TYPE), "{}", String::from_utf8_lossy(&bytes));
        let mut book = open(&bytes);
        assert_eq!(book.sheet_names(), ["退休人员", "导出条件"]);
        let data = book.worksheet_range("退休人员").unwrap();
        let rows: Vec<&[Data]> = data.rows().collect();
        assert_eq!(rows.len(), 2, "the header and 张甲 (the filters keep one person)");
        let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
        assert_eq!(
            header,
            ["姓名", "公民身份号码", "性别", "出生日期", "退休日期", "人员类别", "管理层级", "社区代码", "联系电话",
             "住址", "月养老金", "是否党员", "特殊群体", "备注", "末次认证日期", "末次认证方式"]
        );
        let cell = |name: &str| &rows[1][header.iter().position(|h| h == name).unwrap()];
        assert_eq!(cell("姓名"), &Data::String("张甲".into()));
        assert_eq!(cell("公民身份号码"), &Data::String(people[0]["id_number"].as_str().unwrap().into()), "IDs stay text");
        assert_eq!(cell("性别"), &Data::String("男".into()));
        assert_eq!(cell("人员类别"), &Data::String("企业职工".into()));
        assert_eq!(cell("管理层级"), &Data::String("市本级管理".into()));
        assert_eq!(cell("是否党员"), &Data::String("是".into()));
        assert_eq!(cell("特殊群体"), &Data::String("独居:2024-01-01".into()));
        assert_eq!(cell("社区代码"), &Data::String("350203001001".into()));
        // Dates are dates, the pension a number.
        let Data::DateTime(retired) = cell("退休日期") else { panic!("退休日期 is {:?}", cell("退休日期")) };
        assert!(retired.is_datetime());
        assert_eq!(retired.as_f64(), 42005.0, "2015-01-01 as an Excel serial date");
        assert!(matches!(cell("出生日期"), Data::DateTime(_)), "{:?}", cell("出生日期"));
        assert_eq!(cell("月养老金"), &Data::Float(3500.5));

        // The number formats, the frozen header row and the autofilter, as written in the package.
        let styles = zip_entry(&bytes, "xl/styles.xml");
        assert!(styles.contains(r#"formatCode="yyyy-mm-dd""#), "{styles}");
        assert!(styles.contains(r##"formatCode="#,##0.00""##), "{styles}");
        let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#), "{sheet}");
        assert!(sheet.contains(r#"<autoFilter ref="A1:P2"/>"#), "{sheet}");
        assert!(sheet.contains(r#"<col min="2" max="2" width="22.7109375""#), "the ID column is wide: {sheet}");

        // The second sheet: when, how many, which filters.
        let filters = book.worksheet_range("导出条件").unwrap();
        let pairs: HashMap<String, Data> =
            filters.rows().filter(|r| r.len() > 1).map(|r| (r[0].to_string(), r[1].clone())).collect();
        assert_eq!(pairs["记录数"], Data::Float(1.0));
        assert_eq!(pairs["表头与取值"], Data::String("中文名称（zh）".into()));
        assert_eq!(pairs["人员类别（category）"], Data::String("企业职工（enterprise_employee）".into()));
        assert_eq!(pairs["姓名开头（name_prefix）"], Data::String("张".into()));
        let at = pairs["导出时间"].to_string();
        let at = time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).unwrap();
        assert_eq!(at.offset(), time::UtcOffset::from_hms(8, 0, 0).unwrap(), "China time");
        assert!((time::OffsetDateTime::now_utc() - at).abs() < time::Duration::minutes(5));

        // A pension column Excel sums: every pension is a number.
        let (_, _, all) = export(app, "?format=xlsx", "platform", &[]).await;
        let data = open(&all).worksheet_range_at(0).unwrap().unwrap();
        let column = 10;
        let sum: f64 = data.rows().skip(1).map(|r| r[column].get_float().expect("a number")).sum();
        assert_eq!(sum, 4700.5);
        // Codes on request, still typed.
        let (_, _, codes) = export(app, "?format=xlsx&labels=codes", "platform", &[]).await;
        let data = open(&codes).worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(data.get((0, 5)), Some(&Data::String("category".into())));
        assert_eq!(data.get((1, 5)), Some(&Data::String("enterprise_employee".into())));
        assert_eq!(data.get((1, 11)), Some(&Data::String("true".into())));
        assert!(matches!(data.get((1, 4)), Some(Data::DateTime(_))));
        // Every export is audited with its labels.
        assert_eq!(app.audit_count("retiree.export"), 3);
    }

    async fn csv_labels_by_parameter_or_language(app: &TestApp) {
        let mut formula = retiree_body("350203001001", 3);
        formula["name"] = json!("=1+2");
        app.create_retiree("city", &formula).await;
        let header_zh = "姓名";
        for (query, headers, zh) in [
            ("", vec![], false),
            ("?labels=zh", vec![], true),
            ("?labels=codes", vec![("Accept-Language", "zh-CN")], false),
            ("", vec![("Accept-Language", "zh-CN,zh;q=0.9")], true),
            ("", vec![("Accept-Language", "en")], false),
            ("", vec![("Accept-Language", "zh-CN;q=0.5, en-US;q=0.9")], false),
            ("", vec![("Accept-Language", "en;q=0.3, zh")], true),
        ] {
            let (status, content_type, bytes) = export(app, query, "platform", &headers).await;
            assert_eq!((status, content_type.as_str()), (200, "text/csv; charset=utf-8"), "{query} {headers:?}");
            let rows = csv_rows(&bytes);
            assert_eq!(rows[0][0] == header_zh, zh, "{query} {headers:?}: {:?}", rows[0]);
            assert_eq!(rows[1][5], if zh { "企业职工" } else { "enterprise_employee" }, "{query} {headers:?}");
            assert_eq!(rows[1][11], if zh { "否" } else { "false" });
            // Issue 21.4 still: a formula-like cell is written as text.
            assert_eq!(rows[1][0], "'=1+2", "{query} {headers:?}");
        }
        let res = app.get(&format!("{EXPORT}?labels=english"), "platform").await.problem(422, "invalid_enum");
        assert_eq!(res.first_field(), "labels");
    }

    async fn an_exported_workbook_imports_back_unchanged(app: &TestApp) {
        two_people(app).await;
        let (_, _, xlsx) = export(app, "?format=xlsx", "platform", &[]).await;
        let (_, _, before) = export(app, "?labels=codes", "platform", &[]).await;
        // Into an empty service: the same people, field for field.
        let other = TestApp::spawn(app.backend, &[]).await.unwrap();
        let job = import(&other, "", XLSX_TYPE, xlsx.clone()).await;
        assert_eq!(
            (job["status"].as_str(), job["created"].as_i64(), job["rejected"].as_i64()),
            (Some("succeeded"), Some(2), Some(0)),
            "{job}"
        );
        let (_, _, after) = export(&other, "?labels=codes", "platform", &[]).await;
        let strip = |rows: Vec<Vec<String>>| -> Vec<Vec<String>> {
            // The last certification differs: the import registers today's first validity, as any new person.
            rows.into_iter().map(|mut r| { r.truncate(14); r }).collect()
        };
        assert_eq!(strip(csv_rows(&after)), strip(csv_rows(&before)));
        other.finish().await;
        // Into the same service: every row is a known person (skipped), none rejected.
        let job = import(app, "?on_conflict=skip", XLSX_TYPE, xlsx).await;
        assert_eq!((job["status"].as_str(), job["skipped"].as_i64()), (Some("succeeded"), Some(2)), "{job}");
    }

    async fn rejected_rows_set_the_status_and_the_script_exit_code(app: &TestApp) {
        let header = "姓名,公民身份号码,退休日期,人员类别,管理层级,社区代码";
        let good = |seq: u16| {
            let b = retiree_body("350203001001", seq);
            format!("张{seq},{},2015-01-01,企业职工,市本级管理,350203001001", b["id_number"].as_str().unwrap())
        };
        let bad = |seq: u16| format!("王{seq},350203195501010010,2015-01-01,退休,city_managed,350203001001");
        let file = |rows: Vec<String>| format!("{header}\r\n{}\r\n", rows.join("\r\n")).into_bytes();
        let before = app.count("retirees");

        // Every row bad, partial mode: nothing written, `rejected`.
        let job = import(app, "?mode=partial", "text/csv", file(vec![bad(1), bad(2)])).await;
        assert_eq!(
            (job["status"].as_str(), job["created"].as_i64(), job["rejected"].as_i64(), job["error"]["code"].as_str()),
            (Some("rejected"), Some(0), Some(2), Some("rows_rejected")),
            "{job}"
        );
        assert_eq!(app.count("retirees"), before);
        // Some bad: the good rows written, `completed_with_errors`.
        let job = import(app, "?mode=partial", "text/csv", file(vec![good(10), bad(3)])).await;
        assert_eq!(
            (job["status"].as_str(), job["created"].as_i64(), job["rejected"].as_i64(), job["error"].is_null()),
            (Some("completed_with_errors"), Some(1), Some(1), true),
            "{job}"
        );
        assert_eq!(app.count("retirees"), before + 1);

        // The script's exit code follows the status: 0 succeeded, 3 completed_with_errors, 1 rejected.
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: Vec<u8>| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let (code, out) = import_script(app, &write("ok.csv", file(vec![good(11)])), &[]).await;
        assert_eq!(code, 0, "{out}");
        let (code, out) =
            import_script(app, &write("some.csv", file(vec![good(12), bad(4)])), &["--mode", "partial"]).await;
        assert_eq!(code, 3, "{out}");
        assert!(out.contains("completed_with_errors"), "{out}");
        assert!(dir.path().join("some.csv.errors.csv").exists(), "the rejected rows are downloaded: {out}");
        let (code, out) =
            import_script(app, &write("all.csv", file(vec![bad(5), bad(6)])), &["--mode", "partial"]).await;
        assert_eq!(code, 1, "{out}");
        let (code, out) = import_script(app, &write("atomic.csv", file(vec![good(13), bad(7)])), &[]).await;
        assert_eq!(code, 1, "{out}");
        assert_eq!(app.count("retirees"), before + 3);
    }
}
