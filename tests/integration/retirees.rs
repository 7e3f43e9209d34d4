//! The retiree registry over HTTP: validation, duplicates, scope, masking, ETags, filters, search, timeline.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends! {
    async fn create_then_read_with_location_etag_and_audit(app: &TestApp) {
        let body = retiree_body("350203001001", 1);
        let res = app.post("/api/v1/retirees", "hongshan", &body).await.expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/retirees/{id}").as_str()));
        assert_eq!(res.header("etag"), Some("\"1\""));
        assert_eq!(res.body["pension_status"], "normal");
        assert_eq!(res.body["sex"], "male");
        assert_eq!(res.body["birth_date"], "1955-01-01");
        assert_eq!(res.body["monthly_pension"], "3500.00");
        assert_eq!(res.body["current_special_groups"], json!(["advanced_age"]));
        let got = app.get(&format!("/api/v1/retirees/{id}"), "hongshan").await.expect(200);
        assert_eq!(got.body["id_number"], body["id_number"]);
        assert_eq!(got.body["phone"], "13812345678");
        assert_eq!(got.header("etag"), Some("\"1\""));
        assert_eq!(app.count("retirees"), 1);
        assert_eq!(app.audit_count("retiree.create"), 1);
        assert_eq!(app.audit_count("retiree.read"), 1);
    }

    async fn wrong_check_character_is_422_naming_field_and_rule(app: &TestApp) {
        let mut body = retiree_body("350203001001", 2);
        body["id_number"] = json!("110105194912310021");
        let res = app.post("/api/v1/retirees", "hongshan", &body).await.problem(422, "id_number_checksum");
        assert_eq!(res.body["errors"][0]["field"], "/id_number");
        assert_eq!(res.body["errors"][0]["code"], "id_number_checksum");
        assert!(res.body["detail"].as_str().unwrap().contains("校验码"));
        let en = app.post_with("/api/v1/retirees", "hongshan", &body, &[("Accept-Language", "en")]).await;
        assert!(en.body["detail"].as_str().unwrap().contains("check character"), "{}", en.text);
        assert_eq!(en.body["title"], "Unprocessable Entity");
        assert_eq!(app.count("retirees"), 0);
    }

    async fn every_broken_rule_is_listed(app: &TestApp) {
        let body = json!({
            "name": "", "id_number": "350203195501010011", "sex": "female", "birth_date": "1960-01-01",
            "retirement_date": "1950-01-01", "category": "enterprise_employee", "management_level": "city_managed",
            "community_code": "3502", "phone": "12", "monthly_pension": "1.234",
            "special_groups": [{"group": "advanced_age", "from": "2020-01-01"}]
        });
        // Make the ID valid so the other rules are checked against it.
        let mut body = body;
        body["id_number"] = json!(id_number("350203", "19550101", 11));
        let res = app.post("/api/v1/retirees", "hongshan", &body).await.problem(422, "validation_failed");
        let fields: Vec<&str> = res.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        for f in ["/name", "/sex", "/birth_date", "/retirement_date", "/community_code", "/phone", "/monthly_pension", "/special_groups/0/group"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        assert_eq!(app.count("retirees"), 0);
    }

    async fn malformed_requests_are_problems(app: &TestApp) {
        let token = app.token("hongshan");
        app.request("POST", "/api/v1/retirees", Some(&token), &[("Content-Type", "application/json")], Some(b"{\"name\": ".to_vec()))
            .await
            .problem(400, "invalid_json");
        app.request("POST", "/api/v1/retirees", Some(&token), &[("Content-Type", "text/plain")], Some(b"{}".to_vec()))
            .await
            .problem(415, "unsupported_media_type");
        let big = json!({"name": "x".repeat(70_000)});
        app.post("/api/v1/retirees", "hongshan", &big).await.problem(413, "payload_too_large");
        let mut body = retiree_body("350203001001", 3);
        body["colour"] = json!("red");
        let res = app.post("/api/v1/retirees", "hongshan", &body).await.problem(422, "unknown_field");
        assert_eq!(res.first_field(), "/colour");
        let mut body = retiree_body("350203001001", 3);
        body["category"] = json!("astronaut");
        let res = app.post("/api/v1/retirees", "hongshan", &body).await.problem(422, "invalid_enum");
        assert_eq!(res.first_field(), "/category");
        let mut body = retiree_body("350203001001", 3);
        body["party_member"] = json!("yes");
        let res = app.post("/api/v1/retirees", "hongshan", &body).await.problem(422, "invalid_type");
        assert_eq!(res.first_field(), "/party_member");
        app.get("/api/v1/retirees/not-a-number", "hongshan").await.problem(404, "not_found");
        // NUL characters (which PostgreSQL cannot store) are refused wherever they come.
        let mut body = retiree_body("350203001001", 3);
        body["address"] = json!("大学路\u{0}1号");
        let res = app.post("/api/v1/retirees", "hongshan", &body).await.problem(422, "nul_character");
        assert_eq!(res.first_field(), "/address");
        app.get("/api/v1/retirees?name_prefix=%00", "hongshan").await.problem(400, "nul_character");
        app.get("/api/v1/jurisdictions/3502%00", "hongshan").await.problem(400, "nul_character");
        app.request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")],
            Some(json!({"grant_type": "password", "username": "ci\u{0}ty", "password": "x"}).to_string().into_bytes()))
            .await
            .problem(422, "nul_character");
        app.get("/api/v1/retirees?limit=0", "hongshan").await.problem(422, "limit_range");
        app.get("/api/v1/retirees?cursor=zzz", "hongshan").await.problem(422, "invalid_cursor");
        app.get("/api/v1/retirees?category=astronaut", "hongshan").await.problem(422, "invalid_enum");
        assert_eq!(app.count("retirees"), 0);
    }

    async fn duplicate_resident_id_is_409(app: &TestApp) {
        let body = retiree_body("350203001001", 4);
        app.create_retiree("hongshan", &body).await;
        // Even from another community and another caller.
        let mut again = body.clone();
        again["community_code"] = json!("350206001001");
        app.post("/api/v1/retirees", "huli", &again).await.problem(409, "id_number_taken");
        assert_eq!(app.count("retirees"), 1);
    }

    async fn a_read_brings_every_flag_in_order_and_a_flagless_person_once(app: &TestApp) {
        // The single-person read loads the person, their node and their flags in one statement (issue 20): each
        // flag comes once, in (group, from) order; a person without flags is one person with none.
        let mut body = retiree_body("350203001001", 11);
        body["special_groups"] = json!([
            {"group": "living_alone", "from": "2025-01-01"},
            {"group": "disabled", "from": "2024-06-01", "to": "2024-12-31"},
            {"group": "living_alone", "from": "2023-01-01", "to": "2023-12-31"}
        ]);
        let flagged = app.create_retiree("hongshan", &body).await;
        let plain = app.create_retiree("hongshan", &retiree_body("350203001001", 12)).await;
        let got = app.get(&format!("/api/v1/retirees/{}", flagged["id"]), "hongshan").await.expect(200);
        assert_eq!(
            got.body["special_groups"],
            json!([
                {"group": "disabled", "from": "2024-06-01", "to": "2024-12-31"},
                {"group": "living_alone", "from": "2023-01-01", "to": "2023-12-31"},
                {"group": "living_alone", "from": "2025-01-01", "to": null}
            ])
        );
        assert_eq!(got.body["current_special_groups"], json!(["advanced_age", "living_alone"]));
        let got = app.get(&format!("/api/v1/retirees/{}", plain["id"]), "hongshan").await.expect(200);
        assert_eq!(got.body["special_groups"], json!([]));
        assert_eq!(got.body["id"], plain["id"]);
        // Out of scope: 404 whether or not the person has flags, and no read is audited for it.
        let before = app.audit_count("retiree.read");
        app.get(&format!("/api/v1/retirees/{}", flagged["id"]), "fengchaoshan").await.problem(404, "not_found");
        app.get("/api/v1/retirees/999999", "hongshan").await.problem(404, "not_found");
        assert_eq!(app.audit_count("retiree.read"), before);
    }

    async fn scope_hides_other_communities(app: &TestApp) {
        let mine = app.create_retiree("hongshan", &retiree_body("350203001001", 5)).await;
        let other = app.create_retiree("fengchaoshan", &retiree_body("350203001004", 6)).await;
        let other_id = other["id"].as_i64().unwrap();
        // A community worker gets 404 for a retiree of another community, for reads and writes.
        app.get(&format!("/api/v1/retirees/{other_id}"), "hongshan").await.problem(404, "not_found");
        app.patch(&format!("/api/v1/retirees/{other_id}"), "hongshan", &json!({"name": "李四"}), Some("*")).await.problem(404, "not_found");
        app.get(&format!("/api/v1/retirees/{other_id}/timeline"), "hongshan").await.problem(404, "not_found");
        let list = app.get("/api/v1/retirees", "hongshan").await.expect(200);
        let ids: Vec<i64> = list.body["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![mine["id"].as_i64().unwrap()]);
        // The street and district above both see both.
        for login in ["xiagang", "siming", "city"] {
            assert_eq!(app.get("/api/v1/retirees", login).await.expect(200).body["items"].as_array().unwrap().len(), 2, "{login}");
        }
        // Another district sees neither.
        assert!(app.get("/api/v1/retirees", "huli").await.expect(200).body["items"].as_array().unwrap().is_empty());
        // Registering into a community outside the caller's subtree is refused.
        let res = app.post("/api/v1/retirees", "hongshan", &retiree_body("350203001004", 7)).await.problem(422, "community_not_found");
        assert_eq!(res.first_field(), "/community_code");
        // A filter on a node outside the subtree too.
        app.get("/api/v1/retirees?jurisdiction=350206", "siming").await.problem(422, "jurisdiction_not_found");
        // Search by ID finds nothing outside the subtree.
        let found = app.post("/api/v1/retirees/search", "hongshan", &json!({"id_number": other["id_number"]})).await.expect(200);
        assert_eq!(found.body["items"], json!([]));
    }

    async fn masking_follows_the_role_table(app: &TestApp) {
        let body = retiree_body("350203001001", 8);
        let created = app.create_retiree("hongshan", &body).await;
        let id = created["id"].as_i64().unwrap();
        let full_id = body["id_number"].as_str().unwrap();
        let masked_id = format!("{}********{}", &full_id[..6], &full_id[14..]);
        // Community: masked in lists, clear in the audited detail view.
        let list = app.get("/api/v1/retirees", "hongshan").await.expect(200);
        assert_eq!(list.body["items"][0]["id_number"], masked_id.as_str());
        assert_eq!(list.body["items"][0]["phone"], "138****5678");
        assert!(list.body["items"][0]["masked_fields"].as_array().unwrap().contains(&json!("id_number")));
        let detail = app.get(&format!("/api/v1/retirees/{id}"), "hongshan").await.expect(200);
        assert_eq!(detail.body["id_number"], full_id);
        // Group leader: ID always masked, phone clear in detail.
        let detail = app.get(&format!("/api/v1/retirees/{id}"), "leader").await.expect(200);
        assert_eq!(detail.body["id_number"], masked_id.as_str());
        assert_eq!(detail.body["phone"], "13812345678");
        // Auditor: everything masked.
        let detail = app.get(&format!("/api/v1/retirees/{id}"), "auditor").await.expect(200);
        assert_eq!(detail.body["id_number"], masked_id.as_str());
        assert_eq!(detail.body["phone"], "138****5678");
        assert_eq!(detail.body["address"], "厦门市思明区****");
        // Integration: clear everywhere.
        let list = app.get("/api/v1/retirees", "platform").await.expect(200);
        assert_eq!(list.body["items"][0]["id_number"], full_id);
    }

    async fn update_needs_a_fresh_if_match(app: &TestApp) {
        let created = app.create_retiree("hongshan", &retiree_body("350203001001", 9)).await;
        let path = format!("/api/v1/retirees/{}", created["id"]);
        app.patch(&path, "hongshan", &json!({"phone": "13900001111"}), None).await.problem(428, "if_match_required");
        let res = app.patch(&path, "hongshan", &json!({"phone": "13900001111", "address": null}), Some("\"1\"")).await.expect(200);
        assert_eq!(res.header("etag"), Some("\"2\""));
        assert_eq!(res.body["phone"], "13900001111");
        assert_eq!(res.body["address"], serde_json::Value::Null);
        // The old ETag is stale now.
        app.patch(&path, "hongshan", &json!({"name": "李四"}), Some("\"1\"")).await.problem(412, "version_mismatch");
        let got = app.get(&path, "hongshan").await.expect(200);
        assert_eq!(got.body["name"], "张三");
        assert_eq!(got.body["version"], 2);
        // Bad input changes nothing.
        app.patch(&path, "hongshan", &json!({"phone": "abc"}), Some("\"2\"")).await.problem(422, "phone_format");
        assert_eq!(app.get(&path, "hongshan").await.body["phone"], "13900001111");
        // A wrong role is 403 even inside the subtree.
        app.patch(&path, "leader", &json!({"name": "李四"}), Some("\"2\"")).await.problem(403, "forbidden");
    }

    async fn timeline_and_audit_show_every_write(app: &TestApp) {
        let created = app.create_retiree("hongshan", &retiree_body("350203001001", 10)).await;
        let id = created["id"].as_i64().unwrap();
        let path = format!("/api/v1/retirees/{id}");
        app.patch(&path, "hongshan", &json!({"phone": "13900001111", "special_groups": [{"group": "living_alone", "from": "2024-01-01"}]}), Some("\"1\"")).await.expect(200);
        app.post(&format!("{path}/dependents"), "hongshan",
            &json!({"relation": "spouse", "id_number": id_number("350203", "19570303", 2), "name": "李四", "supported": true})).await.expect(201);
        let timeline = app.get(&format!("{path}/timeline"), "hongshan").await.expect(200);
        let items = timeline.body["items"].as_array().unwrap();
        let actions: Vec<&str> = items.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["retiree.create", "retiree.update", "dependent.create"]);
        assert_eq!(items[1]["changes"]["phone"]["from"], "138****5678");
        assert_eq!(items[1]["changes"]["phone"]["to"], "139****1111");
        assert_eq!(items[1]["changes"]["special_groups"]["to"][0]["group_code"], "living_alone");
        assert_eq!(items[0]["actor"], "hongshan");
        // The auditor sees the same writes and the reads.
        let log = app.get(&format!("/api/v1/audit-log?object_type=retiree&object_id={id}"), "auditor").await.expect(200);
        let actions: Vec<&str> = log.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"retiree.create") && actions.contains(&"retiree.update") && actions.contains(&"retiree.timeline.read"), "{actions:?}");
        // No clear resident ID or phone is stored in the log.
        let raw = app.get("/api/v1/audit-log?limit=500", "auditor").await.text;
        assert!(!raw.contains(created["id_number"].as_str().unwrap()));
        assert!(!raw.contains("13900001111"));
        // Other roles may not read the audit log; bad filters are named.
        app.get("/api/v1/audit-log", "city").await.problem(403, "forbidden");
        let bad = app.get("/api/v1/audit-log?from=yesterday", "auditor").await.problem(422, "invalid_instant");
        assert_eq!(bad.first_field(), "from");
        let later = app.get("/api/v1/audit-log?from=2999-01-01T00:00:00%2B08:00", "auditor").await.expect(200);
        assert_eq!(later.body["items"], json!([]));
        // A district auditor sees only its subtree: the retiree is in 思明, so yes; 湖里's would not be.
        assert!(!app.get("/api/v1/audit-log?action=retiree.create", "siming_auditor").await.expect(200).body["items"].as_array().unwrap().is_empty());
    }

    async fn list_filters_and_cursor_pagination(app: &TestApp) {
        for seq in 20..27u16 {
            let mut body = retiree_body("350203001001", seq);
            if seq % 2 == 0 {
                body["category"] = json!("individually_insured");
                body["special_groups"] = json!([{"group": "living_alone", "from": "2020-01-01"}]);
            }
            if seq == 26 {
                body["name"] = json!("欧阳修");
                body["id_number"] = json!(id_number("350203", "19700505", 41));
                body["retirement_date"] = json!("2025-05-01");
            }
            app.create_retiree("hongshan", &body).await;
        }
        let count = |res: &Resp| res.body["items"].as_array().unwrap().len();
        assert_eq!(count(&app.get("/api/v1/retirees?category=individually_insured", "city").await.expect(200)), 4);
        assert_eq!(count(&app.get("/api/v1/retirees?special_group=living_alone", "city").await.expect(200)), 4);
        assert_eq!(count(&app.get("/api/v1/retirees?special_group=advanced_age", "city").await.expect(200)), 6);
        assert_eq!(count(&app.get("/api/v1/retirees?age_max=60", "city").await.expect(200)), 1);
        assert_eq!(count(&app.get("/api/v1/retirees?age_min=70&age_max=80", "city").await.expect(200)), 6);
        assert_eq!(count(&app.get("/api/v1/retirees?name_prefix=%E6%AC%A7%E9%98%B3", "city").await.expect(200)), 1);
        assert_eq!(count(&app.get("/api/v1/retirees?jurisdiction=350203001004", "city").await.expect(200)), 0);
        assert_eq!(count(&app.get("/api/v1/retirees?jurisdiction=350203001", "city").await.expect(200)), 7);
        assert_eq!(count(&app.get("/api/v1/retirees?pension_status=suspended", "city").await.expect(200)), 0);
        app.get("/api/v1/retirees?age_min=80&age_max=70", "city").await.problem(422, "age_order");
        // Pages of 3: 3 + 3 + 1, no repeats, then no cursor.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for expected in [3, 3, 1] {
            let path = match &cursor {
                Some(c) => format!("/api/v1/retirees?limit=3&cursor={c}"),
                None => "/api/v1/retirees?limit=3".to_owned(),
            };
            let page = app.get(&path, "city").await.expect(200);
            assert_eq!(count(&page), expected);
            seen.extend(page.body["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()));
            cursor = page.body["next_cursor"].as_str().map(str::to_owned);
        }
        assert!(cursor.is_none());
        let mut sorted = seen.clone();
        sorted.dedup();
        assert_eq!(sorted.len(), 7);
    }

    async fn search_by_resident_id(app: &TestApp) {
        let body = retiree_body("350203001001", 30);
        let created = app.create_retiree("hongshan", &body).await;
        let found = app.post("/api/v1/retirees/search", "xiagang", &json!({"id_number": body["id_number"]})).await.expect(200);
        assert_eq!(found.body["items"][0]["id"], created["id"]);
        let none = app.post("/api/v1/retirees/search", "huli", &json!({"id_number": body["id_number"]})).await.expect(200);
        assert!(none.body["items"].as_array().unwrap().is_empty());
        app.post("/api/v1/retirees/search", "xiagang", &json!({"id_number": "110105194912310021"})).await.problem(422, "id_number_checksum");
        app.post("/api/v1/retirees/search", "importer", &json!({"id_number": body["id_number"]})).await.problem(403, "forbidden");
        assert_eq!(app.audit_count("retiree.search"), 2);
    }

    async fn idempotency_key_replays_the_first_answer(app: &TestApp) {
        let body = retiree_body("350203001001", 31);
        let first = app.post_with("/api/v1/retirees", "hongshan", &body, &[("Idempotency-Key", "k-1")]).await.expect(201);
        let again = app.post_with("/api/v1/retirees", "hongshan", &body, &[("Idempotency-Key", "k-1")]).await.expect(201);
        assert_eq!(first.body["id"], again.body["id"]);
        assert_eq!(first.header("location"), again.header("location"));
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        // Issue 21.9: the replay carries the ETag of the first answer.
        assert_eq!(first.header("etag"), Some("\"1\""));
        assert_eq!(again.header("etag"), first.header("etag"));
        assert_eq!(app.count("retirees"), 1);
        let other = retiree_body("350203001001", 32);
        app.post_with("/api/v1/retirees", "hongshan", &other, &[("Idempotency-Key", "k-1")]).await.problem(422, "idempotency_key_reused");
        assert_eq!(app.count("retirees"), 1);
    }

    async fn dependents_crud(app: &TestApp) {
        let created = app.create_retiree("hongshan", &retiree_body("350203001001", 33)).await;
        let base = format!("/api/v1/retirees/{}/dependents", created["id"]);
        let dep_id = id_number("350203", "19570303", 4);
        let dep = app.post(&base, "hongshan", &json!({"relation": "spouse", "id_number": dep_id, "name": "李四", "supported": true})).await.expect(201);
        let path = dep.header("location").unwrap().to_owned();
        app.post(&base, "hongshan", &json!({"relation": "spouse", "id_number": dep_id, "name": "李四", "supported": true})).await.problem(409, "dependent_id_number_taken");
        app.post(&base, "hongshan", &json!({"relation": "spouse", "id_number": created["id_number"], "name": "x", "supported": true})).await.problem(422, "dependent_is_retiree");
        let list = app.get(&base, "hongshan").await.expect(200);
        assert_eq!(list.body.as_array().unwrap().len(), 1);
        assert_eq!(list.body[0]["id_number"], dep_id.as_str());
        assert_eq!(app.get(&base, "auditor").await.expect(200).body[0]["masked_fields"], json!(["id_number"]));
        let updated = app.patch(&path, "hongshan", &json!({"supported": false}), Some("\"1\"")).await.expect(200);
        assert_eq!(updated.body["supported"], false);
        app.get(&path, "fengchaoshan").await.problem(404, "not_found");
        app.get(&base, "fengchaoshan").await.problem(404, "not_found");
        // Reading is not writing: the group leader and the auditor may not add or change dependents.
        let other = json!({"relation": "child", "id_number": id_number("350203", "19800808", 6), "name": "王五", "supported": false});
        app.post(&base, "leader", &other).await.problem(403, "forbidden");
        app.patch(&path, "auditor", &json!({"supported": true}), Some("\"2\"")).await.problem(403, "forbidden");
        app.post(&base, "hongshan", &json!({"relation": "cousin", "id_number": "x", "name": "x", "supported": true})).await.problem(422, "invalid_enum");
        let token = app.token("hongshan");
        app.request("DELETE", &path, Some(&token), &[("If-Match", "\"1\"")], None).await.problem(412, "version_mismatch");
        app.request("DELETE", &path, Some(&token), &[("If-Match", "\"2\"")], None).await.expect(204);
        assert_eq!(app.count("dependents"), 0);
    }

    async fn refused_writes_are_audited_with_their_outcome(app: &TestApp) {
        let created = app.create_retiree("hongshan", &retiree_body("350203001001", 60)).await;
        let path = format!("/api/v1/retirees/{}", created["id"]);
        app.patch(&path, "leader", &json!({"name": "李四"}), Some("\"1\"")).await.problem(403, "forbidden");
        let mut bad = retiree_body("350203001001", 61);
        bad["id_number"] = json!("110105194912310021");
        app.post("/api/v1/retirees", "hongshan", &bad).await.problem(422, "id_number_checksum");
        let log = app.get("/api/v1/audit-log?object_type=request", "auditor").await.expect(200);
        let items = log.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{}", log.text);
        // Newest first.
        assert_eq!(items[0]["action"], "POST /api/v1/retirees");
        assert_eq!(items[0]["outcome"], "rejected");
        assert_eq!(items[0]["actor"], "hongshan");
        assert_eq!(items[0]["detail"]["status"], 422);
        assert_eq!(items[1]["action"], "PATCH /api/v1/retirees/{id}");
        assert_eq!(items[1]["outcome"], "denied");
        assert_eq!(items[1]["object_id"], path.as_str());
        // Nothing changed.
        assert_eq!(app.get(&path, "hongshan").await.body["version"], 1);
        assert_eq!(app.count("retirees"), 1);
    }
}
