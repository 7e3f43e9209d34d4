//! The elderly-care registers as files over HTTP (issue 26): institution and caregiver registers imported from
//! CSV and XLSX (atomic and partial, per-row errors with lines, duplicates refused or skipped, out-of-scope rows,
//! header errors), the lists exported with Chinese headers or codes and imported back, the request list and the
//! monthly summary as files; wrong role, bad parameters. The test clock is 2026-12-06.

use diesel::prelude::*;
use persistence::schema::{care_institutions as ci, caregivers as cg};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn upload(app: &TestApp, path: &str, login: &str, content_type: &str, body: &[u8]) -> Resp {
    let token = app.token(login);
    app.request("POST", path, Some(&token), &[("Content-Type", content_type)], Some(body.to_vec())).await
}

/// The rows of the first sheet of a workbook, every cell as text.
fn sheet(bytes: &[u8], index: usize) -> (String, Vec<Vec<String>>) {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let name = book.sheet_names()[index].clone();
    let range = book.worksheet_range_at(index).unwrap().unwrap();
    let epoch = time::Date::from_calendar_date(1899, time::Month::December, 30).unwrap();
    let rows = range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    Data::DateTime(d) => (epoch + time::Duration::days(d.as_f64() as i64)).to_string(),
                    Data::Float(f) => f.to_string(),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .collect();
    (name, rows)
}

fn names(app: &TestApp) -> Vec<String> {
    ci::table.order(ci::id).select(ci::name).load(&mut *app.conn()).unwrap()
}

/// `(line, field, code)` of each row error of a 422 or a report.
fn row_errors(errors: &Value) -> Vec<(i64, String, String)> {
    errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_i64().unwrap_or(0),
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const INSTITUTIONS: &str = "机构名称,机构类型,所属辖区代码,地址,许可证号,许可证有效期至,床位总数,已用床位,服务项目及价格,联系人,联系电话,信息采集方式,最近核实日期\n\
鸿山社区养老院,社区养老院,350203001001,思明区鸿山路8号,闽民养2026001,2028-06-30,60,42,助餐:15.00;全护理:3200,陈院长,0592-2061234,走访,2026-12-01\n\
鸿山居家服务中心,home_care_provider,350203001001,思明区鸿山路10号,,,0,0,meal_help:12.5；bathing：30,,,phone,\n\
过期养老院,社区养老院,350203001001,思明区某路1号,闽民养2020001,2025-01-01,10,0,助餐:15.00,,,走访,2026-12-01\n";

both_backends! {
    async fn institution_register_imports_atomic_then_partial_and_exports_back(app: &TestApp) {
        let path = "/api/v1/imports/care-institutions";
        // Atomic (default): the expired licence on line 4 refuses the whole file; nothing is written.
        let res = upload(app, path, "hongshan", "text/csv", INSTITUTIONS.as_bytes()).await.problem(422, "licence_expired");
        assert_eq!(row_errors(&res.body["errors"]), vec![(4, "licence_expires_on".into(), "licence_expired".into())]);
        assert_eq!(app.count("care_institutions"), 0);
        assert_eq!(app.audit_count("care.institution.import"), 0);
        // Partial: the good rows are registered, the bad one reported with its line.
        let res = upload(app, &format!("{path}?mode=partial"), "hongshan", "text/csv", INSTITUTIONS.as_bytes()).await.expect(200);
        assert_eq!((res.body["rows"].as_i64(), res.body["created"].as_i64(), res.body["rejected"].as_i64()), (Some(3), Some(2), Some(1)));
        assert_eq!(row_errors(&res.body["errors"]), vec![(4, "licence_expires_on".into(), "licence_expired".into())]);
        assert_eq!(names(app), vec!["鸿山社区养老院", "鸿山居家服务中心"]);
        let services: String = ci::table.filter(ci::name.eq("鸿山居家服务中心")).select(ci::services).first(&mut *app.conn()).unwrap();
        let services: Value = serde_json::from_str(&services).unwrap();
        assert_eq!(services, json!([{"item": "meal_help", "price": "12.50"}, {"item": "bathing", "price": "30.00"}]));
        assert_eq!(app.audit_count("care.institution.import"), 1);
        assert_eq!(app.audit_count("care.institution.create"), 2);

        // The export in codes (CSV) and in Chinese (XLSX).
        let res = app.get("/api/v1/exports/care-institutions?labels=codes", "siming").await.expect(200);
        assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
        assert_eq!(res.header("content-disposition"), Some("attachment; filename=\"care-institutions-20261206.csv\""));
        let lines: Vec<&str> = res.text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "id,name,kind,jurisdiction,address,licence_no,licence_expires_on,licence_valid,beds_total,beds_occupied,beds_free,services,contact_name,contact_phone,verified_via,last_verified_on,current_until,stale");
        assert_eq!(lines.len(), 3);
        assert!(lines[1].ends_with(",community_care_home,350203001001,思明区鸿山路8号,闽民养2026001,2028-06-30,true,60,42,18,meal_help:15.00;full_care:3200.00,陈院长,0592-2061234,visit,2026-12-01,2027-05-30,false"), "{}", lines[1]);
        let xlsx = app.get("/api/v1/exports/care-institutions?format=xlsx", "siming").await.expect(200);
        assert_eq!(xlsx.header("content-type"), Some(XLSX));
        let (name, rows) = sheet(&xlsx.bytes, 0);
        assert_eq!(name, "养老机构");
        assert_eq!(rows[0][..4], ["编号", "机构名称", "机构类型", "所属辖区代码"].map(String::from));
        assert_eq!((rows[1][2].as_str(), rows[1][11].as_str()), ("社区养老院", "助餐:15.00;全护理:3200.00"));
        assert_eq!(rows.len(), 3);

        // The exported workbook imports back: every row names a registered institution, refused by default and
        // skipped with on_conflict=skip.
        let res = upload(app, path, "hongshan", XLSX, &xlsx.bytes).await.problem(422, "validation_failed");
        assert_eq!(row_errors(&res.body["errors"]).iter().map(|e| e.2.as_str()).collect::<Vec<_>>(), vec!["conflict", "conflict"]);
        let res = upload(app, &format!("{path}?on_conflict=skip"), "hongshan", XLSX, &xlsx.bytes).await.expect(200);
        assert_eq!((res.body["created"].as_i64(), res.body["skipped"].as_i64()), (Some(0), Some(2)));
        assert_eq!(app.count("care_institutions"), 2);
        // The CSV in codes imports back too.
        let csv = app.get("/api/v1/exports/care-institutions?labels=codes", "siming").await.expect(200).text;
        let res = upload(app, &format!("{path}?on_conflict=skip"), "hongshan", "text/csv", csv.as_bytes()).await.expect(200);
        assert_eq!(res.body["skipped"], 2);
    }

    async fn institution_import_refusals_scope_and_roles(app: &TestApp) {
        let path = "/api/v1/imports/care-institutions";
        // Header errors refuse the file at line 1, naming each column.
        let res = upload(app, path, "hongshan", "text/csv", "机构名称,颜色,颜色\n某院,红,蓝\n".as_bytes()).await.problem(422, "validation_failed");
        let got = row_errors(&res.body["errors"]);
        assert!(got.contains(&(1, "颜色".into(), "unknown_column".into())), "{got:?}");
        assert!(got.contains(&(1, "kind".into(), "missing_column".into())), "{got:?}");
        assert!(got.contains(&(1, "services".into(), "missing_column".into())), "{got:?}");
        // Bad cells: a kind that is no kind, beds that are no number, a service without a price; another
        // district's node (out of scope) on its own line.
        let csv = "name,kind,jurisdiction,address,licence_no,beds_total,services,verified_via\n\
            甲院,宾馆,350203001001,地址1,,十,助餐,visit\n\
            乙院,nursing_home,350206001001,地址2,闽民养1,10,助餐:1,visit\n";
        let res = upload(app, &format!("{path}?mode=partial"), "hongshan", "text/csv", csv.as_bytes()).await.expect(200);
        assert_eq!(res.body["rejected"], 2);
        let got = row_errors(&res.body["errors"]);
        assert_eq!(got, vec![
            (2, "kind".into(), "invalid_enum".into()),
            (2, "beds_total".into(), "invalid_value".into()),
            (2, "services".into(), "invalid_value".into()),
            (3, "jurisdiction".into(), "jurisdiction_not_found".into()),
        ]);
        assert_eq!(app.count("care_institutions"), 0);
        // Parameters and roles.
        upload(app, &format!("{path}?on_conflict=maybe"), "hongshan", "text/csv", INSTITUTIONS.as_bytes()).await.problem(422, "invalid_enum");
        upload(app, &format!("{path}?mode=some"), "hongshan", "text/csv", INSTITUTIONS.as_bytes()).await.problem(422, "invalid_enum");
        upload(app, path, "hongshan", "application/pdf", INSTITUTIONS.as_bytes()).await.problem(415, "unsupported_media_type");
        upload(app, path, "leader", "text/csv", INSTITUTIONS.as_bytes()).await.problem(403, "forbidden");
        upload(app, path, "auditor", "text/csv", INSTITUTIONS.as_bytes()).await.problem(403, "forbidden");
        app.get("/api/v1/exports/care-institutions", "leader").await.problem(403, "forbidden");
        let res = app.get("/api/v1/exports/care-institutions?format=pdf&kind=hotel&stale=maybe", "siming").await.problem(422, "validation_failed");
        let mut fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        fields.sort();
        assert_eq!(fields, vec!["format", "kind", "stale"]);
        assert_eq!(app.count("care_institutions"), 0);
        // Out of scope: another district's export does not hold this district's institutions.
        upload(app, &format!("{path}?mode=partial"), "hongshan", "text/csv", INSTITUTIONS.as_bytes()).await.expect(200);
        let res = app.get("/api/v1/exports/care-institutions?labels=codes", "huli").await.expect(200);
        assert_eq!(res.text.trim_start_matches('\u{feff}').lines().count(), 1);
    }

    async fn caregiver_register_imports_and_exports_without_phones(app: &TestApp) {
        let path = "/api/v1/imports/caregivers";
        let csv = "姓名,联系电话,等级,证书编号,发证日期,服务项目,服务区域代码,登记辖区代码,语言,可接单\n\
            林秀英,13800000001,中级,YL-1,2024-05-20,助餐;助浴,350203001001,350203001,普通话;闽南语,是\n\
            王芳,13800000002,senior,YL-2,2024-06-01,full_care,,350203001,,否\n\
            陈明,13800000003,初级,YL-1,2024-06-01,助餐,,350203001,,是\n\
            李强,13800000004,大师,YL-4,2027-01-01,飞行,350206001001,350203001,,也许\n";
        let res = upload(app, &format!("{path}?mode=partial"), "xiagang", "text/csv", csv.as_bytes()).await.expect(200);
        assert_eq!((res.body["created"].as_i64(), res.body["rejected"].as_i64()), (Some(2), Some(2)));
        assert_eq!(row_errors(&res.body["errors"]), vec![
            (4, "row".into(), "conflict".into()),
            (5, "grade".into(), "invalid_enum".into()),
            (5, "available".into(), "invalid_value".into()),
            (5, "items".into(), "invalid_enum".into()),
        ]);
        let stored: Vec<(String, String, bool)> = cg::table.order(cg::id).select((cg::certificate_no, cg::grade, cg::available)).load(&mut *app.conn()).unwrap();
        assert_eq!(stored, vec![("YL-1".into(), "intermediate".into(), true), ("YL-2".into(), "senior".into(), false)]);
        // The phone was stored (read one, audited), but the export leaves it out as the list does.
        let list = app.get("/api/v1/care/caregivers", "xiagang").await.expect(200);
        let id = list.body["items"][0]["id"].as_i64().unwrap();
        assert_eq!(app.get(&format!("/api/v1/care/caregivers/{id}"), "xiagang").await.expect(200).body["phone"], "13800000001");
        let res = app.get("/api/v1/exports/caregivers?encoding=gb18030", "xiagang").await.expect(200);
        assert_eq!(res.header("content-type"), Some("text/csv; charset=gb18030"));
        let (text, _, bad) = encoding_rs::GB18030.decode(&res.bytes);
        assert!(!bad);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "id,name,grade,certificate_no,certificate_on,institution_id,jurisdiction,items,areas,languages,available,evaluations,average_score");
        assert_eq!(lines[1], format!("{id},林秀英,intermediate,YL-1,2024-05-20,,350203001,meal_help;bathing,350203001001,普通话;闽南语,true,0,"));
        assert!(!text.contains("13800000001"));
        assert_eq!(app.audit_count("care.caregiver.export"), 1);
        assert_eq!(app.audit_count("care.caregiver.import"), 1);
        // A community served sees the caregiver serving it; one not served sees none.
        let hongshan = app.get("/api/v1/exports/caregivers?labels=zh&grade=intermediate", "hongshan").await.expect(200);
        assert_eq!(hongshan.text.trim_start_matches('\u{feff}').lines().count(), 2);
        assert!(hongshan.text.contains("林秀英,中级,YL-1"));
        let other = app.get("/api/v1/exports/caregivers", "fengchaoshan").await.expect(200);
        assert_eq!(other.text.trim_start_matches('\u{feff}').lines().count(), 1);
        // The XLSX exported imports back, skipped as duplicates.
        let xlsx = app.get("/api/v1/exports/caregivers?format=xlsx", "xiagang").await.expect(200);
        let res = upload(app, &format!("{path}?on_conflict=skip"), "xiagang", XLSX, &xlsx.bytes).await.expect(200);
        assert_eq!((res.body["skipped"].as_i64(), res.body["created"].as_i64()), (Some(2), Some(0)));
        // Roles and parameters.
        upload(app, path, "leader", "text/csv", csv.as_bytes()).await.problem(403, "forbidden");
        app.get("/api/v1/exports/caregivers?grade=master", "xiagang").await.problem(422, "invalid_enum");
        app.get("/api/v1/exports/caregivers?format=xlsx&encoding=utf-8", "xiagang").await.problem(422, "encoding_csv_only");
        assert_eq!(app.count("caregivers"), 2);
    }

    async fn requests_and_the_monthly_summary_as_files(app: &TestApp) {
        let r = app.create_retiree("siming", &retiree_body("350203001001", 7)).await["id"].as_i64().unwrap();
        let body = json!({"retiree_id": r, "items": ["bathing"], "frequency": "weekly", "place": "home", "cost_bearer": "self_paid"});
        let id = app.post("/api/v1/care/requests", "hongshan", &body).await.expect(201).body["id"].as_i64().unwrap();
        let res = app.get("/api/v1/exports/care-requests?labels=zh", "hongshan").await.expect(200);
        let lines: Vec<&str> = res.text.trim_start_matches('\u{feff}').lines().collect();
        assert!(lines[0].starts_with("编号,服务对象编号,所属辖区代码,服务项目,服务频次,服务地点"), "{}", lines[0]);
        assert_eq!(lines[1], format!("{id},{r},350203001001,助浴,每周,居家,,个人自费,已受理,2026-12-06,初级,,,,,,,,"));
        assert_eq!(app.audit_count("care.request.export"), 1);
        app.get("/api/v1/exports/care-requests?status=done", "hongshan").await.problem(422, "invalid_enum");
        app.get("/api/v1/exports/care-requests", "leader").await.problem(403, "forbidden");
        let other = app.get("/api/v1/exports/care-requests", "fengchaoshan").await.expect(200);
        assert_eq!(other.text.trim_start_matches('\u{feff}').lines().count(), 1);

        // The summary: three sheets with the month in the titles, a totals row on the first.
        let res = app.get("/api/v1/exports/care-summary?month=2026-12&format=xlsx", "siming").await.expect(200);
        assert_eq!(res.header("content-disposition"), Some("attachment; filename=\"care-summary-2026-12.xlsx\""));
        let (name, rows) = sheet(&res.bytes, 0);
        assert_eq!(name, "汇总");
        assert_eq!(rows[0][0], "养老护理服务月度汇总（按辖区） 2026-12");
        assert_eq!(rows[2][..4], ["辖区代码", "分组", "月份", "受理需求"].map(String::from));
        assert_eq!(rows[3][..4], ["350203001001", "合计", "2026-12", "1"].map(String::from));
        assert_eq!(rows[4][..5], ["合计", "合计", "2026-12", "1", "0"].map(String::from));
        let (name, rows) = sheet(&res.bytes, 1);
        assert_eq!((name.as_str(), rows[3][1].as_str()), ("按服务项目", "助浴"));
        assert_eq!(sheet(&res.bytes, 2).0, "按护理员等级");
        let csv = app.get("/api/v1/exports/care-summary?month=2026-12&labels=codes", "siming").await.expect(200);
        assert!(csv.text.contains("350203001001,total,2026-12,1,0,0.00,0,\r\ntotal,total,2026-12,1,0,0.00,0,\r\n"), "{}", csv.text);
        app.get("/api/v1/exports/care-summary?month=2027-01", "siming").await.problem(422, "month_in_future");
        let res = app.get("/api/v1/exports/care-summary?month=12/2026&labels=x", "siming").await.problem(422, "validation_failed");
        let mut fields: Vec<String> = res.fields().into_iter().map(|(f, _)| f).collect();
        fields.sort();
        assert_eq!(fields, vec!["labels", "month"]);
    }
}
