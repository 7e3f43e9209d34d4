//! Tokens: issue, validation (expired, audience, signature, alg none), throttling, account state, `me`.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends! {
    async fn password_login_issues_a_working_token(app: &TestApp) {
        let res = app
            .request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")],
                Some(json!({"grant_type": "password", "username": "hongshan", "password": PASSWORD}).to_string().into_bytes()))
            .await
            .expect(200);
        assert_eq!(res.body["token_type"], "Bearer");
        assert_eq!(res.body["expires_in"], 3600);
        let token = res.body["access_token"].as_str().unwrap().to_owned();
        let me = app.request("GET", "/api/v1/auth/me", Some(&token), &[], None).await.expect(200);
        assert_eq!(me.body["login"], "hongshan");
        assert_eq!(me.body["role"], "community");
        assert_eq!(me.body["jurisdiction"], "350203001001");
        assert!(me.body["permissions"].as_array().unwrap().contains(&json!("retiree.write")));
        assert_eq!(app.audit_count("auth.login"), 1);
    }

    async fn client_credentials_login(app: &TestApp) {
        let res = app
            .request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")],
                Some(json!({"grant_type": "client_credentials", "client_id": "platform", "client_secret": PASSWORD}).to_string().into_bytes()))
            .await
            .expect(200);
        let token = res.body["access_token"].as_str().unwrap().to_owned();
        let me = app.request("GET", "/api/v1/auth/me", Some(&token), &[], None).await.expect(200);
        assert_eq!(me.body["kind"], "service");
        assert_eq!(me.body["role"], "integration");
        // A service account cannot use the password grant, nor a user the client grant.
        app.request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")],
            Some(json!({"grant_type": "password", "username": "platform", "password": PASSWORD}).to_string().into_bytes()))
            .await
            .problem(401, "invalid_credentials");
    }

    async fn wrong_password_is_401_audited_and_then_throttled(app: &TestApp) {
        let body = json!({"grant_type": "password", "username": "city", "password": "wrong-password"}).to_string();
        for _ in 0..3 {
            app.request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")], Some(body.clone().into_bytes()))
                .await
                .problem(401, "invalid_credentials");
        }
        // The lock (LOGIN_MAX_FAILURES=3 in tests) refuses even the right password.
        let good = json!({"grant_type": "password", "username": "city", "password": PASSWORD}).to_string();
        let res = app
            .request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")], Some(good.into_bytes()))
            .await
            .problem(429, "login_throttled");
        let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=120).contains(&retry), "Retry-After {retry}");
        // Other accounts are not affected.
        app.request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")],
            Some(json!({"grant_type": "password", "username": "siming", "password": PASSWORD}).to_string().into_bytes()))
            .await
            .expect(200);
        let failures = app.get("/api/v1/audit-log?action=auth.login&actor=city", "auditor").await.expect(200);
        let items = failures.body["items"].as_array().unwrap();
        let outcomes: Vec<&str> = items.iter().map(|e| e["outcome"].as_str().unwrap()).collect();
        // Newest first: the refused attempt while locked, then the three failures.
        assert_eq!(outcomes, ["throttled", "failed", "failed", "failed"]);
        assert_eq!(items[1]["detail"]["locked"], true);
        assert_eq!(items[3]["detail"]["locked"], false);
    }

    async fn unknown_user_is_401_like_a_wrong_password(app: &TestApp) {
        app.request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")],
            Some(json!({"grant_type": "password", "username": "nobody", "password": "whatever-password"}).to_string().into_bytes()))
            .await
            .problem(401, "invalid_credentials");
    }

    async fn bad_token_requests_are_401(app: &TestApp) {
        let path = "/api/v1/retirees";
        app.request("GET", path, None, &[], None).await.problem(401, "missing_token");
        // Expired.
        let expired = sign(&claims("city", "user", "city_centre", "3502", -120), SECRET);
        app.request("GET", path, Some(&expired), &[], None).await.problem(401, "token_expired");
        // Wrong audience.
        let mut c = claims("city", "user", "city_centre", "3502", 600);
        c.aud = "another-service".into();
        app.request("GET", path, Some(&sign(&c, SECRET)), &[], None).await.problem(401, "invalid_token");
        // Wrong issuer.
        let mut c = claims("city", "user", "city_centre", "3502", 600);
        c.iss = "someone-else".into();
        app.request("GET", path, Some(&sign(&c, SECRET)), &[], None).await.problem(401, "invalid_token");
        // Tampered signature: signed with another key.
        let forged = sign(&claims("city", "user", "city_centre", "3502", 600), "another-secret-another-secret-another");
        app.request("GET", path, Some(&forged), &[], None).await.problem(401, "invalid_token");
        // Tampered payload: the role changed after signing.
        let good = app.token("hongshan");
        let parts: Vec<&str> = good.split('.').collect();
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload: serde_json::Value = serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
        payload["sub"] = json!("city");
        let tampered = format!("{}.{}.{}", parts[0], engine.encode(payload.to_string()), parts[2]);
        app.request("GET", path, Some(&tampered), &[], None).await.problem(401, "invalid_token");
        // alg: none.
        let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let body = engine.encode(serde_json::to_string(&claims("city", "user", "city_centre", "3502", 600)).unwrap());
        app.request("GET", path, Some(&format!("{header}.{body}.")), &[], None).await.problem(401, "invalid_token");
        // Garbage.
        app.request("GET", path, Some("not-a-jwt"), &[], None).await.problem(401, "invalid_token");
        // Missing exp is refused (exp is required).
        #[derive(serde::Serialize)]
        struct NoExp<'a> { sub: &'a str, kind: &'a str, role: &'a str, jurisdiction: &'a str, iat: i64, iss: &'a str, aud: &'a str }
        let no_exp = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &NoExp { sub: "city", kind: "user", role: "city_centre", jurisdiction: "3502", iat: 0, iss: ISSUER, aud: AUDIENCE },
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        ).unwrap();
        app.request("GET", path, Some(&no_exp), &[], None).await.problem(401, "invalid_token");
        // The good token still works.
        app.request("GET", path, Some(&good), &[], None).await.expect(200);
    }

    async fn disabled_account_loses_access_at_once(app: &TestApp) {
        let token = app.token("fengchaoshan");
        app.request("GET", "/api/v1/retirees", Some(&token), &[], None).await.expect(200);
        let user = app.get("/api/v1/users?limit=500", "admin").await.expect(200);
        let id = user.body["items"].as_array().unwrap().iter().find(|u| u["username"] == "fengchaoshan").unwrap()["id"].as_i64().unwrap();
        let current = app.get(&format!("/api/v1/users/{id}"), "admin").await.expect(200);
        let etag = current.header("etag").unwrap().to_owned();
        app.patch(&format!("/api/v1/users/{id}"), "admin", &json!({"active": false}), Some(&etag)).await.expect(200);
        app.request("GET", "/api/v1/retirees", Some(&token), &[], None).await.problem(401, "account_inactive");
        app.request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")],
            Some(json!({"grant_type": "password", "username": "fengchaoshan", "password": PASSWORD}).to_string().into_bytes()))
            .await
            .problem(401, "invalid_credentials");
    }

    async fn token_request_validation(app: &TestApp) {
        app.request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")], Some(b"{".to_vec()))
            .await
            .problem(400, "invalid_json");
        let res = app.request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")],
            Some(json!({"grant_type": "password", "username": "city"}).to_string().into_bytes()))
            .await
            .problem(422, "required");
        assert_eq!(res.first_field(), "/password");
        app.request("POST", "/api/v1/auth/token", None, &[("Content-Type", "text/plain")], Some(b"x".to_vec()))
            .await
            .problem(415, "unsupported_media_type");
        app.request("POST", "/api/v1/auth/token", None, &[("Content-Type", "application/json")],
            Some(json!({"grant_type": "magic"}).to_string().into_bytes()))
            .await
            .problem(422, "invalid_enum");
    }
}
