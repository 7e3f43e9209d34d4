//! The role table (`domain::roles`, `docs/roles.md`) against the running service: for every role, one account
//! at district 350203, every permission probed by a real request, and the masking of sensitive fields in the
//! list and detail views.

use domain::roles::SensitiveField;
use domain::{Permission, Role};
use persistence::accounts::NewAccount;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// The node every probe account is bound to.
const NODE: &str = "350203";

fn login_of(role: Role) -> String {
    format!("probe_{}", role.as_str())
}

/// Inserts one account per role at [`NODE`] and returns (role, token) pairs.
fn accounts_for_every_role(app: &TestApp) -> Vec<(Role, String)> {
    let hash = api::auth::hash_secret("probe-password-123").unwrap();
    let mut out = Vec::new();
    for role in Role::ALL.iter().copied() {
        let login = login_of(role);
        let kind = if role == Role::Integration { "service" } else { "user" };
        persistence::accounts::create(
            &mut app.conn(),
            &NewAccount {
                kind: kind.into(),
                login: login.clone(),
                secret_hash: hash.clone(),
                display_name: login.clone(),
                role: role.as_str().into(),
                jurisdiction_code: NODE.into(),
            },
        )
        .unwrap();
        out.push((role, sign(&claims(&login, kind, role.as_str(), NODE, 3600), SECRET)));
    }
    out
}

/// One request that needs exactly `permission`, made with `token`; `n` keeps created objects unique. The match is
/// exhaustive, so a new permission without a probe does not compile.
async fn probe(app: &TestApp, token: &str, permission: Permission, n: u16) -> Resp {
    let json_type = ("Content-Type", "application/json");
    match permission {
        Permission::JurisdictionRead => {
            app.request("GET", "/api/v1/jurisdictions/350203", Some(token), &[], None).await
        }
        Permission::JurisdictionWrite => {
            let body = json!({"name": "厦港街道"}).to_string().into_bytes();
            app.request(
                "PATCH",
                "/api/v1/jurisdictions/350203001",
                Some(token),
                &[json_type, ("If-Match", "*")],
                Some(body),
            )
            .await
        }
        Permission::JurisdictionImport => {
            let csv = format!(
                "code,name,level,parent_code\n{},角色测试社区{n},community,350203001\n",
                350_203_001_100u64 + u64::from(n)
            );
            app.request(
                "POST",
                "/api/v1/imports/jurisdictions",
                Some(token),
                &[("Content-Type", "text/csv")],
                Some(csv.into_bytes()),
            )
            .await
        }
        Permission::CalendarWrite => {
            let csv = format!("date,kind,name\n2030-01-{n:02},holiday,角色测试{n}\n");
            let headers = [("Content-Type", "text/csv")];
            app.request("POST", "/api/v1/imports/calendar", Some(token), &headers, Some(csv.into_bytes())).await
        }
        Permission::RetireeRead => app.request("GET", "/api/v1/retirees", Some(token), &[], None).await,
        Permission::RetireeWrite => {
            let body = retiree_body("350203001001", 100 + n).to_string().into_bytes();
            app.request("POST", "/api/v1/retirees", Some(token), &[json_type], Some(body)).await
        }
        Permission::AccountManage => app.request("GET", "/api/v1/users", Some(token), &[], None).await,
        Permission::AuditRead => app.request("GET", "/api/v1/audit-log", Some(token), &[], None).await,
        Permission::PolicyWrite => {
            let body =
                json!({"valid_from": format!("2026-01-{n:02}"), "preset": "xiamen-2025"}).to_string().into_bytes();
            app.request("POST", "/api/v1/jurisdictions/350203/policies", Some(token), &[json_type], Some(body)).await
        }
        Permission::RetireeExport => app.request("GET", "/api/v1/exports/retirees", Some(token), &[], None).await,
        Permission::RetireeImport => {
            // A valid header without rows: the job runs and writes nothing.
            let headers = [("Content-Type", "text/csv")];
            let file = b"name,id_number,retirement_date,category,management_level,community_code\r\n".to_vec();
            app.request("POST", "/api/v1/imports/retirees", Some(token), &headers, Some(file)).await
        }
        Permission::PensionManage => {
            let id = app.create_retiree("siming", &retiree_body("350203001001", 300 + n)).await["id"].clone();
            let body = json!({"reason": "other_legal", "note": "角色测试"}).to_string().into_bytes();
            app.request("POST", &format!("/api/v1/retirees/{id}/suspensions"), Some(token), &[json_type], Some(body))
                .await
        }
        Permission::CertificationRecord => {
            let id = app.create_retiree("siming", &retiree_body("350203001001", 400 + n)).await["id"].clone();
            let body = json!({"method": "community_worker", "certified_on": today(), "certifier_name": "王五"})
                .to_string()
                .into_bytes();
            let path = format!("/api/v1/retirees/{id}/certifications");
            app.request("POST", &path, Some(token), &[json_type], Some(body)).await
        }
        Permission::CertificationRun => {
            let body = json!({"jurisdiction": NODE, "as_of": today(), "dry_run": true}).to_string().into_bytes();
            app.request("POST", "/api/v1/certification-runs", Some(token), &[json_type], Some(body)).await
        }
        Permission::FeedSubmit => {
            let line = json!({"id_number": id_number("350203", "19400101", 501), "date": today(), "source": "probe"});
            let path = format!("/api/v1/feeds/medical_visit?batch_id=probe-{n}");
            let headers = [("Content-Type", "application/x-ndjson")];
            app.request("POST", &path, Some(token), &headers, Some(format!("{line}\n").into_bytes())).await
        }
        Permission::EventRead => app.request("GET", "/api/v1/events", Some(token), &[], None).await,
        Permission::WebhookManage => {
            let body = json!({"url": format!("http://127.0.0.1:9/probe-{n}"), "event_types": ["retiree.created"]})
                .to_string()
                .into_bytes();
            app.request("POST", "/api/v1/webhooks", Some(token), &[json_type], Some(body)).await
        }
        Permission::FundManage => {
            // A budget per role, each for its own year, so none collides with another.
            let body = json!({"jurisdiction": NODE, "year": 2000 + i32::from(n)}).to_string().into_bytes();
            app.request("POST", "/api/v1/funding/budgets", Some(token), &[json_type], Some(body)).await
        }
    }
}

/// Today in China, as the service counts it.
fn today() -> String {
    crate::helpers::today().to_string()
}

fn masked_id(id: &str) -> String {
    format!("{}********{}", &id[..6], &id[14..])
}

both_backends! {
    async fn role_table(app: &TestApp) {
        let accounts = accounts_for_every_role(app);
        assert_eq!(accounts.len(), Role::ALL.len());
        let mut mismatches = Vec::new();
        let mut probed = 0;
        for (n, (role, token)) in accounts.iter().enumerate() {
            let n = u16::try_from(n + 1).unwrap();
            // What the service says the role may do.
            let me = app.request("GET", "/api/v1/auth/me", Some(token), &[], None).await.expect(200);
            let expected: Vec<Value> = Permission::ALL.iter().filter(|p| role.allows(**p)).map(|p| json!(p.as_str())).collect();
            assert_eq!(me.body["permissions"], Value::Array(expected), "{role}");
            assert_eq!(me.body["role"], role.as_str());
            for permission in Permission::ALL.iter().copied() {
                probed += 1;
                let res = probe(app, token, permission, n).await;
                let status = res.status.as_u16();
                let ok = if role.allows(permission) {
                    (200..300).contains(&status)
                } else {
                    status == 403 && res.body["code"] == "forbidden" && res.header("content-type") == Some("application/problem+json")
                };
                if !ok {
                    mismatches.push(format!("{role} {permission}: allowed={} got {status} {}", role.allows(permission), res.text));
                }
                // An allowed write really happened.
                if role.allows(permission) && (200..300).contains(&status) {
                    match permission {
                        Permission::JurisdictionImport => assert_eq!(res.body["created"], 1, "{role}: {}", res.text),
                        Permission::CalendarWrite => assert_eq!(res.body["created"], 1, "{role}: {}", res.text),
                        Permission::RetireeWrite => assert_eq!(status, 201, "{role}"),
                        Permission::JurisdictionWrite => assert_eq!(res.body["name"], "厦港街道", "{role}"),
                        Permission::RetireeExport => assert_eq!(status, 200, "{role}: {}", res.text),
                        Permission::RetireeImport => assert_eq!(status, 202, "{role}: {}", res.text),
                        Permission::PensionManage => assert_eq!(res.body["to_status"], "suspended", "{role}: {}", res.text),
                        Permission::CertificationRecord => assert_eq!(status, 201, "{role}: {}", res.text),
                        Permission::CertificationRun => assert_eq!(status, 201, "{role}: {}", res.text),
                        Permission::FeedSubmit => assert_eq!(res.body["unmatched"], 1, "{role}: {}", res.text),
                        Permission::EventRead => assert!(res.body["items"].is_array(), "{role}: {}", res.text),
                        Permission::WebhookManage => assert_eq!(status, 201, "{role}: {}", res.text),
                        Permission::FundManage => assert_eq!(res.body["year"], 2000 + i32::from(n), "{role}: {}", res.text),
                        _ => {}
                    }
                }
            }
        }
        assert_eq!(probed, Role::ALL.len() * Permission::ALL.len());
        assert!(mismatches.is_empty(), "role table and service disagree:\n{}", mismatches.join("\n"));
        // Refused writes left nothing behind; allowed ones left exactly one thing each.
        let allowed = |p: Permission| Role::ALL.iter().filter(|r| r.allows(p)).count() as i64;
        // The pension and certification probes register one person each per role first.
        assert_eq!(app.count("retirees"), allowed(Permission::RetireeWrite) + 2 * Role::ALL.len() as i64);
        assert_eq!(app.count("pension_status_changes"), allowed(Permission::PensionManage));
        assert_eq!(app.count("certifications"), allowed(Permission::CertificationRecord));
        assert_eq!(app.count("certification_runs"), allowed(Permission::CertificationRun));
        assert_eq!(app.count("feed_batches"), allowed(Permission::FeedSubmit));
        assert_eq!(app.count("fund_budgets"), allowed(Permission::FundManage));
        assert_eq!(app.count("jurisdictions"), 11 + allowed(Permission::JurisdictionImport));
        assert_eq!(app.audit_count("jurisdiction.rename"), allowed(Permission::JurisdictionWrite));
        assert_eq!(app.audit_count("jurisdiction.import"), allowed(Permission::JurisdictionImport));
        assert_eq!(app.audit_count("calendar.import"), allowed(Permission::CalendarWrite));
        assert_eq!(app.audit_count("retiree.export"), allowed(Permission::RetireeExport));
        assert_eq!(app.count("import_jobs"), allowed(Permission::RetireeImport));
        assert_eq!(app.count("webhooks"), allowed(Permission::WebhookManage));
    }

    async fn sensitive_fields_follow_the_visibility_rows(app: &TestApp) {
        let accounts = accounts_for_every_role(app);
        let body = retiree_body("350203001001", 99);
        let created = app.create_retiree("siming", &body).await;
        let id = created["id"].as_i64().unwrap();
        let clear = |f: SensitiveField| body[f.as_str()].as_str().unwrap().to_owned();
        let masked = |f: SensitiveField| match f {
            SensitiveField::IdNumber => masked_id(body["id_number"].as_str().unwrap()),
            SensitiveField::Phone => "138****5678".to_owned(),
            SensitiveField::Address => "厦门市思明区****".to_owned(),
        };
        for f in SensitiveField::ALL {
            assert_ne!(clear(f), masked(f));
        }
        let dependant_id = id_number("350203", "19570303", 5);
        app.post(&format!("/api/v1/retirees/{id}/dependents"), "siming",
            &json!({"relation": "spouse", "id_number": dependant_id, "name": "李四", "supported": true})).await.expect(201);
        let search_body = json!({"id_number": body["id_number"]}).to_string().into_bytes();
        let mut checked = 0;
        for (role, token) in &accounts {
            if !role.allows(Permission::RetireeRead) {
                continue;
            }
            let list = app.request("GET", "/api/v1/retirees", Some(token), &[], None).await.expect(200);
            let item = list.body["items"].as_array().unwrap().iter().find(|r| r["id"] == id).cloned().unwrap();
            let search = app
                .request("POST", "/api/v1/retirees/search", Some(token), &[("Content-Type", "application/json")], Some(search_body.clone()))
                .await
                .expect(200);
            let found = search.body["items"][0].clone();
            assert_eq!(found["id"], id, "{role}: {}", search.text);
            let detail = app.request("GET", &format!("/api/v1/retirees/{id}"), Some(token), &[], None).await.expect(200).body;
            // Dependants are shown with the single-person view.
            let deps = app.request("GET", &format!("/api/v1/retirees/{id}/dependents"), Some(token), &[], None).await.expect(200).body;
            let dep_clear = role.visibility(SensitiveField::IdNumber).clear_in(true);
            let expected = if dep_clear { dependant_id.clone() } else { masked_id(&dependant_id) };
            assert_eq!(deps[0]["id_number"], expected.as_str(), "{role} dependants");
            for (view, shown, is_detail) in [("list", &item, false), ("search", &found, false), ("detail", &detail, true)] {
                let mut expected_masked = Vec::new();
                for f in SensitiveField::ALL {
                    let in_clear = role.visibility(f).clear_in(is_detail);
                    let expected = if in_clear { clear(f) } else { masked(f) };
                    assert_eq!(shown[f.as_str()], expected.as_str(), "{role} {view} {}", f.as_str());
                    if !in_clear {
                        expected_masked.push(json!(f.as_str()));
                    }
                }
                assert_eq!(shown["masked_fields"], Value::Array(expected_masked), "{role} {view}");
            }
            checked += 1;
        }
        assert_eq!(checked, Role::ALL.iter().filter(|r| r.allows(Permission::RetireeRead)).count());
        assert!(checked > 0);
        // The detail reads were audited, one per role; no clear value landed in the audit log.
        assert_eq!(app.audit_count("retiree.read"), checked as i64);
        let auditor = accounts.iter().find(|(r, _)| *r == Role::Auditor).unwrap();
        let log = app.request("GET", "/api/v1/audit-log?limit=500", Some(&auditor.1), &[], None).await.expect(200);
        for f in SensitiveField::ALL {
            assert!(!log.text.contains(&clear(f)), "{} in clear in the audit log", f.as_str());
        }
    }
}
