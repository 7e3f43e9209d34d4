//! Users and service accounts over HTTP: creation by admins in their subtree, login, scope of lists and reads,
//! updates with If-Match, self-protection, and service-account secrets (shown once, rotated).

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// Posts JSON without a token.
async fn post_anonymous(app: &TestApp, path: &str, body: &Value) -> Resp {
    app.request("POST", path, None, &[("Content-Type", "application/json")], Some(body.to_string().into_bytes())).await
}

async fn password_login(app: &TestApp, username: &str, password: &str) -> Resp {
    post_anonymous(
        app,
        "/api/v1/auth/token",
        &json!({"grant_type": "password", "username": username, "password": password}),
    )
    .await
}

async fn client_login(app: &TestApp, client_id: &str, secret: &str) -> Resp {
    post_anonymous(
        app,
        "/api/v1/auth/token",
        &json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}),
    )
    .await
}

/// Id of a fixture user, read from the database.
fn account_id(app: &TestApp, login: &str) -> i64 {
    use diesel::prelude::*;
    use persistence::schema::accounts::dsl;
    dsl::accounts.filter(dsl::login.eq(login)).select(dsl::id).first(&mut *app.conn()).unwrap()
}

fn new_user(username: &str, role: &str, jurisdiction: &str) -> Value {
    json!({"username": username, "password": "a-long-passphrase", "display_name": "新用户 王工作人员", "role": role, "jurisdiction": jurisdiction})
}

both_backends! {
    async fn admin_creates_a_user_who_can_log_in(app: &TestApp) {
        let before = app.count("accounts");
        let res = app.post("/api/v1/users", "siming_admin", &new_user("hongshan02", "community", "350203001001")).await.expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/users/{id}").as_str()));
        assert_eq!(res.header("etag"), Some("\"1\""));
        assert_eq!(res.body["username"], "hongshan02");
        assert_eq!(res.body["display_name"], "新用户 王工作人员");
        assert_eq!(res.body["role"], "community");
        assert_eq!(res.body["jurisdiction"], "350203001001");
        assert_eq!(res.body["active"], true);
        assert_eq!(res.body["version"], 1);
        // Neither the password nor its hash is ever sent back.
        let obj = res.body.as_object().unwrap();
        assert!(!obj.contains_key("password") && !obj.contains_key("secret_hash"), "{}", res.text);
        assert!(!res.text.contains("a-long-passphrase") && !res.text.contains("argon2"), "{}", res.text);
        assert_eq!(app.count("accounts"), before + 1);
        assert_eq!(app.audit_count("user.create"), 1);
        // The stored secret is an argon2 hash, not the password.
        assert_eq!(account_id(app, "hongshan02"), id);
        let hash: String = {
            use diesel::prelude::*;
            use persistence::schema::accounts::dsl;
            dsl::accounts.find(id).select(dsl::secret_hash).first(&mut *app.conn()).unwrap()
        };
        assert!(hash.starts_with("$argon2id$") && !hash.contains("a-long-passphrase"), "{hash}");
        // Log in with the password; the token works and shows the role and node.
        let login = password_login(app, "hongshan02", "a-long-passphrase").await.expect(200);
        let token = login.body["access_token"].as_str().unwrap().to_owned();
        let me = app.request("GET", "/api/v1/auth/me", Some(&token), &[], None).await.expect(200);
        assert_eq!(me.body["login"], "hongshan02");
        assert_eq!(me.body["role"], "community");
        assert_eq!(me.body["jurisdiction"], "350203001001");
        assert_eq!(me.body["id"], id);
        password_login(app, "hongshan02", "wrong-passphrase").await.problem(401, "invalid_credentials");
        // The admin reads it back, with the same ETag.
        let got = app.get(&format!("/api/v1/users/{id}"), "siming_admin").await.expect(200);
        assert_eq!(got.header("etag"), Some("\"1\""));
        assert_eq!(got.body["username"], "hongshan02");
        assert!(!got.text.contains("argon2"));
    }

    async fn user_creation_refusals(app: &TestApp) {
        let before = app.count("accounts");
        // The username exists already (also when it belongs to a service account or lies outside the subtree).
        app.post("/api/v1/users", "admin", &new_user("hongshan", "community", "350203001001")).await.problem(409, "login_taken");
        app.post("/api/v1/users", "siming_admin", &new_user("platform", "community", "350203001001")).await.problem(409, "login_taken");
        app.post("/api/v1/users", "siming_admin", &new_user("huli", "community", "350203001001")).await.problem(409, "login_taken");
        // A node outside siming_admin's subtree, or none at all.
        let res = app.post("/api/v1/users", "siming_admin", &new_user("huli02", "community", "350206001001")).await.problem(422, "jurisdiction_not_found");
        assert_eq!(res.first_field(), "/jurisdiction");
        app.post("/api/v1/users", "siming_admin", &new_user("city02", "city_centre", "3502")).await.problem(422, "jurisdiction_not_found");
        app.post("/api/v1/users", "admin", &new_user("nowhere", "community", "350203999999")).await.problem(422, "jurisdiction_not_found");
        // Password too short; username malformed; unknown role.
        let mut body = new_user("shorty", "community", "350203001001");
        body["password"] = json!("short");
        let res = app.post("/api/v1/users", "admin", &body).await.problem(422, "password_length");
        assert_eq!(res.first_field(), "/password");
        let res = app.post("/api/v1/users", "admin", &new_user("a b", "community", "350203001001")).await.problem(422, "username_format");
        assert_eq!(res.first_field(), "/username");
        let res = app.post("/api/v1/users", "admin", &new_user("boss", "emperor", "350203001001")).await.problem(422, "invalid_enum");
        assert_eq!(res.first_field(), "/role");
        // Roles other than admin: 403 on create and list.
        for login in ["city", "siming", "auditor", "platform"] {
            app.post("/api/v1/users", login, &new_user("sneaky", "admin", "3502")).await.problem(403, "forbidden");
            app.get("/api/v1/users", login).await.problem(403, "forbidden");
            app.get("/api/v1/service-accounts", login).await.problem(403, "forbidden");
        }
        assert_eq!(app.count("accounts"), before);
        assert_eq!(app.audit_count("user.create"), 0);
    }

    async fn list_and_read_stay_in_the_admins_subtree(app: &TestApp) {
        let res = app.get("/api/v1/users?limit=500", "siming_admin").await.expect(200);
        let mut got: Vec<String> = res.body["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect();
        got.sort();
        let mut expected: Vec<String> =
            ACCOUNTS.iter().filter(|a| a.1 == "user" && a.3.starts_with("350203")).map(|a| a.0.to_owned()).collect();
        expected.sort();
        assert_eq!(got, expected);
        // The city admin sees every user, ordered by id, and no service account among them.
        let all = app.get("/api/v1/users?limit=500", "admin").await.expect(200);
        let items = all.body["items"].as_array().unwrap();
        assert_eq!(items.len(), ACCOUNTS.iter().filter(|a| a.1 == "user").count());
        let ids: Vec<i64> = items.iter().map(|u| u["id"].as_i64().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        // Pages of 5 cover the same users.
        let mut paged = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/users?limit=5&cursor={c}"),
                None => "/api/v1/users?limit=5".to_owned(),
            };
            let page = app.get(&path, "admin").await.expect(200);
            paged.extend(page.body["items"].as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()));
            cursor = page.body["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
            assert!(paged.len() <= ids.len());
        }
        assert_eq!(paged, ids);
        // A user above or beside the subtree: 404.
        app.get(&format!("/api/v1/users/{}", account_id(app, "admin")), "siming_admin").await.problem(404, "not_found");
        app.get(&format!("/api/v1/users/{}", account_id(app, "huli")), "siming_admin").await.problem(404, "not_found");
        app.get(&format!("/api/v1/users/{}", account_id(app, "xiagang")), "siming_admin").await.expect(200);
        // A service account is not a user.
        app.get(&format!("/api/v1/users/{}", account_id(app, "platform")), "admin").await.problem(404, "not_found");
        app.get("/api/v1/users/999999", "admin").await.problem(404, "not_found");
        // Nor can it be changed from outside.
        let huli = account_id(app, "huli");
        app.patch(&format!("/api/v1/users/{huli}"), "siming_admin", &json!({"active": false}), Some("*")).await.problem(404, "not_found");
        app.get("/api/v1/retirees", "huli").await.expect(200);
    }

    async fn role_change_needs_if_match_and_takes_effect_at_once(app: &TestApp) {
        let id = account_id(app, "hongshan");
        let path = format!("/api/v1/users/{id}");
        let token = app.token("hongshan");
        // Before: a community worker may register retirees.
        app.post("/api/v1/retirees", "hongshan", &retiree_body("350203001001", 60)).await.expect(201);
        app.patch(&path, "admin", &json!({"role": "group_leader"}), None).await.problem(428, "if_match_required");
        app.patch(&path, "admin", &json!({"role": "group_leader"}), Some("\"9\"")).await.problem(412, "version_mismatch");
        let res = app.patch(&path, "admin", &json!({"role": "group_leader"}), Some("\"1\"")).await.expect(200);
        assert_eq!(res.body["role"], "group_leader");
        assert_eq!(res.header("etag"), Some("\"2\""));
        assert_eq!(res.body["version"], 2);
        app.patch(&path, "admin", &json!({"role": "street"}), Some("\"1\"")).await.problem(412, "version_mismatch");
        assert_eq!(app.audit_count("user.update"), 1);
        // The same token now carries the new role: the service reads it from the database.
        let me = app.request("GET", "/api/v1/auth/me", Some(&token), &[], None).await.expect(200);
        assert_eq!(me.body["role"], "group_leader");
        app.post("/api/v1/retirees", "hongshan", &retiree_body("350203001001", 61)).await.problem(403, "forbidden");
        // Moving a user out of the admin's subtree is refused.
        app.patch(&path, "siming_admin", &json!({"jurisdiction": "350206001001"}), Some("\"2\"")).await.problem(422, "jurisdiction_not_found");
        // Bad values.
        app.patch(&path, "admin", &json!({"role": "emperor"}), Some("\"2\"")).await.problem(422, "invalid_enum");
        app.patch(&path, "admin", &json!({"password": "short"}), Some("\"2\"")).await.problem(422, "password_length");
        app.patch(&path, "admin", &json!({"username": "renamed"}), Some("\"2\"")).await.problem(422, "unknown_field");
        assert_eq!(app.get(&path, "admin").await.expect(200).body["version"], 2);
        // A new password works and the old one stops working.
        app.patch(&path, "admin", &json!({"password": "another-long-passphrase"}), Some("\"2\"")).await.expect(200);
        password_login(app, "hongshan", PASSWORD).await.problem(401, "invalid_credentials");
        password_login(app, "hongshan", "another-long-passphrase").await.expect(200);
    }

    async fn admin_cannot_lock_itself_out(app: &TestApp) {
        let id = account_id(app, "admin");
        let path = format!("/api/v1/users/{id}");
        for change in [json!({"active": false}), json!({"role": "auditor"}), json!({"jurisdiction": "350203"})] {
            app.patch(&path, "admin", &change, Some("*")).await.problem(422, "cannot_change_own_access");
        }
        let got = app.get(&path, "admin").await.expect(200);
        assert_eq!(got.body["active"], true);
        assert_eq!(got.body["role"], "admin");
        assert_eq!(got.body["jurisdiction"], "3502");
        assert_eq!(got.body["version"], 1);
        // Its own display name is fine.
        let res = app.patch(&path, "admin", &json!({"display_name": "系统管理员"}), Some("\"1\"")).await.expect(200);
        assert_eq!(res.body["display_name"], "系统管理员");
        // Another admin may disable it.
        let sub = app.post("/api/v1/users", "admin", &new_user("admin2", "admin", "3502")).await.expect(201);
        let token = app.token("admin2");
        app.request("GET", "/api/v1/users", Some(&token), &[], None).await.expect(200);
        app.patch(&path, "admin2", &json!({"active": false}), Some("\"2\"")).await.expect(200);
        app.get("/api/v1/users", "admin").await.problem(401, "account_inactive");
        assert_eq!(sub.body["role"], "admin");
    }

    async fn service_account_secret_is_shown_once_and_rotates(app: &TestApp) {
        let res = app
            .post("/api/v1/service-accounts", "admin", &json!({"name": "市大数据平台", "role": "integration", "jurisdiction": "3502"}))
            .await
            .expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/service-accounts/{id}").as_str()));
        assert_eq!(res.header("etag"), Some("\"1\""));
        let client_id = res.body["client_id"].as_str().unwrap().to_owned();
        let secret = res.body["client_secret"].as_str().unwrap().to_owned();
        assert!(client_id.starts_with("svc-") && client_id.len() > 4, "{client_id}");
        assert!(secret.len() >= 32, "{secret}");
        assert_eq!(res.body["name"], "市大数据平台");
        assert_eq!(res.body["role"], "integration");
        assert_eq!(app.audit_count("service_account.create"), 1);
        // Not shown again, neither in the read nor in the list, nor stored in clear.
        let got = app.get(&format!("/api/v1/service-accounts/{id}"), "admin").await.expect(200);
        assert_eq!(got.body["client_secret"], Value::Null);
        assert_eq!(got.body["client_id"], client_id.as_str());
        assert_eq!(got.header("etag"), Some("\"1\""));
        let list = app.get("/api/v1/service-accounts", "admin").await.expect(200);
        let items = list.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "the fixture's platform and the new one");
        assert!(items.iter().all(|s| s["client_secret"].is_null()));
        assert!(!list.text.contains(&secret) && !got.text.contains(&secret));
        // A service account is not listed among users.
        let users = app.get("/api/v1/users?limit=500", "admin").await.expect(200);
        assert!(!users.text.contains(&client_id));
        // The secret works with client_credentials (and not with the password grant).
        let login = client_login(app, &client_id, &secret).await.expect(200);
        let token = login.body["access_token"].as_str().unwrap().to_owned();
        let me = app.request("GET", "/api/v1/auth/me", Some(&token), &[], None).await.expect(200);
        assert_eq!(me.body["kind"], "service");
        assert_eq!(me.body["login"], client_id.as_str());
        password_login(app, &client_id, &secret).await.problem(401, "invalid_credentials");
        // Rotation needs If-Match.
        let admin = app.token("admin");
        let rotate = format!("/api/v1/service-accounts/{id}/rotate-secret");
        app.request("POST", &rotate, Some(&admin), &[], None).await.problem(428, "if_match_required");
        app.request("POST", &rotate, Some(&admin), &[("If-Match", "\"3\"")], None).await.problem(412, "version_mismatch");
        client_login(app, &client_id, &secret).await.expect(200);
        let rotated = app.request("POST", &rotate, Some(&admin), &[("If-Match", "\"1\"")], None).await.expect(200);
        assert_eq!(rotated.header("etag"), Some("\"2\""));
        assert_eq!(rotated.body["client_id"], client_id.as_str());
        let new_secret = rotated.body["client_secret"].as_str().unwrap().to_owned();
        assert_ne!(new_secret, secret);
        client_login(app, &client_id, &secret).await.problem(401, "invalid_credentials");
        client_login(app, &client_id, &new_secret).await.expect(200);
        assert_eq!(app.audit_count("service_account.rotate_secret"), 1);
        assert_eq!(app.get(&format!("/api/v1/service-accounts/{id}"), "admin").await.body["client_secret"], Value::Null);
        // Outside siming_admin's subtree (the account sits at 3502): 404 for read and rotate.
        app.get(&format!("/api/v1/service-accounts/{id}"), "siming_admin").await.problem(404, "not_found");
        let siming_admin = app.token("siming_admin");
        app.request("POST", &rotate, Some(&siming_admin), &[("If-Match", "*")], None).await.problem(404, "not_found");
        client_login(app, &client_id, &new_secret).await.expect(200);
        // Disabling it stops it.
        app.patch(&format!("/api/v1/service-accounts/{id}"), "admin", &json!({"active": false}), Some("\"2\"")).await.expect(200);
        client_login(app, &client_id, &new_secret).await.problem(401, "invalid_credentials");
        app.request("GET", "/api/v1/auth/me", Some(&token), &[], None).await.problem(401, "account_inactive");
    }

    async fn admin_service_account_cannot_change_its_own_access(app: &TestApp) {
        // The own-access guard of users (role, node, active) must hold for a service account with the admin role
        // too: otherwise it can disable itself or move itself to another node.
        let res = app
            .post("/api/v1/service-accounts", "admin", &json!({"name": "账号同步", "role": "admin", "jurisdiction": "350203"}))
            .await
            .expect(201);
        let id = res.body["id"].as_i64().unwrap();
        let login = client_login(app, res.body["client_id"].as_str().unwrap(), res.body["client_secret"].as_str().unwrap()).await.expect(200);
        let token = login.body["access_token"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/service-accounts/{id}");
        for change in [json!({"role": "auditor"}), json!({"jurisdiction": "350203001"}), json!({"active": false})] {
            let res = app
                .request("PATCH", &path, Some(&token), &[("Content-Type", "application/json"), ("If-Match", "*")], Some(change.to_string().into_bytes()))
                .await;
            assert_eq!(res.status.as_u16(), 422, "{change}: {}", res.text);
            assert_eq!(res.body["code"], "cannot_change_own_access", "{change}: {}", res.text);
        }
        let got = app.get(&path, "admin").await.expect(200);
        assert_eq!((got.body["role"].as_str(), got.body["jurisdiction"].as_str(), got.body["active"].as_bool()), (Some("admin"), Some("350203"), Some(true)));
        // It may still manage other accounts in its subtree.
        app.request("GET", "/api/v1/users", Some(&token), &[], None).await.expect(200);
    }

    async fn service_account_refusals(app: &TestApp) {
        let before = app.count("accounts");
        let res = app
            .post("/api/v1/service-accounts", "siming_admin", &json!({"name": "越界平台", "role": "integration", "jurisdiction": "350206"}))
            .await
            .problem(422, "jurisdiction_not_found");
        assert_eq!(res.first_field(), "/jurisdiction");
        app.post("/api/v1/service-accounts", "admin", &json!({"name": "", "role": "integration", "jurisdiction": "3502"}))
            .await
            .problem(422, "length");
        app.post("/api/v1/service-accounts", "city", &json!({"name": "平台", "role": "integration", "jurisdiction": "3502"}))
            .await
            .problem(403, "forbidden");
        assert_eq!(app.count("accounts"), before);
        assert_eq!(app.audit_count("service_account.create"), 0);
    }

    async fn tokens_issued_before_a_password_change_or_secret_rotation_answer_401(app: &TestApp) {
        // Issue 21.2: a user's token stops working from the request after the admin sets a new password.
        let id = app.post("/api/v1/users", "admin", &new_user("tokenuser", "community", "350203001001")).await.expect(201).body["id"].as_i64().unwrap();
        let login = password_login(app, "tokenuser", "a-long-passphrase").await.expect(200);
        let old = login.body["access_token"].as_str().unwrap().to_owned();
        app.request("GET", "/api/v1/auth/me", Some(&old), &[], None).await.expect(200);
        // A change that is not a password keeps the token.
        let path = format!("/api/v1/users/{id}");
        app.patch(&path, "admin", &json!({"display_name": "改名后的用户"}), Some("\"1\"")).await.expect(200);
        app.request("GET", "/api/v1/auth/me", Some(&old), &[], None).await.expect(200);
        app.patch(&path, "admin", &json!({"password": "another-long-passphrase"}), Some("\"2\"")).await.expect(200);
        app.request("GET", "/api/v1/auth/me", Some(&old), &[], None).await.problem(401, "invalid_token");
        let login = password_login(app, "tokenuser", "another-long-passphrase").await.expect(200);
        let new = login.body["access_token"].as_str().unwrap().to_owned();
        app.request("GET", "/api/v1/auth/me", Some(&new), &[], None).await.expect(200);

        // A service account's token stops working when its secret is rotated.
        let created = app.post("/api/v1/service-accounts", "admin", &json!({"name": "令牌测试平台", "role": "integration", "jurisdiction": "3502"})).await.expect(201);
        let (svc, client_id) = (created.body["id"].as_i64().unwrap(), created.body["client_id"].as_str().unwrap().to_owned());
        let secret = created.body["client_secret"].as_str().unwrap().to_owned();
        let old = client_login(app, &client_id, &secret).await.expect(200).body["access_token"].as_str().unwrap().to_owned();
        app.request("GET", "/api/v1/auth/me", Some(&old), &[], None).await.expect(200);
        let admin = app.token("admin");
        let rotate = format!("/api/v1/service-accounts/{svc}/rotate-secret");
        let rotated = app.request("POST", &rotate, Some(&admin), &[("If-Match", "\"1\"")], None).await.expect(200);
        app.request("GET", "/api/v1/auth/me", Some(&old), &[], None).await.problem(401, "invalid_token");
        let new_secret = rotated.body["client_secret"].as_str().unwrap().to_owned();
        let new = client_login(app, &client_id, &new_secret).await.expect(200).body["access_token"].as_str().unwrap().to_owned();
        app.request("GET", "/api/v1/auth/me", Some(&new), &[], None).await.expect(200);
    }
}
