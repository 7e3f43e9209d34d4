//! Operations endpoints and cross-cutting behaviour: health, readiness, metrics, the OpenAPI document and its UI,
//! unknown paths, request ids, enumerations.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

async fn anonymous(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Resp {
    app.request("GET", path, None, headers, None).await
}

both_backends! {
    async fn healthz_and_readyz(app: &TestApp) {
        let res = anonymous(app, "/healthz", &[]).await.expect(200);
        assert_eq!(res.body, json!({"status": "ok"}));
        assert_eq!(res.header("content-type"), Some("application/json"));
        let res = anonymous(app, "/readyz", &[]).await.expect(200);
        let database = match app.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        assert_eq!(res.body, json!({"status": "ok", "database": database}));
    }

    async fn metrics_count_requests_by_route(app: &TestApp) {
        anonymous(app, "/healthz", &[]).await.expect(200);
        anonymous(app, "/healthz", &[]).await.expect(200);
        app.get("/api/v1/retirees/12345", "city").await.problem(404, "not_found");
        let res = anonymous(app, "/metrics", &[]).await.expect(200);
        assert!(res.header("content-type").is_some_and(|t| t.starts_with("text/plain")), "{:?}", res.header("content-type"));
        let text = &res.text;
        assert!(text.contains("# TYPE http_requests_total counter"), "{text}");
        assert!(text.contains("http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("http_requests_total{method=\"GET\",route=\"/api/v1/retirees/{id}\",status=\"404\"} 1"), "{text}");
        assert!(text.contains("http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 2"), "{text}");
        assert!(text.contains("db_pool_connections "), "{text}");
        // The route label is the pattern, never the raw path with ids in it.
        assert!(!text.contains("/api/v1/retirees/12345"), "{text}");
    }

    async fn openapi_document_and_docs_ui(app: &TestApp) {
        let res = anonymous(app, "/openapi.json", &[]).await.expect(200);
        assert!(res.header("content-type").is_some_and(|t| t.starts_with("application/json")));
        assert!(res.body["openapi"].as_str().is_some_and(|v| v.starts_with('3')), "{}", res.body["openapi"]);
        let paths = res.body["paths"].as_object().unwrap();
        for path in ["/api/v1/retirees", "/api/v1/retirees/{id}", "/api/v1/jurisdictions", "/api/v1/jurisdictions/{code}/move",
            "/api/v1/imports/jurisdictions", "/api/v1/users", "/api/v1/service-accounts/{id}/rotate-secret", "/api/v1/auth/token",
            "/api/v1/audit-log", "/api/v1/meta/enums", "/healthz", "/readyz", "/metrics"] {
            assert!(paths.contains_key(path), "{path} missing from {:?}", paths.keys().collect::<Vec<_>>());
        }
        assert!(paths["/api/v1/retirees"]["post"].is_object());
        assert!(paths["/api/v1/retirees"]["get"].is_object());
        let docs = anonymous(app, "/docs/", &[]).await.expect(200);
        assert!(docs.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{:?}", docs.header("content-type"));
        assert!(docs.text.to_ascii_lowercase().contains("<html"), "{}", docs.text);
    }

    async fn unknown_paths_are_404_problems(app: &TestApp) {
        let res = anonymous(app, "/no/such/path", &[]).await.problem(404, "not_found");
        assert_eq!(res.body["instance"], "/no/such/path");
        assert_eq!(res.body["type"], "urn:retiree-service:problem:not_found");
        // Under the API prefix too, with or without a token.
        app.get("/api/v1/nothing-here", "city").await.problem(404, "not_found");
        anonymous(app, "/api/v1/nothing-here", &[]).await.problem(404, "not_found");
        // English on request.
        let en = anonymous(app, "/no/such/path", &[("Accept-Language", "en-US,en;q=0.9")]).await.problem(404, "not_found");
        assert_eq!(en.body["title"], "Not Found");
        assert_eq!(en.body["detail"], "no such resource");
    }

    async fn known_paths_with_other_methods_are_405_with_allow(app: &TestApp) {
        let token = app.token("city");
        let res = app.request("PUT", "/api/v1/retirees", Some(&token), &[], None).await.problem(405, "method_not_allowed");
        assert_eq!(res.header("allow"), Some("GET, POST"));
        let res = app.request("DELETE", "/api/v1/retirees/42", Some(&token), &[], None).await.problem(405, "method_not_allowed");
        assert_eq!(res.header("allow"), Some("GET, PATCH"));
        let res = app.request("POST", "/healthz", None, &[], None).await.problem(405, "method_not_allowed");
        assert_eq!(res.header("allow"), Some("GET"));
        // Nothing changed and nothing was created by the refused calls.
        assert_eq!(app.count("retirees"), 0);
        // A fixed path that a parameter route would also take (`/retirees/{id}`, `/imports/{id}`).
        let res = app.request("PATCH", "/api/v1/retirees/search", Some(&token), &[], None).await.problem(405, "method_not_allowed");
        assert_eq!(res.header("allow"), Some("POST"));
        let res = app.request("GET", "/api/v1/imports/retirees", Some(&token), &[], None).await.problem(405, "method_not_allowed");
        assert_eq!(res.header("allow"), Some("POST"));
        // An unknown path stays 404.
        app.request("PUT", "/api/v1/retirees/42/nothing", Some(&token), &[], None).await.problem(404, "not_found");
    }

    async fn request_ids_are_echoed_or_generated(app: &TestApp) {
        let res = anonymous(app, "/healthz", &[("X-Request-Id", "abc-123_XYZ")]).await.expect(200);
        assert_eq!(res.header("x-request-id"), Some("abc-123_XYZ"));
        // Missing: a fresh id, different on every request.
        let a = anonymous(app, "/healthz", &[]).await.expect(200);
        let b = anonymous(app, "/healthz", &[]).await.expect(200);
        let (a, b) = (a.header("x-request-id").unwrap().to_owned(), b.header("x-request-id").unwrap().to_owned());
        assert!(!a.is_empty() && a.bytes().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
        // Not sane (spaces, too long): replaced.
        let odd = anonymous(app, "/healthz", &[("X-Request-Id", "a b <script>")]).await.expect(200);
        let replaced = odd.header("x-request-id").unwrap();
        assert!(!replaced.is_empty() && replaced != "a b <script>", "{replaced}");
        let long = "x".repeat(65);
        let res = anonymous(app, "/healthz", &[("X-Request-Id", &long)]).await.expect(200);
        assert_ne!(res.header("x-request-id"), Some(long.as_str()));
        // Problems carry the same id in the body.
        let res = anonymous(app, "/no/such/path", &[("X-Request-Id", "trace-42")]).await.problem(404, "not_found");
        assert_eq!(res.header("x-request-id"), Some("trace-42"));
        assert_eq!(res.body["request_id"], "trace-42");
        let res = anonymous(app, "/api/v1/retirees", &[]).await.problem(401, "missing_token");
        let generated = res.header("x-request-id").unwrap();
        assert!(!generated.is_empty());
        assert_eq!(res.body["request_id"], generated);
        let res = app.get("/api/v1/audit-log", "city").await.problem(403, "forbidden");
        assert_eq!(res.body["request_id"], res.header("x-request-id").unwrap());
        let token = app.token("hongshan");
        let res = app
            .request("POST", "/api/v1/retirees", Some(&token), &[("Content-Type", "application/json"), ("X-Request-Id", "req-7")], Some(b"{}".to_vec()))
            .await;
        assert_eq!(res.status.as_u16(), 422, "{}", res.text);
        assert_eq!(res.body["request_id"], "req-7");
        // A write records the request id in the audit log.
        let res = app.post_with("/api/v1/retirees", "hongshan", &retiree_body("350203001001", 70), &[("X-Request-Id", "req-audit-1")]).await.expect(201);
        assert_eq!(res.header("x-request-id"), Some("req-audit-1"));
        let log = app.get("/api/v1/audit-log?action=retiree.create", "auditor").await.expect(200);
        assert_eq!(log.body["items"][0]["request_id"], "req-audit-1");
    }

    async fn enums_with_chinese_labels(app: &TestApp) {
        let res = app.get("/api/v1/meta/enums", "hongshan").await.expect(200);
        let enums = &res.body["enums"];
        let category = enums["category"].as_array().unwrap();
        assert!(category.contains(&json!({"code": "enterprise_employee", "label": "企业职工"})), "{category:?}");
        assert_eq!(category.len(), domain::Category::ALL.len());
        let roles: Vec<&str> = enums["role"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
        assert_eq!(roles, domain::Role::codes());
        assert!(enums["jurisdiction_level"].as_array().unwrap().contains(&json!({"code": "community", "label": "社区（村）"})));
        for name in ["sex", "management_level", "pension_status", "special_group", "relation", "permission"] {
            assert!(enums[name].as_array().is_some_and(|v| !v.is_empty()), "{name}");
        }
        anonymous(app, "/api/v1/meta/enums", &[]).await.problem(401, "missing_token");
    }
}

both_backends! {
    async fn every_answer_is_not_stored_and_not_sniffed(app: &TestApp) {
        // Issue 21.8: personal data must not linger in caches, and no answer is sniffed into another type.
        let token = app.token("city");
        let bearer = Some(token.as_str());
        let json_body = Some(br#"{"name": 1}"#.to_vec());
        let answers = [
            ("GET /healthz", anonymous(app, "/healthz", &[]).await),
            ("GET /readyz", anonymous(app, "/readyz", &[]).await),
            ("GET /metrics", anonymous(app, "/metrics", &[]).await),
            ("GET /openapi.json", anonymous(app, "/openapi.json", &[]).await),
            ("GET list", app.request("GET", "/api/v1/retirees", bearer, &[], None).await.expect(200)),
            ("GET 404", app.request("GET", "/api/v1/retirees/12345", bearer, &[], None).await.expect(404)),
            ("GET 401", app.request("GET", "/api/v1/retirees", None, &[], None).await.expect(401)),
            ("GET unknown path", anonymous(app, "/nowhere", &[]).await.expect(404)),
            ("GET bad query", app.request("GET", "/api/v1/events?limit=0", bearer, &[], None).await),
            ("GET NUL in query", anonymous(app, "/api/v1/retirees?x=%00", &[]).await.expect(400)),
            ("POST 422", app.request("POST", "/api/v1/retirees", bearer, &[("Content-Type", "application/json")], json_body).await),
        ];
        for (what, res) in answers {
            assert_eq!(res.header("cache-control"), Some("no-store"), "{what}: {}", res.status);
            assert_eq!(res.header("x-content-type-options"), Some("nosniff"), "{what}: {}", res.status);
        }
    }
}
