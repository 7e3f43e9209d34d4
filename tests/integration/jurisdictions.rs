//! The jurisdiction tree over HTTP: reads with ETags, scope, children and lists, creation, renames with history,
//! and moves that carry retirees (and their visibility) along.

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// A node as stored: (name, parent, path, version).
fn stored(app: &TestApp, code: &str) -> Option<(String, Option<String>, String, i64)> {
    use persistence::schema::jurisdictions::dsl;
    dsl::jurisdictions
        .find(code)
        .select((dsl::name, dsl::parent_code, dsl::path, dsl::version))
        .first(&mut *app.conn())
        .optional()
        .unwrap()
}

/// The codes of a page of nodes.
fn codes(res: &Resp) -> Vec<String> {
    res.body["items"].as_array().unwrap().iter().map(|j| j["code"].as_str().unwrap().to_owned()).collect()
}

/// Follows `next_cursor` from `path` (which already has a `?`) and returns every code seen, page by page.
async fn all_pages(app: &TestApp, path: &str, login: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let page = app.get(&url, login).await.expect(200);
        pages.push(codes(&page));
        cursor = page.body["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return pages;
        }
    }
    panic!("pagination of {path} does not end");
}

both_backends! {
    async fn read_one_node_with_etag_and_scope(app: &TestApp) {
        let res = app.get("/api/v1/jurisdictions/350203001001", "hongshan").await.expect(200);
        assert_eq!(res.header("etag"), Some("\"1\""));
        assert_eq!(res.body["code"], "350203001001");
        assert_eq!(res.body["name"], "鸿山社区居委会");
        assert_eq!(res.body["level"], "community");
        assert_eq!(res.body["parent_code"], "350203001");
        assert_eq!(res.body["version"], 1);
        // The root has no parent.
        let root = app.get("/api/v1/jurisdictions/3502", "city").await.expect(200);
        assert_eq!(root.body["parent_code"], Value::Null);
        assert_eq!(root.body["level"], "city");
        // Outside the caller's subtree: 404, like a code that does not exist; the parent too.
        app.get("/api/v1/jurisdictions/350206", "hongshan").await.problem(404, "not_found");
        app.get("/api/v1/jurisdictions/350203001", "hongshan").await.problem(404, "not_found");
        app.get("/api/v1/jurisdictions/350206001001", "siming").await.problem(404, "not_found");
        app.get("/api/v1/jurisdictions/350203999999", "city").await.problem(404, "not_found");
        app.get("/api/v1/jurisdictions/350203001/children", "hongshan").await.problem(404, "not_found");
        app.get("/api/v1/jurisdictions/350206/history", "siming").await.problem(404, "not_found");
    }

    async fn children_are_ordered_by_code_and_paginated(app: &TestApp) {
        let res = app.get("/api/v1/jurisdictions/350203/children", "siming").await.expect(200);
        assert_eq!(codes(&res), vec!["350203001", "350203003"]);
        assert_eq!(res.body["next_cursor"], Value::Null);
        assert!(res.body["items"].as_array().unwrap().iter().all(|j| j["level"] == "street" && j["parent_code"] == "350203"));
        // Pages of one: every child once, in code order.
        let pages = all_pages(app, "/api/v1/jurisdictions/350203/children?limit=1", "siming").await;
        assert!(pages.iter().all(|p| p.len() <= 1), "{pages:?}");
        let seen: Vec<String> = pages.into_iter().flatten().collect();
        assert_eq!(seen, vec!["350203001", "350203003"]);
        // The first page of one has a cursor that leads to the second child only.
        let first = app.get("/api/v1/jurisdictions/350203/children?limit=1", "siming").await.expect(200);
        assert_eq!(codes(&first), vec!["350203001"]);
        let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
        let second = app.get(&format!("/api/v1/jurisdictions/350203/children?limit=1&cursor={cursor}"), "siming").await.expect(200);
        assert_eq!(codes(&second), vec!["350203003"]);
        // A community has no children.
        let none = app.get("/api/v1/jurisdictions/350203001001/children", "hongshan").await.expect(200);
        assert!(none.body["items"].as_array().unwrap().is_empty());
        app.get("/api/v1/jurisdictions/350203/children?limit=0", "siming").await.problem(422, "limit_range");
        app.get("/api/v1/jurisdictions/350203/children?cursor=zzz", "siming").await.problem(422, "invalid_cursor");
    }

    async fn list_by_level_stays_in_the_callers_subtree(app: &TestApp) {
        let communities = |login: &'static str| app.get("/api/v1/jurisdictions?level=community", login);
        assert_eq!(codes(&communities("hongshan").await.expect(200)), vec!["350203001001"]);
        assert_eq!(codes(&communities("xiagang").await.expect(200)), vec!["350203001001", "350203001004"]);
        assert_eq!(codes(&communities("siming").await.expect(200)), vec!["350203001001", "350203001004", "350203003001"]);
        assert_eq!(codes(&communities("huli").await.expect(200)), vec!["350206001001", "350206001002"]);
        assert_eq!(
            codes(&communities("city").await.expect(200)),
            vec!["350203001001", "350203001004", "350203003001", "350206001001", "350206001002"]
        );
        // Without a level: the whole subtree, the caller's own node included, by code.
        let all = codes(&app.get("/api/v1/jurisdictions", "xiagang").await.expect(200));
        assert_eq!(all, vec!["350203001", "350203001001", "350203001004"]);
        let streets = codes(&app.get("/api/v1/jurisdictions?level=street", "siming").await.expect(200));
        assert_eq!(streets, vec!["350203001", "350203003"]);
        // A community sees neither its street nor its district.
        assert!(codes(&app.get("/api/v1/jurisdictions?level=street", "hongshan").await.expect(200)).is_empty());
        // Name prefix (URL-encoded 蜂巢); LIKE wildcards are taken literally.
        assert!(codes(&app.get("/api/v1/jurisdictions?name_prefix=%25", "city").await.expect(200)).is_empty());
        assert!(codes(&app.get("/api/v1/jurisdictions?name_prefix=_", "city").await.expect(200)).is_empty());
        let named = codes(&app.get("/api/v1/jurisdictions?name_prefix=%E8%9C%82%E5%B7%A2", "city").await.expect(200));
        assert_eq!(named, vec!["350203001004"]);
        // Paged by one through siming's subtree: 6 nodes, no repeats, in code order.
        let pages = all_pages(app, "/api/v1/jurisdictions?limit=1", "siming").await;
        let seen: Vec<String> = pages.into_iter().flatten().collect();
        assert_eq!(seen, vec!["350203", "350203001", "350203001001", "350203001004", "350203003", "350203003001"]);
        let res = app.get("/api/v1/jurisdictions?level=village", "siming").await.problem(422, "invalid_enum");
        assert_eq!(res.first_field(), "level");
    }

    async fn create_derives_level_and_is_audited(app: &TestApp) {
        let body = json!({"code": "350203001999", "name": "新建社区居委会", "parent_code": "350203001"});
        let res = app.post("/api/v1/jurisdictions", "siming", &body).await.expect(201);
        assert_eq!(res.header("location"), Some("/api/v1/jurisdictions/350203001999"));
        assert_eq!(res.header("etag"), Some("\"1\""));
        assert_eq!(res.body["level"], "community");
        assert_eq!(res.body["parent_code"], "350203001");
        assert_eq!(res.body["name"], "新建社区居委会");
        assert_eq!(res.body["version"], 1);
        let (name, parent, path, version) = stored(app, "350203001999").unwrap();
        assert_eq!((name.as_str(), parent.as_deref(), path.as_str(), version),
            ("新建社区居委会", Some("350203001"), "/3502/350203/350203001/350203001999/", 1));
        assert_eq!(app.audit_count("jurisdiction.create"), 1);
        // A street (9 digits) under a district; names are trimmed.
        let street = app
            .post("/api/v1/jurisdictions", "siming", &json!({"code": "350203020", "name": "  新街道  ", "parent_code": "350203"}))
            .await
            .expect(201);
        assert_eq!(street.body["level"], "street");
        assert_eq!(street.body["name"], "新街道");
        // The new nodes are readable and listed under their parents.
        let got = app.get("/api/v1/jurisdictions/350203001999", "xiagang").await.expect(200);
        assert_eq!(got.header("etag"), Some("\"1\""));
        let kids = codes(&app.get("/api/v1/jurisdictions/350203001/children", "xiagang").await.expect(200));
        assert_eq!(kids, vec!["350203001001", "350203001004", "350203001999"]);
        let history = app.get("/api/v1/jurisdictions/350203001999/history", "siming").await.expect(200);
        let entries = history.body.as_array().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["change"], "created");
        assert_eq!(entries[0]["actor"], "siming");
        assert_eq!(entries[0]["new_name"], "新建社区居委会");
        assert_eq!(entries[0]["new_parent_code"], "350203001");
        assert_eq!(app.count("jurisdictions"), 13);
        assert_eq!(app.audit_count("jurisdiction.create"), 2);
        // With an Idempotency-Key a retry gets the first answer and creates nothing more.
        let body = json!({"code": "350203003999", "name": "幂等社区", "parent_code": "350203003"});
        let first = app.post_with("/api/v1/jurisdictions", "siming", &body, &[("Idempotency-Key", "j-1")]).await.expect(201);
        let again = app.post_with("/api/v1/jurisdictions", "siming", &body, &[("Idempotency-Key", "j-1")]).await.expect(201);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.header("location"), first.header("location"));
        assert_eq!(again.body, first.body);
        assert_eq!(app.count("jurisdictions"), 14);
        assert_eq!(app.audit_count("jurisdiction.create"), 3);
        // Without one, the retry is a conflict.
        app.post("/api/v1/jurisdictions", "siming", &body).await.problem(409, "jurisdiction_code_taken");
    }

    async fn create_refusals(app: &TestApp) {
        let before = app.count("jurisdictions");
        // The code exists already.
        app.post("/api/v1/jurisdictions", "siming", &json!({"code": "350203001001", "name": "重复", "parent_code": "350203001"}))
            .await
            .problem(409, "jurisdiction_code_taken");
        // A length no level has, or letters.
        for code in ["35020300100", "35020300100X", ""] {
            let res = app
                .post("/api/v1/jurisdictions", "siming", &json!({"code": code, "name": "坏代码", "parent_code": "350203001"}))
                .await
                .problem(422, "jurisdiction_code_format");
            assert_eq!(res.first_field(), "/code");
        }
        // The parent lies in another district.
        let res = app
            .post("/api/v1/jurisdictions", "siming", &json!({"code": "350206001999", "name": "越界社区", "parent_code": "350206001"}))
            .await
            .problem(422, "jurisdiction_not_found");
        assert_eq!(res.first_field(), "/parent_code");
        // The parent does not exist at all: same answer.
        app.post("/api/v1/jurisdictions", "siming", &json!({"code": "350203099001", "name": "孤儿社区", "parent_code": "350203099"}))
            .await
            .problem(422, "jurisdiction_not_found");
        // A street under a community.
        let res = app
            .post("/api/v1/jurisdictions", "siming", &json!({"code": "350203021", "name": "倒挂街道", "parent_code": "350203001001"}))
            .await
            .problem(422, "parent_level");
        assert_eq!(res.first_field(), "/parent_code");
        // A district under a street.
        app.post("/api/v1/jurisdictions", "city", &json!({"code": "350299", "name": "倒挂区", "parent_code": "350203001"}))
            .await
            .problem(422, "parent_level");
        // Roles without jurisdiction.write.
        for login in ["hongshan", "xiagang", "auditor", "importer"] {
            app.post("/api/v1/jurisdictions", login, &json!({"code": "350203001998", "name": "无权社区", "parent_code": "350203001"}))
                .await
                .problem(403, "forbidden");
        }
        // Empty name, unknown field.
        let res = app
            .post("/api/v1/jurisdictions", "siming", &json!({"code": "350203001997", "name": " ", "parent_code": "350203001"}))
            .await
            .problem(422, "length");
        assert_eq!(res.first_field(), "/name");
        let res = app
            .post("/api/v1/jurisdictions", "siming",
                &json!({"code": "350203001997", "name": "x", "parent_code": "350203001", "level": "community"}))
            .await
            .problem(422, "unknown_field");
        assert_eq!(res.first_field(), "/level");
        assert_eq!(app.count("jurisdictions"), before);
        assert_eq!(app.audit_count("jurisdiction.create"), 0);
    }

    async fn rename_needs_if_match_and_keeps_history(app: &TestApp) {
        let path = "/api/v1/jurisdictions/350203001";
        app.patch(path, "siming", &json!({"name": "厦港街道办事处"}), None).await.problem(428, "if_match_required");
        app.patch(path, "siming", &json!({"name": "厦港街道办事处"}), Some("\"7\"")).await.problem(412, "version_mismatch");
        assert_eq!(stored(app, "350203001").unwrap().0, "厦港街道");
        let res = app.patch(path, "siming", &json!({"name": "厦港街道办事处"}), Some("\"1\"")).await.expect(200);
        assert_eq!(res.header("etag"), Some("\"2\""));
        assert_eq!(res.body["name"], "厦港街道办事处");
        assert_eq!(res.body["version"], 2);
        // The old ETag is stale now.
        app.patch(path, "siming", &json!({"name": "又一个名字"}), Some("\"1\"")).await.problem(412, "version_mismatch");
        let got = app.get(path, "xiagang").await.expect(200);
        assert_eq!(got.body["name"], "厦港街道办事处");
        assert_eq!(got.header("etag"), Some("\"2\""));
        let history = app.get(&format!("{path}/history"), "xiagang").await.expect(200);
        let entries = history.body.as_array().unwrap();
        let changes: Vec<&str> = entries.iter().map(|e| e["change"].as_str().unwrap()).collect();
        assert_eq!(changes, vec!["created", "renamed"]);
        assert_eq!(entries[1]["old_name"], "厦港街道");
        assert_eq!(entries[1]["new_name"], "厦港街道办事处");
        assert_eq!(entries[1]["actor"], "siming");
        assert_eq!(entries[1]["old_parent_code"], Value::Null);
        assert_eq!(app.audit_count("jurisdiction.rename"), 1);
        // Outside the subtree: 404; wrong role: 403; bad name: 422; nothing changes.
        app.patch("/api/v1/jurisdictions/350206001", "siming", &json!({"name": "x"}), Some("*")).await.problem(404, "not_found");
        app.patch(path, "xiagang", &json!({"name": "x"}), Some("*")).await.problem(403, "forbidden");
        app.patch(path, "siming", &json!({"name": ""}), Some("*")).await.problem(422, "length");
        assert_eq!(stored(app, "350203001").unwrap().3, 2);
        assert_eq!(stored(app, "350206001").unwrap().0, "湖里街道");
        assert_eq!(app.audit_count("jurisdiction.rename"), 1);
    }

    async fn moving_a_community_carries_its_retirees(app: &TestApp) {
        let moved = "350203001004";
        let retiree = app.create_retiree("fengchaoshan", &retiree_body(moved, 40)).await;
        let retiree_path = format!("/api/v1/retirees/{}", retiree["id"]);
        app.get(&retiree_path, "xiagang").await.expect(200);
        let move_path = format!("/api/v1/jurisdictions/{moved}/move");
        let to = json!({"parent_code": "350203003"});
        // If-Match is required and must be fresh.
        app.post(&move_path, "siming", &to).await.problem(428, "if_match_required");
        app.post_with(&move_path, "siming", &to, &[("If-Match", "\"5\"")]).await.problem(412, "version_mismatch");
        // A street user cannot move anything.
        app.post_with(&move_path, "xiagang", &to, &[("If-Match", "\"1\"")]).await.problem(403, "forbidden");
        let res = app.post_with(&move_path, "siming", &to, &[("If-Match", "\"1\"")]).await.expect(200);
        assert_eq!(res.body["parent_code"], "350203003");
        assert_eq!(res.body["code"], moved);
        assert_eq!(res.header("etag"), Some("\"2\""));
        let (_, parent, path, version) = stored(app, moved).unwrap();
        assert_eq!(parent.as_deref(), Some("350203003"));
        assert_eq!(path, "/3502/350203/350203003/350203001004/");
        assert_eq!(version, 2);
        // History.
        let history = app.get(&format!("/api/v1/jurisdictions/{moved}/history"), "siming").await.expect(200);
        let last = history.body.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["change"], "moved");
        assert_eq!(last["old_parent_code"], "350203001");
        assert_eq!(last["new_parent_code"], "350203003");
        assert_eq!(last["actor"], "siming");
        assert_eq!(app.audit_count("jurisdiction.move"), 1);
        // The tree.
        let kids = codes(&app.get("/api/v1/jurisdictions/350203003/children", "siming").await.expect(200));
        assert_eq!(kids, vec!["350203001004", "350203003001"]);
        let kids = codes(&app.get("/api/v1/jurisdictions/350203001/children", "siming").await.expect(200));
        assert_eq!(kids, vec!["350203001001"]);
        // The old street no longer sees the community nor its retiree; the district and the community do.
        app.get(&format!("/api/v1/jurisdictions/{moved}"), "xiagang").await.problem(404, "not_found");
        app.get(&retiree_path, "xiagang").await.problem(404, "not_found");
        let listed = app.get("/api/v1/retirees", "xiagang").await.expect(200);
        assert!(listed.body["items"].as_array().unwrap().is_empty(), "{}", listed.text);
        let seen = app.get(&retiree_path, "siming").await.expect(200);
        assert_eq!(seen.body["community_code"], moved);
        app.get(&retiree_path, "fengchaoshan").await.expect(200);
        assert_eq!(app.get("/api/v1/retirees?jurisdiction=350203003", "siming").await.expect(200).body["items"][0]["id"], retiree["id"]);
        // The street cannot register into it any more either.
        app.post("/api/v1/retirees", "xiagang", &retiree_body(moved, 41)).await.problem(422, "community_not_found");
        // Moving to the parent it has already is a no-op.
        let same = app.post_with(&move_path, "siming", &to, &[("If-Match", "\"2\"")]).await.expect(200);
        assert_eq!(same.body["version"], 2);
        assert_eq!(app.audit_count("jurisdiction.move"), 1);
    }

    async fn move_refusals_change_nothing(app: &TestApp) {
        let move_path = "/api/v1/jurisdictions/350203001004/move";
        // Into another district's street: the parent is not in siming's subtree.
        let res = app
            .post_with(move_path, "siming", &json!({"parent_code": "350206001"}), &[("If-Match", "\"1\"")])
            .await
            .problem(422, "jurisdiction_not_found");
        assert_eq!(res.first_field(), "/parent_code");
        // Under a community.
        app.post_with(move_path, "siming", &json!({"parent_code": "350203003001"}), &[("If-Match", "\"1\"")])
            .await
            .problem(422, "parent_level");
        // A street under its own child.
        app.post_with("/api/v1/jurisdictions/350203001/move", "siming", &json!({"parent_code": "350203001001"}), &[("If-Match", "*")])
            .await
            .problem(422, "parent_level");
        // A node outside the subtree cannot be moved in.
        app.post_with("/api/v1/jurisdictions/350206001001/move", "siming", &json!({"parent_code": "350203001"}), &[("If-Match", "*")])
            .await
            .problem(404, "not_found");
        // Malformed parent code.
        let res = app
            .post_with(move_path, "siming", &json!({"parent_code": "abc"}), &[("If-Match", "\"1\"")])
            .await
            .problem(422, "jurisdiction_code_format");
        assert_eq!(res.first_field(), "/parent_code");
        let (_, parent, path, version) = stored(app, "350203001004").unwrap();
        assert_eq!((parent.as_deref(), path.as_str(), version), (Some("350203001"), "/3502/350203/350203001/350203001004/", 1));
        let (_, parent, _, version) = stored(app, "350206001001").unwrap();
        assert_eq!((parent.as_deref(), version), (Some("350206001"), 1));
        assert_eq!(app.audit_count("jurisdiction.move"), 0);
    }

    async fn moving_a_street_rewrites_its_whole_subtree(app: &TestApp) {
        let retiree = app.create_retiree("hongshan", &retiree_body("350203001001", 42)).await;
        let retiree_path = format!("/api/v1/retirees/{}", retiree["id"]);
        let res = app
            .post_with("/api/v1/jurisdictions/350203001/move", "city", &json!({"parent_code": "350206"}), &[("If-Match", "\"1\"")])
            .await
            .expect(200);
        assert_eq!(res.body["parent_code"], "350206");
        for (code, path) in [
            ("350203001", "/3502/350206/350203001/"),
            ("350203001001", "/3502/350206/350203001/350203001001/"),
            ("350203001004", "/3502/350206/350203001/350203001004/"),
        ] {
            assert_eq!(stored(app, code).unwrap().2, path, "{code}");
        }
        // Untouched neighbours.
        assert_eq!(stored(app, "350203003001").unwrap().2, "/3502/350203/350203003/350203003001/");
        assert_eq!(stored(app, "350206001001").unwrap().2, "/3502/350206/350206001/350206001001/");
        // The retiree now belongs to 湖里's subtree.
        app.get(&retiree_path, "siming").await.problem(404, "not_found");
        app.get(&retiree_path, "huli").await.expect(200);
        app.get(&retiree_path, "xiagang").await.expect(200);
        let kids = codes(&app.get("/api/v1/jurisdictions/350206/children", "huli").await.expect(200));
        assert_eq!(kids, vec!["350203001", "350206001"]);
    }
}
