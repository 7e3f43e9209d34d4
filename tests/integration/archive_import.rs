//! The import of an existing archive register over HTTP (issue 23; XM Art. 16; CS Art. 12(2); JN Art. 8(7), 20):
//! Chinese headers, the person by resident ID in the caller's subtree, per-row errors, atomic and partial modes,
//! `on_conflict=error|skip`, places within the person's own district, and an exported register importing back.

use diesel::prelude::*;
use persistence::schema::archives as ar;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn upload(app: &TestApp, token: &str, query: &str, content_type: &str, bytes: Vec<u8>) -> Resp {
    app.request(
        "POST",
        &format!("/api/v1/imports/archives?{query}"),
        Some(token),
        &[("Content-Type", content_type)],
        Some(bytes),
    )
    .await
}

async fn repository(app: &TestApp, code: &str, node: &str, area: i64) -> i64 {
    let body =
        json!({"code": code, "name": format!("{code} 库房"), "jurisdiction": node, "area_m2": area, "keepers": 1});
    app.post("/api/v1/archive-repositories", "archivist", &body).await.expect(201).body["id"].as_i64().unwrap()
}

/// An archivist of the Huli district (an account the fixture lacks).
fn huli_archivist(app: &TestApp) -> String {
    persistence::accounts::create(
        &mut app.conn(),
        &persistence::accounts::NewAccount {
            kind: "user".into(),
            login: "huli_archivist".into(),
            secret_hash: "unused".into(),
            display_name: "huli_archivist".into(),
            role: "archivist".into(),
            jurisdiction_code: "350206".into(),
        },
    )
    .unwrap();
    sign(&claims("huli_archivist", "user", "archivist", "350206", 3600), SECRET)
}

fn id_of(seq: u16) -> String {
    id_number("350203", "19550101", seq * 2 + 1)
}

const HEADER: &str =
    "姓名,公民身份号码,社区,卷数,件数,状态,库房,房间,架,盒,接收日期,整理日期,编目日期,装订日期,数字化日期\n";

fn line(name: &str, id: &str, volumes: &str, repo: &str, digitised: &str) -> String {
    let place = if repo.is_empty() { ",,,".to_owned() } else { format!("{repo},2,A-03,0117") };
    format!(
        "{name},{id},350203001001,{volumes},40,在库,{place},2026-12-01,2026-11-02,2026-11-02,2026-11-03,{digitised}\n"
    )
}

both_backends! {
    async fn archive_register_import_rows_modes_conflicts_and_scope(app: &TestApp) {
        let mut people = Vec::new();
        for seq in 1..=4u16 {
            people.push(app.create_retiree("city", &retiree_body("350203001001", seq)).await["id"].as_i64().unwrap());
        }
        let sm = repository(app, "SM-01", "350203", 60).await;
        repository(app, "HL-01", "350206", 60).await;
        let archivist = app.token("archivist");
        let csv = |lines: &[String]| format!("{HEADER}{}", lines.concat()).into_bytes();
        let rows = vec![
            line("张三", &id_of(1), "2", "SM-01", "2026-11-10"),
            line("张三", &id_of(2), "0", "", "2026-11-10"),
            line("张三", &id_of(3), "1", "", ""),
            line("张三", &id_number("350203", "19550101", 999), "1", "", "2026-11-10"),
            line("张三", &id_of(4), "1", "HL-01", "2026-11-10"),
            line("李四", &id_of(4), "1", "", "2026-11-10"),
        ];

        // Wrong role: the district centre does not receive archives.
        upload(app, &app.token("siming"), "", "text/csv", csv(&rows)).await.problem(403, "forbidden");
        upload(app, &archivist, "on_conflict=maybe", "text/csv", csv(&rows)).await.problem(422, "invalid_enum");
        // A header that is not the register's refuses the file at line 1.
        let res = upload(app, &archivist, "", "text/csv", "姓名,颜色\n张三,红\n".as_bytes().to_vec()).await.expect(422);
        let codes: Vec<String> = row_errors(&res.body).into_iter().map(|(_, _, c)| c).collect();
        assert_eq!(codes, vec!["unknown_column", "missing_column", "missing_column"]);

        // Atomic (default): every bad row with its line and column, nothing written.
        let res = upload(app, &archivist, "", "text/csv", csv(&rows)).await.expect(422);
        assert_eq!(row_errors(&res.body), vec![
            err(3, "volumes", "archive_no_volumes"),
            err(4, "digitised", "archive_unprepared"),
            err(5, "id_number", "retiree_not_found"),
            err(6, "repository", "location_out_of_jurisdiction"),
            err(7, "name", "invalid_value"),
        ]);
        assert_eq!((app.count("archives"), app.audit_count("archive.receive"), app.audit_count("archive.import")), (0, 0, 0));

        // Partial: the good row stays (received, placed, audited, on the feed), the others are reported.
        let res = upload(app, &archivist, "mode=partial", "text/csv", csv(&rows)).await.expect(200);
        let b = &res.body;
        assert_eq!((b["rows"].as_u64(), b["created"].as_u64(), b["skipped"].as_u64(), b["rejected"].as_u64()), (Some(6), Some(1), Some(0), Some(5)));
        let stored: (Option<i64>, i32, Option<String>, String, Option<time::Date>) = ar::table
            .filter(ar::retiree_id.eq(people[0]))
            .select((ar::repository_id, ar::volumes, ar::box_, ar::delivered_by, ar::digitised_on))
            .first(&mut *app.conn())
            .unwrap();
        assert_eq!(stored, (Some(sm), 2, Some("0117".into()), "档案登记册导入".into(), Some(time::macros::date!(2026 - 11 - 10))));
        assert_eq!((app.count("archives"), app.audit_count("archive.receive"), app.audit_count("archive.place")), (1, 1, 1));
        assert_eq!(app.audit_count("archive.import"), 1);
        let ev = app.get("/api/v1/events?after=0&limit=500&types=archive.received", "platform").await.expect(200);
        assert_eq!(ev.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(ev.body["items"][0]["payload"]["retiree"]["id"], people[0]);

        // Conflict: the same row again is refused (archive_exists) or skipped; accept_unprepared receives row 4.
        let again = csv(&[rows[0].clone(), rows[2].clone()]);
        let res = upload(app, &archivist, "", "text/csv", again.clone()).await.expect(422);
        assert_eq!(row_errors(&res.body), vec![err(2, "row", "archive_exists"), err(3, "digitised", "archive_unprepared")]);
        let res = upload(app, &archivist, "on_conflict=skip&accept_unprepared=true", "text/csv", again).await.expect(200);
        assert_eq!((res.body["created"].as_u64(), res.body["skipped"].as_u64(), res.body["rejected"].as_u64()), (Some(1), Some(1), Some(0)));
        let unprepared = app.get(&format!("/api/v1/archives?retiree_id={}", people[2]), "archivist").await.expect(200);
        assert_eq!(unprepared.body["items"][0]["unprepared"], json!(["digitised"]));

        // Out of scope: Huli's archivist does not find Siming's people (a row error, nothing written).
        let huli = huli_archivist(app);
        let res = upload(app, &huli, "mode=partial", "text/csv", csv(&[rows[3].replace(&id_number("350203", "19550101", 999), &id_of(4))])).await.expect(200);
        assert_eq!(row_errors(&res.body), vec![err(2, "id_number", "retiree_not_found")]);
        assert_eq!(app.count("archives"), 2);

        // The exported register imports back (by 人员编号): CSV and XLSX, skipped as on record.
        let exported = app.get("/api/v1/exports/archives?labels=zh", "archivist").await.expect(200);
        assert!(exported.text.contains("人员编号"), "{}", exported.text);
        let res = upload(app, &archivist, "on_conflict=skip", "text/csv", exported.bytes.clone()).await.expect(200);
        assert_eq!((res.body["rows"].as_u64(), res.body["skipped"].as_u64()), (Some(2), Some(2)), "{}", res.body);
        let x = app.get("/api/v1/exports/archives?format=xlsx", "archivist").await.expect(200);
        let res = upload(app, &archivist, "on_conflict=skip", XLSX, x.bytes).await.expect(200);
        assert_eq!(res.body["skipped"], 2, "{}", res.body);
        // A row naming the person by 人员编号 only, with codes as headers.
        let by_id = format!("volumes,pieces,retiree_id,sorted,catalogued,bound,digitised\n3,12,{},2026-11-02,2026-11-02,2026-11-03,2026-11-10\n", people[3]);
        let res = upload(app, &archivist, "", "text/csv", by_id.into_bytes()).await.expect(200);
        assert_eq!(res.body["created"], 1, "{}", res.body);
        assert_eq!(app.count("archives"), 3);
        assert_eq!(app.audit_count("archive.import"), 6);
    }
}
