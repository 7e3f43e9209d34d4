//! The register of community health service institutions as a file over HTTP (issue 25; GUIDE 第五部分第四章四
//! 2(1)): a city's list imported from CSV and XLSX (atomic and partial, per-row errors with lines, duplicates
//! refused or skipped, out-of-scope rows, header errors), exported with Chinese headers or codes and imported
//! back; wrong role, bad parameters. The test clock is 2026-12-06.

use diesel::prelude::*;
use persistence::schema::health_institutions as hi;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const PATH: &str = "/api/v1/imports/health-institutions";

async fn upload(app: &TestApp, path: &str, login: &str, content_type: &str, body: &[u8]) -> Resp {
    let token = app.token(login);
    app.request("POST", path, Some(&token), &[("Content-Type", content_type)], Some(body.to_vec())).await
}

fn names(app: &TestApp) -> Vec<String> {
    hi::table.order(hi::id).select(hi::name).load(&mut *app.conn()).unwrap()
}

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

const LIST: &str = "机构名称,所属辖区代码,地址,联系人,联系电话,合作协议编号,协议生效日期,协议截止日期\n\
鸿山社区卫生服务站,350203001001,思明区鸿山路10号,王医生,0592-2061235,SMWS-2026-01,2026-01-01,2027-12-31\n\
厦港街道社区卫生服务中心,,思明区沙坡尾1号,,,,,\n\
倒序协议服务站,350203001001,思明区某路1号,,,SMWS-X,2026-02-01,2026-01-31\n";

both_backends! {
    async fn health_institution_list_imports_atomic_then_partial_and_exports_back(app: &TestApp) {
        // Atomic (default): the agreement ending before it starts on line 4 refuses the file; nothing is written.
        let res = upload(app, PATH, "hongshan", "text/csv", LIST.as_bytes()).await.problem(422, "agreement_order");
        assert_eq!(row_errors(&res.body["errors"]), vec![(4, "agreement_until".into(), "agreement_order".into())]);
        assert_eq!(app.count("health_institutions"), 0);
        assert_eq!(app.audit_count("health.institution.import"), 0);
        // Partial: the good rows are registered (the second at the caller's node), the bad one reported.
        let res = upload(app, &format!("{PATH}?mode=partial"), "hongshan", "text/csv", LIST.as_bytes()).await.expect(200);
        assert_eq!((res.body["rows"].as_i64(), res.body["created"].as_i64(), res.body["rejected"].as_i64()), (Some(3), Some(2), Some(1)));
        assert_eq!(row_errors(&res.body["errors"]), vec![(4, "agreement_until".into(), "agreement_order".into())]);
        assert_eq!(names(app), vec!["鸿山社区卫生服务站", "厦港街道社区卫生服务中心"]);
        let stored: Vec<(String, Option<String>, Option<time::Date>)> = hi::table.order(hi::id)
            .select((hi::jurisdiction_code, hi::agreement_no, hi::agreement_until)).load(&mut *app.conn()).unwrap();
        assert_eq!(stored[0], ("350203001001".into(), Some("SMWS-2026-01".into()), Some(time::macros::date!(2027-12-31))));
        assert_eq!(stored[1], ("350203001001".into(), None, None));
        assert_eq!(app.audit_count("health.institution.import"), 1);
        assert_eq!(app.audit_count("health.institution.create"), 2);

        // The export in codes (CSV) and in Chinese (XLSX).
        let res = app.get("/api/v1/exports/health-institutions?labels=codes", "xiagang").await.expect(200);
        assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
        assert_eq!(res.header("content-disposition"), Some("attachment; filename=\"health-institutions-20261206.csv\""));
        let lines: Vec<&str> = res.text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "id,name,jurisdiction,address,contact_name,contact_phone,agreement_no,agreement_from,agreement_until,agreement_active");
        assert_eq!(lines.len(), 3);
        assert!(lines[1].ends_with(",鸿山社区卫生服务站,350203001001,思明区鸿山路10号,王医生,0592-2061235,SMWS-2026-01,2026-01-01,2027-12-31,true"), "{}", lines[1]);
        assert!(lines[2].ends_with(",厦港街道社区卫生服务中心,350203001001,思明区沙坡尾1号,,,,,,false"), "{}", lines[2]);
        let zh = app.get("/api/v1/exports/health-institutions?labels=zh", "xiagang").await.expect(200);
        assert!(zh.text.trim_start_matches('\u{feff}').starts_with("编号,机构名称,所属辖区代码,地址,联系人,联系电话,合作协议编号,协议生效日期,协议截止日期,协议有效\r\n"), "{}", zh.text);
        let xlsx = app.get("/api/v1/exports/health-institutions?format=xlsx", "xiagang").await.expect(200);
        assert_eq!(xlsx.header("content-type"), Some(XLSX));

        // The exported files import back: every row names a registered institution, refused by default and
        // skipped with on_conflict=skip.
        let res = upload(app, PATH, "hongshan", XLSX, &xlsx.bytes).await.problem(422, "validation_failed");
        assert_eq!(row_errors(&res.body["errors"]).iter().map(|e| e.2.as_str()).collect::<Vec<_>>(), vec!["conflict", "conflict"]);
        let res = upload(app, &format!("{PATH}?on_conflict=skip"), "hongshan", XLSX, &xlsx.bytes).await.expect(200);
        assert_eq!((res.body["created"].as_i64(), res.body["skipped"].as_i64()), (Some(0), Some(2)));
        let res = upload(app, &format!("{PATH}?on_conflict=skip"), "hongshan", "text/csv", zh.text.as_bytes()).await.expect(200);
        assert_eq!((res.body["created"].as_i64(), res.body["skipped"].as_i64()), (Some(0), Some(2)));
        assert_eq!(app.count("health_institutions"), 2);
        // Out of scope: another district's export holds none of them.
        let other = app.get("/api/v1/exports/health-institutions?labels=codes", "huli").await.expect(200);
        assert_eq!(other.text.trim_start_matches('\u{feff}').lines().count(), 1);
    }

    async fn health_institution_import_refusals_scope_and_roles(app: &TestApp) {
        // Header errors refuse the file at line 1, naming each column.
        let res = upload(app, PATH, "hongshan", "text/csv", "机构名称,颜色\n某站,红\n".as_bytes()).await.problem(422, "validation_failed");
        let got = row_errors(&res.body["errors"]);
        assert_eq!(got, vec![(1, "颜色".into(), "unknown_column".into()), (1, "address".into(), "missing_column".into())]);
        // Bad cells: an empty name, an agreement number without its first day, a bad date, another district's node.
        let csv = "name,jurisdiction,address,agreement_no,agreement_from\n\
            ,350203001001,地址1,,\n\
            乙站,350203001001,地址2,A-1,\n\
            丙站,350203001001,地址3,A-2,2026-13-01\n\
            丁站,350206001001,地址4,,\n";
        let res = upload(app, &format!("{PATH}?mode=partial"), "hongshan", "text/csv", csv.as_bytes()).await.expect(200);
        assert_eq!((res.body["created"].as_i64(), res.body["rejected"].as_i64()), (Some(0), Some(4)));
        let got = row_errors(&res.body["errors"]);
        assert_eq!(got.iter().map(|(l, f, _)| (*l, f.as_str())).collect::<Vec<_>>(),
            vec![(2, "name"), (3, "agreement_from"), (4, "agreement_from"), (5, "jurisdiction")]);
        assert_eq!(got[3].2, "jurisdiction_not_found");
        assert_eq!(app.count("health_institutions"), 0);
        // Parameters and roles: the group leader, the auditor and the city centre (no health.write) may not import.
        upload(app, &format!("{PATH}?on_conflict=maybe"), "hongshan", "text/csv", LIST.as_bytes()).await.problem(422, "invalid_enum");
        upload(app, &format!("{PATH}?mode=some"), "hongshan", "text/csv", LIST.as_bytes()).await.problem(422, "invalid_enum");
        upload(app, PATH, "hongshan", "application/pdf", LIST.as_bytes()).await.problem(415, "unsupported_media_type");
        for login in ["leader", "auditor", "city"] {
            upload(app, PATH, login, "text/csv", LIST.as_bytes()).await.problem(403, "forbidden");
        }
        app.get("/api/v1/exports/health-institutions", "admin").await.problem(403, "forbidden");
        let res = app.get("/api/v1/exports/health-institutions?format=pdf", "siming").await.problem(422, "invalid_enum");
        assert_eq!(res.fields()[0].0, "format");
        assert_eq!(app.count("health_institutions"), 0);
    }
}
