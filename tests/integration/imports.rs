//! Division CSV imports over HTTP: the real Xiamen file, atomic and partial modes, encodings, scope, refusals
//! and idempotent replays.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

const IMPORT: &str = "/api/v1/imports/jurisdictions";

/// Posts a file to the import endpoint.
async fn import(app: &TestApp, login: &str, query: &str, content_type: &str, body: &[u8]) -> Resp {
    let token = app.token(login);
    app.request(
        "POST",
        &format!("{IMPORT}{query}"),
        Some(&token),
        &[("Content-Type", content_type)],
        Some(body.to_vec()),
    )
    .await
}

async fn import_csv(app: &TestApp, login: &str, query: &str, csv: &str) -> Resp {
    import(app, login, query, "text/csv", csv.as_bytes()).await
}

/// A node as stored: (name, level, parent, path).
fn stored(app: &TestApp, code: &str) -> Option<(String, String, Option<String>, String)> {
    use persistence::schema::jurisdictions::dsl;
    dsl::jurisdictions
        .find(code)
        .select((dsl::name, dsl::level, dsl::parent_code, dsl::path))
        .first(&mut *app.conn())
        .optional()
        .unwrap()
}

fn xiamen() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/resources/divisions/xiamen-3502.csv")).unwrap()
}

/// CRC-32 (IEEE), for a hand-made gzip member.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// A gzip file (RFC 1952) holding `data` in stored deflate blocks (RFC 1951 §3.2.4): no compressor needed.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let chunks: Vec<&[u8]> = if data.is_empty() { vec![&[][..]] } else { data.chunks(65_535).collect() };
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = u16::try_from(chunk.len()).unwrap();
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    out
}

/// Every stored node's path must be its parent's path plus its code (or `/code/` for a root).
fn assert_paths_consistent(app: &TestApp) {
    use persistence::schema::jurisdictions::dsl;
    let rows: Vec<(String, Option<String>, String)> =
        dsl::jurisdictions.select((dsl::code, dsl::parent_code, dsl::path)).load(&mut *app.conn()).unwrap();
    let paths: HashMap<&str, &str> = rows.iter().map(|(c, _, p)| (c.as_str(), p.as_str())).collect();
    for (code, parent, path) in &rows {
        let expected = match parent {
            Some(p) => format!("{}{code}/", paths[p.as_str()]),
            None => format!("/{code}/"),
        };
        assert_eq!(path, &expected, "path of {code}");
    }
}

/// Two bad rows: a malformed code on line 3 and an unknown level on line 5; lines 2, 4 and 6 are good.
const TWO_BAD_ROWS: &str = "code,name,level,parent_code
350203001101,测试一社区,community,350203001
35020300110X,坏代码社区,community,350203001
350203001102,测试二社区,community,350203001
350203001103,测试三社区,village,350203001
350203001104,测试四社区,community,350203001
";

both_backends! {
    async fn xiamen_file_imports_and_reimports_without_duplicates(app: &TestApp) {
        let text = xiamen();
        let file_rows: HashMap<String, (String, String)> = text
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let cols: Vec<&str> = l.split(',').collect();
                (cols[0].to_owned(), (cols[1].to_owned(), cols[3].to_owned()))
            })
            .collect();
        assert_eq!(file_rows.len(), 616);
        // What the fixture already holds: unchanged when name and parent agree (a parent in neither the file nor
        // the tree makes a root), updated otherwise.
        let known = |code: &str| file_rows.contains_key(code) || TREE.iter().any(|t| t.0 == code);
        let (mut unchanged, mut updated) = (0u64, 0u64);
        for (code, name, parent) in TREE {
            let (file_name, file_parent) = &file_rows[code];
            let file_parent = Some(file_parent.as_str()).filter(|p| !p.is_empty() && known(p));
            if file_name == name && file_parent == parent { unchanged += 1 } else { updated += 1 }
        }
        assert_eq!(unchanged + updated, 11);
        let created = 616 - 11;

        let res = import_csv(app, "admin", "", &text).await.expect(200);
        assert_eq!(res.header("content-type"), Some("application/json"));
        assert_report(&res.body, "atomic", 616, created, updated, unchanged, 0);
        assert_eq!(res.body["errors"], json!([]));
        assert_eq!(app.count("jurisdictions"), 616);
        assert_eq!(app.audit_count("jurisdiction.import"), 1);
        assert_paths_consistent(app);
        let (name, level, parent, path) = stored(app, "350205").unwrap();
        assert_eq!((name.as_str(), level.as_str(), parent.as_deref(), path.as_str()), ("海沧区", "district", Some("3502"), "/3502/350205/"));
        // The root stays a root (its parent 35 is in neither the file nor the tree).
        assert_eq!(stored(app, "3502").unwrap().2, None);
        // The new nodes are visible to the right callers only.
        let districts = app.get("/api/v1/jurisdictions?level=district", "city").await.expect(200);
        assert_eq!(districts.body["items"].as_array().unwrap().len(), 6);
        let streets = app.get("/api/v1/jurisdictions?level=street&limit=500", "siming").await.expect(200);
        let siming_streets = file_rows.iter().filter(|(c, (_, p))| c.len() == 9 && p == "350203").count();
        assert_eq!(streets.body["items"].as_array().unwrap().len(), siming_streets);

        // Again: nothing new, nothing duplicated.
        let again = import_csv(app, "admin", "", &text).await.expect(200);
        assert_report(&again.body, "atomic", 616, 0, 0, 616, 0);
        assert_eq!(app.count("jurisdictions"), 616);
        assert_eq!(app.audit_count("jurisdiction.import"), 2);
    }

    async fn reimport_with_changes_updates_and_records_history(app: &TestApp) {
        let csv = "code,name,level,parent_code
350203001001,鸿山社区,community,350203001
350203003001,仁安社区居委会,community,350203001
350203001004,蜂巢山社区居委会,community,350203001
";
        let res = import_csv(app, "city", "", csv).await.expect(200);
        assert_report(&res.body, "atomic", 3, 0, 2, 1, 0);
        assert_eq!(stored(app, "350203001001").unwrap().0, "鸿山社区");
        let (_, _, parent, path) = stored(app, "350203003001").unwrap();
        assert_eq!(parent.as_deref(), Some("350203001"));
        assert_eq!(path, "/3502/350203/350203001/350203003001/");
        assert_eq!(app.count("jurisdictions"), 11);
        let history = app.get("/api/v1/jurisdictions/350203001001/history", "city").await.expect(200);
        let last = history.body.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["change"], "imported");
        assert_eq!(last["old_name"], "鸿山社区居委会");
        assert_eq!(last["new_name"], "鸿山社区");
        assert_eq!(last["actor"], "city");
        let history = app.get("/api/v1/jurisdictions/350203003001/history", "city").await.expect(200);
        let last = history.body.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["change"], "imported");
        assert_eq!(last["old_parent_code"], "350203003");
        assert_eq!(last["new_parent_code"], "350203001");
        // The version moved on, so the old ETag is stale.
        let got = app.get("/api/v1/jurisdictions/350203001001", "city").await.expect(200);
        assert_eq!(got.header("etag"), Some("\"2\""));
        assert_paths_consistent(app);
    }

    async fn atomic_mode_rejects_the_whole_file_naming_lines(app: &TestApp) {
        let res = import_csv(app, "admin", "", TWO_BAD_ROWS).await.problem(422, "validation_failed");
        assert_eq!(row_errors(&res.body), vec![err(3, "code", "jurisdiction_code_format"), err(5, "level", "invalid_enum")]);
        assert_eq!(app.count("jurisdictions"), 11);
        assert!(stored(app, "350203001101").is_none());
        // `mode=atomic` spelled out is the same.
        let res = import_csv(app, "admin", "?mode=atomic", TWO_BAD_ROWS).await.problem(422, "validation_failed");
        assert_eq!(res.body["errors"].as_array().unwrap().len(), 2);
        assert_eq!(app.count("jurisdictions"), 11);
        assert_eq!(app.audit_count("jurisdiction.import"), 0);
        // One bad row: the top-level code is that row's rule.
        let one = "code,name,level,parent_code\n350203001101,测试一社区,community,350203001\n350203001102,,community,350203001\n";
        let res = import_csv(app, "admin", "", one).await.problem(422, "length");
        assert_eq!(row_errors(&res.body), vec![err(3, "name", "length")]);
        assert_eq!(app.count("jurisdictions"), 11);
        // Duplicate codes inside the file, and a level that does not fit the code's length.
        let dup = "code,name,level,parent_code\n350203001101,甲,community,350203001\n350203001101,乙,community,350203001\n350203001102,丙,street,350203001\n";
        let res = import_csv(app, "admin", "", dup).await.problem(422, "validation_failed");
        assert_eq!(row_errors(&res.body), vec![err(3, "code", "duplicate_in_file"), err(4, "level", "jurisdiction_code_level_mismatch")]);
        assert_eq!(app.count("jurisdictions"), 11);
    }

    async fn partial_mode_keeps_the_good_rows(app: &TestApp) {
        let res = import_csv(app, "admin", "?mode=partial", TWO_BAD_ROWS).await.expect(200);
        assert_report(&res.body, "partial", 5, 3, 0, 0, 2);
        assert_eq!(row_errors(&res.body), vec![err(3, "code", "jurisdiction_code_format"), err(5, "level", "invalid_enum")]);
        assert!(res.body["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(app.count("jurisdictions"), 14);
        for code in ["350203001101", "350203001102", "350203001104"] {
            let (_, level, parent, path) = stored(app, code).unwrap();
            assert_eq!((level.as_str(), parent.as_deref()), ("community", Some("350203001")));
            assert_eq!(path, format!("/3502/350203/350203001/{code}/"));
        }
        assert!(stored(app, "350203001103").is_none());
        assert_eq!(app.audit_count("jurisdiction.import"), 1);
    }

    async fn child_of_a_rejected_row_is_parent_rejected(app: &TestApp) {
        // Line 2: a street without a name; line 3: its community; line 4: a good community elsewhere.
        let csv = "code,name,level,parent_code
350203009,,street,350203
350203009001,子社区,community,350203009
350203001101,好社区,community,350203001
";
        let res = import_csv(app, "admin", "?mode=partial", csv).await.expect(200);
        assert_report(&res.body, "partial", 3, 1, 0, 0, 2);
        assert_eq!(row_errors(&res.body), vec![err(2, "name", "length"), err(3, "parent_code", "parent_rejected")]);
        assert!(stored(app, "350203009").is_none());
        assert!(stored(app, "350203009001").is_none());
        assert!(stored(app, "350203001101").is_some());
        // Atomic: the first pass already refuses the file; nothing is written.
        let res = import_csv(app, "admin", "", &csv.replace("350203001101", "350203001102")).await.problem(422, "length");
        assert_eq!(row_errors(&res.body), vec![err(2, "name", "length")]);
        assert!(stored(app, "350203001102").is_none());
    }

    async fn gb18030_bom_and_gzip_files(app: &TestApp) {
        // GB18030 (as Excel writes it): 测试街道 = B2E2 CAD4 BDD6 B5C0.
        let mut gb = b"code,name,level,parent_code\n350203009,".to_vec();
        gb.extend_from_slice(b"\xb2\xe2\xca\xd4\xbd\xd6\xb5\xc0");
        gb.extend_from_slice(b",street,350203\n");
        assert!(std::str::from_utf8(&gb).is_err());
        let res = import(app, "admin", "", "text/csv", &gb).await.expect(200);
        assert_report(&res.body, "atomic", 1, 1, 0, 0, 0);
        let got = app.get("/api/v1/jurisdictions/350203009", "siming").await.expect(200);
        assert_eq!(got.body["name"], "测试街道");
        assert_eq!(stored(app, "350203009").unwrap().0, "测试街道");
        // UTF-8 with a byte order mark (and a charset parameter on the type).
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice("code,name,level,parent_code\n350203009001,带签名社区,community,350203009\n".as_bytes());
        let res = import(app, "admin", "", "text/csv; charset=utf-8", &bom).await.expect(200);
        assert_report(&res.body, "atomic", 1, 1, 0, 0, 0);
        assert_eq!(stored(app, "350203009001").unwrap().0, "带签名社区");
        // gzip.
        let csv = "code,name,level,parent_code\n350203009002,压缩社区,community,350203009\n";
        let gz = gzip_stored(csv.as_bytes());
        let res = import(app, "admin", "", "application/gzip", &gz).await.expect(200);
        assert_report(&res.body, "atomic", 1, 1, 0, 0, 0);
        assert_eq!(stored(app, "350203009002").unwrap().0, "压缩社区");
        // gzip of GB18030 text.
        let mut gb2 = b"code,name,level,parent_code\n350203009003,".to_vec();
        gb2.extend_from_slice(b"\xb2\xe2\xca\xd4\xc9\xe7\xc7\xf8"); // 测试社区
        gb2.extend_from_slice(b",community,350203009\n");
        let res = import(app, "admin", "", "application/x-gzip", &gzip_stored(&gb2)).await.expect(200);
        assert_report(&res.body, "atomic", 1, 1, 0, 0, 0);
        assert_eq!(stored(app, "350203009003").unwrap().0, "测试社区");
        assert_eq!(app.count("jurisdictions"), 15);
    }

    async fn level_column_is_optional_and_broken_files_are_refused(app: &TestApp) {
        // Without a level column the code's length sets the level.
        let res = import_csv(app, "admin", "", "code,name,parent_code\n350203009,无级别街道,350203\n350203009001,无级别社区,350203009\n").await.expect(200);
        assert_report(&res.body, "atomic", 2, 2, 0, 0, 0);
        assert_eq!(stored(app, "350203009").unwrap().1, "street");
        assert_eq!(stored(app, "350203009001").unwrap().1, "community");
        // Quoted names may hold commas.
        let res = import_csv(app, "admin", "", "code,name,level,parent_code\n350203009002,\"甲,乙社区\",community,350203009\n").await.expect(200);
        assert_report(&res.body, "atomic", 1, 1, 0, 0, 0);
        assert_eq!(stored(app, "350203009002").unwrap().0, "甲,乙社区");
        // A gzip header followed by garbage cannot be read.
        let mut broken = gzip_stored(b"code,name,level,parent_code\n350203009003,x,community,350203009\n");
        broken.truncate(12);
        broken.extend_from_slice(&[0xff; 40]);
        import(app, "admin", "", "application/gzip", &broken).await.problem(400, "unreadable_file");
        assert!(stored(app, "350203009003").is_none());
        assert_eq!(app.count("jurisdictions"), 14);
    }

    async fn upload_over_the_size_limit_is_413(app: &TestApp) {
        let small = TestApp::spawn(app.backend, &[("IMPORT_BODY_LIMIT_BYTES", "1024")]).await.unwrap();
        let mut csv = String::from("code,name,level,parent_code\n");
        for i in 0..40 {
            csv.push_str(&format!("{},大文件测试社区居委会{i},community,350203001\n", 350_203_001_100u64 + i));
        }
        assert!(csv.len() > 1024);
        import_csv(&small, "admin", "", &csv).await.problem(413, "payload_too_large");
        assert_eq!(small.count("jurisdictions"), 11);
        // Under the limit it goes through.
        let short = "code,name,level,parent_code\n350203001101,小文件社区,community,350203001\n";
        import_csv(&small, "admin", "", short).await.expect(200);
        small.finish().await;
    }

    async fn large_gb18030_file_survives_block_boundaries(app: &TestApp) {
        // 1,800 communities named 测试社区<n> in GB18030, over 64 KiB, padded so that a two-byte character
        // straddles the 65,536-byte block boundary of the transcoder.
        const GB_NAME: &[u8] = b"\xb2\xe2\xca\xd4\xc9\xe7\xc7\xf8"; // 测试社区
        let build = |pad: usize| {
            let mut bytes = b"code,name,level,parent_code\n".to_vec();
            let mut expected = Vec::new();
            let mut straddles = false;
            for street in ["350203001", "350203003"] {
                for n in 100..1000 {
                    let code = format!("{street}{n}");
                    let extra = if expected.is_empty() { "x".repeat(pad) } else { String::new() };
                    bytes.extend_from_slice(format!("{code},").as_bytes());
                    let start = bytes.len();
                    bytes.extend_from_slice(GB_NAME);
                    if (start..start + GB_NAME.len()).contains(&65_535) && (65_535 - start) & 1 == 0 {
                        straddles = true;
                    }
                    bytes.extend_from_slice(format!("{n}{extra},community,{street}\n").as_bytes());
                    expected.push((code, format!("测试社区{n}{extra}")));
                }
            }
            (bytes, expected, straddles)
        };
        let (bytes, expected, _) = (0..64).map(build).find(|b| b.2).unwrap();
        assert!(bytes.len() > 65_536 && std::str::from_utf8(&bytes).is_err());
        let res = import(app, "admin", "", "text/csv", &bytes).await.expect(200);
        assert_report(&res.body, "atomic", 1800, 1800, 0, 0, 0);
        let codes: Vec<String> = expected.iter().map(|e| e.0.clone()).collect();
        let names: HashMap<String, String> = {
            use persistence::schema::jurisdictions::dsl;
            dsl::jurisdictions.filter(dsl::code.eq_any(&codes)).select((dsl::code, dsl::name)).load(&mut *app.conn()).unwrap().into_iter().collect()
        };
        assert_eq!(names.len(), 1800);
        for (code, name) in &expected {
            assert_eq!(&names[code], name, "{code}");
        }
        // The same bytes gzipped.
        let again = import(app, "admin", "", "application/gzip", &gzip_stored(&bytes)).await.expect(200);
        assert_report(&again.body, "atomic", 1800, 0, 0, 1800, 0);
    }

    async fn nodes_must_land_in_the_callers_subtree(app: &TestApp) {
        // siming_admin (350203): a good row, then one under 湖里's street.
        let csv = "code,name,level,parent_code
350203001101,思明新社区,community,350203001
350206001003,湖里新社区,community,350206001
";
        let res = import_csv(app, "siming_admin", "", csv).await.problem(422, "out_of_scope");
        assert_eq!(row_errors(&res.body), vec![err(3, "code", "out_of_scope")]);
        // Atomic: the good row was rolled back too.
        assert!(stored(app, "350203001101").is_none());
        assert!(stored(app, "350206001003").is_none());
        assert_eq!(app.count("jurisdictions"), 11);
        // A row whose parent is unknown would become a root: outside the subtree as well.
        let res = import_csv(app, "siming_admin", "", "code,name,level,parent_code\n350299001,无主街道,street,350299\n").await.problem(422, "out_of_scope");
        assert_eq!(row_errors(&res.body), vec![err(2, "code", "out_of_scope")]);
        // Renaming a node of another district is refused.
        import_csv(app, "siming_admin", "", "code,name,level,parent_code\n350206001,改名街道,street,350206\n").await.problem(422, "out_of_scope");
        assert_eq!(stored(app, "350206001").unwrap().0, "湖里街道");
        // Partial: the good row is kept, the other reported.
        let res = import_csv(app, "siming_admin", "?mode=partial", csv).await.expect(200);
        assert_report(&res.body, "partial", 2, 1, 0, 0, 1);
        assert_eq!(row_errors(&res.body), vec![err(3, "code", "out_of_scope")]);
        assert!(stored(app, "350203001101").is_some());
        assert!(stored(app, "350206001003").is_none());
    }

    async fn import_cannot_pull_a_foreign_node_into_the_subtree(app: &TestApp) {
        // 湖里社区 (350206001001) lies in 湖里, outside siming_admin's subtree. Re-parenting it under a 思明
        // street would move a node (and the retirees registered in it) the caller may not touch: a move of
        // that node over the API is 404 for this caller, and the import must refuse it likewise.
        let retiree = app.create_retiree("huli", &retiree_body("350206001001", 50)).await;
        let csv = "code,name,level,parent_code\n350206001001,湖里社区居委会,community,350203001\n";
        let res = import_csv(app, "siming_admin", "", csv).await;
        assert_eq!(res.status.as_u16(), 422, "a district admin re-parented another district's community: {}", res.text);
        assert_eq!(res.body["code"], "out_of_scope", "{}", res.text);
        let (_, _, parent, path) = stored(app, "350206001001").unwrap();
        assert_eq!(parent.as_deref(), Some("350206001"));
        assert_eq!(path, "/3502/350206/350206001/350206001001/");
        // 湖里 still sees its retiree; 思明 does not.
        app.get(&format!("/api/v1/retirees/{}", retiree["id"]), "huli").await.expect(200);
        app.get(&format!("/api/v1/retirees/{}", retiree["id"]), "siming").await.problem(404, "not_found");
    }

    async fn refusals_before_reading_the_file(app: &TestApp) {
        let csv = "code,name,level,parent_code\n350203001101,新社区,community,350203001\n";
        // Roles without jurisdiction.import.
        for login in ["hongshan", "siming", "auditor", "platform"] {
            import_csv(app, login, "", csv).await.problem(403, "forbidden");
        }
        import(app, "admin", "", "application/json", csv.as_bytes()).await.problem(415, "unsupported_media_type");
        import(app, "admin", "", "text/plain", csv.as_bytes()).await.problem(415, "unsupported_media_type");
        let res = import_csv(app, "admin", "?mode=bogus", csv).await.problem(422, "invalid_enum");
        assert_eq!(res.first_field(), "mode");
        import_csv(app, "admin", "", "").await.problem(422, "empty_file");
        // A header without the required columns.
        let res = import_csv(app, "admin", "", "id,title\n350203001101,新社区\n").await.problem(422, "csv_header");
        assert_eq!(res.first_field(), "header");
        // No token.
        app.request("POST", IMPORT, None, &[("Content-Type", "text/csv")], Some(csv.as_bytes().to_vec())).await.problem(401, "missing_token");
        assert_eq!(app.count("jurisdictions"), 11);
        assert_eq!(app.audit_count("jurisdiction.import"), 0);
        // The importer role may.
        let res = import_csv(app, "importer", "", csv).await.expect(200);
        assert_report(&res.body, "atomic", 1, 1, 0, 0, 0);
    }

    async fn idempotency_key_replays_the_report(app: &TestApp) {
        let token = app.token("admin");
        let send = |key: &'static str, csv: &'static str| {
            let token = token.clone();
            async move {
                app.request("POST", IMPORT, Some(&token), &[("Content-Type", "text/csv"), ("Idempotency-Key", key)], Some(csv.as_bytes().to_vec()))
                    .await
            }
        };
        let csv = "code,name,level,parent_code\n350203001101,幂等社区,community,350203001\n";
        let first = send("imp-1", csv).await.expect(200);
        assert_report(&first.body, "atomic", 1, 1, 0, 0, 0);
        assert_eq!(first.header("idempotent-replayed"), None);
        let again = send("imp-1", csv).await.expect(200);
        assert_eq!(again.body, first.body);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(app.count("jurisdictions"), 12);
        assert_eq!(app.audit_count("jurisdiction.import"), 1);
        // The same key with another file.
        let other = "code,name,level,parent_code\n350203001102,另一社区,community,350203001\n";
        send("imp-1", other).await.problem(422, "idempotency_key_reused");
        assert!(stored(app, "350203001102").is_none());
        // A fresh key runs the import again (now nothing is new).
        let fresh = send("imp-2", csv).await.expect(200);
        assert_report(&fresh.body, "atomic", 1, 0, 0, 1, 0);
        assert_eq!(fresh.header("idempotent-replayed"), None);
        assert_eq!(app.audit_count("jurisdiction.import"), 2);
    }
}

/// The history rows of the nodes under `prefix`, oldest first: (code, change, old name, new name, old parent,
/// new parent, actor).
type Change = (String, String, Option<String>, Option<String>, Option<String>, Option<String>, String);
fn changes_under(app: &TestApp, prefix: &str) -> Vec<Change> {
    use persistence::schema::jurisdiction_changes::dsl;
    dsl::jurisdiction_changes
        .filter(dsl::code.like(format!("{prefix}%")))
        .order(dsl::id)
        .select((
            dsl::code,
            dsl::change,
            dsl::old_name,
            dsl::new_name,
            dsl::old_parent_code,
            dsl::new_parent_code,
            dsl::actor,
        ))
        .load(&mut *app.conn())
        .unwrap()
}

both_backends! {
    async fn a_changed_tree_renames_moves_and_adds_with_history(app: &TestApp) {
        // Issue 20 (divcopy): PostgreSQL writes imports set-based from a staging table; the rows, paths and
        // history must be those of the node-by-node writes SQLite keeps.
        let first = "code,name,level,parent_code
350203009001,测试一社区,community,350203009
350203009,测试街道,street,350203
350203009002,测试二社区,community,350203009
";
        let res = import_csv(app, "admin", "", first).await.expect(200);
        assert_report(&res.body, "atomic", 3, 3, 0, 0, 0);
        let again = import_csv(app, "admin", "", first).await.expect(200);
        assert_report(&again.body, "atomic", 3, 0, 0, 3, 0);
        assert_eq!(changes_under(app, "350203009"), vec![], "creation by import and a re-import record no history");
        assert_eq!(app.count("jurisdictions"), 14);

        // A rename (line 2), a move of the street with its subtree (line 3), an unchanged node and a new one.
        let second = "code,name,level,parent_code
350203009001,改名社区,community,350203009
350203009,测试街道,street,350206
350203009002,测试二社区,community,350203009
350203009003,测试三社区,community,350203009
";
        let res = import_csv(app, "admin", "", second).await.expect(200);
        assert_report(&res.body, "atomic", 4, 1, 2, 1, 0);
        assert_eq!(res.body["errors"], json!([]));
        assert_eq!(app.count("jurisdictions"), 15);
        let node = |code: &str| stored(app, code).unwrap();
        assert_eq!(node("350203009"), ("测试街道".into(), "street".into(), Some("350206".into()), "/3502/350206/350203009/".into()));
        assert_eq!(
            node("350203009001"),
            ("改名社区".into(), "community".into(), Some("350203009".into()), "/3502/350206/350203009/350203009001/".into())
        );
        assert_eq!(node("350203009002").3, "/3502/350206/350203009/350203009002/");
        assert_eq!(node("350203009003").3, "/3502/350206/350203009/350203009003/");
        assert_paths_consistent(app);
        let expected: Vec<Change> = vec![
            ("350203009".into(), "imported".into(), None, None, Some("350203".into()), Some("350206".into()), "admin".into()),
            ("350203009001".into(), "imported".into(), Some("测试一社区".into()), Some("改名社区".into()), None, None, "admin".into()),
        ];
        assert_eq!(changes_under(app, "350203009"), expected);
        let versions: Vec<(String, i64)> = {
            use persistence::schema::jurisdictions::dsl;
            dsl::jurisdictions
                .filter(dsl::code.like("350203009%"))
                .order(dsl::code)
                .select((dsl::code, dsl::version))
                .load(&mut *app.conn())
                .unwrap()
        };
        assert_eq!(
            versions,
            vec![("350203009".into(), 2), ("350203009001".into(), 2), ("350203009002".into(), 1), ("350203009003".into(), 1)]
        );

        // The changed tree again: a no-op, no new history.
        let again = import_csv(app, "admin", "", second).await.expect(200);
        assert_report(&again.body, "atomic", 4, 0, 0, 4, 0);
        assert_eq!(changes_under(app, "350203009"), expected);
        assert_eq!(app.count("jurisdictions"), 15);
    }
}
